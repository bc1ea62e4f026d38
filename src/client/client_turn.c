/* SPDX-License-Identifier: ISC */
/*
 * The blocking TURN client (RFC 8656 §7-§12) over one client connection,
 * with the long-term credential mechanism of RFC 8489 §9.2. See client.h.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "client/client_int.h"
#include "util/crypto.h"

#define TURN_REQ_MAX	4096	/* 32 peers, a 513-byte USERNAME, REALM, NONCE */
#define TURN_RESP_MAX	2048
#define TURN_TRIES	3	/* the request, after a 401, after a 438 */

int
client_turn_init(struct client_turn *t, struct client *c, const char *user,
    const char *pass)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->retry_stale = true;
	t->fingerprint = true;
	return client_turn_set_user(t, user, pass);
}

void
client_turn_clear(struct client_turn *t)
{
	crypto_wipe(t->pass, sizeof(t->pass));
	crypto_wipe(t->key, sizeof(t->key));
	t->have_key = false;
}

/* The long-term key for the current REALM (RFC 8489 §9.2.2). */
static int
turn_key(struct client_turn *t)
{
	t->have_key = false;
	if (t->realm_len == 0)
		return 0;
	if (auth_key_md5(t->user, t->user_len, t->realm, t->realm_len, t->pass,
	    t->pass_len, t->key) == -1)
		return CLIENT_E_ARG;
	t->have_key = true;
	return 0;
}

int
client_turn_set_user(struct client_turn *t, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);

	if (ul == 0 || ul > CLIENT_TURN_USER_MAX || pl > CLIENT_TURN_PASS_MAX)
		return CLIENT_E_ARG;
	memcpy(t->user, user, ul + 1);
	t->user_len = ul;
	crypto_wipe(t->pass, sizeof(t->pass));
	memcpy(t->pass, pass, pl + 1);
	t->pass_len = pl;
	return turn_key(t);
}

/* Builds one request with a fresh TID; signed once we hold a key. */
static size_t
turn_build(struct client_turn *t, uint16_t method,
    const struct client_turn_attr *attrs, size_t n, uint8_t *buf, size_t cap,
    bool *signed_req)
{
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t i;

	if (client_tid_new(tid) == -1)
		return 0;
	stun_builder_init(&b, buf, cap, method, STUN_REQUEST, tid);
	for (i = 0; i < n; i++) {
		if (attrs[i].xaddr != NULL)
			stun_add_xor_addr(&b, attrs[i].type, attrs[i].xaddr);
		else
			stun_add(&b, attrs[i].type, attrs[i].val, attrs[i].len);
	}
	*signed_req = t->have_key && t->nonce_len > 0;
	if (*signed_req) {
		/* RFC 8489 §9.2.3: USERNAME, REALM, NONCE, then MI. */
		stun_add(&b, STUN_ATTR_USERNAME, t->user, t->user_len);
		stun_add(&b, STUN_ATTR_REALM, t->realm, t->realm_len);
		stun_add(&b, STUN_ATTR_NONCE, t->nonce, t->nonce_len);
		stun_add_integrity(&b, t->key, sizeof(t->key));
	}
	if (t->fingerprint)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

/*
 * The ERROR-CODE of an error response, or CLIENT_E_PROTO. Its reason
 * phrase is kept for messages with anything but printable ASCII as '?':
 * it is the server's text and may end up on a terminal.
 */
static int
turn_error_code(struct client_turn *t, const struct stun_msg *m)
{
	const struct stun_attr *a;
	const uint8_t *reason;
	size_t rlen, i;
	int code;

	if ((a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE)) == NULL ||
	    stun_attr_error(a, &code, &reason, &rlen) == -1)
		return CLIENT_E_PROTO;
	if (rlen >= sizeof(t->reason))
		rlen = sizeof(t->reason) - 1;
	for (i = 0; i < rlen; i++) {
		t->reason[i] = '?';
		if (reason[i] >= 0x20 && reason[i] < 0x7f)
			t->reason[i] = (char)reason[i];
	}
	t->reason[rlen] = '\0';
	return code;
}

/* REALM and NONCE of a 401 or 438 (RFC 8489 §9.2.5); a new REALM means a
 * new key. 0 or CLIENT_E_PROTO when either is missing or too long. */
static int
turn_take_challenge(struct client_turn *t, const struct stun_msg *m)
{
	const struct stun_attr *r = stun_msg_attr(m, STUN_ATTR_REALM);
	const struct stun_attr *n = stun_msg_attr(m, STUN_ATTR_NONCE);

	if (r == NULL || n == NULL || r->len == 0 || n->len == 0 ||
	    r->len > sizeof(t->realm) || n->len > sizeof(t->nonce))
		return CLIENT_E_PROTO;
	memcpy(t->nonce, n->val, n->len);
	t->nonce_len = n->len;
	if (r->len != t->realm_len || memcmp(r->val, t->realm, r->len) != 0 ||
	    !t->have_key) {
		memcpy(t->realm, r->val, r->len);
		t->realm_len = r->len;
		return turn_key(t);
	}
	return 0;
}

/* Success responses must carry a valid MESSAGE-INTEGRITY (RFC 8489
 * §9.2.5); error responses are checked when they carry one. */
static bool
turn_verified(const struct client_turn *t, const struct stun_msg *m, int code)
{
	if (m->cls == STUN_SUCCESS)
		return t->have_key &&
		    stun_check_integrity(m, t->key, sizeof(t->key)) == 1;
	if (m->mi_off == 0 || code == STUN_ERR_UNAUTHENTICATED)
		return true;
	return t->have_key && stun_check_integrity(m, t->key, sizeof(t->key)) == 1;
}

/* What to do with one answer: 0 done (r set), 1 send again. */
static int
turn_judge(struct client_turn *t, const struct stun_msg *m, uint16_t method,
    bool signed_req, bool *stale_done, int *r)
{
	int code;

	if (m->method != method) {
		*r = CLIENT_E_PROTO;
		return 0;
	}
	code = m->cls == STUN_SUCCESS ? 0 : turn_error_code(t, m);
	if (code < 0 || !turn_verified(t, m, code)) {
		*r = CLIENT_E_PROTO;
		return 0;
	}
	*r = code;
	/* §9.2.5: the first 401 is the challenge; a 438 gets one retry. */
	if (code == STUN_ERR_UNAUTHENTICATED && !signed_req) {
		if ((*r = turn_take_challenge(t, m)) != 0)
			return 0;
		*r = code;
		return t->have_key ? 1 : 0;
	}
	if (code == STUN_ERR_STALE_NONCE && t->retry_stale && !*stale_done) {
		*stale_done = true;
		if (turn_take_challenge(t, m) != 0)
			return 0;
		return 1;
	}
	if (code == STUN_ERR_STALE_NONCE)
		(void)turn_take_challenge(t, m);	/* the next request's nonce */
	return 0;
}

int
client_turn_request(struct client_turn *t, uint16_t method,
    const struct client_turn_attr *attrs, size_t n, uint8_t *resp, size_t cap,
    struct stun_msg *m, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms, left;
	uint8_t req[TURN_REQ_MAX], own[TURN_RESP_MAX];
	bool signed_req, stale_done = false;
	struct stun_msg own_m;
	size_t len;
	int tries, r = CLIENT_E_TIMEOUT;

	t->reason[0] = '\0';
	if (resp == NULL || m == NULL) {
		resp = own;
		cap = sizeof(own);
		m = &own_m;
	}
	for (tries = 0; tries < TURN_TRIES; tries++) {
		len = turn_build(t, method, attrs, n, req, sizeof(req), &signed_req);
		if (len == 0) {
			r = CLIENT_E_ARG;
			break;
		}
		if ((left = deadline - client_now_ms()) <= 0) {
			r = CLIENT_E_TIMEOUT;
			break;
		}
		r = client_transact(t->c, req, len, resp, cap, m, (int)left);
		if (r != 0 || turn_judge(t, m, method, signed_req, &stale_done, &r) == 0)
			break;
	}
	t->last_error = r;
	return r;
}

static void
turn_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* LIFETIME of a success, when present. */
static void
turn_take_lifetime(struct client_turn *t, const struct stun_msg *m)
{
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_LIFETIME);

	if (a != NULL)
		(void)stun_attr_u32(a, &t->lifetime);
}

int
client_turn_allocate(struct client_turn *t, const struct client_turn_alloc_opts *o,
    int timeout_ms)
{
	uint8_t rt[4] = { CLIENT_TURN_PROTO_UDP, 0, 0, 0 }, fam[4] = { 0 }, lt[4];
	struct client_turn_attr a[3];
	const struct stun_attr *rel, *map;
	uint8_t resp[TURN_RESP_MAX];
	struct stun_msg m;
	size_t n = 0;
	int r;

	if (o != NULL && o->transport != 0)
		rt[0] = o->transport;
	a[n++] = (struct client_turn_attr){ STUN_ATTR_REQUESTED_TRANSPORT, rt, 4, NULL };
	if (o != NULL && o->family != 0) {
		fam[0] = o->family;
		a[n++] = (struct client_turn_attr){ STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
		    fam, 4, NULL };
	}
	if (o != NULL && o->lifetime != 0) {
		turn_put32(lt, o->lifetime);
		a[n++] = (struct client_turn_attr){ STUN_ATTR_LIFETIME, lt, 4, NULL };
	}
	r = client_turn_request(t, STUN_ALLOCATE, a, n, resp, sizeof(resp), &m,
	    timeout_ms);
	if (r != 0)
		return r;
	/* §7.3: XOR-RELAYED-ADDRESS, LIFETIME and XOR-MAPPED-ADDRESS. */
	rel = stun_msg_attr(&m, STUN_ATTR_XOR_RELAYED_ADDRESS);
	map = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (rel == NULL || map == NULL ||
	    stun_msg_attr(&m, STUN_ATTR_LIFETIME) == NULL ||
	    stun_attr_xor_addr(rel, m.tid, &t->relayed) == -1 ||
	    stun_attr_xor_addr(map, m.tid, &t->mapped) == -1)
		return t->last_error = CLIENT_E_PROTO;
	turn_take_lifetime(t, &m);
	return 0;
}

int
client_turn_refresh(struct client_turn *t, long lifetime, int timeout_ms)
{
	struct client_turn_attr a = { STUN_ATTR_LIFETIME, NULL, 4, NULL };
	uint8_t lt[4], resp[TURN_RESP_MAX];
	struct stun_msg m;
	int r;

	if (lifetime > (long)UINT32_MAX)
		return CLIENT_E_ARG;
	if (lifetime >= 0) {
		turn_put32(lt, (uint32_t)lifetime);
		a.val = lt;
	}
	r = client_turn_request(t, STUN_REFRESH, &a, lifetime >= 0 ? 1 : 0, resp,
	    sizeof(resp), &m, timeout_ms);
	if (r == 0)
		turn_take_lifetime(t, &m);
	return r;
}

int
client_turn_permit(struct client_turn *t, const struct addr *peers, size_t n,
    int timeout_ms)
{
	struct client_turn_attr a[CLIENT_TURN_MAX_PEERS];
	size_t i;

	if (n == 0 || n > CLIENT_TURN_MAX_PEERS)
		return CLIENT_E_ARG;
	for (i = 0; i < n; i++)
		a[i] = (struct client_turn_attr){ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0,
		    &peers[i] };
	return client_turn_request(t, STUN_CREATE_PERMISSION, a, n, NULL, 0, NULL,
	    timeout_ms);
}

int
client_turn_channel_bind(struct client_turn *t, uint16_t number,
    const struct addr *peer, int timeout_ms)
{
	/* §18.1: the number, then 16 RFFU bits. */
	uint8_t cn[4] = { (uint8_t)(number >> 8), (uint8_t)number, 0, 0 };
	struct client_turn_attr a[2] = {
		{ STUN_ATTR_CHANNEL_NUMBER, cn, 4, NULL },
		{ STUN_ATTR_XOR_PEER_ADDRESS, NULL, 0, peer },
	};

	return client_turn_request(t, STUN_CHANNEL_BIND, a, 2, NULL, 0, NULL,
	    timeout_ms);
}

int
client_turn_send(struct client_turn *t, const struct addr *peer, const void *data,
    size_t len)
{
	/* header, XOR-PEER-ADDRESS (IPv6), DATA with padding, FINGERPRINT */
	size_t cap = STUN_HEADER_LEN + 24 + 4 + len + 3 + 8, out;
	uint8_t tid[STUN_TID_LEN], *buf;
	struct stun_builder b;
	int r;

	if (len > 65000)
		return CLIENT_E_ARG;
	if ((buf = malloc(cap)) == NULL)
		return CLIENT_E_NOMEM;
	if (client_tid_new(tid) == -1) {
		r = CLIENT_E_IO;
		goto out;
	}
	/* §11.1: no authentication on indications; permissions gate them. */
	stun_builder_init(&b, buf, cap, STUN_SEND, STUN_INDICATION, tid);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_add(&b, STUN_ATTR_DATA, data, len);
	if (t->fingerprint)
		stun_add_fingerprint(&b);
	if ((out = stun_builder_finish(&b)) == 0) {
		r = CLIENT_E_ARG;
		goto out;
	}
	r = client_send_raw(t->c, buf, out);
out:
	free(buf);
	return r;
}

int
client_turn_channel_send(struct client_turn *t, uint16_t number, const void *data,
    size_t len)
{
	size_t total = STUN_CHANNEL_HEADER_LEN + len;
	uint8_t *buf;
	int r;

	if (len > 65535)
		return CLIENT_E_ARG;
	/* §12.5: over TCP/TLS pad to a multiple of 4; not counted in length. */
	if (client_get_transport(t->c) != CLIENT_UDP)
		total = (total + 3) & ~(size_t)3;
	if ((buf = calloc(1, total)) == NULL)
		return CLIENT_E_NOMEM;
	buf[0] = (uint8_t)(number >> 8);
	buf[1] = (uint8_t)number;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	if (len > 0)
		memcpy(buf + STUN_CHANNEL_HEADER_LEN, data, len);
	r = client_send_raw(t->c, buf, total);
	free(buf);
	return r;
}

/* One received frame: 1 relayed data filled in, 0 something else. */
static int
turn_parse_data(const uint8_t *p, size_t n, struct client_turn_data *d)
{
	struct stun_channel_data cd;
	const struct stun_attr *pa, *da;
	struct stun_msg m;

	memset(d, 0, sizeof(*d));
	if (n > 0 && stun_is_channel_byte(p[0])) {
		if (stun_channel_decode(&cd, p, n) == -1)
			return 0;
		d->channel = true;
		d->number = cd.channel;
		d->data = cd.data;
		d->len = cd.len;
		return 1;
	}
	if (stun_decode(&m, p, n) != STUN_OK || m.cls != STUN_INDICATION ||
	    m.method != STUN_DATA)
		return 0;
	/* §11.4: XOR-PEER-ADDRESS and DATA. */
	pa = stun_msg_attr(&m, STUN_ATTR_XOR_PEER_ADDRESS);
	da = stun_msg_attr(&m, STUN_ATTR_DATA);
	if (pa == NULL || da == NULL || stun_attr_xor_addr(pa, m.tid, &d->peer) == -1)
		return 0;
	d->data = da->val;
	d->len = da->len;
	return 1;
}

int
client_turn_recv(struct client_turn *t, uint8_t *buf, size_t cap,
    struct client_turn_data *d, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms, left;
	long n;

	for (;;) {
		if ((left = deadline - client_now_ms()) < 0)
			left = 0;
		n = client_recv_raw(t->c, buf, cap, (int)left);
		if (n < 0)
			return (int)n;
		if (turn_parse_data(buf, (size_t)n, d) == 1)
			return 0;
		if (left == 0)
			return CLIENT_E_TIMEOUT;
	}
}
