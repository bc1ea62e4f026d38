/* SPDX-License-Identifier: ISC */
/*
 * The relay IPs and relay_open (struct turn_io): which address a relay
 * socket is bound on.
 *
 * relay_open binds one UDP socket per allocation and family on the relay
 * IP of that family (RFC 8656 §7.2 step 6; RFC 6156 for IPv6): IPv6 relays
 * are IPV6_V6ONLY so that no IPv4-mapped peer can reach them, and no relay
 * ever gets SO_BROADCAST (docs/security.md, Operating-system backstops).
 * The DF bit follows DONT-FRAGMENT (§7.2 step 4, §14): set when the client
 * asked, clear otherwise. The socket then goes to net_relay_attach()
 * (net_relay.c), which reads from it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "net/net_int.h"

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

/* Adds a to the family's relay IPs unless it is there already. */
static void
net_relay_add(struct net *n, int fi, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n->nrelay_ip[fi]; i++)
		if (addr_equal(&n->relay_ip[fi][i], a, false))
			return;
	if (n->nrelay_ip[fi] == CONFIG_MAX_ADDRS)
		return;
	n->relay_ip[fi][n->nrelay_ip[fi]] = *a;
	addr_set_port(&n->relay_ip[fi][n->nrelay_ip[fi]++], 0);
}

/*
 * The relay IPs of a family: every relay-ip of that family (each once);
 * without relay-ip, the first listening address of that family that is
 * not loopback, or the first one if all are (a relay on 127.0.0.1 is only
 * useful for tests). With no address of a family, Allocate for it gets
 * 440 (RFC 8656 §7.2).
 */
static void
net_relay_pick(struct net *n, const struct config *c, int fam)
{
	const struct addr *first = NULL;
	const int fi = fam == AF_INET ? 0 : 1;
	size_t i;

	n->nrelay_ip[fi] = 0;
	for (i = 0; i < c->n_relay_ip; i++)
		if (addr_family(&c->relay_ip[i]) == fam)
			net_relay_add(n, fi, &c->relay_ip[i]);
	if (c->n_relay_ip > 0)
		return;		/* relay-ip given: those, or none */
	for (i = 0; i < n->nspecs; i++) {
		if (addr_family(&n->specs[i].addr) != fam)
			continue;
		if (first == NULL)
			first = &n->specs[i].addr;
		if (!addr_is_loopback(&n->specs[i].addr)) {
			first = &n->specs[i].addr;
			break;
		}
	}
	if (first != NULL)
		net_relay_add(n, fi, first);
}

void
net_relay_ips(struct net *n, const struct config *c)
{
	net_relay_pick(n, c, AF_INET);
	net_relay_pick(n, c, AF_INET6);
}

size_t
net_relay_ip_count(const struct net *n, int family)
{
	if (family == AF_INET)
		return n->nrelay_ip[0];
	return family == AF_INET6 ? n->nrelay_ip[1] : 0;
}

const struct addr *
net_relay_ip_at(const struct net *n, int family, size_t i)
{
	static const struct addr none;	/* AF_UNSPEC */

	if (i >= net_relay_ip_count(n, family))
		return &none;
	return &n->relay_ip[family == AF_INET ? 0 : 1][i];
}

const struct addr *
net_relay_ip(const struct net *n, int family)
{
	return net_relay_ip_at(n, family, 0);
}

/* turn_io.relay_open: relay IP number ip of the family, as the engine's
 * port pool counts them (turn_ports_new_ips, daemon_env.c). */
int
net_relay_open(void *ctx, int family, unsigned ip, uint16_t port,
    unsigned flags, struct addr *relayed, uint64_t *handle)
{
	struct net_worker *w = ctx;
	const struct addr *a = net_relay_ip_at(w->net, family, ip);
	int fd, rc;

	if (addr_family(a) != family)
		return TURN_IO_NO_FAMILY;
	if ((fd = net_relay_socket(a, port, flags, &rc)) == -1)
		return rc;
	if (net_relay_attach(w, fd, handle) == -1)
		return TURN_IO_FAIL;
	*relayed = *a;
	addr_set_port(relayed, port);
	return TURN_IO_OK;
}
