/* SPDX-License-Identifier: ISC */
/*
 * A second ternd on a port the first one holds must refuse to start, and
 * the first must keep every client. Without the check, both would join
 * one SO_REUSEPORT group (same user) and the kernel would split clients
 * between two servers; and SO_REUSEADDR on UDP would let any local process
 * bind beside ternd and take its datagrams.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define BINDINGS	64

int
main(int argc, char *argv[])
{
	struct harness_opts o = { 0 };
	struct client_binding res;
	struct client *c;
	struct harness h;
	char out[4096], port[32];
	int i, answered = 0;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "first ternd started"))
		goto out;
	snprintf(port, sizeof(port), "--listening-port=%u", h.port);
	{
		const char *const second[] = { argv[1], "--listening-ip=127.0.0.1",
		    port, "--no-tls", NULL };

		ok(harness_run(second, out, sizeof(out), 5000) > 0,
		    "a second ternd on the same port exits non-zero");
		ok(strstr(out, "another process holds it") != NULL,
		    "and says the port is taken");
		if (strstr(out, "another process holds it") == NULL)
			diag("second ternd said: %s", out);
	}
	/* Every new client flow still reaches the first server: with a shared
	 * group some flows would hash to a socket of the other process. */
	for (i = 0; i < BINDINGS; i++) {
		c = NULL;
		if (harness_client(&h, CLIENT_UDP, &c) == 0 &&
		    client_binding(c, 1000, &res) == 0)
			answered++;
		client_free(c);
	}
	is_int(answered, BINDINGS, "%d Bindings from new source ports answered",
	    BINDINGS);
	is_int(harness_stop(&h), 0, "SIGTERM: first ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
