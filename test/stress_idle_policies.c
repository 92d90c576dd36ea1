// SPDX-License-Identifier: MIT
/* Every idle policy, for a plain ringbuf_consume loop and for the
 * manager's ringbuf_consumer_consume loop: nothing lost, duplicated,
 * reordered per producer or corrupted while the consumer spins, yields and
 * sleeps between looks (the back-off is shortened so every phase runs many
 * times), and the header walk meets wrapping records of every size. */
#include <stdio.h>

#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

int main(void)
{
	RINGBUF_IDLE_OPTS(none, .policy = RINGBUF_IDLE_NONE);
	RINGBUF_IDLE_OPTS(spin, .policy = RINGBUF_IDLE_SPIN, .spin_ns = 300);
	/* Spin 2 us, yield until 20 us, then sleep 1 us doubling to 50 us. */
	RINGBUF_IDLE_OPTS(quick, .policy = RINGBUF_IDLE_BACKOFF, .spin_ns = 200, .spin_us = 2,
			  .yield_us = 20, .park_max_us = 50);
	const struct ringbuf_idle_opts *policies[] = { NULL, &none, &spin, &quick };
	const char *names[] = { "default", "none", "spin", "backoff 2us/20us/50us" };
	const enum stress_consumer modes[] = { STRESS_BUSY, STRESS_MANAGER_BUSY };

	for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
		for (size_t m = 0; m < 2; m++) {
			size_t size = (p + m) & 1 ? test_page_size() : 64 * 1024;
			struct ringbuf *rb = ringbuf_create(NULL, size, NULL);
			struct stress_cfg cfg = {
				.producers = 3,
				.records_per_producer = test_scaled(40000),
				.min_size = sizeof(struct test_rec),
				.max_size = size >= 65536 ? 2000 : 300,
				.discard_pct = 10,
				.use_output = (int)(p & 1),
				.commit_flags = m ? RINGBUF_NO_WAKEUP : 0,
				.consumer = modes[m],
				.idle = policies[p],
			};
			struct stress_result res;

			CHECK(rb);
			stress_run(rb, &cfg, &res);
			printf("%s, %s, ring %zu: %llu delivered, %llu ENOSPC retries\n", names[p],
			       m ? "manager consume" : "ringbuf_consume", size,
			       (unsigned long long)res.delivered, (unsigned long long)res.enospc);
			ringbuf_free(rb);
		}
	}
	return 0;
}
