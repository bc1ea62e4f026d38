/* SPDX-License-Identifier: ISC */
/*
 * metrics_process: the standard process_* metrics, read from /proc/self at
 * scrape time (proc(5)), as the Prometheus client libraries define them.
 *
 * The callbacks run on the HTTP thread (metrics.h callback rule): they only
 * read files, never block on anything but the kernel, and keep no state
 * except the clock ticks and page size read once at registration.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics/metrics.h"

struct metrics_proc_stat {
	double utime, stime;	/* clock ticks */
	double starttime;	/* ticks after boot */
	double vsize;		/* bytes */
	double rss;		/* pages */
};

static long metrics_proc_hz = 100;
static long metrics_proc_page = 4096;

/*
 * Fields 14, 15, 22, 23, 24 of /proc/self/stat. The command name (field 2)
 * may hold spaces and ')', so fields are counted after the last ')'.
 */
static int
metrics_proc_stat_parse(const char *s, struct metrics_proc_stat *st)
{
	const char *p = strrchr(s, ')');
	char *end;
	double v;
	int field;

	if (p == NULL)
		return -1;
	p++;
	memset(st, 0, sizeof(*st));
	for (field = 3; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return -1;
		v = strtod(p, &end);
		if (end == p)
			v = 0;	/* field 3 is a state letter */
		if (field == 14)
			st->utime = v;
		else if (field == 15)
			st->stime = v;
		else if (field == 22)
			st->starttime = v;
		else if (field == 23)
			st->vsize = v;
		else if (field == 24)
			st->rss = v;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return 0;
}

static int
metrics_proc_read(const char *path, char *buf, size_t cap)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
metrics_proc_stat_get(struct metrics_proc_stat *st)
{
	char buf[1024];

	if (metrics_proc_read("/proc/self/stat", buf, sizeof(buf)) == -1)
		return -1;
	return metrics_proc_stat_parse(buf, st);
}

static double
metrics_proc_cpu(void *arg, unsigned l0, unsigned l1)
{
	struct metrics_proc_stat st;

	(void)arg, (void)l0, (void)l1;
	if (metrics_proc_stat_get(&st) == -1)
		return 0;
	return (st.utime + st.stime) / (double)metrics_proc_hz;
}

static double
metrics_proc_rss(void *arg, unsigned l0, unsigned l1)
{
	struct metrics_proc_stat st;

	(void)arg, (void)l0, (void)l1;
	if (metrics_proc_stat_get(&st) == -1)
		return 0;
	return st.rss * (double)metrics_proc_page;
}

static double
metrics_proc_vsize(void *arg, unsigned l0, unsigned l1)
{
	struct metrics_proc_stat st;

	(void)arg, (void)l0, (void)l1;
	if (metrics_proc_stat_get(&st) == -1)
		return 0;
	return st.vsize;
}

/* Boot time (btime in /proc/stat) plus the start tick. */
static double
metrics_proc_start(void *arg, unsigned l0, unsigned l1)
{
	struct metrics_proc_stat st;
	char buf[8192], *p;

	(void)arg, (void)l0, (void)l1;
	if (metrics_proc_stat_get(&st) == -1 ||
	    metrics_proc_read("/proc/stat", buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "\nbtime ")) == NULL)
		return 0;
	return strtod(p + 7, NULL) + st.starttime / (double)metrics_proc_hz;
}

static double
metrics_proc_open_fds(void *arg, unsigned l0, unsigned l1)
{
	struct dirent *de;
	double n = 0;
	DIR *d;

	(void)arg, (void)l0, (void)l1;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;	/* not the directory's own fd */
}

static double
metrics_proc_max_fds(void *arg, unsigned l0, unsigned l1)
{
	struct rlimit rl;

	(void)arg, (void)l0, (void)l1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (double)rl.rlim_cur;
}

int
metrics_process_register(struct metrics *m)
{
	static const struct {
		unsigned id;
		metrics_gauge_fn fn;
	} tab[] = {
		{ METRICS_PROCESS_CPU, metrics_proc_cpu },
		{ METRICS_PROCESS_RESIDENT, metrics_proc_rss },
		{ METRICS_PROCESS_VIRTUAL, metrics_proc_vsize },
		{ METRICS_PROCESS_OPEN_FDS, metrics_proc_open_fds },
		{ METRICS_PROCESS_MAX_FDS, metrics_proc_max_fds },
		{ METRICS_PROCESS_START_TIME, metrics_proc_start },
	};
	long v;
	size_t i;

	if ((v = sysconf(_SC_CLK_TCK)) > 0)
		metrics_proc_hz = v;
	if ((v = sysconf(_SC_PAGESIZE)) > 0)
		metrics_proc_page = v;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (metrics_gauge_fn_set(m, tab[i].id, tab[i].fn, NULL) == -1)
			return -1;
	return 0;
}
