// SPDX-License-Identifier: MIT
/* poll() on empty rings sleeps for the timeout and returns 0; with data it
 * returns at once with the count; timeout 0 never sleeps. */
#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *a = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf *b = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int n = 0;
	uint64_t t0, dt;

	CHECK(a && b && c);
	/* An empty manager: sleeps, returns 0. */
	t0 = test_now_ns();
	CHECK_EQ(ringbuf_consumer_poll(c, 30), 0);
	CHECK(test_now_ns() - t0 >= 25000000ULL);

	CHECK_EQ(ringbuf_consumer_add(c, a, test_count_int, &n), 0);
	CHECK_EQ(ringbuf_consumer_add(c, b, test_count_int, &n), 0);
	t0 = test_now_ns();
	CHECK_EQ(ringbuf_consumer_poll(c, 0), 0);
	CHECK_EQ(ringbuf_consumer_poll(c, 80), 0);
	dt = test_now_ns() - t0;
	CHECK(dt >= 75000000ULL);
	CHECK(dt < 2000000000ULL);

	/* Data already there: no sleep, whatever the timeout. */
	CHECK_EQ(ringbuf_output(b, "x", 1, RINGBUF_NO_WAKEUP), 0);
	CHECK_EQ(ringbuf_output(a, "yy", 2, 0), 0);
	CHECK_EQ(ringbuf_output(b, "zzz", 3, 0), 0);
	t0 = test_now_ns();
	CHECK_EQ(ringbuf_consumer_poll(c, -1), 3);
	CHECK(test_now_ns() - t0 < 1000000000ULL);
	CHECK_EQ(n, 3);
	CHECK_EQ(ringbuf_consumer_poll(c, 0), 0);

	/* Only discarded records: consumed, nothing delivered, 0 at the timeout. */
	void *p = ringbuf_reserve(a, 8, 0);
	CHECK(p);
	ringbuf_discard(a, p, 0);
	CHECK_EQ(ringbuf_consumer_poll(c, 20), 0);
	CHECK_EQ(ringbuf_query(a, RINGBUF_AVAIL_DATA), 0);

	ringbuf_consumer_free(c);
	ringbuf_free(a);
	ringbuf_free(b);
	return 0;
}
