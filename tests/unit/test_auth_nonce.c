/* SPDX-License-Identifier: ISC */
/* Stateless nonces (reference E.8, S19-S21, A.12.1, C11). */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/crypto.h"
#include "tap.h"

static const uint64_t NOW = 1735689000;

static enum auth_nonce_status
check(const struct auth_ctx *ctx, const char *n, const struct addr *a,
    uint64_t now)
{
	return auth_nonce_check(ctx, (const uint8_t *)n, strlen(n), a, now);
}

static void
test_format(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1];
	uint32_t f;
	size_t i, bad = 0;

	is_int(auth_nonce_make(ctx, a, NOW, n), 0, "make");
	is_int(strlen(n), 29, "exactly 29 characters");
	ok(strncmp(n, "obMatJos2AAAB", 13) == 0, "prefix obMatJos2AAAB: %s", n);
	for (i = 0; i < strlen(n); i++)
		if (strchr("+/=\"\\ ", n[i]) != NULL)
			bad++;
	is_int(bad, 0, "base64url, no padding, nothing to quote");
	is_int(auth_nonce_features((const uint8_t *)n, 29, &f), 0, "features");
	is_int(f, AUTH_FEATURE_PW_ALGS, "password-algorithms bit (LSB)");
	/* A.12.1 / B.6 encodings */
	auth_nonce_features((const uint8_t *)"obMatJos2AAAC", 13, &f);
	is_int(f, AUTH_FEATURE_ANONYMITY, "AAAC = anonymity");
	auth_nonce_features((const uint8_t *)"obMatJos2AAAD", 13, &f);
	is_int(f, 3, "AAAD = both");
	auth_nonce_features((const uint8_t *)"obMatJos2gAAA", 13, &f);
	is_int(f, 0x800000, "gAAA is the MSB reading, not ours");
	is_int(auth_nonce_features((const uint8_t *)"obMatJos2AA", 11, &f), -1,
	    "short");
	is_int(auth_nonce_features((const uint8_t *)"f//499k954d6OL34", 16,
	    &f), -1, "no cookie (RFC 5769 nonce)");
	is_int(auth_nonce_features((const uint8_t *)"obMatJos2A=AB", 13, &f),
	    -1, "bad base64");
}

static void
test_roundtrip(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1];

	auth_nonce_make(ctx, a, NOW, n);
	is_int(check(ctx, n, a, NOW), AUTH_NONCE_VALID, "valid at once");
	is_int(check(ctx, n, a, NOW + 600), AUTH_NONCE_VALID,
	    "valid at the 600 s edge");
	is_int(check(ctx, n, a, NOW + 601), AUTH_NONCE_STALE, "stale at 601 s");
	is_int(check(ctx, n, a, NOW + 86400), AUTH_NONCE_STALE, "stale a day on");
	is_int(check(ctx, n, a, NOW - 5), AUTH_NONCE_STALE,
	    "from the future (clock stepped back): stale");
}

static void
test_binding(const struct auth_ctx *ctx, const struct addr *a)
{
	struct addr b, c6, c6b;
	char n[AUTH_NONCE_LEN + 1], m[AUTH_NONCE_LEN + 1];
	struct auth_ctx other;

	auth_nonce_make(ctx, a, NOW, n);
	b = *a;
	addr_set_port(&b, (uint16_t)(addr_port(a) + 1));
	auth_nonce_make(ctx, &b, NOW, m);
	ok(strcmp(n, m) != 0, "two source ports, two nonces (S19)");
	is_int(check(ctx, n, &b, NOW), AUTH_NONCE_INVALID, "other port: invalid");
	addr_parse_ip(&b, "192.0.2.2", addr_port(a));
	is_int(check(ctx, n, &b, NOW), AUTH_NONCE_INVALID, "other IP: invalid");
	addr_parse_ip(&c6, "2001:db8::1", 5000);
	addr_parse_ip(&c6b, "2001:db8::2", 5000);
	auth_nonce_make(ctx, &c6, NOW, m);
	is_int(check(ctx, m, &c6, NOW), AUTH_NONCE_VALID, "IPv6 round trip");
	is_int(check(ctx, m, &c6b, NOW), AUTH_NONCE_INVALID, "other IPv6");
	is_int(check(ctx, m, a, NOW), AUTH_NONCE_INVALID, "IPv6 nonce from v4");
	/* another process (another key) does not accept ours */
	if (auth_ctx_init(&other, 0) != 0)
		return;
	is_int(check(&other, n, a, NOW), AUTH_NONCE_INVALID, "other key");
	auth_ctx_clear(&other);
	ok(ctx->stale_nonce == 600, "default stale-nonce 600");
}

static void
test_tamper(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1], t[AUTH_NONCE_LEN + 1];
	size_t i, accepted = 0;

	auth_nonce_make(ctx, a, NOW, n);
	for (i = 0; i < AUTH_NONCE_LEN; i++) {
		memcpy(t, n, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		if (check(ctx, t, a, NOW) != AUTH_NONCE_INVALID)
			accepted++;
	}
	is_int(accepted, 0, "every one-character change is invalid");
	/* a later timestamp with the old MAC is refused (no extending) */
	memcpy(t, n, sizeof(t));
	t[13 + 1] = t[13 + 1] == 'z' ? 'y' : 'z';
	is_int(check(ctx, t, a, NOW), AUTH_NONCE_INVALID, "timestamp changed");
	is_int(auth_nonce_check(ctx, (const uint8_t *)n, 28, a, NOW),
	    AUTH_NONCE_INVALID, "truncated");
	memcpy(t, n, sizeof(t));
	t[20] = '+';
	is_int(check(ctx, t, a, NOW), AUTH_NONCE_INVALID, "'+' (not url)");
	is_int(check(ctx, "obMatJos2AAAB0123456789abcdef", a, NOW),
	    AUTH_NONCE_INVALID, "B.6 fixed nonce is not ours");
	is_int(check(ctx, "", a, NOW), AUTH_NONCE_INVALID, "empty");
}

static void
test_stale_custom(const struct addr *a)
{
	struct auth_ctx ctx;
	char n[AUTH_NONCE_LEN + 1];

	if (auth_ctx_init(&ctx, 30) != 0)
		return;
	auth_nonce_make(&ctx, a, NOW, n);
	is_int(check(&ctx, n, a, NOW + 30), AUTH_NONCE_VALID, "30 s window");
	is_int(check(&ctx, n, a, NOW + 31), AUTH_NONCE_STALE, "31 s stale");
	auth_ctx_clear(&ctx);
	is_int(check(&ctx, n, a, NOW), AUTH_NONCE_INVALID,
	    "wiped key checks nothing");
}

int
main(void)
{
	struct auth_ctx ctx;
	struct addr a;

	if (crypto_init() != 0 || auth_ctx_init(&ctx, 0) != 0)
		return 1;
	addr_parse_ip(&a, "192.0.2.1", 40000);
	test_format(&ctx, &a);
	test_roundtrip(&ctx, &a);
	test_binding(&ctx, &a);
	test_tamper(&ctx, &a);
	test_stale_custom(&a);
	auth_ctx_clear(&ctx);
	return tap_done();
}
