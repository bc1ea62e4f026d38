/* SPDX-License-Identifier: ISC */
/* Stateless nonces (src/auth/auth_nonce.c; RFC 8489 §9.2, §18.1; one nonce
 * per source IP and port, §9.2.4; docs/security.md, "Nonce replay"), and
 * what a request with a bad one costs auth_check(): its nonce's MAC and
 * nothing else, with up to 16 REST secrets and 1,000 static users. The
 * per-thread memo of nonce MACs answers what recomputing them would:
 * against the format recomputed here with crypto_hmac, across key
 * changes in place, two keys in turn and four threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "stun/stun.h"
#include "util/crypto.h"
#include "tap.h"

#define REALM	"example.org"

static const uint64_t NOW = 1735689000;

static enum auth_nonce_status
check(const struct auth_ctx *ctx, const char *n, const struct addr *a,
    uint64_t now)
{
	return auth_nonce_check(ctx, (const uint8_t *)n, strlen(n), a, now);
}

static void
test_format(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1];
	uint32_t f;
	size_t i, bad = 0;

	is_int(auth_nonce_make(ctx, a, NOW, n), 0, "make");
	is_int(strlen(n), 29, "exactly 29 characters");
	ok(strncmp(n, "obMatJos2AAAB", 13) == 0, "prefix obMatJos2AAAB: %s", n);
	for (i = 0; i < strlen(n); i++)
		if (strchr("+/=\"\\ ", n[i]) != NULL)
			bad++;
	is_int(bad, 0, "base64url, no padding, nothing to quote");
	is_int(auth_nonce_features((const uint8_t *)n, 29, &f), 0, "features");
	is_int(f, AUTH_FEATURE_PW_ALGS, "password-algorithms bit (LSB)");
	/* the feature set's encodings, least significant bit first */
	auth_nonce_features((const uint8_t *)"obMatJos2AAAC", 13, &f);
	is_int(f, AUTH_FEATURE_ANONYMITY, "AAAC = anonymity");
	auth_nonce_features((const uint8_t *)"obMatJos2AAAD", 13, &f);
	is_int(f, 3, "AAAD = both");
	auth_nonce_features((const uint8_t *)"obMatJos2gAAA", 13, &f);
	is_int(f, 0x800000, "gAAA is the MSB reading, not ours");
	is_int(auth_nonce_features((const uint8_t *)"obMatJos2AA", 11, &f), -1,
	    "short");
	is_int(auth_nonce_features((const uint8_t *)"f//499k954d6OL34", 16,
	    &f), -1, "no cookie (RFC 5769 nonce)");
	is_int(auth_nonce_features((const uint8_t *)"obMatJos2A=AB", 13, &f),
	    -1, "bad base64");
}

static void
test_roundtrip(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1];

	auth_nonce_make(ctx, a, NOW, n);
	is_int(check(ctx, n, a, NOW), AUTH_NONCE_VALID, "valid at once");
	is_int(check(ctx, n, a, NOW + 600), AUTH_NONCE_VALID,
	    "valid at the 600 s edge");
	is_int(check(ctx, n, a, NOW + 601), AUTH_NONCE_STALE, "stale at 601 s");
	is_int(check(ctx, n, a, NOW + 86400), AUTH_NONCE_STALE, "stale a day on");
	is_int(check(ctx, n, a, NOW - 5), AUTH_NONCE_STALE,
	    "from the future (clock stepped back): stale");
}

/* The nonce of the top of auth_nonce.c, computed here from its parts. */
static void
oracle(const struct auth_ctx *ctx, const struct addr *a, uint64_t now,
    char out[AUTH_NONCE_LEN + 1])
{
	uint8_t in[22], raw[12], mac[CRYPTO_SHA256_LEN];
	struct crypto_seg seg = { in, 0 };
	uint32_t ts = (uint32_t)now;
	uint16_t port = addr_port(a);
	char b64[20];
	size_t n = 4, i;

	in[0] = (uint8_t)(ts >> 24);
	in[1] = (uint8_t)(ts >> 16);
	in[2] = (uint8_t)(ts >> 8);
	in[3] = (uint8_t)ts;
	if (addr_family(a) == AF_INET6) {
		memcpy(in + n, &a->u.sin6.sin6_addr, 16);
		n += 16;
	} else {
		memcpy(in + n, &a->u.sin.sin_addr, 4);
		n += 4;
	}
	in[n++] = (uint8_t)(port >> 8);
	in[n++] = (uint8_t)port;
	seg.len = n;
	memset(out, 0, AUTH_NONCE_LEN + 1);
	if (crypto_hmac(CRYPTO_MD_SHA256, ctx->key, sizeof(ctx->key), &seg, 1,
	    mac) != 0)
		return;
	memcpy(raw, in, 4);
	memcpy(raw + 4, mac, 8);
	if (crypto_base64_encode(raw, sizeof(raw), b64, sizeof(b64)) != 16)
		return;
	for (i = 0; i < 16; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	memcpy(out, "obMatJos2AAAB", 13);
	memcpy(out + 13, b64, 16);
}

/* Made twice (the second from the memo) and checked twice: 0 if every
 * answer is the oracle's. */
static int
memo_round(const struct auth_ctx *ctx, const struct addr *a, uint64_t now)
{
	char want[AUTH_NONCE_LEN + 1], n[AUTH_NONCE_LEN + 1];

	oracle(ctx, a, now, want);
	if (auth_nonce_make(ctx, a, now, n) != 0 || strcmp(n, want) != 0 ||
	    auth_nonce_make(ctx, a, now, n) != 0 || strcmp(n, want) != 0)
		return -1;
	if (check(ctx, n, a, now + 1) != AUTH_NONCE_VALID ||
	    check(ctx, n, a, now + 2) != AUTH_NONCE_VALID)
		return -1;
	return 0;
}

static void
test_memo(const struct addr *a)
{
	static const char *const clients[] = { "192.0.2.1", "192.0.2.9",
		"2001:db8::1", "2001:db8::1:0:0:1", "::ffff:192.0.2.1" };
	struct auth_ctx x, y;
	struct addr c;
	char n[AUTH_NONCE_LEN + 1], m[AUTH_NONCE_LEN + 1];
	int bad = 0, i, t;

	if (!ok(auth_ctx_init(&x, 0) == 0 && auth_ctx_init(&y, 0) == 0,
	    "two keys"))
		return;
	for (i = 0; i < 5; i++)
		for (t = 0; t < 40; t++) {
			addr_parse_ip(&c, clients[i], (uint16_t)(1000 + t % 3));
			bad += memo_round(t & 1 ? &x : &y, &c,
			    NOW + (uint64_t)(t / 4)) != 0;
		}
	is_int(bad, 0, "made and checked again and again, two keys in turn, "
	    "IPv4 and IPv6: every nonce the one recomputed from its parts");
	/* x's nonce, verified (so remembered), means nothing under y */
	auth_nonce_make(&x, a, NOW, n);
	is_int(check(&x, n, a, NOW), AUTH_NONCE_VALID, "x's nonce under x");
	is_int(check(&y, n, a, NOW), AUTH_NONCE_INVALID,
	    "x's nonce under y, right after: invalid");
	/* a key drawn again in place, within the same second */
	if (!ok(auth_ctx_init(&x, 0) == 0, "x's key drawn again"))
		goto out;
	auth_nonce_make(&x, a, NOW, m);
	oracle(&x, a, NOW, n);
	ok(strcmp(m, n) == 0, "the same client in the same second gets the "
	    "new key's nonce");
	auth_nonce_make(&y, a, NOW, n);
	is_int(check(&x, n, a, NOW), AUTH_NONCE_INVALID,
	    "y's nonce under the new x: invalid");
	oracle(&y, a, NOW, m);
	ok(strcmp(m, n) == 0, "... and y's own the one recomputed");
out:
	auth_ctx_clear(&x);
	auth_ctx_clear(&y);
}

#define MEMO_THREADS	4
#define MEMO_ROUNDS	500

struct memo_job {
	const struct auth_ctx *ctx;
	int id;
	int bad;
};

/* One worker of a shared context: its own clients, and the other
 * workers' nonces refused. */
static void *
memo_worker(void *arg)
{
	struct memo_job *j = arg;
	struct addr c, d;
	char n[AUTH_NONCE_LEN + 1];
	char ip[32];
	int r;

	for (r = 0; r < MEMO_ROUNDS; r++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", j->id + 1);
		addr_parse_ip(&c, ip, (uint16_t)(2000 + r % 5));
		snprintf(ip, sizeof(ip), "198.51.100.%d",
		    (j->id + 1) % MEMO_THREADS + 1);
		addr_parse_ip(&d, ip, (uint16_t)(2000 + r % 5));
		j->bad += memo_round(j->ctx, &c, NOW + (uint64_t)(r / 7)) != 0;
		auth_nonce_make(j->ctx, &c, NOW, n);
		j->bad += check(j->ctx, n, &d, NOW) != AUTH_NONCE_INVALID;
	}
	return NULL;
}

static void
test_memo_threads(const struct auth_ctx *ctx)
{
	static struct memo_job jobs[MEMO_THREADS];
	pthread_t t[MEMO_THREADS];
	int i, started = 0, bad = 0;

	for (i = 0; i < MEMO_THREADS; i++) {
		jobs[i].ctx = ctx;
		jobs[i].id = i;
		if (pthread_create(&t[i], NULL, memo_worker, &jobs[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += jobs[i].bad;
	}
	is_int(started, MEMO_THREADS, "%d threads share one context",
	    MEMO_THREADS);
	is_int(bad, 0, "%d rounds each: every nonce the one recomputed, no "
	    "other thread's client accepted", MEMO_ROUNDS);
}

static void
test_binding(const struct auth_ctx *ctx, const struct addr *a)
{
	struct addr b, c6, c6b;
	char n[AUTH_NONCE_LEN + 1], m[AUTH_NONCE_LEN + 1];
	struct auth_ctx other;

	auth_nonce_make(ctx, a, NOW, n);
	b = *a;
	addr_set_port(&b, (uint16_t)(addr_port(a) + 1));
	auth_nonce_make(ctx, &b, NOW, m);
	ok(strcmp(n, m) != 0, "two source ports, two nonces (§9.2.4)");
	is_int(check(ctx, n, &b, NOW), AUTH_NONCE_INVALID, "other port: invalid");
	addr_parse_ip(&b, "192.0.2.2", addr_port(a));
	is_int(check(ctx, n, &b, NOW), AUTH_NONCE_INVALID, "other IP: invalid");
	addr_parse_ip(&c6, "2001:db8::1", 5000);
	addr_parse_ip(&c6b, "2001:db8::2", 5000);
	auth_nonce_make(ctx, &c6, NOW, m);
	is_int(check(ctx, m, &c6, NOW), AUTH_NONCE_VALID, "IPv6 round trip");
	is_int(check(ctx, m, &c6b, NOW), AUTH_NONCE_INVALID, "other IPv6");
	is_int(check(ctx, m, a, NOW), AUTH_NONCE_INVALID, "IPv6 nonce from v4");
	/* another process (another key) does not accept ours */
	if (auth_ctx_init(&other, 0) != 0)
		return;
	is_int(check(&other, n, a, NOW), AUTH_NONCE_INVALID, "other key");
	auth_ctx_clear(&other);
	ok(ctx->stale_nonce == 600, "default stale-nonce 600");
}

static void
test_tamper(const struct auth_ctx *ctx, const struct addr *a)
{
	char n[AUTH_NONCE_LEN + 1], t[AUTH_NONCE_LEN + 1];
	size_t i, accepted = 0;

	auth_nonce_make(ctx, a, NOW, n);
	for (i = 0; i < AUTH_NONCE_LEN; i++) {
		memcpy(t, n, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		if (check(ctx, t, a, NOW) != AUTH_NONCE_INVALID)
			accepted++;
	}
	is_int(accepted, 0, "every one-character change is invalid");
	/* a later timestamp with the old MAC is refused (no extending) */
	memcpy(t, n, sizeof(t));
	t[13 + 1] = t[13 + 1] == 'z' ? 'y' : 'z';
	is_int(check(ctx, t, a, NOW), AUTH_NONCE_INVALID, "timestamp changed");
	is_int(auth_nonce_check(ctx, (const uint8_t *)n, 28, a, NOW),
	    AUTH_NONCE_INVALID, "truncated");
	memcpy(t, n, sizeof(t));
	t[20] = '+';
	is_int(check(ctx, t, a, NOW), AUTH_NONCE_INVALID, "'+' (not url)");
	is_int(check(ctx, "obMatJos2AAAB0123456789abcdef", a, NOW),
	    AUTH_NONCE_INVALID, "a hand-written nonce is not ours");
	is_int(check(ctx, "", a, NOW), AUTH_NONCE_INVALID, "empty");
}

static void
test_stale_custom(const struct addr *a)
{
	struct auth_ctx ctx;
	char n[AUTH_NONCE_LEN + 1];

	if (auth_ctx_init(&ctx, 30) != 0)
		return;
	auth_nonce_make(&ctx, a, NOW, n);
	is_int(check(&ctx, n, a, NOW + 30), AUTH_NONCE_VALID, "30 s window");
	is_int(check(&ctx, n, a, NOW + 31), AUTH_NONCE_STALE, "31 s stale");
	auth_ctx_clear(&ctx);
	is_int(check(&ctx, n, a, NOW), AUTH_NONCE_INVALID,
	    "wiped key checks nothing");
}

/* An Allocate with USERNAME user (or USERHASH uh), REALM, NONCE and MI
 * (and MI-SHA256 if mi256) under a key that is nobody's. */
static const struct stun_msg *
request(const char *user, const uint8_t *uh, const char *nonce, bool mi256)
{
	static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static uint8_t buf[512];
	static struct stun_msg m;
	struct stun_builder b;
	uint8_t key[16];
	size_t n;

	memset(key, 0x5a, sizeof(key));
	stun_builder_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_REQUEST,
	    tid);
	stun_add_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 0x11000000);
	if (user != NULL)
		stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
	else
		stun_add(&b, STUN_ATTR_USERHASH, uh, 32);
	stun_add(&b, STUN_ATTR_REALM, REALM, strlen(REALM));
	stun_add(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
	stun_add_integrity(&b, key, sizeof(key));
	if (mi256)
		stun_add_integrity_sha256(&b, key, sizeof(key));
	if ((n = stun_builder_finish(&b)) == 0 ||
	    stun_decode(&m, buf, n) != STUN_OK) {
		diag("could not build the request");
		exit(1);
	}
	return &m;
}

/* A credential set of nsecrets REST secrets (AUTH_MAX_SECRETS at most
 * are kept) and 1,000 static users user0000..user0999. */
static struct auth_creds *
many_creds(size_t nsecrets, size_t *added)
{
	struct auth_creds *c = auth_creds_new(REALM, 11, ':', 0, 0);
	char spec[64];
	size_t i;
	int n;

	*added = 0;
	for (i = 0; c != NULL && i < nsecrets; i++) {
		n = snprintf(spec, sizeof(spec), "secret-%zu", i);
		if (auth_creds_add_secret(c, spec, (size_t)n) == 0)
			(*added)++;
	}
	for (i = 0; c != NULL && i < 1000; i++) {
		n = snprintf(spec, sizeof(spec), "user%04zu:pw%zu", i, i);
		auth_creds_add_user(c, spec, (size_t)n);
	}
	if (c != NULL)
		auth_creds_seal(c);
	return c;
}

/* Nothing but the nonce's own MAC (one HMAC over 22 bytes) was done. */
static bool
nonce_only(const struct auth_cost *k)
{
	return k->nonce_checks == 1 && k->user_lookups == 0 &&
	    k->hash_probes == 0 && k->rest_hmacs == 0 &&
	    k->key_derivations == 0 && k->mi_checks == 0;
}

/* The requests of test_bad_nonce_cost(). */
enum { MADE_UP, NO_COOKIE, THEIRS, STALE, LIVE };
static const struct bad_nonce {
	const char *what, *user;	/* user NULL: USERHASH */
	int nonce;
	bool mi256;
	enum auth_reason why;
} bad_nonces[] = {
	{ "made-up nonce, REST name", "1735689600:alice", MADE_UP,
	    false, AUTH_R_BAD_NONCE },
	{ "made-up nonce, MI and MI-SHA256", "1735689600:alice",
	    MADE_UP, true, AUTH_R_BAD_NONCE },
	{ "made-up nonce, static user", "user0500", MADE_UP, false,
	    AUTH_R_BAD_NONCE },
	{ "made-up nonce, USERHASH", NULL, MADE_UP, false,
	    AUTH_R_BAD_NONCE },
	{ "nonce without the cookie", "1735689600:alice", NO_COOKIE,
	    false, AUTH_R_BAD_NONCE },
	{ "another client's nonce", "1735689600:alice", THEIRS, false,
	    AUTH_R_BAD_NONCE },
	{ "stale nonce, REST name", "1735689600:alice", STALE, false,
	    AUTH_R_STALE_NONCE },
	{ "stale nonce, USERHASH", NULL, STALE, false,
	    AUTH_R_STALE_NONCE },
};

/*
 * A made-up, foreign or stale NONCE with MESSAGE-INTEGRITY: 438 at the
 * cost of the nonce's MAC, with no user lookup, no REST HMAC, no key
 * derivation and no HMAC over the message, however many secrets and users
 * there are; through auth_check_or_want_key() (an outside store) too.
 */
static void
test_bad_nonce_cost(const struct auth_ctx *ctx, const struct addr *a,
    size_t nsecrets)
{
	char nonces[LIVE + 1][AUTH_NONCE_LEN + 1];
	const struct stun_msg *m;
	struct auth_result res;
	const uint8_t *name;
	struct auth_creds *c;
	struct addr other;
	uint8_t uh[32];
	size_t i, added, len;

	c = many_creds(nsecrets, &added);
	if (!ok(c != NULL && auth_creds_nusers(c) == 1000 && added ==
	    (nsecrets < AUTH_MAX_SECRETS ? nsecrets : AUTH_MAX_SECRETS),
	    "%zu secrets asked, %zu kept; 1,000 static users", nsecrets,
	    added))
		goto out;
	auth_userhash("user0500", 8, REALM, 11, uh);
	snprintf(nonces[MADE_UP], sizeof(nonces[0]), "%s",
	    "obMatJos2AAABAAAAAAAAAAAAAAAA");
	snprintf(nonces[NO_COOKIE], sizeof(nonces[0]), "%s", "garbage");
	other = *a;
	addr_set_port(&other, (uint16_t)(addr_port(a) + 1));
	auth_nonce_make(ctx, &other, NOW, nonces[THEIRS]);
	auth_nonce_make(ctx, a, NOW - 601, nonces[STALE]);
	auth_nonce_make(ctx, a, NOW, nonces[LIVE]);
	for (i = 0; i < sizeof(bad_nonces) / sizeof(bad_nonces[0]); i++) {
		m = request(bad_nonces[i].user, uh, nonces[bad_nonces[i].nonce],
		    bad_nonces[i].mi256);
		auth_check(ctx, c, m, a, NOW, &res);
		ok(res.verdict == AUTH_STALE && res.reason == bad_nonces[i].why &&
		    res.key_len == 0 && nonce_only(&res.cost),
		    "%zu secrets, %s: 438 %s after the nonce's MAC alone "
		    "(lookups %u, REST HMACs %u, keys %u, MI %u)", added,
		    bad_nonces[i].what, auth_reason_name(res.reason),
		    res.cost.user_lookups, res.cost.rest_hmacs,
		    res.cost.key_derivations, res.cost.mi_checks);
		ok(!auth_check_or_want_key(ctx, c, m, a, NOW, &res, &name,
		    &len) && res.verdict == AUTH_STALE &&
		    nonce_only(&res.cost), "%zu secrets, %s: the same with an "
		    "outside store", added, bad_nonces[i].what);
	}
	/* the control: a live nonce does the work, once per secret, so the
	 * counters above would have counted it */
	auth_check(ctx, c, request("1735689600:alice", NULL, nonces[LIVE],
	    false), a, NOW, &res);
	ok(res.verdict == AUTH_UNAUTHENTICATED && res.reason ==
	    AUTH_R_BAD_INTEGRITY && res.cost.rest_hmacs == added &&
	    res.cost.key_derivations == added && res.cost.mi_checks == added,
	    "%zu secrets, live nonce, wrong key: 401 after %u REST HMACs, %u "
	    "keys, %u MI checks", added, res.cost.rest_hmacs,
	    res.cost.key_derivations, res.cost.mi_checks);
out:
	auth_creds_free(c);
}

int
main(void)
{
	struct auth_ctx ctx;
	struct addr a;

	if (crypto_init() != 0 || auth_ctx_init(&ctx, 0) != 0)
		return 1;
	addr_parse_ip(&a, "192.0.2.1", 40000);
	test_format(&ctx, &a);
	test_roundtrip(&ctx, &a);
	test_binding(&ctx, &a);
	test_tamper(&ctx, &a);
	test_stale_custom(&a);
	test_memo(&a);
	test_memo_threads(&ctx);
	test_bad_nonce_cost(&ctx, &a, 1);
	test_bad_nonce_cost(&ctx, &a, 10);
	test_bad_nonce_cost(&ctx, &a, 100);
	auth_ctx_clear(&ctx);
	return tap_done();
}
