// SPDX-License-Identifier: MIT
/*
 * Liveness: who holds a producer slot, the consumer claim, the reclaim lock,
 * and whether that holder still exists.
 *
 * The primitive is the open-file-description lock (fcntl F_OFD_SETLK) on
 * one byte of the ring file, far beyond its end (ringbuf_format.h,
 * RINGBUF_LOCK_*). The kernel owns these locks: it drops them exactly when
 * the last descriptor of the description that took them is closed, which a
 * process that dies does whatever kills it. Asking (F_OFD_GETLK) needs no
 * /proc, sees through pid namespaces and hidepid, and cannot be fooled by
 * pid reuse: "another description holds it" is the only thing that counts
 * as alive, and nothing the ring's memory says can make a live holder look
 * dead (docs/DESIGN.md §10, "Liveness").
 *
 * Fork: a child shares its parent's descriptions, so their locks are held
 * while either lives. A child that produces through an inherited handle
 * first gives the handle a description of its own (reopening
 * /proc/self/fd/N over rb->fd) and takes its own slot; without /proc it
 * keeps the parent's stamp, and its orphans wait until both are gone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* ---- who we are ---- */

RB_HIDDEN uint32_t rb_self_pid;

static void on_fork_child(void)
{
	rb_self_pid = (uint32_t)getpid();
}

__attribute__((constructor)) static void self_init(void)
{
	rb_self_pid = (uint32_t)getpid();
	pthread_atfork(NULL, NULL, on_fork_child);
}

/* ---- the lock primitive ---- */

static int ofd(int fd, int cmd, uint64_t byte, short type, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)byte;
	fl->l_len = 1;
	return fcntl(fd, cmd, fl);
}

/* 1: taken, 0: another description holds a conflicting lock, <0: -errno. */
RB_HIDDEN int rb_lock_try(int fd, uint64_t byte, short type)
{
	struct flock fl;

	if (!ofd(fd, F_OFD_SETLK, byte, type, &fl))
		return 1;
	return errno == EAGAIN || errno == EACCES ? 0 : -errno;
}

RB_HIDDEN void rb_lock_drop(int fd, uint64_t byte)
{
	struct flock fl;

	ofd(fd, F_OFD_SETLK, byte, F_UNLCK, &fl);
}

/* Does another open file description hold a lock on byte that conflicts
 * with `type`? Our own description's locks never conflict with us: callers
 * rule those out first. An error answers "yes" (never "dead" on doubt). */
RB_HIDDEN int rb_lock_held(int fd, uint64_t byte, short type)
{
	struct flock fl;

	if (ofd(fd, F_OFD_GETLK, byte, type, &fl))
		return 1;
	return fl.l_type != F_UNLCK;
}

/* ---- producer slots ---- */

static int take_slot(struct ringbuf *rb)
{
	struct ringbuf_meta *m = rb->meta;
	int r;

	rb->slotless = 0;
	for (uint32_t i = 0; i < RINGBUF_MAX_PRODUCERS; i++) {
		struct ringbuf_producer_slot *s = &m->producers[i];
		uint32_t gen;

		r = rb_lock_try(rb->fd, RINGBUF_LOCK_SLOT(i), F_WRLCK);
		if (r < 0)
			return rb_detail(-r, "cannot lock the ring file (liveness needs "
					 "open-file-description locks): %s", strerror(-r));
		if (!r)
			continue;
		/* Ours. A pid left in it means its last owner never detached:
		 * it died, perhaps leaving a claim without a header. */
		if (rb_load_relaxed(&s->pid))
			rb_add_relaxed(&m->unclean_exits, 1);
		gen = (rb_load_relaxed(&s->gen) + 1) & RINGBUF_GEN_MASK;
		rb_store_relaxed(&s->pid, rb_self_pid);
		/* [L1] release: the new generation is stored before any header
		 * carries it; a reader that saw such a header (after [C1]) sees
		 * it, so a live owner's stamp always matches. */
		rb_store_release(&s->gen, gen);
		/* relaxed: other threads of a fork child read it while it is
		 * re-slotted (rb_reslot publishes it with slot_pid) */
		rb_store_relaxed(&rb->owner_slot, (gen << 8) | (i + 1));
		return 0;
	}
	/* All 48 held by live producers: share the slotless read lock. Our
	 * orphans are recovered once no slotless producer is alive. */
	r = rb_lock_try(rb->fd, RINGBUF_LOCK_SLOTLESS, F_RDLCK);
	if (r <= 0)
		return rb_detail(r ? -r : EAGAIN, "cannot take the slotless producers' lock");
	rb_add_relaxed(&m->slotless_users, 1);
	rb->slotless = 1;
	rb_store_relaxed(&rb->owner_slot, 0);
	return 0;
}

static void release_slot(struct ringbuf *rb)
{
	uint32_t slot = RINGBUF_STAMP_SLOT(rb->owner_slot);

	if (rb->slot_pid != rb_self_pid)
		return; /* inherited: the lock is our parent's too */
	if (rb->slotless) {
		rb_add_relaxed(&rb->meta->slotless_users, (uint32_t)-1);
		rb_lock_drop(rb->fd, RINGBUF_LOCK_SLOTLESS);
	} else if (slot && slot <= RINGBUF_MAX_PRODUCERS) {
		/* A clean detach: no pid left behind, then the lock. */
		rb_store_relaxed(&rb->meta->producers[slot - 1].pid, 0);
		rb_lock_drop(rb->fd, RINGBUF_LOCK_SLOT(slot - 1));
	}
	rb->owner_slot = 0;
	rb->slotless = 0;
}

static pthread_mutex_t reslot_lock = PTHREAD_MUTEX_INITIALIZER;

RB_HIDDEN void rb_reslot(struct ringbuf *rb)
{
	char path[64];
	int nfd;

	pthread_mutex_lock(&reslot_lock);
	if (rb_load_relaxed(&rb->slot_pid) != rb_self_pid) {
		/* A description of our own, so our slot dies with us. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", rb->fd);
		nfd = open(path, O_RDWR | O_CLOEXEC);
		if (nfd >= 0 && dup3(nfd, rb->fd, O_CLOEXEC) >= 0) {
			uint32_t keep = rb->owner_slot;

			if (take_slot(rb)) /* no lock: stay with the parent's stamp */
				rb_store_relaxed(&rb->owner_slot, keep);
		}
		if (nfd >= 0)
			close(nfd);
		/* release: a thread that sees the new slot_pid sees owner_slot */
		rb_store_release(&rb->slot_pid, rb_self_pid);
	}
	pthread_mutex_unlock(&reslot_lock);
}

/* ---- liveness of a stamp ---- */

RB_HIDDEN int rb_stamp_alive(struct ringbuf *rb, uint32_t stamp)
{
	uint32_t slot = RINGBUF_STAMP_SLOT(stamp);
	struct ringbuf_producer_slot *s;

	if (slot > RINGBUF_MAX_PRODUCERS)
		return -1; /* no such slot: not a stamp anyone wrote */
	if (slot == 0) {
		if (rb->slotless)
			return 1; /* our own read lock hides the others' */
		return rb_lock_held(rb->fd, RINGBUF_LOCK_SLOTLESS, F_WRLCK);
	}
	if (stamp == rb_load_relaxed(&rb->owner_slot))
		return 1; /* ours (our description holds the lock) */
	s = &rb->meta->producers[slot - 1];
	/* [L2] acquire: pairs with [L1]. Another generation: the stamp's
	 * owner let go of the lock (died or detached) and someone else took
	 * the slot since. */
	if ((rb_load_acquire(&s->gen) ^ RINGBUF_STAMP_GEN(stamp)) & RINGBUF_GEN_MASK)
		return 0;
	return rb_lock_held(rb->fd, RINGBUF_LOCK_SLOT(slot - 1), F_WRLCK);
}

/* Evidence that a producer died without detaching, so that a claim whose
 * header was never written (a zero header) may be its. */
RB_HIDDEN int rb_unclean_exit_seen(struct ringbuf *rb)
{
	struct ringbuf_meta *m = rb->meta;
	uint32_t mine = RINGBUF_STAMP_SLOT(rb->owner_slot);

	if (rb_load_relaxed(&m->unclean_exits) > rb_load_relaxed(&m->gaps_acked))
		return 1;
	for (uint32_t i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
		if (i + 1 != mine && rb_load_relaxed(&m->producers[i].pid) &&
		    !rb_lock_held(rb->fd, RINGBUF_LOCK_SLOT(i), F_WRLCK))
			return 1; /* a pid left behind, nobody holding the slot */
	return !rb->slotless && rb_load_relaxed(&m->slotless_users) &&
	       !rb_lock_held(rb->fd, RINGBUF_LOCK_SLOTLESS, F_WRLCK);
}

/* ---- the consumer claim ---- */

static int take_claim(struct ringbuf *rb)
{
	struct ringbuf_meta *m = rb->meta;
	int r = rb_lock_try(rb->fd, RINGBUF_LOCK_CLAIM, F_WRLCK);

	if (r < 0)
		return rb_detail(-r, "cannot lock the ring file (liveness needs "
				 "open-file-description locks): %s", strerror(-r));
	if (!r)
		return rb_detail(EBUSY, "ring is consumed by a live process (pid %u, as it "
				 "recorded itself)", rb_load_relaxed(&m->consumer_pid));
	rb_store_relaxed(&m->consumer_pid, rb_self_pid);
	rb->claim_pid = rb_self_pid;
	/* A consumer killed inside its release left it half done: finish. */
	rb_release_repair(rb);
	return 0;
}

static void release_claim(struct ringbuf *rb)
{
	if (!rb->claim_pid || rb->claim_pid != rb_self_pid)
		return; /* none, or our parent's (a fork child's handle) */
	rb_store_relaxed(&rb->meta->consumer_pid, 0);
	rb_lock_drop(rb->fd, RINGBUF_LOCK_CLAIM);
	rb->claim_pid = 0;
}

RB_HIDDEN int rb_attach_roles(struct ringbuf *rb, int role)
{
	int err;

	if (role & RINGBUF_CONSUMER) {
		err = take_claim(rb);
		if (err)
			return err;
	}
	rb->role = role;
	if (role & RINGBUF_PRODUCER) {
		err = take_slot(rb);
		if (err)
			return err;
		rb->slot_pid = rb_self_pid;
	}
	return 0;
}

RB_HIDDEN void rb_detach_named(struct ringbuf *rb)
{
	if (rb->fd < 0) /* a user ring (rb_user_ring_ops.detach): mapped */
		return;
	if (rb->role & RINGBUF_PRODUCER)
		release_slot(rb);
	release_claim(rb);
}
