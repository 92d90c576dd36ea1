// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport user_ring: one ring of ours. Producers reserve
 * (one record, or the row's batch in one call) and submit each (or output)
 * and retry when the ring is full; the row says how they wake the consumer
 * (each commit, NO_WAKEUP, sampled) and how the consumer reads (a
 * ringbuf_consume loop, the manager's poll, the manager's consume in a
 * loop).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "harness.h"

/* Records a producer writes between two looks at r->stop; a row's batch
 * is at most this. */
#define BURST 64

static int user_open(struct run *r)
{
	const struct row *w = r->row;
	RINGBUF_OPTS(o, .flags = w->overwrite ? RINGBUF_F_OVERWRITE : 0);
	struct ringbuf *rb = ringbuf_create(NULL, RING_SIZE, &o);
	int err;

	if (!rb) {
		err = errno;
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create%s: %s",
			 w->overwrite ? "(RINGBUF_F_OVERWRITE)" : "", strerror(err));
		return -err;
	}
	r->src = rb;
	r->chk.allow_gaps = w->overwrite;
	if (w->batch > BURST) {
		snprintf(r->res->why, sizeof(r->res->why), "batch %d: at most %d", w->batch, BURST);
		ringbuf_free(rb);
		return -EINVAL;
	}
	/* The latency rows' busy consumer sets its own policy. */
	if (bench_idle_spin_ns && !w->idle_none && w->kind != ROW_LATENCY) {
		RINGBUF_IDLE_OPTS(io, .spin_ns = bench_idle_spin_ns);

		ringbuf_set_idle(rb, &io);
	}
	return 0;
}

static void user_close(struct run *r)
{
	ringbuf_free(r->src);
}

/* n records of len into p: one ringbuf_reserve (the plain rows), or one
 * ringbuf_reserve_batch for n. A full ring is retried until the row stops,
 * as a producer that does not drop does. 0, or -1: the row stopped, or the
 * library refused for another reason (the row failed). */
static inline __attribute__((always_inline)) int
reserve_records(struct run *r, struct ringbuf *rb, size_t len, unsigned int n, void **p)
{
	for (;;) {
		int err;

		if (n == 1)
			err = (p[0] = ringbuf_reserve(rb, len, 0)) ? 0 : -ENOSPC;
		else
			err = ringbuf_reserve_batch(rb, len, n, p, 0);
		if (!err)
			return 0;
		if (err != -ENOSPC) {
			row_failed(r->res, "ringbuf_reserve_batch(%u records of %zu B): %s", n, len,
				   strerror(-err));
			return -1;
		}
		if (atomic_load_explicit(&r->stop, memory_order_relaxed))
			return -1;
		relax();
	}
}

/* The producer loop, n records per reservation. Always inlined: with n the
 * constant 1 the plain rows' loop is one direct ringbuf_reserve per record,
 * as it was before there were batches. */
static inline __attribute__((always_inline)) void produce_records(struct run *r, int id,
								  unsigned int n)
{
	struct ringbuf *rb = r->src;
	const size_t len = r->len;
	const int out = r->row->output, sampled = r->row->wake == WAKE_SAMPLED;
	uint64_t flags = r->row->wake != WAKE_EACH ? RINGBUF_NO_WAKEUP : 0;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];
	void *p[BURST];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (unsigned int k = 0; k < BURST; k += n) {
			if (!out && reserve_records(r, rb, len, n, p))
				return;
			for (unsigned int i = 0; i < n; i++, seq++) {
				uint64_t f = flags;

				if (sampled && seq % SAMPLE_N == 0)
					f = RINGBUF_FORCE_WAKEUP;
				if (out) {
					rec_fill(tmp, len, tag | seq);
					while (ringbuf_output(rb, tmp, len, f)) {
						if (atomic_load_explicit(&r->stop, memory_order_relaxed))
							return;
						relax();
					}
				} else {
					rec_fill(p[i], len, tag | seq);
					ringbuf_submit(rb, p[i], f);
				}
			}
		}
	}
}

static void user_produce(struct run *r, int id)
{
	if (r->row->batch > 1)
		produce_records(r, id, (unsigned int)r->row->batch);
	else
		produce_records(r, id, 1);
}

static void consume_busy(struct run *r)
{
	struct ringbuf *rb = r->src;

	if (r->row->idle_none) {
		RINGBUF_IDLE_OPTS(io, .policy = RINGBUF_IDLE_NONE);

		if (ringbuf_set_idle(rb, &io)) {
			row_failed(r->res, "ringbuf_set_idle failed");
			return;
		}
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consume(rb, check_cb, &r->chk);

		if (n < 0) {
			row_failed(r->res, "ringbuf_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			return;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r); /* every busy loop here, ours and the anchors' */
	}
}

/* A manager with the row's ring as its one source, or NULL (row failed). */
static struct ringbuf_consumer *row_manager(struct run *r)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int n;

	if (!c || (n = ringbuf_consumer_add(c, r->src, check_cb, &r->chk)) < 0) {
		row_failed(r->res, "manager: %s", strerror(c ? -n : errno));
		ringbuf_consumer_free(c);
		return NULL;
	}
	return c;
}

static void consume_poll(struct run *r)
{
	struct ringbuf_consumer *c = row_manager(r);
	int n;

	if (!c)
		return;
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = ringbuf_consumer_poll(c, 20);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "ringbuf_consumer_poll after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done) {
			while ((n = ringbuf_consumer_consume(c)) > 0)
				;
			break;
		}
	}
	ringbuf_consumer_free(c);
}

/* The manager's busy loop: ringbuf_consumer_consume, its default idle
 * policy, nothing else. */
static void consume_manager_busy(struct run *r)
{
	struct ringbuf_consumer *c = row_manager(r);
	int n;

	if (!c)
		return;
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = ringbuf_consumer_consume(c);
		if (n < 0) {
			row_failed(r->res, "ringbuf_consumer_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
	}
	ringbuf_consumer_free(c);
}

static void user_consume(struct run *r)
{
	switch (r->row->consume) {
	case CONSUME_BUSY: consume_busy(r); break;
	case CONSUME_POLL: consume_poll(r); break;
	case CONSUME_MANAGER_BUSY: consume_manager_busy(r); break;
	}
}

/* The consumer's stalls at uncommitted records, per second of the row:
 * counted by the handle that consumed, the ring (the manager rows consume
 * through it too). */
static int user_finish(struct run *r)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };

	if (!ringbuf_get_stats(r->src, &st))
		report_stalls(r, &st);
	return 0;
}

/* Back-to-back: one thread on one CPU, alternating B2B_BATCH records of
 * producing with consuming them. */
static void *b2b_reserve(void *rb, size_t len)
{
	return ringbuf_reserve(rb, len, 0);
}

static void b2b_submit(void *rb, void *p)
{
	ringbuf_submit(rb, p, 0);
}

static int b2b_consume(void *rb, struct checker *chk)
{
	return ringbuf_consume(rb, check_cb, chk);
}

static int user_back_to_back(struct run *r)
{
	struct ringbuf *rb = ringbuf_create(NULL, RING_SIZE, NULL);

	if (!rb) {
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create: %s", strerror(errno));
		return -errno;
	}
	b2b_loop(r, rb, b2b_reserve, b2b_submit, b2b_consume, "ringbuf_consume");
	ringbuf_free(rb);
	return 0;
}

/* ---- latency: the producer outputs; the consumer sleeps in the
 * manager's poll, or spins in ringbuf_consume with the idle policy the
 * row says (default BACKOFF) ---- */

static int user_put(struct run *r, const void *rec)
{
	return ringbuf_output(r->src, rec, LAT_LEN, 0);
}

static void lat_consume_poll(struct run *r)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();

	if (!c || ringbuf_consumer_add(c, r->src, lat_cb, r->aux) < 0) {
		row_failed(r->res, "manager: %s", strerror(errno));
		ringbuf_consumer_free(c);
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consumer_poll(c, 20);

		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "ringbuf_consumer_poll: %s", strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
	}
	ringbuf_consumer_free(c);
}

static void lat_consume_busy(struct run *r)
{
	RINGBUF_IDLE_OPTS(io, .policy = r->row->idle_none ? RINGBUF_IDLE_NONE : RINGBUF_IDLE_BACKOFF,
			  .spin_ns = bench_idle_spin_ns);

	if (ringbuf_set_idle(r->src, &io)) {
		row_failed(r->res, "ringbuf_set_idle failed");
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consume(r->src, lat_cb, r->aux);

		if (n < 0) {
			row_failed(r->res, "ringbuf_consume: %s", strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r);
	}
}

static void user_lat_consume(struct run *r)
{
	if (r->row->consume == CONSUME_POLL)
		lat_consume_poll(r);
	else
		lat_consume_busy(r);
}

const struct transport user_ring = {
	.open = user_open,
	.produce = user_produce,
	.consume = user_consume,
	.finish = user_finish,
	.close = user_close,
	.put = user_put,
	.lat_consume = user_lat_consume,
	.back_to_back = user_back_to_back,
};
