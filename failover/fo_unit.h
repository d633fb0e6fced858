/*
 * fo_unit: the failover manager of one unit — the glue that makes the
 * failover building blocks a daemon feature.
 *
 * It owns the group state machine (fo_fsm), the failover link (fo_link),
 * the message protection (fo_crypto) and the timers, and reads the system
 * space's failover configuration (`failover ...`, struct sys_failover):
 *
 *   - `failover lan interface NAME PHY` + `failover interface ip NAME ...`
 *     give the link's addresses: the primary unit owns the active IP, the
 *     secondary the standby IP (they never move).  fo_unit puts them on
 *     the Linux links of the unit namespace and brings those up; a
 *     stateful link (`failover link NAME PHY`) with its own addresses is
 *     the link's second path.
 *   - `failover lan unit` is the role, `failover polltime` the hello and
 *     hold times, `failover key` the AEAD secret, `failover group N` the
 *     preference and preempt of each group.
 *
 * FSM actions become unit actions: a group going active or standby calls
 * unit_group_set_role() (addresses, MACs, then gratuitous ARP); FSM
 * messages travel as HELLO / GROUP_REQ frames on the control channel.
 *
 * The replication layer (replication/) plugs in through struct
 * fo_repl_hooks and sends its frames with fo_unit_send(); it tells the FSM
 * where a joining unit is with fo_unit_config_received() and friends.
 * Without hooks the join path completes at once (config, files and bulk
 * state are taken as received): a pair without replication still pairs.
 */
#ifndef MCTX_FO_UNIT_H
#define MCTX_FO_UNIT_H

#include <stdbool.h>

#include "failover/fo_wire.h"
#include "system/sys_buf.h"

struct fo_unit;
struct unit;
struct ev_loop;

/* Set by replication/.  Every member may be NULL.  Callbacks run from the
 * event loop, never from inside the FSM: they may call any fo_unit_*
 * function. */
struct fo_repl_hooks {
	void *arg;
	/* The failover link is up and the mate's hello was heard. */
	void (*mate_up)(void *arg);
	/* The link went down or the mate was declared failed. */
	void (*mate_down)(void *arg);
	/* A frame for replication: CFG_CMD, CFG_SYNC_*, FILE_CHUNK, STATE,
	 * BULK_REQ, ACK.  m (and its fo_bytes) is valid during the call. */
	void (*frame)(void *arg, const struct fo_wire_msg *m);
	/* The FSM of this (joining) unit wants the mate's running config
	 * and files: send the request; answer with fo_unit_config_received()
	 * then fo_unit_files_received() when they are applied. */
	void (*request_config_sync)(void *arg);
	/* Standby copy of GROUP wants the mate's bulk state; answer with
	 * fo_unit_bulk_done(fu, group). */
	void (*request_bulk_sync)(void *arg, int group);
	/* GROUP (1..2) became active (true) or standby on this unit, after
	 * its addresses moved. */
	void (*group_role)(void *arg, int group, bool active);
	/* `show failover`'s "Stateful Failover Logical Update Statistics"
	 * block (appended at the end of the output). */
	void (*format_stats)(void *arg, struct buf *out);
	/* Fills h->digests / h->n_digests of each hello sent (configuration
	 * checksums per context, "" = system); the mate's arrive through
	 * mate_hello. */
	void (*hello_digests)(void *arg, struct fo_hello *h);
	void (*mate_hello)(void *arg, const struct fo_hello *h);
	/* The state channel's queue has room again after a refusal. */
	void (*writable)(void *arg);
	/* `show failover state`'s "Configuration State" line (without tab
	 * or newline): "Sync Done" only while the configuration digests
	 * match, else e.g. "Config Mismatch: context1".  Without it the
	 * FSM's view is shown. */
	void (*config_state)(void *arg, struct buf *out);
};

/* u: the unit (configuration, contexts, group roles); loop: the daemon's
 * event loop.  Nothing starts until fo_unit_apply_config() sees
 * `failover` in the configuration.  Returns 0 or -ENOMEM. */
int fo_unit_create(struct ev_loop *loop, struct unit *u, struct fo_unit **out);
/* Closes the link and timers; removes nothing from the configuration. */
void fo_unit_destroy(struct fo_unit *fu);

void fo_unit_set_repl_hooks(struct fo_unit *fu, const struct fo_repl_hooks *h);

/* The system space's failover configuration changed (any `failover ...`
 * command or a group sub-command).  loading: the line comes from a
 * replayed configuration (cli_loading()).  Work that must not wait is
 * done now: a booting unit with failover on holds both groups standby
 * before any context exists, so it never answers for active addresses
 * its mate may own.  The rest (link, timers, key, FSM settings) is done
 * once the current command batch is over (a zero timer), so a replayed
 * configuration opens the link once, not per line.  NULL fu is a no-op
 * (configuration-only units). */
void fo_unit_config_changed(struct fo_unit *fu, bool loading);
/* The same work now: returns 0 or -errno (link addresses, sockets). */
int fo_unit_apply_config(struct fo_unit *fu);
/* A context's configuration changed or was applied to its namespace (a
 * command inside it, a replay, a takeover): the monitored interfaces
 * (`monitor-interface`) are re-read once the current batch is over.
 * NULL fu is a no-op. */
void fo_unit_contexts_changed(struct fo_unit *fu);

/* Encodes, seals (fo_crypto) and queues m on its type's channel.  Returns
 * 0, -ENOTCONN (no link), -ENOBUFS (queue full), -EINVAL (bad message). */
int fo_unit_send(struct fo_unit *fu, struct fo_wire_msg *m);

/* Queries (NULL fu: failover off — every group active, no mate). */
bool fo_unit_enabled(const struct fo_unit *fu);
bool fo_unit_group_active(const struct fo_unit *fu, int group);
bool fo_unit_mate_up(const struct fo_unit *fu);
/* FO_WIRE_ROLE_PRIMARY / _SECONDARY (from `failover lan unit`). */
enum fo_wire_role fo_unit_role(const struct fo_unit *fu);
/* This unit's configuration is the pair's (it did not receive it). */
bool fo_unit_config_source(const struct fo_unit *fu);

/* Replication tells the FSM where the joining unit is. */
void fo_unit_config_received(struct fo_unit *fu);
void fo_unit_files_received(struct fo_unit *fu);
void fo_unit_bulk_done(struct fo_unit *fu, int group);

/* Interface monitoring (fo_ifmon): GROUP's failed monitored interfaces
 * reached (true) or fell under (false) its interface-policy. */
void fo_unit_if_policy(struct fo_unit *fu, int group, bool exceeded);

/* Operator commands (failover/fo_cmds.c); group 0 = every group.  The
 * console text of a refusal goes to msg; returns 0 or -EINVAL/-EAGAIN. */
int fo_unit_cmd_active(struct fo_unit *fu, int group, struct buf *msg);
int fo_unit_cmd_no_active(struct fo_unit *fu, int group, struct buf *msg);
int fo_unit_cmd_reset(struct fo_unit *fu, int group, struct buf *msg);

/* `failover exec mate|active|standby CMD`: target "mate", "active" or
 * "standby" (of failover group 1).  Runs locally when the target is this
 * unit; otherwise sends EXEC_REQ and calls done(arg, status, output) when
 * the reply arrives, or with -ETIMEDOUT / -ENOTCONN.  context NULL = system
 * space.  Returns 0 when done was (or will be) called. */
typedef void (*fo_exec_done_fn)(void *arg, int status, const char *output);
int fo_unit_exec(struct fo_unit *fu, const char *target, const char *context,
		 const char *line, fo_exec_done_fn done, void *arg);
/* Forgets done callbacks pointing at arg (the console session ended). */
void fo_unit_exec_cancel(struct fo_unit *fu, void *arg);

/* Show commands (fo_show.c). */
void fo_unit_show(struct fo_unit *fu, struct buf *out);
void fo_unit_show_state(struct fo_unit *fu, struct buf *out);
void fo_unit_show_interface(struct fo_unit *fu, struct buf *out);
void fo_unit_show_history(struct fo_unit *fu, struct buf *out);
/* `show monitor-interface` inside context ctx. */
void fo_unit_show_monitor(struct fo_unit *fu, const char *ctx, struct buf *out);
/* `prompt hostname priority state`: "pri"/"sec" and "act"/"stby" of the
 * context's group (ctx NULL: group 1). */
const char *fo_unit_prompt_priority(const struct fo_unit *fu);
const char *fo_unit_prompt_state(const struct fo_unit *fu, int group);

#endif
