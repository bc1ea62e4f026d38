/* SPDX-License-Identifier: ISC */
/*
 * stun_integrity: MESSAGE-INTEGRITY (§14.5), MESSAGE-INTEGRITY-SHA256
 * (§14.6) and FINGERPRINT (§14.7), for both directions.
 *
 * The MAC covers the message up to the attribute before the integrity
 * attribute, with the header length field set as if the integrity attribute
 * were the last one. On receipt the message is not copied: the HMAC runs
 * over three segments (patched 2-byte type+length copy, the rest of the
 * header, the attributes). MACs are compared in constant time over their
 * full length (docs/security.md, Attack catalogue: timing attacks); no
 * truncation is accepted (§14.5, §14.6).
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/stun_int.h"
#include "util/buf.h"
#include "util/crypto.h"

/* HMAC over raw[0..off) with the length field patched to end after an
 * attribute of maclen bytes at off. */
static int
stun_integrity_mac(enum crypto_md md, const uint8_t *raw, size_t off,
    size_t maclen, const void *key, size_t keylen, uint8_t *out)
{
	struct crypto_seg segs[3];
	uint8_t head[4];

	head[0] = raw[0];
	head[1] = raw[1];
	buf_put_u16(head + 2, (uint16_t)(off - STUN_HEADER_LEN + 4 + maclen));
	segs[0].p = head;
	segs[0].len = sizeof(head);
	segs[1].p = raw + 4;
	segs[1].len = STUN_HEADER_LEN - 4;
	segs[2].p = raw + STUN_HEADER_LEN;
	segs[2].len = off - STUN_HEADER_LEN;
	return crypto_hmac(md, key, keylen, segs, 3, out);
}

static int
stun_integrity_check(const struct stun_msg *m, size_t off, enum crypto_md md,
    size_t maclen, const void *key, size_t keylen)
{
	uint8_t mac[CRYPTO_SHA256_LEN];
	uint16_t vlen;
	int ok;

	if (off == 0)
		return -1;
	/* the full MAC length only: anything else is invalid (§14.5, §14.6) */
	vlen = buf_get_u16(m->raw + off + 2);
	if (vlen != maclen)
		return 0;
	if (stun_integrity_mac(md, m->raw, off, maclen, key, keylen, mac) != 0)
		return 0;
	ok = crypto_equal(mac, m->raw + off + 4, maclen);
	crypto_wipe(mac, sizeof(mac));
	return ok ? 1 : 0;
}

int
stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen)
{
	return stun_integrity_check(m, m->mi_off, CRYPTO_MD_SHA1,
	    CRYPTO_SHA1_LEN, key, keylen);
}

int
stun_check_integrity_sha256(const struct stun_msg *m, const void *key,
    size_t keylen)
{
	return stun_integrity_check(m, m->mi256_off, CRYPTO_MD_SHA256,
	    CRYPTO_SHA256_LEN, key, keylen);
}

static void
stun_add_mac(struct stun_builder *b, uint16_t type, enum crypto_md md,
    size_t maclen, const void *key, size_t keylen)
{
	size_t off = b->len;
	uint8_t *p;

	if ((p = stun_builder_reserve(b, type, maclen)) == NULL)
		return;
	/* the reserve already set the length to end at this attribute */
	if (stun_integrity_mac(md, b->buf, off, maclen, key, keylen, p) != 0)
		b->err = true;
}

void
stun_add_integrity(struct stun_builder *b, const void *key, size_t keylen)
{
	stun_add_mac(b, STUN_ATTR_MESSAGE_INTEGRITY, CRYPTO_MD_SHA1,
	    CRYPTO_SHA1_LEN, key, keylen);
}

void
stun_add_integrity_sha256(struct stun_builder *b, const void *key,
    size_t keylen)
{
	stun_add_mac(b, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, CRYPTO_MD_SHA256,
	    CRYPTO_SHA256_LEN, key, keylen);
}

/* §14.7: CRC-32 of everything before it, length already covering it. */
void
stun_add_fingerprint(struct stun_builder *b)
{
	size_t off = b->len;
	uint8_t *p;

	if ((p = stun_builder_reserve(b, STUN_ATTR_FINGERPRINT, 4)) == NULL)
		return;
	buf_put_u32(p, crypto_crc32(0, b->buf, off) ^ STUN_FINGERPRINT_XOR);
}
