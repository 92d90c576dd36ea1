// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport perf_buffer: the kernel program again (kbpf.h),
 * writing with bpf_perf_event_output() into the perf ring of the
 * producer's CPU; the consumer reads that mmap'ed ring itself, as the
 * kernel's bench_ringbufs "custom" perfbuf consumer does: data_head with
 * acquire, PERF_RECORD_SAMPLE records carry { u32 size; raw bytes },
 * PERF_RECORD_LOST { u64 id, lost } report refused outputs, data_tail
 * stored with release. Wakeups: every SAMPLE_N records (the kernel bench's
 * sampled perfbuf: the nearest to BPF_RB_NO_WAKEUP, which perf has not),
 * or every record (its default).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "harness.h"
#include "kbpf.h"

static int perf_open(struct run *r)
{
	const uint32_t pages = (uint32_t)(RING_SIZE / (size_t)sysconf(_SC_PAGESIZE));
	const uint32_t wakeup = r->row->wake == WAKE_SAMPLED ? SAMPLE_N : 1;
	struct kbpf *k = malloc(sizeof(*k));
	int refused, err;

	if (!k)
		return -ENOMEM;
	err = kbpf_open_perf(k, bench_cpus[0], pages, wakeup, r->len, &refused, r->res->why,
			     sizeof(r->res->why));
	return kernel_opened(r, k, err, refused);
}

/* Raw size the kernel reports for a len-byte output: size field + data
 * padded to 8 bytes, minus the size field. */
static size_t perf_raw_size(size_t len)
{
	return ((len + 4 + 7) & ~(size_t)7) - 4;
}

static long perf_consume_once(struct run *r, struct kbpf *k, uint64_t *lost)
{
	struct perf_event_mmap_page *h = k->perf_mmap;
	/* data_offset is 0 before Linux 4.1: the data starts one page in */
	const uint8_t *data = (const uint8_t *)k->perf_mmap +
			      (h->data_offset ? h->data_offset : (uint64_t)sysconf(_SC_PAGESIZE));
	const uint64_t size = k->perf_data_size, mask = size - 1;
	uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = h->data_tail;
	uint8_t tmp[8192] __attribute__((aligned(8)));
	long n = 0;

	while (tail < head) {
		const uint64_t off = tail & mask;
		const struct perf_event_header *e = (const void *)(data + off);
		const uint8_t *rec = data + off;
		size_t sz = e->size;

		if (__builtin_expect(sz < sizeof(*e) || sz > sizeof(tmp) || sz % 8 || sz > head - tail, 0))
			seq_error(&r->chk, "bad perf record size", sz, 0);
		if (off + sz > size) { /* wraps: gather it */
			memcpy(tmp, rec, size - off);
			memcpy(tmp + (size - off), data, sz - (size - off));
			rec = tmp;
		}
		if (e->type == PERF_RECORD_SAMPLE) {
			uint32_t raw;

			memcpy(&raw, rec + sizeof(*e), 4);
			if (__builtin_expect(raw != perf_raw_size(r->len) || sizeof(*e) + 4 + raw > sz, 0))
				seq_error(&r->chk, "wrong perf raw sample size", raw, perf_raw_size(r->len));
			check(&r->chk, rec + sizeof(*e) + 4, r->len);
			n++;
		} else if (e->type == PERF_RECORD_LOST) {
			uint64_t l;

			memcpy(&l, rec + sizeof(*e) + 8, 8);
			*lost += l;
		}
		tail += sz;
	}
	__atomic_store_n(&h->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

/* The records the LOST records reported, in r->extra. */
static void perf_consume(struct run *r)
{
	struct kbpf *k = r->src;
	uint64_t lost = 0;

	for (;;) {
		int done = atomic_load(&r->prod_done);
		long n = perf_consume_once(r, k, &lost);

		if (done) {
			while (perf_consume_once(r, k, &lost) > 0)
				;
			break;
		}
		if (n == 0)
			idle(r);
	}
	r->extra = lost;
}

static int perf_finish(struct run *r)
{
	uint64_t emitted = 0, drops = 0;
	int err;

	if (r->res->failed)
		return 0;
	err = kernel_verify(r);
	if (!err && kbpf_counts(r->src, &emitted, &drops) == 0) {
		/* LOST records report refused outputs, possibly not all yet */
		if (r->extra > drops)
			seq_error(&r->chk, "perf LOST records report more than the program dropped",
				  r->extra, drops);
		if (emitted && !r->chk.count)
			row_failed(r->res, "every bpf_perf_event_output failed (%llu): producer not on CPU %d?",
				   (unsigned long long)drops, bench_cpus[0]);
	}
	return err;
}

const struct transport perf_buffer = {
	.open = perf_open,
	.produce = kernel_produce,
	.consume = perf_consume,
	.finish = perf_finish,
	.close = kernel_close,
};
