/* SPDX-License-Identifier: ISC */
/*
 * Scenario: what the engine says it did (struct turn_outcome, turn.h) for
 * each kind of client message, and the allocation events
 * (turn_hooks.alloc_event) in every way an allocation can end. Counting
 * and logging read nothing else, so each field is checked against the
 * answer the client got.
 */
#include <stdio.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull

static const uint8_t fam6[4] = { 0x02, 0, 0, 0 };

static void
test_requests(void)
{
	struct scn s;
	struct scn_client c, bad;

	scn_init(&s, 0, 0, 1, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "Allocate succeeds");
	ok(c.oc.msg == TURN_MSG_REQUEST && c.oc.method == STUN_ALLOCATE &&
	    c.oc.code == 0, "outcome: an Allocate request, answered 200");
	ok(c.oc.alloc_created && !c.oc.alloc_ended, "outcome: created");
	ok(!c.oc.auth_failed && !c.oc.peer_refused && !c.oc.quota_refused,
	    "outcome: nothing refused");

	is_int(scn_permit(&s, &c, "127.0.0.1:1"), 403,
	    "CreatePermission to loopback: 403");
	ok(c.oc.method == STUN_CREATE_PERMISSION && c.oc.code == 403,
	    "outcome: CreatePermission, 403");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_LOOPBACK,
	    "outcome: the policy's verdict (%s)",
	    policy_verdict_name(c.oc.verdict));
	is_int(scn_bind(&s, &c, 0x4000, "10.1.2.3:5"), 403,
	    "ChannelBind to RFC 1918: 403");
	ok(c.oc.peer_refused && c.oc.verdict == POLICY_DENY_DEFAULT,
	    "outcome: default deny (%s)", policy_verdict_name(c.oc.verdict));

	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "CreatePermission 8.8.8.8");
	is_int(scn_send(&s, &c, "8.8.8.8:53", "x", 1), TURN_DROP_NONE,
	    "Send relayed");
	ok(c.oc.msg == TURN_MSG_INDICATION && c.oc.method == STUN_SEND &&
	    !c.oc.peer_refused, "outcome: a Send indication, relayed");
	is_int(scn_send(&s, &c, "[::ffff:127.0.0.1]:53", "x", 1),
	    TURN_DROP_NO_PERMISSION, "Send to a mapped loopback: no permission");
	is_int(scn_bind(&s, &c, 0x4001, "8.8.8.8:53"), 0, "ChannelBind");
	is_int(scn_chandata(&s, &c, 0x4001, "y", 1), TURN_DROP_NONE,
	    "ChannelData relayed");
	ok(c.oc.msg == TURN_MSG_CHANNEL_DATA && c.oc.method == 0,
	    "outcome: ChannelData");

	/* a second allocation of alice's from elsewhere: the user quota */
	scn_client_static(&bad, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &bad, NULL), 486, "user quota: 486");
	ok(bad.oc.quota_refused && bad.oc.quota == TURN_QUOTA_USER &&
	    bad.oc.code == 486 && !bad.oc.alloc_created,
	    "outcome: the user quota refused it");

	scn_client_static(&bad, "alice", "wrong", "8.8.4.4:5002");
	is_int(scn_allocate(&s, &bad, NULL), 401, "wrong password: 401");
	ok(bad.oc.auth_failed && bad.oc.auth_fail == TURN_AUTH_BAD_INTEGRITY &&
	    bad.oc.code == 401, "outcome: bad integrity");

	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "Refresh LIFETIME 0");
	ok(c.oc.alloc_ended && c.oc.end == TURN_END_DELETED,
	    "outcome: the allocation was deleted");
	scn_free(&s);
}

/* Per-allocation caps are quota refusals of their own kind. */
static void
test_caps(void)
{
	struct scn s;
	struct scn_client c;
	char peer[32];
	unsigned i;
	int code = 0;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "Allocate");
	for (i = 0; i <= TURN_MAX_CHANNELS && code == 0; i++) {
		snprintf(peer, sizeof(peer), "8.8.%u.%u:9", i / 200, i % 200);
		code = scn_bind(&s, &c, (uint16_t)(0x4000 + i), peer);
	}
	is_int(code, 508, "channel %u: 508", i);
	ok(c.oc.quota_refused && c.oc.quota == TURN_QUOTA_CHANNELS,
	    "outcome: the channel cap");
	scn_free(&s);
}

static size_t
count_events(const struct scn *s, enum turn_alloc_event_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < s->nevents; i++)
		n += s->events[i].kind == kind;
	return n;
}

static void
test_events(void)
{
	struct scn s;
	struct scn_client a, b, t;
	const struct turn_alloc_event *ev;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&a, "alice", "secret", "8.8.4.4:5000");
	s.now += 5 * SEC;
	is_int(scn_allocate(&s, &a, (const struct scn_attr[]){
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    0, "dual allocation");
	is_int(s.nevents, 1, "one event");
	ev = &s.events[0];
	ok(ev->kind == TURN_EV_CREATED && ev->families ==
	    (TURN_FAMILY_V4 | TURN_FAMILY_V6) && ev->created_ms == s.now,
	    "CREATED, both families, at the request's time");
	is_int(scn_allocate(&s, &a, NULL), 437,
	    "a second Allocate on the 5-tuple: 437, no event");
	is_int(s.nevents, 1, "still one event");

	is_int(scn_request(&s, &a, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL },
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "Refresh deletes the IPv6 half");
	ok(s.nevents == 2 && s.events[1].kind == TURN_EV_RELAY_CLOSED &&
	    s.events[1].families == TURN_FAMILY_V6, "RELAY_CLOSED, IPv6");
	ok(!a.oc.alloc_ended, "outcome: the allocation lives on");

	/* expiry through the sweep: ENDED expired, with what was left */
	scn_advance(&s, 601 * SEC);
	ok(s.nevents == 3 && s.events[2].kind == TURN_EV_ENDED &&
	    s.events[2].end == TURN_END_EXPIRED &&
	    s.events[2].families == TURN_FAMILY_V4 &&
	    s.events[2].now_ms - s.events[2].created_ms >= 600 * SEC,
	    "ENDED expired, IPv4 left, after its lifetime");

	/* a stream connection's end */
	scn_client_static(&t, "bob", "hunter2", "8.8.4.4:5001");
	scn_client_tcp(&t, 7);
	is_int(scn_allocate(&s, &t, NULL), 0, "Allocate over TCP");
	turn_engine_conn_closed(s.e, &t.t);
	ev = &s.events[s.nevents - 1];
	ok(ev->kind == TURN_EV_ENDED && ev->end == TURN_END_CONN_CLOSED,
	    "ENDED connection_closed");

	/* a failed Allocate creates no event */
	scn_client_static(&b, "alice", "secret", "8.8.4.4:5002");
	is_int(scn_request(&s, &b, STUN_ALLOCATE, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_TRANSPORT, "\x06\0\0\0", 4, NULL },
	    { 0 } }, NULL), 442, "Allocate for TCP relaying: 442");
	is_int(count_events(&s, TURN_EV_CREATED), 2, "two created in all");

	/* the rest end with the engine */
	is_int(scn_allocate(&s, &b, NULL), 0, "Allocate again");
	turn_engine_free(s.e);
	s.e = NULL;
	ev = &s.events[s.nevents - 1];
	ok(ev->kind == TURN_EV_ENDED && ev->end == TURN_END_SHUTDOWN,
	    "ENDED shutdown");
	is_int(count_events(&s, TURN_EV_ENDED),
	    count_events(&s, TURN_EV_CREATED), "every created one ended");
	scn_free(&s);
}

/* The last event of a kind, or NULL. */
static const struct turn_alloc_event *
last_event(const struct scn *s, enum turn_alloc_event_kind kind)
{
	size_t i;

	for (i = s->nevents; i > 0; i--)
		if (s->events[i - 1].kind == kind)
			return &s->events[i - 1];
	return NULL;
}

/*
 * What a session record reads: the user (the REST user-id, never the
 * USERNAME with its expiry), the credential's expiry, the allocation's
 * number, and what it relayed each way and installed, counted exactly.
 */
static void
test_usage(void)
{
	static const char p1[] = "8.8.8.8:53", p2[] = "8.8.4.4:9";
	struct scn s;
	struct scn_client c, d;
	const struct turn_alloc_event *ev;
	uint64_t h;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_rest(&s, &c, "u-7f3a", "192.0.2.1:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "REST Allocate");
	ev = last_event(&s, TURN_EV_CREATED);
	ok(ev != NULL && ev->id == 1 && ev->user_len == 6 &&
	    memcmp(ev->user, "u-7f3a", 6) == 0,
	    "CREATED: number 1, user the REST user-id alone");
	ok(ev != NULL && ev->cred_expiry == s.now / 1000 + 3600,
	    "CREATED: the credential's expiry");
	ok(ev != NULL && ev->use->peer_packets == 0 &&
	    ev->use->permissions == 0, "CREATED: nothing relayed yet");
	is_int(scn_permit(&s, &c, p1), 0, "CreatePermission");
	is_int(scn_permit(&s, &c, p1), 0, "the same permission refreshed");
	is_int(scn_permit(&s, &c, p2), 0, "a second permission");
	is_int(scn_bind(&s, &c, 0x4000, p1), 0, "ChannelBind");
	is_int(scn_bind(&s, &c, 0x4000, p1), 0, "the same channel refreshed");
	is_int(scn_send(&s, &c, p2, "0123456789", 10), TURN_DROP_NONE,
	    "Send 10 bytes");
	is_int(scn_send(&s, &c, p2, "01234", 5), TURN_DROP_NONE,
	    "Send 5 bytes");
	is_int(scn_send(&s, &c, "9.9.9.9:1", "0123", 4),
	    TURN_DROP_NO_PERMISSION, "a Send without permission: not counted");
	is_int(scn_chandata(&s, &c, 0x4000, "abc", 3), TURN_DROP_NONE,
	    "ChannelData 3 bytes");
	h = s.nopens > 0 ? s.opens[0].handle : 0;
	is_int(scn_peer(&s, h, p1, "wxyz", 4), TURN_DROP_NONE,
	    "peer datagram of 4 bytes, as ChannelData");
	is_int(scn_peer(&s, h, p2, "0123456", 7), TURN_DROP_NONE,
	    "peer datagram of 7 bytes, as a Data indication");
	is_int(scn_peer(&s, h, "9.9.9.9:1", "x", 1), TURN_DROP_NO_PERMISSION,
	    "a peer without permission: not counted");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "Refresh LIFETIME 0");
	ev = last_event(&s, TURN_EV_ENDED);
	ok(ev != NULL && ev->id == 1 && ev->end == TURN_END_DELETED,
	    "ENDED: number 1, deleted");
	ok(ev != NULL && ev->use->peer_packets == 3 &&
	    ev->use->peer_bytes == 18, "ENDED: 3 packets, 18 bytes to peers");
	ok(ev != NULL && ev->use->client_packets == 2 &&
	    ev->use->client_bytes == 11, "ENDED: 2 packets, 11 bytes to the "
	    "client");
	ok(ev != NULL && ev->use->permissions == 2 && ev->use->channels == 1,
	    "ENDED: 2 permissions and 1 channel installed");

	scn_client_static(&d, "bob", "hunter2", "192.0.2.1:5001");
	is_int(scn_allocate(&s, &d, NULL), 0, "a long-term user's Allocate");
	ev = last_event(&s, TURN_EV_CREATED);
	ok(ev != NULL && ev->id == 2 && ev->user_len == 3 &&
	    memcmp(ev->user, "bob", 3) == 0 && ev->cred_expiry == 0,
	    "CREATED: number 2, the user's name, no expiry");
	scn_free(&s);
}

int
main(void)
{
	test_requests();
	test_caps();
	test_events();
	test_usage();
	return tap_done();
}
