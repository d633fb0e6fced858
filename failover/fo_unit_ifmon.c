/*
 * fo_unit_ifmon: the monitored data interfaces of the failover manager.
 *
 * One fo_ifmon (failover/fo_ifmon.h) per `monitor-interface` of every
 * context, inside the context's namespace (<bootstrap netns_prefix><name>)
 * on the Linux link of the interface.  This unit's address on it is the
 * active or the standby address by the role of the context's group on
 * this unit, the mate's the other one; the group's `polltime interface`
 * gives the timers.  The list follows the configuration (sync after every
 * failover or context configuration change) and the roles (readdress
 * after every takeover).
 *
 * Three uses:
 *   - interface-policy: after any monitor changed state, each group's
 *     failed interfaces are counted against its policy and the FSM gets
 *     FO_EV_IF_FAILED / FO_EV_IF_OK on a change (from a zero timer: the
 *     change callback runs inside fo_ifmon, which the FSM's actions
 *     re-address);
 *   - the FSM's data-interface test when the failover link is silent:
 *     hellos asking for an answer at once go out on every monitored
 *     interface; the mate is alive when one answers within PROBE_WAIT.
 *     To cost no time when the mate is really dead, the probe goes out
 *     ahead, once the link was silent for hold - PROBE_WAIT: at the hold
 *     expiry the answer is then already known;
 *   - show failover / show monitor-interface: this unit's states, and
 *     the mate's as its HELLO reports them (struct fo_if_summary).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contexts/ctx_config.h"
#include "contexts/ctx_ns.h"
#include "failover/fo_ifmon.h"
#include "failover/fo_unit_priv.h"
#include "system/cli.h"
#include "system/sys_bootstrap.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"

#define PROBE_WAIT_MIN_MS 20
#define PROBE_WAIT_MAX_MS 100
#define PROBE_STEP_MS 2
/* A group fails over on its interfaces once they stayed beyond the
 * policy this long: re-applying a context (config sync, a mapped
 * interface moved) flaps its links for a moment. */
#define POLICY_CONFIRM_MS 500

static uint64_t now_ms(void)
{
	return ev_now_us() / 1000;
}

/* How long the mate gets to answer a probe: hold/16 within 20..100 ms. */
static uint32_t probe_wait_ms(const struct fo_unit *fu)
{
	uint32_t w = fu->cur.hold_ms / 16;

	if (w < PROBE_WAIT_MIN_MS)
		w = PROBE_WAIT_MIN_MS;
	if (w > PROBE_WAIT_MAX_MS)
		w = PROBE_WAIT_MAX_MS;
	return w;
}

/* The timers are made on first use: a unit without failover has none. */
static struct ev_timer *timer_of(struct fo_unit *fu, struct ev_timer **t,
				 ev_timer_cb cb)
{
	if (!*t)
		*t = ev_timer_create(fu->loop, cb, fu);
	return *t;
}

/* ------------------------------------------------------------ policy */

/* ASA monitors the interfaces of a group in Active or Standby Ready: a
 * unit joining (Sync Config .. Bulk Sync) re-applies its contexts, and
 * the links flapping then are no failure.  A failure found meanwhile is
 * reported once the group gets there (fo_unit_ifmon_transition). */
static bool policy_applies(const struct fo_unit *fu, int g)
{
	enum fo_state s = fo_fsm_state(fu->fsm, (unsigned)g);

	return s == FO_ST_ACTIVE || s == FO_ST_STANDBY_READY;
}

static void on_policy_timer(struct ev_loop *loop, struct ev_timer *t,
			    void *arg);

static void policy_check(struct fo_unit *fu)
{
	const struct sys_failover *f = &unit_sysconfig(fu->u)->fo;
	uint64_t recheck_ms = UINT64_MAX;
	struct ev_timer *t;

	for (int g = 1; g <= FO_GROUPS; g++) {
		struct fo_ifmon *mons[FO_HELLO_IF_MAX];
		size_t n = 0;
		bool exceeded;

		for (size_t i = 0; i < fu->nmons && n < FO_HELLO_IF_MAX; i++)
			if (fu->mons[i].group == g)
				mons[n++] = fu->mons[i].m;
		exceeded = fo_ifmon_group_exceeded(
			mons, n, (unsigned)f->groups[g - 1].policy,
			f->groups[g - 1].policy_percent);
		if (!exceeded)
			fu->if_failing_ms[g - 1] = 0;
		else if (!fu->if_failing_ms[g - 1])
			fu->if_failing_ms[g - 1] = now_ms();
		if (exceeded == fu->if_exceeded[g - 1] ||
		    (exceeded && !policy_applies(fu, g)))
			continue;
		if (exceeded && now_ms() - fu->if_failing_ms[g - 1] <
				POLICY_CONFIRM_MS) {
			uint64_t left = POLICY_CONFIRM_MS -
					(now_ms() - fu->if_failing_ms[g - 1]);
			if (left < recheck_ms)
				recheck_ms = left;
			continue;
		}
		fu->if_exceeded[g - 1] = exceeded;
		mlog(MSG_920203, "failover group %d: monitored interfaces %s "
		     "the interface-policy", g,
		     exceeded ? "failed beyond" : "back within");
		fo_unit_if_policy(fu, g, exceeded);
	}
	t = recheck_ms == UINT64_MAX ? NULL
		: timer_of(fu, &fu->policy_timer, on_policy_timer);
	if (t)
		ev_timer_start(t, recheck_ms * 1000);
}

static void on_policy_timer(struct ev_loop *loop, struct ev_timer *t,
			    void *arg)
{
	policy_check(arg);
}

/* The policy is checked from the loop, never inside fo_ifmon's callback
 * (the FSM's actions re-address the monitors) nor inside the FSM. */
static void policy_later(struct fo_unit *fu)
{
	struct ev_timer *t = timer_of(fu, &fu->policy_timer, on_policy_timer);

	if (t)
		ev_timer_start(t, 0);
}

static void on_mon_change(void *arg, struct fo_ifmon *m, enum fo_if_state from,
			  enum fo_if_state to)
{
	policy_later(arg);
}

void fo_unit_ifmon_transition(struct fo_unit *fu)
{
	if (fu->nmons)
		policy_later(fu);
}

/* --------------------------------------------------------- the list */

/* This unit's and the mate's address by the group's role here. */
static void mon_addresses(const struct fo_unit *fu, const struct fo_mon *mon,
			  uint32_t *own, uint32_t *mate)
{
	bool active = unit_group_active(fu->u, mon->group);

	*own = active ? mon->ip : mon->standby;
	*mate = active ? mon->standby : mon->ip;
}

static void mon_stop(struct fo_mon *mon)
{
	fo_ifmon_destroy(mon->m);
	mon->m = NULL;
}

static void mon_start(struct fo_unit *fu, struct fo_mon *mon)
{
	struct fo_ifmon_cfg cfg = {
		.context = mon->context,
		.nameif = mon->nameif,
		.netns = mon->netns,
		.ifname = mon->ifname,
		.poll_ms = mon->poll_ms,
		.hold_ms = mon->hold_ms,
	};

	mon_addresses(fu, mon, &cfg.own_ip, &cfg.mate_ip);
	/* -ENOENT: the context's namespace is not there yet; the next sync
	 * (its configuration is applied once it exists) tries again. */
	if (fo_ifmon_create(fu->loop, &cfg, on_mon_change, fu, &mon->m) < 0)
		mon->m = NULL;
}

/* What the configuration asks for: one entry per monitored interface. */
static size_t desired(struct fo_unit *fu, struct fo_mon *out, size_t max)
{
	struct sys_config *sc = unit_sysconfig(fu->u);
	const struct bootstrap *boot = unit_bootstrap(fu->u);
	size_t n = 0;

	for (size_t i = 0; i < sc->ncontexts; i++) {
		const char *name = sc->contexts[i].name;
		struct ctx_config *cc = unit_ctxconfig(fu->u, name);
		int group = sys_config_context_group(sc, &sc->contexts[i]);
		const struct fo_group_cfg *gc;
		uint32_t poll, hold;

		if (!cc || group < 1 || group > FO_GROUPS)
			continue;
		gc = &sc->fo.groups[group - 1];
		poll = gc->if_poll_ms > 0 ? (uint32_t)gc->if_poll_ms
					  : FO_DEFAULT_IF_POLL_MS;
		hold = gc->if_hold_ms > 0 ? (uint32_t)gc->if_hold_ms
					  : FO_DEFAULT_IF_HOLD_MS;
		if (hold < 2 * poll)
			hold = 5 * poll;
		for (size_t k = 0; k < cc->nifaces && n < max; k++) {
			const struct ctx_iface *ifc = &cc->ifaces[k];
			struct fo_mon *d = &out[n];

			if (!ifc->monitored || !ifc->nameif[0])
				continue;
			memset(d, 0, sizeof *d);
			snprintf(d->context, sizeof d->context, "%s", name);
			snprintf(d->nameif, sizeof d->nameif, "%s", ifc->nameif);
			d->group = group;
			snprintf(d->netns, sizeof d->netns, "%s%s",
				 boot ? boot->netns_prefix : "", name);
			if (ctx_link_linux_name(ifc->name, d->ifname) < 0)
				d->ifname[0] = '\0';
			d->ip = ifc->has_ip ? ifc->ip : 0;
			d->standby = ifc->has_ip ? ifc->standby : 0;
			d->poll_ms = poll;
			d->hold_ms = hold;
			n++;
		}
	}
	return n;
}

static struct fo_mon *find_mon(struct fo_unit *fu, const char *ctx,
			       const char *nameif)
{
	for (size_t i = 0; i < fu->nmons; i++)
		if (!strcmp(fu->mons[i].context, ctx) &&
		    !strcmp(fu->mons[i].nameif, nameif))
			return &fu->mons[i];
	return NULL;
}

/* Keeps the running monitor of an unchanged interface (its state and
 * the mate's survive), retimes or re-addresses a changed one, recreates
 * one whose link moved. */
static void adopt(struct fo_unit *fu, struct fo_mon *want, struct fo_mon *old)
{
	/* Listed (shown Waiting) but not run without failover or kernel. */
	if (!fu->cur.enabled || !unit_kernel(fu->u)) {
		if (old)
			mon_stop(old);
		return;
	}
	if (!old || !old->m || strcmp(old->netns, want->netns) ||
	    strcmp(old->ifname, want->ifname) || old->group != want->group) {
		if (old)
			mon_stop(old);
		if (want->ifname[0])
			mon_start(fu, want);
		return;
	}
	want->m = old->m;
	old->m = NULL;
	if (old->poll_ms != want->poll_ms || old->hold_ms != want->hold_ms)
		fo_ifmon_set_timers(want->m, want->poll_ms, want->hold_ms);
	if (old->ip != want->ip || old->standby != want->standby) {
		uint32_t own, mate;
		mon_addresses(fu, want, &own, &mate);
		fo_ifmon_set_addresses(want->m, own, mate);
	}
}

void fo_unit_ifmon_sync(struct fo_unit *fu)
{
	struct fo_mon *want = calloc(FO_HELLO_IF_MAX, sizeof *want);
	size_t n;

	if (!want)
		return;
	if (fu->sync_timer)
		ev_timer_stop(fu->sync_timer);
	n = desired(fu, want, FO_HELLO_IF_MAX);
	for (size_t i = 0; i < n; i++)
		adopt(fu, &want[i], find_mon(fu, want[i].context,
					     want[i].nameif));
	for (size_t i = 0; i < fu->nmons; i++)
		mon_stop(&fu->mons[i]);
	free(fu->mons);
	fu->mons = n ? want : NULL;
	fu->nmons = n;
	if (!n)
		free(want);
	policy_check(fu);
}

static void on_sync_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	fo_unit_ifmon_sync(arg);
}

void fo_unit_contexts_changed(struct fo_unit *fu)
{
	struct ev_timer *t;

	if (!fu)
		return;
	t = timer_of(fu, &fu->sync_timer, on_sync_timer);
	if (t)
		ev_timer_start(t, 0);
}

void fo_unit_ifmon_readdress(struct fo_unit *fu)
{
	for (size_t i = 0; i < fu->nmons; i++) {
		uint32_t own, mate;
		if (!fu->mons[i].m)
			continue;
		mon_addresses(fu, &fu->mons[i], &own, &mate);
		fo_ifmon_set_addresses(fu->mons[i].m, own, mate);
	}
}

void fo_unit_ifmon_close(struct fo_unit *fu)
{
	struct ev_timer **timers[] = { &fu->sync_timer, &fu->policy_timer,
				       &fu->probe_timer, &fu->preprobe_timer };

	for (size_t i = 0; i < fu->nmons; i++)
		mon_stop(&fu->mons[i]);
	free(fu->mons);
	fu->mons = NULL;
	fu->nmons = 0;
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		if (*timers[i])
			ev_timer_destroy(*timers[i]);
		*timers[i] = NULL;
	}
}

/* ------------------------------------------------ data-interface test */

/* Probes on every monitored interface that can send; the count sent. */
static size_t probe_send(struct fo_unit *fu)
{
	size_t sent = 0;

	for (size_t i = 0; i < fu->nmons; i++)
		if (fu->mons[i].m && fo_ifmon_probe_mate(fu->mons[i].m) == 0)
			sent++;
	if (sent)
		fu->probe_sent_ms = now_ms();
	return sent;
}

/* The mate answered on a data interface since the probe went out. */
static bool probe_answered(const struct fo_unit *fu)
{
	uint64_t since = now_ms() - fu->probe_sent_ms;

	for (size_t i = 0; i < fu->nmons; i++)
		if (fu->mons[i].m &&
		    fo_ifmon_mate_silent_ms(fu->mons[i].m) <= since)
			return true;
	return false;
}

static void on_probe_timer(struct ev_loop *loop, struct ev_timer *t,
			   void *arg)
{
	struct fo_unit *fu = arg;
	uint64_t waited = now_ms() - fu->probe_sent_ms, wait = probe_wait_ms(fu);
	bool alive;

	if (!fu->probe_waiting)
		return;
	alive = fu->probe_sent_ms && probe_answered(fu);
	if (!alive && fu->probe_sent_ms && waited < wait) {
		ev_timer_start(t, PROBE_STEP_MS * 1000);
		return;
	}
	fu->probe_waiting = false;
	fu->probe_sent_ms = 0;
	mlog(MSG_920204, "failover: mate %s on the monitored interfaces",
	     alive ? "answers" : "does not answer");
	fo_unit_mate_data_answer(fu, alive);
}

int fo_unit_ifmon_probe(struct fo_unit *fu)
{
	struct ev_timer *t = timer_of(fu, &fu->probe_timer, on_probe_timer);
	uint64_t wait = probe_wait_ms(fu);

	if (!t)
		return -ENOMEM;
	/* A probe sent ahead (preprobe) that is still fresh counts; else a
	 * new one goes out now. */
	if (!fu->probe_sent_ms || now_ms() - fu->probe_sent_ms > 2 * wait)
		if (!probe_send(fu))
			return -ENOENT;
	fu->probe_waiting = true;
	/* Answered from the loop, never from inside the FSM's call. */
	ev_timer_start(t, 0);
	return 0;
}

static void on_preprobe_timer(struct ev_loop *loop, struct ev_timer *t,
			      void *arg)
{
	struct fo_unit *fu = arg;

	if (fo_fsm_mate_present(fu->fsm) && !fu->probe_waiting)
		(void)probe_send(fu);
}

void fo_unit_ifmon_mate_heard(struct fo_unit *fu)
{
	struct ev_timer *t;
	uint32_t wait = probe_wait_ms(fu);

	if (!fu->nmons || fu->cur.hold_ms <= wait)
		return;
	t = timer_of(fu, &fu->preprobe_timer, on_preprobe_timer);
	if (t)
		ev_timer_start(t, (uint64_t)(fu->cur.hold_ms - wait) * 1000);
}

/* ------------------------------------------------------------ queries */

static enum fo_if_status wire_status(enum fo_if_state s)
{
	switch (s) {
	case FO_IFS_NORMAL: return FO_IF_NORMAL;
	case FO_IFS_WAITING: return FO_IF_WAITING;
	case FO_IFS_TESTING: return FO_IF_TESTING;
	case FO_IFS_FAILED: return FO_IF_FAILED;
	case FO_IFS_NO_LINK: return FO_IF_NO_LINK;
	case FO_IFS_MAX: break;
	}
	return FO_IF_UNKNOWN;
}

size_t fo_unit_ifmon_count(const struct fo_unit *fu, int group, bool failed)
{
	size_t n = 0;

	for (size_t i = 0; i < fu->nmons; i++) {
		const struct fo_mon *mon = &fu->mons[i];
		if (group && mon->group != group)
			continue;
		if (failed && !(mon->m && fo_if_state_is_failure(
					      fo_ifmon_state(mon->m))))
			continue;
		n++;
	}
	return n;
}

void fo_unit_ifmon_summary(const struct fo_unit *fu, struct fo_hello *h)
{
	h->n_ifs = 0;
	for (size_t i = 0; i < fu->nmons && h->n_ifs < FO_HELLO_IF_MAX; i++) {
		const struct fo_mon *mon = &fu->mons[i];
		struct fo_if_summary *s = &h->ifs[h->n_ifs];

		/* Longer names than the wire carries are not summarised:
		 * the mate shows them from its own monitor. */
		if (strlen(mon->context) > FO_NAME_MAX ||
		    strlen(mon->nameif) > FO_NAME_MAX)
			continue;
		s->group = (uint8_t)mon->group;
		s->status = (uint8_t)(mon->m ? wire_status(fo_ifmon_state(mon->m))
					     : FO_IF_WAITING);
		memcpy(s->context, mon->context, strlen(mon->context) + 1);
		memcpy(s->ifname, mon->nameif, strlen(mon->nameif) + 1);
		h->n_ifs++;
	}
}

/* The mate's own state of the interface from its last HELLO; NULL when
 * the failover link has not brought one. */
static const char *mate_reported(const struct fo_unit *fu,
				 const struct fo_mon *mon)
{
	if (!fu->mate_seen || !fo_fsm_mate_present(fu->fsm))
		return NULL;
	for (size_t i = 0; i < fu->mate->n_ifs && i < FO_HELLO_IF_MAX; i++) {
		const struct fo_if_summary *s = &fu->mate->ifs[i];
		if (!strcmp(s->context, mon->context) &&
		    !strcmp(s->ifname, mon->nameif))
			return fo_if_status_name((enum fo_if_status)s->status);
	}
	return NULL;
}

static void format_one(const struct fo_unit *fu, const struct fo_mon *mon,
		       bool mate, bool with_context, struct buf *out)
{
	uint32_t own, other;
	const char *state = mate ? mate_reported(fu, mon) : NULL;
	char ip[16];

	buf_puts(out, "\t\t");
	if (mon->m && !state) {
		fo_ifmon_format_line(mon->m, mate, with_context, out);
		return;
	}
	mon_addresses(fu, mon, &own, &other);
	if (!state)
		state = "Waiting";
	else if (!own || !other)
		state = "Waiting";  /* the seed: no standby address */
	if (with_context)
		buf_printf(out, "%s ", mon->context);
	buf_printf(out, "Interface %s (%s): %s\n", mon->nameif,
		   cli_ip_str(mate ? other : own, ip), state);
}

void fo_unit_ifmon_format(const struct fo_unit *fu, const char *ctx,
			  bool mate, bool with_context, struct buf *out)
{
	for (size_t i = 0; i < fu->nmons; i++)
		if (!ctx || !strcmp(ctx, fu->mons[i].context))
			format_one(fu, &fu->mons[i], mate, with_context, out);
}
