/* SPDX-License-Identifier: ISC */
/*
 * turn_ports: the relay address pool shared by all workers: every relay
 * IP of a family times the port range (a relayed transport address is
 * (relay IP index, port), RFC 8656 §7.2 step 6), and what each relay IP
 * is advertised as (external-ip).
 *
 * One bit per address and family, taken (in use or reserved) or free, in
 * 64-bit words claimed with a compare-and-swap, so workers never lock
 * each other out; an IPv4 and an IPv6 relay may share a port number. Each
 * relay IP's ports fill whole words (the bits past the range stay taken),
 * so a port's parity is its bit's. A second level, one bit per word that
 * is full, lets a search skip 64 full words at a time: with 99 % of
 * addresses taken a search reads a few words, not a walk through the
 * range. That level is a hint, never trusted: a claim re-reads the word.
 *
 * A search starts at a random address (RFC 8656 §7.2 SHOULD, §21.1.7:
 * random relay ports make TURN loops and port guessing harder) and takes
 * the first free one after it, across every relay IP of the family.
 *
 * EVEN-PORT with R=1 (§7.2, §18.7): N (even) and N+1 are claimed together
 * in one word; N+1 is held under an 8-byte RESERVATION-TOKEN for
 * TURN_RESERVATION_HOLD seconds (at least 30 s). The token table is small,
 * fixed and mutex-protected (allocation creation is off the data path).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

#define TURN_MAX_RESERVATIONS	256
#define TURN_PORTS_MAX_IPS	1024	/* relay IPs per family */
#define TURN_EVEN_BITS		0x5555555555555555ull	/* bits 0, 2, ... */

struct turn_resv {
	uint8_t token[TURN_RESERVATION_TOKEN_LEN];
	uint64_t expires;	/* ms; 0 = slot empty */
	int fam;
	unsigned ip;
	uint16_t port;
};

/* One family: nip relay IPs of wpi words each. */
struct turn_pool {
	unsigned nip;
	size_t nwords;			/* nip * wpi */
	_Atomic uint64_t *bits;		/* 1 = taken */
	_Atomic uint64_t *full;		/* hint: 1 = that word is full */
	struct addr *ext;		/* nip: advertised IP, or AF_UNSPEC */
};

struct turn_ports {
	uint16_t min, max;
	size_t n;			/* ports per relay IP */
	size_t wpi;			/* words per relay IP */
	struct turn_pool pool[2];	/* [TURN_FAM_V4], [TURN_FAM_V6] */
	pthread_mutex_t mu;
	struct turn_resv resv[TURN_MAX_RESERVATIONS];
};

static int
turn_pool_init(struct turn_ports *p, struct turn_pool *q, unsigned nip)
{
	size_t w, i, tail = p->n % 64;

	q->nip = nip == 0 ? 1 : nip;
	q->nwords = q->nip * p->wpi;
	q->bits = calloc(q->nwords, sizeof(*q->bits));
	q->full = calloc((q->nwords + 63) / 64, sizeof(*q->full));
	q->ext = calloc(q->nip, sizeof(*q->ext));
	if (q->bits == NULL || q->full == NULL || q->ext == NULL)
		return -1;
	if (tail == 0)
		return 0;
	/* the bits past max in each relay IP's last word: never free */
	for (i = 0; i < q->nip; i++) {
		w = i * p->wpi + p->wpi - 1;
		atomic_store(&q->bits[w], ~0ull << tail);
	}
	return 0;
}

struct turn_ports *
turn_ports_new_ips(uint16_t min, uint16_t max, unsigned nip4, unsigned nip6)
{
	struct turn_ports *p;

	if (min == 0 && max == 0) {
		min = 49152;
		max = 65535;
	}
	if (min == 0 || min > max || nip4 > TURN_PORTS_MAX_IPS ||
	    nip6 > TURN_PORTS_MAX_IPS)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->min = min;
	p->max = max;
	p->n = (size_t)max - min + 1;
	p->wpi = (p->n + 63) / 64;
	if (turn_pool_init(p, &p->pool[TURN_FAM_V4], nip4) == -1 ||
	    turn_pool_init(p, &p->pool[TURN_FAM_V6], nip6) == -1) {
		turn_ports_free(p);
		return NULL;
	}
	return p;
}

struct turn_ports *
turn_ports_new(uint16_t min, uint16_t max)
{
	return turn_ports_new_ips(min, max, 1, 1);
}

void
turn_ports_free(struct turn_ports *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < 2; i++) {
		free(p->pool[i].bits);
		free(p->pool[i].full);
		free(p->pool[i].ext);
	}
	pthread_mutex_destroy(&p->mu);
	crypto_wipe(p->resv, sizeof(p->resv));
	free(p);
}

static struct turn_pool *
turn_ports_pool(struct turn_ports *p, int family)
{
	int fi = turn_fam_index(family);

	return p == NULL || fi < 0 ? NULL : &p->pool[fi];
}

int
turn_ports_set_external(struct turn_ports *p, int family, unsigned ip,
    const struct addr *adv)
{
	struct turn_pool *q = turn_ports_pool(p, family);

	if (q == NULL || ip >= q->nip || (addr_family(adv) != AF_UNSPEC &&
	    addr_family(adv) != family))
		return -1;
	q->ext[ip] = *adv;
	addr_set_port(&q->ext[ip], 0);
	return 0;
}

const struct addr *
turn_ports_external(struct turn_ports *p, int family, unsigned ip)
{
	struct turn_pool *q = turn_ports_pool(p, family);

	if (q == NULL || ip >= q->nip || addr_family(&q->ext[ip]) != family)
		return NULL;
	return &q->ext[ip];
}

/* Word w became full, or may have: the hint follows; re-read so that a
 * release that raced with it is never hidden. */
static void
turn_pool_mark_full(struct turn_pool *q, size_t w)
{
	const uint64_t sb = 1ull << (w % 64);

	atomic_fetch_or(&q->full[w / 64], sb);
	if (atomic_load(&q->bits[w]) != ~0ull)
		atomic_fetch_and(&q->full[w / 64], ~sb);
}

/* The free bits of word w usable for the request (a pair: the bit of N
 * for a free N and N+1 in the word). */
static uint64_t
turn_pool_candidates(const struct turn_ports *p, uint64_t taken, bool even,
    bool pair)
{
	uint64_t free = ~taken;

	if (even || pair)	/* bit b of a word is port min + 64k + b */
		free &= (p->min & 1) == 0 ? TURN_EVEN_BITS : ~TURN_EVEN_BITS;
	if (pair)
		free &= ~taken >> 1 & ~(1ull << 63);
	return free;
}

/* Claims a usable bit of word w at or after bit `from`: its bit number,
 * or -1 when there is none. */
static int
turn_pool_claim(struct turn_ports *p, struct turn_pool *q, size_t w,
    unsigned from, bool even, bool pair)
{
	uint64_t old = atomic_load(&q->bits[w]), c, want;
	int b;

	for (;;) {
		c = turn_pool_candidates(p, old, even, pair) &
		    (~0ull << from);
		if (c == 0)
			return -1;
		b = __builtin_ctzll(c);
		want = old | 1ull << b | (pair ? 2ull << b : 0);
		if (atomic_compare_exchange_weak(&q->bits[w], &old, want))
			break;
	}
	if (want == ~0ull)
		turn_pool_mark_full(q, w);
	return b;
}

/* The next word at or after w (cyclic) that the hint says is not full,
 * within *left words (which it lowers by the words skipped), or nwords. */
static size_t
turn_pool_next(const struct turn_pool *q, size_t w, size_t *left)
{
	uint64_t f;
	size_t skip;

	while (*left > 0) {
		f = ~atomic_load(&q->full[w / 64]) & (~0ull << (w % 64));
		skip = f != 0 ? (size_t)__builtin_ctzll(f) - w % 64 : 64;
		if (f != 0 && w + skip < q->nwords) {
			if (skip >= *left)
				break;
			*left -= skip;
			return w + skip;
		}
		/* none in this hint word: on to the next, or round */
		skip = 64 - w % 64;
		if (w + skip > q->nwords)
			skip = q->nwords - w;
		if (skip >= *left)
			break;
		*left -= skip;
		w += skip;
		if (w >= q->nwords)
			w = 0;
	}
	return q->nwords;
}

/* A random 64-bit value: unpredictable (RFC 8656 §21.1.7), drawn from
 * the CSPRNG 32 at a time per thread, as a call costs microseconds. */
static uint64_t
turn_ports_random(void)
{
	static _Thread_local uint64_t buf[32];
	static _Thread_local size_t left;

	if (left == 0) {
		if (crypto_random(buf, sizeof(buf)) != 0)
			return 0;	/* a fixed start, still a free port */
		left = sizeof(buf) / sizeof(buf[0]);
	}
	return buf[--left];
}

int
turn_ports_take(struct turn_ports *p, int family, bool even,
    bool reserve_next, unsigned *ip, uint16_t *port)
{
	struct turn_pool *q = turn_ports_pool(p, family);
	uint64_t r;
	size_t w, start, left;
	unsigned from;
	int b;

	if (q == NULL)
		return -1;
	r = turn_ports_random();
	w = (size_t)(r % q->nwords);
	from = (unsigned)(r >> 58);	/* a random first bit, then whole words */
	left = q->nwords + 1;		/* the first word twice: before from */
	while ((w = turn_pool_next(q, start = w, &left)) < q->nwords) {
		if (w != start)	/* `from` is for the first word alone */
			from = 0;
		b = turn_pool_claim(p, q, w, from, even, reserve_next);
		from = 0;
		if (b >= 0) {
			*ip = (unsigned)(w / p->wpi);
			*port = (uint16_t)(p->min + (w % p->wpi) * 64 + b);
			return 0;
		}
		left--;
		if (++w == q->nwords)
			w = 0;
	}
	return -1;
}

void
turn_ports_release(struct turn_ports *p, int family, unsigned ip,
    uint16_t port)
{
	struct turn_pool *q = turn_ports_pool(p, family);
	size_t off, w;

	if (q == NULL || ip >= q->nip || port < p->min || port > p->max)
		return;
	off = (size_t)port - p->min;
	w = ip * p->wpi + off / 64;
	atomic_fetch_and(&q->bits[w], ~(1ull << (off % 64)));
	atomic_fetch_and(&q->full[w / 64], ~(1ull << (w % 64)));
}

size_t
turn_ports_available(struct turn_ports *p, int family)
{
	struct turn_pool *q = turn_ports_pool(p, family);
	size_t w, n = 0;

	if (q == NULL)
		return 0;
	for (w = 0; w < q->nwords; w++)
		n += (size_t)__builtin_popcountll(~atomic_load(&q->bits[w]));
	return n;
}

size_t
turn_ports_capacity(struct turn_ports *p, int family)
{
	struct turn_pool *q = turn_ports_pool(p, family);

	return q == NULL ? 0 : q->nip * p->n;
}

int
turn_ports_reserve(struct turn_ports *p, int family, unsigned ip,
    uint16_t port, uint64_t now_ms, uint8_t token[TURN_RESERVATION_TOKEN_LEN])
{
	struct turn_resv *r;
	size_t i;
	int rc = -1;

	if (crypto_random(token, TURN_RESERVATION_TOKEN_LEN) != 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < TURN_MAX_RESERVATIONS; i++) {
		r = &p->resv[i];
		if (r->expires != 0)
			continue;
		memcpy(r->token, token, TURN_RESERVATION_TOKEN_LEN);
		r->expires = now_ms + TURN_RESERVATION_HOLD * 1000ull;
		r->fam = family;
		r->ip = ip;
		r->port = port;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* The reserved address stays taken: it becomes the allocation's. */
int
turn_ports_redeem(struct turn_ports *p,
    const uint8_t token[TURN_RESERVATION_TOKEN_LEN], uint64_t now_ms,
    int *family, unsigned *ip, uint16_t *port)
{
	struct turn_resv *r;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < TURN_MAX_RESERVATIONS; i++) {
		r = &p->resv[i];
		if (r->expires == 0 || r->expires <= now_ms ||
		    !crypto_equal(r->token, token, TURN_RESERVATION_TOKEN_LEN))
			continue;
		*family = r->fam;
		*ip = r->ip;
		*port = r->port;
		memset(r, 0, sizeof(*r));
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void
turn_ports_sweep(struct turn_ports *p, uint64_t now_ms)
{
	struct turn_resv *r;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < TURN_MAX_RESERVATIONS; i++) {
		r = &p->resv[i];
		if (r->expires == 0 || r->expires > now_ms)
			continue;
		turn_ports_release(p, r->fam, r->ip, r->port);
		memset(r, 0, sizeof(*r));
	}
	pthread_mutex_unlock(&p->mu);
}
