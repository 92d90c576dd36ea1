// SPDX-License-Identifier: MIT
/* A flight recorder must survive a crash: a producer process killed while it
 * holds a reservation leaves a BUSY record that reclaim cannot pass. With
 * recovery on (the default), reclaim checks the record's owner, finds it
 * dead, discards the record and goes on overwriting: no ENOSPC wedge, the
 * orphan counted, every record delivered afterwards whole and in order.
 * (overwrite_killed_producer proves the other half: with recovery off, the
 * record is never passed.) */
#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

static int in_order(void *ctx, void *data, size_t size)
{
	uint64_t *next = ctx;
	struct test_rec r;

	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&r, data, sizeof(r));
	CHECK(r.seq >= *next);
	*next = r.seq + 1;
	return 0;
}

int main(void)
{
	RINGBUF_OPTS(o, .flags = RINGBUF_F_OVERWRITE);
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), &o);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	uint64_t busy_pos, next = 0;
	uint8_t buf[64];

	CHECK(rb);
	busy_pos = ringbuf_query(rb, RINGBUF_PROD_POS);
	cp_kill_holding_reservation(rb, 100);

	/* Lap the one-page ring many times: every reservation must succeed. */
	for (uint64_t seq = 0; seq < 2000; seq++) {
		test_rec_fill(buf, sizeof(buf), 0, seq);
		CHECK_EQ(ringbuf_output(rb, buf, sizeof(buf), RINGBUF_NO_WAKEUP), 0);
	}
	CHECK(ringbuf_query(rb, RINGBUF_OVERWRITE_POS) > busy_pos);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK_EQ(st.orphaned_records, 1);
	CHECK(st.overwritten_records > 0);
	/* What is left is the newest records, whole and in order. */
	CHECK(ringbuf_consume(rb, in_order, &next) > 0);
	CHECK_EQ(next, 2000);
	printf("dead producer's record discarded; %llu overwritten, ring never wedged\n",
	       (unsigned long long)st.overwritten_records);
	ringbuf_free(rb);
	return 0;
}
