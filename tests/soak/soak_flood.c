/* SPDX-License-Identifier: ISC */
/*
 * soak_flood: the flooder threads (see soak_flood.h); here the spoofed
 * UDP kinds, written as whole IP packets on raw sockets (IPPROTO_RAW,
 * which implies IP_HDRINCL for IPv4 and IPv6), sent in batches with
 * sendmmsg. The stream kinds are in soak_stream.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "soak_flood.h"
#include "stun/stun.h"
#include "util/crypto.h"

#define BATCH		32	/* datagrams per sendmmsg */
#define PKT_MAX		1280	/* IP header + UDP header + payload */
#define PAYLOAD_MAX	1200
#define IP4_HDR		20
#define IP6_HDR		40
#define UDP_HDR		8
#define MAX_ROUNDS	100000000ULL	/* a bound besides the deadline */
#define N_TEMPLATES	3

struct udp_flood {
	struct soak_flood *f;
	enum soak_flood_kind kind;
	uint64_t rng;
	int fd4, fd6;
	uint8_t tmpl[N_TEMPLATES][256];	/* stun4 and stun6: the requests */
	size_t tmpl_len[N_TEMPLATES];
	uint8_t pkt[BATCH][PKT_MAX];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	struct addr dst[BATCH];
};

static const char *const kind_name[SOAK_FLOOD_KINDS] = {
	[SOAK_FLOOD_STUN4] = "stun4 (spoofed IPv4 STUN requests)",
	[SOAK_FLOOD_STUN6] = "stun6 (spoofed IPv6 STUN requests)",
	[SOAK_FLOOD_GARBAGE] = "garbage (spoofed random datagrams)",
	[SOAK_FLOOD_TCP] = "tcp (half-open connections)",
	[SOAK_FLOOD_TLS] = "tls (stalled handshakes)",
};

const char *
soak_flood_name(enum soak_flood_kind k)
{
	return k < SOAK_FLOOD_KINDS ? kind_name[k] : "?";
}

uint64_t
soak_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void
soak_rand_seed(uint64_t *s)
{
	if (crypto_random(s, sizeof(*s)) == -1 || *s == 0)
		*s = 0x9E3779B97F4A7C15ULL ^ (uint64_t)client_now_ms();
	if (*s == 0)
		*s = 1;
}

double
soak_flood_rate(const struct soak_flood_stats *s)
{
	int64_t ms = s->end_ms - s->start_ms;

	return ms > 0 ? (double)atomic_load(&s->sent) * 1000.0 / (double)ms : 0;
}

/* The three requests of the STUN kinds (RFC 8489 §6, RFC 8656 §7.1):
 * Binding; Allocate without credentials; Allocate with a USERNAME, REALM,
 * a garbage NONCE and a MESSAGE-INTEGRITY of random bytes. Each datagram
 * gets a fresh transaction ID. */
static int
udp_templates(struct udp_flood *u)
{
	static const char user[] = "1900000000:soak";
	static const char realm[] = "tern";
	uint8_t tid[STUN_TID_LEN] = { 0 }, nonce[29], mi[20];
	uint8_t rt[4] = { CLIENT_TURN_PROTO_UDP, 0, 0, 0 };
	struct stun_builder b;
	size_t i;

	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)('A' + soak_rand(&u->rng) % 26);
	for (i = 0; i < sizeof(mi); i++)
		mi[i] = (uint8_t)soak_rand(&u->rng);
	stun_builder_init(&b, u->tmpl[0], sizeof(u->tmpl[0]), STUN_BINDING,
	    STUN_REQUEST, tid);
	u->tmpl_len[0] = stun_builder_finish(&b);
	stun_builder_init(&b, u->tmpl[1], sizeof(u->tmpl[1]), STUN_ALLOCATE,
	    STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, rt, sizeof(rt));
	u->tmpl_len[1] = stun_builder_finish(&b);
	stun_builder_init(&b, u->tmpl[2], sizeof(u->tmpl[2]), STUN_ALLOCATE,
	    STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, rt, sizeof(rt));
	stun_add(&b, STUN_ATTR_USERNAME, user, sizeof(user) - 1);
	stun_add(&b, STUN_ATTR_REALM, realm, sizeof(realm) - 1);
	stun_add(&b, STUN_ATTR_NONCE, nonce, sizeof(nonce));
	stun_add(&b, STUN_ATTR_MESSAGE_INTEGRITY, mi, sizeof(mi));
	u->tmpl_len[2] = stun_builder_finish(&b);
	for (i = 0; i < N_TEMPLATES; i++)
		if (u->tmpl_len[i] == 0)
			return -1;
	return 0;
}

/* A garbage payload: random bytes, sometimes behind a STUN header (with a
 * length that may lie) or a ChannelData header (RFC 8656 §12.4). */
static size_t
udp_garbage(struct udp_flood *u, uint8_t *p)
{
	uint64_t r = soak_rand(&u->rng);
	size_t len = 1 + (size_t)(r % PAYLOAD_MAX), i;

	for (i = 0; i < len; i += 8) {
		uint64_t x = soak_rand(&u->rng);

		memcpy(p + i, &x, len - i < 8 ? len - i : 8);
	}
	switch ((r >> 32) % 4) {
	case 0:		/* STUN: type with the top bits clear, the cookie */
		if (len < 20)
			break;
		p[0] &= 0x3f;
		if ((r >> 40) & 1) {
			p[2] = (uint8_t)((len - 20) >> 8);
			p[3] = (uint8_t)(len - 20);
		}
		p[4] = 0x21;
		p[5] = 0x12;
		p[6] = 0xa4;
		p[7] = 0x42;
		break;
	case 1:		/* ChannelData: 0x4000-0x4fff */
		if (len < 4)
			break;
		p[0] = (uint8_t)(0x40 | (p[0] & 0x0f));
		if ((r >> 40) & 1) {
			p[2] = (uint8_t)((len - 4) >> 8);
			p[3] = (uint8_t)(len - 4);
		}
		break;
	default:
		break;
	}
	return len;
}

static uint16_t
udp_sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
udp_sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* IPv4 header (the kernel fills in the checksum and the ID) and UDP
 * header; the UDP checksum is left 0, which IPv4 allows (RFC 768). */
static size_t
udp_frame4(struct udp_flood *u, uint8_t *pkt, size_t plen, struct addr *dst)
{
	const struct addr *to = &u->f->tgt.udp4;
	uint32_t src = htonl(0xC6120000u | (uint32_t)(soak_rand(&u->rng) & 0xffff));
	uint16_t sport = (uint16_t)(1024 + soak_rand(&u->rng) % 64512);
	size_t tot = IP4_HDR + UDP_HDR + plen;

	memset(pkt, 0, IP4_HDR + UDP_HDR);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[6] = 0x40;		/* DF */
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &to->u.sin.sin_addr, 4);
	pkt[20] = (uint8_t)(sport >> 8);
	pkt[21] = (uint8_t)sport;
	memcpy(pkt + 22, &to->u.sin.sin_port, 2);
	pkt[24] = (uint8_t)((UDP_HDR + plen) >> 8);
	pkt[25] = (uint8_t)(UDP_HDR + plen);
	*dst = *to;
	dst->u.sin.sin_port = 0;
	return tot;
}

/* IPv6 header and UDP header with its mandatory checksum (RFC 8200 §8.1). */
static size_t
udp_frame6(struct udp_flood *u, uint8_t *pkt, size_t plen, struct addr *dst)
{
	const struct addr *to = &u->f->tgt.udp6;
	uint16_t sport = (uint16_t)(1024 + soak_rand(&u->rng) % 64512);
	size_t ulen = UDP_HDR + plen;
	uint64_t r = soak_rand(&u->rng);
	uint32_t sum;

	memset(pkt, 0, IP6_HDR + UDP_HDR);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(ulen >> 8);
	pkt[5] = (uint8_t)ulen;
	pkt[6] = IPPROTO_UDP;
	pkt[7] = 64;
	pkt[8] = 0x20;		/* 2001:2::/48, random low 80 bits */
	pkt[9] = 0x01;
	pkt[11] = 0x02;
	memcpy(pkt + 14, &r, 8);
	r = soak_rand(&u->rng);
	memcpy(pkt + 22, &r, 2);
	memcpy(pkt + 24, &to->u.sin6.sin6_addr, 16);
	pkt[40] = (uint8_t)(sport >> 8);
	pkt[41] = (uint8_t)sport;
	memcpy(pkt + 42, &to->u.sin6.sin6_port, 2);
	pkt[44] = (uint8_t)(ulen >> 8);
	pkt[45] = (uint8_t)ulen;
	sum = udp_sum_add(0, pkt + 8, 32);	/* source and destination */
	sum += (uint32_t)ulen + IPPROTO_UDP;
	sum = udp_sum_add(sum, pkt + IP6_HDR, ulen);
	sum = udp_sum_fold(sum);
	if (sum == 0)
		sum = 0xffff;
	pkt[46] = (uint8_t)(sum >> 8);
	pkt[47] = (uint8_t)sum;
	*dst = *to;
	dst->u.sin6.sin6_port = 0;
	return IP6_HDR + ulen;
}

/* Fills slot i with one datagram of u's kind; returns its family. */
static int
udp_fill(struct udp_flood *u, size_t i, uint64_t n)
{
	bool v6 = u->kind == SOAK_FLOOD_STUN6 ||
	    (u->kind == SOAK_FLOOD_GARBAGE && (n & 1));
	size_t hdr = (v6 ? IP6_HDR : IP4_HDR) + UDP_HDR, plen, t;
	uint8_t *p = u->pkt[i] + hdr;
	uint64_t r;

	if (u->kind == SOAK_FLOOD_GARBAGE) {
		plen = udp_garbage(u, p);
	} else {
		t = (size_t)(n % N_TEMPLATES);
		plen = u->tmpl_len[t];
		memcpy(p, u->tmpl[t], plen);
		r = soak_rand(&u->rng);
		memcpy(p + 8, &r, 8);
		r = soak_rand(&u->rng);
		memcpy(p + 16, &r, 4);
	}
	u->iov[i].iov_base = u->pkt[i];
	u->iov[i].iov_len = v6 ? udp_frame6(u, u->pkt[i], plen, &u->dst[i]) :
	    udp_frame4(u, u->pkt[i], plen, &u->dst[i]);
	memset(&u->mm[i], 0, sizeof(u->mm[i]));
	u->mm[i].msg_hdr.msg_name = &u->dst[i].u.sa;
	u->mm[i].msg_hdr.msg_namelen = addr_len(&u->dst[i]);
	u->mm[i].msg_hdr.msg_iov = &u->iov[i];
	u->mm[i].msg_hdr.msg_iovlen = 1;
	return v6 ? AF_INET6 : AF_INET;
}

/* One batch of one family on its raw socket. */
static void
udp_send_batch(struct soak_flood_stats *st, int fd, struct mmsghdr *mm,
    unsigned n)
{
	int sent;

	if (n == 0)
		return;
	sent = sendmmsg(fd, mm, n, 0);
	if (sent < 0) {
		atomic_fetch_add(&st->errors, n);
		return;
	}
	atomic_fetch_add(&st->sent, (unsigned)sent);
	if ((unsigned)sent < n)
		atomic_fetch_add(&st->errors, n - (unsigned)sent);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The pace of one UDP thread: a third of f->rate. Returns how many
 * datagrams to send now (0: not yet; it has slept at most 20 ms, so that
 * the caller sees the stop flag and the deadline in time).
 */
static unsigned
udp_pace(struct udp_flood *u, int64_t *next)
{
	unsigned rate = atomic_load(&u->f->rate) / 3, n;
	int64_t now = mono_ns(), wait;
	struct timespec ts;

	if (rate == 0)
		return BATCH;	/* unpaced */
	n = rate / 500 < 1 ? 1 : rate / 500 > BATCH ? BATCH : rate / 500;
	if (*next < now - 100000000)
		*next = now;	/* no debt after a pause */
	if ((wait = *next - now) > 0) {
		if (wait > 20000000)
			wait = 20000000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait;
		nanosleep(&ts, NULL);
		return 0;
	}
	*next += (int64_t)n * 1000000000 / rate;
	return n;
}

static void
udp_run(struct udp_flood *u)
{
	struct soak_flood_stats *st = &u->f->st[u->kind];
	struct mmsghdr m4[BATCH], m6[BATCH];
	uint64_t n = 0, round;
	int64_t next = mono_ns();
	unsigned i, n4, n6, want;

	for (round = 0; round < MAX_ROUNDS && !atomic_load(&u->f->stop) &&
	    client_now_ms() < u->f->tgt.deadline_ms; round++) {
		if ((want = udp_pace(u, &next)) == 0)
			continue;
		for (i = n4 = n6 = 0; i < want; i++, n++) {
			if (udp_fill(u, i, n) == AF_INET6)
				m6[n6++] = u->mm[i];
			else
				m4[n4++] = u->mm[i];
		}
		udp_send_batch(st, u->fd4, m4, n4);
		udp_send_batch(st, u->fd6, m6, n6);
	}
}

/*
 * The flooders run under SCHED_IDLE: they get every cycle that ternd and
 * the legitimate clients leave, and none that those want. A real attacker
 * sends from machines of its own; here the two share two cores, and at
 * the same priority the flooders would simply take ternd's CPU away, which
 * says nothing about ternd.
 */
static void
flood_idle(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
}

static void *
udp_main(void *arg)
{
	struct udp_flood *u = arg;
	struct soak_flood_stats *st = &u->f->st[u->kind];

	flood_idle();
	st->start_ms = client_now_ms();
	soak_rand_seed(&u->rng);
	u->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	u->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (u->fd4 != -1 && u->fd6 != -1 &&
	    (u->kind == SOAK_FLOOD_GARBAGE || udp_templates(u) == 0))
		udp_run(u);
	else
		atomic_fetch_add(&st->errors, 1);
	if (u->fd4 != -1)
		close(u->fd4);
	if (u->fd6 != -1)
		close(u->fd6);
	st->end_ms = client_now_ms();
	free(u);
	return NULL;
}

struct stream_arg {
	struct soak_flood *f;
	enum soak_flood_kind kind;
};

static void *
stream_main(void *arg)
{
	struct stream_arg *a = arg;
	struct soak_flood_stats *st = &a->f->st[a->kind];

	flood_idle();
	st->start_ms = client_now_ms();
	soak_stream_run(a->f, a->kind);
	st->end_ms = client_now_ms();
	free(a);
	return NULL;
}

static int
flood_spawn(struct soak_flood *f, enum soak_flood_kind k)
{
	struct udp_flood *u;
	struct stream_arg *a;

	if (k == SOAK_FLOOD_TCP || k == SOAK_FLOOD_TLS) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return -1;
		a->f = f;
		a->kind = k;
		if (pthread_create(&f->th[k], NULL, stream_main, a) != 0) {
			free(a);
			return -1;
		}
		return 0;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	u->f = f;
	u->kind = k;
	u->fd4 = u->fd6 = -1;
	if (pthread_create(&f->th[k], NULL, udp_main, u) != 0) {
		free(u);
		return -1;
	}
	return 0;
}

int
soak_flood_start(struct soak_flood *f, const struct soak_flood_target *t,
    unsigned rate)
{
	int k;

	memset(f, 0, sizeof(*f));
	f->tgt = *t;
	atomic_init(&f->stop, false);
	atomic_init(&f->rate, rate);
	for (k = 0; k < SOAK_FLOOD_KINDS; k++) {
		if (flood_spawn(f, (enum soak_flood_kind)k) == -1) {
			soak_flood_stop(f);
			return -1;
		}
		f->running[k] = true;
	}
	return 0;
}

void
soak_flood_stop(struct soak_flood *f)
{
	int k;

	atomic_store(&f->stop, true);
	for (k = 0; k < SOAK_FLOOD_KINDS; k++) {
		if (f->running[k])
			pthread_join(f->th[k], NULL);
		f->running[k] = false;
	}
}
