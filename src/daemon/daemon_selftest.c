/* SPDX-License-Identifier: ISC */
/*
 * The self-test canary (self-test-interval): every interval ternd relays
 * one packet through itself as a client would, and says how it went in
 * /readyz and in tern_self_test_success, tern_self_test_duration_seconds
 * and tern_self_test_failures_total.
 *
 * A run, on the main thread's loop (never on a worker: the workers serve
 * the run's requests as any other), from two sockets net_probe_open()
 * binds to the address of a UDP listener of the relay's family:
 *   1. allocation A: Allocate, 401 with REALM and NONCE, Allocate with
 *      the credential (RFC 8656 §7.1, RFC 8489 §9.2.3); the answer's
 *      MESSAGE-INTEGRITY is checked;
 *   2. allocation B the same way;
 *   3. CreatePermission on A for B's relayed IP and on B for A's (§9.1);
 *   4. a Send indication from A to B's relayed address with a random
 *      token (§10.1); the run succeeds when B's socket gets the Data
 *      indication (§10.3) from A's relayed address with that token;
 *   5. both allocations are deleted (Refresh with LIFETIME 0, §8.1) and
 *      the sockets closed, whatever the outcome.
 * Two allocations, because the peer policy refuses an allocation's own
 * relayed address (a loop, src/policy/policy.h step 2) while another
 * relayed address of this server on a relay port is allowed whatever the
 * operator's rules (step 4: relay to relay), so the run works with the
 * default policy on any host and on loopback. The relayed address the
 * server announces may be an external-ip; the run sends to the relay IP
 * itself, where the relay socket is bound, so nothing leaves the host.
 *
 * Requests are sent again every DAEMON_ST_RTO_MS; a run that has not
 * succeeded within DAEMON_ST_TIMEOUT_MS fails with the step it stopped
 * at. After DAEMON_ST_FAILS failures in a row /readyz answers 503 with
 * that step, until a run succeeds. No run starts while one is under way
 * or while draining.
 *
 * The credential (docs/security.md, Self-test): a static user that exists
 * only in this process's credential sets (daemon_env.c adds it to every
 * one it builds), with a random name and a random 128-bit password drawn
 * at start-up; the password is never written or logged and is wiped at
 * exit, and never travels; the name does, in clear, on this host only
 * (and session records name it like any user).
 *
 * This file and net_probe.c are ternd's only STUN client; it cannot use
 * src/client/, which is never linked into ternd (ARCHITECTURE.md), so it
 * builds its few messages with src/stun/ and derives its key with
 * src/auth/.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/daemon_int.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#define DAEMON_ST_TIMEOUT_MS	2000	/* a run's deadline */
#define DAEMON_ST_RTO_MS	500	/* requests sent again */
#define DAEMON_ST_TIMER_MS	100	/* the run's clock */
#define DAEMON_ST_FAILS		2	/* failures in a row before /readyz */
#define DAEMON_ST_RETRIES	2	/* 438 answers taken a run */
#define DAEMON_ST_NAME_RAND	8	/* random bytes in the user's name */
#define DAEMON_ST_PASS_RAND	16	/* random bytes in its password */
#define DAEMON_ST_TOKEN		16	/* random bytes relayed */
#define DAEMON_ST_NONCE_MAX	128	/* NONCE < 128 characters (§14.10) */
#define DAEMON_ST_REQ		512	/* one request */
#define DAEMON_ST_USER_PREFIX	"tern-self-test-"

enum daemon_st_step {
	ST_IDLE = 0,
	ST_A_CHALLENGE, ST_A_ALLOC, ST_B_CHALLENGE, ST_B_ALLOC,
	ST_A_PERM, ST_B_PERM, ST_RELAY,
	ST_STEP_COUNT
};

/* Why a run failed, per step: the body of /readyz's 503. */
static const char *const daemon_st_why[ST_STEP_COUNT] = {
	[ST_IDLE] = "self-test: no socket",
	[ST_A_CHALLENGE] = "self-test: Allocate not answered",
	[ST_A_ALLOC] = "self-test: Allocate failed",
	[ST_B_CHALLENGE] = "self-test: Allocate not answered",
	[ST_B_ALLOC] = "self-test: Allocate failed",
	[ST_A_PERM] = "self-test: CreatePermission failed",
	[ST_B_PERM] = "self-test: CreatePermission failed",
	[ST_RELAY] = "self-test: the relayed packet did not arrive",
};

struct daemon_selftest;

/* One client of the run: A (0) or B (1). */
struct daemon_st_leg {
	struct daemon_selftest *st;
	unsigned idx;
	struct net_probe *p;
	bool allocated;
	struct addr relayed;		/* on the relay IP itself */
	uint8_t nonce[DAEMON_ST_NONCE_MAX];
	size_t nlen;
	uint8_t realm[AUTH_REALM_MAX];
	size_t rlen;
	uint8_t key[16];		/* MD5(user:realm:password) */
};

struct daemon_selftest {
	struct daemon *d;
	unsigned interval_s;
	char user[sizeof(DAEMON_ST_USER_PREFIX) + 2 * DAEMON_ST_NAME_RAND];
	char pass[2 * DAEMON_ST_PASS_RAND + 1];
	bool on;			/* a listener and a relay to test */
	struct addr server;		/* a UDP listener */
	struct addr local;		/* its IP, port 0: the sockets' */
	struct addr relay_ip;
	struct event_base *base;	/* the main loop, while it runs */
	struct event *tick, *timer;
	struct daemon_st_leg leg[2];
	enum daemon_st_step step;	/* ST_IDLE: no run under way */
	uint8_t tid[STUN_TID_LEN];
	uint8_t req[DAEMON_ST_REQ];	/* the step's request, sent again */
	size_t reqlen;
	uint8_t token[DAEMON_ST_TOKEN];
	uint64_t start_us, resend_ms;
	unsigned retries;
	unsigned fails;			/* failures in a row */
	const char *why;		/* the last failure's */
	/* the last run's, read by the scrape: -1 before the first */
	_Atomic int ok;
	_Atomic uint64_t dur_us;
};

static void
daemon_st_hex(char *out, const uint8_t *p, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* daemon_new(), before daemon_env_init(): the credential. */
int
daemon_selftest_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct daemon_selftest *st;
	uint8_t r[DAEMON_ST_PASS_RAND];
	size_t pl = sizeof(DAEMON_ST_USER_PREFIX) - 1;

	if (c->self_test_interval == 0)
		return 0;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	d->selftest = st;
	st->d = d;
	st->interval_s = c->self_test_interval;
	atomic_init(&st->dur_us, 0);
	atomic_init(&st->ok, -1);
	st->leg[0] = (struct daemon_st_leg){ .st = st, .idx = 0 };
	st->leg[1] = (struct daemon_st_leg){ .st = st, .idx = 1 };
	memcpy(st->user, DAEMON_ST_USER_PREFIX, pl);
	if (crypto_random(r, DAEMON_ST_NAME_RAND) == -1)
		goto fail;
	daemon_st_hex(st->user + pl, r, DAEMON_ST_NAME_RAND);
	if (crypto_random(r, sizeof(r)) == -1)
		goto fail;
	daemon_st_hex(st->pass, r, sizeof(r));
	crypto_wipe(r, sizeof(r));
	return 0;
fail:
	snprintf(err, errcap, "self-test: no random credential");
	return -1;
}

/* daemon_env.c, for every credential set it builds: the user. 0 or -1. */
int
daemon_selftest_creds(const struct daemon *d, struct auth_creds *cr)
{
	const struct daemon_selftest *st = d->selftest;
	char spec[sizeof(st->user) + sizeof(st->pass) + 1];
	int n, rv;

	if (st == NULL)
		return 0;
	n = snprintf(spec, sizeof(spec), "%s:%s", st->user, st->pass);
	if (n < 0 || (size_t)n >= sizeof(spec))
		return -1;
	rv = auth_creds_add_user(cr, spec, (size_t)n);
	crypto_wipe(spec, sizeof(spec));
	return rv;
}

/* The step's leg: A for its allocation, its permission and the send. */
static unsigned
daemon_st_leg_of(enum daemon_st_step s)
{
	return s == ST_B_CHALLENGE || s == ST_B_ALLOC || s == ST_B_PERM;
}

static void
daemon_st_auth(struct stun_builder *b, const struct daemon_selftest *st,
    const struct daemon_st_leg *l)
{
	stun_add(b, STUN_ATTR_USERNAME, st->user, strlen(st->user));
	stun_add(b, STUN_ATTR_REALM, l->realm, l->rlen);
	stun_add(b, STUN_ATTR_NONCE, l->nonce, l->nlen);
	stun_add_integrity(b, l->key, sizeof(l->key));
}

/* The current step's message into st->req, with a new transaction. */
static int
daemon_st_build(struct daemon_selftest *st)
{
	static const uint8_t udp[4] = { 17, 0, 0, 0 };	/* §14.7 */
	static const uint8_t v6[4] = { 0x02, 0, 0, 0 };	/* §14.1 */
	const struct daemon_st_leg *l = &st->leg[daemon_st_leg_of(st->step)];
	const struct daemon_st_leg *o = &st->leg[!l->idx];
	struct stun_builder b;

	if (crypto_random(st->tid, sizeof(st->tid)) == -1)
		return -1;
	switch (st->step) {
	case ST_A_CHALLENGE: case ST_B_CHALLENGE:
	case ST_A_ALLOC: case ST_B_ALLOC:
		stun_builder_init(&b, st->req, sizeof(st->req), STUN_ALLOCATE,
		    STUN_REQUEST, st->tid);
		stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
		if (addr_family(&st->relay_ip) == AF_INET6)
			stun_add(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v6,
			    sizeof(v6));
		if (st->step == ST_A_ALLOC || st->step == ST_B_ALLOC)
			daemon_st_auth(&b, st, l);
		break;
	case ST_A_PERM: case ST_B_PERM:
		stun_builder_init(&b, st->req, sizeof(st->req),
		    STUN_CREATE_PERMISSION, STUN_REQUEST, st->tid);
		stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &o->relayed);
		daemon_st_auth(&b, st, l);
		break;
	case ST_RELAY:
		stun_builder_init(&b, st->req, sizeof(st->req), STUN_SEND,
		    STUN_INDICATION, st->tid);
		stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &o->relayed);
		stun_add(&b, STUN_ATTR_DATA, st->token, sizeof(st->token));
		break;
	default:
		return -1;
	}
	st->reqlen = stun_builder_finish(&b);
	return st->reqlen == 0 ? -1 : 0;
}

static void
daemon_st_send(struct daemon_selftest *st)
{
	struct daemon_st_leg *l = &st->leg[daemon_st_leg_of(st->step)];

	st->resend_ms = clock_mono_ms() + DAEMON_ST_RTO_MS;
	/* a lost datagram is sent again at resend_ms */
	(void)net_probe_send(l->p, st->req, st->reqlen, &st->server);
}

/* Deletes the allocation of l, if it has one (§8.1: LIFETIME 0). */
static void
daemon_st_delete(struct daemon_selftest *st, struct daemon_st_leg *l)
{
	uint8_t buf[DAEMON_ST_REQ], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t len;

	if (!l->allocated || crypto_random(tid, sizeof(tid)) == -1)
		return;
	stun_builder_init(&b, buf, sizeof(buf), STUN_REFRESH, STUN_REQUEST,
	    tid);
	stun_add_u32(&b, STUN_ATTR_LIFETIME, 0);
	daemon_st_auth(&b, st, l);
	if ((len = stun_builder_finish(&b)) > 0)
		(void)net_probe_send(l->p, buf, len, &st->server);
	l->allocated = false;
}

/* The run's end: metrics, readiness, and everything released. */
static void
daemon_st_finish(struct daemon_selftest *st, const char *why)
{
	struct daemon *d = st->d;
	uint64_t us = clock_mono_us() - st->start_us;
	unsigned i;

	for (i = 0; i < 2; i++) {
		daemon_st_delete(st, &st->leg[i]);
		net_probe_close(st->leg[i].p);
		st->leg[i].p = NULL;
		crypto_wipe(st->leg[i].key, sizeof(st->leg[i].key));
	}
	if (st->timer != NULL)
		event_del(st->timer);
	st->step = ST_IDLE;
	atomic_store_explicit(&st->dur_us, us, memory_order_relaxed);
	atomic_store_explicit(&st->ok, why == NULL, memory_order_relaxed);
	if (why == NULL) {
		if (st->fails >= DAEMON_ST_FAILS)
			log_info("self_test_ok", "duration_us=%llu after=%u",
			    (unsigned long long)us, st->fails);
		st->fails = 0;
	} else {
		metrics_count(d->mw_main, METRICS_SELF_TEST_FAILURES, 0, 1);
		st->why = why;
		if (++st->fails == DAEMON_ST_FAILS)
			log_warn("self_test_failed", "reason=\"%s\" "
			    "failures=%u", why, st->fails);
	}
	/* /readyz follows at the main thread's next tick (a second) */
}

/* REALM and NONCE of a 401 or 438, and the key for that realm. */
static int
daemon_st_challenge(struct daemon_selftest *st, struct daemon_st_leg *l,
    const struct stun_msg *m)
{
	const struct stun_attr *r = stun_msg_attr(m, STUN_ATTR_REALM);
	const struct stun_attr *n = stun_msg_attr(m, STUN_ATTR_NONCE);

	if (r == NULL || n == NULL || r->len == 0 || r->len > sizeof(l->realm) ||
	    n->len == 0 || n->len > sizeof(l->nonce))
		return -1;
	memcpy(l->realm, r->val, r->len);
	l->rlen = r->len;
	memcpy(l->nonce, n->val, n->len);
	l->nlen = n->len;
	return auth_key_md5(st->user, strlen(st->user), l->realm, l->rlen,
	    st->pass, strlen(st->pass), l->key);
}

/*
 * Where the relay socket of a relayed address the server announced is
 * bound: an external-ip's PUBLIC is its PRIVATE, or the relay IP of its
 * family for a bare PUBLIC; anything else is a relay IP already. The run
 * then never sends to an address outside this host.
 */
static void
daemon_st_bound(const struct daemon_selftest *st, const struct addr *got,
    struct addr *out)
{
	const struct config *c = st->d->cfg;
	size_t i;

	*out = *got;
	for (i = 0; i < c->n_external_ip; i++) {
		if (!addr_equal(&c->external_ip[i].public_ip, got, false))
			continue;
		*out = c->external_ip[i].has_private ?
		    c->external_ip[i].private_ip : st->relay_ip;
		break;
	}
	addr_set_port(out, addr_port(got));
}

/* A success: its integrity, and what Allocate says. 0 or -1. */
static int
daemon_st_success(struct daemon_selftest *st, struct daemon_st_leg *l,
    const struct stun_msg *m)
{
	const struct stun_attr *ra;
	struct addr got;

	if (stun_check_integrity(m, l->key, sizeof(l->key)) != 1)
		return -1;
	if (st->step != ST_A_ALLOC && st->step != ST_B_ALLOC)
		return 0;
	ra = stun_msg_attr(m, STUN_ATTR_XOR_RELAYED_ADDRESS);
	if (ra == NULL || stun_attr_xor_addr(ra, m->tid, &got) != 0 ||
	    addr_family(&got) != addr_family(&st->relay_ip))
		return -1;
	daemon_st_bound(st, &got, &l->relayed);
	l->allocated = true;
	return 0;
}

/* The next step's request, or the end of the run. */
static void
daemon_st_next(struct daemon_selftest *st)
{
	if (daemon_st_build(st) == -1) {
		daemon_st_finish(st, daemon_st_why[st->step]);
		return;
	}
	daemon_st_send(st);
}

/* An answer to the step's request on its leg. */
static void
daemon_st_answer(struct daemon_selftest *st, struct daemon_st_leg *l,
    const struct stun_msg *m)
{
	const bool challenge = st->step == ST_A_CHALLENGE ||
	    st->step == ST_B_CHALLENGE;
	const struct stun_attr *ea;
	const uint8_t *reason;
	size_t rlen;
	int code = 0;

	if (m->cls == STUN_ERROR) {
		ea = stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
		if (ea == NULL || stun_attr_error(ea, &code, &reason,
		    &rlen) != 0)
			code = 0;
		/* the challenge (§9.2.3), or a nonce gone stale (§9.2.5) */
		if (((challenge && code == STUN_ERR_UNAUTHENTICATED) ||
		    (!challenge && code == STUN_ERR_STALE_NONCE &&
		    st->retries++ < DAEMON_ST_RETRIES)) &&
		    daemon_st_challenge(st, l, m) == 0) {
			if (challenge)
				st->step++;
			daemon_st_next(st);
			return;
		}
		daemon_st_finish(st, daemon_st_why[st->step]);
		return;
	}
	if (challenge || daemon_st_success(st, l, m) == -1) {
		daemon_st_finish(st, daemon_st_why[st->step]);
		return;
	}
	st->step++;
	daemon_st_next(st);
}

/* B's Data indication: from A's relayed address, with the token. */
static bool
daemon_st_data_ok(const struct daemon_selftest *st, const struct stun_msg *m)
{
	const struct stun_attr *pa = stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *da = stun_msg_attr(m, STUN_ATTR_DATA);
	struct addr peer;

	return pa != NULL && da != NULL &&
	    stun_attr_xor_addr(pa, m->tid, &peer) == 0 &&
	    addr_equal(&peer, &st->leg[0].relayed, true) &&
	    da->len == sizeof(st->token) &&
	    crypto_equal(da->val, st->token, sizeof(st->token));
}

/* net_probe_fn: a datagram on a leg's socket. */
static void
daemon_st_input(void *arg, const uint8_t *pkt, size_t len,
    const struct addr *from)
{
	struct daemon_st_leg *l = arg;
	struct daemon_selftest *st = l->st;
	struct stun_msg m;

	if (st->step == ST_IDLE || !addr_equal(from, &st->server, true) ||
	    stun_decode(&m, pkt, len) != STUN_OK)
		return;
	if (st->step == ST_RELAY) {
		if (l->idx == 1 && m.method == STUN_DATA &&
		    m.cls == STUN_INDICATION && daemon_st_data_ok(st, &m))
			daemon_st_finish(st, NULL);
		return;
	}
	if (l->idx != daemon_st_leg_of(st->step) ||
	    (m.cls != STUN_SUCCESS && m.cls != STUN_ERROR) ||
	    memcmp(m.tid, st->tid, STUN_TID_LEN) != 0)
		return;
	daemon_st_answer(st, l, &m);
}

/* The run's clock: its deadline, and requests sent again. */
static void
daemon_st_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon_selftest *st = arg;
	uint64_t now = clock_mono_ms();

	(void)fd, (void)what;
	if (st->step == ST_IDLE)
		return;
	if (now - st->start_us / 1000 >= DAEMON_ST_TIMEOUT_MS)
		daemon_st_finish(st, daemon_st_why[st->step]);
	else if (now >= st->resend_ms)
		daemon_st_send(st);
}

static void
daemon_st_run(struct daemon_selftest *st)
{
	const struct timeval tv = { 0, DAEMON_ST_TIMER_MS * 1000 };
	unsigned i;

	st->start_us = clock_mono_us();
	st->retries = 0;
	st->step = ST_A_CHALLENGE;
	for (i = 0; i < 2; i++) {
		st->leg[i].allocated = false;
		st->leg[i].p = net_probe_open(st->base, &st->local,
		    daemon_st_input, &st->leg[i]);
		if (st->leg[i].p == NULL)
			goto fail;
	}
	if (crypto_random(st->token, sizeof(st->token)) == -1 ||
	    daemon_st_build(st) == -1 || event_add(st->timer, &tv) == -1)
		goto fail;
	daemon_st_send(st);
	return;
fail:
	daemon_st_finish(st, daemon_st_why[ST_IDLE]);
}

static void
daemon_st_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon_selftest *st = arg;

	(void)fd, (void)what;
	if (st->step != ST_IDLE || atomic_load(&st->d->draining))
		return;
	daemon_st_run(st);
}

/* A UDP listener and the relay IP of one family, IPv4 first. 0 or -1. */
static int
daemon_st_target(struct daemon_selftest *st)
{
	const struct daemon *d = st->d;
	int fam = AF_UNSPEC;
	size_t i;

	if (addr_family(&d->relay4) == AF_INET)
		fam = AF_INET;
	else if (addr_family(&d->relay6) == AF_INET6)
		fam = AF_INET6;
	if (!d->turn_on || d->cfg->no_udp || fam == AF_UNSPEC)
		return -1;
	st->relay_ip = fam == AF_INET ? d->relay4 : d->relay6;
	for (i = 0; i < d->nlisten; i++) {
		if (addr_family(&d->listen[i]) != fam)
			continue;
		st->server = st->local = d->listen[i];
		addr_set_port(&st->server, d->cfg->listening_port);
		addr_set_port(&st->local, 0);
		return 0;
	}
	return -1;
}

/* daemon_run(): the first run at once, then every interval. */
int
daemon_selftest_start(struct daemon *d, struct event_base *base)
{
	struct daemon_selftest *st = d->selftest;
	const struct timeval iv = { 0, 0 };
	struct timeval every = iv;
	char sa[ADDR_STRLEN];

	if (st == NULL)
		return 0;
	if (daemon_st_target(st) == -1) {
		log_warn("self_test_off", "reason=\"no UDP listener of the "
		    "relay's family\"");
		return 0;
	}
	st->base = base;
	every.tv_sec = (time_t)st->interval_s;
	st->tick = event_new(base, -1, EV_PERSIST, daemon_st_tick_cb, st);
	st->timer = event_new(base, -1, EV_PERSIST, daemon_st_timer_cb, st);
	if (st->tick == NULL || st->timer == NULL ||
	    event_add(st->tick, &every) == -1)
		return -1;
	event_active(st->tick, EV_TIMEOUT, 0);
	log_info("self_test", "interval=%u server=%s", st->interval_s,
	    addr_str(&st->server, sa, sizeof(sa)));
	return 0;
}

/* The main loop ends: a run under way is abandoned (its allocations
 * deleted), no metric changes. */
void
daemon_selftest_stop(struct daemon *d)
{
	struct daemon_selftest *st = d->selftest;
	unsigned i;

	if (st == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (st->leg[i].p != NULL)
			daemon_st_delete(st, &st->leg[i]);
		net_probe_close(st->leg[i].p);
		st->leg[i].p = NULL;
	}
	st->step = ST_IDLE;
	if (st->tick != NULL)
		event_free(st->tick);
	if (st->timer != NULL)
		event_free(st->timer);
	st->tick = st->timer = NULL;
}

void
daemon_selftest_free(struct daemon *d)
{
	if (d->selftest == NULL)
		return;
	daemon_selftest_stop(d);
	crypto_wipe(d->selftest, sizeof(*d->selftest));
	free(d->selftest);
	d->selftest = NULL;
}

/* Readiness (main thread): why /readyz fails, or NULL. */
const char *
daemon_selftest_unready(const struct daemon *d)
{
	const struct daemon_selftest *st = d->selftest;

	return st != NULL && st->fails >= DAEMON_ST_FAILS ? st->why : NULL;
}

/* The scrape's view: NaN while off or before the first run. */
static double
daemon_st_gauge(void *arg, unsigned l0, unsigned l1, bool success)
{
	const struct daemon *d = arg;
	const struct daemon_selftest *st = d->selftest;
	int ok;

	(void)l0, (void)l1;
	if (st == NULL)
		return NAN;
	ok = atomic_load_explicit(&st->ok, memory_order_relaxed);
	if (ok < 0)
		return NAN;
	if (success)
		return ok;
	return (double)atomic_load_explicit(&st->dur_us,
	    memory_order_relaxed) / 1e6;
}

static double
daemon_st_success_gauge(void *arg, unsigned l0, unsigned l1)
{
	return daemon_st_gauge(arg, l0, l1, true);
}

static double
daemon_st_duration_gauge(void *arg, unsigned l0, unsigned l1)
{
	return daemon_st_gauge(arg, l0, l1, false);
}

/* daemon_metrics_init(): the two gauges are callbacks. 0 or -1. */
int
daemon_selftest_metrics(struct daemon *d)
{
	if (metrics_gauge_fn_set(d->metrics, METRICS_SELF_TEST_SUCCESS,
	    daemon_st_success_gauge, d) == -1 ||
	    metrics_gauge_fn_set(d->metrics, METRICS_SELF_TEST_DURATION,
	    daemon_st_duration_gauge, d) == -1)
		return -1;
	return 0;
}
