// SPDX-License-Identifier: MIT
/*
 * Statistics: where each counter lives (the meta page of a user ring, the
 * handle for rings without one), the two ways to add to it, the public
 * ringbuf_get_stats, and the accounting at the end of every consume loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

static uint64_t *stat_slot(struct ringbuf *rb, size_t off)
{
	struct ringbuf_meta *m = rb->meta;

	if (m) {
		switch (off) {
		case offsetof(struct ringbuf_stats, delivered_records): return &m->delivered_records;
		case offsetof(struct ringbuf_stats, delivered_bytes): return &m->delivered_bytes;
		case offsetof(struct ringbuf_stats, discarded_records): return &m->discarded_records;
		case offsetof(struct ringbuf_stats, orphaned_records): return &m->orphaned_records;
		case offsetof(struct ringbuf_stats, corrupt_events): return &m->corrupt_events;
		case offsetof(struct ringbuf_stats, overwritten_records): return &m->overwritten_records;
		case offsetof(struct ringbuf_stats, overwritten_bytes): return &m->overwritten_bytes;
		case offsetof(struct ringbuf_stats, dropped_records): return &m->dropped_records;
		case offsetof(struct ringbuf_stats, wakeups): return &m->wakeups;
		default: break;
		}
	}
	return (uint64_t *)(void *)((uint8_t *)&rb->local_stats + off);
}

RB_HIDDEN void rb_stat_add(struct ringbuf *rb, size_t off, uint64_t v)
{
	if (v && rb->role != RINGBUF_OBSERVER) /* its mapping is read-only */
		rb_add_relaxed(stat_slot(rb, off), v);
}

/* A statistic only the consumer writes: no locked add (one per consume
 * call was a measurable part of a busy consumer's cost). [C7] */
RB_HIDDEN void rb_stat_own(struct ringbuf *rb, size_t off, uint64_t v)
{
	uint64_t *p;

	if (!v)
		return;
	p = stat_slot(rb, off);
	rb_store_relaxed(p, rb_load_relaxed(p) + v);
}

int ringbuf_get_stats(const struct ringbuf *crb, struct ringbuf_stats *st)
{
	struct ringbuf *rb = (struct ringbuf *)crb;
	struct ringbuf_stats s;
	size_t n;

	rb_clear_detail();
	if (!rb || !st || st->sz < sizeof(size_t))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	for (size_t off = offsetof(struct ringbuf_stats, delivered_records);
	     off < sizeof(s); off += sizeof(uint64_t))
		*(uint64_t *)(void *)((uint8_t *)&s + off) = rb_load_relaxed(stat_slot(rb, off));
	n = st->sz < sizeof(s) ? st->sz : sizeof(s);
	memcpy((uint8_t *)st + sizeof(size_t), (uint8_t *)&s + sizeof(size_t), n - sizeof(size_t));
	return 0;
}

/* The end of every consume loop: count what it did, return what the API
 * says (a callback's error as is, else the number delivered, at most
 * INT_MAX). */
RB_HIDDEN int rb_consume_result(struct ringbuf *rb, size_t cnt, uint64_t bytes,
				uint64_t discarded, int ret)
{
	rb_stat_own(rb, offsetof(struct ringbuf_stats, delivered_records), cnt);
	rb_stat_own(rb, offsetof(struct ringbuf_stats, delivered_bytes), bytes);
	rb_stat_own(rb, offsetof(struct ringbuf_stats, discarded_records), discarded);
	if (ret < 0)
		return ret;
	return cnt > INT_MAX ? INT_MAX : (int)cnt;
}

