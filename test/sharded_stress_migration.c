// SPDX-License-Identifier: MIT
/* Sharded rings under the common stress body (test/lib/stress.c): producer
 * threads write self-checking records into one sharded object while they
 * flip their CPU affinity every few records (sched_setaffinity), so they
 * migrate between choosing a shard and claiming in it. Nothing may be lost,
 * duplicated or corrupted, and no discarded record delivered:
 *   1. per-CPU shards, busy consumer, records of one producer in several
 *      shards (exactly once, not order);
 *   2. per-thread shards, stamped, the manager's merged poll: each producer
 *      stays in order, and within each consume call the keys the merge hands
 *      out never go down;
 *   3. per-CPU shards, stamped, output(), plain consume;
 *   4. and 5. the same with batch producers (ringbuf_sharded_reserve_batch,
 *      16 per claim, committed shuffled) beside single-record ones: merged
 *      (a batch's records share one key and must keep their order) and
 *      per CPU. */
#include <sched.h>
#include <unistd.h>

#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

struct sh {
	struct ringbuf_sharded *s;
	uint64_t flags;              /* consume flags */
	int ncpu;
	int migrate;
	/* key check (merge) */
	int (*fn)(void *, void *, size_t);
	void *ctx;
	uint64_t last_key;
	long key_checked;
};

static void *sh_reserve(void *o, size_t len)
{
	return ringbuf_sharded_reserve(((struct sh *)o)->s, len, 0);
}

static int sh_reserve_batch(void *o, size_t len, unsigned int n, void **recs)
{
	return ringbuf_sharded_reserve_batch(((struct sh *)o)->s, len, n, recs, 0);
}

static void sh_commit(void *o, void *rec, uint64_t flags, int discard)
{
	if (discard)
		ringbuf_sharded_discard(((struct sh *)o)->s, rec, flags);
	else
		ringbuf_sharded_submit(((struct sh *)o)->s, rec, flags);
}

static int sh_output(void *o, const void *d, size_t len, uint64_t flags)
{
	return ringbuf_sharded_output(((struct sh *)o)->s, d, len, flags);
}

/* Merged: keys must not go down within one consume call. */
static int key_check(void *ctx, void *data, size_t size)
{
	struct sh *h = ctx;
	uint64_t k = ringbuf_sharded_key(data);

	if (k < h->last_key) {
		fprintf(stderr, "merge: key %llu after %llu\n", (unsigned long long)k,
			(unsigned long long)h->last_key);
		exit(1);
	}
	h->last_key = k;
	h->key_checked++;
	return h->fn(h->ctx, data, size);
}

static int sh_consume(void *o, int (*fn)(void *, void *, size_t), void *ctx)
{
	struct sh *h = o;

	if (!(h->flags & RINGBUF_SHARDED_MERGE))
		return ringbuf_sharded_consume(h->s, fn, ctx, 0);
	h->fn = fn;
	h->ctx = ctx;
	h->last_key = 0;
	return ringbuf_sharded_consume(h->s, key_check, h, h->flags);
}

static int sh_add(struct ringbuf_consumer *c, void *o, int (*fn)(void *, void *, size_t), void *ctx)
{
	struct sh *h = o;

	h->fn = fn;
	h->ctx = ctx;
	return ringbuf_consumer_add_sharded(c, h->s, key_check, h, h->flags);
}

static void sh_after_consume(void *o)
{
	((struct sh *)o)->last_key = 0; /* a new call: a new merge */
}

static uint64_t sh_avail(void *o)
{
	struct sh *h = o;
	uint64_t sum = 0;

	for (int i = 0; i < ringbuf_sharded_shard_cnt(h->s); i++)
		sum += ringbuf_query(ringbuf_sharded_shard(h->s, (unsigned int)i), RINGBUF_AVAIL_DATA);
	return sum;
}

/* Every 16 records, move to another CPU. */
static void sh_migrate(void *o, uint32_t producer, long seq)
{
	struct sh *h = o;
	cpu_set_t set;

	if (!h->migrate || seq % 16)
		return;
	CPU_ZERO(&set);
	CPU_SET((int)((producer + (uint64_t)seq / 16) % (uint64_t)h->ncpu), &set);
	CHECK_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void run(const char *what, unsigned int nshards, uint32_t shard_by, uint32_t flags,
		uint64_t cflags, enum stress_consumer consumer, int use_output, int unordered,
		unsigned int batch)
{
	RINGBUF_SHARDED_OPTS(o, .flags = flags, .shard_by = shard_by);
	struct sh h = { .flags = cflags, .migrate = 1 };
	struct stress_target t = {
		.obj = &h, .reserve = sh_reserve, .commit = sh_commit, .output = sh_output,
		.reserve_batch = sh_reserve_batch,
		.consume = sh_consume, .add = sh_add, .avail = sh_avail,
		.before_record = sh_migrate, .after_consume = sh_after_consume,
	};
	struct stress_cfg cfg = {
		.producers = 4,
		.records_per_producer = test_scaled(50000),
		.min_size = sizeof(struct test_rec),
		.max_size = 700,
		.discard_pct = 10,
		.use_output = use_output,
		.consumer = consumer,
		.target = &t,
		.unordered = unordered,
		.batch = batch,
	};
	struct stress_result res;
	struct ringbuf_stats st = { .sz = sizeof(st) };
	int used = 0;

	h.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	CHECK(h.ncpu >= 1);
	h.s = ringbuf_create_sharded(NULL, 64 * 1024, nshards, &o);
	CHECK(h.s);
	stress_run(NULL, &cfg, &res);
	for (unsigned int i = 0; i < nshards; i++) {
		struct ringbuf_stats one = { .sz = sizeof(one) };

		CHECK_EQ(ringbuf_get_stats(ringbuf_sharded_shard(h.s, i), &one), 0);
		used += one.delivered_records > 0;
	}
	CHECK_EQ(ringbuf_sharded_get_stats(h.s, &st), 0);
	/* Every record and end marker delivered, counted over the shards. */
	CHECK_EQ(st.delivered_records, res.delivered + (uint64_t)cfg.producers);
	/* Producers on every CPU, or four threads: more than one shard used. */
	if (h.ncpu > 1 || shard_by == RINGBUF_SHARD_BY_THREAD)
		CHECK(used > 1);
	if (cflags & RINGBUF_SHARDED_MERGE)
		CHECK(h.key_checked >= (long)res.delivered);
	printf("%s: %llu delivered, %llu discarded, %d of %u shards used\n", what,
	       (unsigned long long)res.delivered, (unsigned long long)res.discarded, used, nshards);
	ringbuf_sharded_free(h.s);
}

int main(void)
{
	run("per-cpu, busy", 2, RINGBUF_SHARD_BY_CPU, 0, 0, STRESS_BUSY, 0, 1, 0);
	run("per-thread, stamped, manager merge", 4, RINGBUF_SHARD_BY_THREAD,
	    RINGBUF_SHARDED_F_STAMP, RINGBUF_SHARDED_MERGE, STRESS_MANAGER, 0, 0, 0);
	run("per-cpu, stamped, output", 3, RINGBUF_SHARD_BY_CPU, RINGBUF_SHARDED_F_STAMP, 0,
	    STRESS_BUSY, 1, 1, 0);
	run("per-thread, stamped, batches of 16 beside single records, merged busy", 4,
	    RINGBUF_SHARD_BY_THREAD, RINGBUF_SHARDED_F_STAMP, RINGBUF_SHARDED_MERGE, STRESS_BUSY,
	    0, 0, 16);
	run("per-cpu, batches of 16 beside single records, busy", 2, RINGBUF_SHARD_BY_CPU, 0, 0,
	    STRESS_BUSY, 0, 1, 16);
	return 0;
}
