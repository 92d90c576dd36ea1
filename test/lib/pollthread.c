// SPDX-License-Identifier: MIT
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pollthread.h"
#include "ringbuf.h"
#include "testutil.h"

static void *run(void *arg)
{
	struct pollthread *pt = arg;
	int ret;

	__atomic_store_n(&pt->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	ret = ringbuf_consumer_poll(pt->c, pt->timeout_ms);
	pt->ret = ret;
	__atomic_store_n(&pt->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* 'S' in /proc/self/task/TID/stat: sleeping (in epoll_wait, here). */
static int asleep(int tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

void pollthread_start(struct pollthread *pt, struct ringbuf_consumer *c, int timeout_ms)
{
	uint64_t t0 = test_now_ns();
	int tid;

	memset(pt, 0, sizeof(*pt));
	pt->c = c;
	pt->timeout_ms = timeout_ms;
	CHECK(pthread_create(&pt->thread, NULL, run, pt) == 0);
	while (!(tid = __atomic_load_n(&pt->tid, __ATOMIC_ACQUIRE)))
		sched_yield();
	/* Asleep twice in a row 2 ms apart: past any short lock on the way. */
	while (test_now_ns() - t0 < 1000000000ULL && !pollthread_done(pt)) {
		if (asleep(tid)) {
			usleep(2000);
			if (asleep(tid))
				break;
		}
		usleep(500);
	}
}

int pollthread_done(struct pollthread *pt)
{
	return __atomic_load_n(&pt->done, __ATOMIC_ACQUIRE);
}

int pollthread_join(struct pollthread *pt)
{
	pthread_join(pt->thread, NULL);
	return pt->ret;
}
