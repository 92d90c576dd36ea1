// SPDX-License-Identifier: MIT
/* ringbuf_unlink (`ringbuf rm`) removes only what it verified is a ring,
 * and then only its own FIFO: a text file, another program's shm object, a
 * zero-filled file of a ring's size, a symlink to a real ring, a FIFO, a
 * directory and a pinned BPF map (bpffs mounted in a private mount
 * namespace) are refused with EBADMSG (or the open error) and a detail, and
 * left exactly as they were. A real ring whose NAME.wake was replaced by a
 * regular file is removed, that file is not. */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfasm.h"
#include "bpfprog.h"
#include "ringbuf.h"
#include "testutil.h"

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static void same_file(const char *path, const struct stat *was)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	CHECK_EQ(st.st_ino, was->st_ino);
	CHECK_EQ(st.st_size, was->st_size);
	CHECK_EQ(st.st_mode, was->st_mode);
}

/* ringbuf_unlink(name) must fail with `err` (0: with any error) and leave
 * `path` as it was. */
static void refused(const char *what, const char *name, const char *path, int err)
{
	struct stat was;
	int ret;

	CHECK(lstat(path, &was) == 0);
	ret = ringbuf_unlink(name);
	printf("%-22s %d  %s\n", what, ret, ringbuf_strerror_detail());
	if (err ? ret != -err : ret >= 0) {
		fprintf(stderr, "%s: ringbuf_unlink returned %d, expected %d\n", what, ret, -err);
		exit(1);
	}
	CHECK(*ringbuf_strerror_detail());
	same_file(path, &was);
}

/* A BPF map pinned on a bpffs of our own (private mount namespace):
 * refused and still pinned. Skipped (with a line saying so) where the
 * kernel refuses BPF or mounts. */
static void pinned_bpf_map(void)
{
	char dir[] = "/tmp/rbtest-bpffs-XXXXXX", pin[64];
	union bpf_attr attr;
	int map;

	if (unshare(CLONE_NEWNS) || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		printf("pinned BPF map: not tried (no private mount namespace: %s)\n", strerror(errno));
		return;
	}
	CHECK(mkdtemp(dir));
	if (mount("bpf", dir, "bpf", 0, NULL)) {
		printf("pinned BPF map: not tried (cannot mount bpffs: %s)\n", strerror(errno));
		rmdir(dir);
		return;
	}
	map = bpfprog_array_create();
	if (map < 0) {
		CHECK(bpfprog_refused(map));
		printf("pinned BPF map: not tried (%s)\n", bpfprog_error());
	} else {
		snprintf(pin, sizeof(pin), "%s/map", dir);
		memset(&attr, 0, sizeof(attr));
		attr.pathname = (uint64_t)(uintptr_t)pin;
		attr.bpf_fd = (uint32_t)map;
		CHECK(bpf_sys(BPF_OBJ_PIN, &attr) == 0);
		refused("pinned BPF map", pin, pin, 0);
		CHECK(unlink(pin) == 0);
		close(map);
	}
	umount(dir);
	rmdir(dir);
}

int main(void)
{
	size_t page = test_page_size();
	char dir[] = "/tmp/rbtest-rm-XXXXXX", path[128], wake[160], shm[64], shm_path[96];
	struct ringbuf *rb;
	struct stat st;
	uint8_t *junk;

	CHECK(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not a ring, a text file\n", 24);
	refused("text file", path, path, EBADMSG);
	CHECK(unlink(path) == 0);

	/* Another program's shm object, and a file of exactly a ring's size
	 * that is all zero (no magic). */
	snprintf(shm, sizeof(shm), "rbtest-rm-other-%d", (int)getpid());
	snprintf(shm_path, sizeof(shm_path), "/dev/shm/%s", shm);
	junk = malloc(7 * page);
	CHECK(junk);
	for (size_t i = 0; i < 7 * page; i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	write_file(shm_path, junk, 7 * page);
	refused("other program's shm", shm, shm_path, EBADMSG);
	memset(junk, 0, 7 * page);
	write_file(shm_path, junk, 7 * page);
	refused("zero-filled shm", shm, shm_path, EBADMSG);
	CHECK(unlink(shm_path) == 0);
	free(junk);

	/* A symlink to a real ring: the link is not followed, nothing goes. */
	snprintf(path, sizeof(path), "%s/ring", dir);
	rb = ringbuf_create(path, 4 * page, NULL);
	CHECK(rb);
	ringbuf_free(rb);
	snprintf(wake, sizeof(wake), "%s/link", dir);
	CHECK(symlink(path, wake) == 0);
	refused("symlink to a ring", wake, wake, EBADMSG);
	CHECK(stat(path, &st) == 0);
	CHECK(unlink(wake) == 0);

	/* The real ring with its FIFO replaced by a regular file: the ring
	 * goes, the file stays. */
	snprintf(wake, sizeof(wake), "%s/ring.wake", dir);
	CHECK(unlink(wake) == 0);
	write_file(wake, "mine\n", 5);
	CHECK_EQ(ringbuf_unlink(path), 0);
	CHECK(access(path, F_OK) != 0);
	CHECK(lstat(wake, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
	CHECK(unlink(wake) == 0);

	/* A plain ring: it and its FIFO go. */
	rb = ringbuf_create(path, 4 * page, NULL);
	CHECK(rb);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(path), 0);
	CHECK(access(path, F_OK) != 0 && access(wake, F_OK) != 0);

	/* A FIFO and a directory under a ring's name. */
	CHECK(mkfifo(path, 0600) == 0);
	refused("FIFO", path, path, EBADMSG);
	CHECK(unlink(path) == 0);
	CHECK(mkdir(path, 0700) == 0);
	refused("directory", path, path, 0);
	CHECK(rmdir(path) == 0);
	CHECK(rmdir(dir) == 0);

	if (geteuid() == 0)
		pinned_bpf_map();
	else
		printf("pinned BPF map: not tried (needs root)\n");
	return 0;
}
