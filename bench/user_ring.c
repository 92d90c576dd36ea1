// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport user_ring: one ring of ours. Producers reserve
 * and submit (or output) and retry when the ring is full; the row says how
 * they wake the consumer (each commit, NO_WAKEUP, sampled) and how the
 * consumer reads (a ringbuf_consume loop, the manager's poll, the
 * manager's consume in a loop).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "harness.h"

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

static void user_produce(struct run *r, int id)
{
	struct ringbuf *rb = r->src;
	const size_t len = r->len;
	const int out = r->row->output, sampled = r->row->wake == WAKE_SAMPLED;
	uint64_t flags = r->row->wake != WAKE_EACH ? RINGBUF_NO_WAKEUP : 0;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
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
				void *p;

				while (!(p = ringbuf_reserve(rb, len, 0))) {
					if (atomic_load_explicit(&r->stop, memory_order_relaxed))
						return;
					relax();
				}
				rec_fill(p, len, tag | seq);
				ringbuf_submit(rb, p, f);
			}
			seq++;
		}
	}
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
