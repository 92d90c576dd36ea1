// SPDX-License-Identifier: MIT
/* Test helper: print every message of a NATS JetStream stream, in stream
 * order, one line each: "SEQ MSGID PAYLOAD" (payload as text, or with
 * --u64 its first 8 bytes as a native-endian u64 in decimal).
 *   nats_read [--u64] nats://HOST:PORT[,...] STREAM */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nats/nats.h>

/* A cluster that just lost a node elects leaders again: for a few seconds
 * JetStream answers "temporarily unavailable" (10008) or times out. The
 * reading back is the test's check, not what it tests: try again, up to
 * about 20 s, saying so. */
static int again(natsStatus st, jsErrCode jerr, int *tries, const char *what)
{
	if (st == NATS_OK || ++*tries > 100)
		return 0;
	fprintf(stderr, "nats_read: %s: %s (%d), trying again\n", what, natsStatus_GetText(st), (int)jerr);
	usleep(200 * 1000);
	return 1;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus st;
	uint64_t first, last;
	int u64 = argc > 1 && !strcmp(argv[1], "--u64");

	if (u64) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: nats_read URLS STREAM\n");
		return 2;
	}
	st = natsConnection_ConnectTo(&nc, argv[1]);
	if (st == NATS_OK)
		st = natsConnection_JetStream(&js, nc, NULL);
	if (st == NATS_OK) {
		int tries = 0;

		do
			st = js_GetStreamInfo(&si, js, argv[2], NULL, &jerr);
		while (again(st, jerr, &tries, "stream info"));
	}
	if (st != NATS_OK) {
		fprintf(stderr, "nats_read: %s (%d)\n", natsStatus_GetText(st), (int)jerr);
		return 1;
	}
	first = si->State.FirstSeq;
	last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	for (uint64_t seq = first; seq && seq <= last; seq++) {
		natsMsg *m = NULL;
		const char *id = NULL;
		int tries = 0;

		do
			st = js_GetMsg(&m, js, argv[2], seq, NULL, &jerr);
		while (again(st, jerr, &tries, "message"));
		if (st != NATS_OK) {
			fprintf(stderr, "nats_read: message %" PRIu64 ": %s (%d)\n", seq,
				natsStatus_GetText(st), (int)jerr);
			return 1;
		}
		natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
		if (u64) {
			uint64_t v = 0;

			if (natsMsg_GetDataLength(m) >= 8)
				memcpy(&v, natsMsg_GetData(m), 8);
			printf("%" PRIu64 " %s %" PRIu64 "\n", seq, id ? id : "-", v);
		} else {
			printf("%" PRIu64 " %s %.*s\n", seq, id ? id : "-", natsMsg_GetDataLength(m),
			       natsMsg_GetData(m));
		}
		natsMsg_Destroy(m);
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return 0;
}
