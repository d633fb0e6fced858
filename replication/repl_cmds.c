/*
 * repl_cmds: the replication commands.
 *
 *   write standby                      seed 003: from the system space on
 *                                      the group 1 active unit, the system
 *                                      and every context; inside a context
 *                                      on its active unit, that context.
 *   clear failover ha { sessions-all | statistics }
 *                                      IOS `clear ip inspect ha`: on the
 *                                      standby, asks the active unit for a
 *                                      bulk of the groups standby here (in
 *                                      a context: its group); statistics
 *                                      clears the counters.  Per unit.
 *   failover replication update-interval <1-3600>
 *                                      IOS `ip inspect redundancy update
 *                                      seconds`: period of the refresh of
 *                                      every entry (default 10).
 *   show failover statistics           per-context counters, command
 *                                      replication and its latency.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "failover/fo_unit.h"
#include "replication/repl.h"
#include "replication/repl_cfg.h"
#include "replication/repl_state.h"
#include "system/cli.h"
#include "system/sys_config.h"
#include "system/sys_unit.h"

#define UNIT(s) ((struct unit *)cli_owner(s))
#define UPDATE_LINE "failover replication update-interval"

static enum cli_status h_write_standby(struct cli_session *s,
				       const struct cli_args *a)
{
	struct repl *r = unit_repl(UNIT(s));
	const char *ctx = cli_context(s);
	if (!repl_config(r))
		return cli_error(s, "Failover is not running on this unit");
	if (!fo_unit_enabled(unit_failover(UNIT(s))) ||
	    !fo_unit_mate_up(unit_failover(UNIT(s))))
		return cli_error(s, "The standby unit is not present; nothing "
				 "was written");
	if (!repl_cfg_replicates_from_here(repl_config(r), ctx))
		return cli_error(s, ctx ?
			"write standby must be entered in the context on the "
			"unit where the context is active" :
			"write standby must be entered in the system execution "
			"space on the unit where failover group 1 is active");
	cli_puts(s, "Building configuration...\n");
	int err = repl_cfg_send_sync(repl_config(r), ctx);
	if (err)
		return cli_error(s, "Configuration not written to the standby "
				 "unit: %s", strerror(-err));
	cli_puts(s, "[OK]\n");
	return CLI_OK;
}

static enum cli_status h_clear_ha(struct cli_session *s,
				  const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct repl *r = unit_repl(u);
	const char *ctx = cli_context(s);
	if (!repl_conns(r))
		return cli_error(s, "Failover is not running on this unit");
	if (cli_has(a, "statistics")) {
		repl_state_clear_stats(repl_conns(r));
		repl_cfg_clear_stats(repl_config(r));
		return CLI_OK;
	}
	unsigned mask = 0;
	for (int g = 1; g <= SYS_MAX_GROUPS; g++) {
		if (ctx && unit_context_group(u, ctx) != g)
			continue;
		if (!unit_group_active(u, g))
			mask |= 1u << (g - 1);
	}
	if (!mask)
		return cli_error(s, "Nothing is standby here: a bulk is asked "
				 "for on the standby unit");
	int err = repl_state_request_bulk(repl_conns(r), mask);
	if (err)
		return cli_error(s, "Bulk synchronisation not requested: %s",
				 strerror(-err));
	cli_printf(s, "Bulk synchronisation of failover group%s %s requested "
		   "from the active unit\n", mask == 3 ? "s" : "",
		   mask == 3 ? "1 and 2" : mask == 1 ? "1" : "2");
	return CLI_OK;
}

/* The setting lives in the system configuration as a kept line, so
 * show running-config, write memory and replication carry it. */
static void forget_update_line(struct sys_config *sc)
{
	for (size_t i = 0; i < sc->nverbatim; i++)
		if (strncmp(sc->verbatim[i], UPDATE_LINE " ",
			    sizeof UPDATE_LINE) == 0) {
			sys_config_verbatim_remove(sc, sc->verbatim[i]);
			return;
		}
}

static enum cli_status h_update_interval(struct cli_session *s,
					 const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	struct repl_state *st = repl_conns(unit_repl(u));
	long secs = cli_negated(a) ? REPL_UPDATE_DEFAULT_S :
		    cli_int(a, "secs", REPL_UPDATE_DEFAULT_S);
	if (st && repl_state_set_update_interval(st, (unsigned)secs) < 0)
		return cli_error_at(s, a, "secs");
	forget_update_line(sc);
	if (!cli_negated(a) && secs != REPL_UPDATE_DEFAULT_S) {
		char line[64];
		snprintf(line, sizeof line, UPDATE_LINE " %ld", secs);
		sys_config_verbatim_add(sc, line);
	}
	return CLI_OK;
}

static enum cli_status h_show_stats(struct cli_session *s,
				    const struct cli_args *a)
{
	repl_format_ctx_stats(unit_repl(UNIT(s)), cli_context(s), cli_out(s));
	return CLI_OK;
}

#define H(...) (const struct cli_help[]){ __VA_ARGS__, { NULL, NULL } }

const struct cli_cmd repl_cmds[] = {
	/* Not replicated: it is the replication. */
	{ "write standby",
	  H({ "standby", "Write the running configuration to the standby unit" }),
	  CLI_M_ANYPRIV, CLI_F_BOTH, h_write_standby },
	{ "clear failover ha { sessions-all | statistics }",
	  H({ "failover", "Failover" },
	    { "ha", "Stateful replication" },
	    { "sessions-all", "Ask the active unit for every connection again" },
	    { "statistics", "Clear the replication counters" }),
	  CLI_M_ANYPRIV, CLI_F_BOTH, h_clear_ha },
	{ "failover replication update-interval <1-3600>:secs",
	  H({ "replication", "Stateful replication settings" },
	    { "update-interval", "Seconds between updates of every entry "
	      "(default 10)" },
	    { "secs", "Seconds" }),
	  CLI_M_CONFIG, CLI_F_SYS | CLI_F_CONFIG | CLI_F_REPLICATE | CLI_F_NO |
	  CLI_F_NO_SHORT, h_update_interval },
	{ "show failover statistics",
	  H({ "failover", "Failover status" },
	    { "statistics", "Replication counters per context" }),
	  CLI_M_EXEC | CLI_M_ANYPRIV, CLI_F_BOTH, h_show_stats },
	{ NULL, NULL, 0, 0, NULL },
};
