// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, the ftrace rows: how fast does a reader drain a kernel
 * ftrace CPU buffer, ours (each method of ringbuf_consumer_add_ftrace)
 * against what a user would write or pick instead, same run, interleaved:
 *
 *   minimal mmap      the mapping and GET_READER, a bare walk of each
 *                     reader sub-buffer (no bounds checks, no statistics)
 *   minimal read(2)   read(2) of whole sub-buffers, the same bare walk
 *   libtracefs read   Debian's libtracefs, tracefs_cpu_read, events walked
 *                     with libtraceevent's kbuffer (as tracefs_iterate_raw_events
 *                     does), when the headers were there at build time
 *   libtracefs buffered  tracefs_cpu_buffered_read (splice into a pipe)
 *
 * One measurement: the instance's buffers are cleared, the reader is set up
 * (opened, mapped: not timed) and drains a warm-up burst of N/16 markers
 * of the same size (not timed: every reader is measured in its steady
 * state, ours in AUTO after its choice), a child pinned to the producer CPU
 * writes N markers through trace_marker (the buffer holds them all: nothing
 * is lost) and exits, then the reader, pinned to the consumer CPU, drains the
 * producer CPU's buffer: events per second of the reader thread's CPU time
 * (user + system; the ratios use it: on a shared machine wall time of a
 * drain of a few milliseconds mostly measures preemption), and of wall
 * time. Every reader hands
 * each event to the same check (the print event's type, the 8-byte
 * sequence number at the start of the marker text, timestamps that never go
 * back, the size): a missing, repeated or torn event aborts the run with
 * "SEQUENCE ERROR" — a fast wrong answer is never reported.
 *
 * The size of a row is the marker's bytes (what is written to
 * trace_marker); the event in the buffer is that + 16 bytes of print
 * header + 2 (newline, NUL), rounded up to 4, + a 4- or 8-byte event
 * header. N is chosen per size so that each drain moves about the same
 * bytes. Rounds: every row once per size per round, the order rotated each
 * round; medians shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>
#ifdef HAVE_LIBTRACEFS
#include <tracefs.h>
#include <kbuffer.h>
#endif

#include "bench.h"
#include "cli.h"
#include "ftrace_rows.h"
/* The tool's tracefs helpers: by path, since a bare "tracefs.h" finds
 * libtracefs's header first. */
#include "../tools/tracefs.h"

#define FB_MAX_ROUNDS 15
#define FB_NSIZES     3
static const int fb_sizes[FB_NSIZES] = { 32, 200, 1000 };

/* The anchors the ratios divide by, by index. */
enum { R_MIN_MMAP = 4, R_MIN_READ, R_TFS_READ, R_TFS_BUF };

static const struct frow frows[] = {
	{ .name = "ftrace ringbuf auto", .setup = ours_setup, .drain = ours_drain,
	  .teardown = ours_teardown, .arg = RINGBUF_FTRACE_AUTO },
	{ .name = "ftrace ringbuf mmap", .setup = ours_setup, .drain = ours_drain,
	  .teardown = ours_teardown, .arg = RINGBUF_FTRACE_MMAP },
	{ .name = "ftrace ringbuf read(2)", .setup = ours_setup, .drain = ours_drain,
	  .teardown = ours_teardown, .arg = RINGBUF_FTRACE_READ },
	/* "ftrace ringbuf auto" again: how far two identical readers' ratios
	 * lie apart in one run. */
	{ .name = "ftrace ringbuf auto [A/A]", .setup = ours_setup, .drain = ours_drain,
	  .teardown = ours_teardown, .arg = RINGBUF_FTRACE_AUTO },
	[R_MIN_MMAP] = { .name = "ftrace minimal mmap", .anchor = 1, .setup = min_mmap_setup,
			 .drain = min_mmap_drain, .teardown = min_teardown },
	[R_MIN_READ] = { .name = "ftrace minimal read(2)", .anchor = 1, .setup = min_read_setup,
			 .drain = min_read_drain, .teardown = min_teardown },
	[R_TFS_READ] = { .name = "ftrace libtracefs read", .anchor = 1, .setup = tfs_setup,
			 .drain = tfs_drain, .teardown = tfs_teardown },
	[R_TFS_BUF] = { .name = "ftrace libtracefs buffered", .anchor = 1, .setup = tfs_setup,
			.drain = tfs_drain, .teardown = tfs_teardown, .arg = 1 },
};
#define FB_NROWS (sizeof(frows) / sizeof(frows[0]))

int bench_ftrace_selected(const char *filter)
{
	if (!filter)
		return 1;
	for (size_t i = 0; i < FB_NROWS; i++)
		if (strstr(frows[i].name, filter))
			return 1;
	return 0;
}

/* Markers per drain: about the same bytes at every size. */
static long markers_for(int bytes, double mib)
{
	long n = (long)(mib * 1048576.0 / (bytes + 24));

	return n < 1000 ? 1000 : n;
}

/* Write val to the instance's control file (0 or -errno). */
static int instance_write(const struct fb *f, const char *file, const char *val)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/%s", f->t.dir, file);
	return tracefs_write(p, val);
}

/* The id of ftrace:print, the markers' event (0: unknown). */
static uint16_t print_id(const struct fb *f)
{
	static struct trace_format fmt;

	return trace_format_load(f->t.tracefs, "ftrace", "print", &fmt) ? 0 : (uint16_t)fmt.id;
}

/* A child pinned to the producer CPU writes n markers: 8-byte sequence
 * number, then filler up to bytes. */
static int produce(struct fb *f, uint64_t first, long n, int bytes)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char buf[4096];
		int fd;

		if (bench_pin(f->cpu) != 0)
			_exit(1);
		snprintf(buf, sizeof(buf), "%s/trace_marker", f->t.dir);
		fd = open(buf, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		memset(buf, 'x', sizeof(buf));
		for (uint64_t i = first; i < first + (uint64_t)n; i++) {
			memcpy(buf, &i, sizeof(i));
			if (write(fd, buf, (size_t)bytes) != bytes)
				_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

struct fres {
	int skipped;
	char why[120];
	double meps[FB_MAX_ROUNDS];   /* million events per second of CPU time */
	double wall[FB_MAX_ROUNDS];   /* ... of wall time */
	double sys_ev[FB_MAX_ROUNDS]; /* minimal readers: ns in the kernel per event */
	double sys_call[FB_MAX_ROUNDS];/* and per call */
	int n;
};

static struct fres fres[FB_NROWS][FB_NSIZES];

/* The reader's own CPU time, user and system: the drain is one synchronous
 * thread, so this is its work, whatever else the machine runs. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fb_measure(struct fb *f, size_t row, int s, long n)
{
	const struct frow *fr = &frows[row];
	struct fres *res = &fres[row][s];
	uint64_t t0, t1, c0, c1;
	long got, warm = n / 16 > 2000 ? n / 16 : 2000;
	int r;

	if (res->skipped)
		return;
	/* Empty buffers: opening "trace" for writing with O_TRUNC clears them. */
	if (instance_write(f, "trace", "") < 0) {
		res->skipped = 1;
		snprintf(res->why, sizeof(res->why), "cannot clear the instance");
		return;
	}
	memset(&f->k, 0, sizeof(f->k));
	f->k.print_id = print_id(f);
	f->k.row = fr->name;
	f->k.bytes = fb_sizes[s];
	f->k.min_size = 16 + (uint32_t)fb_sizes[s];
	f->arg = fr->arg;
	f->fd = -1;
	f->sys_ns = f->sys_calls = 0;
	r = fr->setup(f, fr->arg);
	if (r < 0) {
		fr->teardown(f);
		res->skipped = 1;
		snprintf(res->why, sizeof(res->why), "%s", r == -ENOSYS ?
			 "built without libtracefs-dev" : strerror(-r));
		return;
	}
	/* Warm-up, not timed: a burst of the same size drained first, so every
	 * reader is measured in its steady state (ours in AUTO has made its
	 * choice; its one-time switch, an munmap or mmap of the whole buffer,
	 * is setup like the mmap of the mapping readers). */
	if (produce(f, 0, warm, fb_sizes[s]) < 0 || fr->drain(f) != warm ||
	    produce(f, (uint64_t)warm, n, fb_sizes[s]) < 0) {
		fr->teardown(f);
		res->skipped = 1;
		snprintf(res->why, sizeof(res->why), "cannot write or read the warm-up markers");
		return;
	}
	c0 = thread_cpu_ns();
	t0 = bench_now_ns();
	got = fr->drain(f);
	t1 = bench_now_ns();
	c1 = thread_cpu_ns();
	fr->teardown(f);
	if (got != n || f->k.count != n + warm) {
		struct fchk k = f->k;

		fb_error(&k, got < 0 ? "reader failed" : "event count", (uint64_t)(got < 0 ? -got : got),
			 (uint64_t)n);
	}
	res->sys_ev[res->n] = (double)f->sys_ns / (double)n;
	res->sys_call[res->n] = f->sys_calls ? (double)f->sys_ns / (double)f->sys_calls : 0;
	res->wall[res->n] = (double)n / ((double)(t1 - t0) / 1e3);
	res->meps[res->n++] = (double)n / ((double)(c1 - c0 ? c1 - c0 : 1) / 1e3);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double fmedian_of(const struct fres *r, const double *x)
{
	double v[FB_MAX_ROUNDS];

	if (r->skipped || !r->n)
		return 0;
	memcpy(v, x, sizeof(double) * (size_t)r->n);
	qsort(v, (size_t)r->n, sizeof(double), cmp_d);
	return r->n % 2 ? v[r->n / 2] : (v[r->n / 2 - 1] + v[r->n / 2]) / 2;
}

static double fmedian(const struct fres *r)
{
	return fmedian_of(r, r->meps);
}

static const char *find_tracefs(void)
{
	static const char *const known[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[300];

	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/instances", known[i]);
		if (access(p, F_OK) == 0)
			return known[i];
	}
	return NULL;
}

int bench_ftrace(const char *filter, int rounds, double mib, int csv, const int cpus[2])
{
	struct fb f;
	const char *tfs = find_tracefs();
	double busy0, self0, wall0, others_pct = -1;
	int total = 0, done = 0;
	char kb[32];

	memset(&f, 0, sizeof(f));
	memset(fres, 0, sizeof(fres));
	if (rounds > FB_MAX_ROUNDS)
		rounds = FB_MAX_ROUNDS;
	f.cpu = cpus[0] >= 0 ? cpus[0] : 0;
	if (geteuid() != 0 || !tfs) {
		if (csv)
			printf("\"ftrace\",,,,,,,,,,\"skipped: %s\"\n", tfs ? "needs root" : "no tracefs");
		else
			printf("\nftrace readers: skipped (%s)\n", tfs ? "needs root" : "no tracefs");
		return CLI_EXIT_OK;
	}
	snprintf(f.t.tracefs, sizeof(f.t.tracefs), "%s", tfs);
	snprintf(f.t.name, sizeof(f.t.name), "rbbench-%d", (int)getpid());
	snprintf(f.t.dir, sizeof(f.t.dir), "%s/instances/%s", tfs, f.t.name);
	if (mkdir(f.t.dir, 0700) != 0) {
		printf("\nftrace readers: skipped (cannot create %s: %s)\n", f.t.dir, strerror(errno));
		return CLI_EXIT_OK;
	}
	/* Room for the largest drain, twice over, per CPU. */
	snprintf(kb, sizeof(kb), "%ld", (long)(mib * 1024 * 2.5) + 1024);
	instance_write(&f, "buffer_size_kb", kb);
	{
		char p[800], v[32] = "";
		ssize_t l;
		int fd;

		f.subbuf = (uint32_t)sysconf(_SC_PAGESIZE);
		snprintf(p, sizeof(p), "%s/buffer_subbuf_size_kb", f.t.dir);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (l = read(fd, v, sizeof(v) - 1)) > 0 && atol(v) > 0)
			f.subbuf = (uint32_t)atol(v) * 1024;
		if (fd >= 0)
			close(fd);
	}
	if (cpus[1] >= 0)
		bench_pin(cpus[1]);
	for (size_t i = 0; i < FB_NROWS; i++)
		if (!filter || strstr(frows[i].name, filter))
			total++;
	total *= rounds * FB_NSIZES;
	busy0 = bench_machine_busy_s();
	self0 = bench_self_cpu_s();
	wall0 = (double)bench_now_ns() / 1e9;
	for (int round = 0; round < rounds; round++) {
		for (int s = 0; s < FB_NSIZES; s++) {
			long n = markers_for(fb_sizes[s], mib);

			for (size_t j = 0; j < FB_NROWS; j++) {
				size_t i = (j + (size_t)round) % FB_NROWS;   /* rotate the order */

				if (filter && !strstr(frows[i].name, filter))
					continue;
				cli_progress("ftrace round %d/%d  %3d%%  %s, %d B", round + 1, rounds,
					     100 * done / (total ? total : 1), frows[i].name, fb_sizes[s]);
				fb_measure(&f, i, s, n);
				done++;
			}
		}
	}
	cli_progress_done();
	{
		double wall = (double)bench_now_ns() / 1e9 - wall0;
		double others = (bench_machine_busy_s() - busy0) - (bench_self_cpu_s() - self0);

		if (busy0 >= 0)
			others_pct = 100.0 * (others > 0 ? others : 0) /
				     (wall * (double)sysconf(_SC_NPROCESSORS_ONLN));
	}
	for (int i = 0; i < 50 && rmdir(f.t.dir) != 0 && errno == EBUSY; i++)
		usleep(20000);

	if (!csv) {
		printf("\nftrace readers: drain CPU %d's buffer (markers written by a process pinned "
		       "there), read on CPU %d; %d round(s), median; sub-buffer %u B; ~%.0f MiB per drain\n",
		       f.cpu, cpus[1], rounds, f.subbuf, mib);
		printf("%-30s %6s %9s %9s %8s %11s %11s %9s\n", "reader", "size", "M ev/s", "MB/s",
		       "ns/ev", "vs minimal", "vs tracefs", "wall M/s");
	}
	for (size_t i = 0; i < FB_NROWS; i++) {
		if (filter && !strstr(frows[i].name, filter))
			continue;
		for (int s = 0; s < FB_NSIZES; s++) {
			double m = fmedian(&fres[i][s]);
			double mn = fmedian(&fres[R_MIN_MMAP][s]), rd = fmedian(&fres[R_MIN_READ][s]);
			double t1 = fmedian(&fres[R_TFS_READ][s]), t2 = fmedian(&fres[R_TFS_BUF][s]);
			double best_min = mn > rd ? mn : rd, best_tfs = t1 > t2 ? t1 : t2;
			char r1[16] = "", r2[16] = "";

			if (fres[i][s].skipped) {
				if (csv)
					printf("\"%s\",%d,,,,,,,,,\"%s\"\n", frows[i].name, fb_sizes[s],
					       fres[i][s].why);
				else if (s == 0)
					printf("%-30s %6s skipped: %s\n", frows[i].name, "-", fres[i][s].why);
				continue;
			}
			if (!frows[i].anchor && best_min > 0)
				snprintf(r1, sizeof(r1), "%.2fx", m / best_min);
			if (!frows[i].anchor && best_tfs > 0)
				snprintf(r2, sizeof(r2), "%.2fx", m / best_tfs);
			if (csv)
				printf("\"%s\",%d,%.3f,%.1f,%.2f,0,%s,,,,\n", frows[i].name, fb_sizes[s], m,
				       m * fb_sizes[s], m > 0 ? 1e3 / m : 0, r1[0] ? r1 : "");
			else
				printf("%-30s %6d %9.2f %9.0f %8.1f %11s %11s %9.2f\n", frows[i].name,
				       fb_sizes[s], m, m * fb_sizes[s], m > 0 ? 1e3 / m : 0, r1, r2,
				       fmedian_of(&fres[i][s], fres[i][s].wall));
		}
	}
	if (!csv && !fres[R_MIN_MMAP][0].skipped && fres[R_MIN_MMAP][0].n) {
		printf("time inside the kernel calls (minimal readers, median):\n");
		for (int s = 0; s < FB_NSIZES; s++)
			printf("  %4d B: GET_READER %6.1f ns/event (%6.2f us/call)   read(2) %6.1f ns/event "
			       "(%6.2f us/call)\n", fb_sizes[s],
			       fmedian_of(&fres[R_MIN_MMAP][s], fres[R_MIN_MMAP][s].sys_ev),
			       fmedian_of(&fres[R_MIN_MMAP][s], fres[R_MIN_MMAP][s].sys_call) / 1e3,
			       fmedian_of(&fres[R_MIN_READ][s], fres[R_MIN_READ][s].sys_ev),
			       fmedian_of(&fres[R_MIN_READ][s], fres[R_MIN_READ][s].sys_call) / 1e3);
	}
	if (!csv) {
		printf("other processes used %.0f%% of the CPUs during the ftrace rows%s\n", others_pct,
		       others_pct > 10 ? " (the machine was not quiet: figures are low and noisy)" : "");
		printf("M ev/s: million events per second of the reader's CPU time (user + system: its\n"
		       "work, whatever else the machine runs); wall M/s: per second of wall time.\n"
		       "vs minimal: our rate / the faster of the two minimal readers (mmap, read(2)) "
		       "at that size; vs tracefs: / the faster libtracefs row.\n");
	}
	return CLI_EXIT_OK;
}
