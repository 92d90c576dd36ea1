// SPDX-License-Identifier: MIT
/* Real kernel ring buffers inside a BPF_MAP_TYPE_ARRAY_OF_MAPS and a
 * HASH_OF_MAPS, consumed from the outer map's fd as ONE manager source:
 * every inner ring is found (an empty array slot skipped, a ring present
 * twice consumed once), each ring's records arrive once and in order, a
 * poll with no data sleeps until the kernel wakes one inner ring. Outer
 * maps of the wrong kind are refused. Skips (77) where the kernel refuses
 * BPF or maps of ring buffers. */
#include <unistd.h>

#include "bpfprog.h"
#include "ringbuf.h"
#include "testutil.h"

#define NRINGS 3
#define RUNS 1000

struct seen {
	uint64_t next[NRINGS];
	uint64_t delivered;
};

/* Ring i writes records of 16 + 8 * i bytes: the size says which ring. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	size_t i = (size - 16) / 8;
	uint64_t seq;

	CHECK(size >= 16 && (size - 16) % 8 == 0 && i < NRINGS);
	memcpy(&seq, data, sizeof(seq));
	CHECK_EQ(seq, s->next[i]);
	for (size_t b = 8; b < size; b++)
		CHECK_EQ(((uint8_t *)data)[b], bpfprog_pkt_byte(b));
	s->next[i]++;
	s->delivered++;
	return 0;
}

static void one(int hash)
{
	int rings[NRINGS], progs[NRINGS], outer;
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	struct seen s = { { 0 } };
	int ret;

	CHECK(c);
	for (int i = 0; i < NRINGS; i++) {
		struct bpfprog_opts o = { .rec_size = 16 + 8 * (uint32_t)i, .seq = 1 };

		rings[i] = bpfprog_ringbuf_create(1 << 16);
		bpfprog_need(rings[i], "ring buffer map");
		progs[i] = bpfprog_load(rings[i], &o);
		bpfprog_need(progs[i], "program");
	}
	outer = bpfprog_ringbuf_outer_create(hash, rings[0], NRINGS + 2);
	bpfprog_need(outer, hash ? "HASH_OF_MAPS" : "ARRAY_OF_MAPS");
	for (int i = 0; i < NRINGS; i++)
		CHECK_EQ(bpfprog_outer_set(outer, hash ? 100u + (uint32_t)i * 7 : (uint32_t)i + 1,
					   rings[i]), 0);
	/* Ring 0 a second time: one inner map is one ring to consume. */
	CHECK_EQ(bpfprog_outer_set(outer, hash ? 999 : NRINGS + 1, rings[0]), 0);

	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, outer, on_record, &s, 0), NRINGS);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 1);
	/* Nothing yet: a poll times out. */
	CHECK_EQ(ringbuf_consumer_poll(c, 20), 0);
	for (int i = 0; i < NRINGS; i++)
		CHECK_EQ(bpfprog_run(progs[i], RUNS), 0);
	test_watchdog(30, "records from the inner rings");
	while (s.delivered < NRINGS * RUNS) {
		ret = ringbuf_consumer_poll(c, 1000);
		CHECK(ret > 0);
	}
	test_watchdog(0, NULL);
	CHECK_EQ(ringbuf_consumer_consume(c), 0);
	for (int i = 0; i < NRINGS; i++)
		CHECK_EQ(s.next[i], RUNS);
	/* Caller's fds stay the caller's: the maps live on after the manager. */
	ringbuf_consumer_free(c);
	CHECK_EQ(bpfprog_run(progs[1], 1), 0);
	printf("%s: %d rings, %llu records, one source\n", hash ? "HASH_OF_MAPS" : "ARRAY_OF_MAPS",
	       NRINGS, (unsigned long long)s.delivered);
	for (int i = 0; i < NRINGS; i++) {
		close(progs[i]);
		close(rings[i]);
	}
	close(outer);
}

int main(void)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int rb, arr, empty;

	CHECK(c);
	one(0);
	one(1);

	/* Wrong kinds of outer map, a bad fd, unknown flags. */
	rb = bpfprog_ringbuf_create(1 << 16);
	bpfprog_need(rb, "ring buffer map");
	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, rb, test_count_int, NULL, 0), -EINVAL);
	arr = bpfprog_array_create();
	bpfprog_need(arr, "array map");
	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, arr, test_count_int, NULL, 0), -EINVAL);
	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, -1, test_count_int, NULL, 0), -EBADF);
	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, rb, test_count_int, NULL, 1), -EINVAL);
	/* An outer map with no ring in it. */
	empty = bpfprog_ringbuf_outer_create(0, rb, 4);
	bpfprog_need(empty, "ARRAY_OF_MAPS");
	CHECK_EQ(ringbuf_consumer_add_bpf_array(c, empty, test_count_int, NULL, 0), -ENOENT);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 0);
	close(empty);
	close(arr);
	close(rb);
	ringbuf_consumer_free(c);
	return 0;
}
