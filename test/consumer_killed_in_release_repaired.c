// SPDX-License-Identifier: MIT
/* A consumer SIGKILLed at each point of its release — after announcing it
 * (release:announced), in the middle of zeroing (release:zeroing), after
 * zeroing but before publishing consumer_pos (release:zeroed) — and one
 * killed inside its callback. The next consumer finishes the half-done
 * release and goes on: every committed record is delivered at least once,
 * none is lost, a record is delivered twice only if the killed consumer had
 * not released it yet (at most one publish batch), nothing is counted
 * corrupt, and the ring takes and delivers new records afterwards. Without
 * the repair a kill mid-zeroing left a zero run ending inside a record and
 * the next consumer delivered nothing more, for ever. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define REC 40   /* payload: footprint 48 */
#define N   1000 /* records: 48000 bytes, less than the 64 KiB ring */

struct log {
	int fd;        /* child: every delivered seq is appended here */
	long kill_at;  /* child: SIGKILL inside the callback of this record */
	long n;
	uint8_t seen[2 * N];
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct log *l = ctx;
	uint64_t seq;

	CHECK_EQ(size, REC);
	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&seq, (uint8_t *)data + offsetof(struct test_rec, seq), sizeof(seq));
	CHECK(seq < 2 * N);
	if (l->fd >= 0)
		CHECK(write(l->fd, &seq, sizeof(seq)) == sizeof(seq));
	else
		l->seen[seq]++;
	if (++l->n == l->kill_at)
		raise(SIGKILL); /* delivered, not yet released */
	return 0;
}

/* The consumer being killed: its test point is in its environment. */
static void consumer(const char *name, const char *logpath, long kill_at)
{
	struct log l = { .fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC) };
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_CONSUMER);

	CHECK(rb && l.fd >= 0);
	l.kill_at = kill_at;
	while (ringbuf_consume(rb, on_rec, &l) > 0)
		;
	_exit(0); /* the test point never fired: the parent fails */
}

static void produce(struct ringbuf *rb, uint64_t from, uint64_t to)
{
	uint8_t buf[REC];

	for (uint64_t s = from; s < to; s++) {
		test_rec_fill(buf, REC, 0, s);
		CHECK_EQ(ringbuf_output(rb, buf, REC, 0), 0);
	}
}

static void one(const char *name, const char *testpoint, const char *cb_kill_at)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct log *l = calloc(1, sizeof(*l));
	char logpath[128];
	struct ringbuf *rb;
	long dups = 0, killed_delivered;
	int status, fd;
	uint64_t seq;
	pid_t kid;

	CHECK(l);
	l->fd = -1;
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 16 * test_page_size(), NULL);
	CHECK(rb);
	produce(rb, 0, N);
	ringbuf_free(rb); /* the creator lets go of the claim */

	snprintf(logpath, sizeof(logpath), "/tmp/%s.log", name);
	fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	{
		char *argv[] = { "consumer", "--consumer", (char *)name, logpath,
				 (char *)(cb_kill_at ? cb_kill_at : "0"), NULL };

		kid = cp_spawn_self(testpoint, argv);
	}
	test_watchdog(20, "waiting for the consumer to be killed at its test point");
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	test_watchdog(0, NULL);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		fprintf(stderr, "%s%s: the consumer was not killed (status 0x%x)\n",
			testpoint ? testpoint : "callback", cb_kill_at ? cb_kill_at : "", status);
		exit(1);
	}
	while (read(fd, &seq, sizeof(seq)) == sizeof(seq)) {
		CHECK(seq < N);
		l->seen[seq]++;
	}
	close(fd);
	unlink(logpath);
	killed_delivered = l->n = 0;
	for (int i = 0; i < N; i++)
		killed_delivered += l->seen[i];
	CHECK(killed_delivered > 0);

	/* The next consumer: everything left, then new records. */
	rb = ringbuf_open(name, RINGBUF_CONSUMER | RINGBUF_PRODUCER);
	CHECK(rb);
	test_watchdog(20, "consuming after the killed consumer (a half-done release?)");
	while (ringbuf_consume(rb, on_rec, l) > 0)
		;
	produce(rb, N, N + 50);
	while (ringbuf_consume(rb, on_rec, l) > 0)
		;
	test_watchdog(0, NULL);
	for (int i = 0; i < N + 50; i++) {
		if (!l->seen[i]) {
			fprintf(stderr, "%s: record %d lost (%ld delivered before the kill)\n",
				testpoint ? testpoint : "callback", i, killed_delivered);
			exit(1);
		}
		CHECK(l->seen[i] <= 2);
		dups += l->seen[i] - 1;
	}
	/* At least once; twice only what was delivered and not released. */
	CHECK(dups <= (long)(16384 / 48) + 1);
	if (testpoint)
		CHECK_EQ(dups, 0); /* a release in progress is finished, not redone */
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.corrupt_events, 0);
	CHECK_EQ(st.orphaned_records, 0);
	printf("%-22s killed after %4ld records, %3ld delivered twice\n",
	       testpoint ? testpoint : "callback", killed_delivered, dups);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	free(l);
}

int main(int argc, char **argv)
{
	char name[64];

	if (argc == 5 && !strcmp(argv[1], "--consumer"))
		consumer(argv[2], argv[3], atol(argv[4]));
	snprintf(name, sizeof(name), "rbtest-relkill-%d", (int)getpid());
	one(name, "release:announced=kill@2", NULL);
	one(name, "release:zeroing=kill@2", NULL);
	one(name, "release:zeroed=kill@2", NULL);
	one(name, "release:zeroing=kill@1", NULL);
	one(name, NULL, "500");
	return 0;
}
