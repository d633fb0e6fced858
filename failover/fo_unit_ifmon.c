/*
 * fo_unit_ifmon: the monitored data interfaces of the failover manager.
 *
 * HOOK, NOT YET WIRED: fo_ifmon (failover/fo_ifmon.h) runs the per-
 * interface hellos and ASA's tests; this file is where the failover
 * manager will create one monitor per `monitor-interface` of every
 * context, feed each group's fo_ifmon_group_exceeded() to
 * fo_unit_if_policy(), and use fo_ifmon_probe_mate() for the FSM's
 * data-interface test.  Until then the interfaces are listed from the
 * configuration with a state derived from the pair ("Normal" when the
 * mate is heard and the interface has a standby address, else
 * "Waiting", as the seed says), and the data-interface test reports
 * nothing to test with, so a silent mate is declared failed after the
 * hold time.
 */
#include <errno.h>
#include <string.h>

#include "contexts/ctx_config.h"
#include "failover/fo_unit_priv.h"
#include "system/cli.h"
#include "system/sys_unit.h"

void fo_unit_ifmon_sync(struct fo_unit *fu) {}
void fo_unit_ifmon_readdress(struct fo_unit *fu) {}
void fo_unit_ifmon_close(struct fo_unit *fu) {}

int fo_unit_ifmon_probe(struct fo_unit *fu)
{
	return -ENOENT;
}

/* Calls fn for every monitored interface of every context. */
static size_t walk(const struct fo_unit *fu, const char *only_ctx,
		   void (*fn)(const struct fo_unit *fu, const char *ctx,
			      int group, const struct ctx_iface *ifc,
			      void *arg),
		   void *arg)
{
	struct sys_config *sc = unit_sysconfig(fu->u);
	size_t n = 0;

	for (size_t i = 0; i < sc->ncontexts; i++) {
		const char *name = sc->contexts[i].name;
		struct ctx_config *cc;
		if (only_ctx && strcmp(only_ctx, name) != 0)
			continue;
		cc = unit_ctxconfig(fu->u, name);
		if (!cc)
			continue;
		int group = sys_config_context_group(sc, &sc->contexts[i]);
		for (size_t k = 0; k < cc->nifaces; k++) {
			const struct ctx_iface *ifc = &cc->ifaces[k];
			if (!ifc->monitored || !ifc->nameif[0])
				continue;
			n++;
			if (fn)
				fn(fu, name, group, ifc, arg);
		}
	}
	return n;
}

struct count_arg {
	int group;
	size_t n;
};

static void count_one(const struct fo_unit *fu, const char *ctx, int group,
		      const struct ctx_iface *ifc, void *arg)
{
	struct count_arg *c = arg;
	if (c->group == 0 || c->group == group)
		c->n++;
}

size_t fo_unit_ifmon_count(const struct fo_unit *fu, int group, bool failed)
{
	struct count_arg c = { group, 0 };

	if (failed)
		return 0;  /* nothing fails until fo_ifmon is wired */
	walk(fu, NULL, count_one, &c);
	return c.n;
}

struct format_arg {
	bool mate, with_context;
	struct buf *out;
};

static void format_one(const struct fo_unit *fu, const char *ctx, int group,
		       const struct ctx_iface *ifc, void *arg)
{
	struct format_arg *f = arg;
	bool active = fo_fsm_is_active_state(
		f->mate ? fo_fsm_mate_state(fu->fsm, (unsigned)group)
			: fo_fsm_state(fu->fsm, (unsigned)group));
	char ip[16];
	uint32_t addr;
	const char *state;

	if (!fo_fsm_enabled(fu->fsm) && !f->mate)
		active = fo_unit_group_active(fu, group);
	addr = active ? ifc->ip : ifc->standby;
	if (!ifc->has_ip)
		addr = 0;
	if (f->mate && !fo_fsm_mate_present(fu->fsm))
		state = "Unknown";
	else if (!addr || !ifc->standby || !fo_fsm_mate_present(fu->fsm))
		state = "Waiting";
	else
		state = "Normal";
	if (f->with_context)
		buf_printf(f->out, "\t\t%s ", ctx);
	else
		buf_puts(f->out, "\t\t");
	buf_printf(f->out, "Interface %s (%s): %s\n", ifc->nameif,
		   cli_ip_str(addr, ip), state);
}

void fo_unit_ifmon_format(const struct fo_unit *fu, const char *ctx,
			  bool mate, bool with_context, struct buf *out)
{
	struct format_arg f = { mate, with_context, out };

	walk(fu, ctx, format_one, &f);
}
