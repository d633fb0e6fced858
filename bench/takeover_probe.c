/*
 * takeover_probe: the traffic gap seen through a failover.
 *
 *   takeover_probe -s SRC_NS -d DST_NS -t DST_IP [-p PORT] [-i INTERVAL_US]
 *                  [-n DURATION_MS] [-r READY_FILE]
 *
 * Opens a UDP sender inside SRC_NS and a receiver inside DST_NS (sockets
 * keep the namespace they were created in), then sends one numbered
 * datagram every INTERVAL_US (default 1000) for DURATION_MS and records
 * when each arrives.  Prints one line:
 *
 *   gap_ms G arrival_gap_ms A lost L sent S received R reordered O
 *
 * G is the outage: the longest time, by send time, between two datagrams
 * that arrived with every datagram sent between them lost (0 when nothing
 * was lost; to the end of the run when traffic never came back; the whole
 * run when nothing arrived).  Counting by send time keeps a stall of this
 * process (a loaded machine) out of the figure: the datagrams it sends
 * late still arrive.  A is the longest time between two arrivals, which
 * includes such stalls.  READY_FILE is created once the first datagram
 * came through, so a script triggers the takeover only on a working path.
 * Exit 0, or 1 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "system/sys_netns.h"

#define DRAIN_NS 50000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int socket_in(const char *ns)
{
	struct netns_saved saved;
	int fd, rc = netns_enter(ns, &saved);

	if (rc < 0) {
		fprintf(stderr, "takeover_probe: namespace %s: %s\n", ns,
			strerror(-rc));
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	netns_leave(&saved);
	if (fd < 0)
		fprintf(stderr, "takeover_probe: socket: %s\n",
			strerror(errno));
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: takeover_probe -s SRC_NS -d DST_NS -t DST_IP "
		"[-p PORT] [-i INTERVAL_US] [-n DURATION_MS] [-r READY_FILE]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	const char *src_ns = NULL, *dst_ns = NULL, *dst_ip = NULL;
	const char *ready_file = NULL;
	unsigned port = 47000, interval_us = 1000, duration_ms = 5000;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sockaddr_in any = { .sin_family = AF_INET };
	int opt, tx, rx;
	uint64_t start, end, next, last_rx = 0, max_gap = 0;
	uint32_t seq = 0, highest = 0, max_seq;
	uint64_t sent = 0, received = 0, reordered = 0, outage = 0;
	uint64_t *sent_at;     /* [seq]: send time, ns */
	uint8_t *arrived;      /* [seq]: 1 once received */
	uint64_t prev_ok_at = 0;
	bool ready = false, prev_ok = false;

	while ((opt = getopt(argc, argv, "s:d:t:p:i:n:r:")) != -1) {
		switch (opt) {
		case 's': src_ns = optarg; break;
		case 'd': dst_ns = optarg; break;
		case 't': dst_ip = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': interval_us = (unsigned)strtoul(optarg, NULL, 10);
			  break;
		case 'n': duration_ms = (unsigned)strtoul(optarg, NULL, 10);
			  break;
		case 'r': ready_file = optarg; break;
		default: usage();
		}
	}
	if (!src_ns || !dst_ns || !dst_ip || !port || port > 65535 ||
	    !interval_us || !duration_ms ||
	    inet_pton(AF_INET, dst_ip, &to.sin_addr) != 1)
		usage();
	to.sin_port = htons((uint16_t)port);
	max_seq = (uint32_t)((uint64_t)duration_ms * 1000 / interval_us + 2);
	sent_at = calloc(max_seq + 1, sizeof(*sent_at));
	arrived = calloc(max_seq + 1, 1);
	if (!sent_at || !arrived)
		return 1;
	any.sin_port = htons((uint16_t)port);
	tx = socket_in(src_ns);
	rx = socket_in(dst_ns);
	if (tx < 0 || rx < 0)
		return 1;
	if (bind(rx, (struct sockaddr *)&any, sizeof(any)) < 0) {
		fprintf(stderr, "takeover_probe: bind: %s\n", strerror(errno));
		return 1;
	}

	start = mono_ns();
	end = start + (uint64_t)duration_ms * 1000000ull;
	next = start;
	for (;;) {
		uint64_t now = mono_ns(), until;
		struct pollfd p = { .fd = rx, .events = POLLIN };
		bool sending = now < end && seq < max_seq;

		/* 50 ms after the end for datagrams still in flight. */
		if (now >= end + DRAIN_NS)
			break;
		if (sending && now >= next) {
			uint32_t be = htonl(++seq);

			sent_at[seq] = now;

			/* A refused send (EHOSTUNREACH while ARP moves)
			 * counts as sent and lost. */
			(void)sendto(tx, &be, sizeof(be), 0,
				     (struct sockaddr *)&to, sizeof(to));
			sent++;
			next += (uint64_t)interval_us * 1000ull;
			continue;
		}
		until = sending ? next : end + DRAIN_NS;
		if (poll(&p, 1, until > now ? (int)((until - now) / 1000000ull)
					    : 0) <= 0)
			continue;
		for (;;) {
			uint32_t be;
			ssize_t n = recv(rx, &be, sizeof(be), 0);
			uint64_t at = mono_ns();

			if (n < 0)
				break;
			if (n != sizeof(be))
				continue;
			if (ntohl(be) == 0 || ntohl(be) > seq ||
			    arrived[ntohl(be)])
				continue;   /* not ours, or a duplicate */
			arrived[ntohl(be)] = 1;
			received++;
			if (ntohl(be) < highest)
				reordered++;
			else
				highest = ntohl(be);
			if (last_rx && at - last_rx > max_gap)
				max_gap = at - last_rx;
			last_rx = at;
			if (!ready && ready_file) {
				FILE *f = fopen(ready_file, "w");

				if (f)
					fclose(f);
				ready = true;
			}
		}
	}
	if (!last_rx)
		max_gap = end - start;
	else if (last_rx < end && end - last_rx > max_gap)
		max_gap = end - last_rx;
	/* Outages by send time: arrived ... lost ... arrived. */
	for (uint32_t i = 1; i <= seq; i++) {
		if (!arrived[i])
			continue;
		if (prev_ok && i > 1 && !arrived[i - 1] &&
		    sent_at[i] - prev_ok_at > outage)
			outage = sent_at[i] - prev_ok_at;
		prev_ok = true;
		prev_ok_at = sent_at[i];
	}
	if (!prev_ok)
		outage = end - start;
	else if (seq && !arrived[seq] && prev_ok_at < end &&
		 end - prev_ok_at > outage)
		outage = end - prev_ok_at;
	printf("gap_ms %.1f arrival_gap_ms %.1f lost %llu sent %llu "
	       "received %llu reordered %llu\n",
	       (double)outage / 1e6, (double)max_gap / 1e6,
	       (unsigned long long)(sent > received ? sent - received : 0),
	       (unsigned long long)sent, (unsigned long long)received,
	       (unsigned long long)reordered);
	free(sent_at);
	free(arrived);
	close(tx);
	close(rx);
	return 0;
}
