// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport mutex_queue: what a user writes without a ring
 * library. A byte ring of [u32 len][payload, padded to 8] records holding
 * RING_SIZE bytes of records. Producers take the lock per record; the
 * consumer takes everything there under one lock, processes it outside the
 * lock, then releases the space.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

struct mq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	uint8_t *buf;
	uint64_t head, tail;   /* byte positions: head written, tail freed */
	int cons_waiting, prod_waiting;
};

#define MQ_SIZE RING_SIZE

static int mq_put(struct mq *q, const void *data, size_t len, _Atomic int *stop)
{
	uint64_t need = 8 + ((len + 7) & ~7ULL);

	pthread_mutex_lock(&q->mu);
	while (q->head + need - q->tail > MQ_SIZE) {
		if (stop && atomic_load(stop)) {
			pthread_mutex_unlock(&q->mu);
			return -1;
		}
		q->prod_waiting = 1;
		pthread_cond_wait(&q->not_full, &q->mu);
	}
	{
		uint64_t off = q->head & (MQ_SIZE - 1);
		uint32_t l32 = (uint32_t)len;

		/* The buffer has MQ_SIZE slack bytes so records never wrap. */
		memcpy(q->buf + off, &l32, 4);
		memcpy(q->buf + off + 8, data, len);
		q->head += need;
	}
	if (q->cons_waiting) {
		q->cons_waiting = 0;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Drain everything there; block when empty unless *done. Returns records. */
static long mq_drain(struct mq *q, int (*fn)(void *, void *, size_t), void *ctx, _Atomic int *done)
{
	uint64_t head, tail;
	long n = 0;

	pthread_mutex_lock(&q->mu);
	while (q->head == q->tail) {
		if (atomic_load(done)) {
			pthread_mutex_unlock(&q->mu);
			return 0;
		}
		q->cons_waiting = 1;
		/* Timed: the end-of-run check needs to run. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 5000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
	}
	head = q->head;
	tail = q->tail;
	pthread_mutex_unlock(&q->mu);
	while (tail != head) {
		uint64_t off = tail & (MQ_SIZE - 1);
		uint32_t len;

		memcpy(&len, q->buf + off, 4);
		fn(ctx, q->buf + off + 8, len);
		tail += 8 + ((len + 7) & ~7ULL);
		n++;
	}
	pthread_mutex_lock(&q->mu);
	q->tail = tail;
	if (q->prod_waiting) {
		q->prod_waiting = 0;
		pthread_cond_broadcast(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

static int mq_open(struct run *r)
{
	struct mq *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->buf = calloc(1, 2 * MQ_SIZE);
	if (!q->buf) {
		free(q);
		return -ENOMEM;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	r->src = q;
	return 0;
}

static void mq_close(struct run *r)
{
	struct mq *q = r->src;

	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->buf);
	free(q);
}

static void mq_wake_producers(struct mq *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

static void mq_produce(struct run *r, int id)
{
	struct mq *q = r->src;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			rec_fill(tmp, r->len, tag | seq);
			if (mq_put(q, tmp, r->len, &r->stop))
				return;
			seq++;
		}
	}
}

static void mq_consume(struct run *r)
{
	struct mq *q = r->src;

	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = mq_drain(q, check_cb, &r->chk, &r->prod_done);

		/* Keep producers from sleeping through the stop. */
		if (atomic_load(&r->stop))
			mq_wake_producers(q);
		if (done && n == 0)
			break;
	}
}

static int mq_lat_put(struct run *r, const void *rec)
{
	return mq_put(r->src, rec, LAT_LEN, NULL);
}

static void mq_lat_consume(struct run *r)
{
	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = mq_drain(r->src, lat_cb, r->aux, &r->prod_done);

		if (done && n == 0)
			break;
	}
}

const struct transport mutex_queue = {
	.open = mq_open,
	.produce = mq_produce,
	.consume = mq_consume,
	.close = mq_close,
	.put = mq_lat_put,
	.lat_consume = mq_lat_consume,
};
