/* SPDX-License-Identifier: ISC */
/*
 * Listening addresses and sockets.
 *
 * Without listening-ip, ternd listens on every local address (IPv4 and
 * IPv6, not IPv6 link-local, which would need a scope per interface). A
 * wildcard listening-ip (0.0.0.0 or ::) is expanded the same way for its
 * family, so that every socket is bound to one address and a UDP reply
 * leaves from the address the request arrived on (RFC 8489 §6.3.3: the
 * response goes from the address the request was received on).
 *
 * Every worker binds its own socket per address with SO_REUSEPORT; IPv6
 * sockets are IPV6_V6ONLY so that IPv4-mapped forms never appear.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>

#include "net/net_int.h"
#include "util/log.h"

static struct log_ratelimit net_accept_rl = LOG_RATELIMIT_INIT(5, 60);

static bool
net_addr_seen(const struct addr *list, size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_equal(&list[i], a, false))
			return true;
	return false;
}

/* Appends the up, usable local addresses of family fam (AF_UNSPEC: both). */
static int
net_listen_local(int fam, struct addr *out, size_t *n, size_t cap)
{
	struct ifaddrs *ifa, *i;
	struct addr a;
	int f;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL && *n < cap; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		f = i->ifa_addr->sa_family;
		if ((f != AF_INET && f != AF_INET6) || (fam != AF_UNSPEC && f != fam))
			continue;
		memset(&a, 0, sizeof(a));
		if (f == AF_INET)
			memcpy(&a.u.sin, i->ifa_addr, sizeof(a.u.sin));
		else {
			memcpy(&a.u.sin6, i->ifa_addr, sizeof(a.u.sin6));
			if (IN6_IS_ADDR_LINKLOCAL(&a.u.sin6.sin6_addr))
				continue;
			a.u.sin6.sin6_scope_id = 0;
		}
		addr_set_port(&a, 0);
		if (!net_addr_seen(out, *n, &a))
			out[(*n)++] = a;
	}
	freeifaddrs(ifa);
	return 0;
}

int
net_listen_addrs(const struct config *c, struct addr **out, size_t *n,
    char *err, size_t errcap)
{
	const size_t cap = 256;
	struct addr *list;
	size_t i;

	*out = NULL;
	*n = 0;
	if ((list = calloc(cap, sizeof(*list))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (c->n_listening_ip == 0 &&
	    net_listen_local(AF_UNSPEC, list, n, cap) == -1)
		goto fail_ifaddrs;
	for (i = 0; i < c->n_listening_ip && *n < cap; i++) {
		if (addr_is_any(&c->listening_ip[i])) {
			if (net_listen_local(addr_family(&c->listening_ip[i]),
			    list, n, cap) == -1)
				goto fail_ifaddrs;
		} else if (!net_addr_seen(list, *n, &c->listening_ip[i]))
			list[(*n)++] = c->listening_ip[i];
	}
	if (*n == 0) {
		snprintf(err, errcap, "no local address to listen on");
		free(list);
		return -1;
	}
	*out = list;
	return 0;
fail_ifaddrs:
	snprintf(err, errcap, "getifaddrs: %s", strerror(errno));
	free(list);
	return -1;
}

static int
net_socket_bind(enum net_proto proto, const struct addr *a, char *err,
    size_t errcap)
{
	char as[ADDR_STRLEN];
	int fd, on = 1, type;

	type = proto == NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
	fd = socket(addr_family(a), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	/* SO_REUSEPORT lets the workers share the port, and only processes
	 * of the same user join the group. SO_REUSEADDR on UDP would let any
	 * local process bind the port beside us and take datagrams, so it is
	 * set for TCP only (restart over TIME_WAIT). */
	if ((proto != NET_UDP && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	if (addr_family(a) == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, &a->u.sa, addr_len(a)) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errcap, "cannot listen on %s %s: %s", net_proto_name(proto),
	    addr_str(a, as, sizeof(as)), strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Before the workers' SO_REUSEPORT group is formed: the port must be free
 * of any other socket. Another ternd (or anything of the same user) bound
 * there with SO_REUSEPORT would otherwise share the port with us and the
 * kernel would split clients between the two servers. 0 or -1 (err set).
 */
int
net_port_exclusive(enum net_proto proto, const struct addr *a, char *err,
    size_t errcap)
{
	char as[ADDR_STRLEN];
	int fd, on = 1, rv = -1;

	fd = socket(addr_family(a), (proto == NET_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto out;
	if (addr_family(a) == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto out;
	/* TCP: SO_REUSEADDR only passes TIME_WAIT, never a listener */
	if (proto != NET_UDP &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto out;
	rv = bind(fd, &a->u.sa, addr_len(a));
out:
	if (rv == -1)
		snprintf(err, errcap, "cannot listen on %s %s: %s%s",
		    net_proto_name(proto), addr_str(a, as, sizeof(as)),
		    strerror(errno), errno == EADDRINUSE ?
		    " (another process holds it)" : "");
	if (fd != -1)
		close(fd);
	return rv == -1 ? -1 : 0;
}

static void
net_listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS...): pause this listener for a
 * moment instead of spinning on a socket that stays readable. */
static void
net_listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct net_listener *l = arg;
	const struct timeval pause = { .tv_sec = 0, .tv_usec = 100000 };
	char as[ADDR_STRLEN];
	int e = errno;

	log_rl(&net_accept_rl, LOG_LVL_WARN, "accept_failed",
	    "proto=%s addr=%s error=\"%s\"", net_proto_name(l->proto),
	    addr_str(&l->addr, as, sizeof(as)), strerror(e));
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &pause);
}

static int
net_listener_stream(struct net_listener *l, int fd, char *err, size_t errcap)
{
	char as[ADDR_STRLEN];

	l->retry = evtimer_new(l->w->base, net_listener_retry_cb, l);
	if (l->retry == NULL)
		goto fail_mem;
	/* evconnlistener_new() calls listen() with the bounded backlog. */
	l->lev = evconnlistener_new(l->w->base, net_stream_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, NET_LISTEN_BACKLOG, fd);
	if (l->lev == NULL) {
		snprintf(err, errcap, "%s %s: listen: %s",
		    net_proto_name(l->proto), addr_str(&l->addr, as, sizeof(as)),
		    strerror(errno));
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(l->lev, net_listener_error_cb);
	return 0;
fail_mem:
	snprintf(err, errcap, "out of memory");
	close(fd);
	return -1;
}

int
net_listener_open(struct net_listener *l, struct net_worker *w,
    const struct net_spec *s, char *err, size_t errcap)
{
	int fd;

	memset(l, 0, sizeof(*l));
	l->w = w;
	l->proto = s->proto;
	l->addr = s->addr;
	l->addrlen = addr_len(&s->addr);
	l->fd = -1;
	if ((fd = net_socket_bind(s->proto, &s->addr, err, errcap)) == -1)
		return -1;
	if (s->proto != NET_UDP)
		return net_listener_stream(l, fd, err, errcap);
	l->fd = fd;
	if (w->net != NULL)	/* NULL: net_specs_build()'s probe */
		net_sockbuf_listener(&w->net->set, fd);
	l->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, net_udp_read_cb, l);
	if (l->ev == NULL || event_add(l->ev, NULL) == -1) {
		snprintf(err, errcap, "out of memory");
		net_listener_close(l);
		return -1;
	}
	return 0;
}

void
net_listener_close(struct net_listener *l)
{
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->retry != NULL)
		event_free(l->retry);
	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	if (l->fd != -1)
		close(l->fd);
	l->ev = NULL;
	l->retry = NULL;
	l->lev = NULL;
	l->fd = -1;
}
