// SPDX-License-Identifier: MIT
/* A manager asleep in poll(-1) over a ring stopped at a record whose
 * producer died between reserve and commit still wakes up (no producer
 * will), recovers the orphan after recover_ms and delivers what was
 * committed behind it. The watchdog fails the test rather than hang. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define RECOVER_MS 100

static int count(void *ctx, void *data, size_t size)
{
	CHECK_EQ(size, 3);
	CHECK(memcmp(data, "ok", 3) == 0);
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), &o);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct ringbuf_stats st = { .sz = sizeof(st) };
	int n = 0, status;
	uint64_t t0;
	pid_t pid;

	CHECK(rb && c);
	CHECK_EQ(ringbuf_consumer_add(c, rb, count, &n), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Reserve and die without committing. */
		CHECK(ringbuf_reserve(rb, 16, 0));
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(ringbuf_output(rb, "ok", 3, 0), 0);   /* behind the orphan */

	test_watchdog(10, "in poll(-1): the dead producer's record never recovered");
	t0 = test_now_ns();
	while (n < 1)
		CHECK(ringbuf_consumer_poll(c, -1) >= 0);
	test_watchdog(0, NULL);
	CHECK(test_now_ns() - t0 >= (RECOVER_MS - 10) * 1000000ULL);
	CHECK_EQ(n, 1);
	CHECK(ringbuf_get_stats(rb, &st) == 0);
	CHECK_EQ(st.orphaned_records, 1);
	printf("recovered after %.0f ms\n", (double)(test_now_ns() - t0) / 1e6);
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
