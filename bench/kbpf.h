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
};

/* 0, or -errno with a reason in why. *refused set when the kernel said no
 * (no privilege, no BPF): the row is skipped, not failed. */
int kbpf_open(struct kbpf *k, uint32_t ring_size, size_t len, uint64_t flags,
	      uint32_t sample_every, int *refused, char *why, size_t whylen);
/* Run the program repeat times in one BPF_PROG_TEST_RUN. */
int kbpf_run(struct kbpf *k, uint32_t repeat);
/* Records the program tried to emit and those the ring refused. */
int kbpf_counts(struct kbpf *k, uint64_t *emitted, uint64_t *drops);
void kbpf_close(struct kbpf *k);

#endif
