/*
 * fo_fsm_show: the FSM's words: name tables (each checked against its enum
 * by a static assert) and the text of `show failover`, `show failover
 * state` and `show failover history`, drawn through fo_fsm.h's queries
 * only.  Layouts follow ASA's output in the seed document.
 */
#include "failover/fo_fsm.h"

#include <stdio.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const state_names[] = {
	[FO_ST_DISABLED] = "Disabled",
	[FO_ST_NEGOTIATION] = "Negotiation",
	[FO_ST_COLD_STANDBY] = "Cold Standby",
	[FO_ST_SYNC_CONFIG] = "Sync Config",
	[FO_ST_SYNC_FILE_SYSTEM] = "Sync File System",
	[FO_ST_BULK_SYNC] = "Bulk Sync",
	[FO_ST_STANDBY_READY] = "Standby Ready",
	[FO_ST_JUST_ACTIVE] = "Just Active",
	[FO_ST_ACTIVE_DRAIN] = "Active Drain",
	[FO_ST_ACTIVE_APPLYING_CONFIG] = "Active Applying Config",
	[FO_ST_ACTIVE_CONFIG_APPLIED] = "Active Config Applied",
	[FO_ST_ACTIVE] = "Active",
	[FO_ST_FAILED] = "Failed",
};
_Static_assert(ARRAY_LEN(state_names) == FO_ST_MAX, "state_names");

static const char *const event_names[] = {
	[FO_EV_ENABLE] = "enable",
	[FO_EV_DISABLE] = "disable",
	[FO_EV_NEGOTIATION_EXPIRED] = "negotiation-expired",
	[FO_EV_LINK_DOWN] = "link-down",
	[FO_EV_LINK_UP] = "link-up",
	[FO_EV_MATE_UPDATE] = "mate-update",
	[FO_EV_HOLD_EXPIRED] = "hold-expired",
	[FO_EV_MATE_ALIVE_ON_DATA] = "mate-alive-on-data",
	[FO_EV_MATE_DEAD] = "mate-dead",
	[FO_EV_MATE_REQUESTS_ACTIVE] = "mate-requests-active",
	[FO_EV_MATE_RELEASED] = "mate-released",
	[FO_EV_MATE_DECLINED] = "mate-declined",
	[FO_EV_CONFIG_RECEIVED] = "config-received",
	[FO_EV_FILES_RECEIVED] = "files-received",
	[FO_EV_BULK_RECEIVED] = "bulk-received",
	[FO_EV_DRAINED] = "drained",
	[FO_EV_CONFIG_APPLIED] = "config-applied",
	[FO_EV_APPLY_FAILED] = "apply-failed",
	[FO_EV_IF_FAILED] = "if-failed",
	[FO_EV_IF_OK] = "if-ok",
	[FO_EV_CMD_ACTIVE] = "cmd-active",
	[FO_EV_CMD_STANDBY] = "cmd-standby",
	[FO_EV_CMD_RESET] = "cmd-reset",
	[FO_EV_PREEMPT_TIMER] = "preempt-timer",
	[FO_EV_REQUEST_TIMEOUT] = "request-timeout",
	[FO_EV_STATE_LINK_DOWN] = "state-link-down",
	[FO_EV_STATE_LINK_UP] = "state-link-up",
};
_Static_assert(ARRAY_LEN(event_names) == FO_EV_MAX, "event_names");

static const char *const reason_texts[] = {
	[FO_R_NONE] = "No Error",
	[FO_R_CONFIG] = "Set by the config command",
	[FO_R_NO_ACTIVE] = "No Active unit found",
	[FO_R_MATE_ACTIVE] = "Detected an Active mate",
	[FO_R_MATE_WANTS_STANDBY] = "Other unit wants me Standby",
	[FO_R_MATE_WANTS_ACTIVE] = "Other unit wants me Active",
	[FO_R_HELLO_LOST] = "HELLO not heard from mate",
	[FO_R_IFC] = "Interface check",
	[FO_R_STATE_CHECK] = "Failover state check",
	[FO_R_PREEMPT] = "Preempt",
	[FO_R_LINK_DOWN_STARTUP] = "Failover link down at startup",
	[FO_R_COMM_FAILURE] = "Comm Failure",
	[FO_R_APPLY_FAILED] = "Config apply failure",
};
_Static_assert(ARRAY_LEN(reason_texts) == FO_R_MAX, "reason_texts");

static const char *const role_names[] = {
	[FO_ROLE_PRIMARY] = "Primary",
	[FO_ROLE_SECONDARY] = "Secondary",
};
_Static_assert(ARRAY_LEN(role_names) == FO_ROLE_MAX, "role_names");

static const char *const timer_names[] = {
	[FO_TIMER_POLL] = "poll",
	[FO_TIMER_HOLD] = "hold",
	[FO_TIMER_NEGOTIATION] = "negotiation",
	[FO_TIMER_PREEMPT] = "preempt",
	[FO_TIMER_REQUEST] = "request",
};
_Static_assert(ARRAY_LEN(timer_names) == FO_TIMER_MAX, "timer_names");

static const char *const msg_type_names[] = {
	[FO_MSG_HELLO] = "hello",
	[FO_MSG_REQUEST_ACTIVE] = "request-active",
	[FO_MSG_RELEASED] = "released",
	[FO_MSG_DECLINED] = "declined",
};
_Static_assert(ARRAY_LEN(msg_type_names) == FO_MSG_MAX, "msg_type_names");

static const char *const drop_names[] = {
	[FO_DROP_TYPE] = "bad type",
	[FO_DROP_GROUP] = "bad group",
	[FO_DROP_STATE] = "bad group state",
	[FO_DROP_REASON] = "bad reason",
	[FO_DROP_ROLE] = "bad role",
	[FO_DROP_SAME_ROLE] = "mate has my role",
};
_Static_assert(ARRAY_LEN(drop_names) == FO_DROP_MAX, "drop_names");

static const char *const cmd_result_texts[] = {
	[FO_CMD_OK] = "OK",
	[FO_CMD_BAD_GROUP] = "ERROR: failover group must be 1 or 2",
	[FO_CMD_NOT_ENABLED] = "ERROR: failover is not enabled",
	[FO_CMD_ALREADY_ACTIVE] = "The failover group is already active on this unit",
	[FO_CMD_NOT_ACTIVE] = "ERROR: the failover group is not active on this unit",
	[FO_CMD_IN_PROGRESS] = "ERROR: a state change of the failover group is in progress, try again",
	[FO_CMD_NOT_READY] = "ERROR: the failover group on this unit is not in Standby Ready state",
	[FO_CMD_MATE_NOT_READY] = "ERROR: the failover group on the other unit is not in Standby Ready state",
	[FO_CMD_FAILED] = "ERROR: the failover group is Failed on this unit; use failover reset",
	[FO_CMD_NOT_FAILED] = "The failover group is not Failed",
};
_Static_assert(ARRAY_LEN(cmd_result_texts) == FO_CMD_MAX, "cmd_result_texts");

const char *fo_state_name(enum fo_state s)
{
	return (unsigned)s < FO_ST_MAX ? state_names[s] : "?";
}
const char *fo_event_name(enum fo_event e)
{
	return (unsigned)e < FO_EV_MAX ? event_names[e] : "?";
}
const char *fo_reason_text(enum fo_reason r)
{
	return (unsigned)r < FO_R_MAX ? reason_texts[r] : "?";
}
const char *fo_role_name(enum fo_role r)
{
	return (unsigned)r < FO_ROLE_MAX ? role_names[r] : "?";
}
const char *fo_timer_name(enum fo_timer t)
{
	return (unsigned)t < FO_TIMER_MAX ? timer_names[t] : "?";
}
const char *fo_msg_type_name(enum fo_msg_type t)
{
	return (unsigned)t < FO_MSG_MAX ? msg_type_names[t] : "?";
}
const char *fo_drop_name(enum fo_drop d)
{
	return (unsigned)d < FO_DROP_MAX ? drop_names[d] : "?";
}
const char *fo_cmd_result_text(enum fo_cmd_result r)
{
	return (unsigned)r < FO_CMD_MAX ? cmd_result_texts[r] : "?";
}



void fo_format_time(time_t t, char *out, size_t len)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(out, len, "?");
		return;
	}
	snprintf(out, len, "%02d:%02d:%02d UTC %s %d %d", tm.tm_hour,
		 tm.tm_min, tm.tm_sec, months[tm.tm_mon], tm.tm_mday,
		 tm.tm_year + 1900);
}

#define HISTORY_RULE \
	"=========================================================================="

void fo_fsm_format_history(const struct fo_fsm *f, struct buf *out)
{
	struct fo_transition t;
	char when[48];

	buf_printf(out, "%s\n%-8s%-27s%-27s%s\n%s\n", HISTORY_RULE, "Group",
		   "From State", "To State", "Reason", HISTORY_RULE);
	for (unsigned i = 0; fo_fsm_history_get(f, i, &t) == 0; i++) {
		fo_format_time(t.when, when, sizeof when);
		buf_printf(out, "%s\n%-8u%-27s%-27s%s\n\n", when, t.group,
			   fo_state_name(t.from), fo_state_name(t.to),
			   fo_reason_text(t.reason));
	}
	buf_printf(out, "%s\n", HISTORY_RULE);
}

/* The mate's role: as it told us, else the other one. */
static enum fo_role other_role(const struct fo_fsm *f)
{
	enum fo_role r = fo_fsm_mate_role(f);

	if (r != FO_ROLE_MAX)
		return r;
	return fo_fsm_role(f) == FO_ROLE_PRIMARY ? FO_ROLE_SECONDARY
						 : FO_ROLE_PRIMARY;
}

static const char *mate_state_name(const struct fo_fsm *f, unsigned group)
{
	enum fo_state s = fo_fsm_mate_state(f, group);
	return s == FO_ST_MAX ? "Not Detected" : fo_state_name(s);
}

static void state_row(struct buf *out, unsigned id, const char *state,
		      enum fo_reason failure, time_t at)
{
	char when[48] = "";

	if (failure != FO_R_NONE && at)
		fo_format_time(at, when, sizeof when);
	buf_printf(out, "    Group %-5u%-24s%-25s%s\n", id, state,
		   failure == FO_R_NONE ? "None" : fo_reason_text(failure),
		   when);
}

void fo_fsm_format_state(const struct fo_fsm *f, struct buf *out)
{
	time_t at;
	enum fo_reason r;

	buf_printf(out, "%-15s%-24s%-25s%s\n", "", "State",
		   "Last Failure Reason", "Date/Time");
	buf_printf(out, "This host  -   %s\n", fo_role_name(fo_fsm_role(f)));
	for (unsigned g = 1; g <= FO_GROUP_COUNT; g++)
		state_row(out, g, fo_state_name(fo_fsm_state(f, g)),
			  fo_fsm_last_failure(f, g),
			  fo_fsm_last_failure_time(f, g));
	buf_printf(out, "Other host -   %s\n", fo_role_name(other_role(f)));
	for (unsigned g = 1; g <= FO_GROUP_COUNT; g++) {
		r = fo_fsm_mate_last_failure(f, g, &at);
		state_row(out, g, mate_state_name(f, g), r, at);
	}
	buf_printf(out, "\n====Configuration State===\n");
	if (!fo_fsm_config_synced(f))
		buf_printf(out, "\tSync Pending\n");
	else if (fo_fsm_config_source(f))
		buf_printf(out, "\tSync Done\n");
	else
		buf_printf(out, "\tSync Done - STANDBY\n");
}

void fo_fsm_format_groups(const struct fo_fsm *f, bool mate, struct buf *out)
{
	buf_printf(out, "\t%-14s%s\n", mate ? "Other host:" : "This host:",
		   fo_role_name(mate ? other_role(f) : fo_fsm_role(f)));
	for (unsigned g = 1; g <= FO_GROUP_COUNT; g++) {
		const char *state = mate ? mate_state_name(f, g)
					 : fo_state_name(fo_fsm_state(f, g));
		uint32_t secs = mate ? fo_fsm_mate_active_time_s(f, g)
				     : fo_fsm_active_time_s(f, g);
		buf_printf(out, "\tGroup %-8u%-16s%s\n", g, "State:", state);
		buf_printf(out, "\t%-14s%-16s%u (sec)\n", "", "Active time:",
			   secs);
	}
}

void fo_fsm_format_last_failover(const struct fo_fsm *f, struct buf *out)
{
	char when[48];

	for (unsigned g = 1; g <= FO_GROUP_COUNT; g++) {
		time_t t = fo_fsm_last_failover(f, g);
		if (!t)
			continue;
		fo_format_time(t, when, sizeof when);
		buf_printf(out, "Group %u last failover at: %s\n", g, when);
	}
}
