/*
 * ct_bulk: conntrack replication figures on this machine.
 *
 *   ct_install_100k_s   decode 100k records and install them in a namespace
 *   ct_install_1m_s     the same for 1M records
 *   ct_dump_rate        entries/s dumped from a namespace
 *   ct_event_rate       events/s received while another process installs
 *   ct_event_lost       overruns during that run (0 = no loss)
 *
 * Output lines: "name value unit".  Run as root (bench/ct_bulk builds and
 * runs it, raising nf_conntrack_max around it).  Namespaces are named
 * b<pid>x... and removed at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "replication/repl_ct.h"
#include "bench/bench_ct_entry.h"
#include "system/sys_buf.h"
#include "system/sys_netns.h"

static char ns_src[32], ns_dst[32];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cleanup(void)
{
	netns_delete(ns_src);
	netns_delete(ns_dst);
}

/* Entry I of a synthetic table: established TCP, every 4th masqueraded. */
static void encode_table(unsigned n, struct buf *wire)
{
	buf_reset(wire);
	for (unsigned i = 0; i < n; i++) {
		struct repl_ct_entry e;
		bench_ct_entry(i, &e);
		if (repl_ct_encode(&e, wire)) {
			fprintf(stderr, "encode failed\n");
			exit(1);
		}
	}
}

/* Decodes WIRE and installs every record; returns seconds taken. */
static double install(struct repl_ct *ct, const struct buf *wire, unsigned want)
{
	double t0 = now();
	size_t off = 0;
	unsigned n = 0;
	while (off < wire->len) {
		struct repl_ct_entry e;
		int rc = repl_ct_decode(wire->data + off, wire->len - off, &e);
		if (rc <= 0) {
			fprintf(stderr, "decode failed: %d\n", rc);
			exit(1);
		}
		off += (size_t)rc;
		if (repl_ct_inject(ct, &e) < 0 && n == 0)
			fprintf(stderr, "inject failed\n");
		n++;
	}
	repl_ct_inject_flush(ct);
	double dt = now() - t0;
	const struct repl_ct_stats *st = repl_ct_get_stats(ct);
	if (n != want || st->inject_ok != want)
		fprintf(stderr, "warning: installed %llu of %u (eexist %llu ebusy %llu other %llu enobufs %llu)\n",
			(unsigned long long)st->inject_ok, want,
			(unsigned long long)st->inject_eexist,
			(unsigned long long)st->inject_ebusy,
			(unsigned long long)st->inject_other,
			(unsigned long long)st->inject_enobufs);
	return dt;
}

static int count_fn(void *arg, const struct repl_ct_entry *e)
{
	(void)e;
	(*(unsigned long *)arg)++;
	return 0;
}

static void bench_install(unsigned n, const char *name, struct buf *wire,
			  unsigned batch)
{
	struct repl_ct *ct;
	if (repl_ct_create(ns_dst, &ct)) {
		fprintf(stderr, "cannot open %s\n", ns_dst);
		exit(1);
	}
	repl_ct_set_batch(ct, batch);
	repl_ct_flush_table(ct);
	encode_table(n, wire);
	double dt = install(ct, wire, n);
	printf("%s %.3f s\n", name, dt);
	printf("%s_rate %.0f entries/s\n", name, n / dt);
	fflush(stdout);

	unsigned long seen = 0;
	double t0 = now();
	int rc = repl_ct_dump(ct, count_fn, &seen);
	double dd = now() - t0;
	if (rc < 0 || seen != n)
		fprintf(stderr, "warning: dump saw %lu of %u (%d)\n", seen, n, rc);
	if (n >= 1000000)
		printf("ct_dump_rate %.0f entries/s\n", seen / dd);
	repl_ct_flush_table(ct);
	repl_ct_destroy(ct);
}

static int event_fn(void *arg, const struct repl_ct_entry *e)
{
	(void)e;
	(*(unsigned long *)arg)++;
	return 0;
}

/* A child installs N entries in ns_src while we read the events there. */
static void bench_events(unsigned n, struct buf *wire)
{
	struct repl_ct *rd;
	if (repl_ct_create(ns_src, &rd) || repl_ct_subscribe(rd, 0)) {
		fprintf(stderr, "cannot subscribe\n");
		exit(1);
	}
	encode_table(n, wire);
	pid_t pid = fork();
	if (pid == 0) {
		struct repl_ct *wr;
		if (repl_ct_create(ns_src, &wr))
			_exit(1);
		install(wr, wire, n);
		repl_ct_destroy(wr);
		_exit(0);
	}
	unsigned long got = 0;
	double t0 = 0, t1 = 0;
	int lost = 0;
	while (got < n) {
		struct pollfd p = { .fd = repl_ct_event_fd(rd), .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			break;   /* lost events never arrive: stop waiting */
		int rc = repl_ct_read_events(rd, event_fn, &got);
		if (rc == REPL_CT_LOST)
			lost++;
		if (got && t0 == 0)
			t0 = now();
		t1 = now();
	}
	waitpid(pid, NULL, 0);
	printf("ct_event_rate %.0f events/s\n", t1 > t0 ? got / (t1 - t0) : 0.0);
	printf("ct_event_received %lu events\n", got);
	printf("ct_event_lost %llu overruns\n",
	       (unsigned long long)repl_ct_get_stats(rd)->events_lost);
	repl_ct_flush_table(rd);
	repl_ct_destroy(rd);
}

int main(int argc, char **argv)
{
	unsigned batch = argc > 1 ? (unsigned)atoi(argv[1]) : 64;
	snprintf(ns_src, sizeof ns_src, "b%dxsrc", (int)getpid());
	snprintf(ns_dst, sizeof ns_dst, "b%dxdst", (int)getpid());
	if (netns_create(ns_src) || netns_create(ns_dst)) {
		fprintf(stderr, "ct_bulk: cannot create namespaces (root needed)\n");
		cleanup();
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, exit);
	struct buf wire;
	buf_init(&wire);
	printf("ct_batch %u entries/sendmsg\n", batch);
	bench_install(100000, "ct_install_100k_s", &wire, batch);
	bench_install(1000000, "ct_install_1m_s", &wire, batch);
	bench_events(100000, &wire);
	buf_free(&wire);
	return 0;
}
