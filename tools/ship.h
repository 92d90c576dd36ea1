/* SPDX-License-Identifier: MIT */
/* ringbuf ship: the shipper's state, shared by cmd_ship.c (sources, acks,
 * sending, the loop) and ship_status.c (the status line and the JSON). */
#ifndef RINGBUF_SHIP_H
#define RINGBUF_SHIP_H

#include <stdint.h>

#include <ringbuf.h>

#include "sink.h"

enum { SLOT_SENT, SLOT_ACKED, SLOT_FAILED };
struct slot {
	uint64_t pos;
	int acked;                /* SLOT_* */
};

struct source {
	const char *name;
	struct ringbuf *rb;
	int is_bpf;
	char hex[2 * RINGBUF_ID_SZ + 1];
	struct slot *q;           /* in flight, in ring order: q[head..tail) */
	uint64_t head, tail;      /* counters; index & qmask */
	uint64_t qmask;
	int failed;               /* resend from the oldest unacknowledged */
	int no_hold;              /* --no-hold, or an overwrite-mode ring */
	int drained;              /* nothing left to read (one-shot mode) */
	char prev_id[64];         /* the last message sent, or "" */
	char released_id[64];     /* the last message released, or "" */
	uint64_t shipped, acked, resent, failures, released_bytes;
};

struct shipper {
	const struct sink_kind *kind;
	struct sink *sink;
	struct source *src;
	int nsrc;
	int ordered;              /* each message names the one before it */
	int no_hold;              /* --no-hold */
	uint64_t nohold_base;
	int verbose;
	uint64_t window, inflight;
	int send_err;             /* last send error of this round */
	struct source *cur;
};

/* The terminal's status line: shipped, acknowledged, pending, fill, dropped. */
void status_line(const struct shipper *sh);
/* The final JSON object (--json): totals and one object per source. */
void print_json(const struct shipper *sh, double secs);

#endif /* RINGBUF_SHIP_H */
