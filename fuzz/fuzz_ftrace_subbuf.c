// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as one ftrace sub-buffer (header
 * included) through the walker. The input is copied into a buffer of
 * exactly its size so that ASan sees any read past it; every event must
 * lie inside the data area and the walk must end in at most size/4 steps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftrace.h"

struct walk {
	const uint8_t *lo, *hi;
	size_t events;
	uint64_t last_ts, sum;
};

static int on_event(void *ctx, const struct rb_ft_event *ev)
{
	struct walk *w = ctx;
	const uint8_t *p = ev->data;

	if (p < w->lo || p > w->hi || ev->size > (size_t)(w->hi - p))
		abort();
	for (uint32_t i = 0; i < ev->size; i++)   /* touch every payload byte */
		w->sum += p[i];
	w->events++;
	w->last_ts = ev->ts;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_ft_cursor c;
	struct walk w;
	uint8_t *buf;
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
	} else {
		if (n < 0 || (size_t)n != w.events || w.events > (size - RB_FT_SUBBUF_HDR) / 4)
			abort();
		if (c.end > c.cap || c.pos > c.end)
			abort();
	}
	free(buf);
	return 0;
}
