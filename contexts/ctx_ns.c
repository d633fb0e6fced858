/*
 * ctx_ns: context namespaces and moving unit links in and out of them.
 * See ctx_ns.h.  Address, MTU and MAC reconciliation is in ctx_link.c,
 * routes in ctx_route.c, gratuitous ARP in ctx_garp.c.
 */
#include "contexts/ctx_ns.h"

#include "contexts/ctx_nl.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ALIAS_TAG "mctx:"

struct ctx_unit {
	char nsname[NAME_MAX + 1];   /* "" when the caller's own namespace */
	int ns_fd;
	struct nl_sock *sk;          /* bound in the unit namespace */
	bool vlan_missing_logged;    /* 910007 is logged once per unit */
	struct ctx_ns *contexts;     /* open handles, for -EBUSY checks */
};

struct ctx_ns {
	struct ctx_unit *unit;
	struct ctx_ns *next;
	int ns_fd;                   /* IFLA_NET_NS_FD target when allocating */
	struct nl_sock *sk;          /* bound in the context namespace */
	/* Opened inside the namespace and kept, so a failover role change
	 * needs no setns(): the namespace's ip_forward, and a packet socket
	 * for gratuitous ARP (closing a packet socket waits for an RCU grace
	 * period, milliseconds on a busy box: not on the takeover path). */
	int fwd_fd;
	int pkt_fd;
	char name[NAME_MAX + 1];
};

/* ---- unit ---- */

int ctx_unit_open(const char *unit_nsname, struct ctx_unit **out)
{
	struct ctx_unit *unit = calloc(1, sizeof *unit);
	if (!unit)
		return -ENOMEM;
	unit->ns_fd = -1;
	int err = 0;
	struct netns_saved saved = { -1 };
	if (unit_nsname) {
		if (strlen(unit_nsname) >= sizeof unit->nsname) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		strcpy(unit->nsname, unit_nsname);
		unit->ns_fd = netns_open(unit_nsname);
		if (unit->ns_fd < 0) {
			err = unit->ns_fd;
			goto fail;
		}
		err = netns_enter(unit_nsname, &saved);
		if (err)
			goto fail;
	} else {
		unit->ns_fd = open("/proc/thread-self/ns/net",
				   O_RDONLY | O_CLOEXEC);
		if (unit->ns_fd < 0) {
			err = -errno;
			goto fail;
		}
	}
	unit->sk = ctx_nl_open();
	netns_leave(&saved);
	if (!unit->sk) {
		err = -ENOBUFS;
		goto fail;
	}
	*out = unit;
	return 0;
fail:
	if (unit->ns_fd >= 0)
		close(unit->ns_fd);
	free(unit);
	return err;
}

int ctx_unit_close(struct ctx_unit *unit)
{
	if (!unit)
		return 0;
	if (unit->contexts)
		return -EBUSY;
	ctx_nl_close(unit->sk);
	close(unit->ns_fd);
	free(unit);
	return 0;
}

/* ---- context namespaces ---- */

/* /proc/sys/net belongs to the namespace of the thread that opens the
 * file (later writes through the descriptor stay there), so the caller is
 * inside the context's namespace. */
static int open_forwarding(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ctx_ns_set_forwarding(struct ctx_ns *ns, bool on)
{
	if (pwrite(ns->fwd_fd, on ? "1\n" : "0\n", 2, 0) != 2)
		return -errno;
	return 0;
}

int ctx_ns_forwarding(struct ctx_ns *ns)
{
	char c;
	if (pread(ns->fwd_fd, &c, 1, 0) != 1)
		return -errno;
	return c == '1';
}

int ctx_ns_packet_fd(struct ctx_ns *ns) { return ns->pkt_fd; }

static int set_link_up(struct nl_sock *sk, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!msg)
		return -ENOMEM;
	int err = nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0
		? -ENOMEM : ctx_nl_request(sk, msg);
	nlmsg_free(msg);
	return err;
}

int ctx_ns_open(struct ctx_unit *unit, const char *nsname, bool create,
		struct ctx_ns **out)
{
	if (!unit || !nsname || !*nsname || strlen(nsname) > NAME_MAX)
		return -EINVAL;
	for (struct ctx_ns *o = unit->contexts; o; o = o->next)
		if (strcmp(o->name, nsname) == 0)
			return -EALREADY;   /* one handle per context */

	bool created = false;
	if (!netns_exists(nsname)) {
		if (!create)
			return -ENOENT;
		int err = netns_create(nsname);
		if (err) {
			mlog(MSG_910008, "cannot create namespace %s: %s",
			     nsname, strerror(-err));
			return err;
		}
		created = true;
	}

	struct ctx_ns *ns = calloc(1, sizeof *ns);
	if (!ns)
		return -ENOMEM;
	strcpy(ns->name, nsname);
	ns->unit = unit;
	ns->fwd_fd = ns->pkt_fd = -1;
	ns->ns_fd = netns_open(nsname);
	struct netns_saved saved;
	int err = ns->ns_fd < 0 ? ns->ns_fd : netns_enter(nsname, &saved);
	if (err)
		goto fail;
	ns->sk = ctx_nl_open();
	ns->fwd_fd = open_forwarding();
	/* Protocol 0: it only sends, nothing is queued to it. */
	ns->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	int pkt_err = ns->pkt_fd < 0 ? -errno : 0;
	netns_leave(&saved);
	if (!ns->sk) {
		err = -ENOBUFS;
		goto fail;
	}
	err = ns->fwd_fd < 0 ? ns->fwd_fd : pkt_err;
	/* A new namespace may inherit forwarding from the host's: it stays
	 * off until the context's policy is in place (ctx_runtime turns it
	 * on for an active context).  An adopted one keeps what the previous
	 * daemon left until then. */
	if (!err && created)
		err = ctx_ns_set_forwarding(ns, false);
	if (err)
		goto fail;
	if (created) {
		err = set_link_up(ns->sk, 1);   /* lo is always ifindex 1 */
		if (err)
			goto fail;
		mlog(MSG_910001, "context namespace %s created", nsname);
	} else {
		mlog(MSG_910002, "context namespace %s adopted", nsname);
	}
	ns->next = unit->contexts;
	unit->contexts = ns;
	*out = ns;
	return 0;
fail:
	mlog(MSG_910008, "cannot open namespace %s: %s", nsname,
	     strerror(-err));
	ctx_nl_close(ns->sk);
	if (ns->ns_fd >= 0)
		close(ns->ns_fd);
	if (ns->fwd_fd >= 0)
		close(ns->fwd_fd);
	if (ns->pkt_fd >= 0)
		close(ns->pkt_fd);
	free(ns);
	if (created)
		netns_delete(nsname);
	return err;
}

void ctx_ns_close(struct ctx_ns *ns)
{
	if (!ns)
		return;
	for (struct ctx_ns **pp = &ns->unit->contexts; *pp; pp = &(*pp)->next)
		if (*pp == ns) {
			*pp = ns->next;
			break;
		}
	ctx_nl_close(ns->sk);
	close(ns->ns_fd);
	close(ns->fwd_fd);
	close(ns->pkt_fd);
	free(ns);
}

const char *ctx_ns_name(const struct ctx_ns *ns) { return ns->name; }
struct nl_sock *ctx_ns_sock(struct ctx_ns *ns) { return ns->sk; }

int ctx_ns_list(const char *prefix,
		int (*fn)(const char *nsname, void *arg), void *arg)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t plen = strlen(prefix);
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen))
			continue;
		rc = fn(e->d_name, arg);
	}
	closedir(d);
	return rc;
}

/* ---- link aliases ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses "mctx:<unit link>:<12 lower-case hex>:<mapped>"; -EINVAL for
 * anything else (an operator's alias, a damaged one). */
static int alias_parse(const char *alias, struct ctx_link_info *info)
{
	if (!alias || strncmp(alias, ALIAS_TAG, strlen(ALIAS_TAG)))
		return -EINVAL;
	memset(info->hw_mac, 0, sizeof info->hw_mac);
	const char *p = alias + strlen(ALIAS_TAG);
	const char *colon = strchr(p, ':');
	if (!colon || colon == p || (size_t)(colon - p) >= sizeof info->unit_link)
		return -EINVAL;
	memcpy(info->unit_link, p, (size_t)(colon - p));
	info->unit_link[colon - p] = '\0';
	p = colon + 1;
	for (int i = 0; i < 12; i++) {
		int v = hex_value(p[i]);
		if (v < 0)
			return -EINVAL;
		info->hw_mac[i / 2] = (uint8_t)(info->hw_mac[i / 2] << 4 | v);
	}
	p += 12;
	if (*p != ':' || !p[1] || strlen(p + 1) > CTX_MAPPED_NAME_MAX)
		return -EINVAL;
	strcpy(info->mapped, p + 1);
	return 0;
}

static void alias_format(char *out, size_t len, const char *unit_link,
			 const uint8_t mac[6], const char *mapped)
{
	snprintf(out, len, ALIAS_TAG "%s:%02x%02x%02x%02x%02x%02x:%s",
		 unit_link, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 mapped);
}

/* Fills INFO from a link object; -EINVAL when mctx did not allocate it. */
static int link_info(struct rtnl_link *link, struct ctx_link_info *info)
{
	memset(info, 0, sizeof *info);
	if (alias_parse(rtnl_link_get_ifalias(link), info))
		return -EINVAL;
	snprintf(info->ifname, sizeof info->ifname, "%s",
		 rtnl_link_get_name(link));
	info->ifindex = rtnl_link_get_ifindex(link);
	return 0;
}

/* The link named NAME as the kernel has it now, or -ENODEV. */
static int link_get(struct nl_sock *sk, const char *name,
		    struct rtnl_link **out)
{
	int rc = rtnl_link_get_kernel(sk, 0, name, out);
	if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
		return -ENODEV;
	return ctx_nl_errno(rc);
}

int ctx_link_walk(struct ctx_ns *ns,
		  int (*fn)(const struct ctx_link_info *info, void *arg),
		  void *arg)
{
	struct nl_cache *cache;
	int rc = rtnl_link_alloc_cache(ns->sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return ctx_nl_errno(rc);
	rc = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !rc;
	     o = nl_cache_get_next(o)) {
		struct ctx_link_info info;
		if (link_info((struct rtnl_link *)o, &info) == 0)
			rc = fn(&info, arg);
	}
	nl_cache_free(cache);
	return rc;
}

struct find_unit_link {
	const char *unit_link;
	struct ctx_link_info found;
};

static int match_unit_link(const struct ctx_link_info *info, void *arg)
{
	struct find_unit_link *f = arg;
	if (strcmp(info->unit_link, f->unit_link))
		return 0;
	f->found = *info;
	return 1;
}

/* 1 when UNIT_LINK is allocated to NS, 0 if not, or -errno. */
static int allocated_in(struct ctx_ns *ns, const char *unit_link,
			struct ctx_link_info *found)
{
	struct find_unit_link f = { .unit_link = unit_link };
	int rc = ctx_link_walk(ns, match_unit_link, &f);
	if (rc == 1 && found)
		*found = f.found;
	return rc;
}

/* ---- moving links ---- */

/* One RTM_SETLINK on SK (the namespace the link is in now): move link
 * IFINDEX to namespace TARGET_FD, name it NEW_NAME, set its alias (""
 * clears it) and, when MAC is given, its address.  The kernel moves first
 * and renames after, so the caller checks name clashes beforehand. */
static int link_move(struct nl_sock *sk, int ifindex, int target_fd,
		     const char *new_name, const char *alias,
		     const uint8_t *mac)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!msg)
		return -ENOMEM;
	int err = -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)target_fd) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, new_name) < 0 ||
	    nla_put_string(msg, IFLA_IFALIAS, alias) < 0 ||
	    (mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0))
		goto out;
	err = ctx_nl_request(sk, msg);
out:
	nlmsg_free(msg);
	return err;
}

static int log_once_vlan_missing(struct ctx_unit *unit, const char *name)
{
	if (!unit->vlan_missing_logged) {
		unit->vlan_missing_logged = true;
		mlog(MSG_910007, "cannot create VLAN subinterface %s: "
		     "kernel has no 802.1Q", name);
	}
	return -EOPNOTSUPP;
}

/* Creates UNIT_LINK as 802.1Q VLAN VLAN_ID on its parent (the name up to
 * the last '.') in the unit namespace. */
static int vlan_create(struct ctx_unit *unit, const char *unit_link,
		       uint16_t vlan_id)
{
	char parent_name[16];
	const char *dot = strrchr(unit_link, '.');
	if (!dot || dot == unit_link || vlan_id == 0 || vlan_id > 4094)
		return -ENODEV;
	snprintf(parent_name, sizeof parent_name, "%.*s",
		 (int)(dot - unit_link), unit_link);
	struct rtnl_link *parent;
	int err = link_get(unit->sk, parent_name, &parent);
	if (err)
		return err;
	int parent_index = rtnl_link_get_ifindex(parent);
	rtnl_link_put(parent);

	struct rtnl_link *vlan = rtnl_link_vlan_alloc();
	if (!vlan)
		return -ENOMEM;
	rtnl_link_set_name(vlan, unit_link);
	rtnl_link_set_link(vlan, parent_index);
	rtnl_link_vlan_set_id(vlan, vlan_id);
	struct nl_msg *msg;
	err = rtnl_link_build_add_request(vlan, NLM_F_CREATE | NLM_F_EXCL,
					  &msg);
	rtnl_link_put(vlan);
	if (err < 0)
		return ctx_nl_errno(err);
	err = ctx_nl_request(unit->sk, msg);
	nlmsg_free(msg);
	if (err == -EOPNOTSUPP)
		return log_once_vlan_missing(unit, unit_link);
	if (err)
		mlog(MSG_910006, "cannot create VLAN %u on %s: %s", vlan_id,
		     parent_name, strerror(-err));
	return err;
}

static bool unit_name_valid(const char *name)
{
	return name && *name && strlen(name) < 16 && !strchr(name, ':');
}

int ctx_link_allocate(struct ctx_ns *ns, const char *unit_link,
		      const char *mapped, uint16_t vlan_id)
{
	char ifname[16];
	int err = ctx_link_linux_name(mapped, ifname);
	if (err)
		return err;
	if (!unit_name_valid(unit_link))
		return -EINVAL;

	/* Already in the context under that name: a replay, or a clash. */
	struct rtnl_link *link;
	err = link_get(ns->sk, ifname, &link);
	if (err == 0) {
		struct ctx_link_info info;
		bool same = link_info(link, &info) == 0 &&
			    strcmp(info.unit_link, unit_link) == 0 &&
			    strcmp(info.mapped, mapped) == 0;
		rtnl_link_put(link);
		return same ? 0 : -EEXIST;
	}
	if (err != -ENODEV)
		return err;
	err = allocated_in(ns, unit_link, NULL);
	if (err)
		return err < 0 ? err : -EBUSY;

	err = link_get(ns->unit->sk, unit_link, &link);
	if (err == -ENODEV) {
		for (struct ctx_ns *o = ns->unit->contexts; o; o = o->next)
			if (o != ns && allocated_in(o, unit_link, NULL) == 1)
				return -EBUSY;
		if (!vlan_id)
			return -ENODEV;
		err = vlan_create(ns->unit, unit_link, vlan_id);
		if (err)
			return err;
		err = link_get(ns->unit->sk, unit_link, &link);
	}
	if (err)
		return err;

	uint8_t mac[6] = { 0 };
	struct nl_addr *lladdr = rtnl_link_get_addr(link);
	if (lladdr && nl_addr_get_len(lladdr) == 6)
		memcpy(mac, nl_addr_get_binary_addr(lladdr), 6);
	int ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);

	char alias[sizeof ALIAS_TAG + 16 + 13 + CTX_MAPPED_NAME_MAX + 1];
	alias_format(alias, sizeof alias, unit_link, mac, mapped);
	err = link_move(ns->unit->sk, ifindex, ns->ns_fd, ifname, alias, NULL);
	if (err) {
		mlog(MSG_910006, "cannot move %s into %s as %s: %s", unit_link,
		     ns->name, mapped, strerror(-err));
		/* Moved but not renamed: bring it back as it was. */
		if (link_get(ns->sk, unit_link, &link) == 0) {
			link_move(ns->sk, rtnl_link_get_ifindex(link),
				  ns->unit->ns_fd, unit_link, "", NULL);
			rtnl_link_put(link);
		}
		return err;
	}
	mlog(MSG_910004, "%s allocated to context %s as %s (%s)", unit_link,
	     ns->name, mapped, ifname);
	return 0;
}

/* Returns an allocated link to the unit. */
static int release_link(struct ctx_ns *ns, const struct ctx_link_info *info)
{
	struct rtnl_link *clash;
	if (link_get(ns->unit->sk, info->unit_link, &clash) == 0) {
		rtnl_link_put(clash);
		mlog(MSG_910006, "cannot return %s from %s: the unit has a "
		     "link of that name", info->unit_link, ns->name);
		return -EEXIST;
	}
	static const uint8_t no_mac[6];
	bool had_mac = memcmp(info->hw_mac, no_mac, 6) != 0;
	int err = link_move(ns->sk, info->ifindex, ns->unit->ns_fd,
			    info->unit_link, "", had_mac ? info->hw_mac : NULL);
	if (err) {
		mlog(MSG_910006, "cannot return %s from %s: %s",
		     info->unit_link, ns->name, strerror(-err));
		return err;
	}
	mlog(MSG_910005, "%s (%s) returned from context %s", info->unit_link,
	     info->mapped, ns->name);
	return 0;
}

int ctx_link_reclaim(struct ctx_ns *ns, const char *unit_link)
{
	for (struct ctx_ns *o = ns->unit->contexts; o; o = o->next) {
		struct ctx_link_info info;
		int rc = allocated_in(o, unit_link, &info);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return release_link(o, &info);
	}
	return -ENOENT;
}

int ctx_link_lookup(struct ctx_ns *ns, const char *mapped,
		    struct ctx_link_info *info)
{
	char ifname[16];
	int err = ctx_link_linux_name(mapped, ifname);
	if (err)
		return err;
	struct rtnl_link *link;
	err = link_get(ns->sk, ifname, &link);
	if (err)
		return err == -ENODEV ? -ENOENT : err;
	err = link_info(link, info);
	rtnl_link_put(link);
	if (err || strcmp(info->mapped, mapped))
		return -ENOENT;
	return 0;
}

int ctx_link_release(struct ctx_ns *ns, const char *mapped)
{
	struct ctx_link_info info;
	int err = ctx_link_lookup(ns, mapped, &info);
	return err ? err : release_link(ns, &info);
}

struct collected_links {
	struct ctx_link_info *items;
	size_t n, cap;
};

static int collect_link(const struct ctx_link_info *info, void *arg)
{
	struct collected_links *c = arg;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct ctx_link_info *items =
			realloc(c->items, cap * sizeof *items);
		if (!items)
			return -ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	c->items[c->n++] = *info;
	return 0;
}

int ctx_ns_remove(struct ctx_ns *ns)
{
	struct collected_links links = { 0 };
	int first_err = ctx_link_walk(ns, collect_link, &links);
	for (size_t i = 0; i < links.n; i++) {
		int err = release_link(ns, &links.items[i]);
		if (err && !first_err)
			first_err = err;
	}
	free(links.items);

	char name[NAME_MAX + 1];
	strcpy(name, ns->name);
	ctx_ns_close(ns);
	int err = netns_delete(name);
	if (err) {
		mlog(MSG_910008, "cannot delete namespace %s: %s", name,
		     strerror(-err));
		if (!first_err)
			first_err = err;
	} else {
		mlog(MSG_910003, "context namespace %s removed", name);
	}
	return first_err;
}
