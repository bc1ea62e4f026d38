/* SPDX-License-Identifier: ISC */
/*
 * auth_schema: tern's Redis key names, their SCAN patterns and the
 * tern/events messages, built into the caller's buffer (the table of keys
 * is in auth_schema.h). Pure: no I/O, no allocation; on any failure the
 * buffer holds an empty string, never a truncated name.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "auth/auth_schema.h"

/* A key is head, realm, mid, and for keys that name a user, user, tail. */
struct auth_schema_name {
	const char *head;
	const char *mid;
	const char *tail;	/* NULL: the key names no user */
};

static const struct auth_schema_name auth_schema_names[AUTH_SCHEMA_NKEYS] = {
	[AUTH_SCHEMA_SECRET] = { "turn/realm/", "/secret", NULL },
	[AUTH_SCHEMA_SECRET_ADDED] = { "tern/realm/", "/secret-added", NULL },
	[AUTH_SCHEMA_SECRET_EXPIRES] =
	    { "tern/realm/", "/secret-expires", NULL },
	[AUTH_SCHEMA_ALLOWED_PEER_IP] =
	    { "turn/realm/", "/allowed-peer-ip", NULL },
	[AUTH_SCHEMA_DENIED_PEER_IP] =
	    { "turn/realm/", "/denied-peer-ip", NULL },
	[AUTH_SCHEMA_USER_QUOTA] = { "turn/realm/", "/user-quota", NULL },
	[AUTH_SCHEMA_TOTAL_QUOTA] = { "turn/realm/", "/total-quota", NULL },
	[AUTH_SCHEMA_MAX_BPS] = { "turn/realm/", "/max-bps", NULL },
	[AUTH_SCHEMA_USER_KEY] = { "turn/realm/", "/user/", "/key" },
	[AUTH_SCHEMA_REVOKED] = { "tern/revoked/", "/", "" },
};

static const struct auth_schema_name *
auth_schema_name(enum auth_schema_key k)
{
	if ((unsigned)k >= AUTH_SCHEMA_NKEYS)
		return NULL;
	return &auth_schema_names[k];
}

/* A realm or user: 1..INT_MAX bytes without NUL (%.*s would stop there). */
static int
auth_schema_part_ok(const char *s, size_t len)
{
	return s != NULL && len > 0 && len < INT_MAX &&
	    memchr(s, '\0', len) == NULL;
}

/* snprintf's n as a length, or -1 (and an empty out) if it did not fit. */
static long
auth_schema_fit(char *out, size_t cap, int n)
{
	if (n >= 0 && (size_t)n < cap)
		return n;
	if (cap > 0)
		out[0] = '\0';
	return -1;
}

static long
auth_schema_fail(char *out, size_t cap)
{
	if (cap > 0)
		out[0] = '\0';
	return -1;
}

long
auth_schema_key(char *out, size_t cap, enum auth_schema_key k,
    const char *realm, size_t rlen, const char *user, size_t ulen)
{
	const struct auth_schema_name *nm = auth_schema_name(k);
	int n;

	if (nm == NULL || !auth_schema_part_ok(realm, rlen))
		return auth_schema_fail(out, cap);
	if (nm->tail == NULL) {
		if (user != NULL || ulen != 0)
			return auth_schema_fail(out, cap);
		n = snprintf(out, cap, "%s%.*s%s", nm->head, (int)rlen, realm,
		    nm->mid);
		return auth_schema_fit(out, cap, n);
	}
	if (!auth_schema_part_ok(user, ulen))
		return auth_schema_fail(out, cap);
	n = snprintf(out, cap, "%s%.*s%s%.*s%s", nm->head, (int)rlen, realm,
	    nm->mid, (int)ulen, user, nm->tail);
	return auth_schema_fit(out, cap, n);
}

/* The part of a key that names a user before the user. Length or -1. */
static long
auth_schema_prefix(char *out, size_t cap, const struct auth_schema_name *nm,
    const char *realm, size_t rlen)
{
	int n;

	if (nm == NULL || nm->tail == NULL || !auth_schema_part_ok(realm, rlen))
		return auth_schema_fail(out, cap);
	n = snprintf(out, cap, "%s%.*s%s", nm->head, (int)rlen, realm, nm->mid);
	return auth_schema_fit(out, cap, n);
}

long
auth_schema_key_pattern(char *out, size_t cap, enum auth_schema_key k,
    const char *realm, size_t rlen)
{
	const struct auth_schema_name *nm = auth_schema_name(k);
	char prefix[AUTH_SCHEMA_KEY_MAX];
	long pl, el;
	int n;

	if ((pl = auth_schema_prefix(prefix, sizeof(prefix), nm, realm,
	    rlen)) < 0)
		return auth_schema_fail(out, cap);
	/* SCAN MATCH is a glob: the realm's * ? [ ] \ must match themselves. */
	if ((el = auth_redis_glob_escape(prefix, (size_t)pl, out, cap)) < 0)
		return auth_schema_fail(out, cap);
	n = snprintf(out + el, cap - (size_t)el, "*%s", nm->tail);
	if (auth_schema_fit(out + el, cap - (size_t)el, n) < 0)
		return auth_schema_fail(out, cap);
	return el + n;
}

int
auth_schema_key_user(enum auth_schema_key k, const char *realm, size_t rlen,
    const char *key, size_t klen, size_t *off, size_t *ulen)
{
	const struct auth_schema_name *nm = auth_schema_name(k);
	char prefix[AUTH_SCHEMA_KEY_MAX];
	size_t tl, n;
	long pl;

	if ((pl = auth_schema_prefix(prefix, sizeof(prefix), nm, realm,
	    rlen)) < 0)
		return -1;
	tl = strlen(nm->tail);
	if (klen <= (size_t)pl + tl || memcmp(key, prefix, (size_t)pl) != 0 ||
	    memcmp(key + klen - tl, nm->tail, tl) != 0)
		return -1;
	n = klen - (size_t)pl - tl;
	if (memchr(key + pl, '\0', n) != NULL)
		return -1;	/* no name auth_schema_key() builds */
	*off = (size_t)pl;
	*ulen = n;
	return 0;
}

long
auth_schema_event(char *out, size_t cap, const char *what, const char *realm,
    size_t rlen)
{
	int n;

	if (what == NULL || what[0] == '\0' || strchr(what, ' ') != NULL ||
	    !auth_schema_part_ok(realm, rlen))
		return auth_schema_fail(out, cap);
	n = snprintf(out, cap, "%s %.*s", what, (int)rlen, realm);
	return auth_schema_fit(out, cap, n);
}
