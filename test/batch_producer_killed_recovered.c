// SPDX-License-Identifier: MIT
/* Batch producers (ringbuf_reserve_batch, BATCH records per claim) die at
 * every point of a batch's life: right after the claim (the whole batch is
 * zero: one gap), halfway through its headers (BATCH/2 BUSY, then a zero
 * tail), between two of its commits (the rest BUSY, payloads written; test
 * points in their environment), and at random moments (SIGKILL from here).
 * Beside them, batch producers and a single-reserve producer run to the
 * end. The consumer delivers every committed record exactly once and in
 * order, recovers each orphan after recover_ms and counts it (exactly what
 * each kill leaves, up to gaps that touch and are skipped as one), and the
 * dead producers' slots are freed. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "ringbuf_format.h"
#include "testutil.h"

#define RECOVER_MS 100
#define BATCH 16

enum {
	CLAIMED, HALF, COMMIT, NTP,           /* killed at a test point */
	RAND0 = NTP, NRAND = 2,               /* killed by us, any moment */
	FULL0 = RAND0 + NRAND, NFULL = 2,     /* batch producers that finish */
	SINGLE = FULL0 + NFULL,               /* ringbuf_reserve, finishes */
	N
};

/* Records among seq < n that the producer discarded itself. */
static uint64_t discards_below(uint64_t n)
{
	return n / 7 + (n % 7 > 3);
}

/* The orphans a batch producer of count records leaves when it dies after
 * c commits. Inside a batch: the rest of it, exactly (BUSY, stamped, each
 * recovered on its own). Between batches: none (before the next claim) up
 * to the whole next batch (all headers written; or j < k of them and the
 * zero rest as one gap, j + 1). */
static void orphans_after(long c, long count, uint64_t *lo, uint64_t *hi)
{
	long start = c - c % BATCH, k = count - start < BATCH ? count - start : BATCH;

	if (c >= count)
		*lo = *hi = 0;
	else if (c % BATCH)
		*lo = *hi = (uint64_t)(k - c % BATCH);
	else
		*lo = 0, *hi = (uint64_t)k;
}

int main(int argc, char **argv)
{
	char name[64], tp[NTP][64];
	long per = test_scaled(3000), batches, kill_at[NTP], count[N], done[N];
	long commit_r; /* the commit:before kill's place in its batch, 1-based */
	pid_t pids[N];
	int status[N];
	struct cp_check chk;
	struct ringbuf *rb;
	uint64_t rnd = (uint64_t)getpid() * 7919 + 1, t0;
	uint64_t orphans_lo, orphans_hi, disc_lo = 0, disc_hi = 0;
	int alive = N;

	cp_maybe_producer(argc, argv);
	memset(&chk, 0, sizeof(chk));
	if (per < 4 * BATCH)
		per = 4 * BATCH;
	batches = per / BATCH; /* whole batches: each kill lands in one */
	snprintf(name, sizeof(name), "rbtest-batchdead-%d", (int)getpid());
	ringbuf_unlink(name);
	{
		RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
		rb = ringbuf_create(name, 16 * test_page_size(), &o);
	}
	CHECK(rb);

	/* The K-th hit of a "reserve_batch:" point is the K-th batch: it dies
	 * having committed K-1 whole batches. "commit:before" counts records:
	 * at K = b * BATCH + r (2 <= r < BATCH) it dies inside batch b with
	 * r - 1 of its records committed. */
	kill_at[CLAIMED] = 2 + (long)(test_rand(&rnd) % (uint64_t)(batches - 1));
	kill_at[HALF] = 2 + (long)(test_rand(&rnd) % (uint64_t)(batches - 1));
	commit_r = 2 + (long)(test_rand(&rnd) % (BATCH - 2));
	kill_at[COMMIT] = (1 + (long)(test_rand(&rnd) % (uint64_t)(batches - 1))) * BATCH + commit_r;
	snprintf(tp[CLAIMED], sizeof(tp[0]), "reserve_batch:claimed=kill@%ld", kill_at[CLAIMED]);
	snprintf(tp[HALF], sizeof(tp[0]), "reserve_batch:half=kill@%ld", kill_at[HALF]);
	snprintf(tp[COMMIT], sizeof(tp[0]), "commit:before=kill@%ld", kill_at[COMMIT]);
	done[CLAIMED] = (kill_at[CLAIMED] - 1) * BATCH;
	done[HALF] = (kill_at[HALF] - 1) * BATCH;
	done[COMMIT] = kill_at[COMMIT] - 1;

	for (int i = 0; i < N; i++) {
		count[i] = i == FULL0 ? per + BATCH / 2 + 3 : per; /* one short last batch */
		if (i == SINGLE)
			pids[i] = cp_spawn_producer(name, (uint32_t)i, count[i], NULL, NULL);
		else
			pids[i] = cp_spawn_batch_producer(name, (uint32_t)i, count[i], BATCH,
							  i < NTP ? tp[i] : NULL, NULL);
	}
	printf("kills: %s, %s, %s\n", tp[CLAIMED], tp[HALF], tp[COMMIT]);

	test_watchdog(60, "waiting for every producer's records (dead ones recovered)");
	t0 = test_now_ns();
	/* Kill the random ones at random moments: the first 1-20 ms after it
	 * started (it may not have opened the ring yet), the second once a
	 * random number of its records arrived (it is writing). */
	for (int i = RAND0; i < RAND0 + NRAND; i++) {
		uint64_t until = test_now_ns() + 1000000ULL * (1 + test_rand(&rnd) % 20);
		uint64_t seen = i == RAND0 ? 0 : BATCH + test_rand(&rnd) % (uint64_t)(per / 2);

		if (seen)
			until += 2000000000ULL; /* at most 2 s more, then kill anyway */
		while (test_now_ns() < until && (!seen || chk.next[i] <= seen))
			CHECK(ringbuf_poll(rb, cp_on_record, &chk, 1) >= 0);
		kill(pids[i], SIGKILL);
	}
	/* Consume until every producer is gone and nothing is left (the
	 * model's loop: the last orphans may deliver nothing, so no poll(-1)). */
	while (alive > 0 || ringbuf_query(rb, RINGBUF_AVAIL_DATA)) {
		int st;
		pid_t p;

		CHECK(ringbuf_poll(rb, cp_on_record, &chk, alive ? 20 : 200) >= 0);
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			for (int i = 0; i < N; i++)
				if (pids[i] == p) {
					status[i] = st;
					alive--;
				}
	}

	/* How each one ended, and so what it committed and left behind. */
	orphans_lo = BATCH / 2 + (uint64_t)(BATCH - (commit_r - 1)) + 1;
	orphans_hi = orphans_lo + 1; /* the two gaps, unless they touch */
	for (int i = 0; i < N; i++) {
		int killed = WIFSIGNALED(status[i]) && WTERMSIG(status[i]) == SIGKILL;
		int finished = WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0;

		if (i < NTP || (i >= RAND0 && i < RAND0 + NRAND && killed)) {
			CHECK(killed);
		} else {
			CHECK(finished);
			done[i] = count[i];
		}
		if (i >= RAND0 && i < RAND0 + NRAND && killed) {
			/* It committed every seq below the next one expected,
			 * and that one too if it was a discard. */
			long h = (long)chk.next[i], c_hi = h + cp_is_discard((uint64_t)h);
			uint64_t lo1, hi1, lo2, hi2;

			orphans_after(h, count[i], &lo1, &hi1);
			orphans_after(c_hi, count[i], &lo2, &hi2);
			orphans_lo += lo1 < lo2 ? lo1 : lo2;
			orphans_hi += hi1 > hi2 ? hi1 : hi2;
			disc_lo += discards_below((uint64_t)h);
			disc_hi += discards_below((uint64_t)c_hi);
			printf("random kill of %d after %ld..%ld commits\n", i, h, c_hi);
			continue;
		}
		cp_expect_done(&chk, (uint32_t)i, (uint64_t)done[i]);
		disc_lo += discards_below((uint64_t)done[i]);
		disc_hi += discards_below((uint64_t)done[i]);
	}

	{
		struct ringbuf_stats st = { .sz = sizeof(st) };

		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		printf("delivered %llu, orphaned %llu (expected %llu..%llu), discarded %llu, "
		       "recovered in %.2fs total\n",
		       (unsigned long long)st.delivered_records,
		       (unsigned long long)st.orphaned_records, (unsigned long long)orphans_lo,
		       (unsigned long long)orphans_hi, (unsigned long long)st.discarded_records,
		       (double)(test_now_ns() - t0) / 1e9);
		CHECK_EQ(st.delivered_records, chk.delivered);
		CHECK(st.orphaned_records >= orphans_lo && st.orphaned_records <= orphans_hi);
		/* A recovered orphan is skipped as a discard: what is left are
		 * the producers' own discards, none lost or counted twice. */
		CHECK(st.discarded_records - st.orphaned_records >= disc_lo &&
		      st.discarded_records - st.orphaned_records <= disc_hi);
		CHECK_EQ(st.corrupt_events, 0);
	}

	/* Every dead producer's slot is free again (see dead_producers_
	 * recovered): only ours, the creator's, is held, and the claim. */
	CHECK_EQ(ringbuf_recover(rb), 0);
	cp_expect_creator_locks_only(name);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
