/* SPDX-License-Identifier: ISC */
/*
 * Nothing reaches a loopback service through a real ternd that runs
 * without allow-loopback-peers (docs/security.md, Peer deny list;
 * RFC 8656 §11.2: a refused Send is silently discarded, §12.6: ChannelData
 * on an unbound channel too). Two canary UDP listeners, 127.0.0.1 and ::1 on random
 * ports, must count zero datagrams after:
 *  - an IPv4 allocation: CreatePermission to the canary's IP, which is
 *    granted because it is the relay IP here (a permission is per IP,
 *    RFC 8656 §9, and another allocation on the relay IP is a legitimate
 *    peer), ChannelBind to the canary (403: its port is outside the relay
 *    range), Send indications to 127.0.0.1 and 0.0.0.0 on the canary's
 *    port, ChannelData on the refused channel;
 *  - an IPv6 allocation: the same with [::1], plus Send to [::] and the
 *    IPv4-in-IPv6 forms of 127.0.0.1 (mapped, compatible, NAT64, 6to4).
 * So the permission alone opens nothing: every datagram is judged with
 * its port.
 * A Refresh after the sends proves ternd has handled them (one 5-tuple is
 * served in order by one worker), then the canaries get a further second.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define SILENCE_MS	1000
#define CHANNEL		0x4000

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

static const uint8_t payload[] = "GET /latest/meta-data/ HTTP/1.0\r\n\r\n";

static void
send_to(struct client_turn *t, const char *ip, uint16_t port)
{
	struct addr a;

	ok(addr_parse_ip(&a, ip, port) == 0 &&
	    client_turn_send(t, &a, payload, sizeof(payload)) == 0,
	    "Send indication towards [%s]:%u sent", ip, port);
}

static void
probe(struct client_turn *t, bool v6, const struct harness_peer *c4,
    const struct harness_peer *c6)
{
	struct client_turn_alloc_opts ao = { .family = v6 ? CLIENT_TURN_FAMILY_IPV6 : 0 };
	const struct addr *canary = v6 ? &c6->addr : &c4->addr;
	uint16_t p4 = addr_port(&c4->addr), p6 = addr_port(&c6->addr);

	if (!ok(client_turn_allocate(t, &ao, WAIT_MS) == 0, "IPv%d allocation", v6 ? 6 : 4))
		return;
	is_int(client_turn_permit(t, canary, 1, WAIT_MS), 0,
	    "CreatePermission to the canary's IP (the relay IP): granted");
	is_int(client_turn_channel_bind(t, CHANNEL, canary, WAIT_MS), 403,
	    "ChannelBind to the canary: 403");
	if (v6) {
		send_to(t, "::1", p6);
		send_to(t, "::", p6);
		send_to(t, "::ffff:127.0.0.1", p4);
		send_to(t, "::127.0.0.1", p4);
		send_to(t, "64:ff9b::7f00:1", p4);
		send_to(t, "2002:7f00:1::1", p4);
	} else {
		send_to(t, "127.0.0.1", p4);
		send_to(t, "0.0.0.0", p4);
	}
	ok(client_turn_channel_send(t, CHANNEL, payload, sizeof(payload)) == 0,
	    "ChannelData on the refused channel sent");
	is_int(client_turn_refresh(t, -1, WAIT_MS), 0, "Refresh after the sends: ternd handled them");
}

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct harness_peer c4 = { 0 }, c6 = { 0 };
	struct client_turn t4 = { 0 }, t6 = { 0 };
	struct client *a = NULL, *b = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: test_turn_canary TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_peer_start(&c4, "127.0.0.1", false) == 0 &&
	    harness_peer_start(&c6, "::1", false) == 0, "canaries on 127.0.0.1 and ::1"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &a, &t4) == 0 &&
	    harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &b, &t6) == 0,
	    "two UDP clients"))
		goto out;
	probe(&t4, false, &c4, &c6);
	probe(&t6, true, &c4, &c6);
	/* Bounded wait for datagrams that must not come. */
	nap_ms(SILENCE_MS);
	is_int(harness_peer_count(&c4), 0, "the 127.0.0.1 canary received nothing");
	is_int(harness_peer_count(&c6), 0, "the ::1 canary received nothing");
	harness_turn_close(&a, &t4);
	harness_turn_close(&b, &t6);
	harness_peer_stop(&c4);
	harness_peer_stop(&c6);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&a, &t4);
	harness_turn_close(&b, &t6);
	harness_peer_stop(&c4);
	harness_peer_stop(&c6);
	harness_fini(&h);
	return tap_done();
}
