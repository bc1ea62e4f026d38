/* SPDX-License-Identifier: ISC */
/*
 * client_redis_data: ternd's Redis data as ternctl changes it: the secret
 * set with its bookkeeping (added, expires), user keys and revocations.
 * Every name comes from src/auth/auth_schema.h, which says what each key
 * holds and who reads it; ternd builds its names through the same
 * functions. The bookkeeping names a secret by its fingerprint, so the
 * secrets stay in the set only, where coturn and ternd look for them.
 * Every change is one MULTI/EXEC ending in a PUBLISH on the events
 * channel, so that ternd, which reloads on that message, never sees half
 * a rotation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_redis.h"
#include "auth/auth_schema.h"
#include "client/client.h"
#include "client/client_redis_int.h"
#include "util/crypto.h"

/* ---- names, fingerprints ---- */

/* Key k of realm (and of user; NULL for keys that name none) into out.
 * 0, or -1 with err set. */
static int
client_redis_key(char *out, size_t cap, enum auth_schema_key k,
    const char *realm, const char *user, char *err, size_t errcap)
{
	if (auth_schema_key(out, cap, k, realm, strlen(realm), user,
	    user != NULL ? strlen(user) : 0) >= 0)
		return 0;
	client_redis_err(err, errcap, "the %s is too long",
	    user != NULL ? "user name" : "realm");
	return -1;
}

const char *
client_redis_name_problem(const char *name, size_t max)
{
	if (name[0] == '\0')
		return "it is empty";
	if (strlen(name) > max)
		return "it is too long";
	if (client_creds_user_problem(name) != NULL)
		return "it holds a control character or is not UTF-8";
	if (strchr(name, '/') != NULL)
		return "it holds a '/' (Redis keys are split at '/')";
	return NULL;
}

int
client_redis_secret_new(char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[32];
	size_t i;

	if (crypto_random(b, sizeof(b)) == -1)
		return -1;
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[64] = '\0';
	crypto_wipe(b, sizeof(b));
	return 0;
}

/* ---- secrets ---- */

/* A Unix time from a hash value; 0 when it is not a plain number. */
static uint64_t
client_redis_time(const redisReply *v)
{
	long t;

	if (v->type != REDIS_REPLY_STRING ||
	    client_redis_parse_long(v->str, v->len, 0, 99999999999L, &t) == -1)
		return 0;
	return (uint64_t)t;
}

/* Applies one HGETALL reply (fp -> time) to the loaded secrets. */
static int
client_redis_apply_times(redisReply *rep, struct client_redis_secret *s,
    size_t n, bool added)
{
	const redisReply *f;
	uint64_t t;
	size_t i, j;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0)
		return -1;
	for (i = 0; i < rep->elements; i += 2) {
		f = rep->element[i];
		if (f->type != REDIS_REPLY_STRING ||
		    f->len != CLIENT_REDIS_FP_LEN)
			continue;
		t = client_redis_time(rep->element[i + 1]);
		for (j = 0; j < n; j++) {
			if (memcmp(s[j].fp, f->str, CLIENT_REDIS_FP_LEN) != 0)
				continue;
			if (added)
				s[j].added = t;
			else
				s[j].expires = t;
		}
	}
	return 0;
}

/* Newest first; unknown added times last; then by fingerprint. */
static int
client_redis_secret_cmp(const void *a, const void *b)
{
	const struct client_redis_secret *x = a, *y = b;

	if (x->added != y->added)
		return x->added > y->added ? -1 : 1;
	return strcmp(x->fp, y->fp);
}

/* Fills s from the SMEMBERS reply. */
static int
client_redis_secrets_fill(const redisReply *rep, struct client_redis_secret *s,
    size_t cap, size_t *n, const char *realm, char *err, size_t errcap)
{
	const redisReply *e;
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY) {
		client_redis_err(err, errcap, "the secrets of realm %s are not "
		    "a set", realm);
		return -1;
	}
	if (rep->elements > cap) {
		client_redis_err(err, errcap, "realm %s has more than %zu "
		    "secrets", realm, cap);
		return -1;
	}
	for (i = 0; i < rep->elements; i++) {
		e = rep->element[i];
		if (e->type != REDIS_REPLY_STRING) {
			client_redis_err(err, errcap, "a secret of realm %s "
			    "is not a string", realm);
			return -1;
		}
		auth_redis_fingerprint(e->str, e->len, s[i].fp);
		s[i].added = s[i].expires = 0;
		s[i].len = e->len <= CLIENT_REDIS_SECRET_MAX ? e->len : 0;
		memcpy(s[i].secret, e->str, s[i].len);
		*n = i + 1;	/* so that a failure wipes what was copied */
	}
	return 0;
}

/* The three secret keys of a realm. */
struct client_redis_skeys {
	char set[AUTH_SCHEMA_KEY_MAX];		/* AUTH_SCHEMA_SECRET */
	char added[AUTH_SCHEMA_KEY_MAX];	/* AUTH_SCHEMA_SECRET_ADDED */
	char expires[AUTH_SCHEMA_KEY_MAX];	/* AUTH_SCHEMA_SECRET_EXPIRES */
};

static int
client_redis_secret_keys(const char *realm, struct client_redis_skeys *k,
    char *err, size_t errcap)
{
	if (client_redis_key(k->set, sizeof(k->set), AUTH_SCHEMA_SECRET,
	    realm, NULL, err, errcap) == -1 ||
	    client_redis_key(k->added, sizeof(k->added),
	    AUTH_SCHEMA_SECRET_ADDED, realm, NULL, err, errcap) == -1 ||
	    client_redis_key(k->expires, sizeof(k->expires),
	    AUTH_SCHEMA_SECRET_EXPIRES, realm, NULL, err, errcap) == -1)
		return -1;
	return 0;
}

int
client_redis_secret_load(struct client_redis *r, const char *realm,
    struct client_redis_secret *out, size_t cap, size_t *n, char *err,
    size_t errcap)
{
	struct client_redis_skeys k;
	redisReply *rep;
	int rv;

	*n = 0;
	if (client_redis_secret_keys(realm, &k, err, errcap) == -1)
		return -1;
	if ((rep = client_redis_cmdv(r, err, errcap, 2, "SMEMBERS",
	    k.set)) == NULL)
		return -1;
	rv = client_redis_secrets_fill(rep, out, cap, n, realm, err, errcap);
	client_redis_reply_wipe_free(rep);
	if (rv == -1)
		goto fail;
	if ((rep = client_redis_cmdv(r, err, errcap, 2, "HGETALL",
	    k.added)) == NULL)
		goto fail;
	rv = client_redis_apply_times(rep, out, *n, true);
	freeReplyObject(rep);
	if (rv == 0) {
		if ((rep = client_redis_cmdv(r, err, errcap, 2, "HGETALL",
		    k.expires)) == NULL)
			goto fail;
		rv = client_redis_apply_times(rep, out, *n, false);
		freeReplyObject(rep);
	}
	if (rv == -1) {
		client_redis_err(err, errcap, "the secret bookkeeping of realm "
		    "%s is not a hash", realm);
		goto fail;
	}
	qsort(out, *n, sizeof(out[0]), client_redis_secret_cmp);
	return 0;
fail:
	client_redis_secrets_wipe(out, *n);
	*n = 0;
	return -1;
}

void
client_redis_secrets_wipe(struct client_redis_secret *s, size_t n)
{
	if (n > 0)
		crypto_wipe(s, n * sizeof(*s));
}

const struct client_redis_secret *
client_redis_secret_newest(const struct client_redis_secret *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)	/* sorted newest first */
		if (s[i].expires == 0 && s[i].len > 0)
			return &s[i];
	return NULL;
}

/* Secrets ternd still accepts at now. */
static size_t
client_redis_secrets_in_use(const struct client_redis_secret *s, size_t n,
    uint64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (s[i].expires == 0 || s[i].expires > now)
			k++;
	return k;
}

/* Queues the bookkeeping of a rotation: the others expire after keep. */
static void
client_redis_tx_rotate(struct client_redis_tx *tx, const char *expires,
    const struct client_redis_secret *s, size_t n, uint64_t now, uint64_t keep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].expires != 0 && s[i].expires <= now + keep)
			continue;	/* already leaving sooner */
		client_redis_tx_cmd(tx, "HSET");
		client_redis_tx_str(tx, expires);
		client_redis_tx_str(tx, s[i].fp);
		client_redis_tx_num(tx, now + keep);
	}
}

int
client_redis_secret_add(struct client_redis *r, const char *realm,
    const char *secret, size_t len, uint64_t now, uint64_t keep,
    char fp[CLIENT_REDIS_FP_LEN + 1], char *err, size_t errcap)
{
	struct client_redis_secret s[CLIENT_REDIS_MAX_SECRETS];
	struct client_redis_skeys k;
	char ev[AUTH_SCHEMA_EVENT_MAX];
	struct client_redis_tx *tx = NULL;
	size_t n = 0, i;
	int rv = -1;

	auth_redis_fingerprint(secret, len, fp);
	if (client_redis_secret_keys(realm, &k, err, errcap) == -1 ||
	    client_redis_secret_load(r, realm, s, CLIENT_REDIS_MAX_SECRETS, &n,
	    err, errcap) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(s[i].fp, fp) == 0) {
			client_redis_err(err, errcap, "realm %s already has "
			    "that secret (%s)", realm, fp);
			goto out;
		}
	}
	if (client_redis_secrets_in_use(s, n, now) >= AUTH_MAX_SECRETS) {
		client_redis_err(err, errcap, "realm %s already has %d secrets "
		    "in use, ternd's limit: remove or prune one first", realm,
		    AUTH_MAX_SECRETS);
		goto out;
	}
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		goto out;
	}
	client_redis_tx_cmd(tx, "SADD");
	client_redis_tx_str(tx, k.set);
	client_redis_tx_arg(tx, secret, len);
	client_redis_tx_cmd(tx, "HSET");
	client_redis_tx_str(tx, k.added);
	client_redis_tx_str(tx, fp);
	client_redis_tx_num(tx, now);
	client_redis_tx_cmd(tx, "HDEL");
	client_redis_tx_str(tx, k.expires);
	client_redis_tx_str(tx, fp);
	if (keep > 0)
		client_redis_tx_rotate(tx, k.expires, s, n, now, keep);
	client_redis_tx_publish(tx, ev, sizeof(ev), AUTH_SCHEMA_EV_SECRET,
	    realm);
	rv = client_redis_tx_exec(r, tx, err, errcap);
out:
	free(tx);
	client_redis_secrets_wipe(s, n);
	return rv;
}

/* Queues the removal of secret s: set member and bookkeeping. */
static void
client_redis_tx_forget(struct client_redis_tx *tx, const char *set,
    const char *added, const char *expires, const struct client_redis_secret *s)
{
	client_redis_tx_cmd(tx, "SREM");
	client_redis_tx_str(tx, set);
	client_redis_tx_arg(tx, s->secret, s->len);
	client_redis_tx_cmd(tx, "HDEL");
	client_redis_tx_str(tx, added);
	client_redis_tx_str(tx, s->fp);
	client_redis_tx_cmd(tx, "HDEL");
	client_redis_tx_str(tx, expires);
	client_redis_tx_str(tx, s->fp);
}

int
client_redis_secret_rm(struct client_redis *r, const char *realm,
    const char *fp, char *err, size_t errcap)
{
	struct client_redis_secret s[CLIENT_REDIS_MAX_SECRETS];
	struct client_redis_skeys k;
	char ev[AUTH_SCHEMA_EVENT_MAX];
	struct client_redis_tx *tx = NULL;
	size_t n = 0, i;
	int rv = -1;

	if (client_redis_secret_keys(realm, &k, err, errcap) == -1 ||
	    client_redis_secret_load(r, realm, s, CLIENT_REDIS_MAX_SECRETS, &n,
	    err, errcap) == -1)
		return -1;
	for (i = 0; i < n && strcasecmp(s[i].fp, fp) != 0; i++)
		;
	if (i == n) {
		client_redis_err(err, errcap, "realm %s has no secret with "
		    "fingerprint %.16s", realm, fp);
		goto out;
	}
	if (s[i].len == 0) {
		client_redis_err(err, errcap, "secret %s is longer than 256 "
		    "bytes: remove it with redis-cli SREM", s[i].fp);
		goto out;
	}
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		goto out;
	}
	client_redis_tx_forget(tx, k.set, k.added, k.expires, &s[i]);
	client_redis_tx_publish(tx, ev, sizeof(ev), AUTH_SCHEMA_EV_SECRET,
	    realm);
	rv = client_redis_tx_exec(r, tx, err, errcap);
out:
	free(tx);
	client_redis_secrets_wipe(s, n);
	return rv;
}

/* Queues HDEL for every field of hash that names no loaded secret. */
static int
client_redis_tx_orphans(struct client_redis *r, struct client_redis_tx *tx,
    const char *hash, const struct client_redis_secret *s, size_t n, char *err,
    size_t errcap)
{
	redisReply *rep, *f;
	size_t i, j;

	if ((rep = client_redis_cmdv(r, err, errcap, 2, "HKEYS", hash)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		client_redis_err(err, errcap, "%s is not a hash", hash);
		return -1;
	}
	for (i = 0; i < rep->elements && i < CLIENT_REDIS_TX_MAX; i++) {
		f = rep->element[i];
		if (f->type != REDIS_REPLY_STRING ||
		    f->len > CLIENT_REDIS_FP_LEN)
			continue;
		for (j = 0; j < n; j++)
			if (f->len == CLIENT_REDIS_FP_LEN &&
			    memcmp(s[j].fp, f->str, f->len) == 0)
				break;
		if (j < n)
			continue;
		client_redis_tx_cmd(tx, "HDEL");
		client_redis_tx_str(tx, hash);
		/* the field must outlive rep: copy into the number slot */
		snprintf(tx->num[tx->n - 1], sizeof(tx->num[0]), "%.*s",
		    (int)f->len, f->str);
		client_redis_tx_arg(tx, tx->num[tx->n - 1], f->len);
	}
	freeReplyObject(rep);
	return 0;
}

int
client_redis_secret_prune(struct client_redis *r, const char *realm,
    uint64_t now, size_t *removed, char *err, size_t errcap)
{
	struct client_redis_secret s[CLIENT_REDIS_MAX_SECRETS];
	struct client_redis_skeys k;
	char ev[AUTH_SCHEMA_EVENT_MAX];
	struct client_redis_tx *tx = NULL;
	size_t n = 0, i;
	int rv = -1;

	*removed = 0;
	if (client_redis_secret_keys(realm, &k, err, errcap) == -1 ||
	    client_redis_secret_load(r, realm, s, CLIENT_REDIS_MAX_SECRETS, &n,
	    err, errcap) == -1)
		return -1;
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (s[i].expires == 0 || s[i].expires > now || s[i].len == 0)
			continue;
		client_redis_tx_forget(tx, k.set, k.added, k.expires, &s[i]);
		(*removed)++;
	}
	if (client_redis_tx_orphans(r, tx, k.added, s, n, err, errcap) == -1 ||
	    client_redis_tx_orphans(r, tx, k.expires, s, n, err, errcap) == -1)
		goto out;
	rv = 0;
	if (tx->n == 0)
		goto out;	/* nothing to do, nothing to announce */
	client_redis_tx_publish(tx, ev, sizeof(ev), AUTH_SCHEMA_EV_SECRET,
	    realm);
	rv = client_redis_tx_exec(r, tx, err, errcap);
out:
	if (rv == -1)
		*removed = 0;
	free(tx);
	client_redis_secrets_wipe(s, n);
	return rv;
}

/* ---- users and revocations ---- */

int
client_redis_user_add(struct client_redis *r, const char *realm,
    const char *user, const char *pw, size_t pwlen, char *err, size_t errcap)
{
	static const char hex[] = "0123456789abcdef";
	char key[AUTH_SCHEMA_KEY_MAX], val[2 * CRYPTO_MD5_LEN + 1];
	char ev[AUTH_SCHEMA_EVENT_MAX];
	uint8_t md5[CRYPTO_MD5_LEN];
	struct client_redis_tx *tx = NULL;
	size_t i;
	int rv = -1;

	if (client_redis_key(key, sizeof(key), AUTH_SCHEMA_USER_KEY, realm,
	    user, err, errcap) == -1)
		return -1;
	if (auth_key_md5(user, strlen(user), realm, strlen(realm), pw, pwlen,
	    md5) == -1) {
		client_redis_err(err, errcap, "cannot compute the key");
		return -1;
	}
	for (i = 0; i < sizeof(md5); i++) {
		val[2 * i] = hex[md5[i] >> 4];
		val[2 * i + 1] = hex[md5[i] & 15];
	}
	val[sizeof(val) - 1] = '\0';
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		goto out;
	}
	client_redis_tx_cmd(tx, "SET");
	client_redis_tx_str(tx, key);
	client_redis_tx_str(tx, val);
	client_redis_tx_publish(tx, ev, sizeof(ev), AUTH_SCHEMA_EV_USER, realm);
	rv = client_redis_tx_exec(r, tx, err, errcap);
out:
	free(tx);
	crypto_wipe(md5, sizeof(md5));
	crypto_wipe(val, sizeof(val));
	return rv;
}

/* DEL key; -1 with err "missing" when it did not exist; then PUBLISH. */
static int
client_redis_del_publish(struct client_redis *r, const char *key,
    const char *what,
    const char *realm, const char *missing, char *err, size_t errcap)
{
	char ev[AUTH_SCHEMA_EVENT_MAX];
	redisReply *rep;
	long long gone;

	if ((rep = client_redis_cmdv(r, err, errcap, 2, "DEL", key)) == NULL)
		return -1;
	gone = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
	freeReplyObject(rep);
	if (gone != 1) {
		client_redis_err(err, errcap, "%s", gone == 0 ? missing :
		    "unexpected reply to DEL");
		return -1;
	}
	if (auth_schema_event(ev, sizeof(ev), what, realm, strlen(realm)) < 0) {
		client_redis_err(err, errcap, "the realm is too long");
		return -1;
	}
	if ((rep = client_redis_cmdv(r, err, errcap, 3, "PUBLISH",
	    AUTH_SCHEMA_EVENTS, ev)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

int
client_redis_user_rm(struct client_redis *r, const char *realm,
    const char *user, char *err, size_t errcap)
{
	char key[AUTH_SCHEMA_KEY_MAX], missing[2 * AUTH_NAME_MAX + 32];

	if (client_redis_key(key, sizeof(key), AUTH_SCHEMA_USER_KEY, realm,
	    user, err, errcap) == -1)
		return -1;
	snprintf(missing, sizeof(missing), "realm %s has no user %s", realm,
	    user);
	return client_redis_del_publish(r, key, AUTH_SCHEMA_EV_USER, realm,
	    missing, err, errcap);
}

int
client_redis_revoke(struct client_redis *r, const char *realm,
    const char *user, uint64_t now, uint64_t ttl, char *err, size_t errcap)
{
	char key[AUTH_SCHEMA_KEY_MAX], ev[AUTH_SCHEMA_EVENT_MAX], ex[24];
	struct client_redis_tx *tx;
	int rv;

	if (client_redis_key(key, sizeof(key), AUTH_SCHEMA_REVOKED, realm,
	    user, err, errcap) == -1)
		return -1;
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		client_redis_err(err, errcap, "out of memory");
		return -1;
	}
	snprintf(ex, sizeof(ex), "%llu", (unsigned long long)ttl);
	client_redis_tx_cmd(tx, "SET");
	client_redis_tx_str(tx, key);
	client_redis_tx_num(tx, now);
	client_redis_tx_str(tx, "EX");
	client_redis_tx_str(tx, ex);
	client_redis_tx_publish(tx, ev, sizeof(ev), AUTH_SCHEMA_EV_REVOKE,
	    realm);
	rv = client_redis_tx_exec(r, tx, err, errcap);
	free(tx);
	return rv;
}

int
client_redis_unrevoke(struct client_redis *r, const char *realm,
    const char *user, char *err, size_t errcap)
{
	char key[AUTH_SCHEMA_KEY_MAX], missing[2 * AUTH_NAME_MAX + 32];

	if (client_redis_key(key, sizeof(key), AUTH_SCHEMA_REVOKED, realm,
	    user, err, errcap) == -1)
		return -1;
	snprintf(missing, sizeof(missing), "%s is not revoked in realm %s",
	    user, realm);
	return client_redis_del_publish(r, key, AUTH_SCHEMA_EV_UNREVOKE, realm,
	    missing, err, errcap);
}

/* ---- user list ---- */

struct client_redis_names {
	char **v;
	size_t n, cap;
};

/* Adds the user that k (a key from SCAN) names to names, if it is a
 * user key of realm. */
static int
client_redis_names_add(struct client_redis_names *nm, const redisReply *k,
    const char *realm)
{
	char **v;
	size_t off, ulen;

	if (k->type != REDIS_REPLY_STRING ||
	    auth_schema_key_user(AUTH_SCHEMA_USER_KEY, realm, strlen(realm),
	    k->str, k->len, &off, &ulen) == -1)
		return 0;	/* SCAN's glob is wider than our keys */
	if (nm->n == nm->cap) {
		if (nm->cap >= CLIENT_REDIS_USERS_MAX)
			return -1;
		nm->cap = nm->cap == 0 ? 64 : 2 * nm->cap;
		if ((v = reallocarray(nm->v, nm->cap, sizeof(*v))) == NULL)
			return -1;
		nm->v = v;
	}
	if ((nm->v[nm->n] = strndup(k->str + off, ulen)) == NULL)
		return -1;
	nm->n++;
	return 0;
}

static int
client_redis_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One SCAN round: the next cursor into cur. 0 or -1. */
static int
client_redis_scan_round(struct client_redis *r, char *cur, size_t curcap,
    const char *pat, struct client_redis_names *nm, const char *realm,
    char *err, size_t errcap)
{
	redisReply *rep, *keys;
	size_t i;
	int rv = -1;

	rep = client_redis_cmdv(r, err, errcap, 6, "SCAN", cur, "MATCH", pat,
	    "COUNT", "1000");
	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[0]->len >= curcap ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY) {
		client_redis_err(err, errcap, "unexpected reply to SCAN");
		goto out;
	}
	keys = rep->element[1];
	for (i = 0; i < keys->elements; i++) {
		if (client_redis_names_add(nm, keys->element[i], realm) == -1) {
			client_redis_err(err, errcap, "out of memory");
			goto out;
		}
	}
	memcpy(cur, rep->element[0]->str, rep->element[0]->len);
	cur[rep->element[0]->len] = '\0';
	rv = 0;
out:
	freeReplyObject(rep);
	return rv;
}

int
client_redis_user_list(struct client_redis *r, const char *realm,
    void (*fn)(const char *user, void *arg), void *arg, char *err,
    size_t errcap)
{
	char pat[AUTH_SCHEMA_PATTERN_MAX], cur[32] = "0";
	struct client_redis_names nm = { 0 };
	size_t i, round;
	int rv = -1;

	if (auth_schema_key_pattern(pat, sizeof(pat), AUTH_SCHEMA_USER_KEY,
	    realm, strlen(realm)) < 0) {
		client_redis_err(err, errcap, "the realm is too long");
		return -1;
	}
	for (round = 0; round < CLIENT_REDIS_SCAN_MAX; round++) {
		if (client_redis_scan_round(r, cur, sizeof(cur), pat, &nm,
		    realm, err, errcap) == -1)
			goto out;
		if (strcmp(cur, "0") == 0)
			break;
	}
	if (round == CLIENT_REDIS_SCAN_MAX) {
		client_redis_err(err, errcap, "SCAN did not finish");
		goto out;
	}
	if (nm.n > 0)
		qsort(nm.v, nm.n, sizeof(nm.v[0]), client_redis_names_cmp);
	for (i = 0; i < nm.n; i++)	/* SCAN may return a key twice */
		if (i == 0 || strcmp(nm.v[i], nm.v[i - 1]) != 0)
			fn(nm.v[i], arg);
	rv = 0;
out:
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	return rv;
}
