/*
 * ctx_fw tests.
 *  1. Tables: name tables, validation errors, policy -> nftables script.
 *  2. A lab on the real kernel: three namespaces (inside host, context,
 *     outside host) joined by veth pairs, every name prefixed "t<pid>x",
 *     removed in the group teardown and at exit.  The seed's context1
 *     policy, readdressed 192.168.1.0/24 -> 10.201.1.0/24 and
 *     172.16.1.0/24 -> 10.202.1.0/24, is applied to the context namespace
 *     and checked with real TCP connections and the show commands.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "contexts/ctx_fw.h"
#include "system/sys_netns.h"

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad test address %s", s);
	return ntohl(a.s_addr);
}

/* ------------------------------------------------------------------ */
/* A policy in the seed's shape, with addresses chosen by the test       */

struct seed_policy {
	struct ctx_fw_ifc ifcs[2];
	struct ctx_fw_route routes[1];
	struct ctx_fw_ace aces[4];
	struct ctx_fw_acl acls[1];
	struct ctx_fw_access_group groups[1];
	struct ctx_fw_static statics[1];
	struct ctx_fw_object_nat objs[3];
	struct ctx_fw_to_box to_box[1];
	struct ctx_fw_policy p;
};

/* context1: interface inside_context1 nameif inside security-level 100
 * ip address IN.1 standby IN.2; interface outside_context1 nameif outside
 * security-level 0 ip address OUT.1 standby OUT.2; access-list 100
 * extended permit tcp any host OUT.1 eq www; static (inside,outside) OUT.1
 * IN.5 netmask 255.255.255.255; access-group 100 in interface outside;
 * route outside 0 0 OUT.3 1; timeout conn 1:00:00 half-closed 0:10:00
 * udp 0:02:00 icmp 0:00:02 xlate 3:00:00. */
static void seed_context1(struct seed_policy *s, const char *in_if, const char *out_if,
			  const char *in_net, const char *out_net)
{
	char a[32];
	memset(s, 0, sizeof *s);
#define ADDR(net, host) (snprintf(a, sizeof a, "%s.%s", net, host), ip4(a))
	s->ifcs[0] = (struct ctx_fw_ifc){ .security_level = 100,
		.addr = ADDR(in_net, "1"), .mask = ip4("255.255.255.0"),
		.standby = ADDR(in_net, "2") };
	snprintf(s->ifcs[0].ifname, sizeof s->ifcs[0].ifname, "%s", in_if);
	strcpy(s->ifcs[0].nameif, "inside");
	s->ifcs[1] = (struct ctx_fw_ifc){ .security_level = 0,
		.addr = ADDR(out_net, "1"), .mask = ip4("255.255.255.0"),
		.standby = ADDR(out_net, "2") };
	snprintf(s->ifcs[1].ifname, sizeof s->ifcs[1].ifname, "%s", out_if);
	strcpy(s->ifcs[1].nameif, "outside");
	strcpy(s->routes[0].nameif, "outside");
	s->routes[0].gateway = ADDR(out_net, "3");
	s->aces[0] = (struct ctx_fw_ace){ .action = CTX_FW_PERMIT, .proto = IPPROTO_TCP,
		.src = { CTX_FW_ADDR_ANY, 0, 0 },
		.dst = { CTX_FW_ADDR_HOST, ADDR(out_net, "1"), 0 },
		.dport = { CTX_FW_PORT_EQ, 80, 0 } };
	strcpy(s->acls[0].name, "100");
	s->acls[0].aces = s->aces;
	s->acls[0].n_aces = 1;
	s->groups[0] = (struct ctx_fw_access_group){ .acl = "100", .nameif = "outside",
						     .dir = CTX_FW_IN };
	s->statics[0] = (struct ctx_fw_static){ .real_ifc = "inside", .mapped_ifc = "outside",
		.mapped = ADDR(out_net, "1"), .real = ADDR(in_net, "5"),
		.mask = 0xffffffffu };
#undef ADDR
	s->p = (struct ctx_fw_policy){
		.ifcs = s->ifcs, .n_ifcs = 2, .routes = s->routes, .n_routes = 1,
		.acls = s->acls, .n_acls = 1, .groups = s->groups, .n_groups = 1,
		.statics = s->statics, .n_statics = 1,
		.timeouts = { .conn = 3600, .udp = 120, .half_closed = 600, .icmp = 2,
			      .xlate = 10800 },
	};
}


/* After copying a seed_policy, points its policy at its own arrays. */
static void seed_rewire(struct seed_policy *s)
{
	s->p.ifcs = s->ifcs;
	s->p.routes = s->routes;
	s->p.acls = s->acls;
	s->acls[0].aces = s->aces;
	s->p.groups = s->groups;
	s->p.statics = s->statics;
	if (s->p.n_obj_nats)
		s->p.obj_nats = s->objs;
	if (s->p.n_to_box)
		s->p.to_box = s->to_box;
}

/* ------------------------------------------------------------------ */
/* 1. Name tables                                                       */

static void test_names(void **state)
{
	(void)state;
	static const struct { const char *s; int port; } ports[] = {
		{"www", 80}, {"http", 80}, {"https", 443}, {"ssh", 22},
		{"telnet", 23}, {"ftp", 21}, {"domain", 53}, {"smtp", 25},
		{"8080", 8080}, {"65535", 65535}, {"65536", -EINVAL},
		{"wwww", -EINVAL}, {"", -EINVAL}, {"-1", -EINVAL}, {"8o", -EINVAL},
	};
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
		assert_int_equal(ctx_fw_port_parse(ports[i].s), ports[i].port);
	assert_string_equal(ctx_fw_port_name(80), "www");
	assert_string_equal(ctx_fw_port_name(443), "https");
	assert_null(ctx_fw_port_name(8080));
	static const struct { const char *s; int proto; } protos[] = {
		{"ip", CTX_FW_PROTO_IP}, {"tcp", 6}, {"udp", 17}, {"icmp", 1},
		{"gre", 47}, {"50", 50}, {"256", -EINVAL}, {"tcpp", -EINVAL},
	};
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		assert_int_equal(ctx_fw_proto_parse(protos[i].s), protos[i].proto);
}

/* ------------------------------------------------------------------ */
/* 2. Validation                                                        */

static void break_group_acl(struct seed_policy *s) { strcpy(s->groups[0].acl, "101"); }
static void break_group_ifc(struct seed_policy *s) { strcpy(s->groups[0].nameif, "dmz"); }
static void break_static_ifc(struct seed_policy *s) { strcpy(s->statics[0].mapped_ifc, "dmz"); }
static void break_route_ifc(struct seed_policy *s) { strcpy(s->routes[0].nameif, "dmz"); }
static void break_pair(struct seed_policy *s)
{
	s->aces[0].src = (struct ctx_fw_addr){ CTX_FW_ADDR_NET, ip4("10.1.1.1"),
					       ip4("255.255.255.0") };
}
static void break_mask(struct seed_policy *s)
{
	s->aces[0].src = (struct ctx_fw_addr){ CTX_FW_ADDR_NET, ip4("10.0.0.0"),
					       ip4("255.0.255.0") };
}
static void break_icmp_port(struct seed_policy *s) { s->aces[0].proto = IPPROTO_ICMP; }
static void break_range(struct seed_policy *s)
{
	s->aces[0].dport = (struct ctx_fw_ports){ CTX_FW_PORT_RANGE, 90, 80 };
}
static void break_level(struct seed_policy *s) { s->ifcs[0].security_level = 101; }
static void break_dup_nameif(struct seed_policy *s) { strcpy(s->ifcs[1].nameif, "inside"); }
static void break_ifname(struct seed_policy *s) { strcpy(s->ifcs[1].ifname, "a\"b"); }
static void break_acl_name(struct seed_policy *s)
{
	strcpy(s->acls[0].name, "bad\"name");
	strcpy(s->groups[0].acl, "bad\"name");
}
static void break_static_mask(struct seed_policy *s) { s->statics[0].mask = ip4("255.255.255.0"); }
static void break_dyn_mapped(struct seed_policy *s)
{
	s->objs[0] = (struct ctx_fw_object_nat){ .object = "obj-inside",
		.obj_kind = CTX_FW_OBJ_SUBNET, .real = ip4("192.168.1.0"),
		.real_mask = ip4("255.255.255.0"), .real_ifc = "inside",
		.mapped_ifc = "outside", .kind = CTX_FW_OBJNAT_DYNAMIC };
	s->p.obj_nats = s->objs;
	s->p.n_obj_nats = 1;
}
static void break_dup_group(struct seed_policy *s)
{
	static struct ctx_fw_access_group two[2] = {
		{ "100", "outside", CTX_FW_IN }, { "100", "outside", CTX_FW_IN },
	};
	s->p.groups = two;
	s->p.n_groups = 2;
}
static void break_inconsistent(struct seed_policy *s) { s->p.acls = NULL; }

static void test_validate(void **state)
{
	(void)state;
	static const struct {
		void (*breaker)(struct seed_policy *);
		const char *error;
	} cases[] = {
		{ NULL, "" },
		{ break_group_acl, "ERROR: access-list 101 does not exist" },
		{ break_group_ifc, "ERROR: Interface name \"dmz\" is not valid" },
		{ break_static_ifc, "ERROR: Interface name \"dmz\" is not valid" },
		{ break_route_ifc, "ERROR: Interface name \"dmz\" is not valid" },
		{ break_pair, "ERROR: IP address,mask <10.1.1.1,255.255.255.0> doesn't pair" },
		{ break_mask, "ERROR: Invalid netmask 255.0.255.0" },
		{ break_icmp_port, "ERROR: port operators are valid for tcp and udp only" },
		{ break_range, "ERROR: Invalid port range 90 80" },
		{ break_level, "ERROR: security-level 101 out of range 0-100" },
		{ break_dup_nameif, "ERROR: nameif inside is already in use" },
		{ break_ifname, "ERROR: Invalid interface a\"b" },
		{ break_acl_name, "ERROR: Invalid access-list name" },
		{ break_static_mask, "ERROR: mapped and real addresses 172.16.1.1 192.168.1.5 do not match netmask 255.255.255.0" },
		{ break_dyn_mapped, "ERROR: object obj-inside: mapped address missing" },
		{ break_dup_group, "ERROR: interface outside already has an inbound access-group" },
		{ break_inconsistent, "ERROR: policy lists are inconsistent" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seed_policy s;
		char err[256] = "unset";
		seed_context1(&s, "eth0", "eth1", "192.168.1", "172.16.1");
		if (cases[i].breaker)
			cases[i].breaker(&s);
		int rc = ctx_fw_validate(&s.p, err, sizeof err);
		if (strcmp(err, cases[i].error) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].error);
		assert_int_equal(rc, cases[i].breaker ? -EINVAL : 0);
		struct buf out;
		buf_init(&out);
		assert_int_equal(ctx_fw_render(&s.p, &out), cases[i].breaker ? -EINVAL : 0);
		buf_free(&out);
	}
	assert_int_equal(ctx_fw_validate(NULL, NULL, 0), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* 3. Rendering: policy -> nftables script (golden lines)               */

static void shape_seed(struct seed_policy *s) { (void)s; }
static void shape_no_acl(struct seed_policy *s) { s->p.n_groups = 0; }
static void shape_same_security(struct seed_policy *s)
{
	s->p.n_groups = 0;
	s->ifcs[1].security_level = 100;
	s->p.same_security_inter = true;
}
static void shape_equal_levels(struct seed_policy *s)
{
	s->p.n_groups = 0;
	s->ifcs[1].security_level = 100;
}
static void shape_ports(struct seed_policy *s)
{
	s->aces[0] = (struct ctx_fw_ace){ .remark = true };
	s->aces[1] = (struct ctx_fw_ace){ .action = CTX_FW_DENY, .proto = IPPROTO_UDP,
		.src = { CTX_FW_ADDR_NET, ip4("10.0.0.0"), ip4("255.0.0.0") },
		.sport = { CTX_FW_PORT_GT, 1023, 0 },
		.dst = { CTX_FW_ADDR_ANY, 0, 0 }, .dport = { CTX_FW_PORT_RANGE, 5060, 5070 } };
	s->aces[2] = (struct ctx_fw_ace){ .action = CTX_FW_PERMIT, .proto = IPPROTO_TCP,
		.dport = { CTX_FW_PORT_NEQ, 23, 0 } };
	s->aces[3] = (struct ctx_fw_ace){ .action = CTX_FW_PERMIT, .proto = CTX_FW_PROTO_IP,
		.src = { CTX_FW_ADDR_HOST, ip4("10.9.9.9"), 0 }, .inactive = true };
	s->acls[0].n_aces = 4;
	s->groups[0].dir = CTX_FW_OUT;
	s->p.conn_limit = 5;
}
static void shape_objnat(struct seed_policy *s)
{
	s->objs[0] = (struct ctx_fw_object_nat){ .object = "obj-pat",
		.obj_kind = CTX_FW_OBJ_SUBNET, .real = ip4("192.168.1.0"),
		.real_mask = ip4("255.255.255.0"), .real_ifc = "inside",
		.mapped_ifc = "outside", .kind = CTX_FW_OBJNAT_DYNAMIC_IFC };
	s->objs[1] = (struct ctx_fw_object_nat){ .object = "obj-web",
		.obj_kind = CTX_FW_OBJ_SUBNET, .real = ip4("192.168.1.0"),
		.real_mask = ip4("255.255.255.192"), .real_ifc = "inside",
		.mapped_ifc = "outside", .kind = CTX_FW_OBJNAT_STATIC,
		.mapped = ip4("172.16.1.64") };
	s->objs[2] = (struct ctx_fw_object_nat){ .object = "obj-range",
		.obj_kind = CTX_FW_OBJ_RANGE, .real = ip4("192.168.1.200"),
		.real_end = ip4("192.168.1.210"), .real_ifc = "inside",
		.mapped_ifc = "outside", .kind = CTX_FW_OBJNAT_DYNAMIC,
		.mapped = ip4("172.16.1.99") };
	s->p.obj_nats = s->objs;
	s->p.n_obj_nats = 3;
	s->to_box[0] = (struct ctx_fw_to_box){ .proto = IPPROTO_UDP, .port = 3784,
		.src = { CTX_FW_ADDR_HOST, ip4("172.16.1.2"), 0 } };
	s->p.to_box = s->to_box;
	s->p.n_to_box = 1;
}

#define MAX_LINES 6
static void test_render(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		void (*shape)(struct seed_policy *);
		const char *want[MAX_LINES];
		const char *absent[MAX_LINES];
	} cases[] = {
		{ "seed acl + static", shape_seed, {
			"table ip mctx\ndelete table ip mctx\ntable ip mctx {\n",
			"\tcounter h0_0 { packets 0 bytes 0 }\n",
			"\tchain acl0 {\n\t\tcomment \"access-list 100\"\n"
			"\t\tmeta l4proto 6 ct state new ct original ip daddr 172.16.1.1 "
			"ct original proto-dst 80 counter name \"h0_0\" return\n\t\tdrop\n\t}\n",
			/* outside (ACL) may reach inside; the ACL decides */
			"\tchain from1 {\n\t\tcomment \"from outside\"\n\t\tjump acl0\n"
			"\t\toifname \"eth0\" jump to0\n\t\tdrop\n\t}\n",
			"\t\tiifname \"eth1\" ip daddr 172.16.1.1 dnat ip to 192.168.1.5\n",
			"\t\tiifname \"eth0\" oifname \"eth1\" ip saddr 192.168.1.5 snat ip to 172.16.1.1\n",
		  }, { "ct count" } },
		{ "security levels", shape_no_acl, {
			"\tchain from0 {\n\t\tcomment \"from inside\"\n"
			"\t\toifname \"eth1\" jump to1\n\t\tdrop\n\t}\n",
			"\tchain from1 {\n\t\tcomment \"from outside\"\n\t\tdrop\n\t}\n",
			"\t\tct state established,related accept\n\t\tct state != new drop\n"
			"\t\tiifname \"eth0\" jump from0\n\t\tiifname \"eth1\" jump from1\n",
			"\tchain to0 {\n\t\tcomment \"to inside\"\n\t\tjump admit\n\t}\n",
			"\t\tiifname \"eth1\" ip daddr { 172.16.1.1, 172.16.1.2 } icmp type echo-request accept\n",
		  }, { "jump acl0" } },
		{ "same-security permitted", shape_same_security, {
			"\tchain from1 {\n\t\tcomment \"from outside\"\n"
			"\t\toifname \"eth0\" jump to0\n\t\tdrop\n\t}\n",
			"\tchain from0 {\n\t\tcomment \"from inside\"\n"
			"\t\toifname \"eth1\" jump to1\n\t\tdrop\n\t}\n",
		  }, { NULL } },
		{ "same-security denied", shape_equal_levels, {
			"\tchain from1 {\n\t\tcomment \"from outside\"\n\t\tdrop\n\t}\n",
			"\tchain from0 {\n\t\tcomment \"from inside\"\n\t\tdrop\n\t}\n",
		  }, { NULL } },
		{ "port operators, remark, inactive, out, limit", shape_ports, {
			"\t\tmeta l4proto 17 ct state new ct original ip saddr 10.0.0.0/8 "
			"ct original proto-src > 1023 ct original proto-dst 5060-5070 "
			"counter name \"h0_0\" drop\n",
			"\t\tmeta l4proto 6 ct state new ct original proto-dst != 23 "
			"counter name \"h0_1\" return\n",
			"\tcounter h0_2 { packets 0 bytes 0 }\n",
			"\tchain to1 {\n\t\tcomment \"to outside\"\n\t\tjump acl0\n\t\tjump admit\n\t}\n",
			"\tchain admit {\n\t\tct count over 5 counter name \"conn_denied\" drop\n"
			"\t\taccept\n\t}\n",
		  }, { "h0_3", "10.9.9.9", "\"h0_2\"" } },
		{ "object NAT and failover hook", shape_objnat, {
			"\t\tiifname \"eth0\" oifname \"eth1\" ip saddr 192.168.1.0/24 masquerade\n",
			"\t\tiifname \"eth1\" ip daddr 172.16.1.64/26 dnat ip prefix to ip daddr "
			"map { 172.16.1.64/26 : 192.168.1.0/26 }\n",
			"\t\tiifname \"eth0\" oifname \"eth1\" ip saddr 192.168.1.0/26 snat ip prefix "
			"to ip saddr map { 192.168.1.0/26 : 172.16.1.64/26 }\n",
			"\t\tiifname \"eth0\" oifname \"eth1\" ip saddr 192.168.1.200-192.168.1.210 "
			"snat ip to 172.16.1.99\n",
			"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			"\t\tmeta l4proto udp ip saddr 172.16.1.2 th dport 3784 return\n",
			"\tchain fo_hook {\n\t\tmeta l4proto udp ip saddr 172.16.1.2 th dport 3784 accept\n\t}\n",
		  }, { NULL } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seed_policy s;
		seed_context1(&s, "eth0", "eth1", "192.168.1", "172.16.1");
		cases[i].shape(&s);
		struct buf out;
		buf_init(&out);
		assert_int_equal(ctx_fw_render(&s.p, &out), 0);
		for (size_t j = 0; j < MAX_LINES && cases[i].want[j]; j++)
			if (!strstr(out.data, cases[i].want[j]))
				fail_msg("%s: missing\n%s\nin\n%s", cases[i].name,
					 cases[i].want[j], out.data);
		for (size_t j = 0; j < MAX_LINES && cases[i].absent[j]; j++)
			if (strstr(out.data, cases[i].absent[j]))
				fail_msg("%s: unexpected \"%s\"", cases[i].name, cases[i].absent[j]);
		buf_free(&out);
	}
}

/* Show commands refuse to run before anything was applied. */
static void test_show_before_apply(void **state)
{
	(void)state;
	struct ctx_fw *fw = ctx_fw_create("no-such-namespace");
	assert_non_null(fw);
	struct buf out;
	buf_init(&out);
	assert_int_equal(ctx_fw_show_access_list(fw, NULL, &out), -ENODATA);
	assert_int_equal(ctx_fw_show_conn(fw, CTX_FW_CONN_LIST, &out), -ENODATA);
	assert_int_equal(ctx_fw_show_xlate(fw, &out), -ENODATA);
	assert_int_equal(ctx_fw_ace_hits(fw, "100", 1), -ENODATA);
	struct seed_policy s;
	seed_context1(&s, "eth0", "eth1", "192.168.1", "172.16.1");
	char err[256];
	assert_int_equal(ctx_fw_apply(fw, &s.p, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no-such-namespace"));
	ctx_fw_destroy(fw);
	assert_null(ctx_fw_create("a/b"));
	assert_null(ctx_fw_create(""));
	buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* 4. Lab on the real kernel                                            */

struct lab {
	char id[12];            /* t<pid>x */
	char ns_in[40], ns_ctx[40], ns_out[40];
	char if_in[IFNAMSIZ], if_out[IFNAMSIZ];
	bool up;
	char skip_reason[128];
	struct ctx_fw *fw;
	struct seed_policy seed;
};

static struct lab *lab_for_cleanup;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0 && !strstr(cmd, " del "))
		printf("lab command failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

static void lab_remove(struct lab *l)
{
	if (!l)
		return;
	/* Deleting the namespaces deletes the veth pairs inside them. */
	sh("ip netns del %s 2>/dev/null", l->ns_in);
	sh("ip netns del %s 2>/dev/null", l->ns_ctx);
	sh("ip netns del %s 2>/dev/null", l->ns_out);
	l->up = false;
}

static void lab_remove_at_exit(void)
{
	lab_remove(lab_for_cleanup);
}

static int lab_build(struct lab *l)
{
	snprintf(l->id, sizeof l->id, "t%dx", (int)(getpid() % 10000000));
	snprintf(l->ns_in, sizeof l->ns_in, "%sin", l->id);
	snprintf(l->ns_ctx, sizeof l->ns_ctx, "%sctx", l->id);
	snprintf(l->ns_out, sizeof l->ns_out, "%sout", l->id);
	/* The context's links, as ctx_ns would name allocated interfaces. */
	snprintf(l->if_in, sizeof l->if_in, "%sci", l->id);
	snprintf(l->if_out, sizeof l->if_out, "%sco", l->id);
	if (geteuid() != 0) {
		snprintf(l->skip_reason, sizeof l->skip_reason, "needs root for namespaces");
		return -1;
	}
	lab_for_cleanup = l;
	atexit(lab_remove_at_exit);
	l->up = true;
	if (sh("ip netns add %s && ip netns add %s && ip netns add %s",
	       l->ns_in, l->ns_ctx, l->ns_out) ||
	    sh("ip -n %s link add %s type veth peer name veth0 netns %s",
	       l->ns_ctx, l->if_in, l->ns_in) ||
	    sh("ip -n %s link add %s type veth peer name veth0 netns %s",
	       l->ns_ctx, l->if_out, l->ns_out) ||
	    sh("ip -n %s addr add 10.201.1.1/24 dev %s && ip -n %s link set %s up",
	       l->ns_ctx, l->if_in, l->ns_ctx, l->if_in) ||
	    sh("ip -n %s addr add 10.202.1.1/24 dev %s && ip -n %s link set %s up",
	       l->ns_ctx, l->if_out, l->ns_ctx, l->if_out) ||
	    sh("ip -n %s link set lo up && ip netns exec %s sysctl -qw net.ipv4.ip_forward=1",
	       l->ns_ctx, l->ns_ctx) ||
	    sh("ip -n %s route add default via 10.202.1.3", l->ns_ctx) ||
	    sh("ip -n %s addr add 10.201.1.5/24 dev veth0 && ip -n %s link set veth0 up && "
	       "ip -n %s link set lo up && ip -n %s route add default via 10.201.1.1",
	       l->ns_in, l->ns_in, l->ns_in, l->ns_in) ||
	    sh("ip -n %s addr add 10.201.1.6/24 dev veth0", l->ns_in) ||
	    sh("ip -n %s addr add 10.202.1.3/24 dev veth0 && ip -n %s link set veth0 up && "
	       "ip -n %s link set lo up && ip -n %s route add 10.201.1.0/24 via 10.202.1.1",
	       l->ns_out, l->ns_out, l->ns_out, l->ns_out)) {
		snprintf(l->skip_reason, sizeof l->skip_reason,
			 "could not build namespaces and veth pairs");
		return -1;
	}
	l->fw = ctx_fw_create(l->ns_ctx);
	seed_context1(&l->seed, l->if_in, l->if_out, "10.201.1", "10.202.1");
	return l->fw ? 0 : -1;
}

static int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	if (lab_build(l) != 0 && !l->skip_reason[0])
		snprintf(l->skip_reason, sizeof l->skip_reason, "lab setup failed");
	*state = l;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;
	if (l->fw)
		ctx_fw_clear(l->fw);
	ctx_fw_destroy(l->fw);
	lab_remove(l);
	lab_for_cleanup = NULL;
	free(l);
	return 0;
}

static struct lab *lab_get(void **state)
{
	struct lab *l = *state;
	if (l->skip_reason[0]) {
		printf("skipping: %s\n", l->skip_reason);
		skip();
	}
	return l;
}

/* A TCP socket made inside NS (it stays bound to that namespace). */
static int socket_in(const char *ns)
{
	struct netns_saved saved;
	if (netns_enter(ns, &saved))
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	netns_leave(&saved);
	return fd;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int listen_in(const char *ns, const char *ip, uint16_t port)
{
	int fd = socket_in(ns);
	int one = 1;
	struct sockaddr_in a = sin_of(ip, port);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects from NS (from source address SRC if not NULL) within MS;
 * returns the fd or -1 (refused/dropped). */
static int connect_from(const char *ns, const char *src, const char *ip,
			uint16_t port, int ms)
{
	int fd = socket_in(ns);
	struct sockaddr_in a = sin_of(ip, port);
	if (fd < 0)
		return -1;
	if (src) {
		struct sockaddr_in b = sin_of(src, 0);
		if (bind(fd, (struct sockaddr *)&b, sizeof b)) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (poll(&p, 1, ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Accepts within MS; PEER gets the address the server saw. */
static int connect_in(const char *ns, const char *ip, uint16_t port, int ms)
{
	return connect_from(ns, NULL, ip, port, ms);
}

static int accept_within(int lfd, int ms, char peer[16])
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return -1;
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = accept(lfd, (struct sockaddr *)&a, &len);
	if (fd >= 0 && peer)
		inet_ntop(AF_INET, &a.sin_addr, peer, 16);
	return fd;
}

/* Sends a line each way so the connection counts bytes and flags I/O. */
static void exchange(int cfd, int sfd)
{
	char buf[256];
	memset(buf, 'x', sizeof buf);
	assert_int_equal(write(cfd, buf, sizeof buf), (ssize_t)sizeof buf);
	assert_int_equal(write(sfd, buf, sizeof buf), (ssize_t)sizeof buf);
	struct pollfd p = { .fd = cfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_true(read(cfd, buf, sizeof buf) > 0);
	p.fd = sfd;
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_true(read(sfd, buf, sizeof buf) > 0);
}

static void apply_ok(struct lab *l, const struct ctx_fw_policy *p)
{
	char err[256] = "";
	int rc = ctx_fw_apply(l->fw, p, err, sizeof err);
	if (rc)
		fail_msg("apply: %d %s", rc, err);
}

static void must_contain(const char *text, const char *want)
{
	if (getenv("CTX_FW_TEST_VERBOSE"))
		printf("--- looking for \"%s\" in:\n%s", want, text);
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void test_lab_static_and_acl(void **state)
{
	struct lab *l = lab_get(state);
	apply_ok(l, &l->seed.p);
	int l80 = listen_in(l->ns_in, "10.201.1.5", 80);
	int l81 = listen_in(l->ns_in, "10.201.1.5", 81);
	assert_true(l80 >= 0 && l81 >= 0);

	/* access-list 100 permits www to the mapped address: reaches the
	 * real server through the static, source not translated. */
	int c = connect_in(l->ns_out, "10.202.1.1", 80, 2000);
	assert_true(c >= 0);
	char peer[16] = "";
	int s = accept_within(l80, 2000, peer);
	assert_true(s >= 0);
	assert_string_equal(peer, "10.202.1.3");
	exchange(c, s);

	/* Port 81 on the mapped address: translated but no ACE: denied. */
	assert_int_equal(connect_in(l->ns_out, "10.202.1.1", 81, 1200), -1);
	assert_int_equal(accept_within(l81, 100, NULL), -1);
	/* The real address from outside: the ACL names the mapped one. */
	assert_int_equal(connect_in(l->ns_out, "10.201.1.5", 80, 1200), -1);

	/* Hit counts come from the kernel counters. */
	assert_true(ctx_fw_ace_hits(l->fw, "100", 1) >= 1);
	assert_int_equal(ctx_fw_ace_hits(l->fw, "100", 2), -ENOENT);
	struct buf out;
	buf_init(&out);
	assert_int_equal(ctx_fw_show_access_list(l->fw, "100", &out), 0);
	must_contain(out.data, "access-list 100; 1 elements; name hash: 0x");
	must_contain(out.data, "access-list 100 line 1 extended permit tcp any host "
		     "10.202.1.1 eq www (hitcnt=");
	assert_null(strstr(out.data, "(hitcnt=0)"));
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_access_list(l->fw, "nope", &out), -ENOENT);

	/* show xlate: the static; show conn: the connection, real ends. */
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_xlate(l->fw, &out), 0);
	must_contain(out.data, "1 in use, 1 most used\n");
	must_contain(out.data, "NAT from inside:10.201.1.5 to outside:10.202.1.1\n"
		     "    flags s idle 0:00:0");
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_conn(l->fw, CTX_FW_CONN_LIST, &out), 0);
	must_contain(out.data, " in use, ");
	must_contain(out.data, "TCP outside 10.202.1.3:");
	must_contain(out.data, " inside 10.201.1.5:80, idle 0:00:0");
	must_contain(out.data, ", flags UIOB\n");
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_conn(l->fw, CTX_FW_CONN_DETAIL, &out), 0);
	must_contain(out.data, "    xlate from inside:10.201.1.5/80 to outside:10.202.1.1/80\n");
	must_contain(out.data, "timeout 1h0m, bytes ");
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_conn(l->fw, CTX_FW_CONN_COUNT, &out), 0);
	assert_true(strstr(out.data, " in use, ") && !strstr(out.data, "TCP"));
	buf_free(&out);
	close(c);
	close(s);
	close(l80);
	close(l81);
}

static void test_lab_security_levels(void **state)
{
	struct lab *l = lab_get(state);
	apply_ok(l, &l->seed.p);
	int l8080 = listen_in(l->ns_out, "10.202.1.3", 8080);
	assert_true(l8080 >= 0);
	/* inside (100) -> outside (0): allowed, source is the static's
	 * mapped address. */
	int c = connect_in(l->ns_in, "10.202.1.3", 8080, 2000);
	assert_true(c >= 0);
	char peer[16] = "";
	int s = accept_within(l8080, 2000, peer);
	assert_true(s >= 0);
	assert_string_equal(peer, "10.202.1.1");
	close(c);
	close(s);

	/* Without access-group 100, outside -> inside is denied even to the
	 * static, while inside -> outside still works. */
	struct seed_policy no_acl = l->seed;
	seed_rewire(&no_acl);
	no_acl.p.n_groups = 0;
	apply_ok(l, &no_acl.p);
	int l80 = listen_in(l->ns_in, "10.201.1.5", 80);
	assert_true(l80 >= 0);
	assert_int_equal(connect_in(l->ns_out, "10.202.1.1", 80, 1200), -1);
	c = connect_in(l->ns_in, "10.202.1.3", 8080, 2000);
	assert_true(c >= 0);
	close(c);
	s = accept_within(l8080, 2000, NULL);
	assert_true(s >= 0);
	close(s);

	close(l80);
	close(l8080);
}

static void test_lab_hits_kept_and_bad_input(void **state)
{
	struct lab *l = lab_get(state);
	apply_ok(l, &l->seed.p);
	int l80 = listen_in(l->ns_in, "10.201.1.5", 80);
	int c = connect_in(l->ns_out, "10.202.1.1", 80, 2000);
	assert_true(l80 >= 0 && c >= 0);
	close(c);
	int64_t before = ctx_fw_ace_hits(l->fw, "100", 1);
	assert_true(before >= 1);

	/* Re-applying the same ACE keeps its hit count, as ASA does. */
	apply_ok(l, &l->seed.p);
	assert_int_equal(ctx_fw_ace_hits(l->fw, "100", 1), before);

	/* Bad input: refused with ASA's words, old ruleset stays. */
	struct seed_policy bad = l->seed;
	seed_rewire(&bad);
	strcpy(bad.groups[0].acl, "101");
	char err[256] = "";
	assert_int_equal(ctx_fw_apply(l->fw, &bad.p, err, sizeof err), -EINVAL);
	assert_string_equal(err, "ERROR: access-list 101 does not exist");
	c = connect_in(l->ns_out, "10.202.1.1", 80, 2000);
	assert_true(c >= 0);
	close(c);
	assert_int_equal(ctx_fw_ace_hits(l->fw, "100", 1), before + 1);
	close(l80);
}

static void test_lab_conn_limit(void **state)
{
	struct lab *l = lab_get(state);
	struct seed_policy lim = l->seed;
	seed_rewire(&lim);
	lim.p.conn_limit = 2;
	apply_ok(l, &lim.p);
	int lfd = listen_in(l->ns_out, "10.202.1.3", 9090);
	assert_true(lfd >= 0);
	int c1 = connect_in(l->ns_in, "10.202.1.3", 9090, 2000);
	int c2 = connect_in(l->ns_in, "10.202.1.3", 9090, 2000);
	assert_true(c1 >= 0 && c2 >= 0);
	/* The third new connection exceeds "limit-resource conns 2". */
	assert_int_equal(connect_in(l->ns_in, "10.202.1.3", 9090, 1200), -1);
	assert_true(ctx_fw_conn_count(l->fw) >= 2);
	struct buf out;
	buf_init(&out);
	assert_int_equal(ctx_fw_show_resource_usage(l->fw, "context1", &out), 0);
	assert_true(ctx_fw_conns_denied(l->fw) >= 1);
	must_contain(out.data, "Context          Resource                 Current        Peak"
		     "       Limit      Denied\n");
	int current = -1, limit = -1;
	unsigned peak = 0;
	long denied = -1;
	const char *row = strstr(out.data, "\ncontext1 ");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "\ncontext1 Conns %d %u %d %ld", &current, &peak,
				&limit, &denied), 4);
	assert_int_equal(current, 2);
	assert_int_equal(limit, 2);
	assert_true(peak >= 2 && denied >= 1);
	buf_free(&out);
	close(c1);
	close(c2);
	close(lfd);
}

/* nat (inside,outside) dynamic interface for 10.201.1.0/24: hosts other
 * than the static's leave with the outside interface address (PAT), and
 * show xlate lists the live port translation. */
static void test_lab_object_pat(void **state)
{
	struct lab *l = lab_get(state);
	struct seed_policy pat = l->seed;
	seed_rewire(&pat);
	pat.objs[0] = (struct ctx_fw_object_nat){ .object = "obj-inside",
		.obj_kind = CTX_FW_OBJ_SUBNET, .real = ip4("10.201.1.0"),
		.real_mask = ip4("255.255.255.0"), .real_ifc = "inside",
		.mapped_ifc = "outside", .kind = CTX_FW_OBJNAT_DYNAMIC_IFC };
	pat.p.obj_nats = pat.objs;
	pat.p.n_obj_nats = 1;
	apply_ok(l, &pat.p);
	int lfd = listen_in(l->ns_out, "10.202.1.3", 7070);
	assert_true(lfd >= 0);
	int c = connect_from(l->ns_in, "10.201.1.6", "10.202.1.3", 7070, 2000);
	assert_true(c >= 0);
	char peer[16] = "";
	int s = accept_within(lfd, 2000, peer);
	assert_true(s >= 0);
	assert_string_equal(peer, "10.202.1.1");
	struct buf out;
	buf_init(&out);
	assert_int_equal(ctx_fw_show_xlate(l->fw, &out), 0);
	must_contain(out.data, "NAT from inside:10.201.1.5 to outside:10.202.1.1\n");
	must_contain(out.data, "TCP PAT from inside:10.201.1.6/");
	must_contain(out.data, " to outside:10.202.1.1/");
	must_contain(out.data, " flags ri idle 0:00:0");
	must_contain(out.data, " timeout 0:00:30\n");
	assert_non_null(strstr(out.data, "2 in use, "));
	buf_reset(&out);
	assert_int_equal(ctx_fw_show_conn(l->fw, CTX_FW_CONN_LIST, &out), 0);
	must_contain(out.data, "TCP outside 10.202.1.3:7070 inside 10.201.1.6:");
	buf_free(&out);
	close(c);
	close(s);
	close(lfd);
}

static long read_ns_sysctl(const char *ns, const char *name)
{
	char cmd[256], text[32] = "";
	snprintf(cmd, sizeof cmd, "ip netns exec %s cat /proc/sys/net/netfilter/%s", ns, name);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(text, sizeof text, f))
		text[0] = '\0';
	pclose(f);
	return text[0] ? strtol(text, NULL, 10) : -1;
}

static void test_lab_timeouts(void **state)
{
	struct lab *l = lab_get(state);
	/* The seed's timeouts, except udp 0:03:00: the seed's 0:02:00 is
	 * also the kernel's default for udp streams and would prove nothing. */
	struct seed_policy t = l->seed;
	seed_rewire(&t);
	t.p.timeouts.udp = 180;
	apply_ok(l, &t.p);
	static const struct { const char *name; long value; } rows[] = {
		{"nf_conntrack_tcp_timeout_established", 3600},   /* conn 1:00:00 */
		{"nf_conntrack_udp_timeout_stream", 180},         /* udp 0:03:00 */
		{"nf_conntrack_udp_timeout", 180},
		{"nf_conntrack_tcp_timeout_fin_wait", 600},       /* half-closed 0:10:00 */
		{"nf_conntrack_tcp_timeout_close_wait", 600},
		{"nf_conntrack_icmp_timeout", 2},                 /* icmp 0:00:02 */
		{"nf_conntrack_acct", 1},
		{"nf_conntrack_timestamp", 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		long v = read_ns_sysctl(l->ns_ctx, rows[i].name);
		if (v != rows[i].value)
			fail_msg("%s = %ld, want %ld", rows[i].name, v, rows[i].value);
	}
}

int main(void)
{
	const struct CMUnitTest tables[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_show_before_apply),
	};
	const struct CMUnitTest lab[] = {
		cmocka_unit_test(test_lab_static_and_acl),
		cmocka_unit_test(test_lab_security_levels),
		cmocka_unit_test(test_lab_hits_kept_and_bad_input),
		cmocka_unit_test(test_lab_conn_limit),
		cmocka_unit_test(test_lab_object_pat),
		cmocka_unit_test(test_lab_timeouts),
	};
	int failed = cmocka_run_group_tests_name("ctx_fw tables", tables, NULL, NULL);
	failed += cmocka_run_group_tests_name("ctx_fw lab", lab, lab_setup, lab_teardown);
	return failed;
}
