/* SPDX-License-Identifier: ISC */
/*
 * Interop: Debian coturn's turnutils_stunclient (used only as a client)
 * sends a Binding to ternd over UDP and must print our loopback address
 * as its reflexive address ("UDP reflexive addr: 127.0.0.1:PORT") and
 * report no error. Skipped only when the client is not installed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define STUNCLIENT	"/usr/bin/turnutils_stunclient"

int
main(int argc, char *argv[])
{
	const char *run[] = { STUNCLIENT, "-L", "127.0.0.1", "-p", NULL, "127.0.0.1", NULL };
	struct harness_opts o = { 0 };
	char out[8192], port[8], ip[64] = "";
	const char *p;
	unsigned mport = 0;
	struct harness h;
	int rc;

	if (argc != 2)
		return 2;
	if (access(STUNCLIENT, X_OK) == -1) {
		printf("1..0 # SKIP %s is not installed (package coturn)\n", STUNCLIENT);
		return 0;
	}
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	snprintf(port, sizeof(port), "%u", h.port);
	run[4] = port;
	rc = harness_run(run, out, sizeof(out), 15000);
	is_int(rc, 0, "turnutils_stunclient exits 0");
	p = strstr(out, "UDP reflexive addr: ");
	if (!ok(p != NULL, "it prints a reflexive address"))
		diag("output: %s", out);
	if (p != NULL && sscanf(p + 20, "%63[0-9.]:%u", ip, &mport) == 2) {
		is_str(ip, "127.0.0.1", "reflexive address is our loopback address");
		ok(mport > 0 && mport < 65536, "with a port (%u)", mport);
	} else
		ok(0, "reflexive address parses as IP:PORT");
	ok(strstr(out, "error") == NULL && strstr(out, "Wrong") == NULL &&
	    strstr(out, "Cannot") == NULL, "no error reported");
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
