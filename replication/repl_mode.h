/*
 * repl_mode: conntrack replication policies behind one ops struct
 * (conntrack-tools' sync_mode: init, kill, local, recv, enqueue, xmit).
 *
 *   bulk         full table on request only: on join, on `clear ... ha`
 *                (the IOS seed's `clear ip inspect ha sessions-all`) and
 *                after event loss; kernel events are ignored.
 *   incremental  bulk as above, plus every kernel event as it happens and
 *                a periodic refresh of every entry each refresh_s seconds
 *                (IOS `ip inspect redundancy update seconds`, default 10),
 *                so the mate's timeouts never run out under live entries.
 *
 * Both are transport-agnostic: records go out in batches through the
 * caller's send callback and batches from the mate come in through recv().
 * Batch = 8-byte header {version, kind, flags, reserved, count:u32be} then
 * `count` records of repl_ct_encode.  The caller (the failover link) frames,
 * orders and authenticates batches; a batch never exceeds batch_bytes.
 */
#ifndef MCTX_REPL_MODE_H
#define MCTX_REPL_MODE_H

#include <stddef.h>
#include <stdint.h>

#include "replication/repl_ct.h"

#define REPL_BATCH_VERSION 1
#define REPL_BATCH_HDR_LEN 8

enum repl_kind {
	REPL_KIND_CT = 1,         /* conntrack records (repl_ct codec) */
	REPL_KIND_ARP = 2,        /* neighbour records (repl_arp codec) */
};

/* Batch flags. */
enum {
	REPL_BATCH_BULK_BEGIN = 0x01,   /* first batch of a full sync */
	REPL_BATCH_BULK_END = 0x02,     /* last batch of a full sync */
	REPL_BATCH_BULK_REQUEST = 0x04, /* mate asks us for a full sync */
	REPL_BATCH_REFRESH = 0x08,      /* periodic refresh records */
};

/* Sends one batch to the mate; returns 0 or -errno. */
typedef int (*repl_send_fn)(void *arg, const void *batch, size_t len);

struct repl_mode_env {
	struct repl_ct *kernel;   /* this context: dumped when we send, injected
				   * into when the mate sends */
	repl_send_fn send;
	void *send_arg;
	size_t batch_bytes;       /* largest batch; 0 = 16 KB (>= 256) */
	unsigned refresh_s;       /* incremental refresh period; 0 = none */
};

struct repl_mode_stats {
	uint64_t tx_records, tx_batches, tx_err;  /* tx_err: send failures */
	uint64_t tx_encode_err;
	uint64_t rx_records, rx_batches;
	uint64_t rx_bad;          /* malformed batches or records dropped */
	uint64_t rx_inject_err;   /* flushes that left entries uninstalled */
	uint64_t bulk_sent;       /* full syncs sent */
	uint64_t bulk_received;   /* full syncs completed from the mate */
	uint64_t bulk_requests;   /* requests received */
	uint64_t refreshes;       /* periodic refresh passes */
};

struct repl_mode_state;

struct repl_mode {
	const char *name;
	/* Creates the policy's state for one context. */
	int (*init)(const struct repl_mode_env *env, struct repl_mode_state **out);
	void (*kill)(struct repl_mode_state *st);
	/* An event from our kernel (repl_ct_read_events callback shape). */
	int (*local)(struct repl_mode_state *st, const struct repl_ct_entry *e);
	/* A batch from the mate: records injected, requests answered.
	 * -EBADMSG/-EPROTO for a malformed batch (counted, nothing crashes;
	 * records before the bad one are kept). */
	int (*recv)(struct repl_mode_state *st, const void *batch, size_t len);
	/* Queues one record for the mate (sent when the batch fills). */
	int (*enqueue)(struct repl_mode_state *st, const struct repl_ct_entry *e);
	/* Sends whatever is queued. */
	int (*xmit)(struct repl_mode_state *st);
	/* Timer input (monotonic ms); the incremental refresh runs here. */
	int (*tick)(struct repl_mode_state *st, uint64_t now_ms);
	/* Sends the whole table (join, `clear ... ha`, after REPL_CT_LOST). */
	int (*resync)(struct repl_mode_state *st);
	/* Asks the mate for a full sync (the standby's side of `clear`). */
	int (*request)(struct repl_mode_state *st);
	const struct repl_mode_stats *(*stats)(const struct repl_mode_state *st);
};

extern const struct repl_mode repl_mode_bulk;
extern const struct repl_mode repl_mode_incremental;

/* "bulk" or "incremental"; NULL if unknown. */
const struct repl_mode *repl_mode_find(const char *name);

#endif
