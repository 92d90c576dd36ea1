// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as one ftrace sub-buffer (header
 * included) through the batched walker, rb_ft_walk_batch, the one the
 * consumer uses for the mapping and for read(2) copies alike. The input is
 * copied into a buffer of exactly its size so that ASan sees any read past
 * it; every event must lie inside the data area and the walk must end in at
 * most size/4 steps.
 *
 * Then the same bytes are walked the way the consumer walks them when it
 * merges CPUs or is asked for fewer events than there are: a peek (max 0)
 * and one delivery (max 1) at a time, with a skip_to offset taken from the
 * input. That walk must deliver exactly the events a single batched walk
 * with the same skip_to delivers, in the same order, and each peek must
 * announce the timestamp of the event delivered next.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftrace.h"

struct walk {
	const uint8_t *lo, *hi;
	size_t events, cap;
	uint64_t last_ts, sum;
	struct ringbuf_ftrace_event *log;   /* NULL: do not record */
};

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct walk *w = ctx;
	const uint8_t *p = ev->data;

	if (p < w->lo || p > w->hi || ev->size > (size_t)(w->hi - p))
		abort();
	for (uint32_t i = 0; i < ev->size; i++)   /* touch every payload byte */
		w->sum += p[i];
	if (w->log) {
		if (w->events >= w->cap)
			abort();
		w->log[w->events] = *ev;
	}
	w->events++;
	w->last_ts = ev->ts;
	return 0;
}

static int same(const struct ringbuf_ftrace_event *a, const struct ringbuf_ftrace_event *b)
{
	return a->ts == b->ts && a->data == b->data && a->size == b->size && a->cpu == b->cpu;
}

/* One batched walk with skip_to, all events logged into w. */
static void walk_all(const uint8_t *buf, size_t size, uint32_t skip_to, struct walk *w)
{
	struct rb_ft_batch b = { .fn = on_event, .ctx = w, .cpu = 3, .skip_to = skip_to,
				 .max = SIZE_MAX };
	struct rb_ft_cursor c;

	rb_ft_cursor_start(&c, buf, (uint32_t)size);
	if (rb_ft_walk_batch(&c, buf, &b) == 1 || b.events != w->events)
		abort();
}

/* Peek, deliver one, peek, ...: must reproduce want[0..nwant). */
static void walk_stepwise(const uint8_t *buf, size_t size, uint32_t skip_to,
			  const struct ringbuf_ftrace_event *want, size_t nwant, struct walk *w)
{
	struct rb_ft_cursor c;
	size_t k = 0, steps = 0;

	rb_ft_cursor_start(&c, buf, (uint32_t)size);
	for (;;) {
		struct rb_ft_batch peek = { .cpu = 3, .skip_to = skip_to, .max = 0 };
		struct rb_ft_batch one = { .fn = on_event, .ctx = w, .cpu = 3, .skip_to = skip_to,
					   .max = 1 };
		uint32_t at = c.pos;
		int r = rb_ft_walk_batch(&c, buf, &peek);

		if (peek.events)
			abort();                      /* a peek delivers nothing */
		if (r != 1)
			break;
		if (k >= nwant || peek.next_ts != want[k].ts || c.pos < at)
			abort();
		r = rb_ft_walk_batch(&c, buf, &one);
		if (one.events != 1 || !same(&w->log[w->events - 1], &want[k]))
			abort();
		k++;
		if (++steps > size)
			abort();                      /* no progress */
	}
	if (k != nwant)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ringbuf_ftrace_event *full = NULL, *step = NULL;
	struct rb_ft_cursor c;
	struct walk w;
	uint8_t *buf;
	uint32_t skip_to;
	size_t cap;
	int n;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&w, 0, sizeof(w));
	w.lo = buf + RB_FT_SUBBUF_HDR;
	w.hi = buf + size;
	n = rb_ft_walk(buf, size, on_event, &w, &c);
	if (size < RB_FT_SUBBUF_HDR) {
		if (n != -EINVAL)
			abort();
		free(buf);
		return 0;
	}
	if (n < 0 || (size_t)n != w.events || w.events > (size - RB_FT_SUBBUF_HDR) / 4)
		abort();
	if (c.end > c.cap || c.pos > c.end)
		abort();
	if (size > (1u << 24)) {
		free(buf);
		return 0;
	}

	/* The stepwise walk against the batched one, with a skip_to offset
	 * taken from the last input byte (0..1020, a multiple of 4). */
	cap = w.events + 1;
	skip_to = (uint32_t)buf[size - 1] * 4u;
	full = calloc(cap, sizeof(*full));
	step = calloc(cap, sizeof(*step));
	if (full && step) {
		struct walk a = { .lo = w.lo, .hi = w.hi, .cap = cap, .log = full };
		struct walk b = { .lo = w.lo, .hi = w.hi, .cap = cap, .log = step };

		walk_all(buf, size, skip_to, &a);
		if (a.events > w.events)
			abort();                      /* skipping never adds */
		walk_stepwise(buf, size, skip_to, full, a.events, &b);
	}
	free(full);
	free(step);
	free(buf);
	return 0;
}
