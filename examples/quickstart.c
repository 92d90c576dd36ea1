// SPDX-License-Identifier: MIT
/* The README's example: one record through an anonymous ring. */
#include <ringbuf.h>
#include <stdio.h>

struct event { int pid; char comm[16]; };

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;

	(void)ctx;
	printf("%d %s (%zu bytes)\n", e->pid, e->comm, size);
	return 0;                      /* negative: stop and return it */
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, 1 << 20, NULL);  /* 1 MiB */
	struct event *e = ringbuf_reserve(rb, sizeof(*e), 0);      /* any thread */

	if (e) {
		*e = (struct event){ .pid = 42, .comm = "demo" };
		ringbuf_submit(rb, e, 0);                            /* or _discard */
	}
	int n = ringbuf_poll(rb, on_event, NULL, 100);           /* or _consume */
	ringbuf_free(rb);
	return n == 1 ? 0 : 1;
}
