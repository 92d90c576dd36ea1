// SPDX-License-Identifier: MIT
/*
 * The consumer side of one ring: the consume loop of each kind of ring
 * (user ring, kernel BPF ring; called through its ops table, kinds.c),
 * the wakeup arming, and a single-ring poll. Shared memory is untrusted
 * here: every position and header is read once, checked, and garbage ends
 * the call with -EBADMSG.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "overwrite.h"
#include "record.h"

/* How far the consumer may run ahead of the consumer_pos it has published.
 * Publishing once per batch instead of once per record keeps the consumer
 * page's cache line from bouncing on every record. */
static uint64_t publish_batch(const struct ringbuf *rb)
{
	return rb->size / 4 < 16384 ? rb->size / 4 : 16384;
}

static int corrupt(struct ringbuf *rb)
{
	RB_STAT(rb, corrupt_events, 1);
	return -EBADMSG;
}

/* Where a consume call starts: cons at the hold cursor while records are
 * held (hold mode, src/hold.c), else at consumer_pos; published is
 * consumer_pos. Only this consumer writes consumer_pos, but anyone can
 * scribble on it: 0 when the two cannot be ours. */
static int start_cursor(struct ringbuf *rb, uint64_t *cons, uint64_t *published)
{
	*cons = *published = rb_load_relaxed(rb->consumer_pos);
	if (rb->holding)
		*cons = rb->hold_pos;
	return !((*cons & 7) || (*published & 7) || *cons - *published > rb->size);
}

/* Where a consume call ends: with hfn the records stay held (consumer_pos
 * does not move, the hold cursor does); without, everything up to cons is
 * released, held records included. */
static void finish_cursor(struct ringbuf *rb, ringbuf_hold_fn hfn, uint64_t published,
			  uint64_t cons)
{
	if (hfn) {
		rb->hold_pos = cons;
		rb->holding = 1;
	} else {
		if (cons != published)
			rb_release_range(rb, published, cons, rb_is_user(rb));
		rb->holding = 0;
	}
}

/* Hand one committed record to the callback (or count it discarded). */
static inline int deliver(int st, uint64_t len, uint64_t *hdr, uint64_t cons,
			  ringbuf_sample_fn fn, ringbuf_hold_fn hfn, void *ctx, size_t *cnt,
			  uint64_t *bytes, uint64_t *discarded)
{
	if (st == RB_REC_DISCARDED) {
		++*discarded;
		return 0;
	}
	++*cnt;
	*bytes += len;
	return hfn ? hfn(ctx, hdr + 1, len, cons) : fn(ctx, hdr + 1, len);
}

/* Kernel rings: their free space is not zeroed, so a header past
 * producer_pos may be a stale one from an earlier lap; only positions below
 * producer_pos are walked. */
RB_HIDDEN int rb_consume_kernel(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
				void *ctx, size_t n)
{
	const uint64_t batch = publish_batch(rb);
	uint64_t cons, published, prod, w, bytes = 0, discarded = 0;
	struct rb_rec r;
	uint64_t *hdr;
	size_t cnt = 0;
	int ret = 0, st;

	if (!start_cursor(rb, &cons, &published))
		return corrupt(rb);
	for (;;) {
		/* [C1] acquire: pairs with the producers' CAS [P2]. */
		prod = rb->last_prod = rb_load_acquire(rb->producer_pos);
		/* Producers never claim past published + size: anything else
		 * is garbage. */
		if (rb_unlikely(prod - published > rb->size || prod - cons > rb->size)) {
			ret = corrupt(rb);
			goto out;
		}
		if (cons == prod)
			goto out;
		while (cons != prod) {
			if (cnt >= n)
				goto out;
			hdr = rb_hdr_at(rb, cons);
			/* [C2] acquire: pairs with the commit's release. */
			w = rb_load_acquire(hdr);
			st = rb_rec_decode(rb, w, cons, prod, &r);
			if (rb_unlikely(st == RB_REC_BAD)) {
				/* Including a BUSY header no producer could
				 * have written: corruption, not a reason to
				 * wait. */
				ret = corrupt(rb);
				goto out;
			}
			if (st == RB_REC_ZERO || st == RB_REC_BUSY) {
				if (!rb_stopped_at(rb, cons, prod))
					goto out;
				continue;
			}
			ret = deliver(st, r.len, hdr, cons, fn, hfn, ctx, &cnt, &bytes, &discarded);
			cons += r.fp;
			if (!hfn && cons - published >= batch) {
				rb_release_range(rb, published, cons, 0);
				published = cons;
			}
			if (ret < 0)
				goto out;
		}
	}
out:
	finish_cursor(rb, hfn, published, cons);
	return rb_consume_result(rb, cnt, bytes, discarded, ret);
}

/* The last record boundary at or below lim, walking from `from` (a
 * boundary) over headers this call has walked already: they are intact
 * until rb_release_range zeroes them. Only for the garbage case below. */
static uint64_t boundary_below(struct ringbuf *rb, uint64_t from, uint64_t lim)
{
	uint64_t b = from;

	while (b != lim) {
		uint64_t w = rb_load_acquire(rb_hdr_at(rb, b)); /* [C2] */
		struct rb_rec r;

		if (!rb_rec_done(rb_rec_decode(rb, w, b, lim, &r)))
			break;
		b += r.fp;
	}
	return b;
}

/*
 * User rings: walk the record headers, and read producer_pos only when the
 * walk stops (docs/DESIGN.md §4). By I2 a header that is neither zero nor
 * BUSY was committed in this lap, so it is claimed: the walk does not need
 * producer_pos to know where records end. What it cannot trust is the
 * length in a header another process may have scribbled; its bound is our
 * own published position + size (I1), which keeps every memset within one
 * lap, and producer_pos, read where the walk stops and before every
 * release, proves the walk stayed below it: consumer_pos is never
 * published past producer_pos, whatever the headers said.
 */
RB_HIDDEN int rb_consume_user(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
			      void *ctx, size_t n)
{
	const uint64_t batch = publish_batch(rb);
	uint64_t cons, published, prod, w, bytes = 0, discarded = 0;
	struct rb_rec r;
	uint64_t *hdr;
	uint64_t stop_w;
	size_t cnt = 0;
	int ret = 0, bad = 0, st;

	/* Awake: withdraw a sleep announced by the last wait_prepare. */
	if (rb_load_relaxed(rb->cons_waiting))
		rb_store_relaxed(rb->cons_waiting, 0);

	if (rb_unlikely(!start_cursor(rb, &cons, &published)))
		return corrupt(rb);
	/* An idle consumer looks at the header word at its position and not
	 * at producer_pos while the ring was empty here when it last read
	 * producer_pos: by I2 that word stays zero until a producer writes
	 * it. A zero header *before* producer_pos is a claim whose producer
	 * may be dead, and must go to the stuck check every time; every 64th
	 * idle look reads producer_pos, so such a claim made after that read
	 * is found too. [C2] */
	if (rb->last_prod == cons && rb_load_acquire(rb_hdr_at(rb, cons)) == 0 &&
	    (++rb->idle_peeks & 63)) {
		finish_cursor(rb, hfn, published, cons); /* releases what was held */
		return rb_consume_result(rb, 0, 0, 0, 0);
	}
	for (;;) {
		stop_w = 0;
		/* A whole lap walked (held records fill the ring): the word at
		 * cons is the first of them again, not free space. */
		while (cnt < n && cons - published < rb->size) {
			hdr = rb_hdr_at(rb, cons);
			/* [C2] acquire: pairs with the commit's release [P4]/[P5];
			 * a committed header makes its payload visible. */
			w = rb_load_acquire(hdr);
			/* Bounded by our own published + size (I1). */
			st = rb_rec_decode(rb, w, cons, published + rb->size, &r);
			if (st == RB_REC_ZERO || st == RB_REC_BUSY) {
				stop_w = w; /* not written or not committed yet */
				break;
			}
			if (rb_unlikely(st == RB_REC_BAD)) {
				bad = 1;
				break;
			}
			ret = deliver(st, r.len, hdr, cons, fn, hfn, ctx, &cnt, &bytes, &discarded);
			/* The record stays intact until rb_release_range zeroes
			 * it, after the callback. */
			cons += r.fp;
			if (rb_unlikely(!hfn && cons - published >= batch)) {
				/* [C1] acquire: pairs with the producers' CAS [P2]. */
				prod = rb->last_prod = rb_load_acquire(rb->producer_pos);
				if (rb_unlikely(prod - published > rb->size ||
						cons - published > prod - published))
					goto garbage;
				rb_release_range(rb, published, cons, 1);
				published = cons;
			}
			if (ret < 0)
				break;
		}
		/* [C1] acquire: pairs with the producers' CAS [P2]. Producers
		 * never claim past published + size, and the walk can never
		 * pass producer_pos: anything else is garbage. */
		prod = rb->last_prod = rb_load_acquire(rb->producer_pos);
		if (rb_unlikely(prod - published > rb->size || cons - published > prod - published))
			goto garbage;
		if (rb_unlikely(bad)) {
			ret = corrupt(rb);
			break;
		}
		if (ret < 0 || cnt >= n || cons == prod)
			break;
		/* Stopped before producer_pos at a record not yet committed; a
		 * BUSY header no producer could have written is corruption,
		 * not a reason to wait. */
		if (stop_w && rb_unlikely(rb_rec_decode(rb, stop_w, cons, prod, &r) != RB_REC_BUSY)) {
			ret = corrupt(rb);
			break;
		}
		if (!rb_stopped_at(rb, cons, prod))
			break;
		/* recovered: the header now says DISCARD */
	}
	finish_cursor(rb, hfn, published, cons);
	return rb_consume_result(rb, cnt, bytes, discarded, ret);
garbage:
	/* Headers that claim records where nothing was claimed, or a
	 * producer_pos that cannot be: publish (or hold) no further than the
	 * records producer_pos vouches for; when it is garbage itself, not
	 * past where this call started. */
	{
		uint64_t start = rb->holding ? rb->hold_pos : published;

		if (prod - published <= rb->size && prod - published >= start - published)
			finish_cursor(rb, hfn, published, boundary_below(rb, start, prod));
		else if (hfn)
			finish_cursor(rb, hfn, published, start);
	}
	rb_consume_result(rb, cnt, bytes, discarded, 0);
	return corrupt(rb);
}

/* fn, or with hfn (hold mode, src/hold.c) deliver each record with its
 * position and leave its space held: consumer_pos stays where it is, the
 * consumer's private cursor rb->hold_pos moves. Without hfn, records held
 * before are released along with the ones consumed now. */
RB_HIDDEN int rb_consume_loop(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
			      void *ctx, size_t n)
{
	/* One call through the kind's table per consume call, not per
	 * record: the loops themselves are the kind's. */
	if (rb->flags & RINGBUF_F_OVERWRITE)
		return rb->ops->consume_overwrite(rb, fn, ctx, n);
	return rb->ops->consume(rb, fn, hfn, ctx, n);
}

RB_HIDDEN int rb_consume(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	return rb_consume_loop(rb, fn, NULL, ctx, n);
}

/* Is there a committed (or discarded) record at the consumer position? */
RB_HIDDEN int rb_has_data(struct ringbuf *rb)
{
	uint64_t cons = rb_read_cursor(rb);
	uint64_t prod, w;
	struct rb_rec r;
	int st;

	if ((rb->flags & RINGBUF_F_OVERWRITE) && rb_is_user(rb))
		/* [O5] the overwrite consumer's own cursor (overwrite.c):
		 * records below it are read or overwritten, and are not
		 * zeroed in this mode. Read before producer_pos. */
		cons = rb_load_acquire(rb_read_pos(rb)) & ~RB_READ_TAKEN;
	prod = rb->last_prod = rb_load_acquire(rb->producer_pos); /* [C1] */
	if (cons == prod)
		return 0;
	if (prod - cons > rb->size)
		return 1; /* garbage: let consume report it */
	w = rb_load_acquire(rb_hdr_at(rb, cons)); /* [C2] */
	/* A bad header counts as data too: let consume report it. */
	st = rb_rec_decode(rb, w, cons, prod, &r);
	return st != RB_REC_ZERO && st != RB_REC_BUSY;
}

/* User rings: announce the sleep in cons_waiting, then look once more.
 * (Kernel rings have no such word: their wait_prepare is rb_has_data, as
 * epoll on the map fd is level-triggered.) */
RB_HIDDEN int rb_wait_prepare_user(struct ringbuf *rb)
{
	rb_store_relaxed(rb->cons_waiting, 1);
	/* [C5] full barrier between announcing the sleep and the last look
	 * (Dekker with the committer's [P5]): a record committed after this
	 * look sees cons_waiting set and the consumer caught up to it. */
	rb_fence_full();
	if (rb_has_data(rb)) {
		rb_store_relaxed(rb->cons_waiting, 0);
		return 1;
	}
	return 0;
}

int ringbuf_wait_prepare(struct ringbuf *rb)
{
	rb_clear_detail();
	if (!rb)
		return -EINVAL;
	if (rb->role == RINGBUF_OBSERVER)
		return -EPERM;
	return rb->ops->wait_prepare(rb);
}

int ringbuf_consume(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx)
{
	return ringbuf_consume_n(rb, fn, ctx, SIZE_MAX);
}

int ringbuf_consume_n(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	int ret;

	rb_clear_detail();
	if (!rb || !fn)
		return -EINVAL;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	if (n == 0)
		return 0;
	ret = rb_consume(rb, fn, ctx, n);
	/* Found nothing: wait by the idle policy, then look once more. */
	if (ret == 0 && rb_idle_wait(&rb->idle))
		ret = rb_consume(rb, fn, ctx, n);
	if (ret != 0)
		rb_idle_end(&rb->idle);
	return ret;
}

int ringbuf_set_idle(struct ringbuf *rb, const struct ringbuf_idle_opts *opts)
{
	rb_clear_detail();
	if (!rb)
		return rb_api_ret(-EINVAL);
	return rb_api_ret(rb_idle_set(&rb->idle, opts));
}

int ringbuf_poll(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? rb_now_ns() + (uint64_t)timeout_ms * 1000000ULL : 0;
	struct pollfd pfd;
	int ret, t, cap;

	rb_clear_detail();
	if (!rb || !fn)
		return -EINVAL;
	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	for (;;) {
		/* Stopped at a record not yet committed: wake up in time to
		 * recover it if its producer died (recover.c). */
		cap = rb_recover_wait_ms(rb);
		t = timeout_ms;
		if (timeout_ms > 0) {
			uint64_t now = rb_now_ns();

			t = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		}
		if (cap >= 0 && (t < 0 || t > cap))
			t = cap;
		else
			cap = -1;
		ret = ringbuf_wait_prepare(rb);
		if (ret == 0) {
			pfd.fd = rb->ops->wake_fd(rb); /* ringbuf_fd: we are its consumer */
			pfd.events = POLLIN;
			ret = poll(&pfd, 1, t);
			if (ret < 0)
				return -errno;
			rb_drain_wake(rb);
		}
		ret = rb_consume(rb, fn, ctx, SIZE_MAX);
		/* Only a sleep we shortened is repeated, up to the caller's
		 * timeout. */
		if (ret != 0 || cap < 0 || (timeout_ms >= 0 && rb_now_ns() >= deadline))
			return ret;
	}
}
