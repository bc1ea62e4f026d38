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
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "net/net.h"
#include "stun/stun.h"
#include "metrics/metrics.h"
#include "turn/turn.h"
#include "util/addr.h"

#define NET_UDP_BATCH		16	/* datagrams per recvmmsg */
/*
 * Receive slots of a worker. Datagrams stay in their slot until the send
 * queue (net_tx.c), which points into them, has left: at the end of the
 * loop iteration, or when a read finds fewer than NET_UDP_BATCH slots
 * free. So one sendmmsg() carries what several relay sockets read.
 */
#define NET_RX_SLOTS		64
#define NET_TX_MAX		NET_RX_SLOTS	/* queued datagrams */
#define NET_UDP_ROUNDS		8	/* recvmmsg calls per wake-up (fairness) */
#define NET_UDP_BUFSZ		65536	/* one datagram, the largest UDP payload fits */
/*
 * One receive slot: a peer datagram is read NET_UDP_HEADROOM bytes into
 * it, so that the engine can write the ChannelData or Data indication
 * header in front of it and the padding behind it without a copy
 * (TURN_PEER_HEADROOM, TURN_PEER_TAILROOM; ARCHITECTURE.md).
 */
#define NET_UDP_HEADROOM	64	/* >= TURN_PEER_HEADROOM, aligned */
#define NET_UDP_SLOT		(NET_UDP_HEADROOM + NET_UDP_BUFSZ + 64)
#define NET_CONN_BUCKETS	1024	/* conn id -> connection, per worker */
#define NET_TICK_MS		1000	/* turn_engine_tick() period */
#define NET_OUT_CAP		(STUN_MAX_FRAME + 64)	/* one engine reply */
#define NET_LISTEN_BACKLOG	256
#define NET_MAX_WORKERS		256

enum net_proto {
	NET_UDP = 0,
	NET_TCP,
	NET_TLS,
};

/* What net copied out of the config it was started with. */
struct net_settings {
	unsigned idle_timeout_s;
	unsigned handshake_timeout_s;
	size_t buffer_limit;
	unsigned max_per_48;		/* connections per IPv6 /48 */
	unsigned accept_rate;		/* new connections a second per source */
	unsigned accept_burst;		/* and at once */
	/* SO_RCVBUF/SO_SNDBUF in bytes, 0: the kernel's (net_sockbuf.c) */
	size_t udp_rcvbuf, udp_sndbuf;	/* UDP listeners */
	size_t relay_rcvbuf, relay_sndbuf;	/* relay sockets */
};

/* Entries of each worker's accept budget table (policy_rate, 32 bytes
 * each). A source must complete a TCP handshake to take one, so it cannot
 * be spoofed; holding an entry costs accept-rate connections a second. */
#define NET_ACCEPT_ENTRIES	16384

struct net_worker;
struct policy_rate;

/* One listening socket of one worker. */
struct net_listener {
	struct net_worker *w;
	enum net_proto proto;
	struct addr addr;		/* the bound address (with port) */
	int fd;				/* UDP only; a stream listener owns its fd */
	socklen_t addrlen;		/* of addr, as a sockaddr */
	struct event *ev;		/* UDP read event */
	struct evconnlistener *lev;	/* TCP/TLS */
	struct event *retry;		/* re-enables lev after an accept error */
};

struct net_conn {
	TAILQ_ENTRY(net_conn) entry;
	struct net_conn *hnext;		/* conn id hash chain */
	struct net_worker *w;
	struct bufferevent *bev;
	struct event *timer;		/* handshake, then idle timeout */
	struct turn_tuple tuple;
	/* Monotonic ms (net_mono_ms): closed at idle_deadline unless it
	 * makes progress; frame_since is when the first byte of the frame
	 * still incomplete arrived (0: none), closed stream-idle-timeout
	 * later (docs/security.md, TCP/TLS exhaustion). */
	uint64_t idle_deadline;
	uint64_t frame_since;
	uint64_t timer_due;		/* what the timer is armed for */
	bool handshaking;		/* TLS handshake not yet complete */
	bool closing;			/* flushing the last replies after EOF */
	bool allocated;			/* the engine granted an Allocate on it */
};
TAILQ_HEAD(net_conn_list, net_conn);

/*
 * One relay socket (RFC 8656 §7.2 step 6). Slots are allocated once and
 * reused; the handle given to the engine is (gen << 32 | index + 1), and
 * gen changes at every close, so a stale handle never reaches a socket
 * that was since reused for another allocation.
 */
struct net_relay {
	struct net_worker *w;
	struct event *ev;		/* read event; NULL when free */
	int fd;				/* -1 when free */
	uint32_t idx;
	uint32_t gen;
	uint32_t next_free;		/* index + 1 of the next free slot */
	/* the UDP listener its allocation's client talks to, found at the
	 * first datagram relayed (net_relay.c) */
	struct net_listener *out;
};

/* One queued datagram (net_tx.c). */
struct net_tx_ent {
	struct iovec iov;		/* into a receive slot */
	int fd;				/* -1 once sent (net_tx_flush) */
	uint8_t dir;			/* METRICS_CLIENT_TO_PEER, _PEER_TO_CLIENT */
	uint32_t counted;		/* payload bytes counted when it leaves */
	socklen_t tolen;
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} to;
};

/* UDP GSO trains (net_tx.c): datagrams of at most NET_TX_GSO_SEG bytes
 * (under a 1500-byte MTU with IPv6), NET_TX_GSO_BYTES in all. */
#define NET_TX_GSO_SEG		1400
#define NET_TX_GSO_BYTES	65000

/* The worker's send queue: sent with one sendmmsg() per socket. */
struct net_tx {
	unsigned n;
	struct net_tx_ent e[NET_TX_MAX];
	/* at a flush, one socket's: e[grp[0..k)] in order, their iovecs,
	 * and the messages, msgs[m] carrying iov[mfirst[m]] on for
	 * mcount[m] datagrams (more than one: a GSO train, cm[m]) */
	uint8_t grp[NET_TX_MAX];
	struct iovec iov[NET_TX_MAX];
	struct mmsghdr msgs[NET_TX_MAX];
	uint8_t mfirst[NET_TX_MAX], mcount[NET_TX_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		size_t align;		/* a cmsghdr's */
	} cm[NET_TX_MAX];
	bool no_gso;			/* the kernel has no UDP GSO */
	/* plain counters, added to the metrics once per flush */
	uint64_t pkts[2], bytes[2], failed;
};

struct net_worker {
	struct net *net;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	void *data;			/* the hooks' (net_worker_attach) */
	struct net_listener *listeners;
	size_t nlisteners;
	struct net_conn_list conns;
	struct net_conn **conn_hash;	/* NET_CONN_BUCKETS chains */
	uint64_t conn_seq;		/* conn ids: seq << 8 | worker id */
	/* relay sockets and the engine's I/O table (net_relay.c) */
	struct turn_io io;
	struct net_relay **relays;
	uint32_t nrelays, caprelays;
	uint32_t relay_free;		/* index + 1 of the first free slot */
	struct event *tick;		/* hooks->tick, once a second */
	struct policy_rate *accept_rate; /* new connections per source */
	/* how other threads reach this loop (net_bell.c): the hooks' wake
	 * (net_wake) and the end of the loop (net_stop) */
	struct net_bell *bell;
	int bell_wake, bell_stop;
	bool stop;			/* the loop ends (net_stop_cb) */
	/* UDP receive slots and the reply buffer (the engine writes here). */
	uint8_t *rxbuf;			/* NET_RX_SLOTS * NET_UDP_SLOT */
	uint8_t *txbuf;			/* NET_OUT_CAP */
	unsigned rx_used;		/* slots read since the queue left */
	/* this worker's metrics block (NULL: not counted) */
	struct metrics_worker *mw;
	size_t peer_len;		/* payload of the datagram relayed */
	struct net_relay *rx_relay;	/* the relay being read, or NULL */
	struct mmsghdr msgs[NET_RX_SLOTS];
	struct iovec iov[NET_RX_SLOTS];
	/* each slot's source address is read in place into its tuple (its
	 * local address is the listener's; transport UDP, conn 0) */
	struct turn_tuple rx_tuple[NET_RX_SLOTS];
	struct net_tx tx;
};

/* A listener every worker opens. */
struct net_spec {
	enum net_proto proto;
	struct addr addr;
};

struct net_tls;

struct net {
	const struct net_hooks *hooks;
	struct net_worker *workers;
	unsigned nworkers;
	struct net_spec *specs;
	size_t nspecs;
	struct net_settings set;
	struct net_limits *limits;
	struct net_tls *tls;		/* NULL when TLS is off */
	bool stopped;
	/* the relay IPs of each family, [0] IPv4, [1] IPv6 (net_relay_ip.c) */
	struct addr relay_ip[2][CONFIG_MAX_ADDRS];
	size_t nrelay_ip[2];
	uint32_t max_lifetime;		/* max-allocate-lifetime (streams) */
	uint16_t chan_max;		/* ChannelData numbers (stream framing) */
	struct event_base *main_base;	/* net_run()'s, while it runs */
};

/* net_core.c */
/* hooks->input for one client message; out->len is 0 or fits. */
void net_input(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out);
const char *net_proto_name(enum net_proto p);
/* Monotonic milliseconds, for deadlines and budgets. */
uint64_t net_mono_ms(void);

/* net_listen.c */
int net_listen_addrs(const struct config *c, struct addr **out, size_t *n,
    char *err, size_t errcap);
int net_port_exclusive(enum net_proto proto, const struct addr *a, char *err,
    size_t errcap);
int net_listener_open(struct net_listener *l, struct net_worker *w,
    const struct net_spec *s, char *err, size_t errcap);
void net_listener_close(struct net_listener *l);

/* net_udp.c */
void net_udp_read_cb(evutil_socket_t fd, short what, void *arg);
/* Points every receive slot at its buffer and its tuple (worker init). */
void net_udp_slots_init(struct net_worker *w);
/* recvmmsg() into the next free slots (the send queue leaves first when
 * fewer than NET_UDP_BATCH are free): how many, from slot *first. */
int net_udp_recv(struct net_worker *w, int fd, unsigned *first);
struct net_listener *net_udp_listener(struct net_worker *w,
    const struct addr *local);

/* net_relay.c */
void net_relay_io_init(struct net_worker *w);
void net_relay_clear(struct net_worker *w);
struct net_relay *net_relay_by_idx(struct net_worker *w, uint32_t idx);
/* A bound relay socket into a slot with its read event: 0 with *handle
 * filled, or -1 with fd closed. */
int net_relay_attach(struct net_worker *w, int fd, uint64_t *handle);

/* net_relay_ip.c */
void net_relay_ips(struct net *n, const struct config *c);
/* turn_io.relay_open */
int net_relay_open(void *ctx, int family, unsigned ip, uint16_t port,
    unsigned flags, struct addr *relayed, uint64_t *handle);

/* net_tx.c */
/* Sends len bytes at data to `to` from fd: queued when data lies in a
 * receive slot (it leaves at the next net_tx_flush), else at once after
 * the queue, so that datagrams leave in order. dir: a METRICS_*_TO_*
 * direction counted with `counted` payload bytes once sent, or -1 (an
 * answer, not relayed). 0, or -1 when it failed now (counted as
 * send_failed). */
int net_tx_send(struct net_worker *w, int fd, const struct addr *to,
    const uint8_t *data, size_t len, int dir, size_t counted);
/* Sends the queue: one sendmmsg() per socket, in the order queued; a
 * datagram the socket refuses (EAGAIN: its buffer is full) is dropped and
 * counted, never waited for. */
void net_tx_flush(struct net_worker *w);

/* net_bell.c: see net.h */

/* net_sockbuf.c: the configured buffer sizes on a UDP listener or a relay
 * socket; a size the kernel caps is logged once. */
void net_sockbuf_listener(const struct net_settings *s, int fd);
void net_sockbuf_relay(const struct net_settings *s, int fd);

/* net_stream.c */
void net_stream_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
void net_stream_close_all(struct net_worker *w);
struct net_conn *net_conn_find(struct net_worker *w, uint64_t id);
/* client_send() on a stream: queues a relayed frame (0), or drops it
 * (-1). */
int net_conn_send(struct net_conn *c, const uint8_t *data, size_t len);
/* A late answer to a request handed to the hooks again (net_worker_reply). */
void net_conn_reply(struct net_conn *c, const struct turn_out *out);

/* net_rlimit.c */
/* Raises RLIMIT_NOFILE to what c's limits need, or fails naming the
 * numbers. After the listeners are known (net_specs_build) and the relay
 * IPs chosen (net_relay_ips). */
int net_rlimit_raise(const struct net *n, const struct config *c, char *err,
    size_t errcap);

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
/* The certificate watch (net_certwatch.c): the files in force loaded
 * again, the validity period checked too. 0, or -1 with the reason in err
 * and the old context kept. */
int net_tls_refresh(struct net_tls *t, char *err, size_t errcap);
/* The files the context in force was loaded from (main thread). */
const char *net_tls_cert_path(const struct net_tls *t);
const char *net_tls_pkey_path(const struct net_tls *t);

#endif
