/* SPDX-License-Identifier: ISC */
/*
 * The metrics endpoint of a real ternd (docs/security.md, Attack catalogue:
 * metrics endpoint):
 *     test_metrics TERND counts|tls|http|token
 *  counts: after a scripted flow (N UDP allocations, M Send indications
 *          each echoed back as Data indications, two wrong passwords, one
 *          more allocation refused by user-quota = N (486), then every
 *          allocation deleted) the counters and gauges show exactly those
 *          numbers, and `promtool check metrics` accepts the page;
 *  tls:    one allocation over TLS: one successful handshake (the
 *          harness's plain TCP probe of the TLS port is a failure), one
 *          TLS connection and allocation while it lasts, packets both
 *          ways, a peer refused by the default policy (403, counted with
 *          its verdict); closing the connection ends the allocation
 *          (connection_closed);
 *  http:   /healthz and /readyz answer 200, GET and HEAD only (405 with
 *          Allow otherwise), unknown and dot-dot paths 404, the
 *          Content-Type is the text format 0.0.4;
 *  token:  with prometheus-token-file, /metrics needs
 *          "Authorization: Bearer <token>" (401 without it or with a wrong
 *          one, 200 with it); the probes need none.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics_common.h"
#include "tap.h"

#define N_ALLOC		3
#define M_PACKETS	5
#define N_WRONG		2	/* clients with a wrong password */
#define PAYLOAD		"tern metrics: one relayed payload"	/* 33 bytes */

static const char *const dir_c2p =
    "tern_relayed_packets_total{direction=\"client_to_peer\"}";
static const char *const dir_p2c =
    "tern_relayed_packets_total{direction=\"peer_to_client\"}";

static void
expect(struct mc *m, const char *series, bool sum, double want)
{
	double last;
	bool hit;

	hit = mc_wait(m->mport, NULL, series, sum, want, MC_WAIT_MS, &last);
	ok(hit, "%s%s == %g (last seen %g)", sum ? "sum of " : "", series,
	    want, last);
}

/* A client with a wrong password: one bad_integrity failure. */
static void
wrong_password(struct mc *m)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;

	if (harness_turn_open(&m->h, CLIENT_UDP, MC_USER, "wrong", &c, &t) != 0)
		return;
	is_int(client_turn_allocate(&t, NULL, 3000), 401,
	    "a wrong password gets 401");
	harness_turn_close(&c, &t);
}

/* One allocation too many for user-quota = N_ALLOC: 486, kind "user". */
static void
over_quota(struct mc *m)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;

	if (harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, &c, &t)
	    != 0)
		return;
	is_int(client_turn_allocate(&t, NULL, 3000), 486,
	    "allocation %d of %s: 486 (user-quota)", N_ALLOC + 1, MC_USER);
	harness_turn_close(&c, &t);
}

static void
counts_after(struct mc *m)
{
	char b[160];
	size_t len = strlen(PAYLOAD);

	expect(m, "tern_allocations_created_total", false, N_ALLOC);
	expect(m, "tern_allocations{transport=\"udp\",family=\"ipv4\"}", false,
	    N_ALLOC);
	expect(m, "tern_permissions", false, N_ALLOC);
	expect(m, dir_c2p, false, N_ALLOC * M_PACKETS);
	expect(m, dir_p2c, false, N_ALLOC * M_PACKETS);
	expect(m, "tern_relayed_bytes_total{direction=\"client_to_peer\"}",
	    false, (double)(N_ALLOC * M_PACKETS * len));
	expect(m, "tern_relayed_bytes_total{direction=\"peer_to_client\"}",
	    false, (double)(N_ALLOC * M_PACKETS * len));
	/* Each client's first Allocate is the 401 challenge (§9.2.4); the
	 * one over the quota is a client too. */
	expect(m, "tern_stun_requests_total{method=\"allocate\"}", false,
	    2 * (N_ALLOC + 1) + 2 * N_WRONG);
	expect(m, "tern_stun_requests_total{method=\"send\"}", false,
	    N_ALLOC * M_PACKETS);
	snprintf(b, sizeof(b), "tern_stun_responses_total{method=\"allocate\","
	    "code=\"200\"}");
	expect(m, b, false, N_ALLOC);
	snprintf(b, sizeof(b), "tern_stun_responses_total{method=\"allocate\","
	    "code=\"401\"}");
	expect(m, b, false, N_ALLOC + 1 + 2 * N_WRONG);
	snprintf(b, sizeof(b), "tern_stun_responses_total{method=\"allocate\","
	    "code=\"486\"}");
	expect(m, b, false, 1);
	/* The engine names the limit: counted as "user", nothing else. */
	expect(m, "tern_quota_refusals_total{kind=\"user\"}", false, 1);
	expect(m, "tern_quota_refusals_total", true, 1);
	expect(m, "tern_stun_responses_total{method=\"create_permission\","
	    "code=\"200\"}", false, N_ALLOC);
	/* The challenge is not a failure; the second 401 is. */
	expect(m, "tern_auth_failures_total{reason=\"bad_integrity\"}", false,
	    N_WRONG);
	/* Everything was answered or relayed: nothing counts as dropped
	 * (a relayed packet is not a drop "other"). */
	expect(m, "tern_dropped_packets_total", true, 0);
	expect(m, "tern_connections", true, 0);
	expect(m, "tern_build_info", true, 1);
}

static void
counts_ended(struct mc *m)
{
	expect(m, "tern_allocations", true, 0);
	expect(m, "tern_permissions", false, 0);
	expect(m, "tern_allocations_ended_total{reason=\"deleted\"}", false,
	    N_ALLOC);
	expect(m, "tern_allocation_duration_seconds_count", false, N_ALLOC);
	expect(m, "tern_allocations_created_total", false, N_ALLOC);
	expect(m, "tern_relay_ports_used", false, 0);
}

static void
promtool(struct mc *m)
{
	struct mc_resp r;
	char out[4096];
	double v = -1;
	int rc;

	if (!ok(mc_http(m->mport, "GET", "/metrics", NULL, &r, 3000) == 0 &&
	    r.status == 200, "GET /metrics: 200"))
		goto out;
	rc = mc_value(r.body, "process_open_fds", &v);
	ok(rc == 0 && v > 0, "process_open_fds is there (%g)", v);
	rc = mc_value(r.body, "tern_relay_ports_used", &v);
	ok(rc == 0 && v == N_ALLOC, "tern_relay_ports_used is %d (%g)",
	    N_ALLOC, v);
	rc = mc_value(r.body, "tern_relay_ports_free", &v);
	ok(rc == 0 && v == 1000 - N_ALLOC, "tern_relay_ports_free is the "
	    "rest of 61000-61999 (%g)", v);
	ok(strstr(r.body, "alice") == NULL && strstr(r.body, "127.0.0.1") ==
	    NULL, "no username and no IP anywhere on the page");
	if (!ok(mc_promtool(m->h.dir, r.body, out, sizeof(out)) == 0,
	    "promtool check metrics accepts the page"))
		diag("promtool: %s", out);
out:
	mc_resp_free(&r);
}

static int
counts(struct mc *m)
{
	struct harness_peer p = { 0 };
	struct client_turn t[N_ALLOC] = { 0 };
	struct client *c[N_ALLOC] = { 0 };
	int i, k, echoed = 0;

	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	for (i = 0; i < N_ALLOC; i++)
		if (!ok(mc_alloc(m, &p.addr, &c[i], &t[i]) == 0,
		    "allocation %d with a permission", i))
			goto out;
	for (i = 0; i < N_ALLOC; i++)
		for (k = 0; k < M_PACKETS; k++)
			echoed += mc_echo(&t[i], &p.addr, PAYLOAD,
			    strlen(PAYLOAD), 3000) == 0;
	is_int(echoed, N_ALLOC * M_PACKETS, "every packet came back");
	for (i = 0; i < N_WRONG; i++)
		wrong_password(m);
	over_quota(m);
	counts_after(m);
	promtool(m);
	for (i = 0; i < N_ALLOC; i++)
		is_int(client_turn_refresh(&t[i], 0, 3000), 0,
		    "Refresh 0 deletes allocation %d", i);
	counts_ended(m);
out:
	for (i = 0; i < N_ALLOC; i++)
		harness_turn_close(&c[i], &t[i]);
	harness_peer_stop(&p);
	return 0;
}

static void
tls_during(struct mc *m, struct client_turn *t, const struct addr *peer)
{
	struct addr denied;
	double v = -1;
	struct mc_resp r;
	int i, echoed = 0, rc = -1;

	for (i = 0; i < M_PACKETS; i++)
		echoed += mc_echo(t, peer, PAYLOAD, strlen(PAYLOAD), 3000) == 0;
	is_int(echoed, M_PACKETS, "every packet came back over TLS");
	addr_parse_ip(&denied, "10.1.2.3", 5000);
	is_int(client_turn_permit(t, &denied, 1, 3000), 403,
	    "CreatePermission for 10.1.2.3: 403 (default deny)");
	expect(m, "tern_tls_handshakes_total{result=\"success\"}", false, 1);
	expect(m, "tern_connections{transport=\"tls\"}", false, 1);
	expect(m, "tern_allocations{transport=\"tls\",family=\"ipv4\"}",
	    false, 1);
	expect(m, dir_c2p, false, M_PACKETS);
	expect(m, dir_p2c, false, M_PACKETS);
	expect(m, "tern_peer_refusals_total{reason=\"deny_default\"}", false,
	    1);
	expect(m, "tern_peer_refusals_total", true, 1);
	expect(m, "tern_stun_responses_total{method=\"create_permission\","
	    "code=\"403\"}", false, 1);
	if (mc_http(m->mport, "GET", "/metrics", NULL, &r, 3000) == 0)
		rc = mc_value(r.body, "tern_tls_handshakes_total{result="
		    "\"failure\"}", &v);
	mc_resp_free(&r);
	ok(rc == 0 && v >= 1, "the harness's plain TCP probe of the TLS "
	    "port counts as a failed handshake (%g)", v);
}

static int
tls(struct mc *m)
{
	struct harness_peer p = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;

	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer") ||
	    !ok(harness_turn_open(&m->h, CLIENT_TLS, MC_USER, MC_PASS, &c,
	    &t) == 0, "TLS connection") ||
	    !ok(client_turn_allocate(&t, NULL, 3000) == 0, "Allocate over TLS") ||
	    !ok(client_turn_permit(&t, &p.addr, 1, 3000) == 0, "permission"))
		goto out;
	tls_during(m, &t, &p.addr);
	harness_turn_close(&c, &t);
	expect(m, "tern_connections{transport=\"tls\"}", false, 0);
	expect(m, "tern_allocations", true, 0);
	expect(m, "tern_allocations_ended_total{reason=\"connection_closed\"}",
	    false, 1);
out:
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	return 0;
}

static void
status(struct mc *m, const char *method, const char *path, int want)
{
	struct mc_resp r;

	mc_http(m->mport, method, path, NULL, &r, 3000);
	is_int(r.status, want, "%s %s: %d", method, path, want);
	mc_resp_free(&r);
}

static int
http(struct mc *m)
{
	struct mc_resp r;

	status(m, "GET", "/healthz", 200);
	status(m, "GET", "/readyz", 200);
	status(m, "HEAD", "/metrics", 200);
	status(m, "GET", "/", 404);
	status(m, "GET", "/metrics/", 404);
	status(m, "GET", "/metrics/../metrics", 404);
	status(m, "GET", "/../metrics", 404);
	status(m, "GET", "/%6detrics", 404);
	status(m, "POST", "/metrics", 405);
	status(m, "PUT", "/healthz", 405);
	status(m, "DELETE", "/readyz", 405);
	status(m, "OPTIONS", "/metrics", 405);
	if (mc_http(m->mport, "GET", "/metrics?x=1", NULL, &r, 3000) == 0) {
		is_int(r.status, 200, "a query string is ignored");
		ok(strncmp(r.ctype, "text/plain; version=0.0.4", 25) == 0,
		    "Content-Type %s", r.ctype);
		ok(strstr(r.body, "# TYPE tern_allocations gauge") != NULL,
		    "the page has the TYPE lines");
	} else
		ok(0, "GET /metrics?x=1 answered");
	mc_resp_free(&r);
	return 0;
}

static int
token(struct mc *m)
{
	struct mc_resp r;
	const char *good = "Authorization: Bearer s3cr3t-t0ken_for-tests";

	mc_http(m->mport, "GET", "/metrics", NULL, &r, 3000);
	is_int(r.status, 401, "no token: 401");
	mc_resp_free(&r);
	mc_http(m->mport, "GET", "/metrics", "Authorization: Bearer wrong",
	    &r, 3000);
	is_int(r.status, 401, "a wrong token: 401");
	mc_resp_free(&r);
	mc_http(m->mport, "GET", "/metrics",
	    "Authorization: Bearer s3cr3t-t0ken_for-test", &r, 3000);
	is_int(r.status, 401, "a prefix of the token: 401");
	mc_resp_free(&r);
	mc_http(m->mport, "GET", "/metrics", good, &r, 3000);
	is_int(r.status, 200, "the token: 200");
	ok(r.body != NULL && strstr(r.body, "tern_build_info") != NULL,
	    "with the page");
	ok(r.body != NULL && strstr(r.body, "s3cr3t") == NULL,
	    "the token is not on the page");
	mc_resp_free(&r);
	status(m, "GET", "/healthz", 200);
	status(m, "GET", "/readyz", 200);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct mc m;
	char extra[1024], tokpath[HARNESS_PATH];
	const char *more = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: test_metrics TERND counts|tls|http|token\n");
		return 2;
	}
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir and a metrics port"))
		goto out;
	if (strcmp(argv[2], "token") == 0) {
		/* ternd reads the file at start-up; a trailing newline is not
		 * part of the token. */
		harness_path(&m.h, "token", tokpath, sizeof(tokpath));
		if (!ok(harness_write_file(tokpath, "s3cr3t-t0ken_for-tests\n")
		    == 0, "token file"))
			goto out;
		snprintf(extra, sizeof(extra), "prometheus-token-file = %s",
		    tokpath);
		more = extra;
	}
	if (strcmp(argv[2], "counts") == 0) {
		snprintf(extra, sizeof(extra), "user-quota = %d", N_ALLOC);
		more = extra;
	}
	m.tls = strcmp(argv[2], "tls") == 0;
	if (!ok(mc_start(&m, more) == 0, "ternd with metrics"))
		goto out;
	if (strcmp(argv[2], "counts") == 0)
		counts(&m);
	else if (m.tls)
		tls(&m);
	else if (strcmp(argv[2], "http") == 0)
		http(&m);
	else
		token(&m);
	is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
out:
	mc_fini(&m);
	return tap_done();
}
