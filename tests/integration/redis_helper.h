/* SPDX-License-Identifier: ISC */
/*
 * redis_helper: a throw-away redis-server for ternctl's integration tests,
 * on a random loopback port, in its own temporary directory, with
 * persistence off (--save "" --appendonly no) and optionally a
 * password (--requirepass). Started and stopped by PID; dies with the test
 * (PR_SET_PDEATHSIG). redis-cli (package redis-tools) reads keys back.
 */
#ifndef TERN_TESTS_REDIS_HELPER_H
#define TERN_TESTS_REDIS_HELPER_H

#include <stdint.h>
#include <sys/types.h>

#define REDIS_HELPER_SERVER	"/usr/bin/redis-server"
#define REDIS_HELPER_CLI	"/usr/bin/redis-cli"
#define REDIS_HELPER_READY_MS	10000

struct redis_helper {
	char dir[256];
	char port_s[8];
	char conn[96];		/* "ip=127.0.0.1 port=N" for --redis */
	char password[64];	/* "" = none */
	uint16_t port;
	pid_t pid;		/* 0 when not running */
};

/* True when redis-server and redis-cli are installed. */
int redis_helper_available(void);
/* Starts redis-server (password may be NULL) and waits for PONG. 0 or -1. */
int redis_helper_start(struct redis_helper *r, const char *password);
/* SIGTERM, wait with a deadline, SIGKILL; removes the directory. */
void redis_helper_stop(struct redis_helper *r);
/*
 * Runs redis-cli against r with the arguments up to NULL; its output in
 * out (as harness_run). Returns the exit code, or -1.
 */
int redis_helper_cli(const struct redis_helper *r, char *out, size_t cap, ...)
    __attribute__((sentinel));
/* A path inside r's directory. */
const char *redis_helper_path(const struct redis_helper *r, const char *name,
    char *out, size_t cap);

#endif
