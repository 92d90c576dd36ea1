// SPDX-License-Identifier: MIT
/* The kernel selftest's overwrite sequence (ringbuf_overwrite_mode) on a
 * one-page ring: a reservation that would overwrite a BUSY record fails
 * with ENOSPC; after the commits a larger one overwrites the oldest record,
 * and PROD_POS, OVERWRITE_POS, AVAIL_DATA and CONS_POS are what the rule
 * says. One difference from the kernel, on purpose: our rings may fill
 * exactly (the kernel keeps one byte free), so LEN3 is 8 bytes longer to
 * overflow the same way. Then: the consumer reads the survivors from
 * overwrite_pos, losses are counted, a callback error stops and counts its
 * record as consumed, and the callback's copy stays valid. */
#include "ringbuf.h"
#include "testutil.h"

static int collect(void *ctx, void *data, size_t size)
{
	size_t *sizes = ctx;

	CHECK(sizes[0] < 511);
	sizes[++sizes[0]] = size;
	CHECK(size == 0 || ((unsigned char *)data)[size - 1] == (unsigned char)size);
	return 0;
}

static int fail_first(void *ctx, void *data, size_t size)
{
	(void)data; (void)size;
	++*(int *)ctx;
	return -77;
}

static void *reserve_filled(struct ringbuf *rb, size_t len)
{
	unsigned char *p = ringbuf_reserve(rb, len, 0);

	if (p)
		memset(p, (unsigned char)len, len);
	return p;
}

int main(void)
{
	const size_t size = test_page_size(), H = RINGBUF_HDR_SZ;
	const size_t len1 = size / 2, len2 = size / 4;
	const size_t len3 = size - len1 - len2 - 3 * H + 8; /* kernel: + 0 */
	const size_t len4 = len3 - 8, len5 = len3;
	RINGBUF_OPTS(opts, .flags = RINGBUF_F_OVERWRITE);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb = ringbuf_create(NULL, size, &opts);
	void *rec1, *rec2, *rec3, *rec4, *rec5;
	size_t sizes[512] = { 0 };
	int calls = 0;

	CHECK(rb);
	rec1 = reserve_filled(rb, len1);
	rec2 = reserve_filled(rb, len2);
	CHECK(rec1 && rec2);
	/* Would overwrite rec1, still BUSY. */
	errno = 0;
	rec3 = ringbuf_reserve(rb, len3, 0);
	CHECK(rec3 == NULL);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_OVERWRITE_POS), 0);
	/* Fits exactly. */
	rec4 = reserve_filled(rb, len4);
	CHECK(rec4);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), size);
	ringbuf_submit(rb, rec1, 0);
	ringbuf_submit(rb, rec2, 0);
	ringbuf_submit(rb, rec4, 0);
	/* Now rec1 is overwritten, and only rec1 (the chunk, 1/8 of the
	 * ring, is smaller than what this record needs). */
	rec5 = reserve_filled(rb, len5);
	CHECK(rec5);
	ringbuf_submit(rb, rec5, 0);

	CHECK_EQ(ringbuf_query(rb, RINGBUF_RING_SIZE), size);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), len1 + len2 + len4 + len5 + 4 * H);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_OVERWRITE_POS), len1 + H);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PENDING_POS), len1 + len2 + len4 + 3 * H);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), len2 + len4 + len5 + 3 * H);
	CHECK(ringbuf_get_stats(rb, &st) == 0);
	CHECK_EQ(st.overwritten_records, 1);
	CHECK_EQ(st.overwritten_bytes, len1);

	/* A callback error stops, is returned, and its record is consumed. */
	CHECK_EQ(ringbuf_consume(rb, fail_first, &calls), -77);
	CHECK_EQ(calls, 1);
	/* The survivors after it, oldest first. */
	CHECK_EQ(ringbuf_consume_n(rb, collect, sizes, 0), 0);
	CHECK_EQ(ringbuf_consume(rb, collect, sizes), 2);
	CHECK_EQ(sizes[0], 2);
	CHECK_EQ(sizes[1], len4);
	CHECK_EQ(sizes[2], len5);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), ringbuf_query(rb, RINGBUF_PROD_POS));
	CHECK_EQ(ringbuf_consume(rb, collect, sizes), 0);

	/* Small records now: one reclaim frees at least 1/8 of the ring, so
	 * several old records go at once and later reservations find room
	 * without reclaiming. overwrite_pos stays on record boundaries. */
	for (int i = 0; i < 200; i++) {
		void *p = reserve_filled(rb, 40);

		CHECK(p);
		ringbuf_submit(rb, p, RINGBUF_NO_WAKEUP);
		uint64_t over = ringbuf_query(rb, RINGBUF_OVERWRITE_POS);
		uint64_t cons = ringbuf_query(rb, RINGBUF_CONS_POS);
		uint64_t prod = ringbuf_query(rb, RINGBUF_PROD_POS);

		CHECK(prod - over <= size);
		CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA),
			 prod - (over > cons ? over : cons));
	}
	sizes[0] = 0;
	CHECK(ringbuf_consume(rb, collect, sizes) > 0);
	for (size_t i = 1; i <= sizes[0]; i++)
		CHECK_EQ(sizes[i], 40);
	CHECK(ringbuf_get_stats(rb, &st) == 0);
	CHECK_EQ(st.delivered_records, 3 + sizes[0]);
	/* Every non-discarded record is delivered or counted as lost. */
	CHECK_EQ(st.delivered_records + st.overwritten_records, 4 + 200);
	ringbuf_free(rb);
	printf("ok: kernel sequence, %llu overwritten\n", (unsigned long long)st.overwritten_records);
	return 0;
}
