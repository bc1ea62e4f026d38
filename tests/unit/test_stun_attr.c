/* SPDX-License-Identifier: ISC */
/*
 * Typed attribute codecs, decoded and re-encoded. The XOR-PEER-ADDRESS
 * table holds addresses of the peer deny list (docs/security.md) in every
 * IPv4-in-IPv6 form, encoded by hand with RFC 8489 §14.2 for the TID T.
 */
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "tap.h"

static const uint8_t T[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae };

static const struct { const char *peer, *hex; } peers[] = {
	{ "127.0.0.1:80", "00120008000121425e12a443" },
	{ "0.0.0.0:22", "00120008000121042112a442" },
	{ "10.0.0.1:6379", "00120008000139f92b12a443" },
	{ "100.64.0.1:80", "00120008000121424552a443" },
	{ "169.254.169.254:80", "001200080001214288ec0dbc" },
	{ "192.168.1.1:80", "0012000800012142e1baa543" },
	{ "224.0.0.1:5000", "001200080001329ac112a443" },
	{ "255.255.255.255:5000", "001200080001329adeed5bbd" },
	{ "100.100.100.200:80", "00120008000121424576c08a" },
	{ "168.63.129.16:80", "0012000800012142892d2552" },
	{ "[::1]:80", "00120014000221422112a442b7e7a701bc34d686fa87dfaf" },
	{ "[::]:80", "00120014000221422112a442b7e7a701bc34d686fa87dfae" },
	{ "[::ffff:127.0.0.1]:80", "00120014000221422112a442b7e7a701bc3429798587dfaf" },
	{ "[::127.0.0.1]:80", "00120014000221422112a442b7e7a701bc34d6868587dfaf" },
	{ "[64:ff9b::7f00:1]:80", "001200140002214221765bd9b7e7a701bc34d6868587dfaf" },
	{ "[64:ff9b::a9fe:a9fe]:80", "001200140002214221765bd9b7e7a701bc34d68653797650" },
	{ "[2002:7f00:1::1]:80", "00120014000221420110db42b7e6a701bc34d686fa87dfaf" },
	{ "[2001:0:4136:e378:8000:63bf:80ff:fffe]:80",
	  "00120014000221420113a442f6d144793c34b5397a782050" },
	{ "[fd00:ec2::254]:80", "0012001400022142dc12aa80b7e7a701bc34d686fa87ddfa" },
	{ "[fe80::1]:80", "0012001400022142df92a442b7e7a701bc34d686fa87dfaf" },
	{ "[ff02::1]:80", "0012001400022142de10a442b7e7a701bc34d686fa87dfaf" },
	{ "[::ffff:169.254.169.254]:80", "00120014000221422112a442b7e7a701bc34297953797650" },
};

static struct stun_attr
attr_of(const uint8_t *p)
{
	struct stun_attr a = { buf_get_u16(p), buf_get_u16(p + 2), p + 4 };
	return a;
}

static void
test_xor_peer(void)
{
	uint8_t want[32], msg[64];
	struct stun_builder b;
	struct stun_attr a;
	struct addr x, y;
	size_t i;
	long n;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		n = tap_unhex(peers[i].hex, want, sizeof(want));
		addr_parse(&y, peers[i].peer, 0);
		a = attr_of(want);
		ok(stun_attr_xor_addr(&a, T, &x) == 0 && addr_equal(&x, &y, true),
		    "decode XOR-PEER-ADDRESS %s", peers[i].peer);
		stun_builder_init(&b, msg, sizeof(msg), STUN_CREATE_PERMISSION,
		    STUN_REQUEST, T);
		stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &y);
		ok(stun_builder_finish(&b) == 20 + (size_t)n &&
		    memcmp(msg + 20, want, (size_t)n) == 0,
		    "encode XOR-PEER-ADDRESS %s", peers[i].peer);
	}
}

static void
test_addr_errors(void)
{
	uint8_t v[20] = { 0, 1, 0x12, 0x34, 192, 0, 2, 1 };
	struct stun_attr a = { STUN_ATTR_MAPPED_ADDRESS, 8, v };
	struct addr x, y;
	uint8_t msg[64];
	struct stun_builder b;

	addr_parse(&y, "192.0.2.1:4660", 0);
	ok(stun_attr_addr(&a, &x) == 0 && addr_equal(&x, &y, true),
	    "MAPPED-ADDRESS v4");
	stun_builder_init(&b, msg, sizeof(msg), STUN_BINDING, STUN_SUCCESS, T);
	stun_add_addr(&b, STUN_ATTR_MAPPED_ADDRESS, &y);
	ok(stun_builder_finish(&b) == 32 && memcmp(msg + 24, v, 8) == 0,
	    "MAPPED-ADDRESS encodes");
	v[0] = 0xFF;
	ok(stun_attr_addr(&a, &x) == 0, "reserved byte ignored");
	a.len = 7;
	is_int(stun_attr_addr(&a, &x), -1, "v4 of 7 bytes");
	a.len = 20;
	is_int(stun_attr_addr(&a, &x), -1, "family 1 with 20 bytes");
	v[1] = 2;
	ok(stun_attr_addr(&a, &x) == 0 && addr_family(&x) == AF_INET6,
	    "family 2 with 20 bytes");
	a.len = 8;
	is_int(stun_attr_xor_addr(&a, T, &x), -1, "family 2 with 8 bytes");
	v[1] = 3;
	a.len = 8;
	is_int(stun_attr_xor_addr(&a, T, &x), -1, "family 3");
	is_int(stun_attr_xor_addr(NULL, T, &x), -1, "absent");
}

static void
test_scalars(void)
{
	uint8_t v[8] = { 0x40, 0x01, 0xAB, 0xCD };
	struct stun_attr a = { STUN_ATTR_CHANNEL_NUMBER, 4, v };
	uint16_t ch;
	uint32_t u;
	uint8_t u8;
	bool r;

	ok(stun_attr_channel(&a, &ch) == 0 && ch == 0x4001, "CHANNEL-NUMBER, RFFU ignored");
	v[0] = 0x50;
	is_int(stun_attr_channel(&a, &ch), -1, "channel 0x5001 refused");
	ok(stun_attr_channel_max(&a, STUN_CHANNEL_MAX_RFC5766, &ch) == 0 &&
	    ch == 0x5001, "0x5001 in the RFC 5766 range");
	v[0] = 0x80;
	is_int(stun_attr_channel_max(&a, STUN_CHANNEL_MAX_RFC5766, &ch), -1,
	    "0x8001 never");
	v[0] = 0x3F;
	is_int(stun_attr_channel(&a, &ch), -1, "channel 0x3F01 refused");
	a.len = 2;
	is_int(stun_attr_channel(&a, &ch), -1, "CHANNEL-NUMBER of 2 bytes");
	a.len = 4;
	memcpy(v, "\x00\x00\x02\x58", 4);
	ok(stun_attr_u32(&a, &u) == 0 && u == 600, "LIFETIME 600");
	a.len = 5;
	is_int(stun_attr_u32(&a, &u), -1, "LIFETIME of 5 bytes");
	a.len = 4;
	memcpy(v, "\x11\xff\xff\xff", 4);
	ok(stun_attr_requested_transport(&a, &u8) == 0 && u8 == 17,
	    "REQUESTED-TRANSPORT UDP");
	memcpy(v, "\x02\x00\x00\x00", 4);
	ok(stun_attr_family(&a, &u8) == 0 && u8 == 2, "REQUESTED-ADDRESS-FAMILY v6");
	memcpy(v, "\x03\x00\x00\x00", 4);
	ok(stun_attr_family(&a, &u8) == 0 && u8 == 3, "family 3 left to the caller (440)");
	a.len = 3;
	is_int(stun_attr_family(&a, &u8), -1, "family of 3 bytes");
	is_int(stun_attr_requested_transport(&a, &u8), -1, "transport of 3 bytes");
	a.len = 1;
	v[0] = 0x80;
	ok(stun_attr_even_port(&a, &r) == 0 && r, "EVEN-PORT R=1");
	v[0] = 0x7F;
	ok(stun_attr_even_port(&a, &r) == 0 && !r, "EVEN-PORT R=0, RFFU ignored");
	a.len = 4;
	is_int(stun_attr_even_port(&a, &r), -1, "EVEN-PORT of 4 bytes");
}

static void
test_error_code(void)
{
	static const int codes[] = { 300, 400, 401, 403, 405, 420, 437, 438,
	    440, 441, 442, 443, 446, 447, 486, 487, 500, 508 };
	uint8_t msg[256], v[8] = { 0, 0, 7, 0 };
	struct stun_builder b;
	struct stun_msg m;
	struct stun_attr a = { STUN_ATTR_ERROR_CODE, 4, v };
	const uint8_t *r;
	size_t i, rl, n;
	int code;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		stun_builder_init(&b, msg, sizeof(msg), STUN_ALLOCATE, STUN_ERROR, T);
		stun_add_error(&b, codes[i]);
		n = stun_builder_finish(&b);
		ok(n > 0 && stun_decode(&m, msg, n) == STUN_OK &&
		    stun_attr_error(stun_msg_attr(&m, STUN_ATTR_ERROR_CODE),
		    &code, &r, &rl) == 0 && code == codes[i] &&
		    rl == strlen(stun_error_reason(codes[i])) && rl > 0 &&
		    memcmp(r, stun_error_reason(codes[i]), rl) == 0 &&
		    msg[26] == codes[i] / 100 && msg[27] == codes[i] % 100,
		    "ERROR-CODE %d \"%s\"", codes[i], stun_error_reason(codes[i]));
	}
	is_str(stun_error_reason(440), "Address Family not Supported", "440 phrase");
	is_str(stun_error_reason(401), "Unauthenticated", "401 phrase (RFC 8489)");
	is_str(stun_error_reason(499), "", "unknown code");
	is_int(stun_attr_error(&a, &code, &r, &rl), -1, "class 7 refused");
	v[2] = 4; v[3] = 100;
	is_int(stun_attr_error(&a, &code, &r, &rl), -1, "number 100 refused");
	v[2] = 0xF4; v[3] = 1;
	ok(stun_attr_error(&a, &code, &r, &rl) == 0 && code == 401 && rl == 0,
	    "reserved bits ignored, empty reason");
	a.len = 3;
	is_int(stun_attr_error(&a, &code, &r, &rl), -1, "ERROR-CODE of 3 bytes");
	stun_builder_init(&b, msg, sizeof(msg), STUN_ALLOCATE, STUN_ERROR, T);
	stun_add_error(&b, 700);
	is_int(stun_builder_finish(&b), 0, "code 700 not encodable");
}

static void
test_lists(void)
{
	uint8_t msg[128];
	uint16_t in[3] = { 0x7FFF, 0x0002, 0x0003 }, out[4];
	struct stun_pw_alg alg[4];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	struct stun_attr raw;
	uint8_t pw[] = { 0, 1, 0, 0, 0, 2, 0, 3, 9, 9, 9, 0 };

	stun_builder_init(&b, msg, sizeof(msg), STUN_BINDING, STUN_ERROR, T);
	stun_add_unknown(&b, in, 3);
	ok(stun_builder_finish(&b) == 32, "UNKNOWN-ATTRIBUTES of 3 padded to 8");
	ok(msg[30] == 0 && msg[31] == 0, "padding zero");
	is_int(stun_decode(&m, msg, 32), STUN_OK, "decodes");
	a = stun_msg_attr(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	ok(a && stun_attr_unknown_list(a, out, 4) == 3 && out[0] == 0x7FFF &&
	    out[1] == 2 && out[2] == 3, "unknown list round trip");
	is_int(stun_attr_unknown_list(a, out, 2), 2, "list bounded by cap");
	raw.type = STUN_ATTR_UNKNOWN_ATTRIBUTES;
	raw.len = 3;
	raw.val = msg + 24;
	is_int(stun_attr_unknown_list(&raw, out, 4), -1, "odd length refused");

	raw.type = STUN_ATTR_PASSWORD_ALGORITHMS;
	raw.len = sizeof(pw);
	raw.val = pw;
	ok(stun_attr_pw_algs(&raw, alg, 4) == 2 && alg[0].alg == 1 &&
	    alg[0].plen == 0 && alg[1].alg == 2 && alg[1].plen == 3 &&
	    alg[1].params == pw + 8, "PASSWORD-ALGORITHMS MD5, SHA-256(+3 params)");
	is_int(stun_attr_pw_algs(&raw, alg, 1), 1, "bounded by cap");
	raw.len = 10;
	is_int(stun_attr_pw_algs(&raw, alg, 4), -1, "params overrun");
	raw.len = 6;
	is_int(stun_attr_pw_algs(&raw, alg, 4), -1, "entry cut short");
	raw.len = 0;
	is_int(stun_attr_pw_algs(&raw, alg, 4), 0, "empty list");
}

static void
test_known(void)
{
	ok(!stun_attr_is_known(STUN_ATTR_RESPONSE_ADDRESS), "RESPONSE-ADDRESS unknown");
	ok(!stun_attr_is_known(0x7FFF), "0x7FFF unknown");
	ok(stun_attr_is_known(STUN_ATTR_XOR_PEER_ADDRESS), "XOR-PEER-ADDRESS known");
	ok(stun_attr_is_known(STUN_ATTR_PRIORITY), "PRIORITY known");
	ok(stun_attr_is_known(0xC000), "optional types never unknown");
	is_str(stun_attr_name(STUN_ATTR_XOR_MAPPED_ADDRESS), "XOR-MAPPED-ADDRESS", "name");
	is_str(stun_method_name(STUN_CHANNEL_BIND), "ChannelBind", "method name");
	is_str(stun_method_name(0x0FFF), "", "unknown method name");
}

int
main(void)
{
	test_xor_peer();
	test_addr_errors();
	test_scalars();
	test_error_code();
	test_lists();
	test_known();
	return tap_done();
}
