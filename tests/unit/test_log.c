/* SPDX-License-Identifier: ISC */
/* test_log: escaping, the one-line guarantee, levels, file and reopen,
 * the refusals of a link, hard link or FIFO as the log file, the
 * directory risk, rate limiting, fatal. Records are read back from a temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/log.h"

static char dir[] = "/tmp/test_log.XXXXXX";
static char logpath[256], oldpath[256];

static size_t
slurp(const char *path, char *buf, size_t cap)
{
	ssize_t r;
	size_t n = 0;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return n;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
esc_is(const void *in, size_t len, const char *want, const char *name)
{
	char out[LOG_ESCAPE_CAP];

	log_escape(out, sizeof(out), in, len);
	is_str(out, want, "escape: %s", name);
}

static void
clear_log(void)
{
	if (truncate(logpath, 0) == -1)
		diag("truncate: %s", strerror(errno));
}

static void
test_escape(void)
{
	char big[300], want[300], out[LOG_ESCAPE_CAP], small[10];
	unsigned char ctl[200];

	esc_is("abc", 3, "\"abc\"", "plain");
	esc_is("", 0, "\"\"", "empty");
	esc_is("a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"", "newline, CR, tab");
	esc_is("\\\"", 2, "\"\\\\\\\"\"", "backslash and quote");
	esc_is("\x01\x1b[2J\x7f", 6, "\"\\x01\\x1b[2J\\x7f\"", "control, ESC, DEL");
	esc_is("a\0b", 3, "\"a\\x00b\"", "NUL");
	esc_is("\xc3\xa9", 2, "\"\xc3\xa9\"", "2-byte UTF-8 kept");
	esc_is("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", "3-byte UTF-8 kept");
	esc_is("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", "4-byte UTF-8 kept");
	esc_is("\x80", 1, "\"\\x80\"", "lone continuation byte");
	esc_is("\xc0\xaf", 2, "\"\\xc0\\xaf\"", "overlong 2-byte");
	esc_is("\xe0\x80\xaf", 3, "\"\\xe0\\x80\\xaf\"", "overlong 3-byte");
	esc_is("\xed\xa0\x80", 3, "\"\\xed\\xa0\\x80\"", "surrogate");
	esc_is("\xf4\x90\x80\x80", 4, "\"\\xf4\\x90\\x80\\x80\"", "above U+10FFFF");
	esc_is("\xf5\x80", 2, "\"\\xf5\\x80\"", "F5 lead byte");
	esc_is("\xe2\x82", 2, "\"\\xe2\\x82\"", "cut sequence at end");
	esc_is("\xe2\x82x", 3, "\"\\xe2\\x82x\"", "cut sequence then ASCII");
	esc_is("\xc2\x9b", 2, "\"\\xc2\\x9b\"", "C1 control (CSI) escaped");
	esc_is("\xc2\xa0", 2, "\"\xc2\xa0\"", "U+00A0 kept");

	memset(big, 'a', sizeof(big));
	want[0] = '"';
	memset(want + 1, 'a', LOG_ESCAPE_MAX);
	memcpy(want + 1 + LOG_ESCAPE_MAX, "...\"", 5);
	esc_is(big, 200, want, "truncated at LOG_ESCAPE_MAX with marker");
	memcpy(want + 1 + LOG_ESCAPE_MAX, "\"", 2);
	esc_is(big, LOG_ESCAPE_MAX, want, "exactly LOG_ESCAPE_MAX: no marker");

	memset(ctl, 0x01, sizeof(ctl));
	log_escape(out, sizeof(out), ctl, LOG_ESCAPE_MAX);
	is_int(strlen(out), 2 + 4 * LOG_ESCAPE_MAX, "worst case fits LOG_ESCAPE_CAP");
	log_escape(out, sizeof(out), ctl, sizeof(ctl));
	is_int(strlen(out), 2 + 4 * LOG_ESCAPE_MAX + 3, "worst case plus marker fits");
	ok(strcmp(out + strlen(out) - 4, "...\"") == 0, "worst case ends with marker");

	memset(small, 'X', sizeof(small));
	log_escape(small, sizeof(small), big, 50);
	is_str(small, "\"aaaa...\"", "small buffer: cut, marked, terminated");
	log_escape(small, 1, big, 50);
	is_int(small[0], 0, "cap 1 gives an empty string");
	small[0] = 'Z';
	log_escape(small, 0, big, 50);
	is_int(small[0], 'Z', "cap 0 writes nothing");
}

static void
test_levels(void)
{
	is_int(log_level_parse("error"), LOG_LVL_ERROR, "parse error");
	is_int(log_level_parse("warn"), LOG_LVL_WARN, "parse warn");
	is_int(log_level_parse("info"), LOG_LVL_INFO, "parse info");
	is_int(log_level_parse("debug"), LOG_LVL_DEBUG, "parse debug");
	is_int(log_level_parse("INFO"), -1, "parse is case-sensitive");
	is_int(log_level_parse("warning"), -1, "parse unknown");
	is_int(log_level_parse(NULL), -1, "parse NULL");
	is_str(log_level_name(LOG_LVL_DEBUG), "debug", "name debug");
	log_set_level(LOG_LVL_DEBUG);
	is_int(log_get_level(), LOG_LVL_DEBUG, "set/get level");
}

static int
ts_well_formed(const char *rec)
{
	/* ts=2026-11-26T05:40:00.123Z */
	const char *pat = "ts=dddd-dd-ddTdd:dd:dd.dddZ ";
	size_t i;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (rec[i] < '0' || rec[i] > '9') : rec[i] != pat[i])
			return 0;
	}
	return 1;
}

static void
test_file(void)
{
	char buf[16384], longmsg[5000];
	struct stat st;
	char *nl;

	umask(022);
	ok(log_open("test", LOG_TO_FILE, logpath) == 0, "open log file");
	ok(stat(logpath, &st) == 0 && (st.st_mode & 0777) == 0640, "mode 0640");
	log_set_level(LOG_LVL_WARN);
	log_info("hidden", "x=%d", 1);
	log_debug("hidden", "x=%d", 2);
	log_warn("shown", "x=%d", 3);
	log_error("shown", "x=%d", 4);
	slurp(logpath, buf, sizeof(buf));
	is_int(count_lines(buf), 2, "level warn lets two of four through");
	ok(ts_well_formed(buf), "ts is RFC 3339 UTC with ms");
	ok(strstr(buf, "Z level=warn event=shown x=3\n") != NULL, "warn record");
	ok(strstr(buf, "level=error event=shown x=4\n") != NULL, "error record");
	ok(strstr(buf, "hidden") == NULL, "filtered records absent");

	clear_log();
	log_set_level(LOG_LVL_INFO);
	log_info("inject", "user=%s", "bob\nts=x level=error event=forged\r\x1b");
	slurp(logpath, buf, sizeof(buf));
	is_int(count_lines(buf), 1, "embedded newline stays on one line");
	ok(strstr(buf, "bob\\nts=x level=error event=forged\\r\\x1b\n") != NULL,
	    "newline, CR, ESC escaped in the record");

	clear_log();
	memset(longmsg, 'b', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	log_info("long", "v=%s", longmsg);
	slurp(logpath, buf, sizeof(buf));
	is_int(count_lines(buf), 1, "over-long record is one line");
	ok(strlen(buf) <= 2048, "over-long record is cut to the record size");
	nl = strchr(buf, '\n');
	ok(nl != NULL && nl - buf >= 4 && memcmp(nl - 3, "...", 3) == 0,
	    "cut record ends with a marker");

	/* rotation: rename, then reopen starts a new file */
	clear_log();
	log_info("before", "n=1");
	ok(rename(logpath, oldpath) == 0, "rename log file");
	log_info("between", "n=2");
	ok(log_reopen() == 0, "reopen");
	log_info("after", "n=3");
	slurp(oldpath, buf, sizeof(buf));
	ok(strstr(buf, "event=before") && strstr(buf, "event=between") &&
	    !strstr(buf, "event=after"), "old file holds records before reopen");
	slurp(logpath, buf, sizeof(buf));
	ok(strstr(buf, "event=after") && !strstr(buf, "event=before"),
	    "new file holds records after reopen");
	log_close();
	ok(log_reopen() == 0, "reopen on stderr is a no-op");
	ok(log_open("test", LOG_TO_FILE, "/nonexistent/dir/x.log") == -1,
	    "open in a missing directory fails");
}

/*
 * docs/security.md, Hardening: a symbolic link, a second hard link or a
 * FIFO where the log file should be is refused at open and at reopen
 * (the old file stays in use); a plain file opens with O_NOFOLLOW.
 */
static void
test_file_refused(void)
{
	char target[300], link_[300], hard[300], fifo[300], buf[4096];
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link_, sizeof(link_), "%s/link.log", dir);
	snprintf(hard, sizeof(hard), "%s/hard.log", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.log", dir);

	ok(symlink(target, link_) == 0, "a dangling link where the log goes");
	errno = 0;
	ok(log_open("test", LOG_TO_FILE, link_) == -1 && errno == ELOOP,
	    "a symbolic link is refused at open (ELOOP)");
	ok(stat(target, &st) == -1 && errno == ENOENT,
	    "the link's target was not created");
	ok(strstr(log_open_error(ELOOP), "symbolic link") != NULL,
	    "the reason names the link");

	ok(log_open("test", LOG_TO_FILE, logpath) == 0,
	    "a plain file opens (O_NOFOLLOW path)");
	log_info("first", "n=1");
	ok(rename(logpath, oldpath) == 0 && symlink(target, logpath) == 0,
	    "the log file is moved and replaced by a link");
	errno = 0;
	ok(log_reopen() == -1 && errno == ELOOP,
	    "reopen refuses the link (ELOOP)");
	log_info("kept", "n=2");
	slurp(oldpath, buf, sizeof(buf));
	ok(strstr(buf, "event=first") != NULL &&
	    strstr(buf, "event=kept") != NULL,
	    "after the refused reopen records still go to the old file");
	ok(stat(target, &st) == -1, "nothing was written through the link");
	log_close();
	unlink(logpath);

	ok(link(oldpath, hard) == 0, "a second hard link to a file");
	errno = 0;
	ok(log_open("test", LOG_TO_FILE, hard) == -1 && errno == EMLINK,
	    "a file with two hard links is refused (EMLINK)");
	unlink(hard);
	ok(mkfifo(fifo, 0600) == 0, "a FIFO where the log goes");
	errno = 0;
	ok(log_open("test", LOG_TO_FILE, fifo) == -1 && errno == ENXIO,
	    "a FIFO is refused at once, not waited on (ENXIO)");
	unlink(fifo);
	unlink(oldpath);
	ok(log_open("test", LOG_TO_FILE, "/dev/null") == 0,
	    "a character device (/dev/null) is accepted");
	log_close();
}

static void
test_dir_risk(void)
{
	struct stat st;
	char sub[300], path[320];

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0755;
	st.st_uid = 1000;
	ok(log_dir_mode_risk(&st, 1000) != NULL,
	    "a directory of the dropped user is a risk");
	ok(log_dir_mode_risk(&st, 1001) == NULL,
	    "a 0755 directory of another user is not");
	st.st_uid = 0;
	ok(log_dir_mode_risk(&st, 0) == NULL,
	    "root's 0755 directory without a dropped user is not");
	st.st_mode = S_IFDIR | 0775;
	ok(log_dir_mode_risk(&st, 1000) != NULL,
	    "a group-writable directory without the sticky bit is a risk");
	st.st_mode = S_IFDIR | 0777;
	ok(log_dir_mode_risk(&st, 0) != NULL,
	    "a world-writable directory without the sticky bit is a risk");
	st.st_mode = S_IFDIR | 01777;
	ok(log_dir_mode_risk(&st, 1000) == NULL,
	    "a sticky /tmp-like directory of root is not");

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(path, sizeof(path), "%s/x.log", sub);
	ok(mkdir(sub, 0700) == 0 && chmod(sub, 0777) == 0, "a 0777 directory");
	ok(log_dir_risk(path, 0) != NULL, "log_dir_risk finds it");
	ok(chmod(sub, 0755) == 0 && log_dir_risk(path, 0) == NULL,
	    "after chmod 0755 it is no risk without a dropped user");
	rmdir(sub);
}

static double
mono_frac(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_nsec / 1e9;
}

static uint64_t
mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Waits (at most ~1.5 s) until early in a monotonic second, so a short
 * burst of calls lands in one 1 s window of the limiter. */
static void
wait_second_start(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i;

	for (i = 0; i < 300 && mono_frac() > 0.5; i++)
		nanosleep(&ts, NULL);
}

static void
test_ratelimit(void)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 1);
	static struct log_ratelimit rl0 = LOG_RATELIMIT_INIT(1, 0);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char buf[8192];
	uint64_t w0;
	int i;

	ok(log_open("test", LOG_TO_FILE, logpath) == 0, "open for rate limit");
	clear_log();
	wait_second_start();
	for (i = 0; i < 5; i++)
		log_rl(&rl, LOG_LVL_WARN, "flood", "i=%d", i);
	slurp(logpath, buf, sizeof(buf));
	is_int(count_lines(buf), 2, "burst of 2 lets 2 of 5 through");
	ok(strstr(buf, "i=1") && !strstr(buf, "i=2"), "the first two pass");

	/* wait for the next window, bounded by a 3 s deadline */
	w0 = mono_sec();
	for (i = 0; i < 300 && mono_sec() == w0; i++)
		nanosleep(&ts, NULL);
	clear_log();
	log_rl(&rl, LOG_LVL_WARN, "flood", "i=%d", 9);
	slurp(logpath, buf, sizeof(buf));
	is_int(count_lines(buf), 2, "new window: summary plus the record");
	ok(strstr(buf, "event=flood suppressed=3 window_s=1\n") != NULL,
	    "summary counts the 3 suppressed");
	ok(strstr(buf, "i=9") != NULL, "record after the window reopens");

	clear_log();
	log_set_level(LOG_LVL_ERROR);
	log_rl(&rl, LOG_LVL_WARN, "flood", "i=%d", 10);
	is_int(atomic_load(&rl.suppressed), 0, "filtered level is not counted");
	log_set_level(LOG_LVL_INFO);
	log_rl(&rl0, LOG_LVL_WARN, "zero", "x=1");
	log_rl(&rl0, LOG_LVL_WARN, "zero", "x=2");
	slurp(logpath, buf, sizeof(buf));
	ok(strstr(buf, "x=1") && !strstr(buf, "x=2"), "window_s 0 acts as 1 s");
	log_close();
}

static void
test_fatal(void)
{
	char buf[4096];
	pid_t pid;
	int status = 0;

	clear_log();
	if ((pid = fork()) == 0) {
		log_open("test", LOG_TO_FILE, logpath);
		errno = ENOENT;
		fatal("startup", "file=%s", "x");
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1, "fatal exits 1");
	slurp(logpath, buf, sizeof(buf));
	ok(strstr(buf, "level=error event=startup file=x "
	    "error=\"No such file or directory\"\n") != NULL,
	    "fatal logs strerror, escaped");

	clear_log();
	if ((pid = fork()) == 0) {
		log_open("test", LOG_TO_FILE, logpath);
		fatalx("bad", "why=%s", "invariant");
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1, "fatalx exits 1");
	slurp(logpath, buf, sizeof(buf));
	ok(strstr(buf, "level=error event=bad why=invariant\n") != NULL,
	    "fatalx record has no error=");
}

static void *
writer(void *arg)
{
	int i, id = (int)(long)arg;

	for (i = 0; i < 200; i++) {
		log_info("thread", "id=%d i=%d pad=%s", id, i,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		if (id == 0 && i % 50 == 0)
			log_reopen();
	}
	return NULL;
}

static void
test_threads(void)
{
	static char buf[1 << 20];
	pthread_t t[4];
	char *line, *save = NULL;
	int i, good = 0, bad = 0;

	ok(log_open("test", LOG_TO_FILE, logpath) == 0, "open for threads");
	clear_log();
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, (void *)(long)i);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	log_close();
	slurp(logpath, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (ts_well_formed(line) && strstr(line, " level=info event=thread "
		    "id=") && strlen(line) > 100 && line[strlen(line) - 1] == 'x')
			good++;
		else
			bad++;
	}
	is_int(good, 800, "4 threads x 200 records, reopens in between");
	is_int(bad, 0, "no interleaved or broken line");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(logpath, sizeof(logpath), "%s/ternd.log", dir);
	snprintf(oldpath, sizeof(oldpath), "%s/ternd.log.1", dir);

	test_escape();
	test_levels();
	test_file();
	test_file_refused();
	test_dir_risk();
	test_ratelimit();
	test_fatal();
	test_threads();

	ok(log_open("test", LOG_TO_SYSLOG, NULL) == 0, "syslog target opens");
	log_debug("syslog_test", "x=1");
	log_close();

	unlink(logpath);
	unlink(oldpath);
	rmdir(dir);
	return tap_done();
}
