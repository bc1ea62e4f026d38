/* SPDX-License-Identifier: ISC */
/*
 * UDP: datagrams are read in batches with recvmmsg() into the worker's
 * receive slots, each one is handed to the engine, and the reply (if any)
 * is sent from the same socket, so it leaves from the address the request
 * arrived on (RFC 8489 §6.3.3); relayed ChannelData leaves through the
 * send queue (net_tx.c). No allocation, no lock and no log per datagram;
 * what the engine drops is counted by reason.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "net/net_int.h"

void
net_udp_slots_init(struct net_worker *w)
{
	struct msghdr *h;
	unsigned i;

	for (i = 0; i < NET_RX_SLOTS; i++) {
		w->iov[i].iov_base = w->rxbuf + (size_t)i * NET_UDP_SLOT +
		    NET_UDP_HEADROOM;
		w->iov[i].iov_len = NET_UDP_BUFSZ;
		w->rx_tuple[i].transport = TURN_UDP;
		w->rx_tuple[i].conn = 0;
		h = &w->msgs[i].msg_hdr;
		memset(h, 0, sizeof(*h));
		h->msg_name = &w->rx_tuple[i].client.u.ss;
		h->msg_iov = &w->iov[i];
		h->msg_iovlen = 1;
	}
}

/*
 * Each datagram lands NET_UDP_HEADROOM bytes into its slot; relay sockets
 * (net_relay.c) use the same slots and need that room in front. Only the
 * name lengths need resetting: recvmmsg() overwrites them.
 */
int
net_udp_recv(struct net_worker *w, int fd, unsigned *first)
{
	unsigned i;

	if (NET_RX_SLOTS - w->rx_used < NET_UDP_BATCH) {
		net_tx_flush(w);
		w->rx_used = 0;
	}
	*first = w->rx_used;
	for (i = *first; i < *first + NET_UDP_BATCH; i++)
		w->msgs[i].msg_hdr.msg_namelen =
		    sizeof(w->rx_tuple[i].client.u.ss);
	return recvmmsg(fd, w->msgs + *first, NET_UDP_BATCH, MSG_DONTWAIT,
	    NULL);
}

static void
net_udp_one(struct net_listener *l, unsigned slot, uint64_t now)
{
	struct net_worker *w = l->w;
	struct turn_tuple *t = &w->rx_tuple[slot];
	const struct mmsghdr *m = &w->msgs[slot];
	struct turn_out out = { .buf = w->txbuf, .cap = NET_OUT_CAP };

	/* A datagram cut by the buffer is not the message that was sent. */
	if ((m->msg_hdr.msg_flags & MSG_TRUNC) ||
	    m->msg_hdr.msg_namelen > sizeof(t->client.u.ss) ||
	    m->msg_hdr.msg_namelen == 0) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS, METRICS_DROP_TOO_BIG,
		    1);
		return;
	}
	/* the client's address is in place; the local one is the
	 * listener's (only its sockaddr part is ever read) */
	memcpy(&t->local.u.ss, &l->addr.u.ss, l->addrlen);
	net_input(w, t, w->iov[slot].iov_base, m->msg_len, now, &out);
	if (out.len == 0 || out.len > out.cap)
		return;
	(void)net_tx_send(w, l->fd, &t->client, out.buf, out.len, -1, 0);
}

/*
 * The UDP listener a client talks to (tuple.local), for client_send(). A
 * linear scan: a worker has one UDP socket per listening address, a
 * handful in practice.
 */
struct net_listener *
net_udp_listener(struct net_worker *w, const struct addr *local)
{
	size_t i;

	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].proto == NET_UDP &&
		    addr_equal(&w->listeners[i].addr, local, true))
			return &w->listeners[i];
	return NULL;
}

void
net_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;
	struct net_worker *w = l->w;
	unsigned first;
	uint64_t now;
	int round, n, i;

	(void)what;
	for (round = 0; round < NET_UDP_ROUNDS; round++) {
		n = net_udp_recv(w, fd, &first);
		if (n <= 0)
			break;	/* EAGAIN, or an ICMP error queued on the socket */
		w->rx_used += (unsigned)n;
		now = net_now_ms();
		for (i = 0; i < n; i++)
			net_udp_one(l, first + (unsigned)i, now);
		if (n < NET_UDP_BATCH)
			break;
	}
}
