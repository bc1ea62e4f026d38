/* SPDX-License-Identifier: ISC */
/*
 * auth_check: the server side of the long-term credential mechanism,
 * RFC 8489 §9.2.4, in this order:
 *
 *   1. no MESSAGE-INTEGRITY(-SHA256)              -> 401 + challenge
 *   2. USERNAME/USERHASH, REALM or NONCE missing  -> 400, no MI
 *   3. PASSWORD-ALGORITHM(S) rules                -> 400
 *   4. NONCE not a live one of ours               -> 438 + challenge
 *   5. unknown or invalid user                    -> 401 + challenge
 *   6. MI does not verify                         -> 401 + challenge
 *
 * Steps 1-3, 5 and 6 are the bullets of §9.2.4 in the RFC's order. Step 4
 * is its last bullet ("If the NONCE is no longer valid": 438 with a new
 * NONCE), checked before the USERNAME/USERHASH and MESSAGE-INTEGRITY
 * bullets, where RFC 5389 §10.2.2 has it. Our nonce is stateless
 * (auth_nonce.c): checking it costs one HMAC over 22 bytes, while steps 5
 * and 6 cost a user lookup and, per REST secret, an HMAC over the
 * username, a key derivation and an HMAC over up to 64 KiB of message.
 * Checked last, as in RFC 8489's order, a request with a made-up NONCE
 * bought all of that work for nothing (docs/security.md, "Attack
 * catalogue"). What this changes for clients: a stale or foreign NONCE
 * with wrong credentials gets 438 where RFC 8489's order gives 401; the
 * client retries with the fresh NONCE (§9.2.5) and gets its 401 one round
 * trip later. A 438 carries no key (nothing was verified), so it is never
 * signed (a MAY of §9.2.4).
 *
 * A USERNAME that names a static user is checked as that user; anything
 * else as a REST credential, trying every secret and stopping at the
 * first that verifies. Expired, malformed and unknown REST names run the
 * same HMAC work as a bad MAC (a dummy key where there is no real one)
 * and get the same 401 (docs/security.md, "Timing attacks"); only the
 * reason, for metrics, tells them apart.
 *
 * Successful requests are answered with MI-SHA256 if the request used it,
 * else MI (§9.2.4, last paragraph), keyed with res->key.
 *
 * After step 6, a revoked user is a 401 (AUTH_R_REVOKED), and a REST
 * credential whose MAC verified but whose expiry has passed is a 401
 * that keeps the key (AUTH_R_EXPIRED_VALID) for the engine's session
 * policy. A USERNAME that is not ours may carry a key from an outside
 * store (auth_check_key), checked exactly as a static user's.
 */
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "util/crypto.h"

/*
 * What we send in PASSWORD-ALGORITHMS (§14.11), in our order of
 * preference: SHA-256 then MD5, no parameters. A client takes the first
 * one it supports (§9.2.5), so every client that has SHA-256 uses it. A
 * request must echo exactly this list (§9.2.4): a man in the middle who
 * drops SHA-256 from the challenge, or puts MD5 first, makes the request
 * fail with 400 rather than downgrade it.
 */
static const uint8_t pw_algs_wire[8] = { 0x00, 0x02, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00 };

static const char *const reason_names[AUTH_R_COUNT] = {
	[AUTH_R_OK] = "ok",
	[AUTH_R_NO_INTEGRITY] = "no-integrity",
	[AUTH_R_MISSING_ATTR] = "missing-attr",
	[AUTH_R_BAD_ALGORITHM] = "bad-algorithm",
	[AUTH_R_UNKNOWN_USER] = "unknown-user",
	[AUTH_R_EXPIRED] = "expired",
	[AUTH_R_BAD_INTEGRITY] = "bad-integrity",
	[AUTH_R_STALE_NONCE] = "stale-nonce",
	[AUTH_R_BAD_NONCE] = "bad-nonce",
	[AUTH_R_REVOKED] = "revoked",
	[AUTH_R_EXPIRED_VALID] = "expired-valid",
};

const char *
auth_reason_name(enum auth_reason r)
{
	if ((unsigned)r >= AUTH_R_COUNT)
		return "unknown";
	return reason_names[r];
}

void
auth_result_clear(struct auth_result *res)
{
	crypto_wipe(res->key, sizeof(res->key));
	memset(res, 0, sizeof(*res));
}

static enum auth_verdict
check_fail(struct auth_result *res, enum auth_verdict v, enum auth_reason r)
{
	crypto_wipe(res->key, sizeof(res->key));
	res->key_len = 0;
	res->rest = false;
	res->expiry = 0;
	res->user = NULL;
	res->user_len = 0;
	res->verdict = v;
	res->reason = r;
	return v;
}

/*
 * Step 3 (§9.2.4, §14.11, §14.12). The rules apply when the NONCE carries
 * the password-algorithms bit; a nonce without the cookie (an RFC 5389
 * client echoing something else) is processed as MD5 and fails the nonce
 * check next. 0 and *alg, or -1 for 400.
 */
static int
check_algorithm(const struct stun_msg *req, const struct stun_attr *nonce,
    enum auth_alg *alg)
{
	const struct stun_attr *pa, *pas;
	uint32_t features;
	unsigned v;

	*alg = AUTH_ALG_MD5;
	if (auth_nonce_features(nonce->val, nonce->len, &features) != 0 ||
	    (features & AUTH_FEATURE_PW_ALGS) == 0)
		return 0;
	pa = stun_msg_attr(req, STUN_ATTR_PASSWORD_ALGORITHM);
	pas = stun_msg_attr(req, STUN_ATTR_PASSWORD_ALGORITHMS);
	if (pa == NULL && pas == NULL)
		return 0;	/* RFC 5389 compatibility: MD5 */
	if (pa == NULL || pas == NULL)
		return -1;
	if (pas->len != sizeof(pw_algs_wire) ||
	    memcmp(pas->val, pw_algs_wire, sizeof(pw_algs_wire)) != 0)
		return -1;
	/* MD5 and SHA-256 take no parameters (§18.5.1) */
	if (pa->len != 4 || pa->val[2] != 0 || pa->val[3] != 0)
		return -1;
	v = (unsigned)pa->val[0] << 8 | pa->val[1];
	if (v != AUTH_ALG_MD5 && v != AUTH_ALG_SHA256)
		return -1;
	*alg = (enum auth_alg)v;
	return 0;
}

/* MI-SHA256 when present, else MI (§9.2.4). True if it verifies. */
static bool
check_mi(const struct stun_msg *req, const uint8_t *key, size_t klen,
    struct auth_result *res)
{
	res->cost.mi_checks++;
	if (req->mi256_off != 0)
		return stun_check_integrity_sha256(req, key, klen) == 1;
	return stun_check_integrity(req, key, klen) == 1;
}

static enum auth_reason
check_static(const struct auth_user *u, const struct stun_msg *req,
    enum auth_alg alg, struct auth_result *res)
{
	if (alg == AUTH_ALG_SHA256) {
		/* a user given as 0x<MD5 key> has no SHA-256 key */
		if (!u->has_sha256)
			return AUTH_R_BAD_ALGORITHM;
		memcpy(res->key, u->sha256, 32);
		res->key_len = 32;
	} else {
		memcpy(res->key, u->md5, 16);
		res->key_len = 16;
	}
	if (!check_mi(req, res->key, res->key_len, res))
		return AUTH_R_BAD_INTEGRITY;
	res->user = u->name;
	res->user_len = u->name_len;
	return AUTH_R_OK;
}

/* password = base64(HMAC-md(secret, name)); key = H(name:realm:pw). */
static int
rest_key(const struct auth_creds *c, const uint8_t *secret, size_t slen,
    const uint8_t *name, size_t len, enum auth_alg alg,
    struct auth_result *res)
{
	char pw[AUTH_REST_PASSWORD_MAX + 1];
	uint8_t *key = res->key;
	size_t *klen = &res->key_len;
	long pwlen;
	int rc;

	res->cost.rest_hmacs++;
	res->cost.key_derivations++;
	pwlen = auth_rest_password_md(c->rest_md, secret, slen, name, len, pw,
	    sizeof(pw));
	if (pwlen < 0)
		return -1;
	if (alg == AUTH_ALG_SHA256) {
		*klen = 32;
		rc = auth_key_sha256(name, len, c->realm, c->realm_len, pw,
		    (size_t)pwlen, key);
	} else {
		*klen = 16;
		rc = auth_key_md5(name, len, c->realm, c->realm_len, pw,
		    (size_t)pwlen, key);
	}
	crypto_wipe(pw, sizeof(pw));
	return rc;
}

/*
 * The REST name of len bytes: its fields and why it cannot pass, before
 * any MAC is computed. *past is set when the only fault is an expiry that
 * lies behind us (not a credential dated too far ahead).
 */
static enum auth_reason
rest_judge(const struct auth_creds *c, const uint8_t *name, size_t len,
    bool usable, uint64_t now, struct auth_rest_name *rn, bool *past)
{
	memset(rn, 0, sizeof(*rn));
	*past = false;
	if (!usable || len > AUTH_USERNAME_MAX ||
	    auth_rest_parse(name, len, c->sep, rn) != 0)
		return AUTH_R_UNKNOWN_USER;
	if (!auth_rest_in_window(rn->expiry, now, c->max_ttl, c->skew)) {
		*past = rn->expiry <= now;
		return AUTH_R_EXPIRED;
	}
	/* the dummy secret is public, never a match */
	if (c->nsecrets == 0)
		return AUTH_R_UNKNOWN_USER;
	return AUTH_R_OK;
}

/*
 * Every failure runs one HMAC + hash + MI check per secret (at least
 * one, with a dummy secret), so that "bad format", "expired", "no secret"
 * and "bad MAC" cost the same (docs/security.md, "Timing attacks"); the
 * nonce was checked before, so only a client that did the 401 round trip
 * from its address gets this far. usable is false for a USERHASH, which
 * can never name a REST credential. An expired name whose MAC verifies
 * with a real secret is AUTH_R_EXPIRED_VALID, with the key kept: found by
 * the same loop over every secret, so it costs the same too.
 */
static enum auth_reason
check_rest(const struct auth_creds *c, const struct stun_msg *req,
    const uint8_t *name, size_t len, bool usable, enum auth_alg alg,
    uint64_t now, struct auth_result *res)
{
	static const uint8_t dummy[32];
	struct auth_rest_name rn;
	enum auth_reason why;
	uint8_t good[AUTH_KEY_MAX];
	const uint8_t *s;
	size_t i, n, slen, glen = 0;
	bool past, mac;

	why = rest_judge(c, name, len, usable, now, &rn, &past);
	if (len > AUTH_USERNAME_MAX)
		len = AUTH_USERNAME_MAX;	/* bound the work */
	n = c->nsecrets > 0 ? c->nsecrets : 1;
	for (i = 0; i < n; i++) {
		s = c->nsecrets > 0 ? c->secrets[i].p : dummy;
		slen = c->nsecrets > 0 ? c->secrets[i].len : sizeof(dummy);
		if (rest_key(c, s, slen, name, len, alg, res) != 0)
			continue;
		mac = check_mi(req, res->key, res->key_len, res);
		if (mac && why == AUTH_R_OK)
			break;
		if (mac && past && c->nsecrets > 0 && glen == 0) {
			memcpy(good, res->key, res->key_len);
			glen = res->key_len;
		}
	}
	if (why == AUTH_R_EXPIRED && glen > 0) {
		memcpy(res->key, good, glen);
		res->key_len = glen;
		why = AUTH_R_EXPIRED_VALID;
	} else if (why == AUTH_R_OK && i == n)
		why = AUTH_R_BAD_INTEGRITY;
	crypto_wipe(good, sizeof(good));
	if (why != AUTH_R_OK && why != AUTH_R_EXPIRED_VALID)
		return why;
	res->rest = true;
	res->expiry = rn.expiry;
	res->user = rn.user;
	res->user_len = rn.user_len;
	return why;
}

/* Steps 5 and 6: find the user and verify MI with its key. ext, if not
 * NULL, is a user whose key came from an outside store. */
static enum auth_reason
check_user(const struct auth_creds *c, const struct auth_user *ext,
    const struct stun_msg *req, enum auth_alg alg, uint64_t now,
    struct auth_result *res)
{
	const struct stun_attr *un, *uh;
	const struct auth_user *u;

	res->cost.user_lookups++;
	un = stun_msg_attr(req, STUN_ATTR_USERNAME);
	if (un != NULL) {
		res->username = un->val;
		res->username_len = un->len;
		u = auth_creds_user_find(c, un->val, un->len);
		if (u == NULL && ext != NULL && ext->name_len == un->len &&
		    memcmp(ext->name, un->val, un->len) == 0)
			u = ext;
		if (u != NULL)
			return check_static(u, req, alg, res);
		return check_rest(c, req, un->val, un->len, true, alg, now,
		    res);
	}
	/* USERHASH (§14.4) can only name a static user: the index finds it
	 * in O(1) (auth_key.c) */
	uh = stun_msg_attr(req, STUN_ATTR_USERHASH);
	u = auth_creds_userhash_probe(c, uh->val, uh->len,
	    &res->cost.hash_probes);
	if (u != NULL)
		return check_static(u, req, alg, res);
	return check_rest(c, req, uh->val, uh->len, false, alg, now, res);
}

static enum auth_nonce_status
check_nonce(const struct auth_ctx *ctx, const struct stun_attr *nonce,
    const struct addr *client, uint64_t now, struct auth_result *res)
{
	if (ctx->nonce_forced)
		return ctx->nonce_force;
	res->cost.nonce_checks++;
	return auth_nonce_check(ctx, nonce->val, nonce->len, client, now);
}

/*
 * Steps 1-4, none of which looks at a user or derives a key: 0 and *alg,
 * or -1 with the verdict in res.
 */
static int
check_front(const struct auth_ctx *ctx, const struct auth_creds *creds,
    const struct stun_msg *req, const struct addr *client, uint64_t now,
    enum auth_alg *alg, struct auth_result *res)
{
	const struct stun_attr *nonce;
	enum auth_nonce_status ns;

	/* 1. no integrity: the challenge (§9.2.4) */
	if (req->mi_off == 0 && req->mi256_off == 0) {
		check_fail(res, AUTH_UNAUTHENTICATED, AUTH_R_NO_INTEGRITY);
		return -1;
	}
	/* 2. MI without the attributes it depends on: 400 (§9.2.4) */
	nonce = stun_msg_attr(req, STUN_ATTR_NONCE);
	if ((stun_msg_attr(req, STUN_ATTR_USERNAME) == NULL &&
	    stun_msg_attr(req, STUN_ATTR_USERHASH) == NULL) ||
	    stun_msg_attr(req, STUN_ATTR_REALM) == NULL || nonce == NULL) {
		check_fail(res, AUTH_BAD_REQUEST, AUTH_R_MISSING_ATTR);
		return -1;
	}
	/* 3. password algorithms (§9.2.4) */
	if (check_algorithm(req, nonce, alg) != 0) {
		check_fail(res, AUTH_BAD_REQUEST, AUTH_R_BAD_ALGORITHM);
		return -1;
	}
	res->alg = *alg;
	if (creds == NULL || !creds->sealed) {
		check_fail(res, AUTH_UNAUTHENTICATED, AUTH_R_UNKNOWN_USER);
		return -1;
	}
	/* 4. §9.2.4's "NONCE is no longer valid" -> 438, before any user
	 * lookup or key derivation (see the top of this file) */
	ns = check_nonce(ctx, nonce, client, now, res);
	if (ns != AUTH_NONCE_VALID) {
		check_fail(res, AUTH_STALE, ns == AUTH_NONCE_STALE ?
		    AUTH_R_STALE_NONCE : AUTH_R_BAD_NONCE);
		return -1;
	}
	return 0;
}

/* Steps 5 and 6, then the block-list. */
static enum auth_verdict
check_back(const struct auth_creds *creds, const struct auth_user *ext,
    const struct stun_msg *req, enum auth_alg alg, uint64_t now,
    struct auth_result *res)
{
	enum auth_reason why;

	why = check_user(creds, ext, req, alg, now, res);
	if (why != AUTH_R_OK && why != AUTH_R_EXPIRED_VALID)
		return check_fail(res, AUTH_UNAUTHENTICATED, why);
	/* the block-list, once we know who it really is */
	if (auth_creds_is_revoked(creds, res->user, res->user_len, now))
		return check_fail(res, AUTH_UNAUTHENTICATED, AUTH_R_REVOKED);
	res->sign_sha256 = req->mi256_off != 0;
	res->verdict = why == AUTH_R_OK ? AUTH_OK : AUTH_UNAUTHENTICATED;
	res->reason = why;
	return res->verdict;
}

static enum auth_verdict
check_run(const struct auth_ctx *ctx, const struct auth_creds *creds,
    const struct auth_user *ext, const struct stun_msg *req,
    const struct addr *client, uint64_t now, struct auth_result *res)
{
	enum auth_alg alg = AUTH_ALG_MD5;

	memset(res, 0, sizeof(*res));
	if (check_front(ctx, creds, req, client, now, &alg, res) != 0)
		return res->verdict;
	return check_back(creds, ext, req, alg, now, res);
}

enum auth_verdict
auth_check(const struct auth_ctx *ctx, const struct auth_creds *creds,
    const struct stun_msg *req, const struct addr *client, uint64_t now,
    struct auth_result *res)
{
	return check_run(ctx, creds, NULL, req, client, now, res);
}

enum auth_verdict
auth_check_key(const struct auth_ctx *ctx, const struct auth_creds *creds,
    const uint8_t *name, size_t len, const uint8_t key[16],
    const struct stun_msg *req, const struct addr *client, uint64_t now,
    struct auth_result *res)
{
	struct auth_user ext;
	enum auth_verdict v;

	memset(&ext, 0, sizeof(ext));
	ext.name = (uint8_t *)(uintptr_t)name;
	ext.name_len = len;
	memcpy(ext.md5, key, sizeof(ext.md5));
	ext.has_sha256 = false;
	v = check_run(ctx, creds, name != NULL && len > 0 ? &ext : NULL, req,
	    client, now, res);
	crypto_wipe(&ext, sizeof(ext));
	return v;
}

/* Bytes an outside store may be asked about (it builds keys from them). */
static bool
user_key_name_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || len > AUTH_USER_KEY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* After check_front() passed: whether USERNAME is for an outside store. */
static bool
user_key_name(const struct auth_creds *creds, const struct stun_msg *req,
    struct auth_result *res, const uint8_t **name, size_t *len)
{
	struct auth_rest_name rn;
	const struct stun_attr *un;

	if ((un = stun_msg_attr(req, STUN_ATTR_USERNAME)) == NULL ||
	    !user_key_name_ok(un->val, un->len))
		return false;
	res->cost.user_lookups++;
	if (auth_creds_user_find(creds, un->val, un->len) != NULL)
		return false;
	if (creds->nsecrets > 0 &&
	    auth_rest_parse(un->val, un->len, creds->sep, &rn) == 0)
		return false;
	*name = un->val;
	*len = un->len;
	return true;
}

bool
auth_user_key_wanted(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const struct stun_msg *req,
    const struct addr *client, uint64_t now, const uint8_t **name,
    size_t *len)
{
	struct auth_result res;
	enum auth_alg alg = AUTH_ALG_MD5;
	bool want;

	/* the nonce first: a store is asked only for an address that did the
	 * 401 round trip lately (no lookups for spoofed sources) */
	memset(&res, 0, sizeof(res));
	want = check_front(ctx, creds, req, client, now, &alg, &res) == 0 &&
	    user_key_name(creds, req, &res, name, len);
	auth_result_clear(&res);
	return want;
}

bool
auth_check_or_want_key(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const struct stun_msg *req,
    const struct addr *client, uint64_t now, struct auth_result *res,
    const uint8_t **name, size_t *len)
{
	enum auth_alg alg = AUTH_ALG_MD5;

	memset(res, 0, sizeof(*res));
	if (check_front(ctx, creds, req, client, now, &alg, res) != 0)
		return false;
	if (user_key_name(creds, req, res, name, len)) {
		memset(res, 0, sizeof(*res));
		return true;
	}
	check_back(creds, NULL, req, alg, now, res);
	return false;
}

int
auth_challenge_add(const struct auth_ctx *ctx, const struct auth_creds *creds,
    struct stun_builder *b, const struct addr *client, uint64_t now)
{
	char nonce[AUTH_NONCE_LEN + 1];

	if (auth_nonce_make(ctx, client, now, nonce) != 0)
		return -1;
	/* §9.2.4: REALM, NONCE, PASSWORD-ALGORITHMS on a 401 and a 438 */
	stun_add(b, STUN_ATTR_REALM, creds->realm, creds->realm_len);
	stun_add(b, STUN_ATTR_NONCE, nonce, AUTH_NONCE_LEN);
	stun_add(b, STUN_ATTR_PASSWORD_ALGORITHMS, pw_algs_wire,
	    sizeof(pw_algs_wire));
	return b->err ? -1 : 0;
}
