/* SPDX-License-Identifier: MIT */
/* A tiny BPF assembler and the raw bpf() call, shared by the test programs
 * (bpfprog.c) and the benchmark's producers (bench/kbpf.c): no clang, no
 * libbpf needed to load a program. */
#ifndef BPFASM_H
#define BPFASM_H

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BPF_ASM_MAX_INSNS 64

struct bpf_asm {
	struct bpf_insn insn[BPF_ASM_MAX_INSNS];
	int n;
};

/* bpf(cmd, attr): the result, or -errno. */
static inline int bpf_sys(int cmd, union bpf_attr *attr)
{
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return r < 0 ? -errno : (int)r;
}

static inline void bpf_emit(struct bpf_asm *p, uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpf_insn *i = &p->insn[p->n++];

	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

/* dst = the map behind map_fd (a two-instruction load). */
static inline void bpf_ld_map(struct bpf_asm *p, uint8_t dst, int map_fd)
{
	bpf_emit(p, BPF_LD | BPF_IMM | BPF_DW, dst, BPF_PSEUDO_MAP_FD, 0, map_fd);
	bpf_emit(p, 0, 0, 0, 0, 0);
}

/* Load p as a socket filter (the type BPF_PROG_TEST_RUN drives). With a
 * log buffer, the verifier's log (level 1) goes there: it says why a load
 * was refused. The program fd, or -errno. */
static inline int bpf_load_socket_filter(const struct bpf_asm *p, char *log, uint32_t log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p->insn;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t)"Dual MIT/GPL";
	if (log) {
		log[0] = 0;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = log_size;
		a.log_level = 1;
	}
	return bpf_sys(BPF_PROG_LOAD, &a);
}

#endif
