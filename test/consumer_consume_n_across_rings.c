// SPDX-License-Identifier: MIT
/* consume_n(n) delivers at most n records over all rings, in ring order,
 * and continues where it stopped; consume_n(0) delivers nothing. */
#include "ringbuf.h"
#include "testutil.h"

struct ctx { int ring; int got; };

static int on_rec(void *p, void *data, size_t size)
{
	struct ctx *c = p;
	int v;

	CHECK_EQ(size, sizeof(v));
	memcpy(&v, data, sizeof(v));
	CHECK_EQ(v, c->ring * 1000 + c->got);
	c->got++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb[3];
	struct ctx ctx[3];
	struct ringbuf_consumer *c = ringbuf_consumer_new();

	CHECK(c);
	for (int i = 0; i < 3; i++) {
		rb[i] = ringbuf_create(NULL, test_page_size(), NULL);
		CHECK(rb[i]);
		ctx[i] = (struct ctx){ .ring = i };
		CHECK_EQ(ringbuf_consumer_add(c, rb[i], on_rec, &ctx[i]), 0);
		for (int k = 0; k < 5; k++) {
			int v = i * 1000 + k;

			CHECK_EQ(ringbuf_output(rb[i], &v, sizeof(v), 0), 0);
		}
	}
	CHECK_EQ(ringbuf_consumer_consume_n(c, 0), 0);
	CHECK_EQ(ctx[0].got + ctx[1].got + ctx[2].got, 0);
	CHECK_EQ(ringbuf_consumer_consume_n(c, 7), 7);
	CHECK_EQ(ctx[0].got, 5);
	CHECK_EQ(ctx[1].got, 2);
	CHECK_EQ(ctx[2].got, 0);
	CHECK_EQ(ringbuf_consumer_consume_n(c, 1), 1);
	CHECK_EQ(ctx[1].got, 3);
	CHECK_EQ(ringbuf_consumer_consume_n(c, 100), 7);
	CHECK_EQ(ctx[1].got, 5);
	CHECK_EQ(ctx[2].got, 5);
	CHECK_EQ(ringbuf_consumer_consume_n(c, 100), 0);
	CHECK_EQ(ringbuf_consumer_consume_n(NULL, 1), -EINVAL);
	CHECK_EQ(ringbuf_consumer_consume(NULL), -EINVAL);
	ringbuf_consumer_free(c);
	for (int i = 0; i < 3; i++)
		ringbuf_free(rb[i]);
	return 0;
}
