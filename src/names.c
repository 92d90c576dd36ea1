// SPDX-License-Identifier: MIT
/*
 * The files beside a ring: its name split into a directory fd and a last
 * component, the ring file opened through that fd, and the wake FIFO
 * (opened, made, and opened late by a producer: rb_open_wake_writer). Below
 * the producers (ring.c wakes through it) and the named rings (named.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

/* ---- names ---- */

/*
 * Everything beside the ring is reached through one directory fd, by its
 * last path component, never following a symbolic link (O_NOFOLLOW,
 * AT_SYMLINK_NOFOLLOW, O_EXCL/mkfifoat when creating), and whatever is
 * opened is checked on its fd (fstat: file type, owner) before it is used.
 * Modes and owners are set with fchmod/fchown on the fd we checked, never by
 * path. docs/THREAT.md says what this defends against.
 */

RB_HIDDEN void rb_names_close(struct names *n)
{
	if (n->dirfd >= 0)
		close(n->dirfd);
	n->dirfd = -1;
}

/* A name without '/' lives in /dev/shm (what shm_open uses); a path in its
 * directory. The directory part is the caller's to choose and is followed
 * as given; the last component never is. */
RB_HIDDEN int rb_names_parse(const char *name, struct names *n)
{
	char dir[PATH_MAX];
	const char *slash, *base;
	size_t len;

	n->dirfd = -1;
	if (!name || !*name)
		return rb_detail(EINVAL, "empty ring name");
	/* As shm_open(3): "/x" with no other slash is the shm object x. */
	if (name[0] == '/' && name[1] && !strchr(name + 1, '/'))
		name++;
	len = strlen(name);
	slash = strrchr(name, '/');
	base = slash ? slash + 1 : name;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return rb_detail(EINVAL, "ring name '%s' does not end in a file name", name);
	if (strlen(base) + sizeof(".wake") > sizeof(n->obj) || len >= sizeof(dir))
		return rb_detail(ENAMETOOLONG, "ring name '%s' is too long", name);
	if (!slash)
		snprintf(dir, sizeof(dir), "/dev/shm");
	else if (slash == name)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	snprintf(n->obj, sizeof(n->obj), "%s", base);
	snprintf(n->wake, sizeof(n->wake), "%s.wake", base);
	n->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (n->dirfd < 0)
		return rb_detail(errno, "cannot open the directory %s of ring '%s': %s", dir,
				 name, strerror(errno));
	return 0;
}

/* The ring file itself: never through a symbolic link; O_NONBLOCK so that a
 * FIFO planted under the ring's name cannot block us (it fails the S_ISREG
 * check after). */
RB_HIDDEN int rb_names_open_obj(const struct names *n, int flags, mode_t mode)
{
	int fd = openat(n->dirfd, n->obj, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);

	return fd < 0 ? -errno : fd;
}

RB_HIDDEN const char *rb_file_kind(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link" : S_ISREG(m) ? "a regular file" :
	       S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : "a special file";
}

/* Who may own a wake FIFO we use: the ring's owner, ourselves (a consumer
 * that re-created it) or root. */
RB_HIDDEN int rb_wake_owner_ok(uid_t owner, uid_t ring_uid)
{
	return owner == ring_uid || owner == geteuid() || owner == 0;
}

/* The wake FIFO, opened O_RDWR even by producers: a FIFO with a writer and
 * no reader makes write() raise SIGPIPE, which would kill every producer
 * the moment the consumer dies. Nobody but the consumer reads it. Only a
 * FIFO is ever opened: the name is checked first (lstat-like), the fd after
 * (same inode, still a FIFO, an owner we accept). Negative errno with the
 * detail set. */
RB_HIDDEN int rb_wake_open(const struct names *n, uid_t ring_uid)
{
	struct stat pre, st;
	int fd;

	if (fstatat(n->dirfd, n->wake, &pre, AT_SYMLINK_NOFOLLOW))
		return rb_detail(errno, "cannot open wake FIFO %s: %s", n->wake, strerror(errno));
	if (!S_ISFIFO(pre.st_mode))
		return rb_detail(EBADMSG, "%s is %s, not the ring's wake FIFO: refusing to use it",
				 n->wake, rb_file_kind(pre.st_mode));
	if (!rb_wake_owner_ok(pre.st_uid, ring_uid))
		return rb_detail(EPERM, "wake FIFO %s belongs to uid %u, not to the ring's owner %u",
				 n->wake, (unsigned)pre.st_uid, (unsigned)ring_uid);
	fd = openat(n->dirfd, n->wake, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rb_detail(errno, "cannot open wake FIFO %s: %s", n->wake, strerror(errno));
	if (fstat(fd, &st) || st.st_dev != pre.st_dev || st.st_ino != pre.st_ino) {
		close(fd);
		return rb_detail(EBADMSG, "wake FIFO %s was replaced while being opened", n->wake);
	}
	return fd;
}

/* Create the wake FIFO (mkfifoat: fails when anything is there) and open
 * it. The fd must be the FIFO we just made — ours, one link — before its
 * owner and mode are set through it. Returns the fd or a negative errno
 * with the detail set. *made is set once the name exists (so a failure
 * after that removes it). */
RB_HIDDEN int rb_wake_make(const struct names *n, mode_t mode, uid_t uid, gid_t gid, int *made)
{
	struct stat st;
	int fd;

	if (mkfifoat(n->dirfd, n->wake, 0600))
		return rb_detail(errno, "cannot create wake FIFO %s: %s", n->wake, strerror(errno));
	*made = 1;
	fd = openat(n->dirfd, n->wake, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rb_detail(errno, "cannot open the wake FIFO %s just made: %s", n->wake,
				 strerror(errno));
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
		close(fd);
		*made = 0; /* not ours any more: leave it alone */
		return rb_detail(EBADMSG, "wake FIFO %s was replaced while being made", n->wake);
	}
	/* chown first: it may clear mode bits. */
	if (uid != st.st_uid && geteuid() == 0 && fchown(fd, uid, gid)) {
		int err = errno;

		close(fd);
		return rb_detail(err, "cannot give wake FIFO %s to uid %u: %s", n->wake,
				 (unsigned)uid, strerror(err));
	}
	if (fchmod(fd, mode & 0777)) {
		int err = errno;

		close(fd);
		return rb_detail(err, "cannot set the mode of wake FIFO %s: %s", n->wake,
				 strerror(err));
	}
	return fd;
}

/* At create: a FIFO of ours left by a ring of this name that was never
 * unlinked is stale (we just created the ring exclusively): replace it.
 * Anything else under NAME.wake is not ours to delete. */
RB_HIDDEN int rb_wake_make_at_create(const struct names *n, mode_t mode, int *made)
{
	struct stat st;
	int fd = rb_wake_make(n, mode, geteuid(), getegid(), made);

	if (fd != -EEXIST)
		return fd;
	if (fstatat(n->dirfd, n->wake, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISFIFO(st.st_mode) && st.st_uid == geteuid()) {
		if (unlinkat(n->dirfd, n->wake, 0) && errno != ENOENT)
			return rb_detail(errno, "cannot remove stale wake FIFO %s: %s", n->wake,
					 strerror(errno));
		return rb_wake_make(n, mode, geteuid(), getegid(), made);
	}
	return rb_detail(EEXIST, "%s already exists and is not a wake FIFO of this user "
			 "(it is %s): not touching it; remove it or choose another name",
			 n->wake, rb_file_kind(st.st_mode));
}

RB_HIDDEN int rb_open_wake_writer(struct ringbuf *rb)
{
	struct names n;
	struct stat st;
	int fd, expect = -1;

	if (!rb->name || fstat(rb->fd, &st) || rb_names_parse(rb->name, &n))
		return -EINVAL;
	fd = rb_wake_open(&n, st.st_uid);
	rb_names_close(&n);
	if (fd < 0)
		return fd;
	/* Two threads may race here: one fd wins, the other is closed. */
	if (!rb_cas_acq_rel(&rb->wake_wfd, &expect, fd)) {
		close(fd);
		return 0;
	}
	return 0;
}

