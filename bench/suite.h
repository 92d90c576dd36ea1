/* SPDX-License-Identifier: MIT */
/* ringbuf bench: the suite (bench.c runs it): the rows (rows.c), the
 * results of a run and their report (report.c). */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include <stddef.h>

#include "harness.h"

#define MAX_ROWS    48
#define MAX_SIZES   8
#define MAX_ROUNDS  15

extern const struct row bench_rows[];
extern const size_t bench_nrows;

/* The paired ratios printed after the table: row a's rate / row b's. */
struct row_pair {
	const char *what, *a, *b;
};
extern const struct row_pair bench_pairs[];
extern const size_t bench_npairs;

/* The row called name, or -1. */
int row_index(const char *name);

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

/* Whether the options pick row i. */
int row_selected(const struct cfg *c, size_t i);

/* Every row's result, per record size, per round (bench.c fills them). */
extern struct result bench_results[MAX_ROWS][MAX_SIZES][MAX_ROUNDS];
extern double bench_others_pct;   /* CPU time other processes took, % of all CPUs */

/* The table (text, --json or --csv) and, for the text, the paired ratios
 * and the stalls. */
void print_report(const struct cfg *c);
/* --svg: the throughput rows as a bar chart. 0, or -1 with errno. */
int write_svg(const struct cfg *c);

#endif
