/* SPDX-License-Identifier: ISC */
/*
 * turn_engine: demultiplexing, the receive checks and dispatch by method.
 *
 * Order of the checks, following RFC 8489 §6.3 and §6.3.1:
 *   1. first byte (RFC 7983, RFC 8656 §12): STUN, ChannelData or drop;
 *   2. stun_decode(): the basic checks; failure is a silent discard (§6.3);
 *   3. RFC 3489 peers are not served (B3, off by default);
 *   4. responses are dropped (we sent no requests); indications are never
 *      answered (§6.3.2);
 *   5. requests: a method we do not serve gets 400 (§6.3.1 leaves the
 *      error to the server; RFC 5389 §7.3.1 named 400), then unknown
 *      comprehension-required attributes get 420 (§6.3.1), then the method.
 * The engine allocates once, in turn_engine_new(), never per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"
#include "turn/turn.h"
#include "turn/turn_int.h"

/* SOFTWARE must stay under 128 characters (§14.14); at most 763 bytes. */
#define TURN_SOFTWARE_MAX	763

struct turn_engine *
turn_engine_new(const struct turn_opts *opts)
{
	struct turn_engine *e;
	size_t slen = 0;

	if (opts != NULL && opts->software != NULL) {
		slen = strlen(opts->software);
		if (slen > TURN_SOFTWARE_MAX)
			return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (opts != NULL)
		e->opts = *opts;
	e->software_len = slen;
	return e;
}

void
turn_engine_free(struct turn_engine *e)
{
	free(e);
}

void
turn_reply_finish(const struct stun_msg *req, struct stun_builder *b,
    struct turn_out *out)
{
	/* S32: FINGERPRINT MAY be used but only echoing the client's choice */
	if (req->fp_off != 0)
		stun_add_fingerprint(b);
	out->len = stun_builder_finish(b);
	/* a reply that does not fit the caller's buffer is not sent */
	out->drop = out->len > 0 ? TURN_DROP_NONE : TURN_DROP_UNSUPPORTED;
}

void
turn_reply_error(struct turn_engine *e, const struct stun_msg *req, int code,
    struct turn_out *out)
{
	struct stun_builder b;

	(void)e;
	stun_builder_reply(&b, out->buf, out->cap, req, STUN_ERROR);
	stun_add_error(&b, code);
	/* §6.3.1, §14.13: list the types we did not understand */
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
		stun_add_unknown(&b, req->unknown, req->nunknown);
	turn_reply_finish(req, &b, out);
}

static void
turn_engine_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_out *out)
{
	/* The TURN methods (RFC 8656) are served from the next stage on;
	 * until then every method but Binding is one we do not serve, and
	 * a request for it gets 400 (RFC 8489 §6.3, §6.3.1). */
	if (m->method != STUN_BINDING) {
		turn_reply_error(e, m, STUN_ERR_BAD_REQUEST, out);
		return;
	}
	if (m->nunknown > 0) {
		turn_reply_error(e, m, STUN_ERR_UNKNOWN_ATTRIBUTE, out);
		return;
	}
	turn_binding_request(e, t, m, out);
}

void
turn_engine_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out)
{
	struct stun_msg m;

	(void)now_ms;
	out->len = 0;
	out->drop = TURN_DROP_NONE;
	if (pkt == NULL || len == 0) {
		out->drop = TURN_DROP_NOT_STUN;
		return;
	}
	if (stun_is_channel_byte(pkt[0])) {
		out->drop = TURN_DROP_CHANNEL;	/* no allocations yet */
		return;
	}
	if (!stun_is_stun_byte(pkt[0])) {
		out->drop = TURN_DROP_NOT_STUN;	/* RFC 7983: MUST drop */
		return;
	}
	if (stun_decode(&m, pkt, len) != STUN_OK) {
		out->drop = TURN_DROP_MALFORMED;
		return;
	}
	if (m.rfc3489) {
		out->drop = TURN_DROP_RFC3489;
		return;
	}
	switch (m.cls) {
	case STUN_REQUEST:
		turn_engine_request(e, t, &m, out);
		break;
	case STUN_INDICATION:
		/* §6.3.2: never answered; a Binding indication is a
		 * keep-alive, any other indication has no allocation yet */
		out->drop = m.method == STUN_BINDING ? TURN_DROP_INDICATION :
		    TURN_DROP_UNSUPPORTED;
		break;
	default:
		out->drop = TURN_DROP_NOT_REQUEST;
		break;
	}
}

const char *
turn_drop_name(enum turn_drop d)
{
	static const char *const names[TURN_DROP_COUNT] = {
		[TURN_DROP_NONE] = "none",
		[TURN_DROP_MALFORMED] = "malformed",
		[TURN_DROP_NOT_REQUEST] = "not_request",
		[TURN_DROP_INDICATION] = "indication",
		[TURN_DROP_RFC3489] = "rfc3489",
		[TURN_DROP_UNSUPPORTED] = "unsupported",
		[TURN_DROP_CHANNEL] = "channel",
		[TURN_DROP_NOT_STUN] = "not_stun",
	};

	if ((unsigned)d >= TURN_DROP_COUNT || names[d] == NULL)
		return "unknown";
	return names[d];
}
