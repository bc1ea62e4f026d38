/* SPDX-License-Identifier: ISC */
/*
 * The bare forwarder, the physical reference of README.md's Performance
 * table:
 *     tern-bench forwarder [--listen IP:PORT] [--relay-ip IP] [--workers N]
 *         [--allow-remote]
 * Each worker thread owns a listening socket and a relay socket (both
 * SO_REUSEPORT, like ternd's listeners) and loops: recvmmsg a batch,
 * look each source up in a table fixed at set-up, sendmmsg the batch on.
 * From a client, a ChannelData message (RFC 8656 §12.4) loses its 4-byte
 * header and goes to the client's peer from the relay socket; from a peer,
 * the datagram gains the header and goes to the client from the listening
 * socket. That is the byte work of a TURN relay and nothing more: no
 * STUN, no authentication, no permission or timer, one relay address for
 * every "allocation" (so sends batch across them).
 *
 * Set-up: a client sends BENCH_FW_LEN bytes naming its channel and peer
 * (bench.h); the answer names the relay address. Entries are never
 * removed; the table is written under a mutex and read without a lock
 * (an entry is published by a release store of its state).
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

#define FWD_SLOTS	8192u	/* per table; at most half are used */
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

struct fwd_entry {
	atomic_uint state;	/* 0 empty, 1 published */
	struct fwd_key key;
	struct addr to;
	uint16_t channel;
};

struct fwd {
	struct fwd_entry *by_client, *by_peer;
	unsigned used;		/* under mu */
	pthread_mutex_t mu;
	struct addr listen, relay;
	atomic_bool stop;
};

struct fwd_worker {
	struct fwd *f;
	int lfd, rfd, ep;
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

/* The published entry for k, or the empty slot where it would go. */
static struct fwd_entry *
fwd_slot(struct fwd_entry *t, const struct fwd_key *k, bool *found)
{
	uint32_t h = fwd_hash(k), i;
	struct fwd_entry *e;

	for (i = 0; i < FWD_SLOTS; i++) {
		e = &t[(h + i) & (FWD_SLOTS - 1)];
		if (atomic_load_explicit(&e->state,
		    memory_order_acquire) == 0) {
			*found = false;
			return e;
		}
		if (memcmp(&e->key, k, sizeof(*k)) == 0) {
			*found = true;
			return e;
		}
	}
	*found = false;
	return NULL;
}

static const struct fwd_entry *
fwd_find(struct fwd_entry *t, const struct sockaddr_storage *ss)
{
	struct fwd_key k;
	bool found;
	struct fwd_entry *e;

	fwd_key_make(&k, ss);
	e = fwd_slot(t, &k, &found);
	return found ? e : NULL;
}

static void
fwd_publish(struct fwd_entry *t, const struct sockaddr_storage *key,
    const struct addr *to, uint16_t channel)
{
	struct fwd_entry *e;
	struct fwd_key k;
	bool found;

	fwd_key_make(&k, key);
	if ((e = fwd_slot(t, &k, &found)) == NULL || found)
		return;	/* a set-up sent again: the first one stands */
	e->key = k;
	e->to = *to;
	e->channel = channel;
	atomic_store_explicit(&e->state, 1, memory_order_release);
}

/* A client names its channel and peer; the answer names the relay. */
static void
fwd_setup(struct fwd_worker *w, const uint8_t *p, size_t len,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct fwd *f = w->f;
	struct sockaddr_storage pss;
	uint8_t resp[BENCH_FW_LEN];
	struct addr peer, client;
	uint16_t channel;

	if (bench_fw_decode(p, len, &peer, &channel) == -1 ||
	    addr_from_sockaddr(&client, (const struct sockaddr *)from,
	    fromlen) == -1)
		return;
	memcpy(&pss, &peer.u.ss, sizeof(pss));
	pthread_mutex_lock(&f->mu);
	if (f->used < FWD_SLOTS / 2) {
		fwd_publish(f->by_client, from, &peer, channel);
		fwd_publish(f->by_peer, &pss, &client, channel);
		f->used++;
	}
	pthread_mutex_unlock(&f->mu);
	bench_fw_encode(resp, channel, &f->relay);
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

/* recvmmsg into the slots at offset off (room for a header in front). */
static int
fwd_recv(struct fwd_worker *w, int fd, size_t off)
{
	unsigned i;

	for (i = 0; i < FWD_BATCH; i++) {
		w->riov[i].iov_base = w->buf[i] + off;
		w->riov[i].iov_len = FWD_BUF;
		memset(&w->rmsg[i].msg_hdr, 0, sizeof(w->rmsg[i].msg_hdr));
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
		w->rmsg[i].msg_hdr.msg_name = &w->from[i];
		w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
	}
	return recvmmsg(fd, w->rmsg, FWD_BATCH, MSG_DONTWAIT, NULL);
}

static void
fwd_queue(struct fwd_worker *w, unsigned out, const struct fwd_entry *e,
    uint8_t *p, size_t len)
{
	w->siov[out].iov_base = p;
	w->siov[out].iov_len = len;
	memset(&w->smsg[out].msg_hdr, 0, sizeof(w->smsg[out].msg_hdr));
	w->smsg[out].msg_hdr.msg_iov = &w->siov[out];
	w->smsg[out].msg_hdr.msg_iovlen = 1;
	w->smsg[out].msg_hdr.msg_name = (void *)(uintptr_t)&e->to.u.sa;
	w->smsg[out].msg_hdr.msg_namelen = addr_len(&e->to);
}

/* Client to peer: check and strip the ChannelData header (RFC 8656 §12.4). */
static unsigned
fwd_clients_batch(struct fwd_worker *w, unsigned k)
{
	const struct fwd_entry *e;
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
		if (dlen > len - 4 ||
		    (e = fwd_find(w->f->by_client, &w->from[i])) == NULL ||
		    e->channel != (uint16_t)(p[0] << 8 | p[1]))
			continue;
		fwd_queue(w, out++, e, p + 4, dlen);
	}
	return out;
}

/* Peer to client: the datagram sits after 4 bytes of room; write the
 * header there (over UDP no padding follows, RFC 8656 §12.5). */
static unsigned
fwd_peers_batch(struct fwd_worker *w, unsigned k)
{
	const struct fwd_entry *e;
	unsigned i, out = 0;
	size_t len;
	uint8_t *p;

	for (i = 0; i < k; i++) {
		p = w->buf[i];
		len = w->rmsg[i].msg_len;
		if (len > 0xffff ||
		    (e = fwd_find(w->f->by_peer, &w->from[i])) == NULL)
			continue;
		p[0] = (uint8_t)(e->channel >> 8);
		p[1] = (uint8_t)e->channel;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		fwd_queue(w, out++, e, p, len + 4);
	}
	return out;
}

static void
fwd_pump(struct fwd_worker *w, bool from_clients)
{
	int k, round;
	unsigned out;

	for (round = 0; round < FWD_ROUNDS; round++) {
		k = fwd_recv(w, from_clients ? w->lfd : w->rfd,
		    from_clients ? 0 : STUN_CHANNEL_HEADER_LEN);
		if (k <= 0)
			break;
		if (from_clients) {
			out = fwd_clients_batch(w, (unsigned)k);
			fwd_send(w->rfd, w->smsg, out);
		} else {
			out = fwd_peers_batch(w, (unsigned)k);
			fwd_send(w->lfd, w->smsg, out);
		}
		if (k < FWD_BATCH)
			break;
	}
}

static void *
fwd_worker_run(void *arg)
{
	struct fwd_worker *w = arg;
	struct epoll_event ev[2];
	int i, n;

	while (!atomic_load(&w->f->stop)) {
		if ((n = epoll_wait(w->ep, ev, 2, 100)) == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			fwd_pump(w, ev[i].data.fd == w->lfd);
	}
	return NULL;
}

/* A SO_REUSEPORT UDP socket on a; a port 0 becomes the one chosen. */
static int
fwd_bind(struct addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, on = 1;

	fd = socket(addr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, &a->u.sa, addr_len(a)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(a, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
fwd_worker_open(struct fwd *f, struct fwd_worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };

	w->f = f;
	w->lfd = w->rfd = w->ep = -1;
	if ((w->lfd = fwd_bind(&f->listen)) == -1 ||
	    (w->rfd = fwd_bind(&f->relay)) == -1 ||
	    (w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	ev.data.fd = w->lfd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev) == -1)
		return -1;
	ev.data.fd = w->rfd;
	return epoll_ctl(w->ep, EPOLL_CTL_ADD, w->rfd, &ev);
}

static void
fwd_worker_close(struct fwd_worker *w)
{
	if (w->lfd != -1)
		close(w->lfd);
	if (w->rfd != -1)
		close(w->rfd);
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
	    addr_str(&f->listen, l, sizeof(l)), addr_str(&f->relay, r,
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
	f.by_client = calloc(FWD_SLOTS, sizeof(*f.by_client));
	f.by_peer = calloc(FWD_SLOTS, sizeof(*f.by_peer));
	pthread_mutex_init(&f.mu, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* workers inherit it */
	if ((w = calloc(nw, sizeof(*w))) == NULL)
		goto out;
	for (i = 0; i < nw; i++)
		w[i].lfd = w[i].rfd = w[i].ep = -1;
	if (f.by_client == NULL || f.by_peer == NULL ||
	    fwd_start(&f, w, nw) == -1)
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
	free(f.by_client);
	free(f.by_peer);
	return rc;
}
