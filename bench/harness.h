/* SPDX-License-Identifier: MIT */
/*
 * ringbuf bench: one measurement. A row (rows.c) names a transport and how
 * to drive it; the harness (harness.c) runs the transport's producers and
 * its consumer on their CPUs for the row's time and checks every record.
 *
 *	transport     file            what moves the records
 *	user_ring     user_ring.c     a ring of ours
 *	sharded       sharded.c       our sharded object, one shard per producer
 *	kernel_ring   kernel_ring.c   BPF_MAP_TYPE_RINGBUF written by a BPF program
 *	perf_buffer   perf_buffer.c   a perf event ring written by a BPF program
 *	mutex_queue   mutex_queue.c   a byte queue under a mutex and condvars
 *	pipe_fifo     pipe.c          a pipe, one write per record
 *	spsc_floor    floor.c         the least a ring of this shape does (anchor)
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ringbuf.h>

#include "bench.h"

#define RING_SIZE   (1u << 20)
#define MAX_PROD    2
#define SAMPLE_N    500     /* sampled rows: FORCE_WAKEUP every N records */
#define B2B_BATCH   500     /* back-to-back: records per produce/consume turn */
#define LAT_MAX     100000  /* latency rows: at most this many records, */
#define LAT_GAP     20000   /* one every LAT_GAP ns, */
#define LAT_LEN     24      /* of {stamp, time, stamp} */
/* The "+backoff" rows: ~7 us (256 pauses of 27 ns on the AMD EPYC of
 * these machines), so the consumer reads what arrived meanwhile in bulk
 * instead of chasing the producer record by record. */
#define BACKOFF_SPINS 256

/* ---- the rows ---- */

enum row_kind {
	ROW_STREAM,          /* producers and a consumer on two CPUs: M records/s */
	ROW_BACK_TO_BACK,    /* one thread on one CPU, B2B_BATCH at a time */
	ROW_LATENCY,         /* paced records, commit to callback: p50/p99/p999 */
};

enum consumer_kind {
	CONSUME_BUSY,        /* a consume loop that never sleeps */
	CONSUME_POLL,        /* sleep in poll (our manager, libbpf) */
	CONSUME_MANAGER_BUSY,/* the manager's consume in a loop */
};

enum wakeup_kind {
	WAKE_EACH,           /* the default: every commit may wake */
	WAKE_NONE,           /* NO_WAKEUP */
	WAKE_SAMPLED,        /* NO_WAKEUP, FORCE_WAKEUP every SAMPLE_N (perf:
			      * a wakeup every SAMPLE_N records) */
};

struct transport;

struct row {
	const char *name;
	const struct transport *t;
	enum row_kind kind;
	int anchor;          /* not ours: what we compare to */
	const char *ref;     /* ours: the row whose rate "vs kernel" divides by */
	int producers;       /* 0: 1 */
	int split;           /* producer i on CPU i % 2 instead of all on the
			      * producer CPU (2 CPUs: one shares the consumer's) */
	int backoff;         /* busy consumers back off BACKOFF_SPINS when idle */
	enum consumer_kind consume;
	enum wakeup_kind wake;
	int output;          /* user ring: ringbuf_output, not reserve + submit */
	int overwrite;       /* user ring: RINGBUF_F_OVERWRITE */
	int batch;           /* user ring: the producer reserves this many
			      * records per ringbuf_reserve_batch call (0: one
			      * ringbuf_reserve per record) */
	int idle_none;       /* user ring: the consumer's idle policy
			      * RINGBUF_IDLE_NONE (a consume that found nothing
			      * returns at once: the library before the policies) */
	int libbpf;          /* kernel ring: libbpf's ring_buffer reads it */
};

static inline int row_producers(const struct row *w)
{
	return w->producers ? w->producers : 1;
}

/* ---- one measurement ---- */

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

struct checker {
	const char *row;
	size_t len;
	int nprod;
	int allow_gaps;
	uint64_t expect[MAX_PROD];
	uint64_t count, gaps;
	_Atomic uint64_t last_ns;    /* time of the last record seen */
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
	void *src;            /* the transport's (ring, queue, pipe, ...) */
	uint64_t extra;       /* the transport's */
	void *aux;            /* latency rows: the samples */
	struct result *res;
};

/* ---- the transport interface ----
 * open: before the clock starts; r->src. 0, or a negative errno with
 *       res->why: the row is skipped (res->failed set: it failed).
 * produce (one per producer thread), consume: the timed part; they stop
 *       when r->stop is set (producers) and when r->prod_done is set and
 *       nothing is left (the consumer).
 * after_stop (optional): the producers have stopped; unblock the consumer.
 * finish (optional): after a measured run (verify counts, read stats).
 * close: undo open.
 * put: latency rows, one LAT_LEN record (0, or nonzero to retry).
 * lat_consume: latency rows, the consumer, records to lat_cb.
 * back_to_back: a whole ROW_BACK_TO_BACK row, opening and closing itself. */
struct transport {
	int  (*open)(struct run *r);
	void (*produce)(struct run *r, int id);
	void (*consume)(struct run *r);
	void (*after_stop)(struct run *r);
	int  (*finish)(struct run *r);
	void (*close)(struct run *r);
	int  (*put)(struct run *r, const void *rec);
	void (*lat_consume)(struct run *r);
	int  (*back_to_back)(struct run *r);
};

extern const struct transport user_ring, sharded, kernel_ring, perf_buffer, mutex_queue, pipe_fifo,
	spsc_floor;

/* Run row r->row (r's len, nprod, dur_ns, res and chk set); the result in
 * r->res. 0, or a negative errno: skipped (res->why says why). */
int run_row(struct run *r);

/* ---- what the transports share (harness.c) ---- */

extern int bench_cpus[2];       /* producer CPU, consumer CPU (-1: unpinned) */
extern int bench_idle_spins;    /* --idle-spins */
extern uint32_t bench_idle_spin_ns;  /* --idle-spin-ns (0: the library's) */
extern uint8_t bench_body[65536];    /* what producers copy into record bodies */

void bench_find_cpus(void);

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* What a busy consumer does when a consume call found nothing: spin a
 * little before looking again (every busy loop, ours and the anchors'). */
void idle(const struct run *r);

/* A failing call ends the row: it is reported as FAILED (not as a rate)
 * and the run exits with status 1. */
void row_failed(struct result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The consumer's stalls at uncommitted records (st: the handle that
 * consumed), per second of the row, into r->res. */
void report_stalls(struct run *r, const struct ringbuf_stats *st);

/* The kernel transports (kernel_ring.c; perf_buffer.c uses them too):
 * the end of the open, the BPF program's thread, the check that every
 * record emitted was delivered or counted as dropped (drops in r->res),
 * and the close. */
struct kbpf;
int kernel_opened(struct run *r, struct kbpf *k, int err, int refused);
void kernel_produce(struct run *r, int id);
int kernel_verify(struct run *r);
void kernel_close(struct run *r);

/* ---- records and their checks ----
 * Every record carries (producer << 56 | sequence) in its first 8 bytes
 * and again in its last 8 (records of 16 bytes or more). */

static inline void rec_fill(void *p, size_t len, uint64_t w)
{
	uint8_t *b = p;

	memcpy(b, &w, 8);
	if (len >= 16) {
		memcpy(b + 8, bench_body, len - 16);
		memcpy(b + len - 8, &w, 8);
	}
}

/* A wrong record: say which and where, exit 1 (no result is reported). */
__attribute__((noreturn, cold)) void seq_error(struct checker *c, const char *what,
					       uint64_t got, uint64_t want);

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

/* A back-to-back row's loop, one thread on the producer CPU: B2B_BATCH
 * records reserved, filled and submitted, then one consume, until the
 * row's time is up; the rate into r->res, a failing consume ends the row.
 * Always inlined with the transport's own functions as arguments, so the
 * calls per record stay direct ones (the row measures them). */
typedef void *(*b2b_reserve_fn)(void *obj, size_t len);
typedef void (*b2b_submit_fn)(void *obj, void *p);
typedef int (*b2b_consume_fn)(void *obj, struct checker *chk);

static inline __attribute__((always_inline)) void
b2b_loop(struct run *r, void *obj, b2b_reserve_fn reserve, b2b_submit_fn submit,
	 b2b_consume_fn consume, const char *consume_name)
{
	uint64_t seq = 0, end;

	bench_pin(bench_cpus[0]);
	r->t0 = bench_now_ns();
	end = r->t0 + r->dur_ns;
	do {
		for (int k = 0; k < B2B_BATCH; k++) {
			void *p = reserve(obj, r->len);

			if (!p)
				break;
			rec_fill(p, r->len, seq++);
			submit(obj, p);
		}
		int n = consume(obj, &r->chk);

		if (n < 0) {
			row_failed(r->res, "%s: %s", consume_name, strerror(-n));
			break;
		}
	} while (bench_now_ns() < end);
	r->res->mrps = (double)r->chk.count / (double)(bench_now_ns() - r->t0) * 1e3;
}

/* check() as a ringbuf_sample_fn; ctx: the checker. */
int check_cb(void *ctx, void *data, size_t len);
/* Latency rows: check, then take the sample; ctx: r->aux. */
int lat_cb(void *ctx, void *data, size_t len);

#endif
