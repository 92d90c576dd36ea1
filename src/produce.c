// SPDX-License-Identifier: MIT
/*
 * The producer side: reserve, commit (submit/discard/output) and the
 * wakeup. The handle and its mapping are in ring.c.
 *
 * docs/DESIGN.md explains the protocol; the tags [P1].. [C5] name the ordered
 * accesses of its table. In short: producers claim space with one CAS on
 * producer_pos [P2] and write their header right after; the consumer can
 * never read a stale header there because free space is all zero (the
 * consumer zeroes every record it consumes before releasing consumer_pos
 * [C3]), and a zero header means "not written yet".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "overwrite.h"

/* ---- producers ---- */

/* The ring is full. A producer preempted between reserve and submit (user
 * space cannot disable preemption, the kernel does) holds the consumer at
 * its record, so nothing is freed until it runs again — and it may be
 * waiting for our very CPU while we spin on ENOSPC. Give the CPU away once:
 * sched_yield returns at once when nothing else wants it (docs/DESIGN.md
 * §3, "Two producers"). Not decided from the header at consumer_pos: the
 * consumer may be zeroing it at that moment. */
static void yield_when_full(void)
{
	sched_yield();
}

/* Only user rings get here (reserve refuses the others): a meta page. */
static void count_drops(struct ringbuf *rb, uint64_t n)
{
	rb_add_relaxed(&rb->meta->dropped_records, n);
}

static void *refuse(int err)
{
	rb_clear_detail();
	errno = err;
	return NULL;
}

/*
 * The claim of len bytes, for reserve (one record) and reserve_batch (n
 * records of one size, contiguous): 0 with *pos the first claimed byte, or
 * -ENOSPC / an overwrite reclaim's error, the ring unchanged. Inlined into
 * both, so reserve's path is what it was before there were two callers.
 */
static inline __attribute__((always_inline)) int claim(struct ringbuf *rb, uint64_t len,
							uint64_t *pos)
{
	uint64_t prod;

	/* Inherited through fork: stamp our own slot, not the parent's. The
	 * acquire pairs with rb_reslot's release of slot_pid. */
	if (rb_unlikely(rb_load_acquire(&rb->slot_pid) != rb_self_pid))
		rb_reslot(rb);

	prod = rb_load_relaxed(rb->producer_pos);
	for (;;) {
		uint64_t room_base;

		if (rb->flags & RINGBUF_F_OVERWRITE)
			/* [O1] acquire: pairs with reclaim's release [O3]; the
			 * space up to reclaimed_pos is zeroed. Only reclaim
			 * frees space in this mode: the consumer does not zero
			 * what it reads (a producer may own it again). */
			room_base = rb_load_acquire(&rb->meta->reclaimed_pos);
		else {
			/* [P1c] acquire: pairs with [P1c]'s release below; the
			 * copy's writer acquired it from consumer_pos [P1], so
			 * the consumer's zeroing up to it happens before our
			 * writes too. The copy is never ahead of consumer_pos:
			 * it can only say "full" too early, never too late. */
			room_base = rb_load_acquire(&rb->cached_cons);
			if (rb_unlikely(prod + len - room_base > rb->size)) {
				/* [P1] acquire: pairs with the consumer's
				 * release of consumer_pos [C3], so its zeroing of
				 * the space we are about to take happens before
				 * our writes into it. */
				uint64_t seen = room_base;

				room_base = rb_load_acquire(rb->consumer_pos);
				/* Near full, every reservation gets here: store
				 * only news, so the copy's line stays shared. */
				if (room_base != seen)
					rb_store_release(&rb->cached_cons, room_base); /* [P1c] */
			}
		}
		if (rb_unlikely(prod + len - room_base > rb->size)) {
			/* Full. Overwrite mode frees room over the oldest
			 * committed records; normal mode refuses. */
			int err = -ENOSPC;

			if (rb->flags & RINGBUF_F_OVERWRITE)
				err = rb_overwrite_make_room(rb, prod, len);
			else
				yield_when_full();
			if (err)
				return err;
			prod = rb_load_relaxed(rb->producer_pos);
			continue;
		}
		/* [P2] the claim: one CAS, no lock. A producer stopped
		 * anywhere never keeps another from claiming. */
		if (rb_cas_acq_rel(rb->producer_pos, &prod, prod + len))
			break;
	}
	*pos = prod;
	return 0;
}

/* [P3] A header, BUSY, stamped with our producer slot so a dead owner can
 * be found. Relaxed: the consumer treats it only as "stop here", and the
 * payload is published by the commit's release [P4]. */
static inline uint64_t *busy_header(struct ringbuf *rb, uint64_t pos, size_t size)
{
	uint64_t *hdr = rb_hdr_at(rb, pos);

	rb_store_relaxed(hdr, rb_hdr_make((uint32_t)size | RINGBUF_BUSY_BIT, rb->owner_slot));
	return hdr;
}

void *ringbuf_reserve(struct ringbuf *rb, size_t size, uint64_t flags)
{
	uint64_t len, prod;
	uint64_t *hdr;
	int err;

	/* The hot path leaves the error detail alone; every failure clears
	 * it (refuse()), so no older detail is shown for it. */
	if (rb_unlikely(!rb || flags || !rb_is_user(rb)))
		return refuse(EINVAL);
	if (rb_unlikely(!(rb->role & RINGBUF_PRODUCER)))
		return refuse(EPERM);
	len = rb_round_up_hdr(size);
	if (rb_unlikely(size > RINGBUF_MAX_RECORD_SZ || len > rb->size))
		return refuse(E2BIG);
	err = claim(rb, len, &prod);
	if (rb_unlikely(err)) {
		count_drops(rb, 1);
		return refuse(-err);
	}
	rb_testpoint("reserve:claimed");
	hdr = busy_header(rb, prod, size);
	rb_testpoint("reserve:header");
	return hdr + 1;
}

/*
 * n records of one size with one claim: the claim's CAS and the cache line
 * it moves are paid once per batch instead of once per record. The n
 * headers are written BUSY right after the claim, in ring order, before any
 * record is handed out; each record is then committed on its own. A
 * producer that dies between the claim and its last header leaves its
 * written headers BUSY (recovered by their stamp) and the rest of the batch
 * zero: one gap, skipped as one orphan (recover.c), as a single reserve's
 * zero header is.
 */
int ringbuf_reserve_batch(struct ringbuf *rb, size_t size, unsigned int n, void **samples,
			  uint64_t flags)
{
	uint64_t len, prod;
	int err;

	rb_clear_detail();
	if (!rb || flags || !n || !samples || !rb_is_user(rb))
		return rb_api_ret(rb_detail(EINVAL, "reserve_batch: %s",
					    !rb ? "no ring" : flags ? "flags must be 0"
					    : !n ? "no records asked for" : !samples ? "no samples array"
					    : "not a user ring"));
	if (!(rb->role & RINGBUF_PRODUCER))
		return rb_api_ret(rb_detail(EPERM, "reserve_batch: this handle is not a producer"));
	if (rb->flags & RINGBUF_F_OVERWRITE)
		return rb_api_ret(rb_detail(EOPNOTSUPP, "reserve_batch: not in overwrite mode"));
	len = rb_round_up_hdr(size);
	/* size <= RINGBUF_MAX_RECORD_SZ (checked first) and n < 2^32: len * n
	 * cannot overflow. */
	if (size > RINGBUF_MAX_RECORD_SZ || len * n > rb->size)
		return rb_api_ret(rb_detail(E2BIG, "reserve_batch: %u records of %zu bytes "
					    "take %llu bytes, the ring has %llu", n, size,
					    (unsigned long long)(len * n),
					    (unsigned long long)rb->size));
	err = claim(rb, len * n, &prod);
	if (err) {
		count_drops(rb, n);
		return rb_api_ret(err);
	}
	rb_testpoint("reserve_batch:claimed");
	for (unsigned int i = 0; i < n; i++) {
		if (i == n / 2)
			rb_testpoint("reserve_batch:half");
		samples[i] = busy_header(rb, prod + (uint64_t)i * len, size) + 1;
	}
	return 0;
}

static void commit(struct ringbuf *rb, void *sample, uint64_t flags, int discard)
{
	uint64_t *hdr = (uint64_t *)sample - 1;
	uint64_t w = rb_load_relaxed(hdr);
	uint64_t off = (uint64_t)((uint8_t *)hdr - rb->data);
	uint32_t len = rb_hdr_len(w) & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
	uint64_t committed = rb_hdr_make(len | (discard ? RINGBUF_DISCARD_BIT : 0),
					 rb_pgoff_of(rb, off));
	uint64_t cons;

	rb_testpoint("commit:before");
	if (flags & RINGBUF_NO_WAKEUP) {
		/* [P4] release: the payload is visible before the header
		 * says it is committed. Pairs with the consumer's [C2]. */
		rb_store_release(hdr, committed);
		return;
	}
	/* [P5] a full barrier between publishing the record and reading
	 * the consumer's state (Dekker with the consumer's [C5]): either the
	 * consumer's last look saw this record, or we see it waiting. */
	rb_store_seq_cst(hdr, committed);
	if (!(flags & RINGBUF_FORCE_WAKEUP)) {
		cons = rb_load_relaxed(rb->consumer_pos);
		/* Adaptive rule (the kernel's): only a consumer that has
		 * caught up to exactly this record can be asleep on it. */
		if ((cons & rb->mask) != off || !rb_load_relaxed(rb->cons_waiting))
			return;
		/* One wakeup per sleep: the first committer to clear the flag
		 * sends it. */
		if (!rb_xchg_acq_rel(rb->cons_waiting, 0))
			return;
	}
	rb_wake(rb);
}

RB_HIDDEN void rb_wake(struct ringbuf *rb)
{
	uint64_t one = 1;
	int fd = rb_load_acquire(&rb->wake_wfd);

	/* A named ring whose FIFO was missing at open: try again now. */
	if (fd < 0 && rb->name && !rb_open_wake_writer(rb))
		fd = rb_load_acquire(&rb->wake_wfd);
	if (fd < 0)
		return;
	/* A named ring wakes through its FIFO (a byte), an anonymous one
	 * through an eventfd (a u64); only user rings have producers, so a
	 * meta page. EAGAIN means the counter or pipe is full: already
	 * readable. */
	if (write(fd, &one, rb->name ? 1 : sizeof(one)) > 0)
		rb_add_relaxed(&rb->meta->wakeups, 1);
}

void ringbuf_submit(struct ringbuf *rb, void *sample, uint64_t flags)
{
	if (!rb || !sample)
		return;
	commit(rb, sample, flags, 0);
}

void ringbuf_discard(struct ringbuf *rb, void *sample, uint64_t flags)
{
	if (!rb || !sample)
		return;
	commit(rb, sample, flags, 1);
}

int ringbuf_output(struct ringbuf *rb, const void *data, size_t size, uint64_t flags)
{
	void *p;

	if (!rb || (flags & ~(RINGBUF_NO_WAKEUP | RINGBUF_FORCE_WAKEUP)) || (size && !data)) {
		rb_clear_detail();
		return -EINVAL;
	}
	p = ringbuf_reserve(rb, size, 0);
	if (!p)
		return -errno;
	if (size)
		memcpy(p, data, size);
	ringbuf_submit(rb, p, flags);
	return 0;
}
