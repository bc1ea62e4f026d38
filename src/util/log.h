/* SPDX-License-Identifier: ISC */
/*
 * log: one logfmt record per line, on stderr, a file or syslog.
 *
 *   ts=2026-11-26T05:40:00.123Z level=info event=listening proto=udp addr=127.0.0.1:3478
 *
 * `event` is a short fixed token; the format string adds key=value pairs.
 * Anything that came from the wire must pass through log_escape() first:
 * it is quoted; \n \r \t \\ and \" are escaped by
 * name and every other control byte, DEL and non-UTF-8 byte becomes \xNN;
 * it is truncated with a marker (docs/security.md, Attack catalogue: log
 * injection). Secrets never reach this module.
 *
 * Anything a remote peer can trigger logs through log_rl(), which lets a few
 * records through per window per call site and then counts the rest
 * (CONTRIBUTING.md, House style). The log state is one of the three
 * mutable globals; every function here is thread-safe.
 */
#ifndef TERN_UTIL_LOG_H
#define TERN_UTIL_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_target {
	LOG_TO_STDERR = 0,
	LOG_TO_FILE,
	LOG_TO_SYSLOG,
};

/*
 * Start-up: where records go. path is used with LOG_TO_FILE: opened
 * O_APPEND | O_CREAT, mode 0640, close-on-exec, and refused when it is a
 * symbolic link (errno ELOOP), has a second hard link (EMLINK) or is a
 * FIFO or socket (ENXIO) (docs/security.md, Hardening). 0 or -1.
 */
int log_open(const char *progname, enum log_target target, const char *path);
/* SIGHUP: reopen the file (log rotation), with the same refusals; on -1
 * the old file stays in use. No-op for other targets. 0 or -1. */
int log_reopen(void);
void log_close(void);
/* Why log_open() or log_reopen() failed, for errno err (static text). */
const char *log_open_error(int err);

/*
 * Why the directory of the log file at path lets someone other than root
 * replace or remove the file, for a process that drops to uid (0: it does
 * not drop), or NULL when it does not: a directory that belongs to uid
 * and is writable, or one that is group- or world-writable without the
 * sticky bit, is a risk. log_dir_mode_risk() is the same judgement of a
 * directory's stat, for the tests.
 */
struct stat;
const char *log_dir_risk(const char *path, uid_t uid);
const char *log_dir_mode_risk(const struct stat *dir, uid_t uid);

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" <-> level; -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level lvl);

void log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *event, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_error(ev, ...)	log_msg(LOG_LVL_ERROR, ev, __VA_ARGS__)
#define log_warn(ev, ...)	log_msg(LOG_LVL_WARN, ev, __VA_ARGS__)
#define log_info(ev, ...)	log_msg(LOG_LVL_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...)	log_msg(LOG_LVL_DEBUG, ev, __VA_ARGS__)

/* Start-up failures and broken invariants only (CONTRIBUTING.md): log at
 * error level and exit(1). fatal() appends strerror(errno). */
_Noreturn void fatal(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void fatalx(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Escapes len bytes of untrusted input into out as a double-quoted logfmt
 * value, truncating to at most LOG_ESCAPE_MAX input bytes ("..." marker).
 * Always NUL-terminates when cap > 0. Returns out.
 */
#define LOG_ESCAPE_MAX	128
#define LOG_ESCAPE_CAP	(LOG_ESCAPE_MAX * 4 + 8)
char *log_escape(char *out, size_t cap, const void *in, size_t len);

/* Rate-limited logging for remote-triggered events: at most `burst` records
 * per `window_s` seconds per limiter; when a window reopens, one record says
 * how many were suppressed. Declare limiters `static`. */
struct log_ratelimit {
	_Atomic uint64_t window;	/* window index (monotonic seconds / window_s) */
	_Atomic uint32_t used;		/* records let through in this window */
	_Atomic uint32_t suppressed;	/* records dropped in this window */
	uint32_t burst;
	uint32_t window_s;
};
#define LOG_RATELIMIT_INIT(b, w)	{ .burst = (b), .window_s = (w) }

void log_rl(struct log_ratelimit *rl, enum log_level lvl, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
