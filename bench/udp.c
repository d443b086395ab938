// SPDX-License-Identifier: GPL-2.0
/* UDP packet rate for bench/guest.sh, sender and counting receiver in one
 * process (no start-up race, one exec per run, which matters under TCG):
 *
 *   udp TXNS RXNS DST PORT SECS FLOWS SIZE
 *
 * The receiver socket is bound to DST:PORT in netns RXNS, the FLOWS sender
 * sockets (one thread each, one source port each) are created in netns
 * TXNS; a netns is a path such as /run/netns/NAME, or "-" for the current
 * one. The senders sendmmsg() SIZE-byte datagrams for SECS seconds; the
 * receiver counts what arrives until 0.2 s after they stop. The receiver
 * runs on CPU 1, sender i on CPU i % ncpus (one flow: sender on 0).
 * Prints "udp SENT RECEIVED PPS", PPS = RECEIVED / the senders' run time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXFLOWS 16

struct flow {
	int fd, size, cpu;
	double secs;
	unsigned long long sent;
	pthread_t thread;
};

struct rx {
	int fd;
	unsigned long long received;
};

static volatile int senders_done;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void enter_netns(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

static void *sender(void *arg)
{
	static char buf[2048];
	struct flow *f = arg;
	struct iovec iov = { buf, f->size };
	struct mmsghdr msgs[BATCH];
	double end;
	int i;

	pin(f->cpu);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Errors (ENOBUFS, ECONNREFUSED) do not stop it: only the clock does */
	for (end = now() + f->secs; now() < end;) {
		int n = sendmmsg(f->fd, msgs, BATCH, 0);

		if (n > 0)
			f->sent += n;
	}
	return NULL;
}

static void *receiver(void *arg)
{
	static char bufs[BATCH][2048];
	struct rx *rx = arg;
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	double stop = 0;
	int i;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iovs[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {	/* SO_RCVTIMEO bounds each call */
		int r = recvmmsg(rx->fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		if (r > 0)
			rx->received += r;
		if (senders_done && !stop)
			stop = now() + 0.2;
		if (stop && now() > stop)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_usec = 50000 };
	struct flow flows[MAXFLOWS];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long long sent = 0;
	int nflows, size, one = 1, rcvbuf = 4 << 20, ncpus, i;
	struct rx rx = {};
	pthread_t rxthread;
	double secs, t0;

	if (argc != 8) {
		fprintf(stderr, "usage: udp TXNS RXNS DST PORT SECS FLOWS SIZE\n");
		return 2;
	}
	dst.sin_port = htons(atoi(argv[4]));
	secs = atof(argv[5]);
	nflows = atoi(argv[6]);
	size = atoi(argv[7]);
	if (inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1 || secs <= 0 ||
	    nflows < 1 || nflows > MAXFLOWS || size < 1 || size > 1472) {
		fprintf(stderr, "udp: bad arguments\n");
		return 2;
	}
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	enter_netns(argv[2]);
	rx.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx.fd < 0 ||
	    setsockopt(rx.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(rx.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    setsockopt(rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(rx.fd, (struct sockaddr *)&dst, sizeof(dst)))
		die("udp: receiver socket");
	enter_netns(argv[1]);
	for (i = 0; i < nflows; i++) {
		flows[i] = (struct flow){ .size = size, .secs = secs,
			.cpu = i % ncpus };
		flows[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (flows[i].fd < 0 ||
		    connect(flows[i].fd, (struct sockaddr *)&dst, sizeof(dst)))
			die("udp: sender socket");
	}

	pin(ncpus > 1 ? 1 : 0);	/* the receiver thread inherits it */
	if (pthread_create(&rxthread, NULL, receiver, &rx))
		die("udp: pthread_create");
	t0 = now();
	for (i = 0; i < nflows; i++)
		if (pthread_create(&flows[i].thread, NULL, sender, &flows[i]))
			die("udp: pthread_create");
	for (i = 0; i < nflows; i++) {
		pthread_join(flows[i].thread, NULL);
		sent += flows[i].sent;
	}
	t0 = now() - t0;
	senders_done = 1;
	pthread_join(rxthread, NULL);
	printf("udp %llu %llu %.1f\n", sent, rx.received, rx.received / t0);
	return 0;
}
