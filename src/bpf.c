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

struct ringbuf *ringbuf_open_bpf(int map_fd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bpf_map_info info;
	struct ringbuf *rb = NULL;
	uint64_t size, len2;
	void *p;
	int err;

	rb_clear_detail();
	if (map_fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (fcntl(map_fd, F_GETFD) < 0)
		return NULL; /* errno EBADF */
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

	rb->kind = RB_KIND_BPF;
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
	return rb;
fail:
	ringbuf_free(rb);
	errno = -err;
	return NULL;
}
