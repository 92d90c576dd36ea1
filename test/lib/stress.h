/* SPDX-License-Identifier: MIT */
/* One stress body for every mode: N producer threads write self-checking
 * records of random sizes, discarding some at random; one consumer checks
 * that nothing is lost, duplicated, reordered per producer or corrupted, and
 * that no discarded record is ever delivered. In overwrite mode, gaps are
 * allowed but each must be counted in the ring's overwritten_records. */
#ifndef STRESS_H
#define STRESS_H

#include <stddef.h>
#include <stdint.h>

struct ringbuf;
struct ringbuf_consumer;

/* What the stress produces into and consumes from when it is not one plain
 * ring (e.g. a sharded object): the same checks over other calls. */
struct stress_target {
	void *obj;
	void *(*reserve)(void *obj, size_t len);
	void (*commit)(void *obj, void *rec, uint64_t flags, int discard);
	int (*output)(void *obj, const void *data, size_t len, uint64_t flags);
	int (*consume)(void *obj, int (*fn)(void *, void *, size_t), void *ctx);
	int (*add)(struct ringbuf_consumer *c, void *obj, int (*fn)(void *, void *, size_t),
		   void *ctx);                 /* STRESS_MANAGER */
	uint64_t (*avail)(void *obj);          /* bytes not yet consumed */
	/* n records of len bytes with one claim (ringbuf_reserve_batch's
	 * convention: 0 or -errno); NULL when the target has none. */
	int (*reserve_batch)(void *obj, size_t len, unsigned int n, void **recs);
	/* Called by each producer before each record (e.g. to migrate). */
	void (*before_record)(void *obj, uint32_t producer, long seq);
	/* Called by the consumer after each consume call that delivered. */
	void (*after_consume)(void *obj);
};

enum stress_consumer {
	STRESS_BUSY,      /* ringbuf_consume in a loop */
	STRESS_BLOCKING,  /* only ever ringbuf_poll(-1): proves no lost wakeups */
	STRESS_MANAGER,   /* only ever ringbuf_consumer_poll(-1), rb beside an
			   * idle second ring: the same through the manager */
	STRESS_HOLD,      /* ringbuf_consume_hold in a loop, releasing all but
			   * the newest few held records after each call (an
			   * acknowledgement lag): the freed space is reused
			   * while the held records must stay intact */
	STRESS_MANAGER_BUSY, /* ringbuf_consumer_consume in a loop, rb beside
			      * an idle second ring */
};

struct stress_cfg {
	int producers;
	long records_per_producer;
	size_t min_size, max_size;     /* payload bytes, >= sizeof(struct test_rec) */
	int discard_pct;               /* 0..100 */
	int use_output;                /* ringbuf_output instead of reserve+submit */
	uint64_t commit_flags;         /* e.g. RINGBUF_NO_WAKEUP */
	enum stress_consumer consumer;
	int watchdog_s;                /* fail (not hang) after this long */
	/* The consumer's idle policy (ringbuf_set_idle on rb, or
	 * ringbuf_consumer_set_idle in the manager modes); NULL: default. */
	const struct ringbuf_idle_opts *idle;
	int overwrite;                 /* rb is RINGBUF_F_OVERWRITE: records may be
					* overwritten before they are read; every
					* one must then be counted as such, and
					* what arrives is still whole and in order */
	const struct stress_target *target; /* NULL: the rb given to stress_run */
	unsigned int batch;            /* > 1: producers 0, 2, 4.. reserve up to this
					* many records of one size per call
					* (reserve_batch; halved on E2BIG) and
					* commit them in a shuffled order; the
					* others one at a time. At most
					* STRESS_MAX_BATCH */
	int unordered;                 /* a producer's records may arrive out of
					* order (they went to several rings):
					* check exactly once, not order */
};

#define STRESS_MAX_BATCH 64

struct stress_result {
	uint64_t delivered, discarded, enospc;
	uint64_t overwritten;          /* overwrite mode: records lost to it */
};

/* Runs the stress on rb (which the caller created), or on cfg->target when
 * set (rb NULL); exits the process with a message on any violation. */
void stress_run(struct ringbuf *rb, const struct stress_cfg *cfg, struct stress_result *res);

#endif
