/* SPDX-License-Identifier: ISC */
/*
 * turn: the protocol engine. Pure: it takes the bytes a client sent, the
 * 5-tuple and `now`, and returns what to send back; it does no I/O, takes no
 * lock and never logs per packet (DESIGN.md "Pure core, thin I/O").
 *
 * Issue 2 scope: STUN Binding (RFC 8489 §12 basic server):
 *  - Binding request -> success with XOR-MAPPED-ADDRESS (§14.2) of the
 *    client's source; FINGERPRINT only if the request carried one (S32);
 *    SOFTWARE only if configured (S30); nothing else (reflection, C8);
 *  - unknown comprehension-required attributes -> 420 with
 *    UNKNOWN-ATTRIBUTES (§6.3.1); RESPONSE-ADDRESS (RFC 3489) is one of them,
 *    so it is never honoured (B4);
 *  - Binding indication (keep-alive) -> nothing (§6.3.2);
 *  - RFC 3489 requests (no magic cookie) -> dropped (B3: off by default);
 *  - responses, and anything that fails stun_decode -> dropped silently
 *    (§6.3: "silently discarded"), with a reason for the drop counter.
 * The TURN methods (RFC 8656) arrive with issue 3.
 */
#ifndef TERN_TURN_H
#define TERN_TURN_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

enum turn_transport {
	TURN_UDP = 0,
	TURN_TCP,
	TURN_TLS,
};

/* Why the engine produced no answer (indexes a drop counter). */
enum turn_drop {
	TURN_DROP_NONE = 0,	/* an answer was produced */
	TURN_DROP_MALFORMED,	/* failed stun_decode */
	TURN_DROP_NOT_REQUEST,	/* a response or an unexpected indication */
	TURN_DROP_INDICATION,	/* valid indication with nothing to do (keep-alive) */
	TURN_DROP_RFC3489,	/* classic STUN, not served */
	TURN_DROP_UNSUPPORTED,	/* a method this build does not serve */
	TURN_DROP_CHANNEL,	/* ChannelData with no allocation */
	TURN_DROP_NOT_STUN,	/* first byte neither STUN nor ChannelData */
	TURN_DROP_COUNT
};

struct turn_opts {
	const char *software;	/* SOFTWARE value, or NULL for none; borrowed */
};

/* Where a packet came from. */
struct turn_tuple {
	struct addr client;	/* the client's source address */
	struct addr local;	/* the server address it arrived on */
	enum turn_transport transport;
};

/* What the engine wants done. */
struct turn_out {
	uint8_t *buf;		/* caller's buffer for the reply */
	size_t cap;
	size_t len;		/* reply length; 0 = send nothing */
	enum turn_drop drop;	/* reason when len == 0 */
};

struct turn_engine;

/* Per worker. opts is copied; strings in it are borrowed for the engine's life. */
struct turn_engine *turn_engine_new(const struct turn_opts *opts);
void turn_engine_free(struct turn_engine *e);

/* One STUN message or ChannelData frame from a client. */
void turn_engine_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out);

const char *turn_drop_name(enum turn_drop d);

#endif
