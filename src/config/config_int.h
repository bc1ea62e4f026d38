/* SPDX-License-Identifier: ISC */
/*
 * config_int: declarations shared by the config sources and their tests.
 * Not part of the module's contract; nothing outside src/config,
 * tests/unit/test_config_* and tests/fuzz/fuzz_config.c includes it.
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
	unsigned count;		/* errors */
	unsigned warnings;	/* lines that do not fail */
};

/* What ternd does with a coturn option it has no row for in the table
 * (config_coturn.c). */
enum config_coturn_what {
	CONFIG_COTURN_REFUSE,	/* an error at its line that says why */
	CONFIG_COTURN_IGNORE,	/* accepted, one warning that says why */
	CONFIG_COTURN_DEFAULT,	/* the option takes ternd's default, one
				   warning */
};

/* A coturn option (or one coturn value of an option), and why. */
struct config_dropped {
	const char *name;
	bool prefix;		/* matches every key starting with name */
	const char *value;	/* only this value ("" a bare flag), or NULL */
	enum config_coturn_what what;
	const char *why;
};

extern const struct config_dropped config_dropped[];
/* The row of a coturn option name (not of one value of ternd's own
 * options), or NULL. */
const struct config_dropped *config_dropped_find(const char *name);
/*
 * A line of a coturn option: 0 when no row of config_dropped matches key
 * and val (the caller goes on), 1 when it was accepted (ignored, or its
 * option set to the default; remembered in c for config_coturn_warn()),
 * -1 with an error at where when it is refused.
 */
int config_coturn_apply(struct config *c, const char *key, const char *val,
    const char *where, struct config_err *e);
/* One warning for each coturn option accepted and ignored, at the first
 * line that set it. */
void config_coturn_warn(const struct config *c, struct config_err *e);
/* Frees what config_coturn_apply() kept in c. */
void config_coturn_free(struct config *c);

/* The error list and the text helpers (config_err.c, calls no other file). */
void config_err_init(struct config_err *e, char *buf, size_t cap);
/* Appends one line: "WHERE: OPTION: PROBLEM" (where/option may be NULL). */
void config_err_add(struct config_err *e, const char *where,
    const char *option, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends "warning: OPTION: PROBLEM" without counting it as an error. */
void config_warn_add(struct config_err *e, const char *option,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A value as it may be shown in a message (short and plain, or escaped). */
const char *config_echo(char *out, size_t cap, const char *s);
/* Code points of UTF-8 text without control bytes, or -1. */
long config_text_chars(const char *s);
/*
 * The value of a secret_file option as it is kept: "PATH\0WHERE", one
 * allocation, so that the path reads as a plain string (printed, compared,
 * freed as one) and config_secrets_load() can still say which line named
 * it. NULL on out of memory.
 */
char *config_strdup_at(const char *val, const char *where);
/* WHERE of a value kept by config_strdup_at(). */
const char *config_file_where(const char *kept);

/* The CONFIG_SECRET_* bits that setting option key to val writes
 * (config_secret.c): 0 for an option that holds no secret. */
unsigned config_secret_bits(const char *key, const char *val);

/*
 * Sets option o in c from the text val (NULL for a bare flag), by its type
 * (config_value.c). On error one line is added to e, prefixed with `where`;
 * a secret's value is never echoed. 0 or -1.
 */
int config_option_set(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);

/* Value parsers, exposed for the tests (config_value.c, then
 * config_list.c). 0 or -1. */
int config_parse_bool(const char *s, bool *out);
int config_parse_uint(const char *s, uint64_t *out);
int config_parse_duration(const char *s, uint64_t *out);
int config_parse_size(const char *s, uint64_t *out);
/* One printable ASCII character that is not a digit or a space. */
int config_parse_char(const char *s, char *out);
/* "name:password" or "name:0x<32 hex>": NULL, or a static reason. */
const char *config_user_problem(const char *s);
/* "PUBLIC" or "PUBLIC/PRIVATE": NULL, or a static reason. */
const char *config_parse_external_ip(const char *s,
    struct config_external_ip *out);
/* realm: NULL, or a static reason (used as the option's check). */
const char *config_realm_problem(const char *s);

/* The setters of the list and character types (config_list.c). */
int config_set_char(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);
int config_set_strlist(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);
int config_set_ranges(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);
int config_set_external(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e);
/* Frees (secrets wiped) one heap list of c; other types are left alone. */
void config_list_free(struct config *c, const struct config_option *o);

/* Frees the strings and heap lists an option table says c owns (secrets
 * wiped first). */
void config_free_strings(struct config *c, const struct config_option *tab);

/* config_print() with another table: lets the tests check redaction. */
void config_print_table(const struct config *c,
    const struct config_option *tab, FILE *f);

/* The placeholder --print-config writes for a secret; refused as a value,
 * so that a printed config fed back cannot set a secret to it. */
#define CONFIG_REDACTED		"<redacted>"

#endif
