// SPDX-License-Identifier: MIT
/* Hold and release on a real kernel BPF ring buffer: held records keep
 * their space, so the BPF program's bpf_ringbuf_output fails (its sequence
 * numbers show the gap) until the consumer releases; release frees exactly
 * up to the record named; a consumer process SIGKILLed while holding leaves
 * its held records for the next one; the ring's identity is the same for
 * every opening of one map and differs between maps. Skips (77) where the
 * kernel refuses BPF. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfprog.h"
#include "ringbuf.h"
#include "testutil.h"

#define REC_SIZE 24
#define FP 32           /* REC_SIZE + 8-byte header */

struct got {
	uint64_t seq[1024];
	uint64_t pos[1024];
	size_t n;
};

static int on_hold(void *ctx, void *data, size_t size, uint64_t pos)
{
	struct got *g = ctx;

	CHECK(size == REC_SIZE && g->n < 1024);
	memcpy(&g->seq[g->n], data, 8);
	g->pos[g->n++] = pos;
	return 0;
}

static int on_plain(void *ctx, void *data, size_t size)
{
	return on_hold(ctx, data, size, 0);
}

int main(void)
{
	/* The kernel keeps one byte free: a full ring holds size / FP - 1. */
	const uint32_t size = 16 * 1024, cap = size / FP - 1;
	struct bpfprog_opts o = { .rec_size = REC_SIZE, .seq = 1 };
	uint8_t id1[RINGBUF_ID_SZ], id2[RINGBUF_ID_SZ], id3[RINGBUF_ID_SZ];
	struct got g = { .n = 0 };
	struct ringbuf *rb, *rb2, *other;
	int map, map2, prog, status, rel[2];
	uint64_t released;
	pid_t kid;

	map = bpfprog_ringbuf_create(size);
	bpfprog_need(map, "ring buffer map");
	prog = bpfprog_load(map, &o);
	bpfprog_need(prog, "socket filter with bpf_ringbuf_output");
	map2 = bpfprog_ringbuf_create(size);
	bpfprog_need(map2, "second ring buffer map");

	rb = ringbuf_open_bpf(map);
	rb2 = ringbuf_open_bpf(map);
	other = ringbuf_open_bpf(map2);
	CHECK(rb && rb2 && other);
	CHECK_EQ(ringbuf_id(rb, id1), 0);
	CHECK_EQ(ringbuf_id(rb2, id2), 0);
	CHECK_EQ(ringbuf_id(other, id3), 0);
	CHECK(memcmp(id1, id2, sizeof(id1)) == 0);
	CHECK(memcmp(id1, id3, sizeof(id1)) != 0);
	ringbuf_free(rb2);
	ringbuf_free(other);
	close(map2);

	/* Fill, hold everything: the kernel has no room for more. */
	bpfprog_need(bpfprog_run(prog, cap), "BPF_PROG_TEST_RUN");
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), (int)cap);
	for (size_t i = 0; i < cap; i++) {
		CHECK_EQ(g.seq[i], i);
		CHECK_EQ(g.pos[i], i * FP);
	}
	bpfprog_need(bpfprog_run(prog, 10), "BPF_PROG_TEST_RUN"); /* seqs cap..cap+9: dropped */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), (uint64_t)cap * FP);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 0);

	/* Release 100: room for exactly 100 more. */
	CHECK_EQ(ringbuf_release(rb, g.pos[99]), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 100 * FP);
	bpfprog_need(bpfprog_run(prog, 110), "BPF_PROG_TEST_RUN"); /* cap+10..cap+109 fit */
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), (uint64_t)(cap + 100) * FP);
	g.n = 0;
	CHECK_EQ(ringbuf_consume_hold(rb, on_hold, &g, SIZE_MAX), 100);
	CHECK_EQ(g.seq[0], cap + 10);
	CHECK_EQ(g.seq[99], cap + 109);
	ringbuf_free(rb); /* dies holding: the holds are gone with it */

	/* A process holds and releases, and is killed holding. */
	CHECK(pipe(rel) == 0);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *mine = ringbuf_open_bpf(map);
		struct got k = { .n = 0 };

		CHECK(mine);
		CHECK_EQ(ringbuf_consume_hold(mine, on_hold, &k, SIZE_MAX), (int)cap);
		CHECK_EQ(k.seq[0], 100); /* the first record never released */
		CHECK_EQ(ringbuf_release(mine, k.pos[300]), 0);
		CHECK(write(rel[1], &k.seq[300], 8) == 8);
		raise(SIGKILL);
	}
	CHECK(read(rel[0], &released, 8) == 8);
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	rb = ringbuf_open_bpf(map);
	CHECK(rb);
	g.n = 0;
	CHECK_EQ(ringbuf_consume(rb, on_plain, &g), (int)(cap - 301));
	CHECK_EQ(g.seq[0], released + 1);
	CHECK_EQ(g.seq[g.n - 1], cap + 109);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	printf("held %u records of a kernel ring, released, killed while holding: ok\n", cap);
	ringbuf_free(rb);
	close(prog);
	close(map);
	return 0;
}
