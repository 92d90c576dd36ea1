// SPDX-License-Identifier: MIT
/* poll() consumes only the rings that signalled. Ring B gets a record
 * with NO_WAKEUP while poll sleeps, then ring A one that wakes it: poll
 * returns A's record and leaves B's in B. (If the poller had not yet gone
 * to sleep, it sees both, legitimately; so the round is retried.) */
#include "pollthread.h"
#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *a = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf *b = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int na = 0, nb = 0, proven = 0;

	CHECK(a && b && c);
	CHECK_EQ(ringbuf_consumer_add(c, b, test_count_int, &nb), 0);
	CHECK_EQ(ringbuf_consumer_add(c, a, test_count_int, &na), 0);
	for (int round = 0; round < 10 && proven < 3; round++) {
		struct pollthread pt;
		int ret;

		na = nb = 0;
		pollthread_start(&pt, c, 5000);
		CHECK_EQ(ringbuf_output(b, "b", 1, RINGBUF_NO_WAKEUP), 0);
		CHECK_EQ(ringbuf_output(a, "a", 1, 0), 0);
		ret = pollthread_join(&pt);
		CHECK(ret == 1 || ret == 2);
		CHECK_EQ(na, 1);
		CHECK_EQ(nb, ret - 1);
		if (ret == 1) {
			proven++;
			CHECK_EQ(ringbuf_query(b, RINGBUF_AVAIL_DATA), 16);
		}
		/* B's record is there for the next call, which does not sleep. */
		CHECK_EQ(ringbuf_consumer_poll(c, -1) + ret, 2);
		CHECK_EQ(nb, 1);
	}
	printf("%d rounds proved it\n", proven);
	CHECK(proven > 0);
	ringbuf_consumer_free(c);
	ringbuf_free(a);
	ringbuf_free(b);
	return 0;
}
