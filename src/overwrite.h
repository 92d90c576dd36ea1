/* SPDX-License-Identifier: MIT */
/* Overwrite mode's shared-memory word read_pos, which overwrite.c moves
 * and consume.c reads (rb_has_data). Not installed. docs/DESIGN.md,
 * "Overwrite mode", explains the protocol; overwrite.c implements it. */
#ifndef RB_OVERWRITE_H
#define RB_OVERWRITE_H

#include "internal.h"

/* read_pos (RINGBUF_CONS_READ_POS_OFF in ringbuf_format.h; overwrite mode only): the next record the consumer will read.
 * The consumer takes a record by CASing it from the record's start to its
 * end [O6]; reclaim pushes it past records it overwrites [O4]. Whoever wins
 * the CAS owns the record's fate: delivered, or counted as overwritten.
 * Always read_pos >= overwrite_pos. */
/* Bit 0 of read_pos (positions are 8-aligned): a reclaim moved read_pos
 * and has not stored the count of the records it took yet. The consumer
 * keeps the bit when it moves read_pos; only a reclaim holder clears it. */
#define RB_READ_TAKEN 1ULL

static inline uint64_t *rb_read_pos(const struct ringbuf *rb)
{
	return (uint64_t *)(void *)((uint8_t *)rb->consumer_pos + RINGBUF_CONS_READ_POS_OFF);
}

#endif /* RB_OVERWRITE_H */
