// SPDX-License-Identifier: MIT
/* Dead-producer recovery (issue 5). Placeholder: nothing is recovered. */
#include "internal.h"

RB_HIDDEN int rb_recover_stuck(struct ringbuf *rb, uint64_t cons, uint64_t prod, int force)
{
	(void)rb; (void)cons; (void)prod; (void)force;
	return 0;
}

int ringbuf_recover(struct ringbuf *rb)
{
	return rb ? -EOPNOTSUPP : -EINVAL;
}
