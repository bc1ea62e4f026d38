/* SPDX-License-Identifier: ISC */
/*
 * The stream connection limiter (net_limits.c): max-connections in total,
 * max-connections-per-ip per IPv4 /32 and IPv6 /64, release, reuse of the
 * table after many distinct addresses, and concurrent use.
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
	struct net_limits *l = net_limits_new(100, 2);
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
	struct net_limits *l = net_limits_new(3, 10);
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
	struct net_limits *l = net_limits_new(100, 2);
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

/* Many distinct addresses come and go: deletion must keep every remaining
 * key findable, and the fixed table must never fill up. */
static void
test_churn(void)
{
	struct net_limits *l = net_limits_new(64, 1);
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
	struct net_limits *l = net_limits_new(8, 1);
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
	struct net_limits *l = net_limits_new(0, 5);
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
	test_churn();
	test_threads();
	test_zero();
	return tap_done();
}
