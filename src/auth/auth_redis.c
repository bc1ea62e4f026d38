/* SPDX-License-Identifier: ISC */
/*
 * The Redis client: hiredis (0.14 asynchronous API) on the main thread's
 * libevent base. With auth_redis_load.c (the snapshot load), the only
 * code of ternd that includes hiredis; auth_redis_int.h is theirs. Key
 * names and event messages: auth_schema.h.
 *
 * Two connections: `cmd` carries AUTH, SELECT, the snapshot loads and the
 * user-key lookups; `sub` carries AUTH, SELECT and SUBSCRIBE to the
 * events channel (AUTH_SCHEMA_EVENTS).
 * hiredis 0.14 has no connect or command timeout of its own for
 * asynchronous contexts, so a watchdog (every 100 ms) aborts a connection
 * that has not connected within connect_timeout, or that owes replies and
 * has not answered anything within command_timeout (DEBUG SLEEP, a hung
 * server, a black-holed network). Aborting runs every pending callback
 * with a NULL reply: a load then fails (the last snapshot stays) and a
 * lookup answers UNAVAILABLE. Each connection reconnects on its own with
 * exponential backoff, 100 ms doubling to 5 s, reset by an answer (a hung
 * server still completes TCP handshakes). Every command but SUBSCRIBE
 * goes through a small wrapper (struct ar_cmd) that remembers when it was
 * sent, so that its round trip can be reported (on_latency, which ternd
 * turns into tern_redis_command_seconds).
 *
 * A load (auth_redis_load.c): SMEMBERS of the secrets and the two rule
 * sets, HGETALL secret-expires, GET of the two quotas, SCAN MATCH of the
 * realm's revocation keys and TTL of each key found, all pipelined; it
 * completes when every reply has arrived and is delivered only if every
 * reply had the expected type
 * (a value that is merely malformed, such as a quota that is not a
 * number, is skipped and logged instead). The pure helpers (expiry
 * filter, event parsing) are in auth_redis_conf.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "auth/auth_redis.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#include "auth/auth_redis_int.h"

static struct log_ratelimit ar_rl = LOG_RATELIMIT_INIT(5, 60);

uint64_t
ar_now_ms(void)
{
	return clock_mono_ms();
}


struct timeval
ar_tv(uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
	    .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* Key k of our realm (and of user for the kinds that name one) into out;
 * length or -1. */
long
ar_key(const struct auth_redis *r, char *out, size_t cap,
    enum auth_schema_key k, const uint8_t *user, size_t ulen)
{
	return auth_schema_key(out, cap, k, r->realm, r->realm_len,
	    (const char *)user, ulen);
}

/* One command on conn, unwrapped (SUBSCRIBE). 0 or -1 (not sent). */
static int
ar_send_raw(struct ar_conn *c, redisCallbackFn *fn, void *priv, int argc,
    const char **argv, const size_t *lens)
{
	if (c->ac == NULL || !c->connected)
		return -1;
	if (redisAsyncCommandArgv(c->ac, fn, priv, argc, argv, lens) !=
	    REDIS_OK)
		return -1;
	if (c->outstanding++ == 0)
		c->since_ms = ar_now_ms();
	return 0;
}

/*
 * Every wrapped reply, a NULL one included (an abort), comes here first.
 * hiredis runs each command's callback exactly once, so the wrapper is
 * freed here.
 */
static void
ar_cmd_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_cmd *k = priv;
	struct ar_conn *c = k->c;
	struct auth_redis *r = c->r;
	redisCallbackFn *fn = k->fn;
	void *fpriv = k->priv;
	uint64_t ns = clock_mono_ns() - k->sent_ns;

	free(k);
	/* A lost connection answers at once and says nothing of Redis's
	 * speed; a command timeout does (the slow end of the histogram). */
	if (r->o.on_latency != NULL && !r->closing &&
	    (reply != NULL || c->timed_out))
		r->o.on_latency(r->o.arg, (double)ns / 1e9);
	fn(ac, reply, fpriv);
}

/* One command on conn; the callback gets priv. 0 or -1 (not sent). */
int
ar_send(struct ar_conn *c, redisCallbackFn *fn, void *priv, int argc,
    const char **argv, const size_t *lens)
{
	struct ar_cmd *k;

	if (c->ac == NULL || !c->connected ||
	    (k = malloc(sizeof(*k))) == NULL)
		return -1;
	k->c = c;
	k->fn = fn;
	k->priv = priv;
	k->sent_ns = clock_mono_ns();
	if (ar_send_raw(c, ar_cmd_cb, k, argc, argv, lens) == -1) {
		free(k);	/* hiredis never calls back a refused command */
		return -1;
	}
	return 0;
}

/* Every reply callback on cmd starts here. reply is NULL when hiredis
 * flushes the callbacks of a connection it is tearing down. */
void
ar_progress(redisAsyncContext *ac, const void *reply)
{
	struct ar_conn *c = ac->data;

	if (c == NULL)
		return;
	if (c->outstanding > 0)
		c->outstanding--;
	c->since_ms = ar_now_ms();
	/* A server that answers, not one that merely accepts, ends the
	 * backoff (a hung Redis still completes TCP handshakes); the
	 * flushed callbacks of an aborted connection are no answer, so a
	 * server that keeps timing out is retried ever more slowly. */
	if (reply != NULL)
		c->backoff_ms = AUTH_REDIS_BACKOFF_MIN_MS;
}

static void
ar_key_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_lookup *q = priv;
	struct auth_redis *r = q->r;
	const redisReply *rep = reply;
	enum auth_redis_key_result res = AUTH_REDIS_KEY_UNAVAILABLE;
	uint8_t key[16];

	ar_progress(ac, reply);
	memset(key, 0, sizeof(key));
	if (rep != NULL && rep->type == REDIS_REPLY_NIL)
		res = AUTH_REDIS_KEY_UNKNOWN;
	else if (rep != NULL && ar_is_str(rep)) {
		res = AUTH_REDIS_KEY_UNKNOWN;
		if (auth_redis_key_decode(rep->str, (size_t)rep->len, key) == 0)
			res = AUTH_REDIS_KEY_FOUND;
		else
			r->st.bad_replies++;
	}
	if (res == AUTH_REDIS_KEY_UNAVAILABLE)
		r->st.lookup_failures++;
	r->o.on_key(r->o.arg, q->cookie, res, key);
	crypto_wipe(key, sizeof(key));
	free(q);
}

void
auth_redis_key_get(struct auth_redis *r, const uint8_t *user, size_t len,
    void *cookie)
{
	char key[AUTH_SCHEMA_KEY_MAX];
	const char *argv[2] = { "GET", key };
	size_t lens[2] = { 3, 0 };
	struct ar_lookup *q = NULL;
	long kl;

	r->st.lookups++;
	if (len == 0 || memchr(user, '\0', len) != NULL) {
		/* No key names an empty user or one with a NUL
		 * (auth_schema.h): no such user. */
		r->o.on_key(r->o.arg, cookie, AUTH_REDIS_KEY_UNKNOWN, NULL);
		return;
	}
	kl = ar_key(r, key, sizeof(key), AUTH_SCHEMA_USER_KEY, user, len);
	if (kl < 0 || r->closing)
		goto fail;
	lens[1] = (size_t)kl;
	if ((q = malloc(sizeof(*q))) == NULL)
		goto fail;
	q->r = r;
	q->cookie = cookie;
	if (ar_send(&r->cmd, ar_key_cb, q, 2, argv, lens) == -1)
		goto fail;
	return;
fail:
	free(q);
	r->st.lookup_failures++;
	r->o.on_key(r->o.arg, cookie, AUTH_REDIS_KEY_UNAVAILABLE, NULL);
}

/* ---- connections and events ---- */

static void ar_conn_open(struct ar_conn *c);

/* The connection is gone (hiredis frees it): try again later. */
static void
ar_conn_lost(struct ar_conn *c, const char *why)
{
	struct auth_redis *r = c->r;
	struct timeval tv;

	c->ac = NULL;
	c->outstanding = 0;
	if (c->connected)
		r->st.disconnects++;
	c->connected = false;
	r->st.up = r->cmd.connected;
	if (r->closing || event_pending(c->retry, EV_TIMEOUT, NULL))
		return;
	log_rl(&ar_rl, LOG_LVL_WARN, "redis_down",
	    "conn=%s reason=\"%s\" retry_ms=%u disconnects=%llu", c->name, why,
	    c->backoff_ms, (unsigned long long)r->st.disconnects);
	tv = ar_tv(c->backoff_ms);
	event_add(c->retry, &tv);
	c->backoff_ms *= 2;
	if (c->backoff_ms > AUTH_REDIS_BACKOFF_MAX_MS)
		c->backoff_ms = AUTH_REDIS_BACKOFF_MAX_MS;
}

static void
ar_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct ar_conn *c = ac->data;

	(void)status;
	if (c != NULL && c->ac == ac)
		ar_conn_lost(c, "connection lost");
}

static void
ar_reply_ignore_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *rep = reply;
	struct ar_conn *c = ac->data;

	(void)priv;
	if (c != NULL && !c->is_sub)
		ar_progress(ac, rep);
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		log_rl(&ar_rl, LOG_LVL_WARN, "redis_refused",
		    "conn=%s reason=\"AUTH or SELECT refused\"",
		    c != NULL ? c->name : "?");
}

/* "<what> <realm>" on the events channel. */
static void
ar_event(struct auth_redis *r, const char *msg, size_t len)
{
	enum auth_redis_event ev;

	ev = auth_redis_event_parse(msg, len, r->realm, r->realm_len);
	if (ev == AUTH_REDIS_EV_NONE)
		return;
	r->st.events++;
	if (ev == AUTH_REDIS_EV_USER && r->o.on_user_event != NULL)
		r->o.on_user_event(r->o.arg);
	auth_redis_reload(r);
}

static void
ar_sub_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_conn *c = ac->data;
	const redisReply *rep = reply;

	(void)priv;
	if (c == NULL || rep == NULL || c->r->closing)
		return;
	c->backoff_ms = AUTH_REDIS_BACKOFF_MIN_MS;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
	    !ar_is_str(rep->element[0]) || !ar_is_str(rep->element[2])) {
		c->r->st.bad_replies++;
		return;
	}
	if (rep->element[0]->len == 7 &&
	    memcmp(rep->element[0]->str, "message", 7) == 0)
		ar_event(c->r, rep->element[2]->str,
		    (size_t)rep->element[2]->len);
}

/* AUTH and SELECT: the first commands on either connection. */
static void
ar_conn_hello(struct ar_conn *c)
{
	const struct auth_redis_conf *k = &c->r->conf;
	const char *argv[3];
	size_t lens[3];
	char db[16];
	int n = 0;

	if (k->password[0] != '\0') {
		argv[n] = "AUTH";
		lens[n++] = 4;
		if (k->user[0] != '\0') {
			argv[n] = k->user;
			lens[n] = strlen(k->user);
			n++;
		}
		argv[n] = k->password;
		lens[n] = strlen(k->password);
		n++;
		(void)ar_send(c, ar_reply_ignore_cb, NULL, n, argv, lens);
	}
	if (k->dbname != 0) {
		snprintf(db, sizeof(db), "%u", k->dbname);
		argv[0] = "SELECT";
		lens[0] = 6;
		argv[1] = db;
		lens[1] = strlen(db);
		(void)ar_send(c, ar_reply_ignore_cb, NULL, 2, argv, lens);
	}
}

static void
ar_connect_cb(const redisAsyncContext *ac, int status)
{
	struct ar_conn *c = ac->data;
	const char *argv[2] = { "SUBSCRIBE", AUTH_SCHEMA_EVENTS };
	size_t lens[2] = { 9, sizeof(AUTH_SCHEMA_EVENTS) - 1 };

	if (c == NULL || c->ac != ac)
		return;
	if (status != REDIS_OK) {
		ar_conn_lost(c, "connect failed");	/* hiredis frees ac */
		return;
	}
	c->connected = true;
	c->since_ms = ar_now_ms();
	c->r->st.connects++;
	log_info("redis_connected", "conn=%s", c->name);
	ar_conn_hello(c);
	if (c->is_sub) {
		/* Raw: hiredis calls it for every message, never once. */
		(void)ar_send_raw(c, ar_sub_cb, NULL, 2, argv, lens);
		c->outstanding = 0;	/* a subscription owes nothing */
		auth_redis_reload(c->r);	/* missed events while down */
		return;
	}
	c->r->st.up = true;
	auth_redis_reload(c->r);
}

static void
ar_conn_open(struct ar_conn *c)
{
	const struct auth_redis_conf *k = &c->r->conf;
	redisAsyncContext *ac;

	if (k->unix_path[0] != '\0')
		ac = redisAsyncConnectUnix(k->unix_path);
	else
		ac = redisAsyncConnect(k->host, k->port);
	if (ac == NULL || ac->err != 0) {
		if (ac != NULL)
			redisAsyncFree(ac);
		c->ac = NULL;
		ar_conn_lost(c, "connect failed");
		return;
	}
	ac->data = c;
	c->ac = ac;
	c->since_ms = ar_now_ms();
	if (redisLibeventAttach(ac, c->r->base) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, ar_connect_cb) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, ar_disconnect_cb) != REDIS_OK) {
		c->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		ar_conn_lost(c, "cannot attach");
	}
}

/* Aborts a connection: every pending callback runs with a NULL reply. */
static void
ar_conn_abort(struct ar_conn *c, const char *why)
{
	redisAsyncContext *ac = c->ac;

	if (ac == NULL)
		return;
	c->ac = NULL;		/* no new commands from the callbacks */
	ar_conn_lost(c, why);
	redisAsyncFree(ac);
}

static void
ar_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ar_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->ac == NULL && !c->r->closing)
		ar_conn_open(c);
}

static void
ar_watch_conn(struct ar_conn *c, uint64_t now)
{
	const struct auth_redis *r = c->r;

	if (c->ac == NULL)
		return;
	if (!c->connected &&
	    now - c->since_ms > (uint64_t)r->conf.connect_timeout * 1000)
		ar_conn_abort(c, "connect timeout");
	else if (c->connected && c->outstanding > 0 &&
	    now - c->since_ms > r->o.command_timeout_ms) {
		/* The aborted commands' waits are their latencies. */
		c->timed_out = true;
		ar_conn_abort(c, "command timeout");
		c->timed_out = false;
	}
}

static void
ar_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_redis *r = arg;
	uint64_t now = ar_now_ms();

	(void)fd;
	(void)what;
	ar_watch_conn(&r->cmd, now);
	ar_watch_conn(&r->sub, now);
}

static int
ar_conn_init(struct auth_redis *r, struct ar_conn *c, const char *name,
    bool is_sub)
{
	c->r = r;
	c->name = name;
	c->is_sub = is_sub;
	c->backoff_ms = AUTH_REDIS_BACKOFF_MIN_MS;
	c->retry = evtimer_new(r->base, ar_retry_cb, c);
	return c->retry == NULL ? -1 : 0;
}

struct auth_redis *
auth_redis_new(struct event_base *base, const struct auth_redis_opts *o)
{
	struct auth_redis *r;
	struct timeval tv = ar_tv(AR_WATCH_MS);
	size_t rl = strlen(o->realm);

	if (rl == 0 || rl >= sizeof(r->realm) || o->on_snapshot == NULL ||
	    o->on_key == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base = base;
	r->o = *o;
	r->conf = *o->conf;
	r->o.conf = &r->conf;
	memcpy(r->realm, o->realm, rl + 1);
	r->realm_len = rl;
	r->o.realm = r->realm;
	r->watch = event_new(base, -1, EV_PERSIST, ar_watch_cb, r);
	r->next_load = evtimer_new(base, ar_next_load_cb, r);
	if (r->watch == NULL || r->next_load == NULL ||
	    event_add(r->watch, &tv) == -1 ||
	    ar_conn_init(r, &r->cmd, "cmd", false) == -1 ||
	    ar_conn_init(r, &r->sub, "sub", true) == -1) {
		auth_redis_free(r);
		return NULL;
	}
	ar_conn_open(&r->cmd);
	ar_conn_open(&r->sub);
	return r;
}

void
auth_redis_free(struct auth_redis *r)
{
	if (r == NULL)
		return;
	r->closing = true;
	ar_conn_abort(&r->cmd, "closing");
	ar_conn_abort(&r->sub, "closing");
	if (r->cmd.retry != NULL)
		event_free(r->cmd.retry);
	if (r->sub.retry != NULL)
		event_free(r->sub.retry);
	if (r->watch != NULL)
		event_free(r->watch);
	if (r->next_load != NULL)
		event_free(r->next_load);
	auth_redis_conf_clear(&r->conf);
	free(r);
}

void
auth_redis_stats(const struct auth_redis *r, struct auth_redis_stats *st)
{
	*st = r->st;
}
