/* SPDX-License-Identifier: ISC */
/* The shared allocation quotas (turn_quota.c; RFC 8656 §7.2 step 10). */
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "tap.h"

#define U(s)	(const uint8_t *)(s), strlen(s)

static struct addr
ip(const char *s)
{
	struct addr a;

	addr_parse(&a, s, 0);
	return a;
}

static void
test_user(void)
{
	struct turn_quota *q = turn_quota_new(2, 0, 0);
	struct addr a = ip("8.8.8.8:1"), b = ip("9.9.9.9:1");

	is_int(turn_quota_take(q, U("alice"), &a), 0, "alice 1");
	is_int(turn_quota_take(q, U("alice"), &b), 0, "alice 2");
	is_int(turn_quota_take(q, U("alice"), &b), TURN_QUOTA_OVER_USER,
	    "alice 3: refused by the user limit");
	is_int(turn_quota_take(q, U("alicf"), &b), 0, "another user");
	turn_quota_release(q, U("alice"), &a);
	is_int(turn_quota_take(q, U("alice"), &a), 0, "after a release");
	is_int(turn_quota_take(q, NULL, 0, &a), 0,
	    "no user-id: only the other limits");
	turn_quota_free(q);
	turn_quota_free(NULL);
	is_int(turn_quota_take(NULL, U("x"), &a), 0, "no tracker: no limit");
}

static void
test_ip(void)
{
	struct turn_quota *q = turn_quota_new(0, 2, 0);
	struct addr v4 = ip("8.8.8.8:1"), v4b = ip("8.8.8.8:2");
	struct addr mapped = ip("[::ffff:8.8.8.8]:3");
	struct addr v6a = ip("[2001:db8:1:2::1]:1"), v6b = ip("[2001:db8:1:2::2]:1");
	struct addr v6c = ip("[2001:db8:1:3::1]:1");

	is_int(turn_quota_take(q, U("a"), &v4), 0, "8.8.8.8 1");
	is_int(turn_quota_take(q, U("b"), &v4b), 0, "8.8.8.8 2 (other port)");
	is_int(turn_quota_take(q, U("c"), &mapped), TURN_QUOTA_OVER_IP,
	    "::ffff:8.8.8.8 is the same host: refused by the IP limit");
	is_int(turn_quota_take(q, U("a"), &v6a), 0, "/64 1");
	is_int(turn_quota_take(q, U("a"), &v6b), 0, "/64 2");
	is_int(turn_quota_take(q, U("a"), &v6c), 0, "another /64");
	is_int(turn_quota_take(q, U("a"), &v6a), TURN_QUOTA_OVER_IP,
	    "/64 3: refused by the IP limit");
	turn_quota_free(q);
}

static void
test_total(void)
{
	struct turn_quota *q = turn_quota_new(1, 0, 2);
	struct addr a = ip("8.8.8.8:1");

	is_int(turn_quota_take(q, U("a"), &a), 0, "total 1");
	is_int(turn_quota_take(q, U("a"), &a), TURN_QUOTA_OVER_USER, "user limit");
	is_int(turn_quota_take(q, U("b"), &a), 0,
	    "total 2 (the refusal took nothing)");
	is_int(turn_quota_take(q, U("c"), &a), TURN_QUOTA_OVER_TOTAL,
	    "total 3: refused by the total");
	turn_quota_release(q, U("b"), &a);
	is_int(turn_quota_take(q, U("c"), &a), 0, "after a release");
	turn_quota_free(q);
}

/* Several limits reached at once: the first checked is the one named,
 * total, then user-id, then client IP. */
static void
test_which(void)
{
	struct turn_quota *q = turn_quota_new(1, 1, 0);
	struct addr a = ip("8.8.8.8:1"), b = ip("9.9.9.9:1");

	is_int(turn_quota_take(q, U("a"), &a), TURN_QUOTA_TAKEN, "a from 8.8.8.8");
	is_int(turn_quota_take(q, U("a"), &a), TURN_QUOTA_OVER_USER,
	    "user and IP both full: the user limit is named");
	is_int(turn_quota_take(q, U("b"), &a), TURN_QUOTA_OVER_IP,
	    "only the IP full: the IP limit");
	is_int(turn_quota_take(q, U("a"), &b), TURN_QUOTA_OVER_USER,
	    "only the user full: the user limit");
	turn_quota_set_limits(q, 1, 1, 1);
	is_int(turn_quota_take(q, U("a"), &a), TURN_QUOTA_OVER_TOTAL,
	    "all three full: the total is named");
	is_int(turn_quota_take(q, U("c"), &b), TURN_QUOTA_OVER_TOTAL,
	    "only the total full: the total");
	turn_quota_set_limits(q, 0, 0, 0);
	is_int(turn_quota_take(q, U("a"), &a), TURN_QUOTA_TAKEN,
	    "no limits: taken");
	turn_quota_free(q);
}

int
main(void)
{
	test_user();
	test_ip();
	test_total();
	test_which();
	return tap_done();
}
