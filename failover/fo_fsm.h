/*
 * fo_fsm: the Active/Active failover state machine of one unit, as pure
 * logic.  No sockets, no netlink, no clock of its own: everything it does
 * goes out through `struct fo_fsm_ops` given at create time, and everything
 * that happens comes in as an event, a message from the mate, a timer
 * expiry or an operator command.
 *
 * A unit has a role (primary/secondary, `failover lan unit`) and two
 * failover groups.  Each group runs ASA's state machine:
 *
 *   Disabled -> Negotiation -+-> Just Active -> Active Drain ->
 *                            |   Active Applying Config ->
 *                            |   Active Config Applied -> Active
 *                            +-> Cold Standby -> Sync Config ->
 *                                Sync File System -> Bulk Sync -> Standby Ready
 *   any group may be Failed (fault bitmask not zero).
 *
 * Moves that change which unit owns a group are negotiated with the mate
 * (fo_msg): the old owner releases first (become_standby, then RELEASED),
 * the new owner only then walks the active path.  So while the failover
 * link works a group is never active on both units; when the link is gone
 * (startup, mate dead) each unit decides alone, and a dual-active group is
 * resolved when the mate is heard again: the secondary unit yields and
 * resynchronises its configuration from the primary.
 *
 * Callbacks must not re-enter the FSM (queue messages and events, deliver
 * them after the call returns).  Groups are numbered 1..FO_GROUP_COUNT.
 */
#ifndef MCTX_FO_FSM_H
#define MCTX_FO_FSM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "system/sys_buf.h"

#define FO_GROUP_COUNT 2
/* fo_fsm_input / commands: "every group" (the unit-level form). */
#define FO_GROUP_ALL 0

enum fo_role { FO_ROLE_PRIMARY, FO_ROLE_SECONDARY, FO_ROLE_MAX };

/* ASA's group states; names are what `show failover` prints. */
enum fo_state {
	FO_ST_DISABLED,
	FO_ST_NEGOTIATION,
	FO_ST_COLD_STANDBY,
	FO_ST_SYNC_CONFIG,
	FO_ST_SYNC_FILE_SYSTEM,
	FO_ST_BULK_SYNC,
	FO_ST_STANDBY_READY,
	FO_ST_JUST_ACTIVE,
	FO_ST_ACTIVE_DRAIN,
	FO_ST_ACTIVE_APPLYING_CONFIG,
	FO_ST_ACTIVE_CONFIG_APPLIED,
	FO_ST_ACTIVE,
	FO_ST_FAILED,
	FO_ST_MAX
};

enum fo_event {
	FO_EV_ENABLE,              /* `failover` */
	FO_EV_DISABLE,             /* `no failover`: states kept, no more moves */
	FO_EV_NEGOTIATION_EXPIRED, /* timer: negotiation window over */
	FO_EV_LINK_DOWN,           /* failover interface carrier lost */
	FO_EV_LINK_UP,
	FO_EV_MATE_UPDATE,         /* mate's view changed (any message) */
	FO_EV_HOLD_EXPIRED,        /* timer: no message from mate for holdtime */
	FO_EV_MATE_ALIVE_ON_DATA,  /* answer: mate answers on data interfaces */
	FO_EV_MATE_DEAD,           /* answer: mate silent everywhere */
	FO_EV_MATE_REQUESTS_ACTIVE,/* mate: "I want group N, release it" */
	FO_EV_MATE_RELEASED,       /* mate: "I released group N, take it" */
	FO_EV_MATE_DECLINED,       /* mate: "I will not take/release group N" */
	FO_EV_CONFIG_RECEIVED,     /* replication: running config applied */
	FO_EV_FILES_RECEIVED,      /* replication: file system synchronised */
	FO_EV_BULK_RECEIVED,       /* replication: group's bulk state applied */
	FO_EV_DRAINED,             /* pending drain (ops->drain) finished */
	FO_EV_CONFIG_APPLIED,      /* pending ops->become_active finished */
	FO_EV_APPLY_FAILED,        /* pending ops->become_active failed */
	FO_EV_IF_FAILED,           /* group's monitored ifs above the policy */
	FO_EV_IF_OK,               /* ... back under the policy */
	FO_EV_CMD_ACTIVE,          /* `failover active [group N]` */
	FO_EV_CMD_STANDBY,         /* `no failover active [group N]` */
	FO_EV_CMD_RESET,           /* `failover reset [group N]` */
	FO_EV_PREEMPT_TIMER,       /* timer: preempt delay over */
	FO_EV_REQUEST_TIMEOUT,     /* timer: mate never answered our request */
	FO_EV_STATE_LINK_DOWN,     /* stateful link down: state goes stale */
	FO_EV_STATE_LINK_UP,
	FO_EV_MAX
};

/* Why a transition happened: ASA's texts for `show failover history`. */
enum fo_reason {
	FO_R_NONE,               /* "No Error" */
	FO_R_CONFIG,             /* "Set by the config command" */
	FO_R_NO_ACTIVE,          /* "No Active unit found" */
	FO_R_MATE_ACTIVE,        /* "Detected an Active mate" */
	FO_R_MATE_WANTS_STANDBY, /* "Other unit wants me Standby" */
	FO_R_MATE_WANTS_ACTIVE,  /* "Other unit wants me Active" */
	FO_R_HELLO_LOST,         /* "HELLO not heard from mate" */
	FO_R_IFC,                /* "Interface check" */
	FO_R_STATE_CHECK,        /* "Failover state check" */
	FO_R_PREEMPT,            /* "Preempt" */
	FO_R_LINK_DOWN_STARTUP,  /* "Failover link down at startup" */
	FO_R_COMM_FAILURE,       /* "Comm Failure" (mate lost) */
	FO_R_APPLY_FAILED,       /* "Config apply failure" */
	FO_R_MAX
};

/* Fault bits of a group; a Failed group leaves Failed only at zero. */
enum fo_fault {
	FO_FAULT_IFC = 1u << 0,   /* monitored interfaces above the policy;
				     cleared by FO_EV_IF_OK or reset */
	FO_FAULT_APPLY = 1u << 1, /* become_active failed; cleared by reset */
};

enum fo_timer {
	FO_TIMER_POLL,        /* unit: send a hello every poll interval */
	FO_TIMER_HOLD,        /* unit: nothing heard from mate for holdtime */
	FO_TIMER_NEGOTIATION, /* unit: negotiation window */
	FO_TIMER_PREEMPT,     /* group: preempt delay */
	FO_TIMER_REQUEST,     /* group: our REQUEST_ACTIVE unanswered */
	FO_TIMER_MAX
};

/*
 * Messages between the two units' FSMs; the lead maps them onto the wire.
 * Every message carries the sender's snapshot (role, enabled, per-group
 * state...), so a single ordered link keeps each unit's view of its mate
 * current; typed messages add group + reason.
 */
enum fo_msg_type {
	FO_MSG_HELLO,          /* periodic and after every transition */
	FO_MSG_REQUEST_ACTIVE, /* "I want group N": mate releases or declines */
	FO_MSG_RELEASED,       /* "I released group N": mate takes or declines */
	FO_MSG_DECLINED,       /* answer to either when it cannot be done */
	FO_MSG_MAX
};

struct fo_msg_group {
	uint8_t state;          /* enum fo_state */
	uint8_t failure_reason; /* enum fo_reason: last failure, FO_R_NONE */
	uint32_t faults;        /* enum fo_fault bits */
	uint32_t active_s;      /* seconds in Active */
};

struct fo_msg {
	uint8_t type;    /* enum fo_msg_type */
	uint8_t group;   /* 1..FO_GROUP_COUNT for typed messages, 0 in hellos */
	uint8_t reason;  /* enum fo_reason: why (typed messages) */
	uint8_t role;    /* sender's enum fo_role */
	bool enabled;    /* sender has failover enabled */
	bool config_synced;
	struct fo_msg_group groups[FO_GROUP_COUNT]; /* [0] is group 1 */
};

/* Drop counters for messages refused by fo_fsm_recv(). */
enum fo_drop {
	FO_DROP_TYPE, FO_DROP_GROUP, FO_DROP_STATE, FO_DROP_REASON,
	FO_DROP_ROLE, FO_DROP_SAME_ROLE, FO_DROP_MAX
};

/* One row of `show failover history`. */
struct fo_transition {
	time_t when;            /* wall clock */
	unsigned group;
	enum fo_state from, to;
	enum fo_reason reason;
};

/* ops->drain / ops->become_active: done now, or later via an event. */
#define FO_OP_DONE 0
#define FO_OP_PENDING 1

struct fo_fsm_ops {
	uint64_t (*now_ms)(void *ctx);   /* monotonic milliseconds */
	time_t (*wall_time)(void *ctx);  /* for history and show output */
	void (*timer_arm)(void *ctx, enum fo_timer t, unsigned group,
			  uint64_t after_ms); /* re-arm replaces; group 0 = unit */
	void (*timer_cancel)(void *ctx, enum fo_timer t, unsigned group);
	void (*send_to_mate)(void *ctx, const struct fo_msg *msg);
	/* Optional: apply the mate's queued updates (Active Drain).
	 * FO_OP_DONE, or FO_OP_PENDING then FO_EV_DRAINED. */
	int (*drain)(void *ctx, unsigned group);
	/* Take the active addresses/MACs and start passing traffic
	 * (Active Applying Config).  FO_OP_DONE, FO_OP_PENDING then
	 * FO_EV_CONFIG_APPLIED / FO_EV_APPLY_FAILED, or -errno (group Failed). */
	int (*become_active)(void *ctx, unsigned group);
	/* Take the standby addresses, stop passing traffic. */
	void (*become_standby)(void *ctx, unsigned group);
	/* Ask the mate for running config + files (answers:
	 * FO_EV_CONFIG_RECEIVED then FO_EV_FILES_RECEIVED). */
	void (*request_config_sync)(void *ctx);
	/* Ask the mate for the group's bulk state (FO_EV_BULK_RECEIVED). */
	void (*request_bulk_sync)(void *ctx, unsigned group);
	/* Optional: check the mate over monitored data interfaces; answer
	 * FO_EV_MATE_ALIVE_ON_DATA or FO_EV_MATE_DEAD.  NULL: mate dead. */
	void (*test_mate_on_data_interfaces)(void *ctx);
	/* Optional: every transition, after it is logged and recorded. */
	void (*transition)(void *ctx, const struct fo_transition *t);
};

struct fo_fsm;

/* Returns NULL on bad ops (now_ms, timer_arm, timer_cancel, send_to_mate,
 * become_active, become_standby are required) or no memory.  Defaults:
 * primary, failover disabled, group 1 prefers primary, group 2 secondary,
 * no preempt, poll 1000 ms, hold 15000 ms, negotiation window = hold. */
struct fo_fsm *fo_fsm_create(const struct fo_fsm_ops *ops, void *ctx);
void fo_fsm_destroy(struct fo_fsm *fsm);

/* Configuration (each returns 0 or -EINVAL). */
int fo_fsm_set_role(struct fo_fsm *fsm, enum fo_role role);
int fo_fsm_set_timers(struct fo_fsm *fsm, uint32_t poll_ms, uint32_t hold_ms);
int fo_fsm_set_negotiation_ms(struct fo_fsm *fsm, uint32_t window_ms);
int fo_fsm_set_link_name(struct fo_fsm *fsm, const char *name);
int fo_fsm_set_preference(struct fo_fsm *fsm, unsigned group,
			  enum fo_role preferred);
int fo_fsm_set_preempt(struct fo_fsm *fsm, unsigned group, bool on,
		       uint32_t delay_s);

/* Feeds an event to one group, or to every group (FO_GROUP_ALL).
 * Returns 0, or -EINVAL for a bad group or event. */
int fo_fsm_input(struct fo_fsm *fsm, unsigned group, enum fo_event ev);
/* A message from the mate; bad ones are counted and return -EPROTO. */
int fo_fsm_recv(struct fo_fsm *fsm, const struct fo_msg *msg);
/* A timer armed through ops->timer_arm expired. */
int fo_fsm_timer_fired(struct fo_fsm *fsm, enum fo_timer t, unsigned group);
/* Sends a HELLO with the current snapshot now.  Changes no state: for a
 * unit busy in one long operation (applying the mate's configuration) so
 * its mate keeps hearing it. */
void fo_fsm_send_hello(struct fo_fsm *fsm);
/* Any other authenticated message came from the mate (replication, exec):
 * it is alive, so its hold time restarts as on a HELLO.  Nothing else
 * changes (the snapshot is only read from HELLO and group messages). */
void fo_fsm_mate_heard(struct fo_fsm *fsm);

/* Operator commands; group FO_GROUP_ALL = the unit-level form.  The
 * result's text (fo_cmd_result_text) is for the console. */
enum fo_cmd_result {
	FO_CMD_OK,
	FO_CMD_BAD_GROUP,
	FO_CMD_NOT_ENABLED,       /* failover was never enabled */
	FO_CMD_ALREADY_ACTIVE,
	FO_CMD_NOT_ACTIVE,
	FO_CMD_IN_PROGRESS,       /* a transition of the group is under way */
	FO_CMD_NOT_READY,         /* this unit's group cannot take over */
	FO_CMD_MATE_NOT_READY,    /* mate's group is not Standby Ready */
	FO_CMD_FAILED,            /* group Failed: use failover reset */
	FO_CMD_NOT_FAILED,
	FO_CMD_MAX
};
enum fo_cmd_result fo_fsm_cmd_active(struct fo_fsm *fsm, unsigned group);
enum fo_cmd_result fo_fsm_cmd_no_active(struct fo_fsm *fsm, unsigned group);
enum fo_cmd_result fo_fsm_cmd_reset(struct fo_fsm *fsm, unsigned group);
const char *fo_cmd_result_text(enum fo_cmd_result r);

/* Queries (bad group: FO_ST_MAX / 0). */
enum fo_role fo_fsm_role(const struct fo_fsm *fsm);
bool fo_fsm_enabled(const struct fo_fsm *fsm);
enum fo_state fo_fsm_state(const struct fo_fsm *fsm, unsigned group);
/* Returns FO_ST_MAX when the mate was never heard ("Not Detected"). */
enum fo_state fo_fsm_mate_state(const struct fo_fsm *fsm, unsigned group);
bool fo_fsm_mate_present(const struct fo_fsm *fsm);
uint32_t fo_fsm_faults(const struct fo_fsm *fsm, unsigned group);
uint32_t fo_fsm_active_time_s(const struct fo_fsm *fsm, unsigned group);
uint32_t fo_fsm_mate_active_time_s(const struct fo_fsm *fsm, unsigned group);
/* 0 if the group never failed over. */
time_t fo_fsm_last_failover(const struct fo_fsm *fsm, unsigned group);
enum fo_reason fo_fsm_last_failure(const struct fo_fsm *fsm, unsigned group);
time_t fo_fsm_last_failure_time(const struct fo_fsm *fsm, unsigned group);
/* What we saw of the mate's copy ("Comm Failure" when it was lost). */
enum fo_reason fo_fsm_mate_last_failure(const struct fo_fsm *fsm,
					unsigned group, time_t *at);
/* FO_ROLE_MAX until the mate is heard. */
enum fo_role fo_fsm_mate_role(const struct fo_fsm *fsm);
/* This unit's configuration is the pair's (it did not receive it). */
bool fo_fsm_config_source(const struct fo_fsm *fsm);
/* Failover interface marked failed (link down / hellos lost, mate alive). */
bool fo_fsm_link_failed(const struct fo_fsm *fsm);
/* Stateful link down: replicated state is stale. */
bool fo_fsm_state_stale(const struct fo_fsm *fsm);
bool fo_fsm_config_synced(const struct fo_fsm *fsm);
bool fo_fsm_is_active_state(enum fo_state s);
uint64_t fo_fsm_drops(const struct fo_fsm *fsm, enum fo_drop d);

/* History (fo_fsm_show.c formats it), oldest first (a ring of the last FO_HISTORY_MAX). */
#define FO_HISTORY_MAX 64
unsigned fo_fsm_history_count(const struct fo_fsm *fsm);
int fo_fsm_history_get(const struct fo_fsm *fsm, unsigned i,
		       struct fo_transition *out);

/* `show failover history` table. */
void fo_fsm_format_history(const struct fo_fsm *fsm, struct buf *out);
/* `show failover state`: State / Last Failure Reason / Date/Time block. */
void fo_fsm_format_state(const struct fo_fsm *fsm, struct buf *out);
/* "This host: Primary / Group 1 State: ... Active time: N (sec)" lines of
 * `show failover` (mate: the "Other host" block). */
void fo_fsm_format_groups(const struct fo_fsm *fsm, bool mate,
			  struct buf *out);
/* "Group 1 last failover at: 06:12:45 UTC Apr 16 2007" lines. */
void fo_fsm_format_last_failover(const struct fo_fsm *fsm, struct buf *out);
/* "06:12:45 UTC Apr 16 2007" */
void fo_format_time(time_t t, char *out, size_t len);

/* Name tables ("?" when out of range). */
const char *fo_state_name(enum fo_state s);
const char *fo_event_name(enum fo_event e);
const char *fo_reason_text(enum fo_reason r);
const char *fo_role_name(enum fo_role r);
const char *fo_timer_name(enum fo_timer t);
const char *fo_msg_type_name(enum fo_msg_type t);
const char *fo_drop_name(enum fo_drop d);

#endif
