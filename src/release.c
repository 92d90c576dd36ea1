// SPDX-License-Identifier: MIT
/*
 * The consumer hands space back to producers: zero it (user rings) and
 * publish consumer_pos [C3]; and the repair of a release a killed consumer
 * left half done, which the next consumer runs when it takes the claim
 * (live.c). Below consume.c, hold.c and live.c, which all release.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>

#include "internal.h"

/* consumer page +16: where the release in progress ends (user rings). */
static uint64_t *release_to(const struct ringbuf *rb)
{
	return (uint64_t *)(void *)((uint8_t *)rb->consumer_pos + RINGBUF_CONS_RELEASE_OFF);
}

/* Hand [from, to) back to producers: zero it (user rings: free space is all
 * zero, docs/DESIGN.md §5), then publish the new consumer_pos. One memset per
 * batch, through the double mapping: [from, to) is within one lap.
 * A consumer killed anywhere in here leaves release_to saying how far it
 * meant to go; the next one to claim the ring finishes (rb_release_repair, below):
 * the records below `to` were all delivered. */
RB_HIDDEN void rb_release_range(struct ringbuf *rb, uint64_t from, uint64_t to, int zero)
{
	if (zero) {
		uint8_t *p = rb->data + (from & rb->mask);
		uint64_t half = rb_unlikely(rb_testpoints_armed) ? ((to - from) / 2) & ~7ULL : 0;

		/* [C6] relaxed: read only by the next claimant, after the
		 * kernel handed it the claim lock we held until we died. */
		rb_store_relaxed(release_to(rb), to);
		rb_testpoint("release:announced");
		memset(p, 0, half);
		rb_testpoint("release:zeroing");
		memset(p + half, 0, to - from - half);
		rb_testpoint("release:zeroed");
	}
	/* [C3] release: the zeroing happens before a producer's claim of
	 * this space [P1]. */
	rb_store_release(rb->consumer_pos, to);
}

RB_HIDDEN void rb_release_repair(struct ringbuf *rb)
{
	uint64_t cons, to, prod;

	if (!rb_is_user(rb) || (rb->flags & RINGBUF_F_OVERWRITE))
		return;
	cons = rb_load_relaxed(rb->consumer_pos);
	to = rb_load_relaxed(release_to(rb)); /* [C6] */
	prod = rb_load_acquire(rb->producer_pos); /* [C1] */
	if (to == cons)
		return;
	if (((to | cons) & 7) || prod - cons > rb->size || to - cons > prod - cons) {
		/* Not something a consumer wrote: leave the ring as it is. */
		RB_STAT(rb, corrupt_events, 1);
		rb_store_relaxed(release_to(rb), cons); /* [C6] */
		return;
	}
	rb_release_range(rb, cons, to, 1);
}

RB_HIDDEN void rb_release_space(struct ringbuf *rb, uint64_t from, uint64_t to)
{
	rb_release_range(rb, from, to, rb_is_user(rb));
}

