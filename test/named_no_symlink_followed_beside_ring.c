// SPDX-License-Identifier: MIT
/* An unprivileged user (uid 65534) plants NAME.wake -> victim beside a
 * ring, in a directory it owns and in /dev/shm, and root then creates the
 * ring with mode 0666, consumes it (what `ringbuf cat` does) and produces
 * into it (`ringbuf write`). Nothing is followed: the victims' modes and
 * owners are unchanged, create refuses (EEXIST) and leaves the planted link
 * where it was, open refuses (EBADMSG). Then the attacker races: it keeps
 * removing NAME.wake and renaming a symlink over it while root creates and
 * opens the ring again and again; still nothing changes. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

static char victim_root[128], victim_user[128], ring[256], wake[300];
static int failures;

/* A refusal that did not happen is counted, and the attack goes on: the
 * victims' modes are what matters most (checked throughout). */
#define EXPECT(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); } } while (0)

struct victim {
	const char *path;
	mode_t mode;
	uid_t uid;
};
static struct victim victims[2];

static void check_victims(const char *when)
{
	for (int i = 0; i < 2; i++) {
		struct stat st;

		CHECK(stat(victims[i].path, &st) == 0);
		if ((st.st_mode & 07777) != victims[i].mode || st.st_uid != victims[i].uid) {
			fprintf(stderr, "%s: victim %s is now 0%o uid %u (was 0%o uid %u)\n", when,
				victims[i].path, st.st_mode & 07777, (unsigned)st.st_uid,
				victims[i].mode, (unsigned)victims[i].uid);
			exit(1);
		}
	}
}

static void make_victim(int i, const char *path, mode_t mode, uid_t uid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
	CHECK(chown(path, uid, uid) == 0);
	CHECK(chmod(path, mode) == 0);
	victims[i] = (struct victim){ path, mode, uid };
}

static int plant_link(void *target)
{
	unlink(wake);
	return symlink(target, wake) ? 10 + errno : 0;
}

/* The attacker's own ring (0666, so root may use it), its FIFO swapped for
 * a link to the victim. */
static int plant_ring_and_link(void *target)
{
	RINGBUF_OPTS(o, .mode = 0666);
	struct ringbuf *rb = ringbuf_create(ring, 4 * test_page_size(), &o);

	if (!rb)
		return 20 + errno;
	ringbuf_free(rb);
	return plant_link(target);
}

static int is_link(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* The race: as the attacker, rename a fresh symlink over NAME.wake without
 * pause until killed. */
static int swap_forever(void *target)
{
	char tmp[320];

	snprintf(tmp, sizeof(tmp), "%s.tmp", wake);
	for (unsigned long i = 0;; i++) {
		/* Now and then leave the name free a moment (so root makes its
		 * FIFO); otherwise put a fresh link there again and again:
		 * right after root removes what was there, or over root's new
		 * FIFO before root sets its mode. */
		if (i % 8 == 0) {
			unlink(wake);
			sched_yield();
		}
		unlink(tmp);
		if (!symlink(target, tmp))
			rename(tmp, wake);
	}
	return 0;
}

static void attack(const char *where)
{
	RINGBUF_OPTS(o, .mode = 0666);
	long rounds = test_scaled(300), created = 0;
	struct ringbuf *rb;
	pid_t racer;

	/* Planted before create: refused, the link is left alone. */
	CHECK_EQ(test_as_nobody(plant_link, (void *)victims[0].path), 0);
	errno = 0;
	rb = ringbuf_create(ring, 4 * test_page_size(), &o);
	printf("%s create:   errno %d (%s)\n", where, errno, ringbuf_strerror_detail());
	EXPECT(rb == NULL && errno == EEXIST);
	EXPECT(is_link(wake));
	ringbuf_free(rb);
	check_victims("after create");
	unlink(wake);

	/* The attacker's ring with a planted link: root's consumer and
	 * producer refuse it. */
	ringbuf_unlink(ring);
	CHECK_EQ(test_as_nobody(plant_ring_and_link, (void *)victims[1].path), 0);
	for (int role = RINGBUF_PRODUCER; role <= RINGBUF_CONSUMER; role++) {
		errno = 0;
		rb = ringbuf_open(ring, role);
		printf("%s open(%d):  errno %d (%s)\n", where, role, errno, ringbuf_strerror_detail());
		EXPECT(rb == NULL && errno == EBADMSG);
		ringbuf_free(rb);
		check_victims("after open");
	}
	EXPECT(is_link(wake));
	unlink(wake);
	ringbuf_unlink(ring);

	/* The race, where the attacker can replace root's FIFO (a directory
	 * it owns; /dev/shm is sticky, so there it can only plant first). */
	racer = fork();
	CHECK(racer >= 0);
	if (racer == 0) {
		if (test_become_nobody())
			_exit(2);
		/* Dies with us, even when a check fails (set after setuid,
		 * which clears it). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(3);
		swap_forever((void *)victims[0].path);
	}
	for (long i = 0; i < rounds; i++) {
		rb = ringbuf_create(ring, 4 * test_page_size(), &o);

		if (rb) {
			created++;
			ringbuf_free(rb);
			rb = ringbuf_open(ring, RINGBUF_CONSUMER);
			ringbuf_free(rb);
			ringbuf_unlink(ring);
		}
		check_victims("during the race");
	}
	kill(racer, SIGKILL);
	waitpid(racer, NULL, 0);
	printf("%s race:     %ld rounds, %ld rings created, victims unchanged\n", where, rounds,
	       created);
	unlink(wake);
	ringbuf_unlink(ring);
	{
		char tmp[320];

		snprintf(tmp, sizeof(tmp), "%s.tmp", wake);
		unlink(tmp); /* the racer's last link, if it was killed before its rename */
	}
}

int main(void)
{
	char vdir[] = "/tmp/rbtest-victim-XXXXXX", adir[] = "/tmp/rbtest-attacker-XXXXXX";

	if (geteuid() != 0)
		SKIP("needs root to play root and uid %d (running as uid %d)", TEST_NOBODY,
		     (int)geteuid());
	CHECK(mkdtemp(vdir) && chmod(vdir, 0755) == 0);
	snprintf(victim_root, sizeof(victim_root), "%s/root-binary", vdir);
	snprintf(victim_user, sizeof(victim_user), "%s/other-users-file", vdir);
	make_victim(0, victim_root, 0755, 0);
	make_victim(1, victim_user, 0600, TEST_NOBODY - 1);

	/* A directory the attacker owns. */
	CHECK(mkdtemp(adir) && chmod(adir, 0755) == 0 && chown(adir, TEST_NOBODY, TEST_NOBODY) == 0);
	snprintf(ring, sizeof(ring), "%s/ring", adir);
	snprintf(wake, sizeof(wake), "%s.wake", ring);
	attack("dir     ");

	/* /dev/shm. */
	snprintf(ring, sizeof(ring), "rbtest-symlink-%d", (int)getpid());
	snprintf(wake, sizeof(wake), "/dev/shm/%s.wake", ring);
	ringbuf_unlink(ring);
	attack("/dev/shm");

	check_victims("at the end");
	unlink(victim_root);
	unlink(victim_user);
	rmdir(vdir);
	rmdir(adir);
	return failures ? 1 : 0;
}
