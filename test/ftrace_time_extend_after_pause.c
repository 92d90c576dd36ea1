// SPDX-License-Identifier: MIT
/* A pause longer than 2^27 ns (~134 ms) between two events on one CPU does
 * not fit the 27-bit delta of an event header: the kernel inserts a
 * time-extend (or absolute time-stamp) header, and the second event's full
 * timestamp must come out about one pause after the first. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

static struct ft_test T;
static uint16_t print_id;

struct got {
	uint64_t ts[4];
	int n;
};

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct got *g = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);

	if (txt && !strncmp(txt, "pause ", 6) && g->n < 4)
		g->ts[g->n++] = ev->ts;
	return 0;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o);
	RINGBUF_FTRACE_STATS(st);
	const uint64_t pause_ns = 200ull * 1000000;   /* > 2^27 ns */
	struct ringbuf_consumer *c;
	struct got g;
	uint64_t t0, t1;
	int fd, cpu = 0, r;

	print_id = ft_test_setup(&T, "text", 64, &o);
	memset(&g, 0, sizeof(g));
	fd = ft_test_one_cpu(&T, &o, &cpu);
	c = ft_test_consumer(&o, on_event, &g, &r);
	CHECK_EQ(r, 1);

	t0 = test_now_ns();
	CHECK(write(fd, "pause 1", 7) == 7);
	usleep((useconds_t)(pause_ns / 1000));
	t1 = test_now_ns();
	CHECK(write(fd, "pause 2", 7) == 7);
	for (int i = 0; i < 50 && g.n < 2; i++)
		CHECK(ringbuf_consumer_poll(c, 100) >= 0);
	CHECK_EQ(g.n, 2);
	CHECK(ringbuf_consumer_ftrace_stats(c, cpu, &st) == 1);
	printf("delta %.3f ms (wall %.3f ms), %llu time-extend headers\n",
	       (double)(g.ts[1] - g.ts[0]) / 1e6, (double)(t1 - t0) / 1e6,
	       (unsigned long long)st.time_extends);
	CHECK(st.time_extends >= 1);
	/* The trace clock ("local") runs at ns; allow 10% either way plus
	 * the syscall around the sleep. */
	CHECK(g.ts[1] - g.ts[0] >= pause_ns * 9 / 10);
	CHECK(g.ts[1] - g.ts[0] <= (t1 - t0) + pause_ns / 10 + 50000000ull);
	close(fd);
	ringbuf_consumer_free(c);
	return 0;
}
