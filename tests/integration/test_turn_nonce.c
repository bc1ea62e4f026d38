/* SPDX-License-Identifier: ISC */
/*
 * 438 Stale Nonce (RFC 8489 §9.2.4; docs/security.md, Attack catalogue:
 * nonce replay) from a real ternd:
 *     test_turn_nonce TERND foreign|stale
 *  - foreign: a NONCE issued to client A, used by client B (another source
 *    port) with valid credentials -> 438 with a fresh NONCE, and B's retry
 *    with that NONCE succeeds (§9.2.5);
 *  - stale: stale-nonce = 30 (its minimum); Refresh with the NONCE of the
 *    Allocate is polled once a second until it gets 438 (deadline 50 s);
 *    the 438 must not come before the nonce is 29 s old, carries a new
 *    NONCE, and the Refresh retried with it succeeds.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define STALE_S		30
#define STALE_WAIT_MS	50000

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "stale-nonce = 30\n";

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
foreign(struct harness *h, struct client_turn *a)
{
	struct client_turn b = { 0 };
	struct client *cb = NULL;
	uint8_t old[sizeof(b.nonce)];
	size_t oldlen;

	if (!ok(harness_turn_open(h, CLIENT_UDP, "alice", "secret", &cb, &b) == 0,
	    "client B"))
		return;
	ok(!addr_equal(client_local(cb), client_local(a->c), true),
	    "B has another source address");
	/* B signs with A's REALM and NONCE. */
	memcpy(b.realm, a->realm, a->realm_len);
	b.realm_len = a->realm_len;
	memcpy(b.nonce, a->nonce, a->nonce_len);
	b.nonce_len = oldlen = a->nonce_len;
	memcpy(old, a->nonce, oldlen);
	ok(client_turn_set_user(&b, "alice", "secret") == 0 && b.have_key, "B's key");
	b.retry_stale = false;
	is_int(client_turn_allocate(&b, NULL, WAIT_MS), 438, "A's NONCE used by B: 438");
	ok(b.nonce_len > 0 && (b.nonce_len != oldlen || memcmp(b.nonce, old, oldlen) != 0),
	    "the 438 carries a fresh NONCE");
	is_int(client_turn_allocate(&b, NULL, WAIT_MS), 0, "B allocates with its own NONCE");
	harness_turn_close(&cb, &b);
}

static void
stale(struct client_turn *a)
{
	int64_t t0 = client_now_ms(), deadline = t0 + STALE_WAIT_MS;
	uint8_t old[sizeof(a->nonce)];
	size_t oldlen = a->nonce_len;
	int r = 0;

	memcpy(old, a->nonce, oldlen);
	a->retry_stale = false;
	while (client_now_ms() < deadline) {
		if ((r = client_turn_refresh(a, -1, WAIT_MS)) != 0)
			break;
		nap_ms(1000);
	}
	is_int(r, 438, "Refresh with the old NONCE gets 438 within %d s", STALE_WAIT_MS / 1000);
	ok(client_now_ms() - t0 >= (STALE_S - 1) * 1000, "not before the NONCE is %d s old "
	    "(%lld ms)", STALE_S - 1, (long long)(client_now_ms() - t0));
	ok(a->nonce_len != oldlen || memcmp(a->nonce, old, oldlen) != 0,
	    "the 438 carries a fresh NONCE");
	is_int(client_turn_refresh(a, -1, WAIT_MS), 0, "Refresh with the fresh NONCE succeeds");
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct client_turn a = { 0 };
	struct client *ca = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: test_turn_nonce TERND foreign|stale\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_turn_open(&h, CLIENT_UDP, "alice", "secret", &ca, &a) == 0,
	    "client A"))
		goto out;
	if (!ok(client_turn_allocate(&a, NULL, WAIT_MS) == 0, "A allocates"))
		goto out;
	if (strcmp(argv[2], "stale") == 0)
		stale(&a);
	else
		foreign(&h, &a);
	harness_turn_close(&ca, &a);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&ca, &a);
	harness_fini(&h);
	return tap_done();
}
