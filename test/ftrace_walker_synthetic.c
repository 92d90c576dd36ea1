// SPDX-License-Identifier: MIT
/* white-box: calls the internal sub-buffer walker (rb_ft_walk, src/ftrace.h) directly */
/* The sub-buffer walker on hand-built sub-buffers (no kernel needed): data
 * events with the length in type_len and in array[0], a time extend, an
 * absolute time stamp (top bits from the clock), a discarded event and the
 * end-of-page padding, the missed-events flags with a stored count, and
 * lies (commit past the end, lengths past the commit) that must stop the
 * walk without reading outside the sub-buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ftrace.h"
#include "testutil.h"

#define CAP 256

struct sb {
	uint8_t b[RB_FT_SUBBUF_HDR + CAP];
	uint32_t len;
};

static void begin(struct sb *s, uint64_t ts)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->b, &ts, 8);
}

static void put32(struct sb *s, uint32_t v)
{
	memcpy(s->b + RB_FT_SUBBUF_HDR + s->len, &v, 4);
	s->len += 4;
}

static void ev(struct sb *s, uint32_t type_len, uint32_t delta)
{
	put32(s, (delta << 5) | type_len);
}

static void finish(struct sb *s, unsigned long flags)
{
	unsigned long commit = s->len | flags;

	memcpy(s->b + 8, &commit, sizeof(commit));
}

struct got {
	uint64_t ts[16];
	uint32_t size[16];
	char first[16];
	int n;
};

static int cb(void *ctx, const struct ringbuf_ftrace_event *e)
{
	struct got *g = ctx;

	CHECK(g->n < 16);
	g->ts[g->n] = e->ts;
	g->size[g->n] = e->size;
	g->first[g->n] = e->size ? *(const char *)e->data : 0;
	g->n++;
	return 0;
}

int main(void)
{
	struct rb_ft_cursor c;
	struct got g;
	struct sb s;

	/* Every kind of header in one sub-buffer. */
	begin(&s, 1000);
	ev(&s, 2, 10); put32(&s, 0x41414141); put32(&s, 0);         /* data, 8 bytes, ts 1010 */
	ev(&s, 0, 5); put32(&s, 4 + 120);                           /* data, array[0] */
	for (int i = 0; i < 30; i++)
		put32(&s, 0x42424242);                              /* ts 1015, 120 bytes */
	ev(&s, RB_FT_TYPE_TIME_EXTEND, 7); put32(&s, 2);            /* +2<<27 + 7 */
	ev(&s, 1, 0); put32(&s, 0x43434343);                        /* ts 1015 + 2^28 + 7 */
	ev(&s, RB_FT_TYPE_PADDING, 1); put32(&s, 12); put32(&s, 0); put32(&s, 0); /* discarded: 4 + 12 */
	ev(&s, 1, 3); put32(&s, 0x44444444);                        /* +3, delta of padding not added */
	ev(&s, RB_FT_TYPE_TIME_STAMP, 5); put32(&s, 1);             /* absolute (1<<27)+5 */
	ev(&s, 1, 0); put32(&s, 0x45454545);
	ev(&s, RB_FT_TYPE_PADDING, 0);                              /* rest unused */
	finish(&s, 0);
	memset(&g, 0, sizeof(g));
	CHECK_EQ(rb_ft_walk(s.b, sizeof(s.b), cb, &g, &c), 5);
	CHECK_EQ(g.size[0], 8);   CHECK_EQ(g.ts[0], 1010); CHECK_EQ(g.first[0], 'A');
	CHECK_EQ(g.size[1], 120); CHECK_EQ(g.ts[1], 1015); CHECK_EQ(g.first[1], 'B');
	CHECK_EQ(g.ts[2], 1015 + (2ull << 27) + 7);         CHECK_EQ(g.first[2], 'C');
	CHECK_EQ(g.ts[3], g.ts[2] + 3);                     CHECK_EQ(g.first[3], 'D');
	CHECK_EQ(g.ts[4], (1ull << 27) + 5);                CHECK_EQ(g.first[4], 'E');
	CHECK_EQ(c.extends, 2);
	CHECK_EQ(c.paddings, 2);
	CHECK_EQ(c.corrupt, 0);

	/* Absolute stamps carry 59 bits: the top bits come from the clock. */
	begin(&s, (3ull << 59) + 100);
	ev(&s, RB_FT_TYPE_TIME_STAMP, 50); put32(&s, 0);
	ev(&s, 1, 0); put32(&s, 0);
	finish(&s, 0);
	memset(&g, 0, sizeof(g));
	CHECK_EQ(rb_ft_walk(s.b, sizeof(s.b), cb, &g, &c), 1);
	/* 50 is below the clock's low bits (100): the stamp wrapped the
	 * 59-bit field, so it belongs to the next 2^59 period. */
	CHECK_EQ(g.ts[0], (4ull << 59) + 50);

	/* Missed events with the count stored after the data. */
	begin(&s, 1);
	ev(&s, 1, 1); put32(&s, 0);
	/* As the kernel does it: int flags added to a long, sign-extended. */
	finish(&s, (unsigned long)(long)(int)(3u << 30));
	{
		unsigned long lost = 1234;

		memcpy(s.b + RB_FT_SUBBUF_HDR + s.len, &lost, sizeof(lost));
	}
	CHECK_EQ(rb_ft_walk(s.b, sizeof(s.b), NULL, NULL, &c), 1);
	CHECK_EQ(c.missed_flags, 3);
	CHECK_EQ(c.missed, 1234);
	CHECK_EQ(c.end, 8);
	CHECK_EQ(c.corrupt, 0);

	/* Lies: a commit past the capacity is clamped and counted; an event
	 * longer than what is committed ends the walk as corrupt. */
	begin(&s, 1);
	ev(&s, 1, 1); put32(&s, 0);
	ev(&s, 0, 1); put32(&s, 0xfffffff0);
	s.len = CAP + 1000;
	finish(&s, 0);
	memset(&g, 0, sizeof(g));
	CHECK_EQ(rb_ft_walk(s.b, sizeof(s.b), cb, &g, &c), 1);
	CHECK(c.corrupt >= 2);
	CHECK_EQ(c.end, CAP);

	/* type_len data past the commit. */
	begin(&s, 1);
	ev(&s, 28, 1);
	finish(&s, 0);
	CHECK_EQ(rb_ft_walk(s.b, sizeof(s.b), NULL, NULL, &c), 0);
	CHECK_EQ(c.corrupt, 1);

	/* Too short to be a sub-buffer. */
	CHECK_EQ(rb_ft_walk(s.b, RB_FT_SUBBUF_HDR - 1, NULL, NULL, NULL), -EINVAL);
	printf("walker: data, array[0], extend, absolute, padding, missed, lies ok\n");
	return 0;
}
