// SPDX-License-Identifier: MIT
/*
 * Kernel ftrace ring buffers as a source of the consumer manager (Linux
 * 6.10+): per-CPU trace_pipe_raw files mapped read-only (meta page, then the
 * sub-buffers by ID), the reader sub-buffer walked in place, the next one
 * swapped in with TRACE_MMAP_IOCTL_GET_READER. See src/ftrace.h for the
 * format and docs/DESIGN.md ("ftrace source") for the protocol.
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

#include "ftrace.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

/* ------------------------------------------------------------------ */
/* The walker: pure, bytes in, events out.                             */
/* ------------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void cursor_init(struct rb_ft_cursor *c, uint64_t time_stamp, uint64_t commit,
			uint32_t cap)
{
	memset(c, 0, sizeof(*c));
	c->ts = time_stamp;
	c->base_ts = time_stamp;
	c->cap = cap;
	c->missed_flags = (uint32_t)((commit & RB_FT_COMMIT_FLAGS) >> 30);
	commit &= RB_FT_COMMIT_LEN_MASK;
	if (commit > cap) {             /* a lie: walk what exists */
		c->corrupt++;
		commit = cap;
	}
	c->end = (uint32_t)commit;
}

/* The lost-event count the kernel stores after the data when it has room. */
static uint64_t stored_missed(const uint8_t *data, const struct rb_ft_cursor *c)
{
	unsigned long n;

	if (!(c->missed_flags & (uint32_t)(RB_FT_MISSED_STORED >> 30)))
		return 0;
	if ((uint64_t)c->end + sizeof(n) > c->cap)
		return 0;
	memcpy(&n, data + c->end, sizeof(n));
	return n;
}

void rb_ft_cursor_start(struct rb_ft_cursor *c, const uint8_t *sb, uint32_t subbuf_size)
{
	uint64_t ts;
	long commit;

	memcpy(&ts, sb, sizeof(ts));
	commit = rb_load_acquire((const long *)(const void *)(sb + 8));   /* [F1] */
	cursor_init(c, ts, (uint64_t)(unsigned long)commit, subbuf_size - RB_FT_SUBBUF_HDR);
	c->missed = stored_missed(sb + RB_FT_SUBBUF_HDR, c);
}

int rb_ft_cursor_refresh(struct rb_ft_cursor *c, const uint8_t *sb)
{
	uint64_t commit, ts;

	/* [F1] events below commit are complete once we see commit. */
	commit = (unsigned long)rb_load_acquire((const long *)(const void *)(sb + 8));
	commit &= RB_FT_COMMIT_LEN_MASK;
	if (commit > c->cap)
		commit = c->cap;
	memcpy(&ts, sb, sizeof(ts));
	if (commit < c->end || ts != c->base_ts) {
		uint64_t corrupt = c->corrupt;

		rb_ft_cursor_start(c, sb, c->cap + RB_FT_SUBBUF_HDR);
		c->corrupt += corrupt;
		return 1;
	}
	if (commit == c->end)
		return 0;
	c->end = (uint32_t)commit;
	return 1;
}

/* Restore the top bits of a 59-bit absolute stamp from the running clock
 * (the kernel's rb_fix_abs_ts, restated). */
static uint64_t fix_abs_ts(uint64_t abs, uint64_t clock)
{
	const uint64_t top = ~0ull << RB_FT_ABS_BITS;

	if (clock & top) {
		abs |= clock & top;
		if (abs < clock)
			abs += 1ull << RB_FT_ABS_BITS;
	}
	return abs;
}

/* The batched walk. The cursor's position and clock live in locals for the
 * whole loop (the callback cannot alias them), the event handed to fn is
 * built in place, and the counts are returned once. The loop is compiled
 * twice: `general` handles skip_to and a NULL fn (peeks, the first
 * sub-buffer after attaching); the other, for everything else, keeps only
 * what a data event needs live across the call: per data event one header
 * load, one range test, one bounds check, the budget and the call. Every
 * step is a multiple of 4 bytes, so alignment is checked once, on entry. */
static inline __attribute__((always_inline)) int
walk_batch(struct rb_ft_cursor *c, const uint8_t *sb, struct rb_ft_batch *b, const int general)
{
	const uint8_t *data = sb + RB_FT_SUBBUF_HDR;
	const ringbuf_ftrace_fn fn = b->fn;
	void *const ctx = b->ctx;
	const uint32_t end = c->end, skip_to = b->skip_to;
	struct ringbuf_ftrace_event ev;
	uint32_t pos = c->pos;
	uint64_t ts = c->ts, bytes = 0, skipped = 0;
	size_t budget = b->max;
	int r = 0;

	ev.cpu = b->cpu;
	if (pos & 3u)
		goto corrupt;
	while (pos < end) {
		const uint32_t left = end - pos;
		const uint8_t *e = data + pos;
		uint32_t hdr, type_len, delta, arr, total, size;
		const uint8_t *payload;

		if (left < 4)
			goto corrupt;
		hdr = rd32(e);
		type_len = hdr & 31u;
		delta = hdr >> 5;
		if (__builtin_expect(type_len - 1u < RB_FT_TYPE_DATA_MAX, 1)) {  /* 1..28 */
			total = 4 + type_len * 4;
			if (total > left)
				goto corrupt;
			payload = e + 4;
			size = type_len * 4;
		} else {
			arr = left >= 8 ? rd32(e + 4) : 0;
			switch (type_len) {
			case RB_FT_TYPE_PADDING:
				if (delta == 0) {           /* the rest is unused */
					c->paddings++;
					pos = end;
					continue;
				}
				if (left < 8 || arr > left - 4)
					goto corrupt;
				/* A discarded event: its bytes are skipped and, as
				 * in the kernel's reader, its delta is not added. */
				c->paddings++;
				if (arr > left - 4 - 3)     /* rounding would overshoot */
					pos = end;
				else
					pos += 4 + ((arr + 3u) & ~3u);
				continue;
			case RB_FT_TYPE_TIME_EXTEND:
				if (left < 8)
					goto corrupt;
				ts += ((uint64_t)arr << RB_FT_DELTA_BITS) | delta;
				c->extends++;
				pos += 8;
				continue;
			case RB_FT_TYPE_TIME_STAMP:
				if (left < 8)
					goto corrupt;
				ts = fix_abs_ts(((uint64_t)arr << RB_FT_DELTA_BITS) | delta, ts);
				c->extends++;
				pos += 8;
				continue;
			default:                        /* 0 */
				/* array[0] counts the bytes after the header,
				 * itself included; the payload follows it. */
				if (left < 8 || arr < 4 || arr > left - 4 || (arr & 3u))
					goto corrupt;
				total = 4 + arr;
				payload = e + 8;
				size = arr - 4;
				break;
			}
		}
		if (general && pos < skip_to) {         /* read before we came */
			ts += delta;
			pos += total;
			skipped++;
			continue;
		}
		if (budget == 0) {                      /* stop AT this event */
			b->next_ts = ts + delta;
			r = 1;
			break;
		}
		ts += delta;
		pos += total;
		budget--;
		bytes += size;
		if (!general || fn) {
			int cr;

			ev.ts = ts;
			ev.data = payload;
			ev.size = size;
			cr = fn(ctx, &ev);
			if (__builtin_expect(cr < 0, 0)) {
				b->ret = cr;
				r = 1;
				break;
			}
		}
	}
	if (0) {
corrupt:
		c->corrupt++;
		pos = end;
		r = -EBADMSG;
	}
	c->pos = pos;
	c->ts = ts;
	b->events += b->max - budget;
	b->bytes += bytes;
	b->walked += b->max - budget + skipped;
	return r;
}

int rb_ft_walk_batch(struct rb_ft_cursor *c, const uint8_t *sb, struct rb_ft_batch *b)
{
	if (b->fn && c->pos >= b->skip_to)
		return walk_batch(c, sb, b, 0);
	return walk_batch(c, sb, b, 1);
}

int rb_ft_walk(const uint8_t *buf, size_t len, ringbuf_ftrace_fn fn, void *ctx,
	       struct rb_ft_cursor *out)
{
	struct rb_ft_batch b = { .fn = fn, .ctx = ctx, .max = SIZE_MAX };
	struct rb_ft_cursor c;
	uint64_t ts, commit;
	unsigned long cw;

	if (!buf || len < RB_FT_SUBBUF_HDR || len > (1u << 30))
		return -EINVAL;
	memcpy(&ts, buf, sizeof(ts));
	memcpy(&cw, buf + 8, sizeof(cw));
	commit = cw;
	cursor_init(&c, ts, commit, (uint32_t)(len - RB_FT_SUBBUF_HDR));
	c.missed = stored_missed(buf + RB_FT_SUBBUF_HDR, &c);
	(void)rb_ft_walk_batch(&c, buf, &b);   /* garbage: c.corrupt says */
	if (out)
		*out = c;
	if (b.ret < 0)
		return b.ret;
	return b.events > INT_MAX ? INT_MAX : (int)b.events;
}

/* ------------------------------------------------------------------ */
/* tracefs                                                             */
/* ------------------------------------------------------------------ */

static int is_tracefs(const char *path)
{
	struct statfs sf;
	char probe[PATH_MAX];

	if (statfs(path, &sf) != 0)
		return 0;
	if ((unsigned long)sf.f_type == TRACEFS_MAGIC)
		return 1;
	/* debugfs automounting tracing: check for the files we need */
	snprintf(probe, sizeof(probe), "%s/per_cpu", path);
	return access(probe, F_OK) == 0 && (sf.f_type != 0);
}

int rb_ft_find_tracefs(const char *given, int do_mount, char *out, size_t outlen)
{
	static const char *const known[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char line[1024];
	FILE *f;
	size_t i;

	if (given) {
		if (!is_tracefs(given))
			return -ENOENT;
		snprintf(out, outlen, "%s", given);
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (is_tracefs(known[i])) {
			snprintf(out, outlen, "%s", known[i]);
			return 0;
		}
	}
	f = fopen("/proc/self/mounts", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char dev[256], dir[512], type[64];

			if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
			    strcmp(type, "tracefs") == 0 && is_tracefs(dir)) {
				fclose(f);
				snprintf(out, outlen, "%s", dir);
				return 0;
			}
		}
		fclose(f);
	}
	if (!do_mount)
		return -ENOENT;
	if (mount("nodev", known[0], "tracefs", 0, NULL) != 0 && errno != EBUSY)
		return -errno;
	if (!is_tracefs(known[0]))
		return -ENOENT;
	snprintf(out, outlen, "%s", known[0]);
	return 0;
}

int rb_ft_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* One CPU: the mapping walked in place, or read(2) copies              */
/* ------------------------------------------------------------------ */

/* The automatic choice (RINGBUF_FTRACE_AUTO). The kernel's costs, measured
 * on 6.18 (docs/ftrace-upstream.md): GET_READER marks the reader
 * sub-buffer read event by event (~48 ns each, interrupts off), read(2)
 * swaps a whole page out in O(1) and copies it (~1.6 us per 4 KiB page,
 * whatever it holds). Per byte of events, read(2) wins when events are
 * small. We keep the mean size of the events walked (bytes committed per
 * data event) over a window of sub-buffers and switch when it leaves a
 * band around the threshold, so a workload near it does not flap. */
#define FT_AUTO_WINDOW        8u      /* sub-buffers per decision */
#define FT_AUTO_DEFAULT_BYTES 280u    /* mean bytes per event in the buffer */

struct ft_cpu {
	int cpu;
	int fd;
	int method;                 /* RINGBUF_FTRACE_MMAP or _READ, now */
	int auto_on;                /* switch between them by event size */
	uint32_t auto_bytes;        /* the threshold */
	/* The mapping (method MMAP). */
	const struct rb_ft_meta *meta;
	size_t meta_len;
	const uint8_t *data;        /* sub-buffer 0 */
	size_t data_len;
	uint32_t nr_subbufs;        /* 0 while never mapped */
	uint32_t meta_struct_len;
	uint32_t id;                /* reader sub-buffer being walked */
	int leaving;                /* walking up to the kernel's read mark,
				     * then read(2) takes over */
	int have_overrun0;
	uint64_t overrun0;          /* meta->overrun when first mapped */
	/* The copies (method READ). */
	uint8_t *rbuf;              /* subbuf_size bytes */
	/* The walk, over either. */
	uint32_t subbuf_size;
	const uint8_t *sb;          /* the sub-buffer walked */
	uint32_t skip_to;           /* read by someone before we mapped it */
	struct rb_ft_cursor cur;
	uint64_t sb_walked;         /* data events walked in sb */
	uint64_t win_bytes, win_events;
	unsigned int win_subbufs;
	uint64_t next_ts;           /* ft_ready: the event at the cursor */
	int drained;                /* merge: found empty in this consume call */
	int broken;                 /* the mapping lied about an ID: stop */
	/* Statistics: written by the consuming thread, read by any. */
	uint64_t st_events, st_bytes, st_lost, st_missed_subbufs, st_corrupt,
		 st_subbufs, st_get_reader, st_paddings, st_extends,
		 st_entries, st_overrun, st_read, st_lost_counted,
		 st_read_calls, st_switches;
};

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

static void cpu_unmap(struct ft_cpu *fc)
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
static int cpu_map(struct ft_cpu *fc)
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
	cpu_unmap(fc);
	return r;
}

/* The size of the instance's sub-buffers without mapping them: the
 * buffer_subbuf_size_kb file (6.7+), else one page. */
static uint32_t subbuf_size_of(const char *base)
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
static int cpu_use_read(struct ft_cpu *fc)
{
	if (!fc->rbuf) {
		fc->rbuf = calloc(1, fc->subbuf_size);
		if (!fc->rbuf)
			return -ENOMEM;
	}
	subbuf_left(fc);
	cpu_unmap(fc);
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
struct ft_budget {
	unsigned int idle, swaps;
};

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
static int ft_advance(struct ft_cpu *fc, struct ft_budget *bu)
{
	int r;

	cursor_stats(fc);
	if (fc->method == RINGBUF_FTRACE_MMAP) {
		if (fc->leaving) {
			r = cpu_use_read(fc);
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
		r = cpu_map(fc);
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
static void walk_done(struct ft_cpu *fc, const struct rb_ft_batch *b)
{
	stat_add(&fc->st_events, b->events);
	stat_add(&fc->st_bytes, b->bytes);
	fc->sb_walked += b->walked;
}

/* Is there an event to deliver on this CPU? 1 with fc->next_ts set (the
 * cursor stands at it), 0, or a negative errno. */
static int ft_ready(struct ft_cpu *fc)
{
	struct ft_budget bu = { 0, 0 };
	int r;

	if (fc->broken)
		return 0;
	for (;;) {
		struct rb_ft_batch b = { .cpu = fc->cpu, .skip_to = fc->skip_to, .max = 0 };

		r = rb_ft_walk_batch(&fc->cur, fc->sb, &b);
		walk_done(fc, &b);
		if (r == 1) {
			fc->next_ts = b.next_ts;
			return 1;
		}
		r = ft_advance(fc, &bu);
		if (r <= 0)
			return r;
	}
}

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
		walk_done(fc, &b);
		*done += b.events;
		if (b.ret)
			return b.ret;
		if (r == 1)
			break;
		if (b.events)
			bu.idle = bu.swaps = 0;
		r = ft_advance(fc, &bu);
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
			r = ft_ready(fc);
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
			walk_done(best, &b);
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
		r = ft_ready(&s->cpus[i]);
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
	cpu_unmap(fc);
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
		r = cpu_map(fc);
		if (r == 0 || method == RINGBUF_FTRACE_MMAP)
			return r;
		if (r != -ENODEV && r != -EBUSY && r != -EINVAL && r != -EOPNOTSUPP && r != -EPERM)
			return r;
		fc->auto_on = 0;
	}
	fc->subbuf_size = subbuf_size_of(base);
	return cpu_use_read(fc);
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

int ringbuf_consumer_add_ftrace(struct ringbuf_consumer *c, const struct ringbuf_ftrace_opts *opts,
				ringbuf_ftrace_fn fn, void *ctx)
{
	struct ringbuf_ftrace_opts o;
	char tracefs[PATH_MAX], base[PATH_MAX + 256];
	int cpus[1024], ncpu, i, r;
	struct ft_source *s;

	rb_clear_detail();
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
