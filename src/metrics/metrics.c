/* SPDX-License-Identifier: ISC */
/*
 * metrics: the registry and the per-worker counting path.
 *
 * A worker block is one aligned allocation of 64-bit slots, laid out family
 * after family (metrics_fam.off); a series is the product of its label
 * indexes, "other" included, and a histogram series holds its finite
 * buckets (not cumulative), the +Inf bucket and the sum (double bits).
 * Each block has a single writer, so an increment is a relaxed load and a
 * relaxed store: no lock prefix on the data path, and the scrape's relaxed
 * loads see whole 64-bit values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

static int
metrics_def_check(const struct metrics_def *d, const char **why)
{
	unsigned i;

	if (d->name == NULL || d->help == NULL || d->name[0] == '\0') {
		*why = "a family has no name or help";
		return -1;
	}
	for (i = 0; i < METRICS_MAX_LABELS; i++) {
		if (d->labels[i] == NULL)
			continue;
		if (i > 0 && d->labels[i - 1] == NULL) {
			*why = "labels must be given in order";
			return -1;
		}
		if (d->labels[i]->name == NULL ||
		    (d->labels[i]->values == NULL &&
		    d->labels[i]->value_fn == NULL)) {
			*why = "a label has no name or values";
			return -1;
		}
	}
	if (d->type == METRICS_HISTOGRAM) {
		if (d->nbuckets == 0 || d->nbuckets > METRICS_MAX_BUCKETS ||
		    d->buckets == NULL) {
			*why = "a histogram needs 1 to 32 buckets";
			return -1;
		}
		for (i = 0; i < d->nbuckets; i++)
			if (!isfinite(d->buckets[i]) ||
			    (i > 0 && d->buckets[i] <= d->buckets[i - 1])) {
				*why = "histogram buckets must increase";
				return -1;
			}
	}
	return 0;
}

/* Places every family; fills m->fam, m->nslots and m->maxseries. */
static int
metrics_layout(struct metrics *m, const char **why)
{
	const struct metrics_def *d;
	struct metrics_fam *f;
	size_t i, off = 0, n;
	unsigned l;

	for (i = 0; i < m->ndefs; i++) {
		d = &m->defs[i];
		f = &m->fam[i];
		if (metrics_def_check(d, why) == -1)
			return -1;
		n = 1;
		for (l = 0; l < METRICS_MAX_LABELS; l++) {
			f->dim[l] = d->labels[l] ? d->labels[l]->count + 1 : 1;
			n *= f->dim[l];
		}
		if (n > METRICS_MAX_SERIES) {
			*why = "a family has too many series";
			return -1;
		}
		f->nseries = (unsigned)n;
		f->stride = d->type == METRICS_HISTOGRAM ? d->nbuckets + 2 : 1;
		f->off = off;
		off += n * f->stride;
		if (n * f->stride > m->maxseries)
			m->maxseries = n * f->stride;
		atomic_init(&f->fn, NULL);
		atomic_init(&f->arg, NULL);
	}
	m->nslots = off;
	return 0;
}

static struct metrics_worker *
metrics_worker_new(const struct metrics *m, size_t nslots)
{
	struct metrics_worker *w;
	size_t hdr = METRICS_CACHELINE, size, i;

	/* Header and slots in one block rounded to whole cache lines, so no
	 * two writers ever share a line. */
	size = hdr + nslots * sizeof(uint64_t);
	size = (size + METRICS_CACHELINE - 1) &
	    ~(size_t)(METRICS_CACHELINE - 1);
	if ((w = aligned_alloc(METRICS_CACHELINE, size)) == NULL)
		return NULL;
	w->m = m;
	w->v = (_Atomic uint64_t *)(void *)((char *)w + hdr);
	for (i = 0; i < nslots; i++)
		atomic_init(&w->v[i], 0);
	return w;
}

struct metrics *
metrics_new(const struct metrics_def *defs, size_t ndefs, unsigned nworkers,
    const char **why)
{
	struct metrics *m;
	const char *dummy;
	unsigned i;

	if (why == NULL)
		why = &dummy;
	*why = "out of memory";
	if (nworkers == 0 || nworkers > 4096 || ndefs == 0) {
		*why = "bad worker or family count";
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->defs = defs;
	m->ndefs = ndefs;
	m->nworkers = nworkers;
	if ((m->fam = calloc(ndefs, sizeof(*m->fam))) == NULL ||
	    /* an array of pointers to the workers' blocks */
	    (m->w = calloc(nworkers, sizeof(*m->w))) == NULL) // NOLINT(bugprone-sizeof-expression)
		goto fail;
	if (metrics_layout(m, why) == -1)
		goto fail;
	*why = "out of memory";
	for (i = 0; i < nworkers; i++)
		if ((m->w[i] = metrics_worker_new(m, m->nslots)) == NULL)
			goto fail;
	return m;
fail:
	metrics_free(m);
	return NULL;
}

void
metrics_free(struct metrics *m)
{
	unsigned i;

	if (m == NULL)
		return;
	if (m->w != NULL)
		for (i = 0; i < m->nworkers; i++)
			free(m->w[i]);
	free(m->w);
	free(m->fam);
	free(m);
}

struct metrics *
metrics_tern_new(unsigned nworkers, const char **why)
{
	return metrics_new(metrics_tern_defs, METRICS_ID_COUNT, nworkers, why);
}

struct metrics_worker *
metrics_worker(struct metrics *m, unsigned i)
{
	if (m == NULL || i >= m->nworkers)
		return NULL;
	return m->w[i];
}

unsigned
metrics_nworkers(const struct metrics *m)
{
	return m->nworkers;
}

static inline _Atomic uint64_t *
metrics_slot(struct metrics_worker *w, const struct metrics_fam *f,
    unsigned l0, unsigned l1)
{
	unsigned last0 = f->dim[0] - 1, last1 = f->dim[1] - 1;

	/* An index beyond the set lands in "other", the last value. */
	if (l0 > last0)
		l0 = last0;
	if (l1 > last1)
		l1 = last1;
	return &w->v[f->off + (size_t)(l0 * f->dim[1] + l1) * f->stride];
}

static inline _Atomic uint64_t *
metrics_find(struct metrics_worker *w, unsigned id, unsigned l0, unsigned l1)
{
	if (w == NULL || id >= w->m->ndefs)
		return NULL;
	return metrics_slot(w, &w->m->fam[id], l0, l1);
}

/* The single writer's increment: no read-modify-write needed. */
static inline void
metrics_slot_add(_Atomic uint64_t *s, uint64_t n)
{
	atomic_store_explicit(s,
	    atomic_load_explicit(s, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

void
metrics_count(struct metrics_worker *w, unsigned id, unsigned l0, uint64_t n)
{
	_Atomic uint64_t *s;

	if ((s = metrics_find(w, id, l0, 0)) != NULL)
		metrics_slot_add(s, n);
}

void
metrics_count2(struct metrics_worker *w, unsigned id, unsigned l0,
    unsigned l1, uint64_t n)
{
	_Atomic uint64_t *s;

	if ((s = metrics_find(w, id, l0, l1)) != NULL)
		metrics_slot_add(s, n);
}

void
metrics_gauge_add(struct metrics_worker *w, unsigned id, unsigned l0,
    int64_t delta)
{
	metrics_gauge_add2(w, id, l0, 0, delta);
}

void
metrics_gauge_add2(struct metrics_worker *w, unsigned id, unsigned l0,
    unsigned l1, int64_t delta)
{
	_Atomic uint64_t *s;

	/* Two's complement: the sum over workers wraps back to the signed
	 * total, whichever worker added and which removed. */
	if ((s = metrics_find(w, id, l0, l1)) != NULL)
		metrics_slot_add(s, (uint64_t)delta);
}

void
metrics_gauge_set(struct metrics_worker *w, unsigned id, unsigned l0,
    int64_t v)
{
	_Atomic uint64_t *s;

	if ((s = metrics_find(w, id, l0, 0)) != NULL)
		atomic_store_explicit(s, (uint64_t)v, memory_order_relaxed);
}

static uint64_t
metrics_dbits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
metrics_bitsd(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

void
metrics_observe(struct metrics_worker *w, unsigned id, unsigned l0, double v)
{
	const struct metrics_def *d;
	_Atomic uint64_t *s, *sum;
	unsigned b;

	if (isnan(v) || (s = metrics_find(w, id, l0, 0)) == NULL)
		return;
	d = &w->m->defs[id];
	if (d->type != METRICS_HISTOGRAM)
		return;
	/* le is inclusive; past the last bound is the +Inf bucket. */
	for (b = 0; b < d->nbuckets && v > d->buckets[b]; b++)
		;
	metrics_slot_add(&s[b], 1);
	sum = &s[d->nbuckets + 1];
	atomic_store_explicit(sum, metrics_dbits(metrics_bitsd(
	    atomic_load_explicit(sum, memory_order_relaxed)) + v),
	    memory_order_relaxed);
}

int
metrics_gauge_fn_set(struct metrics *m, unsigned id, metrics_gauge_fn fn,
    void *arg)
{
	if (m == NULL || id >= m->ndefs ||
	    m->defs[id].type == METRICS_HISTOGRAM)
		return -1;
	/* arg first: a scrape that sees the new fn must see its arg. */
	atomic_store_explicit(&m->fam[id].arg, arg, memory_order_release);
	atomic_store_explicit(&m->fam[id].fn, fn, memory_order_release);
	return 0;
}

const char *
metrics_label_value(const struct metrics_label *l, unsigned i)
{
	if (i >= l->count)
		return "other";
	if (l->values != NULL)
		return l->values[i];
	return l->value_fn(i);
}

/* Moves series whose label value has no name into that label's "other". */
static void
metrics_fold(const struct metrics *m, unsigned id, uint64_t *acc)
{
	const struct metrics_def *d = &m->defs[id];
	const struct metrics_fam *f = &m->fam[id];
	unsigned i0, i1, t0, t1, k, hist = d->type == METRICS_HISTOGRAM;
	uint64_t *from, *to;

	for (i0 = 0; i0 < f->dim[0]; i0++)
		for (i1 = 0; i1 < f->dim[1]; i1++) {
			t0 = d->labels[0] && metrics_label_value(d->labels[0],
			    i0) == NULL ? f->dim[0] - 1 : i0;
			t1 = d->labels[1] && metrics_label_value(d->labels[1],
			    i1) == NULL ? f->dim[1] - 1 : i1;
			if (t0 == i0 && t1 == i1)
				continue;
			from = &acc[(size_t)(i0 * f->dim[1] + i1) * f->stride];
			to = &acc[(size_t)(t0 * f->dim[1] + t1) * f->stride];
			for (k = 0; k < f->stride; k++) {
				if (hist && k == f->stride - 1)
					to[k] = metrics_dbits(metrics_bitsd(
					    to[k]) + metrics_bitsd(from[k]));
				else
					to[k] += from[k];
				from[k] = 0;	/* also +0.0 as double bits */
			}
		}
}

void
metrics_fam_sum(const struct metrics *m, unsigned id, uint64_t *acc,
    bool *is_double)
{
	const struct metrics_fam *f = &m->fam[id];
	size_t n = (size_t)f->nseries * f->stride, i;
	bool hist = m->defs[id].type == METRICS_HISTOGRAM;
	metrics_gauge_fn fn;
	void *arg;
	unsigned w;

	*is_double = false;
	fn = atomic_load_explicit(&f->fn, memory_order_acquire);
	if (fn != NULL) {
		arg = atomic_load_explicit(&f->arg, memory_order_acquire);
		for (i = 0; i < n; i++)
			acc[i] = metrics_dbits(fn(arg, (unsigned)i / f->dim[1],
			    (unsigned)i % f->dim[1]));
		*is_double = true;
		return;
	}
	memset(acc, 0, n * sizeof(*acc));
	for (w = 0; w < m->nworkers; w++)
		for (i = 0; i < n; i++) {
			uint64_t v = atomic_load_explicit(
			    &m->w[w]->v[f->off + i], memory_order_relaxed);

			if (hist && i % f->stride == f->stride - 1)
				acc[i] = metrics_dbits(metrics_bitsd(acc[i]) +
				    metrics_bitsd(v));
			else
				acc[i] += v;
		}
	metrics_fold(m, id, acc);
}

int64_t
metrics_value(const struct metrics *m, unsigned id, unsigned l0, unsigned l1)
{
	const struct metrics_fam *f;
	uint64_t *acc, v = 0;
	bool dbl;
	size_t s;
	unsigned k;

	if (m == NULL || id >= m->ndefs)
		return 0;
	f = &m->fam[id];
	if ((acc = calloc(m->maxseries, sizeof(*acc))) == NULL)
		return 0;
	metrics_fam_sum(m, id, acc, &dbl);
	l0 = l0 < f->dim[0] ? l0 : f->dim[0] - 1;
	l1 = l1 < f->dim[1] ? l1 : f->dim[1] - 1;
	s = (size_t)(l0 * f->dim[1] + l1) * f->stride;
	if (dbl) {
		double d = metrics_bitsd(acc[s]);

		/* NaN or out of range would be undefined as an integer. */
		v = d > -9.0e18 && d < 9.0e18 ? (uint64_t)(int64_t)d : 0;
	} else if (f->stride == 1)
		v = acc[s];
	else
		for (k = 0; k + 1 < f->stride; k++)
			v += acc[s + k];
	free(acc);
	return (int64_t)v;
}
