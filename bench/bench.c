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
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>
#include <ringbuf.h>
#ifdef HAVE_LIBBPF
#include <bpf/libbpf.h>
#endif

#include "bench.h"
#include "cli.h"
#include "kbpf.h"
#include "svg.h"

#define RING_SIZE   (1u << 20)
#define MAX_PROD    2
#define MAX_SIZES   8
#define MAX_ROUNDS  15
#define SAMPLE_N    500     /* sampled rows: FORCE_WAKEUP every N records */
#define B2B_BATCH   500     /* back-to-back: records per produce/consume turn */
#define KREPEAT     256     /* kernel rows: program runs per TEST_RUN call */

/* ---- time, CPUs ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cpus[2] = { -1, -1 };  /* producer CPU, consumer CPU (-1: unpinned) */

static void find_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n < 2)
		cpus[0] = cpus[1] = -1;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* What a busy consumer does when a consume call found nothing: spin a
 * little before looking again (every busy loop, ours and the anchors'). */
#define RB_STR_(x) #x
#define RB_STR(x) RB_STR_(x)
static int idle_spins = 1;
/* --idle-spin-ns: our busy rows' library idle policy spins this long per
 * look (0: the library's default). For exploring the latency/throughput
 * trade-off. */
static uint32_t idle_spin_ns;
/* The "+backoff" rows: ~7 us (256 pauses of 27 ns on the AMD EPYC of
 * these machines), so the consumer reads what arrived meanwhile in bulk
 * instead of chasing the producer record by record. */
#define BACKOFF_SPINS 256

struct run;
static void idle(const struct run *r);

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

double bench_self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- records and their checks ---- */

static uint8_t body[65536];   /* what producers copy into record bodies */

static inline void rec_fill(void *p, size_t len, uint64_t w)
{
	uint8_t *b = p;

	memcpy(b, &w, 8);
	if (len >= 16) {
		memcpy(b + 8, body, len - 16);
		memcpy(b + len - 8, &w, 8);
	}
}

struct checker {
	const char *row;
	size_t len;
	int nprod;
	int allow_gaps;
	uint64_t expect[MAX_PROD];
	uint64_t count, gaps;
	_Atomic uint64_t last_ns;    /* time of the last record seen */
};

static __attribute__((noreturn, cold)) void seq_error(struct checker *c, const char *what,
						      uint64_t got, uint64_t want)
{
	cli_progress_done();
	fprintf(stderr, "%s bench: SEQUENCE ERROR in row '%s' (%zu B records) after %llu records: "
		"%s (got %llu, expected %llu); aborting, no result is reported\n",
		cli_prog(), c->row, c->len, (unsigned long long)c->count, what,
		(unsigned long long)got, (unsigned long long)want);
	fflush(stderr);
	_exit(1);
}

static inline void check(struct checker *c, const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t w, seq;
	unsigned p;

	if (__builtin_expect(len != c->len, 0))
		seq_error(c, "wrong record length", len, c->len);
	memcpy(&w, b, 8);
	if (len >= 16) {
		uint64_t t;

		memcpy(&t, b + len - 8, 8);
		if (__builtin_expect(t != w, 0))
			seq_error(c, "torn record (head and tail stamps differ)", t, w);
	}
	p = (unsigned)(w >> 56);
	seq = w & ((1ULL << 56) - 1);
	if (__builtin_expect(p >= (unsigned)c->nprod, 0))
		seq_error(c, "bad producer id", p, 0);
	if (__builtin_expect(seq != c->expect[p], 0)) {
		if (!c->allow_gaps || seq < c->expect[p])
			seq_error(c, seq < c->expect[p] ? "duplicate or reordered record" : "lost record",
				  seq, c->expect[p]);
		c->gaps += seq - c->expect[p];
	}
	c->expect[p] = seq + 1;
	c->count++;
}

static int check_cb(void *ctx, void *data, size_t len)
{
	check(ctx, data, len);
	return 0;
}

/* ---- one measurement ---- */

struct result;
static void row_failed(struct result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct result {
	int skipped;
	int failed;       /* the library (or the system) failed: not a result */
	char why[200];
	double mrps;      /* million records per second */
	double drops;
	double lat[3];    /* latency rows: p50, p99, p999 in ns */
	double stalls;    /* user rings: consumer stalls at a record not yet
			   * committed (> RINGBUF_STALL_US), per second */
	double stall_pct; /* ... and the share of the row's time they took */
};

struct run {
	const struct row *row;
	size_t len;
	uint64_t dur_ns;
	int nprod;
	/* shared between threads */
	_Atomic int go, stop, prod_done;
	uint64_t t0;
	struct checker chk;
	void *src;            /* the row's source (ring, queue, pipe, ...) */
	uint64_t extra;       /* per-row */
	void *aux;            /* per-row */
	struct result *res;
};

struct row {
	const char *name;
	int backoff;          /* busy consumers back off BACKOFF_SPINS when idle */
	int kernel;           /* an anchor row (not ours) */
	const char *ref;      /* ours: the kernel row whose rate we compare to */
	int nprod;
	int latency;          /* a latency row (p50/p99/p999) */
	int (*run)(struct run *r);
	int split;            /* producer i on CPU i % 2 instead of all on the
			       * producer CPU (2 CPUs: one shares the consumer's) */
};

/* A failing call ends the row: it is reported as FAILED (not as a rate)
 * and the run exits with status 1. */
static void row_failed(struct result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->failed)
		return;
	res->failed = 1;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

static void idle(const struct run *r)
{
	int n = r->row->backoff ? BACKOFF_SPINS : idle_spins;

	for (int i = 0; i < n; i++)
		relax();
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

	pin(t->r->row->split ? cpus[t->id & 1] : cpus[0]);
	while (!atomic_load(&t->r->go))
		relax();
	t->pf(t->r, t->id);
	return NULL;
}

static void *cons_thread(void *arg)
{
	struct thr *t = arg;

	pin(cpus[1]);
	while (!atomic_load(&t->r->go))
		relax();
	t->cf(t->r);
	atomic_store(&t->r->chk.last_ns, now_ns());
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
	r->t0 = now_ns();
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

/* ---- user rings ---- */

enum uflags {
	U_OUTPUT = 1,        /* ringbuf_output instead of reserve + submit */
	U_NOWAKE = 2,        /* commit with NO_WAKEUP */
	U_SAMPLED = 4,       /* NO_WAKEUP, FORCE_WAKEUP every SAMPLE_N */
	U_IDLE_NONE = 8,     /* the consumer's idle policy RINGBUF_IDLE_NONE:
			      * a consume that found nothing returns at once
			      * (the library's behaviour before the policies) */
};

static void user_produce(struct run *r, int id)
{
	struct ringbuf *rb = r->src;
	const size_t len = r->len;
	const int out = r->extra & U_OUTPUT;
	uint64_t flags = (r->extra & (U_NOWAKE | U_SAMPLED)) ? RINGBUF_NO_WAKEUP : 0;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			uint64_t f = flags;

			if ((r->extra & U_SAMPLED) && seq % SAMPLE_N == 0)
				f = RINGBUF_FORCE_WAKEUP;
			if (out) {
				rec_fill(tmp, len, tag | seq);
				while (ringbuf_output(rb, tmp, len, f)) {
					if (atomic_load_explicit(&r->stop, memory_order_relaxed))
						return;
					relax();
				}
			} else {
				void *p;

				while (!(p = ringbuf_reserve(rb, len, 0))) {
					if (atomic_load_explicit(&r->stop, memory_order_relaxed))
						return;
					relax();
				}
				rec_fill(p, len, tag | seq);
				ringbuf_submit(rb, p, f);
			}
			seq++;
		}
	}
}

/* The consumer's stalls at uncommitted records, per second of the row. */
static void report_stalls(struct run *r, const struct ringbuf_stats *st)
{
	double secs = (double)(atomic_load(&r->chk.last_ns) - r->t0) / 1e9;

	if (secs <= 0)
		return;
	r->res->stalls = (double)st->busy_stalls / secs;
	r->res->stall_pct = 100.0 * (double)st->busy_stall_ns / 1e9 / secs;
}

static void user_consume_busy(struct run *r)
{
	struct ringbuf *rb = r->src;

	if (r->extra & U_IDLE_NONE) {
		RINGBUF_IDLE_OPTS(io, .policy = RINGBUF_IDLE_NONE);

		if (ringbuf_set_idle(rb, &io)) {
			row_failed(r->res, "ringbuf_set_idle failed");
			return;
		}
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consume(rb, check_cb, &r->chk);

		if (n < 0) {
			row_failed(r->res, "ringbuf_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			return;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r); /* every busy loop here, ours and the anchors' */
	}
}

/* A manager with the row's ring as its one source, or NULL (row failed). */
static struct ringbuf_consumer *row_manager(struct run *r)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int n;

	if (!c || (n = ringbuf_consumer_add(c, r->src, check_cb, &r->chk)) < 0) {
		row_failed(r->res, "manager: %s", strerror(c ? -n : errno));
		ringbuf_consumer_free(c);
		return NULL;
	}
	return c;
}

static void user_consume_poll(struct run *r)
{
	struct ringbuf_consumer *c = row_manager(r);
	int n;

	if (!c)
		return;
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = ringbuf_consumer_poll(c, 20);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "ringbuf_consumer_poll after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done) {
			while ((n = ringbuf_consumer_consume(c)) > 0)
				;
			break;
		}
	}
	ringbuf_consumer_free(c);
}

/* The manager's busy loop: ringbuf_consumer_consume, its default idle
 * policy, nothing else. */
static void user_consume_manager_busy(struct run *r)
{
	struct ringbuf_consumer *c = row_manager(r);
	int n;

	if (!c)
		return;
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = ringbuf_consumer_consume(c);
		if (n < 0) {
			row_failed(r->res, "ringbuf_consumer_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
	}
	ringbuf_consumer_free(c);
}

static int run_user(struct run *r, uint32_t cflags, cons_fn cf)
{
	RINGBUF_OPTS(o, .flags = cflags);
	struct ringbuf *rb;
	int err;

	rb = ringbuf_create(NULL, RING_SIZE, &o);
	if (!rb) {
		err = errno;
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create%s: %s",
			 cflags ? "(RINGBUF_F_OVERWRITE)" : "", strerror(err));
		return -err;
	}
	r->src = rb;
	r->chk.allow_gaps = !!(cflags & RINGBUF_F_OVERWRITE);
	if (idle_spin_ns && !(r->extra & U_IDLE_NONE)) {
		RINGBUF_IDLE_OPTS(io, .spin_ns = idle_spin_ns);

		ringbuf_set_idle(rb, &io);
	}
	err = harness(r, user_produce, cf, NULL);
	if (!err) {
		struct ringbuf_stats st = { .sz = sizeof(st) };

		/* Stalls are counted by the handle that consumed: rb itself
		 * (the manager rows consume through rb too). */
		if (!ringbuf_get_stats(rb, &st))
			report_stalls(r, &st);
	}
	ringbuf_free(rb);
	return err;
}

static int run_user_busy(struct run *r) { return run_user(r, 0, user_consume_busy); }
static int run_user_nowake(struct run *r) { r->extra = U_NOWAKE; return run_user(r, 0, user_consume_busy); }
static int run_user_output(struct run *r) { r->extra = U_OUTPUT; return run_user(r, 0, user_consume_busy); }
static int run_user_idle_none(struct run *r) { r->extra = U_IDLE_NONE; return run_user(r, 0, user_consume_busy); }
static int run_user_manager_busy(struct run *r) { return run_user(r, 0, user_consume_manager_busy); }
static int run_user_poll(struct run *r) { return run_user(r, 0, user_consume_poll); }
static int run_user_sampled(struct run *r) { r->extra = U_SAMPLED; return run_user(r, 0, user_consume_poll); }

static int run_user_overwrite(struct run *r) { return run_user(r, RINGBUF_F_OVERWRITE, user_consume_busy); }

/* Back-to-back: one thread on one CPU, alternating B2B_BATCH records of
 * producing with consuming them. */
/* ---- sharded rings (src/shard_*.c): one shard per producer thread ---- */

static void shard_produce(struct run *r, int id)
{
	struct ringbuf_sharded *sh = r->src;
	const size_t len = r->len;
	uint64_t seq = 0, tag = (uint64_t)id << 56;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			void *p;

			while (!(p = ringbuf_sharded_reserve(sh, len, 0))) {
				if (atomic_load_explicit(&r->stop, memory_order_relaxed))
					return;
				relax();
			}
			rec_fill(p, len, tag | seq);
			ringbuf_sharded_submit(sh, p, 0);
			seq++;
		}
	}
}

static void shard_consume_busy(struct run *r)
{
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_sharded_consume(r->src, check_cb, &r->chk, 0);

		if (n < 0) {
			row_failed(r->res, "ringbuf_sharded_consume after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			return;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r);
	}
}

/* Per-thread shards, one per producer: each producer's records stay in
 * order (the checker's rule), and producers share no line. The shards
 * share RING_SIZE between them: the same memory as the one-ring rows (the
 * consumer's working set is what the cache holds). */
static int run_sharded(struct run *r)
{
	RINGBUF_SHARDED_OPTS(o, .shard_by = RINGBUF_SHARD_BY_THREAD);
	struct ringbuf_sharded *sh = ringbuf_create_sharded(NULL, RING_SIZE / (size_t)r->nprod,
							    (unsigned int)r->nprod, &o);
	int err;

	if (!sh) {
		err = errno;
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create_sharded: %s", strerror(err));
		return -err;
	}
	r->src = sh;
	if (idle_spin_ns) {
		RINGBUF_IDLE_OPTS(io, .spin_ns = idle_spin_ns);

		ringbuf_sharded_set_idle(sh, &io);
	}
	err = harness(r, shard_produce, shard_consume_busy, NULL);
	if (!err) {
		struct ringbuf_stats st = { .sz = sizeof(st) };

		/* Stalls at a BUSY record, summed over the shards. */
		if (!ringbuf_sharded_get_stats(sh, &st))
			report_stalls(r, &st);
	}
	ringbuf_sharded_free(sh);
	return err;
}

static int run_user_b2b(struct run *r)
{
	struct ringbuf *rb = ringbuf_create(NULL, RING_SIZE, NULL);
	uint64_t seq = 0, end;

	if (!rb) {
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_create: %s", strerror(errno));
		return -errno;
	}
	pin(cpus[0]);
	r->t0 = now_ns();
	end = r->t0 + r->dur_ns;
	do {
		for (int k = 0; k < B2B_BATCH; k++) {
			void *p = ringbuf_reserve(rb, r->len, 0);

			if (!p)
				break;
			rec_fill(p, r->len, seq++);
			ringbuf_submit(rb, p, 0);
		}
		int n = ringbuf_consume(rb, check_cb, &r->chk);

		if (n < 0) {
			row_failed(r->res, "ringbuf_consume: %s", strerror(-n));
			break;
		}
	} while (now_ns() < end);
	r->res->mrps = (double)r->chk.count / (double)(now_ns() - r->t0) * 1e3;
	ringbuf_free(rb);
	return 0;
}

/* Blocking-mode latency, commit to callback: the producer writes a 24-byte
 * record {stamp, time, stamp} every ~20 us; the consumer sleeps (manager
 * poll for the user ring, condvar, read). */
#define LAT_MAX   100000
#define LAT_GAP   20000
#define LAT_LEN   24
struct lat {
	struct checker *chk;
	uint64_t *samples;
	size_t n;
};

static int lat_cb(void *ctx, void *data, size_t len)
{
	struct lat *l = ctx;
	uint64_t t = now_ns(), ts;

	check(l->chk, data, len);
	memcpy(&ts, (uint8_t *)data + 8, 8);
	if (l->n < LAT_MAX)
		l->samples[l->n++] = t - ts;
	return 0;
}

/* Paced producer: calls put(r, rec) for each record. */
static void lat_produce(struct run *r, int (*put)(struct run *, const void *))
{
	uint64_t seq = 0, next = now_ns();
	uint8_t rec[LAT_LEN];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && seq < LAT_MAX) {
		uint64_t t;

		while ((t = now_ns()) < next)
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

static int user_lat_put(struct run *r, const void *rec)
{
	return ringbuf_output(r->src, rec, LAT_LEN, 0);
}

static void user_lat_produce(struct run *r, int id)
{
	(void)id;
	lat_produce(r, user_lat_put);
}

static void user_lat_consume(struct run *r)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct lat *l = r->aux;

	if (!c || ringbuf_consumer_add(c, r->src, lat_cb, l) < 0) {
		row_failed(r->res, "manager: %s", strerror(errno));
		ringbuf_consumer_free(c);
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consumer_poll(c, 20);

		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "ringbuf_consumer_poll: %s", strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
	}
	ringbuf_consumer_free(c);
}

/* Busy consumer latency: a plain ringbuf_consume loop with the ring's idle
 * policy (r->extra: RINGBUF_IDLE_* to set; default BACKOFF). */
static void user_lat_consume_busy(struct run *r)
{
	RINGBUF_IDLE_OPTS(io, .policy = (uint32_t)r->extra, .spin_ns = idle_spin_ns);
	struct lat *l = r->aux;

	if (ringbuf_set_idle(r->src, &io)) {
		row_failed(r->res, "ringbuf_set_idle failed");
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);
		int n = ringbuf_consume(r->src, lat_cb, l);

		if (n < 0) {
			row_failed(r->res, "ringbuf_consume: %s", strerror(-n));
			break;
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r);
	}
}

static int run_latency(struct run *r, int (*setup)(struct run *), prod_fn pf, cons_fn cf,
		       void (*teardown)(struct run *), void (*after_stop)(struct run *))
{
	struct lat l = { .chk = &r->chk };
	int err;

	r->len = LAT_LEN;
	r->chk.len = LAT_LEN;
	l.samples = malloc(LAT_MAX * sizeof(uint64_t));
	if (!l.samples)
		return -ENOMEM;
	r->aux = &l;
	err = setup(r);
	if (!err) {
		err = harness(r, pf, cf, after_stop);
		teardown(r);
		lat_finish(r, &l);
	}
	free(l.samples);
	return err;
}

static int user_lat_setup(struct run *r)
{
	r->src = ringbuf_create(NULL, RING_SIZE, NULL);
	return r->src ? 0 : -errno;
}

static void user_lat_teardown(struct run *r)
{
	ringbuf_free(r->src);
}

static int run_user_lat(struct run *r)
{
	return run_latency(r, user_lat_setup, user_lat_produce, user_lat_consume,
			   user_lat_teardown, NULL);
}

static int run_user_lat_busy(struct run *r)
{
	return run_latency(r, user_lat_setup, user_lat_produce, user_lat_consume_busy,
			   user_lat_teardown, NULL);
}
static int run_user_lat_busy_none(struct run *r)
{
	r->extra = RINGBUF_IDLE_NONE;
	return run_user_lat_busy(r);
}

/* ---- anchor: mutex + condvar queue of variable-length records ----
 * A byte ring of [u32 len][payload, padded to 8] records. Producers take
 * the lock per record; the consumer takes everything there under one lock,
 * processes it outside the lock, then releases the space. */
struct mq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	uint8_t *buf;
	uint64_t head, tail;   /* byte positions: head written, tail freed */
	int cons_waiting, prod_waiting;
};

#define MQ_SIZE RING_SIZE

static int mq_put(struct mq *q, const void *data, size_t len, _Atomic int *stop)
{
	uint64_t need = 8 + ((len + 7) & ~7ULL);

	pthread_mutex_lock(&q->mu);
	while (q->head + need - q->tail > MQ_SIZE) {
		if (stop && atomic_load(stop)) {
			pthread_mutex_unlock(&q->mu);
			return -1;
		}
		q->prod_waiting = 1;
		pthread_cond_wait(&q->not_full, &q->mu);
	}
	{
		uint64_t off = q->head & (MQ_SIZE - 1);
		uint32_t l32 = (uint32_t)len;

		/* The buffer has MQ_SIZE slack bytes so records never wrap. */
		memcpy(q->buf + off, &l32, 4);
		memcpy(q->buf + off + 8, data, len);
		q->head += need;
	}
	if (q->cons_waiting) {
		q->cons_waiting = 0;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Drain everything there; block when empty unless *done. Returns records. */
static long mq_drain(struct mq *q, int (*fn)(void *, void *, size_t), void *ctx, _Atomic int *done)
{
	uint64_t head, tail;
	long n = 0;

	pthread_mutex_lock(&q->mu);
	while (q->head == q->tail) {
		if (atomic_load(done)) {
			pthread_mutex_unlock(&q->mu);
			return 0;
		}
		q->cons_waiting = 1;
		/* Timed: the end-of-run check needs to run. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 5000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
	}
	head = q->head;
	tail = q->tail;
	pthread_mutex_unlock(&q->mu);
	while (tail != head) {
		uint64_t off = tail & (MQ_SIZE - 1);
		uint32_t len;

		memcpy(&len, q->buf + off, 4);
		fn(ctx, q->buf + off + 8, len);
		tail += 8 + ((len + 7) & ~7ULL);
		n++;
	}
	pthread_mutex_lock(&q->mu);
	q->tail = tail;
	if (q->prod_waiting) {
		q->prod_waiting = 0;
		pthread_cond_broadcast(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

static int mq_setup(struct run *r)
{
	struct mq *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->buf = calloc(1, 2 * MQ_SIZE);
	if (!q->buf) {
		free(q);
		return -ENOMEM;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	r->src = q;
	return 0;
}

static void mq_teardown(struct run *r)
{
	struct mq *q = r->src;

	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->buf);
	free(q);
}

static void mq_wake_producers(struct mq *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

static void mq_produce(struct run *r, int id)
{
	struct mq *q = r->src;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			rec_fill(tmp, r->len, tag | seq);
			if (mq_put(q, tmp, r->len, &r->stop))
				return;
			seq++;
		}
	}
}

static void mq_consume(struct run *r)
{
	struct mq *q = r->src;

	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = mq_drain(q, check_cb, &r->chk, &r->prod_done);

		/* Keep producers from sleeping through the stop. */
		if (atomic_load(&r->stop))
			mq_wake_producers(q);
		if (done && n == 0)
			break;
	}
}

static int run_mq(struct run *r)
{
	int err = mq_setup(r);

	if (err)
		return err;
	err = harness(r, mq_produce, mq_consume, NULL);
	mq_teardown(r);
	return err;
}

static int mq_lat_put(struct run *r, const void *rec)
{
	return mq_put(r->src, rec, LAT_LEN, NULL);
}

static void mq_lat_produce(struct run *r, int id)
{
	(void)id;
	lat_produce(r, mq_lat_put);
}

static void mq_lat_consume(struct run *r)
{
	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = mq_drain(r->src, lat_cb, r->aux, &r->prod_done);

		if (done && n == 0)
			break;
	}
}

static int run_mq_lat(struct run *r)
{
	return run_latency(r, mq_setup, mq_lat_produce, mq_lat_consume, mq_teardown, NULL);
}

/* ---- anchor: a pipe, one write per record ---- */

struct bpipe {
	int fd[2];
};

static int pipe_setup(struct run *r)
{
	struct bpipe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (pipe2(p->fd, O_CLOEXEC)) {
		free(p);
		return -errno;
	}
	/* 1 MiB like the rings; the default limit allows it for root, else
	 * the pipe keeps its default size. */
	fcntl(p->fd[1], F_SETPIPE_SZ, RING_SIZE);
	r->src = p;
	return 0;
}

static void pipe_teardown(struct run *r)
{
	struct bpipe *p = r->src;

	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
	free(p);
}

static void pipe_produce(struct run *r, int id)
{
	struct bpipe *p = r->src;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			rec_fill(tmp, r->len, tag | seq);
			/* <= PIPE_BUF: atomic, never short. */
			if (write(p->fd[1], tmp, r->len) != (ssize_t)r->len) {
				row_failed(r->res, "write to the pipe: %s", strerror(errno));
				return;
			}
			seq++;
		}
	}
}

/* After the producers stopped: close the write end so read() sees EOF. */
static void pipe_after_stop(struct run *r)
{
	struct bpipe *p = r->src;

	close(p->fd[1]);
	p->fd[1] = -1;
}

static void pipe_consume_with(struct run *r, int (*fn)(void *, void *, size_t), void *ctx)
{
	struct bpipe *p = r->src;
	static __thread uint8_t buf[1 << 16];
	size_t have = 0, len = r->len;

	for (;;) {
		ssize_t n = read(p->fd[0], buf + have, sizeof(buf) - have);
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		while (have - off >= len) {
			fn(ctx, buf + off, len);
			off += len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
}

static void pipe_consume(struct run *r)
{
	pipe_consume_with(r, check_cb, &r->chk);
}

static int run_pipe(struct run *r)
{
	int err = pipe_setup(r);

	if (err)
		return err;
	err = harness(r, pipe_produce, pipe_consume, pipe_after_stop);
	pipe_teardown(r);
	return err;
}

static int pipe_lat_put(struct run *r, const void *rec)
{
	struct bpipe *p = r->src;

	return write(p->fd[1], rec, LAT_LEN) == LAT_LEN ? 0 : -1;
}

static void pipe_lat_produce(struct run *r, int id)
{
	(void)id;
	lat_produce(r, pipe_lat_put);
}

static void pipe_lat_consume(struct run *r)
{
	pipe_consume_with(r, lat_cb, r->aux);
}

static int run_pipe_lat(struct run *r)
{
	return run_latency(r, pipe_setup, pipe_lat_produce, pipe_lat_consume, pipe_teardown,
			   pipe_after_stop);
}

/* ---- anchor: the kernel BPF ring buffer ---- */

enum kcons { K_OURS_BUSY, K_OURS_POLL, K_LIBBPF_BUSY, K_LIBBPF_POLL };

static int kernel_setup(struct run *r, struct kbpf *k, uint64_t flags, uint32_t sample)
{
	int refused, err;

	err = kbpf_open(k, RING_SIZE, r->len, flags, sample, &refused, r->res->why, sizeof(r->res->why));
	if (err && !refused)
		r->res->failed = 1; /* why is set */
	r->chk.allow_gaps = 1;
	return err;
}

/* The producer thread: the BPF program, KREPEAT runs per system call. */
static void kernel_produce(struct run *r, int id)
{
	struct kbpf *k = r->src;

	(void)id;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed))
		if (kbpf_run(k, KREPEAT) < 0) {
			row_failed(r->res, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			return;
		}
}

static void kernel_consume_ours(struct run *r)
{
	struct kbpf *k = r->src;
	int poll = r->extra == K_OURS_POLL;
	struct ringbuf_consumer *c = NULL;
	struct ringbuf *rb = NULL;
	int n;

	if (poll) {
		c = ringbuf_consumer_new();
		if (!c || (n = ringbuf_consumer_add_bpf(c, k->map_fd, check_cb, &r->chk)) < 0) {
			row_failed(r->res, "ringbuf_consumer_add_bpf: %s", strerror(c ? -n : errno));
			ringbuf_consumer_free(c);
			return;
		}
	} else {
		rb = ringbuf_open_bpf(k->map_fd);
		if (!rb) {
			row_failed(r->res, "ringbuf_open_bpf: %s", strerror(errno));
			return;
		}
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = poll ? ringbuf_consumer_poll(c, 20) : ringbuf_consume(rb, check_cb, &r->chk);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "consuming the kernel ring after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done) {
			while ((n = poll ? ringbuf_consumer_consume(c) : ringbuf_consume(rb, check_cb, &r->chk)) > 0)
				;
			break;
		}
		if (n == 0 && !poll)
			idle(r);
	}
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
}

#ifdef HAVE_LIBBPF
static void kernel_consume_libbpf(struct run *r)
{
	struct kbpf *k = r->src;
	int poll = r->extra == K_LIBBPF_POLL;
	struct ring_buffer *lrb = ring_buffer__new(k->map_fd, check_cb, &r->chk, NULL);
	int n;

	if (!lrb) {
		row_failed(r->res, "ring_buffer__new: %s", strerror(errno));
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = poll ? ring_buffer__poll(lrb, 20) : ring_buffer__consume(lrb);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "libbpf after %llu records: %s", (unsigned long long)r->chk.count,
				   strerror(-n));
			break;
		}
		if (done) {
			while (ring_buffer__consume(lrb) > 0)
				;
			break;
		}
		if (n == 0 && !poll)
			idle(r);
	}
	ring_buffer__free(lrb);
}
#endif

static int kernel_verify(struct run *r, struct kbpf *k)
{
	uint64_t emitted = 0, drops = 0;

	if (kbpf_counts(k, &emitted, &drops) < 0)
		return -errno;
	if (r->chk.count + drops != emitted || r->chk.gaps > drops)
		seq_error(&r->chk, "kernel records delivered + dropped != emitted",
			  r->chk.count + drops, emitted);
	r->res->drops = (double)drops;
	return 0;
}

static int run_kernel(struct run *r, uint64_t flags, uint32_t sample, enum kcons how)
{
	struct kbpf k;
	int err;

#ifndef HAVE_LIBBPF
	if (how == K_LIBBPF_BUSY || how == K_LIBBPF_POLL) {
		snprintf(r->res->why, sizeof(r->res->why), "built without libbpf (install libbpf-dev)");
		return -EOPNOTSUPP;
	}
#endif
	err = kernel_setup(r, &k, flags, sample);
	if (err)
		return err;
	r->src = &k;
	r->extra = how;
#ifdef HAVE_LIBBPF
	if (how == K_LIBBPF_BUSY || how == K_LIBBPF_POLL)
		err = harness(r, kernel_produce, kernel_consume_libbpf, NULL);
	else
#endif
		err = harness(r, kernel_produce, kernel_consume_ours, NULL);
	if (!err && !r->res->failed)
		err = kernel_verify(r, &k);
	kbpf_close(&k);
	return err;
}

static int run_k_nowake_libbpf(struct run *r) { return run_kernel(r, RINGBUF_NO_WAKEUP, 0, K_LIBBPF_BUSY); }
static int run_k_nowake_ours(struct run *r) { return run_kernel(r, RINGBUF_NO_WAKEUP, 0, K_OURS_BUSY); }
static int run_k_adaptive_busy(struct run *r) { return run_kernel(r, 0, 0, K_LIBBPF_BUSY); }
static int run_k_poll_libbpf(struct run *r) { return run_kernel(r, 0, 0, K_LIBBPF_POLL); }
static int run_k_poll_ours(struct run *r) { return run_kernel(r, 0, 0, K_OURS_POLL); }
static int run_k_sampled_libbpf(struct run *r) { return run_kernel(r, RINGBUF_NO_WAKEUP, SAMPLE_N, K_LIBBPF_POLL); }

/* Back-to-back: one thread runs the program B2B_BATCH times, then drains. */
static int run_k_b2b(struct run *r)
{
	struct kbpf k;
	uint64_t end;
	int err;
#ifdef HAVE_LIBBPF
	struct ring_buffer *lrb;
#else
	struct ringbuf *rb;
#endif

	err = kernel_setup(r, &k, 0, 0);
	if (err)
		return err;
#ifdef HAVE_LIBBPF
	lrb = ring_buffer__new(k.map_fd, check_cb, &r->chk, NULL);
	if (!lrb) {
		row_failed(r->res, "ring_buffer__new: %s", strerror(errno));
		kbpf_close(&k);
		return -EIO;
	}
#else
	rb = ringbuf_open_bpf(k.map_fd);
	if (!rb) {
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_open_bpf: %s", strerror(errno));
		kbpf_close(&k);
		return -EOPNOTSUPP;
	}
#endif
	pin(cpus[0]);
	r->t0 = now_ns();
	end = r->t0 + r->dur_ns;
	do {
		if (kbpf_run(&k, B2B_BATCH) < 0) {
			row_failed(r->res, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			break;
		}
#ifdef HAVE_LIBBPF
		ring_buffer__consume(lrb);
#else
		ringbuf_consume(rb, check_cb, &r->chk);
#endif
	} while (now_ns() < end);
	r->res->mrps = (double)r->chk.count / (double)(now_ns() - r->t0) * 1e3;
#ifdef HAVE_LIBBPF
	ring_buffer__free(lrb);
#else
	ringbuf_free(rb);
#endif
	err = r->res->failed ? 0 : kernel_verify(r, &k);
	kbpf_close(&k);
	return err;
}

/* ---- the perf buffer anchor ----
 * The kernel program again, writing with bpf_perf_event_output() into the
 * perf ring of the producer's CPU (kbpf_open_perf); the consumer reads that
 * mmap'ed ring itself, as the kernel's bench_ringbufs "custom" perfbuf
 * consumer does: data_head with acquire, PERF_RECORD_SAMPLE records carry
 * { u32 size; raw bytes }, PERF_RECORD_LOST { u64 id, lost } report
 * refused outputs, data_tail stored with release. */

/* Raw size the kernel reports for a len-byte output: size field + data
 * padded to 8 bytes, minus the size field. */
static size_t perf_raw_size(size_t len)
{
	return ((len + 4 + 7) & ~(size_t)7) - 4;
}

static long perf_consume_once(struct run *r, struct kbpf *k, uint64_t *lost)
{
	struct perf_event_mmap_page *h = k->perf_mmap;
	/* data_offset is 0 before Linux 4.1: the data starts one page in */
	const uint8_t *data = (const uint8_t *)k->perf_mmap +
			      (h->data_offset ? h->data_offset : (uint64_t)sysconf(_SC_PAGESIZE));
	const uint64_t size = k->perf_data_size, mask = size - 1;
	uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = h->data_tail;
	uint8_t tmp[8192] __attribute__((aligned(8)));
	long n = 0;

	while (tail < head) {
		const uint64_t off = tail & mask;
		const struct perf_event_header *e = (const void *)(data + off);
		const uint8_t *rec = data + off;
		size_t sz = e->size;

		if (__builtin_expect(sz < sizeof(*e) || sz > sizeof(tmp) || sz % 8 || sz > head - tail, 0))
			seq_error(&r->chk, "bad perf record size", sz, 0);
		if (off + sz > size) { /* wraps: gather it */
			memcpy(tmp, rec, size - off);
			memcpy(tmp + (size - off), data, sz - (size - off));
			rec = tmp;
		}
		if (e->type == PERF_RECORD_SAMPLE) {
			uint32_t raw;

			memcpy(&raw, rec + sizeof(*e), 4);
			if (__builtin_expect(raw != perf_raw_size(r->len) || sizeof(*e) + 4 + raw > sz, 0))
				seq_error(&r->chk, "wrong perf raw sample size", raw, perf_raw_size(r->len));
			check(&r->chk, rec + sizeof(*e) + 4, r->len);
			n++;
		} else if (e->type == PERF_RECORD_LOST) {
			uint64_t l;

			memcpy(&l, rec + sizeof(*e) + 8, 8);
			*lost += l;
		}
		tail += sz;
	}
	__atomic_store_n(&h->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

static void perf_consume(struct run *r)
{
	struct kbpf *k = r->src;
	uint64_t lost = 0;

	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = perf_consume_once(r, k, &lost);

		if (done) {
			while (perf_consume_once(r, k, &lost) > 0)
				;
			break;
		}
		if (n == 0)
			idle(r);
	}
	r->extra = lost;
}

static int run_perf(struct run *r, uint32_t wakeup)
{
	const uint32_t pages = (uint32_t)(RING_SIZE / (size_t)sysconf(_SC_PAGESIZE));
	uint64_t emitted = 0, drops = 0;
	struct kbpf k;
	int refused, err;

	err = kbpf_open_perf(&k, cpus[0], pages, wakeup, r->len, &refused, r->res->why, sizeof(r->res->why));
	if (err) {
		if (!refused)
			r->res->failed = 1; /* why is set */
		return err;
	}
	r->chk.allow_gaps = 1;
	r->src = &k;
	err = harness(r, kernel_produce, perf_consume, NULL);
	if (!err && !r->res->failed) {
		err = kernel_verify(r, &k);
		if (!err && kbpf_counts(&k, &emitted, &drops) == 0) {
			/* LOST records report refused outputs, possibly not all yet */
			if (r->extra > drops)
				seq_error(&r->chk, "perf LOST records report more than the program dropped",
					  r->extra, drops);
			if (emitted && !r->chk.count)
				row_failed(r->res, "every bpf_perf_event_output failed (%llu): producer not on CPU %d?",
					   (unsigned long long)drops, cpus[0]);
		}
	}
	kbpf_close(&k);
	return err;
}

/* Wakeup every SAMPLE_N records (the kernel bench's sampled perfbuf: the
 * nearest to BPF_RB_NO_WAKEUP, which perf has not), or every record (its
 * default). */
static int run_perf_sampled(struct run *r) { return run_perf(r, SAMPLE_N); }
static int run_perf_each(struct run *r) { return run_perf(r, 1); }

/* ---- the rows ---- */

#define KREF_BUSY "kernel nowakeup busy [libbpf]"
#define KREF_POLL "kernel poll [libbpf]"
#define KREF_BACKOFF "kernel nowakeup busy +backoff [libbpf]"

static const struct row rows[] = {
	/* ours */
	{ "ringbuf busy", 0, 0, KREF_BUSY, 1, 0, run_user_busy },
	{ "ringbuf busy, idle policy none", 0, 0, KREF_BUSY, 1, 0, run_user_idle_none },
	{ "ringbuf manager consume busy", 0, 0, KREF_BUSY, 1, 0, run_user_manager_busy },
	{ "ringbuf nowakeup busy", 0, 0, KREF_BUSY, 1, 0, run_user_nowake },
	{ "ringbuf output busy", 0, 0, KREF_BUSY, 1, 0, run_user_output },
	{ "ringbuf 2-producer busy", 0, 0, KREF_BUSY, 2, 0, run_user_busy },
	/* 1 vs 2 producers: ratio against one producer on one ring */
	{ "ringbuf 2-producer split-CPU busy", 0, 0, "ringbuf busy", 2, 0, run_user_busy, 1 },
	{ "sharded 1-producer busy", 0, 0, "ringbuf busy", 1, 0, run_sharded },
	{ "sharded 2-producer busy", 0, 0, "ringbuf busy", 2, 0, run_sharded },
	{ "sharded 2-producer split-CPU busy", 0, 0, "ringbuf busy", 2, 0, run_sharded, 1 },
	{ "ringbuf overwrite busy", 0, 0, KREF_BUSY, 1, 0, run_user_overwrite },
	{ "ringbuf busy +backoff", 1, 0, KREF_BACKOFF, 1, 0, run_user_busy },
	{ "ringbuf poll (manager)", 0, 0, KREF_POLL, 1, 0, run_user_poll },
	{ "ringbuf sampled poll", 0, 0, "kernel sampled poll [libbpf]", 1, 0, run_user_sampled },
	{ "ringbuf back-to-back", 0, 0, "kernel back-to-back", 1, 0, run_user_b2b },
	/* anchors */
	{ KREF_BUSY, 0, 1, NULL, 1, 0, run_k_nowake_libbpf },
	{ KREF_BACKOFF, 1, 1, NULL, 1, 0, run_k_nowake_libbpf },
	{ "kernel nowakeup busy [ringbuf]", 0, 1, NULL, 1, 0, run_k_nowake_ours },
	{ "kernel adaptive busy [libbpf]", 0, 1, NULL, 1, 0, run_k_adaptive_busy },
	{ KREF_POLL, 0, 1, NULL, 1, 0, run_k_poll_libbpf },
	{ "kernel poll [ringbuf manager]", 0, 1, NULL, 1, 0, run_k_poll_ours },
	{ "kernel sampled poll [libbpf]", 0, 1, NULL, 1, 0, run_k_sampled_libbpf },
	{ "kernel back-to-back", 0, 1, NULL, 1, 0, run_k_b2b },
	{ "perfbuf busy [raw mmap]", 0, 1, NULL, 1, 0, run_perf_sampled },
	{ "perfbuf wakeup-each busy [raw mmap]", 0, 1, NULL, 1, 0, run_perf_each },
	{ "mutex+condvar queue", 0, 1, NULL, 1, 0, run_mq },
	{ "pipe", 0, 1, NULL, 1, 0, run_pipe },
	/* latency (24-byte records, one every 20 us; blocking consumer, or busy) */
	{ "latency ringbuf poll", 0, 0, NULL, 1, 1, run_user_lat },
	{ "latency ringbuf busy", 0, 0, NULL, 1, 1, run_user_lat_busy },
	{ "latency ringbuf busy, idle none", 0, 0, NULL, 1, 1, run_user_lat_busy_none },
	{ "latency mutex+condvar", 0, 1, NULL, 1, 1, run_mq_lat },
	{ "latency pipe", 0, 1, NULL, 1, 1, run_pipe_lat },
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
	if (c->producers && rows[i].nprod != c->producers && !rows[i].kernel)
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

		if (!row_selected(c, i) || rows[i].kernel || rows[i].latency)
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
		       RING_SIZE, c->rounds, c->duration, cpus[0], cpus[1]);
	else if (c->csv)
		printf("mode,size,mrec_s,mb_s,ns_rec,drops,ratio,p50_ns,p99_ns,p999_ns,skipped\n");
	else {
		struct utsname u;

		if (uname(&u))
			snprintf(u.release, sizeof(u.release), "?");
		printf("ringbuf bench: libringbuf %s, Linux %s, %ld CPUs; %d round(s), median shown; "
		       "ring %u KiB; producer CPU %d, consumer CPU %d\n", ringbuf_version(), u.release,
		       sysconf(_SC_NPROCESSORS_ONLN), c->rounds, RING_SIZE >> 10, cpus[0], cpus[1]);
		printf("%-38s %6s %9s %9s %8s %10s %8s\n", "mode", "size", "M rec/s", "MB/s", "ns/rec",
		       "drops", "vs kernel");
	}
	for (size_t i = 0; i < NROWS; i++) {
		if (!row_selected(c, i) || rows[i].latency)
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
		if (row_selected(c, i) && rows[i].latency)
			any_lat = 1;
	if (!c->json && !c->csv && any_lat)
		printf("\n%-38s %6s %9s %9s %9s\n", "latency (commit to callback)", "size", "p50 ns",
		       "p99 ns", "p999 ns");
	for (size_t i = 0; i < NROWS; i++) {
		if (!row_selected(c, i) || !rows[i].latency)
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
		if (!row_selected(c, i) || rows[i].latency)
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			summarize(c, i, s, &sm);
			if (sm.skipped || sm.failed)
				continue;
			bars[n++] = (struct svg_bar){ rows[i].name, s, sm.mrps };
		}
	}
	snprintf(title, sizeof(title), "ringbuf bench: libringbuf %s, %d round(s), median; producer CPU %d, consumer CPU %d",
		 ringbuf_version(), c->rounds, cpus[0], cpus[1]);
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
		     rows[i].name, rows[i].latency ? (size_t)LAT_LEN : c->sizes[s]);
	r->row = &rows[i];
	r->len = c->sizes[s];
	r->nprod = rows[i].nprod;
	r->dur_ns = (uint64_t)(per_run * 1e9);
	r->res = res;
	r->chk.row = rows[i].name;
	r->chk.len = r->len;
	r->chk.nprod = r->nprod;
	err = rows[i].run(r);
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
			idle_spins = (int)strtol(optarg, &end, 10);
			if (*end || idle_spins < 0 || idle_spins > 100000)
				return cli_usage(argv[0], "invalid idle spins '%s'", optarg);
			break;
		case 'N': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 1000000)
				return cli_usage(argv[0], "invalid idle spin '%s' (ns, 1..1000000)", optarg);
			idle_spin_ns = (uint32_t)v;
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
	find_cpus();
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < NROWS; i++)
		if (row_selected(&c, i))
			nsel += rows[i].latency ? 1 : c.nsizes;
	/* The ftrace reader rows (bench/ftrace.c): their own table, after the
	 * main one; not in JSON. */
	int ftrace = !c.json && !c.producers && bench_ftrace_selected(c.filter);
	int ft_rounds = rounds_set ? c.rounds : quick ? 1 : 5;
	double ft_mib = quick ? 1 : 8;

	if (!nsel && !ftrace)
		return cli_usage(argv[0], "no row matches the filter");
	if (!nsel) {
		bench_ftrace(c.filter, ft_rounds, ft_mib, c.csv, cpus);
		return cli_flush(stdout) ? cli_output_failed(argv[0]) : CLI_EXIT_OK;
	}
	total = nsel * c.rounds;
	/* Latency rows run a fixed 100k records at most (2 s); the others
	 * share the rest of the time. */
	per_run = c.duration / total;
	if (per_run < 0.02)
		per_run = 0.02;

	double busy0 = bench_machine_busy_s(), self0 = bench_self_cpu_s(), wall0 = (double)now_ns() / 1e9;

	/* Interleave: in each round, for each size, ours and anchors alternate. */
	for (int round = 0; round < c.rounds; round++) {
		for (int s = 0; s < c.nsizes; s++) {
			size_t ours[NROWS], anch[NROWS], no = 0, na = 0;

			for (size_t i = 0; i < NROWS; i++) {
				if (!row_selected(&c, i) || rows[i].latency)
					continue;
				if (rows[i].kernel)
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
			if (row_selected(&c, i) && rows[i].latency)
				one(&c, i, 0, round, per_run, &done, total);
	}
	cli_progress_done();
	if (busy0 >= 0) {
		double wall = (double)now_ns() / 1e9 - wall0;
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
		bench_ftrace(c.filter, ft_rounds, ft_mib, c.csv, cpus);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return any_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
