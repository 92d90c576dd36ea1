/* SPDX-License-Identifier: MIT */
/* Producer processes for cross-process tests: the test binary re-executes
 * itself as a producer (so RINGBUF_TESTPOINT, read at library load, can be
 * set for that child alone), and a checker for what the consumer gets. */
#ifndef CROSSPROC_H
#define CROSSPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CP_MAX_PRODUCERS 16

/* Call first in main(): when argv says so, run as a producer and exit. */
void cp_maybe_producer(int argc, char **argv);

/* Start a producer process that opens `ring` as RINGBUF_PRODUCER and writes
 * `count` self-checking records (test_rec, producer id, seq 0..count-1;
 * every seq with cp_is_discard(seq) is discarded), retrying on ENOSPC.
 * testpoint: RINGBUF_TESTPOINT for the child, or NULL. *report_fd (if not
 * NULL) gets a pipe on which the child writes its ENOSPC count at the end.
 * The child is SIGKILLed when its parent dies (a failed test leaves none).
 * With CP_NO_FREE in the environment the child exits without ringbuf_free.
 * With CP_BATCH=N (N > 1, at most CP_MAX_BATCH) in the child's environment
 * it reserves N records of one random size at a time with
 * ringbuf_reserve_batch (the last batch takes what is left), fills them all,
 * then commits each in seq order: test points "reserve_batch:*" then count
 * batches, "commit:before" still counts records. cp_spawn_batch_producer
 * sets it; cp_spawn_producer clears it, whatever our environment holds. */
#define CP_MAX_BATCH 64
pid_t cp_spawn_producer(const char *ring, uint32_t id, long count, const char *testpoint,
			int *report_fd);
pid_t cp_spawn_batch_producer(const char *ring, uint32_t id, long count, unsigned int batch,
			      const char *testpoint, int *report_fd);
static inline int cp_is_discard(uint64_t seq) { return seq % 7 == 3; }

/* Start this test program again as a child, with argv (argv[0] included,
 * NULL-terminated) and RINGBUF_TESTPOINT set to testpoint (or unset: NULL),
 * which the library reads when it loads. */
pid_t cp_spawn_self(const char *testpoint, char *const argv[]);

struct ringbuf;
/* Kill a fork child of ours while it holds a reservation of len bytes on rb
 * (an anonymous ring it inherited): it reserves, never commits, and is
 * SIGKILLed and reaped here. The record it leaves is BUSY for good. */
void cp_kill_holding_reservation(struct ringbuf *rb, size_t len);

/* The consumer's side: every producer's records arrive in order, exactly
 * once, never a discarded one, none corrupt. */
struct cp_check {
	uint64_t next[CP_MAX_PRODUCERS];   /* lowest seq not yet seen */
	uint64_t delivered;
};
int cp_on_record(void *ctx, void *data, size_t size);
/* Records delivered for producer id == all its committed records among
 * seq < n (n = records it finished before dying). */
void cp_expect_done(const struct cp_check *c, uint32_t id, uint64_t n);

/* Every producer slot lock of the named ring is free but one (the creator's,
 * a consumer and producer that is still attached), and the consumer's claim
 * is held: asked from the ring file as any program would
 * (ringbuf_format.h), so dead producers' slots are known to be free. */
void cp_expect_creator_locks_only(const char *ring);

#endif
