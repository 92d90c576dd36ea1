/* SPDX-License-Identifier: MIT */
/*
 * Where `ringbuf ship` sends records: one file per kind of destination
 * (sink_nats.c, sink_kafka.c), each defining one struct sink_kind and
 * listed in sink_kinds[] (cmd_ship.c). A third destination is one file and
 * one line there.
 *
 * The shipper holds every record it sends (ringbuf_consume_hold) and
 * releases it when the sink acknowledges it, so a sink only has to say,
 * for each message, "stored" or "failed"; it never has to keep a record
 * longer than the send call (the record stays valid in the ring until it is
 * acknowledged, so a sink may also point at it without copying).
 */
#ifndef RINGBUF_SINK_H
#define RINGBUF_SINK_H

#include <stddef.h>
#include <stdint.h>

struct ship_msg {
	const void *data;       /* the record, valid until acknowledged
				 * (unless transient) */
	size_t len;
	unsigned src;           /* index of the source ring */
	uint64_t pos;           /* the record's position in its ring */
	const char *ring_hex;   /* the ring's identity, 32 hex digits */
	const char *id;         /* "RING_HEX-POS_HEX": unique per record */
	/* The id of the message sent before this one from the same ring, when
	 * the sink must store this one right after it (NATS:
	 * Nats-Expected-Last-Msg-Id), or NULL. */
	const char *after_id;
	/* data is valid only during send() (a record not held: --no-hold, or
	 * an overwrite-mode ring's private copy): copy it. */
	int transient;
};

/* A sink calls this once per message sent, from the thread that calls
 * poll(): err 0 stored (or already there: a duplicate), else a negative
 * errno; msg is the text of the failure or NULL. */
typedef void (*sink_ack_fn)(void *ctx, unsigned src, uint64_t pos, int err, const char *msg);

struct sink_url {
	const char *scheme;     /* "nats", "kafka" */
	char *hosts[16];        /* "host:port" */
	int nhosts;
	const char *subject;    /* NATS subject / Kafka topic */
};

struct sink_opts {
	const char *stream;     /* NATS stream name */
	int replicas;           /* 0: the cluster size, at most 3 */
	int window;             /* messages in flight at most */
	int ack_timeout_ms;     /* a message not acknowledged by then failed */
	sink_ack_fn ack;
	void *ctx;
	int verbose;
};

struct sink;
struct sink_kind {
	const char *scheme;
	/* Why this build cannot use it (built without the client library),
	 * or NULL. */
	const char *missing;
	/* Connect; on failure NULL and a message in err. */
	struct sink *(*open)(const struct sink_url *u, const struct sink_opts *o,
			     char *err, size_t errlen);
	/* Send one message asynchronously: 0, or a negative errno (the
	 * message was not sent: the shipper sends it again later). */
	int (*send)(struct sink *s, const struct ship_msg *m);
	/* Push out what is batched, deliver the acknowledgements that came
	 * (o->ack), waiting up to timeout_ms for one. Returns the number of
	 * acknowledgements delivered or a negative errno. */
	int (*poll)(struct sink *s, int timeout_ms);
	/* Disconnect; messages still in flight are not acknowledged. */
	void (*close)(struct sink *s);
};

extern const struct sink_kind sink_nats, sink_kafka;

#endif /* RINGBUF_SINK_H */
