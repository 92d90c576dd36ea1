// SPDX-License-Identifier: MIT
/* Small helpers: errors and their detail, options structs, clocks, test
 * points. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---- errors and their detail (docs/DESIGN.md §14, "Errors") ---- */

RB_HIDDEN __thread char rb_err_detail[256];

RB_HIDDEN int rb_detail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rb_err_detail, sizeof(rb_err_detail), fmt, ap);
	va_end(ap);
	return -err;
}

RB_HIDDEN void rb_detail_append(const char *fmt, ...)
{
	size_t n = strlen(rb_err_detail);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rb_err_detail + n, sizeof(rb_err_detail) - n, fmt, ap);
	va_end(ap);
}

/* The public boundary, the one place a failure becomes errno. A success
 * clears the detail: an internal step that failed and was recovered from
 * (a missing wake FIFO a producer does without) leaves nothing behind. */
RB_HIDDEN int rb_api_ret(int ret)
{
	if (ret < 0)
		errno = -ret;
	else
		rb_clear_detail();
	return ret;
}

RB_HIDDEN void *rb_api_ptr(int ret, void *obj)
{
	return rb_api_ret(ret) < 0 ? NULL : obj;
}

const char *ringbuf_strerror_detail(void)
{
	return rb_err_detail;
}

/* ---- options structs (libbpf's convention) ---- */

RB_HIDDEN int rb_opts_copy(void *dst, size_t dst_sz, const void *src, const char *what)
{
	size_t sz;

	memset(dst, 0, dst_sz);
	if (!src)
		return 0;
	sz = *(const size_t *)src;
	if (sz < sizeof(size_t))
		return rb_detail(EINVAL, "%s: sz %zu is smaller than the sz field", what, sz);
	/* Fields of a newer caller that this library does not know must be
	 * zero: a request we cannot honour is refused, never ignored. */
	for (size_t i = dst_sz; i < sz; i++)
		if (((const uint8_t *)src)[i])
			return rb_detail(EINVAL, "%s: byte %zu is not zero and this library "
					 "knows only %zu bytes", what, i, dst_sz);
	/* Fields past the caller's sz (an older binary) read as zero. */
	memcpy(dst, src, sz < dst_sz ? sz : dst_sz);
	*(size_t *)dst = dst_sz;
	return 0;
}

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
