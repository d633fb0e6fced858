/*
 * test_cmd_table: the real command tables, as unit_create() registers them.
 * The seed's replication rule lives in the rows' flags, so it is checked
 * on the data: show, debug, mode, firewall and `failover lan unit` are
 * never replicated; every configuration and file command is.  Every token
 * of every row has help text ('?' must never print an empty line).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "system/cli.h"
#include "system/flash.h"
#include "system/sys_bootstrap.h"
#include "system/sys_log.h"
#include "system/sys_unit.h"

struct fx {
	char dir[64];
	struct bootstrap boot;
	struct flash *flash;
	struct unit *u;
};

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char err[512];
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/t_cmdtab_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->boot.unit, sizeof fx->boot.unit, "A");
	snprintf(fx->boot.state_dir, sizeof fx->boot.state_dir, "%s", fx->dir);
	snprintf(fx->boot.netns_prefix, sizeof fx->boot.netns_prefix, "tct_");
	if (flash_open(fx->dir, &fx->flash, err, sizeof err) < 0)
		fail_msg("flash_open: %s", err);
	fx->u = unit_create(&fx->boot, fx->flash, NULL, false, err, sizeof err);
	if (!fx->u)
		fail_msg("unit_create: %s", err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	unit_destroy(fx->u);
	flash_close(fx->flash);
	nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* First word of a row's syntax. */
static void first_word(const struct cli_cmd *c, char *w, size_t len)
{
	size_t n = strcspn(c->syntax, " [{");
	snprintf(w, len, "%.*s", (int)(n < len ? n : len - 1), c->syntax);
}

struct walk {
	int rows;
	char problems[4096];
	const struct cli_engine *e;
};

static void problem(struct walk *w, const struct cli_cmd *c, const char *why)
{
	size_t len = strlen(w->problems);
	snprintf(w->problems + len, sizeof w->problems - len, "  \"%s\": %s\n",
		 c->syntax, why);
}

static void check_row(const struct cli_cmd *c, void *arg)
{
	struct walk *w = arg;
	char first[64], missing[64];
	bool repl = c->flags & CLI_F_REPLICATE;
	w->rows++;
	first_word(c, first, sizeof first);

	if (!cli_cmd_help_complete(w->e, c, missing, sizeof missing)) {
		char why[128];
		snprintf(why, sizeof why, "no help for '%s'", missing);
		problem(w, c, why);
	}
	if (!c->handler)
		problem(w, c, "no handler");
	if (!(c->flags & CLI_F_BOTH))
		problem(w, c, "in neither the system space nor a context");
	if (!c->modes)
		problem(w, c, "in no mode");

	static const char *const never[] = { "show", "debug", "undebug", "mode",
					     "firewall", NULL };
	for (const char *const *n = never; *n; n++)
		if (strcmp(first, *n) == 0 && repl)
			problem(w, c, "show/debug/mode/firewall must not replicate");
	if (strncmp(c->syntax, "failover lan unit", 17) == 0) {
		if (repl)
			problem(w, c, "failover lan unit must not replicate");
	} else if ((c->flags & CLI_F_CONFIG) && !repl &&
		   strcmp(first, "mode") && strcmp(first, "firewall")) {
		problem(w, c, "configuration command not replicated");
	}

	static const char *const files[] = { "copy", "rename", "delete",
					     "mkdir", "rmdir", NULL };
	for (const char *const *n = files; *n; n++)
		if (strcmp(first, *n) == 0 &&
		    (!(c->flags & CLI_F_FILE) || !repl))
			problem(w, c, "file command must be CLI_F_FILE and replicated");
	if ((c->flags & CLI_F_FILE) && !repl)
		problem(w, c, "CLI_F_FILE row not replicated");
	/* Only configuration rows change what write memory saves. */
	if ((c->flags & CLI_F_CONFIG) &&
	    !(c->modes & (CLI_M_CONFIG | CLI_M_IF | CLI_M_CTX | CLI_M_FOGROUP |
			  CLI_M_CLASS | CLI_M_OBJECT | CLI_M_BLOCK)))
		problem(w, c, "configuration command outside configuration modes");
}

static void test_every_row(void **state)
{
	struct fx *fx = *state;
	struct walk w = { .e = unit_cli(fx->u) };
	cli_walk(w.e, check_row, &w);
	if (w.problems[0])
		fail_msg("command table problems:\n%s", w.problems);
	/* the walk saw the real tables, not an empty engine */
	int expected = 0;
	for (const struct cli_cmd *c = sys_cmds; c->syntax; c++)
		expected++;
	for (const struct cli_cmd *c = ctx_cmds; c->syntax; c++)
		expected++;
	assert_true(w.rows >= expected);
	assert_true(expected > 60);
}

struct lookup_case {
	enum cli_mode mode;
	bool in_context;
	const char *line;
	bool found;
	unsigned must;        /* flags the row must have */
	unsigned mustnt;      /* flags it must not have */
	bool negated;
};

static void test_lookup_flags(void **state)
{
	struct fx *fx = *state;
	const unsigned R = CLI_F_REPLICATE, C = CLI_F_CONFIG, F = CLI_F_FILE;
	const struct lookup_case cases[] = {
		{ CLI_MODE_CONFIG, false, "failover lan unit primary", true, C, R, false },
		{ CLI_MODE_CONFIG, false, "failover lan unit secondary", true, C, R, false },
		{ CLI_MODE_CONFIG, false, "no failover lan unit", true, 0, R, true },
		{ CLI_MODE_PRIV, false, "show running-config", true, 0, R | C, false },
		{ CLI_MODE_PRIV, false, "sh run", true, 0, R | C, false },
		{ CLI_MODE_CONFIG, false, "show running-config all", true, 0, R | C, false },
		{ CLI_MODE_PRIV, true, "show running-config", true, 0, R | C, false },
		{ CLI_MODE_PRIV, false, "copy running-config flash:/x", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "copy /noconfirm flash:/a flash:/b", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "rename flash:/a flash:/b", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "delete flash:/a", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "mkdir flash:/d", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "rmdir flash:/d", true, R | F, 0, false },
		{ CLI_MODE_PRIV, false, "write memory", true, R, 0, false },
		{ CLI_MODE_CONFIG, false, "hostname X", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "no hostname", true, R | C, 0, true },
		{ CLI_MODE_CONFIG, true, "hostname X", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "mode multiple", true, 0, R, false },
		{ CLI_MODE_CONFIG, false, "firewall transparent", true, 0, R, false },
		{ CLI_MODE_CONFIG, false, "no firewall transparent", true, 0, R, true },
		{ CLI_MODE_PRIV, false, "debug fover", true, 0, R, false },
		{ CLI_MODE_PRIV, false, "no debug fover", true, 0, R, true },
		{ CLI_MODE_CONFIG, false, "failover", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "failover group 1", true, R | C, 0, false },
		{ CLI_MODE_FOGROUP, false, "preempt", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "context context1", true, R | C, 0, false },
		{ CLI_MODE_CTX, false, "join-failover-group 2", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "interface Ethernet0.1", true, R | C, 0, false },
		{ CLI_MODE_IF, false, "vlan 2", true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false,
		  "failover interface ip LANFailover 10.1.0.1 255.255.255.0 standby 10.1.0.2",
		  true, R | C, 0, false },
		{ CLI_MODE_CONFIG, false, "pager lines 24", true, R | C, 0, false },
		/* context-only and system-only commands are where they belong */
		{ CLI_MODE_CONFIG, true, "failover lan unit primary", false, 0, 0, false },
		{ CLI_MODE_CONFIG, true, "context foo", false, 0, 0, false },
		{ CLI_MODE_PRIV, false, "hostname X", false, 0, 0, false },
		{ CLI_MODE_EXEC, false, "write memory", false, 0, 0, false },
		{ CLI_MODE_CONFIG, false, "failover group 3", false, 0, 0, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct lookup_case *c = &cases[i];
		bool neg = !c->negated;
		const struct cli_cmd *cmd = cli_lookup(unit_cli(fx->u), c->mode,
						       c->in_context, c->line, &neg);
		if (!c->found) {
			if (cmd)
				fail_msg("'%s' found row \"%s\"", c->line, cmd->syntax);
			continue;
		}
		if (!cmd)
			fail_msg("'%s': no row", c->line);
		if ((cmd->flags & c->must) != c->must ||
		    (cmd->flags & c->mustnt))
			fail_msg("'%s' (row \"%s\"): flags 0x%x, must 0x%x, "
				 "must not 0x%x", c->line, cmd->syntax,
				 cmd->flags, c->must, c->mustnt);
		if (neg != c->negated)
			fail_msg("'%s': negated %d", c->line, neg);
	}
}

int main(void)
{
	log_init("test_cmd_table", true, LOG_SEV_CRIT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_flags, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
