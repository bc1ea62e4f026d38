/* SPDX-License-Identifier: ISC */
/*
 * bench: tern-bench, the load generator and the bare forwarder that
 * scripts/bench drives (README.md, Performance).
 *
 * The generator sets up N allocations over UDP with the project's TURN
 * client (Allocate with the 401 round trip, CreatePermission, ChannelBind:
 * RFC 8656 §7.2, §10, §12 and RFC 8489 §9.2), runs a UDP peer socket per
 * allocation, and sends ChannelData (RFC 8656 §12.4) of a given size,
 * paced or open loop, for a bounded time: client to peer, peer to client
 * (the peer sends to the relayed address, RFC 8656 §12.5), or echo. Each
 * payload carries CLOCK_MONOTONIC send times, so the same host measures
 * one-way latency; counts give loss; /proc/PID/stat of the server gives
 * its CPU time per relayed packet.
 *
 * The forwarder is the physical reference: recvmmsg on a listening
 * socket, strip the 4-byte ChannelData header, sendmmsg the payload from
 * the allocation's relay socket to the peer fixed for that client at
 * set-up; and back, adding the header. It does the same byte work as a
 * TURN server and nothing else: no authentication, no permissions, no
 * timers.
 *
 * Must not: reach anything but loopback unless told --allow-remote, or
 * run without a deadline. It measures; it asserts nothing about speed.
 */
#ifndef TERN_TESTS_BENCH_H
#define TERN_TESTS_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/client.h"

#define BENCH_MAX_SIZE		1400	/* ChannelData payload, bytes */
#define BENCH_MIN_SIZE		32	/* room for struct bench_stamp */
#define BENCH_MAX_THREADS	16
#define BENCH_CHANNEL		0x4000	/* RFC 8656 §12: 0x4000-0x4FFF */
#define BENCH_HIST_US		200000	/* 1 µs buckets up to 200 ms */
#define BENCH_HIST_MS		60000	/* then 1 ms buckets up to 60 s */
#define BENCH_MAGIC		0x54424e43u	/* "TBNC" */
/* A set-up request, retransmissions included. */
#define BENCH_TIMEOUT_MS	5000

/* Forwarder set-up datagram (both ways): "TBFW", channel, port, family,
 * three zero bytes, 16 bytes of IP. First byte 'T' is no ChannelData. */
#define BENCH_FW_MAGIC		"TBFW"
#define BENCH_FW_LEN		28

enum bench_dir {
	BENCH_C2P,	/* client -> relay -> peer */
	BENCH_P2C,	/* peer -> relay -> client */
	BENCH_ECHO,	/* client -> peer, the peer echoes back */
};

enum bench_kind {
	BENCH_TURN,	/* a TURN server */
	BENCH_FWD,	/* tern-bench forwarder */
	BENCH_DIRECT,	/* no relay: the generator's own ceiling */
};

/* Ahead of every payload (network byte order is not needed: one host). */
struct bench_stamp {
	uint32_t magic;
	uint32_t idx;		/* allocation */
	uint64_t t_send;	/* CLOCK_MONOTONIC ns at the sender */
	uint64_t t_echo;	/* ns at the echoing peer, or 0 */
};

struct bench_opts {
	enum bench_kind kind;
	enum bench_dir dir;
	struct addr server;
	uint8_t secret[256];	/* REST secret (README.md), or none */
	size_t secret_len;
	char user[CLIENT_TURN_USER_MAX + 1];	/* long-term user, or "" */
	char pass[CLIENT_TURN_PASS_MAX + 1];
	unsigned allocs;
	unsigned size;		/* ChannelData payload */
	uint64_t rate;		/* datagrams/s offered; 0 = open loop */
	double duration;	/* s of sending */
	unsigned threads;	/* sender threads, and as many receivers */
	unsigned setup_threads;
	unsigned batch;		/* datagrams per sendmmsg at most */
	unsigned server_pid;	/* 0: no CPU or RSS figures */
	bool setup_only;	/* time the set-up, delete, no data */
	bool hold;		/* set up, read the server's RSS, exit */
	bool allow_remote;
};

/* One allocation: its client socket (connected to the server) and its
 * peer socket (connected to the relayed address). Owned by the run. */
struct bench_alloc {
	struct client *c;	/* NULL for BENCH_DIRECT */
	struct client_turn *t;	/* BENCH_TURN only */
	int cfd;
	int pfd;		/* -1 in hold mode */
	struct addr relayed;
	struct addr peer;
	uint16_t channel;
};

struct bench_hist {
	uint64_t n;
	uint64_t over;		/* above BENCH_HIST_MS ms */
	uint64_t max_ns;
	uint32_t *b;		/* µs buckets, then ms buckets */
};

struct bench_counts {
	uint64_t sent;		/* datagrams the senders handed the kernel */
	uint64_t rx_peer;	/* arrived at the peers */
	uint64_t rx_client;	/* arrived at the clients */
	uint64_t echoed;	/* sent back by the echoing peers */
	uint64_t bad;		/* not ours, or cut short */
};

struct bench_run {
	struct bench_opts o;
	struct bench_alloc *a;
	unsigned n;		/* allocations set up */
	int shared_pfd;		/* hold mode: the one peer */
	struct addr shared_peer;
	double setup_s;
	uint64_t t0_ns, end_ns;	/* the sending window */
	/* CPU seconds at the start of the window and after the drain: the
	 * server's (-1 without a PID) and the generator's own */
	double srv_cpu0, srv_cpu1, self_cpu0, self_cpu1;
	atomic_bool stop_rx;
	atomic_uint_fast64_t rx_total;	/* progress, for the drain */
	struct bench_counts total;
	struct bench_hist hist;
};

/* bench_util.c: clocks and /proc */
uint64_t bench_now_ns(void);
void bench_sleep_until(uint64_t ns);
/* utime+stime of pid in seconds, or -1. */
double bench_proc_cpu_s(pid_t pid);
/* VmRSS of pid in KiB, or -1. */
long bench_proc_rss_kib(pid_t pid);
double bench_self_cpu_s(void);
bool bench_addr_is_loopback(const struct addr *a);
/* Reads the first line of path (a REST secret) into out. 0 or -1. */
int bench_read_secret(const char *path, uint8_t *out, size_t cap, size_t *len);

/* The forwarder's set-up datagram: channel and an address (the peer in
 * a request, the relayed address in the answer). */
void bench_fw_encode(uint8_t *m, uint16_t channel, const struct addr *a);
/* 0 with *a (and *channel when not NULL), or -1. */
int bench_fw_decode(const uint8_t *m, size_t len, struct addr *a,
    uint16_t *channel);

/* bench_util.c: the histogram */
int bench_hist_init(struct bench_hist *h);
void bench_hist_clear(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t ns);
void bench_hist_merge(struct bench_hist *to, const struct bench_hist *from);
/* The q-quantile (0..1) in µs; 0 when empty. */
double bench_hist_quantile_us(const struct bench_hist *h, double q);

/* bench_setup.c: allocations */
int bench_setup(struct bench_run *r);
/* Deletes the allocations (Refresh LIFETIME 0, RFC 8656 §8) and closes
 * every socket. */
void bench_teardown(struct bench_run *r, bool delete);

/* bench_data.c: the sending window and the drain */
int bench_data_run(struct bench_run *r);

/* bench_fwd.c: the forwarder; runs until SIGTERM or SIGINT. */
int bench_fwd_main(int argc, char **argv);

#endif
