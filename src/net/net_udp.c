/* SPDX-License-Identifier: ISC */
/*
 * UDP: datagrams are read in batches with recvmmsg() into the worker's
 * buffers, each one is handed to the engine, and the reply (if any) is sent
 * with sendto() from the same socket, so it leaves from the address the
 * request arrived on (RFC 8489 §6.3.3). No allocation, no lock and no log
 * per datagram; what the engine drops is counted by reason.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "net/net_int.h"

/*
 * Resets the batch's headers: recvmmsg() overwrites the lengths. Each
 * datagram lands NET_UDP_HEADROOM bytes into its slot; relay sockets
 * (net_relay.c) use the same batch and need that room in front.
 */
void
net_udp_prepare(struct net_worker *w)
{
	size_t i;

	for (i = 0; i < NET_UDP_BATCH; i++) {
		w->iov[i].iov_base = w->rxbuf + i * NET_UDP_SLOT +
		    NET_UDP_HEADROOM;
		w->iov[i].iov_len = NET_UDP_BUFSZ;
		memset(&w->msgs[i], 0, sizeof(w->msgs[i]));
		w->msgs[i].msg_hdr.msg_name = &w->from[i];
		w->msgs[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static void
net_udp_one(struct net_listener *l, struct mmsghdr *m, uint64_t now)
{
	struct net_worker *w = l->w;
	struct turn_tuple t;
	struct turn_out out;
	const struct msghdr *h = &m->msg_hdr;
	ssize_t r;

	/* A datagram cut by the buffer is not the message that was sent. */
	if ((h->msg_flags & MSG_TRUNC) || h->msg_namelen > sizeof(t.client.u.ss) ||
	    h->msg_namelen == 0) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS, METRICS_DROP_TOO_BIG,
		    1);
		return;
	}
	memset(&t, 0, sizeof(t));
	memcpy(&t.client.u.ss, h->msg_name, h->msg_namelen);
	t.local = l->addr;
	t.transport = TURN_UDP;
	memset(&out, 0, sizeof(out));
	out.buf = w->txbuf;
	out.cap = NET_OUT_CAP;
	net_input(w, &t, h->msg_iov->iov_base, m->msg_len, now, &out);
	if (out.len == 0 || out.len > out.cap)
		return;
	r = sendto(l->fd, out.buf, out.len, MSG_DONTWAIT, h->msg_name,
	    h->msg_namelen);
	if (r == -1)
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
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
	uint64_t now;
	int round, n, i;

	(void)what;
	for (round = 0; round < NET_UDP_ROUNDS; round++) {
		net_udp_prepare(w);
		n = recvmmsg(fd, w->msgs, NET_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;	/* EAGAIN, or an ICMP error queued on the socket */
		now = net_now_ms();
		for (i = 0; i < n; i++)
			net_udp_one(l, &w->msgs[i], now);
		if (n < NET_UDP_BATCH)
			break;
	}
}
