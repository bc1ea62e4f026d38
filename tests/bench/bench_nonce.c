/* SPDX-License-Identifier: ISC */
/*
 * bench_nonce: what one request costs the TURN engine, in-process and
 * deterministic, so that it can be counted in instructions
 * (scripts/nonce-cost runs it under callgrind; docs/security.md,
 * Credentials):
 *     bench_nonce KIND N
 * KIND is one of
 *   binding   a Binding request, 20 bytes, no attributes: the success;
 *   garbage   an Allocate of 200 bytes with a REST USERNAME, REALM, a
 *             made-up NONCE with our cookie and feature set, MI under a
 *             made-up key and FINGERPRINT (as tests/integration/
 *             test_defence_nonce.c sends): the 438 with a fresh NONCE;
 *   valid     a Refresh of an allocation, signed with the user's key
 *             (MI, FINGERPRINT): the success, signed (one nonce check,
 *             one user lookup, one MI check, one MI signature).
 * The N requests are built first; then each goes through
 * bench_nonce_input(), the one function callgrind counts
 * (--toggle-collect=bench_nonce_input), and its answer is checked
 * afterwards. Exit status 0 when every answer was the expected one.
 * The engine is set up as ternd's for the flood test: unauthenticated
 * and failed-credential budgets far above N, so no request is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "scenario/scn.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "util/crypto.h"

#define BENCH_MAX	100000
#define BENCH_REQ	200	/* bytes of a garbage request */
#define BENCH_CLIENT	"198.51.100.7:40000"

enum bench_kind {
	B_BINDING,
	B_GARBAGE,
	B_VALID,
};

struct bench_pkt {
	uint8_t buf[BENCH_REQ + 64];
	size_t len;
};

/* The one function counted: a request through the engine (noipa: no
 * clone under another name, which callgrind would not find). */
__attribute__((noipa)) static void
bench_nonce_input(struct turn_engine *e, const struct turn_tuple *t,
    const struct bench_pkt *p, uint64_t now, struct turn_out *out)
{
	turn_engine_input(e, t, p->buf, p->len, now, out);
}

/* 29 characters that look like our NONCE and are not one. */
static void
garbage_nonce(uint8_t out[AUTH_NONCE_LEN])
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t r[AUTH_NONCE_LEN];
	size_t plen = AUTH_NONCE_COOKIE_LEN + 4, i;

	crypto_random(r, sizeof(r));
	memcpy(out, AUTH_NONCE_COOKIE "AAAB", plen);
	for (i = plen; i < AUTH_NONCE_LEN; i++)
		out[i] = (uint8_t)b64url[r[i] & 63];
}

/* The garbage Allocate, with soft bytes of SOFTWARE (none if 0). */
static size_t
build_garbage(struct scn *s, struct bench_pkt *p, size_t soft)
{
	static const uint8_t udp[4] = { 17, 0, 0, 0 };
	uint8_t tid[STUN_TID_LEN], nonce[AUTH_NONCE_LEN], key[16];
	uint8_t pad[BENCH_REQ];
	char user[64];
	struct stun_builder b;

	snprintf(user, sizeof(user), "%llu:mallory",
	    (unsigned long long)(s->now / 1000 + 3600));
	crypto_random(tid, sizeof(tid));
	crypto_random(key, sizeof(key));
	garbage_nonce(nonce);
	memset(pad, 'x', sizeof(pad));
	stun_builder_init(&b, p->buf, sizeof(p->buf), STUN_ALLOCATE,
	    STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if (soft > 0)
		stun_add(&b, STUN_ATTR_SOFTWARE, pad,
		    soft < sizeof(pad) ? soft : sizeof(pad));
	stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
	stun_add(&b, STUN_ATTR_REALM, SCN_REALM, strlen(SCN_REALM));
	stun_add(&b, STUN_ATTR_NONCE, nonce, sizeof(nonce));
	stun_add_integrity(&b, key, sizeof(key));
	stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

/* A Refresh of c's allocation, signed with its key. */
static size_t
build_valid(struct scn_client *c, struct bench_pkt *p)
{
	static const uint8_t lifetime[4] = { 0, 0, 0x02, 0x58 };	/* 600 */
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	crypto_random(tid, sizeof(tid));
	stun_builder_init(&b, p->buf, sizeof(p->buf), STUN_REFRESH,
	    STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_LIFETIME, lifetime, sizeof(lifetime));
	stun_add(&b, STUN_ATTR_USERNAME, c->user, strlen(c->user));
	stun_add(&b, STUN_ATTR_REALM, SCN_REALM, strlen(SCN_REALM));
	stun_add(&b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
	stun_add_integrity(&b, c->key, sizeof(c->key));
	stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

static size_t
build_binding(struct bench_pkt *p)
{
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	crypto_random(tid, sizeof(tid));
	stun_builder_init(&b, p->buf, sizeof(p->buf), STUN_BINDING,
	    STUN_REQUEST, tid);
	return stun_builder_finish(&b);
}

/* Whether the answer is the one a request of kind k must get. */
static int
answer_ok(enum bench_kind k, const struct scn_client *c, const uint8_t *resp,
    size_t len)
{
	const struct stun_attr *a;
	const uint8_t *reason;
	struct stun_msg m;
	size_t rlen;
	int code;

	if (len == 0 || stun_decode(&m, resp, len) != STUN_OK)
		return 0;
	if (k != B_GARBAGE)
		return m.cls == STUN_SUCCESS && (k == B_BINDING ||
		    stun_check_integrity(&m, c->key, sizeof(c->key)) == 1);
	return m.cls == STUN_ERROR &&
	    (a = stun_msg_attr(&m, STUN_ATTR_ERROR_CODE)) != NULL &&
	    stun_attr_error(a, &code, &reason, &rlen) == 0 && code == 438 &&
	    stun_msg_attr(&m, STUN_ATTR_NONCE) != NULL;
}

/* Sets up the engine and, for valid, alice's allocation. 0 or -1. */
static int
setup(struct scn *s, struct scn_client *c, enum bench_kind k)
{
	if (scn_init(s, 0, 0, 0, 0, 0) != 0)
		return -1;
	s->opts.unauth_rate = 1000000;
	s->opts.unauth_burst = 500000;
	s->opts.auth_failure_limit = 8000;
	s->opts.budget_entries = 0;	/* ternd's default */
	if (scn_restart(s) != 0)
		return -1;
	scn_client_static(c, "alice", "secret", BENCH_CLIENT);
	c->fp = true;
	if (k == B_VALID && scn_allocate(s, c, NULL) != 0)
		return -1;
	return 0;
}

static int
run(enum bench_kind k, size_t n)
{
	struct bench_pkt *p;
	struct scn_client c;
	struct turn_out out;
	struct scn s;
	struct timespec t0, t1;
	uint8_t resp[SCN_BUF];
	size_t i, soft, good = 0;
	double ns = 0;

	if ((p = calloc(n, sizeof(*p))) == NULL || setup(&s, &c, k) != 0) {
		free(p);
		return -1;
	}
	/* SOFTWARE takes what is left to BENCH_REQ (a multiple of 4) */
	soft = BENCH_REQ - 4 - build_garbage(&s, &p[0], 0);
	for (i = 0; i < n; i++)
		p[i].len = k == B_BINDING ? build_binding(&p[i]) :
		    k == B_GARBAGE ? build_garbage(&s, &p[i], soft) :
		    build_valid(&c, &p[i]);
	for (i = 0; i < n; i++) {
		memset(&out, 0, sizeof(out));
		out.buf = resp;
		out.cap = sizeof(resp);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		bench_nonce_input(s.e, &c.t, &p[i], s.now, &out);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns += (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		    (double)(t1.tv_nsec - t0.tv_nsec);
		good += (size_t)answer_ok(k, &c, resp, out.len);
	}
	/* the time is a figure of this run on this machine, no more */
	printf("%s: %zu requests of %zu bytes, %zu answered as expected; "
	    "%.0f ns a request\n", k == B_BINDING ? "binding" :
	    k == B_GARBAGE ? "garbage" : "valid", n, p[0].len, good, ns / n);
	free(p);
	scn_free(&s);
	return good == n ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	static const char *const names[] = { "binding", "garbage", "valid" };
	char *end;
	long n;
	int k;

	if (argc != 3)
		goto usage;
	for (k = 0; k < 3; k++)
		if (strcmp(argv[1], names[k]) == 0)
			break;
	n = strtol(argv[2], &end, 10);
	if (k == 3 || *end != '\0' || n < 1 || n > BENCH_MAX)
		goto usage;
	return run((enum bench_kind)k, (size_t)n) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: bench_nonce binding|garbage|valid N (N at "
	    "most %d)\n", BENCH_MAX);
	return 2;
}
