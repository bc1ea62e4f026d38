/* SPDX-License-Identifier: ISC */
/*
 * config_print: --help and --print-config, both generated from the table.
 *
 * --print-config writes a valid config file: parsing its output gives the
 * same struct config back (test_config_print checks this). Strings are
 * always quoted so that '#' and spaces survive; a secret is printed as
 * <redacted>, which would not parse back, on purpose.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "policy/policy.h"
#include "util/log.h"

static const char *const config_type_names[] = {
	[CONFIG_BOOL] = "boolean",
	[CONFIG_UINT] = "number",
	[CONFIG_PORT] = "port",
	[CONFIG_DURATION] = "duration",
	[CONFIG_SIZE] = "size",
	[CONFIG_STRING] = "text",
	[CONFIG_PATH] = "path",
	[CONFIG_ADDR_LIST] = "IP address, repeatable",
	[CONFIG_LOG_LEVEL] = "log level",
	[CONFIG_CHAR] = "character",
	[CONFIG_STRING_LIST] = "text, repeatable",
	[CONFIG_USER_LIST] = "name:password, repeatable",
	[CONFIG_RANGE_LIST] = "address range, repeatable",
	[CONFIG_EXTERNAL_IP_LIST] = "PUBLIC[/PRIVATE] address, repeatable",
};

void
config_print_help(FILE *f)
{
	const struct config_option *o;

	fprintf(f, "Options, in the config file as `key = value` or on the "
	    "command line as\n`--key=value` (the command line wins):\n\n");
	for (o = config_options; o->name != NULL; o++) {
		if (o->type == CONFIG_BOOL)
			fprintf(f, "  --%s[=%s]\n", o->name, o->metavar);
		else
			fprintf(f, "  --%s=%s\n", o->name, o->metavar);
		fprintf(f, "      %s\n", o->help);
		fprintf(f, "      (%s; default: %s%s)\n",
		    config_type_names[o->type], o->def != NULL ? o->def : "unset",
		    o->reloadable ? "; reloaded on SIGHUP" : "");
	}
}

/* A string as a double-quoted config value (\" and \\ escaped). */
static void
config_print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
config_print_addrs(FILE *f, const struct config *c,
    const struct config_option *o)
{
	const struct addr *list;
	char buf[ADDR_STRLEN];
	size_t i, n;

	list = (const struct addr *)((const char *)c + o->offset);
	n = *(const size_t *)((const char *)c + o->count_offset);
	if (n == 0)
		fprintf(f, "# %s (unset)\n", o->name);
	for (i = 0; i < n && i < CONFIG_MAX_ADDRS; i++) {
		if (o->secret)
			fprintf(f, "%s = %s\n", o->name, CONFIG_REDACTED);
		else
			fprintf(f, "%s = %s\n", o->name,
			    addr_ip_str(&list[i], buf, sizeof(buf)));
	}
}

/* Entry i of list option o as config text. */
static void
config_print_item(FILE *f, const struct config *c,
    const struct config_option *o, size_t i)
{
	const void *base = (const char *)c + o->offset;
	const void *field = o->type == CONFIG_EXTERNAL_IP_LIST ? base :
	    *(void *const *)base;	/* the heap lists hold a pointer */
	const struct config_external_ip *x;
	char buf[POLICY_RANGE_STRLEN], buf2[ADDR_STRLEN];

	fprintf(f, "%s = ", o->name);
	switch (o->type) {
	case CONFIG_STRING_LIST:
	case CONFIG_USER_LIST:
		config_print_quoted(f, ((char *const *)field)[i]);
		break;
	case CONFIG_RANGE_LIST:
		fputs(policy_range_str(&((const struct policy_range *)field)[i],
		    buf, sizeof(buf)), f);
		break;
	case CONFIG_EXTERNAL_IP_LIST:
		x = (const struct config_external_ip *)field + i;
		fputs(addr_ip_str(&x->public_ip, buf, sizeof(buf)), f);
		if (x->has_private)
			fprintf(f, "/%s", addr_ip_str(&x->private_ip, buf2,
			    sizeof(buf2)));
		break;
	default:
		break;
	}
	fputc('\n', f);
}

static void
config_print_list(FILE *f, const struct config *c,
    const struct config_option *o)
{
	size_t i, n;

	n = *(const size_t *)(const void *)((const char *)c + o->count_offset);
	/* Secrets read from static-auth-secret-file are printed as the
	 * file's name, not as lines of their own. */
	if (o->offset == offsetof(struct config, static_auth_secret))
		n -= c->n_static_auth_secret_read;
	if (n == 0)
		fprintf(f, "# %s (unset)\n", o->name);
	for (i = 0; i < n; i++) {
		if (o->secret)
			fprintf(f, "%s = %s\n", o->name, CONFIG_REDACTED);
		else
			config_print_item(f, c, o, i);
	}
}

static void
config_print_option(FILE *f, const struct config *c,
    const struct config_option *o)
{
	const void *field = (const char *)c + o->offset;
	const char *s;

	if (o->type == CONFIG_ADDR_LIST) {
		config_print_addrs(f, c, o);
		return;
	}
	if (o->type == CONFIG_STRING_LIST || o->type == CONFIG_USER_LIST ||
	    o->type == CONFIG_RANGE_LIST || o->type == CONFIG_EXTERNAL_IP_LIST) {
		config_print_list(f, c, o);
		return;
	}
	if ((o->type == CONFIG_STRING || o->type == CONFIG_PATH) &&
	    *(char *const *)field == NULL) {
		fprintf(f, "# %s (unset)\n", o->name);
		return;
	}
	if (o->secret) {
		fprintf(f, "%s = %s\n", o->name, CONFIG_REDACTED);
		return;
	}
	fprintf(f, "%s = ", o->name);
	switch (o->type) {
	case CONFIG_BOOL:
		fputs(*(const bool *)field ? "true" : "false", f);
		break;
	case CONFIG_PORT:
		fprintf(f, "%u", (unsigned)*(const uint16_t *)field);
		break;
	case CONFIG_UINT:
	case CONFIG_DURATION:
		fprintf(f, "%u", *(const unsigned *)field);
		break;
	case CONFIG_SIZE:
		fprintf(f, "%zu", *(const size_t *)field);
		break;
	case CONFIG_STRING:
	case CONFIG_PATH:
		s = *(char *const *)field;
		config_print_quoted(f, s);
		break;
	case CONFIG_LOG_LEVEL:
		fputs(log_level_name((enum log_level)*(const int *)field), f);
		break;
	case CONFIG_CHAR:
		config_print_quoted(f, (char[2]){ *(const char *)field, '\0' });
		break;
	default:	/* the lists, printed above */
		break;
	}
	fputc('\n', f);
}

void
config_print_table(const struct config *c, const struct config_option *tab,
    FILE *f)
{
	const struct config_option *o;

	fprintf(f, "# ternd effective configuration\n");
	for (o = tab; o->name != NULL; o++)
		config_print_option(f, c, o);
}

void
config_print(const struct config *c, FILE *f)
{
	config_print_table(c, config_options, f);
}

/* One option's printed value, in a memory stream: the same text that
 * --print-config shows, so that equal text means an equal setting. */
static char *
config_option_text(const struct config *c, const struct config_option *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	config_print_option(f, c, o);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
config_fixed_changed(const struct config *a, const struct config *b,
    char *out, size_t cap)
{
	const struct config_option *o;
	char *ta, *tb;
	size_t used = 0;
	int n = 0, same, failed;

	if (cap > 0)
		out[0] = '\0';
	for (o = config_options; o->name != NULL; o++) {
		if (o->reloadable)
			continue;
		ta = config_option_text(a, o);
		tb = config_option_text(b, o);
		failed = ta == NULL || tb == NULL;
		same = !failed && strcmp(ta, tb) == 0;
		free(ta);
		free(tb);
		if (failed)
			return -1;
		if (same)
			continue;
		if (used < cap)
			used += (size_t)snprintf(out + used, cap - used, "%s%s",
			    n > 0 ? "," : "", o->name);
		n++;
	}
	return n;
}
