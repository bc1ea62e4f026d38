/* SPDX-License-Identifier: ISC */
/*
 * auth: the STUN long-term credential mechanism for TURN (RFC 8489 §9.2,
 * RFC 8656 §7.2) with stateless nonces and TURN REST API credentials
 * (draft-uberti-behave-turn-rest-00 §2.2).
 *
 * What it does:
 *  - stateless nonces (auth_nonce.c): "obMatJos2" + the security-feature
 *    set (RFC 8489 §9.2, §18.1: "Password algorithms" = "AAAB", see
 *    auth_nonce.c for the bit order) + base64url(ts32 || first 8 bytes of
 *    HMAC-SHA256(k, ts32 || ip || port)), 29 characters; k is random per
 *    process (docs/security.md, "Stateless until authenticated");
 *  - long-term keys MD5(user ":" realm ":" password) and the SHA-256
 *    variant, USERHASH (auth_key.c; §9.2.2, §14.4, §18.5.1), and the
 *    credential set: realm, static users (indexed by name and by
 *    USERHASH), REST secrets;
 *  - REST usernames "<expiry><sep><user-id>" and their passwords
 *    base64(HMAC-SHA1(secret, username)) (auth_rest.c);
 *  - the request check of §9.2.4, nonce first (auth_check.c says why),
 *    and the challenge attributes of a 401/438 (auth_check.c);
 *  - revoked users (a sorted block-list in the credential set, `ternctl
 *    revoke`), keys of users from an outside store (auth_check_key),
 *    "MAC valid but expired" reported apart for the engine's session
 *    policy, and REST passwords with HMAC-SHA256 (rest-api-hmac = sha256).
 *
 * What it must not do: no I/O, no logging, no malloc per request, no clock
 * (`now` is passed in). Secrets and keys are wiped when freed; passwords
 * of static users are never stored, only keys (RFC 8656 §6). A request
 * whose NONCE is not a live one of ours costs one HMAC over 22 bytes and
 * nothing else; past the nonce, MACs are compared in constant time and
 * every kind of REST failure runs the same HMAC work (docs/security.md,
 * "Timing attacks", "Credential brute force").
 *
 * Strings are bytes. tern does not apply SASLprep/OpaqueString (RFC 8265)
 * to usernames, realms or passwords: they are used exactly as configured
 * and as received. Operators must configure passwords in their prepared
 * form (RFC 5769's "The<U+00AD>M<U+00AA>tr<U+2168>" is "TheMatrIX").
 *
 * Threads: an auth_ctx and a sealed auth_creds are read-only and may be
 * shared by every worker. A new secret set is a new auth_creds swapped in
 * whole (src/net/net_env.c publishes the snapshots).
 */
#ifndef TERN_AUTH_H
#define TERN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun/stun.h"
#include "util/addr.h"
#include "util/crypto.h"

#define AUTH_NONCE_LEN		29	/* 9 cookie + 4 features + 16 */
#define AUTH_NONCE_COOKIE	"obMatJos2"
#define AUTH_NONCE_COOKIE_LEN	9
/* Security features (RFC 8489 §9.2, §18.1): "Password algorithms" is the
 * least significant bit (auth_nonce.c). */
#define AUTH_FEATURE_PW_ALGS	0x000001u	/* "Password algorithms" */
#define AUTH_FEATURE_ANONYMITY	0x000002u	/* "Username anonymity" */
#define AUTH_STALE_NONCE_DEFAULT 600	/* seconds (stale-nonce, as coturn) */

#define AUTH_KEY_MAX		32	/* SHA-256 key; MD5 keys use 16 */
#define AUTH_USERNAME_MAX	763	/* longest USERNAME we parse (§14.3) */
#define AUTH_REALM_MAX		127	/* REALM < 128 characters (§14.9) */
#define AUTH_NAME_MAX		255	/* static user names and REST user-ids */
#define AUTH_EXPIRY_DIGITS	11	/* REST expiry: 1..11 ASCII digits */
#define AUTH_REST_PASSWORD_LEN	28	/* base64 of a 20-byte HMAC-SHA1 */
#define AUTH_REST_PASSWORD256_LEN 44	/* base64 of a 32-byte HMAC-SHA256 */
#define AUTH_REST_PASSWORD_MAX	AUTH_REST_PASSWORD256_LEN
#define AUTH_MAX_REVOKED	262144	/* revoked users per credential set:
					 * 100,000 and room (docs/security.md,
					 * Redis under abuse) */
/* Longest USERNAME handed to an outside user store (RFC 5389 §15.3:
 * fewer than 513 bytes; we allow 513 and no more). */
#define AUTH_USER_KEY_NAME_MAX	513
#define AUTH_MAX_SECRETS	16	/* REST secrets in rotation at once */
#define AUTH_SECRET_MAX		256	/* bytes per REST secret */
#define AUTH_MAX_TTL_DEFAULT	86400	/* max-credential-ttl, one day */
#define AUTH_SKEW_DEFAULT	30	/* tolerated clock skew, seconds */

/* PASSWORD-ALGORITHM values (§18.5). */
enum auth_alg {
	AUTH_ALG_MD5 = 0x0001,
	AUTH_ALG_SHA256 = 0x0002,
};

/* ---- context: the per-process nonce key ---- */

enum auth_nonce_status {
	AUTH_NONCE_VALID = 0,
	AUTH_NONCE_STALE,	/* ours, for this client, older than stale_nonce */
	AUTH_NONCE_INVALID,	/* malformed, bad MAC, or issued to another client */
};

/* Caller-owned storage; read-only after auth_ctx_init(). */
struct auth_ctx {
	uint8_t key[32];		/* nonce MAC key, random per process */
	uint32_t stale_nonce;		/* nonce lifetime in seconds */
	bool nonce_forced;		/* test seam, see auth_ctx_force_nonce() */
	enum auth_nonce_status nonce_force;
};

/* Draws the nonce key (crypto_random). stale_nonce 0 means the default.
 * 0 or -1. */
int auth_ctx_init(struct auth_ctx *ctx, uint32_t stale_nonce);
/* Wipes the key. */
void auth_ctx_clear(struct auth_ctx *ctx);
/*
 * Tests only: make auth_check() treat every NONCE as having status st, so
 * that fixed vectors (a request with a nonce written out by hand) can be
 * verified. Nonce generation is
 * unaffected. Never called by ternd.
 */
void auth_ctx_force_nonce(struct auth_ctx *ctx, enum auth_nonce_status st);

/* Writes a fresh 29-character nonce for this client and NUL. 0 or -1. */
int auth_nonce_make(const struct auth_ctx *ctx, const struct addr *client,
    uint64_t now, char out[AUTH_NONCE_LEN + 1]);
enum auth_nonce_status auth_nonce_check(const struct auth_ctx *ctx,
    const uint8_t *nonce, size_t len, const struct addr *client, uint64_t now);
/* The security-feature set of any nonce that starts with the cookie:
 * 0 and *features set, or -1 (no cookie / bad encoding). */
int auth_nonce_features(const uint8_t *nonce, size_t len, uint32_t *features);

/* ---- keys (auth_key.c) ---- */

/* MD5(user ":" realm ":" password), §9.2.2. 0 or -1. */
int auth_key_md5(const void *user, size_t ulen, const void *realm,
    size_t rlen, const void *pw, size_t pwlen, uint8_t out[16]);
/* SHA-256(user ":" realm ":" password), §18.5.1.2. 0 or -1. */
int auth_key_sha256(const void *user, size_t ulen, const void *realm,
    size_t rlen, const void *pw, size_t pwlen, uint8_t out[32]);
/* USERHASH = SHA-256(user ":" realm), §14.4. 0 or -1. */
int auth_userhash(const void *user, size_t ulen, const void *realm,
    size_t rlen, uint8_t out[32]);

/* ---- REST credentials (auth_rest.c) ---- */

struct auth_rest_name {
	uint64_t expiry;	/* Unix seconds */
	const uint8_t *user;	/* the user-id: a view into the username */
	size_t user_len;
};

/*
 * Splits "<expiry><sep><user-id>" at the first sep. expiry: 1..11 ASCII
 * digits (no sign, no space). user-id: 1..AUTH_NAME_MAX bytes, any byte
 * but NUL, including further separators; it is opaque and must be escaped
 * before it is logged. 0 or -1.
 */
int auth_rest_parse(const uint8_t *name, size_t len, char sep,
    struct auth_rest_name *out);
/* now - skew < expiry <= now + max_ttl + skew (auth_rest.c). */
bool auth_rest_in_window(uint64_t expiry, uint64_t now, uint32_t max_ttl,
    uint32_t skew);
/* base64(HMAC-SHA1(secret, username)) + NUL, 28 characters. 0 or -1. */
int auth_rest_password(const void *secret, size_t slen, const void *name,
    size_t len, char out[AUTH_REST_PASSWORD_LEN + 1]);
/*
 * base64(HMAC-md(secret, username)) + NUL: 28 characters for SHA-1, 44
 * for SHA-256 (rest-api-hmac = sha256). The length written (without the
 * NUL), or -1 (cap too small: AUTH_REST_PASSWORD_MAX + 1 always fits).
 */
long auth_rest_password_md(enum crypto_md md, const void *secret,
    size_t slen, const void *name, size_t len, char *out, size_t cap);

/* ---- credential sets (auth_key.c) ---- */

struct auth_creds;	/* opaque; immutable once sealed */

/* sep: the REST separator (printable ASCII, not a digit). max_ttl/skew 0
 * mean the defaults. realm: 1..AUTH_REALM_MAX bytes. NULL on error. */
struct auth_creds *auth_creds_new(const char *realm, size_t realm_len,
    char sep, uint32_t max_ttl, uint32_t skew);
/*
 * A static user, "name:password" or "name:0x<32 hex digits>" (the MD5
 * key, as coturn's turnadmin prints it). The name ends at the first ':'
 * and is 1..AUTH_NAME_MAX bytes; the password is not kept, only the MD5
 * and SHA-256 keys (the 0x form has no SHA-256 key). 0, or -1 on syntax
 * error, duplicate name, or no memory.
 */
int auth_creds_add_user(struct auth_creds *c, const char *spec, size_t len);
/* A REST secret, 1..AUTH_SECRET_MAX bytes; at most AUTH_MAX_SECRETS.
 * The order is the order tried. 0 or -1. */
int auth_creds_add_secret(struct auth_creds *c, const void *secret,
    size_t len);
/*
 * A revoked user (`ternctl revoke`): the REST user-id or the
 * long-term username, refused until `until` (Unix seconds). Before seal.
 * 0 or -1 (no memory, too long).
 */
int auth_creds_add_revoked(struct auth_creds *c, const void *user, size_t len,
    uint64_t until);
/* True if user is revoked at now. Thread-safe on a sealed set. */
bool auth_creds_is_revoked(const struct auth_creds *c, const void *user,
    size_t len, uint64_t now);
/*
 * rest-api-hmac: the HMAC of REST passwords, CRYPTO_MD_SHA1 (the draft,
 * coturn; the default) or CRYPTO_MD_SHA256. Before seal. 0 or -1.
 */
int auth_creds_set_rest_hmac(struct auth_creds *c, enum crypto_md md);
/* Freezes the set (sorts the users and the revocations; a user revoked
 * twice keeps the later `until`). auth_check refuses unsealed sets. */
void auth_creds_seal(struct auth_creds *c);
/* Wipes keys and secrets. NULL is a no-op. */
void auth_creds_free(struct auth_creds *c);
size_t auth_creds_nusers(const struct auth_creds *c);
size_t auth_creds_nsecrets(const struct auth_creds *c);

/* ---- the request check (auth_check.c) ---- */

enum auth_verdict {
	AUTH_OK = 0,
	AUTH_BAD_REQUEST = STUN_ERR_BAD_REQUEST,		/* 400 */
	AUTH_UNAUTHENTICATED = STUN_ERR_UNAUTHENTICATED,	/* 401 */
	AUTH_STALE = STUN_ERR_STALE_NONCE,			/* 438 */
};

/* Why, for metrics (never sent to the client). */
enum auth_reason {
	AUTH_R_OK = 0,
	AUTH_R_NO_INTEGRITY,	/* 401: no MI / MI-SHA256: the challenge */
	AUTH_R_MISSING_ATTR,	/* 400: USERNAME/USERHASH, REALM or NONCE missing */
	AUTH_R_BAD_ALGORITHM,	/* 400: §9.2.4 PASSWORD-ALGORITHM(S) rules;
				 * or 401: no key for the algorithm */
	AUTH_R_UNKNOWN_USER,	/* 401: not a static user, not a REST name */
	AUTH_R_EXPIRED,		/* 401: REST expiry outside the window */
	AUTH_R_BAD_INTEGRITY,	/* 401: MI does not verify */
	AUTH_R_STALE_NONCE,	/* 438: our nonce, too old */
	AUTH_R_BAD_NONCE,	/* 438: not our nonce or another client's */
	/* metrics fold EXPIRED_VALID into "expired" */
	AUTH_R_REVOKED,		/* 401: MI verified, the user is revoked */
	AUTH_R_EXPIRED_VALID,	/* 401: MI verified, REST expiry passed */
	AUTH_R_COUNT
};

/*
 * The credential work one check did, counted as it is done (a handful of
 * increments per request): tests assert on it that a request refused early
 * cost nothing more than its refusal needs.
 */
struct auth_cost {
	unsigned nonce_checks;	/* NONCEs checked: each at most one HMAC-SHA256
				 * over ts || ip || port, 22 bytes */
	unsigned user_lookups;	/* USERNAME or USERHASH looked up among users */
	unsigned hash_probes;	/* slots of the USERHASH index visited */
	unsigned rest_hmacs;	/* REST passwords: HMAC over the username */
	unsigned key_derivations; /* long-term keys computed (MD5/SHA-256) */
	unsigned mi_checks;	/* HMACs over the message (MI, MI-SHA256) */
};

struct auth_result {
	enum auth_verdict verdict;
	enum auth_reason reason;
	/*
	 * Set when MI verified (AUTH_OK and AUTH_R_EXPIRED_VALID): the key to
	 * sign the response with, and whether to use MI-SHA256 (the request
	 * did) or MI (RFC 8489 §9.2.4, last paragraph). The engine keeps the
	 * key with the allocation; wipe it with auth_result_clear().
	 */
	uint8_t key[AUTH_KEY_MAX];
	size_t key_len;
	enum auth_alg alg;
	bool sign_sha256;
	bool rest;		/* a REST credential (expiry is valid) */
	uint64_t expiry;
	/* Views, valid while the request buffer and the creds live: the
	 * USERNAME as sent (NULL for USERHASH) and the user for quotas (the
	 * REST user-id, or the static user's name). */
	const uint8_t *username;
	size_t username_len;
	const uint8_t *user;
	size_t user_len;
	struct auth_cost cost;
};

/*
 * RFC 8489 §9.2.4 for one decoded request from client at time now.
 * Always fills res; returns res->verdict. On 401/438 the caller answers
 * with ERROR-CODE then auth_challenge_add(); on 400 with ERROR-CODE only
 * (no MI, §9.2.4).
 *
 * The NONCE is checked right after the 400 checks and before any user is
 * looked up or any key derived: a NONCE that is not a live one of ours
 * for this client is 438 (AUTH_R_BAD_NONCE or AUTH_R_STALE_NONCE) with no
 * key, whatever the credentials (auth_check.c says why).
 *
 * After MI verifies: a revoked user (auth_creds_is_revoked on res->user)
 * is 401 AUTH_R_REVOKED; a REST credential that verifies but whose expiry
 * has passed (beyond the skew) is 401 AUTH_R_EXPIRED_VALID with the key,
 * user, username and expiry kept (as for AUTH_OK), so that the caller may
 * apply its session policy (a grace period after expiry for the
 * allocation the credential made, src/turn/turn_auth.c) and sign its
 * answer. It costs the same HMAC work as every other REST failure. Every
 * other 401 has no key and no user.
 */
enum auth_verdict auth_check(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const struct stun_msg *req,
    const struct addr *client, uint64_t now, struct auth_result *res);
/*
 * auth_check() where USERNAME name (len bytes, a view that must outlive
 * res) has the MD5 long-term key `key` from an outside store (Redis,
 * coturn's turn/realm/<realm>/user/<user>/key). Static users still take
 * precedence; the outside user has no SHA-256 key (PASSWORD-ALGORITHM
 * SHA-256 is 401 AUTH_R_BAD_ALGORITHM, as for a static 0x<key> user).
 * Same order, same constant-time compare.
 */
enum auth_verdict auth_check_key(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const uint8_t *name, size_t len,
    const uint8_t key[16], const struct stun_msg *req,
    const struct addr *client, uint64_t now, struct auth_result *res);
/*
 * Whether req should have its key looked up in an outside store: it
 * carries MI (the 401 round trip is done), USERNAME, REALM and NONCE, its
 * PASSWORD-ALGORITHM(S) are acceptable, the NONCE is a live one we issued
 * to this client (checked first: no lookup of any kind for a spoofed
 * source or an old nonce, which get 438), and USERNAME names neither a
 * static user nor, when the set has REST secrets, a REST-shaped
 * credential. USERNAMEs over AUTH_USER_KEY_NAME_MAX bytes or with NUL or
 * control bytes (< 0x20, 0x7f) are never looked up (the store builds keys
 * from them): false, and auth_check() answers them 401 as unknown. On
 * true, *name and *len are the USERNAME (a view into req).
 */
bool auth_user_key_wanted(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const struct stun_msg *req,
    const struct addr *client, uint64_t now, const uint8_t **name,
    size_t *len);
/*
 * auth_user_key_wanted() and auth_check() in one, for a caller with an
 * outside store, so that the NONCE is checked once: true when the key of
 * USERNAME should be looked up first (*name and *len as for
 * auth_user_key_wanted(); res is zeroed, no verdict yet: the caller then
 * calls auth_check_key() or auth_check()); false when res holds
 * auth_check()'s verdict.
 */
bool auth_check_or_want_key(const struct auth_ctx *ctx,
    const struct auth_creds *creds, const struct stun_msg *req,
    const struct addr *client, uint64_t now, struct auth_result *res,
    const uint8_t **name, size_t *len);
void auth_result_clear(struct auth_result *res);
/* "no-integrity", ... for metric labels; "ok" for AUTH_R_OK. */
const char *auth_reason_name(enum auth_reason r);

/*
 * Adds REALM, a fresh NONCE for client, and PASSWORD-ALGORITHMS (SHA-256
 * then MD5: the client takes the first it supports, RFC 8489 §9.2.5) to a
 * 401/438 response (§9.2.4). Nothing else: no MI on a 401. 0 or -1 (the
 * builder's err is set on lack of room).
 */
int auth_challenge_add(const struct auth_ctx *ctx,
    const struct auth_creds *creds, struct stun_builder *b,
    const struct addr *client, uint64_t now);

#endif
