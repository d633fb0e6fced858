/*
 * test_ctx_config: deallocating an interface (ctx_config_iface_remove)
 * takes along every command that used its nameif, and nothing else, so
 * the context's configuration stays replayable and applicable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contexts/ctx_config.h"
#include "system/sys_buf.h"

/* The seed's context1, plus an object NAT and a second route. */
static struct ctx_config *seed_context(void)
{
	struct ctx_config *c = ctx_config_create("context1");
	struct ctx_iface *in = ctx_config_iface(c, "inside_context1", true);
	snprintf(in->nameif, sizeof in->nameif, "inside");
	in->security_level = 100;
	in->has_ip = true;
	in->ip = 0xc0a80101u;
	in->mask = 0xffffff00u;
	struct ctx_iface *out = ctx_config_iface(c, "outside_context1", true);
	snprintf(out->nameif, sizeof out->nameif, "outside");
	out->security_level = 0;
	out->has_ip = true;
	out->ip = 0xac100101u;
	out->mask = 0xffffff00u;

	c->routes = calloc(2, sizeof *c->routes);
	c->nroutes = 2;
	snprintf(c->routes[0].nameif, CTX_NAME_MAX, "outside");
	c->routes[0].gw = 0xac100103u;
	snprintf(c->routes[1].nameif, CTX_NAME_MAX, "inside");
	c->routes[1].net = 0x0a000000u;
	c->routes[1].mask = 0xff000000u;
	c->routes[1].gw = 0xc0a80109u;

	struct ctx_ace ace = { .permit = true, .proto = "tcp" };
	snprintf(ace.acl, sizeof ace.acl, "100");
	ace.dst.kind = CTX_ADDR_HOST;
	ace.dst.ip = 0xac100101u;
	ctx_config_ace_add(c, &ace);
	c->groups = calloc(1, sizeof *c->groups);
	c->ngroups = 1;
	snprintf(c->groups[0].acl, CTX_NAME_MAX, "100");
	snprintf(c->groups[0].nameif, CTX_NAME_MAX, "outside");

	c->statics = calloc(1, sizeof *c->statics);
	c->nstatics = 1;
	snprintf(c->statics[0].real_if, CTX_NAME_MAX, "inside");
	snprintf(c->statics[0].mapped_if, CTX_NAME_MAX, "outside");
	c->statics[0].mapped = 0xac100101u;
	c->statics[0].real = 0xc0a80105u;
	c->statics[0].mask = 0xffffffffu;

	struct ctx_object *o = ctx_config_object(c, "web", true);
	o->kind = CTX_OBJ_HOST;
	o->a = 0xc0a80106u;
	o->has_nat = true;
	snprintf(o->real_if, CTX_NAME_MAX, "inside");
	snprintf(o->mapped_if, CTX_NAME_MAX, "outside");
	o->nat_static = true;
	o->nat_mapped = 0xac100106u;
	return c;
}

static bool has_line(const struct ctx_config *c, const char *line)
{
	struct buf b;
	buf_init(&b);
	ctx_config_write(c, "1.0(1)", CTX_WRITE_BODY, &b);
	bool found = false;
	for (char *p = b.data; p && *p && !found;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		found = strlen(line) == n && strncmp(p, line, n) == 0;
		p = nl ? nl + 1 : NULL;
	}
	buf_free(&b);
	return found;
}

static void test_remove_takes_references(void **state)
{
	static const struct {
		const char *remove;          /* interface deallocated */
		const char *gone[4];         /* lines that must go */
		const char *kept[4];         /* lines that must stay */
	} rows[] = {
		{ "outside_context1",
		  { "access-group 100 in interface outside",
		    "route outside 0.0.0.0 0.0.0.0 172.16.1.3 1",
		    "static (inside,outside) 172.16.1.1 192.168.1.5 netmask 255.255.255.255",
		    " nat (inside,outside) static 172.16.1.6" },
		  { "route inside 10.0.0.0 255.0.0.0 192.168.1.9 1",
		    "access-list 100 extended permit tcp any host 172.16.1.1",
		    "interface inside_context1", " host 192.168.1.6" } },
		{ "inside_context1",
		  { "route inside 10.0.0.0 255.0.0.0 192.168.1.9 1",
		    "static (inside,outside) 172.16.1.1 192.168.1.5 netmask 255.255.255.255",
		    " nat (inside,outside) static 172.16.1.6", "interface inside_context1" },
		  { "access-group 100 in interface outside",
		    "route outside 0.0.0.0 0.0.0.0 172.16.1.3 1",
		    "interface outside_context1", " host 192.168.1.6" } },
	};
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		struct ctx_config *c = seed_context();
		for (int i = 0; i < 4; i++)
			if (!has_line(c, rows[r].gone[i]))
				fail_msg("seed lacks '%s'", rows[r].gone[i]);
		assert_true(ctx_config_iface_remove(c, rows[r].remove));
		assert_null(ctx_config_iface(c, rows[r].remove, false));
		for (int i = 0; i < 4; i++) {
			if (has_line(c, rows[r].gone[i]))
				fail_msg("row %zu: '%s' survived", r, rows[r].gone[i]);
			if (!has_line(c, rows[r].kept[i]))
				fail_msg("row %zu: '%s' was lost", r, rows[r].kept[i]);
		}
		assert_false(ctx_config_iface_remove(c, rows[r].remove));
		ctx_config_destroy(c);
	}
}

/* An interface without a nameif takes nothing along. */
static void test_remove_unnamed(void **state)
{
	struct ctx_config *c = seed_context();
	ctx_config_iface(c, "spare", true);
	size_t routes = c->nroutes, groups = c->ngroups, statics = c->nstatics;
	assert_true(ctx_config_iface_remove(c, "spare"));
	assert_int_equal(c->nroutes, routes);
	assert_int_equal(c->ngroups, groups);
	assert_int_equal(c->nstatics, statics);
	assert_int_equal(c->nifaces, 2);
	ctx_config_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_takes_references),
		cmocka_unit_test(test_remove_unnamed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
