/* SPDX-License-Identifier: ISC */
/*
 * Exact TURN error codes from a real ternd (RFC 8656 §5, §7.2, §10.2,
 * §12.2, §19), every request authenticated:
 *     test_turn_errors TERND CASE
 *   no-allocation    CreatePermission on a 5-tuple without one: 437 (§19)
 *   second-allocate  Allocate again on the same 5-tuple: 437 (§7.2)
 *   no-transport     Allocate without REQUESTED-TRANSPORT: 400 (§7.2)
 *   bad-transport    REQUESTED-TRANSPORT 99: 442 (§7.2)
 *   wrong-user       bob's request on alice's allocation: 441 (§5)
 *   family-mismatch  IPv6 peer on an IPv4 relay and back: 443 (§10.2)
 *   bad-channel      ChannelBind 0x3FFF and 0x5000: 400 (§12.2)
 *   capacity         33 XOR-PEER-ADDRESS in one CreatePermission, the
 *                    129th permission, the 129th channel: 508 (§10.2,
 *                    §12.2; turn.h caps 32 / 128 / 128). The peers are
 *                    loopback addresses 127.0.x.y: nothing is sent to
 *                    them.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "user = bob:hunter2\n"
    "allow-loopback-peers\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

static void
no_allocation(struct client_turn *t)
{
	struct addr peer;

	addr_parse_ip(&peer, "127.0.0.1", 9);
	is_int(client_turn_permit(t, &peer, 1, WAIT_MS), 437,
	    "CreatePermission without an allocation: 437");
	is_int(client_turn_refresh(t, -1, WAIT_MS), 437, "Refresh without an allocation: 437");
}

static void
second_allocate(struct client_turn *t)
{
	is_int(client_turn_allocate(t, NULL, WAIT_MS), 0, "first Allocate");
	is_int(client_turn_allocate(t, NULL, WAIT_MS), 437,
	    "a new Allocate on the same 5-tuple: 437");
}

static void
no_transport(struct client_turn *t)
{
	is_int(client_turn_request(t, STUN_ALLOCATE, NULL, 0, NULL, 0, NULL, WAIT_MS), 400,
	    "Allocate without REQUESTED-TRANSPORT: 400");
}

static void
bad_transport(struct client_turn *t)
{
	struct client_turn_alloc_opts ao = { .transport = 99 };

	is_int(client_turn_allocate(t, &ao, WAIT_MS), 442, "REQUESTED-TRANSPORT 99: 442");
}

static void
wrong_user(struct client_turn *t)
{
	struct addr peer;

	addr_parse_ip(&peer, "127.0.0.1", 9);
	if (!ok(client_turn_allocate(t, NULL, WAIT_MS) == 0, "alice allocates"))
		return;
	ok(client_turn_set_user(t, "bob", "hunter2") == 0, "switch to bob's credentials");
	is_int(client_turn_permit(t, &peer, 1, WAIT_MS), 441,
	    "bob's CreatePermission on alice's allocation: 441");
	is_int(client_turn_refresh(t, -1, WAIT_MS), 441, "bob's Refresh: 441");
	ok(client_turn_set_user(t, "alice", "secret") == 0, "back to alice");
	is_int(client_turn_permit(t, &peer, 1, WAIT_MS), 0, "alice's CreatePermission: 0");
}

static void
family_mismatch(struct client_turn *t)
{
	struct client_turn_alloc_opts ao = { .family = CLIENT_TURN_FAMILY_IPV4 };
	struct addr p6, p4;

	addr_parse_ip(&p6, "::1", 9);
	addr_parse_ip(&p4, "127.0.0.1", 9);
	if (!ok(client_turn_allocate(t, &ao, WAIT_MS) == 0, "an IPv4 relay"))
		return;
	is_int(client_turn_permit(t, &p6, 1, WAIT_MS), 443, "CreatePermission [::1]: 443");
	is_int(client_turn_channel_bind(t, 0x4000, &p6, WAIT_MS), 443, "ChannelBind [::1]: 443");
	is_int(client_turn_permit(t, &p4, 1, WAIT_MS), 0, "CreatePermission 127.0.0.1: 0");
}

static void
bad_channel(struct client_turn *t)
{
	struct addr peer;

	addr_parse_ip(&peer, "127.0.0.1", 9);
	if (!ok(client_turn_allocate(t, NULL, WAIT_MS) == 0, "Allocate"))
		return;
	is_int(client_turn_channel_bind(t, 0x3FFF, &peer, WAIT_MS), 400, "channel 0x3FFF: 400");
	is_int(client_turn_channel_bind(t, 0x5000, &peer, WAIT_MS), 400, "channel 0x5000: 400");
	is_int(client_turn_channel_bind(t, 0x4FFF, &peer, WAIT_MS), 0, "channel 0x4FFF: 0");
}

static void
loopback_peer(struct addr *a, unsigned i)
{
	char ip[32];

	snprintf(ip, sizeof(ip), "127.0.%u.%u", 1 + i / 250, 1 + i % 250);
	addr_parse_ip(a, ip, 9);
}

static void
capacity(struct client_turn *t)
{
	struct client_turn_attr at[33];
	struct addr peers[160];
	unsigned i, okn = 0;

	for (i = 0; i < 160; i++)
		loopback_peer(&peers[i], i);
	if (!ok(client_turn_allocate(t, NULL, WAIT_MS) == 0, "Allocate"))
		return;
	for (i = 0; i < 33; i++)
		at[i] = (struct client_turn_attr){ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0,
		    &peers[i] };
	is_int(client_turn_request(t, STUN_CREATE_PERMISSION, at, 33, NULL, 0, NULL,
	    WAIT_MS), 508, "33 peers in one CreatePermission: 508");
	for (i = 0; i < 128; i += 32)
		okn += client_turn_permit(t, &peers[i], 32, WAIT_MS) == 0;
	is_int(okn, 4, "128 permissions in four requests of 32");
	is_int(client_turn_permit(t, &peers[128], 1, WAIT_MS), 508, "the 129th permission: 508");
	is_int(client_turn_permit(t, &peers[0], 1, WAIT_MS), 0,
	    "refreshing an existing permission still works");
	for (okn = 0, i = 0; i < 128; i++)
		okn += client_turn_channel_bind(t, (uint16_t)(0x4000 + i), &peers[i],
		    WAIT_MS) == 0;
	is_int(okn, 128, "128 channels bound");
	is_int(client_turn_channel_bind(t, 0x4000 + 128, &peers[128], WAIT_MS), 508,
	    "the 129th channel: 508");
}

static const struct {
	const char *name;
	void (*fn)(struct client_turn *);
} cases[] = {
	{ "no-allocation", no_allocation },
	{ "second-allocate", second_allocate },
	{ "no-transport", no_transport },
	{ "bad-transport", bad_transport },
	{ "wrong-user", wrong_user },
	{ "family-mismatch", family_mismatch },
	{ "bad-channel", bad_channel },
	{ "capacity", capacity },
};

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: test_turn_errors TERND CASE\n");
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].name, argv[2]) == 0)
			break;
	if (!ok(i < sizeof(cases) / sizeof(cases[0]), "case %s", argv[2]))
		return tap_done();
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c, &t) == 0,
	    "UDP client"))
		goto out;
	cases[i].fn(&t);
	harness_turn_close(&c, &t);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c, &t);
	harness_fini(&h);
	return tap_done();
}
