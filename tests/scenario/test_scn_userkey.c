/* SPDX-License-Identifier: ISC */
/* Scenario: user keys from an outside store (turn_hooks.user_key,
 * coturn's turn/realm/<realm>/user/<user>/key). Asked only after the 401
 * round trip, never about static users, REST names or unusable names;
 * FOUND authenticates, UNKNOWN is a 401, UNAVAILABLE a 500 with no state,
 * PENDING parks the packet until it is submitted again. */
#include <string.h>

#include "scn.h"
#include "tap.h"

static void
carol(struct scn *s, struct scn_client *c, const char *client)
{
	scn_client_static(c, "carol", "pw-carol", client);
	/* the store holds MD5(carol:example.org:pw-carol) */
	memcpy(s->uk_key, c->key, 16);
}

static void
test_found(void)
{
	struct scn s;
	struct scn_client c, a;
	struct turn_stats st;

	scn_init(&s, 0, 0, 0, 0, 0);
	carol(&s, &c, "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 401, "no store: carol is unknown");
	scn_user_store(&s, true);
	s.uk_answer = TURN_KEY_FOUND;
	carol(&s, &c, "8.8.4.4:5000");
	is_int(scn_request_noauth(&s, &c, STUN_ALLOCATE, NULL), 401,
	    "unauthenticated: 401");
	is_int(s.uk_calls, 0, "no lookup before the 401 round trip");
	is_int(scn_allocate(&s, &c, NULL), 0, "FOUND: carol allocates");
	ok(c.mi_ok, "signed with the store's key");
	is_int(s.uk_calls, 1, "one lookup (the signed retry)");
	ok(s.uk_name_len == 5 && memcmp(s.uk_name, "carol", 5) == 0,
	    "asked about \"carol\"");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "CreatePermission ok");
	is_int(s.uk_calls, 2, "every request asks (the store caches)");
	scn_client_static(&a, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &a, NULL), 0, "static alice");
	scn_client_rest(&s, &a, "erin", "8.8.4.4:5002");
	is_int(scn_allocate(&s, &a, NULL), 0, "REST erin");
	is_int(s.uk_calls, 2, "never asked about static or REST users");
	s.uk_key[0] ^= 1;
	carol(&s, &c, "8.8.4.4:5003");
	s.uk_key[0] ^= 1;
	is_int(scn_allocate(&s, &c, NULL), 401, "store key differs: 401");
	turn_engine_stats(s.e, &st);
	is_int(st.auth_failures[TURN_AUTH_BAD_INTEGRITY], 1,
	    "counted as bad integrity");
	scn_free(&s);
}

static void
test_unknown_unavailable(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_user_store(&s, true);
	carol(&s, &c, "8.8.4.4:5000");
	s.uk_answer = TURN_KEY_UNKNOWN;
	is_int(scn_allocate(&s, &c, NULL), 401, "UNKNOWN: 401");
	ok(stun_msg_attr(&c.m, STUN_ATTR_NONCE) != NULL &&
	    stun_msg_attr(&c.m, STUN_ATTR_REALM) != NULL, "with the challenge");
	turn_engine_stats(s.e, &st);
	is_int(st.auth_failures[TURN_AUTH_UNKNOWN_USER], 1,
	    "counted as unknown user");
	s.uk_answer = TURN_KEY_UNAVAILABLE;
	is_int(scn_allocate(&s, &c, NULL), 500, "UNAVAILABLE: 500");
	ok(c.m.mi_off == 0 && stun_msg_attr(&c.m, STUN_ATTR_NONCE) == NULL,
	    "unsigned, no challenge");
	turn_engine_stats(s.e, &st);
	is_int(st.allocations, 0, "no allocation");
	is_int(s.nopens, 0, "no relay opened");
	is_int(st.user_key_unavailable, 1, "counted");
	is_int(s.uk_calls, 2, "two lookups");
	s.uk_answer = TURN_KEY_LIMITED;
	is_int(scn_allocate(&s, &c, NULL), -1, "LIMITED: no answer");
	is_int(c.drop, TURN_DROP_RATE_LIMITED, "dropped as rate_limited");
	is_int(s.nopens, 0, "no relay opened");
	scn_free(&s);
}

static void
test_pending(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_user_store(&s, true);
	carol(&s, &c, "8.8.4.4:5000");
	s.uk_answer = TURN_KEY_PENDING;
	is_int(scn_allocate(&s, &c, NULL), -1, "PENDING: no answer");
	is_int(c.drop, TURN_DROP_PENDING, "drop reason pending");
	is_int(c.resp_len, 0, "nothing to send");
	turn_engine_stats(s.e, &st);
	is_int(st.allocations, 0, "no allocation yet");
	is_int(st.user_key_pending, 1, "counted");
	is_int(s.nopens, 0, "no relay yet");
	/* the lookup completes; the I/O layer submits the same bytes */
	s.uk_answer = TURN_KEY_FOUND;
	is_int(scn_resubmit(&s, &c), 0, "resubmitted: success");
	ok(c.mi_ok, "signed");
	is_int(s.nopens, 1, "relay opened");
	is_int(s.uk_calls, 2, "asked twice");
	is_int(scn_resubmit(&s, &c), 0,
	    "resubmitted once more: the stored answer (retransmission)");
	is_int(s.nopens, 1, "no second relay");
	scn_free(&s);
}

/* Names the store never sees: the 401 comes without a lookup. */
static void
test_never_asked(void)
{
	struct scn s;
	struct scn_client c;
	char name[520];

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_user_store(&s, true);
	s.uk_answer = TURN_KEY_FOUND;
	carol(&s, &c, "8.8.4.4:5000");
	memcpy(c.user, "ca\x01rol", 7);
	is_int(scn_allocate(&s, &c, NULL), 401, "control byte: 401");
	memcpy(c.user, "ca\x7frol", 7);
	is_int(scn_allocate(&s, &c, NULL), 401, "DEL: 401");
	memset(name, 'n', 514);
	name[514] = '\0';
	memcpy(c.user, name, 515);
	is_int(scn_allocate(&s, &c, NULL), 401, "514 bytes: 401");
	is_int(s.uk_calls, 0, "no lookup for any of them");
	name[513] = '\0';
	memcpy(c.user, name, 514);
	is_int(scn_allocate(&s, &c, NULL), 0,
	    "513 bytes: looked up, and the store's key works");
	is_int(s.uk_calls, 1, "one lookup");
	c.t.client.u.sin.sin_port = htons(5009);	/* a fresh 5-tuple */
	/* REST-shaped, but the set has no REST secret: the store decides */
	scn_env(&s, scn_creds_base(false));
	snprintf(c.user, sizeof(c.user), "1767229200:zed");
	auth_key_md5(c.user, strlen(c.user), SCN_REALM, strlen(SCN_REALM),
	    "zz", 2, c.key);
	memcpy(s.uk_key, c.key, 16);
	is_int(scn_allocate(&s, &c, NULL), 0,
	    "REST-shaped name without secrets: the store's key works");
	scn_free(&s);
}

int
main(void)
{
	test_found();
	test_unknown_unavailable();
	test_pending();
	test_never_asked();
	return tap_done();
}
