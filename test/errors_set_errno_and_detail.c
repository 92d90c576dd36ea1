// SPDX-License-Identifier: MIT
/* One way to fail (docs/DESIGN.md §14, "Errors"): a representative failing
 * call of each constructor returns NULL (or its negative errno), sets errno
 * to that errno and leaves the detail ringbuf_strerror_detail() documents,
 * and the next successful call shows "" -- also when the success went
 * through an internal step that failed (a producer opening a ring whose
 * wake FIFO is missing does without it; the missing FIFO is no detail). */
#include <fcntl.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

static int fails;

/* errno is set to something else first: the call must set it. */
#define PRIME() (errno = 0)

static void expect(const char *what, int failed, int ret, int err, const char *detail)
{
	const char *d = ringbuf_strerror_detail();
	int ok = failed && errno == err && (ret == 0 || ret == -err) &&
		 (detail ? strstr(d, detail) != NULL : *d == 0);

	printf("%-34s %s errno %-3d \"%s\"\n", what, ok ? "ok  " : "FAIL", errno, d);
	if (!ok) {
		fprintf(stderr, "%s: expected failure, errno %d, ret %d and a detail with \"%s\"\n",
			what, err, -err, detail ? detail : "");
		fails++;
	}
}

static void expect_clean(const char *what, int succeeded)
{
	const char *d = ringbuf_strerror_detail();
	int ok = succeeded && *d == 0;

	printf("%-34s %s \"%s\"\n", what, ok ? "ok  " : "FAIL", d);
	if (!ok) {
		fprintf(stderr, "%s: expected success and an empty detail\n", what);
		fails++;
	}
}

static int count(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static int event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	(void)ctx, (void)ev;
	return 0;
}

int main(void)
{
	size_t sz = 4 * test_page_size();
	char name[64], wake[96], bad[96];
	struct ringbuf *rb, *rb2;
	struct ringbuf_consumer *c;
	struct ringbuf_sharded *s;
	int fd, ret;

	snprintf(name, sizeof(name), "rb-errors-%d", (int)getpid());
	snprintf(wake, sizeof(wake), "/dev/shm/%s.wake", name);
	snprintf(bad, sizeof(bad), "/dev/shm/rb-errors-bad-%d", (int)getpid());

	/* ringbuf_create */
	PRIME();
	rb = ringbuf_create(NULL, 3, NULL);
	expect("create: size", !rb, 0, EINVAL, "power of two");
	{
		RINGBUF_OPTS(o, .flags = 0x4);
		PRIME();
		rb = ringbuf_create(NULL, sz, &o);
		expect("create: flags", !rb, 0, EINVAL, "unknown ring flags");
	}
	rb = ringbuf_create(name, sz, NULL);
	expect_clean("create: named", rb != NULL);
	CHECK(rb);
	PRIME();
	rb2 = ringbuf_create(name, sz, NULL);
	expect("create: exists", !rb2, 0, EEXIST, "cannot create ring");

	/* ringbuf_open */
	PRIME();
	rb2 = ringbuf_open("rb-errors-no-such-ring", RINGBUF_CONSUMER);
	expect("open: missing", !rb2, 0, ENOENT, "cannot open ring");
	PRIME();
	rb2 = ringbuf_open(name, 0);
	expect("open: role", !rb2, 0, EINVAL, "role");
	PRIME();
	rb2 = ringbuf_open(name, RINGBUF_CONSUMER);
	expect("open: consumer taken", !rb2, 0, EBUSY, "live process");
	fd = open(bad, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)(8 * test_page_size())) == 0);
	close(fd);
	PRIME();
	rb2 = ringbuf_open(bad, RINGBUF_PRODUCER);
	expect("open: not a ring", !rb2, 0, EBADMSG, "bad magic");

	/* A producer does without a missing wake FIFO: a success, no detail. */
	CHECK(unlink(wake) == 0);
	rb2 = ringbuf_open(name, RINGBUF_PRODUCER);
	expect_clean("open: producer, FIFO missing", rb2 != NULL);
	ringbuf_free(rb2);

	/* ringbuf_unlink */
	PRIME();
	ret = ringbuf_unlink("rb-errors-no-such-ring");
	expect("unlink: missing", ret < 0, ret, ENOENT, "cannot check ring");
	PRIME();
	ret = ringbuf_unlink(bad);
	expect("unlink: not a ring", ret < 0, ret, EBADMSG, "not removed");
	unlink(bad);

	/* kernel BPF rings */
	PRIME();
	rb2 = ringbuf_open_bpf(-1);
	expect("open_bpf: bad fd", !rb2, 0, EBADF, NULL);

	/* the manager */
	c = ringbuf_consumer_new();
	expect_clean("consumer_new", c != NULL);
	CHECK(c);
	PRIME();
	ret = ringbuf_consumer_add_bpf(c, -1, count, NULL);
	expect("consumer_add_bpf: bad fd", ret < 0, ret, EBADF, NULL);
	ret = ringbuf_consumer_add(c, rb, count, NULL);
	expect_clean("consumer_add", ret == 0);
	PRIME();
	ret = ringbuf_consumer_add(c, rb, count, NULL);
	expect("consumer_add: twice", ret < 0, ret, EEXIST, NULL);
	PRIME();
	rb2 = ringbuf_consumer_ring(c, 7);
	expect("consumer_ring: no such index", !rb2, 0, ENOENT, NULL);

	/* ftrace sources: options are checked before tracefs is looked for */
	{
		RINGBUF_FTRACE_OPTS(o, .method = 99);
		PRIME();
		ret = ringbuf_consumer_add_ftrace(c, &o, event, NULL);
		expect("consumer_add_ftrace: method", ret < 0, ret, EINVAL, NULL);
	}
	{
		struct { struct ringbuf_ftrace_opts o; uint64_t newer; } big;

		memset(&big, 0, sizeof(big));
		big.o.sz = sizeof(big);
		big.newer = 1;
		PRIME();
		ret = ringbuf_consumer_add_ftrace(c, &big.o, event, NULL);
		expect("consumer_add_ftrace: opts", ret < 0, ret, EINVAL, "not zero");
	}
	{
		RINGBUF_IDLE_OPTS(o, .policy = 99);
		PRIME();
		ret = ringbuf_consumer_set_idle(c, &o);
		expect("consumer_set_idle: policy", ret < 0, ret, EINVAL, "unknown idle policy");
		PRIME();
		ret = ringbuf_set_idle(rb, &o);
		expect("set_idle: policy", ret < 0, ret, EINVAL, "unknown idle policy");
	}
	ringbuf_consumer_free(c);

	/* sharded rings */
	PRIME();
	s = ringbuf_create_sharded(NULL, sz, 0, NULL);
	expect("create_sharded: no shards", !s, 0, EINVAL, "shards");
	PRIME();
	s = ringbuf_create_sharded(NULL, 3, 2, NULL);
	expect("create_sharded: size", !s, 0, EINVAL, "power of two");
	PRIME();
	s = ringbuf_open_sharded("rb-errors-no-such-ring", RINGBUF_CONSUMER);
	expect("open_sharded: missing", !s, 0, ENOENT, "cannot open");
	PRIME();
	ret = ringbuf_unlink_sharded(name);
	expect("unlink_sharded: a plain ring", ret < 0, ret, EBADMSG, "not removed");
	/* A failure after the header was made: the shard's own detail
	 * survives the clean-up, which removes the header and shard 0. */
	{
		char sname[64], taken[80], path[96];

		snprintf(sname, sizeof(sname), "rb-errors-sharded-%d", (int)getpid());
		snprintf(taken, sizeof(taken), "%s.s1", sname);
		rb2 = ringbuf_create(taken, sz, NULL);
		CHECK(rb2);
		PRIME();
		s = ringbuf_create_sharded(sname, sz, 2, NULL);
		expect("create_sharded: shard 1 exists", !s, 0, EEXIST, ".s1': File exists");
		snprintf(path, sizeof(path), "/dev/shm/%s", sname);
		CHECK(access(path, F_OK) != 0);
		snprintf(path, sizeof(path), "/dev/shm/%s.s0", sname);
		CHECK(access(path, F_OK) != 0);
		ringbuf_free(rb2);
		CHECK(ringbuf_unlink(taken) == 0);
	}
	s = ringbuf_create_sharded(NULL, sz, 2, NULL);
	expect_clean("create_sharded", s != NULL);
	CHECK(s);
	PRIME();
	rb2 = ringbuf_sharded_shard(s, 2);
	expect("sharded_shard: no such index", !rb2, 0, ENOENT, NULL);
	c = ringbuf_consumer_new();
	CHECK(c);
	PRIME();
	ret = ringbuf_consumer_add_sharded(c, s, count, NULL, RINGBUF_SHARDED_MERGE);
	expect("consumer_add_sharded: no stamps", ret < 0, ret, EINVAL, NULL);
	ringbuf_consumer_free(c);
	ringbuf_sharded_free(s);

	ringbuf_free(rb);
	CHECK(ringbuf_unlink(name) == 0);
	if (fails)
		fprintf(stderr, "%d of the calls above failed otherwise than documented\n", fails);
	return fails ? 1 : 0;
}
