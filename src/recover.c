// SPDX-License-Identifier: MIT
/*
 * Dead-producer recovery.
 *
 * A producer that dies between its claim [P2] and its commit [P4] leaves
 * either a BUSY header stamped with its producer slot (it died after [P3]),
 * or a zero header (it died between [P2] and [P3], one store). The consumer
 * stops there; after meta.recover_ms (or at once on ringbuf_recover) it
 * calls us.
 *
 * BUSY: the header carries its owner's stamp (slot and generation). Only
 * when that owner has provably let go of its slot lock (live.c: another
 * generation in the slot, or nobody holding the lock) is the header CASed
 * from the exact BUSY value we read to DISCARD [R1]. A live owner, however
 * slow, stopped or hidden from /proc, is never touched: the decision is the
 * kernel's lock state, never time. The timeout only decides when the check
 * runs.
 *
 * Zero: nobody can say whose claim it is. We act only when some producer
 * died without detaching (rb_unclean_exit_seen), then skip the all-zero gap
 * up to the next plausible header as one orphan (see gap_end() for the
 * residual risk).
 *
 * Slots need no freeing here: the kernel drops a dead owner's lock, and the
 * next owner's new generation keeps the old owner's records recoverable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <time.h>

#include "record.h"

#define GAP_MAX (1ULL << 29)       /* one gap record's footprint, at most */
#define GAP_SETTLE_MS 10           /* the gap must look the same this long */

/* Per-call cache: is the owner of a stamp alive? One entry per slot, for
 * the generation last asked about. */
struct owners {
	int8_t state[RINGBUF_MAX_PRODUCERS + 1];   /* -1 unknown, 0 dead, 1 alive */
	uint32_t stamp[RINGBUF_MAX_PRODUCERS + 1];
};

static void owners_init(struct owners *o)
{
	for (int i = 0; i <= RINGBUF_MAX_PRODUCERS; i++)
		o->state[i] = -1;
}

/* 1 when the records stamped `stamp` can be recovered: their owner let go
 * of its slot (died, or detached and so cannot commit any more). A stamp
 * naming no slot never is (the consumer reports it as corrupt). */
static int owner_dead(struct ringbuf *rb, struct owners *o, uint32_t stamp)
{
	uint32_t slot = RINGBUF_STAMP_SLOT(stamp);

	if (slot > RINGBUF_MAX_PRODUCERS)
		return 0;
	if (o->state[slot] < 0 || o->stamp[slot] != stamp) {
		o->stamp[slot] = stamp;
		o->state[slot] = (int8_t)(rb_stamp_alive(rb, stamp) != 0);
	}
	return o->state[slot] == 0;
}

/*
 * The end of the all-zero gap that starts at cons: the first non-zero word
 * after it if that word is a plausible header there, or prod. 0 when the
 * gap holds something else (garbage: leave it to the consumer's checks).
 *
 * Residual risk, precisely: if a LIVE producer is between its claim and its
 * header store for the whole recover_ms (at cons) or for GAP_SETTLE_MS
 * (inside the gap), while some producer died without detaching, its claim is
 * swallowed into the gap; when it resumes it writes into space the consumer
 * has released, and the records around it may be reported as corrupt
 * (-EBADMSG) or lost. Claim and header store are adjacent instructions, so
 * this needs a preemption of that length at exactly that point.
 */
static uint64_t gap_end(struct ringbuf *rb, uint64_t cons, uint64_t prod)
{
	/* Offsets, compared with <: prod is untrusted and may be unaligned. */
	uint64_t lim = prod - cons > GAP_MAX ? GAP_MAX : (prod - cons) & ~7ULL;

	for (uint64_t off = 8; off < lim; off += 8) {
		uint64_t w = rb_load_relaxed(rb_hdr_at(rb, cons + off));
		struct rb_rec r;

		/* Non-zero: it must be a header that could start a record. */
		if (w)
			return rb_rec_decode(rb, w, cons + off, prod, &r) != RB_REC_BAD ? cons + off : 0;
	}
	return lim >= 8 ? cons + lim : 0;
}

static int recover_gap(struct ringbuf *rb, uint64_t cons, uint64_t prod)
{
	struct timespec ts = { 0, GAP_SETTLE_MS * 1000000L };
	uint64_t end = gap_end(rb, cons, prod), expect = 0, w;

	if (!end)
		return 0;
	nanosleep(&ts, NULL);
	if (rb_load_acquire(rb_hdr_at(rb, cons)) != 0 || gap_end(rb, cons, prod) != end)
		return 0;
	w = rb_rec_discard_word(rb, end - cons - RINGBUF_HDR_SZ, cons);
	/* [R1] CAS from exactly what we saw: if the owner was alive after
	 * all and wrote its header, we lose and leave it alone. */
	if (!rb_cas_acq_rel(rb_hdr_at(rb, cons), &expect, w))
		return 0;
	RB_STAT(rb, orphaned_records, 1);
	/* One unclean exit leaves at most one such gap: it accounts for it.
	 * (Only the consumer writes gaps_acked.) */
	if (rb_load_relaxed(&rb->meta->unclean_exits) > rb_load_relaxed(&rb->meta->gaps_acked))
		rb_store_relaxed(&rb->meta->gaps_acked, rb_load_relaxed(&rb->meta->gaps_acked) + 1);
	return 1;
}

/*
 * Walk the headers of [cons, prod): recover every BUSY record of a dead
 * owner, and the zero gap at cons when gap_ok. Returns the number
 * recovered; *at_cons tells whether the record at cons was.
 */
static int walk(struct ringbuf *rb, uint64_t cons, uint64_t prod, int gap_ok, int *at_cons)
{
	struct owners o;
	uint64_t pos = cons;
	int n = 0;

	owners_init(&o);
	*at_cons = 0;
	while (pos != prod) {
		uint64_t *hdr = rb_hdr_at(rb, pos);
		uint64_t w = rb_load_acquire(hdr);
		struct rb_rec r;
		int st = rb_rec_decode(rb, w, pos, prod, &r);

		if (st == RB_REC_ZERO) {
			if (pos != cons || !gap_ok || !rb_unclean_exit_seen(rb) ||
			    !recover_gap(rb, cons, prod))
				break;
			n++;
			*at_cons = 1;
			continue; /* now a DISCARD header: walk over it */
		}
		if (st == RB_REC_BAD)
			break; /* garbage: the consumer reports it */
		if (st == RB_REC_BUSY && owner_dead(rb, &o, rb_hdr_pgoff(w))) {
			/* [R1] */
			if (rb_cas_acq_rel(hdr, &w, rb_rec_discard_word(rb, r.len, pos))) {
				RB_STAT(rb, orphaned_records, 1);
				n++;
				if (pos == cons)
					*at_cons = 1;
			}
		}
		pos += r.fp;
	}

	return n;
}

/* Overwrite mode: reclaim needs the space of the BUSY record at pos. If its
 * owner is dead it will never commit: discard it [R1], so reclaim can pass
 * it, and count the orphan. A live owner's record is never touched, and
 * recover_ms == UINT32_MAX (recovery off) leaves it alone too. */
RB_HIDDEN int rb_recover_dead_busy(struct ringbuf *rb, uint64_t pos, uint64_t limit)
{
	uint64_t *hdr = rb_hdr_at(rb, pos);
	uint64_t w = rb_load_acquire(hdr);
	struct rb_rec r;
	struct owners o;

	if (!rb_is_user(rb) || rb_load_relaxed(&rb->meta->recover_ms) == UINT32_MAX ||
	    rb_rec_decode(rb, w, pos, limit, &r) != RB_REC_BUSY)
		return 0;
	owners_init(&o);
	if (!owner_dead(rb, &o, rb_hdr_pgoff(w)))
		return 0;
	if (!rb_cas_acq_rel(hdr, &w, rb_rec_discard_word(rb, r.len, pos))) /* [R1] */
		return 0;
	RB_STAT(rb, orphaned_records, 1);
	return 1;
}

/* A stop at the same position again: count the wait in the stall
 * statistics once it passes RINGBUF_STALL_US (this handle only). */
static void note_stall(struct ringbuf *rb, uint64_t now)
{
	uint64_t since = rb->stuck_since_ns, limit = since + RINGBUF_STALL_US * 1000ULL;

	if (now < limit)
		return;
	if (rb->stuck_seen_ns < limit) {
		rb_stat_own(rb, offsetof(struct ringbuf_stats, busy_stalls), 1);
		rb_stat_own(rb, offsetof(struct ringbuf_stats, busy_stall_ns), now - since);
	} else {
		rb_stat_own(rb, offsetof(struct ringbuf_stats, busy_stall_ns), now - rb->stuck_seen_ns);
	}
	rb->stuck_seen_ns = now;
}

/* The consumer is stopped at cons: start the "stuck since" clock unless it
 * already runs for this position. 1 when it was started just now.
 * (Consumer-private state.) */
RB_HIDDEN int rb_stuck_clock(struct ringbuf *rb, uint64_t cons, uint64_t now)
{
	if (rb->stuck_pos == cons && rb->stuck_since_ns) {
		note_stall(rb, now);
		return 0;
	}
	rb->stuck_pos = cons;
	rb->stuck_since_ns = now;
	rb->stuck_seen_ns = now;
	return 1;
}

/* The consumer stopped at a record not yet committed. A record that stays
 * so past the ring's timeout may belong to a dead producer: rb_recover_stuck
 * below decides. Returns 1 when the record was recovered and can be
 * skipped. Used by every consume loop (consume.c, overwrite.c). */
RB_HIDDEN int rb_stopped_at(struct ringbuf *rb, uint64_t cons, uint64_t prod)
{
	uint64_t now = rb_now_ns();

	if (rb_stuck_clock(rb, cons, now))
		return 0;
	if (!rb_is_user(rb) || rb->meta->recover_ms == UINT32_MAX)
		return 0;
	if (now - rb->stuck_since_ns < (uint64_t)rb->meta->recover_ms * 1000000ULL)
		return 0;
	return rb_recover_stuck(rb, cons, prod, 0);
}

RB_HIDDEN int rb_recover_stuck(struct ringbuf *rb, uint64_t cons, uint64_t prod, int force)
{
	int at_cons;
	uint64_t half;

	(void)force;
	if (!rb_is_user(rb) || prod - cons > rb->size || (cons & 7))
		return 0;
	walk(rb, cons, prod, 1, &at_cons);
	if (!at_cons) {
		/* The owner is alive (or unknown): look again in recover_ms/2,
		 * not on every consume call; /proc reads are not free. */
		half = (uint64_t)rb_load_relaxed(&rb->meta->recover_ms) * 500000ULL;
		rb->stuck_since_ns = rb_now_ns() - half;
	}
	return at_cons;
}

RB_HIDDEN int rb_recover_wait_ms(struct ringbuf *rb)
{
	uint32_t rm;
	uint64_t cons, prod, w;
	struct rb_rec r;
	int st;

	if (!rb || !rb_is_user(rb) || (rb->flags & RINGBUF_F_OVERWRITE))
		return -1;
	rm = rb_load_relaxed(&rb->meta->recover_ms);
	if (rm == UINT32_MAX)
		return -1;
	cons = rb_read_cursor(rb);
	prod = rb_load_acquire(rb->producer_pos); /* [C1] */
	if (cons == prod || prod - cons > rb->size)
		return -1;
	w = rb_load_acquire(rb_hdr_at(rb, cons)); /* [C2] */
	st = rb_rec_decode(rb, w, cons, prod, &r);
	if (st != RB_REC_ZERO && st != RB_REC_BUSY)
		return -1; /* a record to read, or garbage consume reports */
	/* Start the clock now, not at the next consume: recovery then takes
	 * recover_ms, not up to 1.5 times that. */
	rb_stuck_clock(rb, cons, rb_now_ns());
	rm /= 2;
	return rm == 0 ? 1 : rm > INT_MAX ? INT_MAX : (int)rm;
}

int ringbuf_recover(struct ringbuf *rb)
{
	uint64_t cons, prod;
	int at_cons;

	rb_clear_detail();
	if (!rb)
		return -EINVAL;
	if (!rb_is_user(rb) || (rb->flags & RINGBUF_F_OVERWRITE))
		return -EOPNOTSUPP;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	cons = rb_load_relaxed(rb->consumer_pos);
	prod = rb_load_acquire(rb->producer_pos); /* [C1] */
	if (prod - cons > rb->size || (cons & 7)) {
		RB_STAT(rb, corrupt_events, 1);
		return -EBADMSG;
	}
	return walk(rb, cons, prod, 1, &at_cons);
}
