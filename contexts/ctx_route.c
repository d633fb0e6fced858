/*
 * ctx_route: reconciling a context's static routes (`route IF NET MASK GW
 * [DISTANCE]`).  Routes mctx adds carry rtm_protocol CTX_RTPROT_MCTX, so a
 * reconcile touches only its own: the kernel's connected routes and any
 * route an operator added by hand stay.  See ctx_ns.h.
 */
#include "contexts/ctx_ns.h"

#include "contexts/ctx_nl.h"
#include "system/sys_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/route.h>
#include <stdlib.h>
#include <string.h>

/* One desired route resolved against the kernel. */
struct want {
	uint32_t dst;          /* network byte order, host bits cleared */
	uint8_t prefixlen;
	uint32_t gw;
	int ifindex;
	uint32_t priority;
	bool present;
};

static uint32_t mask_of(uint8_t prefixlen)
{
	return prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;
}

static uint32_t addr4(struct nl_addr *a)
{
	uint32_t v = 0;
	if (a && nl_addr_get_len(a) == 4)
		memcpy(&v, nl_addr_get_binary_addr(a), 4);
	return v;
}

static bool route_is(struct rtnl_route *r, const struct want *w)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	if (!dst || nl_addr_get_prefixlen(dst) != w->prefixlen ||
	    addr4(dst) != w->dst || rtnl_route_get_priority(r) != w->priority ||
	    rtnl_route_get_nnexthops(r) != 1)
		return false;
	struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
	return rtnl_route_nh_get_ifindex(nh) == w->ifindex &&
	       addr4(rtnl_route_nh_get_gateway(nh)) == w->gw;
}

static int route_add(struct nl_sock *sk, const struct want *w)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &w->dst, 4);
	struct nl_addr *gw = nl_addr_build(AF_INET, &w->gw, 4);
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;
	if (!r || !nh || !dst || !gw)
		goto out;
	nl_addr_set_prefixlen(dst, w->prefixlen);
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, CTX_RTPROT_MCTX);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_priority(r, w->priority);
	if (rtnl_route_set_dst(r, dst) < 0)
		goto out;
	rtnl_route_nh_set_ifindex(nh, w->ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL;   /* the route owns it now */
	err = rtnl_route_build_add_request(r, NLM_F_CREATE | NLM_F_EXCL, &msg);
	err = err < 0 ? ctx_nl_errno(err) : ctx_nl_request(sk, msg);
out:
	nlmsg_free(msg);
	nl_addr_put(gw);
	nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	return err;
}

static void note(int *first_err, int err)
{
	if (err && !*first_err)
		*first_err = err;
}

int ctx_routes_apply(struct ctx_ns *ns, const struct ctx_route *routes,
		     size_t n)
{
	struct nl_sock *sk = ctx_ns_sock(ns);
	struct want *wants = calloc(n ? n : 1, sizeof *wants);
	if (!wants)
		return -ENOMEM;
	int first_err = 0;
	for (size_t i = 0; i < n; i++) {
		struct ctx_link_info info;
		struct want *w = &wants[i];
		w->present = true;   /* skipped unless resolved below */
		if (routes[i].prefixlen > 32) {
			note(&first_err, -EINVAL);
			continue;
		}
		int err = ctx_link_lookup(ns, routes[i].mapped, &info);
		if (err) {
			note(&first_err, err);
			continue;
		}
		w->prefixlen = routes[i].prefixlen;
		w->dst = routes[i].dst.s_addr & mask_of(w->prefixlen);
		w->gw = routes[i].gw.s_addr;
		w->ifindex = info.ifindex;
		w->priority = routes[i].distance;
		w->present = false;
	}

	struct nl_cache *cache;
	int rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
	if (rc < 0) {
		free(wants);
		return ctx_nl_errno(rc);
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		if (rtnl_route_get_protocol(r) != CTX_RTPROT_MCTX ||
		    rtnl_route_get_table(r) != RT_TABLE_MAIN)
			continue;
		bool wanted = false;
		for (size_t i = 0; i < n && !wanted; i++)
			if (!wants[i].present && route_is(r, &wants[i]))
				wanted = wants[i].present = true;
		if (wanted)
			continue;
		struct nl_msg *msg;
		rc = rtnl_route_build_del_request(r, 0, &msg);
		if (rc < 0) {
			note(&first_err, ctx_nl_errno(rc));
			continue;
		}
		note(&first_err, ctx_nl_request(sk, msg));
		nlmsg_free(msg);
	}
	nl_cache_free(cache);

	for (size_t i = 0; i < n; i++) {
		if (wants[i].present)
			continue;
		int err = route_add(sk, &wants[i]);
		if (err) {
			char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &wants[i].dst, dst, sizeof dst);
			inet_ntop(AF_INET, &wants[i].gw, gw, sizeof gw);
			mlog(MSG_910009, "context %s: route %s/%u via %s "
			     "refused: %s", ctx_ns_name(ns), dst,
			     wants[i].prefixlen, gw, strerror(-err));
		}
		note(&first_err, err);
	}
	free(wants);
	return first_err;
}
