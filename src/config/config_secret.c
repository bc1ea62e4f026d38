/* SPDX-License-Identifier: ISC */
/*
 * config_secret: secrets that live in files of their own rather than in
 * the config file or on the command line (docs/security.md, Secrets
 * handling): static-auth-secret-file, one REST secret a line, and
 * redis-password-file, whose first line is the Redis password. Read after
 * the config file and the command line are parsed, at start and on every
 * reload; what a file holds is never echoed, and every buffer that held
 * it is wiped.
 *
 * Also which options hold a secret when they are set (config_secret_bits),
 * so that config_warnings() can tell a config file that must be private.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_redis.h"
#include "config/config_int.h"
#include "util/crypto.h"
#include "util/log.h"

#define CONFIG_SECRET_FILE_MAX	(64 * 1024)	/* 16 secrets and comments */

unsigned
config_secret_bits(const char *key, const char *val)
{
	struct auth_redis_conf rc;
	const char *why;
	unsigned bits = 0;

	if (val == NULL)
		return 0;
	if (strcmp(key, "static-auth-secret") == 0)
		return CONFIG_SECRET_REST;
	if (strcmp(key, "user") == 0)
		return CONFIG_SECRET_USER;
	if (strcmp(key, "redis-userdb") == 0 &&
	    auth_redis_conf_parse(val, strlen(val), &rc, &why) == 0) {
		if (rc.password[0] != '\0')
			bits = CONFIG_SECRET_REDIS;
		auth_redis_conf_clear(&rc);
	}
	return bits;
}

/* One file read whole into *text (NUL-terminated; the caller wipes and
 * frees it). NULL, or why not (static text or strerror). */
static const char *
config_secret_read(const char *path, char **text, size_t *len, mode_t *mode)
{
	const char *why = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd;

	*text = NULL;
	/* Links are followed (Kubernetes mounts secrets through them);
	 * O_NONBLOCK so that a FIFO cannot hold the start or the reload. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return strerror(errno);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_SECRET_FILE_MAX) {
		why = "not a regular file of at most 64 KiB";
		goto out;
	}
	*mode = st.st_mode;
	if ((*text = malloc((size_t)st.st_size + 1)) == NULL) {
		why = "out of memory";
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, *text + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			why = r == 0 ? "the file shrank" : strerror(errno);
			goto out;
		}
		got += (size_t)r;
	}
	(*text)[got] = '\0';
	*len = got;
out:
	close(fd);
	if (why != NULL && *text != NULL) {
		crypto_wipe(*text, (size_t)st.st_size);
		free(*text);
		*text = NULL;
	}
	return why;
}

/* The warning for a file of secrets that others can read. */
static void
config_secret_mode(struct config_err *e, const char *option,
    const char *path, mode_t mode)
{
	char echo[LOG_ESCAPE_CAP];

	if ((mode & (S_IRGRP | S_IROTH)) == 0)
		return;
	config_warn_add(e, option, "%s is readable by its group or by every "
	    "user; make it mode 0600 or 0400, owned by the user ternd runs "
	    "as", config_echo(echo, sizeof(echo), path));
}

/* Reads path for option o; on failure an error at where. */
static char *
config_secret_file(const char *path, const char *where, const char *option,
    size_t *len, struct config_err *e)
{
	char echo[LOG_ESCAPE_CAP];
	const char *why;
	mode_t mode = 0;
	char *text;

	if ((why = config_secret_read(path, &text, len, &mode)) != NULL) {
		config_err_add(e, where, option, "cannot read %s: %s",
		    config_echo(echo, sizeof(echo), path), why);
		return NULL;
	}
	config_secret_mode(e, option, path, mode);
	return text;
}

/* Lines of one file of REST secrets into c, through the rules of
 * static-auth-secret. The number added, or -1. */
static int
config_secret_lines(struct config *c, const struct config_option *o,
    const char *path, char *text, size_t len, struct config_err *e)
{
	char where[1100];
	char *p = text, *nl, *end, *stop = text + len;
	unsigned long lineno = 0;
	int n = 0, bad = 0;

	while (p < stop) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(stop - p))) == NULL)
			nl = stop;
		*nl = '\0';
		snprintf(where, sizeof(where), "%s:%lu", path, lineno);
		end = nl;
		while (end > p && (end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (strlen(p) != (size_t)(end - p)) {
			config_err_add(e, where, o->name, "line holds a NUL "
			    "byte");
			bad = 1;
		} else if (*p != '\0' && *p != '#') {
			if (config_option_set(c, o, p, where, e) == -1)
				bad = 1;
			else
				n++;
		}
		p = nl + 1;
	}
	return bad ? -1 : n;
}

static void
config_secrets_rest(struct config *c, struct config_err *e)
{
	const struct config_option *rest;
	struct config_option o;
	char echo[LOG_ESCAPE_CAP];
	const char *path, *where;
	size_t i, len = 0;
	char *text;
	int n;

	if (c->n_static_auth_secret_file == 0 ||
	    (rest = config_option_find("static-auth-secret")) == NULL)
		return;
	/* The rules of static-auth-secret; messages name the option the
	 * operator wrote. */
	o = *rest;
	o.name = "static-auth-secret-file";
	for (i = 0; i < c->n_static_auth_secret_file; i++) {
		path = c->static_auth_secret_file[i];
		where = config_file_where(path);
		if ((text = config_secret_file(path, where, o.name, &len,
		    e)) == NULL)
			continue;
		n = config_secret_lines(c, &o, path, text, len, e);
		crypto_wipe(text, len);
		free(text);
		if (n == 0)
			config_err_add(e, where, o.name, "%s holds no secret "
			    "(one a line; # starts a comment)",
			    config_echo(echo, sizeof(echo), path));
		if (n > 0)
			c->n_static_auth_secret_read += (size_t)n;
	}
}

static void
config_secrets_redis(struct config *c, struct config_err *e)
{
	const char *path = c->redis_password_file, *where, *p;
	const char *option = "redis-password-file";
	char echo[LOG_ESCAPE_CAP];
	size_t len = 0, n;
	char *text;

	if (path == NULL)
		return;
	where = config_file_where(path);
	if ((text = config_secret_file(path, where, option, &len, e)) == NULL)
		return;
	/* The first line, exactly: the file ternctl's --redis-password-file
	 * reads too. */
	n = strcspn(text, "\n");
	if (n > 0 && text[n - 1] == '\r')
		n--;
	text[n] = '\0';
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (n == 0 || n > AUTH_REDIS_PASS_MAX || *p != '\0' ||
	    strlen(text) != n)
		config_err_add(e, where, option, "the first line of %s must "
		    "be the password: 1 to %d bytes without control characters",
		    config_echo(echo, sizeof(echo), path), AUTH_REDIS_PASS_MAX);
	else if ((c->redis_password = strdup(text)) == NULL)
		config_err_add(e, where, option, "out of memory");
	crypto_wipe(text, len);
	free(text);
}

int
config_secrets_load(struct config *c, char *err, size_t errcap)
{
	struct config_err e;

	config_err_init(&e, err, errcap);
	config_secrets_rest(c, &e);
	config_secrets_redis(c, &e);
	return e.count == 0 ? 0 : -1;
}
