// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport sharded: our sharded object (src/shard_*.c), one
 * shard per producer thread, so each producer's records stay in order (the
 * checker's rule) and producers share no line. The shards share RING_SIZE
 * between them: the same memory as the one-ring rows (the consumer's
 * working set is what the cache holds).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "harness.h"

static int sharded_open(struct run *r)
{
	RINGBUF_SHARDED_OPTS(o, .shard_by = RINGBUF_SHARD_BY_THREAD);
	struct ringbuf_sharded *sh = ringbuf_create_sharded(NULL, RING_SIZE / (size_t)r->nprod,
							    (unsigned int)r->nprod, &o);
	int err;

	if (!sh) {
		err = errno;
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create_sharded: %s", strerror(err));
		return -err;
	}
	r->src = sh;
	if (bench_idle_spin_ns) {
		RINGBUF_IDLE_OPTS(io, .spin_ns = bench_idle_spin_ns);

		ringbuf_sharded_set_idle(sh, &io);
	}
	return 0;
}

static void sharded_close(struct run *r)
{
	ringbuf_sharded_free(r->src);
}

static void sharded_produce(struct run *r, int id)
{
	struct ringbuf_sharded *sh = r->src;
	const size_t len = r->len;
	uint64_t seq = 0, tag = (uint64_t)id << 56;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			void *p;

			while (!(p = ringbuf_sharded_reserve(sh, len, 0))) {
				if (atomic_load_explicit(&r->stop, memory_order_relaxed))
					return;
				relax();
			}
			rec_fill(p, len, tag | seq);
			ringbuf_sharded_submit(sh, p, 0);
			seq++;
		}
	}
}

static void sharded_consume(struct run *r)
{
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_sharded_consume(r->src, check_cb, &r->chk, 0);

		if (n < 0) {
			row_failed(r->res, "ringbuf_sharded_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			return;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r);
	}
}

/* Stalls at a BUSY record, summed over the shards. */
static int sharded_finish(struct run *r)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };

	if (!ringbuf_sharded_get_stats(r->src, &st))
		report_stalls(r, &st);
	return 0;
}

/* One thread on one CPU, one shard: with nothing crossing between cores,
 * what the sharded calls add per record to ringbuf back-to-back's. */
static void *b2b_reserve(void *sh, size_t len)
{
	return ringbuf_sharded_reserve(sh, len, 0);
}

static void b2b_submit(void *sh, void *p)
{
	ringbuf_sharded_submit(sh, p, 0);
}

static int b2b_consume(void *sh, struct checker *chk)
{
	return ringbuf_sharded_consume(sh, check_cb, chk, 0);
}

static int sharded_back_to_back(struct run *r)
{
	struct ringbuf_sharded *sh = ringbuf_create_sharded(NULL, RING_SIZE, 1, NULL);

	if (!sh) {
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create_sharded: %s",
			 strerror(errno));
		return -errno;
	}
	b2b_loop(r, sh, b2b_reserve, b2b_submit, b2b_consume, "ringbuf_sharded_consume");
	ringbuf_sharded_free(sh);
	return 0;
}

const struct transport sharded = {
	.open = sharded_open,
	.produce = sharded_produce,
	.consume = sharded_consume,
	.finish = sharded_finish,
	.close = sharded_close,
	.back_to_back = sharded_back_to_back,
};
