// SPDX-License-Identifier: MIT
/*
 * The kinds of ring, one const ops table each, as the kernel has one per
 * map type (ringbuf_map_ops, user_ringbuf_map_ops): what a user ring (ours,
 * ringbuf_format.h) and a kernel BPF ring buffer do differently, side by
 * side. A ring gets its table once, when it is mapped (rb_map_fd in ring.c,
 * ringbuf_open_bpf in bpf.c). The ops are called once per call of a public
 * function, never per record; what differs per record (the header
 * decoder, reserve) is rb_is_user() in internal.h. Overwrite mode is a
 * flag of either kind, not a kind: the table says how each kind consumes
 * in it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* This boot's identity, /proc/sys/kernel/random/boot_id ("xxxxxxxx-xxxx-
 * ..."), folded to 64 bits. 0 when it cannot be read. */
static uint64_t boot_id64(void)
{
	char buf[64];
	uint64_t v = 0;
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0, k = 0; i < n; i++) {
		int c = buf[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			continue;
		/* 32 hex digits: the first 16 and the last 16 xor-folded. */
		v ^= (uint64_t)d << (4 * (15 - (k++ & 15)));
	}
	return v;
}

/* ---- user rings ---- */

static int user_wake_fd(const struct ringbuf *rb)
{
	return rb->wake_rfd;
}

static void user_drain_wake(struct ringbuf *rb)
{
	uint64_t buf[8];

	if (rb->wake_rfd < 0)
		return;
	while (read(rb->wake_rfd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

static void user_id(const struct ringbuf *rb, uint8_t id[RINGBUF_ID_SZ])
{
	put_u64(id, rb_load_relaxed(&rb->meta->create_time_ns));
	put_u64(id + 8, rb_load_relaxed(&rb->meta->ring_nonce));
}

RB_HIDDEN const struct rb_ring_ops rb_user_ring_ops = {
	.name = "user",
	.consume = rb_consume_user,
	.consume_overwrite = rb_consume_overwrite,
	.wait_prepare = rb_wait_prepare_user,
	.wake_fd = user_wake_fd,
	.drain_wake = user_drain_wake,
	.id = user_id,
	.detach = rb_detach_named,
};

/* ---- kernel BPF rings ---- */

static int bpf_consume_overwrite(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n)
{
	(void)rb, (void)fn, (void)ctx, (void)n;
	return -EOPNOTSUPP; /* kernel overwrite rings: not yet */
}

/* The map fd: epoll on it is level-triggered in the kernel. */
static int bpf_wake_fd(const struct ringbuf *rb)
{
	return rb->fd;
}

/* Nothing to read: the kernel's readiness follows the positions. */
static void bpf_drain_wake(struct ringbuf *rb)
{
	(void)rb;
}

static void bpf_id(const struct ringbuf *rb, uint8_t id[RINGBUF_ID_SZ])
{
	/* Map ids are not reused until the 31-bit id space wraps; maps do
	 * not survive a reboot, boot_id tells boots apart. */
	put_u64(id, rb->bpf_map_id);
	put_u64(id + 8, boot_id64());
}

/* The kernel keeps no state of this handle's. */
static void bpf_detach(struct ringbuf *rb)
{
	(void)rb;
}

RB_HIDDEN const struct rb_ring_ops rb_bpf_ring_ops = {
	.name = "bpf",
	.consume = rb_consume_kernel,
	.consume_overwrite = bpf_consume_overwrite,
	.wait_prepare = rb_has_data, /* epoll on the map fd is level-triggered */
	.wake_fd = bpf_wake_fd,
	.drain_wake = bpf_drain_wake,
	.id = bpf_id,
	.detach = bpf_detach,
};
