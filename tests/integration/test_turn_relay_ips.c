/* SPDX-License-Identifier: ISC */
/*
 * Every relay-ip is used (RFC 8656 §7.2 step 6; README.md, Capacity): a
 * real ternd with relay-ip = 127.0.0.2, 127.0.0.3 and 127.0.0.4 (all of
 * 127/8 is local on Linux) and a relay range of 10 ports. 30 Allocates
 * from 30 clients succeed, 10 on each relay IP, every relayed address
 * distinct and in the range; the 31st gets 508 (Insufficient Capacity).
 * A relay on the last relay IP carries a Send indication to a peer, which
 * sees it come from that relayed address (relay_open bound that IP). When
 * one allocation is deleted, its address is handed out again.
 * The open-file limit counts every relay IP (src/net/net_rlimit.c): with
 * total-quota 0, three relay IPs of 1000 ports need over 3000 descriptors,
 * so under a hard limit of 2048 ternd refuses to start, naming the need;
 * with one of them it starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define NIP		3
#define NPORT		10
#define NCLIENT		(NIP * NPORT + 1)

static const char conf[] = "realm = tern.test\n"
    "min-port = 61000\n"
    "max-port = 61009\n"
    "relay-ip = 127.0.0.2\n"
    "relay-ip = 127.0.0.3\n"
    "relay-ip = 127.0.0.4\n"
    "user = alice:secret\n"
    "user-quota = 0\n"
    "max-allocations-per-ip = 0\n"
    "total-quota = 0\n"
    "allow-loopback-peers\n";

static struct client *c[NCLIENT];
static struct client_turn t[NCLIENT];

/* The relay IP's number (127.0.0.2 is 0), or -1. */
static int
ip_index(const struct addr *a)
{
	uint32_t v;

	if (addr_family(a) != AF_INET)
		return -1;
	v = ntohl(a->u.sin.sin_addr.s_addr);
	return v >= 0x7f000002u && v <= 0x7f000004u ? (int)(v - 0x7f000002u) :
	    -1;
}

/* The 30 relayed addresses: 10 per relay IP, distinct, in the range. */
static void
check_spread(int *last)
{
	int per[NIP] = { 0 }, i, j, k, bad = 0, dup = 0;

	*last = -1;
	for (i = 0; i < NIP * NPORT; i++) {
		k = ip_index(&t[i].relayed);
		if (k < 0 || addr_port(&t[i].relayed) < 61000 ||
		    addr_port(&t[i].relayed) > 61009) {
			bad++;
			continue;
		}
		per[k]++;
		if (k == NIP - 1)
			*last = i;
		for (j = 0; j < i; j++)
			if (addr_equal(&t[i].relayed, &t[j].relayed, true))
				dup++;
	}
	is_int(bad, 0, "every relayed address on a relay-ip, in 61000-61009");
	is_int(dup, 0, "no relayed address twice");
	ok(per[0] == NPORT && per[1] == NPORT && per[2] == NPORT,
	    "10 on each relay IP (%d, %d, %d)", per[0], per[1], per[2]);
}

/* A Send from the allocation on 127.0.0.4 reaches the peer from there. */
static void
check_relay(int i, struct harness_peer *p)
{
	static const uint8_t msg[] = "relayed from the third relay-ip";
	uint8_t got[64];
	struct addr from;
	size_t n;

	is_int(client_turn_permit(&t[i], &p->addr, 1, WAIT_MS), 0,
	    "CreatePermission for the peer");
	ok(client_turn_send(&t[i], &p->addr, msg, sizeof(msg)) == 0,
	    "Send indication sent");
	if (!ok(harness_peer_wait(p, 0, got, sizeof(got), &n, &from,
	    WAIT_MS) == 0, "the peer got it"))
		return;
	ok(n == sizeof(msg) && memcmp(got, msg, n) == 0, "the exact bytes");
	ok(addr_equal(&from, &t[i].relayed, true),
	    "from the relayed address on 127.0.0.4");
}

/* The number after "need " in the first line of ternd's log naming the
 * open-file limit, or 0. */
static unsigned long
logged_need(const struct harness *h)
{
	char line[1024];
	const char *p;
	unsigned long need = 0;
	FILE *f;

	if ((f = fopen(h->errlog, "r")) == NULL)
		return 0;
	while (need == 0 && fgets(line, sizeof(line), f) != NULL)
		if ((p = strstr(line, "RLIMIT_NOFILE: need ")) != NULL)
			need = strtoul(p + 20, NULL, 10);
	fclose(f);
	return need;
}

static void
check_rlimit(const char *ternd)
{
	static const char three[] = "realm = tern.test\n"
	    "min-port = 61000\nmax-port = 61999\n"
	    "relay-ip = 127.0.0.2\nrelay-ip = 127.0.0.3\n"
	    "relay-ip = 127.0.0.4\ntotal-quota = 0\nmax-connections = 100\n";
	static const char one[] = "realm = tern.test\n"
	    "min-port = 61000\nmax-port = 61999\n"
	    "relay-ip = 127.0.0.2\ntotal-quota = 0\nmax-connections = 100\n";
	struct harness h3, h1;	/* both made first: harness_fini ends crypto */
	struct harness_opts o = { .extra = three, .nofile_soft = 2048,
	    .nofile_hard = 2048 };
	unsigned long need;

	if (!ok(harness_init(&h3, ternd) == 0 && harness_init(&h1, ternd) == 0,
	    "temp dirs"))
		return;
	ok(harness_start(&h3, &o) == -1,
	    "three relay IPs of 1000 ports under a hard limit of 2048: refused");
	need = logged_need(&h3);
	ok(need > 3100, "it needs a descriptor for each of their 3000 "
	    "addresses (%lu)", need);
	o.extra = one;
	ok(harness_start(&h1, &o) == 0, "one of them: ternd starts");
	is_int(harness_stop(&h1), 0, "SIGTERM: ternd exits 0");
	harness_fini(&h1);
	harness_fini(&h3);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct harness_peer p = { 0 };
	struct addr again;
	int i, opened = 0, granted = 0, last;

	if (argc != 2) {
		fprintf(stderr, "usage: test_turn_relay_ips TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	for (i = 0; i < NCLIENT; i++)
		if (harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c[i],
		    &t[i]) == 0)
			opened++;
	if (!ok(opened == NCLIENT, "31 UDP clients"))
		goto out;
	for (i = 0; i < NIP * NPORT; i++)
		if (client_turn_allocate(&t[i], NULL, WAIT_MS) == 0)
			granted++;
	is_int(granted, NIP * NPORT, "30 allocations on 3 relay IPs of 10 ports");
	is_int(client_turn_allocate(&t[NCLIENT - 1], NULL, WAIT_MS), 508,
	    "the 31st: 508");
	check_spread(&last);
	if (last >= 0 && ok(harness_peer_start(&p, "127.0.0.1", false) == 0,
	    "peer on loopback"))
		check_relay(last, &p);
	again = t[0].relayed;
	is_int(client_turn_refresh(&t[0], 0, WAIT_MS), 0, "one deleted");
	is_int(client_turn_allocate(&t[NCLIENT - 1], NULL, WAIT_MS), 0,
	    "then the 31st allocates");
	ok(addr_equal(&t[NCLIENT - 1].relayed, &again, true),
	    "on the address given back");
	for (i = 0; i < NCLIENT; i++)
		harness_turn_close(&c[i], &t[i]);
	harness_peer_stop(&p);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
	check_rlimit(argv[1]);
out:
	for (i = 0; i < NCLIENT; i++)
		harness_turn_close(&c[i], &t[i]);
	harness_peer_stop(&p);
	harness_fini(&h);
	return tap_done();
}
