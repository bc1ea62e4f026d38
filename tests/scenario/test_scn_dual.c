/* SPDX-License-Identifier: ISC */
/* Scenario: dual allocations (RFC 8656 §7.2 step 9, RFC 6156), EVEN-PORT
 * and RESERVATION-TOKEN (§7.2 steps 5 and 8-10; Refresh of one family,
 * §8.2). */
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static const uint8_t fam4[4] = { 0x01, 0, 0, 0 };
static const uint8_t fam6[4] = { 0x02, 0, 0, 0 };
static const uint8_t even0[1] = { 0x00 };
static const uint8_t even1[1] = { 0x80 };

static void
test_dual(void)
{
	struct scn s;
	struct scn_client c;
	struct addr r4, r6;
	const struct stun_attr *ae;
	struct turn_stats st;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    0, "dual allocation");
	ok(c.mi_ok, "signed");
	ok(scn_resp_relayed(&c, 0, &r4) == 0 && addr_family(&r4) == AF_INET,
	    "first XOR-RELAYED-ADDRESS IPv4 %s", scn_str(&r4));
	ok(scn_resp_relayed(&c, 1, &r6) == 0 && addr_family(&r6) == AF_INET6,
	    "second XOR-RELAYED-ADDRESS IPv6 %s", scn_str(&r6));
	ok(stun_msg_attr(&c.m, STUN_ATTR_ADDRESS_ERROR_CODE) == NULL,
	    "no ADDRESS-ERROR-CODE");
	is_int(s.nopens, 2, "two relays");
	is_int(scn_permit(&s, &c, "[2606:4700::1111]:1"), 0, "IPv6 peer ok");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "IPv4 peer ok");
	is_int(scn_send(&s, &c, "[2606:4700::1111]:53", "6", 1),
	    TURN_DROP_NONE, "Send to IPv6 peer");
	is_int(s.sends[0].handle, scn_handle_of(&s, &r6), "via the IPv6 relay");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "4", 1), TURN_DROP_NONE,
	    "Send to IPv4 peer");
	is_int(s.sends[1].handle, scn_handle_of(&s, &r4), "via the IPv4 relay");
	/* §11.3 from an IPv6 peer: the largest header, TURN_PEER_HEADROOM */
	is_int(scn_peer(&s, scn_handle_of(&s, &r6), "[2606:4700::1111]:53",
	    "abc", 3), TURN_DROP_NONE, "IPv6 peer datagram");
	{
		struct stun_msg m;
		struct addr p, want;

		addr_parse(&want, "[2606:4700::1111]:53", 0);
		ok(s.ncsends == 1 && s.csends[0].len == TURN_PEER_HEADROOM + 4 &&
		    stun_decode(&m, s.csends[0].data, s.csends[0].len) ==
		    STUN_OK && stun_attr_xor_addr(stun_msg_attr(&m,
		    STUN_ATTR_XOR_PEER_ADDRESS), m.tid, &p) == 0 &&
		    addr_equal(&p, &want, true),
		    "Data indication of 48 + 3 + 1 bytes from [2606:4700::1111]:53");
	}
	/* §8.2: delete only the IPv6 half */
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL },
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "Refresh IPv6 with LIFETIME 0");
	is_int(s.ncloses, 1, "one relay closed");
	is_int(s.closes[0], scn_handle_of(&s, &r6), "the IPv6 one");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } },
	    NULL), 443, "then IPv6 is a family mismatch: 443");
	is_int(scn_send(&s, &c, "[2606:4700::1111]:53", "6", 1),
	    TURN_DROP_FAMILY, "IPv6 Send dropped");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam4, 4, NULL }, { 0 } },
	    NULL), 0, "IPv4 refresh fine");
	turn_engine_stats(s.e, &st);
	is_int(st.allocations, 1, "allocation alive");
	is_int(turn_ports_available(s.ports, AF_INET6), 16384,
	    "IPv6 port returned");

	/* no IPv6 relay: success with ADDRESS-ERROR-CODE 440 (§7.2 step 9) */
	s.no_v6 = true;
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    0, "dual without IPv6 relay: success");
	is_int(scn_resp_relayed(&c, 1, &r6), -1, "one relayed address");
	ae = stun_msg_attr(&c.m, STUN_ATTR_ADDRESS_ERROR_CODE);
	ok(ae != NULL && ae->len >= 4 && ae->val[0] == 0x02 &&
	    ae->val[2] == 4 && ae->val[3] == 40,
	    "ADDRESS-ERROR-CODE IPv6 440");
	is_int(scn_allocate(&s, &c, NULL), 437, "and it exists");
	scn_free(&s);
}

/*
 * Regression: after Refresh LIFETIME 0 closed the IPv6 half, a
 * channel bound to an IPv6 peer was still used, and ChannelData reached
 * relay_send() with the closed relay's handle 0 (reported as delivered).
 */
static void
test_dual_half_closed_channel(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	size_t i;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    0, "dual allocation");
	is_int(scn_bind(&s, &c, 0x4001, "[2606:4700::1111]:53"), 0,
	    "channel 0x4001 to an IPv6 peer");
	is_int(scn_bind(&s, &c, 0x4002, "8.8.8.8:53"), 0,
	    "channel 0x4002 to an IPv4 peer");
	is_int(scn_chandata(&s, &c, 0x4001, "x", 1), TURN_DROP_NONE,
	    "ChannelData to the IPv6 peer while it is open");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL },
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "Refresh IPv6 with LIFETIME 0");
	s.nsends = 0;
	ok(scn_chandata(&s, &c, 0x4001, "y", 1) != TURN_DROP_NONE,
	    "ChannelData on the closed family is dropped");
	for (i = 0; i < s.nsends; i++)
		if (s.sends[i].handle == 0)
			break;
	ok(s.nsends == 0 && i == s.nsends, "nothing sent, never handle 0");
	turn_engine_stats(s.e, &st);
	is_int(st.channels, 1, "the IPv6 channel is gone");
	is_int(st.permissions, 1, "and its permission");
	is_int(scn_chandata(&s, &c, 0x4002, "z", 1), TURN_DROP_NONE,
	    "the IPv4 channel still works");
	scn_free(&s);
}

static void
test_even_port(void)
{
	struct scn s;
	struct scn_client c, d;
	struct addr r;
	const struct stun_attr *tok;
	uint8_t token[8];
	char where[32];
	int i;

	scn_init(&s, 0, 0, 0, 0, 0);
	for (i = 0; i < 8; i++) {
		snprintf(where, sizeof(where), "8.8.4.4:%d", 100 + i);
		scn_client_static(&c, "alice", "secret", where);
		scn_allocate(&s, &c, (const struct scn_attr[]){
		    { STUN_ATTR_EVEN_PORT, even0, 1, NULL }, { 0 } });
		if (c.code != 0 || scn_resp_relayed(&c, 0, &r) != 0 ||
		    addr_port(&r) % 2 != 0)
			break;
	}
	is_int(i, 8, "EVEN-PORT: 8 allocations, all even ports");
	ok(stun_msg_attr(&c.m, STUN_ATTR_RESERVATION_TOKEN) == NULL,
	    "R=0: no token");
	/* R=1: N and N+1, a token for N+1 */
	scn_client_static(&c, "alice", "secret", "8.8.4.4:200");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_EVEN_PORT, even1, 1, NULL }, { 0 } }), 0,
	    "EVEN-PORT R=1");
	tok = stun_msg_attr(&c.m, STUN_ATTR_RESERVATION_TOKEN);
	ok(tok != NULL && tok->len == 8, "RESERVATION-TOKEN of 8 bytes (§7.2)");
	if (tok != NULL)
		memcpy(token, tok->val, 8);
	scn_resp_relayed(&c, 0, &r);
	ok(addr_port(&r) % 2 == 0, "even port %u", addr_port(&r));
	scn_client_static(&d, "bob", "hunter2", "1.1.1.1:301");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 8, NULL }, { 0 } }), 0,
	    "Allocate with the token");
	{
		struct addr r2;

		scn_resp_relayed(&d, 0, &r2);
		is_int(addr_port(&r2), addr_port(&r) + 1, "gets port N+1");
	}
	scn_client_static(&d, "bob", "hunter2", "1.1.1.1:302");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 8, NULL }, { 0 } }), 508,
	    "the token is used up: 508 (§7.2 step 10)");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 8, NULL },
	    { STUN_ATTR_EVEN_PORT, even0, 1, NULL }, { 0 } }), 400,
	    "token with EVEN-PORT: 400");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 8, NULL },
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam4, 4, NULL }, { 0 } }),
	    400, "token with REQUESTED-ADDRESS-FAMILY: 400");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 4, NULL }, { 0 } }), 400,
	    "4-byte token: 400");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_EVEN_PORT, even1, 1, NULL },
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    400, "R=1 with ADDITIONAL-ADDRESS-FAMILY: 400 (§7.2 step 8)");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_EVEN_PORT, even1, 0, NULL }, { 0 } }), 400,
	    "empty EVEN-PORT: 400");
	scn_free(&s);
}

static void
test_reservation_expiry(void)
{
	struct scn s;
	struct scn_client c, d;
	const struct stun_attr *tok;
	uint8_t token[8];

	/* 4 ports: N, N+1 reserved; held 30 s, then freed */
	scn_init(&s, 50000, 50003, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:1");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_EVEN_PORT, even1, 1, NULL }, { 0 } }), 0,
	    "R=1 in a 4-port range");
	tok = stun_msg_attr(&c.m, STUN_ATTR_RESERVATION_TOKEN);
	if (tok != NULL)
		memcpy(token, tok->val, 8);
	is_int(turn_ports_available(s.ports, AF_INET), 2, "2 ports taken");
	scn_advance(&s, 29 * SEC);
	is_int(turn_ports_available(s.ports, AF_INET), 2, "held at 29 s");
	scn_advance(&s, 1 * SEC);
	is_int(turn_ports_available(s.ports, AF_INET), 3,
	    "released after 30 s");
	scn_client_static(&d, "bob", "hunter2", "1.1.1.1:1");
	is_int(scn_allocate(&s, &d, (const struct scn_attr[]){
	    { STUN_ATTR_RESERVATION_TOKEN, token, 8, NULL }, { 0 } }), 508,
	    "expired token: 508");
	is_int(turn_ports_available(s.ports, AF_INET), 3, "no port leaked");
	scn_free(&s);
}

int
main(void)
{
	test_dual();
	test_dual_half_closed_channel();
	test_even_port();
	test_reservation_expiry();
	return tap_done();
}
