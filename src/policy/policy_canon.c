/* SPDX-License-Identifier: ISC */
/*
 * policy_canon: canonical forms of a peer address (docs/security.md, Peer
 * deny list: a peer is judged in every form that reaches a host).
 *
 * An IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is replaced by
 * the IPv4 address: a dual-stack socket delivers it to that IPv4 host, so it
 * is judged, and must be sent, as IPv4. Every other wrapper that carries an
 * IPv4 address keeps its own form and adds the embedded IPv4 as a further
 * form; the caller denies the peer if any form is denied:
 *   ::a.b.c.d         IPv4-compatible, RFC 4291 §2.5.5.1 (not :: or ::1)
 *   ::ffff:0:a.b.c.d  IPv4-translated, RFC 2765 §2.1
 *   64:ff9b::/96      NAT64 well-known prefix, RFC 6052 §2.1 (last 32 bits)
 *   64:ff9b:1::/48    NAT64 local use, RFC 8215: the operator picks the
 *                     prefix length. When the "u" octet and the suffix are
 *                     zero (RFC 6052 §2.2 layout of a /48 prefix) the IPv4
 *                     is bits 48-63 and 72-87; otherwise the last 32 bits
 *                     (a /96 prefix inside the /48). Other lengths (/56,
 *                     /64) are not decoded: keep allow_nat64 off with them
 *                     and rely on an egress firewall (docs/security.md,
 *                     Hardening)
 *   2002::/16         6to4, RFC 3056 §2 (bits 16-47)
 *   2001::/32         Teredo, RFC 4380 §4 (client IPv4: last 32 bits,
 *                     inverted)
 */
#include <string.h>

#include "policy/policy_int.h"

static const uint8_t policy_pfx_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0xff, 0xff };
static const uint8_t policy_pfx_translated[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0, 0 };
static const uint8_t policy_pfx_nat64[12] = { 0x00, 0x64, 0xff, 0x9b, 0, 0,
    0, 0, 0, 0, 0, 0 };
static const uint8_t policy_pfx_nat64_local[6] = { 0x00, 0x64, 0xff, 0x9b,
    0x00, 0x01 };
static const uint8_t policy_zero[12];

int
policy_ip_from_addr(const struct addr *a, struct policy_ip *out)
{
	memset(out, 0, sizeof(*out));
	switch (addr_family(a)) {
	case AF_INET:
		out->family = AF_INET;
		memcpy(out->b, &a->u.sin.sin_addr, 4);
		break;
	case AF_INET6:
		out->family = AF_INET6;
		memcpy(out->b, &a->u.sin6.sin6_addr, 16);
		break;
	default:
		return -1;
	}
	out->port = addr_port(a);
	return 0;
}

void
policy_addr_canonical(const struct addr *in, struct addr *out)
{
	struct addr tmp;

	if (addr_family(in) != AF_INET6 || memcmp(&in->u.sin6.sin6_addr,
	    policy_pfx_mapped, sizeof(policy_pfx_mapped)) != 0) {
		if (out != in)
			*out = *in;
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	tmp.u.sin.sin_family = AF_INET;
	tmp.u.sin.sin_port = in->u.sin6.sin6_port;
	memcpy(&tmp.u.sin.sin_addr, (const uint8_t *)&in->u.sin6.sin6_addr + 12,
	    4);
	*out = tmp;
}

/* Adds the IPv4 at b (4 bytes, XORed with x) as a form. */
static void
policy_forms_add(struct policy_ip *forms, size_t *n, const uint8_t *b,
    uint8_t x, uint16_t port)
{
	struct policy_ip *f = &forms[*n];
	size_t i;

	memset(f, 0, sizeof(*f));
	f->family = AF_INET;
	for (i = 0; i < 4; i++)
		f->b[i] = b[i] ^ x;
	f->port = port;
	(*n)++;
}

size_t
policy_ip_forms(const struct addr *a, struct policy_ip forms[POLICY_FORMS_MAX])
{
	uint8_t l48[4];
	const uint8_t *b = forms[0].b;
	uint16_t port;
	size_t n = 1;

	if (policy_ip_from_addr(a, &forms[0]) == -1)
		return 0;
	if (forms[0].family != AF_INET6)
		return 1;
	port = forms[0].port;
	if (memcmp(b, policy_pfx_mapped, 12) == 0) {
		memmove(forms[0].b, b + 12, 4);
		memset(forms[0].b + 4, 0, 12);
		forms[0].family = AF_INET;
		return 1;
	}
	if (memcmp(b, policy_zero, 12) == 0) {
		/* ::/128 and ::1 are not IPv4-compatible addresses. */
		if (b[12] != 0 || b[13] != 0 || b[14] != 0 || b[15] > 1)
			policy_forms_add(forms, &n, b + 12, 0, port);
	} else if (memcmp(b, policy_pfx_translated, 12) == 0 ||
	    memcmp(b, policy_pfx_nat64, 12) == 0 ||
	    (memcmp(b, policy_pfx_nat64_local, 6) == 0 && (b[8] != 0 ||
	    memcmp(b + 11, policy_zero, 5) != 0))) {
		/* the last 32 bits: translated, NAT64 /96, a /96 in the /48 */
		policy_forms_add(forms, &n, b + 12, 0, port);
	} else if (memcmp(b, policy_pfx_nat64_local, 6) == 0) {
		l48[0] = b[6];
		l48[1] = b[7];
		l48[2] = b[9];	/* b[8] is RFC 6052's "u" octet */
		l48[3] = b[10];
		policy_forms_add(forms, &n, l48, 0, port);
	} else if (b[0] == 0x20 && b[1] == 0x02) {
		policy_forms_add(forms, &n, b + 2, 0, port);
	} else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		policy_forms_add(forms, &n, b + 12, 0xff, port);
	}
	return n;
}

bool
policy_ip_equal(const struct policy_ip *a, const struct policy_ip *b)
{
	return a->family == b->family &&
	    memcmp(a->b, b->b, policy_family_len(a->family)) == 0;
}
