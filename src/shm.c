// SPDX-License-Identifier: MIT
/* Named rings (issue 5). Placeholder until cross-process support lands:
 * every call fails with EOPNOTSUPP. */
#include "internal.h"

RB_HIDDEN struct ringbuf *rb_create_named(const char *name, size_t size,
					  const struct ringbuf_opts *opts)
{
	(void)name; (void)size; (void)opts;
	errno = EOPNOTSUPP;
	return NULL;
}

RB_HIDDEN void rb_detach_named(struct ringbuf *rb)
{
	(void)rb;
}

struct ringbuf *ringbuf_open_opts(const char *name, int role, const struct ringbuf_opts *opts)
{
	(void)name; (void)role; (void)opts;
	errno = EOPNOTSUPP;
	return NULL;
}

struct ringbuf *ringbuf_open(const char *name, int role)
{
	return ringbuf_open_opts(name, role, NULL);
}

int ringbuf_unlink(const char *name)
{
	(void)name;
	return -EOPNOTSUPP;
}
