/* SPDX-License-Identifier: ISC */
/*
 * soak_sys: the soak's view of the system (see soak.h): the namespace's
 * routes, the kernel's UDP and backlog counters, CPU time, ternd's
 * /metrics and its stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soak.h"
#include "soak_flood.h"

static char metrics[256 * 1024];

/* lo up; the flooders' sources are local routes on lo. */
int
soak_netns_setup(const char *ip)
{
	if (harness_ip(ip, "link", "set", "lo", "up", NULL, NULL, NULL,
	    NULL) == -1 ||
	    harness_ip(ip, "-4", "route", "add", "local", SOAK_SOURCES4_NET,
	    "dev", "lo", NULL) == -1 ||
	    harness_ip(ip, "-6", "route", "add", "local", SOAK_SOURCES6_NET,
	    "dev", "lo", NULL) == -1)
		return -1;
	return 0;
}

/* The value under `name` in the "Udp:" lines of /proc/net/snmp. */
static unsigned long long
snmp_udp(const char *name)
{
	char head[1024], line[1024], *hs = NULL, *ls = NULL, *h, *v;
	unsigned long long val = 0;
	FILE *f;

	if ((f = fopen("/proc/net/snmp", "r")) == NULL)
		return 0;
	head[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Udp: ", 5) != 0)
			continue;
		if (head[0] == '\0') {
			snprintf(head, sizeof(head), "%s", line);
			continue;
		}
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(line, " \n", &ls);
		while (h != NULL && v != NULL && strcmp(h, name) != 0) {
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &ls);
		}
		if (h != NULL && v != NULL)
			val = strtoull(v, NULL, 10);
		break;
	}
	fclose(f);
	return val;
}

/* The value of `name` in /proc/net/snmp6. */
static unsigned long long
snmp6(const char *name)
{
	unsigned long long val = 0;
	char line[256];
	size_t n = strlen(name);
	FILE *f;

	if ((f = fopen("/proc/net/snmp6", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '\t')) {
			val = strtoull(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/* Datagrams the namespace's UDP sockets dropped on a full receive buffer. */
unsigned long long
soak_rcvbuf_drops(void)
{
	return snmp_udp("RcvbufErrors") + snmp6("Udp6RcvbufErrors");
}


/* utime + stime of a process, in seconds, from /proc/PID/stat; -1. */
double
soak_cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hz <= 0 || soak_read_file(path, buf, sizeof(buf)) <= 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* fields after the command: state is field 3, utime 14, stime 15 */
	for (i = 3; i < 14 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	ut = strtoull(p + 1, &end, 10);
	st = strtoull(end, NULL, 10);
	return (double)(ut + st) / (double)hz;
}


/* ternd's own counters that show what the flood did. */
void
soak_report_metrics(uint16_t port)
{
	static const char *const names[] = { "tern_stun_requests_total",
	    "tern_stun_responses_total", "tern_dropped_packets_total",
	    "tern_auth_failures_total", "tern_connection_refusals_total",
	    "tern_connection_timeouts_total", "tern_tls_handshakes_total",
	    "tern_connections", "tern_allocations_created_total",
	    "tern_allocations", "tern_permissions", "tern_channels",
	    "tern_relayed_packets_total" };
	char *line, *save = NULL;
	size_t i;

	if (soak_http_get(port, "/metrics", metrics, sizeof(metrics),
	    5000) < 0) {
		printf("# /metrics: no answer\n");
		return;
	}
	for (line = strtok_r(metrics, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strncmp(line, names[i], strlen(names[i])) == 0 &&
			    (line[strlen(names[i])] == '{' ||
			    line[strlen(names[i])] == ' ') &&
			    strstr(line, " 0") != line + strlen(line) - 2)
				printf("# metrics: %s\n", line);
}

/* The sum of the second column of /proc/net/softnet_stat: packets each
 * CPU dropped because its input backlog was full (the whole machine's, not
 * the namespace's). */
unsigned long long
soak_softnet_dropped(void)
{
	unsigned long long sum = 0, v;
	char line[512], *p, *end;
	FILE *f;

	if ((f = fopen("/proc/net/softnet_stat", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if ((p = strchr(line, ' ')) != NULL) {
			v = strtoull(p + 1, &end, 16);
			if (end != p + 1)
				sum += v;
		}
	fclose(f);
	return sum;
}

/* The namespace's own UDP counters (it started with all of them at 0):
 * how many of the flood's datagrams reached a socket and how many a full
 * receive buffer dropped. */
void
soak_report_kernel(unsigned long long softnet0)
{
	char line[1024], names[1024];
	FILE *f;

	if ((f = fopen("/proc/net/snmp", "r")) != NULL) {
		names[0] = '\0';
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "Udp: ", 5) != 0)
				continue;
			if (names[0] == '\0')
				snprintf(names, sizeof(names), "%s", line + 5);
			else
				printf("# kernel Udp: %s#   values: %s", names, line + 5);
		}
		fclose(f);
	}
	if ((f = fopen("/proc/net/snmp6", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "Udp6", 4) == 0 && strstr(line, "Lite") == NULL)
				printf("# kernel %s", line);
		fclose(f);
	}
	printf("# kernel softnet backlog drops during the soak (all CPUs, the "
	    "whole machine): %llu\n", soak_softnet_dropped() - softnet0);
}

/* A sanitizer report anywhere in ternd's stderr. */
bool
soak_sanitizer_report(const char *path)
{
	static const char *const marks[] = { "AddressSanitizer", "LeakSanitizer",
	    "UndefinedBehaviorSanitizer", "runtime error:" };
	char line[4096];
	bool found = false;
	size_t i;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (strstr(line, marks[i]) != NULL)
				found = true;
	fclose(f);
	return found;
}
