// SPDX-License-Identifier: MIT
/* Many producer threads, a busy consumer: nothing lost, duplicated,
 * reordered per producer or corrupted; discards never delivered. Run with
 * small and large rings so records wrap often. */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	const size_t sizes[] = { test_page_size(), 64 * 1024, 1 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ringbuf *rb = ringbuf_create(NULL, sizes[i], NULL);
		struct stress_cfg cfg = {
			.producers = 4,
			.records_per_producer = test_scaled(200000),
			.min_size = sizeof(struct test_rec),
			.max_size = sizes[i] >= 65536 ? 3000 : 300,
			.discard_pct = 10,
			.use_output = (int)(i & 1),
			.consumer = STRESS_BUSY,
		};
		struct stress_result res;

		CHECK(rb);
		stress_run(rb, &cfg, &res);
		printf("ring %zu: %llu delivered, %llu discarded, %llu ENOSPC retries\n", sizes[i],
		       (unsigned long long)res.delivered, (unsigned long long)res.discarded,
		       (unsigned long long)res.enospc);
		ringbuf_free(rb);
	}
	return 0;
}
