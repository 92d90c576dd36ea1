// SPDX-License-Identifier: MIT
/*
 * One CPU of an ftrace source: its trace_pipe_raw mapped read-only (meta
 * page, then the sub-buffers by ID) and the reader sub-buffer swapped in
 * with TRACE_MMAP_IOCTL_GET_READER, or read(2) copies, and the automatic
 * choice between the two. The orderings [F1]/[F2] are explained at the
 * top of ftrace.c. Everything read from the mapping is untrusted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ftrace_cpu.h"

/* Only the consuming thread writes the statistics: a relaxed load and store
 * (no locked read-modify-write) keep them whole for readers. */
static void stat_add(uint64_t *p, uint64_t v)
{
	if (v)
		rb_store_relaxed(p, rb_load_relaxed(p) + v);
}

static void stat_set(uint64_t *p, uint64_t v)
{
	rb_store_relaxed(p, v);
}

/* lost_events is the larger of what the sub-buffers reported and what the
 * kernel counts as overwritten since we attached: a sub-buffer flagged
 * without a stored count says "some", the overrun counter says how many. */
static void update_lost(struct ft_cpu *fc, uint64_t overrun)
{
	uint64_t lost = rb_load_relaxed(&fc->st_lost_counted);

	if (fc->have_overrun0 && overrun >= fc->overrun0 && overrun - fc->overrun0 > lost)
		lost = overrun - fc->overrun0;
	if (lost > rb_load_relaxed(&fc->st_lost))
		stat_set(&fc->st_lost, lost);
}

/* The kernel's counters, copied out of the meta page when it has them. */
static void sample_meta(struct ft_cpu *fc)
{
	const struct rb_ft_meta *m = fc->meta;
	uint64_t overrun;

	if (fc->meta_struct_len < offsetof(struct rb_ft_meta, read) + sizeof(m->read))
		return;
	stat_set(&fc->st_entries, rb_load_relaxed(&m->entries));
	overrun = rb_load_relaxed(&m->overrun);
	stat_set(&fc->st_overrun, overrun);
	stat_set(&fc->st_read, rb_load_relaxed(&m->read));
	update_lost(fc, overrun);
}

/* What the walk counted in the cursor, into the statistics. */
static void cursor_stats(struct ft_cpu *fc)
{
	stat_add(&fc->st_corrupt, fc->cur.corrupt);
	stat_add(&fc->st_paddings, fc->cur.paddings);
	stat_add(&fc->st_extends, fc->cur.extends);
	fc->cur.corrupt = fc->cur.paddings = fc->cur.extends = 0;
}

/* The sub-buffer walked so far is left: its mean event size goes into the
 * automatic choice's window. */
static void subbuf_left(struct ft_cpu *fc)
{
	if (fc->sb_walked) {
		fc->win_bytes += fc->cur.end;
		fc->win_events += fc->sb_walked;
		fc->win_subbufs++;
	}
	fc->sb_walked = 0;
}

/* Start walking sb (len bytes, header included): the missed-events flags
 * it carries go to the statistics. */
static void subbuf_start(struct ft_cpu *fc, const uint8_t *sb, uint32_t len)
{
	uint64_t lost;

	subbuf_left(fc);
	fc->sb = sb;
	fc->skip_to = 0;
	rb_ft_cursor_start(&fc->cur, sb, len);
	stat_add(&fc->st_subbufs, 1);
	cursor_stats(fc);
	if (fc->cur.missed_flags) {
		stat_add(&fc->st_missed_subbufs, 1);
		lost = fc->cur.missed;
		if (!lost && fc->method == RINGBUF_FTRACE_MMAP)
			lost = rb_load_relaxed(&fc->meta->reader.lost_events);
		if (!lost)
			lost = 1;           /* "some": at least one */
		stat_add(&fc->st_lost_counted, lost);
		update_lost(fc, rb_load_relaxed(&fc->st_overrun));
	}
}

static void load_subbuf(struct ft_cpu *fc, uint32_t id)
{
	fc->id = id;
	subbuf_start(fc, fc->data + (size_t)id * fc->subbuf_size, fc->subbuf_size);
}

/* Swap in the next reader sub-buffer. 1: a new one is loaded; 0: the same
 * one (its commit may have grown); negative errno on failure. The fd is
 * O_NONBLOCK, so the kernel does not wait for data here. */
static int get_reader(struct ft_cpu *fc)
{
	uint32_t id;
	int r;

	do
		r = ioctl(fc->fd, RB_FT_IOCTL_GET_READER);
	while (r < 0 && errno == EINTR);
	stat_add(&fc->st_get_reader, 1);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	id = rb_load_acquire(&fc->meta->reader.id);          /* [F2] */
	sample_meta(fc);
	if (id >= fc->nr_subbufs) {
		stat_add(&fc->st_corrupt, 1);
		fc->broken = 1;
		return -EBADMSG;
	}
	if (id == fc->id)
		return 0;
	load_subbuf(fc, id);
	return 1;
}

RB_HIDDEN void rb_ftc_unmap(struct ft_cpu *fc)
{
	if (fc->data)
		munmap((void *)fc->data, fc->data_len);
	if (fc->meta)
		munmap((void *)fc->meta, fc->meta_len);
	fc->data = NULL;
	fc->meta = NULL;
	fc->data_len = fc->meta_len = 0;
}

/* Map the CPU's buffer (meta page, then the sub-buffers) and stand at the
 * first unread event of the reader sub-buffer: what read(2) or an earlier
 * reader took is skipped. 0 or a negative errno (nothing left mapped). */
RB_HIDDEN int rb_ftc_map(struct ft_cpu *fc)
{
	long pg = sysconf(_SC_PAGESIZE);
	const struct rb_ft_meta *m;
	uint32_t meta_page_size, msl, subbuf_size, nr, id, rd;
	void *p;
	int r = -EBADMSG;

	p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fc->fd, 0);
	if (p == MAP_FAILED)
		return -errno;    /* ENODEV, EBUSY (snapshot), EINVAL: no mmap */
	fc->meta = p;
	fc->meta_len = (size_t)pg;
	m = fc->meta;
	meta_page_size = rb_load_relaxed(&m->meta_page_size);
	msl = rb_load_relaxed(&m->meta_struct_len);
	subbuf_size = rb_load_relaxed(&m->subbuf_size);
	nr = rb_load_relaxed(&m->nr_subbufs);
	/* Never trust the sizes: a page-multiple meta page that holds the
	 * struct, sub-buffers of whole pages with room for a header and an
	 * event, and a mapping that fits the address space. */
	if (meta_page_size < (uint32_t)pg || meta_page_size % (uint32_t)pg ||
	    meta_page_size > (1u << 20) || msl < RB_FT_META_MIN_LEN || msl > meta_page_size ||
	    subbuf_size < (uint32_t)pg || subbuf_size % (uint32_t)pg || subbuf_size > (1u << 24) ||
	    nr < 2 || nr > (1u << 24) || (uint64_t)nr * subbuf_size > (1ull << 40))
		goto fail;
	if (fc->rbuf && subbuf_size != fc->subbuf_size)
		goto fail;        /* read(2) copies of another size are walked */
	fc->meta_struct_len = msl;
	if (meta_page_size != (uint32_t)pg) {
		/* Remap the meta page at its real size. */
		munmap(p, (size_t)pg);
		fc->meta = NULL;
		p = mmap(NULL, meta_page_size, PROT_READ, MAP_SHARED, fc->fd, 0);
		if (p == MAP_FAILED)
			goto fail_errno;
		fc->meta = p;
		fc->meta_len = meta_page_size;
		m = fc->meta;
	}
	fc->subbuf_size = subbuf_size;
	fc->nr_subbufs = nr;
	fc->data_len = (size_t)nr * subbuf_size;
	p = mmap(NULL, fc->data_len, PROT_READ, MAP_SHARED, fc->fd, (off_t)meta_page_size);
	if (p == MAP_FAILED) {
		fc->data_len = 0;
		goto fail_errno;
	}
	fc->data = p;
	id = rb_load_acquire(&m->reader.id);                 /* [F2] */
	rd = rb_load_relaxed(&m->reader.read);
	if (id >= nr)
		goto fail;
	if (!fc->have_overrun0 && msl >= offsetof(struct rb_ft_meta, read)) {
		fc->overrun0 = rb_load_relaxed(&m->overrun);
		fc->have_overrun0 = 1;
	}
	fc->method = RINGBUF_FTRACE_MMAP;
	fc->leaving = 0;
	load_subbuf(fc, id);
	/* Bytes before reader.read were consumed by an earlier reader. */
	fc->skip_to = rd <= fc->cur.cap ? rd : fc->cur.cap;
	sample_meta(fc);
	return 0;
fail_errno:
	r = -errno;
fail:
	rb_ftc_unmap(fc);
	return r;
}

/* The size of the instance's sub-buffers without mapping them: the
 * buffer_subbuf_size_kb file (6.7+), else one page. */
RB_HIDDEN uint32_t rb_ftc_subbuf_size(const char *base)
{
	char path[PATH_MAX + 300], v[32];
	uint32_t pg = (uint32_t)sysconf(_SC_PAGESIZE);
	long kb;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/buffer_subbuf_size_kb", base);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pg;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	if (n <= 0)
		return pg;
	v[n] = 0;
	kb = strtol(v, NULL, 10);
	if (kb <= 0 || kb > (1l << 14) || ((uint32_t)kb * 1024) % pg)
		return pg;
	return (uint32_t)kb * 1024;
}

/* Use read(2) from now on: the mapping (if any) is dropped. The kernel
 * copies out from its read mark, so nothing is read twice. */
RB_HIDDEN int rb_ftc_use_read(struct ft_cpu *fc)
{
	if (!fc->rbuf) {
		fc->rbuf = calloc(1, fc->subbuf_size);
		if (!fc->rbuf)
			return -ENOMEM;
	}
	subbuf_left(fc);
	rb_ftc_unmap(fc);
	fc->method = RINGBUF_FTRACE_READ;
	fc->leaving = 0;
	fc->skip_to = 0;
	fc->sb = fc->rbuf;
	memset(&fc->cur, 0, sizeof(fc->cur));    /* nothing to walk yet */
	return 0;
}

/* One read(2) of trace_pipe_raw: the kernel hands over its oldest unread
 * sub-buffer (a whole page swapped out, or the events committed so far
 * copied), in the same format as the mapping. 1 when a copy is loaded, 0
 * when there is no data, or a negative errno. */
static int read_subbuf(struct ft_cpu *fc)
{
	ssize_t n;

	do
		n = read(fc->fd, fc->rbuf, fc->subbuf_size);
	while (n < 0 && errno == EINTR);
	stat_add(&fc->st_read_calls, 1);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 0;
	if ((size_t)n < RB_FT_SUBBUF_HDR) {
		stat_add(&fc->st_corrupt, 1);
		return 0;
	}
	subbuf_start(fc, fc->rbuf, (uint32_t)n);
	return 1;
}

/* RINGBUF_FTRACE_AUTO: once a window of sub-buffers was walked, the method
 * their mean event size calls for (7/8 and 9/8 of the threshold: a band,
 * so that sizes near it do not flap). */
static int auto_decide(struct ft_cpu *fc)
{
	uint64_t mean;
	int want = fc->method;

	if (!fc->auto_on || fc->win_subbufs < FT_AUTO_WINDOW)
		return want;
	mean = fc->win_bytes / (fc->win_events ? fc->win_events : 1);
	if (fc->method == RINGBUF_FTRACE_MMAP && mean * 8 < (uint64_t)fc->auto_bytes * 7)
		want = RINGBUF_FTRACE_READ;
	else if (fc->method == RINGBUF_FTRACE_READ && mean * 8 > (uint64_t)fc->auto_bytes * 9)
		want = RINGBUF_FTRACE_MMAP;
	fc->win_bytes = fc->win_events = 0;
	fc->win_subbufs = 0;
	return want;
}

/* Bounds on one attempt to find data: at most two reader swaps or reads
 * that bring nothing new, and nr_subbufs + 2 sub-buffers without a
 * delivered event; the consumer never spins on a lying kernel. */

static int budget_spent(const struct ft_cpu *fc, const struct ft_budget *bu)
{
	uint32_t nr = fc->nr_subbufs ? fc->nr_subbufs : 4096;

	return bu->idle >= 2 || bu->swaps > nr + 1;
}

/* Mapping -> read(2). GET_READER marks everything committed in the reader
 * sub-buffer read (reader.read); we walk exactly up to that mark, then drop
 * the mapping, and read(2) goes on from the same mark. */
static int begin_leaving(struct ft_cpu *fc)
{
	uint32_t mark;
	int r = get_reader(fc);

	if (r < 0)
		return r;
	if (r == 0)
		(void)rb_ft_cursor_refresh(&fc->cur, fc->sb);
	mark = rb_load_relaxed(&fc->meta->reader.read);
	if (mark < fc->cur.pos)
		mark = fc->cur.pos;
	if (fc->cur.end > mark)
		fc->cur.end = mark;
	fc->leaving = 1;
	return 1;
}

/* The cursor stands at the end of what it can walk: make more available.
 * 1 when there may be more to walk, 0 when the CPU has nothing now, or a
 * negative errno. */
RB_HIDDEN int rb_ftc_advance(struct ft_cpu *fc, struct ft_budget *bu)
{
	int r;

	cursor_stats(fc);
	if (fc->method == RINGBUF_FTRACE_MMAP) {
		if (fc->leaving) {
			r = rb_ftc_use_read(fc);
			if (r < 0)
				return r;
			stat_add(&fc->st_switches, 1);
		} else {
			/* The writer may still be on our reader sub-buffer. */
			if (rb_ft_cursor_refresh(&fc->cur, fc->sb))
				return 1;
			if (budget_spent(fc, bu))
				return 0;
			if (auto_decide(fc) == RINGBUF_FTRACE_READ)
				return begin_leaving(fc);
			r = get_reader(fc);
			if (r < 0)
				return r;
			if (r == 1) {
				bu->swaps++;
				bu->idle = 0;
			} else {
				bu->idle++;
			}
			return 1;
		}
	}
	if (auto_decide(fc) == RINGBUF_FTRACE_MMAP) {
		subbuf_left(fc);
		r = rb_ftc_map(fc);
		if (r == 0) {
			stat_add(&fc->st_switches, 1);
			return 1;
		}
		fc->auto_on = 0;     /* the kernel will not map it: stay here */
		fc->sb = fc->rbuf;
		memset(&fc->cur, 0, sizeof(fc->cur));
	}
	if (budget_spent(fc, bu))
		return 0;
	r = read_subbuf(fc);
	if (r == 1)
		bu->swaps++;
	else
		bu->idle = 2;        /* read(2) said "nothing": no second try */
	return r;
}

/* Statistics of one batched walk, stored once. */
RB_HIDDEN void rb_ftc_walk_done(struct ft_cpu *fc, const struct rb_ft_batch *b)
{
	stat_add(&fc->st_events, b->events);
	stat_add(&fc->st_bytes, b->bytes);
	fc->sb_walked += b->walked;
}

/* Is there an event to deliver on this CPU? 1 with fc->next_ts set (the
 * cursor stands at it), 0, or a negative errno. */
RB_HIDDEN int rb_ftc_ready(struct ft_cpu *fc)
{
	struct ft_budget bu = { 0, 0 };
	int r;

	if (fc->broken)
		return 0;
	for (;;) {
		struct rb_ft_batch b = { .cpu = fc->cpu, .skip_to = fc->skip_to, .max = 0 };

		r = rb_ft_walk_batch(&fc->cur, fc->sb, &b);
		rb_ftc_walk_done(fc, &b);
		if (r == 1) {
			fc->next_ts = b.next_ts;
			return 1;
		}
		r = rb_ftc_advance(fc, &bu);
		if (r <= 0)
			return r;
	}
}
