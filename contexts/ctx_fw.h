/*
 * ctx_fw: a security context's firewall, applied with nftables inside the
 * context's network namespace, and the show commands that read it back
 * from the kernel (nftables counters and conntrack), never from a copy of
 * the configuration.
 *
 * The caller (the context configuration model) fills a plain-data
 * struct ctx_fw_policy from the context's running-config: interfaces with
 * nameif and security-level, access-lists and access-groups, PIX 7.x
 * statics, object NAT, timeouts and the resource-class connection limit.
 * ctx_fw_validate() refuses bad input with an ASA-style message before the
 * kernel is touched; ctx_fw_apply() replaces the context's whole ruleset in
 * one nftables transaction, so a failure leaves the previous ruleset as it
 * was.
 *
 * Semantics (PIX/ASA 7.x, as the seed's context configs use them):
 *  - a new connection entering interface X towards Y is decided by X's
 *    inbound access-group if there is one (implicit deny at the end),
 *    otherwise it is allowed only from a higher to a lower security-level
 *    (equal levels only with same-security-traffic permit inter-interface);
 *    an outbound access-group on Y is checked as well; return traffic is
 *    allowed statefully;
 *  - ACLs match the packet as it arrived on the interface, i.e. the mapped
 *    (pre-DNAT) destination of a static, as in PIX 7.x;
 *  - to the box: ICMP echo to the interface addresses, established traffic,
 *    and the to_box entries (the failover hello hook).
 * Only IPv4 is handled.
 *
 * Addresses are uint32_t in host byte order (as ctx_config keeps them);
 * ports and limits are host order too.  Not thread-safe: the daemon is
 * single-threaded.
 */
#ifndef MCTX_CTX_FW_H
#define MCTX_CTX_FW_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

#define CTX_FW_NAME_MAX 64      /* nameif, ACL and object names, with NUL */
#define CTX_FW_PROTO_IP (-1)    /* "ip": any protocol */

enum ctx_fw_action { CTX_FW_PERMIT, CTX_FW_DENY };

enum ctx_fw_addr_kind {
	CTX_FW_ADDR_ANY,        /* any */
	CTX_FW_ADDR_HOST,       /* host A */
	CTX_FW_ADDR_NET,        /* A M */
};

struct ctx_fw_addr {
	enum ctx_fw_addr_kind kind;
	uint32_t addr;
	uint32_t mask;	/* CTX_FW_ADDR_NET only */
};

enum ctx_fw_port_op {
	CTX_FW_PORT_NONE,       /* no port condition */
	CTX_FW_PORT_EQ, CTX_FW_PORT_NEQ, CTX_FW_PORT_LT, CTX_FW_PORT_GT,
	CTX_FW_PORT_RANGE,      /* lo..hi inclusive */
};

struct ctx_fw_ports {
	enum ctx_fw_port_op op;
	uint16_t lo;
	uint16_t hi;	/* CTX_FW_PORT_RANGE only */
};

/* One line of `access-list NAME extended ...`. */
struct ctx_fw_ace {
	bool remark;	/* `access-list NAME remark ...`: ignored */
	enum ctx_fw_action action;
	int proto;	/* CTX_FW_PROTO_IP or an IP protocol number */
	struct ctx_fw_addr src;
	struct ctx_fw_ports sport; /* tcp/udp only */
	struct ctx_fw_addr dst;
	struct ctx_fw_ports dport; /* tcp/udp only */
	bool inactive;	/* configured but not enforced */
};

struct ctx_fw_acl {
	char name[CTX_FW_NAME_MAX];
	const struct ctx_fw_ace *aces;	/* in configured order */
	size_t n_aces;
};

enum ctx_fw_dir { CTX_FW_IN, CTX_FW_OUT };

/* access-group ACL in|out interface NAMEIF */
struct ctx_fw_access_group {
	char acl[CTX_FW_NAME_MAX];
	char nameif[CTX_FW_NAME_MAX];
	enum ctx_fw_dir dir;
};

struct ctx_fw_ifc {
	char ifname[IFNAMSIZ];	/* the Linux link in the namespace */
	char nameif[CTX_FW_NAME_MAX];
	int security_level;	/* 0..100 */
	uint32_t addr;	/* 0.0.0.0 when unaddressed */
	uint32_t mask;
	uint32_t standby;	/* 0.0.0.0 when none */
};

/* route NAMEIF NET MASK GW: used only to name interfaces in show conn. */
struct ctx_fw_route {
	char nameif[CTX_FW_NAME_MAX];
	uint32_t net;
	uint32_t mask;
	uint32_t gateway;
};

/* static (REAL_IFC,MAPPED_IFC) MAPPED REAL netmask MASK: 1:1, host or net. */
struct ctx_fw_static {
	char real_ifc[CTX_FW_NAME_MAX];
	char mapped_ifc[CTX_FW_NAME_MAX];
	uint32_t mapped;
	uint32_t real;
	uint32_t mask;
};

enum ctx_fw_obj_kind { CTX_FW_OBJ_HOST, CTX_FW_OBJ_SUBNET, CTX_FW_OBJ_RANGE };
enum ctx_fw_objnat_kind {
	CTX_FW_OBJNAT_STATIC,           /* nat (r,m) static MAPPED */
	CTX_FW_OBJNAT_DYNAMIC,          /* nat (r,m) dynamic MAPPED */
	CTX_FW_OBJNAT_DYNAMIC_IFC,      /* nat (r,m) dynamic interface (PAT) */
};

/* object network NAME / host|subnet|range ... / nat (r,m) ... */
struct ctx_fw_object_nat {
	char object[CTX_FW_NAME_MAX];
	enum ctx_fw_obj_kind obj_kind;
	uint32_t real;	/* host, subnet address, range start */
	uint32_t real_mask;	/* subnet only */
	uint32_t real_end;	/* range only */
	char real_ifc[CTX_FW_NAME_MAX];
	char mapped_ifc[CTX_FW_NAME_MAX];
	enum ctx_fw_objnat_kind kind;
	uint32_t mapped;	/* STATIC (same-size for subnets), DYNAMIC */
};

/* Traffic to the box that is accepted before any NAT or filtering (the
 * failover hello hook): PROTO dport PORT [from SRC]. */
struct ctx_fw_to_box {
	int proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	struct ctx_fw_addr src;
};

/* timeout conn|udp|half-closed|icmp|xlate, seconds; 0 = not configured
 * (the kernel default stays). */
struct ctx_fw_timeouts {
	uint32_t conn;
	uint32_t udp;
	uint32_t half_closed;
	uint32_t icmp;
	uint32_t xlate;	/* shown by show xlate only */
};

struct ctx_fw_policy {
	const struct ctx_fw_ifc *ifcs;           size_t n_ifcs;
	const struct ctx_fw_route *routes;       size_t n_routes;
	const struct ctx_fw_acl *acls;           size_t n_acls;
	const struct ctx_fw_access_group *groups; size_t n_groups;
	const struct ctx_fw_static *statics;     size_t n_statics;
	const struct ctx_fw_object_nat *obj_nats; size_t n_obj_nats;
	const struct ctx_fw_to_box *to_box;      size_t n_to_box;
	struct ctx_fw_timeouts timeouts;
	uint32_t conn_limit;	/* absolute; 0 = unlimited */
	bool same_security_inter;	/* same-security-traffic permit inter-interface */
};

struct ctx_fw;

/* A firewall for the context living in network namespace NETNS (a name
 * under /var/run/netns).  Nothing is applied until ctx_fw_apply().
 * Returns NULL on bad name or allocation failure. */
struct ctx_fw *ctx_fw_create(const char *netns);
/* Frees the object; the kernel ruleset stays (ctx_fw_clear removes it). */
void ctx_fw_destroy(struct ctx_fw *fw);

/* Checks P; 0, or -EINVAL with an ASA-style "ERROR: ..." line in ERR. */
int ctx_fw_validate(const struct ctx_fw_policy *p, char *err, size_t errlen);

/* Appends the nftables script ctx_fw_apply would load (for tests and
 * `debug`): 0 or -EINVAL (P not validated). */
int ctx_fw_render(const struct ctx_fw_policy *p, struct buf *out);

/* Validates P, replaces the namespace's `table ip mctx` in one transaction
 * (ACE hit counts of unchanged ACEs are carried over, as ASA keeps them),
 * then writes the conntrack timeouts and turns on conntrack accounting and
 * timestamps in the namespace.  If validation or nftables fails, the
 * previous ruleset stays and ERR says why.  If only a sysctl write fails,
 * the new ruleset is in force and the error is returned.  0 or -errno. */
int ctx_fw_apply(struct ctx_fw *fw, const struct ctx_fw_policy *p,
		 char *err, size_t errlen);
/* Removes the namespace's ruleset (context deleted); 0 or -errno. */
int ctx_fw_clear(struct ctx_fw *fw);

/* Shows, read from the kernel and printed ASA-style into OUT.  Each
 * returns 0, -ENODATA if nothing was applied yet, or -errno. */
int ctx_fw_show_access_list(struct ctx_fw *fw, const char *acl_or_null,
			    struct buf *out);
enum ctx_fw_conn_view { CTX_FW_CONN_LIST, CTX_FW_CONN_COUNT, CTX_FW_CONN_DETAIL };
int ctx_fw_show_conn(struct ctx_fw *fw, enum ctx_fw_conn_view view,
		     struct buf *out);
int ctx_fw_show_xlate(struct ctx_fw *fw, struct buf *out);
/* `show resource usage` row for Conns: current, peak, limit. */
int ctx_fw_show_resource_usage(struct ctx_fw *fw, const char *context_name,
			       struct buf *out);
/* Current number of conntrack entries in the namespace, or -errno. */
int ctx_fw_conn_count(struct ctx_fw *fw);
/* New connections the conn limit dropped since the last apply, or -errno. */
int64_t ctx_fw_conns_denied(struct ctx_fw *fw);
/* Hit count of ACL's line LINE (1-based, remarks not counted), or -errno. */
int64_t ctx_fw_ace_hits(struct ctx_fw *fw, const char *acl, size_t line);

/* ASA names: "www" -> 80, "https", "ssh"...; also decimal.  -EINVAL. */
int ctx_fw_port_parse(const char *s);
/* The ASA name of PORT for printing, or NULL if none. */
const char *ctx_fw_port_name(uint16_t port);
/* "ip", "tcp", "udp", "icmp", "gre", ... or decimal; -EINVAL. */
int ctx_fw_proto_parse(const char *s);

#endif
