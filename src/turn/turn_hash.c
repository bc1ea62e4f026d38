/* SPDX-License-Identifier: ISC */
/*
 * turn_hash: the chained hash table of the engine's two tables (by
 * 5-tuple, by relay handle; turn_table.c), with nodes inside the objects
 * and the hash chosen by the caller (keyed: docs/security.md, Attack
 * catalogue: resource exhaustion).
 *
 * It grows by doubling when it holds more entries than buckets, up to
 * TURN_HTAB_MAX buckets (then chains lengthen), and incrementally: while
 * a resize is in progress, each insertion moves TURN_HTAB_STEP buckets of
 * the old array into the new one, so no Allocate pays for rehashing every
 * allocation at once and Allocate costs the same with 10 or 100,000
 * allocations. A lookup or a removal moves nothing, so walking the table
 * (turn_htab_each) may remove the entry it is at.
 */
#include <stdlib.h>

#include "turn/turn_int.h"

#define TURN_HTAB_MIN	64
#define TURN_HTAB_MAX	(1u << 22)	/* buckets: 32 MiB of pointers */
#define TURN_HTAB_STEP	4		/* old buckets moved per insertion */

int
turn_htab_init(struct turn_htab *t)
{
	/* an array of chain heads (pointers) */
	t->b = calloc(TURN_HTAB_MIN, sizeof(*t->b)); // NOLINT(bugprone-sizeof-expression)
	if (t->b == NULL)
		return -1;
	t->mask = TURN_HTAB_MIN - 1;
	t->old = NULL;
	t->oldmask = 0;
	t->moved = 0;
	t->n = 0;
	return 0;
}

void
turn_htab_free(struct turn_htab *t)
{
	free(t->b);
	free(t->old);
	t->b = t->old = NULL;
}

struct turn_hnode **
turn_htab_bucket(const struct turn_htab *t, uint64_t h)
{
	if (t->old != NULL && (h & t->oldmask) >= t->moved)
		return &t->old[h & t->oldmask];
	return &t->b[h & t->mask];
}

/* Moves a few old buckets into the new array; frees the old one when it
 * is empty. */
static void
turn_htab_step(struct turn_htab *t)
{
	struct turn_hnode *x, *next;
	size_t k;

	for (k = 0; k < TURN_HTAB_STEP && t->moved <= t->oldmask; k++) {
		for (x = t->old[t->moved]; x != NULL; x = next) {
			next = x->next;
			x->next = t->b[x->hash & t->mask];
			t->b[x->hash & t->mask] = x;
		}
		t->old[t->moved++] = NULL;
	}
	if (t->moved > t->oldmask) {
		free(t->old);
		t->old = NULL;
		t->moved = 0;
	}
}

/* More entries than buckets: a twice larger array, filled by the steps.
 * Without memory the table stays as it is (longer chains, still right). */
static void
turn_htab_grow(struct turn_htab *t)
{
	struct turn_hnode **nb;
	const size_t cap = t->mask + 1;

	if (t->old != NULL || t->n <= cap || cap >= TURN_HTAB_MAX)
		return;
	if ((nb = calloc(cap * 2, sizeof(*nb))) == NULL) // NOLINT(bugprone-sizeof-expression): chain heads
		return;
	t->old = t->b;
	t->oldmask = t->mask;
	t->moved = 0;
	t->b = nb;
	t->mask = cap * 2 - 1;
}

void
turn_htab_insert(struct turn_htab *t, struct turn_hnode *x, uint64_t h)
{
	struct turn_hnode **pp;

	if (t->old != NULL)
		turn_htab_step(t);
	t->n++;
	turn_htab_grow(t);
	x->hash = h;
	pp = turn_htab_bucket(t, h);
	x->next = *pp;
	*pp = x;
}

void
turn_htab_remove(struct turn_htab *t, struct turn_hnode *x)
{
	struct turn_hnode **pp;

	for (pp = turn_htab_bucket(t, x->hash); *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			t->n--;
			return;
		}
}

/* Every node once; fn may remove the node it is given (and no other). */
static void
turn_htab_walk(struct turn_hnode **b, size_t from, size_t to,
    void (*fn)(struct turn_hnode *, void *), void *arg)
{
	struct turn_hnode *x, *next;
	size_t i;

	for (i = from; i < to; i++)
		for (x = b[i]; x != NULL; x = next) {
			next = x->next;
			fn(x, arg);
		}
}

void
turn_htab_each(struct turn_htab *t, void (*fn)(struct turn_hnode *, void *),
    void *arg)
{
	if (t->b == NULL)	/* never initialised */
		return;
	if (t->old != NULL)
		turn_htab_walk(t->old, t->moved, t->oldmask + 1, fn, arg);
	turn_htab_walk(t->b, 0, t->mask + 1, fn, arg);
}
