/* SPDX-License-Identifier: ISC */
/*
 * The per-user allocation quota (RFC 8656 §7.2 step 10; docs/security.md,
 * Attack catalogue: resource exhaustion) on a real ternd with user-quota =
 * 1: alice allocates from one port; alice from another port gets 486
 * (Allocation Quota Reached) while bob, another user, still allocates; once
 * alice's first allocation is deleted (Refresh LIFETIME 0) her second
 * client allocates.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "user = bob:hunter2\n"
    "user-quota = 1\n";

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct client_turn a1 = { 0 }, a2 = { 0 }, b = { 0 };
	struct client *c1 = NULL, *c2 = NULL, *cb = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: test_turn_quota TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c1, &a1) == 0 &&
	    harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &c2, &a2) == 0 &&
	    harness_turn_open(&h, CLIENT_UDP, "bob", "hunter2", &cb, &b) == 0,
	    "three UDP clients"))
		goto out;
	ok(!addr_equal(client_local(c1), client_local(c2), true), "alice's clients use two ports");
	is_int(client_turn_allocate(&a1, NULL, WAIT_MS), 0, "alice's first allocation");
	is_int(client_turn_allocate(&a2, NULL, WAIT_MS), 486,
	    "alice's second allocation from another port: 486");
	is_int(client_turn_allocate(&b, NULL, WAIT_MS), 0, "bob is not limited by alice's quota");
	is_int(client_turn_refresh(&a1, 0, WAIT_MS), 0, "alice deletes her first allocation");
	is_int(client_turn_allocate(&a2, NULL, WAIT_MS), 0,
	    "then her second client allocates");
	harness_turn_close(&c1, &a1);
	harness_turn_close(&c2, &a2);
	harness_turn_close(&cb, &b);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c1, &a1);
	harness_turn_close(&c2, &a2);
	harness_turn_close(&cb, &b);
	harness_fini(&h);
	return tap_done();
}
