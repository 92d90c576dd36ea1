// SPDX-License-Identifier: MIT
/* Producer processes die at every point of a record's life: after the claim
 * (zero header), after the BUSY header, just before the commit (test points
 * in their environment), and at a random moment (SIGKILL from here). The
 * consumer, blocked in ringbuf_poll(-1), delivers every committed record
 * exactly once and in order, recovers each orphan after recover_ms and
 * counts it, and the dead producers' slots are freed. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "ringbuf_format.h"
#include "testutil.h"

#define RECOVER_MS 100

int main(int argc, char **argv)
{
	static const char *const points[] = {
		"reserve:claimed=kill@", "reserve:header=kill@", "commit:before=kill@",
	};
	enum { NTP = 3, NRAND = 2, NFULL = 2, N = NTP + NRAND + NFULL };
	char name[64], tp[64];
	long per = test_scaled(3000);
	long kill_at[N];
	pid_t pids[N];
	struct cp_check chk;
	struct ringbuf *rb;
	uint64_t rnd = (uint64_t)getpid() * 7919 + 1, t0;
	int alive = N, status;

	cp_maybe_producer(argc, argv);
	memset(&chk, 0, sizeof(chk));
	snprintf(name, sizeof(name), "rbtest-dead-%d", (int)getpid());
	ringbuf_unlink(name);
	{
		RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
		rb = ringbuf_create(name, 16 * test_page_size(), &o);
	}
	CHECK(rb);

	for (int i = 0; i < N; i++) {
		kill_at[i] = 0;
		if (i < NTP) {
			kill_at[i] = 2 + (long)(test_rand(&rnd) % (uint64_t)(per - 2));
			snprintf(tp, sizeof(tp), "%s%ld", points[i], kill_at[i]);
		}
		pids[i] = cp_spawn_producer(name, (uint32_t)i, per, i < NTP ? tp : NULL, NULL);
	}

	test_watchdog(60, "waiting for every producer's records (dead ones recovered)");
	t0 = test_now_ns();
	/* Kill the random ones at random moments while they write. */
	for (int i = NTP; i < NTP + NRAND; i++) {
		uint64_t until = t0 + 1000000ULL * (1 + test_rand(&rnd) % 20);

		while (test_now_ns() < until)
			CHECK(ringbuf_poll(rb, cp_on_record, &chk, 1) >= 0);
		kill(pids[i], SIGKILL);
	}
	/* Consume until every producer is gone and nothing is left: with a
	 * dead producer's orphan in the way, this needs recovery. Not poll(-1)
	 * once all are gone: recovering the last orphans may deliver nothing,
	 * and poll(-1) rightly waits for a record no one will write. */
	while (alive > 0 || ringbuf_query(rb, RINGBUF_AVAIL_DATA)) {
		pid_t p;

		CHECK(ringbuf_poll(rb, cp_on_record, &chk, alive ? 20 : 200) >= 0);
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			alive--;
	}

	{
		struct ringbuf_stats st = { .sz = sizeof(st) };
		uint64_t orphans_min = NTP, orphans_max = NTP + NRAND;

		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		printf("delivered %llu, orphaned %llu, discarded %llu, recovered in %.2fs total\n",
		       (unsigned long long)st.delivered_records,
		       (unsigned long long)st.orphaned_records,
		       (unsigned long long)st.discarded_records,
		       (double)(test_now_ns() - t0) / 1e9);
		CHECK_EQ(st.delivered_records, chk.delivered);
		CHECK(st.orphaned_records >= orphans_min && st.orphaned_records <= orphans_max);
		CHECK_EQ(st.corrupt_events, 0);
	}
	for (int i = 0; i < NTP; i++)
		cp_expect_done(&chk, (uint32_t)i, (uint64_t)kill_at[i] - 1);
	for (int i = NTP + NRAND; i < N; i++)
		cp_expect_done(&chk, (uint32_t)i, (uint64_t)per);

	/* Every dead producer's slot is free again: the kernel dropped their
	 * slot locks. Ask as any other program would (ringbuf_format.h): from
	 * a description of our own, which producer slots and which claim are
	 * held. Only ours, the creator's, are. */
	CHECK_EQ(ringbuf_recover(rb), 0);
	cp_expect_creator_locks_only(name);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
