/* SPDX-License-Identifier: ISC */
/*
 * The per-source budgets of a real ternd (docs/security.md, Per-source
 * budgets; Credential brute force):
 *     test_defence_budget TERND rate|auth
 *
 * Both cases run one worker (workers = 1), so that one engine sees every
 * request and the counts are exact. Sources are UDP sockets bound to
 * 127.0.0.1 (the attacker) and 127.0.0.2 (someone else): two IPv4 /32s,
 * so two budgets. Requests are built here, not by the client library,
 * because its transactions retransmit and answer challenges: a flood must
 * send each request once and count each answer.
 *
 * rate: unauth-rate = 50, unauth-burst = 200. The attacker sends 1,000
 *       Allocate requests without credentials, one a millisecond (about
 *       1 s). At most unauth-burst + unauth-rate x elapsed of them are
 *       answered (401; elapsed runs from the first request sent to the
 *       last answer received, so it covers the server's own span), at
 *       least the burst is, and
 *       tern_dropped_packets_total{reason="rate_limited"} equals the
 *       number not answered. Meanwhile the other source sends a Binding
 *       request or an Allocate without credentials every 100 ms; each is
 *       answered (success, 401) within 100 ms.
 * auth: the default auth-failure-limit (30 a minute). The attacker takes
 *       one challenge (401 with REALM and NONCE), then sends 100 Allocate
 *       requests signed under that nonce with a wrong password: at most
 *       30 are answered (31 answers with the challenge),
 *       tern_auth_failures_total{reason="bad_integrity"} counts those and
 *       tern_dropped_packets_total{reason="auth_failure_limited"} the
 *       rest. Halfway through, the other source allocates with the right
 *       password. Afterwards the attacker's right password is dropped too
 *       (the lockout is per source, for the minute), while its Binding
 *       request, which carries no credential, is still answered.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "metrics_common.h"
#include "tap.h"

#define FLOOD_N		1000	/* rate: requests from the attacker */
#define FLOOD_GAP_MS	1	/* one request a millisecond */
#define RATE		50	/* unauth-rate of the test's config */
#define BURST		200	/* unauth-burst */
#define PROBE_EVERY	100	/* ms between the other source's probes */
#define PROBE_MAX_MS	100	/* each answered within this */
#define WRONG_N		100	/* auth: signed requests, wrong password */
#define FAIL_LIMIT	30	/* the default auth-failure-limit */
#define SETTLE_MS	5000	/* the server has handled everything */
#define WAIT_MS		3000	/* one transaction */
#define REQ_MAX		1024
#define RESP_MAX	2048

static const char conf_rate[] = "workers = 1\n"
    "unauth-rate = 50\n"
    "unauth-burst = 200\n";
static const char conf_auth[] = "workers = 1\n";

static const char limited[] =
    "tern_dropped_packets_total{reason=\"rate_limited\"}";
static const char auth_limited[] =
    "tern_dropped_packets_total{reason=\"auth_failure_limited\"}";
static const char bad_integrity[] =
    "tern_auth_failures_total{reason=\"bad_integrity\"}";

/* One UDP source: a socket bound to a loopback address of its own and
 * connected to ternd. */
struct src {
	int fd;
	const char *name;
};

/* Long-term credentials as a client holds them after a challenge. */
struct cred {
	const char *user;
	uint8_t realm[CLIENT_TURN_TEXT_MAX];
	size_t realm_len;
	uint8_t nonce[CLIENT_TURN_TEXT_MAX];
	size_t nonce_len;
	uint8_t key[16];
};

static int
src_open(struct src *s, const char *ip, const struct addr *srv,
    const char *name)
{
	struct addr local;
	int size = 1 << 20;

	s->name = name;
	if (addr_parse_ip(&local, ip, 0) == -1 ||
	    (s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	/* room for every answer to a flood, whatever rmem_max allows */
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(s->fd, &local.u.sa, addr_len(&local)) == -1 ||
	    connect(s->fd, &srv->u.sa, addr_len(srv)) == -1) {
		printf("# %s source on %s: %s\n", name, ip, strerror(errno));
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

static void
src_close(struct src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * A request with a fresh TID (kept in tid): an Allocate carries
 * REQUESTED-TRANSPORT UDP; with c, USERNAME, REALM, NONCE and
 * MESSAGE-INTEGRITY (RFC 8489 §9.2.3); FINGERPRINT always. The length,
 * or 0.
 */
static size_t
req_build(uint8_t *buf, size_t cap, uint16_t method, const struct cred *c,
    uint8_t tid[STUN_TID_LEN])
{
	static const uint8_t udp[4] = { CLIENT_TURN_PROTO_UDP, 0, 0, 0 };
	struct stun_builder b;

	if (client_tid_new(tid) == -1)
		return 0;
	stun_builder_init(&b, buf, cap, method, STUN_REQUEST, tid);
	if (method == STUN_ALLOCATE)
		stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if (c != NULL) {
		stun_add(&b, STUN_ATTR_USERNAME, c->user, strlen(c->user));
		stun_add(&b, STUN_ATTR_REALM, c->realm, c->realm_len);
		stun_add(&b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
		stun_add_integrity(&b, c->key, sizeof(c->key));
	}
	stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

static int
req_send(struct src *s, uint16_t method, const struct cred *c,
    uint8_t tid[STUN_TID_LEN])
{
	uint8_t buf[REQ_MAX];
	size_t len;

	if ((len = req_build(buf, sizeof(buf), method, c, tid)) == 0)
		return -1;
	return send(s->fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * The next datagram waiting on s (no wait), decoded into m (borrowing
 * buf). 1 when one was read, 0 when none is waiting, -1 when it is not
 * STUN.
 */
static int
src_recv(struct src *s, uint8_t *buf, size_t cap, struct stun_msg *m)
{
	ssize_t n = recv(s->fd, buf, cap, MSG_DONTWAIT);

	if (n < 0)
		return 0;
	return stun_decode(m, buf, (size_t)n) == STUN_OK ? 1 : -1;
}

/* Waits up to timeout_ms for the answer to tid. Its code (answer_code)
 * with m filled, or -2 at the deadline. Other datagrams are skipped. */
static int
src_wait(struct src *s, const uint8_t tid[STUN_TID_LEN], uint8_t *buf,
    size_t cap, struct stun_msg *m, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms, left;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	while ((left = deadline - client_now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		while (src_recv(s, buf, cap, m) != 0)
			if (memcmp(m->tid, tid, STUN_TID_LEN) == 0)
				return harness_answer_code(m);
	}
	return -2;
}

/* One request, its answer: the code, or -2 (none within timeout_ms). */
static int
src_transact(struct src *s, uint16_t method, const struct cred *c,
    uint8_t *buf, size_t cap, struct stun_msg *m, int timeout_ms)
{
	uint8_t tid[STUN_TID_LEN];

	if (req_send(s, method, c, tid) == -1)
		return -1;
	return src_wait(s, tid, buf, cap, m, timeout_ms);
}

/* The challenge (RFC 8489 §9.2.4): an Allocate without credentials; its
 * 401 gives REALM and NONCE, the key is MD5(user:realm:pass). 0 or -1. */
static int
challenge(struct src *s, struct cred *c, const char *user, const char *pass)
{
	uint8_t buf[RESP_MAX];
	struct stun_msg m;
	const struct stun_attr *r, *n;

	memset(c, 0, sizeof(*c));
	c->user = user;
	if (src_transact(s, STUN_ALLOCATE, NULL, buf, sizeof(buf), &m,
	    WAIT_MS) != 401 ||
	    (r = stun_msg_attr(&m, STUN_ATTR_REALM)) == NULL ||
	    (n = stun_msg_attr(&m, STUN_ATTR_NONCE)) == NULL ||
	    r->len > sizeof(c->realm) || n->len > sizeof(c->nonce))
		return -1;
	memcpy(c->realm, r->val, r->len);
	c->realm_len = r->len;
	memcpy(c->nonce, n->val, n->len);
	c->nonce_len = n->len;
	return auth_key_md5(user, strlen(user), c->realm, c->realm_len, pass,
	    strlen(pass), c->key);
}

/* Reads a counter now; an unreadable page fails the caller's wait. */
static double
counter(const struct mc *m, const char *series)
{
	double v;

	return mc_read(m->mport, NULL, series, false, &v) == 0 ? v : -1;
}

/* ---- rate ---- */

struct flood {
	unsigned answered;	/* 401s to the attacker */
	unsigned other;		/* anything else it got */
	int64_t t0, last_answer;
	/* the other source's probes */
	uint8_t ptid[STUN_TID_LEN];
	int64_t psent;		/* 0: none pending */
	unsigned probes, prompt, late;
	int64_t worst;
};

/* Reads every answer waiting for the attacker. */
static void
flood_drain(struct src *a, struct flood *f)
{
	uint8_t buf[RESP_MAX];
	struct stun_msg m;
	int r;

	while ((r = src_recv(a, buf, sizeof(buf), &m)) != 0) {
		if (r == 1 && m.method == STUN_ALLOCATE &&
		    harness_answer_code(&m) == 401)
			f->answered++;
		else
			f->other++;
		f->last_answer = client_now_ms();
	}
}

/* The other source's answer, when it came; a probe unanswered for
 * PROBE_MAX_MS is late. */
static void
probe_check(struct src *b, struct flood *f)
{
	uint8_t buf[RESP_MAX];
	struct stun_msg m;
	int64_t now, rtt;

	while (src_recv(b, buf, sizeof(buf), &m) == 1) {
		if (f->psent == 0 || memcmp(m.tid, f->ptid, STUN_TID_LEN) != 0)
			continue;
		rtt = client_now_ms() - f->psent;
		if (rtt > f->worst)
			f->worst = rtt;
		if (rtt <= PROBE_MAX_MS &&
		    harness_answer_code(&m) == (m.method == STUN_BINDING ? 0 : 401))
			f->prompt++;
		else
			f->late++;
		f->psent = 0;
	}
	now = client_now_ms();
	if (f->psent != 0 && now - f->psent > PROBE_MAX_MS) {
		f->late++;
		f->worst = now - f->psent;
		f->psent = 0;
	}
}

static void
probe_send(struct src *b, struct flood *f)
{
	if (f->psent != 0)
		return;
	if (req_send(b, f->probes % 2 == 0 ? STUN_BINDING : STUN_ALLOCATE,
	    NULL, f->ptid) == -1) {
		f->late++;
		return;
	}
	f->psent = client_now_ms();
	f->probes++;
}

/* Waits until `until`, reading both sources meanwhile. */
static void
flood_wait(struct src *a, struct src *b, struct flood *f, int64_t until)
{
	struct pollfd pfd[2] = { { .fd = a->fd, .events = POLLIN },
	    { .fd = b->fd, .events = POLLIN } };
	int64_t left;

	do {
		left = until - client_now_ms();
		if (f->psent != 0 && f->psent + PROBE_MAX_MS + 1 -
		    client_now_ms() < left)
			left = f->psent + PROBE_MAX_MS + 1 - client_now_ms();
		(void)poll(pfd, 2, left > 0 ? (int)left : 0);
		flood_drain(a, f);
		probe_check(b, f);
	} while (client_now_ms() < until);
}

/* The attacker's requests, paced; a probe every PROBE_EVERY ms. */
static void
flood_run(struct src *a, struct src *b, struct flood *f)
{
	uint8_t tid[STUN_TID_LEN];
	unsigned i, unsent = 0;

	f->t0 = client_now_ms();
	for (i = 0; i < FLOOD_N; i++) {
		flood_wait(a, b, f, f->t0 + (int64_t)i * FLOOD_GAP_MS);
		if (i % PROBE_EVERY == PROBE_EVERY / 2)
			probe_send(b, f);
		if (req_send(a, STUN_ALLOCATE, NULL, tid) == -1)
			unsent++;
	}
	ok(unsent == 0, "%u Allocate requests without credentials sent in "
	    "%lld ms", FLOOD_N - unsent, (long long)(client_now_ms() - f->t0));
	/* the last probe's answer, if it is still on its way */
	if (f->psent != 0)
		flood_wait(a, b, f, f->psent + PROBE_MAX_MS + 1);
}

/* Every request was answered or dropped: answers + the counter = N. */
static bool
flood_settle(struct src *a, struct src *b, struct mc *m, struct flood *f,
    double *dropped)
{
	int64_t deadline = client_now_ms() + SETTLE_MS;

	do {
		flood_wait(a, b, f, client_now_ms() + 50);
		*dropped = counter(m, limited);
		if (*dropped >= 0 && f->answered + *dropped == FLOOD_N)
			return true;
	} while (client_now_ms() < deadline);
	return false;
}

static void
case_rate(struct mc *m)
{
	struct src a = { .fd = -1 }, b = { .fd = -1 };
	struct flood f;
	double dropped = -1;
	int64_t span;
	unsigned bound;
	bool settled;

	if (!ok(mc_start(m, conf_rate) == 0, "ternd started (workers = 1, "
	    "unauth-rate = %d, unauth-burst = %d)", RATE, BURST))
		return;
	if (!ok(src_open(&a, "127.0.0.1", &m->h.srv, "attacker") == 0 &&
	    src_open(&b, "127.0.0.2", &m->h.srv, "other") == 0,
	    "two sources: 127.0.0.1 and 127.0.0.2"))
		goto out;
	memset(&f, 0, sizeof(f));
	flood_run(&a, &b, &f);
	settled = flood_settle(&a, &b, m, &f, &dropped);
	span = f.last_answer > f.t0 ? f.last_answer - f.t0 : 0;
	bound = BURST + (unsigned)(RATE * span / 1000) + 1;
	diag("%u requests from one source in %lld ms (first sent to last "
	    "answer): %u answered (401), %.0f counted as rate_limited; the "
	    "budget allows at most %u + %u x %.3f s, rounded down, plus one "
	    "token for the two clocks' rounding = %u", FLOOD_N,
	    (long long)span, f.answered, dropped, BURST, RATE,
	    (double)span / 1000, bound);
	ok(settled, "every request was answered or counted: %u answered + "
	    "%.0f rate_limited == %u", f.answered, dropped, FLOOD_N);
	ok(f.answered <= bound, "at most unauth-burst + unauth-rate x elapsed "
	    "answers (%u <= %u)", f.answered, bound);
	ok(f.answered >= BURST, "the burst was answered (%u >= %u)",
	    f.answered, BURST);
	is_int(f.other, 0, "every answer to the flood was a 401 to Allocate");
	is_int(dropped, FLOOD_N - f.answered,
	    "tern_dropped_packets_total{reason=\"rate_limited\"} equals the "
	    "requests not answered");
	diag("the other source: %u probes, worst answer %lld ms", f.probes,
	    (long long)f.worst);
	ok(f.probes >= FLOOD_N / PROBE_EVERY && f.prompt == f.probes &&
	    f.late == 0, "another source's Binding and 401 during the flood: "
	    "%u of %u answered within %d ms", f.prompt, f.probes,
	    PROBE_MAX_MS);
	is_int(harness_stop(&m->h), 0, "SIGTERM: ternd exits 0");
out:
	src_close(&a);
	src_close(&b);
}

/* ---- auth ---- */

/* Wrong passwords, paced at one per 2 ms; at WRONG_N / 2 the other
 * source allocates with the right password. The answers in *answered. */
static void
auth_flood(struct src *a, struct src *b, const struct cred *wrong,
    unsigned *answered, unsigned *other)
{
	uint8_t buf[RESP_MAX], tid[STUN_TID_LEN];
	struct stun_msg msg;
	struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
	struct cred good;
	int64_t t0 = client_now_ms(), until;
	unsigned i, unsent = 0;
	int r, rc = -1;

	*answered = *other = 0;
	for (i = 0; i < WRONG_N; i++) {
		until = t0 + 2 * (int64_t)i;
		while (client_now_ms() < until)
			(void)poll(&pfd, 1, (int)(until - client_now_ms()));
		while ((r = src_recv(a, buf, sizeof(buf), &msg)) != 0) {
			if (r == 1 && harness_answer_code(&msg) == 401)
				(*answered)++;
			else
				(*other)++;
		}
		if (i == WRONG_N / 2) {
			if (challenge(b, &good, MC_USER, MC_PASS) == 0)
				rc = src_transact(b, STUN_ALLOCATE, &good, buf,
				    sizeof(buf), &msg, WAIT_MS);
			ok(rc == 0 && stun_check_integrity(&msg, good.key,
			    sizeof(good.key)) == 1, "meanwhile another source "
			    "allocates with the right password (got %d)", rc);
		}
		if (req_send(a, STUN_ALLOCATE, wrong, tid) == -1)
			unsent++;
	}
	is_int(unsent, 0, "%d Allocate requests signed with a wrong password "
	    "under one nonce sent", WRONG_N);
}

/* Answers + the counter = WRONG_N within SETTLE_MS. */
static bool
auth_settle(struct src *a, struct mc *m, unsigned *answered,
    unsigned *other, double *dropped)
{
	int64_t deadline = client_now_ms() + SETTLE_MS;
	struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
	uint8_t buf[RESP_MAX];
	struct stun_msg msg;
	int r;

	do {
		(void)poll(&pfd, 1, 50);
		while ((r = src_recv(a, buf, sizeof(buf), &msg)) != 0) {
			if (r == 1 && harness_answer_code(&msg) == 401)
				(*answered)++;
			else
				(*other)++;
		}
		*dropped = counter(m, auth_limited);
		if (*dropped >= 0 && *answered + *other + *dropped == WRONG_N)
			return true;
	} while (client_now_ms() < deadline);
	return false;
}

/* After the lockout: the right password from the attacker's address is
 * dropped as well; a Binding (no credential) is still answered. */
static void
auth_after(struct src *a, struct mc *m, double dropped)
{
	uint8_t buf[RESP_MAX], tid[STUN_TID_LEN];
	struct stun_msg msg;
	struct cred right;
	double last;
	bool hit;
	int r;

	if (!ok(challenge(a, &right, MC_USER, MC_PASS) == 0,
	    "the attacker still gets a challenge (no credential in it)"))
		return;
	ok(req_send(a, STUN_ALLOCATE, &right, tid) == 0,
	    "the attacker sends the right password");
	hit = mc_wait(m->mport, NULL, auth_limited, false, dropped + 1,
	    MC_WAIT_MS, &last);
	ok(hit, "... which is dropped as auth_failure_limited (%.0f)", last);
	r = src_recv(a, buf, sizeof(buf), &msg);
	ok(r == 0, "... and not answered");
	is_int(src_transact(a, STUN_BINDING, NULL, buf, sizeof(buf), &msg,
	    WAIT_MS), 0, "the attacker's Binding request is answered");
}

static void
case_auth(struct mc *m)
{
	struct src a = { .fd = -1 }, b = { .fd = -1 };
	struct cred wrong;
	unsigned answered = 0, other = 0;
	double dropped = -1, last;
	bool settled, hit;

	if (!ok(mc_start(m, conf_auth) == 0, "ternd started (workers = 1, "
	    "auth-failure-limit %d)", FAIL_LIMIT))
		return;
	if (!ok(src_open(&a, "127.0.0.1", &m->h.srv, "attacker") == 0 &&
	    src_open(&b, "127.0.0.2", &m->h.srv, "other") == 0,
	    "two sources: 127.0.0.1 and 127.0.0.2"))
		goto out;
	if (!ok(challenge(&a, &wrong, MC_USER, "wrong") == 0,
	    "the attacker's challenge: 401 with REALM and NONCE"))
		goto out;
	auth_flood(&a, &b, &wrong, &answered, &other);
	settled = auth_settle(&a, m, &answered, &other, &dropped);
	diag("%d wrong passwords from one source: %u answered (401), %.0f "
	    "counted as auth_failure_limited; with the challenge %u answers",
	    WRONG_N, answered, dropped, answered + 1);
	ok(settled, "every request was answered or counted: %u + %.0f == %d",
	    answered + other, dropped, WRONG_N);
	is_int(other, 0, "every answer was a 401");
	ok(answered + 1 <= FAIL_LIMIT + 1, "at most %d answers (the challenge "
	    "and %d failures): %u", FAIL_LIMIT + 1, FAIL_LIMIT, answered + 1);
	ok(answered >= 1, "the first wrong passwords were judged (%u)",
	    answered);
	hit = mc_wait(m->mport, NULL, bad_integrity, false, answered,
	    MC_WAIT_MS, &last);
	ok(hit, "tern_auth_failures_total{reason=\"bad_integrity\"} counts "
	    "the answered ones (%.0f)", last);
	is_int(dropped, WRONG_N - answered, "tern_dropped_packets_total"
	    "{reason=\"auth_failure_limited\"} counts the rest");
	auth_after(&a, m, dropped);
	is_int(harness_stop(&m->h), 0, "SIGTERM: ternd exits 0");
out:
	src_close(&a);
	src_close(&b);
}

int
main(int argc, char *argv[])
{
	struct mc m;

	if (argc != 3 || (strcmp(argv[2], "rate") != 0 &&
	    strcmp(argv[2], "auth") != 0)) {
		fprintf(stderr, "usage: test_defence_budget TERND rate|auth\n");
		return 2;
	}
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir and a metrics port"))
		return tap_done();
	if (strcmp(argv[2], "rate") == 0)
		case_rate(&m);
	else
		case_auth(&m);
	if (tap_failed)
		harness_dump_log(&m.h);
	mc_fini(&m);
	return tap_done();
}
