/* SPDX-License-Identifier: ISC */
/* MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, built and checked. */
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const uint8_t T[12] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2 };
static const uint8_t K16[16] = "0123456789abcdef";
static const uint8_t K32[32] = "0123456789abcdef0123456789abcdef";

static size_t
build(uint8_t *msg, size_t cap, bool mi, bool mi256, bool fp)
{
	struct stun_builder b;

	stun_builder_init(&b, msg, cap, STUN_ALLOCATE, STUN_REQUEST, T);
	stun_add_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 0x11000000);
	stun_add(&b, STUN_ATTR_USERNAME, "alice", 5);
	if (mi)
		stun_add_integrity(&b, K16, sizeof(K16));
	if (mi256)
		stun_add_integrity_sha256(&b, K32, sizeof(K32));
	if (fp)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

static void
test_combinations(void)
{
	uint8_t msg[256];
	struct stun_msg m;
	unsigned c;
	size_t n;

	for (c = 0; c < 8; c++) {
		bool mi = c & 1, mi256 = c & 2, fp = c & 4;

		n = build(msg, sizeof(msg), mi, mi256, fp);
		if (!ok(n > 0 && stun_decode(&m, msg, n) == STUN_OK,
		    "MI=%d MI256=%d FP=%d decodes", mi, mi256, fp))
			continue;
		is_int(stun_check_integrity(&m, K16, 16), mi ? 1 : -1,
		    "MI result (%u)", c);
		is_int(stun_check_integrity_sha256(&m, K32, 32), mi256 ? 1 : -1,
		    "MI-SHA256 result (%u)", c);
		ok((m.fp_off != 0) == fp, "FINGERPRINT presence (%u)", c);
		if (mi)
			is_int(stun_check_integrity(&m, K32 + 1, 16), 0,
			    "MI with the wrong key (%u)", c);
		if (mi256)
			is_int(stun_check_integrity_sha256(&m, K16, 16), 0,
			    "MI-SHA256 with the wrong key (%u)", c);
	}
}

/* Checks a copy in a buffer of exactly n bytes, so that a check reading
 * past a short MAC is caught by ASan. */
static int
exact_check(const uint8_t *msg, size_t n, bool sha256)
{
	struct stun_msg m;
	uint8_t *p;
	int rc = -2;

	if ((p = malloc(n)) == NULL)
		return -2;
	memcpy(p, msg, n);
	if (stun_decode(&m, p, n) == STUN_OK)
		rc = sha256 ? stun_check_integrity_sha256(&m, K32, 32) :
		    stun_check_integrity(&m, K16, 16);
	free(p);
	return rc;
}

static void
test_lengths(void)
{
	uint8_t msg[256];
	struct stun_msg m;
	size_t n;

	/* MI length field as in §14.5: the header covers MI only */
	n = build(msg, sizeof(msg), true, false, true);
	ok(stun_decode(&m, msg, n) == STUN_OK && m.mi_off == 20 + 8 + 12,
	    "MI offset");
	ok(buf_get_u16(msg + m.mi_off + 2) == 20, "MI is 20 bytes");
	ok(buf_get_u16(msg + m.fp_off + 2) == 4 && m.fp_off + 8 == n,
	    "FINGERPRINT last and 4 bytes");
	/* a truncated or odd MI (length field rewritten) is invalid, not absent */
	n = build(msg, sizeof(msg), true, false, false);
	buf_put_u16(msg + 20 + 8 + 12 + 2, 16);
	buf_put_u16(msg + 2, (uint16_t)(n - 4 - 20));
	ok(exact_check(msg, n - 4, false) == 0, "16-byte MI refused");
	/* MI-SHA256 of 28 bytes */
	n = build(msg, sizeof(msg), false, true, false);
	buf_put_u16(msg + 20 + 8 + 12 + 2, 28);
	buf_put_u16(msg + 2, (uint16_t)(n - 4 - 20));
	ok(exact_check(msg, n - 4, true) == 0, "28-byte MI-SHA256 refused");
	/* the builder fails cleanly when the MAC does not fit */
	is_int(build(msg, 20 + 8 + 12 + 23, true, false, false), 0,
	    "MI does not fit");
	is_int(build(msg, 20 + 8 + 12 + 24 + 7, true, false, true), 0,
	    "FINGERPRINT does not fit");
}

static void
test_every_flip(void)
{
	uint8_t orig[256], msg[256];
	struct stun_msg m;
	size_t n, i, bad = 0;

	n = build(orig, sizeof(orig), true, true, false);
	for (i = 0; i < n; i++) {
		memcpy(msg, orig, n);
		msg[i] ^= 0x80;
		if (stun_decode(&m, msg, n) != STUN_OK)
			continue;
		if (stun_check_integrity(&m, K16, 16) == 1 &&
		    stun_check_integrity_sha256(&m, K32, 32) == 1)
			bad++;
	}
	is_int(bad, 0, "no single-byte flip keeps both MACs valid");
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_combinations();
	test_lengths();
	test_every_flip();
	return tap_done();
}
