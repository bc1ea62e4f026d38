/* SPDX-License-Identifier: ISC */
/*
 * turn_quota: allocation counts per user-id, per client IP and in total,
 * shared by all workers (RFC 8656 §7.2 step 10 and §21.3.1: 486 on
 * exceed; docs/security.md, Attack catalogue: resource exhaustion).
 *
 * Keyed on the REST user-id (the part after the separator) or the static
 * user's name, so that minting fresh REST timestamps does not escape the
 * user quota, and on the client IP, /32 for IPv4 and /64 for IPv6 (a
 * host owns a whole /64). A small chained hash under one mutex: it is
 * touched only when an allocation is created or freed, never per packet.
 * The hash is keyed with a random seed so that keys cannot be aimed at one
 * bucket. Entries exist only while their count is positive, so the memory
 * is bounded by the number of live allocations.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

#define QUOTA_BUCKETS	1024
#define QUOTA_KEY_MAX	(1 + AUTH_NAME_MAX)

struct quota_ent {
	struct quota_ent *next;
	uint32_t count;
	size_t klen;
	uint8_t key[];		/* kind byte ('u' or 'i') + bytes */
};

struct turn_quota {
	uint32_t per_user, per_ip, total;
	uint32_t used;
	uint32_t seed;
	pthread_mutex_t mu;
	struct quota_ent *b[QUOTA_BUCKETS];
};

struct turn_quota *
turn_quota_new(uint32_t per_user, uint32_t per_ip, uint32_t total)
{
	struct turn_quota *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->per_user = per_user;
	q->per_ip = per_ip;
	q->total = total;
	(void)crypto_random(&q->seed, sizeof(q->seed));
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

void
turn_quota_free(struct turn_quota *q)
{
	struct quota_ent *x, *nx;
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < QUOTA_BUCKETS; i++)
		for (x = q->b[i]; x != NULL; x = nx) {
			nx = x->next;
			free(x);
		}
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* FNV-1a over seed and key. */
static size_t
quota_hash(const struct turn_quota *q, const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u ^ q->seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= k[i];
		h *= 16777619u;
	}
	return h & (QUOTA_BUCKETS - 1);
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

static struct quota_ent **
quota_find(struct turn_quota *q, const uint8_t *k, size_t n)
{
	struct quota_ent **pp;

	for (pp = &q->b[quota_hash(q, k, n)]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->klen == n && memcmp((*pp)->key, k, n) == 0)
			break;
	return pp;
}

static uint32_t
quota_count(struct turn_quota *q, const uint8_t *k, size_t n)
{
	struct quota_ent **pp = quota_find(q, k, n);

	return *pp != NULL ? (*pp)->count : 0;
}

/* +1 (creating the entry) or -1 (freeing it at zero). 0 or -1. */
static int
quota_add(struct turn_quota *q, const uint8_t *k, size_t n, int delta)
{
	struct quota_ent **pp = quota_find(q, k, n), *x;

	if (*pp == NULL) {
		if (delta < 0)
			return 0;
		if ((x = calloc(1, sizeof(*x) + n)) == NULL)
			return -1;
		x->klen = n;
		memcpy(x->key, k, n);
		*pp = x;
	}
	x = *pp;
	if (delta > 0) {
		x->count++;
		return 0;
	}
	if (--x->count == 0) {
		*pp = x->next;
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
