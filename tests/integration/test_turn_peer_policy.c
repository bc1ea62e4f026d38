/* SPDX-License-Identifier: ISC */
/*
 * The default peer policy of a real ternd, without allow-loopback-peers
 * (docs/security.md, Peer deny list):  test_turn_peer_policy TERND 4|6
 * Every peer below is refused with 403 (RFC 8656 §10.2, §12.2 "MAY
 * impose"; project rule) by CreatePermission and by ChannelBind. The
 * allocation's relay has the family of the peers on the wire (an IPv6
 * relay for the IPv6 forms), so 443 would be wrong: the embedded IPv4
 * forms must be judged as the IPv4 they carry. A public address on the
 * same allocation is permitted (nothing is sent to it), so the 403s come
 * from the policy and not from a broken allocation.
 *
 * The one exception is the relay IP itself (127.0.0.1 and ::1 here, where
 * the test relays on loopback): a permission is per IP (RFC 8656 §9) and
 * another allocation on that IP is a legitimate peer (relay-to-relay), so
 * CreatePermission succeeds, while a channel to any port of it outside
 * the relay range is refused.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000

/* Whether a and the IP literal ip are the same address (port ignored). */
static bool
addr_equal_ip_str(const struct addr *a, const char *ip)
{
	struct addr b;

	return addr_parse_ip(&b, ip, 0) == 0 && addr_equal(a, &b, false);
}

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

static const char *const denied4[] = {
	"127.0.0.1", "0.0.0.0", "10.0.0.1", "192.168.1.1", "169.254.169.254",
	"100.64.0.1", "224.0.0.1", "255.255.255.255", "100.100.100.200",
	"168.63.129.16", NULL
};
static const char *const denied6[] = {
	"::1", "::", "fd00:ec2::254", "::ffff:127.0.0.1", "::127.0.0.1",
	"64:ff9b::7f00:1", "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:80ff:fffe",
	"::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "fe80::1", "ff02::1", NULL
};

static void
check_denied(struct client_turn *t, const char *ip, uint16_t port, uint16_t channel)
{
	struct addr peer;
	const bool relay_ip = addr_equal_ip_str(&t->relayed, ip);

	if (!ok(addr_parse_ip(&peer, ip, port) == 0, "parse %s", ip))
		return;
	is_int(client_turn_permit(t, &peer, 1, WAIT_MS), relay_ip ? 0 : 403,
	    "CreatePermission [%s]:%u: %s", ip, port,
	    relay_ip ? "granted (the relay IP, relay-to-relay)" : "403");
	is_int(client_turn_channel_bind(t, channel, &peer, WAIT_MS), 403,
	    "ChannelBind 0x%x to [%s]:%u: 403", channel, ip, port);
}

static void
run(struct harness *h, struct client_turn *t, bool v6)
{
	struct client_turn_alloc_opts ao = { 0 };
	const char *const *list = v6 ? denied6 : denied4;
	struct addr pub[2];
	uint16_t ch = 0x4000;
	size_t i;

	if (v6)
		ao.family = CLIENT_TURN_FAMILY_IPV6;
	if (!ok(client_turn_allocate(t, &ao, WAIT_MS) == 0, "Allocate an IPv%d relay",
	    v6 ? 6 : 4))
		return;
	is_int(addr_family(&t->relayed), v6 ? AF_INET6 : AF_INET, "relay family");
	for (i = 0; list[i] != NULL; i++) {
		check_denied(t, list[i], 80, ch++);
		check_denied(t, list[i], h->port, ch++);
	}
	/* Two peers in one request, one denied: 403 for the request. */
	ok(addr_parse_ip(&pub[0], v6 ? "2001:4860:4860::8888" : "8.8.8.8", 53) == 0 &&
	    addr_parse_ip(&pub[1], list[1], 53) == 0, "parse a public and a denied peer");
	is_int(client_turn_permit(t, pub, 2, WAIT_MS), 403,
	    "CreatePermission with a denied peer among two: 403");
	is_int(client_turn_permit(t, pub, 1, WAIT_MS), 0,
	    "CreatePermission for a public peer succeeds (control)");
	is_int(client_turn_refresh(t, -1, WAIT_MS), 0, "the allocation is still alive");
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct client_turn t = { 0 };
	struct client *c = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: test_turn_peer_policy TERND 4|6\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c, &t) == 0,
	    "UDP client"))
		goto out;
	run(&h, &t, strcmp(argv[2], "6") == 0);
	harness_turn_close(&c, &t);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c, &t);
	harness_fini(&h);
	return tap_done();
}
