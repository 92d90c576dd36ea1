// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport spsc_floor: the least a ring of this shape can
 * do on this machine, as an anchor. One producer, one consumer, the same
 * record bytes, the same 1 MiB, the same consumer walk (an 8-byte header
 * per record, zero meaning "not yet"; the consumer zeroes what it read and
 * publishes its position once per 16 KiB and when it stops; the producer
 * reads that position only when its copy says full) and the same idle wait
 * (about 500 ns, then look again). What it leaves out is everything the
 * library does beyond moving the bytes: no check of a header or position
 * another process may have written, no producer slots, no multi-producer
 * claim (a plain store instead of a CAS), no wakeup, no statistics, no
 * double mapping (a record that would cross the end is preceded by a
 * padding record). "ringbuf busy / minimal SPSC ring" is then how close
 * the library is to what the two cores allow.
 *
 * With n producers (the 2-producer floor row) each has an SPSC ring of its
 * own, of 1 MiB / n, and the consumer walks them in turn: nothing is shared
 * between producers, so what two producers on one CPU lose against one is
 * the price of sharing that CPU, not of any claim or record a preempted
 * producer holds for the other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define HDR_SZ     8
#define PAD_BIT    (1ULL << 31)
#define PUBLISH_AT 16384
#define IDLE_NS    500

struct floor_ring {
	uint8_t *buf;                    /* size bytes; the pointer read-only */
	uint64_t size;
	/* The consumer's published position, on a pair of lines of its own
	 * (the adjacent-line prefetcher moves 128 bytes). */
	_Alignas(128) _Atomic uint64_t head;
	uint8_t pad[120];
};

static _Atomic uint64_t *hdr_at(const struct floor_ring *f, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(f->buf + (pos & (f->size - 1)));
}

static void floor_close(struct run *r)
{
	struct floor_ring *f = r->src;

	for (int i = 0; f && i < r->nprod; i++)
		free(f[i].buf);
	free(f);
}

/* One ring per producer, RING_SIZE shared between them. */
static int floor_open(struct run *r)
{
	struct floor_ring *f = aligned_alloc(128, sizeof(*f) * (size_t)r->nprod);

	r->src = f;
	if (f)
		memset(f, 0, sizeof(*f) * (size_t)r->nprod);
	for (int i = 0; f && i < r->nprod; i++) {
		f[i].size = RING_SIZE / (uint64_t)r->nprod;
		if (!(f[i].buf = aligned_alloc(4096, f[i].size)))
			break;
		memset(f[i].buf, 0, f[i].size);
		atomic_init(&f[i].head, 0);
	}
	if (!f || !f[r->nprod - 1].buf) {
		floor_close(r);
		snprintf(r->res->why, sizeof(r->res->why), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void floor_produce(struct run *r, int id)
{
	struct floor_ring *f = (struct floor_ring *)r->src + id;
	const uint64_t len = r->len, total = (HDR_SZ + len + 7) & ~7ULL, size = f->size;
	uint64_t tail = 0, head = 0, seq = 0, tag = (uint64_t)id << 56;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			uint64_t room = size - (tail & (size - 1));
			uint64_t pad = room < total ? room : 0;

			/* Acquire: pairs with the consumer's release of head,
			 * so its zeroing is done before we write there. */
			while (tail + pad + total - head > size) {
				head = atomic_load_explicit(&f->head, memory_order_acquire);
				if (tail + pad + total - head <= size)
					break;
				if (atomic_load_explicit(&r->stop, memory_order_relaxed))
					return;
				relax();
			}
			if (pad) {
				atomic_store_explicit(hdr_at(f, tail), pad | PAD_BIT,
						      memory_order_release);
				tail += pad;
			}
			rec_fill(f->buf + (tail & (size - 1)) + HDR_SZ, len, tag | seq);
			/* Release: the record is written before its header. */
			atomic_store_explicit(hdr_at(f, tail), len, memory_order_release);
			tail += total;
			seq++;
		}
	}
}

static void zero_range(struct floor_ring *f, uint64_t from, uint64_t to)
{
	uint64_t i = from & (f->size - 1), n = to - from;
	uint64_t first = n < f->size - i ? n : f->size - i;

	memset(f->buf + i, 0, first);
	memset(f->buf, 0, n - first);
}

static void publish(struct floor_ring *f, uint64_t *published, uint64_t pos)
{
	if (pos == *published)
		return;
	zero_range(f, *published, pos);
	/* Release: the zeroing is done before the producer may write there. */
	atomic_store_explicit(&f->head, pos, memory_order_release);
	*published = pos;
}

/* One ring's share of a consume call: every record there, then publish;
 * the count. */
static uint64_t floor_consume_ring(struct run *r, struct floor_ring *f, uint64_t *pos,
				   uint64_t *published)
{
	uint64_t n = 0;

	for (;;) {
		/* Acquire: pairs with the producer's release of the header. */
		uint64_t w = atomic_load_explicit(hdr_at(f, *pos), memory_order_acquire);

		if (!w)
			break;
		if (w & PAD_BIT) {
			*pos += w & ~PAD_BIT;
			continue;
		}
		check_cb(&r->chk, f->buf + (*pos & (f->size - 1)) + HDR_SZ, (size_t)w);
		*pos += (HDR_SZ + w + 7) & ~7ULL;
		n++;
		if (*pos - *published >= PUBLISH_AT)
			publish(f, published, *pos);
	}
	publish(f, published, *pos);
	return n;
}

/* One consume call: every ring in turn. */
static uint64_t floor_consume_once(struct run *r, uint64_t *pos, uint64_t *published)
{
	uint64_t n = 0;

	for (int i = 0; i < r->nprod; i++)
		n += floor_consume_ring(r, (struct floor_ring *)r->src + i, &pos[i], &published[i]);
	return n;
}

static void floor_consume(struct run *r)
{
	uint64_t pos[MAX_PROD] = { 0 }, published[MAX_PROD] = { 0 };

	for (;;) {
		int done = atomic_load(&r->prod_done);
		uint64_t n = floor_consume_once(r, pos, published);

		if (!n) {
			/* The library's default idle wait, then one more look. */
			uint64_t t = bench_now_ns();

			while (bench_now_ns() - t < IDLE_NS)
				for (int i = 0; i < 4; i++)
					relax();
			n = floor_consume_once(r, pos, published);
		}
		if (done && n == 0)
			break;
		if (n == 0)
			idle(r); /* as every busy loop here */
	}
}

const struct transport spsc_floor = {
	.open = floor_open,
	.produce = floor_produce,
	.consume = floor_consume,
	.close = floor_close,
};
