/* SPDX-License-Identifier: ISC */
/*
 * redis_common: what the test_redis_* integration tests share: a
 * redis-server and a ternd that reads it, REST allocations with a
 * deadline, a relay round trip through an echo peer.
 */
#ifndef TERN_TESTS_REDIS_COMMON_H
#define TERN_TESTS_REDIS_COMMON_H

#include "harness.h"

#define RT_REALM	"tern.test"
#define RT_WAIT_MS	2000

/* The transport rt_*_alloc use (CLIENT_UDP unless a test changes it). */
extern enum client_transport rt_transport;

struct rt {
	struct harness h;
	struct harness_redis r;
	bool h_ready;
};

/* Temp dir and redis-server (the harness's dir). 0 or -1. */
int rt_init(struct rt *t, const char *ternd);
/* ternd with HARNESS_TURN_CONF, allow-loopback-peers, redis-userdb and
 * extra (may be NULL). 0 or -1. */
int rt_start_ternd(struct rt *t, struct harness *h, const char *extra);
void rt_fini(struct rt *t);

/* Allocate over rt_transport with a REST credential of secret for id, keeping the
 * client open on success (*c, *turn). The server's answer (0, 401, ...)
 * or a client error. */
int rt_rest_alloc(struct harness *h, const char *secret, const char *id,
    struct client **c, struct client_turn *turn);
/* Allocates (and closes again) until the answer is want, for at most
 * ms. The elapsed milliseconds, or -1 at the deadline. */
long rt_rest_until(struct harness *h, const char *secret, const char *id,
    int want, int ms);
/* Long-term credential allocation; same contract as rt_rest_alloc. */
int rt_user_alloc(struct harness *h, const char *user, const char *pass,
    struct client **c, struct client_turn *turn);
/* Permission for p, then one Send and its echo. The round trip in ms,
 * or -1. */
long rt_echo(struct client_turn *turn, struct harness_peer *p, bool permit,
    int timeout_ms);
/* hex MD5(user:realm:pass) into out[33]. */
void rt_md5_hex(const char *user, size_t ulen, const char *pass,
    char out[33]);

#endif
