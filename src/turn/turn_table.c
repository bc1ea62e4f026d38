/* SPDX-License-Identifier: ISC */
/*
 * turn_table: the worker's allocations, found by client 5-tuple (RFC 8656
 * §2: an allocation is identified by its 5-tuple; on TCP/TLS the
 * connection id completes it) and by relay handle (for peer datagrams).
 * Two tables that grow (turn_hash.c): the 5-tuple's is keyed with
 * SipHash over the compact struct turn_tkey, with a random key per engine;
 * an allocation is malloc'd once when created, never per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"
#include "util/siphash.h"

int
turn_table_init(struct turn_engine *e)
{
	if (crypto_random(e->hkey, sizeof(e->hkey)) != 0 ||
	    turn_htab_init(&e->by_tuple) != 0)
		return -1;
	if (turn_htab_init(&e->by_relay) != 0) {
		turn_htab_free(&e->by_tuple);
		return -1;
	}
	return 0;
}

/* One side of the 5-tuple into the compact key. */
static void
turn_key_side(struct turn_tkey *k, int i, const struct addr *a)
{
	if (addr_family(a) == AF_INET) {
		k->fam[i] = 4;
		memcpy(k->ip[i], &a->u.sin.sin_addr, 4);
	} else if (addr_family(a) == AF_INET6) {
		k->fam[i] = 6;
		memcpy(k->ip[i], &a->u.sin6.sin6_addr, 16);
	}
	k->port[i] = addr_port(a);
}

static void
turn_key_from_tuple(struct turn_tkey *k, const struct turn_tuple *t)
{
	memset(k, 0, sizeof(*k));
	turn_key_side(k, 0, &t->client);
	turn_key_side(k, 1, &t->local);
	k->transport = (uint8_t)t->transport;
	k->conn = t->conn;
}

/* Keyed, so that clients choosing their addresses and ports cannot aim
 * their allocations at one chain (docs/security.md, Attack catalogue:
 * resource exhaustion). */
static uint64_t
turn_key_hash(const struct turn_engine *e, const struct turn_tkey *k)
{
	return siphash24(e->hkey[0], e->hkey[1], k, sizeof(*k));
}

/* Handles are the I/O layer's, never a client's: a keyed mix will do
 * (the splitmix64 finaliser). */
static uint64_t
turn_handle_hash(const struct turn_engine *e, uint64_t handle)
{
	uint64_t x = handle ^ e->hkey[0];

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static bool
turn_tuple_equal(const struct turn_tuple *a, const struct turn_tuple *b)
{
	return a->transport == b->transport && a->conn == b->conn &&
	    addr_equal(&a->client, &b->client, true) &&
	    addr_equal(&a->local, &b->local, true);
}

/* The hash of its compact key is compared first: a chain is walked
 * without comparing addresses but for the match. */
struct turn_alloc *
turn_table_find(struct turn_engine *e, const struct turn_tuple *t)
{
	struct turn_hnode *x;
	struct turn_tkey k;
	uint64_t h;

	turn_key_from_tuple(&k, t);
	h = turn_key_hash(e, &k);
	for (x = *turn_htab_bucket(&e->by_tuple, h); x != NULL; x = x->next)
		if (x->hash == h &&
		    turn_tuple_equal(&((struct turn_alloc *)x)->tuple, t))
			return (struct turn_alloc *)x;
	return NULL;
}

struct turn_relay *
turn_table_relay(struct turn_engine *e, uint64_t handle)
{
	struct turn_hnode *x;
	uint64_t h;

	if (handle == 0)
		return NULL;
	h = turn_handle_hash(e, handle);
	for (x = *turn_htab_bucket(&e->by_relay, h); x != NULL; x = x->next)
		if (((struct turn_relay *)x)->handle == handle)
			return (struct turn_relay *)x;
	return NULL;
}

struct turn_alloc *
turn_table_add(struct turn_engine *e, const struct turn_tuple *t)
{
	struct turn_alloc *a;
	struct turn_tkey k;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->tuple = *t;
	a->relay[0].alloc = a;
	a->relay[1].alloc = a;
	turn_key_from_tuple(&k, t);
	turn_htab_insert(&e->by_tuple, &a->hn, turn_key_hash(e, &k));
	e->stats.allocations++;
	return a;
}

void
turn_table_add_relay(struct turn_engine *e, struct turn_relay *rl)
{
	turn_htab_insert(&e->by_relay, &rl->hn, turn_handle_hash(e, rl->handle));
}

void
turn_table_close_relay(struct turn_engine *e, struct turn_relay *rl)
{
	int fam;

	if (rl->port != 0) {
		fam = rl == &rl->alloc->relay[TURN_FAM_V4] ? AF_INET : AF_INET6;
		turn_ports_release(e->opts.ports, fam, rl->ip, rl->port);
		rl->port = 0;
	}
	if (rl->handle == 0)
		return;
	turn_htab_remove(&e->by_relay, &rl->hn);
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
	turn_htab_remove(&e->by_tuple, &a->hn);
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

struct turn_table_walk {
	struct turn_engine *e;
	void (*fn)(struct turn_engine *, struct turn_alloc *, void *);
	void *arg;
};

static void
turn_table_walk_one(struct turn_hnode *x, void *arg)
{
	struct turn_table_walk *w = arg;

	w->fn(w->e, (struct turn_alloc *)x, w->arg);
}

void
turn_table_each(struct turn_engine *e,
    void (*fn)(struct turn_engine *, struct turn_alloc *, void *), void *arg)
{
	struct turn_table_walk w = { e, fn, arg };

	turn_htab_each(&e->by_tuple, turn_table_walk_one, &w);
}

static void
turn_table_shutdown(struct turn_engine *e, struct turn_alloc *a, void *arg)
{
	(void)arg;
	turn_table_remove(e, a, TURN_END_SHUTDOWN);
}

void
turn_table_clear(struct turn_engine *e)
{
	turn_table_each(e, turn_table_shutdown, NULL);
	turn_htab_free(&e->by_tuple);
	turn_htab_free(&e->by_relay);
}
