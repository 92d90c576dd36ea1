// SPDX-License-Identifier: MIT
/*
 * ringbuf bench: the rows, as data. Each names its transport (harness.h)
 * and how to drive it; a row of ours names the anchor its "vs kernel"
 * column divides by. The table's order is the report's; in a round, ours
 * and the anchors alternate in it.
 */
#include <string.h>

#include "harness.h"
#include "suite.h"

#define KREF_BUSY "kernel nowakeup busy [libbpf]"
#define KREF_POLL "kernel poll [libbpf]"
#define KREF_BACKOFF "kernel nowakeup busy +backoff [libbpf]"

const struct row bench_rows[] = {
	/* ours */
	{ .name = "ringbuf busy", .t = &user_ring, .ref = KREF_BUSY },
	/* 16 records per ringbuf_reserve_batch: one claim CAS for 16 */
	{ .name = "ringbuf busy, batch 16", .t = &user_ring, .ref = KREF_BUSY, .batch = 16 },
	{ .name = "ringbuf busy, idle policy none", .t = &user_ring, .ref = KREF_BUSY, .idle_none = 1 },
	/* "ringbuf busy" again, under another name: its pair with the first is
	 * what a ratio of two identical rows does in this run (the noise every
	 * other pair has to clear). */
	{ .name = "ringbuf busy [A/A repeat]", .t = &user_ring, .ref = KREF_BUSY },
	{ .name = "ringbuf manager consume busy", .t = &user_ring, .ref = KREF_BUSY,
	  .consume = CONSUME_MANAGER_BUSY },
	{ .name = "ringbuf nowakeup busy", .t = &user_ring, .ref = KREF_BUSY, .wake = WAKE_NONE },
	{ .name = "ringbuf output busy", .t = &user_ring, .ref = KREF_BUSY, .output = 1 },
	{ .name = "ringbuf 2-producer busy", .t = &user_ring, .ref = KREF_BUSY, .producers = 2 },
	/* 1 vs 2 producers: ratio against one producer on one ring */
	{ .name = "ringbuf 2-producer split-CPU busy", .t = &user_ring, .ref = "ringbuf busy",
	  .producers = 2, .split = 1 },
	{ .name = "sharded 1-producer busy", .t = &sharded, .ref = "ringbuf busy" },
	{ .name = "sharded 2-producer busy", .t = &sharded, .ref = "ringbuf busy", .producers = 2 },
	{ .name = "sharded 2-producer split-CPU busy", .t = &sharded, .ref = "ringbuf busy",
	  .producers = 2, .split = 1 },
	{ .name = "ringbuf overwrite busy", .t = &user_ring, .ref = KREF_BUSY, .overwrite = 1 },
	{ .name = "ringbuf busy +backoff", .t = &user_ring, .ref = KREF_BACKOFF, .backoff = 1 },
	{ .name = "ringbuf poll (manager)", .t = &user_ring, .ref = KREF_POLL, .consume = CONSUME_POLL },
	{ .name = "ringbuf sampled poll", .t = &user_ring, .ref = "kernel sampled poll [libbpf]",
	  .consume = CONSUME_POLL, .wake = WAKE_SAMPLED },
	{ .name = "ringbuf back-to-back", .t = &user_ring, .ref = "kernel back-to-back",
	  .kind = ROW_BACK_TO_BACK },
	{ .name = "sharded back-to-back", .t = &sharded, .ref = "ringbuf back-to-back",
	  .kind = ROW_BACK_TO_BACK },
	/* anchors */
	{ .name = KREF_BUSY, .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE, .libbpf = 1 },
	{ .name = KREF_BACKOFF, .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE, .libbpf = 1,
	  .backoff = 1 },
	{ .name = "kernel nowakeup busy [ringbuf]", .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE },
	{ .name = "kernel adaptive busy [libbpf]", .t = &kernel_ring, .anchor = 1, .libbpf = 1 },
	{ .name = KREF_POLL, .t = &kernel_ring, .anchor = 1, .libbpf = 1, .consume = CONSUME_POLL },
	{ .name = "kernel poll [ringbuf manager]", .t = &kernel_ring, .anchor = 1,
	  .consume = CONSUME_POLL },
	{ .name = "kernel sampled poll [libbpf]", .t = &kernel_ring, .anchor = 1, .libbpf = 1,
	  .consume = CONSUME_POLL, .wake = WAKE_SAMPLED },
	{ .name = "kernel back-to-back", .t = &kernel_ring, .anchor = 1, .kind = ROW_BACK_TO_BACK },
	{ .name = "perfbuf busy [raw mmap]", .t = &perf_buffer, .anchor = 1, .wake = WAKE_SAMPLED },
	{ .name = "perfbuf wakeup-each busy [raw mmap]", .t = &perf_buffer, .anchor = 1 },
	{ .name = "minimal SPSC ring [floor]", .t = &spsc_floor, .anchor = 1 },
	/* Two producers on the producer CPU, a ring each: what sharing one CPU
	 * costs when the producers share nothing else. */
	{ .name = "minimal SPSC ring [floor], 2 producers", .t = &spsc_floor, .anchor = 1,
	  .producers = 2 },
	/* ... and with producer i on CPU i % 2: one shares the consumer's. */
	{ .name = "minimal SPSC ring [floor], 2 split-CPU", .t = &spsc_floor, .anchor = 1,
	  .producers = 2, .split = 1 },
	{ .name = "mutex+condvar queue", .t = &mutex_queue, .anchor = 1 },
	{ .name = "pipe", .t = &pipe_fifo, .anchor = 1 },
	/* latency (24-byte records, one every 20 us; blocking consumer, or busy) */
	{ .name = "latency ringbuf poll", .t = &user_ring, .kind = ROW_LATENCY, .consume = CONSUME_POLL },
	{ .name = "latency ringbuf busy", .t = &user_ring, .kind = ROW_LATENCY },
	{ .name = "latency ringbuf busy, idle none", .t = &user_ring, .kind = ROW_LATENCY,
	  .idle_none = 1 },
	{ .name = "latency mutex+condvar", .t = &mutex_queue, .anchor = 1, .kind = ROW_LATENCY },
	{ .name = "latency pipe", .t = &pipe_fifo, .anchor = 1, .kind = ROW_LATENCY },
};
const size_t bench_nrows = sizeof(bench_rows) / sizeof(bench_rows[0]);
_Static_assert(sizeof(bench_rows) / sizeof(bench_rows[0]) <= MAX_ROWS, "raise MAX_ROWS");

/* The comparisons issue 12 asks for, as paired per-round ratios. */
const struct row_pair bench_pairs[] = {
	{ .what = "busy consume, idle policy (default) / none",
	  .a = "ringbuf busy", .b = "ringbuf busy, idle policy none" },
	{ .what = "busy consume / kernel nowakeup busy",
	  .a = "ringbuf busy", .b = KREF_BUSY },
	{ .what = "busy consume / minimal SPSC ring [floor]",
	  .a = "ringbuf busy", .b = "minimal SPSC ring [floor]" },
	{ .what = "busy [A/A repeat] / busy consume",
	  .a = "ringbuf busy [A/A repeat]", .b = "ringbuf busy" },
	{ .what = "busy, batch 16 / busy consume",
	  .a = "ringbuf busy, batch 16", .b = "ringbuf busy" },
	{ .what = "busy, batch 16 / minimal SPSC ring [floor]",
	  .a = "ringbuf busy, batch 16", .b = "minimal SPSC ring [floor]" },
	{ .what = "nowakeup busy / minimal SPSC ring [floor]",
	  .a = "ringbuf nowakeup busy", .b = "minimal SPSC ring [floor]" },
	{ .what = "nowakeup busy / kernel nowakeup busy",
	  .a = "ringbuf nowakeup busy", .b = KREF_BUSY },
	{ .what = "manager consume busy / kernel nowakeup busy",
	  .a = "ringbuf manager consume busy", .b = KREF_BUSY },
	{ .what = "output busy / kernel nowakeup busy",
	  .a = "ringbuf output busy", .b = KREF_BUSY },
	{ .what = "2 producers / 1 producer (busy)",
	  .a = "ringbuf 2-producer busy", .b = "ringbuf busy" },
	{ .what = "floor: 2 producers / 1, one CPU",
	  .a = "minimal SPSC ring [floor], 2 producers", .b = "minimal SPSC ring [floor]" },
	{ .what = "floor: 2 producers split-CPU / 1",
	  .a = "minimal SPSC ring [floor], 2 split-CPU", .b = "minimal SPSC ring [floor]" },
	{ .what = "2 producers split-CPU / 1 producer",
	  .a = "ringbuf 2-producer split-CPU busy", .b = "ringbuf busy" },
	{ .what = "sharded 1 producer / ring 1 producer",
	  .a = "sharded 1-producer busy", .b = "ringbuf busy" },
	{ .what = "sharded / ring, back-to-back on one CPU",
	  .a = "sharded back-to-back", .b = "ringbuf back-to-back" },
	{ .what = "sharded 2 producers / ring 1 producer",
	  .a = "sharded 2-producer busy", .b = "ringbuf busy" },
	{ .what = "sharded 2 split-CPU / ring 1 producer",
	  .a = "sharded 2-producer split-CPU busy", .b = "ringbuf busy" },
	{ .what = "sharded 2 producers / ring 2 producers",
	  .a = "sharded 2-producer busy", .b = "ringbuf 2-producer busy" },
	{ .what = "sharded 2 split-CPU / ring 2 split-CPU",
	  .a = "sharded 2-producer split-CPU busy", .b = "ringbuf 2-producer split-CPU busy" },
};
const size_t bench_npairs = sizeof(bench_pairs) / sizeof(bench_pairs[0]);

int row_index(const char *name)
{
	for (size_t i = 0; i < bench_nrows; i++)
		if (!strcmp(bench_rows[i].name, name))
			return (int)i;
	return -1;
}

/* TEXT, or several alternatives TEXT|TEXT|...: does name contain one? */
static int filter_matches(const char *filter, const char *name)
{
	const char *p = filter;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		for (const char *q = name; *q; q++)
			if (n && !strncmp(q, p, n))
				return 1;
		if (!bar)
			return 0;
		p = bar + 1;
	}
}

int row_selected(const struct cfg *c, size_t i)
{
	if (c->filter && !filter_matches(c->filter, bench_rows[i].name))
		return 0;
	if (c->producers && row_producers(&bench_rows[i]) != c->producers && !bench_rows[i].anchor)
		return 0;
	return 1;
}
