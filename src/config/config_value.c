/* SPDX-License-Identifier: ISC */
/*
 * config_value: sets one option of a struct config from its text, by the
 * option's type. The scalar types (booleans, numbers, durations, sizes,
 * text, addresses, the log level) are parsed here; the list and character
 * types are in config_list.c. A failure adds one line to the error list
 * and leaves the field as it was; a secret's value is never echoed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/log.h"

int
config_parse_bool(const char *s, bool *out)
{
	/* t and f: coturn's turnserver.conf documents them */
	static const char *const yes[] = { "true", "yes", "on", "1", "t" };
	static const char *const no[] = { "false", "no", "off", "0", "f" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Decimal digits only: strtoull alone would take "-1", " 1" and "+1". */
static int
config_parse_digits(const char *s, uint64_t *out, const char **end)
{
	unsigned long long v;
	char *ep;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &ep, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	*end = ep;
	return 0;
}

int
config_parse_uint(const char *s, uint64_t *out)
{
	const char *end;

	if (config_parse_digits(s, out, &end) == -1 || *end != '\0')
		return -1;
	return 0;
}

static int
config_parse_scaled(const char *s, const char *units, const uint64_t *mult,
    uint64_t *out)
{
	const char *end, *u;
	uint64_t v, m = 1;

	if (config_parse_digits(s, &v, &end) == -1)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		m = mult[u - units];
	}
	if (v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int
config_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };

	return config_parse_scaled(s, "smhd", mult, out);
}

int
config_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1024, UINT64_C(1) << 20,
	    UINT64_C(1) << 30, 1024, UINT64_C(1) << 20, UINT64_C(1) << 30 };

	return config_parse_scaled(s, "kmgKMG", mult, out);
}

static int
config_set_number(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	static const char *const what[] = {
		[CONFIG_UINT] = "a number",
		[CONFIG_PORT] = "a port number",
		[CONFIG_DURATION] = "a duration (e.g. 30, 30s, 5m, 2h, 1d)",
		[CONFIG_SIZE] = "a size (e.g. 4096, 64k, 1m)",
	};
	static const char *const unit[] = {
		[CONFIG_UINT] = "", [CONFIG_PORT] = "",
		[CONFIG_DURATION] = " seconds", [CONFIG_SIZE] = " bytes",
	};
	char echo[LOG_ESCAPE_CAP];
	uint64_t v;
	int r;
	void *field = (char *)c + o->offset;

	if (o->type == CONFIG_DURATION)
		r = config_parse_duration(val, &v);
	else if (o->type == CONFIG_SIZE)
		r = config_parse_size(val, &v);
	else
		r = config_parse_uint(val, &v);
	if (o->secret)
		snprintf(echo, sizeof(echo), "value");
	else
		config_echo(echo, sizeof(echo), val);
	if (r == -1) {
		config_err_add(e, where, o->name, "%s is not %s", echo,
		    what[o->type]);
		return -1;
	}
	if (v < o->min || v > o->max) {
		config_err_add(e, where, o->name,
		    "%s is out of range %llu..%llu%s", echo,
		    (unsigned long long)o->min, (unsigned long long)o->max,
		    unit[o->type]);
		return -1;
	}
	if (o->type == CONFIG_PORT)
		*(uint16_t *)field = (uint16_t)v;
	else if (o->type == CONFIG_SIZE)
		*(size_t *)field = (size_t)v;
	else
		*(unsigned *)field = (unsigned)v;
	return 0;
}

static int
config_set_string(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	char **sp = (char **)((char *)c + o->offset);
	long chars = config_text_chars(val);
	size_t len = strlen(val);
	const char *why;
	char *dup;

	if (chars < 0) {
		config_err_add(e, where, o->name, "%s", "value holds control "
		    "characters or is not valid UTF-8");
		return -1;
	}
	/* A PATH is counted in bytes, text in characters (RFC 8489 §14.14). */
	if ((o->type == CONFIG_PATH ? len : (size_t)chars) > o->max) {
		config_err_add(e, where, o->name, "value is longer than %llu %s",
		    (unsigned long long)o->max,
		    o->type == CONFIG_PATH ? "bytes" : "characters");
		return -1;
	}
	if (o->secret && strcmp(val, CONFIG_REDACTED) == 0) {
		config_err_add(e, where, o->name, "value is the placeholder "
		    "--print-config writes; put the real value here");
		return -1;
	}
	if (o->check != NULL && (why = o->check(val)) != NULL) {
		config_err_add(e, where, o->name, "%s", why);
		return -1;
	}
	dup = o->secret_file ? config_strdup_at(val, where) : strdup(val);
	if (dup == NULL) {
		config_err_add(e, where, o->name, "out of memory");
		return -1;
	}
	if (*sp != NULL && o->secret)
		explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = dup;
	return 0;
}

static int
config_set_addr(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	struct addr *list = (struct addr *)((char *)c + o->offset);
	size_t *count = (size_t *)((char *)c + o->count_offset);
	char echo[LOG_ESCAPE_CAP];
	struct addr a;
	size_t i;

	config_echo(echo, sizeof(echo), val);
	if (addr_parse_ip(&a, val, 0) == -1) {
		config_err_add(e, where, o->name, "%s is not an IP address",
		    echo);
		return -1;
	}
	for (i = 0; i < *count; i++) {
		if (addr_equal(&list[i], &a, false)) {
			config_err_add(e, where, o->name, "%s is listed twice",
			    echo);
			return -1;
		}
	}
	if (*count >= CONFIG_MAX_ADDRS) {
		config_err_add(e, where, o->name, "more than %d addresses",
		    CONFIG_MAX_ADDRS);
		return -1;
	}
	list[(*count)++] = a;
	return 0;
}

int
config_option_set(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	char echo[LOG_ESCAPE_CAP];
	bool b = true;
	int lvl;

	if (val == NULL && o->type != CONFIG_BOOL) {
		config_err_add(e, where, o->name, "needs a value");
		return -1;
	}
	if (val != NULL && val[0] == '\0') {
		config_err_add(e, where, o->name, "empty value");
		return -1;
	}
	switch (o->type) {
	case CONFIG_BOOL:
		if (val != NULL && config_parse_bool(val, &b) == -1) {
			config_err_add(e, where, o->name, "%s is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)", o->secret ?
			    "value" : config_echo(echo, sizeof(echo), val));
			return -1;
		}
		*(bool *)((char *)c + o->offset) = b;
		return 0;
	case CONFIG_UINT:
	case CONFIG_PORT:
	case CONFIG_DURATION:
	case CONFIG_SIZE:
		return config_set_number(c, o, val, where, e);
	case CONFIG_STRING:
	case CONFIG_PATH:
		return config_set_string(c, o, val, where, e);
	case CONFIG_ADDR_LIST:
		return config_set_addr(c, o, val, where, e);
	case CONFIG_CHAR:
		return config_set_char(c, o, val, where, e);
	case CONFIG_STRING_LIST:
	case CONFIG_USER_LIST:
		return config_set_strlist(c, o, val, where, e);
	case CONFIG_RANGE_LIST:
		return config_set_ranges(c, o, val, where, e);
	case CONFIG_EXTERNAL_IP_LIST:
		return config_set_external(c, o, val, where, e);
	case CONFIG_LOG_LEVEL:
		if ((lvl = log_level_parse(val)) == -1) {
			config_err_add(e, where, o->name, "%s is not one of "
			    "error, warn, info, debug",
			    config_echo(echo, sizeof(echo), val));
			return -1;
		}
		*(int *)((char *)c + o->offset) = lvl;
		return 0;
	}
	config_err_add(e, where, o->name, "unsupported option type");
	return -1;
}
