/* SPDX-License-Identifier: ISC */
/*
 * A TURN allocation relaying both ways through a real ternd, over one
 * client transport and one relay family:
 *     test_turn_relay TERND udp|tcp|tls CLIENT-IP 4|6
 *  - Allocate (RFC 8656 §7.2) with the 401 challenge; the success carries
 *    XOR-RELAYED-ADDRESS on the relay IP of the family asked for (§7.2 step
 *    7; REQUESTED-ADDRESS-FAMILY IPv6, §18.6), a port in min-port..max-port,
 *    XOR-MAPPED-ADDRESS equal to our source, LIFETIME 600 (§7.2);
 *  - CreatePermission (§10); a Send indication (§11.2) reaches the echo
 *    peer with the exact bytes from the relayed address, and the echo comes
 *    back as a Data indication (§11.3) with the peer and the exact bytes;
 *  - ChannelBind (§12.2); ChannelData (odd length: padded on streams,
 *    §12.5) reaches the peer exactly; the echo comes back as ChannelData on
 *    that channel (§12.5 "MUST use ChannelData"); a ChannelData of length 0
 *    (§12.4 allows it) makes an empty datagram both ways;
 *  - Refresh (§8.2) keeps 600 s; Refresh LIFETIME 0 deletes, after which
 *    CreatePermission gets 437 (§19).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define CHANNEL		0x4001

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "allow-loopback-peers\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

/* The client sent what the peer got, from the relayed address. */
static void
check_at_peer(struct client_turn *t, struct harness_peer *p, unsigned seen,
    const uint8_t *sent, size_t len, const char *what)
{
	uint8_t got[HARNESS_PEER_KEEP];
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	struct addr from;
	size_t n = 0;

	if (!ok(harness_peer_wait(p, seen, got, sizeof(got), &n, &from, WAIT_MS) == 0,
	    "%s reaches the peer", what))
		return;
	ok(n == len && memcmp(got, sent, len) == 0, "%s: the peer got the exact %zu bytes",
	    what, len);
	ok(addr_equal(&from, &t->relayed, true), "%s: from the relayed address (%s, %s)",
	    what, addr_str(&from, s1, sizeof(s1)), addr_str(&t->relayed, s2, sizeof(s2)));
}

/* The echo of sent comes back to the client, as ChannelData or Data. */
static void
check_echo(struct client_turn *t, const struct addr *peer, bool channel,
    const uint8_t *sent, size_t len, const char *what)
{
	struct client_turn_data d;
	uint8_t buf[4096];
	int r;

	r = client_turn_recv(t, buf, sizeof(buf), &d, WAIT_MS);
	if (!ok(r == 0, "%s: the echo is relayed back (%s)", what, client_strerror(r)))
		return;
	ok(d.channel == channel, "%s: as %s", what, channel ? "ChannelData" : "a Data indication");
	if (channel)
		is_int(d.number, CHANNEL, "%s: on channel 0x%x", what, CHANNEL);
	else
		ok(addr_equal(&d.peer, peer, true), "%s: XOR-PEER-ADDRESS is the peer", what);
	ok(d.len == len && memcmp(d.data, sent, len) == 0, "%s: exact %zu bytes back",
	    what, len);
}

static void
check_allocation(struct client_turn *t, struct client *c, int family)
{
	char s[ADDR_STRLEN];
	uint16_t port = addr_port(&t->relayed);

	ok(addr_family(&t->relayed) == family, "relayed address %s of the family asked for",
	    addr_str(&t->relayed, s, sizeof(s)));
	ok(port >= HARNESS_RELAY_MIN && port <= HARNESS_RELAY_MAX,
	    "relay port %u in min-port..max-port", port);
	ok(addr_equal(&t->mapped, client_local(c), true), "XOR-MAPPED-ADDRESS is our source");
	is_int(t->lifetime, 600, "LIFETIME 600 (RFC 8656 §7.2 default)");
}

static void
relay(struct client_turn *t, struct client *c, int family, struct harness_peer *p)
{
	static const uint8_t one[] = "tern: a Send indication\x00\x01\xff";
	static const uint8_t two[] = { 0x80, 0x00, 0x01, 0x02, 0xfe };	/* odd */
	struct client_turn_alloc_opts ao = { 0 };
	int r;

	if (family == AF_INET6)
		ao.family = CLIENT_TURN_FAMILY_IPV6;
	r = client_turn_allocate(t, &ao, WAIT_MS);
	if (!ok(r == 0, "Allocate succeeds (%d)", r))
		return;
	check_allocation(t, c, family);
	is_int(client_turn_permit(t, &p->addr, 1, WAIT_MS), 0, "CreatePermission for the peer");
	ok(client_turn_send(t, &p->addr, one, sizeof(one)) == 0, "Send indication sent");
	check_at_peer(t, p, 0, one, sizeof(one), "Send");
	check_echo(t, &p->addr, false, one, sizeof(one), "Data");
	is_int(client_turn_channel_bind(t, CHANNEL, &p->addr, WAIT_MS), 0, "ChannelBind");
	ok(client_turn_channel_send(t, CHANNEL, two, sizeof(two)) == 0, "ChannelData sent");
	check_at_peer(t, p, 1, two, sizeof(two), "ChannelData");
	check_echo(t, &p->addr, true, two, sizeof(two), "ChannelData echo");
	ok(client_turn_channel_send(t, CHANNEL, NULL, 0) == 0, "empty ChannelData sent");
	check_at_peer(t, p, 2, two, 0, "empty ChannelData");
	check_echo(t, &p->addr, true, two, 0, "empty ChannelData echo");
	is_int(client_turn_refresh(t, -1, WAIT_MS), 0, "Refresh");
	is_int(t->lifetime, 600, "Refresh grants 600 s");
	is_int(client_turn_refresh(t, 0, WAIT_MS), 0, "Refresh LIFETIME 0 deletes");
	is_int(client_turn_permit(t, &p->addr, 1, WAIT_MS), 437,
	    "CreatePermission after the delete: 437");
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct harness_peer p = { 0 };
	struct client_turn t = { 0 };
	enum client_transport tr;
	struct client *c = NULL;
	int family;

	if (argc != 5) {
		fprintf(stderr, "usage: test_turn_relay TERND udp|tcp|tls IP 4|6\n");
		return 2;
	}
	tr = strcmp(argv[2], "tls") == 0 ? CLIENT_TLS :
	    strcmp(argv[2], "tcp") == 0 ? CLIENT_TCP : CLIENT_UDP;
	family = strcmp(argv[4], "6") == 0 ? AF_INET6 : AF_INET;
	o.ip = argv[3];
	o.tls = tr == CLIENT_TLS;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started on %s", o.ip))
		goto out;
	if (!ok(harness_peer_start(&p, family == AF_INET6 ? "::1" : "127.0.0.1",
	    true) == 0, "echo peer on loopback"))
		goto out;
	if (!ok(harness_turn_open(&h, tr, "alice", "secret", &c, &t) == 0,
	    "%s connection", argv[2]))
		goto out;
	relay(&t, c, family, &p);
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	harness_fini(&h);
	return tap_done();
}
