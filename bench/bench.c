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
 *
 * The files: bench.c the options and the rounds; rows.c the rows, as data;
 * harness.c one measurement (harness.h: the row and transport interfaces);
 * one file per transport (user_ring.c, sharded.c, kernel_ring.c with
 * kbpf.c its BPF program, perf_buffer.c, mutex_queue.c, pipe.c);
 * report.c the table; svg.c the chart; scaling.c the sharding model;
 * ftrace.c and ftrace_readers.c the ftrace reader rows, a table of their own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "harness.h"
#include "suite.h"

struct result bench_results[MAX_ROWS][MAX_SIZES][MAX_ROUNDS];
double bench_others_pct = -1;
static int any_failed;

static void one(const struct cfg *c, size_t i, int s, int round, double per_run, int *done, int total)
{
	struct run *r = calloc(1, sizeof(*r));
	struct result *res = &bench_results[i][s][round];
	int err;

	if (!r) {
		res->skipped = 1;
		snprintf(res->why, sizeof(res->why), "out of memory");
		return;
	}
	cli_progress("round %d/%d  %3d%%  %s, %zu B", round + 1, c->rounds, 100 * *done / total,
		     bench_rows[i].name, (bench_rows[i].kind == ROW_LATENCY) ? (size_t)LAT_LEN : c->sizes[s]);
	r->row = &bench_rows[i];
	r->len = c->sizes[s];
	r->nprod = row_producers(&bench_rows[i]);
	r->dur_ns = (uint64_t)(per_run * 1e9);
	r->res = res;
	r->chk.row = bench_rows[i].name;
	r->chk.len = r->len;
	r->chk.nprod = r->nprod;
	err = run_row(r);
	if (res->failed) {
		any_failed = 1;
		cli_progress_done();
		fprintf(stderr, "%s bench: row '%s', %zu B: FAILED: %s\n", cli_prog(), bench_rows[i].name,
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
	for (size_t i = 0; i < bench_nrows; i++)
		if (row_selected(&c, i))
			nsel += (bench_rows[i].kind == ROW_LATENCY) ? 1 : c.nsizes;
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
			size_t ours[bench_nrows], anch[bench_nrows], no = 0, na = 0;

			for (size_t i = 0; i < bench_nrows; i++) {
				if (!row_selected(&c, i) || (bench_rows[i].kind == ROW_LATENCY))
					continue;
				if (bench_rows[i].anchor)
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
		for (size_t i = 0; i < bench_nrows; i++)
			if (row_selected(&c, i) && (bench_rows[i].kind == ROW_LATENCY))
				one(&c, i, 0, round, per_run, &done, total);
	}
	cli_progress_done();
	if (busy0 >= 0) {
		double wall = (double)bench_now_ns() / 1e9 - wall0;
		double others = (bench_machine_busy_s() - busy0) - (bench_self_cpu_s() - self0);

		bench_others_pct = 100.0 * (others > 0 ? others : 0) / (wall * (double)sysconf(_SC_NPROCESSORS_ONLN));
	}
	print_report(&c);
	if (c.svg && write_svg(&c)) {
		cli_errf(argv[0], NULL, "%s: %s", c.svg, cli_strerror(errno));
		return CLI_EXIT_FAIL;
	}
	/* The scaling model (bench/scaling.c) with the rows it explains. */
	for (size_t i = 0; i < bench_nrows && !c.json && !c.csv; i++)
		if (row_selected(&c, i) && !strncmp(bench_rows[i].name, "sharded", 7)) {
			bench_scaling_model(stdout);
			break;
		}
	if (ftrace)
		bench_ftrace(c.filter, ft_rounds, ft_mib, c.csv, bench_cpus);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return any_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
