/* SPDX-License-Identifier: ISC */
/* test_siphash: SipHash-2-4 (src/util/siphash.c) against the reference
 * vectors of the algorithm's paper: key 00..0f, messages 00..(n-1). */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "util/siphash.h"

static const uint64_t K0 = 0x0706050403020100ULL, K1 = 0x0f0e0d0c0b0a0908ULL;

int
main(void)
{
	uint8_t m[64], u[72];
	size_t i;

	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	is_int((long long)siphash24(K0, K1, m, 0),
	    (long long)0x726fdb47dd0e0e31ULL, "the empty message");
	is_int((long long)siphash24(K0, K1, m, 1),
	    (long long)0x74f839c593dc67fdULL, "one byte");
	is_int((long long)siphash24(K0, K1, m, 7),
	    (long long)0xab0200f58b01d137ULL, "seven bytes (a tail only)");
	is_int((long long)siphash24(K0, K1, m, 8),
	    (long long)0x93f5f5799a932462ULL, "eight bytes (one word)");
	is_int((long long)siphash24(K0, K1, m, 15),
	    (long long)0xa129ca6149be45e5ULL, "fifteen bytes");
	is_int((long long)siphash24(K0, K1, m, 16),
	    (long long)0x3f2acc7f57c29bdbULL, "sixteen bytes (two words)");
	ok(siphash24(K0 ^ 1, K1, m, 16) != siphash24(K0, K1, m, 16),
	    "another key, another hash");
	/* Words are loaded from any address: every length at every offset
	 * hashes as the same bytes at the start of the buffer. */
	for (i = 0; i < 8 * 41; i++) {
		const size_t off = i % 8, len = i / 8;

		memmove(u + off, m, len);
		if (siphash24(K0, K1, u + off, len) != siphash24(K0, K1, m, len))
			break;
	}
	ok(i == 8 * 41, "lengths 0..40 at offsets 0..7 hash alike (stopped at %zu)", i);
	return tap_done();
}
