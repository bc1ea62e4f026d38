/* SPDX-License-Identifier: ISC */
/* auth_check: every branch of RFC 8489 §9.2.4 in tern's order (the nonce
 * before the user, src/auth/auth_check.c), an authenticated REST Allocate
 * written out in hex, REST rotation, static users, keys from an outside
 * store, and the challenge attributes. What a request with a bad nonce
 * costs is in test_auth_nonce.c, USERHASH among 10,000 users in
 * test_auth_key.c. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "stun/stun.h"
#include "util/crypto.h"
#include "tap.h"

#define REALM	"example.org"
#define SECRET	"turn-test-secret"

static const uint8_t TID[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
/* PASSWORD-ALGORITHMS as tern sends it: SHA-256, then MD5 */
static const uint8_t PAS[8] = { 0, 2, 0, 0, 0, 1, 0, 0 };
static const uint64_t NOW = 1735689600 - 3600;	/* 1735689600:alice valid */

static struct auth_ctx ctx;
static struct addr client;

/* One request, assembled from these. */
struct req {
	const char *user;
	const uint8_t *userhash;
	const char *realm;
	const char *nonce;
	const uint8_t *pa;	/* 4 bytes, or NULL */
	size_t pa_len;
	const uint8_t *pas;	/* or NULL */
	size_t pas_len;
	const uint8_t *key;	/* NULL: no integrity */
	size_t klen;
	bool mi;		/* MESSAGE-INTEGRITY */
	bool mi256;		/* MESSAGE-INTEGRITY-SHA256 */
};

static uint8_t msgbuf[2048];
static struct stun_msg msg;

static const struct stun_msg *
build(const struct req *r)
{
	struct stun_builder b;
	size_t n;

	stun_builder_init(&b, msgbuf, sizeof(msgbuf), STUN_ALLOCATE,
	    STUN_REQUEST, TID);
	stun_add_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 0x11000000);
	if (r->user)
		stun_add(&b, STUN_ATTR_USERNAME, r->user, strlen(r->user));
	if (r->userhash)
		stun_add(&b, STUN_ATTR_USERHASH, r->userhash, 32);
	if (r->realm)
		stun_add(&b, STUN_ATTR_REALM, r->realm, strlen(r->realm));
	if (r->nonce)
		stun_add(&b, STUN_ATTR_NONCE, r->nonce, strlen(r->nonce));
	if (r->pa)
		stun_add(&b, STUN_ATTR_PASSWORD_ALGORITHM, r->pa, r->pa_len);
	if (r->pas)
		stun_add(&b, STUN_ATTR_PASSWORD_ALGORITHMS, r->pas, r->pas_len);
	if (r->key && r->mi)
		stun_add_integrity(&b, r->key, r->klen);
	if (r->key && r->mi256)
		stun_add_integrity_sha256(&b, r->key, r->klen);
	if ((n = stun_builder_finish(&b)) == 0 ||
	    stun_decode(&msg, msgbuf, n) != STUN_OK) {
		diag("could not build the request");
		exit(1);
	}
	return &msg;
}

/* The REST long-term key for (secret, username). */
static void
rest_key(const char *secret, const char *user, enum auth_alg alg,
    uint8_t *key)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];

	auth_rest_password(secret, strlen(secret), user, strlen(user), pw);
	if (alg == AUTH_ALG_SHA256)
		auth_key_sha256(user, strlen(user), REALM, 11, pw, 28, key);
	else
		auth_key_md5(user, strlen(user), REALM, 11, pw, 28, key);
}

static struct auth_creds *
creds_make(const char **secrets, size_t n, const char *users)
{
	struct auth_creds *c = auth_creds_new(REALM, 11, ':', 0, 0);
	const char *u, *e;
	size_t i;

	for (i = 0; i < n; i++)
		auth_creds_add_secret(c, secrets[i], strlen(secrets[i]));
	for (u = users; u && *u; u = *e ? e + 1 : e) {
		e = strchr(u, ' ');
		if (e == NULL)
			e = u + strlen(u);
		auth_creds_add_user(c, u, (size_t)(e - u));
	}
	auth_creds_seal(c);
	return c;
}

static enum auth_verdict
run(const struct auth_creds *c, const struct stun_msg *m, uint64_t now,
    struct auth_result *res)
{
	return auth_check(&ctx, c, m, &client, now, res);
}

/* An Allocate signed with the REST credential 1735689600:alice (secret
 * turn-test-secret, realm example.org) and the nonce
 * obMatJos2AAAB0123456789abcdef, written out in hex. */
static void
test_rest_vector(void)
{
	static const char hex[] =
	    "000300702112a4420102030405060708090a0b0c001900041100000000060010"
	    "313733353638393630303a616c6963650014000b6578616d706c652e6f726700"
	    "0015001d6f624d61744a6f733241414142303132333435363738396162636465"
	    "6600000000080014487bd405535455e4731ccdfdeadba9353911610680280004"
	    "22efa67d";
	static const char *good[] = { SECRET }, *bad[] = { "turn-test-secreT" };
	uint8_t v[256], want[16];
	struct auth_creds *c = creds_make(good, 1, NULL);
	struct auth_creds *w = creds_make(bad, 1, NULL);
	struct auth_result res;
	struct stun_msg m;
	long n = tap_unhex(hex, v, sizeof(v));

	tap_unhex("d64cff3edad7347e968942e5321ba5c3", want, sizeof(want));
	if (!ok(n == 132 && stun_decode(&m, v, (size_t)n) == STUN_OK,
	    "REST Allocate vector decodes"))
		goto out;
	auth_ctx_force_nonce(&ctx, AUTH_NONCE_VALID);
	is_int(run(c, &m, NOW, &res), AUTH_OK, "REST Allocate vector verifies");
	ok(res.key_len == 16 && memcmp(res.key, want, 16) == 0,
	    "key = d64cff3e...");
	ok(res.alg == AUTH_ALG_MD5 && !res.sign_sha256, "MD5, sign with MI");
	ok(res.rest && res.expiry == 1735689600, "REST, expiry");
	ok(res.user_len == 5 && res.user >= v && res.user < v + n &&
	    memcmp(res.user, "alice", 5) == 0, "user-id is a view: alice");
	ok(res.username_len == 16 && res.username >= v, "username view");
	auth_result_clear(&res);
	ok(res.key_len == 0 && res.key[0] == 0, "result cleared");
	is_int(run(w, &m, NOW, &res), AUTH_UNAUTHENTICATED, "wrong secret 401");
	is_int(res.reason, AUTH_R_BAD_INTEGRITY, "reason bad-integrity");
	ok(res.key_len == 0 && res.user == NULL, "no key or user on 401");
	is_int(run(c, &m, 1735689600 + 30, &res), AUTH_UNAUTHENTICATED,
	    "expired (beyond skew) 401");
	is_int(res.reason, AUTH_R_EXPIRED_VALID,
	    "reason expired-valid (the MAC verified)");
	ok(res.key_len == 16 && memcmp(res.key, want, 16) == 0 && res.rest &&
	    res.expiry == 1735689600 && res.user_len == 5,
	    "expired-valid keeps key, expiry and user");
	is_int(run(w, &m, 1735689600 + 30, &res), AUTH_UNAUTHENTICATED,
	    "expired, wrong secret 401");
	is_int(res.reason, AUTH_R_EXPIRED, "reason expired (MAC bad)");
	ok(res.key_len == 0 && res.user == NULL, "no key or user");
	is_int(run(c, &m, 1735689600 - 86400 - 31, &res),
	    AUTH_UNAUTHENTICATED, "too far ahead 401");
	is_int(res.reason, AUTH_R_EXPIRED, "too far ahead: expired, no key");
	ok(res.key_len == 0, "too far ahead: key wiped");
	auth_ctx_force_nonce(&ctx, AUTH_NONCE_STALE);
	is_int(run(c, &m, NOW, &res), AUTH_STALE, "stale + right password 438");
	is_int(res.reason, AUTH_R_STALE_NONCE, "reason stale-nonce");
	ok(res.key_len == 0 && res.user == NULL,
	    "438 has no key: nothing was verified");
	is_int(run(w, &m, NOW, &res), AUTH_STALE,
	    "stale + wrong password 438 (the nonce is checked first)");
	is_int(res.reason, AUTH_R_STALE_NONCE, "reason stale-nonce");
	auth_ctx_force_nonce(&ctx, AUTH_NONCE_INVALID);
	is_int(run(c, &m, NOW, &res), AUTH_STALE, "not our nonce 438");
	is_int(res.reason, AUTH_R_BAD_NONCE, "reason bad-nonce");
	/* the real check: the fixed nonce is not one we issued */
	ctx.nonce_forced = false;
	is_int(run(c, &m, NOW, &res), AUTH_STALE,
	    "unforced: the hand-written nonce is not ours: 438");
out:
	ctx.nonce_forced = false;
	auth_result_clear(&res);
	auth_creds_free(c);
	auth_creds_free(w);
}

/* A 401 with the challenge; returns the nonce (static storage). */
static const char *
challenge(const struct auth_creds *c, const struct addr *a, uint64_t now)
{
	static char nonce[AUTH_NONCE_LEN + 1];
	const struct stun_attr *at;
	struct stun_builder b;
	struct stun_msg rsp;
	uint8_t buf[256];
	size_t n;

	nonce[0] = '\0';
	stun_builder_reply(&b, buf, sizeof(buf), &msg, STUN_ERROR);
	stun_add_error(&b, 401);
	if (auth_challenge_add(&ctx, c, &b, a, now) != 0 ||
	    (n = stun_builder_finish(&b)) == 0 ||
	    stun_decode(&rsp, buf, n) != STUN_OK)
		return nonce;
	at = stun_msg_attr(&rsp, STUN_ATTR_REALM);
	ok(at && at->len == 11 && memcmp(at->val, REALM, 11) == 0, "REALM");
	at = stun_msg_attr(&rsp, STUN_ATTR_PASSWORD_ALGORITHMS);
	ok(at && at->len == 8 && memcmp(at->val, PAS, 8) == 0,
	    "PASSWORD-ALGORITHMS SHA-256, MD5");
	ok(at && at->len >= 4 && at->val[0] == 0 && at->val[1] == 2 &&
	    at->val[2] == 0 && at->val[3] == 0,
	    "SHA-256 first: an RFC 8489 client that has it picks it");
	ok(rsp.nattrs == 4 && rsp.mi_off == 0 && rsp.mi256_off == 0 &&
	    !stun_msg_attr(&rsp, STUN_ATTR_USERNAME),
	    "only ERROR-CODE, REALM, NONCE, PASSWORD-ALGORITHMS; no MI");
	at = stun_msg_attr(&rsp, STUN_ATTR_NONCE);
	if (at && at->len == AUTH_NONCE_LEN) {
		memcpy(nonce, at->val, AUTH_NONCE_LEN);
		nonce[AUTH_NONCE_LEN] = '\0';
	}
	return nonce;
}

static void
test_flow(void)
{
	static const char *s[] = { SECRET };
	struct auth_creds *c = creds_make(s, 1, NULL);
	const char *user = "1735689600:alice";
	struct auth_result res;
	struct req r = { 0 };
	uint8_t key[16], badkey[16];
	struct addr other;
	char nonce[AUTH_NONCE_LEN + 1];

	/* 1. no MI: the challenge */
	r.user = user;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "no MI: 401");
	is_int(res.reason, AUTH_R_NO_INTEGRITY, "reason no-integrity");
	memcpy(nonce, challenge(c, &client, NOW), sizeof(nonce));
	ok(auth_nonce_check(&ctx, (const uint8_t *)nonce, strlen(nonce),
	    &client, NOW) == AUTH_NONCE_VALID, "challenge nonce valid: %s",
	    nonce);
	/* the client retries with the nonce and its REST credential */
	rest_key(SECRET, user, AUTH_ALG_MD5, key);
	memcpy(badkey, key, 16);
	badkey[0] ^= 1;
	r.realm = REALM;
	r.nonce = nonce;
	r.key = key;
	r.klen = 16;
	r.mi = true;
	is_int(run(c, build(&r), NOW + 10, &res), AUTH_OK, "retry: ok");
	is_int(run(c, build(&r), NOW + 601, &res), AUTH_STALE,
	    "after stale-nonce: 438");
	other = client;
	addr_set_port(&other, 40001);
	is_int(auth_check(&ctx, c, build(&r), &other, NOW, &res), AUTH_STALE,
	    "same nonce from another port: 438");
	is_int(res.reason, AUTH_R_BAD_NONCE, "reason bad-nonce");
	r.key = badkey;
	is_int(run(c, build(&r), NOW + 601, &res), AUTH_STALE,
	    "stale + bad MI: 438 (nonce first; the retry gets the 401)");
	is_int(res.reason, AUTH_R_STALE_NONCE, "reason stale-nonce");
	is_int(run(c, build(&r), NOW + 10, &res), AUTH_UNAUTHENTICATED,
	    "fresh nonce + bad MI: 401");
	is_int(res.reason, AUTH_R_BAD_INTEGRITY, "reason bad-integrity");
	auth_creds_free(c);
}

static void
test_missing(void)
{
	static const char *s[] = { SECRET };
	struct auth_creds *c = creds_make(s, 1, NULL);
	uint8_t key[16];
	struct auth_result res;
	struct req full = { .user = "1735689600:alice", .realm = REALM,
	    .nonce = "obMatJos2AAAB0123456789abcdef", .key = key, .klen = 16,
	    .mi = true }, r;

	rest_key(SECRET, full.user, AUTH_ALG_MD5, key);
	r = full;
	r.user = NULL;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST, "no USERNAME 400");
	is_int(res.reason, AUTH_R_MISSING_ATTR, "reason missing-attr");
	r = full;
	r.realm = NULL;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST, "no REALM 400");
	r = full;
	r.nonce = NULL;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST, "no NONCE 400");
	/* a bad MI does not change the order: attributes first */
	key[0] ^= 1;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST,
	    "no NONCE and bad MI: 400");
	r = full;
	r.key = NULL;
	r.user = NULL;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "no MI and no USERNAME: 401 challenge first");
	auth_creds_free(c);
}

static void
test_algorithms(void)
{
	static const char *s[] = { SECRET };
	static const uint8_t pa_md5[4] = { 0, 1, 0, 0 },
	    pa_sha[4] = { 0, 2, 0, 0 }, pa_3[4] = { 0, 3, 0, 0 },
	    pa_par[8] = { 0, 2, 0, 4, 1, 2, 3, 4 }, pas_md5[4] = { 0, 1, 0, 0 },
	    pas_rev[8] = { 0, 1, 0, 0, 0, 2, 0, 0 };
	struct auth_creds *c = creds_make(s, 1, NULL);
	const char *user = "1735689600:alice";
	uint8_t k16[16], k32[32];
	struct auth_result res;
	char nonce[AUTH_NONCE_LEN + 1];
	struct req r, base = { .user = user, .realm = REALM, .nonce = nonce,
	    .key = k16, .klen = 16, .mi = true };

	auth_nonce_make(&ctx, &client, NOW, nonce);
	rest_key(SECRET, user, AUTH_ALG_MD5, k16);
	rest_key(SECRET, user, AUTH_ALG_SHA256, k32);
	r = base;
	r.pa = pa_md5, r.pa_len = 4;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST, "PA alone 400");
	is_int(res.reason, AUTH_R_BAD_ALGORITHM, "reason bad-algorithm");
	r = base;
	r.pas = PAS, r.pas_len = 8;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST, "PAS alone 400");
	r.pa = pa_md5, r.pa_len = 4;
	r.pas = pas_md5, r.pas_len = 4;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST,
	    "PAS without SHA-256 (stripped on the way) 400");
	r.pas = pas_rev, r.pas_len = 8;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST,
	    "PAS reordered to MD5 first 400 (no downgrade)");
	r.pas = PAS, r.pas_len = 8;
	r.pa = pa_3;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST,
	    "PA not in the list 400");
	r.pa = pa_par, r.pa_len = 8;
	is_int(run(c, build(&r), NOW, &res), AUTH_BAD_REQUEST,
	    "PA with parameters 400");
	r.pa = pa_md5, r.pa_len = 4;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "PA MD5 + PAS ok");
	is_int(res.alg, AUTH_ALG_MD5, "alg MD5");
	r.pa = pa_sha;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "PA SHA-256 with the MD5 key 401");
	r.key = k32, r.klen = 32;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "PA SHA-256 ok");
	ok(res.alg == AUTH_ALG_SHA256 && res.key_len == 32 &&
	    memcmp(res.key, k32, 32) == 0, "SHA-256 key returned");
	ok(!res.sign_sha256, "request used MI: sign with MI");
	r.mi = false, r.mi256 = true;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "MI-SHA256 ok");
	ok(res.sign_sha256, "request used MI-SHA256: sign with it (§9.2.4)");
	r.mi = true;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "MI and MI-SHA256 ok");
	ok(res.sign_sha256, "both: MI-SHA256");
	/* MI-SHA256 keyed by MD5 (no PA: RFC 5389-style key) */
	r = base;
	r.mi = false, r.mi256 = true;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "MI-SHA256, MD5 key");
	/* a nonce without the cookie: rules do not apply, MD5, then 438 */
	r = base;
	r.nonce = "f//499k954d6OL34oL9FSTvy64sA";
	r.pa = pa_sha, r.pa_len = 4;
	is_int(run(c, build(&r), NOW, &res), AUTH_STALE,
	    "no cookie: PA ignored, MD5 verifies, nonce 438");
	auth_creds_free(c);
}

static void
test_users(void)
{
	static const char *s[] = { "s1" };
	struct auth_creds *c, *only;
	uint8_t kpw[16], kpw32[32], khex[16], uh[32];
	char users[128], nonce[AUTH_NONCE_LEN + 1], big[900];
	struct auth_result res;
	struct req r, base = { .user = "alice", .realm = REALM, .nonce = nonce,
	    .key = kpw, .klen = 16, .mi = true };
	static const uint8_t pa_sha[4] = { 0, 2, 0, 0 };
	size_t i;

	auth_nonce_make(&ctx, &client, NOW, nonce);
	auth_key_md5("alice", 5, REALM, 11, "pw1", 3, kpw);
	auth_key_sha256("alice", 5, REALM, 11, "pw1", 3, kpw32);
	auth_key_md5("bob", 3, REALM, 11, "pw2", 3, khex);
	memcpy(users, "alice:pw1 bob:0x", 16);
	for (i = 0; i < 16; i++)
		snprintf(users + 16 + 2 * i, 3, "%02x", khex[i]);
	c = creds_make(s, 1, users);
	only = creds_make(NULL, 0, users);
	is_int(auth_creds_nusers(c), 2, "two static users");
	r = base;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "static password user");
	ok(res.user_len == 5 && memcmp(res.user, "alice", 5) == 0 && !res.rest,
	    "user alice, not REST");
	r.pa = pa_sha, r.pa_len = 4, r.pas = PAS, r.pas_len = 8;
	r.key = kpw32, r.klen = 32;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "static SHA-256");
	r = base;
	r.key = khex;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "alice with bob's key 401");
	is_int(res.reason, AUTH_R_BAD_INTEGRITY, "reason bad-integrity");
	r.user = "bob";
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "static 0x-key user");
	r.pa = pa_sha, r.pa_len = 4, r.pas = PAS, r.pas_len = 8;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "0x user cannot do SHA-256: 401");
	is_int(res.reason, AUTH_R_BAD_ALGORITHM, "reason bad-algorithm");
	r = base;
	r.user = "carol";
	is_int(run(only, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "unknown user, no secrets: 401");
	is_int(res.reason, AUTH_R_UNKNOWN_USER, "reason unknown-user");
	r.user = "abc:alice";
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "malformed REST name: 401");
	is_int(res.reason, AUTH_R_UNKNOWN_USER, "reason unknown-user");
	/* 763 and 900 bytes: refused, not crashed (§14.3) */
	memset(big, 'x', sizeof(big));
	memcpy(big, "1735689600:", 11);
	big[763] = '\0';
	r.user = big;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "763-byte username 401");
	big[763] = 'x';
	big[899] = '\0';
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "899-byte username 401");
	/* USERHASH (§14.4) names a static user */
	auth_userhash("alice", 5, REALM, 11, uh);
	r = base;
	r.user = NULL;
	r.userhash = uh;
	is_int(run(c, build(&r), NOW, &res), AUTH_OK, "USERHASH alice");
	ok(res.username == NULL && res.user_len == 5, "user from USERHASH");
	uh[0] ^= 1;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "unknown USERHASH 401");
	auth_creds_free(c);
	auth_creds_free(only);
}

static void
test_rotation(void)
{
	static const char *three[] = { "secret-1", "secret-2", "secret-3" };
	static const char *two[] = { "secret-1", "secret-3" };
	struct auth_creds *c3 = creds_make(three, 3, "alice:pw1");
	struct auth_creds *c2 = creds_make(two, 2, "alice:pw1");
	struct auth_creds *unsealed = auth_creds_new(REALM, 11, ':', 0, 0);
	const char *user = "1735689600:bob";
	char nonce[AUTH_NONCE_LEN + 1];
	struct auth_result res;
	uint8_t key[16];
	struct req r = { .user = user, .realm = REALM, .nonce = nonce,
	    .key = key, .klen = 16, .mi = true };

	auth_nonce_make(&ctx, &client, NOW, nonce);
	rest_key("secret-2", user, AUTH_ALG_MD5, key);
	is_int(run(c3, build(&r), NOW, &res), AUTH_OK,
	    "signed by secret 2 of 3: ok");
	ok(res.rest && res.user_len == 3 && memcmp(res.user, "bob", 3) == 0,
	    "REST user bob next to static users");
	is_int(run(c2, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "secret 2 removed: 401");
	is_int(res.reason, AUTH_R_BAD_INTEGRITY, "reason bad-integrity");
	rest_key("secret-3", user, AUTH_ALG_MD5, key);
	is_int(run(c2, build(&r), NOW, &res), AUTH_OK, "secret 3 still ok");
	is_int(run(unsealed, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "unsealed set refuses");
	is_int(run(c3, build(&r), 1735689600 + 31, &res), AUTH_STALE,
	    "expired with a good MAC and an old nonce: 438 first");
	auth_nonce_make(&ctx, &client, 1735689600 + 31, nonce);
	is_int(run(c3, build(&r), 1735689600 + 31, &res), AUTH_UNAUTHENTICATED,
	    "expired with a good MAC: 401");
	is_int(res.reason, AUTH_R_EXPIRED_VALID, "reason expired-valid");
	ok(res.key_len == 16 && memcmp(res.key, key, 16) == 0,
	    "the key of secret 3 is kept");
	auth_creds_free(c3);
	auth_creds_free(c2);
	auth_creds_free(unsealed);
}

/* A revoked user is 401 once its MAC verified; others are not. */
static void
test_revoked(void)
{
	static const char *s[] = { SECRET };
	struct auth_creds *c = auth_creds_new(REALM, 11, ':', 0, 0);
	const char *user = "1735689600:alice";
	char nonce[AUTH_NONCE_LEN + 1];
	struct auth_result res;
	uint8_t key[16], bob[16];
	struct req r = { .user = user, .realm = REALM, .nonce = nonce,
	    .key = key, .klen = 16, .mi = true };

	auth_creds_add_secret(c, s[0], strlen(s[0]));
	auth_creds_add_user(c, "bob:pw", 6);
	auth_creds_add_revoked(c, "alice", 5, NOW + 100);
	auth_creds_add_revoked(c, "bob", 3, NOW + 100);
	auth_creds_seal(c);
	auth_nonce_make(&ctx, &client, NOW, nonce);
	rest_key(SECRET, user, AUTH_ALG_MD5, key);
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "revoked REST user-id: 401");
	is_int(res.reason, AUTH_R_REVOKED, "reason revoked");
	ok(res.key_len == 0 && res.user == NULL, "no key on revoked");
	key[0] ^= 1;
	run(c, build(&r), NOW, &res);
	is_int(res.reason, AUTH_R_BAD_INTEGRITY,
	    "revoked but bad MAC: bad-integrity (revocation is not an oracle)");
	key[0] ^= 1;
	is_int(run(c, build(&r), NOW + 100, &res), AUTH_OK,
	    "after until: ok again");
	auth_key_md5("bob", 3, REALM, 11, "pw", 2, bob);
	r.user = "bob";
	r.key = bob;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "revoked static user: 401");
	is_int(res.reason, AUTH_R_REVOKED, "reason revoked (static)");
	is_str(auth_reason_name(AUTH_R_REVOKED), "revoked", "name revoked");
	is_str(auth_reason_name(AUTH_R_EXPIRED_VALID), "expired-valid",
	    "name expired-valid");
	auth_creds_free(c);
}

/* Keys from an outside store, and which names may be asked. */
static void
test_user_key(void)
{
	static const char *s[] = { SECRET };
	struct auth_creds *c = creds_make(s, 1, "bob:pw");
	struct auth_creds *nosec = creds_make(NULL, 0, "bob:pw");
	char nonce[AUTH_NONCE_LEN + 1], longname[600];
	struct auth_result res;
	uint8_t key[16], want[16];
	const uint8_t *name = NULL;
	size_t len = 0;
	struct req r = { .user = "carol", .realm = REALM, .nonce = nonce,
	    .key = key, .klen = 16, .mi = true };
	struct addr other;

	/* printf '%s' 'carol:example.org:pw-carol' | openssl dgst -md5 */
	tap_unhex("01253b3eeb1ded5c88c7890b69c47e56", want, sizeof(want));
	auth_key_md5("carol", 5, REALM, 11, "pw-carol", 8, key);
	ok(memcmp(key, want, 16) == 0, "carol's MD5 key = openssl's");
	auth_nonce_make(&ctx, &client, NOW, nonce);
	ok(auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len) && len == 5 && memcmp(name, "carol", 5) == 0,
	    "carol: wanted, name is the USERNAME");
	is_int(auth_check_key(&ctx, c, name, len, want, build(&r), &client,
	    NOW, &res), AUTH_OK, "carol with the store's key: ok");
	ok(res.user_len == 5 && memcmp(res.user, "carol", 5) == 0 &&
	    !res.rest && res.key_len == 16, "user carol, not REST");
	want[3] ^= 1;
	is_int(auth_check_key(&ctx, c, name, len, want, build(&r), &client,
	    NOW, &res), AUTH_UNAUTHENTICATED, "wrong store key: 401");
	is_int(res.reason, AUTH_R_BAD_INTEGRITY, "reason bad-integrity");
	want[3] ^= 1;
	is_int(auth_check(&ctx, c, build(&r), &client, NOW, &res),
	    AUTH_UNAUTHENTICATED, "without the key: 401");
	is_int(res.reason, AUTH_R_UNKNOWN_USER, "reason unknown-user");
	/* a key for another name does not apply */
	is_int(auth_check_key(&ctx, c, (const uint8_t *)"carl", 4, want,
	    build(&r), &client, NOW, &res), AUTH_UNAUTHENTICATED,
	    "key for another name: 401");
	r.pa = (const uint8_t *)"\0\x02\0\0";
	r.pa_len = 4;
	r.pas = PAS;
	r.pas_len = 8;
	auth_check_key(&ctx, c, name, len, want, build(&r), &client, NOW,
	    &res);
	is_int(res.reason, AUTH_R_BAD_ALGORITHM, "SHA-256 asked: no such key");
	r.pa = NULL;
	r.pas = NULL;
	/* what is never looked up */
	r.user = "bob";
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "static user: not wanted");
	r.user = "1735689600:dave";
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "REST-shaped with secrets: not wanted");
	ok(auth_user_key_wanted(&ctx, nosec, build(&r), &client, NOW, &name,
	    &len), "REST-shaped without secrets: wanted");
	r.user = "ca\x01rol";
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "control byte: not wanted");
	r.user = "carol\x7f";
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "DEL: not wanted");
	memset(longname, 'a', sizeof(longname));
	longname[513] = '\0';
	r.user = longname;
	ok(auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len) && len == 513, "513 bytes: wanted");
	longname[513] = 'a';
	longname[514] = '\0';
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "514 bytes: not wanted");
	r.user = "carol";
	other = client;
	addr_set_port(&other, 40001);
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &other, NOW, &name,
	    &len), "another client's nonce: not wanted");
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW + 700, &name,
	    &len), "stale nonce of this client: not wanted (438 first)");
	r.mi = false;
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "no MI (before the 401 round trip): not wanted");
	r.mi = true;
	r.realm = NULL;
	ok(!auth_user_key_wanted(&ctx, c, build(&r), &client, NOW, &name,
	    &len), "no REALM (400): not wanted");
	auth_creds_free(c);
	auth_creds_free(nosec);
}

/* auth_check_or_want_key(): auth_user_key_wanted()'s answers, and
 * auth_check()'s verdict when no lookup is wanted, the nonce checked once. */
static void
test_or_want(void)
{
	static const char *s[] = { SECRET };
	struct auth_creds *c = creds_make(s, 1, "bob:pw");
	char nonce[AUTH_NONCE_LEN + 1];
	struct auth_result res;
	uint8_t key[16];
	const uint8_t *name = NULL;
	size_t len = 0;
	struct req r = { .user = "carol", .realm = REALM, .nonce = nonce,
	    .key = key, .klen = 16, .mi = true };

	auth_nonce_make(&ctx, &client, NOW, nonce);
	auth_key_md5("carol", 5, REALM, 11, "pw-carol", 8, key);
	ok(auth_check_or_want_key(&ctx, c, build(&r), &client, NOW, &res,
	    &name, &len) && len == 5 && memcmp(name, "carol", 5) == 0 &&
	    res.verdict == AUTH_OK && res.key_len == 0,
	    "carol: wanted, no verdict yet");
	ok(!auth_check_or_want_key(&ctx, c, build(&r), &client, NOW + 700,
	    &res, &name, &len) && res.verdict == AUTH_STALE &&
	    res.reason == AUTH_R_STALE_NONCE && res.cost.nonce_checks == 1 &&
	    res.cost.user_lookups == 0, "stale nonce: 438, no lookup");
	r.user = "bob";
	ok(!auth_check_or_want_key(&ctx, c, build(&r), &client, NOW, &res,
	    &name, &len) && res.verdict == AUTH_UNAUTHENTICATED &&
	    res.reason == AUTH_R_BAD_INTEGRITY,
	    "static bob with carol's key: auth_check's 401");
	r.user = "1735689600:dave";
	rest_key(SECRET, r.user, AUTH_ALG_MD5, key);
	ok(!auth_check_or_want_key(&ctx, c, build(&r), &client, NOW, &res,
	    &name, &len) && res.verdict == AUTH_OK && res.rest,
	    "REST credential: auth_check's ok");
	auth_creds_free(c);
}

/* rest-api-hmac = sha256 end to end: the MD5 key from openssl:
 *   pw=$(printf '%s' '1735689600:alice' |
 *     openssl dgst -sha256 -hmac 'turn-test-secret' -binary | base64)
 *   printf '%s' "1735689600:alice:example.org:$pw" | openssl dgst -md5 */
static void
test_rest_sha256(void)
{
	struct auth_creds *c = auth_creds_new(REALM, 11, ':', 0, 0);
	char nonce[AUTH_NONCE_LEN + 1];
	struct auth_result res;
	uint8_t key[16], sha1key[16];
	struct req r = { .user = "1735689600:alice", .realm = REALM,
	    .nonce = nonce, .key = key, .klen = 16, .mi = true };

	auth_creds_add_secret(c, SECRET, strlen(SECRET));
	auth_creds_set_rest_hmac(c, CRYPTO_MD_SHA256);
	auth_creds_seal(c);
	auth_nonce_make(&ctx, &client, NOW, nonce);
	tap_unhex("71174e5e2448a14b09fffbf98386f47c", key, sizeof(key));
	is_int(run(c, build(&r), NOW, &res), AUTH_OK,
	    "SHA-256 REST password verifies");
	ok(res.key_len == 16 && memcmp(res.key, key, 16) == 0, "its key");
	rest_key(SECRET, r.user, AUTH_ALG_MD5, sha1key);
	r.key = sha1key;
	is_int(run(c, build(&r), NOW, &res), AUTH_UNAUTHENTICATED,
	    "the SHA-1 password is refused");
	auth_creds_free(c);
}

static void
test_names(void)
{
	is_str(auth_reason_name(AUTH_R_OK), "ok", "ok");
	is_str(auth_reason_name(AUTH_R_NO_INTEGRITY), "no-integrity", "name");
	is_str(auth_reason_name(AUTH_R_STALE_NONCE), "stale-nonce", "name");
	is_str(auth_reason_name(AUTH_R_COUNT), "unknown", "out of range");
}

int
main(void)
{
	if (crypto_init() != 0 || auth_ctx_init(&ctx, 0) != 0)
		return 1;
	addr_parse_ip(&client, "198.51.100.7", 40000);
	test_rest_vector();
	test_flow();
	test_missing();
	test_algorithms();
	test_users();
	test_rotation();
	test_revoked();
	test_user_key();
	test_or_want();
	test_rest_sha256();
	test_names();
	auth_ctx_clear(&ctx);
	return tap_done();
}
