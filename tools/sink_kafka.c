// SPDX-License-Identifier: MIT
/*
 * The Kafka sink of `ringbuf ship`, through librdkafka (Debian
 * librdkafka-dev). An idempotent producer (no duplicates or reordering from
 * its own retries) that retries for as long as it takes (message.timeout.ms
 * 0): a broker that is down only makes the shipper hold. The ring identity
 * is the key (one ring, one partition: ring order) and a header, the
 * position a header. Payloads are not copied: a held record stays in its
 * ring until its delivery report. At least once: what was in flight when
 * the shipper died is sent again by the next one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

#ifndef HAVE_RDKAFKA
const struct sink_kind sink_kafka = {
	.scheme = "kafka",
	.missing = "built without librdkafka (install librdkafka-dev and rebuild)",
};
#else
#include <inttypes.h>
#include <librdkafka/rdkafka.h>

struct sink {
	rd_kafka_t *rk;
	char *topic;
	struct sink_opts o;
};

struct kmsg {
	unsigned src;
	uint64_t pos;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sink *s = opaque;
	struct kmsg *k = m->_private;

	(void)rk;
	if (!k)
		return;
	if (s->o.ack)
		s->o.ack(s->o.ctx, k->src, k->pos, m->err ? -EIO : 0,
		 m->err ? rd_kafka_err2str(m->err) : NULL);
	free(k);
}

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen)
{
	char e[256];

	if (rd_kafka_conf_set(c, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka option %s=%s: %s", k, v, e);
		return -1;
	}
	return 0;
}

static struct sink *kafka_open(const struct sink_url *u, const struct sink_opts *o,
			       char *err, size_t errlen)
{
	struct sink *s = calloc(1, sizeof(*s));
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char hosts[4096] = "", num[32];
	char e[512];

	if (!s || !c) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->o = *o;
	s->topic = strdup(u->subject);
	for (int i = 0; i < u->nhosts; i++)
		snprintf(hosts + strlen(hosts), sizeof(hosts) - strlen(hosts), "%s%s",
			 i ? "," : "", u->hosts[i]);
	snprintf(num, sizeof(num), "%d", o->window < 1000 ? 2000 : 2 * o->window);
	if (set(c, "bootstrap.servers", hosts, err, errlen) ||
	    set(c, "enable.idempotence", "true", err, errlen) ||
	    set(c, "message.timeout.ms", "0", err, errlen) ||
	    set(c, "linger.ms", "5", err, errlen) ||
	    set(c, "queue.buffering.max.messages", num, err, errlen) ||
	    set(c, "reconnect.backoff.ms", "50", err, errlen) ||
	    set(c, "reconnect.backoff.max.ms", "500", err, errlen))
		goto fail;
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_opaque(c, s);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
	if (!s->rk) {
		snprintf(err, errlen, "kafka: %s", e);
		goto fail;
	}
	return s;
fail:
	if (c && !(s && s->rk))
		rd_kafka_conf_destroy(c);
	if (s)
		free(s->topic);
	free(s);
	return NULL;
}

static int kafka_send(struct sink *s, const struct ship_msg *m)
{
	struct kmsg *k = malloc(sizeof(*k));
	char pos[24];
	rd_kafka_resp_err_t e;

	if (!k)
		return -ENOMEM;
	k->src = m->src;
	k->pos = m->pos;
	snprintf(pos, sizeof(pos), "%" PRIu64, m->pos);
	e = rd_kafka_producev(s->rk,
			      RD_KAFKA_V_TOPIC(s->topic),
			      RD_KAFKA_V_VALUE((void *)m->data, m->len),
			      RD_KAFKA_V_KEY(m->ring_hex, strlen(m->ring_hex)),
			      RD_KAFKA_V_HEADER("ringbuf-ring", m->ring_hex, (ssize_t)strlen(m->ring_hex)),
			      RD_KAFKA_V_HEADER("ringbuf-pos", pos, (ssize_t)strlen(pos)),
			      RD_KAFKA_V_OPAQUE(k),
			      RD_KAFKA_V_MSGFLAGS(m->transient ? RD_KAFKA_MSG_F_COPY : 0),
			      RD_KAFKA_V_END);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	free(k);
	if (s->o.verbose)
		fprintf(stderr, "ringbuf ship: produce: %s\n", rd_kafka_err2str(e));
	return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -EAGAIN : -EIO;
}

static int kafka_poll(struct sink *s, int timeout_ms)
{
	return rd_kafka_poll(s->rk, timeout_ms);
}

static void kafka_close(struct sink *s)
{
	if (!s)
		return;
	/* What is still queued is purged: those records stay held in their
	 * rings and the next shipper sends them. */
	s->o.ack = NULL;
	rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(s->rk, 0);
	rd_kafka_destroy(s->rk);
	free(s->topic);
	free(s);
}

const struct sink_kind sink_kafka = {
	.scheme = "kafka",
	.open = kafka_open,
	.send = kafka_send,
	.poll = kafka_poll,
	.close = kafka_close,
};
#endif
