// SPDX-License-Identifier: MIT
/* Producer processes write into a small named ring (so they often find it
 * full) with adaptive wakeups; the consumer only ever sleeps in
 * ringbuf_poll(-1). No wakeup may be lost across processes (a watchdog
 * fails the test instead of hanging), every record arrives once and in
 * order, and the ring's statistics agree with what both sides saw:
 * delivered records and bytes, discarded, dropped (producers' ENOSPC). */
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define NPROD 3

struct st { struct cp_check chk; uint64_t bytes; };

static int on_rec(void *ctx, void *data, size_t size)
{
	struct st *s = ctx;

	s->bytes += size;
	return cp_on_record(&s->chk, data, size);
}

int main(int argc, char **argv)
{
	long per = test_scaled(30000);
	uint64_t want = 0, discards = 0, enospc = 0;
	struct ringbuf_stats st = { .sz = sizeof(st) };
	int fds[NPROD], status;
	pid_t pids[NPROD];
	struct ringbuf *rb;
	char name[64];
	struct st s;

	cp_maybe_producer(argc, argv);
	memset(&s, 0, sizeof(s));
	snprintf(name, sizeof(name), "rbtest-xstress-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 2 * test_page_size(), NULL);
	CHECK(rb);
	for (int i = 0; i < NPROD; i++)
		pids[i] = cp_spawn_producer(name, (uint32_t)i, per, NULL, &fds[i]);
	for (long q = 0; q < per; q++)
		cp_is_discard((uint64_t)q) ? discards++ : want++;

	/* a lost wakeup hangs poll(-1): fail instead */
	test_watchdog(60, "in poll(-1) for every producer's records (lost wakeup?)");
	while (s.chk.delivered < NPROD * want)
		CHECK(ringbuf_poll(rb, on_rec, &s, -1) >= 0);
	test_watchdog(0, NULL);
	for (int i = 0; i < NPROD; i++) {
		uint64_t e;

		CHECK(read(fds[i], &e, sizeof(e)) == sizeof(e));
		enospc += e;
		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		cp_expect_done(&s.chk, (uint32_t)i, (uint64_t)per);
	}
	CHECK_EQ(ringbuf_consume(rb, on_rec, &s), 0);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	printf("delivered %llu (%llu bytes), discarded %llu, dropped %llu, wakeups %llu\n",
	       (unsigned long long)st.delivered_records, (unsigned long long)st.delivered_bytes,
	       (unsigned long long)st.discarded_records, (unsigned long long)st.dropped_records,
	       (unsigned long long)st.wakeups);
	CHECK_EQ(st.delivered_records, NPROD * want);
	CHECK_EQ(st.delivered_bytes, s.bytes);
	CHECK_EQ(st.discarded_records, NPROD * discards);
	CHECK_EQ(st.dropped_records, enospc);
	CHECK_EQ(st.orphaned_records, 0);
	CHECK_EQ(st.corrupt_events, 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
