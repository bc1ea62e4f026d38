/* SPDX-License-Identifier: ISC */
/*
 * A UDP socket on the main loop for the daemon's self-test
 * (src/daemon/daemon_selftest.c): bound to one of this server's own
 * addresses on a port the kernel picks, it sends what the layer above
 * built and hands every datagram it receives back, undecoded. net stays
 * the one module that touches sockets (ARCHITECTURE.md); the datagrams
 * go to ternd's own listener and relay addresses only, never further.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/net_int.h"

struct net_probe {
	int fd;
	struct event *ev;
	net_probe_fn fn;
	void *arg;
	uint8_t buf[NET_PROBE_BUFSZ];
};

/* One datagram a wake-up (the event is level-triggered, so the next one
 * wakes it again): fn may close p, which nothing here touches after. */
static void
net_probe_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_probe *p = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr from;
	ssize_t r;

	(void)what;
	r = recvfrom(fd, p->buf, sizeof(p->buf), 0, (struct sockaddr *)&ss,
	    &sl);
	if (r >= 0 && addr_from_sockaddr(&from, (struct sockaddr *)&ss,
	    sl) == 0)
		p->fn(p->arg, p->buf, (size_t)r, &from);
}

struct net_probe *
net_probe_open(struct event_base *base, const struct addr *local,
    net_probe_fn fn, void *arg)
{
	struct net_probe *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	p->fd = socket(addr_family(local), SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1 || bind(p->fd, &local->u.sa, addr_len(local)) == -1)
		goto fail;
	p->ev = event_new(base, p->fd, EV_READ | EV_PERSIST, net_probe_read_cb,
	    p);
	if (p->ev == NULL || event_add(p->ev, NULL) == -1)
		goto fail;
	return p;
fail:
	net_probe_close(p);
	return NULL;
}

int
net_probe_send(struct net_probe *p, const void *buf, size_t len,
    const struct addr *to)
{
	if (sendto(p->fd, buf, len, 0, &to->u.sa, addr_len(to)) != (ssize_t)len)
		return -1;
	return 0;
}

void
net_probe_close(struct net_probe *p)
{
	if (p == NULL)
		return;
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->fd != -1)
		close(p->fd);
	free(p);
}
