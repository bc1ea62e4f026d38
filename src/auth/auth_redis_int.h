/* SPDX-License-Identifier: ISC */
/*
 * auth_redis_int: what the two halves of the Redis client share. Only
 * auth_redis.c (connections, commands, events, key lookups) and
 * auth_redis_load.c (the snapshot load) include it; together they are
 * ternd's one hiredis user (auth_redis.h).
 */
#ifndef TERN_AUTH_REDIS_INT_H
#define TERN_AUTH_REDIS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "auth/auth_redis.h"
#include "auth/auth_schema.h"

#define AR_WATCH_MS	100
#define AR_SCAN_COUNT	"1000"

struct auth_redis;

struct ar_conn {
	struct auth_redis *r;
	redisAsyncContext *ac;
	const char *name;	/* "cmd" or "sub", for the log */
	bool is_sub;
	bool connected;
	bool timed_out;		/* aborting for a command timeout */
	uint64_t since_ms;	/* connect start, or the last reply */
	unsigned outstanding;	/* replies owed (cmd only) */
	unsigned backoff_ms;
	struct event *retry;
};

struct ar_load;

struct auth_redis {
	struct event_base *base;
	struct auth_redis_conf conf;
	char realm[128];
	size_t realm_len;
	struct auth_redis_opts o;
	struct ar_conn cmd, sub;
	struct event *watch;
	struct event *next_load;
	struct ar_load *load;		/* running, or NULL */
	bool load_again;
	bool closing;
	struct auth_redis_stats st;
};

struct ar_load {
	struct auth_redis *r;
	unsigned pending;
	bool failed;
	uint64_t now;			/* Unix seconds at the start */
	struct auth_redis_snap *snap;
	struct auth_redis_str *raw;	/* secrets before the expiry filter */
	size_t nraw;
	char (*fp)[17];			/* secret-expires fingerprints */
	uint64_t *fp_until;
	size_t nfp;
	char pattern[AUTH_SCHEMA_PATTERN_MAX];	/* SCAN MATCH */
};

struct ar_ttl {
	struct ar_load *l;
	struct auth_redis_str user;
};

struct ar_lookup {
	struct auth_redis *r;
	void *cookie;
};

/* One command in flight: its own callback and when it was sent. */
struct ar_cmd {
	struct ar_conn *c;
	redisCallbackFn *fn;
	void *priv;
	uint64_t sent_ns;
};


struct timeval ar_tv(uint64_t ms);
long ar_key(const struct auth_redis *r, char *out, size_t cap,
    enum auth_schema_key k, const uint8_t *user, size_t ulen);
int ar_send(struct ar_conn *c, redisCallbackFn *fn, void *priv, int argc,
    const char **argv, const size_t *lens);
void ar_progress(redisAsyncContext *ac, const void *reply);
bool ar_is_str(const redisReply *rep);
void ar_next_load_cb(evutil_socket_t fd, short what, void *arg);
uint64_t ar_now_ms(void);

#endif
