// SPDX-License-Identifier: MIT
/* white-box: reads and writes the reclaim lock in struct ringbuf (src/internal.h) */
/* The overwrite reclaim lock is judged by the holder's slot lock, not its
 * pid. A live producer in another pid namespace (unshare -p -f; its pid
 * there, written where the lock word used to keep a pid, names no process
 * here) stops inside reclaim holding the lock: it is never taken over —
 * our reservations that need room fail with ENOSPC after the bounded wait,
 * and the lock word stays its own — until it dies; then the lock is taken
 * over and overwriting goes on. Skips unless root can make the namespace. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"
#include "../src/internal.h"

/* The holder, exec'd inside the namespace with its test point armed. */
static void holder(const char *name)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_PRODUCER);

	CHECK(rb);
	for (int i = 0;; i++) /* stops itself at reclaim:locked */
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP), 0);
}

/* Namespace init: give the holder a pid that does not exist out there. */
static void ns_init(const char *name, pid_t want)
{
	char buf[32];
	int fd, status;
	pid_t kid;

	/* Die with a failing test; the namespace's processes die with us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		_exit(77);
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	if (fd >= 0) {
		snprintf(buf, sizeof(buf), "%d", (int)want - 1);
		if (write(fd, buf, strlen(buf)) < 0)
			_exit(77);
		close(fd);
	}
	kid = fork();
	if (kid == 0) {
		setenv("RINGBUF_TESTPOINT", "reclaim:locked=stop", 1);
		execl("/proc/self/exe", "holder", "--holder", name, (char *)NULL);
		_exit(127);
	}
	waitpid(kid, &status, 0);
	_exit(0);
}

/* The namespace is made in a child of ours, not in the test process (a
 * process whose children land in another pid namespace cannot run the
 * sanitizers' exit-time checks): it unshares, starts the namespace's init
 * and passes on how that ended. Killing it kills the namespace (init dies
 * with its parent). */
static pid_t ns_keeper(const char *name, pid_t want)
{
	pid_t keeper = fork(), init;
	int status;

	CHECK(keeper >= 0);
	if (keeper)
		return keeper;
	if (unshare(CLONE_NEWPID))
		_exit(77);
	init = fork();
	if (init < 0)
		_exit(1);
	if (init == 0)
		ns_init(name, want);
	waitpid(init, &status, 0);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int main(int argc, char **argv)
{
	RINGBUF_OPTS(o, .flags = RINGBUF_F_OVERWRITE);
	struct ringbuf *rb;
	uint32_t *lock, word;
	char name[64];
	pid_t keeper, want;
	uint64_t t0, over;
	int status, refused = 0;

	if (argc == 3 && !strcmp(argv[1], "--holder"))
		holder(argv[2]);
	if (geteuid() != 0)
		SKIP("needs root to make a pid namespace");
	/* A pid nothing here has: the holder's pid in its namespace. */
	for (want = 300000; want < 400000 && !(kill(want, 0) && errno == ESRCH); want++)
		;
	snprintf(name, sizeof(name), "rbtest-pidns-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, test_page_size(), &o);
	CHECK(rb);
	lock = &rb->meta->reclaim_lock;

	keeper = ns_keeper(name, want);
	test_watchdog(20, "waiting for the other namespace's producer to hold the reclaim lock");
	while (!(word = __atomic_load_n(lock, __ATOMIC_ACQUIRE))) {
		if (waitpid(keeper, &status, WNOHANG) == keeper) {
			ringbuf_free(rb);
			ringbuf_unlink(name);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
				SKIP("cannot make a pid namespace with its own /proc");
			fprintf(stderr, "the holder's namespace ended (status 0x%x)\n", status);
			return 1;
		}
		usleep(1000);
	}
	test_watchdog(0, NULL);
	/* What an implementation that kept a pid there would have judged. */
	CHECK(kill(want, 0) && errno == ESRCH);

	/* Alive, elsewhere, invisible by pid: bounded wait, then ENOSPC. */
	t0 = test_now_ns();
	for (int i = 0; i < 50 && !refused; i++)
		refused = ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP) == -ENOSPC;
	CHECK(refused);
	CHECK_EQ(__atomic_load_n(lock, __ATOMIC_ACQUIRE), word);
	CHECK(test_now_ns() - t0 < 5000000000ULL);

	/* It dies (its namespace with its keeper): the lock is taken over. */
	CHECK(keeper > 0);
	kill(keeper, SIGKILL);
	CHECK_EQ(waitpid(keeper, &status, 0), keeper);
	over = ringbuf_query(rb, RINGBUF_OVERWRITE_POS);
	/* The holder dies a moment after its keeper (init's parent-death
	 * signal, then the namespace): until then, ENOSPC. */
	test_watchdog(20, "waiting for the dead holder's reclaim lock to be taken over");
	for (int i = 0; i < 1000; i++) {
		int r;

		while ((r = ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP)) == -ENOSPC)
			usleep(1000);
		CHECK_EQ(r, 0);
	}
	test_watchdog(0, NULL);
	CHECK(ringbuf_query(rb, RINGBUF_OVERWRITE_POS) > over);
	CHECK_EQ(__atomic_load_n(lock, __ATOMIC_ACQUIRE), 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
