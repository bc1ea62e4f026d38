/* SPDX-License-Identifier: ISC */
/*
 * auth_redis_conf.c: coturn's redis-userdb connection string, and the pure
 * helpers of the Redis client (fingerprints, glob escaping, hex keys,
 * snapshot comparison).
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "tap.h"

static int
parse(const char *s, struct auth_redis_conf *c, const char **why)
{
	*why = NULL;
	return auth_redis_conf_parse(s, strlen(s), c, why);
}

static void
test_good(void)
{
	struct auth_redis_conf c;
	const char *why;

	is_int(parse("ip=10.1.2.3 port=6380 dbname=3 password=s3cr%t "
	    "connect_timeout=30", &c, &why), 0, "coturn's example parses");
	is_str(c.host, "10.1.2.3", "ip");
	is_int(c.port, 6380, "port");
	is_int((int)c.dbname, 3, "dbname");
	is_str(c.password, "s3cr%t", "password kept as given");
	is_int((int)c.connect_timeout, 30, "connect_timeout");
	ok(c.unix_path[0] == '\0' && c.user[0] == '\0', "no unix, no user");
	auth_redis_conf_clear(&c);
	ok(c.password[0] == '\0', "clear wipes the password");

	is_int(parse("host=localhost", &c, &why), 0, "host= is a synonym");
	is_str(c.host, "localhost", "host");
	is_int(c.port, 6379, "default port");
	is_int((int)c.dbname, 0, "default dbname");
	is_int((int)c.connect_timeout, AUTH_REDIS_CONNECT_TIMEOUT,
	    "default connect_timeout");
	is_int(parse("  unix=/run/redis/redis.sock\tdb=1 user=tern "
	    "password=x  ", &c, &why), 0, "unix, db, user, tabs and spaces");
	is_str(c.unix_path, "/run/redis/redis.sock", "unix path");
	is_str(c.user, "tern", "ACL user");
	is_int((int)c.dbname, 1, "db= alias");
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"", "   ", "ip", "ip=", "=1", "port=0", "port=65536",
		"port=-1", "port=12a", "port= 1", "dbname=65536", "dbname=x",
		"connect_timeout=0", "connect_timeout=3601", "frobnicate=1",
		"unix=relative.sock", "password=", "ip=1.2.3.4 bogus",
		"port=99999999999999999999",
	};
	struct auth_redis_conf c;
	const char *why;
	size_t i;
	char longpw[600];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse(bad[i], &c, &why), -1, "refused: \"%s\"", bad[i]);
		ok(why != NULL, "with a reason (%s)", why ? why : "none");
	}
	memset(longpw, 'p', sizeof(longpw));
	memcpy(longpw, "password=", 9);
	longpw[sizeof(longpw) - 1] = '\0';
	is_int(parse(longpw, &c, &why), -1, "a 590-byte password is refused");
	ok(why != NULL && strstr(why, "ppp") == NULL, "the reason does not "
	    "quote it");
	is_int(parse("password=a\x01" "b", &c, &why), -1, "control bytes "
	    "refused");
}

static void
test_helpers(void)
{
	char fp[17], out[64];
	uint8_t key[16];

	/* SHA-256("secret") = 2bb80d537b1da3e3... */
	auth_redis_fingerprint("secret", 6, fp);
	is_str(fp, "2bb80d537b1da3e3", "fingerprint: 16 hex of SHA-256");
	is_int((int)auth_redis_glob_escape("a*b?[c]\\d", 9, out, sizeof(out)),
	    14, "glob escape length");
	is_str(out, "a\\*b\\?\\[c\\]\\\\d", "glob metacharacters escaped");
	is_int((int)auth_redis_glob_escape("abc", 3, out, 3), -1,
	    "glob escape: too small");
	is_int(auth_redis_key_decode("0123456789abcdefABCDEF0123456789", 32,
	    key), 0, "hex key");
	ok(key[0] == 0x01 && key[7] == 0xef && key[8] == 0xab &&
	    key[15] == 0x89, "decoded bytes");
	is_int(auth_redis_key_decode("0123456789abcdef0123456789abcde", 31,
	    key), -1, "31 digits refused");
	is_int(auth_redis_key_decode("0123456789abcdef0123456789abcdeg", 32,
	    key), -1, "non-hex refused");
}

static struct auth_redis_snap *
snap(const char *secret, const char *revoked, uint64_t until)
{
	struct auth_redis_snap *s = calloc(1, sizeof(*s));

	s->secrets = calloc(1, sizeof(*s->secrets));
	s->secrets[0].p = (uint8_t *)strdup(secret);
	s->secrets[0].len = strlen(secret);
	s->nsecrets = 1;
	if (revoked != NULL) {
		s->revoked = calloc(1, sizeof(*s->revoked));
		s->revoked[0].user.p = (uint8_t *)strdup(revoked);
		s->revoked[0].user.len = strlen(revoked);
		s->revoked[0].until = until;
		s->nrevoked = 1;
	}
	return s;
}

static void
test_snap(void)
{
	struct auth_redis_snap *a = snap("one", NULL, 0), *b = snap("one",
	    NULL, 0), *c = snap("two", NULL, 0), *d = snap("one", "eve", 5),
	    *e = snap("one", "eve", 9);

	ok(auth_redis_snap_equal(a, b), "same secrets: equal");
	ok(!auth_redis_snap_equal(a, c), "other secret: differs");
	ok(!auth_redis_snap_equal(a, d), "a revocation: differs");
	ok(auth_redis_snap_equal(d, e), "only `until` moved: equal");
	b->has_user_quota = true;
	ok(!auth_redis_snap_equal(a, b), "a quota: differs");
	ok(auth_redis_snap_equal(NULL, NULL) && !auth_redis_snap_equal(a, NULL),
	    "NULL");
	auth_redis_snap_free(a);
	auth_redis_snap_free(b);
	auth_redis_snap_free(c);
	auth_redis_snap_free(d);
	auth_redis_snap_free(e);
	auth_redis_snap_free(NULL);
}

static void
test_filter(void)
{
	struct auth_redis_str raw[3];
	struct auth_redis_snap s;
	char fps[2][17];
	uint64_t until[2];
	const char *names[3] = { "zeta", "alpha", "expired" };
	size_t i;

	for (i = 0; i < 3; i++) {
		raw[i].p = (uint8_t *)strdup(names[i]);
		raw[i].len = strlen(names[i]);
	}
	auth_redis_fingerprint("expired", 7, fps[0]);
	until[0] = 1000;		/* passed */
	auth_redis_fingerprint("zeta", 4, fps[1]);
	until[1] = 5000;		/* ahead */
	memset(&s, 0, sizeof(s));
	is_int(auth_redis_secrets_filter(raw, 3, (const char (*)[17])fps,
	    until, 2, 2000, &s), 0, "filter");
	is_int((int)s.nsecrets, 2, "the expired secret is left out");
	ok(s.nsecrets == 2 && memcmp(s.secrets[0].p, "alpha", 5) == 0 &&
	    memcmp(s.secrets[1].p, "zeta", 4) == 0, "sorted");
	is_int((int)s.next_expiry, 5000, "the next expiry is known");
	for (i = 0; i < 3; i++)
		free(raw[i].p);
	for (i = 0; i < s.nsecrets; i++)
		free(s.secrets[i].p);
	free(s.secrets);
}

static void
test_events(void)
{
	static const char realm[] = "tern.test";

	is_int(auth_redis_event_parse("secret tern.test", 16, realm, 9),
	    AUTH_REDIS_EV_SECRET, "secret for our realm");
	is_int(auth_redis_event_parse("user *", 6, realm, 9),
	    AUTH_REDIS_EV_USER, "user for every realm");
	is_int(auth_redis_event_parse("revoke tern.test", 16, realm, 9),
	    AUTH_REDIS_EV_REVOKE, "revoke");
	is_int(auth_redis_event_parse("unrevoke tern.test", 18, realm, 9),
	    AUTH_REDIS_EV_UNREVOKE, "unrevoke");
	is_int(auth_redis_event_parse("rules tern.test", 15, realm, 9),
	    AUTH_REDIS_EV_RULES, "rules");
	is_int(auth_redis_event_parse("secret other", 12, realm, 9),
	    AUTH_REDIS_EV_NONE, "another realm");
	is_int(auth_redis_event_parse("secret tern.testX", 17, realm, 9),
	    AUTH_REDIS_EV_NONE, "a longer realm");
	is_int(auth_redis_event_parse("frob tern.test", 14, realm, 9),
	    AUTH_REDIS_EV_NONE, "unknown what");
	is_int(auth_redis_event_parse("secret", 6, realm, 9),
	    AUTH_REDIS_EV_NONE, "no realm");
}

static void
test_keys(void)
{
	char out[64];
	uint64_t v;

	is_int((int)auth_redis_key_build(out, sizeof(out), "turn/realm/", "r",
	    1, "/user/a b", 9, "/key"), 25, "key length");
	is_str(out, "turn/realm/r/user/a b/key", "key name");
	is_int((int)auth_redis_key_build(out, 25, "turn/realm/", "r", 1,
	    "/user/a b", 9, "/key"), -1, "no room for the NUL");
	is_int(auth_redis_u64_parse("1735689600", 10, &v), 0, "u64");
	ok(v == 1735689600, "value");
	is_int(auth_redis_u64_parse("-1", 2, &v), -1, "sign refused");
	is_int(auth_redis_u64_parse("", 0, &v), -1, "empty refused");
}

int
main(void)
{
	test_filter();
	test_events();
	test_keys();
	test_good();
	test_bad();
	test_helpers();
	test_snap();
	return tap_done();
}
