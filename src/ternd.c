/* SPDX-License-Identifier: ISC */
/*
 * ternd: the STUN/TURN daemon's main.
 *
 *   ternd [-c FILE] [--key=value ...]
 *   ternd --check-config [-c FILE] [--key=value ...]
 *   ternd --print-config [-c FILE] [--key=value ...]
 *   ternd --version | --help
 *
 * Always in the foreground (systemd, containers). Start-up: configuration
 * parsed and checked, log opened, crypto initialised, every listener bound
 * and TLS loaded, privileges dropped, then the workers start and
 * `event=ready` is logged (docs/security.md, Privilege drop). Every worker
 * serves STUN and TURN (RFC 8656): daemon_new() builds the nonce key,
 * credentials, peer policy, relay port pool and quotas from the
 * configuration (src/daemon/). SIGHUP
 * re-reads the file and the command line and applies log, TLS, credential
 * and peer policy settings, or keeps everything when the new configuration
 * is invalid; SIGTERM and SIGINT stop cleanly with exit status 0. SIGUSR1
 * drains (src/daemon/daemon_drain.c): no new allocation, the existing ones keep
 * relaying until they end or drain-timeout passes, then exit status 0.
 * With `prometheus`, daemon_new() also binds the metrics endpoint (/metrics,
 * /healthz, /readyz) before privileges are dropped.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "util/crypto.h"
#include "util/log.h"

#define TERND_ERRCAP	16384

enum ternd_mode {
	TERND_RUN = 0,
	TERND_CHECK,
	TERND_PRINT,
	TERND_VERSION,
	TERND_HELP,
};

struct ternd {
	const char *file;		/* -c FILE, or NULL: no file is read */
	char **args;			/* the --key=value arguments */
	int nargs;
	struct config *cfg;		/* the configuration in force */
	struct daemon *daemon;
	char *pidfile;			/* written at start-up; removed at exit */
	char *warned;			/* the warnings logged last, one a line */
	uid_t log_uid;			/* proc-user's uid for log_dir_risk() */
};

static void
ternd_usage(FILE *f)
{
	fprintf(f,
	    "usage: ternd [-c FILE] [--key=value ...]\n"
	    "       ternd --check-config [-c FILE] [--key=value ...]\n"
	    "       ternd --print-config [-c FILE] [--key=value ...]\n"
	    "       ternd --version | --help\n");
}

/* Sorts argv into the mode, the file and the option arguments. -1: usage. */
static int
ternd_args(struct ternd *t, int argc, char **argv, enum ternd_mode *mode)
{
	int i;

	*mode = TERND_RUN;
	if ((t->args = calloc((size_t)argc + 1, sizeof(*t->args))) == NULL)
		return -1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (++i >= argc || t->file != NULL)
				return -1;
			t->file = argv[i];
		} else if (strcmp(argv[i], "--check-config") == 0)
			*mode = TERND_CHECK;
		else if (strcmp(argv[i], "--print-config") == 0)
			*mode = TERND_PRINT;
		else if (strcmp(argv[i], "--version") == 0)
			*mode = TERND_VERSION;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			*mode = TERND_HELP;
		else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0')
			t->args[t->nargs++] = argv[i] + 2;
		else
			return -1;
	}
	return 0;
}

/* Appends the problems in add (one per line) to err. */
static void
ternd_err_append(char *err, size_t errcap, const char *add)
{
	size_t used = strlen(err);

	if (*add == '\0' || used + 1 >= errcap)
		return;
	snprintf(err + used, errcap - used, "%s%s", add,
	    add[strlen(add) - 1] == '\n' ? "" : "\n");
}

/* Whether text holds the line (len bytes) as one of its lines. */
static bool
ternd_has_line(const char *text, const char *line, size_t len)
{
	const char *p = text;

	while ((p = strstr(p, "warning: ")) != NULL) {
		if ((p == text || p[-1] == '\n') && strncmp(p, line, len) == 0 &&
		    (p[len] == '\n' || p[len] == '\0'))
			return true;
		p++;
	}
	return false;
}

/* Appends the "warning: " lines of add to warn. */
static void
ternd_warn_keep(char *warn, size_t warncap, const char *add)
{
	const char *p = add, *nl;
	size_t len, used;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		used = strlen(warn);
		if (strncmp(p, "warning: ", 9) == 0 && used + len + 2 < warncap)
			snprintf(warn + used, warncap - used, "%.*s\n",
			    (int)len, p);
		p += len + (nl != NULL);
	}
}

/* The risks of a valid configuration (docs/security.md, Hardening). */
static void
ternd_config_warnings(const struct ternd *t, const struct config *c,
    char *warn, size_t warncap)
{
	struct config_facts f = { .file = t->file, .euid = geteuid() };
	char one[4096];
	struct stat st;

	if (t->file != NULL && stat(t->file, &st) == 0) {
		f.file_known = true;
		f.file_mode = st.st_mode & 07777;
	}
	if (config_warnings(c, &f, one, sizeof(one)) > 0)
		ternd_warn_keep(warn, warncap, one);
}

/*
 * Builds a configuration from the defaults, the file (if any) and the
 * arguments, which override the file, then reads the files of secrets
 * they name. NULL with every problem in err; the warnings of a valid
 * configuration in warn (one "warning: OPTION: PROBLEM" a line).
 */
static struct config *
ternd_config_load(const struct ternd *t, char *err, size_t errcap,
    char *warn, size_t warncap)
{
	char one[4096];
	struct config *c;
	bool bad = false;
	int i;

	warn[0] = '\0';
	err[0] = '\0';
	if ((c = config_new()) == NULL) {
		snprintf(err, errcap, "out of memory\n");
		return NULL;
	}
	one[0] = '\0';
	if (t->file != NULL &&
	    config_load_file(c, t->file, one, sizeof(one)) == -1) {
		ternd_err_append(err, errcap, one);
		bad = true;
	}
	for (i = 0; i < t->nargs; i++) {
		one[0] = '\0';
		if (config_set_arg(c, t->args[i], one, sizeof(one)) == -1) {
			ternd_err_append(err, errcap, one);
			bad = true;
		}
	}
	one[0] = '\0';
	if (!bad && config_secrets_load(c, one, sizeof(one)) == -1) {
		ternd_err_append(err, errcap, one);
		bad = true;
	}
	ternd_warn_keep(warn, warncap, one);
	one[0] = '\0';
	if (!bad && config_check(c, one, sizeof(one)) == -1) {
		ternd_err_append(err, errcap, one);
		bad = true;
	}
	ternd_warn_keep(warn, warncap, one);
	if (!bad)
		ternd_config_warnings(t, c, warn, warncap);
	if (bad) {
		if (err[0] == '\0')
			snprintf(err, errcap, "invalid configuration\n");
		config_free(c);
		return NULL;
	}
	return c;
}

/* Logs each line of a multi-line problem report, escaped. */
static void
ternd_log_problems(const char *event, const char *err)
{
	char esc[LOG_ESCAPE_CAP];
	const char *p = err, *nl;
	size_t len;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0)
			log_error(event, "problem=%s",
			    log_escape(esc, sizeof(esc), p, len));
		p += len + (nl != NULL);
	}
}

/* text as a logfmt value: quoted, \" and \\ escaped (the logger escapes
 * control bytes); our own text, so not cut as log_escape() cuts. */
static const char *
ternd_quote(char *out, size_t cap, const char *text, size_t len)
{
	size_t i, o = 0;

	if (cap < 3)
		return "";
	out[o++] = '"';
	for (i = 0; i < len && o + 3 < cap; i++) {
		if (text[i] == '"' || text[i] == '\\')
			out[o++] = '\\';
		out[o++] = text[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/*
 * One record per "warning: OPTION: PROBLEM" line of warn that was not
 * logged last time (at start: all of them; after a reload: those the new
 * configuration brings), then warn becomes the set logged.
 */
static void
ternd_warn_log(struct ternd *t, const char *warn)
{
	char opt[256], why[2048];
	const char *p = warn, *nl, *sep;
	size_t len;
	char *dup;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		sep = strstr(p + 9, ": ");
		if (sep != NULL && sep < p + len && (t->warned == NULL ||
		    !ternd_has_line(t->warned, p, len)))
			log_warn("config_warning", "option=%s reason=%s",
			    ternd_quote(opt, sizeof(opt), p + 9,
			    (size_t)(sep - p - 9)), ternd_quote(why,
			    sizeof(why), sep + 2, (size_t)(p + len - sep - 2)));
		p += len + (nl != NULL);
	}
	if ((dup = strdup(warn)) != NULL) {
		free(t->warned);
		t->warned = dup;
	}
}

static enum log_target
ternd_log_target(const struct config *c)
{
	if (c->syslog)
		return LOG_TO_SYSLOG;
	return c->log_file != NULL ? LOG_TO_FILE : LOG_TO_STDERR;
}

static bool
ternd_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Resolves proc-user/proc-group; -1 if a name does not exist. */
static int
ternd_ids(const struct config *c, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = NULL;
	struct group *gr;

	*uid = geteuid();
	*gid = getegid();
	if (c->proc_user != NULL) {
		if ((pw = getpwnam(c->proc_user)) == NULL) {
			log_error("privdrop_failed", "reason=\"unknown proc-user\"");
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (c->proc_group != NULL) {
		if ((gr = getgrnam(c->proc_group)) == NULL) {
			log_error("privdrop_failed", "reason=\"unknown proc-group\"");
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static int
ternd_caps_drop(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			return -1;
	/* Ambient capabilities appeared in Linux 4.3; EINVAL before. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return -1;
	return 0;
}

/*
 * docs/security.md, Privilege drop: supplementary groups, then the group,
 * then the user (every call checked), then proof that root cannot be
 * regained. Without proc-user/proc-group only the process hardening
 * applies.
 */
static int
ternd_privdrop(const struct config *c)
{
	const struct rlimit nocore = { 0, 0 };
	struct rlimit cur;
	const char *what;
	uid_t uid;
	gid_t gid;

	if (c->proc_user == NULL && c->proc_group == NULL)
		goto harden;
	if (ternd_ids(c, &uid, &gid) == -1)
		return -1;
	what = "proc-user/proc-group need ternd to start as root";
	if (geteuid() != 0) {
		/* Already the requested identity (a container's USER): fine. */
		if (uid == geteuid() && gid == getegid())
			goto harden;
		goto fail;
	}
	/* Empty the bounding and ambient capability sets while still root,
	 * so that nothing executed later could get a capability back. */
	what = "prctl(PR_CAPBSET_DROP)";
	if (ternd_caps_drop() == -1)
		goto fail;
	what = "setgroups";
	if (setgroups(0, NULL) == -1)
		goto fail;
	what = "setresgid";
	if (setresgid(gid, gid, gid) == -1)
		goto fail;
	what = "setresuid";
	if (c->proc_user != NULL && setresuid(uid, uid, uid) == -1)
		goto fail;
	what = "root could be regained after setuid";
	if (c->proc_user != NULL && uid != 0 && setuid(0) != -1)
		goto fail;
	log_info("privileges_dropped", "uid=%lu gid=%lu",
	    (unsigned long)getuid(), (unsigned long)getgid());
harden:
	/* No exec can gain privileges, no core dump or ptrace reads the
	 * TLS key and secrets from memory. */
	what = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		goto fail;
	what = "prctl(PR_SET_DUMPABLE)";
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		goto fail;
	/* A sandbox may refuse setrlimit (systemd ~@resources); that is
	 * fine when core files are already off. */
	what = "setrlimit(RLIMIT_CORE)";
	if (setrlimit(RLIMIT_CORE, &nocore) == -1 &&
	    (getrlimit(RLIMIT_CORE, &cur) == -1 || cur.rlim_max != 0))
		goto fail;
	return 0;
fail:
	log_error("privdrop_failed", "reason=\"%s\" error=\"%s\"", what,
	    strerror(errno));
	return -1;
}

static int
ternd_pidfile_write(struct ternd *t)
{
	const char *path = t->cfg->pidfile;
	int fd;

	if (path == NULL)
		return 0;
	if ((t->pidfile = strdup(path)) == NULL) {
		log_error("pidfile_failed", "error=\"out of memory\"");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1 || dprintf(fd, "%ld\n", (long)getpid()) < 0) {
		log_error("pidfile_failed", "error=\"%s\"", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
ternd_pidfile_remove(struct ternd *t)
{
	if (t->pidfile != NULL && unlink(t->pidfile) == -1 && errno != ENOENT)
		log_warn("pidfile_remove_failed", "error=\"%s\"", strerror(errno));
	free(t->pidfile);
	t->pidfile = NULL;
}

/* The uid proc-user names (before the drop), or 0: no dropped user. */
static uid_t
ternd_log_uid(const struct config *c)
{
	struct passwd *pw;

	if (c->proc_user == NULL || (pw = getpwnam(c->proc_user)) == NULL)
		return 0;
	return pw->pw_uid;
}

/* docs/security.md, Hardening: who else could replace the log file. */
static void
ternd_log_dir_warn(const struct ternd *t, const char *path)
{
	char esc[LOG_ESCAPE_CAP];
	const char *why;

	if ((why = log_dir_risk(path, t->log_uid)) == NULL)
		return;
	log_warn("log_dir_writable", "file=%s reason=\"%s: whoever can write "
	    "it can remove the log file or put a link to another file in its "
	    "place before the next start or reopen (ternd refuses the link, "
	    "and logging stops); make the directory root's, mode 0755\"",
	    log_escape(esc, sizeof(esc), path, strlen(path)), why);
}

static void
ternd_log_file_failed(const char *event, const char *path, int err)
{
	char esc[LOG_ESCAPE_CAP];

	log_error(event, "file=%s reason=\"%s\" kept=\"the file in use\"",
	    path != NULL ? log_escape(esc, sizeof(esc), path, strlen(path)) :
	    "-", log_open_error(err));
}

/* Settings SIGHUP cannot change: say which, instead of ignoring them
 * silently (the option table says which are reloadable). */
static void
ternd_reload_warn(const struct config *o, const struct config *c)
{
	char names[1024];

	if (config_fixed_changed(o, c, names, sizeof(names)) > 0)
		log_warn("reload_partial", "options=\"%s\" reason=\"these apply "
		    "at the next start\"", names);
}

/*
 * SIGHUP (from the main loop). All or nothing: an invalid file or TLS
 * material keeps the configuration in force; connections are never dropped.
 */
static void
ternd_reload(void *arg)
{
	struct ternd *t = arg;
	struct config *c;
	char *err, *warn = NULL;
	int lr;

	if ((err = malloc(TERND_ERRCAP)) == NULL ||
	    (warn = malloc(TERND_ERRCAP)) == NULL)
		goto out;
	log_info("reload", "file=%s", t->file != NULL ? "yes" : "no");
	if ((c = ternd_config_load(t, err, TERND_ERRCAP, warn,
	    TERND_ERRCAP)) == NULL) {
		ternd_log_problems("reload_failed", err);
		goto out;
	}
	err[0] = '\0';
	if (daemon_reload(t->daemon, c, err, TERND_ERRCAP) == -1) {
		ternd_log_problems("reload_failed", err);
		config_free(c);
		goto out;
	}
	ternd_reload_warn(t->cfg, c);
	/* log-file is reloadable, syslog is not (config_table.c). */
	c->syslog = t->cfg->syslog;
	if (!ternd_str_eq(c->log_file, t->cfg->log_file)) {
		lr = log_open("ternd", ternd_log_target(c), c->log_file);
		if (lr == 0)
			ternd_log_dir_warn(t, c->log_file);
	} else
		lr = log_reopen();
	/* docs/security.md, Hardening: a link in the log file's place is
	 * refused; the file in use stays. */
	if (lr == -1)
		ternd_log_file_failed("log_reopen_failed",
		    c->log_file != NULL ? c->log_file : t->cfg->log_file, errno);
	log_set_level((enum log_level)c->log_level);
	ternd_warn_log(t, warn);
	/* The old config is no longer referenced: net copied what it needs. */
	config_free(t->cfg);
	t->cfg = c;
	log_info("reloaded", "log_level=%s users=%zu rest_secrets=%zu",
	    log_level_name((enum log_level)c->log_level), c->n_user,
	    c->n_static_auth_secret);
out:
	free(warn);
	free(err);
}

static int
ternd_offline(struct ternd *t, enum ternd_mode mode)
{
	char *err, *warn = NULL;
	struct config *c;
	int rv = 1;

	if ((err = malloc(TERND_ERRCAP)) == NULL ||
	    (warn = malloc(TERND_ERRCAP)) == NULL)
		goto out;
	if ((c = ternd_config_load(t, err, TERND_ERRCAP, warn,
	    TERND_ERRCAP)) == NULL) {
		fputs(err, stderr);
		goto out;
	}
	if (mode == TERND_CHECK) {
		fputs(warn, stderr);
		printf("configuration ok\n");
	} else
		config_print(c, stdout);
	config_free(c);
	rv = fflush(stdout) == 0 ? 0 : 1;
out:
	free(warn);
	free(err);
	return rv;
}

static void
ternd_startup_failed(const char *err)
{
	char esc[LOG_ESCAPE_CAP];

	log_error("startup_failed", "reason=%s",
	    log_escape(esc, sizeof(esc), err, strlen(err)));
}

/* Everything from the open log to `event=ready`, then the loop. */
static int
ternd_serve(struct ternd *t)
{
	char err[1024];

	if (crypto_init() == -1) {
		ternd_startup_failed("crypto_init");
		return 1;
	}
	if ((t->daemon = daemon_new(t->cfg, err, sizeof(err))) == NULL) {
		ternd_startup_failed(err);
		return 1;
	}
	if (ternd_pidfile_write(t) == -1 || ternd_privdrop(t->cfg) == -1)
		return 1;
	if (daemon_start(t->daemon, err, sizeof(err)) == -1) {
		ternd_startup_failed(err);
		return 1;
	}
	daemon_log_listeners(t->daemon);
	log_info("ready", "version=%s workers=%u listeners=%zu", TERN_VERSION,
	    daemon_worker_count(t->daemon), daemon_listener_count(t->daemon));
	if (daemon_run(t->daemon, ternd_reload, t) == -1) {
		log_error("loop_failed", "reason=\"signal loop\"");
		return 1;
	}
	return 0;
}

static int
ternd_main_run(struct ternd *t)
{
	char *err, *warn;
	int rv = 1;

	err = malloc(TERND_ERRCAP);
	warn = malloc(TERND_ERRCAP);
	if (err == NULL || warn == NULL) {
		free(err);
		free(warn);
		return 1;
	}
	if ((t->cfg = ternd_config_load(t, err, TERND_ERRCAP, warn,
	    TERND_ERRCAP)) == NULL) {
		fputs(err, stderr);
		free(err);
		free(warn);
		return 1;
	}
	free(err);
	if (log_open("ternd", ternd_log_target(t->cfg), t->cfg->log_file) == -1) {
		/* docs/security.md, Hardening: never written through a link */
		fprintf(stderr, "ternd: log-file %s: %s\n",
		    t->cfg->log_file != NULL ? t->cfg->log_file : "-",
		    log_open_error(errno));
		free(warn);
		goto out;
	}
	log_set_level((enum log_level)t->cfg->log_level);
	ternd_warn_log(t, warn);
	free(warn);
	t->log_uid = ternd_log_uid(t->cfg);
	if (t->cfg->log_file != NULL && !t->cfg->syslog)
		ternd_log_dir_warn(t, t->cfg->log_file);
	rv = ternd_serve(t);
	log_info("exit", "status=%d", rv);
out:
	daemon_free(t->daemon);
	daemon_shutdown();
	ternd_pidfile_remove(t);
	crypto_shutdown();
	config_free(t->cfg);
	free(t->warned);
	log_close();
	return rv;
}

int
main(int argc, char **argv)
{
	struct ternd t = { 0 };
	enum ternd_mode mode;
	sigset_t stop;
	int rv = 1;

	/* Held until daemon_run() handles them (see net.h). */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGUSR1);	/* its default action would kill us */
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ternd_args(&t, argc, argv, &mode) == -1) {
		ternd_usage(stderr);
		goto out;
	}
	switch (mode) {
	case TERND_VERSION:
		printf("ternd %s\n", TERN_VERSION);
		rv = 0;
		goto out;
	case TERND_HELP:
		ternd_usage(stdout);
		printf("\n");
		config_print_help(stdout);
		rv = 0;
		goto out;
	case TERND_CHECK:
	case TERND_PRINT:
		rv = ternd_offline(&t, mode);
		goto out;
	case TERND_RUN:
		break;
	}
	rv = ternd_main_run(&t);
out:
	free(t.args);
	return rv;
}
