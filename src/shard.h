/* SPDX-License-Identifier: MIT */
/*
 * The sharded object (docs/DESIGN.md §13), shared by its four files, from
 * the bottom: shard_produce.c (choosing a shard; reserve, commit, keys),
 * shard_consume.c (consume, merge, stats), shard_named.c (the object: made,
 * freed, named header, create/open/unlink) and shard_source.c (one source
 * of the consumer manager; arrays of kernel rings). Not installed.
 */
#ifndef RB_SHARD_H
#define RB_SHARD_H

#include "internal.h"

#define KEY_SZ sizeof(uint64_t)
#define RB_LINE 64 /* cache line */

struct staged {
	uint64_t key;      /* effective key */
	size_t off;        /* in buf: the key, then the payload */
	uint32_t len;      /* payload bytes */
	uint32_t shard;
	uint64_t seq;      /* staging order: ties keep shard order */
};

struct ringbuf_sharded {
	struct ringbuf **shards;
	unsigned int n;
	uint32_t flags;         /* RINGBUF_SHARDED_F_* */
	uint32_t shard_by;      /* RINGBUF_SHARD_BY_* */
	int role;
	int epfd;               /* epoll over every shard's fd (manager) */
	uint64_t id;            /* unique in this process, never reused: the
				 * producers' per-thread cache names objects
				 * by it (shard_produce.c) */

	/* Everything above (and the shards array) is read by every producer
	 * and written only while the object is made. The consumer writes
	 * what follows on every call: lines of their own (the object and
	 * both arrays are allocated on line boundaries, see rb_shard_alloc),
	 * or each consume would pull the line producers read on every
	 * reservation away from them. */
	_Alignas(RB_LINE) unsigned int next; /* consume: the shard to start with */
	struct rb_idle idle;    /* ringbuf_sharded_consume's idle policy */

	/* Merge, consumer-private. */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	struct staged *st;
	size_t nst, st_cap, st_next;
	uint64_t *last_key;     /* per shard: last effective key */
	uint64_t seq;
};

/* shard_named.c: a zeroed object of n shards (the shards not made); NULL:
 * out of memory (ENOMEM). */
struct ringbuf_sharded *rb_shard_alloc(unsigned int n);

#endif
