// SPDX-License-Identifier: MIT
/*
 * Named rings: creation, attach, validation of a file we did not write,
 * unlink; and ringbuf_create itself, which makes a named ring here or an
 * anonymous one (ring.c).
 *
 * A name without '/' is a POSIX shared memory object (/dev/shm/NAME, what
 * shm_open uses), and so is "/NAME" with no other slash, as shm_open(3)
 * users write it; any other name with '/' is a path to a regular file
 * (tmpfs, hugetlbfs, ...). Next to it lives the wake FIFO:
 * /dev/shm/NAME.wake or PATH.wake. Both are reached through the
 * directory's fd, never through a symbolic link (names.c, and
 * docs/THREAT.md).
 *
 * Everything in the file is untrusted when we open it: the meta page is
 * mapped alone and validated before anything else is mapped, and the ring
 * keeps private copies of every size it computes with.
 *
 * Producer slots and the consumer claim are in live.c, the name and the
 * wake FIFO in names.c.
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

#include "names.h"

/* ---- create ---- */

static int valid_size(uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	return size >= page && (size & (size - 1)) == 0 && (size % page) == 0 &&
	       size <= (1ULL << 32);
}

/* The caller's options, checked: flags we know, a mode of permission bits
 * only (no setuid, setgid or sticky bit on a file others map). */
static int check_opts(const struct ringbuf_opts *in, struct ringbuf_opts *o)
{
	int err = rb_opts_copy(o, sizeof(*o), in, "ringbuf_opts");

	if (err)
		return err;
	if (o->flags & ~RINGBUF_F_OVERWRITE)
		return rb_detail(EINVAL, "unknown ring flags 0x%x", o->flags & ~RINGBUF_F_OVERWRITE);
	if (o->mode & ~0777U)
		return rb_detail(EINVAL, "mode 0%o: only permission bits (0777) are allowed", o->mode);
	return 0;
}

/* A system call failed while making the ring: say so, and which. */
static int create_failed(const char *name, int err)
{
	return rb_detail(err, "cannot create ring '%s': %s", name, strerror(err));
}

/* opts: checked by rb_create (mode within 0777). 0 and the ring in *out,
 * or a negative errno with the detail set. */
static int create_named(const char *name, size_t size, const struct ringbuf_opts *opts,
			struct ringbuf **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t file_size = RINGBUF_DATA_PGOFF * page + size;
	mode_t mode = opts->mode ? (mode_t)opts->mode : 0600;
	struct ringbuf *rb;
	struct names n;
	int err, created = 0, made_wake = 0;

	err = rb_names_parse(name, &n);
	if (err)
		return err;
	rb = rb_alloc();
	if (!rb || !(rb->name = strdup(name))) {
		err = create_failed(name, ENOMEM);
		goto fail;
	}
	rb->flags = opts->flags;
	/* Made 0600 and exclusive (O_EXCL never follows a link), then given
	 * its mode through the fd: the umask does not change what was asked. */
	rb->fd = rb_names_open_obj(&n, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (rb->fd < 0) {
		err = create_failed(name, -rb->fd);
		goto fail;
	}
	created = 1;
	if (fchmod(rb->fd, mode) || ftruncate(rb->fd, (off_t)file_size)) {
		err = create_failed(name, errno);
		goto fail;
	}
	err = rb_reserve_space(rb->fd, file_size);
	if (err) {
		err = rb_detail(-err, "cannot reserve %llu bytes for ring '%s': %s",
				(unsigned long long)file_size, name, strerror(-err));
		goto fail;
	}
	err = rb_map_fd(rb, rb->fd, size, 1);
	if (err) {
		err = create_failed(name, -err);
		goto fail;
	}
	err = rb_wake_make_at_create(&n, mode, &made_wake);
	if (err < 0)
		goto fail;
	rb->wake_rfd = rb->wake_wfd = err;
	rb_init_meta(rb, opts);
	rb->meta->mode = (uint32_t)mode;
	/* The creator produces and consumes, like an anonymous ring. */
	err = rb_attach_roles(rb, RINGBUF_PRODUCER | RINGBUF_CONSUMER);
	if (err)
		goto fail;
	rb_names_close(&n);
	*out = rb;
	return 0;
fail:
	/* Nothing half-made is left behind: only what we created here. */
	if (created)
		unlinkat(n.dirfd, n.obj, 0);
	if (made_wake)
		unlinkat(n.dirfd, n.wake, 0);
	rb_names_close(&n);
	ringbuf_free(rb);
	return err;
}

/* ---- open ---- */

/* Validate a meta page we did not write. The copy is private: nothing in it
 * can change under us. Returns the data size or a negative errno. */
static int64_t check_meta(const struct ringbuf_meta *m, uint64_t file_size, size_t page)
{
	uint64_t ds = m->data_size;

	if (m->magic != RINGBUF_MAGIC)
		return rb_detail(EBADMSG, "not a ring: bad magic 0x%016llx",
				 (unsigned long long)m->magic);
	if (m->version != RINGBUF_FORMAT_VERSION)
		return rb_detail(EPROTO, "ring format version %u, this library reads %u",
				 m->version, RINGBUF_FORMAT_VERSION);
	if (m->word_size != sizeof(long))
		return rb_detail(EPROTO, "ring made with word size %u, ours is %zu",
				 m->word_size, sizeof(long));
	if (m->page_size != page)
		return rb_detail(EPROTO, "ring made with page size %u, ours is %zu",
				 m->page_size, page);
	if (m->meta_size != sizeof(struct ringbuf_meta))
		return rb_detail(EBADMSG, "ring meta_size %u, expected %zu", m->meta_size,
				 sizeof(struct ringbuf_meta));
	if (m->flags & ~RINGBUF_F_OVERWRITE)
		return rb_detail(EPROTO, "ring has unknown flags 0x%x", m->flags);
	if (ds < page || (ds & (ds - 1)) || ds % page || ds > (1ULL << 32))
		return rb_detail(EBADMSG, "ring data_size %llu is not a power-of-two multiple "
				 "of the page size", (unsigned long long)ds);
	if (file_size != RINGBUF_DATA_PGOFF * page + ds)
		return rb_detail(EBADMSG, "ring file is %llu bytes, its meta page says %llu",
				 (unsigned long long)file_size,
				 (unsigned long long)(RINGBUF_DATA_PGOFF * page + ds));
	return (int64_t)ds;
}

/* Is the file behind fd one of our rings? Fills *st and *copy (a private
 * copy of its meta page). A ring being created has size 0 or magic 0 for a
 * moment: give the creator a little time before calling the file bad.
 * Returns the data size or a negative errno with the detail set. */
static int64_t verify_ring(int fd, const char *name, struct stat *st, struct ringbuf_meta *copy)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int64_t ds = -EBADMSG;
	void *mp;

	for (int tries = 0; tries < 20; tries++) {
		if (fstat(fd, st))
			return rb_detail(errno, "cannot stat ring '%s': %s", name, strerror(errno));
		if (!S_ISREG(st->st_mode))
			return rb_detail(EBADMSG, "'%s' is %s, not a ring", name,
					 rb_file_kind(st->st_mode));
		if ((uint64_t)st->st_size < page) {
			ds = rb_detail(EBADMSG, "not a ring: file of %lld bytes has no meta page",
				       (long long)st->st_size);
		} else {
			mp = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
			if (mp == MAP_FAILED)
				return rb_detail(EBADMSG, "not a ring: '%s' cannot be mapped (%s)",
						 name, strerror(errno));
			/* [S4] acquire: pairs with rb_init_meta's release of the
			 * magic; a copy taken after seeing it has the rest. */
			copy->magic = rb_load_acquire((uint64_t *)mp);
			memcpy((uint8_t *)copy + sizeof(copy->magic),
			       (uint8_t *)mp + sizeof(copy->magic), sizeof(*copy) - sizeof(copy->magic));
			munmap(mp, page);
			ds = check_meta(copy, (uint64_t)st->st_size, page);
			if (ds >= 0 || copy->magic)
				break;
		}
		usleep(2000);
	}
	return ds;
}

/* A system call failed while opening the ring: say so, and which. */
static int open_failed(const char *name, int err)
{
	return rb_detail(err, "cannot open ring '%s': %s", name ? name : "", strerror(err));
}

/* ringbuf_open_opts: 0 and the ring in *out, or a negative errno with the
 * detail set. */
RB_HIDDEN int rb_open(const char *name, int role, const struct ringbuf_opts *opts,
		      struct ringbuf **out)
{
	const int observer = role == RINGBUF_OBSERVER;
	struct ringbuf_meta copy;
	struct ringbuf_opts o;
	struct ringbuf *rb = NULL;
	struct names n = { .dirfd = -1 };
	struct stat st;
	int64_t ds;
	int err, made_wake = 0;

	if (!observer && (role <= 0 || (role & ~(RINGBUF_PRODUCER | RINGBUF_CONSUMER))))
		return rb_detail(EINVAL, "role must be RINGBUF_PRODUCER and/or RINGBUF_CONSUMER, "
				 "or RINGBUF_OBSERVER alone");
	err = rb_opts_copy(&o, sizeof(o), opts, "ringbuf_opts");
	if (err)
		return err;
	if (o.flags)
		return rb_detail(EINVAL, "open takes no flags (the ring has its own)");
	err = rb_names_parse(name, &n);
	if (err)
		return err;
	rb = rb_alloc();
	if (!rb || !(rb->name = strdup(name))) {
		err = open_failed(name, ENOMEM);
		goto fail;
	}
	/* An observer needs read permission only. */
	rb->fd = rb_names_open_obj(&n, observer ? O_RDONLY : O_RDWR, 0);
	if (rb->fd < 0) {
		err = open_failed(name, -rb->fd);
		goto fail;
	}
	ds = verify_ring(rb->fd, name, &st, &copy);
	if (ds < 0) {
		err = (int)ds;
		goto fail;
	}
	rb->flags = copy.flags;
	/* Read-write data even for a consumer alone: the consumer zeroes every
	 * record it consumes (free space is all zero, docs/DESIGN.md). An
	 * observer maps everything read-only. */
	err = rb_map_fd(rb, rb->fd, (uint64_t)ds, !observer);
	if (err) {
		err = open_failed(name, -err);
		goto fail;
	}
	if (observer) {
		rb->role = RINGBUF_OBSERVER; /* no FIFO, no slot, no claim */
		rb_names_close(&n);
		*out = rb;
		return 0;
	}
	err = rb_wake_open(&n, st.st_uid);
	if (err == -ENOENT && (role & RINGBUF_CONSUMER)) {
		/* Re-made with the ring file's own owner and permissions, never
		 * with anything read from the ring's memory. */
		err = rb_wake_make(&n, st.st_mode & 0777, st.st_uid, st.st_gid, &made_wake);
	}
	if (err >= 0) {
		rb->wake_wfd = err;
		if (role & RINGBUF_CONSUMER)
			rb->wake_rfd = err;
	} else if (err != -ENOENT) {
		/* A producer that cannot wake the consumer (descriptor table
		 * full, a FIFO that is not ours) must not look attached. */
		goto fail;
	} /* else a producer: missing FIFO, tried again at each wakeup */
	err = rb_attach_roles(rb, role);
	if (err)
		goto fail;
	rb_names_close(&n);
	*out = rb;
	return 0;
fail:
	if (made_wake)
		unlinkat(n.dirfd, n.wake, 0);
	rb_names_close(&n);
	if (rb)
		rb->role = 0;
	ringbuf_free(rb);
	return err;
}

struct ringbuf *ringbuf_open_opts(const char *name, int role, const struct ringbuf_opts *opts)
{
	struct ringbuf *rb = NULL;
	int err;

	rb_clear_detail();
	err = rb_open(name, role, opts, &rb);
	return rb_api_ptr(err, rb);
}

struct ringbuf *ringbuf_open(const char *name, int role)
{
	return ringbuf_open_opts(name, role, NULL);
}

/* Remove a ring: only after checking that what is there is one of our
 * rings, and then only its own FIFO. The name is checked again just before
 * it is unlinked (same inode): whoever could swap it in between could also
 * have deleted it. 0 or a negative errno with the detail set. */
RB_HIDDEN int rb_unlink(const char *name)
{
	struct ringbuf_meta copy;
	struct names n;
	struct stat st, now;
	int64_t ds;
	int fd, err;

	err = rb_names_parse(name, &n);
	if (err)
		return err;
	fd = rb_names_open_obj(&n, O_RDONLY, 0);
	if (fd < 0) {
		if (fd == -ELOOP)
			err = rb_detail(EBADMSG, "'%s' is a symbolic link, not a ring: not removed", name);
		else
			err = rb_detail(-fd, "cannot check ring '%s': %s", name, strerror(-fd));
		goto out;
	}
	ds = verify_ring(fd, name, &st, &copy);
	close(fd);
	if (ds < 0) {
		err = (int)ds;
		rb_detail_append(": not removed");
		goto out;
	}
	if (fstatat(n.dirfd, n.obj, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		err = rb_detail(EAGAIN, "'%s' changed while being checked: not removed", name);
		goto out;
	}
	if (unlinkat(n.dirfd, n.obj, 0)) {
		err = rb_detail(errno, "cannot unlink ring '%s': %s", name, strerror(errno));
		goto out;
	}
	/* Its FIFO, when it is one we would use; anything else stays. */
	if (fstatat(n.dirfd, n.wake, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISFIFO(now.st_mode) && rb_wake_owner_ok(now.st_uid, st.st_uid) &&
	    unlinkat(n.dirfd, n.wake, 0) && errno != ENOENT)
		err = rb_detail(errno, "cannot unlink %s: %s", n.wake, strerror(errno));
out:
	rb_names_close(&n);
	return err;
}

int ringbuf_unlink(const char *name)
{
	rb_clear_detail();
	return rb_api_ret(rb_unlink(name));
}

/* ---- other files beside rings ---- */

/* The object under a ring name, for files that live beside rings (the
 * header of a sharded object): the same directory fd and the same
 * no-symlink, no-blocking open as the ring itself. */
RB_HIDDEN int rb_named_obj_open(const char *name, int flags, mode_t mode)
{
	struct names n;
	int fd;

	fd = rb_names_parse(name, &n);
	if (fd < 0)
		return fd;
	fd = rb_names_open_obj(&n, flags, mode);
	rb_names_close(&n);
	if (fd < 0)
		return rb_detail(-fd, "cannot open '%s'%s: %s", name,
				 fd == -ELOOP ? " (a symbolic link)" : "", strerror(-fd));
	return fd;
}

/* Remove it, only while the name is still the file behind fd (whoever
 * could swap it in between could also have deleted it). */
RB_HIDDEN int rb_named_obj_unlink(const char *name, int fd)
{
	struct names n;
	struct stat st, now;
	int err = 0;

	if (fstat(fd, &st))
		return rb_detail(errno, "cannot check '%s': %s", name, strerror(errno));
	err = rb_names_parse(name, &n);
	if (err)
		return err;
	if (fstatat(n.dirfd, n.obj, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		err = rb_detail(EAGAIN, "'%s' changed while being checked: not removed", name);
	else if (unlinkat(n.dirfd, n.obj, 0))
		err = rb_detail(errno, "cannot unlink '%s': %s", name, strerror(errno));
	rb_names_close(&n);
	return err;
}

/* Every ring starts here: options and size checked, then a named ring
 * (above) or an anonymous one (ring.c). 0 and the ring in *out, or a
 * negative errno with the detail set. */
RB_HIDDEN int rb_create(const char *name, size_t size, const struct ringbuf_opts *opts,
			struct ringbuf **out)
{
	struct ringbuf_opts o;
	int err;

	err = check_opts(opts, &o);
	if (err)
		return err;
	if (!valid_size(size))
		return rb_detail(EINVAL, "size %zu is not a power of two, a multiple of the page "
				 "size and at most 4 GiB", size);
	return name ? create_named(name, size, &o, out) : rb_create_anon(size, &o, out);
}

struct ringbuf *ringbuf_create(const char *name, size_t size, const struct ringbuf_opts *opts)
{
	struct ringbuf *rb = NULL;
	int err;

	rb_clear_detail();
	err = rb_create(name, size, opts, &rb);
	return rb_api_ptr(err, rb);
}
