// SPDX-License-Identifier: MIT
/* Raw bpf(): a ring buffer map and a socket filter that writes to it.
 * See bpfprog.h. Instruction encodings follow the kernel's
 * Documentation/bpf/standardization/instruction-set.rst. */
#include <errno.h>
#include <stdlib.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfasm.h"
#include "bpfprog.h"
#include "testutil.h"

static char errmsg[4096];
static int last_refusal;   /* the last failure was the kernel saying no */

static int fail(int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	n = strlen(errmsg);
	snprintf(errmsg + n, sizeof(errmsg) - n, ": %s", strerror(-err));
	return err;
}

const char *bpfprog_error(void)
{
	return errmsg;
}

/* A refusal is a missing privilege or feature; a verifier rejection of our
 * own program (EINVAL/EACCES at load) is a bug and is not. */
static int is_refusal(int err, int einval_too)
{
	return err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP ||
	       err == -524 /* ENOTSUPP */ || (einval_too && (err == -EINVAL || err == -EACCES));
}

int bpfprog_refused(int err)
{
	return err < 0 && err == last_refusal;
}

static int map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = max;
	return bpf_sys(BPF_MAP_CREATE, &a);
}

int bpfprog_ringbuf_create(uint32_t size)
{
	int fd = map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, size);

	errmsg[0] = 0;
	last_refusal = 0;
	if (fd < 0 && is_refusal(fd, 1))
		last_refusal = fd;
	if (fd < 0)
		return fail(fd, "BPF_MAP_CREATE(BPF_MAP_TYPE_RINGBUF, %u bytes) refused "
			    "(needs CAP_BPF and Linux 5.8+)", size);
	return fd;
}

int bpfprog_array_create(void)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);

	errmsg[0] = 0;
	last_refusal = fd < 0 && is_refusal(fd, 1) ? fd : 0;
	if (fd < 0)
		return fail(fd, "BPF_MAP_CREATE(BPF_MAP_TYPE_ARRAY) refused (needs CAP_BPF)");
	return fd;
}

/* ---- a tiny assembler ---- */

#define MOV_IMM(p, d, v)     bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, v)
#define MOV_REG(p, d, s)     bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(p, d, v)     bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, v)
#define MOD_IMM(p, d, v)     bpf_emit(p, BPF_ALU64 | BPF_MOD | BPF_K, d, 0, 0, v)
#define CALL(p, fn)          bpf_emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT(p)              bpf_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define ST_W(p, d, off, v)   bpf_emit(p, BPF_ST | BPF_MEM | BPF_W, d, 0, off, v)
#define STX_DW(p, d, s, off) bpf_emit(p, BPF_STX | BPF_MEM | BPF_DW, d, s, off, 0)
/* s = atomic_fetch_add((u64 *)(d + off), s) */
#define FETCH_ADD_DW(p, d, s, off) \
	bpf_emit(p, BPF_STX | BPF_ATOMIC | BPF_DW, d, s, off, BPF_ADD | BPF_FETCH)

/* d = map (the two-instruction 64-bit load with a map fd). */
/* A forward jump whose target is patched by land(). */
static int jump(struct bpf_asm *p, uint8_t op, uint8_t d, int32_t imm)
{
	bpf_emit(p, BPF_JMP | op | BPF_K, d, 0, 0, imm);
	return p->n - 1;
}

static void land(struct bpf_asm *p, int at)
{
	p->insn[at].off = (int16_t)(p->n - at - 1);
}

/*
 * r6 = skb
 * [rec_size > 0]  bpf_skb_load_bytes(skb, 0, fp - S, rec_size); on error out
 * [seq/discard]   r7 = atomic_fetch_add(&seqmap[0], 1)
 * [seq]           *(u64 *)(fp - S) = r7
 * [discard k>1]   if r7 % k == 0 goto discard
 * [discard k==1]  goto discard
 * output:         bpf_ringbuf_output(map, fp - S, rec_size, flags); goto out
 * discard:        r0 = bpf_ringbuf_reserve(map, rec_size, 0);
 *                 if r0: bpf_ringbuf_discard(r0, flags)
 * out:            return 0
 */
static int build(struct bpf_asm *p, int rb_fd, int seq_fd, const struct bpfprog_opts *o)
{
	const int S = (int)((o->rec_size + 7) & ~7U);
	const int key_off = -S - 8;
	int to_out[4], nout = 0, to_discard = -1;

	MOV_REG(p, BPF_REG_6, BPF_REG_1);
	if (o->rec_size) {
		MOV_REG(p, BPF_REG_1, BPF_REG_6);
		MOV_IMM(p, BPF_REG_2, 0);
		MOV_REG(p, BPF_REG_3, BPF_REG_10);
		ADD_IMM(p, BPF_REG_3, -S);
		MOV_IMM(p, BPF_REG_4, (int32_t)o->rec_size);
		CALL(p, BPF_FUNC_skb_load_bytes);
		to_out[nout++] = jump(p, BPF_JNE, BPF_REG_0, 0);
	}
	if (seq_fd >= 0) {
		ST_W(p, BPF_REG_10, (int16_t)key_off, 0);
		bpf_ld_map(p, BPF_REG_1, seq_fd);
		MOV_REG(p, BPF_REG_2, BPF_REG_10);
		ADD_IMM(p, BPF_REG_2, key_off);
		CALL(p, BPF_FUNC_map_lookup_elem);
		to_out[nout++] = jump(p, BPF_JEQ, BPF_REG_0, 0);
		MOV_IMM(p, BPF_REG_7, 1);
		FETCH_ADD_DW(p, BPF_REG_0, BPF_REG_7, 0);
		if (o->seq)
			STX_DW(p, BPF_REG_10, BPF_REG_7, (int16_t)-S);
		if (o->discard_every > 1) {
			MOD_IMM(p, BPF_REG_7, (int32_t)o->discard_every);
			to_discard = jump(p, BPF_JEQ, BPF_REG_7, 0);
		}
	}
	if (o->discard_every == 1) {
		to_discard = p->n;
		bpf_emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
	}
	/* output */
	bpf_ld_map(p, BPF_REG_1, rb_fd);
	MOV_REG(p, BPF_REG_2, BPF_REG_10);
	ADD_IMM(p, BPF_REG_2, -S);
	MOV_IMM(p, BPF_REG_3, (int32_t)o->rec_size);
	MOV_IMM(p, BPF_REG_4, (int32_t)o->flags);
	CALL(p, BPF_FUNC_ringbuf_output);
	if (o->discard_every) {
		int to_end = p->n;

		bpf_emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
		to_out[nout++] = to_end;
		land(p, to_discard);
		bpf_ld_map(p, BPF_REG_1, rb_fd);
		MOV_IMM(p, BPF_REG_2, (int32_t)o->rec_size);
		MOV_IMM(p, BPF_REG_3, 0);
		CALL(p, BPF_FUNC_ringbuf_reserve);
		to_out[nout++] = jump(p, BPF_JEQ, BPF_REG_0, 0);
		MOV_REG(p, BPF_REG_1, BPF_REG_0);
		MOV_IMM(p, BPF_REG_2, (int32_t)o->flags);
		CALL(p, BPF_FUNC_ringbuf_discard);
	}
	for (int i = 0; i < nout; i++)
		land(p, to_out[i]);
	MOV_IMM(p, BPF_REG_0, 0);
	EXIT(p);
	return p->n;
}

int bpfprog_load(int ringbuf_fd, const struct bpfprog_opts *o)
{
	static char log[65536];
	struct bpf_asm p = { .n = 0 };
	int seq_fd = -1, fd;

	errmsg[0] = 0;
	last_refusal = 0;
	if (!o || o->rec_size > BPFPROG_MAX_REC || (o->seq && o->rec_size < 8))
		return fail(-EINVAL, "bpfprog_load: bad options");
	if (o->seq || o->discard_every > 1) {
		seq_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
		if (seq_fd < 0 && is_refusal(seq_fd, 1))
			last_refusal = seq_fd;
		if (seq_fd < 0)
			return fail(seq_fd, "BPF_MAP_CREATE(BPF_MAP_TYPE_ARRAY) refused");
	}
	build(&p, ringbuf_fd, seq_fd, o);

	fd = bpf_load_socket_filter(&p, NULL, 0);
	if (fd < 0 && fd != -EPERM && fd != -ENOSYS) {
		/* Again with the verifier log, to say why. */
		fd = bpf_load_socket_filter(&p, log, sizeof(log));
		if (fd < 0) {
			size_t n = strlen(log);

			/* Keep the end of the log: the verdict is last. */
			fail(fd, "BPF_PROG_LOAD(socket filter, %d insns) refused; verifier log tail:\n%s",
			     p.n, n > 2000 ? log + n - 2000 : log);
		}
	} else if (fd < 0) {
		last_refusal = fd;
		fail(fd, "BPF_PROG_LOAD(socket filter) refused (needs CAP_BPF)");
	}
	/* The program holds its own reference to the sequence map. */
	if (seq_fd >= 0)
		close(seq_fd);
	return fd;
}

int bpfprog_run(int prog_fd, uint32_t repeat)
{
	uint8_t pkt[14 + BPFPROG_MAX_REC];
	union bpf_attr a;
	int err;

	errmsg[0] = 0;
	/* Ethernet header: broadcast destination, IPv4 ethertype. The
	 * kernel pulls it off before a socket filter sees the packet. */
	memset(pkt, 0xff, 12);
	pkt[12] = 0x08;
	pkt[13] = 0x00;
	for (size_t i = 0; i < BPFPROG_MAX_REC; i++)
		pkt[14 + i] = bpfprog_pkt_byte(i);

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = repeat ? repeat : 1;
	err = bpf_sys(BPF_PROG_TEST_RUN, &a);
	last_refusal = is_refusal(err, 0) ? err : 0;
	if (err < 0)
		return fail(err, "BPF_PROG_TEST_RUN(repeat %u) refused", repeat);
	return 0;
}

int bpfprog_ringbuf_outer_create(int hash, int template_fd, uint32_t max)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = hash ? BPF_MAP_TYPE_HASH_OF_MAPS : BPF_MAP_TYPE_ARRAY_OF_MAPS;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = max;
	a.inner_map_fd = (uint32_t)template_fd;
	fd = bpf_sys(BPF_MAP_CREATE, &a);
	errmsg[0] = 0;
	last_refusal = fd < 0 && is_refusal(fd, 1) ? fd : 0;
	if (fd < 0)
		return fail(fd, "BPF_MAP_CREATE(%s of ring buffers) refused",
			    hash ? "HASH_OF_MAPS" : "ARRAY_OF_MAPS");
	return fd;
}

int bpfprog_outer_set(int outer_fd, uint32_t key, int inner_fd)
{
	union bpf_attr a;
	uint32_t v = (uint32_t)inner_fd;
	int err;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)outer_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)&v;
	err = bpf_sys(BPF_MAP_UPDATE_ELEM, &a);
	return err < 0 ? fail(err, "BPF_MAP_UPDATE_ELEM(outer[%u])", key) : 0;
}

void bpfprog_need(int err, const char *what)
{
	if (err >= 0)
		return;
	if (bpfprog_refused(err))
		SKIP("kernel refused BPF (%s): %s", what, bpfprog_error());
	fprintf(stderr, "%s: %s failed: %s\n", program_invocation_short_name, what,
		bpfprog_error());
	exit(1);
}
