/* SPDX-License-Identifier: ISC */
/*
 * The metrics registry (metrics.c, metrics_table.c): table checks, the
 * counting path (labels, "other", NULL worker), gauges summed over workers,
 * histograms, callbacks, exact sums when several threads count at once,
 * and tern's table (label sets follow the engine's and the policy's names).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "tap.h"
#include "turn/turn.h"

static const char *const colour_v[] = { "red", "green" };
static const struct metrics_label l_colour = { "colour", 2, colour_v, NULL };
static const char *const size_v[] = { "s", "m", "l" };
static const struct metrics_label l_size = { "size", 3, size_v, NULL };
static const double b3[] = { 1, 2, 4 };

/* Value 1 has no name: it is folded into "other". */
static const char *
odd_name(unsigned i)
{
	return i == 1 ? NULL : (i == 0 ? "zero" : "two");
}
static const struct metrics_label l_odd = { "odd", 3, NULL, odd_name };

enum { T_C, T_C2, T_G, T_H, T_ODD, T_N };
static const struct metrics_def defs[T_N] = {
	[T_C] = { "t_c_total", METRICS_COUNTER, "c", { &l_colour, NULL },
	    NULL, 0, 0 },
	[T_C2] = { "t_c2_total", METRICS_COUNTER, "c2", { &l_colour, &l_size },
	    NULL, 0, 0 },
	[T_G] = { "t_g", METRICS_GAUGE, "g", { NULL, NULL }, NULL, 0, 0 },
	[T_H] = { "t_h", METRICS_HISTOGRAM, "h", { NULL, NULL }, b3, 3, 0 },
	[T_ODD] = { "t_odd_total", METRICS_COUNTER, "odd", { &l_odd, NULL },
	    NULL, 0, 0 },
};

static void
test_bad_tables(void)
{
	static const double down[] = { 2, 1 };
	struct metrics_def d[1] = { { "x", METRICS_HISTOGRAM, "x",
	    { NULL, NULL }, down, 2, 0 } };
	const char *why = NULL;

	ok(metrics_new(d, 1, 1, &why) == NULL && why != NULL &&
	    strstr(why, "increase") != NULL, "bad: decreasing buckets (%s)",
	    why ? why : "-");
	d[0].nbuckets = 0;
	ok(metrics_new(d, 1, 1, &why) == NULL, "bad: histogram without buckets");
	d[0] = (struct metrics_def){ "x", METRICS_COUNTER, "x",
	    { NULL, &l_colour }, NULL, 0, 0 };
	ok(metrics_new(d, 1, 1, &why) == NULL, "bad: second label without first");
	d[0] = (struct metrics_def){ NULL, METRICS_COUNTER, "x",
	    { NULL, NULL }, NULL, 0, 0 };
	ok(metrics_new(d, 1, 1, &why) == NULL, "bad: no name");
	ok(metrics_new(defs, T_N, 0, &why) == NULL, "bad: no workers");
}

static void
test_counting(void)
{
	struct metrics *m = metrics_new(defs, T_N, 3, NULL);
	struct metrics_worker *w0, *w1;

	ok(m != NULL, "count: new");
	if (m == NULL)
		return;
	w0 = metrics_worker(m, 0);
	w1 = metrics_worker(m, 1);
	ok(w0 != NULL && w1 != NULL && w0 != w1, "count: distinct workers");
	ok(metrics_worker(m, 3) == NULL, "count: worker out of range is NULL");
	ok(((uintptr_t)w0 & 63) == 0 && ((uintptr_t)w1 & 63) == 0,
	    "count: worker blocks are cache-line aligned");
	metrics_count(w0, T_C, 1, 5);
	metrics_count(w1, T_C, 1, 2);
	metrics_count(w1, T_C, 0, 1);
	metrics_count(w1, T_C, 7, 3);		/* out of range */
	metrics_count(w1, T_C, 2, 1);		/* == count: "other" too */
	metrics_count(NULL, T_C, 0, 100);	/* no-op */
	metrics_count(w0, T_N + 5, 0, 100);	/* unknown id: no-op */
	is_int(metrics_value(m, T_C, 1, 0), 7, "count: green summed over workers");
	is_int(metrics_value(m, T_C, 0, 0), 1, "count: red");
	is_int(metrics_value(m, T_C, 2, 0), 4, "count: out of range is other");
	metrics_count2(w0, T_C2, 1, 2, 9);
	metrics_count2(w0, T_C2, 1, 99, 1);
	is_int(metrics_value(m, T_C2, 1, 2), 9, "count2: green,l");
	is_int(metrics_value(m, T_C2, 1, 3), 1, "count2: green,other");
	is_int(metrics_value(m, T_C2, 0, 2), 0, "count2: red,l untouched");
	metrics_count(w0, T_ODD, 1, 4);
	metrics_count(w0, T_ODD, 3, 1);
	is_int(metrics_value(m, T_ODD, 3, 0), 5,
	    "fold: an unnamed value is counted under other");
	is_int(metrics_value(m, T_ODD, 1, 0), 0, "fold: the unnamed value is empty");
	metrics_free(m);
	metrics_free(NULL);
}

static void
test_gauges(void)
{
	struct metrics *m = metrics_new(defs, T_N, 2, NULL);
	struct metrics_worker *w0 = metrics_worker(m, 0), *w1 = metrics_worker(m, 1);

	metrics_gauge_add(w0, T_G, 0, 5);
	metrics_gauge_add(w1, T_G, 0, -7);
	is_int(metrics_value(m, T_G, 0, 0), -2, "gauge: signed sum over workers");
	metrics_gauge_set(w0, T_G, 0, 10);
	is_int(metrics_value(m, T_G, 0, 0), 3, "gauge: set replaces one part");
	metrics_observe(w0, T_H, 0, 0.5);
	metrics_observe(w0, T_H, 0, 2);
	metrics_observe(w1, T_H, 0, 100);
	metrics_observe(w1, T_H, 0, 0.0 / 0.0);	/* NaN: ignored */
	is_int(metrics_value(m, T_H, 0, 0), 3, "histogram: count summed");
	is_int(metrics_gauge_fn_set(m, T_H, NULL, NULL), -1,
	    "callback: refused for a histogram");
	metrics_free(m);
}

static double
cb_value(void *arg, unsigned l0, unsigned l1)
{
	(void)l0, (void)l1;
	return *(double *)arg;
}

static void
test_callback(void)
{
	struct metrics *m = metrics_new(defs, T_N, 1, NULL);
	double v = 41;

	metrics_gauge_add(metrics_worker(m, 0), T_G, 0, 5);
	is_int(metrics_gauge_fn_set(m, T_G, cb_value, &v), 0, "callback: set");
	v = 42;
	is_int(metrics_value(m, T_G, 0, 0), 42, "callback: read at scrape time");
	metrics_gauge_fn_set(m, T_G, NULL, NULL);
	is_int(metrics_value(m, T_G, 0, 0), 5, "callback: removed, sum again");
	metrics_free(m);
}

#define NTHREADS	4
#define NITER		200000

struct counter_arg {
	struct metrics_worker *w;
	unsigned i;
};

static void *
counter_thread(void *p)
{
	struct counter_arg *a = p;
	unsigned k;

	for (k = 0; k < NITER; k++) {
		metrics_count(a->w, T_C, k & 1, 1);
		metrics_gauge_add(a->w, T_G, 0, (k & 1) ? -1 : 2);
		metrics_observe(a->w, T_H, 0, (double)(k % 5));
	}
	return NULL;
}

static void
test_threads(void)
{
	struct metrics *m = metrics_new(defs, T_N, NTHREADS, NULL);
	struct counter_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned i, started = 0;
	int64_t seen = 0, last = 0;
	bool monotonic = true;

	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct counter_arg){ metrics_worker(m, i), i };
		if (pthread_create(&th[i], NULL, counter_thread, &args[i]) == 0)
			started++;
	}
	/* A scraper reading while they count: counters never go back. */
	for (i = 0; i < 200; i++) {
		seen = metrics_value(m, T_C, 0, 0);
		if (seen < last)
			monotonic = false;
		last = seen;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	is_int(started, NTHREADS, "threads: started");
	ok(monotonic, "threads: concurrent scrape saw a monotonic counter");
	is_int(metrics_value(m, T_C, 0, 0), (int64_t)NTHREADS * NITER / 2,
	    "threads: even increments summed exactly");
	is_int(metrics_value(m, T_C, 1, 0), (int64_t)NTHREADS * NITER / 2,
	    "threads: odd increments summed exactly");
	is_int(metrics_value(m, T_G, 0, 0), (int64_t)NTHREADS * NITER / 2,
	    "threads: gauge +2/-1 summed exactly");
	is_int(metrics_value(m, T_H, 0, 0), (int64_t)NTHREADS * NITER,
	    "threads: histogram count exact");
	metrics_free(m);
}

static void
test_tern_table(void)
{
	const char *why = NULL;
	struct metrics *m = metrics_tern_new(2, &why);
	const struct metrics_label *l;
	unsigned i;
	bool same = true;

	ok(m != NULL, "tern: the table is valid (%s)", why ? why : "ok");
	l = metrics_tern_defs[METRICS_DROPPED_PACKETS].labels[0];
	for (i = 1; i < TURN_DROP_COUNT; i++)
		if (i != TURN_DROP_PENDING &&
		    strcmp(l->value_fn(i), turn_drop_name(i)) != 0)
			same = false;
	ok(same, "tern: drop reasons are the engine's turn_drop names");
	ok(l->value_fn(TURN_DROP_NONE) == NULL &&
	    l->value_fn(TURN_DROP_PENDING) == NULL,
	    "tern: none and pending are not drop reasons");
	is_str(l->value_fn(TURN_DROP_RATE_LIMITED), "rate_limited",
	    "tern: rate_limited");
	is_str(l->value_fn(TURN_DROP_AUTH_LIMITED), "auth_failure_limited",
	    "tern: auth_failure_limited");
	is_str(l->value_fn(TURN_DROP_BANDWIDTH), "bandwidth", "tern: bandwidth");
	is_str(l->value_fn(TURN_DROP_SELF_PEER), "self_peer", "tern: self_peer");
	is_str(l->value_fn(METRICS_DROP_TOO_BIG), "too_big",
	    "tern: too_big, the first of net's own reasons");
	is_str(l->value_fn(TURN_DROP_MALFORMED), "malformed", "tern: malformed");
	l = metrics_tern_defs[METRICS_PEER_REFUSALS].labels[0];
	is_str(l->value_fn(POLICY_DENY_LOOPBACK), "deny_loopback",
	    "tern: refusals use policy_verdict_name");
	ok(l->value_fn(POLICY_ALLOW) == NULL, "tern: allow is not a refusal");
	is_int(metrics_stun_method_index(STUN_ALLOCATE), 1, "tern: method index");
	is_int(metrics_stun_method_index(0x0fff), 10, "tern: unknown method");
	is_int(metrics_stun_code_index(0), 0, "tern: success code index");
	is_int(metrics_stun_code_index(438), 7, "tern: 438 index");
	is_int(metrics_stun_code_index(999), 17, "tern: unknown code");
	metrics_count2(metrics_worker(m, 1), METRICS_STUN_RESPONSES,
	    metrics_stun_method_index(STUN_ALLOCATE), metrics_stun_code_index(401),
	    3);
	is_int(metrics_value(m, METRICS_STUN_RESPONSES, 1, 3), 3,
	    "tern: allocate 401 counted");
	for (i = 0; i < METRICS_ID_COUNT; i++)
		if (metrics_tern_defs[i].name == NULL)
			break;
	is_int(i, METRICS_ID_COUNT, "tern: every id has a family");
	metrics_free(m);
}

int
main(void)
{
	test_bad_tables();
	test_counting();
	test_gauges();
	test_callback();
	test_threads();
	test_tern_table();
	return tap_done();
}
