// SPDX-License-Identifier: MIT
/*
 * Sharded rings: N full MPSC rings used as one object, the user-space form
 * of the kernel's array of ring buffers (docs/DESIGN.md, "Sharded rings").
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
 *
 * Merge. Records present when a merged consume starts are copied out of
 * every shard (the rings are released at once: producers never wait for a
 * slow merge), sorted by (effective key, shard, position), and delivered
 * from the copy. A callback error stops delivery; the rest of the copy is
 * delivered first by the next call.
 *
 * Named objects. A small header file under the name (ringbuf_format.h,
 * struct ringbuf_sharded_header) and one named ring per shard, NAME.sN, each
 * created and opened by ringbuf_create/ringbuf_open with all their checks.
 * The header records each shard's creation time, so an opener never mixes in
 * a stale ring of the same name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define KEY_SZ sizeof(uint64_t)
#define RB_LINE 64 /* cache line */

struct staged {
	uint64_t key;      /* effective key */
	size_t off;        /* in buf: the key, then the payload */
	uint32_t len;      /* payload bytes */
	uint32_t shard;
	uint64_t seq;      /* staging order: ties keep shard order */
};

struct ringbuf_sharded {
	struct ringbuf **shards;
	unsigned int n;
	uint32_t flags;         /* RINGBUF_SHARDED_F_* */
	uint32_t shard_by;      /* RINGBUF_SHARD_BY_* */
	int role;
	int epfd;               /* epoll over every shard's fd (manager) */

	/* Everything above (and the shards array) is read by every producer
	 * and written only while the object is made. The consumer writes
	 * what follows on every call: lines of their own (the object and
	 * both arrays are allocated on line boundaries, see alloc_sharded),
	 * or each consume would pull the line producers read on every
	 * reservation away from them. */
	_Alignas(RB_LINE) unsigned int next; /* consume: the shard to start with */
	struct rb_idle idle;    /* ringbuf_sharded_consume's idle policy */

	/* Merge, consumer-private. */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	struct staged *st;
	size_t nst, st_cap, st_next;
	uint64_t *last_key;     /* per shard: last effective key */
	uint64_t seq;
};

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

static unsigned int pick_shard(const struct ringbuf_sharded *s)
{
	int cpu;

	if (s->n == 1)
		return 0;
	if (s->shard_by == RINGBUF_SHARD_BY_THREAD)
		return my_thread_no() % s->n;
	cpu = sched_getcpu();
	return cpu < 0 ? my_thread_no() % s->n : (unsigned int)cpu % s->n;
}

int ringbuf_sharded_current(const struct ringbuf_sharded *s)
{
	return s ? (int)pick_shard(s) : -EINVAL;
}

/* ---- producing ---- */

static __thread struct ringbuf *last_rb;

static int in_ring(const struct ringbuf *rb, const void *p)
{
	const uint8_t *b = p;

	return rb && b >= rb->data && b < rb->data + 2 * rb->size;
}

static struct ringbuf *owner_of(const struct ringbuf_sharded *s, const void *p)
{
	if (in_ring(last_rb, p))
		return last_rb;
	for (unsigned int i = 0; i < s->n; i++)
		if (in_ring(s->shards[i], p))
			return s->shards[i];
	return NULL;
}

static void *refuse(int err)
{
	rb_clear_detail();
	errno = err;
	return NULL;
}

static void *reserve_keyed(struct ringbuf_sharded *s, size_t size, uint64_t key, int have_key)
{
	struct ringbuf *rb;
	uint64_t *p;

	if (!(s->flags & RINGBUF_SHARDED_F_STAMP)) {
		rb = s->shards[pick_shard(s)];
		p = ringbuf_reserve(rb, size, 0);
		if (p)
			last_rb = rb;
		return p;
	}
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
	last_rb = rb;
	return p + 1;
}

void *ringbuf_sharded_reserve(struct ringbuf_sharded *s, size_t size, uint64_t flags)
{
	/* As ringbuf_reserve: the hot path leaves the error detail alone,
	 * every failure clears it. */
	if (!s || flags)
		return refuse(EINVAL);
	if (!(s->role & RINGBUF_PRODUCER))
		return refuse(EPERM);
	return reserve_keyed(s, size, 0, 0);
}

static void commit(struct ringbuf_sharded *s, void *sample, uint64_t flags, int discard)
{
	struct ringbuf *rb;

	if (!s || !sample)
		return;
	if (s->flags & RINGBUF_SHARDED_F_STAMP)
		sample = (uint8_t *)sample - KEY_SZ;
	rb = owner_of(s, sample);
	if (!rb)
		return; /* not a record of this object: like a NULL sample */
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
		return -EINVAL;
	return rb_idle_set(&s->idle, opts);
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
	if (!s || idx >= s->n) {
		errno = s ? ENOENT : EINVAL;
		return NULL;
	}
	return s->shards[idx];
}

/* ---- the object ---- */

/* Zeroed memory on whole cache lines of its own: nothing another thread
 * writes shares a line with it. */
static void *alloc_lines(size_t len)
{
	size_t n = (len + RB_LINE - 1) & ~(size_t)(RB_LINE - 1);
	void *p = aligned_alloc(RB_LINE, n);

	if (p)
		memset(p, 0, n);
	return p;
}

static struct ringbuf_sharded *alloc_sharded(unsigned int n)
{
	struct ringbuf_sharded *s = alloc_lines(sizeof(*s));

	if (!s)
		return NULL;
	s->epfd = -1;
	s->n = n;
	rb_idle_init(&s->idle);
	s->shards = alloc_lines(n * sizeof(*s->shards));
	s->last_key = alloc_lines(n * sizeof(*s->last_key));
	if (!s->shards || !s->last_key) {
		free(s->shards);
		free(s->last_key);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void ringbuf_sharded_free(struct ringbuf_sharded *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->n; i++) {
		if (last_rb == s->shards[i])
			last_rb = NULL;
		ringbuf_free(s->shards[i]);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->shards);
	free(s->last_key);
	free(s->buf);
	free(s->st);
	free(s);
}

static int shard_name(char *buf, size_t len, const char *name, unsigned int i)
{
	if ((size_t)snprintf(buf, len, "%s.s%u", name, i) >= len)
		return rb_errorf(ENAMETOOLONG, "sharded ring name too long");
	return 0;
}

static size_t header_len(unsigned int n)
{
	return sizeof(struct ringbuf_sharded_header) + (size_t)n * sizeof(uint64_t);
}

/* Read and check a header we did not write; returns the shard count. */
static int read_header(int fd, const char *name, struct ringbuf_sharded_header *h, uint64_t **times)
{
	struct stat st;
	size_t len;

	*times = NULL;
	/* A header being written has magic 0 for a moment: give the creator
	 * a little time before calling the file bad. */
	for (int tries = 0;; tries++) {
		if (fstat(fd, &st))
			return -errno;
		if (!S_ISREG(st.st_mode))
			return rb_errorf(EBADMSG, "'%s' is not a regular file", name);
		memset(h, 0, sizeof(*h));
		if (pread(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
		    h->magic == RINGBUF_SHARDED_MAGIC)
			break;
		/* Only an empty file or a zero magic can be a creator at work. */
		if (tries == 20 || (st.st_size && h->magic))
			return rb_errorf(EBADMSG, "'%s' is not a sharded ring (bad magic)", name);
		usleep(2000);
	}
	if (h->version != RINGBUF_SHARDED_VERSION)
		return rb_errorf(EPROTO, "sharded ring version %u, this library reads %u",
				 h->version, RINGBUF_SHARDED_VERSION);
	if (h->nshards < 1 || h->nshards > RINGBUF_MAX_SHARDS)
		return rb_errorf(EBADMSG, "sharded ring says %u shards", h->nshards);
	len = header_len(h->nshards);
	if (h->header_size != len || (uint64_t)st.st_size != len)
		return rb_errorf(EBADMSG, "sharded ring header is %lld bytes, expected %zu",
				 (long long)st.st_size, len);
	if (h->flags & ~RINGBUF_SHARDED_F_STAMP || h->shard_by > RINGBUF_SHARD_BY_THREAD)
		return rb_errorf(EPROTO, "sharded ring has unknown flags 0x%x or policy %u",
				 h->flags, h->shard_by);
	*times = malloc(len - sizeof(*h));
	if (!*times)
		return -ENOMEM;
	if (pread(fd, *times, len - sizeof(*h), sizeof(*h)) != (ssize_t)(len - sizeof(*h))) {
		free(*times);
		*times = NULL;
		return rb_errorf(EBADMSG, "sharded ring header truncated");
	}
	return (int)h->nshards;
}

/* Remove a sharded object: only a file that is a sharded header (the
 * same check as an open), then each shard only if it is a ring
 * (ringbuf_unlink checks), then the header while it is still the file we
 * checked. */
int ringbuf_unlink_sharded(const char *name)
{
	struct ringbuf_sharded_header h;
	uint64_t *times;
	char sn[PATH_MAX];
	int fd, n, err = 0;

	rb_clear_detail();
	fd = rb_named_obj_open(name, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = read_header(fd, name, &h, &times);
	free(times);
	if (n < 0) {
		snprintf(rb_err_detail + strlen(rb_err_detail),
			 sizeof(rb_err_detail) - strlen(rb_err_detail), ": not removed");
		close(fd);
		return n;
	}
	for (int i = 0; i < n; i++) {
		int e;

		if (shard_name(sn, sizeof(sn), name, (unsigned int)i)) {
			err = -errno;
			break;
		}
		e = ringbuf_unlink(sn);
		if (e && e != -ENOENT && !err)
			err = e; /* the first failure is the one reported */
	}
	if (!err)
		err = rb_named_obj_unlink(name, fd);
	close(fd);
	return err;
}

/* The caller's options by the library's convention (rb_opts_copy); the
 * mode is checked again by ringbuf_create for every shard. */
static int check_sharded_opts(const struct ringbuf_sharded_opts *opts,
			      struct ringbuf_sharded_opts *o)
{
	int err = rb_opts_copy(o, sizeof(*o), opts, "ringbuf_sharded_opts");

	if (err)
		return err;
	if (o->flags & ~RINGBUF_SHARDED_F_STAMP)
		return rb_errorf(EINVAL, "unknown sharded ring flags 0x%x",
				 o->flags & ~RINGBUF_SHARDED_F_STAMP);
	if (o->shard_by > RINGBUF_SHARD_BY_THREAD)
		return rb_errorf(EINVAL, "unknown shard policy %u", o->shard_by);
	if (o->mode & ~0777U)
		return rb_errorf(EINVAL, "mode 0%o: only permission bits (0777) are allowed", o->mode);
	return 0;
}

struct ringbuf_sharded *ringbuf_create_sharded(const char *name, size_t size_per_shard,
					       unsigned int nshards,
					       const struct ringbuf_sharded_opts *opts)
{
	struct ringbuf_sharded_opts o;
	struct ringbuf_sharded_header *h = NULL;
	struct ringbuf_sharded *s;
	char sn[PATH_MAX];
	int err, fd = -1;
	unsigned int made = 0;

	rb_clear_detail();
	if (check_sharded_opts(opts, &o))
		return NULL;
	if (nshards < 1 || nshards > RINGBUF_MAX_SHARDS) {
		rb_errorf(EINVAL, "%u shards: 1 to %u are allowed", nshards, RINGBUF_MAX_SHARDS);
		return NULL;
	}
	RINGBUF_OPTS(ro, .mode = o.mode, .recover_ms = o.recover_ms);
	s = alloc_sharded(nshards);
	if (!s)
		return NULL;
	s->flags = o.flags;
	s->shard_by = o.shard_by;
	s->role = RINGBUF_PRODUCER | RINGBUF_CONSUMER;
	if (name) {
		mode_t mode = o.mode ? (mode_t)o.mode : 0600;

		/* The name first, exclusively (O_EXCL never follows a link): a
		 * second creator stops here. Made 0600, then given its mode
		 * through the fd, as a ring is. */
		fd = rb_named_obj_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			goto fail;
		if (fchmod(fd, mode))
			goto fail_errno;
		h = calloc(1, header_len(nshards));
		if (!h)
			goto fail_errno;
	}
	for (; made < nshards; made++) {
		if (name && shard_name(sn, sizeof(sn), name, made))
			goto fail;
		s->shards[made] = ringbuf_create(name ? sn : NULL, size_per_shard, &ro);
		if (!s->shards[made])
			goto fail;
		if (h)
			((uint64_t *)(h + 1))[made] = s->shards[made]->meta->create_time_ns;
	}
	if (name) {
		size_t len = header_len(nshards);

		h->version = RINGBUF_SHARDED_VERSION;
		h->header_size = (uint32_t)len;
		h->nshards = nshards;
		h->flags = o.flags;
		h->shard_size = size_per_shard;
		h->shard_by = o.shard_by;
		h->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
		if (pwrite(fd, h, len, 0) != (ssize_t)len)
			goto fail_errno;
		/* The magic last: an opener that reads it finds the rest. */
		h->magic = RINGBUF_SHARDED_MAGIC;
		if (pwrite(fd, &h->magic, sizeof(h->magic), 0) != (ssize_t)sizeof(h->magic))
			goto fail_errno;
		close(fd);
		free(h);
	}
	return s;
fail_errno:
	rb_errorf(errno, "cannot create sharded ring '%s': %s", name, strerror(errno));
fail:
	err = errno;
	if (fd >= 0) {
		char detail[sizeof(rb_err_detail)];

		/* Only what we made here (each shard ring is still ours). The
		 * failure's detail outlives the clean-up's calls. */
		memcpy(detail, rb_err_detail, sizeof(detail));
		for (unsigned int i = 0; i < made; i++)
			if (!shard_name(sn, sizeof(sn), name, i))
				ringbuf_unlink(sn);
		rb_named_obj_unlink(name, fd);
		close(fd);
		memcpy(rb_err_detail, detail, sizeof(detail));
	}
	free(h);
	ringbuf_sharded_free(s);
	errno = err;
	return NULL;
}

struct ringbuf_sharded *ringbuf_open_sharded(const char *name, int role)
{
	struct ringbuf_sharded_header h;
	struct ringbuf_sharded *s = NULL;
	uint64_t *times = NULL;
	char sn[PATH_MAX];
	int fd, n, err;

	rb_clear_detail();
	if (role <= 0 || (role & ~(RINGBUF_PRODUCER | RINGBUF_CONSUMER))) {
		rb_errorf(EINVAL, "role must be RINGBUF_PRODUCER and/or RINGBUF_CONSUMER");
		return NULL;
	}
	fd = rb_named_obj_open(name, O_RDONLY, 0);
	if (fd < 0)
		return NULL;
	n = read_header(fd, name, &h, &times);
	close(fd);
	if (n < 0) {
		errno = -n;
		return NULL;
	}
	s = alloc_sharded((unsigned int)n);
	if (!s)
		goto fail;
	s->flags = h.flags;
	s->shard_by = h.shard_by;
	s->role = role;
	for (int i = 0; i < n; i++) {
		struct ringbuf *rb;

		if (shard_name(sn, sizeof(sn), name, (unsigned int)i))
			goto fail;
		rb = s->shards[i] = ringbuf_open(sn, role);
		if (!rb)
			goto fail;
		/* Private copies only: the shard's meta page is not ours. */
		if (rb->size != h.shard_size ||
		    rb_load_relaxed(&rb->meta->create_time_ns) != times[i]) {
			rb_errorf(EBADMSG, "shard %s does not belong to sharded ring '%s'", sn, name);
			goto fail;
		}
	}
	free(times);
	return s;
fail:
	err = errno;
	free(times);
	ringbuf_sharded_free(s);
	errno = err;
	return NULL;
}

/* ---- one source of the consumer manager ---- */

struct sharded_source {
	struct rb_source src;
	struct ringbuf_sharded *s;
	uint64_t flags;
	int owns;
};

static int ss_consume(struct rb_source *src, size_t n)
{
	struct sharded_source *ss = (struct sharded_source *)src;

	return ringbuf_sharded_consume_n(ss->s, src->fn, src->ctx, n, ss->flags);
}

static int ss_prepare_wait(struct rb_source *src)
{
	struct ringbuf_sharded *s = ((struct sharded_source *)src)->s;
	int ready = s->st_next < s->nst; /* merged records still staged */

	/* Arm every shard, even after one has data: the next sleep must be
	 * woken by any of them. */
	for (unsigned int i = 0; i < s->n; i++) {
		int ret = ringbuf_wait_prepare(s->shards[i]);

		if (ret < 0)
			return ret;
		ready |= ret > 0;
	}
	return ready;
}

static void ss_after_wake(struct rb_source *src)
{
	struct ringbuf_sharded *s = ((struct sharded_source *)src)->s;
	struct epoll_event ev[16];
	int n;

	/* Drain only the shards whose fd is readable. */
	do {
		n = epoll_wait(s->epfd, ev, 16, 0);
		for (int i = 0; i < n; i++)
			if (ev[i].data.u32 < s->n)
				rb_drain_wake(s->shards[ev[i].data.u32]);
	} while (n == 16);
}

static int ss_max_sleep_ms(struct rb_source *src)
{
	struct ringbuf_sharded *s = ((struct sharded_source *)src)->s;
	int best = -1;

	for (unsigned int i = 0; i < s->n; i++) {
		struct ringbuf *rb = s->shards[i];
		int ms = ringbuf_fd(rb) < 0 ? 10 : rb_recover_wait_ms(rb);

		if (ms >= 0 && (best < 0 || ms < best))
			best = ms;
	}
	return best;
}

static void ss_destroy(struct rb_source *src)
{
	struct sharded_source *ss = (struct sharded_source *)src;

	if (ss->owns)
		ringbuf_sharded_free(ss->s);
	free(ss);
}

static const struct rb_source_ops sharded_ops = {
	.consume = ss_consume,
	.prepare_wait = ss_prepare_wait,
	.after_wake = ss_after_wake,
	.max_sleep_ms = ss_max_sleep_ms,
	.destroy = ss_destroy,
};

/* One epoll over every shard's wake fd: the manager's one fd for s. */
static int shard_epoll(struct ringbuf_sharded *s)
{
	if (s->epfd >= 0)
		return 0;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	for (unsigned int i = 0; i < s->n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		int fd = ringbuf_fd(s->shards[i]);

		if (fd >= 0 && epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int err = -errno;

			close(s->epfd);
			s->epfd = -1;
			return err;
		}
	}
	return 0;
}

static int add_sharded(struct ringbuf_consumer *c, struct ringbuf_sharded *s, int owns,
		       ringbuf_sample_fn fn, void *ctx, uint64_t flags)
{
	struct sharded_source *ss;
	int err;

	if (!c || !s || !fn || (flags & ~RINGBUF_SHARDED_MERGE))
		return -EINVAL;
	if ((flags & RINGBUF_SHARDED_MERGE) && !(s->flags & RINGBUF_SHARDED_F_STAMP))
		return -EINVAL;
	if (!(s->role & RINGBUF_CONSUMER))
		return -EPERM;
	err = shard_epoll(s);
	if (err)
		return err;
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	ss->src.ops = &sharded_ops;
	ss->src.fd = s->epfd;
	ss->src.fn = fn;
	ss->src.ctx = ctx;
	ss->s = s;
	ss->flags = flags;
	ss->owns = owns;
	err = rb_consumer_add_source(c, &ss->src);
	if (err)
		free(ss);
	return err;
}

int ringbuf_consumer_add_sharded(struct ringbuf_consumer *c, struct ringbuf_sharded *s,
				 ringbuf_sample_fn fn, void *ctx, uint64_t flags)
{
	rb_clear_detail();
	return add_sharded(c, s, 0, fn, ctx, flags);
}

int ringbuf_consumer_add_bpf_array(struct ringbuf_consumer *c, int outer_map_fd,
				   ringbuf_sample_fn fn, void *ctx, uint64_t flags)
{
	struct ringbuf_sharded *s;
	struct ringbuf **rings = NULL;
	int n, err;

	rb_clear_detail();
	if (!c || !fn || flags)
		return -EINVAL;
	n = rb_bpf_open_inner_rings(outer_map_fd, &rings);
	if (n < 0)
		return n;
	s = alloc_sharded((unsigned int)n);
	if (!s) {
		for (int i = 0; i < n; i++)
			ringbuf_free(rings[i]);
		free(rings);
		return -ENOMEM;
	}
	memcpy(s->shards, rings, (size_t)n * sizeof(*rings));
	free(rings);
	s->role = RINGBUF_CONSUMER;
	err = add_sharded(c, s, 1, fn, ctx, 0);
	if (err) {
		ringbuf_sharded_free(s);
		return err;
	}
	return n;
}
