/*
 * repl: the replication layer of one unit — configuration (repl_cfg) and
 * connection state (repl_state) plugged into the failover manager.
 *
 * Created by unit_create() right after the unit's fo_unit (it needs the
 * event loop): it registers struct fo_repl_hooks with fo_unit and the
 * unit's exec hook, follows the unit's contexts (their names, failover
 * groups, namespaces `<netns_prefix><context>` and `replication http`),
 * and routes frames: CFG_* / FILE_CHUNK / ACK to repl_cfg, STATE /
 * BULK_REQ to repl_state.  Commands: replication/repl_cmds.c; the
 * statistics block of `show failover`: replication/repl_stats.c.
 */
#ifndef MCTX_REPL_H
#define MCTX_REPL_H

#include "system/sys_buf.h"

struct ev_loop;
struct unit;
struct repl;
struct repl_cfg;
struct repl_state;

/* 0 or -errno.  Without a failover manager (no loop) there is nothing
 * to replicate to: *out is NULL and 0 is returned. */
int repl_create(struct ev_loop *loop, struct unit *u, struct repl **out);
void repl_destroy(struct repl *r);

struct repl_cfg *repl_config(struct repl *r);
struct repl_state *repl_conns(struct repl *r);

/* Brings the context list (names, groups, roles, http) up to date now
 * (also done every second). */
void repl_sync_contexts(struct repl *r);

/* `show failover`'s "Stateful Failover Logical Update Statistics" block
 * (repl_stats.c). */
void repl_format_stats(struct repl *r, struct buf *out);
/* Its "Link : stateful Ethernet2 (up)" line (repl.c). */
void repl_format_link(struct repl *r, struct buf *out);
/* `show failover statistics`: per-context counters (ctx NULL = all),
 * command replication and configuration state. */
void repl_format_ctx_stats(struct repl *r, const char *ctx, struct buf *out);

#endif
