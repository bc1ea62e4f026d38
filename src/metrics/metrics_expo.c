/* SPDX-License-Identifier: ISC */
/*
 * metrics_expo: the Prometheus text exposition format, version 0.0.4.
 *
 * Per family: "# HELP name text" (\\ and \n escaped), "# TYPE name type",
 * then one line per series, "name{l="v",...} value". Label values escape
 * \\, \" and \n. Histograms write cumulative name_bucket{...,le="b"} lines
 * ending with le="+Inf", then name_sum and name_count. A label value's
 * "other" series is written only when it is not zero, so that a normal page
 * carries no empty catch-all series. Writes into the caller's buffer and
 * reports a short buffer instead of truncating; no I/O.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

struct expo {
	char *p;
	size_t cap;
	size_t len;
	bool short_;
};

static void
expo_put(struct expo *e, const char *s, size_t n)
{
	if (e->short_ || n >= e->cap - e->len) {
		e->short_ = true;
		return;
	}
	memcpy(e->p + e->len, s, n);
	e->len += n;
	e->p[e->len] = '\0';
}

static void
expo_str(struct expo *e, const char *s)
{
	expo_put(e, s, strlen(s));
}

static void expo_fmt(struct expo *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
expo_fmt(struct expo *e, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		e->short_ = true;	/* never for numbers; fail loudly */
		return;
	}
	expo_put(e, tmp, (size_t)n);
}

/* HELP escapes \ and newline; label values also ". */
static void
expo_escaped(struct expo *e, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && quote)
			rep = "\\\"";
		if (rep == NULL)
			continue;
		expo_put(e, run, (size_t)(s - run));
		expo_str(e, rep);
		run = s + 1;
	}
	expo_put(e, run, (size_t)(s - run));
}

/* Shortest text that reads back as the same double; Go's spellings of the
 * special values, which Prometheus parses. */
static void
expo_double(struct expo *e, double d)
{
	char tmp[40];

	if (isnan(d)) {
		expo_str(e, "NaN");
		return;
	}
	if (isinf(d)) {
		expo_str(e, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	expo_str(e, tmp);
}

static double
expo_bitsd(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* name{a="x",b="y",le="..."} with le given as text (or NULL). */
static void
expo_series(struct expo *e, const struct metrics_def *d, const char *suffix,
    unsigned i0, unsigned i1, const char *le)
{
	unsigned idx[METRICS_MAX_LABELS] = { i0, i1 }, l;
	bool any = false;

	expo_str(e, d->name);
	expo_str(e, suffix);
	for (l = 0; l < METRICS_MAX_LABELS && d->labels[l] != NULL; l++) {
		expo_str(e, any ? ",": "{");
		any = true;
		expo_str(e, d->labels[l]->name);
		expo_str(e, "=\"");
		expo_escaped(e, metrics_label_value(d->labels[l], idx[l]),
		    true);
		expo_str(e, "\"");
	}
	if (le != NULL) {
		expo_str(e, any ? ",le=\"" : "{le=\"");
		expo_str(e, le);
		expo_str(e, "\"");
		any = true;
	}
	expo_str(e, any ? "} " : " ");
}

static void
expo_histogram(struct expo *e, const struct metrics_def *d, unsigned i0,
    unsigned i1, const uint64_t *v)
{
	char le[40];
	struct expo tmp = { le, sizeof(le), 0, false };
	uint64_t cum = 0;
	unsigned b;

	for (b = 0; b <= d->nbuckets; b++) {
		cum += v[b];
		tmp.len = 0;
		if (b < d->nbuckets)
			expo_double(&tmp, d->buckets[b]);
		else
			expo_str(&tmp, "+Inf");
		expo_series(e, d, "_bucket", i0, i1, le);
		expo_fmt(e, "%" PRIu64 "\n", cum);
	}
	expo_series(e, d, "_sum", i0, i1, NULL);
	expo_double(e, expo_bitsd(v[d->nbuckets + 1]));
	expo_str(e, "\n");
	expo_series(e, d, "_count", i0, i1, NULL);
	expo_fmt(e, "%" PRIu64 "\n", cum);
}

/* Whether a series is shown: hidden values never; "other" only if set. */
static bool
expo_is_shown(const struct metrics_def *d, const struct metrics_fam *f,
    unsigned i0, unsigned i1, const uint64_t *v, bool dbl)
{
	unsigned idx[METRICS_MAX_LABELS] = { i0, i1 }, l, k;
	bool other = false;

	for (l = 0; l < METRICS_MAX_LABELS && d->labels[l] != NULL; l++) {
		if (metrics_label_value(d->labels[l], idx[l]) == NULL)
			return false;
		if (idx[l] == f->dim[l] - 1)
			other = true;
	}
	if (!other)
		return true;
	if (dbl)
		return expo_bitsd(v[0]) != 0;
	for (k = 0; k < f->stride; k++)
		if (v[k] != 0)
			return true;
	return false;
}

static void
expo_value(struct expo *e, const struct metrics_def *d, uint64_t v, bool dbl)
{
	if (d->flags & METRICS_F_CONST1)
		expo_str(e, "1");
	else if (dbl)
		expo_double(e, expo_bitsd(v));
	else if (d->type == METRICS_GAUGE)
		expo_fmt(e, "%" PRId64, (int64_t)v);
	else
		expo_fmt(e, "%" PRIu64, v);
	expo_str(e, "\n");
}

static void
expo_family(struct expo *e, const struct metrics *m, unsigned id,
    uint64_t *acc)
{
	static const char *const type_name[] = {
		[METRICS_COUNTER] = "counter", [METRICS_GAUGE] = "gauge",
		[METRICS_HISTOGRAM] = "histogram" };
	const struct metrics_def *d = &m->defs[id];
	const struct metrics_fam *f = &m->fam[id];
	const uint64_t *v;
	unsigned i0, i1;
	bool dbl;

	metrics_fam_sum(m, id, acc, &dbl);
	expo_str(e, "# HELP ");
	expo_str(e, d->name);
	expo_str(e, " ");
	expo_escaped(e, d->help, false);
	expo_str(e, "\n# TYPE ");
	expo_str(e, d->name);
	expo_str(e, " ");
	expo_str(e, type_name[d->type]);
	expo_str(e, "\n");
	for (i0 = 0; i0 < f->dim[0]; i0++)
		for (i1 = 0; i1 < f->dim[1]; i1++) {
			v = &acc[(size_t)(i0 * f->dim[1] + i1) * f->stride];
			if (!expo_is_shown(d, f, i0, i1, v, dbl))
				continue;
			if (d->type == METRICS_HISTOGRAM) {
				expo_histogram(e, d, i0, i1, v);
				continue;
			}
			expo_series(e, d, "", i0, i1, NULL);
			expo_value(e, d, v[0], dbl);
		}
}

long
metrics_expo_write(const struct metrics *m, char *buf, size_t cap)
{
	struct expo e = { buf, cap, 0, false };
	uint64_t *acc;
	unsigned id;

	if (cap == 0)
		return METRICS_EXPO_SHORT;
	buf[0] = '\0';
	if ((acc = calloc(m->maxseries, sizeof(*acc))) == NULL)
		return METRICS_EXPO_NOMEM;
	for (id = 0; id < m->ndefs && !e.short_; id++)
		expo_family(&e, m, id, acc);
	free(acc);
	if (e.short_)
		return METRICS_EXPO_SHORT;
	return (long)e.len;
}
