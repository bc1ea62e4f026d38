/* SPDX-License-Identifier: ISC */
/*
 * Socket buffers of the UDP sockets: udp-recv-buffer and udp-send-buffer
 * for the listeners (one socket a worker carries every UDP client's
 * datagrams, so its receive buffer is what absorbs a burst while the
 * worker is busy), relay-recv-buffer and relay-send-buffer for the relay
 * sockets (one per allocation and family). 0 leaves the kernel's default
 * (net.core.rmem_default, wmem_default).
 *
 * The kernel caps SO_RCVBUF and SO_SNDBUF at net.core.rmem_max and
 * wmem_max; SO_RCVBUFFORCE and SO_SNDBUFFORCE pass the cap with
 * CAP_NET_ADMIN, which listeners have when ternd starts as root (they are
 * bound before privileges are dropped) and relay sockets never have. So
 * the size granted is read back, and a size smaller than asked is logged
 * once per option with the sysctl to raise.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdatomic.h>

#include "net/net_int.h"
#include "util/log.h"

/* Which sizes were logged as capped already: once per option. */
static atomic_uint net_sockbuf_logged;

/* Sets one buffer; what the kernel granted (0 when not asked). */
static size_t
net_sockbuf_one(int fd, bool snd, size_t want)
{
	int v, force = snd ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
	int opt = snd ? SO_SNDBUF : SO_RCVBUF;
	socklen_t vl = sizeof(v);

	if (want == 0)
		return 0;
	v = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
	/* the kernel doubles what it is given (for its bookkeeping) and
	 * reports the doubled size */
	if (getsockopt(fd, SOL_SOCKET, opt, &v, &vl) == -1 || v < 0)
		return 0;
	return (size_t)v / 2;
}

static void
net_sockbuf_warn(unsigned bit, const char *option, size_t want, size_t got,
    bool snd)
{
	if (got == 0 || got >= want ||
	    (atomic_fetch_or(&net_sockbuf_logged, 1u << bit) & (1u << bit)))
		return;
	log_warn("socket_buffer_capped", "option=%s asked=%zu granted=%zu "
	    "hint=\"raise sysctl net.core.%s_max\"", option, want, got,
	    snd ? "wmem" : "rmem");
}

void
net_sockbuf_listener(const struct net_settings *s, int fd)
{
	net_sockbuf_warn(0, "udp-recv-buffer", s->udp_rcvbuf,
	    net_sockbuf_one(fd, false, s->udp_rcvbuf), false);
	net_sockbuf_warn(1, "udp-send-buffer", s->udp_sndbuf,
	    net_sockbuf_one(fd, true, s->udp_sndbuf), true);
}

void
net_sockbuf_relay(const struct net_settings *s, int fd)
{
	net_sockbuf_warn(2, "relay-recv-buffer", s->relay_rcvbuf,
	    net_sockbuf_one(fd, false, s->relay_rcvbuf), false);
	net_sockbuf_warn(3, "relay-send-buffer", s->relay_sndbuf,
	    net_sockbuf_one(fd, true, s->relay_sndbuf), true);
}
