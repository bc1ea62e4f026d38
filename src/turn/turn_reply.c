/* SPDX-License-Identifier: ISC */
/*
 * turn_reply: the answers every method handler builds (RFC 8489 §6.3:
 * errors with their standard reason phrase, FINGERPRINT echoed, answers
 * to an authenticated request signed with its key, §9.2.4), the
 * allocation a request needs (RFC 8656 §5: only the credentials that
 * created it may use it), and what the answer tells the outcome.
 */
#include <string.h>

#include "stun/stun.h"
#include "turn/turn_int.h"

void
turn_reply_finish(const struct stun_msg *req, struct stun_builder *b,
    struct turn_out *out)
{
	/* RFC 8489 §14.7: FINGERPRINT MAY be used; we echo the client's
	 * choice */
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
	out->oc.code = (uint16_t)code;
	stun_builder_reply(&b, out->buf, out->cap, req, STUN_ERROR);
	stun_add_error(&b, code);
	/* §6.3.1, §14.13: list the types we did not understand */
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
		stun_add_unknown(&b, req->unknown, req->nunknown);
	turn_reply_finish(req, &b, out);
}

void
turn_req_finish(struct turn_req *r, struct stun_builder *b)
{
	/* RFC 8489 §9.2.4: MI-SHA256 if the request used it, else
	 * MI with the key that verified the request */
	if (r->auth->sign_sha256)
		stun_add_integrity_sha256(b, r->auth->key, r->auth->key_len);
	else
		stun_add_integrity(b, r->auth->key, r->auth->key_len);
	turn_reply_finish(r->m, b, r->out);
}

void
turn_req_error(struct turn_engine *e, struct turn_req *r, int code)
{
	struct stun_builder b;

	(void)e;
	r->out->oc.code = (uint16_t)code;
	stun_builder_reply(&b, r->out->buf, r->out->cap, r->m, STUN_ERROR);
	stun_add_error(&b, code);
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
		stun_add_unknown(&b, r->m->unknown, r->m->nunknown);
	turn_req_finish(r, &b);
}

struct turn_alloc *
turn_req_alloc(struct turn_engine *e, struct turn_req *r)
{
	struct turn_alloc *a = turn_table_find(e, r->t);
	const uint8_t *name = r->auth->username;
	size_t nlen = r->auth->username_len;

	if (a != NULL && !turn_now_before(a->expires, r->now)) {
		/* lazy expiry: off the data path, so free it now */
		turn_table_remove(e, a, TURN_END_EXPIRED);
		r->out->oc.alloc_ended = true;
		r->out->oc.end = TURN_END_EXPIRED;
		a = NULL;
	}
	if (a == NULL) {
		/* §19: the request needs an allocation */
		turn_req_error(e, r, STUN_ERR_ALLOCATION_MISMATCH);
		return NULL;
	}
	if (name == NULL) {
		name = r->auth->user;
		nlen = r->auth->user_len;
	}
	/* §5: only the credentials that created it may use it */
	if (nlen != a->name_len || memcmp(name, a->name, nlen) != 0) {
		turn_req_error(e, r, STUN_ERR_WRONG_CREDENTIALS);
		return NULL;
	}
	return a;
}

void
turn_outcome_refused(struct turn_out *out, enum policy_verdict v)
{
	if (out->oc.peer_refused)
		return;
	out->oc.peer_refused = true;
	out->oc.verdict = v;
}

void
turn_outcome_quota(struct turn_out *out, enum turn_quota_kind k)
{
	out->oc.quota_refused = true;
	out->oc.quota = k;
}

