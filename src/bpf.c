// SPDX-License-Identifier: MIT
/*
 * Kernel BPF ring buffers (BPF_MAP_TYPE_RINGBUF) as struct ringbuf, mapped
 * as the kernel permits and as libbpf maps them:
 *
 *   map offset 0            consumer page, one page, read-write
 *   map offset PAGE         producer page + data area twice, read-only
 *                           (the kernel maps the data pages twice itself)
 *
 * The kernel's first page (struct bpf_ringbuf's own fields) is never visible
 * to user space; mmap offsets start at the consumer page. Records carry the
 * kernel's pg_off, which rb_consume does not check for these rings, and the
 * kernel zeroes nothing: rb_consume only reads them.
 *
 * The struct ringbuf keeps a dup() of the map fd (rb->fd, closed by
 * ringbuf_free); the caller's fd stays the caller's, as with libbpf.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static int map_info(int fd, struct bpf_map_info *info)
{
	union bpf_attr a;

	memset(info, 0, sizeof(*info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uint64_t)(uintptr_t)info;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) < 0)
		return -errno;
	return 0;
}

/* BPF_OBJ_GET_INFO_BY_FD also answers for programs, links and BTF, whose
 * info structs begin with a type field too; only a map's fd is an
 * "anon_inode:bpf-map". Without /proc we trust the info. */
static int is_map_fd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 1;
	target[n] = 0;
	return strcmp(target, "anon_inode:bpf-map") == 0;
}

/* ringbuf_open_bpf: 0 and the ring in *out, or a negative errno (no
 * detail: the errno says it). */
RB_HIDDEN int rb_bpf_open(int map_fd, struct ringbuf **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bpf_map_info info;
	struct ringbuf *rb = NULL;
	uint64_t size, len2;
	void *p;
	int err;

	if (map_fd < 0 || fcntl(map_fd, F_GETFD) < 0)
		return -EBADF;
	err = map_info(map_fd, &info);
	if (err)
		goto fail;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !is_map_fd(map_fd)) {
		err = -EINVAL;
		goto fail;
	}
	size = info.max_entries;
	/* The kernel guarantees a power of two and a multiple of the page;
	 * check anyway, everything below relies on it. */
	if (size < page || (size & (size - 1)) || size % page) {
		err = -EINVAL;
		goto fail;
	}
	len2 = page + 2 * size;
	if (len2 > SIZE_MAX || len2 < size) {
		err = -E2BIG;
		goto fail;
	}

	rb = rb_alloc();
	if (!rb) {
		err = -ENOMEM;
		goto fail;
	}
	rb->fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 0);
	if (rb->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* The consumer page: the only page user space may write. */
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, rb->fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	rb->map_base = p;
	rb->map_len = page;
	/* Producer page and the data area, which the kernel maps twice back
	 * to back within this one mapping. Read-only: the kernel refuses
	 * anything else. */
	p = mmap(NULL, (size_t)len2, PROT_READ, MAP_SHARED, rb->fd, (off_t)page);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	rb->map2_base = p;
	rb->map2_len = (size_t)len2;

	rb->ops = &rb_bpf_ring_ops;
	rb->role = RINGBUF_CONSUMER;
	rb->consumer_pos = rb->map_base;
	rb->cons_waiting = NULL;       /* the kernel wakes by its own rule */
	rb->producer_pos = rb->map2_base;
	rb->pending_pos = rb->producer_pos + 1;
	rb->overwrite_pos = rb->producer_pos + 2;
	rb->data = (uint8_t *)rb->map2_base + page;
	rb->meta = NULL;
	rb->size = size;
	rb->mask = size - 1;
	rb->page_shift = (uint32_t)__builtin_ctzl(page);
	/* The kernel's header page, consumer and producer pages: the same
	 * three as ours (pg_off is not checked for kernel rings anyway). */
	rb->pg_off_base = RINGBUF_DATA_PGOFF;
	/* Linux 6.19's overwrite mode (BPF_F_RB_OVERWRITE) has our value. */
	rb->flags = info.map_flags & RINGBUF_F_OVERWRITE;
	rb->bpf_map_id = info.id;
	*out = rb;
	return 0;
fail:
	ringbuf_free(rb);
	return err;
}

struct ringbuf *ringbuf_open_bpf(int map_fd)
{
	struct ringbuf *rb = NULL;
	int err;

	rb_clear_detail();
	err = rb_bpf_open(map_fd, &rb);
	return rb_api_ptr(err, rb);
}

/* ---- maps of ring buffers ---- */

static int bpf_call(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a)) < 0 ? -errno : 0;
}

static void free_rings(struct ringbuf **rings, int n)
{
	for (int i = 0; i < n; i++)
		ringbuf_free(rings[i]);
	free(rings);
}

/* Walk the outer map's keys with GET_NEXT_KEY (arrays and hashes alike),
 * look each up (from user space the value is the inner map's id), open
 * each distinct inner map once. At most max_entries keys are visited, so a
 * hash changing under us cannot keep us here. */
RB_HIDDEN int rb_bpf_open_inner_rings(int outer_fd, struct ringbuf ***out)
{
	struct bpf_map_info info;
	struct ringbuf **rings = NULL;
	uint32_t *ids = NULL;
	uint8_t *key = NULL, *next = NULL;
	union bpf_attr a;
	int n = 0, err;

	*out = NULL;
	if (outer_fd < 0)
		return -EBADF;
	err = map_info(outer_fd, &info);
	if (err)
		return err;
	if ((info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS && info.type != BPF_MAP_TYPE_HASH_OF_MAPS) ||
	    !is_map_fd(outer_fd) || info.value_size != sizeof(uint32_t) ||
	    !info.key_size || info.key_size > 512)
		return -EINVAL;
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	rings = calloc(info.max_entries ? info.max_entries : 1, sizeof(*rings));
	ids = calloc(info.max_entries ? info.max_entries : 1, sizeof(*ids));
	if (!key || !next || !rings || !ids) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t visited = 0; visited < info.max_entries; visited++) {
		uint32_t id = 0;
		int fd, dup = 0;

		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)outer_fd;
		a.key = visited ? (uint64_t)(uintptr_t)key : 0;
		a.next_key = (uint64_t)(uintptr_t)next;
		err = bpf_call(BPF_MAP_GET_NEXT_KEY, &a);
		if (err == -ENOENT)
			break; /* the last key */
		if (err)
			goto out;
		memcpy(key, next, info.key_size);
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)outer_fd;
		a.key = (uint64_t)(uintptr_t)key;
		a.value = (uint64_t)(uintptr_t)&id;
		err = bpf_call(BPF_MAP_LOOKUP_ELEM, &a);
		if (err == -ENOENT)
			continue; /* an empty slot of an array, or deleted meanwhile */
		if (err)
			goto out;
		for (int i = 0; i < n; i++)
			dup |= ids[i] == id;
		if (dup)
			continue;
		memset(&a, 0, sizeof(a));
		a.map_id = id;
		fd = (int)syscall(__NR_bpf, BPF_MAP_GET_FD_BY_ID, &a, sizeof(a));
		if (fd < 0) {
			err = -errno;
			if (err == -ENOENT)
				continue; /* freed meanwhile */
			goto out;
		}
		err = rb_bpf_open(fd, &rings[n]);
		close(fd);
		if (err)
			goto out; /* -EINVAL: an inner map that is not a ring buffer */
		ids[n++] = id;
	}
	err = n ? 0 : -ENOENT;
out:
	free(key);
	free(next);
	free(ids);
	if (err) {
		free_rings(rings, n);
		return err;
	}
	*out = rings;
	return n;
}
