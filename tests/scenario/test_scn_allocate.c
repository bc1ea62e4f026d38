/* SPDX-License-Identifier: ISC */
/* Scenario: Allocate (RFC 8656 §5, §7.2; RFC 8489 §9.2.4; the quotas:
 * docs/security.md, Attack catalogue: resource exhaustion). */
#include <string.h>

#include "scn.h"
#include "tap.h"

static const uint8_t udp[4] = { 17, 0, 0, 0 };
static const uint8_t tcp[4] = { 6, 0, 0, 0 };
static const uint8_t fam4[4] = { 0x01, 0, 0, 0 };
static const uint8_t fam6[4] = { 0x02, 0, 0, 0 };
static const uint8_t fam3[4] = { 0x03, 0, 0, 0 };

static void
test_challenge(void)
{
	struct scn s;
	struct scn_client c;
	const struct stun_attr *n, *r;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_request_noauth(&s, &c, STUN_ALLOCATE, NULL), 401,
	    "allocate without MI: 401");
	n = stun_msg_attr(&c.m, STUN_ATTR_NONCE);
	r = stun_msg_attr(&c.m, STUN_ATTR_REALM);
	ok(n != NULL && n->len == 29 && memcmp(n->val, "obMatJos2", 9) == 0,
	    "401 carries a 29-character cookie nonce");
	ok(r != NULL && r->len == strlen(SCN_REALM) &&
	    memcmp(r->val, SCN_REALM, r->len) == 0, "401 carries REALM");
	ok(c.m.mi_off == 0 && c.m.mi256_off == 0, "401 is not signed");
	ok(stun_msg_attr(&c.m, STUN_ATTR_PASSWORD_ALGORITHMS) != NULL,
	    "401 carries PASSWORD-ALGORITHMS");
	is_int(s.nopens, 0, "no relay opened before authentication");
	/* wrong password: 401 again after the nonce was taken */
	scn_client_static(&c, "alice", "wrong", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 401, "wrong password: 401");
	is_int(s.nopens, 0, "still no relay");
	scn_client_static(&c, "mallory", "x", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, NULL), 401, "unknown user: 401");
	scn_free(&s);
}

static void
test_success(void)
{
	struct scn s;
	struct scn_client c;
	struct addr a, want;
	uint8_t first[SCN_BUF], tid[STUN_TID_LEN];
	size_t flen;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	c.fp = true;
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate: success");
	ok(c.mi_ok, "success signed with alice's key (MI)");
	ok(c.m.fp_off != 0, "FINGERPRINT echoed");
	is_int(s.nopens, 1, "one relay opened");
	is_int(s.opens[0].family, AF_INET, "IPv4 by default (§7.2 step 7)");
	is_int(s.opens[0].flags, 0, "no DF flag unless asked");
	ok(s.opens[0].port >= 49152, "port %u in 49152-65535 (§7.2)",
	    s.opens[0].port);
	ok(scn_resp_relayed(&c, 0, &a) == 0 &&
	    addr_equal(&a, &s.opens[0].relayed, true),
	    "XOR-RELAYED-ADDRESS is the bound relay %s", scn_str(&a));
	is_int(scn_resp_relayed(&c, 1, &a), -1, "only one relayed address");
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 600, "LIFETIME 600");
	addr_parse(&want, "8.8.4.4:5000", 0);
	ok(scn_resp_xaddr(&c, STUN_ATTR_XOR_MAPPED_ADDRESS, &a) == 0 &&
	    addr_equal(&a, &want, true), "XOR-MAPPED-ADDRESS is the client");
	ok(stun_msg_attr(&c.m, STUN_ATTR_RESERVATION_TOKEN) == NULL,
	    "no RESERVATION-TOKEN");
	ok(stun_msg_attr(&c.m, STUN_ATTR_SOFTWARE) == NULL, "no SOFTWARE");
	/* §7.2: retransmission = same TID -> the same answer */
	memcpy(first, c.resp, c.resp_len);
	flen = c.resp_len;
	memcpy(tid, c.tid, sizeof(tid));
	scn_request(&s, &c, STUN_ALLOCATE, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_TRANSPORT, udp, 4, NULL }, { 0 } }, tid);
	ok(c.resp_len == flen && memcmp(c.resp, first, flen) == 0,
	    "retransmission: byte-identical success");
	is_int(s.nopens, 1, "retransmission opened nothing");
	/* §7.2 step 2: a new transaction on the same 5-tuple */
	is_int(scn_allocate(&s, &c, NULL), 437, "second Allocate: 437");
	ok(c.mi_ok, "437 signed");
	is_int(s.nopens, 1, "437 opened nothing");
	scn_free(&s);
}

static void
test_bad_requests(void)
{
	struct scn s;
	struct scn_client c;
	static const uint16_t unk = 0x7FFF;
	const struct stun_attr *ua;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_request(&s, &c, STUN_ALLOCATE, NULL, NULL), 400,
	    "no REQUESTED-TRANSPORT: 400 (§7.2 step 3)");
	ok(c.mi_ok, "the 400 is signed");
	is_int(scn_request(&s, &c, STUN_ALLOCATE, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_TRANSPORT, udp, 2, NULL }, { 0 } }, NULL),
	    400, "malformed REQUESTED-TRANSPORT: 400");
	is_int(scn_request(&s, &c, STUN_ALLOCATE, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_TRANSPORT, tcp, 4, NULL }, { 0 } }, NULL),
	    442, "TCP transport: 442");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { unk, &unk, 2, NULL }, { 0 } }), 420, "unknown attribute: 420");
	ua = stun_msg_attr(&c.m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	ok(ua != NULL && ua->len == 2 && ua->val[0] == 0x7F &&
	    ua->val[1] == 0xFF, "UNKNOWN-ATTRIBUTES lists 0x7fff");
	ok(c.mi_ok, "420 signed");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam3, 4, NULL }, { 0 } }),
	    440, "REQUESTED-ADDRESS-FAMILY 3: 440 (§7.2 step 7)");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam4, 4, NULL },
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    400, "both address family attributes: 400 (§7.2 step 6)");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, fam4, 4, NULL }, { 0 } }),
	    400, "ADDITIONAL-ADDRESS-FAMILY IPv4: 400 (§7.2 step 9)");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam4, 2, NULL }, { 0 } }),
	    400, "malformed REQUESTED-ADDRESS-FAMILY: 400");
	is_int(s.nopens, 0, "no relay opened by any refusal");
	/* MI present but NONCE missing: 400 without MI (RFC 8489 §9.2.4) */
	is_int(scn_request_noauth(&s, &c, STUN_ALLOCATE,
	    (const struct scn_attr[]){
	    { STUN_ATTR_USERNAME, "alice", 5, NULL },
	    { STUN_ATTR_REALM, SCN_REALM, strlen(SCN_REALM), NULL },
	    { STUN_ATTR_MESSAGE_INTEGRITY, "01234567890123456789", 20, NULL },
	    { 0 } }), 400, "MI without NONCE: 400");
	ok(c.m.mi_off == 0, "that 400 is not signed");
	scn_free(&s);
}

static void
test_lifetime(void)
{
	static const struct { uint32_t ask; long want; } cases[] = {
		{ 30, 600 }, { 600, 600 }, { 1000, 1000 }, { 3600, 3600 },
		{ 86400, 3600 }, { 0, 600 },
	};
	struct scn s;
	struct scn_client c;
	char where[32];
	uint8_t v[4];
	size_t i;

	scn_init(&s, 0, 0, 0, 0, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(where, sizeof(where), "8.8.4.4:%zu", 6000 + i);
		scn_client_static(&c, "alice", "secret", where);
		v[0] = (uint8_t)(cases[i].ask >> 24);
		v[1] = (uint8_t)(cases[i].ask >> 16);
		v[2] = (uint8_t)(cases[i].ask >> 8);
		v[3] = (uint8_t)cases[i].ask;
		is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
		    { STUN_ATTR_LIFETIME, v, 4, NULL }, { 0 } }), 0,
		    "allocate asking %u s", cases[i].ask);
		is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), cases[i].want,
		    "LIFETIME %u -> %ld (§7.2)", cases[i].ask, cases[i].want);
	}
	/* max-allocate-lifetime configured lower */
	s.opts.max_lifetime = 1200;
	scn_restart(&s);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:6100");
	v[0] = 0, v[1] = 1, v[2] = 0x51, v[3] = 0x80;	/* 86400 */
	scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, v, 4, NULL }, { 0 } });
	is_int(scn_resp_u32(&c, STUN_ATTR_LIFETIME), 1200,
	    "capped by max_lifetime 1200");
	scn_free(&s);
}

static void
test_nonce_and_rest(void)
{
	struct scn s;
	struct scn_client c;
	char name[64];

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:7000");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\x0e\x10", 4, NULL }, { 0 } }), 0,
	    "allocate for 3600 s");
	s.now += 601 * 1000;	/* the nonce is stale, the allocation lives */
	c.once = true;
	is_int(scn_request(&s, &c, STUN_REFRESH, NULL, NULL), 438,
	    "stale nonce: 438");
	ok(stun_msg_attr(&c.m, STUN_ATTR_NONCE) != NULL &&
	    stun_msg_attr(&c.m, STUN_ATTR_REALM) != NULL,
	    "438 carries a new NONCE and REALM");
	c.once = false;
	is_int(scn_request(&s, &c, STUN_REFRESH, NULL, NULL), 0,
	    "with the new nonce: Refresh succeeds");
	/* REST credentials (README.md, Issuing credentials from your
	 * backend) */
	scn_client_rest(&s, &c, "carol", "8.8.4.4:7001");
	is_int(scn_allocate(&s, &c, NULL), 0, "REST user allocates");
	ok(c.mi_ok, "signed with the REST key");
	scn_client_rest(&s, &c, "carol", "8.8.4.4:7002");
	snprintf(name, sizeof(name), "%llu:carol",
	    (unsigned long long)(s.now / 1000 - 100));
	memcpy(c.user, name, strlen(name) + 1);
	is_int(scn_allocate(&s, &c, NULL), 401, "expired REST name: 401");
	scn_free(&s);
}

/* turn_stats.quota_refusals: which limit refused, for the metric. */
static void
is_quota(const struct turn_stats *st, uint64_t user, uint64_t ip,
    uint64_t total, const char *what)
{
	ok(st->quota_refusals[TURN_QUOTA_USER] == user &&
	    st->quota_refusals[TURN_QUOTA_IP] == ip &&
	    st->quota_refusals[TURN_QUOTA_TOTAL] == total,
	    "%s (user %llu ip %llu total %llu)", what,
	    (unsigned long long)st->quota_refusals[TURN_QUOTA_USER],
	    (unsigned long long)st->quota_refusals[TURN_QUOTA_IP],
	    (unsigned long long)st->quota_refusals[TURN_QUOTA_TOTAL]);
}

static void
test_quota(void)
{
	struct scn s;
	struct scn_client c;
	struct turn_stats st;
	char where[32];
	int i;

	/* per user-id: 2; REST names with new timestamps do not escape */
	scn_init(&s, 0, 0, 2, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(where, sizeof(where), "8.8.%d.1:9000", i);
		scn_client_rest(&s, &c, "dave", where);
		s.now += 1000;	/* a different expiry, same user-id */
		is_int(scn_allocate(&s, &c, NULL), i < 2 ? 0 : 486,
		    "dave's allocation %d: %s", i + 1, i < 2 ? "ok" : "486");
	}
	ok(c.mi_ok, "486 signed");
	is_int(s.nopens, 2, "486 opened no relay");
	scn_client_rest(&s, &c, "erin", "8.8.9.9:9000");
	is_int(scn_allocate(&s, &c, NULL), 0, "another user-id is not limited");
	turn_engine_stats(s.e, &st);
	is_quota(&st, 1, 0, 0, "user quota: counted as user");
	scn_free(&s);

	/* per client IP: 2, across users and ports; /64 for IPv6 */
	scn_init(&s, 0, 0, 0, 2, 0);
	scn_client_static(&c, "alice", "secret", "9.9.9.9:1");
	is_int(scn_allocate(&s, &c, NULL), 0, "IP quota: 1");
	scn_client_static(&c, "bob", "hunter2", "9.9.9.9:2");
	is_int(scn_allocate(&s, &c, NULL), 0, "IP quota: 2");
	scn_client_static(&c, "bob", "hunter2", "9.9.9.9:3");
	is_int(scn_allocate(&s, &c, NULL), 486, "IP quota: 3rd is 486");
	scn_client_static(&c, "bob", "hunter2", "[2001:4860::1]:1");
	is_int(scn_allocate(&s, &c, NULL), 0, "IPv6 /64: 1");
	scn_client_static(&c, "bob", "hunter2", "[2001:4860::2]:1");
	is_int(scn_allocate(&s, &c, NULL), 0, "IPv6 /64: 2");
	scn_client_static(&c, "bob", "hunter2", "[2001:4860::3]:1");
	is_int(scn_allocate(&s, &c, NULL), 486, "same /64: 486");
	turn_engine_stats(s.e, &st);
	is_quota(&st, 0, 2, 0, "IP quota: both counted as ip");
	/* the quota is released with the allocation */
	scn_client_static(&c, "alice", "secret", "9.9.9.9:1");
	is_int(scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL), 0,
	    "delete one");
	scn_client_static(&c, "bob", "hunter2", "9.9.9.9:3");
	is_int(scn_allocate(&s, &c, NULL), 0, "then the 3rd fits");
	scn_free(&s);

	/* total */
	scn_init(&s, 0, 0, 0, 0, 1);
	scn_client_static(&c, "alice", "secret", "9.9.9.9:1");
	is_int(scn_allocate(&s, &c, NULL), 0, "total quota: 1");
	scn_client_static(&c, "bob", "hunter2", "1.1.1.1:1");
	is_int(scn_allocate(&s, &c, NULL), 486, "total quota: 486");
	turn_engine_stats(s.e, &st);
	is_quota(&st, 0, 0, 1, "total quota: counted as total");
	scn_free(&s);
}

static void
test_ports(void)
{
	struct scn s;
	struct scn_client c;
	char where[32];
	int i;

	scn_init(&s, 50000, 50001, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(where, sizeof(where), "8.8.4.4:%d", 100 + i);
		scn_client_static(&c, "alice", "secret", where);
		is_int(scn_allocate(&s, &c, NULL), i < 2 ? 0 : 508,
		    "2-port range, allocation %d", i + 1);
	}
	ok(c.mi_ok, "508 signed");
	is_int(turn_ports_available(s.ports, AF_INET), 0, "pool empty");
	ok(s.opens[0].port != s.opens[1].port && s.opens[0].port >= 50000 &&
	    s.opens[0].port <= 50001 && s.opens[1].port >= 50000 &&
	    s.opens[1].port <= 50001, "two distinct ports of the range");
	scn_client_static(&c, "alice", "secret", "8.8.4.4:100");
	scn_request(&s, &c, STUN_REFRESH, (const struct scn_attr[]){
	    { STUN_ATTR_LIFETIME, "\0\0\0\0", 4, NULL }, { 0 } }, NULL);
	is_int(turn_ports_available(s.ports, AF_INET), 1, "port released");
	is_int(s.ncloses, 1, "relay closed");
	scn_client_static(&c, "alice", "secret", "8.8.4.4:102");
	is_int(scn_allocate(&s, &c, NULL), 0, "a port again");
	scn_free(&s);

	/* the I/O layer finds ports taken: the engine tries others */
	scn_init(&s, 50000, 50009, 0, 0, 0);
	s.busy_ports = 3;
	scn_client_static(&c, "alice", "secret", "8.8.4.4:100");
	is_int(scn_allocate(&s, &c, NULL), 0, "ports in use are skipped");
	is_int(turn_ports_available(s.ports, AF_INET), 9,
	    "refused ports back in the pool, one used");
	s.fail_open = true;
	scn_client_static(&c, "alice", "secret", "8.8.4.4:101");
	is_int(scn_allocate(&s, &c, NULL), 508, "socket failure: 508");
	is_int(turn_ports_available(s.ports, AF_INET), 9, "no port leaked");
	s.fail_open = false;
	s.no_v4 = true;
	is_int(scn_allocate(&s, &c, NULL), 440, "no IPv4 relay: 440 (§7.2)");
	scn_free(&s);
}

static void
test_options(void)
{
	struct scn s;
	struct scn_client c;
	struct addr a, want;

	scn_init(&s, 0, 0, 0, 0, 0);
	addr_parse_ip(&s.opts.external4, "198.51.100.7", 0);
	s.opts.software = "tern-test";
	scn_restart(&s);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_DONT_FRAGMENT, NULL, 0, NULL }, { 0 } }), 0,
	    "allocate with DONT-FRAGMENT");
	is_int(s.opens[0].flags, TURN_RELAY_DONT_FRAGMENT,
	    "DF passed to relay_open (§7.2 step 4)");
	addr_parse_ip(&want, "198.51.100.7", s.opens[0].port);
	ok(scn_resp_relayed(&c, 0, &a) == 0 && addr_equal(&a, &want, true),
	    "external-ip advertised: %s", scn_str(&a));
	ok(stun_msg_attr(&c.m, STUN_ATTR_SOFTWARE) != NULL,
	    "SOFTWARE when configured");
	/* RFC 6156: an IPv6 relay on request */
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5001");
	is_int(scn_allocate(&s, &c, (const struct scn_attr[]){
	    { STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam6, 4, NULL }, { 0 } }),
	    0, "REQUESTED-ADDRESS-FAMILY IPv6");
	ok(scn_resp_relayed(&c, 0, &a) == 0 && addr_family(&a) == AF_INET6,
	    "IPv6 relayed address %s", scn_str(&a));
	is_int(s.opens[1].family, AF_INET6, "IPv6 relay opened");
	scn_free(&s);
}

static void
test_stream(void)
{
	struct scn s;
	struct scn_client c, d;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	scn_client_tcp(&c, 7);
	is_int(scn_allocate(&s, &c, NULL), 0, "allocate over TCP");
	d = c;
	d.t.conn = 8;	/* same addresses, another connection */
	is_int(scn_request(&s, &d, STUN_REFRESH, NULL, NULL), 437,
	    "another connection has no allocation");
	turn_engine_conn_closed(s.e, &c.t);
	is_int(s.ncloses, 1, "connection closed: relay closed");
	is_int(s.closes[0], s.opens[0].handle, "the right relay");
	is_int(scn_request(&s, &c, STUN_REFRESH, NULL, NULL), 437,
	    "allocation gone with its connection");
	scn_free(&s);
}

static void
test_sha256_and_binding(void)
{
	struct scn s;
	struct scn_client c;
	struct addr a;

	scn_init(&s, 0, 0, 0, 0, 0);
	scn_client_static(&c, "alice", "secret", "8.8.4.4:5000");
	c.sha256 = true;
	is_int(scn_allocate(&s, &c, NULL), 0, "SHA-256 client allocates");
	ok(c.mi_ok,
	    "success carries MI-SHA256 with the SHA-256 key (RFC 8489 §9.2.4)");
	ok(c.m.mi_off == 0 && c.m.mi256_off != 0, "and no SHA-1 MI");
	is_int(scn_permit(&s, &c, "8.8.8.8:1"), 0, "CreatePermission");
	ok(c.mi_ok, "signed with MI-SHA256 too");
	/* Binding stays unauthenticated with the TURN engine on (§12) */
	is_int(scn_request_noauth(&s, &c, STUN_BINDING, NULL), 0,
	    "Binding without credentials");
	ok(scn_resp_xaddr(&c, STUN_ATTR_XOR_MAPPED_ADDRESS, &a) == 0 &&
	    addr_equal(&a, &c.t.client, true), "XOR-MAPPED-ADDRESS");
	/* no credentials installed: nothing authenticates */
	turn_engine_set_env(s.e, NULL, s.policy);
	c.sha256 = false;
	is_int(scn_allocate(&s, &c, NULL), 500, "no credentials: 500");
	scn_free(&s);
}

int
main(void)
{
	test_challenge();
	test_success();
	test_bad_requests();
	test_lifetime();
	test_nonce_and_rest();
	test_quota();
	test_ports();
	test_options();
	test_stream();
	test_sha256_and_binding();
	return tap_done();
}
