// SPDX-License-Identifier: MIT
/* "Cannot see it" is never "dead". In a private mount namespace with /proc
 * remounted hidepid=2 (what systemd's ProtectProc=invisible gives a
 * service), a process of another uid sees no trace of the ring's consumer
 * or of a slow producer (both uid nobody). Still: its ringbuf_open(CONSUMER)
 * fails with EBUSY while the live consumer holds the claim, and once that
 * consumer is gone and it consumes, it does not orphan the live producer's
 * record (stopped between reserve and commit), however many recovery
 * periods pass; the record arrives intact after SIGCONT. Skips unless root
 * can make the namespace. */
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define NOBODY   65534
#define OBSERVER 65533
#define RECOVER_MS 20

static void become(uid_t uid)
{
	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setresgid(uid, uid, uid), 0);
	CHECK_EQ(setresuid(uid, uid, uid), 0);
	/* After the switch (it clears this): die with a failing test. */
	CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGKILL), 0);
}

/* A child of uid nobody: the consumer (holds the claim) or a producer that
 * stops itself holding a reservation. Reports open's result on fd. */
static pid_t attach_as_nobody(const char *name, int role, int fd)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct ringbuf *rb;
		char ok = 1;

		become(NOBODY);
		rb = ringbuf_open(name, role);
		if (!rb) {
			fprintf(stderr, "nobody: open: %s (%s)\n", strerror(errno),
				ringbuf_strerror_detail());
			_exit(1);
		}
		if (role == RINGBUF_PRODUCER) {
			uint64_t *p = ringbuf_reserve(rb, 16, 0);

			CHECK(p);
			p[0] = 0x5eed; p[1] = 0xbeef;
			CHECK(write(fd, &ok, 1) == 1);
			raise(SIGSTOP); /* slow: stopped mid-record */
			ringbuf_submit(rb, p, RINGBUF_FORCE_WAKEUP);
			ringbuf_free(rb);
			_exit(0);
		}
		CHECK(write(fd, &ok, 1) == 1);
		for (;;)
			pause();
	}
	return pid;
}

/* Run fn in a child of another uid with hidepid=2 on /proc. Its exit
 * status; 77 when the namespace cannot be made. */
static int hidden(int (*fn)(const char *, pid_t), const char *name, pid_t target)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		char path[64];

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2"))
			_exit(77);
		become(OBSERVER);
		/* The attack is real only if the target is really invisible. */
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)target);
		if (!access(path, F_OK)) {
			fprintf(stderr, "hidepid=2 did not hide pid %d\n", (int)target);
			_exit(1);
		}
		_exit(fn(name, target));
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int claim_is_not_stolen(const char *name, pid_t consumer)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_CONSUMER);

	(void)consumer;
	if (rb) {
		fprintf(stderr, "the claim of a live (hidden) consumer was taken\n");
		return 1;
	}
	CHECK_EQ(errno, EBUSY);
	return 0;
}

static int record_is_not_orphaned(const char *name, pid_t producer)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_CONSUMER);
	long got = 0;

	(void)producer;
	CHECK(rb);
	for (int i = 0; i < 10; i++) {
		CHECK(ringbuf_poll(rb, test_count_long, &got, RECOVER_MS) >= 0);
		CHECK_EQ(ringbuf_recover(rb), 0);
	}
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	if (st.orphaned_records) {
		fprintf(stderr, "a live (hidden) producer's record was orphaned\n");
		return 1;
	}
	CHECK_EQ(got, 1); /* the record before it */
	ringbuf_free(rb);
	return 0;
}

int main(void)
{
	RINGBUF_OPTS(o, .mode = 0666, .recover_ms = RECOVER_MS);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb;
	pid_t consumer, producer;
	int pfd[2], status, r;
	long got = 0;
	char name[64], c;

	if (geteuid() != 0)
		SKIP("needs root to make a mount namespace and switch uids");
	snprintf(name, sizeof(name), "rbtest-hidepid-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 4 * test_page_size(), &o);
	CHECK(rb);
	CHECK_EQ(ringbuf_output(rb, "first", 6, 0), 0);
	ringbuf_free(rb); /* the creator lets go: nobody will consume */
	CHECK_EQ(pipe(pfd), 0);

	/* 1. A live, invisible consumer keeps its claim. */
	consumer = attach_as_nobody(name, RINGBUF_CONSUMER, pfd[1]);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	r = hidden(claim_is_not_stolen, name, consumer);
	if (r == 77) {
		kill(consumer, SIGKILL);
		waitpid(consumer, &status, 0);
		ringbuf_unlink(name);
		SKIP("cannot make a mount namespace with /proc hidepid=2");
	}
	CHECK_EQ(r, 0);
	kill(consumer, SIGKILL);
	CHECK_EQ(waitpid(consumer, &status, 0), consumer);

	/* 2. A live, invisible, stopped producer keeps its record. */
	producer = attach_as_nobody(name, RINGBUF_PRODUCER, pfd[1]);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	CHECK_EQ(waitpid(producer, &status, WUNTRACED), producer);
	CHECK(WIFSTOPPED(status));
	CHECK_EQ(hidden(record_is_not_orphaned, name, producer), 0);

	/* It resumes and commits: the record arrives intact. */
	kill(producer, SIGCONT);
	CHECK_EQ(waitpid(producer, &status, 0), producer);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rb = ringbuf_open(name, RINGBUF_CONSUMER);
	CHECK(rb);
	test_watchdog(10, "polling for the resumed producer's record");
	while (got < 1)
		CHECK(ringbuf_poll(rb, test_count_long, &got, -1) >= 0);
	test_watchdog(0, NULL);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.orphaned_records, 0);
	CHECK_EQ(st.corrupt_events, 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
