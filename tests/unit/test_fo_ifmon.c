/*
 * fo_ifsm / fo_ifmon: interface monitoring.
 *
 * 1. The state machine with a fake clock and scripted test verdicts,
 *    table-driven: every path of fo_ifsm.h's diagram.
 * 2. interface-policy thresholds, table-driven.
 * 3. The real thing between two namespaces over a veth pair (names
 *    t<pid>xim*, removed in teardown): hellos, link down seen at once,
 *    a silent mate whose kernel still answers (ICMP unreachable, ARP:
 *    ours Normal, mate Failed), a dead segment (Failed), Waiting without
 *    an address, garbage datagrams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "failover/fo_ifmon.h"
#include "failover/fo_ifsm.h"
/* Both state vocabularies in one file: FO_IFS_* (monitor) and FO_IF_*
 * (wire summary) must not clash (fo_unit_ifmon.c needs both). */
#include "failover/fo_wire.h"
#include "system/sys_buf.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_netns.h"

/* ---------------------------------------------------------------- */
/* 1. state machine, fake clock                                      */

struct script {
	enum fo_if_verdict start[FO_IF_TEST_MAX];  /* test_start answer */
	enum fo_if_verdict finish[FO_IF_TEST_MAX]; /* test_finish answer */
};

struct fake {
	const struct script *sc;
	unsigned started[FO_IF_TEST_MAX];
	unsigned changes;
	enum fo_if_state last_from, last_to;
};

static enum fo_if_verdict fake_start(void *ctx, enum fo_if_test t)
{
	struct fake *f = ctx;

	f->started[t]++;
	return f->sc->start[t];
}

static enum fo_if_verdict fake_finish(void *ctx, enum fo_if_test t)
{
	struct fake *f = ctx;

	return f->sc->finish[t];
}

static void fake_changed(void *ctx, enum fo_if_state from,
			 enum fo_if_state to)
{
	struct fake *f = ctx;

	assert_int_not_equal(from, to);
	f->changes++;
	f->last_from = from;
	f->last_to = to;
}

static const struct fo_ifsm_ops fake_ops = {
	.test_start = fake_start,
	.test_finish = fake_finish,
	.changed = fake_changed,
};

enum step_kind { S_HELLO, S_TICK, S_LINK_DOWN, S_LINK_UP, S_ADDR_NONE,
		 S_ADDR_SET, S_END };

struct step {
	enum step_kind kind;
	uint64_t at_ms;
	enum fo_if_state want;       /* this unit's state after the step */
	enum fo_if_state want_mate;  /* FO_IFS_MAX: "Unknown" */
	enum fo_if_test want_test;   /* test running after the step */
};

#define P FO_IF_PASS
#define F FO_IF_FAIL
#define W FO_IF_PENDING
/* Link up; every other test pending, each decides at finish. */
#define SCRIPT(a, arp, b) { .start = { P, W, W, W }, \
			    .finish = { P, a, arp, b } }

static const struct script all_fail = SCRIPT(F, F, F);
static const struct script arp_passes = SCRIPT(F, P, F);
static const struct script activity_passes = SCRIPT(P, F, F);
static const struct script link_down = { .start = { F, W, W, W },
					 .finish = { F, F, F, F } };
static const struct script instant_bcast = { .start = { P, W, W, P },
					     .finish = { P, F, F, F } };

#define NONE FO_IF_TEST_MAX
#define UNK FO_IFS_MAX
#define NORMAL FO_IFS_NORMAL
#define WAITING FO_IFS_WAITING
#define TESTING FO_IFS_TESTING
#define FAILED FO_IFS_FAILED
#define NOLINK FO_IFS_NO_LINK

struct sm_case {
	const char *name;
	const struct script *sc;
	struct step steps[16];
};

/* hold 1000 ms, each test 100 ms. */
static const struct sm_case sm_cases[] = {
	{ "alone: waits, never tests", &all_fail, {
		{ S_TICK, 5000, WAITING, UNK, NONE },
		{ S_TICK, 50000, WAITING, UNK, NONE },
		{ .kind = S_END } } },
	{ "hellos keep it normal", &all_fail, {
		{ S_HELLO, 100, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, NORMAL, NORMAL, NONE },
		{ S_HELLO, 1050, NORMAL, NORMAL, NONE },
		{ S_TICK, 2049, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
	{ "hold expires, every test fails: Failed", &all_fail, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 999, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1050, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1100, TESTING, NORMAL, FO_IF_TEST_ARP },
		{ S_TICK, 1200, TESTING, NORMAL, FO_IF_TEST_BROADCAST },
		{ S_TICK, 1300, FAILED, NORMAL, NONE },
		/* retested after another hold, state kept while testing */
		{ S_TICK, 2300, FAILED, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_HELLO, 2350, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
	{ "ARP test passes: ours Normal, mate Failed", &arp_passes, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1100, TESTING, NORMAL, FO_IF_TEST_ARP },
		{ S_TICK, 1200, NORMAL, FAILED, NONE },
		/* still silent: tested again one hold later */
		{ S_TICK, 2199, NORMAL, FAILED, NONE },
		{ S_TICK, 2200, TESTING, FAILED, FO_IF_TEST_ACTIVITY },
		{ S_HELLO, 2210, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
	{ "activity passes first", &activity_passes, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1100, NORMAL, FAILED, NONE },
		{ .kind = S_END } } },
	{ "instant verdict of the last test", &instant_bcast, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1100, TESTING, NORMAL, FO_IF_TEST_ARP },
		{ S_TICK, 1200, NORMAL, FAILED, NONE },
		{ .kind = S_END } } },
	{ "link test fails: No Link", &link_down, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, NOLINK, NORMAL, NONE },
		{ S_TICK, 9000, NOLINK, NORMAL, NONE },
		{ S_LINK_UP, 9100, WAITING, NORMAL, NONE },
		{ S_HELLO, 9200, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
	{ "link event down from any state, hellos ignored", &all_fail, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_LINK_DOWN, 1010, NOLINK, NORMAL, NONE },
		{ S_HELLO, 1020, NOLINK, NORMAL, NONE },
		{ S_TICK, 5000, NOLINK, NORMAL, NONE },
		{ S_LINK_UP, 5100, WAITING, NORMAL, NONE },
		/* mate was heard before: a silent hold after link-up tests */
		{ S_TICK, 6099, WAITING, NORMAL, NONE },
		{ S_TICK, 6100, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ .kind = S_END } } },
	{ "no address: Waiting, no tests", &all_fail, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_ADDR_NONE, 10, WAITING, NORMAL, NONE },
		{ S_HELLO, 20, WAITING, NORMAL, NONE },
		{ S_TICK, 90000, WAITING, NORMAL, NONE },
		{ S_ADDR_SET, 90001, WAITING, NORMAL, NONE },
		{ S_HELLO, 90002, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
	{ "hello during a test stops it", &all_fail, {
		{ S_HELLO, 0, NORMAL, NORMAL, NONE },
		{ S_TICK, 1000, TESTING, NORMAL, FO_IF_TEST_ACTIVITY },
		{ S_TICK, 1100, TESTING, NORMAL, FO_IF_TEST_ARP },
		{ S_HELLO, 1150, NORMAL, NORMAL, NONE },
		{ S_TICK, 1300, NORMAL, NORMAL, NONE },
		{ .kind = S_END } } },
};

static void apply_step(struct fo_ifsm *sm, const struct step *st)
{
	switch (st->kind) {
	case S_HELLO:
		fo_ifsm_hello(sm, st->at_ms, FO_IFS_NORMAL);
		break;
	case S_TICK:
		fo_ifsm_tick(sm, st->at_ms);
		break;
	case S_LINK_DOWN:
		fo_ifsm_link(sm, st->at_ms, false);
		break;
	case S_LINK_UP:
		fo_ifsm_link(sm, st->at_ms, true);
		break;
	case S_ADDR_NONE:
		fo_ifsm_addresses(sm, st->at_ms, false);
		break;
	case S_ADDR_SET:
		fo_ifsm_addresses(sm, st->at_ms, true);
		break;
	case S_END:
		break;
	}
}

static void test_sm_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(sm_cases) / sizeof(sm_cases[0]); c++) {
		const struct sm_case *k = &sm_cases[c];
		struct fake f = { .sc = k->sc };
		struct fo_ifsm *sm = fo_ifsm_create(&fake_ops, &f, 1000, 100, 0);

		assert_non_null(sm);
		assert_int_equal(fo_ifsm_state(sm), FO_IFS_WAITING);
		for (size_t i = 0; k->steps[i].kind != S_END; i++) {
			const struct step *st = &k->steps[i];

			apply_step(sm, st);
			if (fo_ifsm_state(sm) != st->want ||
			    fo_ifsm_mate_state(sm) != st->want_mate ||
			    fo_ifsm_current_test(sm) != st->want_test)
				fail_msg("case '%s' step %zu: state %s mate %s "
					 "test %s, want %s %s %s", k->name, i,
					 fo_if_state_name(fo_ifsm_state(sm)),
					 fo_if_state_name(
						 fo_ifsm_mate_state(sm)),
					 fo_if_test_name(
						 fo_ifsm_current_test(sm)),
					 fo_if_state_name(st->want),
					 fo_if_state_name(st->want_mate),
					 fo_if_test_name(st->want_test));
			/* The deadline is never in the past after a step. */
			assert_true(fo_ifsm_next_deadline(sm) > st->at_ms);
		}
		fo_ifsm_destroy(sm);
	}
}

static void test_sm_deadlines_and_args(void **state)
{
	struct fake f = { .sc = &all_fail };
	struct fo_ifsm *sm;

	(void)state;
	assert_null(fo_ifsm_create(NULL, &f, 1000, 100, 0));
	assert_null(fo_ifsm_create(&fake_ops, &f, 0, 100, 0));
	assert_null(fo_ifsm_create(&fake_ops, &f, 1000, 0, 0));
	sm = fo_ifsm_create(&fake_ops, &f, 1000, 100, 500);
	assert_non_null(sm);
	/* Waiting, mate never heard: nothing to wait for. */
	assert_true(fo_ifsm_next_deadline(sm) == UINT64_MAX);
	fo_ifsm_hello(sm, 700, FO_IFS_NORMAL);
	assert_true(fo_ifsm_next_deadline(sm) == 1700);
	assert_int_equal(fo_ifsm_set_times(sm, 0, 1), -EINVAL);
	assert_int_equal(fo_ifsm_set_times(sm, 2000, 50), 0);
	assert_true(fo_ifsm_next_deadline(sm) == 2700);
	fo_ifsm_tick(sm, 2700);
	assert_int_equal(f.started[FO_IF_TEST_LINK], 1);
	assert_true(fo_ifsm_next_deadline(sm) == 2750);
	/* A bogus state from the mate reads as Unknown. */
	fo_ifsm_hello(sm, 2800, (enum fo_if_state)77);
	assert_int_equal(fo_ifsm_mate_state(sm), FO_IFS_MAX);
	assert_string_equal(fo_if_state_name(FO_IFS_MAX), "Unknown");
	assert_string_equal(fo_if_state_name(FO_IFS_NO_LINK), "No Link");
	assert_true(fo_if_state_is_failure(FO_IFS_FAILED));
	assert_true(fo_if_state_is_failure(FO_IFS_NO_LINK));
	assert_false(fo_if_state_is_failure(FO_IFS_TESTING));
	assert_false(fo_if_state_is_failure(FO_IFS_WAITING));
	fo_ifsm_destroy(sm);
}

/* ---------------------------------------------------------------- */
/* 2. interface-policy                                               */

struct policy_case {
	enum fo_if_state states[8];
	size_t n;
	unsigned value;
	bool percent;
	bool want;
};

static const struct policy_case policy_cases[] = {
	{ { NORMAL, NORMAL }, 2, 0, false, false },
	{ { NORMAL, FAILED }, 2, 0, false, true },      /* default 1 */
	{ { NORMAL, NOLINK }, 2, 1, false, true },
	{ { TESTING, WAITING }, 2, 1, false, false },   /* not failures */
	{ { FAILED, NORMAL, NORMAL }, 3, 2, false, false },
	{ { FAILED, NOLINK, NORMAL }, 3, 2, false, true },
	{ { FAILED, NORMAL, NORMAL, NORMAL }, 4, 25, true, true },
	{ { FAILED, NORMAL, NORMAL, NORMAL }, 4, 26, true, false },
	{ { FAILED, FAILED, NORMAL }, 3, 50, true, true },
	{ { FAILED, NORMAL, NORMAL }, 3, 50, true, false },
	{ { NORMAL }, 1, 1, true, false },             /* 1% but 0 failed */
	{ { FAILED }, 1, 100, true, true },
	{ { 0 }, 0, 1, false, false },                 /* no interfaces */
	{ { 0 }, 0, 0, true, false },
};

static void test_policy_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]);
	     i++) {
		const struct policy_case *p = &policy_cases[i];
		bool got = fo_ifmon_policy_exceeded(p->states, p->n, p->value,
						    p->percent);

		if (got != p->want)
			fail_msg("policy case %zu: got %d want %d", i, got,
				 p->want);
	}
	assert_true(fo_ifmon_group_exceeded(NULL, 0, 1, false) == false);
}

/* ---------------------------------------------------------------- */
/* 3. two namespaces over a veth pair                                */

#define IP_A 0x0a4d0001u /* 10.77.0.1 */
#define IP_B 0x0a4d0002u /* 10.77.0.2 */
#define TEST_PORT 10105

struct lab {
	char ns_a[32], ns_b[32], if_a[16], if_b[16];
	struct ev_loop *loop;
	struct fo_ifmon *a, *b;
	struct ev_timer *check;
	bool (*done)(struct lab *l);
	uint64_t deadline_us;
	bool timed_out;
	/* transitions of A */
	enum fo_if_state seen[32];
	size_t n_seen;
	bool ok;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void on_change_a(void *arg, struct fo_ifmon *m, enum fo_if_state from,
			enum fo_if_state to)
{
	struct lab *l = arg;

	(void)m;
	(void)from;
	if (l->n_seen < sizeof(l->seen) / sizeof(l->seen[0]))
		l->seen[l->n_seen++] = to;
}

static int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	int pid = (int)getpid();

	*state = l;
	snprintf(l->ns_a, sizeof(l->ns_a), "t%dxima", pid);
	snprintf(l->ns_b, sizeof(l->ns_b), "t%dximb", pid);
	snprintf(l->if_a, sizeof(l->if_a), "t%dia", pid);
	snprintf(l->if_b, sizeof(l->if_b), "t%dib", pid);
	l->loop = ev_loop_create();
	if (!l->loop || netns_create(l->ns_a) || netns_create(l->ns_b))
		return 0;
	/* IPv6 off: the rx counters then only move for what we test. */
	if (sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	       "net.ipv6.conf.default.disable_ipv6=1 && "
	       "ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	       "net.ipv6.conf.default.disable_ipv6=1 && "
	       "ip -n %s link add %s type veth peer name %s netns %s && "
	       "ip -n %s link set %s up && ip -n %s link set %s up && "
	       "ip -n %s addr add 10.77.0.1/24 dev %s && "
	       "ip -n %s addr add 10.77.0.2/24 dev %s",
	       l->ns_a, l->ns_b, l->ns_a, l->if_a, l->if_b, l->ns_b,
	       l->ns_a, l->if_a, l->ns_b, l->if_b, l->ns_a, l->if_a,
	       l->ns_b, l->if_b))
		return 0;
	l->ok = true;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;

	fo_ifmon_destroy(l->a);
	fo_ifmon_destroy(l->b);
	if (l->check)
		ev_timer_destroy(l->check);
	if (l->loop)
		ev_loop_destroy(l->loop);
	netns_delete(l->ns_a);   /* takes the veth with it */
	netns_delete(l->ns_b);
	free(l);
	return 0;
}

static struct lab *need_lab(void **state)
{
	struct lab *l = *state;

	if (!l->ok) {
		printf("SKIP: cannot build the namespace/veth lab here\n");
		skip();
	}
	return l;
}

static void check_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct lab *l = arg;

	if (l->done(l)) {
		ev_loop_stop(loop);
		return;
	}
	if (ev_now_us() >= l->deadline_us) {
		l->timed_out = true;
		ev_loop_stop(loop);
		return;
	}
	ev_timer_start(t, 5000);
}

/* Runs the loop until DONE(l) or TIMEOUT_MS; returns elapsed ms. */
static uint64_t run_until(struct lab *l, bool (*done)(struct lab *l),
			  uint64_t timeout_ms)
{
	uint64_t start = ev_now_us();

	if (!l->check)
		l->check = ev_timer_create(l->loop, check_cb, l);
	l->done = done;
	l->timed_out = false;
	l->deadline_us = start + timeout_ms * 1000;
	ev_timer_start(l->check, 0);
	assert_int_equal(ev_loop_run(l->loop), 0);
	return (ev_now_us() - start) / 1000;
}

static struct fo_ifmon *mon_timed(struct lab *l, bool side_a, uint32_t own,
				  uint32_t mate, uint32_t hold_ms)
{
	struct fo_ifmon_cfg cfg = {
		.context = "context1",
		.nameif = "inside",
		.netns = side_a ? l->ns_a : l->ns_b,
		.ifname = side_a ? l->if_a : l->if_b,
		.own_ip = own, .mate_ip = mate,
		.poll_ms = 50, .hold_ms = hold_ms, .test_ms = 100,
		.port = TEST_PORT,
	};
	struct fo_ifmon *m = NULL;
	int rc = fo_ifmon_create(l->loop, &cfg, side_a ? on_change_a : NULL,
				 l, &m);

	assert_int_equal(rc, 0);
	assert_non_null(m);
	return m;
}

static struct fo_ifmon *mon(struct lab *l, bool side_a, uint32_t own,
			    uint32_t mate)
{
	return mon_timed(l, side_a, own, mate, 200);
}

static bool both_normal(struct lab *l)
{
	return fo_ifmon_state(l->a) == FO_IFS_NORMAL &&
	       fo_ifmon_state(l->b) == FO_IFS_NORMAL &&
	       fo_ifmon_mate_state(l->a) == FO_IFS_NORMAL;
}

static bool a_no_link(struct lab *l)
{
	return fo_ifmon_state(l->a) == FO_IFS_NO_LINK;
}

static bool a_normal_mate_failed(struct lab *l)
{
	return fo_ifmon_state(l->a) == FO_IFS_NORMAL &&
	       fo_ifmon_mate_state(l->a) == FO_IFS_FAILED;
}

static bool a_failed(struct lab *l)
{
	return fo_ifmon_state(l->a) == FO_IFS_FAILED;
}

static bool seen(const struct lab *l, enum fo_if_state s)
{
	for (size_t i = 0; i < l->n_seen; i++)
		if (l->seen[i] == s)
			return true;
	return false;
}

static void pair_up(struct lab *l)
{
	l->a = mon(l, true, IP_A, IP_B);
	l->b = mon(l, false, IP_B, IP_A);
	run_until(l, both_normal, 3000);
	assert_false(l->timed_out);
}

static void test_veth_hellos_and_show(void **state)
{
	struct lab *l = need_lab(state);
	struct buf out = { 0 };

	pair_up(l);
	assert_true(fo_ifmon_counter(l->a, FO_IFMON_RX) > 0);
	assert_true(fo_ifmon_counter(l->b, FO_IFMON_TX) > 0);
	assert_true(fo_ifmon_mate_silent_ms(l->a) < 200);
	fo_ifmon_format_line(l->a, false, true, &out);
	fo_ifmon_format_line(l->a, true, false, &out);
	assert_non_null(out.data);
	assert_string_equal(out.data,
			    "context1 Interface inside (10.77.0.1): Normal\n"
			    "Interface inside (10.77.0.2): Normal\n");
	buf_free(&out);
	assert_int_equal(fo_ifmon_counter(l->a, FO_IFMON_DROP_SELF), 0);
	assert_true(seen(l, FO_IFS_NORMAL));
	/* A probe is answered at once. */
	assert_int_equal(fo_ifmon_probe_mate(l->a), 0);
}

static void test_veth_link_down_at_once(void **state)
{
	struct lab *l = need_lab(state);
	uint64_t ms;

	/* Hold 2 s: a No Link before it comes from the link itself. */
	l->a = mon_timed(l, true, IP_A, IP_B, 2000);
	l->b = mon_timed(l, false, IP_B, IP_A, 2000);
	run_until(l, both_normal, 3000);
	assert_false(l->timed_out);
	/* The far end going down drops A's carrier. */
	assert_int_equal(sh("ip -n %s link set %s down", l->ns_b, l->if_b), 0);
	ms = run_until(l, a_no_link, 2000);
	assert_false(l->timed_out);
	/* From the link flags (read every poll) or the netlink event,
	 * well before the hold time. */
	assert_true(ms < 1000);
	assert_true(fo_if_state_is_failure(fo_ifmon_state(l->a)));
	assert_int_equal(sh("ip -n %s link set %s up", l->ns_b, l->if_b), 0);
	run_until(l, both_normal, 3000);
	assert_false(l->timed_out);
	assert_true(seen(l, FO_IFS_WAITING));
}

static void test_veth_silent_mate_still_answers(void **state)
{
	struct lab *l = need_lab(state);

	pair_up(l);
	fo_ifmon_destroy(l->b);      /* the mate's monitoring stops */
	l->b = NULL;
	run_until(l, a_normal_mate_failed, 3000);
	assert_false(l->timed_out);
	assert_true(seen(l, FO_IFS_TESTING));
	assert_true(fo_ifmon_counter(l->a, FO_IFMON_TESTS_RUN) >= 1);
}

static void test_veth_dead_segment_fails(void **state)
{
	struct lab *l = need_lab(state);
	enum fo_if_state st[1];

	pair_up(l);
	fo_ifmon_destroy(l->b);
	l->b = NULL;
	/* Nothing answers any more: no ARP, no address, nothing sent. */
	assert_int_equal(sh("ip -n %s addr flush dev %s && "
			    "ip -n %s link set %s arp off", l->ns_b, l->if_b,
			    l->ns_b, l->if_b), 0);
	run_until(l, a_failed, 4000);
	assert_false(l->timed_out);
	assert_true(seen(l, FO_IFS_TESTING));
	st[0] = fo_ifmon_state(l->a);
	assert_true(fo_ifmon_policy_exceeded(st, 1, 1, false));
	assert_true(fo_ifmon_group_exceeded(&l->a, 1, 100, true));
}

static bool a_waiting(struct lab *l)
{
	return fo_ifmon_state(l->a) == FO_IFS_WAITING;
}

static void test_veth_waiting_without_standby(void **state)
{
	struct lab *l = need_lab(state);
	struct buf out = { 0 };

	l->a = mon(l, true, IP_A, 0);   /* no standby address */
	l->b = mon(l, false, IP_B, IP_A);
	run_until(l, a_normal_mate_failed, 600); /* must not happen */
	assert_true(l->timed_out);
	assert_int_equal(fo_ifmon_state(l->a), FO_IFS_WAITING);
	fo_ifmon_format_line(l->a, true, true, &out);
	assert_string_equal(out.data,
			    "context1 Interface inside (0.0.0.0): Waiting\n");
	buf_free(&out);
	/* The address arrives: hellos both ways. */
	assert_int_equal(fo_ifmon_set_addresses(l->a, IP_A, IP_B), 0);
	run_until(l, both_normal, 3000);
	assert_false(l->timed_out);
	assert_int_equal(fo_ifmon_set_addresses(l->a, IP_A, 0), 0);
	run_until(l, a_waiting, 500);
	assert_false(l->timed_out);
	assert_int_equal(fo_ifmon_set_timers(l->a, 100, 150), -EINVAL);
	assert_int_equal(fo_ifmon_set_timers(l->a, 0, 0), 0);
}

/* Sends raw payloads from B's namespace to A's hello port. */
static void send_from_b(struct lab *l, const void *data, size_t len,
			uint32_t src)
{
	struct netns_saved saved;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(TEST_PORT),
				  .sin_addr.s_addr = htonl(IP_A) };
	struct sockaddr_in from = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(src) };
	int fd;

	assert_int_equal(netns_enter(l->ns_b, &saved), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	netns_leave(&saved);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_true(sendto(fd, data, len, 0, (struct sockaddr *)&to,
			   sizeof(to)) == (ssize_t)len);
	close(fd);
}

static bool a_drops_seen(struct lab *l)
{
	return fo_ifmon_counter(l->a, FO_IFMON_DROP_SHORT) >= 1 &&
	       fo_ifmon_counter(l->a, FO_IFMON_DROP_MAGIC) >= 3 &&
	       fo_ifmon_counter(l->a, FO_IFMON_DROP_SOURCE) >= 1;
}

static void test_veth_garbage_dropped(void **state)
{
	struct lab *l = need_lab(state);
	uint8_t junk[64];
	uint8_t hello[20] = { 'M', 'X', 'I', 'F', 1, 0, 0, 0,
			      1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1 };
	uint8_t bad_state[20];

	memset(junk, 0xa5, sizeof(junk));
	memcpy(bad_state, hello, sizeof(hello));
	bad_state[6] = 200;
	/* A alone, expecting the mate at 10.77.0.2. */
	l->a = mon(l, true, IP_A, IP_B);
	assert_int_equal(sh("ip -n %s addr add 10.77.0.9/24 dev %s", l->ns_b,
			    l->if_b), 0);
	send_from_b(l, junk, 3, IP_B);               /* truncated */
	send_from_b(l, junk, sizeof(junk), IP_B);     /* oversized junk */
	send_from_b(l, junk, 20, IP_B);               /* bad magic */
	send_from_b(l, bad_state, 20, IP_B);          /* bad state */
	send_from_b(l, hello, 20, 0x0a4d0009u);       /* from a stranger */
	run_until(l, a_drops_seen, 2000);
	assert_false(l->timed_out);
	assert_int_equal(fo_ifmon_counter(l->a, FO_IFMON_RX), 0);
	assert_int_equal(fo_ifmon_state(l->a), FO_IFS_WAITING);
	/* A well-formed hello from the mate's address is accepted. */
	send_from_b(l, hello, 20, IP_B);
	run_until(l, a_normal_mate_failed, 300);     /* just let it run */
	assert_int_equal(fo_ifmon_counter(l->a, FO_IFMON_RX), 1);
	assert_int_equal(fo_ifmon_mate_state(l->a) == FO_IFS_MAX, 0);
}

static void test_create_errors(void **state)
{
	struct lab *l = need_lab(state);
	struct fo_ifmon *m = (struct fo_ifmon *)1;
	struct fo_ifmon_cfg cfg = { .netns = l->ns_a, .ifname = "nosuch0",
				    .own_ip = IP_A, .mate_ip = IP_B };

	assert_int_equal(fo_ifmon_create(l->loop, &cfg, NULL, NULL, &m),
			 -ENODEV);
	assert_null(m);
	cfg.netns = "t0xno-such-namespace";
	assert_int_equal(fo_ifmon_create(l->loop, &cfg, NULL, NULL, &m),
			 -ENOENT);
	cfg.netns = l->ns_a;
	cfg.ifname = l->if_a;
	cfg.poll_ms = 100;
	cfg.hold_ms = 150;               /* hold < 2 x poll */
	assert_int_equal(fo_ifmon_create(l->loop, &cfg, NULL, NULL, &m),
			 -EINVAL);
	cfg.ifname = NULL;
	assert_int_equal(fo_ifmon_create(l->loop, &cfg, NULL, NULL, &m),
			 -EINVAL);
	assert_int_equal(fo_ifmon_create(l->loop, NULL, NULL, NULL, &m),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm_table),
		cmocka_unit_test(test_sm_deadlines_and_args),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test_setup_teardown(test_veth_hellos_and_show,
						lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_veth_link_down_at_once,
						lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(
			test_veth_silent_mate_still_answers, lab_setup,
			lab_teardown),
		cmocka_unit_test_setup_teardown(test_veth_dead_segment_fails,
						lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(
			test_veth_waiting_without_standby, lab_setup,
			lab_teardown),
		cmocka_unit_test_setup_teardown(test_veth_garbage_dropped,
						lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, lab_setup,
						lab_teardown),
	};

	log_init("test_fo_ifmon", true, LOG_SEV_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
