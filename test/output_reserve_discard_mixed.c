// SPDX-License-Identifier: MIT
/* ringbuf_output and reserve/submit interleaved with discards: the consumer
 * gets exactly the kept records, in reservation order, with their bytes. */
#include "ringbuf.h"
#include "testutil.h"

struct expect { uint64_t next; uint64_t n; };

static int on_rec(void *ctx, void *data, size_t size)
{
	struct expect *e = ctx;
	uint64_t v;

	CHECK_EQ(size, 8 + (e->next % 5) * 3);
	memcpy(&v, data, 8);
	CHECK_EQ(v, e->next);
	for (size_t i = 8; i < size; i++)
		CHECK_EQ(((uint8_t *)data)[i], (uint8_t)(v + i));
	/* The next kept record: every third one was discarded. */
	e->next += (e->next % 3 == 1) ? 2 : 1;
	e->n++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, 16 * test_page_size(), NULL);
	struct expect e = { .next = 0 };
	uint8_t buf[64];
	uint64_t kept = 0;

	CHECK(rb);
	for (uint64_t i = 0; i < 300; i++) {
		size_t size = 8 + (i % 5) * 3;

		memcpy(buf, &i, 8);
		for (size_t j = 8; j < size; j++)
			buf[j] = (uint8_t)(i + j);
		if (i % 3 == 2) {
			void *p = ringbuf_reserve(rb, size, 0);

			CHECK(p);
			memcpy(p, buf, size);
			ringbuf_discard(rb, p, RINGBUF_NO_WAKEUP);
		} else if (i % 2) {
			CHECK_EQ(ringbuf_output(rb, buf, size, 0), 0);
			kept++;
		} else {
			void *p = ringbuf_reserve(rb, size, 0);

			CHECK(p);
			memcpy(p, buf, size);
			ringbuf_submit(rb, p, 0);
			kept++;
		}
	}
	CHECK_EQ(ringbuf_consume(rb, on_rec, &e), kept);
	CHECK_EQ(e.n, kept);
	CHECK_EQ(ringbuf_output(rb, buf, 8, 4), -EINVAL);    /* unknown flag */
	CHECK_EQ(ringbuf_output(rb, NULL, 8, 0), -EINVAL);
	CHECK_EQ(ringbuf_output(rb, NULL, 0, 0), 0);         /* empty record is fine */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 8);
	ringbuf_free(rb);
	return 0;
}
