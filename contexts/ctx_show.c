/*
 * ctx_show: ASA-style show output from the kernel's view of a context.
 * See ctx_show.h.
 */
#include "contexts/ctx_show.h"

#include "contexts/ctx_nl.h"
#include "contexts/ctx_ns.h"
#include "system/sys_buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ctx_show_mac(const unsigned char mac[6], char out[15])
{
	snprintf(out, 15, "%02x%02x.%02x%02x.%02x%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

/* The kernel's links and addresses, read once per command. */
struct view {
	struct nl_cache *links;
	struct nl_cache *addrs;
};

static int view_load(struct ctx_ns *ns, struct view *v, bool addrs)
{
	v->links = v->addrs = NULL;
	int rc = rtnl_link_alloc_cache(ctx_ns_sock(ns), AF_UNSPEC, &v->links);
	if (rc >= 0 && addrs)
		rc = rtnl_addr_alloc_cache(ctx_ns_sock(ns), &v->addrs);
	if (rc < 0) {
		nl_cache_free(v->links);
		return ctx_nl_errno(rc);
	}
	return 0;
}

static void view_free(struct view *v)
{
	nl_cache_free(v->addrs);
	nl_cache_free(v->links);
}

/* The link of a map row (a reference), or NULL when it is not here. */
static struct rtnl_link *view_link(struct view *v,
				   const struct ctx_show_name *name)
{
	return name->ifname ? rtnl_link_get_by_name(v->links, name->ifname)
			    : NULL;
}

/* The primary IPv4 address of IFINDEX; false when it has none. */
static bool view_ipv4(struct view *v, int ifindex, struct in_addr *addr,
		      unsigned *prefixlen)
{
	for (struct nl_object *o = nl_cache_get_first(v->addrs); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET || !local ||
		    nl_addr_get_len(local) != 4 ||
		    (rtnl_addr_get_flags(a) & IFA_F_SECONDARY))
			continue;
		memcpy(addr, nl_addr_get_binary_addr(local), 4);
		*prefixlen = (unsigned)rtnl_addr_get_prefixlen(a);
		return true;
	}
	return false;
}

static const char *ipv4_str(uint32_t be, char out[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &be, out, INET_ADDRSTRLEN);
}

static uint32_t mask_of(unsigned prefixlen)
{
	return prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;
}

static bool link_up(struct rtnl_link *l)
{
	return (rtnl_link_get_flags(l) & IFF_UP) != 0;
}

static bool line_up(struct rtnl_link *l)
{
	return (rtnl_link_get_flags(l) & (IFF_UP | IFF_LOWER_UP)) ==
	       (IFF_UP | IFF_LOWER_UP);
}

static bool has_nameif(const struct ctx_show_name *name)
{
	return name->nameif && *name->nameif;
}

int ctx_show_ip_brief(struct ctx_ns *ns, const struct ctx_show_name *names,
		      size_t n, struct buf *out)
{
	struct view v;
	int err = view_load(ns, &v, true);
	if (err)
		return err;
	buf_printf(out, "%-26s %-15s %-3s %-6s %-21s %s\n", "Interface",
		   "IP-Address", "OK?", "Method", "Status", "Protocol");
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *l = view_link(&v, &names[i]);
		if (!l)
			continue;
		struct in_addr a;
		unsigned plen;
		char ip[INET_ADDRSTRLEN] = "unassigned";
		bool has_ip = view_ipv4(&v, rtnl_link_get_ifindex(l), &a, &plen);
		if (has_ip)
			ipv4_str(a.s_addr, ip);
		buf_printf(out, "%-26s %-15s %-3s %-6s %-21s %s\n",
			   names[i].hwname, ip, "YES", has_ip ? "manual" : "unset",
			   link_up(l) ? (line_up(l) ? "up" : "down")
				      : "administratively down",
			   line_up(l) ? "up" : "down");
		rtnl_link_put(l);
	}
	view_free(&v);
	return 0;
}

int ctx_show_nameif(struct ctx_ns *ns, const struct ctx_show_name *names,
		    size_t n, struct buf *out)
{
	struct view v;
	int err = view_load(ns, &v, false);
	if (err)
		return err;
	buf_printf(out, "%-24s %-24s %s\n", "Interface", "Name", "Security");
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *l = view_link(&v, &names[i]);
		if (!l)
			continue;
		if (has_nameif(&names[i]))
			buf_printf(out, "%-24s %-24s %3d\n", names[i].hwname,
				   names[i].nameif, names[i].security_level);
		rtnl_link_put(l);
	}
	view_free(&v);
	return 0;
}

/* The nameif of IFINDEX, or NULL when it has none or is not mapped. */
static const char *nameif_of(struct view *v, const struct ctx_show_name *names,
			     size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++) {
		if (!has_nameif(&names[i]))
			continue;
		struct rtnl_link *l = view_link(v, &names[i]);
		if (!l)
			continue;
		int idx = rtnl_link_get_ifindex(l);
		rtnl_link_put(l);
		if (idx == ifindex)
			return names[i].nameif;
	}
	return NULL;
}

static uint32_t addr4(struct nl_addr *a)
{
	uint32_t v = 0;
	if (a && nl_addr_get_len(a) == 4)
		memcpy(&v, nl_addr_get_binary_addr(a), 4);
	return v;
}

enum route_kind { ROUTE_CONNECTED, ROUTE_STATIC, ROUTE_DEFAULT, ROUTE_KINDS };

static const char *const route_legend =
	"Codes: C - connected, S - static, I - IGRP, R - RIP, M - mobile, B - BGP\n"
	"       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
	"       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
	"       E1 - OSPF external type 1, E2 - OSPF external type 2, E - EGP\n"
	"       i - IS-IS, L1 - IS-IS level-1, L2 - IS-IS level-2, ia - IS-IS inter area\n"
	"       * - candidate default, U - per-user static route, o - ODR\n"
	"       P - periodic downloaded static route\n\n";

int ctx_show_route(struct ctx_ns *ns, const struct ctx_show_name *names,
		   size_t n, struct buf *out)
{
	struct view v;
	int err = view_load(ns, &v, false);
	if (err)
		return err;
	struct nl_cache *routes;
	int rc = rtnl_route_alloc_cache(ctx_ns_sock(ns), AF_INET, 0, &routes);
	if (rc < 0) {
		view_free(&v);
		return ctx_nl_errno(rc);
	}
	struct buf lines[ROUTE_KINDS];
	for (int k = 0; k < ROUTE_KINDS; k++)
		buf_init(&lines[k]);
	char last_resort[INET_ADDRSTRLEN] = "";

	for (struct nl_object *o = nl_cache_get_first(routes); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST ||
		    rtnl_route_get_nnexthops(r) < 1)
			continue;
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
		if (rtnl_route_nh_get_flags(nh) & (RTNH_F_DEAD | RTNH_F_LINKDOWN))
			continue;
		const char *nameif = nameif_of(&v, names, n,
					       rtnl_route_nh_get_ifindex(nh));
		if (!nameif)
			continue;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		unsigned plen = dst ? nl_addr_get_prefixlen(dst) : 0;
		char net[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
		char gw[INET_ADDRSTRLEN];
		ipv4_str(addr4(dst), net);
		ipv4_str(mask_of(plen), mask);
		uint32_t gw_addr = addr4(rtnl_route_nh_get_gateway(nh));
		if (!gw_addr) {
			buf_printf(&lines[ROUTE_CONNECTED],
				   "C    %s %s is directly connected, %s\n",
				   net, mask, nameif);
			continue;
		}
		ipv4_str(gw_addr, gw);
		enum route_kind kind = plen ? ROUTE_STATIC : ROUTE_DEFAULT;
		if (kind == ROUTE_DEFAULT && !last_resort[0])
			strcpy(last_resort, gw);
		buf_printf(&lines[kind], "%-5s%s %s [%u/0] via %s, %s\n",
			   kind == ROUTE_DEFAULT ? "S*" : "S", net, mask,
			   rtnl_route_get_priority(r), gw, nameif);
	}
	buf_puts(out, route_legend);
	if (last_resort[0])
		buf_printf(out, "Gateway of last resort is %s to network "
			   "0.0.0.0\n\n", last_resort);
	else
		buf_puts(out, "Gateway of last resort is not set\n\n");
	for (int k = 0; k < ROUTE_KINDS; k++) {
		if (lines[k].len)
			buf_add(out, lines[k].data, lines[k].len);
		buf_free(&lines[k]);
	}
	nl_cache_free(routes);
	view_free(&v);
	return 0;
}

struct arp_walk {
	struct view *v;
	const struct ctx_show_name *names;
	size_t n;
	struct buf *out;
	long ticks_per_sec;
};

static int arp_entry(struct nl_msg *msg, void *arg)
{
	struct arp_walk *w = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	if (hdr->nlmsg_type != RTM_NEWNEIGH ||
	    nlmsg_parse(hdr, sizeof(struct ndmsg), tb, NDA_MAX, NULL) < 0)
		return 0;   /* not a neighbour: nothing to show */
	struct ndmsg *ndm = nlmsg_data(hdr);
	if (ndm->ndm_family != AF_INET || !tb[NDA_DST] || !tb[NDA_LLADDR] ||
	    nla_len(tb[NDA_DST]) != 4 || nla_len(tb[NDA_LLADDR]) != 6 ||
	    !(ndm->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
				NUD_PROBE | NUD_PERMANENT)))
		return 0;
	const char *nameif = nameif_of(w->v, w->names, w->n, ndm->ndm_ifindex);
	if (!nameif)
		return 0;
	uint32_t ip;
	memcpy(&ip, nla_data(tb[NDA_DST]), 4);
	char ipstr[INET_ADDRSTRLEN], mac[15], age[24] = "-";
	ipv4_str(ip, ipstr);
	ctx_show_mac(nla_data(tb[NDA_LLADDR]), mac);
	if (!(ndm->ndm_state & NUD_PERMANENT) && tb[NDA_CACHEINFO] &&
	    nla_len(tb[NDA_CACHEINFO]) >= (int)sizeof(struct nda_cacheinfo)) {
		const struct nda_cacheinfo *ci = nla_data(tb[NDA_CACHEINFO]);
		snprintf(age, sizeof age, "%lu",
			 (unsigned long)ci->ndm_updated /
			 (unsigned long)w->ticks_per_sec);
	}
	buf_printf(w->out, "\t%s %s %s %s\n", nameif, ipstr, mac, age);
	return 0;
}

int ctx_show_arp(struct ctx_ns *ns, const struct ctx_show_name *names,
		 size_t n, struct buf *out)
{
	struct view v;
	int err = view_load(ns, &v, false);
	if (err)
		return err;
	/* The kernel reports neighbour ages in USER_HZ clock ticks. */
	long hz = sysconf(_SC_CLK_TCK);
	struct arp_walk w = { &v, names, n, out, hz > 0 ? hz : 100 };
	err = ctx_nl_dump(ctx_ns_sock(ns), RTM_GETNEIGH, AF_INET, arp_entry,
			  &w);
	view_free(&v);
	return err;
}

static bool matches(const struct ctx_show_name *name, const char *only)
{
	return !only || !strcmp(name->hwname, only) ||
	       (has_nameif(name) && !strcmp(name->nameif, only));
}

static void show_one_interface(struct view *v, const struct ctx_show_name *nm,
			       struct rtnl_link *l, struct buf *out)
{
	const char *nameif = has_nameif(nm) ? nm->nameif : "";
	buf_printf(out, "Interface %s \"%s\", is %s, line protocol is %s\n",
		   nm->hwname, nameif,
		   link_up(l) ? (line_up(l) ? "up" : "down")
			      : "administratively down",
		   line_up(l) ? "up" : "down");
	char mac[15] = "0000.0000.0000";
	struct nl_addr *ll = rtnl_link_get_addr(l);
	if (ll && nl_addr_get_len(ll) == 6)
		ctx_show_mac(nl_addr_get_binary_addr(ll), mac);
	buf_printf(out, "\tMAC address %s, MTU %u\n", mac,
		   rtnl_link_get_mtu(l));
	struct in_addr a;
	unsigned plen;
	if (view_ipv4(v, rtnl_link_get_ifindex(l), &a, &plen)) {
		char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
		buf_printf(out, "\tIP address %s, subnet mask %s\n",
			   ipv4_str(a.s_addr, ip), ipv4_str(mask_of(plen), mask));
	} else {
		buf_puts(out, "\tIP address unassigned\n");
	}
	buf_printf(out, "\t  Traffic Statistics for \"%s\":\n", nameif);
	buf_printf(out, "\t%llu packets input, %llu bytes\n",
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS),
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES));
	buf_printf(out, "\t%llu packets output, %llu bytes\n",
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS),
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES));
	buf_printf(out, "\t%llu input errors, %llu output errors\n",
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS),
		   (unsigned long long)rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS));
	buf_printf(out, "\t%llu packets dropped\n",
		   (unsigned long long)(rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED) +
					rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED)));
}

int ctx_show_interface(struct ctx_ns *ns, const struct ctx_show_name *names,
		       size_t n, const char *only, struct buf *out)
{
	struct view v;
	int err = view_load(ns, &v, true);
	if (err)
		return err;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!matches(&names[i], only))
			continue;
		struct rtnl_link *l = view_link(&v, &names[i]);
		if (!l)
			continue;
		show_one_interface(&v, &names[i], l, out);
		rtnl_link_put(l);
		any = true;
	}
	view_free(&v);
	return any || !only ? 0 : -ENOENT;
}
