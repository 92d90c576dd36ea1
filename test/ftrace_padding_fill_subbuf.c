// SPDX-License-Identifier: MIT
/* Events of sizes that do not divide a sub-buffer leave the end of each
 * full sub-buffer as padding: the walker skips it and every event still
 * arrives once, in order, with its bytes intact. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

static struct ft_test T;
static uint16_t print_id;

struct got {
	long next, bad;
};

static void fill(char *buf, long seq, int len)
{
	int n = snprintf(buf, (size_t)len + 1, "pad %ld ", seq);

	for (int i = n; i < len; i++)
		buf[i] = (char)('a' + (seq + i) % 26);
	buf[len] = 0;
}

static int len_of(long seq)
{
	return 300 + (int)((seq * 97) % 700);     /* 300..999 bytes */
}

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct got *g = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);
	char want[1100];
	long seq;

	if (!txt || sscanf(txt, "pad %ld", &seq) != 1)
		return 0;
	CHECK_EQ(seq, g->next);
	fill(want, seq, len_of(seq));
	/* trace_marker appends a newline when the text has none. */
	if (strncmp(txt, want, strlen(want)) != 0)
		g->bad++;
	g->next++;
	return 0;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o);
	RINGBUF_FTRACE_STATS(st);
	struct ringbuf_consumer *c;
	struct got g = { 0, 0 };
	char buf[1100];
	long n = test_scaled(400);
	int fd, cpu = 0, r;

	print_id = ft_test_setup(&T, "pad", 1024, &o);
	fd = ft_test_one_cpu(&T, &o, &cpu);
	c = ft_test_consumer(&o, on_event, &g, &r);
	CHECK_EQ(r, 1);

	for (long i = 0; i < n; i++) {
		int len = len_of(i);

		fill(buf, i, len);
		CHECK(write(fd, buf, (size_t)len) == len);
		if (i % 50 == 49)
			CHECK(ringbuf_consumer_consume(c) >= 0);
	}
	for (int i = 0; i < 50 && g.next < n; i++)
		CHECK(ringbuf_consumer_poll(c, 100) >= 0);
	CHECK_EQ(g.next, n);
	CHECK_EQ(g.bad, 0);
	CHECK(ringbuf_consumer_ftrace_stats(c, cpu, &st) == 1);
	printf("%ld events over %llu sub-buffers, %llu paddings, %llu lost\n", g.next,
	       (unsigned long long)st.subbufs, (unsigned long long)st.paddings,
	       (unsigned long long)st.lost_events);
	CHECK(st.subbufs >= 3);
	CHECK(st.paddings >= 1);
	CHECK_EQ(st.lost_events, 0);
	CHECK_EQ(st.corrupt_events, 0);
	close(fd);
	ringbuf_consumer_free(c);
	return 0;
}
