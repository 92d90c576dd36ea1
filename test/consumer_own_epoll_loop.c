// SPDX-License-Identifier: MIT
/* A program that runs its own epoll loop on the manager's fd, libbpf style:
 * ringbuf_consumer_wait_prepare, epoll_wait, ringbuf_consumer_consume. A
 * producer thread commits with the default adaptive rule; the loop must be
 * woken for every batch and receive every record (a watchdog fails it rather
 * than hang). Without arming, wait_prepare reports the data it finds. */
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

static long total;

static void *producer(void *arg)
{
	struct ringbuf *rb = arg;

	for (long i = 0; i < total; i++) {
		while (ringbuf_output(rb, &i, sizeof(i), 0) == -ENOSPC)
			usleep(50);
		if (i % 1000 == 0)
			usleep(200); /* let the consumer fall asleep now and then */
	}
	return NULL;
}

static int in_order(void *ctx, void *data, size_t size)
{
	long *next = ctx, v;

	CHECK_EQ(size, sizeof(v));
	memcpy(&v, data, sizeof(v));
	CHECK_EQ(v, *next);
	(*next)++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, 4 * test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct epoll_event ev;
	long next = 0;
	int sleeps = 0;
	pthread_t t;

	CHECK(rb && c);
	CHECK_EQ(ringbuf_consumer_add(c, rb, in_order, &next), 0);
	CHECK_EQ(ringbuf_consumer_wait_prepare(NULL), -EINVAL);
	CHECK_EQ(ringbuf_consumer_wait_prepare(c), 0);       /* empty: safe to sleep */
	CHECK_EQ(ringbuf_output(rb, &next, sizeof(next), 0), 0);
	CHECK_EQ(ringbuf_consumer_wait_prepare(c), 1);       /* data: don't sleep */
	CHECK_EQ(ringbuf_consumer_consume(c), 1);

	total = test_scaled(200000);
	next = 0;
	CHECK(pthread_create(&t, NULL, producer, rb) == 0);
	test_watchdog(60, "in the own epoll loop for every record (lost wakeup?)");
	while (next < total) {
		int r = ringbuf_consumer_wait_prepare(c);

		CHECK(r >= 0);
		if (r == 0) {
			CHECK(epoll_wait(ringbuf_consumer_epoll_fd(c), &ev, 1, -1) == 1);
			sleeps++;
		}
		CHECK(ringbuf_consumer_consume(c) >= 0);
	}
	pthread_join(t, NULL);
	CHECK_EQ(next, total);
	printf("%ld records, %d sleeps in our own epoll_wait\n", total, sleeps);
	/* Every sleep ended in a real wakeup: never more sleeps than records. */
	CHECK(sleeps > 0 && sleeps <= total);
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
