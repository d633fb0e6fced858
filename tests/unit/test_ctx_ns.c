/*
 * test_ctx_ns: context namespaces and links against the real kernel.
 *
 * Each test builds its own lab: a fake unit namespace "<id>u" whose ports
 * are veth ends <id>e0..e3 and <id>e9, their peers <id>q0.. in a peer
 * namespace "<id>p" (the "switch" side, where GARP and neighbours live),
 * and context namespaces "<id>c1", "<id>c2".  <id> is "tns<pid>x"; the
 * teardown deletes every namespace with that prefix, also after a failed
 * assertion, and the group setup removes what a crashed earlier run (a pid
 * no longer alive) left behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "contexts/ctx_nl.h"
#include "contexts/ctx_ns.h"
#include "contexts/ctx_show.h"
#include "system/sys_buf.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

#define RUN_TAG "tns"
#define NPORTS 5

struct lab {
	char id[12];             /* "tns" + pid + 'x' */
	char unit_ns[40], peer_ns[40], c1[40], c2[40];
	char port[NPORTS][16];     /* unit side: <id>e0..e3, <id>e9 */
	char peer[NPORTS][16];     /* peer side: <id>q0.. */
	struct nl_sock *unit_sk;   /* the test's own view of the unit */
	struct nl_sock *peer_sk;
	struct ctx_unit *unit;
	struct ctx_ns *ctx[2];
	char logpath[64];
};

/* ---- lab plumbing ---- */

static struct nl_sock *sock_in(const char *nsname)
{
	struct netns_saved saved;
	if (netns_enter(nsname, &saved))
		return NULL;
	struct nl_sock *sk = ctx_nl_open();
	netns_leave(&saved);
	return sk;
}

static int delete_if_ours(const char *nsname, void *arg)
{
	const char *id = arg;
	if (strncmp(nsname, id, strlen(id)) == 0)
		netns_delete(nsname);
	return 0;
}

/* Deletes namespaces left by earlier runs whose process is gone. */
static int delete_if_stale(const char *nsname, void *arg)
{
	long pid = strtol(nsname + strlen(RUN_TAG), NULL, 10);
	if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		netns_delete(nsname);
	return 0;
}

static int link_set_up(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link, *change = rtnl_link_alloc();
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);
	if (rc < 0)
		return rc;
	rtnl_link_set_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc;
}

static int veth_add(struct lab *lab, const char *name, const char *peer_name)
{
	int peer_fd = netns_open(lab->peer_ns);
	if (peer_fd < 0)
		return peer_fd;
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, name);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_fd);
	int rc = rtnl_link_add(lab->unit_sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	close(peer_fd);
	if (rc == 0)
		rc = link_set_up(lab->peer_sk, peer_name);
	return rc;
}

static int group_setup(void **state)
{
	ctx_ns_list(RUN_TAG, delete_if_stale, NULL);
	log_init("test_ctx_ns", true, LOG_SEV_DEBUG);
	return 0;
}

static int setup(void **state)
{
	if (geteuid() != 0) {
		print_message("skip: test_ctx_ns needs root (network namespaces)\n");
		skip();
	}
	struct lab *lab = calloc(1, sizeof *lab);
	snprintf(lab->id, sizeof lab->id, RUN_TAG "%dx", (int)getpid());
	snprintf(lab->unit_ns, sizeof lab->unit_ns, "%su", lab->id);
	snprintf(lab->peer_ns, sizeof lab->peer_ns, "%sp", lab->id);
	snprintf(lab->c1, sizeof lab->c1, "%sc1", lab->id);
	snprintf(lab->c2, sizeof lab->c2, "%sc2", lab->id);
	static const char digits[NPORTS] = { '0', '1', '2', '3', '9' };
	char id[sizeof lab->id];
	memcpy(id, lab->id, sizeof id);
	for (int i = 0; i < NPORTS; i++) {
		snprintf(lab->port[i], 16, "%se%c", id, digits[i]);
		snprintf(lab->peer[i], 16, "%sq%c", id, digits[i]);
	}
	snprintf(lab->logpath, sizeof lab->logpath, "/tmp/%s.log", lab->id);
	unlink(lab->logpath);
	*state = lab;
	if (netns_create(lab->unit_ns) || netns_create(lab->peer_ns))
		return -1;
	lab->unit_sk = sock_in(lab->unit_ns);
	lab->peer_sk = sock_in(lab->peer_ns);
	if (!lab->unit_sk || !lab->peer_sk)
		return -1;
	for (int i = 0; i < NPORTS; i++)
		if (veth_add(lab, lab->port[i], lab->peer[i]))
			return -1;
	if (log_set_file(lab->logpath))
		return -1;
	return ctx_unit_open(lab->unit_ns, &lab->unit);
}

static int teardown(void **state)
{
	struct lab *lab = *state;
	if (!lab)
		return 0;
	for (int i = 0; i < 2; i++)
		ctx_ns_close(lab->ctx[i]);
	ctx_unit_close(lab->unit);
	ctx_nl_close(lab->unit_sk);
	ctx_nl_close(lab->peer_sk);
	ctx_ns_list(lab->id, delete_if_ours, lab->id);
	log_close();
	unlink(lab->logpath);
	free(lab);
	return 0;
}

static void open_contexts(struct lab *lab)
{
	assert_int_equal(ctx_ns_open(lab->unit, lab->c1, true, &lab->ctx[0]), 0);
	assert_int_equal(ctx_ns_open(lab->unit, lab->c2, true, &lab->ctx[1]), 0);
}

/* 1 if SK's namespace has link NAME, else 0. */
static int has_link(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link;
	if (rtnl_link_get_kernel(sk, 0, name, &link) < 0)
		return 0;
	rtnl_link_put(link);
	return 1;
}

static struct rtnl_link *get_link(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	assert_int_equal(rtnl_link_get_kernel(sk, 0, name, &link), 0);
	return link;
}

static int count_links(struct nl_sock *sk)
{
	struct nl_cache *cache;
	assert_true(rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) >= 0);
	int n = nl_cache_nitems(cache);
	nl_cache_free(cache);
	return n;
}

static void link_mac(struct rtnl_link *link, uint8_t mac[6])
{
	struct nl_addr *ll = rtnl_link_get_addr(link);
	assert_non_null(ll);
	assert_int_equal(nl_addr_get_len(ll), 6);
	memcpy(mac, nl_addr_get_binary_addr(ll), 6);
}

static int count_log(struct lab *lab, const char *needle)
{
	FILE *f = fopen(lab->logpath, "r");
	if (!f)
		return 0;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* IPv4 addresses on IFNAME in SK's namespace as "a.b.c.d/n" joined by ' '. */
static void ipv4_addrs(struct nl_sock *sk, const char *ifname, char *out,
		       size_t len)
{
	struct rtnl_link *link = get_link(sk, ifname);
	int ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	struct nl_cache *cache;
	assert_true(rtnl_addr_alloc_cache(sk, &cache) >= 0);
	out[0] = '\0';
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET)
			continue;
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, nl_addr_get_binary_addr(rtnl_addr_get_local(a)),
			  ip, sizeof ip);
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s/%d", used ? " " : "", ip,
			 rtnl_addr_get_prefixlen(a));
	}
	nl_cache_free(cache);
}

static int addr_add(struct nl_sock *sk, const char *ifname, int family,
		    const char *text)
{
	struct nl_addr *local;
	if (nl_addr_parse(text, family, &local) < 0)
		return -1;
	struct rtnl_link *link = get_link(sk, ifname);
	struct rtnl_addr *a = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(a, rtnl_link_get_ifindex(link));
	rtnl_addr_set_local(a, local);
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	int rc = rtnl_addr_add(sk, a, 0);
	rtnl_addr_put(a);
	nl_addr_put(local);
	rtnl_link_put(link);
	return rc;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* ---- pure functions ---- */

static void test_linux_name(void **state)
{
	static const struct {
		const char *mapped;
		int rc;
		const char *expect;   /* NULL: derived; checked by shape */
	} cases[] = {
		{ "inside", 0, "inside" },
		{ "inside_context1", 0, "inside_context1" },   /* exactly 15 */
		{ "outside_context1", 0, NULL },
		{ "GigabitEthernet0/1", 0, NULL },
		{ "a b", 0, NULL },
		{ "x:y", 0, NULL },
		{ ".", 0, NULL },
		{ "", -EINVAL, NULL },
		{ "0123456789012345678901234567890123456789012345678901234567890123"
		  "4", -EINVAL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[16], again[16];
		int rc = ctx_link_linux_name(cases[i].mapped, out);
		assert_int_equal(rc, cases[i].rc);
		if (rc)
			continue;
		if (cases[i].expect) {
			assert_string_equal(out, cases[i].expect);
			continue;
		}
		assert_true(strlen(out) <= 15);
		assert_null(strpbrk(out, "/: \t"));
		assert_non_null(strchr(out, '-'));
		assert_int_equal(ctx_link_linux_name(cases[i].mapped, again), 0);
		assert_string_equal(out, again);               /* stable */
	}
	char a[16], b[16];
	ctx_link_linux_name("outside_context1", a);
	ctx_link_linux_name("outside_context2", b);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "outsid-", 7);
	ctx_link_linux_name("GigabitEthernet0/1", a);
	assert_memory_equal(a, "Gigabi-", 7);
}

static void test_mac_auto(void **state)
{
	static const struct {
		uint16_t prefix;
		unsigned ctx, ifx;
		bool standby;
		int rc;
		uint8_t mac[6];
	} cases[] = {
		/* ASA's own example: prefix 77 = 0x004D -> A24D.00.. */
		{ 77, 1, 2, false, 0, { 0xa2, 0x4d, 0x00, 0x00, 0x02, 0x04 } },
		{ 77, 1, 2, true, 0, { 0xa2, 0x4d, 0x00, 0x00, 0x02, 0x05 } },
		/* prefix 1009 = 0x03F1 -> A2F1.03.. */
		{ 1009, 0, 0, false, 0, { 0xa2, 0xf1, 0x03, 0x00, 0x00, 0x00 } },
		{ 0, 32767, 255, true, 0, { 0xa2, 0x00, 0x00, 0xff, 0xff, 0xff } },
		{ 0, 32768, 0, false, -EINVAL, { 0 } },
		{ 0, 0, 256, false, -EINVAL, { 0 } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t mac[6];
		assert_int_equal(ctx_mac_auto(cases[i].prefix, cases[i].ctx,
					      cases[i].ifx, cases[i].standby,
					      mac), cases[i].rc);
		if (!cases[i].rc)
			assert_memory_equal(mac, cases[i].mac, 6);
	}
	char text[15];
	uint8_t mac[6];
	ctx_mac_auto(77, 1, 2, false, mac);
	ctx_show_mac(mac, text);
	assert_string_equal(text, "a24d.0000.0204");
}

/* ---- namespaces and allocation ---- */

static int count_walk(const struct ctx_link_info *info, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_allocate(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0], *c2 = lab->ctx[1];
	struct nl_sock *sk1 = ctx_ns_sock(c1);
	static const char long_name[] = "outside_context1_long_mapped_name";
	char long_linux[16];
	assert_int_equal(ctx_link_linux_name(long_name, long_linux), 0);

	uint8_t hw0[6];
	struct rtnl_link *l = get_link(lab->unit_sk, lab->port[0]);
	link_mac(l, hw0);
	rtnl_link_put(l);

	/* { context, unit link, mapped, vlan, expected } in order */
	const struct {
		struct ctx_ns *ns;
		const char *unit_link, *mapped;
		int rc;
	} steps[] = {
		{ c1, lab->port[0], "inside", 0 },
		{ c1, lab->port[0], "inside", 0 },             /* replay */
		{ c1, lab->port[1], long_name, 0 },
		{ c1, lab->port[2], "inside", -EEXIST },       /* name taken */
		{ c1, lab->port[0], "other", -EBUSY },         /* here already */
		{ c2, lab->port[0], "inside", -EBUSY },        /* in c1 */
		{ c2, "tnsnosuchport", "x", -ENODEV },
		{ c2, lab->port[2], "inside", 0 },             /* per context */
		{ c1, "bad:name", "y", -EINVAL },
		{ c1, lab->port[3], "", -EINVAL },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int rc = ctx_link_allocate(steps[i].ns, steps[i].unit_link,
					   steps[i].mapped, 0);
		if (rc != steps[i].rc)
			fail_msg("step %zu (%s -> %s): %d, expected %d", i,
				 steps[i].unit_link, steps[i].mapped, rc,
				 steps[i].rc);
	}
	/* Moved, renamed, down, tagged; gone from the unit. */
	assert_false(has_link(lab->unit_sk, lab->port[0]));
	assert_false(has_link(lab->unit_sk, lab->port[1]));
	l = get_link(sk1, "inside");
	char alias[128];
	snprintf(alias, sizeof alias, "mctx:%s:%02x%02x%02x%02x%02x%02x:inside",
		 lab->port[0], hw0[0], hw0[1], hw0[2], hw0[3], hw0[4], hw0[5]);
	assert_string_equal(rtnl_link_get_ifalias(l), alias);
	assert_int_equal(rtnl_link_get_flags(l) & IFF_UP, 0);
	rtnl_link_put(l);
	assert_true(has_link(sk1, long_linux));
	assert_true(has_link(ctx_ns_sock(c2), "inside"));

	struct ctx_link_info info;
	assert_int_equal(ctx_link_lookup(c1, long_name, &info), 0);
	assert_string_equal(info.unit_link, lab->port[1]);
	assert_string_equal(info.ifname, long_linux);
	assert_int_equal(ctx_link_lookup(c1, "nothere", &info), -ENOENT);
	assert_int_equal(count_links(sk1), 3);   /* lo, inside, long */
	assert_int_equal(count_log(lab, "910004"), 3);

	/* A damaged or foreign alias is not ours: not walked, not found,
	 * and its name counts as taken. */
	static const char *const garbage[] = {
		"", "other", "mctx:", "mctx:e0", "mctx:e0:zz",
		"mctx:e0:0011223344:x", "mctx:e0:001122334455",
		"mctx:e0:001122334455:", "mctx::001122334455:inside",
		"mctx:e0:0x1122334455:inside", "mctx:e0:00112233445G:inside",
		"mctx:e0:00 122334455:inside",
	};
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		l = get_link(sk1, "inside");
		struct rtnl_link *change = rtnl_link_alloc();
		rtnl_link_set_ifalias(change, garbage[i]);
		assert_int_equal(rtnl_link_change(sk1, l, change, 0), 0);
		rtnl_link_put(change);
		rtnl_link_put(l);
		struct seen_count { int n; } seen = { 0 };
		assert_int_equal(ctx_link_walk(c1, count_walk, &seen.n), 0);
		assert_int_equal(seen.n, 1);   /* only the long one */
		assert_int_equal(ctx_link_lookup(c1, "inside", &info), -ENOENT);
		assert_int_equal(ctx_link_allocate(c1, lab->port[3], "inside", 0),
				 -EEXIST);
		assert_int_equal(ctx_link_release(c1, "inside"), -ENOENT);
	}
}

static void test_vlan_subinterface(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	char sub[16], orphan[16];
	snprintf(sub, sizeof sub, "%.13s.7", lab->port[4]);   /* <id>e9.7 */
	snprintf(orphan, sizeof orphan, "%sz.5", lab->id);

	assert_int_equal(ctx_link_allocate(lab->ctx[0], orphan, "dmz", 5),
			 -ENODEV);   /* no parent */
	int rc = ctx_link_allocate(lab->ctx[0], sub, "inside", 7);
	if (rc == 0) {
		/* A kernel with 802.1Q: the VLAN link was made and moved. */
		assert_true(has_link(ctx_ns_sock(lab->ctx[0]), "inside"));
		assert_int_equal(ctx_ns_remove(lab->ctx[0]), 0);
		lab->ctx[0] = NULL;
		assert_true(has_link(lab->unit_sk, sub));
		return;
	}
	assert_int_equal(rc, -EOPNOTSUPP);
	assert_int_equal(ctx_link_allocate(lab->ctx[1], sub, "inside", 7),
			 -EOPNOTSUPP);
	assert_int_equal(count_log(lab, "910007"), 1);   /* logged once */

	/* The stand-in: a link named as the subinterface is used as is. */
	struct rtnl_link *l = get_link(lab->unit_sk, lab->port[3]);
	struct rtnl_link *change = rtnl_link_alloc();
	rtnl_link_set_name(change, sub);
	assert_int_equal(rtnl_link_change(lab->unit_sk, l, change, 0), 0);
	rtnl_link_put(change);
	rtnl_link_put(l);
	assert_int_equal(ctx_link_allocate(lab->ctx[0], sub, "inside", 7), 0);
	assert_int_equal(count_log(lab, "910007"), 1);
}

static void test_release_and_remove(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0];
	uint8_t hw[2][6];
	for (int i = 0; i < 2; i++) {
		struct rtnl_link *l = get_link(lab->unit_sk, lab->port[i]);
		link_mac(l, hw[i]);
		rtnl_link_put(l);
	}
	assert_int_equal(ctx_link_allocate(c1, lab->port[0], "inside", 0), 0);
	assert_int_equal(ctx_link_allocate(c1, lab->port[1],
					   "outside_context1_long", 0), 0);
	/* A changed MAC must not follow the link home. */
	struct ctx_if_desired d = { .mapped = "inside", .admin_up = true,
				    .has_mac = true,
				    .mac = { 0xa2, 0, 0, 0, 1, 2 } };
	assert_int_equal(ctx_link_apply(c1, &d), 0);

	assert_int_equal(ctx_link_release(c1, "inside"), 0);
	assert_int_equal(ctx_link_release(c1, "inside"), -ENOENT);
	struct rtnl_link *l = get_link(lab->unit_sk, lab->port[0]);
	uint8_t mac[6];
	link_mac(l, mac);
	assert_memory_equal(mac, hw[0], 6);
	const char *alias = rtnl_link_get_ifalias(l);
	assert_true(alias == NULL || alias[0] == '\0');
	rtnl_link_put(l);
	assert_false(has_link(ctx_ns_sock(c1), "inside"));

	/* The unit reuses a name: release refuses rather than lose it. */
	assert_int_equal(ctx_link_allocate(c1, lab->port[0], "inside", 0), 0);
	l = get_link(lab->unit_sk, lab->port[2]);
	struct rtnl_link *change = rtnl_link_alloc();
	rtnl_link_set_name(change, lab->port[0]);
	assert_int_equal(rtnl_link_change(lab->unit_sk, l, change, 0), 0);
	assert_int_equal(ctx_link_release(c1, "inside"), -EEXIST);
	rtnl_link_set_name(change, lab->port[2]);
	rtnl_link_put(l);
	l = get_link(lab->unit_sk, lab->port[0]);
	assert_int_equal(rtnl_link_change(lab->unit_sk, l, change, 0), 0);
	rtnl_link_put(change);
	rtnl_link_put(l);

	int before = count_links(lab->unit_sk);
	assert_int_equal(ctx_ns_remove(c1), 0);
	lab->ctx[0] = NULL;
	assert_false(netns_exists(lab->c1));
	assert_int_equal(count_links(lab->unit_sk), before + 2);
	assert_true(has_link(lab->unit_sk, lab->port[0]));
	assert_true(has_link(lab->unit_sk, lab->port[1]));
	l = get_link(lab->unit_sk, lab->port[1]);
	link_mac(l, mac);
	assert_memory_equal(mac, hw[1], 6);
	rtnl_link_put(l);
}

struct seen {
	int n;
	char pairs[4][96];
};

static int remember(const struct ctx_link_info *info, void *arg)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->pairs[s->n], sizeof s->pairs[0], "%s=%s", info->unit_link,
			 info->mapped);
	s->n++;
	return 0;
}

static int count_one(const char *nsname, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_adopt_after_restart(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	static const char long_name[] = "outside_context1_long";
	assert_int_equal(ctx_ns_open(lab->unit, lab->c1, true,
				     &(struct ctx_ns *){ NULL }), -EALREADY);
	assert_int_equal(ctx_link_allocate(lab->ctx[0], lab->port[0], "inside", 0), 0);
	assert_int_equal(ctx_link_allocate(lab->ctx[0], lab->port[1], long_name, 0), 0);
	struct ctx_if_desired d = { .mapped = "inside", .admin_up = true,
				    .has_ipv4 = true, .addr = ip4("192.168.1.1"),
				    .prefixlen = 24 };
	assert_int_equal(ctx_link_apply(lab->ctx[0], &d), 0);

	/* "Restart": forget every handle, keep the kernel state. */
	for (int i = 0; i < 2; i++) {
		ctx_ns_close(lab->ctx[i]);
		lab->ctx[i] = NULL;
	}
	assert_int_equal(ctx_unit_close(lab->unit), 0);
	lab->unit = NULL;
	assert_int_equal(ctx_unit_open(lab->unit_ns, &lab->unit), 0);
	struct ctx_ns *missing;
	char nsname[48];
	snprintf(nsname, sizeof nsname, "%sc9", lab->id);
	assert_int_equal(ctx_ns_open(lab->unit, nsname, false, &missing), -ENOENT);
	assert_int_equal(ctx_ns_open(lab->unit, lab->c1, false, &lab->ctx[0]), 0);
	assert_int_equal(ctx_ns_open(lab->unit, lab->c2, true, &lab->ctx[1]), 0);
	assert_int_equal(count_log(lab, "910002"), 2);   /* both adopted */

	struct seen seen = { 0 };
	assert_int_equal(ctx_link_walk(lab->ctx[0], remember, &seen), 0);
	assert_int_equal(seen.n, 2);
	char want[2][96];
	snprintf(want[0], sizeof want[0], "%s=inside", lab->port[0]);
	snprintf(want[1], sizeof want[1], "%s=%s", lab->port[1], long_name);
	for (int i = 0; i < 2; i++)
		assert_true(!strcmp(seen.pairs[0], want[i]) ||
			    !strcmp(seen.pairs[1], want[i]));

	/* Replaying the configuration changes nothing. */
	assert_int_equal(ctx_link_allocate(lab->ctx[0], lab->port[0], "inside", 0), 0);
	assert_int_equal(ctx_link_allocate(lab->ctx[0], lab->port[1], long_name, 0), 0);
	assert_int_equal(ctx_link_apply(lab->ctx[0], &d), 0);
	assert_int_equal(count_links(ctx_ns_sock(lab->ctx[0])), 3);
	assert_false(has_link(lab->unit_sk, lab->port[0]));
	char addrs[128];
	ipv4_addrs(ctx_ns_sock(lab->ctx[0]), "inside", addrs, sizeof addrs);
	assert_string_equal(addrs, "192.168.1.1/24");

	/* Both contexts are listed by prefix; the unit refuses to close. */
	int listed = 0;
	char cprefix[40];
	snprintf(cprefix, sizeof cprefix, "%sc", lab->id);
	assert_int_equal(ctx_ns_list(cprefix, count_one, &listed), 0);
	assert_int_equal(listed, 2);
	assert_int_equal(ctx_unit_close(lab->unit), -EBUSY);
}

/* ip_forward of namespace NSNAME: 0, 1, or -1 when unreadable. */
static int ip_forward(const char *nsname)
{
	struct netns_saved saved;
	if (netns_enter(nsname, &saved))
		return -1;
	int v = -1;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	netns_leave(&saved);
	return v;
}

static void set_ip_forward_off(const char *nsname)
{
	struct netns_saved saved;
	assert_int_equal(netns_enter(nsname, &saved), 0);
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "w");
	assert_non_null(f);
	fputs("0\n", f);
	fclose(f);
	netns_leave(&saved);
}

/* A new namespace forwards nothing until told (its policy is not loaded
 * yet), whatever the host's setting; an adopted one keeps what it has. */
static void test_forwarding(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	assert_int_equal(ip_forward(lab->c1), 0);
	assert_int_equal(ip_forward(lab->c2), 0);
	assert_int_equal(ctx_ns_set_forwarding(lab->ctx[1], true), 0);
	ctx_ns_close(lab->ctx[1]);
	lab->ctx[1] = NULL;
	assert_int_equal(ctx_ns_open(lab->unit, lab->c2, false, &lab->ctx[1]), 0);
	assert_int_equal(ip_forward(lab->c2), 1);
	assert_int_equal(ctx_ns_forwarding(lab->ctx[1]), 1);
	ctx_ns_close(lab->ctx[0]);
	lab->ctx[0] = NULL;
	set_ip_forward_off(lab->c1);
	assert_int_equal(ctx_ns_open(lab->unit, lab->c1, false, &lab->ctx[0]), 0);
	assert_int_equal(ip_forward(lab->c1), 0);

	/* The standby switch: only its own namespace changes, both ways,
	 * and it reads back what the kernel has. */
	static const bool steps[] = { false, false, true, false, true };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		assert_int_equal(ctx_ns_set_forwarding(lab->ctx[0], steps[i]), 0);
		assert_int_equal(ip_forward(lab->c1), steps[i]);
		assert_int_equal(ctx_ns_forwarding(lab->ctx[0]), steps[i]);
		assert_int_equal(ip_forward(lab->c2), 1);
	}
}

/* Stale kernel state after a crash: a link the configuration now gives to
 * c2 is still in c1 (allocate says -EBUSY); reclaim returns it to the unit
 * under its own name, and the allocation then succeeds. */
static void test_reclaim(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	assert_int_equal(ctx_link_allocate(lab->ctx[0], lab->port[0], "inside", 0), 0);
	assert_int_equal(ctx_link_allocate(lab->ctx[1], lab->port[0], "in2", 0), -EBUSY);
	assert_int_equal(ctx_link_reclaim(lab->ctx[1], lab->port[0]), 0);
	assert_true(has_link(lab->unit_sk, lab->port[0]));
	assert_false(has_link(ctx_ns_sock(lab->ctx[0]), "inside"));
	assert_int_equal(ctx_link_allocate(lab->ctx[1], lab->port[0], "in2", 0), 0);
	assert_true(has_link(ctx_ns_sock(lab->ctx[1]), "in2"));
	/* Nobody holds a link that is in the unit, or does not exist. */
	assert_int_equal(ctx_link_reclaim(lab->ctx[0], lab->port[1]), -ENOENT);
	assert_int_equal(ctx_link_reclaim(lab->ctx[0], "nosuchlink"), -ENOENT);
}

/* ---- link state ---- */

/* How many fd00::/8 addresses (the test's own IPv6) SK's namespace has. */
static int count_ipv6_ula(struct nl_sock *sk)
{
	struct nl_cache *cache;
	assert_true(rtnl_addr_alloc_cache(sk, &cache) >= 0);
	int v6 = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct nl_addr *a = rtnl_addr_get_local((struct rtnl_addr *)o);
		v6 += nl_addr_get_family(a) == AF_INET6 &&
		      ((uint8_t *)nl_addr_get_binary_addr(a))[0] == 0xfd;
	}
	nl_cache_free(cache);
	return v6;
}

static void test_apply(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0];
	struct nl_sock *sk = ctx_ns_sock(c1);
	assert_int_equal(ctx_link_allocate(c1, lab->port[0], "inside", 0), 0);
	uint8_t hw[6];
	struct rtnl_link *l = get_link(sk, "inside");
	link_mac(l, hw);
	rtnl_link_put(l);
	/* Something else's addresses: IPv6 stays, an extra IPv4 goes. */
	assert_int_equal(addr_add(sk, "inside", AF_INET, "10.9.9.9/8"), 0);
	assert_int_equal(addr_add(sk, "inside", AF_INET6, "fd00::1/64"), 0);

	const struct {
		struct ctx_if_desired d;
		const char *addrs;
	} steps[] = {
		{ { "inside", true, 1400, true, { 0xa2, 0x4d, 0, 0, 2, 4 }, true,
		    { 0 }, 24 }, "192.168.1.1/24" },
		{ { "inside", true, 1400, true, { 0xa2, 0x4d, 0, 0, 2, 4 }, true,
		    { 0 }, 24 }, "192.168.1.1/24" },           /* idempotent */
		{ { "inside", true, 1500, false, { 0 }, true, { 0 }, 25 },
		  "192.168.1.1/25" },                          /* new mask */
		{ { "inside", false, 0, false, { 0 }, false, { 0 }, 0 }, "" },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct ctx_if_desired d = steps[i].d;
		d.addr = ip4("192.168.1.1");
		assert_int_equal(ctx_link_apply(c1, &d), 0);
		l = get_link(sk, "inside");
		assert_int_equal((rtnl_link_get_flags(l) & IFF_UP) != 0, d.admin_up);
		if (d.mtu)
			assert_int_equal(rtnl_link_get_mtu(l), d.mtu);
		uint8_t mac[6];
		link_mac(l, mac);
		assert_memory_equal(mac, d.has_mac ? d.mac : hw, 6);
		rtnl_link_put(l);
		char addrs[128];
		ipv4_addrs(sk, "inside", addrs, sizeof addrs);
		assert_string_equal(addrs, steps[i].addrs);
		/* IPv6 is left alone (until shutdown, when the kernel
		 * itself drops it). */
		if (d.admin_up)
			assert_int_equal(count_ipv6_ula(sk), 1);
	}

	/* Refusals come back as -errno. */
	struct ctx_if_desired bad = { .mapped = "inside", .admin_up = true,
				      .mtu = 70000 };
	assert_int_equal(ctx_link_apply(c1, &bad), -EINVAL);
	bad = (struct ctx_if_desired){ .mapped = "nosuch" };
	assert_int_equal(ctx_link_apply(c1, &bad), -ENOENT);
	bad = (struct ctx_if_desired){ .mapped = "inside", .has_ipv4 = true,
				       .prefixlen = 33 };
	assert_int_equal(ctx_link_apply(c1, &bad), -EINVAL);
	/* A multicast MAC is refused by the kernel. */
	bad = (struct ctx_if_desired){ .mapped = "inside", .has_mac = true,
				       .mac = { 0x01, 0, 0x5e, 0, 0, 1 } };
	assert_int_equal(ctx_link_apply(c1, &bad), -EADDRNOTAVAIL);
}

/* ---- routes ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Our routes as sorted "dst/len>gw@ifname:metric" joined by ' '. */
static void our_routes(struct nl_sock *sk, char *out, size_t len,
		       int protocol)
{
	struct nl_cache *routes, *links;
	assert_true(rtnl_route_alloc_cache(sk, AF_INET, 0, &routes) >= 0);
	assert_true(rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) >= 0);
	char items[8][96];
	int n = 0;
	for (struct nl_object *o = nl_cache_get_first(routes); o && n < 8;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		if (rtnl_route_get_protocol(r) != protocol)
			continue;
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
		char dst[24], gw[24], ifname[16];
		if (nl_addr_get_prefixlen(rtnl_route_get_dst(r)) == 0)
			strcpy(dst, "0.0.0.0/0");   /* libnl says "none" */
		else
			nl_addr2str(rtnl_route_get_dst(r), dst, sizeof dst);
		nl_addr2str(rtnl_route_nh_get_gateway(nh), gw, sizeof gw);
		rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), ifname,
				 sizeof ifname);
		snprintf(items[n++], sizeof items[0], "%s>%s@%s:%u", dst, gw, ifname,
			 rtnl_route_get_priority(r));
	}
	qsort(items, (size_t)n, sizeof items[0], cmp_str);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 i ? " " : "", items[i]);
	nl_cache_free(links);
	nl_cache_free(routes);
}

static void setup_inside_outside(struct ctx_ns *ns, struct lab *lab)
{
	assert_int_equal(ctx_link_allocate(ns, lab->port[0], "inside_context1", 0), 0);
	assert_int_equal(ctx_link_allocate(ns, lab->port[1], "outside_context1", 0), 0);
	struct ctx_if_desired in = { .mapped = "inside_context1", .admin_up = true,
				     .mtu = 1500, .has_mac = true,
				     .mac = { 0xa2, 0, 0, 0, 1, 2 },
				     .has_ipv4 = true,
				     .addr = ip4("192.168.1.1"), .prefixlen = 24 };
	struct ctx_if_desired out = { .mapped = "outside_context1",
				      .admin_up = true, .has_ipv4 = true,
				      .addr = ip4("172.16.1.1"), .prefixlen = 24 };
	assert_int_equal(ctx_link_apply(ns, &in), 0);
	assert_int_equal(ctx_link_apply(ns, &out), 0);
}

static void test_routes(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0];
	struct nl_sock *sk = ctx_ns_sock(c1);
	setup_inside_outside(c1, lab);
	char outside[16];
	ctx_link_linux_name("outside_context1", outside);

	/* An operator's route (protocol static) must survive reconciles. */
	struct rtnl_route *foreign = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst, *gw;
	nl_addr_parse("10.200.0.0/16", AF_INET, &dst);
	nl_addr_parse("192.168.1.253", AF_INET, &gw);
	rtnl_route_set_dst(foreign, dst);
	rtnl_route_set_protocol(foreign, RTPROT_STATIC);
	struct rtnl_link *l = get_link(sk, "inside_context1");
	rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(l));
	rtnl_link_put(l);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(foreign, nh);
	assert_int_equal(rtnl_route_add(sk, foreign, NLM_F_CREATE), 0);
	rtnl_route_put(foreign);
	nl_addr_put(dst);
	nl_addr_put(gw);

	struct ctx_route v1[] = {
		{ "outside_context1", ip4("0.0.0.0"), 0, ip4("172.16.1.3"), 1 },
		{ "inside_context1", ip4("10.0.0.0"), 8, ip4("192.168.1.254"), 1 },
	};
	struct ctx_route v2[] = {
		{ "outside_context1", ip4("0.0.0.0"), 0, ip4("172.16.1.4"), 1 },
		{ "inside_context1", ip4("10.1.2.3"), 16, ip4("192.168.1.254"), 5 },
	};
	char want1[256], want2[256], got[512];
	snprintf(want1, sizeof want1,
		 "0.0.0.0/0>172.16.1.3@%s:1 10.0.0.0/8>192.168.1.254@inside_context1:1",
		 outside);
	snprintf(want2, sizeof want2,
		 "0.0.0.0/0>172.16.1.4@%s:1 10.1.0.0/16>192.168.1.254@inside_context1:5",
		 outside);
	const struct {
		const struct ctx_route *routes;
		size_t n;
		const char *want;
	} steps[] = {
		{ v1, 2, want1 },
		{ v1, 2, want1 },   /* idempotent */
		{ v2, 2, want2 },   /* gateway changed, one replaced */
		{ NULL, 0, "" },    /* all removed */
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		assert_int_equal(ctx_routes_apply(c1, steps[i].routes, steps[i].n), 0);
		our_routes(sk, got, sizeof got, CTX_RTPROT_MCTX);
		assert_string_equal(got, steps[i].want);
	}
	our_routes(sk, got, sizeof got, RTPROT_STATIC);
	assert_string_equal(got, "10.200.0.0/16>192.168.1.253@inside_context1:0");

	/* Errors: unknown interface, unreachable gateway; the rest is done. */
	struct ctx_route bad[] = {
		{ "nosuch", ip4("10.0.0.0"), 8, ip4("192.168.1.254"), 1 },
		{ "inside_context1", ip4("10.0.0.0"), 8, ip4("192.168.1.254"), 1 },
	};
	assert_int_equal(ctx_routes_apply(c1, bad, 2), -ENOENT);
	our_routes(sk, got, sizeof got, CTX_RTPROT_MCTX);
	assert_string_equal(got, "10.0.0.0/8>192.168.1.254@inside_context1:1");
	struct ctx_route unreachable[] = {
		{ "inside_context1", ip4("10.0.0.0"), 8, ip4("10.5.5.5"), 1 },
	};
	assert_int_equal(ctx_routes_apply(c1, unreachable, 1), -ENETUNREACH);
	assert_true(count_log(lab, "910009") >= 1);
}

/* ---- show ---- */

static void add_neigh(struct nl_sock *sk, const char *ifname, const char *ip,
		      const char *mac, int nud)
{
	struct nl_addr *dst, *ll;
	assert_int_equal(nl_addr_parse(ip, AF_INET, &dst), 0);
	assert_int_equal(nl_addr_parse(mac, AF_LLC, &ll), 0);
	struct rtnl_link *l = get_link(sk, ifname);
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	rtnl_neigh_set_ifindex(n, rtnl_link_get_ifindex(l));
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, nud);
	assert_int_equal(rtnl_neigh_add(sk, n, NLM_F_CREATE), 0);
	rtnl_neigh_put(n);
	rtnl_link_put(l);
	nl_addr_put(dst);
	nl_addr_put(ll);
}

static bool has_line(const struct buf *b, const char *line)
{
	for (const char *p = b->data; p && (p = strstr(p, line)); p++)
		if ((p == b->data || p[-1] == '\n') &&
		    (p[strlen(line)] == '\n' || p[strlen(line)] == '\0'))
			return true;
	return false;
}

static bool has_line_prefix(const struct buf *b, const char *prefix)
{
	for (const char *p = b->data; p && (p = strstr(p, prefix)); p++)
		if (p == b->data || p[-1] == '\n')
			return true;
	return false;
}

static void test_show(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0];
	struct nl_sock *sk = ctx_ns_sock(c1);
	setup_inside_outside(c1, lab);
	assert_int_equal(ctx_link_allocate(c1, lab->port[2], "dmz_context1", 0), 0);
	struct ctx_route def = { "outside_context1", ip4("0.0.0.0"), 0,
				 ip4("172.16.1.3"), 1 };
	assert_int_equal(ctx_routes_apply(c1, &def, 1), 0);
	add_neigh(sk, "inside_context1", "192.168.1.5", "00:50:56:a1:00:01",
		  NUD_REACHABLE);
	add_neigh(sk, "inside_context1", "192.168.1.6", "00:50:56:a1:00:02",
		  NUD_PERMANENT);
	char outside[16];
	ctx_link_linux_name("outside_context1", outside);
	const struct ctx_show_name names[] = {
		{ "inside_context1", "inside_context1", "inside", 100 },
		{ outside, "outside_context1", "outside", 0 },
		{ "dmz_context1", "dmz_context1", NULL, 0 },
		{ "notallocated", "Ethernet9", "ghost", 50 },
	};
	struct buf b;
	buf_init(&b);

	assert_int_equal(ctx_show_ip_brief(c1, names, 4, &b), 0);
	assert_true(has_line(&b, "Interface                  IP-Address      OK? "
			     "Method Status                Protocol"));
	assert_true(has_line(&b, "inside_context1            192.168.1.1     YES "
			     "manual up                    up"));
	assert_true(has_line(&b, "outside_context1           172.16.1.1      YES "
			     "manual up                    up"));
	assert_true(has_line(&b, "dmz_context1               unassigned      YES "
			     "unset  administratively down down"));
	assert_false(has_line_prefix(&b, "Ethernet9"));
	buf_reset(&b);

	assert_int_equal(ctx_show_nameif(c1, names, 4, &b), 0);
	assert_true(has_line(&b, "Interface                Name                     Security"));
	assert_true(has_line(&b, "inside_context1          inside                   100"));
	assert_true(has_line(&b, "outside_context1         outside                    0"));
	assert_false(has_line_prefix(&b, "dmz_context1"));
	buf_reset(&b);

	assert_int_equal(ctx_show_route(c1, names, 4, &b), 0);
	assert_true(has_line_prefix(&b, "Codes: C - connected, S - static"));
	assert_true(has_line(&b, "Gateway of last resort is 172.16.1.3 to network 0.0.0.0"));
	assert_true(has_line(&b, "C    192.168.1.0 255.255.255.0 is directly connected, inside"));
	assert_true(has_line(&b, "C    172.16.1.0 255.255.255.0 is directly connected, outside"));
	assert_true(has_line(&b, "S*   0.0.0.0 0.0.0.0 [1/0] via 172.16.1.3, outside"));
	/* the default comes last */
	assert_true(strstr(b.data, "S*   0.0.0.0") > strstr(b.data, "C    192.168.1.0"));
	buf_reset(&b);
	assert_int_equal(ctx_routes_apply(c1, NULL, 0), 0);
	assert_int_equal(ctx_show_route(c1, names, 4, &b), 0);
	assert_true(has_line(&b, "Gateway of last resort is not set"));
	buf_reset(&b);

	assert_int_equal(ctx_show_arp(c1, names, 4, &b), 0);
	assert_true(has_line_prefix(&b, "\tinside 192.168.1.5 0050.56a1.0001 "));
	assert_true(has_line(&b, "\tinside 192.168.1.6 0050.56a1.0002 -"));
	const char *age = strstr(b.data, "0050.56a1.0001 ") + 15;
	char *end;
	long secs = strtol(age, &end, 10);
	assert_true(end > age && *end == '\n' && secs >= 0 && secs < 60);
	buf_reset(&b);

	assert_int_equal(ctx_show_interface(c1, names, 4, NULL, &b), 0);
	assert_true(has_line(&b, "Interface inside_context1 \"inside\", is up, "
			     "line protocol is up"));
	assert_true(has_line(&b, "\tMAC address a200.0000.0102, MTU 1500"));
	assert_true(has_line(&b, "\tIP address 192.168.1.1, subnet mask 255.255.255.0"));
	assert_true(has_line(&b, "Interface dmz_context1 \"\", is administratively "
			     "down, line protocol is down"));
	assert_true(has_line(&b, "\tIP address unassigned"));
	buf_reset(&b);
	assert_int_equal(ctx_show_interface(c1, names, 4, "outside", &b), 0);
	assert_true(has_line_prefix(&b, "Interface outside_context1 \"outside\""));
	assert_false(has_line_prefix(&b, "Interface inside_context1"));
	assert_true(has_line_prefix(&b, "\t0 input errors"));
	buf_reset(&b);
	assert_int_equal(ctx_show_interface(c1, names, 4, "nosuch", &b), -ENOENT);
	buf_free(&b);
}

/* ---- gratuitous ARP ---- */

static void test_garp(void **state)
{
	struct lab *lab = *state;
	open_contexts(lab);
	struct ctx_ns *c1 = lab->ctx[0];
	setup_inside_outside(c1, lab);

	/* Listen on the peer end, inside the peer namespace. */
	struct netns_saved saved;
	assert_int_equal(netns_enter(lab->peer_ns, &saved), 0);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
	netns_leave(&saved);
	assert_true(fd >= 0);
	struct rtnl_link *l = get_link(lab->peer_sk, lab->peer[0]);
	struct sockaddr_ll at = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = rtnl_link_get_ifindex(l) };
	rtnl_link_put(l);
	assert_int_equal(bind(fd, (struct sockaddr *)&at, sizeof at), 0);

	struct in_addr addr = ip4("192.168.1.1");
	assert_int_equal(ctx_garp_send(c1, "inside_context1", addr), 0);
	static const uint8_t mac[6] = { 0xa2, 0, 0, 0, 1, 2 };
	bool seen = false;
	for (int tries = 0; tries < 20 && !seen; tries++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1000) <= 0)
			break;
		uint8_t f[128];
		ssize_t n = recv(fd, f, sizeof f, 0);
		if (n < 42 || f[12] != 0x08 || f[13] != 0x06)
			continue;
		/* ARP request, sender = target = addr, from our MAC */
		if (f[20] == 0 && f[21] == 1 && !memcmp(f + 22, mac, 6) &&
		    !memcmp(f + 28, &addr, 4) && !memcmp(f + 38, &addr, 4) &&
		    !memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) &&
		    !memcmp(f + 6, mac, 6))
			seen = true;
	}
	close(fd);
	assert_true(seen);

	assert_int_equal(ctx_garp_send(c1, "nosuch", addr), -ENODEV);
	struct ctx_if_desired down = { .mapped = "inside_context1",
				       .has_mac = true,
				       .mac = { 0xa2, 0, 0, 0, 1, 2 } };
	assert_int_equal(ctx_link_apply(c1, &down), 0);
	assert_int_equal(ctx_garp_send(c1, "inside_context1", addr), -ENETDOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_name),
		cmocka_unit_test(test_mac_auto),
		cmocka_unit_test_setup_teardown(test_allocate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_subinterface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forwarding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
