// SPDX-License-Identifier: MIT
/*
 * The sharded object: made and freed, and named.
 *
 * Named objects. A small header file under the name (ringbuf_format.h,
 * struct ringbuf_sharded_header) and one named ring per shard, NAME.sN, each
 * created and opened by rb_create/rb_open (ringbuf_create/ringbuf_open inside
 * the library) with all their checks.
 * The header records each shard's creation time, so an opener never mixes in
 * a stale ring of the same name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard.h"

/* ---- the object ---- */

/* Zeroed memory on whole cache lines of its own: nothing another thread
 * writes shares a line with it. */
static void *alloc_lines(size_t len)
{
	size_t n = (len + RB_LINE - 1) & ~(size_t)(RB_LINE - 1);
	void *p = aligned_alloc(RB_LINE, n);

	if (p)
		memset(p, 0, n);
	return p;
}

static uint64_t next_id;

struct ringbuf_sharded *rb_shard_alloc(unsigned int n)
{
	struct ringbuf_sharded *s = alloc_lines(sizeof(*s));

	if (!s)
		return NULL;
	s->epfd = -1;
	s->n = n;
	/* [K2] relaxed: only uniqueness matters, nothing is published */
	s->id = rb_fetch_add_relaxed(&next_id, 1) + 1;
	rb_idle_init(&s->idle);
	s->shards = alloc_lines(n * sizeof(*s->shards));
	s->last_key = alloc_lines(n * sizeof(*s->last_key));
	if (!s->shards || !s->last_key) {
		free(s->shards);
		free(s->last_key);
		free(s);
		return NULL;
	}
	return s;
}

void ringbuf_sharded_free(struct ringbuf_sharded *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->n; i++)
		ringbuf_free(s->shards[i]);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->shards);
	free(s->last_key);
	free(s->buf);
	free(s->st);
	free(s);
}

static int shard_name(char *buf, size_t len, const char *name, unsigned int i)
{
	if ((size_t)snprintf(buf, len, "%s.s%u", name, i) >= len)
		return rb_detail(ENAMETOOLONG, "sharded ring name too long");
	return 0;
}

static size_t header_len(unsigned int n)
{
	return sizeof(struct ringbuf_sharded_header) + (size_t)n * sizeof(uint64_t);
}

/* Read and check a header we did not write; returns the shard count. */
static int read_header(int fd, const char *name, struct ringbuf_sharded_header *h, uint64_t **times)
{
	struct stat st;
	size_t len;

	*times = NULL;
	/* A header being written has magic 0 for a moment: give the creator
	 * a little time before calling the file bad. */
	for (int tries = 0;; tries++) {
		if (fstat(fd, &st))
			return -errno;
		if (!S_ISREG(st.st_mode))
			return rb_detail(EBADMSG, "'%s' is not a regular file", name);
		memset(h, 0, sizeof(*h));
		if (pread(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
		    h->magic == RINGBUF_SHARDED_MAGIC)
			break;
		/* Only an empty file or a zero magic can be a creator at work. */
		if (tries == 20 || (st.st_size && h->magic))
			return rb_detail(EBADMSG, "'%s' is not a sharded ring (bad magic)", name);
		usleep(2000);
	}
	if (h->version != RINGBUF_SHARDED_VERSION)
		return rb_detail(EPROTO, "sharded ring version %u, this library reads %u",
				 h->version, RINGBUF_SHARDED_VERSION);
	if (h->nshards < 1 || h->nshards > RINGBUF_MAX_SHARDS)
		return rb_detail(EBADMSG, "sharded ring says %u shards", h->nshards);
	len = header_len(h->nshards);
	if (h->header_size != len || (uint64_t)st.st_size != len)
		return rb_detail(EBADMSG, "sharded ring header is %lld bytes, expected %zu",
				 (long long)st.st_size, len);
	if (h->flags & ~RINGBUF_SHARDED_F_STAMP || h->shard_by > RINGBUF_SHARD_BY_THREAD)
		return rb_detail(EPROTO, "sharded ring has unknown flags 0x%x or policy %u",
				 h->flags, h->shard_by);
	*times = malloc(len - sizeof(*h));
	if (!*times)
		return -ENOMEM;
	if (pread(fd, *times, len - sizeof(*h), sizeof(*h)) != (ssize_t)(len - sizeof(*h))) {
		free(*times);
		*times = NULL;
		return rb_detail(EBADMSG, "sharded ring header truncated");
	}
	return (int)h->nshards;
}

/* Remove a sharded object: only a file that is a sharded header (the
 * same check as an open), then each shard only if it is a ring
 * (rb_unlink checks), then the header while it is still the file we
 * checked. The first failure is the one reported, with its detail. */
static int unlink_sharded(const char *name)
{
	struct ringbuf_sharded_header h;
	struct rb_detail_copy first;
	uint64_t *times;
	char sn[PATH_MAX];
	int fd, n, err = 0;

	fd = rb_named_obj_open(name, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = read_header(fd, name, &h, &times);
	free(times);
	if (n < 0) {
		rb_detail_append(": not removed");
		close(fd);
		return n;
	}
	for (int i = 0; i < n; i++) {
		int e = shard_name(sn, sizeof(sn), name, (unsigned int)i);
		int bad_name = e != 0;

		if (!bad_name)
			e = rb_unlink(sn);
		if (e && e != -ENOENT && !err) {
			err = e;
			rb_detail_save(&first);
		}
		if (bad_name)
			break;
	}
	if (err)
		rb_detail_restore(&first);
	else
		err = rb_named_obj_unlink(name, fd);
	close(fd);
	return err;
}

int ringbuf_unlink_sharded(const char *name)
{
	rb_clear_detail();
	return rb_api_ret(unlink_sharded(name));
}

/* The caller's options by the library's convention (rb_opts_copy); the
 * mode is checked again by ringbuf_create for every shard. */
static int check_sharded_opts(const struct ringbuf_sharded_opts *opts,
			      struct ringbuf_sharded_opts *o)
{
	int err = rb_opts_copy(o, sizeof(*o), opts, "ringbuf_sharded_opts");

	if (err)
		return err;
	if (o->flags & ~RINGBUF_SHARDED_F_STAMP)
		return rb_detail(EINVAL, "unknown sharded ring flags 0x%x",
				 o->flags & ~RINGBUF_SHARDED_F_STAMP);
	if (o->shard_by > RINGBUF_SHARD_BY_THREAD)
		return rb_detail(EINVAL, "unknown shard policy %u", o->shard_by);
	if (o->mode & ~0777U)
		return rb_detail(EINVAL, "mode 0%o: only permission bits (0777) are allowed", o->mode);
	return 0;
}

/* A system call failed while making the object: say so, and which. */
static int create_failed(const char *name, int err)
{
	return rb_detail(err, "cannot create sharded ring '%s': %s", name, strerror(err));
}

/* A failed create removes what it made here, and only that (each shard
 * ring is still ours); the clean-up's own failures keep the create's
 * detail. */
static void undo_create(const char *name, int fd, unsigned int made)
{
	struct rb_detail_copy keep;
	char sn[PATH_MAX];

	rb_detail_save(&keep);
	for (unsigned int i = 0; i < made; i++)
		if (!shard_name(sn, sizeof(sn), name, i))
			rb_unlink(sn);
	rb_named_obj_unlink(name, fd);
	rb_detail_restore(&keep);
}

static int create_sharded(const char *name, size_t size_per_shard, unsigned int nshards,
			  const struct ringbuf_sharded_opts *opts, struct ringbuf_sharded **out)
{
	struct ringbuf_sharded_opts o;
	struct ringbuf_sharded_header *h = NULL;
	struct ringbuf_sharded *s;
	char sn[PATH_MAX];
	int err, fd = -1;
	unsigned int made = 0;

	err = check_sharded_opts(opts, &o);
	if (err)
		return err;
	if (nshards < 1 || nshards > RINGBUF_MAX_SHARDS)
		return rb_detail(EINVAL, "%u shards: 1 to %u are allowed", nshards,
				 RINGBUF_MAX_SHARDS);
	RINGBUF_OPTS(ro, .mode = o.mode, .recover_ms = o.recover_ms);
	s = rb_shard_alloc(nshards);
	if (!s)
		return -ENOMEM;
	s->flags = o.flags;
	s->shard_by = o.shard_by;
	s->role = RINGBUF_PRODUCER | RINGBUF_CONSUMER;
	if (name) {
		mode_t mode = o.mode ? (mode_t)o.mode : 0600;

		/* The name first, exclusively (O_EXCL never follows a link): a
		 * second creator stops here. Made 0600, then given its mode
		 * through the fd, as a ring is. */
		fd = rb_named_obj_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			err = fd;
			goto fail;
		}
		if (fchmod(fd, mode)) {
			err = create_failed(name, errno);
			goto fail;
		}
		h = calloc(1, header_len(nshards));
		if (!h) {
			err = create_failed(name, ENOMEM);
			goto fail;
		}
	}
	for (; made < nshards; made++) {
		if (name) {
			err = shard_name(sn, sizeof(sn), name, made);
			if (err)
				goto fail;
		}
		err = rb_create(name ? sn : NULL, size_per_shard, &ro, &s->shards[made]);
		if (err)
			goto fail;
		if (h)
			((uint64_t *)(h + 1))[made] = s->shards[made]->meta->create_time_ns;
	}
	if (name) {
		size_t len = header_len(nshards);

		h->version = RINGBUF_SHARDED_VERSION;
		h->header_size = (uint32_t)len;
		h->nshards = nshards;
		h->flags = o.flags;
		h->shard_size = size_per_shard;
		h->shard_by = o.shard_by;
		h->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
		if (pwrite(fd, h, len, 0) != (ssize_t)len) {
			err = create_failed(name, errno);
			goto fail;
		}
		/* The magic last: an opener that reads it finds the rest. */
		h->magic = RINGBUF_SHARDED_MAGIC;
		if (pwrite(fd, &h->magic, sizeof(h->magic), 0) != (ssize_t)sizeof(h->magic)) {
			err = create_failed(name, errno);
			goto fail;
		}
		close(fd);
		free(h);
	}
	*out = s;
	return 0;
fail:
	if (fd >= 0) {
		undo_create(name, fd, made);
		close(fd);
	}
	free(h);
	ringbuf_sharded_free(s);
	return err;
}

struct ringbuf_sharded *ringbuf_create_sharded(const char *name, size_t size_per_shard,
					       unsigned int nshards,
					       const struct ringbuf_sharded_opts *opts)
{
	struct ringbuf_sharded *s = NULL;
	int err;

	rb_clear_detail();
	err = create_sharded(name, size_per_shard, nshards, opts, &s);
	return rb_api_ptr(err, s);
}

static int open_sharded(const char *name, int role, struct ringbuf_sharded **out)
{
	struct ringbuf_sharded_header h;
	struct ringbuf_sharded *s = NULL;
	uint64_t *times = NULL;
	char sn[PATH_MAX];
	int fd, n, err;

	if (role <= 0 || (role & ~(RINGBUF_PRODUCER | RINGBUF_CONSUMER)))
		return rb_detail(EINVAL, "role must be RINGBUF_PRODUCER and/or RINGBUF_CONSUMER");
	fd = rb_named_obj_open(name, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = read_header(fd, name, &h, &times);
	close(fd);
	if (n < 0)
		return n;
	s = rb_shard_alloc((unsigned int)n);
	if (!s) {
		err = -ENOMEM;
		goto fail;
	}
	s->flags = h.flags;
	s->shard_by = h.shard_by;
	s->role = role;
	for (int i = 0; i < n; i++) {
		struct ringbuf *rb;

		err = shard_name(sn, sizeof(sn), name, (unsigned int)i);
		if (err)
			goto fail;
		err = rb_open(sn, role, NULL, &s->shards[i]);
		if (err)
			goto fail;
		rb = s->shards[i];
		/* Private copies only: the shard's meta page is not ours. */
		if (rb->size != h.shard_size ||
		    rb_load_relaxed(&rb->meta->create_time_ns) != times[i]) {
			err = rb_detail(EBADMSG, "shard %s does not belong to sharded ring '%s'",
					sn, name);
			goto fail;
		}
	}
	free(times);
	*out = s;
	return 0;
fail:
	free(times);
	ringbuf_sharded_free(s);
	return err;
}

struct ringbuf_sharded *ringbuf_open_sharded(const char *name, int role)
{
	struct ringbuf_sharded *s = NULL;
	int err;

	rb_clear_detail();
	err = open_sharded(name, role, &s);
	return rb_api_ptr(err, s);
}
