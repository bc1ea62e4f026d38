/* SPDX-License-Identifier: ISC */
/*
 * The sending window: sender threads pace ChannelData (RFC 8656 §12.4) or
 * raw peer datagrams with sendmmsg, receiver threads drain the sockets
 * with recvmmsg, stamp arrival times into the histogram and, in echo
 * mode, send each peer datagram back to the relayed address. After the
 * window, the receivers run until everything arrived or nothing has for a
 * while (the drain). See bench.h.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_RX_BATCH	64
#define BENCH_RX_SLOT	2048
#define BENCH_RX_ROUNDS	8	/* recvmmsg per socket before the next one */
#define BENCH_DRAIN_IDLE_NS	(300 * 1000000ull)
#define BENCH_DRAIN_MAX_NS	(3000 * 1000000ull)
#define BENCH_ROLE_CLIENT	1u

/* One datagram a sender builds: room for the ChannelData header first. */
struct bench_slot {
	uint8_t b[STUN_CHANNEL_HEADER_LEN + BENCH_MAX_SIZE];
};

struct bench_tx {
	struct bench_run *r;
	pthread_barrier_t *go;
	unsigned id, nth;
	uint64_t sent;
	pthread_t th;
};

struct bench_rx {
	struct bench_run *r;
	pthread_barrier_t *go;
	unsigned id, nth;
	int ep;
	struct bench_hist hist;
	struct bench_counts c;
	struct mmsghdr msgs[BENCH_RX_BATCH];
	struct iovec iov[BENCH_RX_BATCH];
	uint8_t buf[BENCH_RX_BATCH][BENCH_RX_SLOT];
	pthread_t th;
};

/* Whether the datagrams a side sends or receives carry the ChannelData
 * header: the client's always; the peer's only without a relay. */
static size_t
bench_peer_hdr(const struct bench_run *r)
{
	return r->o.kind == BENCH_DIRECT ? STUN_CHANNEL_HEADER_LEN : 0;
}

/* Fills k datagrams for allocation idx into the sender's slots. */
static void
bench_tx_fill(struct bench_run *r, unsigned idx, struct bench_slot *buf,
    unsigned k)
{
	const struct bench_alloc *a = &r->a[idx];
	struct bench_stamp s = { .magic = BENCH_MAGIC, .idx = idx };
	unsigned i;

	for (i = 0; i < k; i++) {
		buf[i].b[0] = (uint8_t)(a->channel >> 8);
		buf[i].b[1] = (uint8_t)a->channel;
		buf[i].b[2] = (uint8_t)(r->o.size >> 8);
		buf[i].b[3] = (uint8_t)r->o.size;
		s.t_send = bench_now_ns();
		memcpy(buf[i].b + STUN_CHANNEL_HEADER_LEN, &s, sizeof(s));
	}
}

/* One sendmmsg of k datagrams for allocation idx; how many went. */
static unsigned
bench_tx_send(struct bench_run *r, unsigned idx, struct mmsghdr *m,
    struct bench_slot *buf, unsigned k)
{
	bool from_peer = r->o.dir == BENCH_P2C;
	size_t hdr = from_peer ? bench_peer_hdr(r) : STUN_CHANNEL_HEADER_LEN;
	struct iovec *v;
	int fd = from_peer ? r->a[idx].pfd : r->a[idx].cfd;
	unsigned i;
	int n;

	bench_tx_fill(r, idx, buf, k);
	for (i = 0; i < k; i++) {
		v = m[i].msg_hdr.msg_iov;
		v->iov_base = buf[i].b + STUN_CHANNEL_HEADER_LEN - hdr;
		v->iov_len = r->o.size + hdr;
	}
	n = sendmmsg(fd, m, k, 0);
	/* EAGAIN, ENOBUFS, or an ICMP error reported late on a connected
	 * socket: those datagrams count as not sent. */
	return n > 0 ? (unsigned)n : 0;
}

/* How long to wait before the next datagram is due; 0 when one is due
 * now. *k is how many are due (at most the batch). */
static uint64_t
bench_tx_due(const struct bench_tx *t, uint64_t attempted, uint64_t now,
    unsigned *k)
{
	const struct bench_run *r = t->r;
	double rate = (double)r->o.rate / t->nth;
	uint64_t due, next;

	*k = r->o.batch;
	if (r->o.rate == 0)
		return 0;
	due = (uint64_t)(rate * (double)(now - r->t0_ns) / 1e9);
	if (attempted < due) {
		if (due - attempted < *k)
			*k = (unsigned)(due - attempted);
		return 0;
	}
	next = r->t0_ns + (uint64_t)((double)(attempted + 1) * 1e9 / rate);
	return next > r->end_ns ? r->end_ns : next;
}

static void *
bench_tx_thread(void *arg)
{
	struct bench_tx *t = arg;
	struct bench_run *r = t->r;
	struct bench_slot *buf;
	struct mmsghdr *m;
	struct iovec *iov;
	uint64_t attempted = 0, now, wake;
	unsigned i, k, cur = t->id;

	(void)prctl(PR_SET_TIMERSLACK, 1UL);	/* pacing to the microsecond */
	buf = calloc(r->o.batch, sizeof(*buf));
	m = calloc(r->o.batch, sizeof(*m));
	iov = calloc(r->o.batch, sizeof(*iov));
	for (i = 0; m != NULL && iov != NULL && i < r->o.batch; i++) {
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	pthread_barrier_wait(t->go);
	bench_sleep_until(r->t0_ns);
	while (buf != NULL && m != NULL && iov != NULL &&
	    (now = bench_now_ns()) < r->end_ns) {
		if ((wake = bench_tx_due(t, attempted, now, &k)) != 0) {
			bench_sleep_until(wake);
			continue;
		}
		t->sent += bench_tx_send(r, cur, m, buf, k);
		attempted += k;
		if ((cur += t->nth) >= r->n)
			cur = t->id;
	}
	free(buf);
	free(m);
	free(iov);
	return NULL;
}

/* Copies the stamp of a received payload (unaligned after a ChannelData
 * header) into *s. 0, or -1 when the datagram is not ours. */
static int
bench_rx_stamp(const uint8_t *p, size_t len, size_t hdr, unsigned size,
    struct bench_stamp *s)
{
	if (len < hdr + sizeof(*s) || len != hdr + size)
		return -1;
	memcpy(s, p + hdr, sizeof(*s));
	return s->magic == BENCH_MAGIC ? 0 : -1;
}

/* The client side: ChannelData (RFC 8656 §12.4) whose length field is the
 * payload's; over UDP no padding follows (§12.5). */
static void
bench_rx_client(struct bench_rx *x, unsigned k, uint64_t now)
{
	struct bench_run *r = x->r;
	struct bench_stamp s;
	unsigned i;
	size_t len;

	for (i = 0; i < k; i++) {
		len = x->msgs[i].msg_len;
		if (len < 4 || (x->buf[i][0] & 0xc0) != 0x40 ||
		    (size_t)(x->buf[i][2] << 8 | x->buf[i][3]) != len - 4 ||
		    bench_rx_stamp(x->buf[i], len, 4, r->o.size, &s) == -1) {
			x->c.bad++;
			continue;
		}
		x->c.rx_client++;
		bench_hist_add(&x->hist, now -
		    (r->o.dir == BENCH_ECHO ? s.t_echo : s.t_send));
	}
}

/* The peer side; an echoing peer sends the batch back as it came. */
static void
bench_rx_peer(struct bench_rx *x, int fd, unsigned k, uint64_t now)
{
	struct bench_run *r = x->r;
	size_t hdr = bench_peer_hdr(r);
	struct bench_stamp s;
	unsigned i, out = 0;
	int n;

	for (i = 0; i < k; i++) {
		if (bench_rx_stamp(x->buf[i], x->msgs[i].msg_len, hdr,
		    r->o.size, &s) == -1) {
			x->c.bad++;
			continue;
		}
		x->c.rx_peer++;
		bench_hist_add(&x->hist, now - s.t_send);
		if (r->o.dir != BENCH_ECHO)
			continue;
		memcpy(x->buf[i] + hdr + offsetof(struct bench_stamp, t_echo),
		    &now, sizeof(now));
		if (out != i)	/* keep the datagrams to echo contiguous */
			memcpy(x->buf[out], x->buf[i], x->msgs[i].msg_len);
		x->iov[out].iov_len = x->msgs[i].msg_len;
		out++;
	}
	if (out > 0 && (n = sendmmsg(fd, x->msgs, out, 0)) > 0)
		x->c.echoed += (unsigned)n;
}

static void
bench_rx_reset(struct bench_rx *x)
{
	unsigned i;

	for (i = 0; i < BENCH_RX_BATCH; i++) {
		x->iov[i].iov_base = x->buf[i];
		x->iov[i].iov_len = BENCH_RX_SLOT;
		memset(&x->msgs[i].msg_hdr, 0, sizeof(x->msgs[i].msg_hdr));
		x->msgs[i].msg_hdr.msg_iov = &x->iov[i];
		x->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static void
bench_rx_drain(struct bench_rx *x, uint64_t tag)
{
	struct bench_alloc *a = &x->r->a[tag >> 1];
	bool client = (tag & BENCH_ROLE_CLIENT) != 0;
	int fd = client ? a->cfd : a->pfd, k, round;
	uint64_t before;

	for (round = 0; round < BENCH_RX_ROUNDS; round++) {
		bench_rx_reset(x);
		k = recvmmsg(fd, x->msgs, BENCH_RX_BATCH, MSG_DONTWAIT, NULL);
		if (k <= 0)
			break;
		before = x->c.rx_client + x->c.rx_peer;
		if (client)
			bench_rx_client(x, (unsigned)k, bench_now_ns());
		else
			bench_rx_peer(x, fd, (unsigned)k, bench_now_ns());
		atomic_fetch_add_explicit(&x->r->rx_total, x->c.rx_client +
		    x->c.rx_peer - before, memory_order_relaxed);
		if (k < BENCH_RX_BATCH)
			break;
	}
}

static int
bench_rx_watch(struct bench_rx *x, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(x->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Which sockets this receiver reads: the peers (c2p, echo), the clients
 * (p2c, echo). */
static int
bench_rx_setup(struct bench_rx *x)
{
	enum bench_dir d = x->r->o.dir;
	unsigned i;

	if ((x->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	for (i = x->id; i < x->r->n; i += x->nth) {
		if (d != BENCH_P2C &&
		    bench_rx_watch(x, x->r->a[i].pfd, (uint64_t)i << 1) == -1)
			return -1;
		if (d != BENCH_C2P && bench_rx_watch(x, x->r->a[i].cfd,
		    (uint64_t)i << 1 | BENCH_ROLE_CLIENT) == -1)
			return -1;
	}
	return 0;
}

static void *
bench_rx_thread(void *arg)
{
	struct bench_rx *x = arg;
	struct epoll_event ev[64];
	int i, n;

	pthread_barrier_wait(x->go);
	while (!atomic_load(&x->r->stop_rx)) {
		if ((n = epoll_wait(x->ep, ev, 64, 20)) == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			bench_rx_drain(x, ev[i].data.u64);
	}
	return NULL;
}

/* Waits until every datagram sent arrived, or none has for a while. */
static void
bench_drain(struct bench_run *r, uint64_t expect)
{
	uint64_t start = bench_now_ns(), last = start, seen = 0, now, v;

	for (;;) {
		now = bench_now_ns();
		v = atomic_load_explicit(&r->rx_total, memory_order_relaxed);
		if (v >= expect || now - last > BENCH_DRAIN_IDLE_NS ||
		    now - start > BENCH_DRAIN_MAX_NS)
			break;
		if (v != seen) {
			seen = v;
			last = now;
		}
		bench_sleep_until(now + 10 * 1000000ull);
	}
}

static void
bench_collect(struct bench_run *r, struct bench_tx *tx, struct bench_rx *rx,
    unsigned nth)
{
	unsigned i;

	for (i = 0; i < nth; i++) {
		r->total.sent += tx[i].sent;
		r->total.rx_peer += rx[i].c.rx_peer;
		r->total.rx_client += rx[i].c.rx_client;
		r->total.echoed += rx[i].c.echoed;
		r->total.bad += rx[i].c.bad;
		bench_hist_merge(&r->hist, &rx[i].hist);
	}
}

static void
bench_threads_free(struct bench_tx *tx, struct bench_rx *rx, unsigned nth)
{
	unsigned i;

	for (i = 0; rx != NULL && i < nth; i++) {
		if (rx[i].ep != -1)
			close(rx[i].ep);
		bench_hist_clear(&rx[i].hist);
	}
	free(tx);
	free(rx);
}

static int
bench_threads_prepare(struct bench_run *r, struct bench_tx *tx,
    struct bench_rx *rx, unsigned nth, pthread_barrier_t *go)
{
	unsigned i;

	for (i = 0; i < nth; i++)
		rx[i].ep = -1;
	for (i = 0; i < nth; i++) {
		tx[i] = (struct bench_tx){ .r = r, .go = go, .id = i,
		    .nth = nth };
		rx[i].r = r;
		rx[i].go = go;
		rx[i].id = i;
		rx[i].nth = nth;
		if (bench_hist_init(&rx[i].hist) == -1 ||
		    bench_rx_setup(&rx[i]) == -1)
			return -1;
	}
	return 0;
}

static double
bench_srv_cpu(const struct bench_run *r)
{
	return r->o.server_pid > 0 ?
	    bench_proc_cpu_s((pid_t)r->o.server_pid) : -1;
}

int
bench_data_run(struct bench_run *r)
{
	unsigned i, nth = r->o.threads < r->n ? r->o.threads : r->n;
	struct bench_tx *tx = calloc(nth, sizeof(*tx));
	struct bench_rx *rx = calloc(nth, sizeof(*rx));
	pthread_barrier_t go;
	uint64_t sent = 0;
	int rc = -1;

	if (tx == NULL || rx == NULL || bench_hist_init(&r->hist) == -1 ||
	    bench_threads_prepare(r, tx, rx, nth, &go) == -1) {
		fprintf(stderr, "tern-bench: cannot prepare the threads: %s\n",
		    strerror(errno));
		goto out;
	}
	pthread_barrier_init(&go, NULL, 2 * nth + 1);
	for (i = 0; i < nth; i++) {
		if (pthread_create(&tx[i].th, NULL, bench_tx_thread,
		    &tx[i]) != 0 ||
		    pthread_create(&rx[i].th, NULL, bench_rx_thread,
		    &rx[i]) != 0) {
			/* the others wait on the barrier: no way back */
			fprintf(stderr, "tern-bench: pthread_create failed\n");
			abort();
		}
	}
	r->t0_ns = bench_now_ns() + 2 * 1000000ull;
	r->end_ns = r->t0_ns + (uint64_t)(r->o.duration * 1e9);
	r->srv_cpu0 = bench_srv_cpu(r);
	r->self_cpu0 = bench_self_cpu_s();
	pthread_barrier_wait(&go);
	for (i = 0; i < nth; i++) {
		pthread_join(tx[i].th, NULL);
		sent += tx[i].sent;
	}
	bench_drain(r, sent * (r->o.dir == BENCH_ECHO ? 2 : 1));
	r->srv_cpu1 = bench_srv_cpu(r);
	r->self_cpu1 = bench_self_cpu_s();
	atomic_store(&r->stop_rx, true);
	for (i = 0; i < nth; i++)
		pthread_join(rx[i].th, NULL);
	bench_collect(r, tx, rx, nth);
	pthread_barrier_destroy(&go);
	rc = 0;
out:
	bench_threads_free(tx, rx, nth);
	return rc;
}
