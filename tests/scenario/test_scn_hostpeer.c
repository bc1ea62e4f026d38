/* SPDX-License-Identifier: ISC */
/*
 * Scenario: the machine's own addresses as peers (docs/security.md, Peer
 * deny list). A permission is per IP (RFC 8656 §9), so CreatePermission
 * for a host address succeeds whatever port it names; wherever the port
 * is known (ChannelBind, Send) only the relay port range is open on a host
 * address (relay to relay), and a new policy keeps the permission but
 * drops a channel to any other port of it.
 */
#include <stdio.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define HOST	"1.2.3.4"	/* public, so that only the host rule bites */
#define HOST2	"5.6.7.8"

static uint64_t
setup(struct scn *s, struct scn_client *c)
{
	struct addr relay;

	scn_init(s, 0, 0, 0, 0, 0);
	scn_client_static(c, "alice", "secret", "8.8.4.4:5000");
	scn_allocate(s, c, NULL);
	scn_resp_relayed(c, 0, &relay);
	return scn_handle_of(s, &relay);
}

static bool
sent_to(const struct scn *s, const char *peer)
{
	struct addr want;

	addr_parse(&want, peer, 0);
	return s->nsends > 0 &&
	    addr_equal(&s->sends[s->nsends - 1].peer, &want, true);
}

static void
test_host_peer(void)
{
	static const char *const hosts[] = { HOST };
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	uint64_t h;
	size_t n;

	h = setup(&s, &c);
	ok(h != 0, "allocation");
	is_int(scn_policy_hosts(&s, hosts, 1), 0, "policy with a host address");
	is_int(scn_permit(&s, &c, HOST ":53"), 0,
	    "CreatePermission for a host address, port 53 named: success");
	ok(!c.oc.peer_refused, "no refusal noted");
	is_int(scn_permit(&s, &c, HOST ":1"), 0, "any other port named: same");
	turn_engine_stats(s.e, &st);
	is_int(st.permissions, 1, "one permission (per IP)");

	is_int(scn_bind(&s, &c, 0x4000, HOST ":53"), 403,
	    "ChannelBind to host:53: 403");
	ok(c.mi_ok, "signed");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_HOST,
	    "verdict deny_host");
	is_int(scn_bind(&s, &c, 0x4001, HOST ":50000"), 0,
	    "ChannelBind to host:50000 (relay port range): success");
	n = s.nsends;
	is_int(scn_chandata(&s, &c, 0x4001, "abc", 3), TURN_DROP_NONE,
	    "ChannelData on it relayed");
	ok(s.nsends == n + 1 && sent_to(&s, HOST ":50000"),
	    "to host:50000");

	n = s.nsends;
	is_int(scn_send(&s, &c, HOST ":53", "x", 1), TURN_DROP_SELF_PEER,
	    "Send to host:53: dropped by the policy (self_peer)");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_HOST,
	    "Send verdict deny_host");
	is_int(c.resp_len, 0, "no answer");
	is_int(scn_send(&s, &c, "[::ffff:" HOST "]:53", "x", 1),
	    TURN_DROP_SELF_PEER, "Send to its IPv4-mapped form: dropped too");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_HOST,
	    "mapped form: verdict deny_host");
	is_int(s.nsends, n, "nothing relayed");
	is_int(scn_send(&s, &c, HOST ":49152", "y", 1), TURN_DROP_NONE,
	    "Send to host:49152 (relay port range): relayed");
	ok(!c.oc.peer_refused, "no refusal noted");
	ok(s.nsends == n + 1 && sent_to(&s, HOST ":49152"),
	    "to host:49152");
	scn_free(&s);
}

static void
test_reload(void)
{
	static const char *const hosts[] = { HOST, HOST2 };
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	uint64_t h;
	size_t n;

	h = setup(&s, &c);
	/* the default policy knows no host address: port 53 is a peer */
	is_int(scn_bind(&s, &c, 0x4000, HOST ":53"), 0,
	    "without host addresses: ChannelBind to " HOST ":53");
	is_int(scn_bind(&s, &c, 0x4001, HOST ":50000"), 0,
	    "and to " HOST ":50000");
	is_int(scn_permit(&s, &c, HOST2 ":1"), 0,
	    "CreatePermission for " HOST2);
	turn_engine_stats(s.e, &st);
	ok(st.permissions == 2 && st.channels == 2, "2 permissions, 2 channels");

	is_int(scn_policy_hosts(&s, hosts, 2), 0,
	    "a new policy: both are host addresses now");
	turn_engine_stats(s.e, &st);
	is_int(st.channels, 1, "the channel to host:53 is gone");
	is_int(st.permissions, 2, "both permissions kept (per IP)");
	is_int(scn_chandata(&s, &c, 0x4000, "x", 1), TURN_DROP_NO_CHANNEL,
	    "ChannelData on the dropped channel: dropped");
	n = s.nsends;
	is_int(scn_chandata(&s, &c, 0x4001, "x", 1), TURN_DROP_NONE,
	    "the channel to host:50000 still relays");
	ok(s.nsends == n + 1 && sent_to(&s, HOST ":50000"), "to host:50000");
	is_int(scn_send(&s, &c, HOST2 ":50001", "x", 1), TURN_DROP_NONE,
	    "the kept permission serves a Send to a relay port");
	is_int(scn_send(&s, &c, HOST2 ":53", "x", 1), TURN_DROP_SELF_PEER,
	    "but not one to port 53");
	is_int(scn_peer(&s, h, HOST2 ":50001", "x", 1), TURN_DROP_NONE,
	    "data from the kept permission's IP comes in");
	scn_free(&s);
}

int
main(void)
{
	test_host_peer();
	test_reload();
	return tap_done();
}
