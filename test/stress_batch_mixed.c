// SPDX-License-Identifier: MIT
/* Batch producers (ringbuf_reserve_batch, up to 16 records per claim,
 * committed in a shuffled order) beside single-record producers on one
 * ring: nothing lost, duplicated, reordered per producer or corrupted;
 * discards never delivered. A busy consumer on rings from one page (where
 * batches are cut down on E2BIG and wait on ENOSPC) to 1 MiB, and a
 * consumer that only ever sleeps in ringbuf_poll(-1): a commit anywhere in
 * a batch wakes it when it must (no lost wakeup). */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

static void run(size_t size, enum stress_consumer consumer, const char *what)
{
	struct ringbuf *rb = ringbuf_create(NULL, size, NULL);
	struct stress_cfg cfg = {
		.producers = 4,
		.records_per_producer = test_scaled(50000),
		.min_size = sizeof(struct test_rec),
		.max_size = size >= 65536 ? 1000 : 200,
		.discard_pct = 10,
		.consumer = consumer,
		.batch = 16,
	};
	struct stress_result res;

	CHECK(rb);
	stress_run(rb, &cfg, &res);
	printf("ring %zu, %s: %llu delivered, %llu discarded, %llu ENOSPC retries\n", size, what,
	       (unsigned long long)res.delivered, (unsigned long long)res.discarded,
	       (unsigned long long)res.enospc);
	ringbuf_free(rb);
}

int main(void)
{
	run(test_page_size(), STRESS_BUSY, "busy");
	run(64 * 1024, STRESS_BUSY, "busy");
	run(1 << 20, STRESS_BUSY, "busy");
	run(64 * 1024, STRESS_BLOCKING, "poll(-1) only");
	return 0;
}
