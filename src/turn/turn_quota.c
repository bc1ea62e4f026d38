/* SPDX-License-Identifier: ISC */
/*
 * turn_quota: allocation counts per user-id, per client IP and in total,
 * shared by all workers (RFC 8656 §7.2 step 10 and §21.3.1: 486 on
 * exceed; docs/security.md, Attack catalogue: resource exhaustion).
 *
 * Keyed on the REST user-id (the part after the separator) or the static
 * user's name, so that minting fresh REST timestamps does not escape the
 * user quota, and on the client IP, /32 for IPv4 and /64 for IPv6 (a
 * host owns a whole /64). A chained hash that grows (turn_hash.c) under
 * one mutex: it is touched only when an allocation is created or freed,
 * never per packet, and costs the same with 100,000 entries as with 10.
 * The hash is SipHash with a random key so that keys cannot be aimed at
 * one bucket. Entries exist only while their count is positive, so the
 * memory is bounded by the number of live allocations.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"
#include "util/siphash.h"

#define QUOTA_KEY_MAX	(1 + AUTH_NAME_MAX)

struct quota_ent {
	struct turn_hnode hn;	/* first */
	uint32_t count;
	uint32_t klen;
	uint8_t key[];		/* kind byte ('u' or 'i') + bytes */
};

struct turn_quota {
	uint32_t per_user, per_ip, total;
	uint32_t used;
	uint64_t hkey[2];
	pthread_mutex_t mu;
	struct turn_htab t;
};

struct turn_quota *
turn_quota_new(uint32_t per_user, uint32_t per_ip, uint32_t total)
{
	struct turn_quota *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if (turn_htab_init(&q->t) != 0) {
		free(q);
		return NULL;
	}
	q->per_user = per_user;
	q->per_ip = per_ip;
	q->total = total;
	(void)crypto_random(q->hkey, sizeof(q->hkey));
	pthread_mutex_init(&q->mu, NULL);
	return q;
}

void
turn_quota_set_limits(struct turn_quota *q, uint32_t per_user,
    uint32_t per_ip, uint32_t total)
{
	pthread_mutex_lock(&q->mu);
	q->per_user = per_user;
	q->per_ip = per_ip;
	q->total = total;
	pthread_mutex_unlock(&q->mu);
}

static void
quota_ent_free(struct turn_hnode *x, void *arg)
{
	(void)arg;
	free(x);
}

void
turn_quota_free(struct turn_quota *q)
{
	if (q == NULL)
		return;
	turn_htab_each(&q->t, quota_ent_free, NULL);
	turn_htab_free(&q->t);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* The key of a user-id or of a client IP prefix; its length or 0. */
static size_t
quota_key_user(const uint8_t *user, size_t ulen, uint8_t *k)
{
	if (user == NULL || ulen == 0 || ulen > AUTH_NAME_MAX)
		return 0;
	k[0] = 'u';
	memcpy(k + 1, user, ulen);
	return ulen + 1;
}

static size_t
quota_key_ip(const struct addr *a, uint8_t *k)
{
	k[0] = 'i';
	if (addr_family(a) == AF_INET) {
		memcpy(k + 1, &a->u.sin.sin_addr, 4);
		return 5;
	}
	if (addr_family(a) == AF_INET6) {
		/* a mapped client is the IPv4 host behind it */
		if (IN6_IS_ADDR_V4MAPPED(&a->u.sin6.sin6_addr)) {
			memcpy(k + 1, a->u.sin6.sin6_addr.s6_addr + 12, 4);
			return 5;
		}
		memcpy(k + 1, a->u.sin6.sin6_addr.s6_addr, 8);
		return 9;
	}
	return 0;
}

/* The entry of key k (n bytes, hash h), or NULL. */
static struct quota_ent *
quota_find(struct turn_quota *q, const uint8_t *k, size_t n, uint64_t h)
{
	struct turn_hnode *x;
	struct quota_ent *ent;

	for (x = *turn_htab_bucket(&q->t, h); x != NULL; x = x->next) {
		ent = (struct quota_ent *)x;
		if (x->hash == h && ent->klen == n &&
		    memcmp(ent->key, k, n) == 0)
			return ent;
	}
	return NULL;
}

static uint32_t
quota_count(struct turn_quota *q, const uint8_t *k, size_t n)
{
	struct quota_ent *x = quota_find(q, k, n,
	    siphash24(q->hkey[0], q->hkey[1], k, n));

	return x != NULL ? x->count : 0;
}

/* +1 (creating the entry) or -1 (freeing it at zero). 0 or -1. */
static int
quota_add(struct turn_quota *q, const uint8_t *k, size_t n, int delta)
{
	const uint64_t h = siphash24(q->hkey[0], q->hkey[1], k, n);
	struct quota_ent *x = quota_find(q, k, n, h);

	if (x == NULL) {
		if (delta < 0)
			return 0;
		if ((x = calloc(1, sizeof(*x) + n)) == NULL)
			return -1;
		x->klen = (uint32_t)n;
		memcpy(x->key, k, n);
		turn_htab_insert(&q->t, &x->hn, h);
	}
	if (delta > 0) {
		x->count++;
		return 0;
	}
	if (--x->count == 0) {
		turn_htab_remove(&q->t, &x->hn);
		free(x);
	}
	return 0;
}

enum turn_quota_take
turn_quota_take(struct turn_quota *q, const uint8_t *user, size_t ulen,
    const struct addr *client)
{
	uint8_t ku[QUOTA_KEY_MAX], ki[9];
	size_t nu, ni;
	enum turn_quota_take rc;

	if (q == NULL)
		return TURN_QUOTA_TAKEN;
	nu = quota_key_user(user, ulen, ku);
	ni = quota_key_ip(client, ki);
	pthread_mutex_lock(&q->mu);
	rc = TURN_QUOTA_OVER_TOTAL;
	if (q->total != 0 && q->used >= q->total)
		goto out;
	rc = TURN_QUOTA_OVER_USER;
	if (nu != 0 && q->per_user != 0 &&
	    quota_count(q, ku, nu) >= q->per_user)
		goto out;
	rc = TURN_QUOTA_OVER_IP;
	if (ni != 0 && q->per_ip != 0 && quota_count(q, ki, ni) >= q->per_ip)
		goto out;
	rc = TURN_QUOTA_NO_MEMORY;
	if (nu != 0 && quota_add(q, ku, nu, 1) != 0)
		goto out;
	if (ni != 0 && quota_add(q, ki, ni, 1) != 0) {
		if (nu != 0)
			(void)quota_add(q, ku, nu, -1);
		goto out;
	}
	q->used++;
	rc = TURN_QUOTA_TAKEN;
out:
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void
turn_quota_release(struct turn_quota *q, const uint8_t *user, size_t ulen,
    const struct addr *client)
{
	uint8_t ku[QUOTA_KEY_MAX], ki[9];
	size_t nu, ni;

	if (q == NULL)
		return;
	nu = quota_key_user(user, ulen, ku);
	ni = quota_key_ip(client, ki);
	pthread_mutex_lock(&q->mu);
	if (nu != 0)
		(void)quota_add(q, ku, nu, -1);
	if (ni != 0)
		(void)quota_add(q, ki, ni, -1);
	if (q->used > 0)
		q->used--;
	pthread_mutex_unlock(&q->mu);
}
