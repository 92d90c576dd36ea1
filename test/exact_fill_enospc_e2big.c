// SPDX-License-Identifier: MIT
/* Space accounting: a record that exactly fills the ring fits; a full ring
 * refuses with ENOSPC and recovers once consumed; a record that can never
 * fit is E2BIG; bad sizes and flags are EINVAL. After every failure the ring
 * is unchanged and every committed record is still delivered. */
#include "ringbuf.h"
#include "testutil.h"

static int count(void *ctx, void *data, size_t size)
{
	(void)data;
	*(size_t *)ctx += size;
	return 0;
}

int main(void)
{
	size_t page = test_page_size(), size = page;
	struct ringbuf *rb;
	size_t got = 0;
	void *p, *q;

	/* Creation: size must be a power of two and a multiple of the page. */
	CHECK(!ringbuf_create(NULL, 0, NULL) && errno == EINVAL);
	CHECK(!ringbuf_create(NULL, 3 * page, NULL) && errno == EINVAL);
	CHECK(!ringbuf_create(NULL, page / 2, NULL) && errno == EINVAL);
	RINGBUF_OPTS(bad, .flags = 1);
	CHECK(!ringbuf_create(NULL, page, &bad) && errno == EINVAL);
	RINGBUF_OPTS(ok);
	rb = ringbuf_create(NULL, size, &ok);
	CHECK(rb);

	/* Never fits: the footprint is larger than the ring. */
	CHECK(!ringbuf_reserve(rb, size - RINGBUF_HDR_SZ + 1, 0) && errno == E2BIG);
	CHECK(!ringbuf_reserve(rb, (size_t)1 << 40, 0) && errno == E2BIG);
	CHECK(!ringbuf_reserve(rb, 8, 1) && errno == EINVAL);
	CHECK_EQ(ringbuf_output(rb, "x", 1, 0), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 16);

	/* Full: the committed record stays; ENOSPC leaves positions alone. */
	CHECK(!ringbuf_reserve(rb, size - RINGBUF_HDR_SZ, 0) && errno == ENOSPC);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 16);
	CHECK_EQ(ringbuf_consume(rb, count, &got), 1);
	CHECK_EQ(got, 1);

	/* Exactly the ring: header + payload == size. */
	p = ringbuf_reserve(rb, size - RINGBUF_HDR_SZ, 0);
	CHECK(p);
	memset(p, 0xab, size - RINGBUF_HDR_SZ);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), size);
	q = ringbuf_reserve(rb, 0, 0);
	CHECK(!q && errno == ENOSPC);
	ringbuf_submit(rb, p, 0);
	CHECK(!ringbuf_reserve(rb, 0, 0) && errno == ENOSPC);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.dropped_records, 3);

	/* Recovery once consumed. */
	got = 0;
	CHECK_EQ(ringbuf_consume(rb, count, &got), 1);
	CHECK_EQ(got, size - RINGBUF_HDR_SZ);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), 0), 0);
	got = 0;
	CHECK_EQ(ringbuf_consume(rb, count, &got), 100);
	ringbuf_free(rb);
	return 0;
}
