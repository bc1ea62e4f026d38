/* SPDX-License-Identifier: ISC */
/*
 * policy_rate: per-source token buckets in a fixed, set-associative table
 * (docs/security.md, Per-source budgets; the scheme and why eviction is
 * harmless: policy.h, Per-source budgets).
 *
 * Arithmetic: a token is period_ms units and a bucket gains rate units per
 * millisecond, so that rate tokens per period are added exactly, in
 * integers, with no remainder to carry (a refill after 1 ms and one after
 * 1000 ms give the same total). A bucket holds at most burst * period_ms
 * units, which policy_rate_new() checks fits in 32 bits.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "util/siphash.h"

#define RATE_WAYS		8	/* entries per set: four cache lines */
#define RATE_ENTRIES_MAX	(1u << 22)	/* 128 MiB of entries */
#define RATE_NONE		SIZE_MAX

/* What an entry counts; also the index of its class in r->cls. */
enum rate_kind {
	RATE_EMPTY = 0,
	RATE_V4,		/* an IPv4 /32 */
	RATE_V6_64,		/* an IPv6 /64 */
	RATE_V6_48,		/* the /48 aggregate of IPv6 sources */
	RATE_OVERFLOW,		/* the shared bucket of untracked sources */
	RATE_KINDS
};

struct rate_ent {
	uint64_t key;		/* the prefix, high bits first; 0-padded */
	uint64_t stamp;		/* ms of the last refill */
	uint64_t hold;		/* a /48: kept until then (rate_hold) */
	uint32_t units;		/* tokens * period_ms */
	uint8_t kind;		/* enum rate_kind */
	uint8_t locked;		/* ran dry in lockout mode, not yet full */
};

/* The parameters of one kind of bucket, in units. */
struct rate_class {
	uint32_t cap;		/* burst * period_ms */
	uint32_t rate;		/* units gained per ms */
};

struct policy_rate {
	struct rate_ent *ent;	/* nsets * RATE_WAYS */
	size_t nsets;		/* a power of two */
	struct rate_ent over;	/* RATE_OVERFLOW */
	struct rate_class cls[RATE_KINDS];
	uint32_t unit;		/* units in one token: period_ms */
	bool lockout;
	uint64_t k0, k1;	/* SipHash key */
	uint64_t now;		/* the latest time seen; time never goes back */
	struct policy_rate_stats st;
};

/* A source's key in one table: the prefix and its kind. */
struct rate_key {
	uint64_t key;
	uint8_t kind;
};

static uint64_t
rate_le64(const uint8_t *b)
{
	uint64_t x = 0;
	int i;

	for (i = 7; i >= 0; i--)
		x = x << 8 | b[i];
	return x;
}

/* SipHash-2-4 of a source's key (its prefix and kind, 16 bytes) under the
 * table's random key. */
static uint64_t
rate_hash(const struct policy_rate *r, const struct rate_key *k)
{
	uint8_t m[16];
	int i;

	for (i = 0; i < 8; i++) {
		m[i] = (uint8_t)(k->key >> (8 * i));
		m[8 + i] = i == 0 ? k->kind : 0;
	}
	return siphash24(r->k0, r->k1, m, sizeof(m));
}

static uint64_t
rate_be(const uint8_t *b, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		x = x << 8 | (i < n ? b[i] : 0);
	return x;
}

/* The keys of a source: one for IPv4, the /64 and its /48 for IPv6; 0 for
 * another family. IPv4-mapped IPv6 is the IPv4 source (policy.h). */
static size_t
rate_keys(const struct addr *src, struct rate_key k[2])
{
	struct addr a;
	const uint8_t *b;

	policy_addr_canonical(src, &a);
	switch (addr_family(&a)) {
	case AF_INET:
		k[0].key = rate_be((const uint8_t *)&a.u.sin.sin_addr, 4);
		k[0].kind = RATE_V4;
		return 1;
	case AF_INET6:
		b = (const uint8_t *)&a.u.sin6.sin6_addr;
		k[0].key = rate_be(b, 8);
		k[0].kind = RATE_V6_64;
		k[1].key = rate_be(b, 6);
		k[1].kind = RATE_V6_48;
		return 2;
	default:
		return 0;
	}
}

/* The units e holds at now (refilled lazily, capped at the class's cap). */
static uint32_t
rate_level(const struct policy_rate *r, const struct rate_ent *e,
    uint64_t now)
{
	const struct rate_class *c = &r->cls[e->kind];
	uint64_t dt, u;

	if (now <= e->stamp)
		return e->units;
	dt = now - e->stamp;
	if (dt >= c->cap)	/* rate >= 1, so the bucket is full */
		return c->cap;
	u = (uint64_t)e->units + dt * c->rate;	/* < 2^32 * 2^32 */
	return u >= c->cap ? c->cap : (uint32_t)u;
}

/* Whether e is still locked at level: a lock lasts until it is full. */
static bool
rate_locked(const struct policy_rate *r, const struct rate_ent *e,
    uint32_t level)
{
	return e->locked && level < r->cls[e->kind].cap;
}

/* Whether a slot may take a new source: empty, or full (nothing to
 * remember: re-created later, it starts full again) and, for a /48, no
 * longer held by one of its /64s. */
static bool
rate_evictable(const struct policy_rate *r, const struct rate_ent *e,
    uint64_t now)
{
	return e->kind == RATE_EMPTY ||
	    (rate_level(r, e, now) == r->cls[e->kind].cap && now >= e->hold);
}

/* The first slot of k's set. */
static size_t
rate_set(const struct policy_rate *r, const struct rate_key *k)
{
	return ((size_t)rate_hash(r, k) &
	    (r->nsets - 1)) * RATE_WAYS;
}

/* k's entry in the set at base, or RATE_NONE. */
static size_t
rate_match(const struct policy_rate *r, size_t base, const struct rate_key *k)
{
	const struct rate_ent *e;
	size_t i;

	for (i = base; i < base + RATE_WAYS; i++) {
		e = &r->ent[i];
		if (e->kind == k->kind && e->key == k->key)
			return i;
	}
	return RATE_NONE;
}

/*
 * The slot a new entry would take in the set at base: an empty way first,
 * else one that may be evicted; never one of the n slots in avoid (the
 * other buckets of the same take). RATE_NONE when there is none.
 */
static size_t
rate_victim(const struct policy_rate *r, size_t base, uint64_t now,
    const size_t *avoid, size_t n)
{
	size_t i, j, victim = RATE_NONE;

	for (i = base; i < base + RATE_WAYS; i++) {
		for (j = 0; j < n && avoid[j] != i; j++)
			continue;
		if (j < n)
			continue;
		if (r->ent[i].kind == RATE_EMPTY)
			return i;
		if (victim == RATE_NONE && rate_evictable(r, &r->ent[i], now))
			victim = i;
	}
	return victim;
}

/* One bucket a take draws from: where it lives and what it holds now. */
struct rate_use {
	size_t idx;		/* the slot; RATE_NONE: the overflow bucket */
	bool fresh;		/* a new entry for k, not yet installed */
	const struct rate_key *k;
	uint32_t level;
	bool locked;
};

/* Fills u[] for the n (1 or 2) keys of a source; returns how many
 * buckets (the overflow bucket counts once), and *over whether one is the
 * overflow. A new entry never takes the slot of another key of the source,
 * nor the slot chosen for it. */
static size_t
rate_uses(const struct policy_rate *r, const struct rate_key *k, size_t n,
    uint64_t now, struct rate_use *u, bool *over)
{
	const struct rate_ent *e;
	size_t base[2], avoid[2], i, m = 0;

	for (i = 0; i < n; i++) {
		base[i] = rate_set(r, &k[i]);
		avoid[i] = rate_match(r, base[i], &k[i]);
	}
	*over = false;
	for (i = 0; i < n; i++) {
		u[m].k = &k[i];
		u[m].fresh = avoid[i] == RATE_NONE;
		u[m].idx = avoid[i];
		if (u[m].fresh) {
			u[m].idx = avoid[i] = rate_victim(r, base[i], now,
			    avoid, n);
			if (u[m].idx == RATE_NONE) {
				if (*over)
					continue;
				*over = true;
				u[m].fresh = false;
			}
		}
		if (u[m].fresh) {
			u[m].level = r->cls[k[i].kind].cap;
			u[m].locked = false;
		} else {
			e = u[m].idx == RATE_NONE ? &r->over :
			    &r->ent[u[m].idx];
			u[m].level = rate_level(r, e, now);
			u[m].locked = rate_locked(r, e, u[m].level);
		}
		m++;
	}
	return m;
}

static bool
rate_can(const struct policy_rate *r, const struct rate_use *u, size_t m)
{
	size_t i;

	for (i = 0; i < m; i++)
		if (u[i].locked || u[i].level < r->unit)
			return false;
	return true;
}

/* Writes one bucket back at now, less a token if take. */
static void
rate_store(struct policy_rate *r, const struct rate_use *u, uint64_t now,
    bool take)
{
	struct rate_ent *e;

	e = u->idx == RATE_NONE ? &r->over : &r->ent[u->idx];
	if (u->fresh) {	/* a new entry: installed only when drawn on */
		if (!take)
			return;
		if (e->kind == RATE_EMPTY)
			r->st.entries++;
		else
			r->st.evictions++;
		memset(e, 0, sizeof(*e));
		e->key = u->k->key;
		e->kind = u->k->kind;
	}
	e->units = u->level - (take ? r->unit : 0);
	e->stamp = now;
	e->locked = u->locked;
	/* the lockout covers the source buckets, never the shared one */
	if (r->lockout && e != &r->over && e->units < r->unit)
		e->locked = 1;
}

/*
 * After a /64 has drawn on its /48: the /48 is kept (not evictable, even
 * when full) until that /64 is full again, so that a /64 that is spending
 * never finds its /48 evicted and itself judged by the overflow bucket.
 */
static void
rate_hold(struct policy_rate *r, const struct rate_use *u, size_t m,
    uint64_t now)
{
	const struct rate_class *c = &r->cls[RATE_V6_64];
	const struct rate_ent *e64;
	struct rate_ent *e48;
	uint64_t until;

	if (m != 2 || u[0].idx == RATE_NONE || u[1].idx == RATE_NONE)
		return;
	e64 = &r->ent[u[0].idx];
	e48 = &r->ent[u[1].idx];
	until = now + (c->cap - e64->units + c->rate - 1) / c->rate;
	if (until > e48->hold)
		e48->hold = until;
}

bool
policy_rate_take(struct policy_rate *r, const struct addr *src,
    uint64_t now_ms)
{
	struct rate_key k[2];
	struct rate_use u[2];
	size_t n, m, i;
	bool over, can;

	if ((n = rate_keys(src, k)) == 0) {
		r->st.refused++;
		return false;
	}
	if (now_ms > r->now)
		r->now = now_ms;
	m = rate_uses(r, k, n, r->now, u, &over);
	can = rate_can(r, u, m);
	for (i = 0; i < m; i++)
		rate_store(r, &u[i], r->now, can);
	if (can)
		rate_hold(r, u, m, r->now);
	if (over)
		r->st.overflow++;
	if (can)
		r->st.allowed++;
	else
		r->st.refused++;
	return can;
}

bool
policy_rate_over(const struct policy_rate *r, const struct addr *src,
    uint64_t now_ms)
{
	struct rate_key k[2];
	struct rate_use u[2];
	size_t n, m;
	bool over;

	if ((n = rate_keys(src, k)) == 0)
		return true;
	m = rate_uses(r, k, n, now_ms > r->now ? now_ms : r->now, u, &over);
	return !rate_can(r, u, m);
}

uint32_t
policy_rate_tokens(const struct policy_rate *r, const struct addr *src,
    uint64_t now_ms)
{
	struct rate_key k[2];
	const struct rate_ent *e;
	uint64_t now = now_ms > r->now ? now_ms : r->now;
	uint32_t t, min = UINT32_MAX, level;
	size_t n, i, idx;

	if ((n = rate_keys(src, k)) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		idx = rate_match(r, rate_set(r, &k[i]), &k[i]);
		if (idx == RATE_NONE) {
			t = r->cls[k[i].kind].cap / r->unit;
		} else {
			e = &r->ent[idx];
			level = rate_level(r, e, now);
			t = rate_locked(r, e, level) ? 0 : level / r->unit;
		}
		if (t < min)
			min = t;
	}
	return min;
}

void
policy_rate_stats(const struct policy_rate *r, struct policy_rate_stats *out)
{
	*out = r->st;
}

/* One class from tokens per period; -1 if a bucket would not fit. */
static int
rate_class_set(struct rate_class *c, uint32_t rate, uint32_t burst,
    uint32_t period)
{
	if (rate == 0 || burst == 0 || burst > UINT32_MAX / period)
		return -1;
	c->cap = burst * period;
	c->rate = rate;
	return 0;
}

/* The options with their defaults filled in; why set on a bad value. */
static int
rate_opts_check(const struct policy_rate_opts *in, struct policy_rate_opts *o,
    const char **why)
{
	*o = *in;
	if (o->period_ms == 0 || o->rate == 0 || o->burst == 0) {
		*why = "rate, burst and period must be positive";
		return -1;
	}
	if (o->rate48 == 0)
		o->rate48 = o->rate > UINT32_MAX / POLICY_RATE_AGG48 ?
		    UINT32_MAX : o->rate * POLICY_RATE_AGG48;
	if (o->burst48 == 0)
		o->burst48 = o->burst > UINT32_MAX / POLICY_RATE_AGG48 ?
		    UINT32_MAX : o->burst * POLICY_RATE_AGG48;
	if (o->overflow_rate == 0)
		o->overflow_rate = o->rate;
	if (o->overflow_burst == 0)
		o->overflow_burst = o->burst;
	if (o->entries == 0)
		o->entries = POLICY_RATE_ENTRIES;
	if (o->entries < RATE_WAYS || o->entries > RATE_ENTRIES_MAX ||
	    (o->entries & (o->entries - 1)) != 0) {
		*why = "entries must be a power of two from 8 to 4194304";
		return -1;
	}
	return 0;
}

void
policy_rate_opts_unauth(struct policy_rate_opts *o, uint32_t rate,
    uint32_t burst)
{
	memset(o, 0, sizeof(*o));
	o->rate = rate;
	o->burst = burst;
	o->period_ms = 1000;
}

void
policy_rate_opts_failures(struct policy_rate_opts *o, uint32_t limit)
{
	memset(o, 0, sizeof(*o));
	o->rate = limit;
	o->burst = limit;
	o->period_ms = 60000;
	o->lockout = true;
}

struct policy_rate *
policy_rate_new(const struct policy_rate_opts *opts, const uint8_t seed[16],
    const char **why)
{
	struct policy_rate_opts o;
	struct policy_rate *r = NULL;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (rate_opts_check(opts, &o, why) == -1)
		goto fail;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto oom;
	r->unit = o.period_ms;
	r->lockout = o.lockout;
	if (rate_class_set(&r->cls[RATE_V4], o.rate, o.burst, r->unit) == -1 ||
	    rate_class_set(&r->cls[RATE_V6_64], o.rate, o.burst,
	    r->unit) == -1 ||
	    rate_class_set(&r->cls[RATE_V6_48], o.rate48, o.burst48,
	    r->unit) == -1 ||
	    rate_class_set(&r->cls[RATE_OVERFLOW], o.overflow_rate,
	    o.overflow_burst, r->unit) == -1) {
		*why = "burst times period_ms must fit in 32 bits";
		goto fail;
	}
	r->nsets = o.entries / RATE_WAYS;
	if ((r->ent = calloc(o.entries, sizeof(*r->ent))) == NULL)
		goto oom;
	r->over.kind = RATE_OVERFLOW;
	r->over.units = r->cls[RATE_OVERFLOW].cap;
	r->k0 = rate_le64(seed);
	r->k1 = rate_le64(seed + 8);
	return r;
oom:
	*why = "out of memory";
fail:
	policy_rate_free(r);
	return NULL;
}

void
policy_rate_free(struct policy_rate *r)
{
	if (r == NULL)
		return;
	free(r->ent);
	free(r);
}
