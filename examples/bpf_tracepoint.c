// SPDX-License-Identifier: MIT
/*
 * A real BPF program feeding a kernel ring buffer, read with libringbuf's
 * consumer manager: the tracepoint sched:sched_process_exec runs a program
 * (loaded with libbpf's bpf_prog_load, built from raw instructions so that
 * no BPF compiler is needed) that writes {pid, comm} into a
 * BPF_MAP_TYPE_RINGBUF map for every exec on the machine; this program
 * execs /bin/true three times and prints the events it gets back. Needs
 * root (CAP_BPF and CAP_PERFMON) and tracefs.
 *
 *	cc bpf_tracepoint.c $(pkg-config --cflags --libs libringbuf) -lbpf
 *	sudo ./a.out
 *
 * The same program in BPF C, for reading:
 *
 *	SEC("tracepoint/sched/sched_process_exec")
 *	int on_exec(void *ctx) {
 *		struct event e = { .pid = bpf_get_current_pid_tgid() >> 32 };
 *		bpf_get_current_comm(e.comm, sizeof(e.comm));
 *		bpf_ringbuf_output(&events, &e, sizeof(e), 0);
 *		return 0;
 *	}
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <ringbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct event {
	uint32_t pid;
	uint32_t pad;
	char comm[16];
};

/* One BPF instruction. */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static int load_program(int map_fd)
{
	/* The event sits at r10-24: pid at -24, pad at -20, comm at -16. */
	struct bpf_insn prog[] = {
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		insn(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32),              /* r0 = tgid */
		insn(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -24, 0),              /* zero pid+pad */
		insn(BPF_STX | BPF_MEM | BPF_W, 10, 0, -24, 0),              /* pid = r0 */
		insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -16),             /* r1 = &comm */
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 16),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_comm),
		insn(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd), /* r1 = map */
		insn(0, 0, 0, 0, 0),                                          /* (64-bit imm) */
		insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -24),             /* r2 = &event */
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, sizeof(struct event)),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),               /* flags */
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "on_exec", "GPL", prog,
			       sizeof(prog) / sizeof(prog[0]), &o);

	if (fd < 0)
		fprintf(stderr, "bpf_prog_load: %s\n%s", strerror(errno), log);
	return fd;
}

/* Attach prog_fd to a tracepoint, as libbpf does: a perf event on the
 * tracepoint's id, the program set on it. Returns the perf event fd. */
static int attach_tracepoint(int prog_fd, const char *sys, const char *name)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	char path[256];
	FILE *f;
	int pfd;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s/id", sys, name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", (unsigned long long *)&attr.config) != 1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		fprintf(stderr, "attaching to %s:%s: %s\n", sys, name, strerror(errno));
		return -1;
	}
	return pfd;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	int *seen = ctx;

	if (size < sizeof(*e))
		return 0;
	printf("exec: pid %u, comm %.16s\n", e->pid, e->comm);
	if (!strncmp(e->comm, "true", sizeof(e->comm)))
		(*seen)++;
	return 0;
}

int main(void)
{
	struct ringbuf_consumer *c;
	int map_fd, prog_fd, link_fd, seen = 0;

	map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0, 1 << 16, NULL);
	if (map_fd < 0) {
		fprintf(stderr, "bpf_map_create: %s (needs root)\n", strerror(errno));
		return 77;
	}
	prog_fd = load_program(map_fd);
	if (prog_fd < 0)
		return 1;
	link_fd = attach_tracepoint(prog_fd, "sched", "sched_process_exec");
	if (link_fd < 0)
		return 1;

	/* The manager reads the kernel ring like any other source. */
	c = ringbuf_consumer_new();
	if (!c || ringbuf_consumer_add_bpf(c, map_fd, on_event, &seen) < 0) {
		fprintf(stderr, "ringbuf_consumer_add_bpf: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	for (int tries = 0; seen < 3 && tries < 20; tries++)
		if (ringbuf_consumer_poll(c, 100) < 0)
			break;
	printf("%d execs of /bin/true seen\n", seen);
	ringbuf_consumer_free(c);
	close(link_fd);
	close(prog_fd);
	close(map_fd);
	return seen >= 3 ? 0 : 1;
}
