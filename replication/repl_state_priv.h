/*
 * repl_state_priv: what repl_state.c (contexts, settings, receiving,
 * events, statistics) and repl_state_pass.c (transmit queue, STATE
 * messages, table passes and the standby sweep) share.  Not an interface:
 * only those two files include it.
 */
#ifndef MCTX_REPL_STATE_PRIV_H
#define MCTX_REPL_STATE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "failover/fo_wire.h"
#include "replication/repl_arp.h"
#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "replication/repl_state.h"
#include "system/sys_buf.h"

struct ev_loop;
struct ev_timer;
struct rx_item;     /* repl_state.c: a received batch waiting */
struct txq_item;    /* repl_state_pass.c: a STATE message waiting */

/* The envelope record (FO_OBJ_ENVELOPE): version, kind, flags, group,
 * name length, then the context name. */
#define ENV_VERSION 2
#define ENV_FIXED 5
#define ENV_FLAGS_AT 2

#define GROUPS 2                /* failover groups */

enum env_kind { ENV_CT = REPL_KIND_CT, ENV_ARP = REPL_KIND_ARP, ENV_GROUP_DONE = 3 };

/* A pass over the whole conntrack table, dumped in slices from the loop
 * (a million entries take seconds to dump: in one call that would starve
 * the hellos).  BULK replaces the mate's copy (BULK_BEGIN .. BULK_END),
 * REFRESH re-sends every entry as an update (the periodic update). */
enum pass_kind { PASS_NONE, PASS_BULK, PASS_REFRESH };

struct rctx {
	char name[FO_NAME_MAX + 1];
	char netns[64];
	int group;
	struct repl_state *rs;
	struct repl_ct *ct;
	int wr_fd;                    /* ct's writer answers, polled; -1 none */
	struct repl_arp *arp;
	struct repl_mode_state *mode;
	int ct_fd, arp_fd;            /* registered in the loop; -1 none */
	/* The pipe of the child dumping or flushing our table (repl_ct runs
	 * those kernel calls in a child: each walks the global hash for
	 * hundreds of ms), watched while a step found nothing to read;
	 * -1 none. */
	int job_fd;
	bool resync_due;              /* events were lost */
	bool announce_due;            /* just took over: re-send the table */
	uint64_t next_refresh_ms;     /* periodic update; 0 = not scheduled */
	enum pass_kind pass;
	struct txq_item *pass_it;     /* message being filled by the pass */
	bool pass_first;
	uint64_t pass_entries;
	long pass_size;               /* entries at the start (order of passes) */
	uint32_t refresh_round;       /* periodic passes so far (phases) */
	bool refresh_all_due;         /* an update failed to go: the next
				       * periodic pass carries every entry */
	bool pass_all;                /* this periodic pass carries them all */
	/* Standby side of a bulk: the old copy is swept out in slices
	 * (deleting a million entries in one kernel call holds the loop
	 * for seconds), and what the mate sends meanwhile waits here, in
	 * order, to be installed after it, a slice a turn. */
	bool sweeping;
	bool sweep_flush;             /* small copy: one kernel flush (in a
				       * child) instead of a sweep */
	struct rx_item *rxq_head, *rxq_tail;
	size_t rxq_len;
	struct repl_ctx_stats st;
};

struct repl_state {
	struct ev_loop *loop;
	struct repl_state_ops ops;
	void *arg;
	struct rctx **ctxs;
	size_t nctxs;
	bool active[GROUPS];
	bool http[GROUPS];
	bool mate;
	/* The mate holds our copy of the group (it asked for a bulk, or it
	 * was the group's active unit): only then do updates flow, so a
	 * joining unit still syncing its configuration gets no records for
	 * contexts it does not have yet. */
	bool ready[GROUPS];
	unsigned update_s;
	unsigned bulk_wanted;         /* groups we asked a bulk for */
	unsigned bulk_sending;        /* groups whose group-done marker waits
				       * for their contexts' bulk passes */
	struct buf rec;               /* one encoded record (pass scratch) */
	struct txq_item *q_head, *q_tail;
	size_t q_len, q_bytes;
	struct fo_wire_msg *scratch;  /* one message, built at send time */
	struct ev_timer *tick_timer, *drain_timer, *step_timer;
	struct ev_timer *rx_timer;    /* sweeps and queued installs */
	struct repl_state_stats st;
};

/* An ARP table or event read being packed into STATE messages. */
struct arp_tx {
	struct rctx *c;
	struct txq_item *it;
	uint8_t first_flags;
	int n;
};

static inline bool group_ok(int g) { return g >= 1 && g <= GROUPS; }

static inline bool ctx_active(const struct rctx *c)
{
	return group_ok(c->group) && c->rs->active[c->group - 1];
}

static inline bool mate_ready(const struct rctx *c)
{
	return c->rs->mate && group_ok(c->group) && c->rs->ready[c->group - 1];
}

static inline enum repl_obj wire_obj(uint16_t t)
{
	return t == FO_OBJ_TCP_CONN ? REPL_OBJ_TCP :
	       t == FO_OBJ_ARP ? REPL_OBJ_ARP : REPL_OBJ_UDP;
}

/* repl_state.c */
/* Adds n records to row o and to "General" (tx: xmit/xerr, else rcv/rerr). */
void rs_count(struct repl_state *rs, enum repl_obj o, bool tx, bool err,
	      uint64_t n);
struct rctx *rs_find_ctx(const struct repl_state *rs, const char *name);
/* repl_ct's filter: HTTP entries only with the group's `replication http`. */
bool rs_http_filter(void *arg, const struct repl_ct_entry *e);
/* Schedules the standby work (sweeps, queued installs) on the loop. */
void rs_rx_arm(struct repl_state *rs);

/* repl_state_pass.c: transmit queue and STATE messages */
void rs_item_free(struct txq_item *it);
/* Empties the transmit queue (count_lost: each record counts xerr). */
void rs_queue_clear(struct repl_state *rs, bool count_lost);
void rs_on_drain(struct ev_loop *loop, struct ev_timer *t, void *arg);
/* repl_mode's send op (arg: the rctx). */
int rs_ctx_send_batch(void *arg, const void *batch, size_t len);
/* A repl_arp dump/event callback (arg: a struct arp_tx); rs_arp_finish
 * queues what is left, with last_flags on the last message. */
int rs_arp_enqueue(void *arg, const struct repl_arp_entry *e);
void rs_arp_finish(struct arp_tx *t, uint8_t last_flags);

/* repl_state_pass.c: table passes, the dump child's pipe, the sweep */
int rs_pass_start(struct rctx *c, enum pass_kind kind);
void rs_ctx_bulk(struct rctx *c);
/* Cancels c's pass without sending its end (the mate went away). */
void rs_pass_drop(struct rctx *c);
/* Sends the group-done markers of groups no context is in a bulk of. */
void rs_bulk_groups_done(struct repl_state *rs);
void rs_on_step(struct ev_loop *loop, struct ev_timer *t, void *arg);
void rs_job_unwatch(struct rctx *c);
/* The child's pipe is empty: true if the caller must stop stepping for
 * now (the loop wakes it); without a loop, waits here. */
bool rs_job_wait(struct rctx *c);
/* Standby: empties c's copy before a bulk (see repl_state_pass.c). */
void rs_sweep_start(struct rctx *c);
/* One step of the sweep; true when it is over. */
bool rs_sweep_step(struct rctx *c);

#endif
