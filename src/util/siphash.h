/* SPDX-License-Identifier: ISC */
/*
 * siphash: SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash of
 * the tables that remote parties choose the keys of (per-source budgets,
 * the user-key cache): with a random key an attacker cannot aim entries
 * at one bucket. Pure; 64-bit output. Not a MAC for messages: HMAC in
 * crypto.h is.
 */
#ifndef TERN_UTIL_SIPHASH_H
#define TERN_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes at p under the 128-bit key (k0, k1), k0 the
 * little-endian first half of the key. */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *p, size_t len);

#endif
