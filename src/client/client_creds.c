/* SPDX-License-Identifier: ISC */
/*
 * client_creds: TURN REST API credentials as an app backend mints them
 * (README.md, "Issuing credentials from your backend"), and the JSON
 * RTCIceServer object it hands to a browser. The MAC is
 * auth_rest_password(), the very code ternd checks with, so the two cannot
 * drift apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "client/client.h"

#define CLIENT_EXPIRY_MAX	UINT64_C(99999999999)	/* 11 digits */

/* Bytes in the UTF-8 sequence at p (at most n left), or 0 if malformed. */
static size_t
client_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	/* overlong, surrogate and > U+10FFFF forms */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

const char *
client_creds_user_problem(const char *user)
{
	const unsigned char *p = (const unsigned char *)user;
	size_t n = strlen(user), i, l;

	if (n == 0)
		return "the user-id is empty";
	if (n > AUTH_NAME_MAX)
		return "the user-id is longer than 255 bytes";
	for (i = 0; i < n; i += l) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "the user-id holds a control character";
		if ((l = client_utf8_len(p + i, n - i)) == 0)
			return "the user-id is not valid UTF-8";
	}
	return NULL;
}

int
client_creds_make(const void *secret, size_t slen, const char *user, char sep,
    uint64_t expiry, char *username, size_t ucap, char *password, size_t pcap)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];
	int n, rv = -1;

	if (slen == 0 || slen > AUTH_SECRET_MAX || sep <= ' ' || sep > '~' ||
	    (sep >= '0' && sep <= '9') || expiry > CLIENT_EXPIRY_MAX ||
	    client_creds_user_problem(user) != NULL || pcap < sizeof(pw))
		return -1;
	n = snprintf(username, ucap, "%llu%c%s", (unsigned long long)expiry,
	    sep, user);
	if (n < 0 || (size_t)n >= ucap || (size_t)n > AUTH_USERNAME_MAX)
		return -1;
	if (auth_rest_password(secret, slen, username, (size_t)n, pw) != 0)
		goto out;
	memcpy(password, pw, sizeof(pw));
	rv = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	return rv;
}

/* Appends to out at *len; refuses to overflow. 0 or -1. */
static int
client_put(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
client_put(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

int
client_json_str(char *out, size_t cap, size_t *len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, l;

	if (client_put(out, cap, len, "\"") == -1)
		return -1;
	for (i = 0; i < n; i += l) {
		l = 1;
		if (p[i] == '"' || p[i] == '\\') {
			if (client_put(out, cap, len, "\\%c", p[i]) == -1)
				return -1;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			if (client_put(out, cap, len, "\\u%04x", p[i]) == -1)
				return -1;
		} else if ((l = client_utf8_len(p + i, n - i)) == 0 ||
		    client_put(out, cap, len, "%.*s", (int)l, s + i) == -1) {
			return -1;	/* JSON text is UTF-8 (RFC 8259 §8.1) */
		}
	}
	return client_put(out, cap, len, "\"");
}

int
client_creds_json(char *out, size_t cap, const struct client_creds_json *j)
{
	size_t len = 0, i;

	if (cap == 0 || j->nurls == 0 ||
	    client_put(out, cap, &len, "{\"urls\":[") == -1)
		return -1;
	for (i = 0; i < j->nurls; i++)
		if ((i > 0 && client_put(out, cap, &len, ",") == -1) ||
		    client_json_str(out, cap, &len, j->urls[i]) == -1)
			return -1;
	if (client_put(out, cap, &len, "],\"username\":") == -1 ||
	    client_json_str(out, cap, &len, j->username) == -1 ||
	    client_put(out, cap, &len, ",\"credential\":") == -1 ||
	    client_json_str(out, cap, &len, j->credential) == -1 ||
	    client_put(out, cap, &len, ",\"ttl\":%llu",
	    (unsigned long long)j->ttl) == -1)
		return -1;
	if (j->realm != NULL && (client_put(out, cap, &len,
	    ",\"realm\":") == -1 ||
	    client_json_str(out, cap, &len, j->realm) == -1))
		return -1;
	if (client_put(out, cap, &len, "}") == -1)
		return -1;
	return (int)len;
}
