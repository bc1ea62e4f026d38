/* SPDX-License-Identifier: ISC */
/*
 * test_config_table: the option table is sane, and every option is
 * documented in etc/ternd.conf (argv[1]) and man/ternd.conf.5 (argv[2]),
 * with nothing documented that the table does not have.
 */
#include <ctype.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "config/config_int.h"

static char err[4096];

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *
print_config(const struct config *c)
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

static int
insane(int cond, const struct config_option *o, const char *why)
{
	if (cond)
		diag("%s: %s", o->name, why);
	return cond;
}

static int
option_sane(const struct config_option *o)
{
	bool text = o->type == CONFIG_STRING || o->type == CONFIG_PATH ||
	    o->type == CONFIG_STRING_LIST;
	bool ranged = o->type != CONFIG_BOOL && o->type != CONFIG_LOG_LEVEL &&
	    o->type != CONFIG_ADDR_LIST && o->type != CONFIG_CHAR &&
	    o->type != CONFIG_USER_LIST && o->type != CONFIG_RANGE_LIST &&
	    o->type != CONFIG_EXTERNAL_IP_LIST;
	bool list = o->type == CONFIG_ADDR_LIST ||
	    o->type == CONFIG_STRING_LIST || o->type == CONFIG_USER_LIST ||
	    o->type == CONFIG_RANGE_LIST || o->type == CONFIG_EXTERNAL_IP_LIST;
	bool heap = o->type == CONFIG_STRING_LIST ||
	    o->type == CONFIG_USER_LIST || o->type == CONFIG_RANGE_LIST;
	int bad = 0;

	bad |= insane(strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(o->name), o, "name not [a-z0-9-]");
	bad |= insane(o->help == NULL || o->metavar == NULL, o,
	    "no help or metavar");
	bad |= insane(ranged && o->min > o->max, o, "min > max");
	bad |= insane((o->type == CONFIG_UINT || o->type == CONFIG_DURATION) &&
	    o->max > UINT_MAX, o, "max does not fit unsigned");
	bad |= insane(o->type == CONFIG_PORT && o->max > 65535, o,
	    "port max > 65535");
	/* printed quoted, every byte possibly escaped: must fit one line */
	bad |= insane(text && (o->max == 0 ||
	    strlen(o->name) + 6 + 2 * o->max > CONFIG_LINE_MAX), o,
	    "max length unset or too long for one line");
	bad |= insane(list && o->count_offset == 0, o, "list without count");
	bad |= insane(list && o->def != NULL, o, "list with a default");
	bad |= insane(heap && o->max_items == 0, o, "heap list without a cap");
	bad |= insane(o->check != NULL && o->type != CONFIG_STRING &&
	    o->type != CONFIG_STRING_LIST, o,
	    "check on a type that does not run it");
	/* what can hold a password or key must be redacted; a file of
	 * secrets is named *-file, and its name is no secret */
	bad |= insane((((strstr(o->name, "secret") != NULL ||
	    strstr(o->name, "password") != NULL) && o->type != CONFIG_BOOL &&
	    !o->secret_file) || o->type == CONFIG_USER_LIST) && !o->secret,
	    o, "secret-looking option not marked secret");
	bad |= insane(o->secret_file && (o->secret || (o->type != CONFIG_PATH &&
	    o->type != CONFIG_STRING_LIST) || strlen(o->name) < 5 ||
	    strcmp(o->name + strlen(o->name) - 5, "-file") != 0), o,
	    "a file of secrets is a path or list of paths named *-file");
	bad |= insane(config_dropped_find(o->name) != NULL, o,
	    "also in the dropped table");
	return !bad;
}

static void
test_table(void)
{
	const struct config_option *o, *p;
	struct config *c;
	struct config_err e;
	int dup = 0, nbad = 0, baddef = 0, n = 0;

	for (o = config_options; o->name != NULL; o++, n++) {
		for (p = o + 1; p->name != NULL; p++)
			if (strcmp(o->name, p->name) == 0)
				dup++;
		nbad += !option_sane(o);
		ok(config_option_find(o->name) == o, "find %s", o->name);
		if (o->def == NULL)
			continue;
		c = config_new();
		config_err_init(&e, err, sizeof(err));
		if (config_option_set(c, o, o->def, "default", &e) != 0) {
			diag("%s", err);
			baddef++;
		}
		config_free(c);
	}
	ok(n > 40 && n < 128, "table has the stage's options (%d)", n);
	is_int(dup, 0, "option names are unique");
	is_int(nbad, 0, "every option is sane");
	is_int(baddef, 0, "every default parses and is in range");
	ok(config_option_find("frobnicate") == NULL, "unknown not found");
	ok(config_option_find(NULL) == NULL, "find NULL");
}

/* The option name a line of etc/ternd.conf documents, or NULL. */
static const char *
conf_line_key(const char *line, char *key, size_t cap)
{
	size_t n = 0;

	if (line[0] == '#')
		line++;
	/* prose comments are "# text"; options are "#key" or "key" */
	if (!islower((unsigned char)line[0]))
		return NULL;
	while (line[n] != '\0' && line[n] != ' ' && line[n] != '=' &&
	    line[n] != '\t' && n + 1 < cap) {
		key[n] = line[n];
		n++;
	}
	key[n] = '\0';
	return key;
}

static void
test_conf_line_default(const struct config_option *o, const char *line)
{
	struct config *d = config_new(), *c = config_new();
	char *pd, *pc;
	int rv;

	rv = config_parse_text(c, "ternd.conf", line, strlen(line), err,
	    sizeof(err));
	if (!ok(rv == 0, "ternd.conf line for %s parses", o->name))
		diag("%s", err);
	if (o->def != NULL) {
		pd = print_config(d);
		pc = print_config(c);
		ok(strcmp(pd, pc) == 0, "ternd.conf shows the default of %s",
		    o->name);
		free(pd);
		free(pc);
	}
	config_free(d);
	config_free(c);
}

static void
test_conf(const char *path)
{
	const struct config_option *o;
	char *text = slurp(path), *line, *save = NULL;
	char key[128], seen[128] = { 0 };
	int unknown = 0, missing = 0, i;

	if (!ok(text != NULL, "read %s", path))
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (conf_line_key(line, key, sizeof(key)) == NULL)
			continue;
		if ((o = config_option_find(key)) == NULL) {
			diag("ternd.conf documents unknown option %s", key);
			unknown++;
			continue;
		}
		i = (int)(o - config_options);
		if (!seen[i])
			test_conf_line_default(o, line[0] == '#' ? line + 1 : line);
		seen[i] = 1;
	}
	for (o = config_options; o->name != NULL; o++)
		if (!seen[o - config_options]) {
			diag("ternd.conf lacks %s", o->name);
			missing++;
		}
	is_int(missing, 0, "every option is in etc/ternd.conf");
	is_int(unknown, 0, "etc/ternd.conf documents no unknown option");
	free(text);
}

/* The text of a man page entry: from ".It Cm NAME" to the next ".It". */
static char *
man_entry(const char *man, const char *name)
{
	char needle[160];
	const char *p = man, *end;
	size_t n;

	snprintf(needle, sizeof(needle), "\n.It Cm %s", name);
	n = strlen(needle);
	while ((p = strstr(p, needle)) != NULL) {
		if (p[n] == '\n' || p[n] == ' ')
			break;
		p += n;
	}
	if (p == NULL)
		return NULL;
	end = strstr(p + 1, "\n.It ");
	if (end == NULL)
		end = p + strlen(p);
	return strndup(p, (size_t)(end - p));
}

static void
test_man_names(const char *man)
{
	char name[128];
	const char *p = man;
	int unknown = 0;
	size_t n;

	/* every name after ".It Cm" (also ", "-separated lists) is known */
	while ((p = strstr(p, "\n.It Cm ")) != NULL) {
		p += 8;
		for (;;) {
			n = strcspn(p, " ,\n");
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			if (config_option_find(name) == NULL &&
			    config_dropped_find(name) == NULL) {
				diag("man page lists unknown option %s", name);
				unknown++;
			}
			p += n;
			if (strncmp(p, " , ", 3) != 0)
				break;
			p += 3;
		}
	}
	is_int(unknown, 0, "man page lists no unknown option");
}

static void
test_man(const char *path)
{
	const struct config_option *o;
	char *man = slurp(path), *ent, want[160];
	int missing = 0, wrong = 0;

	if (!ok(man != NULL, "read %s", path))
		return;
	for (o = config_options; o->name != NULL; o++) {
		if ((ent = man_entry(man, o->name)) == NULL) {
			diag("man page lacks %s", o->name);
			missing++;
			continue;
		}
		if (strstr(ent, o->reloadable ? "Reload: yes" : "Reload: no") ==
		    NULL || strstr(ent, "Type: ") == NULL) {
			diag("man page: %s: wrong or no Type/Reload", o->name);
			wrong++;
		}
		snprintf(want, sizeof(want), "Default: %s", o->def != NULL &&
		    strlen(o->def) < 40 ? o->def : "");
		if (strstr(ent, want) == NULL) {
			diag("man page: %s: default %s not shown", o->name, want);
			wrong++;
		}
		free(ent);
	}
	is_int(missing, 0, "every option is in man/ternd.conf.5");
	is_int(wrong, 0, "man page gives type, default and reload flag");
	ok(strstr(man, ".Sh FILE SYNTAX") && strstr(man, ".Sh EXAMPLES") &&
	    strstr(man, ".Xr ternd 8") && strstr(man, ".Xr ternctl 1"),
	    "man page has FILE SYNTAX, EXAMPLES, SEE ALSO");
	test_man_names(man);
	free(man);
}

int
main(int argc, char **argv)
{
	test_table();
	if (argc < 3) {
		ok(0, "usage: test_config_table etc/ternd.conf man/ternd.conf.5");
		return tap_done();
	}
	test_conf(argv[1]);
	test_man(argv[2]);
	return tap_done();
}
