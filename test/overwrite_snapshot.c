// SPDX-License-Identifier: MIT
/* Snapshot after producers stop returns exactly the newest committed
 * records, oldest first, as private copies, without consuming: with one
 * producer they are a contiguous tail of its sequence that accounts for every
 * byte from overwrite_pos to producer_pos; with several, the same records a
 * consumer then reads. max_records and max_bytes keep the newest that fit. */
#include <pthread.h>

#include "ringbuf.h"
#include "testutil.h"

#define MAXR 4096

struct list {
	size_t n;
	struct { uint32_t producer, len; uint64_t seq; } r[MAXR];
};

static int collect(void *ctx, void *data, size_t size)
{
	struct list *l = ctx;
	struct test_rec r;

	CHECK(test_rec_verify(data, size) == 0);
	CHECK(l->n < MAXR);
	memcpy(&r, data, sizeof(r));
	l->r[l->n].producer = r.producer;
	l->r[l->n].len = (uint32_t)size;
	l->r[l->n].seq = r.seq;
	l->n++;
	memset(data, 0xee, size); /* a private copy: scribbling is harmless */
	return 0;
}

static void check_suffix(const struct list *all, const struct list *part)
{
	CHECK(part->n <= all->n);
	for (size_t i = 0; i < part->n; i++) {
		size_t j = all->n - part->n + i;

		CHECK_EQ(part->r[i].producer, all->r[j].producer);
		CHECK_EQ(part->r[i].seq, all->r[j].seq);
		CHECK_EQ(part->r[i].len, all->r[j].len);
	}
}

static struct ringbuf *g_rb;

static void *producer(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	uint64_t rnd = 77 + id;

	for (uint64_t seq = 0; seq < (uint64_t)test_scaled(20000); seq++) {
		size_t len = sizeof(struct test_rec) + test_rand(&rnd) % 300;
		void *p;

		while (!(p = ringbuf_reserve(g_rb, len, 0)))
			CHECK_EQ(errno, ENOSPC);
		test_rec_fill(p, len, id, seq);
		if (test_rand(&rnd) % 10 == 0)
			ringbuf_discard(g_rb, p, RINGBUF_NO_WAKEUP);
		else
			ringbuf_submit(g_rb, p, RINGBUF_NO_WAKEUP);
	}
	return NULL;
}

int main(void)
{
	static struct list all, part, consumed;
	RINGBUF_OPTS(opts, .flags = RINGBUF_F_OVERWRITE);
	const size_t size = 4 * test_page_size();
	struct ringbuf *rb = ringbuf_create(NULL, size, &opts);
	uint64_t rnd = 1, bytes = 0, avail;
	pthread_t t[3];

	CHECK(rb);
	/* One producer: a contiguous tail, every byte accounted for. */
	const uint64_t total = 5000;
	for (uint64_t seq = 0; seq < total; seq++) {
		size_t len = sizeof(struct test_rec) + test_rand(&rnd) % 200;
		void *p = ringbuf_reserve(rb, len, 0);

		CHECK(p);
		test_rec_fill(p, len, 0, seq);
		ringbuf_submit(rb, p, RINGBUF_NO_WAKEUP);
	}
	avail = ringbuf_query(rb, RINGBUF_AVAIL_DATA);
	CHECK(ringbuf_snapshot(rb, collect, &all, 0, 0) == (int)all.n);
	CHECK(all.n > 10);
	for (size_t i = 0; i < all.n; i++) {
		CHECK_EQ(all.r[i].seq, total - all.n + i);
		bytes += (all.r[i].len + RINGBUF_HDR_SZ + 7) & ~7ULL;
	}
	CHECK_EQ(bytes, avail);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), avail); /* not consumed */

	/* Limits: the newest that fit. */
	part.n = 0;
	CHECK_EQ(ringbuf_snapshot(rb, collect, &part, 5, 0), 5);
	check_suffix(&all, &part);
	part.n = 0;
	size_t budget = all.r[all.n - 1].len + all.r[all.n - 2].len + all.r[all.n - 3].len;
	CHECK_EQ(ringbuf_snapshot(rb, collect, &part, 0, budget), 3);
	check_suffix(&all, &part);
	part.n = 0;
	CHECK_EQ(ringbuf_snapshot(rb, collect, &part, 0, budget - 1), 2);
	check_suffix(&all, &part);
	part.n = 0;
	CHECK_EQ(ringbuf_snapshot(rb, collect, &part, 0, 1), 0);

	/* Snapshot agrees with what a consumer reads. */
	CHECK_EQ(ringbuf_consume(rb, collect, &consumed), (int)all.n);
	check_suffix(&all, &consumed);
	CHECK_EQ(consumed.n, all.n);

	/* Several producers, overwriting, discarding; then stop. */
	g_rb = rb;
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&t[i], NULL, producer, (void *)(uintptr_t)i) == 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	all.n = consumed.n = 0;
	CHECK(ringbuf_snapshot(rb, collect, &all, 0, 0) > 0);
	for (size_t i = 0; i < all.n; i++)
		for (size_t j = i + 1; j < all.n; j++)
			if (all.r[i].producer == all.r[j].producer)
				CHECK(all.r[i].seq < all.r[j].seq);
	CHECK(ringbuf_consume(rb, collect, &consumed) > 0);
	CHECK_EQ(consumed.n, all.n);
	check_suffix(&all, &consumed);
	CHECK_EQ(ringbuf_snapshot(NULL, collect, NULL, 0, 0), -EINVAL);
	printf("ok: snapshot of %zu records\n", all.n);
	ringbuf_free(rb);
	return 0;
}
