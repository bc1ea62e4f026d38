/* SPDX-License-Identifier: ISC */
/*
 * The bare forwarder, the physical reference of README.md's Performance
 * table:
 *     tern-bench forwarder [--listen IP:PORT] [--relay-ip IP] [--workers N]
 *         [--allow-remote]
 * Shaped like a TURN relay (RFC 8656 §2): each worker thread owns a
 * listening socket (SO_REUSEPORT, as ternd's listeners, so a client's
 * datagrams always reach the same worker) and every "allocation" has a
 * relay socket of its own on the relay IP. A worker loops: recvmmsg a
 * batch, look each source up in its table fixed at set-up, sendmmsg the
 * batch on. From a client, a ChannelData message (RFC 8656 §12.4) loses its
 * 4-byte header and goes to the client's peer from the allocation's relay
 * socket; from the peer, the datagram gains the header and goes to the
 * client from the listening socket. That is the byte work of a TURN relay
 * and nothing more: no STUN, no authentication, no permission check, no
 * timer.
 *
 * Set-up: a client sends BENCH_FW_LEN bytes naming its channel and peer
 * (bench.h); the worker that receives it opens the relay socket and
 * answers with its address. Entries are never removed (a later client on
 * the same address takes its entry over), and each worker's table is its
 * own: no lock.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define FWD_SLOTS	8192u	/* per worker; at most half are used */
#define FWD_BATCH	64
#define FWD_BUF		2048
#define FWD_ROUNDS	8
#define FWD_MAX_WORKERS	BENCH_MAX_THREADS

struct fwd_key {
	uint8_t fam;
	uint8_t zero;
	uint16_t port;
	uint8_t ip[16];
};

struct fwd_alloc {
	bool used;
	struct fwd_key key;	/* the client's address */
	struct addr client, peer;
	int rfd;		/* the relay socket */
	uint16_t channel;
};

struct fwd {
	struct addr listen, relay;
	atomic_bool stop;
};

struct fwd_worker {
	struct fwd *f;
	int lfd, ep;
	struct fwd_alloc *tab;	/* FWD_SLOTS, open addressing */
	unsigned used;
	pthread_t th;
	struct mmsghdr rmsg[FWD_BATCH], smsg[FWD_BATCH];
	struct iovec riov[FWD_BATCH], siov[FWD_BATCH];
	struct sockaddr_storage from[FWD_BATCH];
	uint8_t buf[FWD_BATCH][FWD_BUF + STUN_CHANNEL_HEADER_LEN];
};

static void
fwd_key_make(struct fwd_key *k, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;

	memset(k, 0, sizeof(*k));
	k->fam = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		k->port = s4->sin_port;
		memcpy(k->ip, &s4->sin_addr, 4);
	} else {
		k->port = s6->sin6_port;
		memcpy(k->ip, &s6->sin6_addr, 16);
	}
}

static uint32_t
fwd_hash(const struct fwd_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The allocation of client ss, or the free slot where it would go (NULL
 * when the table is full). */
static struct fwd_alloc *
fwd_slot(struct fwd_worker *w, const struct sockaddr_storage *ss,
    struct fwd_key *k)
{
	struct fwd_alloc *e;
	uint32_t h, i;

	fwd_key_make(k, ss);
	h = fwd_hash(k);
	for (i = 0; i < FWD_SLOTS; i++) {
		e = &w->tab[(h + i) & (FWD_SLOTS - 1)];
		if (!e->used || memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	}
	return NULL;
}

static struct fwd_alloc *
fwd_find(struct fwd_worker *w, const struct sockaddr_storage *ss)
{
	struct fwd_alloc *e;
	struct fwd_key k;

	e = fwd_slot(w, ss, &k);
	return e != NULL && e->used ? e : NULL;
}

/* A UDP socket on a (SO_REUSEPORT when shared); a port 0 becomes the
 * one chosen. */
static int
fwd_bind(struct addr *a, bool reuse)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, on = 1;

	fd = socket(addr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1) ||
	    bind(fd, &a->u.sa, addr_len(a)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(a, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A new allocation in slot e: its relay socket, watched by this worker. */
static int
fwd_alloc_open(struct fwd_worker *w, struct fwd_alloc *e,
    const struct fwd_key *k, const struct addr *client,
    const struct addr *peer, uint16_t channel)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = e };
	struct addr relay = w->f->relay;

	if (w->used >= FWD_SLOTS / 2 ||
	    (e->rfd = fwd_bind(&relay, false)) == -1)
		return -1;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, e->rfd, &ev) == -1) {
		close(e->rfd);
		return -1;
	}
	e->key = *k;
	e->client = *client;
	e->peer = *peer;
	e->channel = channel;
	e->used = true;
	w->used++;
	return 0;
}

/* A client names its channel and peer; the answer names its relay
 * address (a set-up sent again gets the same answer). */
static void
fwd_setup(struct fwd_worker *w, const uint8_t *p, size_t len,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint8_t resp[BENCH_FW_LEN];
	struct addr peer, client, relay;
	struct fwd_alloc *e;
	struct fwd_key k;
	uint16_t channel;

	if (bench_fw_decode(p, len, &peer, &channel) == -1 ||
	    addr_from_sockaddr(&client, (const struct sockaddr *)from,
	    fromlen) == -1 || (e = fwd_slot(w, from, &k)) == NULL)
		return;
	if (!e->used && fwd_alloc_open(w, e, &k, &client, &peer,
	    channel) == -1)
		return;
	/* A known client naming another peer is a new client whose port
	 * came round again (a set-up sent again names the same one). */
	e->peer = peer;
	e->channel = channel;
	if (getsockname(e->rfd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(&relay, (struct sockaddr *)&ss, sl) == -1)
		return;
	bench_fw_encode(resp, e->channel, &relay);
	(void)sendto(w->lfd, resp, sizeof(resp), 0,
	    (const struct sockaddr *)from, fromlen);
}

static void
fwd_send(int fd, struct mmsghdr *m, unsigned n)
{
	unsigned done = 0;
	int k;

	while (done < n) {
		k = sendmmsg(fd, m + done, n - done, 0);
		if (k > 0)
			done += (unsigned)k;
		else if (k == -1 && errno == EINTR)
			continue;
		else
			done++;	/* UDP: the datagram that failed is lost */
	}
}

/* recvmmsg into the slots at offset off (room for a header in front);
 * the sources only when asked. */
static int
fwd_recv(struct fwd_worker *w, int fd, size_t off, bool from)
{
	struct msghdr *h;
	unsigned i;

	for (i = 0; i < FWD_BATCH; i++) {
		w->riov[i].iov_base = w->buf[i] + off;
		w->riov[i].iov_len = FWD_BUF;
		h = &w->rmsg[i].msg_hdr;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &w->riov[i];
		h->msg_iovlen = 1;
		if (from) {
			h->msg_name = &w->from[i];
			h->msg_namelen = sizeof(w->from[i]);
		}
	}
	return recvmmsg(fd, w->rmsg, FWD_BATCH, MSG_DONTWAIT, NULL);
}

static void
fwd_queue(struct fwd_worker *w, unsigned out, const struct addr *to,
    uint8_t *p, size_t len)
{
	struct msghdr *h = &w->smsg[out].msg_hdr;

	w->siov[out].iov_base = p;
	w->siov[out].iov_len = len;
	memset(h, 0, sizeof(*h));
	h->msg_iov = &w->siov[out];
	h->msg_iovlen = 1;
	h->msg_name = (void *)(uintptr_t)&to->u.sa;
	h->msg_namelen = addr_len(to);
}

/*
 * Client to peer: check and strip the ChannelData header (RFC 8656
 * §12.4). Consecutive datagrams of one allocation leave in one sendmmsg
 * on its relay socket.
 */
static void
fwd_clients_batch(struct fwd_worker *w, unsigned k)
{
	struct fwd_alloc *e, *run = NULL;
	unsigned i, out = 0;
	size_t len, dlen;
	uint8_t *p;

	for (i = 0; i < k; i++) {
		p = w->buf[i];
		len = w->rmsg[i].msg_len;
		if (len >= 4 && p[0] == 'T') {
			fwd_setup(w, p, len, &w->from[i],
			    w->rmsg[i].msg_hdr.msg_namelen);
			continue;
		}
		if (len < 4 || (p[0] & 0xc0) != 0x40)
			continue;
		dlen = (size_t)(p[2] << 8 | p[3]);
		if (dlen > len - 4 || (e = fwd_find(w, &w->from[i])) == NULL ||
		    e->channel != (uint16_t)(p[0] << 8 | p[1]))
			continue;
		if (run != NULL && e != run) {
			fwd_send(run->rfd, w->smsg, out);
			out = 0;
		}
		run = e;
		fwd_queue(w, out++, &e->peer, p + 4, dlen);
	}
	if (run != NULL && out > 0)
		fwd_send(run->rfd, w->smsg, out);
}

/* Peer to client: the datagram sits after 4 bytes of room; write the
 * header there (over UDP no padding follows, RFC 8656 §12.5). */
static void
fwd_peer_batch(struct fwd_worker *w, const struct fwd_alloc *e, unsigned k)
{
	unsigned i, out = 0;
	size_t len;
	uint8_t *p;

	for (i = 0; i < k; i++) {
		p = w->buf[i];
		len = w->rmsg[i].msg_len;
		if (len > 0xffff)
			continue;
		p[0] = (uint8_t)(e->channel >> 8);
		p[1] = (uint8_t)e->channel;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		fwd_queue(w, out++, &e->client, p, len + 4);
	}
	fwd_send(w->lfd, w->smsg, out);
}

/* Drains one socket: the listener (e == NULL) or a relay. */
static void
fwd_pump(struct fwd_worker *w, const struct fwd_alloc *e)
{
	int k, round;

	for (round = 0; round < FWD_ROUNDS; round++) {
		if (e == NULL)
			k = fwd_recv(w, w->lfd, 0, true);
		else
			k = fwd_recv(w, e->rfd, STUN_CHANNEL_HEADER_LEN, false);
		if (k <= 0)
			break;
		if (e == NULL)
			fwd_clients_batch(w, (unsigned)k);
		else
			fwd_peer_batch(w, e, (unsigned)k);
		if (k < FWD_BATCH)
			break;
	}
}

static void *
fwd_worker_run(void *arg)
{
	struct fwd_worker *w = arg;
	struct epoll_event ev[64];
	int i, n;

	while (!atomic_load(&w->f->stop)) {
		n = epoll_wait(w->ep, ev, 64, 100);
		if (n == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			fwd_pump(w, ev[i].data.ptr);
	}
	return NULL;
}

static int
fwd_worker_open(struct fwd *f, struct fwd_worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	w->f = f;
	if ((w->tab = calloc(FWD_SLOTS, sizeof(*w->tab))) == NULL ||
	    (w->lfd = fwd_bind(&f->listen, true)) == -1 ||
	    (w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	return epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev);
}

static void
fwd_worker_close(struct fwd_worker *w)
{
	unsigned i;

	for (i = 0; w->tab != NULL && i < FWD_SLOTS; i++)
		if (w->tab[i].used)
			close(w->tab[i].rfd);
	free(w->tab);
	if (w->lfd != -1)
		close(w->lfd);
	if (w->ep != -1)
		close(w->ep);
}

static int
fwd_args(int argc, char **argv, struct fwd *f, unsigned *nw)
{
	const char *listen = "127.0.0.1:0", *relay = "127.0.0.1";
	bool remote = false;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--allow-remote") == 0) {
			remote = true;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "--listen") == 0)
			listen = argv[++i];
		else if (strcmp(argv[i], "--relay-ip") == 0)
			relay = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0) {
			*nw = (unsigned)strtoul(argv[++i], &end, 10);
			if (*end != '\0' || *nw == 0 || *nw > FWD_MAX_WORKERS)
				return -1;
		} else
			return -1;
	}
	if (addr_parse(&f->listen, listen, 0) == -1 ||
	    addr_parse_ip(&f->relay, relay, 0) == -1)
		return -1;
	if (!remote && (!bench_addr_is_loopback(&f->listen) ||
	    !bench_addr_is_loopback(&f->relay))) {
		fprintf(stderr, "tern-bench forwarder: not loopback "
		    "(--allow-remote)\n");
		return -1;
	}
	return 0;
}

static int
fwd_start(struct fwd *f, struct fwd_worker *w, unsigned nw)
{
	char l[ADDR_STRLEN], r[ADDR_STRLEN];
	unsigned i;

	for (i = 0; i < nw; i++)
		if (fwd_worker_open(f, &w[i]) == -1) {
			fprintf(stderr, "tern-bench forwarder: %s\n",
			    strerror(errno));
			return -1;
		}
	for (i = 0; i < nw; i++)
		if (pthread_create(&w[i].th, NULL, fwd_worker_run, &w[i]) != 0)
			abort();	/* the others would run forever */
	printf("forwarder listen=%s relay=%s workers=%u\n",
	    addr_str(&f->listen, l, sizeof(l)), addr_ip_str(&f->relay, r,
	    sizeof(r)), nw);
	fflush(stdout);
	return 0;
}

int
bench_fwd_main(int argc, char **argv)
{
	struct fwd_worker *w = NULL;
	struct fwd f = { 0 };
	unsigned i, nw = 2;
	sigset_t set;
	int sig, rc = 1;

	if (fwd_args(argc, argv, &f, &nw) == -1) {
		fprintf(stderr, "usage: tern-bench forwarder "
		    "[--listen IP:PORT] [--relay-ip IP] [--workers N] "
		    "[--allow-remote]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* workers inherit it */
	if ((w = calloc(nw, sizeof(*w))) == NULL)
		goto out;
	for (i = 0; i < nw; i++)
		w[i].lfd = w[i].ep = -1;
	if (fwd_start(&f, w, nw) == -1)
		goto out;
	while (sigwait(&set, &sig) != 0)
		continue;
	atomic_store(&f.stop, true);
	for (i = 0; i < nw; i++)
		pthread_join(w[i].th, NULL);
	rc = 0;
out:
	for (i = 0; w != NULL && i < nw; i++)
		fwd_worker_close(&w[i]);
	free(w);
	return rc;
}
