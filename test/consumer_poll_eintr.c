// SPDX-License-Identifier: MIT
/* A signal (handler installed without SA_RESTART) interrupts a poll asleep
 * with no timeout: poll returns -EINTR, and the manager keeps working. */
#include <signal.h>
#include <unistd.h>

#include "pollthread.h"
#include "ringbuf.h"
#include "testutil.h"

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct sigaction sa;
	struct pollthread pt;
	int n = 0;

	CHECK(rb && c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0;            /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK_EQ(ringbuf_consumer_add(c, rb, test_count_int, &n), 0);

	for (int i = 0; i < 3; i++) {
		got = 0;
		pollthread_start(&pt, c, -1);
		CHECK(!pollthread_done(&pt));
		CHECK(pthread_kill(pt.thread, SIGUSR1) == 0);
		CHECK_EQ(pollthread_join(&pt), -EINTR);
		CHECK(got);
	}
	/* Still works: data, then a wakeup. */
	CHECK_EQ(ringbuf_output(rb, "x", 1, 0), 0);
	CHECK_EQ(ringbuf_consumer_poll(c, -1), 1);
	pollthread_start(&pt, c, -1);
	CHECK_EQ(ringbuf_output(rb, "y", 1, 0), 0);
	CHECK_EQ(pollthread_join(&pt), 1);
	CHECK_EQ(n, 2);
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
