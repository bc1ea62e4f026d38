/* SPDX-License-Identifier: ISC */
/*
 * tern-bench's clocks, /proc readers and the latency histogram (1 µs
 * buckets up to 200 ms, so p50 and p99 are exact to the microsecond
 * there, then 1 ms buckets up to a minute). See bench.h.
 */
#include <sys/resource.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
	    .tv_nsec = (long)(ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
	    NULL) == EINTR)
		continue;
}

/* Reads a small /proc file whole into buf (NUL-terminated). Length or -1. */
static long
bench_proc_read(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

double
bench_proc_cpu_s(pid_t pid)
{
	unsigned long long v[2];
	char buf[2048], *p, *tok, *save = NULL, *end;
	long hz = sysconf(_SC_CLK_TCK);
	int field = 2, got = 0;

	if (bench_proc_read(pid, "stat", buf, sizeof(buf)) <= 0 || hz <= 0)
		return -1;
	/* proc(5): the command name (field 2) is in parentheses and may
	 * hold spaces; utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (tok = strtok_r(p + 1, " ", &save); tok != NULL && got < 2;
	    tok = strtok_r(NULL, " ", &save)) {
		if (++field < 14)
			continue;
		errno = 0;
		v[got++] = strtoull(tok, &end, 10);
		if (errno != 0 || end == tok)
			return -1;
	}
	return got == 2 ? (double)(v[0] + v[1]) / (double)hz : -1;
}

long
bench_proc_rss_kib(pid_t pid)
{
	char buf[4096], *p, *end;
	long v;

	if (bench_proc_read(pid, "status", buf, sizeof(buf)) <= 0 ||
	    (p = strstr(buf, "\nVmRSS:")) == NULL)
		return -1;
	errno = 0;
	v = strtol(p + 7, &end, 10);
	if (errno != 0 || end == p + 7 || v < 0)
		return -1;
	return v;
}

double
bench_self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

bool
bench_addr_is_loopback(const struct addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	const uint8_t *ip;

	if (addr_family(a) == AF_INET)
		return (ntohl(a->u.sin.sin_addr.s_addr) >> 24) == 127;
	if (addr_family(a) != AF_INET6)
		return false;
	ip = a->u.sin6.sin6_addr.s6_addr;
	if (memcmp(ip, v6lo, 16) == 0)
		return true;
	/* ::ffff:127.0.0.0/104 */
	return memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 &&
	    ip[12] == 127;
}

int
bench_read_secret(const char *path, uint8_t *out, size_t cap, size_t *len)
{
	char line[512];
	FILE *f;
	size_t n;
	int rc = -1;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL)
		goto out;
	n = strcspn(line, "\r\n");
	if (n == 0 || n > cap)
		goto out;
	memcpy(out, line, n);
	*len = n;
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

int
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->b = calloc(BENCH_HIST_US + BENCH_HIST_MS, sizeof(*h->b));
	return h->b == NULL ? -1 : 0;
}

void
bench_hist_clear(struct bench_hist *h)
{
	free(h->b);
	h->b = NULL;
}

void
bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	uint64_t us = ns / 1000, ms = ns / 1000000;

	h->n++;
	if (ns > h->max_ns)
		h->max_ns = ns;
	if (us < BENCH_HIST_US)
		h->b[us]++;
	else if (ms < BENCH_HIST_MS)
		h->b[BENCH_HIST_US + ms]++;
	else
		h->over++;
}

void
bench_hist_merge(struct bench_hist *to, const struct bench_hist *from)
{
	size_t i;

	to->n += from->n;
	to->over += from->over;
	if (from->max_ns > to->max_ns)
		to->max_ns = from->max_ns;
	for (i = 0; i < BENCH_HIST_US + BENCH_HIST_MS; i++)
		to->b[i] += from->b[i];
}

double
bench_hist_quantile_us(const struct bench_hist *h, double q)
{
	uint64_t want, seen = 0;
	size_t i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < BENCH_HIST_US + BENCH_HIST_MS; i++) {
		seen += h->b[i];
		if (seen > want && i < BENCH_HIST_US)
			return (double)i;
		if (seen > want)	/* a 1 ms bucket */
			return (double)(i - BENCH_HIST_US) * 1000;
	}
	return (double)h->max_ns / 1000;	/* in the overflow */
}

void
bench_fw_encode(uint8_t *m, uint16_t channel, const struct addr *a)
{
	memset(m, 0, BENCH_FW_LEN);
	m[0] = 'T';	/* BENCH_FW_MAGIC */
	m[1] = 'B';
	m[2] = 'F';
	m[3] = 'W';
	m[4] = (uint8_t)(channel >> 8);
	m[5] = (uint8_t)channel;
	m[6] = (uint8_t)(addr_port(a) >> 8);
	m[7] = (uint8_t)addr_port(a);
	if (addr_family(a) == AF_INET) {
		m[8] = 4;
		memcpy(m + 12, &a->u.sin.sin_addr, 4);
	} else {
		m[8] = 6;
		memcpy(m + 12, &a->u.sin6.sin6_addr, 16);
	}
}

int
bench_fw_decode(const uint8_t *m, size_t len, struct addr *a, uint16_t *channel)
{
	char ip[ADDR_STRLEN];
	uint16_t port;

	if (len != BENCH_FW_LEN || memcmp(m, BENCH_FW_MAGIC, 4) != 0)
		return -1;
	port = (uint16_t)(m[6] << 8 | m[7]);
	if (channel != NULL)
		*channel = (uint16_t)(m[4] << 8 | m[5]);
	if (m[8] == 4)
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", m[12], m[13], m[14],
		    m[15]);
	else if (m[8] != 6 ||
	    inet_ntop(AF_INET6, m + 12, ip, sizeof(ip)) == NULL)
		return -1;
	return addr_parse_ip(a, ip, port);
}
