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

#include <netinet/in.h>
#include <netinet/udp.h>
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

/* What messages msgs[from..to) carried left: count them. */
static void
net_tx_sent(struct net_tx *q, unsigned from, unsigned to)
{
	const struct net_tx_ent *e;
	unsigned x;

	for (; from < to; from++)
		for (x = q->mfirst[from]; x < q->mfirst[from] + q->mcount[from];
		    x++) {
			e = &q->e[q->grp[x]];
			q->pkts[e->dir]++;
			q->bytes[e->dir] += e->counted;
		}
}

static unsigned
net_tx_left(const struct net_tx *q, unsigned from, unsigned to)
{
	unsigned n = 0;

	for (; from < to; from++)
		n += q->mcount[from];
	return n;
}

/*
 * A train the kernel refused whole: its datagrams one by one. A kernel
 * without UDP GSO (before Linux 4.18) gets no more trains from this
 * worker; EINVAL (a segment larger than the path's MTU allows) only
 * costs this train.
 */
static void
net_tx_unsegment(struct net_tx *q, int fd, unsigned m, int err)
{
	const struct msghdr *h = &q->msgs[m].msg_hdr;
	const struct net_tx_ent *e;
	unsigned x;

	if (err != EINVAL)
		q->no_gso = true;
	for (x = q->mfirst[m]; x < q->mfirst[m] + q->mcount[m]; x++) {
		e = &q->e[q->grp[x]];
		if (sendto(fd, e->iov.iov_base, e->iov.iov_len, MSG_DONTWAIT,
		    h->msg_name, h->msg_namelen) == -1) {
			q->failed++;
			continue;
		}
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
			/* full: never wait */
			q->failed += net_tx_left(q, done, n);
			return;
		} else if (q->mcount[done] > 1)
			net_tx_unsegment(q, fd, done++, errno);
		else {
			q->failed++;	/* this one datagram was refused */
			done++;
		}
	}
}

static bool
net_tx_same_to(const struct net_tx_ent *a, const struct net_tx_ent *b)
{
	return a->tolen == b->tolen && memcmp(&a->to, &b->to, a->tolen) == 0;
}

/*
 * How many of grp[i..k) leave as one train (UDP GSO, Linux's UDP_SEGMENT:
 * the kernel cuts one send into datagrams of the first one's size): the
 * same destination, all of the first's size but the last, which may be
 * shorter. A peer that sends a burst to its client, or a client to its
 * peer, is relayed as one train.
 */
static unsigned
net_tx_run(const struct net_tx *q, unsigned i, unsigned k)
{
	const struct net_tx_ent *first = &q->e[q->grp[i]], *e;
	size_t seg = first->iov.iov_len, total = seg;
	unsigned j;

	if (q->no_gso || seg > NET_TX_GSO_SEG || seg == 0)
		return 1;
	for (j = i + 1; j < k; j++) {
		e = &q->e[q->grp[j]];
		if (e->iov.iov_len > seg || e->iov.iov_len == 0 ||
		    total + e->iov.iov_len > NET_TX_GSO_BYTES ||
		    !net_tx_same_to(first, e))
			break;
		total += e->iov.iov_len;
		if (e->iov.iov_len < seg)
			return j + 1 - i;	/* a shorter one ends it */
	}
	return j - i;
}

/* The messages for grp[0..k) in msgs: how many. */
static unsigned
net_tx_build(struct net_tx *q, unsigned k)
{
	struct msghdr *h;
	struct cmsghdr *c;
	unsigned i, m, run;
	uint16_t seg;

	for (i = 0; i < k; i++)
		q->iov[i] = q->e[q->grp[i]].iov;
	for (i = 0, m = 0; i < k; i += run, m++) {
		run = net_tx_run(q, i, k);
		h = &q->msgs[m].msg_hdr;
		h->msg_name = &q->e[q->grp[i]].to.sa;
		h->msg_namelen = q->e[q->grp[i]].tolen;
		h->msg_iov = &q->iov[i];
		h->msg_iovlen = run;
		h->msg_control = NULL;
		h->msg_controllen = 0;
		h->msg_flags = 0;
		q->mfirst[m] = (uint8_t)i;
		q->mcount[m] = (uint8_t)run;
		if (run == 1)
			continue;
		h->msg_control = q->cm[m].buf;
		h->msg_controllen = sizeof(q->cm[m].buf);
		c = CMSG_FIRSTHDR(h);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		seg = (uint16_t)q->iov[i].iov_len;
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
	return m;
}

void
net_tx_flush(struct net_worker *w)
{
	struct net_tx *q = &w->tx;
	unsigned i, j, k;
	int fd;

	for (i = 0; i < q->n; i++) {
		if ((fd = q->e[i].fd) == -1)
			continue;	/* left with an earlier socket's */
		for (j = i, k = 0; j < q->n; j++)
			if (q->e[j].fd == fd) {
				q->grp[k++] = (uint8_t)j;
				q->e[j].fd = -1;
			}
		net_tx_group(q, fd, net_tx_build(q, k));
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
