// SPDX-License-Identifier: MIT
/* An anonymous ring's memfd is sealed against shrinking and growing: a
 * fork child sharing it (or anything that gets its fd) cannot truncate it
 * under the others, which would make their next access SIGBUS. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

/* The ring's memfd, found among our descriptors by its name. */
static int ring_memfd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	CHECK(d);
	while ((e = readdir(d))) {
		char link[300], target[256];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (!strncmp(target, "/memfd:ringbuf", 14))
				found = atoi(e->d_name);
		}
	}
	closedir(d);
	return found;
}

int main(void)
{
	size_t page = test_page_size();
	struct ringbuf *rb = ringbuf_create(NULL, 4 * page, NULL);
	struct stat st;
	pid_t kid;
	int fd, status, seals;
	long n = 0;

	CHECK(rb);
	fd = ring_memfd();
	CHECK(fd >= 0);
	seals = fcntl(fd, F_GET_SEALS);
	printf("memfd %d seals 0x%x\n", fd, seals);
	CHECK(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW));
	CHECK(ftruncate(fd, 0) != 0 && errno == EPERM);
	CHECK(ftruncate(fd, (off_t)(64 * page)) != 0 && errno == EPERM);

	/* A fork child tries, then writes a record; the parent reads it. */
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0)
		_exit(ftruncate(fd, (off_t)page) == 0 || ringbuf_output(rb, "child", 5, 0) ? 1 : 0);
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 7 * page);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 1);
	ringbuf_free(rb);
	return 0;
}
