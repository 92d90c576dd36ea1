// SPDX-License-Identifier: MIT
/* A ring that does not fit its tmpfs is refused at create with ENOSPC and
 * leaves nothing behind (no half-made ring blocking the name, no FIFO),
 * instead of being created sparse and killing its producers (or create
 * itself) with SIGBUS when the pages are touched. Done for real in a private
 * mount namespace: a 1 MiB tmpfs for a 4 MiB path ring, and a full tmpfs
 * mounted over /dev/shm for a shm ring. A ring that fits is written full
 * by a producer process without a signal. Needs root (mounts). */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* In a child, so that a SIGBUS is a reported failure, not our death. */
static void create_refused(const char *name, size_t size, const char *dir)
{
	pid_t kid;
	int status, before = entries(dir);

	fflush(NULL);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *rb = ringbuf_create(name, size, NULL);

		printf("create %s (%zu KiB): %s, errno %d (%s)\n", name, size >> 10,
		       rb ? "created" : "refused", rb ? 0 : errno, ringbuf_strerror_detail());
		fflush(stdout);
		if (rb) {
			/* Touch every page, as producers would. */
			for (int i = 0; ringbuf_output(rb, "x", 1, 0) == 0; i++)
				;
			_exit(3);
		}
		_exit(errno == ENOSPC ? 0 : 4);
	}
	CHECK(waitpid(kid, &status, 0) == kid);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "create %s died of signal %d\n", name, WTERMSIG(status));
		exit(1);
	}
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* Nothing left behind: the name is free again. */
	CHECK_EQ(entries(dir), before);
}

int main(void)
{
	char dir[] = "/tmp/rbtest-tmpfs-XXXXXX", path[96], shm[64];
	struct ringbuf *rb;
	pid_t kid;
	int status, fd;

	if (geteuid() != 0)
		SKIP("needs root to mount a small tmpfs (running as uid %d)", (int)geteuid());
	if (unshare(CLONE_NEWNS) || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP("no private mount namespace: %s", strerror(errno));
	CHECK(mkdtemp(dir));
	CHECK(mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0);

	/* 4 MiB ring on a 1 MiB tmpfs. */
	snprintf(path, sizeof(path), "%s/big", dir);
	create_refused(path, 4 << 20, dir);

	/* 512 KiB fits: a producer process fills it without a signal. */
	snprintf(path, sizeof(path), "%s/fits", dir);
	rb = ringbuf_create(path, 512 << 10, NULL);
	CHECK(rb);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *p = ringbuf_open(path, RINGBUF_PRODUCER);
		long n = 0;

		if (!p)
			_exit(2);
		while (ringbuf_output(p, "0123456789abcdef0123456789abcdef", 32, 0) == 0)
			n++;
		_exit(errno == ENOSPC && n == (512 << 10) / 40 ? 0 : 3);
	}
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(path), 0);

	/* /dev/shm full: a tmpfs of 64 KiB over it, filled by a file. */
	CHECK(mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k") == 0);
	fd = open("/dev/shm/filler", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	{
		char buf[4096];

		memset(buf, 'f', sizeof(buf));
		while (write(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(fd);
	snprintf(shm, sizeof(shm), "rbtest-full-%d", (int)getpid());
	create_refused(shm, 16 << 10, "/dev/shm");

	umount("/dev/shm");
	umount(dir);
	rmdir(dir);
	return 0;
}
