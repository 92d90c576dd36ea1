// SPDX-License-Identifier: MIT
/* Small helpers: clocks, test points. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

RB_HIDDEN uint64_t rb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

RB_HIDDEN uint64_t rb_random_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): unique enough with the clock and pid. */
	return rb_now_ns() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() << 32;
}

#if defined(__SANITIZE_THREAD__)
RB_HIDDEN int rb_tsan_fence_word; /* see rb_fence_full() */
#endif

RB_HIDDEN int rb_testpoints_armed;
static const char *testpoint_spec;

__attribute__((constructor)) static void testpoint_init(void)
{
	testpoint_spec = getenv("RINGBUF_TESTPOINT");
	rb_testpoints_armed = testpoint_spec && *testpoint_spec;
}

RB_HIDDEN void rb_testpoint_hit(const char *name)
{
	size_t n = strlen(name);
	const char *action;

	static long hits;
	const char *at;

	if (strncmp(testpoint_spec, name, n) || testpoint_spec[n] != '=')
		return;
	action = testpoint_spec + n + 1;
	/* "ACTION@N": act on the Nth hit only (1-based), so a test can let a
	 * producer write N-1 records first. Counted per process. */
	at = strchr(action, '@');
	if (at) {
		rb_add_relaxed(&hits, 1);
		if (rb_load_relaxed(&hits) != atol(at + 1))
			return;
	}
	if (!strncmp(action, "kill", 4)) {
		raise(SIGKILL);
	} else if (!strncmp(action, "stop", 4)) {
		raise(SIGSTOP);
	} else if (!strncmp(action, "sleep:", 6)) {
		long ms = atol(action + 6);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
}
