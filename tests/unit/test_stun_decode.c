/* SPDX-License-Identifier: ISC */
/* stun_decode: the receive checks of RFC 8489 §5, §6.3, §9 and §14. */
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* Header for a message of method/class with attrs of alen bytes. */
static size_t
mk(uint8_t *p, uint16_t type, const uint8_t *attrs, size_t alen)
{
	buf_put_u16(p, type);
	buf_put_u16(p + 2, (uint16_t)alen);
	buf_put_u32(p + 4, STUN_MAGIC_COOKIE);
	memcpy(p + 8, tid, 12);
	if (alen > 0)
		memcpy(p + 20, attrs, alen);
	return 20 + alen;
}

static void
test_header(void)
{
	uint8_t p[256];
	struct stun_msg m;
	size_t n;

	n = mk(p, 0x0001, NULL, 0);
	is_int(stun_decode(&m, p, n), STUN_OK, "bare Binding request");
	ok(m.method == STUN_BINDING && m.cls == STUN_REQUEST && m.nattrs == 0 &&
	    memcmp(m.tid, tid, 12) == 0 && m.raw == p && m.raw_len == 20,
	    "fields filled");
	is_int(stun_decode(&m, p, 19), STUN_E_SHORT, "19 bytes: short");
	is_int(stun_decode(&m, NULL, 0), STUN_E_SHORT, "NULL: short");
	p[0] = 0x40;
	is_int(stun_decode(&m, p, n), STUN_E_TOP_BITS, "top bit 0x40");
	p[0] = 0x80;
	is_int(stun_decode(&m, p, n), STUN_E_TOP_BITS, "top bit 0x80");
	n = mk(p, 0x0001, (const uint8_t *)"\x80\x22\x00\x00", 4);
	is_int(stun_decode(&m, p, n), STUN_OK, "zero-length attribute is fine");
	buf_put_u16(p + 2, 3);
	is_int(stun_decode(&m, p, 23), STUN_E_LENGTH, "length 3 (not x4)");
	buf_put_u16(p + 2, 4);
	is_int(stun_decode(&m, p, n + 4), STUN_E_LENGTH, "datagram longer");
	is_int(stun_decode(&m, p, n - 4), STUN_E_LENGTH, "datagram shorter");

	/* RFC 3489: no cookie */
	n = mk(p, 0x0001, NULL, 0);
	buf_put_u32(p + 4, 0xdeadbeef);
	is_int(stun_decode(&m, p, n), STUN_OK, "RFC 3489 request decodes");
	ok(m.rfc3489 && memcmp(m.tid, p + 8, 12) == 0 &&
	    buf_get_u32(m.raw + 4) == 0xdeadbeef, "rfc3489 flag, 128-bit TID reachable");
}

static void
test_class(void)
{
	static const struct { uint16_t method; int cls; int want; } v[] = {
		{ STUN_BINDING, STUN_REQUEST, STUN_OK },
		{ STUN_BINDING, STUN_INDICATION, STUN_OK },
		{ STUN_BINDING, STUN_SUCCESS, STUN_OK },
		{ STUN_BINDING, STUN_ERROR, STUN_OK },
		{ STUN_ALLOCATE, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_ALLOCATE, STUN_REQUEST, STUN_OK },
		{ STUN_REFRESH, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_CREATE_PERMISSION, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_CHANNEL_BIND, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_CONNECT, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_CONNECTION_BIND, STUN_INDICATION, STUN_E_CLASS },
		{ STUN_SEND, STUN_REQUEST, STUN_E_CLASS },
		{ STUN_SEND, STUN_SUCCESS, STUN_E_CLASS },
		{ STUN_SEND, STUN_INDICATION, STUN_OK },
		{ STUN_DATA, STUN_ERROR, STUN_E_CLASS },
		{ STUN_DATA, STUN_INDICATION, STUN_OK },
		{ STUN_CONNECTION_ATTEMPT, STUN_REQUEST, STUN_E_CLASS },
		{ 0x0FFF, STUN_REQUEST, STUN_OK },
		{ 0x0FFF, STUN_INDICATION, STUN_OK },
	};
	uint8_t p[32];
	struct stun_msg m;
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = mk(p, stun_type(v[i].method, (enum stun_class)v[i].cls), NULL, 0);
		is_int(stun_decode(&m, p, n), v[i].want, "%s class %d",
		    stun_method_name(v[i].method), v[i].cls);
	}
	is_int(stun_type(STUN_ALLOCATE, STUN_ERROR), 0x0113, "Allocate error 0x0113");
	is_int(stun_type(STUN_CONNECTION_ATTEMPT, STUN_INDICATION), 0x001C,
	    "ConnectionAttempt indication 0x001C");
	is_int(stun_type(0xFFF, STUN_ERROR), 0x3FFF, "all bits");
	is_int(stun_type_method(0x3EEF), 0xFFF, "method from 0x3EEF");
	is_int(stun_type_class(0x0111), STUN_ERROR, "class from 0x0111");
	is_int(stun_type_method(stun_type(0xABC, STUN_SUCCESS)), 0xABC,
	    "method round trip");
}

static void
test_walk(void)
{
	uint8_t p[256], a[256];
	struct stun_msg m;
	size_t n, i;

	/* attribute header cut short */
	n = mk(p, 0x0001, (const uint8_t *)"\x80\x22\x00\x04\x41\x41\x41\x41"
	    "\x00\x06\x00\x04", 12);
	/* length 12: the last 4-byte header promises 4 more bytes */
	is_int(stun_decode(&m, p, n), STUN_E_ATTR_OVERRUN, "value overruns");
	/* value length that needs padding beyond the end */
	n = mk(p, 0x0001, (const uint8_t *)"\x00\x06\x00\x05\x61\x62\x63\x64", 8);
	is_int(stun_decode(&m, p, n), STUN_E_ATTR_OVERRUN, "padding overruns");
	n = mk(p, 0x0001, (const uint8_t *)"\x00\x06\xff\xff\x61\x62\x63\x64", 8);
	is_int(stun_decode(&m, p, n), STUN_E_ATTR_OVERRUN, "0xffff length");

	/* duplicates: first wins (§14) */
	n = mk(p, 0x0001, (const uint8_t *)"\x00\x06\x00\x01\x61\x00\x00\x00"
	    "\x00\x06\x00\x01\x62\x00\x00\x00", 16);
	is_int(stun_decode(&m, p, n), STUN_OK, "duplicate USERNAME decodes");
	ok(m.nattrs == 1 && stun_msg_attr(&m, STUN_ATTR_USERNAME)->val[0] == 'a',
	    "first occurrence wins");

	/* unknown comprehension-required vs optional (§6.3.1, §14) */
	n = mk(p, 0x0001, (const uint8_t *)"\x7f\xff\x00\x00\xff\xff\x00\x00"
	    "\x00\x02\x00\x00\x7f\xff\x00\x00", 16);
	is_int(stun_decode(&m, p, n), STUN_OK, "unknown types decode");
	ok(m.nunknown == 2 && m.unknown[0] == 0x7FFF &&
	    m.unknown[1] == STUN_ATTR_RESPONSE_ADDRESS,
	    "comprehension-required unknowns collected once, optional ignored");
	ok(stun_msg_attr(&m, 0xFFFF) != NULL, "optional unknown still indexed");

	/* too many distinct attributes */
	for (i = 0; i < STUN_MAX_ATTRS + 1; i++) {
		buf_put_u16(a + 4 * i, (uint16_t)(0x8100 + i));
		buf_put_u16(a + 4 * i + 2, 0);
	}
	n = mk(p, 0x0001, a, 4 * STUN_MAX_ATTRS);
	is_int(stun_decode(&m, p, n), STUN_OK, "STUN_MAX_ATTRS attributes fine");
	n = mk(p, 0x0001, a, 4 * (STUN_MAX_ATTRS + 1));
	is_int(stun_decode(&m, p, n), STUN_E_TOO_MANY_ATTRS, "one more refused");
	for (i = 0; i < STUN_MAX_UNKNOWN + 4; i++) {
		buf_put_u16(a + 4 * i, (uint16_t)(0x7000 + i));
		buf_put_u16(a + 4 * i + 2, 0);
	}
	n = mk(p, 0x0001, a, 4 * (STUN_MAX_UNKNOWN + 4));
	ok(stun_decode(&m, p, n) == STUN_OK && m.nunknown == STUN_MAX_UNKNOWN,
	    "unknown list is bounded");
}

static void
test_after_mi(void)
{
	uint8_t p[256], a[128];
	struct stun_msg m;
	size_t n, o = 0;

	memset(a, 0, sizeof(a));
	buf_put_u16(a, STUN_ATTR_MESSAGE_INTEGRITY);
	buf_put_u16(a + 2, 20);
	o = 24;
	buf_put_u16(a + o, STUN_ATTR_REQUESTED_TRANSPORT);
	buf_put_u16(a + o + 2, 4);
	o += 8;
	buf_put_u16(a + o, 0x7FFF);
	o += 4;
	buf_put_u16(a + o, STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	buf_put_u16(a + o + 2, 32);
	o += 36;
	buf_put_u16(a + o, STUN_ATTR_USERNAME);
	o += 4;
	n = mk(p, 0x0001, a, o);
	is_int(stun_decode(&m, p, n), STUN_OK, "MI, junk, MI-SHA256, junk");
	ok(m.mi_off == 20 && m.mi256_off == 20 + 36 &&
	    stun_msg_attr(&m, STUN_ATTR_REQUESTED_TRANSPORT) == NULL &&
	    stun_msg_attr(&m, STUN_ATTR_USERNAME) == NULL && m.nunknown == 0,
	    "after MI only MI-SHA256 counts (§9)");
	/* MI after MI-SHA256 is ignored */
	memset(a, 0, sizeof(a));
	buf_put_u16(a, STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	buf_put_u16(a + 2, 32);
	buf_put_u16(a + 36, STUN_ATTR_MESSAGE_INTEGRITY);
	buf_put_u16(a + 38, 20);
	n = mk(p, 0x0001, a, 60);
	ok(stun_decode(&m, p, n) == STUN_OK && m.mi256_off == 20 && m.mi_off == 0,
	    "after MI-SHA256 MI does not count");
}

static void
test_fingerprint(void)
{
	uint8_t p[64], a[16];
	struct stun_msg m;
	size_t n;

	buf_put_u16(a, STUN_ATTR_FINGERPRINT);
	buf_put_u16(a + 2, 4);
	n = mk(p, 0x0001, a, 8);
	buf_put_u32(p + 24, crypto_crc32(0, p, 20) ^ STUN_FINGERPRINT_XOR);
	is_int(stun_decode(&m, p, n), STUN_OK, "good FINGERPRINT");
	ok(m.fp_off == 20, "fp_off");
	ok(memcmp(p, "\x00\x01\x00\x08\x21\x12\xa4\x42", 8) == 0, "header");
	p[27] ^= 1;
	is_int(stun_decode(&m, p, n), STUN_E_FINGERPRINT, "bad FINGERPRINT (§14.7)");
	/* not last */
	buf_put_u16(a + 8, 0x8022);
	buf_put_u16(a + 10, 0);
	n = mk(p, 0x0001, a, 12);
	buf_put_u32(p + 24, crypto_crc32(0, p, 20) ^ STUN_FINGERPRINT_XOR);
	is_int(stun_decode(&m, p, n), STUN_E_FINGERPRINT, "FINGERPRINT not last");
	/* wrong size */
	buf_put_u16(a + 2, 8);
	n = mk(p, 0x0001, a, 12);
	is_int(stun_decode(&m, p, n), STUN_E_FINGERPRINT, "FINGERPRINT of 8 bytes");
	/* a bare Binding request with FINGERPRINT */
	n = (size_t)tap_unhex("000100082112a442b7e7a701bc34d686fa87dfae80280004fdf6ae02",
	    p, sizeof(p));
	is_int(stun_decode(&m, p, n), STUN_OK, "bare Binding + FINGERPRINT");
}

static void
test_channel(void)
{
	struct stun_channel_data cd;
	uint8_t p[16] = { 0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c', 0 };

	ok(stun_channel_decode(&cd, p, 7) == 0 && cd.channel == 0x4000 &&
	    cd.len == 3 && cd.data == p + 4, "ChannelData exact");
	ok(stun_channel_decode(&cd, p, 8) == 0 && cd.len == 3, "padding allowed on UDP");
	is_int(stun_channel_decode(&cd, p, 6), -1, "shorter than 4 + length");
	is_int(stun_channel_decode(&cd, p, 3), -1, "shorter than header");
	p[3] = 0;
	ok(stun_channel_decode(&cd, p, 4) == 0 && cd.len == 0, "empty ChannelData");
	p[0] = 0x4F; p[1] = 0xFF;
	ok(stun_channel_decode(&cd, p, 4) == 0 && cd.channel == 0x4FFF, "0x4FFF");
	p[0] = 0x50; p[1] = 0x00;
	is_int(stun_channel_decode(&cd, p, 4), -1, "0x5000 reserved");
	ok(stun_channel_decode_max(&cd, p, 4, STUN_CHANNEL_MAX_RFC5766) == 0 &&
	    cd.channel == 0x5000, "0x5000 in the RFC 5766 range");
	p[0] = 0x3F; p[1] = 0xFF;
	is_int(stun_channel_decode(&cd, p, 4), -1, "0x3FFF");
	p[0] = 0xFF;
	is_int(stun_channel_decode(&cd, p, 4), -1, "0xFFFF");
}

int
main(void)
{
	test_header();
	test_class();
	test_walk();
	test_after_mi();
	test_fingerprint();
	test_channel();
	return tap_done();
}
