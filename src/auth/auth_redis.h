/* SPDX-License-Identifier: ISC */
/*
 * auth_redis: Redis as the source of REST secrets, long-term user keys,
 * peer rules, quotas and revocations shared by a fleet, never on the
 * packet path: workers only ever see an immutable snapshot and cached
 * user keys, and Redis being slow or down never delays a packet.
 *
 * Two parts:
 *  - auth_redis_conf.c (pure, in the core library): coturn's connection
 *    string for `redis-userdb`,
 *      ip=127.0.0.1 port=6379 dbname=0 password=... connect_timeout=30
 *    with host= as a synonym of ip=, user= (a Redis 6 ACL user) and
 *    unix=/path/to/socket. Fuzzed.
 *  - auth_redis.c and auth_redis_load.c (the net library; the ONLY ternd
 *    files that include hiredis): an asynchronous client on the main
 *    thread's event_base. It keeps two connections (commands, and
 *    SUBSCRIBE to the events channel), AUTH and SELECT on each,
 *    reconnects with exponential backoff (100 ms .. 5 s), loads a
 *    snapshot at start, every `interval` and at once on an event for our
 *    realm, and answers user-key lookups (GET) through a callback.
 *
 * The keys it reads, their types and the event messages are those of
 * src/auth/auth_schema.h (coturn's names where coturn has the key), which
 * ternctl writes through the same functions.
 *
 * What it must not do: block (every command is asynchronous, with a
 * deadline), run on a worker's thread, build a command with a format
 * string other than a constant one (redisAsyncCommandArgv only), send
 * KEYS or SAVE, trust a reply's type, or log a secret or the password.
 * A load that fails leaves the last snapshot in force: the caller is only
 * told about complete loads.
 */
#ifndef TERN_AUTH_REDIS_H
#define TERN_AUTH_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* ---- the connection string (auth_redis_conf.c) ---- */

#define AUTH_REDIS_HOST_MAX	255
#define AUTH_REDIS_PATH_MAX	107	/* sun_path less the NUL */
#define AUTH_REDIS_PASS_MAX	511
#define AUTH_REDIS_USER_MAX	255
#define AUTH_REDIS_CONNECT_TIMEOUT 5	/* s, when the string names none */

struct auth_redis_conf {
	char host[AUTH_REDIS_HOST_MAX + 1];	/* "127.0.0.1" by default */
	char unix_path[AUTH_REDIS_PATH_MAX + 1];	/* "" = TCP */
	char user[AUTH_REDIS_USER_MAX + 1];	/* "" = AUTH password only */
	char password[AUTH_REDIS_PASS_MAX + 1];	/* secret; "" = no AUTH */
	uint16_t port;				/* 6379 */
	unsigned dbname;			/* 0 .. 65535 */
	unsigned connect_timeout;		/* s, 1 .. 3600 */
};

/*
 * Parses len bytes of "key=value key=value ..." (space or tab separated)
 * into out. Keys: ip, host, port, dbname (or db), password, user, unix,
 * connect_timeout. 0, or -1 with a static reason in *why (it never quotes
 * the input: the string holds the password). out is filled with defaults
 * first; wipe it with auth_redis_conf_clear().
 */
int auth_redis_conf_parse(const char *s, size_t len,
    struct auth_redis_conf *out, const char **why);
void auth_redis_conf_clear(struct auth_redis_conf *c);

/* ---- the snapshot a load produces ---- */

struct auth_redis_str {
	uint8_t *p;		/* owned; NUL-terminated for convenience */
	size_t len;
};

struct auth_redis_revoked {
	struct auth_redis_str user;
	uint64_t until;		/* Unix seconds: now + remaining TTL */
};

struct auth_redis_snap {
	struct auth_redis_str *secrets;	/* not expired at load time */
	size_t nsecrets;
	uint64_t next_expiry;		/* earliest future secret-expires, 0 */
	struct auth_redis_str *allow;	/* allowed-peer-ip members, raw */
	size_t nallow;
	struct auth_redis_str *deny;	/* denied-peer-ip members, raw */
	size_t ndeny;
	bool has_user_quota, has_total_quota, has_max_bps;
	uint32_t user_quota, total_quota;
	uint64_t max_bps;		/* turn/realm/<realm>/max-bps */
	struct auth_redis_revoked *revoked;
	size_t nrevoked;
};

/* Frees (secrets wiped). NULL is a no-op. */
void auth_redis_snap_free(struct auth_redis_snap *s);
/* Same secrets, rules, quotas and revoked users (their `until` aside). */
bool auth_redis_snap_equal(const struct auth_redis_snap *a,
    const struct auth_redis_snap *b);
/* First 16 hex characters of SHA-256(secret), and NUL. */
void auth_redis_fingerprint(const void *secret, size_t len, char out[17]);
/* A glob pattern matching exactly the bytes of s (\ before * ? [ ] \),
 * NUL-terminated. The length written, or -1 if cap is too small. */
long auth_redis_glob_escape(const void *s, size_t len, char *out,
    size_t cap);
/* Hex MD5 key (32 hex digits, either case) to 16 bytes. 0 or -1. */
int auth_redis_key_decode(const void *hex, size_t len, uint8_t key[16]);
/* 1..19 ASCII digits. 0 or -1. */
int auth_redis_u64_parse(const char *s, size_t len, uint64_t *out);
/* prefix + realm + mid (midlen bytes, any) + suffix + NUL into out. The
 * length, or -1 if it does not fit. Plain concatenation: tern's key names
 * are built by auth_schema_key() (auth_schema.h). */
long auth_redis_key_build(char *out, size_t cap, const char *prefix,
    const char *realm, size_t rlen, const void *mid, size_t midlen,
    const char *suffix);
/*
 * Moves the members of a secret SET (raw, sorted here) into s->secrets,
 * leaving out those whose fingerprint has a secret-expires entry (fps,
 * until; nfp of them) at or before now, empty ones, and any beyond
 * AUTH_REDIS_MAX_SECRETS; sets s->next_expiry to the earliest future
 * entry. Moved entries are emptied in raw. 0 or -1 (no memory).
 */
int auth_redis_secrets_filter(struct auth_redis_str *raw, size_t nraw,
    const char (*fps)[17], const uint64_t *until, size_t nfp, uint64_t now,
    struct auth_redis_snap *s);
/* Sorts s->revoked by name (so that snapshots compare). */
void auth_redis_revoked_sort(struct auth_redis_snap *s);

/* An events message (auth_schema.h): "<what> <realm>", realm "*": every
 * realm. */
enum auth_redis_event {
	AUTH_REDIS_EV_NONE = 0,		/* another realm, or not understood */
	AUTH_REDIS_EV_SECRET,
	AUTH_REDIS_EV_USER,
	AUTH_REDIS_EV_REVOKE,
	AUTH_REDIS_EV_UNREVOKE,
	AUTH_REDIS_EV_RULES,
};
enum auth_redis_event auth_redis_event_parse(const char *msg, size_t len,
    const char *realm, size_t rlen);

/* ---- the client (auth_redis.c) ---- */

#define AUTH_REDIS_MAX_SECRETS	16	/* AUTH_MAX_SECRETS */
#define AUTH_REDIS_MAX_RULES	1024	/* per set */
#define AUTH_REDIS_MAX_REVOKED	AUTH_MAX_REVOKED	/* per snapshot */
#define AUTH_REDIS_BACKOFF_MIN_MS 100
#define AUTH_REDIS_BACKOFF_MAX_MS 5000

enum auth_redis_key_result {
	AUTH_REDIS_KEY_FOUND = 0,
	AUTH_REDIS_KEY_UNKNOWN,		/* no such key (or not 32 hex) */
	AUTH_REDIS_KEY_UNAVAILABLE,	/* down, timed out, bad reply */
};

struct auth_redis_opts {
	const struct auth_redis_conf *conf;	/* copied */
	const char *realm;			/* copied */
	unsigned interval_ms;			/* snapshot period */
	unsigned command_timeout_ms;		/* per load or lookup */
	/* A complete load (main thread). snap is the caller's to free. */
	void (*on_snapshot)(void *arg, struct auth_redis_snap *snap);
	/* An event named `user` for our realm: drop cached user keys. */
	void (*on_user_event)(void *arg);
	/* A lookup's answer; key is set when FOUND. */
	void (*on_key)(void *arg, void *cookie, enum auth_redis_key_result res,
	    const uint8_t key[16]);
	/* Optional (NULL: not measured). Each command's round trip in
	 * seconds, from the send to its reply, or to the command timeout
	 * that aborted it; not called for a connection lost otherwise, nor
	 * while closing, nor for SUBSCRIBE (whose answers never end). */
	void (*on_latency)(void *arg, double seconds);
	void *arg;
};

struct event_base;
struct auth_redis;

/* Starts connecting at once (never blocks). NULL on no memory. */
struct auth_redis *auth_redis_new(struct event_base *base,
    const struct auth_redis_opts *o);
/* Closes both connections; pending lookups get UNAVAILABLE. NULL: no-op. */
void auth_redis_free(struct auth_redis *r);
/* Starts a load now (one at a time; a load running absorbs the request). */
void auth_redis_reload(struct auth_redis *r);
/*
 * GET of the user's key (AUTH_SCHEMA_USER_KEY); on_key(cookie) is called
 * exactly once, possibly before this returns (UNAVAILABLE when down;
 * UNKNOWN at once for a name no key can have: empty, or with a NUL).
 */
void auth_redis_key_get(struct auth_redis *r, const uint8_t *user,
    size_t len, void *cookie);
/* Counters for metrics and tests. */
struct auth_redis_stats {
	uint64_t connects, disconnects, loads, load_failures, events;
	uint64_t lookups, lookup_failures, bad_replies;
	bool up;
};
void auth_redis_stats(const struct auth_redis *r, struct auth_redis_stats *st);

#endif
