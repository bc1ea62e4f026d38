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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_int.h"
#include "util/log.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* a config is never this big */

void
config_err_init(struct config_err *e, char *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->count = 0;
	e->warnings = 0;
	if (buf != NULL && cap > 0)
		buf[0] = '\0';
}

static void config_err_vadd(struct config_err *, const char *, const char *,
    const char *, va_list) __attribute__((format(printf, 4, 0)));

static void
config_err_vadd(struct config_err *e, const char *where, const char *option,
    const char *fmt, va_list ap)
{
	char msg[512];
	int n;

	if (e->buf == NULL || e->len + 1 >= e->cap)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s%s%s%s\n",
	    where != NULL ? where : "", where != NULL ? ": " : "",
	    option != NULL ? option : "", option != NULL ? ": " : "", msg);
	if (n < 0 || (size_t)n >= e->cap - e->len)
		e->len = e->cap - 1;	/* full: the buffer ends cut short */
	else
		e->len += (size_t)n;
}

void
config_err_add(struct config_err *e, const char *where, const char *option,
    const char *fmt, ...)
{
	va_list ap;

	e->count++;
	va_start(ap, fmt);
	config_err_vadd(e, where, option, fmt, ap);
	va_end(ap);
}

void
config_warn_add(struct config_err *e, const char *option, const char *fmt, ...)
{
	va_list ap;

	e->warnings++;
	va_start(ap, fmt);
	config_err_vadd(e, "warning", option, fmt, ap);
	va_end(ap);
}

/*
 * A value as it may be shown in a message: bare when it is short and
 * plain, otherwise quoted and escaped by log_escape().
 */
const char *
config_echo(char *out, size_t cap, const char *s)
{
	size_t len = strlen(s), i;
	bool plain = len > 0 && len <= CONFIG_ECHO_MAX;

	for (i = 0; plain && i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			plain = false;
	}
	if (plain) {
		snprintf(out, cap, "%s", s);
		return out;
	}
	return log_escape(out, cap, s, len);
}

int
config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
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

/* Code points in a well-formed UTF-8 string without control bytes; -1 if not. */
long
config_text_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	size_t len, i;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p < 0x80)
			len = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			return -1;
		for (i = 1; i < len; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return -1;
		/* overlong, surrogate and > U+10FFFF forms */
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return -1;
		p += len;
		n++;
	}
	return n;
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
	if ((dup = strdup(val)) == NULL) {
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

/* Looks the key up and applies the value; reports unknown and dropped keys. */
static int
config_key_apply(struct config *c, const char *key, const char *val,
    const char *where, struct config_err *e)
{
	const struct config_option *o;
	const struct config_dropped *d;
	char echo[LOG_ESCAPE_CAP];

	if ((o = config_option_find(key)) != NULL)
		return config_option_set(c, o, val, where, e);
	config_echo(echo, sizeof(echo), key);
	if (strncmp(key, "--", 2) == 0 && config_option_find(key + 2) != NULL)
		config_err_add(e, where, echo, "write the key without \"--\"");
	else if ((d = config_dropped_find(key)) != NULL)
		config_err_add(e, where, echo, "%s", d->why);
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
	return config_key_apply(c, key, val, where, e);
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
	explicit_bzero(buf, sizeof(buf));
	return rv;
}
