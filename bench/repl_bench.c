/*
 * repl_bench: the kernel-side helper of bench/replication, which runs on
 * the two-unit lab of tests/lab/topo.sh.  It puts synthetic connections
 * into a context's namespace (as if traffic had made them) and watches a
 * namespace's table; the daemons do the replicating.
 *
 *   repl_bench fill NETNS FIRST N        installs entries FIRST..FIRST+N-1
 *                                        (established TCP, every 4th
 *                                        source-NATed); prints seconds
 *   repl_bench gen NETNS FIRST N RATE    a connection generator: opens N
 *                                        entries at RATE/s (0 = as fast as
 *                                        the kernel takes them) and closes
 *                                        every second one right after;
 *                                        prints "events seconds failed"
 *                                        (events: operations the kernel
 *                                        took)
 *   repl_bench wait NETNS COUNT SECS [eq] waits until the namespace holds
 *                                        COUNT entries or more (eq:
 *                                        exactly); prints the seconds
 *                                        waited, or "timeout N" (exit 1)
 *   repl_bench count NETNS               prints the entry count
 *   repl_bench diff NETNS_A NETNS_B      compares the benchmark's entries
 *                                        (TCP to 198.51.100.0/24:443) of
 *                                        both tables, with their NAT and
 *                                        TCP state; prints "missing extra
 *                                        differing" (B against A, 0 0 0 =
 *                                        an exact copy) and exits 1 unless
 *                                        they are equal
 *
 * Counts are the namespace's nf_conntrack_count (what `conntrack -C`
 * prints).  Exit 0, or 1 with a reason on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "replication/repl_ct.h"
#include "bench/bench_ct_entry.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Entry I of a synthetic table: established TCP, every 4th masqueraded. */
static struct repl_ct *open_ct(const char *ns)
{
	struct repl_ct *ct;
	int err = repl_ct_create(ns, &ct);
	if (err) {
		fprintf(stderr, "repl_bench: namespace %s: %s\n", ns, strerror(-err));
		exit(1);
	}
	repl_ct_set_batch(ct, REPL_CT_BATCH_MAX);
	return ct;
}

static int cmd_fill(const char *ns, unsigned first, unsigned n)
{
	struct repl_ct *ct = open_ct(ns);
	double t0 = now();
	for (unsigned i = first; i < first + n; i++) {
		struct repl_ct_entry e;
		bench_ct_entry(i, &e);
		repl_ct_inject(ct, &e);
	}
	repl_ct_inject_flush(ct);
	const struct repl_ct_stats *st = repl_ct_get_stats(ct);
	printf("%.3f\n", now() - t0);
	if (st->inject_ok < n)
		fprintf(stderr, "repl_bench: %llu of %u installed\n",
			(unsigned long long)st->inject_ok, n);
	repl_ct_destroy(ct);
	return 0;
}

static int cmd_gen(const char *ns, unsigned first, unsigned n, unsigned rate)
{
	struct repl_ct *ct = open_ct(ns);
	repl_ct_set_batch(ct, 64);
	const unsigned chunk = 64;
	double t0 = now();
	unsigned events = 0;
	for (unsigned done = 0; done < n; done += chunk) {
		unsigned k = n - done < chunk ? n - done : chunk;
		struct repl_ct_entry e;
		for (unsigned i = 0; i < k; i++) {
			bench_ct_entry(first + done + i, &e);
			repl_ct_inject(ct, &e);
		}
		repl_ct_inject_flush(ct);
		for (unsigned i = 0; i < k; i += 2) {
			bench_ct_entry(first + done + i, &e);
			e.op = REPL_CT_DESTROY;
			repl_ct_inject(ct, &e);
		}
		repl_ct_inject_flush(ct);
		events += k + (k + 1) / 2;
		if (rate) {
			double due = t0 + (double)(done + k) / rate;
			double wait = due - now();
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
		}
	}
	double secs = now() - t0;
	/* Only what the kernel took counts as an event. */
	const struct repl_ct_stats *st = repl_ct_get_stats(ct);
	unsigned failed = events > st->inject_ok ? events - (unsigned)st->inject_ok : 0;
	if (failed)
		fprintf(stderr, "repl_bench: gen: %u of %u operations failed "
			"(exists %llu, not found %llu, busy %llu, no buffer %llu, "
			"other %llu)\n", failed, events,
			(unsigned long long)st->inject_eexist,
			(unsigned long long)st->inject_enoent,
			(unsigned long long)st->inject_ebusy,
			(unsigned long long)st->inject_enobufs,
			(unsigned long long)st->inject_other);
	printf("%u %.3f %u\n", events - failed, secs, failed);
	repl_ct_destroy(ct);
	return 0;
}

static long ct_count(int fd)
{
	char b[32];
	ssize_t r = pread(fd, b, sizeof b - 1, 0);
	if (r <= 0)
		return -1;
	b[r] = '\0';
	return atol(b);
}

static int count_fd(const char *ns)
{
	char path[256];
	snprintf(path, sizeof path, "/var/run/netns/%s", ns);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "repl_bench: namespace %s: %s\n", ns, strerror(errno));
		exit(1);
	}
	close(nsfd);
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "repl_bench: nf_conntrack_count: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static int cmd_wait(const char *ns, long want, double secs, int exact)
{
	double t0 = now();
	int fd = count_fd(ns);
	long c = 0;
	while (now() - t0 < secs) {
		c = ct_count(fd);
		if (exact ? c == want : c >= want) {
			printf("%.3f\n", now() - t0);
			return 0;
		}
		usleep(2000);
	}
	printf("timeout %ld\n", c);
	return 1;
}

/* ---- diff: the benchmark's entries of two tables ---------------------- */

struct ct_key {
	uint64_t key;   /* original source address, port, destination host */
	uint64_t val;   /* reply destination (the NAT) and TCP state */
};

struct key_set {
	struct ct_key *v;
	size_t n, cap;
};

static int collect(void *arg, const struct repl_ct_entry *e)
{
	struct key_set *ks = arg;
	static const uint8_t net[3] = { 198, 51, 100 };

	if (e->family != AF_INET || e->proto != IPPROTO_TCP ||
	    e->orig.dport != 443 || memcmp(e->orig.dst, net, 3) != 0)
		return 0;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 65536;
		struct ct_key *v = realloc(ks->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		ks->v = v;
		ks->cap = cap;
	}
	uint32_t src, rdst;
	memcpy(&src, e->orig.src, 4);
	memcpy(&rdst, e->reply.dst, 4);
	ks->v[ks->n].key = (uint64_t)ntohl(src) << 24 |
			   (uint64_t)e->orig.sport << 8 | e->orig.dst[3];
	ks->v[ks->n].val = (uint64_t)ntohl(rdst) << 24 |
			   (uint64_t)e->reply.dport << 8 | e->tcp_state;
	ks->n++;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct ct_key *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void dump_keys(const char *ns, struct key_set *ks)
{
	struct repl_ct *ct = open_ct(ns);
	int rc = repl_ct_dump(ct, collect, ks);
	if (rc < 0) {
		fprintf(stderr, "repl_bench: dump of %s: %s\n", ns, strerror(-rc));
		exit(1);
	}
	repl_ct_destroy(ct);
	qsort(ks->v, ks->n, sizeof *ks->v, cmp_key);
}

static int cmd_diff(const char *ns_a, const char *ns_b)
{
	struct key_set a = { 0 }, b = { 0 };
	size_t i = 0, j = 0, missing = 0, extra = 0, differing = 0;

	dump_keys(ns_a, &a);
	dump_keys(ns_b, &b);
	while (i < a.n || j < b.n) {
		if (j == b.n || (i < a.n && a.v[i].key < b.v[j].key)) {
			missing++, i++;
		} else if (i == a.n || b.v[j].key < a.v[i].key) {
			extra++, j++;
		} else {
			differing += a.v[i].val != b.v[j].val;
			i++, j++;
		}
	}
	printf("%zu %zu %zu\n", missing, extra, differing);
	free(a.v);
	free(b.v);
	return missing || extra || differing;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "fill"))
		return cmd_fill(argv[2], (unsigned)atol(argv[3]), (unsigned)atol(argv[4]));
	if (argc >= 6 && !strcmp(argv[1], "gen"))
		return cmd_gen(argv[2], (unsigned)atol(argv[3]), (unsigned)atol(argv[4]),
			       (unsigned)atol(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "wait"))
		return cmd_wait(argv[2], atol(argv[3]), atof(argv[4]),
				argc > 5 && !strcmp(argv[5], "eq"));
	if (argc >= 4 && !strcmp(argv[1], "diff"))
		return cmd_diff(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "count")) {
		printf("%ld\n", ct_count(count_fd(argv[2])));
		return 0;
	}
	fprintf(stderr, "usage: repl_bench fill|gen|wait|count|diff NETNS ...\n");
	return 1;
}
