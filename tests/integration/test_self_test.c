/* SPDX-License-Identifier: ISC */
/*
 * The self-test canary (self-test-interval, src/daemon/daemon_selftest.c)
 * against a real ternd on loopback with the default peer policy (no
 * allow-loopback-peers: the self-test relays relay to relay):
 *  - it succeeds: tern_self_test_success 1, a duration, no failure, and
 *    /readyz 200;
 *  - relaying is broken while the listener is not (SIGHUP with max-bps = 1:
 *    no relayed packet fits a one-byte bucket): within a deadline
 *    tern_self_test_success is 0, failures are counted, /readyz is 503 and
 *    says the relayed packet did not arrive, while /healthz stays 200 and
 *    a client still gets Binding and Allocate answers;
 *  - relaying is repaired (max-bps = 0 again): /readyz is 200 again.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics_common.h"
#include "tap.h"

#define WAIT_MS		20000	/* two failed runs: about 6 s */

static const char conf[] = "self-test-interval = 1\n"
    "allow-loopback-peers = false\n";

/* Appends a line to the configuration file and sends SIGHUP. */
static int
reload_with(struct mc *m, const char *line)
{
	FILE *f = fopen(m->h.conf, "a");

	if (f == NULL)
		return -1;
	fprintf(f, "%s\n", line);
	if (fclose(f) != 0)
		return -1;
	return kill(m->h.pid, SIGHUP);
}

static bool
wait_metric(struct mc *m, const char *series, double want)
{
	double last = 0;

	if (mc_wait(m->mport, NULL, series, false, want, WAIT_MS, &last))
		return true;
	diag("%s: last %f, want %f", series, last, want);
	return false;
}

static void
still_serving(struct mc *m)
{
	struct client_binding res;
	struct client_turn t = { 0 };
	struct client *c = NULL;
	struct addr peer;

	ok(harness_client(&m->h, CLIENT_UDP, &c) == 0 &&
	    client_binding(c, 3000, &res) == 0, "a Binding is still answered");
	client_free(c);
	c = NULL;
	(void)addr_parse_ip(&peer, "127.0.0.1", HARNESS_RELAY_MIN);
	is_int(mc_alloc(m, &peer, &c, &t), 0,
	    "an Allocate with a permission still succeeds");
	harness_turn_close(&c, &t);
}

int
main(int argc, char *argv[])
{
	struct mc m = { 0 };
	char body[256];
	double v = 0;
	int r;

	if (argc != 2)
		return 2;
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir") ||
	    !ok(mc_start(&m, conf) == 0, "ternd started with self-test-interval")) {
		harness_dump_log(&m.h);
		goto out;
	}
	ok(wait_metric(&m, "tern_self_test_success", 1),
	    "tern_self_test_success is 1");
	is_int(mc_status_until(m.mport, "/readyz", 200, WAIT_MS, NULL, 0),
	    200, "/readyz: 200");
	r = mc_read(m.mport, NULL, "tern_self_test_duration_seconds", false,
	    &v);
	ok(r == 0 && v > 0 && v < 2, "the last run's duration: %f s", v);
	r = mc_read(m.mport, NULL, "tern_self_test_failures_total", false, &v);
	ok(r == 0 && v == 0, "no run failed");

	ok(reload_with(&m, "max-bps = 1") == 0,
	    "SIGHUP with max-bps = 1: nothing can be relayed");
	ok(wait_metric(&m, "tern_self_test_success", 0),
	    "tern_self_test_success is 0 within %d ms", WAIT_MS);
	is_int(mc_status_until(m.mport, "/readyz", 503, WAIT_MS, body,
	    sizeof(body)), 503, "/readyz: 503 after two failed runs");
	ok(strstr(body, "self-test: the relayed packet did not arrive") != NULL,
	    "its body says why: %s", body);
	r = mc_read(m.mport, NULL, "tern_self_test_failures_total", false, &v);
	ok(r == 0 && v >= 2, "failed runs counted: %.0f", v);
	is_int(mc_status_until(m.mport, "/healthz", 200, WAIT_MS, NULL, 0), 200,
	    "/healthz: still 200");
	still_serving(&m);

	ok(reload_with(&m, "max-bps = 0") == 0, "SIGHUP with max-bps = 0");
	is_int(mc_status_until(m.mport, "/readyz", 200, WAIT_MS, NULL, 0), 200,
	    "/readyz: 200 again after a run succeeds");
	ok(wait_metric(&m, "tern_self_test_success", 1),
	    "tern_self_test_success is 1 again");
	is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
out:
	if (m.started && tap_failed > 0)
		harness_dump_log(&m.h);
	mc_fini(&m);
	return tap_done();
}
