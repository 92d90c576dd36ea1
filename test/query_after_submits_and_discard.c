// SPDX-License-Identifier: MIT
/* The kernel selftest's opening move: two reservations, one submitted, one
 * discarded; every query value is what the rule says, and the consumer gets
 * exactly the submitted record. */
#include "ringbuf.h"
#include "testutil.h"

struct sample { int pid; long value; char comm[16]; };

static int on_sample(void *ctx, void *data, size_t size)
{
	struct sample *s = data;
	int *seen = ctx;

	CHECK_EQ(size, sizeof(*s));
	CHECK_EQ(s->value, 333);
	CHECK(!strcmp(s->comm, "first"));
	(*seen)++;
	return 0;
}

int main(void)
{
	size_t size = 4 * test_page_size();
	struct ringbuf *rb = ringbuf_create(NULL, size, NULL);
	uint64_t rec = (sizeof(struct sample) + RINGBUF_HDR_SZ + 7) & ~7UL;
	struct sample *a, *b;
	int seen = 0;

	CHECK(rb);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_RING_SIZE), size);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 0);
	CHECK_EQ(ringbuf_query(rb, 12345), 0);

	a = ringbuf_reserve(rb, sizeof(*a), 0);
	b = ringbuf_reserve(rb, sizeof(*b), 0);
	CHECK(a && b);
	CHECK_EQ((uintptr_t)a % 8, 0);
	CHECK_EQ((uint8_t *)b - (uint8_t *)a, rec);
	/* Reserved, not committed: counted in positions, invisible to the consumer. */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 2 * rec);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 2 * rec);
	CHECK_EQ(ringbuf_consume(rb, on_sample, &seen), 0);

	*a = (struct sample){ .pid = 1, .value = 333 };
	strcpy(a->comm, "first");
	*b = (struct sample){ .pid = 2, .value = 777 };
	ringbuf_submit(rb, a, 0);
	ringbuf_discard(rb, b, 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 2 * rec);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 2 * rec);

	CHECK_EQ(ringbuf_consume(rb, on_sample, &seen), 1);
	CHECK_EQ(seen, 1);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 2 * rec);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);

	struct ringbuf_stats st = { .sz = sizeof(st) };
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.delivered_records, 1);
	CHECK_EQ(st.delivered_bytes, sizeof(struct sample));
	CHECK_EQ(st.discarded_records, 1);

	/* Free functions accept NULL; NULL rings are refused clearly. */
	ringbuf_free(NULL);
	ringbuf_submit(NULL, a, 0);
	CHECK(ringbuf_reserve(NULL, 8, 0) == NULL && errno == EINVAL);
	CHECK_EQ(ringbuf_consume(NULL, on_sample, NULL), -EINVAL);
	ringbuf_free(rb);
	return 0;
}
