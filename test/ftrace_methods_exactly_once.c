// SPDX-License-Identifier: MIT
/* Each way of reading a CPU buffer delivers every marker exactly once, in
 * order, whole, with timestamps that never go back: the mapping
 * (GET_READER), read(2) on trace_pipe_raw, and the automatic choice, which
 * must move to read(2) when the events are small, back to the mapping when
 * they are large, and to read(2) again, losing and repeating nothing at
 * each switch. Each method is run on drained bursts (full sub-buffers) and
 * while a writer thread writes (the writer on the reader sub-buffer); the
 * statistics must show that the method asked for is the one used. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "ftrace_util.h"
#include "testutil.h"

#define SMALL 8       /* marker bytes: ~36-byte events, read(2) territory */
#define LARGE 900     /* ~924-byte events: the mapping's */

static struct ft_test T;
static uint16_t print_id;
static int cpu;

struct seen {
	long next;                /* next sequence expected */
	int bytes;                /* the size the current phase writes */
	uint64_t last_ts;
	long foreign;
};

static int on_event(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct seen *s = ctx;
	const char *txt = ft_test_marker_text(ev->data, ev->size, print_id);
	long seq;
	int id;

	CHECK_EQ(ev->cpu, cpu);
	CHECK(ev->ts >= s->last_ts);
	s->last_ts = ev->ts;
	if (!txt || sscanf(txt, "mth %d %ld", &id, &seq) != 2) {
		s->foreign++;
		return 0;
	}
	CHECK_EQ(seq, s->next);                   /* once, in order */
	/* Whole: what was written (padded to s->bytes), and the newline
	 * the kernel adds. */
	{
		int n = snprintf(NULL, 0, "mth 0 %ld", seq);

		CHECK_EQ(strlen(txt), (size_t)(n > s->bytes ? n : s->bytes) + 1);
	}
	s->next++;
	return 0;
}

/* Write count markers of bytes each, then consume until all are there. */
static void burst(struct ringbuf_consumer *c, struct seen *s, int fd, long count, int bytes)
{
	long want = s->next + count;
	uint64_t deadline = test_now_ns() + 20ull * 1000000000ull;

	s->bytes = bytes;
	ft_test_write_sized(fd, "mth", 0, s->next, count, bytes);
	while (s->next < want && test_now_ns() < deadline)
		CHECK(ringbuf_consumer_consume(c) >= 0);
	CHECK_EQ(s->next, want);
}

struct live {
	int fd;
	long first, count;
	int bytes;
};

static void *live_writer(void *arg)
{
	struct live *l = arg;

	CHECK(ft_test_pin(cpu) == 0);
	ft_test_write_sized(l->fd, "mth", 0, l->first, l->count, l->bytes);
	return NULL;
}

/* A writer thread on the CPU while we poll. */
static void live(struct ringbuf_consumer *c, struct seen *s, int fd, long count, int bytes)
{
	struct live l = { .fd = fd, .first = s->next, .count = count, .bytes = bytes };
	uint64_t deadline = test_now_ns() + 20ull * 1000000000ull;
	long want = s->next + count;
	pthread_t th;

	s->bytes = bytes;
	CHECK(pthread_create(&th, NULL, live_writer, &l) == 0);
	while (s->next < want && test_now_ns() < deadline)
		CHECK(ringbuf_consumer_poll(c, 100) >= 0);
	pthread_join(th, NULL);
	CHECK_EQ(s->next, want);
}

static void stats(struct ringbuf_consumer *c, struct ringbuf_ftrace_stats *st)
{
	st->sz = sizeof(*st);
	CHECK_EQ(ringbuf_consumer_ftrace_stats(c, cpu, st), 1);
	CHECK_EQ(st->lost_events, 0);
	CHECK_EQ(st->corrupt_events, 0);
}

static struct ringbuf_consumer *consumer(struct ringbuf_ftrace_opts *o, int method,
					 struct seen *s)
{
	struct ringbuf_consumer *c;
	int added;

	o->method = method;
	memset(s, 0, sizeof(*s));
	c = ft_test_consumer(o, on_event, s, &added);
	CHECK_EQ(added, 1);
	return c;
}

/* One forced method: drained bursts of both sizes and a live writer, and
 * the statistics must show that only that method ran. */
static void forced(struct ringbuf_ftrace_opts *o, int fd, int method, long small, long large)
{
	RINGBUF_FTRACE_STATS(st);
	struct ringbuf_consumer *c;
	struct seen s;

	c = consumer(o, method, &s);
	burst(c, &s, fd, small, SMALL);
	burst(c, &s, fd, large, LARGE);
	live(c, &s, fd, test_scaled(3000), SMALL);
	stats(c, &st);
	CHECK_EQ(st.method_switches, 0);
	CHECK_EQ(st.events, s.next + s.foreign);
	if (method == RINGBUF_FTRACE_MMAP) {
		CHECK_EQ(st.read_calls, 0);
		CHECK(st.get_reader_calls > 0);
	} else {
		CHECK_EQ(st.get_reader_calls, 0);
		CHECK(st.read_calls > 0);
	}
	printf("%s: %ld markers, %llu GET_READER, %llu reads\n",
	       method == RINGBUF_FTRACE_MMAP ? "mmap" : "read(2)", s.next,
	       (unsigned long long)st.get_reader_calls, (unsigned long long)st.read_calls);
	ringbuf_consumer_free(c);
}

int main(void)
{
	RINGBUF_FTRACE_OPTS(o);
	RINGBUF_FTRACE_STATS(st);
	struct ringbuf_consumer *c;
	struct seen s;
	long small = 3000, large = 200;
	int fd;

	print_id = ft_test_setup(&T, "methods", 2048, &o);
	cpu = 0;
	fd = ft_test_one_cpu(&T, &o, &cpu);

	forced(&o, fd, RINGBUF_FTRACE_MMAP, small, large);
	forced(&o, fd, RINGBUF_FTRACE_READ, small, large);

	/* Automatic: starts mapped; small events -> read(2) (1 switch), large
	 * -> the mapping (2), small -> read(2) (3). Drained bursts fill whole
	 * sub-buffers, so each decision sees a clean window. */
	c = consumer(&o, RINGBUF_FTRACE_AUTO, &s);
	burst(c, &s, fd, small, SMALL);
	stats(c, &st);
	CHECK_EQ(st.method_switches, 1);
	CHECK(st.read_calls > 0);
	burst(c, &s, fd, large, LARGE);
	stats(c, &st);
	CHECK_EQ(st.method_switches, 2);
	{
		uint64_t ioctls = st.get_reader_calls, reads = st.read_calls;

		burst(c, &s, fd, large, LARGE);   /* stays mapped */
		stats(c, &st);
		CHECK_EQ(st.method_switches, 2);
		CHECK(st.get_reader_calls > ioctls);
		CHECK_EQ(st.read_calls, reads);
	}
	burst(c, &s, fd, small, SMALL);
	stats(c, &st);
	CHECK_EQ(st.method_switches, 3);
	/* And while a writer writes, across switches. */
	live(c, &s, fd, test_scaled(2000), LARGE);
	live(c, &s, fd, test_scaled(4000), SMALL);
	stats(c, &st);
	CHECK_EQ(st.events, s.next + s.foreign);
	printf("auto: %ld markers, %llu switches, %llu GET_READER, %llu reads\n", s.next,
	       (unsigned long long)st.method_switches, (unsigned long long)st.get_reader_calls,
	       (unsigned long long)st.read_calls);
	ringbuf_consumer_free(c);
	close(fd);
	return 0;
}
