/* SPDX-License-Identifier: ISC */
/*
 * The strong canary test of the peer deny list (docs/security.md):
 *   test_turn_canary_netns TERND deny|allow
 *
 * The test moves itself into a fresh network namespace (unshare
 * CLONE_NEWNET: nothing to delete afterwards, the namespace dies with the
 * last process in it, and ternd is killed with the test by the harness's
 * PR_SET_PDEATHSIG), brings up lo and an interface canary0 (dummy, or a
 * veth pair where the kernel has no dummy driver) that holds the
 * addresses a relay must never reach:
 *   10.0.0.1/8, 172.16.0.1/12, 192.168.1.1/16 (RFC 1918), 100.64.0.1/10
 *   (CGNAT), 169.254.169.254/16 (metadata), fd00:ec2::254/64 (AWS IMDS),
 * and, for 127.0.0.1 and every IPv4 address above, each IPv4-in-IPv6
 * encoding of it that can be an interface address: compatible ::a.b.c.d,
 * translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4
 * 2002:AABB:CCDD::1 and Teredo 2001:0:4136:e378:8000:63bf:<~a.b.c.d>.
 * So each form really reaches a listener if ternd ever sent to it; the
 * mapped form ::ffff:a.b.c.d reaches the IPv4 canary (dual-stack socket).
 *
 * Canaries: on every one of those addresses and on 127.0.0.1 and ::1, a
 * UDP socket on port 80 and on a random port P (the same on all, below
 * the relay range), and a TCP listener on both, all counting what they
 * receive (datagrams; accepted connections).
 *
 * ternd runs on 127.0.0.1 with relays on 127.0.0.1 and ::1 (relaying to
 * another local address still goes through the policy). One UDP client
 * allocates an IPv4 relay, another an IPv6 relay; for every target (each
 * canary address and port, in every encoding, on the allocation of the
 * wire family; 0.0.0.0 and :: too) it sends CreatePermission and
 * ChannelBind, then a Send indication and ChannelData anyway. A TCP
 * allocation (442) and a Connect to 169.254.169.254:80 are tried as well.
 * A Refresh on each allocation proves ternd has handled everything (one
 * 5-tuple is served in order by one worker); after a bounded drain every
 * canary count is compared with the expected one.
 *
 * deny:  no allow rule. Every request is 403 and every canary counts 0,
 *        except CreatePermission for the relay IPs themselves (127.0.0.1,
 *        ::1): a permission is per IP (RFC 8656 §9) and another
 *        allocation there is a legitimate peer, so it is granted, while
 *        every datagram to a port outside the relay range is refused.
 * allow: the expected-positive control: allow-loopback-peers and
 *        allowed-peer-ip = 10.0.0.0/8 (plus 169.254.0.0/16 and fc00::/7,
 *        which must not reopen the metadata endpoints). Exactly the UDP
 *        canaries on 127.0.0.1 and ::1 (both ports) receive the Send and
 *        the ChannelData (2 each); every other target is still refused
 *        and every other canary counts 0. This proves that the canaries
 *        do see what a relay sends them. 10.0.0.1 is inside the allowed
 *        range but it is an address of canary0, so of the machine ternd
 *        runs on: a host address, refused as a peer on every port
 *        outside the relay range whatever the rules say (docs/security.md,
 *        The server's own addresses). Its CreatePermission succeeds (a
 *        permission is per IP, RFC 8656 §9, and the relay range stays
 *        reachable), its ChannelBind gets 403 and its canaries receive
 *        nothing. Loopback is not a host address here only because
 *        allow-loopback-peers opened it.
 *
 * Skipped (TAP "1..0 # SKIP") only when not root, when there is no ip(8),
 * or when the kernel refuses a network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000	/* one transaction */
#define ARRIVE_MS	5000	/* allow mode: expected datagrams arrive */
#define DRAIN_MS	1000	/* then nothing more may come */
#define MAX_CANARIES	192
#define MAX_TARGETS	160
#define CHANNEL0	0x4000
#define IFNAME		"canary0"
#define IFPEER		"canary1"

enum want {
	WANT_OK,	/* success: the peer is allowed */
	WANT_403,
};

struct canary {
	struct addr a;
	int fd;
	bool tcp;
	atomic_uint count;
	unsigned want;		/* expected count at the end */
};

struct target {
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	bool v6;		/* sent on the IPv6 allocation */
	enum want want;		/* ChannelBind; the datagrams arrive if OK */
	enum want perm;		/* CreatePermission (judged without port) */
	int reach;		/* the UDP canary it would hit, or -1 */
	const char *form;
};

static struct canary canaries[MAX_CANARIES];
static size_t ncanaries;
static struct target targets[MAX_TARGETS];
static size_t ntargets;
static atomic_bool stop;

static const char conf_deny[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

static const char conf_allow[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n"
    "allow-loopback-peers = true\n"
    "allowed-peer-ip = 10.0.0.0/8\n"
    "allowed-peer-ip = 169.254.0.0/16\n"
    "allowed-peer-ip = fc00::/7\n";

/* The IPv4 canaries and their prefix lengths on canary0 (0: on lo). */
static const struct {
	const char *ip;
	int plen;
} v4[] = {
	{ "127.0.0.1", 0 }, { "10.0.0.1", 8 }, { "172.16.0.1", 12 },
	{ "192.168.1.1", 16 }, { "100.64.0.1", 10 }, { "169.254.169.254", 16 },
};
#define NV4	(sizeof(v4) / sizeof(v4[0]))

enum form { F_MAPPED, F_COMPAT, F_XLAT, F_NAT64, F_6TO4, F_TEREDO, NFORMS };
static const char *const form_name[NFORMS] = {
	"IPv4-mapped", "IPv4-compatible", "IPv4-translated", "NAT64",
	"6to4", "Teredo",
};

static const uint8_t payload[] = "GET /latest/meta-data/ HTTP/1.0\r\n\r\n";

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The IPv6 text of one encoding of the IPv4 address ip. */
static int
encode(enum form f, const char *ip, char *out, size_t cap)
{
	uint8_t a[4], b[16] = { 0 };
	int i;

	if (inet_pton(AF_INET, ip, a) != 1)
		return -1;
	switch (f) {
	case F_MAPPED:
		b[10] = b[11] = 0xff;
		memcpy(b + 12, a, 4);
		break;
	case F_COMPAT:
		memcpy(b + 12, a, 4);
		break;
	case F_XLAT:	/* ::ffff:0:a.b.c.d */
		b[8] = b[9] = 0xff;
		memcpy(b + 12, a, 4);
		break;
	case F_NAT64:	/* 64:ff9b::/96, RFC 6052 */
		b[1] = 0x64;
		b[2] = 0xff;
		b[3] = 0x9b;
		memcpy(b + 12, a, 4);
		break;
	case F_6TO4:	/* 2002:AABB:CCDD::1, RFC 3056 */
		b[0] = 0x20;
		b[1] = 0x02;
		memcpy(b + 2, a, 4);
		b[15] = 1;
		break;
	case F_TEREDO:	/* RFC 4380 §4: server 65.54.227.120, cone flag,
			 * port 40000 and client address inverted */
		b[0] = 0x20;
		b[1] = 0x01;
		b[4] = 0x41;
		b[5] = 0x36;
		b[6] = 0xe3;
		b[7] = 0x78;
		b[8] = 0x80;
		b[10] = 0x63;
		b[11] = 0xbf;
		for (i = 0; i < 4; i++)
			b[12 + i] = (uint8_t)~a[i];
		break;
	default:
		return -1;
	}
	return inet_ntop(AF_INET6, b, out, (socklen_t)cap) != NULL ? 0 : -1;
}

/* ---- the namespace ---- */

static int
addr6_add(const char *ip, const char *addr, const char *plen)
{
	char cidr[INET6_ADDRSTRLEN + 8];

	snprintf(cidr, sizeof(cidr), "%s/%s", addr, plen);
	return harness_ip(ip, "-6", "addr", "add", cidr, "dev", IFNAME, "nodad", NULL);
}

/* lo up, canary0 up with every canary address. 0 or -1. */
static int
netns_setup(const char *ip)
{
	char cidr[64], enc[INET6_ADDRSTRLEN];
	size_t i;
	int f;

	if (harness_ip(ip, "link", "set", "lo", "up", NULL, NULL, NULL, NULL) == -1)
		return -1;
	if (harness_ip(ip, "link", "add", IFNAME, "type", "dummy", NULL, NULL,
	    NULL) == 0) {
		printf("# %s is a dummy interface\n", IFNAME);
	} else {
		if (harness_ip(ip, "link", "add", IFNAME, "type", "veth", "peer", "name",
		    IFPEER) == -1 ||
		    harness_ip(ip, "link", "set", IFPEER, "up", NULL, NULL, NULL, NULL) == -1)
			return -1;
		printf("# no dummy driver: %s is one end of a veth pair\n", IFNAME);
	}
	if (harness_ip(ip, "link", "set", IFNAME, "up", NULL, NULL, NULL, NULL) == -1)
		return -1;
	for (i = 0; i < NV4; i++) {
		if (v4[i].plen != 0) {
			snprintf(cidr, sizeof(cidr), "%s/%d", v4[i].ip, v4[i].plen);
			if (harness_ip(ip, "-4", "addr", "add", cidr, "dev", IFNAME, NULL,
			    NULL) == -1)
				return -1;
		}
		for (f = F_COMPAT; f < NFORMS; f++)
			if (encode((enum form)f, v4[i].ip, enc, sizeof(enc)) == -1 ||
			    addr6_add(ip, enc, "128") == -1)
				return -1;
	}
	return addr6_add(ip, "fd00:ec2::254", "64");
}

/* ---- the canaries ---- */

static int
canary_find(const char *ip, uint16_t port, bool tcp)
{
	struct addr a;
	size_t i;

	if (addr_parse_ip(&a, ip, port) == -1)
		return -1;
	for (i = 0; i < ncanaries; i++)
		if (canaries[i].tcp == tcp && addr_equal(&canaries[i].a, &a, true))
			return (int)i;
	return -1;
}

/* Binds one canary on ip:port (port 0: the kernel's choice, returned). */
static int
canary_add(const char *ip, uint16_t *port, bool tcp)
{
	struct canary *c;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1;

	if (ncanaries == MAX_CANARIES)
		return -1;
	c = &canaries[ncanaries];
	memset(c, 0, sizeof(*c));
	atomic_init(&c->count, 0);
	c->tcp = tcp;
	if (addr_parse_ip(&c->a, ip, *port) == -1 ||
	    (c->fd = socket(addr_family(&c->a), (tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		printf("# canary %s: %s\n", ip, strerror(errno));
		return -1;
	}
	if (addr_family(&c->a) == AF_INET6)
		(void)setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(c->fd, &c->a.u.sa, addr_len(&c->a)) == -1 ||
	    (tcp && listen(c->fd, 16) == -1) ||
	    getsockname(c->fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(&c->a, (struct sockaddr *)&ss, sl) == -1) {
		printf("# canary %s %s port %u: %s\n", tcp ? "tcp" : "udp", ip,
		    *port, strerror(errno));
		close(c->fd);
		return -1;
	}
	*port = addr_port(&c->a);
	ncanaries++;
	return 0;
}

/* UDP and TCP canaries on ip, port 80 and port p. */
static int
canary_add_ip(const char *ip, uint16_t p)
{
	uint16_t p80 = 80, pp = p, t80 = 80, tp = p;

	return canary_add(ip, &p80, false) == 0 && canary_add(ip, &pp, false) == 0 &&
	    canary_add(ip, &t80, true) == 0 && canary_add(ip, &tp, true) == 0 ? 0 : -1;
}

/* Every canary; *p gets the random port. 0 or -1. */
static int
canaries_open(uint16_t *p)
{
	char enc[INET6_ADDRSTRLEN];
	size_t i;
	int f, tries;

	/* The random port: the kernel's choice on 127.0.0.1, below the relay
	 * range (so the relay-to-relay allow can never apply) and free
	 * everywhere else, since nothing else runs in this namespace yet. */
	for (tries = 0; tries < 10; tries++) {
		*p = 0;
		if (canary_add("127.0.0.1", p, false) == -1)
			return -1;
		if (*p != 80 && *p < HARNESS_RELAY_MIN)
			break;
		close(canaries[--ncanaries].fd);
	}
	if (tries == 10)
		return -1;
	{
		uint16_t p80 = 80, t80 = 80, tp = *p;

		if (canary_add("127.0.0.1", &p80, false) == -1 ||
		    canary_add("127.0.0.1", &t80, true) == -1 ||
		    canary_add("127.0.0.1", &tp, true) == -1)
			return -1;
	}
	for (i = 1; i < NV4; i++)
		if (canary_add_ip(v4[i].ip, *p) == -1)
			return -1;
	for (i = 0; i < NV4; i++)
		for (f = F_COMPAT; f < NFORMS; f++)
			if (encode((enum form)f, v4[i].ip, enc, sizeof(enc)) == -1 ||
			    canary_add_ip(enc, *p) == -1)
				return -1;
	if (canary_add_ip("::1", *p) == -1 || canary_add_ip("fd00:ec2::254", *p) == -1)
		return -1;
	return 0;
}

/* One thread polls every canary; counts datagrams and connections. */
static void *
canary_main(void *arg)
{
	struct pollfd pfd[MAX_CANARIES];
	uint8_t buf[65536];
	size_t i;
	int fd;

	(void)arg;
	for (i = 0; i < ncanaries; i++) {
		pfd[i].fd = canaries[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!atomic_load(&stop)) {
		if (poll(pfd, (nfds_t)ncanaries, 50) <= 0)
			continue;
		for (i = 0; i < ncanaries; i++) {
			if ((pfd[i].revents & POLLIN) == 0)
				continue;
			if (canaries[i].tcp) {
				while ((fd = accept(canaries[i].fd, NULL, NULL)) >= 0) {
					atomic_fetch_add(&canaries[i].count, 1);
					close(fd);
				}
			} else {
				while (recv(canaries[i].fd, buf, sizeof(buf), 0) >= 0)
					atomic_fetch_add(&canaries[i].count, 1);
			}
		}
	}
	return NULL;
}

static void
canaries_close(void)
{
	size_t i;

	for (i = 0; i < ncanaries; i++)
		close(canaries[i].fd);
	ncanaries = 0;
}

/*
 * The canaries are proven to hear: before ternd runs, one datagram goes
 * straight to every UDP canary (and, through a dual-stack socket, a second
 * one as ::ffff:a.b.c.d to each IPv4 canary) and one connection to every
 * TCP canary. All must arrive within the deadline; the counts then go back
 * to zero.
 */
static int
canaries_selftest(void)
{
	int64_t deadline;
	struct addr m;
	char s[INET6_ADDRSTRLEN + 8], ip4[INET_ADDRSTRLEN];
	unsigned want[MAX_CANARIES] = { 0 };
	int fd, zero = 0, bad = 0;
	size_t i;
	bool all;

	for (i = 0; i < ncanaries; i++) {
		struct canary *c = &canaries[i];

		want[i] = 1;
		fd = socket(addr_family(&c->a), (c->tcp ? SOCK_STREAM : SOCK_DGRAM) |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			return -1;
		if (c->tcp ? connect(fd, &c->a.u.sa, addr_len(&c->a)) :
		    sendto(fd, payload, sizeof(payload), 0, &c->a.u.sa,
		    addr_len(&c->a)) < 0)
			bad++;
		close(fd);
		if (c->tcp || addr_family(&c->a) != AF_INET)
			continue;
		want[i] = 2;
		snprintf(s, sizeof(s), "::ffff:%s",
		    inet_ntop(AF_INET, &c->a.u.sin.sin_addr, ip4, sizeof(ip4)));
		if (addr_parse_ip(&m, s, addr_port(&c->a)) == -1 ||
		    (fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (sendto(fd, payload, sizeof(payload), 0, &m.u.sa, addr_len(&m)) < 0)
			bad++;
		close(fd);
	}
	deadline = client_now_ms() + ARRIVE_MS;
	do {
		all = true;
		for (i = 0; i < ncanaries; i++)
			if (atomic_load(&canaries[i].count) < want[i])
				all = false;
		if (all)
			break;
		nap_ms(10);
	} while (client_now_ms() < deadline);
	for (i = 0; i < ncanaries; i++) {
		if (atomic_load(&canaries[i].count) != want[i]) {
			printf("# self-test: %s canary %s heard %u, want %u\n",
			    canaries[i].tcp ? "TCP" : "UDP",
			    addr_str(&canaries[i].a, s, sizeof(s)),
			    atomic_load(&canaries[i].count), want[i]);
			bad++;
		}
		atomic_store(&canaries[i].count, 0);
	}
	return bad == 0 ? 0 : -1;
}

/* ---- the targets ---- */

static int
target_add(const char *ip, uint16_t port, bool v6, enum want want,
    enum want perm, int reach, const char *form)
{
	struct target *t;

	if (ntargets == MAX_TARGETS)
		return -1;
	t = &targets[ntargets++];
	snprintf(t->ip, sizeof(t->ip), "%s", ip);
	t->port = port;
	t->v6 = v6;
	t->want = want;
	t->perm = perm;
	t->reach = reach;
	t->form = form;
	if (want == WANT_OK) {
		if (reach < 0)
			return -1;
		canaries[reach].want += 2;	/* the Send and the ChannelData */
	}
	return 0;
}

static int
targets_build(uint16_t p, bool allow)
{
	const uint16_t ports[2] = { 80, p };
	char enc[INET6_ADDRSTRLEN];
	size_t i, k;
	int f, rc = 0;
	enum want w, perm;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < NV4; i++) {
			/* allow: loopback by its flag; 10.0.0.1 by its rule
			 * for a permission only, as a host address (canary0's)
			 * outside the relay range; the metadata address is
			 * never reopened by 169.254/16. The relay IP
			 * 127.0.0.1 gets a permission in both modes. */
			w = allow && i == 0 ? WANT_OK : WANT_403;
			perm = i == 0 || (allow && strcmp(v4[i].ip,
			    "10.0.0.1") == 0) ? WANT_OK : w;
			rc |= target_add(v4[i].ip, ports[k], false, w, perm,
			    canary_find(v4[i].ip, ports[k], false), "IPv4");
			for (f = 0; f < NFORMS; f++) {
				if (encode((enum form)f, v4[i].ip, enc, sizeof(enc)) == -1)
					return -1;
				/* Every IPv4-in-IPv6 form is refused, even of an
				 * allowed address (docs/security.md, Canonical
				 * forms: the mapped form itself is never a
				 * peer). */
				rc |= target_add(enc, ports[k], true, WANT_403,
				    WANT_403, f == F_MAPPED ?
				    canary_find(v4[i].ip, ports[k], false) :
				    canary_find(enc, ports[k], false), form_name[f]);
			}
		}
		/* ::1 is the other relay IP: a permission in both modes */
		rc |= target_add("::1", ports[k], true, allow ? WANT_OK : WANT_403,
		    WANT_OK, canary_find("::1", ports[k], false), "IPv6 loopback");
		rc |= target_add("fd00:ec2::254", ports[k], true, WANT_403,
		    WANT_403, canary_find("fd00:ec2::254", ports[k], false),
		    "IPv6 metadata");
		/* CVE-2020-26262: these reach the loopback canaries. */
		rc |= target_add("0.0.0.0", ports[k], false, WANT_403, WANT_403,
		    canary_find("127.0.0.1", ports[k], false), "this host");
		rc |= target_add("::", ports[k], true, WANT_403, WANT_403,
		    canary_find("::1", ports[k], false), "unspecified");
	}
	return rc == 0 ? 0 : -1;
}

static bool
want_met(enum want w, int code)
{
	switch (w) {
	case WANT_OK:
		return code == 0;
	case WANT_403:
		return code == 403;
	}
	return false;
}

static const char *
want_name(enum want w)
{
	return w == WANT_OK ? "success" : "403";
}

/* CreatePermission, ChannelBind, then Send and ChannelData anyway. */
static void
probe(struct client_turn *t, const struct target *tg, uint16_t channel)
{
	struct addr peer;
	int rc;

	if (!ok(addr_parse_ip(&peer, tg->ip, tg->port) == 0, "parse %s", tg->ip))
		return;
	rc = client_turn_permit(t, &peer, 1, WAIT_MS);
	if (!ok(want_met(tg->perm, rc), "CreatePermission [%s]:%u (%s): %s",
	    tg->ip, tg->port, tg->form, want_name(tg->perm)))
		printf("#   got %d\n", rc);
	rc = client_turn_channel_bind(t, channel, &peer, WAIT_MS);
	if (!ok(want_met(tg->want, rc), "ChannelBind 0x%x [%s]:%u (%s): %s", channel,
	    tg->ip, tg->port, tg->form, want_name(tg->want)))
		printf("#   got %d\n", rc);
	ok(client_turn_send(t, &peer, payload, sizeof(payload)) == 0 &&
	    client_turn_channel_send(t, channel, payload, sizeof(payload)) == 0,
	    "Send and ChannelData towards [%s]:%u sent", tg->ip, tg->port);
}

/* TCP relaying (RFC 6062) is not offered: no SYN reaches a canary. */
static void
probe_tcp(struct client_turn *t)
{
	struct client_turn_alloc_opts ao = { .transport = 6 };
	struct client_turn_attr at;
	struct addr peer;
	int rc;

	is_int(client_turn_allocate(t, &ao, WAIT_MS), 442,
	    "Allocate with REQUESTED-TRANSPORT TCP: 442");
	if (!ok(addr_parse_ip(&peer, "169.254.169.254", 80) == 0, "parse metadata"))
		return;
	at.type = STUN_ATTR_XOR_PEER_ADDRESS;
	at.val = NULL;
	at.len = 0;
	at.xaddr = &peer;
	rc = client_turn_request(t, STUN_CONNECT, &at, 1, NULL, 0, NULL, WAIT_MS);
	if (!ok(rc >= 400 && rc <= 499, "Connect to 169.254.169.254:80 refused (4xx)"))
		printf("#   got %d\n", rc);
}

/* Waits (bounded) until every canary has its expected count, then drains
 * for DRAIN_MS and compares exactly. */
static void
verdict(void)
{
	int64_t deadline = client_now_ms() + ARRIVE_MS;
	char s[INET6_ADDRSTRLEN + 8];
	unsigned got, total = 0, bad = 0;
	bool all;
	size_t i;

	do {
		all = true;
		for (i = 0; i < ncanaries; i++)
			if (atomic_load(&canaries[i].count) < canaries[i].want)
				all = false;
		if (all)
			break;
		nap_ms(10);
	} while (client_now_ms() < deadline);
	nap_ms(DRAIN_MS);
	for (i = 0; i < ncanaries; i++) {
		got = atomic_load(&canaries[i].count);
		total += got;
		if (got == canaries[i].want && got == 0)
			continue;
		addr_str(&canaries[i].a, s, sizeof(s));
		if (!ok(got == canaries[i].want, "%s canary %s received %u (want %u)",
		    canaries[i].tcp ? "TCP" : "UDP", s, got, canaries[i].want))
			bad++;
	}
	ok(bad == 0, "every other one of the %zu canaries received nothing "
	    "(%u datagrams/connections in all)", ncanaries, total);
}

static int
skip(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { 0 };
	struct client_turn t4 = { 0 }, t6 = { 0 }, tt = { 0 };
	struct client *a = NULL, *b = NULL, *c = NULL;
	struct client_turn_alloc_opts ao6 = { .family = CLIENT_TURN_FAMILY_IPV6 };
	pthread_t th;
	bool allow, th_running = false, inited = false;
	const char *ip;
	uint16_t p = 0;
	size_t i, n4 = 0, n6 = 0;

	if (argc != 3 || (strcmp(argv[2], "deny") != 0 && strcmp(argv[2], "allow") != 0)) {
		fprintf(stderr, "usage: test_turn_canary_netns TERND deny|allow\n");
		return 2;
	}
	allow = strcmp(argv[2], "allow") == 0;
	if (geteuid() != 0)
		return skip("needs root for a network namespace");
	if ((ip = harness_ip_path()) == NULL)
		return skip("no ip(8) (iproute2)");
	if (unshare(CLONE_NEWNET) == -1) {
		printf("# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return skip("network namespaces unavailable");
	}
	if (!ok(netns_setup(ip) == 0, "namespace: lo and " IFNAME " with the canary addresses"))
		goto out;
	if (!ok(canaries_open(&p) == 0, "%zu canaries bound (UDP and TCP, port 80 and a "
	    "random port)", ncanaries))
		goto out;
	printf("# the random port is %u\n", p);
	atomic_init(&stop, false);
	if (!ok(pthread_create(&th, NULL, canary_main, NULL) == 0, "canary thread"))
		goto out;
	th_running = true;
	if (!ok(canaries_selftest() == 0, "every canary hears a direct datagram or "
	    "connection (and the IPv4 ones the ::ffff: form)"))
		goto out;
	if (!ok(targets_build(p, allow) == 0, "%zu targets", ntargets))
		goto out;
	o.extra = allow ? conf_allow : conf_deny;
	inited = harness_init(&h, argv[1]) == 0;
	if (!ok(inited, "temp dir") || !ok(harness_start(&h, &o) == 0, "ternd started (%s)",
	    allow ? "with allow rules" : "default policy"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &a, &t4) == 0 &&
	    harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &b, &t6) == 0 &&
	    harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c, &tt) == 0,
	    "three UDP clients"))
		goto out;
	if (!ok(client_turn_allocate(&t4, NULL, WAIT_MS) == 0, "IPv4 allocation") ||
	    !ok(client_turn_allocate(&t6, &ao6, WAIT_MS) == 0, "IPv6 allocation"))
		goto out;
	is_int(addr_family(&t4.relayed), AF_INET, "IPv4 relay");
	is_int(addr_family(&t6.relayed), AF_INET6, "IPv6 relay");
	for (i = 0; i < ntargets; i++) {
		if (targets[i].v6)
			probe(&t6, &targets[i], (uint16_t)(CHANNEL0 + n6++));
		else
			probe(&t4, &targets[i], (uint16_t)(CHANNEL0 + n4++));
	}
	probe_tcp(&tt);
	/* One 5-tuple is served in order: after these, ternd has handled
	 * every Send and ChannelData of the allocation. */
	is_int(client_turn_refresh(&t4, -1, WAIT_MS), 0, "Refresh on the IPv4 allocation");
	is_int(client_turn_refresh(&t6, -1, WAIT_MS), 0, "Refresh on the IPv6 allocation");
	verdict();
	harness_turn_close(&a, &t4);
	harness_turn_close(&b, &t6);
	harness_turn_close(&c, &tt);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&a, &t4);
	harness_turn_close(&b, &t6);
	harness_turn_close(&c, &tt);
	if (th_running) {
		atomic_store(&stop, true);
		pthread_join(th, NULL);
	}
	canaries_close();
	if (inited)
		harness_fini(&h);
	return tap_done();
}
