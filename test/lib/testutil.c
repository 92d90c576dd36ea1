// SPDX-License-Identifier: MIT
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

long test_scaled(long n)
{
	const char *s = getenv("TEST_SCALE");
	double f = s ? atof(s) : 1.0;
	long r = (long)((double)n * (f > 0 ? f : 1.0));

	return r > 0 ? r : 1;
}

size_t test_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

void test_rec_fill(void *buf, size_t len, uint32_t producer, uint64_t seq)
{
	struct test_rec r = { .producer = producer, .len = (uint32_t)len, .seq = seq, .sum = 0 };
	uint8_t *p = buf;

	memcpy(p, &r, sizeof(r));
	for (size_t i = sizeof(r); i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7 + producer);
	r.sum = checksum(p, len);
	memcpy(p + offsetof(struct test_rec, sum), &r.sum, sizeof(r.sum));
}

int test_rec_verify(const void *buf, size_t len)
{
	uint8_t tmp[1 << 16];
	struct test_rec r;
	uint64_t sum;

	if (len < sizeof(r) || len > sizeof(tmp))
		return -1;
	memcpy(&r, buf, sizeof(r));
	if (r.len != len)
		return -1;
	memcpy(tmp, buf, len);
	memset(tmp + offsetof(struct test_rec, sum), 0, sizeof(r.sum));
	sum = checksum(tmp, len);
	return sum == r.sum ? 0 : -1;
}

uint64_t test_rand(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int test_count_int(void *ctx, void *data, size_t size)
{
	(void)data; (void)size;
	(*(int *)ctx)++;
	return 0;
}

int test_count_long(void *ctx, void *data, size_t size)
{
	(void)data; (void)size;
	++*(long *)ctx;
	return 0;
}

static char watchdog_msg[256];

static void watchdog_fired(int sig)
{
	(void)sig;
	/* async-signal-safe: the message was formatted when armed */
	if (write(2, watchdog_msg, strlen(watchdog_msg)) < 0)
		_exit(3);
	_exit(2);
}

void test_watchdog(unsigned seconds, const char *what)
{
	if (seconds) {
		snprintf(watchdog_msg, sizeof(watchdog_msg), "%s: watchdog: still %s after %u s\n",
			 program_invocation_short_name, what, seconds);
		signal(SIGALRM, watchdog_fired);
	}
	alarm(seconds);
}

int test_become_nobody(void)
{
	return setgroups(0, NULL) || setgid(TEST_NOBODY) || setuid(TEST_NOBODY) ? -1 : 0;
}

int test_as_nobody(int (*fn)(void *arg), void *arg)
{
	pid_t kid;
	int status;

	fflush(NULL);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		if (test_become_nobody())
			_exit(2);
		_exit(fn(arg));
	}
	CHECK(waitpid(kid, &status, 0) == kid);
	if (!WIFEXITED(status)) {
		fprintf(stderr, "child as uid %d died of signal %d\n", TEST_NOBODY,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	return WEXITSTATUS(status);
}
