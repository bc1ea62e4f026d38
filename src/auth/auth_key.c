/* SPDX-License-Identifier: ISC */
/*
 * auth_key: long-term keys (RFC 8489 §9.2.2, §18.5.1), USERHASH (§14.4)
 * and the credential set that holds them: the realm, the static users and
 * the REST secrets.
 *
 * Static users are configured as "name:password" or "name:0x<32 hex>"
 * (coturn's turnadmin form of the MD5 key). Only keys are kept, never the
 * password (RFC 8656 §6); everything secret is wiped on free. No SASLprep:
 * strings are hashed as the bytes they are (see auth.h).
 *
 * Static users are found by name in O(log n) (sorted at seal) and by
 * USERHASH (RFC 8489 §14.4) in O(1) through a hash index built as they
 * are added, so neither a request nor a configuration of many users
 * costs a scan over all of them.
 *
 * Revoked users (`ternctl revoke`: a per-user-id block-list) are a sorted
 * array searched in O(log n) (18 comparisons at the limit), at most
 * AUTH_MAX_REVOKED: as many as one Redis snapshot may carry
 * (auth_redis_load.c refuses a larger one whole), so that a snapshot
 * loaded is enforced whole, and memory stays proportional to the
 * revocations (about 60 bytes each). Names are wiped on free (a user-id
 * is personal data, if not a secret).
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "util/crypto.h"

/* The three segments user ":" realm [":" password]. */
static size_t
key_segs(struct crypto_seg *segs, const void *user, size_t ulen,
    const void *realm, size_t rlen, const void *pw, size_t pwlen)
{
	segs[0].p = user;
	segs[0].len = ulen;
	segs[1].p = ":";
	segs[1].len = 1;
	segs[2].p = realm;
	segs[2].len = rlen;
	if (pw == NULL)
		return 3;
	segs[3].p = ":";
	segs[3].len = 1;
	segs[4].p = pw;
	segs[4].len = pwlen;
	return 5;
}

int
auth_key_md5(const void *user, size_t ulen, const void *realm, size_t rlen,
    const void *pw, size_t pwlen, uint8_t out[16])
{
	struct crypto_seg segs[5];
	size_t n;

	n = key_segs(segs, user, ulen, realm, rlen, pw ? pw : "", pwlen);
	return crypto_md5(segs, n, out);
}

int
auth_key_sha256(const void *user, size_t ulen, const void *realm,
    size_t rlen, const void *pw, size_t pwlen, uint8_t out[32])
{
	struct crypto_seg segs[5];
	size_t n;

	n = key_segs(segs, user, ulen, realm, rlen, pw ? pw : "", pwlen);
	return crypto_sha256(segs, n, out);
}

int
auth_userhash(const void *user, size_t ulen, const void *realm, size_t rlen,
    uint8_t out[32])
{
	struct crypto_seg segs[5];
	size_t n;

	n = key_segs(segs, user, ulen, realm, rlen, NULL, 0);
	return crypto_sha256(segs, n, out);
}

struct auth_creds *
auth_creds_new(const char *realm, size_t realm_len, char sep,
    uint32_t max_ttl, uint32_t skew)
{
	struct auth_creds *c;

	if (realm == NULL || realm_len == 0 || realm_len > AUTH_REALM_MAX)
		return NULL;
	/* a digit would make "<digits><sep>" ambiguous */
	if (sep <= ' ' || sep > '~' || (sep >= '0' && sep <= '9'))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	memcpy(c->realm, realm, realm_len);
	c->realm_len = realm_len;
	c->sep = sep;
	c->max_ttl = max_ttl ? max_ttl : AUTH_MAX_TTL_DEFAULT;
	c->skew = skew ? skew : AUTH_SKEW_DEFAULT;
	return c;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "0x" + 32 hex digits -> 16 bytes. 0 or -1. */
static int
key_from_hex(const char *s, size_t len, uint8_t out[16])
{
	size_t i;
	int hi, lo;

	if (len != 34 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (i = 0; i < 16; i++) {
		hi = hex_value(s[2 + 2 * i]);
		lo = hex_value(s[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Derives the keys of u (name already set) from the secret part. */
static int
user_keys(const struct auth_creds *c, struct auth_user *u, const char *pw,
    size_t pwlen)
{
	if (key_from_hex(pw, pwlen, u->md5) == 0) {
		u->has_sha256 = false;
		return 0;
	}
	if (auth_key_md5(u->name, u->name_len, c->realm, c->realm_len, pw,
	    pwlen, u->md5) != 0 ||
	    auth_key_sha256(u->name, u->name_len, c->realm, c->realm_len, pw,
	    pwlen, u->sha256) != 0)
		return -1;
	u->has_sha256 = true;
	return 0;
}

/* A USERHASH is a SHA-256 output: its first 8 bytes are a uniform hash
 * already. nslots is a power of two. */
static size_t
index_slot(const uint8_t *hash, size_t nslots)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | hash[i];
	return (size_t)(v & (uint64_t)(nslots - 1));
}

/* Enters users[i]; the table is at most half full, so a slot is free. */
static void
index_put(uint32_t *slots, size_t nslots, const struct auth_user *users,
    size_t i)
{
	size_t s = index_slot(users[i].userhash, nslots);

	while (slots[s] != 0)
		s = (s + 1) & (nslots - 1);
	slots[s] = (uint32_t)(i + 1);
}

static void
index_build(uint32_t *slots, size_t nslots, const struct auth_user *users,
    size_t n)
{
	size_t i;

	memset(slots, 0, nslots * sizeof(*slots));
	for (i = 0; i < n; i++)
		index_put(slots, nslots, users, i);
}

/* Room for one more user: the array and its index grow together. */
static int
creds_grow(struct auth_creds *c)
{
	struct auth_user *nu;
	uint32_t *ns;
	size_t ncap;

	if (c->nusers < c->capusers)
		return 0;
	ncap = c->capusers ? c->capusers * 2 : 8;
	/* slots hold index + 1 in 32 bits, and 2 * ncap of them */
	if (ncap > UINT32_MAX / 4 || ncap > SIZE_MAX / 2 / sizeof(*nu))
		return -1;
	/* copy by hand rather than realloc, so that no stale key bytes are
	 * left behind in freed memory */
	if ((nu = calloc(ncap, sizeof(*nu))) == NULL)
		return -1;
	if ((ns = calloc(2 * ncap, sizeof(*ns))) == NULL) {
		free(nu);
		return -1;
	}
	if (c->nusers > 0)
		memcpy(nu, c->users, c->nusers * sizeof(*nu));
	if (c->users != NULL) {
		crypto_wipe(c->users, c->capusers * sizeof(*nu));
		free(c->users);
	}
	free(c->byhash);
	c->users = nu;
	c->capusers = ncap;
	c->byhash = ns;
	c->nslots = 2 * ncap;
	index_build(c->byhash, c->nslots, c->users, c->nusers);
	return 0;
}

int
auth_creds_add_user(struct auth_creds *c, const char *spec, size_t len)
{
	struct auth_user *u;
	const char *colon;
	uint8_t uh[32];
	size_t nlen;

	if (c->sealed || (colon = memchr(spec, ':', len)) == NULL)
		return -1;
	nlen = (size_t)(colon - spec);
	if (nlen == 0 || nlen > AUTH_NAME_MAX || memchr(spec, '\0', len))
		return -1;
	/* the name has no ':', so "name:realm" tells names apart: a
	 * duplicate name is a duplicate USERHASH, found in O(1) */
	if (auth_userhash(spec, nlen, c->realm, c->realm_len, uh) != 0 ||
	    auth_creds_userhash_find(c, uh, sizeof(uh)) != NULL ||
	    creds_grow(c) != 0)
		return -1;
	u = &c->users[c->nusers];
	memset(u, 0, sizeof(*u));
	if ((u->name = malloc(nlen)) == NULL)
		return -1;
	memcpy(u->name, spec, nlen);
	u->name_len = nlen;
	memcpy(u->userhash, uh, sizeof(uh));
	if (user_keys(c, u, colon + 1, len - nlen - 1) != 0) {
		free(u->name);
		crypto_wipe(u, sizeof(*u));
		return -1;
	}
	index_put(c->byhash, c->nslots, c->users, c->nusers);
	c->nusers++;
	return 0;
}

int
auth_creds_add_secret(struct auth_creds *c, const void *secret, size_t len)
{
	struct auth_secret *s;

	if (c->sealed || len == 0 || len > AUTH_SECRET_MAX ||
	    c->nsecrets >= AUTH_MAX_SECRETS)
		return -1;
	s = &c->secrets[c->nsecrets++];
	memcpy(s->p, secret, len);
	s->len = len;
	return 0;
}

/* Shorter names first, then bytewise: any total order works for bsearch. */
static int
user_cmp_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static int
user_cmp(const void *a, const void *b)
{
	const struct auth_user *ua = a, *ub = b;

	return user_cmp_name(ua->name, ua->name_len, ub->name, ub->name_len);
}

int
auth_creds_set_rest_hmac(struct auth_creds *c, enum crypto_md md)
{
	if (c->sealed || (md != CRYPTO_MD_SHA1 && md != CRYPTO_MD_SHA256))
		return -1;
	c->rest_md = md;
	return 0;
}

int
auth_creds_add_revoked(struct auth_creds *c, const void *user, size_t len,
    uint64_t until)
{
	struct auth_revoked *nr, *r;
	size_t ncap;

	if (c->sealed || user == NULL || len == 0 ||
	    len > AUTH_USER_KEY_NAME_MAX || c->nrevoked >= AUTH_MAX_REVOKED)
		return -1;
	if (c->nrevoked == c->caprevoked) {
		ncap = c->caprevoked ? c->caprevoked * 2 : 16;
		if ((nr = calloc(ncap, sizeof(*nr))) == NULL)
			return -1;
		if (c->nrevoked > 0)
			memcpy(nr, c->revoked, c->nrevoked * sizeof(*nr));
		free(c->revoked);
		c->revoked = nr;
		c->caprevoked = ncap;
	}
	r = &c->revoked[c->nrevoked];
	if ((r->name = malloc(len)) == NULL)
		return -1;
	memcpy(r->name, user, len);
	r->len = len;
	r->until = until;
	c->nrevoked++;
	return 0;
}

static int
revoked_cmp(const void *a, const void *b)
{
	const struct auth_revoked *ra = a, *rb = b;

	return user_cmp_name(ra->name, ra->len, rb->name, rb->len);
}

/* Sorted, and one entry per name with the latest `until`. */
static void
revoked_seal(struct auth_creds *c)
{
	size_t i, n = 0;

	if (c->nrevoked < 2)
		return;
	qsort(c->revoked, c->nrevoked, sizeof(*c->revoked), revoked_cmp);
	for (i = 1; i < c->nrevoked; i++) {
		if (revoked_cmp(&c->revoked[n], &c->revoked[i]) == 0) {
			if (c->revoked[i].until > c->revoked[n].until)
				c->revoked[n].until = c->revoked[i].until;
			crypto_wipe(c->revoked[i].name, c->revoked[i].len);
			free(c->revoked[i].name);
			continue;
		}
		c->revoked[++n] = c->revoked[i];
	}
	c->nrevoked = n + 1;
}

bool
auth_creds_is_revoked(const struct auth_creds *c, const void *user,
    size_t len, uint64_t now)
{
	size_t lo = 0, hi, mid;
	int r;

	if (c == NULL || !c->sealed || user == NULL || len == 0)
		return false;
	hi = c->nrevoked;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = user_cmp_name(user, len, c->revoked[mid].name,
		    c->revoked[mid].len);
		if (r == 0)
			return now < c->revoked[mid].until;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

void
auth_creds_seal(struct auth_creds *c)
{
	if (c->nusers > 1) {
		qsort(c->users, c->nusers, sizeof(*c->users), user_cmp);
		/* the same slots' worth of users, at their sorted places */
		index_build(c->byhash, c->nslots, c->users, c->nusers);
	}
	revoked_seal(c);
	c->sealed = true;
}

void
auth_creds_free(struct auth_creds *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nusers; i++)
		free(c->users[i].name);
	if (c->users != NULL) {
		crypto_wipe(c->users, c->capusers * sizeof(*c->users));
		free(c->users);
	}
	free(c->byhash);
	for (i = 0; i < c->nrevoked; i++) {
		crypto_wipe(c->revoked[i].name, c->revoked[i].len);
		free(c->revoked[i].name);
	}
	free(c->revoked);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

size_t
auth_creds_nusers(const struct auth_creds *c)
{
	return c->nusers;
}

size_t
auth_creds_nsecrets(const struct auth_creds *c)
{
	return c->nsecrets;
}

const struct auth_user *
auth_creds_user_find(const struct auth_creds *c, const uint8_t *name,
    size_t len)
{
	size_t lo = 0, hi = c->nusers, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = user_cmp_name(name, len, c->users[mid].name,
		    c->users[mid].name_len);
		if (r == 0)
			return &c->users[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * O(1): at most half the slots are taken, so the probe ends at an empty
 * slot after a few visits whatever hash a client sends. A USERHASH is no
 * secret (anyone who knows the name and the realm computes it), so the
 * compare need not be constant-time.
 */
const struct auth_user *
auth_creds_userhash_probe(const struct auth_creds *c, const uint8_t *hash,
    size_t len, unsigned *probes)
{
	const struct auth_user *u;
	size_t s;
	uint32_t v;

	if (len != 32 || c->nslots == 0)
		return NULL;
	for (s = index_slot(hash, c->nslots);; s = (s + 1) & (c->nslots - 1)) {
		(*probes)++;
		if ((v = c->byhash[s]) == 0)
			return NULL;
		u = &c->users[v - 1];
		if (memcmp(u->userhash, hash, 32) == 0)
			return u;
	}
}

const struct auth_user *
auth_creds_userhash_find(const struct auth_creds *c, const uint8_t *hash,
    size_t len)
{
	unsigned probes = 0;

	return auth_creds_userhash_probe(c, hash, len, &probes);
}
