// SPDX-License-Identifier: MIT
/*
 * How fast can a consumer drain a kernel ftrace ring buffer: in place
 * through the mmap'ed sub-buffers (ringbuf_consumer_add_ftrace, one
 * GET_READER per sub-buffer) or with read(2) on trace_pipe_raw (the kernel
 * copies each sub-buffer out, then we walk the copy)? Same workload, same
 * run, rounds interleaved:
 *
 *   drain: a process pinned to CPU 0 writes N markers through the
 *   instance's trace_marker (the buffer holds them all: nothing is lost),
 *   then the consumer (pinned to CPU 1) drains CPU 0's buffer, timed:
 *   events per second of wall time.
 *   live: the consumer reads while the producer writes, sleeping in
 *   epoll/poll between batches: events per second of consumer CPU time
 *   (the producer's rate bounds the wall-clock rate of both).
 *
 * Usage: ftrace_mmap_vs_read [markers per round (100000)] [rounds (5)] [marker bytes (32)]
 * Needs root and Linux 6.10+. Creates and removes instances/rbbench-<pid>.
 * Both paths are the library's (the method option of
 * ringbuf_consumer_add_ftrace): the same walker parses every event. The
 * benchmark's ftrace rows (ringbuf bench --filter ftrace) compare them with
 * minimal hand-written readers and libtracefs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

static char tracefs[512], inst[64], dir[700];
static int marker_bytes = 32;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int inst_write(const char *file, const char *val)
{
	char p[800];

	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void cleanup(void)
{
	if (dir[0] && rmdir(dir) != 0)
		fprintf(stderr, "could not remove %s: %s\n", dir, strerror(errno));
	dir[0] = 0;
}

static void on_signal(int sig)
{
	(void)sig;
	cleanup();
	_exit(1);
}

static pid_t start_producer(long n);

/* Write n markers from CPU 0 (in a child pinned there) and wait. */
static int produce(long n)
{
	pid_t pid = start_producer(n);
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

static pid_t start_producer(long n)
{
	char p[800], buf[4096];
	pid_t pid;
	int fd;

	snprintf(p, sizeof(p), "%s/trace_marker", dir);
	pid = fork();
	if (pid == 0) {
		pin(0);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		for (long i = 0; i < n; i++) {
			int len = snprintf(buf, sizeof(buf), "bench %ld ", i);

			while (len < marker_bytes)
				buf[len++] = 'x';

			if (write(fd, buf, (size_t)len) != len)
				_exit(1);
		}
		_exit(0);
	}
	return pid;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int count_cb(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	(*(long *)ctx)++;
	(void)ev;
	return 0;
}

/* Drain (live = 0) or follow a running producer (live = 1) with the given
 * method (RINGBUF_FTRACE_MMAP or _READ). *ns: wall time (drain) or consumer
 * CPU time (live). */
static long read_with(int method, long n, int live, uint64_t *ns)
{
	RINGBUF_FTRACE_OPTS(o, .tracefs = tracefs, .instance = inst, .method = method);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	uint64_t t0, deadline = now_ns() + 30000000000ull;
	long got = 0;
	int cpu = 0, r, status;
	pid_t pid = -1;

	o.cpus = &cpu;
	o.ncpus = 1;
	if (!c)
		return -1;
	r = ringbuf_consumer_add_ftrace(c, &o, count_cb, &got);
	if (r < 0) {
		fprintf(stderr, "add_ftrace: %s\n", strerror(-r));
		ringbuf_consumer_free(c);
		return -1;
	}
	if (live) {
		t0 = cpu_ns();
		pid = start_producer(n);
		while (got < n && now_ns() < deadline && (r = ringbuf_consumer_poll(c, 100)) >= 0)
			;
		*ns = cpu_ns() - t0;
		waitpid(pid, &status, 0);
	} else {
		t0 = now_ns();
		while ((r = ringbuf_consumer_consume(c)) > 0)
			;
		*ns = now_ns() - t0;
	}
	if (getenv("BENCH_VERBOSE")) {
		RINGBUF_FTRACE_STATS(st);

		ringbuf_consumer_ftrace_stats(c, -1, &st);
		fprintf(stderr, "%s %s: %llu sub-buffers, %llu GET_READER, %llu read(2)\n",
			method == RINGBUF_FTRACE_MMAP ? "mmap" : "read", live ? "live" : "drain",
			(unsigned long long)st.subbufs, (unsigned long long)st.get_reader_calls,
			(unsigned long long)st.read_calls);
	}
	ringbuf_consumer_free(c);
	return r < 0 ? -1 : got;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;

	marker_bytes = argc > 3 ? atoi(argv[3]) : 32;
	double mm[64], rd[64], ratio[64];
	size_t subbuf = 4096;
	char kb[32];
	int fd;

	if (n <= 0 || rounds <= 0 || rounds > 64 || marker_bytes < 16 || marker_bytes > 3000) {
		fprintf(stderr, "usage: %s [markers per round] [rounds, <= 64] [marker bytes, 16..3000]\n",
			argv[0]);
		return 2;
	}
	snprintf(tracefs, sizeof(tracefs), "/sys/kernel/tracing");
	if (access("/sys/kernel/tracing/instances", F_OK) != 0) {
		fprintf(stderr, "no tracefs at /sys/kernel/tracing\n");
		return 77;
	}
	snprintf(inst, sizeof(inst), "rbbench-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/instances/%s", tracefs, inst);
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Room for a round with margin: payload + ~40 bytes per marker event. */
	snprintf(kb, sizeof(kb), "%ld", n * (marker_bytes + 48) / 1024 * 2 + 1024);
	if (inst_write("buffer_size_kb", kb) < 0)
		return 1;
	{
		char p[800], v[32] = "";
		ssize_t l;

		snprintf(p, sizeof(p), "%s/buffer_subbuf_size_kb", dir);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (l = read(fd, v, sizeof(v) - 1)) > 0)
			subbuf = (size_t)atol(v) * 1024;
		if (fd >= 0)
			close(fd);
	}
	pin(1);
	printf("%ld markers of %d bytes per round, %d rounds per path and mode, interleaved; "
	       "sub-buffer %zu bytes\n", n, marker_bytes, rounds, subbuf);
	for (int live = 0; live < 2; live++) {
		printf("%s: million events per second of %s\n", live ? "live" : "drain",
		       live ? "consumer CPU time" : "wall time");
		printf("%-6s %14s %14s %8s\n", "round", "mmap", "read(2)", "ratio");
		for (int r = 0; r < rounds; r++) {
			uint64_t ns_m = 0, ns_r = 0;
			long gm = -1, gr = -1;

			/* Alternate which path goes first so drift favours neither. */
			for (int k = 0; k < 2; k++) {
				int use_mmap = (k == 0) == (r % 2 == 0);

				if (!live && produce(n) < 0) {
					fprintf(stderr, "producer failed\n");
					return 1;
				}
				if (use_mmap)
					gm = read_with(RINGBUF_FTRACE_MMAP, n, live, &ns_m);
				else
					gr = read_with(RINGBUF_FTRACE_READ, n, live, &ns_r);
			}
			if (gm != n || gr != n) {
				fprintf(stderr, "round %d: mmap read %ld, read(2) read %ld of %ld\n",
					r, gm, gr, n);
				return 1;
			}
			mm[r] = (double)n / ((double)ns_m / 1e3);
			rd[r] = (double)n / ((double)ns_r / 1e3);
			ratio[r] = mm[r] / rd[r];
			printf("%-6d %14.2f %14.2f %8.2f\n", r, mm[r], rd[r], ratio[r]);
		}
		qsort(mm, (size_t)rounds, sizeof(double), cmp_d);
		qsort(rd, (size_t)rounds, sizeof(double), cmp_d);
		qsort(ratio, (size_t)rounds, sizeof(double), cmp_d);
		printf("median %14.2f %14.2f %8.2f\n", mm[rounds / 2], rd[rounds / 2], ratio[rounds / 2]);
	}
	return 0;
}
