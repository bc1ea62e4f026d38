/* SPDX-License-Identifier: ISC */
/*
 * Setting up the generator's allocations: over TURN with the project's
 * client (Allocate with the 401 round trip, RFC 8489 §9.2; CreatePermission,
 * RFC 8656 §10; ChannelBind, §12), with the forwarder's one-datagram
 * set-up, or a socket pair for the generator alone. Several threads set up
 * allocations at once, each one allocation at a time. See bench.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_RCVBUF	(1 << 20)
#define BENCH_REST_TTL	3600

struct bench_setup_ctx {
	struct bench_run *r;
	atomic_uint next;
	atomic_bool failed;
	pthread_mutex_t mu;
	char err[300];		/* the first failure, under mu */
};

static void
bench_rcvbuf(int fd)
{
	int v = BENCH_RCVBUF;

	/* Best effort: net.core.rmem_max caps it. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

/* A non-blocking UDP socket bound to ip (port 0); its address in *a. */
static int
bench_udp_open(const struct addr *ip, struct addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr b = *ip;
	int fd;

	addr_set_port(&b, 0);
	fd = socket(addr_family(&b), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (bind(fd, &b.u.sa, addr_len(&b)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(a, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The REST credential of allocation idx (README.md: "<expiry>:<id>"), or
 * the long-term user. 0 or -1. */
static int
bench_creds(const struct bench_opts *o, unsigned idx, char *user, size_t ucap,
    char *pass, size_t pcap)
{
	char id[32];

	if (o->secret_len == 0) {
		snprintf(user, ucap, "%s", o->user);
		snprintf(pass, pcap, "%s", o->pass);
		return 0;
	}
	snprintf(id, sizeof(id), "bench%u", idx);
	return client_creds_make(o->secret, o->secret_len, id, ':',
	    (uint64_t)time(NULL) + BENCH_REST_TTL, user, ucap, pass, pcap);
}

/* The peer socket: on our own address as the server sees it, so that a
 * remote relay can reach it too. */
static int
bench_peer_open(struct bench_run *r, struct bench_alloc *a,
    const struct addr *local)
{
	if (r->o.hold) {
		a->pfd = -1;	/* every allocation names the one peer */
		return 0;
	}
	if ((a->pfd = bench_udp_open(local, &a->peer)) == -1)
		return -1;
	bench_rcvbuf(a->pfd);
	return 0;
}

static int
bench_turn_steps(struct bench_alloc *a, char *err, size_t cap)
{
	int rc;

	if ((rc = client_turn_allocate(a->t, NULL, BENCH_TIMEOUT_MS)) != 0) {
		snprintf(err, cap, "Allocate: %d (%s)", rc,
		    rc < 0 ? client_strerror(rc) : "error response");
		return rc == 437 ? 437 : -1;
	}
	a->relayed = a->t->relayed;
	if ((rc = client_turn_permit(a->t, &a->peer, 1,
	    BENCH_TIMEOUT_MS)) != 0) {
		snprintf(err, cap, "CreatePermission: %d", rc);
		return -1;
	}
	if ((rc = client_turn_channel_bind(a->t, BENCH_CHANNEL, &a->peer,
	    BENCH_TIMEOUT_MS)) != 0) {
		snprintf(err, cap, "ChannelBind: %d", rc);
		return -1;
	}
	a->channel = BENCH_CHANNEL;
	return 0;
}

static int
bench_setup_turn(struct bench_run *r, struct bench_alloc *a, unsigned idx,
    char *err, size_t cap)
{
	char user[CLIENT_TURN_USER_MAX + 1], pass[CLIENT_TURN_PASS_MAX + 1];
	struct client *c;
	int rc = -1, tries;

	if (bench_creds(&r->o, idx, user, sizeof(user), pass,
	    sizeof(pass)) == -1) {
		snprintf(err, cap, "cannot make the credential");
		goto out;
	}
	if ((a->t = calloc(1, sizeof(*a->t))) == NULL) {
		snprintf(err, cap, "out of memory");
		goto out;
	}
	for (tries = 0;; tries++) {
		if (client_turn_init(a->t, a->c, user, pass) != 0) {
			snprintf(err, cap, "client_turn_init failed");
			goto out;
		}
		if ((rc = bench_turn_steps(a, err, cap)) != 437 || tries == 2)
			break;
		/* 437 (RFC 8656 §7.2): an allocation of an earlier run
		 * still holds this 5-tuple, its port having come round
		 * again. Another socket, opened before this one closes. */
		if (client_open(&c, CLIENT_UDP, &r->o.server, NULL, NULL,
		    BENCH_TIMEOUT_MS, err, cap) != 0)
			goto out;
		client_free(a->c);
		a->c = c;
	}
	if (rc != 0) {
		rc = -1;
		goto out;
	}
	if (r->o.hold) {
		/* Only the socket must live on: the server holds the rest. */
		client_turn_clear(a->t);
		free(a->t);
		a->t = NULL;
	}
	rc = 0;
out:
	explicit_bzero(pass, sizeof(pass));
	return rc;
}

static int
bench_setup_fwd(struct bench_alloc *a, char *err, size_t cap)
{
	uint8_t m[BENCH_FW_LEN], resp[64];
	long n = 0;
	int i;

	bench_fw_encode(m, BENCH_CHANNEL, &a->peer);
	for (i = 0; i < 5; i++) {
		if (client_send_raw(a->c, m, sizeof(m)) != 0)
			break;
		n = client_recv_raw(a->c, resp, sizeof(resp), 500);
		if (n > 0 && bench_fw_decode(resp, (size_t)n, &a->relayed,
		    NULL) == 0) {
			a->channel = BENCH_CHANNEL;
			return 0;
		}
	}
	snprintf(err, cap, "the forwarder did not answer the set-up (%ld)", n);
	return -1;
}

static int
bench_setup_direct(struct bench_run *r, struct bench_alloc *a)
{
	struct addr caddr;

	if ((a->cfd = bench_udp_open(&r->o.server, &caddr)) == -1 ||
	    (a->pfd = bench_udp_open(&r->o.server, &a->peer)) == -1)
		return -1;
	bench_rcvbuf(a->cfd);
	bench_rcvbuf(a->pfd);
	a->relayed = caddr;	/* the peer talks to the client itself */
	a->channel = BENCH_CHANNEL;
	return connect(a->cfd, &a->peer.u.sa, addr_len(&a->peer));
}

/* One allocation of any kind; its peer socket ends connected to the
 * relayed address. 0 or -1 with a message in err. */
static int
bench_setup_one(struct bench_run *r, unsigned idx, char *err, size_t cap)
{
	struct bench_alloc *a = &r->a[idx];

	if (r->o.kind == BENCH_DIRECT) {
		if (bench_setup_direct(r, a) == -1)
			goto sock;
		goto connect;
	}
	if (client_open(&a->c, CLIENT_UDP, &r->o.server, NULL, NULL,
	    BENCH_TIMEOUT_MS, err, cap) != 0)
		return -1;
	if (bench_peer_open(r, a, client_local(a->c)) == -1)
		goto sock;
	if (r->o.hold)
		a->peer = r->shared_peer;
	if (r->o.kind == BENCH_FWD ? bench_setup_fwd(a, err, cap) :
	    bench_setup_turn(r, a, idx, err, cap))
		return -1;
	a->cfd = client_fd(a->c);	/* the last socket tried */
	if (!r->o.hold)
		bench_rcvbuf(a->cfd);
connect:
	if (a->pfd != -1 &&
	    connect(a->pfd, &a->relayed.u.sa, addr_len(&a->relayed)) == -1)
		goto sock;
	return 0;
sock:
	snprintf(err, cap, "socket: %s", strerror(errno));
	return -1;
}

static void *
bench_setup_thread(void *arg)
{
	struct bench_setup_ctx *x = arg;
	struct bench_run *r = x->r;
	char err[256];
	unsigned i;

	while (!atomic_load(&x->failed) &&
	    (i = atomic_fetch_add(&x->next, 1)) < r->o.allocs) {
		err[0] = '\0';
		if (bench_setup_one(r, i, err, sizeof(err)) == 0)
			continue;
		pthread_mutex_lock(&x->mu);
		if (!atomic_exchange(&x->failed, true))
			snprintf(x->err, sizeof(x->err), "allocation %u: %s",
			    i, err);
		pthread_mutex_unlock(&x->mu);
	}
	return NULL;
}

/* Hold mode: one peer socket every allocation names, that never sends. */
static int
bench_shared_peer(struct bench_run *r)
{
	struct addr local;
	struct client *c = NULL;
	char err[128];
	int rc;

	/* Our address as the server sees it: that of a client socket. */
	if (client_open(&c, CLIENT_UDP, &r->o.server, NULL, NULL,
	    BENCH_TIMEOUT_MS, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern-bench: %s\n", err);
		return -1;
	}
	local = *client_local(c);
	client_free(c);
	rc = r->shared_pfd = bench_udp_open(&local, &r->shared_peer);
	return rc == -1 ? -1 : 0;
}

int
bench_setup(struct bench_run *r)
{
	pthread_t th[BENCH_MAX_THREADS];
	struct bench_setup_ctx x = { .r = r };
	unsigned i, nt = r->o.setup_threads;
	uint64_t t0;

	r->shared_pfd = -1;
	if ((r->a = calloc(r->o.allocs, sizeof(*r->a))) == NULL)
		return -1;
	for (i = 0; i < r->o.allocs; i++)
		r->a[i].cfd = r->a[i].pfd = -1;
	if (r->o.hold && bench_shared_peer(r) == -1)
		return -1;
	pthread_mutex_init(&x.mu, NULL);
	atomic_init(&x.next, 0);
	atomic_init(&x.failed, false);
	if (nt > r->o.allocs)
		nt = r->o.allocs;
	t0 = bench_now_ns();
	for (i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, bench_setup_thread, &x) != 0)
			break;
	nt = i;
	for (i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	r->setup_s = (double)(bench_now_ns() - t0) / 1e9;
	r->n = r->o.allocs;
	pthread_mutex_destroy(&x.mu);
	if (nt == 0 || atomic_load(&x.failed)) {
		fprintf(stderr, "tern-bench: set-up failed: %s\n",
		    nt == 0 ? "no thread" : x.err);
		return -1;
	}
	return 0;
}

void
bench_teardown(struct bench_run *r, bool delete)
{
	struct bench_alloc *a;
	unsigned i;

	for (i = 0; r->a != NULL && i < r->n; i++) {
		a = &r->a[i];
		if (a->t != NULL) {
			if (delete)
				(void)client_turn_refresh(a->t, 0, 3000);
			client_turn_clear(a->t);
			free(a->t);
		}
		if (a->c != NULL)
			client_free(a->c);	/* closes cfd */
		else if (a->cfd != -1)
			close(a->cfd);
		if (a->pfd != -1)
			close(a->pfd);
	}
	if (r->shared_pfd != -1)
		close(r->shared_pfd);
	free(r->a);
	r->a = NULL;
	r->n = 0;
}
