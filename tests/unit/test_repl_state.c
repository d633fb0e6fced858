/*
 * repl_state: two units in one process.  Namespace A is context "c1" on
 * the active unit, namespace B the same context on the standby unit; each
 * side runs a repl_state whose send op encodes STATE/BULK_REQ frames with
 * the real wire codec onto an in-memory link, delivered by hand (pump).
 * A writer plays connections into A's kernel.  Bulk on request with the
 * group marker, incremental events, NAT kept, loss counted in xerr/rerr
 * and repaired by the periodic update, the HTTP filter, the transmit
 * queue on a full link, and malformed messages.
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

#include "failover/fo_wire.h"
#include "replication/repl_ct.h"
#include "replication/repl_state.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

struct frame {
	struct buf bytes;
	struct frame *next;
};

struct side {
	struct repl_state *rs;
	struct frame *head, *tail;
	size_t nout;
	int fail_next;        /* the next N sends fail with fail_err */
	int fail_err;
	int bulk_done[3];
};

struct lab {
	char ns_a[32], ns_b[32];
	struct side a, b;
	struct repl_ct *writer;   /* traffic in A */
	struct repl_ct *reader;   /* looks at B */
	bool ok;
};

static int side_send(void *arg, struct fo_wire_msg *m)
{
	struct side *s = arg;
	if (s->fail_next) {
		s->fail_next--;
		return s->fail_err;
	}
	struct frame *f = calloc(1, sizeof *f);
	buf_init(&f->bytes);
	assert_int_equal(fo_wire_encode(&f->bytes, m), 0);
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	s->nout++;
	return 0;
}

static void side_bulk_done(void *arg, int group)
{
	((struct side *)arg)->bulk_done[group]++;
}

static const struct repl_state_ops side_ops = {
	.send = side_send, .bulk_done = side_bulk_done,
};

static size_t pump_one(struct side *from, struct side *to)
{
	size_t n = 0;
	struct fo_wire_msg *m = malloc(sizeof *m);
	while (from->head) {
		struct frame *f = from->head;
		from->head = f->next;
		if (!from->head)
			from->tail = NULL;
		from->nout--;
		assert_int_equal(fo_wire_decode((const uint8_t *)f->bytes.data,
						f->bytes.len, m), FO_WIRE_OK);
		repl_state_recv(to->rs, m);
		buf_free(&f->bytes);
		free(f);
		n++;
	}
	free(m);
	return n;
}

static void pump(struct lab *l)
{
	while (pump_one(&l->a, &l->b) + pump_one(&l->b, &l->a))
		;
}

static void drop_queued(struct side *s)
{
	while (s->head) {
		struct frame *f = s->head;
		s->head = f->next;
		buf_free(&f->bytes);
		free(f);
	}
	s->tail = NULL;
	s->nout = 0;
}

static int setup(void **state)
{
	struct lab *l = calloc(1, sizeof *l);
	*state = l;
	log_init("test_repl_state", true, LOG_SEV_ERR);
	snprintf(l->ns_a, sizeof l->ns_a, "t%dxsa", (int)getpid());
	snprintf(l->ns_b, sizeof l->ns_b, "t%dxsb", (int)getpid());
	if (netns_create(l->ns_a) || netns_create(l->ns_b) ||
	    repl_ct_create(l->ns_a, &l->writer) ||
	    repl_ct_create(l->ns_b, &l->reader))
		return 0;
	assert_int_equal(repl_state_create(NULL, &side_ops, &l->a, &l->a.rs), 0);
	assert_int_equal(repl_state_create(NULL, &side_ops, &l->b, &l->b.rs), 0);
	if (repl_state_ctx_add(l->a.rs, "c1", l->ns_a, 1) ||
	    repl_state_ctx_add(l->b.rs, "c1", l->ns_b, 1))
		return 0;
	repl_state_set_group_active(l->b.rs, 1, false);
	repl_state_mate_up(l->a.rs);
	repl_state_mate_up(l->b.rs);
	l->ok = true;
	return 0;
}

/* As after a join: the standby asked for the group once, so A's updates
 * flow. */
static int setup_joined(void **state)
{
	setup(state);
	struct lab *l = *state;
	if (!l->ok)
		return 0;
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump(l);
	return 0;
}

static int teardown(void **state)
{
	struct lab *l = *state;
	drop_queued(&l->a);
	drop_queued(&l->b);
	repl_state_destroy(l->a.rs);
	repl_state_destroy(l->b.rs);
	repl_ct_destroy(l->writer);
	repl_ct_destroy(l->reader);
	netns_delete(l->ns_a);
	netns_delete(l->ns_b);
	free(l);
	return 0;
}

static struct lab *need_lab(void **state)
{
	struct lab *l = *state;
	if (!l->ok) {
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
	uint32_t s = htonl(0xc0a80100u | (i & 0xff)), d = htonl(0xac100103u);
	memcpy(e.orig.src, &s, 4);
	memcpy(e.orig.dst, &d, 4);
	e.orig.sport = (uint16_t)(10000 + i);
	e.orig.dport = dport;
	memcpy(e.reply.src, &d, 4);
	e.reply.sport = dport;
	if (i % 2 == 0) {         /* every other one PAT'ed to 172.16.1.1 */
		uint32_t pub = htonl(0xac100101u);
		memcpy(e.reply.dst, &pub, 4);
		e.reply.dport = (uint16_t)(40000 + i);
		e.snat.set = true;
		memcpy(e.snat.addr, &pub, 4);
		e.snat.port = e.reply.dport;
	} else {
		memcpy(e.reply.dst, &s, 4);
		e.reply.dport = e.orig.sport;
	}
	if (proto == IPPROTO_TCP)
		e.tcp_state = TCP_CONNTRACK_ESTABLISHED;
	return e;
}

static void play(struct lab *l, unsigned first, unsigned n, uint16_t dport)
{
	for (unsigned i = first; i < first + n; i++) {
		struct repl_ct_entry e = mk(i % 3 ? IPPROTO_TCP : IPPROTO_UDP, i,
					    dport);
		assert_int_equal(repl_ct_inject(l->writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->writer), 0);
}

struct find {
	uint16_t sport;
	bool found, snat;
	uint8_t tcp_state;
	int n;
};

static int find_fn(void *arg, const struct repl_ct_entry *e)
{
	struct find *f = arg;
	f->n++;
	if (e->orig.sport == f->sport) {
		f->found = true;
		f->snat = e->snat.set;
		f->tcp_state = e->tcp_state;
	}
	return 0;
}

static struct find look(struct repl_ct *ct, unsigned i)
{
	struct find f = { .sport = (uint16_t)(10000 + i) };
	assert_true(repl_ct_dump(ct, find_fn, &f) >= 0);
	return f;
}

/* The standby's first bulk request for group 1, answered: entry 4 of the
 * 300 played on the active side is in the standby's kernel. */
static struct find first_bulk(struct lab *l)
{
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump(l);
	assert_int_equal(l->b.bulk_done[1], 1);
	struct find f = look(l->reader, 4);
	assert_int_equal(f.n, 300);
	assert_true(f.found);
	return f;
}

/* The standby asks, the active sends every context of the group and the
 * group marker: the standby's kernel holds the connections, with NAT and
 * TCP state, and its FSM is told. */
static void test_bulk_on_request(void **state)
{
	struct lab *l = need_lab(state);
	play(l, 0, 300, 443);
	repl_state_poll(l->a.rs);            /* not asked yet: nothing sent */
	repl_state_tick(l->a.rs, 5000);
	assert_int_equal(l->a.nout, 0);
	struct find f = first_bulk(l);
	assert_true(f.snat);
	assert_int_equal(f.tcp_state, TCP_CONNTRACK_ESTABLISHED);
	const struct repl_state_stats *sa = repl_state_get_stats(l->a.rs);
	const struct repl_state_stats *sb = repl_state_get_stats(l->b.rs);
	assert_int_equal(sa->obj[REPL_OBJ_TCP].xmit, 200);
	assert_int_equal(sa->obj[REPL_OBJ_UDP].xmit, 100);
	assert_int_equal(sb->obj[REPL_OBJ_TCP].rcv, 200);
	assert_int_equal(sb->obj[REPL_OBJ_UDP].rcv, 100);
	assert_int_equal(sb->obj[REPL_OBJ_TCP].rerr, 0);
	assert_int_equal(sb->bulk_received, 1);
	struct repl_ctx_stats cs;
	assert_int_equal(repl_state_get_ctx_stats(l->b.rs, "c1", &cs), 0);
	assert_int_equal(cs.conn_rcv, 300);
	/* A second bulk replaces the copy: an entry that only B had goes. */
	struct repl_ct_entry stale = mk(IPPROTO_TCP, 999, 443);
	assert_int_equal(repl_ct_inject(l->reader, &stale), 0);
	assert_int_equal(repl_ct_inject_flush(l->reader), 0);
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump(l);
	assert_false(look(l->reader, 999).found);
	assert_int_equal(look(l->reader, 999).n, 300);
	assert_int_equal(l->b.bulk_done[1], 2);
}

/* A bulk replaces a big copy too (swept in slices, not flushed in one
 * kernel call): thousands of stale entries on the standby, none survive,
 * every entry of the active unit arrives. */
static void test_bulk_sweeps_big_copy(void **state)
{
	struct lab *l = need_lab(state);
	play(l, 0, 300, 443);
	for (unsigned i = 0; i < 5000; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, i, 8443);
		assert_int_equal(repl_ct_inject(l->reader, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->reader), 0);
	assert_int_equal(repl_ct_count(l->reader), 5000);
	(void)first_bulk(l);
	assert_int_equal(repl_state_get_stats(l->b.rs)->obj[REPL_OBJ_GENERAL].rerr, 0);
}

/* An update whose REPLY tuple is taken on the standby by a stale entry
 * of another original tuple fails as create (EEXIST) and as update
 * (ENOENT): it is lost, so it is counted in rerr. */
static void test_reply_collision_counted(void **state)
{
	struct lab *l = need_lab(state);
	/* Entry 0 (UDP) is PAT'ed: reply 172.16.1.3:443 -> 172.16.1.1:40000. */
	struct repl_ct_entry stale = mk(IPPROTO_UDP, 0, 443);
	uint32_t pub = htonl(0xac100101u), srv = htonl(0xac100103u);
	memset(&stale.orig, 0, sizeof stale.orig);
	memset(&stale.reply, 0, sizeof stale.reply);
	memset(&stale.snat, 0, sizeof stale.snat);
	memcpy(stale.orig.src, &pub, 4);
	memcpy(stale.orig.dst, &srv, 4);
	stale.orig.sport = 40000;
	stale.orig.dport = 443;
	assert_int_equal(repl_ct_inject(l->reader, &stale), 0);
	assert_int_equal(repl_ct_inject_flush(l->reader), 0);
	const struct repl_state_stats *sb = repl_state_get_stats(l->b.rs);
	uint64_t rerr0 = sb->obj[REPL_OBJ_GENERAL].rerr;
	play(l, 0, 2, 443);
	assert_true(repl_state_poll(l->a.rs) >= 2);
	pump(l);
	assert_int_equal(sb->obj[REPL_OBJ_GENERAL].rerr - rerr0, 1);
	struct repl_ctx_stats cs;
	assert_int_equal(repl_state_get_ctx_stats(l->b.rs, "c1", &cs), 0);
	assert_int_equal(cs.conn_err, 1);
	assert_int_equal(cs.conn_rcv, 1);
	assert_true(look(l->reader, 1).found);
	assert_false(look(l->reader, 0).found);
}

/* Events on the active side reach the standby's kernel; none flow before
 * the standby asked for the group (it may still be syncing its config). */
static void test_incremental(void **state)
{
	struct lab *l = need_lab(state);
	repl_state_poll(l->a.rs);            /* nothing yet */
	play(l, 0, 50, 443);
	assert_true(repl_state_poll(l->a.rs) >= 50);
	pump(l);
	assert_int_equal(look(l->reader, 7).n, 50);
	/* Closing: DESTROY events remove them on the standby too. */
	for (unsigned i = 0; i < 10; i++) {
		struct repl_ct_entry e = mk(i % 3 ? IPPROTO_TCP : IPPROTO_UDP, i, 443);
		e.op = REPL_CT_DESTROY;
		assert_int_equal(repl_ct_inject(l->writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->writer), 0);
	repl_state_poll(l->a.rs);
	pump(l);
	assert_int_equal(look(l->reader, 7).n, 40);
	assert_false(look(l->reader, 7).found);
	/* The standby side sends nothing of its own. */
	repl_state_poll(l->b.rs);
	assert_int_equal(l->b.nout, 0);
}

/* A new update interval counts from the change: the update the old one
 * had scheduled does not come (an operator who lengthens it stops the
 * updates at once), the first under the new one comes a new interval
 * after the change. */
static uint64_t refreshes(struct lab *l)
{
	struct repl_ctx_stats cs;
	assert_int_equal(repl_state_get_ctx_stats(l->a.rs, "c1", &cs), 0);
	return cs.refreshes;
}

static void test_interval_change_reschedules(void **state)
{
	struct lab *l = need_lab(state);
	play(l, 200, 5, 8443);
	repl_state_poll(l->a.rs);
	pump(l);
	assert_int_equal(repl_state_set_update_interval(l->a.rs, 2), 0);
	uint64_t t = 2000000;
	repl_state_tick(l->a.rs, t);            /* arms: due at t + 2 s */
	uint64_t r0 = refreshes(l);
	repl_state_tick(l->a.rs, t + 2100);
	pump(l);
	assert_int_equal(refreshes(l), r0 + 1);
	t += 2100;                              /* next due at t + 2 s */
	assert_int_equal(repl_state_set_update_interval(l->a.rs, 30), 0);
	assert_int_equal(repl_state_update_interval(l->a.rs), 30);
	repl_state_tick(l->a.rs, t + 100);      /* counts from here */
	repl_state_tick(l->a.rs, t + 2500);     /* the old schedule: nothing */
	pump(l);
	assert_int_equal(refreshes(l), r0 + 1);
	repl_state_tick(l->a.rs, t + 100 + 30100);
	pump(l);
	assert_int_equal(refreshes(l), r0 + 2);
	assert_int_equal(repl_state_set_update_interval(l->a.rs, 10), 0);
}

/* A lost update is counted (xerr on the sender, rerr on the receiver)
 * and repaired by the next periodic update. */
static void test_loss_counted_and_repaired(void **state)
{
	struct lab *l = need_lab(state);
	assert_int_equal(repl_state_set_update_interval(l->a.rs, 1), 0);
	assert_int_equal(repl_state_set_update_interval(l->a.rs, 0), -EINVAL);
	l->a.fail_next = 1;
	l->a.fail_err = -ENOTCONN;
	play(l, 0, 20, 443);
	repl_state_poll(l->a.rs);
	pump(l);
	const struct repl_state_stats *sa = repl_state_get_stats(l->a.rs);
	assert_int_equal(sa->obj[REPL_OBJ_TCP].xerr + sa->obj[REPL_OBJ_UDP].xerr, 20);
	assert_int_equal(sa->obj[REPL_OBJ_GENERAL].xerr, 20);
	assert_false(look(l->reader, 5).found);
	/* A corrupted record on the way counts rerr on the standby. */
	play(l, 100, 1, 443);
	repl_state_poll(l->a.rs);
	assert_int_equal(l->a.nout, 1);
	/* Delivered with its record cut short, as a broken link would. */
	struct fo_wire_msg *m = malloc(sizeof *m);
	assert_int_equal(fo_wire_decode((const uint8_t *)l->a.head->bytes.data,
					l->a.head->bytes.len, m), FO_WIRE_OK);
	assert_int_equal(m->u.state.n_recs, 2);
	m->u.state.recs[1].data.len -= 5;
	repl_state_recv(l->b.rs, m);
	free(m);
	drop_queued(&l->a);
	const struct repl_state_stats *sb = repl_state_get_stats(l->b.rs);
	assert_int_equal(sb->obj[REPL_OBJ_TCP].rerr + sb->obj[REPL_OBJ_UDP].rerr, 1);
	assert_int_equal(sb->obj[REPL_OBJ_GENERAL].rerr, 1);
	assert_false(look(l->reader, 100).found);
	/* Periodic update: the first tick arms, the one after a period sends
	 * every entry again, since sends failed (xerr). */
	repl_state_tick(l->a.rs, 1000000);
	repl_state_tick(l->a.rs, 1000000 + 1500);
	pump(l);
	assert_true(look(l->reader, 5).found);
	assert_true(look(l->reader, 100).found);
	assert_int_equal(look(l->reader, 5).n, 21);
	/* What the mate lost on its side (rerr) comes back within one
	 * refresh cycle (at most 60 s), with nothing failing here. */
	assert_int_equal(repl_ct_flush_table(l->reader), 0);
	assert_false(look(l->reader, 100).found);
	uint64_t now = 1000000 + 1500;
	int passes = 0;
	while (!look(l->reader, 100).found && passes < 70) {
		now += 1100;
		repl_state_tick(l->a.rs, now);
		pump(l);
		passes++;
	}
	assert_true(look(l->reader, 100).found);
	assert_true(passes <= 61);
	/* ... and a pass does not carry every long-lived entry. */
	assert_true(look(l->reader, 5).n < 21);
}

/* HTTP connections travel only with `replication http`. */
static void test_http_filter(void **state)
{
	struct lab *l = need_lab(state);
	play(l, 0, 6, 80);          /* 4 TCP to port 80, 2 UDP */
	play(l, 50, 3, 443);
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump(l);
	assert_int_equal(look(l->reader, 0).n, 5);
	repl_state_set_http(l->a.rs, 1, true);
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump(l);
	assert_int_equal(look(l->reader, 0).n, 9);
}

/* A full link: batches wait in the transmit queue and go out in order. */
static void test_xmit_queue(void **state)
{
	struct lab *l = need_lab(state);
	play(l, 0, 100, 443);
	l->a.fail_next = 2;
	l->a.fail_err = -ENOBUFS;
	assert_int_equal(repl_state_request_bulk(l->b.rs, 1), 0);
	pump_one(&l->b, &l->a);      /* the request; A's first send fails */
	const struct repl_state_stats *sa = repl_state_get_stats(l->a.rs);
	assert_true(sa->xmit_q.cur >= 1);
	assert_true(sa->xmit_q.max >= 1);
	assert_int_equal(l->b.bulk_done[1], 0);
	repl_state_drain(l->a.rs);   /* second attempt fails too */
	assert_true(sa->xmit_q.cur >= 1);
	assert_int_equal(repl_state_drain(l->a.rs), 0);
	pump(l);
	assert_int_equal(l->b.bulk_done[1], 1);
	assert_int_equal(look(l->reader, 0).n, 100);
	assert_int_equal(sa->obj[REPL_OBJ_TCP].xerr + sa->obj[REPL_OBJ_UDP].xerr, 0);
}

/* Malformed or misaddressed STATE messages are dropped and counted. */
static void test_bad_messages(void **state)
{
	struct lab *l = need_lab(state);
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	static const uint8_t rec[] = { 1, 1, 0, 4 };
	/* Envelope: version, kind, flags, group, name length, name. */
	static const uint8_t env_unknown[] = { 2, 1, 0, 1, 5, 'n', 'o', 'p', 'e', '!' };
	static const uint8_t env_version[] = { 1, 1, 0, 1, 2, 'c', '1' };
	static const uint8_t env_len[] = { 2, 1, 0, 1, 9, 'c', '1' };
	static const uint8_t env_kind[] = { 2, 9, 0, 1, 2, 'c', '1' };
	static const uint8_t env_arp[] = { 2, 2, 0, 1, 2, 'c', '1' };
	static const uint8_t env_done[] = { 2, 3, 0, 7, 0 };
	static const uint8_t env_good[] = { 2, 1, 0, 1, 2, 'c', '1' };
	static const struct {
		const char *what;
		const uint8_t *env;
		size_t len;
		uint16_t env_type;
		uint16_t rec_type;
		int want;
	} cases[] = {
		{ "unknown context", env_unknown, sizeof env_unknown, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "old envelope version", env_version, sizeof env_version, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "name length", env_len, sizeof env_len, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "unknown kind", env_kind, sizeof env_kind, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "conn record in an ARP batch", env_arp, sizeof env_arp, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "group marker for group 7", env_done, sizeof env_done, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "first record not an envelope", env_good, sizeof env_good, FO_OBJ_TCP_CONN, FO_OBJ_TCP_CONN, -EBADMSG },
		{ "second envelope", env_good, sizeof env_good, FO_OBJ_ENVELOPE, FO_OBJ_ENVELOPE, -EBADMSG },
		{ "short envelope", env_good, 3, FO_OBJ_ENVELOPE, FO_OBJ_TCP_CONN, -EBADMSG },
	};
	const struct repl_state_stats *sb = repl_state_get_stats(l->b.rs);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fo_wire_msg_init(m, FO_WT_STATE);
		m->u.state.n_recs = 2;
		m->u.state.recs[0].obj_type = cases[i].env_type;
		m->u.state.recs[0].data.data = cases[i].env;
		m->u.state.recs[0].data.len = cases[i].len;
		m->u.state.recs[1].obj_type = cases[i].rec_type;
		m->u.state.recs[1].data.data = rec;
		m->u.state.recs[1].data.len = sizeof rec;
		int got = repl_state_recv(l->b.rs, m);
		if (got != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].what, got,
				 cases[i].want);
	}
	assert_int_equal(sb->msg_bad, sizeof cases / sizeof cases[0]);
	/* Records of a dropped message are counted as receive errors. */
	uint64_t rerr0 = sb->obj[REPL_OBJ_TCP].rerr;
	assert_int_equal(rerr0 + sb->obj[REPL_OBJ_UDP].rerr,
			 sizeof cases / sizeof cases[0]);
	/* A well-addressed batch with a truncated record: rerr, no crash. */
	fo_wire_msg_init(m, FO_WT_STATE);
	m->u.state.n_recs = 2;
	m->u.state.recs[0].obj_type = FO_OBJ_ENVELOPE;
	m->u.state.recs[0].data.data = env_good;
	m->u.state.recs[0].data.len = sizeof env_good;
	m->u.state.recs[1].obj_type = FO_OBJ_TCP_CONN;
	m->u.state.recs[1].data.data = rec;
	m->u.state.recs[1].data.len = 3;
	assert_int_equal(repl_state_recv(l->b.rs, m), 0);
	assert_int_equal(sb->obj[REPL_OBJ_TCP].rerr, rerr0 + 1);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_on_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_sweeps_big_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_collision_counted, setup_joined, teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup_joined, teardown),
		cmocka_unit_test_setup_teardown(test_interval_change_reschedules, setup_joined, teardown),
		cmocka_unit_test_setup_teardown(test_loss_counted_and_repaired, setup_joined, teardown),
		cmocka_unit_test_setup_teardown(test_http_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xmit_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
