// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

/* CP_BATCH=N (N > 1): reserve N records at a time (crossproc.h). */
static long batch_from_env(void)
{
	const char *s = getenv("CP_BATCH");
	long n = s ? atol(s) : 0;

	CHECK(n <= CP_MAX_BATCH);
	return n > 1 ? n : 0;
}

static void commit_rec(struct ringbuf *rb, void *p, uint64_t seq)
{
	if (cp_is_discard(seq))
		ringbuf_discard(rb, p, 0);
	else
		ringbuf_submit(rb, p, 0);
}

static void run_producer(const char *ring, uint32_t id, long count)
{
	struct ringbuf *rb = ringbuf_open(ring, RINGBUF_PRODUCER);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (id + 1), enospc = 0;
	long batch = batch_from_env(), seq = 0;

	if (!rb) {
		fprintf(stderr, "producer %u: open %s: %s (%s)\n", id, ring, strerror(errno),
			ringbuf_strerror_detail());
		_exit(1);
	}
	while (seq < count) {
		size_t len = sizeof(struct test_rec) + (size_t)(test_rand(&rnd) % 200);
		void *p[CP_MAX_BATCH];
		long k = 1;
		int err;

		if (batch) {
			/* One size for the batch; the last one takes what is left. */
			k = count - seq < batch ? count - seq : batch;
			while ((err = ringbuf_reserve_batch(rb, len, (unsigned int)k, p, 0))) {
				CHECK_EQ(err, -ENOSPC);
				enospc++;
				usleep(50);
			}
		} else {
			while (!(p[0] = ringbuf_reserve(rb, len, 0))) {
				CHECK_EQ(errno, ENOSPC);
				enospc++;
				usleep(50);
			}
		}
		/* All filled, then committed in order: a kill at the i-th commit
		 * leaves the batch's later records BUSY with their payloads. */
		for (long i = 0; i < k; i++)
			test_rec_fill(p[i], len, id, (uint64_t)(seq + i));
		for (long i = 0; i < k; i++)
			commit_rec(rb, p[i], (uint64_t)(seq + i));
		seq += k;
	}
	if (getenv("CP_REPORT_FD"))
		CHECK(write(atoi(getenv("CP_REPORT_FD")), &enospc, sizeof(enospc)) == sizeof(enospc));
	if (!getenv("CP_NO_FREE")) /* set: exit still attached, as a crash would */
		ringbuf_free(rb);
	_exit(0);
}

void cp_maybe_producer(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--producer"))
		run_producer(argv[2], (uint32_t)atoi(argv[3]), atol(argv[4]));
}

pid_t cp_spawn_self(const char *testpoint, char *const argv[])
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		if (testpoint)
			setenv("RINGBUF_TESTPOINT", testpoint, 1);
		else
			unsetenv("RINGBUF_TESTPOINT");
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	return pid;
}

pid_t cp_spawn_batch_producer(const char *ring, uint32_t id, long count, unsigned int batch,
			      const char *testpoint, int *report_fd)
{
	char ids[16], counts[32], batches[16];
	int pfd[2] = { -1, -1 };
	pid_t pid, parent = getpid();

	CHECK(batch <= CP_MAX_BATCH);
	if (report_fd)
		CHECK(pipe(pfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A test that fails exits at once: its producers go with it
		 * instead of spinning on a full ring nobody reads. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (report_fd) {
			char fds[16];

			close(pfd[0]);
			snprintf(fds, sizeof(fds), "%d", pfd[1]);
			setenv("CP_REPORT_FD", fds, 1);
		} else {
			unsetenv("CP_REPORT_FD");
		}
		if (batch > 1) {
			snprintf(batches, sizeof(batches), "%u", batch);
			setenv("CP_BATCH", batches, 1);
		} else {
			unsetenv("CP_BATCH");
		}
		if (testpoint)
			setenv("RINGBUF_TESTPOINT", testpoint, 1);
		else
			unsetenv("RINGBUF_TESTPOINT");
		snprintf(ids, sizeof(ids), "%u", id);
		snprintf(counts, sizeof(counts), "%ld", count);
		execl("/proc/self/exe", "producer", "--producer", ring, ids, counts, (char *)NULL);
		_exit(127);
	}
	if (report_fd) {
		close(pfd[1]);
		*report_fd = pfd[0];
	}
	return pid;
}

pid_t cp_spawn_producer(const char *ring, uint32_t id, long count, const char *testpoint,
			int *report_fd)
{
	return cp_spawn_batch_producer(ring, id, count, 0, testpoint, report_fd);
}

int cp_on_record(void *ctx, void *data, size_t size)
{
	struct cp_check *c = ctx;
	struct test_rec r;
	uint64_t want;

	if (test_rec_verify(data, size)) {
		fprintf(stderr, "corrupt record of %zu bytes\n", size);
		exit(1);
	}
	memcpy(&r, data, sizeof(r));
	CHECK(r.producer < CP_MAX_PRODUCERS);
	want = c->next[r.producer];
	while (cp_is_discard(want))
		want++;
	if (r.seq != want) {
		fprintf(stderr, "producer %u: got seq %llu, expected %llu\n", r.producer,
			(unsigned long long)r.seq, (unsigned long long)want);
		exit(1);
	}
	c->next[r.producer] = r.seq + 1;
	c->delivered++;
	return 0;
}

void cp_expect_done(const struct cp_check *c, uint32_t id, uint64_t n)
{
	uint64_t got = c->next[id], want = n;

	while (cp_is_discard(got))
		got++;
	while (cp_is_discard(want))
		want++;
	if (got != want) {
		fprintf(stderr, "producer %u: delivered up to seq %llu, expected %llu\n", id,
			(unsigned long long)got, (unsigned long long)want);
		exit(1);
	}
}

void cp_kill_holding_reservation(struct ringbuf *rb, size_t len)
{
	uint32_t *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t victim;
	int status;

	CHECK(flag != MAP_FAILED);
	victim = fork();
	CHECK(victim >= 0);
	if (victim == 0) {
		void *p = ringbuf_reserve(rb, len, 0);

		__atomic_store_n(flag, p ? 1 : 2, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		usleep(1000);
	CHECK_EQ(*flag, 1);
	kill(victim, SIGKILL);
	CHECK_EQ(waitpid(victim, &status, 0), victim);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	munmap(flag, 4096);
}

static int lock_held(int fd, uint64_t byte)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)byte, .l_len = 1 };

	CHECK_EQ(fcntl(fd, F_OFD_GETLK, &fl), 0);
	return fl.l_type != F_UNLCK;
}

void cp_expect_creator_locks_only(const char *ring)
{
	char path[128];
	int fd, used = 0;

	snprintf(path, sizeof(path), "/dev/shm/%s", ring);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
		used += lock_held(fd, RINGBUF_LOCK_SLOT(i));
	CHECK_EQ(used, 1);
	CHECK(lock_held(fd, RINGBUF_LOCK_CLAIM));
	close(fd);
}
