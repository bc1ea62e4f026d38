/* SPDX-License-Identifier: ISC */
/* SipHash-2-4 (siphash.h), written from the algorithm's description. */
#include <endian.h>
#include <string.h>

#include "util/siphash.h"

#define SIP_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = SIP_ROTL(v[1], 13) ^ v[0];
	v[0] = SIP_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = SIP_ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = SIP_ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = SIP_ROTL(v[1], 17) ^ v[2];
	v[2] = SIP_ROTL(v[2], 32);
}

/* One message word: two compression rounds. */
static void
sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

/* The little-endian 64-bit word at p (any alignment). */
static inline uint64_t
sip_load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return le64toh(w);
}

uint64_t
siphash24(uint64_t k0, uint64_t k1, const void *p, size_t len)
{
	const uint8_t *b = p;
	const size_t whole = len & ~(size_t)7;
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL,
	    k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL };
	uint64_t m = 0;
	size_t i;

	/* Whole words are read as words: the tables hash a key on every
	 * relayed packet, and byte-wise assembly was most of its cost. */
	for (i = 0; i < whole; i += 8)
		sip_block(v, sip_load64(b + i));
	for (i = whole; i < len; i++)
		m |= (uint64_t)b[i] << (8 * (i - whole));
	/* the last word carries the length in its top byte */
	sip_block(v, m | (uint64_t)len << 56);
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
