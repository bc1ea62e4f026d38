/* SPDX-License-Identifier: ISC */
/*
 * metrics_int: the registry layout shared by metrics.c (counting) and
 * metrics_expo.c (the scrape). Not for other modules.
 */
#ifndef TERN_METRICS_INT_H
#define TERN_METRICS_INT_H

#include <stdatomic.h>

#include "metrics/metrics.h"

#define METRICS_CACHELINE	64

/* One family's place in every worker block. */
struct metrics_fam {
	size_t off;		/* first slot */
	unsigned dim[METRICS_MAX_LABELS]; /* values per label + "other" */
	unsigned nseries;	/* dim[0] * dim[1] */
	unsigned stride;	/* slots per series: 1, or nbuckets + 2 */
	_Atomic(metrics_gauge_fn) fn;
	void *_Atomic arg;
};

struct metrics_worker {
	const struct metrics *m; /* the layout, set once at creation */
	_Atomic uint64_t *v;	/* nslots, in this same aligned block */
};

struct metrics {
	const struct metrics_def *defs;
	size_t ndefs;
	struct metrics_fam *fam;
	size_t nslots;
	unsigned nworkers;
	size_t maxseries;	/* largest nseries * stride, for the scrape */
	struct metrics_worker **w;
};

/*
 * Sums family id over the workers into acc (nseries * stride values;
 * histogram sums as double bits) and folds label indexes that have no
 * name into "other". Callback gauges are evaluated into acc as double
 * bits, and *is_double is set. acc must hold m->maxseries values.
 */
void metrics_fam_sum(const struct metrics *m, unsigned id, uint64_t *acc,
    bool *is_double);
/* The name of value i of label l, "other" for i == count, NULL if hidden. */
const char *metrics_label_value(const struct metrics_label *l, unsigned i);

#endif
