// SPDX-License-Identifier: MIT
/*
 * A sharded object as one source of the consumer manager: one epoll over
 * the shards' wake fds; and kernel arrays of ring buffers added the same way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "shard.h"

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
	return rb_api_ret(add_sharded(c, s, 0, fn, ctx, flags));
}

/* The number of rings added, or a negative errno. */
static int add_bpf_array(struct ringbuf_consumer *c, int outer_map_fd,
			 ringbuf_sample_fn fn, void *ctx, uint64_t flags)
{
	struct ringbuf_sharded *s;
	struct ringbuf **rings = NULL;
	int n, err;

	if (!c || !fn || flags)
		return -EINVAL;
	n = rb_bpf_open_inner_rings(outer_map_fd, &rings);
	if (n < 0)
		return n;
	s = rb_shard_alloc((unsigned int)n);
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

int ringbuf_consumer_add_bpf_array(struct ringbuf_consumer *c, int outer_map_fd,
				   ringbuf_sample_fn fn, void *ctx, uint64_t flags)
{
	rb_clear_detail();
	return rb_api_ret(add_bpf_array(c, outer_map_fd, fn, ctx, flags));
}
