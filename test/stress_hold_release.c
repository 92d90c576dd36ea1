// SPDX-License-Identifier: MIT
/* Many producer threads, a consumer that holds records and releases them
 * with a lag: the released space is zeroed and reused by producers while
 * the held records stay intact; nothing lost, duplicated, reordered per
 * producer or corrupted. Small and large rings, so the ring is often full
 * of held records. */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	const size_t sizes[] = { test_page_size(), 64 * 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ringbuf *rb = ringbuf_create(NULL, sizes[i], NULL);
		struct stress_cfg cfg = {
			.producers = 3,
			.records_per_producer = test_scaled(100000),
			.min_size = sizeof(struct test_rec),
			.max_size = sizes[i] >= 65536 ? 2000 : 200,
			.discard_pct = 10,
			.use_output = (int)(i & 1),
			.consumer = STRESS_HOLD,
		};
		struct stress_result res;

		CHECK(rb);
		stress_run(rb, &cfg, &res);
		printf("ring %zu: %llu delivered held, %llu discarded, %llu ENOSPC retries\n", sizes[i],
		       (unsigned long long)res.delivered, (unsigned long long)res.discarded,
		       (unsigned long long)res.enospc);
		ringbuf_free(rb);
	}
	return 0;
}
