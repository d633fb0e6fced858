/*
 * repl_stats: the replication numbers as `show failover` prints them
 * ("Stateful Failover Logical Update Statistics", seed 003) and the
 * per-context table of `show failover statistics`.
 *
 * Rows: "sys cmd" is configuration replication (commands, sync chunks,
 * files, their ACKs); TCP conn / UDP conn / ARP tbl come from repl_state;
 * "General" is the sum of every row; up time, RPC services and
 * Xlate_Timeout have no mctx counterpart and stay 0 (xlates travel inside
 * the conntrack entries' NAT).  Queues: "Xmit Q" is repl_state's transmit
 * queue (batches waiting for a full link) plus every configuration frame
 * handed to the link; "Recv Q" counts every frame received, processed as
 * it arrives (Max stays 1).
 */
#include <stdio.h>
#include <string.h>

#include "failover/fo_unit.h"
#include "replication/repl.h"
#include "replication/repl_cfg.h"
#include "replication/repl_state.h"
#include "system/sys_config.h"
#include "system/sys_unit.h"

/* repl.c keeps struct repl private; what the formatters need comes
 * through these accessors. */
static void sys_cmd_row(const struct repl_cfg_stats *c, struct repl_obj_stats *o)
{
	o->xmit = c->cmd_tx + c->chunk_tx;
	o->xerr = c->cmd_tx_err + c->sync_tx_err;
	o->rcv = c->cmd_rx + c->chunk_rx + c->cmd_acked;
	o->rerr = c->cmd_rx_err + c->sync_rx_bad + c->msg_bad + c->file_err +
		  c->kernel_apply_err;
}

void repl_format_stats(struct repl *r, struct buf *out)
{
	struct repl_cfg *cfg = repl_config(r);
	struct repl_state *st = repl_conns(r);
	if (!cfg || !st)
		return;
	const struct repl_state_stats *ss = repl_state_get_stats(st);
	const struct repl_cfg_stats *cs = repl_cfg_get_stats(cfg);
	struct repl_obj_stats rows[REPL_OBJ_MAX];
	memcpy(rows, ss->obj, sizeof rows);
	sys_cmd_row(cs, &rows[REPL_OBJ_SYS_CMD]);
	struct repl_obj_stats *g = &rows[REPL_OBJ_GENERAL];
	g->xmit += rows[REPL_OBJ_SYS_CMD].xmit;
	g->xerr += rows[REPL_OBJ_SYS_CMD].xerr;
	g->rcv += rows[REPL_OBJ_SYS_CMD].rcv;
	g->rerr += rows[REPL_OBJ_SYS_CMD].rerr;

	buf_puts(out, "Stateful Failover Logical Update Statistics\n");
	repl_format_link(r, out);
	buf_printf(out, "\t%-13s\t%-10s %-10s %-10s %-10s\n", "Stateful Obj",
		   "xmit", "xerr", "rcv", "rerr");
	for (int i = 0; i < REPL_OBJ_MAX; i++)
		buf_printf(out, "\t%-13s\t%-10llu %-10llu %-10llu %-10llu\n",
			   repl_obj_name((enum repl_obj)i),
			   (unsigned long long)rows[i].xmit,
			   (unsigned long long)rows[i].xerr,
			   (unsigned long long)rows[i].rcv,
			   (unsigned long long)rows[i].rerr);
	uint64_t cfg_tx = cs->cmd_tx + cs->chunk_tx;
	uint64_t cfg_rx = cs->cmd_rx + cs->chunk_rx + cs->cmd_acked;
	buf_puts(out, "\n\tLogical Update Queue Information\n");
	buf_puts(out, "\t\t\tCur\tMax\tTotal\n");
	buf_printf(out, "\tRecv Q:\t\t%llu\t%llu\t%llu\n",
		   (unsigned long long)ss->recv_q.cur,
		   (unsigned long long)(ss->recv_q.max || cfg_rx ? 1 : 0),
		   (unsigned long long)(ss->recv_q.total + cfg_rx));
	buf_printf(out, "\tXmit Q:\t\t%llu\t%llu\t%llu\n",
		   (unsigned long long)ss->xmit_q.cur,
		   (unsigned long long)(ss->xmit_q.max ? ss->xmit_q.max :
					cfg_tx || ss->xmit_q.total ? 1 : 0),
		   (unsigned long long)(ss->xmit_q.total + cfg_tx));
}

static void ctx_row(struct repl_state *st, const char *name, struct buf *out)
{
	struct repl_ctx_stats c;
	if (repl_state_get_ctx_stats(st, name, &c) < 0)
		return;
	buf_printf(out, "%-16s %-5d %-9s %-10llu %-10llu %-8llu %-8llu %-8llu "
		   "%-7llu %-5llu %-5llu %-5llu\n", name, c.group,
		   !c.open ? "No table" : "",
		   (unsigned long long)c.conn_xmit, (unsigned long long)c.conn_rcv,
		   (unsigned long long)c.conn_err, (unsigned long long)c.arp_xmit,
		   (unsigned long long)c.arp_rcv, (unsigned long long)c.arp_err,
		   (unsigned long long)c.bulk_sent,
		   (unsigned long long)c.bulk_received,
		   (unsigned long long)c.events_lost);
}

void repl_format_ctx_stats(struct repl *r, const char *ctx, struct buf *out)
{
	struct repl_cfg *cfg = repl_config(r);
	struct repl_state *st = repl_conns(r);
	if (!cfg || !st) {
		buf_puts(out, "Replication is not running (no failover manager)\n");
		return;
	}
	buf_printf(out, "Stateful replication per context (update interval "
		   "%u seconds)\n", repl_state_update_interval(st));
	buf_printf(out, "%-16s %-5s %-9s %-10s %-10s %-8s %-8s %-8s %-7s "
		   "%-5s %-5s %-5s\n", "Context", "Group", "State", "Conn xmit",
		   "Conn rcv", "Conn err", "ARP xmit", "ARP rcv", "ARP err",
		   "Bulk>", "Bulk<", "Lost");
	if (ctx) {
		ctx_row(st, ctx, out);
	} else {
		for (size_t i = 0; i < repl_state_ctx_count(st); i++)
			ctx_row(st, repl_state_ctx_name(st, i), out);
	}
	const struct repl_state_stats *ss = repl_state_get_stats(st);
	buf_printf(out, "Bulk synchronisations: %llu sent, %llu received, "
		   "%llu requested; resyncs after loss %llu; dropped messages "
		   "%llu\n", (unsigned long long)ss->bulk_sent,
		   (unsigned long long)ss->bulk_received,
		   (unsigned long long)ss->bulk_requested,
		   (unsigned long long)ss->resyncs,
		   (unsigned long long)ss->msg_bad);
	const struct repl_cfg_stats *cs = repl_cfg_get_stats(cfg);
	buf_printf(out, "Command replication: %llu sent (%llu failed), %llu "
		   "acknowledged, %llu received (%llu refused), %llu local "
		   "only, %llu queued during a sync\n",
		   (unsigned long long)cs->cmd_tx, (unsigned long long)cs->cmd_tx_err,
		   (unsigned long long)cs->cmd_acked, (unsigned long long)cs->cmd_rx,
		   (unsigned long long)cs->cmd_rx_err,
		   (unsigned long long)cs->cmd_local,
		   (unsigned long long)cs->cmd_queued);
	buf_printf(out, "Kernel applies of the mate's commands: %llu (%llu "
		   "failed), %llu commands coalesced, %zu contexts pending, "
		   "longest %llu us\n",
		   (unsigned long long)cs->kernel_applies,
		   (unsigned long long)cs->kernel_apply_err,
		   (unsigned long long)cs->kernel_coalesced,
		   repl_cfg_kernel_pending(cfg),
		   (unsigned long long)cs->kernel_apply_max_us);
	uint64_t p50, p99, n;
	if (repl_cfg_latency(cfg, &p50, &p99, &n))
		buf_printf(out, "Command replication latency: p50 %llu us, p99 "
			   "%llu us (%llu samples)\n", (unsigned long long)p50,
			   (unsigned long long)p99, (unsigned long long)n);
	buf_printf(out, "Configuration syncs: %llu sent (%llu failed), %llu "
		   "received (%llu discarded, %llu superseded, applied in %llu "
		   "steps); files %llu sent, %llu received\n",
		   (unsigned long long)cs->sync_tx, (unsigned long long)cs->sync_tx_err,
		   (unsigned long long)cs->sync_rx, (unsigned long long)cs->sync_rx_bad,
		   (unsigned long long)cs->sync_superseded,
		   (unsigned long long)cs->apply_steps,
		   (unsigned long long)cs->files_tx, (unsigned long long)cs->files_rx);
	buf_puts(out, "Configuration state: ");
	repl_cfg_format_state(cfg, out);
	buf_puts(out, "\n");
}
