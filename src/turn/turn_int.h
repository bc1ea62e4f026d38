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

#include "stun/stun.h"
#include "turn/turn.h"

struct turn_engine {
	struct turn_opts opts;
	size_t software_len;	/* strlen(opts.software), 0 if none */
};

/* Binding request (RFC 8489 §12): fills out with the success response. */
void turn_binding_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *req, struct turn_out *out);

/* Error response with ERROR-CODE, UNKNOWN-ATTRIBUTES for 420, and
 * FINGERPRINT iff the request carried one. */
void turn_reply_error(struct turn_engine *e, const struct stun_msg *req,
    int code, struct turn_out *out);

/* Closes a reply: FINGERPRINT iff the request had one (S32), then sets
 * out->len or the drop reason when the reply did not fit. */
void turn_reply_finish(const struct stun_msg *req, struct stun_builder *b,
    struct turn_out *out);

#endif
