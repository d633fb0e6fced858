/*
 * ctx_link: names of context links, reconciling one link with its desired
 * state (admin state, MTU, MAC, IPv4 address), and `mac-address auto`.
 * See ctx_ns.h.
 */
#include "contexts/ctx_ns.h"

#include "contexts/ctx_nl.h"
#include "system/sys_log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>

/* ---- names ---- */

static bool linux_char_ok(char c)
{
	return c != '/' && c != ':' && !isspace((unsigned char)c);
}

static bool linux_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 15 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!linux_char_ok(name[i]))
			return false;
	return true;
}

/* FNV-1a: short, stable and well spread for names this long. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int ctx_link_linux_name(const char *mapped, char out[16])
{
	if (!mapped || !*mapped || strlen(mapped) > CTX_MAPPED_NAME_MAX)
		return -EINVAL;
	if (linux_name_ok(mapped)) {
		strcpy(out, mapped);
		return 0;
	}
	char head[7];
	size_t i;
	for (i = 0; i < 6 && mapped[i]; i++)
		head[i] = linux_char_ok(mapped[i]) ? mapped[i] : '_';
	head[i] = '\0';
	snprintf(out, 16, "%s-%08x", head, name_hash(mapped));
	return 0;
}

/* ---- mac-address auto (format documented in ctx_ns.h) ---- */

int ctx_mac_auto(uint16_t prefix, unsigned ctx_index, unsigned if_index,
		 bool standby, uint8_t mac[6])
{
	if (ctx_index > 0x7fff || if_index > 0xff)
		return -EINVAL;
	uint32_t counter = (uint32_t)ctx_index << 9 | if_index << 1 |
			   (standby ? 1u : 0u);
	mac[0] = 0xa2;
	mac[1] = (uint8_t)(prefix & 0xff);   /* swapped, as ASA prints it */
	mac[2] = (uint8_t)(prefix >> 8);
	mac[3] = (uint8_t)(counter >> 16);
	mac[4] = (uint8_t)(counter >> 8);
	mac[5] = (uint8_t)counter;
	return 0;
}

/* ---- link state ---- */

struct link_now {
	bool up;
	uint32_t mtu;
	uint8_t mac[6];
};

static int link_read(struct nl_sock *sk, int ifindex, struct link_now *now)
{
	struct rtnl_link *link;
	int rc = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
	if (rc < 0)
		return rc == -NLE_OBJ_NOTFOUND ? -ENOENT : ctx_nl_errno(rc);
	now->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	now->mtu = rtnl_link_get_mtu(link);
	memset(now->mac, 0, 6);
	struct nl_addr *ll = rtnl_link_get_addr(link);
	if (ll && nl_addr_get_len(ll) == 6)
		memcpy(now->mac, nl_addr_get_binary_addr(ll), 6);
	rtnl_link_put(link);
	return 0;
}

/* One RTM_SETLINK: the admin flag when SET_UP >= 0, MTU when non-zero,
 * MAC when given. */
static int link_set(struct nl_sock *sk, int ifindex, int set_up,
		    uint32_t mtu, const uint8_t *mac)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	if (set_up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = set_up ? IFF_UP : 0;
	}
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!msg)
		return -ENOMEM;
	int err = -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0) ||
	    (mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0))
		goto out;
	err = ctx_nl_request(sk, msg);
out:
	nlmsg_free(msg);
	return err;
}

static int apply_link_layer(struct nl_sock *sk, int ifindex,
			    const struct ctx_if_desired *d,
			    const uint8_t *want_mac)
{
	struct link_now now;
	int err = link_read(sk, ifindex, &now);
	if (err)
		return err;
	uint32_t mtu = d->mtu && d->mtu != now.mtu ? d->mtu : 0;
	const uint8_t *mac = want_mac && memcmp(now.mac, want_mac, 6)
			     ? want_mac : NULL;
	if (mtu || mac) {
		err = link_set(sk, ifindex, -1, mtu, mac);
		/* Some drivers refuse a new MAC while up: down, set, and the
		 * admin state below brings it back. */
		if (err == -EBUSY && now.up) {
			err = link_set(sk, ifindex, 0, 0, NULL);
			now.up = false;
			if (!err)
				err = link_set(sk, ifindex, -1, mtu, mac);
		}
		if (err)
			return err;
	}
	if (now.up != d->admin_up)
		err = link_set(sk, ifindex, d->admin_up, 0, NULL);
	return err;
}

static bool addr_is(struct rtnl_addr *a, const struct ctx_if_desired *d)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	return d->has_ipv4 && local && nl_addr_get_len(local) == 4 &&
	       memcmp(nl_addr_get_binary_addr(local), &d->addr, 4) == 0 &&
	       rtnl_addr_get_prefixlen(a) == d->prefixlen;
}

static int addr_add(struct nl_sock *sk, int ifindex,
		    const struct ctx_if_desired *d)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &d->addr, 4);
	uint32_t mask = d->prefixlen ? htonl(~0u << (32 - d->prefixlen)) : 0;
	struct in_addr bcast = { d->addr.s_addr | ~mask };
	struct nl_addr *brd = nl_addr_build(AF_INET, &bcast, 4);
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;
	if (!a || !local || !brd)
		goto out;
	nl_addr_set_prefixlen(local, d->prefixlen);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET);
	if (rtnl_addr_set_local(a, local) < 0)
		goto out;
	if (d->prefixlen < 31 && rtnl_addr_set_broadcast(a, brd) < 0)
		goto out;
	err = rtnl_addr_build_add_request(a, NLM_F_CREATE | NLM_F_EXCL, &msg);
	err = err < 0 ? ctx_nl_errno(err) : ctx_nl_request(sk, msg);
out:
	nlmsg_free(msg);
	nl_addr_put(brd);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return err;
}

static int apply_ipv4(struct nl_sock *sk, int ifindex,
		      const struct ctx_if_desired *d)
{
	if (d->has_ipv4 && d->prefixlen > 32)
		return -EINVAL;
	struct nl_cache *cache;
	int rc = rtnl_addr_alloc_cache(sk, &cache);
	if (rc < 0)
		return ctx_nl_errno(rc);
	bool present = false;
	int err = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !err;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET)
			continue;
		if (addr_is(a, d)) {
			present = true;
			continue;
		}
		struct nl_msg *msg;
		rc = rtnl_addr_build_delete_request(a, 0, &msg);
		if (rc < 0) {
			err = ctx_nl_errno(rc);
			break;
		}
		err = ctx_nl_request(sk, msg);
		/* Removing a primary takes its secondaries along. */
		if (err == -EADDRNOTAVAIL)
			err = 0;
		nlmsg_free(msg);
	}
	nl_cache_free(cache);
	if (!err && d->has_ipv4 && !present)
		err = addr_add(sk, ifindex, d);
	return err;
}

int ctx_link_apply(struct ctx_ns *ns, const struct ctx_if_desired *d)
{
	struct ctx_link_info info;
	int err = ctx_link_lookup(ns, d->mapped, &info);
	if (err)
		return err;
	/* No mac-address: the burned-in one, if the link had one at all. */
	static const uint8_t none[6];
	const uint8_t *want_mac = d->has_mac ? d->mac
				  : memcmp(info.hw_mac, none, 6) ? info.hw_mac
				  : NULL;
	struct nl_sock *sk = ctx_ns_sock(ns);
	err = apply_link_layer(sk, info.ifindex, d, want_mac);
	if (!err)
		err = apply_ipv4(sk, info.ifindex, d);
	if (err)
		mlog(MSG_910006, "context %s interface %s: %s", ctx_ns_name(ns),
		     d->mapped, strerror(-err));
	return err;
}
