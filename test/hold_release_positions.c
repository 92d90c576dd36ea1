// SPDX-License-Identifier: MIT
/* Hold and release on one ring: held records are delivered with their
 * positions (the producer position at reservation, also past 2^32) but keep
 * their space, so producers get ENOSPC once the ring is full of them;
 * ringbuf_release frees exactly up to the record named (and discarded
 * records right after it), zeroed; a bad position is refused and changes
 * nothing; ringbuf_rewind delivers the unreleased records again; a plain
 * consume releases whatever was held. */
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define MAXREC 1024

struct got {
	uint64_t pos[MAXREC];
	uint32_t val[MAXREC];
	size_t n;
	size_t stop_after;     /* return -1 after this many (0: never) */
};

static int on_hold(void *ctx, void *data, size_t size, uint64_t pos)
{
	struct got *g = ctx;

	CHECK(size == 4 && g->n < MAXREC);
	memcpy(&g->val[g->n], data, 4);
	g->pos[g->n++] = pos;
	return g->stop_after && g->n == g->stop_after ? -1 : 0;
}

static int on_plain(void *ctx, void *data, size_t size)
{
	return on_hold(ctx, data, size, 0);
}

static void run(uint64_t start)
{
	const size_t size = test_page_size();
	RINGBUF_OPTS(o, .start_pos = start);
	struct ringbuf *rb = ringbuf_create(NULL, size, &o);
	uint32_t v = 0;
	uint64_t fp = 16; /* 4-byte payload + 8-byte header, rounded to 8 */
	size_t cap = size / fp, i;
	struct got g = { .n = 0 };

	CHECK(rb);
	/* Fill the ring; the last record is discarded by its producer. */
	for (i = 0; i < cap - 1; i++, v++)
		CHECK_EQ(ringbuf_output(rb, &v, 4, 0), 0);
	void *d = ringbuf_reserve(rb, 4, 0);
	CHECK(d);
	ringbuf_discard(rb, d, 0);
	CHECK(ringbuf_reserve(rb, 4, 0) == NULL && errno == ENOSPC);

	/* Nothing is held yet. */
	CHECK_EQ(ringbuf_release(rb, start), -EINVAL);
	/* Hold everything: positions are start + i * fp, order kept. */
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), (int)(cap - 1));
	for (i = 0; i < g.n; i++) {
		CHECK_EQ(g.val[i], i);
		CHECK_EQ(g.pos[i], start + i * fp);
	}
	/* Held: still no room, nothing more to deliver. */
	CHECK_EQ(ringbuf_output(rb, &v, 4, 0), -ENOSPC);
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), start);

	/* Bad positions: inside a record, beyond the held ones, unaligned. */
	CHECK_EQ(ringbuf_release(rb, start + 8), -EINVAL);
	CHECK_EQ(ringbuf_release(rb, start + size), -EINVAL);
	CHECK_EQ(ringbuf_release(rb, start + 3), -EINVAL);
	CHECK_EQ(ringbuf_release(rb, start - fp), -EINVAL);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), start);

	/* Release records 0..9: exactly their space comes back. */
	CHECK_EQ(ringbuf_release(rb, g.pos[9]), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), start + 10 * fp);
	for (i = 0; i < 10; i++, v++)
		CHECK_EQ(ringbuf_output(rb, &v, 4, 0), 0);
	CHECK_EQ(ringbuf_output(rb, &v, 4, 0), -ENOSPC);
	/* A released position is not held any more. */
	CHECK_EQ(ringbuf_release(rb, g.pos[9]), -EINVAL);

	/* Rewind: records 10.. come again, then the new ones. The last old
	 * record's release also frees the discarded one after it. */
	CHECK_EQ(ringbuf_rewind(rb), 0);
	g.n = 0;
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), (int)(cap - 1));
	for (i = 0; i < g.n; i++)
		CHECK_EQ(g.val[i], i + 10);
	CHECK_EQ(g.pos[0], start + 10 * fp);
	CHECK_EQ(ringbuf_release(rb, g.pos[cap - 12]), 0); /* old record cap-2 */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), start + cap * fp);

	/* A callback's error stops the hold; its record counts as held. */
	CHECK_EQ(ringbuf_rewind(rb), 0);
	g.n = 0;
	g.stop_after = 3;
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), -1);
	CHECK_EQ(g.n, 3);
	g.stop_after = 0;
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, 2), 2);
	CHECK_EQ(g.val[3], cap - 1 + 3);
	/* A plain consume releases the held records too. */
	g.n = 0;
	CHECK_EQ(ringbuf_consume(rb, on_plain, &g), 5);
	CHECK_EQ(g.val[0], cap - 1 + 5);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	CHECK_EQ(ringbuf_release(rb, start + cap * fp), -EINVAL);
	/* Everything came back zeroed: a full ring's worth fits again. */
	for (i = 0; i < cap; i++, v++)
		CHECK_EQ(ringbuf_output(rb, &v, 4, 0), 0);
	ringbuf_free(rb);
}

int main(void)
{
	uint8_t id[RINGBUF_ID_SZ], id2[RINGBUF_ID_SZ];
	struct ringbuf *a, *b;
	RINGBUF_OPTS(ow, .flags = RINGBUF_F_OVERWRITE);
	struct got g = { .n = 0 };

	run(0);
	run((1ULL << 32) - 256);

	/* Each ring has its own identity; overwrite rings cannot hold. */
	a = ringbuf_create(NULL, test_page_size(), NULL);
	b = ringbuf_create(NULL, test_page_size(), &ow);
	CHECK(a && b);
	CHECK_EQ(ringbuf_id(a, id), 0);
	CHECK_EQ(ringbuf_id(b, id2), 0);
	CHECK(memcmp(id, id2, sizeof(id)) != 0);
	CHECK_EQ(ringbuf_consume_hold(b, on_hold, &g, SIZE_MAX), -EOPNOTSUPP);
	CHECK_EQ(ringbuf_consume_hold(NULL, on_hold, &g, SIZE_MAX), -EINVAL);
	CHECK_EQ(ringbuf_consume_hold(a, NULL, &g, SIZE_MAX), -EINVAL);
	CHECK_EQ(ringbuf_release(NULL, 0), -EINVAL);
	ringbuf_free(a);
	ringbuf_free(b);
	return 0;
}
