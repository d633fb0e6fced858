/*
 * fo_fsm, one unit against a scripted mate: every event in every resting
 * state (a table of the cells that move, all others must stay put), the
 * actions of the important cells, message validation, command refusals,
 * name tables, timers, accounting and the show/history text.
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

/* ------------------------------------------------------------ the fake */

#define MAX_SENT 256

struct fake {
	uint64_t now;
	time_t wall;
	bool armed[FO_TIMER_MAX][FO_GROUP_COUNT + 1];
	uint64_t deadline[FO_TIMER_MAX][FO_GROUP_COUNT + 1];
	struct fo_msg sent[MAX_SENT];
	unsigned nsent;
	unsigned active_calls[FO_GROUP_COUNT + 1];
	unsigned standby_calls[FO_GROUP_COUNT + 1];
	unsigned bulk_calls[FO_GROUP_COUNT + 1];
	unsigned config_calls, test_calls, transitions;
	int drain_rc, active_rc;
	struct fo_fsm *fsm;
};

static uint64_t f_now(void *c) { return ((struct fake *)c)->now; }
static time_t f_wall(void *c) { return ((struct fake *)c)->wall; }

static void f_arm(void *c, enum fo_timer t, unsigned g, uint64_t after)
{
	struct fake *k = c;
	assert_true(t < FO_TIMER_MAX && g <= FO_GROUP_COUNT);
	k->armed[t][g] = true;
	k->deadline[t][g] = k->now + after;
}

static void f_cancel(void *c, enum fo_timer t, unsigned g)
{
	struct fake *k = c;
	assert_true(t < FO_TIMER_MAX && g <= FO_GROUP_COUNT);
	k->armed[t][g] = false;
}

static void f_send(void *c, const struct fo_msg *m)
{
	struct fake *k = c;
	if (k->nsent < MAX_SENT)
		k->sent[k->nsent++] = *m;
}

static int f_drain(void *c, unsigned g) { (void)g; return ((struct fake *)c)->drain_rc; }

static int f_active(void *c, unsigned g)
{
	struct fake *k = c;
	k->active_calls[g]++;
	return k->active_rc;
}

static void f_standby(void *c, unsigned g) { ((struct fake *)c)->standby_calls[g]++; }
static void f_config(void *c) { ((struct fake *)c)->config_calls++; }
static void f_bulk(void *c, unsigned g) { ((struct fake *)c)->bulk_calls[g]++; }
static void f_test(void *c) { ((struct fake *)c)->test_calls++; }

static void f_transition(void *c, const struct fo_transition *t)
{
	(void)t;
	((struct fake *)c)->transitions++;
}

static const struct fo_fsm_ops fake_ops = {
	.now_ms = f_now, .wall_time = f_wall, .timer_arm = f_arm,
	.timer_cancel = f_cancel, .send_to_mate = f_send, .drain = f_drain,
	.become_active = f_active, .become_standby = f_standby,
	.request_config_sync = f_config, .request_bulk_sync = f_bulk,
	.test_mate_on_data_interfaces = f_test, .transition = f_transition,
};

static struct fake *fake_new(enum fo_role role)
{
	struct fake *k = calloc(1, sizeof *k);
	assert_non_null(k);
	k->now = 1000;
	k->wall = 1176703965; /* 06:12:45 UTC Apr 16 2007 */
	k->fsm = fo_fsm_create(&fake_ops, k);
	assert_non_null(k->fsm);
	assert_int_equal(fo_fsm_set_role(k->fsm, role), 0);
	assert_int_equal(fo_fsm_set_timers(k->fsm, 1000, 3000), 0);
	assert_int_equal(fo_fsm_set_link_name(k->fsm, "folink"), 0);
	return k;
}

static void fake_free(struct fake *k)
{
	fo_fsm_destroy(k->fsm);
	free(k);
}

static const struct fo_msg *last_sent(const struct fake *k)
{
	assert_true(k->nsent > 0);
	return &k->sent[k->nsent - 1];
}

/* Did the unit send a typed message of this kind since index `from`? */
static bool sent_since(const struct fake *k, unsigned from,
		       enum fo_msg_type type, unsigned group)
{
	for (unsigned i = from; i < k->nsent; i++)
		if (k->sent[i].type == type && k->sent[i].group == group)
			return true;
	return false;
}

static void mate_says(struct fake *k, enum fo_msg_type type, unsigned group,
		      enum fo_state s1, enum fo_state s2, bool enabled)
{
	struct fo_msg m;
	memset(&m, 0, sizeof m);
	m.type = (uint8_t)type;
	m.group = (uint8_t)group;
	m.role = fo_fsm_role(k->fsm) == FO_ROLE_PRIMARY ? FO_ROLE_SECONDARY
							 : FO_ROLE_PRIMARY;
	m.enabled = enabled;
	m.groups[0].state = (uint8_t)s1;
	m.groups[1].state = (uint8_t)s2;
	assert_int_equal(fo_fsm_recv(k->fsm, &m), 0);
}

static void hello(struct fake *k, enum fo_state s1, enum fo_state s2)
{
	mate_says(k, FO_MSG_HELLO, 0, s1, s2, true);
}

/* ------------------------------------------ drive to each resting state */

/* A primary unit whose group 1 (preferred: primary) sits in `s`, with the
 * mate as that state needs: active mate for the standby side, a Standby
 * Ready mate for the active side, no mate for Disabled/Negotiation. */
static struct fake *unit_in(enum fo_state s)
{
	struct fake *k = fake_new(FO_ROLE_PRIMARY);
	struct fo_fsm *f = k->fsm;

	k->drain_rc = s == FO_ST_ACTIVE_DRAIN ? FO_OP_PENDING : FO_OP_DONE;
	k->active_rc = s == FO_ST_ACTIVE_APPLYING_CONFIG ? FO_OP_PENDING
							 : FO_OP_DONE;
	switch (s) {
	case FO_ST_DISABLED:
		break;
	case FO_ST_NEGOTIATION:
		fo_fsm_input(f, 0, FO_EV_ENABLE);
		break;
	case FO_ST_COLD_STANDBY:
		fo_fsm_input(f, 0, FO_EV_ENABLE);
		hello(k, FO_ST_JUST_ACTIVE, FO_ST_ACTIVE);
		break;
	case FO_ST_SYNC_CONFIG:
	case FO_ST_SYNC_FILE_SYSTEM:
	case FO_ST_BULK_SYNC:
	case FO_ST_STANDBY_READY:
	case FO_ST_FAILED:
		fo_fsm_input(f, 0, FO_EV_ENABLE);
		hello(k, FO_ST_ACTIVE, FO_ST_ACTIVE);
		if (s == FO_ST_SYNC_CONFIG)
			break;
		fo_fsm_input(f, 0, FO_EV_CONFIG_RECEIVED);
		if (s == FO_ST_SYNC_FILE_SYSTEM)
			break;
		fo_fsm_input(f, 0, FO_EV_FILES_RECEIVED);
		if (s == FO_ST_BULK_SYNC)
			break;
		fo_fsm_input(f, FO_GROUP_ALL, FO_EV_BULK_RECEIVED);
		if (s == FO_ST_FAILED)
			fo_fsm_input(f, 1, FO_EV_IF_FAILED);
		break;
	case FO_ST_ACTIVE_DRAIN:
	case FO_ST_ACTIVE_APPLYING_CONFIG:
	case FO_ST_ACTIVE:
		fo_fsm_input(f, 0, FO_EV_ENABLE);
		fo_fsm_input(f, 0, FO_EV_NEGOTIATION_EXPIRED);
		hello(k, FO_ST_STANDBY_READY, FO_ST_STANDBY_READY);
		break;
	default:
		fail_msg("not a resting state: %s", fo_state_name(s));
	}
	assert_int_equal(fo_fsm_state(f, 1), s);
	return k;
}

static const enum fo_state resting[] = {
	FO_ST_DISABLED, FO_ST_NEGOTIATION, FO_ST_COLD_STANDBY,
	FO_ST_SYNC_CONFIG, FO_ST_SYNC_FILE_SYSTEM, FO_ST_BULK_SYNC,
	FO_ST_STANDBY_READY, FO_ST_ACTIVE_DRAIN, FO_ST_ACTIVE_APPLYING_CONFIG,
	FO_ST_ACTIVE, FO_ST_FAILED,
};

/* The cells of the state x event matrix that move group 1; every other
 * cell must leave it where it is. */
static const struct cell {
	enum fo_state from;
	enum fo_event ev;
	enum fo_state to;
} moves[] = {
	{ FO_ST_DISABLED, FO_EV_ENABLE, FO_ST_NEGOTIATION },
	/* alone: negotiation window over, link down at startup, forced */
	{ FO_ST_NEGOTIATION, FO_EV_NEGOTIATION_EXPIRED, FO_ST_ACTIVE },
	{ FO_ST_NEGOTIATION, FO_EV_LINK_DOWN, FO_ST_ACTIVE },
	{ FO_ST_NEGOTIATION, FO_EV_CMD_ACTIVE, FO_ST_ACTIVE },
	/* standby side: the mate dies -> take over */
	{ FO_ST_COLD_STANDBY, FO_EV_MATE_DEAD, FO_ST_ACTIVE },
	{ FO_ST_SYNC_CONFIG, FO_EV_MATE_DEAD, FO_ST_ACTIVE },
	{ FO_ST_SYNC_FILE_SYSTEM, FO_EV_MATE_DEAD, FO_ST_ACTIVE },
	{ FO_ST_BULK_SYNC, FO_EV_MATE_DEAD, FO_ST_ACTIVE },
	{ FO_ST_STANDBY_READY, FO_EV_MATE_DEAD, FO_ST_ACTIVE },
	/* replication drives the sync states */
	{ FO_ST_SYNC_CONFIG, FO_EV_CONFIG_RECEIVED, FO_ST_SYNC_FILE_SYSTEM },
	{ FO_ST_SYNC_FILE_SYSTEM, FO_EV_FILES_RECEIVED, FO_ST_BULK_SYNC },
	{ FO_ST_BULK_SYNC, FO_EV_BULK_RECEIVED, FO_ST_STANDBY_READY },
	/* interface failure marks any standby copy Failed */
	{ FO_ST_COLD_STANDBY, FO_EV_IF_FAILED, FO_ST_FAILED },
	{ FO_ST_SYNC_CONFIG, FO_EV_IF_FAILED, FO_ST_FAILED },
	{ FO_ST_SYNC_FILE_SYSTEM, FO_EV_IF_FAILED, FO_ST_FAILED },
	{ FO_ST_BULK_SYNC, FO_EV_IF_FAILED, FO_ST_FAILED },
	{ FO_ST_STANDBY_READY, FO_EV_IF_FAILED, FO_ST_FAILED },
	/* ... and the active one when the mate is Standby Ready */
	{ FO_ST_ACTIVE, FO_EV_IF_FAILED, FO_ST_FAILED },
	/* forced (precondition checks are fo_fsm_cmd_*'s job) */
	{ FO_ST_COLD_STANDBY, FO_EV_CMD_ACTIVE, FO_ST_ACTIVE },
	{ FO_ST_SYNC_CONFIG, FO_EV_CMD_ACTIVE, FO_ST_ACTIVE },
	{ FO_ST_SYNC_FILE_SYSTEM, FO_EV_CMD_ACTIVE, FO_ST_ACTIVE },
	{ FO_ST_BULK_SYNC, FO_EV_CMD_ACTIVE, FO_ST_ACTIVE },
	{ FO_ST_ACTIVE, FO_EV_CMD_STANDBY, FO_ST_STANDBY_READY },
	/* negotiated moves */
	{ FO_ST_ACTIVE, FO_EV_MATE_REQUESTS_ACTIVE, FO_ST_STANDBY_READY },
	{ FO_ST_STANDBY_READY, FO_EV_MATE_RELEASED, FO_ST_ACTIVE },
	/* the pending active path */
	{ FO_ST_ACTIVE_DRAIN, FO_EV_DRAINED, FO_ST_ACTIVE },
	{ FO_ST_ACTIVE_APPLYING_CONFIG, FO_EV_CONFIG_APPLIED, FO_ST_ACTIVE },
	{ FO_ST_ACTIVE_APPLYING_CONFIG, FO_EV_APPLY_FAILED, FO_ST_FAILED },
	/* leaving Failed at zero faults: mate holds the group -> Bulk Sync */
	{ FO_ST_FAILED, FO_EV_IF_OK, FO_ST_BULK_SYNC },
	{ FO_ST_FAILED, FO_EV_CMD_RESET, FO_ST_BULK_SYNC },
};

static enum fo_state expected_after(enum fo_state from, enum fo_event ev)
{
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (moves[i].from == from && moves[i].ev == ev)
			return moves[i].to;
	return from;
}

static void test_every_event_in_every_state(void **st)
{
	(void)st;
	unsigned cells = 0;

	for (size_t i = 0; i < sizeof resting / sizeof resting[0]; i++) {
		for (int ev = 0; ev < FO_EV_MAX; ev++) {
			struct fake *k = unit_in(resting[i]);
			enum fo_state want = expected_after(resting[i], ev);
			assert_int_equal(fo_fsm_input(k->fsm, 1, ev), 0);
			if (fo_fsm_state(k->fsm, 1) != want)
				fail_msg("%s + %s: got %s, want %s",
					 fo_state_name(resting[i]),
					 fo_event_name(ev),
					 fo_state_name(fo_fsm_state(k->fsm, 1)),
					 fo_state_name(want));
			cells++;
			fake_free(k);
		}
	}
	assert_int_equal(cells, (sizeof resting / sizeof resting[0]) * FO_EV_MAX);
}

/* ------------------------------------------- actions of the key cells */

static void test_alone_goes_active_through_asa_path(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_NEGOTIATION);
	struct fo_transition t;
	static const enum fo_state path[] = {
		FO_ST_DISABLED, FO_ST_NEGOTIATION, FO_ST_JUST_ACTIVE,
		FO_ST_ACTIVE_DRAIN, FO_ST_ACTIVE_APPLYING_CONFIG,
		FO_ST_ACTIVE_CONFIG_APPLIED, FO_ST_ACTIVE,
	};

	assert_true(k->armed[FO_TIMER_NEGOTIATION][0]);
	assert_int_equal(k->deadline[FO_TIMER_NEGOTIATION][0], 1000 + 3000);
	assert_true(k->armed[FO_TIMER_POLL][0]);
	k->now += 3000;
	fo_fsm_timer_fired(k->fsm, FO_TIMER_NEGOTIATION, 0);
	for (unsigned g = 1; g <= 2; g++) {
		assert_int_equal(fo_fsm_state(k->fsm, g), FO_ST_ACTIVE);
		assert_int_equal(k->active_calls[g], 1);
	}
	assert_true(fo_fsm_config_source(k->fsm));
	/* group 1's history is exactly ASA's path, reason "No Active unit
	 * found" from Negotiation on */
	unsigned n = 0;
	for (unsigned i = 0; fo_fsm_history_get(k->fsm, i, &t) == 0; i++) {
		if (t.group != 1)
			continue;
		assert_int_equal(t.from, path[n]);
		assert_int_equal(t.to, path[n + 1]);
		if (n > 0)
			assert_int_equal(t.reason, FO_R_NO_ACTIVE);
		n++;
	}
	assert_int_equal(n, sizeof path / sizeof path[0] - 1);
	assert_int_equal(k->transitions, 2 * n);
	/* the new state was announced */
	assert_int_equal(last_sent(k)->groups[0].state, FO_ST_ACTIVE);
	assert_int_equal(last_sent(k)->groups[1].state, FO_ST_ACTIVE);
	fake_free(k);
}

static void test_release_is_ordered(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	unsigned from = k->nsent;

	mate_says(k, FO_MSG_REQUEST_ACTIVE, 1, FO_ST_STANDBY_READY,
		  FO_ST_STANDBY_READY, true);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_ACTIVE);
	assert_int_equal(k->standby_calls[1], 1);
	/* RELEASED, carrying our new snapshot (standby), was sent */
	assert_true(sent_since(k, from, FO_MSG_RELEASED, 1));
	for (unsigned i = from; i < k->nsent; i++)
		if (k->sent[i].type == FO_MSG_RELEASED)
			assert_int_equal(k->sent[i].groups[0].state,
					 FO_ST_STANDBY_READY);
	struct fo_transition t;
	fo_fsm_history_get(k->fsm, fo_fsm_history_count(k->fsm) - 1, &t);
	assert_int_equal(t.reason, FO_R_MATE_WANTS_STANDBY);
	fake_free(k);
}

static void test_standby_takes_on_release_with_reason(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	struct fo_transition t;

	mate_says(k, FO_MSG_RELEASED, 1, FO_ST_STANDBY_READY, FO_ST_ACTIVE,
		  true);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_STANDBY_READY);
	fo_fsm_history_get(k->fsm, 0, &t);
	for (unsigned i = 0; fo_fsm_history_get(k->fsm, i, &t) == 0; i++)
		if (t.to == FO_ST_JUST_ACTIVE)
			assert_int_equal(t.reason, FO_R_MATE_WANTS_ACTIVE);
	assert_true(fo_fsm_last_failover(k->fsm, 1) == k->wall);
	fake_free(k);
}

static void test_requests_and_releases_are_declined_when_unable(void **st)
{
	(void)st;
	static const enum fo_state cannot_take[] = {
		FO_ST_NEGOTIATION, FO_ST_COLD_STANDBY, FO_ST_SYNC_CONFIG,
		FO_ST_BULK_SYNC, FO_ST_FAILED,
	};
	for (size_t i = 0; i < sizeof cannot_take / sizeof cannot_take[0]; i++) {
		struct fake *k = unit_in(cannot_take[i]);
		unsigned from = k->nsent;
		fo_fsm_input(k->fsm, 1, FO_EV_MATE_RELEASED);
		assert_true(sent_since(k, from, FO_MSG_DECLINED, 1));
		assert_int_equal(fo_fsm_state(k->fsm, 1), cannot_take[i]);
		fake_free(k);
	}
	/* mid-way on the active path: asked to release, it declines */
	struct fake *k = unit_in(FO_ST_ACTIVE_DRAIN);
	unsigned from = k->nsent;
	fo_fsm_input(k->fsm, 1, FO_EV_MATE_REQUESTS_ACTIVE);
	assert_true(sent_since(k, from, FO_MSG_DECLINED, 1));
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE_DRAIN);
	fake_free(k);
}

static void test_sync_path_requests(void **st)
{
	(void)st;
	struct fake *k = fake_new(FO_ROLE_SECONDARY);
	fo_fsm_input(k->fsm, 0, FO_EV_ENABLE);
	hello(k, FO_ST_JUST_ACTIVE, FO_ST_JUST_ACTIVE);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_COLD_STANDBY);
	assert_int_equal(k->standby_calls[1], 1);
	assert_int_equal(k->config_calls, 0);
	hello(k, FO_ST_ACTIVE, FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_SYNC_CONFIG);
	assert_int_equal(k->config_calls, 1);  /* once for the unit */
	fo_fsm_input(k->fsm, 0, FO_EV_CONFIG_RECEIVED);
	fo_fsm_input(k->fsm, 0, FO_EV_FILES_RECEIVED);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_BULK_SYNC);
	assert_int_equal(k->bulk_calls[1], 1);
	assert_int_equal(k->bulk_calls[2], 1);
	fo_fsm_input(k->fsm, 2, FO_EV_BULK_RECEIVED);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_BULK_SYNC);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_STANDBY_READY);
	assert_false(fo_fsm_config_source(k->fsm));
	fake_free(k);
}

static void test_active_with_failed_standby_does_not_move(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	hello(k, FO_ST_FAILED, FO_ST_STANDBY_READY);
	fo_fsm_input(k->fsm, 1, FO_EV_IF_FAILED);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_faults(k->fsm, 1), FO_FAULT_IFC);
	/* the mate's copy recovers: now the faulty active one moves */
	unsigned from = k->nsent;
	hello(k, FO_ST_STANDBY_READY, FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_FAILED);
	assert_int_equal(fo_fsm_last_failure(k->fsm, 1), FO_R_IFC);
	assert_true(sent_since(k, from, FO_MSG_RELEASED, 1));
	fake_free(k);
}

static void test_failed_group_reverts_when_mate_declines(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	fo_fsm_input(k->fsm, 1, FO_EV_IF_FAILED);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_FAILED);
	/* the mate's copy failed meanwhile: it declines, nobody has it */
	mate_says(k, FO_MSG_DECLINED, 1, FO_ST_FAILED, FO_ST_STANDBY_READY,
		  true);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_faults(k->fsm, 1), FO_FAULT_IFC);
	fake_free(k);
}

static void test_apply_failure_latches(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE_APPLYING_CONFIG);
	fo_fsm_input(k->fsm, 1, FO_EV_APPLY_FAILED);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_FAILED);
	assert_int_equal(fo_fsm_faults(k->fsm, 1), FO_FAULT_APPLY);
	fo_fsm_input(k->fsm, 1, FO_EV_IF_OK);   /* not an interface fault */
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_FAILED);
	assert_int_equal(fo_fsm_cmd_reset(k->fsm, 1), FO_CMD_OK);
	assert_int_equal(fo_fsm_faults(k->fsm, 1), 0);
	assert_true(fo_fsm_is_active_state(fo_fsm_state(k->fsm, 1)));
	fake_free(k);
}

static void test_become_active_error_fails_group(void **st)
{
	(void)st;
	struct fake *k = fake_new(FO_ROLE_PRIMARY);
	k->active_rc = -EIO;
	fo_fsm_input(k->fsm, 0, FO_EV_ENABLE);
	fo_fsm_input(k->fsm, 0, FO_EV_NEGOTIATION_EXPIRED);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_FAILED);
	assert_int_equal(fo_fsm_last_failure(k->fsm, 1), FO_R_APPLY_FAILED);
	fake_free(k);
}

/* ------------------------------------------------ hold time and links */

static void test_hold_expiry_tests_mate_then_link_failed(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);

	assert_true(k->armed[FO_TIMER_HOLD][0]);
	fo_fsm_timer_fired(k->fsm, FO_TIMER_HOLD, 0);
	assert_int_equal(k->test_calls, 1);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	fo_fsm_input(k->fsm, 0, FO_EV_MATE_ALIVE_ON_DATA);
	assert_true(fo_fsm_link_failed(k->fsm));
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_STANDBY_READY);
	/* forced moves cannot be negotiated now */
	assert_int_equal(fo_fsm_cmd_active(k->fsm, 1), FO_CMD_OK);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	/* hellos again: link OK */
	hello(k, FO_ST_ACTIVE, FO_ST_ACTIVE);
	assert_false(fo_fsm_link_failed(k->fsm));
	fake_free(k);
}

static void test_hold_expiry_mate_dead_takes_all(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	time_t at;

	fo_fsm_timer_fired(k->fsm, FO_TIMER_HOLD, 0);
	fo_fsm_input(k->fsm, 0, FO_EV_MATE_DEAD);
	for (unsigned g = 1; g <= 2; g++) {
		assert_int_equal(fo_fsm_state(k->fsm, g), FO_ST_ACTIVE);
		assert_int_equal(fo_fsm_mate_state(k->fsm, g), FO_ST_FAILED);
		assert_int_equal(fo_fsm_mate_last_failure(k->fsm, g, &at),
				 FO_R_COMM_FAILURE);
	}
	/* a late, duplicate answer changes nothing */
	fo_fsm_input(k->fsm, 0, FO_EV_MATE_DEAD);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	fake_free(k);
}

/* Any authenticated frame from the mate restarts its hold time (a mate
 * busy sending bulk state is alive), but not while the data-interface
 * test runs or before the mate was ever heard. */
static void test_any_frame_restarts_hold(void **st)
{
	(void)st;
	static const struct {
		const char *name;
		bool hold_fired_first;   /* the test is under way */
		bool rearmed;
	} cases[] = {
		{ "mate present", false, true },
		{ "mate under test", true, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fake *k = unit_in(FO_ST_STANDBY_READY);
		if (cases[i].hold_fired_first) {
			fo_fsm_timer_fired(k->fsm, FO_TIMER_HOLD, 0);
			assert_int_equal(k->test_calls, 1);
		}
		k->now += 2500;
		k->armed[FO_TIMER_HOLD][0] = false;
		fo_fsm_mate_heard(k->fsm);
		if (k->armed[FO_TIMER_HOLD][0] != cases[i].rearmed)
			fail_msg("%s: hold %s", cases[i].name,
				 cases[i].rearmed ? "not re-armed" : "re-armed");
		if (cases[i].rearmed)
			assert_int_equal(k->deadline[FO_TIMER_HOLD][0],
					 k->now + 3000);
		/* nothing else changed */
		assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
		fake_free(k);
	}
	/* A unit that never heard its mate has no hold to restart. */
	struct fake *k = fake_new(FO_ROLE_SECONDARY);
	fo_fsm_input(k->fsm, 0, FO_EV_ENABLE);
	k->armed[FO_TIMER_HOLD][0] = false;
	fo_fsm_mate_heard(k->fsm);
	assert_false(k->armed[FO_TIMER_HOLD][0]);
	fake_free(k);
}

static void test_no_test_op_means_dead(void **st)
{
	(void)st;
	struct fo_fsm_ops ops = fake_ops;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	fo_fsm_destroy(k->fsm);
	ops.test_mate_on_data_interfaces = NULL;
	k->fsm = fo_fsm_create(&ops, k);
	fo_fsm_input(k->fsm, 0, FO_EV_ENABLE);
	hello(k, FO_ST_ACTIVE, FO_ST_ACTIVE);
	fo_fsm_timer_fired(k->fsm, FO_TIMER_HOLD, 0);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	fake_free(k);
}

static void test_link_down_in_operation_moves_nothing(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	fo_fsm_input(k->fsm, 0, FO_EV_LINK_DOWN);
	assert_true(fo_fsm_link_failed(k->fsm));
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_ACTIVE);
	fake_free(k);
}

static void test_stateful_link_flag(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	fo_fsm_input(k->fsm, 0, FO_EV_STATE_LINK_DOWN);
	assert_true(fo_fsm_state_stale(k->fsm));
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	fo_fsm_input(k->fsm, 0, FO_EV_STATE_LINK_UP);
	assert_false(fo_fsm_state_stale(k->fsm));
	fake_free(k);
}

/* ------------------------------------------------------------ preempt */

static void test_preempt_arms_and_requests(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	unsigned from;

	assert_false(k->armed[FO_TIMER_PREEMPT][1]);
	assert_int_equal(fo_fsm_set_preempt(k->fsm, 1, true, 5), 0);
	assert_true(k->armed[FO_TIMER_PREEMPT][1]);
	assert_int_equal(k->deadline[FO_TIMER_PREEMPT][1], k->now + 5000);
	/* group 2 prefers the secondary (the mate): never preempted here */
	assert_int_equal(fo_fsm_set_preempt(k->fsm, 2, true, 0), 0);
	assert_false(k->armed[FO_TIMER_PREEMPT][2]);
	from = k->nsent;
	fo_fsm_timer_fired(k->fsm, FO_TIMER_PREEMPT, 1);
	assert_true(sent_since(k, from, FO_MSG_REQUEST_ACTIVE, 1));
	assert_int_equal(last_sent(k)->reason, FO_R_PREEMPT);
	mate_says(k, FO_MSG_RELEASED, 1, FO_ST_STANDBY_READY, FO_ST_ACTIVE,
		  true);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	struct fo_transition t;
	for (unsigned i = 0; fo_fsm_history_get(k->fsm, i, &t) == 0; i++)
		if (t.to == FO_ST_JUST_ACTIVE)
			assert_int_equal(t.reason, FO_R_PREEMPT);
	assert_false(k->armed[FO_TIMER_REQUEST][1]);
	fake_free(k);
}

static void test_preempt_not_when_disabled(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	fo_fsm_set_preempt(k->fsm, 1, true, 5);
	assert_true(k->armed[FO_TIMER_PREEMPT][1]);
	fo_fsm_input(k->fsm, 0, FO_EV_DISABLE);
	assert_false(k->armed[FO_TIMER_PREEMPT][1]);
	/* a timer that fired anyway does nothing */
	unsigned from = k->nsent;
	fo_fsm_timer_fired(k->fsm, FO_TIMER_PREEMPT, 1);
	assert_false(sent_since(k, from, FO_MSG_REQUEST_ACTIVE, 1));
	fake_free(k);
}

/* ----------------------------------------------------------- commands */

static void test_command_refusals(void **st)
{
	(void)st;
	static const struct {
		enum fo_state in;
		int cmd; /* 0 active, 1 no active, 2 reset */
		unsigned group;
		enum fo_cmd_result want;
	} rows[] = {
		{ FO_ST_DISABLED, 0, 1, FO_CMD_NOT_ENABLED },
		{ FO_ST_DISABLED, 1, 1, FO_CMD_NOT_ENABLED },
		{ FO_ST_ACTIVE, 0, 1, FO_CMD_ALREADY_ACTIVE },
		{ FO_ST_ACTIVE, 0, 0, FO_CMD_ALREADY_ACTIVE },
		{ FO_ST_ACTIVE, 0, 3, FO_CMD_BAD_GROUP },
		{ FO_ST_ACTIVE_DRAIN, 0, 1, FO_CMD_IN_PROGRESS },
		{ FO_ST_ACTIVE_DRAIN, 1, 1, FO_CMD_IN_PROGRESS },
		{ FO_ST_SYNC_CONFIG, 0, 1, FO_CMD_NOT_READY },
		{ FO_ST_BULK_SYNC, 0, 1, FO_CMD_NOT_READY },
		{ FO_ST_FAILED, 0, 1, FO_CMD_FAILED },
		{ FO_ST_STANDBY_READY, 1, 1, FO_CMD_NOT_ACTIVE },
		{ FO_ST_STANDBY_READY, 2, 1, FO_CMD_NOT_FAILED },
		{ FO_ST_STANDBY_READY, 2, 9, FO_CMD_BAD_GROUP },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct fake *k = unit_in(rows[i].in);
		enum fo_state s1 = fo_fsm_state(k->fsm, 1);
		enum fo_cmd_result r =
			rows[i].cmd == 0 ? fo_fsm_cmd_active(k->fsm, rows[i].group)
			: rows[i].cmd == 1 ? fo_fsm_cmd_no_active(k->fsm, rows[i].group)
			: fo_fsm_cmd_reset(k->fsm, rows[i].group);
		if (r != rows[i].want)
			fail_msg("row %zu: got %s", i, fo_cmd_result_text(r));
		assert_int_equal(fo_fsm_state(k->fsm, 1), s1);
		assert_true(strlen(fo_cmd_result_text(r)) > 0);
		fake_free(k);
	}
	/* no failover active with the mate's copy not Standby Ready */
	struct fake *k = unit_in(FO_ST_ACTIVE);
	hello(k, FO_ST_BULK_SYNC, FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_cmd_no_active(k->fsm, 1), FO_CMD_MATE_NOT_READY);
	assert_string_equal(fo_cmd_result_text(FO_CMD_MATE_NOT_READY),
		"ERROR: the failover group on the other unit is not in Standby Ready state");
	/* ... and the unit-level form moves group 2 only */
	assert_int_equal(fo_fsm_cmd_no_active(k->fsm, 0), FO_CMD_OK);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_ACTIVE);
	assert_int_equal(fo_fsm_state(k->fsm, 2), FO_ST_STANDBY_READY);
	fake_free(k);
}

static void test_forced_request_and_timeout(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_cmd_active(k->fsm, 1), FO_CMD_OK);
	assert_int_equal(last_sent(k)->type, FO_MSG_REQUEST_ACTIVE);
	assert_int_equal(last_sent(k)->reason, FO_R_CONFIG);
	assert_true(k->armed[FO_TIMER_REQUEST][1]);
	assert_int_equal(fo_fsm_cmd_active(k->fsm, 1), FO_CMD_IN_PROGRESS);
	fo_fsm_timer_fired(k->fsm, FO_TIMER_REQUEST, 1);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	/* may be retried */
	assert_int_equal(fo_fsm_cmd_active(k->fsm, 1), FO_CMD_OK);
	/* mate declines while it still holds the group: stay standby */
	mate_says(k, FO_MSG_DECLINED, 1, FO_ST_ACTIVE, FO_ST_ACTIVE, true);
	assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	assert_false(k->armed[FO_TIMER_REQUEST][1]);
	fake_free(k);
}

/* ---------------------------------------------------- bad messages */

static void test_bad_messages_dropped(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	struct fo_msg good, m;

	memset(&good, 0, sizeof good);
	good.type = FO_MSG_RELEASED;
	good.group = 1;
	good.role = FO_ROLE_SECONDARY;
	good.enabled = true;
	good.groups[0].state = FO_ST_STANDBY_READY;
	good.groups[1].state = FO_ST_ACTIVE;

	static const struct { int field; int value; enum fo_drop d; } rows[] = {
		{ 0, FO_MSG_MAX, FO_DROP_TYPE },
		{ 0, 255, FO_DROP_TYPE },
		{ 1, 0, FO_DROP_GROUP },
		{ 1, 3, FO_DROP_GROUP },
		{ 2, FO_R_MAX, FO_DROP_REASON },
		{ 3, FO_ROLE_MAX, FO_DROP_ROLE },
		{ 3, FO_ROLE_PRIMARY, FO_DROP_SAME_ROLE },
		{ 4, FO_ST_MAX, FO_DROP_STATE },
		{ 5, 200, FO_DROP_STATE },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint64_t before = fo_fsm_drops(k->fsm, rows[i].d);
		m = good;
		switch (rows[i].field) {
		case 0: m.type = (uint8_t)rows[i].value; break;
		case 1: m.group = (uint8_t)rows[i].value; break;
		case 2: m.reason = (uint8_t)rows[i].value; break;
		case 3: m.role = (uint8_t)rows[i].value; break;
		case 4: m.groups[1].state = (uint8_t)rows[i].value; break;
		case 5: m.groups[0].failure_reason = (uint8_t)rows[i].value; break;
		}
		assert_int_equal(fo_fsm_recv(k->fsm, &m), -EPROTO);
		assert_int_equal(fo_fsm_drops(k->fsm, rows[i].d), before + 1);
		assert_int_equal(fo_fsm_state(k->fsm, 1), FO_ST_STANDBY_READY);
	}
	/* a hello must not name a group */
	m = good;
	m.type = FO_MSG_HELLO;
	assert_int_equal(fo_fsm_recv(k->fsm, &m), -EPROTO);
	/* random garbage never crashes nor moves anything but is counted */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		unsigned char *p = (unsigned char *)&m;
		for (size_t j = 0; j < sizeof m; j++)
			p[j] = (unsigned char)rand();
		m.enabled = rand() & 1;
		m.config_synced = rand() & 1;
		(void)fo_fsm_recv(k->fsm, &m);
	}
	/* the good one still works */
	struct fake *k2 = unit_in(FO_ST_STANDBY_READY);
	assert_int_equal(fo_fsm_recv(k2->fsm, &good), 0);
	assert_int_equal(fo_fsm_state(k2->fsm, 1), FO_ST_ACTIVE);
	fake_free(k2);
	fake_free(k);
}

static void test_bad_arguments(void **st)
{
	(void)st;
	struct fake *k = fake_new(FO_ROLE_PRIMARY);
	struct fo_fsm_ops ops = fake_ops;

	assert_int_equal(fo_fsm_input(k->fsm, 3, FO_EV_IF_OK), -EINVAL);
	assert_int_equal(fo_fsm_input(k->fsm, 1, FO_EV_MAX), -EINVAL);
	assert_int_equal(fo_fsm_timer_fired(k->fsm, FO_TIMER_MAX, 0), -EINVAL);
	assert_int_equal(fo_fsm_timer_fired(k->fsm, FO_TIMER_PREEMPT, 0), -EINVAL);
	assert_int_equal(fo_fsm_set_role(k->fsm, FO_ROLE_MAX), -EINVAL);
	assert_int_equal(fo_fsm_set_timers(k->fsm, 1000, 2000), -EINVAL);
	assert_int_equal(fo_fsm_set_timers(k->fsm, 0, 2000), -EINVAL);
	assert_int_equal(fo_fsm_set_preference(k->fsm, 0, FO_ROLE_PRIMARY), -EINVAL);
	assert_int_equal(fo_fsm_set_preempt(k->fsm, 1, true, 1201), -EINVAL);
	assert_int_equal(fo_fsm_set_link_name(k->fsm, ""), -EINVAL);
	assert_int_equal(fo_fsm_state(k->fsm, 0), FO_ST_MAX);
	assert_int_equal(fo_fsm_mate_state(k->fsm, 1), FO_ST_MAX);
	ops.become_active = NULL;
	assert_null(fo_fsm_create(&ops, k));
	assert_null(fo_fsm_create(NULL, k));
	fake_free(k);
}

/* -------------------------------------------------------- name tables */

static void test_names(void **st)
{
	(void)st;
	static const char *const asa[FO_ST_MAX] = {
		"Disabled", "Negotiation", "Cold Standby", "Sync Config",
		"Sync File System", "Bulk Sync", "Standby Ready", "Just Active",
		"Active Drain", "Active Applying Config",
		"Active Config Applied", "Active", "Failed",
	};
	for (int s = 0; s < FO_ST_MAX; s++)
		assert_string_equal(fo_state_name(s), asa[s]);
	assert_string_equal(fo_state_name(FO_ST_MAX), "?");
	for (int e = 0; e < FO_EV_MAX; e++)
		assert_string_not_equal(fo_event_name(e), "?");
	for (int r = 0; r < FO_R_MAX; r++)
		assert_string_not_equal(fo_reason_text(r), "?");
	for (int t = 0; t < FO_TIMER_MAX; t++)
		assert_string_not_equal(fo_timer_name(t), "?");
	for (int t = 0; t < FO_MSG_MAX; t++)
		assert_string_not_equal(fo_msg_type_name(t), "?");
	for (int d = 0; d < FO_DROP_MAX; d++)
		assert_string_not_equal(fo_drop_name(d), "?");
	for (int c = 0; c < FO_CMD_MAX; c++)
		assert_string_not_equal(fo_cmd_result_text(c), "?");
	assert_string_equal(fo_reason_text(FO_R_HELLO_LOST), "HELLO not heard from mate");
	assert_string_equal(fo_reason_text(FO_R_CONFIG), "Set by the config command");
	assert_string_equal(fo_reason_text(FO_R_NO_ACTIVE), "No Active unit found");
	assert_string_equal(fo_reason_text(FO_R_MATE_WANTS_STANDBY), "Other unit wants me Standby");
	assert_string_equal(fo_reason_text(FO_R_MATE_WANTS_ACTIVE), "Other unit wants me Active");
	assert_string_equal(fo_reason_text(FO_R_IFC), "Interface check");
	assert_string_equal(fo_reason_text(FO_R_STATE_CHECK), "Failover state check");
	assert_string_equal(fo_role_name(FO_ROLE_SECONDARY), "Secondary");
	assert_string_equal(fo_event_name(FO_EV_MAX), "?");
}

/* ------------------------------------------- accounting and show text */

static void test_active_time_and_show(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_ACTIVE);
	struct buf b;
	char when[48];

	k->now += 359610 * 1000ull;
	assert_int_equal(fo_fsm_active_time_s(k->fsm, 1), 359610);
	/* time stops while not Active, resumes after */
	mate_says(k, FO_MSG_REQUEST_ACTIVE, 1, FO_ST_STANDBY_READY,
		  FO_ST_STANDBY_READY, true);
	k->now += 50 * 1000;
	assert_int_equal(fo_fsm_active_time_s(k->fsm, 1), 359610);

	fo_format_time(k->wall, when, sizeof when);
	assert_string_equal(when, "06:12:45 UTC Apr 16 2007");

	buf_init(&b);
	fo_fsm_format_groups(k->fsm, false, &b);
	assert_non_null(strstr(b.data, "This host:    Primary"));
	assert_non_null(strstr(b.data, "Group 1       State:          Standby Ready"));
	assert_non_null(strstr(b.data, "Active time:    359610 (sec)"));
	assert_non_null(strstr(b.data, "Group 2       State:          Active"));
	buf_reset(&b);
	fo_fsm_format_groups(k->fsm, true, &b);
	assert_non_null(strstr(b.data, "Other host:   Secondary"));
	buf_reset(&b);
	fo_fsm_format_last_failover(k->fsm, &b);
	assert_non_null(strstr(b.data,
		"Group 1 last failover at: 06:12:45 UTC Apr 16 2007"));
	buf_reset(&b);
	fo_fsm_format_history(k->fsm, &b);
	assert_non_null(strstr(b.data, "From State"));
	assert_non_null(strstr(b.data, "06:12:45 UTC Apr 16 2007\n1       "
				       "Negotiation                Just Active"
				       "                No Active unit found"));
	assert_non_null(strstr(b.data, "Active                     "
				       "Standby Ready              "
				       "Other unit wants me Standby"));
	buf_free(&b);
	fake_free(k);
}

static void test_show_state_block(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_FAILED);
	struct buf b;

	buf_init(&b);
	fo_fsm_format_state(k->fsm, &b);
	assert_non_null(strstr(b.data, "State                   Last Failure Reason      Date/Time"));
	assert_non_null(strstr(b.data, "This host  -   Primary\n"));
	assert_non_null(strstr(b.data, "    Group 1    Failed                  Interface check          06:12:45 UTC Apr 16 2007\n"));
	assert_non_null(strstr(b.data, "    Group 2    Standby Ready           None"));
	assert_non_null(strstr(b.data, "Other host -   Secondary\n"));
	assert_non_null(strstr(b.data, "    Group 1    Active                  None"));
	assert_non_null(strstr(b.data, "Sync Done - STANDBY"));
	buf_free(&b);

	/* a unit alone: mate Not Detected */
	struct fake *k2 = unit_in(FO_ST_NEGOTIATION);
	buf_init(&b);
	fo_fsm_format_state(k2->fsm, &b);
	assert_non_null(strstr(b.data, "    Group 2    Not Detected            None"));
	assert_non_null(strstr(b.data, "Sync Pending"));
	buf_free(&b);
	fake_free(k2);
	fake_free(k);
}

static void test_history_ring_keeps_last(void **st)
{
	(void)st;
	struct fake *k = unit_in(FO_ST_STANDBY_READY);
	struct fo_transition t;
	/* flap group 1 Failed <-> Bulk Sync <-> Standby Ready many times */
	for (int i = 0; i < 100; i++) {
		k->wall++;
		fo_fsm_input(k->fsm, 1, FO_EV_IF_FAILED);
		fo_fsm_input(k->fsm, 1, FO_EV_IF_OK);
		fo_fsm_input(k->fsm, 1, FO_EV_BULK_RECEIVED);
	}
	assert_int_equal(fo_fsm_history_count(k->fsm), FO_HISTORY_MAX);
	assert_int_equal(fo_fsm_history_get(k->fsm, FO_HISTORY_MAX - 1, &t), 0);
	assert_int_equal(t.to, FO_ST_STANDBY_READY);
	assert_int_equal(t.when, k->wall);
	assert_int_equal(fo_fsm_history_get(k->fsm, FO_HISTORY_MAX, &t), -ENOENT);
	fake_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_event_in_every_state),
		cmocka_unit_test(test_alone_goes_active_through_asa_path),
		cmocka_unit_test(test_release_is_ordered),
		cmocka_unit_test(test_standby_takes_on_release_with_reason),
		cmocka_unit_test(test_requests_and_releases_are_declined_when_unable),
		cmocka_unit_test(test_sync_path_requests),
		cmocka_unit_test(test_active_with_failed_standby_does_not_move),
		cmocka_unit_test(test_failed_group_reverts_when_mate_declines),
		cmocka_unit_test(test_apply_failure_latches),
		cmocka_unit_test(test_become_active_error_fails_group),
		cmocka_unit_test(test_hold_expiry_tests_mate_then_link_failed),
		cmocka_unit_test(test_hold_expiry_mate_dead_takes_all),
		cmocka_unit_test(test_any_frame_restarts_hold),
		cmocka_unit_test(test_no_test_op_means_dead),
		cmocka_unit_test(test_link_down_in_operation_moves_nothing),
		cmocka_unit_test(test_stateful_link_flag),
		cmocka_unit_test(test_preempt_arms_and_requests),
		cmocka_unit_test(test_preempt_not_when_disabled),
		cmocka_unit_test(test_command_refusals),
		cmocka_unit_test(test_forced_request_and_timeout),
		cmocka_unit_test(test_bad_messages_dropped),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_active_time_and_show),
		cmocka_unit_test(test_show_state_block),
		cmocka_unit_test(test_history_ring_keeps_last),
	};
	/* MCTX_TEST_LOG=1 shows every transition and message id. */
	log_init("test_fo_fsm", true,
		 getenv("MCTX_TEST_LOG") ? LOG_SEV_DEBUG : LOG_SEV_EMERG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
