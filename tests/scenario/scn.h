/* SPDX-License-Identifier: ISC */
/*
 * scn: the scenario harness for the TURN engine. A fake clock, a fake I/O
 * layer that records every relay_open / relay_close / relay_send /
 * client_send, and simulated clients that build requests with the STUN
 * builder, sign them with their long-term key, follow 401/438 challenges
 * like a real client, and verify the MESSAGE-INTEGRITY of every answer.
 */
#ifndef TERN_TESTS_SCN_H
#define TERN_TESTS_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "turn/turn.h"

#define SCN_MAX_REC	512
#define SCN_BUF		2048
#define SCN_REALM	"example.org"
#define SCN_SECRET	"turn-test-secret"
#define SCN_T0		1767225600000ull	/* 2026-01-01, ms */

struct scn_open {
	int family;
	unsigned ip;			/* relay IP number (turn_io.relay_open) */
	uint16_t port;
	unsigned flags;
	uint64_t handle;
	struct addr relayed;
};

struct scn_pkt {
	uint64_t handle;		/* relay_send */
	struct addr peer;		/* relay_send */
	struct turn_tuple t;		/* client_send */
	uint8_t data[SCN_BUF];
	size_t len;
};

struct scn {
	struct turn_engine *e;
	struct turn_io io;
	struct turn_hooks hooks;
	struct turn_opts opts;
	struct auth_ctx auth;
	struct auth_creds *creds;
	struct policy_peer *policy;
	struct turn_ports *ports;
	struct turn_quota *quota;
	uint64_t now;			/* ms, the fake clock */
	uint16_t port_min, port_max;	/* the relay port range in use */
	uint64_t next_handle;
	/* fake I/O behaviour */
	bool no_v4, no_v6, fail_open;
	int busy_ports;			/* this many relay_open calls say in use */
	/* records */
	struct scn_open opens[SCN_MAX_REC];
	size_t nopens;
	uint64_t closes[SCN_MAX_REC];
	size_t ncloses;
	struct scn_pkt *sends;		/* relay_send, SCN_MAX_REC */
	size_t nsends;
	struct scn_pkt *csends;		/* client_send, SCN_MAX_REC */
	size_t ncsends;
	/* the fake outside user store (scn_user_store) */
	enum turn_key uk_answer;	/* what user_key answers */
	uint8_t uk_key[16];		/* with FOUND */
	size_t uk_calls;
	uint8_t uk_name[600];		/* the last name asked about */
	size_t uk_name_len;
	/* turn_hooks.alloc_event, in order (the tuple and relayed pointers
	 * are not kept; user and use point into the copies below) */
	struct turn_alloc_event events[SCN_MAX_REC];
	size_t nevents;
	struct turn_alloc_usage ev_use[SCN_MAX_REC];
	uint8_t ev_user[SCN_MAX_REC][32];
};

struct scn_client {
	struct turn_tuple t;
	char user[600];
	uint8_t key[16];
	bool fp;			/* add FINGERPRINT */
	bool once;			/* do not follow challenges */
	bool sha256;			/* PASSWORD-ALGORITHM SHA-256, MI-SHA256 */
	uint8_t key256[32];
	uint8_t algs[64];		/* PASSWORD-ALGORITHMS of the challenge */
	size_t algs_len;
	char nonce[64];
	size_t nonce_len;
	uint8_t tid[STUN_TID_LEN];	/* of the last request */
	/* the last answer */
	uint8_t resp[SCN_BUF];
	size_t resp_len;
	struct stun_msg m;
	int code;			/* 0 success, ERROR-CODE, -1 none */
	bool mi_ok;			/* MI (or MI-SHA256) verified with key */
	enum turn_drop drop;
	struct turn_outcome oc;		/* what the engine said it did */
	/* the last packet sent (scn_resubmit) */
	uint8_t last[SCN_BUF];
	size_t last_len;
};

/* One extra attribute of a request; xaddr (an "ip:port") is XOR-encoded. */
struct scn_attr {
	uint16_t type;
	const void *val;
	size_t len;
	const char *xaddr;
};

/* The IPs the fake relay_open binds to. */
#define SCN_RELAY4	"203.0.113.10"
#define SCN_RELAY6	"2001:db8::10"
#define SCN_MAX_HOSTS	8

/* Options tweak: called before turn_engine_new. */
int scn_init(struct scn *s, uint16_t port_min, uint16_t port_max,
    uint32_t user_quota, uint32_t ip_quota, uint32_t total_quota);
void scn_free(struct scn *s);
/* Rebuilds the engine with s->opts (after changing it). */
int scn_restart(struct scn *s);
/*
 * Rebuilds s->policy as the daemon would for a machine whose addresses
 * are hosts (n IPs, at most SCN_MAX_HOSTS): the default rules; as relay
 * IPs and as host addresses too, the fake relay IPs and s->opts.external4
 * and external6 when set; the harness's relay port range. Installs it
 * with turn_engine_set_env() (which re-judges every permission and
 * channel) and frees the previous one. Call it after setting the
 * external addresses. 0 or -1.
 */
int scn_policy_hosts(struct scn *s, const char *const *hosts, size_t n);

/*
 * Credentials: scn_creds_base() builds an unsealed set with the harness's
 * users (alice, bob) and secret, to which a test adds revocations (or
 * sets the HMAC); scn_env() seals it, installs it with
 * turn_engine_set_env() and frees the previous one.
 */
struct auth_creds *scn_creds_base(bool with_secret);
void scn_env(struct scn *s, struct auth_creds *creds);
/* Installs (or removes) the fake user store: turn_hooks.user_key answers
 * s->uk_answer, with s->uk_key for FOUND. */
void scn_user_store(struct scn *s, bool on);

/* A static user ("alice"/"secret" ...) or a REST user-id at client ip:port. */
void scn_client_static(struct scn_client *c, const char *user,
    const char *pw, const char *client);
void scn_client_rest(struct scn *s, struct scn_client *c, const char *userid,
    const char *client);
void scn_client_tcp(struct scn_client *c, uint64_t conn);
/* A REST credential that expires at expiry (Unix seconds). */
void scn_client_rest_at(struct scn_client *c, const char *userid,
    uint64_t expiry, const char *client);
/* Sends c->last again (what the I/O layer does after PENDING). */
int scn_resubmit(struct scn *s, struct scn_client *c);

/*
 * Sends a request (attrs terminated by type 0; tid NULL = a fresh one)
 * and decodes the answer into c. Follows one 401/438 challenge by taking
 * the NONCE and sending again (with a fresh TID). Returns c->code.
 */
int scn_request(struct scn *s, struct scn_client *c, uint16_t method,
    const struct scn_attr *attrs, const uint8_t *tid);
/* Same, without USERNAME/REALM/NONCE/MI and without retrying. */
int scn_request_noauth(struct scn *s, struct scn_client *c, uint16_t method,
    const struct scn_attr *attrs);
/* Allocate with REQUESTED-TRANSPORT UDP plus attrs. */
int scn_allocate(struct scn *s, struct scn_client *c,
    const struct scn_attr *attrs);
/* CreatePermission / ChannelBind for one peer. */
int scn_permit(struct scn *s, struct scn_client *c, const char *peer);
int scn_bind(struct scn *s, struct scn_client *c, uint16_t ch,
    const char *peer);
/* A Send indication; returns the drop reason. */
enum turn_drop scn_send(struct scn *s, struct scn_client *c, const char *peer,
    const void *data, size_t len);
/* ChannelData from the client; returns the drop reason. */
enum turn_drop scn_chandata(struct scn *s, struct scn_client *c, uint16_t ch,
    const void *data, size_t len);
/* A datagram from peer to the relay handle. */
enum turn_drop scn_peer(struct scn *s, uint64_t handle, const char *peer,
    const void *data, size_t len);

/* Attributes of the last answer. */
int scn_resp_xaddr(struct scn_client *c, uint16_t type, struct addr *out);
/* The n-th XOR-RELAYED-ADDRESS (0 or 1). */
int scn_resp_relayed(struct scn_client *c, int n, struct addr *out);
long scn_resp_u32(struct scn_client *c, uint16_t type);
/* The handle of the relay whose bound port is port, 0 if none. */
uint64_t scn_handle_of(struct scn *s, const struct addr *relayed);
/* Advances the clock by ms and runs a tick. */
void scn_advance(struct scn *s, uint64_t ms);
/* The "ip:port" string of an address (static buffer). */
const char *scn_str(const struct addr *a);

#endif
