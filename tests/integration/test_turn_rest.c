/* SPDX-License-Identifier: ISC */
/*
 * TURN REST API credentials (README.md) against a real ternd with
 * static-auth-secret: the username "<now + 600>:bob" with the password
 * base64(HMAC-SHA1(secret, username)) allocates (RFC 8656 §7.2 after the
 * 401 challenge, RFC 8489 §9.2), relays a Send indication to the echo
 * peer and back, and refreshes. A second secret in rotation (the second
 * static-auth-secret line) signs a credential that works as well.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000

static const char conf[] = HARNESS_TURN_CONF
    "static-auth-secret = first-rest-secret-of-the-test\n"
    "static-auth-secret = second-rest-secret-of-the-test\n"
    "allow-loopback-peers\n";

static void
use_credential(struct harness *h, struct harness_peer *p, const char *secret,
    const char *id)
{
	static const uint8_t msg[] = "over a REST credential";
	char user[128], pass[29];
	struct client_turn_data d;
	struct client_turn t = { 0 };
	struct client *c = NULL;
	uint8_t buf[2048], got[HARNESS_PEER_KEEP];
	unsigned seen = harness_peer_count(p);
	size_t n;
	int r;

	if (!ok(harness_rest_cred(secret, (int64_t)time(NULL) + 600, id, user,
	    sizeof(user), pass) == 0, "REST credential for %s", id))
		return;
	if (!ok(harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) == 0, "UDP client"))
		return;
	r = client_turn_allocate(&t, NULL, WAIT_MS);
	if (!ok(r == 0, "Allocate with %s succeeds (%d)", user, r))
		goto out;
	is_int(client_turn_permit(&t, &p->addr, 1, WAIT_MS), 0, "CreatePermission");
	ok(client_turn_send(&t, &p->addr, msg, sizeof(msg)) == 0, "Send indication");
	ok(harness_peer_wait(p, seen, got, sizeof(got), &n, NULL, WAIT_MS) == 0 &&
	    n == sizeof(msg) && memcmp(got, msg, n) == 0, "the peer got the exact bytes");
	r = client_turn_recv(&t, buf, sizeof(buf), &d, WAIT_MS);
	ok(r == 0 && !d.channel && d.len == sizeof(msg) && memcmp(d.data, msg, d.len) == 0,
	    "the echo comes back as a Data indication (%d)", r);
	is_int(client_turn_refresh(&t, -1, WAIT_MS), 0, "Refresh with the credential");
	is_int(client_turn_refresh(&t, 0, WAIT_MS), 0, "Refresh LIFETIME 0");
out:
	harness_turn_close(&c, &t);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };
	struct harness_peer p = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: test_turn_rest TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	use_credential(&h, &p, "first-rest-secret-of-the-test", "bob");
	use_credential(&h, &p, "second-rest-secret-of-the-test", "carol");
	harness_peer_stop(&p);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_peer_stop(&p);
	harness_fini(&h);
	return tap_done();
}
