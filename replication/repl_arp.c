/*
 * repl_arp: neighbour table access in one context namespace, and the
 * record codec.
 *
 *   record    = version:u8  op:u8  length:u16be  attribute*
 *   attribute = type:u8  size:u8  value[size]
 * Same rules as the conntrack codec: exact sizes (the interface name is
 * 1..15 bytes without NUL), no duplicates, unknown types skipped,
 * mandatory family, interface and address, and a link-layer address for
 * SET.
 */
#include "replication/repl_arp.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "system/sys_buf.h"
#include "system/sys_log.h"
#include "system/sys_netns.h"

/* ---- codec ---------------------------------------------------------------- */

#define REC_HDR_LEN 4

enum arp_attr {
	ARP_W_FAMILY = 1,  /* u8 */
	ARP_W_IFNAME,      /* 1..15 bytes */
	ARP_W_ADDR4,       /* 4 */
	ARP_W_ADDR6,       /* 16 */
	ARP_W_LLADDR,      /* 6 */
	ARP_W_STATE,       /* u16 */
	ARP_W_FLAGS,       /* u8 */
	ARP_W_MAX
};

static const struct { uint8_t min, max; } arp_attr_size[ARP_W_MAX] = {
	[ARP_W_FAMILY] = { 1, 1 },
	[ARP_W_IFNAME] = { 1, REPL_ARP_IFNAME_MAX - 1 },
	[ARP_W_ADDR4] = { 4, 4 },
	[ARP_W_ADDR6] = { 16, 16 },
	[ARP_W_LLADDR] = { 6, 6 },
	[ARP_W_STATE] = { 2, 2 },
	[ARP_W_FLAGS] = { 1, 1 },
};

static uint8_t *put_attr(uint8_t *p, enum arp_attr type, const void *v,
			 size_t len)
{
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)len;
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

int repl_arp_encode(const struct repl_arp_entry *e, struct buf *out)
{
	size_t ifl = strnlen(e->ifname, REPL_ARP_IFNAME_MAX);
	if (e->op < REPL_ARP_SET || e->op >= REPL_ARP_OP_MAX ||
	    (e->family != AF_INET && e->family != AF_INET6) ||
	    ifl == 0 || ifl >= REPL_ARP_IFNAME_MAX ||
	    (e->op == REPL_ARP_SET && !e->has_lladdr))
		return -EINVAL;
	uint8_t rec[REPL_ARP_RECORD_MAX];
	uint8_t *p = rec + REC_HDR_LEN;
	uint8_t state[2] = { (uint8_t)(e->state >> 8), (uint8_t)e->state };
	p = put_attr(p, ARP_W_FAMILY, &e->family, 1);
	p = put_attr(p, ARP_W_IFNAME, e->ifname, ifl);
	if (e->family == AF_INET)
		p = put_attr(p, ARP_W_ADDR4, e->addr, 4);
	else
		p = put_attr(p, ARP_W_ADDR6, e->addr, 16);
	if (e->has_lladdr)
		p = put_attr(p, ARP_W_LLADDR, e->lladdr, 6);
	p = put_attr(p, ARP_W_STATE, state, 2);
	p = put_attr(p, ARP_W_FLAGS, &e->flags, 1);
	size_t len = (size_t)(p - rec);
	rec[0] = REPL_ARP_VERSION;
	rec[1] = e->op;
	rec[2] = (uint8_t)(len >> 8);
	rec[3] = (uint8_t)len;
	buf_add(out, rec, len);
	return 0;
}

int repl_arp_decode(const void *bytes, size_t len, struct repl_arp_entry *e)
{
	const uint8_t *rec = bytes;
	memset(e, 0, sizeof *e);
	if (!rec || len < REC_HDR_LEN)
		return -EMSGSIZE;
	if (rec[0] != REPL_ARP_VERSION)
		return -EPROTO;
	size_t rlen = (size_t)rec[2] << 8 | rec[3];
	if (rlen < REC_HDR_LEN)
		return -EBADMSG;
	if (rlen > len)
		return -EMSGSIZE;
	if (rec[1] < REPL_ARP_SET || rec[1] >= REPL_ARP_OP_MAX)
		return -EBADMSG;
	struct repl_arp_entry d = { .op = rec[1] };
	uint32_t seen = 0;
	size_t off = REC_HDR_LEN;
	while (off < rlen) {
		if (rlen - off < 2)
			return -EBADMSG;
		uint8_t type = rec[off], size = rec[off + 1];
		const uint8_t *v = rec + off + 2;
		off += 2;
		if (type == 0 || size > rlen - off)
			return -EBADMSG;
		off += size;
		if (type >= ARP_W_MAX)
			continue;
		if (size < arp_attr_size[type].min || size > arp_attr_size[type].max ||
		    (seen & 1u << type))
			return -EBADMSG;
		seen |= 1u << type;
		switch ((enum arp_attr)type) {
		case ARP_W_FAMILY: d.family = v[0]; break;
		case ARP_W_IFNAME:
			if (memchr(v, 0, size))
				return -EBADMSG;
			memcpy(d.ifname, v, size);
			break;
		case ARP_W_ADDR4: memcpy(d.addr, v, 4); break;
		case ARP_W_ADDR6: memcpy(d.addr, v, 16); break;
		case ARP_W_LLADDR:
			memcpy(d.lladdr, v, 6);
			d.has_lladdr = true;
			break;
		case ARP_W_STATE: d.state = (uint16_t)(v[0] << 8 | v[1]); break;
		case ARP_W_FLAGS: d.flags = v[0]; break;
		case ARP_W_MAX: return -EBADMSG;
		}
	}
	uint32_t addr_attr = d.family == AF_INET ? 1u << ARP_W_ADDR4 :
			     d.family == AF_INET6 ? 1u << ARP_W_ADDR6 : 0;
	uint32_t wrong_addr = (1u << ARP_W_ADDR4 | 1u << ARP_W_ADDR6) & ~addr_attr;
	if (!addr_attr || !(seen & addr_attr) || (seen & wrong_addr) ||
	    !(seen & 1u << ARP_W_IFNAME) ||
	    (d.op == REPL_ARP_SET && !d.has_lladdr))
		return -EBADMSG;
	*e = d;
	return (int)rlen;
}

/* ---- kernel access ---------------------------------------------------------- */

#define EVENT_RCVBUF (4 * 1024 * 1024)
#define REPLICABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE)

struct repl_arp {
	char netns[64];
	struct nl_sock *cmd;       /* dump, get, install */
	struct nl_sock *events;
	struct nl_cache *links;    /* ifindex <-> name in this namespace */
	uint32_t cmd_port;
	/* The callback of the read in progress (libnl calls us back). */
	repl_arp_entry_fn cb_fn;
	void *cb_arg;
	int cb_count;
	struct repl_arp_stats stats;
};

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0: return 0;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_EXIST: return -EEXIST;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BUSY: return -EBUSY;
	default: return -EIO;
	}
}

/* Creates and connects a NETLINK_ROUTE socket inside the namespace. */
static int open_sock(const struct repl_arp *arp, struct nl_sock **out)
{
	struct netns_saved saved = { .orig_fd = -1 };
	if (arp->netns[0]) {
		int err = netns_enter(arp->netns, &saved);
		if (err)
			return err;
	}
	int err = 0;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		err = -ENOMEM;
	else if (nl_connect(sk, NETLINK_ROUTE) < 0)
		err = -ECONNREFUSED;
	netns_leave(&saved);
	if (err) {
		nl_socket_free(sk);
		return err;
	}
	*out = sk;
	return 0;
}

int repl_arp_create(const char *netns, struct repl_arp **out)
{
	*out = NULL;
	if (netns && strlen(netns) >= sizeof ((struct repl_arp *)0)->netns)
		return -ENAMETOOLONG;
	struct repl_arp *arp = calloc(1, sizeof *arp);
	if (!arp)
		return -ENOMEM;
	if (netns)
		snprintf(arp->netns, sizeof arp->netns, "%s", netns);
	int err = open_sock(arp, &arp->cmd);
	if (!err && rtnl_link_alloc_cache(arp->cmd, AF_UNSPEC, &arp->links) < 0)
		err = -EIO;
	if (err) {
		mlog(MSG_930107, "neighbour table access to namespace %s failed: %s",
		     netns ? netns : "(own)", strerror(-err));
		repl_arp_destroy(arp);
		return err;
	}
	arp->cmd_port = nl_socket_get_local_port(arp->cmd);
	*out = arp;
	return 0;
}

void repl_arp_destroy(struct repl_arp *arp)
{
	if (!arp)
		return;
	if (arp->links)
		nl_cache_free(arp->links);
	nl_socket_free(arp->cmd);
	nl_socket_free(arp->events);
	free(arp);
}

const struct repl_arp_stats *repl_arp_get_stats(const struct repl_arp *arp)
{
	return &arp->stats;
}

/* Fills E from a kernel neighbour.  Returns false if it does not travel. */
static bool entry_from_neigh(struct repl_arp *arp, struct rtnl_neigh *n,
			     bool deleted, struct repl_arp_entry *e)
{
	memset(e, 0, sizeof *e);
	int family = rtnl_neigh_get_family(n);
	if (family != AF_INET && family != AF_INET6)
		return false;
	e->family = (uint8_t)family;
	int state = rtnl_neigh_get_state(n);
	if (state < 0)
		state = 0;
	e->state = (uint16_t)state;
	e->flags = (uint8_t)rtnl_neigh_get_flags(n);
	if (state & (NUD_PERMANENT | NUD_NOARP))
		return false;
	if (deleted || (state & NUD_FAILED))
		e->op = REPL_ARP_DEL;
	else if (state & REPLICABLE)
		e->op = REPL_ARP_SET;
	else
		return false;     /* INCOMPLETE: nothing learned yet */
	struct nl_addr *dst = rtnl_neigh_get_dst(n);
	size_t alen = family == AF_INET ? 4 : 16;
	if (!dst || nl_addr_get_len(dst) != alen)
		return false;
	memcpy(e->addr, nl_addr_get_binary_addr(dst), alen);
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
	if (ll && nl_addr_get_len(ll) == 6) {
		memcpy(e->lladdr, nl_addr_get_binary_addr(ll), 6);
		e->has_lladdr = true;
	}
	if (e->op == REPL_ARP_SET && !e->has_lladdr)
		return false;
	int ifindex = rtnl_neigh_get_ifindex(n);
	if (!rtnl_link_i2name(arp->links, ifindex, e->ifname, sizeof e->ifname)) {
		nl_cache_refill(arp->cmd, arp->links);
		if (!rtnl_link_i2name(arp->links, ifindex, e->ifname, sizeof e->ifname))
			return false;
	}
	return strcmp(e->ifname, "lo") != 0;
}

struct dump_ctx {
	struct repl_arp *arp;
	repl_arp_entry_fn fn;
	void *arg;
	int count, stop;
};

static void dump_one(struct nl_object *obj, void *arg)
{
	struct dump_ctx *c = arg;
	struct repl_arp_entry e;
	if (c->stop)
		return;
	if (!entry_from_neigh(c->arp, (struct rtnl_neigh *)obj, false, &e) ||
	    e.op != REPL_ARP_SET) {
		c->arp->stats.skipped++;
		return;
	}
	c->arp->stats.dumped++;
	c->count++;
	c->stop = c->fn(c->arg, &e);
}

int repl_arp_dump(struct repl_arp *arp, repl_arp_entry_fn fn, void *arg)
{
	struct nl_cache *cache;
	nl_cache_refill(arp->cmd, arp->links);
	int rc = rtnl_neigh_alloc_cache(arp->cmd, &cache);
	if (rc < 0)
		return nl_to_errno(rc);
	struct dump_ctx c = { .arp = arp, .fn = fn, .arg = arg };
	nl_cache_foreach(cache, dump_one, &c);
	nl_cache_free(cache);
	return c.stop ? c.stop : c.count;
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct repl_arp *arp = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (h->nlmsg_type != RTM_NEWNEIGH && h->nlmsg_type != RTM_DELNEIGH)
		return NL_OK;
	/* Changes we made ourselves carry our port id: not news for the mate. */
	if (h->nlmsg_pid && h->nlmsg_pid == arp->cmd_port) {
		arp->stats.events_echo++;
		return NL_OK;
	}
	struct rtnl_neigh *n = NULL;
	if (rtnl_neigh_parse(h, &n) < 0)
		return NL_OK;
	struct repl_arp_entry e;
	if (entry_from_neigh(arp, n, h->nlmsg_type == RTM_DELNEIGH, &e)) {
		arp->stats.events++;
		arp->cb_count++;
		arp->cb_fn(arp->cb_arg, &e);
	} else {
		arp->stats.skipped++;
	}
	rtnl_neigh_put(n);
	return NL_OK;
}

int repl_arp_subscribe(struct repl_arp *arp)
{
	if (arp->events)
		return -EALREADY;
	struct nl_sock *sk;
	int err = open_sock(arp, &sk);
	if (err)
		return err;
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb, arp);
	int rcv = EVENT_RCVBUF;
	int fd = nl_socket_get_fd(sk);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv))
		nl_socket_set_buffer_size(sk, rcv, 0);
	if (nl_socket_add_membership(sk, RTNLGRP_NEIGH) < 0 ||
	    nl_socket_set_nonblocking(sk) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	arp->events = sk;
	return 0;
}

int repl_arp_event_fd(const struct repl_arp *arp)
{
	return arp->events ? nl_socket_get_fd(arp->events) : -1;
}

int repl_arp_read_events(struct repl_arp *arp, repl_arp_entry_fn fn, void *arg)
{
	if (!arp->events)
		return -ENOTCONN;
	arp->cb_fn = fn;
	arp->cb_arg = arg;
	arp->cb_count = 0;
	bool lost = false;
	for (int i = 0; i < 1024; i++) {
		int rc = nl_recvmsgs_default(arp->events);
		if (rc == -NLE_AGAIN)
			break;
		if (rc == -NLE_NOMEM) {
			/* libnl reports the socket's ENOBUFS this way. */
			arp->stats.events_lost++;
			lost = true;
			continue;
		}
		if (rc < 0)
			return nl_to_errno(rc);
	}
	if (lost) {
		mlog(MSG_930108, "context %s: neighbour events lost; resync needed",
		     arp->netns[0] ? arp->netns : "(own)");
		return REPL_ARP_LOST;
	}
	return arp->cb_count;
}

/* The local entry's NUD state for (family, ifindex, addr); -ENOENT if none.
 * One RTM_GETNEIGH round trip. */
static int local_state(struct repl_arp *arp, int ifindex,
		       const struct repl_arp_entry *e)
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	struct ndmsg ndm = { .ndm_family = e->family, .ndm_ifindex = ifindex };
	size_t alen = e->family == AF_INET ? 4 : 16;
	int rc = -ENOMEM;
	if (nlmsg_append(msg, &ndm, sizeof ndm, NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, (int)alen, e->addr) < 0)
		goto out;
	/* Sent raw, outside libnl's sequence accounting (nl_send_auto would
	 * move the sequence libnl expects next, and the next rtnl_neigh_add
	 * would fail with a sequence mismatch): no ack, answer is either the
	 * neighbour or an error. */
	rc = nl_send(arp->cmd, msg);
	if (rc < 0) {
		rc = nl_to_errno(rc);
		goto out;
	}
	rc = -ENOENT;
	for (bool done = false; !done;) {
		unsigned char *data = NULL;
		struct sockaddr_nl who;
		int n = nl_recv(arp->cmd, &who, &data, NULL);
		if (n <= 0) {
			rc = n < 0 ? nl_to_errno(n) : -EIO;
			break;
		}
		int left = n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)data;
		     nlmsg_ok(h, left); h = nlmsg_next(h, &left)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *me = nlmsg_data(h);
				if (me->error)
					rc = me->error;
				done = true;
				break;
			}
			if (h->nlmsg_type == RTM_NEWNEIGH) {
				const struct ndmsg *r = nlmsg_data(h);
				rc = r->ndm_state;
				done = true;
				break;
			}
		}
		free(data);
	}
out:
	nlmsg_free(msg);
	return rc;
}

int repl_arp_install(struct repl_arp *arp, const struct repl_arp_entry *e)
{
	if (e->op < REPL_ARP_SET || e->op >= REPL_ARP_OP_MAX ||
	    (e->family != AF_INET && e->family != AF_INET6) ||
	    (e->op == REPL_ARP_SET && !e->has_lladdr))
		return -EINVAL;
	int ifindex = rtnl_link_name2i(arp->links, e->ifname);
	if (!ifindex) {
		nl_cache_refill(arp->cmd, arp->links);
		ifindex = rtnl_link_name2i(arp->links, e->ifname);
	}
	if (!ifindex) {
		arp->stats.install_noif++;
		return -ENODEV;
	}
	int cur = local_state(arp, ifindex, e);
	if (cur >= 0 && (cur & (NUD_PERMANENT | NUD_NOARP))) {
		arp->stats.install_kept++;
		return 0;
	}
	if (e->op == REPL_ARP_DEL && cur == -ENOENT) {
		arp->stats.delete_missing++;
		return 0;
	}

	size_t alen = e->family == AF_INET ? 4 : 16;
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_addr_build(e->family, e->addr, alen);
	struct nl_addr *ll = e->has_lladdr ? nl_addr_build(AF_LLC, e->lladdr, 6) : NULL;
	int rc = -ENOMEM;
	if (!n || !dst || (e->has_lladdr && !ll))
		goto out;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, e->family);
	rtnl_neigh_set_dst(n, dst);
	if (e->op == REPL_ARP_SET) {
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_state(n, (e->state & NUD_REACHABLE) ? NUD_REACHABLE
								  : NUD_STALE);
		if (e->flags & NTF_ROUTER)
			rtnl_neigh_set_flags(n, NTF_ROUTER);
		rc = nl_to_errno(rtnl_neigh_add(arp->cmd, n,
						NLM_F_CREATE | NLM_F_REPLACE));
	} else {
		rc = nl_to_errno(rtnl_neigh_delete(arp->cmd, n, 0));
		if (rc == -ENOENT) {
			arp->stats.delete_missing++;
			rc = 0;
			goto out;
		}
	}
	if (rc) {
		arp->stats.install_err++;
		mlog(MSG_930109, "context %s: neighbour on %s not installed: %s",
		     arp->netns[0] ? arp->netns : "(own)", e->ifname, strerror(-rc));
	} else {
		arp->stats.install_ok++;
	}
out:
	nl_addr_put(dst);
	nl_addr_put(ll);
	rtnl_neigh_put(n);
	return rc;
}
