/* SPDX-License-Identifier: ISC */
/*
 * The stream connection limiter: a count in total, a count per client
 * prefix (IPv4 /32, IPv6 /64) and, for IPv6, a count per /48 as well
 * (docs/security.md, TCP/TLS exhaustion), behind one mutex. It is used at
 * accept and close only, never per packet.
 *
 * Why a /48 aggregate: one site usually gets a /48 (RFC 6177), that is
 * 65,536 /64s, so a cap per /64 alone lets one site fill max-connections
 * from fewer than 160 of its /64s. A connection from an IPv6 /64 counts
 * once for its /64 and once for its /48; it is accepted only when both are
 * under their caps.
 *
 * The counts live in an open-addressed table with linear probing and
 * backward-shift deletion. Each open connection stands for at most two
 * entries (its /64 and its /48), so the table holds at most 2 * max_total
 * entries in at least twice as many slots: its memory is fixed at creation
 * and probing stays short. The hash is keyed with a per-process random seed
 * so that a client cannot pick addresses that collide.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util/crypto.h"

#define NET_LIMITS_KEY_LEN	9	/* family tag + up to 8 prefix bytes */
#define NET_LIMITS_TAG_V4	4	/* an IPv4 /32 */
#define NET_LIMITS_TAG_V6	6	/* an IPv6 /64 */
#define NET_LIMITS_TAG_48	48	/* an IPv6 /48 aggregate */

struct net_limits_slot {
	uint8_t key[NET_LIMITS_KEY_LEN];
	uint32_t count;			/* 0 = empty slot */
};

struct net_limits {
	pthread_mutex_t mu;
	unsigned max_total, max_per_ip, max_per_48;
	unsigned total;
	size_t mask;			/* slots - 1 (a power of two) */
	uint64_t seed[2];
	struct net_limits_slot *slots;
};

/*
 * Reduces an address to its prefix key, and for IPv6 the key of its /48 in
 * agg (agg[0] is 0 for IPv4). IPv4-mapped IPv6 counts as IPv4.
 */
static void
net_limits_key(const struct addr *a, uint8_t key[NET_LIMITS_KEY_LEN],
    uint8_t agg[NET_LIMITS_KEY_LEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *v6;

	memset(key, 0, NET_LIMITS_KEY_LEN);
	memset(agg, 0, NET_LIMITS_KEY_LEN);
	if (a->u.sa.sa_family == AF_INET) {
		key[0] = NET_LIMITS_TAG_V4;
		memcpy(key + 1, &a->u.sin.sin_addr, 4);
		return;
	}
	v6 = a->u.sin6.sin6_addr.s6_addr;
	if (memcmp(v6, mapped, sizeof(mapped)) == 0) {
		key[0] = NET_LIMITS_TAG_V4;
		memcpy(key + 1, v6 + 12, 4);
		return;
	}
	key[0] = NET_LIMITS_TAG_V6;
	memcpy(key + 1, v6, 8);		/* the /64 */
	agg[0] = NET_LIMITS_TAG_48;
	memcpy(agg + 1, v6, 6);		/* the /48 */
}

static uint64_t
net_limits_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t
net_limits_hash(const struct net_limits *l, const uint8_t key[NET_LIMITS_KEY_LEN])
{
	uint64_t lo = 0, hi = 0;

	memcpy(&lo, key + 1, 8);
	hi = key[0];
	return (size_t)net_limits_mix(net_limits_mix(lo ^ l->seed[0]) ^ hi ^
	    l->seed[1]);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
net_limits_find(const struct net_limits *l, const uint8_t key[NET_LIMITS_KEY_LEN])
{
	size_t i = net_limits_hash(l, key) & l->mask;

	while (l->slots[i].count != 0 &&
	    memcmp(l->slots[i].key, key, NET_LIMITS_KEY_LEN) != 0)
		i = (i + 1) & l->mask;
	return i;
}

struct net_limits *
net_limits_new(unsigned max_total, unsigned max_per_ip, unsigned max_per_48)
{
	struct net_limits *l;
	size_t slots = 16;

	while (slots < (size_t)max_total * 4 && slots < ((size_t)1 << 30))
		slots <<= 1;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->slots = calloc(slots, sizeof(*l->slots))) == NULL)
		goto fail;
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		goto fail;
	/* A failed seed only weakens collision resistance; keep going. */
	(void)crypto_random(l->seed, sizeof(l->seed));
	l->mask = slots - 1;
	l->max_total = max_total;
	/* The table never holds more keys (two per connection at most) than
	 * half its slots. */
	if (l->max_total > slots / 4)
		l->max_total = (unsigned)(slots / 4);
	l->max_per_ip = max_per_ip;
	l->max_per_48 = max_per_48;
	return l;
fail:
	free(l->slots);
	free(l);
	return NULL;
}

void
net_limits_free(struct net_limits *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->slots);
	free(l);
}

/* One more for key in slot i (found by net_limits_find). */
static void
net_limits_inc(struct net_limits *l, size_t i,
    const uint8_t key[NET_LIMITS_KEY_LEN])
{
	if (l->slots[i].count == 0)
		memcpy(l->slots[i].key, key, NET_LIMITS_KEY_LEN);
	l->slots[i].count++;
}

enum net_limit_result
net_limits_acquire(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN], agg[NET_LIMITS_KEY_LEN];
	enum net_limit_result r = NET_LIMIT_OK;
	size_t i, j;

	net_limits_key(a, key, agg);
	pthread_mutex_lock(&l->mu);
	if (l->total >= l->max_total) {
		r = NET_LIMIT_TOTAL;
		goto out;
	}
	i = net_limits_find(l, key);
	if (l->slots[i].count >= l->max_per_ip) {
		r = NET_LIMIT_PER_IP;
		goto out;
	}
	if (agg[0] != 0) {
		j = net_limits_find(l, agg);
		if (l->slots[j].count >= l->max_per_48) {
			r = NET_LIMIT_PER_48;
			goto out;
		}
		/* The empty slot found for a new /64 may be the one the
		 * /48 has just taken: look again. */
		net_limits_inc(l, j, agg);
		i = net_limits_find(l, key);
	}
	net_limits_inc(l, i, key);
	l->total++;
out:
	pthread_mutex_unlock(&l->mu);
	return r;
}

/* Backward-shift deletion keeps every remaining key reachable from its home
 * slot without tombstones. */
static void
net_limits_remove_slot(struct net_limits *l, size_t hole)
{
	size_t i = hole, home;

	for (;;) {
		i = (i + 1) & l->mask;
		if (l->slots[i].count == 0)
			break;
		home = net_limits_hash(l, l->slots[i].key) & l->mask;
		/* Move i into the hole unless its home lies in (hole, i]. */
		if (((i - home) & l->mask) >= ((i - hole) & l->mask)) {
			l->slots[hole] = l->slots[i];
			hole = i;
		}
	}
	memset(&l->slots[hole], 0, sizeof(l->slots[hole]));
}

/* One less for key; false when it was not counted. */
static bool
net_limits_dec(struct net_limits *l, const uint8_t key[NET_LIMITS_KEY_LEN])
{
	size_t i = net_limits_find(l, key);

	if (l->slots[i].count == 0)
		return false;
	if (--l->slots[i].count == 0)
		net_limits_remove_slot(l, i);
	return true;
}

void
net_limits_release(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN], agg[NET_LIMITS_KEY_LEN];

	net_limits_key(a, key, agg);
	pthread_mutex_lock(&l->mu);
	/* Not counted: a caller bug, ignore (an acquired /64 always holds
	 * its /48). */
	if (net_limits_dec(l, key)) {
		if (agg[0] != 0)
			(void)net_limits_dec(l, agg);
		l->total--;
	}
	pthread_mutex_unlock(&l->mu);
}

unsigned
net_limits_total(struct net_limits *l)
{
	unsigned n;

	pthread_mutex_lock(&l->mu);
	n = l->total;
	pthread_mutex_unlock(&l->mu);
	return n;
}

unsigned
net_limits_count(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN], agg[NET_LIMITS_KEY_LEN];
	unsigned n;

	net_limits_key(a, key, agg);
	pthread_mutex_lock(&l->mu);
	n = l->slots[net_limits_find(l, key)].count;
	pthread_mutex_unlock(&l->mu);
	return n;
}

unsigned
net_limits_count48(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN], agg[NET_LIMITS_KEY_LEN];
	unsigned n = 0;

	net_limits_key(a, key, agg);
	if (agg[0] == 0)
		return 0;
	pthread_mutex_lock(&l->mu);
	n = l->slots[net_limits_find(l, agg)].count;
	pthread_mutex_unlock(&l->mu);
	return n;
}
