/*
 * repl: wires repl_cfg and repl_state to the unit and its failover
 * manager.  Everything here is plumbing: the policies live in the two
 * modules.
 */
#include "replication/repl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_unit.h"
#include "replication/repl_cfg.h"
#include "replication/repl_ct.h"
#include "replication/repl_state.h"
#include "system/sys_config.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"

#define CTX_SYNC_US 1000000    /* context list refresh */

struct repl {
	struct ev_loop *loop;
	struct unit *u;
	struct fo_unit *fo;
	struct repl_cfg *cfg;
	struct repl_state *state;
	struct ev_timer *timer;
	struct ev_timer *apply_timer;   /* next step of a received sync */
};

/* ---- ops towards fo_unit ---- */

static int send_frame(void *arg, struct fo_wire_msg *m)
{
	struct repl *r = arg;
	return fo_unit_send(r->fo, m);
}

static bool mate_present(void *arg)
{
	struct repl *r = arg;
	return fo_unit_enabled(r->fo) && fo_unit_mate_up(r->fo);
}

static void config_received(void *arg)
{
	fo_unit_config_received(((struct repl *)arg)->fo);
}

static void files_received(void *arg)
{
	fo_unit_files_received(((struct repl *)arg)->fo);
}

static void notice(void *arg, const char *text)
{
	unit_notice(((struct repl *)arg)->u, text);
}

static void bulk_done(void *arg, int group)
{
	fo_unit_bulk_done(((struct repl *)arg)->fo, group);
}

/* A timer 1 us away fires on the loop's next turn, after the descriptors
 * that are ready (hellos, the console) were served (the loop runs the
 * timers due at the time it started them, so this one waits a turn). */
static void defer_apply(void *arg)
{
	struct repl *r = arg;
	ev_timer_start(r->apply_timer, 1);
}

static void on_apply(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct repl *r = arg;
	if (!repl_cfg_apply_step(r->cfg))
		repl_sync_contexts(r);     /* the contexts as applied */
}

static const struct repl_cfg_ops cfg_ops = {
	.send = send_frame,
	.mate_present = mate_present,
	.config_received = config_received,
	.files_received = files_received,
	.notice = notice,
	.defer = defer_apply,
};

static const struct repl_state_ops state_ops = {
	.send = send_frame,
	.bulk_done = bulk_done,
};

/* ---- hooks from fo_unit ---- */

static void h_mate_up(void *arg)
{
	struct repl *r = arg;
	repl_sync_contexts(r);
	repl_cfg_mate_up(r->cfg);
	repl_state_mate_up(r->state);
}

static void h_mate_down(void *arg)
{
	struct repl *r = arg;
	repl_cfg_mate_down(r->cfg);
	repl_state_mate_down(r->state);
}

static void h_frame(void *arg, const struct fo_wire_msg *m)
{
	struct repl *r = arg;
	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_STATE:
	case FO_WT_BULK_REQ:
		/* A context created by the configuration just received may
		 * not be known yet. */
		repl_sync_contexts(r);
		repl_state_recv(r->state, m);
		break;
	default:
		repl_cfg_recv(r->cfg, m);
		break;
	}
}

static void h_request_config_sync(void *arg)
{
	struct repl *r = arg;
	repl_cfg_request_sync(r->cfg);
}

static void h_request_bulk_sync(void *arg, int group)
{
	struct repl *r = arg;
	repl_sync_contexts(r);
	if (group < 1 || group > SYS_MAX_GROUPS ||
	    repl_state_request_bulk(r->state, 1u << (group - 1)) < 0)
		/* Nothing can come: let the FSM go on (the periodic update
		 * fills the standby's table). */
		fo_unit_bulk_done(r->fo, group);
}

static void h_group_role(void *arg, int group, bool active)
{
	struct repl *r = arg;
	repl_state_set_group_active(r->state, group, active);
	/* A takeover: the mate's commands still waiting for their
	 * coalesced kernel apply are due now (a marked context's group is
	 * active), not after the quiet time. */
	if (active)
		repl_cfg_kernel_flush(r->cfg, false);
}

static void h_format_stats(void *arg, struct buf *out)
{
	repl_format_stats(arg, out);
}

static void h_hello_digests(void *arg, struct fo_hello *h)
{
	struct repl *r = arg;
	repl_cfg_hello_digests(r->cfg, h);
}

static void h_mate_hello(void *arg, const struct fo_hello *h)
{
	struct repl *r = arg;
	repl_cfg_mate_hello(r->cfg, h);
}

static void h_writable(void *arg)
{
	struct repl *r = arg;
	repl_state_writable(r->state);
}

static void h_config_state(void *arg, struct buf *out)
{
	struct repl *r = arg;
	repl_cfg_format_state(r->cfg, out);
}

/* ---- contexts ---- */

void repl_sync_contexts(struct repl *r)
{
	struct sys_config *sc = unit_sysconfig(r->u);
	const struct bootstrap *boot = unit_bootstrap(r->u);
	for (int g = 1; g <= SYS_MAX_GROUPS; g++) {
		repl_state_set_group_active(r->state, g, unit_group_active(r->u, g));
		repl_state_set_http(r->state, g,
				    sc->fo.groups[g - 1].replication_http);
	}
	/* A sync being applied removes and re-creates contexts over several
	 * turns: their tables are followed once it is done. */
	if (!unit_kernel(r->u) || repl_cfg_applying(r->cfg))
		return;
	/* Gone first, so a recreated context gets fresh tables. */
	for (size_t i = repl_state_ctx_count(r->state); i-- > 0;) {
		const char *name = repl_state_ctx_name(r->state, i);
		if (!sys_config_context(sc, name, false) ||
		    !unit_ctxconfig(r->u, name))
			repl_state_ctx_remove(r->state, name);
	}
	for (size_t i = 0; i < sc->ncontexts; i++) {
		const struct sys_context *x = &sc->contexts[i];
		int group = sys_config_context_group(sc, x);
		char ns[128];
		if (!unit_ctxconfig(r->u, x->name) || strlen(x->name) > FO_NAME_MAX)
			continue;
		if (repl_state_ctx_known(r->state, x->name)) {
			repl_state_ctx_set_group(r->state, x->name, group);
			continue;
		}
		snprintf(ns, sizeof ns, "%s%s", boot->netns_prefix, x->name);
		repl_state_ctx_add(r->state, x->name, ns, group);
	}
}

static void on_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	repl_sync_contexts(arg);
	ev_timer_start(t, CTX_SYNC_US);
}

int repl_create(struct ev_loop *loop, struct unit *u, struct repl **out)
{
	*out = NULL;
	struct fo_unit *fo = unit_failover(u);
	if (!loop || !fo)
		return 0;
	struct repl *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->u = u;
	r->fo = fo;
	r->apply_timer = ev_timer_create(loop, on_apply, r);
	if (unit_kernel(u))
		/* Before any bulk: a standby installs a million connections
		 * twice as fast in a big hash (repl_ct_hash_target).  Failure
		 * is not fatal (the install is only slower). */
		(void)repl_ct_size_hash(repl_ct_hash_target(repl_ct_max()));
	int err = repl_cfg_create(u, &cfg_ops, r, &r->cfg);
	if (!err)
		err = repl_state_create(loop, &state_ops, r, &r->state);
	if (err) {
		repl_destroy(r);
		return err;
	}
	struct fo_repl_hooks hooks = {
		.arg = r,
		.mate_up = h_mate_up,
		.mate_down = h_mate_down,
		.frame = h_frame,
		.request_config_sync = h_request_config_sync,
		.request_bulk_sync = h_request_bulk_sync,
		.group_role = h_group_role,
		.format_stats = h_format_stats,
		.hello_digests = h_hello_digests,
		.mate_hello = h_mate_hello,
		.writable = h_writable,
		.config_state = h_config_state,
	};
	fo_unit_set_repl_hooks(fo, &hooks);
	unit_set_exec_hook(u, repl_cfg_executed, r->cfg);
	r->timer = ev_timer_create(loop, on_timer, r);
	ev_timer_start(r->timer, CTX_SYNC_US);
	*out = r;
	return 0;
}

void repl_destroy(struct repl *r)
{
	if (!r)
		return;
	if (r->fo) {
		struct fo_repl_hooks none = { 0 };
		fo_unit_set_repl_hooks(r->fo, &none);
	}
	if (r->u)
		unit_set_exec_hook(r->u, NULL, NULL);
	if (r->timer)
		ev_timer_destroy(r->timer);
	if (r->apply_timer)
		ev_timer_destroy(r->apply_timer);
	repl_state_destroy(r->state);
	repl_cfg_destroy(r->cfg);
	free(r);
}

struct repl_cfg *repl_config(struct repl *r) { return r ? r->cfg : NULL; }
struct repl_state *repl_conns(struct repl *r) { return r ? r->state : NULL; }

void repl_format_link(struct repl *r, struct buf *out)
{
	const struct sys_failover *f = &unit_sysconfig(r->u)->fo;
	if (!f->link_ifname[0]) {
		buf_puts(out, "\tLink : Unconfigured.\n");
		return;
	}
	/* fo_unit does not publish the link's own state: a mate heard is
	 * the link working. */
	buf_printf(out, "\tLink : %s %s (%s)\n", f->link_ifname, f->link_phy,
		   fo_unit_mate_up(r->fo) ? "up" : "down");
}
