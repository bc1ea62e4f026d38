/* SPDX-License-Identifier: ISC */
/* Scenario: ChannelBind and ChannelData (RFC 8656 §12; the caps:
 * docs/security.md, Attack catalogue: resource exhaustion). */
#include <stdio.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static uint64_t
setup(struct scn *s, struct scn_client *c, bool tcp)
{
	struct addr relay;

	scn_init(s, 0, 0, 0, 0, 0);
	scn_client_static(c, "alice", "secret", "8.8.4.4:5000");
	if (tcp)
		scn_client_tcp(c, 42);
	scn_allocate(s, c, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\x0e\x10", 4, NULL }, { 0 } });
	scn_resp_relayed(c, 0, &relay);
	return scn_handle_of(s, &relay);
}

static void
test_bind(void)
{
	struct scn s;
	struct scn_client c;
	struct addr want;
	uint64_t h;
	static const uint8_t cd[] = { 0x40, 0x00, 0x00, 0x05, 'w', 'o', 'r',
	    'l', 'd' };

	h = setup(&s, &c, false);
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 0, "ChannelBind");
	ok(c.mi_ok, "signed");
	is_int(scn_chandata(&s, &c, 0x4000, "hello", 5), TURN_DROP_NONE,
	    "ChannelData relayed");
	addr_parse(&want, "8.8.8.8:53", 0);
	ok(s.nsends == 1 && s.sends[0].handle == h && s.sends[0].len == 5 &&
	    memcmp(s.sends[0].data, "hello", 5) == 0 &&
	    addr_equal(&s.sends[0].peer, &want, true),
	    "relay_send: \"hello\" to 8.8.8.8:53");
	is_int(c.resp_len, 0, "ChannelData is not answered");
	is_int(scn_chandata(&s, &c, 0x4000, "", 0), TURN_DROP_NONE,
	    "empty ChannelData relayed (§12.4)");
	is_int(s.sends[1].len, 0, "as an empty datagram");
	/* §12.5: the peer's answer comes back as ChannelData */
	is_int(scn_peer(&s, h, "8.8.8.8:53", "world", 5), TURN_DROP_NONE,
	    "peer datagram relayed");
	ok(s.ncsends == 1 && s.csends[0].len == sizeof(cd) &&
	    memcmp(s.csends[0].data, cd, sizeof(cd)) == 0,
	    "client gets 40 00 00 05 world (no padding on UDP)");
	/* the binding made a permission for the IP (§12.2) */
	is_int(scn_peer(&s, h, "8.8.8.8:99", "z", 1), TURN_DROP_NONE,
	    "another port of that IP: relayed");
	ok(s.ncsends == 2 && s.csends[1].data[0] == 0x00 &&
	    s.csends[1].data[1] == 0x17, "as a Data indication");
	/* refresh of the same binding */
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 0, "same binding again");
	scn_free(&s);
}

static void
test_errors(void)
{
	struct scn s;
	struct scn_client c;
	char peer[32];
	int i;

	setup(&s, &c, false);
	is_int(scn_bind(&s, &c, 0x3FFF, "8.8.8.8:53"), 400, "0x3FFF: 400");
	ok(c.mi_ok, "signed");
	is_int(scn_bind(&s, &c, 0x5000, "8.8.8.8:53"), 400,
	    "0x5000: 400 (RFC 8656 §12 range)");
	is_int(scn_request(&s, &c, STUN_CHANNEL_BIND, (const struct scn_attr[]){
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "8.8.8.8:53" }, { 0 } },
	    NULL), 400, "no CHANNEL-NUMBER: 400");
	is_int(scn_request(&s, &c, STUN_CHANNEL_BIND, (const struct scn_attr[]){
	    { STUN_ATTR_CHANNEL_NUMBER, "\x40\0\0\0", 4, NULL }, { 0 } },
	    NULL), 400, "no XOR-PEER-ADDRESS: 400");
	is_int(scn_bind(&s, &c, 0x4000, "[2606:4700::1111]:53"), 443,
	    "IPv6 peer: 443");
	is_int(scn_bind(&s, &c, 0x4000, "10.0.0.1:53"), 403, "10/8 peer: 403");
	is_int(scn_bind(&s, &c, 0x4000, "169.254.169.254:80"), 403,
	    "metadata: 403");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 0, "bind 0x4000");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:54"), 400,
	    "0x4000 to another peer: 400");
	is_int(scn_bind(&s, &c, 0x4001, "8.8.8.8:53"), 400,
	    "the peer to another channel: 400");
	/* 128 channels (docs/security.md, Attack catalogue: resource
	 * exhaustion) */
	for (i = 1; i < 128; i++) {
		snprintf(peer, sizeof(peer), "8.8.%d.%d:1", 10 + i / 200,
		    1 + i % 200);
		if (scn_bind(&s, &c, (uint16_t)(0x4000 + i), peer) != 0)
			break;
	}
	is_int(i, 128, "128 channels bound");
	is_int(scn_bind(&s, &c, 0x4FFF, "1.1.1.1:1"), 508, "129th: 508");
	ok(c.mi_ok, "signed");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 0,
	    "refreshing one still works");
	scn_free(&s);
}

static void
test_data_drops(void)
{
	struct scn s;
	struct scn_client c, other;
	uint8_t bad[8] = { 0x40, 0x00, 0x00, 0x08, 1, 2, 3, 4 };

	setup(&s, &c, false);
	scn_bind(&s, &c, 0x4000, "8.8.8.8:53");
	is_int(scn_chandata(&s, &c, 0x4001, "x", 1), TURN_DROP_NO_CHANNEL,
	    "unbound channel: dropped (§12.6)");
	{
		struct turn_out out = { .buf = c.resp, .cap = sizeof(c.resp) };

		turn_engine_input(s.e, &c.t, bad, sizeof(bad), s.now, &out);
		is_int(out.drop, TURN_DROP_SHORT,
		    "length 8 in a 4-byte payload: dropped");
	}
	scn_client_static(&other, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_chandata(&s, &other, 0x4000, "x", 1), TURN_DROP_CHANNEL,
	    "another 5-tuple: no allocation");
	is_int(s.nsends, 0, "nothing relayed");
	scn_free(&s);
}

static void
test_expiry(void)
{
	struct scn s;
	struct scn_client c;
	uint64_t h;

	h = setup(&s, &c, false);
	scn_bind(&s, &c, 0x4000, "8.8.8.8:53");
	scn_advance(&s, 299 * SEC + 999);
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NONE,
	    "ChannelData at 299.999 s");
	scn_advance(&s, 1);
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NO_PERMISSION,
	    "at 300 s the permission is gone: ChannelData refreshed nothing");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "permission again");
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NONE,
	    "the channel itself lives on");
	scn_advance(&s, 299 * SEC + 999);
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "permission at 599.999 s");
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NONE,
	    "ChannelData at 599.999 s");
	scn_advance(&s, 1);
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NO_CHANNEL,
	    "the binding expired at 600 s");
	is_int(scn_peer(&s, h, "8.8.8.8:53", "y", 1), TURN_DROP_NONE,
	    "peer data relayed");
	ok(s.csends[s.ncsends - 1].data[0] == 0x00,
	    "as a Data indication now");
	is_int(scn_bind(&s, &c, 0x4001, "8.8.8.8:53"), 0,
	    "the peer can take a new channel");
	scn_free(&s);
}

static void
test_stream(void)
{
	struct scn s;
	struct scn_client c;
	uint64_t h;
	static const uint8_t cd[] = { 0x40, 0x00, 0x00, 0x05, 'w', 'o', 'r',
	    'l', 'd', 0, 0, 0 };

	h = setup(&s, &c, true);
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:53"), 0, "bind over TCP");
	is_int(scn_chandata(&s, &c, 0x4000, "hello", 5), TURN_DROP_NONE,
	    "padded ChannelData from a stream");
	ok(s.nsends == 1 && s.sends[0].len == 5, "5 bytes relayed");
	is_int(scn_peer(&s, h, "8.8.8.8:53", "world", 5), TURN_DROP_NONE,
	    "peer datagram");
	ok(s.ncsends == 1 && s.csends[0].len == sizeof(cd) &&
	    memcmp(s.csends[0].data, cd, sizeof(cd)) == 0,
	    "ChannelData padded to 12 bytes with zeros (§12.5)");
	ok(s.csends[0].t.transport == TURN_TCP && s.csends[0].t.conn == 42,
	    "on the allocation's connection");
	scn_free(&s);
}

/* rfc5766_channels: 0x5000-0x7FFF bind and carry data, as RFC 5766 §11
 * allowed (coturn 4.6's clients pick from that range); 0x8000 never. */
static void
test_rfc5766(void)
{
	struct scn s;
	struct scn_client c;
	struct addr relay;
	uint64_t h;
	static const uint8_t cd[] = { 0x7f, 0xff, 0x00, 0x01, 'x' };

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.rfc5766_channels = true;
	ok(scn_restart(&s) == 0, "engine with rfc5766_channels");
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	scn_allocate(&s, &c, NULL);
	scn_resp_relayed(&c, 0, &relay);
	h = scn_handle_of(&s, &relay);
	is_int(scn_bind(&s, &c, 0x7FFF, "8.8.8.8:53"), 0, "0x7FFF: bound");
	is_int(scn_bind(&s, &c, 0x8000, "8.8.8.8:54"), 400, "0x8000: 400");
	is_int(scn_chandata(&s, &c, 0x7FFF, "hi", 2), TURN_DROP_NONE,
	    "ChannelData on 0x7FFF relayed");
	is_int(scn_peer(&s, h, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "peer datagram relayed");
	ok(s.ncsends == 1 && s.csends[0].len == sizeof(cd) &&
	    memcmp(s.csends[0].data, cd, sizeof(cd)) == 0,
	    "client gets 7f ff 00 01 x");
	scn_free(&s);
}

int
main(void)
{
	test_bind();
	test_errors();
	test_data_drops();
	test_expiry();
	test_stream();
	test_rfc5766();
	return tap_done();
}
