/* SPDX-License-Identifier: ISC */
/* Long-term keys (RFC 8489 §9.2.2, §18.5.1), USERHASH (§14.4) with the
 * credentials of RFC 5769 §2.4 and RFC 8489 Appendix B.1, and the
 * credential set. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "util/crypto.h"
#include "tap.h"

/* "マトリックス" in UTF-8 (RFC 5769 §2.4) */
static const char MATRIX[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa"
    "\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

static int
hex_eq(const uint8_t *got, size_t len, const char *hex)
{
	unsigned char want[64];
	long n = tap_unhex(hex, want, sizeof(want));

	return n == (long)len && memcmp(got, want, len) == 0;
}

static void
test_vectors(void)
{
	uint8_t k16[16], k32[32];

	/* printf '%s' 'user:realm:pass' | openssl dgst -md5 */
	is_int(auth_key_md5("user", 4, "realm", 5, "pass", 4, k16), 0, "md5");
	ok(hex_eq(k16, 16, "8493fbc53ba582fb4c044c456bdc40eb"),
	    "MD5(user:realm:pass) = 8493fbc5...");
	/* RFC 5769 §2.4: TheMatrIX is the SASLprep'd password; we hash bytes */
	auth_key_md5(MATRIX, 18, "example.org", 11, "TheMatrIX", 9, k16);
	ok(hex_eq(k16, 16, "e8ca7ad59d5eb0518e312911d2dab2a9"),
	    "long-term key of the RFC 5769 §2.4 credentials");
	/* RFC 8489 Appendix B.1: SHA-256 key and USERHASH */
	auth_key_sha256(MATRIX, 18, "example.org", 11, "TheMatrIX", 9, k32);
	ok(hex_eq(k32, 32, "dd295a613b9058c3c23d6dc7165bda07"
	    "2304d989c9d0af3a8c7e184b4f9bb4a1"),
	    "SHA-256 key of the Appendix B.1 credentials");
	is_int(auth_userhash(MATRIX, 18, "example.org", 11, k32), 0,
	    "userhash");
	ok(hex_eq(k32, 32, "4a3cf38fef6992bda952c6780417da0f"
	    "24819415569e60b205c46e41407f1704"), "Appendix B.1 USERHASH");
	/* the keys of REST credential 1735689600:alice (test_auth_rest.c) */
	auth_key_md5("1735689600:alice", 16, "example.org", 11,
	    "yPlE/dEM42nx7DAbLdBChBwv7Iw=", 28, k16);
	ok(hex_eq(k16, 16, "d64cff3edad7347e968942e5321ba5c3"),
	    "REST MD5 key");
	auth_key_sha256("1735689600:alice", 16, "example.org", 11,
	    "yPlE/dEM42nx7DAbLdBChBwv7Iw=", 28, k32);
	ok(hex_eq(k32, 32, "41ff810f4b2bf7dce965b34729a10273"
	    "49fae2d0da3f4f638e7680865368dec5"), "REST SHA-256 key");
	/* a wrong password gives another key */
	auth_key_md5("user", 4, "realm", 5, "pasS", 4, k16);
	ok(!hex_eq(k16, 16, "8493fbc53ba582fb4c044c456bdc40eb"),
	    "other password, other key");
}

static void
test_new(void)
{
	struct auth_creds *c;
	char big[AUTH_REALM_MAX + 1];

	memset(big, 'r', sizeof(big));
	ok(auth_creds_new("", 0, ':', 0, 0) == NULL, "empty realm refused");
	ok(auth_creds_new(big, sizeof(big), ':', 0, 0) == NULL,
	    "128-byte realm refused");
	ok(auth_creds_new("r", 1, '5', 0, 0) == NULL, "digit separator refused");
	ok(auth_creds_new("r", 1, ' ', 0, 0) == NULL, "space separator refused");
	c = auth_creds_new(big, AUTH_REALM_MAX, '|', 0, 0);
	ok(c != NULL, "127-byte realm, '|' separator");
	ok(c && c->max_ttl == AUTH_MAX_TTL_DEFAULT && c->skew ==
	    AUTH_SKEW_DEFAULT, "defaults for max_ttl and skew");
	auth_creds_free(c);
	auth_creds_free(NULL);
	/* returning from free(NULL) (ASan in build-asan) is the check */
}

static void
test_users(void)
{
	static const char *bad[] = { "nocolon", ":pw", "", "a\0b:pw" };
	struct auth_creds *c;
	const struct auth_user *u;
	char name[AUTH_NAME_MAX + 8];
	uint8_t hash[32];
	size_t i;

	c = auth_creds_new("realm", 5, ':', 0, 0);
	is_int(auth_creds_add_user(c, "user:pass", 9), 0, "user:pass");
	is_int(auth_creds_add_user(c, "bob:0x8493FBC53BA582FB4C044C456BDC40EB",
	    38), 0, "bob:0x<key>");
	is_int(auth_creds_add_user(c, "carol:a:b:c", 11), 0,
	    "password with colons");
	is_int(auth_creds_add_user(c, "dave:0x8493", 11), 0,
	    "short 0x is a password");
	is_int(auth_creds_add_user(c, "user:other", 10), -1, "duplicate name");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(auth_creds_add_user(c, bad[i], i == 3 ? 6 :
		    strlen(bad[i])), -1, "bad user spec %zu", i);
	memset(name, 'n', sizeof(name));
	name[AUTH_NAME_MAX] = ':';
	is_int(auth_creds_add_user(c, name, AUTH_NAME_MAX + 3), 0,
	    "255-byte name");
	name[AUTH_NAME_MAX] = 'n';
	name[AUTH_NAME_MAX + 1] = ':';
	is_int(auth_creds_add_user(c, name, AUTH_NAME_MAX + 3), -1,
	    "256-byte name refused");
	is_int(auth_creds_nusers(c), 5, "five users");
	auth_creds_seal(c);
	is_int(auth_creds_add_user(c, "late:pw", 7), -1, "sealed: no adds");

	u = auth_creds_user_find(c, (const uint8_t *)"user", 4);
	ok(u && hex_eq(u->md5, 16, "8493fbc53ba582fb4c044c456bdc40eb") &&
	    u->has_sha256, "password user: MD5 and SHA-256 keys");
	u = auth_creds_user_find(c, (const uint8_t *)"bob", 3);
	ok(u && hex_eq(u->md5, 16, "8493fbc53ba582fb4c044c456bdc40eb") &&
	    !u->has_sha256, "0x user: MD5 key only");
	u = auth_creds_user_find(c, (const uint8_t *)"carol", 5);
	ok(u != NULL, "carol found");
	ok(auth_creds_user_find(c, (const uint8_t *)"use", 3) == NULL &&
	    auth_creds_user_find(c, (const uint8_t *)"users", 5) == NULL &&
	    auth_creds_user_find(c, (const uint8_t *)"User", 4) == NULL,
	    "no prefix or case matches");
	auth_userhash("bob", 3, "realm", 5, hash);
	u = auth_creds_userhash_find(c, hash, 32);
	ok(u && u->name_len == 3 && memcmp(u->name, "bob", 3) == 0,
	    "USERHASH finds bob");
	hash[0] ^= 1;
	ok(auth_creds_userhash_find(c, hash, 32) == NULL, "bad USERHASH");
	ok(auth_creds_userhash_find(c, hash, 31) == NULL, "short USERHASH");
	auth_creds_free(c);
}

static void
test_secrets(void)
{
	struct auth_creds *c;
	uint8_t s[AUTH_SECRET_MAX + 1];
	int i;

	memset(s, 's', sizeof(s));
	c = auth_creds_new("realm", 5, ':', 0, 0);
	is_int(auth_creds_add_secret(c, s, 0), -1, "empty secret refused");
	is_int(auth_creds_add_secret(c, s, sizeof(s)), -1,
	    "257-byte secret refused");
	for (i = 0; i < AUTH_MAX_SECRETS; i++)
		auth_creds_add_secret(c, s, AUTH_SECRET_MAX);
	is_int(auth_creds_nsecrets(c), AUTH_MAX_SECRETS, "16 secrets");
	is_int(auth_creds_add_secret(c, s, 1), -1, "17th refused");
	auth_creds_free(c);
}

/* The block-list of revoked users (`ternctl revoke`). */
static void
test_revoked(void)
{
	struct auth_creds *c;
	uint8_t big[AUTH_USER_KEY_NAME_MAX + 1];
	char name[16];
	int i, n;
	bool all;

	memset(big, 'x', sizeof(big));
	c = auth_creds_new("realm", 5, ':', 0, 0);
	is_int(auth_creds_add_revoked(c, "alice", 5, 1000), 0, "add alice");
	is_int(auth_creds_add_revoked(c, "bob", 3, 500), 0, "add bob");
	is_int(auth_creds_add_revoked(c, "alice", 5, 2000), 0,
	    "alice again, later");
	is_int(auth_creds_add_revoked(c, "alice", 5, 10), 0,
	    "alice again, earlier");
	is_int(auth_creds_add_revoked(c, "x", 0, 10), -1, "empty refused");
	is_int(auth_creds_add_revoked(c, big, sizeof(big), 10), -1,
	    "514 bytes refused");
	is_int(auth_creds_add_revoked(c, big, sizeof(big) - 1, 10), 0,
	    "513 bytes accepted");
	ok(!auth_creds_is_revoked(c, "alice", 5, 0), "unsealed: not revoked");
	auth_creds_seal(c);
	is_int(auth_creds_add_revoked(c, "carol", 5, 10), -1,
	    "after seal refused");
	ok(auth_creds_is_revoked(c, "alice", 5, 1999),
	    "alice revoked until the latest until");
	ok(!auth_creds_is_revoked(c, "alice", 5, 2000), "until is exclusive");
	ok(auth_creds_is_revoked(c, "bob", 3, 0) &&
	    !auth_creds_is_revoked(c, "bob", 3, 500), "bob until 500");
	ok(!auth_creds_is_revoked(c, "alic", 4, 0) &&
	    !auth_creds_is_revoked(c, "alicee", 6, 0) &&
	    !auth_creds_is_revoked(c, "Alice", 5, 0), "exact bytes only");
	ok(!auth_creds_is_revoked(c, NULL, 0, 0) &&
	    !auth_creds_is_revoked(NULL, "alice", 5, 0), "NULL is not revoked");
	auth_creds_free(c);

	/* many: every one found after the sort */
	c = auth_creds_new("realm", 5, ':', 0, 0);
	for (i = 0; i < 300; i++) {
		n = snprintf(name, sizeof(name), "u%d", (i * 7919) % 300);
		auth_creds_add_revoked(c, name, (size_t)n, 100 + (uint64_t)i);
	}
	auth_creds_seal(c);
	all = true;
	for (i = 0; i < 300; i++) {
		n = snprintf(name, sizeof(name), "u%d", i);
		all = all && auth_creds_is_revoked(c, name, (size_t)n, 99);
	}
	ok(all, "300 revoked users all found");
	ok(!auth_creds_is_revoked(c, "u300", 4, 0), "u300 is not");
	auth_creds_free(c);
	auth_creds_free(NULL);
}

/*
 * A Redis snapshot's worth (docs/security.md, Redis under abuse): 100,000
 * revoked users, each found by binary search (at most 18 comparisons up to
 * the limit of 262,144), the others not; one more than the limit refused.
 */
static void
test_revoked_many(void)
{
	struct auth_creds *c = auth_creds_new("realm", 5, ':', 0, 0);
	char name[32];
	int i, n, added = 0, found = 0, others = 0;

	for (i = 0; i < 100000; i++) {
		n = snprintf(name, sizeof(name), "user-%d", (i * 7919) % 100000);
		added += auth_creds_add_revoked(c, name, (size_t)n, 1000) == 0;
	}
	is_int(added, 100000, "100,000 revoked users added");
	auth_creds_seal(c);
	for (i = 0; i < 100000; i++) {
		n = snprintf(name, sizeof(name), "user-%d", i);
		found += auth_creds_is_revoked(c, name, (size_t)n, 999);
		n = snprintf(name, sizeof(name), "other-%d", i);
		others += auth_creds_is_revoked(c, name, (size_t)n, 999);
	}
	is_int(found, 100000, "every one of them revoked");
	is_int(others, 0, "no one else");
	auth_creds_free(c);
	c = auth_creds_new("realm", 5, ':', 0, 0);
	for (added = 0, i = 0; i < 262145; i++) {
		n = snprintf(name, sizeof(name), "u%d", i);
		added += auth_creds_add_revoked(c, name, (size_t)n, 1000) == 0;
	}
	is_int(added, 262144, "at most 262,144 in one set");
	auth_creds_free(c);
}

static void
test_rest_hmac(void)
{
	struct auth_creds *c = auth_creds_new("realm", 5, ':', 0, 0);

	is_int(auth_creds_set_rest_hmac(c, CRYPTO_MD_SHA256), 0, "sha256 set");
	is_int(auth_creds_set_rest_hmac(c, (enum crypto_md)9), -1,
	    "unknown digest refused");
	auth_creds_seal(c);
	is_int(auth_creds_set_rest_hmac(c, CRYPTO_MD_SHA1), -1,
	    "after seal refused");
	auth_creds_free(c);
}

/*
 * USERHASH (RFC 8489 §14.4) among 10,000 users: every one is found through
 * the index, sorted or not, in a few probes (a scan would visit up to
 * 10,000), and a duplicate name is refused without a scan either.
 */
static void
test_userhash_index(void)
{
	struct auth_creds *c = auth_creds_new("example.org", 11, ':', 0, 0);
	const struct auth_user *u;
	char spec[64];
	uint8_t uh[32];
	unsigned probes, worst = 0;
	size_t i, added = 0, found = 0;
	int n;

	for (i = 0; c != NULL && i < 10000; i++) {
		/* added in an order that is not the sorted one */
		n = snprintf(spec, sizeof(spec), "user%05zu:pw%zu",
		    (i * 7919) % 10000, i);
		if (auth_creds_add_user(c, spec, (size_t)n) == 0)
			added++;
	}
	if (!ok(added == 10000, "10,000 users added"))
		goto out;
	is_int(auth_creds_add_user(c, "user04242:other", 15), -1,
	    "a duplicate name among 10,000 is refused");
	auth_userhash("user04242", 9, "example.org", 11, uh);
	u = auth_creds_userhash_find(c, uh, sizeof(uh));
	ok(u != NULL && u->name_len == 9 && memcmp(u->name, "user04242", 9) ==
	    0, "unsealed: USERHASH finds user04242");
	auth_creds_seal(c);
	for (i = 0; i < 10000; i++) {
		n = snprintf(spec, sizeof(spec), "user%05zu", i);
		auth_userhash(spec, (size_t)n, "example.org", 11, uh);
		probes = 0;
		u = auth_creds_userhash_probe(c, uh, sizeof(uh), &probes);
		if (u != NULL && u->name_len == (size_t)n &&
		    memcmp(u->name, spec, (size_t)n) == 0)
			found++;
		if (probes > worst)
			worst = probes;
	}
	is_int(found, 10000, "sealed: every USERHASH finds its user");
	ok(worst >= 1 && worst <= 32, "at most %u probes for any of them",
	    worst);
	uh[0] ^= 1;
	probes = 0;
	u = auth_creds_userhash_probe(c, uh, sizeof(uh), &probes);
	ok(u == NULL && probes >= 1 && probes <= 32,
	    "an unknown USERHASH: NULL after %u probes", probes);
out:
	auth_creds_free(c);
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_revoked();
	test_revoked_many();
	test_rest_hmac();
	test_vectors();
	test_new();
	test_users();
	test_secrets();
	test_userhash_index();
	return tap_done();
}
