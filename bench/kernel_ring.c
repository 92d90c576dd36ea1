// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport kernel_ring: a real BPF_MAP_TYPE_RINGBUF written
 * by the benchmark's BPF program (kbpf.h), KREPEAT runs per
 * BPF_PROG_TEST_RUN in a thread pinned like a user producer: the records it
 * emits per second of wall time, the system call entry amortised over the
 * repeat. The program cannot retry: a full ring drops, and the consumer
 * checks that the gaps are the drops it counted. Read by libbpf's
 * ring_buffer (the anchor) or by ours (ringbuf_open_bpf, the manager).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringbuf.h>
#ifdef HAVE_LIBBPF
#include <bpf/libbpf.h>
#endif

#include "harness.h"
#include "kbpf.h"

#define KREPEAT 256     /* program runs per TEST_RUN call */

static int kernel_open(struct run *r)
{
	const struct row *w = r->row;
	uint64_t flags = w->wake != WAKE_EACH ? RINGBUF_NO_WAKEUP : 0;
	uint32_t sample = w->wake == WAKE_SAMPLED ? SAMPLE_N : 0;
	struct kbpf *k;
	int refused, err;

#ifndef HAVE_LIBBPF
	if (w->libbpf) {
		snprintf(r->res->why, sizeof(r->res->why), "built without libbpf (install libbpf-dev)");
		return -EOPNOTSUPP;
	}
#endif
	k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = kbpf_open(k, RING_SIZE, r->len, flags, sample, &refused, r->res->why, sizeof(r->res->why));
	return kernel_opened(r, k, err, refused);
}

/* The end of a kernel row's open (ring or perf buffer): the program and its
 * map are the row's source, or the row is skipped (the kernel refused: why
 * says so) or failed. Records may be dropped by the kernel, never reordered. */
int kernel_opened(struct run *r, struct kbpf *k, int err, int refused)
{
	if (err) {
		if (!refused)
			r->res->failed = 1; /* why is set */
		free(k);
		return err;
	}
	r->chk.allow_gaps = 1;
	r->src = k;
	return 0;
}

void kernel_close(struct run *r)
{
	kbpf_close(r->src);
	free(r->src);
}

/* The producer thread: the BPF program, KREPEAT runs per system call. */
void kernel_produce(struct run *r, int id)
{
	struct kbpf *k = r->src;

	(void)id;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed))
		if (kbpf_run(k, KREPEAT) < 0) {
			row_failed(r->res, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			return;
		}
}

static void consume_ours(struct run *r)
{
	struct kbpf *k = r->src;
	int poll = r->row->consume == CONSUME_POLL;
	struct ringbuf_consumer *c = NULL;
	struct ringbuf *rb = NULL;
	int n;

	if (poll) {
		c = ringbuf_consumer_new();
		if (!c || (n = ringbuf_consumer_add_bpf(c, k->map_fd, check_cb, &r->chk)) < 0) {
			row_failed(r->res, "ringbuf_consumer_add_bpf: %s", strerror(c ? -n : errno));
			ringbuf_consumer_free(c);
			return;
		}
	} else {
		rb = ringbuf_open_bpf(k->map_fd);
		if (!rb) {
			row_failed(r->res, "ringbuf_open_bpf: %s", strerror(errno));
			return;
		}
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = poll ? ringbuf_consumer_poll(c, 20) : ringbuf_consume(rb, check_cb, &r->chk);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "consuming the kernel ring after %llu records: %s",
				   (unsigned long long)r->chk.count, strerror(-n));
			break;
		}
		if (done) {
			while ((n = poll ? ringbuf_consumer_consume(c) : ringbuf_consume(rb, check_cb, &r->chk)) > 0)
				;
			break;
		}
		if (n == 0 && !poll)
			idle(r);
	}
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
}

#ifdef HAVE_LIBBPF
static void consume_libbpf(struct run *r)
{
	struct kbpf *k = r->src;
	int poll = r->row->consume == CONSUME_POLL;
	struct ring_buffer *lrb = ring_buffer__new(k->map_fd, check_cb, &r->chk, NULL);
	int n;

	if (!lrb) {
		row_failed(r->res, "ring_buffer__new: %s", strerror(errno));
		return;
	}
	for (;;) {
		int done = atomic_load(&r->prod_done);

		n = poll ? ring_buffer__poll(lrb, 20) : ring_buffer__consume(lrb);
		if (n < 0 && n != -EINTR) {
			row_failed(r->res, "libbpf after %llu records: %s", (unsigned long long)r->chk.count,
				   strerror(-n));
			break;
		}
		if (done) {
			while (ring_buffer__consume(lrb) > 0)
				;
			break;
		}
		if (n == 0 && !poll)
			idle(r);
	}
	ring_buffer__free(lrb);
}
#endif

static void kernel_consume(struct run *r)
{
#ifdef HAVE_LIBBPF
	if (r->row->libbpf) {
		consume_libbpf(r);
		return;
	}
#endif
	consume_ours(r);
}

int kernel_verify(struct run *r)
{
	uint64_t emitted = 0, drops = 0;

	if (kbpf_counts(r->src, &emitted, &drops) < 0)
		return -errno;
	if (r->chk.count + drops != emitted || r->chk.gaps > drops)
		seq_error(&r->chk, "kernel records delivered + dropped != emitted",
			  r->chk.count + drops, emitted);
	r->res->drops = (double)drops;
	return 0;
}

static int kernel_finish(struct run *r)
{
	return r->res->failed ? 0 : kernel_verify(r);
}

/* Back-to-back: one thread runs the program B2B_BATCH times, then drains
 * (with libbpf where it is, else ours). */
static int kernel_back_to_back(struct run *r)
{
	struct kbpf *k;
	uint64_t end;
	int err;
#ifdef HAVE_LIBBPF
	struct ring_buffer *lrb;
#else
	struct ringbuf *rb;
#endif

	err = kernel_open(r);
	if (err)
		return err;
	k = r->src;
#ifdef HAVE_LIBBPF
	lrb = ring_buffer__new(k->map_fd, check_cb, &r->chk, NULL);
	if (!lrb) {
		row_failed(r->res, "ring_buffer__new: %s", strerror(errno));
		kernel_close(r);
		return -EIO;
	}
#else
	rb = ringbuf_open_bpf(k->map_fd);
	if (!rb) {
		snprintf(r->res->why, sizeof(r->res->why), "ringbuf_open_bpf: %s", strerror(errno));
		kernel_close(r);
		return -EOPNOTSUPP;
	}
#endif
	bench_pin(bench_cpus[0]);
	r->t0 = bench_now_ns();
	end = r->t0 + r->dur_ns;
	do {
		if (kbpf_run(k, B2B_BATCH) < 0) {
			row_failed(r->res, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			break;
		}
#ifdef HAVE_LIBBPF
		ring_buffer__consume(lrb);
#else
		ringbuf_consume(rb, check_cb, &r->chk);
#endif
	} while (bench_now_ns() < end);
	r->res->mrps = (double)r->chk.count / (double)(bench_now_ns() - r->t0) * 1e3;
#ifdef HAVE_LIBBPF
	ring_buffer__free(lrb);
#else
	ringbuf_free(rb);
#endif
	err = r->res->failed ? 0 : kernel_verify(r);
	kernel_close(r);
	return err;
}

const struct transport kernel_ring = {
	.open = kernel_open,
	.produce = kernel_produce,
	.consume = kernel_consume,
	.finish = kernel_finish,
	.close = kernel_close,
	.back_to_back = kernel_back_to_back,
};
