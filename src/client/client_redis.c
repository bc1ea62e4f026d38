/* SPDX-License-Identifier: ISC */
/*
 * client_redis: ternctl's blocking Redis connection. With ternd's parsed
 * redis-userdb connection string (auth_redis_conf.c), it connects over TCP
 * or a Unix socket with a timeout, authenticates and selects the database,
 * and runs commands and MULTI/EXEC transactions. The keys themselves are in
 * client_redis_data.c, their names in src/auth/auth_schema.h. Commands go
 * only through redisCommandArgv with explicit lengths, never a format
 * string built from input; every reply type is checked; error replies are
 * reported without echoing arguments, so neither a password nor a secret
 * reaches a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "client/client.h"
#include "auth/auth_redis.h"
#include "client/client_redis_int.h"
#include "util/crypto.h"

void
client_redis_err(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* Strict decimal of n bytes in [min, max]. 0 or -1. */
int
client_redis_parse_long(const char *s, size_t n, long min, long max, long *out)
{
	char buf[24], *end;
	long v;

	if (n == 0 || n >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* ---- commands ---- */

/* Maps a Redis error reply to a message without echoing arguments. */
static void
client_redis_reply_error(struct client_redis *r, const redisReply *rep,
    char *err, size_t errcap)
{
	const char *s = rep->str != NULL ? rep->str : "";
	size_t i, n = rep->len < 120 ? rep->len : 120;
	char text[128];

	if (strncmp(s, "WRONGPASS", 9) == 0 ||
	    strncmp(s, "ERR invalid password", 20) == 0 ||
	    strncmp(s, "ERR invalid username-password", 29) == 0) {
		client_redis_err(err, errcap, "Redis refused the password");
		return;
	}
	if (strncmp(s, "NOAUTH", 6) == 0) {
		client_redis_err(err, errcap, "Redis at %s wants a password "
		    "(--redis-password-file)", r->where);
		return;
	}
	for (i = 0; i < n; i++) {	/* Redis's text, kept printable */
		text[i] = '?';
		if (s[i] >= ' ' && s[i] < 0x7f)
			text[i] = s[i];
	}
	text[n] = '\0';
	client_redis_err(err, errcap, "Redis at %s answered: %s", r->where,
	    text);
}

static void
client_redis_lost(const struct client_redis *r, char *err, size_t errcap)
{
	client_redis_err(err, errcap, "lost the connection to Redis at %s: %s",
	    r->where, r->ctx->errstr[0] != '\0' ? r->ctx->errstr : "no reply");
}

/* Runs one command. The reply, or NULL with err set (also for an error
 * reply). Free with freeReplyObject(). */
redisReply *
client_redis_cmd(struct client_redis *r, int argc, const char **argv,
    const size_t *len, char *err, size_t errcap)
{
	redisReply *rep;

	if ((rep = redisCommandArgv(r->ctx, argc, argv, len)) == NULL) {
		client_redis_lost(r, err, errcap);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		client_redis_reply_error(r, rep, err, errcap);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* A command of NUL-terminated strings (no secrets). */
redisReply *
client_redis_cmdv(struct client_redis *r, char *err, size_t errcap, int argc,
    ...)
{
	const char *argv[CLIENT_REDIS_TX_ARGS + 4];
	size_t len[CLIENT_REDIS_TX_ARGS + 4];
	va_list ap;
	int i;

	if (argc > (int)(sizeof(argv) / sizeof(argv[0]))) {
		client_redis_err(err, errcap, "too many arguments");
		return NULL;
	}
	va_start(ap, argc);
	for (i = 0; i < argc; i++) {
		argv[i] = va_arg(ap, const char *);
		len[i] = strlen(argv[i]);
	}
	va_end(ap);
	return client_redis_cmd(r, argc, argv, len, err, errcap);
}

void
client_redis_reply_wipe_free(redisReply *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	if (rep->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < rep->elements; i++)
			if (rep->element[i]->str != NULL)
				crypto_wipe(rep->element[i]->str,
				    rep->element[i]->len);
	if (rep->str != NULL)
		crypto_wipe(rep->str, rep->len);
	freeReplyObject(rep);
}

/* Starts a command in tx with its first argument. */
void
client_redis_tx_cmd(struct client_redis_tx *tx, const char *name)
{
	if (tx->n == CLIENT_REDIS_TX_MAX) {
		tx->full = true;
		return;
	}
	tx->argc[tx->n] = 1;
	tx->argv[tx->n][0] = name;
	tx->len[tx->n][0] = strlen(name);
	tx->n++;
}

void
client_redis_tx_arg(struct client_redis_tx *tx, const void *p, size_t len)
{
	size_t i = tx->n - 1;

	if (tx->full || tx->n == 0 || tx->argc[i] == CLIENT_REDIS_TX_ARGS) {
		tx->full = true;
		return;
	}
	tx->argv[i][tx->argc[i]] = p;
	tx->len[i][tx->argc[i]++] = len;
}

void
client_redis_tx_str(struct client_redis_tx *tx, const char *s)
{
	client_redis_tx_arg(tx, s, strlen(s));
}

void
client_redis_tx_num(struct client_redis_tx *tx, uint64_t v)
{
	int n;

	if (tx->n == 0)
		return;
	n = snprintf(tx->num[tx->n - 1], sizeof(tx->num[0]), "%llu",
	    (unsigned long long)v);
	client_redis_tx_arg(tx, tx->num[tx->n - 1], (size_t)n);
}

/* Reads one pipelined reply. The reply, or NULL with err set. */
static redisReply *
client_redis_tx_reply(struct client_redis *r, char *err, size_t errcap)
{
	void *rep = NULL;

	if (redisGetReply(r->ctx, &rep) != REDIS_OK || rep == NULL) {
		client_redis_lost(r, err, errcap);
		return NULL;
	}
	return rep;
}

/* Checks one reply of a transaction: i-th of n queued commands + 2. */
static int
client_redis_tx_check(struct client_redis *r, const redisReply *rep, size_t i,
    size_t n, char *err, size_t errcap)
{
	size_t k;

	if (rep->type == REDIS_REPLY_ERROR) {
		client_redis_reply_error(r, rep, err, errcap);
		return -1;
	}
	if (i <= n) {	/* MULTI: +OK, each command: +QUEUED */
		if (rep->type == REDIS_REPLY_STATUS)
			return 0;
		client_redis_err(err, errcap, "unexpected reply to MULTI");
		return -1;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) {
		client_redis_err(err, errcap, "the transaction was not "
		    "applied");
		return -1;
	}
	for (k = 0; k < n; k++) {	/* EXEC: one reply per command */
		if (rep->element[k]->type == REDIS_REPLY_ERROR) {
			client_redis_reply_error(r, rep->element[k], err,
			    errcap);
			return -1;
		}
	}
	return 0;
}

/*
 * MULTI, the commands, EXEC, pipelined. Every reply is read (the
 * connection stays in step) and the first problem reported.
 */
int
client_redis_tx_exec(struct client_redis *r, struct client_redis_tx *tx,
    char *err, size_t errcap)
{
	static const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	static const size_t mlen[] = { 5 }, elen[] = { 4 };
	redisReply *rep;
	size_t i;
	int rv = 0;

	if (tx->full) {
		client_redis_err(err, errcap, "too many changes at once");
		return -1;
	}
	if (redisAppendCommandArgv(r->ctx, 1, multi, mlen) != REDIS_OK)
		goto oom;
	for (i = 0; i < tx->n; i++)
		if (redisAppendCommandArgv(r->ctx, tx->argc[i], tx->argv[i],
		    tx->len[i]) != REDIS_OK)
			goto oom;
	if (redisAppendCommandArgv(r->ctx, 1, exec, elen) != REDIS_OK)
		goto oom;
	for (i = 0; i < tx->n + 2; i++) {
		if ((rep = client_redis_tx_reply(r, err, errcap)) == NULL)
			return -1;
		if (rv == 0)
			rv = client_redis_tx_check(r, rep, i, tx->n, err,
			    errcap);
		freeReplyObject(rep);
	}
	return rv;
oom:
	/* nothing was sent (hiredis writes in redisGetReply); the caller
	 * drops the connection */
	client_redis_err(err, errcap, "out of memory");
	return -1;
}

/* Queues PUBLISH of "<what> <realm>" on the events channel; ev must
 * outlive tx. */
void
client_redis_tx_publish(struct client_redis_tx *tx, char *ev, size_t cap,
    const char *what, const char *realm)
{
	long n = auth_schema_event(ev, cap, what, realm, strlen(realm));

	if (n < 0) {
		tx->full = true;	/* the caller checked the realm first */
		return;
	}
	client_redis_tx_cmd(tx, "PUBLISH");
	client_redis_tx_str(tx, AUTH_SCHEMA_EVENTS);
	client_redis_tx_arg(tx, ev, (size_t)n);
}

/* ---- connecting ---- */

/* AUTH [user] password, then SELECT db. 0 or -1. */
static int
client_redis_login(struct client_redis *r, const struct auth_redis_conf *c,
    char *err, size_t errcap)
{
	redisReply *rep;
	char db[16];

	if (c->password[0] != '\0') {
		rep = c->user[0] != '\0' ?
		    client_redis_cmdv(r, err, errcap, 3, "AUTH", c->user,
		    c->password) :
		    client_redis_cmdv(r, err, errcap, 2, "AUTH", c->password);
		if (rep == NULL)
			return -1;
		freeReplyObject(rep);
	}
	snprintf(db, sizeof(db), "%u", c->dbname);
	if ((rep = client_redis_cmdv(r, err, errcap, 2, "SELECT", db)) == NULL)
		return -1;	/* also the first command without AUTH */
	freeReplyObject(rep);
	return 0;
}

int
client_redis_open(struct client_redis **out, const struct auth_redis_conf *c,
    char *err, size_t errcap)
{
	struct timeval tv = { .tv_sec = c->connect_timeout };
	struct client_redis *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		return -1;
	}
	if (c->unix_path[0] != '\0') {
		snprintf(r->where, sizeof(r->where), "%s", c->unix_path);
		r->ctx = redisConnectUnixWithTimeout(c->unix_path, tv);
	} else {
		snprintf(r->where, sizeof(r->where), strchr(c->host, ':') ?
		    "[%s]:%u" : "%s:%u", c->host, c->port);
		r->ctx = redisConnectWithTimeout(c->host, c->port, tv);
	}
	if (r->ctx == NULL || r->ctx->err != 0) {
		client_redis_err(err, errcap, "cannot reach Redis at %s: %s",
		    r->where, r->ctx != NULL ? r->ctx->errstr :
		    "out of memory");
		goto fail;
	}
	if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		client_redis_err(err, errcap, "cannot set a timeout on the "
		    "connection to Redis");
		goto fail;
	}
	if (client_redis_login(r, c, err, errcap) == -1)
		goto fail;
	*out = r;
	return 0;
fail:
	client_redis_free(r);
	return -1;
}

void
client_redis_free(struct client_redis *r)
{
	if (r == NULL)
		return;
	if (r->ctx != NULL)
		redisFree(r->ctx);
	free(r);
}

