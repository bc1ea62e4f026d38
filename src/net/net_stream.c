/* SPDX-License-Identifier: ISC */
/*
 * TCP and TLS connections (RFC 8656 §12: STUN messages and ChannelData
 * frames back to back on the stream).
 *
 * Each connection is a bufferevent. Frames are cut with stun_frame_len()
 * directly on the input evbuffer, pulling up only the bytes the framer
 * needs, so a connection carries no reassembly buffer of its own. Every
 * resource is capped (docs/security.md, TCP/TLS exhaustion):
 *  - input: the read high-water mark is one largest frame; a stream the
 *    framer rejects is closed, never resynchronised by guessing
 *    (RFC 8656 §12);
 *  - output: more than stream-buffer-limit bytes queued towards a client
 *    that does not read closes the connection;
 *  - time: tls-handshake-timeout until the TLS handshake completes, then
 *    stream-idle-timeout without progress closes it. Progress is what
 *    the engine's outcome says was served: a success answer to a request
 *    (an Allocate, a Refresh, a Binding for STUN-only use) or data relayed
 *    on the connection's allocation; an indication, a keep-alive, an
 *    error answer or ChannelData without an allocation is not. Once an
 *    Allocate has succeeded, the allocation's lifetime applies instead;
 *  - stalls: a frame whose first byte arrived stream-idle-timeout ago and
 *    that is still incomplete closes the connection, allocated or not (a
 *    ChannelData header that announces 0xffff bytes, then nothing);
 *  - count: max-connections, max-connections-per-ip and the IPv6 /48 cap
 *    at accept, and a budget of new connections per second per source
 *    (policy_rate, one table per worker), checked before anything else.
 * Every refusal and every close for lack of progress is counted by reason
 * (tern_connection_refusals_total, tern_connection_timeouts_total).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "net/net_int.h"
#include "policy/policy.h"
#include "util/log.h"

static struct log_ratelimit net_refuse_rl = LOG_RATELIMIT_INIT(5, 60);

static struct net_conn **
net_conn_bucket(struct net_worker *w, uint64_t id)
{
	/* ids are a per-worker sequence above the worker id: the low bits
	 * past the worker byte spread evenly. */
	return &w->conn_hash[(id >> 8) & (NET_CONN_BUCKETS - 1)];
}

struct net_conn *
net_conn_find(struct net_worker *w, uint64_t id)
{
	struct net_conn *c;

	if (id == 0)
		return NULL;
	for (c = *net_conn_bucket(w, id); c != NULL; c = c->hnext)
		if (c->tuple.conn == id)
			return c;
	return NULL;
}

static void
net_conn_unhash(struct net_conn *c)
{
	struct net_conn **pp;

	for (pp = net_conn_bucket(c->w, c->tuple.conn); *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
}

static void
net_conn_close(struct net_conn *c)
{
	struct net_worker *w = c->w;

	/* §3.1: the allocation's 5-tuple includes the connection; it ends
	 * with it. Called before anything is freed: the engine may close
	 * relays but never sends on this connection from here. At shutdown
	 * the engine is gone already (net_worker_clear). */
	if (w->data != NULL && w->net->hooks->conn_closed != NULL)
		w->net->hooks->conn_closed(w->data, &c->tuple);
	metrics_gauge_add(w->mw, METRICS_CONNECTIONS, c->tuple.transport, -1);
	net_conn_unhash(c);
	TAILQ_REMOVE(&w->conns, c, entry);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	net_limits_release(w->net->limits, &c->tuple.client);
	free(c);
}

/* Arms the connection's one timer for due (monotonic ms). */
static void
net_conn_arm_at(struct net_conn *c, uint64_t now, uint64_t due)
{
	uint64_t ms = due > now ? due - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
	    .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	c->timer_due = due;
	evtimer_add(c->timer, &tv);
}

/* Seconds without progress before the connection is closed. */
static unsigned
net_conn_idle(const struct net_conn *c)
{
	const struct net *n = c->w->net;

	/* At most max-allocate-lifetime after the last success: any live
	 * allocation has been refreshed within that (§8). */
	if (c->allocated && n->max_lifetime > n->set.idle_timeout_s)
		return n->max_lifetime;
	return n->set.idle_timeout_s;
}

/*
 * The timer must fire by the earlier of the idle deadline and the end of
 * the pending frame's grace. It is re-armed only when that is earlier than
 * what it is armed for: progress only moves the deadline later, so the
 * data path never touches the timer; a timer that fires early finds the
 * new deadline and waits for the rest (net_conn_timeout_cb).
 */
static void
net_conn_schedule(struct net_conn *c, uint64_t now)
{
	uint64_t due = c->idle_deadline, stall;

	if (c->frame_since != 0) {
		stall = c->frame_since + (uint64_t)c->w->net->set.idle_timeout_s *
		    1000;
		if (stall < due)
			due = stall;
	}
	if (due < c->timer_due)
		net_conn_arm_at(c, now, due);
}

/* Progress: the idle deadline moves on. */
static void
net_conn_touch(struct net_conn *c)
{
	uint64_t now = net_mono_ms();

	c->idle_deadline = now + (uint64_t)net_conn_idle(c) * 1000;
	net_conn_schedule(c, now);
}

/* Whether the engine's account of one message is progress (above). */
static bool
net_conn_progress(const struct net_conn *c, const struct turn_out *out)
{
	if (out->len > 0 && out->oc.msg == TURN_MSG_REQUEST &&
	    out->oc.code == 0)
		return true;
	return c->allocated && out->len == 0 && out->drop == TURN_DROP_NONE &&
	    (out->oc.msg == TURN_MSG_CHANNEL_DATA ||
	    out->oc.msg == TURN_MSG_INDICATION);
}

/* What a message the engine has served means for the connection. */
static void
net_conn_outcome(struct net_conn *c, const struct turn_out *out)
{
	/* From an Allocate on, the allocation's lifetime, which the client
	 * must refresh (§8), keeps the connection: a client that only
	 * receives relayed data sends nothing for long stretches. A Refresh
	 * with lifetime 0 ends it (§7.3): stream-idle-timeout again. */
	if (out->oc.alloc_ended)
		c->allocated = false;
	if (out->oc.alloc_created)
		c->allocated = true;
	if (net_conn_progress(c, out))
		net_conn_touch(c);
}

/*
 * client_send() on a stream (§12.5: ChannelData and Data indications on
 * the connection, already padded). Relayed data never closes the
 * connection from inside the engine: what does not fit in the output
 * limit, less room for one reply, is dropped as UDP would be.
 */
int
net_conn_send(struct net_conn *c, const uint8_t *data, size_t len)
{
	struct net_worker *w = c->w;
	size_t lim = w->net->set.buffer_limit, queued;

	if (c->closing || c->handshaking || c->bev == NULL)
		return -1;
	lim = lim > 2 * NET_OUT_CAP ? lim - NET_OUT_CAP : lim / 2;
	queued = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (queued + len > lim)
		return -1;
	if (bufferevent_write(c->bev, data, len) == -1)
		return -1;
	return 0;
}

/* A late answer (the request waited for a user key): queued like any. */
void
net_conn_reply(struct net_conn *c, const struct turn_out *out)
{
	if (c->closing || c->handshaking || c->bev == NULL)
		return;
	if (bufferevent_write(c->bev, out->buf, out->len) == 0)
		net_conn_outcome(c, out);
}

/*
 * Hands one frame to the engine and queues the reply. Returns -1 when the
 * connection must be closed (output over its limit, or out of memory).
 */
static int
net_conn_frame(struct net_conn *c, const uint8_t *p, size_t len)
{
	struct net_worker *w = c->w;
	struct evbuffer *outb = bufferevent_get_output(c->bev);
	struct turn_out out;

	memset(&out, 0, sizeof(out));
	out.buf = w->txbuf;
	out.cap = NET_OUT_CAP;
	net_input(w, &c->tuple, p, len, net_now_ms(), &out);
	if (out.len > 0 && bufferevent_write(c->bev, out.buf,
	    out.len) == -1)
		return -1;
	net_conn_outcome(c, &out);
	if (evbuffer_get_length(outb) > w->net->set.buffer_limit)
		return -1;
	return 0;
}

/*
 * Length of the next complete frame in in: >0 a frame of that many bytes
 * is buffered, 0 wait for more, -1 not STUN (close).
 */
static long
net_conn_next(struct evbuffer *in, uint16_t chan_max)
{
	size_t have = evbuffer_get_length(in), want, more;
	const uint8_t *p;
	long flen;

	if (have == 0)
		return 0;
	/* The header is enough to reject a stream; a whole frame must be
	 * contiguous for the framer to report it complete. */
	want = have < STUN_HEADER_LEN ? have : STUN_HEADER_LEN;
	for (;;) {
		if ((p = evbuffer_pullup(in, (ev_ssize_t)want)) == NULL)
			return -1;
		if ((flen = stun_frame_len_max(p, want, chan_max)) != 0)
			break;
		more = have < STUN_MAX_FRAME ? have : STUN_MAX_FRAME;
		if (more == want)
			break;
		want = more;
	}
	if (flen < 0 || (size_t)flen > want)
		return -1;
	/* A largest frame always fits: incomplete at that size is a lie. */
	if (flen == 0)
		return want >= STUN_MAX_FRAME ? -1 : 0;
	return flen;
}

/*
 * After a read: bytes left over are the start of an incomplete frame. It
 * started now if a frame was just taken off the buffer (or nothing was
 * pending), else it is the same frame as before and keeps its start.
 */
static void
net_conn_pending(struct net_conn *c, size_t left, bool took)
{
	uint64_t now;

	if (left == 0) {
		c->frame_since = 0;
		return;
	}
	if (c->frame_since != 0 && !took)
		return;
	now = net_mono_ms();
	c->frame_since = now;
	net_conn_schedule(c, now);
}

static void
net_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *p;
	bool took = false;
	long flen;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while ((flen = net_conn_next(in, c->w->net->chan_max)) > 0) {
		if ((p = evbuffer_pullup(in, flen)) == NULL ||
		    net_conn_frame(c, p, (size_t)flen) == -1)
			goto close;
		evbuffer_drain(in, (size_t)flen);
		took = true;
	}
	if (flen == 0) {
		net_conn_pending(c, evbuffer_get_length(in), took);
		return;
	}
close:
	net_conn_close(c);
}

/* After EOF: close once the last replies have left. */
static void
net_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		net_conn_close(c);
}

static void
net_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_conn *c = arg;
	char e[128];

	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done; now the idle rule applies. */
		c->handshaking = false;
		metrics_count(c->w->mw, METRICS_TLS_HANDSHAKES, METRICS_TLS_OK, 1);
		net_conn_touch(c);
		return;
	}
	/* A handshake that ends in an error or a close is a failure. */
	if (c->handshaking && c->tuple.transport == TURN_TLS &&
	    (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
		metrics_count(c->w->mw, METRICS_TLS_HANDSHAKES,
		    METRICS_TLS_FAILED, 1);
	if ((what & BEV_EVENT_ERROR) && c->tuple.transport == TURN_TLS) {
		if (log_get_level() >= LOG_LVL_DEBUG) {
			net_tls_bev_error(bev, e, sizeof(e));
			log_debug("tls_error", "handshake=%d error=\"%s\"",
			    c->handshaking, e);
		}
	}
	if ((what & BEV_EVENT_EOF) && !c->closing && !c->handshaking &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->closing = true;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	net_conn_close(c);
}

/* The handshake's deadline, the idle deadline or a stalled frame. */
static void
net_conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *c = arg;
	uint64_t now = net_mono_ms(), grace;
	unsigned why;

	(void)fd;
	(void)what;
	grace = (uint64_t)c->w->net->set.idle_timeout_s * 1000;
	if (c->handshaking) {
		metrics_count(c->w->mw, METRICS_TLS_HANDSHAKES,
		    METRICS_TLS_TIMEOUT, 1);
		net_conn_close(c);
		return;
	}
	if (c->frame_since != 0 && now >= c->frame_since + grace)
		why = METRICS_CONN_STALLED_FRAME;
	else if (now >= c->idle_deadline)
		why = c->allocated ? METRICS_CONN_IDLE :
		    METRICS_CONN_NO_ALLOCATION;
	else {
		/* Early (a deadline moved on): wait for the rest. */
		c->timer_due = UINT64_MAX;
		net_conn_schedule(c, now);
		return;
	}
	metrics_count(c->w->mw, METRICS_CONN_TIMEOUTS, why, 1);
	log_debug("conn_timeout", "conn=%llu reason=%s",
	    (unsigned long long)c->tuple.conn,
	    why == METRICS_CONN_STALLED_FRAME ? "stalled_frame" :
	    why == METRICS_CONN_IDLE ? "idle" : "no_allocation");
	net_conn_close(c);
}

/* The client as the log may show it (struct net_hooks, client_str). */
static const char *
net_stream_client_str(const struct net_worker *w, const struct addr *a,
    char *out, size_t cap)
{
	char as[ADDR_STRLEN];

	if (w->data != NULL && w->net->hooks->client_str != NULL)
		w->net->hooks->client_str(w->data, a, out, cap);
	else
		snprintf(out, cap, "client=%s", addr_str(a, as, sizeof(as)));
	return out;
}

/* Closes an accepted socket at once and counts why (a metrics_conn_refusal
 * index); the caps are also counted as tern_quota_refusals_total
 * {kind="connections"}, as before the accept budget existed. */
static void
net_stream_refuse(struct net_listener *l, evutil_socket_t fd,
    const struct addr *a, unsigned why)
{
	static const char *const names[METRICS_CONN_REFUSAL_COUNT] = {
		[METRICS_CONN_PER_IP] = "max-connections-per-ip",
		[METRICS_CONN_PER_48] = "max-connections-per-48",
		[METRICS_CONN_TOTAL] = "max-connections",
		[METRICS_CONN_ACCEPT_RATE] = "stream-accept-rate",
	};
	char cs[NET_CLIENT_STRLEN];

	close(fd);
	metrics_count(l->w->mw, METRICS_CONN_REFUSALS, why, 1);
	if (why != METRICS_CONN_ACCEPT_RATE)
		metrics_count(l->w->mw, METRICS_QUOTA_REFUSALS,
		    METRICS_QUOTA_CONNECTIONS, 1);
	log_rl(&net_refuse_rl, LOG_LVL_WARN, "conn_refused",
	    "proto=%s %s reason=%s", net_proto_name(l->proto),
	    net_stream_client_str(l->w, a, cs, sizeof(cs)), names[why]);
}

/* The budget of new connections, then the caps: a refusal reason, or
 * METRICS_CONN_REFUSAL_COUNT when a is counted in the limiter. */
static unsigned
net_stream_admit(struct net_worker *w, const struct addr *a)
{
	if (w->accept_rate != NULL &&
	    !policy_rate_take(w->accept_rate, a, net_mono_ms()))
		return METRICS_CONN_ACCEPT_RATE;
	switch (net_limits_acquire(w->net->limits, a)) {
	case NET_LIMIT_OK:
		return METRICS_CONN_REFUSAL_COUNT;
	case NET_LIMIT_PER_IP:
		return METRICS_CONN_PER_IP;
	case NET_LIMIT_PER_48:
		return METRICS_CONN_PER_48;
	default:
		return METRICS_CONN_TOTAL;
	}
}

static struct bufferevent *
net_stream_bev(struct net_listener *l, evutil_socket_t fd)
{
	struct net *n = l->w->net;

	if (l->proto == NET_TLS)
		return net_tls_bev_new(n->tls, l->w->base, fd);
	return bufferevent_socket_new(l->w->base, fd, BEV_OPT_CLOSE_ON_FREE);
}

void
net_stream_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct net_listener *l = arg;
	struct net_worker *w = l->w;
	struct net_conn *c = NULL;
	struct addr a;
	uint64_t now;
	unsigned why;
	int one = 1;

	(void)lev;
	memset(&a, 0, sizeof(a));
	if (salen <= 0 || (size_t)salen > sizeof(a.u.ss)) {
		close(fd);
		return;
	}
	memcpy(&a.u.ss, sa, (size_t)salen);
	if ((why = net_stream_admit(w, &a)) != METRICS_CONN_REFUSAL_COUNT) {
		net_stream_refuse(l, fd, &a, why);
		return;
	}
	/* Answers are small and latency matters: no Nagle delay (best effort). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->w = w;
	/* Unique per connection and never 0 (turn_tuple.conn). */
	c->tuple.conn = ++w->conn_seq << 8 | w->id;
	c->tuple.client = a;
	c->tuple.local = l->addr;
	c->tuple.transport = l->proto == NET_TLS ? TURN_TLS : TURN_TCP;
	c->handshaking = l->proto == NET_TLS;
	c->timer_due = UINT64_MAX;	/* not armed */
	if ((c->timer = evtimer_new(w->base, net_conn_timeout_cb, c)) == NULL)
		goto fail;
	/* On failure neither constructor has closed fd (libevent frees the
	 * SSL it was given, never the socket): fail closes it. */
	if ((c->bev = net_stream_bev(l, fd)) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	c->hnext = *net_conn_bucket(w, c->tuple.conn);
	*net_conn_bucket(w, c->tuple.conn) = c;
	metrics_gauge_add(w->mw, METRICS_CONNECTIONS, c->tuple.transport, 1);
	/* At most one largest frame is buffered per connection. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, STUN_MAX_FRAME);
	bufferevent_setcb(c->bev, net_conn_read_cb, net_conn_write_cb,
	    net_conn_event_cb, c);
	if (c->handshaking) {
		now = net_mono_ms();
		net_conn_arm_at(c, now, now +
		    (uint64_t)w->net->set.handshake_timeout_s * 1000);
	} else
		net_conn_touch(c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		net_conn_close(c);
	return;
fail:
	close(fd);
	if (c != NULL && c->timer != NULL)
		event_free(c->timer);
	free(c);
	net_limits_release(w->net->limits, &a);
}

void
net_stream_close_all(struct net_worker *w)
{
	struct net_conn *c, *next;

	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		net_conn_close(c);
	}
}
