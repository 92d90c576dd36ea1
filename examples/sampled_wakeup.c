// SPDX-License-Identifier: MIT
/*
 * Sampled notification, the pattern of the kernel's ring buffer benchmarks:
 * the producer commits every record with RINGBUF_NO_WAKEUP (no system call,
 * ever) and forces one wakeup only when RINGBUF_AVAIL_DATA has passed a
 * threshold. The consumer sleeps in the manager's poll with no timeout and
 * is woken about once per threshold bytes instead of once per record.
 *
 * Trade-off: fewer wakeups, more latency; records below the threshold wait
 * until the next forced wakeup, so the producer forces one at the end.
 *
 *	cc sampled_wakeup.c -lringbuf -pthread && ./a.out
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ringbuf.h>

#define RING_SIZE  (256 * 1024)
#define THRESHOLD  (RING_SIZE / 4)    /* wake the consumer every 64 KiB */
#define RECORDS    1000000

struct event {
	uint64_t seq;
};

static void *produce(void *arg)
{
	struct ringbuf *rb = arg;
	uint64_t forced_at = 0;   /* producer position of the last forced wakeup */

	for (uint64_t seq = 0; seq <= RECORDS; seq++) {
		struct event *e;
		uint64_t flags = RINGBUF_NO_WAKEUP;

		while (!(e = ringbuf_reserve(rb, sizeof(*e), 0)))
			; /* full: the consumer is behind (and was woken) */
		e->seq = seq;
		/* Enough waiting, or the last record: wake the consumer. At
		 * most once per THRESHOLD bytes produced: a consumer we woke
		 * reads at least up to forced_at before it sleeps again, so
		 * when AVAIL_DATA next passes THRESHOLD, so has the distance
		 * from forced_at, and nobody sleeps on a full ring. */
		uint64_t prod = ringbuf_query(rb, RINGBUF_PROD_POS);

		if ((ringbuf_query(rb, RINGBUF_AVAIL_DATA) >= THRESHOLD &&
		     prod - forced_at >= THRESHOLD) || seq == RECORDS) {
			flags = RINGBUF_FORCE_WAKEUP;
			forced_at = prod;
		}
		ringbuf_submit(rb, e, flags);
	}
	return NULL;
}

struct totals {
	uint64_t records, next;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct totals *t = ctx;
	const struct event *e = data;

	if (size != sizeof(*e) || e->seq != t->next)
		return -74; /* -EBADMSG: stops the poll and is returned */
	t->next++;
	t->records++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, RING_SIZE, NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct totals t = { 0, 0 };
	struct ringbuf_stats st = { .sz = sizeof(st) };
	uint64_t polls = 0;
	pthread_t thr;

	if (!rb || !c || ringbuf_consumer_add(c, rb, on_event, &t)) {
		perror("setup");
		return 1;
	}
	pthread_create(&thr, NULL, produce, rb);
	while (t.records <= RECORDS) {
		int n = ringbuf_consumer_poll(c, -1);   /* sleeps until woken */

		if (n < 0) {
			fprintf(stderr, "poll: %d\n", n);
			return 1;
		}
		polls++;
	}
	pthread_join(thr, NULL);
	ringbuf_get_stats(rb, &st);
	printf("%llu records in %llu polls, %llu wakeups sent (one per %llu records)\n",
	       (unsigned long long)t.records, (unsigned long long)polls,
	       (unsigned long long)st.wakeups,
	       (unsigned long long)(st.wakeups ? t.records / st.wakeups : 0));
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	return 0;
}
