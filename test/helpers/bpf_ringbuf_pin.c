// SPDX-License-Identifier: MIT
/* Test helper: a kernel BPF ring buffer map pinned at PATH and a BPF
 * program (test/lib/bpfprog) that writes u64 sequence numbers 0, 1, 2, ...
 * into it. Prints "ready", then obeys stdin: "run N" runs the program N
 * times (N records), answering "ok"; stops (unpinning) at end of input.
 * Exit 77 when the kernel refuses BPF or PATH's filesystem is not bpffs.
 *   bpf_ringbuf_pin PATH SIZE */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfprog.h"

int main(int argc, char **argv)
{
	struct bpfprog_opts o = { .rec_size = 8, .seq = 1 };
	union bpf_attr a;
	char line[64];
	int map, prog;
	unsigned n;

	if (argc != 3) {
		fprintf(stderr, "usage: bpf_ringbuf_pin PATH SIZE\n");
		return 2;
	}
	map = bpfprog_ringbuf_create((uint32_t)atoi(argv[2]));
	prog = map < 0 ? map : bpfprog_load(map, &o);
	if (map < 0 || prog < 0) {
		int err = map < 0 ? map : prog;

		printf("kernel refused BPF: %s\n", bpfprog_error());
		return bpfprog_refused(err) ? 77 : 1;
	}
	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)argv[1];
	a.bpf_fd = (uint32_t)map;
	if (syscall(__NR_bpf, BPF_OBJ_PIN, &a, sizeof(a)) < 0) {
		printf("cannot pin at %s: %s\n", argv[1], strerror(errno));
		return 77;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "run %u", &n) == 1 && bpfprog_run(prog, n) < 0) {
			printf("run failed: %s\n", bpfprog_error());
			break;
		}
		printf("ok\n");
		fflush(stdout);
	}
	unlink(argv[1]);
	return 0;
}
