/* SPDX-License-Identifier: ISC */
/*
 * soak: what soak.c shares with soak_proc.c, the legitimate traffic's
 * processes (tests/soak/README.md): coturn's turnutils_peer (an echo peer)
 * and turnutils_uclient (used only as clients, as in
 * tests/interop/test_uclient.c), and node running soak_chromium.mjs; and
 * with soak_sys.c, what the soak reads of the system.
 * Every process is a child of the test's main thread (PR_SET_PDEATHSIG
 * ends it with the test), waited for and, if need be, killed by its PID.
 */
#ifndef TERN_TESTS_SOAK_H
#define TERN_TESTS_SOAK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define SOAK_UCLIENT	"/usr/bin/turnutils_uclient"
#define SOAK_PEER	"/usr/bin/turnutils_peer"
#define SOAK_CHROMIUM	"/usr/bin/chromium"
#define SOAK_LOOPBACK	"127.0.0.1"

/* One turnutils_uclient run relaying through ternd to the peer. */
struct soak_uclient {
	bool tcp;		/* -t: TCP to ternd; else UDP */
	long msgs;		/* -n: per client */
	long clients;		/* -m */
	pid_t pid;
	char out[HARNESS_PATH];	/* its stdout and stderr */
	int rc;			/* exit code, -1 signal or killed */
	long sent, recvd, lost;	/* from its closing statistics; -1 absent */
};

/* The browser: node soak_chromium.mjs. */
struct soak_chrome {
	pid_t pid;
	char out[HARNESS_PATH];
	int rc;
	long calls, failed, expected, received, udp, tcp, tls;	/* -1 absent */
	long long relay_sent, relay_received;	/* bytes, both sides */
	long no_relay;		/* calls without a relayed path */
};

/* Starts argv[0] with stdin from /dev/null and stdout and stderr into the
 * file out; it gets deathsig when the test dies. The PID, or -1. */
pid_t soak_spawn(const char *const argv[], const char *out, int deathsig);
/* SIGTERM, a deadline, then SIGKILL; waits. Safe with pid <= 0. */
void soak_kill(pid_t pid);
/* Reads a whole (small) file into buf, NUL-terminated. Its length, or -1. */
long soak_read_file(const char *path, char *buf, size_t cap);
/* Prints the last `lines` lines of a file as TAP comments, prefixed. */
void soak_dump_tail(const char *path, const char *prefix, int lines);

/* turnutils_peer on 127.0.0.1:port, echoing: its PID once it echoes, or
 * -1. */
pid_t soak_peer_start(uint16_t port);

/* Starts uclient with a REST credential (-W secret -u user). 0 or -1. */
int soak_uclient_start(struct soak_uclient *u, const struct harness *h,
    uint16_t peer, const char *secret, const char *user);
/* Waits until deadline_ms (client_now_ms()), kills it past that, parses
 * its statistics. */
void soak_uclient_finish(struct soak_uclient *u, int64_t deadline_ms);

/* Starts node soak_chromium.mjs against ternd for run_ms of calls. */
int soak_chrome_start(struct soak_chrome *c, const struct harness *h,
    const char *node, const char *script, const char *secret, long run_ms);
void soak_chrome_finish(struct soak_chrome *c, int64_t deadline_ms);

/* GET path from 127.0.0.1:port over HTTP/1.0 into buf (the body after
 * the headers). Its length, or -1. */
long soak_http_get(uint16_t port, const char *path, char *buf, size_t cap,
    int timeout_ms);

/* soak_sys.c */
/* ip(8), or NULL. */
/* lo up; the flooders' source prefixes (soak_flood.h) local routes on lo.
 * 0 or -1 (the failing command is printed). */
int soak_netns_setup(const char *ip);
/* Datagrams the namespace's UDP sockets dropped on a full receive buffer
 * (RcvbufErrors of /proc/net/snmp and snmp6). */
unsigned long long soak_rcvbuf_drops(void);
/* Packets the CPUs dropped on a full input backlog (the whole machine's,
 * /proc/net/softnet_stat). */
unsigned long long soak_softnet_dropped(void);
/* Prints the namespace's UDP counters and the backlog drops since
 * softnet0 as TAP comments. */
void soak_report_kernel(unsigned long long softnet0);
/* utime + stime of a process in seconds, or -1. */
double soak_cpu_seconds(pid_t pid);
/* Prints ternd's non-zero counters that tell what the flood did. */
void soak_report_metrics(uint16_t port);
/* Whether a sanitizer report is anywhere in the file. */
bool soak_sanitizer_report(const char *path);

#endif
