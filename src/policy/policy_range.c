/* SPDX-License-Identifier: ISC */
/*
 * policy_range: operator address ranges (CIDR, and coturn's a-b ranges so
 * that a coturn configuration carries over) and the range arithmetic the
 * checks use.
 *
 * Parsing is strict because a malformed rule is fatal at start-up: a typo
 * in a security rule must be refused, not guessed at.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

size_t
policy_family_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

/* One IP literal of len bytes (no scope, no port) into family/b. */
static int
policy_ip_parse_n(const char *s, size_t len, int *family, uint8_t b[16])
{
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(b, 0, 16);
	if (inet_pton(AF_INET, tmp, b) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, b) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Decimal prefix length in [0, max]: digits only, no leading zero. */
static int
policy_prefix_parse(const char *s, unsigned max, unsigned *out)
{
	size_t len = strlen(s), i;
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* The netmask byte i of a prefix of length plen. */
static uint8_t
policy_mask_byte(unsigned plen, size_t i)
{
	unsigned bits = (unsigned)i * 8;

	if (plen >= bits + 8)
		return 0xff;
	if (plen <= bits)
		return 0;
	return (uint8_t)(0xff << (8 - (plen - bits)));
}

/* lo/hi from an address and prefix; -1 if host bits are set. */
static int
policy_range_cidr(struct policy_range *r, const uint8_t b[16], unsigned plen)
{
	size_t i, len = policy_family_len(r->family);
	uint8_t m;

	for (i = 0; i < len; i++) {
		m = policy_mask_byte(plen, i);
		if ((b[i] & (uint8_t)~m) != 0)
			return -1;
		r->lo[i] = b[i];
		r->hi[i] = b[i] | (uint8_t)~m;
	}
	return 0;
}

/* A range wholly inside ::ffff:0:0/96 becomes IPv4 (peers are judged as
 * IPv4 there, RFC 4291 §2.5.5.2), so such a rule still means what it says. */
static void
policy_range_unmap(struct policy_range *r)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (r->family != AF_INET6 || memcmp(r->lo, pfx, 12) != 0 ||
	    memcmp(r->hi, pfx, 12) != 0)
		return;
	r->family = AF_INET;
	memmove(r->lo, r->lo + 12, 4);
	memmove(r->hi, r->hi + 12, 4);
	memset(r->lo + 4, 0, 12);
	memset(r->hi + 4, 0, 12);
}

static const char *
policy_range_parse_dash(const char *s, const char *dash,
    struct policy_range *out)
{
	uint8_t b[16];
	int fam;

	if (policy_ip_parse_n(s, (size_t)(dash - s), &out->family,
	    out->lo) == -1)
		return "bad first address of a-b range";
	if (policy_ip_parse_n(dash + 1, strlen(dash + 1), &fam, b) == -1)
		return "bad last address of a-b range";
	if (fam != out->family)
		return "a-b range mixes IPv4 and IPv6";
	memcpy(out->hi, b, 16);
	if (memcmp(out->lo, out->hi, 16) > 0)
		return "a-b range ends before it starts";
	return NULL;
}

static const char *
policy_range_parse_cidr(const char *s, struct policy_range *out)
{
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned plen, max;
	uint8_t b[16];

	if (policy_ip_parse_n(s, len, &out->family, b) == -1)
		return "bad IP address";
	max = (unsigned)policy_family_len(out->family) * 8;
	plen = max;
	if (slash != NULL && policy_prefix_parse(slash + 1, max, &plen) == -1)
		return out->family == AF_INET ? "prefix length not in 0-32" :
		    "prefix length not in 0-128";
	if (policy_range_cidr(out, b, plen) == -1)
		return "host bits set after the prefix length";
	return NULL;
}

int
policy_range_parse(const char *s, struct policy_range *out, const char **why)
{
	const char *reason = NULL, *dash, *p;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0') {
		reason = "empty address range";
		goto fail;
	}
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			reason = "space or control byte in address range";
			goto fail;
		}
		if (*p == '%') {
			reason = "scope id in address range";
			goto fail;
		}
	}
	if ((dash = strchr(s, '-')) != NULL)
		reason = policy_range_parse_dash(s, dash, out);
	else
		reason = policy_range_parse_cidr(s, out);
	if (reason != NULL)
		goto fail;
	policy_range_unmap(out);
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = reason;
	return -1;
}

/* The prefix length if [lo, hi] is exactly one CIDR block, else -1. */
static int
policy_range_prefix(const struct policy_range *r)
{
	size_t i, len = policy_family_len(r->family);
	unsigned plen = 0;
	uint8_t m;

	while (plen < len * 8 && ((r->lo[plen / 8] ^ r->hi[plen / 8]) &
	    (0x80 >> (plen % 8))) == 0)
		plen++;
	for (i = 0; i < len; i++) {
		m = policy_mask_byte(plen, i);
		if ((r->lo[i] & (uint8_t)~m) != 0 ||
		    (r->hi[i] | m) != 0xff)
			return -1;
	}
	return (int)plen;
}

static void
policy_range_addr(const struct policy_range *r, const uint8_t *b,
    struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (r->family == AF_INET) {
		a->u.sin.sin_family = AF_INET;
		memcpy(&a->u.sin.sin_addr, b, 4);
	} else {
		a->u.sin6.sin6_family = AF_INET6;
		memcpy(&a->u.sin6.sin6_addr, b, 16);
	}
}

char *
policy_range_str(const struct policy_range *r, char *out, size_t cap)
{
	char lo[ADDR_STRLEN], hi[ADDR_STRLEN];
	struct addr a;
	int plen;

	if (cap == 0)
		return out;
	out[0] = '\0';
	if (policy_family_len(r->family) == 0)
		return out;
	policy_range_addr(r, r->lo, &a);
	addr_ip_str(&a, lo, sizeof(lo));
	if ((plen = policy_range_prefix(r)) >= 0) {
		(void)snprintf(out, cap, "%s/%d", lo, plen);
		return out;
	}
	policy_range_addr(r, r->hi, &a);
	addr_ip_str(&a, hi, sizeof(hi));
	(void)snprintf(out, cap, "%s-%s", lo, hi);
	return out;
}

bool
policy_range_has(const struct policy_range *r, const struct policy_ip *ip)
{
	size_t len = policy_family_len(r->family);

	return r->family == ip->family && len != 0 &&
	    memcmp(r->lo, ip->b, len) <= 0 && memcmp(ip->b, r->hi, len) <= 0;
}

bool
policy_ranges_have(const struct policy_range *r, size_t n,
    const struct policy_ip *ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (policy_range_has(&r[i], ip))
			return true;
	return false;
}

bool
policy_range_has_addr(const struct policy_range *r, const struct addr *a)
{
	struct policy_ip ip;

	if (policy_ip_from_addr(a, &ip) == -1)
		return false;
	return policy_range_has(r, &ip);
}

bool
policy_range_is_wide(const struct policy_range *r)
{
	uint8_t span[16];

	policy_range_span(r, span);
	if (r->family == AF_INET)
		return span[0] != 0;
	return span[0] != 0 || span[1] != 0;
}

/* span = hi - lo, big-endian over 16 bytes (IPv4 bytes 4..15 are zero). */
void
policy_range_span(const struct policy_range *r, uint8_t span[16])
{
	unsigned borrow = 0, d;
	size_t i = 16;

	while (i-- > 0) {
		d = (unsigned)r->hi[i] - (unsigned)r->lo[i] - borrow;
		span[i] = (uint8_t)d;
		borrow = d > 0xff;
	}
}
