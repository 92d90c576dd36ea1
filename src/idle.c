// SPDX-License-Identifier: MIT
/*
 * Idle policies: what a consume call does when it found nothing.
 *
 * A busy consumer that looks again the instant it found nothing chases the
 * producer line by line: each look pulls the cache line the producer is
 * writing over to the consumer's core, and the producer's next record on
 * that line pulls it back. Waiting a little before the second look lets
 * records pile up, so the consumer then reads whole lines the producer has
 * finished with. The back-off (the default) spins while the ring has been
 * idle only briefly, then yields the CPU, then sleeps, doubling the sleep;
 * the first record ends the idle spell. docs/DESIGN.md §4 has the figures.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define DEFAULT_SPIN_NS     500
#define DEFAULT_SPIN_US     100
#define DEFAULT_YIELD_US    1000
#define DEFAULT_PARK_MAX_US 1000
#define FIRST_PARK_US       1
/* A caller that has not called for this long is not busy-looping: its next
 * empty call starts a new spell (spinning), never in the middle of a sleep
 * phase it did not see. */
#define SPELL_GAP_NS        1000000ULL

RB_HIDDEN void rb_idle_init(struct rb_idle *idle)
{
	memset(idle, 0, sizeof(*idle));
	idle->policy = RINGBUF_IDLE_BACKOFF;
	idle->spin_ns = DEFAULT_SPIN_NS;
	idle->spin_us = DEFAULT_SPIN_US;
	idle->yield_us = DEFAULT_YIELD_US;
	idle->park_max_us = DEFAULT_PARK_MAX_US;
}

RB_HIDDEN int rb_idle_set(struct rb_idle *idle, const struct ringbuf_idle_opts *opts)
{
	struct rb_idle n;

	rb_idle_init(&n);
	if (opts) {
		struct ringbuf_idle_opts o;
		int err = rb_opts_copy(&o, sizeof(o), opts, "ringbuf_idle_opts");

		if (err)
			return err;
		if (o.policy > RINGBUF_IDLE_SPIN)
			return rb_detail(EINVAL, "unknown idle policy %d", (int)o.policy);
		n.policy = o.policy;
		/* Fields past the caller's sz read as zero: the defaults. */
#define TAKE(field) if (o.field) n.field = o.field
		TAKE(spin_ns);
		TAKE(spin_us);
		TAKE(yield_us);
		TAKE(park_max_us);
#undef TAKE
	}
	*idle = n;
	return 0;
}

/* Spin for ns, looking at the clock every few pauses only. */
static void spin_for(uint64_t start, uint32_t ns)
{
	do {
		for (int i = 0; i < 4; i++)
			rb_cpu_relax();
	} while (rb_now_ns() - start < ns);
}

RB_HIDDEN int rb_idle_wait(struct rb_idle *idle)
{
	uint64_t now, idle_for;

	if (idle->policy == RINGBUF_IDLE_NONE)
		return 0;
	now = rb_now_ns();
	if (!idle->since_ns || now - idle->last_ns > SPELL_GAP_NS) {
		idle->since_ns = now;
		idle->park_us = FIRST_PARK_US;
	}
	idle_for = now - idle->since_ns;
	if (idle->policy == RINGBUF_IDLE_SPIN || idle_for < (uint64_t)idle->spin_us * 1000) {
		spin_for(now, idle->spin_ns);
	} else if (idle_for < (uint64_t)idle->yield_us * 1000) {
		sched_yield();
	} else {
		struct timespec ts = { 0, (long)idle->park_us * 1000 };

		nanosleep(&ts, NULL);
		idle->park_us = idle->park_us * 2 > idle->park_max_us ? idle->park_max_us
								       : idle->park_us * 2;
	}
	idle->last_ns = rb_now_ns();
	return 1;
}
