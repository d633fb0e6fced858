/*
 * ctx_runtime: makes a context's configuration real.  It turns the
 * configuration model (ctx_config, and the system-space parts that concern
 * the context: allocations, shutdown, mac-address auto, resource class)
 * into the kernel-facing requests of ctx_ns (namespace, links, addresses,
 * routes) and ctx_fw (nftables policy, conntrack), and serves the show
 * commands that read the kernel back.
 */
#ifndef MCTX_CTX_RUNTIME_H
#define MCTX_CTX_RUNTIME_H

#include <stdbool.h>

#include "contexts/ctx_config.h"
#include "system/sys_buf.h"
#include "system/sys_config.h"

struct ctx_rt_unit;   /* the unit namespace, shared by all contexts */
struct ctx_rt;        /* one context */

/* unit_netns: the namespace the daemon runs in ("" or NULL: current). */
int ctx_rt_unit_open(const char *unit_netns, struct ctx_rt_unit **out);
void ctx_rt_unit_close(struct ctx_rt_unit *ku);

/* Creates or adopts namespace <prefix><name>. */
int ctx_rt_open(struct ctx_rt_unit *ku, const char *prefix, const char *name,
		struct ctx_rt **out, struct buf *msg);
/* remove: give links back and delete the namespace; else keep both. */
void ctx_rt_close(struct ctx_rt *rt, bool remove);
int ctx_rt_allocate(struct ctx_rt *rt, const char *link, const char *mapped,
		    int vlan, struct buf *msg);
int ctx_rt_release(struct ctx_rt *rt, const char *mapped, struct buf *msg);
/* Reconciles links, addresses, routes and firewall with the config.
 * standby: the context's failover group is standby on this unit, so its
 * interfaces take the standby IP and MAC addresses (an interface without a
 * standby address gets none: it stays "Waiting", as the seed says) and it
 * forwards nothing. */
int ctx_rt_apply(struct ctx_rt *rt, const struct ctx_config *cc,
		 const struct sys_config *sys, const struct sys_context *sc,
		 bool standby, struct buf *msg);
/* The fast path of a failover role change (a takeover must not wait for
 * a firewall reload): only what the role changes, the interfaces' IP and
 * MAC addresses (active or standby, as ctx_rt_apply gives them), the
 * routes that hang on them, and forwarding: a standby context passes no
 * traffic (its namespace forwards nothing; traffic to the box, e.g.
 * failover interface hellos, still arrives).  Nothing is announced: call
 * ctx_rt_garp once every context of the group has switched.  The
 * firewall policy does not depend on the role and stays as applied. */
int ctx_rt_set_role(struct ctx_rt *rt, const struct ctx_config *cc,
		    const struct sys_config *sys, const struct sys_context *sc,
		    bool standby, struct buf *msg);
/* Gratuitous ARP from every interface address the context now owns
 * (after a takeover).  Returns the number sent. */
int ctx_rt_garp(struct ctx_rt *rt, const struct ctx_config *cc, bool standby);
/* Startup reconciliation with what the daemon found in the kernel (it may
 * have died after changes it never saved).
 * ctx_rt_sweep, before the startup configuration is replayed: for each
 * namespace <prefix>CTX, keep(CTX, NULL) says whether the context is
 * configured; if not, its links go back to the unit and it is deleted;
 * if so, each allocated link L with keep(CTX, L) false goes back to the
 * unit (so the replay finds it there).  Returns the number of namespaces
 * and links given back, or -errno.
 * ctx_rt_prune, after the replay: links in the context's namespace that
 * its configuration does not have go back to the unit; returns how many,
 * or -errno. */
int ctx_rt_sweep(struct ctx_rt_unit *ku, const char *prefix,
		 bool (*keep)(const char *ctx, const char *unit_link, void *arg),
		 void *arg);
int ctx_rt_prune(struct ctx_rt *rt, const struct ctx_config *cc);
/* The context's namespace name (<prefix><context>). */
const char *ctx_rt_nsname(const struct ctx_rt *rt);

enum ctx_rt_show {
	CTX_SHOW_IP_BRIEF, CTX_SHOW_INTERFACE, CTX_SHOW_NAMEIF, CTX_SHOW_ROUTE,
	CTX_SHOW_ARP, CTX_SHOW_ACCESS_LIST, CTX_SHOW_CONN, CTX_SHOW_CONN_COUNT,
	CTX_SHOW_CONN_DETAIL, CTX_SHOW_XLATE, CTX_SHOW_RESOURCE,
};
int ctx_rt_show(struct ctx_rt *rt, const struct ctx_config *cc,
		enum ctx_rt_show what, const char *arg, struct buf *out,
		struct buf *msg);

/* ASA port names ("www") and protocols ("tcp"): number, or -EINVAL.
 * "ip" is -1 (any protocol). */
int ctx_rt_port_parse(const char *s);
int ctx_rt_proto_parse(const char *s);

#endif
