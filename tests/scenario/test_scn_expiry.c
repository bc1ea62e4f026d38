/* SPDX-License-Identifier: ISC */
/* Scenario: the lifetime of REST credentials (README.md, Issuing
 * credentials from your backend).
 * An expired credential cannot allocate; the allocation it made may keep
 * refreshing (and renewing permissions and channels) until expiry +
 * max-session-duration, unless strict-credential-expiry. */
#include <string.h>

#include "scn.h"
#include "tap.h"

#define SEC	1000ull
#define SKEW	31	/* just past auth's clock-skew tolerance (30 s) */

static int
refresh(struct scn *s, struct scn_client *c, uint32_t life)
{
	uint8_t v[4] = { (uint8_t)(life >> 24), (uint8_t)(life >> 16),
	    (uint8_t)(life >> 8), (uint8_t)life };
	struct scn_attr a[2] = {
		{ STUN_ATTR_LIFETIME, v, 4, NULL }, { 0, NULL, 0, NULL }
	};

	return scn_request(s, c, STUN_REFRESH, a, NULL);
}

/* Moves the clock to expiry + off seconds. */
static void
at(struct scn *s, uint64_t expiry, int64_t off)
{
	uint64_t t = (uint64_t)((int64_t)expiry + off) * SEC;

	if (t > s->now)
		scn_advance(s, t - s->now);
}

static void
test_window(void)
{
	struct scn s;
	struct scn_client c, late;
	struct turn_stats st;
	uint64_t exp;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.max_session_duration = 2000;
	scn_restart(&s);
	exp = s.now / 1000 + 600;
	scn_client_rest_at(&c, "carol", exp, "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate before expiry");
	at(&s, exp, -300);
	is_int(refresh(&s, &c, 3600), 0, "Refresh before expiry: ok");
	at(&s, exp, SKEW);
	is_int(refresh(&s, &c, 3600), 0, "Refresh just after expiry: ok");
	ok(c.mi_ok, "signed with the credential's key");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0,
	    "CreatePermission after expiry: ok");
	is_int(scn_bind(&s, &c, 0x4000, "8.8.8.8:2"), 0,
	    "ChannelBind after expiry: ok");
	scn_client_rest_at(&late, "carol", exp, "8.8.4.4:5001");
	is_int(scn_allocate(&s, &late, NULL), 401,
	    "a new Allocate with the expired credential: 401");
	is_int(scn_allocate(&s, &c, NULL), 401,
	    "Allocate on its own live 5-tuple: 401 (not 437)");
	at(&s, exp, 1999);
	is_int(refresh(&s, &c, 3600), 0, "Refresh at expiry + 1999 s: ok");
	at(&s, exp, 2000);
	is_int(refresh(&s, &c, 3600), 401, "Refresh at expiry + 2000 s: 401");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 401,
	    "CreatePermission after the window: 401");
	turn_engine_stats(s.e, &st);
	is_int(st.session_grace, 4, "4 requests let through in the window");
	ok(st.auth_failures[TURN_AUTH_EXPIRED] >= 3, "expired counted");
	is_int(st.allocations, 1, "the allocation lives on until it expires");
	at(&s, exp, 1999 + 3600);
	turn_engine_stats(s.e, &st);
	is_int(st.allocations, 0, "then it expires");
	scn_free(&s);
}

/* The default window is 12 hours. */
static void
test_default(void)
{
	struct scn s;
	struct scn_client c;
	uint64_t exp;
	int i, fails = 0;

	scn_init(&s, 0, 0, 0, 0, 0);
	exp = s.now / 1000 + 600;
	scn_client_rest_at(&c, "carol", exp, "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate");
	at(&s, exp, -100);
	is_int(refresh(&s, &c, 3600), 0, "Refresh for an hour");
	for (i = 1; i <= 14; i++) {	/* to expiry + 42000 s */
		at(&s, exp, i * 3000);
		if (refresh(&s, &c, 3600) != 0)
			fails++;
	}
	is_int(fails, 0, "refreshed every 3000 s for 11.7 h after expiry");
	at(&s, exp, 43199);
	is_int(refresh(&s, &c, 3600), 0, "expiry + 43199 s: ok");
	at(&s, exp, 43200);
	is_int(refresh(&s, &c, 3600), 401, "expiry + 12 h: 401");
	scn_free(&s);
}

static void
test_strict(void)
{
	struct scn s;
	struct scn_client c, other;
	uint64_t exp;

	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.strict_credential_expiry = true;
	scn_restart(&s);
	exp = s.now / 1000 + 600;
	scn_client_rest_at(&c, "carol", exp, "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "strict: allocate");
	at(&s, exp, -1);
	is_int(refresh(&s, &c, 600), 0, "strict: Refresh before expiry ok");
	at(&s, exp, SKEW);
	is_int(refresh(&s, &c, 600), 401, "strict: Refresh after expiry 401");
	ok(!c.mi_ok && stun_msg_attr(&c.m, STUN_ATTR_NONCE) != NULL,
	    "an unsigned challenge");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 401,
	    "strict: CreatePermission 401");
	/* a static user has no expiry */
	scn_client_static(&other, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &other, NULL), 0, "static user unaffected");
	scn_free(&s);
}

/* Another (expired) credential of the same user-id cannot borrow the
 * window of an allocation it did not create. */
static void
test_other_credential(void)
{
	struct scn s;
	struct scn_client c, d;
	uint64_t exp;

	scn_init(&s, 0, 0, 0, 0, 0);
	exp = s.now / 1000 + 600;
	scn_client_rest_at(&c, "carol", exp, "8.8.4.4:5000");
	scn_client_rest_at(&d, "carol", exp - 1, "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate");
	at(&s, exp, -100);
	is_int(refresh(&s, &c, 3600), 0, "Refresh for an hour");
	at(&s, exp, SKEW);
	is_int(refresh(&s, &d, 600), 401,
	    "expired credential that did not allocate: 401");
	is_int(refresh(&s, &c, 600), 0, "the one that did: ok");
	scn_free(&s);
}

int
main(void)
{
	test_window();
	test_default();
	test_strict();
	test_other_credential();
	return tap_done();
}
