// SPDX-License-Identifier: MIT
/*
 * ringbuf bench: the report. Each row's median over the rounds; "vs
 * kernel", our rate / its anchor's; the paired ratios (the median of
 * per-round ratios: the two rows of a pair ran in the same round, so the
 * machine's load is as alike as it gets); the consumer's stalls; the
 * latency table; text, --json or --csv, and --svg.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"
#include "harness.h"
#include "suite.h"
#include "svg.h"

#define RB_STR_(x) #x
#define RB_STR(x) RB_STR_(x)

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
		struct result *x = &bench_results[i][s][k];

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

/* A row that did not run, in the JSON and CSV reports: "skipped" or
 * "failed" with the reason. Returns whether it printed (the row did not run). */
static int json_not_run(const struct summary *sm)
{
	if (!sm->skipped && !sm->failed)
		return 0;
	printf("\"%s\":", sm->failed ? "failed" : "skipped");
	cli_json_str(stdout, sm->why, strlen(sm->why));
	printf("}");
	return 1;
}

static int csv_not_run(const char *name, size_t len, const struct summary *sm)
{
	if (!sm->skipped && !sm->failed)
		return 0;
	printf("\"%s\",%zu,,,,,,,,,\"%s%s\"\n", name, len, sm->failed ? "FAILED: " : "", sm->why);
	return 1;
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
		struct result *x = &bench_results[a][s][k], *y = &bench_results[b][s][k];

		if (x->failed || x->skipped || y->failed || y->skipped || y->mrps <= 0)
			return 0;
		v[n++] = x->mrps / y->mrps;
	}
	return n ? median(v, n) : 0;
}

static void print_pairs(const struct cfg *c)
{
	int any = 0;

	for (size_t p = 0; p < bench_npairs; p++) {
		int a = row_index(bench_pairs[p].a), b = row_index(bench_pairs[p].b);

		if (!paired_ratio(c, a, b, 0))
			continue;
		if (!any++)
			printf("\n%-46s %s\n", "paired ratios (median of per-round ratios)",
			       "size: ratio");
		printf("%-46s", bench_pairs[p].what);
		for (int s = 0; s < c->nsizes; s++)
			printf("  %zu: %.2fx", c->sizes[s], paired_ratio(c, a, b, s));
		printf("\n");
	}
	any = 0;
	for (size_t i = 0; i < bench_nrows; i++) {
		struct summary sm;

		if (!row_selected(c, i) || bench_rows[i].anchor || (bench_rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			summarize(c, i, s, &sm);
			if (sm.skipped || sm.failed || sm.stalls <= 0)
				continue;
			if (!any++)
				printf("\n%-38s %6s %9s %9s\n", "consumer stalls at uncommitted records",
				       "size", "> " RB_STR(RINGBUF_STALL_US) "us/s", "% of time");
			printf("%-38s %6zu %9.0f %9.1f\n", bench_rows[i].name, c->sizes[s], sm.stalls,
			       sm.stall_pct);
		}
	}
}

void print_report(const struct cfg *c)
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
	for (size_t i = 0; i < bench_nrows; i++) {
		if (!row_selected(c, i) || (bench_rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			double ratio = 0;
			int ri = bench_rows[i].ref ? row_index(bench_rows[i].ref) : -1;
			size_t len = c->sizes[s];

			summarize(c, i, s, &sm);
			if (ri >= 0 && row_selected(c, (size_t)ri)) {
				summarize(c, (size_t)ri, s, &ref);
				if (!ref.skipped && !ref.failed && ref.mrps > 0 && !sm.skipped && !sm.failed)
					ratio = sm.mrps / ref.mrps;
			}
			if (c->json) {
				printf("%s{\"mode\":\"%s\",\"size\":%zu,", first ? "" : ",", bench_rows[i].name, len);
				if (!json_not_run(&sm))
					printf("\"mrec_s\":%.3f,\"mb_s\":%.1f,\"ns_rec\":%.2f,\"drops\":%.0f,"
					       "\"ratio\":%.2f}", sm.mrps, sm.mrps * (double)len,
					       sm.mrps > 0 ? 1e3 / sm.mrps : 0, sm.drops, ratio);
				first = 0;
			} else if (c->csv) {
				if (!csv_not_run(bench_rows[i].name, len, &sm))
					printf("\"%s\",%zu,%.3f,%.1f,%.2f,%.0f,%.2f,,,,\n", bench_rows[i].name, len,
					       sm.mrps, sm.mrps * (double)len, sm.mrps > 0 ? 1e3 / sm.mrps : 0,
					       sm.drops, ratio);
			} else if (sm.skipped || sm.failed) {
				if (sm.failed)
					printf("%-38s %6zu FAILED: %s\n", bench_rows[i].name, len, sm.why);
				else if (s == 0)
					printf("%-38s %6s skipped: %s\n", bench_rows[i].name, "-", sm.why);
			} else {
				char rt[16] = "";

				if (ratio > 0)
					snprintf(rt, sizeof(rt), "%.2fx", ratio);
				printf("%-38s %6zu %9.2f %9.0f %8.1f %10.0f %8s\n", bench_rows[i].name, len,
				       sm.mrps, sm.mrps * (double)len, sm.mrps > 0 ? 1e3 / sm.mrps : 0,
				       sm.drops, rt);
			}
		}
	}
	if (!c->json && !c->csv)
		print_pairs(c);
	for (size_t i = 0; i < bench_nrows; i++)
		if (row_selected(c, i) && (bench_rows[i].kind == ROW_LATENCY))
			any_lat = 1;
	if (!c->json && !c->csv && any_lat)
		printf("\n%-38s %6s %9s %9s %9s\n", "latency (commit to callback)", "size", "p50 ns",
		       "p99 ns", "p999 ns");
	for (size_t i = 0; i < bench_nrows; i++) {
		if (!row_selected(c, i) || !(bench_rows[i].kind == ROW_LATENCY))
			continue;
		summarize(c, i, 0, &sm);
		if (c->json) {
			printf("%s{\"mode\":\"%s\",\"size\":%d,", first ? "" : ",", bench_rows[i].name, LAT_LEN);
			if (!json_not_run(&sm))
				printf("\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f}", sm.lat[0],
				       sm.lat[1], sm.lat[2]);
			first = 0;
		} else if (c->csv) {
			if (!csv_not_run(bench_rows[i].name, LAT_LEN, &sm))
				printf("\"%s\",%d,,,,,,%.0f,%.0f,%.0f,\n", bench_rows[i].name, LAT_LEN, sm.lat[0],
				       sm.lat[1], sm.lat[2]);
		} else if (sm.skipped || sm.failed)
			printf("%-38s %6s %s: %s\n", bench_rows[i].name, "-", sm.failed ? "FAILED" : "skipped", sm.why);
		else
			printf("%-38s %6d %9.0f %9.0f %9.0f\n", bench_rows[i].name, LAT_LEN, sm.lat[0], sm.lat[1],
			       sm.lat[2]);
	}
	if (c->json)
		printf("],\"others_cpu_pct\":%.1f}\n", bench_others_pct);
	else if (!c->csv)
		printf("\nother processes used %.0f%% of the CPUs during the run%s\n", bench_others_pct,
		       bench_others_pct > 10 ? " (the machine was not quiet: figures are low and noisy)" : "");
	if (!c->json && !c->csv)
		printf("vs kernel: our rate / the kernel BPF ring buffer's in the same run "
		       "(busy rows: kernel NO_WAKEUP busy consume; poll rows: kernel ring_buffer__poll).\n");
}

/* --svg: the throughput rows (median M records/s), one bar per record size,
 * in the table's order. 0, or -1 with errno. */
int write_svg(const struct cfg *c)
{
	static struct svg_bar bars[MAX_ROWS * MAX_SIZES];
	static char names[MAX_SIZES][32];
	const char *groups[MAX_SIZES];
	struct summary sm;
	char title[160];
	int n = 0, err;

	for (int s = 0; s < c->nsizes; s++) {
		snprintf(names[s], sizeof(names[s]), "%zu B records", c->sizes[s]);
		groups[s] = names[s];
	}
	for (size_t i = 0; i < bench_nrows; i++) {
		if (!row_selected(c, i) || (bench_rows[i].kind == ROW_LATENCY))
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			summarize(c, i, s, &sm);
			if (sm.skipped || sm.failed)
				continue;
			bars[n++] = (struct svg_bar){ bench_rows[i].name, s, sm.mrps };
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
