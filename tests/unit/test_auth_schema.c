/* SPDX-License-Identifier: ISC */
/*
 * auth_schema.c: the exact Redis key names ternd reads and ternctl writes
 * (coturn's where coturn has the key), their SCAN patterns, the user a
 * key names, and the tern/events messages; a name that does not fit is
 * refused whole, never truncated.
 */
#include <string.h>

#include "auth/auth_schema.h"
#include "tap.h"

#define R	"tern.test"
#define RL	(sizeof(R) - 1)

/* Key k of realm R (and user u) as a string, or "(-1)". */
static const char *
key(enum auth_schema_key k, const char *u)
{
	static char out[AUTH_SCHEMA_KEY_MAX];
	long n;

	n = auth_schema_key(out, sizeof(out), k, R, RL, u,
	    u != NULL ? strlen(u) : 0);
	if (n < 0)
		return "(-1)";
	if ((size_t)n != strlen(out))
		return "(bad length)";
	return out;
}

static void
test_names(void)
{
	is_str(key(AUTH_SCHEMA_SECRET, NULL), "turn/realm/tern.test/secret",
	    "REST secrets: coturn's set");
	is_str(key(AUTH_SCHEMA_SECRET_ADDED, NULL),
	    "tern/realm/tern.test/secret-added", "secret-added");
	is_str(key(AUTH_SCHEMA_SECRET_EXPIRES, NULL),
	    "tern/realm/tern.test/secret-expires", "secret-expires");
	is_str(key(AUTH_SCHEMA_ALLOWED_PEER_IP, NULL),
	    "turn/realm/tern.test/allowed-peer-ip", "allowed-peer-ip");
	is_str(key(AUTH_SCHEMA_DENIED_PEER_IP, NULL),
	    "turn/realm/tern.test/denied-peer-ip", "denied-peer-ip");
	is_str(key(AUTH_SCHEMA_USER_QUOTA, NULL),
	    "turn/realm/tern.test/user-quota", "user-quota");
	is_str(key(AUTH_SCHEMA_TOTAL_QUOTA, NULL),
	    "turn/realm/tern.test/total-quota", "total-quota");
	is_str(key(AUTH_SCHEMA_MAX_BPS, NULL),
	    "turn/realm/tern.test/max-bps", "max-bps: coturn's");
	is_str(key(AUTH_SCHEMA_USER_KEY, "alice"),
	    "turn/realm/tern.test/user/alice/key", "user key: coturn's");
	is_str(key(AUTH_SCHEMA_USER_KEY, "a b"),
	    "turn/realm/tern.test/user/a b/key", "a user with a space");
	is_str(key(AUTH_SCHEMA_REVOKED, "7f3c9a1e"),
	    "tern/revoked/tern.test/7f3c9a1e", "revocation");
	is_str(AUTH_SCHEMA_EVENTS, "tern/events", "the channel");
}

static void
test_refused(void)
{
	char out[64], big[AUTH_SCHEMA_KEY_MAX + 8];
	static const char nul[] = { 'a', '\0', 'b' };

	is_str(key(AUTH_SCHEMA_USER_KEY, NULL), "(-1)", "user key needs a user");
	is_str(key(AUTH_SCHEMA_USER_KEY, ""), "(-1)", "empty user");
	is_str(key(AUTH_SCHEMA_SECRET, "alice"), "(-1)",
	    "a key without a user takes none");
	is_str(key(AUTH_SCHEMA_NKEYS, NULL), "(-1)", "not a key");
	is_int(auth_schema_key(out, sizeof(out), AUTH_SCHEMA_SECRET, "", 0,
	    NULL, 0), -1, "empty realm");
	is_int(auth_schema_key(out, sizeof(out), AUTH_SCHEMA_SECRET, nul, 3,
	    NULL, 0), -1, "a realm with a NUL");
	is_int(auth_schema_key(out, sizeof(out), AUTH_SCHEMA_USER_KEY, R, RL,
	    nul, 3), -1, "a user with a NUL is not cut short");
	ok(out[0] == '\0', "and leaves an empty string");

	/* "turn/realm/tern.test/secret" is 27 bytes: 28 with its NUL. */
	is_int(auth_schema_key(out, 28, AUTH_SCHEMA_SECRET, R, RL, NULL, 0),
	    27, "exactly fits");
	is_str(out, "turn/realm/tern.test/secret", "whole");
	is_int(auth_schema_key(out, 27, AUTH_SCHEMA_SECRET, R, RL, NULL, 0),
	    -1, "one byte short: -1");
	ok(out[0] == '\0', "no truncated name left in the buffer");
	is_int(auth_schema_key(out, 0, AUTH_SCHEMA_SECRET, R, RL, NULL, 0),
	    -1, "no room at all");

	memset(big, 'u', sizeof(big));
	is_int(auth_schema_key(out, sizeof(out), AUTH_SCHEMA_USER_KEY, R, RL,
	    big, 40), -1, "a user that does not fit");
	ok(out[0] == '\0', "not truncated");
	is_int(auth_schema_key(out, sizeof(out), AUTH_SCHEMA_REVOKED, big, 60,
	    "u", 1), -1, "a realm that does not fit");
	is_int(auth_schema_key(big, sizeof(big), AUTH_SCHEMA_USER_KEY, R, RL,
	    "x", 1), 31, "the large buffer holds a short key");
}

static void
test_patterns(void)
{
	char out[AUTH_SCHEMA_PATTERN_MAX];

	is_int(auth_schema_key_pattern(out, sizeof(out), AUTH_SCHEMA_USER_KEY,
	    R, RL), 31, "user key pattern length");
	is_str(out, "turn/realm/tern.test/user/*/key", "user key pattern");
	ok(auth_schema_key_pattern(out, sizeof(out), AUTH_SCHEMA_REVOKED, R,
	    RL) > 0, "revocation pattern");
	is_str(out, "tern/revoked/tern.test/*", "revocation pattern");
	ok(auth_schema_key_pattern(out, sizeof(out), AUTH_SCHEMA_REVOKED,
	    "r*[?]\\", 6) > 0, "glob characters in the realm");
	is_str(out, "tern/revoked/r\\*\\[\\?\\]\\\\/*", "are escaped");
	is_int(auth_schema_key_pattern(out, sizeof(out), AUTH_SCHEMA_SECRET,
	    R, RL), -1, "no pattern for a key without a user");
	is_int(auth_schema_key_pattern(out, 24, AUTH_SCHEMA_REVOKED, R, RL),
	    -1, "a pattern that does not fit");
	ok(out[0] == '\0', "is not truncated");
}

static void
test_key_user(void)
{
	static const char k1[] = "turn/realm/tern.test/user/bob/key";
	static const char k2[] = "tern/revoked/tern.test/a/b";
	size_t off = 0, len = 0;

	is_int(auth_schema_key_user(AUTH_SCHEMA_USER_KEY, R, RL, k1,
	    sizeof(k1) - 1, &off, &len), 0, "a user key");
	ok(off == 26 && len == 3 && memcmp(k1 + off, "bob", 3) == 0,
	    "names bob");
	is_int(auth_schema_key_user(AUTH_SCHEMA_REVOKED, R, RL, k2,
	    sizeof(k2) - 1, &off, &len), 0, "a revocation");
	ok(len == 3 && memcmp(k2 + off, "a/b", 3) == 0, "names a/b");
	is_int(auth_schema_key_user(AUTH_SCHEMA_USER_KEY, R, RL,
	    "turn/realm/tern.test/user//key", 30, &off, &len), -1,
	    "no user");
	is_int(auth_schema_key_user(AUTH_SCHEMA_USER_KEY, R, RL,
	    "turn/realm/tern.test/user/bob/kex", 33, &off, &len), -1,
	    "another tail");
	is_int(auth_schema_key_user(AUTH_SCHEMA_USER_KEY, "other", 5, k1,
	    sizeof(k1) - 1, &off, &len), -1, "another realm");
	is_int(auth_schema_key_user(AUTH_SCHEMA_REVOKED, R, RL,
	    "tern/revoked/tern.test/", 23, &off, &len), -1,
	    "the prefix alone");
	is_int(auth_schema_key_user(AUTH_SCHEMA_REVOKED, R, RL,
	    "tern/revoked/tern.test/a\0b", 26, &off, &len), -1,
	    "a user with a NUL");
	is_int(auth_schema_key_user(AUTH_SCHEMA_SECRET, R, RL,
	    "turn/realm/tern.test/secret", 27, &off, &len), -1,
	    "a key without a user");
}

static void
test_events(void)
{
	char out[AUTH_SCHEMA_EVENT_MAX];

	is_int(auth_schema_event(out, sizeof(out), AUTH_SCHEMA_EV_SECRET, R,
	    RL), 16, "secret event length");
	is_str(out, "secret tern.test", "secret event");
	ok(auth_schema_event(out, sizeof(out), AUTH_SCHEMA_EV_UNREVOKE,
	    AUTH_SCHEMA_EV_ALL_REALMS, 1) > 0, "every realm");
	is_str(out, "unrevoke *", "unrevoke for every realm");
	is_str(AUTH_SCHEMA_EV_USER " " AUTH_SCHEMA_EV_REVOKE " "
	    AUTH_SCHEMA_EV_RULES, "user revoke rules", "the other words");
	is_int(auth_schema_event(out, 16, AUTH_SCHEMA_EV_SECRET, R, RL), -1,
	    "one byte short");
	ok(out[0] == '\0', "not truncated");
	is_int(auth_schema_event(out, sizeof(out), "", R, RL), -1,
	    "no word");
	is_int(auth_schema_event(out, sizeof(out), "a b", R, RL), -1,
	    "a word with a space");
	is_int(auth_schema_event(out, sizeof(out), AUTH_SCHEMA_EV_USER, "", 0),
	    -1, "no realm");
}

int
main(void)
{
	test_names();
	test_refused();
	test_patterns();
	test_key_user();
	test_events();
	return tap_done();
}
