/* SPDX-License-Identifier: MIT */
/* ringbuf bench, the ftrace rows: what ftrace.c (the rows, the measurement)
 * and ftrace_readers.c (ours and the anchors) share. */
#ifndef BENCH_FTRACE_ROWS_H
#define BENCH_FTRACE_ROWS_H

#include <stdint.h>
#include <string.h>

#include <ringbuf.h>
#ifdef HAVE_LIBTRACEFS
#include <tracefs.h>
#include <kbuffer.h>
#endif

/* The benchmark's tracefs instance. */
struct ft_instance {
	char tracefs[256];
	char name[64];            /* rbbench-<pid> */
	char dir[512];            /* tracefs/instances/name */
};

/* ---- the check every reader runs on every event ---- */

struct fchk {
	uint64_t next;        /* sequence expected */
	uint64_t last_ts;
	long count;
	uint32_t min_size;    /* payload bytes at least */
	uint16_t print_id;
	const char *row;
	int bytes;
};

/* A reader met a wrong event: say which and where, exit 1 (no result). */
__attribute__((noreturn, cold)) void fb_error(const struct fchk *k, const char *what,
					      uint64_t got, uint64_t want);

static inline void fcheck(struct fchk *k, uint64_t ts, const void *data, uint32_t size)
{
	const uint8_t *d = data;
	uint64_t seq;
	uint16_t type;

	if (__builtin_expect(size < k->min_size, 0))
		fb_error(k, "short event", size, k->min_size);
	memcpy(&type, d, sizeof(type));
	if (__builtin_expect(type != k->print_id, 0))
		fb_error(k, "not a marker", type, k->print_id);
	memcpy(&seq, d + 16, sizeof(seq));
	if (__builtin_expect(seq != k->next, 0))
		fb_error(k, seq < k->next ? "duplicate or reordered event" : "lost event", seq, k->next);
	if (__builtin_expect(ts < k->last_ts, 0))
		fb_error(k, "timestamp went back", ts, k->last_ts);
	k->last_ts = ts;
	k->next = seq + 1;
	k->count++;
}

/* ---- one measurement's context ---- */

struct fb {
	struct ft_instance t; /* tracefs, instance name and dir */
	int cpu;              /* whose buffer is read (the producer's) */
	uint32_t subbuf;      /* sub-buffer bytes */
	struct fchk k;
	int arg;              /* the row's */
	uint64_t sys_ns;      /* minimal readers: time inside GET_READER / read(2) */
	uint64_t sys_calls;
	/* the reader's state */
	struct ringbuf_consumer *c;
	int fd;
	void *meta, *data;
	size_t meta_len, data_len;
	uint8_t *buf;
#ifdef HAVE_LIBTRACEFS
	struct tracefs_instance *inst;
	struct tracefs_cpu *tcpu;
	struct kbuffer *kbuf;
#endif
};

struct frow {
	const char *name;
	int anchor;
	int (*setup)(struct fb *f, int arg);   /* 0, or a negative errno: skipped */
	long (*drain)(struct fb *f);           /* events delivered */
	void (*teardown)(struct fb *f);
	int arg;
};

/* The readers: setup (not timed; 0 or a negative errno: row skipped),
 * drain (the events delivered), teardown. */
int ours_setup(struct fb *f, int method);
long ours_drain(struct fb *f);
void ours_teardown(struct fb *f);
int min_mmap_setup(struct fb *f, int arg);
long min_mmap_drain(struct fb *f);
int min_read_setup(struct fb *f, int arg);
long min_read_drain(struct fb *f);
void min_teardown(struct fb *f);
int tfs_setup(struct fb *f, int arg);
long tfs_drain(struct fb *f);
void tfs_teardown(struct fb *f);

#endif /* BENCH_FTRACE_ROWS_H */
