/*
 * ctx_bench: creates N security contexts (default 250) with two interfaces
 * each, then removes them, and prints
 *   contexts_create_s N s      namespace + 2 allocations + 2 applies each
 *   contexts_remove_s N s      links returned to the unit, namespace gone
 *   memory_per_context_kb N kB this process's RSS growth per context
 * The unit is a private namespace "bch<pid>u" whose ports are veth ends
 * (peers in "bch<pid>p"); everything named bch<pid>* is deleted at exit,
 * also on failure.
 */
#include "contexts/ctx_nl.h"
#include "contexts/ctx_ns.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int delete_ours(const char *nsname, void *arg)
{
	netns_delete(nsname);
	return 0;
}

static int veth_add(struct nl_sock *sk, int peer_fd, const char *name,
		    const char *peer_name)
{
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, name);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_fd);
	int rc = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	return rc;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 250;
	if (n < 1 || n > 4000) {
		fprintf(stderr, "usage: ctx_bench [1..4000]\n");
		return 2;
	}
	log_init("ctx_bench", true, LOG_SEV_WARN);
	char id[16], unit_ns[32], peer_ns[32];
	snprintf(id, sizeof id, "bch%d", (int)getpid());
	snprintf(unit_ns, sizeof unit_ns, "%su", id);
	snprintf(peer_ns, sizeof peer_ns, "%sp", id);
	int status = 1;
	struct ctx_unit *unit = NULL;
	struct ctx_ns **ctx = calloc((size_t)n, sizeof *ctx);
	struct nl_sock *sk = NULL;
	int peer_fd = -1;

	if (netns_create(unit_ns) || netns_create(peer_ns)) {
		fprintf(stderr, "ctx_bench: cannot create namespaces\n");
		goto out;
	}
	struct netns_saved saved;
	if (netns_enter(unit_ns, &saved))
		goto out;
	sk = ctx_nl_open();
	netns_leave(&saved);
	peer_fd = netns_open(peer_ns);
	if (!sk || peer_fd < 0)
		goto out;
	for (int i = 0; i < 2 * n; i++) {
		char name[16], peer[16];
		snprintf(name, sizeof name, "e%d", i);
		snprintf(peer, sizeof peer, "p%d", i);
		if (veth_add(sk, peer_fd, name, peer) < 0) {
			fprintf(stderr, "ctx_bench: veth %s failed\n", name);
			goto out;
		}
	}
	if (ctx_unit_open(unit_ns, &unit))
		goto out;

	long rss0 = rss_kb();
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		char nsname[32], e_in[16], e_out[16], outside[32];
		snprintf(nsname, sizeof nsname, "%sc%d", id, i);
		snprintf(e_in, sizeof e_in, "e%d", 2 * i);
		snprintf(e_out, sizeof e_out, "e%d", 2 * i + 1);
		snprintf(outside, sizeof outside, "outside_context%d", i);
		struct ctx_if_desired in = {
			.mapped = "inside", .admin_up = true, .mtu = 1500,
			.has_ipv4 = true, .prefixlen = 24,
			.addr.s_addr = htonl(0xc0a80001u),   /* 192.168.0.1 */
		};
		struct ctx_if_desired o = {
			.mapped = outside, .admin_up = true, .has_ipv4 = true,
			.prefixlen = 24,
			.addr.s_addr = htonl(0xac100001u | (uint32_t)(i & 0xff) << 8),
		};
		ctx_mac_auto(1, (unsigned)i, 0, false, in.mac);
		in.has_mac = true;
		int rc = ctx_ns_open(unit, nsname, true, &ctx[i]);
		if (!rc)
			rc = ctx_link_allocate(ctx[i], e_in, "inside", 0);
		if (!rc)
			rc = ctx_link_allocate(ctx[i], e_out, outside, 0);
		if (!rc)
			rc = ctx_link_apply(ctx[i], &in);
		if (!rc)
			rc = ctx_link_apply(ctx[i], &o);
		if (rc) {
			fprintf(stderr, "ctx_bench: context %d: %s\n", i,
				strerror(-rc));
			goto out;
		}
	}
	double t1 = now_s();
	long rss1 = rss_kb();
	for (int i = 0; i < n; i++) {
		int rc = ctx_ns_remove(ctx[i]);
		ctx[i] = NULL;
		if (rc) {
			fprintf(stderr, "ctx_bench: remove %d: %s\n", i,
				strerror(-rc));
			goto out;
		}
	}
	double t2 = now_s();
	printf("contexts_create_s %.3f s\n", t1 - t0);
	printf("contexts_remove_s %.3f s\n", t2 - t1);
	printf("memory_per_context_kb %.1f kB\n",
	       (double)(rss1 - rss0) / (double)n);
	status = 0;
out:
	for (int i = 0; i < n; i++)
		if (ctx[i])
			ctx_ns_close(ctx[i]);
	free(ctx);
	ctx_unit_close(unit);
	ctx_nl_close(sk);
	if (peer_fd >= 0)
		close(peer_fd);
	ctx_ns_list(id, delete_ours, NULL);
	return status;
}
