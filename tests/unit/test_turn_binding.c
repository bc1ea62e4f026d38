/* SPDX-License-Identifier: ISC */
/* The Binding engine of turn.h (RFC 8489 §12 basic server). */
#include <string.h>

#include "stun/stun.h"
#include "turn/turn.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const uint8_t tid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae };

static uint8_t reply[1500];

static void
run(struct turn_engine *e, const char *client, const uint8_t *p, size_t n,
    struct turn_out *out)
{
	struct turn_tuple t;

	memset(&t, 0, sizeof(t));
	addr_parse(&t.client, client, 0);
	addr_parse(&t.local, "127.0.0.1:3478", 0);
	t.transport = TURN_UDP;
	memset(reply, 0xEE, sizeof(reply));
	out->buf = reply;
	out->cap = sizeof(reply);
	out->len = 12345;
	out->drop = TURN_DROP_COUNT;
	turn_engine_input(e, &t, p, n, 1000, out);
}

/* A request: method, class, optional extra attribute, optional FP. */
static size_t
req(uint8_t *buf, uint16_t method, enum stun_class cls, uint16_t extra,
    bool fp)
{
	struct stun_builder b;

	stun_builder_init(&b, buf, 512, method, cls, tid);
	if (extra != 0)
		stun_add_u32(&b, extra, 0);
	if (fp)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

static void
test_success(struct turn_engine *e)
{
	uint8_t p[512];
	struct turn_out out;
	struct stun_msg m;
	struct addr a;
	size_t n;
	char s[ADDR_STRLEN];
	uint8_t want4[32];

	n = req(p, STUN_BINDING, STUN_REQUEST, 0, false);
	is_int(n, 20, "bare Binding request is 20 bytes");
	run(e, "192.0.2.1:32853", p, n, &out);
	is_int(out.drop, TURN_DROP_NONE, "Binding answered");
	/* 0101 000c cookie tid | 0020 0008 0001 a147 e112a643 */
	tap_unhex("0101000c2112a442b7e7a701bc34d686fa87dfae"
	    "002000080001a147e112a643", want4, sizeof(want4));
	ok(out.len == 32 && memcmp(reply, want4, 32) == 0,
	    "IPv4 success bytes exact (XOR-MAPPED-ADDRESS only)");
	ok(out.len * 10 <= n * 22, "reply %zu <= 2.2 x request %zu", out.len, n);
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "reply decodes");
	ok(stun_msg_attr(&m, STUN_ATTR_SOFTWARE) == NULL, "no SOFTWARE by default");
	ok(m.fp_off == 0, "no FINGERPRINT when the request had none");

	run(e, "[2001:db8:1234:5678:11:2233:4455:6677]:32853", p, n, &out);
	is_int(out.len, 44, "IPv6 success is 44 bytes");
	ok(memcmp(reply + 20, "\x00\x20\x00\x14\x00\x02\xa1\x47\x01\x13\xa9\xfa"
	    "\xa5\xd3\xf1\x79\xbc\x25\xf4\xb5\xbe\xd2\xb9\xd9", 24) == 0,
	    "IPv6 XOR-MAPPED-ADDRESS bytes as in RFC 5769 §2.3");
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "IPv6 reply decodes");
	stun_attr_xor_addr(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
	    m.tid, &a);
	is_str(addr_str(&a, s, sizeof(s)),
	    "[2001:db8:1234:5678:11:2233:4455:6677]:32853", "decoded back");
	ok(out.len * 10 <= n * 22, "IPv6 reply %zu <= 2.2 x request %zu",
	    out.len, n);

	/* IPv4 through a dual-stack socket: reported as IPv4 */
	run(e, "[::ffff:192.0.2.1]:32853", p, n, &out);
	ok(out.len == 32 && memcmp(reply, want4, 32) == 0,
	    "v4-mapped client gets the IPv4 XOR-MAPPED-ADDRESS");

	n = req(p, STUN_BINDING, STUN_REQUEST, 0, true);
	run(e, "192.0.2.1:32853", p, n, &out);
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "FP reply decodes");
	ok(m.fp_off == 32 && out.len == 40, "FINGERPRINT echoed and verified");
	ok(memcmp(reply, "\x01\x01\x00\x14", 4) == 0, "length covers FP");
}

static void
test_software(void)
{
	struct turn_opts o = { .software = "tern 0.1" };
	struct turn_engine *e = turn_engine_new(&o);
	const struct stun_attr *sa;
	struct turn_out out;
	struct stun_msg m;
	uint8_t p[512];
	size_t n;

	ok(e != NULL, "engine with SOFTWARE");
	{
		static char longsw[800];
		struct turn_opts lo = { .software = longsw };
		memset(longsw, 'a', sizeof(longsw) - 1);
		ok(turn_engine_new(&lo) == NULL, "SOFTWARE over 763 bytes refused");
	}
	n = req(p, STUN_BINDING, STUN_REQUEST, 0, false);
	run(e, "192.0.2.1:1", p, n, &out);
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "decodes");
	sa = stun_msg_attr(&m, STUN_ATTR_SOFTWARE);
	ok(sa && sa->len == 8 && memcmp(sa->val, "tern 0.1", 8) == 0,
	    "SOFTWARE when configured");
	turn_engine_free(e);
}

static void
check_420(struct turn_engine *e, uint16_t type, bool fp)
{
	const struct stun_attr *ua;
	struct turn_out out;
	struct stun_msg m;
	uint8_t p[512];
	uint16_t list[4];
	int code;
	const uint8_t *r;
	size_t n, rl;

	n = req(p, STUN_BINDING, STUN_REQUEST, type, fp);
	run(e, "192.0.2.1:1", p, n, &out);
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "420 reply decodes");
	ok(m.cls == STUN_ERROR && m.method == STUN_BINDING &&
	    memcmp(m.tid, tid, 12) == 0, "error response, same TID");
	ok(stun_attr_error(stun_msg_attr(&m, STUN_ATTR_ERROR_CODE), &code,
	    &r, &rl) == 0 && code == 420 && rl == 17 &&
	    memcmp(r, "Unknown Attribute", 17) == 0, "420 Unknown Attribute");
	ua = stun_msg_attr(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	ok(stun_attr_unknown_list(ua, list, 4) == 1 && list[0] == type,
	    "UNKNOWN-ATTRIBUTES lists 0x%04x", type);
	ok((m.fp_off != 0) == fp, "FINGERPRINT iff the request had one (%d)", fp);
	ok(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS) == NULL,
	    "no mapped address in the 420");
}

static void
test_drops(struct turn_engine *e)
{
	uint8_t p[512];
	struct turn_out out;
	struct stun_msg m;
	size_t n;
	int code;
	const uint8_t *r;
	size_t rl;

	n = req(p, STUN_BINDING, STUN_INDICATION, 0, false);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_INDICATION,
	    "Binding indication: no reply");
	n = req(p, STUN_BINDING, STUN_SUCCESS, STUN_ATTR_XOR_MAPPED_ADDRESS, false);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_NOT_REQUEST, "response dropped");
	n = req(p, STUN_BINDING, STUN_ERROR, 0, false);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_NOT_REQUEST, "error response dropped");
	n = req(p, STUN_BINDING, STUN_REQUEST, 0, false);
	buf_put_u32(p + 4, 0x01020304);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_RFC3489, "RFC 3489 dropped");
	n = req(p, STUN_BINDING, STUN_REQUEST, 0, false);
	p[3] = 4;
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_MALFORMED, "bad length dropped");
	memcpy(p, "\x17\x03\x03\x00\x10garbagegarbage", 20);
	run(e, "192.0.2.1:1", p, 20, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_NOT_STUN, "TLS-looking garbage");
	memcpy(p, "\x50\x00\x00\x00", 4);
	run(e, "192.0.2.1:1", p, 4, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_NOT_STUN, "first byte 0x50 dropped");
	memcpy(p, "\x40\x00\x00\x00", 4);
	run(e, "192.0.2.1:1", p, 4, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_CHANNEL, "ChannelData dropped");
	run(e, "192.0.2.1:1", p, 0, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_NOT_STUN, "empty dropped");
	run(e, "192.0.2.1:1", (const uint8_t *)"\x00\x01\x00", 3, &out);
	ok(out.len == 0 && out.drop == TURN_DROP_MALFORMED, "short dropped");

	n = req(p, STUN_ALLOCATE, STUN_REQUEST, STUN_ATTR_REQUESTED_TRANSPORT, false);
	run(e, "192.0.2.1:1", p, n, &out);
	is_int(stun_decode(&m, reply, out.len), STUN_OK, "Allocate answered");
	ok(m.cls == STUN_ERROR && m.method == STUN_ALLOCATE &&
	    stun_attr_error(stun_msg_attr(&m, STUN_ATTR_ERROR_CODE), &code,
	    &r, &rl) == 0 && code == 400, "400 for Allocate (not served yet)");
	n = req(p, 0x0FF, STUN_REQUEST, 0, false);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(stun_decode(&m, reply, out.len) == STUN_OK && m.method == 0x0FF &&
	    stun_attr_error(stun_msg_attr(&m, STUN_ATTR_ERROR_CODE), &code,
	    &r, &rl) == 0 && code == 400, "400 for an unknown method");
	n = req(p, STUN_SEND, STUN_INDICATION, 0, false);
	run(e, "192.0.2.1:1", p, n, &out);
	ok(out.len == 0, "Send indication: no reply");

	/* a reply that does not fit is not sent */
	n = req(p, STUN_BINDING, STUN_REQUEST, 0, false);
	{
		struct turn_tuple t;
		memset(&t, 0, sizeof(t));
		addr_parse(&t.client, "192.0.2.1:1", 0);
		out.buf = reply;
		out.cap = 24;
		turn_engine_input(e, &t, p, n, 0, &out);
		ok(out.len == 0 && out.drop != TURN_DROP_NONE,
		    "no partial reply into a small buffer");
	}
	is_str(turn_drop_name(TURN_DROP_RFC3489), "rfc3489", "drop names");
	is_str(turn_drop_name(TURN_DROP_COUNT), "unknown", "drop name bound");
}

int
main(void)
{
	struct turn_opts o = { .software = NULL };
	struct turn_engine *e;

	if (crypto_init() != 0)
		return 1;
	e = turn_engine_new(&o);
	ok(e != NULL, "engine");
	test_success(e);
	test_software();
	check_420(e, 0x7FFF, false);
	check_420(e, 0x7FFF, true);
	check_420(e, STUN_ATTR_RESPONSE_ADDRESS, false);
	test_drops(e);
	turn_engine_free(e);
	turn_engine_free(NULL);
	return tap_done();
}
