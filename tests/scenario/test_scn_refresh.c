/* SPDX-License-Identifier: ISC */
/* Scenario: Refresh and allocation expiry (RFC 8656 §5, §6, §8, §19). */
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static const uint8_t fam6[4] = { 0x02, 0, 0, 0 };

static int
refresh(struct scn *s, struct scn_client *c, const char *life)
{
	struct scn_attr a[2] = {
		{ STUN_ATTR_LIFETIME, life, 4, NULL }, { 0, NULL, 0, NULL }
	};

	return scn_request(s, c, STUN_REFRESH, life != NULL ? a : NULL, NULL);
}

static void
test_errors(void)
{
	struct scn s;
	struct scn_client c, other;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(refresh(&s, &c, NULL), 437, "Refresh without allocation: 437");
	ok(c.mi_ok, "437 signed");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 437,
	    "CreatePermission without allocation: 437 (§19)");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:1"), 437,
	    "ChannelBind without allocation: 437");
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate");
	scn_client_static(&other, "bob", "hunter2", "8.8.4.4:5000");
	is_int(refresh(&s, &other, NULL), 441,
	    "another user on the same 5-tuple: 441 (§5)");
	ok(other.mi_ok, "441 signed with bob's key");
	is_int(scn_permit(&s, &other, "8.8.8.8:1"), 441,
	    "CreatePermission by another user: 441");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } },
	    NULL), 443, "Refresh for IPv6 on an IPv4 allocation: 443 (§8.2)");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0", 2, NULL }, { 0 } }, NULL), 400,
	    "malformed LIFETIME: 400");
	is_int(s.ncloses, 0, "nothing closed by the errors");
	scn_free(&s);
}

static void
test_refresh(void)
{
	struct scn s;
	struct scn_client c;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	scn_allocate(&s, &c, NULL);
	scn_advance(&s, 500 * SEC);
	is_int(refresh(&s, &c, NULL), 0, "Refresh at 500 s");
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 600, "LIFETIME 600");
	ok(c.mi_ok, "signed");
	scn_advance(&s, 599 * SEC);
	is_int(s.ncloses, 0, "alive at 1099 s");
	is_int(refresh(&s, &c, "\0\0\x0b\xb8"), 0, "Refresh asking 3000 s");
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 3000, "LIFETIME 3000");
	is_int(refresh(&s, &c, "\0\1\0\0"), 0, "Refresh asking 65536 s");
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 3600, "capped at 3600");
	scn_advance(&s, 3599 * SEC);
	is_int(s.ncloses, 0, "alive 3599 s later");
	is_int(refresh(&s, &c, "\0\0\0\0"), 0, "LIFETIME 0 deletes");
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 0, "answer LIFETIME 0");
	ok(c.mi_ok, "signed");
	is_int(s.ncloses, 1, "relay closed");
	is_int(s.closes[0], s.opens[0].handle, "the allocation's relay");
	is_int(refresh(&s, &c, "\0\0\0\0"), 437, "then 437");
	is_int(turn_ports_available(s.ports, AF_INET), 16384,
	    "the port is back");
	scn_free(&s);
}

static void
test_expiry(void)
{
	struct scn s;
	struct scn_client c;
	struct addr relay;
	struct turn_stats st;
	uint64_t h;
	int i;

	scn_init(&s, 0, 0, 0, 1, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	scn_allocate(&s, &c, NULL);
	scn_resp_relayed(&c, 0, &relay);
	h = scn_handle_of(&s, &relay);
	/* §6: data and permissions flow, but only Refresh extends it */
	for (i = 0; i < 5; i++) {
		is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0,
		    "CreatePermission at %d s", i * 100);
		is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
		    "Send at %d s", i * 100);
		is_int(scn_peer(&s, h, "8.8.8.8:53", "y", 1), TURN_DROP_NONE,
		    "peer data at %d s", i * 100);
		scn_advance(&s, 100 * SEC);
	}
	scn_advance(&s, 99 * SEC + 999);
	is_int(s.ncloses, 0, "alive at 599.999 s");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "Send still relayed at 599.999 s");
	/* lazy: at 600 s, before any tick, it is already gone */
	s.now += 1;
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NO_ALLOCATION,
	    "Send at 600 s: no allocation (lazy)");
	is_int(scn_peer(&s, h, "8.8.8.8:53", "y", 1), TURN_DROP_NO_ALLOCATION,
	    "peer data at 600 s: dropped");
	is_int(s.ncloses, 0, "not yet swept");
	scn_advance(&s, 0);
	is_int(s.ncloses, 1, "the tick closed the relay");
	is_int(s.closes[0], h, "the allocation's relay");
	turn_engine_stats(s.e, &st);
	is_int(st.allocations, 0, "no allocation left");
	is_int(st.allocs_ended[TURN_END_EXPIRED], 1, "one expired");
	is_int(st.permissions, 0, "its permission went with it");
	is_int(st.peer_drops[TURN_DROP_NO_ALLOCATION], 1, "peer drop counted");
	is_int(scn_peer(&s, h, "8.8.8.8:53", "y", 1), TURN_DROP_NO_ALLOCATION,
	    "unknown relay handle: dropped");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 437, "CreatePermission: 437");
	/* the per-IP quota (1) was released */
	scn_client_static(&c, "bob", "hunter2", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &c, NULL), 0, "quota released on expiry");
	/* lazy free on a request without a tick */
	s.now += 600 * SEC;
	is_int(refresh(&s, &c, NULL), 437, "expired, no tick: Refresh 437");
	is_int(s.ncloses, 2, "and the relay was closed right then");
	scn_free(&s);
}

int
main(void)
{
	test_errors();
	test_refresh();
	test_expiry();
	return tap_done();
}
