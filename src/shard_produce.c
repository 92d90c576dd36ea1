// SPDX-License-Identifier: MIT
/*
 * Sharded rings, the producer side: N full MPSC rings used as one object,
 * the user-space form of the kernel's array of ring buffers
 * (docs/DESIGN.md, "Sharded rings"; the object is in shard.h).
 *
 * Producers. Each reservation goes to one shard, chosen from the CPU the
 * thread runs on (sched_getcpu(), which glibc answers from the rseq area) or
 * from the thread's number. Nothing else is shared between shards, so two
 * producers on two CPUs never touch the same cache line. A producer that
 * migrates between choosing and claiming just writes into the shard it
 * chose: every shard is a full MPSC ring, correct for any number of
 * producers on any CPUs; migration costs only locality.
 *
 * Submit and discard find the shard from the sample's address: every
 * shard's data area is its own mapping. A per-thread cache of the last
 * shard reserved from answers the common case without a search.
 *
 * Keys (RINGBUF_SHARDED_F_STAMP). Each record carries a u64 key in front of
 * the payload: CLOCK_MONOTONIC read before the reservation's claim, or the
 * caller's. Read-before-claim means: when a producer's record A is
 * reserved before its record B, key(A) < claim(A) < key(B), so a merge by
 * key keeps one producer's records in order even across shards (proof in
 * DESIGN.md). Within one shard, keys may go backwards (a producer preempted
 * between its clock read and its claim); the merge orders by the effective
 * key max(key, previous effective key of the shard), which never reorders a
 * shard, and hands that key to ringbuf_sharded_key().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "shard.h"

/* ---- choosing a shard ---- */

/* The thread's number: this process's pid plus the order in which its
 * threads first produced, so the threads of one process take consecutive
 * shards and processes start at different ones. A fork child numbers its
 * threads again. */
static unsigned int thread_count;
static __thread uint32_t thread_no, thread_no_pid;

static unsigned int my_thread_no(void)
{
	if (rb_unlikely(thread_no_pid != rb_self_pid)) {
		/* [K1] relaxed: only uniqueness matters, nothing is published */
		thread_no = rb_self_pid + rb_fetch_add_relaxed(&thread_count, 1);
		thread_no_pid = rb_self_pid;
	}
	return thread_no;
}

static unsigned int pick_shard_of_many(const struct ringbuf_sharded *s)
{
	int cpu;

	if (s->shard_by == RINGBUF_SHARD_BY_THREAD)
		return my_thread_no() % s->n;
	cpu = sched_getcpu();
	return cpu < 0 ? my_thread_no() % s->n : (unsigned int)cpu % s->n;
}

/* Inline, and the one-shard case without a call: every record pays for
 * whatever is here (bench: "sharded 1 producer / ring 1 producer"). */
static inline unsigned int pick_shard(const struct ringbuf_sharded *s)
{
	return rb_likely(s->n == 1) ? 0 : pick_shard_of_many(s);
}

int ringbuf_sharded_current(const struct ringbuf_sharded *s)
{
	return s ? (int)pick_shard(s) : -EINVAL;
}

/* ---- producing ---- */

/* The shard this thread last reserved in, by value: the object's id and
 * the shard's data range, so that finding a sample's shard reads no
 * memory but this thread's own, and a cache left behind by a freed object
 * (whose id no live object has) is never followed. */
static __thread struct {
	uint64_t id;
	const uint8_t *lo, *hi;
	struct ringbuf *rb;
} last;

static void remember(const struct ringbuf_sharded *s, struct ringbuf *rb)
{
	if (rb_likely(last.rb == rb && last.id == s->id))
		return;
	last.id = s->id;
	last.rb = rb;
	last.lo = rb->data;
	last.hi = rb->data + 2 * rb->size;
}

static inline int in_ring(const struct ringbuf *rb, const void *p)
{
	const uint8_t *b = p;

	return b >= rb->data && b < rb->data + 2 * rb->size;
}

static struct ringbuf *search_owner(const struct ringbuf_sharded *s, const void *p)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (in_ring(s->shards[i], p))
			return s->shards[i];
	return NULL;
}

static inline struct ringbuf *owner_of(const struct ringbuf_sharded *s, const void *p)
{
	const uint8_t *b = p;

	if (rb_likely(last.id == s->id && b >= last.lo && b < last.hi))
		return last.rb;
	return search_owner(s, p);
}

static void *refuse(int err)
{
	rb_clear_detail();
	errno = err;
	return NULL;
}

static inline void *reserve_plain(struct ringbuf_sharded *s, size_t size)
{
	struct ringbuf *rb = s->shards[pick_shard(s)];
	void *p = ringbuf_reserve(rb, size, 0);

	if (rb_likely(p != NULL))
		remember(s, rb);
	return p;
}

static void *reserve_keyed(struct ringbuf_sharded *s, size_t size, uint64_t key, int have_key)
{
	struct ringbuf *rb;
	uint64_t *p;

	if (!(s->flags & RINGBUF_SHARDED_F_STAMP))
		return reserve_plain(s, size);
	if (size > RINGBUF_MAX_RECORD_SZ - KEY_SZ)
		return refuse(E2BIG);
	/* The clock before the claim (see the top of this file). */
	if (!have_key)
		key = rb_now_ns();
	rb = s->shards[pick_shard(s)];
	p = ringbuf_reserve(rb, size + KEY_SZ, 0);
	if (!p)
		return NULL;
	*p = key;  /* our own record until submit publishes it [P4] */
	remember(s, rb);
	return p + 1;
}

void *ringbuf_sharded_reserve(struct ringbuf_sharded *s, size_t size, uint64_t flags)
{
	/* As ringbuf_reserve: the hot path leaves the error detail alone,
	 * every failure clears it. */
	if (rb_unlikely(!s || flags))
		return refuse(EINVAL);
	if (rb_unlikely(!(s->role & RINGBUF_PRODUCER)))
		return refuse(EPERM);
	if (rb_likely(!(s->flags & RINGBUF_SHARDED_F_STAMP)))
		return reserve_plain(s, size);
	return reserve_keyed(s, size, 0, 0);
}

/* n records in the shard this thread would reserve one in, with one claim
 * (ringbuf_reserve_batch). Stamped: one clock read before the claim keys
 * all n, so key(A) <= claim <= key(B) still holds across batches, and the
 * records of one batch, equal keys in one shard, keep their ring order in a
 * merge (its sort breaks ties by staging order). */
int ringbuf_sharded_reserve_batch(struct ringbuf_sharded *s, size_t size, unsigned int n,
				  void **samples, uint64_t flags)
{
	int stamp, err;
	uint64_t key = 0;
	struct ringbuf *rb;

	rb_clear_detail();
	if (!s || flags)
		return rb_api_ret(rb_detail(EINVAL, "reserve_batch: %s",
					    !s ? "no sharded object" : "flags must be 0"));
	if (!(s->role & RINGBUF_PRODUCER))
		return rb_api_ret(rb_detail(EPERM, "reserve_batch: this handle is not a producer"));
	stamp = !!(s->flags & RINGBUF_SHARDED_F_STAMP);
	if (stamp) {
		if (size > RINGBUF_MAX_RECORD_SZ - KEY_SZ)
			return rb_api_ret(rb_detail(E2BIG, "reserve_batch: %zu bytes and a key "
						    "exceed a record", size));
		key = rb_now_ns();
	}
	rb = s->shards[pick_shard(s)];
	err = ringbuf_reserve_batch(rb, size + (stamp ? KEY_SZ : 0), n, samples, 0);
	if (err)
		return err; /* errno and the detail are set */
	remember(s, rb);
	if (stamp)
		for (unsigned int i = 0; i < n; i++) {
			uint64_t *p = samples[i];

			*p = key;  /* our own record until submit publishes it [P4] */
			samples[i] = p + 1;
		}
	return 0;
}

/* Submit or discard: the sample's shard found from its address; a pointer
 * that is no record of this object is ignored, like a NULL sample. Inline:
 * submit is on every record's path. */
static inline void commit(struct ringbuf_sharded *s, void *sample, uint64_t flags, int discard)
{
	struct ringbuf *rb;

	if (rb_unlikely(!s || !sample))
		return;
	if (s->flags & RINGBUF_SHARDED_F_STAMP)
		sample = (uint8_t *)sample - KEY_SZ;
	rb = owner_of(s, sample);
	if (!rb)
		return;
	if (discard)
		ringbuf_discard(rb, sample, flags);
	else
		ringbuf_submit(rb, sample, flags);
}

void ringbuf_sharded_submit(struct ringbuf_sharded *s, void *sample, uint64_t flags)
{
	commit(s, sample, flags, 0);
}

void ringbuf_sharded_discard(struct ringbuf_sharded *s, void *sample, uint64_t flags)
{
	commit(s, sample, flags, 1);
}

static int output(struct ringbuf_sharded *s, uint64_t key, int have_key, const void *data,
		  size_t size, uint64_t flags)
{
	void *p;

	/* The hot path leaves the error detail alone (as ringbuf_output). */
	if (!s || (flags & ~(RINGBUF_NO_WAKEUP | RINGBUF_FORCE_WAKEUP)) || (size && !data)) {
		rb_clear_detail();
		return -EINVAL;
	}
	if (!(s->role & RINGBUF_PRODUCER)) {
		rb_clear_detail();
		return -EPERM;
	}
	p = reserve_keyed(s, size, key, have_key);
	if (!p)
		return -errno;
	if (size)
		memcpy(p, data, size);
	commit(s, p, flags, 0);
	return 0;
}

int ringbuf_sharded_output(struct ringbuf_sharded *s, const void *data, size_t size, uint64_t flags)
{
	return output(s, 0, 0, data, size, flags);
}

int ringbuf_sharded_output_key(struct ringbuf_sharded *s, uint64_t key, const void *data,
			       size_t size, uint64_t flags)
{
	if (s && !(s->flags & RINGBUF_SHARDED_F_STAMP)) {
		rb_clear_detail();
		return -EINVAL;
	}
	return output(s, key, 1, data, size, flags);
}

uint64_t ringbuf_sharded_key(const void *data)
{
	uint64_t k;

	if (!data)
		return 0;
	memcpy(&k, (const uint8_t *)data - KEY_SZ, sizeof(k));
	return k;
}
