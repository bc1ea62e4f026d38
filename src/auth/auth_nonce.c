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
	crypto_wipe(ctx->key, sizeof(ctx->key));
	ctx->nonce_forced = false;
}

void
auth_ctx_force_nonce(struct auth_ctx *ctx, enum auth_nonce_status st)
{
	ctx->nonce_forced = true;
	ctx->nonce_force = st;
}

/* MAC over ts32 || ip || port; ip is 4 or 16 bytes, so the input length
 * tells the families apart. 0 or -1 (unsupported family). */
static int
nonce_mac(const struct auth_ctx *ctx, const uint8_t ts[4],
    const struct addr *client, uint8_t out[NONCE_MAC_LEN])
{
	struct crypto_seg segs[3];
	uint8_t mac[CRYPTO_SHA256_LEN], port[2];
	uint16_t p;
	int rc;

	switch (addr_family(client)) {
	case AF_INET:
		segs[1].p = &client->u.sin.sin_addr;
		segs[1].len = 4;
		break;
	case AF_INET6:
		segs[1].p = &client->u.sin6.sin6_addr;
		segs[1].len = 16;
		break;
	default:
		return -1;
	}
	p = addr_port(client);
	port[0] = (uint8_t)(p >> 8);
	port[1] = (uint8_t)p;
	segs[0].p = ts;
	segs[0].len = 4;
	segs[2].p = port;
	segs[2].len = 2;
	rc = crypto_hmac(CRYPTO_MD_SHA256, ctx->key, sizeof(ctx->key), segs, 3,
	    mac);
	memcpy(out, mac, NONCE_MAC_LEN);
	crypto_wipe(mac, sizeof(mac));
	return rc;
}

int
auth_nonce_make(const struct auth_ctx *ctx, const struct addr *client,
    uint64_t now, char out[AUTH_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_RAW_LEN];
	char b64[NONCE_B64_LEN + 4];
	uint32_t ts = (uint32_t)now;	/* wraps in 2106: ages are modular */
	size_t i;

	raw[0] = (uint8_t)(ts >> 24);
	raw[1] = (uint8_t)(ts >> 16);
	raw[2] = (uint8_t)(ts >> 8);
	raw[3] = (uint8_t)ts;
	if (nonce_mac(ctx, raw, client, raw + 4) != 0)
		return -1;
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
	uint8_t raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN];
	char b64[NONCE_B64_LEN];
	uint32_t ts, age;
	bool good;

	if (len != AUTH_NONCE_LEN ||
	    memcmp(nonce, AUTH_NONCE_COOKIE NONCE_FEATURES,
	    NONCE_PREFIX_LEN) != 0)
		return AUTH_NONCE_INVALID;
	if (nonce_unurl(nonce + NONCE_PREFIX_LEN, b64) != 0 ||
	    crypto_base64_decode(b64, sizeof(b64), raw, sizeof(raw)) !=
	    NONCE_RAW_LEN)
		return AUTH_NONCE_INVALID;
	if (nonce_mac(ctx, raw, client, mac) != 0)
		return AUTH_NONCE_INVALID;
	good = crypto_equal(mac, raw + 4, NONCE_MAC_LEN);
	crypto_wipe(mac, sizeof(mac));
	if (!good)
		return AUTH_NONCE_INVALID;
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
