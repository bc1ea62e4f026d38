/* SPDX-License-Identifier: ISC */
/*
 * The worker's send queue. A relayed datagram (RFC 8656 §11.3, §12.5,
 * §12.6) is not sent when the engine hands it over: it waits in the queue,
 * pointing into the receive slot it was read into, and the queue leaves
 * with one sendmmsg() per socket at the end of the loop iteration
 * (net_worker.c), or sooner when the slots run out (net_udp_recv), the
 * queue is full, a socket in it is about to close (net_relay.c), or a
 * datagram that is not in a slot must go out at once. So every datagram
 * peers send to a worker's allocations in one iteration leaves through the
 * worker's listener socket in one system call.
 *
 * Order: a socket's datagrams leave in the order they were queued; a
 * datagram sent at once goes after everything queued before it. A full
 * socket buffer (EAGAIN) drops the rest of that socket's datagrams, any
 * other error the one datagram refused; both are counted as send_failed
 * (tern_dropped_packets_total) and the worker never waits. What was sent
 * is counted once per flush from plain per-worker counters.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "net/net_int.h"

static bool
net_tx_in_slot(const struct net_worker *w, const uint8_t *data, size_t len)
{
	const uint8_t *lo = w->rxbuf, *hi = w->rxbuf +
	    (size_t)NET_RX_SLOTS * NET_UDP_SLOT;

	return data >= lo && data < hi && len <= (size_t)(hi - data);
}

/* The counters of a flush, into the metrics (once, not per datagram). */
static void
net_tx_count(struct net_worker *w)
{
	struct net_tx *q = &w->tx;
	unsigned d;

	for (d = 0; d < 2; d++) {
		if (q->pkts[d] == 0)
			continue;
		metrics_count(w->mw, METRICS_RELAYED_PACKETS, d, q->pkts[d]);
		metrics_count(w->mw, METRICS_RELAYED_BYTES, d, q->bytes[d]);
		q->pkts[d] = q->bytes[d] = 0;
	}
	if (q->failed != 0)
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, q->failed);
	q->failed = 0;
}

static void
net_tx_sent(struct net_tx *q, unsigned from, unsigned to)
{
	const struct net_tx_ent *e;

	for (; from < to; from++) {
		e = &q->e[q->grp[from]];
		q->pkts[e->dir]++;
		q->bytes[e->dir] += e->counted;
	}
}

/* msgs[0..n) on fd, as far as the socket takes them. */
static void
net_tx_group(struct net_tx *q, int fd, unsigned n)
{
	unsigned done = 0;
	int k;

	while (done < n) {
		k = sendmmsg(fd, q->msgs + done, n - done, MSG_DONTWAIT);
		if (k > 0) {
			net_tx_sent(q, done, done + (unsigned)k);
			done += (unsigned)k;
		} else if (k == -1 && errno == EINTR)
			continue;
		else if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)) {
			q->failed += n - done;	/* full: never wait */
			return;
		} else {
			q->failed++;	/* this one datagram was refused */
			done++;
		}
	}
}

void
net_tx_flush(struct net_worker *w)
{
	struct net_tx *q = &w->tx;
	struct net_tx_ent *e;
	struct msghdr *h;
	unsigned i, j, k;
	int fd;

	for (i = 0; i < q->n; i++) {
		if ((fd = q->e[i].fd) == -1)
			continue;	/* left with an earlier socket's */
		for (j = i, k = 0; j < q->n; j++) {
			e = &q->e[j];
			if (e->fd != fd)
				continue;
			h = &q->msgs[k].msg_hdr;
			h->msg_name = &e->to.sa;
			h->msg_namelen = e->tolen;
			h->msg_iov = &e->iov;
			h->msg_iovlen = 1;
			h->msg_control = NULL;
			h->msg_controllen = 0;
			h->msg_flags = 0;
			q->grp[k++] = (uint8_t)j;
			e->fd = -1;
		}
		net_tx_group(q, fd, k);
	}
	q->n = 0;
	net_tx_count(w);
}

int
net_tx_send(struct net_worker *w, int fd, const struct addr *to,
    const uint8_t *data, size_t len, int dir, size_t counted)
{
	struct net_tx *q = &w->tx;
	struct net_tx_ent *e;
	socklen_t tolen = addr_len(to);

	if (dir >= 0 && net_tx_in_slot(w, data, len) &&
	    tolen <= sizeof(e->to)) {
		if (q->n == NET_TX_MAX)
			net_tx_flush(w);
		e = &q->e[q->n++];
		e->iov.iov_base = (void *)(uintptr_t)data;
		e->iov.iov_len = len;
		e->fd = fd;
		e->dir = (uint8_t)dir;
		e->counted = (uint32_t)counted;
		e->tolen = tolen;
		memcpy(&e->to, &to->u.ss, tolen);
		return 0;
	}
	if (q->n > 0)
		net_tx_flush(w);
	if (sendto(fd, data, len, MSG_DONTWAIT, &to->u.sa, tolen) == -1) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return -1;
	}
	if (dir >= 0) {
		metrics_count(w->mw, METRICS_RELAYED_PACKETS, (unsigned)dir, 1);
		metrics_count(w->mw, METRICS_RELAYED_BYTES, (unsigned)dir,
		    counted);
	}
	return 0;
}
