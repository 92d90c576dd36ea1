// SPDX-License-Identifier: MIT
/*
 * Named rings: creation, attach, validation of a file we did not write,
 * producer slots, the consumer claim and the wake FIFO.
 *
 * A name without '/' is a POSIX shared memory object (shm_open("/name")), and
 * so is "/name" with no other slash, as shm_open(3) users write it; any
 * other name with '/' is a path to a regular file (tmpfs, hugetlbfs, ...). Next to
 * it lives the wake FIFO: /dev/shm/NAME.wake or PATH.wake.
 *
 * Everything in the file is untrusted when we open it: the meta page is
 * mapped alone and validated before anything else is mapped, and the ring
 * keeps private copies of every size it computes with.
 *
 * Producer slots and the consumer claim are in live.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---- error detail ---- */

static __thread char err_detail[256];

RB_HIDDEN int rb_errorf(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	va_end(ap);
	errno = err;
	return -err;
}

const char *ringbuf_strerror_detail(void)
{
	return err_detail;
}

/* ---- names ---- */

struct names {
	char obj[PATH_MAX];   /* shm name ("/NAME") or file path */
	char wake[PATH_MAX];  /* the wake FIFO */
	int is_shm;
};

static int parse_name(const char *name, struct names *n)
{
	size_t len;

	if (!name || !*name)
		return rb_errorf(EINVAL, "empty ring name");
	/* As shm_open(3): "/x" with no other slash is the shm object x. */
	if (name[0] == '/' && name[1] && !strchr(name + 1, '/'))
		name++;
	len = strlen(name);
	n->is_shm = !strchr(name, '/');
	if (n->is_shm) {
		if (len + 6 > NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
			return rb_errorf(ENAMETOOLONG, "bad shm ring name '%s'", name);
		snprintf(n->obj, sizeof(n->obj), "/%s", name);
		snprintf(n->wake, sizeof(n->wake), "/dev/shm/%s.wake", name);
	} else {
		if (len + 6 > sizeof(n->obj))
			return rb_errorf(ENAMETOOLONG, "ring path too long");
		snprintf(n->obj, sizeof(n->obj), "%s", name);
		snprintf(n->wake, sizeof(n->wake), "%s.wake", name);
	}
	return 0;
}

static int open_obj(const struct names *n, int flags, mode_t mode)
{
	flags |= O_CLOEXEC | O_NOFOLLOW;
	if (n->is_shm)
		return shm_open(n->obj, flags, mode);
	return open(n->obj, flags, mode);
}

static int unlink_obj(const struct names *n)
{
	return n->is_shm ? shm_unlink(n->obj) : unlink(n->obj);
}

/* The wake FIFO, opened O_RDWR even by producers: a FIFO with a writer and
 * no reader makes write() raise SIGPIPE, which would kill every producer
 * the moment the consumer dies. Nobody but the consumer reads it. */
static int open_wake(const char *path)
{
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

static int make_wake(const char *path, mode_t mode)
{
	if (mkfifo(path, mode) && errno != EEXIST)
		return -errno;
	/* umask must not change what the user asked for */
	if (chmod(path, mode))
		return -errno;
	return 0;
}

RB_HIDDEN int rb_open_wake_writer(struct ringbuf *rb)
{
	struct names n;
	int fd, expect = -1;

	if (!rb->name || parse_name(rb->name, &n))
		return -EINVAL;
	fd = open_wake(n.wake);
	if (fd < 0)
		return fd;
	/* Two threads may race here: one fd wins, the other is closed. */
	if (!rb_cas_acq_rel(&rb->wake_wfd, &expect, fd)) {
		close(fd);
		return 0;
	}
	return 0;
}

/* ---- create ---- */

RB_HIDDEN struct ringbuf *rb_create_named(const char *name, size_t size,
					  const struct ringbuf_opts *opts)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	mode_t mode = opts && opts->mode ? (mode_t)(opts->mode & 07777) : 0600;
	struct ringbuf *rb;
	struct names n;
	int err, created = 0;

	err_detail[0] = 0;
	if (parse_name(name, &n))
		return NULL;
	rb = rb_alloc();
	if (!rb)
		return NULL;
	rb->flags = opts ? opts->flags : 0;
	rb->name = strdup(name);
	if (!rb->name)
		goto fail_errno;
	rb->fd = open_obj(&n, O_RDWR | O_CREAT | O_EXCL, mode);
	if (rb->fd < 0) {
		rb_errorf(errno, "cannot create ring '%s': %s", name, strerror(errno));
		goto fail;
	}
	created = 1;
	if (fchmod(rb->fd, mode) ||
	    ftruncate(rb->fd, (off_t)(RINGBUF_DATA_PGOFF * page + size)))
		goto fail_errno;
	err = rb_map_fd(rb, rb->fd, size, 1);
	if (err) {
		errno = -err;
		goto fail_errno;
	}
	/* A FIFO left by a ring of this name that was never unlinked is
	 * stale: we just created the ring exclusively. */
	unlink(n.wake);
	err = make_wake(n.wake, mode);
	if (err) {
		rb_errorf(-err, "cannot create wake FIFO %s: %s", n.wake, strerror(-err));
		goto fail;
	}
	rb->wake_rfd = rb->wake_wfd = open_wake(n.wake);
	if (rb->wake_rfd < 0) {
		errno = -rb->wake_rfd;
		rb->wake_rfd = rb->wake_wfd = -1;
		goto fail_errno;
	}
	rb_init_meta(rb, opts);
	rb->meta->mode = (uint32_t)mode;
	/* The creator produces and consumes, like an anonymous ring. */
	err = rb_attach_roles(rb, RINGBUF_PRODUCER | RINGBUF_CONSUMER);
	if (err)
		goto fail;
	return rb;
fail_errno:
	rb_errorf(errno, "cannot create ring '%s': %s", name, strerror(errno));
fail:
	err = errno;
	if (created) {
		unlink_obj(&n);
		unlink(n.wake);
	}
	ringbuf_free(rb);
	errno = err;
	return NULL;
}

/* ---- open ---- */

/* Validate a meta page we did not write. The copy is private: nothing in it
 * can change under us. Returns the data size or a negative errno. */
static int64_t check_meta(const struct ringbuf_meta *m, uint64_t file_size, size_t page)
{
	uint64_t ds = m->data_size;

	if (m->magic != RINGBUF_MAGIC)
		return rb_errorf(EBADMSG, "not a ring: bad magic 0x%016llx",
				 (unsigned long long)m->magic);
	if (m->version != RINGBUF_FORMAT_VERSION)
		return rb_errorf(EPROTO, "ring format version %u, this library reads %u",
				 m->version, RINGBUF_FORMAT_VERSION);
	if (m->word_size != sizeof(long))
		return rb_errorf(EPROTO, "ring made with word size %u, ours is %zu",
				 m->word_size, sizeof(long));
	if (m->page_size != page)
		return rb_errorf(EPROTO, "ring made with page size %u, ours is %zu",
				 m->page_size, page);
	if (m->meta_size != sizeof(struct ringbuf_meta))
		return rb_errorf(EBADMSG, "ring meta_size %u, expected %zu", m->meta_size,
				 sizeof(struct ringbuf_meta));
	if (m->flags & ~RINGBUF_F_OVERWRITE)
		return rb_errorf(EPROTO, "ring has unknown flags 0x%x", m->flags);
	if (ds < page || (ds & (ds - 1)) || ds % page || ds > (1ULL << 32))
		return rb_errorf(EBADMSG, "ring data_size %llu is not a power-of-two multiple "
				 "of the page size", (unsigned long long)ds);
	if (file_size != RINGBUF_DATA_PGOFF * page + ds)
		return rb_errorf(EBADMSG, "ring file is %llu bytes, its meta page says %llu",
				 (unsigned long long)file_size,
				 (unsigned long long)(RINGBUF_DATA_PGOFF * page + ds));
	return (int64_t)ds;
}

struct ringbuf *ringbuf_open_opts(const char *name, int role, const struct ringbuf_opts *opts)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct ringbuf_meta copy;
	struct ringbuf *rb = NULL;
	struct names n;
	struct stat st;
	int64_t ds = -EBADMSG;
	void *mp;
	int err;

	err_detail[0] = 0;
	if (role <= 0 || (role & ~(RINGBUF_PRODUCER | RINGBUF_CONSUMER))) {
		rb_errorf(EINVAL, "role must be RINGBUF_PRODUCER and/or RINGBUF_CONSUMER");
		return NULL;
	}
	if (opts && (opts->sz < sizeof(size_t) || (opts->sz > offsetof(struct ringbuf_opts, flags) &&
						    opts->flags))) {
		rb_errorf(EINVAL, "open takes no flags (the ring has its own)");
		return NULL;
	}
	if (parse_name(name, &n))
		return NULL;
	rb = rb_alloc();
	if (!rb)
		return NULL;
	rb->name = strdup(name);
	if (!rb->name)
		goto fail_errno;
	rb->fd = open_obj(&n, O_RDWR, 0);
	if (rb->fd < 0)
		goto fail_errno;
	/* A ring being created has size 0 or magic 0 for a moment: give the
	 * creator a little time before calling the file bad. */
	for (int tries = 0; tries < 20; tries++) {
		if (fstat(rb->fd, &st))
			goto fail_errno;
		if (!S_ISREG(st.st_mode)) {
			rb_errorf(EBADMSG, "'%s' is not a regular file", name);
			goto fail;
		}
		if ((uint64_t)st.st_size < page) {
			rb_errorf(EBADMSG, "not a ring: file of %lld bytes has no meta page",
				  (long long)st.st_size);
		} else {
			mp = mmap(NULL, page, PROT_READ, MAP_SHARED, rb->fd, 0);
			if (mp == MAP_FAILED)
				goto fail_errno;
			/* [S4] acquire: pairs with rb_init_meta's release of the
			 * magic; a copy taken after seeing it has the rest. */
			copy.magic = rb_load_acquire((uint64_t *)mp);
			memcpy((uint8_t *)&copy + sizeof(copy.magic),
			       (uint8_t *)mp + sizeof(copy.magic), sizeof(copy) - sizeof(copy.magic));
			munmap(mp, page);
			ds = check_meta(&copy, (uint64_t)st.st_size, page);
			if (ds >= 0 || copy.magic)
				break;
		}
		usleep(2000);
	}
	if (ds < 0)
		goto fail;
	rb->flags = copy.flags;
	/* Read-write data even for a consumer alone: the consumer zeroes every
	 * record it consumes (free space is all zero, docs/DESIGN.md). */
	err = rb_map_fd(rb, rb->fd, (uint64_t)ds, 1);
	if (err) {
		errno = -err;
		goto fail_errno;
	}
	err = open_wake(n.wake);
	if (err == -ENOENT && (role & RINGBUF_CONSUMER)) {
		if (!make_wake(n.wake, copy.mode & 07777))
			err = open_wake(n.wake);
	}
	if (err >= 0) {
		rb->wake_wfd = err;
		if (role & RINGBUF_CONSUMER)
			rb->wake_rfd = err;
	} else if (role & RINGBUF_CONSUMER) {
		rb_errorf(-err, "cannot open wake FIFO %s: %s", n.wake, strerror(-err));
		goto fail;
	}
	err = rb_attach_roles(rb, role);
	if (err)
		goto fail;
	return rb;
fail_errno:
	rb_errorf(errno, "cannot open ring '%s': %s", name ? name : "", strerror(errno));
fail:
	err = errno;
	rb->role = 0;
	ringbuf_free(rb);
	errno = err;
	return NULL;
}

struct ringbuf *ringbuf_open(const char *name, int role)
{
	return ringbuf_open_opts(name, role, NULL);
}

int ringbuf_unlink(const char *name)
{
	struct names n;
	int err = 0;

	err_detail[0] = 0;
	if (parse_name(name, &n))
		return -errno;
	if (unlink_obj(&n))
		err = rb_errorf(errno, "cannot unlink ring '%s': %s", name, strerror(errno));
	if (unlink(n.wake) && errno != ENOENT && !err)
		err = rb_errorf(errno, "cannot unlink %s: %s", n.wake, strerror(errno));
	return err;
}
