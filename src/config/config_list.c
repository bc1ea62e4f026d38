/* SPDX-License-Identifier: ISC */
/*
 * config_list: the value types the TURN options added: one character
 * (rest-api-separator), repeatable text (static-auth-secret, user), peer
 * address ranges (allowed-peer-ip, denied-peer-ip) and external-ip pairs.
 *
 * Lists grow on the heap and keep the order given, file first, then the
 * command line. A secret's value is never echoed in a message, not even
 * in part: a message says which line, never what was on it.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config/config_int.h"
#include "util/log.h"

int
config_parse_char(const char *s, char *out)
{
	/* printable ASCII; a digit would make "<expiry><sep>" ambiguous */
	if (s[0] == '\0' || s[1] != '\0' || s[0] <= ' ' || s[0] > '~' ||
	    (s[0] >= '0' && s[0] <= '9'))
		return -1;
	*out = s[0];
	return 0;
}

const char *
config_realm_problem(const char *s)
{
	/* §14.9 counts characters; auth and the REALM attribute need bytes */
	if (strlen(s) > AUTH_REALM_MAX)
		return "value is longer than 127 bytes (RFC 8489 §14.9)";
	return NULL;
}

/* The rules of auth_creds_add_user(), a little stricter (no empty
 * password, no "0x" prefix that is not a key). */
const char *
config_user_problem(const char *s)
{
	const char *colon = strchr(s, ':'), *pw;
	size_t i;

	if (colon == NULL)
		return "value is not name:password or name:0x<32 hex digits>";
	if (colon == s)
		return "the user name is empty";
	if ((size_t)(colon - s) > AUTH_NAME_MAX)
		return "the user name is longer than 255 bytes";
	pw = colon + 1;
	if (*pw == '\0')
		return "the password is empty";
	if (pw[0] == '0' && (pw[1] == 'x' || pw[1] == 'X')) {
		for (i = 2; pw[i] != '\0'; i++)
			if (strchr("0123456789abcdefABCDEF", pw[i]) == NULL)
				break;
		if (i != 34 || pw[i] != '\0')
			return "the key after 0x is not 32 hex digits (an MD5 "
			    "key; write a password that starts with 0x in "
			    "another form)";
	}
	return NULL;
}

int
config_set_char(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	char echo[LOG_ESCAPE_CAP];

	if (config_parse_char(val, (char *)c + o->offset) == -1) {
		config_err_add(e, where, o->name, "%s is not one printable "
		    "character other than a digit or a space", o->secret ?
		    "value" : config_echo(echo, sizeof(echo), val));
		return -1;
	}
	return 0;
}

/* Makes room for one more entry of size sz in *arr (n used). 0 or -1. */
static int
config_list_grow(void **arr, size_t n, size_t sz)
{
	void *p;

	/* doubling from 4: the lists are short and parsed once */
	if (n != 0 && n < 4)
		return 0;
	if (n != 0 && (n & (n - 1)) != 0)
		return 0;
	if (n > SIZE_MAX / 2 / sz)
		return -1;
	if ((p = realloc(*arr, (n == 0 ? 4 : n * 2) * sz)) == NULL)
		return -1;
	*arr = p;
	return 0;
}

/* The user name part of "name:password", as a length. */
static size_t
config_user_name_len(const char *s)
{
	return strcspn(s, ":");
}

static int
config_strlist_dup(const struct config_option *o, char *const *list,
    size_t n, const char *val)
{
	size_t i, nl = config_user_name_len(val);

	for (i = 0; i < n; i++) {
		if (o->type == CONFIG_USER_LIST ?
		    config_user_name_len(list[i]) == nl &&
		    memcmp(list[i], val, nl) == 0 : strcmp(list[i], val) == 0)
			return 1;
	}
	return 0;
}

/* Why val cannot be an entry of o, or NULL. Never shows the value. */
static const char *
config_strlist_problem(const struct config_option *o, const char *val)
{
	if (o->secret && strcmp(val, CONFIG_REDACTED) == 0)
		return "value is the placeholder --print-config writes; put "
		    "the real value here";
	if (config_text_chars(val) < 0)
		return "value holds control characters or is not valid UTF-8";
	if (o->type == CONFIG_USER_LIST)
		return config_user_problem(val);
	return o->check != NULL ? o->check(val) : NULL;
}

int
config_set_strlist(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	char ***list = (char ***)(void *)((char *)c + o->offset);
	size_t *n = (size_t *)(void *)((char *)c + o->count_offset);
	size_t len = strlen(val);
	char echo[LOG_ESCAPE_CAP];
	const char *why;

	if ((why = config_strlist_problem(o, val)) != NULL) {
		config_err_add(e, where, o->name, "%s", why);
		return -1;
	}
	if (o->type == CONFIG_STRING_LIST && (len < o->min || len > o->max)) {
		config_err_add(e, where, o->name, "value is not %llu to %llu "
		    "bytes long", (unsigned long long)o->min,
		    (unsigned long long)o->max);
		return -1;
	}
	if (config_strlist_dup(o, *list, *n, val)) {
		if (o->type == CONFIG_USER_LIST)
			config_err_add(e, where, o->name, "a user of this name "
			    "is already listed");
		else
			config_err_add(e, where, o->name, "%s is listed twice",
			    o->secret ? "value" :
			    config_echo(echo, sizeof(echo), val));
		return -1;
	}
	if (o->max_items != 0 && *n >= o->max_items) {
		config_err_add(e, where, o->name, "more than %zu entries",
		    o->max_items);
		return -1;
	}
	if (config_list_grow((void **)list, *n, sizeof(char *)) == -1 ||
	    ((*list)[*n] = o->secret_file ? config_strdup_at(val, where) :
	    strdup(val)) == NULL) {
		config_err_add(e, where, o->name, "out of memory");
		return -1;
	}
	(*n)++;
	return 0;
}

int
config_set_ranges(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	struct policy_range **list, r;
	size_t *n = (size_t *)(void *)((char *)c + o->count_offset), i;
	char echo[LOG_ESCAPE_CAP];
	const char *why = NULL;

	list = (struct policy_range **)(void *)((char *)c + o->offset);
	config_echo(echo, sizeof(echo), val);
	if (policy_range_parse(val, &r, &why) == -1) {
		config_err_add(e, where, o->name, "%s is not an address range "
		    "(CIDR or a-b): %s", echo, why != NULL ? why : "malformed");
		return -1;
	}
	for (i = 0; i < *n; i++) {
		if ((*list)[i].family == r.family &&
		    memcmp((*list)[i].lo, r.lo, sizeof(r.lo)) == 0 &&
		    memcmp((*list)[i].hi, r.hi, sizeof(r.hi)) == 0) {
			config_err_add(e, where, o->name, "%s is listed twice",
			    echo);
			return -1;
		}
	}
	if (o->max_items != 0 && *n >= o->max_items) {
		config_err_add(e, where, o->name, "more than %zu ranges",
		    o->max_items);
		return -1;
	}
	if (config_list_grow((void **)list, *n, sizeof(r)) == -1) {
		config_err_add(e, where, o->name, "out of memory");
		return -1;
	}
	(*list)[(*n)++] = r;
	return 0;
}

const char *
config_parse_external_ip(const char *s, struct config_external_ip *out)
{
	char pub[ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t plen = slash != NULL ? (size_t)(slash - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	if (plen >= sizeof(pub))
		return "is not PUBLIC or PUBLIC/PRIVATE (IP addresses)";
	memcpy(pub, s, plen);
	pub[plen] = '\0';
	if (addr_parse_ip(&out->public_ip, pub, 0) == -1 ||
	    (slash != NULL && addr_parse_ip(&out->private_ip, slash + 1,
	    0) == -1))
		return "is not PUBLIC or PUBLIC/PRIVATE (IP addresses)";
	out->has_private = slash != NULL;
	if (addr_is_any(&out->public_ip) ||
	    (out->has_private && addr_is_any(&out->private_ip)))
		return "holds a wildcard address";
	if (out->has_private && addr_family(&out->public_ip) !=
	    addr_family(&out->private_ip))
		return "mixes IPv4 and IPv6";
	return NULL;
}

/* Whether x clashes with an entry already listed. */
static const char *
config_external_clash(const struct config_external_ip *list, size_t n,
    const struct config_external_ip *x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (x->has_private && list[i].has_private &&
		    addr_equal(&list[i].private_ip, &x->private_ip, false))
			return "names a PRIVATE address already listed";
		if (!x->has_private && !list[i].has_private &&
		    addr_family(&list[i].public_ip) ==
		    addr_family(&x->public_ip))
			return "is a second PUBLIC-only address of its family";
	}
	return NULL;
}

int
config_set_external(struct config *c, const struct config_option *o,
    const char *val, const char *where, struct config_err *e)
{
	struct config_external_ip *list, x;
	size_t *n = (size_t *)(void *)((char *)c + o->count_offset);
	char echo[LOG_ESCAPE_CAP];
	const char *why;

	list = (struct config_external_ip *)(void *)((char *)c + o->offset);
	config_echo(echo, sizeof(echo), val);
	if ((why = config_parse_external_ip(val, &x)) != NULL ||
	    (why = config_external_clash(list, *n, &x)) != NULL) {
		config_err_add(e, where, o->name, "%s %s", echo, why);
		return -1;
	}
	if (*n >= CONFIG_MAX_ADDRS) {
		config_err_add(e, where, o->name, "more than %d entries",
		    CONFIG_MAX_ADDRS);
		return -1;
	}
	list[(*n)++] = x;
	return 0;
}

/* Frees one heap list field of c described by o. */
void
config_list_free(struct config *c, const struct config_option *o)
{
	size_t *n = (size_t *)(void *)((char *)c + o->count_offset), i;
	void **field = (void **)(void *)((char *)c + o->offset);
	char **s;

	if (o->type == CONFIG_STRING_LIST || o->type == CONFIG_USER_LIST) {
		s = *field;
		for (i = 0; s != NULL && i < *n; i++) {
			if (o->secret)
				explicit_bzero(s[i], strlen(s[i]));
			free(s[i]);
		}
	} else if (o->type != CONFIG_RANGE_LIST)
		return;
	free(*field);
	*field = NULL;
	*n = 0;
}
