/* SPDX-License-Identifier: MIT */
/*
 * Real kernel BPF ring buffers for tests and benchmarks, with nothing but
 * the bpf() system call (no libbpf, no clang):
 *
 *	int map = bpfprog_ringbuf_create(1 << 20);
 *	struct bpfprog_opts o = { .rec_size = 8 };
 *	int prog = bpfprog_load(map, &o);
 *	bpfprog_run(prog, repeat);        // emits `repeat` records
 *
 * The program is a socket filter built from raw instructions. Each run
 * copies rec_size bytes of the test packet to its stack and hands them to
 * bpf_ringbuf_output(map, buf, rec_size, flags). Options add a sequence
 * number in the record and a reserve+discard path. BPF_PROG_TEST_RUN runs it
 * `repeat` times per system call, so one call emits many records.
 *
 * Every function returns -errno on failure and leaves a message for
 * bpfprog_error(). bpfprog_refused(err) says whether the failure is the
 * kernel refusing BPF (no privilege, no BPF, kernel too old): tests then
 * skip (exit 77); anything else is a real failure.
 */
#ifndef BPFPROG_H
#define BPFPROG_H

#include <stddef.h>
#include <stdint.h>

#define BPFPROG_MAX_REC 256   /* rec_size limit: the record lives on the stack */

struct bpfprog_opts {
	uint32_t rec_size;     /* payload bytes per record, 0..BPFPROG_MAX_REC */
	uint64_t flags;        /* bpf_ringbuf_output/_discard flags (BPF_RB_*) */
	/* Stamp a u64 sequence number (0, 1, 2, ... per program) into the
	 * first 8 bytes of each record; needs rec_size >= 8. */
	int seq;
	/* 0: never discard. k >= 1: the record whose sequence number is a
	 * multiple of k is reserved and then discarded instead of output
	 * (k == 1: every record). Numbers are counted whether or not seq is
	 * set, so the consumer sees exactly the gaps. */
	uint32_t discard_every;
};

/* Create a BPF_MAP_TYPE_RINGBUF map of size bytes (a power of two, a
 * multiple of the page size). Returns the map fd or -errno. */
int bpfprog_ringbuf_create(uint32_t size);

/* A map of another type (BPF_MAP_TYPE_ARRAY, 1 x u64), for tests that
 * must be refused. Returns the map fd or -errno. */
int bpfprog_array_create(void);

/* A BPF_MAP_TYPE_ARRAY_OF_MAPS (hash 0) or HASH_OF_MAPS (hash 1) with u32
 * keys whose values are ring buffers like template_fd (same size). Returns
 * the map fd or -errno. */
int bpfprog_ringbuf_outer_create(int hash, int template_fd, uint32_t max);
/* outer[key] = the map inner_fd. Returns 0 or -errno. */
int bpfprog_outer_set(int outer_fd, uint32_t key, int inner_fd);

/* Load the program writing to ringbuf_fd. Returns the program fd or
 * -errno; a verifier rejection leaves the verifier log in bpfprog_error(). */
int bpfprog_load(int ringbuf_fd, const struct bpfprog_opts *opts);

/* Run the program `repeat` times (>= 1) in one BPF_PROG_TEST_RUN call on a
 * packet whose payload (after a 14-byte Ethernet header added here) is
 * bytes 0, 1, 2, ... so record byte i == (uint8_t)i except the sequence
 * number. Returns 0 or -errno. */
int bpfprog_run(int prog_fd, uint32_t repeat);

/* Byte i of the test packet payload, as a record carries it. */
static inline uint8_t bpfprog_pkt_byte(size_t i) { return (uint8_t)i; }

/* True when err means "the kernel does not let us use BPF here". */
int bpfprog_refused(int err);
/* The message of the last failure ("" when none). */
const char *bpfprog_error(void);
/* For tests: err >= 0 returns; the kernel refusing BPF skips the test
 * (exit 77, with a line saying so); any other failure exits 1. */
void bpfprog_need(int err, const char *what);

#endif
