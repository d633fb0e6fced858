/*
 * repl_bench: stateful replication figures through the real replication
 * path, in one process: context "c1" on unit A (namespace b<pid>xa) and on
 * unit B (b<pid>xb), each with a repl_state; every STATE/BULK_REQ frame is
 * encoded with the failover wire codec, queued, decoded and delivered (no
 * link, no encryption: the transport's cost is not in these figures).
 *
 *   repl_bulk_100k_s / repl_bulk_1m_s  B asks (BULK_REQ) -> A dumps, sends ->
 *                                      B flushes and installs: seconds until
 *                                      B's kernel holds every entry
 *   repl_incr_rate                     entries/s replicated while a writer
 *                                      installs them in A (events -> B)
 *   repl_incr_lost                     entries missing on B afterwards (0 =
 *                                      no loss), events lost on A
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "failover/fo_wire.h"
#include "replication/repl_ct.h"
#include "replication/repl_state.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

struct frame { struct buf b; struct frame *next; };
struct side { struct repl_state *rs; struct frame *h, *t; int done; };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int side_send(void *arg, struct fo_wire_msg *m)
{
	struct side *s = arg;
	struct frame *f = calloc(1, sizeof *f);
	buf_init(&f->b);
	if (fo_wire_encode(&f->b, m) < 0)
		abort();
	if (s->t) s->t->next = f; else s->h = f;
	s->t = f;
	return 0;
}

static void side_done(void *arg, int g) { ((struct side *)arg)->done++; }
static const struct repl_state_ops ops = { side_send, side_done };

static struct fo_wire_msg msg;

static size_t pump_one(struct side *from, struct side *to)
{
	size_t n = 0;
	while (from->h) {
		struct frame *f = from->h;
		from->h = f->next;
		if (!from->h) from->t = NULL;
		if (fo_wire_decode((const uint8_t *)f->b.data, f->b.len, &msg) != FO_WIRE_OK)
			abort();
		repl_state_recv(to->rs, &msg);
		buf_free(&f->b);
		free(f);
		n++;
	}
	return n;
}

static void pump(struct side *a, struct side *b)
{
	while (pump_one(a, b) + pump_one(b, a))
		;
}

static struct repl_ct_entry mk(unsigned i)
{
	struct repl_ct_entry e = { .op = REPL_CT_NEW, .family = AF_INET,
		.proto = IPPROTO_TCP, .timeout = 3600,
		.status = IPS_SEEN_REPLY | IPS_ASSURED,
		.tcp_state = TCP_CONNTRACK_ESTABLISHED };
	uint32_t s = htonl(0x0a000000u | (i >> 8)), d = htonl(0xac100103u);
	/* NAT: every reply tuple must be unique too. */
	uint32_t pub = htonl(0xac100000u | (i / 60000 + 1));
	uint16_t port = (uint16_t)(1024 + i % 60000);
	memcpy(e.orig.src, &s, 4);
	memcpy(e.orig.dst, &d, 4);
	e.orig.sport = (uint16_t)(1024 + (i & 0xff));
	e.orig.dport = 443;
	memcpy(e.reply.src, &d, 4);
	memcpy(e.reply.dst, &pub, 4);
	e.reply.sport = 443;
	e.reply.dport = port;
	e.snat.set = true;
	memcpy(e.snat.addr, &pub, 4);
	e.snat.port = port;
	return e;
}

static int counter(void *arg, const struct repl_ct_entry *e) { (*(long *)arg)++; return 0; }

static long table_size(struct repl_ct *ct)
{
	long n = 0;
	repl_ct_dump(ct, counter, &n);
	return n;
}

int main(int argc, char **argv)
{
	char na[32], nb[32];
	struct repl_ct *wa, *rb;
	struct side a = { 0 }, b = { 0 };
	log_init("repl_bench", true, LOG_SEV_ERR);
	snprintf(na, sizeof na, "b%dxa", (int)getpid());
	snprintf(nb, sizeof nb, "b%dxb", (int)getpid());
	if (netns_create(na) || netns_create(nb) || repl_ct_create(na, &wa) ||
	    repl_ct_create(nb, &rb)) {
		fprintf(stderr, "repl_bench: cannot create namespaces\n");
		return 1;
	}
	repl_ct_set_batch(wa, 256);
	repl_state_create(NULL, &ops, &a, &a.rs);
	repl_state_create(NULL, &ops, &b, &b.rs);
	repl_state_ctx_add(a.rs, "c1", na, 1);
	repl_state_ctx_add(b.rs, "c1", nb, 1);
	repl_state_set_update_interval(a.rs, 3600);
	repl_state_set_group_active(b.rs, 1, false);
	repl_state_mate_up(a.rs);
	repl_state_mate_up(b.rs);

	static const long sizes[] = { 100000, 1000000 };
	static const char *const names[] = { "repl_bulk_100k_s", "repl_bulk_1m_s" };
	long have = 0;
	for (int k = 0; k < 2; k++) {
		for (long i = have; i < sizes[k]; i++) {
			struct repl_ct_entry e = mk((unsigned)i);
			repl_ct_inject(wa, &e);
		}
		repl_ct_inject_flush(wa);
		have = sizes[k];
		repl_state_poll(a.rs);       /* drop the writer's events */
		double t0 = now();
		repl_state_request_bulk(b.rs, 1);
		pump(&a, &b);
		double t = now() - t0;
		long got = table_size(rb);
		printf("%s %.3f s (standby holds %ld of %ld)\n", names[k], t, got,
		       sizes[k]);
	}
	/* Incremental: a writer installs N more; A follows its events. */
	repl_ct_flush_table(wa);
	repl_state_poll(a.rs);
	pump(&a, &b);
	repl_ct_flush_table(rb);
	const long n = argc > 1 ? atol(argv[1]) : 200000;
	double t0 = now();
	for (long i = 0; i < n; i++) {
		struct repl_ct_entry e = mk((unsigned)(i + 2000000));
		repl_ct_inject(wa, &e);
		if (i % 2048 == 2047) {
			repl_ct_inject_flush(wa);
			repl_state_poll(a.rs);
			pump(&a, &b);
		}
	}
	repl_ct_inject_flush(wa);
	repl_state_poll(a.rs);
	pump(&a, &b);
	double t = now() - t0;
	long got = table_size(rb);
	const struct repl_state_stats *sa = repl_state_get_stats(a.rs);
	printf("repl_incr_rate %.0f entries/s (%ld entries in %.3f s)\n", n / t, n, t);
	printf("repl_incr_lost %ld missing on the standby, %llu event overruns\n",
	       n - got, (unsigned long long)sa->events_lost);
	repl_state_destroy(a.rs);
	repl_state_destroy(b.rs);
	repl_ct_destroy(wa);
	repl_ct_destroy(rb);
	netns_delete(na);
	netns_delete(nb);
	return 0;
}
