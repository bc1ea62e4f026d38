/* SPDX-License-Identifier: ISC */
/*
 * stun_attr: typed decoders for attribute values. Each checks the exact
 * value length its RFC section fixes and returns -1 on anything else, so
 * the engine can answer 400 for a malformed attribute in a request.
 * Reserved (RFFU) bits are ignored on receipt, as the RFCs ask.
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/stun_int.h"
#include "util/buf.h"

/*
 * Comprehension-required types tern understands. Everything else below
 * 0x8000 lands in the unknown list and earns a 420 (§6.3.1). Left out on
 * purpose: RESPONSE-ADDRESS (RFC 3489, a reflection vector: docs/security.md,
 * Attack catalogue: amplification), CHANGE-REQUEST, PADDING and
 * RESPONSE-PORT (RFC 5780 discovery mode is not served, and a server
 * without an alternate address answers 420 to them) and ACCESS-TOKEN
 * (RFC 7635 is not implemented; 420 tells the client so).
 */
bool
stun_attr_is_known(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_CHANNEL_NUMBER:
	case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS:
	case STUN_ATTR_DATA:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT:
	case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
	case STUN_ATTR_CONNECTION_ID:
		return true;
	default:
		/* comprehension-optional types are never "unknown" (§14) */
		return type >= 0x8000;
	}
}

/* The address body shared by MAPPED-ADDRESS and the XOR forms (§14.1). */
static int
stun_attr_addr_body(const struct stun_attr *a, const uint8_t mask[16],
    uint16_t pmask, struct addr *out)
{
	struct buf b;
	const uint8_t *ip;
	uint8_t fam;
	uint16_t port;
	size_t i, alen;

	memset(out, 0, sizeof(*out));
	buf_init(&b, a->val, a->len);
	(void)buf_u8(&b);	/* reserved; ignored on receipt */
	fam = buf_u8(&b);
	port = buf_u16(&b) ^ pmask;
	if (fam == 0x01 && a->len == 8)
		alen = 4;
	else if (fam == 0x02 && a->len == 20)
		alen = 16;
	else
		return -1;
	if ((ip = buf_take(&b, alen)) == NULL)
		return -1;
	if (alen == 4) {
		uint8_t *d = (uint8_t *)&out->u.sin.sin_addr;
		for (i = 0; i < 4; i++)
			d[i] = ip[i] ^ mask[i];
		out->u.sin.sin_family = AF_INET;
		out->u.sin.sin_port = htons(port);
	} else {
		uint8_t *d = out->u.sin6.sin6_addr.s6_addr;
		for (i = 0; i < 16; i++)
			d[i] = ip[i] ^ mask[i];
		out->u.sin6.sin6_family = AF_INET6;
		out->u.sin6.sin6_port = htons(port);
	}
	return 0;
}

/* §14.2: port ^ top 16 bits of the cookie, address ^ cookie (|| TID). */
int
stun_attr_xor_addr(const struct stun_attr *a, const uint8_t tid[STUN_TID_LEN],
    struct addr *out)
{
	uint8_t mask[16];

	if (a == NULL)
		return -1;
	buf_put_u32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, tid, STUN_TID_LEN);
	return stun_attr_addr_body(a, mask, STUN_MAGIC_COOKIE >> 16, out);
}

int
stun_attr_addr(const struct stun_attr *a, struct addr *out)
{
	static const uint8_t zero[16];

	if (a == NULL)
		return -1;
	return stun_attr_addr_body(a, zero, 0, out);
}

/* LIFETIME, CONNECTION-ID, PRIORITY and other 32-bit values. */
int
stun_attr_u32(const struct stun_attr *a, uint32_t *out)
{
	if (a == NULL || a->len != 4)
		return -1;
	*out = buf_get_u32(a->val);
	return 0;
}

/* §14.8: class 3..6, number 0..99, reason at most 763 bytes. */
int
stun_attr_error(const struct stun_attr *a, int *code, const uint8_t **reason,
    size_t *reason_len)
{
	unsigned cls, num;

	if (a == NULL || a->len < 4 || a->len > 4 + 763)
		return -1;
	cls = a->val[2] & 0x07;
	num = a->val[3];
	if (cls < 3 || cls > 6 || num > 99)
		return -1;
	*code = (int)(cls * 100 + num);
	*reason = a->val + 4;
	*reason_len = (size_t)a->len - 4;
	return 0;
}

/* RFC 8656 §18.1: number + RFFU. The range (0x4000-0x4FFF, §12) is checked
 * here too: anything else is a 400 for ChannelBind. */
int
stun_attr_channel_max(const struct stun_attr *a, uint16_t max,
    uint16_t *channel)
{
	uint16_t ch;

	if (a == NULL || a->len != 4)
		return -1;
	ch = buf_get_u16(a->val);
	if (!stun_channel_in(ch, max))
		return -1;
	*channel = ch;
	return 0;
}

int
stun_attr_channel(const struct stun_attr *a, uint16_t *channel)
{
	return stun_attr_channel_max(a, STUN_CHANNEL_MAX, channel);
}

/* RFC 8656 §18.8: protocol byte + 3 RFFU; the caller checks 17 (or 6). */
int
stun_attr_requested_transport(const struct stun_attr *a, uint8_t *proto)
{
	if (a == NULL || a->len != 4)
		return -1;
	*proto = a->val[0];
	return 0;
}

/* RFC 8656 §18.6: family byte + 3 reserved. Any family byte is returned:
 * values other than 0x01/0x02 are the caller's 440 (§7.2), not a 400. */
int
stun_attr_family(const struct stun_attr *a, uint8_t *family)
{
	if (a == NULL || a->len != 4)
		return -1;
	*family = a->val[0];
	return 0;
}

/* RFC 8656 §18.7: one byte, R bit 0x80, 7 RFFU bits. */
int
stun_attr_even_port(const struct stun_attr *a, bool *reserve)
{
	if (a == NULL || a->len != 1)
		return -1;
	*reserve = (a->val[0] & 0x80) != 0;
	return 0;
}

/* §14.13: a list of 16-bit types. At most cap are returned. */
int
stun_attr_unknown_list(const struct stun_attr *a, uint16_t *out, size_t cap)
{
	size_t i, n;

	if (a == NULL || a->len % 2 != 0)
		return -1;
	n = a->len / 2;
	if (n > cap)
		n = cap;
	for (i = 0; i < n; i++)
		out[i] = buf_get_u16(a->val + 2 * i);
	return (int)n;
}

/*
 * §14.11/§14.12: entries of algorithm (2), parameter length (2) and
 * parameters padded to 4 bytes. The value must be exactly a sequence of
 * whole entries; at most cap entries are returned.
 */
int
stun_attr_pw_algs(const struct stun_attr *a, struct stun_pw_alg *out,
    size_t cap)
{
	struct buf b;
	size_t n = 0;
	uint16_t alg, plen;
	const uint8_t *params;

	if (a == NULL)
		return -1;
	buf_init(&b, a->val, a->len);
	while (buf_left(&b) > 0) {
		alg = buf_u16(&b);
		plen = buf_u16(&b);
		params = buf_take(&b, stun_pad4(plen));
		if (b.err)
			return -1;
		if (n < cap) {
			out[n].alg = alg;
			out[n].plen = plen;
			out[n].params = params;
			n++;
		}
	}
	return (int)n;
}
