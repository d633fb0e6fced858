/*
 * test_bootstrap: the daemon's bootstrap file (schemas/mctxd.conf.md).
 * A good file and the shipped example load; every bad file gives one
 * "FILE:LINE: reason" naming the line at fault and leaves nothing
 * allocated (ASan checks the frees).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system/sys_bootstrap.h"
#include "system/sys_log.h"

/* libconfig 1.5 leaks its lexer's string buffer when a syntax error
 * follows a string ("key \"x\";"); that is the library's, not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static char dir[64];

static int group_setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/t_boot_XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int group_teardown(void **state)
{
	char path[128];
	snprintf(path, sizeof path, "%s/mctxd.conf", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static const char *spill(const char *text)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/mctxd.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define BASE \
	"unit = \"A\";\n" \
	"state_dir = \"/var/lib/mctx/A\";\n" \
	"console_socket = \"/run/mctx/A.sock\";\n" \
	"netns_prefix = \"A_\";\n"

static void test_good(void **state)
{
	struct bootstrap b;
	char err[512] = "";
	const char *path = spill(
		"# a comment\n"
		BASE
		"console_group = \"mctx\";\n"
		"netns = \"unitA\";\n"
		"log_level = \"debugging\";\n"
		"log_file = \"/tmp/x.log\";\n"
		"kernel = false;\n"
		"interfaces = (\n"
		"  { name = \"GigabitEthernet0/1\"; link = \"eth1\"; },\n"
		"  { name = \"Management0/0\"; link = \"mgmt0\"; }\n"
		");\n");
	if (bootstrap_load(path, &b, err, sizeof err) < 0)
		fail_msg("refused: %s", err);
	assert_string_equal(b.unit, "A");
	assert_string_equal(b.state_dir, "/var/lib/mctx/A");
	assert_string_equal(b.console_socket, "/run/mctx/A.sock");
	assert_string_equal(b.console_group, "mctx");
	assert_string_equal(b.netns_prefix, "A_");
	assert_string_equal(b.netns, "unitA");
	assert_int_equal(b.log_level, LOG_SEV_DEBUG);
	assert_string_equal(b.log_file, "/tmp/x.log");
	assert_false(b.kernel);
	assert_int_equal(b.nifaces, 2);
	assert_string_equal(b.ifaces[0].name, "GigabitEthernet0/1");
	assert_string_equal(b.ifaces[0].link, "eth1");
	/* the inventory maps names; other names are their own link; a name
	 * that cannot be a Linux link is none */
	assert_string_equal(bootstrap_link_for(&b, "GigabitEthernet0/1"), "eth1");
	assert_string_equal(bootstrap_link_for(&b, "Management0/0"), "mgmt0");
	assert_string_equal(bootstrap_link_for(&b, "Ethernet0"), "Ethernet0");
	assert_null(bootstrap_link_for(&b, "GigabitEthernet0/2"));
	assert_null(bootstrap_link_for(&b, "AVeryLongInterfaceName0"));
	bootstrap_free(&b);
	assert_null(b.ifaces);

	/* defaults: log level informational, kernel on, no inventory */
	path = spill(BASE "log_level = 3;\n");
	assert_int_equal(bootstrap_load(path, &b, err, sizeof err), 0);
	assert_int_equal(b.log_level, 3);
	assert_true(b.kernel);
	assert_int_equal(b.nifaces, 0);
	assert_string_equal(b.console_group, "");
	bootstrap_free(&b);
	path = spill(BASE);
	assert_int_equal(bootstrap_load(path, &b, err, sizeof err), 0);
	assert_int_equal(b.log_level, LOG_SEV_INFO);
	bootstrap_free(&b);
}

static void test_example_loads(void **state)
{
	struct bootstrap b;
	char err[512] = "";
	if (access("schemas/mctxd.conf.example", R_OK) != 0)
		skip();   /* run from the source tree */
	if (bootstrap_load("schemas/mctxd.conf.example", &b, err, sizeof err) < 0)
		fail_msg("the shipped example is refused: %s", err);
	assert_true(b.unit[0] && b.state_dir[0] && b.console_socket[0]);
	assert_true(b.nifaces > 0);
	bootstrap_free(&b);
}

static void test_missing_file(void **state)
{
	struct bootstrap b;
	char err[512] = "";
	char path[128];
	snprintf(path, sizeof path, "%s/nonexistent.conf", dir);
	assert_int_equal(bootstrap_load(path, &b, err, sizeof err), -1);
	char want[200];
	snprintf(want, sizeof want, "%s:0: cannot read file", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got '%s'", err);
	assert_null(strchr(err, '\n'));
}

struct bad {
	const char *text;
	int line;
	const char *say;
};

static void test_bad_files(void **state)
{
	static const struct bad cases[] = {
		/* syntax errors, at the line libconfig stops */
		{ BASE "\nkernel = = true;\n", 6, "syntax error" },
		{ "unit = \"A\";\n\nstate_dir = ;\n", 3, "syntax error" },
		{ "unit = \"A\";\nstate_dir \"x\";\n", 2, "syntax error" },
		{ BASE "interfaces = ( { name = \"x\"; link = \"y\"; }\n", 6, "" },
		/* missing required keys: reported at line 1 (no line holds them) */
		{ "state_dir = \"/x\";\nconsole_socket = \"/s\";\nnetns_prefix = \"p\";\n",
		  1, "missing required setting 'unit'" },
		{ "unit = \"A\";\nconsole_socket = \"/s\";\nnetns_prefix = \"p\";\n",
		  1, "missing required setting 'state_dir'" },
		{ "unit = \"A\";\nstate_dir = \"/x\";\nnetns_prefix = \"p\";\n",
		  1, "missing required setting 'console_socket'" },
		{ "unit = \"A\";\nstate_dir = \"/x\";\nconsole_socket = \"/s\";\n",
		  1, "missing required setting 'netns_prefix'" },
		/* wrong types and values */
		{ BASE "\n\nunit_typo = 1;\nlog_level = \"loud\";\n", 8, "log_level" },
		{ BASE "log_level = 9;\n", 5, "log_level" },
		{ BASE "log_level = -1;\n", 5, "log_level" },
		{ BASE "log_level = true;\n", 5, "log_level" },
		{ "unit = 5;\nstate_dir = \"/x\";\nconsole_socket = \"/s\";\n"
		  "netns_prefix = \"p\";\n", 1, "'unit' must be a string" },
		{ BASE "kernel = \"no\";\n", 5, "'kernel' must be true or false" },
		{ "unit = \"A\";\nstate_dir = \"/x\";\nconsole_socket = \"/s\";\n"
		  "netns_prefix = \"a/b\";\n", 4, "netns_prefix" },
		{ BASE "\nnetns = \"" "0123456789012345678901234567890123456789"
		  "012345678901234567890123456789\";\n", 6, "too long" },
		/* the interface inventory */
		{ BASE "interfaces = \"eth0\";\n", 5, "must be a list" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; }\n);\n", 6,
		  "need string 'name' and 'link'" },
		{ BASE "interfaces = (\n  { link = \"eth0\"; }\n);\n", 6,
		  "need string 'name' and 'link'" },
		{ BASE "interfaces = (\n  { name = \"a\"; link = \"eth0\"; },\n"
		  "  { name = 5; link = \"eth1\"; }\n);\n", 7,
		  "need string 'name' and 'link'" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; link = \"eth/0\"; }\n);\n",
		  6, "not a valid Linux link name" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; link = \"averyveryverylonglink\"; }\n);\n",
		  6, "not a valid Linux link name" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; link = \"\"; }\n);\n",
		  6, "not a valid Linux link name" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; link = \"e 1\"; }\n);\n",
		  6, "not a valid Linux link name" },
		{ BASE "interfaces = (\n  { name = \"Gi0/1\"; link = \"eth0\"; },\n"
		  "  { name = \"Gi0/1\"; link = \"eth1\"; }\n);\n", 7, "listed twice" },
		{ BASE "interfaces = (\n  \"eth0\", \"eth1\"\n);\n", 6,
		  "need string 'name' and 'link'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bootstrap b;
		char err[512] = "", want[200];
		const char *path = spill(cases[i].text);
		if (bootstrap_load(path, &b, err, sizeof err) != -1) {
			bootstrap_free(&b);
			fail_msg("case %zu accepted:\n%s", i, cases[i].text);
		}
		snprintf(want, sizeof want, "%s:%d: ", path, cases[i].line);
		if (strncmp(err, want, strlen(want)) || !strstr(err, cases[i].say))
			fail_msg("case %zu: got '%s', want '%s...%s'", i, err, want,
				 cases[i].say);
		if (strchr(err, '\n'))
			fail_msg("case %zu: more than one line: '%s'", i, err);
		/* the struct is left empty and safe to free */
		assert_null(b.ifaces);
		bootstrap_free(&b);
	}
}

int main(void)
{
	log_init("test_bootstrap", true, LOG_SEV_CRIT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
