/* SPDX-License-Identifier: ISC */
/*
 * STUN and TURN URLs (RFC 7064 §3.1, RFC 7065 §3.1):
 *
 *   stunURI  = scheme ":" host [ ":" port ]
 *   turnURI  = scheme ":" host [ ":" port ] [ "?transport=" transport ]
 *   host     = IP-literal / IPv4address / reg-name   (RFC 3986 §3.2.2)
 *
 * There is no userinfo, path or fragment. Parsing is strict on purpose: a
 * URL an operator mistyped must fail here, not connect somewhere else.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client.h"

static const struct {
	const char *name;
	enum client_scheme scheme;
	bool turn;
	bool secure;
} url_schemes[] = {
	{ "stun", CLIENT_STUN, false, false },
	{ "stuns", CLIENT_STUNS, false, true },
	{ "turn", CLIENT_TURN, true, false },
	{ "turns", CLIENT_TURNS, true, true },
};

#define URL_NSCHEMES	(sizeof(url_schemes) / sizeof(url_schemes[0]))

static int
url_fail(char *err, size_t errcap, const char *why)
{
	if (errcap > 0)
		snprintf(err, errcap, "%s", why);
	return -1;
}

/* Scheme names are case-insensitive (RFC 3986 §3.1). Returns the index
 * of the scheme and sets *rest past the ':', or -1. */
static int
url_scheme(const char *s, const char **rest)
{
	const char *colon = strchr(s, ':');
	size_t n, i;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - s);
	for (i = 0; i < URL_NSCHEMES; i++) {
		if (strlen(url_schemes[i].name) == n &&
		    strncasecmp(s, url_schemes[i].name, n) == 0) {
			*rest = colon + 1;
			return (int)i;
		}
	}
	return -1;
}

/* reg-name restricted to what DNS can carry: letters, digits, '-', '.'
 * (no percent-encoding, no sub-delims). An IPv4 literal also fits. */
static bool
url_regname_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > CLIENT_HOST_MAX || h[0] == '.' || h[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return false;
		if (ch == '.' && i + 1 < n && h[i + 1] == '.')
			return false;
	}
	return true;
}

/* Parses the host; *p is left on the character after it. */
static int
url_host(struct client_url *u, const char **p, char *err, size_t errcap)
{
	const char *s = *p, *end;
	struct in6_addr a6;
	size_t n;

	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return url_fail(err, errcap, "unterminated IPv6 literal");
		n = (size_t)(end - s - 1);
		if (n == 0 || n > CLIENT_HOST_MAX)
			return url_fail(err, errcap, "bad IPv6 literal");
		memcpy(u->host, s + 1, n);
		u->host[n] = '\0';
		/* No zone IDs, no IPvFuture: a plain IPv6 address only. */
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return url_fail(err, errcap, "bad IPv6 literal");
		u->host_is_ip6 = true;
		*p = end + 1;
		return 0;
	}
	n = strcspn(s, ":?");
	if (!url_regname_ok(s, n))
		return url_fail(err, errcap, n == 0 ? "missing host" : "bad host");
	memcpy(u->host, s, n);
	u->host[n] = '\0';
	*p = s + n;
	return 0;
}

/* port = 1*5DIGIT, 1..65535 (0 cannot be connected to). */
static int
url_port(struct client_url *u, const char **p, char *err, size_t errcap)
{
	const char *s = *p;
	unsigned long v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 5)
			return url_fail(err, errcap, "port out of range");
		v = v * 10 + (unsigned long)(s[n] - '0');
		n++;
	}
	if (n == 0)
		return url_fail(err, errcap, "missing port");
	if (v == 0 || v > 65535)
		return url_fail(err, errcap, "port out of range");
	u->port = (uint16_t)v;
	*p = s + n;
	return 0;
}

/* RFC 7065 §3.1: the only query is transport=udp|tcp; turns: is over
 * TLS so only tcp makes sense (DTLS is not offered here). */
static int
url_query(struct client_url *u, const char *q, char *err, size_t errcap)
{
	bool secure = u->scheme == CLIENT_TURNS;

	if (strncmp(q, "transport=", 10) != 0)
		return url_fail(err, errcap, "unknown query key");
	q += 10;
	if (strcmp(q, "tcp") == 0)
		u->transport = secure ? CLIENT_TLS : CLIENT_TCP;
	else if (strcmp(q, "udp") == 0 && !secure)
		u->transport = CLIENT_UDP;
	else
		return url_fail(err, errcap, "bad transport");
	return 0;
}

int
client_url_parse(struct client_url *u, const char *s, char *err, size_t errcap)
{
	const char *p;
	int i;

	memset(u, 0, sizeof(*u));
	if (s == NULL || strlen(s) > 1024)
		return url_fail(err, errcap, "URL too long");
	if ((i = url_scheme(s, &p)) < 0)
		return url_fail(err, errcap, "unknown scheme (stun:, stuns:, turn:, turns:)");
	u->scheme = url_schemes[i].scheme;
	u->transport = url_schemes[i].secure ? CLIENT_TLS : CLIENT_UDP;
	u->port = url_schemes[i].secure ? CLIENT_TLS_PORT : CLIENT_PORT;
	if (p[0] == '/' && p[1] == '/')
		return url_fail(err, errcap, "no '//' in STUN/TURN URLs");
	if (url_host(u, &p, err, errcap) == -1)
		return -1;
	if (*p == ':') {
		p++;
		if (url_port(u, &p, err, errcap) == -1)
			return -1;
	}
	if (*p == '?') {
		if (!url_schemes[i].turn)
			return url_fail(err, errcap, "stun URLs take no query");
		return url_query(u, p + 1, err, errcap);
	}
	if (*p != '\0')
		return url_fail(err, errcap, "junk after host");
	return 0;
}

int
client_url_format(const struct client_url *u, char *out, size_t cap)
{
	const char *q = "";
	int n;

	if ((u->scheme == CLIENT_TURN && u->transport == CLIENT_TCP) ||
	    (u->scheme == CLIENT_TURNS))
		q = "?transport=tcp";
	else if (u->scheme == CLIENT_TURN)
		q = "?transport=udp";
	n = snprintf(out, cap, "%s:%s%s%s:%u%s", url_schemes[u->scheme].name,
	    u->host_is_ip6 ? "[" : "", u->host, u->host_is_ip6 ? "]" : "",
	    (unsigned)u->port, q);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

const char *
client_transport_name(enum client_transport t)
{
	switch (t) {
	case CLIENT_UDP:
		return "udp";
	case CLIENT_TCP:
		return "tcp";
	case CLIENT_TLS:
		return "tls";
	}
	return "?";
}
