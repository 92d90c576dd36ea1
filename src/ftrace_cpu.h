/* SPDX-License-Identifier: MIT */
/* One CPU of an ftrace source (ftrace_cpu.c), for ftrace.c. Not installed. */
#ifndef RB_FTRACE_CPU_H
#define RB_FTRACE_CPU_H

#include "ftrace.h"

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

struct ft_budget {
	unsigned int idle, swaps;
};

/* Map the CPU's trace_pipe_raw (meta page, then the sub-buffers); unmap. */
RB_HIDDEN int rb_ftc_map(struct ft_cpu *fc);
RB_HIDDEN void rb_ftc_unmap(struct ft_cpu *fc);
/* Switch the CPU to read(2) copies. */
RB_HIDDEN int rb_ftc_use_read(struct ft_cpu *fc);
/* The sub-buffer size the instance at base uses. */
RB_HIDDEN uint32_t rb_ftc_subbuf_size(const char *base);
/* The next sub-buffer, within the budget: 1 there is one, 0 none, <0 error. */
RB_HIDDEN int rb_ftc_advance(struct ft_cpu *fc, struct ft_budget *bu);
/* Account a batched walk over the current sub-buffer. */
RB_HIDDEN void rb_ftc_walk_done(struct ft_cpu *fc, const struct rb_ft_batch *b);
/* Is an event ready at the cursor (fc->next_ts set)? */
RB_HIDDEN int rb_ftc_ready(struct ft_cpu *fc);

#endif /* RB_FTRACE_CPU_H */
