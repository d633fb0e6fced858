/*
 * ctx_ns: a security context's network namespace and the links in it.
 *
 * Each context X is the namespace <prefix>X.  The daemon runs in the
 * "unit" namespace, whose links are the appliance's ports and
 * subinterfaces.  `allocate-interface` moves a unit link into the context
 * namespace under the context's mapped name; releasing it (or removing the
 * context) moves it back under its original name.
 *
 * The kernel is the only record of which link belongs where: an allocated
 * link carries the alias (IFLA_IFALIAS)
 *     mctx:<unit link>:<burned-in MAC, 12 hex digits>:<mapped name>
 * so a restarted daemon adopts the namespaces it finds (ctx_ns_open with
 * create=false, or create=true on an existing one), reads the mapping back
 * with ctx_link_walk(), and replaying `allocate-interface` is a no-op.
 *
 * All calls return 0 or -errno.  The daemon is single-threaded; a handle
 * must only be used from that thread (sockets are created by briefly
 * entering the namespace).
 */
#ifndef MCTX_CTX_NS_H
#define MCTX_CTX_NS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx_unit;   /* the unit namespace: its links, socket, and contexts */
struct ctx_ns;     /* one context namespace */

/* Longest mapped name the alias can carry (ASA allows fewer). */
#define CTX_MAPPED_NAME_MAX 64
/* rtm_protocol of the static routes mctx owns ('M'); routes with another
 * protocol (the kernel's connected routes, an operator's) are left alone. */
#define CTX_RTPROT_MCTX 77

/* ---- unit namespace ---- */

/* Opens the unit namespace UNIT_NSNAME (NULL: the caller's current one).
 * The unit keeps a route socket there and knows its open contexts. */
int ctx_unit_open(const char *unit_nsname, struct ctx_unit **out);
/* Closes the unit; every context handle must be closed or removed first
 * (-EBUSY otherwise, and nothing is closed). */
int ctx_unit_close(struct ctx_unit *unit);

/* ---- context namespaces ---- */

/* Opens context namespace NSNAME.  When it exists it is adopted as it is
 * (links, addresses, routes and forwarding stay).  When it does not, it
 * is created if CREATE (loopback up, forwarding off), else -ENOENT. */
int ctx_ns_open(struct ctx_unit *unit, const char *nsname, bool create,
		struct ctx_ns **out);
/* Forgets the handle; the namespace and its links stay (daemon restart). */
void ctx_ns_close(struct ctx_ns *ns);
/* Returns every allocated link to the unit under its original name and
 * MAC, deletes the namespace and frees the handle (also on error, which is
 * the first failure met; the other links are still returned). */
int ctx_ns_remove(struct ctx_ns *ns);
const char *ctx_ns_name(const struct ctx_ns *ns);

/* Turns IPv4 forwarding of the namespace on or off (its ip_forward,
 * written through a descriptor opened at ctx_ns_open: no setns, no
 * fork, microseconds).  Off, the context routes nothing between its
 * interfaces while traffic to its own addresses still arrives: that is a
 * standby context (ASA: the standby unit passes no traffic). */
int ctx_ns_set_forwarding(struct ctx_ns *ns, bool on);
/* 1 forwarding, 0 not, or -errno. */
int ctx_ns_forwarding(struct ctx_ns *ns);

/* Calls fn(name) for every namespace under /var/run/netns starting with
 * PREFIX; stops early and returns fn's value when it is non-zero. */
int ctx_ns_list(const char *prefix,
		int (*fn)(const char *nsname, void *arg), void *arg);

/* ---- links ---- */

/* The Linux name for a mapped name: the name itself when Linux accepts it
 * (1..15 characters, none of '/', ':' or whitespace, not "." or ".."),
 * else the first 6 characters (invalid ones as '_'), '-', and 8 hex digits
 * of a hash of the whole name: "outside_context1" -> "outsid-9f1c02ab".
 * Stable across runs and units.  -EINVAL for an empty or too long name. */
int ctx_link_linux_name(const char *mapped, char out[16]);

/* Moves UNIT_LINK from the unit namespace into the context as MAPPED (its
 * Linux name per ctx_link_linux_name), down, tagged with the alias above.
 * A subinterface (VLAN_ID != 0) that does not exist in the unit is created
 * as an 802.1Q link on the part of UNIT_LINK before the last '.'.
 * 0 also when the same allocation already exists (replay after restart).
 * -ENODEV: no such unit link (or no parent for a VLAN);
 * -EBUSY: the link is already allocated (to this context under another
 *         name, or to another open context);
 * -EEXIST: the context already has a link with that (Linux) name;
 * -EOPNOTSUPP: a VLAN link is needed and the kernel has no 802.1Q (logged
 *         once per unit). */
int ctx_link_allocate(struct ctx_ns *ns, const char *unit_link,
		      const char *mapped, uint16_t vlan_id);
/* Moves the link allocated as MAPPED back to the unit under its original
 * name and burned-in MAC, down, alias cleared.  -ENOENT if not allocated
 * here; -EEXIST if the unit has taken the original name meanwhile. */
int ctx_link_release(struct ctx_ns *ns, const char *mapped);

/* Returns UNIT_LINK to the unit from whichever open context of NS's unit
 * holds it (NS included).  For stale kernel state only: the configuration
 * says the link is free, a namespace still has it (a daemon that died
 * before saving).  0 when returned; -ENOENT when no open context has it. */
int ctx_link_reclaim(struct ctx_ns *ns, const char *unit_link);

struct ctx_link_info {
	char ifname[16];                       /* Linux name in the context */
	char unit_link[16];                    /* original name in the unit */
	char mapped[CTX_MAPPED_NAME_MAX + 1];
	uint8_t hw_mac[6];                     /* MAC it had in the unit */
	int ifindex;
};
/* The allocation known as MAPPED in the context; -ENOENT if none. */
int ctx_link_lookup(struct ctx_ns *ns, const char *mapped,
		    struct ctx_link_info *info);
/* Calls fn for each link in the context that mctx allocated (read from the
 * aliases); fn returns 0 to go on, non-zero to stop (returned). */
int ctx_link_walk(struct ctx_ns *ns,
		  int (*fn)(const struct ctx_link_info *info, void *arg),
		  void *arg);

/* Desired state of one allocated interface, as the context's config says. */
struct ctx_if_desired {
	const char *mapped;       /* which interface */
	bool admin_up;            /* !shutdown */
	uint32_t mtu;             /* 0: leave as is */
	bool has_mac;             /* mac-address given; else the burned-in one */
	uint8_t mac[6];
	bool has_ipv4;            /* ip address given; else none at all */
	struct in_addr addr;
	uint8_t prefixlen;        /* 0..32 */
};
/* Reconciles one interface: admin state, MTU, MAC, and exactly one IPv4
 * address (others removed; IPv6 is left alone).  Idempotent: changes only
 * what differs.  -ENOENT if MAPPED is not allocated here; the kernel's
 * -errno when it refuses a change. */
int ctx_link_apply(struct ctx_ns *ns, const struct ctx_if_desired *d);

/* ---- routes ---- */

/* `route IF NET MASK GW [DISTANCE]` */
struct ctx_route {
	const char *mapped;       /* interface (mapped name) */
	struct in_addr dst;
	uint8_t prefixlen;
	struct in_addr gw;
	uint32_t distance;        /* ASA's administrative distance; the Linux
				   * route metric (priority) */
};
/* Makes the context's CTX_RTPROT_MCTX routes in the main table exactly
 * ROUTES: removes the others of ours, adds what is missing.  Returns 0 or
 * the first -errno met (e.g. -ENETUNREACH when the gateway is not on a
 * connected network yet; call again after addresses change). */
int ctx_routes_apply(struct ctx_ns *ns, const struct ctx_route *routes,
		     size_t n);

/* ---- gratuitous ARP ---- */

/* Broadcasts one gratuitous ARP request for ADDR from the link's MAC on
 * Linux link IFNAME of the context (from a packet socket opened inside the
 * namespace).  -ENETDOWN when the link is down. */
int ctx_garp_send(struct ctx_ns *ns, const char *ifname, struct in_addr addr);

/* ---- mac-address auto ---- */

/* The MAC address `mac-address auto [prefix P]` gives interface IF_INDEX
 * (0..255) of context CTX_INDEX (0..32767), active or standby.
 *
 * ASA 8.0(5)+ prefix format:  A2xx.yyzz.zzzz
 *   A2      locally administered, unicast: cannot collide with a burned-in
 *           address (which is why ASA forbids manual MACs starting A2);
 *   xx.yy   the prefix P (0..65535) as 4 hex digits, bytes swapped as ASA
 *           does: prefix 77 = 0x004D gives A24D.00..; ASA derives P from
 *           the last two bytes of the interface MAC when none is given;
 *   zz.zzzz a 24-bit counter, ASA's is internal; ours is deterministic so
 *           both units compute the same addresses without talking:
 *           counter = ctx_index << 9 | if_index << 1 | standby
 *           (the standby address is the active one + 1, as on ASA).
 * -EINVAL when an index is out of range. */
int ctx_mac_auto(uint16_t prefix, unsigned ctx_index, unsigned if_index,
		 bool standby, uint8_t mac[6]);

/* ---- for the sibling contexts modules (ctx_show.c, tests) ---- */

/* The route socket bound inside the context namespace. */
struct nl_sock *ctx_ns_sock(struct ctx_ns *ns);
/* A send-only AF_PACKET socket opened inside it (ctx_garp.c). */
int ctx_ns_packet_fd(struct ctx_ns *ns);

#endif
