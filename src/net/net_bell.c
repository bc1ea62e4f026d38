/* SPDX-License-Identifier: ISC */
/*
 * Doorbells: how one thread asks another's event loop to run a callback
 * on that loop's own thread (ARCHITECTURE.md, "Threads and shared
 * state"). No event base is shared between threads, so libevent runs
 * without its locks (no evthread_use_pthreads): the only thing another
 * thread does is net_bell_ring(), which sets the callback's bit in an
 * atomic word and writes the bell's eventfd; the base's read event on
 * that eventfd takes the word and runs the callbacks whose bits were set.
 * A ring that lands while the callbacks run leaves the eventfd readable,
 * so it is never lost; two rings before the loop looks run the callback
 * once.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "net/net_int.h"

#define NET_BELL_MAX	16	/* callbacks per bell */

struct net_bell {
	int fd;				/* eventfd, non-blocking */
	struct event *ev;		/* its read event on the owner's base */
	_Atomic uint32_t pending;	/* bit i: run fn[i] */
	unsigned n;
	net_bell_fn fn[NET_BELL_MAX];
	void *arg[NET_BELL_MAX];
};

static void
net_bell_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_bell *b = arg;
	uint64_t v;
	uint32_t bits;
	unsigned i;

	(void)what;
	/* Read first: a ring after this read writes the eventfd again. */
	while (read(fd, &v, sizeof(v)) == -1 && errno == EINTR)
		;
	bits = atomic_exchange_explicit(&b->pending, 0, memory_order_acq_rel);
	for (i = 0; i < b->n; i++)
		if (bits & (1u << i))
			b->fn[i](b->arg[i]);
}

struct net_bell *
net_bell_new(struct event_base *base)
{
	struct net_bell *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	atomic_init(&b->pending, 0);
	b->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->fd == -1)
		goto fail;
	b->ev = event_new(base, b->fd, EV_READ | EV_PERSIST, net_bell_cb, b);
	if (b->ev == NULL || event_add(b->ev, NULL) == -1)
		goto fail;
	return b;
fail:
	net_bell_free(b);
	return NULL;
}

int
net_bell_add(struct net_bell *b, net_bell_fn fn, void *arg)
{
	if (b == NULL || b->n == NET_BELL_MAX)
		return -1;
	b->fn[b->n] = fn;
	b->arg[b->n] = arg;
	return (int)b->n++;
}

void
net_bell_ring(struct net_bell *b, int bit)
{
	const uint64_t one = 1;

	if (b == NULL || bit < 0 || bit >= NET_BELL_MAX)
		return;
	atomic_fetch_or_explicit(&b->pending, 1u << bit, memory_order_acq_rel);
	/* Fails only when the counter is full, and then it is readable. */
	while (write(b->fd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

void
net_bell_free(struct net_bell *b)
{
	if (b == NULL)
		return;
	if (b->ev != NULL)
		event_free(b->ev);
	if (b->fd != -1)
		close(b->fd);
	free(b);
}
