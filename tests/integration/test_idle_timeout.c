/* SPDX-License-Identifier: ISC */
/*
 * stream-idle-timeout (docs/security.md, Attack catalogue: TCP/TLS
 * exhaustion): with the timeout at 2 s, a TCP client that sends nothing is
 * closed after about 2 s (not before 1.8 s, not after 6 s), while a client
 * that keeps sending valid Bindings every 500 ms stays open well past 2 s.
 */
#include <stdio.h>

#include "harness.h"
#include "tap.h"

#define IDLE_S		2
#define EARLY_MS	1800
#define LATE_MS		6000
#define BUSY_MS		4500	/* how long the busy client keeps going */

int
main(int argc, char *argv[])
{
	struct harness_opts o = { .extra = "stream-idle-timeout = 2" };
	struct client *idle = NULL, *busy = NULL;
	struct client_binding res;
	struct harness h;
	uint8_t buf[1500];
	int64_t t0, closed_at = -1, now;
	unsigned sent = 0, answered = 0;
	long r;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started (stream-idle-timeout = %d)",
	    IDLE_S) ||
	    !ok(harness_client(&h, CLIENT_TCP, &idle) == 0, "idle connection") ||
	    !ok(harness_client(&h, CLIENT_TCP, &busy) == 0, "busy connection"))
		goto out;
	t0 = client_now_ms();
	/* The busy client sends every 500 ms; between sends, watch the idle one. */
	while ((now = client_now_ms()) - t0 < BUSY_MS) {
		sent++;
		if (client_binding(busy, 1000, &res) == 0)
			answered++;
		if (closed_at < 0) {
			r = client_recv_raw(idle, buf, sizeof(buf), 500);
			if (r == CLIENT_E_CLOSED)
				closed_at = client_now_ms() - t0;
			else if (r != CLIENT_E_TIMEOUT)
				closed_at = -2;
		} else {
			r = client_recv_raw(busy, buf, sizeof(buf), 500);
		}
	}
	if (closed_at == -1) {
		r = client_recv_raw(idle, buf, sizeof(buf), (int)(t0 + LATE_MS - client_now_ms()));
		if (r == CLIENT_E_CLOSED)
			closed_at = client_now_ms() - t0;
	}
	diag("idle connection closed after %lld ms", (long long)closed_at);
	ok(closed_at >= EARLY_MS, "idle connection not closed before %d ms", EARLY_MS);
	ok(closed_at >= 0 && closed_at <= LATE_MS, "idle connection closed by %d ms", LATE_MS);
	is_int(answered, sent, "busy connection: every Binding answered (%u)", sent);
	ok(client_binding(busy, 1000, &res) == 0, "busy connection still open after %d ms",
	    BUSY_MS);
	client_free(idle);
	client_free(busy);
	idle = busy = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(idle);
	client_free(busy);
	harness_fini(&h);
	return tap_done();
}
