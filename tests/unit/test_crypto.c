/* SPDX-License-Identifier: ISC */
/*
 * Known-answer tests for util/crypto: RFC 8489 §9.2.2 and Appendix B.1,
 * and a TURN REST credential (secret "turn-test-secret", username
 * "1735689600:alice", realm "example.org").
 */
#include <string.h>

#include "util/crypto.h"
#include "tap.h"

static int
hex_is(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t want[64];
	long wn = tap_unhex(hex, want, sizeof(want));

	return wn == (long)n && memcmp(p, want, n) == 0;
}

static void
test_digests(void)
{
	uint8_t out[32];
	struct crypto_seg s[3] = { { "user:", 5 }, { "realm:", 6 }, { "pass", 4 } };
	struct crypto_seg one = { "user:realm:pass", 15 };
	struct crypto_seg uh = { "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83"
	    "\xe3\x82\xaf\xe3\x82\xb9:example.org", 30 };
	struct crypto_seg rest = { "1735689600:alice:example.org:"
	    "yPlE/dEM42nx7DAbLdBChBwv7Iw=", 57 };

	ok(crypto_md5(s, 3, out) == 0 &&
	    hex_is(out, 16, "8493fbc53ba582fb4c044c456bdc40eb"),
	    "MD5(user:realm:pass) over segments");
	ok(crypto_md5(&one, 1, out) == 0 &&
	    hex_is(out, 16, "8493fbc53ba582fb4c044c456bdc40eb"),
	    "MD5(user:realm:pass) in one piece");
	ok(crypto_md5(&rest, 1, out) == 0 &&
	    hex_is(out, 16, "d64cff3edad7347e968942e5321ba5c3"),
	    "REST MD5 key");
	ok(crypto_sha256(&rest, 1, out) == 0 && hex_is(out, 32,
	    "41ff810f4b2bf7dce965b34729a1027349fae2d0da3f4f638e7680865368dec5"),
	    "REST SHA-256 key");
	ok(crypto_sha256(&uh, 1, out) == 0 && hex_is(out, 32,
	    "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704"),
	    "RFC 8489 B.1 USERHASH");
	ok(crypto_sha256(NULL, 0, out) == 0 && hex_is(out, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "SHA-256 of nothing");
}

static void
test_hmac(void)
{
	uint8_t out[32];
	char b64[64];
	struct crypto_seg u = { "1735689600:alice", 16 };
	struct crypto_seg split[2] = { { "1735689600", 10 }, { ":alice", 6 } };
	struct crypto_seg fox = { "The quick brown fox jumps over the lazy dog", 43 };

	ok(crypto_hmac(CRYPTO_MD_SHA1, "turn-test-secret", 16, &u, 1, out) == 0 &&
	    crypto_base64_encode(out, 20, b64, sizeof(b64)) == 28,
	    "REST HMAC-SHA1 + base64");
	is_str(b64, "yPlE/dEM42nx7DAbLdBChBwv7Iw=", "REST password");
	ok(crypto_hmac(CRYPTO_MD_SHA1, "turn-test-secret", 16, split, 2, out) == 0 &&
	    crypto_base64_encode(out, 20, b64, sizeof(b64)) == 28 &&
	    strcmp(b64, "yPlE/dEM42nx7DAbLdBChBwv7Iw=") == 0,
	    "HMAC over two segments is the same");
	ok(crypto_hmac(CRYPTO_MD_SHA256, "key", 3, &fox, 1, out) == 0 &&
	    hex_is(out, 32, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"),
	    "HMAC-SHA256 (Wikipedia vector)");
	ok(crypto_hmac(CRYPTO_MD_SHA1, "key", 3, &fox, 1, out) == 0 &&
	    hex_is(out, 20, "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"),
	    "HMAC-SHA1 (Wikipedia vector)");
	ok(crypto_hmac(CRYPTO_MD_SHA1, NULL, 0, NULL, 0, out) == 0 &&
	    hex_is(out, 20, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"),
	    "HMAC-SHA1 with empty key and message");
}

static void
test_crc(void)
{
	is_int(crypto_crc32(0, "123456789", 9), 0xcbf43926, "CRC-32 check value");
	is_int(crypto_crc32(crypto_crc32(0, "1234", 4), "56789", 5), 0xcbf43926,
	    "CRC-32 chains");
	is_int(crypto_crc32(0, "", 0), 0, "CRC-32 of nothing");
}

static void
test_base64(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = {
		"Zg=", "Zg", "Zm9", "Z===", "====", "Zg==Zg==", "Zm9v\n",
		"Zh==", "Zm9=", "Zm 9", "Zm-v", "Zm_v", "=m9v", "Zm=v",
		"\xc3\xa9\xc3\xa9",
	};
	char enc[32];
	uint8_t dec[32];
	size_t i;
	long n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = crypto_base64_encode(v[i].in, strlen(v[i].in), enc, sizeof(enc));
		ok(n == (long)strlen(v[i].out) && strcmp(enc, v[i].out) == 0,
		    "encode \"%s\"", v[i].in);
		n = crypto_base64_decode(v[i].out, strlen(v[i].out), dec, sizeof(dec));
		ok(n == (long)strlen(v[i].in) && memcmp(dec, v[i].in, (size_t)n) == 0,
		    "decode \"%s\"", v[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(crypto_base64_decode(bad[i], strlen(bad[i]), dec,
		    sizeof(dec)), -1, "strict decode refuses bad input %zu", i);
	is_int(crypto_base64_encode("foo", 3, enc, 4), -1, "encode needs room for NUL");
	is_int(crypto_base64_encode("foo", 3, enc, 5), 4, "encode exact room");
	is_int(crypto_base64_decode("Zm9vYmFy", 8, dec, 5), -1, "decode cap");
	is_int(crypto_base64_decode("Zm9vYmFy", 8, dec, 6), 6, "decode exact cap");
}

static void
test_misc(void)
{
	uint8_t a[32], b[32];
	char s[8] = "secret";

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ok(crypto_random(a, sizeof(a)) == 0 && crypto_random(b, sizeof(b)) == 0,
	    "random bytes");
	ok(!crypto_equal(a, b, sizeof(a)), "two random draws differ");
	memcpy(b, a, sizeof(a));
	ok(crypto_equal(a, b, sizeof(a)), "equal buffers compare equal");
	b[31] ^= 1;
	ok(!crypto_equal(a, b, sizeof(a)), "last byte differs");
	crypto_wipe(s, sizeof(s));
	ok(memcmp(s, "\0\0\0\0\0\0\0\0", 8) == 0, "wipe zeroes");
	crypto_wipe(NULL, 0);
}

int
main(void)
{
	is_int(crypto_init(), 0, "crypto_init");
	test_digests();
	test_hmac();
	test_crc();
	test_base64();
	test_misc();
	crypto_shutdown();
	return tap_done();
}
