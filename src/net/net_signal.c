/* SPDX-License-Identifier: ISC */
/*
 * The main thread's loop: it only waits for signals. SIGTERM and SIGINT end
 * it (the caller then stops the workers); SIGHUP runs the caller's reload
 * from the loop, never from a signal handler, so the reload may allocate,
 * log and take locks. SIGUSR1 runs the caller's usr1 (the drain, which
 * ends the loop with net_break() when it is over). SIGPIPE is ignored: a
 * client that goes away must never kill the daemon. The caller may run
 * its own events on the loop (Redis, timers) from m->started.
 */
#include <pthread.h>
#include <signal.h>

#include <event2/event.h>

#include "net/net_int.h"
#include "util/log.h"

#define NET_NSIGS	4

struct net_sig {
	struct net *n;
	struct event_base *base;
	const struct net_main *m;
};

static void
net_sig_cb(evutil_socket_t sig, short what, void *arg)
{
	struct net_sig *s = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (s->m->hup != NULL)
			s->m->hup(s->m->arg);
		return;
	}
	if (sig == SIGUSR1) {
		if (s->m->usr1 != NULL)
			s->m->usr1(s->m->arg);
		return;
	}
	log_info("stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
	event_base_loopbreak(s->base);
}

void
net_break(struct net *n)
{
	if (n->main_base != NULL)
		event_base_loopbreak(n->main_base);
}

int
net_run(struct net *n, const struct net_main *m)
{
	static const int sigs[NET_NSIGS] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct event *ev[NET_NSIGS] = { NULL, NULL, NULL, NULL };
	struct net_sig s = { n, NULL, m };
	sigset_t set;
	int rv = -1;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if ((s.base = event_base_new()) == NULL)
		goto out;
	n->main_base = s.base;
	if (m->started != NULL && m->started(m->arg, s.base) == -1)
		goto out;
	for (i = 0; i < NET_NSIGS; i++) {
		ev[i] = evsignal_new(s.base, sigs[i], net_sig_cb, &s);
		if (ev[i] == NULL || event_add(ev[i], NULL) == -1)
			goto out;
	}
	/* The caller blocks these until now, so that one sent during start-up
	 * waits for its handler instead of killing the process. */
	sigemptyset(&set);
	for (i = 0; i < NET_NSIGS; i++)
		sigaddset(&set, sigs[i]);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (event_base_dispatch(s.base) == -1)
		goto out;
	rv = 0;
out:
	if (m->stopping != NULL)
		m->stopping(m->arg);
	n->main_base = NULL;
	for (i = 0; i < NET_NSIGS; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	if (s.base != NULL)
		event_base_free(s.base);
	return rv;
}
