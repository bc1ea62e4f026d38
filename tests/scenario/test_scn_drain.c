/* SPDX-License-Identifier: ISC */
/*
 * Scenario: drain (turn_engine_drain). A new Allocate that authenticates
 * gets 508, or 300 Try Alternate with ALTERNATE-SERVER (RFC 8489 §10),
 * signed like any answer to an authenticated request; one that does not
 * authenticate gets the usual challenge; existing allocations keep being
 * served, and a retransmitted Allocate still gets its stored success.
 */
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "tap.h"

/* The n-th ALTERNATE-SERVER of the last answer (n = 0 or 1). */
static int
alternate(struct scn_client *c, int n, struct addr *out)
{
	const struct stun_msg *m = &c->m;
	struct stun_attr a;
	size_t off = STUN_HEADER_LEN;
	int seen = 0;

	while (off + 4 <= m->raw_len) {
		a.type = (uint16_t)(m->raw[off] << 8 | m->raw[off + 1]);
		a.len = (uint16_t)(m->raw[off + 2] << 8 | m->raw[off + 3]);
		a.val = m->raw + off + 4;
		off += 4 + (((size_t)a.len + 3) & ~(size_t)3);
		if (a.type == STUN_ATTR_ALTERNATE_SERVER && seen++ == n)
			return stun_attr_addr(&a, out);
	}
	return -1;
}

static void
test_no_alternate(void)
{
	struct scn s;
	struct scn_client old, c, anon;
	uint8_t tid[STUN_TID_LEN];

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&old, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &old, NULL), 0, "an allocation before");
	memcpy(tid, old.tid, sizeof(tid));
	turn_engine_drain(s.e, true);

	scn_client_static(&c, "bob", "hunter2", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &c, NULL), 508, "draining: a new Allocate 508");
	ok(c.mi_ok, "signed with bob's key");
	ok(c.oc.drained && !c.oc.alloc_created, "outcome: drained");
	is_int(s.nopens, 1, "no relay opened for it");

	scn_client_static(&anon, "bob", "hunter2", "8.8.4.4:5002");
	anon.once = true;
	is_int(scn_allocate(&s, &anon, NULL), 401,
	    "without credentials: the challenge, not 508");
	ok(!anon.oc.drained, "outcome: not drained");

	is_int(scn_request(&s, &old, STUN_REFRESH, NULL, NULL), 0,
	    "the old allocation refreshes");
	is_int(scn_permit(&s, &old, "8.8.8.8:1"), 0, "and installs permissions");
	is_int(scn_request(&s, &old, STUN_ALLOCATE, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0\0", 4, NULL },
	    { 0 } }, tid), 0, "its retransmitted Allocate: the stored success");

	turn_engine_drain(s.e, false);
	is_int(scn_allocate(&s, &c, NULL), 0, "drain off: bob allocates");
	scn_free(&s);
}

static void
test_alternates(void)
{
	struct scn s;
	struct scn_client c4, c6;
	struct addr alts[2], a;

	addr_parse(&alts[0], "[2001:db8::7]:3479", 0);
	addr_parse(&alts[1], "192.0.2.7", 0);
	scn_init(&s, 0, 0, 0, 0, 0);
	s.opts.alternates = alts;
	s.opts.nalternates = 2;
	if (scn_restart(&s) != 0)
		abort();
	turn_engine_drain(s.e, true);

	scn_client_static(&c4, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c4, NULL), 300, "IPv4 client: 300");
	ok(c4.mi_ok, "signed");
	ok(alternate(&c4, 0, &a) == 0 && addr_family(&a) == AF_INET &&
	    addr_port(&a) == addr_port(&c4.t.local),
	    "first ALTERNATE-SERVER: IPv4, the request's port (%s)",
	    scn_str(&a));
	ok(alternate(&c4, 1, &a) == 0 && addr_family(&a) == AF_INET6 &&
	    addr_port(&a) == 3479, "second: IPv6 with its port (%s)",
	    scn_str(&a));

	scn_client_static(&c6, "alice", "secret", "[2606:4700::1]:5000");
	is_int(scn_allocate(&s, &c6, NULL), 300, "IPv6 client: 300");
	ok(alternate(&c6, 0, &a) == 0 && addr_family(&a) == AF_INET6,
	    "its first ALTERNATE-SERVER is IPv6");
	ok(c6.resp_len < sizeof(c6.last) && c6.resp_len <= c6.last_len,
	    "the answer is no larger than the request (%zu <= %zu)",
	    c6.resp_len, c6.last_len);
	scn_free(&s);
}

int
main(void)
{
	test_no_alternate();
	test_alternates();
	return tap_done();
}
