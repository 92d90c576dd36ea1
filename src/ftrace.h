/* SPDX-License-Identifier: MIT */
/*
 * The kernel ftrace ring-buffer format, as user space sees it through the
 * mmap of per_cpu/cpuN/trace_pipe_raw (Linux 6.10+), and the pure walker
 * over one sub-buffer. Internal; the fuzz target calls the walker directly.
 *
 * Mapping:   [meta page][sub-buffer 0][sub-buffer 1]...  (by sub-buffer ID)
 * Sub-buffer: u64 time_stamp; long commit; u8 data[subbuf_size - header]
 *   commit = bytes of data[] committed (low 30 bits), with
 *   RB_FT_MISSED_EVENTS (events were lost before this sub-buffer; bit 31,
 *   sign-extended on 64-bit) and RB_FT_MISSED_STORED (their count, an
 *   unsigned long, is stored at data[commit]; bit 30).
 * Event:     u32 header {type_len:5 (low bits), time_delta:27}, u32 array[]
 *   type_len 1..28: data, payload type_len*4 bytes at array[0]
 *   type_len 0:     data, array[0] = bytes after the header; payload at array[1]
 *   29 padding:     time_delta 0: the rest of the sub-buffer is unused;
 *                   otherwise a discarded event of 4 + array[0] bytes
 *   30 time extend: delta = array[0] << 27 | time_delta, added to the clock
 *   31 time stamp:  absolute (59 bits) = array[0] << 27 | time_delta
 */
#ifndef RB_FTRACE_H
#define RB_FTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "internal.h"

/* include/uapi/linux/trace_mmap.h, spelled out: the header is not in
 * every libc's kernel headers. Only meta_struct_len bytes of it exist. */
struct rb_ft_meta {
	uint32_t meta_page_size;
	uint32_t meta_struct_len;
	uint32_t subbuf_size;      /* header included */
	uint32_t nr_subbufs;       /* the reader included */
	struct {
		uint64_t lost_events;  /* lost at the last reader swap */
		uint32_t id;           /* sub-buffer ID of the reader */
		uint32_t read;         /* bytes of it the kernel counts as read */
	} reader;
	uint64_t flags;
	uint64_t entries;
	uint64_t overrun;
	uint64_t read;
	uint64_t reserved1;
	uint64_t reserved2;
};
/* The fields we need end with reader (24 bytes); entries..read are used
 * when meta_struct_len covers them. */
#define RB_FT_META_MIN_LEN   24u
#define RB_FT_IOCTL_GET_READER _IO('R', 0x20)

#define RB_FT_TYPE_DATA_MAX    28u
#define RB_FT_TYPE_PADDING     29u
#define RB_FT_TYPE_TIME_EXTEND 30u
#define RB_FT_TYPE_TIME_STAMP  31u
#define RB_FT_DELTA_BITS       27u
#define RB_FT_DELTA_MASK       ((1u << RB_FT_DELTA_BITS) - 1)
#define RB_FT_MISSED_EVENTS    (1ull << 31)
#define RB_FT_MISSED_STORED    (1ull << 30)
#define RB_FT_COMMIT_FLAGS     (RB_FT_MISSED_EVENTS | RB_FT_MISSED_STORED)
/* The kernel adds the flags as ints to a long: 1 << 31 arrives sign-extended
 * (0xffffffff80000000). The length is the low 30 bits, nothing else. */
#define RB_FT_COMMIT_LEN_MASK  ((1ull << 30) - 1)
/* An absolute time stamp carries 59 bits; the top 5 come from the clock. */
#define RB_FT_ABS_BITS         59u

/* Sub-buffer header: u64 time_stamp, then a native long (local_t). */
#define RB_FT_COMMIT_SIZE      sizeof(long)
#define RB_FT_SUBBUF_HDR       (8u + (uint32_t)RB_FT_COMMIT_SIZE)

/* Where a walk over one sub-buffer stands. All offsets are into data[]. */
struct rb_ft_cursor {
	uint64_t ts;          /* clock after the last header walked */
	uint64_t base_ts;     /* the sub-buffer's time_stamp when we started */
	uint32_t pos;         /* next event header */
	uint32_t end;         /* committed bytes, bounded by cap */
	uint32_t cap;         /* data[] capacity: subbuf_size - header */
	uint32_t missed_flags;/* RB_FT_MISSED_* of this sub-buffer (>> 30) */
	uint64_t missed;      /* stored lost-event count, 0 when none */
	uint64_t corrupt;     /* garbage headers met (each ends the walk) */
	uint64_t paddings;    /* padding events skipped */
	uint64_t extends;     /* time-extend and time-stamp events */
};

/* Start walking a sub-buffer of subbuf_size bytes (header included) at sb.
 * The header is read here (commit with acquire: the kernel may still be
 * appending when the writer is on the reader sub-buffer). */
RB_HIDDEN void rb_ft_cursor_start(struct rb_ft_cursor *c, const uint8_t *sb,
				  uint32_t subbuf_size);
/* Re-read the commit of the sub-buffer the cursor walks; returns 1 when it
 * grew (more events to walk), 0 otherwise. A sub-buffer that shrank or got
 * a new time_stamp was reset under us (the buffer was cleared): the walk
 * restarts from its beginning and 1 is returned. */
RB_HIDDEN int rb_ft_cursor_refresh(struct rb_ft_cursor *c, const uint8_t *sb);

/* One batched walk: events go straight from the sub-buffer to fn, with no
 * copy; the counts come back in the batch, for the caller to store once. */
struct rb_ft_batch {
	ringbuf_ftrace_fn fn; /* NULL: walk without calling anything */
	void *ctx;
	int cpu;              /* copied into every event */
	uint32_t skip_to;     /* data events starting before this offset are
			       * walked over, not delivered (read before us) */
	size_t max;           /* deliver at most this many; the walk stops AT
			       * the next data event (not consumed), so max 0
			       * is a peek: is there an event, and its time */
	/* out (added to): */
	size_t events;        /* delivered */
	uint64_t bytes;       /* their payload bytes */
	uint64_t walked;      /* data events passed (delivered or skipped) */
	uint64_t next_ts;     /* stopped at max: that event's timestamp */
	int ret;              /* the callback's negative return, else 0 */
};
/* Walk from the cursor towards c->end. Returns 1 when it stopped early (max
 * reached: the cursor stands at an undelivered data event; or fn returned
 * a negative value, in b->ret: that event counts as delivered), 0 at the
 * end of the committed data, -EBADMSG when a header is garbage (the cursor
 * then stands at the end; c->corrupt counts it). Never reads outside
 * sb[RB_FT_SUBBUF_HDR, RB_FT_SUBBUF_HDR + c->end) and every step moves
 * forward: at most cap/4 steps per sub-buffer. */
RB_HIDDEN int rb_ft_walk_batch(struct rb_ft_cursor *c, const uint8_t *sb, struct rb_ft_batch *b);

/* The whole walk over bytes in memory (a read(2) copy, the fuzz target,
 * tests): header parsed from buf (len >= RB_FT_SUBBUF_HDR, else -EINVAL),
 * events to fn (a negative return stops the walk and is returned) through
 * rb_ft_walk_batch. Returns the number of events or a negative errno. */
RB_HIDDEN int rb_ft_walk(const uint8_t *buf, size_t len, ringbuf_ftrace_fn fn, void *ctx,
			 struct rb_ft_cursor *out);

/* ftrace_tracefs.c — where tracefs is. */
/* Find tracefs: opts path, the usual mount points, /proc/mounts; mount it
 * on /sys/kernel/tracing when mount is set. Writes the path to out. */
RB_HIDDEN int rb_ft_find_tracefs(const char *given, int mount, char *out, size_t outlen);

#endif /* RB_FTRACE_H */
