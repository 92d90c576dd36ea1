// SPDX-License-Identifier: MIT
/* Records committed with RINGBUF_NO_WAKEUP leave a poll asleep (no
 * timeout) asleep; one RINGBUF_FORCE_WAKEUP commit wakes it and it gets all
 * of them. The adaptive default wakes it too. */
#include <unistd.h>

#include "pollthread.h"
#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, 4 * test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct pollthread pt;
	int n = 0;

	CHECK(rb && c);
	CHECK_EQ(ringbuf_consumer_add(c, rb, test_count_int, &n), 0);
	for (int round = 0; round < 3; round++) {
		pollthread_start(&pt, c, -1);
		CHECK(!pollthread_done(&pt));
		for (int i = 0; i < 10; i++)
			CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP), 0);
		usleep(100000);
		CHECK(!pollthread_done(&pt));    /* still asleep: not woken */
		CHECK_EQ(n, round * 11);
		if (round == 2) {
			/* FORCE_WAKEUP on a discard wakes too, delivers nothing. */
			void *p = ringbuf_reserve(rb, 4, 0);

			CHECK(p);
			ringbuf_discard(rb, p, RINGBUF_FORCE_WAKEUP);
			CHECK_EQ(pollthread_join(&pt), 10);
			n++;
		} else {
			CHECK_EQ(ringbuf_output(rb, "x", 1, RINGBUF_FORCE_WAKEUP), 0);
			CHECK_EQ(pollthread_join(&pt), 11);
		}
		CHECK_EQ(n, (round + 1) * 11);
	}

	/* Adaptive: the consumer is caught up, so the default commit wakes. */
	pollthread_start(&pt, c, -1);
	CHECK(!pollthread_done(&pt));
	CHECK_EQ(ringbuf_output(rb, "y", 1, 0), 0);
	CHECK_EQ(pollthread_join(&pt), 1);

	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
