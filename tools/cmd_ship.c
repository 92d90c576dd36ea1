// SPDX-License-Identifier: MIT
/*
 * ringbuf ship — send the records of rings to a message broker without
 * losing any: every record is held in its ring (ringbuf_consume_hold) until
 * the broker acknowledges it, then released. A shipper that crashes leaves
 * the unacknowledged records in the ring for the next one, which sends them
 * again under the same message id (ring identity + position): exactly once
 * where the broker drops duplicates by id (NATS JetStream), at least once
 * otherwise (Kafka). A broker that is down or slow makes the shipper hold;
 * the ring fills and producers get ENOSPC (counted), never blocking.
 *
 * Sources are named rings and pinned kernel BPF ring buffer maps (a path on
 * a bpf filesystem). Destinations are sinks (sink.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"
#include "ship.h"
#include "sink.h"

static const struct sink_kind *const sink_kinds[] = { &sink_nats, &sink_kafka };

static const char ship_help[] =
"Usage: ringbuf ship SOURCE... --to URL [--stream NAME] [--follow] [OPTIONS]\n"
"Send the records of rings to a message broker; each record leaves its ring\n"
"only once the broker has acknowledged it, so nothing is lost when the\n"
"shipper or a broker fails. SOURCE is a named ring or a pinned kernel BPF\n"
"ring buffer map (a path on a bpf filesystem). URL:\n"
"  nats://HOST:PORT[,HOST:PORT...]/SUBJECT   NATS JetStream (needs --stream);\n"
"        message id (Nats-Msg-Id) = ring identity + record position: exactly\n"
"        once across shipper crashes within the stream's duplicate window\n"
"  kafka://HOST:PORT[,HOST:PORT...]/TOPIC    Kafka, idempotent producer; the\n"
"        ring identity and position in headers: at least once\n"
"\n"
"  -t, --to URL          destination (required)\n"
"  -s, --stream NAME     NATS stream, created when missing\n"
"  -r, --replicas N      replicas of a created stream (default: the cluster\n"
"                        size, at most 3)\n"
"  -f, --follow          keep shipping until SIGINT/SIGTERM (then wait for the\n"
"                        acknowledgements in flight), waiting for a broker\n"
"                        that is not there yet; without it ship what is\n"
"                        there, wait for every acknowledgement and exit\n"
"  -w, --window N        messages in flight at most (default 32768)\n"
"      --ack-timeout MS  resend what is not acknowledged by then (default 5000)\n"
"  -j, --json            statistics as one JSON object on exit\n"
"      --no-hold         free records as soon as they are sent (for\n"
"                        comparison: a crash loses what is in flight)\n"
"  -v, --verbose         say what happens (failures, resends)\n"
"  -h, --help            show this help\n"
"An overwrite-mode ring is shipped without holding (it cannot hold).\n"
"On a terminal a status line shows shipped, acknowledged, pending, ring fill\n"
"and dropped counts.\n";

static void msg_id(char *buf, size_t len, const char *hex, uint64_t pos)
{
	snprintf(buf, len, "%s-%016" PRIx64, hex, pos);
}

/* ---- sources ---- */

static int hold_probe(void *ctx, void *data, size_t size, uint64_t pos)
{
	(void)ctx, (void)data, (void)size, (void)pos;
	return 0;
}

static int open_source(const char *subcmd, struct source *s, uint64_t window, int no_hold)
{
	uint8_t id[RINGBUF_ID_SZ];
	int err;

	s->no_hold = no_hold;
	/* A path on the BPF filesystem is a pinned kernel ring buffer. */
	s->is_bpf = cli_is_bpffs(s->name);
	s->rb = cli_open_ring(subcmd, s->name, RINGBUF_CONSUMER);
	if (!s->rb)
		return -1;
	/* Overwrite-mode rings: producers move the read position, nothing
	 * can be held (a zero-record hold says so). Shipped without a hold:
	 * a full window stops the reading and the producers overwrite (and
	 * count) the oldest records, but what is in flight when the shipper
	 * dies is lost. */
	if (ringbuf_consume_hold(s->rb, hold_probe, NULL, 0) == -EOPNOTSUPP) {
		if (!cli_json)
			cli_errf(subcmd, s->name, "overwrite-mode ring: shipped without holding (records in flight are lost if the shipper dies)");
		s->no_hold = 1;
	}
	err = ringbuf_id(s->rb, id);
	if (err) {
		cli_err(subcmd, s->name, err);
		return -1;
	}
	for (int i = 0; i < RINGBUF_ID_SZ; i++)
		snprintf(s->hex + 2 * i, 3, "%02x", id[i]);
	s->qmask = 1;
	while (s->qmask < window)
		s->qmask <<= 1;
	s->q = calloc(s->qmask, sizeof(*s->q));
	if (!s->q) {
		cli_err(subcmd, s->name, ENOMEM);
		return -1;
	}
	s->qmask--;
	return 0;
}

/* ---- acknowledgements ---- */

/* Release the acknowledged prefix of the in-flight queue. */
static void release_acked(struct shipper *sh, struct source *s)
{
	uint64_t last = 0;
	int any = 0;

	while (s->head != s->tail && s->q[s->head & s->qmask].acked == SLOT_ACKED) {
		last = s->q[s->head & s->qmask].pos;
		any = 1;
		s->head++;
		sh->inflight--;
	}
	if (!any || s->no_hold)
		return;
	if (ringbuf_release(s->rb, last) == 0)
		msg_id(s->released_id, sizeof(s->released_id), s->hex, last);
}

static void on_ack(void *ctx, unsigned src, uint64_t pos, int err, const char *msg)
{
	struct shipper *sh = ctx;
	struct source *s;
	uint64_t lo, hi;

	if (src >= (unsigned)sh->nsrc)
		return;
	s = &sh->src[src];
	/* Positions grow along the queue: binary search. */
	lo = s->head;
	hi = s->tail;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (s->q[mid & s->qmask].pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->tail || s->q[lo & s->qmask].pos != pos)
		return; /* not in flight any more (a late answer after a resend) */
	if (err) {
		if (sh->verbose || !s->failed)
			cli_errf("ship", s->name, "record at %" PRIu64 " not stored (%s)%s", pos,
				 msg ? msg : strerror(-err), s->failed ? "" : "; sending again");
		s->failed = 1;
		s->failures++;
		s->q[lo & s->qmask].acked = SLOT_FAILED;
		return;
	}
	if (s->q[lo & s->qmask].acked != SLOT_ACKED) {
		s->q[lo & s->qmask].acked = SLOT_ACKED;
		s->acked++;
	}
	release_acked(sh, s);
}

/* A send failed or a message was refused: once nothing of this source is
 * in flight any more, deliver its unreleased records again. */
static void maybe_rewind(struct shipper *sh, struct source *s)
{
	uint64_t n;

	if (!s->failed)
		return;
	for (uint64_t i = s->head; i != s->tail; i++)
		if (s->q[i & s->qmask].acked == SLOT_SENT)
			return; /* answers still due */
	n = s->tail - s->head;
	sh->inflight -= n;
	s->resent += n;
	s->head = s->tail = 0;
	s->failed = 0;
	snprintf(s->prev_id, sizeof(s->prev_id), "%s", s->released_id);
	ringbuf_rewind(s->rb);
}

/* ---- sending ---- */

static int on_record(void *ctx, void *data, size_t size, uint64_t pos)
{
	struct shipper *sh = ctx;
	struct source *s = sh->cur;
	char id[64];
	struct ship_msg m = {
		.data = data, .len = size, .src = (unsigned)(s - sh->src), .pos = pos,
		.ring_hex = s->hex, .id = id,
	};
	int err;

	/* Without a hold the record is freed (zeroed) after this call: the
	 * sink must copy it. */
	m.transient = s->no_hold;
	msg_id(id, sizeof(id), s->hex, pos);
	if (sh->ordered && s->prev_id[0])
		m.after_id = s->prev_id;
	err = sh->kind->send(sh->sink, &m);
	if (err) {
		/* Held but not sent: stop here, send it again after a rewind. */
		sh->send_err = err;
		s->failed = 1;
		return err;
	}
	memcpy(s->prev_id, id, sizeof(id));
	s->q[s->tail & s->qmask] = (struct slot){ .pos = pos };
	s->tail++;
	sh->inflight++;
	s->shipped++;
	return 0;
}

/* --no-hold: the record is freed when this returns; a counter stands in
 * for its position (acknowledgements are only counted), from a random base
 * so that the broker stores each run's messages instead of dropping them
 * as duplicates of the last run's. */
static int on_record_no_hold(void *ctx, void *data, size_t size)
{
	struct shipper *sh = ctx;

	return on_record(ctx, data, size, sh->nohold_base + sh->cur->shipped);
}

/* Send what the sources have, up to the window. Returns the number of
 * records sent or a negative errno (a ring in trouble). */
static int send_round(struct shipper *sh)
{
	int total = 0;

	for (int i = 0; i < sh->nsrc; i++) {
		struct source *s = &sh->src[i];
		uint64_t room;
		int n;

		maybe_rewind(sh, s);
		if (s->failed || sh->inflight >= sh->window)
			continue;
		room = sh->window - sh->inflight;
		if (room > 1024)
			room = 1024;
		if (room > s->qmask + 1 - (s->tail - s->head))
			room = s->qmask + 1 - (s->tail - s->head);
		sh->cur = s;
		sh->send_err = 0;
		if (s->no_hold) {
			/* Positions are not known here: acks are counted only. */
			n = ringbuf_consume_n(s->rb, on_record_no_hold, sh, room);
		} else {
			n = ringbuf_consume_hold(s->rb, on_record, sh, room);
		}
		if (n < 0 && n == sh->send_err) {
			if (sh->verbose)
				cli_errf("ship", s->name, "send failed (%s); will send again", strerror(-n));
			continue;
		}
		if (n < 0) {
			cli_err("ship", s->name, n);
			return n;
		}
		s->drained = n == 0;
		total += n;
	}
	return total;
}

/* ---- the URL ---- */

static int parse_url(char *url, struct sink_url *u)
{
	char *sep = strstr(url, "://"), *hosts, *slash, *tok, *save = NULL;

	if (!sep)
		return -1;
	*sep = 0;
	u->scheme = url;
	hosts = sep + 3;
	slash = strchr(hosts, '/');
	if (!slash || !slash[1])
		return -1;
	*slash = 0;
	u->subject = slash + 1;
	for (tok = strtok_r(hosts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (u->nhosts == (int)(sizeof(u->hosts) / sizeof(u->hosts[0])) || !strchr(tok, ':'))
			return -1;
		u->hosts[u->nhosts++] = tok;
	}
	return u->nhosts ? 0 : -1;
}

/* ---- the loop ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until a source has data or timeout_ms. Only sources that hold
 * nothing can be woken (ringbuf_consume_hold(3), WAKEUPS). */
static void wait_data(struct shipper *sh, int timeout_ms)
{
	struct pollfd pfd[64];
	int n = 0;

	for (int i = 0; i < sh->nsrc && n < 64; i++) {
		int r = ringbuf_wait_prepare(sh->src[i].rb);

		if (r != 0)
			return; /* data there (or an error: consume reports it) */
		pfd[n].fd = ringbuf_fd(sh->src[i].rb);
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) > 0) {
		uint64_t buf[8];

		/* Drain user rings' wake fds (nonblocking eventfd/FIFO). */
		for (int i = 0; i < n; i++)
			if ((pfd[i].revents & POLLIN) && !sh->src[i].is_bpf)
				while (read(pfd[i].fd, buf, sizeof(buf)) > 0)
					;
	}
}

int cmd_ship(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "stream", required_argument, NULL, 's' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "follow", no_argument, NULL, 'f' },
		{ "window", required_argument, NULL, 'w' },
		{ "ack-timeout", required_argument, NULL, 'A' },
		{ "no-hold", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_COMMON_OPTIONS,
	};
	struct shipper sh = { .window = 32768 };
	struct sink_opts so = { .ack_timeout_ms = 5000 };
	struct sink_url u = { 0 };
	char *url = NULL, err[256] = "";
	uint64_t v;
	int c, follow = 0, json = 0, rc = CLI_EXIT_OK, stopping = 0;
	double t0, last_status = 0, stop_deadline = 0, progress_at, silent = 0;
	uint64_t prev_inflight = 0;

	while ((c = getopt_long(argc, argv, ":t:s:r:fw:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 't': url = optarg; break;
		case 's': so.stream = optarg; break;
		case 'r':
			if (cli_parse_u64(optarg, 10, &v) || v < 1 || v > 5)
				return cli_usage(argv[0], "invalid replicas '%s' (1..5)", optarg);
			so.replicas = (int)v;
			break;
		case 'f': follow = 1; break;
		case 'w':
			if (cli_parse_u64(optarg, 10, &v) || v < 1 || v > 1 << 20)
				return cli_usage(argv[0], "invalid window '%s' (1..1048576)", optarg);
			sh.window = v;
			break;
		case 'A':
			if (cli_parse_u64(optarg, 10, &v) || v < 10 || v > 3600000)
				return cli_usage(argv[0], "invalid ack timeout '%s' (ms, 10..3600000)", optarg);
			so.ack_timeout_ms = (int)v;
			break;
		case 'j': json = cli_json = 1; break;
		case 'N': sh.no_hold = 1; break;
		case 'v': sh.verbose = so.verbose = 1; break;
		case 'h': fputs(ship_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (!url)
		return cli_usage(argv[0], "--to URL is required (nats://HOST:PORT/SUBJECT or kafka://HOST:PORT/TOPIC)");
	if (optind >= argc)
		return cli_usage(argv[0], "expected at least one SOURCE (a ring name or a pinned BPF map)");
	url = strdup(url);
	if (!url || parse_url(url, &u)) {
		free(url);
		return cli_usage(argv[0], "invalid URL (expected SCHEME://HOST:PORT[,HOST:PORT...]/SUBJECT)");
	}
	for (size_t i = 0; i < sizeof(sink_kinds) / sizeof(sink_kinds[0]); i++)
		if (!strcmp(sink_kinds[i]->scheme, u.scheme))
			sh.kind = sink_kinds[i];
	if (!sh.kind) {
		rc = cli_usage(argv[0], "unknown destination '%s://' (nats, kafka)", u.scheme);
		free(url);
		return rc;
	}
	if (sh.kind->missing) {
		cli_errf(argv[0], NULL, "%s:// is not available in this build: %s", u.scheme, sh.kind->missing);
		free(url);
		return CLI_EXIT_FAIL;
	}
	if (!strcmp(u.scheme, "nats") && !so.stream) {
		free(url);
		return cli_usage(argv[0], "nats:// needs --stream NAME");
	}
	sh.nsrc = argc - optind;
	sh.src = calloc((size_t)sh.nsrc, sizeof(*sh.src));
	if (!sh.src) {
		free(url);
		cli_err(argv[0], NULL, ENOMEM);
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < sh.nsrc; i++) {
		sh.src[i].name = argv[optind + i];
		if (open_source(argv[0], &sh.src[i], sh.window, sh.no_hold)) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	/* One ring: each message names the one before it, so the broker
	 * stores them in ring order even across failures and resends. */
	sh.ordered = sh.nsrc == 1 && !sh.src[0].no_hold;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sh.nohold_base = ((uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 8) << 40;
	}
	so.window = (int)sh.window;
	so.ack = on_ack;
	so.ctx = &sh;
	cli_catch_stop();
	/* --follow outlasts a broker that is not there yet: the records wait
	 * in the ring meanwhile. */
	for (int tries = 0;; tries++) {
		sh.sink = sh.kind->open(&u, &so, err, sizeof(err));
		if (sh.sink || !follow || cli_stop_requested)
			break;
		if (!tries)
			cli_errf(argv[0], NULL, "%s; trying again every second (records stay in the ring)", err);
		sleep(1);
	}
	if (!sh.sink) {
		cli_errf(argv[0], NULL, "%s", err);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	t0 = progress_at = now_s();
	for (;;) {
		int sent = 0, all_drained = 1;
		double now;

		if (!stopping) {
			sent = send_round(&sh);
			if (sent < 0) {
				rc = CLI_EXIT_FAIL;
				stopping = 1;
				stop_deadline = now_s() + so.ack_timeout_ms / 1000.0;
			}
		}
		if (sh.kind->poll(sh.sink, sent > 0 ? 0 : sh.inflight ? 2 : 0) < 0) {
			rc = CLI_EXIT_FAIL;
			break;
		}
		for (int i = 0; i < sh.nsrc; i++)
			all_drained &= sh.src[i].drained && !sh.src[i].failed;
		now = now_s();
		if (now - last_status >= 0.5) {
			status_line(&sh);
			last_status = now;
		}
		if (sh.inflight < prev_inflight || !sh.inflight)
			progress_at = now;
		prev_inflight = sh.inflight;
		/* Without --follow, a broker that acknowledges nothing for three
		 * acknowledgement timeouts (resends included) is not coming back
		 * in time: stop, the records stay in the ring. */
		if (!follow && !stopping && sh.inflight &&
		    now - progress_at > 3 * so.ack_timeout_ms / 1000.0) {
			silent = now - progress_at;
			break;
		}
		if (cli_stop_requested && !stopping) {
			stopping = 1;
			stop_deadline = now + so.ack_timeout_ms / 1000.0;
		}
		if (stopping) {
			if (!sh.inflight || now >= stop_deadline)
				break;
			continue;
		}
		if (!follow && all_drained && !sh.inflight && sent == 0)
			break;
		if (sent == 0 && !sh.inflight)
			wait_data(&sh, follow ? 200 : 0);
	}
	cli_progress_done();
	if (sh.inflight) {
		/* Given up, or stopped by a signal before every answer came. */
		if (silent > 0)
			cli_errf(argv[0], NULL, "no acknowledgement from the broker for %.0f s: %llu records not acknowledged (they stay in the ring)",
				 silent, (unsigned long long)sh.inflight);
		else
			cli_errf(argv[0], NULL, "%llu records not acknowledged (they stay in the ring)",
				 (unsigned long long)sh.inflight);
		rc = CLI_EXIT_FAIL;
	}
	if (json)
		print_json(&sh, now_s() - t0);
	if (cli_flush(stdout))
		rc = cli_output_failed(argv[0]);
	sh.kind->close(sh.sink);
out:
	for (int i = 0; i < sh.nsrc; i++) {
		ringbuf_free(sh.src[i].rb);
		free(sh.src[i].q);
	}
	free(sh.src);
	free(url);
	return rc;
}
