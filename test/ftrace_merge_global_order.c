// SPDX-License-Identifier: MIT
/* Merge mode: events of all CPUs come out as one stream in timestamp
 * order. Threads pinned to every CPU write markers; then one consume reads
 * everything: timestamps never go back across CPUs, every marker arrives
 * once, and both CPUs took part. */
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
static int nthreads, ncpu;

struct got {
	long next[MAX_THREADS];
	long total, per_cpu[64], switches;
	uint64_t last_ts;
	int last_cpu;
};

static void *writer(void *arg)
{
	int id = (int)(long)arg;

	ft_test_write_markers(&T, id % ncpu, "mrg", id, per_thread);
	return NULL;
}

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct got *g = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);
	int id;
	long seq;

	CHECK(ev->ts >= g->last_ts);              /* one global order */
	g->last_ts = ev->ts;
	if (g->total && ev->cpu != g->last_cpu)
		g->switches++;
	g->last_cpu = ev->cpu;
	if (!txt || sscanf(txt, "mrg %d %ld", &id, &seq) != 2)
		return 0;
	CHECK(id >= 0 && id < nthreads);
	CHECK_EQ(seq, g->next[id]);
	g->next[id]++;
	g->per_cpu[ev->cpu]++;
	g->total++;
	return 0;
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o, .merge = true);
	RINGBUF_FTRACE_STATS(st);
	pthread_t th[MAX_THREADS];
	struct ringbuf_consumer *c;
	struct got g;
	int r;

	print_id = ft_test_setup(&T, "merge", 1024, &o);
	ncpu = ft_test_ncpus();
	if (ncpu < 2)
		SKIP("merging needs two CPUs");
	if (ncpu > 4)
		ncpu = 4;
	nthreads = 2 * ncpu;
	per_thread = test_scaled(1000);
	memset(&g, 0, sizeof(g));
	c = ft_test_consumer(&o, on_event, &g, &r);
	CHECK(r >= ncpu);

	for (int i = 0; i < nthreads; i++)
		CHECK(pthread_create(&th[i], NULL, writer, (void *)(long)i) == 0);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	r = ringbuf_consumer_consume(c);
	CHECK(r >= nthreads * per_thread);
	CHECK_EQ(g.total, nthreads * per_thread);
	for (int i = 0; i < ncpu; i++)
		CHECK(g.per_cpu[i] > 0);
	CHECK(ringbuf_consumer_ftrace_stats(c, -1, &st) >= ncpu);
	CHECK_EQ(st.lost_events, 0);
	printf("%ld markers merged from %d CPUs, %ld CPU switches in the stream\n",
	       g.total, ncpu, g.switches);
	CHECK(g.switches >= 1);
	ringbuf_consumer_free(c);
	return 0;
}
