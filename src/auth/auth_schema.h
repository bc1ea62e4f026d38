/* SPDX-License-Identifier: ISC */
/*
 * auth_schema: the names of tern's data in Redis, in one place. ternd
 * reads them (src/auth/auth_redis*.c), ternctl writes them
 * (src/client/client_redis*.c); both build every key, pattern and
 * message through this header, so the two cannot drift apart. Key names
 * are coturn's where coturn has the key (turn/realm/...), so that a
 * database shared with coturn or filled by its turnadmin keeps working;
 * what coturn has no key for lives under tern/.
 *
 *   key                                  type    written by   read by
 *   turn/realm/<realm>/secret            SET     ternctl      ternd, ternctl
 *     REST shared secrets (coturn's). ternd accepts at most 16 of them.
 *   tern/realm/<realm>/secret-added      HASH    ternctl      ternctl
 *     fingerprint -> Unix time the secret was added (newest first in
 *     `ternctl secret list`; the newest active one signs credentials).
 *   tern/realm/<realm>/secret-expires    HASH    ternctl      ternd, ternctl
 *     fingerprint -> Unix time after which ternd stops accepting the
 *     secret (a rotation keeps the old ones this long); ternd reloads
 *     just after the earliest one passes, so no cron job is needed.
 *   turn/realm/<realm>/user/<user>/key   STRING  ternctl      ternd
 *     32 hex digits of MD5(user ":" realm ":" password), the long-term
 *     key of RFC 8489 §9.2.2 (coturn's). ternd GETs it on first use of
 *     the user and caches it; it is never part of the snapshot.
 *   turn/realm/<realm>/allowed-peer-ip   SET     operator     ternd
 *   turn/realm/<realm>/denied-peer-ip    SET     operator     ternd
 *     peer address rules, "CIDR" or "first-last" (coturn's), added to
 *     those of the config file (docs/security.md).
 *   turn/realm/<realm>/user-quota        STRING  operator     ternd
 *   turn/realm/<realm>/total-quota       STRING  operator     ternd
 *     decimal allocation quotas per user and in all (coturn's).
 *   turn/realm/<realm>/max-bps           STRING  operator     ternd
 *     decimal bytes per second one allocation may relay (coturn's name),
 *     over the config file's max-bps.
 *   tern/revoked/<realm>/<user>          STRING  ternctl      ternd
 *     the Unix time of the revocation, with a TTL (EXPIRE) as long as a
 *     credential issued before it can live; no TTL: revoked until the
 *     key is deleted (`ternctl unrevoke`).
 *
 * fingerprint: the first 16 hex digits of SHA-256(secret)
 * (auth_redis_fingerprint()), so that the bookkeeping names a secret
 * without holding it.
 *
 * The pub/sub channel tern/events carries "<what> <realm>" messages;
 * realm "*" means every realm. ternctl publishes one at the end of each
 * change (the last command of its MULTI/EXEC, or right after a lone DEL);
 * an operator who edits the peer rules or quotas by hand publishes
 * "rules <realm>". ternd subscribes and reloads at once (otherwise every
 * redis-snapshot-interval):
 *   secret    the secret set or its bookkeeping changed
 *   user      a user key was set or deleted: ternd drops cached keys
 *   revoke    a user was revoked: ternd closes their allocations
 *   unrevoke  a revocation was deleted
 *   rules     the peer rules or the quotas changed
 *
 * What it must not do: I/O, allocation, or truncating a name: a key that
 * does not fit the caller's buffer, or whose realm or user holds a NUL
 * byte (which would end it early), is refused with -1. Realms and users
 * are bytes; this module does not judge them (ternctl refuses '/' and
 * control characters before it gets here, ternd takes USERNAME as sent).
 */
#ifndef TERN_AUTH_SCHEMA_H
#define TERN_AUTH_SCHEMA_H

#include <stddef.h>

#include "auth/auth.h"

/* A buffer that holds any key, with its NUL: the longest fixed parts
 * (under 32 bytes), a realm and the longest USERNAME ternd parses. */
#define AUTH_SCHEMA_KEY_MAX	(32 + AUTH_REALM_MAX + AUTH_USERNAME_MAX + 1)
/* A SCAN MATCH pattern: every byte of realm and user may be escaped. */
#define AUTH_SCHEMA_PATTERN_MAX	(2 * AUTH_SCHEMA_KEY_MAX)

/* The pub/sub channel, and the words a message starts with. */
#define AUTH_SCHEMA_EVENTS		"tern/events"
#define AUTH_SCHEMA_EV_SECRET		"secret"
#define AUTH_SCHEMA_EV_USER		"user"
#define AUTH_SCHEMA_EV_REVOKE		"revoke"
#define AUTH_SCHEMA_EV_UNREVOKE		"unrevoke"
#define AUTH_SCHEMA_EV_RULES		"rules"
#define AUTH_SCHEMA_EV_ALL_REALMS	"*"
/* A message: the longest word, a space, a realm, a NUL. */
#define AUTH_SCHEMA_EVENT_MAX		(16 + AUTH_REALM_MAX + 1)

enum auth_schema_key {
	AUTH_SCHEMA_SECRET = 0,		/* turn/realm/<realm>/secret */
	AUTH_SCHEMA_SECRET_ADDED,	/* tern/realm/<realm>/secret-added */
	AUTH_SCHEMA_SECRET_EXPIRES,	/* tern/realm/<realm>/secret-expires */
	AUTH_SCHEMA_ALLOWED_PEER_IP,	/* turn/realm/<realm>/allowed-peer-ip */
	AUTH_SCHEMA_DENIED_PEER_IP,	/* turn/realm/<realm>/denied-peer-ip */
	AUTH_SCHEMA_USER_QUOTA,		/* turn/realm/<realm>/user-quota */
	AUTH_SCHEMA_TOTAL_QUOTA,	/* turn/realm/<realm>/total-quota */
	AUTH_SCHEMA_MAX_BPS,		/* turn/realm/<realm>/max-bps */
	AUTH_SCHEMA_USER_KEY,		/* turn/realm/<realm>/user/<user>/key */
	AUTH_SCHEMA_REVOKED,		/* tern/revoked/<realm>/<user> */
	AUTH_SCHEMA_NKEYS
};

/*
 * Key k of realm (rlen bytes), and of user (ulen bytes) for the two kinds
 * that name one (user must be NULL, ulen 0, for the others), into out
 * with a NUL. The length, or -1: it does not fit in cap, realm or user
 * is empty or holds a NUL, or k is not a key.
 */
long auth_schema_key(char *out, size_t cap, enum auth_schema_key k,
    const char *realm, size_t rlen, const char *user, size_t ulen);
/*
 * A SCAN MATCH pattern for every key of kind k (USER_KEY or REVOKED) of
 * realm, with glob characters of the realm escaped. The length, or -1.
 */
long auth_schema_key_pattern(char *out, size_t cap, enum auth_schema_key k,
    const char *realm, size_t rlen);
/*
 * Whether key (klen bytes, from SCAN) is a key of kind k (USER_KEY or
 * REVOKED) of realm with a non-empty user: 0 with the user's offset and
 * length in *off and *ulen, or -1.
 */
int auth_schema_key_user(enum auth_schema_key k, const char *realm,
    size_t rlen, const char *key, size_t klen, size_t *off, size_t *ulen);
/*
 * "<what> <realm>" (what: one of the AUTH_SCHEMA_EV_* words; realm may be
 * AUTH_SCHEMA_EV_ALL_REALMS) into out with a NUL. The length, or -1 (it
 * does not fit, or realm is empty or holds a NUL).
 */
long auth_schema_event(char *out, size_t cap, const char *what,
    const char *realm, size_t rlen);

#endif
