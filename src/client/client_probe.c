/* SPDX-License-Identifier: ISC */
/*
 * The relay probe (client.h): two allocations of ours on one TURN server
 * pass a packet to each other and back, relay to relay, once by Send and
 * Data indications (RFC 8656 §11) and once over a channel (§12), so that a
 * success proves the whole data path of a relay, not only that it answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client/client_int.h"
#include "util/crypto.h"

#define PROBE_CHANNEL	0x4000	/* the first channel number, RFC 8656 §12 */
#define PROBE_CLEANUP_MS 250	/* kept back to delete the allocations */
#define PROBE_RTO_MAX	8000	/* resend at least this often over UDP */
#define PROBE_TAG	"ternctl probe "
#define PROBE_TAG_LEN	(sizeof(PROBE_TAG) - 1)
#define PROBE_MSG_LEN	(PROBE_TAG_LEN + 2 + 16)	/* tag, path, way, random */

struct probe_leg {
	struct client *c;
	struct client_turn t;
	bool ready;		/* t holds a copy of the credential */
	bool allocated;
};

struct probe_ctx {
	const struct client_probe_opts *o;
	struct client_probe *p;
	struct probe_leg leg[2];	/* 0 probes, 1 stands in for a peer */
	uint8_t family;			/* REQUESTED-ADDRESS-FAMILY */
	int64_t deadline;		/* for the steps */
	int64_t end;			/* the caller's; deletion runs until it */
};

const char *
client_probe_step_name(enum client_probe_step s)
{
	static const char *const names[] = {
		[CLIENT_PROBE_OK] = "ok",
		[CLIENT_PROBE_CONNECT] = "connect",
		[CLIENT_PROBE_ALLOCATE] = "Allocate",
		[CLIENT_PROBE_PERMISSION] = "CreatePermission",
		[CLIENT_PROBE_SEND] = "Send",
		[CLIENT_PROBE_CHANNEL_BIND] = "ChannelBind",
		[CLIENT_PROBE_CHANNEL] = "ChannelData",
	};

	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}

static int probe_fail(struct probe_ctx *, enum client_probe_step,
    const struct client_turn *, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Records the failed step: r is a STUN error code (> 0, with the reason
 * phrase of t) or a client_err; detail is "<what>: <code> <reason>" or
 * "<what>: <error>". Returns -1.
 */
static int
probe_fail(struct probe_ctx *x, enum client_probe_step step,
    const struct client_turn *t, int r, const char *fmt, ...)
{
	struct client_probe *p = x->p;
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->failed = step;
	if (r > 0) {
		p->code = r;
		snprintf(p->reason, sizeof(p->reason), "%s",
		    t != NULL && t->reason[0] != '\0' ? t->reason :
		    stun_error_reason(r));
		snprintf(p->detail, sizeof(p->detail), "%s: %d %s", what, r,
		    p->reason);
	} else {
		p->err = r;
		snprintf(p->detail, sizeof(p->detail), "%s: %s", what,
		    client_strerror(r));
	}
	return -1;
}

static int
probe_left(int64_t deadline)
{
	int64_t left = deadline - client_now_ms();

	return left > 0 ? (int)left : 0;
}

/* Connects one leg to srv and allocates on it by deadline. 0, an error
 * code, or a client_err (a connect error's text in err). */
static int
probe_open(struct probe_ctx *x, struct probe_leg *l, const struct addr *srv,
    int64_t deadline, char *err, size_t errcap)
{
	struct client_turn_alloc_opts ao = { .family = x->family };
	int r;

	err[0] = '\0';
	if (probe_left(deadline) == 0)
		return CLIENT_E_TIMEOUT;
	r = client_open(&l->c, x->o->url->transport, srv, x->o->url->host,
	    x->o->conn, probe_left(deadline), err, errcap);
	if (r != 0)
		return r;
	l->t.c = l->c;
	if ((r = client_turn_allocate(&l->t, &ao, probe_left(deadline))) == 0)
		l->allocated = true;
	return r;
}

/* An Allocate that failed: answered (an error code, a bad answer) or not. */
static int
probe_alloc_fail(struct probe_ctx *x, const struct probe_leg *l, int r,
    const char *which, const struct addr *srv, const char *err)
{
	char s[ADDR_STRLEN];

	if (r > 0 || r == CLIENT_E_PROTO)
		return probe_fail(x, CLIENT_PROBE_ALLOCATE, &l->t, r,
		    "Allocate (%s allocation)", which);
	if (err[0] != '\0') {	/* client_open's words say it all */
		(void)probe_fail(x, CLIENT_PROBE_CONNECT, NULL, r, "connect");
		snprintf(x->p->detail, sizeof(x->p->detail), "%s", err);
		return -1;
	}
	return probe_fail(x, CLIENT_PROBE_CONNECT, NULL, r, "Allocate to %s",
	    addr_str(srv, s, sizeof(s)));
}

/*
 * Allocates on the first address of the host that answers (sharing the
 * time evenly between the addresses not tried, as a name may resolve to
 * ::1 and 127.0.0.1 while the server listens on one), then allocates the
 * second leg on the same address.
 */
static int
probe_connect(struct probe_ctx *x)
{
	struct addr a[CLIENT_MAX_ADDRS];
	struct probe_leg *l = &x->leg[0];
	char err[256] = "";
	int i, n, r = CLIENT_E_TIMEOUT;

	if ((n = client_url_resolve(x->o->url, a, CLIENT_MAX_ADDRS, err,
	    sizeof(err))) < 0)
		return probe_fail(x, CLIENT_PROBE_CONNECT, NULL, n, "%s", err);
	for (i = 0; i < n; i++) {
		x->family = x->o->family != 0 ? x->o->family :
		    addr_family(&a[i]) == AF_INET6 ? CLIENT_TURN_FAMILY_IPV6 :
		    CLIENT_TURN_FAMILY_IPV4;
		r = probe_open(x, l, &a[i], client_now_ms() +
		    probe_left(x->deadline) / (n - i), err, sizeof(err));
		if (r == 0)
			break;
		if (r > 0 || r == CLIENT_E_PROTO)
			x->p->server = a[i];	/* it answered */
		if (r > 0 || r == CLIENT_E_PROTO || r == CLIENT_E_TLS || i == n - 1)
			return probe_alloc_fail(x, l, r, "first", &a[i], err);
		client_free(l->c);	/* another address may answer */
		l->c = l->t.c = NULL;
	}
	x->p->server = a[i];
	x->p->allocated = true;
	x->p->relayed = l->t.relayed;
	x->p->mapped = l->t.mapped;
	l = &x->leg[1];
	if ((r = probe_open(x, l, &a[i], x->deadline, err, sizeof(err))) != 0)
		return probe_alloc_fail(x, l, r, "second", &a[i], err);
	x->p->peer = l->t.relayed;
	return 0;
}

/* Each leg lets the other's relayed address in (§9): CreatePermission
 * or, for the channel, ChannelBind (§12.1, which also installs it). */
static int
probe_permit(struct probe_ctx *x, bool channel)
{
	const struct addr *peer;
	struct probe_leg *l;
	char s[ADDR_STRLEN];
	int i, r;

	for (i = 0; i < 2; i++) {
		l = &x->leg[i];
		peer = &x->leg[!i].t.relayed;
		if (channel)
			r = client_turn_channel_bind(&l->t, PROBE_CHANNEL, peer,
			    probe_left(x->deadline));
		else
			r = client_turn_permit(&l->t, peer, 1,
			    probe_left(x->deadline));
		if (r == 0)
			continue;
		if (channel)
			return probe_fail(x, CLIENT_PROBE_CHANNEL_BIND, &l->t, r,
			    "ChannelBind 0x%04x to %s", PROBE_CHANNEL,
			    addr_str(peer, s, sizeof(s)));
		return probe_fail(x, CLIENT_PROBE_PERMISSION, &l->t, r,
		    "CreatePermission for %s", addr_ip_str(peer, s, sizeof(s)));
	}
	return 0;
}

/* Whether d is msg, arrived the way it was sent. */
static bool
probe_is(const struct client_turn_data *d, bool channel, const uint8_t *msg,
    size_t len)
{
	return d->channel == channel && (!channel || d->number == PROBE_CHANNEL) &&
	    d->len == len && memcmp(d->data, msg, len) == 0;
}

/*
 * Sends msg from leg `from` to the other leg's relayed address and waits
 * for it there; over UDP it goes again every RTO, doubling. 0 or a
 * client_err.
 */
static int
probe_carry(struct probe_ctx *x, int from, bool channel, const uint8_t *msg,
    size_t len)
{
	struct probe_leg *s = &x->leg[from], *d = &x->leg[!from];
	bool udp = client_get_transport(s->c) == CLIENT_UDP;
	struct client_turn_data got;
	uint8_t buf[2048];
	int64_t now, next = 0;
	int rto = CLIENT_RTO_MS, r;

	for (;;) {
		if ((now = client_now_ms()) >= x->deadline)
			return CLIENT_E_TIMEOUT;
		if (now >= next) {
			r = channel ? client_turn_channel_send(&s->t,
			    PROBE_CHANNEL, msg, len) :
			    client_turn_send(&s->t, &d->t.relayed, msg, len);
			if (r != 0)
				return r;
			next = udp ? now + rto : x->deadline;
			rto = rto < PROBE_RTO_MAX / 2 ? rto * 2 : PROBE_RTO_MAX;
		}
		r = client_turn_recv(&d->t, buf, sizeof(buf), &got,
		    probe_left(next < x->deadline ? next : x->deadline));
		if (r == 0 && probe_is(&got, channel, msg, len))
			return 0;
		if (r != 0 && r != CLIENT_E_TIMEOUT)
			return r;
	}
}

/* One packet relay to relay and back; its round trip. */
static int
probe_path(struct probe_ctx *x, bool channel, double *rtt)
{
	enum client_probe_step step = channel ? CLIENT_PROBE_CHANNEL :
	    CLIENT_PROBE_SEND;
	const char *how = channel ? "ChannelData on 0x4000" :
	    "a Send indication";
	uint8_t msg[PROBE_MSG_LEN];
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	double t0;
	int r, way;

	memcpy(msg, PROBE_TAG, PROBE_TAG_LEN);
	msg[PROBE_TAG_LEN] = channel ? 'c' : 's';
	if (crypto_random(msg + PROBE_TAG_LEN + 2, 16) == -1)
		return probe_fail(x, step, NULL, CLIENT_E_IO, "random bytes");
	t0 = client_now_us();
	for (way = 0; way < 2; way++) {
		msg[PROBE_TAG_LEN + 1] = way == 0 ? '>' : '<';
		if ((r = probe_carry(x, way, channel, msg, sizeof(msg))) != 0)
			return probe_fail(x, step, NULL, r, "%s from %s to %s "
			    "was not delivered as %s", how,
			    addr_str(&x->leg[way].t.relayed, s1, sizeof(s1)),
			    addr_str(&x->leg[!way].t.relayed, s2, sizeof(s2)),
			    channel ? "ChannelData" : "a Data indication");
	}
	*rtt = (client_now_us() - t0) / 1000.0;
	return 0;
}

/* Deletes the allocations (Refresh LIFETIME 0, §8) in the time kept
 * back, and frees the legs. */
static void
probe_close(struct probe_ctx *x)
{
	struct probe_leg *l;
	int i, left;

	for (i = 0; i < 2; i++) {
		l = &x->leg[i];
		if (l->allocated && (left = probe_left(x->end)) > 0)
			(void)client_turn_refresh(&l->t, 0, left / (2 - i));
		if (l->ready)
			client_turn_clear(&l->t);
		client_free(l->c);
	}
}

int
client_probe_relay(const struct client_probe_opts *o, struct client_probe *p)
{
	struct probe_ctx x;
	int64_t keep = o->timeout_ms / 5;
	int i, r = -1;

	memset(p, 0, sizeof(*p));
	p->send_rtt_ms = p->channel_rtt_ms = -1;
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.p = p;
	x.end = client_now_ms() + o->timeout_ms;
	x.deadline = x.end - (keep < PROBE_CLEANUP_MS ? keep : PROBE_CLEANUP_MS);
	for (i = 0; i < 2; i++) {
		if (client_turn_init(&x.leg[i].t, NULL, o->user, o->pass) != 0) {
			(void)probe_fail(&x, CLIENT_PROBE_CONNECT, NULL, CLIENT_E_ARG,
			    "the user name or the password");
			goto out;
		}
		x.leg[i].ready = true;
	}
	if (probe_connect(&x) == 0 && probe_permit(&x, false) == 0 &&
	    probe_path(&x, false, &p->send_rtt_ms) == 0 &&
	    probe_permit(&x, true) == 0 &&
	    probe_path(&x, true, &p->channel_rtt_ms) == 0)
		r = 0;
out:
	probe_close(&x);
	return r;
}
