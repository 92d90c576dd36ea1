/* SPDX-License-Identifier: MIT */
/*
 * The shared-memory format of a libringbuf user ring, as a wire format.
 * docs/FORMAT.md is the prose version; a program in another language can
 * read and write a ring from these two alone.
 *
 * All fields are native-endian, fixed width, at the offsets given; offsets
 * are from the start of the file (or the memfd of an anonymous ring). PAGE is
 * meta.page_size. The file is laid out like the kernel's struct bpf_ringbuf,
 * whose first page user space never sees, so record headers carry exactly the
 * pg_off values the kernel would give them:
 *
 *   0          meta page       struct ringbuf_meta (this library's own)
 *   PAGE       consumer page   u64 consumer_pos at 0 (kernel layout)
 *   2*PAGE     producer page   u64 producer_pos at 0, pending_pos at 8,
 *                              overwrite_pos at 16 (kernel layout)
 *   3*PAGE     data            data_size bytes; mapped twice back to back
 *
 * A record at position pos starts at data + (pos & (data_size - 1)):
 *   u32 len     payload length | BUSY (bit 31) | DISCARD (bit 30)
 *   u32 pg_off  committed: page offset of the header from the file start,
 *               (3*PAGE + (pos & mask)) / PAGE, as the kernel writes it;
 *               while BUSY: the owner's stamp, slot | gen << 8 (below)
 *   payload     len bytes, then padding to round_up(len + 8, 8)
 */
#ifndef RINGBUF_FORMAT_H
#define RINGBUF_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Record header (values equal the kernel's BPF_RINGBUF_*). */
#define RINGBUF_BUSY_BIT       (1U << 31)  /* len: still being written */
#define RINGBUF_DISCARD_BIT    (1U << 30)  /* len: dropped by its producer */
#define RINGBUF_HDR_SZ         8           /* u32 len + u32 pg_off */
#define RINGBUF_F_OVERWRITE    (1U << 19)  /* meta.flags: flight-recorder mode */

#define RINGBUF_MAGIC          0x31465542474e4952ULL /* "RINGBUF1" read as a little-endian u64 */
#define RINGBUF_FORMAT_VERSION 2   /* 2: liveness by open-file-description locks */
#define RINGBUF_META_PAGES     1   /* pages before the consumer page */
#define RINGBUF_POS_PAGES      2   /* consumer page + producer page */
#define RINGBUF_DATA_PGOFF     (RINGBUF_META_PAGES + RINGBUF_POS_PAGES)
#define RINGBUF_MAX_RECORD_SZ  (UINT32_MAX / 4)
#define RINGBUF_MAX_PRODUCERS  48

/* Offsets inside the consumer page. */
#define RINGBUF_CONS_POS_OFF     0
#define RINGBUF_CONS_WAITING_OFF 8   /* u32: consumer armed a wakeup (ours) */
#define RINGBUF_CONS_RELEASE_OFF 16  /* u64: the release in progress ends here */
#define RINGBUF_CONS_READ_POS_OFF 64 /* u64: overwrite mode: next record to read */

/* Offsets inside the producer page (kernel layout). */
#define RINGBUF_PROD_POS_OFF     0
#define RINGBUF_PENDING_POS_OFF  8
#define RINGBUF_OVER_POS_OFF     16

/*
 * Liveness (docs/FORMAT.md, "Liveness"): open-file-description locks
 * (fcntl F_OFD_SETLK) on single bytes of the ring file, far beyond its end.
 * The kernel drops them when the holder's last descriptor of that open file
 * closes, so a process that dies, however it dies, releases them; "held by
 * another description" (F_OFD_GETLK) is "alive", whatever /proc shows.
 */
#define RINGBUF_LOCK_BASE      (1ULL << 40)
#define RINGBUF_LOCK_CLAIM     (RINGBUF_LOCK_BASE + 0)  /* write lock: the consumer */
#define RINGBUF_LOCK_SLOTLESS  (RINGBUF_LOCK_BASE + 1)  /* read locks: producers without a slot */
#define RINGBUF_LOCK_SLOT(i)   (RINGBUF_LOCK_BASE + 64 + (i)) /* write lock: slot i (0-based) */

/* A stamp names one tenure of a producer slot: slot (1..48, 0 = no slot) in
 * the low 8 bits, the slot's generation (24 bits) above. BUSY headers carry
 * their owner's stamp; a stamp is alive while its slot's generation is
 * unchanged and its slot lock is held. */
#define RINGBUF_STAMP_SLOT(s)  ((s) & 0xffU)
#define RINGBUF_STAMP_GEN(s)   ((s) >> 8)
#define RINGBUF_GEN_MASK       0xffffffU
/* meta.reclaim_lock: 0 free, else the holder's stamp | HELD. */
#define RINGBUF_RECLAIM_HELD   0x80U

/* A producer slot (for dead-producer recovery). Taken by winning its lock. */
struct ringbuf_producer_slot {
	union {
		struct {
			uint32_t pid;   /* the owner's pid, as it saw itself; 0 after a
					 * clean detach (informational, never trusted) */
			uint32_t gen;   /* generation: +1 by every new owner */
		};
		uint64_t owner;
	};
	uint64_t __reserved0;    /* 0 */
	uint64_t records;        /* reserved (0) */
	uint64_t __reserved1;    /* 0 */
};

/* The meta page. Cache lines are split by who writes them. */
struct ringbuf_meta {
	/* line 0: written once at creation, read-only after */
	uint64_t magic;          /*  0 RINGBUF_MAGIC */
	uint32_t version;        /*  8 RINGBUF_FORMAT_VERSION */
	uint32_t meta_size;      /* 12 sizeof(struct ringbuf_meta) */
	uint32_t page_size;      /* 16 */
	uint32_t flags;          /* 20 RINGBUF_F_* */
	uint64_t data_size;      /* 24 power of two, multiple of page_size */
	uint32_t word_size;      /* 32 sizeof(long) of the creator: 8 */
	uint32_t mode;           /* 36 permissions asked for at creation */
	uint32_t recover_ms;     /* 40 dead-producer timeout */
	uint32_t __pad0;         /* 44 */
	uint64_t create_time_ns; /* 48 CLOCK_REALTIME */
	uint64_t ring_nonce;     /* 56 random at creation; with create_time_ns
				  * the ring's identity (ringbuf_id) */

	/* line 1: written by producers (atomic adds, rare paths only) */
	uint64_t dropped_records;   /* 64  */
	uint64_t wakeups;           /* 72  */
	uint64_t overwritten_records; /* 80 */
	uint64_t overwritten_bytes; /* 88  */
	uint32_t reclaim_lock;      /* 96  overwrite mode: stamp|HELD of the holder */
	uint32_t __pad2;            /* 100 */
	uint64_t reclaimed_pos;     /* 104 overwrite mode: zeroed up to here */
	uint64_t __pad3[2];         /* 112 */

	/* line 2: written by the consumer */
	uint64_t delivered_records; /* 128 */
	uint64_t delivered_bytes;   /* 136 */
	uint64_t discarded_records; /* 144 */
	uint64_t orphaned_records;  /* 152 */
	uint64_t corrupt_events;    /* 160 */
	uint32_t consumer_pid;      /* 168 the claim holder's pid as it saw itself,
				     * 0 after a clean detach (informational) */
	uint32_t __pad4;            /* 172 */
	uint64_t gaps_acked;        /* 176 zero gaps recovered on unclean exits */
	uint64_t __pad5;            /* 184 */

	/* lines 3..: producer slots, 32 bytes each */
	struct ringbuf_producer_slot producers[RINGBUF_MAX_PRODUCERS]; /* 192 */

	/* after the slots: written by producers, rarely */
	uint64_t unclean_exits;     /* 1728 slots inherited from an owner that never
				     * detached (it died) */
	uint32_t slotless_users;    /* 1736 producers attached without a slot */
	uint32_t __pad6;            /* 1740 */

	/* overwrite mode: the reclaim journal, written under reclaim_lock */
	uint64_t rj_cut;            /* 1744 read_pos the reclaim took records from */
	uint64_t rj_to;             /* 1752 ... up to here */
	uint64_t rj_base_records;   /* 1760 overwritten_records before it */
	uint64_t rj_base_bytes;     /* 1768 overwritten_bytes before it */
};

/*
 * The offsets above are the format: a compiler that lays the structs out
 * differently, or a change that moves a field, must not build.
 */
#ifdef __cplusplus
#define RINGBUF_STATIC_ASSERT static_assert
#else
#define RINGBUF_STATIC_ASSERT _Static_assert
#endif
#define RINGBUF_FORMAT_OFF(type, field, off) \
	RINGBUF_STATIC_ASSERT(offsetof(struct type, field) == (off), #type "." #field " is at " #off)
RINGBUF_FORMAT_OFF(ringbuf_producer_slot, owner, 0);
RINGBUF_FORMAT_OFF(ringbuf_producer_slot, pid, 0);
RINGBUF_FORMAT_OFF(ringbuf_producer_slot, gen, 4);
RINGBUF_FORMAT_OFF(ringbuf_producer_slot, records, 16);
RINGBUF_STATIC_ASSERT(sizeof(struct ringbuf_producer_slot) == 32, "a producer slot is 32 bytes");
RINGBUF_FORMAT_OFF(ringbuf_meta, magic, 0);
RINGBUF_FORMAT_OFF(ringbuf_meta, version, 8);
RINGBUF_FORMAT_OFF(ringbuf_meta, meta_size, 12);
RINGBUF_FORMAT_OFF(ringbuf_meta, page_size, 16);
RINGBUF_FORMAT_OFF(ringbuf_meta, flags, 20);
RINGBUF_FORMAT_OFF(ringbuf_meta, data_size, 24);
RINGBUF_FORMAT_OFF(ringbuf_meta, word_size, 32);
RINGBUF_FORMAT_OFF(ringbuf_meta, mode, 36);
RINGBUF_FORMAT_OFF(ringbuf_meta, recover_ms, 40);
RINGBUF_FORMAT_OFF(ringbuf_meta, create_time_ns, 48);
RINGBUF_FORMAT_OFF(ringbuf_meta, ring_nonce, 56);
RINGBUF_FORMAT_OFF(ringbuf_meta, dropped_records, 64);
RINGBUF_FORMAT_OFF(ringbuf_meta, wakeups, 72);
RINGBUF_FORMAT_OFF(ringbuf_meta, overwritten_records, 80);
RINGBUF_FORMAT_OFF(ringbuf_meta, overwritten_bytes, 88);
RINGBUF_FORMAT_OFF(ringbuf_meta, reclaim_lock, 96);
RINGBUF_FORMAT_OFF(ringbuf_meta, reclaimed_pos, 104);
RINGBUF_FORMAT_OFF(ringbuf_meta, delivered_records, 128);
RINGBUF_FORMAT_OFF(ringbuf_meta, delivered_bytes, 136);
RINGBUF_FORMAT_OFF(ringbuf_meta, discarded_records, 144);
RINGBUF_FORMAT_OFF(ringbuf_meta, orphaned_records, 152);
RINGBUF_FORMAT_OFF(ringbuf_meta, corrupt_events, 160);
RINGBUF_FORMAT_OFF(ringbuf_meta, consumer_pid, 168);
RINGBUF_FORMAT_OFF(ringbuf_meta, gaps_acked, 176);
RINGBUF_FORMAT_OFF(ringbuf_meta, producers, 192);
RINGBUF_FORMAT_OFF(ringbuf_meta, unclean_exits, 192 + 32 * RINGBUF_MAX_PRODUCERS);
RINGBUF_FORMAT_OFF(ringbuf_meta, slotless_users, 200 + 32 * RINGBUF_MAX_PRODUCERS);
RINGBUF_FORMAT_OFF(ringbuf_meta, rj_cut, 208 + 32 * RINGBUF_MAX_PRODUCERS);
RINGBUF_FORMAT_OFF(ringbuf_meta, rj_base_bytes, 232 + 32 * RINGBUF_MAX_PRODUCERS);
RINGBUF_STATIC_ASSERT(sizeof(struct ringbuf_meta) == 240 + 32 * RINGBUF_MAX_PRODUCERS,
	       "the meta page's size is part of the format");
RINGBUF_STATIC_ASSERT(RINGBUF_CONS_WAITING_OFF + 4 <= RINGBUF_CONS_RELEASE_OFF &&
	       RINGBUF_CONS_RELEASE_OFF + 8 <= RINGBUF_CONS_READ_POS_OFF &&
	       RINGBUF_CONS_READ_POS_OFF % 64 == 0,
	       "consumer-page fields do not overlap; read_pos has a line of its own");
RINGBUF_STATIC_ASSERT(RINGBUF_OVER_POS_OFF == 2 * 8 && RINGBUF_PENDING_POS_OFF == 8,
	       "producer page: the kernel's struct bpf_ringbuf order");
/* Fields are native-endian, but the magic is defined as the bytes "RINGBUF1"
 * and pg_off/len share one u64 load in the consumer: both assume little
 * endian, as every platform with BPF ring buffers that we build for is. */
RINGBUF_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the format's magic and header loads assume a little-endian host");

/*
 * A named sharded object (docs/FORMAT.md, "Sharded objects"): a small file
 * under the object's name holding this header, and one full ring per shard
 * named NAME.sN (N = 0, 1, ...). The magic is written last. Each shard's
 * meta.create_time_ns is copied into the u64 array after the header so that an opener
 * can tell the shards of this object from stale rings of the same names.
 */
#define RINGBUF_SHARDED_MAGIC   0x3144524148534252ULL /* "RBSHARD1" */
#define RINGBUF_SHARDED_VERSION 1
struct ringbuf_sharded_header {
	uint64_t magic;          /*  0 RINGBUF_SHARDED_MAGIC, written last */
	uint32_t version;        /*  8 RINGBUF_SHARDED_VERSION */
	uint32_t header_size;    /* 12 sizeof(header) + 8 * nshards */
	uint32_t nshards;        /* 16 1..RINGBUF_MAX_SHARDS */
	uint32_t flags;          /* 20 RINGBUF_SHARDED_F_* */
	uint64_t shard_size;     /* 24 data bytes of every shard */
	uint32_t shard_by;       /* 32 RINGBUF_SHARD_BY_* */
	uint32_t page_size;      /* 36 */
	/* 40: u64 shard_create_ns[nshards] follows */
};
RINGBUF_FORMAT_OFF(ringbuf_sharded_header, version, 8);
RINGBUF_FORMAT_OFF(ringbuf_sharded_header, nshards, 16);
RINGBUF_FORMAT_OFF(ringbuf_sharded_header, shard_size, 24);
RINGBUF_FORMAT_OFF(ringbuf_sharded_header, shard_by, 32);
RINGBUF_STATIC_ASSERT(sizeof(struct ringbuf_sharded_header) == 40, "the sharded header is 40 bytes");

#endif /* RINGBUF_FORMAT_H */
