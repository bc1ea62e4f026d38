/* SPDX-License-Identifier: ISC */
/*
 * fuzz_turn_engine: the whole TURN engine, deterministic, with a fake
 * clock and a fake I/O layer (like tests/scenario/scn.c, self-contained).
 *
 * The input is a sequence of operations, each an opcode byte and its
 * operands: a request from one of five clients (static alice, static bob
 * with only an MD5 key, two REST credentials, one expiring soon, and dave
 * whose key comes from a fake outside store), built with the STUN builder
 * from fuzzed attributes and signed with a good or a bad key (or not at
 * all, or with MI-SHA256); a raw client packet; ChannelData; a Send
 * indication; a peer datagram on an open, closed or made-up relay handle;
 * a clock jump (with or without a tick); a credentials/policy swap with
 * revocations; the store's next answer; a closed TCP connection.
 * Clients keep the NONCE and RESERVATION-TOKEN they are given.
 *
 * Invariants (abort on violation):
 *  - relay_send and relay_close only on handles relay_open returned that
 *    are still open (never 0, never twice closed);
 *  - every peer relay_send reaches is allowed by the current policy for
 *    that relay's address;
 *  - an answer never exceeds the caller's buffer, decodes as STUN, and is
 *    a response to the request's transaction; PENDING never answers;
 *  - client_send goes to a known client, within the peer buffer;
 *  - neither direction is relayed for a user revoked at that time;
 *  - live allocations <= open relays <= 2 x live allocations, and no
 *    counter wraps below zero; after turn_engine_free every relay is
 *    closed, and every port is back once reservations have run out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_REALM	"example.org"
#define FZ_SECRET	"fuzz-secret"
#define FZ_T0		1767225600000ull
#define FZ_PORT_MIN	50000
#define FZ_PORT_MAX	50015
#define FZ_NCLIENT	5
#define FZ_MAX_OPEN	1024
#define FZ_BUF		2048
#define FZ_MAX_OPS	96

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (%s:%d)\n", \
	#c, __FILE__, __LINE__); abort(); } } while (0)

struct fz_relay {
	uint64_t handle;
	struct addr bound;
	bool open;
};

struct fz_client {
	struct turn_tuple t;
	char user[64];
	uint8_t key[16];
	uint8_t key256[32];
	bool has256;
	char nonce[64];
	size_t nonce_len;
	uint8_t token[8];
	bool has_token;
};

struct fz {
	struct turn_engine *e;
	struct turn_io io;
	struct turn_hooks hooks;
	int64_t ev_live;	/* allocations alive by the engine's events */
	struct turn_opts opts;
	struct auth_creds *creds;
	struct policy_peer *pol[2];
	int polsel;
	struct turn_ports *ports;
	struct turn_quota *quota;
	uint64_t now;
	uint64_t next_handle;
	struct fz_relay relays[FZ_MAX_OPEN];
	size_t nrelays, nopen;
	struct fz_client c[FZ_NCLIENT];
	enum turn_key uk;
	const uint8_t *p;	/* the input cursor */
	size_t left;
};

static struct auth_ctx fz_auth;
static bool fz_ready;

static const char *const fz_peers[] = { "8.8.8.8", "127.0.0.1", "10.0.0.1",
	"2001:4860::8888", "::1", "203.0.113.10", "::ffff:10.0.0.1",
	"169.254.169.254" };
#define FZ_NPEERS (sizeof(fz_peers) / sizeof(fz_peers[0]))

static uint8_t
get8(struct fz *f)
{
	if (f->left == 0)
		return 0;
	f->left--;
	return *f->p++;
}

static uint16_t
get16(struct fz *f)
{
	uint16_t v = get8(f);

	return (uint16_t)(v << 8 | get8(f));
}

/* Up to max bytes of input (fewer at the end). */
static size_t
getn(struct fz *f, uint8_t *out, size_t max)
{
	size_t n = get8(f) % (max + 1);

	if (n > f->left)
		n = f->left;
	memcpy(out, f->p, n);
	f->p += n;
	f->left -= n;
	return n;
}

static struct fz_relay *
fz_relay_find(struct fz *f, uint64_t handle)
{
	size_t i;

	for (i = 0; i < f->nrelays; i++)
		if (f->relays[i].handle == handle)
			return &f->relays[i];
	return NULL;
}

static int
fz_relay_open(void *ctx, int family, unsigned ip, uint16_t port,
    unsigned flags, struct addr *relayed, uint64_t *handle)
{
	struct fz *f = ctx;
	struct fz_relay *r;

	(void)flags;
	CHECK(ip == 0);		/* one relay IP per family (turn_ports_new) */
	CHECK(port >= FZ_PORT_MIN && port <= FZ_PORT_MAX);
	if (f->nrelays >= FZ_MAX_OPEN)
		return TURN_IO_FAIL;
	if (port % 7 == 3)
		return TURN_IO_PORT_IN_USE;	/* the engine tries another */
	r = &f->relays[f->nrelays++];
	addr_parse_ip(relayed, family == AF_INET ? "203.0.113.10" :
	    "2001:db8::10", port);
	r->handle = ++f->next_handle;
	r->bound = *relayed;
	r->open = true;
	f->nopen++;
	*handle = r->handle;
	return TURN_IO_OK;
}

static void
fz_relay_close(void *ctx, uint64_t handle)
{
	struct fz *f = ctx;
	struct fz_relay *r = fz_relay_find(f, handle);

	CHECK(handle != 0 && r != NULL && r->open);
	r->open = false;
	f->nopen--;
}

/* A revoked user's allocation was closed when the revocation came in
 * (revocations only arrive with set_env, and auth refuses new ones). */
static void
fz_not_revoked(struct fz *f, const struct turn_alloc *a)
{
	CHECK(a != NULL);
	CHECK(!auth_creds_is_revoked(f->creds, a->quser, a->quser_len,
	    f->now / 1000));
}

static void
fz_relay_send(void *ctx, uint64_t handle, const struct addr *peer,
    const uint8_t *data, size_t len)
{
	struct fz *f = ctx;
	struct fz_relay *r = fz_relay_find(f, handle);
	const struct policy_peer *pol = f->pol[f->polsel];

	(void)data;
	CHECK(handle != 0 && r != NULL && r->open);
	CHECK(len <= FZ_BUF);
	CHECK(addr_family(peer) == addr_family(&r->bound));
	CHECK(!addr_equal(peer, &r->bound, true));
	CHECK(policy_verdict_is_allowed(policy_peer_check(pol, peer,
	    &r->bound)));
	fz_not_revoked(f, turn_table_relay(f->e, handle)->alloc);
}

static void
fz_client_send(void *ctx, const struct turn_tuple *t, const uint8_t *data,
    size_t len)
{
	struct fz *f = ctx;
	size_t i;

	(void)data;
	CHECK(len <= TURN_PEER_HEADROOM + FZ_BUF + TURN_PEER_TAILROOM);
	fz_not_revoked(f, turn_table_find(f->e, t));
	for (i = 0; i < FZ_NCLIENT; i++)
		if (addr_equal(&t->client, &f->c[i].t.client, true))
			return;
	CHECK(!"client_send to an unknown client");
}

/* Every allocation the events say is alive is in the table, and back. */
static void
fz_alloc_event(void *ctx, const struct turn_alloc_event *ev)
{
	struct fz *f = ctx;

	CHECK(ev->tuple != NULL && ev->families != 0);
	CHECK(ev->now_ms >= ev->created_ms);
	if (ev->kind == TURN_EV_CREATED)
		f->ev_live++;
	else if (ev->kind == TURN_EV_ENDED)
		f->ev_live--;
	CHECK(f->ev_live >= 0);
}

static enum turn_key
fz_user_key(void *ctx, const struct turn_tuple *t, const uint8_t *user,
    size_t len, uint8_t key[16])
{
	struct fz *f = ctx;

	CHECK(t != NULL);
	CHECK(len > 0 && len <= AUTH_USER_KEY_NAME_MAX);
	CHECK(memchr(user, '\0', len) == NULL);
	if (f->uk == TURN_KEY_FOUND) {
		/* dave's key; anybody else gets a wrong one */
		if (len == 4 && memcmp(user, "dave", 4) == 0)
			memcpy(key, f->c[4].key, 16);
		else
			memset(key, 0x5a, 16);
	}
	return f->uk;
}

/* Credentials with revocations and the HMAC chosen by the input. */
static struct auth_creds *
fz_creds(struct fz *f, uint8_t sel)
{
	static const char *const who[] = { "alice", "bob", "carol", "erin",
	    "dave" };
	struct auth_creds *c;
	size_t i;

	c = auth_creds_new(FZ_REALM, strlen(FZ_REALM), ':', 0, 0);
	if (c == NULL || auth_creds_add_user(c, "alice:secret", 12) != 0 ||
	    auth_creds_add_user(c,
	    "bob:0x0123456789abcdef0123456789abcdef", 38) != 0 ||
	    auth_creds_add_secret(c, FZ_SECRET, strlen(FZ_SECRET)) != 0)
		abort();
	if (sel == 0xff)
		auth_creds_set_rest_hmac(c, CRYPTO_MD_SHA256);
	for (i = 0; i < 5; i++)
		if (sel & (1u << i))
			auth_creds_add_revoked(c, who[i], strlen(who[i]),
			    f->now / 1000 + get8(f));
	auth_creds_seal(c);
	return c;
}

static void
fz_client_init(struct fz *f, int i, bool tcp)
{
	struct fz_client *c = &f->c[i];
	char ip[32], pw[AUTH_REST_PASSWORD_LEN + 1];
	static const uint8_t bobkey[16] = { 0x01, 0x23, 0x45, 0x67, 0x89,
	    0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

	memset(c, 0, sizeof(*c));
	snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
	addr_parse_ip(&c->t.client, ip, (uint16_t)(4000 + i));
	addr_parse_ip(&c->t.local, "192.0.2.1", 3478);
	c->t.transport = tcp ? TURN_TCP : TURN_UDP;
	c->t.conn = tcp ? (uint64_t)i + 1 : 0;
	switch (i) {
	case 0:
		snprintf(c->user, sizeof(c->user), "alice");
		auth_key_md5("alice", 5, FZ_REALM, 11, "secret", 6, c->key);
		auth_key_sha256("alice", 5, FZ_REALM, 11, "secret", 6,
		    c->key256);
		c->has256 = true;
		return;
	case 1:
		snprintf(c->user, sizeof(c->user), "bob");
		memcpy(c->key, bobkey, 16);
		return;
	case 4:
		snprintf(c->user, sizeof(c->user), "dave");
		auth_key_md5("dave", 4, FZ_REALM, 11, "pw", 2, c->key);
		return;
	default:
		/* carol expires in 10 minutes, erin in a day */
		snprintf(c->user, sizeof(c->user), "%llu:%s",
		    (unsigned long long)(FZ_T0 / 1000 + (i == 2 ? 600 : 86000)),
		    i == 2 ? "carol" : "erin");
		auth_rest_password(FZ_SECRET, strlen(FZ_SECRET), c->user,
		    strlen(c->user), pw);
		auth_key_md5(c->user, strlen(c->user), FZ_REALM, 11, pw,
		    strlen(pw), c->key);
		return;
	}
}

static void
fz_peer_addr(struct fz *f, struct addr *a)
{
	const char *ip = fz_peers[get8(f) % FZ_NPEERS];

	if (addr_parse_ip(a, ip, get16(f)) != 0)
		abort();
}

/* One fuzzed attribute. */
static void
fz_attr(struct fz *f, struct fz_client *c, struct stun_builder *b)
{
	uint8_t v[64], k = get8(f);
	struct addr a;
	size_t n;

	switch (k % 11) {
	case 0:
		v[0] = (k & 0x80) ? get8(f) : 17;
		v[1] = v[2] = v[3] = 0;
		stun_add(b, STUN_ATTR_REQUESTED_TRANSPORT, v, 4);
		break;
	case 1:
		stun_add_u32(b, STUN_ATTR_LIFETIME, (uint32_t)get16(f) *
		    ((k & 0x80) ? 65536u : 1u));
		break;
	case 2:
		fz_peer_addr(f, &a);
		stun_add_xor_addr(b, STUN_ATTR_XOR_PEER_ADDRESS, &a);
		break;
	case 3:
		v[0] = (uint8_t)(0x40 | (get8(f) & 0x3f));
		v[1] = get8(f);
		v[2] = v[3] = 0;
		stun_add(b, STUN_ATTR_CHANNEL_NUMBER, v, 4);
		break;
	case 4:
		v[0] = get8(f) & 0x80;
		stun_add(b, STUN_ATTR_EVEN_PORT, v, 1);
		break;
	case 5:
		if (c->has_token && (k & 0x80))
			stun_add(b, STUN_ATTR_RESERVATION_TOKEN, c->token, 8);
		else {
			n = getn(f, v, 8);
			stun_add(b, STUN_ATTR_RESERVATION_TOKEN, v, n);
		}
		break;
	case 6:
	case 7:
		v[0] = (k & 0x80) ? get8(f) : (uint8_t)(1 + (k >> 6 & 1));
		v[1] = v[2] = v[3] = 0;
		stun_add(b, k % 11 == 6 ? STUN_ATTR_REQUESTED_ADDRESS_FAMILY :
		    STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, v, 4);
		break;
	case 8:
		stun_add(b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
		break;
	case 9:
		n = getn(f, v, sizeof(v));
		stun_add(b, STUN_ATTR_DATA, v, n);
		break;
	default:
		n = getn(f, v, sizeof(v));
		stun_add(b, get16(f), v, n);
		break;
	}
}

/* USERNAME, REALM, NONCE and MI (or MI-SHA256), in the mode asked. */
static void
fz_sign(struct fz_client *c, struct stun_builder *b, uint8_t mode)
{
	/* SHA-256 first, as the server lists them (RFC 8489 §9.2.4) */
	static const uint8_t algs[8] = { 0, 2, 0, 0, 0, 1, 0, 0 };
	uint8_t bad[32];

	stun_add(b, STUN_ATTR_USERNAME, c->user, strlen(c->user));
	stun_add(b, STUN_ATTR_REALM, FZ_REALM, strlen(FZ_REALM));
	if (c->nonce_len > 0 || (mode & 4) == 0)
		stun_add(b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
	if ((mode & 3) == 3 && c->has256) {
		stun_add(b, STUN_ATTR_PASSWORD_ALGORITHMS, algs, sizeof(algs));
		stun_add(b, STUN_ATTR_PASSWORD_ALGORITHM, "\0\x02\0\0", 4);
		stun_add_integrity_sha256(b, c->key256, 32);
	} else if ((mode & 3) == 1) {
		memset(bad, 0x77, sizeof(bad));
		stun_add_integrity(b, bad, 16);
	} else
		stun_add_integrity(b, c->key, 16);
}

/* The invariants of an answer; keeps the NONCE and RESERVATION-TOKEN. */
static void
fz_answer(struct fz *f, struct fz_client *c, const struct turn_out *out,
    const uint8_t *tid)
{
	const struct stun_attr *a;
	struct stun_msg m;

	(void)f;
	CHECK(out->len <= out->cap);
	if (out->drop == TURN_DROP_PENDING)
		CHECK(out->len == 0);
	if (out->len == 0)
		return;
	CHECK(stun_decode(&m, out->buf, out->len) == STUN_OK);
	CHECK(m.cls == STUN_SUCCESS || m.cls == STUN_ERROR);
	if (tid != NULL)
		CHECK(memcmp(m.tid, tid, STUN_TID_LEN) == 0);
	if ((a = stun_msg_attr(&m, STUN_ATTR_NONCE)) != NULL &&
	    a->len < sizeof(c->nonce)) {
		memcpy(c->nonce, a->val, a->len);
		c->nonce_len = a->len;
	}
	a = stun_msg_attr(&m, STUN_ATTR_RESERVATION_TOKEN);
	if (a != NULL && a->len == 8) {
		memcpy(c->token, a->val, 8);
		c->has_token = true;
	}
}

static void
fz_input(struct fz *f, struct fz_client *c, const uint8_t *pkt, size_t n,
    const uint8_t *tid)
{
	uint8_t resp[FZ_BUF];
	struct turn_out out;
	size_t cap = 20 + (size_t)get8(f) * 8;

	memset(&out, 0, sizeof(out));
	out.buf = resp;
	out.cap = cap < sizeof(resp) ? cap : sizeof(resp);
	turn_engine_input(f->e, &c->t, pkt, n, f->now, &out);
	fz_answer(f, c, &out, tid);
}

static void
fz_op_request(struct fz *f, struct fz_client *c)
{
	static const uint16_t methods[] = { STUN_ALLOCATE, STUN_REFRESH,
	    STUN_CREATE_PERMISSION, STUN_CHANNEL_BIND, STUN_BINDING,
	    STUN_ALLOCATE, STUN_SEND, 0x0055 };
	uint8_t buf[FZ_BUF], tid[STUN_TID_LEN];
	struct stun_builder b;
	uint8_t mode = get8(f), nattr = get8(f) % 6, i;
	uint16_t method = methods[mode >> 5];
	size_t n;

	memset(tid, 0, sizeof(tid));
	tid[0] = get8(f);
	tid[1] = (uint8_t)f->nrelays;
	memcpy(tid + 4, &f->now, sizeof(f->now));
	stun_builder_init(&b, buf, sizeof(buf), method, STUN_REQUEST, tid);
	if (method == STUN_ALLOCATE && (mode & 8) == 0) {
		stun_add_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 0x11000000);
	}
	for (i = 0; i < nattr; i++)
		fz_attr(f, c, &b);
	if ((mode & 3) != 2)
		fz_sign(c, &b, mode);
	if (mode & 16)
		stun_add_fingerprint(&b);
	if ((n = stun_builder_finish(&b)) == 0)
		return;
	fz_input(f, c, buf, n, tid);
}

static void
fz_op_raw(struct fz *f, struct fz_client *c)
{
	uint8_t buf[256];
	size_t n = getn(f, buf, sizeof(buf));

	fz_input(f, c, buf, n, NULL);
}

static void
fz_op_chandata(struct fz *f, struct fz_client *c)
{
	uint8_t buf[4 + 128 + 3];
	size_t n = 4 + getn(f, buf + 4, 128);
	uint16_t len = (uint16_t)(n - 4);

	buf[0] = (uint8_t)(0x40 | (get8(f) & 0x3f));
	buf[1] = get8(f);
	if (get8(f) & 1)
		len = get16(f);		/* a lying length */
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	while (c->t.transport != TURN_UDP && n % 4 != 0)
		buf[n++] = 0;
	fz_input(f, c, buf, n, NULL);
}

static void
fz_op_send(struct fz *f, struct fz_client *c)
{
	uint8_t buf[FZ_BUF], tid[STUN_TID_LEN], d[128];
	struct stun_builder b;
	struct addr a;
	size_t n;

	memset(tid, 0x33, sizeof(tid));
	stun_builder_init(&b, buf, sizeof(buf), STUN_SEND, STUN_INDICATION,
	    tid);
	fz_peer_addr(f, &a);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &a);
	n = getn(f, d, sizeof(d));
	stun_add(&b, STUN_ATTR_DATA, d, n);
	if ((n = stun_builder_finish(&b)) != 0)
		fz_input(f, c, buf, n, NULL);
}

static void
fz_op_peer(struct fz *f)
{
	static uint8_t rx[TURN_PEER_HEADROOM + FZ_BUF + TURN_PEER_TAILROOM];
	uint8_t sel = get8(f), room = get8(f);
	uint64_t h;
	struct addr a;
	size_t n, head, tail;

	if (sel < 0xf0 && f->nrelays > 0)
		h = f->relays[sel % f->nrelays].handle;
	else
		h = sel == 0xff ? 0 : f->next_handle + 1 + (sel & 7);
	fz_peer_addr(f, &a);
	head = room & 0x80 ? room % (TURN_PEER_HEADROOM + 1) :
	    TURN_PEER_HEADROOM;
	tail = room & 0x40 ? room % (TURN_PEER_TAILROOM + 1) :
	    TURN_PEER_TAILROOM;
	n = getn(f, rx + TURN_PEER_HEADROOM, 200);
	turn_engine_peer_input(f->e, h, &a, rx + TURN_PEER_HEADROOM, head, n,
	    tail, f->now);
}

static void
fz_op_env(struct fz *f)
{
	struct auth_creds *old = f->creds;
	uint8_t sel = get8(f);

	f->polsel = get8(f) & 1;
	f->creds = sel == 0xfe ? NULL : fz_creds(f, sel);
	turn_engine_set_env(f->e, f->creds, f->pol[f->polsel]);
	auth_creds_free(old);
}

/* Counters and relays agree. */
static void
fz_check(struct fz *f)
{
	struct turn_stats st;

	turn_engine_stats(f->e, &st);
	CHECK(st.allocations <= f->nopen);
	CHECK(f->nopen <= 2 * st.allocations);
	CHECK(st.allocations <= st.allocs_created);
	CHECK((uint64_t)f->ev_live == st.allocations);
	CHECK(st.permissions < (1ull << 32) && st.channels < (1ull << 32));
	CHECK(st.permissions <= st.allocations * TURN_MAX_PERMS);
	CHECK(st.channels <= st.allocations * TURN_MAX_CHANNELS);
}

static void
fz_op(struct fz *f, uint8_t op)
{
	struct fz_client *c = &f->c[(op >> 4) % FZ_NCLIENT];

	switch (op & 15) {
	case 0: case 1: case 2: case 3: case 4:
		fz_op_request(f, c);
		break;
	case 5:
		fz_op_raw(f, c);
		break;
	case 6:
		fz_op_chandata(f, c);
		break;
	case 7:
		fz_op_send(f, c);
		break;
	case 8: case 9:
		fz_op_peer(f);
		break;
	case 10:
		f->now += (uint64_t)get16(f) * 100;
		turn_engine_tick(f->e, f->now);
		break;
	case 11:
		f->now += (uint64_t)get8(f) * 1000;	/* lazy expiry */
		break;
	case 12:
		fz_op_env(f);
		break;
	case 13:
		f->uk = (enum turn_key)(get8(f) % 5);	/* LIMITED too */
		break;
	case 14:
		turn_engine_conn_closed(f->e, &c->t);
		break;
	default:
		fz_op_request(f, c);
		fz_op_request(f, c);	/* retry with what was learnt */
		break;
	}
	fz_check(f);
}

static void
fz_setup(struct fz *f, uint8_t cfg)
{
	struct policy_peer_opts po;
	size_t i;

	memset(&po, 0, sizeof(po));
	if ((f->pol[0] = policy_peer_new(&po, NULL)) == NULL)
		abort();
	po.allow_loopback = true;
	if ((f->pol[1] = policy_peer_new(&po, NULL)) == NULL)
		abort();
	f->ports = turn_ports_new(FZ_PORT_MIN, FZ_PORT_MAX);
	f->quota = turn_quota_new(cfg & 1 ? 1 : 4, 8, 12);
	if (f->ports == NULL || f->quota == NULL)
		abort();
	f->now = FZ_T0;
	f->io.ctx = f;
	f->io.relay_open = fz_relay_open;
	f->io.relay_close = fz_relay_close;
	f->io.relay_send = fz_relay_send;
	f->io.client_send = fz_client_send;
	f->hooks.ctx = f;
	f->hooks.user_key = cfg & 2 ? fz_user_key : NULL;
	f->hooks.alloc_event = fz_alloc_event;
	f->opts.io = &f->io;
	f->opts.hooks = &f->hooks;
	f->opts.auth = &fz_auth;
	f->opts.ports = f->ports;
	f->opts.quota = f->quota;
	f->opts.max_lifetime = cfg & 4 ? 700 : 0;
	f->opts.rfc5766_channels = (cfg & 8) != 0;
	f->opts.max_session_duration = cfg & 16 ? 120 : 0;
	f->opts.strict_credential_expiry = (cfg & 32) != 0;
	f->opts.perm_lifetime = cfg & 64 ? 30 : 0;
	/* small budgets, so that inputs reach both edges of them */
	f->opts.budget_entries = 64;
	f->opts.unauth_burst = 8;
	f->opts.auth_failure_limit = 3;
	for (i = 0; i < FZ_NCLIENT; i++)
		fz_client_init(f, (int)i, (cfg & 128) && i % 2 == 1);
	f->creds = fz_creds(f, 0);
	if ((f->e = turn_engine_new(&f->opts)) == NULL)
		abort();
	turn_engine_set_env(f->e, f->creds, f->pol[0]);
}

/* FZ_VERBOSE=1: what an input did, to check that seeds reach deep. */
static void
fz_report(struct fz *f)
{
	struct turn_stats st;
	size_t i;

	if (getenv("FZ_VERBOSE") == NULL)
		return;
	turn_engine_stats(f->e, &st);
	fprintf(stderr, "created %llu live %llu perms %llu chans %llu "
	    "revoked %llu grace %llu pending %llu unavail %llu opens %zu "
	    "relayed-to-client %llu auth-fail", (unsigned long long)
	    st.allocs_created, (unsigned long long)st.allocations,
	    (unsigned long long)st.permissions,
	    (unsigned long long)st.channels,
	    (unsigned long long)st.allocs_ended[TURN_END_REVOKED],
	    (unsigned long long)st.session_grace,
	    (unsigned long long)st.user_key_pending,
	    (unsigned long long)st.user_key_unavailable, f->nrelays,
	    (unsigned long long)st.peer_drops[TURN_DROP_NONE]);
	for (i = 0; i < TURN_AUTH_FAIL_COUNT; i++)
		fprintf(stderr, " %llu", (unsigned long long)
		    st.auth_failures[i]);
	fprintf(stderr, "\n");
}

static void
fz_teardown(struct fz *f)
{
	fz_report(f);
	turn_engine_free(f->e);
	CHECK(f->nopen == 0);
	/* reservations (EVEN-PORT R=1) are held 30 s, then every port is
	 * back in the pool */
	turn_ports_sweep(f->ports, f->now + 31 * 1000);
	CHECK(turn_ports_available(f->ports, AF_INET) ==
	    FZ_PORT_MAX - FZ_PORT_MIN + 1);
	CHECK(turn_ports_available(f->ports, AF_INET6) ==
	    FZ_PORT_MAX - FZ_PORT_MIN + 1);
	turn_ports_free(f->ports);
	turn_quota_free(f->quota);
	policy_peer_free(f->pol[0]);
	policy_peer_free(f->pol[1]);
	auth_creds_free(f->creds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	int ops;

	if (!fz_ready) {
		if (crypto_init() != 0 || auth_ctx_init(&fz_auth, 0) != 0)
			abort();
		fz_ready = true;
	}
	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.p = data + 1;
	f.left = size - 1;
	fz_setup(&f, data[0]);
	for (ops = 0; ops < FZ_MAX_OPS && f.left > 0; ops++)
		fz_op(&f, get8(&f));
	fz_teardown(&f);
	return 0;
}
