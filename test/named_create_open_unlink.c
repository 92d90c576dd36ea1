// SPDX-License-Identifier: MIT
/* Named rings: a shm name and a file path are created with the mode asked
 * for (whatever the umask), a second create fails with EEXIST, another
 * process attaches as a producer and wakes the creator blocked in
 * ringbuf_poll(-1) through the wake FIFO, a producer-only ring cannot
 * consume, and unlink removes the ring and its FIFO. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

struct st { uint64_t next; long n; };

static int on_rec(void *ctx, void *data, size_t size)
{
	struct st *s = ctx;
	struct test_rec r;

	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&r, data, sizeof(r));
	CHECK_EQ(r.seq, s->next);
	s->next++;
	s->n++;
	return 0;
}

static int never(void *ctx, void *data, size_t size)
{
	(void)ctx; (void)data; (void)size;
	return -1;
}

static void check_mode(const char *path, mode_t want)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	CHECK_EQ(st.st_mode & 07777, want);
}

static void one(const char *name, const char *obj_path, const char *wake_path)
{
	RINGBUF_OPTS(o, .mode = 0640);
	long per = test_scaled(20000);
	struct ringbuf *rb, *rb2;
	struct st s = { 0, 0 };
	pid_t kid;
	int status;

	ringbuf_unlink(name);
	umask(077); /* must not change the mode asked for */
	rb = ringbuf_create(name, 4 * test_page_size(), &o);
	CHECK(rb);
	check_mode(obj_path, 0640);
	check_mode(wake_path, 0640);
	CHECK(ringbuf_create(name, 4 * test_page_size(), &o) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK(ringbuf_fd(rb) >= 0);

	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *p = ringbuf_open(name, RINGBUF_PRODUCER);
		uint8_t buf[256];

		CHECK(p);
		CHECK_EQ(ringbuf_consume(p, never, NULL), -EPERM);
		CHECK_EQ(ringbuf_query(p, RINGBUF_RING_SIZE), 4 * test_page_size());
		for (long i = 0; i < per; i++) {
			size_t len = sizeof(struct test_rec) + (size_t)(i % 100);

			test_rec_fill(buf, len, 0, (uint64_t)i);
			while (ringbuf_output(p, buf, len, 0) == -ENOSPC)
				usleep(20);
		}
		ringbuf_free(p);
		_exit(0);
	}
	/* Another consumer is refused while we hold the claim. */
	rb2 = ringbuf_open(name, RINGBUF_CONSUMER);
	CHECK(rb2 == NULL);
	CHECK_EQ(errno, EBUSY);
	CHECK(*ringbuf_strerror_detail());

	test_watchdog(60, "polling for the producer's records");
	while (s.n < per)
		CHECK(ringbuf_poll(rb, on_rec, &s, -1) >= 0);
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	{
		RINGBUF_OPTS(st0);
		struct ringbuf_stats st = { .sz = sizeof(st) };

		(void)st0;
		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		CHECK_EQ(st.delivered_records, per);
	}
	ringbuf_free(rb);

	/* The claim was released by ringbuf_free: a new consumer gets it. */
	rb2 = ringbuf_open(name, RINGBUF_CONSUMER | RINGBUF_PRODUCER);
	CHECK(rb2);
	CHECK_EQ(ringbuf_output(rb2, "x", 1, 0), 0);
	ringbuf_free(rb2);

	CHECK_EQ(ringbuf_unlink(name), 0);
	CHECK(access(obj_path, F_OK) != 0);
	CHECK(access(wake_path, F_OK) != 0);
	CHECK(ringbuf_open(name, RINGBUF_CONSUMER) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(ringbuf_unlink(name), -ENOENT);
}

int main(void)
{
	char name[64], path[128], obj[128], wake[160];

	snprintf(name, sizeof(name), "rbtest-named-%d", (int)getpid());
	snprintf(obj, sizeof(obj), "/dev/shm/%s", name);
	snprintf(wake, sizeof(wake), "/dev/shm/%s.wake", name);
	one(name, obj, wake);

	snprintf(path, sizeof(path), "/tmp/rbtest-named-%d.ring", (int)getpid());
	snprintf(wake, sizeof(wake), "%s.wake", path);
	one(path, path, wake);

	CHECK(ringbuf_open("", RINGBUF_CONSUMER) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(ringbuf_open(name, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	return 0;
}
