// SPDX-License-Identifier: MIT
/* The consumer walks record headers without reading producer_pos on every
 * record; headers another process scribbled must still never move
 * consumer_pos past producer_pos nor make it follow a length out of the
 * lap. Fake "committed" headers written into free space (as a hostile
 * process sharing the ring could): the call fails with -EBADMSG, counts a
 * corrupt event, consumer_pos stops at producer_pos, the real records
 * before arrive once and intact, and the ring keeps working for producers
 * and the consumer afterwards. */
#include <string.h>

#include "ringbuf.h"
#include "testutil.h"

struct seen {
	int n;
	uint64_t vals[16];
};

static int record(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	uint64_t v = 0;

	if (size == 8)
		memcpy(&v, data, 8);
	if (s->n < 16)
		s->vals[s->n] = v;
	s->n++;
	return 0;
}

static uint64_t *put(struct ringbuf *rb, uint64_t v)
{
	uint64_t *p = ringbuf_reserve(rb, 8, 0);

	CHECK(p);
	*p = v;
	ringbuf_submit(rb, p, 0);
	return p;
}

/* A committed-looking header for the record at pos (the kernel's pg_off). */
static uint64_t fake_header(uint32_t len, uint64_t pos, uint64_t size)
{
	uint64_t pg_off = 3 + ((pos & (size - 1)) / test_page_size());

	return (uint64_t)len | (pg_off << 32);
}

int main(void)
{
	const uint64_t size = test_page_size();
	RINGBUF_IDLE_OPTS(none, .policy = RINGBUF_IDLE_NONE);
	struct ringbuf *rb = ringbuf_create(NULL, size, NULL);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct seen s = { 0 };
	uint64_t *last, *fake, prod;

	CHECK(rb);
	CHECK_EQ(ringbuf_set_idle(rb, &none), 0);
	put(rb, 101);
	put(rb, 102);
	last = put(rb, 103);
	prod = ringbuf_query(rb, RINGBUF_PROD_POS);
	CHECK_EQ(prod, 48);

	/* A record-sized fake in free space, right at producer_pos. */
	fake = last + 1;
	__atomic_store_n(fake, fake_header(8, prod, size), __ATOMIC_RELEASE);
	CHECK_EQ(ringbuf_consume(rb, record, &s), -EBADMSG);
	CHECK(s.n >= 3);
	CHECK_EQ(s.vals[0], 101);
	CHECK_EQ(s.vals[1], 102);
	CHECK_EQ(s.vals[2], 103);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), prod);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.corrupt_events, 1);
	CHECK_EQ(st.delivered_records, (uint64_t)s.n);

	/* Still there: the next call fails again and publishes nothing. */
	CHECK_EQ(ringbuf_consume(rb, record, &s), -EBADMSG);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), prod);

	/* A producer claims that space and overwrites the fake: the ring
	 * works again and the real record arrives once. */
	s.n = 0;
	put(rb, 104);
	CHECK_EQ(ringbuf_consume(rb, record, &s), 1);
	CHECK_EQ(s.vals[0], 104);
	prod = ringbuf_query(rb, RINGBUF_PROD_POS);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), prod);

	/* A length that leaves the lap: refused before anything is delivered. */
	fake = (uint64_t *)((uint8_t *)fake + 16);
	__atomic_store_n(fake, fake_header((uint32_t)size, prod, size), __ATOMIC_RELEASE);
	s.n = 0;
	CHECK_EQ(ringbuf_consume(rb, record, &s), -EBADMSG);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), prod);

	/* Some pg_off that is not this record's: refused the same way. */
	__atomic_store_n(fake, fake_header(8, prod, size) + (1ULL << 32), __ATOMIC_RELEASE);
	CHECK_EQ(ringbuf_consume(rb, record, &s), -EBADMSG);
	CHECK_EQ(s.n, 0);

	/* Once the free space is zero again, everything flows. */
	__atomic_store_n(fake, 0, __ATOMIC_RELEASE);
	for (uint64_t i = 0; i < 4 * size / 16; i++) {
		put(rb, 1000 + i);
		s.n = 0;
		CHECK_EQ(ringbuf_consume(rb, record, &s), 1);
		CHECK_EQ(s.vals[0], 1000 + i);
	}
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.corrupt_events, 4);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	ringbuf_free(rb);
	return 0;
}
