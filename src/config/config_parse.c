/* SPDX-License-Identifier: ISC */
/*
 * config_parse: the file and command-line parser, driven by the table.
 *
 * The parser never stops at the first problem: an operator fixing a config
 * wants every mistake at once. Values are echoed back escaped and cut short
 * (they may hold anything), and a secret's value is never echoed at all.
 * A non-list option given twice takes the last value, as coturn does, so a
 * command-line --key=value simply overrides the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_int.h"
#include "util/log.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* a config is never this big */

/* Looks the key up and applies the value; reports unknown keys and the
 * coturn options ternd refuses (config_coturn.c). */
static int
config_key_apply(struct config *c, const char *key, const char *val,
    const char *where, struct config_err *e)
{
	const struct config_option *o;
	char echo[LOG_ESCAPE_CAP];
	int rv;

	/* coturn's options, and coturn's values of ternd's own */
	if ((rv = config_coturn_apply(c, key, val, where, e)) != 0)
		return rv == 1 ? 0 : -1;
	if ((o = config_option_find(key)) != NULL)
		return config_option_set(c, o, val, where, e);
	config_echo(echo, sizeof(echo), key);
	if (strncmp(key, "--", 2) == 0 && config_option_find(key + 2) != NULL)
		config_err_add(e, where, echo, "write the key without \"--\"");
	else
		config_err_add(e, where, echo, "unknown option");
	return -1;
}

static char *
config_skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Unquotes the value at p (which starts with '"') in place; \" and \\ are
 * the only escapes. NULL with *problem set if malformed.
 */
static char *
config_unquote(char *p, const char **problem)
{
	char *q = p + 1, *out = p;

	while (*q != '\0' && *q != '"') {
		if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
			q++;
		*out++ = *q++;
	}
	if (*q != '"') {
		*problem = "unterminated quote";
		return NULL;
	}
	q = config_skip_ws(q + 1);
	if (*q != '\0' && *q != '#') {
		*problem = "unexpected text after the closing quote";
		return NULL;
	}
	*out = '\0';
	return p;
}

/* One line, already without its newline; modified in place. */
static int
config_line_apply(struct config *c, char *line, const char *where,
    struct config_err *e)
{
	char echo[LOG_ESCAPE_CAP];
	const char *problem = NULL;
	char *p, *key, *val, *end;
	char sep;
	bool eq = false;

	key = config_skip_ws(line);
	if (*key == '\0' || *key == '#')
		return 0;
	for (p = key; *p != '\0' && *p != ' ' && *p != '\t' && *p != '=' &&
	    *p != '#'; p++)
		;
	sep = *p;
	*p = '\0';
	if (sep == '=')
		eq = true;
	if (sep == ' ' || sep == '\t') {
		p = config_skip_ws(p + 1);
		if (*p == '=') {
			eq = true;
			p++;
		}
	} else if (sep != '\0')
		p++;
	val = sep == '#' ? p + strlen(p) : config_skip_ws(p);

	if (*val == '"') {
		if ((val = config_unquote(val, &problem)) == NULL) {
			config_err_add(e, where, config_echo(echo, sizeof(echo),
			    key), "%s", problem);
			return -1;
		}
	} else {
		if ((end = strchr(val, '#')) != NULL)
			*end = '\0';
		end = val + strlen(val);
		while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		/* bare flag; `key =` with nothing after it is an empty value */
		if (*val == '\0' && !eq)
			val = NULL;
	}
	if (config_key_apply(c, key, val, where, e) == -1)
		return -1;
	/* config_warnings(): is this file's mode a risk? */
	c->secrets_in_file |= config_secret_bits(key, val);
	return 0;
}

int
config_parse_text(struct config *c, const char *fname, const char *text,
    size_t len, char *err, size_t errcap)
{
	char line[CONFIG_LINE_MAX + 2];
	char where[PATH_MAX + 32];
	struct config_err e;
	const char *p = text, *nl, *stop = text + len;
	unsigned long lineno = 0;
	size_t n;

	config_err_init(&e, err, errcap);
	while (p < stop) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(stop - p));
		n = (size_t)((nl != NULL ? nl : stop) - p);
		snprintf(where, sizeof(where), "%s:%lu",
		    fname != NULL ? fname : "-", lineno);
		if (n > 0 && p[n - 1] == '\r')
			n--;	/* CRLF */
		if (n > CONFIG_LINE_MAX)
			config_err_add(&e, where, NULL,
			    "line is longer than %d bytes", CONFIG_LINE_MAX);
		else if (memchr(p, '\0', n) != NULL)
			config_err_add(&e, where, NULL, "line holds a NUL byte");
		else {
			memcpy(line, p, n);
			line[n] = '\0';
			config_line_apply(c, line, where, &e);
		}
		p = nl != NULL ? nl + 1 : stop;
	}
	explicit_bzero(line, sizeof(line));	/* it held secrets too */
	return e.count == 0 ? 0 : -1;
}

int
config_load_file(struct config *c, const char *path, char *err, size_t errcap)
{
	struct config_err e;
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rv = -1;

	config_err_init(&e, err, errcap);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		config_err_add(&e, path, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_FILE_MAX) {
		config_err_add(&e, path, NULL, "not a regular file of at most "
		    "%d bytes", CONFIG_FILE_MAX);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		config_err_add(&e, path, NULL, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			config_err_add(&e, path, NULL, "cannot read: %s",
			    r == 0 ? "file shrank" : strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	rv = config_parse_text(c, path, text, got, err, errcap);
out:
	if (text != NULL)	/* the file holds the secrets */
		explicit_bzero(text, (size_t)st.st_size);
	free(text);
	close(fd);
	return rv;
}

int
config_set_arg(struct config *c, const char *arg, char *err, size_t errcap)
{
	char buf[CONFIG_LINE_MAX + 1];
	struct config_err e;
	char *eq, *val = NULL;
	size_t len = strlen(arg);
	int rv;

	config_err_init(&e, err, errcap);
	if (len > CONFIG_LINE_MAX) {
		config_err_add(&e, "command line", NULL,
		    "argument is longer than %d bytes", CONFIG_LINE_MAX);
		return -1;
	}
	memcpy(buf, arg, len + 1);
	if ((eq = strchr(buf, '=')) != NULL) {
		*eq = '\0';
		val = eq + 1;
	}
	if (buf[0] == '\0') {
		config_err_add(&e, "command line", NULL, "empty option name");
		return -1;
	}
	rv = config_key_apply(c, buf, val, "command line", &e);
	if (rv == 0)	/* config_warnings(): ps shows it */
		c->secrets_in_args |= config_secret_bits(buf, val);
	explicit_bzero(buf, sizeof(buf));
	return rv;
}
