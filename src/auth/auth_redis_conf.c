/* SPDX-License-Identifier: ISC */
/*
 * The pure half of auth_redis: coturn's `redis-userdb` connection string,
 * and the helpers the client and its tests share (snapshot compare, sort
 * and free, the secret-expires filter, secret fingerprints, glob escaping
 * for SCAN MATCH, hex keys, parsing the events messages of auth_schema.h).
 * No I/O, no hiredis; fuzzed by tests/fuzz/fuzz_redis_conf.c.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "auth/auth_schema.h"
#include "util/crypto.h"

struct auth_redis_kv {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

/* Decimal, no sign, no space, within [min, max]. 0 or -1. */
static int
auth_redis_conf_num(const char *s, size_t len, unsigned min, unsigned max,
    unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Copies a value of 1..cap-1 bytes without NUL or control bytes. */
static int
auth_redis_conf_str(const struct auth_redis_kv *kv, char *out, size_t cap)
{
	size_t i;

	if (kv->vlen == 0 || kv->vlen >= cap)
		return -1;
	for (i = 0; i < kv->vlen; i++)
		if ((unsigned char)kv->val[i] < 0x20 || kv->val[i] == 0x7f)
			return -1;
	memcpy(out, kv->val, kv->vlen);
	out[kv->vlen] = '\0';
	return 0;
}

static bool
auth_redis_kv_is(const struct auth_redis_kv *kv, const char *name)
{
	return kv->klen == strlen(name) && memcmp(kv->key, name, kv->klen) == 0;
}

static int
auth_redis_conf_apply(struct auth_redis_conf *c, const struct auth_redis_kv *kv,
    const char **why)
{
	unsigned v;

	if (auth_redis_kv_is(kv, "ip") || auth_redis_kv_is(kv, "host")) {
		*why = "bad ip= value";
		return auth_redis_conf_str(kv, c->host, sizeof(c->host));
	}
	if (auth_redis_kv_is(kv, "unix")) {
		*why = "bad unix= path";
		if (kv->vlen == 0 || kv->val[0] != '/')
			return -1;
		return auth_redis_conf_str(kv, c->unix_path,
		    sizeof(c->unix_path));
	}
	if (auth_redis_kv_is(kv, "password")) {
		*why = "bad password= value (1..511 bytes, no control bytes)";
		return auth_redis_conf_str(kv, c->password, sizeof(c->password));
	}
	if (auth_redis_kv_is(kv, "user")) {
		*why = "bad user= value";
		return auth_redis_conf_str(kv, c->user, sizeof(c->user));
	}
	if (auth_redis_kv_is(kv, "port")) {
		*why = "port= wants 1..65535";
		if (auth_redis_conf_num(kv->val, kv->vlen, 1, 65535, &v) == -1)
			return -1;
		c->port = (uint16_t)v;
		return 0;
	}
	if (auth_redis_kv_is(kv, "dbname") || auth_redis_kv_is(kv, "db")) {
		*why = "dbname= wants 0..65535";
		return auth_redis_conf_num(kv->val, kv->vlen, 0, 65535,
		    &c->dbname);
	}
	if (auth_redis_kv_is(kv, "connect_timeout")) {
		*why = "connect_timeout= wants 1..3600 seconds";
		return auth_redis_conf_num(kv->val, kv->vlen, 1, 3600,
		    &c->connect_timeout);
	}
	*why = "unknown key (ip, host, port, dbname, password, user, unix, "
	    "connect_timeout)";
	return -1;
}

int
auth_redis_conf_parse(const char *s, size_t len, struct auth_redis_conf *out,
    const char **why)
{
	struct auth_redis_kv kv;
	size_t i = 0, start, n = 0;
	const char *eq;

	memset(out, 0, sizeof(*out));
	memcpy(out->host, "127.0.0.1", sizeof("127.0.0.1"));
	out->port = 6379;
	out->connect_timeout = AUTH_REDIS_CONNECT_TIMEOUT;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		eq = memchr(s + start, '=', i - start);
		*why = "expected key=value";
		if (eq == NULL || eq == s + start)
			goto fail;
		kv.key = s + start;
		kv.klen = (size_t)(eq - kv.key);
		kv.val = eq + 1;
		kv.vlen = (size_t)(s + i - kv.val);
		*why = "missing value";
		if (kv.vlen == 0 ||
		    auth_redis_conf_apply(out, &kv, why) == -1)
			goto fail;
		n++;
	}
	*why = "empty connection string";
	if (n == 0)
		goto fail;
	*why = NULL;
	return 0;
fail:
	auth_redis_conf_clear(out);
	return -1;
}

void
auth_redis_conf_clear(struct auth_redis_conf *c)
{
	crypto_wipe(c, sizeof(*c));
}

static void
auth_redis_strs_free(struct auth_redis_str *v, size_t n, bool wipe)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (wipe && v[i].p != NULL)
			crypto_wipe(v[i].p, v[i].len);
		free(v[i].p);
	}
	free(v);
}

void
auth_redis_snap_free(struct auth_redis_snap *s)
{
	size_t i;

	if (s == NULL)
		return;
	auth_redis_strs_free(s->secrets, s->nsecrets, true);
	auth_redis_strs_free(s->allow, s->nallow, false);
	auth_redis_strs_free(s->deny, s->ndeny, false);
	for (i = 0; s->revoked != NULL && i < s->nrevoked; i++)
		free(s->revoked[i].user.p);
	free(s->revoked);
	free(s);
}

static bool
auth_redis_str_eq(const struct auth_redis_str *a, const struct auth_redis_str *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static bool
auth_redis_strs_eq(const struct auth_redis_str *a, size_t na,
    const struct auth_redis_str *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!auth_redis_str_eq(&a[i], &b[i]))
			return false;
	return true;
}

bool
auth_redis_snap_equal(const struct auth_redis_snap *a,
    const struct auth_redis_snap *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (!auth_redis_strs_eq(a->secrets, a->nsecrets, b->secrets,
	    b->nsecrets) || !auth_redis_strs_eq(a->allow, a->nallow,
	    b->allow, b->nallow) || !auth_redis_strs_eq(a->deny, a->ndeny,
	    b->deny, b->ndeny))
		return false;
	if (a->has_user_quota != b->has_user_quota ||
	    a->has_total_quota != b->has_total_quota ||
	    a->user_quota != b->user_quota || a->total_quota != b->total_quota ||
	    a->has_max_bps != b->has_max_bps || a->max_bps != b->max_bps ||
	    a->nrevoked != b->nrevoked)
		return false;
	for (i = 0; i < a->nrevoked; i++)
		if (!auth_redis_str_eq(&a->revoked[i].user, &b->revoked[i].user))
			return false;
	return true;
}

void
auth_redis_fingerprint(const void *secret, size_t len, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	struct crypto_seg seg = { secret, len };
	uint8_t md[CRYPTO_SHA256_LEN];
	size_t i;

	memset(md, 0, sizeof(md));
	(void)crypto_sha256(&seg, 1, md);
	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[16] = '\0';
}

long
auth_redis_glob_escape(const void *s, size_t len, char *out, size_t cap)
{
	const uint8_t *p = s;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (strchr("*?[]\\", p[i]) != NULL && p[i] != '\0') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)p[i];
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return (long)o;
}

static int
auth_redis_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
auth_redis_key_decode(const void *hex, size_t len, uint8_t key[16])
{
	const uint8_t *h = hex;
	int hi, lo;
	size_t i;

	if (len != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		hi = auth_redis_hexval(h[2 * i]);
		lo = auth_redis_hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
auth_redis_u64_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

long
auth_redis_key_build(char *out, size_t cap, const char *prefix,
    const char *realm, size_t rlen, const void *mid, size_t midlen,
    const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	size_t need = pl + rlen + midlen + sl;

	if (need >= cap)
		return -1;
	memcpy(out, prefix, pl);
	memcpy(out + pl, realm, rlen);
	if (midlen > 0)
		memcpy(out + pl + rlen, mid, midlen);
	memcpy(out + pl + rlen + midlen, suffix, sl);
	out[need] = '\0';
	return (long)need;
}

static int
auth_redis_str_cmp(const void *a, const void *b)
{
	const struct auth_redis_str *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n > 0 ? memcmp(x->p, y->p, n) : 0;

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int
auth_redis_revoked_cmp(const void *a, const void *b)
{
	const struct auth_redis_revoked *x = a, *y = b;

	return auth_redis_str_cmp(&x->user, &y->user);
}

void
auth_redis_revoked_sort(struct auth_redis_snap *s)
{
	if (s->nrevoked > 1)
		qsort(s->revoked, s->nrevoked, sizeof(*s->revoked),
		    auth_redis_revoked_cmp);
}

/* Whether fingerprint fp has an entry that has passed; tracks the
 * earliest future one in *next. */
static bool
auth_redis_fp_expired(const char *fp, const char (*fps)[17],
    const uint64_t *until, size_t nfp, uint64_t now, uint64_t *next)
{
	bool expired = false;
	size_t k;

	for (k = 0; k < nfp; k++) {
		if (memcmp(fps[k], fp, 16) != 0)
			continue;
		if (until[k] <= now)
			expired = true;
		else if (*next == 0 || until[k] < *next)
			*next = until[k];
	}
	return expired;
}

int
auth_redis_secrets_filter(struct auth_redis_str *raw, size_t nraw,
    const char (*fps)[17], const uint64_t *until, size_t nfp, uint64_t now,
    struct auth_redis_snap *s)
{
	char fp[17];
	size_t i;

	if (nraw == 0)
		return 0;
	qsort(raw, nraw, sizeof(*raw), auth_redis_str_cmp);
	if ((s->secrets = calloc(nraw, sizeof(*s->secrets))) == NULL)
		return -1;
	for (i = 0; i < nraw; i++) {
		auth_redis_fingerprint(raw[i].p, raw[i].len, fp);
		if (auth_redis_fp_expired(fp, fps, until, nfp, now,
		    &s->next_expiry) || s->nsecrets >= AUTH_REDIS_MAX_SECRETS ||
		    raw[i].len == 0)
			continue;
		s->secrets[s->nsecrets++] = raw[i];
		raw[i].p = NULL;
		raw[i].len = 0;
	}
	return 0;
}

enum auth_redis_event
auth_redis_event_parse(const char *msg, size_t len, const char *realm,
    size_t rlen)
{
	static const struct {
		const char *name;
		enum auth_redis_event ev;
	} whats[] = {
		{ AUTH_SCHEMA_EV_SECRET, AUTH_REDIS_EV_SECRET },
		{ AUTH_SCHEMA_EV_USER, AUTH_REDIS_EV_USER },
		{ AUTH_SCHEMA_EV_REVOKE, AUTH_REDIS_EV_REVOKE },
		{ AUTH_SCHEMA_EV_UNREVOKE, AUTH_REDIS_EV_UNREVOKE },
		{ AUTH_SCHEMA_EV_RULES, AUTH_REDIS_EV_RULES },
	};
	const char *sp = memchr(msg, ' ', len);
	size_t wl, rl, i;

	if (sp == NULL)
		return AUTH_REDIS_EV_NONE;
	wl = (size_t)(sp - msg);
	rl = len - wl - 1;
	if (!(rl == sizeof(AUTH_SCHEMA_EV_ALL_REALMS) - 1 &&
	    memcmp(sp + 1, AUTH_SCHEMA_EV_ALL_REALMS, rl) == 0) &&
	    !(rl == rlen && memcmp(sp + 1, realm, rl) == 0))
		return AUTH_REDIS_EV_NONE;
	for (i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		if (wl == strlen(whats[i].name) &&
		    memcmp(msg, whats[i].name, wl) == 0)
			return whats[i].ev;
	return AUTH_REDIS_EV_NONE;
}
