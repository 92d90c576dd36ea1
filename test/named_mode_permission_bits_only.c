// SPDX-License-Identifier: MIT
/* A ring's mode is permission bits only: setuid, setgid, sticky or any
 * other bit is EINVAL and nothing is created. The mode asked for is the
 * mode the ring and its FIFO get, whatever the umask. A consumer that
 * re-makes a missing wake FIFO takes the ring file's own owner and
 * permissions, never the mode written in the meta page (which the ring's
 * owner controls): here the owner, uid 65534, writes 06777 there and root
 * consumes. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringbuf.h"
#include "ringbuf_format.h"
#include "testutil.h"

static char ring[128], ring_file[160], wake[200];

static mode_t mode_of(const char *path, uid_t *uid)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	if (uid)
		*uid = st.st_uid;
	return st.st_mode & 07777;
}

/* As the ring's owner: create it 0644, then poison the mode in its meta
 * page and remove its FIFO. */
static int owner_poisons_ring(void *arg)
{
	RINGBUF_OPTS(o, .mode = 0644);
	struct ringbuf *rb = ringbuf_create(ring, 4 * test_page_size(), &o);
	struct ringbuf_meta *m;
	int fd;

	(void)arg;
	if (!rb)
		return 10 + errno;
	ringbuf_free(rb);
	fd = open(ring_file, O_RDWR);
	if (fd < 0)
		return 3;
	m = mmap(NULL, test_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 4;
	m->mode = 06777;
	munmap(m, test_page_size());
	close(fd);
	return unlink(wake) ? 5 : 0;
}

int main(void)
{
	static const uint32_t bad[] = { 04777, 02700, 01777, 010600, 0100644 };
	size_t page = test_page_size();
	struct ringbuf *rb;
	uid_t uid;

	snprintf(ring, sizeof(ring), "rbtest-mode-%d", (int)getpid());
	snprintf(ring_file, sizeof(ring_file), "/dev/shm/%s", ring);
	snprintf(wake, sizeof(wake), "/dev/shm/%s.wake", ring);
	ringbuf_unlink(ring);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RINGBUF_OPTS(o, .mode = bad[i]);

		errno = 0;
		CHECK(ringbuf_create(ring, 4 * page, &o) == NULL);
		CHECK_EQ(errno, EINVAL);
		CHECK(access(ring_file, F_OK) != 0 && access(wake, F_OK) != 0);
		/* Anonymous rings have no mode, but the same options are bad. */
		CHECK(ringbuf_create(NULL, 4 * page, &o) == NULL);
	}

	/* Exactly the mode asked for, for the ring and its FIFO. */
	umask(077);
	{
		RINGBUF_OPTS(o, .mode = 0664);

		rb = ringbuf_create(ring, 4 * page, &o);
		CHECK(rb);
		CHECK_EQ(mode_of(ring_file, NULL), 0664);
		CHECK_EQ(mode_of(wake, NULL), 0664);
		ringbuf_free(rb);
		CHECK_EQ(ringbuf_unlink(ring), 0);
	}

	if (geteuid() != 0)
		SKIP("the meta-page half needs root to run the ring's owner as uid %d", TEST_NOBODY);
	CHECK_EQ(test_as_nobody(owner_poisons_ring, NULL), 0);
	CHECK(access(wake, F_OK) != 0);
	rb = ringbuf_open(ring, RINGBUF_CONSUMER);
	CHECK(rb);
	printf("FIFO re-made by root: mode 0%o (meta page says 06777)\n", mode_of(wake, &uid));
	CHECK_EQ(mode_of(wake, &uid), 0644);
	CHECK_EQ(uid, TEST_NOBODY);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(ring), 0);
	CHECK(access(wake, F_OK) != 0);
	return 0;
}
