// SPDX-License-Identifier: MIT
/* ringbuf_set_idle / ringbuf_consumer_set_idle: bad input gets a clear
 * error and leaves the policy as it was; every policy consumes what is
 * there and returns 0 on an empty ring (the back-off, shortened, through
 * all its phases). */
#include <string.h>

#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	RINGBUF_IDLE_OPTS(bad, .policy = 3);
	RINGBUF_IDLE_OPTS(quick, .spin_ns = 100, .spin_us = 1, .yield_us = 3, .park_max_us = 4);
	struct { struct ringbuf_idle_opts o; uint64_t future; } newer;
	long n = 0;

	CHECK(rb && c);
	CHECK_EQ(ringbuf_consumer_add(c, rb, test_count_long, &n), 0);
	CHECK_EQ(ringbuf_set_idle(NULL, NULL), -EINVAL);
	CHECK_EQ(ringbuf_consumer_set_idle(NULL, NULL), -EINVAL);
	CHECK_EQ(ringbuf_set_idle(rb, &bad), -EINVAL);
	CHECK_EQ(ringbuf_consumer_set_idle(c, &bad), -EINVAL);
	bad.sz = 2;
	CHECK_EQ(ringbuf_set_idle(rb, &bad), -EINVAL);
	/* A newer caller's field we do not know: refused (EINVAL, libbpf's
	 * convention, options_abi_libbpf_convention) unless zero. */
	memset(&newer, 0, sizeof(newer));
	newer.o.sz = sizeof(newer);
	CHECK_EQ(ringbuf_set_idle(rb, &newer.o), 0);
	newer.future = 1;
	CHECK_EQ(ringbuf_set_idle(rb, &newer.o), -EINVAL);
	CHECK_EQ(ringbuf_consumer_set_idle(c, &newer.o), -EINVAL);
	CHECK_EQ(ringbuf_set_idle(rb, NULL), 0);
	CHECK_EQ(ringbuf_consumer_set_idle(c, NULL), 0);

	for (uint32_t pol = RINGBUF_IDLE_BACKOFF; pol <= RINGBUF_IDLE_SPIN; pol++) {
		quick.policy = pol;
		CHECK_EQ(ringbuf_set_idle(rb, &quick), 0);
		CHECK_EQ(ringbuf_consumer_set_idle(c, &quick), 0);
		/* Long enough empty to spin, yield and sleep several times. */
		for (int i = 0; i < 200; i++) {
			CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 0);
			CHECK_EQ(ringbuf_consumer_consume(c), 0);
		}
		CHECK_EQ(ringbuf_output(rb, "abcdefgh", 8, 0), 0);
		CHECK_EQ(ringbuf_output(rb, "abcdefgh", 8, 0), 0);
		CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 2);
		CHECK_EQ(ringbuf_output(rb, "abcdefgh", 8, 0), 0);
		CHECK_EQ(ringbuf_consumer_consume(c), 1);
		CHECK_EQ(ringbuf_consumer_consume_n(c, 0), 0);
	}
	CHECK_EQ(n, 9);
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
