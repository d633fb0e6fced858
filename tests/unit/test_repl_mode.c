/*
 * repl_mode: two "units" in one process.  Namespace A is the active
 * context, namespace B the standby's copy; each side runs a policy whose
 * send callback queues batches on an in-memory link, delivered by hand
 * (pump) to the other side's recv.  Full sync, sync on request, events,
 * periodic refresh, the HTTP filter, batch size limits and bad batches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "system/sys_netns.h"

/* ---- in-memory link ------------------------------------------------------- */

struct frame {
	uint8_t *data;
	size_t len;
	struct frame *next;
};

struct side {
	struct repl_ct *ct;
	struct repl_mode_state *mode;
	const struct repl_mode *ops;
	struct frame *out_head, *out_tail;  /* batches waiting for the mate */
	size_t max_batch_seen;
	uint8_t flags_seen;
};

static int link_send(void *arg, const void *batch, size_t len)
{
	struct side *s = arg;
	struct frame *f = calloc(1, sizeof *f);
	f->data = malloc(len);
	memcpy(f->data, batch, len);
	f->len = len;
	if (len > s->max_batch_seen)
		s->max_batch_seen = len;
	s->flags_seen |= ((const uint8_t *)batch)[2];
	if (s->out_tail)
		s->out_tail->next = f;
	else
		s->out_head = f;
	s->out_tail = f;
	return 0;
}

/* Delivers queued batches both ways until the link is idle. */
static void pump(struct side *a, struct side *b)
{
	for (int moved = 1; moved;) {
		moved = 0;
		struct side *pair[2][2] = { { a, b }, { b, a } };
		for (int k = 0; k < 2; k++) {
			struct side *from = pair[k][0], *to = pair[k][1];
			while (from->out_head) {
				struct frame *f = from->out_head;
				from->out_head = f->next;
				if (!from->out_head)
					from->out_tail = NULL;
				assert_int_equal(to->ops->recv(to->mode, f->data, f->len), 0);
				free(f->data);
				free(f);
				moved = 1;
			}
		}
	}
}

/* ---- lab -------------------------------------------------------------------- */

struct lab {
	char ns_a[32], ns_b[32];
	struct side a, b;
	struct repl_ct *writer;   /* plays the traffic in A */
};

static int setup_mode(void **state, const struct repl_mode *ops,
		      size_t batch_bytes, unsigned refresh_s)
{
	struct lab *l = calloc(1, sizeof *l);
	*state = l;
	snprintf(l->ns_a, sizeof l->ns_a, "t%dxma", (int)getpid());
	snprintf(l->ns_b, sizeof l->ns_b, "t%dxmb", (int)getpid());
	if (netns_create(l->ns_a) || netns_create(l->ns_b) ||
	    repl_ct_create(l->ns_a, &l->a.ct) || repl_ct_create(l->ns_b, &l->b.ct) ||
	    repl_ct_create(l->ns_a, &l->writer)) {
		fprintf(stderr, "lab incomplete\n");
		return 0;
	}
	struct side *sides[2] = { &l->a, &l->b };
	for (int i = 0; i < 2; i++) {
		struct repl_mode_env env = {
			.kernel = sides[i]->ct, .send = link_send,
			.send_arg = sides[i], .batch_bytes = batch_bytes,
			.refresh_s = refresh_s,
		};
		sides[i]->ops = ops;
		assert_int_equal(ops->init(&env, &sides[i]->mode), 0);
	}
	return 0;
}

static int setup_incremental(void **state)
{
	return setup_mode(state, &repl_mode_incremental, 0, 10);
}

static int setup_bulk_small(void **state)
{
	return setup_mode(state, &repl_mode_bulk, 512, 10);
}

static int teardown(void **state)
{
	struct lab *l = *state;
	struct side *sides[2] = { &l->a, &l->b };
	for (int i = 0; i < 2; i++) {
		if (sides[i]->ops)
			sides[i]->ops->kill(sides[i]->mode);
		while (sides[i]->out_head) {
			struct frame *f = sides[i]->out_head;
			sides[i]->out_head = f->next;
			free(f->data);
			free(f);
		}
		repl_ct_destroy(sides[i]->ct);
	}
	repl_ct_destroy(l->writer);
	netns_delete(l->ns_a);
	netns_delete(l->ns_b);
	free(l);
	return 0;
}

static struct lab *need_lab(void **state)
{
	struct lab *l = *state;
	if (!l->a.mode || !l->b.mode) {
		printf("SKIP: cannot create network namespaces / ctnetlink sockets here\n");
		skip();
	}
	return l;
}

static struct repl_ct_entry mk(uint8_t proto, unsigned i, uint16_t dport)
{
	struct repl_ct_entry e = { .op = REPL_CT_NEW, .family = AF_INET,
				   .proto = proto, .timeout = 600,
				   .status = IPS_SEEN_REPLY | IPS_ASSURED };
	uint32_t s = htonl(0x0a070000u | (i & 0xffff));
	uint32_t d = htonl(0xc0000207u);
	memcpy(e.orig.src, &s, 4);
	memcpy(e.orig.dst, &d, 4);
	e.orig.sport = (uint16_t)(20000 + i);
	e.orig.dport = dport;
	memcpy(e.reply.src, &d, 4);
	memcpy(e.reply.dst, &s, 4);
	e.reply.sport = dport;
	e.reply.dport = e.orig.sport;
	if (proto == IPPROTO_TCP)
		e.tcp_state = TCP_CONNTRACK_ESTABLISHED;
	if (i % 3 == 0) {
		uint32_t pub = htonl(0xcb007101u);
		e.snat.set = true;
		memcpy(e.snat.addr, &pub, 4);
		e.snat.port = (uint16_t)(30000 + i);
	}
	return e;
}

/* Plays N connections (every 5th to port 80) into A's kernel. */
static void play_traffic(struct lab *l, unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n; i++) {
		struct repl_ct_entry e = mk(i % 2 ? IPPROTO_UDP : IPPROTO_TCP, i,
					    i % 5 == 0 ? 80 : 443);
		assert_int_equal(repl_ct_inject(l->writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->writer), 0);
}

struct collect {
	struct repl_ct_entry v[1024];
	size_t n;
};

static int collect_fn(void *arg, const struct repl_ct_entry *e)
{
	struct collect *c = arg;
	if (c->n < sizeof c->v / sizeof c->v[0])
		c->v[c->n++] = *e;
	return 0;
}

/* Every connection of A is in B with the same tuples, state and NAT. */
static void assert_tables_equal(struct lab *l)
{
	static struct collect ca, cb;
	ca.n = cb.n = 0;
	assert_true(repl_ct_dump(l->a.ct, collect_fn, &ca) >= 0);
	assert_true(repl_ct_dump(l->b.ct, collect_fn, &cb) >= 0);
	assert_int_equal(ca.n, cb.n);
	for (size_t i = 0; i < ca.n; i++) {
		size_t j;
		for (j = 0; j < cb.n; j++)
			if (!memcmp(&ca.v[i].orig, &cb.v[j].orig, sizeof ca.v[i].orig))
				break;
		assert_true(j < cb.n);
		assert_memory_equal(&ca.v[i].reply, &cb.v[j].reply, sizeof ca.v[i].reply);
		assert_int_equal(ca.v[i].tcp_state, cb.v[j].tcp_state);
		assert_memory_equal(&ca.v[i].snat, &cb.v[j].snat, sizeof ca.v[i].snat);
	}
}

static int count_fn(void *arg, const struct repl_ct_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int table_size(struct repl_ct *ct)
{
	int n = 0;
	assert_true(repl_ct_dump(ct, count_fn, &n) >= 0);
	return n;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(repl_mode_find("bulk"), &repl_mode_bulk);
	assert_ptr_equal(repl_mode_find("incremental"), &repl_mode_incremental);
	assert_null(repl_mode_find("ftfw"));
	assert_null(repl_mode_find(NULL));
	struct repl_mode_state *st;
	struct repl_mode_env env = { 0 };
	assert_int_equal(repl_mode_bulk.init(&env, &st), -EINVAL);
}

static void test_bulk_on_join_and_on_request(void **state)
{
	struct lab *l = need_lab(state);
	play_traffic(l, 0, 300);
	/* Join: the active sends everything. */
	assert_int_equal(l->a.ops->resync(l->a.mode), 0);
	pump(&l->a, &l->b);
	assert_int_equal(table_size(l->b.ct), 300);
	assert_tables_equal(l);
	assert_int_equal(l->a.ops->stats(l->a.mode)->bulk_sent, 1);
	assert_int_equal(l->b.ops->stats(l->b.mode)->bulk_received, 1);
	assert_true(l->a.flags_seen & REPL_BATCH_BULK_BEGIN);
	assert_true(l->a.flags_seen & REPL_BATCH_BULK_END);

	/* `clear ... ha` on the standby: its table is emptied, it asks. */
	assert_int_equal(repl_ct_flush_table(l->b.ct), 0);
	assert_int_equal(l->b.ops->request(l->b.mode), 0);
	pump(&l->a, &l->b);
	assert_int_equal(l->a.ops->stats(l->a.mode)->bulk_requests, 1);
	assert_int_equal(table_size(l->b.ct), 300);
	assert_tables_equal(l);
}

static int to_mode(void *arg, const struct repl_ct_entry *e)
{
	struct side *s = arg;
	return s->ops->local(s->mode, e);
}

/* Kernel events reach the mate; the mate's own injections do not echo. */
static void test_incremental_events_no_echo(void **state)
{
	struct lab *l = need_lab(state);
	assert_int_equal(repl_ct_subscribe(l->a.ct, 0), 0);
	assert_int_equal(repl_ct_subscribe(l->b.ct, 0), 0);
	int before = table_size(l->b.ct);

	play_traffic(l, 1000, 50);
	for (unsigned i = 1000; i < 1010; i++) {  /* 10 connections close */
		struct repl_ct_entry e = mk(i % 2 ? IPPROTO_UDP : IPPROTO_TCP, i,
					    i % 5 == 0 ? 80 : 443);
		e.op = REPL_CT_DESTROY;
		assert_int_equal(repl_ct_inject(l->writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->writer), 0);
	int got = repl_ct_read_events(l->a.ct, to_mode, &l->a);
	assert_int_equal(got, 60);
	assert_int_equal(l->a.ops->xmit(l->a.mode), 0);
	pump(&l->a, &l->b);
	assert_int_equal(table_size(l->b.ct), before + 50 - 10);
	assert_tables_equal(l);

	/* B installed 60 changes; none comes back as an event to send. */
	int echoed = repl_ct_read_events(l->b.ct, to_mode, &l->b);
	assert_int_equal(echoed, 0);
	assert_true(repl_ct_get_stats(l->b.ct)->events_echo > 0);
	assert_int_equal(l->b.ops->xmit(l->b.mode), 0);
	assert_null(l->b.out_head);
}

static void test_incremental_refresh(void **state)
{
	struct lab *l = need_lab(state);
	uint64_t rx0 = l->b.ops->stats(l->b.mode)->rx_records;
	int n = table_size(l->a.ct);
	assert_int_equal(l->a.ops->tick(l->a.mode, 5000), 0);    /* schedules */
	assert_null(l->a.out_head);
	assert_int_equal(l->a.ops->tick(l->a.mode, 14999), 0);   /* too early */
	assert_null(l->a.out_head);
	assert_int_equal(l->a.ops->tick(l->a.mode, 15000), 0);   /* 10 s later */
	assert_non_null(l->a.out_head);
	pump(&l->a, &l->b);
	assert_int_equal(l->a.ops->stats(l->a.mode)->refreshes, 1);
	assert_int_equal(l->b.ops->stats(l->b.mode)->rx_records - rx0, (uint64_t)n);
	assert_true(l->a.flags_seen & REPL_BATCH_REFRESH);
	assert_tables_equal(l);
}

static bool no_http(void *arg, const struct repl_ct_entry *e)
{
	(void)arg;
	return !repl_ct_is_http(e);
}

/* Without `failover replication http`, port 80 stays home. */
static void test_http_filter(void **state)
{
	struct lab *l = need_lab(state);
	assert_int_equal(repl_ct_flush_table(l->a.ct), 0);
	assert_int_equal(repl_ct_flush_table(l->b.ct), 0);
	play_traffic(l, 0, 100);   /* 10 TCP and 10 UDP go to port 80 */
	repl_ct_set_filter(l->a.ct, no_http, NULL);
	assert_int_equal(l->a.ops->resync(l->a.mode), 0);
	pump(&l->a, &l->b);
	repl_ct_set_filter(l->a.ct, NULL, NULL);
	assert_int_equal(table_size(l->b.ct), 90);
	static struct collect cb;
	cb.n = 0;
	assert_true(repl_ct_dump(l->b.ct, collect_fn, &cb) >= 0);
	for (size_t i = 0; i < cb.n; i++)
		assert_false(repl_ct_is_http(&cb.v[i]));
}

/* Batches respect batch_bytes; a bulk of 300 needs many of them. */
static void test_bulk_small_batches(void **state)
{
	struct lab *l = need_lab(state);
	play_traffic(l, 0, 300);
	assert_int_equal(l->a.ops->resync(l->a.mode), 0);
	pump(&l->a, &l->b);
	assert_int_equal(table_size(l->b.ct), 300);
	assert_true(l->a.max_batch_seen <= 512);
	assert_true(l->a.ops->stats(l->a.mode)->tx_batches >= 300 * 40 / 512);
	/* Bulk mode ignores single events and time. */
	struct repl_ct_entry e = mk(IPPROTO_TCP, 5000, 443);
	assert_int_equal(l->a.ops->local(l->a.mode, &e), 0);
	assert_int_equal(l->a.ops->tick(l->a.mode, 1), 0);
	assert_int_equal(l->a.ops->tick(l->a.mode, 1000000), 0);
	assert_int_equal(l->a.ops->xmit(l->a.mode), 0);
	assert_null(l->a.out_head);
}

/* Garbage from the mate is refused and counted; good records in front of
 * a bad one are kept. */
static void test_bad_batches(void **state)
{
	struct lab *l = need_lab(state);
	const struct repl_mode *ops = l->b.ops;
	struct repl_mode_state *st = l->b.mode;
	uint64_t bad0 = ops->stats(st)->rx_bad;
	static const uint8_t wrong_version[] = { 9, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t wrong_kind[] = { 1, 7, 0, 0, 0, 0, 0, 0 };
	static const uint8_t short_hdr[] = { 1, 1, 0 };
	static const uint8_t count_lies[] = { 1, 1, 0, 0, 0, 0, 0, 5 };
	static const uint8_t junk[] = { 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 40, 0xff };
	assert_int_equal(ops->recv(st, wrong_version, sizeof wrong_version), -EPROTO);
	assert_int_equal(ops->recv(st, wrong_kind, sizeof wrong_kind), -EPROTO);
	assert_int_equal(ops->recv(st, short_hdr, sizeof short_hdr), -EBADMSG);
	assert_int_equal(ops->recv(st, NULL, 0), -EBADMSG);
	assert_int_equal(ops->recv(st, count_lies, sizeof count_lies), -EBADMSG);
	assert_true(ops->recv(st, junk, sizeof junk) < 0);
	assert_int_equal(ops->stats(st)->rx_bad - bad0, 6);

	/* Two good records then a truncated third. */
	assert_int_equal(repl_ct_flush_table(l->b.ct), 0);
	struct side *a = &l->a;
	for (unsigned i = 0; i < 3; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, 7000 + i, 443);
		assert_int_equal(a->ops->enqueue(a->mode, &e), 0);
	}
	assert_int_equal(a->ops->xmit(a->mode), 0);
	struct frame *f = a->out_head;
	assert_non_null(f);
	a->out_head = a->out_tail = NULL;
	assert_int_equal(ops->recv(st, f->data, f->len - 3), -EMSGSIZE);
	assert_int_equal(table_size(l->b.ct), 2);
	free(f->data);
	free(f);
}

int main(void)
{
	const struct CMUnitTest incremental[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_bulk_on_join_and_on_request),
		cmocka_unit_test(test_incremental_events_no_echo),
		cmocka_unit_test(test_incremental_refresh),
		cmocka_unit_test(test_http_filter),
		cmocka_unit_test(test_bad_batches),
	};
	const struct CMUnitTest bulk[] = {
		cmocka_unit_test(test_bulk_small_batches),
	};
	int failed = cmocka_run_group_tests_name("repl_mode incremental", incremental,
						 setup_incremental, teardown);
	failed += cmocka_run_group_tests_name("repl_mode bulk", bulk,
					      setup_bulk_small, teardown);
	return failed;
}
