/* SPDX-License-Identifier: ISC */
/* The message builder: layout, zero padding, bounds, replies. */
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const uint8_t T[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae };

static void
test_layout(void)
{
	uint8_t msg[128], want[64];
	struct stun_builder b;
	size_t n, i;
	long wn;

	memset(msg, 0xAA, sizeof(msg));
	stun_builder_init(&b, msg, sizeof(msg), STUN_BINDING, STUN_REQUEST, T);
	n = stun_builder_finish(&b);
	wn = tap_unhex("000100002112a442b7e7a701bc34d686fa87dfae", want, sizeof(want));
	ok(n == (size_t)wn && memcmp(msg, want, n) == 0, "bare Binding");

	stun_builder_init(&b, msg, sizeof(msg), STUN_BINDING, STUN_REQUEST, T);
	stun_add_fingerprint(&b);
	n = stun_builder_finish(&b);
	wn = tap_unhex("000100082112a442b7e7a701bc34d686fa87dfae80280004fdf6ae02",
	    want, sizeof(want));
	ok(n == (size_t)wn && memcmp(msg, want, n) == 0,
	    "bare Binding with FINGERPRINT");

	memset(msg, 0xAA, sizeof(msg));
	stun_builder_init(&b, msg, sizeof(msg), STUN_ALLOCATE, STUN_SUCCESS, T);
	for (i = 0; i < 4; i++)
		stun_add(&b, STUN_ATTR_DATA, "xyz", i);
	n = stun_builder_finish(&b);
	is_int(n, 20 + 4 + 8 + 8 + 8, "DATA 0..3 bytes padded");
	ok(buf_get_u16(msg) == 0x0103 && buf_get_u16(msg + 2) == n - 20,
	    "type and length");
	ok(memcmp(msg + 20, "\x00\x13\x00\x00" "\x00\x13\x00\x01x\0\0\0"
	    "\x00\x13\x00\x02xy\0\0" "\x00\x13\x00\x03xyz\0", 28) == 0,
	    "every padding byte is zero (CVE-2020-4067)");
	stun_add_u32(&b, STUN_ATTR_LIFETIME, 600);
	n = stun_builder_finish(&b);
	ok(memcmp(msg + n - 8, "\x00\x0d\x00\x04\x00\x00\x02\x58", 8) == 0,
	    "LIFETIME u32");
}

static void
test_bounds(void)
{
	static uint8_t big[STUN_MAX_MSG + 64], src[65536];
	uint8_t msg[64];
	struct stun_builder b;

	stun_builder_init(&b, msg, 19, STUN_BINDING, STUN_REQUEST, T);
	ok(b.err && stun_builder_finish(&b) == 0, "cap < 20 fails");
	stun_builder_init(&b, msg, 31, STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_DATA, "abcdefgh", 8);
	ok(b.err && stun_builder_finish(&b) == 0, "attribute past cap fails");
	stun_add(&b, STUN_ATTR_DATA, "", 0);
	ok(b.err, "err is sticky");
	stun_builder_init(&b, msg, 32, STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_DATA, "abcdefgh", 8);
	is_int(stun_builder_finish(&b), 32, "exact fit");
	stun_builder_init(&b, msg, 27, STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_DATA, "abc", 1);
	is_int(stun_builder_finish(&b), 0, "padding counts against cap");
	stun_builder_init(&b, big, sizeof(big), STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_DATA, src, 65536);
	ok(b.err, "value over 65535 bytes refused");
	stun_builder_init(&b, big, sizeof(big), STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_DATA, src, 65532 - 4);
	is_int(stun_builder_finish(&b), STUN_MAX_MSG, "largest message");
	stun_add(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	ok(b.err, "message over 65532 bytes refused");
	stun_builder_init(&b, msg, sizeof(msg), 0x1000, STUN_REQUEST, T);
	ok(b.err, "method over 12 bits refused");
}

static void
test_reply(void)
{
	uint8_t req[64], msg[64];
	struct stun_builder b;
	struct stun_msg m;
	struct addr a;
	size_t n;

	stun_builder_init(&b, req, sizeof(req), STUN_REFRESH, STUN_REQUEST, T);
	n = stun_builder_finish(&b);
	ok(stun_decode(&m, req, n) == STUN_OK, "request");
	stun_builder_reply(&b, msg, sizeof(msg), &m, STUN_ERROR);
	ok(buf_get_u16(msg) == 0x0114 && memcmp(msg + 4, req + 4, 16) == 0,
	    "reply: same method and TID, error class");
	/* RFC 3489: bytes 4..7 copied back */
	buf_put_u32(req + 4, 0x01020304);
	ok(stun_decode(&m, req, n) == STUN_OK && m.rfc3489, "3489 request");
	stun_builder_reply(&b, msg, sizeof(msg), &m, STUN_SUCCESS);
	addr_parse(&a, "192.0.2.1:32853", 0);
	stun_add_addr(&b, STUN_ATTR_MAPPED_ADDRESS, &a);
	n = stun_builder_finish(&b);
	ok(n == 32 && memcmp(msg + 4, req + 4, 16) == 0 &&
	    memcmp(msg + 24, "\x00\x01\x80\x55\xc0\x00\x02\x01", 8) == 0,
	    "3489 reply: 128-bit TID echoed, MAPPED-ADDRESS");
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_layout();
	test_bounds();
	test_reply();
	return tap_done();
}
