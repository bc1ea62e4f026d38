/* SPDX-License-Identifier: ISC */
/*
 * fuzz_policy_rate: per-source budgets (src/policy/policy.h, Per-source
 * budgets) driven with random sources and times, checked against bounds
 * that hold whatever the table does.
 *
 * Input: byte 0 picks the budget (rate and burst, lockout, period of a
 * second or a minute), byte 1 the table (8 to 1024 entries) and the /48 and
 * overflow budgets; then 3 bytes per step: the source (one of 16 known
 * addresses, some of them one source in two spellings or one /48, or a
 * never seen one: IPv4, or an IPv6 /64 inside a known /48 or not), the time
 * step (which may go back: the table must count it as no time) and how
 * many takes.
 *
 * Invariants, t being the latest time given to the table (it counts an
 * earlier one as that) and t0 a source's first take:
 *   policy_rate_over() is true exactly when the policy_rate_take() that
 *   follows it at the same time is refused;
 *   policy_rate_tokens() never exceeds burst;
 *   a source's passes that drew on its own buckets only (the overflow
 *   counter did not move) are at most burst + rate * (t - t0) / period;
 *   the same for each known /48 with its budget, counting every /64 in it;
 *   passes judged by the overflow bucket are at most its burst +
 *   its rate * (t - first use) / period;
 *   allowed + refused = takes, and entries never exceed the table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPOOL	16
#define NGROUP	2

/* The known sources; src says which canonical source each one is, grp
 * which known /48 (-1: none). */
static const struct {
	const char *ip;
	int src, grp;
} pool[NPOOL] = {
	{ "198.51.100.1", 0, -1 },
	{ "::ffff:198.51.100.1", 0, -1 },
	{ "198.51.100.2", 2, -1 },
	{ "203.0.113.7", 3, -1 },
	{ "2001:db8:1:1::1", 4, 0 },
	{ "2001:db8:1:1:ffff::9", 4, 0 },
	{ "2001:db8:1:2::1", 6, 0 },
	{ "2001:db8:1:3::1", 7, 0 },
	{ "2001:db8:1:ffff::1", 8, 0 },
	{ "2001:db8:2:1::1", 9, 1 },
	{ "2001:db8:2:2::1", 10, 1 },
	{ "2001:db8:2:3::2", 11, 1 },
	{ "2001:db8:3::1", 12, -1 },
	{ "2001:db8:4::1", 13, -1 },
	{ "198.51.100.3", 14, -1 },
	{ "198.51.100.4", 15, -1 },
};

struct budget {
	uint64_t passes, first;
	int seen;
};

struct run {
	struct policy_rate *r;
	struct policy_rate_opts o;
	uint32_t entries;
	uint64_t now;		/* the clock the steps move */
	uint64_t tmax;		/* the latest time given to the table */
	uint64_t takes, spoof;
	struct budget src[NPOOL], grp[NGROUP], over;
	struct addr pool[NPOOL];
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_policy_rate: %s\n", what);
	abort();
}

/* Whether n passes since b's first use stay within burst + rate * t. */
static void
bound(const struct run *x, const struct budget *b, uint32_t rate,
    uint32_t burst, const char *what)
{
	uint64_t most;

	if (!b->seen)
		return;
	most = burst + rate * (x->tmax - b->first) / x->o.period_ms;
	if (b->passes > most) {
		fprintf(stderr, "%llu passes, at most %llu\n",
		    (unsigned long long)b->passes, (unsigned long long)most);
		fail(what);
	}
}

static void
count(struct budget *b, uint64_t now, bool passed)
{
	if (!b->seen) {
		b->seen = 1;
		b->first = now;
	}
	b->passes += passed;
}

/* A source never seen before: IPv4, or an IPv6 /64 in a known /48 or a
 * fresh one. */
static void
spoofed(struct run *x, uint8_t sel, struct addr *a, int *grp)
{
	uint64_t n = ++x->spoof;
	uint8_t *b;

	memset(a, 0, sizeof(*a));
	*grp = -1;
	if (sel & 1) {
		a->u.sin.sin_family = AF_INET;
		b = (uint8_t *)&a->u.sin.sin_addr;
		b[0] = 100;
		b[1] = (uint8_t)(n >> 16);
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		return;
	}
	a->u.sin6.sin6_family = AF_INET6;
	b = (uint8_t *)&a->u.sin6.sin6_addr;
	b[0] = 0x20;
	b[1] = 0x01;
	b[2] = 0x0d;
	b[3] = 0xb8;
	if (sel & 2) {		/* a /64 of known /48 number sel >> 2 & 1 */
		*grp = sel >> 2 & 1;
		b[5] = (uint8_t)(1 + *grp);
		b[6] = (uint8_t)(0x80 | (n >> 8 & 0x3f));	/* not ffff */
		b[7] = (uint8_t)n;
	} else {		/* a /48 of its own */
		b[4] = 0xf0;
		b[5] = (uint8_t)(n >> 8);
		b[6] = (uint8_t)n;
	}
	b[15] = 1;
}

/* One take (checked against policy_rate_over) and the budgets it counts. */
static void
step(struct run *x, const struct addr *a, int src, int grp, uint64_t at)
{
	struct policy_rate_stats before, after;
	bool over, passed, own;

	if (at > x->tmax)
		x->tmax = at;
	policy_rate_stats(x->r, &before);
	over = policy_rate_over(x->r, a, at);
	passed = policy_rate_take(x->r, a, at);
	policy_rate_stats(x->r, &after);
	x->takes++;
	if (over == passed)
		fail("policy_rate_over() disagrees with the take after it");
	own = after.overflow == before.overflow;
	if (!own)
		count(&x->over, x->tmax, passed);
	if (src >= 0)
		count(&x->src[src], x->tmax, own && passed);
	if (grp >= 0)
		count(&x->grp[grp], x->tmax, own && passed);
	if (src >= 0 && policy_rate_tokens(x->r, a, at) > x->o.burst)
		fail("more tokens than burst");
}

static void
check(const struct run *x)
{
	struct policy_rate_stats st;
	size_t i;

	for (i = 0; i < NPOOL; i++)
		bound(x, &x->src[i], x->o.rate, x->o.burst, "a source");
	for (i = 0; i < NGROUP; i++)
		bound(x, &x->grp[i], x->o.rate48, x->o.burst48, "a /48");
	bound(x, &x->over, x->o.overflow_rate, x->o.overflow_burst,
	    "the overflow bucket");
	policy_rate_stats(x->r, &st);
	if (st.allowed + st.refused != x->takes)
		fail("allowed + refused != takes");
	if (st.entries > x->entries)
		fail("more entries than the table");
}

/* The budget from bytes 0 and 1; the defaults filled in by hand, so that
 * the bounds use the numbers the table was built with. */
static void
setup(struct run *x, uint8_t b0, uint8_t b1)
{
	static const uint32_t rb[4][2] = { { 1, 1 }, { 3, 4 }, { 50, 200 },
	    { 7, 2 } };
	static const uint32_t ent[4] = { 8, 16, 64, 1024 };

	memset(&x->o, 0, sizeof(x->o));
	x->o.rate = rb[b0 & 3][0];
	x->o.burst = rb[b0 & 3][1];
	x->o.lockout = (b0 >> 2) & 1;
	x->o.period_ms = (b0 >> 3) & 1 ? 60000 : 1000;
	x->entries = ent[b1 & 3];
	x->o.entries = x->entries;
	x->o.rate48 = (b1 >> 2) & 1 ? x->o.rate * 2 : x->o.rate * 8;
	x->o.burst48 = (b1 >> 3) & 1 ? x->o.burst + 1 : x->o.burst * 8;
	x->o.overflow_rate = (b1 >> 4) & 1 ? 1 : x->o.rate;
	x->o.overflow_burst = (b1 >> 5) & 1 ? 1 : x->o.burst;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[POLICY_RATE_SEED_LEN] = { 1, 2, 3 };
	struct run x;
	struct addr a;
	uint64_t dt, at;
	size_t i, k, n;
	int src, grp;

	if (size < 2)
		return 0;
	memset(&x, 0, sizeof(x));
	setup(&x, data[0], data[1]);
	for (i = 0; i < NPOOL; i++)
		if (addr_parse_ip(&x.pool[i], pool[i].ip, 3478) == -1)
			fail("pool address");
	if ((x.r = policy_rate_new(&x.o, seed, NULL)) == NULL)
		fail("policy_rate_new");
	x.now = 1000;
	for (i = 2; i + 3 <= size; i += 3) {
		dt = data[i + 1] & 0x3f;
		if (data[i + 1] & 0x40)
			dt *= 997;
		at = x.now;
		if (data[i + 1] & 0x80)	/* a time already past */
			at = x.now > dt ? x.now - dt : 0;
		else
			at = x.now += dt;
		if (data[i] < 0xc0) {
			a = x.pool[data[i] % NPOOL];
			src = pool[data[i] % NPOOL].src;
			grp = pool[data[i] % NPOOL].grp;
		} else {
			spoofed(&x, data[i], &a, &grp);
			src = -1;
		}
		n = 1 + (data[i + 2] & 7);
		for (k = 0; k < n; k++)
			step(&x, &a, src, grp, at);
		check(&x);
	}
	policy_rate_free(x.r);
	return 0;
}
