/* SPDX-License-Identifier: ISC */
/*
 * turn: the protocol engine. Pure: it takes the bytes a client (or a peer)
 * sent, the 5-tuple and `now`, and returns what to send back or asks the
 * I/O layer to send through a callback table; it opens no socket, takes no
 * lock on the data path and never logs per packet.
 *
 * STUN Binding (RFC 8489 §12 basic server), always served:
 *  - Binding request -> success with XOR-MAPPED-ADDRESS (§14.2);
 *    FINGERPRINT only if the request carried one; SOFTWARE only if
 *    configured (docs/security.md, Attack catalogue: secret leakage);
 *    nothing else (docs/security.md, Attack catalogue: amplification);
 *  - unknown comprehension-required attributes -> 420 (§6.3.1); RFC 3489
 *    requests, responses and malformed messages -> dropped (§6.3).
 *
 * TURN (RFC 8656, dual stack as in RFC 6156), served when turn_opts.io is
 * set (without it every other request gets 400):
 *  - every request is authenticated with auth_check() (§5, §7.2 step 1,
 *    RFC 8489 §9.2.4); 401/438 carry the challenge; the answers to an
 *    authenticated request are signed with its key (MI or MI-SHA256, as
 *    the request) and carry FINGERPRINT iff the request did;
 *  - Allocate (§7.2), Refresh (§8.2), CreatePermission (§10.2),
 *    ChannelBind (§12.2), Send indications (§11.2), ChannelData (§12.6)
 *    from the client; datagrams from peers (§11.3, §12.5) through
 *    turn_engine_peer_input();
 *  - expiry is lazy (an expired allocation, permission or channel is
 *    treated as absent) and swept by turn_engine_tick(), once a second;
 *  - caps (docs/security.md, Attack catalogue: resource exhaustion): 128
 *    permissions and 128 channels per allocation,
 *    32 XOR-PEER-ADDRESS per CreatePermission (508, nothing installed);
 *    allocations per user-id, per client IP (/32, /64) and in total through
 *    the shared struct turn_quota (486); relay ports from the shared struct
 *    turn_ports (508 when exhausted).
 *
 * Threads: one engine per worker, used from that worker only. The port
 * pool and the quota tracker are shared by all workers (atomics / a mutex,
 * off the data path). Credentials and the peer policy are immutable
 * snapshots, installed with turn_engine_set_env() on the worker's thread.
 *
 * Data path: a Send indication, a ChannelData message and a peer datagram
 * cost one hash lookup (5-tuple or relay handle) plus a scan of at most
 * TURN_MAX_PERMS permissions / TURN_MAX_CHANNELS channels (in practice a
 * handful); no malloc, no copy: relay_send() gets a pointer into the client
 * packet, and a peer datagram gets its ChannelData / Data indication header
 * written into the headroom the I/O layer leaves in front of it.
 */
#ifndef TERN_TURN_H
#define TERN_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "util/addr.h"

enum turn_transport {
	TURN_UDP = 0,
	TURN_TCP,
	TURN_TLS,
};

/* Why the engine produced no answer (indexes a drop counter). TURN_DROP_NONE
 * with out->len == 0 means the packet was consumed (relayed). */
enum turn_drop {
	TURN_DROP_NONE = 0,	/* an answer was produced, or relayed */
	TURN_DROP_MALFORMED,	/* failed stun_decode */
	TURN_DROP_NOT_REQUEST,	/* a response or an unexpected indication */
	TURN_DROP_INDICATION,	/* valid indication with nothing to do (keep-alive) */
	TURN_DROP_RFC3489,	/* classic STUN, not served */
	TURN_DROP_UNSUPPORTED,	/* a method this build does not serve */
	TURN_DROP_CHANNEL,	/* ChannelData with no allocation */
	TURN_DROP_NOT_STUN,	/* first byte neither STUN nor ChannelData */
	TURN_DROP_NO_ALLOCATION, /* Send / peer datagram: no live allocation */
	TURN_DROP_NO_PERMISSION, /* no live permission for the peer IP (§9) */
	TURN_DROP_POLICY,	/* peer refused by the peer policy (§11.2) */
	TURN_DROP_BAD_INDICATION, /* Send without XOR-PEER-ADDRESS/DATA, or
				   * with unknown comprehension-required
				   * attributes (§11.2, RFC 8489 §6.3.2) */
	TURN_DROP_FAMILY,	/* peer family has no relayed address */
	TURN_DROP_NO_CHANNEL,	/* ChannelData on an unbound channel (§12.6) */
	TURN_DROP_SHORT,	/* ChannelData shorter than its length (§12.6) */
	TURN_DROP_NO_ROOM,	/* headroom/tailroom too small, or too long */
	TURN_DROP_PENDING,	/* waits for turn_hooks.user_key: not
				 * dropped; the caller keeps a copy and
				 * submits it again when the lookup has
				 * completed */
	TURN_DROP_RATE_LIMITED,	/* an unauthenticated answer over the
				 * source's budget (docs/security.md,
				 * Per-source budgets) */
	TURN_DROP_AUTH_LIMITED,	/* a credential attempt from a source past
				 * auth-failure-limit */
	TURN_DROP_BANDWIDTH,	/* over max-bps or bps-capacity */
	TURN_DROP_SELF_PEER,	/* a Send to the server's own address or
				 * port (docs/security.md, The server's own
				 * addresses) */
	TURN_DROP_COUNT
};

struct turn_tuple;

/* turn_io.user_key answers. */
enum turn_key {
	TURN_KEY_FOUND = 0,
	TURN_KEY_UNKNOWN,
	TURN_KEY_PENDING,
	TURN_KEY_UNAVAILABLE,
	TURN_KEY_LIMITED,	/* not looked up: the source is over its
				 * budget of lookups; dropped, rate_limited */
};

/* relay_open() results. */
#define TURN_IO_OK		0
#define TURN_IO_PORT_IN_USE	(-1)	/* the engine tries another port */
#define TURN_IO_NO_FAMILY	(-2)	/* no relay IP of that family: 440 */
#define TURN_IO_FAIL		(-3)	/* anything else (fds, memory): 508 */

/* relay_open() flags. */
#define TURN_RELAY_DONT_FRAGMENT 0x1	/* set DF on this relay (§7.2 step 4) */

/*
 * What the engine asks of the I/O layer (net/: it moves bytes). All four
 * are called from the worker's thread, from inside a turn_engine_* call.
 * relay_open and relay_close are called only while handling a request
 * (turn_engine_input on a STUN request), from turn_engine_tick,
 * turn_engine_conn_closed, turn_engine_set_env (relay_close, for the
 * allocations of revoked users) and turn_engine_free; never from
 * turn_engine_peer_input or for a Send/ChannelData, so a relay socket is
 * never closed under its own read callback.
 *  relay_open: bind a UDP socket on relay IP number ip of family
 *    (AF_INET or AF_INET6; ip counts the relay IPs of that family from 0,
 *    as turn_ports_new_ips() was told) at port; fill *relayed with the
 *    bound address and *handle with a non-zero value of the I/O layer's
 *    choosing, which it passes back to turn_engine_peer_input() for
 *    datagrams from that socket.
 *  relay_close: close it (the allocation or that family of it ended).
 *  relay_send: send len bytes to peer from the relay; data points into the
 *    client's packet (valid for the call only).
 *  client_send: send len bytes to the client of tuple t (a Data
 *    indication or ChannelData, already padded for streams).
 */
struct turn_io {
	void *ctx;
	int (*relay_open)(void *ctx, int family, unsigned ip, uint16_t port,
	    unsigned flags, struct addr *relayed, uint64_t *handle);
	void (*relay_close)(void *ctx, uint64_t handle);
	void (*relay_send)(void *ctx, uint64_t handle, const struct addr *peer,
	    const uint8_t *data, size_t len);
	void (*client_send)(void *ctx, const struct turn_tuple *t,
	    const uint8_t *data, size_t len);
};

/* Why an allocation ended, in the order of the
 * tern_allocations_ended_total{reason} label values (metrics_table.c
 * checks it). */
enum turn_end {
	TURN_END_EXPIRED = 0,	/* its lifetime ran out (RFC 8656 §7) */
	TURN_END_DELETED,	/* Refresh with LIFETIME 0 (§8.2) */
	TURN_END_CONN_CLOSED,	/* its TCP/TLS connection ended (§3.1) */
	TURN_END_SHUTDOWN,	/* turn_engine_free() */
	TURN_END_REVOKED,	/* its user was revoked (turn_engine_set_env) */
	TURN_END_COUNT
};

/* Relay families, as bits of turn_alloc_event.families. */
#define TURN_FAMILY_V4		0x1
#define TURN_FAMILY_V6		0x2

enum turn_alloc_event_kind {
	TURN_EV_CREATED = 0,	/* an Allocate succeeded (§7.2) */
	TURN_EV_RELAY_CLOSED,	/* one family of a dual allocation ended */
	TURN_EV_ENDED,		/* the allocation is gone */
};

/*
 * What one allocation relayed and installed over its life, for its
 * session record: the datagrams the engine handed to relay_send (client
 * to peer) and client_send (peer to client) and their payload bytes (as
 * tern_relayed_bytes_total counts them), and the permissions and channels
 * it installed (a peer IP whose permission lapsed and was asked for again
 * counts again). Plain counters: an allocation is its worker's alone.
 */
struct turn_alloc_usage {
	uint64_t peer_packets, peer_bytes;	/* client -> peer */
	uint64_t client_packets, client_bytes;	/* peer -> client */
	uint32_t permissions, channels;
};

/*
 * An allocation's life, as it happens, whatever the engine was doing
 * (a request, the sweep, a closed connection, a revocation, the end):
 * the one source for counting allocations and for session records.
 * Every pointer is valid for the call only. Never a password, a key or
 * the REST USERNAME whole: user is the REST user-id or the long-term
 * user name (docs/security.md, Personal data in the logs).
 */
struct turn_alloc_event {
	enum turn_alloc_event_kind kind;
	enum turn_end end;		/* TURN_EV_ENDED */
	const struct turn_tuple *tuple;	/* the client's 5-tuple */
	unsigned families;		/* CREATED: the relays opened;
					 * RELAY_CLOSED: the one closed;
					 * ENDED: the ones still open */
	uint64_t created_ms;		/* when the Allocate succeeded */
	uint64_t now_ms;		/* the engine's clock */
	uint64_t id;			/* the allocation's number in this
					 * engine, from 1 */
	const uint8_t *user;		/* the quota user; may be empty */
	size_t user_len;
	uint64_t cred_expiry;		/* a REST credential's expiry (Unix
					 * s), 0 for a long-term user */
	const struct addr *relayed[2];	/* XOR-RELAYED-ADDRESS of the open
					 * relays, [0] IPv4, [1] IPv6, or
					 * NULL */
	const struct turn_alloc_usage *use;	/* so far */
};

/*
 * What the daemon gives the engine and learns from it, beside the bytes.
 * Both optional; called on the worker's thread.
 *  user_key: the MD5 long-term key of a USERNAME that is neither a static
 *    user nor a REST credential, from an outside store (Redis), answered
 *    from the daemon's cache without blocking: FOUND (key filled),
 *    UNKNOWN (401), UNAVAILABLE (the store cannot answer: 500, fail fast),
 *    PENDING (a lookup has started: the engine sets TURN_DROP_PENDING
 *    and the caller submits the same packet again when it completes) or
 *    LIMITED (the request's source t may start no lookup now: dropped as
 *    TURN_DROP_RATE_LIMITED, docs/security.md, Redis under abuse).
 *  alloc_event: an allocation was created, lost a family, or ended.
 */
struct turn_hooks {
	void *ctx;
	enum turn_key (*user_key)(void *ctx, const struct turn_tuple *t,
	    const uint8_t *user, size_t len, uint8_t key[16]);
	void (*alloc_event)(void *ctx, const struct turn_alloc_event *ev);
};

struct auth_ctx;
struct auth_creds;
struct policy_peer;
struct turn_ports;
struct turn_quota;

/* Defaults (RFC 8656 §6, §7.2, §9, §12; the caps: docs/security.md,
 * Attack catalogue: resource exhaustion). */
#define TURN_LIFETIME_DEFAULT	600	/* s, §7.2 */
#define TURN_LIFETIME_MAX	3600	/* s, max-allocate-lifetime */
#define TURN_PERM_LIFETIME	300	/* s, exactly (§9 MUST) */
#define TURN_CHANNEL_LIFETIME	600	/* s, §12 */
#define TURN_MAX_PERMS		128	/* per allocation */
#define TURN_MAX_CHANNELS	128	/* per allocation */
#define TURN_MAX_PEERS_PER_REQ	32	/* XOR-PEER-ADDRESS per CreatePermission */
#define TURN_MAX_PEERS_LIMIT	256	/* the most max_peers_per_request can be */
#define TURN_RESERVATION_HOLD	30	/* s, EVEN-PORT R=1 (§7.2: at least 30 s) */
#define TURN_SESSION_DEFAULT	43200	/* s, max-session-duration */

/* Zero in any field means "default / not used". */
struct turn_opts {
	const char *software;	/* SOFTWARE value, or NULL for none; borrowed */
	/* TURN, all borrowed for the engine's life; io == NULL serves
	 * Binding only. With io, auth and ports are required. */
	const struct turn_io *io;
	const struct turn_hooks *hooks;	/* optional */
	const struct auth_ctx *auth;	/* nonce key, shared, read-only */
	struct turn_ports *ports;	/* shared relay port pool */
	struct turn_quota *quota;	/* shared quotas; NULL = none */
	/* external-ip per relay family: advertised in XOR-RELAYED-ADDRESS
	 * with the bound port (AF_UNSPEC = advertise the bound address),
	 * unless the port pool names one for the relay IP
	 * (turn_ports_set_external) */
	struct addr external4;
	struct addr external6;
	uint32_t max_lifetime;	/* s; default TURN_LIFETIME_MAX */
	/* Accept channel numbers 0x5000-0x7FFF too, as RFC 5766 did (§11),
	 * for older clients such as coturn 4.6's; RFC 8656 §12 narrowed the
	 * range to 0x4000-0x4FFF, the default. */
	bool rfc5766_channels;
	uint32_t channel_lifetime; /* s; default TURN_CHANNEL_LIFETIME */
	uint32_t perm_lifetime;	/* s; default TURN_PERM_LIFETIME (§9: 300;
				 * other values are for tests) */
	/*
	 * Credential lifetime (README.md, Issuing credentials from your
	 * backend): an
	 * expired REST credential never allocates (401), but the allocation
	 * it made may keep being refreshed, and its permissions and channels
	 * renewed, with it until expiry + max_session_duration (s; 0 =
	 * TURN_SESSION_DEFAULT, 12 h); after that, 401. With
	 * strict_credential_expiry, 401 as soon as it has expired (beyond
	 * the skew).
	 */
	uint32_t max_session_duration;
	bool strict_credential_expiry;
	/*
	 * Per-source budgets, each per worker (docs/security.md, Per-source
	 * budgets): every answer to a request that has not passed
	 * MESSAGE-INTEGRITY (Binding success, 401, 420, 400, 438, 500) takes
	 * a token of its source's budget of unauth_rate per second and
	 * unauth_burst at once, or is dropped (TURN_DROP_RATE_LIMITED); a
	 * source with auth_failure_limit failed credential checks within a
	 * minute has its requests carrying MESSAGE-INTEGRITY dropped for the
	 * rest of the minute (TURN_DROP_AUTH_LIMITED). 0 = the defaults of
	 * policy.h; unlimited_budgets turns both off (tests).
	 */
	uint32_t unauth_rate;
	uint32_t unauth_burst;
	uint32_t auth_failure_limit;
	uint32_t budget_entries;	/* sources per table (a power of two) */
	bool unlimited_budgets;
	/* Caps per allocation (RFC 8656 §7.2 "MAY impose"): 0 = the
	 * TURN_MAX_* defaults; max_peers_per_request at most
	 * TURN_MAX_PEERS_LIMIT. */
	uint32_t max_permissions;
	uint32_t max_channels;
	uint32_t max_peers_per_request;
	/* Bandwidth, bytes per second: max_bps per allocation, both
	 * directions together; capacity_bps for everything this engine
	 * relays (its worker's share of bps-capacity). 0 = unlimited. A
	 * packet over either is dropped (TURN_DROP_BANDWIDTH). */
	uint64_t max_bps;
	uint64_t capacity_bps;
	/*
	 * alternate-server: while draining (turn_engine_drain), a new
	 * Allocate that authenticates gets 300 Try Alternate with an
	 * ALTERNATE-SERVER of the client's family first and one of the other
	 * family after it (RFC 8489 §10), or 508 when none is of the
	 * client's family. An alternate without a port means the port the
	 * request arrived on. Borrowed.
	 */
	const struct addr *alternates;
	size_t nalternates;
};

/* Where a packet came from. */
struct turn_tuple {
	struct addr client;	/* the client's source address */
	struct addr local;	/* the server address it arrived on */
	enum turn_transport transport;
	uint64_t conn;		/* stream connection id (0 for UDP) */
};

/*
 * Room the I/O layer must leave around a peer datagram it hands to
 * turn_engine_peer_input(): in front, the largest header (a Data
 * indication for an IPv6 peer: STUN header 20 + XOR-PEER-ADDRESS 24 +
 * DATA header 4; ChannelData needs 4); behind, up to 3 bytes of padding
 * (DATA padding, or ChannelData on a stream, §12.5).
 */
#define TURN_PEER_HEADROOM	48
#define TURN_PEER_TAILROOM	3

/* Why a TURN request failed authentication, in the order of the
 * tern_auth_failures_total{reason} label values (metrics_table.c). The
 * first 401 without MI (the challenge) is not a failure. */
enum turn_auth_fail {
	TURN_AUTH_BAD_INTEGRITY = 0,
	TURN_AUTH_UNKNOWN_USER,	/* also: the user store answered UNKNOWN */
	TURN_AUTH_EXPIRED,	/* REST expiry, incl. past the session window */
	TURN_AUTH_REVOKED,
	TURN_AUTH_STALE_NONCE,	/* 438: stale or not our nonce */
	TURN_AUTH_BAD_REQUEST,	/* 400: missing attributes, algorithms */
	TURN_AUTH_FAIL_COUNT
};

/* Which allocation quota refused an Allocate (486, §7.2 step 10), in the
 * order of the first tern_quota_refusals_total{kind} label values
 * (metrics_table.c checks it). */
enum turn_quota_kind {
	TURN_QUOTA_USER = 0,	/* per user-id */
	TURN_QUOTA_IP,		/* per client IP, /32 or /64 */
	TURN_QUOTA_TOTAL,	/* all allocations of the server */
	TURN_QUOTA_PERMISSIONS,	/* permissions of one allocation (508) */
	TURN_QUOTA_CHANNELS,	/* channels of one allocation (508) */
	TURN_QUOTA_KIND_COUNT
};

/* What kind of client message the engine was given. */
enum turn_msg {
	TURN_MSG_OTHER = 0,	/* not STUN, malformed, RFC 3489, a response */
	TURN_MSG_REQUEST,
	TURN_MSG_INDICATION,
	TURN_MSG_CHANNEL_DATA,
};

/*
 * What the engine decided about one client message, beside the reply:
 * the one account counting and logging read (nobody decodes the request
 * or the reply again, nor re-judges a peer).
 */
struct turn_outcome {
	enum turn_msg msg;
	uint16_t method;	/* of a STUN request or indication */
	uint16_t code;		/* of the answer sent: 0 success, else its
				 * ERROR-CODE (RFC 8489 §14.8) */
	bool authed;		/* MESSAGE-INTEGRITY verified (RFC 8489
				 * §9.2.4): the answer is not charged to
				 * the source's budget */
	bool auth_failed;	/* auth_fail says why */
	enum turn_auth_fail auth_fail;
	bool peer_refused;	/* the peer policy refused a peer: a 403 or
				 * a dropped Send (RFC 8656 §10.2, §11.2) */
	enum policy_verdict verdict;	/* the first refused peer's */
	bool quota_refused;	/* 486, or 508 for a per-allocation cap */
	enum turn_quota_kind quota;
	bool alloc_created;	/* an Allocate succeeded */
	bool alloc_ended;	/* this message ended an allocation */
	enum turn_end end;
	bool drained;		/* 300 or 508 because the server drains */
};

/* What the engine wants done. */
struct turn_out {
	uint8_t *buf;		/* caller's buffer for the reply */
	size_t cap;
	size_t len;		/* reply length; 0 = send nothing */
	enum turn_drop drop;	/* reason when len == 0 */
	struct turn_outcome oc;	/* set by every turn_engine_input() */
};

/* Counters an engine keeps (for metrics; read on the worker's thread). */
struct turn_stats {
	uint64_t allocations;	/* live */
	uint64_t permissions;	/* live (including not yet swept) */
	uint64_t channels;
	uint64_t allocs_created;
	uint64_t allocs_ended[TURN_END_COUNT];	/* by reason */
	uint64_t peer_drops[TURN_DROP_COUNT];	/* turn_engine_peer_input */
	uint64_t auth_failures[TURN_AUTH_FAIL_COUNT];
	uint64_t session_grace;		/* requests let through on an expired
					 * credential within the session */
	uint64_t user_key_pending;	/* TURN_DROP_PENDING answers */
	uint64_t user_key_unavailable;	/* 500s: the store could not answer */
	uint64_t quota_refusals[TURN_QUOTA_KIND_COUNT];	/* 486s, by limit */
};

struct turn_engine;

/* Per worker. opts is copied; what it points to is borrowed for the
 * engine's life. NULL on bad opts or no memory. */
struct turn_engine *turn_engine_new(const struct turn_opts *opts);
/* Closes every relay (relay_close) and frees. NULL is a no-op. */
void turn_engine_free(struct turn_engine *e);

/*
 * Installs the credentials and the peer policy (either may be NULL: every
 * TURN request then gets 500, as nothing can authenticate / every peer is
 * refused, 403 or a drop). Borrowed until the
 * next call or turn_engine_free(). Permissions (judged on their IP,
 * policy_perm_check) and channels (on their ip:port, policy_peer_check)
 * the new policy refuses are removed at once, so that ChannelData need not
 * be re-judged per packet; a Send indication is judged on each packet.
 * Allocations whose user (REST user-id or long-term username) is revoked
 * in the new credentials are closed at once (relay_close, quota and ports
 * released; TURN_END_REVOKED), judged at the latest time the
 * engine has been given (input, peer input or tick).
 */
void turn_engine_set_env(struct turn_engine *e, const struct auth_creds *creds,
    const struct policy_peer *policy);

/* One STUN message or ChannelData frame from a client. now_ms is Unix
 * time in milliseconds (the nonce is checked against it). out->oc tells
 * what the engine did. */
void turn_engine_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out);

/*
 * One datagram of len bytes from peer, received on the relay socket
 * `relay` (the handle relay_open returned). payload has headroom writable
 * bytes before it and tailroom after it (see TURN_PEER_HEADROOM); the
 * engine writes the header there and calls client_send() at most once.
 * Returns TURN_DROP_NONE when relayed, else the reason (also counted in
 * turn_stats.peer_drops).
 */
enum turn_drop turn_engine_peer_input(struct turn_engine *e, uint64_t relay,
    const struct addr *peer, uint8_t *payload, size_t headroom, size_t len,
    size_t tailroom, uint64_t now_ms);

/* Once a second: frees expired allocations (relay_close, quota and ports
 * released), permissions, channels and port reservations. */
void turn_engine_tick(struct turn_engine *e, uint64_t now_ms);

/* A TCP/TLS connection ended: its allocation ends with it (§3.1: the
 * allocation's 5-tuple includes the connection). */
void turn_engine_conn_closed(struct turn_engine *e, const struct turn_tuple *t);

void turn_engine_stats(const struct turn_engine *e, struct turn_stats *st);

/*
 * Drain: from now on a new Allocate that authenticates is answered 300
 * Try Alternate or 508 (turn_opts.alternates); everything else, existing
 * allocations included, is served as before. off undoes it.
 */
void turn_engine_drain(struct turn_engine *e, bool on);

/* New bandwidth limits (SIGHUP, Redis): as turn_opts.max_bps and
 * capacity_bps, for every allocation from now on. */
void turn_engine_set_bandwidth(struct turn_engine *e, uint64_t max_bps,
    uint64_t capacity_bps);

const char *turn_drop_name(enum turn_drop d);

/* ---- shared relay address pool (turn_ports.c) ---- */

/*
 * Ports min..max (0, 0 = 49152-65535, §7.2) on each of nip4 IPv4 and nip6
 * IPv6 relay IPs (0 counts as 1; at most 1024 each): a relayed address is
 * (relay IP number, port), and every relay IP of a family is used. NULL on
 * a bad range or no memory. turn_ports_new() is one relay IP per family.
 */
struct turn_ports *turn_ports_new_ips(uint16_t min, uint16_t max,
    unsigned nip4, unsigned nip6);
struct turn_ports *turn_ports_new(uint16_t min, uint16_t max);
void turn_ports_free(struct turn_ports *p);
/* external-ip of relay IP number ip of a family: what XOR-RELAYED-ADDRESS
 * says instead of the bound IP (AF_UNSPEC: the bound one). Before the
 * engines use the pool. 0, or -1 (no such relay IP, another family). */
int turn_ports_set_external(struct turn_ports *p, int family, unsigned ip,
    const struct addr *adv);
/* Free addresses of a family (AF_INET/AF_INET6) over all its relay IPs,
 * and how many there are, for tests and metrics. */
size_t turn_ports_available(struct turn_ports *p, int family);
size_t turn_ports_capacity(struct turn_ports *p, int family);

/* ---- shared allocation quotas (turn_quota.c) ---- */

/* Limits per user-id, per client IP (/32 IPv4, /64 IPv6) and in total;
 * 0 = unlimited. NULL on no memory. */
struct turn_quota *turn_quota_new(uint32_t per_user, uint32_t per_ip,
    uint32_t total);
void turn_quota_free(struct turn_quota *q);
/* New limits (SIGHUP); allocations already counted stay, new ones are
 * judged against these. 0 = unlimited, as in turn_quota_new(). */
void turn_quota_set_limits(struct turn_quota *q, uint32_t per_user,
    uint32_t per_ip, uint32_t total);

#endif
