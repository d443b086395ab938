// SPDX-License-Identifier: GPL-2.0
/* UDP request/response latency for bench/guest.sh.
 *
 *   rr server NETNS ADDR PORT MAXSECS CPU
 *	Echoes every datagram back, for at most MAXSECS seconds.
 *   rr client NETNS DST PORT SECS CPU
 *	One 32-byte request at a time for SECS seconds (a reply missing for
 *	200 ms counts as lost). Prints "rr SAMPLES LOST P50_US P99_US".
 * NETNS: a path such as /run/netns/NAME, or "-" for the current one.
 * CPU: the CPU to run on, -1 for any.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSAMPLES (1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void enter_netns(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static int sock(const char *ip, const char *port, struct sockaddr_in *a, double timeout)
{
	struct timeval tv = { .tv_sec = (int)timeout,
			      .tv_usec = (timeout - (int)timeout) * 1e6 };
	int fd;

	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
		fprintf(stderr, "rr: bad address %s\n", ip);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("rr: socket");
		exit(1);
	}
	return fd;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int client(char **argv)
{
	static double rtt[MAXSAMPLES];
	struct sockaddr_in a;
	int fd = sock(argv[0], argv[1], &a, 0.2);
	double end = now() + atof(argv[2]);
	unsigned long seq = 0, n = 0, lost = 0;
	char buf[32], reply[64];

	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("rr: connect");
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	while (n < MAXSAMPLES && now() < end) {
		double t0 = now();

		seq++;
		memcpy(buf, &seq, sizeof(seq));
		if (send(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
			lost++;
			usleep(1000);
			continue;
		}
		for (;;) {	/* skip late replies to earlier requests */
			ssize_t r = recv(fd, reply, sizeof(reply), 0);

			if (r < 0) {
				lost++;
				break;
			}
			if (r == sizeof(buf) && !memcmp(reply, &seq, sizeof(seq))) {
				rtt[n++] = (now() - t0) * 1e6;
				break;
			}
		}
	}
	if (!n) {
		printf("rr 0 %lu 0 0\n", lost);
		return 1;
	}
	qsort(rtt, n, sizeof(rtt[0]), cmp);
	printf("rr %lu %lu %.1f %.1f\n", n, lost, rtt[n / 2], rtt[(n * 99) / 100]);
	return 0;
}

static int server(char **argv)
{
	struct sockaddr_in a, peer;
	int fd = sock(argv[0], argv[1], &a, 1.0);
	double end = now() + atof(argv[2]);
	char buf[2048];

	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("rr: bind");
		return 1;
	}
	while (now() < end) {
		socklen_t len = sizeof(peer);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);

		if (r > 0)
			sendto(fd, buf, r, 0, (struct sockaddr *)&peer, len);
	}
	return 0;
}

int main(int argc, char **argv)
{
	cpu_set_t set;
	int cpu;

	if (argc != 7 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
		fprintf(stderr, "usage: rr client NETNS DST PORT SECS CPU\n"
				"       rr server NETNS ADDR PORT MAXSECS CPU\n");
		return 2;
	}
	enter_netns(argv[2]);
	cpu = atoi(argv[6]);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("rr: sched_setaffinity");
	}
	return !strcmp(argv[1], "server") ? server(argv + 3) : client(argv + 3);
}
