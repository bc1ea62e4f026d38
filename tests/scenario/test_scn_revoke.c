/* SPDX-License-Identifier: ISC */
/* Scenario: revocation (README.md, Issuing credentials from your backend:
 * Revocation). A revoked user's
 * requests get 401 after authentication, and installing credentials that
 * revoke a user ends its live allocations at once. */
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static int
refresh(struct scn *s, struct scn_client *c)
{
	return scn_request(s, c, STUN_REFRESH, NULL, NULL);
}

/* New credentials: the base set plus one revocation (NULL: none). */
static void
revoke(struct scn *s, const char *user, uint64_t until)
{
	struct auth_creds *c = scn_creds_base(true);

	if (user != NULL && auth_creds_add_revoked(c, user, strlen(user),
	    until) != 0)
		abort();
	scn_env(s, c);
}

static void
test_revoke_live(void)
{
	struct scn s;
	struct scn_client carol, dave;
	struct turn_stats st;
	struct addr rc, rd;
	uint64_t hc, hd;
	size_t csends, free4;

	scn_init(&s, 50000, 50009, 1, 0, 0);
	scn_client_rest(&s, &carol, "carol", "8.8.4.4:5000");
	scn_client_rest(&s, &dave, "dave", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &carol, NULL), 0, "carol allocates");
	scn_resp_relayed(&carol, 0, &rc);
	is_int(scn_allocate(&s, &dave, NULL), 0, "dave allocates");
	scn_resp_relayed(&dave, 0, &rd);
	hc = scn_handle_of(&s, &rc);
	hd = scn_handle_of(&s, &rd);
	is_int(scn_permit(&s, &carol, "8.8.8.8:1"), 0, "carol permits");
	is_int(scn_permit(&s, &dave, "8.8.8.8:1"), 0, "dave permits");
	is_int(scn_peer(&s, hc, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "peer -> carol relayed");
	free4 = turn_ports_available(s.ports, AF_INET);
	csends = s.ncsends;
	/* a revocation that has already run out changes nothing */
	revoke(&s, "carol", s.now / 1000);
	is_int(s.ncloses, 0, "past revocation: nothing closed");
	revoke(&s, "carol", s.now / 1000 + 3600);
	is_int(s.ncloses, 1, "revoking carol closes one relay at once");
	is_int(s.closes[0], hc, "carol's relay");
	turn_engine_stats(s.e, &st);
	is_int(st.allocs_ended[TURN_END_REVOKED], 1, "allocs_revoked 1");
	is_int(st.allocations, 1, "dave's allocation lives");
	is_int(turn_ports_available(s.ports, AF_INET), free4 + 1,
	    "carol's port is back in the pool");
	is_int(scn_peer(&s, hc, "8.8.8.8:53", "y", 1), TURN_DROP_NO_ALLOCATION,
	    "peer -> carol no longer relayed");
	is_int(s.ncsends, csends, "nothing sent to carol");
	is_int(scn_peer(&s, hd, "8.8.8.8:53", "z", 1), TURN_DROP_NONE,
	    "peer -> dave still relayed");
	carol.once = true;	/* count each request once */
	is_int(refresh(&s, &carol), 401, "carol's Refresh: 401 (revoked)");
	ok(stun_msg_attr(&carol.m, STUN_ATTR_NONCE) != NULL && !carol.mi_ok,
	    "an unsigned challenge");
	is_int(scn_permit(&s, &carol, "8.8.8.8:1"), 401,
	    "carol's CreatePermission: 401");
	is_int(scn_bind(&s, &carol, 0x4000, "8.8.8.8:1"), 401,
	    "carol's ChannelBind: 401");
	is_int(scn_allocate(&s, &carol, NULL), 401, "carol's Allocate: 401");
	turn_engine_stats(s.e, &st);
	is_int(st.auth_failures[TURN_AUTH_REVOKED], 4, "4 revoked counted");
	is_int(refresh(&s, &dave), 0, "dave refreshes");
	/* unrevoked: the allocation is gone, not resurrected */
	revoke(&s, NULL, 0);
	carol.once = false;
	is_int(refresh(&s, &carol), 437, "after unrevoke: Refresh 437");
	is_int(scn_allocate(&s, &carol, NULL), 0,
	    "carol allocates again (user quota 1 was released)");
	scn_free(&s);
}

static void
test_revoke_static(void)
{
	struct scn s;
	struct scn_client bob, alice;
	struct turn_stats st;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&bob, "bob", "hunter2", "8.8.4.4:5000");
	scn_client_static(&alice, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &bob, NULL), 0, "bob allocates");
	is_int(scn_allocate(&s, &alice, NULL), 0, "alice allocates");
	revoke(&s, "bob", s.now / 1000 + 10);
	is_int(s.ncloses, 1, "bob's allocation closed");
	is_int(s.closes[0], s.opens[0].handle, "bob's relay");
	is_int(refresh(&s, &bob), 401, "bob: 401");
	is_int(refresh(&s, &alice), 0, "alice unaffected");
	/* the revocation runs out by itself */
	scn_advance(&s, 10 * SEC);
	is_int(refresh(&s, &bob), 437, "after until: 437 (no allocation)");
	is_int(scn_allocate(&s, &bob, NULL), 0, "and bob may allocate");
	/* a new creds object with the same revocation closes nothing new */
	turn_engine_stats(s.e, &st);
	is_int(st.allocs_ended[TURN_END_REVOKED], 1, "one revoked allocation in all");
	scn_free(&s);
}

int
main(void)
{
	test_revoke_live();
	test_revoke_static();
	return tap_done();
}
