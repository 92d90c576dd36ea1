/* SPDX-License-Identifier: MIT */
/*
 * The one record-header decoder. Every path that reads a header another
 * process may have written (the consume loops, overwrite's reclaim and
 * consumer, the snapshot, recovery, hold/release) asks rb_rec_decode what
 * the word says; nothing else interprets BUSY/DISCARD/len/pg_off. These
 * checks are the boundary against hostile shared memory: a header no
 * producer could have written is RB_REC_BAD (corruption), never "wait for
 * its owner" (that wait would never end) and never a length to trust.
 * Header-only: it is on the consumer's hot path. Not installed.
 */
#ifndef RB_RECORD_H
#define RB_RECORD_H

#include "internal.h"

#define RB_HDR_FLAGS (RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT)

/* What a header word read at a position says. */
enum rb_rec_state {
	RB_REC_ZERO = 0,    /* nothing written: free space, or a claim whose
			     * header is not stored yet (its owner may be dead) */
	RB_REC_BUSY,        /* reserved, not committed: its owner may commit */
	RB_REC_COMMITTED,   /* committed: deliver it */
	RB_REC_DISCARDED,   /* committed as discarded (or recovered): skip it */
	RB_REC_BAD,         /* no producer could have written it: corruption */
};

/* The record a header describes: payload length and footprint (header and
 * padding included). Set for every state but RB_REC_ZERO. */
struct rb_rec {
	uint64_t len;
	uint64_t fp;
};

/* Committed or discarded: a whole record whose footprint can be walked. */
static inline int rb_rec_done(int st)
{
	return st == RB_REC_COMMITTED || st == RB_REC_DISCARDED;
}

/*
 * Decode header word w read at pos; the record must end by limit (the
 * caller's bound: producer_pos, or published + size, or the hold cursor).
 * The checks, each applied by every path:
 *   - the footprint ends by limit (any non-zero header);
 *   - user rings: a BUSY header carries a stamp naming a producer slot
 *     (the kernel's BUSY headers carry pg_off instead);
 *   - user rings: a committed header's pg_off is the one of its position
 *     (the kernel's is not checked: its consumer never was).
 * The differences between kinds of ring are these two flags, taken from
 * rb_is_user(); the differences between callers are only their limit.
 */
static inline int rb_rec_decode(const struct ringbuf *rb, uint64_t w, uint64_t pos,
				uint64_t limit, struct rb_rec *r)
{
	uint32_t len32 = rb_hdr_len(w);
	const int user = rb_is_user(rb);

	r->len = len32 & ~RB_HDR_FLAGS;
	r->fp = rb_round_up_hdr(r->len);
	if (w == 0)
		return RB_REC_ZERO;
	if (rb_unlikely(r->fp > limit - pos))
		return RB_REC_BAD;
	if (len32 & RINGBUF_BUSY_BIT)
		return !user || RINGBUF_STAMP_SLOT(rb_hdr_pgoff(w)) <= RINGBUF_MAX_PRODUCERS
		       ? RB_REC_BUSY : RB_REC_BAD;
	if (user && rb_unlikely(rb_hdr_pgoff(w) != rb_pgoff_of(rb, pos)))
		return RB_REC_BAD;
	return (len32 & RINGBUF_DISCARD_BIT) ? RB_REC_DISCARDED : RB_REC_COMMITTED;
}

/* The DISCARD header that replaces a BUSY (or zero) one at pos of a dead
 * owner [R1]: same footprint, pg_off of the position. */
static inline uint64_t rb_rec_discard_word(const struct ringbuf *rb, uint64_t len, uint64_t pos)
{
	return rb_hdr_make((uint32_t)len | RINGBUF_DISCARD_BIT, rb_pgoff_of(rb, pos));
}

#endif /* RB_RECORD_H */
