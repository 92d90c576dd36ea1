// SPDX-License-Identifier: MIT
/* Kernel ftrace ring buffers (issue owner: ftrace). Temporary stub until
 * that work lands; it adds its sources with rb_consumer_add_source(). */
#include "internal.h"

int ringbuf_consumer_add_ftrace(struct ringbuf_consumer *c, const struct ringbuf_ftrace_opts *opts,
				ringbuf_ftrace_fn fn, void *ctx)
{
	(void)c; (void)opts; (void)fn; (void)ctx;
	return -EOPNOTSUPP;
}
