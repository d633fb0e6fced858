/*
 * repl_state: per-context stateful replication.  See repl_state.h for the
 * model and the envelope; this file goes: contexts, sending (batch ->
 * STATE messages -> transmit queue), receiving, bulk, events and time.
 */
#include "replication/repl_state.h"

#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "replication/repl_arp.h"
#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"

/* The envelope record (FO_OBJ_ENVELOPE): version, kind, flags, group,
 * name length, then the context name. */
#define ENV_VERSION 2
#define ENV_FIXED 5
#define ENV_FLAGS_AT 2
#define BATCH_BYTES (24 * 1024)               /* repl_mode batch size */
#define TICK_US 200000                        /* periodic work */
#define DRAIN_US 5000                         /* retry of a full link (the
						* link's on_writable comes
						* first) */
#define STEP_US 1                             /* next slice of a table pass */
#define STEP_ENTRIES 1024                     /* entries per dump step */
#define STEP_BUDGET_US 8000                   /* loop time per slice */
#define PASS_QUEUE_HIGH 16                    /* our queue (messages) above
						* which a pass waits */
#define GROUPS 2
#define RX_BUDGET_US 5000                     /* standby work per loop turn */
#define SWEEP_MIN_ENTRIES 4096                /* below it the kernel's flush
						* (one walk of the hash, which
						* any dump makes too) is as
						* cheap as a sweep */

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

/* One received conntrack batch waiting for its install. */
struct rx_item {
	struct rx_item *next;
	size_t n;                     /* records */
	uint64_t tcp, udp;
	uint8_t flags;
	struct buf batch;             /* repl_mode batch: header + records */
};

/* One STATE message waiting for the link: records as {type u16, len u16,
 * bytes}, the envelope first. */
struct txq_item {
	struct txq_item *next;
	size_t nrec;
	struct buf recs;
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

static const char *const obj_names[REPL_OBJ_MAX] = {
	[REPL_OBJ_GENERAL] = "General", [REPL_OBJ_SYS_CMD] = "sys cmd",
	[REPL_OBJ_UP_TIME] = "up time", [REPL_OBJ_RPC] = "RPC services",
	[REPL_OBJ_TCP] = "TCP conn", [REPL_OBJ_UDP] = "UDP conn",
	[REPL_OBJ_ARP] = "ARP tbl", [REPL_OBJ_XLATE_TIMEOUT] = "Xlate_Timeout",
};
_Static_assert(sizeof obj_names / sizeof obj_names[0] == REPL_OBJ_MAX,
	       "a name per object row");

const char *repl_obj_name(enum repl_obj o)
{
	return o < REPL_OBJ_MAX ? obj_names[o] : "?";
}

static bool group_ok(int g) { return g >= 1 && g <= GROUPS; }

static bool ctx_active(const struct rctx *c)
{
	return group_ok(c->group) && c->rs->active[c->group - 1];
}

static uint64_t now_ms(void) { return ev_now_us() / 1000; }

/* ------------------------------------------------------------------ */
/* record classification                                               */

/* TCP or UDP row for a repl_ct record (scans for its protocol attribute). */
static enum repl_obj ct_record_obj(const uint8_t *r, size_t len)
{
	size_t off = 4;
	while (off + 2 <= len) {
		uint8_t type = r[off], size = r[off + 1];
		if (off + 2 + size > len)
			break;
		if (type == 1 && size == 2)
			return r[off + 3] == IPPROTO_TCP ? REPL_OBJ_TCP : REPL_OBJ_UDP;
		off += 2 + (size_t)size;
	}
	return REPL_OBJ_UDP;
}

static uint16_t obj_wire_type(enum repl_obj o)
{
	return o == REPL_OBJ_TCP ? FO_OBJ_TCP_CONN :
	       o == REPL_OBJ_ARP ? FO_OBJ_ARP : FO_OBJ_UDP_CONN;
}

static enum repl_obj wire_obj(uint16_t t)
{
	return t == FO_OBJ_TCP_CONN ? REPL_OBJ_TCP :
	       t == FO_OBJ_ARP ? REPL_OBJ_ARP : REPL_OBJ_UDP;
}

static void count(struct repl_state *rs, enum repl_obj o, bool tx, bool err,
		  uint64_t n)
{
	struct repl_obj_stats *s = &rs->st.obj[o], *g = &rs->st.obj[REPL_OBJ_GENERAL];
	if (tx && !err) { s->xmit += n; g->xmit += n; }
	if (tx && err) { s->xerr += n; g->xerr += n; }
	if (!tx && !err) { s->rcv += n; g->rcv += n; }
	if (!tx && err) { s->rerr += n; g->rerr += n; }
}

/* ------------------------------------------------------------------ */
/* transmit queue                                                      */

static void rec_add(struct buf *b, uint16_t type, const void *data, size_t len)
{
	uint8_t h[4] = { (uint8_t)(type >> 8), (uint8_t)type,
			 (uint8_t)(len >> 8), (uint8_t)len };
	buf_add(b, h, sizeof h);
	buf_add(b, data, len);
}

/* Counts every record of the item but its envelope, globally and for
 * its context. */
static void item_count(struct repl_state *rs, const struct txq_item *it,
		       bool err, struct rctx *c)
{
	const uint8_t *p = (const uint8_t *)it->recs.data;
	size_t off = 0;
	for (size_t i = 0; i < it->nrec; i++) {
		uint16_t type = (uint16_t)(p[off] << 8 | p[off + 1]);
		size_t len = (size_t)(p[off + 2] << 8 | p[off + 3]);
		if (i > 0) {
			enum repl_obj o = wire_obj(type);
			count(rs, o, true, err, 1);
			if (c && err)
				c->refresh_all_due = true;
			if (c && o == REPL_OBJ_ARP) {
				if (err) c->st.arp_err++; else c->st.arp_xmit++;
			} else if (c) {
				if (err) c->st.conn_err++; else c->st.conn_xmit++;
			}
		}
		off += 4 + len;
	}
}

static int item_send(struct repl_state *rs, const struct txq_item *it)
{
	struct fo_wire_msg *m = rs->scratch;
	fo_wire_msg_init(m, FO_WT_STATE);
	const uint8_t *p = (const uint8_t *)it->recs.data;
	size_t off = 0;
	for (size_t i = 0; i < it->nrec; i++) {
		struct fo_state_rec *r = &m->u.state.recs[i];
		r->obj_type = (uint16_t)(p[off] << 8 | p[off + 1]);
		r->data.len = (size_t)(p[off + 2] << 8 | p[off + 3]);
		r->data.data = p + off + 4;
		off += 4 + r->data.len;
	}
	m->u.state.n_recs = it->nrec;
	return rs->ops.send(rs->arg, m);
}

static struct rctx *find_ctx(const struct repl_state *rs, const char *name);

static struct rctx *item_ctx(struct repl_state *rs, const struct txq_item *it)
{
	const uint8_t *e = (const uint8_t *)it->recs.data + 4;
	char name[FO_NAME_MAX + 1];
	size_t nl = e[4];
	if (nl > FO_NAME_MAX)
		return NULL;
	memcpy(name, e + ENV_FIXED, nl);
	name[nl] = '\0';
	return find_ctx(rs, name);
}

static void item_free(struct txq_item *it)
{
	buf_free(&it->recs);
	free(it);
}

static void step_arm(struct repl_state *rs);
static void bulk_groups_done(struct repl_state *rs);

static void drain_arm(struct repl_state *rs)
{
	if (rs->drain_timer && rs->q_len && !ev_timer_pending(rs->drain_timer))
		ev_timer_start(rs->drain_timer, DRAIN_US);
}

/* Takes ownership of it: sent now, queued, or dropped (counted). */
static void txq_push(struct repl_state *rs, struct txq_item *it)
{
	rs->st.xmit_q.total++;
	if (!rs->q_len) {
		int err = item_send(rs, it);
		if (!err) {
			item_count(rs, it, false, item_ctx(rs, it));
			item_free(it);
			return;
		}
		if (err != -ENOBUFS) {
			item_count(rs, it, true, item_ctx(rs, it));
			mlog(MSG_930303, "stateful update not sent to the mate: %s",
			     strerror(-err));
			item_free(it);
			return;
		}
	}
	if (rs->q_bytes + it->recs.len > REPL_XMIT_QUEUE_MAX) {
		struct rctx *c = item_ctx(rs, it);
		item_count(rs, it, true, c);
		if (c)
			c->resync_due = true;
		mlog(MSG_930303, "stateful update dropped: transmit queue full "
		     "(%zu bytes)", rs->q_bytes);
		item_free(it);
		return;
	}
	if (rs->q_tail)
		rs->q_tail->next = it;
	else
		rs->q_head = it;
	rs->q_tail = it;
	rs->q_len++;
	rs->q_bytes += it->recs.len;
	rs->st.xmit_q.cur = rs->q_len;
	if (rs->q_len > rs->st.xmit_q.max)
		rs->st.xmit_q.max = rs->q_len;
	drain_arm(rs);
}

size_t repl_state_drain(struct repl_state *rs)
{
	while (rs->q_head) {
		struct txq_item *it = rs->q_head;
		int err = item_send(rs, it);
		if (err == -ENOBUFS)
			break;
		rs->q_head = it->next;
		if (!rs->q_head)
			rs->q_tail = NULL;
		rs->q_len--;
		rs->q_bytes -= it->recs.len;
		item_count(rs, it, err != 0, item_ctx(rs, it));
		if (err)
			mlog(MSG_930303, "queued stateful update not sent: %s",
			     strerror(-err));
		item_free(it);
	}
	rs->st.xmit_q.cur = rs->q_len;
	drain_arm(rs);
	step_arm(rs);
	return rs->q_len;
}

static void on_drain(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	repl_state_drain(arg);
}

static void queue_clear(struct repl_state *rs, bool count_lost)
{
	while (rs->q_head) {
		struct txq_item *it = rs->q_head;
		rs->q_head = it->next;
		if (count_lost)
			item_count(rs, it, true, item_ctx(rs, it));
		item_free(it);
	}
	rs->q_tail = NULL;
	rs->q_len = rs->q_bytes = 0;
	rs->st.xmit_q.cur = 0;
}

/* ------------------------------------------------------------------ */
/* building STATE messages                                             */

static struct txq_item *item_new(const char *ctx, int group, uint8_t kind,
				 uint8_t flags)
{
	struct txq_item *it = calloc(1, sizeof *it);
	if (!it)
		abort();
	buf_init(&it->recs);
	uint8_t env[ENV_FIXED + FO_NAME_MAX];
	size_t nl = ctx ? strlen(ctx) : 0;
	if (nl > FO_NAME_MAX)
		nl = FO_NAME_MAX;
	env[0] = ENV_VERSION;
	env[1] = kind;
	env[ENV_FLAGS_AT] = flags;
	env[3] = (uint8_t)group;
	env[4] = (uint8_t)nl;
	memcpy(env + ENV_FIXED, ctx ? ctx : "", nl);
	rec_add(&it->recs, FO_OBJ_ENVELOPE, env, ENV_FIXED + nl);
	it->nrec = 1;
	return it;
}

static void item_set_flags(struct txq_item *it, uint8_t flags)
{
	((uint8_t *)it->recs.data)[4 + ENV_FLAGS_AT] = flags;
}

/* repl_mode's send op: one batch -> one or more STATE messages.  The
 * bulk-begin flag stays on the first piece, the others on the last. */
static int ctx_send_batch(void *arg, const void *batch, size_t len)
{
	struct rctx *c = arg;
	struct repl_state *rs = c->rs;
	const uint8_t *b = batch;
	if (len < REPL_BATCH_HDR_LEN)
		return -EINVAL;
	uint8_t flags = b[2];
	if (!rs->mate || !group_ok(c->group) || !rs->ready[c->group - 1]) {
		/* Nobody to send to: the join's bulk will carry it. */
		return 0;
	}
	size_t off = REPL_BATCH_HDR_LEN;
	struct txq_item *it = NULL;
	bool first = true;
	while (off + 4 <= len) {
		size_t rl = (size_t)(b[off + 2] << 8 | b[off + 3]);
		if (rl < 4 || off + rl > len)
			break;
		if (it && it->nrec >= FO_STATE_REC_MAX) {
			item_set_flags(it, first ? flags & REPL_BATCH_BULK_BEGIN : 0);
			txq_push(rs, it);
			it = NULL;
			first = false;
		}
		if (!it)
			it = item_new(c->name, c->group, ENV_CT, 0);
		rec_add(&it->recs, obj_wire_type(ct_record_obj(b + off, rl)),
			b + off, rl);
		it->nrec++;
		off += rl;
	}
	if (!it)
		it = item_new(c->name, c->group, ENV_CT, 0);
	item_set_flags(it, first ? flags : flags & ~REPL_BATCH_BULK_BEGIN);
	txq_push(rs, it);
	return 0;
}

/* ---- neighbour table: small, sent whole or per event ---- */

struct arp_tx {
	struct rctx *c;
	struct txq_item *it;
	uint8_t first_flags;
	int n;
};

static int arp_enqueue(void *arg, const struct repl_arp_entry *e)
{
	struct arp_tx *t = arg;
	struct buf rec;
	buf_init(&rec);
	if (repl_arp_encode(e, &rec) < 0) {
		buf_free(&rec);
		return 0;
	}
	if (t->it && t->it->nrec >= FO_STATE_REC_MAX) {
		txq_push(t->c->rs, t->it);
		t->it = NULL;
	}
	if (!t->it) {
		t->it = item_new(t->c->name, t->c->group, ENV_ARP,
				 t->first_flags);
		t->first_flags = 0;
	}
	rec_add(&t->it->recs, FO_OBJ_ARP, rec.data, rec.len);
	t->it->nrec++;
	t->n++;
	buf_free(&rec);
	return 0;
}

static void arp_finish(struct arp_tx *t, uint8_t last_flags)
{
	if (!t->it && !last_flags)
		return;
	if (!t->it)
		t->it = item_new(t->c->name, t->c->group, ENV_ARP, t->first_flags);
	item_set_flags(t->it, (uint8_t)(((const uint8_t *)t->it->recs.data)[4 + ENV_FLAGS_AT] |
					last_flags));
	txq_push(t->c->rs, t->it);
	t->it = NULL;
}

static bool mate_ready(const struct rctx *c)
{
	return c->rs->mate && group_ok(c->group) && c->rs->ready[c->group - 1];
}

static int arp_send_table(struct rctx *c, uint8_t first, uint8_t last)
{
	if (!c->arp || !mate_ready(c))
		return 0;
	struct arp_tx t = { .c = c, .first_flags = first };
	int n = repl_arp_dump(c->arp, arp_enqueue, &t);
	arp_finish(&t, last);
	return n;
}

/* ------------------------------------------------------------------ */
/* contexts                                                            */

static struct rctx *find_ctx(const struct repl_state *rs, const char *name)
{
	for (size_t i = 0; i < rs->nctxs; i++)
		if (strcmp(rs->ctxs[i]->name, name) == 0)
			return rs->ctxs[i];
	return NULL;
}

static bool http_filter(void *arg, const struct repl_ct_entry *e)
{
	struct rctx *c = arg;
	if (!repl_ct_is_http(e))
		return true;
	return group_ok(c->group) && c->rs->http[c->group - 1];
}

static int mode_start(struct rctx *c)
{
	if (c->mode)
		repl_mode_incremental.kill(c->mode);
	c->mode = NULL;
	if (!c->ct)
		return -ENODEV;
	struct repl_mode_env env = {
		.kernel = c->ct, .send = ctx_send_batch, .send_arg = c,
		.batch_bytes = BATCH_BYTES,
		.refresh_s = 0,   /* the periodic update is our table pass */
	};
	return repl_mode_incremental.init(&env, &c->mode);
}

/* Kernel events are read only where the context's group is active: on
 * the standby they would only be the echoes of what the mate sends, and
 * with nobody listening the kernel does not build them at all (a third
 * of a bulk install's cost). */
static void ctx_events_sync(struct rctx *c)
{
	if (c->ct && c->st.open)
		(void)repl_ct_set_events(c->ct, ctx_active(c));
}

static void on_ct_readable(struct ev_loop *loop, int fd, uint32_t events,
			   void *arg);
static void on_arp_readable(struct ev_loop *loop, int fd, uint32_t events,
			    void *arg);

static void rxq_clear(struct rctx *c)
{
	while (c->rxq_head) {
		struct rx_item *it = c->rxq_head;
		c->rxq_head = it->next;
		buf_free(&it->batch);
		free(it);
	}
	c->rxq_tail = NULL;
	c->rxq_len = 0;
}

int repl_state_ctx_add(struct repl_state *rs, const char *name,
		       const char *netns, int group)
{
	if (!name || strlen(name) > FO_NAME_MAX || !netns)
		return -EINVAL;
	if (find_ctx(rs, name))
		return repl_state_ctx_set_group(rs, name, group);
	struct rctx *c = calloc(1, sizeof *c);
	struct rctx **g = realloc(rs->ctxs, (rs->nctxs + 1) * sizeof *g);
	if (!c || !g)
		abort();
	rs->ctxs = g;
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->netns, sizeof c->netns, "%s", netns);
	c->group = group;
	c->rs = rs;
	c->ct_fd = c->arp_fd = c->job_fd = -1;
	c->st.group = group;
	rs->ctxs[rs->nctxs++] = c;

	int err = repl_ct_create(netns, &c->ct);
	if (!err) {
		repl_ct_set_filter(c->ct, http_filter, c);
		repl_ct_set_batch(c->ct, 256);
		err = repl_ct_subscribe(c->ct, 0);
	}
	if (!err)
		err = repl_arp_create(netns, &c->arp);
	if (!err)
		err = repl_arp_subscribe(c->arp);
	if (!err)
		err = mode_start(c);
	if (err) {
		mlog(MSG_930301, "context %s: cannot open its connection or "
		     "neighbour table in namespace %s: %s", name, netns,
		     strerror(-err));
		return err;
	}
	c->st.open = true;
	ctx_events_sync(c);
	if (rs->loop) {
		c->ct_fd = repl_ct_event_fd(c->ct);
		c->arp_fd = repl_arp_event_fd(c->arp);
		if (ev_io_add(rs->loop, c->ct_fd, EPOLLIN, on_ct_readable, c) < 0)
			c->ct_fd = -1;
		if (ev_io_add(rs->loop, c->arp_fd, EPOLLIN, on_arp_readable, c) < 0)
			c->arp_fd = -1;
	}
	return 0;
}

static void job_unwatch(struct rctx *c);

static void ctx_free(struct repl_state *rs, struct rctx *c)
{
	job_unwatch(c);
	if (rs->loop && c->ct_fd >= 0)
		ev_io_del(rs->loop, c->ct_fd);
	if (rs->loop && c->arp_fd >= 0)
		ev_io_del(rs->loop, c->arp_fd);
	if (c->mode)
		repl_mode_incremental.kill(c->mode);
	if (c->pass_it)
		item_free(c->pass_it);
	rxq_clear(c);
	repl_ct_destroy(c->ct);
	repl_arp_destroy(c->arp);
	free(c);
}

void repl_state_ctx_remove(struct repl_state *rs, const char *name)
{
	for (size_t i = 0; i < rs->nctxs; i++) {
		if (strcmp(rs->ctxs[i]->name, name))
			continue;
		ctx_free(rs, rs->ctxs[i]);
		memmove(&rs->ctxs[i], &rs->ctxs[i + 1],
			(rs->nctxs - i - 1) * sizeof *rs->ctxs);
		rs->nctxs--;
		bulk_groups_done(rs);
		return;
	}
}

bool repl_state_ctx_known(const struct repl_state *rs, const char *name)
{
	return find_ctx(rs, name) != NULL;
}

int repl_state_ctx_set_group(struct repl_state *rs, const char *name, int group)
{
	struct rctx *c = find_ctx(rs, name);
	if (!c)
		return -ENOENT;
	c->group = group;
	c->st.group = group;
	ctx_events_sync(c);
	return 0;
}

size_t repl_state_ctx_count(const struct repl_state *rs) { return rs->nctxs; }

const char *repl_state_ctx_name(const struct repl_state *rs, size_t i)
{
	return i < rs->nctxs ? rs->ctxs[i]->name : NULL;
}

/* ------------------------------------------------------------------ */
/* create / settings                                                   */

static void on_step(struct ev_loop *loop, struct ev_timer *t, void *arg);
static void on_rx_step(struct ev_loop *loop, struct ev_timer *t, void *arg);
static void pass_drop(struct rctx *c);

static void on_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct repl_state *rs = arg;
	repl_state_tick(rs, now_ms());
	ev_timer_start(t, TICK_US);
}

int repl_state_create(struct ev_loop *loop, const struct repl_state_ops *ops,
		      void *arg, struct repl_state **out)
{
	*out = NULL;
	if (!ops || !ops->send)
		return -EINVAL;
	struct repl_state *rs = calloc(1, sizeof *rs);
	if (!rs)
		return -ENOMEM;
	rs->scratch = calloc(1, sizeof *rs->scratch);
	if (!rs->scratch) {
		free(rs);
		return -ENOMEM;
	}
	rs->loop = loop;
	rs->ops = *ops;
	rs->arg = arg;
	rs->update_s = REPL_UPDATE_DEFAULT_S;
	buf_init(&rs->rec);
	for (int g = 0; g < GROUPS; g++)
		rs->active[g] = true;       /* a unit alone is active */
	if (loop) {
		rs->tick_timer = ev_timer_create(loop, on_tick, rs);
		rs->drain_timer = ev_timer_create(loop, on_drain, rs);
		rs->step_timer = ev_timer_create(loop, on_step, rs);
		rs->rx_timer = ev_timer_create(loop, on_rx_step, rs);
		ev_timer_start(rs->tick_timer, TICK_US);
	}
	*out = rs;
	return 0;
}

void repl_state_destroy(struct repl_state *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nctxs; i++)
		ctx_free(rs, rs->ctxs[i]);
	free(rs->ctxs);
	queue_clear(rs, false);
	if (rs->tick_timer)
		ev_timer_destroy(rs->tick_timer);
	if (rs->drain_timer)
		ev_timer_destroy(rs->drain_timer);
	if (rs->step_timer)
		ev_timer_destroy(rs->step_timer);
	if (rs->rx_timer)
		ev_timer_destroy(rs->rx_timer);
	buf_free(&rs->rec);
	free(rs->scratch);
	free(rs);
}

void repl_state_set_group_active(struct repl_state *rs, int group, bool active)
{
	if (!group_ok(group))
		return;
	/* Taking a group over from a live mate: it has the state already,
	 * but the copies in its kernel were learned there (strict TCP window
	 * tracking) and are as old as the last update.  The new owner sends
	 * its whole table at once, so the mate's copies become fresh, liberal
	 * replicated entries before the group can come back to it. */
	if (active && !rs->active[group - 1] && rs->mate) {
		rs->ready[group - 1] = true;
		for (size_t i = 0; i < rs->nctxs; i++)
			if (rs->ctxs[i]->group == group)
				rs->ctxs[i]->announce_due = true;
	}
	rs->active[group - 1] = active;
	for (size_t i = 0; i < rs->nctxs; i++)
		if (rs->ctxs[i]->group == group)
			ctx_events_sync(rs->ctxs[i]);
}

void repl_state_set_http(struct repl_state *rs, int group, bool on)
{
	if (group_ok(group))
		rs->http[group - 1] = on;
}

int repl_state_set_update_interval(struct repl_state *rs, unsigned seconds)
{
	if (seconds < REPL_UPDATE_MIN_S || seconds > REPL_UPDATE_MAX_S)
		return -EINVAL;
	if (seconds == rs->update_s)
		return 0;
	rs->update_s = seconds;
	for (size_t i = 0; i < rs->nctxs; i++)
		if (rs->ctxs[i]->ct)
			mode_start(rs->ctxs[i]);
	return 0;
}

unsigned repl_state_update_interval(const struct repl_state *rs)
{
	return rs->update_s;
}

void repl_state_mate_up(struct repl_state *rs)
{
	rs->mate = true;
	rs->bulk_wanted = 0;
	memset(rs->ready, 0, sizeof rs->ready);
}

void repl_state_mate_down(struct repl_state *rs)
{
	rs->mate = false;
	rs->bulk_wanted = 0;
	memset(rs->ready, 0, sizeof rs->ready);
	rs->bulk_sending = 0;
	for (size_t i = 0; i < rs->nctxs; i++)
		pass_drop(rs->ctxs[i]);
	/* Whatever waited is lost with the mate: the next join's bulk
	 * carries it, and the loss is counted. */
	queue_clear(rs, true);
}

/* ------------------------------------------------------------------ */
/* bulk                                                                */

static void pass_push(struct rctx *c, uint8_t flags)
{
	struct txq_item *it = c->pass_it;
	c->pass_it = NULL;
	if (!it)
		it = item_new(c->name, c->group, ENV_CT, 0);
	if (c->pass == PASS_BULK && c->pass_first)
		flags |= REPL_BATCH_BULK_BEGIN;
	if (c->pass == PASS_REFRESH)
		flags |= REPL_BATCH_REFRESH;
	c->pass_first = false;
	item_set_flags(it, flags);
	txq_push(c->rs, it);
}

/* repl_ct_dump_step's callback: one entry into the pass's message. */
/* Longest time between two periodic updates of one entry. */
#define REFRESH_SPREAD_MAX_S 60

/* Whether the periodic pass must carry E.  The mate's copy got the
 * timeout left when it was last sent, and traffic that only extends a
 * timeout sends no event; a copy sent with R seconds left must be sent
 * again well before R runs out, not every interval.  An entry with R
 * left is sent every K passes, K = R / (2 * interval) (at least 1, at
 * most REFRESH_SPREAD_MAX_S / interval), in a phase of its own (a hash
 * of its tuple) so each pass carries 1/K of them: a table of long-lived
 * TCP connections costs the link and the mate a sixth of a full resend
 * per interval at the default 10 s, short UDP entries go every pass.
 * An expiry or a close on our side is an event (DESTROY), so the mate
 * never needs a copy to run out by itself.  Entries not yet ASSURED go
 * every pass: they are few, short-lived, and the ones a standby most
 * often refuses (a stale copy there holding bits the kernel will not
 * clear), so a refused one is retried, and counted, each interval. */
static bool refresh_due(const struct rctx *c, const struct repl_ct_entry *e)
{
	if (!(e->status & IPS_ASSURED))
		return true;
	unsigned interval = c->rs->update_s;
	uint32_t k = e->timeout / (2 * interval);
	uint32_t k_max = REFRESH_SPREAD_MAX_S / interval;
	if (k > k_max)
		k = k_max;
	if (k <= 1 || c->pass_all)
		return true;
	uint32_t h = 2166136261u;   /* FNV-1a of the original tuple */
	const uint8_t *p = (const uint8_t *)&e->orig;
	for (size_t i = 0; i < sizeof e->orig; i++)
		h = (h ^ p[i]) * 16777619u;
	return (h + c->refresh_round) % k == 0;
}

static int pass_entry(void *arg, const struct repl_ct_entry *e)
{
	struct rctx *c = arg;
	struct buf *rec = &c->rs->rec;
	if (c->pass == PASS_REFRESH && !refresh_due(c, e))
		return 0;
	struct repl_ct_entry copy = *e;
	copy.op = c->pass == PASS_BULK ? REPL_CT_NEW : REPL_CT_UPDATE;
	buf_reset(rec);
	if (repl_ct_encode(&copy, rec) < 0)
		return 0;   /* not replicable (skipped, as the dump does) */
	if (!c->pass_it)
		c->pass_it = item_new(c->name, c->group, ENV_CT, 0);
	rec_add(&c->pass_it->recs,
		obj_wire_type(ct_record_obj((const uint8_t *)rec->data, rec->len)),
		rec->data, rec->len);
	c->pass_it->nrec++;
	c->pass_entries++;
	if (c->pass_it->nrec >= FO_STATE_REC_MAX)
		pass_push(c, 0);
	return 0;
}

/* Group-done markers of groups none of whose contexts is still in a bulk
 * pass. */
static void bulk_groups_done(struct repl_state *rs)
{
	for (int g = 1; g <= GROUPS; g++) {
		if (!(rs->bulk_sending & (1u << (g - 1))))
			continue;
		bool busy = false;
		for (size_t i = 0; i < rs->nctxs; i++)
			if (rs->ctxs[i]->group == g && rs->ctxs[i]->pass == PASS_BULK)
				busy = true;
		if (busy)
			continue;
		rs->bulk_sending &= ~(1u << (g - 1));
		txq_push(rs, item_new(NULL, g, ENV_GROUP_DONE, 0));
	}
}

static void pass_end(struct rctx *c, int err)
{
	struct repl_state *rs = c->rs;
	enum pass_kind kind = c->pass;
	if (kind == PASS_NONE)
		return;
	if (err) {
		/* The mate's copy is missing what the dump did not reach:
		 * said, and repaired by another pass. */
		mlog(MSG_930303, "context %s: connection table pass ended "
		     "early: %s", c->name, strerror(-err));
		count(rs, REPL_OBJ_TCP, true, true, 1);
		c->resync_due = true;
	}
	pass_push(c, kind == PASS_BULK ? REPL_BATCH_BULK_END : 0);
	c->pass = PASS_NONE;
	job_unwatch(c);
	repl_ct_dump_cancel(c->ct);
	if (kind == PASS_BULK) {
		c->st.bulk_sent++;
		rs->st.bulk_sent++;
		mlog(MSG_930106, "context %s: bulk sync sent, %llu connections",
		     c->name, (unsigned long long)c->pass_entries);
		arp_send_table(c, REPL_BATCH_BULK_BEGIN, REPL_BATCH_BULK_END);
		bulk_groups_done(rs);
	} else {
		arp_send_table(c, REPL_BATCH_REFRESH, 0);
	}
}

/* Cancels a pass without sending its end (the mate went away). */
static void pass_drop(struct rctx *c)
{
	if (c->pass_it)
		item_free(c->pass_it);
	c->pass_it = NULL;
	c->pass = PASS_NONE;
	job_unwatch(c);
	if (c->ct)
		repl_ct_dump_cancel(c->ct);
}

/* ---- the dump/flush child's pipe ---- */

static void step_arm(struct repl_state *rs);
static void rx_arm(struct repl_state *rs);

static void job_unwatch(struct rctx *c)
{
	if (c->job_fd >= 0 && c->rs->loop)
		ev_io_del(c->rs->loop, c->job_fd);
	c->job_fd = -1;
}

static void on_job_readable(struct ev_loop *loop, int fd, uint32_t events,
			    void *arg)
{
	struct rctx *c = arg;
	job_unwatch(c);
	if (c->pass != PASS_NONE)
		step_arm(c->rs);
	if (c->sweeping)
		rx_arm(c->rs);
}

/* A step found the child's pipe empty: the loop wakes us when it is not
 * (without a loop, in tests, we wait here).  True if the caller must
 * stop stepping for now. */
static bool job_wait(struct rctx *c)
{
	int fd = repl_ct_dump_fd(c->ct);
	if (fd < 0)
		return false;
	if (!c->rs->loop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		return false;
	}
	if (c->job_fd == fd)
		return true;
	job_unwatch(c);
	if (ev_io_add(c->rs->loop, fd, EPOLLIN, on_job_readable, c) < 0)
		return false;   /* polled by the step timers instead */
	c->job_fd = fd;
	return true;
}

/* One step of c's pass, the child started first if it is not yet (a
 * pass's dump begins when it is served, so one child walks the hash at
 * a time).  True if the pass waits for its child. */
static bool pass_run(struct rctx *c, uint64_t max)
{
	job_unwatch(c);
	if (!repl_ct_dump_running(c->ct)) {
		int err = repl_ct_dump_begin(c->ct);
		if (err) {
			pass_end(c, err);
			return false;
		}
	}
	bool done = false;
	int n = repl_ct_dump_step(c->ct, (size_t)max, pass_entry, c, &done);
	if (done || n < 0) {
		pass_end(c, n < 0 ? n : 0);
		return false;
	}
	return repl_ct_dump_waiting(c->ct) && job_wait(c);
}

/* The running pass to serve next: the biggest table first, one at a
 * time.  Every dump walks the whole global hash whatever its size, so
 * the small ones go after the big one is on its way, not in between. */
static struct rctx *pass_next(const struct repl_state *rs)
{
	struct rctx *best = NULL;
	for (size_t i = 0; i < rs->nctxs; i++) {
		struct rctx *c = rs->ctxs[i];
		if (c->pass != PASS_NONE && (!best || c->pass_size > best->pass_size))
			best = c;
	}
	return best;
}

/* Runs pass slices for about STEP_BUDGET_US while our queue is short;
 * without a loop (tests) every pass runs to its end. */
static void pass_slice(struct repl_state *rs)
{
	uint64_t t0 = ev_now_us();
	struct rctx *c;
	while ((c = pass_next(rs))) {
		if (rs->loop && rs->q_len >= PASS_QUEUE_HIGH)
			return;   /* the drain calls us again */
		if (pass_run(c, STEP_ENTRIES))
			return;   /* the child's pipe calls us again */
		if (rs->loop && ev_now_us() - t0 >= STEP_BUDGET_US)
			break;
	}
	if (rs->loop)
		step_arm(rs);
}

static void step_arm(struct repl_state *rs)
{
	const struct rctx *next = pass_next(rs);
	if (rs->step_timer && !ev_timer_pending(rs->step_timer) &&
	    rs->q_len < PASS_QUEUE_HIGH && next && next->job_fd < 0)
		ev_timer_start(rs->step_timer, STEP_US);
}

static void on_step(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct repl_state *rs = arg;
	repl_state_drain(rs);
	pass_slice(rs);
	repl_state_drain(rs);
}

void repl_state_writable(struct repl_state *rs)
{
	repl_state_drain(rs);
}

static void sweep_end(struct rctx *c, int err);

/* Starts a pass of c's table (a bulk replaces a refresh in progress). */
static int pass_start(struct rctx *c, enum pass_kind kind)
{
	if (!c->ct || !c->mode || !mate_ready(c))
		return -ENOTCONN;
	if (c->sweeping)
		sweep_end(c, -ECANCELED);   /* the table is ours now */
	if (c->pass == PASS_REFRESH && kind == PASS_BULK)
		pass_drop(c);
	else if (c->pass != PASS_NONE && kind == PASS_REFRESH)
		return -EBUSY;
	else if (c->pass == PASS_BULK)
		pass_drop(c);   /* restarted: a new BULK_BEGIN follows */
	/* What the events queued goes first. */
	repl_mode_incremental.xmit(c->mode);
	c->pass_size = repl_ct_count(c->ct);
	if (c->pass_size == 0) {
		/* Nothing to dump (a dump would still walk the global hash):
		 * the mate gets the pass's begin and end at once. */
		c->pass = kind;
		c->pass_first = true;
		c->pass_entries = 0;
		if (kind == PASS_BULK)
			c->resync_due = false;
		pass_end(c, 0);
		return 0;
	}
	/* The dump's child starts when pass_slice serves this pass. */
	c->pass = kind;
	c->pass_first = true;
	c->pass_entries = 0;
	if (kind == PASS_REFRESH) {
		c->pass_all = c->refresh_all_due;
		c->refresh_all_due = false;
	}
	if (kind == PASS_BULK) {
		c->resync_due = false;
		mlog(MSG_930105, "context %s: sending the whole connection table",
		     c->name);
	}
	if (c->rs->loop)
		step_arm(c->rs);
	else
		pass_slice(c->rs);
	return 0;
}

static void ctx_bulk(struct rctx *c)
{
	pass_start(c, PASS_BULK);
}

int repl_state_send_bulk(struct repl_state *rs, unsigned group_mask)
{
	if (!rs->mate)
		return -ENOTCONN;
	group_mask &= (1u << GROUPS) - 1;
	for (int g = 1; g <= GROUPS; g++)
		if (group_mask & (1u << (g - 1)))
			rs->ready[g - 1] = true;
	/* The group-done markers wait until every pass has started: an
	 * empty table's pass ends inside its start. */
	rs->bulk_sending &= ~group_mask;
	for (size_t i = 0; i < rs->nctxs; i++) {
		struct rctx *c = rs->ctxs[i];
		if (group_ok(c->group) && (group_mask & (1u << (c->group - 1))) &&
		    ctx_active(c) && c->st.open)
			ctx_bulk(c);
	}
	rs->bulk_sending |= group_mask;
	bulk_groups_done(rs);
	return 0;
}

int repl_state_request_bulk(struct repl_state *rs, unsigned group_mask)
{
	group_mask &= (1u << GROUPS) - 1;
	if (!group_mask)
		return -EINVAL;
	struct fo_wire_msg *m = rs->scratch;
	fo_wire_msg_init(m, FO_WT_BULK_REQ);
	m->u.bulk_req.group_mask = (uint8_t)group_mask;
	int err = rs->ops.send(rs->arg, m);
	if (err)
		return err;
	rs->bulk_wanted |= group_mask;
	rs->st.bulk_requested++;
	mlog(MSG_930304, "bulk synchronisation of failover group mask %#x "
	     "requested from the mate", group_mask);
	return 0;
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */

static int recv_bad(struct repl_state *rs, const struct fo_state_batch *b,
		    const char *why)
{
	rs->st.msg_bad++;
	for (size_t i = 1; i < b->n_recs; i++)
		count(rs, wire_obj(b->recs[i].obj_type), false, true, 1);
	mlog(MSG_930302, "stateful update from the mate dropped: %s", why);
	return -EBADMSG;
}

/* Installs one received batch and counts it: rcv per record, rerr per
 * record the kernel did not take after its retry (repl_ct's
 * inject_failed) or that did not decode. */
static void install_batch(struct repl_state *rs, struct rctx *c,
			  const struct rx_item *it)
{
	const struct repl_ct_stats *ks = repl_ct_get_stats(c->ct);
	uint64_t kerr0 = ks->inject_failed;
	const struct repl_mode_stats *ms = repl_mode_incremental.stats(c->mode);
	uint64_t rx0 = ms->rx_records;
	int err = repl_mode_incremental.recv(c->mode, it->batch.data,
					     it->batch.len);
	uint64_t got = ms->rx_records - rx0;
	uint64_t kerr = ks->inject_failed - kerr0;
	uint64_t n = it->n, tcp = it->tcp, udp = it->udp;
	uint64_t bad = (err ? n - got : 0) + kerr;
	if (bad > n)
		bad = n;
	/* Rows by protocol; which record failed is not known, so errors
	 * are charged to TCP first, then UDP. */
	uint64_t bad_tcp = bad < tcp ? bad : tcp, bad_udp = bad - bad_tcp;
	count(rs, REPL_OBJ_TCP, false, false, tcp - bad_tcp);
	count(rs, REPL_OBJ_UDP, false, false, udp - bad_udp);
	count(rs, REPL_OBJ_TCP, false, true, bad_tcp);
	count(rs, REPL_OBJ_UDP, false, true, bad_udp);
	c->st.conn_rcv += n - bad;
	c->st.conn_err += bad;
	if (bad)
		mlog(MSG_930302, "context %s: %llu connection record(s) from "
		     "the mate not installed", c->name, (unsigned long long)bad);
	if (it->flags & REPL_BATCH_BULK_END) {
		c->st.bulk_received++;
		rs->st.bulk_received++;
	}
}

/* "Recv Q": batches waiting for their install. */
static size_t rx_queued(const struct repl_state *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->nctxs; i++)
		n += rs->ctxs[i]->rxq_len;
	return n;
}

static void rx_arm(struct repl_state *rs)
{
	if (rs->rx_timer && !ev_timer_pending(rs->rx_timer))
		ev_timer_start(rs->rx_timer, 1);
}

/* The sweep's dump callback: every entry of the old copy goes. */
static int sweep_entry(void *arg, const struct repl_ct_entry *e)
{
	struct rctx *c = arg;
	struct repl_ct_entry d = *e;
	d.op = REPL_CT_DESTROY;
	(void)repl_ct_inject(c->ct, &d);   /* failures: counted by repl_ct */
	return 0;
}

static void sweep_end(struct rctx *c, int err)
{
	repl_ct_inject_flush(c->ct);
	job_unwatch(c);
	repl_ct_dump_cancel(c->ct);
	repl_ct_set_filter(c->ct, http_filter, c);
	c->sweeping = false;
	if (err && err != -ECANCELED) {
		/* Stale entries may survive in our copy: counted; the next
		 * bulk removes them. */
		mlog(MSG_930303, "context %s: removing the old copy before a "
		     "bulk ended early: %s", c->name, strerror(-err));
		count(c->rs, REPL_OBJ_TCP, false, true, 1);
	}
}

/* One step of the sweep (or of its flush); true when it is over. */
static bool sweep_step(struct rctx *c)
{
	job_unwatch(c);
	bool done = false;
	int n = c->sweep_flush ? repl_ct_flush_step(c->ct, &done)
			       : repl_ct_dump_step(c->ct, STEP_ENTRIES,
						   sweep_entry, c, &done);
	repl_ct_inject_flush(c->ct);
	if (n < 0 || done) {
		sweep_end(c, n < 0 ? n : 0);
		return true;
	}
	return false;
}

/* A bulk replaces our copy: nothing stale survives it.  A small copy
 * goes in one kernel flush, a big one is swept in slices from the loop
 * (without a loop, at once); both through repl_ct's child, since either
 * walks the whole global hash in the kernel.  What the mate sends
 * meanwhile waits in the rx queue. */
static void sweep_start(struct rctx *c)
{
	if (c->sweeping)
		sweep_end(c, -ECANCELED);
	if (c->pass != PASS_NONE)
		pass_drop(c);   /* the dump slot is the sweep's now */
	long size = repl_ct_count(c->ct);
	if (size == 0)
		return;
	c->sweep_flush = size > 0 && size < SWEEP_MIN_ENTRIES;
	/* Every entry of the old copy, HTTP ones included. */
	if (!c->sweep_flush)
		repl_ct_set_filter(c->ct, NULL, NULL);
	int err = c->sweep_flush ? repl_ct_flush_begin(c->ct)
				 : repl_ct_dump_begin(c->ct);
	if (err) {
		/* No child (fork failed): the old copy still goes, in one
		 * blocking call, rather than survive the bulk. */
		repl_ct_set_filter(c->ct, http_filter, c);
		repl_ct_flush_table(c->ct);
		return;
	}
	c->sweeping = true;
	if (c->rs->loop) {
		rx_arm(c->rs);
		return;
	}
	while (!sweep_step(c))
		if (repl_ct_dump_waiting(c->ct))
			job_wait(c);
}

/* One turn of standby work for c within the budget: the sweep first,
 * then queued batches in order.  True when work is left. */
static bool rx_work(struct repl_state *rs, struct rctx *c, uint64_t t0)
{
	while (c->sweeping) {
		if (sweep_step(c))
			break;
		if (repl_ct_dump_waiting(c->ct) && job_wait(c))
			return false;   /* the child's pipe calls rx_arm */
		if (ev_now_us() - t0 >= RX_BUDGET_US)
			return true;
	}
	while (c->rxq_head) {
		struct rx_item *it = c->rxq_head;
		c->rxq_head = it->next;
		if (!c->rxq_head)
			c->rxq_tail = NULL;
		c->rxq_len--;
		rs->st.recv_q.cur = rx_queued(rs);
		install_batch(rs, c, it);
		buf_free(&it->batch);
		free(it);
		if (c->rxq_head && ev_now_us() - t0 >= RX_BUDGET_US)
			return true;
	}
	return false;
}

static void on_rx_step(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct repl_state *rs = arg;
	uint64_t t0 = ev_now_us();
	bool more = false;
	for (size_t i = 0; i < rs->nctxs; i++)
		if (rs->ctxs[i]->sweeping || rs->ctxs[i]->rxq_head)
			more |= rx_work(rs, rs->ctxs[i], t0);
	if (more)
		rx_arm(rs);
}

static void recv_ct(struct repl_state *rs, struct rctx *c, uint8_t flags,
		    const struct fo_state_batch *b)
{
	size_t n = b->n_recs - 1;
	uint8_t hdr[REPL_BATCH_HDR_LEN] = { REPL_BATCH_VERSION, REPL_KIND_CT,
		(uint8_t)(flags & (REPL_BATCH_BULK_BEGIN | REPL_BATCH_BULK_END |
				   REPL_BATCH_REFRESH)), 0,
		(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
		(uint8_t)n };
	struct rx_item *it = calloc(1, sizeof *it);
	if (!it)
		abort();   /* as sys_buf: cannot work without memory */
	it->n = n;
	it->flags = flags;
	buf_init(&it->batch);
	buf_add(&it->batch, hdr, sizeof hdr);
	for (size_t i = 1; i < b->n_recs; i++) {
		buf_add(&it->batch, b->recs[i].data.data, b->recs[i].data.len);
		if (wire_obj(b->recs[i].obj_type) == REPL_OBJ_TCP)
			it->tcp++;
		else
			it->udp++;
	}
	if ((flags & REPL_BATCH_BULK_BEGIN) && !ctx_active(c))
		sweep_start(c);
	if (!c->sweeping && !c->rxq_head) {
		install_batch(rs, c, it);
		buf_free(&it->batch);
		free(it);
		return;
	}
	/* After the sweep, in order. */
	if (c->rxq_tail)
		c->rxq_tail->next = it;
	else
		c->rxq_head = it;
	c->rxq_tail = it;
	c->rxq_len++;
	rx_arm(rs);
}

static void recv_arp(struct repl_state *rs, struct rctx *c,
		     const struct fo_state_batch *b)
{
	for (size_t i = 1; i < b->n_recs; i++) {
		struct repl_arp_entry e;
		int n = repl_arp_decode(b->recs[i].data.data, b->recs[i].data.len, &e);
		bool ok = n > 0 && (size_t)n == b->recs[i].data.len &&
			  repl_arp_install(c->arp, &e) == 0;
		count(rs, REPL_OBJ_ARP, false, !ok, 1);
		if (ok)
			c->st.arp_rcv++;
		else
			c->st.arp_err++;
	}
}

static int recv_state(struct repl_state *rs, const struct fo_state_batch *b)
{
	if (b->n_recs < 1 || b->recs[0].obj_type != FO_OBJ_ENVELOPE ||
	    b->recs[0].data.len < ENV_FIXED)
		return recv_bad(rs, b, "no envelope");
	const uint8_t *e = b->recs[0].data.data;
	size_t nl = e[4];
	if (e[0] != ENV_VERSION || b->recs[0].data.len != ENV_FIXED + nl ||
	    nl > FO_NAME_MAX)
		return recv_bad(rs, b, "bad envelope");
	uint8_t kind = e[1], flags = e[ENV_FLAGS_AT], group = e[3];
	char name[FO_NAME_MAX + 1];
	memcpy(name, e + ENV_FIXED, nl);
	name[nl] = '\0';

	if (kind == ENV_GROUP_DONE) {
		if (!group_ok(group) || b->n_recs != 1)
			return recv_bad(rs, b, "bad group marker");
		if (rs->bulk_wanted & (1u << (group - 1))) {
			rs->bulk_wanted &= ~(1u << (group - 1));
			mlog(MSG_930305, "bulk synchronisation of failover group "
			     "%u from the mate complete", group);
			if (rs->ops.bulk_done)
				rs->ops.bulk_done(rs->arg, group);
		}
		return 0;
	}
	for (size_t i = 1; i < b->n_recs; i++) {
		uint16_t t = b->recs[i].obj_type;
		bool want_arp = kind == ENV_ARP;
		if (want_arp != (t == FO_OBJ_ARP) ||
		    (!want_arp && t != FO_OBJ_TCP_CONN && t != FO_OBJ_UDP_CONN))
			return recv_bad(rs, b, "record of the wrong kind");
	}
	struct rctx *c = find_ctx(rs, name);
	if (!c || !c->st.open) {
		char why[96];
		snprintf(why, sizeof why, "context %s %s", name,
			 c ? "has no open tables" : "unknown here");
		return recv_bad(rs, b, why);
	}
	if (kind == ENV_CT)
		recv_ct(rs, c, flags, b);
	else if (kind == ENV_ARP)
		recv_arp(rs, c, b);
	else
		return recv_bad(rs, b, "unknown kind");
	return 0;
}

int repl_state_recv(struct repl_state *rs, const struct fo_wire_msg *m)
{
	rs->st.recv_q.total++;
	rs->st.recv_q.cur = rx_queued(rs) + 1;
	if (rs->st.recv_q.max < rs->st.recv_q.cur)
		rs->st.recv_q.max = rs->st.recv_q.cur;
	int rc;
	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_STATE:
		rc = recv_state(rs, &m->u.state);
		break;
	case FO_WT_BULK_REQ:
		mlog(MSG_930304, "the mate asks for a bulk synchronisation "
		     "(group mask %#x)", m->u.bulk_req.group_mask);
		rc = repl_state_send_bulk(rs, m->u.bulk_req.group_mask);
		break;
	default:
		rs->st.msg_bad++;
		rc = -EBADMSG;
		break;
	}
	rs->st.recv_q.cur = rx_queued(rs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* events and time                                                     */

static int on_ct_event(void *arg, const struct repl_ct_entry *e)
{
	struct rctx *c = arg;
	if (!ctx_active(c) || !mate_ready(c))
		return 0;
	/* An encode failure is counted by the policy (tx_encode_err). */
	repl_mode_incremental.local(c->mode, e);
	return 0;
}

static int ctx_read_ct(struct rctx *c)
{
	int total = 0;
	for (;;) {
		int n = repl_ct_read_events(c->ct, on_ct_event, c);
		if (n == REPL_CT_LOST) {
			/* A loss only where events are being replicated (on
			 * a standby, our own injections' echoes overflow the
			 * socket during a bulk: nothing is missing). */
			if (ctx_active(c) && mate_ready(c)) {
				c->st.events_lost++;
				c->rs->st.events_lost++;
				count(c->rs, REPL_OBJ_TCP, true, true, 1);
				c->resync_due = true;
			}
			continue;
		}
		if (n <= 0)
			break;
		total += n;
	}
	if (c->mode && mate_ready(c) && ctx_active(c))
		repl_mode_incremental.xmit(c->mode);
	return total;
}

static int on_arp_event(void *arg, const struct repl_arp_entry *e)
{
	struct arp_tx *t = arg;
	if (!ctx_active(t->c) || !mate_ready(t->c))
		return 0;
	return arp_enqueue(t, e);
}

static int ctx_read_arp(struct rctx *c)
{
	struct arp_tx t = { .c = c };
	int total = 0;
	for (;;) {
		int n = repl_arp_read_events(c->arp, on_arp_event, &t);
		if (n == REPL_ARP_LOST) {
			c->st.events_lost++;
			c->rs->st.events_lost++;
			count(c->rs, REPL_OBJ_ARP, true, true, 1);
			c->resync_due = true;
			continue;
		}
		if (n <= 0)
			break;
		total += n;
	}
	arp_finish(&t, 0);
	return total;
}

static void on_ct_readable(struct ev_loop *loop, int fd, uint32_t events,
			   void *arg)
{
	ctx_read_ct(arg);
}

static void on_arp_readable(struct ev_loop *loop, int fd, uint32_t events,
			    void *arg)
{
	ctx_read_arp(arg);
}

int repl_state_poll(struct repl_state *rs)
{
	int total = 0;
	for (size_t i = 0; i < rs->nctxs; i++) {
		struct rctx *c = rs->ctxs[i];
		if (!c->st.open)
			continue;
		total += ctx_read_ct(c);
		total += ctx_read_arp(c);
	}
	return total;
}

int repl_state_tick(struct repl_state *rs, uint64_t now)
{
	for (size_t i = 0; i < rs->nctxs; i++) {
		struct rctx *c = rs->ctxs[i];
		if (!c->st.open || !ctx_active(c) || !mate_ready(c))
			continue;
		if (c->resync_due) {
			rs->st.resyncs++;
			mlog(MSG_930304, "context %s: events were lost, sending "
			     "the whole table again", c->name);
			ctx_bulk(c);
			c->announce_due = false;
			continue;
		}
		if (c->announce_due) {
			c->announce_due = false;
			ctx_bulk(c);
			continue;
		}
		/* The periodic update: every entry again each update_s
		 * seconds, as a table pass (skipped while one runs). */
		uint64_t period = (uint64_t)rs->update_s * 1000;
		if (!c->next_refresh_ms || c->next_refresh_ms > now + period)
			c->next_refresh_ms = now + period;
		if (now < c->next_refresh_ms || c->pass != PASS_NONE)
			continue;
		c->next_refresh_ms = now + period;
		c->refresh_round++;
		if (pass_start(c, PASS_REFRESH) == 0)
			c->st.refreshes++;
	}
	repl_state_drain(rs);
	return 0;
}

/* ------------------------------------------------------------------ */
/* statistics                                                          */

const struct repl_state_stats *repl_state_get_stats(const struct repl_state *rs)
{
	return &rs->st;
}

int repl_state_get_ctx_stats(const struct repl_state *rs, const char *name,
			     struct repl_ctx_stats *out)
{
	const struct rctx *c = find_ctx(rs, name);
	if (!c)
		return -ENOENT;
	*out = c->st;
	return 0;
}

void repl_state_clear_stats(struct repl_state *rs)
{
	uint64_t cur = rs->st.xmit_q.cur;
	memset(&rs->st, 0, sizeof rs->st);
	rs->st.xmit_q.cur = cur;
	for (size_t i = 0; i < rs->nctxs; i++) {
		struct rctx *c = rs->ctxs[i];
		bool open = c->st.open;
		memset(&c->st, 0, sizeof c->st);
		c->st.open = open;
		c->st.group = c->group;
	}
}
