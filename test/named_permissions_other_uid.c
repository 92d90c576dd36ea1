// SPDX-License-Identifier: MIT
/* A ring created 0600 cannot be opened by another user; one created 0666
 * can, and that user's records wake the owner's consumer. Needs root to
 * switch to uid/gid 65534 in a child. */
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

/* As nobody: open `name` as a producer, write one record. 0 on success,
 * 10 + errno on failure. */
static int produce_one(void *name)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_PRODUCER);

	if (!rb)
		return 10 + errno;
	return ringbuf_output(rb, "hi", 2, 0) ? 3 : 0;
}

int main(void)
{
	char names[2][128];
	long n = 0;

	if (geteuid() != 0)
		SKIP("needs root to run a child as uid 65534 (running as uid %d)", (int)geteuid());
	snprintf(names[0], sizeof(names[0]), "rbtest-perm-%d", (int)getpid());
	snprintf(names[1], sizeof(names[1]), "/tmp/rbtest-perm-%d.ring", (int)getpid());
	for (int i = 0; i < 2; i++) {
		RINGBUF_OPTS(open_to_all, .mode = 0666);
		struct ringbuf *rb;

		ringbuf_unlink(names[i]);
		rb = ringbuf_create(names[i], 4 * test_page_size(), NULL); /* 0600 */
		CHECK(rb);
		CHECK_EQ(test_as_nobody(produce_one, names[i]), 10 + EACCES);
		ringbuf_free(rb);
		CHECK_EQ(ringbuf_unlink(names[i]), 0);

		rb = ringbuf_create(names[i], 4 * test_page_size(), &open_to_all);
		CHECK(rb);
		CHECK_EQ(test_as_nobody(produce_one, names[i]), 0);
		test_watchdog(10, "polling for the other uid's record");
		n = 0;
		while (n < 1)
			CHECK(ringbuf_poll(rb, test_count_long, &n, -1) >= 0);
		ringbuf_free(rb);
		CHECK_EQ(ringbuf_unlink(names[i]), 0);
	}
	return 0;
}
