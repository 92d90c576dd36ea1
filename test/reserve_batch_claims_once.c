// SPDX-License-Identifier: MIT
/* ringbuf_reserve_batch: n records claimed at once move the producer
 * position by exactly n footprints; each record is committed on its own,
 * in any order, and the consumer still sees them in ring order, stopping at
 * the first one not yet committed; a batch may wrap; a batch that does not
 * fit is refused whole (ENOSPC now, E2BIG never), the refusal counts n
 * drops and leaves the ring and every committed record as they were; bad
 * arguments, a consumer-only handle and an overwrite ring are refused. The
 * sharded form puts a batch in one shard under one key. */
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define N 8

struct seen {
	uint64_t next;      /* seq expected next */
	uint64_t skip;      /* a discarded seq, never delivered */
	size_t size;        /* payload size every record must have */
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	struct test_rec r;

	CHECK_EQ(size, s->size);
	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&r, data, sizeof(r));
	if (s->next == s->skip)
		s->next++;
	CHECK_EQ(r.seq, s->next);
	s->next++;
	return 0;
}

static uint64_t pos(struct ringbuf *rb, uint64_t which)
{
	return ringbuf_query(rb, which);
}

int main(void)
{
	size_t page = test_page_size(), size = page;
	size_t rec = 40, fp = (rec + RINGBUF_HDR_SZ + 7) & ~(size_t)7;
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct seen s = { .size = rec, .skip = 5 };
	void *v[512], *guard = (void *)0x1;
	struct ringbuf *rb, *ow;
	uint64_t p0;

	rb = ringbuf_create(NULL, size, NULL);
	CHECK(rb);

	/* Bad arguments: nothing reserved, the samples array untouched. */
	v[0] = guard;
	CHECK_EQ(ringbuf_reserve_batch(NULL, rec, N, v, 0), -EINVAL);
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, N, v, 1), -EINVAL);
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(ringbuf_strerror_detail(), "flags"));
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, 0, v, 0), -EINVAL);
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, N, NULL, 0), -EINVAL);
	/* Never fits: n footprints above the ring by one byte's rounding. */
	CHECK_EQ(ringbuf_reserve_batch(rb, size / 4 - RINGBUF_HDR_SZ + 1, 4, v, 0), -E2BIG);
	CHECK_EQ(errno, E2BIG);
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, 0xffffffffu, v, 0), -E2BIG);
	CHECK_EQ(ringbuf_reserve_batch(rb, (size_t)1 << 40, 1, v, 0), -E2BIG);
	CHECK(v[0] == guard);
	CHECK_EQ(pos(rb, RINGBUF_PROD_POS), 0);

	/* One claim, N footprints, contiguous and in ring order. Commit them
	 * last first: nothing is delivered until the first is committed. */
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, N, v, 0), 0);
	CHECK_EQ(pos(rb, RINGBUF_PROD_POS), N * fp);
	for (int i = 0; i < N; i++) {
		CHECK((uint8_t *)v[i] == (uint8_t *)v[0] + (size_t)i * fp);
		test_rec_fill(v[i], rec, 0, (uint64_t)i);
	}
	for (int i = N - 1; i >= 1; i--) {
		if (i == 5)
			ringbuf_discard(rb, v[i], 0);
		else
			ringbuf_submit(rb, v[i], 0);
	}
	CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 0);
	ringbuf_submit(rb, v[0], 0);
	CHECK_EQ(ringbuf_consume(rb, on_rec, &s), N - 1);
	CHECK_EQ(s.next, N);
	CHECK_EQ(pos(rb, RINGBUF_CONS_POS), N * fp);

	/* A batch that wraps: fill to just before the end with one record,
	 * consume it, then claim across the end. Every payload is whole. */
	p0 = pos(rb, RINGBUF_PROD_POS);
	{
		size_t to_end = size - (size_t)(p0 % size) - 2 * fp;
		void *p = ringbuf_reserve(rb, to_end - RINGBUF_HDR_SZ, 0);

		CHECK(p);
		ringbuf_discard(rb, p, 0);
		CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 0);
	}
	CHECK_EQ(ringbuf_reserve_batch(rb, rec, 4, v, 0), 0);
	CHECK_EQ((pos(rb, RINGBUF_PROD_POS) - 4 * fp) % size, size - 2 * fp);
	for (int i = 0; i < 4; i++) {
		test_rec_fill(v[i], rec, 0, 100 + (uint64_t)i);
		ringbuf_submit(rb, v[i], 0);
	}
	s.next = 100;
	CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 4);

	/* Full: a committed record waits; a batch one footprint too large is
	 * refused whole, counts n drops, and the record still arrives. */
	p0 = pos(rb, RINGBUF_PROD_POS);
	{
		void *p = ringbuf_reserve(rb, rec, 0);
		size_t left = size - fp;
		unsigned int fits = (unsigned int)(left / fp);

		CHECK(p && fits < sizeof(v) / sizeof(v[0]));
		test_rec_fill(p, rec, 0, 200);
		ringbuf_submit(rb, p, 0);
		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		uint64_t drops = st.dropped_records;

		CHECK_EQ(ringbuf_reserve_batch(rb, rec, fits + 1, v, 0), -ENOSPC);
		CHECK_EQ(errno, ENOSPC);
		CHECK_EQ(pos(rb, RINGBUF_PROD_POS), p0 + fp);
		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		CHECK_EQ(st.dropped_records, drops + fits + 1);
		/* Exactly what is left (as many whole footprints as fit). */
		CHECK_EQ(ringbuf_reserve_batch(rb, rec, fits, v, 0), 0);
		CHECK_EQ(pos(rb, RINGBUF_PROD_POS), p0 + fp + (uint64_t)fits * fp);
		s.next = 200;
		CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 1);
		for (unsigned int i = 0; i < fits; i++)
			ringbuf_discard(rb, v[i], 0);
		CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 0);
		CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	}

	/* Size 0 is a record too: n headers. */
	p0 = pos(rb, RINGBUF_PROD_POS);
	CHECK_EQ(ringbuf_reserve_batch(rb, 0, 3, v, 0), 0);
	CHECK_EQ(pos(rb, RINGBUF_PROD_POS), p0 + 3 * RINGBUF_HDR_SZ);
	for (int i = 0; i < 3; i++)
		ringbuf_submit(rb, v[i], 0);
	{
		int zero = 0;

		CHECK_EQ(ringbuf_consume(rb, test_count_int, &zero), 3);
	}

	/* Overwrite rings and consumer-only handles. */
	{
		RINGBUF_OPTS(o, .flags = RINGBUF_F_OVERWRITE);

		ow = ringbuf_create(NULL, size, &o);
		CHECK(ow);
		CHECK_EQ(ringbuf_reserve_batch(ow, rec, 2, v, 0), -EOPNOTSUPP);
		CHECK_EQ(pos(ow, RINGBUF_PROD_POS), 0);
		ringbuf_free(ow);
	}
	{
		char name[64];
		struct ringbuf *named, *cons;

		snprintf(name, sizeof(name), "rbtest-batch-%d", (int)getpid());
		ringbuf_unlink(name);
		named = ringbuf_create(name, size, NULL);
		CHECK(named);
		ringbuf_free(named);
		cons = ringbuf_open(name, RINGBUF_CONSUMER);
		CHECK(cons);
		CHECK_EQ(ringbuf_reserve_batch(cons, rec, 2, v, 0), -EPERM);
		ringbuf_free(cons);
		CHECK_EQ(ringbuf_unlink(name), 0);
	}
	/* Sharded, stamped: one shard, one key for the batch, ring order. */
	{
		RINGBUF_SHARDED_OPTS(so, .flags = RINGBUF_SHARDED_F_STAMP,
				     .shard_by = RINGBUF_SHARD_BY_THREAD);
		struct ringbuf_sharded *sh = ringbuf_create_sharded(NULL, size, 2, &so);
		struct ringbuf *mine;

		CHECK(sh);
		/* A merged consume before anything was ever staged (UBSan once
		 * caught a NULL passed to qsort there). */
		CHECK_EQ(ringbuf_sharded_consume(sh, on_rec, &s, RINGBUF_SHARDED_MERGE), 0);
		CHECK_EQ(ringbuf_sharded_reserve_batch(sh, rec, 3, v, 1), -EINVAL);
		CHECK_EQ(ringbuf_sharded_reserve_batch(NULL, rec, 3, v, 0), -EINVAL);
		CHECK_EQ(ringbuf_sharded_reserve_batch(sh, size, 1, v, 0), -E2BIG);
		CHECK_EQ(ringbuf_sharded_reserve_batch(sh, rec, 3, v, 0), 0);
		mine = ringbuf_sharded_shard(sh, (unsigned int)ringbuf_sharded_current(sh));
		CHECK(mine);
		CHECK_EQ(pos(mine, RINGBUF_PROD_POS), 3 * (fp + 8));
		for (int i = 0; i < 3; i++) {
			CHECK_EQ(ringbuf_sharded_key(v[i]), ringbuf_sharded_key(v[0]));
			test_rec_fill(v[i], rec, 0, 300 + (uint64_t)i);
		}
		CHECK(ringbuf_sharded_key(v[0]) != 0);
		for (int i = 2; i >= 0; i--)
			ringbuf_sharded_submit(sh, v[i], 0);
		s.next = 300;
		CHECK_EQ(ringbuf_sharded_consume(sh, on_rec, &s, RINGBUF_SHARDED_MERGE), 3);
		CHECK_EQ(s.next, 303);
		ringbuf_sharded_free(sh);
	}
	ringbuf_free(rb);
	printf("batches claimed, wrapped, refused whole; ring intact\n");
	return 0;
}
