/* SPDX-License-Identifier: ISC */
/*
 * Binding against a real ternd (RFC 8489 §12 basic server) over one
 * transport and address family:  test_binding TERND udp|tcp|tls IP
 *  - the mapped address is our own source address and port (§14.2);
 *  - the TID is echoed (§6.3.1) and there is no SOFTWARE (project default);
 *  - FINGERPRINT in the response iff the request had one (§7, §12);
 *  - an unknown comprehension-required attribute gets 420 listing it (§6.3.1);
 *  - a Binding indication gets no answer (§6.3.2).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000	/* for an answer that must come */
#define SILENCE_MS	700	/* for an answer that must not come */

static size_t
build_binding(uint8_t *buf, size_t cap, enum stun_class cls, uint8_t *tid,
    bool fingerprint, bool unknown)
{
	struct stun_builder b;

	client_tid_new(tid);
	stun_builder_init(&b, buf, cap, STUN_BINDING, cls, tid);
	if (unknown)
		stun_add(&b, 0x7FFF, "tern", 4);
	if (fingerprint)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

static void
check_plain(struct client *c)
{
	uint8_t req[128], resp[1500], tid[STUN_TID_LEN];
	const struct stun_attr *a;
	struct stun_msg m;
	struct addr mapped;
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	size_t len = build_binding(req, sizeof(req), STUN_REQUEST, tid, false, false);
	int r;

	r = client_transact(c, req, len, resp, sizeof(resp), &m, WAIT_MS);
	if (!ok(r == 0, "Binding answered (%s)", client_strerror(r)))
		return;
	ok(m.cls == STUN_SUCCESS && m.method == STUN_BINDING, "success response");
	ok(memcmp(m.tid, tid, STUN_TID_LEN) == 0, "TID echoed");
	ok(memcmp(resp + 4, "\x21\x12\xa4\x42", 4) == 0, "magic cookie in bytes 4-7");
	a = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	ok(a != NULL && stun_attr_xor_addr(a, m.tid, &mapped) == 0,
	    "XOR-MAPPED-ADDRESS present");
	if (a != NULL) {
		addr_str(&mapped, s1, sizeof(s1));
		addr_str(client_local(c), s2, sizeof(s2));
		ok(addr_equal(&mapped, client_local(c), true), "mapped %s == source %s", s1, s2);
	}
	ok(stun_msg_attr(&m, STUN_ATTR_SOFTWARE) == NULL, "no SOFTWARE attribute");
	ok(m.fp_off == 0, "no FINGERPRINT when the request had none");
}

static void
check_fingerprint(struct client *c)
{
	uint8_t req[128], resp[1500], tid[STUN_TID_LEN];
	struct stun_msg m;
	size_t len = build_binding(req, sizeof(req), STUN_REQUEST, tid, true, false);
	int r;

	r = client_transact(c, req, len, resp, sizeof(resp), &m, WAIT_MS);
	if (!ok(r == 0, "Binding with FINGERPRINT answered (%s)", client_strerror(r)))
		return;
	ok(m.cls == STUN_SUCCESS, "success response");
	ok(m.fp_off != 0, "response carries a (verified) FINGERPRINT");
}

static void
check_unknown(struct client *c)
{
	uint8_t req[128], resp[1500], tid[STUN_TID_LEN];
	const struct stun_attr *a;
	const uint8_t *reason;
	size_t rlen, len = build_binding(req, sizeof(req), STUN_REQUEST, tid, false, true);
	struct stun_msg m;
	uint16_t list[8];
	int r, code = 0, n;

	r = client_transact(c, req, len, resp, sizeof(resp), &m, WAIT_MS);
	if (!ok(r == 0, "Binding with 0x7FFF answered (%s)", client_strerror(r)))
		return;
	ok(m.cls == STUN_ERROR, "error response");
	a = stun_msg_attr(&m, STUN_ATTR_ERROR_CODE);
	ok(a != NULL && stun_attr_error(a, &code, &reason, &rlen) == 0, "ERROR-CODE");
	is_int(code, 420, "error 420");
	a = stun_msg_attr(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	n = a ? stun_attr_unknown_list(a, list, 8) : -1;
	ok(n >= 1 && list[0] == 0x7FFF, "UNKNOWN-ATTRIBUTES lists 0x7FFF");
}

static void
check_indication(struct client *c)
{
	uint8_t req[128], buf[1500], tid[STUN_TID_LEN];
	size_t len = build_binding(req, sizeof(req), STUN_INDICATION, tid, false, false);
	long n;

	ok(client_send_raw(c, req, len) == 0, "Binding indication sent");
	n = client_recv_raw(c, buf, sizeof(buf), SILENCE_MS);
	ok(n == CLIENT_E_TIMEOUT, "no answer to an indication (%ld)", n);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { 0 };
	enum client_transport t;
	struct client *c = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: test_binding TERND udp|tcp|tls IP\n");
		return 2;
	}
	t = strcmp(argv[2], "tls") == 0 ? CLIENT_TLS :
	    strcmp(argv[2], "tcp") == 0 ? CLIENT_TCP : CLIENT_UDP;
	o.ip = argv[3];
	o.tls = t == CLIENT_TLS;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started on %s", o.ip))
		goto out;
	if (!ok(harness_client(&h, t, &c) == 0, "%s connection", argv[2]))
		goto out;
	check_plain(c);
	check_fingerprint(c);
	check_unknown(c);
	check_indication(c);
	/* The connection is still usable after the indication. */
	check_plain(c);
	client_free(c);
	c = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(c);
	harness_fini(&h);
	return tap_done();
}
