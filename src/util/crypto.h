/* SPDX-License-Identifier: ISC */
/*
 * crypto: the one module that includes libcrypto.
 *
 * HMAC-SHA1 (MESSAGE-INTEGRITY, RFC 8489 §14.5; REST passwords),
 * HMAC-SHA256 (MESSAGE-INTEGRITY-SHA256 §14.6; nonces), MD5 and SHA-256
 * (long-term keys §9.2.2, USERHASH §14.4), CRC-32 (FINGERPRINT §14.7),
 * random bytes, constant-time comparison, wiping, base64.
 *
 * All functions are thread-safe and allocate nothing the caller must free.
 * Each thread keeps its own digest contexts (made on its first call,
 * wiped and freed when it ends or calls crypto_shutdown), never shared
 * with another thread: one the digests and HMACs run in, and
 * crypto_hmac_fixed()'s keyed HMAC.
 * Inputs are given as a list of segments so that integrity can be computed
 * over a header whose length field is patched, without copying the message.
 */
#ifndef TERN_UTIL_CRYPTO_H
#define TERN_UTIL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA1_LEN		20
#define CRYPTO_SHA256_LEN	32
#define CRYPTO_MD5_LEN		16

struct crypto_seg {
	const void *p;
	size_t len;
};

enum crypto_md {
	CRYPTO_MD_SHA1,
	CRYPTO_MD_SHA256,
};

/* Once at start-up, before threads: fetches the algorithms. 0 or -1. */
int crypto_init(void);
/* Once at the end: frees the calling thread's contexts and the
 * algorithms (another thread's contexts go when it ends, each holding
 * the algorithm it runs). */
void crypto_shutdown(void);

/* HMAC over the concatenated segments; out holds 20 or 32 bytes. 0 or -1.
 * Keyed afresh on every call: the time it takes does not depend on the
 * key of the call before (MESSAGE-INTEGRITY keys, REST secrets). */
int crypto_hmac(enum crypto_md md, const void *key, size_t keylen,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *out);

/*
 * The same HMAC, for a key that stays the same over many calls (the
 * nonce key, auth_nonce.c): each thread keeps the HMAC keyed with the
 * last such key it was given, per digest, and keys it again only when
 * the key differs (compared in constant time). A call with another key
 * costs one HMAC more than a call with the same, so the key must not be
 * one an attacker chooses among. keylen at most CRYPTO_FIXED_KEY_MAX.
 */
#define CRYPTO_FIXED_KEY_MAX	64
int crypto_hmac_fixed(enum crypto_md md, const void *key, size_t keylen,
    const struct crypto_seg *segs, size_t nsegs, uint8_t *out);

/* Plain digests over the concatenated segments. 0 or -1. */
int crypto_md5(const struct crypto_seg *segs, size_t nsegs,
    uint8_t out[CRYPTO_MD5_LEN]);
int crypto_sha256(const struct crypto_seg *segs, size_t nsegs,
    uint8_t out[CRYPTO_SHA256_LEN]);

/* CRC-32 (ISO-HDLC, as used by FINGERPRINT); crc starts at 0. Chained:
 * crypto_crc32(crypto_crc32(0, a, n), b, m) is the CRC of a then b. */
uint32_t crypto_crc32(uint32_t crc, const void *p, size_t len);

/* Cryptographically strong random bytes. 0 or -1. */
int crypto_random(void *p, size_t len);

/* Constant-time equality of two equal-length buffers (CRYPTO_memcmp). */
bool crypto_equal(const void *a, const void *b, size_t len);

/* Wipes memory in a way the compiler cannot elide (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t len);

/* Standard base64 with padding. Return the output length, or -1 if out is
 * too small (encode) or the input is not canonical base64 (decode). The
 * encoder NUL-terminates. */
long crypto_base64_encode(const void *in, size_t len, char *out, size_t cap);
long crypto_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
