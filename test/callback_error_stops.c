// SPDX-License-Identifier: MIT
/* A negative callback return stops consumption and is returned as is; that
 * record counts as consumed and is not delivered again. */
#include "ringbuf.h"
#include "testutil.h"

static int stop_at_3(void *ctx, void *data, size_t size)
{
	int *seen = ctx;
	int v;

	CHECK_EQ(size, sizeof(int));
	memcpy(&v, data, sizeof(v));
	CHECK_EQ(v, *seen);
	(*seen)++;
	return v == 3 ? -E2BIG : 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	int seen = 0;

	CHECK(rb);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), 0), 0);
	CHECK_EQ(ringbuf_consume(rb, stop_at_3, &seen), -E2BIG);
	CHECK_EQ(seen, 4);
	/* Record 3 is gone: the next call starts at 4. */
	CHECK_EQ(ringbuf_consume(rb, stop_at_3, &seen), 6);
	CHECK_EQ(seen, 10);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	ringbuf_free(rb);
	return 0;
}
