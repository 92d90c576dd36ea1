// SPDX-License-Identifier: MIT
/* white-box: forges BUSY headers with the library's own stamp maker (rb_hdr_make, src/internal.h) */
/* A BUSY header no producer could have written — a stamp naming a slot
 * beyond the table, or a length past producer_pos — is corruption, not a
 * record to wait for: ringbuf_poll(-1) returns -EBADMSG (it used to sleep
 * for ever in recover_ms/2 rounds), corrupt_events counts it, and the
 * records committed before it are delivered first. Normal and overwrite
 * rings alike. */
#include "ringbuf.h"
#include "testutil.h"
#include "../src/internal.h"

static void one(uint32_t flags, int bad_slot)
{
	RINGBUF_OPTS(o, .flags = flags, .recover_ms = 20);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb = ringbuf_create(NULL, 4 * test_page_size(), &o);
	uint64_t *hdr;
	long got = 0;
	int ret;

	CHECK(rb);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), 0), 0);
	hdr = (uint64_t *)ringbuf_reserve(rb, 16, 0) - 1;
	CHECK(hdr + 1);
	/* What a hostile writer (or a bit flip) leaves there. */
	if (bad_slot)
		*hdr = rb_hdr_make(16 | RINGBUF_BUSY_BIT, (7U << 8) | (RINGBUF_MAX_PRODUCERS + 1));
	else
		*hdr = rb_hdr_make(0x3ffffff0U | RINGBUF_BUSY_BIT, rb->owner_slot);
	test_watchdog(10, "in poll(-1) on an impossible BUSY header");
	ret = ringbuf_poll(rb, test_count_long, &got, -1);
	if (ret >= 0) {
		CHECK_EQ(got, 3);
		ret = ringbuf_poll(rb, test_count_long, &got, -1);
	}
	test_watchdog(0, NULL);
	CHECK_EQ(ret, -EBADMSG);
	CHECK_EQ(got, 3);
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	CHECK(st.corrupt_events >= 1);
	CHECK_EQ(st.orphaned_records, 0);
	ringbuf_free(rb);
}

int main(void)
{
	one(0, 1);
	one(0, 0);
	one(RINGBUF_F_OVERWRITE, 1);
	one(RINGBUF_F_OVERWRITE, 0);
	return 0;
}
