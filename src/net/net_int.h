/* SPDX-License-Identifier: ISC */
/*
 * net_int: declarations shared by the files of the net module only.
 *
 * A worker owns an event_base, a turn engine, its listener sockets (one per
 * listening address and protocol, all SO_REUSEPORT), its stream connections
 * and its counters; nothing here is touched by another thread while the
 * worker runs, except the limiter (mutex) and the TLS context (mutex at
 * accept). Only net_tls.c includes libssl.
 */
#ifndef TERN_NET_INT_H
#define TERN_NET_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "net/net.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "util/addr.h"

#define NET_UDP_BATCH		16	/* datagrams per recvmmsg */
#define NET_UDP_ROUNDS		8	/* recvmmsg calls per wake-up (fairness) */
#define NET_UDP_BUFSZ		65536	/* one datagram, the largest UDP payload fits */
#define NET_OUT_CAP		(STUN_MAX_FRAME + 64)	/* one engine reply */
#define NET_LISTEN_BACKLOG	256
#define NET_MAX_WORKERS		256

enum net_proto {
	NET_UDP = 0,
	NET_TCP,
	NET_TLS,
};

/* Per-worker counters; plain stores from the owning thread only. Exported
 * by the metrics module in a later stage. */
struct net_stats {
	uint64_t udp_rx, udp_tx, udp_tx_err, udp_trunc;
	uint64_t drops[TURN_DROP_COUNT];
	uint64_t stream_accepted, stream_refused, stream_closed_idle;
	uint64_t stream_closed_overflow, stream_closed_proto, stream_frames;
	uint64_t tls_handshake_fail;
};

/* What net copied out of the config it was started with. */
struct net_settings {
	unsigned idle_timeout_s;
	unsigned handshake_timeout_s;
	size_t buffer_limit;
};

struct net_worker;

/* One listening socket of one worker. */
struct net_listener {
	struct net_worker *w;
	enum net_proto proto;
	struct addr addr;		/* the bound address (with port) */
	int fd;				/* UDP only; a stream listener owns its fd */
	struct event *ev;		/* UDP read event */
	struct evconnlistener *lev;	/* TCP/TLS */
	struct event *retry;		/* re-enables lev after an accept error */
};

struct net_conn {
	TAILQ_ENTRY(net_conn) entry;
	struct net_worker *w;
	struct bufferevent *bev;
	struct event *timer;		/* handshake, then idle timeout */
	struct turn_tuple tuple;
	bool handshaking;		/* TLS handshake not yet complete */
	bool closing;			/* flushing the last replies after EOF */
};
TAILQ_HEAD(net_conn_list, net_conn);

struct net_worker {
	struct net *net;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct turn_engine *engine;
	struct net_listener *listeners;
	size_t nlisteners;
	struct net_conn_list conns;
	struct net_stats stats;
	/* UDP receive batch and the reply buffer (the engine writes here). */
	uint8_t *rxbuf;			/* NET_UDP_BATCH * NET_UDP_BUFSZ */
	uint8_t *txbuf;			/* NET_OUT_CAP */
	struct mmsghdr msgs[NET_UDP_BATCH];
	struct iovec iov[NET_UDP_BATCH];
	struct sockaddr_storage from[NET_UDP_BATCH];
};

/* A listener every worker opens. */
struct net_spec {
	enum net_proto proto;
	struct addr addr;
};

struct net_tls;

struct net {
	struct net_worker *workers;
	unsigned nworkers;
	struct net_spec *specs;
	size_t nspecs;
	struct net_settings set;
	struct net_limits *limits;
	struct net_tls *tls;		/* NULL when TLS is off */
	char *software;			/* owned; the engines borrow it */
	bool stopped;
};

/* net_worker.c */
uint64_t net_now_ms(void);
const char *net_proto_name(enum net_proto p);

/* net_listen.c */
int net_listen_addrs(const struct config *c, struct addr **out, size_t *n,
    char *err, size_t errcap);
int net_listener_open(struct net_listener *l, struct net_worker *w,
    const struct net_spec *s, char *err, size_t errcap);
void net_listener_close(struct net_listener *l);

/* net_udp.c */
void net_udp_read_cb(evutil_socket_t fd, short what, void *arg);

/* net_stream.c */
void net_stream_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
void net_stream_close_all(struct net_worker *w);

/* net_tls.c */
struct net_tls *net_tls_new(const char *cert, const char *pkey,
    const char *ciphers, char *err, size_t errcap);
int net_tls_reload(struct net_tls *t, const char *cert, const char *pkey,
    const char *ciphers, char *err, size_t errcap);
void net_tls_free(struct net_tls *t);
/* A bufferevent accepting a TLS handshake on fd, or NULL. */
struct bufferevent *net_tls_bev_new(struct net_tls *t, struct event_base *base,
    evutil_socket_t fd);
/* Describes the TLS error that ended a connection (for a debug log). */
void net_tls_bev_error(struct bufferevent *bev, char *out, size_t cap);

#endif
