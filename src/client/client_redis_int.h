/* SPDX-License-Identifier: ISC */
/*
 * client_redis_int: shared by client_redis.c (the connection string, the
 * connection, commands and MULTI/EXEC) and client_redis_data.c (ternd's
 * keys, named by src/auth/auth_schema.h). The only files of tern's client
 * that include hiredis.
 */
#ifndef TERN_CLIENT_REDIS_INT_H
#define TERN_CLIENT_REDIS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "auth/auth_schema.h"
#include "client/client.h"

/* Commands in one MULTI/EXEC: 3 per secret pruned, and a few more. */
#define CLIENT_REDIS_TX_MAX	(3 * CLIENT_REDIS_MAX_SECRETS + 8)
#define CLIENT_REDIS_TX_ARGS	5
#define CLIENT_REDIS_SCAN_MAX	1000000		/* SCAN rounds, then give up */
#define CLIENT_REDIS_USERS_MAX	1000000

struct client_redis {
	redisContext *ctx;
	char where[128 + CLIENT_HOST_MAX + 8];	/* messages */
};

/* One MULTI/EXEC. Arguments are borrowed until exec; numbers live in num. */
struct client_redis_tx {
	size_t n;
	int argc[CLIENT_REDIS_TX_MAX];
	const char *argv[CLIENT_REDIS_TX_MAX][CLIENT_REDIS_TX_ARGS];
	size_t len[CLIENT_REDIS_TX_MAX][CLIENT_REDIS_TX_ARGS];
	char num[CLIENT_REDIS_TX_MAX][24];
	bool full;		/* too many commands or arguments: exec fails */
};

void client_redis_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Strict decimal of n bytes in [min, max]. 0 or -1. */
int client_redis_parse_long(const char *s, size_t n, long min, long max,
    long *out);

/* One command; the reply, or NULL with err set (an error reply too). */
redisReply *client_redis_cmd(struct client_redis *r, int argc,
    const char **argv, const size_t *len, char *err, size_t errcap);
/* The same with argc NUL-terminated strings (no secrets). */
redisReply *client_redis_cmdv(struct client_redis *r, char *err,
    size_t errcap, int argc, ...);
/* Wipes every string of a reply that may hold secrets, then frees it. */
void client_redis_reply_wipe_free(redisReply *rep);

void client_redis_tx_cmd(struct client_redis_tx *tx, const char *name);
void client_redis_tx_arg(struct client_redis_tx *tx, const void *p, size_t len);
void client_redis_tx_str(struct client_redis_tx *tx, const char *s);
void client_redis_tx_num(struct client_redis_tx *tx, uint64_t v);
/* Queues PUBLISH on the events channel of "<what> <realm>" (what: an
 * AUTH_SCHEMA_EV_* word); ev (cap >= AUTH_SCHEMA_EVENT_MAX) must outlive
 * tx. A realm too long for it makes tx fail. */
void client_redis_tx_publish(struct client_redis_tx *tx, char *ev, size_t cap,
    const char *what, const char *realm);
/* Sends MULTI, the commands, EXEC; checks every reply. 0 or -1. */
int client_redis_tx_exec(struct client_redis *r, struct client_redis_tx *tx,
    char *err, size_t errcap);

#endif
