/* SPDX-License-Identifier: ISC */
/*
 * policy/policy_rate: per-source budgets (src/policy/policy.h, Per-source
 * budgets; docs/security.md) with a fake clock: exact refill and burst,
 * the sources (/32, /64, /48, IPv4-mapped), the failure limit, and the
 * table under a flood of 1,000,000 spoofed sources.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_int.h"
#include "util/addr.h"
#include "tap.h"

static const uint8_t seed[POLICY_RATE_SEED_LEN] = { 0x5e, 0xed, 1, 2, 3, 4,
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

static struct addr
ip(const char *s)
{
	struct addr a;

	if (addr_parse_ip(&a, s, 3478) == -1)
		abort();
	return a;
}

static struct policy_rate *
mk(uint32_t rate, uint32_t burst, uint32_t entries)
{
	struct policy_rate_opts o;
	struct policy_rate *r;

	policy_rate_opts_unauth(&o, rate, burst);
	o.entries = entries;
	if ((r = policy_rate_new(&o, seed, NULL)) == NULL)
		abort();
	return r;
}

/* How many of n takes pass for s at now. */
static unsigned
takes(struct policy_rate *r, const char *s, unsigned n, uint64_t now)
{
	struct addr a = ip(s);
	unsigned i, passed = 0;

	for (i = 0; i < n; i++)
		passed += policy_rate_take(r, &a, now);
	return passed;
}

static uint32_t
tokens(const struct policy_rate *r, const char *s, uint64_t now)
{
	struct addr a = ip(s);

	return policy_rate_tokens(r, &a, now);
}

/* Whether policy_rate_new() refuses o and says why. */
static void
refused(const struct policy_rate_opts *o, const char *what)
{
	const char *why = NULL;
	struct policy_rate *r = policy_rate_new(o, seed, &why);

	if (ok(r == NULL && why != NULL && *why != '\0', "%s refused", what))
		diag("%s", why);
	policy_rate_free(r);
}

static void
test_opts(void)
{
	struct policy_rate_opts o;

	policy_rate_opts_unauth(&o, 0, 10);
	refused(&o, "rate 0");
	policy_rate_opts_unauth(&o, 10, 10);
	o.entries = 12;
	refused(&o, "entries not a power of two");
	o.entries = 4;
	refused(&o, "fewer entries than one set");
	policy_rate_opts_unauth(&o, 10, 5000000);
	refused(&o, "burst * period over 32 bits");
	policy_rate_opts_failures(&o, POLICY_RATE_AUTH_FAILURE_LIMIT);
	ok(o.rate == 30 && o.burst == 30 && o.period_ms == 60000 && o.lockout,
	    "failure limit: 30 per 60000 ms with lockout");
	policy_rate_free(NULL);
}

static void
test_burst_refill(void)
{
	struct policy_rate *r = mk(50, 200, 0);
	const char *s = "198.51.100.1";

	is_int(tokens(r, s, 1000), 200, "a new source holds burst");
	is_int(takes(r, s, 201, 1000), 200, "burst passes at once, no more");
	is_int(tokens(r, s, 1000), 0, "empty after the burst");
	is_int(takes(r, s, 1, 1019), 0, "19 ms refill 0.95 token: refused");
	is_int(takes(r, s, 2, 1020), 1, "20 ms refill exactly one token");
	is_int(takes(r, s, 1, 1030), 0, "10 ms later: half a token");
	is_int(takes(r, s, 1, 1040), 1, "two lazy 10 ms refills make a token");
	is_int(takes(r, s, 100, 2040), 50, "one second: exactly rate (50)");
	is_int(takes(r, s, 1000, 12040), 200, "ten seconds: capped at burst");
	is_int(tokens(r, s, 3600000), 200, "an hour idle: burst, no more");
	is_int(takes(r, s, 1000, 3600000), 200, "and exactly burst passes");
	is_int(takes(r, s, 1, 500), 0, "an earlier now adds nothing");
	is_int(takes(r, s, 1, 3600020), 1, "and time goes on from the latest");
	policy_rate_free(r);
}

static void
test_sources(void)
{
	struct policy_rate *r = mk(50, 200, 0);
	struct addr a, b;

	is_int(takes(r, "198.51.100.1", 300, 1000), 200, "source 1 spent");
	is_int(takes(r, "198.51.100.2", 300, 1000), 200,
	    "another /32 has its own burst");
	a = ip("198.51.100.1");
	addr_set_port(&a, 9);
	ok(!policy_rate_take(r, &a, 1000), "another port is the same source");
	is_int(takes(r, "::ffff:198.51.100.1", 1, 1000), 0,
	    "IPv4-mapped ::ffff:198.51.100.1 is the IPv4 source");
	is_int(takes(r, "::ffff:198.51.100.3", 5, 1000), 5,
	    "a mapped source spends ...");
	is_int(tokens(r, "198.51.100.3", 1000), 195, "... the IPv4 budget");
	is_int(takes(r, "2001:db8:1:2::1", 300, 1000), 200, "a /64 spent");
	is_int(takes(r, "2001:db8:1:2:ffff:ffff:ffff:ffff", 1, 1000), 0,
	    "another address of the same /64: refused");
	is_int(takes(r, "2001:db8:1:3::1", 300, 1000), 200,
	    "another /64 of the /48 has its own burst");
	memset(&b, 0, sizeof(b));
	b.u.sa.sa_family = AF_UNIX;
	ok(!policy_rate_take(r, &b, 1000) && policy_rate_over(r, &b, 1000),
	    "another family is refused");
	policy_rate_free(r);
}

static void
test_agg48(void)
{
	struct policy_rate_opts o;
	struct policy_rate *r;
	char s[64];
	unsigned i, passed;

	policy_rate_opts_unauth(&o, 50, 200);
	o.burst48 = 300;
	if ((r = policy_rate_new(&o, seed, NULL)) == NULL)
		abort();
	is_int(takes(r, "2001:db8:5:1::1", 300, 1000), 200, "/64 A: its burst");
	is_int(takes(r, "2001:db8:5:2::1", 300, 1000), 100,
	    "/64 B of the same /48 gets what the /48 has left (300 - 200)");
	is_int(tokens(r, "2001:db8:5:3::1", 1000), 0,
	    "a third /64 of that /48: nothing left");
	is_int(takes(r, "2001:db8:6:1::1", 300, 1000), 200,
	    "a /64 of another /48 is unaffected");
	policy_rate_free(r);

	/* the default /48 budget: 8 times rate and burst */
	r = mk(50, 200, 0);
	passed = 0;
	for (i = 0; i < 200; i++) {
		snprintf(s, sizeof(s), "2001:db8:7:%x::1", i);
		passed += takes(r, s, 300, 1000);
	}
	is_int(passed, 1600, "200 /64s of one /48: 1600 passes (burst x 8)");
	passed = 0;
	for (i = 0; i < 200; i++) {
		snprintf(s, sizeof(s), "2001:db8:7:%x::1", i);
		passed += takes(r, s, 300, 2000);
	}
	is_int(passed, 400, "one second later: 400 more (rate x 8)");
	policy_rate_free(r);
}

static void
test_failures(void)
{
	struct policy_rate_opts o;
	struct policy_rate *r;
	struct addr a = ip("198.51.100.9"), b = ip("2001:db8:9::9");
	unsigned i;

	policy_rate_opts_failures(&o, 30);
	if ((r = policy_rate_new(&o, seed, NULL)) == NULL)
		abort();
	for (i = 0; i < 29; i++)
		(void)policy_rate_take(r, &a, 1000);
	ok(!policy_rate_over(r, &a, 1000), "29 failures: not over");
	ok(policy_rate_take(r, &a, 1000), "the 30th is recorded");
	ok(policy_rate_over(r, &a, 1000), "30 failures: over");
	ok(!policy_rate_over(r, &b, 1000), "another source is not over");
	ok(policy_rate_take(r, &b, 1000), "and its failures are counted apart");
	ok(policy_rate_over(r, &a, 3000),
	    "2 s later (a token back): still over, lockout");
	ok(policy_rate_over(r, &a, 60999), "over for the rest of the minute");
	is_int(policy_rate_tokens(r, &a, 60999), 0, "no token while locked");
	ok(!policy_rate_over(r, &a, 61000), "recovered a minute after");
	for (i = 0; i < 30; i++)
		if (!policy_rate_take(r, &a, 61000))
			break;
	is_int(i, 30, "30 failures again after the minute");
	ok(policy_rate_over(r, &a, 61000), "and over again");
	policy_rate_free(r);

	/* without lockout the bucket lets one through per 2 s */
	policy_rate_opts_failures(&o, 30);
	o.lockout = false;
	if ((r = policy_rate_new(&o, seed, NULL)) == NULL)
		abort();
	for (i = 0; i < 30; i++)
		(void)policy_rate_take(r, &a, 1000);
	ok(policy_rate_over(r, &a, 2999) && !policy_rate_over(r, &a, 3000),
	    "no lockout: a token back after 60 s / 30");
	policy_rate_free(r);
}

/*
 * A table of one set (8 entries): every key shares it. Ways, in order: the
 * /64 and /48 of A, then six /32s. Once A's buckets are full, a new /32 X
 * evicts A's /64 (the first full way), and A's next take finds its /48
 * but no room for its /64: the /64 is judged by the overflow bucket, and
 * must never take the way of its own /48 (full, so evictable by others).
 */
static void
test_one_set(void)
{
	struct policy_rate *r = mk(50, 200, 8);
	struct policy_rate_stats st;
	char s[32];
	unsigned i, passed = 0;

	passed += takes(r, "2001:db8:a::1", 1, 1000);
	for (i = 0; i < 6; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 20 + i);
		passed += takes(r, s, 1, 2000);
	}
	passed += takes(r, "198.51.100.30", 1, 2000);
	is_int(passed, 8, "one set: A, six /32s and X pass");
	policy_rate_stats(r, &st);
	is_int(st.evictions, 1, "X evicted one full entry (A's /64)");
	is_int(takes(r, "2001:db8:a::1", 1, 2000), 1,
	    "A passes: /48 from its entry, /64 from the overflow bucket");
	is_int(tokens(r, "2001:db8:a::1", 2000), 200,
	    "A's /64 is not in the table (counts as full), its /48 is intact");
	is_int(takes(r, "198.51.100.40", 1, 2000), 1,
	    "a new /32: A's /48 is not full now, so the "
	    "overflow bucket judges it");
	policy_rate_stats(r, &st);
	is_int(st.overflow, 2, "both judged by the overflow bucket");
	is_int(st.evictions, 1, "no entry evicted for them");
	is_int(tokens(r, "198.51.100.20", 2000), 199,
	    "the /32s that are not full kept their entries");
	policy_rate_free(r);
}

/* ---- the table under a flood of spoofed sources ---- */

/* A dedicated bucket, the behaviour with no table at all. */
struct ref {
	uint64_t units, stamp;
};

#define REF_RATE	50
#define REF_BURST	200
#define REF_UNIT	1000

static uint64_t
ref_level(const struct ref *b, uint64_t now)
{
	uint64_t u = b->units + (now - b->stamp) * REF_RATE;

	return u > REF_BURST * REF_UNIT ? REF_BURST * REF_UNIT : u;
}

static bool
ref_take(struct ref *b, uint64_t now)
{
	b->units = ref_level(b, now);
	b->stamp = now;
	if (b->units < REF_UNIT)
		return false;
	b->units -= REF_UNIT;
	return true;
}

static uint64_t prng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	prng ^= prng >> 12;
	prng ^= prng << 25;
	prng ^= prng >> 27;
	return prng * 0x2545f4914f6cdd1dULL;
}

static void
spoof(struct addr *a)
{
	uint64_t x = rnd(), y = rnd();

	memset(a, 0, sizeof(*a));
	if (x & 1) {
		a->u.sin.sin_family = AF_INET;
		memcpy(&a->u.sin.sin_addr, &y, 4);
	} else {
		a->u.sin6.sin6_family = AF_INET6;
		memcpy(&a->u.sin6.sin6_addr, &x, 8);
		memcpy((uint8_t *)&a->u.sin6.sin6_addr + 8, &y, 8);
		((uint8_t *)&a->u.sin6.sin6_addr)[0] = 0x20 | (x >> 8 & 0x1f);
	}
}

/* The real clients: spent ones try 10 takes per 100 ms (twice the refill,
 * so they stay empty), ones within budget take 5 (the refill: their level
 * stays where it was). */
struct client {
	const char *ip;
	unsigned spend, per_round;
	struct ref ref;
	unsigned mismatches, passes;
};

static void
client_round(struct policy_rate *r, struct client *c, uint64_t now)
{
	struct addr a = ip(c->ip);
	unsigned i;
	bool got, want;

	for (i = 0; i < c->per_round; i++) {
		got = policy_rate_take(r, &a, now);
		want = ref_take(&c->ref, now);
		c->mismatches += got != want;
		c->passes += got;
	}
	if (policy_rate_tokens(r, &a, now) != ref_level(&c->ref, now) /
	    REF_UNIT)
		c->mismatches++;
}

static void
flood(uint32_t entries, const char *what)
{
	struct client cl[] = {
		{ "198.51.100.7", 200, 10, { 0, 0 }, 0, 0 },
		{ "198.51.100.8", 120, 5, { 0, 0 }, 0, 0 },
		{ "2001:db8:aa:bb::1", 200, 10, { 0, 0 }, 0, 0 },
		{ "2001:db8:cc:dd::1", 120, 5, { 0, 0 }, 0, 0 },
	};
	struct policy_rate *r = mk(REF_RATE, REF_BURST, entries);
	struct policy_rate_stats st;
	struct addr a;
	uint64_t now = 1000;
	size_t i, j;
	unsigned spoofed_passes = 0;

	/* fill the table first, and let it refill: the clients then take
	 * the ways of evicted spoofed entries, wherever those are */
	for (i = 0; i < 200000; i++) {
		spoof(&a);
		(void)policy_rate_take(r, &a, now + i / 100);
	}
	now += 3000;
	for (j = 0; j < 4; j++) {
		cl[j].ref.units = REF_BURST * REF_UNIT;
		cl[j].ref.stamp = now;
		for (i = 0; i < cl[j].spend; i++)
			(void)ref_take(&cl[j].ref, now);
		is_int(takes(r, cl[j].ip, cl[j].spend, now), cl[j].spend,
		    "%s: %s spends %u", what, cl[j].ip, cl[j].spend);
	}
	is_int(takes(r, "198.51.100.9", 1, now), 1,
	    "%s: 198.51.100.9 takes one token, then goes quiet", what);
	/* 1,000,000 more spoofed sources, 100 a millisecond, for 10 s */
	for (i = 0; i < 1000000; i++) {
		spoof(&a);
		spoofed_passes += policy_rate_take(r, &a, now);
		if (i % 100 == 99)
			now++;
		if (i % 10000 == 9999)
			for (j = 0; j < 4; j++)
				client_round(r, &cl[j], now);
	}
	for (j = 0; j < 4; j++) {
		is_int(cl[j].mismatches, 0,
		    "%s: %s got exactly what a bucket of its own gives, at "
		    "every step (%u passes in 100 rounds)", what, cl[j].ip,
		    cl[j].passes);
	}
	is_int(cl[0].passes, 100 * 5, "%s: the spent client stays limited "
	    "to the rate (5 per 100 ms), never a fresh burst", what);
	is_int(cl[1].passes, 100 * 5, "%s: the client within budget is "
	    "never refused", what);
	is_int(tokens(r, cl[1].ip, now), 80, "%s: and still holds its 80 "
	    "tokens, not more", what);
	policy_rate_stats(r, &st);
	diag("%s: allowed %llu refused %llu evictions %llu overflow %llu "
	    "entries %llu, spoofed passes %u", what,
	    (unsigned long long)st.allowed, (unsigned long long)st.refused,
	    (unsigned long long)st.evictions, (unsigned long long)st.overflow,
	    (unsigned long long)st.entries, spoofed_passes);
	ok(entries == 1024 ? st.overflow > 100000 : st.evictions > 1000000,
	    "%s: the flood pressed on the table (%s)", what,
	    entries == 1024 ? "overflow" : "evictions");
	ok(st.entries <= (entries ? entries : POLICY_RATE_ENTRIES),
	    "%s: entries stay within the table", what);
	/* once the flood stops every spoofed entry refills to full within
	 * burst / rate (the /48s: the same), so the quiet client, full and
	 * likely evicted, finds a slot and its full bucket again */
	now += 4000;
	is_int(takes(r, "198.51.100.9", 300, now), 200,
	    "%s: the quiet client, full, gets its full burst back, no more",
	    what);
	policy_rate_free(r);
}

int
main(void)
{
	test_opts();
	test_burst_refill();
	test_sources();
	test_agg48();
	test_failures();
	test_one_set();
	/* the default table: the flood evicts full entries all the time */
	flood(0, "65536 entries");
	/* a table too small for the flood: its sets stay full of spoofed
	 * buckets that are not full, so new sources go to the overflow */
	flood(1024, "1024 entries");
	return tap_done();
}
