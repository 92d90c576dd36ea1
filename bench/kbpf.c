// SPDX-License-Identifier: MIT
/* The benchmark's kernel BPF producer: see kbpf.h. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The one BPF assembler, shared with the test helpers (test/lib/bpfprog.c):
 * header-only, so the tool links only the public library. */
#include "../test/lib/bpfasm.h"
#include "kbpf.h"

/* Offsets in the array map's value. */
#define V_SEQ   0
#define V_DROPS 8
#define V_REC   16

static int build(struct bpf_asm *p, const struct kbpf *k, uint64_t flags, uint32_t sample)
{
	int j_null, j_ok, j_nosample = -1;
	const int16_t tail = (int16_t)(V_REC + k->len - 8);
	const int perf = k->perf_fd >= 0;

	if (perf) /* r6 = ctx (the skb), for the output helper */
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	/* key = 0 on the stack; r0 = lookup(val, &key) */
	bpf_emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, 0);
	bpf_ld_map(p, BPF_REG_1, k->val_fd);
	bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8);
	bpf_emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	j_null = p->n;
	bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
	/* r8 = v->seq; stamp it; v->seq = r8 + 1 */
	bpf_emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_7, V_SEQ, 0);
	bpf_emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_8, V_REC, 0);
	if (k->len >= 16)
		bpf_emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_8, tail, 0);
	bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_8, 0, 0);
	bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	bpf_emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_1, V_SEQ, 0);
	/* r4 = flags, or FORCE_WAKEUP every sample-th record */
	bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, (int32_t)flags);
	if (sample) {
		bpf_emit(p, BPF_ALU64 | BPF_MOD | BPF_K, BPF_REG_8, 0, 0, (int32_t)sample);
		j_nosample = p->n;
		bpf_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_8, 0, 0, 0);
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_RB_FORCE_WAKEUP);
		p->insn[j_nosample].off = (int16_t)(p->n - j_nosample - 1);
	}
	if (perf) {
		/* r0 = bpf_perf_event_output(skb, pea, BPF_F_CURRENT_CPU, v + V_REC, len);
		 * the flags through a 32-bit mov: zero-extended, so the upper
		 * half (bytes of the skb to append) stays 0 */
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
		bpf_ld_map(p, BPF_REG_2, k->map_fd);
		bpf_emit(p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)(uint32_t)BPF_F_CURRENT_CPU);
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_7, 0, 0);
		bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, V_REC);
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, (int32_t)k->len);
		bpf_emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output);
	} else {
		/* r0 = bpf_ringbuf_output(rb, v + V_REC, len, r4) */
		bpf_ld_map(p, BPF_REG_1, k->map_fd);
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0);
		bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, V_REC);
		bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)k->len);
		bpf_emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
	}
	j_ok = p->n;
	bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	bpf_emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_7, V_DROPS, 0);
	bpf_emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	bpf_emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_1, V_DROPS, 0);
	p->insn[j_ok].off = (int16_t)(p->n - j_ok - 1);
	p->insn[j_null].off = (int16_t)(p->n - j_null - 1);
	bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	bpf_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p->n;
}

static void kbpf_init(struct kbpf *k, size_t len)
{
	memset(k, 0, sizeof(*k));
	k->map_fd = k->val_fd = k->prog_fd = k->perf_fd = -1;
	k->len = len;
}

static int len_ok(size_t len, char *why, size_t whylen)
{
	if (len < 8 || len % 8 || len > 4096) {
		snprintf(why, whylen, "record size %zu unsupported (8..4096, multiple of 8)", len);
		return 0;
	}
	return 1;
}

/* The value map and the program, once map_fd (and perf_fd) are set. */
static int load(struct kbpf *k, uint64_t flags, uint32_t sample, int *refused, char *why,
		size_t whylen)
{
	static char log[16384];
	struct bpf_asm p = { .n = 0 };
	union bpf_attr a;
	int err;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = (uint32_t)(V_REC + k->len);
	a.max_entries = 1;
	k->val_fd = bpf_sys(BPF_MAP_CREATE, &a);
	if (k->val_fd < 0) {
		err = k->val_fd;
		*refused = err == -EPERM;
		snprintf(why, whylen, "BPF_MAP_CREATE(array): %s", strerror(-err));
		kbpf_close(k);
		return err;
	}
	build(&p, k, flags, sample);
	k->prog_fd = bpf_load_socket_filter(&p, log, sizeof(log));
	if (k->prog_fd < 0) {
		size_t n = strlen(log);

		err = k->prog_fd;
		/* a perf program the verifier refuses: this kernel does not
		 * let socket filters call the perf output helper */
		*refused = err == -EPERM || (k->perf_fd >= 0 && err == -EINVAL);
		snprintf(why, whylen, "BPF_PROG_LOAD: %s%s%s", strerror(-err), n ? "; verifier: " : "",
			 n > 300 ? log + n - 300 : log);
		kbpf_close(k);
		return err;
	}
	return 0;
}

int kbpf_open(struct kbpf *k, uint32_t ring_size, size_t len, uint64_t flags,
	      uint32_t sample, int *refused, char *why, size_t whylen)
{
	union bpf_attr a;
	int err;

	kbpf_init(k, len);
	*refused = 0;
	if (!len_ok(len, why, whylen))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_RINGBUF;
	a.max_entries = ring_size;
	k->map_fd = bpf_sys(BPF_MAP_CREATE, &a);
	if (k->map_fd < 0) {
		err = k->map_fd;
		/* a missing privilege or feature (EINVAL: a kernel before 5.8) */
		*refused = err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP || err == -524 ||
			   err == -EINVAL || err == -EACCES;
		snprintf(why, whylen, "BPF_MAP_CREATE(BPF_MAP_TYPE_RINGBUF, %u bytes) refused "
			 "(needs CAP_BPF and Linux 5.8+): %s", ring_size, strerror(-err));
		k->map_fd = -1;
		return err;
	}
	return load(k, flags, sample, refused, why, whylen);
}

static int kernel_said_no(int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOENT || err == -ENOSYS ||
	       err == -EOPNOTSUPP || err == -ENODEV;
}

int kbpf_open_perf(struct kbpf *k, int cpu, uint32_t data_pages, uint32_t wakeup, size_t len,
		   int *refused, char *why, size_t whylen)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct perf_event_attr pa;
	union bpf_attr a;
	uint32_t key = (uint32_t)cpu, val;
	void *m;
	int err;

	kbpf_init(k, len);
	*refused = 0;
	if (!len_ok(len, why, whylen))
		return -EINVAL;
	if (cpu < 0 || !data_pages || (data_pages & (data_pages - 1))) {
		*refused = cpu < 0;
		snprintf(why, whylen, cpu < 0 ? "needs the producer pinned to one CPU (fewer than 2 CPUs allowed)"
					      : "perf ring pages must be a power of 2");
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = (uint32_t)cpu + 1;
	k->map_fd = bpf_sys(BPF_MAP_CREATE, &a);
	if (k->map_fd < 0) {
		err = k->map_fd;
		*refused = kernel_said_no(err) || err == -EINVAL;
		snprintf(why, whylen, "BPF_MAP_CREATE(perf event array): %s", strerror(-err));
		kbpf_close(k);
		return err;
	}
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.config = PERF_COUNT_SW_BPF_OUTPUT;
	pa.sample_type = PERF_SAMPLE_RAW;
	pa.sample_period = wakeup ? wakeup : 1;
	pa.wakeup_events = wakeup ? wakeup : 1;
	k->perf_fd = (int)syscall(__NR_perf_event_open, &pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (k->perf_fd < 0) {
		err = -errno;
		*refused = kernel_said_no(err) || err == -EINVAL;
		snprintf(why, whylen, "perf_event_open(SW_BPF_OUTPUT, cpu %d): %s", cpu, strerror(-err));
		k->perf_fd = -1;
		kbpf_close(k);
		return err;
	}
	m = mmap(NULL, (1 + (size_t)data_pages) * page, PROT_READ | PROT_WRITE, MAP_SHARED, k->perf_fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		*refused = kernel_said_no(err);
		snprintf(why, whylen, "mmap of the perf ring (%u + 1 pages): %s", data_pages, strerror(-err));
		kbpf_close(k);
		return err;
	}
	k->perf_mmap = m;
	k->perf_data_size = (size_t)data_pages * page;
	val = (uint32_t)k->perf_fd;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)k->map_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)&val;
	err = bpf_sys(BPF_MAP_UPDATE_ELEM, &a);
	if (err < 0) {
		*refused = kernel_said_no(err);
		snprintf(why, whylen, "BPF_MAP_UPDATE_ELEM(perf event array, cpu %d): %s", cpu, strerror(-err));
		kbpf_close(k);
		return err;
	}
	return load(k, 0, 0, refused, why, whylen);
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
	return bpf_sys(BPF_PROG_TEST_RUN, &a);
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
	err = bpf_sys(BPF_MAP_LOOKUP_ELEM, &a);
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
	if (k->perf_mmap)
		munmap(k->perf_mmap, (size_t)sysconf(_SC_PAGESIZE) + k->perf_data_size);
	if (k->perf_fd >= 0)
		close(k->perf_fd);
	k->prog_fd = k->val_fd = k->map_fd = k->perf_fd = -1;
	k->perf_mmap = NULL;
}
