/* SPDX-License-Identifier: ISC */
/*
 * Configuration errors: `ternd --check-config -c BAD` exits non-zero and
 * names the problem as `BAD:LINE: OPTION:` for an unknown
 * option, an out-of-range port and a bad IP; ternd started with such a
 * file exits non-zero without serving; a valid file passes with 0.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

struct bad {
	const char *what;
	const char *text;	/* the bad line is line 3 */
	const char *option;
};

static const struct bad bads[] = {
	{ "unknown option", "# bad\nlistening-ip = 127.0.0.1\nno-such-option = 1\n",
	    "no-such-option" },
	{ "out-of-range port", "# bad\nlistening-ip = 127.0.0.1\nlistening-port = 70000\n",
	    "listening-port" },
	{ "bad IP", "# bad\nno-tls\nlistening-ip = 300.1.2.3\n", "listening-ip" },
};

static void
check_bad(struct harness *h, const struct bad *b, unsigned i)
{
	char path[HARNESS_PATH], name[32], out[8192], want[HARNESS_PATH + 64];
	const char *check[] = { h->ternd, "--check-config", "-c", path, NULL };
	const char *run[] = { h->ternd, "-c", path, NULL };
	int rc;

	snprintf(name, sizeof(name), "bad%u.conf", i);
	harness_path(h, name, path, sizeof(path));
	if (!ok(harness_write_file(path, b->text) == 0, "%s: file written", b->what))
		return;
	rc = harness_run(check, out, sizeof(out), 10000);
	ok(rc > 0, "%s: --check-config exits non-zero (%d)", b->what, rc);
	snprintf(want, sizeof(want), "%s:3: %s:", path, b->option);
	if (!ok(strstr(out, want) != NULL, "%s: says \"%s\"", b->what, want))
		diag("output: %s", out);
	rc = harness_run(run, out, sizeof(out), 10000);
	ok(rc > 0, "%s: ternd refuses to start (exit %d)", b->what, rc);
	ok(strstr(out, want) != NULL, "%s: and says why", b->what);
}

int
main(int argc, char *argv[])
{
	char path[HARNESS_PATH], out[8192], text[256];
	const char *check[] = { NULL, "--check-config", "-c", path, NULL };
	struct harness h;
	uint16_t port;
	unsigned i;
	int rc;

	if (argc != 2)
		return 2;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir"))
		goto out;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(&h, &bads[i], i);
	port = harness_free_port("127.0.0.1");
	snprintf(text, sizeof(text), "# good\nlistening-ip = 127.0.0.1\n"
	    "listening-port = %u\nno-tls\nstream-idle-timeout = 10\n", port);
	harness_path(&h, "good.conf", path, sizeof(path));
	check[0] = h.ternd;
	ok(harness_write_file(path, text) == 0, "valid file written");
	rc = harness_run(check, out, sizeof(out), 10000);
	if (!ok(rc == 0, "valid file: --check-config exits 0 (%d)", rc))
		diag("output: %s", out);
out:
	harness_fini(&h);
	return tap_done();
}
