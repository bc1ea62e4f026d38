/* SPDX-License-Identifier: ISC */
/*
 * The stream connection limiter (net_limits.c): max-connections in total,
 * max-connections-per-ip per IPv4 /32 and IPv6 /64, the IPv6 /48 aggregate,
 * release, reuse of the table after many distinct addresses (IPv4 and
 * IPv6, whose connections hold two entries), and concurrent use.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "tap.h"

static struct addr
mkaddr(const char *ip)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':') != NULL) {
		a.u.sin6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a.u.sin6.sin6_addr);
	} else {
		a.u.sin.sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a.u.sin.sin_addr);
	}
	return a;
}

static void
test_per_ip(void)
{
	struct net_limits *l = net_limits_new(100, 2, 100);
	struct addr a = mkaddr("192.0.2.1"), b = mkaddr("192.0.2.2");

	ok(l != NULL, "per-ip: new");
	is_int(net_limits_acquire(l, &a), NET_LIMIT_OK, "per-ip: first");
	is_int(net_limits_acquire(l, &a), NET_LIMIT_OK, "per-ip: second");
	is_int(net_limits_acquire(l, &a), NET_LIMIT_PER_IP, "per-ip: third refused");
	is_int(net_limits_acquire(l, &b), NET_LIMIT_OK, "per-ip: other address ok");
	is_int(net_limits_count(l, &a), 2, "per-ip: count a");
	is_int(net_limits_total(l), 3, "per-ip: total");
	net_limits_release(l, &a);
	is_int(net_limits_acquire(l, &a), NET_LIMIT_OK, "per-ip: ok after release");
	net_limits_release(l, &a);
	net_limits_release(l, &a);
	net_limits_release(l, &b);
	is_int(net_limits_total(l), 0, "per-ip: all released");
	is_int(net_limits_count(l, &a), 0, "per-ip: a forgotten");
	/* A release that was never acquired must not go negative. */
	net_limits_release(l, &a);
	is_int(net_limits_total(l), 0, "per-ip: stray release ignored");
	net_limits_free(l);
}

static void
test_total(void)
{
	struct net_limits *l = net_limits_new(3, 10, 100);
	struct addr a = mkaddr("198.51.100.1"), b = mkaddr("198.51.100.2");
	struct addr c = mkaddr("2001:db8::1"), d = mkaddr("2001:db8:1::1");

	is_int(net_limits_acquire(l, &a), NET_LIMIT_OK, "total: 1");
	is_int(net_limits_acquire(l, &b), NET_LIMIT_OK, "total: 2");
	is_int(net_limits_acquire(l, &c), NET_LIMIT_OK, "total: 3");
	is_int(net_limits_acquire(l, &d), NET_LIMIT_TOTAL, "total: 4th refused");
	is_int(net_limits_acquire(l, &a), NET_LIMIT_TOTAL, "total: known ip refused too");
	net_limits_release(l, &b);
	is_int(net_limits_acquire(l, &d), NET_LIMIT_OK, "total: room after release");
	is_int(net_limits_total(l), 3, "total: 3 counted");
	net_limits_free(l);
}

static void
test_prefixes(void)
{
	struct net_limits *l = net_limits_new(100, 2, 100);
	struct addr x1 = mkaddr("2001:db8:aa:bb::1"), x2 = mkaddr("2001:db8:aa:bb:ffff::2");
	struct addr x3 = mkaddr("2001:db8:aa:bb:1:2:3:4"), y = mkaddr("2001:db8:aa:bc::1");
	struct addr v4 = mkaddr("203.0.113.7"), m = mkaddr("::ffff:203.0.113.7");
	struct addr v4b = mkaddr("203.0.113.8");

	/* IPv6 counts per /64 (docs/security.md, Attack catalogue: resource
	 * exhaustion). */
	is_int(net_limits_acquire(l, &x1), NET_LIMIT_OK, "v6: 1 in /64");
	is_int(net_limits_acquire(l, &x2), NET_LIMIT_OK, "v6: 2 in /64");
	is_int(net_limits_acquire(l, &x3), NET_LIMIT_PER_IP, "v6: 3rd in same /64 refused");
	is_int(net_limits_acquire(l, &y), NET_LIMIT_OK, "v6: next /64 is separate");
	is_int(net_limits_count(l, &x3), 2, "v6: /64 count");
	/* IPv4 counts per /32; the mapped form is the same client. */
	is_int(net_limits_acquire(l, &v4), NET_LIMIT_OK, "v4: 1");
	is_int(net_limits_acquire(l, &m), NET_LIMIT_OK, "v4: mapped is same key, 2");
	is_int(net_limits_acquire(l, &v4), NET_LIMIT_PER_IP, "v4: 3rd refused");
	is_int(net_limits_acquire(l, &v4b), NET_LIMIT_OK, "v4: neighbour /32 separate");
	net_limits_free(l);
}

/* The /48 aggregate (docs/security.md, TCP/TLS exhaustion): the /64s of
 * one /48 together get max_per_48; another /48 is not affected; a refusal
 * changes no count. */
static void
test_per48(void)
{
	struct net_limits *l = net_limits_new(1000, 2, 5);
	struct addr a[8], other = mkaddr("2001:db8:49::1");
	struct addr v4 = mkaddr("192.0.2.9"), m = mkaddr("::ffff:192.0.2.10");
	char ip[64];
	int i, bad = 0;

	for (i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:48:%x::1", i);
		a[i] = mkaddr(ip);
	}
	for (i = 0; i < 5; i++)
		if (net_limits_acquire(l, &a[i]) != NET_LIMIT_OK)
			bad++;
	is_int(bad, 0, "per-48: 5 /64s of one /48 accepted");
	is_int(net_limits_count48(l, &a[7]), 5, "per-48: the /48 counts 5");
	is_int(net_limits_acquire(l, &a[5]), NET_LIMIT_PER_48,
	    "per-48: a 6th /64 of the /48 refused");
	is_int(net_limits_acquire(l, &a[0]), NET_LIMIT_PER_48,
	    "per-48: a /64 under its own cap refused too");
	is_int(net_limits_count(l, &a[5]), 0, "per-48: the refused /64 not counted");
	is_int(net_limits_count(l, &a[0]), 1, "per-48: the /64 keeps its count");
	is_int(net_limits_count48(l, &a[0]), 5, "per-48: refusals change no count");
	is_int(net_limits_acquire(l, &other), NET_LIMIT_OK, "per-48: another /48 accepted");
	is_int(net_limits_count48(l, &other), 1, "per-48: the other /48 counts 1");
	is_int(net_limits_acquire(l, &v4), NET_LIMIT_OK, "per-48: IPv4 has no /48");
	is_int(net_limits_acquire(l, &m), NET_LIMIT_OK, "per-48: IPv4-mapped neither");
	is_int(net_limits_count48(l, &v4), 0, "per-48: IPv4 /48 count is 0");
	is_int(net_limits_total(l), 8, "per-48: total 8");
	net_limits_release(l, &a[2]);
	is_int(net_limits_count48(l, &a[2]), 4, "per-48: release counts down the /48");
	is_int(net_limits_acquire(l, &a[6]), NET_LIMIT_OK, "per-48: room again after a release");
	for (i = 0; i < 7; i++)
		if (i != 2)
			net_limits_release(l, &a[i]);
	net_limits_release(l, &other);
	net_limits_release(l, &v4);
	net_limits_release(l, &m);
	is_int(net_limits_total(l), 0, "per-48: all released");
	is_int(net_limits_count48(l, &a[0]) + net_limits_count48(l, &other), 0,
	    "per-48: both /48s forgotten");
	net_limits_free(l);
}

/* The /64 cap is judged before the /48: a refused /64 does not count
 * against its /48. */
static void
test_per48_order(void)
{
	struct net_limits *l = net_limits_new(1000, 1, 100);
	struct addr x = mkaddr("2001:db8:50:1::1"), y = mkaddr("2001:db8:50:1::2");

	is_int(net_limits_acquire(l, &x), NET_LIMIT_OK, "order: first in the /64");
	is_int(net_limits_acquire(l, &y), NET_LIMIT_PER_IP, "order: second refused per /64");
	is_int(net_limits_count48(l, &x), 1, "order: the /48 counts only the first");
	net_limits_release(l, &x);
	is_int(net_limits_count48(l, &x), 0, "order: released");
	net_limits_free(l);
}

/* IPv6 churn: each connection holds a /64 and a /48 entry; the table,
 * sized for both, never fills and deletion keeps every key findable. */
static void
test_churn6(void)
{
	struct net_limits *l = net_limits_new(64, 1, 2);
	struct addr a[64];
	char ip[64];
	int i, round, bad = 0;

	for (round = 0; round < 50; round++) {
		/* 32 /48s with 2 /64s each: 64 connections, 96 entries. */
		for (i = 0; i < 64; i++) {
			snprintf(ip, sizeof(ip), "2001:db8:%x:%x::1", round * 32 + i / 2,
			    i % 2);
			a[i] = mkaddr(ip);
			if (net_limits_acquire(l, &a[i]) != NET_LIMIT_OK)
				bad++;
		}
		if (net_limits_acquire(l, &a[0]) != NET_LIMIT_TOTAL)
			bad++;
		for (i = 0; i < 64; i += 2)
			net_limits_release(l, &a[i]);
		for (i = 1; i < 64; i += 2)
			if (net_limits_count(l, &a[i]) != 1 ||
			    net_limits_count48(l, &a[i]) != 1)
				bad++;
		for (i = 1; i < 64; i += 2)
			net_limits_release(l, &a[i]);
		if (net_limits_total(l) != 0 || net_limits_count48(l, &a[1]) != 0)
			bad++;
	}
	is_int(bad, 0, "churn6: 50 rounds of 64 IPv6 connections stay consistent");
	net_limits_free(l);
}

/* Many distinct addresses come and go: deletion must keep every remaining
 * key findable, and the fixed table must never fill up. */
static void
test_churn(void)
{
	struct net_limits *l = net_limits_new(64, 1, 100);
	struct addr a[64];
	char ip[32];
	int i, round, bad = 0;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < 64; i++) {
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", round, i, i * 3 % 256);
			a[i] = mkaddr(ip);
			if (net_limits_acquire(l, &a[i]) != NET_LIMIT_OK)
				bad++;
		}
		if (net_limits_acquire(l, &a[0]) != NET_LIMIT_TOTAL)
			bad++;
		/* Release every other one, check the rest are still counted. */
		for (i = 0; i < 64; i += 2)
			net_limits_release(l, &a[i]);
		for (i = 1; i < 64; i += 2)
			if (net_limits_count(l, &a[i]) != 1)
				bad++;
		for (i = 1; i < 64; i += 2)
			net_limits_release(l, &a[i]);
		if (net_limits_total(l) != 0)
			bad++;
	}
	is_int(bad, 0, "churn: 50 rounds of 64 addresses stay consistent");
	net_limits_free(l);
}

struct worker_arg {
	struct net_limits *l;
	int id;
	int refused;
};

static void *
worker(void *p)
{
	struct worker_arg *w = p;
	struct addr a;
	char ip[32];
	int i;

	snprintf(ip, sizeof(ip), "192.0.2.%d", w->id + 1);
	a = mkaddr(ip);
	for (i = 0; i < 20000; i++) {
		if (net_limits_acquire(w->l, &a) == NET_LIMIT_OK)
			net_limits_release(w->l, &a);
		else
			w->refused++;
	}
	return NULL;
}

static void
test_threads(void)
{
	struct net_limits *l = net_limits_new(8, 1, 100);
	struct worker_arg args[4];
	pthread_t th[4];
	int i, refused = 0;

	for (i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){ l, i, 0 };
		pthread_create(&th[i], NULL, worker, &args[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		refused += args[i].refused;
	}
	/* Each thread owns a distinct address, 1 per ip, 8 total: never refused. */
	is_int(refused, 0, "threads: no spurious refusal");
	is_int(net_limits_total(l), 0, "threads: balanced");
	net_limits_free(l);
}

static void
test_zero(void)
{
	struct net_limits *l = net_limits_new(0, 5, 100);
	struct addr a = mkaddr("192.0.2.1");

	is_int(net_limits_acquire(l, &a), NET_LIMIT_TOTAL, "zero: max-connections 0 refuses");
	net_limits_free(l);
	net_limits_free(NULL);
	/* returning from free(NULL) (ASan in build-asan) is the check */
}

int
main(void)
{
	test_per_ip();
	test_total();
	test_prefixes();
	test_per48();
	test_per48_order();
	test_churn();
	test_churn6();
	test_threads();
	test_zero();
	return tap_done();
}
