/* SPDX-License-Identifier: ISC */
/*
 * Known-answer tests for util/crypto: RFC 8489 §9.2.2 and Appendix B.1,
 * and a TURN REST credential (secret "turn-test-secret", username
 * "1735689600:alice", realm "example.org"). The per-thread HMAC contexts
 * against OpenSSL's one-shot HMAC() (many keys and lengths, key changes,
 * four threads at once, each also taking MD5 and SHA-256 digests in the
 * same working context), and the CRC-32 (slicing-by-8, and carry-less
 * folding from 64 bytes on x86-64 CPUs that have PCLMULQDQ) against a
 * bit-at-a-time one for every length 0..2048 at every alignment.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/crypto.h"
#include "tap.h"

#define CRC_MAX		2048	/* lengths 0..CRC_MAX */
#define MSG_MAX		300	/* HMAC message lengths 0..MSG_MAX */
#define KEY_MAX		80	/* HMAC key lengths 0..KEY_MAX */
#define NTHREADS	4
#define THREAD_ROUNDS	3000

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

/* A fixed pseudo-random byte stream (xorshift), the same every run. */
static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* CRC-32 one bit at a time, straight from the polynomial: the oracle. */
static uint32_t
crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void
test_crc_slices(void)
{
	static uint8_t buf[CRC_MAX + 8];
	uint32_t want[CRC_MAX + 1];
	size_t align, len, bad = 0, badchain = 0, split;

	fill(buf, sizeof(buf), 0x5354554e);
	for (align = 0; align < 8; align++) {
		/* the oracle for every prefix, in one pass */
		want[0] = 0;
		for (len = 1; len <= CRC_MAX; len++)
			want[len] = crc_bitwise(want[len - 1],
			    buf + align + len - 1, 1);
		for (len = 0; len <= CRC_MAX; len++) {
			if (crypto_crc32(0, buf + align, len) != want[len] &&
			    bad++ == 0)
				diag("CRC differs: alignment %zu, length %zu",
				    align, len);
			split = len * 7 / 13;
			if (crypto_crc32(crypto_crc32(0, buf + align, split),
			    buf + align + split, len - split) != want[len])
				badchain++;
		}
	}
	is_int(bad, 0, "CRC-32 = bit-at-a-time CRC-32, every length 0..%d at "
	    "every alignment 0..7", CRC_MAX);
	is_int(badchain, 0, "... and chained at an odd split");
	is_int(crc_bitwise(0, (const uint8_t *)"123456789", 9), 0xcbf43926,
	    "the oracle has the check value");
}

/* OpenSSL's one-shot HMAC(), the oracle. */
static void
hmac_oracle(enum crypto_md md, const uint8_t *key, size_t klen,
    const uint8_t *msg, size_t mlen, uint8_t *out)
{
	unsigned int olen = 0;

	if (HMAC(md == CRYPTO_MD_SHA256 ? EVP_sha256() : EVP_sha1(), key,
	    (int)klen, msg, mlen, out, &olen) == NULL)
		memset(out, 0, 32);
}

/* The message in three segments (one empty), as the STUN code gives it. */
static int
hmac_segs(bool fixed, enum crypto_md md, const uint8_t *key, size_t klen,
    const uint8_t *msg, size_t mlen, uint8_t *out)
{
	struct crypto_seg s[3] = { { msg, mlen / 3 }, { msg, 0 },
		{ msg + mlen / 3, mlen - mlen / 3 } };

	return fixed ? crypto_hmac_fixed(md, key, klen, s, 3, out) :
	    crypto_hmac(md, key, klen, s, 3, out);
}

static void
test_hmac_reuse(void)
{
	static uint8_t msg[MSG_MAX], keys[2][KEY_MAX];
	uint8_t want[32], got[32], got2[32];
	size_t klen, mlen, n, bad = 0, badfix = 0, badswap = 0;
	int md;

	fill(msg, sizeof(msg), 7);
	fill(keys[0], sizeof(keys[0]), 11);
	fill(keys[1], sizeof(keys[1]), 13);
	for (md = 0; md < 2; md++)
		for (klen = 0; klen <= KEY_MAX; klen++)
			for (mlen = 0; mlen <= MSG_MAX; mlen += 1 + mlen / 8) {
				n = md == CRYPTO_MD_SHA256 ? 32 : 20;
				hmac_oracle(md, keys[mlen & 1], klen, msg,
				    mlen, want);
				if (hmac_segs(false, md, keys[mlen & 1], klen,
				    msg, mlen, got) != 0 ||
				    memcmp(got, want, n) != 0)
					bad++;
				if (klen > CRYPTO_FIXED_KEY_MAX)
					continue;
				/* the key changes every other call, and the
				 * same key twice must give the same MAC */
				if (hmac_segs(true, md, keys[mlen & 1], klen,
				    msg, mlen, got) != 0 ||
				    hmac_segs(true, md, keys[mlen & 1], klen,
				    msg, mlen, got2) != 0 ||
				    memcmp(got, want, n) != 0 ||
				    memcmp(got2, want, n) != 0)
					badfix++;
				/* the same bytes, one key length shorter: a
				 * prefix of the kept key is another key */
				if (klen > 0) {
					hmac_oracle(md, keys[mlen & 1],
					    klen - 1, msg, mlen, want);
					if (hmac_segs(true, md, keys[mlen & 1],
					    klen - 1, msg, mlen, got) != 0 ||
					    memcmp(got, want, n) != 0)
						badswap++;
				}
			}
	is_int(bad, 0, "crypto_hmac = one-shot HMAC, SHA-1 and SHA-256, "
	    "keys of 0..%d bytes, messages of 0..%d", KEY_MAX, MSG_MAX);
	is_int(badfix, 0, "crypto_hmac_fixed = one-shot HMAC, the key changing "
	    "every other call");
	is_int(badswap, 0, "... and a key that is a prefix of the kept one");
	is_int(crypto_hmac_fixed(CRYPTO_MD_SHA256, keys[0],
	    CRYPTO_FIXED_KEY_MAX + 1, NULL, 0, got), -1,
	    "crypto_hmac_fixed refuses a key over %d bytes",
	    CRYPTO_FIXED_KEY_MAX);
	is_int(crypto_hmac_fixed(CRYPTO_MD_SHA256, NULL, 3, NULL, 0, got), -1,
	    "... and a NULL key with a length");
}

struct hmac_job {
	int id;
	size_t bad;
	uint8_t want[2][3][32];	/* [md][key]: MACs of the message */
};

static uint8_t job_md5[CRYPTO_MD5_LEN], job_sha256[CRYPTO_SHA256_LEN];

static uint8_t job_keys[NTHREADS][3][32];
static uint8_t job_msg[120];

/* One thread: its own nonce-like key in crypto_hmac_fixed, with another
 * key now and then (a key change), crypto_hmac with all three, and now
 * and then a plain MD5 or SHA-256 (the thread's working context changes
 * digest), interleaved; every result compared with the oracle's. */
static void *
hmac_worker(void *arg)
{
	struct hmac_job *j = arg;
	struct crypto_seg all = { job_msg, sizeof(job_msg) };
	uint8_t got[32];
	size_t n;
	int r, md, k;

	for (r = 0; r < THREAD_ROUNDS; r++) {
		md = r & 1;
		n = md == CRYPTO_MD_SHA256 ? 32 : 20;
		k = r % 17 == 0 ? 1 : 0;
		if (hmac_segs(true, md, job_keys[j->id][k], 32, job_msg,
		    sizeof(job_msg), got) != 0 ||
		    memcmp(got, j->want[md][k], n) != 0)
			j->bad++;
		k = r % 3;
		if (hmac_segs(false, md, job_keys[j->id][k], 32, job_msg,
		    sizeof(job_msg), got) != 0 ||
		    memcmp(got, j->want[md][k], n) != 0)
			j->bad++;
		if (r % 5 == 0 && (crypto_md5(&all, 1, got) != 0 ||
		    memcmp(got, job_md5, sizeof(job_md5)) != 0))
			j->bad++;
		if (r % 7 == 0 && (crypto_sha256(&all, 1, got) != 0 ||
		    memcmp(got, job_sha256, sizeof(job_sha256)) != 0))
			j->bad++;
	}
	return NULL;
}

static void
test_hmac_threads(void)
{
	static struct hmac_job jobs[NTHREADS];
	pthread_t t[NTHREADS];
	size_t bad = 0;
	int i, md, k, started = 0;

	fill(job_msg, sizeof(job_msg), 17);
	if (EVP_Digest(job_msg, sizeof(job_msg), job_md5, NULL, EVP_md5(),
	    NULL) != 1 || EVP_Digest(job_msg, sizeof(job_msg), job_sha256,
	    NULL, EVP_sha256(), NULL) != 1)
		diag("the oracle's digests failed");
	for (i = 0; i < NTHREADS; i++) {
		jobs[i].id = i;
		for (k = 0; k < 3; k++) {
			fill(job_keys[i][k], 32, (uint32_t)(100 + i * 3 + k));
			for (md = 0; md < 2; md++)
				hmac_oracle(md, job_keys[i][k], 32, job_msg,
				    sizeof(job_msg), jobs[i].want[md][k]);
		}
	}
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, hmac_worker, &jobs[i]) == 0)
			started++;
		else
			break;
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += jobs[i].bad;
	}
	is_int(started, NTHREADS, "%d threads started", NTHREADS);
	is_int(bad, 0, "%d threads x %d rounds, each with its own kept key "
	    "and key changes: every MAC the one-shot one, every digest "
	    "EVP_Digest's", NTHREADS,
	    THREAD_ROUNDS);
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
	test_crc_slices();
	test_hmac_reuse();
	test_hmac_threads();
	test_base64();
	test_misc();
	crypto_shutdown();
	return tap_done();
}
