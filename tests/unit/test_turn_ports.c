/* SPDX-License-Identifier: ISC */
/* The shared relay port pool (turn_ports.c): ranges, EVEN-PORT, the
 * RESERVATION-TOKEN hold, and atomic claiming from two threads. */
#include <pthread.h>
#include <string.h>

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

int
main(void)
{
	test_range();
	test_even();
	test_reserve();
	test_threads();
	return tap_done();
}
