/* SPDX-License-Identifier: ISC */
/*
 * Allocation lifetimes on a real ternd (RFC 8656 §6, §7.2, §8.2),
 * max-allocate-lifetime 3600 (the default):
 *  - Allocate with LIFETIME 30 gets 600 (a shorter request is raised to
 *    the default); without LIFETIME 600;
 *  - Refresh with 86400 gets 3600 (cut to the maximum), with 1200 gets
 *    1200, without LIFETIME 600;
 *  - over TCP, closing the connection ends the allocation (§3.1: the
 *    5-tuple includes the connection): with user-quota = 1 the same user
 *    allocates again on a new connection within the deadline.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define CLOSE_WAIT_MS	3000

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "user = bob:hunter2\n"
    "user-quota = 1\n";

static void
lifetimes(struct harness *h)
{
	struct client_turn_alloc_opts ao = { .lifetime = 30 };
	struct client_turn t = { 0 };
	struct client *c = NULL;

	if (!ok(harness_turn_open(h, CLIENT_UDP, "alice", "secret", &c, &t) == 0, "UDP client"))
		return;
	is_int(client_turn_allocate(&t, &ao, WAIT_MS), 0, "Allocate with LIFETIME 30");
	is_int(t.lifetime, 600, "granted 600 s");
	is_int(client_turn_refresh(&t, 86400, WAIT_MS), 0, "Refresh with LIFETIME 86400");
	is_int(t.lifetime, 3600, "cut to max-allocate-lifetime 3600 s");
	is_int(client_turn_refresh(&t, 1200, WAIT_MS), 0, "Refresh with LIFETIME 1200");
	is_int(t.lifetime, 1200, "granted 1200 s");
	is_int(client_turn_refresh(&t, -1, WAIT_MS), 0, "Refresh without LIFETIME");
	is_int(t.lifetime, 600, "granted 600 s");
	is_int(client_turn_refresh(&t, 0, WAIT_MS), 0, "Refresh LIFETIME 0");
	harness_turn_close(&c, &t);
}

/* bob allocates on TCP, hangs up, and allocates again on a new
 * connection: only possible if the first allocation ended. */
static void
closed(struct harness *h)
{
	struct timespec pause = { 0, 50 * 1000000L };
	int64_t deadline;
	struct client_turn t = { 0 }, t2 = { 0 };
	struct client *c = NULL, *c2 = NULL;
	int r = -1;

	if (!ok(harness_turn_open(h, CLIENT_TCP, "bob", "hunter2", &c, &t) == 0, "TCP client"))
		return;
	is_int(client_turn_allocate(&t, NULL, WAIT_MS), 0, "bob allocates over TCP");
	if (harness_turn_open(h, CLIENT_TCP, "bob", "hunter2", &c2, &t2) == 0)
		is_int(client_turn_allocate(&t2, NULL, WAIT_MS), 486,
		    "while it lives, a second connection gets 486");
	harness_turn_close(&c2, &t2);
	harness_turn_close(&c, &t);
	deadline = client_now_ms() + CLOSE_WAIT_MS;
	while (r != 0 && client_now_ms() < deadline) {
		if (harness_turn_open(h, CLIENT_TCP, "bob", "hunter2", &c, &t) != 0)
			break;
		r = client_turn_allocate(&t, NULL, WAIT_MS);
		harness_turn_close(&c, &t);
		if (r != 0)
			nanosleep(&pause, NULL);	/* the close is seen async */
	}
	is_int(r, 0, "after the hang-up bob allocates again (quota 1 released)");
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };

	if (argc != 2) {
		fprintf(stderr, "usage: test_turn_lifetime TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	lifetimes(&h);
	closed(&h);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
