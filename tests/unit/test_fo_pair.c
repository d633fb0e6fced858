/*
 * fo_fsm, two units in one process: a fake failover link (one FIFO per
 * direction, which can be cut), a fake replication layer (config, files and
 * bulk state answered as queued events), a fake data-interface test and one
 * fake clock.  Time only moves when nothing is queued (messages are fast
 * next to timers); while something is queued, which message or event is
 * delivered next is a choice point.  explore() runs a scenario once per
 * sequence of choices over its first DEPTH choice points, so the outcome is
 * checked in every delivery order (as strongSwan's exchange_test_helper does
 * for IKE collisions, but exhaustively).
 *
 * Unit 0 is the primary, unit 1 the secondary; group 1 prefers the primary,
 * group 2 the secondary.  poll 1 s, hold 3 s, negotiation window 3 s.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failover/fo_fsm.h"
#include "system/sys_log.h"

#define POLL_MS 1000
#define HOLD_MS 3000
#define QMAX 512
#define DEPTH_MAX 64

struct pend {
	unsigned group;
	enum fo_event ev;
};

struct harness;

struct unit {
	struct harness *h;
	int idx;
	struct fo_fsm *fsm;
	bool alive;
	bool armed[FO_TIMER_MAX][FO_GROUP_COUNT + 1];
	uint64_t deadline[FO_TIMER_MAX][FO_GROUP_COUNT + 1];
	struct fo_msg inq[QMAX];      /* messages to this unit */
	unsigned in_head, in_len;
	struct pend pend[QMAX];       /* events for this unit (replication...) */
	unsigned pend_head, pend_len;
	unsigned config_requests;
	unsigned active_calls[FO_GROUP_COUNT + 1];
	unsigned standby_calls[FO_GROUP_COUNT + 1];
};

struct harness {
	uint64_t now;
	struct unit u[2];
	bool link_up;       /* failover link carries messages */
	bool data_path;     /* data interfaces reach the mate */
	bool strict;        /* check: never active on both while link up */
	/* schedule */
	const unsigned *choices;
	unsigned nchoices, used;
	bool frozen;        /* choice points not explored (always first) */
	uint64_t race_until;/* timers due by then may fire before queued
			       messages are delivered (message latency) */
	unsigned branch[DEPTH_MAX];
	char sched[256];    /* printable schedule for failure messages */
	unsigned steps;
};

#define CHECK(h, cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			char m_[256];                                        \
			snprintf(m_, sizeof m_, __VA_ARGS__);                \
			fail_msg("%s [schedule %s, t=%llu]", m_, (h)->sched, \
				 (unsigned long long)(h)->now);              \
		}                                                            \
	} while (0)

/* ------------------------------------------------------------ fake ops */

static uint64_t h_now(void *c) { return ((struct unit *)c)->h->now; }
static time_t h_wall(void *c)
{
	return 1176703965 + (time_t)(((struct unit *)c)->h->now / 1000);
}

static void h_arm(void *c, enum fo_timer t, unsigned g, uint64_t after)
{
	struct unit *u = c;
	u->armed[t][g] = true;
	u->deadline[t][g] = u->h->now + after;
}

static void h_cancel(void *c, enum fo_timer t, unsigned g)
{
	((struct unit *)c)->armed[t][g] = false;
}

static struct unit *mate_of(struct unit *u)
{
	return &u->h->u[1 - u->idx];
}

static void h_send(void *c, const struct fo_msg *m)
{
	struct unit *u = c, *to = mate_of(u);
	if (!u->h->link_up || !to->alive)
		return;
	assert_true(to->in_len < QMAX);
	to->inq[(to->in_head + to->in_len++) % QMAX] = *m;
}

static void push_pend(struct unit *u, unsigned group, enum fo_event ev)
{
	assert_true(u->pend_len < QMAX);
	u->pend[(u->pend_head + u->pend_len++) % QMAX] =
		(struct pend){ group, ev };
}

static int h_active(void *c, unsigned g)
{
	((struct unit *)c)->active_calls[g]++;
	return FO_OP_DONE;
}

static void h_standby(void *c, unsigned g) { ((struct unit *)c)->standby_calls[g]++; }

/* The mate's replication layer answers only over a working link. */
static void h_config(void *c)
{
	struct unit *u = c;
	u->config_requests++;
	if (u->h->link_up && mate_of(u)->alive) {
		push_pend(u, 0, FO_EV_CONFIG_RECEIVED);
		push_pend(u, 0, FO_EV_FILES_RECEIVED);
	}
}

static void h_bulk(void *c, unsigned g)
{
	struct unit *u = c;
	if (u->h->link_up && mate_of(u)->alive)
		push_pend(u, g, FO_EV_BULK_RECEIVED);
}

static void h_test(void *c)
{
	struct unit *u = c;
	push_pend(u, 0, u->h->data_path && mate_of(u)->alive
				? FO_EV_MATE_ALIVE_ON_DATA
				: FO_EV_MATE_DEAD);
}

static const struct fo_fsm_ops h_ops = {
	.now_ms = h_now, .wall_time = h_wall, .timer_arm = h_arm,
	.timer_cancel = h_cancel, .send_to_mate = h_send,
	.become_active = h_active, .become_standby = h_standby,
	.request_config_sync = h_config, .request_bulk_sync = h_bulk,
	.test_mate_on_data_interfaces = h_test,
};

/* ------------------------------------------------------------ harness */

static void unit_boot(struct harness *h, int i)
{
	struct unit *u = &h->u[i];

	if (u->fsm)
		fo_fsm_destroy(u->fsm);
	memset(u->armed, 0, sizeof u->armed);
	u->in_len = u->pend_len = 0;
	u->config_requests = 0;
	u->alive = true;
	u->fsm = fo_fsm_create(&h_ops, u);
	assert_non_null(u->fsm);
	assert_int_equal(fo_fsm_set_role(u->fsm, i == 0 ? FO_ROLE_PRIMARY
							: FO_ROLE_SECONDARY), 0);
	assert_int_equal(fo_fsm_set_timers(u->fsm, POLL_MS, HOLD_MS), 0);
	assert_int_equal(fo_fsm_set_preference(u->fsm, 1, FO_ROLE_PRIMARY), 0);
	assert_int_equal(fo_fsm_set_preference(u->fsm, 2, FO_ROLE_SECONDARY), 0);
}

static void unit_enable(struct harness *h, int i)
{
	assert_int_equal(fo_fsm_input(h->u[i].fsm, 0, FO_EV_ENABLE), 0);
}

/* Power off: nothing sent, received or fired any more. */
static void unit_kill(struct harness *h, int i)
{
	struct unit *u = &h->u[i];
	u->alive = false;
	memset(u->armed, 0, sizeof u->armed);
	u->in_len = u->pend_len = 0;
}

static void harness_init(struct harness *h, const unsigned *choices,
			 unsigned n)
{
	memset(h, 0, sizeof *h);
	h->now = 0;
	h->link_up = true;
	h->data_path = true;
	h->choices = choices;
	h->nchoices = n;
	for (int i = 0; i < 2; i++) {
		h->u[i].h = h;
		h->u[i].idx = i;
	}
	unit_boot(h, 0);
	unit_boot(h, 1);
	h->u[0].alive = h->u[1].alive = false;  /* until powered on */
	size_t off = 0;
	for (unsigned i = 0; i < n && off + 4 < sizeof h->sched; i++)
		off += (size_t)snprintf(h->sched + off, sizeof h->sched - off,
					"%u", choices[i]);
	if (n == 0)
		snprintf(h->sched, sizeof h->sched, "-");
}

static void harness_free(struct harness *h)
{
	for (int i = 0; i < 2; i++)
		fo_fsm_destroy(h->u[i].fsm);
}

static enum fo_state st(struct harness *h, int i, unsigned g)
{
	return fo_fsm_state(h->u[i].fsm, g);
}

static void check_invariants(struct harness *h)
{
	if (!h->strict || !h->link_up || !h->u[0].alive || !h->u[1].alive)
		return;
	for (unsigned g = 1; g <= FO_GROUP_COUNT; g++)
		CHECK(h, !(fo_fsm_is_active_state(st(h, 0, g)) &&
			   fo_fsm_is_active_state(st(h, 1, g))),
		      "group %u active on both units (%s / %s)", g,
		      fo_state_name(st(h, 0, g)), fo_state_name(st(h, 1, g)));
}

static bool fire_one(struct harness *h, uint64_t until);

/* Picks among the queued deliveries; returns false when none is queued. */
static bool deliver_one(struct harness *h)
{
	/* options in a fixed order: msg->0, msg->1, event@0, event@1, and
	 * "a timer fires first" while racing */
	int opts[5], n = 0;
	for (int i = 0; i < 2; i++)
		if (h->u[i].alive && h->u[i].in_len)
			opts[n++] = i;
	for (int i = 0; i < 2; i++)
		if (h->u[i].alive && h->u[i].pend_len)
			opts[n++] = 2 + i;
	if (n == 0)
		return false;
	if (h->race_until > h->now)
		opts[n++] = 4;

	unsigned pick = 0;
	if (n > 1 && !h->frozen) {
		if (h->used < DEPTH_MAX)
			h->branch[h->used] = (unsigned)n;
		if (h->used < h->nchoices)
			pick = h->choices[h->used] % (unsigned)n;
		h->used++;
	}
	int o = opts[pick];
	struct unit *u = &h->u[o % 2];
	if (o == 4) {
		if (!fire_one(h, h->race_until))
			h->race_until = 0;  /* nothing due: stop racing */
		return true;
	}
	if (o < 2) {
		struct fo_msg m = u->inq[u->in_head];
		u->in_head = (u->in_head + 1) % QMAX;
		u->in_len--;
		CHECK(h, fo_fsm_recv(u->fsm, &m) == 0, "message refused");
	} else {
		struct pend p = u->pend[u->pend_head];
		u->pend_head = (u->pend_head + 1) % QMAX;
		u->pend_len--;
		fo_fsm_input(u->fsm, p.group, p.ev);
	}
	h->steps++;
	CHECK(h, h->steps < 100000, "no quiescence");
	check_invariants(h);
	return true;
}

/* Earliest armed timer of a live unit, if due by `until`. */
static bool fire_one(struct harness *h, uint64_t until)
{
	int bi = -1;
	unsigned bt = 0, bg = 0;
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 2; i++) {
		if (!h->u[i].alive)
			continue;
		for (unsigned t = 0; t < FO_TIMER_MAX; t++)
			for (unsigned g = 0; g <= FO_GROUP_COUNT; g++)
				if (h->u[i].armed[t][g] &&
				    h->u[i].deadline[t][g] < best) {
					best = h->u[i].deadline[t][g];
					bi = i, bt = t, bg = g;
				}
	}
	if (bi < 0 || best > until)
		return false;
	if (best > h->now)
		h->now = best;
	h->u[bi].armed[bt][bg] = false;
	fo_fsm_timer_fired(h->u[bi].fsm, bt, bg);
	check_invariants(h);
	return true;
}

static void run_until(struct harness *h, uint64_t until)
{
	for (;;) {
		while (deliver_one(h))
			;
		if (!fire_one(h, until))
			break;
	}
	if (h->now < until)
		h->now = until;
	while (deliver_one(h))
		;
}

/* Run until group g's state on unit i is s (or fail at `limit`). */
static uint64_t run_until_state(struct harness *h, int i, unsigned g,
				enum fo_state s, uint64_t limit)
{
	while (st(h, i, g) != s) {
		while (deliver_one(h) && st(h, i, g) != s)
			;
		if (st(h, i, g) == s)
			break;
		CHECK(h, fire_one(h, limit), "unit %d group %u never reached %s "
		      "(is %s)", i, g, fo_state_name(s),
		      fo_state_name(st(h, i, g)));
	}
	return h->now;
}

typedef void (*scenario_fn)(struct harness *h);

static unsigned runs, truncated;

static void run_scenario(scenario_fn fn, const unsigned *choices, unsigned n,
			 unsigned *used, unsigned *branch)
{
	struct harness *h = calloc(1, sizeof *h);
	assert_non_null(h);
	harness_init(h, choices, n);
	fn(h);
	*used = h->used < DEPTH_MAX ? h->used : DEPTH_MAX;
	memcpy(branch, h->branch, sizeof h->branch);
	harness_free(h);
	free(h);
	runs++;
}

/* Every sequence of choices over the first `depth` choice points. */
static void explore_from(scenario_fn fn, unsigned *prefix, unsigned len,
			 unsigned depth)
{
	unsigned used, branch[DEPTH_MAX];

	run_scenario(fn, prefix, len, &used, branch);
	if (len >= used)
		return;
	if (len >= depth) {
		truncated++;  /* later choice points took their first option */
		return;
	}
	for (unsigned c = 1; c < branch[len]; c++) {
		prefix[len] = c;
		explore_from(fn, prefix, len + 1, depth);
	}
	prefix[len] = 0;
	/* c == 0 continues this run's own path one level deeper */
	explore_from(fn, prefix, len + 1, depth);
}

static unsigned explore(scenario_fn fn, unsigned depth)
{
	unsigned prefix[DEPTH_MAX] = { 0 };
	unsigned before = runs;
	explore_from(fn, prefix, 0, depth);
	return runs - before;
}

/* ------------------------------------------------------- common checks */

static bool history_has(struct harness *h, int i, unsigned g,
			enum fo_state from, enum fo_state to,
			enum fo_reason why)
{
	struct fo_transition t;
	for (unsigned k = 0; fo_fsm_history_get(h->u[i].fsm, k, &t) == 0; k++)
		if (t.group == g && t.from == from && t.to == to &&
		    t.reason == why)
			return true;
	return false;
}

static unsigned history_count_group(struct harness *h, int i, unsigned g)
{
	struct fo_transition t;
	unsigned n = 0;
	for (unsigned k = 0; fo_fsm_history_get(h->u[i].fsm, k, &t) == 0; k++)
		n += t.group == g;
	return n;
}

/* g active on unit `owner`, Standby Ready on the other */
static void expect_owner(struct harness *h, unsigned g, int owner)
{
	CHECK(h, st(h, owner, g) == FO_ST_ACTIVE,
	      "group %u on unit %d: %s, want Active", g, owner,
	      fo_state_name(st(h, owner, g)));
	CHECK(h, st(h, 1 - owner, g) == FO_ST_STANDBY_READY,
	      "group %u on unit %d: %s, want Standby Ready", g, 1 - owner,
	      fo_state_name(st(h, 1 - owner, g)));
	/* each unit's view of its mate agrees */
	CHECK(h, fo_fsm_mate_state(h->u[1 - owner].fsm, g) == FO_ST_ACTIVE,
	      "group %u: stale view of the mate on unit %d", g, 1 - owner);
	CHECK(h, fo_fsm_mate_state(h->u[owner].fsm, g) == FO_ST_STANDBY_READY,
	      "group %u: stale view of the mate on unit %d", g, owner);
}

/* Both units booted together, each group on its preferred unit. */
static void boot_pair(struct harness *h)
{
	h->strict = true;
	h->u[0].alive = h->u[1].alive = true;
	unit_enable(h, 0);
	unit_enable(h, 1);
	run_until(h, 10000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 1);
}

/* Scenarios after a boot: every order is explored from here on (the boot's
 * own orders are sc_simultaneous_boot's job). */
static void boot_pair_fixed(struct harness *h)
{
	h->frozen = true;
	boot_pair(h);
	h->frozen = false;
}

/* ---------------------------------------------------------- scenarios */

static void sc_boot_alone(struct harness *h)
{
	h->u[0].alive = true;
	unit_enable(h, 0);
	run_until(h, HOLD_MS - 1);
	CHECK(h, st(h, 0, 1) == FO_ST_NEGOTIATION, "left Negotiation early");
	run_until(h, HOLD_MS);
	for (unsigned g = 1; g <= 2; g++) {
		CHECK(h, st(h, 0, g) == FO_ST_ACTIVE, "group %u not active", g);
		CHECK(h, history_has(h, 0, g, FO_ST_NEGOTIATION,
				     FO_ST_JUST_ACTIVE, FO_R_NO_ACTIVE),
		      "no 'No Active unit found'");
	}
	CHECK(h, fo_fsm_config_source(h->u[0].fsm), "not config source");
}

static void sc_second_joins(struct harness *h)
{
	h->strict = true;
	h->u[0].alive = true;
	unit_enable(h, 0);
	run_until(h, 5000);
	h->u[1].alive = true;
	unit_enable(h, 1);
	run_until(h, 20000);
	/* both groups stay on the unit that was active, whatever the
	 * preference of group 2 */
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 0);
	static const enum fo_state path[] = {
		FO_ST_NEGOTIATION, FO_ST_COLD_STANDBY, FO_ST_SYNC_CONFIG,
		FO_ST_SYNC_FILE_SYSTEM, FO_ST_BULK_SYNC, FO_ST_STANDBY_READY,
	};
	for (unsigned g = 1; g <= 2; g++)
		for (size_t k = 0; k + 1 < sizeof path / sizeof path[0]; k++)
			CHECK(h, history_has(h, 1, g, path[k], path[k + 1],
					     FO_R_MATE_ACTIVE),
			      "group %u: no %s -> %s", g,
			      fo_state_name(path[k]), fo_state_name(path[k + 1]));
	CHECK(h, h->u[1].config_requests == 1, "config requested %u times",
	      h->u[1].config_requests);
	CHECK(h, !fo_fsm_config_source(h->u[1].fsm), "joiner is source");
	CHECK(h, h->u[0].active_calls[2] == 1 && h->u[1].active_calls[2] == 0,
	      "group 2 applied on the wrong unit");
}

static void sc_simultaneous_boot(struct harness *h)
{
	boot_pair(h);
	/* the secondary took the configuration from the primary */
	CHECK(h, fo_fsm_config_source(h->u[0].fsm), "primary not source");
	CHECK(h, !fo_fsm_config_source(h->u[1].fsm), "secondary is source");
	CHECK(h, h->u[1].config_requests == 1, "secondary requests: %u",
	      h->u[1].config_requests);
	CHECK(h, h->u[0].config_requests == 0, "primary requested config");
	for (int i = 0; i < 2; i++)
		for (unsigned g = 1; g <= 2; g++)
			CHECK(h, h->u[i].active_calls[g] == (g == 1u + (unsigned)i),
			      "unit %d group %u applied %u times", i, g,
			      h->u[i].active_calls[g]);
}

static void sc_simultaneous_boot_reversed(struct harness *h)
{
	h->strict = true;
	h->u[0].alive = h->u[1].alive = true;
	unit_enable(h, 1);
	unit_enable(h, 0);
	run_until(h, 10000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 1);
}

/* Each group active on exactly one unit, Standby Ready on the other. */
static void expect_settled(struct harness *h)
{
	for (unsigned g = 1; g <= 2; g++) {
		int owner = st(h, 0, g) == FO_ST_ACTIVE ? 0 : 1;
		expect_owner(h, g, owner);
	}
}

/* The primary boots just before the secondary's negotiation window ends:
 * its hello may arrive before or after the window expires. */
static void sc_boot_at_window_edge(struct harness *h)
{
	h->u[1].alive = true;
	unit_enable(h, 1);
	run_until(h, HOLD_MS - 1);
	h->u[0].alive = true;
	unit_enable(h, 0);
	h->race_until = HOLD_MS + 1;
	run_until(h, 30000);
	expect_settled(h);
}

static void sc_kill_group1_owner(struct harness *h)
{
	boot_pair_fixed(h);
	unsigned g2_before = history_count_group(h, 1, 2);
	uint64_t killed = h->now;
	unit_kill(h, 0);
	uint64_t took = run_until_state(h, 1, 1, FO_ST_ACTIVE, killed + 20000);
	CHECK(h, took - killed <= HOLD_MS, "took %llu ms",
	      (unsigned long long)(took - killed));
	CHECK(h, history_has(h, 1, 1, FO_ST_STANDBY_READY, FO_ST_JUST_ACTIVE,
			     FO_R_HELLO_LOST), "no 'HELLO not heard from mate'");
	run_until(h, h->now + 10000);
	CHECK(h, st(h, 1, 2) == FO_ST_ACTIVE, "group 2 moved");
	CHECK(h, history_count_group(h, 1, 2) == g2_before, "group 2 touched");
	CHECK(h, fo_fsm_mate_state(h->u[1].fsm, 1) == FO_ST_FAILED,
	      "mate not marked failed");
	/* the dead unit comes back: it joins as standby for both groups */
	unit_boot(h, 0);
	unit_enable(h, 0);
	run_until(h, h->now + 20000);
	expect_owner(h, 1, 1);
	expect_owner(h, 2, 1);
}

static void sc_if_fail_active(struct harness *h)
{
	boot_pair_fixed(h);
	unsigned g2a = history_count_group(h, 0, 2);
	unsigned g2b = history_count_group(h, 1, 2);
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 5000);
	CHECK(h, st(h, 0, 1) == FO_ST_FAILED, "group 1 not Failed on primary");
	CHECK(h, st(h, 1, 1) == FO_ST_ACTIVE, "group 1 not active on secondary");
	CHECK(h, history_has(h, 0, 1, FO_ST_ACTIVE, FO_ST_FAILED, FO_R_IFC),
	      "no interface check");
	CHECK(h, history_has(h, 1, 1, FO_ST_STANDBY_READY, FO_ST_JUST_ACTIVE,
			     FO_R_MATE_WANTS_ACTIVE), "no 'Other unit wants me Active'");
	CHECK(h, history_count_group(h, 0, 2) == g2a &&
		 history_count_group(h, 1, 2) == g2b, "group 2 moved");
	/* interfaces come back: standby again, no move without preempt */
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_OK);
	run_until(h, h->now + 20000);
	expect_owner(h, 1, 1);
}

static void sc_if_fail_standby(struct harness *h)
{
	boot_pair_fixed(h);
	fo_fsm_input(h->u[1].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 5000);
	CHECK(h, st(h, 1, 1) == FO_ST_FAILED, "standby group 1 not Failed");
	CHECK(h, st(h, 0, 1) == FO_ST_ACTIVE, "active group 1 moved");
	/* now the active copy crosses its threshold too: it stays */
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 5000);
	CHECK(h, st(h, 0, 1) == FO_ST_ACTIVE, "failed over onto a Failed group");
	CHECK(h, st(h, 1, 1) == FO_ST_FAILED, "standby left Failed");
	/* the standby copy recovers: the faulty active one moves then */
	fo_fsm_input(h->u[1].fsm, 1, FO_EV_IF_OK);
	run_until(h, h->now + 5000);
	CHECK(h, st(h, 1, 1) == FO_ST_ACTIVE, "group 1 did not move");
	CHECK(h, st(h, 0, 1) == FO_ST_FAILED, "faulty copy not Failed");
	expect_owner(h, 2, 1);
}

static void sc_forced_both_ways(struct harness *h)
{
	boot_pair_fixed(h);
	/* on the active unit: give it away */
	CHECK(h, fo_fsm_cmd_no_active(h->u[0].fsm, 1) == FO_CMD_OK, "refused");
	run_until(h, h->now + 2000);
	expect_owner(h, 1, 1);
	CHECK(h, history_has(h, 0, 1, FO_ST_ACTIVE, FO_ST_STANDBY_READY,
			     FO_R_CONFIG), "no 'Set by the config command'");
	CHECK(h, history_has(h, 1, 1, FO_ST_STANDBY_READY, FO_ST_JUST_ACTIVE,
			     FO_R_MATE_WANTS_ACTIVE), "no 'Other unit wants me Active'");
	/* on the standby unit: take it back */
	CHECK(h, fo_fsm_cmd_active(h->u[0].fsm, 1) == FO_CMD_OK, "refused");
	run_until(h, h->now + 2000);
	expect_owner(h, 1, 0);
	CHECK(h, history_has(h, 0, 1, FO_ST_STANDBY_READY, FO_ST_JUST_ACTIVE,
			     FO_R_CONFIG), "taker reason");
	CHECK(h, history_has(h, 1, 1, FO_ST_ACTIVE, FO_ST_STANDBY_READY,
			     FO_R_MATE_WANTS_STANDBY), "no 'Other unit wants me Standby'");
	/* unit-level: `failover active` takes every group */
	CHECK(h, fo_fsm_cmd_active(h->u[0].fsm, FO_GROUP_ALL) == FO_CMD_OK,
	      "refused");
	run_until(h, h->now + 2000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 0);
	/* refused when the mate's copy cannot take it */
	fo_fsm_input(h->u[1].fsm, 2, FO_EV_IF_FAILED);
	run_until(h, h->now + 2000);
	CHECK(h, fo_fsm_cmd_no_active(h->u[0].fsm, 2) == FO_CMD_MATE_NOT_READY,
	      "not refused");
	CHECK(h, st(h, 0, 2) == FO_ST_ACTIVE, "moved anyway");
}

/* Both operators at once: "failover active group 2" on the primary (its
 * copy is standby) and "no failover active group 2" on the secondary. */
static void sc_forced_collision(struct harness *h)
{
	boot_pair_fixed(h);
	CHECK(h, fo_fsm_cmd_active(h->u[0].fsm, 2) == FO_CMD_OK, "refused");
	CHECK(h, fo_fsm_cmd_no_active(h->u[1].fsm, 2) == FO_CMD_OK, "refused");
	run_until(h, h->now + 5000);
	expect_owner(h, 2, 0);
	expect_owner(h, 1, 0);
}

static void sc_forced_collision_opposite(struct harness *h)
{
	boot_pair_fixed(h);
	/* both ask for group 1 and group 2 in crossing directions */
	CHECK(h, fo_fsm_cmd_no_active(h->u[0].fsm, 1) == FO_CMD_OK, "refused");
	CHECK(h, fo_fsm_cmd_no_active(h->u[1].fsm, 2) == FO_CMD_OK, "refused");
	run_until(h, h->now + 5000);
	expect_owner(h, 1, 1);
	expect_owner(h, 2, 0);
}

static void sc_preempt_with_delay(struct harness *h)
{
	boot_pair_fixed(h);
	for (int i = 0; i < 2; i++)
		fo_fsm_set_preempt(h->u[i].fsm, 1, true, 10);
	unit_kill(h, 0);
	run_until(h, h->now + 10000);
	CHECK(h, st(h, 1, 1) == FO_ST_ACTIVE && st(h, 1, 2) == FO_ST_ACTIVE,
	      "groups not taken");
	/* the primary restarts: it joins as standby, then preempts group 1
	 * after 10 s; group 2 (preferring the secondary) stays */
	unit_boot(h, 0);
	fo_fsm_set_preempt(h->u[0].fsm, 1, true, 10);
	unit_enable(h, 0);
	uint64_t ready = run_until_state(h, 0, 1, FO_ST_STANDBY_READY,
					 h->now + 20000);
	run_until(h, ready + 9999);
	CHECK(h, st(h, 1, 1) == FO_ST_ACTIVE, "preempted before the delay");
	run_until(h, ready + 10000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 1);
	CHECK(h, history_has(h, 0, 1, FO_ST_STANDBY_READY, FO_ST_JUST_ACTIVE,
			     FO_R_PREEMPT), "no Preempt reason");
}

static void sc_failover_reset_group(struct harness *h)
{
	boot_pair_fixed(h);
	/* an apply failure is latched: only `failover reset` clears it */
	fo_fsm_input(h->u[1].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 2000);
	CHECK(h, st(h, 1, 1) == FO_ST_FAILED, "not Failed");
	CHECK(h, fo_fsm_cmd_reset(h->u[1].fsm, 1) == FO_CMD_OK, "refused");
	run_until(h, h->now + 2000);
	expect_owner(h, 1, 0);
	CHECK(h, history_has(h, 1, 1, FO_ST_FAILED, FO_ST_BULK_SYNC,
			     FO_R_CONFIG), "reset not by config command");
	CHECK(h, fo_fsm_cmd_reset(h->u[1].fsm, 1) == FO_CMD_NOT_FAILED,
	      "reset of a healthy group accepted");

	/* group 1 fails on its preferred unit, moves, is reset there:
	 * without preempt it stays on the secondary ... */
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 2000);
	CHECK(h, fo_fsm_cmd_reset(h->u[0].fsm, 1) == FO_CMD_OK, "refused");
	run_until(h, h->now + 30000);
	expect_owner(h, 1, 1);
	/* ... with preempt it returns to the preferred unit */
	for (int i = 0; i < 2; i++)
		fo_fsm_set_preempt(h->u[i].fsm, 1, true, 2);
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_FAILED);  /* standby fails */
	run_until(h, h->now + 2000);
	CHECK(h, st(h, 0, 1) == FO_ST_FAILED, "not failed");
	CHECK(h, fo_fsm_cmd_reset(h->u[0].fsm, FO_GROUP_ALL) == FO_CMD_OK,
	      "unit-level reset refused");
	run_until(h, h->now + 5000);
	expect_owner(h, 1, 0);
}

static void sc_link_down_at_startup(struct harness *h)
{
	h->u[0].alive = h->u[1].alive = true;
	h->link_up = false;
	unit_enable(h, 0);
	unit_enable(h, 1);
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_LINK_DOWN);
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_LINK_DOWN);
	run_until(h, 1000);
	for (int i = 0; i < 2; i++)
		for (unsigned g = 1; g <= 2; g++) {
			CHECK(h, st(h, i, g) == FO_ST_ACTIVE,
			      "unit %d group %u: %s", i, g,
			      fo_state_name(st(h, i, g)));
			CHECK(h, history_has(h, i, g, FO_ST_NEGOTIATION,
					     FO_ST_JUST_ACTIVE,
					     FO_R_LINK_DOWN_STARTUP),
			      "reason");
		}
	run_until(h, 20000);  /* hold time passes: still both active */
	CHECK(h, st(h, 0, 1) == FO_ST_ACTIVE && st(h, 1, 1) == FO_ST_ACTIVE,
	      "moved while the link is down");
	/* the link comes back: the secondary yields and resynchronises */
	h->link_up = true;
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_LINK_UP);
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_LINK_UP);
	run_until(h, 40000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 0);
	CHECK(h, h->u[1].config_requests == 1, "secondary resync requests: %u",
	      h->u[1].config_requests);
}

static void sc_link_down_in_operation(struct harness *h)
{
	boot_pair_fixed(h);
	h->link_up = false;
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_LINK_DOWN);
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_LINK_DOWN);
	run_until(h, h->now + 5 * HOLD_MS);
	for (int i = 0; i < 2; i++) {
		CHECK(h, fo_fsm_link_failed(h->u[i].fsm), "link not failed");
		CHECK(h, st(h, i, 1 + (unsigned)i) == FO_ST_ACTIVE, "moved");
		CHECK(h, st(h, i, 2 - (unsigned)i) == FO_ST_STANDBY_READY,
		      "moved");
	}
	/* no forced move can be negotiated: the command acts alone */
	h->link_up = true;
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_LINK_UP);
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_LINK_UP);
	run_until(h, h->now + 2 * POLL_MS);
	for (int i = 0; i < 2; i++)
		CHECK(h, !fo_fsm_link_failed(h->u[i].fsm), "link still failed");
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 1);
	/* stateful link loss: no failover, just stale state */
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_STATE_LINK_DOWN);
	run_until(h, h->now + 5000);
	CHECK(h, fo_fsm_state_stale(h->u[0].fsm), "not stale");
	expect_owner(h, 1, 0);
}

static void sc_no_failover_keeps_states(struct harness *h)
{
	boot_pair_fixed(h);
	/* `no failover` is replicated: both units */
	fo_fsm_input(h->u[0].fsm, 0, FO_EV_DISABLE);
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_DISABLE);
	run_until(h, h->now + 2000);
	expect_owner(h, 1, 0);
	expect_owner(h, 2, 1);
	/* interface failure on an active group: no more failovers */
	fo_fsm_input(h->u[0].fsm, 1, FO_EV_IF_FAILED);
	run_until(h, h->now + 2000);
	CHECK(h, st(h, 0, 1) == FO_ST_ACTIVE, "failed over while disabled");
	/* forced failover still works */
	CHECK(h, fo_fsm_cmd_no_active(h->u[1].fsm, 2) == FO_CMD_OK, "refused");
	run_until(h, h->now + 2000);
	expect_owner(h, 2, 0);
	/* unit loss: nothing taken while disabled ... */
	unit_kill(h, 0);
	run_until(h, h->now + 4 * HOLD_MS);
	CHECK(h, st(h, 1, 1) == FO_ST_STANDBY_READY, "took group 1 while off");
	CHECK(h, st(h, 1, 2) == FO_ST_STANDBY_READY, "took group 2 while off");
	/* ... until `failover` again */
	fo_fsm_input(h->u[1].fsm, 0, FO_EV_ENABLE);
	run_until(h, h->now + 1000);
	CHECK(h, st(h, 1, 1) == FO_ST_ACTIVE && st(h, 1, 2) == FO_ST_ACTIVE,
	      "no takeover after failover was enabled again");
}

/* ---------------------------------------------------------- the tests */

struct case_ {
	const char *name;
	scenario_fn fn;
	unsigned depth;   /* choice points explored exhaustively */
};

static const struct case_ cases[] = {
	{ "boot alone", sc_boot_alone, 0 },
	{ "second unit joins", sc_second_joins, 12 },
	{ "simultaneous boot", sc_simultaneous_boot, 14 },
	{ "simultaneous boot, secondary first", sc_simultaneous_boot_reversed, 14 },
	{ "boot at the negotiation window's edge", sc_boot_at_window_edge, 9 },
	{ "kill owner of group 1", sc_kill_group1_owner, 8 },
	{ "interface failure on active group", sc_if_fail_active, 8 },
	{ "interface failure on standby group", sc_if_fail_standby, 8 },
	{ "forced failover both ways", sc_forced_both_ways, 8 },
	{ "forced failover collision", sc_forced_collision, 10 },
	{ "forced failover crossing", sc_forced_collision_opposite, 10 },
	{ "preempt with delay", sc_preempt_with_delay, 16 },
	{ "failover reset group", sc_failover_reset_group, 6 },
	{ "link down at startup", sc_link_down_at_startup, 10 },
	{ "link down in operation", sc_link_down_in_operation, 6 },
	{ "no failover keeps states", sc_no_failover_keeps_states, 6 },
};

static void test_case(void **state)
{
	const struct case_ *c = *state;
	truncated = 0;
	unsigned n = explore(c->fn, c->depth);
	printf("[ INFO     ] %s: %u runs over the delivery orders%s\n", c->name, n,
	       truncated ? " (deeper choices: first option only)"
			 : " (all of them)");
	assert_true(n >= 1);
}

/* The harness itself: with a schedule the order really changes. */
static void test_harness_orders_differ(void **state)
{
	(void)state;
	unsigned used, branch[DEPTH_MAX];
	unsigned zero[1] = { 0 };
	run_scenario(sc_simultaneous_boot, zero, 0, &used, branch);
	printf("[ INFO     ] simultaneous boot: %u choice points in one run\n",
	       used);
	assert_true(used >= 2);
	assert_true(branch[0] >= 2);
}

int main(void)
{
	struct CMUnitTest tests[sizeof cases / sizeof cases[0] + 1];
	size_t n = 0;

	log_init("test_fo_pair", true,
		 getenv("MCTX_TEST_LOG") ? LOG_SEV_DEBUG : LOG_SEV_EMERG);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tests[n] = (struct CMUnitTest){
			.name = cases[i].name, .test_func = test_case,
			.initial_state = (void *)&cases[i],
		};
		n++;
	}
	tests[n++] = (struct CMUnitTest){
		.name = "harness explores several orders",
		.test_func = test_harness_orders_differ,
	};
	return _cmocka_run_group_tests("fo_pair", tests, n, NULL, NULL);
}
