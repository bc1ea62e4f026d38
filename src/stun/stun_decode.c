/* SPDX-License-Identifier: ISC */
/*
 * stun_decode: the receive checks of RFC 8489 §6.3 and the attribute walk.
 *
 * What is a decode error (the message is silently discarded, §6.3) and what
 * is left to the typed decoders (the request is answered with 400 by the
 * engine, or the integrity check fails):
 *  - decode errors: short header, top bits, length (multiple of 4, equal to
 *    the bytes received, §5), an attribute header or value running past the
 *    end (§14), FINGERPRINT not 4 bytes, not last, or wrong (§14.7, §7), a
 *    class the method never uses (§6.3 "class allowed for the method"), more
 *    distinct attribute types than STUN_MAX_ATTRS;
 *  - typed errors: wrong value lengths of every other attribute, including
 *    MESSAGE-INTEGRITY (not 20) and MESSAGE-INTEGRITY-SHA256 (not 16..32 in
 *    steps of 4, or truncated): stun_check_integrity*() returns 0 for them,
 *    so the long-term mechanism answers 401 (§9.2.4) instead of hiding a
 *    client bug behind a silent drop.
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/stun_int.h"
#include "util/buf.h"
#include "util/crypto.h"

uint16_t
stun_type(uint16_t method, enum stun_class cls)
{
	unsigned c = (unsigned)cls;

	/* §5: M11..M7 C1 M6..M4 C0 M3..M0 */
	return (uint16_t)(((method & 0xF80u) << 2) | ((method & 0x070u) << 1) |
	    (method & 0x00Fu) | ((c & 2u) << 7) | ((c & 1u) << 4));
}

uint16_t
stun_type_method(uint16_t type)
{
	return (uint16_t)(((type & 0x3E00u) >> 2) | ((type & 0x00E0u) >> 1) |
	    (type & 0x000Fu));
}

enum stun_class
stun_type_class(uint16_t type)
{
	return (enum stun_class)(((type & 0x0100u) >> 7) |
	    ((type & 0x0010u) >> 4));
}

/*
 * Classes a method may use. Send, Data and ConnectionAttempt exist only as
 * indications (RFC 8656 §11, RFC 6062 §5.3); the other TURN methods never
 * as indications (RFC 8656 §17). Binding and unknown methods: any class.
 */
static bool
stun_class_allowed(uint16_t method, enum stun_class cls)
{
	switch (method) {
	case STUN_SEND:
	case STUN_DATA:
	case STUN_CONNECTION_ATTEMPT:
		return cls == STUN_INDICATION;
	case STUN_ALLOCATE:
	case STUN_REFRESH:
	case STUN_CREATE_PERMISSION:
	case STUN_CHANNEL_BIND:
	case STUN_CONNECT:
	case STUN_CONNECTION_BIND:
		return cls != STUN_INDICATION;
	default:
		return true;
	}
}

/* Indexes one attribute: first occurrence wins (§14). */
static int
stun_index(struct stun_msg *m, uint16_t type, uint16_t len, const uint8_t *val)
{
	unsigned i;

	for (i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return 0;
	if (m->nattrs == STUN_MAX_ATTRS)
		return STUN_E_TOO_MANY_ATTRS;
	m->attrs[m->nattrs].type = type;
	m->attrs[m->nattrs].len = len;
	m->attrs[m->nattrs].val = val;
	m->nattrs++;
	/* §6.3.1, §14: comprehension-required types we do not know. */
	if (type < 0x8000 && !stun_attr_is_known(type) &&
	    m->nunknown < STUN_MAX_UNKNOWN)
		m->unknown[m->nunknown++] = type;
	return 0;
}

/* FINGERPRINT at off: 4 bytes, last, CRC-32 of everything before ^ 0x5354554E. */
static int
stun_check_fingerprint(const struct stun_msg *m, size_t off, uint16_t vlen)
{
	uint32_t want;

	if (vlen != 4 || off + 8 != m->raw_len)
		return STUN_E_FINGERPRINT;
	want = crypto_crc32(0, m->raw, off) ^ STUN_FINGERPRINT_XOR;
	if (buf_get_u32(m->raw + off + 4) != want)
		return STUN_E_FINGERPRINT;
	return 0;
}

static int
stun_walk(struct stun_msg *m)
{
	struct buf b;
	const uint8_t *val;
	size_t off;
	uint16_t type, vlen;
	bool after_mi = false, after_mi256 = false;
	int rc;

	buf_init(&b, m->raw, m->raw_len);
	buf_skip(&b, STUN_HEADER_LEN);
	while (buf_left(&b) > 0) {
		off = b.off;
		type = buf_u16(&b);
		vlen = buf_u16(&b);
		/* padded value length, in size_t: cannot overflow (§14) */
		val = buf_take(&b, ((size_t)vlen + 3) & ~(size_t)3);
		if (b.err)
			return STUN_E_ATTR_OVERRUN;
		if (type == STUN_ATTR_FINGERPRINT) {
			if ((rc = stun_check_fingerprint(m, off, vlen)) != 0)
				return rc;
			m->fp_off = off;
			break;
		}
		/* §9: after MI only MI-SHA256 and FINGERPRINT count;
		 * after MI-SHA256 only FINGERPRINT. */
		if (after_mi256 ||
		    (after_mi && type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256))
			continue;
		if ((rc = stun_index(m, type, vlen, val)) != 0)
			return rc;
		if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
			m->mi_off = off;
			after_mi = true;
		} else if (type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
			m->mi256_off = off;
			after_mi256 = true;
		}
	}
	return STUN_OK;
}

int
stun_decode(struct stun_msg *m, const uint8_t *p, size_t len)
{
	size_t mlen;

	memset(m, 0, sizeof(*m));
	if (p == NULL || len < STUN_HEADER_LEN)
		return STUN_E_SHORT;
	/* §5: the two most significant bits are zero. */
	if ((p[0] & 0xC0) != 0)
		return STUN_E_TOP_BITS;
	/* §5, §6.3: length is a multiple of 4 and matches what arrived. */
	mlen = buf_get_u16(p + 2);
	if (mlen % 4 != 0 || mlen + STUN_HEADER_LEN != len)
		return STUN_E_LENGTH;
	m->raw = p;
	m->raw_len = len;
	m->type = buf_get_u16(p);
	m->method = stun_type_method(m->type);
	m->cls = stun_type_class(m->type);
	/* §11: no magic cookie means an RFC 3489 peer whose 128-bit TID
	 * spans bytes 4..19; tid keeps the low 96 bits, raw keeps all. */
	m->rfc3489 = buf_get_u32(p + 4) != STUN_MAGIC_COOKIE;
	memcpy(m->tid, p + 8, STUN_TID_LEN);
	if (!stun_class_allowed(m->method, m->cls))
		return STUN_E_CLASS;
	return stun_walk(m);
}

const struct stun_attr *
stun_msg_attr(const struct stun_msg *m, uint16_t type)
{
	unsigned i;

	for (i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

/*
 * UDP ChannelData (RFC 8656 §12.4, §12.6): numbers outside 0x4000-0x4FFF
 * and datagrams shorter than 4 + length are discarded; trailing padding
 * (or anything after the data) is allowed on UDP and ignored.
 */
int
stun_channel_decode(struct stun_channel_data *cd, const uint8_t *p, size_t len)
{
	return stun_channel_decode_max(cd, p, len, STUN_CHANNEL_MAX);
}

int
stun_channel_decode_max(struct stun_channel_data *cd, const uint8_t *p,
    size_t len, uint16_t max)
{
	uint16_t ch, dlen;

	memset(cd, 0, sizeof(*cd));
	if (p == NULL || len < STUN_CHANNEL_HEADER_LEN)
		return -1;
	ch = buf_get_u16(p);
	dlen = buf_get_u16(p + 2);
	if (!stun_channel_in(ch, max) ||
	    len - STUN_CHANNEL_HEADER_LEN < (size_t)dlen)
		return -1;
	cd->channel = ch;
	cd->len = dlen;
	cd->data = p + STUN_CHANNEL_HEADER_LEN;
	return 0;
}
