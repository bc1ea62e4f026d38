/* SPDX-License-Identifier: ISC */
/*
 * 10,000 random mutations of valid Binding requests over UDP
 * (docs/security.md, Attack catalogue: malformed input): each gets no
 * answer or a well-formed STUN response whose TID is one we sent; ternd
 * keeps answering, and its memory stays flat (VmRSS after a warm-up batch
 * vs after the run).
 *
 *   test_mutations TERND [SEED]     (the seed is printed for replay)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "util/buf.h"

#define MUT_TOTAL	10000
#define MUT_WARMUP	1000
#define MUT_BATCH	50
#define MUT_DRAIN_MS	40	/* quiet time that ends a batch's drain */
#define MUT_MAXLEN	160
#if defined(__SANITIZE_ADDRESS__)
#define MUT_RSS_KIB	(16 * 1024)	/* ASan's quarantine keeps freed memory */
#else
#define MUT_RSS_KIB	(2 * 1024)
#endif

static uint64_t prng;

/* xorshift64*: reproducible from the printed seed. */
static uint32_t
rnd(void)
{
	prng ^= prng >> 12;
	prng ^= prng << 25;
	prng ^= prng >> 27;
	return (uint32_t)((prng * 2685821657736338717ULL) >> 32);
}

struct sent {
	uint8_t tid[STUN_TID_LEN];
};

struct stats {
	unsigned answered, undecodable, foreign;
};

static size_t
mut_base(uint8_t *buf, size_t cap, uint8_t *tid)
{
	struct stun_builder b;
	uint32_t v = rnd();

	client_tid_new(tid);
	stun_builder_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	if (v & 1)
		stun_add(&b, STUN_ATTR_SOFTWARE, "tern mutation", 13);
	if (v & 2)
		stun_add_u32(&b, STUN_ATTR_PRIORITY, v);
	if (v & 4)
		stun_add(&b, 0xC0DE, "opt", 3);
	if (v & 8)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

/* One to four edits: bit flips, byte stores, truncation, extension,
 * length-field and type rewrites. */
static size_t
mut_apply(uint8_t *p, size_t len)
{
	unsigned k, edits = 1 + rnd() % 4;

	for (k = 0; k < edits; k++) {
		switch (rnd() % 6) {
		case 0:
			if (len > 0)
				p[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			if (len > 0)
				p[rnd() % len] = (uint8_t)rnd();
			break;
		case 2:
			len = len > 0 ? rnd() % len : 0;
			break;
		case 3:
			while (len < MUT_MAXLEN && (rnd() % 8) != 0)
				p[len++] = (uint8_t)rnd();
			break;
		case 4:
			if (len >= 4)
				buf_put_u16(p + 2, (uint16_t)(rnd() % 2 ? rnd() : len - 20 + rnd() % 9 - 4));
			break;
		default:
			if (len >= 2)
				buf_put_u16(p, (uint16_t)rnd());
			break;
		}
	}
	return len;
}

/* Every TID sent in the run: a reply late by any number of batches (a
 * loaded machine) still finds its request, so a reply whose TID was never
 * sent can only be a reply ternd corrupted. */
static struct sent sent_all[MUT_WARMUP + MUT_TOTAL];
static size_t nsent;

/* A reply must decode as a response and carry a TID we sent. */
static void
mut_check_reply(const uint8_t *p, long n, struct stats *st)
{
	struct stun_msg m;
	size_t i;

	st->answered++;
	if (stun_decode(&m, p, (size_t)n) != STUN_OK ||
	    (m.cls != STUN_SUCCESS && m.cls != STUN_ERROR)) {
		st->undecodable++;
		return;
	}
	for (i = nsent; i-- > 0;)
		if (memcmp(sent_all[i].tid, m.tid, STUN_TID_LEN) == 0)
			return;
	st->foreign++;
}

static int
mut_run(struct client *c, unsigned count, struct stats *st)
{
	uint8_t msg[MUT_MAXLEN], reply[1500];
	unsigned done = 0, i;
	size_t len;
	long n;

	while (done < count) {
		for (i = 0; i < MUT_BATCH && done < count; i++, done++) {
			len = mut_base(msg, sizeof(msg), sent_all[nsent].tid);
			len = mut_apply(msg, len);
			if (len >= 20 && nsent < sizeof(sent_all) / sizeof(sent_all[0]))
				memcpy(sent_all[nsent++].tid, msg + 8, STUN_TID_LEN);
			(void)client_send_raw(c, msg, len);
		}
		while ((n = client_recv_raw(c, reply, sizeof(reply), MUT_DRAIN_MS)) > 0 ||
		    n == CLIENT_E_ARG)
			if (n > 0)
				mut_check_reply(reply, n, st);
		if (n != CLIENT_E_TIMEOUT)
			return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct harness_opts o = { 0 };
	struct client_binding res;
	struct stats st = { 0, 0, 0 };
	struct client *c = NULL;
	struct harness h;
	long rss0, rss1;
	int64_t t0;

	if (argc < 2)
		return 2;
	prng = argc > 2 ? strtoull(argv[2], NULL, 10) :
	    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (prng == 0)
		prng = 1;
	diag("seed %llu (replay: test_mutations TERND %llu)", (unsigned long long)prng,
	    (unsigned long long)prng);
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started") ||
	    !ok(harness_client(&h, CLIENT_UDP, &c) == 0, "UDP socket"))
		goto out;
	t0 = client_now_ms();
	ok(mut_run(c, MUT_WARMUP, &st) == 0, "warm-up batch of %d", MUT_WARMUP);
	rss0 = harness_rss_kib(h.pid);
	ok(mut_run(c, MUT_TOTAL, &st) == 0, "%d mutations sent and drained", MUT_TOTAL);
	rss1 = harness_rss_kib(h.pid);
	diag("%u replies, %lld ms, VmRSS %ld -> %ld KiB", st.answered,
	    (long long)(client_now_ms() - t0), rss0, rss1);
	is_int(st.undecodable, 0, "every reply decodes as a STUN response");
	is_int(st.foreign, 0, "every reply carries a TID we sent");
	ok(rss0 > 0 && rss1 > 0 && rss1 - rss0 < MUT_RSS_KIB,
	    "memory is flat (%ld KiB growth, bound %d)", rss1 - rss0, MUT_RSS_KIB);
	ok(client_binding(c, 3000, &res) == 0, "a valid Binding is still answered");
	ok(addr_equal(&res.mapped, client_local(c), true), "with the right mapped address");
	client_free(c);
	c = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(c);
	harness_fini(&h);
	return tap_done();
}
