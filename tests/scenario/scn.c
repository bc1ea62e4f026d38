/* SPDX-License-Identifier: ISC */
/* The scenario harness (see scn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "util/crypto.h"

static int
scn_relay_open(void *ctx, int family, unsigned ip, uint16_t port,
    unsigned flags, struct addr *relayed, uint64_t *handle)
{
	struct scn *s = ctx;
	struct scn_open *o;

	if (s->fail_open)
		return TURN_IO_FAIL;
	if ((family == AF_INET && s->no_v4) || (family == AF_INET6 && s->no_v6))
		return TURN_IO_NO_FAMILY;
	if (s->busy_ports > 0) {
		s->busy_ports--;
		return TURN_IO_PORT_IN_USE;
	}
	if (s->nopens >= SCN_MAX_REC)
		return TURN_IO_FAIL;
	if (family == AF_INET)
		addr_parse_ip(relayed, SCN_RELAY4, port);
	else
		addr_parse_ip(relayed, SCN_RELAY6, port);
	*handle = ++s->next_handle;
	o = &s->opens[s->nopens++];
	o->family = family;
	o->ip = ip;
	o->port = port;
	o->flags = flags;
	o->handle = *handle;
	o->relayed = *relayed;
	return TURN_IO_OK;
}

static void
scn_relay_close(void *ctx, uint64_t handle)
{
	struct scn *s = ctx;

	if (s->ncloses < SCN_MAX_REC)
		s->closes[s->ncloses++] = handle;
}

static void
scn_relay_send(void *ctx, uint64_t handle, const struct addr *peer,
    const uint8_t *data, size_t len)
{
	struct scn *s = ctx;
	struct scn_pkt *p;

	if (s->nsends >= SCN_MAX_REC || len > SCN_BUF)
		return;
	p = &s->sends[s->nsends++];
	p->handle = handle;
	p->peer = *peer;
	memcpy(p->data, data, len);
	p->len = len;
}

static void
scn_client_send(void *ctx, const struct turn_tuple *t, const uint8_t *data,
    size_t len)
{
	struct scn *s = ctx;
	struct scn_pkt *p;

	if (s->ncsends >= SCN_MAX_REC || len > SCN_BUF)
		return;
	p = &s->csends[s->ncsends++];
	p->t = *t;
	memcpy(p->data, data, len);
	p->len = len;
}

int
scn_restart(struct scn *s)
{
	turn_engine_free(s->e);
	if ((s->e = turn_engine_new(&s->opts)) == NULL)
		return -1;
	turn_engine_set_env(s->e, s->creds, s->policy);
	return 0;
}

int
scn_policy_hosts(struct scn *s, const char *const *hosts, size_t n)
{
	struct policy_peer_opts po;
	struct policy_peer *p, *old = s->policy;
	struct addr relay[4], host[SCN_MAX_HOSTS + 4];
	size_t i, nrelay = 0;

	if (n > SCN_MAX_HOSTS)
		return -1;
	addr_parse_ip(&relay[nrelay++], SCN_RELAY4, 0);
	addr_parse_ip(&relay[nrelay++], SCN_RELAY6, 0);
	if (addr_family(&s->opts.external4) == AF_INET)
		relay[nrelay++] = s->opts.external4;
	if (addr_family(&s->opts.external6) == AF_INET6)
		relay[nrelay++] = s->opts.external6;
	for (i = 0; i < n; i++)
		if (addr_parse_ip(&host[i], hosts[i], 0) != 0)
			return -1;
	memcpy(host + n, relay, nrelay * sizeof(relay[0]));
	memset(&po, 0, sizeof(po));
	po.relay = relay;
	po.nrelay = nrelay;
	po.relay_port_min = s->port_min;
	po.relay_port_max = s->port_max;
	po.host = host;
	po.nhost = n + nrelay;
	if ((p = policy_peer_new(&po, NULL)) == NULL)
		return -1;
	s->policy = p;
	turn_engine_set_env(s->e, s->creds, p);
	policy_peer_free(old);
	return 0;
}

static enum turn_key
scn_user_key(void *ctx, const struct turn_tuple *t, const uint8_t *user,
    size_t len, uint8_t key[16])
{
	struct scn *s = ctx;

	(void)t;
	s->uk_calls++;
	s->uk_name_len = len < sizeof(s->uk_name) ? len : sizeof(s->uk_name);
	memcpy(s->uk_name, user, s->uk_name_len);
	if (s->uk_answer == TURN_KEY_FOUND)
		memcpy(key, s->uk_key, 16);
	return s->uk_answer;
}

static void
scn_alloc_event(void *ctx, const struct turn_alloc_event *ev)
{
	struct scn *s = ctx;
	struct turn_alloc_event *to;
	size_t n;

	if (s->nevents < SCN_MAX_REC) {
		to = &s->events[s->nevents];
		*to = *ev;
		to->tuple = NULL;
		to->relayed[0] = to->relayed[1] = NULL;
		n = ev->user_len < sizeof(s->ev_user[0]) ? ev->user_len :
		    sizeof(s->ev_user[0]);
		if (n > 0)
			memcpy(s->ev_user[s->nevents], ev->user, n);
		to->user = s->ev_user[s->nevents];
		to->user_len = n;
		s->ev_use[s->nevents] = *ev->use;
		to->use = &s->ev_use[s->nevents];
		s->nevents++;
	}
}

void
scn_user_store(struct scn *s, bool on)
{
	s->hooks.user_key = on ? scn_user_key : NULL;
}

struct auth_creds *
scn_creds_base(bool with_secret)
{
	static const char *const users[] = { "alice:secret", "bob:hunter2" };
	struct auth_creds *c;
	size_t i;

	c = auth_creds_new(SCN_REALM, strlen(SCN_REALM), ':', 0, 0);
	if (c == NULL)
		abort();
	for (i = 0; i < 2; i++)
		if (auth_creds_add_user(c, users[i], strlen(users[i])) != 0)
			abort();
	if (with_secret && auth_creds_add_secret(c, SCN_SECRET,
	    strlen(SCN_SECRET)) != 0)
		abort();
	return c;
}

void
scn_env(struct scn *s, struct auth_creds *creds)
{
	struct auth_creds *old = s->creds;

	auth_creds_seal(creds);
	s->creds = creds;
	turn_engine_set_env(s->e, s->creds, s->policy);
	auth_creds_free(old);
}

static int
scn_creds(struct scn *s)
{
	s->creds = scn_creds_base(true);
	auth_creds_seal(s->creds);
	return 0;
}

int
scn_init(struct scn *s, uint16_t port_min, uint16_t port_max,
    uint32_t user_quota, uint32_t ip_quota, uint32_t total_quota)
{
	struct policy_peer_opts po;
	const char *why = NULL;

	memset(s, 0, sizeof(*s));
	s->now = SCN_T0;
	s->sends = calloc(SCN_MAX_REC, sizeof(*s->sends));
	s->csends = calloc(SCN_MAX_REC, sizeof(*s->csends));
	if (s->sends == NULL || s->csends == NULL)
		return -1;
	if (crypto_init() != 0 || auth_ctx_init(&s->auth, 0) != 0 ||
	    scn_creds(s) != 0)
		return -1;
	memset(&po, 0, sizeof(po));	/* the default policy */
	if ((s->policy = policy_peer_new(&po, &why)) == NULL)
		return -1;
	/* 0, 0 is the default range (turn_ports_new) */
	s->port_min = port_min != 0 || port_max != 0 ? port_min : 49152;
	s->port_max = port_min != 0 || port_max != 0 ? port_max : 65535;
	s->ports = turn_ports_new(port_min, port_max);
	s->quota = turn_quota_new(user_quota, ip_quota, total_quota);
	if (s->ports == NULL || s->quota == NULL)
		return -1;
	s->io.ctx = s;
	s->io.relay_open = scn_relay_open;
	s->io.relay_close = scn_relay_close;
	s->io.relay_send = scn_relay_send;
	s->io.client_send = scn_client_send;
	s->opts.io = &s->io;
	s->hooks.ctx = s;
	s->hooks.alloc_event = scn_alloc_event;
	s->opts.hooks = &s->hooks;
	s->opts.auth = &s->auth;
	s->opts.ports = s->ports;
	s->opts.quota = s->quota;
	s->opts.budget_entries = 1024;	/* the budgets' defaults otherwise */
	return scn_restart(s);
}

void
scn_free(struct scn *s)
{
	turn_engine_free(s->e);
	s->e = NULL;
	turn_ports_free(s->ports);
	turn_quota_free(s->quota);
	policy_peer_free(s->policy);
	auth_creds_free(s->creds);
	auth_ctx_clear(&s->auth);
	free(s->sends);
	free(s->csends);
}

static void
scn_client_at(struct scn_client *c, const char *client)
{
	memset(c, 0, sizeof(*c));
	addr_parse(&c->t.client, client, 0);
	addr_parse(&c->t.local, "192.0.2.1:3478", 0);
	c->t.transport = TURN_UDP;
	c->code = -1;
}

void
scn_client_static(struct scn_client *c, const char *user, const char *pw,
    const char *client)
{
	scn_client_at(c, client);
	snprintf(c->user, sizeof(c->user), "%s", user);
	auth_key_md5(user, strlen(user), SCN_REALM, strlen(SCN_REALM), pw,
	    strlen(pw), c->key);
	auth_key_sha256(user, strlen(user), SCN_REALM, strlen(SCN_REALM), pw,
	    strlen(pw), c->key256);
}

void
scn_client_rest(struct scn *s, struct scn_client *c, const char *userid,
    const char *client)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];

	scn_client_at(c, client);
	snprintf(c->user, sizeof(c->user), "%llu:%s",
	    (unsigned long long)(s->now / 1000 + 3600), userid);
	auth_rest_password(SCN_SECRET, strlen(SCN_SECRET), c->user,
	    strlen(c->user), pw);
	auth_key_md5(c->user, strlen(c->user), SCN_REALM, strlen(SCN_REALM),
	    pw, strlen(pw), c->key);
}

void
scn_client_rest_at(struct scn_client *c, const char *userid, uint64_t expiry,
    const char *client)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];

	scn_client_at(c, client);
	snprintf(c->user, sizeof(c->user), "%llu:%s",
	    (unsigned long long)expiry, userid);
	auth_rest_password(SCN_SECRET, strlen(SCN_SECRET), c->user,
	    strlen(c->user), pw);
	auth_key_md5(c->user, strlen(c->user), SCN_REALM, strlen(SCN_REALM),
	    pw, strlen(pw), c->key);
}

void
scn_client_tcp(struct scn_client *c, uint64_t conn)
{
	c->t.transport = TURN_TCP;
	c->t.conn = conn;
}

static size_t
scn_build(struct scn_client *c, uint8_t *buf, uint16_t method,
    enum stun_class cls, const struct scn_attr *attrs, bool auth)
{
	struct stun_builder b;
	struct addr a;
	size_t i;

	stun_builder_init(&b, buf, SCN_BUF, method, cls, c->tid);
	for (i = 0; attrs != NULL && attrs[i].type != 0; i++) {
		if (attrs[i].xaddr != NULL) {
			if (addr_parse(&a, attrs[i].xaddr, 0) != 0)
				abort();
			stun_add_xor_addr(&b, attrs[i].type, &a);
		} else
			stun_add(&b, attrs[i].type, attrs[i].val, attrs[i].len);
	}
	if (auth) {
		stun_add(&b, STUN_ATTR_USERNAME, c->user, strlen(c->user));
		stun_add(&b, STUN_ATTR_REALM, SCN_REALM, strlen(SCN_REALM));
		stun_add(&b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
		if (c->sha256) {
			/* RFC 8489 §9.2.4: echo the list, pick one */
			stun_add(&b, STUN_ATTR_PASSWORD_ALGORITHMS, c->algs,
			    c->algs_len);
			stun_add(&b, STUN_ATTR_PASSWORD_ALGORITHM,
			    "\0\x02\0\0", 4);
			stun_add_integrity_sha256(&b, c->key256,
			    sizeof(c->key256));
		} else
			stun_add_integrity(&b, c->key, sizeof(c->key));
	}
	if (c->fp)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

/* Runs one packet from the client and decodes the answer. */
static void
scn_run(struct scn *s, struct scn_client *c, const uint8_t *p, size_t n)
{
	struct turn_out out;
	const struct stun_attr *ec;
	const uint8_t *reason;
	size_t rlen;

	if (p != c->last && n <= sizeof(c->last)) {
		memcpy(c->last, p, n);
		c->last_len = n;
	}
	memset(&out, 0, sizeof(out));
	memset(c->resp, 0xEE, sizeof(c->resp));
	out.buf = c->resp;
	out.cap = sizeof(c->resp);
	turn_engine_input(s->e, &c->t, p, n, s->now, &out);
	c->resp_len = out.len;
	c->drop = out.drop;
	c->oc = out.oc;
	c->code = -1;
	c->mi_ok = false;
	if (out.len == 0 || stun_decode(&c->m, c->resp, out.len) != STUN_OK)
		return;
	c->mi_ok = c->sha256 ? stun_check_integrity_sha256(&c->m, c->key256,
	    sizeof(c->key256)) == 1 && c->m.mi_off == 0 :
	    stun_check_integrity(&c->m, c->key, sizeof(c->key)) == 1;
	if (c->m.cls == STUN_SUCCESS) {
		c->code = 0;
		return;
	}
	ec = stun_msg_attr(&c->m, STUN_ATTR_ERROR_CODE);
	if (ec == NULL || stun_attr_error(ec, &c->code, &reason, &rlen) != 0)
		c->code = -2;
}

int
scn_request(struct scn *s, struct scn_client *c, uint16_t method,
    const struct scn_attr *attrs, const uint8_t *tid)
{
	uint8_t buf[SCN_BUF];
	const struct stun_attr *na;
	size_t n;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (tid != NULL && tries == 0)
			memcpy(c->tid, tid, sizeof(c->tid));
		else
			crypto_random(c->tid, sizeof(c->tid));
		n = scn_build(c, buf, method, STUN_REQUEST, attrs,
		    c->nonce_len > 0);
		scn_run(s, c, buf, n);
		if (c->once || (c->code != 401 && c->code != 438))
			break;
		/* a challenge: take the nonce, as a client does */
		na = stun_msg_attr(&c->m, STUN_ATTR_NONCE);
		if (na == NULL || na->len >= sizeof(c->nonce) ||
		    (c->code == 401 && c->nonce_len > 0 && tries > 0))
			break;
		memcpy(c->nonce, na->val, na->len);
		c->nonce_len = na->len;
		na = stun_msg_attr(&c->m, STUN_ATTR_PASSWORD_ALGORITHMS);
		if (na != NULL && na->len <= sizeof(c->algs)) {
			memcpy(c->algs, na->val, na->len);
			c->algs_len = na->len;
		}
	}
	return c->code;
}

int
scn_resubmit(struct scn *s, struct scn_client *c)
{
	scn_run(s, c, c->last, c->last_len);
	return c->code;
}

int
scn_request_noauth(struct scn *s, struct scn_client *c, uint16_t method,
    const struct scn_attr *attrs)
{
	uint8_t buf[SCN_BUF];
	size_t n;

	crypto_random(c->tid, sizeof(c->tid));
	n = scn_build(c, buf, method, STUN_REQUEST, attrs, false);
	scn_run(s, c, buf, n);
	return c->code;
}

int
scn_allocate(struct scn *s, struct scn_client *c, const struct scn_attr *attrs)
{
	static const uint8_t udp[4] = { 17, 0, 0, 0 };
	struct scn_attr all[16];
	size_t i = 0;

	all[i++] = (struct scn_attr){ STUN_ATTR_REQUESTED_TRANSPORT, udp, 4,
	    NULL };
	for (; attrs != NULL && attrs->type != 0 && i < 15; attrs++)
		all[i++] = *attrs;
	all[i].type = 0;
	return scn_request(s, c, STUN_ALLOCATE, all, NULL);
}

int
scn_permit(struct scn *s, struct scn_client *c, const char *peer)
{
	struct scn_attr a[2] = {
		{ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, peer }, { 0, NULL, 0, NULL }
	};

	return scn_request(s, c, STUN_CREATE_PERMISSION, a, NULL);
}

int
scn_bind(struct scn *s, struct scn_client *c, uint16_t ch, const char *peer)
{
	uint8_t num[4] = { (uint8_t)(ch >> 8), (uint8_t)ch, 0, 0 };
	struct scn_attr a[3] = {
		{ STUN_ATTR_CHANNEL_NUMBER, num, 4, NULL },
		{ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, peer },
		{ 0, NULL, 0, NULL }
	};

	return scn_request(s, c, STUN_CHANNEL_BIND, a, NULL);
}

enum turn_drop
scn_send(struct scn *s, struct scn_client *c, const char *peer,
    const void *data, size_t len)
{
	uint8_t buf[SCN_BUF];
	struct scn_attr a[3] = {
		{ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, peer },
		{ STUN_ATTR_DATA, data, len, NULL },
		{ 0, NULL, 0, NULL }
	};
	size_t n;

	crypto_random(c->tid, sizeof(c->tid));
	n = scn_build(c, buf, STUN_SEND, STUN_INDICATION,
	    peer != NULL ? a : a + 1, false);
	scn_run(s, c, buf, n);
	return c->resp_len == 0 ? c->drop : TURN_DROP_COUNT;
}

enum turn_drop
scn_chandata(struct scn *s, struct scn_client *c, uint16_t ch,
    const void *data, size_t len)
{
	uint8_t buf[SCN_BUF];
	size_t n = 4 + len;

	buf[0] = (uint8_t)(ch >> 8);
	buf[1] = (uint8_t)ch;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	memcpy(buf + 4, data, len);
	if (c->t.transport != TURN_UDP)
		while (n % 4 != 0)
			buf[n++] = 0;
	scn_run(s, c, buf, n);
	return c->resp_len == 0 ? c->drop : TURN_DROP_COUNT;
}

enum turn_drop
scn_peer(struct scn *s, uint64_t handle, const char *peer, const void *data,
    size_t len)
{
	static uint8_t rx[TURN_PEER_HEADROOM + SCN_BUF + TURN_PEER_TAILROOM];
	struct addr a;

	if (addr_parse(&a, peer, 0) != 0 || len > SCN_BUF)
		abort();
	memset(rx, 0xAA, sizeof(rx));
	memcpy(rx + TURN_PEER_HEADROOM, data, len);
	return turn_engine_peer_input(s->e, handle, &a, rx + TURN_PEER_HEADROOM,
	    TURN_PEER_HEADROOM, len, TURN_PEER_TAILROOM, s->now);
}

int
scn_resp_xaddr(struct scn_client *c, uint16_t type, struct addr *out)
{
	return stun_attr_xor_addr(stun_msg_attr(&c->m, type), c->m.tid, out);
}

int
scn_resp_relayed(struct scn_client *c, int n, struct addr *out)
{
	size_t off = STUN_HEADER_LEN;
	struct stun_attr a;
	uint16_t len;

	while (off + 4 <= c->resp_len) {
		a.type = (uint16_t)(c->resp[off] << 8 | c->resp[off + 1]);
		len = (uint16_t)(c->resp[off + 2] << 8 | c->resp[off + 3]);
		a.len = len;
		a.val = c->resp + off + 4;
		off += 4 + ((len + 3u) & ~3u);
		if (a.type == STUN_ATTR_XOR_RELAYED_ADDRESS && n-- == 0)
			return stun_attr_xor_addr(&a, c->m.tid, out);
	}
	return -1;
}

long
scn_resp_u32(struct scn_client *c, uint16_t type)
{
	uint32_t v;

	if (stun_attr_u32(stun_msg_attr(&c->m, type), &v) != 0)
		return -1;
	return (long)v;
}

uint64_t
scn_handle_of(struct scn *s, const struct addr *relayed)
{
	size_t i;

	for (i = s->nopens; i-- > 0;)
		if (s->opens[i].family == addr_family(relayed) &&
		    s->opens[i].port == addr_port(relayed))
			return s->opens[i].handle;
	return 0;
}

void
scn_advance(struct scn *s, uint64_t ms)
{
	s->now += ms;
	turn_engine_tick(s->e, s->now);
}

const char *
scn_str(const struct addr *a)
{
	static char buf[ADDR_STRLEN];

	return addr_str(a, buf, sizeof(buf));
}
