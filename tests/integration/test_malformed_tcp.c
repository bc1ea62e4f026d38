/* SPDX-License-Identifier: ISC */
/*
 * Malformed STUN over TCP (RFC 8656 §12.5): each broken
 * message goes on a fresh connection and gets no reply. A stream the framer
 * rejects (not STUN or ChannelData, a length that is not a multiple of 4)
 * is closed, never resynchronised by guessing; a truncated frame is closed
 * when we half-close. A well-framed message that fails the STUN checks
 * (RFC 8489 §6.3: silently discarded) may leave the connection open; if
 * it does, the stream is still in step and a valid Binding on it is
 * answered. Other clients keep being served.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "harness.h"
#include "malformed.h"
#include "tap.h"

#define CLOSE_MS	3000	/* ternd must close a bad stream within this */
#define SILENCE_MS	700	/* well-framed drops: no reply within this */

static void
run_case(struct harness *h, const struct malformed *m)
{
	struct client_binding res;
	struct client *c;
	uint8_t buf[1500];
	long r;

	if (harness_client(h, CLIENT_TCP, &c) != 0) {
		ok(0, "%s: connected", m->name);
		return;
	}
	if (client_send_raw(c, m->buf, m->len) != 0) {
		ok(0, "%s: sent", m->name);
		goto out;
	}
	if (m->incomplete)
		shutdown(client_fd(c), SHUT_WR);
	r = client_recv_raw(c, buf, sizeof(buf), m->may_stay_open ? SILENCE_MS : CLOSE_MS);
	if (m->may_stay_open) {
		ok(r == CLIENT_E_TIMEOUT || r == CLIENT_E_CLOSED,
		    "%s: no reply (%s)", m->name,
		    r > 0 ? "got a reply" : client_strerror((int)r));
		if (r == CLIENT_E_TIMEOUT && m->in_sync)
			ok(client_binding(c, 3000, &res) == 0,
			    "%s: the open stream is still in step", m->name);
	} else
		ok(r == CLIENT_E_CLOSED, "%s: no reply, connection closed (%s)", m->name,
		    r > 0 ? "got a reply" : client_strerror((int)r));
out:
	client_free(c);
}

int
main(int argc, char *argv[])
{
	struct malformed cases[MALFORMED_MAX];
	struct harness_opts o = { 0 };
	struct client_binding res;
	struct client *c = NULL;
	struct harness h;
	size_t i, n;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started") ||
	    !ok(harness_client(&h, CLIENT_TCP, &c) == 0, "a bystander TCP connection"))
		goto out;
	n = malformed_cases(cases);
	for (i = 0; i < n; i++) {
		if (!cases[i].udp_only)
			run_case(&h, &cases[i]);
	}
	ok(client_binding(c, 3000, &res) == 0, "the bystander is still served");
	client_free(c);
	c = NULL;
	if (harness_client(&h, CLIENT_TCP, &c) == 0)
		ok(client_binding(c, 3000, &res) == 0, "a new connection is served");
	client_free(c);
	c = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(c);
	harness_fini(&h);
	return tap_done();
}
