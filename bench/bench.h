/* SPDX-License-Identifier: MIT */
/* `ringbuf bench`: the benchmark suite (bench/bench.c). */
#ifndef RINGBUF_BENCH_H
#define RINGBUF_BENCH_H

/* argv[0] == "bench". Returns an exit code (cli.h). */
int bench_main(int argc, char **argv);

#endif
