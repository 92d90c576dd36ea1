// SPDX-License-Identifier: MIT
/*
 * ringbuf bench: the harness (harness.h). Producers start together at t0
 * and stop at t0 + d; the consumer then drains what is left. Throughput =
 * records delivered to the consumer / (time of the consumer's last record
 * - t0). Latency rows pace one record every LAT_GAP ns and take, per
 * record, the time from before its commit to its callback.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "harness.h"

int bench_cpus[2] = { -1, -1 };
int bench_idle_spins = 1;
uint32_t bench_idle_spin_ns;
uint8_t bench_body[65536];

/* ---- time, CPUs ---- */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bench_find_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			bench_cpus[n++] = c;
	if (n < 2)
		bench_cpus[0] = bench_cpus[1] = -1;
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Machine-wide busy CPU time (ns, from /proc/stat) and our own: what other
 * processes took during the run tells whether the figures can be trusted. */
double bench_machine_busy_s(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	double busy = 0;

	if (!f)
		return -1;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8)
		busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return busy;
}

static double rusage_s(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Ours: this process and the children it waited for (the ftrace rows'
 * marker writers), which are not "other processes". */
double bench_self_cpu_s(void)
{
	return rusage_s(RUSAGE_SELF) + rusage_s(RUSAGE_CHILDREN);
}

/* ---- records, failures ---- */

void seq_error(struct checker *c, const char *what, uint64_t got, uint64_t want)
{
	cli_progress_done();
	fprintf(stderr, "%s bench: SEQUENCE ERROR in row '%s' (%zu B records) after %llu records: "
		"%s (got %llu, expected %llu); aborting, no result is reported\n",
		cli_prog(), c->row, c->len, (unsigned long long)c->count, what,
		(unsigned long long)got, (unsigned long long)want);
	fflush(stderr);
	_exit(1);
}

int check_cb(void *ctx, void *data, size_t len)
{
	check(ctx, data, len);
	return 0;
}

void row_failed(struct result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->failed)
		return;
	res->failed = 1;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

void idle(const struct run *r)
{
	int n = r->row->backoff ? BACKOFF_SPINS : bench_idle_spins;

	for (int i = 0; i < n; i++)
		relax();
}

void report_stalls(struct run *r, const struct ringbuf_stats *st)
{
	double secs = (double)(atomic_load(&r->chk.last_ns) - r->t0) / 1e9;

	if (secs <= 0)
		return;
	r->res->stalls = (double)st->busy_stalls / secs;
	r->res->stall_pct = 100.0 * (double)st->busy_stall_ns / 1e9 / secs;
}

/* ---- the generic two-thread harness ---- */

typedef void (*prod_fn)(struct run *r, int id);
typedef void (*cons_fn)(struct run *r);

struct thr {
	struct run *r;
	int id;
	prod_fn pf;
	cons_fn cf;
};

static void *prod_thread(void *arg)
{
	struct thr *t = arg;

	bench_pin(t->r->row->split ? bench_cpus[t->id & 1] : bench_cpus[0]);
	while (!atomic_load(&t->r->go))
		relax();
	t->pf(t->r, t->id);
	return NULL;
}

static void *cons_thread(void *arg)
{
	struct thr *t = arg;

	bench_pin(bench_cpus[1]);
	while (!atomic_load(&t->r->go))
		relax();
	t->cf(t->r);
	atomic_store(&t->r->chk.last_ns, bench_now_ns());
	return NULL;
}

/* Run producers and a consumer for r->dur_ns; fill r->res. */
static int harness(struct run *r, prod_fn pf, cons_fn cf, void (*after_stop)(struct run *))
{
	pthread_t pt[MAX_PROD], ct;
	struct thr pth[MAX_PROD], cth = { .r = r, .cf = cf };
	struct timespec ts;

	for (int i = 0; i < r->nprod; i++) {
		pth[i] = (struct thr){ .r = r, .id = i, .pf = pf };
		if (pthread_create(&pt[i], NULL, prod_thread, &pth[i]))
			return -EAGAIN;
	}
	if (pthread_create(&ct, NULL, cons_thread, &cth))
		return -EAGAIN;
	usleep(2000); /* let the threads reach their CPUs */
	r->t0 = bench_now_ns();
	atomic_store(&r->go, 1);
	ts.tv_sec = (time_t)(r->dur_ns / 1000000000ULL);
	ts.tv_nsec = (long)(r->dur_ns % 1000000000ULL);
	nanosleep(&ts, NULL);
	atomic_store(&r->stop, 1);
	for (int i = 0; i < r->nprod; i++)
		pthread_join(pt[i], NULL);
	atomic_store(&r->prod_done, 1);
	if (after_stop)
		after_stop(r);
	pthread_join(ct, NULL);
	r->res->mrps = (double)r->chk.count / (double)(atomic_load(&r->chk.last_ns) - r->t0) * 1e3;
	/* User producers retry on a full ring: only a source that may drop
	 * (overwrite, the kernel's) has any, seen as gaps. */
	r->res->drops = r->chk.allow_gaps ? (double)r->chk.gaps : 0;
	return 0;
}

/* ---- latency: the transport's put every LAT_GAP ns, 24-byte records
 * {stamp, time, stamp}; the consumer sleeps (manager poll for the user
 * ring, condvar, read) or spins ---- */

struct lat {
	struct checker *chk;
	uint64_t *samples;
	size_t n;
};

int lat_cb(void *ctx, void *data, size_t len)
{
	struct lat *l = ctx;
	uint64_t t = bench_now_ns(), ts;

	check(l->chk, data, len);
	memcpy(&ts, (uint8_t *)data + 8, 8);
	if (l->n < LAT_MAX)
		l->samples[l->n++] = t - ts;
	return 0;
}

/* The paced producer: the transport's put for each record. */
static void lat_produce(struct run *r, int id)
{
	int (*put)(struct run *, const void *) = r->row->t->put;
	uint64_t seq = 0, next = bench_now_ns();
	uint8_t rec[LAT_LEN];

	(void)id;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && seq < LAT_MAX) {
		uint64_t t;

		while ((t = bench_now_ns()) < next)
			relax();
		next = t + LAT_GAP;
		memcpy(rec, &seq, 8);
		memcpy(rec + 8, &t, 8);
		memcpy(rec + 16, &seq, 8);
		while (put(r, rec))
			relax();
		seq++;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void lat_finish(struct run *r, struct lat *l)
{
	if (!l->n) {
		r->res->lat[0] = r->res->lat[1] = r->res->lat[2] = 0;
		return;
	}
	qsort(l->samples, l->n, sizeof(uint64_t), cmp_u64);
	r->res->lat[0] = (double)l->samples[l->n / 2];
	r->res->lat[1] = (double)l->samples[(size_t)((double)l->n * 0.99)];
	r->res->lat[2] = (double)l->samples[(size_t)((double)l->n * 0.999)];
}

static int run_latency(struct run *r)
{
	const struct transport *t = r->row->t;
	struct lat l = { .chk = &r->chk };
	int err;

	r->len = LAT_LEN;
	r->chk.len = LAT_LEN;
	l.samples = malloc(LAT_MAX * sizeof(uint64_t));
	if (!l.samples)
		return -ENOMEM;
	r->aux = &l;
	err = t->open(r);
	if (!err) {
		err = harness(r, lat_produce, t->lat_consume, t->after_stop);
		t->close(r);
		lat_finish(r, &l);
	}
	free(l.samples);
	return err;
}

/* ---- a row ---- */

int run_row(struct run *r)
{
	const struct transport *t = r->row->t;
	int err;

	if (r->row->kind == ROW_BACK_TO_BACK)
		return t->back_to_back(r);
	if (r->row->kind == ROW_LATENCY)
		return run_latency(r);
	err = t->open(r);
	if (err)
		return err;
	err = harness(r, t->produce, t->consume, t->after_stop);
	if (!err && t->finish)
		err = t->finish(r);
	t->close(r);
	return err;
}
