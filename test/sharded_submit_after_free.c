// SPDX-License-Identifier: MIT
/* Producers remember, per thread, the shard they last reserved in, so that
 * submit finds a sample's shard without a search. That memory must never
 * be followed once its object is gone: a thread that produced into an
 * object which was then freed, and which submits a sample of a newer
 * object (reserved by another thread), must have its record committed in
 * the newer object and touch nothing of the old one. Under AddressSanitizer
 * a cache that points at the freed handle is a heap-use-after-free here.
 * Also: a sample reserved in one thread is submitted by another (both
 * directions), and a pointer that is no record of the object is ignored. */
#include <pthread.h>
#include <string.h>

#include "ringbuf.h"
#include "testutil.h"

static pthread_barrier_t step;
static struct ringbuf_sharded *cur;  /* the object of this step */
static void *handoff;                /* a sample passed between threads */

static void *worker(void *arg)
{
	void *p;

	(void)arg;
	/* 1: produce into the first object. */
	pthread_barrier_wait(&step);
	p = ringbuf_sharded_reserve(cur, 16, 0);
	CHECK(p != NULL);
	memcpy(p, "first object...", 16);
	ringbuf_sharded_submit(cur, p, 0);
	pthread_barrier_wait(&step);
	/* 2: the first object is freed and a second made; submit the
	 * sample the main thread reserved in it. */
	pthread_barrier_wait(&step);
	ringbuf_sharded_submit(cur, handoff, 0);
	/* 3: reserve here, the main thread submits. */
	p = ringbuf_sharded_reserve(cur, 16, 0);
	CHECK(p != NULL);
	memcpy(p, "worker reserved", 16);
	handoff = p;
	pthread_barrier_wait(&step);
	return NULL;
}

struct seen {
	int n;
	char rec[4][16];
};

static int take(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;

	CHECK_EQ(size, 16);
	if (s->n < 4)
		memcpy(s->rec[s->n], data, 16);
	s->n++;
	return 0;
}

int main(void)
{
	size_t sz = 4 * test_page_size();
	struct seen seen = { 0 };
	pthread_t t;
	void *p;
	int stray = 0;

	CHECK(pthread_barrier_init(&step, NULL, 2) == 0);
	CHECK(pthread_create(&t, NULL, worker, NULL) == 0);

	cur = ringbuf_create_sharded(NULL, sz, 2, NULL);
	CHECK(cur != NULL);
	pthread_barrier_wait(&step); /* 1 */
	pthread_barrier_wait(&step);
	CHECK_EQ(ringbuf_sharded_consume(cur, take, &seen, 0), 1);
	CHECK(!memcmp(seen.rec[0], "first object...", 16));
	ringbuf_sharded_free(cur);

	/* 2: a new object; this thread reserves, the worker submits. */
	seen.n = 0;
	cur = ringbuf_create_sharded(NULL, sz, 1, NULL);
	CHECK(cur != NULL);
	p = ringbuf_sharded_reserve(cur, 16, 0);
	CHECK(p != NULL);
	memcpy(p, "main reserved..", 16);
	handoff = p;
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step); /* 3 */
	ringbuf_sharded_submit(cur, handoff, 0);
	CHECK(pthread_join(t, NULL) == 0);

	/* A pointer into no shard of the object is ignored, like NULL. */
	ringbuf_sharded_submit(cur, &stray, 0);
	ringbuf_sharded_discard(cur, &stray, 0);

	CHECK_EQ(ringbuf_sharded_consume(cur, take, &seen, 0), 2);
	CHECK(!memcmp(seen.rec[0], "main reserved..", 16));
	CHECK(!memcmp(seen.rec[1], "worker reserved", 16));
	CHECK_EQ(ringbuf_sharded_consume(cur, take, &seen, 0), 0);
	ringbuf_sharded_free(cur);
	pthread_barrier_destroy(&step);
	printf("ok: records submitted across threads and after a free land in their object\n");
	return 0;
}
