/* SPDX-License-Identifier: ISC */
/*
 * auth_redis_load: one snapshot load, pipelined on the command connection:
 * SMEMBERS of the secrets and the two rule sets, HGETALL secret-expires,
 * GET of the two quotas, SCAN MATCH of the realm's revocation keys with
 * the TTL of each key found (names: auth_schema.h). It completes when
 * every reply has arrived and is delivered only if every reply had the
 * expected type and no set exceeded its limit: a snapshot is loaded whole
 * or not at all, so the one in force stays whole (docs/security.md, Redis
 * under abuse). Revocations: at most AUTH_REDIS_MAX_REVOKED, the most a
 * credential set holds (auth_key.c); the TTLs are pipelined, so 100,000
 * of them cost one SCAN round trip per thousand keys.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis_int.h"
#include "util/crypto.h"
#include "util/log.h"


static struct log_ratelimit ar_load_rl = LOG_RATELIMIT_INIT(5, 60);
static struct log_ratelimit ar_why_rl = LOG_RATELIMIT_INIT(5, 60);

/* The load fails (the last snapshot stays); what, and why, logged once
 * per load, rate-limited. */
static void
ar_load_fail(struct ar_load *l, const char *what, const char *why)
{
	if (!l->failed)
		log_rl(&ar_why_rl, LOG_LVL_WARN, "redis_load_error",
		    "what=%s reason=\"%s\"", what, why);
	l->failed = true;
}

/* Why a reply is not what a load expects (never its text). */
static const char *
ar_reply_why(const redisReply *rep)
{
	if (rep == NULL)
		return "no reply (connection lost or timed out)";
	if (rep->type == REDIS_REPLY_ERROR)
		return "an error reply (a key of the wrong type?)";
	return "a reply of an unexpected type";
}

bool
ar_is_str(const redisReply *rep)
{
	return rep != NULL && rep->type == REDIS_REPLY_STRING &&
	    rep->str != NULL;
}

static int
ar_str_dup(struct auth_redis_str *s, const char *p, size_t len)
{
	if ((s->p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s->p, p, len);
	s->p[len] = '\0';
	s->len = len;
	return 0;
}

/* ---- loads ---- */

static void ar_load_done(struct ar_load *l);
static void ar_load_schedule(struct auth_redis *r, uint64_t ms);

static void
ar_load_unref(struct ar_load *l)
{
	if (--l->pending == 0)
		ar_load_done(l);
}

/* A SET's members as owned strings: 0, -1 (not a set of strings, no
 * memory) or -2 (more than max: never a part of the set). */
static int
ar_members(const redisReply *rep, size_t max, struct auth_redis_str **out,
    size_t *n)
{
	size_t i;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
		return -1;
	if (rep->elements == 0)
		return 0;
	if (rep->elements > max)
		return -2;
	if ((*out = calloc(rep->elements, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < rep->elements; i++) {
		if (!ar_is_str(rep->element[i]))
			return -1;
		if (ar_str_dup(&(*out)[*n], rep->element[i]->str,
		    (size_t)rep->element[i]->len) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

static void
ar_load_set_cb(redisAsyncContext *ac, void *reply, void *priv,
    struct auth_redis_str **out, size_t *n, size_t max, const char *what)
{
	struct ar_load *l = priv;
	int r;

	ar_progress(ac, reply);
	if ((r = ar_members(reply, max, out, n)) == -2)
		ar_load_fail(l, what, "more members than the limit");
	else if (r == -1)
		ar_load_fail(l, what, ar_reply_why(reply));
	ar_load_unref(l);
}

static void
ar_secrets_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;

	/* Read them all (expired ones too): the expiry filter keeps 16. */
	ar_load_set_cb(ac, reply, priv, &l->raw, &l->nraw,
	    AUTH_REDIS_MAX_RULES, "secret");
}

static void
ar_allow_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;

	ar_load_set_cb(ac, reply, priv, &l->snap->allow, &l->snap->nallow,
	    AUTH_REDIS_MAX_RULES, "allowed-peer-ip");
}

static void
ar_deny_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;

	ar_load_set_cb(ac, reply, priv, &l->snap->deny, &l->snap->ndeny,
	    AUTH_REDIS_MAX_RULES, "denied-peer-ip");
}

static void
ar_expires_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;
	const redisReply *rep = reply;
	size_t i, n;

	ar_progress(ac, reply);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements % 2 != 0) {
		ar_load_fail(l, "secret-expires", ar_reply_why(rep));
		goto out;
	}
	n = rep->elements / 2;
	if (n == 0)
		goto out;
	l->fp = calloc(n, sizeof(*l->fp));
	l->fp_until = calloc(n, sizeof(*l->fp_until));
	if (l->fp == NULL || l->fp_until == NULL) {
		l->failed = true;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const redisReply *k = rep->element[2 * i];
		const redisReply *v = rep->element[2 * i + 1];

		if (!ar_is_str(k) || !ar_is_str(v)) {
			l->failed = true;
			goto out;
		}
		/* A malformed entry is not a fingerprint of any secret. */
		if (k->len != 16 || auth_redis_u64_parse(v->str, (size_t)v->len,
		    &l->fp_until[l->nfp]) == -1)
			continue;
		memcpy(l->fp[l->nfp], k->str, 16);
		l->fp[l->nfp++][16] = '\0';
	}
out:
	ar_load_unref(l);
}

static void
ar_quota_cb(redisAsyncContext *ac, const redisReply *rep, struct ar_load *l,
    bool *has, uint32_t *val)
{
	uint64_t v;

	ar_progress(ac, rep);
	if (rep == NULL || (rep->type != REDIS_REPLY_NIL && !ar_is_str(rep)))
		ar_load_fail(l, "quota", ar_reply_why(rep));
	else if (rep->type == REDIS_REPLY_STRING) {
		if (auth_redis_u64_parse(rep->str, (size_t)rep->len, &v) == 0 &&
		    v <= UINT32_MAX) {
			*has = true;
			*val = (uint32_t)v;
		} else
			log_rl(&ar_load_rl, LOG_LVL_WARN, "redis_bad_value",
			    "what=quota reason=\"not an integer\"");
	}
	ar_load_unref(l);
}

static void
ar_user_quota_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;

	ar_quota_cb(ac, reply, l, &l->snap->has_user_quota,
	    &l->snap->user_quota);
}

static void
ar_total_quota_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;

	ar_quota_cb(ac, reply, l, &l->snap->has_total_quota,
	    &l->snap->total_quota);
}

/* max-bps: bytes per second, wider than a quota. */
static void
ar_max_bps_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *rep = reply;
	struct ar_load *l = priv;
	uint64_t v;

	ar_progress(ac, rep);
	if (rep == NULL || (rep->type != REDIS_REPLY_NIL && !ar_is_str(rep)))
		ar_load_fail(l, "max-bps", ar_reply_why(rep));
	else if (rep->type == REDIS_REPLY_STRING) {
		if (auth_redis_u64_parse(rep->str, (size_t)rep->len, &v) == 0) {
			l->snap->has_max_bps = true;
			l->snap->max_bps = v;
		} else
			log_rl(&ar_load_rl, LOG_LVL_WARN, "redis_bad_value",
			    "what=max-bps reason=\"not an integer\"");
	}
	ar_load_unref(l);
}

static void
ar_ttl_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_ttl *t = priv;
	struct ar_load *l = t->l;
	struct auth_redis_snap *s = l->snap;
	const redisReply *rep = reply;

	ar_progress(ac, reply);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
		ar_load_fail(l, "revoked", ar_reply_why(rep));
		goto out;
	}
	if (rep->integer == -2)
		goto out;	/* expired meanwhile */
	if (s->nrevoked >= AUTH_REDIS_MAX_REVOKED) {	/* never a part of them */
		ar_load_fail(l, "revoked", "more revocations than the limit");
		goto out;
	}
	s->revoked[s->nrevoked].user = t->user;
	/* No TTL: revoked until someone deletes the key. */
	s->revoked[s->nrevoked].until = rep->integer < 0 ? UINT64_MAX / 2 :
	    l->now + (uint64_t)rep->integer;
	s->nrevoked++;
	t->user.p = NULL;
out:
	free(t->user.p);
	free(t);
	ar_load_unref(l);
}

static int ar_scan_send(struct ar_load *l, const char *cursor, size_t clen);

/* TTL of each key found, so its `until` is known. */
static void
ar_scan_keys(struct ar_load *l, const redisReply *keys)
{
	struct auth_redis *r = l->r;
	struct auth_redis_snap *s = l->snap;
	const char *argv[2] = { "TTL", NULL };
	size_t lens[2] = { 3, 0 }, i;
	struct ar_ttl *t;
	size_t off, ulen;
	void *p;

	if (keys->elements == 0)
		return;
	p = realloc(s->revoked, (s->nrevoked + l->pending + keys->elements) *
	    sizeof(*s->revoked));
	if (p == NULL) {
		l->failed = true;
		return;
	}
	s->revoked = p;
	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (!ar_is_str(k)) {
			l->failed = true;
			return;
		}
		/* SCAN's glob is wider than our names (no user, a NUL). */
		if (auth_schema_key_user(AUTH_SCHEMA_REVOKED, r->realm,
		    r->realm_len, k->str, (size_t)k->len, &off, &ulen) == -1)
			continue;
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			l->failed = true;
			return;
		}
		t->l = l;
		if (ar_str_dup(&t->user, k->str + off, ulen) == -1) {
			free(t);
			l->failed = true;
			return;
		}
		argv[1] = k->str;
		lens[1] = (size_t)k->len;
		if (ar_send(&r->cmd, ar_ttl_cb, t, 2, argv, lens) == -1) {
			free(t->user.p);
			free(t);
			l->failed = true;
			return;
		}
		l->pending++;
	}
}

static void
ar_scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ar_load *l = priv;
	const redisReply *rep = reply, *cur, *keys;

	ar_progress(ac, reply);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2 || !ar_is_str(rep->element[0]) ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY) {
		ar_load_fail(l, "revoked", ar_reply_why(rep));
		goto out;
	}
	cur = rep->element[0];
	keys = rep->element[1];
	if (l->snap->nrevoked + l->pending + keys->elements >
	    AUTH_REDIS_MAX_REVOKED) {
		ar_load_fail(l, "revoked", "more revocations than the limit");
		goto out;
	}
	ar_scan_keys(l, keys);
	if (!l->failed && !(cur->len == 1 && cur->str[0] == '0') &&
	    ar_scan_send(l, cur->str, (size_t)cur->len) == -1)
		l->failed = true;
out:
	ar_load_unref(l);
}

static int
ar_scan_send(struct ar_load *l, const char *cursor, size_t clen)
{
	const char *argv[6] = { "SCAN", cursor, "MATCH", l->pattern, "COUNT",
	    AR_SCAN_COUNT };
	size_t lens[6] = { 4, clen, 5, strlen(l->pattern), 5,
	    sizeof(AR_SCAN_COUNT) - 1 };

	if (ar_send(&l->r->cmd, ar_scan_cb, l, 6, argv, lens) == -1)
		return -1;
	l->pending++;
	return 0;
}

/* Sends one key command of the load (cmd on key k of our realm). 0 or -1. */
static int
ar_load_cmd(struct ar_load *l, const char *cmd, enum auth_schema_key k,
    redisCallbackFn *fn)
{
	char key[AUTH_SCHEMA_KEY_MAX];
	const char *argv[2] = { cmd, key };
	size_t lens[2] = { strlen(cmd), 0 };
	long kl;

	if ((kl = ar_key(l->r, key, sizeof(key), k, NULL, 0)) < 0)
		return -1;
	lens[1] = (size_t)kl;
	if (ar_send(&l->r->cmd, fn, l, 2, argv, lens) == -1)
		return -1;
	l->pending++;
	return 0;
}

static int
ar_load_send(struct ar_load *l)
{
	if (auth_schema_key_pattern(l->pattern, sizeof(l->pattern),
	    AUTH_SCHEMA_REVOKED, l->r->realm, l->r->realm_len) < 0)
		return -1;
	if (ar_load_cmd(l, "SMEMBERS", AUTH_SCHEMA_SECRET,
	    ar_secrets_cb) == -1 ||
	    ar_load_cmd(l, "HGETALL", AUTH_SCHEMA_SECRET_EXPIRES,
	    ar_expires_cb) == -1 ||
	    ar_load_cmd(l, "SMEMBERS", AUTH_SCHEMA_ALLOWED_PEER_IP,
	    ar_allow_cb) == -1 ||
	    ar_load_cmd(l, "SMEMBERS", AUTH_SCHEMA_DENIED_PEER_IP,
	    ar_deny_cb) == -1 ||
	    ar_load_cmd(l, "GET", AUTH_SCHEMA_USER_QUOTA,
	    ar_user_quota_cb) == -1 ||
	    ar_load_cmd(l, "GET", AUTH_SCHEMA_TOTAL_QUOTA,
	    ar_total_quota_cb) == -1 ||
	    ar_load_cmd(l, "GET", AUTH_SCHEMA_MAX_BPS, ar_max_bps_cb) == -1 ||
	    ar_scan_send(l, "0", 1) == -1)
		return -1;
	return 0;
}

void
auth_redis_reload(struct auth_redis *r)
{
	struct ar_load *l;

	if (r == NULL || r->closing)
		return;
	if (r->load != NULL) {
		r->load_again = true;
		return;
	}
	if (r->cmd.ac == NULL || !r->cmd.connected)
		return;		/* the connect starts one */
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->snap = calloc(1, sizeof(*l->snap))) == NULL) {
		free(l);
		ar_load_schedule(r, r->o.interval_ms);
		return;
	}
	l->r = r;
	l->now = (uint64_t)time(NULL);
	l->pending = 1;		/* held until every command is sent */
	r->load = l;
	r->load_again = false;
	if (ar_load_send(l) == -1)
		l->failed = true;
	ar_load_unref(l);
}

/* ---- finishing a load ---- */

static void
ar_load_free(struct ar_load *l)
{
	size_t i;

	for (i = 0; l->raw != NULL && i < l->nraw; i++)
		if (l->raw[i].p != NULL) {
			crypto_wipe(l->raw[i].p, l->raw[i].len);
			free(l->raw[i].p);
		}
	free(l->raw);
	free(l->fp);
	free(l->fp_until);
	auth_redis_snap_free(l->snap);
	free(l);
}

static void
ar_load_done(struct ar_load *l)
{
	struct auth_redis *r = l->r;
	struct auth_redis_snap *s = l->snap;
	uint64_t next = r->o.interval_ms, now;

	r->load = NULL;
	if (r->closing) {
		ar_load_free(l);
		return;
	}
	if (l->failed || auth_redis_secrets_filter(l->raw, l->nraw,
	    (const char (*)[17])l->fp, l->fp_until, l->nfp, l->now, s) == -1) {
		r->st.load_failures++;
		log_rl(&ar_load_rl, LOG_LVL_WARN, "redis_load_failed",
		    "failures=%llu reason=\"keeping the last snapshot\"",
		    (unsigned long long)r->st.load_failures);
		ar_load_free(l);
		ar_load_schedule(r, r->load_again ? 0 : next);
		return;
	}
	auth_redis_revoked_sort(s);
	r->st.loads++;
	/* Re-read just after the next secret expires (no cron needed). */
	now = (uint64_t)time(NULL);
	if (s->next_expiry != 0 && s->next_expiry >= now &&
	    (s->next_expiry - now + 1) * 1000 < next)
		next = (s->next_expiry - now + 1) * 1000;
	l->snap = NULL;
	ar_load_free(l);
	r->o.on_snapshot(r->o.arg, s);
	ar_load_schedule(r, r->load_again ? 0 : next);
}

void
ar_next_load_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	auth_redis_reload(arg);
}

static void
ar_load_schedule(struct auth_redis *r, uint64_t ms)
{
	struct timeval tv = ar_tv(ms);

	if (!r->closing)
		event_add(r->next_load, &tv);
}

/* ---- user keys ---- */
