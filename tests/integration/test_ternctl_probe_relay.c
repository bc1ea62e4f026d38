/* SPDX-License-Identifier: ISC */
/*
 * `ternctl probe` with credentials proves that a relay relays (RFC 8656
 * §7-§12: two allocations pass a packet relay to relay and back, by Send
 * indication and over a channel):
 *
 *   test_ternctl_probe_relay TERND TERNCTL 4|6|fail|denied|coturn
 *
 *  4, 6   a ternd on 127.0.0.1 (or ::1) with the default peer policy (no
 *         allow-loopback-peers: relay to relay needs nothing): UDP, TCP and
 *         TLS, each with a TURN REST secret and with a long-term user, exit
 *         0 and print the relayed address (on the relay IP of the family,
 *         a port of the relay range), the mapped address and both round
 *         trips; --family picks the other relay family; --json says the
 *         same as one object.
 *  fail   a wrong REST secret and a wrong password exit 4 naming the 401;
 *         a closed port exits 3; bad command lines exit 2; --help says
 *         what the probe proves, that it fits a HEALTHCHECK, and its exit
 *         codes.
 *  denied a ternd that advertises a link-local external-ip (hard-denied by
 *         its peer policy, docs/security.md) refuses the permission: exit
 *         6 naming CreatePermission and the 403; one that advertises an
 *         address where nothing listens (127.0.0.2) does not deliver: exit
 *         6 naming the Send indication.
 *  coturn Debian's turnserver on loopback and random ports with a REST
 *         secret and allow-loopback-peers: the probe succeeds over UDP and
 *         TCP (interop) and a wrong secret exits 4. turnserver is killed by
 *         PID and waited for.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define SECRET		"probe-rest-secret"
#define PASSWORD	"probe-password"
#define TURNSERVER	"/usr/bin/turnserver"
#define COTURN_MIN	63000	/* coturn's relay ports, away from ternd's */
#define COTURN_MAX	63999
#define COTURN_READY_MS	10000

static const char *ternctl;
static char secret_file[HARNESS_PATH], wrong_file[HARNESS_PATH],
    password_file[HARNESS_PATH];

static const char conf[] = HARNESS_TURN_CONF
    "static-auth-secret = " SECRET "\n"
    "user = alice:" PASSWORD "\n"
    "relay-ip = 127.0.0.1\n"
    "relay-ip = ::1\n";

/* One probe; its exit status, its output in out. opts: NULL-terminated. */
static int
probe(const char *url, const char *const *opts, char *out, size_t cap)
{
	const char *argv[16] = { ternctl, "probe", "--timeout", "4000" };
	size_t n = 4;

	while (opts != NULL && *opts != NULL && n < 14)
		argv[n++] = *opts++;
	argv[n++] = url;
	argv[n] = NULL;
	return harness_run(argv, out, cap, 15000);
}

/*
 * A probe that must succeed and print "PROTO SERVER relayed=IP:PORT
 * mapped=IP:PORT send=Nms channel=Nms", relayed on relay_ip with a port
 * in lo..hi.
 */
static void
probe_ok(const char *what, const char *url, const char *const *opts,
    const char *proto, const char *relay_ip, unsigned lo, unsigned hi)
{
	char out[2048], want[96], relayed[80], mapped[80];
	double s = -1, c = -1;
	const char *p;
	unsigned port = 0;
	int rc = probe(url, opts, out, sizeof(out));

	if (!ok(rc == 0, "%s: exit 0 (%d)", what, rc))
		diag("output: %s", out);
	snprintf(want, sizeof(want), "%s ", proto);
	p = strstr(out, " relayed=");
	if (!ok(strncmp(out, want, strlen(want)) == 0 && p != NULL &&
	    sscanf(p, " relayed=%79s mapped=%79s send=%lfms channel=%lfms",
	    relayed, mapped, &s, &c) == 4 && s >= 0 && c >= 0,
	    "%s: prints the relayed and mapped addresses and two round trips",
	    what)) {
		diag("output: %s", out);
		return;
	}
	diag("%s", out);
	snprintf(want, sizeof(want), "%s%s%s:", relay_ip[0] == ':' ? "[" : "",
	    relay_ip, relay_ip[0] == ':' ? "]" : "");
	ok(strncmp(relayed, want, strlen(want)) == 0 &&
	    sscanf(relayed + strlen(want), "%u", &port) == 1 &&
	    port >= lo && port <= hi,
	    "%s: relayed on %s in the relay port range (%s)", what, relay_ip,
	    relayed);
}

/* Probes url with a REST secret and with a long-term user. */
static void
probe_both(const char *url, const char *proto, const char *relay_ip,
    const char *extra1, const char *extra2)
{
	const char *rest[] = { "--secret-file", secret_file, extra1, extra2,
	    NULL };
	const char *lt[] = { "--user", "alice", "--password-file",
	    password_file, extra1, extra2, NULL };
	char what[192];

	snprintf(what, sizeof(what), "REST %s %s", url, extra1 ? extra1 : "");
	probe_ok(what, url, rest, proto, relay_ip, HARNESS_RELAY_MIN,
	    HARNESS_RELAY_MAX);
	snprintf(what, sizeof(what), "long-term %s %s", url, extra1 ? extra1 : "");
	probe_ok(what, url, lt, proto, relay_ip, HARNESS_RELAY_MIN,
	    HARNESS_RELAY_MAX);
}

/* A failing probe: its exit status and words in its message. */
static void
probe_fails(const char *url, const char *const *opts, int want_rc,
    const char *w1, const char *w2)
{
	char out[2048];
	int rc = probe(url, opts, out, sizeof(out));

	is_int(rc, want_rc, "%s: exit %d", url, want_rc);
	if (!ok(strstr(out, w1) != NULL && (w2 == NULL || strstr(out, w2) != NULL),
	    "%s: says \"%s\"%s%s", url, w1, w2 ? " and " : "", w2 ? w2 : ""))
		diag("output: %s", out);
}

static int
write_secrets(struct harness *h)
{
	return harness_write_file(harness_path(h, "secret", secret_file,
	    sizeof(secret_file)), SECRET "\n") == -1 ||
	    harness_write_file(harness_path(h, "wrong", wrong_file,
	    sizeof(wrong_file)), "not-the-secret\n") == -1 ||
	    harness_write_file(harness_path(h, "password", password_file,
	    sizeof(password_file)), PASSWORD "\n") == -1 ? -1 : 0;
}

/* Starts ternd in h (harness_init() done: crypto_shutdown() in
 * harness_fini() is final, so every harness is made before any ends). */
static int
start(struct harness *h, const char *ip, const char *extra)
{
	struct harness_opts o = { .ip = ip, .tls = true, .extra = extra };

	if (!ok(write_secrets(h) == 0, "secret files"))
		return -1;
	if (!ok(harness_start(h, &o) == 0, "ternd started on %s", ip)) {
		harness_dump_log(h);
		return -1;
	}
	return 0;
}

/* Over UDP, TCP and TLS on ip; --family picks the other relay family. */
static void
run_family(const char *ternd, const char *ip, const char *other)
{
	const char *json[] = { "--json", "--secret-file", secret_file, NULL };
	char url[128], out[2048];
	bool v6 = ip[0] == ':';
	struct harness h;

	if (!ok(harness_init(&h, ternd) == 0, "temp dir") ||
	    start(&h, ip, conf) == -1)
		goto out;
	snprintf(url, sizeof(url), "turn:%s%s%s:%u", v6 ? "[" : "", ip,
	    v6 ? "]" : "", h.port);
	probe_both(url, "udp", ip, NULL, NULL);
	probe_both(url, "udp", other, "--family", v6 ? "4" : "6");
	if (!ok(probe(url, json, out, sizeof(out)) == 0 && out[0] == '{' &&
	    strchr(out, '\n') == NULL &&
	    strstr(out, "\"ok\":true,\"exit\":0") != NULL &&
	    strstr(out, "\"relayed\":\"") != NULL &&
	    strstr(out, "\"mapped\":\"") != NULL &&
	    strstr(out, "\"send_rtt_ms\":") != NULL &&
	    strstr(out, "\"channel_rtt_ms\":") != NULL, "--json: one object "
	    "with ok, exit, relayed, mapped and both round trips"))
		diag("output: %s", out);
	snprintf(url, sizeof(url), "turn:%s%s%s:%u?transport=tcp", v6 ? "[" : "",
	    ip, v6 ? "]" : "", h.port);
	probe_both(url, "tcp", ip, NULL, NULL);
	snprintf(url, sizeof(url), "turns:%s%s%s:%u", v6 ? "[" : "", ip,
	    v6 ? "]" : "", h.tls_port);
	probe_both(url, "tls", ip, "--ca", h.cert);
	probe_both(url, "tls", ip, "--insecure", NULL);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
}

/* --help says what the probe is for; probe --help lists the options. */
static void
check_help(void)
{
	const char *help[] = { ternctl, "--help", NULL };
	const char *phelp[] = { ternctl, "probe", "--help", NULL };
	char out[8192];

	ok(harness_run(help, out, sizeof(out), 5000) == 0 &&
	    strstr(out, "relay relays") != NULL &&
	    strstr(out, "HEALTHCHECK") != NULL &&
	    strstr(out, "6 relay did not deliver") != NULL,
	    "--help: the probe proves relaying, fits a HEALTHCHECK, exit codes");
	ok(harness_run(phelp, out, sizeof(out), 5000) == 0 &&
	    strstr(out, "--secret-file") != NULL &&
	    strstr(out, "--password-file") != NULL &&
	    strstr(out, "--family 4|6") != NULL && strstr(out, "--json") != NULL,
	    "probe --help: the credential, --family and --json options");
}

static void
run_fail(const char *ternd)
{
	const char *wrong[] = { "--secret-file", wrong_file, NULL };
	const char *badpw[] = { "--user", "alice", "--password-file", wrong_file,
	    NULL };
	const char *rest[] = { "--secret-file", secret_file, NULL };
	const char *nofile[] = { "--user", "alice", NULL };
	const char *fam[] = { "--family", "5", "--secret-file", secret_file, NULL };
	const char *famonly[] = { "--family", "6", NULL };
	char url[128];
	struct harness h;

	check_help();
	if (!ok(harness_init(&h, ternd) == 0, "temp dir") ||
	    start(&h, "127.0.0.1", conf) == -1)
		goto out;
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u", h.port);
	probe_fails(url, wrong, 4, "authentication refused", "401");
	probe_fails(url, badpw, 4, "authentication refused", "401");
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u?transport=tcp",
	    harness_free_port("127.0.0.1"));
	probe_fails(url, rest, 3, "cannot connect", "refused");
	snprintf(url, sizeof(url), "stun:127.0.0.1:%u", h.port);
	probe_fails(url, rest, 2, "needs a turn: or turns: URL", NULL);
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u", h.port);
	probe_fails(url, nofile, 2, "--user needs", NULL);
	probe_fails(url, fam, 2, "--family: want 4 or 6", NULL);
	probe_fails(url, famonly, 2, "--family needs credentials", NULL);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
}

/* A ternd advertising external as its relayed address. */
static void
run_denied_one(struct harness *h, const char *external, const char *w1,
    const char *w2)
{
	const char *rest[] = { "--timeout", "2000", "--secret-file", secret_file,
	    NULL };
	const char *json[] = { "--timeout", "2000", "--json", "--secret-file",
	    secret_file, NULL };
	char extra[512], url[128], out[2048];

	snprintf(extra, sizeof(extra), "%sexternal-ip = %s/127.0.0.1\n", conf,
	    external);
	if (start(h, "127.0.0.1", extra) == -1)
		return;
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u", h->port);
	probe_fails(url, rest, 6, w1, w2);
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u?transport=tcp", h->port);
	probe_fails(url, rest, 6, w1, w2);
	if (!ok(probe(url, json, out, sizeof(out)) == 6 &&
	    strstr(out, "\"ok\":false,\"exit\":6,\"outcome\":\"relay did "
	    "not deliver\"") != NULL && strstr(out, w1) != NULL,
	    "--json names the outcome and the step"))
		diag("output: %s", out);
	is_int(harness_stop(h), 0, "SIGTERM: ternd exits 0");
}

static void
run_denied(const char *ternd)
{
	struct harness h1, h2;

	if (ok(harness_init(&h1, ternd) == 0 && harness_init(&h2, ternd) == 0,
	    "temp dirs")) {
		/* 169.254.0.0/16 is hard-denied (docs/security.md):
		 * CreatePermission for the relayed address gets 403 Forbidden
		 * (RFC 8656 §10.2). */
		run_denied_one(&h1, "169.254.0.7", "CreatePermission",
		    "403 Forbidden");
		/* Nothing listens on 127.0.0.2: the relay sends, nobody
		 * receives. */
		run_denied_one(&h2, "127.0.0.2", "Send", "was not delivered");
	}
	harness_fini(&h1);
	harness_fini(&h2);
}

/* ---- coturn ---- */

static pid_t
coturn_spawn(const char *conffile, const char *log)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the test */
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl(TURNSERVER, TURNSERVER, "-c", conffile, (char *)NULL);
	_exit(127);
}

/* turnserver answers a Binding over UDP and accepts TCP by the deadline. */
static bool
coturn_ready(pid_t pid, uint16_t port)
{
	int64_t deadline = client_now_ms() + COTURN_READY_MS;
	struct client_binding res;
	struct client *c;
	struct addr a;
	char err[128];

	if (addr_parse_ip(&a, "127.0.0.1", port) == -1)
		return false;
	while (client_now_ms() < deadline && harness_wait(pid, 0) == -2) {
		if (client_open(&c, CLIENT_UDP, &a, NULL, NULL, 200, err,
		    sizeof(err)) == 0 && client_binding(c, 200, &res) == 0) {
			client_free(c);
			if (client_open(&c, CLIENT_TCP, &a, NULL, NULL, 200, err,
			    sizeof(err)) == 0) {
				client_free(c);
				return true;
			}
		} else {
			client_free(c);
		}
	}
	return false;
}

static void
coturn_stop(pid_t pid)
{
	(void)kill(pid, SIGTERM);
	if (harness_wait(pid, 5000) == -2) {
		(void)kill(pid, SIGKILL);
		(void)harness_wait(pid, 5000);
	}
}

static void
run_coturn(const char *ternd)
{
	const char *rest[] = { "--secret-file", secret_file, NULL };
	const char *wrong[] = { "--secret-file", wrong_file, NULL };
	char cf[HARNESS_PATH], log[HARNESS_PATH], text[2048], url[128];
	char db[HARNESS_PATH], pidf[HARNESS_PATH];
	struct harness h;
	uint16_t port;
	pid_t pid = 0;

	if (!ok(access(TURNSERVER, X_OK) == 0, "%s is installed (coturn)",
	    TURNSERVER) ||
	    !ok(harness_init(&h, ternd) == 0 && write_secrets(&h) == 0,
	    "temp dir and secret files"))
		return;
	port = harness_free_port("127.0.0.1");
	harness_path(&h, "turnserver.conf", cf, sizeof(cf));
	harness_path(&h, "turnserver.log", log, sizeof(log));
	snprintf(text, sizeof(text),
	    "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port=%u\n"
	    "min-port=%u\nmax-port=%u\nrealm=coturn.test\nuse-auth-secret\n"
	    "static-auth-secret=" SECRET "\nallow-loopback-peers\nno-cli\n"
	    "no-tls\nno-dtls\nno-rfc5780\nfingerprint\nno-stdout-log\n"
	    "simple-log\nlog-file=%s\nuserdb=%s\npidfile=%s\n", port,
	    COTURN_MIN, COTURN_MAX, log,
	    harness_path(&h, "turndb", db, sizeof(db)),
	    harness_path(&h, "turnserver.pid", pidf, sizeof(pidf)));
	if (!ok(port != 0 && harness_write_file(cf, text) == 0,
	    "turnserver.conf written") ||
	    !ok((pid = coturn_spawn(cf, log)) > 0, "turnserver spawned") ||
	    !ok(coturn_ready(pid, port), "turnserver answers on 127.0.0.1:%u",
	    port))
		goto out;
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u", port);
	probe_ok("coturn over UDP", url, rest, "udp", "127.0.0.1", COTURN_MIN,
	    COTURN_MAX);
	probe_fails(url, wrong, 4, "authentication refused", "401");
	snprintf(url, sizeof(url), "turn:127.0.0.1:%u?transport=tcp", port);
	probe_ok("coturn over TCP", url, rest, "tcp", "127.0.0.1", COTURN_MIN,
	    COTURN_MAX);
out:
	if (pid > 0)
		coturn_stop(pid);
	harness_fini(&h);
}

int
main(int argc, char *argv[])
{
	if (argc != 4)
		return 2;
	ternctl = argv[2];
	if (strcmp(argv[3], "4") == 0)
		run_family(argv[1], "127.0.0.1", "::1");
	else if (strcmp(argv[3], "6") == 0)
		run_family(argv[1], "::1", "127.0.0.1");
	else if (strcmp(argv[3], "fail") == 0)
		run_fail(argv[1]);
	else if (strcmp(argv[3], "denied") == 0)
		run_denied(argv[1]);
	else if (strcmp(argv[3], "coturn") == 0)
		run_coturn(argv[1]);
	else
		return 2;
	return tap_done();
}
