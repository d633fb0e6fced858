/*
 * repl_state_pass: the sending half of repl_state (see repl_state.h).
 * Records go batch -> STATE messages -> transmit queue -> the link; the
 * bulk and the periodic update are table passes dumped in slices from the
 * loop; the standby's sweep of its old copy before a bulk shares their
 * dump slot and the dump child's pipe, so it is here too.
 */
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "replication/repl_arp.h"
#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "replication/repl_state.h"
#include "replication/repl_state_priv.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"

#define DRAIN_US 5000                         /* retry of a full link (the
						* link's on_writable comes
						* first) */
#define STEP_US 1                             /* next slice of a table pass */
#define STEP_ENTRIES 256                      /* entries per dump step */
#define STEP_BUDGET_US 1000                   /* loop time per slice: a
						* command or hello waits
						* at most this long */
#define PASS_QUEUE_HIGH 16                    /* our queue (messages) above
						* which a pass waits */
#define SWEEP_MIN_ENTRIES 4096                /* below it the kernel's flush
						* (one walk of the hash, which
						* any dump makes too) is as
						* cheap as a sweep */

/* One STATE message waiting for the link: records as {type u16, len u16,
 * bytes}, the envelope first. */
struct txq_item {
	struct txq_item *next;
	size_t nrec;
	struct buf recs;
};

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
			rs_count(rs, o, true, err, 1);
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

static struct rctx *item_ctx(struct repl_state *rs, const struct txq_item *it)
{
	const uint8_t *e = (const uint8_t *)it->recs.data + 4;
	char name[FO_NAME_MAX + 1];
	size_t nl = e[4];
	if (nl > FO_NAME_MAX)
		return NULL;
	memcpy(name, e + ENV_FIXED, nl);
	name[nl] = '\0';
	return rs_find_ctx(rs, name);
}

void rs_item_free(struct txq_item *it)
{
	buf_free(&it->recs);
	free(it);
}

static void step_arm(struct repl_state *rs);

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
			rs_item_free(it);
			return;
		}
		if (err != -ENOBUFS) {
			item_count(rs, it, true, item_ctx(rs, it));
			mlog(MSG_930303, "stateful update not sent to the mate: %s",
			     strerror(-err));
			rs_item_free(it);
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
		rs_item_free(it);
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
		rs_item_free(it);
	}
	rs->st.xmit_q.cur = rs->q_len;
	drain_arm(rs);
	step_arm(rs);
	return rs->q_len;
}

void rs_on_drain(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	repl_state_drain(arg);
}

void rs_queue_clear(struct repl_state *rs, bool count_lost)
{
	while (rs->q_head) {
		struct txq_item *it = rs->q_head;
		rs->q_head = it->next;
		if (count_lost)
			item_count(rs, it, true, item_ctx(rs, it));
		rs_item_free(it);
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
int rs_ctx_send_batch(void *arg, const void *batch, size_t len)
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

int rs_arp_enqueue(void *arg, const struct repl_arp_entry *e)
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

void rs_arp_finish(struct arp_tx *t, uint8_t last_flags)
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

static int arp_send_table(struct rctx *c, uint8_t first, uint8_t last)
{
	if (!c->arp || !mate_ready(c))
		return 0;
	struct arp_tx t = { .c = c, .first_flags = first };
	int n = repl_arp_dump(c->arp, rs_arp_enqueue, &t);
	rs_arp_finish(&t, last);
	return n;
}

/* ------------------------------------------------------------------ */
/* table passes: bulk and periodic update                              */

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

/* repl_ct_dump_step's callback: one entry into the pass's message. */
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
void rs_bulk_groups_done(struct repl_state *rs)
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
		rs_count(rs, REPL_OBJ_TCP, true, true, 1);
		c->resync_due = true;
	}
	pass_push(c, kind == PASS_BULK ? REPL_BATCH_BULK_END : 0);
	c->pass = PASS_NONE;
	rs_job_unwatch(c);
	repl_ct_dump_cancel(c->ct);
	if (kind == PASS_BULK) {
		c->st.bulk_sent++;
		rs->st.bulk_sent++;
		mlog(MSG_930106, "context %s: bulk sync sent, %llu connections",
		     c->name, (unsigned long long)c->pass_entries);
		arp_send_table(c, REPL_BATCH_BULK_BEGIN, REPL_BATCH_BULK_END);
		rs_bulk_groups_done(rs);
	} else {
		arp_send_table(c, REPL_BATCH_REFRESH, 0);
	}
}

/* Cancels a pass without sending its end (the mate went away). */
void rs_pass_drop(struct rctx *c)
{
	if (c->pass_it)
		rs_item_free(c->pass_it);
	c->pass_it = NULL;
	c->pass = PASS_NONE;
	rs_job_unwatch(c);
	if (c->ct)
		repl_ct_dump_cancel(c->ct);
}

/* ---- the dump/flush child's pipe ---- */

void rs_job_unwatch(struct rctx *c)
{
	if (c->job_fd >= 0 && c->rs->loop)
		ev_io_del(c->rs->loop, c->job_fd);
	c->job_fd = -1;
}

static void on_job_readable(struct ev_loop *loop, int fd, uint32_t events,
			    void *arg)
{
	struct rctx *c = arg;
	rs_job_unwatch(c);
	if (c->pass != PASS_NONE)
		step_arm(c->rs);
	if (c->sweeping)
		rs_rx_arm(c->rs);
}

/* A step found the child's pipe empty: the loop wakes us when it is not
 * (without a loop, in tests, we wait here).  True if the caller must
 * stop stepping for now. */
bool rs_job_wait(struct rctx *c)
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
	rs_job_unwatch(c);
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
	rs_job_unwatch(c);
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
	return repl_ct_dump_waiting(c->ct) && rs_job_wait(c);
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

void rs_on_step(struct ev_loop *loop, struct ev_timer *t, void *arg)
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
int rs_pass_start(struct rctx *c, enum pass_kind kind)
{
	if (!c->ct || !c->mode || !mate_ready(c))
		return -ENOTCONN;
	if (c->sweeping)
		sweep_end(c, -ECANCELED);   /* the table is ours now */
	if (c->pass == PASS_REFRESH && kind == PASS_BULK)
		rs_pass_drop(c);
	else if (c->pass != PASS_NONE && kind == PASS_REFRESH)
		return -EBUSY;
	else if (c->pass == PASS_BULK)
		rs_pass_drop(c);   /* restarted: a new BULK_BEGIN follows */
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

void rs_ctx_bulk(struct rctx *c)
{
	rs_pass_start(c, PASS_BULK);
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
			rs_ctx_bulk(c);
	}
	rs->bulk_sending |= group_mask;
	rs_bulk_groups_done(rs);
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
/* standby: the old copy's sweep before a bulk                         */

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
	rs_job_unwatch(c);
	repl_ct_dump_cancel(c->ct);
	repl_ct_set_filter(c->ct, rs_http_filter, c);
	c->sweeping = false;
	if (err && err != -ECANCELED) {
		/* Stale entries may survive in our copy: counted; the next
		 * bulk removes them. */
		mlog(MSG_930303, "context %s: removing the old copy before a "
		     "bulk ended early: %s", c->name, strerror(-err));
		rs_count(c->rs, REPL_OBJ_TCP, false, true, 1);
	}
}

/* One step of the sweep (or of its flush); true when it is over. */
bool rs_sweep_step(struct rctx *c)
{
	rs_job_unwatch(c);
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
void rs_sweep_start(struct rctx *c)
{
	if (c->sweeping)
		sweep_end(c, -ECANCELED);
	if (c->pass != PASS_NONE)
		rs_pass_drop(c);   /* the dump slot is the sweep's now */
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
		repl_ct_set_filter(c->ct, rs_http_filter, c);
		repl_ct_flush_table(c->ct);
		return;
	}
	c->sweeping = true;
	if (c->rs->loop) {
		rs_rx_arm(c->rs);
		return;
	}
	while (!rs_sweep_step(c))
		if (repl_ct_dump_waiting(c->ct))
			rs_job_wait(c);
}
