// SPDX-License-Identifier: MIT
/* consume_n delivers at most n, in order, and continues where it stopped;
 * n == 0 delivers nothing and returns 0. */
#include "ringbuf.h"
#include "testutil.h"

static int in_order(void *ctx, void *data, size_t size)
{
	int *next = ctx;
	int v;

	CHECK_EQ(size, sizeof(int));
	memcpy(&v, data, sizeof(v));
	CHECK_EQ(v, *next);
	(*next)++;
	return 0;
}

struct collect { int v[16]; int n; };

static int collect(void *ctx, void *data, size_t size)
{
	struct collect *c = ctx;

	CHECK(size == sizeof(int) && c->n < 16);
	memcpy(&c->v[c->n++], data, sizeof(int));
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	int next = 0;

	CHECK(rb);
	for (int i = 0; i < 25; i++)
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP), 0);
	CHECK_EQ(ringbuf_consume_n(rb, in_order, &next, 0), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(ringbuf_consume_n(rb, in_order, &next, 10), 10);
	CHECK_EQ(ringbuf_consume_n(rb, in_order, &next, 10), 10);
	CHECK_EQ(ringbuf_consume_n(rb, in_order, &next, 10), 5);
	CHECK_EQ(ringbuf_consume_n(rb, in_order, &next, 10), 0);
	CHECK_EQ(next, 25);
	/* Discarded records do not count toward n. */
	for (int i = 25; i < 35; i++) {
		int *p = ringbuf_reserve(rb, sizeof(int), 0);

		CHECK(p);
		*p = i;
		if (i % 2)
			ringbuf_discard(rb, p, 0);
		else
			ringbuf_submit(rb, p, 0);
	}
	struct collect c = { 0 };
	CHECK_EQ(ringbuf_consume_n(rb, collect, &c, 2), 2);
	CHECK_EQ(ringbuf_consume_n(rb, collect, &c, 2), 2);
	CHECK_EQ(ringbuf_consume_n(rb, collect, &c, 2), 1);
	CHECK_EQ(c.n, 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(c.v[i], 26 + 2 * i);
	ringbuf_free(rb);
	return 0;
}
