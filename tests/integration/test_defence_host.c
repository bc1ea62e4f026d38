/* SPDX-License-Identifier: ISC */
/*
 * The machine's own addresses as peers, against a real ternd
 * (docs/security.md, The server's own addresses; Order of judgement,
 * steps 4 and 5):
 *     test_defence_host TERND
 *
 * The test moves itself into a fresh network namespace (unshare
 * CLONE_NEWNET; the namespace dies with the test, ternd with it through
 * the harness's PR_SET_PDEATHSIG), brings up lo and a dummy interface
 * host0 (one end of a veth pair where the kernel has no dummy driver)
 * with 10.0.0.1/8. ternd listens on 127.0.0.1, relays on 10.0.0.1
 * (relay-ip) in the range 61000-61999, and the operator has opened
 * allowed-peer-ip = 10.0.0.0/8, which must not open the host itself.
 * Two canary UDP services listen on the host: 10.0.0.1:53 (a resolver)
 * and 10.0.0.1:P (P a free port below the relay range).
 *
 * Client A and client B each allocate (10.0.0.1:RA, 10.0.0.1:RB). A's
 * CreatePermission for 10.0.0.1 succeeds (a permission is per IP,
 * RFC 8656 §9, and another allocation there is a legitimate peer);
 * ChannelBind to 10.0.0.1:53 and to 10.0.0.1:P gets 403 (RFC 8656
 * §12.2); Send indications to both are dropped silently (§11.2), counted
 * as tern_dropped_packets_total{reason="self_peer"}, and the canaries
 * receive nothing. Relay to relay works: B permits A's relayed address,
 * A reaches B's relayed address by a Send indication and over a channel,
 * and B gets both as Data indications from 10.0.0.1:RA. Because A's
 * datagrams towards the canaries were handled before the ones B
 * received (one 5-tuple is served in order by one worker) and the
 * counter says they were dropped, nothing can still be on its way to
 * the canaries when they are read.
 *
 * Skipped (TAP "1..0 # SKIP") only when not root, when there is no
 * ip(8), or when the kernel refuses a network namespace.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics_common.h"
#include "tap.h"

#define WAIT_MS		3000	/* one transaction */
#define HOST_IP		"10.0.0.1"
#define IFNAME		"host0"
#define IFPEER		"host1"
#define DNS_PORT	53
#define CH_DNS		0x4000
#define CH_P		0x4001
#define CH_B		0x4002

static const uint8_t payload[] = "host canary: must never arrive";
static const uint8_t to_b[] = "relay to relay";

static const char self_peer[] =
    "tern_dropped_packets_total{reason=\"self_peer\"}";
static const char deny_host[] =
    "tern_peer_refusals_total{reason=\"deny_host\"}";

struct canary {
	int fd;
	struct addr a;
};

/* lo up, host0 up with 10.0.0.1/8. 0 or -1. */
static int
netns_setup(const char *ip)
{
	if (harness_ip(ip, "link", "set", "lo", "up", NULL, NULL, NULL, NULL) ==
	    -1)
		return -1;
	if (harness_ip(ip, "link", "add", IFNAME, "type", "dummy", NULL, NULL,
	    NULL) == 0)
		printf("# %s is a dummy interface\n", IFNAME);
	else if (harness_ip(ip, "link", "add", IFNAME, "type", "veth", "peer",
	    "name", IFPEER) == -1 ||
	    harness_ip(ip, "link", "set", IFPEER, "up", NULL, NULL, NULL, NULL) ==
	    -1)
		return -1;
	if (harness_ip(ip, "link", "set", IFNAME, "up", NULL, NULL, NULL, NULL) ==
	    -1)
		return -1;
	return harness_ip(ip, "-4", "addr", "add", HOST_IP "/8", "dev", IFNAME,
	    NULL, NULL);
}

/* A UDP canary on HOST_IP:port (0: the kernel's choice). 0 or -1. */
static int
canary_open(struct canary *c, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (addr_parse_ip(&c->a, HOST_IP, port) == -1 ||
	    (c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(c->fd, &c->a.u.sa, addr_len(&c->a)) == -1 ||
	    getsockname(c->fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(&c->a, (struct sockaddr *)&ss, sl) == -1) {
		printf("# canary on %s:%u: %s\n", HOST_IP, port,
		    strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* The canary on a port below the relay range. 0 or -1. */
static int
canary_open_low(struct canary *c)
{
	int tries;

	for (tries = 0; tries < 10; tries++) {
		if (canary_open(c, 0) == -1)
			return -1;
		if (addr_port(&c->a) < HARNESS_RELAY_MIN &&
		    addr_port(&c->a) != DNS_PORT)
			return 0;
		close(c->fd);
		c->fd = -1;
	}
	return -1;
}

/* Datagrams waiting on the canary: what it has received. */
static unsigned
canary_count(struct canary *c)
{
	uint8_t buf[2048];
	unsigned n = 0;

	while (n < 1000 && recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* Proves the canaries hear: one datagram straight to each. 0 or -1. */
static int
canary_selftest(struct canary *c, size_t n)
{
	struct pollfd pfd;
	uint8_t buf[64];
	size_t i;
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (sendto(fd, payload, sizeof(payload), 0, &c[i].a.u.sa,
		    addr_len(&c[i].a)) != (ssize_t)sizeof(payload))
			rc = -1;
		pfd.fd = c[i].fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, WAIT_MS) != 1 ||
		    recv(c[i].fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			rc = -1;
	}
	close(fd);
	return rc;
}

static int
skip(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

/* ternd on 127.0.0.1, relays on HOST_IP, 10/8 opened by a rule. */
static int
start(struct mc *m)
{
	struct harness_opts o = { 0 };
	char conf[1024];
	int n;

	n = snprintf(conf, sizeof(conf), HARNESS_TURN_CONF
	    "user = " MC_USER ":" MC_PASS "\n"
	    "relay-ip = " HOST_IP "\n"
	    "allowed-peer-ip = 10.0.0.0/8\n"
	    "prometheus\n"
	    "prometheus-address = 127.0.0.1\n"
	    "prometheus-port = %u\n", m->mport);
	if (n < 0 || (size_t)n >= sizeof(conf))
		return -1;
	o.extra = conf;
	if (harness_start(&m->h, &o) == -1)
		return -1;
	m->started = true;
	return 0;
}

/* Everything A tries against the host's own services. */
static void
against_host(struct client_turn *a, struct canary *dns, struct canary *low)
{
	struct addr host;

	if (addr_parse_ip(&host, HOST_IP, DNS_PORT) == -1)
		return;
	is_int(client_turn_permit(a, &host, 1, WAIT_MS), 0,
	    "A: CreatePermission for %s succeeds (per IP, RFC 8656 §9: "
	    "relay to relay must work)", HOST_IP);
	is_int(client_turn_channel_bind(a, CH_DNS, &dns->a, WAIT_MS), 403,
	    "A: ChannelBind to %s:%u gets 403", HOST_IP, addr_port(&dns->a));
	is_int(client_turn_channel_bind(a, CH_P, &low->a, WAIT_MS), 403,
	    "A: ChannelBind to %s:%u gets 403", HOST_IP, addr_port(&low->a));
	ok(client_turn_send(a, &dns->a, payload, sizeof(payload)) == 0 &&
	    client_turn_send(a, &low->a, payload, sizeof(payload)) == 0,
	    "A: Send indications to %s:%u and %s:%u sent", HOST_IP,
	    addr_port(&dns->a), HOST_IP, addr_port(&low->a));
	ok(client_turn_channel_send(a, CH_DNS, payload, sizeof(payload)) ==
	    0 && client_turn_channel_send(a, CH_P, payload, sizeof(payload))
	    == 0, "A: ChannelData on the refused channels sent anyway");
}

/* B gets one Data indication from A's relayed address with want. */
static void
b_receives(struct client_turn *b, const struct addr *from,
    const uint8_t *want, size_t len, const char *how)
{
	struct client_turn_data d;
	uint8_t buf[2048];
	int r;

	r = client_turn_recv(b, buf, sizeof(buf), &d, WAIT_MS);
	ok(r == 0 && !d.channel && addr_equal(&d.peer, from, true) &&
	    d.len == len && memcmp(d.data, want, len) == 0,
	    "B receives A's %s as a Data indication from A's relayed address",
	    how);
}

/* Relay to relay: A reaches B's relayed address by Send and by a
 * channel. */
static void
relay_to_relay(struct client_turn *a, struct client_turn *b)
{
	char s[64];

	diag("A relays on %s", addr_str(&a->relayed, s, sizeof(s)));
	diag("B relays on %s", addr_str(&b->relayed, s, sizeof(s)));
	is_int(client_turn_permit(b, &a->relayed, 1, WAIT_MS), 0,
	    "B: CreatePermission for A's relayed address");
	ok(client_turn_send(a, &b->relayed, to_b, sizeof(to_b)) == 0,
	    "A: Send indication to B's relayed address");
	b_receives(b, &a->relayed, to_b, sizeof(to_b), "Send");
	is_int(client_turn_channel_bind(a, CH_B, &b->relayed, WAIT_MS), 0,
	    "A: ChannelBind to B's relayed address");
	ok(client_turn_channel_send(a, CH_B, to_b, sizeof(to_b) - 1) == 0,
	    "A: ChannelData to B's relayed address");
	b_receives(b, &a->relayed, to_b, sizeof(to_b) - 1, "ChannelData");
}

static void
run(struct mc *m, struct canary *dns, struct canary *low)
{
	struct client_turn ta = { 0 }, tb = { 0 };
	struct client *ca = NULL, *cb = NULL;
	struct addr host;
	double last;
	bool hit;

	if (!ok(start(m) == 0, "ternd started (relay-ip %s, allowed-peer-ip "
	    "10.0.0.0/8)", HOST_IP))
		return;
	if (!ok(harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, &ca,
	    &ta) == 0 && harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS,
	    &cb, &tb) == 0, "two UDP clients"))
		goto out;
	if (!ok(client_turn_allocate(&ta, NULL, WAIT_MS) == 0 &&
	    client_turn_allocate(&tb, NULL, WAIT_MS) == 0,
	    "A and B allocate"))
		goto out;
	(void)addr_parse_ip(&host, HOST_IP, 0);
	ok(addr_equal(&ta.relayed, &host, false) &&
	    addr_equal(&tb.relayed, &host, false) &&
	    addr_port(&ta.relayed) >= HARNESS_RELAY_MIN &&
	    addr_port(&tb.relayed) >= HARNESS_RELAY_MIN,
	    "both relayed addresses are on %s in the relay range", HOST_IP);
	against_host(&ta, dns, low);
	relay_to_relay(&ta, &tb);
	hit = mc_wait(m->mport, NULL, self_peer, false, 2, MC_WAIT_MS, &last);
	ok(hit, "tern_dropped_packets_total{reason=\"self_peer\"} counts A's "
	    "two Sends to the host (%.0f)", last);
	hit = mc_wait(m->mport, NULL, deny_host, false, 4, MC_WAIT_MS, &last);
	ok(hit, "tern_peer_refusals_total{reason=\"deny_host\"}: the two "
	    "ChannelBinds and the two Sends (%.0f)", last);
	is_int(canary_count(dns), 0, "the canary on %s:%u received nothing",
	    HOST_IP, addr_port(&dns->a));
	is_int(canary_count(low), 0, "the canary on %s:%u received nothing",
	    HOST_IP, addr_port(&low->a));
	harness_turn_close(&ca, &ta);
	harness_turn_close(&cb, &tb);
	is_int(harness_stop(&m->h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&ca, &ta);
	harness_turn_close(&cb, &tb);
}

int
main(int argc, char *argv[])
{
	struct canary c[2] = { { .fd = -1 }, { .fd = -1 } };
	struct mc m;
	const char *ip;
	bool inited = false, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: test_defence_host TERND\n");
		return 2;
	}
	if (geteuid() != 0)
		return skip("needs root for a network namespace");
	if ((ip = harness_ip_path()) == NULL)
		return skip("no ip(8) (iproute2)");
	if (unshare(CLONE_NEWNET) == -1) {
		printf("# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return skip("network namespaces unavailable");
	}
	if (!ok(netns_setup(ip) == 0, "namespace: lo and " IFNAME " with "
	    HOST_IP "/8"))
		goto out;
	rc = canary_open(&c[0], DNS_PORT) == 0 && canary_open_low(&c[1]) == 0;
	if (!ok(rc, "canaries on %s:%u and %s:%u", HOST_IP, DNS_PORT, HOST_IP,
	    rc ? addr_port(&c[1].a) : 0))
		goto out;
	if (!ok(canary_selftest(c, 2) == 0, "each canary hears a direct "
	    "datagram"))
		goto out;
	inited = mc_init(&m, argv[1]) == 0;
	if (!ok(inited, "temp dir and a metrics port"))
		goto out;
	run(&m, &c[0], &c[1]);
	if (tap_failed)
		harness_dump_log(&m.h);
out:
	if (c[0].fd >= 0)
		close(c[0].fd);
	if (c[1].fd >= 0)
		close(c[1].fd);
	if (inited)
		mc_fini(&m);
	return tap_done();
}
