/* SPDX-License-Identifier: ISC */
/*
 * auth_rest: TURN REST API credentials (draft-uberti-behave-turn-rest-00
 * §2.2; docs/security.md, "Credentials").
 *
 *   username = <expiry> <sep> <user-id>
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * or, with rest-api-hmac = sha256, base64(HMAC-SHA256(secret,
 * username)), 44 characters: the draft names SHA-1 only, but backends
 * that may not use SHA-1 can opt in (ternctl credentials --hmac sha256).
 *
 * The parser is strict where ambiguity could hurt and opaque elsewhere:
 *  - the split is at the FIRST separator, so the user-id may contain more
 *    of them ("1735689600:alice:phone" is user "alice:phone");
 *  - the expiry is 1..11 ASCII digits, nothing else (no sign, no spaces,
 *    no "0x"): 11 digits cannot overflow 64 bits;
 *  - the user-id is 1..255 bytes of anything but NUL. Backends use UUIDs,
 *    base64 and e-mail-like ids, and the MAC covers the bytes exactly, so
 *    tern does not restrict the set further; NUL is refused because later
 *    consumers (logs, Redis tools) may treat the id as a C string. The id
 *    is never used to build a Redis key (docs/security.md, "Redis
 *    injection") and must be escaped before it is logged (docs/security.md,
 *    "Log injection").
 * The validity window refuses expired credentials and credentials dated
 * further ahead than max_ttl (a compromised or buggy backend), with skew.
 */
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "util/crypto.h"

int
auth_rest_parse(const uint8_t *name, size_t len, char sep,
    struct auth_rest_name *out)
{
	const uint8_t *s;
	uint64_t v = 0;
	size_t nd, i;

	if (name == NULL || len == 0 ||
	    (s = memchr(name, (unsigned char)sep, len)) == NULL)
		return -1;
	nd = (size_t)(s - name);
	if (nd == 0 || nd > AUTH_EXPIRY_DIGITS)
		return -1;
	for (i = 0; i < nd; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	out->user = s + 1;
	out->user_len = len - nd - 1;
	if (out->user_len == 0 || out->user_len > AUTH_NAME_MAX ||
	    memchr(out->user, '\0', out->user_len) != NULL)
		return -1;
	out->expiry = v;
	return 0;
}

bool
auth_rest_in_window(uint64_t expiry, uint64_t now, uint32_t max_ttl,
    uint32_t skew)
{
	/* now - skew < expiry, written without unsigned underflow */
	if (expiry <= now && now - expiry >= skew)
		return false;
	/* expiry <= now + max_ttl + skew, saturating */
	if (now > UINT64_MAX - ((uint64_t)max_ttl + skew))
		return true;
	return expiry <= now + (uint64_t)max_ttl + skew;
}

long
auth_rest_password_md(enum crypto_md md, const void *secret, size_t slen,
    const void *name, size_t len, char *out, size_t cap)
{
	struct crypto_seg seg;
	uint8_t mac[CRYPTO_SHA256_LEN];
	size_t mlen = md == CRYPTO_MD_SHA256 ? CRYPTO_SHA256_LEN :
	    CRYPTO_SHA1_LEN;
	long n = -1;

	if (md != CRYPTO_MD_SHA1 && md != CRYPTO_MD_SHA256)
		return -1;
	seg.p = name;
	seg.len = len;
	if (crypto_hmac(md, secret, slen, &seg, 1, mac) == 0)
		n = crypto_base64_encode(mac, mlen, out, cap);
	crypto_wipe(mac, sizeof(mac));
	return n;
}

int
auth_rest_password(const void *secret, size_t slen, const void *name,
    size_t len, char out[AUTH_REST_PASSWORD_LEN + 1])
{
	return auth_rest_password_md(CRYPTO_MD_SHA1, secret, slen, name, len,
	    out, AUTH_REST_PASSWORD_LEN + 1) == AUTH_REST_PASSWORD_LEN ? 0 : -1;
}
