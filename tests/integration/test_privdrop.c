/* SPDX-License-Identifier: ISC */
/*
 * Privilege drop (docs/security.md, Privilege drop): started as root with
 * proc-user and proc-group, ternd binds, then runs as that user and group
 * with no supplementary groups, no capabilities, no_new_privs set and no
 * core dumps, keeps serving, and still exits 0 on SIGTERM. Skipped when the test
 * does not run as root (CI does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

/* The value of "Key:" in /proc/PID/status, whitespace folded to one
 * space, into out. 0 or -1. */
static int
status_field(pid_t pid, const char *key, char *out, size_t cap)
{
	char path[64], line[256];
	size_t klen = strlen(key), n = 0;
	const char *p;
	FILE *f;
	int rv = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		for (p = line + klen + 1; *p != '\0' && *p != '\n'; p++) {
			if ((*p == ' ' || *p == '\t') &&
			    (n == 0 || out[n - 1] == ' '))
				continue;
			if (n + 1 < cap)
				out[n++] = *p == '\t' ? ' ' : *p;
		}
		while (n > 0 && out[n - 1] == ' ')
			n--;
		out[n] = '\0';
		rv = 0;
		break;
	}
	fclose(f);
	return rv;
}

static void
check_field(pid_t pid, const char *key, const char *want)
{
	char got[128] = "";

	if (status_field(pid, key, got, sizeof(got)) != 0)
		got[0] = '\0';
	is_str(got, want, "%s: %s", key, want);
}

int
main(int argc, char *argv[])
{
	struct harness_opts o = { 0 };
	struct client_binding res;
	struct client *c = NULL;
	struct harness h;

	if (argc != 2)
		return 2;
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to drop privileges\n");
		return 0;
	}
	o.extra = "proc-user = nobody\nproc-group = nogroup\n";
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started as root"))
		goto out;
	check_field(h.pid, "Uid", "65534 65534 65534 65534");
	check_field(h.pid, "Gid", "65534 65534 65534 65534");
	check_field(h.pid, "Groups", "");
	check_field(h.pid, "CapEff", "0000000000000000");
	check_field(h.pid, "CapPrm", "0000000000000000");
	check_field(h.pid, "CapBnd", "0000000000000000");
	check_field(h.pid, "NoNewPrivs", "1");
	if (ok(harness_client(&h, CLIENT_UDP, &c) == 0, "client"))
		ok(client_binding(c, 2000, &res) == 0,
		    "still serves Binding after the drop");
	client_free(c);
	c = NULL;
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	client_free(c);
	harness_fini(&h);
	return tap_done();
}
