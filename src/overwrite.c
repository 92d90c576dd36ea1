// SPDX-License-Identifier: MIT
/* Overwrite mode (issue 6). Placeholder: a full ring refuses. */
#include "internal.h"

RB_HIDDEN int rb_overwrite_make_room(struct ringbuf *rb, uint64_t prod, uint64_t len)
{
	(void)rb; (void)prod; (void)len;
	return -ENOSPC;
}

RB_HIDDEN int rb_consume_overwrite(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	(void)rb; (void)fn; (void)ctx; (void)n;
	return -EOPNOTSUPP;
}

int ringbuf_snapshot(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx,
		     size_t max_records, size_t max_bytes)
{
	(void)rb; (void)fn; (void)ctx; (void)max_records; (void)max_bytes;
	return -EOPNOTSUPP;
}
