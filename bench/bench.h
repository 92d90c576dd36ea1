/* SPDX-License-Identifier: MIT */
/* `ringbuf bench`: the benchmark suite (bench/bench.c). */
#ifndef RINGBUF_BENCH_H
#define RINGBUF_BENCH_H

#include <stdint.h>
#include <stdio.h>

/* argv[0] == "bench". Returns an exit code (cli.h). */
int bench_main(int argc, char **argv);

/* Monotonic time in ns; pin the calling thread to cpu (-1: leave it), 0
 * or -errno (bench/harness.c). */
uint64_t bench_now_ns(void);
int bench_pin(int cpu);

/* Machine-wide busy CPU seconds (/proc/stat; -1 when unknown) and our own:
 * what other processes took during a run. */
double bench_machine_busy_s(void);
double bench_self_cpu_s(void);

/* bench/ftrace.c: the ftrace reader rows. Whether filter (NULL: all) picks
 * any of them; run them (rounds, MiB per drain, CSV rows or a text table,
 * cpus[0] writes, cpus[1] reads; -1: CPU 0 / unpinned). */
int bench_ftrace_selected(const char *filter);
int bench_ftrace(const char *filter, int rounds, double mib, int csv, const int cpus[2]);

/* bench/scaling.c: the simulation of P producers on one shared counter
 * against one counter per CPU; prints its table. */
int bench_scaling_model(FILE *out);

#endif
