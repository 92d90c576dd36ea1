// SPDX-License-Identifier: MIT
/* A producer stopped (SIGSTOP) for many times recover_ms, once between its
 * claim and its header (zero header) and once between header and commit
 * (BUSY header), is alive: its record is not recovered, even by
 * ringbuf_recover(), and arrives intact after SIGCONT, followed by the
 * rest of its records. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define RECOVER_MS 30

static void one(const char *name, const char *point)
{
	RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct cp_check chk;
	struct ringbuf *rb;
	long per = 50;
	int status = 0, reaped = 0;
	pid_t kid;

	memset(&chk, 0, sizeof(chk));
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 4 * test_page_size(), &o);
	CHECK(rb);
	kid = cp_spawn_producer(name, 0, per, point, NULL);
	/* Wait until it has stopped itself at its 5th record. */
	test_watchdog(30, "waiting for the producer to stop itself at its test point");
	CHECK(waitpid(kid, &status, WUNTRACED) == kid);
	CHECK(WIFSTOPPED(status));
	/* Ten recovery periods: the consumer keeps looking, never recovers. */
	for (uint64_t end = test_now_ns() + 10ULL * RECOVER_MS * 1000000; test_now_ns() < end;) {
		CHECK(ringbuf_poll(rb, cp_on_record, &chk, RECOVER_MS) >= 0);
		CHECK_EQ(ringbuf_recover(rb), 0);
	}
	cp_expect_done(&chk, 0, 4);
	CHECK(ringbuf_query(rb, RINGBUF_AVAIL_DATA) > 0);
	kill(kid, SIGCONT);
	/* Reap the child once: waiting again for a reaped child fails for
	 * ever (ECHILD), which is how this loop used to hang. */
	test_watchdog(30, "draining the resumed producer's records");
	while (!reaped || ringbuf_query(rb, RINGBUF_AVAIL_DATA)) {
		if (!reaped) {
			pid_t r = waitpid(kid, &status, WNOHANG);

			CHECK(r == 0 || r == kid);
			reaped = r == kid;
		}
		CHECK(ringbuf_poll(rb, cp_on_record, &chk, 10) >= 0);
	}
	test_watchdog(0, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cp_expect_done(&chk, 0, (uint64_t)per);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.orphaned_records, 0);
	CHECK_EQ(st.corrupt_events, 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
}

int main(int argc, char **argv)
{
	char name[64];

	cp_maybe_producer(argc, argv);
	snprintf(name, sizeof(name), "rbtest-slow-%d", (int)getpid());
	one(name, "reserve:header=stop@5");
	one(name, "commit:before=stop@5");
	one(name, "reserve:claimed=stop@5");
	return 0;
}
