// SPDX-License-Identifier: MIT
/*
 * The ftrace sub-buffer walker: pure, bytes in, events out. It knows the
 * kernel's ring_buffer_event encoding (src/ftrace.h) and nothing of
 * files, mappings or CPUs; the fuzz target drives it directly. Every
 * length and offset read from the sub-buffer is bounds-checked before use.
 * [F1] (ftrace.c's header) is the acquire load of a sub-buffer's commit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "ftrace.h"

/* ------------------------------------------------------------------ */
/* The walker: pure, bytes in, events out.                             */
/* ------------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void cursor_init(struct rb_ft_cursor *c, uint64_t time_stamp, uint64_t commit,
			uint32_t cap)
{
	memset(c, 0, sizeof(*c));
	c->ts = time_stamp;
	c->base_ts = time_stamp;
	c->cap = cap;
	c->missed_flags = (uint32_t)((commit & RB_FT_COMMIT_FLAGS) >> 30);
	commit &= RB_FT_COMMIT_LEN_MASK;
	if (commit > cap) {             /* a lie: walk what exists */
		c->corrupt++;
		commit = cap;
	}
	c->end = (uint32_t)commit;
}

/* The lost-event count the kernel stores after the data when it has room. */
static uint64_t stored_missed(const uint8_t *data, const struct rb_ft_cursor *c)
{
	unsigned long n;

	if (!(c->missed_flags & (uint32_t)(RB_FT_MISSED_STORED >> 30)))
		return 0;
	if ((uint64_t)c->end + sizeof(n) > c->cap)
		return 0;
	memcpy(&n, data + c->end, sizeof(n));
	return n;
}

void rb_ft_cursor_start(struct rb_ft_cursor *c, const uint8_t *sb, uint32_t subbuf_size)
{
	uint64_t ts;
	long commit;

	memcpy(&ts, sb, sizeof(ts));
	commit = rb_load_acquire((const long *)(const void *)(sb + 8));   /* [F1] */
	cursor_init(c, ts, (uint64_t)(unsigned long)commit, subbuf_size - RB_FT_SUBBUF_HDR);
	c->missed = stored_missed(sb + RB_FT_SUBBUF_HDR, c);
}

int rb_ft_cursor_refresh(struct rb_ft_cursor *c, const uint8_t *sb)
{
	uint64_t commit, ts;

	/* [F1] events below commit are complete once we see commit. */
	commit = (unsigned long)rb_load_acquire((const long *)(const void *)(sb + 8));
	commit &= RB_FT_COMMIT_LEN_MASK;
	if (commit > c->cap)
		commit = c->cap;
	memcpy(&ts, sb, sizeof(ts));
	if (commit < c->end || ts != c->base_ts) {
		uint64_t corrupt = c->corrupt;

		rb_ft_cursor_start(c, sb, c->cap + RB_FT_SUBBUF_HDR);
		c->corrupt += corrupt;
		return 1;
	}
	if (commit == c->end)
		return 0;
	c->end = (uint32_t)commit;
	return 1;
}

/* Restore the top bits of a 59-bit absolute stamp from the running clock
 * (the kernel's rb_fix_abs_ts, restated). */
static uint64_t fix_abs_ts(uint64_t abs, uint64_t clock)
{
	const uint64_t top = ~0ull << RB_FT_ABS_BITS;

	if (clock & top) {
		abs |= clock & top;
		if (abs < clock)
			abs += 1ull << RB_FT_ABS_BITS;
	}
	return abs;
}

/* The batched walk. The cursor's position and clock live in locals for the
 * whole loop (the callback cannot alias them), the event handed to fn is
 * built in place, and the counts are returned once. The loop is compiled
 * twice: `general` handles skip_to and a NULL fn (peeks, the first
 * sub-buffer after attaching); the other, for everything else, keeps only
 * what a data event needs live across the call: per data event one header
 * load, one range test, one bounds check, the budget and the call. Every
 * step is a multiple of 4 bytes, so alignment is checked once, on entry. */
static inline __attribute__((always_inline)) int
walk_batch(struct rb_ft_cursor *c, const uint8_t *sb, struct rb_ft_batch *b, const int general)
{
	const uint8_t *data = sb + RB_FT_SUBBUF_HDR;
	const ringbuf_ftrace_fn fn = b->fn;
	void *const ctx = b->ctx;
	const uint32_t end = c->end, skip_to = b->skip_to;
	struct ringbuf_ftrace_event ev;
	uint32_t pos = c->pos;
	uint64_t ts = c->ts, bytes = 0, skipped = 0;
	size_t budget = b->max;
	int r = 0;

	ev.cpu = b->cpu;
	if (pos & 3u)
		goto corrupt;
	while (pos < end) {
		const uint32_t left = end - pos;
		const uint8_t *e = data + pos;
		uint32_t hdr, type_len, delta, arr, total, size;
		const uint8_t *payload;

		if (left < 4)
			goto corrupt;
		hdr = rd32(e);
		type_len = hdr & 31u;
		delta = hdr >> 5;
		if (__builtin_expect(type_len - 1u < RB_FT_TYPE_DATA_MAX, 1)) {  /* 1..28 */
			total = 4 + type_len * 4;
			if (total > left)
				goto corrupt;
			payload = e + 4;
			size = type_len * 4;
		} else {
			arr = left >= 8 ? rd32(e + 4) : 0;
			switch (type_len) {
			case RB_FT_TYPE_PADDING:
				if (delta == 0) {           /* the rest is unused */
					c->paddings++;
					pos = end;
					continue;
				}
				if (left < 8 || arr > left - 4)
					goto corrupt;
				/* A discarded event: its bytes are skipped and, as
				 * in the kernel's reader, its delta is not added. */
				c->paddings++;
				if (arr > left - 4 - 3)     /* rounding would overshoot */
					pos = end;
				else
					pos += 4 + ((arr + 3u) & ~3u);
				continue;
			case RB_FT_TYPE_TIME_EXTEND:
				if (left < 8)
					goto corrupt;
				ts += ((uint64_t)arr << RB_FT_DELTA_BITS) | delta;
				c->extends++;
				pos += 8;
				continue;
			case RB_FT_TYPE_TIME_STAMP:
				if (left < 8)
					goto corrupt;
				ts = fix_abs_ts(((uint64_t)arr << RB_FT_DELTA_BITS) | delta, ts);
				c->extends++;
				pos += 8;
				continue;
			default:                        /* 0 */
				/* array[0] counts the bytes after the header,
				 * itself included; the payload follows it. */
				if (left < 8 || arr < 4 || arr > left - 4 || (arr & 3u))
					goto corrupt;
				total = 4 + arr;
				payload = e + 8;
				size = arr - 4;
				break;
			}
		}
		if (general && pos < skip_to) {         /* read before we came */
			ts += delta;
			pos += total;
			skipped++;
			continue;
		}
		if (budget == 0) {                      /* stop AT this event */
			b->next_ts = ts + delta;
			r = 1;
			break;
		}
		ts += delta;
		pos += total;
		budget--;
		bytes += size;
		if (!general || fn) {
			int cr;

			ev.ts = ts;
			ev.data = payload;
			ev.size = size;
			cr = fn(ctx, &ev);
			if (__builtin_expect(cr < 0, 0)) {
				b->ret = cr;
				r = 1;
				break;
			}
		}
	}
	if (0) {
corrupt:
		c->corrupt++;
		pos = end;
		r = -EBADMSG;
	}
	c->pos = pos;
	c->ts = ts;
	b->events += b->max - budget;
	b->bytes += bytes;
	b->walked += b->max - budget + skipped;
	return r;
}

int rb_ft_walk_batch(struct rb_ft_cursor *c, const uint8_t *sb, struct rb_ft_batch *b)
{
	if (b->fn && c->pos >= b->skip_to)
		return walk_batch(c, sb, b, 0);
	return walk_batch(c, sb, b, 1);
}

int rb_ft_walk(const uint8_t *buf, size_t len, ringbuf_ftrace_fn fn, void *ctx,
	       struct rb_ft_cursor *out)
{
	struct rb_ft_batch b = { .fn = fn, .ctx = ctx, .max = SIZE_MAX };
	struct rb_ft_cursor c;
	uint64_t ts, commit;
	unsigned long cw;

	if (!buf || len < RB_FT_SUBBUF_HDR || len > (1u << 30))
		return -EINVAL;
	memcpy(&ts, buf, sizeof(ts));
	memcpy(&cw, buf + 8, sizeof(cw));
	commit = cw;
	cursor_init(&c, ts, commit, (uint32_t)(len - RB_FT_SUBBUF_HDR));
	c.missed = stored_missed(buf + RB_FT_SUBBUF_HDR, &c);
	(void)rb_ft_walk_batch(&c, buf, &b);   /* garbage: c.corrupt says */
	if (out)
		*out = c;
	if (b.ret < 0)
		return b.ret;
	return b.events > INT_MAX ? INT_MAX : (int)b.events;
}
