/* SPDX-License-Identifier: ISC */
/*
 * stun_encode: the message builder. Every byte it emits is written
 * explicitly (header, value, zero padding), so no stale buffer contents can
 * leak into a response (CVE-2020-4067; docs/security.md, Attack catalogue:
 * malformed input). The header length is kept current after each
 * attribute, which is what the integrity and fingerprint computations in
 * stun_integrity.c rely on.
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/stun_int.h"
#include "util/buf.h"

void
stun_builder_init(struct stun_builder *b, uint8_t *buf, size_t cap,
    uint16_t method, enum stun_class cls, const uint8_t tid[STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = false;
	if (buf == NULL || cap < STUN_HEADER_LEN || method > 0xFFF) {
		b->err = true;
		return;
	}
	memset(buf, 0, STUN_HEADER_LEN);
	buf_put_u16(buf, stun_type(method, cls));
	buf_put_u16(buf + 2, 0);
	buf_put_u32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HEADER_LEN;
}

void
stun_builder_reply(struct stun_builder *b, uint8_t *buf, size_t cap,
    const struct stun_msg *req, enum stun_class cls)
{
	stun_builder_init(b, buf, cap, req->method, cls, req->tid);
	/* RFC 3489 peers get bytes 4..7 of their 128-bit TID back
	 * (RFC 8489 §11). */
	if (!b->err && req->rfc3489 && req->raw != NULL)
		memcpy(buf + 4, req->raw + 4, 4);
}

/* Reserves room for an attribute of vlen bytes; returns its value pointer. */
uint8_t *
stun_builder_reserve(struct stun_builder *b, uint16_t type, size_t vlen)
{
	uint8_t *p;
	size_t total;

	if (b->err)
		return NULL;
	if (vlen > 0xFFFF) {
		b->err = true;
		return NULL;
	}
	total = 4 + stun_pad4(vlen);
	if (total > b->cap - b->len ||
	    b->len + total > STUN_MAX_MSG) {
		b->err = true;
		return NULL;
	}
	p = b->buf + b->len;
	buf_put_u16(p, type);
	buf_put_u16(p + 2, (uint16_t)vlen);
	/* §14: padding bytes are zero when sent */
	memset(p + 4, 0, stun_pad4(vlen));
	b->len += total;
	buf_put_u16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN));
	return p + 4;
}

void
stun_add(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p;

	if ((p = stun_builder_reserve(b, type, len)) != NULL && len > 0)
		memcpy(p, val, len);
}

void
stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p;

	if ((p = stun_builder_reserve(b, type, 4)) != NULL)
		buf_put_u32(p, v);
}

/* MAPPED-ADDRESS layout (§14.1), XORed with mask/pmask (§14.2). */
static void
stun_add_addr_body(struct stun_builder *b, uint16_t type,
    const struct addr *a, const uint8_t mask[16], uint16_t pmask)
{
	const uint8_t *ip;
	uint8_t *p;
	size_t i, alen;
	uint8_t fam;

	if (addr_family(a) == AF_INET) {
		ip = (const uint8_t *)&a->u.sin.sin_addr;
		alen = 4;
		fam = 0x01;
	} else if (addr_family(a) == AF_INET6) {
		ip = a->u.sin6.sin6_addr.s6_addr;
		alen = 16;
		fam = 0x02;
	} else {
		b->err = true;
		return;
	}
	if ((p = stun_builder_reserve(b, type, 4 + alen)) == NULL)
		return;
	p[0] = 0;
	p[1] = fam;
	buf_put_u16(p + 2, addr_port(a) ^ pmask);
	for (i = 0; i < alen; i++)
		p[4 + i] = ip[i] ^ mask[i];
}

void
stun_add_xor_addr(struct stun_builder *b, uint16_t type, const struct addr *a)
{
	uint8_t mask[16];

	if (b->err)
		return;
	/* the cookie and TID as written in this message's header */
	memcpy(mask, b->buf + 4, 4 + STUN_TID_LEN);
	stun_add_addr_body(b, type, a, mask, (uint16_t)buf_get_u16(mask));
}

void
stun_add_addr(struct stun_builder *b, uint16_t type, const struct addr *a)
{
	static const uint8_t zero[16];

	stun_add_addr_body(b, type, a, zero, 0);
}

/* §14.8: 21 reserved bits, class (hundreds), number (code % 100), reason. */
void
stun_add_error(struct stun_builder *b, int code)
{
	const char *reason;
	size_t rlen;
	uint8_t *p;

	if (code < 300 || code > 699) {
		b->err = true;
		return;
	}
	reason = stun_error_reason(code);
	rlen = strlen(reason);
	if ((p = stun_builder_reserve(b, STUN_ATTR_ERROR_CODE, 4 + rlen)) == NULL)
		return;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void
stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n)
{
	uint8_t *p;
	size_t i;

	if (n > 0xFFFF / 2) {
		b->err = true;
		return;
	}
	if ((p = stun_builder_reserve(b, STUN_ATTR_UNKNOWN_ATTRIBUTES,
	    2 * n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		buf_put_u16(p + 2 * i, types[i]);
}

size_t
stun_builder_finish(struct stun_builder *b)
{
	return b->err ? 0 : b->len;
}
