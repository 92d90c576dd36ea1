// SPDX-License-Identifier: MIT
/* ringbuf ship: what it reports, the status line on a terminal and the final
 * JSON object, from the sources' counters and their rings' statistics. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "cli.h"
#include "ship.h"

struct totals {
	uint64_t shipped, acked, resent, failures, dropped, overwritten, avail, size;
};

static void sum_up(const struct shipper *sh, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < sh->nsrc; i++) {
		struct source *s = &sh->src[i];
		struct ringbuf_stats st = { .sz = sizeof(st) };

		t->shipped += s->shipped;
		t->acked += s->acked;
		t->resent += s->resent;
		t->failures += s->failures;
		if (ringbuf_get_stats(s->rb, &st) == 0) {
			t->dropped += st.dropped_records;
			t->overwritten += st.overwritten_records;
		}
		t->avail += ringbuf_query(s->rb, RINGBUF_AVAIL_DATA);
		t->size += ringbuf_query(s->rb, RINGBUF_RING_SIZE);
	}
}

void status_line(const struct shipper *sh)
{
	struct totals t;

	sum_up(sh, &t);
	cli_progress("shipped %" PRIu64 ", acknowledged %" PRIu64 ", pending %" PRIu64
		     ", ring fill %.1f%%, dropped %" PRIu64 "%s",
		     t.shipped, t.acked, sh->inflight,
		     t.size ? 100.0 * (double)t.avail / (double)t.size : 0.0,
		     t.dropped + t.overwritten, t.failures ? ", resending" : "");
}

/* complete: everything sent was acknowledged and released. */
void print_json(const struct shipper *sh, double secs)
{
	struct totals t;

	sum_up(sh, &t);
	printf("{\"sink\":\"%s\",\"seconds\":%.6f,\"shipped\":%" PRIu64 ",\"acknowledged\":%" PRIu64
	       ",\"pending\":%" PRIu64 ",\"resent\":%" PRIu64 ",\"failures\":%" PRIu64
	       ",\"dropped\":%" PRIu64 ",\"overwritten\":%" PRIu64 ",\"records_per_second\":%.0f"
	       ",\"complete\":%s,\"sources\":[",
	       sh->kind->scheme, secs, t.shipped, t.acked, sh->inflight, t.resent, t.failures,
	       t.dropped, t.overwritten, secs > 0 ? (double)t.acked / secs : 0.0,
	       sh->inflight ? "false" : "true");
	for (int i = 0; i < sh->nsrc; i++) {
		const struct source *s = &sh->src[i];
		struct ringbuf_stats st = { .sz = sizeof(st) };

		ringbuf_get_stats(s->rb, &st);
		printf("%s{\"name\":", i ? "," : "");
		cli_json_str(stdout, s->name, strlen(s->name));
		printf(",\"kind\":\"%s\",\"ring_id\":\"%s\",\"shipped\":%" PRIu64
		       ",\"acknowledged\":%" PRIu64 ",\"resent\":%" PRIu64 ",\"dropped\":%" PRIu64
		       ",\"overwritten\":%" PRIu64 ",\"available\":%" PRIu64 ",\"size\":%" PRIu64 "}",
		       s->is_bpf ? "bpf" : "ring", s->hex, s->shipped, s->acked, s->resent,
		       st.dropped_records, st.overwritten_records,
		       ringbuf_query(s->rb, RINGBUF_AVAIL_DATA), ringbuf_query(s->rb, RINGBUF_RING_SIZE));
	}
	printf("]}\n");
}
