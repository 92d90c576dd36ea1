// SPDX-License-Identifier: MIT
/*
 * Sharded rings, the consumer side: consume shard after shard, or merged
 * by key; the idle policy, stats and the shard accessors.
 *
 * Merge. Records present when a merged consume starts are copied out of
 * every shard (the rings are released at once: producers never wait for a
 * slow merge), sorted by (effective key, shard, position), and delivered
 * from the copy. A callback error stops delivery; the rest of the copy is
 * delivered first by the next call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

/* ---- consuming ---- */

struct strip {
	ringbuf_sample_fn fn;
	void *ctx;
	struct ringbuf *rb;
};

/* A stamped record shorter than its key was not written by us. */
static int strip_key(void *ctx, void *data, size_t size)
{
	struct strip *k = ctx;

	if (size < KEY_SZ) {
		RB_STAT(k->rb, corrupt_events, 1);
		return 0;
	}
	return k->fn(k->ctx, (uint8_t *)data + KEY_SZ, size - KEY_SZ);
}

static int capped(size_t n)
{
	return n > INT_MAX ? INT_MAX : (int)n;
}

static int consume_plain(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	size_t done = 0;
	unsigned int first = s->next;

	/* Start one shard further each call, so a bounded consume_n does not
	 * always favour shard 0. */
	s->next = s->n > 1 ? (first + 1) % s->n : 0;
	for (unsigned int k = 0; k < s->n && done < n; k++) {
		struct ringbuf *rb = s->shards[(first + k) % s->n];
		struct strip st = { fn, ctx, rb };
		int ret;

		if (s->flags & RINGBUF_SHARDED_F_STAMP)
			ret = rb_consume(rb, strip_key, &st, n - done);
		else
			ret = rb_consume(rb, fn, ctx, n - done);
		if (ret < 0)
			return ret;
		done += (size_t)ret;
	}
	return capped(done);
}

struct stage_ctx {
	struct ringbuf_sharded *s;
	uint32_t shard;
};

static int stage_one(void *ctx, void *data, size_t size)
{
	struct stage_ctx *c = ctx;
	struct ringbuf_sharded *s = c->s;
	size_t need = (size + 7) & ~(size_t)7;
	struct staged *e;
	uint64_t key;

	if (size < KEY_SZ) {
		RB_STAT(s->shards[c->shard], corrupt_events, 1);
		return 0;
	}
	if (s->buf_len + need > s->buf_cap) {
		size_t cap = s->buf_cap ? s->buf_cap : 65536;
		uint8_t *b;

		while (cap < s->buf_len + need)
			cap *= 2;
		b = realloc(s->buf, cap);
		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->buf_cap = cap;
	}
	if (s->nst == s->st_cap) {
		size_t cap = s->st_cap ? s->st_cap * 2 : 1024;
		struct staged *p = realloc(s->st, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->st = p;
		s->st_cap = cap;
	}
	memcpy(s->buf + s->buf_len, data, size);
	memcpy(&key, s->buf + s->buf_len, sizeof(key));
	/* The effective key: never below the shard's previous one. */
	if (key < s->last_key[c->shard])
		key = s->last_key[c->shard];
	s->last_key[c->shard] = key;
	memcpy(s->buf + s->buf_len, &key, sizeof(key));
	e = &s->st[s->nst++];
	e->key = key;
	e->off = s->buf_len;
	e->len = (uint32_t)(size - KEY_SZ);
	e->shard = c->shard;
	e->seq = s->seq++;
	s->buf_len += need;
	return 0;
}

static int cmp_staged(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int consume_merged(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	size_t done = 0;

	if (!(s->flags & RINGBUF_SHARDED_F_STAMP))
		return -EINVAL;
	if (s->st_next == s->nst) {
		/* Nothing left from the last call: take what is there now. */
		s->nst = s->st_next = s->buf_len = 0;
		for (unsigned int i = 0; i < s->n; i++) {
			struct stage_ctx c = { s, i };
			int ret = rb_consume(s->shards[i], stage_one, &c, SIZE_MAX);

			if (ret < 0)
				return ret; /* -ENOMEM or garbage: staged ones stay */
		}
		/* Not with nothing staged: s->st is NULL until the first
		 * record, and qsort's base must not be NULL even for 0. */
		if (s->nst > 1)
			qsort(s->st, s->nst, sizeof(*s->st), cmp_staged);
	}
	while (s->st_next < s->nst && done < n) {
		struct staged *e = &s->st[s->st_next++];
		int ret = fn(ctx, s->buf + e->off + KEY_SZ, e->len);

		if (ret < 0)
			return ret; /* counts as consumed, like every consume */
		done++;
	}
	return capped(done);
}

int ringbuf_sharded_consume_n(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx,
			      size_t n, uint64_t flags)
{
	rb_clear_detail();
	if (!s || !fn || (flags & ~RINGBUF_SHARDED_MERGE))
		return -EINVAL;
	if (!(s->role & RINGBUF_CONSUMER))
		return -EPERM;
	if (!n)
		return 0;
	for (int looked = 0;; looked = 1) {
		int ret = flags & RINGBUF_SHARDED_MERGE ? consume_merged(s, fn, ctx, n)
							: consume_plain(s, fn, ctx, n);

		/* Found nothing in any shard: one wait by the idle policy for
		 * all of them (as ringbuf_consume), then one more look. */
		if (ret == 0 && !looked && rb_idle_wait(&s->idle))
			continue;
		if (ret != 0)
			rb_idle_end(&s->idle);
		return ret;
	}
}

int ringbuf_sharded_set_idle(struct ringbuf_sharded *s, const struct ringbuf_idle_opts *opts)
{
	rb_clear_detail();
	if (!s)
		return rb_api_ret(-EINVAL);
	return rb_api_ret(rb_idle_set(&s->idle, opts));
}

int ringbuf_sharded_consume(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx,
			    uint64_t flags)
{
	return ringbuf_sharded_consume_n(s, fn, ctx, SIZE_MAX, flags);
}

int ringbuf_sharded_get_stats(const struct ringbuf_sharded *s, struct ringbuf_stats *st)
{
	struct ringbuf_stats sum, one;
	size_t n;

	rb_clear_detail();
	if (!s || !st || st->sz < sizeof(size_t))
		return -EINVAL;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int i = 0; i < s->n; i++) {
		one.sz = sizeof(one);
		if (ringbuf_get_stats(s->shards[i], &one))
			continue;
		for (size_t off = offsetof(struct ringbuf_stats, delivered_records);
		     off < sizeof(sum); off += sizeof(uint64_t))
			*(uint64_t *)(void *)((uint8_t *)&sum + off) +=
				*(uint64_t *)(void *)((uint8_t *)&one + off);
	}
	sum.sz = sizeof(sum);
	n = st->sz < sizeof(sum) ? st->sz : sizeof(sum);
	memcpy((uint8_t *)st + sizeof(size_t), (uint8_t *)&sum + sizeof(size_t), n - sizeof(size_t));
	return 0;
}

int ringbuf_sharded_shard_cnt(const struct ringbuf_sharded *s)
{
	return s ? (int)s->n : -EINVAL;
}

struct ringbuf *ringbuf_sharded_shard(const struct ringbuf_sharded *s, unsigned int idx)
{
	rb_clear_detail();
	if (!s)
		return rb_api_ptr(-EINVAL, NULL);
	if (idx >= s->n)
		return rb_api_ptr(-ENOENT, NULL);
	return rb_api_ptr(0, s->shards[idx]);
}
