// SPDX-License-Identifier: MIT
/* The manager holds several rings, each with its own callback and context:
 * every record reaches its own ring's callback, in order; ring()/ring_cnt()
 * give the rings back; a callback's error stops consumption, is returned as
 * is, and its record is not delivered again. */
#include "ringbuf.h"
#include "testutil.h"

#define NRINGS 3

struct ctx {
	int ring;
	uint32_t next;
	int calls;
	int fail_at;           /* return -EL2HLT when next reaches this */
};

static int on_a(void *p, void *data, size_t size)
{
	struct ctx *c = p;
	uint32_t v;

	CHECK_EQ(size, sizeof(v) * 2);
	memcpy(&v, data, sizeof(v));
	CHECK_EQ(v, (uint32_t)c->ring);
	memcpy(&v, (char *)data + sizeof(v), sizeof(v));
	CHECK_EQ(v, c->next);
	c->next++;
	c->calls++;
	return c->next == (uint32_t)c->fail_at ? -EL2HLT : 0;
}

/* A second callback, to show each source keeps its own. */
static int on_b(void *p, void *data, size_t size)
{
	return on_a(p, data, size);
}

static void put(struct ringbuf *rb, int ring, uint32_t seq)
{
	uint32_t rec[2] = { (uint32_t)ring, seq };

	CHECK_EQ(ringbuf_output(rb, rec, sizeof(rec), 0), 0);
}

int main(void)
{
	struct ringbuf *rb[NRINGS];
	struct ctx ctx[NRINGS];
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	long rounds = test_scaled(2000);

	CHECK(c);
	CHECK(ringbuf_consumer_epoll_fd(c) >= 0);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 0);
	for (int i = 0; i < NRINGS; i++) {
		rb[i] = ringbuf_create(NULL, 4 * test_page_size(), NULL);
		CHECK(rb[i]);
		ctx[i] = (struct ctx){ .ring = i };
		CHECK_EQ(ringbuf_consumer_add(c, rb[i], i == 1 ? on_b : on_a, &ctx[i]), 0);
		CHECK_EQ(ringbuf_consumer_ring_cnt(c), i + 1);
	}
	for (int i = 0; i < NRINGS; i++)
		CHECK(ringbuf_consumer_ring(c, (unsigned)i) == rb[i]);
	errno = 0;
	CHECK(!ringbuf_consumer_ring(c, NRINGS));
	CHECK_EQ(errno, ENOENT);

	/* Different amounts per ring, interleaved, many rounds. */
	uint32_t sent[NRINGS] = { 0 };
	for (long r = 0; r < rounds; r++) {
		int expect = 0;

		for (int i = 0; i < NRINGS; i++)
			for (int k = 0; k <= (int)((r + i) % 4); k++, expect++)
				put(rb[i], i, sent[i]++);
		CHECK_EQ(r % 2 ? ringbuf_consumer_consume(c) : ringbuf_consumer_poll(c, 1000), expect);
	}
	for (int i = 0; i < NRINGS; i++) {
		CHECK_EQ(ctx[i].next, sent[i]);
		CHECK_EQ(ringbuf_query(rb[i], RINGBUF_AVAIL_DATA), 0);
	}
	CHECK_EQ(ringbuf_consumer_poll(c, 0), 0);

	/* A callback error in ring 1: ring 0 is consumed, ring 1 stops after
	 * the failing record, ring 2 waits for the next call. */
	for (int i = 0; i < NRINGS; i++)
		for (int k = 0; k < 5; k++)
			put(rb[i], i, sent[i]++);
	ctx[1].fail_at = (int)ctx[1].next + 2;
	CHECK_EQ(ringbuf_consumer_consume(c), -EL2HLT);
	CHECK_EQ(ctx[0].next, sent[0]);
	CHECK_EQ(ctx[1].next, sent[1] - 3);
	CHECK_EQ(ctx[2].next, sent[2] - 5);
	/* The same through poll. */
	ctx[2].fail_at = (int)sent[2] - 4;
	CHECK_EQ(ringbuf_consumer_poll(c, 1000), -EL2HLT);
	CHECK_EQ(ctx[1].next, sent[1]);
	CHECK_EQ(ctx[2].next, sent[2] - 4);
	/* Nothing is delivered twice: the rest arrives once. */
	CHECK_EQ(ringbuf_consumer_consume(c), 4);
	CHECK_EQ(ctx[2].next, sent[2]);

	ringbuf_consumer_free(c);
	/* The rings outlive the manager and still work. */
	put(rb[0], 0, sent[0]++);
	CHECK_EQ(ringbuf_consume(rb[0], on_a, &ctx[0]), 1);
	for (int i = 0; i < NRINGS; i++)
		ringbuf_free(rb[i]);
	ringbuf_consumer_free(NULL);
	return 0;
}
