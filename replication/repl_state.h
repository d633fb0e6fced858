/*
 * repl_state: stateful failover of every security context (seed 003
 * "Stateful Failover", seed 004's state objects, seed 000's bulk and
 * periodic updates).
 *
 * Per context it holds the context's conntrack table (repl_ct, with NAT
 * and TCP state) and neighbour table (repl_arp), both opened inside the
 * context's namespace, and an incremental repl_mode policy.  On the unit
 * where the context's failover group is active, kernel events are sent to
 * the mate as they happen, and again by the periodic update (IOS `ip
 * inspect redundancy update seconds`: conntrack sends no event when a
 * packet only extends a timeout): each update interval a table pass
 * sends the entries that are due, an entry with R seconds left every
 * R / (2 * interval) passes (at most 60 s apart), short ones every pass.
 * On the standby unit, records are injected into the same context's
 * namespace at once: the standby's kernel already holds the connections when it takes over, nothing is committed
 * at takeover.
 *
 * Bulk: a joining standby (FSM Bulk Sync) or `clear failover ha` asks with
 * BULK_REQ {group mask}; the active unit sends every context of those
 * groups (the standby flushes its copy first, so nothing stale survives)
 * and closes each group with a group-done marker, which the requester
 * reports through ops->bulk_done.
 *
 * Bulks and periodic updates are table passes that never block the loop:
 * the kernel dump is read in slices of STEP_ENTRIES (about 8 ms of loop
 * time each), encoded straight into STATE messages, and a pass waits
 * while our transmit queue holds more than a few messages (the link is
 * slower than the dump); repl_state_writable() or the drain timer resume
 * it.  Kernel events keep flowing meanwhile (an entry seen by both is
 * create-or-update on the mate).  Without a loop (tests) a pass runs to
 * its end at once.
 *
 * Wire: one STATE message per batch.  Its first record, of object type
 * FO_OBJ_ENVELOPE, is
 *   version 2, kind (1 conntrack, 2 neighbour, 3 group done),
 *   batch flags (REPL_BATCH_*), group, name length, context name;
 * the other records are repl_ct
 * records (FO_OBJ_TCP_CONN / FO_OBJ_UDP_CONN) or repl_arp records
 * (FO_OBJ_ARP).  Nothing is trusted: a bad envelope, an unknown context or
 * a malformed record is dropped and counted (rerr).
 *
 * Loss is never silent: a send that fails (no link, queue over its limit)
 * counts xerr per record; kernel event overruns count xerr and schedule a
 * bulk of that context; records that do not decode or install count rerr.
 * The next bulk or periodic update repairs all of them.  When the link's
 * queue is full (-ENOBUFS) batches wait in our own transmit queue (the
 * "Xmit Q" of `show failover`) and are retried.
 */
#ifndef MCTX_REPL_STATE_H
#define MCTX_REPL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "failover/fo_wire.h"
#include "system/sys_buf.h"

struct ev_loop;
struct repl_state;

/* Rows of "Stateful Failover Logical Update Statistics". */
enum repl_obj {
	REPL_OBJ_GENERAL,       /* every logical update, all rows together */
	REPL_OBJ_SYS_CMD,       /* replicated commands and config sync */
	REPL_OBJ_UP_TIME,
	REPL_OBJ_RPC,
	REPL_OBJ_TCP,
	REPL_OBJ_UDP,           /* UDP and ICMP entries */
	REPL_OBJ_ARP,
	REPL_OBJ_XLATE_TIMEOUT,
	REPL_OBJ_MAX
};

struct repl_obj_stats {
	uint64_t xmit, xerr, rcv, rerr;
};

struct repl_queue_stats {
	uint64_t cur, max, total;
};

struct repl_state_stats {
	struct repl_obj_stats obj[REPL_OBJ_MAX];   /* TCP, UDP, ARP here */
	struct repl_queue_stats recv_q, xmit_q;
	uint64_t msg_bad;             /* messages dropped whole */
	uint64_t bulk_sent, bulk_received, bulk_requested;
	uint64_t events_lost;         /* kernel event overruns */
	uint64_t resyncs;             /* bulks scheduled after a loss */
};

/* Per context, for `show failover statistics`. */
struct repl_ctx_stats {
	int group;
	bool open;                    /* kernel tables reachable */
	uint64_t conn_xmit, conn_rcv, conn_err;
	uint64_t arp_xmit, arp_rcv, arp_err;
	uint64_t bulk_sent, bulk_received;
	uint64_t events_lost;
	uint64_t refreshes;
};

struct repl_state_ops {
	/* Queues m for the mate: 0, -ENOTCONN, -ENOBUFS (retried later),
	 * -EINVAL. */
	int (*send)(void *arg, struct fo_wire_msg *m);
	/* Every context of GROUP arrived after our BULK_REQ. */
	void (*bulk_done)(void *arg, int group);
};

/* Default update interval (seconds) and its bounds. */
#define REPL_UPDATE_DEFAULT_S 10
#define REPL_UPDATE_MIN_S 1
#define REPL_UPDATE_MAX_S 3600
/* Transmit queue limit (bytes); beyond it batches are dropped (xerr). */
#define REPL_XMIT_QUEUE_MAX (512u * 1024 * 1024)

/* loop may be NULL (tests): then call repl_state_poll/tick yourself. */
int repl_state_create(struct ev_loop *loop, const struct repl_state_ops *ops,
		      void *arg, struct repl_state **out);
void repl_state_destroy(struct repl_state *rs);

/* Contexts.  netns: the namespace's name under /var/run/netns.  add
 * opens the tables and subscribes to their events; 0 or -errno (the
 * context is still tracked, counted as not open). */
int repl_state_ctx_add(struct repl_state *rs, const char *name,
		       const char *netns, int group);
void repl_state_ctx_remove(struct repl_state *rs, const char *name);
bool repl_state_ctx_known(const struct repl_state *rs, const char *name);
int repl_state_ctx_set_group(struct repl_state *rs, const char *name,
			     int group);
size_t repl_state_ctx_count(const struct repl_state *rs);
/* i-th context name (0..count-1), NULL past the end. */
const char *repl_state_ctx_name(const struct repl_state *rs, size_t i);

/* The group's role on this unit (events are sent only where active). */
void repl_state_set_group_active(struct repl_state *rs, int group, bool active);
/* `replication http` of the group. */
void repl_state_set_http(struct repl_state *rs, int group, bool on);
/* Seconds between periodic updates of every entry; -EINVAL out of range. */
int repl_state_set_update_interval(struct repl_state *rs, unsigned seconds);
unsigned repl_state_update_interval(const struct repl_state *rs);

void repl_state_mate_up(struct repl_state *rs);
void repl_state_mate_down(struct repl_state *rs);

/* A STATE or BULK_REQ frame from the mate.  0, or -EBADMSG / -ENOENT for
 * what was dropped (counted). */
int repl_state_recv(struct repl_state *rs, const struct fo_wire_msg *m);

/* Standby side: asks the mate for every context of the groups in mask
 * (bit 0 = group 1).  Active side: sends them (flushes the mate's copy
 * first), then the group-done markers.  0 or -errno. */
int repl_state_request_bulk(struct repl_state *rs, unsigned group_mask);
int repl_state_send_bulk(struct repl_state *rs, unsigned group_mask);

/* Without a loop: read pending kernel events of every context and send
 * them; run the periodic update and the transmit queue.  now_ms is
 * monotonic.  Return the number of events read / 0, or -errno. */
int repl_state_poll(struct repl_state *rs);
int repl_state_tick(struct repl_state *rs, uint64_t now_ms);
/* Sends what waits in the transmit queue; the count left. */
size_t repl_state_drain(struct repl_state *rs);
/* The link's state channel has room again (fo_link on_writable): drains
 * the queue and resumes table passes. */
void repl_state_writable(struct repl_state *rs);

const struct repl_state_stats *repl_state_get_stats(const struct repl_state *rs);
int repl_state_get_ctx_stats(const struct repl_state *rs, const char *name,
			     struct repl_ctx_stats *out);
void repl_state_clear_stats(struct repl_state *rs);
const char *repl_obj_name(enum repl_obj o);

#endif
