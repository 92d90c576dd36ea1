// SPDX-License-Identifier: MIT
/* A consumer held at a record its (live) producer has not committed yet
 * for longer than RINGBUF_STALL_US counts one stall and at least the time
 * it saw; records committed before the consumer looks count none. One
 * thread, so every step happens in a known order. */
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	long n = 0;
	void *p;

	CHECK(rb);
	CHECK_EQ(ringbuf_output(rb, "abcdefgh", 8, 0), 0);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 1);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.busy_stalls, 0);
	CHECK_EQ(st.busy_stall_ns, 0);

	p = ringbuf_reserve(rb, 8, 0);
	CHECK(p);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 0);   /* starts the clock */
	usleep(2000);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 0);   /* > 20 us later */
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 0);   /* the same stall */
	ringbuf_submit(rb, p, 0);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 1);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.busy_stalls, 1);
	CHECK(st.busy_stall_ns >= 2000000);
	CHECK_EQ(n, 2);
	ringbuf_free(rb);
	return 0;
}
