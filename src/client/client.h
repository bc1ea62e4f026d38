/* SPDX-License-Identifier: ISC */
/*
 * client: a small blocking STUN client, shared by ternctl, the integration
 * tests and the benchmark. Not used by ternd.
 *
 * - URLs (RFC 7064 stun:/stuns:, RFC 7065 turn:/turns:): strict parsing,
 *   default ports 3478 / 5349, IPv6 literals in brackets, the only query
 *   key is `transport` (udp|tcp, and tcp only for turns:).
 * - Transports: UDP (a connected socket), TCP and TLS (RFC 8489 §6.2.2,
 *   §6.2.3; framing with the codec's stun_stream, RFC 8656 §12). TLS lives in
 *   client_tls.c, the client's only libssl user; it verifies the server
 *   certificate and its host name or IP unless told to be insecure.
 * - Transactions: send a request and wait for the response with the same
 *   transaction ID; over UDP retransmit per RFC 8489 §6.2.1 (RTO 500 ms,
 *   doubling, at most Rc = 7 sends, then wait Rm * RTO), always bounded by
 *   the caller's total deadline.
 * - Raw I/O for tests: send any bytes, receive the next datagram or stream
 *   frame with a deadline.
 *
 * - REST credentials (client_creds.c): the TURN REST API username and
 *   password an app backend mints from a shared secret (README.md),
 *   and the JSON RTCIceServer object it hands to a browser.
 * - Redis (client_redis.c, client_redis_data.c; ternctl only): a blocking
 *   hiredis client for ternd's secrets, users and revocations in Redis.
 *
 * Messages are built and decoded with the stun/ codec only. Everything
 * blocks with an explicit timeout; nothing here logs or keeps globals.
 */
#ifndef TERN_CLIENT_H
#define TERN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun/stun.h"
#include "util/addr.h"

#define CLIENT_PORT		3478	/* RFC 8489 §18.4: stun, turn */
#define CLIENT_TLS_PORT		5349	/* RFC 8489 §18.4: stuns, turns */
#define CLIENT_HOST_MAX		253	/* a DNS name, or an IP literal */
#define CLIENT_RTO_MS		500	/* RFC 8489 §6.2.1 */
#define CLIENT_RC		7	/* sends before giving up */
#define CLIENT_RM		16	/* last wait, in RTOs */
#define CLIENT_MAX_ADDRS	8	/* addresses tried per host name */

enum client_scheme {
	CLIENT_STUN,
	CLIENT_STUNS,
	CLIENT_TURN,
	CLIENT_TURNS,
};

enum client_transport {
	CLIENT_UDP,
	CLIENT_TCP,
	CLIENT_TLS,
};

/* Errors (negative). client_strerror() names them. */
enum client_err {
	CLIENT_OK = 0,
	CLIENT_E_TIMEOUT = -1,		/* no answer before the deadline */
	CLIENT_E_REFUSED = -2,		/* ECONNREFUSED (TCP, or ICMP on UDP) */
	CLIENT_E_CLOSED = -3,		/* the server closed the stream */
	CLIENT_E_IO = -4,		/* any other socket error (errno kept) */
	CLIENT_E_TLS = -5,		/* handshake or certificate failure */
	CLIENT_E_PROTO = -6,		/* the stream is not STUN, or bad reply */
	CLIENT_E_RESOLVE = -7,		/* getaddrinfo failed */
	CLIENT_E_ARG = -8,		/* bad argument, or buffer too small */
	CLIENT_E_NOMEM = -9,
};

struct client_url {
	enum client_scheme scheme;
	enum client_transport transport;
	char host[CLIENT_HOST_MAX + 1];	/* without brackets */
	bool host_is_ip6;		/* was a bracketed IPv6 literal */
	uint16_t port;
};

/*
 * Parses a stun:/stuns:/turn:/turns: URL. Rejects userinfo, paths,
 * fragments, empty or out-of-range ports, unknown query keys and anything
 * else RFC 7064/7065 does not allow. 0, or -1 with a reason in err.
 */
int client_url_parse(struct client_url *u, const char *s, char *err, size_t errcap);
/* The canonical text of u (scheme:host[:port][?transport=]); NUL-terminated.
 * Returns the length, or -1 if it does not fit. */
int client_url_format(const struct client_url *u, char *out, size_t cap);
const char *client_transport_name(enum client_transport t);

struct client_opts {
	const char *ca_file;	/* TLS trust anchors; NULL = system store */
	bool insecure;		/* TLS: skip certificate verification */
	const char *verify_host;	/* TLS name/IP to check; NULL = the host given */
};

struct client;	/* opaque; one connection (or connected UDP socket) */

/*
 * Opens a connection to server over transport t. host is the name used for
 * TLS SNI and verification (may be NULL for UDP/TCP). Returns the client in
 * *out, or an enum client_err with a message in err.
 */
int client_open(struct client **out, enum client_transport t,
    const struct addr *server, const char *host, const struct client_opts *o,
    int timeout_ms, char *err, size_t errcap);
/* Resolves the URL's host (getaddrinfo, no DNS SRV) into at most cap
 * addresses with the URL's port. Returns the count (> 0) or
 * CLIENT_E_RESOLVE with a message in err. */
int client_url_resolve(const struct client_url *u, struct addr *out, size_t cap,
    char *err, size_t errcap);
/* Resolves the URL's host and opens the first address that answers the
 * connect (for UDP: the first address). */
int client_open_url(struct client **out, const struct client_url *u,
    const struct client_opts *o, int timeout_ms, char *err, size_t errcap);
void client_free(struct client *c);

enum client_transport client_get_transport(const struct client *c);
const struct addr *client_local(const struct client *c);	/* our address */
const struct addr *client_server(const struct client *c);
int client_fd(const struct client *c);
/* TLS only: SHA-256 of the server certificate (DER). 0 or -1. */
int client_peer_cert_sha256(const struct client *c, uint8_t out[32]);

/* Sends len raw bytes (one datagram, or onto the stream). 0 or an error. */
int client_send_raw(struct client *c, const void *p, size_t len);
/*
 * Receives the next datagram (UDP) or frame (TCP/TLS, cut with
 * stun_stream) into buf within timeout_ms. Returns its length (> 0), or
 * CLIENT_E_TIMEOUT, CLIENT_E_CLOSED (EOF or reset), CLIENT_E_PROTO (the
 * server's stream is not STUN), CLIENT_E_ARG (frame larger than cap), ...
 */
long client_recv_raw(struct client *c, uint8_t *buf, size_t cap, int timeout_ms);

/*
 * One transaction: sends the request req (len bytes; its TID is read from
 * it), retransmitting over UDP (RFC 8489 §6.2.1), and waits at most
 * timeout_ms in total for a response (success or error class) with the same
 * TID that decodes. The response is copied into resp (cap bytes) and
 * decoded into *m, which borrows resp. Other messages are skipped.
 */
int client_transact(struct client *c, const uint8_t *req, size_t len,
    uint8_t *resp, size_t cap, struct stun_msg *m, int timeout_ms);

struct client_binding {
	struct addr mapped;	/* XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS */
	bool from_xor;		/* true if it came from XOR-MAPPED-ADDRESS */
	double rtt_ms;		/* request sent to response received */
	int error_code;		/* an error response's code, else 0 */
};
/*
 * Sends a Binding request (fresh random TID, no attributes) and returns
 * the mapped address. An error response returns CLIENT_E_PROTO with
 * res->error_code set; a success without any mapped address CLIENT_E_PROTO.
 */
int client_binding(struct client *c, int timeout_ms, struct client_binding *res);

/* A fresh random transaction ID (RFC 8489 §6: uniformly random). 0 or -1. */
int client_tid_new(uint8_t tid[STUN_TID_LEN]);
const char *client_strerror(int err);
/* Monotonic clock in milliseconds (for deadlines). */
int64_t client_now_ms(void);

/*
 * ---- TURN client (client_turn.c; RFC 8656) ----
 *
 * A blocking TURN client over one struct client (UDP, TCP or TLS). It
 * authenticates with the long-term mechanism (RFC 8489 §9.2): the first
 * request goes without integrity, the 401 gives REALM and NONCE, the key is
 * MD5(user ":" realm ":" password) and every later request carries USERNAME,
 * REALM, NONCE, MESSAGE-INTEGRITY and FINGERPRINT. A 438 is retried once
 * with the new NONCE (§9.2.5). MESSAGE-INTEGRITY is verified on every
 * success response, and on any error response that carries one.
 *
 * Requests return 0 on success, the server's error code (300..699) on an
 * error response, or a negative enum client_err (CLIENT_E_PROTO also when
 * a response fails its integrity check). The last code is kept in
 * last_error. Relayed data that arrives while a request waits for its
 * response is skipped (lost): receive it before the next request.
 */
#define CLIENT_TURN_USER_MAX	513	/* USERNAME < 513 bytes (RFC 8489 §14.3) */
#define CLIENT_TURN_PASS_MAX	256
#define CLIENT_TURN_TEXT_MAX	763	/* REALM, NONCE as received (§14.9, §14.10) */
#define CLIENT_TURN_MAX_PEERS	32
#define CLIENT_TURN_REASON_MAX	128	/* kept of a reason phrase, with NUL */
#define CLIENT_TURN_FAMILY_IPV4	0x01	/* REQUESTED-ADDRESS-FAMILY, §18.6 */
#define CLIENT_TURN_FAMILY_IPV6	0x02
#define CLIENT_TURN_PROTO_UDP	17	/* REQUESTED-TRANSPORT, §18.8 */

/* Caller-owned storage: client_turn_init() / client_turn_clear(). */
struct client_turn {
	struct client *c;		/* borrowed */
	char user[CLIENT_TURN_USER_MAX + 1];
	size_t user_len;
	char pass[CLIENT_TURN_PASS_MAX + 1];
	size_t pass_len;
	uint8_t realm[CLIENT_TURN_TEXT_MAX];	/* from the last 401/438 */
	size_t realm_len;
	uint8_t nonce[CLIENT_TURN_TEXT_MAX];
	size_t nonce_len;
	uint8_t key[16];		/* MD5 long-term key, valid if have_key */
	bool have_key;
	bool retry_stale;		/* retry once on 438 (default true) */
	bool fingerprint;		/* add FINGERPRINT (default true) */
	/* From the last Allocate / Refresh success. */
	struct addr relayed;		/* XOR-RELAYED-ADDRESS */
	struct addr mapped;		/* XOR-MAPPED-ADDRESS */
	uint32_t lifetime;		/* LIFETIME, s */
	int last_error;			/* last request's result */
	/* The reason phrase of the last error response (RFC 8489 §14.8),
	 * printable ASCII (other bytes as '?'); "" when there was none. */
	char reason[CLIENT_TURN_REASON_MAX];
};

/* One attribute of a request: raw bytes, or (xaddr != NULL) an address
 * encoded XOR'd with the request's TID (XOR-PEER-ADDRESS, §18.3). */
struct client_turn_attr {
	uint16_t type;
	const void *val;
	size_t len;
	const struct addr *xaddr;
};

/* Optional Allocate attributes; zero = absent. */
struct client_turn_alloc_opts {
	uint8_t family;		/* REQUESTED-ADDRESS-FAMILY: 0x01 / 0x02 */
	uint32_t lifetime;	/* LIFETIME, s */
	uint8_t transport;	/* REQUESTED-TRANSPORT; 0 = 17 (UDP) */
};

/* Relayed data received from the server (Data indication or ChannelData).
 * data points into the caller's buffer. */
struct client_turn_data {
	bool channel;		/* ChannelData (§12.4), else Data (§11.4) */
	uint16_t number;	/* the channel, when channel */
	struct addr peer;	/* XOR-PEER-ADDRESS, when !channel */
	const uint8_t *data;
	size_t len;
};

/* c is borrowed; user and pass are copied (pass is wiped by _clear).
 * 0 or CLIENT_E_ARG (too long). */
int client_turn_init(struct client_turn *t, struct client *c, const char *user,
    const char *pass);
void client_turn_clear(struct client_turn *t);
/* Recomputes the key for a new user/password (keeps REALM and NONCE). */
int client_turn_set_user(struct client_turn *t, const char *user, const char *pass);

/*
 * Any request: method plus attrs, then the credentials. The response is
 * decoded into *m, borrowing resp (cap bytes); both may be NULL. Returns 0,
 * an error code, or a client_err (see above).
 */
int client_turn_request(struct client_turn *t, uint16_t method,
    const struct client_turn_attr *attrs, size_t n, uint8_t *resp, size_t cap,
    struct stun_msg *m, int timeout_ms);
/* Allocate (§7.1); o may be NULL. Sets relayed, mapped, lifetime. */
int client_turn_allocate(struct client_turn *t, const struct client_turn_alloc_opts *o,
    int timeout_ms);
/* Refresh (§8.1); lifetime < 0 omits LIFETIME, 0 deletes the allocation. */
int client_turn_refresh(struct client_turn *t, long lifetime, int timeout_ms);
/* CreatePermission for n (1..CLIENT_TURN_MAX_PEERS) peers (§10.1). */
int client_turn_permit(struct client_turn *t, const struct addr *peers, size_t n,
    int timeout_ms);
/* ChannelBind (§12.1). */
int client_turn_channel_bind(struct client_turn *t, uint16_t number,
    const struct addr *peer, int timeout_ms);
/* A Send indication (§11.1). 0 or a client_err. */
int client_turn_send(struct client_turn *t, const struct addr *peer,
    const void *data, size_t len);
/* A ChannelData message (§12.4), padded to 4 bytes on TCP/TLS (§12.5). */
int client_turn_channel_send(struct client_turn *t, uint16_t number,
    const void *data, size_t len);
/*
 * Waits up to timeout_ms for the next Data indication or ChannelData,
 * skipping anything else. 0 with *d filled (pointing into buf), or a
 * client_err (CLIENT_E_TIMEOUT when nothing came).
 */
int client_turn_recv(struct client_turn *t, uint8_t *buf, size_t cap,
    struct client_turn_data *d, int timeout_ms);

/*
 * ---- Relay probe (client_probe.c; `ternctl probe` with credentials) ----
 *
 * Proves that a TURN server relays, with two allocations of its own on the
 * same server (the second one stands in for a peer): both Allocate with
 * the 401 round trip (RFC 8656 §7) and the same REQUESTED-ADDRESS-FAMILY
 * (§18.10, RFC 6156), each installs a permission for the other's relayed
 * address (CreatePermission, §9), then one packet goes relay to relay and
 * back, first as Send and Data indications (§11), then over a channel
 * bound both ways (ChannelBind §12, ChannelData §12.4). Two allocations
 * because a server may refuse an allocation's own relayed address as its
 * peer (ternd does: a self-send loop, docs/security.md). Over UDP a packet
 * is sent again every RTO, doubling (RFC 8489 §6.2.1), so that one lost
 * datagram does not fail the probe. Both allocations are deleted at the
 * end (Refresh LIFETIME 0, §8); the whole probe ends by timeout_ms.
 */
enum client_probe_step {
	CLIENT_PROBE_OK = 0,		/* relaying works */
	CLIENT_PROBE_CONNECT,		/* resolve, connect, TLS, no answer */
	CLIENT_PROBE_ALLOCATE,		/* Allocate answered with an error */
	CLIENT_PROBE_PERMISSION,	/* CreatePermission */
	CLIENT_PROBE_SEND,		/* Send -> Data indication, both ways */
	CLIENT_PROBE_CHANNEL_BIND,	/* ChannelBind */
	CLIENT_PROBE_CHANNEL,		/* ChannelData, both ways */
};

struct client_probe_opts {
	const struct client_url *url;	/* turn: or turns: */
	const struct client_opts *conn;	/* TLS trust; may be NULL */
	const char *user, *pass;	/* long-term credential (or REST) */
	uint8_t family;		/* CLIENT_TURN_FAMILY_*; 0 = the server's */
	int timeout_ms;
};

struct client_probe {
	enum client_probe_step failed;	/* CLIENT_PROBE_OK on success */
	int err;		/* the failed step's client_err, or 0 */
	int code;		/* its STUN error code (300..699), or 0 */
	char reason[CLIENT_TURN_REASON_MAX];	/* the server's phrase */
	char detail[384];	/* what went wrong, in words */
	struct addr server;	/* the address answered, when one did */
	bool allocated;		/* relayed and mapped are set */
	struct addr relayed;	/* XOR-RELAYED-ADDRESS of the first */
	struct addr mapped;	/* XOR-MAPPED-ADDRESS of the first */
	struct addr peer;	/* the second allocation's relayed address */
	double send_rtt_ms;	/* Send path round trip; < 0 not measured */
	double channel_rtt_ms;	/* channel round trip; < 0 not measured */
};

/* Runs the probe. 0 when relaying works, else -1 with p->failed, err or
 * code, reason and detail saying which step failed and how. */
int client_probe_relay(const struct client_probe_opts *o, struct client_probe *p);
/* "connect", "Allocate", "CreatePermission", "Send", "ChannelBind",
 * "ChannelData", or "ok". */
const char *client_probe_step_name(enum client_probe_step s);

/* ---- TURN REST API credentials (client_creds.c) ---- */

/* Why user cannot be a REST user-id (1..255 bytes of UTF-8 text without
 * control characters), or NULL. The text is static. */
const char *client_creds_user_problem(const char *user);
/*
 * username = "<expiry><sep><user>" (NUL-terminated, ucap bytes), password
 * = base64(HMAC-SHA1(secret, username)), 28 characters + NUL (pcap >= 29).
 * sep: printable ASCII, not a digit or space; expiry: at most 11 digits;
 * secret: 1..256 bytes. 0 or -1. Wipe password when done with it.
 */
int client_creds_make(const void *secret, size_t slen, const char *user,
    char sep, uint64_t expiry, char *username, size_t ucap, char *password,
    size_t pcap);

/*
 * Appends s as a JSON string (RFC 8259 §7: quotes included, '"', '\\' and
 * control characters escaped) to out at *len, NUL-terminated. 0, or -1 if
 * it does not fit or s is not UTF-8 (RFC 8259 §8.1).
 */
int client_json_str(char *out, size_t cap, size_t *len, const char *s);

/* The RTCIceServer object: urls (at least one), username, credential,
 * ttl, and realm when it is not NULL. All strings are borrowed. */
struct client_creds_json {
	const char *const *urls;
	size_t nurls;
	const char *username;
	const char *credential;
	uint64_t ttl;
	const char *realm;
};
/*
 * Writes {"urls":[...],"username":...,"credential":...,"ttl":N} (and
 * "realm" if set) with every string escaped (RFC 8259 §7), NUL-terminated.
 * Returns the length, or -1 if it does not fit or a string is not UTF-8;
 * out may then hold a partial object: wipe it.
 */
int client_creds_json(char *out, size_t cap, const struct client_creds_json *j);

/*
 * ---- Redis (client_redis.c, client_redis_data.c; ternctl only) ----
 *
 * A small blocking hiredis client for ternd's Redis data (the keys listed
 * in src/auth/auth_redis.h): the REST secret set of a realm and ternctl's own
 * bookkeeping beside it, long-term user keys, revocations. Every change
 * ends with PUBLISH tern/events "<what> <realm>", so that ternd reloads at
 * once; a change of several keys is one MULTI/EXEC. Commands go through redisCommandArgv only (never
 * a format string built from input), every reply type is checked, KEYS
 * and SAVE are never used. Secrets read from Redis are wiped after use and
 * never reach a message. Functions return 0, or -1 with a message in err.
 */
#define CLIENT_REDIS_FP_LEN	16	/* hex digits of SHA-256(secret) */
#define CLIENT_REDIS_MAX_SECRETS 64	/* read at once; ternd uses 16 */
#define CLIENT_REDIS_SECRET_MAX	256	/* AUTH_SECRET_MAX */

struct auth_redis_conf;	/* auth/auth_redis.h: ternd's redis-userdb */
struct client_redis;	/* opaque; one connection */

/* Connects (connect_timeout also bounds every command), sends AUTH and
 * SELECT as c says. Messages: "cannot reach Redis at 127.0.0.1:6379:
 * Connection refused", "Redis refused the password", ... */
int client_redis_open(struct client_redis **out,
    const struct auth_redis_conf *c, char *err, size_t errcap);
void client_redis_free(struct client_redis *r);

struct client_redis_secret {
	char fp[CLIENT_REDIS_FP_LEN + 1];	/* hex, NUL-terminated */
	uint64_t added;		/* Unix s; 0 = unknown (counts as oldest) */
	uint64_t expires;	/* Unix s after which ternd drops it; 0 = never */
	uint8_t secret[CLIENT_REDIS_SECRET_MAX];
	size_t len;		/* 0 when longer than 256 bytes: not usable */
};

/* A fresh secret: 32 random bytes as 64 hex digits and NUL. */
int client_redis_secret_new(char out[65]);
/* Every secret of realm (maybe none), newest first by added time. Wipe
 * with client_redis_secrets_wipe(). */
int client_redis_secret_load(struct client_redis *r, const char *realm,
    struct client_redis_secret *out, size_t cap, size_t *n, char *err,
    size_t errcap);
void client_redis_secrets_wipe(struct client_redis_secret *s, size_t n);
/* The newest secret without an expiry time, or NULL. */
const struct client_redis_secret *client_redis_secret_newest(
    const struct client_redis_secret *s, size_t n);
/*
 * Adds a secret (bytes, 1..256, no NUL) with added = now. With keep > 0
 * (rotate), every other secret not yet expiring sooner gets expires =
 * now + keep. fp receives the new secret's fingerprint.
 */
int client_redis_secret_add(struct client_redis *r, const char *realm,
    const char *secret, size_t len, uint64_t now, uint64_t keep,
    char fp[CLIENT_REDIS_FP_LEN + 1], char *err, size_t errcap);
/* Removes the secret with fingerprint fp, and its bookkeeping. */
int client_redis_secret_rm(struct client_redis *r, const char *realm,
    const char *fp, char *err, size_t errcap);
/* Removes the secrets expired at now, and bookkeeping of absent secrets;
 * *removed counts the secrets. */
int client_redis_secret_prune(struct client_redis *r, const char *realm,
    uint64_t now, size_t *removed, char *err, size_t errcap);

/* Stores hex MD5(user ":" realm ":" password) as the user's key. */
int client_redis_user_add(struct client_redis *r, const char *realm,
    const char *user, const char *pw, size_t pwlen, char *err, size_t errcap);
int client_redis_user_rm(struct client_redis *r, const char *realm,
    const char *user, char *err, size_t errcap);
/* Calls fn for every user of realm, sorted, each once (SCAN). */
int client_redis_user_list(struct client_redis *r, const char *realm,
    void (*fn)(const char *user, void *arg), void *arg, char *err,
    size_t errcap);
/* tern/revoked/<realm>/<user> = now, expiring after ttl seconds. */
int client_redis_revoke(struct client_redis *r, const char *realm,
    const char *user, uint64_t now, uint64_t ttl, char *err, size_t errcap);
int client_redis_unrevoke(struct client_redis *r, const char *realm,
    const char *user, char *err, size_t errcap);
/* Why name (a realm or a user) cannot be part of a Redis key: empty,
 * longer than max bytes, not UTF-8, control characters, '/'. Or NULL. */
const char *client_redis_name_problem(const char *name, size_t max);

#endif
