// SPDX-License-Identifier: MIT
/* Markers written through trace_marker by threads pinned to every CPU,
 * read through the mmap'ed per-CPU buffers while they are written: every
 * marker arrives exactly once, on the CPU its thread ran on, in its
 * thread's order, with per-CPU timestamps that never go back. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

#define MAX_THREADS 8

static struct ft_test T;
static uint16_t print_id;
static long per_thread;
static int nthreads;
static int ncpu;

struct seen {
	long next[MAX_THREADS];       /* next sequence expected per thread */
	uint64_t last_ts[64];         /* per CPU */
	long total, foreign;
};

static void *writer(void *arg)
{
	int id = (int)(long)arg;

	ft_test_write_markers(&T, id % ncpu, "rbt", id, per_thread);
	return NULL;
}

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct seen *s = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);
	int id;
	long seq;

	CHECK(ev->cpu >= 0 && ev->cpu < 64);
	CHECK(ev->ts >= s->last_ts[ev->cpu]);
	s->last_ts[ev->cpu] = ev->ts;
	if (!txt || sscanf(txt, "rbt %d %ld", &id, &seq) != 2) {
		s->foreign++;
		return 0;
	}
	CHECK(id >= 0 && id < nthreads);
	CHECK_EQ(ev->cpu, id % ncpu);      /* pinned writer: its CPU's buffer */
	CHECK_EQ(seq, s->next[id]);        /* once, in order */
	s->next[id]++;
	s->total++;
	return 0;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o, .instance = T.name);
	RINGBUF_FTRACE_STATS(st);
	pthread_t th[MAX_THREADS];
	struct ringbuf_consumer *c;
	struct seen s;
	uint64_t deadline;
	int r;

	print_id = ft_test_setup(&T, "once", 512, &o);
	ncpu = ft_test_ncpus();
	if (ncpu > 4)
		ncpu = 4;
	nthreads = 2 * ncpu;
	per_thread = test_scaled(2000);
	memset(&s, 0, sizeof(s));

	c = ft_test_consumer(&o, on_event, &s, &r);
	CHECK(r >= ncpu);

	for (int i = 0; i < nthreads; i++)
		CHECK(pthread_create(&th[i], NULL, writer, (void *)(long)i) == 0);
	deadline = test_now_ns() + 20ull * 1000000000ull;
	while (s.total < nthreads * per_thread && test_now_ns() < deadline) {
		r = ringbuf_consumer_poll(c, 100);
		CHECK(r >= 0);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	/* Whatever is still there. */
	CHECK(ringbuf_consumer_consume(c) >= 0);

	for (int i = 0; i < nthreads; i++)
		CHECK_EQ(s.next[i], per_thread);
	CHECK_EQ(s.total, nthreads * per_thread);
	CHECK_EQ(s.foreign, 0);
	CHECK(ringbuf_consumer_ftrace_stats(c, -1, &st) >= ncpu);
	CHECK_EQ(st.events, s.total);
	CHECK_EQ(st.lost_events, 0);
	CHECK_EQ(st.corrupt_events, 0);
	CHECK(st.subbufs > 1);
	printf("%ld markers from %d threads on %d CPUs; %llu sub-buffers, %llu GET_READER\n",
	       s.total, nthreads, ncpu, (unsigned long long)st.subbufs,
	       (unsigned long long)st.get_reader_calls);
	ringbuf_consumer_free(c);
	return 0;
}
