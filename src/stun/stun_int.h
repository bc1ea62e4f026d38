/* SPDX-License-Identifier: ISC */
/*
 * stun_int: declarations shared by the stun/ source files only.
 * Nothing here is part of the module's contract (see stun.h).
 */
#ifndef TERN_STUN_INT_H
#define TERN_STUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun/stun.h"

/* RFC 8656 §12: channel numbers 0x4000-0x4FFF; 0x5000-0xFFFF reserved. */
static inline bool
stun_channel_valid(uint16_t ch)
{
	return ch >= STUN_CHANNEL_MIN && ch <= STUN_CHANNEL_MAX;
}

/* Within max, which is STUN_CHANNEL_MAX or STUN_CHANNEL_MAX_RFC5766. */
static inline bool
stun_channel_in(uint16_t ch, uint16_t max)
{
	return ch >= STUN_CHANNEL_MIN && ch <= max;
}

/* A value length rounded up to the 4-byte boundary (§14). */
static inline size_t
stun_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/*
 * Appends an attribute header for vlen bytes with zeroed padding, updates
 * the header length, and returns where the value goes (NULL and b->err on
 * failure). Used by stun_encode.c and stun_integrity.c.
 */
uint8_t *stun_builder_reserve(struct stun_builder *b, uint16_t type,
    size_t vlen);

#endif
