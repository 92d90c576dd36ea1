// SPDX-License-Identifier: MIT
/* Records that wrap across the end of the data area read back contiguous,
 * byte for byte, thanks to the double mapping; the bytes land where the
 * kernel layout says (the second mapping aliases the first). */
#include "ringbuf.h"
#include "testutil.h"

struct st { uint64_t rnd; uint64_t n; uint8_t buf[8192]; size_t len; };

static int check(void *ctx, void *data, size_t size)
{
	struct st *s = ctx;

	CHECK_EQ(size, s->len);
	CHECK(!memcmp(data, s->buf, size));
	s->n++;
	return 0;
}

int main(void)
{
	size_t size = test_page_size();
	struct ringbuf *rb = ringbuf_create(NULL, size, NULL);
	struct st s = { .rnd = 42 };
	int wrapped = 0;

	CHECK(rb);
	for (int i = 0; i < 5000; i++) {
		uint64_t pos = ringbuf_query(rb, RINGBUF_PROD_POS);
		uint8_t *p;

		s.len = 1 + (size_t)(test_rand(&s.rnd) % (size / 2));
		for (size_t j = 0; j < s.len; j++)
			s.buf[j] = (uint8_t)test_rand(&s.rnd);
		p = ringbuf_reserve(rb, s.len, 0);
		CHECK(p);
		memcpy(p, s.buf, s.len);
		if ((pos & (size - 1)) + 8 + s.len > size) {
			wrapped++;
			/* The tail of the record is also at the start of the
			 * data area, through the first mapping. */
			uint8_t *data0 = p - 8 - (pos & (size - 1));
			size_t first = size - (pos & (size - 1)) - 8;

			if ((pos & (size - 1)) + 8 <= size)
				CHECK(!memcmp(data0, s.buf + first, s.len - first));
		}
		ringbuf_submit(rb, p, 0);
		CHECK_EQ(ringbuf_consume(rb, check, &s), 1);
	}
	CHECK(wrapped > 100);
	CHECK_EQ(s.n, 5000);
	ringbuf_free(rb);
	return 0;
}
