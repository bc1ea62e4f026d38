/* SPDX-License-Identifier: ISC */
/*
 * What a flood of made-up NONCEs costs a real ternd, against a flood of
 * Binding requests at the same rate (docs/security.md, Credentials: the
 * nonce is checked before any credential work, src/auth/auth_check.c
 * says why):
 *     test_defence_nonce TERND
 *
 * ternd runs one worker (workers = 1), with an unauthenticated budget
 * far above the flood (unauth-rate = 1000000, unauth-burst = 500000), so
 * that every request is answered and the budget hides no work, and with
 * credentials that would be expensive to try: 16 REST secrets (the most
 * there may be; read from a static-auth-secret-file, under the rules of
 * static-auth-secret, because 16 lines and the users do not fit the
 * harness's 4 KiB config) and 200 static users.
 *
 * From one UDP socket on 127.0.0.1, paced at RATE requests a second:
 *   a. Binding requests, 20 bytes, no attributes;
 *   b. Allocate requests with REQUESTED-TRANSPORT, a SOFTWARE that pads
 *      them to 200 bytes, a REST USERNAME "<expiry in an hour>:mallory",
 *      REALM, a made-up NONCE, MESSAGE-INTEGRITY under a made-up key and
 *      FINGERPRINT. The NONCE has our cookie and feature set
 *      ("obMatJos2AAAB", src/auth/auth_nonce.c) and 16 random base64url
 *      characters, so that ternd goes as far as a nonce can take it: it
 *      decodes the nonce and computes its HMAC (a made-up prefix would be
 *      refused by a memcmp). Were the nonce checked after the user, each
 *      request would cost 16 REST passwords, 16 keys and 16 MACs over the
 *      message.
 * The two kinds alternate (a, b, a, b, ...), RUNS floods of FLOOD_N
 * requests of each, after a warm-up of both.
 *
 * ternd's CPU time is read before and after each flood, from every
 * thread's /proc/PID/task/TID/schedstat (ns, the figure compared) and
 * from /proc/PID/stat (utime + stime, in clock ticks, reported). The cost
 * of a request is the CPU time over the answers received; the lowest of
 * the RUNS floods of each kind is kept, since noise (other processes on
 * the machine) only ever adds time.
 * What is asserted: every b is answered 438 (RFC 8489 §9.2.4: a NONCE
 * that is not ours), never 401, and b costs at most half of what a
 * credential check costs (the control below): the nonce is checked
 * before any credential work. The ratio of b to a is reported, not
 * asserted (a timing figure on a shared machine is a measurement, not a
 * pass/fail criterion); the goal is MAX_RATIO.
 * What b costs beyond a: decoding 200 bytes and the CRC-32 of its
 * FINGERPRINT (slicing-by-8, src/util/crypto.c), the failed-credential
 * table's lookup, the nonce's HMAC-SHA256 (auth_nonce_check, under the
 * key the worker keeps keyed: crypto_hmac_fixed), and the 438's fresh
 * NONCE (auth_nonce_make: one HMAC a second for this one source, the
 * memo of auth_nonce.c), with its REALM, PASSWORD-ALGORITHMS and
 * FINGERPRINT: about 110 bytes to send, where a Binding answer has 32.
 * In instructions, the engine's share of each is counted by
 * scripts/nonce-cost (tests/bench/bench_nonce.c), which, unlike this
 * figure, does not move with the load on the machine.
 *
 * A control shows the measurement would notice credential work: the same
 * Allocate under a NONCE ternd did give this socket (after the 401
 * challenge) and a wrong key costs the secret loop (401), well over
 * MAX_RATIO times a Binding. auth-failure-limit is raised to its maximum
 * (8000) so that the CONTROL_N wrong keys are all judged.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "harness.h"
#include "tap.h"
#include "util/crypto.h"

#define RATE		10000	/* requests a second, every flood */
#define FLOOD_N		10000	/* requests per flood (1 s) */
#define WARM_N		1000	/* warm-up requests of each kind */
#define CONTROL_N	4000	/* control requests (under auth-failure-limit) */
#define RUNS		4	/* a, b, a, b, ... */
#define MAX_RATIO	1.3	/* the requirement */
/* Answers a flood needs for its figure to count. ternd's socket buffer
 * (the kernel's default) holds about 20 ms of a flood: on a loaded host
 * a worker that waits longer for a CPU loses requests, which cost it
 * nothing, so the cost is taken per answer. */
#define MIN_ANSWERED	0.5
#define MIN_CONTROL	0.1	/* of the control flood */
#define QUIET_MS	500	/* no answer for this long: the rest are lost */
#define SETTLE_MS	5000	/* the most we wait after the last request */
#define WAIT_MS		3000	/* one transaction */
#define N_SECRETS	16	/* AUTH_MAX_SECRETS */
#define N_USERS		200
#define REQ_SIZE	200	/* bytes of a b request */
#define REQ_MAX		512
#define BURST_MAX	64	/* requests built before they are sent */
#define RESP_MAX	2048
#define ATTACKER	"mallory"
#define NONCE_PREFIX	AUTH_NONCE_COOKIE "AAAB"	/* auth_nonce.c */

enum kind {
	K_BINDING,	/* a */
	K_GARBAGE,	/* b: a made-up NONCE */
	K_CONTROL,	/* our NONCE, a wrong key */
};

static const char *const kind_names[] = {
	[K_BINDING] = "Binding",
	[K_GARBAGE] = "garbage-nonce Allocate",
	[K_CONTROL] = "wrong-key Allocate under a valid nonce (control)",
};

/* What a request of kind b or the control carries. */
struct req_ctx {
	char user[64];
	uint8_t realm[CLIENT_TURN_TEXT_MAX];
	size_t realm_len;
	uint8_t nonce[CLIENT_TURN_TEXT_MAX];	/* the control's */
	size_t nonce_len;
	uint8_t key[16];
	size_t software_len;	/* pads a request to REQ_SIZE */
};

/* ternd's CPU time so far. */
struct cpu {
	uint64_t ns;		/* sum of its threads' schedstat */
	uint64_t ticks;		/* utime + stime */
};

struct flood {
	unsigned sent, unsent, answers;
	unsigned success, e401, e438, other;
	int64_t span_us;	/* first request to last answer */
	struct cpu cpu;		/* spent meanwhile */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The first number in a small /proc file, or -1. */
static int
proc_first_u64(const char *path, uint64_t *out)
{
	char buf[256], *end;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno != 0 || end == buf ? -1 : 0;
}

/* utime + stime of the whole process (fields 14 and 15 of proc(5)'s
 * /proc/PID/stat, counted from after the command's closing ')'). */
static int
cpu_ticks(pid_t pid, uint64_t *ticks)
{
	char path[64], buf[1024], *p, *end;
	uint64_t v[2];
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 3; field <= 15; field++) {
		while (*p == ' ')
			p++;
		if (field >= 14) {
			errno = 0;
			v[field - 14] = strtoull(p, &end, 10);
			if (errno != 0 || end == p)
				return -1;
			p = end;
			continue;
		}
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
	}
	*ticks = v[0] + v[1];
	return 0;
}

/* The time on the CPU of every thread of pid (schedstat's first field,
 * in ns): /proc/PID/schedstat alone is the main thread's. */
static int
cpu_ns(pid_t pid, uint64_t *ns)
{
	char path[128];
	struct dirent *d;
	uint64_t v;
	DIR *dir;
	int rc = 0, seen = 0, w;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	*ns = 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		w = snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
		    (int)pid, d->d_name);
		if (w < 0 || (size_t)w >= sizeof(path) ||
		    proc_first_u64(path, &v) == -1) {
			rc = -1;
			break;
		}
		*ns += v;
		seen++;
	}
	closedir(dir);
	return rc == 0 && seen > 0 ? 0 : -1;
}

static int
cpu_read(pid_t pid, struct cpu *c)
{
	if (cpu_ns(pid, &c->ns) == -1 || cpu_ticks(pid, &c->ticks) == -1)
		return -1;
	return 0;
}

/* A UDP socket on 127.0.0.1 connected to ternd. */
static int
sock_open(const struct addr *srv)
{
	struct addr local;
	int fd, size = 4 << 20;

	if (addr_parse_ip(&local, "127.0.0.1", 0) == -1 ||
	    (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	/* room for the answers of a scheduling pause, whatever rmem_max
	 * allows */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, &local.u.sa, addr_len(&local)) == -1 ||
	    connect(fd, &srv->u.sa, addr_len(srv)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 29 characters that look like our NONCE and are not one: the cookie,
 * the feature set, then 16 random base64url characters. */
static int
garbage_nonce(uint8_t out[AUTH_NONCE_LEN])
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t plen = sizeof(NONCE_PREFIX) - 1, i;
	uint8_t r[AUTH_NONCE_LEN];

	if (crypto_random(r, sizeof(r)) == -1)
		return -1;
	memcpy(out, NONCE_PREFIX, plen);
	for (i = plen; i < AUTH_NONCE_LEN; i++)
		out[i] = (uint8_t)b64url[r[i] & 63];
	return 0;
}

/*
 * A request of kind k with a fresh TID: the length, or 0. A Binding has
 * no attributes; the Allocates carry what the top of this file lists, in
 * RFC 8489 §14's order (MI, then FINGERPRINT, last).
 */
static size_t
req_build(enum kind k, const struct req_ctx *rc, uint8_t *buf, size_t cap)
{
	static const uint8_t udp[4] = { CLIENT_TURN_PROTO_UDP, 0, 0, 0 };
	uint8_t tid[STUN_TID_LEN], garbage[AUTH_NONCE_LEN], pad[REQ_SIZE];
	struct stun_builder b;

	if (rc->software_len > sizeof(pad) || client_tid_new(tid) == -1)
		return 0;
	if (k == K_BINDING) {
		stun_builder_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST,
		    tid);
		return stun_builder_finish(&b);
	}
	if (k == K_GARBAGE && garbage_nonce(garbage) == -1)
		return 0;
	stun_builder_init(&b, buf, cap, STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if (rc->software_len > 0) {
		memset(pad, 'x', rc->software_len);
		stun_add(&b, STUN_ATTR_SOFTWARE, pad, rc->software_len);
	}
	stun_add(&b, STUN_ATTR_USERNAME, rc->user, strlen(rc->user));
	stun_add(&b, STUN_ATTR_REALM, rc->realm, rc->realm_len);
	if (k == K_GARBAGE)
		stun_add(&b, STUN_ATTR_NONCE, garbage, sizeof(garbage));
	else
		stun_add(&b, STUN_ATTR_NONCE, rc->nonce, rc->nonce_len);
	stun_add_integrity(&b, rc->key, sizeof(rc->key));
	stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

/* Reads every answer waiting on fd into f. The number read. */
static unsigned
flood_drain(int fd, enum kind k, struct flood *f)
{
	uint8_t buf[RESP_MAX];
	struct stun_msg m;
	unsigned n = 0;
	ssize_t len;
	int code;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		n++;
		f->answers++;
		code = stun_decode(&m, buf, (size_t)len) == STUN_OK ?
		    harness_answer_code(&m) : -1;
		if (code == 0 && k == K_BINDING && m.method == STUN_BINDING)
			f->success++;
		else if (code == 438 && k != K_BINDING &&
		    stun_msg_attr(&m, STUN_ATTR_NONCE) != NULL)
			f->e438++;	/* with the fresh NONCE (§9.2.4) */
		else if (code == 401 && k != K_BINDING)
			f->e401++;
		else
			f->other++;
	}
	return n;
}

/* Sends n requests of kind k paced at RATE a second, reading answers
 * meanwhile, then waits for the rest (until QUIET_MS pass without one).
 * The requests due are built first and then sent back to back, so that
 * both kinds reach ternd in the same bursts: built one by one between
 * sends, the requests that take the client longer to build (random
 * bytes and an HMAC for each b) would arrive spread out, each waking
 * ternd on its own, and the difference measured would be the client's
 * pacing rather than ternd's work. */
static void
flood_send(int fd, enum kind k, const struct req_ctx *rc, unsigned n,
    struct flood *f)
{
	static uint8_t burst[BURST_MAX][REQ_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len[BURST_MAX];
	uint64_t t0 = now_us(), due, last, deadline;
	unsigned i, nb;

	while (f->sent + f->unsent < n) {
		due = (now_us() - t0) * RATE / 1000000 + 1;
		for (nb = 0; nb < BURST_MAX && f->sent + f->unsent + nb < n &&
		    f->sent + f->unsent + nb < due; nb++)
			len[nb] = req_build(k, rc, burst[nb], REQ_MAX);
		for (i = 0; i < nb; i++) {
			if (len[i] > 0 && send(fd, burst[i], len[i], 0) ==
			    (ssize_t)len[i])
				f->sent++;
			else
				f->unsent++;
		}
		(void)flood_drain(fd, k, f);
		(void)poll(&pfd, 1, 1);
	}
	last = now_us();
	deadline = last + SETTLE_MS * 1000;
	while (f->answers < f->sent && now_us() < deadline &&
	    now_us() - last < QUIET_MS * 1000) {
		(void)poll(&pfd, 1, 10);
		if (flood_drain(fd, k, f) > 0)
			last = now_us();
	}
	f->span_us = (int64_t)(last - t0);
}

/* One flood, with ternd's CPU time around it. 0 or -1 (unreadable). */
static int
flood_run(pid_t pid, int fd, enum kind k, const struct req_ctx *rc,
    unsigned n, struct flood *f)
{
	struct cpu c0, c1;

	memset(f, 0, sizeof(*f));
	if (cpu_read(pid, &c0) == -1)
		return -1;
	flood_send(fd, k, rc, n, f);
	if (cpu_read(pid, &c1) == -1)
		return -1;
	f->cpu.ns = c1.ns - c0.ns;
	f->cpu.ticks = c1.ticks - c0.ticks;
	return 0;
}

/* ternd's CPU per answer, in µs. */
static double
per_answer_us(const struct flood *f)
{
	return f->answers > 0 ? (double)f->cpu.ns / 1000.0 / f->answers : 0;
}

static double
per_answer_ticks_us(const struct flood *f, long hz)
{
	return f->answers > 0 && hz > 0 ?
	    (double)f->cpu.ticks * 1e6 / (double)hz / f->answers : 0;
}

static void
flood_report(const struct flood *f, enum kind k, int run, long hz)
{
	diag("%s, run %d: %u sent (%u not sent) in %.3f s, %u answers "
	    "(%u success, %u 438, %u 401, %u other); ternd's CPU %.3f ms "
	    "(schedstat), %.0f ms (%" PRIu64 " ticks): %.2f us a request "
	    "(ticks: %.2f)", kind_names[k], run, f->sent, f->unsent,
	    (double)f->span_us / 1e6, f->answers, f->success, f->e438,
	    f->e401, f->other, (double)f->cpu.ns / 1e6,
	    hz > 0 ? (double)f->cpu.ticks * 1000.0 / (double)hz : 0,
	    f->cpu.ticks, per_answer_us(f), per_answer_ticks_us(f, hz));
}

/* The config: one worker, a budget above the flood, 16 REST secrets in
 * a file and 200 static users. 0 or -1. */
static int
conf_make(struct harness *h, char *conf, size_t cap)
{
	char path[HARNESS_PATH], secrets[N_SECRETS * 48];
	size_t n = 0;
	int i, w;

	for (i = 0; i < N_SECRETS; i++) {
		w = snprintf(secrets + n, sizeof(secrets) - n,
		    "rest-secret-%02d-of-the-nonce-flood-test\n", i);
		if (w < 0 || (size_t)w >= sizeof(secrets) - n)
			return -1;
		n += (size_t)w;
	}
	if (harness_path(h, "secrets", path, sizeof(path)) == NULL ||
	    harness_write_file(path, secrets) == -1 || chmod(path, 0600) == -1)
		return -1;
	w = snprintf(conf, cap, HARNESS_TURN_CONF "workers = 1\n"
	    "unauth-rate = 1000000\nunauth-burst = 500000\n"
	    "auth-failure-limit = 8000\nstatic-auth-secret-file = %s\n", path);
	if (w < 0 || (size_t)w >= cap)
		return -1;
	n = (size_t)w;
	for (i = 0; i < N_USERS; i++) {
		w = snprintf(conf + n, cap - n, "user = u%d:p%d\n", i, i);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}

/* A REST credential signed with the last secret allocates: the secrets
 * and users were read, so credential work is there to be done. */
static int
conf_check(struct harness *h)
{
	char user[128], pass[29], secret[64];
	struct client_turn t = { 0 };
	struct client *c = NULL;
	int r = -1;

	snprintf(secret, sizeof(secret),
	    "rest-secret-%02d-of-the-nonce-flood-test", N_SECRETS - 1);
	if (harness_rest_cred(secret, (int64_t)time(NULL) + 3600, "alice",
	    user, sizeof(user), pass) == -1 ||
	    harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) == -1)
		return -1;
	r = client_turn_allocate(&t, NULL, WAIT_MS);
	harness_turn_close(&c, &t);
	return r;
}

/* The 401 challenge on fd: REALM and a NONCE for this socket (the
 * control's), a made-up key, and the SOFTWARE padding. 0 or -1. */
static int
ctx_make(int fd, struct req_ctx *rc)
{
	uint8_t buf[RESP_MAX], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *r, *n;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t deadline = client_now_ms() + WAIT_MS;
	ssize_t len;
	size_t blen;

	memset(rc, 0, sizeof(*rc));
	snprintf(rc->user, sizeof(rc->user), "%lld:" ATTACKER,
	    (long long)time(NULL) + 3600);
	if (crypto_random(rc->key, sizeof(rc->key)) == -1 ||
	    client_tid_new(tid) == -1)
		return -1;
	stun_builder_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_REQUEST,
	    tid);
	if ((blen = stun_builder_finish(&b)) == 0 ||
	    send(fd, buf, blen, 0) != (ssize_t)blen)
		return -1;
	for (;;) {
		if (client_now_ms() >= deadline)
			return -1;
		(void)poll(&pfd, 1, 10);
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len > 0 && stun_decode(&m, buf, (size_t)len) == STUN_OK &&
		    memcmp(m.tid, tid, STUN_TID_LEN) == 0)
			break;
	}
	if (harness_answer_code(&m) != 401 ||
	    (r = stun_msg_attr(&m, STUN_ATTR_REALM)) == NULL ||
	    (n = stun_msg_attr(&m, STUN_ATTR_NONCE)) == NULL ||
	    r->len > sizeof(rc->realm) || n->len > sizeof(rc->nonce))
		return -1;
	memcpy(rc->realm, r->val, r->len);
	rc->realm_len = r->len;
	memcpy(rc->nonce, n->val, n->len);
	rc->nonce_len = n->len;
	/* SOFTWARE takes what is left to REQ_SIZE (a multiple of 4) */
	if ((blen = req_build(K_GARBAGE, rc, buf, sizeof(buf))) == 0 ||
	    blen + 4 > REQ_SIZE)
		return -1;
	rc->software_len = REQ_SIZE - blen - 4;
	return 0;
}

/* The floods a, b, a, b, ...; the cheapest of each kind in lo. 0 or -1. */
static int
floods(struct harness *h, int fd, const struct req_ctx *rc, long hz,
    struct flood lo[2])
{
	static const enum kind order[2] = { K_BINDING, K_GARBAGE };
	struct flood f;
	int run, i;

	for (run = 1; run <= RUNS; run++)
		for (i = 0; i < 2; i++) {
			if (flood_run(h->pid, fd, order[i], rc, FLOOD_N, &f) ==
			    -1)
				return -1;
			flood_report(&f, order[i], run, hz);
			ok(f.unsent == 0 && f.answers >= FLOOD_N * MIN_ANSWERED,
			    "%s flood, run %d: %u of %d answered", kind_names[
			    order[i]], run, f.answers, FLOOD_N);
			if (order[i] == K_BINDING)
				is_int(f.success, f.answers, "... every "
				    "answer a Binding success");
			else
				ok(f.e438 == f.answers && f.e401 == 0,
				    "... every answer a 438 with a fresh NONCE "
				    "(%u; RFC 8489 §9.2.4), no 401 (%u), "
				    "nothing else (%u)",
				    f.e438, f.e401, f.other);
			if (run == 1 || per_answer_us(&f) < per_answer_us(&lo[i]))
				lo[i] = f;
		}
	return 0;
}

static void
control(struct harness *h, int fd, const struct req_ctx *rc,
    const struct flood *bind, const struct flood *garbage, long hz)
{
	struct flood f;
	double ratio;

	if (!ok(flood_run(h->pid, fd, K_CONTROL, rc, CONTROL_N, &f) == 0,
	    "control flood: ternd's CPU time read"))
		return;
	flood_report(&f, K_CONTROL, 1, hz);
	/* each costs ternd ~10 times a Binding, more under the sanitizers:
	 * at RATE the socket drops many; the cost is taken per answer */
	ok(f.e401 == f.answers && f.answers >= CONTROL_N * MIN_CONTROL,
	    "control: %u of %d answered, every one 401 (%u)", f.answers,
	    CONTROL_N, f.e401);
	ratio = per_answer_us(bind) > 0 ?
	    per_answer_us(&f) / per_answer_us(bind) : 0;
	diag("control: a wrong key under a valid nonce (%d REST secrets "
	    "tried) costs %.2f us, %.1f times a Binding", N_SECRETS,
	    per_answer_us(&f), ratio);
	ok(per_answer_us(&f) >= 2 * per_answer_us(garbage),
	    "a garbage nonce (%.2f us) costs at most half of a credential "
	    "check (%.2f us): the nonce is checked first",
	    per_answer_us(garbage), per_answer_us(&f));
}

static void
run(struct harness *h)
{
	struct harness_opts o = { 0 };
	struct req_ctx rc;
	struct flood lo[2], warm;
	char conf[4096];
	double a, b, ratio;
	long hz = sysconf(_SC_CLK_TCK);
	int fd = -1;

	if (!ok(conf_make(h, conf, sizeof(conf)) == 0, "config written"))
		return;
	o.extra = conf;
	if (!ok(harness_start(h, &o) == 0, "ternd started (workers = 1, %d "
	    "REST secrets, %d static users, unauth-burst 500000)", N_SECRETS,
	    N_USERS))
		return;
	diag("ternd's PID: %d", (int)h->pid);
	is_int(conf_check(h), 0, "a REST credential of the last secret "
	    "allocates");
	if (!ok((fd = sock_open(&h->srv)) >= 0, "a UDP socket on 127.0.0.1") ||
	    !ok(ctx_make(fd, &rc) == 0, "the challenge: 401 with REALM and "
	    "NONCE; b requests are %d bytes", REQ_SIZE))
		goto out;
	/* the first HMACs and page faults are not the flood's */
	if (!ok(flood_run(h->pid, fd, K_BINDING, &rc, WARM_N, &warm) == 0 &&
	    flood_run(h->pid, fd, K_GARBAGE, &rc, WARM_N, &warm) == 0,
	    "warm-up, and ternd's CPU time can be read"))
		goto out;
	if (!ok(floods(h, fd, &rc, hz, lo) == 0, "the floods ran"))
		goto out;
	a = per_answer_us(&lo[0]);
	b = per_answer_us(&lo[1]);
	ratio = a > 0 ? b / a : 0;
	diag("ternd's CPU per request, lowest of %d floods at %d/s: Binding "
	    "%.2f us, garbage-nonce Allocate %.2f us; ratio %.2f (at most "
	    "%.1f); from clock ticks %.2f and %.2f us", RUNS, RATE, a, b,
	    ratio, MAX_RATIO, per_answer_ticks_us(&lo[0], hz),
	    per_answer_ticks_us(&lo[1], hz));
	ok(a > 0 && b > 0, "measured: a garbage-nonce Allocate costs ternd "
	    "%.2f us of CPU, a Binding %.2f us (ratio %.2f; goal %.1f)", b, a,
	    ratio, MAX_RATIO);
	control(h, fd, &rc, &lo[0], &lo[1], hz);
	is_int(harness_stop(h), 0, "SIGTERM: ternd exits 0");
out:
	if (fd >= 0)
		close(fd);
}

int
main(int argc, char *argv[])
{
	struct harness h;

	if (argc != 2) {
		fprintf(stderr, "usage: test_defence_nonce TERND\n");
		return 2;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir"))
		return tap_done();
	run(&h);
	if (tap_failed)
		harness_dump_log(&h);
	harness_fini(&h);
	return tap_done();
}
