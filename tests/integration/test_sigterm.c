/* SPDX-License-Identifier: ISC */
/*
 * SIGTERM: ternd writes its pidfile at start, exits 0 within a deadline
 * on SIGTERM, and removes the pidfile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

int
main(int argc, char *argv[])
{
	struct harness_opts o = { 0 };
	struct harness h;
	char line[64] = "";
	long pid = -1;
	FILE *f;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (ok((f = fopen(h.pidfile, "r")) != NULL, "pidfile exists")) {
		if (fgets(line, sizeof(line), f) != NULL)
			pid = strtol(line, NULL, 10);
		fclose(f);
	}
	is_int(pid, h.pid, "pidfile holds ternd's PID");
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0 within %d ms", HARNESS_STOP_MS);
	ok(access(h.pidfile, F_OK) == -1, "pidfile removed");
out:
	harness_fini(&h);
	return tap_done();
}
