/* SPDX-License-Identifier: ISC */
/*
 * `ternctl probe` against a running ternd: stun:, turn:?transport=tcp and
 * turns: (with --insecure and with --ca) print the transport, the server,
 * the mapped address (our loopback address and some port) and the RTT,
 * and exit 0; a closed port, or turns: with an untrusted certificate,
 * exit non-zero with a message. --help, --version and an unknown command
 * behave.
 *
 *   test_ternctl_probe TERND TERNCTL
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

static const char *ternctl;

/* Runs a probe; checks exit 0 and "PROTO SERVER mapped=IP:PORT rtt=Nms". */
static void
probe_ok(struct harness *h, const char *proto, const char *url, const char *opt,
    const char *optarg)
{
	const char *argv[] = { ternctl, "probe", "--timeout", "3000", url, NULL, NULL, NULL };
	char out[2048], want[128], mapped[80], srv[80];
	unsigned port = 0;
	double rtt = -1;
	int rc;

	if (opt != NULL) {
		argv[4] = opt;
		argv[5] = optarg;
		argv[optarg ? 6 : 5] = url;
	}
	rc = harness_run(argv, out, sizeof(out), 10000);
	if (!ok(rc == 0, "%s %s: exit 0 (%d)", url, opt ? opt : "", rc))
		diag("output: %s", out);
	addr_str(proto[1] == 'l' ? &h->srv_tls : &h->srv, srv, sizeof(srv));
	snprintf(want, sizeof(want), "%s %s mapped=", proto, srv);
	ok(strncmp(out, want, strlen(want)) == 0, "%s: output starts \"%s\"", url, want);
	snprintf(mapped, sizeof(mapped), "%s:", h->ip);
	ok(strncmp(out + strlen(want), mapped, strlen(mapped)) == 0 &&
	    sscanf(out + strlen(want) + strlen(mapped), "%u rtt=%lfms", &port, &rtt) == 2 &&
	    port > 0 && port < 65536 && rtt >= 0, "%s: mapped=%sPORT rtt=Nms (%s)", url,
	    mapped, out);
}

static void
probe_fail(const char *url, const char *opt, const char *expect)
{
	const char *argv[] = { ternctl, "probe", "--timeout", "2000", url, NULL, NULL };
	char out[2048];
	int rc;

	if (opt != NULL) {
		argv[4] = opt;
		argv[5] = url;
	}
	rc = harness_run(argv, out, sizeof(out), 10000);
	ok(rc > 0, "%s: exits non-zero (%d)", url, rc);
	if (!ok(strstr(out, expect) != NULL, "%s: says \"%s\"", url, expect))
		diag("output: %s", out);
}

static void
check_cli(void)
{
	const char *help[] = { ternctl, "--help", NULL };
	const char *version[] = { ternctl, "--version", NULL };
	const char *unknown[] = { ternctl, "frobnicate", NULL };
	const char *nourl[] = { ternctl, "probe", NULL };
	char out[2048];

	ok(harness_run(help, out, sizeof(out), 5000) == 0 && strstr(out, "probe") != NULL,
	    "--help exits 0 and lists probe");
	ok(harness_run(version, out, sizeof(out), 5000) == 0 &&
	    strncmp(out, "ternctl ", 8) == 0, "--version exits 0 (%s)", out);
	ok(harness_run(unknown, out, sizeof(out), 5000) == 2 &&
	    strstr(out, "unknown command") != NULL, "an unknown command exits 2");
	ok(harness_run(nourl, out, sizeof(out), 5000) == 2 && strstr(out, "usage") != NULL,
	    "probe without a URL exits 2 with usage");
}

int
main(int argc, char *argv[])
{
	struct harness_opts o = { .tls = true };
	char url[128];
	struct harness h;
	uint16_t closed;

	if (argc != 3)
		return 2;
	ternctl = argv[2];
	check_cli();
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	snprintf(url, sizeof(url), "stun:%s:%u", h.ip, h.port);
	probe_ok(&h, "udp", url, NULL, NULL);
	/* localhost may resolve to ::1 first: probe falls back to 127.0.0.1. */
	snprintf(url, sizeof(url), "stun:localhost:%u", h.port);
	probe_ok(&h, "udp", url, NULL, NULL);
	snprintf(url, sizeof(url), "turn:%s:%u?transport=tcp", h.ip, h.port);
	probe_ok(&h, "tcp", url, NULL, NULL);
	snprintf(url, sizeof(url), "turns:%s:%u", h.ip, h.tls_port);
	probe_ok(&h, "tls", url, "--insecure", NULL);
	probe_ok(&h, "tls", url, "--ca", h.cert);
	probe_fail(url, NULL, "certificate verify failed");
	closed = harness_free_port("127.0.0.1");
	snprintf(url, sizeof(url), "stun:127.0.0.1:%u", closed);
	probe_fail(url, NULL, "refused");
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u?transport=tcp", closed);
	probe_fail(url, NULL, "refused");
	probe_fail("stun:127.0.0.1:0", NULL, "port out of range");
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
