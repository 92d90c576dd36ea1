// SPDX-License-Identifier: MIT
/* A consumer that holds records and is SIGKILLed at random moments leaves
 * what it held in the ring: each new consumer starts exactly at the record
 * after the last one released (never skipping one, never delivering a
 * released one again), records arrive in ring order within each run, and in
 * the end every committed record was delivered. Meanwhile a producer process
 * writes as fast as the held ring lets it (ENOSPC, retried). */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

struct shared {
	/* Release bookkeeping, written by the consumer around each release:
	 * rel_hi before it (the seq about to be released), rel_lo after. */
	volatile int64_t rel_lo, rel_hi;
	volatile int failed;
	volatile int runs;
	volatile long again;   /* records delivered a second time */
	uint8_t seen[];
};

struct run {
	struct shared *sh;
	int64_t last;          /* last seq delivered in this run, -1 none */
	int64_t held[64];      /* seqs delivered, not yet released, by index */
	uint64_t hpos[64];
	int nheld;
	long count;
};

static struct shared *sh;

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	sh->failed = 1; _exit(1); } while (0)

static int64_t next_committed(int64_t seq)
{
	do
		seq++;
	while (cp_is_discard((uint64_t)seq));
	return seq;
}

static int on_hold(void *ctx, void *data, size_t size, uint64_t pos)
{
	struct run *r = ctx;
	const struct test_rec *t = data;

	if (test_rec_verify(data, size))
		FAIL("corrupt record at %llu", (unsigned long long)pos);
	if (r->last < 0) {
		/* The first record of a run: right after the last release
		 * that took effect (the kill may fall between the release and
		 * its bookkeeping, so either side of it). */
		if ((int64_t)t->seq != next_committed(sh->rel_lo) &&
		    (int64_t)t->seq != next_committed(sh->rel_hi))
			FAIL("run %d starts at seq %llu, released %lld..%lld", sh->runs,
			     (unsigned long long)t->seq, (long long)sh->rel_lo, (long long)sh->rel_hi);
	} else if ((int64_t)t->seq != next_committed(r->last)) {
		FAIL("run %d: seq %llu after %lld", sh->runs, (unsigned long long)t->seq,
		     (long long)r->last);
	}
	r->last = (int64_t)t->seq;
	if (sh->seen[t->seq])
		sh->again++;
	sh->seen[t->seq] = 1;
	r->held[r->nheld] = (int64_t)t->seq;
	r->hpos[r->nheld++] = pos;
	return 0;
}

/* A consumer run: hold a few records at a time, release all but the
 * newest few (the acknowledgement lag), until the last record is released. */
static void consumer(const char *name, long count, uint64_t seed)
{
	struct run r = { .sh = sh, .last = -1, .count = count };
	struct ringbuf *rb;
	int64_t last = count - 1;

	while (cp_is_discard((uint64_t)last))
		last--;
	while (!(rb = ringbuf_open(name, RINGBUF_CONSUMER))) {
		if (errno != EBUSY)
			FAIL("open: %s", strerror(errno));
		usleep(200); /* the killed consumer's claim is taken over */
	}
	for (;;) {
		size_t room = 64 - (size_t)r.nheld;
		int n = ringbuf_consume_hold(rb, on_hold, &r, 1 + test_rand(&seed) % room);
		int keep;

		if (n < 0)
			FAIL("consume_hold: %s", strerror(-n));
		keep = r.held[r.nheld ? r.nheld - 1 : 0] == last ? 0 : (int)(test_rand(&seed) % 8);
		if (r.nheld > keep) {
			int i = r.nheld - keep - 1;

			sh->rel_hi = r.held[i];
			if (ringbuf_release(rb, r.hpos[i]))
				FAIL("release %lld failed", (long long)r.held[i]);
			sh->rel_lo = r.held[i];
			memmove(r.held, r.held + i + 1, (size_t)keep * sizeof(r.held[0]));
			memmove(r.hpos, r.hpos + i + 1, (size_t)keep * sizeof(r.hpos[0]));
			r.nheld = keep;
		}
		if (sh->rel_lo == last)
			break;
		usleep(20 + test_rand(&seed) % 100); /* waiting for an acknowledgement */
	}
	ringbuf_free(rb);
	_exit(0);
}

int main(int argc, char **argv)
{
	long count = test_scaled(40000), kills = 12;
	uint64_t seed = (uint64_t)getpid() * 7919;
	char name[64];
	struct ringbuf *rb;
	pid_t prod, kid;
	int status, killed = 0;

	cp_maybe_producer(argc, argv);
	sh = mmap(NULL, sizeof(*sh) + (size_t)count, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	sh->rel_lo = sh->rel_hi = -1;
	snprintf(name, sizeof(name), "rbtest-holdkill-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 16 * test_page_size(), NULL);
	CHECK(rb);
	ringbuf_free(rb);
	prod = cp_spawn_producer(name, 0, count, NULL, NULL);
	alarm(120);
	for (int k = 0; k <= kills; k++) {
		sh->runs = k;
		kid = fork();
		CHECK(kid >= 0);
		if (kid == 0)
			consumer(name, count, seed + (uint64_t)k);
		if (k < kills) {
			/* Kill it at work: once it released a random number of
			 * records more (at most count / (2 * kills) per run, so
			 * no run can reach the end first), at whatever point of
			 * its loop it is then. A fixed time instead let fast
			 * consumers finish before the kill (an ASan run killed
			 * only 5 of 12). */
			int64_t target = sh->rel_lo + 1 +
					 (int64_t)(test_rand(&seed) % (uint64_t)(count / (2 * kills)));
			uint64_t until = test_now_ns() + 20000000000ULL;

			while (sh->rel_lo < target && !sh->failed && test_now_ns() < until)
				usleep(50);
			kill(kid, SIGKILL);
		}
		CHECK(waitpid(kid, &status, 0) == kid);
		CHECK(!sh->failed);
		if (k == kills)
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		else if (WIFEXITED(status))
			CHECK_EQ(WEXITSTATUS(status), 0); /* finished before the kill */
		else
			killed++;
	}
	CHECK(waitpid(prod, &status, 0) == prod);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (long s = 0; s < count; s++)
		if (!cp_is_discard((uint64_t)s) && !sh->seen[s]) {
			fprintf(stderr, "seq %ld never delivered\n", s);
			return 1;
		}
	CHECK_EQ(ringbuf_unlink(name), 0);
	printf("%ld records, %d consumers killed, %ld records delivered again\n", count, killed,
	       sh->again);
	/* The kills must have hit consumers at work, or this proved nothing. */
	CHECK(killed >= kills / 2);
	return 0;
}
