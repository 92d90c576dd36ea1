// SPDX-License-Identifier: MIT
/* Across processes: producer processes overwrite continuously while one of
 * them was killed in the middle of a record. Overwrite mode never overwrites
 * that BUSY record: reclaim stops exactly at it (overwrite_pos and
 * pending_pos point at it), reservations then fail with ENOSPC, and the
 * committed records after it stay whole (snapshot). Done twice: on a named
 * ring, the victim re-executed with RINGBUF_TESTPOINT="reserve:header=kill";
 * on an anonymous ring (MAP_SHARED, inherited), a fork child SIGKILLed while
 * it holds a reservation. Recovering the dead record is recover.c's job
 * (dead-producer recovery, not yet for overwrite rings): here it is
 * disabled (recover_ms = UINT32_MAX) and the consumer stays stopped at it. */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define VICTIM_LEN 200

static int check_rec(void *ctx, void *data, size_t size)
{
	uint64_t *next = ctx; /* per producer: lowest seq still acceptable */
	struct test_rec r;

	CHECK(test_rec_verify(data, size) == 0);
	memcpy(&r, data, sizeof(r));
	CHECK(r.producer < 4);
	CHECK(r.seq >= next[r.producer]);
	next[r.producer] = r.seq + 1;
	next[3]++;
	return 0;
}

static void produce(struct ringbuf *rb, uint32_t id, long n)
{
	uint64_t rnd = id * 1000003ULL;
	long streak = 0;

	for (long seq = 0; seq < n && streak < 2000; ) {
		size_t len = sizeof(struct test_rec) + test_rand(&rnd) % 150;
		void *p = ringbuf_reserve(rb, len, 0);

		if (!p) {
			CHECK_EQ(errno, ENOSPC);
			streak++;
			sched_yield();
			continue;
		}
		streak = 0;
		test_rec_fill(p, len, id, (uint64_t)seq++);
		ringbuf_submit(rb, p, RINGBUF_NO_WAKEUP);
	}
}

static void run(struct ringbuf *rb, const char *name, const char *self)
{
	uint64_t next[4] = { 0 };
	uint64_t busy_pos;
	pid_t victim, kids[2];
	int status;

	/* Committed records in front of the victim: overwritten first. */
	produce(rb, 0, 10);
	busy_pos = ringbuf_query(rb, RINGBUF_PROD_POS);

	if (name) {
		victim = fork();
		CHECK(victim >= 0);
		if (victim == 0) {
			setenv("RINGBUF_TESTPOINT", "reserve:header=kill", 1);
			execl(self, self, "victim", name, (char *)NULL);
			_exit(127);
		}
		CHECK_EQ(waitpid(victim, &status, 0), victim);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	} else {
		cp_kill_holding_reservation(rb, VICTIM_LEN);
	}
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), busy_pos + ((VICTIM_LEN + 8 + 7) & ~7ULL));

	/* Two producer processes lap the ring many times over. */
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			produce(rb, (uint32_t)i + 1, test_scaled(20000));
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(waitpid(kids[i], &status, 0), kids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* The producers gave up on their last record when it no longer fit,
	 * which can leave room for smaller ones: fill it with empty discarded
	 * records (8 bytes each) so the ring is full up to the BUSY record. */
	for (void *p; (p = ringbuf_reserve(rb, 0, 0)) != NULL; )
		ringbuf_discard(rb, p, RINGBUF_NO_WAKEUP);
	CHECK_EQ(errno, ENOSPC);

	/* Reclaim stopped exactly at the BUSY record and never passed it. */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_OVERWRITE_POS), busy_pos);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PENDING_POS), busy_pos);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), ringbuf_query(rb, RINGBUF_PROD_POS) - busy_pos);
	errno = 0;
	CHECK(ringbuf_reserve(rb, 8, 0) == NULL);
	CHECK_EQ(errno, ENOSPC);
	/* The committed records after it are whole and in order. */
	int n = ringbuf_snapshot(rb, check_rec, next, 0, 0);
	CHECK(n > 0);
	CHECK_EQ(next[3], (uint64_t)n);
	CHECK_EQ(next[0], 0); /* producer 0's records were before it: gone */
	/* The consumer stops at the BUSY record (recovery disabled). */
	memset(next, 0, sizeof(next));
	CHECK_EQ(ringbuf_consume(rb, check_rec, next), 0);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK(st.overwritten_records >= 10);
	printf("%s ring: BUSY record at %llu kept, %d records after it intact, %llu overwritten\n",
	       name ? "named" : "anonymous", (unsigned long long)busy_pos, n,
	       (unsigned long long)st.overwritten_records);
}

int main(int argc, char **argv)
{
	RINGBUF_OPTS(opts, .flags = RINGBUF_F_OVERWRITE, .recover_ms = UINT32_MAX);
	const size_t size = 4 * test_page_size();
	char name[64];
	struct ringbuf *rb;

	if (argc == 3 && !strcmp(argv[1], "victim")) {
		rb = ringbuf_open(argv[2], RINGBUF_PRODUCER);
		CHECK(rb);
		ringbuf_reserve(rb, VICTIM_LEN, 0); /* killed after the header */
		_exit(3);
	}

	rb = ringbuf_create(NULL, size, &opts);
	CHECK(rb);
	run(rb, NULL, NULL);
	ringbuf_free(rb);

	snprintf(name, sizeof(name), "rbtest-overwrite-killed-%d", (int)getpid());
	rb = ringbuf_create(name, size, &opts);
	if (!rb) {
		printf("named rings unavailable (%s): anonymous ring only\n", strerror(errno));
		return 0;
	}
	run(rb, name, "/proc/self/exe");
	ringbuf_free(rb);
	ringbuf_unlink(name);
	return 0;
}
