// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: everything a producer can write is untrusted. The input
 * is laid out as a ring — positions, meta fields, producer slots, headers
 * and payload — in a real double-mapped ring, which is then consumed (and
 * recovered); with a flag, it is written as a ring file and opened. The
 * consumer must never touch memory outside the mapping, never hang (the
 * -timeout catches that), never deliver a record that does not fit.
 *
 * Input: [0] flags, [1..8] consumer_pos, [9..12] prod - cons, [13..20]
 * slot 1 owner word (pid, gen), [21..28] slot 2 owner word, also the
 * release target (consumer page +16) and the unclean-exit counters with
 * F_SLOTS, [29..] ring bytes from consumer_pos on (wrapping). Built by the
 * Makefile with the library sources and -Isrc.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum {
	F_RECOVER   = 1 << 0,  /* ringbuf_recover() first */
	F_STUCK     = 1 << 1,  /* consumer already stuck past recover_ms */
	F_CONSUME_N = 1 << 2,  /* consume_n with a small n */
	F_RAW_PROD  = 1 << 3,  /* prod - cons as given, possibly > size */
	F_OPEN_FILE = 1 << 4,  /* write the input as a ring file and open it */
	F_VALID_META = 1 << 5, /* ... with a meta page that passes the checks */
	F_SLOTS     = 1 << 6,  /* fill producer slots, release target, counters */
};

static struct ringbuf *rb;
static size_t page;

static int on_rec(void *ctx, void *data, size_t size)
{
	struct ringbuf *r = ctx;
	const uint8_t *p = data;
	volatile uint8_t sink = 0;

	/* The record lies inside the double mapping. */
	if ((const uint8_t *)data < r->data || size > r->size ||
	    p + size > r->data + 2 * r->size)
		__builtin_trap();
	for (size_t i = 0; i < size; i++)
		sink ^= p[i];
	(void)sink;
	return size & 1 ? 0 : (size % 5 == 0 ? -1 : 0);
}

static uint64_t get64(const uint8_t *d, size_t n, size_t off)
{
	uint64_t v = 0;

	if (off + 8 <= n)
		memcpy(&v, d + off, 8);
	return v;
}

static void consume_checked(struct ringbuf *r, int flags)
{
	uint64_t cons0 = rb_load_relaxed(r->consumer_pos);
	uint64_t prod = rb_load_relaxed(r->producer_pos);
	int ret;

	if (flags & F_RECOVER)
		ringbuf_recover(r);
	ret = (flags & F_CONSUME_N) ? ringbuf_consume_n(r, on_rec, r, 3)
				    : ringbuf_consume(r, on_rec, r);
	/* The consumer never moves past the producer it read, even when the
	 * headers it walked claim records beyond it. */
	if ((ret >= 0 || prod - cons0 <= r->size) &&
	    rb_load_relaxed(r->consumer_pos) - cons0 > prod - cons0)
		__builtin_trap();
	ringbuf_wait_prepare(r);
	rb_drain_wake(r);
}

static void fuzz_file(const uint8_t *d, size_t n, int flags)
{
	char path[64];
	size_t len = 3 * page + 2 * page;
	uint8_t *buf = calloc(1, len);
	struct ringbuf_meta *m = (struct ringbuf_meta *)(void *)buf;
	struct ringbuf *r;
	int fd;

	if (!buf)
		return;
	memcpy(buf, d, n < len ? n : len);
	if (flags & F_VALID_META) {
		m->magic = RINGBUF_MAGIC;
		m->version = RINGBUF_FORMAT_VERSION;
		m->meta_size = sizeof(*m);
		m->page_size = (uint32_t)page;
		m->word_size = sizeof(long);
		m->flags &= RINGBUF_F_OVERWRITE;
		m->data_size = (n & 1) ? 2 * page : m->data_size;
	}
	/* The file length is input too. */
	len = (n > 8 && (d[n - 1] & 1)) ? (size_t)(d[n - 2]) * 64 : len;
	snprintf(path, sizeof(path), "/tmp/fuzz-consume-%d.ring", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, buf, len) == (ssize_t)len) {
			r = ringbuf_open(path, RINGBUF_CONSUMER);
			if (r) {
				consume_checked(r, flags & ~F_RECOVER);
				ringbuf_free(r);
			}
		}
		close(fd);
	}
	ringbuf_unlink(path); /* the file and the FIFO a consumer open made */
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint64_t cons, delta;
	int flags;

	if (!rb) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		RINGBUF_IDLE_OPTS(none, .policy = RINGBUF_IDLE_NONE);

		rb = ringbuf_create(NULL, 2 * page, NULL);
		if (!rb || ringbuf_set_idle(rb, &none))
			abort();
	}
	if (n < 1)
		return 0;
	flags = d[0];
	if (flags & F_OPEN_FILE) {
		fuzz_file(d + 1, n - 1, flags);
		return 0;
	}
	cons = get64(d, n, 1);
	if (!(flags & F_RAW_PROD))
		cons &= ~7ULL;
	delta = get64(d, n, 9) & 0xffffffffULL;
	if (!(flags & F_RAW_PROD))
		delta = (delta % (rb->size + 1)) & ~7ULL;

	/* Reset the ring: zero data, positions from the input. */
	memset(rb->data, 0, rb->size);
	memset(rb->meta->producers, 0, sizeof(rb->meta->producers));
	rb->meta->unclean_exits = rb->meta->gaps_acked = rb->meta->slotless_users = 0;
	if (flags & F_SLOTS) {
		rb->meta->producers[0].owner = get64(d, n, 13);
		rb->meta->producers[1].owner = get64(d, n, 21);
		rb->meta->unclean_exits = get64(d, n, 13) & 0xff;
		rb->meta->slotless_users = (uint32_t)(get64(d, n, 21) & 0xff);
	}
	rb->meta->recover_ms = 1;
	*rb->consumer_pos = cons;
	*rb->producer_pos = cons + delta;
	rb->stuck_pos = cons;
	rb->stuck_since_ns = (flags & F_STUCK) ? 1 : 0;
	if (n > 29) {
		size_t len = n - 29 < rb->size ? n - 29 : rb->size;

		/* the double mapping makes this one contiguous copy */
		memcpy(rb->data + (cons & rb->mask), d + 29, len);
	}
	/* A release a killed consumer left half done (or garbage there):
	 * what a new consumer repairs when it claims the ring. */
	*(uint64_t *)(void *)((uint8_t *)rb->consumer_pos + RINGBUF_CONS_RELEASE_OFF) =
		(flags & F_SLOTS) ? cons + (get64(d, n, 5) & 0xffffffffULL) : cons;
	rb_release_repair(rb);
	if (rb_load_relaxed(rb->consumer_pos) - cons > delta)
		__builtin_trap(); /* repaired past the producer */
	consume_checked(rb, flags);
	return 0;
}
