/* SPDX-License-Identifier: ISC */
/* REST credential parser, validity window and password
 * (draft-uberti-behave-turn-rest-00 §2.2; src/auth/auth_rest.c). The
 * password of 1735689600:alice under turn-test-secret is openssl's:
 *   printf '%s' '1735689600:alice' |
 *     openssl dgst -sha1 -hmac 'turn-test-secret' -binary | base64 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/crypto.h"
#include "tap.h"

static int
parse(const char *s, char sep, struct auth_rest_name *rn)
{
	return auth_rest_parse((const uint8_t *)s, strlen(s), sep, rn);
}

static void
test_parse_valid(void)
{
	struct auth_rest_name rn;

	is_int(parse("1735689600:alice", ':', &rn), 0, "browser username");
	is_int(rn.expiry, 1735689600, "expiry");
	ok(rn.user_len == 5 && memcmp(rn.user, "alice", 5) == 0, "user-id");
	is_int(parse("1735689600:alice:phone", ':', &rn), 0,
	    "split at the first separator");
	ok(rn.user_len == 11 && memcmp(rn.user, "alice:phone", 11) == 0,
	    "user-id keeps later separators");
	is_int(parse("0:x", ':', &rn), 0, "one digit");
	is_int(rn.expiry, 0, "expiry 0");
	is_int(parse("99999999999:x", ':', &rn), 0, "11 digits");
	ok(rn.expiry == 99999999999ull, "11-digit value exact");
	is_int(parse("00000000001:x", ':', &rn), 0, "leading zeros");
	is_int(parse("1735689600|bob", '|', &rn), 0, "custom separator");
	ok(rn.user_len == 3 && memcmp(rn.user, "bob", 3) == 0,
	    "custom separator user-id");
	/* odd bytes are plain bytes: no escaping, no format strings */
	is_int(parse("1735689600:a\r\nb", ':', &rn), 0, "CR LF plain bytes");
	is_int(rn.user_len, 4, "CR LF kept");
	is_int(parse("1735689600:%s%n*", ':', &rn), 0, "%%s and * plain");
	ok(rn.user_len == 5 && memcmp(rn.user, "%s%n*", 5) == 0, "kept as is");
	is_int(parse("1735689600:\xff\xfe", ':', &rn), 0, "non-UTF-8 bytes");
}

static void
test_parse_invalid(void)
{
	static const char *bad[] = {
		"", ":", "1735689600:", ":alice", "+1735689600:alice",
		"-1:alice", " 1735689600:alice", "1735689600 :alice",
		"173568960a:alice", "123456789012:alice",
		"99999999999999999999:alice", "1735689600alice", "0x10:alice",
		"1735689600|alice",
	};
	struct auth_rest_name rn;
	uint8_t big[AUTH_USERNAME_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse(bad[i], ':', &rn), -1, "refused: \"%s\"", bad[i]);
	is_int(parse("1735689600:alice", '|', &rn), -1,
	    "default separator not accepted when '|' is configured");
	is_int(auth_rest_parse((const uint8_t *)"1:a\0b", 5, ':', &rn), -1,
	    "NUL in user-id refused");
	is_int(auth_rest_parse(NULL, 0, ':', &rn), -1, "NULL");
	/* user-id 255 bytes ok, 256 refused, 763-byte username refused */
	memset(big, 'u', sizeof(big));
	memcpy(big, "1735689600:", 11);
	is_int(auth_rest_parse(big, 11 + AUTH_NAME_MAX, ':', &rn), 0,
	    "255-byte user-id");
	is_int(auth_rest_parse(big, 12 + AUTH_NAME_MAX, ':', &rn), -1,
	    "256-byte user-id refused");
	is_int(auth_rest_parse(big, sizeof(big), ':', &rn), -1,
	    "763-byte username refused");
}

static void
test_window(void)
{
	const uint64_t now = 1700000000;

	/* now - skew < expiry <= now + max_ttl + skew */
	ok(auth_rest_in_window(now, now, 86400, 30), "expiry = now");
	ok(auth_rest_in_window(now - 29, now, 86400, 30), "29 s ago (skew)");
	ok(!auth_rest_in_window(now - 30, now, 86400, 30), "30 s ago refused");
	ok(!auth_rest_in_window(now - 3600, now, 86400, 30), "1 h ago");
	ok(auth_rest_in_window(now + 86430, now, 86400, 30), "max + skew");
	ok(!auth_rest_in_window(now + 86431, now, 86400, 30),
	    "max + skew + 1 refused");
	ok(!auth_rest_in_window(now + 2 * 86400, now, 86400, 30), "2 days");
	ok(!auth_rest_in_window(99999999999ull, now, 86400, 30),
	    "absurd expiry refused");
	ok(!auth_rest_in_window(0, now, 86400, 30), "expiry 0 refused");
	ok(auth_rest_in_window(10, 0, 86400, 30), "now = 0");
	ok(auth_rest_in_window(UINT64_MAX, UINT64_MAX - 5, 86400, 30),
	    "no overflow near UINT64_MAX");
	ok(!auth_rest_in_window(0, UINT64_MAX, 86400, 30),
	    "no underflow near UINT64_MAX");
}

static void
test_password(void)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];

	is_int(auth_rest_password("turn-test-secret", 16, "1735689600:alice",
	    16, pw), 0, "password");
	is_str(pw, "yPlE/dEM42nx7DAbLdBChBwv7Iw=", "REST password = openssl's");
	auth_rest_password("turn-test-secreT", 16, "1735689600:alice", 16, pw);
	ok(strcmp(pw, "yPlE/dEM42nx7DAbLdBChBwv7Iw=") != 0,
	    "other secret, other password");
	auth_rest_password("turn-test-secret", 16, "1735689601:alice", 16, pw);
	ok(strcmp(pw, "yPlE/dEM42nx7DAbLdBChBwv7Iw=") != 0,
	    "other username, other password");
	is_int(strlen(pw), AUTH_REST_PASSWORD_LEN, "28 characters");
}

/*
 * rest-api-hmac = sha256. The expected value was computed outside tern:
 *   printf '%s' '1735689600:alice' |
 *     openssl dgst -sha256 -hmac 'turn-test-secret' -binary | base64
 */
static void
test_password_sha256(void)
{
	char pw[AUTH_REST_PASSWORD_MAX + 1];
	char small[AUTH_REST_PASSWORD256_LEN];

	is_int(auth_rest_password_md(CRYPTO_MD_SHA256, "turn-test-secret", 16,
	    "1735689600:alice", 16, pw, sizeof(pw)), 44, "44 characters");
	is_str(pw, "euVXHkHNGK3scMQIC9SCtOEXLRbSMotyCqMAKmvaoQE=",
	    "HMAC-SHA256 password = openssl's");
	is_int(auth_rest_password_md(CRYPTO_MD_SHA1, "turn-test-secret", 16,
	    "1735689600:alice", 16, pw, sizeof(pw)), 28, "SHA-1: 28");
	is_str(pw, "yPlE/dEM42nx7DAbLdBChBwv7Iw=", "SHA-1 through _md: the same");
	is_int(auth_rest_password_md(CRYPTO_MD_SHA256, "turn-test-secret", 16,
	    "1735689600:alice", 16, small, sizeof(small)), -1,
	    "no room for the NUL: -1");
	is_int(auth_rest_password_md((enum crypto_md)7, "s", 1, "n", 1, pw,
	    sizeof(pw)), -1, "unknown digest refused");
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_password_sha256();
	test_parse_valid();
	test_parse_invalid();
	test_window();
	test_password();
	return tap_done();
}
