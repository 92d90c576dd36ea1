// SPDX-License-Identifier: MIT
/* The benchmark's kernel BPF producer: see kbpf.h. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfprog.h"
#include "kbpf.h"

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof(*a));

	return r < 0 ? -errno : (int)r;
}

struct asm_ {
	struct bpf_insn i[64];
	int n;
};

static void op(struct asm_ *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn *i = &p->i[p->n++];

	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

static void ld_map(struct asm_ *p, uint8_t dst, int fd)
{
	op(p, BPF_LD | BPF_IMM | BPF_DW, dst, BPF_PSEUDO_MAP_FD, 0, fd);
	op(p, 0, 0, 0, 0, 0);
}

/* Offsets in the array map's value. */
#define V_SEQ   0
#define V_DROPS 8
#define V_REC   16

static int build(struct asm_ *p, const struct kbpf *k, uint64_t flags, uint32_t sample)
{
	int j_null, j_ok, j_nosample = -1;
	const int16_t tail = (int16_t)(V_REC + k->len - 8);

	/* key = 0 on the stack; r0 = lookup(val, &key) */
	op(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, 0);
	ld_map(p, BPF_REG_1, k->val_fd);
	op(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	op(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8);
	op(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	j_null = p->n;
	op(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	op(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
	/* r8 = v->seq; stamp it; v->seq = r8 + 1 */
	op(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_7, V_SEQ, 0);
	op(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_8, V_REC, 0);
	if (k->len >= 16)
		op(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_8, tail, 0);
	op(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_8, 0, 0);
	op(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	op(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_1, V_SEQ, 0);
	/* r4 = flags, or FORCE_WAKEUP every sample-th record */
	op(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, (int32_t)flags);
	if (sample) {
		op(p, BPF_ALU64 | BPF_MOD | BPF_K, BPF_REG_8, 0, 0, (int32_t)sample);
		j_nosample = p->n;
		op(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_8, 0, 0, 0);
		op(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_RB_FORCE_WAKEUP);
		p->i[j_nosample].off = (int16_t)(p->n - j_nosample - 1);
	}
	/* r0 = bpf_ringbuf_output(rb, v + V_REC, len, r4) */
	ld_map(p, BPF_REG_1, k->map_fd);
	op(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0);
	op(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, V_REC);
	op(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)k->len);
	op(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
	j_ok = p->n;
	op(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	op(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_7, V_DROPS, 0);
	op(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	op(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_1, V_DROPS, 0);
	p->i[j_ok].off = (int16_t)(p->n - j_ok - 1);
	p->i[j_null].off = (int16_t)(p->n - j_null - 1);
	op(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	op(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p->n;
}

int kbpf_open(struct kbpf *k, uint32_t ring_size, size_t len, uint64_t flags,
	      uint32_t sample, int *refused, char *why, size_t whylen)
{
	static char log[16384];
	struct asm_ p = { .n = 0 };
	union bpf_attr a;
	int err;

	memset(k, 0, sizeof(*k));
	k->map_fd = k->val_fd = k->prog_fd = -1;
	k->len = len;
	*refused = 0;
	if (len < 8 || len % 8 || len > 4096) {
		snprintf(why, whylen, "record size %zu unsupported (8..4096, multiple of 8)", len);
		return -EINVAL;
	}
	k->map_fd = bpfprog_ringbuf_create(ring_size);
	if (k->map_fd < 0) {
		err = k->map_fd;
		*refused = bpfprog_refused(err);
		snprintf(why, whylen, "%s", bpfprog_error());
		return err;
	}
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = (uint32_t)(V_REC + len);
	a.max_entries = 1;
	k->val_fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (k->val_fd < 0) {
		err = k->val_fd;
		*refused = err == -EPERM;
		snprintf(why, whylen, "BPF_MAP_CREATE(array): %s", strerror(-err));
		kbpf_close(k);
		return err;
	}
	build(&p, k, flags, sample);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p.i;
	a.insn_cnt = (uint32_t)p.n;
	a.license = (uint64_t)(uintptr_t)"Dual MIT/GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = 0;
	k->prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (k->prog_fd < 0) {
		size_t n = strlen(log);

		err = k->prog_fd;
		*refused = err == -EPERM;
		snprintf(why, whylen, "BPF_PROG_LOAD: %s%s%s", strerror(-err), n ? "; verifier: " : "",
			 n > 300 ? log + n - 300 : log);
		kbpf_close(k);
		return err;
	}
	return 0;
}

int kbpf_run(struct kbpf *k, uint32_t repeat)
{
	static const uint8_t pkt[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x08, 0 };
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)k->prog_fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = repeat;
	return sys_bpf(BPF_PROG_TEST_RUN, &a);
}

int kbpf_counts(struct kbpf *k, uint64_t *emitted, uint64_t *drops)
{
	uint8_t val[V_REC + 4096];
	uint32_t key = 0;
	union bpf_attr a;
	int err;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)k->val_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)val;
	err = sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
	if (err < 0)
		return err;
	memcpy(emitted, val + V_SEQ, 8);
	memcpy(drops, val + V_DROPS, 8);
	return 0;
}

void kbpf_close(struct kbpf *k)
{
	if (k->prog_fd >= 0)
		close(k->prog_fd);
	if (k->val_fd >= 0)
		close(k->val_fd);
	if (k->map_fd >= 0)
		close(k->map_fd);
	k->prog_fd = k->val_fd = k->map_fd = -1;
}
