/* SPDX-License-Identifier: ISC */
/*
 * Scenario: 100,000 allocations in one engine over seven relay IPs
 * (RFC 8656 §7.2 step 6: every relay IP of a family is used), with a fake
 * relay_open that opens no socket: the hard RLIMIT_NOFILE of the machines
 * the suite runs on (20,000 here) keeps a real ternd from holding that
 * many relay sockets, so this is where the engine's side of the claim is
 * proved. Checks: every Allocate succeeds and names the relay IP it was
 * given (its external-ip where one is set), every (relay IP, port) is
 * handed out once, every relay IP is used, every allocation is found by
 * its 5-tuple and its relay handle, the 100,001st on a full pool gets
 * 508, and everything comes back when they expire. Reports (does not
 * assert, on a shared machine) the time of an Allocate by table size and
 * the engine's heap per allocation.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scn.h"
#include "tap.h"
#include "turn/turn_int.h"

#define NIP		7		/* 7 * 16,384 = 114,688 addresses */
#define NALLOC		100000
#define BATCH		10000
#define EXT_IP		3		/* the relay IP with an external-ip */

static uint8_t opened[NIP][65536];	/* (relay IP, port) open */
static size_t per_ip[NIP];
static size_t dup_opens, bad_ip;
static size_t nopen;

static int
cap_relay_open(void *ctx, int family, unsigned ip, uint16_t port,
    unsigned flags, struct addr *relayed, uint64_t *handle)
{
	char s[32];

	(void)ctx, (void)flags;
	if (family != AF_INET || ip >= NIP) {
		bad_ip++;
		return TURN_IO_FAIL;
	}
	if (opened[ip][port]++ != 0)
		dup_opens++;
	per_ip[ip]++;
	nopen++;
	snprintf(s, sizeof(s), "127.0.0.%u", ip + 2);
	addr_parse_ip(relayed, s, port);
	/* the handle names the address: unique while it is open */
	*handle = ((uint64_t)ip << 16 | port) + 1;
	return TURN_IO_OK;
}

static void
cap_relay_close(void *ctx, uint64_t handle)
{
	(void)ctx;
	handle--;
	if (opened[handle >> 16][handle & 0xffff] > 0) {
		opened[handle >> 16][handle & 0xffff]--;
		nopen--;
	}
}

static void
cap_reset(void)
{
	memset(opened, 0, sizeof(opened));
	memset(per_ip, 0, sizeof(per_ip));
	nopen = dup_opens = bad_ip = 0;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);	/* not the machine's load */
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Client i: its own source address (10.0.0.0/8, one port each). */
static void
cap_client(struct scn_client *c, uint32_t i, const struct scn_client *tmpl)
{
	char a[48];

	snprintf(a, sizeof(a), "10.%u.%u.%u:%u", (i >> 16) & 255,
	    (i >> 8) & 255, i & 255, 1024 + i % 60000);
	scn_client_static(c, "alice", "secret", a);
	/* the stateless nonce of the first challenge serves them all */
	memcpy(c->nonce, tmpl->nonce, sizeof(c->nonce));
	c->nonce_len = tmpl->nonce_len;
}

static int
cap_setup(struct scn *s)
{
	struct addr ext;

	if (scn_init(s, 0, 0, 0, 0, 0) != 0)
		return -1;
	turn_ports_free(s->ports);
	s->ports = turn_ports_new_ips(0, 0, NIP, 1);
	addr_parse_ip(&ext, "198.51.100.3", 0);
	if (s->ports == NULL ||
	    turn_ports_set_external(s->ports, AF_INET, EXT_IP, &ext) != 0)
		return -1;
	s->io.relay_open = cap_relay_open;
	s->io.relay_close = cap_relay_close;
	s->opts.ports = s->ports;
	s->opts.unlimited_budgets = true;
	s->opts.max_lifetime = 3600;
	return scn_restart(s);
}

/* The relayed address the client was told: its relay IP's, or the
 * external-ip of EXT_IP. 1 if right. */
static int
cap_relayed_ok(struct scn_client *c, const struct turn_alloc *a)
{
	struct addr got, want;
	char s[32];

	if (scn_resp_relayed(c, 0, &got) != 0)
		return 0;
	snprintf(s, sizeof(s), "%s", a->relay[TURN_FAM_V4].ip == EXT_IP ?
	    "198.51.100.3" : "127.0.0.0");
	addr_parse_ip(&want, s, a->relay[TURN_FAM_V4].port);
	if (a->relay[TURN_FAM_V4].ip != EXT_IP)
		want.u.sin.sin_addr.s_addr = htonl(0x7f000002u +
		    a->relay[TURN_FAM_V4].ip);
	return addr_equal(&got, &want, true);
}

static void
test_100k(void)
{
	static struct scn s;
	static struct scn_client c, tmpl;
	struct turn_alloc *a;
	struct mallinfo2 m0, m1;
	double t0, t;
	size_t i, fails = 0, wrong = 0, lost = 0, unused = 0;

	cap_reset();
	if (cap_setup(&s) != 0) {
		ok(0, "set-up");
		return;
	}
	scn_client_static(&tmpl, "alice", "secret", "192.0.2.200:1");
	is_int(scn_request_noauth(&s, &tmpl, STUN_ALLOCATE, NULL), 401,
	    "the challenge");
	m0 = mallinfo2();
	t0 = now_us();
	for (i = 0; i < NALLOC; i++) {
		cap_client(&c, (uint32_t)i, &tmpl);
		if (scn_allocate(&s, &c, NULL) != 0) {
			fails++;
			continue;
		}
		a = turn_table_find(s.e, &c.t);
		if (a == NULL || !cap_relayed_ok(&c, a))
			wrong++;
		if ((i + 1) % BATCH == 0) {
			t = now_us();
			diag("allocations %zu-%zu: %.2f us of CPU per Allocate",
			    i + 1 - BATCH, i + 1, (t - t0) / BATCH);
			t0 = t;
		}
	}
	m1 = mallinfo2();
	diag("engine heap per allocation: %.0f bytes (sizeof turn_alloc %zu)",
	    (double)(m1.uordblks - m0.uordblks) / NALLOC,
	    sizeof(struct turn_alloc));
	is_int(fails, 0, "100,000 Allocates succeed");
	is_int(wrong, 0, "each told its relay IP, or its external-ip");
	is_int(dup_opens, 0, "no (relay IP, port) handed out twice");
	is_int(bad_ip, 0, "only relay IPs the pool has");
	for (i = 0; i < NIP; i++)
		if (per_ip[i] == 0)
			unused++;
	is_int(unused, 0, "every relay IP used");
	ok(per_ip[0] > 10000 && per_ip[NIP - 1] > 10000,
	    "spread over the relay IPs (%zu on the first, %zu on the last)",
	    per_ip[0], per_ip[NIP - 1]);
	for (i = 0; i < NALLOC; i++) {
		cap_client(&c, (uint32_t)i, &tmpl);
		a = turn_table_find(s.e, &c.t);
		if (a == NULL || turn_table_relay(s.e,
		    a->relay[TURN_FAM_V4].handle) != &a->relay[TURN_FAM_V4])
			lost++;
	}
	is_int(lost, 0, "every allocation found by 5-tuple and relay handle");
	is_int(turn_ports_available(s.ports, AF_INET),
	    NIP * 16384 - NALLOC, "the pool counts them");
	scn_advance(&s, 3601 * 1000ull);
	is_int(nopen, 0, "all expired: every relay closed");
	is_int(turn_ports_available(s.ports, AF_INET), NIP * 16384,
	    "every address back in the pool");
	scn_free(&s);
}

/* A pool of 3 relay IPs of 10 ports: 30 allocations, then 508. */
static void
test_full(void)
{
	static struct scn s;
	static struct scn_client c, tmpl;
	size_t i, fails = 0;

	cap_reset();
	if (scn_init(&s, 0, 0, 0, 0, 0) != 0)
		return;
	turn_ports_free(s.ports);
	s.ports = turn_ports_new_ips(50000, 50009, 3, 1);
	s.io.relay_open = cap_relay_open;
	s.io.relay_close = cap_relay_close;
	s.opts.ports = s.ports;
	s.opts.unlimited_budgets = true;
	scn_restart(&s);
	scn_client_static(&tmpl, "alice", "secret", "192.0.2.200:1");
	scn_request_noauth(&s, &tmpl, STUN_ALLOCATE, NULL);
	for (i = 0; i < 30; i++) {
		cap_client(&c, (uint32_t)i, &tmpl);
		if (scn_allocate(&s, &c, NULL) != 0)
			fails++;
	}
	is_int(fails, 0, "30 allocations on 3 relay IPs of 10 ports");
	ok(per_ip[0] == 10 && per_ip[1] == 10 && per_ip[2] == 10,
	    "10 on each relay IP");
	cap_client(&c, 30, &tmpl);
	is_int(scn_allocate(&s, &c, NULL), 508, "the 31st: 508");
	scn_free(&s);
}

int
main(void)
{
	test_full();
	test_100k();
	return tap_done();
}
