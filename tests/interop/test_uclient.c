/* SPDX-License-Identifier: ISC */
/*
 * Interop: Debian coturn's turnutils_uclient (used only as a client) relays
 * UDP through ternd to turnutils_peer, an echo peer on 127.0.0.1. For each
 * client transport (UDP, TCP, TLS) and each way of sending (channels, the
 * default; Send indications, -s), with long-term credentials (user =
 * alice:secret; -u/-w) and with TURN REST credentials (static-auth-secret;
 * -W), a short bounded run (-n 10 -m 2 -l 170) must end with every message
 * echoed back: exit 0, "tot_send_msgs=20, tot_recv_msgs=20", "Total lost
 * packets 0", "total send dropped 0". A wrong password and a wrong REST
 * secret must make the allocation fail (non-zero exit, nothing received).
 *
 * ternd runs twice, once per credential kind (harness.c, random ports,
 * allow-loopback-peers since the peer is on 127.0.0.1, rfc5766-channels
 * since uclient numbers channels up to 0x7FFF), and must exit 0 on
 * SIGTERM after each. Skipped only when the coturn clients are missing.
 *
 * Usage: test_uclient TERND
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "util/crypto.h"

#define UCLIENT		"/usr/bin/turnutils_uclient"
#define PEER		"/usr/bin/turnutils_peer"
#define LOOPBACK	"127.0.0.1"
#define N_MSGS		10	/* -n: messages per client */
#define N_CLIENTS	2	/* -m: clients */
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define MSG_LEN		"170"	/* -l: bytes per message */
#define RUN_MS		60000	/* one uclient run */
/* A wrong credential: uclient retries until it is stopped, and past
 * auth-failure-limit ternd stops answering it (docs/security.md,
 * Credential brute force); 10 s is plenty to see nothing relayed. */
#define REJECT_MS	10000
#define PEER_READY_MS	5000
#define USER		"alice"
#define PASSWORD	"secret"
#define REST_SECRET	"tern-interop-rest-secret"
#define REST_USER	"bob"

static char out[256 * 1024];	/* uclient's output; the statistics come last */

enum cred { CRED_LT, CRED_REST };
enum xport { X_UDP, X_TCP, X_TLS };
static const char *const xport_name[] = { "UDP", "TCP", "TLS" };

/* Starts turnutils_peer on LOOPBACK:port, its output to /dev/null. */
static pid_t
peer_spawn(uint16_t port)
{
	char p[8];
	pid_t pid;
	int nul;

	snprintf(p, sizeof(p), "%u", port);
	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the test */
	if ((nul = open("/dev/null", O_RDWR)) != -1) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
	}
	execl(PEER, PEER, "-L", LOOPBACK, "-p", p, (char *)NULL);
	_exit(127);
}

/* "... KEY<number>" at the last occurrence of key; -1 when absent. */
static long
stat_after(const char *text, const char *key)
{
	const char *p = NULL, *q = text;

	while ((q = strstr(q, key)) != NULL)
		p = q++;
	return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void
dump_output(void)
{
	char *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(out, "\n", &save); line != NULL && n < 60;
	    line = strtok_r(NULL, "\n", &save), n++)
		printf("#   uclient: %s\n", line);
}

/* Builds the uclient command line for one case into argv (NULL-terminated). */
static void
uclient_argv(const char **argv, struct harness *h, uint16_t peer, enum xport x,
    bool send_ind, enum cred c, bool wrong, char *pbuf, char *sbuf)
{
	int n = 0;

	snprintf(pbuf, 8, "%u", x == X_TLS ? h->tls_port : h->port);
	snprintf(sbuf, 8, "%u", peer);
	argv[n++] = UCLIENT;
	argv[n++] = "-L"; argv[n++] = LOOPBACK;
	argv[n++] = "-e"; argv[n++] = LOOPBACK;
	argv[n++] = "-r"; argv[n++] = sbuf;
	argv[n++] = "-p"; argv[n++] = pbuf;
	argv[n++] = "-n"; argv[n++] = STR(N_MSGS);
	argv[n++] = "-m"; argv[n++] = STR(N_CLIENTS);
	argv[n++] = "-l"; argv[n++] = MSG_LEN;
	if (x != X_UDP)
		argv[n++] = "-t";
	if (x == X_TLS) {
		argv[n++] = "-S";	/* with -t: TLS */
		argv[n++] = "-E"; argv[n++] = h->cert;	/* and verify the chain */
	}
	if (send_ind)
		argv[n++] = "-s";
	if (c == CRED_LT) {
		argv[n++] = "-u"; argv[n++] = USER;
		argv[n++] = "-w"; argv[n++] = wrong ? "not-" PASSWORD : PASSWORD;
	} else {
		argv[n++] = "-W"; argv[n++] = wrong ? "not-" REST_SECRET : REST_SECRET;
		argv[n++] = "-u"; argv[n++] = REST_USER;
	}
	argv[n++] = LOOPBACK;
	argv[n] = NULL;
}

/* One bounded run that must relay every message both ways. One TAP line. */
static void
relay_case(struct harness *h, uint16_t peer, enum xport x, bool send_ind, enum cred c)
{
	const char *argv[40];
	char pbuf[8], sbuf[8];
	long sent, recvd, lost, dropped;
	int rc;
	bool good;

	uclient_argv(argv, h, peer, x, send_ind, c, false, pbuf, sbuf);
	rc = harness_run(argv, out, sizeof(out), RUN_MS);
	/* The summary line, without the per-round "msz=" prefix. */
	sent = stat_after(out, "start_mclient: tot_send_msgs=");
	recvd = stat_after(out, ", tot_recv_msgs=");
	lost = stat_after(out, "Total lost packets ");
	dropped = stat_after(out, "total send dropped ");
	good = rc == 0 && sent == N_MSGS * N_CLIENTS && recvd == sent && lost == 0 &&
	    dropped == 0 && strstr(out, "ERROR") == NULL;
	if (!ok(good, "%s, %s, %s: %ld sent, %ld received, %ld lost, %ld dropped",
	    xport_name[x], send_ind ? "Send indications" : "channels",
	    c == CRED_LT ? "long-term credential" : "REST credential",
	    sent, recvd, lost, dropped)) {
		diag("exit %d; want exit 0, %d sent and received, 0 lost, 0 dropped, no ERROR",
		    rc, N_MSGS * N_CLIENTS);
		dump_output();
		harness_dump_log(h);
	}
}

/* A wrong credential: the allocation fails and nothing is relayed. */
static void
reject_case(struct harness *h, uint16_t peer, enum cred c)
{
	const char *argv[40];
	char pbuf[8], sbuf[8];
	long recvd;
	int rc;

	uclient_argv(argv, h, peer, X_UDP, false, c, true, pbuf, sbuf);
	rc = harness_run(argv, out, sizeof(out), REJECT_MS);
	recvd = stat_after(out, ", tot_recv_msgs=");
	if (!ok(rc != 0 && recvd <= 0, "UDP, wrong %s: allocation refused (exit %d)",
	    c == CRED_LT ? "password" : "REST secret", rc)) {
		diag("want a non-zero exit and nothing received (got %ld)", recvd);
		dump_output();
	}
}

/* One ternd with one kind of credential, and every case against it. */
static void
server_round(struct harness *h, enum cred c, uint16_t peer)
{
	struct harness_opts o = { .tls = true };
	char extra[512];
	uint16_t lo = 0;
	int x;

	(void)crypto_random(&lo, sizeof(lo));
	lo = (uint16_t)(20000 + lo % 11800);
	snprintf(extra, sizeof(extra),
	    "realm = tern\n"
	    "%s\n"
	    "allow-loopback-peers\n"
	    /* coturn 4.6's uclient picks channel numbers up to 0x7FFF,
	     * the RFC 5766 range (RFC 8656 §12 narrowed it) */
	    "rfc5766-channels\n"
	    "relay-ip = " LOOPBACK "\n"
	    "min-port = %u\n"
	    "max-port = %u",
	    c == CRED_LT ? "user = " USER ":" PASSWORD : "static-auth-secret = " REST_SECRET,
	    lo, lo + 199);
	o.extra = extra;
	if (!ok(harness_start(h, &o) == 0, "ternd started with %s",
	    c == CRED_LT ? "user = " USER ":..." : "static-auth-secret"))
		return;
	for (x = X_UDP; x <= X_TLS; x++) {
		relay_case(h, peer, (enum xport)x, false, c);
		relay_case(h, peer, (enum xport)x, true, c);
	}
	reject_case(h, peer, c);
	is_int(harness_stop(h), 0, "SIGTERM: ternd exits 0");
}

int
main(int argc, char *argv[])
{
	struct harness lt, rest;	/* one ternd per kind of credential */
	uint16_t peer;
	pid_t ppid = 0;
	bool lt_ok, rest_ok;

	if (argc != 2)
		return 2;
	if (access(UCLIENT, X_OK) == -1 || access(PEER, X_OK) == -1) {
		printf("1..0 # SKIP %s or %s is not installed (package coturn)\n",
		    UCLIENT, PEER);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Both before any harness_fini(): crypto_shutdown() there is final. */
	lt_ok = ok(harness_init(&lt, argv[1]) == 0, "temp dir (long-term credentials)");
	rest_ok = ok(harness_init(&rest, argv[1]) == 0, "temp dir (REST credentials)");
	if (!lt_ok || !rest_ok ||
	    !ok((peer = harness_free_port(LOOPBACK)) != 0, "a free port for the peer"))
		goto out;
	ppid = peer_spawn(peer);
	if (!ok(ppid > 0 && harness_echo_ready(ppid, LOOPBACK, peer, PEER_READY_MS),
	    "turnutils_peer (pid %d) echoes on " LOOPBACK ":%u", (int)ppid, peer))
		goto out;
	server_round(&lt, CRED_LT, peer);
	server_round(&rest, CRED_REST, peer);
out:
	if (ppid > 0) {
		kill(ppid, SIGTERM);
		if (harness_wait(ppid, 5000) == -2) {
			kill(ppid, SIGKILL);
			(void)harness_wait(ppid, 5000);
		}
	}
	if (lt_ok)
		harness_fini(&lt);
	if (rest_ok)
		harness_fini(&rest);
	return tap_done();
}
