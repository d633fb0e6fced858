/*
 * fo_fsm: see fo_fsm.h.
 *
 * Layout: name tables; the unit object; fo_set_state() (the only place a
 * group's state is assigned: exit actions, history, logs, entry actions);
 * the decisions shared by several states (negotiate, preempt, fail over on
 * faults); one handler per state, each a switch on the event; the unit-level
 * prelude of fo_fsm_input(); messages; commands; queries and formatting.
 *
 * Ordering rule for moves negotiated with the mate: the side giving a group
 * up changes state first (become_standby runs in fo_set_state), then sends
 * RELEASED; the taker starts the active path only on RELEASED.  Every
 * message carries the sender's snapshot, so the taker's view of the mate is
 * already "standby" when it goes active.  Typed messages are handled before
 * the snapshot is re-evaluated, so a RELEASED from a mate whose group just
 * Failed is taken as "Other unit wants me Active", not "No Active unit".
 */
#include "failover/fo_fsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/sys_log.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Unit-scope events concern the whole unit: they ignore the group argument
 * and reach every group after the unit's own bookkeeping. */
static const bool event_unit_scope[] = {
	[FO_EV_ENABLE] = true,
	[FO_EV_DISABLE] = true,
	[FO_EV_NEGOTIATION_EXPIRED] = true,
	[FO_EV_LINK_DOWN] = true,
	[FO_EV_LINK_UP] = true,
	[FO_EV_MATE_UPDATE] = true,
	[FO_EV_HOLD_EXPIRED] = true,
	[FO_EV_MATE_ALIVE_ON_DATA] = true,
	[FO_EV_MATE_DEAD] = true,
	[FO_EV_MATE_REQUESTS_ACTIVE] = false,
	[FO_EV_MATE_RELEASED] = false,
	[FO_EV_MATE_DECLINED] = false,
	[FO_EV_CONFIG_RECEIVED] = true,
	[FO_EV_FILES_RECEIVED] = true,
	[FO_EV_BULK_RECEIVED] = false,
	[FO_EV_DRAINED] = false,
	[FO_EV_CONFIG_APPLIED] = false,
	[FO_EV_APPLY_FAILED] = false,
	[FO_EV_IF_FAILED] = false,
	[FO_EV_IF_OK] = false,
	[FO_EV_CMD_ACTIVE] = false,
	[FO_EV_CMD_STANDBY] = false,
	[FO_EV_CMD_RESET] = false,
	[FO_EV_PREEMPT_TIMER] = false,
	[FO_EV_REQUEST_TIMEOUT] = false,
	[FO_EV_STATE_LINK_DOWN] = true,
	[FO_EV_STATE_LINK_UP] = true,
};
_Static_assert(ARRAY_LEN(event_unit_scope) == FO_EV_MAX, "event_unit_scope");

/* What this unit knows of the mate's copy of one group. */
struct mate_group {
	enum fo_state state;
	enum fo_reason failure_reason;
	time_t failed_at;       /* our wall clock when we saw it fail */
	uint32_t faults;
	uint32_t active_s;
};

struct group {
	unsigned id;                 /* 1..FO_GROUP_COUNT */
	enum fo_state state;
	enum fo_role preferred;
	bool preempt;
	uint32_t preempt_delay_s;
	bool preempt_armed;
	uint32_t faults;             /* enum fo_fault bits */
	uint64_t active_ms;          /* closed Active periods */
	uint64_t active_since_ms;    /* valid while state == Active */
	time_t last_failover;
	enum fo_reason last_failure;
	time_t last_failure_at;
	bool request_pending;        /* REQUEST_ACTIVE sent, no answer yet */
	enum fo_reason request_reason;
	struct mate_group mate;
};

struct fo_fsm {
	struct fo_fsm_ops ops;
	void *ctx;
	enum fo_role role;
	bool enabled;
	uint32_t poll_ms, hold_ms, negotiation_ms;
	char link_name[32];

	/* Mate, as learnt from its messages. */
	bool mate_heard;        /* ever */
	bool mate_present;      /* heard within holdtime, not declared dead */
	bool mate_testing;      /* holdtime over, data-interface test running */
	bool mate_enabled;
	bool mate_config_synced;
	enum fo_role mate_role;

	bool link_failed;       /* failover interface marked failed */
	bool link_down;         /* carrier, as told by the caller */
	bool state_stale;       /* stateful link down */
	bool config_synced, files_synced, config_requested;
	bool config_source;     /* our config is the pair's (not received) */
	bool hello_dirty;       /* snapshot changed since the last message */

	struct group groups[FO_GROUP_COUNT];
	struct fo_transition history[FO_HISTORY_MAX];
	unsigned history_next, history_count;
	uint64_t drops[FO_DROP_MAX];
};

static void group_input(struct fo_fsm *f, struct group *g, enum fo_event ev);

bool fo_fsm_is_active_state(enum fo_state s)
{
	return s >= FO_ST_JUST_ACTIVE && s <= FO_ST_ACTIVE;
}

/* ------------------------------------------------------------- plumbing */

static uint64_t now_ms(const struct fo_fsm *f)
{
	return f->ops.now_ms(f->ctx);
}

static time_t wall(const struct fo_fsm *f)
{
	return f->ops.wall_time ? f->ops.wall_time(f->ctx) : time(NULL);
}

static const char *me(const struct fo_fsm *f)
{
	return fo_role_name(f->role);
}

static struct group *group_of(struct fo_fsm *f, unsigned id)
{
	return id >= 1 && id <= FO_GROUP_COUNT ? &f->groups[id - 1] : NULL;
}

static const struct group *cgroup_of(const struct fo_fsm *f, unsigned id)
{
	return id >= 1 && id <= FO_GROUP_COUNT ? &f->groups[id - 1] : NULL;
}

static uint32_t active_s(const struct fo_fsm *f, const struct group *g)
{
	uint64_t ms = g->active_ms;
	if (g->state == FO_ST_ACTIVE)
		ms += now_ms(f) - g->active_since_ms;
	return (uint32_t)(ms / 1000);
}

static void fill_snapshot(const struct fo_fsm *f, struct fo_msg *m)
{
	m->role = (uint8_t)f->role;
	m->enabled = f->enabled;
	m->config_synced = f->config_synced;
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++) {
		const struct group *g = &f->groups[i];
		m->groups[i].state = (uint8_t)g->state;
		m->groups[i].failure_reason = (uint8_t)g->last_failure;
		m->groups[i].faults = g->faults;
		m->groups[i].active_s = active_s(f, g);
	}
}

static void send_msg(struct fo_fsm *f, enum fo_msg_type type, unsigned group,
		     enum fo_reason reason)
{
	struct fo_msg m;

	memset(&m, 0, sizeof m);
	m.type = (uint8_t)type;
	m.group = (uint8_t)group;
	m.reason = (uint8_t)reason;
	fill_snapshot(f, &m);
	/* The snapshot just sent is current: no separate hello needed. */
	f->hello_dirty = false;
	f->ops.send_to_mate(f->ctx, &m);
}

static void flush_hello(struct fo_fsm *f)
{
	if (f->hello_dirty)
		send_msg(f, FO_MSG_HELLO, 0, FO_R_NONE);
}

void fo_fsm_send_hello(struct fo_fsm *f)
{
	if (f->enabled || f->mate_present)
		send_msg(f, FO_MSG_HELLO, 0, FO_R_NONE);
}

void fo_fsm_mate_heard(struct fo_fsm *f)
{
	/* Not while testing: only the data-interface test (or a HELLO)
	 * decides then. */
	if (f->enabled && f->mate_present && !f->mate_testing)
		f->ops.timer_arm(f->ctx, FO_TIMER_HOLD, 0, f->hold_ms);
}

/* Messages reach the mate and it can act on them. */
static bool mate_reachable(const struct fo_fsm *f)
{
	return f->mate_present && !f->mate_testing && !f->link_failed;
}

/* Automatic moves: both units run failover (`no failover` stops them). */
static bool auto_allowed(const struct fo_fsm *f)
{
	return f->enabled && (!f->mate_present || f->mate_enabled);
}

static void record(struct fo_fsm *f, const struct fo_transition *t)
{
	f->history[f->history_next] = *t;
	f->history_next = (f->history_next + 1) % FO_HISTORY_MAX;
	if (f->history_count < FO_HISTORY_MAX)
		f->history_count++;
}

static void request_config_once(struct fo_fsm *f)
{
	if (f->config_synced || f->config_requested)
		return;
	f->config_requested = true;
	mlog(MSG_920008, "(%s) Requesting running configuration from mate",
	     me(f));
	if (f->ops.request_config_sync)
		f->ops.request_config_sync(f->ctx);
}

/* This unit's configuration is the pair's: it goes active without a mate,
 * or it is the primary of a simultaneous boot. */
static void become_config_source(struct fo_fsm *f)
{
	if (f->config_synced)
		return;
	f->config_synced = f->files_synced = true;
	f->config_source = true;
}

static void cancel_preempt(struct fo_fsm *f, struct group *g)
{
	if (!g->preempt_armed)
		return;
	g->preempt_armed = false;
	f->ops.timer_cancel(f->ctx, FO_TIMER_PREEMPT, g->id);
}

static void clear_request(struct fo_fsm *f, struct group *g)
{
	if (!g->request_pending)
		return;
	g->request_pending = false;
	f->ops.timer_cancel(f->ctx, FO_TIMER_REQUEST, g->id);
}

/* --------------------------------------------------- the one assignment */

static void set_failed_fault(struct fo_fsm *f, struct group *g);
static void preempt_check(struct fo_fsm *f, struct group *g);

/*
 * The only place g->state changes.  Exit actions, then the assignment,
 * history and logs, then entry actions; entry actions of transient states
 * (Just Active, Active Config Applied, and the sync steps whose data is
 * already here) chain on with the same reason, as ASA's history shows.
 */
static void fo_set_state(struct fo_fsm *f, struct group *g, enum fo_state to,
			 enum fo_reason why)
{
	enum fo_state from = g->state;
	struct fo_transition t;
	int rc;

	if (from == to)
		return;

	/* exit */
	if (from == FO_ST_ACTIVE)
		g->active_ms += now_ms(f) - g->active_since_ms;
	if (from == FO_ST_STANDBY_READY) {
		cancel_preempt(f, g);
		clear_request(f, g);
	}

	g->state = to;
	f->hello_dirty = true;

	t.when = wall(f);
	t.group = g->id;
	t.from = from;
	t.to = to;
	t.reason = why;
	record(f, &t);
	mlog(MSG_920001, "(%s) Group %u: %s -> %s (%s)", me(f), g->id,
	     fo_state_name(from), fo_state_name(to), fo_reason_text(why));
	if (to == FO_ST_JUST_ACTIVE)
		mlog(MSG_104001, "(%s) Switching to ACTIVE - Group %u: %s",
		     me(f), g->id, fo_reason_text(why));
	else if (to == FO_ST_FAILED)
		mlog(MSG_104003, "(%s) Switching to FAILED - Group %u: %s",
		     me(f), g->id, fo_reason_text(why));
	else if (to == FO_ST_COLD_STANDBY ||
		 (to == FO_ST_STANDBY_READY && fo_fsm_is_active_state(from)))
		mlog(MSG_104002, "(%s) Switching to STANDBY - Group %u: %s",
		     me(f), g->id, fo_reason_text(why));
	if (from == FO_ST_FAILED)
		mlog(MSG_104004, "(%s) Switching to OK - Group %u: %s", me(f),
		     g->id, fo_reason_text(why));
	if (f->ops.transition)
		f->ops.transition(f->ctx, &t);

	/* entry */
	switch (to) {
	case FO_ST_DISABLED:
	case FO_ST_NEGOTIATION:
		break;
	case FO_ST_COLD_STANDBY:
		f->ops.become_standby(f->ctx, g->id);
		if (g->mate.state == FO_ST_ACTIVE)
			fo_set_state(f, g, FO_ST_SYNC_CONFIG, why);
		break;
	case FO_ST_SYNC_CONFIG:
		if (f->config_synced)
			fo_set_state(f, g, FO_ST_SYNC_FILE_SYSTEM, why);
		else
			request_config_once(f);
		break;
	case FO_ST_SYNC_FILE_SYSTEM:
		if (f->files_synced)
			fo_set_state(f, g, FO_ST_BULK_SYNC, why);
		break;
	case FO_ST_BULK_SYNC:
		if (f->ops.request_bulk_sync)
			f->ops.request_bulk_sync(f->ctx, g->id);
		else
			fo_set_state(f, g, FO_ST_STANDBY_READY, why);
		break;
	case FO_ST_STANDBY_READY:
		if (fo_fsm_is_active_state(from))
			f->ops.become_standby(f->ctx, g->id);
		preempt_check(f, g);
		break;
	case FO_ST_JUST_ACTIVE:
		g->last_failover = t.when;
		fo_set_state(f, g, FO_ST_ACTIVE_DRAIN, why);
		break;
	case FO_ST_ACTIVE_DRAIN:
		rc = f->ops.drain ? f->ops.drain(f->ctx, g->id) : FO_OP_DONE;
		if (rc != FO_OP_PENDING)
			fo_set_state(f, g, FO_ST_ACTIVE_APPLYING_CONFIG, why);
		break;
	case FO_ST_ACTIVE_APPLYING_CONFIG:
		rc = f->ops.become_active(f->ctx, g->id);
		if (rc < 0)
			set_failed_fault(f, g);
		else if (rc != FO_OP_PENDING)
			fo_set_state(f, g, FO_ST_ACTIVE_CONFIG_APPLIED, why);
		break;
	case FO_ST_ACTIVE_CONFIG_APPLIED:
		fo_set_state(f, g, FO_ST_ACTIVE, why);
		break;
	case FO_ST_ACTIVE:
		g->active_since_ms = now_ms(f);
		break;
	case FO_ST_FAILED:
		g->last_failure = why;
		g->last_failure_at = t.when;
		if (fo_fsm_is_active_state(from))
			f->ops.become_standby(f->ctx, g->id);
		break;
	case FO_ST_MAX:
		break;
	}
}

/* ------------------------------------------------------------ decisions */

static void go_active(struct fo_fsm *f, struct group *g, enum fo_reason why)
{
	become_config_source(f);
	fo_set_state(f, g, FO_ST_JUST_ACTIVE, why);
}

/* Give the group up (become_standby runs first), then tell the mate. */
static void release(struct fo_fsm *f, struct group *g, enum fo_state to,
		    enum fo_reason why, enum fo_reason told)
{
	fo_set_state(f, g, to, why);
	send_msg(f, FO_MSG_RELEASED, g->id, told);
}

static void decline(struct fo_fsm *f, struct group *g)
{
	send_msg(f, FO_MSG_DECLINED, g->id, FO_R_STATE_CHECK);
}

static void send_request(struct fo_fsm *f, struct group *g, enum fo_reason why)
{
	g->request_pending = true;
	g->request_reason = why;
	f->ops.timer_arm(f->ctx, FO_TIMER_REQUEST, g->id, f->hold_ms);
	send_msg(f, FO_MSG_REQUEST_ACTIVE, g->id, why);
}

/* Seen from a standby copy: the mate holds the group in a state from which
 * nobody will make it active (it restarted, or its copy failed). */
static bool mate_abandoned(const struct fo_fsm *f, const struct group *g)
{
	enum fo_state m = g->mate.state;

	return f->mate_present && (m == FO_ST_NEGOTIATION ||
				   m == FO_ST_DISABLED || m == FO_ST_FAILED);
}

/* Entered when the become_active op fails: a latched fault. */
static void set_failed_fault(struct fo_fsm *f, struct group *g)
{
	g->faults |= FO_FAULT_APPLY;
	fo_set_state(f, g, FO_ST_FAILED, FO_R_APPLY_FAILED);
	if (mate_reachable(f))
		send_msg(f, FO_MSG_RELEASED, g->id, FO_R_APPLY_FAILED);
}

/* Negotiation: decide from the mate's copy of the group. */
static void negotiate(struct fo_fsm *f, struct group *g)
{
	enum fo_state m = g->mate.state;

	if (!f->enabled || !f->mate_present)
		return;  /* alone: the negotiation timer decides */
	if (fo_fsm_is_active_state(m)) {
		fo_set_state(f, g, FO_ST_COLD_STANDBY, FO_R_MATE_ACTIVE);
		return;
	}
	/* The mate will not make it active: it runs no failover, never
	 * enabled it, or its copy failed. */
	if (!f->mate_enabled || m == FO_ST_DISABLED || m == FO_ST_FAILED) {
		go_active(f, g, FO_R_NO_ACTIVE);
		return;
	}
	if (m != FO_ST_NEGOTIATION)
		return;  /* mate's standby copy will take it */
	/* Both booting: the primary's configuration wins; each group goes
	 * active on its preferred unit once that unit has the config. */
	if (f->role == FO_ROLE_PRIMARY)
		become_config_source(f);
	else if (!f->config_synced) {
		request_config_once(f);
		return;
	}
	if (g->preferred == f->role)
		go_active(f, g, FO_R_NO_ACTIVE);
}

static bool preempt_due(const struct fo_fsm *f, const struct group *g)
{
	return g->state == FO_ST_STANDBY_READY && g->preempt &&
	       g->preferred == f->role && auto_allowed(f) &&
	       mate_reachable(f) && g->mate.state == FO_ST_ACTIVE &&
	       !g->request_pending;
}

static void preempt_check(struct fo_fsm *f, struct group *g)
{
	if (!preempt_due(f, g)) {
		cancel_preempt(f, g);
		return;
	}
	if (g->preempt_armed)
		return;
	g->preempt_armed = true;
	mlog(MSG_920006, "(%s) Group %u: preempt in %u seconds", me(f), g->id,
	     g->preempt_delay_s);
	f->ops.timer_arm(f->ctx, FO_TIMER_PREEMPT, g->id,
			 (uint64_t)g->preempt_delay_s * 1000);
}

/* An Active group with faults moves only if the mate's copy can take it;
 * a Failed standby copy keeps the active one where it is. */
static void failover_check(struct fo_fsm *f, struct group *g)
{
	if (g->state != FO_ST_ACTIVE || !g->faults || !auto_allowed(f) ||
	    !mate_reachable(f) || g->mate.state != FO_ST_STANDBY_READY)
		return;
	release(f, g, FO_ST_FAILED,
		(g->faults & FO_FAULT_IFC) ? FO_R_IFC : FO_R_APPLY_FAILED,
		FO_R_MATE_WANTS_ACTIVE);
}

/* A group that is active on both units (the failover link was down): the
 * secondary yields and takes the primary's configuration again. */
static bool dual_active_yield(struct fo_fsm *f, struct group *g)
{
	if (!fo_fsm_is_active_state(g->mate.state) || !f->mate_present ||
	    f->role != FO_ROLE_SECONDARY || !f->enabled)
		return false;
	mlog(MSG_920007, "(%s) Group %u is active on both units; yielding",
	     me(f), g->id);
	if (f->config_synced) {  /* once for the unit, not per group */
		f->config_synced = f->files_synced = false;
		f->config_requested = false;
		f->config_source = false;
	}
	fo_set_state(f, g, FO_ST_COLD_STANDBY, FO_R_MATE_ACTIVE);
	return true;
}

/* faults reached zero: Failed is left for the standby path when the mate
 * holds the group, else this unit takes it. */
static void leave_failed(struct fo_fsm *f, struct group *g, enum fo_reason why)
{
	if (g->faults)
		return;
	if (f->mate_present && fo_fsm_is_active_state(g->mate.state))
		fo_set_state(f, g, FO_ST_BULK_SYNC, why);
	else
		go_active(f, g, FO_R_NO_ACTIVE);
}

/* ------------------------------------------------- per-state handlers */

static void st_disabled(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_ENABLE:
		fo_set_state(f, g, FO_ST_NEGOTIATION, FO_R_CONFIG);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
	case FO_EV_MATE_RELEASED:
		decline(f, g);
		break;
	default:
		break;
	}
}

static void st_negotiation(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_ENABLE:
	case FO_EV_MATE_UPDATE:
	case FO_EV_CONFIG_RECEIVED:
	case FO_EV_FILES_RECEIVED:
		negotiate(f, g);
		break;
	case FO_EV_NEGOTIATION_EXPIRED:
		if (!f->enabled)
			break;
		if (!f->mate_present)
			go_active(f, g, FO_R_NO_ACTIVE);
		else
			negotiate(f, g);
		break;
	case FO_EV_LINK_DOWN:
		if (f->enabled)
			go_active(f, g, FO_R_LINK_DOWN_STARTUP);
		break;
	case FO_EV_MATE_DEAD:
		if (f->enabled)
			go_active(f, g, FO_R_HELLO_LOST);
		break;
	case FO_EV_CMD_ACTIVE:
		go_active(f, g, FO_R_CONFIG);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
	case FO_EV_MATE_RELEASED:
		decline(f, g);
		break;
	default:
		break;
	}
}

/* Cold Standby, Sync Config, Sync File System, Bulk Sync. */
/* The mate was declared dead (while `no failover` held every group). */
static bool mate_lost(const struct fo_fsm *f)
{
	return f->mate_heard && !f->mate_present;
}

static void st_syncing(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_ENABLE:
		if (mate_lost(f))
			go_active(f, g, FO_R_HELLO_LOST);
		break;
	case FO_EV_MATE_UPDATE:
		if (auto_allowed(f) && mate_abandoned(f, g))
			go_active(f, g, FO_R_NO_ACTIVE);
		else if (g->state == FO_ST_COLD_STANDBY &&
			 g->mate.state == FO_ST_ACTIVE)
			fo_set_state(f, g, FO_ST_SYNC_CONFIG, FO_R_MATE_ACTIVE);
		break;
	case FO_EV_MATE_DEAD:
		if (f->enabled)
			go_active(f, g, FO_R_HELLO_LOST);
		break;
	case FO_EV_CONFIG_RECEIVED:
		if (g->state == FO_ST_SYNC_CONFIG)
			fo_set_state(f, g, FO_ST_SYNC_FILE_SYSTEM,
				     FO_R_MATE_ACTIVE);
		break;
	case FO_EV_FILES_RECEIVED:
		if (g->state == FO_ST_SYNC_FILE_SYSTEM)
			fo_set_state(f, g, FO_ST_BULK_SYNC, FO_R_MATE_ACTIVE);
		break;
	case FO_EV_BULK_RECEIVED:
		if (g->state == FO_ST_BULK_SYNC)
			fo_set_state(f, g, FO_ST_STANDBY_READY,
				     FO_R_MATE_ACTIVE);
		break;
	case FO_EV_IF_FAILED:
		fo_set_state(f, g, FO_ST_FAILED, FO_R_IFC);
		break;
	case FO_EV_CMD_ACTIVE:
		go_active(f, g, FO_R_CONFIG);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
	case FO_EV_MATE_RELEASED:
		decline(f, g);
		break;
	default:
		break;
	}
}

static void st_standby_ready(struct fo_fsm *f, struct group *g,
			     enum fo_event ev)
{
	switch (ev) {
	case FO_EV_MATE_UPDATE:
		if (auto_allowed(f) && mate_abandoned(f, g))
			go_active(f, g, FO_R_NO_ACTIVE);
		else
			preempt_check(f, g);
		break;
	case FO_EV_ENABLE:
		if (mate_lost(f))
			go_active(f, g, FO_R_HELLO_LOST);
		else
			preempt_check(f, g);
		break;
	case FO_EV_DISABLE:
		preempt_check(f, g);
		break;
	case FO_EV_MATE_DEAD:
		if (f->enabled)
			go_active(f, g, FO_R_HELLO_LOST);
		break;
	case FO_EV_MATE_RELEASED:
		/* Forced moves are honoured even with failover disabled. */
		go_active(f, g, g->request_pending ? g->request_reason
						   : FO_R_MATE_WANTS_ACTIVE);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
		decline(f, g);
		break;
	case FO_EV_MATE_DECLINED:
		if (g->request_pending) {
			mlog(MSG_920003,
			     "(%s) Group %u: mate declined to release it",
			     me(f), g->id);
			clear_request(f, g);
		}
		/* Nobody holds it (our release crossed a change on the
		 * mate): take it back rather than leave it down. */
		if (!fo_fsm_is_active_state(g->mate.state))
			go_active(f, g, FO_R_STATE_CHECK);
		break;
	case FO_EV_IF_FAILED:
		fo_set_state(f, g, FO_ST_FAILED, FO_R_IFC);
		break;
	case FO_EV_CMD_ACTIVE:
		if (mate_reachable(f))
			send_request(f, g, FO_R_CONFIG);
		else
			go_active(f, g, FO_R_CONFIG);
		break;
	case FO_EV_PREEMPT_TIMER:
		g->preempt_armed = false;
		if (preempt_due(f, g))
			send_request(f, g, FO_R_PREEMPT);
		break;
	case FO_EV_REQUEST_TIMEOUT:
		if (g->request_pending) {
			mlog(MSG_920003,
			     "(%s) Group %u: mate did not answer our request",
			     me(f), g->id);
			g->request_pending = false;
		}
		preempt_check(f, g);
		break;
	default:
		break;
	}
}

/* Just Active .. Active. */
static void st_active_path(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_DRAINED:
		if (g->state == FO_ST_ACTIVE_DRAIN)
			fo_set_state(f, g, FO_ST_ACTIVE_APPLYING_CONFIG,
				     FO_R_NONE);
		break;
	case FO_EV_CONFIG_APPLIED:
		if (g->state == FO_ST_ACTIVE_APPLYING_CONFIG)
			fo_set_state(f, g, FO_ST_ACTIVE_CONFIG_APPLIED,
				     FO_R_NONE);
		break;
	case FO_EV_APPLY_FAILED:
		if (g->state == FO_ST_ACTIVE_APPLYING_CONFIG)
			set_failed_fault(f, g);
		break;
	case FO_EV_MATE_UPDATE:
		if (!dual_active_yield(f, g))
			failover_check(f, g);
		break;
	case FO_EV_ENABLE:
	case FO_EV_IF_FAILED:
		failover_check(f, g);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
		if (g->state == FO_ST_ACTIVE)
			release(f, g, FO_ST_STANDBY_READY,
				FO_R_MATE_WANTS_STANDBY,
				FO_R_MATE_WANTS_ACTIVE);
		else
			decline(f, g);
		break;
	case FO_EV_CMD_STANDBY:
		if (g->state == FO_ST_ACTIVE)
			release(f, g, FO_ST_STANDBY_READY, FO_R_CONFIG,
				FO_R_MATE_WANTS_ACTIVE);
		break;
	default:
		break;
	}
}

static void st_failed(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_IF_OK:
		leave_failed(f, g, FO_R_IFC);
		break;
	case FO_EV_CMD_RESET:
		leave_failed(f, g, FO_R_CONFIG);
		break;
	case FO_EV_MATE_REQUESTS_ACTIVE:
	case FO_EV_MATE_RELEASED:
		decline(f, g);
		break;
	case FO_EV_MATE_DECLINED:
		/* We released on an interface failure but the mate's copy
		 * could not take it: as when the standby copy is Failed, the
		 * active group stays where it is (faults kept). */
		if (!(g->faults & ~(uint32_t)FO_FAULT_IFC) &&
		    !fo_fsm_is_active_state(g->mate.state))
			go_active(f, g, FO_R_STATE_CHECK);
		break;
	default:
		break;
	}
}

static void group_input(struct fo_fsm *f, struct group *g, enum fo_event ev)
{
	/* Fault bookkeeping is the same in every state. */
	if (ev == FO_EV_IF_FAILED)
		g->faults |= FO_FAULT_IFC;
	else if (ev == FO_EV_IF_OK)
		g->faults &= ~(uint32_t)FO_FAULT_IFC;
	else if (ev == FO_EV_CMD_RESET)
		g->faults = 0;

	switch (g->state) {
	case FO_ST_DISABLED:
		st_disabled(f, g, ev);
		break;
	case FO_ST_NEGOTIATION:
		st_negotiation(f, g, ev);
		break;
	case FO_ST_COLD_STANDBY:
	case FO_ST_SYNC_CONFIG:
	case FO_ST_SYNC_FILE_SYSTEM:
	case FO_ST_BULK_SYNC:
		st_syncing(f, g, ev);
		break;
	case FO_ST_STANDBY_READY:
		st_standby_ready(f, g, ev);
		break;
	case FO_ST_JUST_ACTIVE:
	case FO_ST_ACTIVE_DRAIN:
	case FO_ST_ACTIVE_APPLYING_CONFIG:
	case FO_ST_ACTIVE_CONFIG_APPLIED:
	case FO_ST_ACTIVE:
		st_active_path(f, g, ev);
		break;
	case FO_ST_FAILED:
		st_failed(f, g, ev);
		break;
	case FO_ST_MAX:
		break;
	}
}

/* ------------------------------------------------- unit-level prelude */

static void mate_declared_dead(struct fo_fsm *f)
{
	time_t t = wall(f);

	f->mate_present = false;
	f->mate_testing = false;
	f->config_requested = false;
	mlog(MSG_103001, "(%s) No response from other firewall (reason code = 1).",
	     me(f));
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++) {
		struct mate_group *m = &f->groups[i].mate;
		m->state = FO_ST_FAILED;
		m->failure_reason = FO_R_COMM_FAILURE;
		m->failed_at = t;
		m->active_s = 0;
	}
}

static void mark_link_failed(struct fo_fsm *f)
{
	if (f->link_failed)
		return;
	f->link_failed = true;
	mlog(MSG_105043, "(%s) Failover interface failed", me(f));
}

static bool any_group_in(const struct fo_fsm *f, enum fo_state s)
{
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++)
		if (f->groups[i].state == s)
			return true;
	return false;
}

/* Returns false when the event is to stop here (nothing for the groups). */
static bool unit_prelude(struct fo_fsm *f, enum fo_event ev)
{
	switch (ev) {
	case FO_EV_ENABLE:
		if (!f->enabled)
			mlog(MSG_920009, "(%s) Failover enabled", me(f));
		f->enabled = true;
		f->hello_dirty = true;
		f->ops.timer_arm(f->ctx, FO_TIMER_POLL, 0, f->poll_ms);
		f->ops.timer_arm(f->ctx, FO_TIMER_HOLD, 0, f->hold_ms);
		if (any_group_in(f, FO_ST_DISABLED))
			f->ops.timer_arm(f->ctx, FO_TIMER_NEGOTIATION, 0,
					 f->negotiation_ms);
		return true;
	case FO_EV_DISABLE:
		if (f->enabled)
			mlog(MSG_920009, "(%s) Failover disabled", me(f));
		f->enabled = false;
		f->hello_dirty = true;
		f->ops.timer_cancel(f->ctx, FO_TIMER_NEGOTIATION, 0);
		return true;
	case FO_EV_NEGOTIATION_EXPIRED:
		return true;
	case FO_EV_LINK_DOWN:
		/* Marked failed; in operation that moves nothing (groups in
		 * Negotiation go active: link down at startup). */
		f->link_down = true;
		mark_link_failed(f);
		return true;
	case FO_EV_LINK_UP:
		f->link_down = false;
		return true;
	case FO_EV_HOLD_EXPIRED:
		if (!f->mate_present || f->mate_testing)
			return false;
		mlog(MSG_105005,
		     "(%s) Lost Failover communications with mate on interface %s",
		     me(f), f->link_name);
		f->mate_testing = true;
		if (f->ops.test_mate_on_data_interfaces) {
			f->ops.test_mate_on_data_interfaces(f->ctx);
			return false;
		}
		mate_declared_dead(f);
		for (unsigned i = 0; i < FO_GROUP_COUNT; i++)
			group_input(f, &f->groups[i], FO_EV_MATE_DEAD);
		return false;
	case FO_EV_MATE_ALIVE_ON_DATA:
		if (!f->mate_testing)
			return false;
		f->mate_testing = false;
		mark_link_failed(f);
		/* Keep testing every holdtime while the link stays down. */
		f->ops.timer_arm(f->ctx, FO_TIMER_HOLD, 0, f->hold_ms);
		return false;
	case FO_EV_MATE_DEAD:
		if (!f->mate_present)
			return false;  /* stale answer */
		mate_declared_dead(f);
		return true;
	case FO_EV_CONFIG_RECEIVED:
		f->config_synced = true;
		f->config_requested = false;
		f->hello_dirty = true;
		return true;
	case FO_EV_FILES_RECEIVED:
		f->files_synced = true;
		return true;
	case FO_EV_STATE_LINK_DOWN:
	case FO_EV_STATE_LINK_UP:
		if (f->state_stale != (ev == FO_EV_STATE_LINK_DOWN))
			mlog(MSG_920005, "(%s) Stateful failover link %s", me(f),
			     ev == FO_EV_STATE_LINK_DOWN ? "down: state is stale"
							 : "up");
		f->state_stale = ev == FO_EV_STATE_LINK_DOWN;
		return false;
	case FO_EV_MATE_UPDATE:
		return true;
	default:
		return true;
	}
}

static void dispatch(struct fo_fsm *f, unsigned group, enum fo_event ev)
{
	if (event_unit_scope[ev]) {
		if (!unit_prelude(f, ev))
			return;
		group = FO_GROUP_ALL;
	}
	if (group == FO_GROUP_ALL) {
		for (unsigned i = 0; i < FO_GROUP_COUNT; i++)
			group_input(f, &f->groups[i], ev);
	} else {
		group_input(f, group_of(f, group), ev);
	}
	if (ev == FO_EV_NEGOTIATION_EXPIRED &&
	    any_group_in(f, FO_ST_NEGOTIATION) && f->enabled)
		f->ops.timer_arm(f->ctx, FO_TIMER_NEGOTIATION, 0,
				 f->negotiation_ms);
}

int fo_fsm_input(struct fo_fsm *f, unsigned group, enum fo_event ev)
{
	if ((unsigned)ev >= FO_EV_MAX || group > FO_GROUP_COUNT)
		return -EINVAL;
	dispatch(f, group, ev);
	flush_hello(f);
	return 0;
}

int fo_fsm_timer_fired(struct fo_fsm *f, enum fo_timer t, unsigned group)
{
	if ((unsigned)t >= FO_TIMER_MAX || group > FO_GROUP_COUNT)
		return -EINVAL;
	switch (t) {
	case FO_TIMER_POLL:
		f->hello_dirty = true;
		f->ops.timer_arm(f->ctx, FO_TIMER_POLL, 0, f->poll_ms);
		break;
	case FO_TIMER_HOLD:
		dispatch(f, 0, FO_EV_HOLD_EXPIRED);
		break;
	case FO_TIMER_NEGOTIATION:
		dispatch(f, 0, FO_EV_NEGOTIATION_EXPIRED);
		break;
	case FO_TIMER_PREEMPT:
		if (group == FO_GROUP_ALL)
			return -EINVAL;
		dispatch(f, group, FO_EV_PREEMPT_TIMER);
		break;
	case FO_TIMER_REQUEST:
		if (group == FO_GROUP_ALL)
			return -EINVAL;
		dispatch(f, group, FO_EV_REQUEST_TIMEOUT);
		break;
	case FO_TIMER_MAX:
		break;
	}
	flush_hello(f);
	return 0;
}

/* ------------------------------------------------------------- messages */

static int drop(struct fo_fsm *f, enum fo_drop why, const struct fo_msg *m)
{
	f->drops[why]++;
	mlog(MSG_920002, "(%s) Dropped failover message %s from mate: %s",
	     me(f), fo_msg_type_name(m->type), fo_drop_name(why));
	return -EPROTO;
}

static int check_msg(struct fo_fsm *f, const struct fo_msg *m)
{
	if (m->type >= FO_MSG_MAX)
		return drop(f, FO_DROP_TYPE, m);
	if (m->role >= FO_ROLE_MAX)
		return drop(f, FO_DROP_ROLE, m);
	if (m->role == f->role)
		return drop(f, FO_DROP_SAME_ROLE, m);
	if (m->type == FO_MSG_HELLO ? m->group != 0
				    : (m->group < 1 || m->group > FO_GROUP_COUNT))
		return drop(f, FO_DROP_GROUP, m);
	if (m->reason >= FO_R_MAX)
		return drop(f, FO_DROP_REASON, m);
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++)
		if (m->groups[i].state >= FO_ST_MAX ||
		    m->groups[i].failure_reason >= FO_R_MAX)
			return drop(f, FO_DROP_STATE, m);
	return 0;
}

static void learn_mate(struct fo_fsm *f, const struct fo_msg *m)
{
	time_t t = wall(f);

	if (!f->mate_present)
		mlog(MSG_920004, "(%s) Detected mate (%s)%s", me(f),
		     fo_role_name(m->role),
		     f->mate_heard ? ": communications resumed" : "");
	if (f->link_failed) {
		f->link_failed = false;
		mlog(MSG_105042, "(%s) Failover interface OK", me(f));
	}
	f->mate_heard = f->mate_present = true;
	f->mate_testing = false;
	f->mate_enabled = m->enabled;
	f->mate_role = (enum fo_role)m->role;
	f->mate_config_synced = m->config_synced;
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++) {
		struct mate_group *mg = &f->groups[i].mate;
		enum fo_state s = (enum fo_state)m->groups[i].state;
		if (s == FO_ST_FAILED && mg->state != FO_ST_FAILED)
			mg->failed_at = t;
		mg->state = s;
		mg->failure_reason = (enum fo_reason)m->groups[i].failure_reason;
		mg->faults = m->groups[i].faults;
		mg->active_s = m->groups[i].active_s;
	}
	f->ops.timer_arm(f->ctx, FO_TIMER_HOLD, 0, f->hold_ms);
}

int fo_fsm_recv(struct fo_fsm *f, const struct fo_msg *m)
{
	int rc = check_msg(f, m);
	if (rc)
		return rc;
	learn_mate(f, m);
	switch ((enum fo_msg_type)m->type) {
	case FO_MSG_REQUEST_ACTIVE:
		dispatch(f, m->group, FO_EV_MATE_REQUESTS_ACTIVE);
		break;
	case FO_MSG_RELEASED:
		dispatch(f, m->group, FO_EV_MATE_RELEASED);
		break;
	case FO_MSG_DECLINED:
		dispatch(f, m->group, FO_EV_MATE_DECLINED);
		break;
	case FO_MSG_HELLO:
	case FO_MSG_MAX:
		break;
	}
	dispatch(f, 0, FO_EV_MATE_UPDATE);
	flush_hello(f);
	return 0;
}

/* ------------------------------------------------------------- commands */

typedef enum fo_cmd_result (*cmd_check_fn)(const struct fo_fsm *f,
					   const struct group *g);

static enum fo_cmd_result check_active(const struct fo_fsm *f,
				       const struct group *g)
{
	if (g->state == FO_ST_DISABLED)
		return FO_CMD_NOT_ENABLED;
	if (g->state == FO_ST_ACTIVE)
		return FO_CMD_ALREADY_ACTIVE;
	if (fo_fsm_is_active_state(g->state) || g->request_pending)
		return FO_CMD_IN_PROGRESS;
	if (g->state == FO_ST_FAILED)
		return FO_CMD_FAILED;
	if (mate_reachable(f) && g->state != FO_ST_STANDBY_READY)
		return FO_CMD_NOT_READY;
	return FO_CMD_OK;
}

static enum fo_cmd_result check_no_active(const struct fo_fsm *f,
					  const struct group *g)
{
	if (g->state == FO_ST_DISABLED)
		return FO_CMD_NOT_ENABLED;
	if (!fo_fsm_is_active_state(g->state))
		return FO_CMD_NOT_ACTIVE;
	if (g->state != FO_ST_ACTIVE)
		return FO_CMD_IN_PROGRESS;
	if (!mate_reachable(f) || g->mate.state != FO_ST_STANDBY_READY)
		return FO_CMD_MATE_NOT_READY;
	return FO_CMD_OK;
}

static enum fo_cmd_result check_reset(const struct fo_fsm *f,
				      const struct group *g)
{
	(void)f;
	return g->state == FO_ST_FAILED || g->faults ? FO_CMD_OK
						     : FO_CMD_NOT_FAILED;
}

/* Unit-level form: OK if any group accepted, else the first refusal that
 * is not "nothing to do". */
static enum fo_cmd_result run_cmd(struct fo_fsm *f, unsigned group,
				  cmd_check_fn check, enum fo_event ev,
				  enum fo_cmd_result nothing_to_do)
{
	enum fo_cmd_result res = FO_CMD_MAX, r;

	if (group > FO_GROUP_COUNT)
		return FO_CMD_BAD_GROUP;
	for (unsigned i = 1; i <= FO_GROUP_COUNT; i++) {
		struct group *g = group_of(f, i);
		if (group != FO_GROUP_ALL && group != i)
			continue;
		r = check(f, g);
		if (r == FO_CMD_OK)
			group_input(f, g, ev);
		if (res == FO_CMD_OK)
			continue;
		if (r == FO_CMD_OK || res == FO_CMD_MAX || res == nothing_to_do)
			res = r;
	}
	flush_hello(f);
	return res;
}

enum fo_cmd_result fo_fsm_cmd_active(struct fo_fsm *f, unsigned group)
{
	return run_cmd(f, group, check_active, FO_EV_CMD_ACTIVE,
		       FO_CMD_ALREADY_ACTIVE);
}

enum fo_cmd_result fo_fsm_cmd_no_active(struct fo_fsm *f, unsigned group)
{
	return run_cmd(f, group, check_no_active, FO_EV_CMD_STANDBY,
		       FO_CMD_NOT_ACTIVE);
}

enum fo_cmd_result fo_fsm_cmd_reset(struct fo_fsm *f, unsigned group)
{
	return run_cmd(f, group, check_reset, FO_EV_CMD_RESET,
		       FO_CMD_NOT_FAILED);
}

/* ------------------------------------------------- create / configure */

struct fo_fsm *fo_fsm_create(const struct fo_fsm_ops *ops, void *ctx)
{
	struct fo_fsm *f;

	if (!ops || !ops->now_ms || !ops->timer_arm || !ops->timer_cancel ||
	    !ops->send_to_mate || !ops->become_active || !ops->become_standby)
		return NULL;
	f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->ops = *ops;
	f->ctx = ctx;
	f->role = FO_ROLE_PRIMARY;
	f->poll_ms = 1000;
	f->hold_ms = 15000;
	f->negotiation_ms = f->hold_ms;
	snprintf(f->link_name, sizeof f->link_name, "failover");
	for (unsigned i = 0; i < FO_GROUP_COUNT; i++) {
		struct group *g = &f->groups[i];
		g->id = i + 1;
		g->state = FO_ST_DISABLED;
		g->preferred = i == 0 ? FO_ROLE_PRIMARY : FO_ROLE_SECONDARY;
		g->mate.state = FO_ST_MAX;  /* Not Detected */
	}
	return f;
}

void fo_fsm_destroy(struct fo_fsm *f)
{
	free(f);
}

int fo_fsm_set_role(struct fo_fsm *f, enum fo_role role)
{
	if ((unsigned)role >= FO_ROLE_MAX)
		return -EINVAL;
	f->role = role;
	return 0;
}

int fo_fsm_set_timers(struct fo_fsm *f, uint32_t poll_ms, uint32_t hold_ms)
{
	/* ASA: holdtime at least three polls. */
	if (poll_ms == 0 || hold_ms < 3 * (uint64_t)poll_ms)
		return -EINVAL;
	if (f->negotiation_ms == f->hold_ms)
		f->negotiation_ms = hold_ms;
	f->poll_ms = poll_ms;
	f->hold_ms = hold_ms;
	return 0;
}

int fo_fsm_set_negotiation_ms(struct fo_fsm *f, uint32_t window_ms)
{
	if (window_ms == 0)
		return -EINVAL;
	f->negotiation_ms = window_ms;
	return 0;
}

int fo_fsm_set_link_name(struct fo_fsm *f, const char *name)
{
	if (!name || !*name || strlen(name) >= sizeof f->link_name)
		return -EINVAL;
	snprintf(f->link_name, sizeof f->link_name, "%s", name);
	return 0;
}

int fo_fsm_set_preference(struct fo_fsm *f, unsigned group,
			  enum fo_role preferred)
{
	struct group *g = group_of(f, group);
	if (!g || (unsigned)preferred >= FO_ROLE_MAX)
		return -EINVAL;
	g->preferred = preferred;
	preempt_check(f, g);
	return 0;
}

int fo_fsm_set_preempt(struct fo_fsm *f, unsigned group, bool on,
		       uint32_t delay_s)
{
	struct group *g = group_of(f, group);
	if (!g || delay_s > 1200)  /* ASA: preempt delay 1..1200 s */
		return -EINVAL;
	g->preempt = on;
	g->preempt_delay_s = delay_s;
	cancel_preempt(f, g);
	preempt_check(f, g);
	return 0;
}

/* -------------------------------------------------------------- queries */

enum fo_role fo_fsm_role(const struct fo_fsm *f) { return f->role; }
bool fo_fsm_enabled(const struct fo_fsm *f) { return f->enabled; }
bool fo_fsm_mate_present(const struct fo_fsm *f) { return f->mate_present; }
bool fo_fsm_link_failed(const struct fo_fsm *f) { return f->link_failed; }
bool fo_fsm_state_stale(const struct fo_fsm *f) { return f->state_stale; }
bool fo_fsm_config_synced(const struct fo_fsm *f) { return f->config_synced; }

enum fo_state fo_fsm_state(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? g->state : FO_ST_MAX;
}

enum fo_state fo_fsm_mate_state(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g && f->mate_heard ? g->mate.state : FO_ST_MAX;
}

uint32_t fo_fsm_faults(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? g->faults : 0;
}

uint32_t fo_fsm_active_time_s(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? active_s(f, g) : 0;
}

uint32_t fo_fsm_mate_active_time_s(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g && f->mate_heard ? g->mate.active_s : 0;
}

time_t fo_fsm_last_failover(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? g->last_failover : 0;
}

enum fo_reason fo_fsm_last_failure(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? g->last_failure : FO_R_NONE;
}

time_t fo_fsm_last_failure_time(const struct fo_fsm *f, unsigned group)
{
	const struct group *g = cgroup_of(f, group);
	return g ? g->last_failure_at : 0;
}

enum fo_reason fo_fsm_mate_last_failure(const struct fo_fsm *f,
					unsigned group, time_t *at)
{
	const struct group *g = cgroup_of(f, group);

	if (!g || !f->mate_heard) {
		if (at)
			*at = 0;
		return FO_R_NONE;
	}
	if (at)
		*at = g->mate.failed_at;
	return g->mate.failure_reason;
}

enum fo_role fo_fsm_mate_role(const struct fo_fsm *f)
{
	return f->mate_heard ? f->mate_role : FO_ROLE_MAX;
}

bool fo_fsm_config_source(const struct fo_fsm *f) { return f->config_source; }

uint64_t fo_fsm_drops(const struct fo_fsm *f, enum fo_drop d)
{
	return (unsigned)d < FO_DROP_MAX ? f->drops[d] : 0;
}

unsigned fo_fsm_history_count(const struct fo_fsm *f)
{
	return f->history_count;
}

int fo_fsm_history_get(const struct fo_fsm *f, unsigned i,
		       struct fo_transition *out)
{
	unsigned first;

	if (i >= f->history_count)
		return -ENOENT;
	first = (f->history_next + FO_HISTORY_MAX - f->history_count) %
		FO_HISTORY_MAX;
	*out = f->history[(first + i) % FO_HISTORY_MAX];
	return 0;
}
