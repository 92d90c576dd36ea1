// SPDX-License-Identifier: MIT
/* A real kernel BPF_MAP_TYPE_RINGBUF, filled by a socket filter through
 * BPF_PROG_TEST_RUN, drained by the manager: every record arrives once, in
 * order, with the packet's bytes; discarded ones never do; a poll asleep
 * with no timeout is woken by the kernel's own wakeup. Skips (77) where the
 * kernel refuses BPF. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "bpfprog.h"
#include "ringbuf.h"
#include "testutil.h"

#define REC_SIZE 24
#define DISCARD_EVERY 5

struct seen {
	uint64_t next;        /* next sequence number expected */
	uint64_t delivered;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	uint64_t seq;
	const uint8_t *p = data;

	CHECK_EQ(size, REC_SIZE);
	memcpy(&seq, data, sizeof(seq));
	/* Discarded numbers leave gaps: the next one delivered is the next
	 * number not a multiple of DISCARD_EVERY. */
	while (s->next % DISCARD_EVERY == 0)
		s->next++;
	CHECK_EQ(seq, s->next);
	for (size_t i = 8; i < size; i++)
		CHECK_EQ(p[i], bpfprog_pkt_byte(i));
	s->next++;
	s->delivered++;
	return 0;
}

struct waiter {
	struct ringbuf_consumer *c;
	int ret;
};

static void *wait_poll(void *arg)
{
	struct waiter *w = arg;

	w->ret = ringbuf_consumer_poll(w->c, -1);
	return NULL;
}

/* Records a run of the program emits: repeat runs, one number each. */
static uint64_t expect_delivered(uint64_t first, uint64_t runs)
{
	uint64_t n = 0;

	for (uint64_t q = first; q < first + runs; q++)
		n += q % DISCARD_EVERY != 0;
	return n;
}

int main(void)
{
	const uint32_t size = 64 * 1024;
	struct bpfprog_opts o = { .rec_size = REC_SIZE, .seq = 1, .discard_every = DISCARD_EVERY };
	struct seen s = { 0 };
	struct ringbuf_consumer *c;
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb;
	long rounds = test_scaled(200);
	uint64_t runs = 0;
	int map, prog;

	map = bpfprog_ringbuf_create(size);
	bpfprog_need(map, "ring buffer map");
	prog = bpfprog_load(map, &o);
	bpfprog_need(prog, "socket filter with bpf_ringbuf_output");

	c = ringbuf_consumer_new();
	CHECK(c);
	CHECK_EQ(ringbuf_consumer_add_bpf(c, map, on_record, &s), 0);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 1);
	rb = ringbuf_consumer_ring(c, 0);
	CHECK(rb);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_RING_SIZE), size);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	CHECK_EQ(ringbuf_consumer_poll(c, 0), 0);

	/* Bulk: fill most of the ring per system call, then drain it. */
	for (long r = 0; r < rounds; r++) {
		uint32_t batch = 1000 + (uint32_t)(r % 7) * 100;  /* < 64 KiB / 32 B */
		uint64_t before = s.delivered;

		bpfprog_need(bpfprog_run(prog, batch), "BPF_PROG_TEST_RUN");
		CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), (uint64_t)batch * 32);
		CHECK_EQ(ringbuf_consumer_poll(c, 1000), (int)expect_delivered(runs, batch));
		runs += batch;
		CHECK_EQ(s.delivered - before, expect_delivered(runs - batch, batch));
		CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	}
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), runs * 32);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), runs * 32);
	CHECK(ringbuf_get_stats(rb, &st) == 0);
	CHECK_EQ(st.delivered_records, s.delivered);
	CHECK_EQ(st.discarded_records, runs - s.delivered);

	/* Wakeups: a poll asleep with no timeout is woken by the kernel when
	 * the program commits (adaptive rule: the consumer is caught up). */
	for (int i = 0; i < 20; i++) {
		struct waiter w = { .c = c, .ret = -1 };
		pthread_t t;

		test_watchdog(10, "in poll(-1): never woken by the BPF program's commit");
		CHECK(pthread_create(&t, NULL, wait_poll, &w) == 0);
		usleep(i < 3 ? 20000 : 1000);  /* usually asleep by then */
		bpfprog_need(bpfprog_run(prog, 3), "BPF_PROG_TEST_RUN");
		pthread_join(t, NULL);
		test_watchdog(0, NULL);
		runs += 3;
		CHECK(w.ret >= 1);
		/* One wakeup may be consumed in two polls: drain the rest. */
		while (s.delivered < expect_delivered(0, runs))
			CHECK(ringbuf_consumer_poll(c, 1000) > 0);
	}
	CHECK_EQ(s.delivered, expect_delivered(0, runs));

	/* The same map without a manager. */
	rb = ringbuf_open_bpf(map);
	CHECK(rb);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), runs * 32);
	bpfprog_need(bpfprog_run(prog, 10), "BPF_PROG_TEST_RUN");
	CHECK_EQ(ringbuf_consume(rb, on_record, &s), (int)expect_delivered(runs, 10));
	runs += 10;
	ringbuf_free(rb);

	printf("%llu program runs, %llu records delivered, %llu discarded\n",
	       (unsigned long long)runs, (unsigned long long)s.delivered,
	       (unsigned long long)(runs - s.delivered));
	ringbuf_consumer_free(c);
	close(prog);
	close(map);
	return 0;
}
