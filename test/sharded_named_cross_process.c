// SPDX-License-Identifier: MIT
/* A named sharded object is one object across processes: producer
 * processes open it by name and write self-checking records while hopping
 * CPUs; the creator drains every shard through the manager (merged) and
 * gets each record exactly once, whole, with keys in order within each
 * poll. A second consumer is refused (EBUSY), a second creator too
 * (EEXIST). Opening refuses what is not this object: a garbage header, a
 * symlink at the name, a shard replaced by a stale ring of the same name.
 * Unlink removes the header and every shard. */
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define NPROD 3

static long per;

struct check {
	uint8_t *seen[NPROD];
	uint64_t delivered, last_key;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct check *c = ctx;
	struct test_rec r;
	uint64_t k = ringbuf_sharded_key(data);

	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&r, data, sizeof(r));
	CHECK(r.producer < NPROD && r.seq < (uint64_t)per);
	CHECK(!c->seen[r.producer][r.seq]);
	CHECK(k >= c->last_key);
	c->last_key = k;
	c->seen[r.producer][r.seq] = 1;
	c->delivered++;
	return 0;
}

static void producer(const char *name, uint32_t id)
{
	struct ringbuf_sharded *s = ringbuf_open_sharded(name, RINGBUF_PRODUCER);
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uint8_t buf[512];

	if (!s) {
		fprintf(stderr, "producer %u: open: %s\n", id, ringbuf_strerror_detail());
		_exit(1);
	}
	for (long q = 0; q < per; q++) {
		size_t len = sizeof(struct test_rec) + (size_t)(q * 7 + id) % 400;

		if (q % 32 == 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET((int)((id + (uint64_t)q / 32) % (uint64_t)ncpu), &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		test_rec_fill(buf, len, id, (uint64_t)q);
		while (ringbuf_sharded_output(s, buf, len, 0) == -ENOSPC)
			sched_yield();
	}
	ringbuf_sharded_free(s);
	_exit(0);
}

static void expect_open_fails(const char *name, int err, const char *what)
{
	struct ringbuf_sharded *s = ringbuf_open_sharded(name, RINGBUF_PRODUCER);

	if (s || errno != err) {
		fprintf(stderr, "%s: got %s, errno %d (%s), expected %d\n", what,
			s ? "an object" : "NULL", errno, ringbuf_strerror_detail(), err);
		exit(1);
	}
	printf("%-22s errno %-3d %s\n", what, errno, ringbuf_strerror_detail());
}

int main(void)
{
	RINGBUF_SHARDED_OPTS(o, .flags = RINGBUF_SHARDED_F_STAMP);
	char name[64], shard1[80], path[128], dir[] = "/tmp/rbshardXXXXXX";
	struct check chk = { 0 };
	struct ringbuf_sharded *s, *s2;
	struct ringbuf_consumer *c;
	pid_t pids[NPROD];
	struct stat st;
	int fd, status;

	per = test_scaled(20000);
	snprintf(name, sizeof(name), "rbtest-shard-%d", (int)getpid());
	snprintf(shard1, sizeof(shard1), "%s.s1", name);
	ringbuf_unlink_sharded(name);
	s = ringbuf_create_sharded(name, 16384, 2, &o);
	CHECK(s);
	CHECK(!ringbuf_create_sharded(name, 16384, 2, &o) && errno == EEXIST);
	CHECK(!ringbuf_open_sharded(name, RINGBUF_CONSUMER) && errno == EBUSY);

	for (int i = 0; i < NPROD; i++) {
		chk.seen[i] = calloc((size_t)per, 1);
		CHECK(chk.seen[i]);
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (!pids[i])
			producer(name, (uint32_t)i);
	}
	c = ringbuf_consumer_new();
	CHECK(c);
	CHECK_EQ(ringbuf_consumer_add_sharded(c, s, on_rec, &chk, RINGBUF_SHARDED_MERGE), 0);
	test_watchdog(60, "records from the producer processes");
	while (chk.delivered < (uint64_t)(NPROD * per)) {
		int ret = ringbuf_consumer_poll(c, 100);

		CHECK(ret >= 0);
		chk.last_key = 0; /* the next poll is a new merge */
	}
	test_watchdog(0, NULL);
	for (int i = 0; i < NPROD; i++) {
		CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_EQ(ringbuf_consumer_consume(c), 0);
	printf("%llu records from %d processes, exactly once\n",
	       (unsigned long long)chk.delivered, NPROD);
	ringbuf_consumer_free(c);
	ringbuf_sharded_free(s);
	for (int i = 0; i < NPROD; i++)
		free(chk.seen[i]);

	/* The consumer is gone: another process may now consume. */
	s2 = ringbuf_open_sharded(name, RINGBUF_CONSUMER);
	CHECK(s2);
	CHECK_EQ(ringbuf_sharded_shard_cnt(s2), 2);
	ringbuf_sharded_free(s2);

	/* A shard replaced by another ring of the same name. */
	CHECK_EQ(ringbuf_unlink(shard1), 0);
	ringbuf_free(ringbuf_create(shard1, 16384, NULL));
	expect_open_fails(name, EBADMSG, "stale shard");
	CHECK_EQ(ringbuf_unlink_sharded(name), 0);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	CHECK(stat(path, &st) && errno == ENOENT);
	snprintf(path, sizeof(path), "/dev/shm/%s.s0", name);
	CHECK(stat(path, &st) && errno == ENOENT);
	snprintf(path, sizeof(path), "/dev/shm/%s", shard1);
	CHECK(stat(path, &st) && errno == ENOENT);
	expect_open_fails(name, ENOENT, "unlinked");

	/* Not a sharded object: garbage under the name, and a symlink. */
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/garbage", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "RINGBUF1 and then some junk, forty bytes or more of it", 48) == 48);
	close(fd);
	expect_open_fails(path, EBADMSG, "garbage header");
	snprintf(path, sizeof(path), "%s/real", dir);
	s = ringbuf_create_sharded(path, 16384, 2, NULL);
	CHECK(s);
	ringbuf_sharded_free(s);
	snprintf(shard1, sizeof(shard1), "%s/link", dir);
	CHECK_EQ(symlink(path, shard1), 0);
	expect_open_fails(shard1, ELOOP, "symlink at the name");
	CHECK_EQ(ringbuf_unlink_sharded(path), 0);
	unlink(shard1);
	snprintf(path, sizeof(path), "%s/garbage", dir);
	unlink(path);
	CHECK_EQ(rmdir(dir), 0); /* nothing left behind */
	return 0;
}
