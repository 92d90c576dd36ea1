// SPDX-License-Identifier: MIT
/*
 * The ring itself: the handle, the mapping of a ring file (meta, consumer
 * and producer pages, the data area twice), the meta page of a new ring,
 * the anonymous ring, and what every kind of ring answers (fd, query,
 * free). ringbuf_create is in named.c; producers are in produce.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "overwrite.h" /* read_pos, set up by rb_init_meta */

/* A handle with nothing open yet; NULL: out of memory. */
RB_HIDDEN struct ringbuf *rb_alloc(void)
{
	struct ringbuf *rb = calloc(1, sizeof(*rb));

	if (!rb)
		return NULL;
	rb->fd = -1;
	rb->wake_rfd = -1;
	rb->wake_wfd = -1;
	rb_idle_init(&rb->idle);
	return rb;
}


/*
 * Map a user ring from fd: meta, consumer and producer pages, then the data
 * area twice, back to back, so a record that wraps is contiguous in memory.
 * The whole range is reserved first so the two data mappings are adjacent.
 * writable 0 maps everything read-only (an observer, RINGBUF_OBSERVER).
 */
RB_HIDDEN int rb_map_fd(struct ringbuf *rb, int fd, uint64_t size, int writable)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t hdr_len = RINGBUF_DATA_PGOFF * page;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	uint8_t *base, *p;

	rb->map_len = hdr_len + 2 * size;
	base = mmap(NULL, rb->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	p = mmap(base, hdr_len + size, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	p = mmap(base + hdr_len + size, size, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)hdr_len);
	if (p == MAP_FAILED)
		goto fail;

	rb->map_base = base;
	rb->meta = (struct ringbuf_meta *)(void *)base;
	rb->consumer_pos = (uint64_t *)(void *)(base + page * RINGBUF_META_PAGES);
	rb->cons_waiting = (uint32_t *)(void *)((uint8_t *)rb->consumer_pos + RINGBUF_CONS_WAITING_OFF);
	rb->producer_pos = (uint64_t *)(void *)(base + page * (RINGBUF_META_PAGES + 1));
	rb->pending_pos = rb->producer_pos + 1;
	rb->overwrite_pos = rb->producer_pos + 2;
	rb->data = base + hdr_len;
	rb->size = size;
	rb->mask = size - 1;
	rb->page_shift = (uint32_t)__builtin_ctzl(page);
	rb->pg_off_base = RINGBUF_DATA_PGOFF;
	rb->ops = &rb_user_ring_ops;
	return 0;
fail:;
	int err = -errno;

	munmap(base, rb->map_len);
	rb->map_len = 0;
	return err;
}

/* Fill in the meta page and positions of a new ring (memory is all zero).
 * opts: checked and complete (check_opts), never NULL. */
RB_HIDDEN void rb_init_meta(struct ringbuf *rb, const struct ringbuf_opts *opts)
{
	struct ringbuf_meta *m = rb->meta;
	struct timespec ts;
	uint64_t start = opts->start_pos & ~7ULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	m->version = RINGBUF_FORMAT_VERSION;
	m->meta_size = sizeof(*m);
	m->page_size = 1U << rb->page_shift;
	m->flags = rb->flags;
	m->data_size = rb->size;
	m->word_size = sizeof(long);
	m->mode = opts->mode ? opts->mode : 0600;
	m->recover_ms = opts->recover_ms ? opts->recover_ms : RINGBUF_DEFAULT_RECOVER_MS;
	m->create_time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	m->ring_nonce = rb_random_u64();
	*rb->consumer_pos = start;
	*(uint64_t *)(void *)((uint8_t *)rb->consumer_pos + RINGBUF_CONS_RELEASE_OFF) = start;
	*rb->producer_pos = start;
	*rb->pending_pos = start;
	*rb->overwrite_pos = start;
	m->reclaimed_pos = start;
	*rb_read_pos(rb) = start;
	/* The magic last, released: a process that sees it sees the rest. */
	rb_store_release(&m->magic, RINGBUF_MAGIC);
}


/* Give the file all its pages now: a full tmpfs says ENOSPC here, instead
 * of SIGBUS in a producer later. */
RB_HIDDEN int rb_reserve_space(int fd, uint64_t len)
{
	int err = posix_fallocate(fd, 0, (off_t)len);

	if (err == EOPNOTSUPP || err == EINVAL)
		return 0; /* the file system cannot reserve: pages come on first touch */
	return -err;
}

/* An anonymous ring (ringbuf_create without a name, named.c): a sealed
 * memfd, an eventfd to wake through. opts: checked and complete. 0 and the
 * ring in *out, or a negative errno. */
RB_HIDDEN int rb_create_anon(size_t size, const struct ringbuf_opts *opts, struct ringbuf **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const struct ringbuf_opts o = *opts;
	struct ringbuf *rb;
	int err;

	rb = rb_alloc();
	if (!rb)
		return -ENOMEM;
	rb->flags = o.flags;
	rb->role = RINGBUF_PRODUCER | RINGBUF_CONSUMER;
	rb->fd = memfd_create("ringbuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rb->fd < 0 || ftruncate(rb->fd, (off_t)(RINGBUF_DATA_PGOFF * page + size))) {
		err = -errno;
		goto fail;
	}
	err = rb_reserve_space(rb->fd, RINGBUF_DATA_PGOFF * page + size);
	if (err) {
		err = rb_detail(-err, "cannot reserve %zu bytes for the ring: %s",
				RINGBUF_DATA_PGOFF * page + size, strerror(-err));
		goto fail;
	}
	/* Fork children share the memfd: none of them can shrink it under
	 * the others (SIGBUS) or grow it. */
	if (fcntl(rb->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		err = -errno;
		goto fail;
	}
	err = rb_map_fd(rb, rb->fd, size, 1);
	if (err)
		goto fail;
	rb_init_meta(rb, &o);
	/* Anonymous rings wake through an eventfd, shared with fork children. */
	rb->wake_rfd = rb->wake_wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rb->wake_rfd < 0) {
		err = -errno;
		goto fail;
	}
	/* A producer slot, so a fork child that dies mid-record is recovered
	 * (children take their own slot on first reserve: rb_reslot). */
	err = rb_attach_roles(rb, RINGBUF_PRODUCER | RINGBUF_CONSUMER);
	if (err)
		goto fail;
	*out = rb;
	return 0;
fail:
	ringbuf_free(rb);
	return err;
}

void ringbuf_free(struct ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->ops) /* mapped: the kind gives back slot and claim */
		rb->ops->detach(rb);
	if (rb->map_len)
		munmap(rb->map_base, rb->map_len);
	if (rb->map2_len)
		munmap(rb->map2_base, rb->map2_len);
	if (rb->wake_rfd >= 0)
		close(rb->wake_rfd);
	if (rb->wake_wfd >= 0 && rb->wake_wfd != rb->wake_rfd)
		close(rb->wake_wfd);
	if (rb->fd >= 0)
		close(rb->fd);
	free(rb->copy_buf);
	free(rb->name);
	free(rb);
}

int ringbuf_fd(const struct ringbuf *rb)
{
	if (!rb)
		return -EINVAL;
	if (rb->role == RINGBUF_OBSERVER)
		return -EBADF; /* an observer is never woken */
	return rb->ops->wake_fd(rb);
}

const char *ringbuf_version(void)
{
	return RINGBUF_VERSION_STRING;
}

uint64_t ringbuf_query(const struct ringbuf *rb, uint64_t flags)
{
	uint64_t cons, prod, over;

	if (!rb)
		return 0;
	switch (flags) {
	case RINGBUF_AVAIL_DATA:
		/* Read overwrite_pos and consumer_pos before producer_pos, so
		 * neither can be ahead of the producer_pos we read. */
		cons = rb_load_acquire(rb->consumer_pos);
		over = (rb->flags & RINGBUF_F_OVERWRITE) ? rb_load_acquire(rb->overwrite_pos) : cons;
		prod = rb_load_acquire(rb->producer_pos);
		if ((int64_t)(over - cons) > 0)
			cons = over;
		return prod - cons;
	case RINGBUF_RING_SIZE:
		return rb->size;
	case RINGBUF_CONS_POS:
		return rb_load_acquire(rb->consumer_pos);
	case RINGBUF_PROD_POS:
		return rb_load_acquire(rb->producer_pos);
	case RINGBUF_OVERWRITE_POS:
		return rb_load_acquire(rb->overwrite_pos);
	case RINGBUF_PENDING_POS:
		return rb_load_acquire(rb->pending_pos);
	default:
		return 0;
	}
}
