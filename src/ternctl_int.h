/* SPDX-License-Identifier: ISC */
/*
 * ternctl_int: shared by ternctl.c (main, credentials), ternctl_probe.c
 * (probe) and ternctl_redis.c (the commands that change ternd's Redis
 * data).
 */
#ifndef TERN_TERNCTL_INT_H
#define TERN_TERNCTL_INT_H

#include <stddef.h>

#define TERNCTL_EXIT_FAIL	1	/* the operation failed */
#define TERNCTL_EXIT_USAGE	2	/* bad command line */
/* probe with credentials (ternctl_probe.c): what broke */
#define TERNCTL_EXIT_CONNECT	3	/* no connection, no answer */
#define TERNCTL_EXIT_AUTH	4	/* the credential was refused */
#define TERNCTL_EXIT_ALLOCATE	5	/* Allocate got another error */
#define TERNCTL_EXIT_RELAY	6	/* allocated, but nothing relayed */

#define TERNCTL_PROBE_USAGE	"probe [--timeout MS] [--ca FILE] [--insecure] " \
	"[--json]\n      [--secret-file FILE|- [--user ID] | --user NAME " \
	"--password-file FILE|-]\n      [--family 4|6] URL"

#define TERNCTL_SECRET_MAX	256	/* bytes; AUTH_SECRET_MAX */
#define TERNCTL_REDIS_DEFAULT	"ip=127.0.0.1 port=6379 dbname=0"
#define TERNCTL_REALM_DEFAULT	"tern"	/* ternd's default realm */

/* Strict decimal in [min, max]. 0 or -1. */
int ternctl_parse_uint(const char *s, long min, long max, long *out);
/* "30", "30s", "5m", "1h", "1d" in [1, max] seconds. 0 or -1. */
int ternctl_parse_duration(const char *s, long max, long *out);
/*
 * Reads the first line of path ("-": stdin) into buf (cap bytes), without
 * its line end: 1..256 bytes, no NUL. The text never reaches a message;
 * noun ("secret", "password") names it in *why. 0, or -1 with *why set.
 */
int ternctl_read_secret(const char *path, const char *noun, char *buf,
    size_t cap, size_t *len, const char **why);

/* The probe (ternctl_probe.c): argv[0] is "probe". */
int ternctl_probe(int argc, char *argv[]);
/* The Redis commands (ternctl_redis.c): argv[0] is the command's name. */
int ternctl_secret(int argc, char *argv[]);
int ternctl_user(int argc, char *argv[]);
int ternctl_revoke(int argc, char *argv[]);
int ternctl_unrevoke(int argc, char *argv[]);
/*
 * The newest active REST secret of realm in Redis (conn: a redis-userdb
 * string; pwfile: the password's file, or NULL) into buf (cap >= 257).
 * 0, or an exit status after a message on stderr prefixed with "cmd: ".
 */
int ternctl_redis_secret(const char *cmd, const char *conn, const char *pwfile,
    const char *realm, char *buf, size_t cap, size_t *len);

#endif
