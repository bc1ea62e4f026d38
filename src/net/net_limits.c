/* SPDX-License-Identifier: ISC */
/*
 * The stream connection limiter: a count in total and a count per client
 * prefix (IPv4 /32, IPv6 /64; docs/security.md, TCP/TLS exhaustion),
 * behind one mutex. It is used at accept and close only, never per packet.
 *
 * The per-prefix counts live in an open-addressed table with linear probing
 * and backward-shift deletion. The table holds at most max_total entries
 * (each entry stands for at least one open connection) in twice as many
 * slots, so its memory is fixed at creation and probing stays short. The
 * hash is keyed with a per-process random seed so that a client cannot pick
 * addresses that collide.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util/crypto.h"

#define NET_LIMITS_KEY_LEN	9	/* family tag + up to 8 prefix bytes */

struct net_limits_slot {
	uint8_t key[NET_LIMITS_KEY_LEN];
	uint32_t count;			/* 0 = empty slot */
};

struct net_limits {
	pthread_mutex_t mu;
	unsigned max_total, max_per_ip;
	unsigned total;
	size_t mask;			/* slots - 1 (a power of two) */
	uint64_t seed[2];
	struct net_limits_slot *slots;
};

/* Reduces an address to its prefix key; IPv4-mapped IPv6 counts as IPv4. */
static void
net_limits_key(const struct addr *a, uint8_t key[NET_LIMITS_KEY_LEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *v6;

	memset(key, 0, NET_LIMITS_KEY_LEN);
	if (a->u.sa.sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &a->u.sin.sin_addr, 4);
		return;
	}
	v6 = a->u.sin6.sin6_addr.s6_addr;
	if (memcmp(v6, mapped, sizeof(mapped)) == 0) {
		key[0] = 4;
		memcpy(key + 1, v6 + 12, 4);
		return;
	}
	key[0] = 6;
	memcpy(key + 1, v6, 8);		/* the /64 */
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
net_limits_new(unsigned max_total, unsigned max_per_ip)
{
	struct net_limits *l;
	size_t slots = 16;

	while (slots < (size_t)max_total * 2 && slots < ((size_t)1 << 30))
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
	/* The table never holds more keys than half its slots. */
	if (l->max_total > slots / 2)
		l->max_total = (unsigned)(slots / 2);
	l->max_per_ip = max_per_ip;
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

enum net_limit_result
net_limits_acquire(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN];
	enum net_limit_result r = NET_LIMIT_OK;
	size_t i;

	net_limits_key(a, key);
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
	if (l->slots[i].count == 0)
		memcpy(l->slots[i].key, key, NET_LIMITS_KEY_LEN);
	l->slots[i].count++;
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

void
net_limits_release(struct net_limits *l, const struct addr *a)
{
	uint8_t key[NET_LIMITS_KEY_LEN];
	size_t i;

	net_limits_key(a, key);
	pthread_mutex_lock(&l->mu);
	i = net_limits_find(l, key);
	if (l->slots[i].count == 0)	/* not counted: a caller bug, ignore */
		goto out;
	if (--l->slots[i].count == 0)
		net_limits_remove_slot(l, i);
	l->total--;
out:
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
	uint8_t key[NET_LIMITS_KEY_LEN];
	unsigned n;

	net_limits_key(a, key);
	pthread_mutex_lock(&l->mu);
	n = l->slots[net_limits_find(l, key)].count;
	pthread_mutex_unlock(&l->mu);
	return n;
}
