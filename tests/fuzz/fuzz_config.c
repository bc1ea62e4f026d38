/* SPDX-License-Identifier: ISC */
/*
 * fuzz_config: arbitrary bytes as a config file and as command-line
 * arguments (one per line). Invariants: no crash, no leak; an accepted
 * config prints to text that parses back and prints the same (secrets
 * printed in clear, so that the user, secret, range and external-ip types
 * round-trip too); every accepted user and the realm and separator are
 * accepted by auth_creds; log_escape output stays in bounds and holds no
 * control byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config/config_int.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The option table with secrets printed in clear. */
static const struct config_option *
fuzz_table(void)
{
	static struct config_option tab[128];
	size_t n;

	if (tab[0].name != NULL)
		return tab;
	for (n = 0; config_options[n].name != NULL && n + 1 < 128; n++) {
		tab[n] = config_options[n];
		tab[n].secret = false;
	}
	tab[n].name = NULL;
	return tab;
}

static char *
fuzz_print(const struct config *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	config_print_table(c, fuzz_table(), f);
	fclose(f);
	return out;
}

static void
fuzz_round_trip(const struct config *c)
{
	struct config *back;
	char err[4096];
	char *p1, *p2;

	p1 = fuzz_print(c);
	if ((back = config_new()) == NULL)
		abort();
	if (config_parse_text(back, "print", p1, strlen(p1), err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "printed config does not parse:\n%s%s", err, p1);
		abort();
	}
	p2 = fuzz_print(back);
	if (strcmp(p1, p2) != 0) {
		fprintf(stderr, "round trip differs:\n%s---\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	config_free(back);
}

/* What config accepts, auth must accept (ternd builds its creds from it). */
static void
fuzz_auth(const struct config *c)
{
	struct auth_creds *creds;
	size_t i;

	creds = auth_creds_new(c->realm, strlen(c->realm), c->rest_api_separator,
	    c->max_credential_ttl, 0);
	if (creds == NULL)
		abort();
	for (i = 0; i < c->n_user; i++)
		if (auth_creds_add_user(creds, c->user[i], strlen(c->user[i])) != 0)
			abort();
	for (i = 0; i < c->n_static_auth_secret; i++)
		if (auth_creds_add_secret(creds, c->static_auth_secret[i],
		    strlen(c->static_auth_secret[i])) != 0)
			abort();
	auth_creds_free(creds);
}

static void
fuzz_args(const uint8_t *data, size_t size)
{
	struct config *c;
	char err[1024];
	char *buf, *line, *save = NULL;
	int n = 0;

	if ((c = config_new()) == NULL || (buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL && n < 64;
	    line = strtok_r(NULL, "\n", &save), n++)
		config_set_arg(c, line, err, sizeof(err));
	config_check(c, err, sizeof(err));
	free(buf);
	config_free(c);
}

static void
fuzz_escape(const uint8_t *data, size_t size)
{
	char out[LOG_ESCAPE_CAP];
	size_t i, n;

	log_escape(out, sizeof(out), data, size);
	n = strlen(out);
	if (n >= sizeof(out))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char err[4096];

	if ((c = config_new()) == NULL)
		abort();
	if (config_parse_text(c, "fuzz.conf", (const char *)data, size, err,
	    sizeof(err)) == 0) {
		fuzz_round_trip(c);
		fuzz_auth(c);
	}
	if (strlen(err) >= sizeof(err))
		abort();
	config_check(c, err, sizeof(err));
	config_free(c);

	fuzz_args(data, size);
	fuzz_escape(data, size);
	return 0;
}
