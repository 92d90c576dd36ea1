/* SPDX-License-Identifier: MIT */
/*
 * A horizontal bar chart as a standalone SVG file, drawn by the tool itself
 * (no gnuplot): `ringbuf bench --svg FILE` charts its result table with it.
 *
 *	struct svg_bar bars[] = { { "user busy", 0, 41.2 }, ... };
 *	const char *groups[] = { "8 B", "1024 B" };
 *	svg_bar_chart("bench.svg", "ringbuf bench", "M records/s", bars, n, groups, 2);
 *
 * Bars with the same label are drawn together, one colour per group (the
 * record size), with the value written at the end of each bar.
 */
#ifndef RINGBUF_BENCH_SVG_H
#define RINGBUF_BENCH_SVG_H

struct svg_bar {
	const char *label;   /* the row */
	int group;           /* index into the group names: the colour */
	double value;        /* >= 0 */
};

/* Write the chart to path. 0, or -errno. */
int svg_bar_chart(const char *path, const char *title, const char *unit,
		  const struct svg_bar *bars, int n, const char *const *groups, int ngroups);

#endif
