/* SPDX-License-Identifier: ISC */
/*
 * crypto: thin wrappers around libcrypto, plus the two pure helpers that
 * need no library (CRC-32, base64). This is the only file that includes
 * OpenSSL's libcrypto headers.
 *
 * The digests are fetched once (pthread_once, at crypto_init() or the
 * first call) and freed by crypto_shutdown(), so that no call fetches an
 * algorithm by name.
 *
 * HMAC (RFC 2104) is computed here over EVP digest contexts: keyed, it
 * is two contexts (after the key's inner and outer pad blocks), and a
 * MAC starts from copies of them (EVP_MD_CTX_copy_ex). crypto_hmac()
 * feeds the pads afresh at every call; crypto_hmac_fixed() keeps the
 * keyed contexts per thread. Every thread also keeps two working
 * contexts, started again (EVP_DigestInit_ex2) or copied into for each
 * digest, so that no call creates a context. Thread safety: the
 * contexts live in the thread's struct crypto_tls, reached only through
 * the _Thread_local pointer crypto_tls; no other thread ever gets that
 * pointer (pthread_setspecific only registers it for the destructor
 * that frees it when the thread ends), so they are never shared and
 * need no lock. tests/unit/test_crypto.c checks both against OpenSSL's
 * HMAC(), with four threads at once.
 *
 * Cost: OpenSSL 3.0 frees and allocates the provider's digest state at
 * every EVP_DigestInit_ex2() and EVP_MD_CTX_copy_ex(), about 300
 * instructions each, and an HMAC takes two. scripts/nonce-cost counted,
 * per request, a garbage NONCE at 12,507 instructions and a valid
 * credential at 19,980, against 11,394 and 17,565 when HMAC ran on the
 * deprecated SHA1_Init()/SHA256_Init() states copied by assignment
 * (+10 % and +14 %; a Binding, without HMAC, 1,577 either way): close
 * enough to stay on the supported interface.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CRC_CLMUL	1	/* the carry-less multiply path, if the CPU has it */
#endif

#include "util/crypto.h"

#define CRYPTO_NMD	2	/* enum crypto_md */
#define CRYPTO_BLOCK	64	/* SHA-1's and SHA-256's block size */

/* HMAC under one key (RFC 2104 §2): the contexts after the key's inner
 * and outer pad blocks, and the key to tell whether the next one is the
 * same. */
struct crypto_keyed {
	EVP_MD_CTX *in, *out;
	uint8_t key[CRYPTO_FIXED_KEY_MAX];
	size_t len;
	bool set;
};

/* One thread's contexts: the working ones, work for every digest of
 * the thread and the inner one of an HMAC, outer for the HMAC's outer
 * digest; and the kept keys (crypto_hmac_fixed), by enum crypto_md. */
struct crypto_tls {
	EVP_MD_CTX *work, *outer;
	struct crypto_keyed fixed[CRYPTO_NMD];
};

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static EVP_MD *crypto_md_sha1;
static EVP_MD *crypto_md_sha256;
static EVP_MD *crypto_md_md5;
static int crypto_ok;
static pthread_key_t crypto_tls_key;
static _Thread_local struct crypto_tls *crypto_tls;

static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static uint32_t crc_table[8][256];
static bool crc_clmul;	/* the CPU has PCLMULQDQ and SSE4.1 */

/* The destructor of crypto_tls_key: the thread's contexts, at its end.
 * Freeing a context wipes its state (the providers' freectx clears it),
 * so the keyed pads go with it. */
static void
crypto_tls_free(void *p)
{
	struct crypto_tls *t = p;
	size_t i;

	if (t == NULL)
		return;
	EVP_MD_CTX_free(t->work);
	EVP_MD_CTX_free(t->outer);
	for (i = 0; i < CRYPTO_NMD; i++) {
		EVP_MD_CTX_free(t->fixed[i].in);
		EVP_MD_CTX_free(t->fixed[i].out);
	}
	crypto_wipe(t, sizeof(*t));
	free(t);
	if (crypto_tls == t)
		crypto_tls = NULL;
}

static void
crypto_fetch(void)
{
	crypto_md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	crypto_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	/* MD5 is needed for RFC 8489 §9.2.2 long-term keys; it lives in the
	 * default provider, so no FIPS-only configuration is supported. */
	crypto_md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	crypto_ok = crypto_md_sha1 && crypto_md_sha256 && crypto_md_md5 &&
	    pthread_key_create(&crypto_tls_key, crypto_tls_free) == 0;
}

static int
crypto_ready(void)
{
	if (pthread_once(&crypto_once, crypto_fetch) != 0)
		return 0;
	return crypto_ok;
}

int
crypto_init(void)
{
	return crypto_ready() ? 0 : -1;
}

void
crypto_shutdown(void)
{
	/* the calling thread's contexts; the other threads' went with them
	 * (a context holds its own reference to the digest it runs) */
	if (crypto_tls != NULL) {
		(void)pthread_setspecific(crypto_tls_key, NULL);
		crypto_tls_free(crypto_tls);
	}
	EVP_MD_free(crypto_md_sha1);
	EVP_MD_free(crypto_md_sha256);
	EVP_MD_free(crypto_md_md5);
	crypto_md_sha1 = crypto_md_sha256 = crypto_md_md5 = NULL;
	crypto_ok = 0;
}

/* This thread's contexts, made on its first call; NULL if out of memory
 * or the digests could not be fetched. */
static struct crypto_tls *
crypto_tls_get(void)
{
	struct crypto_tls *t = crypto_tls;
	size_t i;

	if (t != NULL || !crypto_ready())
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->work = EVP_MD_CTX_new()) == NULL ||
	    (t->outer = EVP_MD_CTX_new()) == NULL)
		goto fail;
	for (i = 0; i < CRYPTO_NMD; i++)
		if ((t->fixed[i].in = EVP_MD_CTX_new()) == NULL ||
		    (t->fixed[i].out = EVP_MD_CTX_new()) == NULL)
			goto fail;
	if (pthread_setspecific(crypto_tls_key, t) != 0)
		goto fail;
	crypto_tls = t;
	return t;
fail:
	crypto_tls_free(t);
	return NULL;
}

/* ctx started afresh on md (or, if md is NULL, continued where it is),
 * fed the segments, and its digest in out, which holds want bytes. 0 or
 * -1. */
static int
crypto_digest_ctx(EVP_MD_CTX *ctx, const EVP_MD *md,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *out,
    unsigned int want)
{
	unsigned int outlen = 0;
	size_t i;

	if (md != NULL && !EVP_DigestInit_ex2(ctx, md, NULL))
		return -1;
	for (i = 0; i < nsegs; i++)
		if (segs[i].len > 0 &&
		    !EVP_DigestUpdate(ctx, segs[i].p, segs[i].len))
			return -1;
	if (!EVP_DigestFinal_ex(ctx, out, &outlen) || outlen != want)
		return -1;
	return 0;
}

static const EVP_MD *
crypto_evp(enum crypto_md md)
{
	return md == CRYPTO_MD_SHA256 ? crypto_md_sha256 : crypto_md_sha1;
}

static unsigned int
crypto_md_len(enum crypto_md md)
{
	return md == CRYPTO_MD_SHA256 ? CRYPTO_SHA256_LEN : CRYPTO_SHA1_LEN;
}

/* The key as one block (RFC 2104 §2: a key longer than a block is hashed
 * first, in work, a shorter one padded with zeros). 0 or -1. */
static int
crypto_key_block(EVP_MD_CTX *work, enum crypto_md md, const void *key,
    size_t keylen, uint8_t block[CRYPTO_BLOCK])
{
	struct crypto_seg s = { key, keylen };

	memset(block, 0, CRYPTO_BLOCK);
	if (keylen > CRYPTO_BLOCK)
		return crypto_digest_ctx(work, crypto_evp(md), &s, 1, block,
		    crypto_md_len(md));
	if (keylen > 0)
		memcpy(block, key, keylen);
	return 0;
}

/* block xor'ed with x in place, and ctx started on md with it: the inner
 * pad (x 0x36), then the outer (x 0x36 ^ 0x5c). 0 or -1. */
static int
crypto_pad_start(EVP_MD_CTX *ctx, enum crypto_md md,
    uint8_t block[CRYPTO_BLOCK], uint8_t x)
{
	size_t i;

	for (i = 0; i < CRYPTO_BLOCK; i++)
		block[i] ^= x;
	if (!EVP_DigestInit_ex2(ctx, crypto_evp(md), NULL) ||
	    !EVP_DigestUpdate(ctx, block, CRYPTO_BLOCK))
		return -1;
	return 0;
}

/* The HMAC of the segments, from in and out started with the key's
 * inner and outer pads: the inner digest of the segments, then the outer
 * digest of that. 0 or -1. */
static int
crypto_hmac_run(EVP_MD_CTX *in, EVP_MD_CTX *out, enum crypto_md md,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *mac)
{
	uint8_t inner[CRYPTO_SHA256_LEN];
	struct crypto_seg s = { inner, crypto_md_len(md) };
	int rc;

	rc = crypto_digest_ctx(in, NULL, segs, nsegs, inner, s.len);
	if (rc == 0)
		rc = crypto_digest_ctx(out, NULL, &s, 1, mac, s.len);
	crypto_wipe(inner, sizeof(inner));
	return rc;
}

int
crypto_hmac(enum crypto_md md, const void *key, size_t keylen,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *out)
{
	struct crypto_tls *t;
	uint8_t block[CRYPTO_BLOCK];
	int rc = -1;

	if ((unsigned)md >= CRYPTO_NMD || (t = crypto_tls_get()) == NULL)
		return -1;
	if (key == NULL)
		keylen = 0;	/* no key: the empty key, as it always was */
	/* keyed every call: the key is never compared with the last one,
	 * so the time taken says nothing about the previous caller's key */
	if (crypto_key_block(t->work, md, key, keylen, block) == 0 &&
	    crypto_pad_start(t->work, md, block, 0x36) == 0 &&
	    crypto_pad_start(t->outer, md, block, 0x36 ^ 0x5c) == 0)
		rc = crypto_hmac_run(t->work, t->outer, md, segs, nsegs, out);
	crypto_wipe(block, sizeof(block));
	return rc;
}

/* k keyed with key: its inner and outer pad contexts. 0 or -1. */
static int
crypto_keyed_init(struct crypto_tls *t, struct crypto_keyed *k,
    enum crypto_md md, const void *key, size_t keylen)
{
	uint8_t block[CRYPTO_BLOCK];
	int rc = -1;

	k->set = false;
	crypto_wipe(k->key, sizeof(k->key));
	if (crypto_key_block(t->work, md, key, keylen, block) != 0 ||
	    crypto_pad_start(k->in, md, block, 0x36) != 0 ||
	    crypto_pad_start(k->out, md, block, 0x36 ^ 0x5c) != 0)
		goto out;
	if (keylen > 0)
		memcpy(k->key, key, keylen);
	k->len = keylen;
	k->set = true;
	rc = 0;
out:
	crypto_wipe(block, sizeof(block));
	return rc;
}

int
crypto_hmac_fixed(enum crypto_md md, const void *key, size_t keylen,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *out)
{
	struct crypto_tls *t;
	struct crypto_keyed *k;

	if (keylen > CRYPTO_FIXED_KEY_MAX || (key == NULL && keylen > 0))
		return -1;
	if ((unsigned)md >= CRYPTO_NMD || (t = crypto_tls_get()) == NULL)
		return -1;
	k = &t->fixed[md];
	if ((!k->set || k->len != keylen ||
	    !crypto_equal(k->key, key != NULL ? key : "", keylen)) &&
	    crypto_keyed_init(t, k, md, key, keylen) != 0)
		return -1;
	if (!EVP_MD_CTX_copy_ex(t->work, k->in) ||
	    !EVP_MD_CTX_copy_ex(t->outer, k->out))
		return -1;
	return crypto_hmac_run(t->work, t->outer, md, segs, nsegs, out);
}

int
crypto_md5(const struct crypto_seg *segs, size_t nsegs,
    uint8_t out[CRYPTO_MD5_LEN])
{
	struct crypto_tls *t;

	if ((t = crypto_tls_get()) == NULL)
		return -1;
	return crypto_digest_ctx(t->work, crypto_md_md5, segs, nsegs, out,
	    CRYPTO_MD5_LEN);
}

int
crypto_sha256(const struct crypto_seg *segs, size_t nsegs,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_tls *t;

	if ((t = crypto_tls_get()) == NULL)
		return -1;
	return crypto_digest_ctx(t->work, crypto_md_sha256, segs, nsegs, out,
	    CRYPTO_SHA256_LEN);
}

/*
 * Reflected CRC-32, polynomial 0xEDB88320 (ISO-HDLC; RFC 8489 §14.7).
 * Two ways, which tests/unit/test_crypto.c checks against a bit-at-a-time
 * CRC for every length 0..2048 at every alignment:
 *  - eight bytes a step ("slicing-by-8"): crc_table[0] is the classic
 *    byte-at-a-time table, and crc_table[k][b] is the CRC of byte b
 *    followed by k zero bytes, so that the eight lookups of a step add up
 *    to the eight byte steps they replace;
 *  - on x86-64 CPUs with PCLMULQDQ, 16 bytes a step by carry-less
 *    multiplication (crc_clmul_fold), which reads no table: 8 KiB of
 *    tables, cold in a worker between two packets, cost more than the
 *    arithmetic over a STUN message.
 */
static void
crc_table_build(void)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
			    crc_table[0][crc_table[k - 1][i] & 0xFF];
#ifdef CRC_CLMUL
	crc_clmul = __builtin_cpu_supports("pclmul") &&
	    __builtin_cpu_supports("sse4.1");
#endif
}

#ifdef CRC_CLMUL
/* x folded over 16 bytes (its halves times the constants k) onto next. */
__attribute__((target("pclmul,sse4.1"))) static inline __m128i
crc_clmul_fold128(__m128i x, __m128i k, __m128i next)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
	__m128i hi = _mm_clmulepi64_si128(x, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

/* x folded over 16 bytes (x's halves times the constants k), plus the
 * next 16 bytes at p. */
__attribute__((target("pclmul,sse4.1"))) static inline __m128i
crc_clmul_step(__m128i x, __m128i k, const uint8_t *p)
{
	return crc_clmul_fold128(x, k,
	    _mm_loadu_si128((const __m128i *)(const void *)p));
}

/*
 * The CRC register (inverted, as crypto_crc32 keeps it) after len bytes,
 * len at least 64 and a multiple of 16: four 16-byte lanes folded 64
 * bytes at a time, folded into one, 16 bytes at a time, then reduced to
 * 32 bits (Barrett). The method and its constants, x^(k) mod P in the
 * bit-reflected domain, are those of V. Gopal, E. Ozturk et al., "Fast
 * CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
 * (Intel, 2009), for this polynomial.
 */
__attribute__((target("pclmul,sse4.1"))) static uint32_t
crc_clmul_fold(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
	const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
	const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
	__m128i x1, x2, x3, x4, y;

	x1 = _mm_loadu_si128((const __m128i *)(const void *)p);
	x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
	x4 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
	x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
	for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
		x1 = crc_clmul_step(x1, k1k2, p);
		x2 = crc_clmul_step(x2, k1k2, p + 16);
		x3 = crc_clmul_step(x3, k1k2, p + 32);
		x4 = crc_clmul_step(x4, k1k2, p + 48);
	}
	x1 = crc_clmul_fold128(x1, k3k4, x2);
	x1 = crc_clmul_fold128(x1, k3k4, x3);
	x1 = crc_clmul_fold128(x1, k3k4, x4);
	for (; len >= 16; p += 16, len -= 16)
		x1 = crc_clmul_step(x1, k3k4, p);
	/* 128 bits to 64 */
	y = _mm_clmulepi64_si128(x1, k3k4, 0x10);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), y);
	y = _mm_srli_si128(x1, 4);
	x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00);
	x1 = _mm_xor_si128(x1, y);
	/* Barrett reduction to 32 bits */
	y = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), poly, 0x10);
	y = _mm_clmulepi64_si128(_mm_and_si128(y, low32), poly, 0x00);
	x1 = _mm_xor_si128(x1, y);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

/* Four bytes as a little-endian word, whatever the host's order. */
static uint32_t
crc_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint32_t
crypto_crc32(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *q = p;
	uint32_t a, b;
	size_t n;

	(void)pthread_once(&crc_once, crc_table_build);
	crc = ~crc;
#ifdef CRC_CLMUL
	if (crc_clmul && len >= 64) {
		n = len & ~(size_t)15;
		crc = crc_clmul_fold(crc, q, n);
		q += n;
		len -= n;
	}
#else
	(void)n;
#endif
	for (; len >= 8; q += 8, len -= 8) {
		a = crc ^ crc_le32(q);
		b = crc_le32(q + 4);
		crc = crc_table[7][a & 0xFF] ^ crc_table[6][(a >> 8) & 0xFF] ^
		    crc_table[5][(a >> 16) & 0xFF] ^ crc_table[4][a >> 24] ^
		    crc_table[3][b & 0xFF] ^ crc_table[2][(b >> 8) & 0xFF] ^
		    crc_table[1][(b >> 16) & 0xFF] ^ crc_table[0][b >> 24];
	}
	for (; len > 0; q++, len--)
		crc = crc_table[0][(crc ^ *q) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

int
crypto_random(void *p, size_t len)
{
	uint8_t *q = p;
	size_t n;

	while (len > 0) {
		n = len > INT_MAX ? INT_MAX : len;
		if (RAND_bytes(q, (int)n) != 1)
			return -1;
		q += n;
		len -= n;
	}
	return 0;
}

bool
crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long
crypto_base64_encode(const void *in, size_t len, char *out, size_t cap)
{
	const uint8_t *p = in;
	size_t i, o = 0, need;
	uint32_t v;

	if (len > (SIZE_MAX / 4 - 1) / 4 * 3)
		return -1;
	need = (len + 2) / 3 * 4 + 1;
	if (cap < need || need - 1 > LONG_MAX)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = b64_alphabet[(v >> 6) & 63];
		else
			out[o++] = '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

/* The value of every byte as a base64 character, -1 for the bytes that
 * are not one: one load a character, where a chain of range tests
 * mispredicts on random input (a made-up NONCE, auth_nonce.c). */
static int8_t b64_values[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_values_build(void)
{
	size_t i;

	memset(b64_values, -1, sizeof(b64_values));
	for (i = 0; i < 64; i++)
		b64_values[(unsigned char)b64_alphabet[i]] = (int8_t)i;
}

/* Value of a base64 character, or -1. Indexes by unsigned char only. */
static int
b64_value(unsigned char c)
{
	return b64_values[c];
}

/*
 * Strict decoding: length a multiple of 4, only alphabet characters, at most
 * two '=' and only at the very end, and the unused low bits of the last
 * character zero, so every byte string has exactly one accepted encoding.
 */
long
crypto_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t i, k, o = 0, pad = 0, outlen;
	int d[4];
	uint32_t v;

	if (len % 4 != 0 || len / 4 * 3 > LONG_MAX)
		return -1;
	(void)pthread_once(&b64_once, b64_values_build);
	if (len > 0 && in[len - 1] == '=')
		pad = (len > 1 && in[len - 2] == '=') ? 2 : 1;
	outlen = len / 4 * 3 - pad;
	if (outlen > cap)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + k >= len - pad)
				d[k] = 0;
			else if ((d[k] = b64_value((unsigned char)in[i + k])) < 0)
				return -1;
		}
		v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 |
		    (uint32_t)d[2] << 6 | (uint32_t)d[3];
		if (i + 4 == len && ((pad == 1 && (v & 0xFF) != 0) ||
		    (pad == 2 && (v & 0xFFFF) != 0)))
			return -1;	/* non-canonical trailing bits */
		out[o++] = (uint8_t)(v >> 16);
		if (o < outlen)
			out[o++] = (uint8_t)(v >> 8);
		if (o < outlen)
			out[o++] = (uint8_t)v;
	}
	return (long)o;
}
