/*
 * repl_mode: the bulk and incremental conntrack replication policies.
 *
 * Both share batching, receiving and full sync; they differ in what they
 * do with kernel events (local) and with time (tick).  Which one runs is a
 * table lookup; nothing outside knows which.
 */
#include "replication/repl_mode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "system/sys_buf.h"
#include "system/sys_log.h"

#define DEFAULT_BATCH_BYTES (16 * 1024)
#define MIN_BATCH_BYTES 256

struct repl_mode_state {
	struct repl_mode_env env;
	const struct repl_mode *mode;
	struct buf tx;            /* batch being filled: header + records */
	uint32_t tx_count;
	uint8_t tx_flags;         /* flags of the batch being filled */
	uint8_t dump_op;          /* op given to dumped entries */
	uint64_t next_refresh_ms; /* 0: not scheduled yet */
	struct repl_mode_stats stats;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void tx_start(struct repl_mode_state *st)
{
	uint8_t hdr[REPL_BATCH_HDR_LEN] = { REPL_BATCH_VERSION, REPL_KIND_CT };
	buf_reset(&st->tx);
	buf_add(&st->tx, hdr, sizeof hdr);
	st->tx_count = 0;
}

/* Sends the batch being filled with FLAGS added; an empty batch goes out
 * only when it carries a flag (a bulk marker or request). */
static int tx_send(struct repl_mode_state *st, uint8_t flags)
{
	flags |= st->tx_flags;
	if (st->tx_count == 0 && !flags)
		return 0;
	uint8_t *h = (uint8_t *)st->tx.data;
	h[2] = flags;
	put_be32(h + 4, st->tx_count);
	int rc = st->env.send(st->env.send_arg, st->tx.data, st->tx.len);
	if (rc)
		st->stats.tx_err++;
	else {
		st->stats.tx_batches++;
		st->stats.tx_records += st->tx_count;
	}
	st->tx_flags = 0;
	tx_start(st);
	return rc;
}

static int mode_init(const struct repl_mode *mode,
		     const struct repl_mode_env *env, struct repl_mode_state **out)
{
	*out = NULL;
	if (!env->kernel || !env->send)
		return -EINVAL;
	struct repl_mode_state *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->env = *env;
	if (!st->env.batch_bytes)
		st->env.batch_bytes = DEFAULT_BATCH_BYTES;
	if (st->env.batch_bytes < MIN_BATCH_BYTES) {
		free(st);
		return -EINVAL;
	}
	st->mode = mode;
	buf_init(&st->tx);
	tx_start(st);
	*out = st;
	return 0;
}

static int bulk_init(const struct repl_mode_env *env, struct repl_mode_state **out)
{
	return mode_init(&repl_mode_bulk, env, out);
}

static int incr_init(const struct repl_mode_env *env, struct repl_mode_state **out)
{
	return mode_init(&repl_mode_incremental, env, out);
}

static void mode_kill(struct repl_mode_state *st)
{
	if (!st)
		return;
	buf_free(&st->tx);
	free(st);
}

static int mode_enqueue(struct repl_mode_state *st, const struct repl_ct_entry *e)
{
	/* Send first if the largest record might not fit. */
	if (st->tx.len + REPL_CT_RECORD_MAX > st->env.batch_bytes) {
		int rc = tx_send(st, 0);
		if (rc)
			return rc;
	}
	int rc = repl_ct_encode(e, &st->tx);
	if (rc) {
		st->stats.tx_encode_err++;
		return rc;
	}
	st->tx_count++;
	return 0;
}

static int mode_xmit(struct repl_mode_state *st)
{
	return tx_send(st, 0);
}

static int dump_enqueue(void *arg, const struct repl_ct_entry *e)
{
	struct repl_mode_state *st = arg;
	struct repl_ct_entry copy = *e;
	copy.op = st->dump_op;
	return mode_enqueue(st, &copy);
}

/* Dumps our table to the mate; FIRST/LAST flags mark the pass. */
static int send_table(struct repl_mode_state *st, uint8_t op,
		      uint8_t first, uint8_t last)
{
	int rc = tx_send(st, 0);       /* what was queued goes before */
	if (rc)
		return rc;
	st->tx_flags = first;
	st->dump_op = op;
	int n = repl_ct_dump(st->env.kernel, dump_enqueue, st);
	int src = tx_send(st, last);
	if (n < 0)
		return n;
	return src ? src : n;
}

static int mode_resync(struct repl_mode_state *st)
{
	mlog(MSG_930105, "%s replication: sending the whole connection table",
	     st->mode->name);
	int n = send_table(st, REPL_CT_NEW, REPL_BATCH_BULK_BEGIN,
			   REPL_BATCH_BULK_END);
	if (n >= 0) {
		st->stats.bulk_sent++;
		mlog(MSG_930106, "%s replication: bulk sync sent, %d connections",
		     st->mode->name, n);
	}
	return n < 0 ? n : 0;
}

static int mode_request(struct repl_mode_state *st)
{
	int rc = tx_send(st, 0);
	return rc ? rc : tx_send(st, REPL_BATCH_BULK_REQUEST);
}

static int mode_recv(struct repl_mode_state *st, const void *batch, size_t len)
{
	const uint8_t *b = batch;
	if (!b || len < REPL_BATCH_HDR_LEN) {
		st->stats.rx_bad++;
		return -EBADMSG;
	}
	if (b[0] != REPL_BATCH_VERSION || b[1] != REPL_KIND_CT) {
		st->stats.rx_bad++;
		return -EPROTO;
	}
	uint8_t flags = b[2];
	uint32_t count = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
			 (uint32_t)b[6] << 8 | b[7];
	st->stats.rx_batches++;
	if (flags & REPL_BATCH_BULK_BEGIN)
		mlog(MSG_930105, "%s replication: receiving a bulk sync from the mate",
		     st->mode->name);

	size_t off = REPL_BATCH_HDR_LEN;
	uint32_t got = 0;
	int bad = 0;
	while (off < len) {
		struct repl_ct_entry e;
		int n = repl_ct_decode(b + off, len - off, &e);
		if (n < 0) {
			bad = n;
			break;
		}
		off += (size_t)n;
		got++;
		if (repl_ct_inject(st->env.kernel, &e) < 0)
			st->stats.rx_inject_err++;
	}
	if (repl_ct_inject_flush(st->env.kernel))
		st->stats.rx_inject_err++;
	st->stats.rx_records += got;
	if (!bad && got != count)
		bad = -EBADMSG;
	if (bad) {
		st->stats.rx_bad++;
		mlog(MSG_930104, "%s replication: malformed batch (%u of %u records read): %s",
		     st->mode->name, got, count, strerror(-bad));
		return bad;
	}
	if (flags & REPL_BATCH_BULK_END) {
		st->stats.bulk_received++;
		mlog(MSG_930106, "%s replication: bulk sync from the mate complete",
		     st->mode->name);
	}
	if (flags & REPL_BATCH_BULK_REQUEST) {
		st->stats.bulk_requests++;
		return mode_resync(st);
	}
	return 0;
}

static const struct repl_mode_stats *mode_stats(const struct repl_mode_state *st)
{
	return &st->stats;
}

/* Bulk: kernel events are not replicated one by one. */
static int bulk_local(struct repl_mode_state *st, const struct repl_ct_entry *e)
{
	(void)st;
	(void)e;
	return 0;
}

static int bulk_tick(struct repl_mode_state *st, uint64_t now_ms)
{
	(void)st;
	(void)now_ms;
	return 0;
}

static int incr_local(struct repl_mode_state *st, const struct repl_ct_entry *e)
{
	return mode_enqueue(st, e);
}

/* Every refresh_s seconds every live entry is sent again as an update:
 * conntrack sends no event when a packet merely extends a timeout, so
 * without this the mate's copy of a quiet UDP flow would expire. */
static int incr_tick(struct repl_mode_state *st, uint64_t now_ms)
{
	if (!st->env.refresh_s)
		return 0;
	uint64_t period = (uint64_t)st->env.refresh_s * 1000;
	if (!st->next_refresh_ms) {
		st->next_refresh_ms = now_ms + period;
		return 0;
	}
	if (now_ms < st->next_refresh_ms)
		return 0;
	st->next_refresh_ms = now_ms + period;
	st->stats.refreshes++;
	int n = send_table(st, REPL_CT_UPDATE, REPL_BATCH_REFRESH,
			   REPL_BATCH_REFRESH);
	return n < 0 ? n : 0;
}

const struct repl_mode repl_mode_bulk = {
	.name = "bulk",
	.init = bulk_init,
	.kill = mode_kill,
	.local = bulk_local,
	.recv = mode_recv,
	.enqueue = mode_enqueue,
	.xmit = mode_xmit,
	.tick = bulk_tick,
	.resync = mode_resync,
	.request = mode_request,
	.stats = mode_stats,
};

const struct repl_mode repl_mode_incremental = {
	.name = "incremental",
	.init = incr_init,
	.kill = mode_kill,
	.local = incr_local,
	.recv = mode_recv,
	.enqueue = mode_enqueue,
	.xmit = mode_xmit,
	.tick = incr_tick,
	.resync = mode_resync,
	.request = mode_request,
	.stats = mode_stats,
};

const struct repl_mode *repl_mode_find(const char *name)
{
	static const struct repl_mode *const modes[] = {
		&repl_mode_bulk, &repl_mode_incremental,
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (name && !strcmp(modes[i]->name, name))
			return modes[i];
	return NULL;
}
