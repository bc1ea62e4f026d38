/* SPDX-License-Identifier: ISC */
/*
 * turn_ports: the relay port pool shared by all workers.
 *
 * One atomic state byte per port and family (a port number is free or not
 * per relay IP family: an IPv4 and an IPv6 relay may share a number). A
 * search starts at a random port (RFC 8656 §7.2 SHOULD, §21.1.7: random
 * relay ports make TURN loops and port guessing harder) and claims a port
 * with a compare-and-swap, so workers never lock each other out.
 *
 * EVEN-PORT with R=1 (§7.2, §18.7): N (even) and N+1 are claimed
 * together; N+1 is held under an 8-byte RESERVATION-TOKEN for
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

#define PORT_FREE	0
#define PORT_USED	1
#define PORT_RESERVED	2
#define TURN_MAX_RESERVATIONS 256

struct turn_resv {
	uint8_t token[TURN_RESERVATION_TOKEN_LEN];
	uint64_t expires;	/* ms; 0 = slot empty */
	int fam;
	uint16_t port;
};

struct turn_ports {
	uint16_t min, max;
	size_t n;
	_Atomic uint8_t *state[2];	/* per family, n entries */
	pthread_mutex_t mu;
	struct turn_resv resv[TURN_MAX_RESERVATIONS];
};

struct turn_ports *
turn_ports_new(uint16_t min, uint16_t max)
{
	struct turn_ports *p;
	size_t i;

	if (min == 0 && max == 0) {
		min = 49152;
		max = 65535;
	}
	if (min == 0 || min > max)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->min = min;
	p->max = max;
	p->n = (size_t)max - min + 1;
	for (i = 0; i < 2; i++) {
		p->state[i] = calloc(p->n, sizeof(*p->state[i]));
		if (p->state[i] == NULL) {
			turn_ports_free(p);
			return NULL;
		}
	}
	return p;
}

void
turn_ports_free(struct turn_ports *p)
{
	if (p == NULL)
		return;
	free(p->state[0]);
	free(p->state[1]);
	pthread_mutex_destroy(&p->mu);
	crypto_wipe(p->resv, sizeof(p->resv));
	free(p);
}

static bool
turn_ports_claim(struct turn_ports *p, int fi, size_t i, uint8_t to)
{
	uint8_t want = PORT_FREE;

	return atomic_compare_exchange_strong(&p->state[fi][i], &want, to);
}

int
turn_ports_take(struct turn_ports *p, int family, bool even,
    bool reserve_next, uint16_t *port)
{
	uint32_t r = 0;
	size_t k, i, start;
	int fi = turn_fam_index(family);

	if (fi < 0)
		return -1;
	(void)crypto_random(&r, sizeof(r));
	start = r % p->n;
	for (k = 0; k < p->n; k++) {
		i = (start + k) % p->n;
		if (even && ((p->min + i) & 1) != 0)
			continue;
		if (reserve_next && i + 1 >= p->n)
			continue;
		if (atomic_load(&p->state[fi][i]) != PORT_FREE ||
		    !turn_ports_claim(p, fi, i, PORT_USED))
			continue;
		if (reserve_next && !turn_ports_claim(p, fi, i + 1,
		    PORT_RESERVED)) {
			atomic_store(&p->state[fi][i], PORT_FREE);
			continue;
		}
		*port = (uint16_t)(p->min + i);
		return 0;
	}
	return -1;
}

void
turn_ports_release(struct turn_ports *p, int family, uint16_t port)
{
	int fi = turn_fam_index(family);

	if (p == NULL || fi < 0 || port < p->min || port > p->max)
		return;
	atomic_store(&p->state[fi][port - p->min], PORT_FREE);
}

size_t
turn_ports_available(struct turn_ports *p, int family)
{
	int fi = turn_fam_index(family);
	size_t i, n = 0;

	if (fi < 0)
		return 0;
	for (i = 0; i < p->n; i++)
		if (atomic_load(&p->state[fi][i]) == PORT_FREE)
			n++;
	return n;
}

int
turn_ports_reserve(struct turn_ports *p, int family, uint16_t port,
    uint64_t now_ms, uint8_t token[TURN_RESERVATION_TOKEN_LEN])
{
	size_t i;
	int rc = -1;

	if (crypto_random(token, TURN_RESERVATION_TOKEN_LEN) != 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < TURN_MAX_RESERVATIONS; i++) {
		if (p->resv[i].expires != 0)
			continue;
		memcpy(p->resv[i].token, token, TURN_RESERVATION_TOKEN_LEN);
		p->resv[i].expires = now_ms + TURN_RESERVATION_HOLD * 1000ull;
		p->resv[i].fam = family;
		p->resv[i].port = port;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int
turn_ports_redeem(struct turn_ports *p,
    const uint8_t token[TURN_RESERVATION_TOKEN_LEN], uint64_t now_ms,
    int *family, uint16_t *port)
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
		*port = r->port;
		atomic_store(&p->state[turn_fam_index(r->fam)][r->port -
		    p->min], PORT_USED);
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
		turn_ports_release(p, r->fam, r->port);
		memset(r, 0, sizeof(*r));
	}
	pthread_mutex_unlock(&p->mu);
}
