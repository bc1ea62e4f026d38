/* SPDX-License-Identifier: ISC */
/* The shared relay address pool (turn_ports.c): ranges, several relay
 * IPs, external-ip per relay IP, EVEN-PORT (pairs too with an odd first
 * port), the RESERVATION-TOKEN hold, a pool 99 % full, and atomic claiming
 * and releasing from two threads. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "tap.h"

#define SEC	1000ull

static void
test_range(void)
{
	struct turn_ports *p;
	uint16_t port, seen[4];
	unsigned ip;
	int i, j, distinct = 1;

	ok(turn_ports_new(10, 5) == NULL, "min > max refused");
	ok(turn_ports_new(0, 100) == NULL, "port 0 refused");
	p = turn_ports_new(0, 0);
	is_int(turn_ports_available(p, AF_INET), 16384, "default 49152-65535");
	is_int(turn_ports_available(p, AF_INET6), 16384, "per family");
	turn_ports_free(p);
	p = turn_ports_new(100, 103);
	for (i = 0; i < 4; i++) {
		if (turn_ports_take(p, AF_INET, false, false, &ip, &seen[i]) != 0 ||
		    seen[i] < 100 || seen[i] > 103)
			break;
		for (j = 0; j < i; j++)
			if (seen[j] == seen[i])
				distinct = 0;
	}
	is_int(i, 4, "4 ports taken");
	ok(distinct, "all distinct");
	is_int(turn_ports_take(p, AF_INET, false, false, &ip, &port), -1,
	    "5th: exhausted");
	is_int(turn_ports_take(p, AF_INET6, false, false, &ip, &port), 0,
	    "the IPv6 pool is separate");
	turn_ports_release(p, AF_INET, 0, seen[2]);
	ok(turn_ports_take(p, AF_INET, false, false, &ip, &port) == 0 &&
	    port == seen[2], "a released port is taken again");
	turn_ports_release(p, AF_INET, 0, 9999);	/* out of range: ignored */
	is_int(turn_ports_available(p, AF_INET), 0, "still none");
	turn_ports_free(p);
	turn_ports_free(NULL);
}

static void
test_even(void)
{
	struct turn_ports *p = turn_ports_new(101, 110);
	uint16_t port;
	unsigned ip;
	int i, even = 1;

	for (i = 0; i < 5; i++) {
		if (turn_ports_take(p, AF_INET, true, false, &ip, &port) != 0)
			break;
		if (port % 2 != 0)
			even = 0;
	}
	is_int(i, 5, "5 even ports in 101-110");
	ok(even, "all even");
	is_int(turn_ports_take(p, AF_INET, true, false, &ip, &port), -1,
	    "no 6th even port");
	is_int(turn_ports_available(p, AF_INET), 5, "the odd ones are left");
	turn_ports_free(p);
}

static void
test_reserve(void)
{
	struct turn_ports *p = turn_ports_new(100, 103);
	uint8_t tok[TURN_RESERVATION_TOKEN_LEN], bad[TURN_RESERVATION_TOKEN_LEN];
	uint16_t port, got;
	unsigned ip, gip;
	int fam;

	is_int(turn_ports_take(p, AF_INET, true, true, &ip, &port), 0, "N and N+1");
	ok(port % 2 == 0 && port + 1 <= 103, "N = %u even", port);
	is_int(turn_ports_available(p, AF_INET), 2, "two taken");
	is_int(turn_ports_reserve(p, AF_INET, 0, port + 1, 1000 * SEC, tok), 0,
	    "token issued");
	memcpy(bad, tok, sizeof(bad));
	bad[7] ^= 1;
	is_int(turn_ports_redeem(p, bad, 1001 * SEC, &fam, &gip, &got), -1,
	    "a wrong token is refused");
	ok(turn_ports_redeem(p, tok, 1029 * SEC, &fam, &gip, &got) == 0 &&
	    fam == AF_INET && got == port + 1, "redeemed for N+1 at 29 s");
	is_int(turn_ports_redeem(p, tok, 1029 * SEC, &fam, &gip, &got), -1,
	    "only once");
	turn_ports_sweep(p, 2000 * SEC);
	is_int(turn_ports_available(p, AF_INET), 2,
	    "a redeemed port stays in use");
	/* an unredeemed reservation lapses after 30 s */
	is_int(turn_ports_take(p, AF_INET, true, true, &ip, &port), 0,
	    "the other pair");
	turn_ports_reserve(p, AF_INET, 0, port + 1, 3000 * SEC, tok);
	turn_ports_sweep(p, 3029 * SEC);
	is_int(turn_ports_available(p, AF_INET), 0, "held at 29 s");
	is_int(turn_ports_redeem(p, tok, 3030 * SEC, &fam, &gip, &got), -1,
	    "expired at 30 s");
	turn_ports_sweep(p, 3030 * SEC);
	is_int(turn_ports_available(p, AF_INET), 1, "and swept back");
	turn_ports_free(p);
}

struct taker {
	struct turn_ports *p;
	uint16_t got[500];
	int n;
};

static void *
taker_run(void *arg)
{
	struct taker *t = arg;
	unsigned ip;

	while (t->n < 500 &&
	    turn_ports_take(t->p, AF_INET, false, false, &ip, &t->got[t->n]) == 0)
		t->n++;
	return NULL;
}

static void
test_threads(void)
{
	static struct taker t[2];
	static uint8_t seen[1000];
	struct turn_ports *p = turn_ports_new(20000, 20999);
	pthread_t th[2];
	int i, j, dup = 0;

	for (i = 0; i < 2; i++) {
		t[i].p = p;
		pthread_create(&th[i], NULL, taker_run, &t[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is_int(t[0].n + t[1].n, 1000, "two threads took 1000 ports");
	for (i = 0; i < 2; i++)
		for (j = 0; j < t[i].n; j++)
			if (seen[t[i].got[j] - 20000]++ != 0)
				dup++;
	is_int(dup, 0, "no port handed out twice");
	turn_ports_free(p);
}

/* Three relay IPs of ten ports: 30 distinct addresses, ten on each. */
static void
test_ips(void)
{
	struct turn_ports *p = turn_ports_new_ips(61000, 61009, 3, 2);
	uint8_t seen[3][10];
	unsigned ip, per[3] = { 0 };
	uint16_t port;
	int i, bad = 0, dup = 0;

	memset(seen, 0, sizeof(seen));
	is_int(turn_ports_capacity(p, AF_INET), 30, "3 relay IPs of 10");
	is_int(turn_ports_capacity(p, AF_INET6), 20, "2 relay IPs of 10");
	for (i = 0; i < 30; i++) {
		if (turn_ports_take(p, AF_INET, false, false, &ip, &port) != 0 ||
		    ip > 2 || port < 61000 || port > 61009) {
			bad++;
			continue;
		}
		if (seen[ip][port - 61000]++ != 0)
			dup++;
		per[ip]++;
	}
	is_int(bad, 0, "30 taken, all in range");
	is_int(dup, 0, "no (relay IP, port) twice");
	ok(per[0] == 10 && per[1] == 10 && per[2] == 10, "ten on each");
	is_int(turn_ports_take(p, AF_INET, false, false, &ip, &port), -1,
	    "the 31st: exhausted");
	turn_ports_release(p, AF_INET, 1, 61005);
	turn_ports_release(p, AF_INET, 3, 61005);	/* no such IP: ignored */
	ok(turn_ports_take(p, AF_INET, false, false, &ip, &port) == 0 &&
	    ip == 1 && port == 61005, "the released address comes back");
	is_int(turn_ports_available(p, AF_INET6), 20, "IPv6 untouched");
	turn_ports_free(p);
}

static void
test_external(void)
{
	struct turn_ports *p = turn_ports_new_ips(0, 0, 2, 1);
	struct addr pub, pub6;
	const struct addr *got;

	addr_parse_ip(&pub, "198.51.100.1", 9);
	addr_parse_ip(&pub6, "2001:db8::1", 0);
	is_int(turn_ports_set_external(p, AF_INET, 1, &pub), 0,
	    "external-ip of relay IP 1");
	got = turn_ports_external(p, AF_INET, 1);
	ok(got != NULL && addr_equal(got, &pub, false) && addr_port(got) == 0,
	    "kept, without its port");
	ok(turn_ports_external(p, AF_INET, 0) == NULL, "relay IP 0: none");
	is_int(turn_ports_set_external(p, AF_INET, 2, &pub), -1,
	    "no relay IP 2");
	is_int(turn_ports_set_external(p, AF_INET, 0, &pub6), -1,
	    "another family refused");
	turn_ports_free(p);
}

/* 101-164: even ports 102-164; pairs N, N+1 are 102-103 ... 162-163. */
static void
test_pairs_odd_min(void)
{
	struct turn_ports *p = turn_ports_new(101, 164);
	unsigned ip;
	uint16_t port;
	int n = 0, bad = 0;

	while (turn_ports_take(p, AF_INET, true, true, &ip, &port) == 0) {
		if (port % 2 != 0 || port + 1 > 164)
			bad++;
		n++;
	}
	is_int(n, 31, "31 pairs in 101-164");
	is_int(bad, 0, "each N even and N+1 in the range");
	is_int(turn_ports_available(p, AF_INET), 2, "101 and 164 are left");
	turn_ports_free(p);
}

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of one take and release, averaged over 10,000. */
static double
take_release_ns(struct turn_ports *p, size_t *fails)
{
	const double t0 = cpu_ns();
	unsigned ip;
	uint16_t port;
	int i;

	for (i = 0; i < 10000; i++) {
		if (turn_ports_take(p, AF_INET, false, false, &ip, &port) != 0)
			(*fails)++;
		turn_ports_release(p, AF_INET, ip, port);
	}
	return (cpu_ns() - t0) / 10000;
}

/* Seven relay IPs of the default range, 99 % taken: a take still finds
 * one of the 1,147 free addresses at once (timed, reported). */
static void
test_full99(void)
{
	struct turn_ports *p = turn_ports_new_ips(0, 0, 7, 1);
	const size_t cap = 7 * 16384, fill = cap - cap / 100;
	unsigned ip;
	uint16_t port;
	size_t i, fails = 0;
	double empty, full;

	empty = take_release_ns(p, &fails);
	for (i = 0; i < fill; i++)
		if (turn_ports_take(p, AF_INET, false, false, &ip, &port) != 0)
			fails++;
	full = take_release_ns(p, &fails);
	diag("take + release: %.0f ns empty, %.0f ns 99 %% full (%zu of %zu)",
	    empty, full, fill, cap);
	is_int(fails, 0, "every take succeeded, empty and 99 %% full");
	is_int(turn_ports_available(p, AF_INET), cap - fill, "1 %% left");
	for (i = 0; i < cap - fill; i++)
		if (turn_ports_take(p, AF_INET, true, false, &ip, &port) != 0)
			break;
	ok(i > 0 && turn_ports_available(p, AF_INET) == cap - fill - i,
	    "the even ones among the last 1 %% taken (%zu)", i);
	turn_ports_free(p);
}

struct churner {
	struct turn_ports *p;
	unsigned ip[64];
	uint16_t port[64];
	int n;
	size_t fails;
};

/* Takes and releases in a ring of 64 held addresses, 200,000 times. */
static void *
churn_run(void *arg)
{
	struct churner *c = arg;
	int i, k;

	for (i = 0; i < 200000; i++) {
		k = i % 64;
		if (i >= 64)
			turn_ports_release(c->p, AF_INET, c->ip[k], c->port[k]);
		if (turn_ports_take(c->p, AF_INET, false, false, &c->ip[k],
		    &c->port[k]) != 0)
			c->fails++;
	}
	for (k = 0; k < 64; k++)
		turn_ports_release(c->p, AF_INET, c->ip[k], c->port[k]);
	return NULL;
}

/* Two threads filling and emptying words at once: the full-word hint
 * never hides a free address (all 192 are taken again afterwards). */
static void
test_churn(void)
{
	static struct churner c[2];
	struct turn_ports *p = turn_ports_new_ips(30000, 30063, 3, 1);
	pthread_t th[2];
	unsigned ip;
	uint16_t port;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		c[i].p = p;
		pthread_create(&th[i], NULL, churn_run, &c[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is_int(c[0].fails + c[1].fails, 0, "128 held of 192: every take found one");
	is_int(turn_ports_available(p, AF_INET), 192, "all given back");
	while (turn_ports_take(p, AF_INET, false, false, &ip, &port) == 0)
		n++;
	is_int(n, 192, "and every one can be taken again");
	turn_ports_free(p);
}

int
main(void)
{
	test_range();
	test_even();
	test_reserve();
	test_threads();
	test_ips();
	test_external();
	test_pairs_odd_min();
	test_full99();
	test_churn();
	return tap_done();
}
