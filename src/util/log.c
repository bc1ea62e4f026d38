/* SPDX-License-Identifier: ISC */
/*
 * log: logfmt records, one per line, written with a single write(2) so that
 * records from several threads never interleave (a write of less than
 * PIPE_BUF bytes to a pipe or an O_APPEND file is not split).
 *
 * The record is built in a fixed buffer on the stack; the formatted text is
 * copied into it with every control byte escaped, so a caller that passes a
 * newline by mistake still produces exactly one line (docs/security.md,
 * Attack catalogue: log injection).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

#define LOG_RECORD_MAX	2048	/* < PIPE_BUF: one atomic write */
#define LOG_TEXT_MAX	1536	/* formatted message before escaping */
#define LOG_PATH_MAX	4096

static struct {
	pthread_mutex_t mu;		/* guards everything but level */
	enum log_target target;
	int fd;				/* stderr or the file */
	char path[LOG_PATH_MAX];
	char ident[64];
} log_state = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.target = LOG_TO_STDERR,
	.fd = STDERR_FILENO,
};

static _Atomic int log_level = LOG_LVL_INFO;

static const char *const log_level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/*
 * docs/security.md, Hardening: the log file. ternd opens it as root at
 * start and as the dropped user on SIGHUP, in a directory someone else
 * may be able to write: a symbolic link (O_NOFOLLOW: ELOOP), a second
 * hard link (EMLINK) or a FIFO or socket (ENXIO; O_NONBLOCK so that a
 * FIFO cannot hold the open) is refused instead of written through.
 * 0640: logs hold client addresses, personal data (docs/security.md,
 * Attack catalogue: secret leakage).
 */
static int
log_file_open(const char *path)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW | O_NONBLOCK, 0640);
	if (fd == -1)
		return -1;
	err = 0;
	/* O_NONBLOCK was for the open; writes to a device may block. */
	if (fstat(fd, &st) == -1 || fcntl(fd, F_SETFL, O_APPEND) == -1)
		err = errno;
	else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		err = ENXIO;
	else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		err = EMLINK;
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

const char *
log_open_error(int err)
{
	switch (err) {
	case ELOOP:
		return "is a symbolic link (refused)";
	case EMLINK:
		return "has more than one hard link (refused)";
	case ENXIO:
		return "is not a regular file (refused)";
	default:
		return strerror(err);
	}
}

const char *
log_dir_mode_risk(const struct stat *dir, uid_t uid)
{
	if (uid != 0 && dir->st_uid == uid && (dir->st_mode & S_IWUSR))
		return "the directory belongs to proc-user, who can write it";
	if ((dir->st_mode & S_ISVTX) == 0 &&
	    (dir->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return "the directory is group- or world-writable without the "
		    "sticky bit";
	return NULL;
}

const char *
log_dir_risk(const char *path, uid_t uid)
{
	char dir[LOG_PATH_MAX];
	struct stat st;
	const char *slash;
	size_t n;

	if (path == NULL || (slash = strrchr(path, '/')) == NULL)
		n = 0;
	else
		n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return NULL;
	if (n == 0)
		snprintf(dir, sizeof(dir), ".");
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (stat(dir, &st) == -1)
		return NULL;
	return log_dir_mode_risk(&st, uid);
}

int
log_open(const char *progname, enum log_target target, const char *path)
{
	int fd = -1;
	int oldfd;

	if (target == LOG_TO_FILE) {
		if (path == NULL || strlen(path) >= LOG_PATH_MAX) {
			errno = EINVAL;
			return -1;
		}
		if ((fd = log_file_open(path)) == -1)
			return -1;
	} else if (target != LOG_TO_STDERR && target != LOG_TO_SYSLOG) {
		errno = EINVAL;
		return -1;
	}

	pthread_mutex_lock(&log_state.mu);
	if (log_state.target == LOG_TO_SYSLOG)
		closelog();
	oldfd = log_state.target == LOG_TO_FILE ? log_state.fd : -1;
	snprintf(log_state.ident, sizeof(log_state.ident), "%s",
	    progname != NULL ? progname : "tern");
	log_state.target = target;
	log_state.fd = target == LOG_TO_FILE ? fd : STDERR_FILENO;
	log_state.path[0] = '\0';
	if (target == LOG_TO_FILE)
		snprintf(log_state.path, sizeof(log_state.path), "%s", path);
	if (target == LOG_TO_SYSLOG)
		openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	pthread_mutex_unlock(&log_state.mu);

	if (oldfd != -1)
		close(oldfd);
	return 0;
}

int
log_reopen(void)
{
	char path[LOG_PATH_MAX];
	int fd, oldfd;

	pthread_mutex_lock(&log_state.mu);
	if (log_state.target != LOG_TO_FILE) {
		pthread_mutex_unlock(&log_state.mu);
		return 0;
	}
	snprintf(path, sizeof(path), "%s", log_state.path);
	pthread_mutex_unlock(&log_state.mu);

	/* Open before swapping: on failure the old file stays in use. */
	if ((fd = log_file_open(path)) == -1)
		return -1;

	pthread_mutex_lock(&log_state.mu);
	if (log_state.target != LOG_TO_FILE) {
		pthread_mutex_unlock(&log_state.mu);
		close(fd);
		return 0;
	}
	oldfd = log_state.fd;
	log_state.fd = fd;
	pthread_mutex_unlock(&log_state.mu);
	close(oldfd);
	return 0;
}

void
log_close(void)
{
	int oldfd = -1;

	pthread_mutex_lock(&log_state.mu);
	if (log_state.target == LOG_TO_FILE)
		oldfd = log_state.fd;
	else if (log_state.target == LOG_TO_SYSLOG)
		closelog();
	log_state.target = LOG_TO_STDERR;
	log_state.fd = STDERR_FILENO;
	log_state.path[0] = '\0';
	pthread_mutex_unlock(&log_state.mu);
	if (oldfd != -1)
		close(oldfd);
}

void
log_set_level(enum log_level lvl)
{
	if (lvl > LOG_LVL_DEBUG)
		lvl = LOG_LVL_DEBUG;
	atomic_store(&log_level, (int)lvl);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

int
log_level_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
		if (strcmp(s, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	if ((unsigned)lvl > LOG_LVL_DEBUG)
		return "unknown";
	return log_level_names[lvl];
}

/*
 * Appends src to the record, escaping bytes that would break the line or
 * a terminal. Returns false when the record is full.
 */
static bool
log_append_text(char *rec, size_t cap, size_t *pos, const char *src)
{
	char esc[5];
	const char *piece;
	size_t n;

	for (; *src != '\0'; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch == '\n')
			piece = "\\n";
		else if (ch == '\r')
			piece = "\\r";
		else if (ch == '\t')
			piece = "\\t";
		else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
			piece = esc;
		} else {
			esc[0] = (char)ch;
			esc[1] = '\0';
			piece = esc;
		}
		n = strlen(piece);
		if (*pos + n >= cap)
			return false;
		memcpy(rec + *pos, piece, n);
		*pos += n;
	}
	rec[*pos] = '\0';
	return true;
}

static size_t
log_timestamp(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(out, cap, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

static void
log_emit(enum log_level lvl, const char *record, size_t len, size_t tslen)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	ssize_t w;
	int saved = errno;

	pthread_mutex_lock(&log_state.mu);
	if (log_state.target == LOG_TO_SYSLOG) {
		/* syslog stamps its own time; drop ts= and the newline. */
		syslog(prio[lvl], "%.*s", (int)(len - tslen - 1),
		    record + tslen);
	} else {
		do {
			w = write(log_state.fd, record, len);
		} while (w == -1 && errno == EINTR);
	}
	pthread_mutex_unlock(&log_state.mu);
	errno = saved;
}

void
log_vmsg(enum log_level lvl, const char *event, const char *fmt, va_list ap)
{
	char text[LOG_TEXT_MAX];
	char rec[LOG_RECORD_MAX];
	size_t pos, tslen;
	bool full = false;
	int n, tn;

	if ((unsigned)lvl > LOG_LVL_DEBUG || (int)lvl > atomic_load(&log_level))
		return;

	tn = vsnprintf(text, sizeof(text), fmt, ap);
	if (tn < 0)
		text[0] = '\0';

	/* Room is kept for "...\n" so a cut record is marked and ends. */
	pos = tslen = log_timestamp(rec, sizeof(rec));
	n = snprintf(rec + pos, sizeof(rec) - pos, "level=%s event=",
	    log_level_names[lvl]);
	pos += (size_t)n;
	full = !log_append_text(rec, sizeof(rec) - 4, &pos,
	    event != NULL ? event : "none");
	if (!full && text[0] != '\0') {
		rec[pos++] = ' ';
		full = !log_append_text(rec, sizeof(rec) - 4, &pos, text);
	}
	if (full || tn >= (int)sizeof(text)) {
		memcpy(rec + pos, "...", 3);
		pos += 3;
	}
	rec[pos++] = '\n';
	rec[pos] = '\0';
	log_emit(lvl, rec, pos, tslen);
}

void
log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, event, fmt, ap);
	va_end(ap);
}

static _Noreturn void log_vfatal(const char *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static _Noreturn void
log_vfatal(const char *event, int err, const char *fmt, va_list ap)
{
	char text[LOG_TEXT_MAX];
	char esc[LOG_ESCAPE_CAP];
	const char *es;

	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	if (err != 0) {
		es = strerror(err);
		log_escape(esc, sizeof(esc), es, strlen(es));
		log_msg(LOG_LVL_ERROR, event, "%s%serror=%s", text,
		    text[0] != '\0' ? " " : "", esc);
	} else
		log_msg(LOG_LVL_ERROR, event, "%s", text);
	exit(1);
}

void
fatal(const char *event, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	log_vfatal(event, err, fmt, ap);
	/* cppcheck-suppress va_end_missing ; log_vfatal() does not return */
}

void
fatalx(const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vfatal(event, 0, fmt, ap);
	/* cppcheck-suppress va_end_missing ; log_vfatal() does not return */
}

/*
 * Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0
 * if it is not one (RFC 3629 §4: no overlongs, no surrogates, <= U+10FFFF).
 */
static size_t
log_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len > n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Writes the escaped form of the sequence at p into piece; returns its length. */
static size_t
log_escape_piece(char piece[17], const unsigned char *p, size_t n,
    size_t *used)
{
	static const char named[] = "\n\r\t\\\"", letter[] = "nrt\\\"";
	const char *q;
	size_t len, i, o = 0;

	*used = 1;
	if (p[0] != '\0' && (q = strchr(named, p[0])) != NULL) {
		piece[0] = '\\';
		piece[1] = letter[q - named];
		return 2;
	}
	if (p[0] >= 0x20 && p[0] < 0x7f) {
		piece[0] = (char)p[0];
		return 1;
	}
	len = p[0] >= 0x80 ? log_utf8_len(p, n) : 0;
	/* C1 controls (U+0080..U+009F) act on terminals too: escape them. */
	if (len >= 2 && !(p[0] == 0xc2 && p[1] < 0xa0)) {
		memcpy(piece, p, len);
		*used = len;
		return len;
	}
	len = len == 0 ? 1 : len;
	for (i = 0; i < len; i++, o += 4)
		snprintf(piece + o, 5, "\\x%02x", p[i]);
	*used = len;
	return o;
}

char *
log_escape(char *out, size_t cap, const void *in, size_t len)
{
	const unsigned char *p = in;
	char piece[17];
	size_t n, used, pos = 0, i = 0, lim;
	bool cut = len > LOG_ESCAPE_MAX;

	if (cap == 0)
		return out;
	lim = cut ? LOG_ESCAPE_MAX : len;
	if (cap > 1)
		out[pos++] = '"';
	while (p != NULL && i < lim) {
		n = log_escape_piece(piece, p + i, lim - i, &used);
		/* keep room for `..."` and the NUL */
		if (pos + n + 5 > cap) {
			cut = true;
			break;
		}
		memcpy(out + pos, piece, n);
		pos += n;
		i += used;
	}
	if (cut && pos + 3 + 2 <= cap) {
		memcpy(out + pos, "...", 3);
		pos += 3;
	}
	if (pos + 2 <= cap && pos > 0)
		out[pos++] = '"';
	out[pos < cap ? pos : cap - 1] = '\0';
	return out;
}

static uint64_t
log_mono_seconds(void)
{
	return clock_mono_ms() / 1000;
}

void
log_rl(struct log_ratelimit *rl, enum log_level lvl, const char *event,
    const char *fmt, ...)
{
	va_list ap;
	uint64_t w, cur;
	uint32_t sup;

	if ((unsigned)lvl > LOG_LVL_DEBUG || (int)lvl > atomic_load(&log_level))
		return;

	/* window_s 0 would divide by zero: treat it as one second. */
	w = log_mono_seconds() / (rl->window_s != 0 ? rl->window_s : 1);
	cur = atomic_load(&rl->window);
	if (w != cur && atomic_compare_exchange_strong(&rl->window, &cur, w)) {
		/* Only the thread that moved the window reports and resets. */
		sup = atomic_exchange(&rl->suppressed, 0);
		atomic_store(&rl->used, 0);
		if (sup > 0)
			log_msg(lvl, event, "suppressed=%u window_s=%u", sup,
			    rl->window_s);
	}
	if (atomic_fetch_add(&rl->used, 1) >= rl->burst) {
		atomic_fetch_add(&rl->suppressed, 1);
		return;
	}
	va_start(ap, fmt);
	log_vmsg(lvl, event, fmt, ap);
	va_end(ap);
}
