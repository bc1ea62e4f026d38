/* SPDX-License-Identifier: ISC */
/*
 * The blocking STUN client: sockets, deadlines, framing, transactions
 * (RFC 8489 §6.2) and the Binding helper (§12). See client.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client_int.h"
#include "util/clock.h"
#include "util/crypto.h"

struct client {
	enum client_transport t;
	int fd;
	struct addr local, server;
	struct client_tls *tls;
	struct stun_stream *stream;	/* TCP/TLS reassembly */
};

int64_t
client_now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

double
client_now_us(void)
{
	return (double)clock_mono_ns() / 1e3;
}

int
client_poll(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int r;

	for (;;) {
		left = deadline - client_now_ms();
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (r > 0)
			return 0;	/* readable, writable, or an error to read */
		if (r == 0 && left == 0)
			return CLIENT_E_TIMEOUT;
		if (r == -1 && errno != EINTR)
			return CLIENT_E_IO;
	}
}

static int
client_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return CLIENT_E_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return CLIENT_E_CLOSED;
	case ENOMEM:
	case ENOBUFS:
		return CLIENT_E_NOMEM;
	default:
		return CLIENT_E_IO;
	}
}

/* A non-blocking connect() that completes within the deadline. */
static int
client_connect(struct client *c, int64_t deadline)
{
	socklen_t sl;
	int so = 0, r;

	if (connect(c->fd, &c->server.u.sa, addr_len(&c->server)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return client_errno(errno);
	if ((r = client_poll(c->fd, POLLOUT, deadline)) != 0)
		return r;
	sl = sizeof(so);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) == -1)
		return CLIENT_E_IO;
	if (so != 0) {
		errno = so;
		return client_errno(so);
	}
	return 0;
}

static int
client_socket(struct client *c, int64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int r;

	c->fd = socket(addr_family(&c->server),
	    (c->t == CLIENT_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return client_errno(errno);
	if ((r = client_connect(c, deadline)) != 0)
		return r;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(&c->local, (struct sockaddr *)&ss, sl) == -1)
		return CLIENT_E_IO;
	return 0;
}

int
client_open(struct client **out, enum client_transport t, const struct addr *server,
    const char *host, const struct client_opts *o, int timeout_ms, char *err,
    size_t errcap)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	char as[ADDR_STRLEN];
	struct client *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLIENT_E_NOMEM;
	c->t = t;
	c->fd = -1;
	c->server = *server;
	if (t != CLIENT_UDP && (c->stream = malloc(sizeof(*c->stream))) == NULL) {
		r = CLIENT_E_NOMEM;
		goto fail;
	}
	if (c->stream != NULL)
		memset(c->stream, 0, sizeof(*c->stream));	/* an empty stream */
	if ((r = client_socket(c, deadline)) != 0) {
		snprintf(err, errcap, "connect to %s: %s", addr_str(server, as, sizeof(as)),
		    client_strerror(r));
		goto fail;
	}
	if (t == CLIENT_TLS) {
		if (host == NULL || (o != NULL && o->verify_host != NULL))
			host = o != NULL && o->verify_host != NULL ? o->verify_host :
			    addr_ip_str(server, as, sizeof(as));
		if ((c->tls = client_tls_new(c->fd, host, o, deadline, err, errcap)) == NULL) {
			r = CLIENT_E_TLS;
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	client_free(c);
	return r;
}

int
client_url_resolve(const struct client_url *u, struct addr *out, size_t cap,
    char *err, size_t errcap)
{
	struct addrinfo hints, *res = NULL, *ai;
	size_t n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = u->transport == CLIENT_UDP ? SOCK_DGRAM : SOCK_STREAM;
	if (getaddrinfo(u->host, NULL, &hints, &res) != 0 || res == NULL) {
		snprintf(err, errcap, "cannot resolve %s", u->host);
		return CLIENT_E_RESOLVE;
	}
	for (ai = res; ai != NULL && n < cap; ai = ai->ai_next) {
		if (addr_from_sockaddr(&out[n], ai->ai_addr, ai->ai_addrlen) == -1)
			continue;
		addr_set_port(&out[n++], u->port);
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errcap, "no usable address for %s", u->host);
		return CLIENT_E_RESOLVE;
	}
	return (int)n;
}

int
client_open_url(struct client **out, const struct client_url *u,
    const struct client_opts *o, int timeout_ms, char *err, size_t errcap)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	struct addr a[CLIENT_MAX_ADDRS];
	int i, n, r = CLIENT_E_TIMEOUT, left;

	if ((n = client_url_resolve(u, a, CLIENT_MAX_ADDRS, err, errcap)) < 0)
		return n;
	for (i = 0; i < n; i++) {
		if ((left = (int)(deadline - client_now_ms())) <= 0)
			return CLIENT_E_TIMEOUT;
		r = client_open(out, u->transport, &a[i], u->host, o, left, err, errcap);
		if (r == 0 || r == CLIENT_E_TLS)
			break;
	}
	return r;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	client_tls_free(c->tls);
	if (c->fd != -1)
		close(c->fd);
	free(c->stream);
	free(c);
}

enum client_transport
client_get_transport(const struct client *c)
{
	return c->t;
}

const struct addr *
client_local(const struct client *c)
{
	return &c->local;
}

const struct addr *
client_server(const struct client *c)
{
	return &c->server;
}

int
client_fd(const struct client *c)
{
	return c->fd;
}

int
client_peer_cert_sha256(const struct client *c, uint8_t out[32])
{
	if (c->tls == NULL)
		return -1;
	return client_tls_peer_sha256(c->tls, out);
}

/* Writes all bytes to a non-blocking stream socket. */
static int
client_write_all(struct client *c, const uint8_t *p, size_t n, int64_t deadline)
{
	ssize_t w;
	int r;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN)
			return client_errno(errno);
		if ((r = client_poll(c->fd, POLLOUT, deadline)) != 0)
			return r;
	}
	return 0;
}

int
client_send_raw(struct client *c, const void *p, size_t len)
{
	int64_t deadline = client_now_ms() + 5000;

	if (c->t == CLIENT_TLS)
		return client_tls_write(c->tls, p, len, deadline);
	if (c->t == CLIENT_TCP)
		return client_write_all(c, p, len, deadline);
	if (send(c->fd, p, len, 0) == -1)
		return client_errno(errno);
	return 0;
}

static long
client_recv_dgram(struct client *c, uint8_t *buf, size_t cap, int64_t deadline)
{
	ssize_t n;
	int r;

	for (;;) {
		n = recv(c->fd, buf, cap, MSG_TRUNC);
		if (n >= 0)
			return (size_t)n > cap ? CLIENT_E_ARG : (long)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return client_errno(errno);
		if ((r = client_poll(c->fd, POLLIN, deadline)) != 0)
			return r;
	}
}

/* Reads more stream bytes into the reassembly buffer. */
static int
client_stream_fill(struct client *c, int64_t deadline)
{
	uint8_t tmp[4096];
	size_t room, want;
	ssize_t n;
	int r;
	static const uint8_t none[1];

	(void)stun_stream_feed(c->stream, none, 0);	/* compacts consumed frames */
	room = sizeof(c->stream->buf) - c->stream->len;
	want = room < sizeof(tmp) ? room : sizeof(tmp);
	if (want == 0)
		return CLIENT_E_PROTO;
	for (;;) {
		if (c->t == CLIENT_TLS)
			n = client_tls_read(c->tls, tmp, want, deadline);
		else
			n = recv(c->fd, tmp, want, 0);
		if (n > 0)
			break;
		if (n == 0 || c->t == CLIENT_TLS)
			return n == 0 ? CLIENT_E_CLOSED : (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return client_errno(errno);
		if ((r = client_poll(c->fd, POLLIN, deadline)) != 0)
			return r;
	}
	if (stun_stream_feed(c->stream, tmp, (size_t)n) != (size_t)n)
		return CLIENT_E_PROTO;
	return 0;
}

static long
client_recv_frame(struct client *c, uint8_t *buf, size_t cap, int64_t deadline)
{
	const uint8_t *frame;
	long n;
	int r;

	for (;;) {
		n = stun_stream_next(c->stream, &frame);
		if (n < 0)
			return CLIENT_E_PROTO;
		if (n > 0) {
			if ((size_t)n > cap)
				return CLIENT_E_ARG;
			memcpy(buf, frame, (size_t)n);
			return n;
		}
		if ((r = client_stream_fill(c, deadline)) != 0)
			return r;
	}
}

long
client_recv_raw(struct client *c, uint8_t *buf, size_t cap, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;

	if (c->t == CLIENT_UDP)
		return client_recv_dgram(c, buf, cap, deadline);
	return client_recv_frame(c, buf, cap, deadline);
}

/* Waits until the deadline for a response matching tid. */
static int
client_wait_response(struct client *c, const uint8_t *tid, uint8_t *resp,
    size_t cap, struct stun_msg *m, int64_t deadline)
{
	long n;

	for (;;) {
		if (c->t == CLIENT_UDP)
			n = client_recv_dgram(c, resp, cap, deadline);
		else
			n = client_recv_frame(c, resp, cap, deadline);
		if (n == CLIENT_E_ARG)
			continue;	/* oversized datagram: not ours */
		if (n < 0)
			return (int)n;
		if (stun_decode(m, resp, (size_t)n) != STUN_OK)
			continue;
		if ((m->cls == STUN_SUCCESS || m->cls == STUN_ERROR) &&
		    memcmp(m->tid, tid, STUN_TID_LEN) == 0)
			return 0;
	}
}

int
client_transact(struct client *c, const uint8_t *req, size_t len, uint8_t *resp,
    size_t cap, struct stun_msg *m, int timeout_ms)
{
	int64_t now = client_now_ms(), deadline = now + timeout_ms, wait_until;
	uint8_t tid[STUN_TID_LEN];
	int rto = CLIENT_RTO_MS, sends = 0, r;

	if (len < STUN_HEADER_LEN)
		return CLIENT_E_ARG;
	memcpy(tid, req + 8, STUN_TID_LEN);
	if (c->t != CLIENT_UDP) {
		/* Reliable transports: send once (RFC 8489 §6.2.2). */
		if ((r = client_send_raw(c, req, len)) != 0)
			return r;
		return client_wait_response(c, tid, resp, cap, m, deadline);
	}
	for (;;) {
		if ((r = client_send_raw(c, req, len)) != 0)
			return r;
		sends++;
		/* After the last send wait Rm * RTO (§6.2.1). */
		wait_until = client_now_ms() +
		    (sends == CLIENT_RC ? CLIENT_RM * CLIENT_RTO_MS : rto);
		if (wait_until > deadline)
			wait_until = deadline;
		r = client_wait_response(c, tid, resp, cap, m, wait_until);
		if (r != CLIENT_E_TIMEOUT)
			return r;
		if (sends == CLIENT_RC || client_now_ms() >= deadline)
			return CLIENT_E_TIMEOUT;
		rto *= 2;
	}
}

int
client_tid_new(uint8_t tid[STUN_TID_LEN])
{
	return crypto_random(tid, STUN_TID_LEN);
}

int
client_binding(struct client *c, int timeout_ms, struct client_binding *res)
{
	uint8_t req[64], resp[1500], tid[STUN_TID_LEN];
	const struct stun_attr *a;
	const uint8_t *reason;
	size_t reason_len;
	struct stun_builder b;
	struct stun_msg m;
	double t0;
	size_t len;
	int r;

	memset(res, 0, sizeof(*res));
	if (client_tid_new(tid) == -1)
		return CLIENT_E_IO;
	stun_builder_init(&b, req, sizeof(req), STUN_BINDING, STUN_REQUEST, tid);
	if ((len = stun_builder_finish(&b)) == 0)
		return CLIENT_E_ARG;
	t0 = client_now_us();
	if ((r = client_transact(c, req, len, resp, sizeof(resp), &m, timeout_ms)) != 0)
		return r;
	res->rtt_ms = (client_now_us() - t0) / 1000.0;
	if (m.cls == STUN_ERROR) {
		if ((a = stun_msg_attr(&m, STUN_ATTR_ERROR_CODE)) == NULL ||
		    stun_attr_error(a, &res->error_code, &reason, &reason_len) == -1)
			res->error_code = -1;
		return CLIENT_E_PROTO;
	}
	if ((a = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS)) != NULL &&
	    stun_attr_xor_addr(a, m.tid, &res->mapped) == 0) {
		res->from_xor = true;
		return 0;
	}
	/* RFC 3489 servers send only MAPPED-ADDRESS (RFC 8489 §12). */
	if ((a = stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS)) != NULL &&
	    stun_attr_addr(a, &res->mapped) == 0)
		return 0;
	return CLIENT_E_PROTO;
}

const char *
client_strerror(int err)
{
	static const char *const msgs[] = {
		"success", "timed out", "connection refused", "connection closed",
		"I/O error", "TLS error", "protocol error", "name resolution failed",
		"bad argument", "out of memory",
	};

	if (err > 0 || -err >= (int)(sizeof(msgs) / sizeof(msgs[0])))
		return "unknown error";
	return msgs[-err];
}
