// SPDX-License-Identifier: MIT
/* The merged consume of a stamped sharded object, with keys chosen by
 * hand: records come out in key order across shards; a key that goes back
 * within its shard is raised to the shard's previous one (shard order is
 * never broken) and ringbuf_sharded_key() reports the raised key; a
 * callback error stops the merge and the next call delivers the rest
 * first; consume_n bounds it; bad uses fail with EINVAL; a stamped record
 * too short for its key is skipped and counted as corrupt. Also: a
 * producer pinned to a CPU writes to that CPU's shard. */
#include <sched.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

struct got {
	uint64_t key[32], val[32];
	int n;
	int fail_at;          /* return -42 on this record (1-based), 0: never */
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct got *g = ctx;

	CHECK_EQ(size, sizeof(uint64_t));
	CHECK(g->n < 32);
	g->key[g->n] = ringbuf_sharded_key(data);
	memcpy(&g->val[g->n], data, sizeof(uint64_t));
	g->n++;
	return g->n == g->fail_at ? -42 : 0;
}

/* A stamped record written straight into shard i: the documented layout,
 * u64 key then payload. */
static void put(struct ringbuf_sharded *s, unsigned int i, uint64_t key, uint64_t val)
{
	uint64_t rec[2] = { key, val };

	CHECK_EQ(ringbuf_output(ringbuf_sharded_shard(s, i), rec, sizeof(rec), 0), 0);
}

int main(void)
{
	RINGBUF_SHARDED_OPTS(o, .flags = RINGBUF_SHARDED_F_STAMP);
	struct ringbuf_sharded *s = ringbuf_create_sharded(NULL, test_page_size(), 3, &o);
	struct ringbuf_sharded *plain;
	struct ringbuf_consumer *c;
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct got g = { .fail_at = 4 };
	/* value = position in the expected merged order */
	static const uint64_t want_key[] = { 1, 2, 3, 5, 6, 7, 8, 9, 9, 10 };
	uint64_t v;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(s);
	{
		/* Stay on one CPU (the first allowed): below, two outputs of
		 * this thread must land in one shard. */
		cpu_set_t set, one;

		CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
		for (int k = 0; k < CPU_SETSIZE; k++)
			if (CPU_ISSET(k, &set)) {
				CPU_ZERO(&one);
				CPU_SET(k, &one);
				CHECK_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
				break;
			}
	}
	CHECK_EQ(ringbuf_sharded_shard_cnt(s), 3);
	CHECK(!ringbuf_sharded_shard(s, 3) && errno == ENOENT);
	put(s, 0, 1, 0);
	put(s, 0, 5, 3);
	put(s, 0, 9, 7);
	put(s, 0, 4, 8);    /* went back: raised to 9, stays after 9 */
	put(s, 1, 2, 1);
	put(s, 1, 3, 2);
	put(s, 1, 10, 9);
	put(s, 2, 6, 4);
	put(s, 2, 7, 5);
	put(s, 2, 8, 6);

	/* The callback fails on the 4th: -42, that record is consumed. */
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, RINGBUF_SHARDED_MERGE), -42);
	CHECK_EQ(g.n, 4);
	/* A record arriving now waits until the staged ones are out. */
	put(s, 2, 0, 10);   /* raised to shard 2's last key, 8 */
	g.fail_at = 0;
	CHECK_EQ(ringbuf_sharded_consume_n(s, on_rec, &g, 2, RINGBUF_SHARDED_MERGE), 2);
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, RINGBUF_SHARDED_MERGE), 4);
	CHECK_EQ(g.n, 10);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(g.val[i], i);
		CHECK_EQ(g.key[i], want_key[i]);
	}
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, RINGBUF_SHARDED_MERGE), 1);
	CHECK_EQ(g.val[10], 10);
	CHECK_EQ(g.key[10], 8);
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, RINGBUF_SHARDED_MERGE), 0);

	/* Our own stamps through the API, and the same through the manager. */
	g.n = 0;
	v = 100;
	CHECK_EQ(ringbuf_sharded_output_key(s, 300, &v, sizeof(v), 0), 0);
	v = 101;
	CHECK_EQ(ringbuf_sharded_output_key(s, 200, &v, sizeof(v), 0), 0);
	c = ringbuf_consumer_new();
	CHECK(c);
	CHECK_EQ(ringbuf_consumer_add_sharded(c, s, on_rec, &g, RINGBUF_SHARDED_MERGE), 0);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 1);
	CHECK_EQ(ringbuf_consumer_poll(c, 1000), 2);
	CHECK_EQ(g.n, 2);
	/* Both went to this thread's one shard: shard order, raised keys. */
	CHECK_EQ(g.val[0], 100);
	CHECK_EQ(g.val[1], 101);
	CHECK_EQ(g.key[1], 300);

	/* A stamped record shorter than its key: skipped, counted. */
	CHECK_EQ(ringbuf_output(ringbuf_sharded_shard(s, 1), &v, 4, 0), 0);
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, RINGBUF_SHARDED_MERGE), 0);
	CHECK_EQ(ringbuf_sharded_get_stats(s, &st), 0);
	CHECK_EQ(st.corrupt_events, 1);
	CHECK_EQ(g.n, 2);

	/* Bad uses. */
	CHECK(!ringbuf_sharded_reserve(s, (size_t)RINGBUF_MAX_RECORD_SZ, 0) && errno == E2BIG);
	CHECK(!ringbuf_sharded_reserve(s, 8, 1) && errno == EINVAL);
	CHECK_EQ(ringbuf_sharded_consume(s, on_rec, &g, 4), -EINVAL);
	plain = ringbuf_create_sharded(NULL, test_page_size(), 2, NULL);
	CHECK(plain);
	CHECK_EQ(ringbuf_sharded_consume(plain, on_rec, &g, RINGBUF_SHARDED_MERGE), -EINVAL);
	CHECK_EQ(ringbuf_consumer_add_sharded(c, plain, on_rec, &g, RINGBUF_SHARDED_MERGE), -EINVAL);
	CHECK_EQ(ringbuf_sharded_output_key(plain, 1, &v, sizeof(v), 0), -EINVAL);
	CHECK(!ringbuf_create_sharded(NULL, test_page_size(), 0, NULL) && errno == EINVAL);
	CHECK(!ringbuf_create_sharded(NULL, test_page_size(), RINGBUF_MAX_SHARDS + 1, NULL) &&
	      errno == EINVAL);
	CHECK(!ringbuf_create_sharded(NULL, 1000, 2, NULL) && errno == EINVAL);
	{
		RINGBUF_SHARDED_OPTS(bad, .shard_by = 7);
		CHECK(!ringbuf_create_sharded(NULL, test_page_size(), 2, &bad) && errno == EINVAL);
	}

	/* Per-CPU routing: pinned to CPU k, records go to shard k % 2. */
	for (int k = 0; k < ncpu && k < 4; k++) {
		cpu_set_t set;
		struct ringbuf *sh;
		uint64_t before;

		CPU_ZERO(&set);
		CPU_SET(k, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			continue; /* not allowed on that CPU: nothing to prove */
		CHECK_EQ(ringbuf_sharded_current(plain), k % 2);
		sh = ringbuf_sharded_shard(plain, (unsigned int)(k % 2));
		before = ringbuf_query(sh, RINGBUF_PROD_POS);
		CHECK_EQ(ringbuf_sharded_output(plain, &v, sizeof(v), 0), 0);
		CHECK_EQ(ringbuf_query(sh, RINGBUF_PROD_POS), before + 16);
	}
	g.n = 0;
	CHECK(ringbuf_sharded_consume(plain, on_rec, &g, 0) >= 1);

	ringbuf_consumer_free(c);
	ringbuf_sharded_free(plain);
	ringbuf_sharded_free(s);
	ringbuf_sharded_free(NULL);
	printf("merged order, raised keys, resumption after an error, bad uses: ok\n");
	return 0;
}
