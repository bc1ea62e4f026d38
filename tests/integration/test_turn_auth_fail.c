/* SPDX-License-Identifier: ISC */
/*
 * Refused credentials get 401 (RFC 8489 §9.2.4, RFC 8656 §7.2 step 1) from
 * a real ternd, one kind per run:
 *     test_turn_auth_fail TERND wrong-password|unknown-user|rest-expired|
 *                               rest-ttl|rest-bad-password
 *  - a static user with the wrong password, an unknown user;
 *  - REST (docs/security.md, Credentials): a credential that expired two
 *    minutes ago, one expiring beyond max-credential-ttl (3600 s here), one
 *    signed with a secret the server does not have.
 * The client signs its second Allocate with the REALM and NONCE of the
 * first 401, so the 401 it reports is the answer to a signed request. Each
 * run also allocates with a good credential of the same kind, so a 401
 * cannot come from TURN being off.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define SECRET		"the-rest-secret-of-this-test"
#define MAX_TTL		3600

static const char conf[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "static-auth-secret = " SECRET "\n"
    "max-credential-ttl = 3600\n";

/* Allocates as user/pass on a new UDP connection; the result code. */
static int
try_allocate(struct harness *h, const char *user, const char *pass, bool check_realm)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	int r;

	if (harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) != 0)
		return CLIENT_E_IO;
	r = client_turn_allocate(&t, NULL, WAIT_MS);
	if (check_realm)
		ok(t.realm_len == 9 && memcmp(t.realm, "tern.test", 9) == 0 &&
		    t.nonce_len > 0, "the 401 carried REALM tern.test and a NONCE");
	harness_turn_close(&c, &t);
	return r;
}

static int
try_rest(struct harness *h, const char *secret, int64_t expiry, const char *id)
{
	char user[128], pass[29];

	if (harness_rest_cred(secret, expiry, id, user, sizeof(user), pass) != 0)
		return CLIENT_E_ARG;
	return try_allocate(h, user, pass, false);
}

static void
run(struct harness *h, const char *kind)
{
	int64_t now = (int64_t)time(NULL);
	bool rest = strncmp(kind, "rest-", 5) == 0;

	if (strcmp(kind, "wrong-password") == 0)
		is_int(try_allocate(h, "alice", "not-the-secret", true), 401,
		    "wrong password: 401");
	else if (strcmp(kind, "unknown-user") == 0)
		is_int(try_allocate(h, "mallory", "secret", true), 401, "unknown user: 401");
	else if (strcmp(kind, "rest-expired") == 0)
		is_int(try_rest(h, SECRET, now - 120, "bob"), 401,
		    "REST credential expired 120 s ago: 401");
	else if (strcmp(kind, "rest-ttl") == 0)
		is_int(try_rest(h, SECRET, now + MAX_TTL + 600, "bob"), 401,
		    "REST credential expiring beyond max-credential-ttl: 401");
	else if (strcmp(kind, "rest-bad-password") == 0)
		is_int(try_rest(h, "another-secret", now + 600, "bob"), 401,
		    "REST credential signed with an unknown secret: 401");
	else
		ok(0, "unknown case %s", kind);
	/* The control: the good credential of the same kind allocates. */
	if (rest)
		is_int(try_rest(h, SECRET, now + MAX_TTL - 600, "bob"), 0,
		    "a REST credential within max-credential-ttl allocates");
	else
		is_int(try_allocate(h, "alice", "secret", false), 0,
		    "alice with her password allocates");
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { .extra = conf };

	if (argc != 3) {
		fprintf(stderr, "usage: test_turn_auth_fail TERND KIND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	run(&h, argv[2]);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
