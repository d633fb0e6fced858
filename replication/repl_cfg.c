/*
 * repl_cfg: configuration sync, command replication and digests.  See
 * repl_cfg.h for the protocol; this file keeps the order of the seed:
 * sending a sync, receiving and applying one, commands, digests.
 */
#include "replication/repl_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/flash.h"
#include "system/sys_config.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"
#include "contexts/ctx_config.h"

#define PENDING_MAX 1024          /* commands awaiting the mate's ACK */
#define QUIET_MS 1000             /* no command for this long: compare */
#define DIVERGE_HELLOS 2          /* mismatching hellos before we say so */

/* One text of a sync being received ("" = system space). */
struct rx_text {
	char name[FO_NAME_MAX + 1];
	struct buf text;
};

struct rx_file {
	char path[FO_PATH_MAX + 1];
	uint64_t total;
	struct buf data;
};

struct rx_sync {
	bool active;
	uint32_t id;
	uint32_t n_contexts;
	uint64_t total_bytes, got_bytes;
	uint32_t chunks;
	struct buf all;               /* every chunk's data, for the MD5 */
	struct rx_text *texts;
	size_t ntexts;
	struct rx_file *files;
	size_t nfiles;
};

/* A verified sync being applied, one step per loop turn. */
enum apply_phase {
	AP_CHECK,       /* is the system space's text different? */
	AP_RELEASE,     /* hand back one context's interfaces (idx: next) */
	AP_SYSTEM,      /* replay one block of the system space (seg) */
	AP_CONTEXTS,    /* apply one context's text (idx: next text) */
	AP_FILES,       /* write one config-url file (idx: next file) */
};

struct apply_job {
	bool active;
	struct rx_sync s;
	enum apply_phase phase;
	size_t idx;
	const char *sys_text;         /* into s.texts; NULL: none sent */
	const char *seg;              /* next system block to replay */
	enum fo_unit_role lan_unit;
	int sys_failed;
	struct buf sys_report;
};

/* A command held while a sync is received. */
struct held_cmd {
	bool from_mate;
	uint64_t seq;                 /* from_mate: the mate's cmd_seq */
	char *ctx;                    /* NULL = system */
	char *entry;                  /* typed: the sub-mode line, or NULL */
	char *line;
};

struct digest_track {
	char name[FO_NAME_MAX + 1];
	bool mismatch;
	unsigned hellos;              /* consecutive mismatching hellos */
	uint64_t since_ms;
	bool diverged;                /* reported */
};

/* A context whose running configuration has commands of the mate its
 * kernel does not have yet. */
struct kernel_mark {
	char name[FO_NAME_MAX + 1];
};

struct pending_ack {
	uint64_t seq;
	uint64_t sent_us;
};

struct repl_cfg {
	struct unit *u;
	struct repl_cfg_ops ops;
	void *arg;
	struct cli_session *rx;       /* runs the mate's commands */
	bool rx_in_cmd;               /* last frame was a mode line */
	uint64_t next_seq;            /* even; odd = mode line */
	struct pending_ack pend[PENDING_MAX];
	size_t pend_head, pend_len;
	uint64_t lat_us[REPL_CFG_LAT_SAMPLES];
	size_t lat_len, lat_pos;
	uint64_t last_cmd_ms;
	struct rx_sync rs;
	struct apply_job ap;
	bool join_pending;
	bool sending;
	uint32_t next_sync_id;
	struct held_cmd *held;
	size_t nheld;
	struct digest_track *dig;
	size_t ndig;
	/* Kernel applies owed for the mate's commands (coalesced). */
	struct kernel_mark *marks;
	size_t nmarks;
	uint64_t marked_ms;           /* the oldest unapplied command */
	uint64_t mate_cmd_ms;         /* the newest command of the mate */
	struct ev_timer *kernel_timer;   /* NULL: the owner flushes */
	struct repl_cfg_stats stats;
};

static const char *const sync_state_names[REPL_SYNC_STATE_MAX] = {
	[REPL_SYNC_DONE] = "Sync Done",
	[REPL_SYNC_SENDING] = "Config Syncing - ACTIVE",
	[REPL_SYNC_RECEIVING] = "Config Syncing - STANDBY",
	[REPL_SYNC_WAITING] = "Config Sync Requested - STANDBY",
	[REPL_SYNC_MISMATCH] = "Config Mismatch",
};
_Static_assert(sizeof sync_state_names / sizeof sync_state_names[0] ==
	       REPL_SYNC_STATE_MAX, "a name per sync state");

const char *repl_cfg_sync_state_name(enum repl_cfg_sync_state s)
{
	return s < REPL_SYNC_STATE_MAX ? sync_state_names[s] : "?";
}

static uint64_t now_ms(struct repl_cfg *rc)
{
	return rc->ops.now_ms ? rc->ops.now_ms(rc->arg) : ev_now_us() / 1000;
}

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static void notice(struct repl_cfg *rc, const char *text)
{
	if (rc->ops.notice)
		rc->ops.notice(rc->arg, text);
}

static bool mate_present(struct repl_cfg *rc)
{
	return rc->ops.mate_present && rc->ops.mate_present(rc->arg);
}

static int send_msg(struct repl_cfg *rc, struct fo_wire_msg *m)
{
	return rc->ops.send ? rc->ops.send(rc->arg, m) : -ENOTCONN;
}

/* ------------------------------------------------------------------ */
/* the texts that travel                                               */

/* A unit's own `failover lan unit` is per unit (the seed: never
 * replicated), so it is neither sent nor part of the digest. */
static bool per_unit_line(const char *line, size_t len)
{
	static const char prefix[] = "failover lan unit ";
	return len >= sizeof prefix - 1 &&
	       memcmp(line, prefix, sizeof prefix - 1) == 0;
}

static void system_text(struct repl_cfg *rc, struct buf *out)
{
	struct buf all;
	buf_init(&all);
	sys_config_write(unit_sysconfig(rc->u), MCTX_VERSION,
			 SYS_WRITE_SECRETS | SYS_WRITE_BODY, &all);
	const char *p = all.data ? all.data : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (!per_unit_line(p, len))
			buf_add(out, p, len);
		p += len;
	}
	buf_free(&all);
}

/* 0, or -ENOENT when the context does not exist here. */
static int context_text(struct repl_cfg *rc, const char *ctx, struct buf *out)
{
	struct ctx_config *cc = unit_ctxconfig(rc->u, ctx);
	if (!cc)
		return -ENOENT;
	ctx_config_write(cc, MCTX_VERSION, CTX_WRITE_BODY, out);
	return 0;
}

static void md5_bytes(const char *text, size_t len, uint8_t md5[FO_MD5_LEN])
{
	char hex[33];
	sys_config_md5(text ? text : "", len, hex);
	for (int i = 0; i < FO_MD5_LEN; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v = v * 16 + (unsigned)(c <= '9' ? c - '0' :
						(c | 0x20) - 'a' + 10);
		}
		md5[i] = (uint8_t)v;
	}
}

int repl_cfg_digest(struct repl_cfg *rc, const char *ctx,
		    uint8_t md5[FO_MD5_LEN])
{
	struct buf t;
	int rc2 = 0;
	buf_init(&t);
	if (ctx)
		rc2 = context_text(rc, ctx, &t);
	else
		system_text(rc, &t);
	if (rc2 == 0)
		md5_bytes(t.data, t.len, md5);
	buf_free(&t);
	return rc2;
}

/* ------------------------------------------------------------------ */
/* create / destroy                                                    */

static void on_kernel_timer(struct ev_loop *loop, struct ev_timer *t,
			    void *arg)
{
	repl_cfg_kernel_flush(arg, false);
}

int repl_cfg_create(struct unit *u, const struct repl_cfg_ops *ops, void *arg,
		    struct repl_cfg **out)
{
	*out = NULL;
	if (!u || !ops || !ops->send || !ops->mate_present)
		return -EINVAL;
	struct repl_cfg *rc = calloc(1, sizeof *rc);
	if (!rc)
		return -ENOMEM;
	rc->u = u;
	rc->ops = *ops;
	rc->arg = arg;
	rc->next_seq = 2;
	rc->rx = unit_session_create(u, false);
	if (unit_loop(u))
		rc->kernel_timer = ev_timer_create(unit_loop(u), on_kernel_timer,
						   rc);
	/* Loading: the mate's commands never come back through the exec
	 * hook (no echo), and kernel work is ours to trigger. */
	cli_set_loading(rc->rx, true);
	buf_init(&rc->rs.all);
	*out = rc;
	return 0;
}

static void rx_sync_reset(struct rx_sync *rs)
{
	for (size_t i = 0; i < rs->ntexts; i++)
		buf_free(&rs->texts[i].text);
	free(rs->texts);
	for (size_t i = 0; i < rs->nfiles; i++)
		buf_free(&rs->files[i].data);
	free(rs->files);
	buf_free(&rs->all);
	memset(rs, 0, sizeof *rs);
	buf_init(&rs->all);
}

static void held_free(struct repl_cfg *rc)
{
	for (size_t i = 0; i < rc->nheld; i++) {
		free(rc->held[i].ctx);
		free(rc->held[i].entry);
		free(rc->held[i].line);
	}
	free(rc->held);
	rc->held = NULL;
	rc->nheld = 0;
}

static void apply_free(struct apply_job *ap);

void repl_cfg_destroy(struct repl_cfg *rc)
{
	if (!rc)
		return;
	rx_sync_reset(&rc->rs);
	buf_free(&rc->rs.all);
	apply_free(&rc->ap);
	held_free(rc);
	free(rc->dig);
	free(rc->marks);
	if (rc->kernel_timer)
		ev_timer_destroy(rc->kernel_timer);
	cli_session_destroy(rc->rx);
	free(rc);
}

/* ------------------------------------------------------------------ */
/* sending a sync                                                      */

struct sync_tx {
	struct repl_cfg *rc;
	uint32_t id;
	uint32_t chunks;
	struct buf all;
	int err;
};

static void tx_chunks(struct sync_tx *tx, const char *name, const struct buf *t)
{
	size_t off = 0;
	do {
		size_t n = t->len - off;
		if (n > FO_DATA_MAX)
			n = FO_DATA_MAX;
		struct fo_wire_msg m;
		fo_wire_msg_init(&m, FO_WT_CFG_SYNC_CHUNK);
		m.u.sync_chunk.sync_id = tx->id;
		snprintf(m.u.sync_chunk.context, sizeof m.u.sync_chunk.context,
			 "%s", name);
		m.u.sync_chunk.offset = (uint32_t)off;
		m.u.sync_chunk.data.data = (const uint8_t *)t->data + off;
		m.u.sync_chunk.data.len = n;
		if (!tx->err)
			tx->err = send_msg(tx->rc, &m);
		if (!tx->err) {
			buf_add(&tx->all, t->data ? t->data + off : "", n);
			tx->chunks++;
			tx->rc->stats.chunk_tx++;
		}
		off += n;
	} while (off < t->len && !tx->err);
}

static void tx_file(struct sync_tx *tx, const char *path, const struct buf *t)
{
	size_t off = 0;
	do {
		size_t n = t->len - off;
		if (n > FO_DATA_MAX)
			n = FO_DATA_MAX;
		struct fo_wire_msg m;
		fo_wire_msg_init(&m, FO_WT_FILE_CHUNK);
		snprintf(m.u.file_chunk.path, sizeof m.u.file_chunk.path, "%s",
			 path);
		m.u.file_chunk.offset = off;
		m.u.file_chunk.total_size = t->len;
		m.u.file_chunk.data.data = (const uint8_t *)t->data + off;
		m.u.file_chunk.data.len = n;
		if (!tx->err)
			tx->err = send_msg(tx->rc, &m);
		if (!tx->err)
			tx->rc->stats.chunk_tx++;
		off += n;
	} while (off < t->len && !tx->err);
	if (!tx->err)
		tx->rc->stats.files_tx++;
}

int repl_cfg_send_sync(struct repl_cfg *rc, const char *ctx)
{
	struct sys_config *sc = unit_sysconfig(rc->u);
	if (!mate_present(rc))
		return -ENOTCONN;
	if (ctx && !unit_ctxconfig(rc->u, ctx))
		return -ENOENT;

	struct sync_tx tx = { .rc = rc, .id = ++rc->next_sync_id };
	buf_init(&tx.all);
	rc->sending = true;
	notice(rc, "Beginning configuration replication: Sending to mate.");
	mlog(MSG_709003, "Beginning configuration replication: Sending to "
	     "mate (%s%s)", ctx ? "context " : "system and all contexts",
	     ctx ? ctx : "");

	/* The texts first, so the totals are known for BEGIN. */
	size_t ntexts = ctx ? 1 : 1 + sc->ncontexts;
	struct buf *texts = calloc(ntexts, sizeof *texts);
	const char **names = calloc(ntexts, sizeof *names);
	if (!texts || !names)
		abort();
	uint64_t total = 0;
	for (size_t i = 0; i < ntexts; i++) {
		buf_init(&texts[i]);
		if (ctx) {
			names[i] = ctx;
			context_text(rc, ctx, &texts[i]);
		} else if (i == 0) {
			names[i] = "";
			system_text(rc, &texts[i]);
		} else {
			names[i] = sc->contexts[i - 1].name;
			context_text(rc, names[i], &texts[i]);
		}
		total += texts[i].len;
	}

	struct fo_wire_msg m;
	fo_wire_msg_init(&m, FO_WT_CFG_SYNC_BEGIN);
	m.u.sync_begin.sync_id = tx.id;
	m.u.sync_begin.n_contexts = (uint32_t)(ctx ? 1 : sc->ncontexts);
	m.u.sync_begin.total_bytes = total;
	tx.err = send_msg(rc, &m);
	for (size_t i = 0; i < ntexts && !tx.err; i++)
		tx_chunks(&tx, names[i], &texts[i]);

	/* Sync File System: the files the contexts are loaded from. */
	for (size_t i = 0; !ctx && !tx.err && i < sc->ncontexts; i++) {
		const char *url = sc->contexts[i].config_url;
		struct buf file;
		if (!url[0])
			continue;
		buf_init(&file);
		if (flash_read(unit_flash(rc->u), url, &file) == 0)
			tx_file(&tx, url, &file);
		buf_free(&file);
	}

	if (!tx.err) {
		fo_wire_msg_init(&m, FO_WT_CFG_SYNC_END);
		m.u.sync_end.sync_id = tx.id;
		m.u.sync_end.n_chunks = tx.chunks;
		md5_bytes(tx.all.data, tx.all.len, m.u.sync_end.md5);
		tx.err = send_msg(rc, &m);
	}
	for (size_t i = 0; i < ntexts; i++)
		buf_free(&texts[i]);
	free(texts);
	free(names);
	buf_free(&tx.all);
	rc->sending = false;
	if (tx.err) {
		rc->stats.sync_tx_err++;
		mlog(MSG_709001, "FO replication failed: configuration sync "
		     "to the mate abandoned: %s", strerror(-tx.err));
		notice(rc, "Configuration replication to mate failed.");
		return tx.err;
	}
	rc->stats.sync_tx++;
	mlog(MSG_709004, "End Configuration Replication (ACT)");
	notice(rc, "End Configuration Replication to mate");
	return 0;
}

int repl_cfg_request_sync(struct repl_cfg *rc)
{
	struct fo_wire_msg m;
	fo_wire_msg_init(&m, FO_WT_CFG_REQ);
	m.u.cfg_req.kind = FO_CFG_REQ_SYNC;      /* context "": everything */
	rc->join_pending = true;
	int err = send_msg(rc, &m);
	if (err)
		mlog(MSG_709001, "FO replication failed: cannot ask the mate "
		     "for its configuration: %s", strerror(-err));
	return err;
}

/* ------------------------------------------------------------------ */
/* receiving and applying a sync                                       */

static int sync_bad(struct repl_cfg *rc, const char *why)
{
	rc->stats.sync_rx_bad++;
	mlog(MSG_930203, "configuration sync %u from the mate discarded: %s",
	     rc->rs.id, why);
	rx_sync_reset(&rc->rs);
	return -EBADMSG;
}

static bool text_has_context(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, "context ", 8) == 0 && strncmp(p + 8, name, nl) == 0 &&
		    (p[8 + nl] == '\n' || p[8 + nl] == '\0' || p[8 + nl] == '\r'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Applying a received sync.  The system space's running configuration
 * is replaced first (it creates the contexts), then each context's.
 * Contexts that stay keep their namespaces (their connections survive);
 * their interfaces are handed back first so the replayed
 * allocate-interface lines find them.  Every step is bounded: one
 * context released, one `context` block of the system space replayed,
 * one context applied, one file written. */

static bool same_text(const char *text, const struct buf *mine)
{
	uint8_t a[FO_MD5_LEN], b[FO_MD5_LEN];
	md5_bytes(mine->data, mine->len, a);
	md5_bytes(text, strlen(text), b);
	return memcmp(a, b, sizeof a) == 0;
}

/* The next block of a system text: up to the next top-level `context`
 * line (a block replayed alone behaves as in the whole text: a top-level
 * line leaves any sub-mode anyway). */
static const char *next_block(const char *p)
{
	for (const char *q = strchr(p, '\n'); q; q = strchr(q, '\n')) {
		q++;
		if (strncmp(q, "context ", 8) == 0)
			return q;
	}
	return p + strlen(p);
}

/* Hands back context i's interfaces; removes it when the new text has
 * no such context. */
static void release_context(struct repl_cfg *rc, size_t i)
{
	struct unit *u = rc->u;
	struct sys_context *x = &unit_sysconfig(u)->contexts[i];
	char name[SYS_NAME_MAX];
	struct buf msg;
	buf_init(&msg);
	snprintf(name, sizeof name, "%s", x->name);
	while (x->nallocs) {
		char phys[SYS_NAME_MAX];
		snprintf(phys, sizeof phys, "%s", x->allocs[x->nallocs - 1].phys);
		unit_context_release(u, name, phys, &msg);
		x->nallocs--;
	}
	if (!text_has_context(rc->ap.sys_text, name))
		unit_context_remove(u, name, &msg);
	buf_free(&msg);
}

static void replay_block(struct repl_cfg *rc)
{
	struct apply_job *ap = &rc->ap;
	struct sys_config *sc = unit_sysconfig(rc->u);
	const char *end = next_block(ap->seg);
	char *block = strndup(ap->seg, (size_t)(end - ap->seg));
	if (!block)
		abort();
	ap->sys_failed += unit_replay(rc->u, NULL, block, &ap->sys_report);
	sc->fo.lan_unit = ap->lan_unit;
	free(block);
	ap->seg = end;
}

static int apply_context(struct repl_cfg *rc, const char *name,
			 const char *text)
{
	struct unit *u = rc->u;
	struct ctx_config *cc = unit_ctxconfig(u, name);
	struct sys_context *x = sys_config_context(unit_sysconfig(u), name,
						   false);
	if (!cc || !x) {
		mlog(MSG_930204, "configuration of context %s from the mate: "
		     "no such context here", name);
		return -ENOENT;
	}
	struct buf mine, report;
	buf_init(&mine);
	ctx_config_write(cc, MCTX_VERSION, CTX_WRITE_BODY, &mine);
	bool same = same_text(text, &mine);
	buf_free(&mine);
	if (same)
		return 0;
	/* The interfaces come from the system space's allocations. */
	ctx_config_clear(cc);
	for (size_t i = 0; i < x->nallocs; i++)
		ctx_config_iface(cc, x->allocs[i].mapped[0] ?
				 x->allocs[i].mapped : x->allocs[i].phys, true);
	buf_init(&report);
	int failed = unit_replay(u, name, text, &report);
	if (failed)
		mlog(MSG_930204, "%d line(s) of context %s from the mate were "
		     "refused:\n%s", failed, name, report.data ? report.data : "");
	buf_free(&report);
	return failed;
}

static void run_held(struct repl_cfg *rc);

static void apply_free(struct apply_job *ap)
{
	rx_sync_reset(&ap->s);
	buf_free(&ap->s.all);
	buf_free(&ap->sys_report);
	memset(ap, 0, sizeof *ap);
}

/* Takes over the sync just verified in rc->rs. */
static void apply_begin(struct repl_cfg *rc)
{
	struct apply_job *ap = &rc->ap;
	if (ap->active) {
		rc->stats.sync_superseded++;
		mlog(MSG_930203, "configuration sync %u from the mate superseded "
		     "by sync %u before it was applied", ap->s.id, rc->rs.id);
		apply_free(ap);
	}
	ap->s = rc->rs;               /* the buffers move with it */
	memset(&rc->rs, 0, sizeof rc->rs);
	buf_init(&rc->rs.all);
	ap->active = true;
	ap->phase = AP_CHECK;
	buf_init(&ap->sys_report);
	for (size_t i = 0; i < ap->s.ntexts; i++)
		if (!ap->s.texts[i].name[0])
			ap->sys_text = ap->s.texts[i].text.data ?
				       ap->s.texts[i].text.data : "";
}

static void apply_finish(struct repl_cfg *rc)
{
	struct apply_job *ap = &rc->ap;
	bool join = rc->join_pending;
	rc->join_pending = false;
	rc->stats.sync_rx++;
	mlog(MSG_709006, "End Configuration Replication (STB): %zu text(s), "
	     "%zu file(s)", ap->s.ntexts, ap->s.nfiles);
	/* Done before the FSM hears of it: its Bulk Sync wants the contexts
	 * as applied. */
	apply_free(ap);
	rc->last_cmd_ms = now_ms(rc);
	run_held(rc);
	if (join && rc->ops.files_received)
		rc->ops.files_received(rc->arg);
}

/* One bounded piece of work; false once the sync is applied. */
static bool apply_one(struct repl_cfg *rc)
{
	struct apply_job *ap = &rc->ap;
	struct sys_config *sc = unit_sysconfig(rc->u);
	rc->stats.apply_steps++;
	switch (ap->phase) {
	case AP_CHECK: {
		ap->phase = AP_CONTEXTS;
		ap->idx = 0;
		if (!ap->sys_text)
			return true;
		struct buf mine;
		buf_init(&mine);
		system_text(rc, &mine);
		bool same = same_text(ap->sys_text, &mine);
		buf_free(&mine);
		if (same)
			return true;
		ap->lan_unit = sc->fo.lan_unit;
		ap->phase = AP_RELEASE;
		ap->idx = sc->ncontexts;
		return true;
	}
	case AP_RELEASE:
		if (ap->idx > sc->ncontexts)
			ap->idx = sc->ncontexts;
		if (ap->idx > 0) {
			release_context(rc, --ap->idx);
			return true;
		}
		/* Cleared and the first block replayed in the same turn: no
		 * turn ever sees an empty system space. */
		sys_config_clear(sc);
		sc->fo.lan_unit = ap->lan_unit;
		ap->seg = ap->sys_text;
		ap->phase = AP_SYSTEM;
		/* fall through */
	case AP_SYSTEM:
		if (*ap->seg)
			replay_block(rc);
		if (*ap->seg)
			return true;
		if (ap->sys_failed)
			mlog(MSG_930204, "%d line(s) of the system configuration "
			     "from the mate were refused:\n%s", ap->sys_failed,
			     ap->sys_report.data ? ap->sys_report.data : "");
		ap->phase = AP_CONTEXTS;
		ap->idx = 0;
		return true;
	case AP_CONTEXTS:
		while (ap->idx < ap->s.ntexts && !ap->s.texts[ap->idx].name[0])
			ap->idx++;
		if (ap->idx < ap->s.ntexts) {
			struct rx_text *t = &ap->s.texts[ap->idx++];
			apply_context(rc, t->name, t->text.data ? t->text.data : "");
			return true;
		}
		/* Every configuration is in: the FSM leaves Sync Config. */
		if (rc->join_pending && rc->ops.config_received)
			rc->ops.config_received(rc->arg);
		ap->phase = AP_FILES;
		ap->idx = 0;
		return true;
	case AP_FILES:
		if (ap->idx < ap->s.nfiles) {
			struct rx_file *f = &ap->s.files[ap->idx++];
			int err = flash_write(unit_flash(rc->u), f->path,
					      f->data.data ? f->data.data : "",
					      f->data.len);
			if (err) {
				rc->stats.file_err++;
				mlog(MSG_930204, "file %s from the mate not "
				     "written: %s", f->path,
				     flash_last_error(unit_flash(rc->u)));
			} else {
				rc->stats.files_rx++;
				mlog(MSG_930205, "file %s received from the mate "
				     "(%zu bytes)", f->path, f->data.len);
			}
			return true;
		}
		apply_finish(rc);
		return false;
	}
	return false;
}

bool repl_cfg_apply_step(struct repl_cfg *rc)
{
	if (!rc->ap.active)
		return false;
	if (!apply_one(rc))
		return false;
	if (rc->ops.defer) {
		rc->ops.defer(rc->arg);
		return true;
	}
	while (apply_one(rc))
		;
	return false;
}

bool repl_cfg_applying(const struct repl_cfg *rc)
{
	return rc->ap.active;
}

static int recv_begin(struct repl_cfg *rc, const struct fo_cfg_sync_begin *b)
{
	if (rc->rs.active)
		sync_bad(rc, "a new sync began before the previous one ended");
	if (b->total_bytes > REPL_CFG_SYNC_MAX) {
		rc->stats.sync_rx_bad++;
		mlog(MSG_930203, "configuration sync %u from the mate refused: "
		     "%llu bytes", b->sync_id, (unsigned long long)b->total_bytes);
		return -EMSGSIZE;
	}
	rx_sync_reset(&rc->rs);
	rc->rs.active = true;
	rc->rs.id = b->sync_id;
	rc->rs.n_contexts = b->n_contexts;
	rc->rs.total_bytes = b->total_bytes;
	mlog(MSG_709005, "Beginning configuration replication: Receiving "
	     "from mate");
	return 0;
}

static int recv_chunk(struct repl_cfg *rc, const struct fo_cfg_sync_chunk *c)
{
	struct rx_sync *rs = &rc->rs;
	if (!rs->active || c->sync_id != rs->id)
		return sync_bad(rc, "chunk outside a sync");
	struct rx_text *t = NULL;
	if (rs->ntexts && strcmp(rs->texts[rs->ntexts - 1].name, c->context) == 0)
		t = &rs->texts[rs->ntexts - 1];
	if (!t) {
		for (size_t i = 0; i < rs->ntexts; i++)
			if (strcmp(rs->texts[i].name, c->context) == 0)
				return sync_bad(rc, "texts interleaved");
		if (rs->ntexts > rs->n_contexts)
			return sync_bad(rc, "more texts than announced");
		struct rx_text *g = realloc(rs->texts, (rs->ntexts + 1) * sizeof *g);
		if (!g)
			abort();
		rs->texts = g;
		t = &rs->texts[rs->ntexts++];
		memset(t, 0, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", c->context);
		buf_init(&t->text);
	}
	if (c->offset != t->text.len)
		return sync_bad(rc, "chunk offset out of order");
	rs->got_bytes += c->data.len;
	if (rs->got_bytes > rs->total_bytes)
		return sync_bad(rc, "more bytes than announced");
	for (size_t i = 0; i < c->data.len; i++)
		if (c->data.data[i] == '\0')
			return sync_bad(rc, "NUL byte in a configuration");
	buf_add(&t->text, c->data.data, c->data.len);
	buf_add(&rs->all, c->data.data, c->data.len);
	rs->chunks++;
	rc->stats.chunk_rx++;
	return 0;
}

static int recv_file(struct repl_cfg *rc, const struct fo_file_chunk *f)
{
	struct rx_sync *rs = &rc->rs;
	char canon[FO_PATH_MAX + 1];
	if (!rs->active)
		return sync_bad(rc, "file outside a sync");
	if (flash_path_canon(f->path, canon, sizeof canon) < 0)
		return sync_bad(rc, "bad file path");
	if (f->total_size > REPL_CFG_SYNC_MAX)
		return sync_bad(rc, "file too large");
	struct rx_file *x = NULL;
	if (rs->nfiles && strcmp(rs->files[rs->nfiles - 1].path, f->path) == 0)
		x = &rs->files[rs->nfiles - 1];
	if (!x) {
		if (f->offset != 0)
			return sync_bad(rc, "file does not start at 0");
		struct rx_file *g = realloc(rs->files, (rs->nfiles + 1) * sizeof *g);
		if (!g)
			abort();
		rs->files = g;
		x = &rs->files[rs->nfiles++];
		memset(x, 0, sizeof *x);
		snprintf(x->path, sizeof x->path, "%s", f->path);
		x->total = f->total_size;
		buf_init(&x->data);
	}
	if (f->offset != x->data.len || f->total_size != x->total ||
	    x->data.len + f->data.len > x->total)
		return sync_bad(rc, "file chunk out of order");
	buf_add(&x->data, f->data.data, f->data.len);
	rc->stats.chunk_rx++;
	return 0;
}

static int recv_end(struct repl_cfg *rc, const struct fo_cfg_sync_end *e)
{
	struct rx_sync *rs = &rc->rs;
	uint8_t md5[FO_MD5_LEN];
	if (!rs->active || e->sync_id != rs->id)
		return sync_bad(rc, "end outside a sync");
	if (e->n_chunks != rs->chunks)
		return sync_bad(rc, "chunk count differs");
	md5_bytes(rs->all.data, rs->all.len, md5);
	if (memcmp(md5, e->md5, sizeof md5) != 0)
		return sync_bad(rc, "checksum differs");
	for (size_t i = 0; i < rs->nfiles; i++)
		if (rs->files[i].data.len != rs->files[i].total)
			return sync_bad(rc, "file incomplete");
	apply_begin(rc);
	repl_cfg_apply_step(rc);
	return 0;
}

/* ------------------------------------------------------------------ */
/* commands                                                            */

static void lat_add(struct repl_cfg *rc, uint64_t us)
{
	rc->lat_us[rc->lat_pos] = us;
	rc->lat_pos = (rc->lat_pos + 1) % REPL_CFG_LAT_SAMPLES;
	if (rc->lat_len < REPL_CFG_LAT_SAMPLES)
		rc->lat_len++;
}

static void pend_push(struct repl_cfg *rc, uint64_t seq)
{
	if (rc->pend_len == PENDING_MAX) {       /* the oldest is forgotten */
		rc->pend_head = (rc->pend_head + 1) % PENDING_MAX;
		rc->pend_len--;
	}
	struct pending_ack *p = &rc->pend[(rc->pend_head + rc->pend_len) %
					  PENDING_MAX];
	p->seq = seq;
	p->sent_us = ev_now_us();
	rc->pend_len++;
}

static void recv_ack(struct repl_cfg *rc, uint64_t cum)
{
	uint64_t now = ev_now_us();
	rc->stats.cmd_acked++;
	while (rc->pend_len && rc->pend[rc->pend_head].seq <= cum) {
		if (rc->pend[rc->pend_head].seq == cum)
			lat_add(rc, now - rc->pend[rc->pend_head].sent_us);
		rc->pend_head = (rc->pend_head + 1) % PENDING_MAX;
		rc->pend_len--;
	}
}

/* Sends one CFG_CMD; 0 or -errno. */
static int send_cmd(struct repl_cfg *rc, uint64_t seq, const char *ctx,
		    const char *text)
{
	struct fo_wire_msg m;
	if (strlen(text) > FO_CMD_TEXT_MAX || (ctx && strlen(ctx) > FO_NAME_MAX))
		return -EMSGSIZE;
	fo_wire_msg_init(&m, FO_WT_CFG_CMD);
	m.u.cfg_cmd.cmd_seq = seq;
	snprintf(m.u.cfg_cmd.context, sizeof m.u.cfg_cmd.context, "%s",
		 ctx ? ctx : "");
	snprintf(m.u.cfg_cmd.text, sizeof m.u.cfg_cmd.text, "%s", text);
	return send_msg(rc, &m);
}

static void hold(struct repl_cfg *rc, bool from_mate, uint64_t seq,
		 const char *ctx, const char *entry, const char *line)
{
	struct held_cmd *g = realloc(rc->held, (rc->nheld + 1) * sizeof *g);
	if (!g)
		abort();
	rc->held = g;
	struct held_cmd *h = &rc->held[rc->nheld++];
	h->from_mate = from_mate;
	h->seq = seq;
	h->ctx = ctx && *ctx ? xstrdup(ctx) : NULL;
	h->entry = xstrdup(entry);
	h->line = xstrdup(line);
	rc->stats.cmd_queued++;
}

bool repl_cfg_replicates_from_here(struct repl_cfg *rc, const char *ctx)
{
	struct sys_config *sc = unit_sysconfig(rc->u);
	int group = 1;
	if (ctx && strcmp(ctx, sc->admin_context) != 0)
		group = unit_context_group(rc->u, ctx);
	return unit_group_active(rc->u, group);
}

void repl_cfg_executed(void *arg, struct cli_session *s,
		       const struct cli_cmd *cmd, const char *line,
		       enum cli_status status)
{
	struct repl_cfg *rc = arg;
	if (!cmd || !(cmd->flags & (CLI_F_REPLICATE | CLI_F_FILE)) ||
	    s == rc->rx)
		return;
	bool ok = status == CLI_OK || status == CLI_WARNING;
	/* While a sync is applied even a command that failed (on the half
	 * built configuration) is held for a second run. */
	bool hold_it = rc->ap.active ||
		       (ok && (rc->rs.active || rc->join_pending));
	if (!hold_it && (!ok || !mate_present(rc)))
		return;
	const char *ctx = cli_context(s);
	const char *entry = cli_mode_entry(s);
	if (entry && strcmp(entry, line) == 0)
		entry = NULL;

	if (hold_it) {
		/* The configuration arriving would overwrite it: it runs
		 * again once the sync is applied. */
		hold(rc, false, 0, ctx, entry, line);
		cli_puts(s, "INFO: Configuration sync from the mate in "
			 "progress; this command will be applied again when "
			 "it completes.\n");
		mlog(MSG_709008, "Configuration sync in progress. Command: "
		     "'%s' is queued and applied after the sync", line);
		return;
	}
	if (!repl_cfg_replicates_from_here(rc, ctx)) {
		rc->stats.cmd_local++;
		if (cmd->flags & CLI_F_CONFIG)
			cli_puts(s, REPL_CFG_STANDBY_WARNING "\n");
		mlog(MSG_709002, "FO unreplicable: cmd=%s (%s%s)", line,
		     ctx ? "context " : "system", ctx ? ctx : "");
		return;
	}
	uint64_t seq = rc->next_seq;
	rc->next_seq += 2;
	int err = 0;
	if (entry)
		err = send_cmd(rc, seq - 1, ctx, entry);
	if (!err)
		err = send_cmd(rc, seq, ctx, line);
	rc->last_cmd_ms = now_ms(rc);
	if (err) {
		rc->stats.cmd_tx_err++;
		mlog(MSG_709001, "FO replication failed: cmd=%s: %s", line,
		     strerror(-err));
		cli_printf(s, "WARNING: the command was not replicated to the "
			   "mate (%s); use write standby.\n", strerror(-err));
		return;
	}
	rc->stats.cmd_tx++;
	pend_push(rc, seq);
}

/* ---- kernel work of the mate's commands ---- */

static int kernel_apply(struct repl_cfg *rc, const char *ctx, struct buf *msg)
{
	if (rc->ops.apply)
		return rc->ops.apply(rc->arg, ctx, msg);
	return unit_context_apply(rc->u, ctx, msg);
}

/* Is any marked context's group active here (we took over)? */
static bool marked_group_active(struct repl_cfg *rc)
{
	for (size_t i = 0; i < rc->nmarks; i++)
		if (unit_ctxconfig(rc->u, rc->marks[i].name) &&
		    unit_group_active(rc->u, unit_context_group(rc->u,
							 rc->marks[i].name)))
			return true;
	return false;
}

/* Milliseconds until the marked contexts are due (0: now): after the
 * quiet time, or, in a stream longer than the bound, right after its
 * next command (the gap before the one after is then the longest). */
static uint64_t kernel_wait_ms(struct repl_cfg *rc, uint64_t now)
{
	uint64_t quiet = rc->mate_cmd_ms + REPL_CFG_APPLY_QUIET_MS;
	if (marked_group_active(rc) ||
	    now - rc->marked_ms >= REPL_CFG_APPLY_MAX_MS)
		return 0;
	return quiet > now ? quiet - now : 0;
}

static void kernel_arm(struct repl_cfg *rc, uint64_t wait_ms)
{
	/* At least 1 us: the timer then fires on the loop's next turn,
	 * after the descriptors ready now (more of the burst). */
	if (rc->kernel_timer)
		ev_timer_start(rc->kernel_timer, wait_ms * 1000 + 1);
}

static void kernel_mark(struct repl_cfg *rc, const char *ctx)
{
	uint64_t now = now_ms(rc);
	bool known = false;
	rc->mate_cmd_ms = now;
	for (size_t i = 0; i < rc->nmarks && !known; i++)
		known = strcmp(rc->marks[i].name, ctx) == 0;
	if (known) {
		rc->stats.kernel_coalesced++;
	} else {
		struct kernel_mark *m = realloc(rc->marks,
						(rc->nmarks + 1) * sizeof *m);
		if (!m)
			abort();
		rc->marks = m;
		snprintf(m[rc->nmarks].name, sizeof m[rc->nmarks].name, "%s",
			 ctx);
		if (!rc->nmarks++)
			rc->marked_ms = now;
	}
	/* Armed at the quiet time after the first; the timer moves it on
	 * when more came.  Past the bound: the next turn. */
	uint64_t wait = kernel_wait_ms(rc, now);
	if (!known || !wait)
		kernel_arm(rc, wait);
}

void repl_cfg_kernel_flush(struct repl_cfg *rc, bool force)
{
	if (!rc->nmarks)
		return;
	uint64_t now = now_ms(rc);
	uint64_t wait = kernel_wait_ms(rc, now);
	/* A sync being applied replaces contexts and applies them itself;
	 * what it does not cover is applied after it. */
	if (!force && (wait || rc->ap.active)) {
		kernel_arm(rc, wait ? wait : REPL_CFG_APPLY_QUIET_MS);
		return;
	}
	struct kernel_mark *list = rc->marks;
	size_t n = rc->nmarks;
	rc->marks = NULL;
	rc->nmarks = 0;
	if (rc->kernel_timer)
		ev_timer_stop(rc->kernel_timer);
	for (size_t i = 0; i < n; i++) {
		const char *ctx = list[i].name;
		if (!unit_ctxconfig(rc->u, ctx))
			continue;        /* removed since */
		struct buf msg;
		buf_init(&msg);
		uint64_t t0 = ev_now_us();
		int err = kernel_apply(rc, ctx, &msg);
		uint64_t took = ev_now_us() - t0;
		if (took > rc->stats.kernel_apply_max_us)
			rc->stats.kernel_apply_max_us = took;
		rc->stats.kernel_applies++;
		if (err < 0) {
			rc->stats.kernel_apply_err++;
			mlog(MSG_930207, "context %s: commands replicated from "
			     "the mate could not be applied to the kernel: %s",
			     ctx, msg.len ? msg.data : strerror(-err));
		}
		buf_free(&msg);
	}
	free(list);
}

size_t repl_cfg_kernel_pending(const struct repl_cfg *rc)
{
	return rc->nmarks;
}

/* Runs one line of the mate in the replay session.  0 or -EPROTO. */
static int run_mate_line(struct repl_cfg *rc, uint64_t seq, const char *ctx,
			 const char *text)
{
	struct unit *u = rc->u;
	struct buf out;
	if (!rc->rx_in_cmd) {
		if (ctx && !unit_ctxconfig(u, ctx)) {
			rc->stats.cmd_rx_err++;
			mlog(MSG_709007, "Configuration replication failed for "
			     "command %s: no context %s here", text, ctx);
			return -ENOENT;
		}
		cli_set_context(rc->rx, ctx);
		cli_set_mode(rc->rx, CLI_MODE_CONFIG, NULL);
	}
	buf_init(&out);
	enum cli_status st = cli_execute(rc->rx, text, &out);
	rc->rx_in_cmd = seq & 1;
	int err = 0;
	if (st != CLI_OK && st != CLI_WARNING) {
		rc->stats.cmd_rx_err++;
		mlog(MSG_709007, "Configuration replication failed for command "
		     "%s%s%s: %s", text, ctx ? " in context " : "",
		     ctx ? ctx : "", out.data ? out.data : "");
		err = -EPROTO;
	} else if (ctx && unit_ctxconfig(u, ctx)) {
		/* The replay session defers kernel work to us: later, once
		 * for the whole burst, and after the ACK. */
		kernel_mark(rc, ctx);
	}
	buf_free(&out);
	if (!(seq & 1)) {
		rc->stats.cmd_rx++;
		struct fo_wire_msg m;
		fo_wire_msg_init(&m, FO_WT_ACK);
		m.u.ack.channel = FO_CH_CONFIG;
		m.u.ack.cum_seq = seq;
		send_msg(rc, &m);
	}
	rc->last_cmd_ms = now_ms(rc);
	return err;
}

static void run_held(struct repl_cfg *rc)
{
	struct held_cmd *list = rc->held;
	size_t n = rc->nheld;
	rc->held = NULL;
	rc->nheld = 0;
	for (size_t i = 0; i < n; i++) {
		struct held_cmd *h = &list[i];
		if (h->from_mate) {
			run_mate_line(rc, h->seq, h->ctx, h->line);
		} else {
			struct buf out;
			buf_init(&out);
			cli_set_context(rc->rx, h->ctx);
			cli_set_mode(rc->rx, CLI_MODE_CONFIG, NULL);
			if (h->entry)
				cli_execute(rc->rx, h->entry, &out);
			cli_execute(rc->rx, h->line, &out);
			if (h->ctx && unit_ctxconfig(rc->u, h->ctx))
				unit_context_apply(rc->u, h->ctx, &out);
			rc->rx_in_cmd = false;
			buf_free(&out);
		}
		free(h->ctx);
		free(h->entry);
		free(h->line);
	}
	free(list);
}

static int recv_cmd(struct repl_cfg *rc, const struct fo_cfg_cmd *c)
{
	const char *ctx = c->context[0] ? c->context : NULL;
	if (c->cmd_seq == 0) {
		/* A peer from before CFG_REQ asks this way. */
		if (strcmp(c->text, REPL_CFG_REQ_SYNC) != 0) {
			rc->stats.msg_bad++;
			mlog(MSG_930206, "unknown request from the mate: %s",
			     c->text);
			return -EPROTO;
		}
		return repl_cfg_send_sync(rc, NULL);
	}
	if (rc->rs.active || rc->ap.active) {
		hold(rc, true, c->cmd_seq, ctx, NULL, c->text);
		return 0;
	}
	return run_mate_line(rc, c->cmd_seq, ctx, c->text);
}

static int recv_req(struct repl_cfg *rc, const struct fo_cfg_req *r)
{
	const char *ctx = r->context[0] ? r->context : NULL;
	if (r->kind != FO_CFG_REQ_SYNC) {     /* the decoder checked it */
		rc->stats.msg_bad++;
		return -EPROTO;
	}
	mlog(MSG_709003, "the mate asks for the configuration of %s%s",
	     ctx ? "context " : "the system and all contexts", ctx ? ctx : "");
	return repl_cfg_send_sync(rc, ctx);
}

int repl_cfg_recv(struct repl_cfg *rc, const struct fo_wire_msg *m)
{
	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_CFG_CMD:
		return recv_cmd(rc, &m->u.cfg_cmd);
	case FO_WT_CFG_REQ:
		return recv_req(rc, &m->u.cfg_req);
	case FO_WT_CFG_SYNC_BEGIN:
		return recv_begin(rc, &m->u.sync_begin);
	case FO_WT_CFG_SYNC_CHUNK:
		return recv_chunk(rc, &m->u.sync_chunk);
	case FO_WT_CFG_SYNC_END:
		return recv_end(rc, &m->u.sync_end);
	case FO_WT_FILE_CHUNK:
		return recv_file(rc, &m->u.file_chunk);
	case FO_WT_ACK:
		if (m->u.ack.channel == FO_CH_CONFIG) {
			recv_ack(rc, m->u.ack.cum_seq);
			return 0;
		}
		return 0;
	default:
		rc->stats.msg_bad++;
		mlog(MSG_930206, "unexpected %s frame for configuration "
		     "replication", fo_wire_type_name(m->hdr.type));
		return -EPROTO;
	}
}

/* ------------------------------------------------------------------ */
/* mate                                                                */

void repl_cfg_mate_up(struct repl_cfg *rc)
{
	free(rc->dig);
	rc->dig = NULL;
	rc->ndig = 0;
	rc->rx_in_cmd = false;
	rc->pend_len = 0;
}

void repl_cfg_mate_down(struct repl_cfg *rc)
{
	if (rc->rs.active) {
		rc->stats.sync_rx_bad++;
		mlog(MSG_930203, "configuration sync %u from the mate "
		     "abandoned: the mate is gone", rc->rs.id);
		rx_sync_reset(&rc->rs);
	}
	rc->join_pending = false;
	rc->rx_in_cmd = false;
	rc->pend_len = 0;
	/* A sync being applied is whole and checked: it goes on, and the
	 * held commands run after it. */
	if (!rc->ap.active)
		run_held(rc);
	/* We may be taking over: the kernel gets what the mate sent. */
	repl_cfg_kernel_flush(rc, true);
	free(rc->dig);
	rc->dig = NULL;
	rc->ndig = 0;
}

/* ------------------------------------------------------------------ */
/* digests                                                             */

void repl_cfg_hello_digests(struct repl_cfg *rc, struct fo_hello *h)
{
	struct sys_config *sc = unit_sysconfig(rc->u);
	h->n_digests = 0;
	if (rc->ap.active)
		return;           /* half applied: nothing worth comparing */
	struct fo_ctx_digest *d = &h->digests[h->n_digests++];
	snprintf(d->name, sizeof d->name, "%s", REPL_CFG_SYSTEM_DIGEST);
	repl_cfg_digest(rc, NULL, d->md5);
	for (size_t i = 0; i < sc->ncontexts && h->n_digests < FO_HELLO_CTX_MAX;
	     i++) {
		const char *name = sc->contexts[i].name;
		if (strlen(name) > FO_NAME_MAX)
			continue;
		d = &h->digests[h->n_digests];
		snprintf(d->name, sizeof d->name, "%.*s", FO_NAME_MAX, name);
		if (repl_cfg_digest(rc, name, d->md5) == 0)
			h->n_digests++;
	}
}

static struct digest_track *track(struct digest_track *list, size_t n,
				  const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static const struct fo_ctx_digest *mate_digest(const struct fo_hello *h,
					       const char *name)
{
	for (size_t i = 0; i < h->n_digests; i++)
		if (strcmp(h->digests[i].name, name) == 0)
			return &h->digests[i];
	return NULL;
}

void repl_cfg_mate_hello(struct repl_cfg *rc, const struct fo_hello *h)
{
	struct fo_hello mine;
	if (h->n_digests == 0)
		return;           /* a mate without replication: nothing to say */
	if (rc->rs.active || rc->ap.active || rc->join_pending || rc->sending)
		return;
	uint64_t now = now_ms(rc);
	bool quiet = rc->pend_len == 0 && now - rc->last_cmd_ms >= QUIET_MS;

	memset(&mine, 0, sizeof mine);
	repl_cfg_hello_digests(rc, &mine);
	/* Every name either side has. */
	size_t cap = mine.n_digests + h->n_digests;
	struct digest_track *next = calloc(cap ? cap : 1, sizeof *next);
	if (!next)
		abort();
	size_t n = 0;
	for (int side = 0; side < 2; side++) {
		const struct fo_hello *src = side ? h : &mine;
		for (size_t i = 0; i < src->n_digests; i++) {
			const char *name = src->digests[i].name;
			if (track(next, n, name))
				continue;
			const struct fo_ctx_digest *a = mate_digest(&mine, name);
			const struct fo_ctx_digest *b = mate_digest(h, name);
			struct digest_track *t = &next[n++];
			struct digest_track *old = track(rc->dig, rc->ndig, name);
			if (old)
				*t = *old;
			else
				snprintf(t->name, sizeof t->name, "%s", name);
			t->mismatch = !a || !b || memcmp(a->md5, b->md5,
							 FO_MD5_LEN) != 0;
			if (!t->mismatch) {
				if (t->diverged)
					mlog(MSG_930202, "configuration of %s "
					     "matches the mate's again", name);
				t->diverged = false;
				t->hellos = 0;
				t->since_ms = 0;
				continue;
			}
			if (!t->hellos)
				t->since_ms = now;
			t->hellos++;
			if (!t->diverged && quiet && t->hellos >= DIVERGE_HELLOS &&
			    now - t->since_ms >= QUIET_MS) {
				t->diverged = true;
				rc->stats.mismatches++;
				mlog(MSG_930201, "configuration of %s differs "
				     "from the mate's (%s); configurations are "
				     "not synchronized: use write standby", name,
				     !a ? "missing here" : !b ? "missing on the mate"
				     : "digests differ");
			}
		}
	}
	free(rc->dig);
	rc->dig = next;
	rc->ndig = n;
}

bool repl_cfg_diverged(const struct repl_cfg *rc, const char *ctx)
{
	const char *name = ctx ? ctx : REPL_CFG_SYSTEM_DIGEST;
	for (size_t i = 0; i < rc->ndig; i++)
		if (rc->dig[i].diverged && strcmp(rc->dig[i].name, name) == 0)
			return true;
	return false;
}

enum repl_cfg_sync_state repl_cfg_sync_state(const struct repl_cfg *rc)
{
	if (rc->sending)
		return REPL_SYNC_SENDING;
	if (rc->rs.active || rc->ap.active)
		return REPL_SYNC_RECEIVING;
	if (rc->join_pending)
		return REPL_SYNC_WAITING;
	for (size_t i = 0; i < rc->ndig; i++)
		if (rc->dig[i].diverged)
			return REPL_SYNC_MISMATCH;
	return REPL_SYNC_DONE;
}

void repl_cfg_format_state(const struct repl_cfg *rc, struct buf *out)
{
	enum repl_cfg_sync_state st = repl_cfg_sync_state(rc);
	buf_puts(out, repl_cfg_sync_state_name(st));
	if (st != REPL_SYNC_MISMATCH)
		return;
	buf_puts(out, ":");
	for (size_t i = 0; i < rc->ndig; i++)
		if (rc->dig[i].diverged)
			buf_printf(out, " %s", rc->dig[i].name);
}

const struct repl_cfg_stats *repl_cfg_get_stats(const struct repl_cfg *rc)
{
	return &rc->stats;
}

void repl_cfg_clear_stats(struct repl_cfg *rc)
{
	memset(&rc->stats, 0, sizeof rc->stats);
	rc->lat_len = rc->lat_pos = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

bool repl_cfg_latency(const struct repl_cfg *rc, uint64_t *p50_us,
		      uint64_t *p99_us, uint64_t *samples)
{
	*samples = rc->lat_len;
	if (!rc->lat_len)
		return false;
	uint64_t *v = malloc(rc->lat_len * sizeof *v);
	if (!v)
		abort();
	memcpy(v, rc->lat_us, rc->lat_len * sizeof *v);
	qsort(v, rc->lat_len, sizeof *v, cmp_u64);
	*p50_us = v[(rc->lat_len - 1) / 2];
	*p99_us = v[(rc->lat_len * 99 + 99) / 100 - 1];
	free(v);
	return true;
}
