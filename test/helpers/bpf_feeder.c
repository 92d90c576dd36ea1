// SPDX-License-Identifier: MIT
/*
 * Test helper: a real kernel BPF ring buffer for the Python tests and
 * examples (python/tests, examples/python), which cannot make BPF maps or
 * programs themselves (the module wraps only the library). Two modes:
 *
 *   bpf_feeder exec SIZE REC_SIZE -- CMD...
 *	create a BPF_MAP_TYPE_RINGBUF of SIZE bytes and a socket filter that
 *	outputs REC_SIZE-byte records (a u64 sequence number, then bytes
 *	i & 0xff), then exec CMD with both fds inherited and named by
 *	RINGBUF_BPF_MAP_FD and RINGBUF_BPF_PROG_FD;
 *   bpf_feeder run PROG_FD N
 *	run that program N times: N records (the fd inherited from CMD).
 *
 * Exit 77 with a message when the kernel refuses BPF, 1 on other errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfprog.h"
#include "testutil.h"

static void inherit(int fd, const char *env)
{
	char v[16];

	fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
	snprintf(v, sizeof(v), "%d", fd);
	setenv(env, v, 1);
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "exec") && !strcmp(argv[4], "--")) {
		struct bpfprog_opts o = { .rec_size = (uint32_t)atoi(argv[3]), .seq = 1 };
		int map = bpfprog_ringbuf_create((uint32_t)strtoul(argv[2], NULL, 0));
		int prog;

		bpfprog_need(map, "map create");
		prog = bpfprog_load(map, &o);
		bpfprog_need(prog, "program load");
		inherit(map, "RINGBUF_BPF_MAP_FD");
		inherit(prog, "RINGBUF_BPF_PROG_FD");
		execvp(argv[5], argv + 5);
		perror(argv[5]);
		return 1;
	}
	if (argc == 4 && !strcmp(argv[1], "run")) {
		bpfprog_need(bpfprog_run(atoi(argv[2]), (uint32_t)atoi(argv[3])), "program run");
		return 0;
	}
	fprintf(stderr, "usage: bpf_feeder exec SIZE REC_SIZE -- CMD... | run PROG_FD N\n");
	return 2;
}
