// SPDX-License-Identifier: MIT
/* No lost wakeups: the consumer only ever blocks (ringbuf_poll with no
 * timeout) while producers commit with the default adaptive rule. A lost
 * wakeup hangs the consumer; the watchdog turns that into a failure. */
#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	for (int producers = 1; producers <= 3; producers += 2) {
		struct ringbuf *rb = ringbuf_create(NULL, 4 * test_page_size(), NULL);
		struct stress_cfg cfg = {
			.producers = producers,
			.records_per_producer = test_scaled(1000000) / producers,
			.min_size = sizeof(struct test_rec),
			.max_size = 200,
			.discard_pct = 5,
			.consumer = STRESS_BLOCKING,
			.watchdog_s = 60,
		};
		struct stress_result res;
		struct ringbuf_stats st = { .sz = sizeof(st) };

		CHECK(rb);
		stress_run(rb, &cfg, &res);
		CHECK(ringbuf_get_stats(rb, &st) == 0);
		printf("%d producers: %llu delivered, %llu wakeups sent\n", producers,
		       (unsigned long long)res.delivered, (unsigned long long)st.wakeups);
		ringbuf_free(rb);
	}
	return 0;
}
