// SPDX-License-Identifier: MIT
/* No lost wakeups through the manager: the consumer only ever blocks in
 * ringbuf_consumer_poll(-1), over the stressed ring and an idle one, while
 * producers commit with the adaptive rule. A lost wakeup hangs the
 * consumer; the watchdog (alarm) turns that into a failure. */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	for (int producers = 1; producers <= 2; producers++) {
		struct ringbuf *rb = ringbuf_create(NULL, 4 * test_page_size(), NULL);
		struct stress_cfg cfg = {
			.producers = producers,
			.records_per_producer = test_scaled(1500000) / producers,
			.min_size = sizeof(struct test_rec),
			.max_size = 64,
			.discard_pct = 5,
			.consumer = STRESS_MANAGER,
			.watchdog_s = 30,
		};
		struct stress_result res;
		struct ringbuf_stats st = { .sz = sizeof(st) };
		uint64_t t0 = test_now_ns();

		CHECK(rb);
		stress_run(rb, &cfg, &res);
		CHECK(ringbuf_get_stats(rb, &st) == 0);
		printf("%d producers: %llu delivered, %llu discarded, %llu wakeups sent, %.2f s\n",
		       producers, (unsigned long long)res.delivered,
		       (unsigned long long)res.discarded, (unsigned long long)st.wakeups,
		       (double)(test_now_ns() - t0) / 1e9);
		ringbuf_free(rb);
	}
	return 0;
}
