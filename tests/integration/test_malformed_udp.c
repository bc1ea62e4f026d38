/* SPDX-License-Identifier: ISC */
/*
 * Malformed STUN over UDP (RFC 8489 §6.3: fail the basic checks ->
 * silently discard; §5, §14.7): truncated messages, a wrong magic cookie,
 * length fields that lie, a bad FINGERPRINT and garbage each get no
 * answer, and ternd still answers a valid Binding.
 */
#include <stdio.h>

#include "harness.h"
#include "malformed.h"
#include "tap.h"

#define SILENCE_MS	300

int
main(int argc, char *argv[])
{
	struct malformed cases[MALFORMED_MAX];
	struct harness_opts o = { 0 };
	struct client_binding res;
	struct client *c = NULL;
	struct harness h;
	uint8_t buf[1500];
	size_t i, n;
	long r;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started") ||
	    !ok(harness_client(&h, CLIENT_UDP, &c) == 0, "UDP socket"))
		goto out;
	n = malformed_cases(cases);
	for (i = 0; i < n; i++) {
		if (client_send_raw(c, cases[i].buf, cases[i].len) != 0) {
			ok(0, "%s: sent", cases[i].name);
			continue;
		}
		r = client_recv_raw(c, buf, sizeof(buf), SILENCE_MS);
		ok(r == CLIENT_E_TIMEOUT, "%s: no answer (%ld)", cases[i].name, r);
	}
	n = malformed_valid(buf, sizeof(buf));
	ok(client_send_raw(c, buf, n) == 0 && client_recv_raw(c, buf, sizeof(buf), 3000) > 0,
	    "the valid message the cases came from is answered");
	ok(client_binding(c, 3000, &res) == 0, "a Binding is still answered");
	client_free(c);
	c = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(c);
	harness_fini(&h);
	return tap_done();
}
