// SPDX-License-Identifier: MIT
/* Several producers overwrite continuously while one consumer reads: every
 * delivered record passes its checksum, per-producer order holds, nothing is
 * delivered twice, discards never, and every record that did not arrive is
 * counted in overwritten_records (the shared stress body's overwrite mode).
 * Small rings so that producers lap the consumer all the time. */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	const size_t sizes[] = { test_page_size(), 16 * test_page_size(), 256 * 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		RINGBUF_OPTS(opts, .flags = RINGBUF_F_OVERWRITE);
		struct ringbuf *rb = ringbuf_create(NULL, sizes[i], &opts);
		struct stress_cfg cfg = {
			.producers = 3,
			.records_per_producer = test_scaled(150000),
			.min_size = sizeof(struct test_rec),
			.max_size = sizes[i] >= 65536 ? 2000 : 200,
			.discard_pct = 10,
			.use_output = (int)(i & 1),
			.commit_flags = RINGBUF_NO_WAKEUP,
			.consumer = STRESS_BUSY,
			.overwrite = 1,
		};
		struct stress_result res;

		CHECK(rb);
		stress_run(rb, &cfg, &res);
		printf("ring %zu: %llu delivered, %llu overwritten, %llu discarded, %llu ENOSPC retries\n",
		       sizes[i], (unsigned long long)res.delivered, (unsigned long long)res.overwritten,
		       (unsigned long long)res.discarded, (unsigned long long)res.enospc);
		ringbuf_free(rb);
	}
	return 0;
}
