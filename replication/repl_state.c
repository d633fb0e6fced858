/*
 * repl_state: per-context stateful replication.  See repl_state.h for the
 * model and the envelope; this file goes: contexts, create and settings,
 * receiving, events and time, statistics.  What is sent (transmit queue,
 * STATE messages, bulk and periodic table passes, the standby's sweep)
 * is in repl_state_pass.c.
 */
#include "replication/repl_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "replication/repl_arp.h"
#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "replication/repl_state_priv.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"

#define BATCH_BYTES (24 * 1024)               /* repl_mode batch size */
#define TICK_US 200000                        /* periodic work */
#define RX_BUDGET_US 1000                     /* standby work per loop turn */

/* One received conntrack batch waiting for its install. */
struct rx_item {
	struct rx_item *next;
	size_t n;                     /* records */
	uint64_t tcp, udp;
	uint8_t flags;
	struct buf batch;             /* repl_mode batch: header + records */
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

static uint64_t now_ms(void) { return ev_now_us() / 1000; }

void rs_count(struct repl_state *rs, enum repl_obj o, bool tx, bool err,
	      uint64_t n)
{
	struct repl_obj_stats *s = &rs->st.obj[o], *g = &rs->st.obj[REPL_OBJ_GENERAL];
	if (tx && !err) { s->xmit += n; g->xmit += n; }
	if (tx && err) { s->xerr += n; g->xerr += n; }
	if (!tx && !err) { s->rcv += n; g->rcv += n; }
	if (!tx && err) { s->rerr += n; g->rerr += n; }
}

/* ------------------------------------------------------------------ */
/* contexts                                                            */

struct rctx *rs_find_ctx(const struct repl_state *rs, const char *name)
{
	for (size_t i = 0; i < rs->nctxs; i++)
		if (strcmp(rs->ctxs[i]->name, name) == 0)
			return rs->ctxs[i];
	return NULL;
}

bool rs_http_filter(void *arg, const struct repl_ct_entry *e)
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
		.kernel = c->ct, .send = rs_ctx_send_batch, .send_arg = c,
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
static void on_writer_readable(struct ev_loop *loop, int fd, uint32_t events,
			       void *arg);
static void on_written(void *arg, const struct repl_ct_written *w);
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
	if (rs_find_ctx(rs, name))
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
	c->ct_fd = c->arp_fd = c->job_fd = c->wr_fd = -1;
	c->st.group = group;
	rs->ctxs[rs->nctxs++] = c;

	int err = repl_ct_create(netns, &c->ct);
	if (!err) {
		repl_ct_set_filter(c->ct, rs_http_filter, c);
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
		/* Installs leave the loop (see repl_ct.h); without a writer
		 * they are made here, as in tests. */
		if (repl_ct_writer_start(c->ct, on_written, c) == 0) {
			c->wr_fd = repl_ct_writer_fd(c->ct);
			if (ev_io_add(rs->loop, c->wr_fd, EPOLLIN,
				      on_writer_readable, c) < 0)
				c->wr_fd = -1;
		}
	}
	return 0;
}

static void ctx_free(struct repl_state *rs, struct rctx *c)
{
	rs_job_unwatch(c);
	if (rs->loop && c->ct_fd >= 0)
		ev_io_del(rs->loop, c->ct_fd);
	if (rs->loop && c->arp_fd >= 0)
		ev_io_del(rs->loop, c->arp_fd);
	if (rs->loop && c->wr_fd >= 0)
		ev_io_del(rs->loop, c->wr_fd);
	if (c->mode)
		repl_mode_incremental.kill(c->mode);
	if (c->pass_it)
		rs_item_free(c->pass_it);
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
		rs_bulk_groups_done(rs);
		return;
	}
}

bool repl_state_ctx_known(const struct repl_state *rs, const char *name)
{
	return rs_find_ctx(rs, name) != NULL;
}

int repl_state_ctx_set_group(struct repl_state *rs, const char *name, int group)
{
	struct rctx *c = rs_find_ctx(rs, name);
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

static void on_rx_step(struct ev_loop *loop, struct ev_timer *t, void *arg);

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
		rs->drain_timer = ev_timer_create(loop, rs_on_drain, rs);
		rs->step_timer = ev_timer_create(loop, rs_on_step, rs);
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
	rs_queue_clear(rs, false);
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
	/* The next periodic update comes one new interval from now.  The
	 * incremental mode is left alone: it does not use the interval, and
	 * restarting it would drop the events it has queued. */
	rs->update_s = seconds;
	for (size_t i = 0; i < rs->nctxs; i++)
		rs->ctxs[i]->next_refresh_ms = 0;
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
		rs_pass_drop(rs->ctxs[i]);
	/* Whatever waited is lost with the mate: the next join's bulk
	 * carries it, and the loss is counted. */
	rs_queue_clear(rs, true);
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */

static int recv_bad(struct repl_state *rs, const struct fo_state_batch *b,
		    const char *why)
{
	rs->st.msg_bad++;
	for (size_t i = 1; i < b->n_recs; i++)
		rs_count(rs, wire_obj(b->recs[i].obj_type), false, true, 1);
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
	rs_count(rs, REPL_OBJ_TCP, false, false, tcp - bad_tcp);
	rs_count(rs, REPL_OBJ_UDP, false, false, udp - bad_udp);
	rs_count(rs, REPL_OBJ_TCP, false, true, bad_tcp);
	rs_count(rs, REPL_OBJ_UDP, false, true, bad_udp);
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

/* The writer's answer for records counted received on arrival: those
 * the kernel did not take move from rcv to rerr. */
static void on_written(void *arg, const struct repl_ct_written *w)
{
	struct rctx *c = arg;
	struct repl_state *rs = c->rs;
	const uint64_t failed[2] = { w->failed_tcp, w->failed_udp };
	const enum repl_obj objs[2] = { REPL_OBJ_TCP, REPL_OBJ_UDP };
	for (int i = 0; i < 2; i++) {
		struct repl_obj_stats *o = &rs->st.obj[objs[i]];
		struct repl_obj_stats *g = &rs->st.obj[REPL_OBJ_GENERAL];
		uint64_t n = failed[i] < o->rcv ? failed[i] : o->rcv;
		o->rcv -= n;
		g->rcv -= n < g->rcv ? n : g->rcv;
		rs_count(rs, objs[i], false, true, failed[i]);
	}
	uint64_t bad = failed[0] + failed[1];
	c->st.conn_rcv -= bad < c->st.conn_rcv ? bad : c->st.conn_rcv;
	c->st.conn_err += bad;
	if (bad)
		mlog(MSG_930302, "context %s: %llu connection record(s) from "
		     "the mate not installed", c->name, (unsigned long long)bad);
	if (w->writer_gone && rs->loop && c->wr_fd >= 0) {
		ev_io_del(rs->loop, c->wr_fd);
		c->wr_fd = -1;
	}
}

static void on_writer_readable(struct ev_loop *loop, int fd, uint32_t events,
			       void *arg)
{
	struct rctx *c = arg;
	(void)repl_ct_writer_read(c->ct);   /* failures: on_written */
}

/* "Recv Q": batches waiting for their install. */
static size_t rx_queued(const struct repl_state *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->nctxs; i++)
		n += rs->ctxs[i]->rxq_len;
	return n;
}

void rs_rx_arm(struct repl_state *rs)
{
	if (rs->rx_timer && !ev_timer_pending(rs->rx_timer))
		ev_timer_start(rs->rx_timer, 1);
}

/* One turn of standby work for c within the budget: the sweep first,
 * then queued batches in order.  True when work is left. */
static bool rx_work(struct repl_state *rs, struct rctx *c, uint64_t t0)
{
	while (c->sweeping) {
		if (rs_sweep_step(c))
			break;
		if (repl_ct_dump_waiting(c->ct) && rs_job_wait(c))
			return false;   /* the child's pipe calls rs_rx_arm */
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
		rs_rx_arm(rs);
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
		rs_sweep_start(c);
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
	rs_rx_arm(rs);
}

static void recv_arp(struct repl_state *rs, struct rctx *c,
		     const struct fo_state_batch *b)
{
	for (size_t i = 1; i < b->n_recs; i++) {
		struct repl_arp_entry e;
		int n = repl_arp_decode(b->recs[i].data.data, b->recs[i].data.len, &e);
		bool ok = n > 0 && (size_t)n == b->recs[i].data.len &&
			  repl_arp_install(c->arp, &e) == 0;
		rs_count(rs, REPL_OBJ_ARP, false, !ok, 1);
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
	struct rctx *c = rs_find_ctx(rs, name);
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
				rs_count(c->rs, REPL_OBJ_TCP, true, true, 1);
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
	return rs_arp_enqueue(t, e);
}

static int ctx_read_arp(struct rctx *c)
{
	struct arp_tx t = { .c = c };
	int total = 0;
	for (;;) {
		int n = repl_arp_read_events(c->arp, on_arp_event, &t);
		if (n == REPL_ARP_LOST) {
			/* As for conntrack: a loss only where neighbour
			 * events are being replicated. */
			if (ctx_active(c) && mate_ready(c)) {
				c->st.events_lost++;
				c->rs->st.events_lost++;
				rs_count(c->rs, REPL_OBJ_ARP, true, true, 1);
				c->resync_due = true;
			}
			continue;
		}
		if (n <= 0)
			break;
		total += n;
	}
	rs_arp_finish(&t, 0);
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
			rs_ctx_bulk(c);
			c->announce_due = false;
			continue;
		}
		if (c->announce_due) {
			c->announce_due = false;
			rs_ctx_bulk(c);
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
		if (rs_pass_start(c, PASS_REFRESH) == 0)
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
	const struct rctx *c = rs_find_ctx(rs, name);
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
