/*
 * test_cli: the command engine alone, with a small table of its own and a
 * fake owner that records what each handler received.  Covers what an ASA
 * operator relies on: unique-prefix abbreviations, the ambiguous and
 * incomplete errors, '?' help, the caret under the bad word (interactive:
 * offset by the prompt; batch: the line echoed first), `no` forms, typed
 * values, falling back from a sub-mode to its parent, comments, LINE
 * capture, output filters, the table compiler's refusals and the mode
 * entry line that replication sends ahead of sub-mode commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "system/cli.h"

/* ------------------------------------------------------------ the owner */

struct rec {
	const char *handler;        /* which handler ran last */
	int calls;
	bool negated;
	char args[512];             /* "name=value;" for every name asked */
	char executed[256];         /* line the executed hook saw last */
	int executed_calls;
};

static const char *const arg_names[] = {
	"ifname", "name", "addr", "mask", "sb", "id", "t", "text", "all",
	"primary", "secondary", NULL
};

static void record(struct cli_session *s, const struct cli_args *a,
		   const char *handler)
{
	struct rec *r = cli_owner(s);
	r->handler = handler;
	r->calls++;
	r->negated = cli_negated(a);
	r->args[0] = '\0';
	for (const char *const *n = arg_names; *n; n++)
		if (cli_has(a, *n)) {
			size_t len = strlen(r->args);
			snprintf(r->args + len, sizeof r->args - len, "%s=%s;",
				 *n, cli_str(a, *n));
		}
}

#define HANDLER(fn) \
	static enum cli_status fn(struct cli_session *s, const struct cli_args *a) \
	{ record(s, a, #fn); return CLI_OK; }

HANDLER(h_show_run)
HANDLER(h_show_ver)
HANDLER(h_write_mem)
HANDLER(h_write_term)
HANDLER(h_copy)
HANDLER(h_hostname)
HANDLER(h_nameif)
HANDLER(h_ipaddr)
HANDLER(h_vlan)
HANDLER(h_desc)
HANDLER(h_shutdown)
HANDLER(h_timeout)
HANDLER(h_fo_unit)

static enum cli_status h_conf(struct cli_session *s, const struct cli_args *a)
{
	record(s, a, "h_conf");
	cli_set_mode(s, CLI_MODE_CONFIG, NULL);
	return CLI_OK;
}

static enum cli_status h_interface(struct cli_session *s,
				   const struct cli_args *a)
{
	record(s, a, "h_interface");
	if (strcmp(cli_str(a, "ifname"), "Bogus0") == 0)
		return cli_error_at(s, a, "ifname");
	cli_set_mode(s, CLI_MODE_IF, cli_str(a, "ifname"));
	return CLI_OK;
}

static enum cli_status h_end(struct cli_session *s, const struct cli_args *a)
{
	record(s, a, "h_end");
	cli_set_mode(s, CLI_MODE_PRIV, NULL);
	return CLI_OK;
}

static enum cli_status h_lines(struct cli_session *s, const struct cli_args *a)
{
	record(s, a, "h_lines");
	cli_puts(s, "alpha one\nbeta two\ngamma three\nalpha four\n");
	return CLI_OK;
}

#define H(...) (const struct cli_help[]){ __VA_ARGS__, { NULL, NULL } }
#define ANY CLI_M_ANYPRIV

static const struct cli_cmd rows[] = {
	{ "show running-config [all]", NULL, ANY, CLI_F_BOTH, h_show_run },
	{ "show version", NULL, CLI_M_EXEC | ANY, CLI_F_BOTH, h_show_ver },
	{ "show lines", H({ "lines", "Four lines of text" }), ANY, CLI_F_BOTH,
	  h_lines },
	{ "configure terminal", NULL, CLI_M_PRIV, CLI_F_BOTH, h_conf },
	{ "copy WORD:name WORD:text", H({ "name", "Source" }, { "text", "Dest" }),
	  ANY, CLI_F_BOTH | CLI_F_FILE, h_copy },
	{ "write memory [all]", NULL, ANY, CLI_F_BOTH, h_write_mem },
	{ "write terminal", NULL, ANY, CLI_F_BOTH, h_write_term },
	{ "end", NULL, ANY & ~CLI_M_PRIV, CLI_F_BOTH, h_end },
	{ "hostname WORD:name", H({ "name", "New host name" }), CLI_M_CONFIG,
	  CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO | CLI_F_NO_SHORT, h_hostname },
	{ "interface WORD:ifname", H({ "ifname", "Interface" }), CLI_M_CONFIG,
	  CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO, h_interface },
	{ "timeout xlate HHMMSS:t", H({ "xlate", "Translation slot" },
				     { "t", "Idle time" }),
	  CLI_M_CONFIG, CLI_F_SYS | CLI_F_CONFIG, h_timeout },
	{ "failover lan unit { primary | secondary }", NULL, CLI_M_CONFIG,
	  CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO, h_fo_unit },
	{ "nameif WORD:name", H({ "name", "Interface name" }), CLI_M_IF,
	  CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO | CLI_F_NO_SHORT, h_nameif },
	/* NO without NO_SHORT: `no ip address` alone is incomplete. */
	{ "ip address A.B.C.D:addr MASK:mask [standby A.B.C.D:sb]",
	  H({ "addr", "Address" }, { "mask", "Netmask" }, { "sb", "Standby" }),
	  CLI_M_IF, CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO, h_ipaddr },
	{ "vlan <1-4094>:id", H({ "id", "VLAN ID" }), CLI_M_IF,
	  CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO | CLI_F_NO_SHORT, h_vlan },
	{ "description LINE:text", H({ "text", "Up to 240 characters" }),
	  CLI_M_IF, CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO | CLI_F_NO_SHORT, h_desc },
	{ "shutdown", NULL, CLI_M_IF, CLI_F_SYS | CLI_F_CONFIG | CLI_F_NO,
	  h_shutdown },
	{ NULL, NULL, 0, 0, NULL },
};

static const char *fake_hostname(void *owner, const char *context)
{
	return "fw";
}

static void fake_executed(void *owner, struct cli_session *s,
			  const struct cli_cmd *cmd, const char *line,
			  enum cli_status status)
{
	struct rec *r = owner;
	snprintf(r->executed, sizeof r->executed, "%s", line);
	r->executed_calls++;
}

static const struct cli_session_ops ops = {
	.hostname = fake_hostname,
	.executed = fake_executed,
};

/* ---------------------------------------------------------- the fixture */

struct fx {
	struct cli_engine *e;
	struct rec rec;
	struct cli_session *batch;      /* starts in privileged mode */
	struct cli_session *tty;        /* interactive: starts in user EXEC */
	struct buf out;
};

static int setup(void **state)
{
	static const struct cli_cmd *const tables[] = { rows, NULL };
	struct fx *fx = calloc(1, sizeof *fx);
	char err[256] = "";
	assert_non_null(fx);
	fx->e = cli_engine_create(tables, err, sizeof err);
	if (!fx->e)
		fail_msg("test table refused: %s", err);
	fx->batch = cli_session_create(fx->e, &fx->rec, &ops, false);
	fx->tty = cli_session_create(fx->e, &fx->rec, &ops, true);
	buf_init(&fx->out);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	cli_session_destroy(fx->batch);
	cli_session_destroy(fx->tty);
	cli_engine_destroy(fx->e);
	buf_free(&fx->out);
	free(fx);
	return 0;
}

static const char *text(struct fx *fx)
{
	return fx->out.data ? fx->out.data : "";
}

/* Runs one line on a session, with fresh output and record. */
static enum cli_status run(struct fx *fx, struct cli_session *s,
			   const char *line)
{
	buf_reset(&fx->out);
	fx->rec.handler = NULL;
	fx->rec.args[0] = '\0';
	return cli_execute(s, line, &fx->out);
}

static void to_config(struct fx *fx, struct cli_session *s)
{
	assert_int_equal(run(fx, s, "configure terminal"), CLI_OK);
	assert_int_equal(cli_mode(s), CLI_MODE_CONFIG);
}

/* ------------------------------------------------------- abbreviations */

struct line_case {
	enum cli_mode mode;         /* CLI_MODE_PRIV, _CONFIG or _IF */
	const char *line;
	enum cli_status want;
	const char *handler;        /* NULL: no handler may run */
	const char *args;           /* recorded arguments, exact */
	bool negated;
};

static void enter(struct fx *fx, enum cli_mode mode)
{
	cli_set_mode(fx->batch, CLI_MODE_PRIV, NULL);
	if (mode == CLI_MODE_PRIV)
		return;
	to_config(fx, fx->batch);
	if (mode == CLI_MODE_IF) {
		assert_int_equal(run(fx, fx->batch, "interface Ethernet0"), CLI_OK);
		assert_int_equal(cli_mode(fx->batch), CLI_MODE_IF);
	}
}

static void run_cases(struct fx *fx, const struct line_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++, c++) {
		enter(fx, c->mode);
		enum cli_status st = run(fx, fx->batch, c->line);
		if (st != c->want)
			fail_msg("'%s': status %d, want %d; output:\n%s", c->line,
				 st, c->want, text(fx));
		if (!c->handler) {
			if (fx->rec.handler)
				fail_msg("'%s' ran %s", c->line, fx->rec.handler);
			continue;
		}
		if (!fx->rec.handler || strcmp(fx->rec.handler, c->handler))
			fail_msg("'%s' ran %s, want %s", c->line,
				 fx->rec.handler ? fx->rec.handler : "nothing",
				 c->handler);
		if (strcmp(fx->rec.args, c->args ? c->args : ""))
			fail_msg("'%s': args '%s', want '%s'", c->line,
				 fx->rec.args, c->args ? c->args : "");
		if (fx->rec.negated != c->negated)
			fail_msg("'%s': negated %d", c->line, fx->rec.negated);
	}
}

static void test_abbreviations(void **state)
{
	struct fx *fx = *state;
	static const struct line_case cases[] = {
		{ CLI_MODE_PRIV, "sh run", CLI_OK, "h_show_run", NULL, false },
		{ CLI_MODE_PRIV, "sh run all", CLI_OK, "h_show_run", "all=all;", false },
		{ CLI_MODE_PRIV, "SH RUN", CLI_OK, "h_show_run", NULL, false },
		{ CLI_MODE_PRIV, "show running-config", CLI_OK, "h_show_run", NULL, false },
		{ CLI_MODE_PRIV, "sh ver", CLI_OK, "h_show_ver", NULL, false },
		{ CLI_MODE_PRIV, "conf t", CLI_OK, "h_conf", NULL, false },
		{ CLI_MODE_PRIV, "wr mem", CLI_OK, "h_write_mem", NULL, false },
		{ CLI_MODE_PRIV, "wr t", CLI_OK, "h_write_term", NULL, false },
		{ CLI_MODE_PRIV, "  sh   run  ", CLI_OK, "h_show_run", NULL, false },
		{ CLI_MODE_CONFIG, "int Ethernet0", CLI_OK, "h_interface",
		  "ifname=Ethernet0;", false },
		{ CLI_MODE_CONFIG, "fail lan u sec", CLI_OK, "h_fo_unit",
		  "secondary=secondary;", false },
		/* keywords inside a row are abbreviated too */
		{ CLI_MODE_CONFIG, "failover lan unit p", CLI_OK, "h_fo_unit",
		  "primary=primary;", false },
	};
	run_cases(fx, cases, sizeof cases / sizeof cases[0]);
}

static void test_ambiguous_and_incomplete(void **state)
{
	struct fx *fx = *state;
	static const struct line_case cases[] = {
		/* "co": configure or copy; "w": write only, but "w m" fine */
		{ CLI_MODE_PRIV, "co t", CLI_AMBIGUOUS, NULL, NULL, false },
		{ CLI_MODE_PRIV, "show", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_PRIV, "write", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_PRIV, "configure", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_CONFIG, "interface", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_CONFIG, "failover lan unit", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0.1", CLI_INCOMPLETE, NULL, NULL, false },
		/* "sh" in config-if: show or shutdown */
		{ CLI_MODE_IF, "sh", CLI_AMBIGUOUS, NULL, NULL, false },
		{ CLI_MODE_IF, "shut", CLI_OK, "h_shutdown", NULL, false },
		{ CLI_MODE_IF, "sho run", CLI_OK, "h_show_run", NULL, false },
		/* "wr" before "te" is fine; "write" then nothing unique */
		{ CLI_MODE_PRIV, "write m", CLI_OK, "h_write_mem", NULL, false },
	};
	run_cases(fx, cases, sizeof cases / sizeof cases[0]);

	enter(fx, CLI_MODE_PRIV);
	assert_int_equal(run(fx, fx->batch, "co t"), CLI_AMBIGUOUS);
	assert_string_equal(text(fx), "ERROR: % Ambiguous command:  \"co\"\n");
	assert_int_equal(run(fx, fx->batch, "show"), CLI_INCOMPLETE);
	assert_string_equal(text(fx), "ERROR: % Incomplete command\n");
}

/* ----------------------------------------------------------------- help */

static const char *help(struct fx *fx, struct cli_session *s,
			const char *partial)
{
	buf_reset(&fx->out);
	cli_help(s, partial, &fx->out);
	return text(fx);
}

static void test_help(void **state)
{
	struct fx *fx = *state;
	struct cli_session *s = fx->batch;

	/* Top level of privileged mode: every keyword, with its help. */
	const char *h = help(fx, s, "");
	assert_non_null(strstr(h, "  configure  Configure using various methods\n"));
	assert_non_null(strstr(h, "  copy       Copy from one file to another\n"));
	assert_non_null(strstr(h, "  show       Show running system information\n"));
	assert_non_null(strstr(h, "  write      Write running configuration"));
	assert_null(strstr(h, "hostname"));     /* a config-mode command */
	assert_null(strstr(h, "<cr>"));

	/* CMD ?: the next tokens, sorted, help from the row or the table. */
	assert_string_equal(help(fx, s, "show "),
		"  lines           Four lines of text\n"
		"  running-config  Current operating configuration\n"
		"  version         Display the software version\n");
	/* abbreviations work before '?' */
	assert_string_equal(help(fx, s, "sh run "),
		"  all  Include the default values\n"
		"  <cr>\n");
	assert_string_equal(help(fx, s, "show version "), "  <cr>\n");

	/* partial word: the keywords it may complete to, on one line */
	assert_string_equal(help(fx, s, "co"), "configure copy\n");
	assert_string_equal(help(fx, s, "show r"), "running-config\n");
	assert_string_equal(help(fx, s, "wr"), "write\n");

	/* variables show their form and their help */
	to_config(fx, s);
	assert_int_equal(run(fx, s, "interface Ethernet0"), CLI_OK);
	h = help(fx, s, "vlan ");
	assert_string_equal(h, "  <1-4094>  VLAN ID\n");
	h = help(fx, s, "ip address ");
	assert_string_equal(h, "  A.B.C.D  Address\n");
	h = help(fx, s, "ip address 10.0.0.1 255.255.255.0 ");
	assert_string_equal(h, "  standby  Standby unit or address\n  <cr>\n");
	/* a sub-mode's '?' also offers its parents' commands at the start */
	h = help(fx, s, "");
	assert_non_null(strstr(h, "  nameif "));
	assert_non_null(strstr(h, "  hostname "));
	/* a bad word before '?' gets the caret */
	h = help(fx, s, "vlan bogus ");
	assert_non_null(strstr(h, "ERROR: % Invalid input detected at '^' marker."));
}

/* ---------------------------------------------------------------- caret */

static void test_caret(void **state)
{
	struct fx *fx = *state;
	struct buf prompt;

	/* Interactive: the caret sits under the word, after the prompt the
	 * user saw ("fw# " here: 4 columns); the line is not repeated. */
	buf_init(&prompt);
	cli_set_mode(fx->tty, CLI_MODE_PRIV, NULL);
	cli_prompt(fx->tty, &prompt);
	assert_string_equal(prompt.data, "fw# ");
	assert_int_equal(run(fx, fx->tty, "show runing"), CLI_ERROR);
	assert_string_equal(text(fx),
		"         ^\n"
		"ERROR: % Invalid input detected at '^' marker.\n");

	/* A longer prompt moves the caret with it. */
	buf_reset(&prompt);
	to_config(fx, fx->tty);
	cli_prompt(fx->tty, &prompt);
	assert_string_equal(prompt.data, "fw(config)# ");
	assert_int_equal(run(fx, fx->tty, "hostname a b"), CLI_ERROR);
	assert_string_equal(text(fx),
		"                       ^\n"
		"ERROR: % Invalid input detected at '^' marker.\n");
	buf_free(&prompt);

	/* Batch: the line is echoed, then the caret under the bad word. */
	cli_set_mode(fx->batch, CLI_MODE_PRIV, NULL);
	assert_int_equal(run(fx, fx->batch, "show  bogus"), CLI_ERROR);
	assert_string_equal(text(fx),
		"show  bogus\n"
		"      ^\n"
		"ERROR: % Invalid input detected at '^' marker.\n");
	/* unknown first word */
	assert_int_equal(run(fx, fx->batch, "frobnicate"), CLI_ERROR);
	assert_string_equal(text(fx),
		"frobnicate\n^\nERROR: % Invalid input detected at '^' marker.\n");
	/* a handler's own caret (cli_error_at) lands under its word */
	to_config(fx, fx->batch);
	assert_int_equal(run(fx, fx->batch, "interface Bogus0"), CLI_ERROR);
	assert_string_equal(text(fx),
		"interface Bogus0\n"
		"          ^\n"
		"ERROR: % Invalid input detected at '^' marker.\n");
	assert_int_equal(cli_mode(fx->batch), CLI_MODE_CONFIG);
}

/* ------------------------------------------------------------- no forms */

static void test_no_forms(void **state)
{
	struct fx *fx = *state;
	static const struct line_case cases[] = {
		{ CLI_MODE_CONFIG, "no hostname", CLI_OK, "h_hostname", NULL, true },
		{ CLI_MODE_CONFIG, "no hostname fw2", CLI_OK, "h_hostname",
		  "name=fw2;", true },
		{ CLI_MODE_CONFIG, "no interface Ethernet0", CLI_OK, "h_interface",
		  "ifname=Ethernet0;", true },
		/* NO without NO_SHORT: the whole line is needed */
		{ CLI_MODE_CONFIG, "no interface", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_IF, "no ip address", CLI_INCOMPLETE, NULL, NULL, false },
		{ CLI_MODE_IF, "no ip address 10.0.0.1 255.0.0.0", CLI_OK,
		  "h_ipaddr", "addr=10.0.0.1;mask=255.0.0.0;", true },
		/* NO_SHORT: may stop after any token */
		{ CLI_MODE_IF, "no nameif", CLI_OK, "h_nameif", NULL, true },
		{ CLI_MODE_IF, "no vlan", CLI_OK, "h_vlan", NULL, true },
		{ CLI_MODE_IF, "no desc", CLI_OK, "h_desc", NULL, true },
		{ CLI_MODE_IF, "no shut", CLI_OK, "h_shutdown", NULL, true },
		/* rows without CLI_F_NO have no `no` form */
		{ CLI_MODE_PRIV, "no configure terminal", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_CONFIG, "no timeout xlate 1:00:00", CLI_ERROR, NULL, NULL, false },
		/* `no` alone is not a command */
		{ CLI_MODE_CONFIG, "no", CLI_ERROR, NULL, NULL, false },
	};
	run_cases(fx, cases, sizeof cases / sizeof cases[0]);
	enter(fx, CLI_MODE_PRIV);
	assert_int_equal(run(fx, fx->batch, "no configure terminal"), CLI_ERROR);
	assert_non_null(strstr(text(fx), "\n   ^\n"));   /* under "configure" */
	enter(fx, CLI_MODE_CONFIG);
	assert_int_equal(run(fx, fx->batch, "no"), CLI_ERROR);
	assert_non_null(strstr(text(fx), "Invalid input"));
}

/* -------------------------------------------------------- typed values */

static void test_values(void **state)
{
	struct fx *fx = *state;
	static const struct line_case cases[] = {
		{ CLI_MODE_IF, "ip address 10.0.0.1 255.255.255.0", CLI_OK,
		  "h_ipaddr", "addr=10.0.0.1;mask=255.255.255.0;", false },
		{ CLI_MODE_IF, "ip address 10.0.0.1 255.255.255.0 standby 10.0.0.2",
		  CLI_OK, "h_ipaddr", "addr=10.0.0.1;mask=255.255.255.0;sb=10.0.0.2;",
		  false },
		{ CLI_MODE_IF, "ip address 0.0.0.0 0.0.0.0", CLI_OK, "h_ipaddr",
		  "addr=0.0.0.0;mask=0.0.0.0;", false },
		{ CLI_MODE_IF, "ip address 10.0.0.1 255.255.255.255", CLI_OK,
		  "h_ipaddr", "addr=10.0.0.1;mask=255.255.255.255;", false },
		/* malformed addresses and non-contiguous masks */
		{ CLI_MODE_IF, "ip address 10.0.0.256 255.0.0.0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0 255.0.0.0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0.1.1 255.0.0.0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address +10.0.0.1 255.0.0.0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0.1 255.0.255.0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0.1 0.255.255.255", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "ip address 10.0.0.1 255.255.255.0 standby x", CLI_ERROR,
		  NULL, NULL, false },
		/* ranges, bounds included */
		{ CLI_MODE_IF, "vlan 1", CLI_OK, "h_vlan", "id=1;", false },
		{ CLI_MODE_IF, "vlan 4094", CLI_OK, "h_vlan", "id=4094;", false },
		{ CLI_MODE_IF, "vlan 0", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "vlan 4095", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "vlan -3", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "vlan 12x", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_IF, "vlan 99999999999999999999", CLI_ERROR, NULL, NULL, false },
		/* durations */
		{ CLI_MODE_CONFIG, "timeout xlate 3:00:00", CLI_OK, "h_timeout",
		  "t=3:00:00;", false },
		{ CLI_MODE_CONFIG, "timeout xlate 0:02", CLI_OK, "h_timeout",
		  "t=0:02;", false },
		{ CLI_MODE_CONFIG, "timeout xlate 3:60:00", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_CONFIG, "timeout xlate 1:2:3:4", CLI_ERROR, NULL, NULL, false },
		{ CLI_MODE_CONFIG, "timeout xlate soon", CLI_ERROR, NULL, NULL, false },
	};
	run_cases(fx, cases, sizeof cases / sizeof cases[0]);

	/* the caret goes under the value the grammar refused */
	enter(fx, CLI_MODE_IF);
	assert_int_equal(run(fx, fx->batch, "ip address 10.0.0.1 255.0.255.0"),
			 CLI_ERROR);
	assert_non_null(strstr(text(fx), "\n                    ^\n"));

	/* the value helpers the handlers use */
	long secs = 0;
	uint32_t ip = 0;
	char b[16];
	assert_int_equal(cli_parse_hhmmss("1:00:00", &secs), 0);
	assert_int_equal(secs, 3600);
	assert_int_equal(cli_parse_hhmmss("0:10:00", &secs), 0);
	assert_int_equal(secs, 600);
	assert_int_equal(cli_parse_hhmmss("90", &secs), 0);
	assert_int_equal(secs, 90);
	assert_int_equal(cli_parse_hhmmss("", &secs), -22);
	cli_format_hhmmss(10800, b, sizeof b);
	assert_string_equal(b, "3:00:00");
	assert_int_equal(cli_parse_ip("192.168.1.2", &ip), 0);
	assert_int_equal(ip, 0xc0a80102u);
	assert_string_equal(cli_ip_str(ip, b), "192.168.1.2");
	assert_int_equal(cli_mask_to_prefix(0xffffff00u), 24);
	assert_int_equal(cli_mask_to_prefix(0), 0);
	assert_int_equal(cli_mask_to_prefix(0xff00ff00u), -1);
	assert_int_equal(cli_prefix_to_mask(24), 0xffffff00u);
	assert_int_equal(cli_prefix_to_mask(0), 0);
	assert_int_equal(cli_prefix_to_mask(32), 0xffffffffu);
}

/* ------------------------------------------------ sub-modes and comments */

static void test_submode_fallback(void **state)
{
	struct fx *fx = *state;
	struct cli_session *s = fx->batch;

	to_config(fx, s);
	assert_null(cli_mode_entry(s));
	assert_int_equal(run(fx, s, "int   Ethernet0.1"), CLI_OK);
	assert_int_equal(cli_mode(s), CLI_MODE_IF);
	assert_string_equal(cli_mode_object(s), "Ethernet0.1");
	/* the line that entered the sub-mode, as typed: replication sends it
	 * ahead of a sub-mode command so the mate lands in the same place */
	assert_string_equal(cli_mode_entry(s), "int   Ethernet0.1");

	/* a sub-mode command stays in the sub-mode */
	assert_int_equal(run(fx, s, "nameif inside"), CLI_OK);
	assert_int_equal(cli_mode(s), CLI_MODE_IF);
	assert_string_equal(fx->rec.args, "name=inside;");

	/* a config-mode command typed in config-if runs and leaves it (ASA;
	 * pasted configurations rely on it) */
	assert_int_equal(run(fx, s, "hostname fw2"), CLI_OK);
	assert_string_equal(fx->rec.handler, "h_hostname");
	assert_int_equal(cli_mode(s), CLI_MODE_CONFIG);
	assert_null(cli_mode_object(s));
	assert_null(cli_mode_entry(s));

	/* a command of neither mode errs and keeps the sub-mode */
	assert_int_equal(run(fx, s, "interface Ethernet1"), CLI_OK);
	assert_int_equal(run(fx, s, "bogus"), CLI_ERROR);
	assert_int_equal(cli_mode(s), CLI_MODE_IF);
	assert_string_equal(cli_mode_object(s), "Ethernet1");
	/* an error deeper in a parent's command still reports that command:
	 * the caret goes under "zz", not under "hostname" */
	assert_int_equal(run(fx, s, "hostname a zz"), CLI_ERROR);
	assert_non_null(strstr(text(fx), "\n           ^\n"));
	/* a privileged command (show) runs without leaving the sub-mode */
	assert_int_equal(run(fx, s, "show running-config"), CLI_OK);
	assert_int_equal(cli_mode(s), CLI_MODE_IF);
	/* end leaves every configuration mode */
	assert_int_equal(run(fx, s, "end"), CLI_OK);
	assert_int_equal(cli_mode(s), CLI_MODE_PRIV);
}

static void test_comments_and_line(void **state)
{
	struct fx *fx = *state;
	struct cli_session *s = fx->batch;
	static const char *const comments[] = {
		"!", "! a comment", "!--- Configure the group", ": Saved",
		": end", "   ", "", "  ! indented",
		"Cryptochecksum:d41d8cd98f00b204e9800998ecf8427e",
	};
	to_config(fx, s);
	for (size_t i = 0; i < sizeof comments / sizeof comments[0]; i++) {
		assert_int_equal(run(fx, s, comments[i]), CLI_OK);
		assert_null(fx->rec.handler);
		assert_string_equal(text(fx), "");
	}
	assert_int_equal(fx->rec.executed_calls, 1);   /* configure only */

	/* LINE takes the rest of the line as typed (inner spaces kept,
	 * trailing ones dropped), including words that look like keywords */
	assert_int_equal(run(fx, s, "interface Ethernet2"), CLI_OK);
	assert_int_equal(run(fx, s, " description STATE  Failover  no shutdown  "),
			 CLI_OK);
	assert_string_equal(fx->rec.handler, "h_desc");
	assert_string_equal(fx->rec.args, "text=STATE  Failover  no shutdown;");
	assert_int_equal(run(fx, s, "desc x"), CLI_OK);
	assert_string_equal(fx->rec.args, "text=x;");
	assert_int_equal(run(fx, s, "description"), CLI_INCOMPLETE);

	/* the executed hook sees the normalised line of what ran */
	assert_int_equal(run(fx, s, "  ip  address 10.1.1.1  255.255.255.0"), CLI_OK);
	assert_string_equal(fx->rec.executed, "ip address 10.1.1.1 255.255.255.0");
	int calls = fx->rec.executed_calls;
	/* ... but not while loading a saved configuration */
	cli_set_loading(s, true);
	assert_int_equal(run(fx, s, "shutdown"), CLI_OK);
	cli_set_loading(s, false);
	assert_int_equal(fx->rec.executed_calls, calls);
}

static void test_filters(void **state)
{
	struct fx *fx = *state;
	struct cli_session *s = fx->batch;
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "show lines", "alpha one\nbeta two\ngamma three\nalpha four\n" },
		{ "show lines | include alpha", "alpha one\nalpha four\n" },
		{ "show lines | in alpha", "alpha one\nalpha four\n" },
		{ "show lines | exclude alpha", "beta two\ngamma three\n" },
		{ "show lines | begin gamma", "gamma three\nalpha four\n" },
		{ "show lines | grep t[wh]", "beta two\ngamma three\n" },
		{ "show lines | grep -v t[wh]", "alpha one\nalpha four\n" },
		{ "show lines | include ^beta|^gamma", "beta two\ngamma three\n" },
		{ "show lines | include nothing", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (run(fx, s, cases[i].line) != CLI_OK)
			fail_msg("'%s' failed:\n%s", cases[i].line, text(fx));
		assert_string_equal(fx->rec.handler, "h_lines");
		if (strcmp(text(fx), cases[i].want))
			fail_msg("'%s' gave:\n%s", cases[i].line, text(fx));
	}
	/* a filter needs a pattern; an unknown filter gets the caret */
	assert_int_equal(run(fx, s, "show lines | include"), CLI_INCOMPLETE);
	assert_int_equal(run(fx, s, "show lines | frob x"), CLI_ERROR);
	assert_non_null(strstr(text(fx), "\n             ^\n"));
	assert_int_equal(run(fx, s, "show lines | include ("), CLI_ERROR);
	assert_non_null(strstr(text(fx), "ERROR"));
}

/* --------------------------------------------------- the table compiler */

static void test_compile_errors(void **state)
{
	static const struct {
		const char *syntax, *why;
	} bad[] = {
		{ "foo WORD:x WORD:x", "two tokens share one name" },
		/* the keyword "ip" and a value called "ip" would shadow */
		{ "ip address A.B.C.D:ip", "two tokens share one name" },
		{ "foo WORD", "variable without a name" },
		{ "foo [bar", "unbalanced brackets" },
		{ "foo bar]", "unbalanced brackets" },
		{ "foo { a | b", "unbalanced brackets" },
		{ "foo <9-1>:n", "bad range" },
		{ "foo BOGUS:x", "unknown variable type" },
		{ "foo LINE:x bar", "LINE must be last" },
		{ "[foo]", "empty syntax" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const struct cli_cmd t[] = {
			{ "show version", NULL, CLI_M_PRIV, CLI_F_BOTH, h_show_ver },
			{ bad[i].syntax, NULL, CLI_M_PRIV, CLI_F_BOTH, h_show_ver },
			{ NULL, NULL, 0, 0, NULL },
		};
		const struct cli_cmd *const tables[] = { t, NULL };
		char err[256] = "";
		struct cli_engine *e = cli_engine_create(tables, err, sizeof err);
		if (e) {
			cli_engine_destroy(e);
			fail_msg("'%s' was accepted", bad[i].syntax);
		}
		if (!strstr(err, bad[i].why) || !strstr(err, bad[i].syntax))
			fail_msg("'%s': error '%s', want '%s'", bad[i].syntax,
				 err, bad[i].why);
	}
	/* the same keyword twice is fine (it binds the same text) */
	const struct cli_cmd ok[] = {
		{ "a b [a]", NULL, CLI_M_PRIV, CLI_F_BOTH, h_show_ver },
		{ NULL, NULL, 0, 0, NULL },
	};
	const struct cli_cmd *const tables[] = { ok, NULL };
	char err[256];
	struct cli_engine *e = cli_engine_create(tables, err, sizeof err);
	assert_non_null(e);
	cli_engine_destroy(e);
}

static void test_lookup_and_help_coverage(void **state)
{
	struct fx *fx = *state;
	bool neg = true;
	const struct cli_cmd *c = cli_lookup(fx->e, CLI_MODE_PRIV, false,
					     "sh run", &neg);
	assert_non_null(c);
	assert_ptr_equal(c->handler, h_show_run);
	assert_false(neg);
	c = cli_lookup(fx->e, CLI_MODE_IF, false, "no nameif", &neg);
	assert_non_null(c);
	assert_ptr_equal(c->handler, h_nameif);
	assert_true(neg);
	assert_null(cli_lookup(fx->e, CLI_MODE_PRIV, false, "hostname x", NULL));
	/* CLI_F_SYS only: not in a context */
	assert_null(cli_lookup(fx->e, CLI_MODE_CONFIG, true, "hostname x", NULL));
	assert_null(cli_lookup(fx->e, CLI_MODE_PRIV, false, "show", NULL));

	/* every token of the test table has help (row or global table) */
	for (const struct cli_cmd *r = rows; r->syntax; r++) {
		char missing[64] = "";
		if (!cli_cmd_help_complete(fx->e, r, missing, sizeof missing))
			fail_msg("'%s': no help for %s", r->syntax, missing);
	}
	/* ... and a row without it is found */
	const struct cli_cmd t[] = {
		{ "zorblax WORD:thing", NULL, CLI_M_PRIV, CLI_F_BOTH, h_show_ver },
		{ NULL, NULL, 0, 0, NULL },
	};
	const struct cli_cmd *const tables[] = { t, NULL };
	char err[256], missing[64] = "";
	struct cli_engine *e = cli_engine_create(tables, err, sizeof err);
	assert_non_null(e);
	assert_false(cli_cmd_help_complete(e, &t[0], missing, sizeof missing));
	assert_string_equal(missing, "zorblax");
	cli_engine_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abbreviations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_and_incomplete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submode_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comments_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test_setup_teardown(test_lookup_and_help_coverage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
