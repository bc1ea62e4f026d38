/* SPDX-License-Identifier: ISC */
/*
 * Scenario: the engine's defences against hostile traffic
 * (docs/security.md, Per-source budgets; Credential brute force; Resource
 * exhaustion): the per-source budget of unauthenticated answers, the
 * failed-credential limit, the per-allocation caps and the bandwidth
 * caps, each with a fake clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static void
restart(struct scn *s)
{
	if (scn_restart(s) != 0)
		abort();
}

/* Binding requests without credentials from one source: burst, then
 * rate; another source keeps its own budget; authenticated answers cost
 * nothing. */
static void
test_unauth_budget(void)
{
	struct scn s;
	struct scn_client a, b, flood;
	unsigned i, answered = 0, limited = 0;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.unauth_rate = 5;
	s.opts.unauth_burst = 10;
	restart(&s);
	scn_client_static(&a, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &a, NULL), 0,
	    "alice allocates (a 401 round trip: one token)");
	scn_client_static(&flood, "x", "y", "8.8.4.4:6000");
	for (i = 0; i < 30; i++) {
		scn_request_noauth(&s, &flood, STUN_BINDING, NULL);
		answered += flood.resp_len > 0;
		limited += flood.resp_len == 0 &&
		    flood.drop == TURN_DROP_RATE_LIMITED;
	}
	is_int(answered, 9, "30 Bindings from the same source: 9 answered "
	    "(burst 10, one taken by alice's challenge)");
	is_int(limited, 21, "the rest dropped as rate_limited");
	ok(flood.oc.msg == TURN_MSG_REQUEST && !flood.oc.authed,
	    "outcome: an unauthenticated request");
	is_int(scn_request(&s, &a, STUN_REFRESH, NULL, NULL), 0,
	    "alice's authenticated Refresh from the same IP is answered");
	ok(a.oc.authed, "outcome: authenticated");
	scn_client_static(&b, "x", "y", "9.9.9.9:5000");
	is_int(scn_request_noauth(&s, &b, STUN_BINDING, NULL), 0,
	    "another source is answered");
	s.now += SEC;
	for (i = answered = 0; i < 30; i++) {
		scn_request_noauth(&s, &flood, STUN_BINDING, NULL);
		answered += flood.resp_len > 0;
	}
	is_int(answered, 5, "a second later: rate (5) more answers");
	scn_free(&s);
}

/* Wrong passwords: auth-failure-limit answers a minute, then the source's
 * credential attempts are dropped, the right password included, until
 * the minute is over; other sources are unaffected. */
static void
test_failure_limit(void)
{
	struct scn s;
	struct scn_client bad, good, other;
	struct turn_stats st;
	unsigned i, failures = 0;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.auth_failure_limit = 3;
	restart(&s);
	scn_client_static(&bad, "alice", "wrong", "8.8.4.4:5000");
	for (i = 0; i < 10 && bad.drop != TURN_DROP_AUTH_LIMITED; i++)
		scn_allocate(&s, &bad, NULL);
	turn_engine_stats(s.e, &st);
	failures = (unsigned)st.auth_failures[TURN_AUTH_BAD_INTEGRITY];
	is_int(failures, 3, "three wrong passwords were judged");
	ok(bad.resp_len == 0 && bad.drop == TURN_DROP_AUTH_LIMITED,
	    "then the source's attempts are dropped (auth_failure_limited)");
	scn_client_static(&good, "alice", "secret", "8.8.4.4:5001");
	memcpy(good.nonce, bad.nonce, sizeof(good.nonce));
	good.nonce_len = bad.nonce_len;
	scn_allocate(&s, &good, NULL);
	ok(good.resp_len == 0 && good.drop == TURN_DROP_AUTH_LIMITED,
	    "the right password from the same IP too, this minute");
	scn_client_static(&other, "alice", "secret", "9.9.9.9:5000");
	is_int(scn_allocate(&s, &other, NULL), 0, "another source allocates");
	s.now += 60 * SEC;
	is_int(scn_allocate(&s, &good, NULL), 0,
	    "a minute later the source may try again");
	scn_free(&s);
}

static void
test_caps(void)
{
	struct scn s;
	struct scn_client c;
	char peer[32];
	unsigned i;
	int code = 0;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.max_permissions = 3;
	s.opts.max_channels = 2;
	s.opts.max_peers_per_request = 2;
	restart(&s);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "Allocate");
	is_int(scn_request(&s, &c, STUN_CREATE_PERMISSION,
	    (const struct scn_attr[]){
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "8.8.8.1:1" },
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "8.8.8.2:1" },
	    { STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, "8.8.8.3:1" },
	    { 0 } }, NULL), 508, "three peers in one request, max 2: 508");
	ok(c.oc.quota_refused && c.oc.quota == TURN_QUOTA_PERMISSIONS,
	    "outcome: the permission cap");
	for (i = 1; i <= 4 && code == 0; i++) {
		snprintf(peer, sizeof(peer), "8.8.8.%u:1", i);
		code = scn_permit(&s, &c, peer);
	}
	is_int(i - 1, 4, "the fourth permission ...");
	is_int(code, 508, "... is refused with 508 (max-permissions 3)");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.1:9"), 0, "channel 1");
	is_int(scn_bind(&s, &c, 0x4001, "8.8.8.2:9"), 0, "channel 2");
	is_int(scn_bind(&s, &c, 0x4002, "8.8.8.3:9"), 508,
	    "channel 3: 508 (max-channels 2)");
	ok(c.oc.quota == TURN_QUOTA_CHANNELS, "outcome: the channel cap");
	scn_free(&s);
}

static void
test_bandwidth(void)
{
	struct scn s;
	struct scn_client c, d;
	static const uint8_t big[600];
	struct addr r;
	uint64_t h;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.max_bps = 1000;
	restart(&s);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "Allocate (max-bps 1000)");
	s.now += SEC;	/* a full second's budget */
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:9"), 0, "ChannelBind");
	is_int(scn_chandata(&s, &c, 0x4000, big, sizeof(big)), TURN_DROP_NONE,
	    "600 bytes relayed");
	is_int(scn_chandata(&s, &c, 0x4000, big, sizeof(big)),
	    TURN_DROP_BANDWIDTH, "600 more in the same second: bandwidth");
	scn_resp_relayed(&c, 0, &r);
	h = s.opens[0].handle;
	is_int(scn_peer(&s, h, "8.8.8.8:9", big, 400), TURN_DROP_NONE,
	    "400 bytes back fit what is left");
	is_int(scn_peer(&s, h, "8.8.8.8:9", big, 1), TURN_DROP_BANDWIDTH,
	    "one more byte either way does not");
	s.now += 600;
	is_int(scn_chandata(&s, &c, 0x4000, big, sizeof(big)), TURN_DROP_NONE,
	    "0.6 s later 600 bytes fit again");
	/* the engine's share of bps-capacity is shared by its allocations */
	turn_engine_set_bandwidth(s.e, 0, 1000);
	s.now += 2 * SEC;
	scn_client_static(&d, "bob", "hunter2", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &d, NULL), 0, "bob allocates");
	is_int(scn_bind(&s, &d, 0x4000, "8.8.8.8:9"), 0, "bob's channel");
	is_int(scn_chandata(&s, &c, 0x4000, big, sizeof(big)), TURN_DROP_NONE,
	    "alice: 600 bytes of the capacity");
	is_int(scn_chandata(&s, &d, 0x4000, big, sizeof(big)),
	    TURN_DROP_BANDWIDTH, "bob: the capacity is used up");
	scn_free(&s);
}

int
main(void)
{
	test_unauth_budget();
	test_failure_limit();
	test_caps();
	test_bandwidth();
	return tap_done();
}
