// SPDX-License-Identifier: MIT
/*
 * The ringbuf tool reads kernel BPF ring buffers: a real BPF_MAP_TYPE_RINGBUF
 * map filled by a real BPF program, pinned on a BPF filesystem (mounted in
 * a private mount namespace of this test), is shown by `ringbuf stat PATH`
 * and `stat --map-id ID` (size, id, bytes available) and consumed by
 * `ringbuf cat PATH` and `cat --map-id ID`, in order, exactly once. A map
 * of another type is refused with a message saying so. Runs the built tool
 * ($RINGBUF, or ../ringbuf beside this program). Skips (77) where the
 * kernel refuses BPF or the mount.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "bpfasm.h"
#include "bpfprog.h"
#include "testutil.h"

static char tool[PATH_MAX];

/* Run the tool with args; its stdout in out. Returns the exit status. */
static int run(char *out, size_t len, const char *args)
{
	char cmd[PATH_MAX + 512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, args);
	p = popen(cmd, "r");
	CHECK(p);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	return WEXITSTATUS(pclose(p));
}

static int pin(int fd, const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.bpf_fd = (uint32_t)fd;
	a.pathname = (uint64_t)(uintptr_t)path;
	return bpf_sys(BPF_OBJ_PIN, &a) ? -errno : 0;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	CHECK(bpf_sys(BPF_OBJ_GET_INFO_BY_FD, &a) == 0);
	return info.id;
}

int main(int argc, char **argv)
{
	struct bpfprog_opts o = { .rec_size = 16, .seq = 1 };
	char out[8192], args[512], want[128], self[PATH_MAX];
	const char *dir = "/sys/fs/bpf";
	int map, prog, arr, err;
	uint32_t id;

	(void)argc;
	if (getenv("RINGBUF"))
		snprintf(tool, sizeof(tool), "%s", getenv("RINGBUF"));
	else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(tool, sizeof(tool), "%s/../ringbuf", dirname(self));
	}
	if (access(tool, X_OK))
		SKIP("the tool %s is not built", tool);
	map = bpfprog_ringbuf_create(16384);
	if (map < 0 && bpfprog_refused(map))
		SKIP("kernel refuses BPF ring buffers: %s", bpfprog_error());
	CHECK(map >= 0);
	prog = bpfprog_load(map, &o);
	if (prog < 0 && bpfprog_refused(prog))
		SKIP("kernel refuses BPF programs: %s", bpfprog_error());
	CHECK(prog >= 0);
	CHECK_EQ(bpfprog_run(prog, 5), 0);           /* records 0..4, 24 bytes each */

	/* A BPF filesystem of our own: nothing outside this test sees it. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", dir, "bpf", 0, NULL))
		SKIP("cannot mount a private BPF filesystem on %s: %s", dir, strerror(errno));
	err = pin(map, "/sys/fs/bpf/rb_tool_test");
	if (err)
		SKIP("cannot pin the map: %s", strerror(-err));
	id = map_id(map);

	CHECK_EQ(run(out, sizeof(out), "stat /sys/fs/bpf/rb_tool_test"), 0);
	printf("%s", out);
	snprintf(want, sizeof(want), "kernel map:    id %u", id);
	CHECK(strstr(out, want));
	CHECK(strstr(out, "size:          16K (16384 bytes)"));
	CHECK(strstr(out, "available:     120 bytes"));
	snprintf(args, sizeof(args), "stat --json --map-id %u", id);
	CHECK_EQ(run(out, sizeof(out), args), 0);
	snprintf(want, sizeof(want), "\"kind\":\"bpf\",\"map_id\":%u,", id);
	CHECK(strstr(out, want));
	CHECK(strstr(out, "\"available\":120,"));

	/* Records 0 and 1 by path, the rest by id: each once, in order. The
	 * first 8 bytes are the sequence number, the rest the packet bytes. */
	CHECK_EQ(run(out, sizeof(out), "cat -o json -n 2 /sys/fs/bpf/rb_tool_test"), 0);
	printf("%s", out);
	CHECK(!strcmp(out, "{\"n\":0,\"len\":16,\"hex\":\"000000000000000008090a0b0c0d0e0f\"}\n"
			   "{\"n\":1,\"len\":16,\"hex\":\"010000000000000008090a0b0c0d0e0f\"}\n"));
	snprintf(args, sizeof(args), "cat --json --map-id %u", id);
	CHECK_EQ(run(out, sizeof(out), args), 0);
	CHECK(strstr(out, "{\"n\":0,\"len\":16,\"hex\":\"0200000000000000"));
	CHECK(strstr(out, "{\"n\":2,\"len\":16,\"hex\":\"0400000000000000"));
	CHECK(!strstr(out, "\"n\":3,"));
	CHECK_EQ(run(out, sizeof(out), "stat /sys/fs/bpf/rb_tool_test"), 0);
	CHECK(strstr(out, "available:     0 bytes"));

	/* Not a ring buffer, and no such id: clear errors, exit 1. */
	arr = bpfprog_array_create();
	CHECK(arr >= 0);
	CHECK_EQ(pin(arr, "/sys/fs/bpf/rb_tool_array"), 0);
	CHECK_EQ(run(out, sizeof(out), "cat /sys/fs/bpf/rb_tool_array"), 1);
	CHECK(strstr(out, "ringbuf cat: /sys/fs/bpf/rb_tool_array: BPF map ") && strstr(out, "not a ring buffer"));
	CHECK_EQ(run(out, sizeof(out), "stat --map-id 4000000000"), 1);
	CHECK(strstr(out, "ringbuf stat: map id 4000000000: no such BPF map"));
	printf("ok: stat and cat on a pinned kernel ring buffer, by path and by id\n");
	return 0;
}
