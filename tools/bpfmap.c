// SPDX-License-Identifier: MIT
/*
 * Kernel BPF ring buffers in the tool: a ring NAME on the BPF filesystem
 * (/sys/fs/bpf/...) is a pinned BPF_MAP_TYPE_RINGBUF map, opened with
 * BPF_OBJ_GET; `--map-id N` opens one by id (BPF_MAP_GET_FD_BY_ID), as
 * bpftool does. The map is then read through ringbuf_open_bpf().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <ringbuf.h>

#include "cli.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int cli_is_bpffs(const char *path)
{
	struct statfs sfs;

	return strchr(path, '/') && !statfs(path, &sfs) && (uint32_t)sfs.f_type == BPF_FS_MAGIC;
}

int cli_bpf_map_info(int fd, struct cli_bpf_map *out)
{
	struct bpf_map_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -errno;
	out->id = info.id;
	out->type = info.type;
	out->max_entries = info.max_entries;
	snprintf(out->name, sizeof(out->name), "%.*s", (int)sizeof(info.name), info.name);
	return 0;
}

static struct ringbuf *open_map_fd(const char *subcmd, const char *label, int fd,
				   struct cli_bpf_map *map)
{
	struct cli_bpf_map m;
	struct ringbuf *rb;
	int err = cli_bpf_map_info(fd, &m);

	if (err) {
		cli_errf(subcmd, label, "not a BPF map: %s", cli_strerror(err));
		close(fd);
		return NULL;
	}
	if (m.type != BPF_MAP_TYPE_RINGBUF) {
		cli_errf(subcmd, label, "BPF map %u is of type %u, not a ring buffer (BPF_MAP_TYPE_RINGBUF)",
			 m.id, m.type);
		close(fd);
		return NULL;
	}
	rb = ringbuf_open_bpf(fd);
	err = errno;
	close(fd);             /* the ring keeps its own duplicate */
	if (!rb) {
		cli_errf(subcmd, label, "cannot map BPF ring buffer %u: %s", m.id, cli_strerror(err));
		return NULL;
	}
	if (map)
		*map = m;
	return rb;
}

struct ringbuf *cli_open_bpf_path(const char *subcmd, const char *path, struct cli_bpf_map *map)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)path;
	fd = sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		cli_errf(subcmd, path, "cannot open the pinned BPF object: %s", cli_strerror(errno));
		return NULL;
	}
	return open_map_fd(subcmd, path, fd, map);
}

struct ringbuf *cli_open_bpf_id(const char *subcmd, uint32_t id, struct cli_bpf_map *map)
{
	union bpf_attr attr;
	char label[32];
	int fd;

	snprintf(label, sizeof(label), "map id %u", id);
	memset(&attr, 0, sizeof(attr));
	attr.map_id = id;
	fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		int err = errno;

		cli_errf(subcmd, label, "%s", err == ENOENT ? "no such BPF map" : cli_strerror(err));
		return NULL;
	}
	return open_map_fd(subcmd, label, fd, map);
}
