// SPDX-License-Identifier: MIT
/* Files that are not rings, or not rings this library can read, fail to
 * open with a clear errno and message and nothing mapped: empty,
 * truncated, wrong magic, wrong version, wrong word size, sizes that do
 * not agree, unknown flags, a directory. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringbuf.h"
#include "ringbuf_format.h"
#include "testutil.h"

static char path[128], copy[160], wake[200];
static uint8_t *good;
static size_t good_len;

static void write_file(const void *buf, size_t len)
{
	int fd = open(copy, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static void expect_fail(const char *what, int err)
{
	struct ringbuf *rb = ringbuf_open(copy, RINGBUF_CONSUMER | RINGBUF_PRODUCER);

	if (rb || errno != err) {
		fprintf(stderr, "%s: got %s, errno %d (%s), expected errno %d\n", what,
			rb ? "a ring" : "NULL", errno, ringbuf_strerror_detail(), err);
		exit(1);
	}
	CHECK(*ringbuf_strerror_detail());
	printf("%-16s errno %-3d %s\n", what, errno, ringbuf_strerror_detail());
}

/* A good ring's bytes with one meta field changed. */
static void mutate(size_t off, const void *val, size_t n, size_t len)
{
	uint8_t *b = malloc(len > good_len ? len : good_len);

	CHECK(b);
	memset(b, 0, len > good_len ? len : good_len);
	memcpy(b, good, good_len);
	memcpy(b + off, val, n);
	write_file(b, len);
	free(b);
}

int main(void)
{
	size_t page = test_page_size();
	struct ringbuf *rb;
	uint64_t u64;
	uint32_t u32;
	int fd;

	snprintf(path, sizeof(path), "/tmp/rbtest-bad-%d.ring", (int)getpid());
	snprintf(copy, sizeof(copy), "%s.copy", path);
	ringbuf_unlink(path);
	rb = ringbuf_create(path, 4 * page, NULL);
	CHECK(rb);
	ringbuf_free(rb);
	good_len = 3 * page + 4 * page;
	good = malloc(good_len);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, good, good_len) == (ssize_t)good_len);
	close(fd);

	write_file(good, good_len); /* the copy itself opens */
	rb = ringbuf_open(copy, RINGBUF_CONSUMER);
	CHECK(rb);
	ringbuf_free(rb);

	write_file(good, 0);
	expect_fail("empty", EBADMSG);
	write_file(good, 100);
	expect_fail("short", EBADMSG);
	write_file(good, 2 * page);
	expect_fail("truncated", EBADMSG);
	write_file(good, good_len - page);
	expect_fail("truncated data", EBADMSG);
	u64 = 0x4141414141414141ULL;
	mutate(offsetof(struct ringbuf_meta, magic), &u64, 8, good_len);
	expect_fail("wrong magic", EBADMSG);
	u32 = RINGBUF_FORMAT_VERSION + 1;
	mutate(offsetof(struct ringbuf_meta, version), &u32, 4, good_len);
	expect_fail("wrong version", EPROTO);
	u32 = 4;
	mutate(offsetof(struct ringbuf_meta, word_size), &u32, 4, good_len);
	expect_fail("word size", EPROTO);
	u32 = (uint32_t)page * 4;
	mutate(offsetof(struct ringbuf_meta, page_size), &u32, 4, good_len);
	expect_fail("page size", EPROTO);
	u32 = 1U << 7;
	mutate(offsetof(struct ringbuf_meta, flags), &u32, 4, good_len);
	expect_fail("unknown flags", EPROTO);
	u32 = 12;
	mutate(offsetof(struct ringbuf_meta, meta_size), &u32, 4, good_len);
	expect_fail("meta_size", EBADMSG);
	u64 = 3 * page;
	mutate(offsetof(struct ringbuf_meta, data_size), &u64, 8, good_len);
	expect_fail("data_size", EBADMSG);
	u64 = 8 * page;
	mutate(offsetof(struct ringbuf_meta, data_size), &u64, 8, good_len);
	expect_fail("size mismatch", EBADMSG);
	mutate(0, good, 8, good_len + page);
	expect_fail("file too long", EBADMSG);

	/* Not a ring: ringbuf_unlink refuses it (named_unlink_only_rings). */
	CHECK(ringbuf_unlink(copy) == -EBADMSG);
	CHECK_EQ(unlink(copy), 0);
	snprintf(wake, sizeof(wake), "%s.wake", copy);
	unlink(wake);
	CHECK(mkdir(copy, 0700) == 0);
	CHECK(ringbuf_open(copy, RINGBUF_CONSUMER) == NULL);
	CHECK(errno == EISDIR || errno == EBADMSG);
	rmdir(copy);

	CHECK_EQ(ringbuf_unlink(path), 0);
	free(good);
	return 0;
}
