/* SPDX-License-Identifier: MIT */
/* A thread blocked in ringbuf_consumer_poll(), for tests of what wakes it
 * (and what must not). */
#ifndef POLLTHREAD_H
#define POLLTHREAD_H

#include <pthread.h>

struct ringbuf_consumer;

struct pollthread {
	pthread_t thread;
	struct ringbuf_consumer *c;
	int timeout_ms;
	int tid;
	int done;              /* set (atomically) once poll returned */
	int ret;               /* poll's return, valid when done */
};

/* Start a thread calling ringbuf_consumer_poll(c, timeout_ms) once, and
 * return when it is asleep in the kernel (or after a second anyway). */
void pollthread_start(struct pollthread *pt, struct ringbuf_consumer *c, int timeout_ms);
/* Has poll returned? */
int pollthread_done(struct pollthread *pt);
/* Join; returns poll's return value. */
int pollthread_join(struct pollthread *pt);

#endif
