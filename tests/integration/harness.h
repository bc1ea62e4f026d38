/* SPDX-License-Identifier: ISC */
/*
 * harness: runs a real ternd on loopback for one integration test.
 *
 * harness_start() makes a temporary directory, picks free random ports
 * (UDP+TCP for listening-port, TCP for tls-listening-port), writes a config
 * (plus a self-signed certificate when TLS is wanted), spawns ternd with
 * its stderr captured in the directory, and waits until a Binding over UDP
 * is answered (polling with a deadline). If ternd exits at start (a port
 * was taken after all), it retries with other ports.
 *
 * The config holds max-connections = HARNESS_MAX_CONNECTIONS before the
 * test's own lines (a later line wins): ternd refuses to start when
 * RLIMIT_NOFILE cannot hold max-connections plus its relay sockets
 * (src/net/net_rlimit.c), and a test machine's hard limit may be lower
 * than the defaults need (10,000 connections and 16,000 relays).
 *
 * harness_stop() sends SIGTERM and waits with a deadline for the exit
 * status (a leak under ASan makes it non-zero, on purpose); it falls back
 * to SIGKILL. harness_fini() kills what is left and removes the directory.
 * Every child process this harness starts is waited for by PID.
 */
#ifndef TERN_TESTS_HARNESS_H
#define TERN_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "client/client.h"

#define HARNESS_PATH	512
#define HARNESS_READY_MS	10000	/* ternd must answer within this */
#define HARNESS_STOP_MS		10000	/* and exit within this after SIGTERM */

#define HARNESS_MAX_CONNECTIONS	1000

struct harness_opts {
	const char *ip;		/* listening-ip; NULL = 127.0.0.1 */
	bool tls;		/* make a certificate and listen on TLS */
	const char *extra;	/* more config lines, or NULL */
	/* a config file's text written before the harness's own lines
	 * (which override it), so that its line numbers stay; or NULL */
	const char *head;
	/* RLIMIT_NOFILE set in ternd's process before exec (soft, hard);
	 * 0, 0 = inherited from the test */
	unsigned long nofile_soft, nofile_hard;
};

struct harness {
	const char *ternd;	/* path to the binary (argv[1] of the test) */
	char dir[HARNESS_PATH];
	char conf[HARNESS_PATH];
	char cert[HARNESS_PATH];
	char pkey[HARNESS_PATH];
	char errlog[HARNESS_PATH];
	char pidfile[HARNESS_PATH];
	char ip[64];
	uint16_t port;		/* UDP and TCP */
	uint16_t tls_port;
	struct addr srv;	/* ip:port */
	struct addr srv_tls;	/* ip:tls_port */
	pid_t pid;		/* 0 when not running */
	bool tls;
	unsigned long nofile_soft, nofile_hard;	/* harness_opts' */
};

/* Makes the temporary directory. 0 or -1. */
int harness_init(struct harness *h, const char *ternd);
/* Writes the config, spawns ternd and waits for it to answer. 0 or -1. */
int harness_start(struct harness *h, const struct harness_opts *o);
/* SIGTERM, wait; returns the exit code (0..255) or -1 (signal/timeout). */
int harness_stop(struct harness *h);
/* Kills a ternd still running, removes the directory. */
void harness_fini(struct harness *h);
/* Prints ternd's captured stderr as TAP comments. */
void harness_dump_log(const struct harness *h);

/* Opens a client to the running ternd (TLS verified against h->cert). */
int harness_client(struct harness *h, enum client_transport t, struct client **c);

/* A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1. */
int harness_make_cert(const char *cert, const char *key);
int harness_write_file(const char *path, const char *text);
/* A path inside the test's directory. */
const char *harness_path(const struct harness *h, const char *name, char *out, size_t cap);

/*
 * Runs argv (argv[0] is a path) with stdout and stderr captured into out
 * (NUL-terminated, truncated to cap, trailing newlines removed), waiting
 * at most timeout_ms.
 * Returns the exit code, or -1 if it died by a signal or was killed at the
 * deadline.
 */
int harness_run(const char *const argv[], char *out, size_t cap, int timeout_ms);
/* Waits for pid with a deadline: exit code, -1 (signal), -2 (still running). */
int harness_wait(pid_t pid, int timeout_ms);
/* The code of a decoded answer: 0 for a success, its ERROR-CODE, or -1. */
int harness_answer_code(const struct stun_msg *m);
/* Whether the UDP echo server pid (turnutils_peer, say) answers a datagram
 * on ip:port within timeout_ms while it runs. */
bool harness_echo_ready(pid_t pid, const char *ip, uint16_t port, int timeout_ms);
/* VmRSS of a process in KiB, or -1. */
long harness_rss_kib(pid_t pid);
/* A free random port on ip for UDP and TCP, or 0. */
uint16_t harness_free_port(const char *ip);

/*
 * A UDP peer for TURN tests on a loopback address (never anything else):
 * a thread that counts every datagram, keeps a copy of the last one and
 * its source, and (if echo) sends it back to where it came from. A canary
 * is a peer without echo that must count nothing.
 */
#define HARNESS_PEER_KEEP	2048

struct harness_peer {
	int fd;
	struct addr addr;	/* the bound loopback ip:port */
	bool echo;
	bool running;
	pthread_t th;
	pthread_mutex_t mu;
	atomic_bool stop;
	unsigned count;		/* datagrams received (under mu) */
	uint8_t last[HARNESS_PEER_KEEP];
	size_t last_len;
	struct addr last_from;
};

/* Binds ip (127.0.0.1 or ::1 only) on a kernel-chosen port and starts the
 * thread. 0 or -1. */
int harness_peer_start(struct harness_peer *p, const char *ip, bool echo);
/* ip(8)'s path, or NULL when iproute2 is not installed. */
const char *harness_ip_path(void);
/* Runs ip(8) (path ip) with up to 8 arguments, the unused ones NULL;
 * prints the command and its output when it fails. 0 or -1. */
int harness_ip(const char *ip, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5, const char *a6, const char *a7,
    const char *a8);
/* Joins the thread and closes the socket; safe to call twice, and on a
 * zeroed struct. */
void harness_peer_stop(struct harness_peer *p);
unsigned harness_peer_count(struct harness_peer *p);
/*
 * Waits until more than `seen` datagrams have arrived, then copies the last
 * one (at most cap bytes) and its source. 0, or -1 at the deadline.
 */
int harness_peer_wait(struct harness_peer *p, unsigned seen, uint8_t *buf,
    size_t cap, size_t *len, struct addr *from, int timeout_ms);

/* A TURN REST API credential (README.md): "<expiry>:<id>" and its password
 * base64(HMAC-SHA1(secret, username)). 0 or -1. */
int harness_rest_cred(const char *secret, int64_t expiry, const char *id,
    char *user, size_t ucap, char pass[29]);

/* Opens a client over t and readies a TURN client on it (user, pass).
 * 0 or -1; on -1 nothing is left open. */
int harness_turn_open(struct harness *h, enum client_transport t, const char *user,
    const char *pass, struct client **c, struct client_turn *turn);
/* Clears the TURN client and frees its connection; NULL-safe. */
void harness_turn_close(struct client **c, struct client_turn *turn);
/* Config lines every TURN test uses: a realm and a relay port range
 * (61000-61999) above the kernel's ephemeral ports, so that no test peer
 * shares a port with a relay. */
#define HARNESS_TURN_CONF	"realm = tern.test\nmin-port = 61000\nmax-port = 61999\n"
#define HARNESS_RELAY_MIN	61000
#define HARNESS_RELAY_MAX	61999

/*
 * A real redis-server (harness_redis.c) on 127.0.0.1 and a random port,
 * with persistence off, in dir (the test's directory), killed by PID.
 */
#define HARNESS_REDIS_SERVER	"/usr/bin/redis-server"
#define HARNESS_REDIS_CLI	"/usr/bin/redis-cli"

struct harness_redis {
	char dir[HARNESS_PATH];
	uint16_t port;
	pid_t pid;		/* 0 when not running */
	const char *password;	/* --requirepass (set before start), or NULL */
	char unix_path[108];	/* --unixsocket (set before start), or "" */
};

bool harness_redis_available(void);
/* Starts it (port 0: a free random one) and waits for PONG. 0 or -1. */
int harness_redis_start(struct harness_redis *r, const char *dir,
    uint16_t port);
/* SIGKILL by PID and wait. Safe when not running. */
void harness_redis_kill(struct harness_redis *r);
/* redis-cli with these arguments (NULL-terminated; passed as argv, so any
 * bytes but NUL); its output in out. The exit code, or -1. */
int harness_redis_cmd(const struct harness_redis *r, char *out, size_t cap,
    ...);
int harness_redis_cmdv(const struct harness_redis *r, char *out, size_t cap,
    const char *const args[]);
/* The redis-userdb line for ternd's config (with the password, if any).
 * 0 or -1. */
int harness_redis_conf(const struct harness_redis *r, char *out, size_t cap);

#endif
