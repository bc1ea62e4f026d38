/* SPDX-License-Identifier: ISC */
/*
 * config_int: declarations shared by the config sources and their tests.
 * Not part of the module's contract; nothing outside src/config and
 * tests/unit/test_config_* includes it.
 */
#ifndef TERN_CONFIG_INT_H
#define TERN_CONFIG_INT_H

#include "config/config.h"

#define CONFIG_LINE_MAX		4096	/* bytes per line, without the newline */
#define CONFIG_ECHO_MAX		64	/* longest value echoed bare; others are
					   quoted, escaped, cut by log_escape() */

/* Where errors go: the caller's buffer, filled line by line. */
struct config_err {
	char *buf;
	size_t cap;
	size_t len;
	unsigned count;
};

/* A coturn option tern refuses on purpose, and why. */
struct config_dropped {
	const char *name;
	bool prefix;		/* matches every key starting with name */
	const char *why;
};

extern const struct config_dropped config_dropped[];
const struct config_dropped *config_dropped_find(const char *name);

void config_err_init(struct config_err *e, char *buf, size_t cap);
/* Appends one line: "WHERE: OPTION: PROBLEM" (where/option may be NULL). */
void config_err_add(struct config_err *e, const char *where,
    const char *option, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Sets option o in c from the text val (NULL for a bare flag). On error
 * one line is added to e, prefixed with `where`; a secret's value is never
 * echoed. 0 or -1.
 */
int config_option_set(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);

/* Value parsers, exposed for the tests. 0 or -1. */
int config_parse_bool(const char *s, bool *out);
int config_parse_uint(const char *s, uint64_t *out);
int config_parse_duration(const char *s, uint64_t *out);
int config_parse_size(const char *s, uint64_t *out);

/* Frees the strings an option table says c owns (secrets wiped first). */
void config_free_strings(struct config *c, const struct config_option *tab);

/* config_print() with another table: lets the tests check redaction. */
void config_print_table(const struct config *c,
    const struct config_option *tab, FILE *f);

#endif
