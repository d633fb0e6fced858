/*
 * test_config_roundtrip: the configuration model of one unit without the
 * kernel (unit_create(..., kernel = false)) and a flash in a temp dir.
 * The seed's PIX1 system configurations (LAN- and cable-based) and its
 * context1 configuration paste in without an error on any line; `show
 * running-config` then shows every setting pasted; pasting that output
 * into a fresh unit gives the same output byte for byte; `write memory
 * all` + `reload` brings back the same running configuration; `no` forms
 * remove what they name; bad input is refused with an error and changes
 * nothing.
 */
#include <ctype.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "system/cli.h"
#include "system/flash.h"
#include "system/sys_bootstrap.h"
#include "system/sys_log.h"
#include "system/sys_unit.h"

#ifndef SEED_DIR
#define SEED_DIR "tests/data/seed"
#endif

/* ---------------------------------------------------------------- units */

struct box {                    /* one unit with its own flash */
	char dir[64];
	struct bootstrap boot;
	struct flash *flash;
	struct unit *u;
	struct cli_session *s;      /* batch session, privileged mode */
};

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

static struct box *box_new(void)
{
	static const char *const ports[] = { "Ethernet0", "Ethernet1",
		"Ethernet2", "Ethernet3", "Ethernet4", "Ethernet5" };
	struct box *b = calloc(1, sizeof *b);
	char err[512];
	assert_non_null(b);
	snprintf(b->dir, sizeof b->dir, "/tmp/t_rt_XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(b->boot.unit, sizeof b->boot.unit, "A");
	snprintf(b->boot.state_dir, sizeof b->boot.state_dir, "%s", b->dir);
	snprintf(b->boot.netns_prefix, sizeof b->boot.netns_prefix, "trt_");
	/* The hardware inventory: without the kernel, only these exist. */
	b->boot.ifaces = calloc(6, sizeof *b->boot.ifaces);
	assert_non_null(b->boot.ifaces);
	for (size_t i = 0; i < 6; i++) {
		snprintf(b->boot.ifaces[i].name, BOOT_NAME_MAX, "%s", ports[i]);
		snprintf(b->boot.ifaces[i].link, 16, "%s", ports[i]);
	}
	b->boot.nifaces = 6;
	if (flash_open(b->dir, &b->flash, err, sizeof err) < 0)
		fail_msg("flash_open: %s", err);
	b->u = unit_create(&b->boot, b->flash, NULL, false, err, sizeof err);
	if (!b->u)
		fail_msg("unit_create: %s", err);
	b->s = unit_session_create(b->u, false);
	return b;
}

static void box_free(struct box *b)
{
	if (!b)
		return;
	cli_session_destroy(b->s);
	unit_destroy(b->u);
	flash_close(b->flash);
	bootstrap_free(&b->boot);
	nftw(b->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(b);
}

struct fx {
	struct box *a, *b;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->a = box_new();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	box_free(fx->a);
	box_free(fx->b);
	free(fx);
	return 0;
}

/* --------------------------------------------------------------- helpers */

static char *slurp(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", SEED_DIR, name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the source tree)", path);
	struct buf b;
	char chunk[4096];
	size_t n;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* Runs one line; returns its status, output in *out (caller frees). */
static enum cli_status run(struct box *b, const char *line, char **out)
{
	struct buf o;
	buf_init(&o);
	enum cli_status st = cli_execute(b->s, line, &o);
	if (out)
		*out = buf_steal(&o);
	else
		buf_free(&o);
	return st;
}

static void run_ok(struct box *b, const char *line)
{
	char *out;
	enum cli_status st = run(b, line, &out);
	if (st != CLI_OK && st != CLI_WARNING)
		fail_msg("'%s' failed (%d):\n%s", line, st, out);
	free(out);
}

/* Pastes text line by line into the current mode; every line must pass. */
static void paste(struct box *b, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int lineno = 0;
	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *out;
		lineno++;
		enum cli_status st = run(b, l, &out);
		if (st != CLI_OK && st != CLI_WARNING)
			fail_msg("line %d '%s' failed (%d):\n%s", lineno, l, st, out);
		free(out);
	}
	free(copy);
}

/* show running-config [all] in the system space or a context. */
static char *show_run(struct box *b, const char *ctx)
{
	char *out, line[128];
	if (cli_mode(b->s) != CLI_MODE_EXEC && cli_mode(b->s) != CLI_MODE_PRIV)
		run_ok(b, "end");
	if (ctx)
		snprintf(line, sizeof line, "changeto context %s", ctx);
	else
		snprintf(line, sizeof line, "changeto system");
	run_ok(b, line);
	assert_int_equal(run(b, "show running-config", &out), CLI_OK);
	return out;
}

static void to_config(struct box *b, const char *ctx)
{
	char line[128];
	if (cli_mode(b->s) != CLI_MODE_EXEC && cli_mode(b->s) != CLI_MODE_PRIV)
		run_ok(b, "end");
	if (ctx)
		snprintf(line, sizeof line, "changeto context %s", ctx);
	else
		snprintf(line, sizeof line, "changeto system");
	run_ok(b, line);
	run_ok(b, "configure terminal");
}

/* Whitespace collapsed, both ends trimmed. */
static void norm(const char *in, char *out, size_t len)
{
	size_t o = 0;
	bool space = false;
	while (isspace((unsigned char)*in))
		in++;
	for (; *in && o + 1 < len; in++) {
		if (isspace((unsigned char)*in)) {
			space = true;
			continue;
		}
		if (space && o + 2 < len)
			out[o++] = ' ';
		space = false;
		out[o++] = *in;
	}
	out[o] = '\0';
}

static bool has_line(const char *text, const char *want)
{
	char *copy = strdup(text), *save = NULL, n[512];
	bool found = false;
	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l && !found;
	     l = strtok_r(NULL, "\n", &save)) {
		norm(l, n, sizeof n);
		found = strcmp(n, want) == 0;
	}
	free(copy);
	return found;
}

/* Every setting line of the seed appears in show running-config. */
static void assert_shows_seed(const char *seed, const char *shown,
			      const char *const *aliases)
{
	char *copy = strdup(seed), *save = NULL, n[512];
	struct buf missing;
	buf_init(&missing);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		norm(l, n, sizeof n);
		if (!n[0] || n[0] == '!' || n[0] == ':' ||
		    strncmp(n, "Cryptochecksum", 14) == 0 ||
		    strncmp(n, "PIX Version", 11) == 0)
			continue;
		const char *want = n;
		for (const char *const *a = aliases; a && *a; a += 2)
			if (strcmp(a[0], n) == 0)
				want = a[1];
		if (!has_line(shown, want))
			buf_printf(&missing, "  %s\n", want);
	}
	free(copy);
	if (missing.len)
		fail_msg("show running-config lacks:\n%s--- it shows:\n%s",
			 missing.data, shown);
	buf_free(&missing);
}

static const char *const system_aliases[] = {
	"no mac-addresses auto", "no mac-address auto",
	NULL, NULL,
};

/* ------------------------------------------------------------ the tests */

static void paste_system(struct box *b, const char *seed)
{
	char *text = slurp(seed);
	to_config(b, NULL);
	paste(b, text);
	free(text);
}

static void roundtrip_system(struct fx *fx, const char *seed)
{
	char *text = slurp(seed);
	paste_system(fx->a, seed);
	char *shown = show_run(fx->a, NULL);
	assert_shows_seed(text, shown, system_aliases);
	/* spot checks of structure, not just lines */
	assert_non_null(strstr(shown, "\ninterface Ethernet0.1\n vlan 2\n"));
	assert_non_null(strstr(shown, "\nfailover group 2\n  secondary\n"));
	assert_non_null(strstr(shown, "\ncontext context2\n"));
	assert_non_null(strstr(shown, "\n  join-failover-group 2\n"));
	assert_non_null(strstr(shown, "\nadmin-context admin\n"));

	/* a fresh unit fed that output shows it byte for byte */
	fx->b = box_new();
	to_config(fx->b, NULL);
	paste(fx->b, shown);
	char *again = show_run(fx->b, NULL);
	assert_string_equal(again, shown);
	free(again);
	free(shown);
	free(text);
}

static void test_system_lan(void **state)
{
	struct fx *fx = *state;
	roundtrip_system(fx, "pix1_system_lan.cfg");
	char *shown = show_run(fx->a, NULL);
	assert_true(has_line(shown, "failover lan unit primary"));
	assert_true(has_line(shown, "failover lan interface LANFailover Ethernet3"));
	assert_true(has_line(shown, "failover interface ip LANFailover 10.1.0.1 "
			     "255.255.255.0 standby 10.1.0.2"));
	free(shown);
}

static void test_system_cable(void **state)
{
	struct fx *fx = *state;
	roundtrip_system(fx, "pix1_system_cable.cfg");
	char *shown = show_run(fx->a, NULL);
	assert_false(has_line(shown, "failover lan unit primary"));
	assert_true(has_line(shown, "failover link stateful Ethernet2"));
	free(shown);
}

static void test_show_run_variants(void **state)
{
	struct fx *fx = *state;
	char *out;
	paste_system(fx->a, "pix1_system_lan.cfg");
	run_ok(fx->a, "end");
	assert_int_equal(run(fx->a, "show running-config failover", &out), CLI_OK);
	assert_true(has_line(out, "failover lan unit primary"));
	assert_false(has_line(out, "hostname PIX1"));
	assert_false(has_line(out, "context context1"));
	free(out);
	assert_int_equal(run(fx->a, "show running-config context", &out), CLI_OK);
	assert_true(has_line(out, "context context1"));
	assert_false(has_line(out, "failover lan unit primary"));
	free(out);
	/* `all` adds defaults (group 1's primary) */
	assert_int_equal(run(fx->a, "show running-config all", &out), CLI_OK);
	assert_non_null(strstr(out, "\nfailover group 1\n  primary\n"));
	free(out);
	/* the filters work on real output */
	assert_int_equal(run(fx->a, "sh run | include ^context", &out), CLI_OK);
	assert_string_equal(out, "context admin\ncontext context1\ncontext context2\n");
	free(out);
}

static void paste_context1(struct box *b)
{
	char *text = slurp("context1.cfg");
	to_config(b, "context1");
	paste(b, text);
	free(text);
}

static void test_context(void **state)
{
	struct fx *fx = *state;
	char *seed = slurp("context1.cfg");
	paste_system(fx->a, "pix1_system_lan.cfg");
	paste_context1(fx->a);
	char *shown = show_run(fx->a, "context1");
	assert_shows_seed(seed, shown, NULL);
	assert_non_null(strstr(shown, "\ninterface inside_context1\n nameif inside\n"));

	/* a fresh unit: the system config, then the context's own output */
	fx->b = box_new();
	paste_system(fx->b, "pix1_system_lan.cfg");
	to_config(fx->b, "context1");
	paste(fx->b, shown);
	char *again = show_run(fx->b, "context1");
	assert_string_equal(again, shown);
	free(again);
	free(shown);
	free(seed);
}

static void test_write_memory_reload(void **state)
{
	struct fx *fx = *state;
	char *out;
	paste_system(fx->a, "pix1_system_lan.cfg");
	paste_context1(fx->a);
	char *sys1 = show_run(fx->a, NULL);
	char *ctx1 = show_run(fx->a, "context1");

	run_ok(fx->a, "changeto system");
	assert_int_equal(run(fx->a, "write memory all", &out), CLI_OK);
	assert_non_null(strstr(out, "[OK]"));
	free(out);
	/* the saved text is the running configuration */
	assert_int_equal(run(fx->a, "show startup-config", &out), CLI_OK);
	assert_true(has_line(out, "hostname PIX1"));
	free(out);
	assert_int_equal(run(fx->a, "more flash:/context1.cfg", &out), CLI_OK);
	assert_true(has_line(out, "nameif inside"));
	free(out);

	/* change things, then reload: the saved configuration comes back */
	to_config(fx->a, NULL);
	run_ok(fx->a, "hostname changed");
	run_ok(fx->a, "no context context2");
	to_config(fx->a, "context1");
	run_ok(fx->a, "hostname changedtoo");
	run_ok(fx->a, "changeto system");
	assert_int_equal(run(fx->a, "reload", &out), CLI_OK);
	free(out);
	char *sys2 = show_run(fx->a, NULL);
	char *ctx2 = show_run(fx->a, "context1");
	assert_string_equal(sys2, sys1);
	assert_string_equal(ctx2, ctx1);

	/* a second unit on the same flash boots into the same state */
	struct box *twin = calloc(1, sizeof *twin);
	char err[512];
	assert_non_null(twin);
	twin->boot = fx->a->boot;
	twin->boot.ifaces = NULL;
	twin->boot.nifaces = 0;
	twin->boot.ifaces = calloc(6, sizeof *twin->boot.ifaces);
	memcpy(twin->boot.ifaces, fx->a->boot.ifaces, 6 * sizeof *twin->boot.ifaces);
	twin->boot.nifaces = 6;
	twin->u = unit_create(&twin->boot, fx->a->flash, NULL, false, err, sizeof err);
	assert_non_null(twin->u);
	assert_int_equal(unit_load_startup(twin->u, NULL), 0);
	twin->s = unit_session_create(twin->u, false);
	char *sys3 = show_run(twin, NULL);
	char *ctx3 = show_run(twin, "context1");
	assert_string_equal(sys3, sys1);
	assert_string_equal(ctx3, ctx1);
	cli_session_destroy(twin->s);
	unit_destroy(twin->u);
	bootstrap_free(&twin->boot);
	free(twin);
	free(sys1); free(sys2); free(sys3);
	free(ctx1); free(ctx2); free(ctx3);
}

/* ------------------------------------------------------------- no forms */

struct no_case {
	const char *ctx;         /* NULL: system space */
	const char *enter;       /* sub-mode entry line, or NULL */
	const char *line;
	const char *gone;        /* substring of show run that must vanish */
	const char *stays;       /* and one that must remain, or NULL */
};

static void test_no_forms(void **state)
{
	struct fx *fx = *state;
	static const struct no_case cases[] = {
		{ NULL, NULL, "no hostname", "\nhostname PIX1\n", "\nhostname ciscoasa\n" },
		{ NULL, NULL, "no failover lan unit", "\nfailover lan unit primary\n", NULL },
		{ NULL, NULL, "no failover interface ip stateful",
		  "\nfailover interface ip stateful ", "\nfailover interface ip LANFailover " },
		{ NULL, NULL, "no failover key", "\nfailover key ", NULL },
		{ NULL, NULL, "no pager lines 24", "\npager lines 24\n", "\nftp mode passive\n" },
		{ NULL, NULL, "no arp timeout 14400", "\narp timeout 14400\n", "\nconsole timeout 0\n" },
		{ NULL, NULL, "no failover", "\nfailover\n", "\nfailover lan unit primary\n" },
		{ NULL, "interface Ethernet0.1", "no vlan", "\ninterface Ethernet0.1\n vlan 2\n",
		  "\ninterface Ethernet0.1\n" },
		{ NULL, "interface Ethernet5", "no shutdown", "\ninterface Ethernet5\n shutdown\n",
		  "\ninterface Ethernet5\n" },
		{ NULL, "interface Ethernet2", "no description", " description STATE Failover",
		  "\ninterface Ethernet2\n" },
		{ NULL, "failover group 2", "no secondary", "\nfailover group 2\n  secondary\n",
		  "\nfailover group 2\n" },
		{ NULL, "class default", "no limit-resource ASDM", "limit-resource ASDM 5",
		  "limit-resource SSH 5" },
		{ NULL, "context context2", "no join-failover-group", "join-failover-group 2",
		  "\ncontext context2\n" },
		{ NULL, "context context1", "no allocate-interface Ethernet1.1",
		  "allocate-interface Ethernet1.1", "allocate-interface Ethernet0.1" },
		{ NULL, NULL, "no context context2", "\ncontext context2\n", "\ncontext context1\n" },
		{ "context1", NULL, "no pager lines 24", "\npager lines 24\n", NULL },
		{ "context1", NULL, "no route outside 0.0.0.0 0.0.0.0 172.16.1.3 1",
		  "\nroute outside ", NULL },
		{ "context1", "interface inside_context1", "no nameif", " nameif inside\n",
		  "\ninterface inside_context1\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct no_case *c = &cases[i];
		box_free(fx->a);
		fx->a = box_new();
		paste_system(fx->a, "pix1_system_lan.cfg");
		if (c->ctx)
			paste_context1(fx->a);
		char *before = show_run(fx->a, c->ctx);
		if (!strstr(before, c->gone))
			fail_msg("case %zu: '%s' not there before:\n%s", i, c->gone, before);
		to_config(fx->a, c->ctx);
		if (c->enter)
			run_ok(fx->a, c->enter);
		char *out;
		enum cli_status st = run(fx->a, c->line, &out);
		if (st != CLI_OK)
			fail_msg("'%s' failed:\n%s", c->line, out);
		free(out);
		char *after = show_run(fx->a, c->ctx);
		if (strstr(after, c->gone))
			fail_msg("'%s' left '%s':\n%s", c->line, c->gone, after);
		if (c->stays && !strstr(after, c->stays))
			fail_msg("'%s' removed '%s' too:\n%s", c->line, c->stays, after);
		free(before);
		free(after);
	}
}

/* ------------------------------------------------------------ bad input */

struct bad_case {
	const char *ctx;
	const char *enter;
	const char *line;
	const char *say;         /* expected in the error output */
};

static void test_bad_input(void **state)
{
	struct fx *fx = *state;
	static const struct bad_case cases[] = {
		/* ASA's refusal of an unknown interface: the caret */
		{ NULL, NULL, "interface Ethernet9",
		  "interface Ethernet9\n          ^\nERROR: % Invalid input detected" },
		{ NULL, NULL, "interface GigabitEthernet0/1", "          ^\nERROR: % Invalid" },
		{ NULL, NULL, "interface Ethernet9.1", "          ^\nERROR: % Invalid" },
		{ NULL, "context context1", "allocate-interface Ethernet7 x", "ERROR" },
		{ NULL, NULL, "failover lan interface LANFailover Ethernet8", "ERROR" },
		/* standby outside the active address's subnet */
		{ NULL, NULL, "failover interface ip LANFailover 10.1.0.1 255.255.255.0 "
		  "standby 10.1.1.2", "not in the same subnet" },
		{ NULL, NULL, "failover interface ip stateful 10.0.0.1 255.255.255.0 "
		  "standby 10.0.0.1", "ERROR" },
		/* the admin context is always in group 1 */
		{ NULL, "context admin", "join-failover-group 2", "group 1" },
		{ NULL, NULL, "admin-context context2", "group 1" },
		/* at most two failover groups */
		{ NULL, NULL, "failover group 3", "^\nERROR: % Invalid input" },
		{ NULL, NULL, "failover group 0", "^\nERROR: % Invalid input" },
		/* group 2 has members */
		{ NULL, NULL, "no failover group 2", "ERROR" },
		/* one VLAN per parent interface */
		{ NULL, "interface Ethernet0.2", "vlan 2", "ERROR" },
		{ NULL, "interface Ethernet0", "vlan 7", "ERROR" },
		{ NULL, "interface Ethernet0.1", "vlan 4095", "^\nERROR: % Invalid input" },
		/* an interface belongs to one context */
		{ NULL, "context context2", "allocate-interface Ethernet0.1 x", "ERROR" },
		{ NULL, NULL, "no interface Ethernet0.1", "ERROR" },
		{ NULL, NULL, "no context admin", "ERROR" },
		{ NULL, NULL, "failover polltime 5 holdtime 6", "ERROR" },
		{ NULL, NULL, "failover key hex 1234", "ERROR" },
		{ NULL, NULL, "mode single", "ERROR" },
		{ NULL, NULL, "firewall transparent", "ERROR" },
		{ NULL, NULL, "hostname 1abc", "^\nERROR: % Invalid input" },
		{ NULL, NULL, "context bad/name", "^\nERROR: % Invalid input" },
		{ NULL, NULL, "failover interface ip LANFailover 10.1.0.1 255.0.255.0 "
		  "standby 10.1.0.2", "^\nERROR: % Invalid input" },
		/* inside a context: a nameif already used */
		{ "context1", "interface outside_context1", "nameif inside", "ERROR" },
		{ "context1", NULL, "interface Ethernet0.2", "ERROR" },
		{ "context1", NULL, "failover lan unit primary", "^\nERROR: % Invalid input" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_case *c = &cases[i];
		box_free(fx->a);
		fx->a = box_new();
		paste_system(fx->a, "pix1_system_lan.cfg");
		paste_context1(fx->a);
		char *sys_before = show_run(fx->a, NULL);
		char *ctx_before = show_run(fx->a, "context1");
		to_config(fx->a, c->ctx);
		if (c->enter)
			run_ok(fx->a, c->enter);
		char *out;
		enum cli_status st = run(fx->a, c->line, &out);
		if (st == CLI_OK || st == CLI_WARNING)
			fail_msg("'%s' was accepted:\n%s", c->line, out);
		if (!strstr(out, c->say))
			fail_msg("'%s': output lacks '%s':\n%s", c->line, c->say, out);
		free(out);
		char *sys_after = show_run(fx->a, NULL);
		char *ctx_after = show_run(fx->a, "context1");
		if (strcmp(sys_before, sys_after))
			fail_msg("'%s' changed the system config:\n%s", c->line, sys_after);
		if (strcmp(ctx_before, ctx_after))
			fail_msg("'%s' changed context1:\n%s", c->line, ctx_after);
		free(sys_before); free(sys_after);
		free(ctx_before); free(ctx_after);
	}
}

int main(void)
{
	log_init("test_config_roundtrip", true, LOG_SEV_CRIT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_system_lan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_cable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_run_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_memory_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
