/* SPDX-License-Identifier: ISC */
/*
 * soak_stream: the tcp and tls flooders (soak_flood.h). Each keeps a pool
 * of non-blocking connections from SOAK_STREAM_SOURCES local addresses:
 *
 *   held slots   opened once, then left alone until ternd closes them
 *                (its idle timeout, its handshake timeout, its caps);
 *                reopened at once, so they always stall ternd;
 *   churn slots  reset (SO_LINGER 0, no TIME_WAIT) and reopened round
 *                robin as fast as the loop goes, all from four source
 *                addresses, so that those sources run into ternd's
 *                per-IP connection cap.
 *
 * Once connected, a slot sends one of four stalls, by slot number:
 * nothing; one byte; the first part of a frame whose rest never comes (a
 * STUN header announcing a body, or, on the TLS port, a record header and
 * the first bytes of a ClientHello); a bare header. Whatever ternd sends
 * back is read and dropped; EOF or a reset counts as closed by ternd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client.h"
#include "soak_flood.h"

#define HOLD		384	/* held slots */
#define CHURN		256	/* churned slots */
#define SLOTS		(HOLD + CHURN)
#define CHURN_SOURCES	4
#define OPEN_PER_ROUND	64
#define RESET_PER_ROUND	32
#define POLL_MS		1
#define MAX_ROUNDS	100000000ULL	/* a bound besides the deadline */

struct slot {
	int fd;
	bool connected;
};

struct stream {
	struct soak_flood *f;
	enum soak_flood_kind kind;
	struct soak_flood_stats *st;
	const struct addr *dst;
	uint8_t net3;			/* 198.19.<net3>.0/24: the sources */
	uint64_t rng;
	unsigned next_churn;
	struct slot s[SLOTS];
	struct pollfd pfd[SLOTS];
};

static void
slot_close(struct stream *x, size_t i, bool reset)
{
	struct linger l = { 1, 0 };

	if (x->s[i].fd == -1)
		return;
	if (reset)
		(void)setsockopt(x->s[i].fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(x->s[i].fd);
	if (x->s[i].connected)
		atomic_fetch_sub(&x->st->held, 1);
	x->s[i].fd = -1;
	x->s[i].connected = false;
}

/* The source address of slot i. */
static void
slot_source(const struct stream *x, size_t i, struct sockaddr_in *sin)
{
	unsigned host = i < HOLD ? (unsigned)(i % SOAK_STREAM_SOURCES) :
	    (unsigned)((i - HOLD) % CHURN_SOURCES);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xC6130000u | (uint32_t)x->net3 << 8 |
	    (1 + host));
}

static void
slot_open(struct stream *x, size_t i)
{
	struct sockaddr_in src;
	int fd, one = 1;

	atomic_fetch_add(&x->st->sent, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		atomic_fetch_add(&x->st->errors, 1);
		return;
	}
	/* The port is chosen at connect, per 4-tuple: no bind-time limit. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	slot_source(x, i, &src);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    (connect(fd, &x->dst->u.sa, addr_len(x->dst)) == -1 &&
	    errno != EINPROGRESS)) {
		atomic_fetch_add(&x->st->errors, 1);
		close(fd);
		return;
	}
	x->s[i].fd = fd;
	x->s[i].connected = false;
}

/* The stall slot i sends once connected. */
static void
slot_stall(struct stream *x, size_t i)
{
	static const uint8_t stun_hdr[20] = { 0x00, 0x03, 0x01, 0x00,
	    0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t chan_hdr[4] = { 0x40, 0x00, 0x04, 0x00 };
	static const uint8_t tls_rec[5] = { 0x16, 0x03, 0x01, 0x02, 0x00 };
	static const uint8_t tls_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
	    0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
	uint8_t buf[64];
	size_t len = 0, k;
	bool tls = x->kind == SOAK_FLOOD_TLS;

	switch (i % 4) {
	case 0:
		return;		/* nothing at all */
	case 1:
		buf[0] = tls ? 0x16 : 0x00;
		len = 1;
		break;
	case 2:		/* a frame's first part; the rest never comes */
		for (k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)soak_rand(&x->rng);
		if (tls)
			memcpy(buf, tls_hello, sizeof(tls_hello));
		else
			memcpy(buf, stun_hdr, 8);
		len = sizeof(buf);
		break;
	default:	/* a bare header */
		if (tls) {
			memcpy(buf, tls_rec, sizeof(tls_rec));
			len = sizeof(tls_rec);
		} else {
			memcpy(buf, chan_hdr, sizeof(chan_hdr));
			len = sizeof(chan_hdr);
		}
		break;
	}
	(void)send(x->s[i].fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
slot_connected(struct stream *x, size_t i)
{
	unsigned held, max;

	x->s[i].connected = true;
	atomic_fetch_add(&x->st->established, 1);
	held = atomic_fetch_add(&x->st->held, 1) + 1;
	max = atomic_load(&x->st->held_max);
	while (held > max && !atomic_compare_exchange_weak(&x->st->held_max, &max, held))
		;
	slot_stall(x, i);
}

/* One slot's poll result. */
static void
slot_event(struct stream *x, size_t i, short rev)
{
	uint8_t buf[4096];
	socklen_t sl = sizeof(int);
	ssize_t n;
	int err = 0;

	if (!x->s[i].connected) {
		if ((rev & (POLLOUT | POLLERR | POLLHUP)) == 0)
			return;
		if (getsockopt(x->s[i].fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			atomic_fetch_add(&x->st->errors, 1);
			slot_close(x, i, true);
			return;
		}
		slot_connected(x, i);
		return;
	}
	if ((rev & (POLLIN | POLLERR | POLLHUP)) == 0)
		return;
	do {
		n = recv(x->s[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
	} while (n > 0);
	if (n == 0 || errno != EAGAIN) {
		atomic_fetch_add(&x->st->closed, 1);
		slot_close(x, i, true);
	}
}

/* One round: reopen empty slots, reset some churn slots, poll. */
static void
stream_round(struct stream *x)
{
	size_t i, opened = 0, k;
	int n;

	for (i = 0; i < SLOTS && opened < OPEN_PER_ROUND; i++)
		if (x->s[i].fd == -1) {
			slot_open(x, i);
			opened++;
		}
	for (k = 0; k < RESET_PER_ROUND; k++) {
		i = HOLD + x->next_churn;
		x->next_churn = (x->next_churn + 1) % CHURN;
		if (x->s[i].connected)
			slot_close(x, i, true);
	}
	for (i = 0; i < SLOTS; i++) {
		x->pfd[i].fd = x->s[i].fd;
		x->pfd[i].events = x->s[i].connected ? POLLIN : POLLOUT;
		x->pfd[i].revents = 0;
	}
	if ((n = poll(x->pfd, SLOTS, POLL_MS)) <= 0)
		return;
	for (i = 0; i < SLOTS; i++)
		if (x->pfd[i].fd != -1 && x->pfd[i].revents != 0)
			slot_event(x, i, x->pfd[i].revents);
}

void
soak_stream_run(struct soak_flood *f, enum soak_flood_kind k)
{
	struct stream *x;
	uint64_t round;
	size_t i;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		atomic_fetch_add(&f->st[k].errors, 1);
		return;
	}
	x->f = f;
	x->kind = k;
	x->st = &f->st[k];
	x->dst = k == SOAK_FLOOD_TLS ? &f->tgt.tls4 : &f->tgt.tcp4;
	x->net3 = k == SOAK_FLOOD_TLS ? 1 : 0;
	soak_rand_seed(&x->rng);
	for (i = 0; i < SLOTS; i++)
		x->s[i].fd = -1;
	for (round = 0; round < MAX_ROUNDS && !atomic_load(&f->stop) &&
	    client_now_ms() < f->tgt.deadline_ms; round++)
		stream_round(x);
	for (i = 0; i < SLOTS; i++)
		slot_close(x, i, true);
	free(x);
}
