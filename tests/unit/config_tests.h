/* SPDX-License-Identifier: ISC */
/*
 * config_tests: what test_config_parse and test_config_options share:
 * parsing a text into a fresh config, and checking one exact error.
 */
#ifndef TERN_TESTS_CONFIG_TESTS_H
#define TERN_TESTS_CONFIG_TESTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "tap.h"

static char err[8192];

/* A TAP description must stay on one line. */
static inline const char *
oneline(const char *s)
{
	static char buf[1024];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = '|';
	return buf;
}

/* Parses text into a fresh config; returns it (caller frees) and the rv. */
static inline struct config *
parse(const char *text, int *rv)
{
	struct config *c = config_new();

	if (c == NULL)
		abort();
	*rv = config_parse_text(c, "t.conf", text, strlen(text), err,
	    sizeof(err));
	return c;
}

/* One line that must fail with exactly the error `want`. */
static inline void
parse_err(const char *text, const char *want)
{
	struct config *c;
	int rv;

	c = parse(text, &rv);
	if (!ok(rv == -1 && strcmp(err, want) == 0, "error for %s", oneline(want)))
		printf("#   got rv %d: %s", rv, err);
	config_free(c);
}

#endif
