/* SPDX-License-Identifier: ISC */
/*
 * turn_table: the worker's allocations, found by client 5-tuple (RFC 8656
 * §2: an allocation is identified by its 5-tuple; on TCP/TLS the
 * connection id completes it) and by relay handle (for peer datagrams).
 * Two chained hash tables of fixed size with a random per-engine seed; an
 * allocation is malloc'd once when created, never per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

static uint32_t
turn_mix(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t
turn_addr_mix(uint32_t h, const struct addr *a)
{
	uint16_t port = addr_port(a);

	if (addr_family(a) == AF_INET)
		h = turn_mix(h, &a->u.sin.sin_addr, 4);
	else if (addr_family(a) == AF_INET6)
		h = turn_mix(h, &a->u.sin6.sin6_addr, 16);
	return turn_mix(h, &port, sizeof(port));
}

static size_t
turn_tuple_hash(const struct turn_engine *e, const struct turn_tuple *t)
{
	uint32_t h = 2166136261u ^ e->seed;

	h = turn_addr_mix(h, &t->client);
	h = turn_addr_mix(h, &t->local);
	h = turn_mix(h, &t->conn, sizeof(t->conn));
	h = turn_mix(h, &t->transport, sizeof(t->transport));
	return h & (TURN_HASH_BUCKETS - 1);
}

static size_t
turn_handle_hash(const struct turn_engine *e, uint64_t handle)
{
	uint64_t x = handle ^ e->seed;

	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)(x & (TURN_HASH_BUCKETS - 1));
}

static bool
turn_tuple_equal(const struct turn_tuple *a, const struct turn_tuple *b)
{
	return a->transport == b->transport && a->conn == b->conn &&
	    addr_equal(&a->client, &b->client, true) &&
	    addr_equal(&a->local, &b->local, true);
}

struct turn_alloc *
turn_table_find(struct turn_engine *e, const struct turn_tuple *t)
{
	struct turn_alloc *a;

	for (a = e->by_tuple[turn_tuple_hash(e, t)]; a != NULL; a = a->next)
		if (turn_tuple_equal(&a->tuple, t))
			return a;
	return NULL;
}

struct turn_relay *
turn_table_relay(struct turn_engine *e, uint64_t handle)
{
	struct turn_relay *rl;

	if (handle == 0)
		return NULL;
	for (rl = e->by_relay[turn_handle_hash(e, handle)]; rl != NULL;
	    rl = rl->next)
		if (rl->handle == handle)
			return rl;
	return NULL;
}

struct turn_alloc *
turn_table_add(struct turn_engine *e, const struct turn_tuple *t)
{
	struct turn_alloc *a;
	size_t h;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->tuple = *t;
	a->relay[0].alloc = a;
	a->relay[1].alloc = a;
	h = turn_tuple_hash(e, t);
	a->next = e->by_tuple[h];
	e->by_tuple[h] = a;
	e->stats.allocations++;
	return a;
}

void
turn_table_add_relay(struct turn_engine *e, struct turn_relay *rl)
{
	size_t h = turn_handle_hash(e, rl->handle);

	rl->next = e->by_relay[h];
	e->by_relay[h] = rl;
}

void
turn_table_close_relay(struct turn_engine *e, struct turn_relay *rl)
{
	struct turn_relay **pp;
	int fam;

	if (rl->port != 0) {
		fam = rl == &rl->alloc->relay[TURN_FAM_V4] ? AF_INET : AF_INET6;
		turn_ports_release(e->opts.ports, fam, rl->port);
		rl->port = 0;
	}
	if (rl->handle == 0)
		return;
	for (pp = &e->by_relay[turn_handle_hash(e, rl->handle)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == rl) {
			*pp = rl->next;
			break;
		}
	e->opts.io->relay_close(e->opts.io->ctx, rl->handle);
	rl->handle = 0;
}

/* The families of a whose relays are open (TURN_FAMILY_*). */
static unsigned
turn_table_families(const struct turn_alloc *a)
{
	return (a->relay[TURN_FAM_V4].handle != 0 ? TURN_FAMILY_V4 : 0) |
	    (a->relay[TURN_FAM_V6].handle != 0 ? TURN_FAMILY_V6 : 0);
}

static void
turn_table_event(struct turn_engine *e, const struct turn_alloc *a,
    enum turn_alloc_event_kind kind, enum turn_end end, unsigned families)
{
	const struct turn_hooks *h = e->opts.hooks;
	struct turn_alloc_event ev;

	if (h == NULL || h->alloc_event == NULL)
		return;
	ev.kind = kind;
	ev.end = end;
	ev.tuple = &a->tuple;
	ev.families = families;
	ev.created_ms = a->created_ms;
	ev.now_ms = e->clock;
	ev.id = a->id;
	ev.user = a->quser;
	ev.user_len = a->quser_len;
	ev.cred_expiry = a->cred_expiry;
	ev.relayed[0] = a->relay[TURN_FAM_V4].handle != 0 ?
	    &a->relay[TURN_FAM_V4].adv : NULL;
	ev.relayed[1] = a->relay[TURN_FAM_V6].handle != 0 ?
	    &a->relay[TURN_FAM_V6].adv : NULL;
	ev.use = &a->use;
	h->alloc_event(h->ctx, &ev);
}

void
turn_table_commit(struct turn_engine *e, struct turn_alloc *a, uint64_t now)
{
	a->live = true;
	a->created_ms = now;
	a->id = ++e->stats.allocs_created;
	turn_table_event(e, a, TURN_EV_CREATED, TURN_END_EXPIRED,
	    turn_table_families(a));
}

void
turn_table_close_family(struct turn_engine *e, struct turn_alloc *a, int fi)
{
	unsigned fam = fi == TURN_FAM_V4 ? TURN_FAMILY_V4 : TURN_FAMILY_V6;

	if (a->relay[fi].handle == 0)
		return;
	turn_table_close_relay(e, &a->relay[fi]);
	if (a->live)
		turn_table_event(e, a, TURN_EV_RELAY_CLOSED, TURN_END_EXPIRED,
		    fam);
}

void
turn_table_remove(struct turn_engine *e, struct turn_alloc *a,
    enum turn_end why)
{
	struct turn_alloc **pp;

	for (pp = &e->by_tuple[turn_tuple_hash(e, &a->tuple)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (a->live) {
		e->stats.allocs_ended[why]++;
		turn_table_event(e, a, TURN_EV_ENDED, why,
		    turn_table_families(a));
	}
	turn_table_close_relay(e, &a->relay[TURN_FAM_V4]);
	turn_table_close_relay(e, &a->relay[TURN_FAM_V6]);
	if (a->quota_held)
		turn_quota_release(e->opts.quota, a->quser, a->quser_len,
		    &a->tuple.client);
	e->stats.allocations--;
	e->stats.permissions -= a->nperms;
	e->stats.channels -= a->nchans;
	free(a->resp);
	free(a->name);	/* quser shares this block */
	free(a->perms);
	free(a->chans);
	free(a);
}

void
turn_table_clear(struct turn_engine *e)
{
	struct turn_alloc *a, *next;
	size_t i;

	/* the next pointer is read before the free, as in the sweep */
	for (i = 0; i < TURN_HASH_BUCKETS; i++)
		for (a = e->by_tuple[i]; a != NULL; a = next) {
			next = a->next;
			turn_table_remove(e, a, TURN_END_SHUTDOWN);
		}
}
