/* SPDX-License-Identifier: ISC */
/* Scenario: CreatePermission, Send and Data (RFC 8656 §9-§11; the peer
 * policy: docs/security.md, Peer deny list). */
#include <stdio.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static const uint8_t fam6[4] = { 0x02, 0, 0, 0 };
static const uint8_t tid_t[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae };

/* XOR-PEER-ADDRESS attributes computed for this project, each a peer the
 * policy refuses: loopback, unspecified, private, shared, metadata,
 * multicast and broadcast addresses, and IPv4 loopback or metadata inside
 * IPv6 forms (mapped, compatible, NAT64, 6to4, Teredo); the IPv6 ones are
 * XOR-encoded under tid_t. */
static const char *const b6[] = {
	"00120008000121425e12a443",
	"00120008000121042112a442",
	"00120008000139f92b12a443",
	"00120008000121424552a443",
	"001200080001214288ec0dbc",
	"0012000800012142e1baa543",
	"001200080001329ac112a443",
	"001200080001329adeed5bbd",
	"00120008000121424576c08a",
	"0012000800012142892d2552",
	"00120014000221422112a442b7e7a701bc34d686fa87dfaf",
	"00120014000221422112a442b7e7a701bc34d686fa87dfae",
	"00120014000221422112a442b7e7a701bc3429798587dfaf",
	"00120014000221422112a442b7e7a701bc34d6868587dfaf",
	"001200140002214221765bd9b7e7a701bc34d6868587dfaf",
	"001200140002214221765bd9b7e7a701bc34d68653797650",
	"00120014000221420110db42b7e6a701bc34d686fa87dfaf",
	"00120014000221420113a442f6d144793c34b5397a782050",
	"0012001400022142dc12aa80b7e7a701bc34d686fa87ddfa",
	"0012001400022142df92a442b7e7a701bc34d686fa87dfaf",
	"0012001400022142de10a442b7e7a701bc34d686fa87dfaf",
	"00120014000221422112a442b7e7a701bc34297953797650",
};

static uint64_t
setup(struct scn *s, struct scn_client *c, bool dual)
{
	struct addr relay;

	scn_init(s, 0, 0, 0, 0, 0);
	scn_client_static(c, "alice", "secret", "8.8.4.4:5000");
	/* 3600 s, so that only permissions expire here */
	scn_allocate(s, c, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\x0e\x10", 4, NULL },
	    { dual ? STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY : 0, fam6, 4, NULL },
	    { 0 } });
	scn_resp_relayed(c, 0, &relay);
	return scn_handle_of(s, &relay);
}

static void
test_b6(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	uint8_t raw[64];
	long n;
	size_t i;

	setup(&s, &c, true);
	for (i = 0; i < sizeof(b6) / sizeof(b6[0]); i++) {
		n = tap_unhex(b6[i], raw, sizeof(raw));
		scn_request(&s, &c, STUN_CREATE_PERMISSION,
		    (const struct scn_attr[]){ { STUN_ATTR_XOR_PEER_ADDRESS,
		    raw + 4, (size_t)n - 4, NULL }, { 0 } }, tid_t);
		is_int(c.code, 403, "refused peer %s: 403", b6[i]);
		ok(c.mi_ok, "signed");
	}
	turn_engine_stats(s.e, &st);
	is_int(st.permissions, 0, "none installed");
	/* a public address under the same TID is fine (the check can pass) */
	scn_request(&s, &c, STUN_CREATE_PERMISSION, (const struct scn_attr[]){
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "[2606:4700::1111]:80" },
	    { 0 } }, tid_t);
	is_int(c.code, 0, "2606:4700::1111 allowed");
	scn_free(&s);
}

static void
test_errors(void)
{
	struct scn s;
	struct scn_client c;
	struct scn_attr many[40];
	struct turn_stats st;
	char peers[40][32];
	uint64_t h;
	int i;

	h = setup(&s, &c, false);
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION, NULL, NULL), 400,
	    "no XOR-PEER-ADDRESS: 400 (§10.2)");
	ok(c.mi_ok, "signed");
	is_int(scn_permit(&s, &c, "[2606:4700::1111]:80"), 443,
	    "IPv6 peer on an IPv4 allocation: 443");
	is_int(scn_permit(&s, &c, "127.0.0.1:80"), 403, "loopback: 403");
	/* all or nothing (§10.2) */
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION,
	    (const struct scn_attr[]){
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "8.8.8.8:1" },
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "10.0.0.1:1" }, { 0 } },
	    NULL), 403, "one refused peer of two: 403");
	is_int(scn_peer(&s, h, "8.8.8.8:1", "x", 1), TURN_DROP_NO_PERMISSION,
	    "and the allowed one was not installed");
	/* its own relayed address: refused here by the default deny list
	 * (documentation space); a permission is per IP, the address itself
	 * is refused where the port is known (test_own_bound_address) */
	{
		char own[64];

		snprintf(own, sizeof(own), "%s", scn_str(&s.opens[0].relayed));
		is_int(scn_permit(&s, &c, own), 403, "own relayed address: 403");
	}
	/* at most 32 XOR-PEER-ADDRESS per request (docs/security.md, Attack
	 * catalogue: resource exhaustion) */
	for (i = 0; i < 33; i++) {
		snprintf(peers[i], sizeof(peers[i]), "8.8.%d.%d:1", i / 200,
		    1 + i % 200);
		many[i] = (struct scn_attr){ STUN_ATTR_XOR_PEER_ADDRESS, NULL,
		    0, peers[i] };
	}
	many[33].type = 0;
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION, many, NULL), 508,
	    "33 peers: 508");
	many[32].type = 0;
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION, many, NULL), 0,
	    "32 peers: success");
	/* 128 per allocation, all or nothing (§10.2) */
	for (int r = 1; r < 4; r++) {
		for (i = 0; i < 32; i++)
			snprintf(peers[i], sizeof(peers[i]), "8.9.%d.%d:1", r,
			    i + 1);
		is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION, many, NULL),
		    0, "32 more peers (%d)", 32 * (r + 1));
	}
	turn_engine_stats(s.e, &st);
	is_int(st.permissions, 128, "128 permissions");
	snprintf(peers[0], sizeof(peers[0]), "8.8.0.1:7");	/* existing */
	snprintf(peers[1], sizeof(peers[1]), "1.1.1.1:7");	/* new */
	many[2].type = 0;
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION, many, NULL), 508,
	    "a 129th: 508");
	is_int(scn_peer(&s, h, "1.1.1.1:7", "x", 1), TURN_DROP_NO_PERMISSION,
	    "the 129th was not installed");
	is_int(scn_permit(&s, &c, "8.8.0.1:9"), 0,
	    "refreshing an existing one still works");
	scn_free(&s);
}

static void
test_lifetime(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	uint64_t h;

	h = setup(&s, &c, false);
	is_int(scn_peer(&s, h, "8.8.8.8:53", "x", 1), TURN_DROP_NO_PERMISSION,
	    "no permission: peer data dropped (§9)");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NO_PERMISSION,
	    "no permission: Send dropped (§11.2)");
	is_int(s.nsends + s.ncsends, 0, "nothing relayed");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "CreatePermission");
	ok(c.mi_ok, "signed");
	is_int(scn_peer(&s, h, "8.8.8.8:4444", "x", 1), TURN_DROP_NONE,
	    "any port of the permitted IP (§9)");
	scn_advance(&s, 200 * SEC);
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "Send at 200 s");
	scn_advance(&s, 99 * SEC + 999);
	is_int(scn_peer(&s, h, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "relayed at 299.999 s");
	scn_advance(&s, 1);
	is_int(scn_peer(&s, h, "8.8.8.8:53", "x", 1), TURN_DROP_NO_PERMISSION,
	    "exactly 300 s: gone; Send did not refresh it (§9, §11.2)");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NO_PERMISSION,
	    "Send dropped too");
	turn_engine_stats(s.e, &st);
	is_int(st.permissions, 0, "swept");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "permit again");
	scn_advance(&s, 250 * SEC);
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "refresh at 250 s");
	scn_advance(&s, 299 * SEC);
	is_int(scn_peer(&s, h, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "alive 299 s after the refresh");
	scn_free(&s);
}

static void
test_send_data(void)
{
	struct scn s;
	struct scn_client c;
	struct stun_msg m;
	struct addr a, want;
	const struct stun_attr *d;
	uint64_t h;
	static const uint16_t unk = 0x7FFF;
	uint8_t buf[SCN_BUF];

	h = setup(&s, &c, false);
	scn_permit(&s, &c, "8.8.8.8:1");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "hello", 5), TURN_DROP_NONE,
	    "Send relayed");
	ok(s.nsends == 1 && s.sends[0].handle == h && s.sends[0].len == 5 &&
	    memcmp(s.sends[0].data, "hello", 5) == 0,
	    "relay_send: exact bytes on the allocation's relay");
	addr_parse(&want, "8.8.8.8:53", 0);
	ok(addr_equal(&s.sends[0].peer, &want, true), "to 8.8.8.8:53");
	is_int(c.resp_len, 0, "a Send is never answered");
	is_int(scn_send(&s, &c, NULL, "hello", 5), TURN_DROP_BAD_INDICATION,
	    "Send without XOR-PEER-ADDRESS: dropped");
	memset(buf, 0, sizeof(buf));
	{
		struct stun_builder b;
		struct addr p;

		addr_parse(&p, "8.8.8.8:53", 0);
		stun_builder_init(&b, buf, sizeof(buf), STUN_SEND,
		    STUN_INDICATION, tid_t);
		stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &p);
		stun_add(&b, unk, &unk, 2);
		stun_add(&b, STUN_ATTR_DATA, "x", 1);
		struct turn_out out = { .buf = c.resp, .cap = sizeof(c.resp) };
		turn_engine_input(s.e, &c.t, buf, stun_builder_finish(&b),
		    s.now, &out);
		is_int(out.drop, TURN_DROP_BAD_INDICATION,
		    "Send with an unknown required attribute: dropped "
		    "(RFC 8489 §6.3.2)");
	}
	is_int(scn_send(&s, &c, "[2606:4700::1111]:53", "x", 1),
	    TURN_DROP_FAMILY, "IPv6 peer on IPv4 allocation: dropped");
	is_int(s.nsends, 1, "nothing more relayed");
	/* §11.3: the peer answers; no channel -> Data indication */
	is_int(scn_peer(&s, h, "8.8.8.8:53", "world", 5), TURN_DROP_NONE,
	    "peer datagram relayed");
	is_int(s.ncsends, 1, "one client_send");
	is_int(s.csends[0].len, 20 + 12 + 4 + 8, "Data indication length");
	ok(addr_equal(&s.csends[0].t.client, &c.t.client, true),
	    "to the allocation's client");
	ok(stun_decode(&m, s.csends[0].data, s.csends[0].len) == STUN_OK &&
	    m.method == STUN_DATA && m.cls == STUN_INDICATION,
	    "a valid Data indication");
	ok(stun_attr_xor_addr(stun_msg_attr(&m, STUN_ATTR_XOR_PEER_ADDRESS),
	    m.tid, &a) == 0 && addr_equal(&a, &want, true),
	    "XOR-PEER-ADDRESS is the peer");
	d = stun_msg_attr(&m, STUN_ATTR_DATA);
	ok(d != NULL && d->len == 5 && memcmp(d->val, "world", 5) == 0,
	    "DATA is the payload");
	ok(memcmp(s.csends[0].data + 41, "\0\0\0", 3) == 0, "zero padding");
	is_int(m.mi_off + m.fp_off, 0, "no MI, no FINGERPRINT");
	/* a second indication has another transaction id */
	scn_peer(&s, h, "8.8.8.8:53", "again", 5);
	ok(memcmp(s.csends[0].data + 8, s.csends[1].data + 8, 12) != 0,
	    "fresh transaction id per indication");
	/* not enough headroom: dropped, not overrun */
	{
		uint8_t rx[64];
		struct addr p;

		addr_parse(&p, "8.8.8.8:53", 0);
		is_int(turn_engine_peer_input(s.e, h, &p, rx + 8, 8, 4, 3,
		    s.now), TURN_DROP_NO_ROOM, "headroom 8: dropped");
	}
	scn_free(&s);
}

static void
test_policy(void)
{
	struct scn s;
	struct scn_client c;
	struct policy_peer_opts po;
	struct policy_peer *p2, *p3;
	struct policy_range deny;
	struct turn_stats st;
	struct addr self;
	uint64_t h;

	h = setup(&s, &c, false);
	/* a policy that refuses one port of a peer (a "self" endpoint) */
	memset(&po, 0, sizeof(po));
	addr_parse(&self, "8.8.8.8:53", 0);
	po.self = &self;
	po.nself = 1;
	p2 = policy_peer_new(&po, NULL);
	turn_engine_set_env(s.e, s.creds, p2);
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "permission for 8.8.8.8");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_SELF_PEER,
	    "Send to a refused (self) endpoint: silent drop (§11.2)");
	is_int(c.resp_len, 0, "no answer");
	is_int(scn_send(&s, &c, "8.8.8.8:54", "x", 1), TURN_DROP_NONE,
	    "another port relayed");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 403,
	    "ChannelBind to it: 403");
	/* a reload that denies the peer removes its permission at once */
	memset(&po, 0, sizeof(po));
	policy_range_parse("8.8.8.0/24", &deny, NULL);
	po.deny = &deny;
	po.ndeny = 1;
	p3 = policy_peer_new(&po, NULL);
	turn_engine_set_env(s.e, s.creds, p3);
	turn_engine_stats(s.e, &st);
	is_int(st.permissions, 0, "permission removed by the new policy");
	is_int(scn_peer(&s, h, "8.8.8.8:54", "x", 1), TURN_DROP_NO_PERMISSION,
	    "peer data dropped");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 403, "and refused now");
	turn_engine_set_env(s.e, s.creds, NULL);
	is_int(scn_permit(&s, &c, "1.1.1.1:1"), 403, "no policy: fail closed");
	turn_engine_set_env(s.e, s.creds, s.policy);
	policy_peer_free(p2);
	policy_peer_free(p3);
	scn_free(&s);
}

/*
 * Behind external-ip the allocation's own bound address (what the relay
 * socket really listens on) differs from the one advertised, and the
 * policy knows only the advertised one as the allocation's own; the bound
 * one is a relay IP on a relay port, which the policy lets in as "another
 * allocation's relayed address" (docs/security.md, Peer deny list: The
 * server's own addresses). Wherever the port is known (ChannelBind, and a
 * Send indication on each packet) the engine refuses it itself. A
 * permission is per IP (RFC 8656 §9) and that IP is every allocation's
 * bound IP here, so CreatePermission for it succeeds.
 */
static void
test_own_bound_address(void)
{
	struct scn s;
	struct scn_client c, c2;
	char own[64], other[64], adv[64];
	struct addr a;
	size_t n;

	scn_init(&s, 0, 0, 0, 0, 0);
	addr_parse_ip(&s.opts.external4, "198.51.100.7", 0);
	scn_restart(&s);
	is_int(scn_policy_hosts(&s, NULL, 0), 0,
	    "policy with the relay IPs and the relay port range");
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "allocation behind external-ip");
	scn_resp_relayed(&c, 0, &a);
	snprintf(adv, sizeof(adv), "%s", scn_str(&a));
	scn_client_static(&c2, "bob", "hunter2", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &c2, NULL), 0, "a second allocation");
	snprintf(own, sizeof(own), "%s", scn_str(&s.opens[0].relayed));
	snprintf(other, sizeof(other), "%s", scn_str(&s.opens[1].relayed));
	ok(strcmp(own, adv) != 0, "bound %s, advertised %s", own, adv);

	is_int(scn_permit(&s, &c, own), 0,
	    "CreatePermission for the bound IP: success (per IP)");
	is_int(scn_bind(&s, &c, 0x4000, own), 403,
	    "ChannelBind to its own bound address %s: 403", own);
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_SELF,
	    "verdict deny_self");
	n = s.nsends;
	is_int(scn_send(&s, &c, own, "x", 1), TURN_DROP_SELF_PEER,
	    "Send to its own bound address: dropped (self_peer)");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_SELF,
	    "Send verdict deny_self");
	is_int(s.nsends, n, "nothing relayed");
	is_int(scn_send(&s, &c, other, "x", 1), TURN_DROP_NONE,
	    "Send to another allocation's bound address %s: relayed", other);
	is_int(scn_bind(&s, &c, 0x4001, other), 0,
	    "ChannelBind to it: success");

	is_int(scn_permit(&s, &c, adv), 0,
	    "CreatePermission for the advertised IP: success (per IP)");
	is_int(scn_send(&s, &c, adv, "x", 1), TURN_DROP_SELF_PEER,
	    "Send to its own advertised address %s: dropped (self_peer)", adv);
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_SELF,
	    "Send verdict deny_self");
	is_int(scn_bind(&s, &c, 0x4002, adv), 403,
	    "ChannelBind to it: 403");
	scn_free(&s);
}

int
main(void)
{
	test_b6();
	test_errors();
	test_lifetime();
	test_send_data();
	test_policy();
	test_own_bound_address();
	return tap_done();
}
