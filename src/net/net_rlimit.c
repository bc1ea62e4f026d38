/* SPDX-License-Identifier: ISC */
/*
 * The open-file limit (docs/security.md, TCP/TLS exhaustion). Every TCP or
 * TLS connection and every relay socket is a file descriptor. With the
 * usual soft limit of 1024, a few sources holding max-connections-per-ip
 * connections each would use up the descriptors, and UDP Allocates would
 * then fail to open their relay sockets: the caps would not be the limits
 * that hold. So at start-up ternd raises RLIMIT_NOFILE to what its own
 * caps need, up to the hard limit, and refuses to start when the hard
 * limit is lower, naming both numbers.
 *
 * What the caps need:
 *   max-connections
 *   + relay sockets: per relay IP family, total-quota (a dual allocation,
 *     RFC 8656 §7.2, holds one socket per family), but never more than the
 *     relay port range times the family's relay IPs holds (every relay IP
 *     is used); all of those when total-quota is 0
 *   + every worker's listeners and its event loop's own descriptors
 *   + NET_RLIMIT_MARGIN for the rest (Redis, the metrics endpoint and its
 *     connections, the log, files read at reload).
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/net_int.h"
#include "util/log.h"

#define NET_RLIMIT_MARGIN	256
#define NET_RLIMIT_PER_WORKER	4	/* epoll, the wake-up eventfd, spare */

/* Relay sockets one family with nip relay IPs can hold at once. */
static uint64_t
net_rlimit_relays(const struct config *c, size_t nip)
{
	uint64_t ports = 0;

	if (c->max_port >= c->min_port)
		ports = ((uint64_t)c->max_port - c->min_port + 1) * nip;
	if (c->total_quota != 0 && c->total_quota < ports)
		return c->total_quota;
	return ports;
}

static uint64_t
net_rlimit_need(const struct net *n, const struct config *c)
{
	uint64_t need;

	need = (uint64_t)c->max_connections +
	    net_rlimit_relays(c, n->nrelay_ip[0]) +
	    net_rlimit_relays(c, n->nrelay_ip[1]);
	need += (uint64_t)n->nworkers * (n->nspecs + NET_RLIMIT_PER_WORKER);
	return need + NET_RLIMIT_MARGIN;
}

int
net_rlimit_raise(const struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	uint64_t need = net_rlimit_need(n, c);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errcap, "RLIMIT_NOFILE: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errcap, "RLIMIT_NOFILE: need %llu, hard limit "
		    "%llu; raise it (LimitNOFILE= in the systemd unit) or lower "
		    "max-connections/total-quota", (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errcap, "RLIMIT_NOFILE: raising it to %llu: %s",
		    (unsigned long long)need, strerror(errno));
		return -1;
	}
	log_info("rlimit_nofile", "soft=%llu", (unsigned long long)need);
	return 0;
}
