// SPDX-License-Identifier: MIT
/* Crash loop: for a bounded number of rounds (TEST_SCALE for a soak),
 * producers and the consumer are SIGKILLed at random points — at named test
 * points inside a record's life and inside the consumer's release, and by
 * a kill from here at a random moment — and restarted. In the end every
 * record a producer committed has been delivered (at least once), nothing
 * delivered is corrupt or was never written, orphans are at most one per
 * producer death, duplicates at most one publish batch per consumer death,
 * and the ring always moves again: a last consumer drains it to empty. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define P        3      /* producers per round */
#define PER      300    /* records per producer */
#define RECOVER_MS 20
#define MAXREC   200

struct entry {
	uint32_t id;
	uint32_t seq;
};

static int log_fd = -1;

static void log_entry(uint32_t id, uint64_t seq)
{
	struct entry e = { id, (uint32_t)seq };

	CHECK(write(log_fd, &e, sizeof(e)) == sizeof(e));
}

static int on_rec(void *ctx, void *data, size_t size)
{
	struct test_rec r;

	(void)ctx;
	if (test_rec_verify(data, size)) {
		fprintf(stderr, "corrupt record of %zu bytes\n", size);
		exit(1);
	}
	memcpy(&r, data, sizeof(r));
	log_entry(r.producer, r.seq);
	return 0;
}

static void producer(const char *name, uint32_t id, const char *log)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_PRODUCER);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (id + 1);

	log_fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(rb && log_fd >= 0);
	for (uint64_t seq = 0; seq < PER; seq++) {
		size_t len = sizeof(struct test_rec) + (size_t)(test_rand(&rnd) % MAXREC);
		void *p;

		while (!(p = ringbuf_reserve(rb, len, 0))) {
			CHECK_EQ(errno, ENOSPC);
			usleep(100);
		}
		test_rec_fill(p, len, id, seq);
		ringbuf_submit(rb, p, 0);
		log_entry(id, seq); /* committed */
	}
	_exit(0); /* still attached, as often */
}

static void consumer(const char *name, const char *log)
{
	struct ringbuf *rb;

	log_fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(log_fd >= 0);
	/* The previous consumer may not be reaped yet: its claim goes with
	 * its last descriptor. */
	while (!(rb = ringbuf_open(name, RINGBUF_CONSUMER))) {
		CHECK_EQ(errno, EBUSY);
		usleep(1000);
	}
	for (;;)
		CHECK(ringbuf_poll(rb, on_rec, NULL, RECOVER_MS) >= 0);
}

static pid_t spawn(const char *mode, const char *name, uint32_t id, const char *log,
		   const char *testpoint)
{
	char ids[16];
	char *argv[] = { (char *)mode, (char *)mode, (char *)name, ids, (char *)log, NULL };

	snprintf(ids, sizeof(ids), "%u", id);
	return cp_spawn_self(testpoint, argv);
}

/* SIGKILL one child of ours. Never a pid <= 0: kill(-1) would signal every
 * process we may signal, kill(0) our process group. */
static void kill_child(pid_t pid)
{
	if (pid <= 0) {
		fprintf(stderr, "refusing to kill pid %d\n", (int)pid);
		abort();
	}
	kill(pid, SIGKILL);
}

/* Reaped: 1 when it was killed, 0 when it exited 0; anything else fails. */
static int reaped(pid_t pid, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return 1;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		fprintf(stderr, "child %d ended with status 0x%x\n", (int)pid, status);
		exit(1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const ppoints[] = { "reserve:claimed", "reserve:header", "commit:before" };
	static const char *const cpoints[] = { "release:announced", "release:zeroing", "release:zeroed" };
	RINGBUF_OPTS(o, .recover_ms = RECOVER_MS);
	long rounds = test_scaled(10), pkills = 0, ckills = 0, dups = 0, committed = 0;
	char name[64], plog[128], clog[128], tp[64];
	struct ringbuf_stats st = { .sz = sizeof(st) };
	uint64_t rnd = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL | 1;
	uint8_t *seen, *done;
	struct ringbuf *rb;
	struct entry e;
	int fd, status;

	if (argc == 5 && !strcmp(argv[1], "--producer"))
		producer(argv[2], (uint32_t)atoi(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "--consumer"))
		consumer(argv[2], argv[4]);
	snprintf(name, sizeof(name), "rbtest-crash-%d", (int)getpid());
	snprintf(plog, sizeof(plog), "/tmp/%s.committed", name);
	snprintf(clog, sizeof(clog), "/tmp/%s.delivered", name);
	CHECK((fd = open(plog, O_CREAT | O_TRUNC | O_WRONLY, 0600)) >= 0 && !close(fd));
	CHECK((fd = open(clog, O_CREAT | O_TRUNC | O_WRONLY, 0600)) >= 0 && !close(fd));
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 16 * test_page_size(), &o);
	CHECK(rb);
	ringbuf_free(rb); /* consumers come and go from here on */

	test_watchdog(60 + (unsigned)rounds * 5, "in the crash loop (a ring that stopped moving?)");
	for (long r = 0; r < rounds; r++) {
		pid_t prods[P], cons = 0;
		int alive = P;

		for (int k = 0; k < P; k++) {
			const char *t = NULL;

			if (test_rand(&rnd) % 2) {
				snprintf(tp, sizeof(tp), "%s=kill@%u", ppoints[test_rand(&rnd) % 3],
					 (unsigned)(1 + test_rand(&rnd) % PER));
				t = tp;
			}
			prods[k] = spawn("--producer", name, (uint32_t)(r * P + k), plog, t);
		}
		while (alive) {
			pid_t pid;

			if (!cons) {
				const char *t = NULL;

				if (test_rand(&rnd) % 2) {
					snprintf(tp, sizeof(tp), "%s=kill@%u", cpoints[test_rand(&rnd) % 3],
						 (unsigned)(1 + test_rand(&rnd) % 4));
					t = tp;
				}
				cons = spawn("--consumer", name, 0, clog, t);
			}
			usleep((useconds_t)(2000 + test_rand(&rnd) % 20000));
			/* A kill from outside, at a random moment. */
			switch (test_rand(&rnd) % 4) {
			case 0:
				kill_child(cons);
				break;
			case 1: {
				pid_t victim = prods[test_rand(&rnd) % P];

				if (victim > 0) /* still running */
					kill_child(victim);
				break;
			}
			default:
				break;
			}
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				int killed = reaped(pid, status);

				if (pid == cons) {
					CHECK(killed); /* consumers only end killed */
					ckills++;
					cons = 0;
					continue;
				}
				for (int k = 0; k < P; k++)
					if (prods[k] == pid) {
						prods[k] = 0; /* reaped: never a kill target */
						pkills += killed;
						alive--;
					}
			}
		}
		if (cons) {
			kill_child(cons);
			CHECK_EQ(waitpid(cons, &status, 0), cons);
			reaped(cons, status);
			ckills++;
		}
	}
	test_watchdog(0, NULL);

	/* The last consumer: the ring moves, down to empty. */
	rb = ringbuf_open(name, RINGBUF_CONSUMER);
	CHECK(rb);
	log_fd = open(clog, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(log_fd >= 0);
	test_watchdog(30, "draining after the crash loop (the ring stopped moving)");
	while (ringbuf_query(rb, RINGBUF_AVAIL_DATA))
		CHECK(ringbuf_poll(rb, on_rec, NULL, RECOVER_MS) >= 0);
	test_watchdog(0, NULL);
	close(log_fd);

	seen = calloc((size_t)(rounds * P * PER), 1);
	done = calloc((size_t)(rounds * P * PER), 1);
	CHECK(seen && done);
	CHECK((fd = open(clog, O_RDONLY)) >= 0);
	while (read(fd, &e, sizeof(e)) == sizeof(e)) {
		CHECK(e.id < rounds * P && e.seq < PER); /* only what was written */
		if (seen[e.id * PER + e.seq]++)
			dups++;
	}
	close(fd);
	CHECK((fd = open(plog, O_RDONLY)) >= 0);
	while (read(fd, &e, sizeof(e)) == sizeof(e)) {
		CHECK(e.id < rounds * P && e.seq < PER);
		done[e.id * PER + e.seq] = 1;
		committed++;
		if (!seen[e.id * PER + e.seq]) {
			fprintf(stderr, "record %u of producer %u was committed, never delivered\n",
				e.seq, e.id);
			return 1;
		}
	}
	close(fd);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	printf("%ld rounds: %ld committed, %ld delivered twice, %llu orphaned, "
	       "%ld producer and %ld consumer kills\n", rounds, committed, dups,
	       (unsigned long long)st.orphaned_records, pkills, ckills);
	CHECK_EQ(st.corrupt_events, 0);
	CHECK(st.orphaned_records <= (uint64_t)pkills);
	CHECK(dups <= ckills * (16384 / 32 + 1));
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	unlink(plog);
	unlink(clog);
	free(seen);
	free(done);
	return 0;
}
