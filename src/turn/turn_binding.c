/* SPDX-License-Identifier: ISC */
/*
 * turn_binding: the basic STUN server of RFC 8489 §12.
 *
 * The answer is deliberately minimal (docs/security.md, Attack catalogue:
 * amplification): only XOR-MAPPED-ADDRESS, SOFTWARE when the operator
 * configured it, and FINGERPRINT only when the request carried one. No
 * MAPPED-ADDRESS, no RESPONSE-ORIGIN/OTHER-ADDRESS, no authentication
 * (§12: a basic server SHOULD NOT authenticate Binding).
 */
#include <string.h>

#include "stun/stun.h"
#include "turn/turn.h"
#include "turn/turn_int.h"

/*
 * A client that reached a dual-stack IPv6 socket over IPv4 shows up as
 * ::ffff:a.b.c.d; its reflexive address is the IPv4 one (RFC 4291 §2.5.5.2,
 * RFC 8489 §14.2 reports what the client's packets came from).
 */
static void
turn_binding_unmap(const struct addr *in, struct addr *out)
{
	*out = *in;
	if (addr_family(in) != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&in->u.sin6.sin6_addr))
		return;
	memset(out, 0, sizeof(*out));
	out->u.sin.sin_family = AF_INET;
	out->u.sin.sin_port = in->u.sin6.sin6_port;
	memcpy(&out->u.sin.sin_addr, in->u.sin6.sin6_addr.s6_addr + 12, 4);
}

void
turn_binding_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *req, struct turn_out *out)
{
	struct stun_builder b;
	struct addr mapped;

	turn_binding_unmap(&t->client, &mapped);
	stun_builder_reply(&b, out->buf, out->cap, req, STUN_SUCCESS);
	/* §14.2: the reflexive transport address, XORed */
	stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
	if (e->software_len > 0)
		stun_add(&b, STUN_ATTR_SOFTWARE, e->opts.software,
		    e->software_len);
	turn_reply_finish(req, &b, out);
}
