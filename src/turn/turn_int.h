/* SPDX-License-Identifier: ISC */
/*
 * turn_int: the engine's internal state and the per-method handlers,
 * shared by the turn/ source files only (see turn.h for the contract).
 */
#ifndef TERN_TURN_INT_H
#define TERN_TURN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "stun/stun.h"
#include "turn/turn.h"

#define TURN_FAM_V4		0
#define TURN_FAM_V6		1
#define TURN_RESERVATION_TOKEN_LEN 8

struct turn_alloc;
struct policy_rate;

/* A byte budget: milli-bytes, refilled lazily at a rate in bytes per
 * second up to one second's worth (turn_data.c). */
struct turn_bucket {
	uint64_t milli;
	uint64_t last_ms;
};

/* A node of a turn_hash.c table, first in the object it links. */
struct turn_hnode {
	struct turn_hnode *next;	/* the bucket's chain */
	uint64_t hash;
};

/* A turn_hash.c table: buckets, and the old ones while it grows. */
struct turn_htab {
	struct turn_hnode **b;
	size_t mask;			/* buckets - 1, a power of two - 1 */
	struct turn_hnode **old;	/* resizing: the previous array */
	size_t oldmask;
	size_t moved;			/* old buckets already moved */
	size_t n;			/* entries */
};

/*
 * A client 5-tuple in compact form (RFC 8656 §2; the connection id
 * completes it on TCP/TLS), what the allocation table hashes: 48 bytes
 * instead of a struct turn_tuple's two struct addr. Padding is zero
 * (turn_key_from_tuple), so equal tuples hash the same.
 */
struct turn_tkey {
	uint8_t fam[2];			/* client, local: 4 or 6, 0 other */
	uint8_t transport;
	uint8_t zero;
	uint16_t port[2];		/* client, local */
	uint8_t ip[2][16];		/* client, local; IPv4 in [0..3] */
	uint64_t conn;
};

/* A peer IP in compact form (a struct addr is 128 bytes). */
struct turn_ip {
	uint8_t fam;			/* TURN_FAM_V4 / TURN_FAM_V6 */
	uint8_t b[16];			/* IPv4 in b[0..3] */
};

/* One relayed transport address of an allocation (two when dual). */
struct turn_relay {
	struct turn_hnode hn;		/* relay handle table; first */
	struct turn_alloc *alloc;
	uint64_t handle;		/* 0 = not open */
	struct addr adv;		/* what the client is told */
	struct turn_ip bound;		/* the IP relay_open bound, at port */
	uint16_t port;			/* taken from the pool */
	uint16_t ip;			/* its relay IP, as the pool numbers it */
};

struct turn_perm {
	uint64_t expires;		/* ms */
	struct turn_ip ip;		/* canonical; port ignored (§9) */
};

struct turn_chan {
	uint64_t expires;		/* ms */
	uint16_t num;
	uint16_t port;
	struct turn_ip ip;
};

struct turn_alloc {
	struct turn_hnode hn;		/* 5-tuple table (its key's hash); first */
	struct turn_tuple tuple;
	uint64_t expires;		/* ms */
	struct turn_relay relay[2];	/* [TURN_FAM_V4], [TURN_FAM_V6] */
	uint64_t created_ms;		/* when the Allocate succeeded */
	struct turn_bucket bw;		/* max_bps, both directions */
	bool live;			/* the Allocate succeeded: its end is
					 * an event (turn_alloc_event) */
	uint8_t tid[STUN_TID_LEN];	/* of the Allocate (§7.2 retransmit) */
	uint8_t *resp;			/* the stored success response */
	size_t resp_len;
	uint8_t *name;			/* USERNAME (or the user) for 441 */
	size_t name_len;
	uint8_t *quser;			/* quota user-id, or NULL */
	size_t quser_len;
	bool quota_held;
	uint64_t id;			/* turn_alloc_event.id */
	uint64_t cred_expiry;		/* REST expiry (Unix s), or 0 */
	struct turn_alloc_usage use;	/* for its session record */
	/* grown on the control path only, up to the caps */
	struct turn_perm *perms;
	unsigned nperms, capperms;
	struct turn_chan *chans;
	unsigned nchans, capchans;
};

struct turn_engine {
	struct turn_opts opts;
	size_t software_len;	/* strlen(opts.software), 0 if none */
	uint16_t chan_max;	/* STUN_CHANNEL_MAX, or the RFC 5766 bound */
	const struct auth_creds *creds;
	const struct policy_peer *policy;
	uint64_t hkey[2];	/* the 5-tuple hash key, random per engine */
	uint64_t clock;		/* ms, the latest `now` given (set_env) */
	bool draining;		/* turn_engine_drain() */
	struct policy_rate *unauth;	/* answers before MESSAGE-INTEGRITY */
	struct policy_rate *fails;	/* failed credential checks */
	struct turn_bucket cap;		/* capacity_bps of this engine */
	uint8_t tid_next[STUN_TID_LEN];	/* Data indication TIDs */
	struct turn_htab by_tuple;	/* struct turn_alloc */
	struct turn_htab by_relay;	/* struct turn_relay */
	struct turn_stats stats;
};

/* Per-request context once auth_check() passed. */
struct turn_req {
	const struct turn_tuple *t;
	const struct stun_msg *m;
	struct auth_result *auth;
	uint64_t now;		/* ms */
	struct turn_out *out;
};

/*
 * Layers (ARCHITECTURE.md): turn_engine.c dispatches to the method files
 * (binding, auth, alloc, perm, data); those use turn_reply.c, turn_table.c,
 * turn_ip.c, turn_ports.c and turn_quota.c; turn_reply.c uses the table;
 * turn_table.c and turn_quota.c keep their entries in turn_hash.c's
 * tables; turn_ip.c, turn_ports.c and turn_hash.c call no other file.
 */

/* Whether `now` is before `expires` (ms): everything expires lazily. */
static inline bool
turn_now_before(uint64_t expires, uint64_t now)
{
	return now < expires;
}

/* A datagram handed to the I/O layer, for the allocation's session
 * record (struct turn_alloc_usage). */
static inline void
turn_use_add(struct turn_alloc *a, bool to_client, size_t len)
{
	if (to_client) {
		a->use.client_packets++;
		a->use.client_bytes += len;
	} else {
		a->use.peer_packets++;
		a->use.peer_bytes += len;
	}
}

/* Remembers the latest now_ms given (for turn_engine_set_env). */
static inline void
turn_engine_clock(struct turn_engine *e, uint64_t now_ms)
{
	if (now_ms > e->clock)
		e->clock = now_ms;
}

/* ---- turn_binding.c ---- */
void turn_binding_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *req, struct turn_out *out);

/* ---- turn_reply.c ---- */
void turn_reply_error(struct turn_engine *e, const struct stun_msg *req,
    int code, struct turn_out *out);
void turn_reply_finish(const struct stun_msg *req, struct stun_builder *b,
    struct turn_out *out);
/* An error answer to an authenticated request: signed (RFC 8489 §9.2.4). */
void turn_req_error(struct turn_engine *e, struct turn_req *r, int code);
/* Signs (MI or MI-SHA256 as the request, RFC 8489 §9.2.4) and finishes. */
void turn_req_finish(struct turn_req *r, struct stun_builder *b);
/* The allocation of the request's 5-tuple, 437/441 answered if unusable. */
struct turn_alloc *turn_req_alloc(struct turn_engine *e, struct turn_req *r);
/* Notes in the outcome that a peer was refused (the first one counts). */
void turn_outcome_refused(struct turn_out *out, enum policy_verdict v);
/* Notes in the outcome that a quota or a cap refused the request. */
void turn_outcome_quota(struct turn_out *out, enum turn_quota_kind k);

/* ---- turn_auth.c ---- */
/* Authenticates a TURN request (and applies the session window): 0 with
 * res->verdict AUTH_OK, or -1 when out holds the answer (401/438/400/500)
 * or the packet is parked (TURN_DROP_PENDING). */
int turn_auth_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct auth_result *res,
    struct turn_out *out);
/* Ends the allocations of users revoked in e->creds (set_env). */
void turn_auth_revoke(struct turn_engine *e);

/* ---- turn_hash.c ---- */
int turn_htab_init(struct turn_htab *t);
void turn_htab_free(struct turn_htab *t);
/* The chain that holds (or would hold) hash h. */
struct turn_hnode **turn_htab_bucket(const struct turn_htab *t, uint64_t h);
void turn_htab_insert(struct turn_htab *t, struct turn_hnode *x, uint64_t h);
void turn_htab_remove(struct turn_htab *t, struct turn_hnode *x);
/* Every node once; fn may remove the node it is given (and no other). */
void turn_htab_each(struct turn_htab *t, void (*fn)(struct turn_hnode *,
    void *), void *arg);

/* ---- turn_table.c ---- */
/* The tables, empty (0), or -1 without memory. */
int turn_table_init(struct turn_engine *e);
/* fn on every allocation; it may remove the one it is given. */
void turn_table_each(struct turn_engine *e,
    void (*fn)(struct turn_engine *, struct turn_alloc *, void *), void *arg);
struct turn_alloc *turn_table_find(struct turn_engine *e,
    const struct turn_tuple *t);
struct turn_relay *turn_table_relay(struct turn_engine *e, uint64_t handle);
struct turn_alloc *turn_table_add(struct turn_engine *e,
    const struct turn_tuple *t);
void turn_table_add_relay(struct turn_engine *e, struct turn_relay *rl);
/* Closes the relay of one family (relay_close, port back to the pool). */
void turn_table_close_relay(struct turn_engine *e, struct turn_relay *rl);
/* Closes one family of a live dual allocation (TURN_EV_RELAY_CLOSED). */
void turn_table_close_family(struct turn_engine *e, struct turn_alloc *a,
    int fi);
/* Unlinks and frees an allocation: relays closed, quota released; a live
 * one ends with TURN_EV_ENDED and why. */
void turn_table_remove(struct turn_engine *e, struct turn_alloc *a,
    enum turn_end why);
/* The allocation has been granted: TURN_EV_CREATED. */
void turn_table_commit(struct turn_engine *e, struct turn_alloc *a,
    uint64_t now);
/* Removes every allocation (TURN_END_SHUTDOWN) and frees the tables. */
void turn_table_clear(struct turn_engine *e);

/* ---- turn_alloc.c ---- */
void turn_alloc_request(struct turn_engine *e, struct turn_req *r);
void turn_refresh_request(struct turn_engine *e, struct turn_req *r);

/* ---- turn_ip.c ---- */
int turn_fam_index(int family);
void turn_ip_from_addr(const struct addr *a, struct turn_ip *ip);
void turn_ip_to_addr(const struct turn_ip *ip, uint16_t port, struct addr *a);
bool turn_ip_equal(const struct turn_ip *a, const struct turn_ip *b);

/* ---- turn_perm.c ---- */
void turn_perm_request(struct turn_engine *e, struct turn_req *r);
void turn_chan_request(struct turn_engine *e, struct turn_req *r);
struct turn_perm *turn_perm_find(struct turn_alloc *a,
    const struct turn_ip *ip, uint64_t now);
struct turn_chan *turn_chan_by_num(struct turn_alloc *a, uint16_t num,
    uint64_t now);
struct turn_chan *turn_chan_by_peer(struct turn_alloc *a,
    const struct turn_ip *ip, uint16_t port, uint64_t now);
/* What a peer is judged as (turn_peer_verdict). */
enum turn_judge {
	TURN_JUDGE_PEER,	/* ip:port: Send, ChannelBind, a channel */
	TURN_JUDGE_PERM		/* the IP alone: a permission (RFC 8656 §9) */
};
/* The policy's verdict on the allocation a talking to ip:port (port
 * ignored for TURN_JUDGE_PERM), with the relay's own bound address refused
 * where the port is known; fails closed without a policy or a relay of
 * that family. The one judge of CreatePermission, ChannelBind and Send. */
enum policy_verdict turn_peer_verdict(struct turn_engine *e,
    struct turn_alloc *a, const struct turn_ip *ip, uint16_t port,
    enum turn_judge how);
/* Drops expired entries, and the ones policy refuses when policy_too
 * (a permission judged on its IP, a channel on its ip:port). */
void turn_perm_prune(struct turn_engine *e, struct turn_alloc *a, uint64_t now,
    bool policy_too);

/* ---- turn_data.c ---- */
/* Whether len more bytes fit the allocation's and the engine's bandwidth
 * budgets now (taken if so). */
bool turn_bw_take(struct turn_engine *e, struct turn_alloc *a, size_t len,
    uint64_t now);
void turn_send_indication(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out);
void turn_channel_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out);

/* ---- turn_ports.c ---- */
/* A free relayed address (relay IP number, port) of a family, from a
 * random start: an even port when even; N and N+1 on the same relay IP
 * when reserve_next, N+1 held as reserved. 0 or -1 (exhausted). */
int turn_ports_take(struct turn_ports *p, int family, bool even,
    bool reserve_next, unsigned *ip, uint16_t *port);
void turn_ports_release(struct turn_ports *p, int family, unsigned ip,
    uint16_t port);
/* The external-ip of a relay IP, or NULL (advertise the bound one). */
const struct addr *turn_ports_external(struct turn_ports *p, int family,
    unsigned ip);
/* Registers a token for the reserved address (held TURN_RESERVATION_HOLD
 * s). */
int turn_ports_reserve(struct turn_ports *p, int family, unsigned ip,
    uint16_t port, uint64_t now_ms, uint8_t token[TURN_RESERVATION_TOKEN_LEN]);
/* Consumes a live token: the address becomes in use. 0 or -1. */
int turn_ports_redeem(struct turn_ports *p,
    const uint8_t token[TURN_RESERVATION_TOKEN_LEN], uint64_t now_ms,
    int *family, unsigned *ip, uint16_t *port);
void turn_ports_sweep(struct turn_ports *p, uint64_t now_ms);

/* ---- turn_quota.c ---- */
/*
 * What turn_quota_take() says. Every answer but TURN_QUOTA_TAKEN took
 * nothing; OVER_* name the limit that would be exceeded, the first one
 * checked when several would (total, then user-id, then client IP), and
 * are in the order of enum turn_quota_kind (TURN_QUOTA_OVER_USER + kind).
 * TAKEN is 0, so that a test against 0 still means "taken".
 */
enum turn_quota_take {
	TURN_QUOTA_TAKEN = 0,
	TURN_QUOTA_OVER_USER,
	TURN_QUOTA_OVER_IP,
	TURN_QUOTA_OVER_TOTAL,
	TURN_QUOTA_NO_MEMORY	/* no room to count it: not a quota (508) */
};
enum turn_quota_take turn_quota_take(struct turn_quota *q, const uint8_t *user, size_t ulen,
    const struct addr *client);
void turn_quota_release(struct turn_quota *q, const uint8_t *user,
    size_t ulen, const struct addr *client);

#endif
