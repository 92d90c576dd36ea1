// SPDX-License-Identifier: MIT
/* Commits in any order, delivery in reservation order: the consumer stops at
 * the first record still being written and continues from it later. */
#include "ringbuf.h"
#include "testutil.h"

static int collect(void *ctx, void *data, size_t size)
{
	int **out = ctx;

	CHECK_EQ(size, sizeof(int));
	memcpy(*out, data, sizeof(int));
	(*out)++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	int *r[4], got[8], *out = got;

	CHECK(rb);
	for (int i = 0; i < 4; i++) {
		r[i] = ringbuf_reserve(rb, sizeof(int), 0);
		CHECK(r[i]);
		*r[i] = i;
	}
	ringbuf_submit(rb, r[3], 0);
	ringbuf_submit(rb, r[1], 0);
	CHECK_EQ(ringbuf_consume(rb, collect, &out), 0);  /* 0 still BUSY */
	ringbuf_discard(rb, r[2], 0);
	CHECK_EQ(ringbuf_consume(rb, collect, &out), 0);
	ringbuf_submit(rb, r[0], 0);                      /* the earliest, last */
	CHECK_EQ(ringbuf_consume(rb, collect, &out), 3);
	CHECK_EQ(got[0], 0);
	CHECK_EQ(got[1], 1);
	CHECK_EQ(got[2], 3);
	ringbuf_free(rb);
	return 0;
}
