// SPDX-License-Identifier: MIT
/*
 * The consumer manager: many sources (user rings, kernel BPF rings, ftrace
 * CPU buffers) on one epoll, in the manner of libbpf's ring_buffer__*.
 *
 * Each source has its own callback and context and one fd in the epoll
 * (EPOLLIN, level-triggered, data.u32 = source index). A user ring's fd is
 * an eventfd that producers write only when the consumer armed a wakeup, so
 * poll() arms every source before it sleeps (rb_source_ops.prepare_wait):
 *
 *	arm all; any with data?  -> consume those, no sleep
 *	else epoll_wait(timeout capped by each source's max_sleep_ms)
 *	     -> drain and consume only the sources that signalled
 *	     (and the ones whose max_sleep_ms ran out: dead-producer recovery)
 *	nothing delivered and time left -> again
 *
 * docs/DESIGN.md ("Wakeups") shows why arming then sleeping loses nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

struct ringbuf_consumer {
	int epfd;
	unsigned int cnt, cap;
	struct rb_source **src;
	struct epoll_event *events;  /* cap entries, for epoll_wait */
	uint8_t *marked;             /* per source: consume in this round */
	struct rb_idle idle;         /* ringbuf_consumer_consume's idle policy */
};

/* Sum counts without overflowing an int return. */
static int add_capped(int64_t total)
{
	return total > INT_MAX ? INT_MAX : (int)total;
}

/* ---- ring sources (user and kernel BPF rings) ---- */

/* A user ring whose wake fd is missing is looked at this often. */
#define RB_POLLED_SLEEP_MS 10

static int ring_consume(struct rb_source *s, size_t n)
{
	return rb_consume(s->rb, s->fn, s->ctx, n);
}

static int ring_prepare_wait(struct rb_source *s)
{
	return ringbuf_wait_prepare(s->rb);
}

static void ring_after_wake(struct rb_source *s)
{
	rb_drain_wake(s->rb);
}

/* A ring stopped before a record not yet committed, whose producer may be
 * dead: nobody would wake us for it, so look again in time for recovery
 * (recover.c decides how soon: recover_ms / 2). */
static int ring_max_sleep_ms(struct rb_source *s)
{
	if (s->fd < 0)
		return RB_POLLED_SLEEP_MS;
	return rb_recover_wait_ms(s->rb);
}

static void ring_destroy(struct rb_source *s)
{
	if (s->owns_rb)
		ringbuf_free(s->rb);
	free(s);
}

static const struct rb_source_ops ring_ops = {
	.consume = ring_consume,
	.prepare_wait = ring_prepare_wait,
	.after_wake = ring_after_wake,
	.max_sleep_ms = ring_max_sleep_ms,
	.destroy = ring_destroy,
};

static int add_ring(struct ringbuf_consumer *c, struct ringbuf *rb, int owns,
		    ringbuf_sample_fn fn, void *ctx)
{
	struct rb_source *s;
	int err;

	if (!(rb->role & RINGBUF_CONSUMER))
		return -EPERM;
	for (unsigned int i = 0; i < c->cnt; i++)
		if (c->src[i]->rb == rb)
			return -EEXIST;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = &ring_ops;
	s->fd = ringbuf_fd(rb);
	s->rb = rb;
	s->owns_rb = owns;
	s->fn = fn;
	s->ctx = ctx;
	err = rb_consumer_add_source(c, s);
	if (err)
		free(s); /* the caller keeps rb */
	return err;
}

/* ---- the manager ---- */

static int consumer_new(struct ringbuf_consumer **out)
{
	struct ringbuf_consumer *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	rb_idle_init(&c->idle);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

struct ringbuf_consumer *ringbuf_consumer_new(void)
{
	struct ringbuf_consumer *c = NULL;
	int err;

	rb_clear_detail();
	err = consumer_new(&c);
	return rb_api_ptr(err, c);
}

/* Takes src on success (ops->destroy at ringbuf_consumer_free); on failure
 * the caller still owns it. src->fd < 0: no fd, looked at every
 * max_sleep_ms instead. */
RB_HIDDEN int rb_consumer_add_source(struct ringbuf_consumer *c, struct rb_source *src)
{
	struct epoll_event ev;

	if (!c || !src || !src->ops || !src->ops->consume || !src->ops->prepare_wait)
		return -EINVAL;
	if (c->cnt == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 4;
		struct rb_source **s = realloc(c->src, cap * sizeof(*s));
		struct epoll_event *e;
		uint8_t *m;

		if (!s)
			return -ENOMEM;
		c->src = s;
		e = realloc(c->events, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		c->events = e;
		m = realloc(c->marked, cap);
		if (!m)
			return -ENOMEM;
		c->marked = m;
		c->cap = cap;
	}
	if (src->fd >= 0) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = c->cnt;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0)
			return -errno;
	}
	c->marked[c->cnt] = 0;
	c->src[c->cnt++] = src;
	return 0;
}

int ringbuf_consumer_add(struct ringbuf_consumer *c, struct ringbuf *rb,
			 ringbuf_sample_fn fn, void *ctx)
{
	rb_clear_detail();
	if (!c || !rb || !fn)
		return rb_api_ret(-EINVAL);
	return rb_api_ret(add_ring(c, rb, 0, fn, ctx));
}

int ringbuf_consumer_add_bpf(struct ringbuf_consumer *c, int map_fd,
			     ringbuf_sample_fn fn, void *ctx)
{
	struct ringbuf *rb;
	int err;

	rb_clear_detail();
	if (!c || !fn)
		return rb_api_ret(-EINVAL);
	err = rb_bpf_open(map_fd, &rb);
	if (err)
		return rb_api_ret(err);
	err = add_ring(c, rb, 1, fn, ctx);
	if (err)
		ringbuf_free(rb);
	return rb_api_ret(err);
}

/* Consume every marked source, clearing the marks. A callback's error
 * stops the round and is returned (the remaining marks are dropped: those
 * sources are looked at again by the next call, level-triggered). */
static int consume_marked(struct ringbuf_consumer *c)
{
	int64_t total = 0;
	int ret = 0;

	for (unsigned int i = 0; i < c->cnt; i++) {
		if (!c->marked[i])
			continue;
		c->marked[i] = 0;
		if (ret < 0)
			continue;
		ret = c->src[i]->ops->consume(c->src[i], INT_MAX);
		if (ret > 0)
			total += ret;
	}
	return ret < 0 ? ret : add_capped(total);
}

int ringbuf_consumer_poll(struct ringbuf_consumer *c, int timeout_ms)
{
	uint64_t deadline = 0;

	rb_clear_detail();
	if (!c)
		return -EINVAL;
	if (timeout_ms >= 0)
		deadline = rb_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	for (;;) {
		int ready = 0, sleep_ms = timeout_ms, capped = 0, n, ret;

		if (timeout_ms >= 0) {
			uint64_t now = rb_now_ns();

			sleep_ms = now >= deadline ? 0 :
				   (int)((deadline - now + 999999) / 1000000);
		}
		/* Arm every source; one with data already means no sleep. */
		for (unsigned int i = 0; i < c->cnt; i++) {
			struct rb_source *s = c->src[i];

			ret = s->ops->prepare_wait(s);
			if (ret < 0)
				return ret;
			c->marked[i] = ret > 0;
			ready |= ret > 0;
		}
		if (ready)
			return consume_marked(c);

		/* Sources that must be looked at again before long. */
		for (unsigned int i = 0; i < c->cnt; i++) {
			struct rb_source *s = c->src[i];
			int ms = s->ops->max_sleep_ms ? s->ops->max_sleep_ms(s) : -1;

			if (ms < 0)
				continue;
			c->marked[i] = 1;
			if (sleep_ms < 0 || ms < sleep_ms) {
				sleep_ms = ms;
				capped = 1;
			}
		}
		n = epoll_wait(c->epfd, c->events, c->cnt ? (int)c->cnt : 1, sleep_ms);
		if (n < 0) {
			ret = -errno;
			memset(c->marked, 0, c->cnt);
			return ret;
		}
		for (int i = 0; i < n; i++) {
			unsigned int idx = c->events[i].data.u32;
			struct rb_source *s;

			if (idx >= c->cnt)
				continue;
			s = c->src[idx];
			if (s->ops->after_wake)
				s->ops->after_wake(s);
			c->marked[idx] = 1;
		}
		ret = consume_marked(c);
		if (ret != 0)
			return ret;
		/* Nothing delivered: a spurious or recovery wakeup, or the
		 * timeout. Sleep again while time is left. */
		if (!capped && n == 0 && timeout_ms >= 0)
			return 0;
		if (timeout_ms >= 0 && rb_now_ns() >= deadline)
			return 0;
	}
}

static int consume_all(struct ringbuf_consumer *c, size_t n)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->cnt && done < n; i++) {
		struct rb_source *s = c->src[i];
		size_t left = n - done;
		int ret = s->ops->consume(s, left > INT_MAX ? INT_MAX : left);

		if (ret < 0)
			return ret;
		done += (size_t)ret;
		if (done >= INT_MAX)
			return INT_MAX;
	}
	return (int)done;
}

int ringbuf_consumer_consume_n(struct ringbuf_consumer *c, size_t n)
{
	int ret;

	rb_clear_detail();
	if (!c)
		return -EINVAL;
	if (n == 0)
		return 0;
	ret = consume_all(c, n);
	/* Nothing from any source: one idle wait for all of them, then one
	 * more look (the sources' own policies are not used here). */
	if (ret == 0 && rb_idle_wait(&c->idle))
		ret = consume_all(c, n);
	if (ret != 0)
		rb_idle_end(&c->idle);
	return ret;
}

int ringbuf_consumer_set_idle(struct ringbuf_consumer *c, const struct ringbuf_idle_opts *opts)
{
	rb_clear_detail();
	if (!c)
		return rb_api_ret(-EINVAL);
	return rb_api_ret(rb_idle_set(&c->idle, opts));
}

int ringbuf_consumer_consume(struct ringbuf_consumer *c)
{
	return ringbuf_consumer_consume_n(c, SIZE_MAX);
}

int ringbuf_consumer_epoll_fd(const struct ringbuf_consumer *c)
{
	return c ? c->epfd : -EINVAL;
}

int ringbuf_consumer_wait_prepare(struct ringbuf_consumer *c)
{
	int ready = 0;

	rb_clear_detail();
	if (!c)
		return -EINVAL;
	/* The arming poll() does before it sleeps, for callers who sleep on
	 * the epoll fd themselves: every source must be armed, even when an
	 * earlier one already has data. Drain each wake fd first, or a level-
	 * triggered epoll keeps returning for wakeups already acted on; a
	 * wakeup drained here belongs to a commit the arming's re-check sees. */
	for (unsigned int i = 0; i < c->cnt; i++) {
		struct rb_source *s = c->src[i];
		int ret;

		if (s->ops->after_wake)
			s->ops->after_wake(s);
		ret = s->ops->prepare_wait(s);
		if (ret < 0)
			return ret;
		ready |= ret > 0;
	}
	return ready;
}

struct ringbuf *ringbuf_consumer_ring(const struct ringbuf_consumer *c, unsigned int idx)
{
	rb_clear_detail();
	if (!c)
		return rb_api_ptr(-EINVAL, NULL);
	if (idx >= c->cnt || !c->src[idx]->rb)
		return rb_api_ptr(-ENOENT, NULL);
	return rb_api_ptr(0, c->src[idx]->rb);
}

int ringbuf_consumer_ring_cnt(const struct ringbuf_consumer *c)
{
	return c ? (int)c->cnt : -EINVAL;
}

void ringbuf_consumer_free(struct ringbuf_consumer *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->cnt; i++) {
		struct rb_source *s = c->src[i];

		if (s->ops->destroy)
			s->ops->destroy(s);
		else
			free(s);
	}
	close(c->epfd);
	free(c->src);
	free(c->events);
	free(c->marked);
	free(c);
}
