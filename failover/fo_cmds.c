/*
 * fo_cmds: failover operator commands (system execution space,
 * privileged, never replicated): failover active / no failover active /
 * failover reset [group N], failover exec, and the failover show
 * commands.  The configuration commands (`failover ...` in config mode)
 * live in system/sys_cmds.c; they tell fo_unit through
 * fo_unit_config_changed().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_unit.h"
#include "system/cli.h"
#include "system/sys_unit.h"

#define UNIT(s) ((struct unit *)cli_owner(s))

static struct fo_unit *fo_of(struct cli_session *s)
{
	return unit_failover(UNIT(s));
}

static enum cli_status no_failover(struct cli_session *s)
{
	return cli_error(s, "Failover is not running on this unit "
			 "(no event loop)");
}

static int group_arg(const struct cli_args *a)
{
	return (int)cli_int(a, "gid", 0);
}

static enum cli_status h_active(struct cli_session *s, const struct cli_args *a)
{
	struct fo_unit *fu = fo_of(s);
	struct buf msg;
	int rc;

	if (!fu)
		return no_failover(s);
	buf_init(&msg);
	rc = cli_negated(a) ? fo_unit_cmd_no_active(fu, group_arg(a), &msg)
			    : fo_unit_cmd_active(fu, group_arg(a), &msg);
	if (rc < 0) {
		enum cli_status st = cli_error(s, "%s", msg.data ? msg.data : "");
		buf_free(&msg);
		return st;
	}
	buf_free(&msg);
	return CLI_OK;
}

static enum cli_status h_reset(struct cli_session *s, const struct cli_args *a)
{
	struct fo_unit *fu = fo_of(s);
	struct buf msg;
	int rc;

	if (!fu)
		return no_failover(s);
	buf_init(&msg);
	rc = fo_unit_cmd_reset(fu, group_arg(a), &msg);
	if (rc < 0) {
		enum cli_status st = cli_error(s, "%s", msg.data ? msg.data : "");
		buf_free(&msg);
		return st;
	}
	buf_free(&msg);
	return CLI_OK;
}

/* The mate's answer: while the handler runs it goes to the session; later,
 * to the console command that waits for it (cli_defer: the console server
 * holds the command until then), or, where nothing can wait (an output
 * filter, a replayed line), to every console as a notice. */
struct exec_wait {
	struct unit *u;
	struct cli_session *s;
	bool in_handler;
	bool answered;
	int status;
	struct cli_deferred *later;
};

/* The error line that ends a failed exec's output ("" when it worked or
 * the mate's own output already says why). */
static const char *exec_error(int status)
{
	switch (status) {
	case 0:
	case -EINVAL:   /* the command failed: the mate's error is the output */
	case -ENOENT:   /* no such context there: likewise */
		return "";
	case -ETIMEDOUT:
		return "ERROR: the mate did not answer (failover exec timed out)\n";
	case -ECANCELED:
		return "ERROR: failover stopped before the mate answered\n";
	default:
		return "ERROR: the mate could not run the command\n";
	}
}

static void exec_done(void *arg, int status, const char *output)
{
	struct exec_wait *w = arg;
	struct buf text;

	if (w->in_handler) {
		w->answered = true;
		w->status = status;
		cli_puts(w->s, output);
		cli_puts(w->s, exec_error(status));
		return;
	}
	buf_init(&text);
	if (w->later) {
		buf_printf(&text, "%s%s", output, exec_error(status));
		cli_deferred_finish(w->later, status < 0 ? CLI_ERROR : CLI_OK,
				    text.data ? text.data : "");
	} else {
		buf_printf(&text, "failover exec reply:\n%s%s", output,
			   exec_error(status));
		unit_notice(w->u, text.data);
	}
	buf_free(&text);
	free(w);
}

static enum cli_status h_exec(struct cli_session *s, const struct cli_args *a)
{
	struct fo_unit *fu = fo_of(s);
	const char *target = cli_has(a, "mate") ? "mate"
			     : cli_has(a, "active") ? "active" : "standby";
	struct exec_wait *w;
	int rc;

	if (!fu)
		return no_failover(s);
	w = calloc(1, sizeof *w);
	if (!w)
		return cli_error(s, "out of memory");
	w->u = UNIT(s);
	w->s = s;
	w->in_handler = true;
	rc = fo_unit_exec(fu, target, cli_context(s), cli_str(a, "cmd"),
			  exec_done, w);
	w->in_handler = false;
	if (rc < 0) {
		free(w);
		return cli_error(s, "%s", rc == -ENOTCONN
				 ? "The mate is not reachable (failover link "
				   "down or failover off)"
				 : strerror(-rc));
	}
	if (w->answered) {
		enum cli_status st = w->status < 0 ? CLI_ERROR : CLI_OK;
		free(w);
		return st;
	}
	w->later = cli_defer(s);
	if (!w->later)
		cli_printf(s, "INFO: sent to the %s unit; its output will be "
			   "shown on the console when it arrives\n", target);
	return CLI_OK;
}

static enum cli_status h_show(struct cli_session *s, const struct cli_args *a)
{
	struct fo_unit *fu = fo_of(s);

	if (!fu)
		return no_failover(s);
	if (cli_has(a, "state"))
		fo_unit_show_state(fu, cli_out(s));
	else if (cli_has(a, "interface"))
		fo_unit_show_interface(fu, cli_out(s));
	else if (cli_has(a, "history"))
		fo_unit_show_history(fu, cli_out(s));
	else
		fo_unit_show(fu, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_show_monitor(struct cli_session *s,
				      const struct cli_args *a)
{
	struct fo_unit *fu = fo_of(s);

	if (!fu)
		return no_failover(s);
	fo_unit_show_monitor(fu, cli_context(s), cli_out(s));
	return CLI_OK;
}

#define SYS CLI_F_SYS
#define NO CLI_F_NO
/* Not in sub-modes: there a `failover ...` line (e.g. in a replayed
 * configuration, after `failover group 2`) must fall back to the config
 * mode's `failover` rows instead of matching these as incomplete. */
#define FO_MODES (CLI_M_PRIV | CLI_M_CONFIG)
#define H(...) (const struct cli_help[]){ __VA_ARGS__, { NULL, NULL } }

const struct cli_cmd fo_cmds[] = {
	{ "failover active [group <1-2>:gid]",
	  H({ "active", "Make this unit (or one failover group) active" },
	    { "group", "One failover group" },
	    { "gid", "Failover group number" }),
	  FO_MODES, SYS | NO, h_active },
	{ "failover reset [group <1-2>:gid]",
	  H({ "reset", "Clear a failed state (unit or failover group)" },
	    { "group", "One failover group" },
	    { "gid", "Failover group number" }),
	  FO_MODES, SYS, h_reset },
	{ "failover exec { mate | active | standby } LINE:cmd",
	  H({ "exec", "Run a command on a unit of the failover pair" },
	    { "mate", "The other unit" },
	    { "active", "The unit where failover group 1 is active" },
	    { "standby", "The unit where failover group 1 is standby" },
	    { "cmd", "Command to run" }),
	  FO_MODES, CLI_F_BOTH, h_exec },
	{ "show failover [state | interface | history]",
	  H({ "failover", "Failover status" },
	    { "state", "Failover state of both units" },
	    { "interface", "Failover and stateful link interfaces" },
	    { "history", "Failover state transitions" }),
	  CLI_M_EXEC | CLI_M_ANYPRIV, CLI_F_BOTH, h_show },
	{ "show monitor-interface",
	  H({ "monitor-interface", "Monitored interfaces of this context" }),
	  CLI_M_ANYPRIV, CLI_F_CTX, h_show_monitor },
	{ NULL, NULL, 0, 0, NULL },
};
