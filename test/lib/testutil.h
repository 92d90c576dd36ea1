/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test programs: checks that report where they
 * failed, the skip convention, scaled iteration counts, and self-checking
 * records for stress tests. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP 77

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	exit(1); } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
		__FILE__, __LINE__, #a, _a, #b, _b); exit(1); } } while (0)
#define SKIP(...) do { printf("skip: "); printf(__VA_ARGS__); printf("\n"); exit(TEST_SKIP); } while (0)

/* Iterations scaled by $TEST_SCALE (sanitizer builds run fewer). */
long test_scaled(long n);
size_t test_page_size(void);

/* A self-checking record: who wrote it, its sequence number, its length
 * and a checksum over all of it. Payload size >= sizeof(struct test_rec). */
struct test_rec {
	uint32_t producer;
	uint32_t len;      /* whole payload length */
	uint64_t seq;
	uint64_t sum;      /* checksum of the payload with sum = 0 */
};
void test_rec_fill(void *buf, size_t len, uint32_t producer, uint64_t seq);
/* 0 when buf is a whole, uncorrupted record of length len. */
int test_rec_verify(const void *buf, size_t len);
uint64_t test_rand(uint64_t *state);
/* Sample callbacks that count the records they are given, whatever they
 * hold: ctx points to an int, or to a long. Return 0 (go on). */
int test_count_int(void *ctx, void *data, size_t size);
int test_count_long(void *ctx, void *data, size_t size);
uint64_t test_now_ns(void);
/* Arm (or, with seconds 0, disarm) a watchdog: if it is not disarmed or
 * re-armed within `seconds`, the test fails with a line naming the program
 * and what it was waiting for ("still <what> after N s"), instead of
 * hanging or dying of an unhandled SIGALRM. */
void test_watchdog(unsigned seconds, const char *what);

/* The unprivileged user of permission tests: uid and gid 65534. */
#define TEST_NOBODY 65534
/* Become TEST_NOBODY for good (no supplementary groups): 0, or -1. */
int test_become_nobody(void);
/* Run fn(arg) in a fork child as TEST_NOBODY (no supplementary groups) and
 * return its exit status (fn's return value; 2 when switching user
 * failed). The caller must be root (SKIP first otherwise). */
int test_as_nobody(int (*fn)(void *arg), void *arg);

#endif
