// SPDX-License-Identifier: MIT
/* The manager sleeps in epoll on the trace_pipe_raw fds (through the ftrace
 * source's inner epoll) and wakes when an event arrives: a poll with a long
 * timeout returns the marker shortly after it is written, several times in
 * a row, and returns 0 at its timeout when nothing comes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

static struct ft_test T;
static uint16_t print_id;
static int marker_fd;

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);

	if (txt && !strncmp(txt, "wake", 4))
		(*(int *)ctx)++;
	return 0;
}

static void *late_writer(void *arg)
{
	(void)arg;
	usleep(100000);
	CHECK(write(marker_fd, "wake", 4) == 4);
	return NULL;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o);
	struct ringbuf_consumer *c;
	int got = 0, r;

	print_id = ft_test_setup(&T, "wake", 64, &o);
	marker_fd = ft_test_marker_fd(&T);
	CHECK(marker_fd >= 0);
	c = ft_test_consumer(&o, on_event, &got, &r);
	CHECK(r >= 1);

	/* Nothing there: the timeout. */
	uint64_t t0 = test_now_ns();
	CHECK_EQ(ringbuf_consumer_poll(c, 200), 0);
	CHECK(test_now_ns() - t0 >= 150000000ull);

	for (int round = 1; round <= 3; round++) {
		pthread_t th;
		uint64_t dt;

		CHECK(pthread_create(&th, NULL, late_writer, NULL) == 0);
		t0 = test_now_ns();
		while (got < round && test_now_ns() - t0 < 5000000000ull)
			CHECK(ringbuf_consumer_poll(c, 5000) >= 0);
		dt = test_now_ns() - t0;
		pthread_join(th, NULL);
		CHECK_EQ(got, round);
		printf("round %d: woke after %.1f ms (marker written at 100 ms)\n", round, (double)dt / 1e6);
		CHECK(dt < 2000000000ull);   /* woken by the event, not a timeout */
	}
	close(marker_fd);
	ringbuf_consumer_free(c);
	return 0;
}
