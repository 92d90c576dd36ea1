// SPDX-License-Identifier: MIT
/*
 * ringbuf bench — user rings against what a user would pick instead, in
 * the same run, interleaved.
 *
 * What is measured. Every row moves fixed-size records from producer
 * thread(s) to one consumer thread for a fixed time. Producers start
 * together at t0 and stop at t0 + d; the consumer then drains what is left.
 * Throughput = records delivered to the consumer / (time of the consumer's
 * last record - t0): records per second of wall time while the consumer
 * keeps up. The same definition holds for the kernel rows, where the
 * "producer" is a BPF program run by BPF_PROG_TEST_RUN (repeat) in a
 * thread pinned like a user producer: the records it emits per second of
 * wall time, including the system call entry amortised over the repeat.
 *
 * Correctness. Every record carries (producer << 56 | sequence) in its
 * first 8 bytes and again in its last 8 (records of 16 bytes or more). The
 * consumer checks each one; a wrong length, a torn record, a duplicate or a
 * gap (except where the source may drop: the kernel ring when full, the
 * overwrite mode; then gaps must equal the drops the producer counted)
 * aborts the whole run with "SEQUENCE ERROR" and exit status 1 — a fast
 * wrong answer is never reported.
 *
 * Fairness. Producer and consumer run on two different CPUs (except the
 * back-to-back rows, one thread on one CPU, and the 2-producer rows, whose
 * two producers share the producer CPU: same CPU budget as 1 producer).
 * User-ring producers that find the ring full retry (they do not drop); the
 * kernel program cannot retry, so its drops are reported. Ring size 1 MiB
 * everywhere; the mutex queue holds 1 MiB of records, the pipe 1 MiB.
 * Rounds: every row runs once per round, ours and anchors alternating,
 * and the table reports the median over rounds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ringbuf.h>

#include "bench.h"
#include "cli.h"
#include "harness.h"
#include "svg.h"

#define MAX_SIZES   8
#define MAX_ROUNDS  15
#define RB_STR_(x) #x
#define RB_STR(x) RB_STR_(x)

/* ---- the rows ---- */

#define KREF_BUSY "kernel nowakeup busy [libbpf]"
#define KREF_POLL "kernel poll [libbpf]"
#define KREF_BACKOFF "kernel nowakeup busy +backoff [libbpf]"

static const struct row rows[] = {
	/* ours */
	{ .name = "ringbuf busy", .t = &user_ring, .ref = KREF_BUSY },
	{ .name = "ringbuf busy, idle policy none", .t = &user_ring, .ref = KREF_BUSY, .idle_none = 1 },
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
	/* anchors */
	{ .name = KREF_BUSY, .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE, .libbpf = 1 },
	{ .name = KREF_BACKOFF, .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE, .libbpf = 1,
	  .backoff = 1 },
	{ .name = "kernel nowakeup busy [ringbuf]", .t = &kernel_ring, .anchor = 1, .wake = WAKE_NONE },
	{ .name = "kernel adaptive busy [libbpf]", .t = &kernel_ring, .anchor = 1, .libbpf = 1 },
	{ .name = KREF_POLL, .t = &kernel_ring, .anchor = 1, .libbpf = 1, .consume = CONSUME_POLL },
	{ .name = "kernel poll [ringbuf manager]", .t = &kernel_ring, .anchor = 1, .consume = CONSUME_POLL },
	{ .name = "kernel sampled poll [libbpf]", .t = &kernel_ring, .anchor = 1, .libbpf = 1,
	  .consume = CONSUME_POLL, .wake = WAKE_SAMPLED },
	{ .name = "kernel back-to-back", .t = &kernel_ring, .anchor = 1, .kind = ROW_BACK_TO_BACK },
	{ .name = "perfbuf busy [raw mmap]", .t = &perf_buffer, .anchor = 1, .wake = WAKE_SAMPLED },
	{ .name = "perfbuf wakeup-each busy [raw mmap]", .t = &perf_buffer, .anchor = 1 },
	{ .name = "mutex+condvar queue", .t = &mutex_queue, .anchor = 1 },
	{ .name = "pipe", .t = &pipe_fifo, .anchor = 1 },
	/* latency (24-byte records, one every 20 us; blocking consumer, or busy) */
	{ .name = "latency ringbuf poll", .t = &user_ring, .kind = ROW_LATENCY, .consume = CONSUME_POLL },
	{ .name = "latency ringbuf busy", .t = &user_ring, .kind = ROW_LATENCY },
	{ .name = "latency ringbuf busy, idle none", .t = &user_ring, .kind = ROW_LATENCY, .idle_none = 1 },
	{ .name = "latency mutex+condvar", .t = &mutex_queue, .anchor = 1, .kind = ROW_LATENCY },
	{ .name = "latency pipe", .t = &pipe_fifo, .anchor = 1, .kind = ROW_LATENCY },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int row_index(const char *name)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].name, name))
			return (int)i;
	return -1;
}

/* ---- driver, report ---- */

struct cfg {
	double duration;          /* seconds, whole run */
	int rounds;
	size_t sizes[MAX_SIZES];
	int nsizes;
	int producers;            /* 0: 1 and 2; else only rows with this many */
	int json, csv;
	const char *filter;       /* rows whose name contains this */
	const char *svg;          /* --svg FILE: the throughput table as a chart */
};

static struct result results[NROWS][MAX_SIZES][MAX_ROUNDS];
static int any_failed;
static double others_pct = -1;   /* CPU time other processes took, % of all CPUs */

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

static int row_selected(const struct cfg *c, size_t i)
{
	if (c->filter && !filter_matches(c->filter, rows[i].name))
		return 0;
	if (c->producers && row_producers(&rows[i]) != c->producers && !rows[i].anchor)
		return 0;
	return 1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct summary {
	int skipped, failed;
	const char *why;
	double mrps, drops, lat[3], stalls, stall_pct;
};

static void summarize(const struct cfg *c, size_t i, int s, struct summary *out)
{
	double v[MAX_ROUNDS], d[MAX_ROUNDS], l[3][MAX_ROUNDS], st[MAX_ROUNDS], sp[MAX_ROUNDS];
	int n = 0;

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < c->rounds; k++) {
		struct result *x = &results[i][s][k];

		if (x->failed || x->skipped) {
			out->failed = x->failed;
			out->skipped = !x->failed;
			out->why = x->why;
			return;
		}
		v[n] = x->mrps;
		d[n] = x->drops;
		for (int j = 0; j < 3; j++)
			l[j][n] = x->lat[j];
		st[n] = x->stalls;
		sp[n] = x->stall_pct;
		n++;
	}
	out->mrps = median(v, n);
	out->drops = median(d, n);
	out->stalls = median(st, n);
	out->stall_pct = median(sp, n);
	for (int j = 0; j < 3; j++)
		out->lat[j] = median(l[j], n);
}

/* The median over rounds of row a's rate / row b's, each pair from the same
 * round (interleaved, so the machine's load is as alike as it gets); 0 when
 * either is missing. */
static double paired_ratio(const struct cfg *c, int a, int b, int s)
{
	double v[MAX_ROUNDS];
	int n = 0;

	if (a < 0 || b < 0 || !row_selected(c, (size_t)a) || !row_selected(c, (size_t)b))
		return 0;
	for (int k = 0; k < c->rounds; k++) {
		struct result *x = &results[a][s][k], *y = &results[b][s][k];

		if (x->failed || x->skipped || y->failed || y->skipped || y->mrps <= 0)
			return 0;
		v[n++] = x->mrps / y->mrps;
	}
	return n ? median(v, n) : 0;
}

/* The comparisons issue 12 asks for, as paired per-round ratios. */
static const struct { const char *what, *a, *b; } pairs[] = {
	{ "busy consume, idle policy (default) / none", "ringbuf busy", "ringbuf busy, idle policy none" },
	{ "busy consume / kernel nowakeup busy", "ringbuf busy", KREF_BUSY },
	{ "nowakeup busy / kernel nowakeup busy", "ringbuf nowakeup busy", KREF_BUSY },
	{ "manager consume busy / kernel nowakeup busy", "ringbuf manager consume busy", KREF_BUSY },
	{ "output busy / kernel nowakeup busy", "ringbuf output busy", KREF_BUSY },
	{ "2 producers / 1 producer (busy)", "ringbuf 2-producer busy", "ringbuf busy" },
	{ "2 producers split-CPU / 1 producer", "ringbuf 2-producer split-CPU busy", "ringbuf busy" },
	{ "sharded 1 producer / ring 1 producer", "sharded 1-producer busy", "ringbuf busy" },
	{ "sharded 2 producers / ring 1 producer", "sharded 2-producer busy", "ringbuf busy" },
	{ "sharded 2 split-CPU / ring 1 producer", "sharded 2-producer split-CPU busy", "ringbuf busy" },
	{ "sharded 2 producers / ring 2 producers", "sharded 2-producer busy", "ringbuf 2-producer busy" },
	{ "sharded 2 split-CPU / ring 2 split-CPU", "sharded 2-producer split-CPU busy",
	  "ringbuf 2-producer split-CPU busy" },
};

static void print_pairs(const struct cfg *c)
{
	int any = 0;

	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		int a = row_index(pairs[p].a), b = row_index(pairs[p].b);

		if (!paired_ratio(c, a, b, 0))
			continue;
		if (!any++)
			printf("\n%-46s %s\n", "paired ratios (median of per-round ratios)",
			       "size: ratio");
		printf("%-46s", pairs[p].what);
		for (int s = 0; s < c->nsizes; s++)
			printf("  %zu: %.2fx", c->sizes[s], paired_ratio(c, a, b, s));
		printf("\n");
	}
	any = 0;
	for (size_t i = 0; i < NROWS; i++) {
		struct summary sm;

		if (!row_selected(c, i) || rows[i].anchor || (rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			summarize(c, i, s, &sm);
			if (sm.skipped || sm.failed || sm.stalls <= 0)
				continue;
			if (!any++)
				printf("\n%-38s %6s %9s %9s\n", "consumer stalls at uncommitted records",
				       "size", "> " RB_STR(RINGBUF_STALL_US) "us/s", "% of time");
			printf("%-38s %6zu %9.0f %9.1f\n", rows[i].name, c->sizes[s], sm.stalls,
			       sm.stall_pct);
		}
	}
}

static void print_report(const struct cfg *c)
{
	struct summary sm, ref;
	int first = 1, any_lat = 0;

	if (c->json)
		printf("{\"ring_size\":%u,\"rounds\":%d,\"duration_s\":%.1f,\"cpus\":[%d,%d],\"rows\":[",
		       RING_SIZE, c->rounds, c->duration, bench_cpus[0], bench_cpus[1]);
	else if (c->csv)
		printf("mode,size,mrec_s,mb_s,ns_rec,drops,ratio,p50_ns,p99_ns,p999_ns,skipped\n");
	else {
		struct utsname u;

		if (uname(&u))
			snprintf(u.release, sizeof(u.release), "?");
		printf("ringbuf bench: libringbuf %s, Linux %s, %ld CPUs; %d round(s), median shown; "
		       "ring %u KiB; producer CPU %d, consumer CPU %d\n", ringbuf_version(), u.release,
		       sysconf(_SC_NPROCESSORS_ONLN), c->rounds, RING_SIZE >> 10, bench_cpus[0], bench_cpus[1]);
		printf("%-38s %6s %9s %9s %8s %10s %8s\n", "mode", "size", "M rec/s", "MB/s", "ns/rec",
		       "drops", "vs kernel");
	}
	for (size_t i = 0; i < NROWS; i++) {
		if (!row_selected(c, i) || (rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			double ratio = 0;
			int ri = rows[i].ref ? row_index(rows[i].ref) : -1;
			size_t len = c->sizes[s];

			summarize(c, i, s, &sm);
			if (ri >= 0 && row_selected(c, (size_t)ri)) {
				summarize(c, (size_t)ri, s, &ref);
				if (!ref.skipped && !ref.failed && ref.mrps > 0 && !sm.skipped && !sm.failed)
					ratio = sm.mrps / ref.mrps;
			}
			if (c->json) {
				printf("%s{\"mode\":\"%s\",\"size\":%zu,", first ? "" : ",", rows[i].name, len);
				if (sm.skipped || sm.failed) {
					printf("\"%s\":", sm.failed ? "failed" : "skipped");
					cli_json_str(stdout, sm.why, strlen(sm.why));
					printf("}");
				} else
					printf("\"mrec_s\":%.3f,\"mb_s\":%.1f,\"ns_rec\":%.2f,\"drops\":%.0f,"
					       "\"ratio\":%.2f}", sm.mrps, sm.mrps * (double)len,
					       sm.mrps > 0 ? 1e3 / sm.mrps : 0, sm.drops, ratio);
				first = 0;
			} else if (c->csv) {
				if (sm.skipped || sm.failed)
					printf("\"%s\",%zu,,,,,,,,,\"%s%s\"\n", rows[i].name, len,
					       sm.failed ? "FAILED: " : "", sm.why);
				else
					printf("\"%s\",%zu,%.3f,%.1f,%.2f,%.0f,%.2f,,,,\n", rows[i].name, len,
					       sm.mrps, sm.mrps * (double)len, sm.mrps > 0 ? 1e3 / sm.mrps : 0,
					       sm.drops, ratio);
			} else if (sm.skipped || sm.failed) {
				if (sm.failed)
					printf("%-38s %6zu FAILED: %s\n", rows[i].name, len, sm.why);
				else if (s == 0)
					printf("%-38s %6s skipped: %s\n", rows[i].name, "-", sm.why);
			} else {
				char rt[16] = "";

				if (ratio > 0)
					snprintf(rt, sizeof(rt), "%.2fx", ratio);
				printf("%-38s %6zu %9.2f %9.0f %8.1f %10.0f %8s\n", rows[i].name, len,
				       sm.mrps, sm.mrps * (double)len, sm.mrps > 0 ? 1e3 / sm.mrps : 0,
				       sm.drops, rt);
			}
		}
	}
	if (!c->json && !c->csv)
		print_pairs(c);
	for (size_t i = 0; i < NROWS; i++)
		if (row_selected(c, i) && (rows[i].kind == ROW_LATENCY))
			any_lat = 1;
	if (!c->json && !c->csv && any_lat)
		printf("\n%-38s %6s %9s %9s %9s\n", "latency (commit to callback)", "size", "p50 ns",
		       "p99 ns", "p999 ns");
	for (size_t i = 0; i < NROWS; i++) {
		if (!row_selected(c, i) || !(rows[i].kind == ROW_LATENCY))
			continue;
		summarize(c, i, 0, &sm);
		if (c->json) {
			printf("%s{\"mode\":\"%s\",\"size\":%d,", first ? "" : ",", rows[i].name, LAT_LEN);
			if (sm.skipped || sm.failed) {
				printf("\"%s\":", sm.failed ? "failed" : "skipped");
				cli_json_str(stdout, sm.why, strlen(sm.why));
				printf("}");
			} else
				printf("\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f}", sm.lat[0],
				       sm.lat[1], sm.lat[2]);
			first = 0;
		} else if (c->csv) {
			if (sm.skipped || sm.failed)
				printf("\"%s\",%d,,,,,,,,,\"%s%s\"\n", rows[i].name, LAT_LEN,
				       sm.failed ? "FAILED: " : "", sm.why);
			else
				printf("\"%s\",%d,,,,,,%.0f,%.0f,%.0f,\n", rows[i].name, LAT_LEN, sm.lat[0],
				       sm.lat[1], sm.lat[2]);
		} else if (sm.skipped || sm.failed)
			printf("%-38s %6s %s: %s\n", rows[i].name, "-", sm.failed ? "FAILED" : "skipped", sm.why);
		else
			printf("%-38s %6d %9.0f %9.0f %9.0f\n", rows[i].name, LAT_LEN, sm.lat[0], sm.lat[1],
			       sm.lat[2]);
	}
	if (c->json)
		printf("],\"others_cpu_pct\":%.1f}\n", others_pct);
	else if (!c->csv)
		printf("\nother processes used %.0f%% of the CPUs during the run%s\n", others_pct,
		       others_pct > 10 ? " (the machine was not quiet: figures are low and noisy)" : "");
	if (!c->json && !c->csv)
		printf("vs kernel: our rate / the kernel BPF ring buffer's in the same run "
		       "(busy rows: kernel NO_WAKEUP busy consume; poll rows: kernel ring_buffer__poll).\n");
}

/* --svg: the throughput rows (median M records/s), one bar per record size,
 * in the table's order. 0, or -1 with errno. */
static int write_svg(const struct cfg *c)
{
	static struct svg_bar bars[NROWS * MAX_SIZES];
	static char names[MAX_SIZES][32];
	const char *groups[MAX_SIZES];
	struct summary sm;
	char title[160];
	int n = 0, err;

	for (int s = 0; s < c->nsizes; s++) {
		snprintf(names[s], sizeof(names[s]), "%zu B records", c->sizes[s]);
		groups[s] = names[s];
	}
	for (size_t i = 0; i < NROWS; i++) {
		if (!row_selected(c, i) || (rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			summarize(c, i, s, &sm);
			if (sm.skipped || sm.failed)
				continue;
			bars[n++] = (struct svg_bar){ rows[i].name, s, sm.mrps };
		}
	}
	snprintf(title, sizeof(title), "ringbuf bench: libringbuf %s, %d round(s), median; producer CPU %d, consumer CPU %d",
		 ringbuf_version(), c->rounds, bench_cpus[0], bench_cpus[1]);
	err = svg_bar_chart(c->svg, title, "million records per second", bars, n, groups, c->nsizes);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

static void one(const struct cfg *c, size_t i, int s, int round, double per_run, int *done, int total)
{
	struct run *r = calloc(1, sizeof(*r));
	struct result *res = &results[i][s][round];
	int err;

	if (!r) {
		res->skipped = 1;
		snprintf(res->why, sizeof(res->why), "out of memory");
		return;
	}
	cli_progress("round %d/%d  %3d%%  %s, %zu B", round + 1, c->rounds, 100 * *done / total,
		     rows[i].name, (rows[i].kind == ROW_LATENCY) ? (size_t)LAT_LEN : c->sizes[s]);
	r->row = &rows[i];
	r->len = c->sizes[s];
	r->nprod = row_producers(&rows[i]);
	r->dur_ns = (uint64_t)(per_run * 1e9);
	r->res = res;
	r->chk.row = rows[i].name;
	r->chk.len = r->len;
	r->chk.nprod = r->nprod;
	err = run_row(r);
	if (res->failed) {
		any_failed = 1;
		cli_progress_done();
		fprintf(stderr, "%s bench: row '%s', %zu B: FAILED: %s\n", cli_prog(), rows[i].name,
			r->len, res->why);
	} else if (err) {
		res->skipped = 1;
		if (!res->why[0])
			snprintf(res->why, sizeof(res->why), "%s", strerror(-err));
	}
	free(r);
	(*done)++;
}

static const char bench_help[] =
"Usage: ringbuf bench [--quick] [--duration SEC] [--rounds N] [--sizes LIST]\n"
"                     [--producers N] [--filter TEXT] [--json | --csv]\n"
"                     [--svg FILE]\n"
"Measure user rings against the kernel BPF ring buffer, a mutex+condvar\n"
"queue and a pipe, in the same run, interleaved; print the median of the\n"
"rounds. Producer and consumer on different CPUs (back-to-back: one CPU).\n"
"Every record is sequence-checked: a wrong answer aborts with exit 1.\n"
"\n"
"  -q, --quick          about 10 seconds: sizes 8,1024, one round\n"
"  -d, --duration SEC   whole run (default 60)\n"
"  -r, --rounds N       rounds, every row once per round (default 3)\n"
"  -s, --sizes LIST     record payload sizes, e.g. 8,64,256,1K (default\n"
"                       8,64,256,1024; multiples of 8, 8..4096)\n"
"  -p, --producers N    only our rows with N producers (1 or 2)\n"
"  -f, --filter TEXT    only rows whose name contains TEXT (A|B: A or B)\n"
"  -j, --json           JSON output (errors as JSON objects too)\n"
"  -c, --csv            CSV output\n"
"      --svg FILE       also draw the throughput table as a bar chart (SVG)\n"
"      --idle-spins N   busy consumers (all of them) execute N pause\n"
"                       instructions after a consume that found nothing\n"
"                       (default 1)\n"
"      --idle-spin-ns N our busy rows: the library's idle policy waits N ns\n"
"                       per look (default: the library's, 500)\n"
"  -h, --help           show this help\n";

int bench_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "sizes", required_argument, NULL, 's' },
		{ "producers", required_argument, NULL, 'p' },
		{ "filter", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "idle-spins", required_argument, NULL, 'I' },
		{ "idle-spin-ns", required_argument, NULL, 'N' },
		{ "svg", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cfg c = { .duration = 60, .rounds = 3, .sizes = { 8, 64, 256, 1024 }, .nsizes = 4 };
	int opt, quick = 0, dur_set = 0, rounds_set = 0, sizes_set = 0, nsel = 0, done = 0, total;
	double per_run;
	char *end;

	while ((opt = getopt_long(argc, argv, ":qd:r:s:p:f:jch", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': quick = 1; break;
		case 'd':
			c.duration = strtod(optarg, &end);
			if (*end || c.duration <= 0 || c.duration > 86400)
				return cli_usage(argv[0], "invalid duration '%s' (seconds)", optarg);
			dur_set = 1;
			break;
		case 'r':
			c.rounds = (int)strtol(optarg, &end, 10);
			if (*end || c.rounds < 1 || c.rounds > MAX_ROUNDS)
				return cli_usage(argv[0], "invalid rounds '%s' (1..%d)", optarg, MAX_ROUNDS);
			rounds_set = 1;
			break;
		case 's': {
			char *save = NULL, *tok, *list = strdup(optarg);

			c.nsizes = 0;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				uint64_t v;

				if (cli_parse_size(tok, &v) || v < 8 || v > 4096 || v % 8 || c.nsizes == MAX_SIZES) {
					free(list);
					return cli_usage(argv[0], "invalid size '%s' in --sizes (8..4096, multiple of 8, at most %d)",
							 tok, MAX_SIZES);
				}
				c.sizes[c.nsizes++] = (size_t)v;
			}
			free(list);
			if (!c.nsizes)
				return cli_usage(argv[0], "empty --sizes");
			sizes_set = 1;
			break;
		}
		case 'p':
			c.producers = (int)strtol(optarg, &end, 10);
			if (*end || c.producers < 1 || c.producers > MAX_PROD)
				return cli_usage(argv[0], "invalid producers '%s' (1 or 2)", optarg);
			break;
		case 'f': c.filter = optarg; break;
		case 'S': c.svg = optarg; break;
		case 'I':
			bench_idle_spins = (int)strtol(optarg, &end, 10);
			if (*end || bench_idle_spins < 0 || bench_idle_spins > 100000)
				return cli_usage(argv[0], "invalid idle spins '%s'", optarg);
			break;
		case 'N': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 1000000)
				return cli_usage(argv[0], "invalid idle spin '%s' (ns, 1..1000000)", optarg);
			bench_idle_spin_ns = (uint32_t)v;
			break;
		}
		case 'j': c.json = cli_json = 1; break;
		case 'c': c.csv = 1; break;
		case 'h': fputs(bench_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, opt);
		}
	}
	if (optind != argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (c.json && c.csv)
		return cli_usage(argv[0], "--json and --csv exclude each other");
	if (quick) {
		if (!dur_set)
			c.duration = 8;
		if (!rounds_set)
			c.rounds = 1;
		if (!sizes_set) {
			c.sizes[0] = 8;
			c.sizes[1] = 1024;
			c.nsizes = 2;
		}
	}
	bench_find_cpus();
	for (size_t i = 0; i < sizeof(bench_body); i++)
		bench_body[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < NROWS; i++)
		if (row_selected(&c, i))
			nsel += (rows[i].kind == ROW_LATENCY) ? 1 : c.nsizes;
	/* The ftrace reader rows (bench/ftrace.c): their own table, after the
	 * main one; not in JSON. */
	int ftrace = !c.json && !c.producers && bench_ftrace_selected(c.filter);
	int ft_rounds = rounds_set ? c.rounds : quick ? 1 : 5;
	double ft_mib = quick ? 1 : 8;

	if (!nsel && !ftrace)
		return cli_usage(argv[0], "no row matches the filter");
	if (!nsel) {
		bench_ftrace(c.filter, ft_rounds, ft_mib, c.csv, bench_cpus);
		return cli_flush(stdout) ? cli_output_failed(argv[0]) : CLI_EXIT_OK;
	}
	total = nsel * c.rounds;
	/* Latency rows run a fixed 100k records at most (2 s); the others
	 * share the rest of the time. */
	per_run = c.duration / total;
	if (per_run < 0.02)
		per_run = 0.02;

	double busy0 = bench_machine_busy_s(), self0 = bench_self_cpu_s(), wall0 = (double)bench_now_ns() / 1e9;

	/* Interleave: in each round, for each size, ours and anchors alternate. */
	for (int round = 0; round < c.rounds; round++) {
		for (int s = 0; s < c.nsizes; s++) {
			size_t ours[NROWS], anch[NROWS], no = 0, na = 0;

			for (size_t i = 0; i < NROWS; i++) {
				if (!row_selected(&c, i) || (rows[i].kind == ROW_LATENCY))
					continue;
				if (rows[i].anchor)
					anch[na++] = i;
				else
					ours[no++] = i;
			}
			for (size_t k = 0; k < no || k < na; k++) {
				if (k < no)
					one(&c, ours[k], s, round, per_run, &done, total);
				if (k < na)
					one(&c, anch[k], s, round, per_run, &done, total);
			}
		}
		for (size_t i = 0; i < NROWS; i++)
			if (row_selected(&c, i) && (rows[i].kind == ROW_LATENCY))
				one(&c, i, 0, round, per_run, &done, total);
	}
	cli_progress_done();
	if (busy0 >= 0) {
		double wall = (double)bench_now_ns() / 1e9 - wall0;
		double others = (bench_machine_busy_s() - busy0) - (bench_self_cpu_s() - self0);

		others_pct = 100.0 * (others > 0 ? others : 0) / (wall * (double)sysconf(_SC_NPROCESSORS_ONLN));
	}
	print_report(&c);
	if (c.svg && write_svg(&c)) {
		cli_errf(argv[0], NULL, "%s: %s", c.svg, cli_strerror(errno));
		return CLI_EXIT_FAIL;
	}
	/* The scaling model (bench/scaling.c) with the rows it explains. */
	for (size_t i = 0; i < NROWS && !c.json && !c.csv; i++)
		if (row_selected(&c, i) && !strncmp(rows[i].name, "sharded", 7)) {
			bench_scaling_model(stdout);
			break;
		}
	if (ftrace)
		bench_ftrace(c.filter, ft_rounds, ft_mib, c.csv, bench_cpus);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return any_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
