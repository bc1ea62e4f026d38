/* SPDX-License-Identifier: ISC */
/*
 * Relay sockets and the engine's I/O table (struct turn_io), per worker.
 *
 * relay_open binds one UDP socket per allocation and family on the relay
 * IP of that family (RFC 8656 §7.2 step 6; RFC 6156 for IPv6): IPv6 relays
 * are IPV6_V6ONLY so that no IPv4-mapped peer can reach them, and no relay
 * ever gets SO_BROADCAST (docs/security.md, Operating-system backstops).
 * The DF bit follows DONT-FRAGMENT (§7.2 step 4, §14): set when the client
 * asked, clear otherwise.
 *
 * Peer datagrams are read with recvmmsg() into the worker's batch, each
 * NET_UDP_HEADROOM bytes into its slot, so the engine writes the
 * ChannelData or Data indication header in front of the payload and sends
 * it on without a copy (§11.3, §12.5). client_send goes out of the UDP
 * listener the client talks to (tuple.local), or onto its TCP/TLS
 * connection (tuple.conn).
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

static void
net_relay_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_relay *r = arg;
	struct net_worker *w = r->w;
	const uint32_t gen = r->gen;
	const uint64_t handle = (uint64_t)gen << 32 | (r->idx + 1);
	struct msghdr *h;
	struct addr peer;
	enum turn_drop d;
	uint64_t now;
	int round, n, i;

	(void)what;
	for (round = 0; round < NET_UDP_ROUNDS; round++) {
		net_udp_prepare(w);
		n = recvmmsg(fd, w->msgs, NET_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;	/* EAGAIN, or an ICMP error queued on the socket */
		now = net_now_ms();
		for (i = 0; i < n; i++) {
			h = &w->msgs[i].msg_hdr;
			if ((h->msg_flags & MSG_TRUNC) || h->msg_namelen == 0 ||
			    h->msg_namelen > sizeof(peer.u.ss)) {
				metrics_count(w->mw, METRICS_DROPPED_PACKETS,
				    METRICS_DROP_TOO_BIG, 1);
				continue;
			}
			memset(&peer, 0, sizeof(peer));
			memcpy(&peer.u.ss, h->msg_name, h->msg_namelen);
			/* client_send counts the payload if it goes out. */
			w->peer_len = w->msgs[i].msg_len;
			d = w->data == NULL ? TURN_DROP_NO_ALLOCATION :
			    w->net->hooks->peer_input(w->data, handle, &peer,
			    h->msg_iov->iov_base, NET_UDP_HEADROOM,
			    w->msgs[i].msg_len, NET_UDP_SLOT - NET_UDP_HEADROOM -
			    w->msgs[i].msg_len, now);
			if (d != TURN_DROP_NONE)
				metrics_count(w->mw, METRICS_DROPPED_PACKETS, d,
				    1);
			/* The engine never closes a relay from here, but a
			 * socket that went away must not be read again. */
			if (r->fd != fd || r->gen != gen)
				return;
		}
		if (n < NET_UDP_BATCH)
			break;
	}
}

/* Sets DF as DONT-FRAGMENT asks (§7.2 step 4): on, or explicitly off. */
static int
net_relay_df(int fd, int family, bool df)
{
	int v;

	if (family == AF_INET) {
		v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
		return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	}
	v = df ? 1 : 0;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v));
}

/* A bound, non-blocking UDP socket on a:port, or -1 with the TURN_IO_ code
 * in *rc. */
static int
net_relay_socket(const struct addr *ip, uint16_t port, unsigned flags,
    int *rc)
{
	struct addr a = *ip;
	int fd, on = 1, fam = addr_family(ip);

	*rc = TURN_IO_FAIL;
	addr_set_port(&a, port);
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* No SO_REUSEADDR/SO_REUSEPORT: a relay port belongs to one
	 * allocation. No SO_BROADCAST, ever. */
	if (fam == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (net_relay_df(fd, fam, (flags & TURN_RELAY_DONT_FRAGMENT) != 0) == -1)
		goto fail;
	if (bind(fd, &a.u.sa, addr_len(&a)) == -1) {
		if (errno == EADDRINUSE)
			*rc = TURN_IO_PORT_IN_USE;
		goto fail;
	}
	*rc = TURN_IO_OK;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * The relay IP of a family: the first relay-ip of that family; without
 * one, the first listening address of that family that is not loopback,
 * or the first one if all are (a relay on 127.0.0.1 is only useful for
 * tests). With no address of a family, Allocate for it gets 440 (RFC 8656
 * §7.2).
 */
static bool
net_addr_is_loopback(const struct addr *a)
{
	if (addr_family(a) == AF_INET)
		return (ntohl(a->u.sin.sin_addr.s_addr) >> 24) == 127;
	return addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr);
}

static void
net_relay_pick(const struct net *n, const struct config *c, int fam,
    struct addr *out)
{
	const struct addr *first = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->u.sa.sa_family = AF_UNSPEC;
	for (i = 0; i < c->n_relay_ip; i++)
		if (addr_family(&c->relay_ip[i]) == fam) {
			first = &c->relay_ip[i];
			goto found;
		}
	if (c->n_relay_ip > 0)
		return;		/* relay-ip given, none of this family */
	for (i = 0; i < n->nspecs; i++) {
		if (addr_family(&n->specs[i].addr) != fam)
			continue;
		if (first == NULL)
			first = &n->specs[i].addr;
		if (!net_addr_is_loopback(&n->specs[i].addr)) {
			first = &n->specs[i].addr;
			break;
		}
	}
	if (first == NULL)
		return;
found:
	*out = *first;
	addr_set_port(out, 0);
}

void
net_relay_ips(struct net *n, const struct config *c)
{
	net_relay_pick(n, c, AF_INET, &n->relay4);
	net_relay_pick(n, c, AF_INET6, &n->relay6);
}

static int
net_relay_open(void *ctx, int family, uint16_t port, unsigned flags,
    struct addr *relayed, uint64_t *handle)
{
	struct net_worker *w = ctx;
	const struct addr *ip = family == AF_INET ? &w->net->relay4 :
	    &w->net->relay6;
	struct net_relay *r;
	int fd, rc;

	if ((family != AF_INET && family != AF_INET6) ||
	    addr_family(ip) != family)
		return TURN_IO_NO_FAMILY;
	if ((fd = net_relay_socket(ip, port, flags, &rc)) == -1)
		return rc;
	if ((r = net_relay_slot(w)) == NULL) {
		close(fd);
		return TURN_IO_FAIL;
	}
	r->fd = fd;
	r->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, net_relay_read_cb,
	    r);
	if (r->ev == NULL || event_add(r->ev, NULL) == -1) {
		net_relay_slot_put(w, r);
		return TURN_IO_FAIL;
	}
	*relayed = *ip;
	addr_set_port(relayed, port);
	*handle = (uint64_t)r->gen << 32 | (r->idx + 1);
	return TURN_IO_OK;
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

	if ((r = net_relay_get(w, handle)) == NULL ||
	    sendto(r->fd, data, len, MSG_DONTWAIT, &peer->u.sa,
	    addr_len(peer)) == -1) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return;
	}
	metrics_count(w->mw, METRICS_RELAYED_PACKETS, METRICS_CLIENT_TO_PEER, 1);
	metrics_count(w->mw, METRICS_RELAYED_BYTES, METRICS_CLIENT_TO_PEER, len);
}

/* The relayed frame onto the client's stream or UDP socket. 0 or -1. */
static int
net_client_out(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *data, size_t len)
{
	struct net_listener *l;
	struct net_conn *c;

	if (t->transport != TURN_UDP) {
		if ((c = net_conn_find(w, t->conn)) == NULL)
			return -1;
		return net_conn_send(c, data, len);
	}
	if ((l = net_udp_listener(w, &t->local)) == NULL)
		return -1;
	if (sendto(l->fd, data, len, MSG_DONTWAIT, &t->client.u.sa,
	    addr_len(&t->client)) == -1)
		return -1;
	return 0;
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
	if ((l = net_udp_listener(w, &t->local)) == NULL ||
	    sendto(l->fd, out->buf, out->len, MSG_DONTWAIT, &t->client.u.sa,
	    addr_len(&t->client)) == -1) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return -1;
	}
	return 0;
}

/* Only relayed peer data comes here (turn_io.client_send): its payload
 * is the datagram the relay read (w->peer_len), not the framed length. */
static void
net_client_send(void *ctx, const struct turn_tuple *t, const uint8_t *data,
    size_t len)
{
	struct net_worker *w = ctx;

	if (net_client_out(w, t, data, len) == -1) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
		return;
	}
	metrics_count(w->mw, METRICS_RELAYED_PACKETS, METRICS_PEER_TO_CLIENT, 1);
	metrics_count(w->mw, METRICS_RELAYED_BYTES, METRICS_PEER_TO_CLIENT,
	    w->peer_len);
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
