/* SPDX-License-Identifier: ISC */
/*
 * auth_nonce: stateless nonces (docs/security.md, "Stateless until
 * authenticated").
 *
 *   "obMatJos2" "AAAB" base64url(ts32 || HMAC-SHA256(k, ts32 || ip || port)[0..8))
 *
 * 9 + 4 + 16 = 29 characters. The cookie and the feature set come from
 * RFC 8489 §9.2 and §18.1, with the "Password algorithms" bit as the least
 * significant one (the bit order of the RFC's errata), so the set 0x000001
 * encodes as "AAAB". The MAC binds the nonce to the client's IP and port,
 * so two source ports never share a nonce (§9.2.4: "The server MUST NOT
 * choose the same NONCE for two requests unless they have the same source
 * IP address and port") and a nonce replayed from elsewhere is invalid
 * (docs/security.md, "Nonce replay"). Nothing is stored: the server
 * checks a nonce by recomputing the MAC, one HMAC over 22 bytes at most,
 * which is why auth_check() checks the nonce before any credential work.
 */
#include <string.h>

#include "auth/auth.h"
#include "util/crypto.h"

#define NONCE_FEATURES		"AAAB"	/* AUTH_FEATURE_PW_ALGS, base64 */
#define NONCE_PREFIX_LEN	(AUTH_NONCE_COOKIE_LEN + 4)
#define NONCE_RAW_LEN		12	/* ts32 + 8 MAC bytes */
#define NONCE_MAC_LEN		8
#define NONCE_B64_LEN		16	/* base64 of 12 bytes: no padding */
#define NONCE_IN_MAX		22	/* ts32 + IPv6 + port: what the MAC covers */
#define NONCE_MEMOS		2

/*
 * This thread's memo of nonce MACs, the last one made (the 438 or 401 of
 * auth_challenge_add) and the last one that verified: the MAC is a
 * function of the key and its input alone, so an input seen again, the
 * same client in the same second or the same nonce from the same
 * client, costs no HMAC (a flood of made-up nonces from one source gets
 * its fresh nonces for one HMAC a second; a client's requests under its
 * nonce, one HMAC in all). The answer is the same as recomputing it:
 * nothing about what a nonce is bound to changes (§9.2, docs/security.md,
 * Nonce replay). Per thread because an auth_ctx is shared, read-only, by
 * every worker (daemon_env.c), and _Thread_local so no other thread can
 * reach it; the key is kept to tell two contexts apart (and a context
 * re-drawn in place), compared in constant time.
 */
enum nonce_slot {
	NONCE_MADE,
	NONCE_SEEN,
};

struct nonce_memo {
	uint8_t key[sizeof(((struct auth_ctx *)0)->key)];
	uint8_t in[NONCE_IN_MAX];
	size_t len;			/* 0: empty */
	uint8_t mac[NONCE_MAC_LEN];
};

static _Thread_local struct nonce_memo nonce_memo[NONCE_MEMOS];

int
auth_ctx_init(struct auth_ctx *ctx, uint32_t stale_nonce)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->stale_nonce = stale_nonce ? stale_nonce : AUTH_STALE_NONCE_DEFAULT;
	return crypto_random(ctx->key, sizeof(ctx->key));
}

void
auth_ctx_clear(struct auth_ctx *ctx)
{
	/* this thread's memo too; a worker's copy lives as long as the
	 * worker, which the daemon ends before it clears the key */
	crypto_wipe(nonce_memo, sizeof(nonce_memo));
	crypto_wipe(ctx->key, sizeof(ctx->key));
	ctx->nonce_forced = false;
}

void
auth_ctx_force_nonce(struct auth_ctx *ctx, enum auth_nonce_status st)
{
	ctx->nonce_forced = true;
	ctx->nonce_force = st;
}

/*
 * What the MAC covers, ts32 || ip || port, flat; ip is 4 or 16 bytes, so
 * the input length tells the families apart. The length, or 0
 * (unsupported family).
 */
static size_t
nonce_input(const uint8_t ts[4], const struct addr *client,
    uint8_t in[NONCE_IN_MAX])
{
	size_t iplen;
	uint16_t p;

	switch (addr_family(client)) {
	case AF_INET:
		iplen = 4;
		memcpy(in + 4, &client->u.sin.sin_addr, iplen);
		break;
	case AF_INET6:
		iplen = 16;
		memcpy(in + 4, &client->u.sin6.sin6_addr, iplen);
		break;
	default:
		return 0;
	}
	memcpy(in, ts, 4);
	p = addr_port(client);
	in[4 + iplen] = (uint8_t)(p >> 8);
	in[5 + iplen] = (uint8_t)p;
	return 6 + iplen;
}

/* The memo of ctx's MAC over in, or NULL. */
static const struct nonce_memo *
nonce_memo_find(const struct auth_ctx *ctx, const uint8_t *in, size_t len)
{
	const struct nonce_memo *m;
	size_t i;

	for (i = 0; i < NONCE_MEMOS; i++) {
		m = &nonce_memo[i];
		if (m->len == len && memcmp(m->in, in, len) == 0 &&
		    crypto_equal(m->key, ctx->key, sizeof(m->key)))
			return m;
	}
	return NULL;
}

static void
nonce_memo_keep(const struct auth_ctx *ctx, enum nonce_slot slot,
    const uint8_t *in, size_t len, const uint8_t mac[NONCE_MAC_LEN])
{
	struct nonce_memo *m = &nonce_memo[slot];

	memcpy(m->key, ctx->key, sizeof(m->key));
	memcpy(m->in, in, len);
	m->len = len;
	memcpy(m->mac, mac, NONCE_MAC_LEN);
}

/* ctx's MAC over ts32 || ip || port, from this thread's memo or
 * computed. 0 or -1 (unsupported family). */
static int
nonce_mac(const struct auth_ctx *ctx, const uint8_t ts[4],
    const struct addr *client, uint8_t in[NONCE_IN_MAX], size_t *inlen,
    uint8_t out[NONCE_MAC_LEN])
{
	const struct nonce_memo *m;
	struct crypto_seg seg;
	uint8_t mac[CRYPTO_SHA256_LEN];
	int rc;

	if ((*inlen = nonce_input(ts, client, in)) == 0)
		return -1;
	if ((m = nonce_memo_find(ctx, in, *inlen)) != NULL) {
		memcpy(out, m->mac, NONCE_MAC_LEN);
		return 0;
	}
	seg.p = in;
	seg.len = *inlen;
	/* the key is the process's, the same on every call: the thread's
	 * context keeps it (crypto.h) */
	rc = crypto_hmac_fixed(CRYPTO_MD_SHA256, ctx->key, sizeof(ctx->key),
	    &seg, 1, mac);
	memcpy(out, mac, NONCE_MAC_LEN);
	crypto_wipe(mac, sizeof(mac));
	return rc;
}

int
auth_nonce_make(const struct auth_ctx *ctx, const struct addr *client,
    uint64_t now, char out[AUTH_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_RAW_LEN], in[NONCE_IN_MAX];
	char b64[NONCE_B64_LEN + 4];
	uint32_t ts = (uint32_t)now;	/* wraps in 2106: ages are modular */
	size_t i, inlen;

	raw[0] = (uint8_t)(ts >> 24);
	raw[1] = (uint8_t)(ts >> 16);
	raw[2] = (uint8_t)(ts >> 8);
	raw[3] = (uint8_t)ts;
	if (nonce_mac(ctx, raw, client, in, &inlen, raw + 4) != 0)
		return -1;
	nonce_memo_keep(ctx, NONCE_MADE, in, inlen, raw + 4);
	if (crypto_base64_encode(raw, sizeof(raw), b64, sizeof(b64)) !=
	    NONCE_B64_LEN)
		return -1;
	/* base64url (RFC 4648 §5): no '/' or '+' in a quoted NONCE */
	for (i = 0; i < NONCE_B64_LEN; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	memcpy(out, AUTH_NONCE_COOKIE NONCE_FEATURES, NONCE_PREFIX_LEN);
	memcpy(out + NONCE_PREFIX_LEN, b64, NONCE_B64_LEN);
	out[AUTH_NONCE_LEN] = '\0';
	return 0;
}

/* base64url back to standard base64; refuses '+', '/' and '='. */
static int
nonce_unurl(const uint8_t *in, char out[NONCE_B64_LEN])
{
	size_t i;

	for (i = 0; i < NONCE_B64_LEN; i++) {
		if (in[i] == '+' || in[i] == '/' || in[i] == '=')
			return -1;
		if (in[i] == '-')
			out[i] = '+';
		else if (in[i] == '_')
			out[i] = '/';
		else
			out[i] = (char)in[i];
	}
	return 0;
}

enum auth_nonce_status
auth_nonce_check(const struct auth_ctx *ctx, const uint8_t *nonce,
    size_t len, const struct addr *client, uint64_t now)
{
	uint8_t raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN], in[NONCE_IN_MAX];
	char b64[NONCE_B64_LEN];
	uint32_t ts, age;
	size_t inlen;
	bool good;

	if (len != AUTH_NONCE_LEN ||
	    memcmp(nonce, AUTH_NONCE_COOKIE NONCE_FEATURES,
	    NONCE_PREFIX_LEN) != 0)
		return AUTH_NONCE_INVALID;
	if (nonce_unurl(nonce + NONCE_PREFIX_LEN, b64) != 0 ||
	    crypto_base64_decode(b64, sizeof(b64), raw, sizeof(raw)) !=
	    NONCE_RAW_LEN)
		return AUTH_NONCE_INVALID;
	if (nonce_mac(ctx, raw, client, in, &inlen, mac) != 0)
		return AUTH_NONCE_INVALID;
	good = crypto_equal(mac, raw + 4, NONCE_MAC_LEN);
	crypto_wipe(mac, sizeof(mac));
	if (!good)
		return AUTH_NONCE_INVALID;
	/* only a nonce that verified is kept: made-up ones, each another
	 * input, would push out the nonces worth keeping */
	nonce_memo_keep(ctx, NONCE_SEEN, in, inlen, raw + 4);
	ts = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	/* A nonce from the future (clock stepped back) ages huge: stale,
	 * so the client simply gets a fresh one (§9.2.4, 438). */
	age = (uint32_t)now - ts;
	return age > ctx->stale_nonce ? AUTH_NONCE_STALE : AUTH_NONCE_VALID;
}

int
auth_nonce_features(const uint8_t *nonce, size_t len, uint32_t *features)
{
	uint8_t f[4];
	char b64[4];

	if (len < NONCE_PREFIX_LEN ||
	    memcmp(nonce, AUTH_NONCE_COOKIE, AUTH_NONCE_COOKIE_LEN) != 0)
		return -1;
	memcpy(b64, nonce + AUTH_NONCE_COOKIE_LEN, sizeof(b64));
	if (crypto_base64_decode(b64, sizeof(b64), f, sizeof(f)) != 3)
		return -1;
	/* bit 0 is the least significant (see the top of this file) */
	*features = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
	return 0;
}
