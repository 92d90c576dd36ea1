/* SPDX-License-Identifier: MIT */
/*
 * libringbuf — the Linux BPF ring buffer in user space, and one consumer API
 * for user rings, kernel BPF ring buffers and kernel ftrace ring buffers.
 *
 * Conventions (see man/ringbuf.3):
 *  - a function returning int returns 0 or a count on success and a negative
 *    errno on failure; a function returning a pointer returns NULL and sets
 *    errno;
 *  - every free function accepts NULL;
 *  - options structs start with `size_t sz` and are declared with
 *    RINGBUF_OPTS() (or RINGBUF_DECLARE_OPTS() for the other option types),
 *    which zero-fills them and sets sz, so old binaries keep working when
 *    fields are added.
 */
#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "ringbuf_format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RINGBUF_API __attribute__((visibility("default")))

#define RINGBUF_VERSION_MAJOR 0
#define RINGBUF_VERSION_MINOR 2
#define RINGBUF_VERSION_PATCH 0
#define RINGBUF_VERSION_STRING "0.2.0"

/* ---- constants (values equal the kernel's BPF_RB_* / BPF_RINGBUF_*) ---- */
#define RINGBUF_NO_WAKEUP      1ULL   /* commit flags */
#define RINGBUF_FORCE_WAKEUP   2ULL
#define RINGBUF_AVAIL_DATA     0      /* query */
#define RINGBUF_RING_SIZE      1
#define RINGBUF_CONS_POS       2
#define RINGBUF_PROD_POS       3
#define RINGBUF_OVERWRITE_POS  4
#define RINGBUF_PENDING_POS    5      /* extension: oldest uncommitted record */
/* The record header bits (RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT),
 * RINGBUF_HDR_SZ and RINGBUF_F_OVERWRITE are part of the shared-memory
 * format: they live in ringbuf_format.h, included here. */

/* Declare an options struct of TYPE named NAME, zero-filled, with sz set. */
#define RINGBUF_DECLARE_OPTS(TYPE, NAME, ...)                                  \
	struct TYPE NAME = ({                                                  \
		struct TYPE __rb_o;                                            \
		__builtin_memset(&__rb_o, 0, sizeof(__rb_o));                  \
		__rb_o = (struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
		__rb_o;                                                        \
	})
#define RINGBUF_OPTS(NAME, ...) RINGBUF_DECLARE_OPTS(ringbuf_opts, NAME, __VA_ARGS__)

/* ---- rings ---- */
struct ringbuf;

struct ringbuf_opts {
	size_t sz;
	uint32_t flags;       /* RINGBUF_F_OVERWRITE */
	uint32_t mode;        /* permissions of a named ring; 0 means 0600 */
	/* A record still BUSY after this many milliseconds, whose producer
	 * is gone, is recovered by the consumer. "Gone" is the kernel's word,
	 * never a guess from /proc: the producer's lock on the ring file was
	 * dropped (it died, or detached). A live producer, however slow,
	 * stopped, or invisible (hidepid, another pid namespace), is never
	 * recovered. 0 means the default (RINGBUF_DEFAULT_RECOVER_MS);
	 * UINT32_MAX disables it. */
	uint32_t recover_ms;
	uint32_t __pad;
	/* Start both positions here instead of 0 (multiple of 8). For tests
	 * and for proving position arithmetic far beyond 2^32. */
	uint64_t start_pos;
};
#define RINGBUF_DEFAULT_RECOVER_MS 1000

/* name NULL: an anonymous ring (this process and its fork children).
 * Otherwise a named ring that other processes attach to with ringbuf_open():
 * a name without '/' is a POSIX shared memory object, and so is "/name"
 * with no other slash (as shm_open(3) writes it); any other path is a file.
 * size: data bytes; a power of two and a multiple of the page size (EINVAL). */
RINGBUF_API struct ringbuf *ringbuf_create(const char *name, size_t size,
					   const struct ringbuf_opts *opts);
#define RINGBUF_PRODUCER 1
#define RINGBUF_CONSUMER 2
/* Read-only inspection: the ring is opened O_RDONLY and mapped PROT_READ,
 * so read permission on the file is enough; no producer slot, no consumer
 * claim, no wake FIFO. ringbuf_query, ringbuf_get_stats and
 * ringbuf_snapshot work; reserve/output/consume/poll/recover/wait_prepare
 * fail with EPERM, ringbuf_fd with EBADF. Not combined with other roles. */
#define RINGBUF_OBSERVER 4
/* role: PRODUCER, CONSUMER, both, or OBSERVER alone */
RINGBUF_API struct ringbuf *ringbuf_open(const char *name, int role);
RINGBUF_API struct ringbuf *ringbuf_open_opts(const char *name, int role,
					      const struct ringbuf_opts *opts);
/* Removes only a verified ring (regular file, not a symlink, valid meta
 * page) and its own wake FIFO; anything else: -EBADMSG, left untouched. */
RINGBUF_API int  ringbuf_unlink(const char *name);
/*
 * Trust (docs/THREAT.md, ringbuf_create(3) "Security"): nothing beside a ring
 * is followed through a symlink, created with a value read from shared
 * memory, or chmod-ed by path; opts.mode is 0777 at most (EINVAL); space is
 * reserved at create (ENOSPC, nothing left behind); anonymous rings are
 * sealed against resizing.
 * Limit — a truncating peer: any process that may write a named ring's file
 * may ftruncate it. Every process that has the ring mapped then gets SIGBUS
 * at its next access beyond the new end (in reserve, commit, consume, query,
 * stats, snapshot: anywhere). The library installs no signal handler. Give
 * untrusted peers read permission only (RINGBUF_OBSERVER), or handle SIGBUS
 * yourself and stop using the ring (the ringbuf tool exits with status 1).
 */
/* Why the last failing call of this thread failed, in words (e.g. "ring:
 * bad magic"); "" when there is nothing to say. Thread-local; every call
 * that can fail clears it first, so it is never a stale one.
 * The calls that create, open, remove or add something, or take options,
 * also set errno when they fail, int ones too (errno = -return, as
 * libbpf does), and leave the detail "" when they succeed.
 * errno for rings that cannot be opened: EBADMSG not a ring or a damaged one
 * (empty, truncated, bad magic, sizes that do not agree); EPROTO a ring of
 * another format version, word size or page size, or with unknown flags;
 * EBUSY (RINGBUF_CONSUMER) another live process is the consumer (it
 * holds the ring file's claim lock; it is released when that consumer
 * frees the ring or dies); ENOLCK and the like when the file system has no
 * open-file-description locks, which liveness needs. */
RINGBUF_API const char *ringbuf_strerror_detail(void);
RINGBUF_API void ringbuf_free(struct ringbuf *rb);

/* ---- producing: any number of threads and processes at once ---- */
RINGBUF_API void *ringbuf_reserve(struct ringbuf *rb, size_t size, uint64_t flags); /* flags: 0 */
RINGBUF_API void  ringbuf_submit(struct ringbuf *rb, void *sample, uint64_t flags);
RINGBUF_API void  ringbuf_discard(struct ringbuf *rb, void *sample, uint64_t flags);
RINGBUF_API int   ringbuf_output(struct ringbuf *rb, const void *data, size_t size, uint64_t flags);
RINGBUF_API uint64_t ringbuf_query(const struct ringbuf *rb, uint64_t flags);
/* reserve/output fail with ENOSPC when there is no room, E2BIG when the record
 * can never fit, EINVAL for unknown flags; the ring is unchanged then. */
/* n records of size payload bytes each with one claim (one CAS for all n):
 * samples[0..n-1] get their payloads, in ring order, and it returns 0; or
 * it returns a negative errno and reserves nothing: -ENOSPC no room for all
 * n now (n drops counted), -E2BIG they can never fit (n * round_up(size + 8,
 * 8) > the ring's size), -EINVAL, -EPERM as reserve, -EOPNOTSUPP on an
 * overwrite ring. Commit each sample on its own with ringbuf_submit or
 * ringbuf_discard, in any order; the consumer stops at the first one not
 * yet committed, so commit them all soon. flags: 0. */
RINGBUF_API int   ringbuf_reserve_batch(struct ringbuf *rb, size_t size, unsigned int n,
				    void **samples, uint64_t flags);

/* ---- consuming: one consumer per ring at a time ----
 * Delivery on consumer crash: AT LEAST ONCE. A consumer that dies (SIGKILL
 * at any instruction included) loses no committed record: the next
 * consumer starts at the last released position and finishes a release
 * the dead one left half done. Records the dead consumer had delivered but
 * not yet released are delivered again: at most one publish batch
 * (min(ring size / 4, 16 KiB) of records) plus the record whose callback
 * was running. Deduplicate by a sequence number in the record if that
 * matters; ringbuf_consume_hold(3) gives control over what is released. */
typedef int (*ringbuf_sample_fn)(void *ctx, void *data, size_t size);
RINGBUF_API int ringbuf_consume(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx);
RINGBUF_API int ringbuf_consume_n(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n);
RINGBUF_API int ringbuf_fd(const struct ringbuf *rb);   /* readable (epoll) when woken */
/* Before sleeping on ringbuf_fd() yourself, arm the wakeup: returns 1 when
 * data is already there (consume instead of sleeping), 0 when it is safe to
 * sleep. The manager's poll does this for you. */
RINGBUF_API int ringbuf_wait_prepare(struct ringbuf *rb);
/* Wait up to timeout_ms (-1: forever) for data on this ring and consume it. */
RINGBUF_API int ringbuf_poll(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, int timeout_ms);

/* ---- hold and release: consume now, give the space back later ----
 * For consumers that pass records on and may free them only once they are
 * safe elsewhere (acknowledged by a broker, written to disk). Every record
 * has a 64-bit position, unique in the ring's life (the producer position
 * at its reservation). A held record is delivered but its space stays
 * taken; ringbuf_release() gives it back. Held records of a consumer that
 * dies are delivered again to the next consumer. See ringbuf_consume_hold(3). */
typedef int (*ringbuf_hold_fn)(void *ctx, void *data, size_t size, uint64_t pos);
/* Like ringbuf_consume_n, from the record after the last one held; n
 * SIZE_MAX for no limit. -EOPNOTSUPP for overwrite-mode rings. */
RINGBUF_API int ringbuf_consume_hold(struct ringbuf *rb, ringbuf_hold_fn fn, void *ctx, size_t n);
/* Release the held record at pos and every record before it (discarded
 * records right after it too). 0, or -EINVAL when pos is not a held record. */
RINGBUF_API int ringbuf_release(struct ringbuf *rb, uint64_t pos);
/* Forget the holds: the next consume delivers the held records again, from
 * the oldest one (after a failed send). */
RINGBUF_API int ringbuf_rewind(struct ringbuf *rb);
/* A 16-byte identity of the ring, stable for its life and unique across
 * rings and reboots: user rings, creation time + a random number from the
 * meta page; kernel BPF rings, the map id + this boot's boot_id. */
#define RINGBUF_ID_SZ 16
RINGBUF_API int ringbuf_id(const struct ringbuf *rb, uint8_t id[RINGBUF_ID_SZ]);

/* ---- idle policy: what a consume call does when it finds nothing ----
 * ringbuf_consume(), ringbuf_consume_n(), ringbuf_consumer_consume() and
 * ringbuf_consumer_consume_n() look once; when nothing is ready they wait
 * by the policy, look once more, and return what they delivered (0 when
 * still nothing). So a plain `while (!stop) ringbuf_consume(rb, fn, ctx);`
 * reads in bulk instead of pulling each record's cache line across cores
 * as it is written. The default, RINGBUF_IDLE_BACKOFF: wait spin_ns
 * spinning while the ring has been idle less than spin_us, then yield the
 * CPU until yield_us, then sleep, doubling from 1 us up to park_max_us.
 * An idle spell ends with the first record, or when the caller has not
 * called for a millisecond. ringbuf_poll() and ringbuf_consumer_poll()
 * sleep in the kernel instead and do not use it. */
#define RINGBUF_IDLE_BACKOFF   0      /* spin, then yield, then sleep */
#define RINGBUF_IDLE_NONE      1      /* return 0 at once */
#define RINGBUF_IDLE_SPIN      2      /* always spin spin_ns, never yield or sleep */
struct ringbuf_idle_opts {
	size_t sz;
	uint32_t policy;        /* RINGBUF_IDLE_* */
	uint32_t spin_ns;       /* one wait while spinning; 0: 500 */
	uint32_t spin_us;       /* BACKOFF: spin this long; 0: 100 */
	uint32_t yield_us;      /* BACKOFF: then yield until this long; 0: 1000 */
	uint32_t park_max_us;   /* BACKOFF: longest sleep; 0: 1000 */
	uint32_t __pad;
};
#define RINGBUF_IDLE_OPTS(NAME, ...) RINGBUF_DECLARE_OPTS(ringbuf_idle_opts, NAME, __VA_ARGS__)
/* Set the idle policy of this ring's consume calls (opts NULL: the default).
 * -EINVAL for an unknown policy, -EOPNOTSUPP for unknown non-zero fields. */
RINGBUF_API int ringbuf_set_idle(struct ringbuf *rb, const struct ringbuf_idle_opts *opts);

/* ---- statistics ---- */
struct ringbuf_stats {
	size_t sz;
	uint64_t delivered_records;   /* handed to a callback */
	uint64_t delivered_bytes;
	uint64_t discarded_records;   /* discarded by their producer, skipped */
	uint64_t dropped_records;     /* reservations refused for lack of room */
	uint64_t orphaned_records;    /* left BUSY by a dead producer, recovered */
	uint64_t corrupt_events;      /* garbage found in shared memory */
	uint64_t overwritten_records; /* overwrite mode: lost before being read */
	uint64_t overwritten_bytes;
	uint64_t lost_events;         /* ftrace: events the kernel dropped */
	uint64_t wakeups;             /* notifications producers sent */
	/* This consumer handle only (not shared with other processes): */
	uint64_t busy_stalls;         /* times it waited more than
				       * RINGBUF_STALL_US at a record a live
				       * producer had not committed yet */
	uint64_t busy_stall_ns;       /* the time those waits took, as seen */
};
#define RINGBUF_STALL_US 20
RINGBUF_API int ringbuf_get_stats(const struct ringbuf *rb, struct ringbuf_stats *st);

/* ---- cross-process robustness ---- */
/* Recover records left BUSY by dead producers now, without waiting for the
 * timeout. Returns the number of records recovered or a negative errno. */
RINGBUF_API int ringbuf_recover(struct ringbuf *rb);

/* ---- overwrite mode ---- */
/* Copy out the newest committed records (at most max_records and max_bytes of
 * payload; 0 means no limit), oldest first, without consuming them. fn gets a
 * private copy. Returns the number of records passed to fn. */
RINGBUF_API int ringbuf_snapshot(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx,
				 size_t max_records, size_t max_bytes);

/* ---- the consumer manager: many sources on one epoll ---- */
struct ringbuf_consumer;
RINGBUF_API struct ringbuf_consumer *ringbuf_consumer_new(void);
RINGBUF_API int  ringbuf_consumer_add(struct ringbuf_consumer *c, struct ringbuf *rb,
				      ringbuf_sample_fn fn, void *ctx);   /* rb must outlive c */
RINGBUF_API int  ringbuf_consumer_add_bpf(struct ringbuf_consumer *c, int map_fd,
					  ringbuf_sample_fn fn, void *ctx); /* kernel BPF_MAP_TYPE_RINGBUF */
RINGBUF_API int  ringbuf_consumer_poll(struct ringbuf_consumer *c, int timeout_ms);
RINGBUF_API int  ringbuf_consumer_consume(struct ringbuf_consumer *c);
RINGBUF_API int  ringbuf_consumer_consume_n(struct ringbuf_consumer *c, size_t n);
RINGBUF_API int  ringbuf_consumer_epoll_fd(const struct ringbuf_consumer *c);
/* For callers who sleep on ringbuf_consumer_epoll_fd() themselves (instead
 * of ringbuf_consumer_poll): arm every source's wakeup first. Returns 1 when
 * some source already has data (consume instead of sleeping), 0 when it is
 * safe to sleep, or a negative errno. Without it, user rings never wake an
 * epoll_wait: producers wake only a consumer that said it is going to sleep. */
RINGBUF_API int  ringbuf_consumer_wait_prepare(struct ringbuf_consumer *c);
/* The idle policy of ringbuf_consumer_consume(_n) (see ringbuf_set_idle):
 * applied once per call over all sources, not per source. */
RINGBUF_API int  ringbuf_consumer_set_idle(struct ringbuf_consumer *c,
					   const struct ringbuf_idle_opts *opts);
RINGBUF_API void ringbuf_consumer_free(struct ringbuf_consumer *c);
/* Per-source access, like libbpf's ring_buffer__ring(): the idx-th source
 * added (0-based), or NULL with errno ENOENT. A kernel BPF source is a
 * struct ringbuf too: query, consume and stats work on it. */
RINGBUF_API struct ringbuf *ringbuf_consumer_ring(const struct ringbuf_consumer *c, unsigned int idx);
RINGBUF_API int ringbuf_consumer_ring_cnt(const struct ringbuf_consumer *c);
/* A kernel BPF_MAP_TYPE_RINGBUF map, mapped as the kernel permits, for
 * consuming without a manager. */
RINGBUF_API struct ringbuf *ringbuf_open_bpf(int map_fd);

/* ---- sharded rings: one ring per CPU or per thread, one object ---- */
/* N full MPSC rings created, opened, produced into and consumed as one
 * object (man ringbuf_create_sharded(3), docs/DESIGN.md "Sharded rings").
 * A producer writes to the shard of the CPU it runs on (rseq/sched_getcpu;
 * a producer that migrates mid-record still writes a whole record to one
 * shard) or of its thread. Order holds within a shard; across shards only
 * with RINGBUF_SHARDED_MERGE over stamped records. */
struct ringbuf_sharded;
#define RINGBUF_SHARD_BY_CPU     0   /* shard = CPU % nshards (default) */
#define RINGBUF_SHARD_BY_THREAD  1   /* shard = thread number % nshards: a
                                      * process's threads take consecutive shards */
/* Creation flag: every record carries a u64 key (CLOCK_MONOTONIC ns taken
 * before the reservation, or the caller's with ringbuf_sharded_output_key),
 * 8 bytes in front of the payload; consumers see the payload only. */
#define RINGBUF_SHARDED_F_STAMP  (1U << 0)
#define RINGBUF_MAX_SHARDS       1024
struct ringbuf_sharded_opts {
	size_t sz;
	uint32_t flags;       /* RINGBUF_SHARDED_F_STAMP */
	uint32_t mode;        /* permissions of a named object; 0 means 0600 */
	uint32_t recover_ms;  /* as ringbuf_opts.recover_ms, for every shard */
	uint32_t shard_by;    /* RINGBUF_SHARD_BY_CPU or RINGBUF_SHARD_BY_THREAD */
};
#define RINGBUF_SHARDED_OPTS(NAME, ...) RINGBUF_DECLARE_OPTS(ringbuf_sharded_opts, NAME, __VA_ARGS__)
/* name NULL: anonymous (this process and its fork children). size_per_shard
 * as ringbuf_create's size; 1 <= nshards <= RINGBUF_MAX_SHARDS. */
RINGBUF_API struct ringbuf_sharded *ringbuf_create_sharded(const char *name, size_t size_per_shard,
							   unsigned int nshards,
							   const struct ringbuf_sharded_opts *opts);
RINGBUF_API struct ringbuf_sharded *ringbuf_open_sharded(const char *name, int role);
RINGBUF_API int  ringbuf_unlink_sharded(const char *name);
RINGBUF_API void ringbuf_sharded_free(struct ringbuf_sharded *s);
RINGBUF_API int  ringbuf_sharded_shard_cnt(const struct ringbuf_sharded *s);
/* The idx-th shard as a plain ring (query, stats, produce into it
 * explicitly), or NULL with errno ENOENT. Owned by s. */
RINGBUF_API struct ringbuf *ringbuf_sharded_shard(const struct ringbuf_sharded *s, unsigned int idx);
/* The shard this thread would produce into now. */
RINGBUF_API int  ringbuf_sharded_current(const struct ringbuf_sharded *s);
RINGBUF_API void *ringbuf_sharded_reserve(struct ringbuf_sharded *s, size_t size, uint64_t flags);
/* ringbuf_reserve_batch in the shard this thread would use now; stamped:
 * the n records share one key. */
RINGBUF_API int   ringbuf_sharded_reserve_batch(struct ringbuf_sharded *s, size_t size,
					    unsigned int n, void **samples, uint64_t flags);
RINGBUF_API void  ringbuf_sharded_submit(struct ringbuf_sharded *s, void *sample, uint64_t flags);
RINGBUF_API void  ringbuf_sharded_discard(struct ringbuf_sharded *s, void *sample, uint64_t flags);
RINGBUF_API int   ringbuf_sharded_output(struct ringbuf_sharded *s, const void *data, size_t size,
					 uint64_t flags);
/* Stamped objects: output with the caller's key instead of the clock. */
RINGBUF_API int   ringbuf_sharded_output_key(struct ringbuf_sharded *s, uint64_t key,
					     const void *data, size_t size, uint64_t flags);
/* The key of a record of a stamped object, from the data pointer a
 * callback got (merged: the key it was ordered by) or reserve returned. */
RINGBUF_API uint64_t ringbuf_sharded_key(const void *data);
/* Consume flag: deliver the records present when the call starts in key
 * order across shards (stamped objects only; -EINVAL otherwise). */
#define RINGBUF_SHARDED_MERGE    1ULL
/* Consume every shard (up to n records; ringbuf_sharded_consume: all).
 * Returns the number delivered or a negative errno. */
RINGBUF_API int ringbuf_sharded_consume(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx,
					uint64_t flags);
RINGBUF_API int ringbuf_sharded_consume_n(struct ringbuf_sharded *s, ringbuf_sample_fn fn, void *ctx,
					  size_t n, uint64_t flags);
/* Statistics summed over the shards. */
/* The idle policy of ringbuf_sharded_consume(_n): one wait when no shard
 * had anything (see ringbuf_set_idle; the default as there). */
RINGBUF_API int ringbuf_sharded_set_idle(struct ringbuf_sharded *s,
					 const struct ringbuf_idle_opts *opts);
RINGBUF_API int ringbuf_sharded_get_stats(const struct ringbuf_sharded *s, struct ringbuf_stats *st);
/* The manager drains every shard as ONE source (s must outlive c). */
RINGBUF_API int ringbuf_consumer_add_sharded(struct ringbuf_consumer *c, struct ringbuf_sharded *s,
					     ringbuf_sample_fn fn, void *ctx, uint64_t flags);
/* A kernel BPF_MAP_TYPE_ARRAY_OF_MAPS or HASH_OF_MAPS whose values are
 * BPF_MAP_TYPE_RINGBUF maps, by the outer map's fd: every inner ring present
 * now is consumed as ONE source. Returns the number of rings added or a
 * negative errno. flags: 0. */
RINGBUF_API int ringbuf_consumer_add_bpf_array(struct ringbuf_consumer *c, int outer_map_fd,
					       ringbuf_sample_fn fn, void *ctx, uint64_t flags);

/* ---- kernel ftrace ring buffers (Linux 6.10+) ---- */
struct ringbuf_ftrace_event {
	int cpu;
	uint64_t ts;            /* full timestamp, trace clock units (ns for "local") */
	const void *data;       /* raw event payload (starts with common_type) */
	uint32_t size;
};
typedef int (*ringbuf_ftrace_fn)(void *ctx, const struct ringbuf_ftrace_event *ev);
/* How a CPU buffer is read (ringbuf_ftrace_opts.method). */
#define RINGBUF_FTRACE_AUTO 0   /* mmap or read(2), chosen from the event sizes seen */
#define RINGBUF_FTRACE_MMAP 1   /* the mapping and GET_READER only (6.10+) */
#define RINGBUF_FTRACE_READ 2   /* read(2) on trace_pipe_raw only */
struct ringbuf_ftrace_opts {
	size_t sz;
	const char *tracefs;    /* NULL: find it (mounted where it is) */
	const char *instance;   /* NULL: the top-level buffer */
	const int *cpus;        /* NULL: every online CPU */
	int ncpus;
	bool mount;             /* mount tracefs when it is not mounted */
	bool merge;             /* deliver all CPUs in timestamp order */
	int method;             /* RINGBUF_FTRACE_AUTO (0), _MMAP or _READ */
	uint32_t auto_event_bytes; /* AUTO: read(2) while the mean event (bytes
				    * in the buffer, headers included) is
				    * smaller than this, else mmap; 0: 280 */
};
#define RINGBUF_FTRACE_OPTS(NAME, ...) RINGBUF_DECLARE_OPTS(ringbuf_ftrace_opts, NAME, __VA_ARGS__)
/* Add the per-CPU buffers of a tracefs instance as sources. Returns the
 * number of CPUs added or a negative errno. The instance must exist (it is
 * not created here: -ENOENT). All CPUs of one call form one source of the
 * manager; ev->data is valid only during the callback. Without merge, each
 * CPU's events arrive in order; with merge, events present when a consume
 * starts arrive in timestamp order across CPUs. Wakeups follow the
 * instance's buffer_percent (0: on any data). With method MMAP,
 * -ENODEV/-EBUSY/-EINVAL from mmap mean the kernel does not offer the
 * mapping (before 6.10, snapshot in use, memory-mapped persistent buffer);
 * AUTO then reads with read(2) instead. */
RINGBUF_API int ringbuf_consumer_add_ftrace(struct ringbuf_consumer *c,
					    const struct ringbuf_ftrace_opts *opts,
					    ringbuf_ftrace_fn fn, void *ctx);
struct ringbuf_ftrace_stats {
	size_t sz;
	uint64_t events;           /* delivered to the callback */
	uint64_t bytes;            /* payload bytes delivered */
	uint64_t lost_events;      /* dropped by the kernel before we read them:
				    * the larger of the counts the sub-buffers
				    * carry and the meta page's overrun growth */
	uint64_t missed_subbufs;   /* sub-buffers flagged RB_MISSED_EVENTS */
	uint64_t corrupt_events;   /* garbage met in the mapping, skipped */
	uint64_t subbufs;          /* reader sub-buffers walked */
	uint64_t get_reader_calls; /* TRACE_MMAP_IOCTL_GET_READER */
	uint64_t paddings;         /* padding / discarded events skipped */
	uint64_t time_extends;     /* time-extend and absolute-stamp headers */
	uint64_t entries;          /* the kernel's counters (meta page) */
	uint64_t overrun;
	uint64_t read;
	uint64_t read_calls;       /* read(2) on trace_pipe_raw */
	uint64_t method_switches;  /* AUTO: between mmap and read(2) */
};
#define RINGBUF_FTRACE_STATS(NAME, ...) RINGBUF_DECLARE_OPTS(ringbuf_ftrace_stats, NAME, __VA_ARGS__)
/* Statistics of the ftrace sources of c: one CPU, or all of them with cpu
 * -1 (summed). Returns the number of CPUs summed, -ENOENT when c has none. */
RINGBUF_API int ringbuf_consumer_ftrace_stats(const struct ringbuf_consumer *c, int cpu,
					      struct ringbuf_ftrace_stats *st);

/* ---- misc ---- */
RINGBUF_API const char *ringbuf_version(void);

#ifdef __cplusplus
}
#endif
#endif /* RINGBUF_H */
