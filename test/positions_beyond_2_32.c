// SPDX-License-Identifier: MIT
/* Positions are 64-bit and ever-increasing: start them just below 2^32 and
 * just below 2^64 and run records across both boundaries. */
#include "ringbuf.h"
#include "testutil.h"

static int seq(void *ctx, void *data, size_t size)
{
	uint64_t *next = ctx, v;

	CHECK_EQ(size, 24);
	memcpy(&v, data, 8);
	CHECK_EQ(v, *next);
	(*next)++;
	return 0;
}

int main(void)
{
	const uint64_t starts[] = { (1ULL << 32) - 4096, UINT64_MAX - 4096 * 3 + 1 };

	for (int k = 0; k < 2; k++) {
		uint64_t start = starts[k] & ~7ULL;
		RINGBUF_OPTS(o, .start_pos = start);
		struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), &o);
		uint64_t next = 0, sent = 0;
		uint8_t buf[24] = { 0 };

		CHECK(rb);
		CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), start);
		CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), start);
		for (int round = 0; round < 100; round++) {
			while (1) {
				memcpy(buf, &sent, 8);
				if (ringbuf_output(rb, buf, sizeof(buf), 0))
					break;
				sent++;
			}
			CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), test_page_size());
			CHECK(ringbuf_consume(rb, seq, &next) > 0);
			CHECK_EQ(next, sent);
		}
		/* Crossed the boundary: the position wrapped past 2^32 / 2^64. */
		CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), start + sent * 32);
		CHECK(k == 0 ? ringbuf_query(rb, RINGBUF_PROD_POS) > (1ULL << 32)
			     : ringbuf_query(rb, RINGBUF_PROD_POS) < start);
		ringbuf_free(rb);
	}
	return 0;
}
