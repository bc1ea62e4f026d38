/* SPDX-License-Identifier: ISC */
/*
 * config_err: the error list every config source writes to, and the text
 * helpers their messages use (a value echoed safely, UTF-8 text counted, a
 * file option kept with where it was set).
 * A leaf: it calls no other file of the module, so the parser, the value
 * setters, the table and the cross-option checks can all use it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/log.h"

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

char *
config_strdup_at(const char *val, const char *where)
{
	size_t vlen = strlen(val), wlen = strlen(where);
	char *p;

	if ((p = malloc(vlen + wlen + 2)) == NULL)
		return NULL;
	memcpy(p, val, vlen + 1);
	memcpy(p + vlen + 1, where, wlen + 1);
	return p;
}

const char *
config_file_where(const char *kept)
{
	return kept + strlen(kept) + 1;
}
