/* SPDX-License-Identifier: MIT */
/*
 * The kernel anchor of the benchmark: a real BPF_MAP_TYPE_RINGBUF written by
 * a raw-instruction BPF program run with BPF_PROG_TEST_RUN (repeat), so one
 * system call emits many records.
 *
 * The program is the benchmark's own (test/lib/bpfprog.c, used for the map,
 * keeps records on the BPF stack, which caps them at 256 bytes; the bench
 * needs 1 KiB). Each run:
 *	v = &value[0]                      (array map, 16 + len bytes)
 *	w = v->seq++                       (no atomics: one runner thread)
 *	record[0..8) = w; record[len-8..len) = w     (len >= 16)
 *	flags = (sample && w % sample == 0) ? BPF_RB_FORCE_WAKEUP : flags
 *	if (bpf_ringbuf_output(rb, record, len, flags)) v->drops++
 * The record body between the two stamps is whatever was there: the output
 * helper copies len bytes, as a user producer's memcpy does. A refused
 * output (ring full) leaves a gap in the sequence: the consumer checks that
 * gaps == drops.
 */
#ifndef RINGBUF_KBPF_H
#define RINGBUF_KBPF_H

#include <stddef.h>
#include <stdint.h>

struct kbpf {
	int map_fd;      /* the BPF_MAP_TYPE_RINGBUF */
	int val_fd;      /* the array map: seq, drops, record */
	int prog_fd;
	size_t len;
	/* perf buffer variant (kbpf_open_perf): map_fd is the
	 * BPF_MAP_TYPE_PERF_EVENT_ARRAY, perf_fd the BPF_OUTPUT event of one
	 * CPU, perf_mmap its ring (one header page + perf_data_size bytes). */
	int perf_fd;
	void *perf_mmap;
	size_t perf_data_size;
};

/* 0, or -errno with a reason in why. *refused set when the kernel said no
 * (no privilege, no BPF): the row is skipped, not failed. */
int kbpf_open(struct kbpf *k, uint32_t ring_size, size_t len, uint64_t flags,
	      uint32_t sample_every, int *refused, char *why, size_t whylen);
/* The same program writing with bpf_perf_event_output(skb, map,
 * BPF_F_CURRENT_CPU, record, len) into a perf event array whose only event
 * is a PERF_COUNT_SW_BPF_OUTPUT event on cpu (the CPU the runner is pinned
 * to), ring of 1 + data_pages pages (a power of 2). sample_period =
 * wakeup_events = wakeup, as the kernel's bench_ringbufs perfbuf sets them
 * (1 not sampled, the sample rate sampled): a wakeup (irq_work) is raised
 * every wakeup-th record, whether or not anyone waits. */
int kbpf_open_perf(struct kbpf *k, int cpu, uint32_t data_pages, uint32_t wakeup, size_t len,
		   int *refused, char *why, size_t whylen);
/* Run the program repeat times in one BPF_PROG_TEST_RUN. */
int kbpf_run(struct kbpf *k, uint32_t repeat);
/* Records the program tried to emit and those the ring refused. */
int kbpf_counts(struct kbpf *k, uint64_t *emitted, uint64_t *drops);
void kbpf_close(struct kbpf *k);

#endif
