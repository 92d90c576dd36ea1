// SPDX-License-Identifier: MIT
/*
 * The ring: mapping, the anonymous ring, and the producer side (reserve,
 * commit, wake). ringbuf_create is in named.c, the wake FIFO in names.c.
 *
 * docs/DESIGN.md explains the protocol; the tags [P1].. [C5] name the ordered
 * accesses of its table. In short: producers claim space with one CAS on
 * producer_pos [P2] and write their header right after; the consumer can
 * never read a stale header there because free space is all zero (the
 * consumer zeroes every record it consumes before releasing consumer_pos
 * [C3]), and a zero header means "not written yet".
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
#include "overwrite.h"

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
	rb->kind = RB_KIND_USER;
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
 * memfd, an eventfd to wake through. opts: checked and complete. */
RB_HIDDEN struct ringbuf *rb_create_anon(size_t size, const struct ringbuf_opts *opts)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const struct ringbuf_opts o = *opts;
	struct ringbuf *rb;
	int err;

	rb = rb_alloc();
	if (!rb)
		return NULL;
	rb->flags = o.flags;
	rb->role = RINGBUF_PRODUCER | RINGBUF_CONSUMER;
	rb->fd = memfd_create("ringbuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rb->fd < 0)
		goto fail;
	if (ftruncate(rb->fd, (off_t)(RINGBUF_DATA_PGOFF * page + size)))
		goto fail;
	err = rb_reserve_space(rb->fd, RINGBUF_DATA_PGOFF * page + size);
	if (err) {
		rb_errorf(-err, "cannot reserve %zu bytes for the ring: %s",
			  RINGBUF_DATA_PGOFF * page + size, strerror(-err));
		goto fail;
	}
	/* Fork children share the memfd: none of them can shrink it under
	 * the others (SIGBUS) or grow it. */
	if (fcntl(rb->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto fail;
	err = rb_map_fd(rb, rb->fd, size, 1);
	if (err) {
		errno = -err;
		goto fail;
	}
	rb_init_meta(rb, &o);
	/* Anonymous rings wake through an eventfd, shared with fork children. */
	rb->wake_rfd = rb->wake_wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rb->wake_rfd < 0)
		goto fail;
	/* A producer slot, so a fork child that dies mid-record is recovered
	 * (children take their own slot on first reserve: rb_reslot). */
	err = rb_attach_roles(rb, RINGBUF_PRODUCER | RINGBUF_CONSUMER);
	if (err)
		goto fail;
	return rb;
fail:
	err = errno;
	ringbuf_free(rb);
	errno = err;
	return NULL;
}

void ringbuf_free(struct ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->kind == RB_KIND_USER)
		rb_detach_named(rb); /* producer slot, consumer claim */
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
	return rb->kind == RB_KIND_BPF ? rb->fd : rb->wake_rfd;
}

const char *ringbuf_version(void)
{
	return RINGBUF_VERSION_STRING;
}

/* ---- producers ---- */

/* The ring is full. A producer preempted between reserve and submit (user
 * space cannot disable preemption, the kernel does) holds the consumer at
 * its record, so nothing is freed until it runs again — and it may be
 * waiting for our very CPU while we spin on ENOSPC. Give the CPU away once:
 * sched_yield returns at once when nothing else wants it (docs/DESIGN.md
 * §3, "Two producers"). Not decided from the header at consumer_pos: the
 * consumer may be zeroing it at that moment. */
static void yield_when_full(void)
{
	sched_yield();
}

static void count_drop(struct ringbuf *rb)
{
	if (rb->meta)
		rb_add_relaxed(&rb->meta->dropped_records, 1);
}

static void *refuse(int err)
{
	rb_clear_detail();
	errno = err;
	return NULL;
}

void *ringbuf_reserve(struct ringbuf *rb, size_t size, uint64_t flags)
{
	uint64_t len, prod;
	uint64_t *hdr;

	/* The hot path leaves the error detail alone; every failure clears
	 * it (refuse()), so no older detail is shown for it. */
	if (rb_unlikely(!rb || flags || rb->kind != RB_KIND_USER))
		return refuse(EINVAL);
	if (rb_unlikely(!(rb->role & RINGBUF_PRODUCER)))
		return refuse(EPERM);
	len = rb_round_up_hdr(size);
	if (rb_unlikely(size > RINGBUF_MAX_RECORD_SZ || len > rb->size))
		return refuse(E2BIG);

	/* Inherited through fork: stamp our own slot, not the parent's. The
	 * acquire pairs with rb_reslot's release of slot_pid. */
	if (rb_unlikely(rb_load_acquire(&rb->slot_pid) != rb_self_pid))
		rb_reslot(rb);

	prod = rb_load_relaxed(rb->producer_pos);
	for (;;) {
		uint64_t room_base;

		if (rb->flags & RINGBUF_F_OVERWRITE)
			/* [O1] acquire: pairs with reclaim's release [O3]; the
			 * space up to reclaimed_pos is zeroed. Only reclaim
			 * frees space in this mode: the consumer does not zero
			 * what it reads (a producer may own it again). */
			room_base = rb_load_acquire(&rb->meta->reclaimed_pos);
		else {
			/* [P1c] acquire: pairs with [P1c]'s release below; the
			 * copy's writer acquired it from consumer_pos [P1], so
			 * the consumer's zeroing up to it happens before our
			 * writes too. The copy is never ahead of consumer_pos:
			 * it can only say "full" too early, never too late. */
			room_base = rb_load_acquire(&rb->cached_cons);
			if (rb_unlikely(prod + len - room_base > rb->size)) {
				/* [P1] acquire: pairs with the consumer's
				 * release of consumer_pos [C3], so its zeroing of
				 * the space we are about to take happens before
				 * our writes into it. */
				uint64_t seen = room_base;

				room_base = rb_load_acquire(rb->consumer_pos);
				/* Near full, every reservation gets here: store
				 * only news, so the copy's line stays shared. */
				if (room_base != seen)
					rb_store_release(&rb->cached_cons, room_base); /* [P1c] */
			}
		}
		if (rb_unlikely(prod + len - room_base > rb->size)) {
			/* Full. Overwrite mode frees room over the oldest
			 * committed records; normal mode refuses. */
			int err = -ENOSPC;

			if (rb->flags & RINGBUF_F_OVERWRITE)
				err = rb_overwrite_make_room(rb, prod, len);
			else
				yield_when_full();
			if (err) {
				count_drop(rb);
				return refuse(-err);
			}
			prod = rb_load_relaxed(rb->producer_pos);
			continue;
		}
		/* [P2] the claim: one CAS, no lock. A producer stopped
		 * anywhere never keeps another from claiming. */
		if (rb_cas_acq_rel(rb->producer_pos, &prod, prod + len))
			break;
	}
	rb_testpoint("reserve:claimed");

	/* [P3] The header, BUSY, stamped with our producer slot so a dead
	 * owner can be found. Relaxed: the consumer treats it only as "stop
	 * here", and the payload is published by the commit's release [P4]. */
	hdr = rb_hdr_at(rb, prod);
	rb_store_relaxed(hdr, rb_hdr_make((uint32_t)size | RINGBUF_BUSY_BIT, rb->owner_slot));
	rb_testpoint("reserve:header");
	return hdr + 1;
}

static void commit(struct ringbuf *rb, void *sample, uint64_t flags, int discard)
{
	uint64_t *hdr = (uint64_t *)sample - 1;
	uint64_t w = rb_load_relaxed(hdr);
	uint64_t off = (uint64_t)((uint8_t *)hdr - rb->data);
	uint32_t len = rb_hdr_len(w) & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
	uint64_t committed = rb_hdr_make(len | (discard ? RINGBUF_DISCARD_BIT : 0),
					 rb_pgoff_of(rb, off));
	uint64_t cons;

	rb_testpoint("commit:before");
	if (flags & RINGBUF_NO_WAKEUP) {
		/* [P4] release: the payload is visible before the header
		 * says it is committed. Pairs with the consumer's [C2]. */
		rb_store_release(hdr, committed);
		return;
	}
	/* [P5] a full barrier between publishing the record and reading
	 * the consumer's state (Dekker with the consumer's [C5]): either the
	 * consumer's last look saw this record, or we see it waiting. */
	rb_store_seq_cst(hdr, committed);
	if (!(flags & RINGBUF_FORCE_WAKEUP)) {
		cons = rb_load_relaxed(rb->consumer_pos);
		/* Adaptive rule (the kernel's): only a consumer that has
		 * caught up to exactly this record can be asleep on it. */
		if ((cons & rb->mask) != off || !rb_load_relaxed(rb->cons_waiting))
			return;
		/* One wakeup per sleep: the first committer to clear the flag
		 * sends it. */
		if (!rb_xchg_acq_rel(rb->cons_waiting, 0))
			return;
	}
	rb_wake(rb);
}

RB_HIDDEN void rb_wake(struct ringbuf *rb)
{
	uint64_t one = 1;
	int fd = rb_load_acquire(&rb->wake_wfd);

	/* A named ring whose FIFO was missing at open: try again now. */
	if (fd < 0 && rb->name && !rb_open_wake_writer(rb))
		fd = rb_load_acquire(&rb->wake_wfd);
	if (fd < 0)
		return;
	/* EAGAIN means the counter or pipe is full: already readable. */
	if (write(fd, &one, rb->kind == RB_KIND_USER && rb->name ? 1 : sizeof(one)) > 0 &&
	    rb->meta)
		rb_add_relaxed(&rb->meta->wakeups, 1);
}

void ringbuf_submit(struct ringbuf *rb, void *sample, uint64_t flags)
{
	if (!rb || !sample)
		return;
	commit(rb, sample, flags, 0);
}

void ringbuf_discard(struct ringbuf *rb, void *sample, uint64_t flags)
{
	if (!rb || !sample)
		return;
	commit(rb, sample, flags, 1);
}

int ringbuf_output(struct ringbuf *rb, const void *data, size_t size, uint64_t flags)
{
	void *p;

	if (!rb || (flags & ~(RINGBUF_NO_WAKEUP | RINGBUF_FORCE_WAKEUP)) || (size && !data)) {
		rb_clear_detail();
		return -EINVAL;
	}
	p = ringbuf_reserve(rb, size, 0);
	if (!p)
		return -errno;
	if (size)
		memcpy(p, data, size);
	ringbuf_submit(rb, p, flags);
	return 0;
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
