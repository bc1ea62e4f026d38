/* SPDX-License-Identifier: ISC */
/*
 * Relay sockets and the engine's I/O table (struct turn_io), per worker.
 *
 * relay_open (net_relay_ip.c) binds one UDP socket per allocation and
 * family and hands it to net_relay_attach(), which gives it a slot and its
 * read event.
 *
 * Peer datagrams are read with recvmmsg() into the worker's receive
 * slots, each NET_UDP_HEADROOM bytes into its slot, so the engine writes
 * the ChannelData or Data indication header in front of the payload and
 * sends it on without a copy (§11.3, §12.5). client_send goes out of the
 * UDP listener the client talks to (tuple.local, remembered per relay
 * socket), or onto its TCP/TLS connection (tuple.conn); UDP datagrams
 * both ways leave through the worker's send queue (net_tx.c).
 *
 * Handles are (generation << 32 | slot + 1): a slot's generation changes
 * at every close, so a stale handle finds nothing instead of another
 * allocation's socket.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_int.h"

#define NET_RELAY_CAP0	64	/* first size of the slot table */

static struct net_relay *
net_relay_get(struct net_worker *w, uint64_t handle)
{
	uint32_t idx = (uint32_t)(handle & 0xffffffffu);
	struct net_relay *r;

	if (idx == 0 || idx > w->nrelays)
		return NULL;
	r = w->relays[idx - 1];
	if (r->fd == -1 || r->gen != (uint32_t)(handle >> 32))
		return NULL;
	return r;
}

/* Slot idx (0-based) whatever its state, or NULL (net_count.c). */
struct net_relay *
net_relay_by_idx(struct net_worker *w, uint32_t idx)
{
	return idx < w->nrelays ? w->relays[idx] : NULL;
}

/* A free slot (control path: may allocate), or NULL. */
static struct net_relay *
net_relay_slot(struct net_worker *w)
{
	struct net_relay **nt, *r;
	uint32_t cap;

	if (w->relay_free != 0) {
		r = w->relays[w->relay_free - 1];
		w->relay_free = r->next_free;
		return r;
	}
	if (w->nrelays == w->caprelays) {
		if (w->caprelays >= UINT32_MAX / 4)
			return NULL;
		cap = w->caprelays == 0 ? NET_RELAY_CAP0 : w->caprelays * 2;
		/* an array of pointers to relay slots */
		if ((nt = reallocarray(w->relays, cap, sizeof(*nt))) == NULL) // NOLINT(bugprone-sizeof-expression)
			return NULL;
		w->relays = nt;
		w->caprelays = cap;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->w = w;
	r->fd = -1;
	r->idx = w->nrelays;
	r->gen = 1;
	w->relays[w->nrelays++] = r;
	return r;
}

static void
net_relay_slot_put(struct net_worker *w, struct net_relay *r)
{
	/* what is queued on the socket leaves before its number is reused */
	if (w->tx.n > 0)
		net_tx_flush(w);
	r->out = NULL;
	if (r->ev != NULL)
		event_free(r->ev);
	if (r->fd != -1)
		close(r->fd);
	r->ev = NULL;
	r->fd = -1;
	if (++r->gen == 0)
		r->gen = 1;
	r->next_free = w->relay_free;
	w->relay_free = r->idx + 1;
}

/* One peer datagram of slot to the hooks (peer_input). */
static void
net_relay_one(struct net_worker *w, uint64_t handle, unsigned slot,
    uint64_t now)
{
	const struct mmsghdr *m = &w->msgs[slot];
	size_t len = m->msg_len;
	enum turn_drop d;

	if ((m->msg_hdr.msg_flags & MSG_TRUNC) || m->msg_hdr.msg_namelen == 0 ||
	    m->msg_hdr.msg_namelen > sizeof(w->rx_tuple[slot].client.u.ss)) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_TOO_BIG, 1);
		return;
	}
	/* client_send counts the payload if it goes out. */
	w->peer_len = len;
	d = w->data == NULL ? TURN_DROP_NO_ALLOCATION :
	    w->net->hooks->peer_input(w->data, handle,
	    &w->rx_tuple[slot].client, w->iov[slot].iov_base, NET_UDP_HEADROOM,
	    len, NET_UDP_SLOT - NET_UDP_HEADROOM - len, now);
	if (d != TURN_DROP_NONE)
		metrics_count(w->mw, METRICS_DROPPED_PACKETS, d, 1);
}

/* The peer's address is read in place (the slot's tuple, net_udp.c). */
static void
net_relay_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_relay *r = arg;
	struct net_worker *w = r->w;
	const uint32_t gen = r->gen;
	const uint64_t handle = (uint64_t)gen << 32 | (r->idx + 1);
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
		for (i = 0; i < n; i++) {
			w->rx_relay = r;
			net_relay_one(w, handle, first + (unsigned)i, now);
			w->rx_relay = NULL;
			/* The engine never closes a relay from here, but a
			 * socket that went away must not be read again. */
			if (r->fd != fd || r->gen != gen)
				return;
		}
		if (n < NET_UDP_BATCH)
			break;
	}
}

/*
 * A bound relay socket into a free slot with its read event (net_relay_ip.c
 * binds it): 0 with *handle filled, or -1 with fd closed.
 */
int
net_relay_attach(struct net_worker *w, int fd, uint64_t *handle)
{
	struct net_relay *r;

	if ((r = net_relay_slot(w)) == NULL) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	net_sockbuf_relay(&w->net->set, fd);
	r->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, net_relay_read_cb,
	    r);
	if (r->ev == NULL || event_add(r->ev, NULL) == -1) {
		net_relay_slot_put(w, r);
		return -1;
	}
	*handle = (uint64_t)r->gen << 32 | (r->idx + 1);
	return 0;
}

static void
net_relay_close(void *ctx, uint64_t handle)
{
	struct net_worker *w = ctx;
	struct net_relay *r;

	if ((r = net_relay_get(w, handle)) != NULL)
		net_relay_slot_put(w, r);
}

static void
net_relay_send(void *ctx, uint64_t handle, const struct addr *peer,
    const uint8_t *data, size_t len)
{
	struct net_worker *w = ctx;
	struct net_relay *r;

	if ((r = net_relay_get(w, handle)) == NULL) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return;
	}
	(void)net_tx_send(w, r->fd, peer, data, len, METRICS_CLIENT_TO_PEER,
	    len);
}

/* The UDP listener t's client talks to: the relay being read knows it
 * after its first datagram (a relay socket is one allocation's, and an
 * allocation's 5-tuple never changes). */
static struct net_listener *
net_client_listener(struct net_worker *w, const struct turn_tuple *t)
{
	struct net_relay *r = w->rx_relay;
	struct net_listener *l;

	if (r != NULL && r->out != NULL)
		return r->out;
	if ((l = net_udp_listener(w, &t->local)) != NULL && r != NULL)
		r->out = l;
	return l;
}

bool
net_worker_conn_open(struct net_worker *w, const struct turn_tuple *t)
{
	struct net_conn *c;

	if (t->transport == TURN_UDP)
		return true;
	return (c = net_conn_find(w, t->conn)) != NULL && !c->closing;
}

int
net_worker_reply(struct net_worker *w, const struct turn_tuple *t,
    const struct turn_out *out)
{
	struct net_listener *l;
	struct net_conn *c;

	if (t->transport != TURN_UDP) {
		if ((c = net_conn_find(w, t->conn)) == NULL || c->closing)
			return -1;
		net_conn_reply(c, out);
		return 0;
	}
	if ((l = net_udp_listener(w, &t->local)) == NULL) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return -1;
	}
	return net_tx_send(w, l->fd, &t->client, out->buf, out->len, -1, 0);
}

/* Only relayed peer data comes here (turn_io.client_send): its payload
 * is the datagram the relay read (w->peer_len), not the framed length. */
static void
net_client_send(void *ctx, const struct turn_tuple *t, const uint8_t *data,
    size_t len)
{
	struct net_worker *w = ctx;
	struct net_listener *l;
	struct net_conn *c;

	if (t->transport == TURN_UDP) {
		if ((l = net_client_listener(w, t)) != NULL) {
			(void)net_tx_send(w, l->fd, &t->client, data, len,
			    METRICS_PEER_TO_CLIENT, w->peer_len);
			return;
		}
	} else if ((c = net_conn_find(w, t->conn)) != NULL &&
	    net_conn_send(c, data, len) == 0) {
		metrics_count(w->mw, METRICS_RELAYED_PACKETS,
		    METRICS_PEER_TO_CLIENT, 1);
		metrics_count(w->mw, METRICS_RELAYED_BYTES,
		    METRICS_PEER_TO_CLIENT, w->peer_len);
		return;
	}
	metrics_count(w->mw, METRICS_DROPPED_PACKETS, METRICS_DROP_SEND_FAILED,
	    1);
}

void
net_relay_io_init(struct net_worker *w)
{
	w->io.ctx = w;
	w->io.relay_open = net_relay_open;
	w->io.relay_close = net_relay_close;
	w->io.relay_send = net_relay_send;
	w->io.client_send = net_client_send;
}

/* After turn_engine_free() (which closes its relays): frees the slots. */
void
net_relay_clear(struct net_worker *w)
{
	uint32_t i;

	for (i = 0; i < w->nrelays; i++) {
		if (w->relays[i]->fd != -1)
			net_relay_slot_put(w, w->relays[i]);
		free(w->relays[i]);
	}
	free(w->relays);
	w->relays = NULL;
	w->nrelays = w->caprelays = w->relay_free = 0;
}
