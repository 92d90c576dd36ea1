// SPDX-License-Identifier: MIT
/*
 * Overwrite mode (RINGBUF_F_OVERWRITE): a full ring makes room by
 * overwriting its oldest committed records, never one still being written.
 * docs/DESIGN.md, "Overwrite mode", is the long version; the tags [O1]..
 * name the ordered accesses of its table.
 *
 * Positions, all ever-increasing, all on record boundaries:
 *
 *   reclaimed_pos <= overwrite_pos <= read_pos <= producer_pos
 *                    overwrite_pos <= pending_pos <= producer_pos
 *
 *   reclaimed_pos  (meta) everything below it is zeroed: producers may claim
 *                  up to reclaimed_pos + size [O1]. Equal to overwrite_pos
 *                  except inside a reclaim.
 *   overwrite_pos  the oldest record not overwritten (kernel's meaning).
 *   pending_pos    the oldest record not yet committed, as of the last
 *                  reclaim (kernel's meaning; refreshed only when reclaiming).
 *   read_pos       (consumer page +64) the next record the consumer takes;
 *                  consumer and reclaim both CAS it, and the winner decides
 *                  whether a record was delivered or overwritten.
 *
 * Reclaim is a short critical section under meta->reclaim_lock (the holder's
 * stamp, taken over when its slot lock says it is gone): walk overwrite_pos over whole
 * committed records far enough for the new record and at least 1/8 of the
 * ring, push read_pos past them, store overwrite_pos, zero the bytes, then
 * release reclaimed_pos [O3]. Claiming space stays one CAS on producer_pos;
 * only a producer that finds the ring full takes the lock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overwrite.h"
#include "record.h"

/* One reclaim frees at least this much (when committed records allow), so
 * the lock is taken once per chunk rather than once per record. Capped so the
 * zeroing under the lock stays a few microseconds. */
#define RECLAIM_CHUNK_MAX (256 * 1024)
/* A producer waits this long for another process's reclaim before it gives
 * up with ENOSPC (a reservation must not block indefinitely). */
#define RECLAIM_WAIT_NS (100ULL * 1000000ULL)
/* How often a waiter checks whether the lock holder is still alive. */
#define RECLAIM_CHECK_NS (1000000ULL)

/*
 * Speculative reads. The consumer reads a record before it knows whether the
 * record is still its own; when reclaim took it meanwhile, those reads raced
 * with the producers that write there next, with plain stores in the
 * caller's code, and the copy is dropped ([O6] failed). Our side uses atomic
 * loads, but ThreadSanitizer still reports atomic-vs-plain pairs, so in TSan
 * builds the reads of this one section are not race-checked (only reads,
 * only here; their synchronisation is still tracked, and every write
 * everywhere still is). See docs/DESIGN.md, "Overwrite mode", on why this
 * race is inherent to a zero-copy overwrite ring and harmless here.
 */
#if defined(__SANITIZE_THREAD__)
#define RB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RB_TSAN 1
#endif
#endif
#ifdef RB_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define speculative_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define speculative_end()   AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define speculative_begin() do { } while (0)
#define speculative_end()   do { } while (0)
#endif

/* Copies and zeroing of bytes that other threads may write at the same time
 * go word by word through relaxed atomics: the race is intended (detected
 * afterwards, seqlock-style) and must not be undefined behaviour. */
static void copy_words(uint64_t *dst, const uint64_t *src, uint64_t bytes)
{
	for (uint64_t i = 0; i < bytes / 8; i++)
		dst[i] = rb_load_relaxed(&src[i]);
}

/* Snapshot's copy: acquire loads (plain loads on x86), so that a byte
 * written by an overwrite's release store makes the overwrite's earlier
 * overwrite_pos store visible [O7]. No fence: TSan does not model fences. */
static void copy_words_acquire(uint64_t *dst, const uint64_t *src, uint64_t bytes)
{
	for (uint64_t i = 0; i < bytes / 8; i++)
		dst[i] = rb_load_acquire(&src[i]);
}

/* Zero bytes that readers may be reading, each store ordered after the
 * overwrite_pos store before it [O3a]. Under TSan: release stores, word by
 * word (TSan models those, not fences). Otherwise a release fence and
 * memset, several times faster; the same ordering on every CPU (a release
 * fence orders all earlier accesses before all later stores). */
static void zero_words_release(uint64_t *p, uint64_t bytes)
{
#ifdef RB_TSAN
	for (uint64_t i = 0; i < bytes / 8; i++)
		rb_store_release(&p[i], 0);
#else
	rb_fence_release();
	memset(p, 0, bytes);
#endif
}

static int corrupt(struct ringbuf *rb)
{
	RB_STAT(rb, corrupt_events, 1);
	return -EBADMSG;
}

/* ---- reclaim ---- */

/* The records of [from, to) at or after cut that were not discarded: what
 * a reclaim that moved read_pos from cut to `to` took from the consumer. */
static void count_taken(struct ringbuf *rb, uint64_t from, uint64_t to, uint64_t cut,
			uint64_t *n, uint64_t *bytes)
{
	struct rb_rec r;
	uint64_t q, w;
	int st;

	*n = *bytes = 0;
	for (q = from; q != to; q += r.fp) {
		w = rb_load_relaxed(rb_hdr_at(rb, q)); /* unchanged since [O2] */
		st = rb_rec_decode(rb, w, q, to, &r);
		if (!rb_rec_done(st))
			break;
		if ((int64_t)(q - cut) >= 0 && st == RB_REC_COMMITTED) {
			++*n;
			*bytes += r.len;
		}
	}
}

/* Clear RB_READ_TAKEN: the count of the records it stands for is stored. */
static void clear_taken(struct ringbuf *rb)
{
	uint64_t raw = rb_load_acquire(rb_read_pos(rb));

	/* [O4] acq_rel; the consumer's CAS keeps the bit, so loop. */
	while ((raw & RB_READ_TAKEN) &&
	       !rb_cas_acq_rel(rb_read_pos(rb), &raw, raw & ~RB_READ_TAKEN))
		;
}

/* A reclaim that died after taking records from the consumer [O4] and
 * before storing their count left RB_READ_TAKEN set: store the count from
 * its journal. Idempotent (the counters are set from the journal's base,
 * not added to), and possible because the dead holder had not moved
 * overwrite_pos yet, so the records it took are all still there. */
static void finish_dead_count(struct ringbuf *rb, uint64_t O, uint64_t P)
{
	struct ringbuf_meta *m = rb->meta;
	uint64_t cut, to, n, bytes;

	/* [O5] acquire: a set bit makes the dead holder's journal visible
	 * (it was stored before the bit's release [O4]). */
	if (!(rb_load_acquire(rb_read_pos(rb)) & RB_READ_TAKEN))
		return;
	cut = rb_load_relaxed(&m->rj_cut); /* [O10] */
	to = rb_load_relaxed(&m->rj_to);
	if (to - O <= P - O && cut - O <= to - O) {
		count_taken(rb, (int64_t)(cut - O) > 0 ? O : cut, to, cut, &n, &bytes);
		rb_store_relaxed(&m->overwritten_records, rb_load_relaxed(&m->rj_base_records) + n);
		rb_store_relaxed(&m->overwritten_bytes, rb_load_relaxed(&m->rj_base_bytes) + bytes);
	} else {
		RB_STAT(rb, corrupt_events, 1); /* not a journal a holder wrote */
	}
	clear_taken(rb);
}

static int reclaim_lock(struct ringbuf *rb)
{
	uint32_t *lock = &rb->meta->reclaim_lock;
	/* The holder names itself by its stamp: its slot's lock says whether
	 * it lives (live.c), whatever its pid or pid namespace. Threads of one
	 * handle share the stamp and wait for each other like any holder. */
	uint32_t me = rb_load_relaxed(&rb->owner_slot) | RINGBUF_RECLAIM_HELD;
	uint64_t t0 = 0, checked = 0, now;
	unsigned int spins = 0;

	for (;;) {
		uint32_t holder = 0;

		/* [O8] acquire: pairs with the last holder's release [O9];
		 * its position stores and zeroing happen before ours. */
		if (rb_cas_acq_rel(lock, &holder, me))
			return 0;
		if (++spins < 128) {
			rb_cpu_relax();
			continue;
		}
		now = rb_now_ns();
		if (!t0)
			t0 = checked = now;
		if (holder != me && now - checked >= RECLAIM_CHECK_NS) {
			checked = now;
			/* A dead holder stores nothing more: take over. The
			 * critical section recomputes everything from shared
			 * state, so a half-done reclaim is simply redone. A
			 * word no holder could have written is taken too. */
			if (!(holder & RINGBUF_RECLAIM_HELD) ||
			    rb_stamp_alive(rb, holder & ~RINGBUF_RECLAIM_HELD) <= 0) {
				if (rb_cas_acq_rel(lock, &holder, me)) /* [O8] */
					return 0;
			}
		}
		if (now - t0 > RECLAIM_WAIT_NS)
			return -ENOSPC;
		sched_yield();
	}
}

RB_HIDDEN int rb_overwrite_make_room(struct ringbuf *rb, uint64_t prod, uint64_t len)
{
	struct ringbuf_meta *m = rb->meta;
	uint64_t R, O, P, need, pend, chunk, target, newO, c, w;
	struct rb_rec r;
	uint64_t lost = 0, lost_bytes = 0;
	int err = 0;

	(void)prod; /* the caller's view may be stale; we read our own */
	if (!m)
		return -ENOSPC;
	/* Someone may have made room since the caller looked. [O1] */
	P = rb_load_acquire(rb->producer_pos);
	if (P + len - rb_load_acquire(&m->reclaimed_pos) <= rb->size)
		return 0;
	err = reclaim_lock(rb);
	if (err)
		return err;
	rb_testpoint("reclaim:locked");

	/* Only lock holders write these; [O8] made their stores visible. */
	R = rb_load_relaxed(&m->reclaimed_pos);
	O = rb_load_relaxed(rb->overwrite_pos);
	/* Producers can claim at most up to R + size until we release R, so
	 * this P bounds every record that exists. */
	P = rb_load_acquire(rb->producer_pos);
	if (P - R > rb->size || O - R > P - R) {
		err = corrupt(rb);
		goto out;
	}
	finish_dead_count(rb, O, P);
	need = P + len - rb->size;
	if ((int64_t)(need - R) <= 0)
		goto out; /* room was made while we waited */

	/* pending_pos: the oldest record not committed. Records in
	 * [overwrite_pos, pending_pos) are committed and stay unchanged until
	 * a reclaim (us) passes them. */
	pend = rb_load_relaxed(rb->pending_pos);
	if (pend - O > P - O)
		pend = O;
	for (;;) {
		while (pend != P) {
			/* [O2] acquire: pairs with the commit's release [P4];
			 * the owner's payload stores happen before our zeroing,
			 * so none of them can land in space we hand out. */
			w = rb_load_acquire(rb_hdr_at(rb, pend));
			/* Stop at zero (claimed, header not written), BUSY,
			 * and garbage: never overwrite past it. */
			if (!rb_rec_done(rb_rec_decode(rb, w, pend, P, &r)))
				break;
			pend += r.fp;
		}
		/* A BUSY record holds space we need. If its producer died,
		 * it never commits: without this a crash would wedge the
		 * ring for good (recover.c turns it into a DISCARD). */
		if (pend == P || (int64_t)(need - pend) <= 0 || !rb_recover_dead_busy(rb, pend, P))
			break;
	}
	rb_store_relaxed(rb->pending_pos, pend); /* informational (query) */
	if ((int64_t)(need - pend) > 0) {
		err = -ENOSPC; /* records still being written hold the space */
		goto out;
	}

	/* How far: the new record must fit, and at least a chunk is freed so
	 * the next reservations do not come back here; never past pending. */
	chunk = rb->size / 8 < RECLAIM_CHUNK_MAX ? rb->size / 8 : RECLAIM_CHUNK_MAX;
	if (chunk < len)
		chunk = len;
	target = R + chunk;
	if ((int64_t)(need - target) > 0)
		target = need;
	if ((int64_t)(target - pend) > 0)
		target = pend;
	for (newO = O; (int64_t)(target - newO) > 0; newO += r.fp) {
		w = rb_load_acquire(rb_hdr_at(rb, newO)); /* [O2] */
		if (!rb_rec_done(rb_rec_decode(rb, w, newO, pend, &r))) {
			err = corrupt(rb);
			goto out;
		}
	}

	/* [O4] acq_rel: take the records from the consumer. Acquire pairs
	 * with the consumer's CAS [O6]: the copy of every record it took is
	 * done before we zero anything. A record it had not taken is ours:
	 * its CAS will fail and it will not deliver its copy.
	 * Crash safety: the journal (where the cut is, how far, the counters
	 * before) is stored first [O10], and read_pos gets RB_READ_TAKEN with
	 * the move, so a holder that dies before the count is stored leaves
	 * enough for the next one to store it (finish_dead_count). */
	c = rb_load_acquire(rb_read_pos(rb)); /* RB_READ_TAKEN clear: finished above */
	while ((int64_t)(newO - c) > 0) {
		/* [O10] relaxed: published by the release of the CAS below. */
		rb_store_relaxed(&m->rj_cut, c);
		rb_store_relaxed(&m->rj_to, newO);
		rb_store_relaxed(&m->rj_base_records, rb_load_relaxed(&m->overwritten_records));
		rb_store_relaxed(&m->rj_base_bytes, rb_load_relaxed(&m->overwritten_bytes));
		if (rb_cas_acq_rel(rb_read_pos(rb), &c, newO | RB_READ_TAKEN)) {
			rb_testpoint("reclaim:taken");
			count_taken(rb, O, newO, c, &lost, &lost_bytes);
			rb_store_relaxed(&m->overwritten_records,
					 rb_load_relaxed(&m->rj_base_records) + lost);
			rb_store_relaxed(&m->overwritten_bytes,
					 rb_load_relaxed(&m->rj_base_bytes) + lost_bytes);
			rb_testpoint("reclaim:counted");
			clear_taken(rb);
			break;
		}
		c &= ~RB_READ_TAKEN; /* the consumer moved on: take from there */
	}

	/* [O3a] overwrite_pos moves before any byte changes; the zeroing
	 * stores are releases, so a reader (snapshot) whose acquire load sees
	 * a zeroed byte, or a byte a producer wrote after [O1], sees this
	 * store when it reloads overwrite_pos [O7]. */
	rb_store_relaxed(rb->overwrite_pos, newO);
	zero_words_release(rb_hdr_at(rb, R), newO - R);
	/* [O3] release: pairs with the producers' [O1]; the zeroing happens
	 * before any claim of this space, so free space reads as zero. */
	rb_store_release(&m->reclaimed_pos, newO);
out:
	/* [O9] release: pairs with the next holder's [O8]. */
	rb_store_release(&m->reclaim_lock, 0);
	return err;
}

/* ---- consuming ---- */

static int ensure_buf(void **buf, size_t *cap, uint64_t need)
{
	size_t n = *cap ? *cap : 4096;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

RB_HIDDEN int rb_consume_overwrite(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	uint64_t *rp = rb_read_pos(rb);
	uint64_t raw, pos, prod, w, bytes = 0, discarded = 0;
	struct rb_rec r;
	uint64_t *hdr;
	size_t cnt = 0;
	int ret = 0, st;

	if (rb_load_relaxed(rb->cons_waiting))
		rb_store_relaxed(rb->cons_waiting, 0);

	while (cnt < n) {
		/* [O5] acquire: pairs with reclaim's [O4]; we continue past
		 * whatever it overwrote. read_pos >= overwrite_pos always. */
		raw = rb_load_acquire(rp);
		pos = raw & ~RB_READ_TAKEN; /* the bit is reclaim's bookkeeping */
		/* [C1] acquire: pairs with the producers' CAS [P2]. */
		prod = rb_load_acquire(rb->producer_pos);
		if (rb_unlikely(prod - pos > rb->size)) {
			/* Producers lapped us between the two loads? */
			if (rb_load_acquire(rp) != raw) /* [O5] */
				continue;
			ret = corrupt(rb);
			break;
		}
		if (pos == prod)
			break;
		hdr = rb_hdr_at(rb, pos);
		speculative_begin();
		/* [C2] acquire: pairs with the commit's release [P4]/[P5]. */
		w = rb_load_acquire(hdr);
		speculative_end();
		st = rb_rec_decode(rb, w, pos, prod, &r);
		if (st == RB_REC_BAD) {
			if (rb_load_acquire(rp) != raw) /* [O5] torn by an overwrite */
				continue;
			ret = corrupt(rb);
			break;
		}
		if (st == RB_REC_ZERO || st == RB_REC_BUSY) {
			if (rb_load_acquire(rp) != raw) /* [O5] overwritten meanwhile */
				continue;
			if (rb_stopped_at(rb, pos, prod))
				continue; /* recovered: the header now says DISCARD */
			break;
		}
		if (st == RB_REC_COMMITTED) {
			if (ensure_buf(&rb->copy_buf, &rb->copy_cap, r.fp)) {
				ret = -ENOMEM;
				break;
			}
			speculative_begin();
			copy_words(rb->copy_buf, hdr + 1, r.fp - RINGBUF_HDR_SZ);
			speculative_end();
		}
		/* [O6] acq_rel: take the record. Release: our copy's loads
		 * happen before reclaim zeroes or hands out this space (pairs
		 * with [O4]); so a successful CAS means the copy is exactly the
		 * committed record. Failure: reclaim took it first and counted
		 * it as overwritten; the copy may be torn and is dropped. */
		if (!rb_cas_acq_rel(rp, &raw, (pos + r.fp) | (raw & RB_READ_TAKEN)))
			continue;
		if (st == RB_REC_DISCARDED) {
			discarded++;
			continue;
		}
		cnt++;
		bytes += r.len;
		/* The callback gets our private copy: it stays valid for the
		 * whole callback even if producers overwrite the record. */
		ret = fn(ctx, rb->copy_buf, r.len);
		if (ret < 0)
			break;
	}
	/* consumer_pos tells AVAIL_DATA and committers (adaptive wakeup)
	 * where we are; producers never use it for room in this mode. */
	pos = rb_load_acquire(rp) & ~RB_READ_TAKEN;
	if (pos != rb_load_relaxed(rb->consumer_pos))
		rb_store_release(rb->consumer_pos, pos); /* [C3] */
	return rb_consume_result(rb, cnt, bytes, discarded, ret);
}

/* ---- snapshot ---- */

struct snap_rec {
	uint64_t pos;
	uint64_t hdr;
};

/* Find the committed records from the oldest still there (overwrite_pos, or
 * consumer_pos in normal mode) to producer_pos. Returns the count or a
 * negative errno; *out is malloc'ed. */
static long snapshot_walk(struct ringbuf *rb, uint64_t *base, struct snap_rec **out)
{
	struct snap_rec *recs = NULL;
	size_t cnt = 0, cap = 0;

	for (int attempt = 0; attempt < 16; attempt++) {
		/* [O7] acquire: pairs with [O3a]/[C3]. */
		uint64_t start = rb_load_acquire(base);
		uint64_t prod = rb_load_acquire(rb->producer_pos); /* [C1] */
		struct rb_rec r;
		uint64_t q, w;
		int bad, st;

		if (prod - start > rb->size) {
			if (rb_load_acquire(base) != start)
				continue; /* lapped between the two loads */
			free(recs);
			return corrupt(rb);
		}
		cnt = 0;
		bad = 0;
		for (q = start; q != prod; q += r.fp) {
			speculative_begin();
			w = rb_load_acquire(rb_hdr_at(rb, q)); /* [C2] */
			speculative_end();
			st = rb_rec_decode(rb, w, q, prod, &r);
			if (st == RB_REC_ZERO)
				break; /* claimed, header not written: nothing newer is known */
			if (st == RB_REC_BAD) {
				bad = 1;
				break;
			}
			if (st != RB_REC_COMMITTED)
				continue; /* BUSY or discarded: skip, newer ones still count */
			if (cnt == cap) {
				struct snap_rec *p;

				cap = cap ? cap * 2 : 64;
				p = realloc(recs, cap * sizeof(*recs));
				if (!p) {
					free(recs);
					return -ENOMEM;
				}
				recs = p;
			}
			recs[cnt++] = (struct snap_rec){ .pos = q, .hdr = w };
		}
		if (!bad) {
			*out = recs;
			return (long)cnt;
		}
		/* A bad header with the base unmoved is garbage; with the base
		 * moved, the walk raced an overwrite: walk again. */
		if (rb_load_acquire(base) == start) {
			free(recs);
			return corrupt(rb);
		}
	}
	/* Producers lap us faster than we can walk: report what we have. */
	*out = recs;
	return (long)cnt;
}

int ringbuf_snapshot(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx,
		     size_t max_records, size_t max_bytes)
{
	const int over = rb && (rb->flags & RINGBUF_F_OVERWRITE);
	struct snap_rec *recs = NULL;
	uint64_t *base, *buf = NULL;
	size_t first, total = 0, cap = 0;
	long cnt;
	int delivered = 0, ret = 0;

	rb_clear_detail();
	if (!rb || !fn)
		return -EINVAL;
	if (!rb_is_user(rb))
		return -EOPNOTSUPP;
	base = over ? rb->overwrite_pos : rb->consumer_pos;
	cnt = snapshot_walk(rb, base, &recs);
	if (cnt < 0)
		return (int)cnt;

	/* The newest records that fit the limits. */
	for (first = (size_t)cnt; first > 0; first--) {
		uint64_t len = rb_hdr_len(recs[first - 1].hdr) & ~RB_HDR_FLAGS;

		if (max_records && (size_t)cnt - first >= max_records)
			break;
		if (max_bytes && total + len > max_bytes)
			break;
		total += len;
	}

	/* Copy each out, then check it was not overwritten while we copied
	 * (seqlock-style): overwrite_pos moves before any byte does [O3a]. In
	 * normal mode the consumer zeroes before it moves consumer_pos, so
	 * there a snapshot is exact only while no consumer runs. */
	for (size_t i = first; i < (size_t)cnt && ret >= 0; i++) {
		uint64_t q = recs[i].pos, w = recs[i].hdr;
		uint64_t len = rb_hdr_len(w) & ~RB_HDR_FLAGS, fp = rb_round_up_hdr(len);

		if (ensure_buf((void **)&buf, &cap, fp)) {
			ret = -ENOMEM;
			break;
		}
		/* [O7] acquire loads: a copied byte written by an overwrite
		 * (after its [O3a]) makes the new base visible below. */
		speculative_begin();
		copy_words_acquire(buf, rb_hdr_at(rb, q), fp);
		speculative_end();
		if ((int64_t)(rb_load_acquire(base) - q) > 0 || buf[0] != w)
			continue; /* overwritten (or consumed) under our eyes */
		delivered++;
		ret = fn(ctx, buf + 1, len);
	}
	free(buf);
	free(recs);
	return ret < 0 ? ret : delivered;
}
