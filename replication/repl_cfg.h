/*
 * repl_cfg: configuration replication between the two units of a pair
 * (../shared/seeds/003: "Device Initialization and Configuration
 * Synchronization", "Command Replication", `write standby`).
 *
 * Three jobs, all over the failover link's CONFIG channel:
 *
 *  1. Configuration sync.  The unit whose configuration is the pair's sends
 *     its running configuration: CFG_SYNC_BEGIN, one or more CFG_SYNC_CHUNK
 *     per text (the system space first, context "" on the wire, then each
 *     context), the files named by `config-url` as FILE_CHUNKs, and
 *     CFG_SYNC_END with the chunk count and the MD5 of all chunk data in
 *     order.  The receiver applies nothing before END checks out, then
 *     replaces its running configuration (never its flash: the received
 *     configuration lives in running memory until `write memory`) and
 *     writes the files.  A joining unit asks for a sync with
 *     repl_cfg_request_sync() (a CFG_REQ message) and reports progress
 *     through the ops (config_received, then files_received) so its
 *     failover FSM walks Sync Config -> Sync File System -> Bulk Sync.
 *     `write standby` sends the same thing unasked (one context when typed
 *     inside a context).  The unit's own `failover lan unit` is never sent
 *     nor overwritten.
 *
 *     Applying is chunked, so hellos, the console and the state channel
 *     keep being served: one bounded step per event-loop turn (releasing
 *     one context's interfaces, replaying one context block of the system
 *     space, applying one context, writing one file), the owner calling
 *     repl_cfg_apply_step() each time ops->defer asks for it.
 *     config_received is called only after the last context is applied,
 *     so the FSM stays in Sync Config until then.  While a sync is
 *     applied, our hellos carry no digests (nothing to compare yet).
 *
 *  2. Command replication.  repl_cfg_executed() is the unit's exec hook:
 *     a command whose row has CLI_F_REPLICATE or CLI_F_FILE and succeeded
 *     is sent to the mate when this unit is active for it (a context: its
 *     failover group; the system space and the admin context: group 1).
 *     Elsewhere it stays local and the console gets ASA's warning
 *     (REPL_CFG_STANDBY_WARNING).  A sub-mode command travels with the
 *     line that entered its sub-mode: a pair of CFG_CMD messages whose
 *     cmd_seq is odd for the mode line ("more follows") and even for the
 *     command; the mate re-enters the mode, runs the command in its
 *     replay session (running configuration only) and answers with an
 *     ACK {channel CONFIG, cum_seq = the even cmd_seq}, which times the
 *     round trip.  The ACK says the command is in the mate's running
 *     configuration: it goes before any kernel work.  The context is only
 *     marked for a kernel apply, which runs once the mate's commands
 *     pause for REPL_CFG_APPLY_QUIET_MS (or REPL_CFG_APPLY_MAX_MS after
 *     the first one left unapplied, during a long paste), so a burst
 *     costs a handful of nftables loads instead of one per line, and no
 *     ACK waits behind one.  Marked contexts are applied at once when
 *     the mate goes away or their group turns active here (a takeover
 *     never runs on a stale kernel).  A kernel apply that fails is logged
 *     (930207) and counted (kernel_apply_err, in rerr).  A CFG_CMD with cmd_seq 0 and text REPL_CFG_REQ_SYNC is
 *     the sync request of units before CFG_REQ existed: still honoured.
 *     Commands typed on a unit that is receiving or applying a sync, and
 *     commands from the mate that arrive during one, are queued and run
 *     again after the sync is applied (ASA 709008), never lost: the
 *     operator is told so.
 *
 *  3. Digests.  Each hello carries the MD5 of every configuration body
 *     (the system space as REPL_CFG_SYSTEM_DIGEST); repl_cfg_mate_hello()
 *     compares them with ours.  A difference that outlives in-flight
 *     commands (two hellos and a second) marks the configuration as not
 *     synchronized, is logged (930201) and shown; `write standby` repairs
 *     it.  "Sync Done" is shown only while every digest matches.
 *
 * The module never touches the link: everything goes out through
 * struct repl_cfg_ops, so unit tests run two units in one process and
 * deliver the messages by hand.
 */
#ifndef MCTX_REPL_CFG_H
#define MCTX_REPL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "failover/fo_wire.h"
#include "system/cli.h"
#include "system/sys_buf.h"

struct unit;
struct repl_cfg;

#define REPL_CFG_STANDBY_WARNING \
	"**** WARNING **** Configuration Replication is NOT performed from " \
	"Standby unit to Active unit. Configurations are no longer " \
	"synchronized."
/* Text of a cmd_seq 0 CFG_CMD asking the mate for a full sync: what a
 * unit without FO_WT_CFG_REQ sends; accepted, never sent. */
#define REPL_CFG_REQ_SYNC "write standby"
/* Digest name of the system execution space in hellos (the wire wants a
 * non-empty name; ASA reserves "system" as a context name). */
#define REPL_CFG_SYSTEM_DIGEST "system"
/* Largest configuration sync accepted (all texts and files). */
#define REPL_CFG_SYNC_MAX (64u * 1024 * 1024)

struct repl_cfg_ops {
	/* Queues m for the mate: 0, -ENOTCONN, -ENOBUFS or -EINVAL. */
	int (*send)(void *arg, struct fo_wire_msg *m);
	/* Is there a mate to replicate to (failover on, mate heard)? */
	bool (*mate_present)(void *arg);
	/* A requested sync was applied / its files written (FSM events). */
	void (*config_received)(void *arg);
	void (*files_received)(void *arg);
	/* Optional: a line on every console ("Beginning configuration
	 * replication: Sending to mate."). */
	void (*notice)(void *arg, const char *text);
	/* Optional: monotonic milliseconds (tests drive time); NULL = clock. */
	uint64_t (*now_ms)(void *arg);
	/* Optional: a received sync has more to apply; call
	 * repl_cfg_apply_step() on a later loop turn.  NULL: the whole sync
	 * is applied at once when it arrives. */
	void (*defer)(void *arg);
	/* Optional: pushes a context's running configuration to its kernel
	 * namespace, 0 or -errno with msg filled; NULL = unit_context_apply
	 * (tests count the applies through it). */
	int (*apply)(void *arg, const char *ctx, struct buf *msg);
};

/* What `show failover state` says under "Configuration State". */
enum repl_cfg_sync_state {
	REPL_SYNC_DONE,        /* digests match (or no mate to compare with) */
	REPL_SYNC_SENDING,     /* a sync to the mate is being sent */
	REPL_SYNC_RECEIVING,   /* a sync from the mate is being received */
	REPL_SYNC_WAITING,     /* we asked for a sync, nothing came yet */
	REPL_SYNC_MISMATCH,    /* digests differ: not synchronized */
	REPL_SYNC_STATE_MAX
};

struct repl_cfg_stats {
	uint64_t cmd_tx, cmd_tx_err;     /* CFG_CMD sent / send failed */
	uint64_t cmd_rx, cmd_rx_err;     /* received / refused here */
	uint64_t cmd_acked;              /* ACKs from the mate */
	uint64_t cmd_local;              /* ran locally with the warning */
	uint64_t cmd_queued;             /* held during a sync, run after */
	uint64_t sync_tx, sync_tx_err;   /* syncs sent / aborted */
	uint64_t sync_rx, sync_rx_bad;   /* syncs applied / discarded */
	uint64_t sync_superseded;        /* applying one, a newer arrived */
	uint64_t apply_steps;            /* loop turns spent applying */
	uint64_t chunk_tx, chunk_rx;     /* CFG_SYNC_* and FILE_CHUNK frames */
	uint64_t files_tx, files_rx, file_err;
	uint64_t msg_bad;                /* malformed or unexpected frames */
	uint64_t mismatches;             /* times the digests diverged */
	uint64_t kernel_applies;         /* mate's commands: context applies */
	uint64_t kernel_apply_err;       /* ... that the kernel refused */
	uint64_t kernel_coalesced;       /* commands joining a pending apply */
	uint64_t kernel_apply_max_us;    /* the longest of those applies */
};

int repl_cfg_create(struct unit *u, const struct repl_cfg_ops *ops, void *arg,
		    struct repl_cfg **out);
void repl_cfg_destroy(struct repl_cfg *rc);

/* The mate came (digest state restarts) or went (a sync being received
 * is discarded, queued commands run now). */
void repl_cfg_mate_up(struct repl_cfg *rc);
void repl_cfg_mate_down(struct repl_cfg *rc);

/* A CONFIG-channel frame from the mate (CFG_CMD, CFG_SYNC_*, FILE_CHUNK)
 * or an ACK of channel CONFIG.  Returns 0, or -EBADMSG / -EPROTO for a
 * frame that was dropped (counted, logged, nothing applied). */
int repl_cfg_recv(struct repl_cfg *rc, const struct fo_wire_msg *m);

/* Joining unit: asks the mate for its whole configuration. */
int repl_cfg_request_sync(struct repl_cfg *rc);
/* Applies the next bounded piece of a received sync.  Returns true when
 * more remains (ops->defer was called again), false when the sync is
 * applied or none is pending. */
bool repl_cfg_apply_step(struct repl_cfg *rc);
/* Is a received sync being applied (contexts come and go meanwhile)? */
bool repl_cfg_applying(const struct repl_cfg *rc);
/* Sends the running configuration: ctx NULL = system space, every
 * context and their config-url files; else that context only.  Returns 0
 * or the first -errno of the send path (the sync is then abandoned). */
int repl_cfg_send_sync(struct repl_cfg *rc, const char *ctx);

/* The unit's exec hook (unit_set_exec_hook shape; arg = the repl_cfg). */
void repl_cfg_executed(void *arg, struct cli_session *s,
		       const struct cli_cmd *cmd, const char *line,
		       enum cli_status status);
/* Kernel work of the mate's commands (see above).  Quiet time and bound
 * of the coalescing, in milliseconds. */
#define REPL_CFG_APPLY_QUIET_MS 200
#define REPL_CFG_APPLY_MAX_MS 5000
/* Applies the marked contexts when their apply is due (force: now).
 * With a unit that has an event loop the module's own timer calls it;
 * without one (tests) the owner does. */
void repl_cfg_kernel_flush(struct repl_cfg *rc, bool force);
/* How many contexts wait for a kernel apply. */
size_t repl_cfg_kernel_pending(const struct repl_cfg *rc);

/* Would a command typed in ctx (NULL = system) be replicated from here? */
bool repl_cfg_replicates_from_here(struct repl_cfg *rc, const char *ctx);

/* Digests: ours into a hello, the mate's from one. */
void repl_cfg_hello_digests(struct repl_cfg *rc, struct fo_hello *h);
void repl_cfg_mate_hello(struct repl_cfg *rc, const struct fo_hello *h);
/* MD5 of the configuration body as exchanged (ctx NULL = system). */
int repl_cfg_digest(struct repl_cfg *rc, const char *ctx,
		    uint8_t md5[FO_MD5_LEN]);

enum repl_cfg_sync_state repl_cfg_sync_state(const struct repl_cfg *rc);
const char *repl_cfg_sync_state_name(enum repl_cfg_sync_state s);
/* "Sync Done", or the diverged names: "Config Mismatch: context1 system". */
void repl_cfg_format_state(const struct repl_cfg *rc, struct buf *out);
/* Is this configuration (ctx NULL = system) diverged from the mate's? */
bool repl_cfg_diverged(const struct repl_cfg *rc, const char *ctx);

const struct repl_cfg_stats *repl_cfg_get_stats(const struct repl_cfg *rc);
void repl_cfg_clear_stats(struct repl_cfg *rc);
/* Round trip of replicated commands (send to ACK), microseconds, over
 * the last REPL_CFG_LAT_SAMPLES; false when there is none yet. */
#define REPL_CFG_LAT_SAMPLES 4096
bool repl_cfg_latency(const struct repl_cfg *rc, uint64_t *p50_us,
		      uint64_t *p99_us, uint64_t *samples);

#endif
