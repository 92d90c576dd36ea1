/* SPDX-License-Identifier: MIT */
/* Internal interfaces of libringbuf. Not installed. */
#ifndef RB_INTERNAL_H
#define RB_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "ringbuf.h"
#include "ringbuf_format.h"
#include "atomic.h"

#define RB_HIDDEN __attribute__((visibility("hidden")))
#define rb_likely(x)   __builtin_expect(!!(x), 1)
#define rb_unlikely(x) __builtin_expect(!!(x), 0)

struct ringbuf;

/*
 * What differs between the kinds of ring, one const table per kind, as
 * the kernel has one per map type (kinds.c: rb_user_ring_ops for our own
 * rings, rb_bpf_ring_ops for a kernel BPF_MAP_TYPE_RINGBUF map). Set once
 * when the ring is mapped and never changed; every op is called at most
 * once per call of the public function, never per record. What is read
 * per record (the decoder, reserve) asks rb_is_user() instead.
 */
struct rb_ring_ops {
	const char *name;
	/* The consume loop (consume.c): deliver up to n records. */
	int (*consume)(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
		       void *ctx, size_t n);
	/* The same in overwrite mode (RINGBUF_F_OVERWRITE, overwrite.c). */
	int (*consume_overwrite)(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n);
	/* Before sleeping on the fd (ringbuf_wait_prepare): 1 when records
	 * are there, 0 when a wakeup is armed; the fd a consumer sleeps on
	 * (ringbuf_fd), and emptying it after a wakeup. */
	int (*wait_prepare)(struct ringbuf *rb);
	int (*wake_fd)(const struct ringbuf *rb);
	void (*drain_wake)(struct ringbuf *rb);
	/* ringbuf_id: what names this ring for as long as it exists. */
	void (*id)(const struct ringbuf *rb, uint8_t id[RINGBUF_ID_SZ]);
	/* ringbuf_free: give back what the handle holds in the ring (its
	 * producer slot, the consumer claim). */
	void (*detach)(struct ringbuf *rb);
};
extern RB_HIDDEN const struct rb_ring_ops rb_user_ring_ops, rb_bpf_ring_ops;

/* An idle policy (idle.c) and where the current idle spell stands.
 * Consumer-private: one per ring handle, one per manager. */
struct rb_idle {
	uint32_t policy;           /* RINGBUF_IDLE_* */
	uint32_t spin_ns, spin_us, yield_us, park_max_us;
	uint32_t park_us;          /* the next sleep, doubling */
	uint64_t since_ns;         /* the spell started (0: none) */
	uint64_t last_ns;          /* the last wait of the spell ended */
};

struct ringbuf {
	/* Read-only after creation; read by every producer. */
	uint8_t *data;             /* data area, mapped twice back to back */
	uint64_t *consumer_pos;    /* consumer page +0 */
	uint32_t *cons_waiting;    /* consumer page +8 (user rings only) */
	uint64_t *producer_pos;    /* producer page +0 */
	uint64_t *pending_pos;     /* producer page +8 */
	uint64_t *overwrite_pos;   /* producer page +16 */
	struct ringbuf_meta *meta; /* user rings only: rb_is_user() */
	uint64_t size;             /* data bytes, power of two */
	uint64_t mask;             /* size - 1 */
	uint32_t flags;            /* RINGBUF_F_* */
	uint32_t page_shift;
	uint32_t pg_off_base;      /* pg_off of data page 0 */
	uint32_t owner_slot;       /* our stamp, slot | gen << 8, put in BUSY headers */
	uint32_t slot_pid;         /* the process owner_slot was taken for (live.c) */
	uint32_t claim_pid;        /* the process that took the consumer claim, or 0 */
	int slotless;              /* we hold the slotless producers' read lock */
	const struct rb_ring_ops *ops; /* the ring's kind; NULL until mapped */
	int role;                  /* RINGBUF_PRODUCER | RINGBUF_CONSUMER, or RINGBUF_OBSERVER */
	int wake_wfd;              /* producers write here to wake (-1: none) */
	int wake_rfd;              /* the consumer's readable fd (ringbuf_fd) */

	/* The mapping. */
	void *map_base;            /* meta page (user) / consumer page (bpf) */
	size_t map_len;
	void *map2_base;           /* second mapping (kernel rings), or NULL */
	size_t map2_len;
	int fd;                    /* memfd, shm or file fd; map fd for bpf */
	char *name;                /* named rings: as given */

	/* Consumer-private state. */
	uint64_t stuck_pos;        /* position the consumer last stopped at */
	uint64_t stuck_since_ns;   /* when it first stopped there */
	uint32_t idle_peeks;       /* consume calls that found the ring idle */
	uint64_t last_prod;        /* producer_pos when the consumer last read it */
	uint64_t stuck_seen_ns;    /* the last look at stuck_pos (stall stats) */
	struct ringbuf_stats local_stats; /* stats of rings without a meta page */
	void *copy_buf;            /* overwrite mode: private record copy */
	size_t copy_cap;
	uint64_t hold_pos;         /* hold mode: next record to read (hold.c) */
	int holding;               /* hold_pos is ahead of consumer_pos */
	uint32_t bpf_map_id;       /* kernel rings: the map's id (ringbuf_id) */
	struct rb_idle idle;       /* ringbuf_consume's idle policy */

	/* Producer-shared, on a line of its own: consumer_pos as some
	 * producer of this handle last read it [P1], so a reservation reads
	 * the consumer's line only when this copy says the ring is full. */
	uint8_t pad_cached[64];
	uint64_t cached_cons;
	uint8_t pad_cached_end[56];
};

/* A user ring, one of ours: its memory follows ringbuf_format.h (a meta
 * page, free space kept zero, BUSY headers stamped with a producer slot,
 * pg_off checked, producers of our own, dead producers recovered), where a
 * kernel BPF ring's follows the kernel's. Only user rings have a meta
 * page. The one kind test outside the ops tables: for what is read per
 * record (record.h, reserve) and where an op would only return this bit. */
static inline int rb_is_user(const struct ringbuf *rb)
{
	return rb->meta != NULL;
}

static inline uint64_t rb_round_up_hdr(uint64_t len)
{
	return (len + RINGBUF_HDR_SZ + 7) & ~7ULL;
}

/* Header word helpers: the 8-byte header read or written as one u64,
 * len in the low half, pg_off in the high half (little-endian layout of
 * struct { u32 len; u32 pg_off; }). */
static inline uint64_t *rb_hdr_at(const struct ringbuf *rb, uint64_t pos)
{
	return (uint64_t *)(void *)(rb->data + (pos & rb->mask));
}
static inline uint32_t rb_hdr_len(uint64_t w) { return (uint32_t)w; }
static inline uint32_t rb_hdr_pgoff(uint64_t w) { return (uint32_t)(w >> 32); }
static inline uint64_t rb_hdr_make(uint32_t len, uint32_t pg_off)
{
	return (uint64_t)len | ((uint64_t)pg_off << 32);
}
static inline uint32_t rb_pgoff_of(const struct ringbuf *rb, uint64_t pos)
{
	return rb->pg_off_base + (uint32_t)((pos & rb->mask) >> rb->page_shift);
}

/*
 * A source of the consumer manager (manager.c). User rings and kernel BPF
 * rings are sources through rb_ring_source_new(); ftrace.c makes its own.
 * The manager registers `fd` in its epoll (EPOLLIN) and calls the ops.
 */
struct rb_source;
struct rb_source_ops {
	/* Deliver up to n records/events to the source's callback. Returns
	 * the number delivered or a negative errno (a callback's error as is). */
	int (*consume)(struct rb_source *s, size_t n);
	/* Arm the wakeup: 1 when data is already there, 0 when it is safe to
	 * sleep in epoll on fd. */
	int (*prepare_wait)(struct rb_source *s);
	/* After epoll reported fd readable: drain it, fetch new data. */
	void (*after_wake)(struct rb_source *s);
	/* The longest the manager may sleep before calling consume again, in
	 * ms, or -1 for no limit (a ring stopped at a BUSY record needs to be
	 * looked at again for dead-producer recovery). */
	int (*max_sleep_ms)(struct rb_source *s);
	void (*destroy)(struct rb_source *s);
};
struct rb_source {
	const struct rb_source_ops *ops;
	int fd;
	struct ringbuf *rb;         /* ring sources; NULL otherwise */
	int owns_rb;                /* free rb with the source (add_bpf) */
	ringbuf_sample_fn fn;
	void *ctx;
};
RB_HIDDEN int rb_consumer_add_source(struct ringbuf_consumer *c, struct rb_source *src);

/* idle.c — idle policies (ringbuf_set_idle). */
RB_HIDDEN void rb_idle_init(struct rb_idle *idle);
RB_HIDDEN int rb_idle_set(struct rb_idle *idle, const struct ringbuf_idle_opts *opts);
/* A consume found nothing: wait as the policy says. 0 when the policy is
 * RINGBUF_IDLE_NONE (do not look again), 1 after a wait. */
RB_HIDDEN int rb_idle_wait(struct rb_idle *idle);
/* A consume delivered something: the idle spell is over. */
static inline void rb_idle_end(struct rb_idle *idle) { idle->since_ns = 0; }

/* ring.c — the handle and its mapping. */
RB_HIDDEN int rb_map_fd(struct ringbuf *rb, int fd, uint64_t size, int writable);
/* posix_fallocate the whole file: 0, or -ENOSPC (and other errors) now
 * rather than SIGBUS at first touch. */
RB_HIDDEN int rb_reserve_space(int fd, uint64_t len);
RB_HIDDEN void rb_init_meta(struct ringbuf *rb, const struct ringbuf_opts *opts);
/* An anonymous ring; opts checked and complete (ringbuf_create, named.c).
 * 0 and the ring in *out, or a negative errno. */
RB_HIDDEN int rb_create_anon(size_t size, const struct ringbuf_opts *opts, struct ringbuf **out);
/* A handle with nothing open yet; NULL: out of memory (ENOMEM). */
RB_HIDDEN struct ringbuf *rb_alloc(void);

/* produce.c — producers: reserve, commit, and the wakeup. */
RB_HIDDEN void rb_wake(struct ringbuf *rb);

/* named.c — named rings: creation and attach; rb_create makes every ring
 * (ringbuf_create), rb_open and rb_unlink are ringbuf_open_opts and
 * ringbuf_unlink inside the library. 0 (the ring in *out) or -errno.
 * names.c — the files beside a ring: rb_open_wake_writer. */
RB_HIDDEN int rb_create(const char *name, size_t size, const struct ringbuf_opts *opts,
			struct ringbuf **out);
RB_HIDDEN int rb_open(const char *name, int role, const struct ringbuf_opts *opts,
		      struct ringbuf **out);
RB_HIDDEN int rb_unlink(const char *name);
/* Open the wake FIFO for writing when it was not there at open time. */
RB_HIDDEN int rb_open_wake_writer(struct ringbuf *rb);

/* live.c — slots, the claim and liveness, by open-file-description locks
 * on the ring file (ringbuf_format.h RINGBUF_LOCK_*). */
RB_HIDDEN void rb_detach_named(struct ringbuf *rb); /* every user ring */
/* Register a producer slot and/or claim the consumer for a mapped user ring
 * (anonymous rings too). Negative errno (-EBUSY: a live consumer holds it). */
RB_HIDDEN int rb_attach_roles(struct ringbuf *rb, int role);
/* This process's pid, refreshed in fork children (pthread_atfork). A ring
 * whose slot_pid differs was inherited through fork: take a slot of our own
 * (on a description of our own) before stamping headers, or a dead child
 * would look alive. */
extern RB_HIDDEN uint32_t rb_self_pid;
RB_HIDDEN void rb_reslot(struct ringbuf *rb);
/* Is the owner of a BUSY stamp (or a reclaim holder's stamp) alive? 1 yes
 * or cannot tell, 0 provably gone, -1 not a stamp (no such slot). */
RB_HIDDEN int rb_stamp_alive(struct ringbuf *rb, uint32_t stamp);
/* Did some producer die without detaching (zero-gap recovery may act)? */
RB_HIDDEN int rb_unclean_exit_seen(struct ringbuf *rb);
RB_HIDDEN int rb_lock_try(int fd, uint64_t byte, short type);
RB_HIDDEN void rb_lock_drop(int fd, uint64_t byte);
RB_HIDDEN int rb_lock_held(int fd, uint64_t byte, short type);
/* The object under a ring name, for files that live beside rings (the
 * header of a sharded object): reached like the ring itself, through the
 * directory's fd, never through a symbolic link. fd or negative errno
 * (with a detail). */
RB_HIDDEN int rb_named_obj_open(const char *name, int flags, mode_t mode);
/* Remove that object, only while the name still is the file behind fd. */
RB_HIDDEN int rb_named_obj_unlink(const char *name, int fd);

/* bpf.c — ringbuf_open_bpf inside the library: 0 (the ring in *out) or
 * -errno. */
RB_HIDDEN int rb_bpf_open(int map_fd, struct ringbuf **out);
/* bpf.c — every BPF_MAP_TYPE_RINGBUF inside an ARRAY_OF_MAPS/HASH_OF_MAPS,
 * opened with ringbuf_open_bpf; *rings is malloc'ed. Count or -errno. */
RB_HIDDEN int rb_bpf_open_inner_rings(int outer_fd, struct ringbuf ***rings);

/* consume.c — the consume loops: rb_consume_loop calls the ring kind's
 * (rb_consume_user, rb_consume_kernel; or its consume_overwrite). */
RB_HIDDEN int rb_consume(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n);
RB_HIDDEN int rb_consume_loop(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
			      void *ctx, size_t n);
RB_HIDDEN int rb_consume_user(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
			      void *ctx, size_t n);
RB_HIDDEN int rb_consume_kernel(struct ringbuf *rb, ringbuf_sample_fn fn, ringbuf_hold_fn hfn,
				void *ctx, size_t n);
RB_HIDDEN int rb_has_data(struct ringbuf *rb);
RB_HIDDEN int rb_wait_prepare_user(struct ringbuf *rb);
/* After the ring's fd was readable: empty it (the kind's drain_wake). */
static inline void rb_drain_wake(struct ringbuf *rb)
{
	rb->ops->drain_wake(rb);
}

/* Where the consumer reads next: its hold cursor while it holds records,
 * else consumer_pos. */
static inline uint64_t rb_read_cursor(const struct ringbuf *rb)
{
	return rb->holding ? rb->hold_pos : rb_load_relaxed(rb->consumer_pos);
}

/* release.c — handing space back. Zero [from, to) when zero (user rings)
 * and publish consumer_pos = to [C3]; rb_release_space zeroes by kind. */
RB_HIDDEN void rb_release_range(struct ringbuf *rb, uint64_t from, uint64_t to, int zero);
RB_HIDDEN void rb_release_space(struct ringbuf *rb, uint64_t from, uint64_t to);
/* A new consumer finishes a release its killed predecessor left half done. */
RB_HIDDEN void rb_release_repair(struct ringbuf *rb);

/* stats.c — counters and the end of every consume loop. */
RB_HIDDEN int rb_consume_result(struct ringbuf *rb, size_t cnt, uint64_t bytes,
				uint64_t discarded, int ret);
RB_HIDDEN void rb_stat_add(struct ringbuf *rb, size_t field_off, uint64_t v);
RB_HIDDEN void rb_stat_own(struct ringbuf *rb, size_t field_off, uint64_t v);
#define RB_STAT(rb, field, v) rb_stat_add((rb), offsetof(struct ringbuf_stats, field), (v))

/* overwrite.c — overwrite mode (RINGBUF_F_OVERWRITE). */
RB_HIDDEN int rb_overwrite_make_room(struct ringbuf *rb, uint64_t prod, uint64_t len);
RB_HIDDEN int rb_consume_overwrite(struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx, size_t n);

/* recover.c — a consumer stopped at a record not yet committed, and dead
 * producers. rb_stopped_at: the consumer is stopped at cons (every consume
 * loop calls it); it runs the "stuck since" clock (rb_stuck_clock) and,
 * past recover_ms, rb_recover_stuck. Both return 1 when the record at cons
 * was recovered (its header now says DISCARD), 0 otherwise. */
RB_HIDDEN int rb_stopped_at(struct ringbuf *rb, uint64_t cons, uint64_t prod);
RB_HIDDEN int rb_stuck_clock(struct ringbuf *rb, uint64_t cons, uint64_t now);
RB_HIDDEN int rb_recover_stuck(struct ringbuf *rb, uint64_t cons, uint64_t prod, int force);
/* Overwrite's reclaim needs the space of the record at pos (ending by
 * limit): 1 when it was BUSY with a dead owner and is now a DISCARD. */
RB_HIDDEN int rb_recover_dead_busy(struct ringbuf *rb, uint64_t pos, uint64_t limit);
/* The longest a consumer may sleep before looking again, in ms, because the
 * ring is stopped at a record not yet committed (recover_ms / 2), or -1. */
RB_HIDDEN int rb_recover_wait_ms(struct ringbuf *rb);

/* util.c — named points where tests stop or kill a producer on purpose:
 * RINGBUF_TESTPOINT="reserve:header=kill" (or =stop, =sleep:MS; "=kill@N" acts
 * on the Nth hit only). Armed only
 * when that variable is set at load time; otherwise one predictable branch. */
extern RB_HIDDEN int rb_testpoints_armed;
RB_HIDDEN void rb_testpoint_hit(const char *name);
#define rb_testpoint(name) \
	do { if (rb_unlikely(rb_testpoints_armed)) rb_testpoint_hit(name); } while (0)

/* util.c — errors (docs/DESIGN.md §14, "Errors"). Internal functions
 * report a failure by returning a negative errno (a constructor: 0 or
 * -errno, the object through an out parameter) and never set errno; the
 * one that knows why writes the thread's detail (ringbuf_strerror_detail())
 * with rb_detail, which returns -err. A public function clears the detail
 * on entry (rb_clear_detail) and leaves through one of the boundary
 * helpers: rb_api_ret (int) or rb_api_ptr (pointer), which set errno on
 * failure and clear the detail on success, so a detail always belongs to
 * the latest failure or is "". */
RB_HIDDEN int rb_detail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add to the detail already written (": not removed"). */
RB_HIDDEN void rb_detail_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RB_HIDDEN int rb_api_ret(int ret);
RB_HIDDEN void *rb_api_ptr(int ret, void *obj);
extern RB_HIDDEN __thread char rb_err_detail[256];
static inline void rb_clear_detail(void) { rb_err_detail[0] = 0; }
/* A clean-up after a failure calls functions that write their own detail
 * when they fail too: keep the failure's. */
struct rb_detail_copy { char text[sizeof(rb_err_detail)]; };
static inline void rb_detail_save(struct rb_detail_copy *c)
{
	memcpy(c->text, rb_err_detail, sizeof(c->text));
}
static inline void rb_detail_restore(const struct rb_detail_copy *c)
{
	memcpy(rb_err_detail, c->text, sizeof(rb_err_detail));
}
/* Copy a caller's options struct (first field size_t sz) into dst, of the
 * library's own size dst_sz (libbpf's convention): fields past the caller's
 * sz read as zero; sz below sizeof(size_t), or a non-zero byte past dst_sz,
 * is -EINVAL with a detail naming `what`. src NULL: all zero. dst->sz is
 * set to dst_sz. */
RB_HIDDEN int rb_opts_copy(void *dst, size_t dst_sz, const void *src, const char *what);

/* util.c */
RB_HIDDEN uint64_t rb_now_ns(void);
/* 64 random bits (getrandom; the clock and pid when it fails). */
RB_HIDDEN uint64_t rb_random_u64(void);

#endif /* RB_INTERNAL_H */
