/* SPDX-License-Identifier: ISC */
/*
 * addr: parsing and printing of transport addresses.
 *
 * Parsing is strict (no host names, no trailing bytes, decimal ports only);
 * IPv6 scope ids are accepted in numeric form only, so that parsing never
 * touches the system. IPv6 is printed by our own RFC 5952 formatter rather
 * than inet_ntop(), whose mixed-notation choices differ between libcs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util/addr.h"

/* Strict decimal in [0, max]; no sign, no spaces, at most 10 digits. */
static int
addr_parse_uint(const char *s, size_t len, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
addr_parse_ip_n(struct addr *a, const char *s, size_t len, uint16_t port)
{
	char tmp[ADDR_STRLEN];
	const char *pct;
	unsigned long scope = 0;
	size_t iplen = len;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memset(a, 0, sizeof(*a));
	if ((pct = memchr(s, '%', len)) != NULL) {
		iplen = (size_t)(pct - s);
		if (addr_parse_uint(pct + 1, len - iplen - 1, UINT32_MAX,
		    &scope) == -1)
			return -1;
	}
	memcpy(tmp, s, iplen);
	tmp[iplen] = '\0';
	if (pct == NULL && inet_pton(AF_INET, tmp, &a->u.sin.sin_addr) == 1) {
		a->u.sin.sin_family = AF_INET;
		a->u.sin.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, &a->u.sin6.sin6_addr) == 1) {
		a->u.sin6.sin6_family = AF_INET6;
		a->u.sin6.sin6_port = htons(port);
		a->u.sin6.sin6_scope_id = (uint32_t)scope;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -1;
}

int
addr_parse_ip(struct addr *a, const char *s, uint16_t port)
{
	return addr_parse_ip_n(a, s, strlen(s), port);
}

int
addr_parse(struct addr *a, const char *s, uint16_t defport)
{
	const char *colon, *close;
	unsigned long port = defport;
	size_t len = strlen(s);

	if (len > 0 && s[0] == '[') {
		/* "[ip6]" or "[ip6]:port" */
		if ((close = memchr(s, ']', len)) == NULL)
			return -1;
		if (close[1] != '\0') {
			if (close[1] != ':' || addr_parse_uint(close + 2,
			    strlen(close + 2), 65535, &port) == -1)
				return -1;
		}
		if (addr_parse_ip_n(a, s + 1, (size_t)(close - s - 1),
		    (uint16_t)port) == -1 || a->u.sa.sa_family != AF_INET6)
			return -1;
		return 0;
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: "ip4:port" */
		if (addr_parse_uint(colon + 1, strlen(colon + 1), 65535,
		    &port) == -1)
			return -1;
		if (addr_parse_ip_n(a, s, (size_t)(colon - s),
		    (uint16_t)port) == -1 || a->u.sa.sa_family != AF_INET)
			return -1;
		return 0;
	}
	/* a bare IPv4 or IPv6 literal */
	return addr_parse_ip_n(a, s, len, defport);
}

int
addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(a->u.sin)) {
		memcpy(&a->u.sin, sa, sizeof(a->u.sin));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(a->u.sin6)) {
		memcpy(&a->u.sin6, sa, sizeof(a->u.sin6));
		return 0;
	}
	return -1;
}

int
addr_family(const struct addr *a)
{
	return a->u.sa.sa_family;
}

socklen_t
addr_len(const struct addr *a)
{
	switch (a->u.sa.sa_family) {
	case AF_INET:
		return sizeof(a->u.sin);
	case AF_INET6:
		return sizeof(a->u.sin6);
	default:
		return 0;
	}
}

uint16_t
addr_port(const struct addr *a)
{
	switch (a->u.sa.sa_family) {
	case AF_INET:
		return ntohs(a->u.sin.sin_port);
	case AF_INET6:
		return ntohs(a->u.sin6.sin6_port);
	default:
		return 0;
	}
}

void
addr_set_port(struct addr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.sin.sin_port = htons(port);
	else if (a->u.sa.sa_family == AF_INET6)
		a->u.sin6.sin6_port = htons(port);
}

bool
addr_is_any(const struct addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.sin6.sin6_addr);
	return false;
}

bool
addr_is_loopback(const struct addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return (ntohl(a->u.sin.sin_addr.s_addr) >> 24) == 127;
	return a->u.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr);
}

bool
addr_equal(const struct addr *a, const struct addr *b, bool with_port)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (with_port && addr_port(a) != addr_port(b))
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.sin.sin_addr.s_addr == b->u.sin.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.sin6.sin6_addr, &b->u.sin6.sin6_addr,
		    16) == 0 &&
		    a->u.sin6.sin6_scope_id == b->u.sin6.sin6_scope_id;
	return false;
}

/*
 * RFC 5952 §4: lower-case hex, no leading zeros, "::" for the longest run
 * of two or more zero fields (the first one on a tie), never for a single
 * field; §5: IPv4-mapped addresses in mixed notation.
 */
static int
addr_fmt6(const uint8_t b[16], char *out, size_t cap)
{
	uint16_t w[8];
	int i, best = -1, bestlen = 0, cur = -1, curlen = 0, n;
	size_t o = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
		if (w[i] == 0) {
			if (cur == -1)
				cur = i, curlen = 0;
			if (++curlen > bestlen)
				best = cur, bestlen = curlen;
		} else
			cur = -1;
	}
	if (bestlen < 2)
		best = -1;
	if (best == 0 && bestlen == 5 && w[5] == 0xFFFF)
		return snprintf(out, cap, "::ffff:%u.%u.%u.%u",
		    b[12], b[13], b[14], b[15]);
	for (i = 0; i < 8; i++) {
		if (i == best) {
			n = snprintf(out + o, cap - o, "::");
			i += bestlen - 1;
		} else
			n = snprintf(out + o, cap - o, "%s%x",
			    (i > 0 && i != best + bestlen) ? ":" : "", w[i]);
		if (n < 0 || (size_t)n >= cap - o)
			return -1;
		o += (size_t)n;
	}
	return (int)o;
}

char *
addr_ip_str(const struct addr *a, char *out, size_t cap)
{
	const uint8_t *p;
	int n;

	if (cap == 0)
		return out;
	out[0] = '\0';
	if (a->u.sa.sa_family == AF_INET) {
		p = (const uint8_t *)&a->u.sin.sin_addr;
		(void)snprintf(out, cap, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	} else if (a->u.sa.sa_family == AF_INET6) {
		n = addr_fmt6(a->u.sin6.sin6_addr.s6_addr, out, cap);
		if (n < 0)
			out[0] = '\0';
		else if (a->u.sin6.sin6_scope_id != 0)
			(void)snprintf(out + n, cap - (size_t)n, "%%%u",
			    (unsigned)a->u.sin6.sin6_scope_id);
	} else
		(void)snprintf(out, cap, "?");
	return out;
}

char *
addr_str(const struct addr *a, char *out, size_t cap)
{
	char ip[ADDR_STRLEN];

	addr_ip_str(a, ip, sizeof(ip));
	if (a->u.sa.sa_family == AF_INET6)
		(void)snprintf(out, cap, "[%s]:%u", ip, addr_port(a));
	else if (a->u.sa.sa_family == AF_INET)
		(void)snprintf(out, cap, "%s:%u", ip, addr_port(a));
	else if (cap > 0)
		(void)snprintf(out, cap, "%s", ip);
	return out;
}
