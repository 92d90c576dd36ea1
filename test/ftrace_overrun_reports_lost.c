// SPDX-License-Identifier: MIT
/* A tiny buffer written far past its size while nobody reads (overwrite
 * mode, the ftrace default): the oldest events are gone. What we read is
 * in order, the newest events are there, and the loss is reported: the
 * lost_events statistic accounts for every marker we did not get. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

static struct ft_test T;
static uint16_t print_id;

struct got {
	long last, count;
};

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct got *g = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);
	long seq;

	if (!txt || sscanf(txt, "lost %ld", &seq) != 1)
		return 0;
	CHECK(seq > g->last);
	g->last = seq;
	g->count++;
	return 0;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o);
	RINGBUF_FTRACE_STATS(st);
	struct ringbuf_consumer *c;
	struct got g = { -1, 0 };
	char buf[200];
	long n = 20000;
	int fd, cpu = 0, r;

	print_id = ft_test_setup(&T, "lost", 16, &o);
	fd = ft_test_one_cpu(&T, &o, &cpu);
	c = ft_test_consumer(&o, on_event, &g, &r);
	CHECK_EQ(r, 1);

	for (long i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "lost %ld %080d", i, 0);

		CHECK(write(fd, buf, (size_t)len) == len);
	}
	CHECK(ringbuf_consumer_consume(c) >= 0);
	CHECK(ringbuf_consumer_consume(c) >= 0);
	CHECK(ringbuf_consumer_ftrace_stats(c, cpu, &st) == 1);
	printf("wrote %ld, read %ld (last %ld), lost_events %llu, missed sub-buffers %llu, "
	       "overrun %llu, entries %llu, corrupt %llu\n", n, g.count, g.last,
	       (unsigned long long)st.lost_events, (unsigned long long)st.missed_subbufs,
	       (unsigned long long)st.overrun, (unsigned long long)st.entries,
	       (unsigned long long)st.corrupt_events);
	CHECK(g.count > 0 && g.count < n);
	CHECK_EQ(g.last, n - 1);                   /* the newest survive */
	CHECK(st.missed_subbufs >= 1);
	CHECK(st.lost_events >= 1);
	CHECK_EQ((long)st.lost_events + g.count, n);
	/* The flagged sub-buffer's commit (flags sign-extended) is no garbage. */
	CHECK_EQ(st.corrupt_events, 0);
	close(fd);
	ringbuf_consumer_free(c);
	return 0;
}
