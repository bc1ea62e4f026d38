/* SPDX-License-Identifier: ISC */
/*
 * Certificate reload on SIGHUP (docs/security.md, TLS): start with cert A,
 * open a TLS connection, replace the cert/pkey files with cert B, send
 * SIGHUP.
 * Within a deadline a new handshake presents B (it verifies against B and
 * its fingerprint differs from A), while the connection opened before the
 * SIGHUP still gets Binding answers.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define RELOAD_MS	5000

/* Atomically replaces dst with src (rename within the directory). */
static int
replace_file(const char *src, const char *dst)
{
	return rename(src, dst);
}

/* Polls new handshakes until one presents cert B or the deadline. */
static bool
wait_for_cert_b(struct harness *h, const char *cert_b, const uint8_t fa[32],
    uint8_t fb[32])
{
	int64_t deadline = client_now_ms() + RELOAD_MS;
	struct client_opts o = { .ca_file = cert_b, .verify_host = h->ip };
	struct timespec nap = { 0, 100 * 1000000L };
	struct client *c;
	char err[256];

	while (client_now_ms() < deadline) {
		if (client_open(&c, CLIENT_TLS, &h->srv_tls, h->ip, &o, 2000, err,
		    sizeof(err)) == 0) {
			bool got = client_peer_cert_sha256(c, fb) == 0 &&
			    memcmp(fa, fb, 32) != 0;
			client_free(c);
			if (got)
				return true;
		}
		nanosleep(&nap, NULL);
	}
	diag("last handshake: %s", err);
	return false;
}

int
main(int argc, char *argv[])
{
	char cert_b[HARNESS_PATH], pkey_b[HARNESS_PATH], copy_b[HARNESS_PATH];
	const char *cp[] = { "/bin/cp", cert_b, copy_b, NULL };
	char out[256];
	struct harness_opts o = { .tls = true };
	struct client *old = NULL;
	struct client_binding res;
	uint8_t fa[32], fb[32];
	struct harness h;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started with cert A") ||
	    !ok(harness_client(&h, CLIENT_TLS, &old) == 0, "TLS connection verifies A"))
		goto out;
	ok(client_peer_cert_sha256(old, fa) == 0, "fingerprint of A recorded");
	ok(client_binding(old, 3000, &res) == 0, "Binding over TLS before SIGHUP");
	harness_path(&h, "b.pem", cert_b, sizeof(cert_b));
	harness_path(&h, "b.key", pkey_b, sizeof(pkey_b));
	harness_path(&h, "b-copy.pem", copy_b, sizeof(copy_b));
	if (!ok(harness_make_cert(cert_b, pkey_b) == 0, "cert B made") ||
	    !ok(harness_run(cp, out, sizeof(out), 5000) == 0, "a copy of B kept as trust anchor"))
		goto out;
	ok(replace_file(pkey_b, h.pkey) == 0 && replace_file(cert_b, h.cert) == 0,
	    "cert and key files replaced by B");
	ok(kill(h.pid, SIGHUP) == 0, "SIGHUP sent");
	ok(wait_for_cert_b(&h, copy_b, fa, fb), "a new handshake presents B within %d ms",
	    RELOAD_MS);
	ok(client_binding(old, 3000, &res) == 0, "the connection from before SIGHUP works");
	ok(addr_equal(&res.mapped, client_local(old), true), "with the right mapped address");
	client_free(old);
	old = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(old);
	harness_fini(&h);
	return tap_done();
}
