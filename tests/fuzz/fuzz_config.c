/* SPDX-License-Identifier: ISC */
/*
 * fuzz_config: arbitrary bytes as a config file and as command-line
 * arguments (one per line). Invariants: no crash, no leak; an accepted
 * config prints to text that parses back and prints the same; log_escape
 * output stays in bounds and holds no control byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
fuzz_print(const struct config *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	config_print(c, f);
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
	    sizeof(err)) == 0)
		fuzz_round_trip(c);
	if (strlen(err) >= sizeof(err))
		abort();
	config_check(c, err, sizeof(err));
	config_free(c);

	fuzz_args(data, size);
	fuzz_escape(data, size);
	return 0;
}
