// SPDX-License-Identifier: MIT
/*
 * Kernel ftrace ring buffers as a source of the consumer manager (Linux
 * 6.10+): per-CPU trace_pipe_raw files mapped read-only (meta page, then the
 * sub-buffers by ID), the reader sub-buffer walked in place, the next one
 * swapped in with TRACE_MMAP_IOCTL_GET_READER. See src/ftrace.h for the
 * format and docs/DESIGN.md ("ftrace source") for the protocol.
 *
 * This file is the source itself: its ops for the manager, the merge in
 * time order, ringbuf_consumer_add_ftrace and the statistics. One CPU's
 * mapping, reader protocol and read(2) are in ftrace_cpu.c, the pure
 * sub-buffer walker in ftrace_walk.c, the tracefs lookup in
 * ftrace_tracefs.c.
 *
 * Everything read from the mapping is untrusted: sub-buffer IDs, commit
 * lengths and event lengths are bounds-checked before use; garbage is
 * counted as corrupt_events and skipped, never followed.
 *
 * Ordering: the kernel publishes a sub-buffer's events before its commit
 * word, and the meta page's reader fields before the ioctl returns. We load
 * commit with acquire [F1] before reading the bytes below it, and
 * reader.id with acquire [F2] after the ioctl (the ioctl is a full barrier
 * anyway; the acquire states the dependency).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ftrace_cpu.h"

struct ft_source {
	struct rb_source base;      /* first: the manager sees this */
	ringbuf_ftrace_fn fn;
	void *ctx;
	int merge;
	int ncpu;
	unsigned int next_cpu;      /* round-robin start (not merging) */
	const struct ringbuf_consumer *owner;
	struct ft_source *reg_next;
	struct ft_cpu cpus[];
};

/* Deliver up to n - *done events of one CPU, sub-buffer after sub-buffer,
 * straight from the walk to the callback. 0, or the callback's negative
 * return, or a negative errno. */
static int ft_drain(struct ft_source *s, struct ft_cpu *fc, size_t n, size_t *done)
{
	struct ft_budget bu = { 0, 0 };
	int r;

	if (fc->broken)
		return 0;
	while (*done < n) {
		struct rb_ft_batch b = { .fn = s->fn, .ctx = s->ctx, .cpu = fc->cpu,
					 .skip_to = fc->skip_to, .max = n - *done };

		r = rb_ft_walk_batch(&fc->cur, fc->sb, &b);
		rb_ftc_walk_done(fc, &b);
		*done += b.events;
		if (b.ret)
			return b.ret;
		if (r == 1)
			break;
		if (b.events)
			bu.idle = bu.swaps = 0;
		r = rb_ftc_advance(fc, &bu);
		if (r <= 0)
			return r;
	}
	return 0;
}

static int ft_consume(struct rb_source *src, size_t n)
{
	struct ft_source *s = (struct ft_source *)src;
	size_t done = 0;
	int i, r;

	if (!s->merge) {
		for (i = 0; i < s->ncpu && done < n; i++) {
			r = ft_drain(s, &s->cpus[(s->next_cpu + (unsigned int)i) % (unsigned int)s->ncpu],
				     n, &done);
			if (r < 0)
				return r;
		}
		s->next_cpu = (s->next_cpu + 1) % (unsigned int)s->ncpu;
		return done > INT_MAX ? INT_MAX : (int)done;
	}

	/* Merge: the oldest pending event of all CPUs first. A CPU found
	 * empty is not asked again within this call (no ioctl per event). */
	for (i = 0; i < s->ncpu; i++)
		s->cpus[i].drained = 0;
	while (done < n) {
		struct ft_cpu *best = NULL;

		for (i = 0; i < s->ncpu; i++) {
			struct ft_cpu *fc = &s->cpus[i];

			if (fc->drained)
				continue;
			r = rb_ftc_ready(fc);
			if (r < 0)
				return r;
			if (r == 0) {
				fc->drained = 1;
				continue;
			}
			if (!best || fc->next_ts < best->next_ts)
				best = fc;
		}
		if (!best)
			break;
		{
			struct rb_ft_batch b = { .fn = s->fn, .ctx = s->ctx, .cpu = best->cpu,
						 .skip_to = best->skip_to, .max = 1 };

			(void)rb_ft_walk_batch(&best->cur, best->sb, &b);
			rb_ftc_walk_done(best, &b);
			done += b.events;
			if (b.ret)
				return b.ret;
			if (!b.events)
				best->drained = 1;   /* changed under us: next call */
		}
	}
	return done > INT_MAX ? INT_MAX : (int)done;
}

static int ft_prepare_wait(struct rb_source *src)
{
	struct ft_source *s = (struct ft_source *)src;
	int i, r;

	for (i = 0; i < s->ncpu; i++) {
		r = rb_ftc_ready(&s->cpus[i]);
		if (r != 0)
			return 1;   /* data, or an error consume will report */
	}
	return 0;
}

static void ft_after_wake(struct rb_source *src)
{
	struct ft_source *s = (struct ft_source *)src;
	struct epoll_event evs[16];

	/* Level-triggered and nothing to drain: the kernel clears readiness
	 * when GET_READER has marked the data read. Reap the inner epoll's
	 * ready list so it does not grow. */
	(void)epoll_wait(s->base.fd, evs, 16, 0);
}

static int ft_max_sleep_ms(struct rb_source *src)
{
	(void)src;
	return -1;
}

static void cpu_close(struct ft_cpu *fc)
{
	rb_ftc_unmap(fc);
	free(fc->rbuf);
	fc->rbuf = NULL;
	if (fc->fd >= 0)
		close(fc->fd);
	fc->fd = -1;
}

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ft_source *reg_head;

static void reg_add(struct ft_source *s)
{
	pthread_mutex_lock(&reg_lock);
	s->reg_next = reg_head;
	reg_head = s;
	pthread_mutex_unlock(&reg_lock);
}

static void reg_del(struct ft_source *s)
{
	struct ft_source **pp;

	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_head; *pp; pp = &(*pp)->reg_next) {
		if (*pp == s) {
			*pp = s->reg_next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

static void ft_destroy(struct rb_source *src)
{
	struct ft_source *s = (struct ft_source *)src;
	int i;

	if (!s)
		return;
	reg_del(s);
	for (i = 0; i < s->ncpu; i++)
		cpu_close(&s->cpus[i]);
	if (s->base.fd >= 0)
		close(s->base.fd);
	free(s);
}

static const struct rb_source_ops ft_ops = {
	.consume = ft_consume,
	.prepare_wait = ft_prepare_wait,
	.after_wake = ft_after_wake,
	.max_sleep_ms = ft_max_sleep_ms,
	.destroy = ft_destroy,
};

/* Open one CPU with the method asked for. AUTO starts with the mapping and
 * falls back to read(2) for good when the kernel does not map the buffer
 * (before 6.10, snapshot in use, a memory-mapped persistent buffer). */
static int cpu_open(struct ft_cpu *fc, const char *base, int cpu, int method, uint32_t auto_bytes)
{
	char path[PATH_MAX + 512];
	int r;

	fc->cpu = cpu;
	fc->fd = -1;
	fc->auto_on = method == RINGBUF_FTRACE_AUTO;
	fc->auto_bytes = auto_bytes ? auto_bytes : FT_AUTO_DEFAULT_BYTES;
	snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", base, cpu);
	fc->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fc->fd < 0)
		return -errno;
	if (method != RINGBUF_FTRACE_READ) {
		r = rb_ftc_map(fc);
		if (r == 0 || method == RINGBUF_FTRACE_MMAP)
			return r;
		if (r != -ENODEV && r != -EBUSY && r != -EINVAL && r != -EOPNOTSUPP && r != -EPERM)
			return r;
		fc->auto_on = 0;
	}
	fc->subbuf_size = rb_ftc_subbuf_size(base);
	return rb_ftc_use_read(fc);
}

static int online_cpus(int *out, int max)
{
	char buf[1024], *p;
	int fd, n = 0;
	ssize_t len;

	fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = 0;
	p = buf;
	while (*p && *p != '\n') {
		char *e;
		long a = strtol(p, &e, 10), b;

		if (e == p)
			return -EIO;
		b = a;
		if (*e == '-') {
			p = e + 1;
			b = strtol(p, &e, 10);
			if (e == p || b < a)
				return -EIO;
		}
		for (; a <= b && n < max; a++)
			out[n++] = (int)a;
		p = e;
		if (*p == ',')
			p++;
	}
	return n;
}

/* The number of CPUs added, or a negative errno. */
static int add_ftrace(struct ringbuf_consumer *c, const struct ringbuf_ftrace_opts *opts,
		      ringbuf_ftrace_fn fn, void *ctx)
{
	struct ringbuf_ftrace_opts o;
	char tracefs[PATH_MAX], base[PATH_MAX + 256];
	int cpus[1024], ncpu, i, r;
	struct ft_source *s;

	if (!c || !fn)
		return -EINVAL;
	r = rb_opts_copy(&o, sizeof(o), opts, "ringbuf_ftrace_opts");
	if (r)
		return r;
	if (o.method != RINGBUF_FTRACE_AUTO && o.method != RINGBUF_FTRACE_MMAP &&
	    o.method != RINGBUF_FTRACE_READ)
		return -EINVAL;
	if (o.instance && (!*o.instance || strchr(o.instance, '/') ||
			   !strcmp(o.instance, ".") || !strcmp(o.instance, "..")))
		return -EINVAL;
	r = rb_ft_find_tracefs(o.tracefs, o.mount, tracefs, sizeof(tracefs));
	if (r < 0)
		return r;
	if (o.instance)
		snprintf(base, sizeof(base), "%s/instances/%s", tracefs, o.instance);
	else
		snprintf(base, sizeof(base), "%s", tracefs);
	if (access(base, F_OK) != 0)
		return -ENOENT;         /* instances are not created here */

	if (o.cpus) {
		if (o.ncpus <= 0 || o.ncpus > (int)(sizeof(cpus) / sizeof(cpus[0])))
			return -EINVAL;
		for (i = 0; i < o.ncpus; i++) {
			if (o.cpus[i] < 0)
				return -EINVAL;
			cpus[i] = o.cpus[i];
		}
		ncpu = o.ncpus;
	} else {
		ncpu = online_cpus(cpus, (int)(sizeof(cpus) / sizeof(cpus[0])));
		if (ncpu <= 0)
			return ncpu < 0 ? ncpu : -ENODEV;
	}

	s = calloc(1, sizeof(*s) + (size_t)ncpu * sizeof(s->cpus[0]));
	if (!s)
		return -ENOMEM;
	s->base.ops = &ft_ops;
	s->base.fd = -1;
	s->fn = fn;
	s->ctx = ctx;
	s->merge = o.merge;
	s->owner = c;
	for (i = 0; i < ncpu; i++)
		s->cpus[i].fd = -1;
	s->ncpu = ncpu;
	s->base.fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->base.fd < 0) {
		r = -errno;
		goto fail;
	}
	for (i = 0; i < ncpu; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		r = cpu_open(&s->cpus[i], base, cpus[i], o.method, o.auto_event_bytes);
		if (r < 0)
			goto fail;
		if (epoll_ctl(s->base.fd, EPOLL_CTL_ADD, s->cpus[i].fd, &ev) != 0) {
			r = -errno;
			goto fail;
		}
	}
	reg_add(s);
	r = rb_consumer_add_source(c, &s->base);
	if (r < 0) {
		ft_destroy(&s->base);
		return r;
	}
	return ncpu;
fail:
	ft_destroy(&s->base);
	return r;
}

int ringbuf_consumer_add_ftrace(struct ringbuf_consumer *c, const struct ringbuf_ftrace_opts *opts,
				ringbuf_ftrace_fn fn, void *ctx)
{
	rb_clear_detail();
	return rb_api_ret(add_ftrace(c, opts, fn, ctx));
}

int ringbuf_consumer_ftrace_stats(const struct ringbuf_consumer *c, int cpu,
				  struct ringbuf_ftrace_stats *st)
{
	struct ringbuf_ftrace_stats t;
	struct ft_source *s;
	int i, found = 0;

	rb_clear_detail();
	if (!c || !st || st->sz < sizeof(size_t))
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	pthread_mutex_lock(&reg_lock);
	for (s = reg_head; s; s = s->reg_next) {
		if (s->owner != c)
			continue;
		for (i = 0; i < s->ncpu; i++) {
			struct ft_cpu *fc = &s->cpus[i];

			if (cpu >= 0 && fc->cpu != cpu)
				continue;
			found++;
			t.events += rb_load_relaxed(&fc->st_events);
			t.bytes += rb_load_relaxed(&fc->st_bytes);
			t.lost_events += rb_load_relaxed(&fc->st_lost);
			t.missed_subbufs += rb_load_relaxed(&fc->st_missed_subbufs);
			t.corrupt_events += rb_load_relaxed(&fc->st_corrupt);
			t.subbufs += rb_load_relaxed(&fc->st_subbufs);
			t.get_reader_calls += rb_load_relaxed(&fc->st_get_reader);
			t.paddings += rb_load_relaxed(&fc->st_paddings);
			t.time_extends += rb_load_relaxed(&fc->st_extends);
			t.entries += rb_load_relaxed(&fc->st_entries);
			t.overrun += rb_load_relaxed(&fc->st_overrun);
			t.read += rb_load_relaxed(&fc->st_read);
			t.read_calls += rb_load_relaxed(&fc->st_read_calls);
			t.method_switches += rb_load_relaxed(&fc->st_switches);
		}
	}
	pthread_mutex_unlock(&reg_lock);
	if (!found)
		return -ENOENT;
	t.sz = st->sz < sizeof(t) ? st->sz : sizeof(t);
	memcpy(st, &t, t.sz);
	return found;
}
