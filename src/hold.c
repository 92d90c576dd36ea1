// SPDX-License-Identifier: MIT
/*
 * Hold and release (ringbuf_consume_hold(3)): the consumer reads ahead of
 * the consumer_pos it publishes, with a private cursor (rb->hold_pos), and
 * moves consumer_pos — which frees the space for producers — only when the
 * caller says its records are safe. The ring is the buffer: what is held
 * survives the consumer's death, because the next consumer starts at
 * consumer_pos. The loop itself is rb_consume_loop (consume.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

int ringbuf_consume_hold(struct ringbuf *rb, ringbuf_hold_fn fn, void *ctx, size_t n)
{
	rb_clear_detail();
	if (!rb || !fn)
		return -EINVAL;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	/* Overwrite mode moves the read cursor from the producer side: a
	 * hold there would not hold anything. */
	if (rb->flags & RINGBUF_F_OVERWRITE)
		return -EOPNOTSUPP;
	if (n == 0)
		return 0;
	return rb_consume_loop(rb, NULL, fn, ctx, n);
}

/* The end of the record at pos, a held record: its header is read again
 * (the space is still ours, but shared memory is never trusted) and must
 * fit below the cursor. 0 when pos is not a held record; *discarded says
 * whether it was a discarded one. */
static uint64_t held_end(struct ringbuf *rb, uint64_t pos, int *discarded)
{
	uint64_t w = rb_load_acquire(rb_hdr_at(rb, pos)); /* [C2] */
	struct rb_rec r;
	int st = rb_rec_decode(rb, w, pos, rb->hold_pos, &r);

	*discarded = st == RB_REC_DISCARDED;
	return rb_rec_done(st) ? pos + r.fp : 0;
}

int ringbuf_release(struct ringbuf *rb, uint64_t pos)
{
	uint64_t cons, end, next;
	int discarded;

	rb_clear_detail();
	if (!rb)
		return -EINVAL;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	if (!rb->holding)
		return -EINVAL;
	cons = rb_load_relaxed(rb->consumer_pos);
	if ((pos & 7) || pos - cons >= rb->hold_pos - cons || rb->hold_pos - cons > rb->size)
		return -EINVAL;
	end = held_end(rb, pos, &discarded);
	if (!end)
		return -EINVAL;
	/* Discarded records right after it were never delivered: nobody
	 * would release them otherwise. */
	while (end != rb->hold_pos && (next = held_end(rb, end, &discarded)) && discarded)
		end = next;
	rb_release_space(rb, cons, end);
	if (end == rb->hold_pos)
		rb->holding = 0;
	return 0;
}

int ringbuf_rewind(struct ringbuf *rb)
{
	rb_clear_detail();
	if (!rb)
		return -EINVAL;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	rb->holding = 0;
	return 0;
}

int ringbuf_id(const struct ringbuf *rb, uint8_t id[RINGBUF_ID_SZ])
{
	rb_clear_detail();
	if (!rb || !id)
		return -EINVAL;
	rb->ops->id(rb, id); /* the kind's (kinds.c) */
	return 0;
}
