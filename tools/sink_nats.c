// SPDX-License-Identifier: MIT
/*
 * The NATS JetStream sink of `ringbuf ship`, through libnats (Debian
 * libnats-dev). Asynchronous publishes, each with Nats-Msg-Id = ring
 * identity + position (the stream drops a message id it has already stored
 * within its duplicate window) and, for a single ring, the id of the
 * message before it as Nats-Expected-Last-Msg-Id, so that after a failure
 * the stream refuses anything out of order and the shipper's resend keeps
 * ring order. Acknowledgements arrive on a libnats thread and are queued
 * for the shipper's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

#ifndef HAVE_NATS
const struct sink_kind sink_nats = {
	.scheme = "nats",
	.missing = "built without libnats (install libnats-dev and rebuild)",
};
#else
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include <nats/nats.h>

#define MAX_RINGS 64

struct ack {
	unsigned src;
	uint64_t pos;
	int err;
	char msg[96];
};

struct sink {
	natsConnection *nc;
	natsOptions *nopts;
	jsCtx *js;
	char *subject;
	struct sink_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ack *acks, *spare;   /* filled by the libnats thread */
	size_t n, cap, spare_cap;
	char rings[MAX_RINGS][2 * 16 + 1];
	int nrings;
};

static int ring_index(struct sink *s, const char *hex, size_t len)
{
	for (int i = 0; i < s->nrings; i++)
		if (strlen(s->rings[i]) == len && !memcmp(s->rings[i], hex, len))
			return i;
	return -1;
}

/* On a libnats thread. */
static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct sink *s = closure;
	const char *id = NULL, *dash;
	struct ack a = { 0 };
	int src;

	(void)js;
	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || !id ||
	    !(dash = strchr(id, '-')))
		goto out;
	pthread_mutex_lock(&s->mu);
	src = ring_index(s, id, (size_t)(dash - id));
	pthread_mutex_unlock(&s->mu);
	if (src < 0)
		goto out;
	a.src = (unsigned)src;
	a.pos = strtoull(dash + 1, NULL, 16);
	if (!pa) {
		a.err = pae && pae->Err == NATS_TIMEOUT ? -ETIMEDOUT : -EIO;
		snprintf(a.msg, sizeof(a.msg), "%s",
			 pae && pae->ErrText ? pae->ErrText :
			 pae ? natsStatus_GetText(pae->Err) : "no acknowledgement");
	}
	pthread_mutex_lock(&s->mu);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct ack *na = realloc(s->acks, cap * sizeof(*na));

		if (!na) {
			pthread_mutex_unlock(&s->mu);
			goto out; /* never acknowledged: resent after the timeout */
		}
		s->acks = na;
		s->cap = cap;
	}
	s->acks[s->n++] = a;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
out:
	natsMsg_Destroy(msg);
}

static void fail_text(char *err, size_t len, const char *what, natsStatus st, jsErrCode jerr)
{
	const char *last = nats_GetLastError(NULL);

	snprintf(err, len, "%s: %s%s%s", what, natsStatus_GetText(st),
		 last && *last ? ": " : "", last ? last : "");
	if (jerr)
		snprintf(err + strlen(err), len - strlen(err), " (JetStream error %d)", (int)jerr);
}

static void nats_close(struct sink *s);

/* The stream, created when missing: replicas = the cluster size, at most 3
 * (the servers the connection knows, given or discovered). */
static int ensure_stream(struct sink *s, const struct sink_url *u, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus st;
	char **servers = NULL;
	int count = 0, replicas = s->o.replicas;
	const char *subjects[1] = { s->subject };

	/* A cluster electing a new stream leader (a node died) answers
	 * nothing for a few seconds: keep asking, for up to 30 s. */
	for (int tries = 0;; tries++) {
		jerr = 0;
		st = js_GetStreamInfo(&si, s->js, s->o.stream, NULL, &jerr);
		if ((st != NATS_TIMEOUT && st != NATS_NO_RESPONDERS) || tries * s->o.ack_timeout_ms >= 30000)
			break;
		if (s->o.verbose)
			fprintf(stderr, "ringbuf ship: stream %s: %s, asking again\n", s->o.stream,
				natsStatus_GetText(st));
	}
	if (st == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (st != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
		fail_text(err, errlen, "stream info", st, jerr);
		return -1;
	}
	if (!replicas) {
		if (natsConnection_GetServers(s->nc, &servers, &count) == NATS_OK) {
			for (int i = 0; i < count; i++)
				free(servers[i]);
			free(servers);
		}
		replicas = count > u->nhosts ? count : u->nhosts;
		if (replicas > 3)
			replicas = 3;
	}
	jsStreamConfig_Init(&cfg);
	cfg.Name = s->o.stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Replicas = replicas;
	cfg.Storage = js_FileStorage;
	jerr = 0;
	st = js_AddStream(&si, s->js, &cfg, NULL, &jerr);
	if (st != NATS_OK) {
		fail_text(err, errlen, "creating the stream", st, jerr);
		return -1;
	}
	if (s->o.verbose)
		fprintf(stderr, "ringbuf ship: created stream %s (subject %s, %d replicas)\n",
			s->o.stream, s->subject, replicas);
	jsStreamInfo_Destroy(si);
	return 0;
}

static struct sink *nats_open(const struct sink_url *u, const struct sink_opts *o,
			      char *err, size_t errlen)
{
	struct sink *s = calloc(1, sizeof(*s));
	const char *urls[16];
	char buf[16][300];
	jsOptions jo;
	natsStatus st;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->subject = strdup(u->subject);
	for (int i = 0; i < u->nhosts; i++) {
		snprintf(buf[i], sizeof(buf[i]), "nats://%s", u->hosts[i]);
		urls[i] = buf[i];
	}
	if ((st = natsOptions_Create(&s->nopts)) != NATS_OK ||
	    (st = natsOptions_SetServers(s->nopts, urls, u->nhosts)) != NATS_OK ||
	    (st = natsOptions_SetMaxReconnect(s->nopts, -1)) != NATS_OK ||
	    (st = natsOptions_SetReconnectWait(s->nopts, 100)) != NATS_OK ||
	    (st = natsOptions_SetTimeout(s->nopts, 2000)) != NATS_OK ||
	    (st = natsOptions_SetReconnectBufSize(s->nopts, 64 << 20)) != NATS_OK) {
		fail_text(err, errlen, "options", st, 0);
		goto fail;
	}
	st = natsConnection_Connect(&s->nc, s->nopts);
	if (st != NATS_OK) {
		fail_text(err, errlen, "connecting", st, 0);
		goto fail;
	}
	jsOptions_Init(&jo);
	jo.Wait = o->ack_timeout_ms;
	jo.PublishAsync.MaxPending = o->window;
	jo.PublishAsync.AckHandler = on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = s;
	jo.PublishAsync.StallWait = 1;
	st = natsConnection_JetStream(&s->js, s->nc, &jo);
	if (st != NATS_OK) {
		fail_text(err, errlen, "JetStream", st, 0);
		goto fail;
	}
	if (ensure_stream(s, u, err, errlen))
		goto fail;
	return s;
fail:
	nats_close(s);
	return NULL;
}

static int nats_send(struct sink *s, const struct ship_msg *m)
{
	natsMsg *msg = NULL;
	jsPubOptions po;
	natsStatus st;

	if (m->src >= MAX_RINGS)
		return -EINVAL;
	if (!s->rings[m->src][0]) {
		pthread_mutex_lock(&s->mu);
		snprintf(s->rings[m->src], sizeof(s->rings[m->src]), "%s", m->ring_hex);
		if ((int)m->src >= s->nrings)
			s->nrings = (int)m->src + 1;
		pthread_mutex_unlock(&s->mu);
	}
	st = natsMsg_Create(&msg, s->subject, NULL, m->data, (int)m->len);
	if (st != NATS_OK)
		return -ENOMEM;
	jsPubOptions_Init(&po);
	po.MsgId = m->id;
	po.ExpectLastMsgId = m->after_id;
	po.MaxWait = s->o.ack_timeout_ms;
	st = js_PublishMsgAsync(s->js, &msg, &po);
	natsMsg_Destroy(msg); /* NULL when libnats took it */
	if (st == NATS_OK)
		return 0;
	if (s->o.verbose)
		fprintf(stderr, "ringbuf ship: publish: %s\n", natsStatus_GetText(st));
	return st == NATS_TIMEOUT ? -EAGAIN : -EIO;
}

static int nats_poll(struct sink *s, int timeout_ms)
{
	struct ack *a;
	size_t n, cap;

	pthread_mutex_lock(&s->mu);
	if (!s->n && timeout_ms > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)timeout_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	/* Swap the queue out, deliver outside the lock. */
	a = s->acks;
	n = s->n;
	cap = s->cap;
	s->acks = s->spare;
	s->cap = s->spare_cap;
	s->n = 0;
	s->spare = a;
	s->spare_cap = cap;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		s->o.ack(s->o.ctx, a[i].src, a[i].pos, a[i].err, a[i].err ? a[i].msg : NULL);
	return (int)n;
}

static void nats_close(struct sink *s)
{
	if (!s)
		return;
	jsCtx_Destroy(s->js);
	natsConnection_Destroy(s->nc);
	natsOptions_Destroy(s->nopts);
	free(s->acks);
	free(s->spare);
	free(s->subject);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

const struct sink_kind sink_nats = {
	.scheme = "nats",
	.open = nats_open,
	.send = nats_send,
	.poll = nats_poll,
	.close = nats_close,
};
#endif
