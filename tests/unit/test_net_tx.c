/* SPDX-License-Identifier: ISC */
/*
 * The worker's send queue (net_tx.c) and its doorbells (net_bell.c), on
 * loopback sockets: a batch of datagrams from two sockets to four
 * destinations waits for the flush, then every one arrives, each
 * destination's in the order queued and from the socket it was queued
 * on, and the relayed counters count them; a datagram that is not in a
 * receive slot goes out at once after the queue; a datagram the socket
 * refuses costs only itself, a burst to one destination leaves as one
 * GSO train and arrives as the datagrams queued, and a full socket
 * buffer (EAGAIN) drops the rest of that socket's datagrams and counts
 * them as send_failed instead of waiting. A bell rung from another thread runs its callback on the
 * loop's thread, once for rings that came before the loop looked.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_int.h"
#include "tap.h"

#define NDST	4
#define NMSG	48

static struct metrics *m;

/* A UDP socket on 127.0.0.1 with its address. */
static int
udp_open(struct addr *a)
{
	socklen_t sl = sizeof(a->u.ss);
	int fd;

	memset(a, 0, sizeof(*a));
	a->u.sin.sin_family = AF_INET;
	a->u.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, &a->u.sa, sizeof(a->u.sin)) == -1 ||
	    getsockname(fd, &a->u.sa, &sl) == -1)
		return -1;
	return fd;
}

/* The next datagram on fd within a second: its length (-1: none) and the
 * sender's port. */
static ssize_t
udp_recv(int fd, uint8_t *buf, size_t cap, uint16_t *port)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return -1;
	n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	*port = ntohs(from.sin_port);
	return n;
}

static struct net_worker *
worker_new(void)
{
	struct net_worker *w = calloc(1, sizeof(*w));

	if (w == NULL ||
	    (w->rxbuf = calloc(NET_RX_SLOTS, NET_UDP_SLOT)) == NULL)
		abort();
	w->mw = metrics_worker(m, 0);
	return w;
}

static uint8_t *
slot(struct net_worker *w, unsigned i)
{
	return w->rxbuf + (size_t)i * NET_UDP_SLOT + NET_UDP_HEADROOM;
}

static int64_t
counted(unsigned id, unsigned l0)
{
	return metrics_value(m, id, l0, 0);
}

static void
test_batch(void)
{
	struct net_worker *w = worker_new();
	struct addr dst[NDST], src[2];
	int dfd[NDST], sfd[2], i, d, k, f, last[2], bad = 0, got = 0;
	uint8_t buf[2048];
	uint16_t port;
	ssize_t n;
	int64_t pkts0 = counted(METRICS_RELAYED_PACKETS,
	    METRICS_PEER_TO_CLIENT);
	int64_t bytes0 = counted(METRICS_RELAYED_BYTES, METRICS_PEER_TO_CLIENT);

	for (i = 0; i < NDST; i++)
		dfd[i] = udp_open(&dst[i]);
	sfd[0] = udp_open(&src[0]);
	sfd[1] = udp_open(&src[1]);
	/* datagram i: to destination i % 4, from socket (i / 4) % 2 */
	for (i = 0; i < NMSG; i++) {
		memset(slot(w, (unsigned)i), i, 100 + i);
		is_int(net_tx_send(w, sfd[(i / NDST) % 2], &dst[i % NDST],
		    slot(w, (unsigned)i), 100 + (size_t)i,
		    METRICS_PEER_TO_CLIENT, 10), 0, "queued %d", i);
	}
	is_int(w->tx.n, NMSG, "all %d wait in the queue", NMSG);
	ok(recv(dfd[0], buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
	    errno == EAGAIN, "nothing left before the flush");
	net_tx_flush(w);
	is_int(w->tx.n, 0, "the flush empties the queue");
	/* a flow is one socket to one destination: its datagrams keep
	 * their order (two sockets are two flows, with no order between) */
	for (d = 0; d < NDST; d++) {
		last[0] = last[1] = -1;
		for (k = 0; k < NMSG / NDST; k++) {
			if ((n = udp_recv(dfd[d], buf, sizeof(buf), &port)) <= 0)
				break;
			got++;
			i = (int)n - 100;
			f = port == addr_port(&src[1]);
			if (i % NDST != d || buf[0] != (uint8_t)i ||
			    port != addr_port(&src[(i / NDST) % 2]) ||
			    i <= last[f])
				bad++;
			last[f] = i;
		}
	}
	is_int(got, NMSG, "every datagram arrived");
	is_int(bad, 0, "each whole, to its destination, from the socket it "
	    "was queued on, in order");
	is_int(counted(METRICS_RELAYED_PACKETS, METRICS_PEER_TO_CLIENT) -
	    pkts0, NMSG, "relayed packets counted once each");
	is_int(counted(METRICS_RELAYED_BYTES, METRICS_PEER_TO_CLIENT) - bytes0,
	    NMSG * 10, "relayed bytes: the payload given");

	/* not in a slot: leaves at once, after what was queued before it */
	memcpy(slot(w, 0), "first", 5);
	net_tx_send(w, sfd[0], &dst[0], slot(w, 0), 5, METRICS_CLIENT_TO_PEER,
	    5);
	net_tx_send(w, sfd[0], &dst[0], (const uint8_t *)"second", 6, -1, 0);
	is_int(w->tx.n, 0, "a datagram from elsewhere flushes the queue");
	n = udp_recv(dfd[0], buf, sizeof(buf), &port);
	ok(n == 5 && memcmp(buf, "first", 5) == 0, "the queued one first");
	n = udp_recv(dfd[0], buf, sizeof(buf), &port);
	ok(n == 6 && memcmp(buf, "second", 6) == 0, "then the direct one");

	for (i = 0; i < NDST; i++)
		close(dfd[i]);
	close(sfd[0]);
	close(sfd[1]);
	free(w->rxbuf);
	free(w);
}

/*
 * A burst to one destination leaves as a GSO train (UDP_SEGMENT): the
 * receiver still gets every datagram as it was queued, a shorter one
 * ending a train and the next starting another.
 */
static void
test_train(void)
{
	struct net_worker *w = worker_new();
	struct addr dst, src;
	int dfd = udp_open(&dst), sfd = udp_open(&src), i, bad = 0;
	static const size_t len[12] = { 500, 500, 500, 500, 500, 500, 500,
	    500, 500, 500, 200, 500 };
	uint8_t buf[2048];
	uint16_t port;
	ssize_t n;

	for (i = 0; i < 12; i++) {
		memset(slot(w, (unsigned)i), 'a' + i, len[i]);
		net_tx_send(w, sfd, &dst, slot(w, (unsigned)i), len[i],
		    METRICS_PEER_TO_CLIENT, len[i]);
	}
	net_tx_flush(w);
	for (i = 0; i < 12; i++) {
		n = udp_recv(dfd, buf, sizeof(buf), &port);
		if (n != (ssize_t)len[i] || buf[0] != 'a' + i ||
		    buf[n - 1] != 'a' + i || port != addr_port(&src))
			bad++;
	}
	is_int(bad, 0, "a train: twelve datagrams, each whole and in order");
	ok(recv(dfd, buf, sizeof(buf), MSG_DONTWAIT) == -1,
	    "a train: nothing more");
	close(dfd);
	close(sfd);
	free(w->rxbuf);
	free(w);
}

/* A datagram the kernel refuses (an IPv6 destination on an IPv4 socket)
 * is dropped alone: the ones after it still leave. */
static void
test_refused(void)
{
	struct net_worker *w = worker_new();
	struct addr dst, src, v6;
	int dfd = udp_open(&dst), sfd = udp_open(&src), i, got = 0;
	int64_t failed0 = counted(METRICS_DROPPED_PACKETS,
	    METRICS_DROP_SEND_FAILED);
	uint8_t buf[64];
	uint16_t port;

	memset(&v6, 0, sizeof(v6));
	v6.u.sin6.sin6_family = AF_INET6;
	v6.u.sin6.sin6_addr = in6addr_loopback;
	v6.u.sin6.sin6_port = htons(9);
	for (i = 0; i < 5; i++)
		net_tx_send(w, sfd, i == 2 ? &v6 : &dst, slot(w, (unsigned)i),
		    8, METRICS_CLIENT_TO_PEER, 8);
	net_tx_flush(w);
	for (i = 0; i < 4; i++)
		if (udp_recv(dfd, buf, sizeof(buf), &port) == 8)
			got++;
	is_int(got, 4, "the four others arrived");
	ok(recv(dfd, buf, sizeof(buf), MSG_DONTWAIT) == -1,
	    "and nothing else");
	is_int(counted(METRICS_DROPPED_PACKETS, METRICS_DROP_SEND_FAILED) -
	    failed0, 1, "the refused one counted as send_failed");
	close(dfd);
	close(sfd);
	free(w->rxbuf);
	free(w);
}

/*
 * A full socket buffer: a datagram socket pair whose sender may hold a
 * few kilobytes unread (AF_UNIX charges a datagram to its sender until it
 * is read). The flush never waits: what did not fit is counted.
 */
static void
test_full(void)
{
	struct net_worker *w = worker_new();
	struct addr none;
	int sp[2], small = 4096, i, got = 0;
	int64_t failed0 = counted(METRICS_DROPPED_PACKETS,
	    METRICS_DROP_SEND_FAILED);
	int64_t sent0 = counted(METRICS_RELAYED_PACKETS,
	    METRICS_CLIENT_TO_PEER);
	uint8_t buf[2048];

	memset(&none, 0, sizeof(none));	/* AF_UNSPEC: the pair's peer */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sp) == -1 ||
	    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)) == -1)
		abort();
	/* growing sizes: no train, one sendmmsg of twenty */
	for (i = 0; i < 20; i++)
		net_tx_send(w, sp[0], &none, slot(w, (unsigned)i),
		    900 + 10 * (size_t)i, METRICS_CLIENT_TO_PEER, 1000);
	net_tx_flush(w);
	while (recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		got++;
	ok(got > 0 && got < 20, "some fit, not all (%d of 20)", got);
	is_int(counted(METRICS_RELAYED_PACKETS, METRICS_CLIENT_TO_PEER) -
	    sent0, got, "the ones that left counted as relayed");
	is_int(counted(METRICS_DROPPED_PACKETS, METRICS_DROP_SEND_FAILED) -
	    failed0, 20 - got, "the rest counted as send_failed");
	close(sp[0]);
	close(sp[1]);
	free(w->rxbuf);
	free(w);
}

struct bell_test {
	struct event_base *base;
	struct net_bell *bell;
	int bit_count, bit_stop;
	int runs;
	pthread_t ran_on;
};

static void
bell_count(void *arg)
{
	struct bell_test *t = arg;

	t->runs++;
	t->ran_on = pthread_self();
}

static void
bell_stop(void *arg)
{
	struct bell_test *t = arg;

	event_base_loopbreak(t->base);
}

static void *
bell_ringer(void *arg)
{
	struct bell_test *t = arg;

	net_bell_ring(t->bell, t->bit_count);
	net_bell_ring(t->bell, t->bit_count);
	net_bell_ring(t->bell, t->bit_stop);
	return NULL;
}

static void
test_bell(void)
{
	struct bell_test t;
	struct timeval limit = { 5, 0 };
	pthread_t th;

	memset(&t, 0, sizeof(t));
	t.base = event_base_new();
	t.bell = net_bell_new(t.base);
	ok(t.bell != NULL, "bell: new");
	t.bit_count = net_bell_add(t.bell, bell_count, &t);
	t.bit_stop = net_bell_add(t.bell, bell_stop, &t);
	ok(t.bit_count == 0 && t.bit_stop == 1, "bell: two bits");
	/* rung before the loop runs: both rings of one bit run it once */
	pthread_create(&th, NULL, bell_ringer, &t);
	pthread_join(th, NULL);
	event_base_loopexit(t.base, &limit);	/* a deadline, not a wait */
	event_base_dispatch(t.base);
	is_int(t.runs, 1, "bell: two rings before the loop looked, one run");
	ok(pthread_equal(t.ran_on, pthread_self()),
	    "bell: the callback ran on the loop's thread");
	net_bell_ring(t.bell, 99);	/* no such bit: nothing */
	net_bell_free(t.bell);
	event_base_free(t.base);
}

int
main(void)
{
	const char *why = NULL;

	if ((m = metrics_tern_new(1, &why)) == NULL)
		abort();
	test_batch();
	test_train();
	test_refused();
	test_full();
	test_bell();
	metrics_free(m);
	return tap_done();
}
