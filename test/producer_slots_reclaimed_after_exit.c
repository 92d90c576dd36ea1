// SPDX-License-Identifier: MIT
/* white-box: reads the producers' slots in struct ringbuf (src/internal.h) */
/* Producer slots are never lost. More producers than there are slots exit
 * without ringbuf_free (as a crash would, between records); a producer that
 * attaches after them still gets a slot of its own, so when it dies
 * mid-record its record is recovered and the ring moves on. With all 48
 * slots held by live producers, a further producer goes slotless: its
 * orphan is left alone while any slotless producer lives, and recovered
 * once none does (slower recovery, never a stuck ring). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"
#include "../src/internal.h"

#define RECOVER_MS 50

static void reap(pid_t pid, int want_sig)
{
	int status;

	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (want_sig)
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_sig);
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Poll until `want` records in all have arrived. */
static void drain(struct ringbuf *rb, long *got, long want, const char *what)
{
	test_watchdog(20, what);
	while (*got < want)
		CHECK(ringbuf_poll(rb, test_count_long, got, -1) >= 0);
	test_watchdog(0, NULL);
	CHECK_EQ(*got, want);
}

int main(int argc, char **argv)
{
	RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb, *extra[RINGBUF_MAX_PRODUCERS];
	int nextra = 0, status;
	long got = 0, want = 0;
	char name[64];
	pid_t live;

	cp_maybe_producer(argc, argv);
	snprintf(name, sizeof(name), "rbtest-slots-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 16 * test_page_size(), &o);
	CHECK(rb);

	/* 60 producers, one after the other, each writes 2 records and exits
	 * still attached. */
	setenv("CP_NO_FREE", "1", 1);
	for (int i = 0; i < RINGBUF_MAX_PRODUCERS + 12; i++) {
		reap(cp_spawn_producer(name, 1, 2, NULL, NULL), 0);
		want += 2;
		CHECK(ringbuf_consume(rb, test_count_long, &got) >= 0);
	}
	unsetenv("CP_NO_FREE");
	drain(rb, &got, want, "waiting for the exited producers' records");

	/* The next one still gets a slot: it dies holding its 3rd record, and
	 * the records written after it arrive. */
	reap(cp_spawn_producer(name, 2, 5, "reserve:header=kill@3", NULL), SIGKILL);
	reap(cp_spawn_producer(name, 3, 5, NULL, NULL), 0);
	want += 2 + 5 - 1; /* seq 3 of producer 3 is discarded (cp_is_discard) */
	drain(rb, &got, want, "in poll(-1) for the records behind a dead producer's");
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.orphaned_records, 1);

	/* Fill every slot with live producers of our own (the creator holds
	 * one), then a producer that attaches goes slotless and dies holding
	 * its first record. */
	while (nextra < RINGBUF_MAX_PRODUCERS - 1) {
		extra[nextra] = ringbuf_open(name, RINGBUF_PRODUCER);
		CHECK(extra[nextra]);
		CHECK(RINGBUF_STAMP_SLOT(extra[nextra]->owner_slot) != 0);
		nextra++;
	}
	reap(cp_spawn_producer(name, 4, 5, "reserve:header=kill@1", NULL), SIGKILL);
	/* Another slotless producer, alive (stopped just after its claim). */
	live = cp_spawn_producer(name, 5, 5, "reserve:claimed=stop@1", NULL);
	CHECK_EQ(waitpid(live, &status, WUNTRACED), live);
	CHECK(WIFSTOPPED(status));
	/* Whose record it is cannot be told while a slotless producer lives:
	 * it is left alone, however long. */
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(ringbuf_poll(rb, test_count_long, &got, RECOVER_MS), 0);
		CHECK_EQ(ringbuf_recover(rb), 0);
	}
	CHECK(ringbuf_query(rb, RINGBUF_AVAIL_DATA) > 0);
	/* No slotless producer left: both orphans (the BUSY record, then the
	 * dead one's claim without a header) are recovered and the ring moves. */
	kill(live, SIGKILL);
	reap(live, SIGKILL);
	for (int i = 0; i < nextra; i++)
		ringbuf_free(extra[i]);
	reap(cp_spawn_producer(name, 6, 3, NULL, NULL), 0);
	want += 3;
	drain(rb, &got, want, "in poll(-1) for records behind slotless orphans");
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.orphaned_records, 3);
	CHECK_EQ(st.corrupt_events, 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
