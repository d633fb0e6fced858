/*
 * ctx_runtime: see ctx_runtime.h.  Everything is reconciled from the whole
 * configuration each time (links, routes, then the firewall in one nft
 * transaction), which keeps the kernel and the configuration from
 * drifting apart and makes a restarted daemon converge by itself.  The
 * one exception is a failover role change (ctx_rt_set_role): it touches
 * only what the role changes, because a takeover is measured in
 * milliseconds and a firewall reload forks and takes tens of them.
 */
#include "contexts/ctx_runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contexts/ctx_fw.h"
#include "contexts/ctx_ns.h"
#include "contexts/ctx_show.h"
#include "failover/fo_ifmon.h"
#include "system/cli.h"

struct ctx_rt_unit {
	struct ctx_unit *unit;
};

/* The MAC an interface was last given (has_mac false: its burned-in
 * one), to announce a change. */
struct rt_mac {
	char name[CTX_NAME_MAX];
	bool has_mac;
	uint8_t mac[6];
};

struct ctx_rt {
	struct ctx_ns *ns;
	struct ctx_fw *fw;
	char nsname[128];
	struct rt_mac *macs;
	size_t nmacs;
};

int ctx_rt_unit_open(const char *unit_netns, struct ctx_rt_unit **out)
{
	struct ctx_rt_unit *ku = calloc(1, sizeof *ku);
	if (!ku)
		return -ENOMEM;
	int rc = ctx_unit_open(unit_netns && *unit_netns ? unit_netns : NULL,
			       &ku->unit);
	if (rc < 0) {
		free(ku);
		return rc;
	}
	*out = ku;
	return 0;
}

void ctx_rt_unit_close(struct ctx_rt_unit *ku)
{
	if (!ku)
		return;
	ctx_unit_close(ku->unit);
	free(ku);
}

int ctx_rt_open(struct ctx_rt_unit *ku, const char *prefix, const char *name,
		struct ctx_rt **out, struct buf *msg)
{
	struct ctx_rt *rt = calloc(1, sizeof *rt);
	if (!rt)
		return -ENOMEM;
	snprintf(rt->nsname, sizeof rt->nsname, "%s%s", prefix, name);
	int rc = ctx_ns_open(ku->unit, rt->nsname, true, &rt->ns);
	if (rc < 0) {
		buf_printf(msg, "cannot create namespace %s: %s", rt->nsname,
			   strerror(-rc));
		free(rt);
		return rc;
	}
	rt->fw = ctx_fw_create(rt->nsname);
	if (!rt->fw) {
		ctx_ns_close(rt->ns);
		free(rt);
		return -ENOMEM;
	}
	*out = rt;
	return 0;
}

void ctx_rt_close(struct ctx_rt *rt, bool remove)
{
	if (!rt)
		return;
	if (remove) {
		ctx_fw_clear(rt->fw);
		ctx_ns_remove(rt->ns);
	} else {
		ctx_ns_close(rt->ns);
	}
	ctx_fw_destroy(rt->fw);
	free(rt->macs);
	free(rt);
}

int ctx_rt_allocate(struct ctx_rt *rt, const char *link, const char *mapped,
		    int vlan, struct buf *msg)
{
	int rc = ctx_link_allocate(rt->ns, link, mapped, (uint16_t)vlan);
	/* The caller checked the configuration: nobody else owns PHY.  A
	 * namespace that still holds it is stale (a daemon that died before
	 * saving moved it); take it back and try again. */
	if (rc == -EBUSY && ctx_link_reclaim(rt->ns, link) == 0)
		rc = ctx_link_allocate(rt->ns, link, mapped, (uint16_t)vlan);
	if (rc == -EOPNOTSUPP)
		buf_printf(msg, "interface %s needs an 802.1Q link and this "
			   "kernel has no VLAN support; provide a link named %s",
			   link, link);
	else if (rc == -EBUSY)
		buf_printf(msg, "interface %s is already allocated", link);
	else if (rc == -EEXIST)
		buf_printf(msg, "the context already has an interface named %s",
			   mapped);
	else if (rc < 0 && rc != -ENODEV)
		buf_printf(msg, "cannot move %s into the context: %s", link,
			   strerror(-rc));
	return rc;
}

int ctx_rt_release(struct ctx_rt *rt, const char *mapped, struct buf *msg)
{
	int rc = ctx_link_release(rt->ns, mapped);
	if (rc < 0 && rc != -ENOENT)
		buf_printf(msg, "cannot return %s to the system: %s", mapped,
			   strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------ */

static const struct sys_iface *sys_if(const struct sys_config *sys,
				      const char *name)
{
	for (size_t i = 0; i < sys->nifaces; i++)
		if (strcmp(sys->ifaces[i].name, name) == 0)
			return &sys->ifaces[i];
	return NULL;
}

/* The physical name behind a context's interface (mapped or not). */
static const char *phys_of(const struct sys_context *sc, const char *visible)
{
	for (size_t i = 0; sc && i < sc->nallocs; i++) {
		const char *v = sc->allocs[i].mapped[0] ? sc->allocs[i].mapped :
				sc->allocs[i].phys;
		if (strcmp(v, visible) == 0)
			return sc->allocs[i].phys;
	}
	return NULL;
}

/* Shut down in the system space (the port or its parent)? */
static bool sys_shut(const struct sys_config *sys, const char *phys)
{
	if (!phys)
		return false;
	const struct sys_iface *f = sys_if(sys, phys);
	if (f && f->shutdown)
		return true;
	char parent[SYS_NAME_MAX];
	snprintf(parent, sizeof parent, "%s", phys);
	char *dot = strrchr(parent, '.');
	if (!dot)
		return false;
	*dot = '\0';
	f = sys_if(sys, parent);
	return f && f->shutdown;
}

static size_t ctx_index(const struct sys_config *sys, const char *name)
{
	for (size_t i = 0; i < sys->ncontexts; i++)
		if (strcmp(sys->contexts[i].name, name) == 0)
			return i + 1;
	return 0;
}

/* Connection limit from the context's class (or class default). */
static uint32_t conn_limit(const struct sys_config *sys,
			   const struct sys_context *sc)
{
	const char *cls = sc && sc->member[0] ? sc->member : "default";
	for (size_t i = 0; i < sys->nclasses; i++) {
		if (strcmp(sys->classes[i].name, cls))
			continue;
		for (size_t l = 0; l < sys->classes[i].nlimits; l++) {
			const struct sys_limit *lim = &sys->classes[i].limits[l];
			if (strcasecmp(lim->resource, "Conns") &&
			    strcasecmp(lim->resource, "All"))
				continue;
			if (lim->value == 0)
				continue;   /* 0 = unlimited, as on ASA */
			if (!lim->percent)
				return (uint32_t)lim->value;
			/* N% of what the kernel can track. */
			unsigned long max = 262144;
			FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_max", "r");
			if (f) {
				if (fscanf(f, "%lu", &max) != 1)
					max = 262144;
				fclose(f);
			}
			return (uint32_t)(max * (unsigned long)lim->value / 100);
		}
	}
	return 0;
}

static void fill_addr(struct ctx_fw_addr *d, const struct ctx_addr *s,
		      const struct ctx_config *cc)
{
	memset(d, 0, sizeof *d);
	switch (s->kind) {
	case CTX_ADDR_ANY:
		d->kind = CTX_FW_ADDR_ANY;
		break;
	case CTX_ADDR_HOST:
		d->kind = CTX_FW_ADDR_HOST;
		d->addr = s->ip;
		break;
	case CTX_ADDR_NET:
		d->kind = CTX_FW_ADDR_NET;
		d->addr = s->ip;
		d->mask = s->mask;
		break;
	case CTX_ADDR_OBJECT:
		for (size_t i = 0; i < cc->nobjects; i++) {
			const struct ctx_object *o = &cc->objects[i];
			if (strcmp(o->name, s->object))
				continue;
			if (o->kind == CTX_OBJ_HOST) {
				d->kind = CTX_FW_ADDR_HOST;
				d->addr = o->a;
			} else if (o->kind == CTX_OBJ_SUBNET) {
				d->kind = CTX_FW_ADDR_NET;
				d->addr = o->a;
				d->mask = o->b;
			} else {
				d->kind = CTX_FW_ADDR_ANY;  /* ranges: not in ACLs */
			}
		}
		break;
	}
}

static void fill_ports(struct ctx_fw_ports *d, const struct ctx_port *s)
{
	static const enum ctx_fw_port_op ops[] = {
		[CTX_PORT_NONE] = CTX_FW_PORT_NONE, [CTX_PORT_EQ] = CTX_FW_PORT_EQ,
		[CTX_PORT_NEQ] = CTX_FW_PORT_NEQ, [CTX_PORT_LT] = CTX_FW_PORT_LT,
		[CTX_PORT_GT] = CTX_FW_PORT_GT, [CTX_PORT_RANGE] = CTX_FW_PORT_RANGE,
	};
	d->op = ops[s->op];
	d->lo = (uint16_t)s->lo;
	d->hi = (uint16_t)s->hi;
}

struct policy_store {
	struct ctx_fw_policy p;
	struct ctx_fw_ifc *ifcs;
	struct ctx_fw_route *routes;
	struct ctx_fw_acl *acls;
	struct ctx_fw_ace *aces;
	struct ctx_fw_access_group *groups;
	struct ctx_fw_static *statics;
	struct ctx_fw_object_nat *nats;
};

static void policy_free(struct policy_store *ps)
{
	free(ps->ifcs);
	free(ps->routes);
	free(ps->acls);
	free(ps->aces);
	free(ps->groups);
	free(ps->statics);
	free(ps->nats);
}

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* Failover interface monitoring's hellos (failover/fo_ifmon.h) reach a
 * context with a `monitor-interface`; fo_ifmon checks their source. */
static const struct ctx_fw_to_box ifmon_hello = {
	.proto = IPPROTO_UDP, .port = FO_IFMON_UDP_PORT,
	.src = { .kind = CTX_FW_ADDR_ANY },
};

static void build_policy(const struct ctx_config *cc, const struct sys_config *sys,
			 const struct sys_context *sc, struct policy_store *ps)
{
	memset(ps, 0, sizeof *ps);
	for (size_t i = 0; i < cc->nifaces; i++)
		if (cc->ifaces[i].monitored) {
			ps->p.to_box = &ifmon_hello;
			ps->p.n_to_box = 1;
			break;
		}
	ps->ifcs = zalloc(cc->nifaces, sizeof *ps->ifcs);
	for (size_t i = 0; i < cc->nifaces; i++) {
		const struct ctx_iface *f = &cc->ifaces[i];
		if (!f->nameif[0])
			continue;
		struct ctx_fw_ifc *d = &ps->ifcs[ps->p.n_ifcs++];
		ctx_link_linux_name(f->name, d->ifname);
		snprintf(d->nameif, sizeof d->nameif, "%s", f->nameif);
		d->security_level = f->security_level < 0 ? 0 : f->security_level;
		d->addr = f->has_ip ? f->ip : 0;
		d->mask = f->has_ip ? f->mask : 0;
		d->standby = f->standby;
	}
	ps->routes = zalloc(cc->nroutes, sizeof *ps->routes);
	for (size_t i = 0; i < cc->nroutes; i++) {
		struct ctx_fw_route *d = &ps->routes[ps->p.n_routes++];
		snprintf(d->nameif, sizeof d->nameif, "%s", cc->routes[i].nameif);
		d->net = cc->routes[i].net;
		d->mask = cc->routes[i].mask;
		d->gateway = cc->routes[i].gw;
	}
	/* ACEs grouped by ACL, in configured order. */
	ps->aces = zalloc(cc->naces, sizeof *ps->aces);
	ps->acls = zalloc(cc->naces, sizeof *ps->acls);
	size_t nace = 0;
	for (size_t i = 0; i < cc->naces; i++) {
		bool seen = false;
		for (size_t k = 0; k < ps->p.n_acls; k++)
			if (!strcmp(ps->acls[k].name, cc->aces[i].acl))
				seen = true;
		if (seen)
			continue;
		struct ctx_fw_acl *acl = &ps->acls[ps->p.n_acls++];
		snprintf(acl->name, sizeof acl->name, "%s", cc->aces[i].acl);
		acl->aces = &ps->aces[nace];
		for (size_t j = i; j < cc->naces; j++) {
			const struct ctx_ace *s = &cc->aces[j];
			if (strcmp(s->acl, acl->name))
				continue;
			struct ctx_fw_ace *d = &ps->aces[nace++];
			d->remark = s->remark;
			if (!s->remark) {
				d->action = s->permit ? CTX_FW_PERMIT : CTX_FW_DENY;
				d->proto = ctx_fw_proto_parse(s->proto);
				fill_addr(&d->src, &s->src, cc);
				fill_addr(&d->dst, &s->dst, cc);
				fill_ports(&d->sport, &s->sport);
				fill_ports(&d->dport, &s->dport);
			}
			acl->n_aces++;
		}
	}
	ps->groups = zalloc(cc->ngroups, sizeof *ps->groups);
	for (size_t i = 0; i < cc->ngroups; i++) {
		struct ctx_fw_access_group *d = &ps->groups[ps->p.n_groups++];
		snprintf(d->acl, sizeof d->acl, "%s", cc->groups[i].acl);
		snprintf(d->nameif, sizeof d->nameif, "%s", cc->groups[i].nameif);
		d->dir = cc->groups[i].out ? CTX_FW_OUT : CTX_FW_IN;
	}
	ps->statics = zalloc(cc->nstatics, sizeof *ps->statics);
	for (size_t i = 0; i < cc->nstatics; i++) {
		struct ctx_fw_static *d = &ps->statics[ps->p.n_statics++];
		snprintf(d->real_ifc, sizeof d->real_ifc, "%s", cc->statics[i].real_if);
		snprintf(d->mapped_ifc, sizeof d->mapped_ifc, "%s", cc->statics[i].mapped_if);
		d->mapped = cc->statics[i].mapped;
		d->real = cc->statics[i].real;
		d->mask = cc->statics[i].mask;
	}
	ps->nats = zalloc(cc->nobjects, sizeof *ps->nats);
	for (size_t i = 0; i < cc->nobjects; i++) {
		const struct ctx_object *o = &cc->objects[i];
		if (!o->has_nat || o->kind == CTX_OBJ_NONE)
			continue;
		struct ctx_fw_object_nat *d = &ps->nats[ps->p.n_obj_nats++];
		snprintf(d->object, sizeof d->object, "%s", o->name);
		d->obj_kind = o->kind == CTX_OBJ_HOST ? CTX_FW_OBJ_HOST :
			      o->kind == CTX_OBJ_SUBNET ? CTX_FW_OBJ_SUBNET :
			      CTX_FW_OBJ_RANGE;
		d->real = o->a;
		d->real_mask = o->kind == CTX_OBJ_SUBNET ? o->b : 0;
		d->real_end = o->kind == CTX_OBJ_RANGE ? o->b : 0;
		snprintf(d->real_ifc, sizeof d->real_ifc, "%s", o->real_if);
		snprintf(d->mapped_ifc, sizeof d->mapped_ifc, "%s", o->mapped_if);
		d->kind = o->nat_static ? CTX_FW_OBJNAT_STATIC :
			  o->nat_interface ? CTX_FW_OBJNAT_DYNAMIC_IFC :
			  CTX_FW_OBJNAT_DYNAMIC;
		d->mapped = o->nat_mapped;
		if (o->nat_static && o->nat_interface) {
			const struct ctx_iface *m = NULL;
			for (size_t k = 0; k < cc->nifaces; k++)
				if (!strcmp(cc->ifaces[k].nameif, o->mapped_if))
					m = &cc->ifaces[k];
			d->mapped = m && m->has_ip ? m->ip : 0;
		}
	}
	ps->p.ifcs = ps->ifcs;
	ps->p.routes = ps->routes;
	ps->p.acls = ps->acls;
	ps->p.groups = ps->groups;
	ps->p.statics = ps->statics;
	ps->p.obj_nats = ps->nats;
	ps->p.timeouts.conn = (uint32_t)cc->timeouts[CTX_TO_CONN];
	ps->p.timeouts.udp = (uint32_t)cc->timeouts[CTX_TO_UDP];
	ps->p.timeouts.half_closed = (uint32_t)cc->timeouts[CTX_TO_HALF_CLOSED];
	ps->p.timeouts.icmp = (uint32_t)cc->timeouts[CTX_TO_ICMP];
	ps->p.timeouts.xlate = (uint32_t)cc->timeouts[CTX_TO_XLATE];
	ps->p.conn_limit = conn_limit(sys, sc);
}

const char *ctx_rt_nsname(const struct ctx_rt *rt) { return rt->nsname; }

/* ------------------------------------------------------------------ */
/* startup reconciliation                                              */

struct name_list {
	char (*names)[CTX_MAPPED_NAME_MAX + 1];
	size_t n;
};

static int name_list_add(struct name_list *l, const char *name)
{
	void *grown = realloc(l->names, (l->n + 1) * sizeof *l->names);
	if (!grown)
		return -ENOMEM;
	l->names = grown;
	snprintf(l->names[l->n++], sizeof *l->names, "%s", name);
	return 0;
}

static int collect_ns(const char *nsname, void *arg)
{
	return name_list_add(arg, nsname);
}

struct unit_links {
	struct ctx_link_info *items;
	size_t n;
};

static int collect_info(const struct ctx_link_info *info, void *arg)
{
	struct unit_links *l = arg;
	void *grown = realloc(l->items, (l->n + 1) * sizeof *l->items);
	if (!grown)
		return -ENOMEM;
	l->items = grown;
	l->items[l->n++] = *info;
	return 0;
}

/* Gives back the links of a kept namespace that KEEP does not want. */
static int sweep_links(struct ctx_ns *ns, const char *ctx,
		       bool (*keep)(const char *, const char *, void *),
		       void *arg)
{
	struct unit_links links = { 0 };
	int rc = ctx_link_walk(ns, collect_info, &links);
	int given = 0;
	for (size_t i = 0; rc == 0 && i < links.n; i++)
		if (!keep(ctx, links.items[i].unit_link, arg) &&
		    ctx_link_release(ns, links.items[i].mapped) == 0)
			given++;
	free(links.items);
	return rc < 0 ? rc : given;
}

int ctx_rt_sweep(struct ctx_rt_unit *ku, const char *prefix,
		 bool (*keep)(const char *ctx, const char *unit_link, void *arg),
		 void *arg)
{
	struct name_list found = { 0 };
	size_t plen = strlen(prefix);
	int rc = plen ? ctx_ns_list(prefix, collect_ns, &found) : 0;
	int given = 0;
	/* Listed first, changed after: the directory changes under us. */
	for (size_t i = 0; rc == 0 && i < found.n; i++) {
		const char *ctx = found.names[i] + plen;
		struct ctx_ns *ns;
		if (ctx_ns_open(ku->unit, found.names[i], false, &ns) < 0)
			continue;   /* open elsewhere, or gone meanwhile */
		if (!keep(ctx, NULL, arg)) {
			given += ctx_ns_remove(ns) == 0;
			continue;
		}
		int n = sweep_links(ns, ctx, keep, arg);
		given += n > 0 ? n : 0;
		ctx_ns_close(ns);
	}
	free(found.names);
	return rc < 0 ? rc : given;
}

static int collect_mapped(const struct ctx_link_info *info, void *arg)
{
	return name_list_add(arg, info->mapped);
}

int ctx_rt_prune(struct ctx_rt *rt, const struct ctx_config *cc)
{
	struct name_list links = { 0 };
	int rc = ctx_link_walk(rt->ns, collect_mapped, &links);
	int released = 0;
	for (size_t i = 0; rc == 0 && i < links.n; i++) {
		bool wanted = false;
		for (size_t k = 0; k < cc->nifaces && !wanted; k++)
			wanted = strcmp(cc->ifaces[k].name, links.names[i]) == 0;
		if (!wanted && ctx_link_release(rt->ns, links.names[i]) == 0)
			released++;
	}
	free(links.names);
	return rc < 0 ? rc : released;
}

int ctx_rt_garp(struct ctx_rt *rt, const struct ctx_config *cc, bool standby)
{
	int sent = 0;
	for (size_t i = 0; i < cc->nifaces; i++) {
		const struct ctx_iface *f = &cc->ifaces[i];
		uint32_t ip = standby ? f->standby : f->ip;
		char lname[16];
		if (!f->has_ip || !ip || f->shutdown)
			continue;
		ctx_link_linux_name(f->name, lname);
		struct in_addr a = { .s_addr = htonl(ip) };
		if (ctx_garp_send(rt->ns, lname, a) == 0)
			sent++;
	}
	return sent;
}

/* Records the MAC interface NAME now has; true when it differs from the
 * one this daemon gave it before (not on the first apply after a start:
 * nothing changed for the neighbours then). */
static bool mac_changed(struct ctx_rt *rt, const char *name, bool has_mac,
			const uint8_t mac[6])
{
	struct rt_mac *m = NULL;
	for (size_t i = 0; i < rt->nmacs && !m; i++)
		if (!strcmp(rt->macs[i].name, name))
			m = &rt->macs[i];
	bool changed = m && (m->has_mac != has_mac ||
			     (has_mac && memcmp(m->mac, mac, 6)));
	if (!m) {
		struct rt_mac *grown = realloc(rt->macs, (rt->nmacs + 1) * sizeof *grown);
		if (!grown)
			abort();
		rt->macs = grown;
		m = &rt->macs[rt->nmacs++];
		snprintf(m->name, sizeof m->name, "%s", name);
	}
	m->has_mac = has_mac;
	memcpy(m->mac, mac, 6);
	return changed;
}

/* Each interface's link state, MAC and address for the role.  A new MAC
 * is announced at once when ANNOUNCE (else the caller does it after the
 * whole group switched), or the neighbours keep sending to the old one
 * until their ARP entries expire. */
static int apply_ifaces(struct ctx_rt *rt, const struct ctx_config *cc,
			const struct sys_config *sys,
			const struct sys_context *sc, bool standby,
			bool announce, struct buf *msg)
{
	int first_err = 0;
	size_t cidx = ctx_index(sys, cc->name);

	for (size_t i = 0; i < cc->nifaces; i++) {
		const struct ctx_iface *f = &cc->ifaces[i];
		struct ctx_if_desired d;
		memset(&d, 0, sizeof d);
		d.mapped = f->name;
		d.admin_up = !f->shutdown && !sys_shut(sys, phys_of(sc, f->name));
		d.mtu = f->mtu ? (uint32_t)f->mtu : 1500;
		if (f->has_mac && (!standby || f->has_mac_standby)) {
			d.has_mac = true;
			memcpy(d.mac, standby ? f->mac_standby : f->mac, 6);
		} else if (sys->mac_auto) {
			d.has_mac = ctx_mac_auto(0, (unsigned)cidx, (unsigned)i,
						 standby, d.mac) == 0;
		}
		uint32_t ip = standby ? f->standby : f->ip;
		if (f->has_ip && ip) {
			d.has_ipv4 = true;
			d.addr.s_addr = htonl(ip);
			d.prefixlen = (uint8_t)cli_mask_to_prefix(f->mask);
		}
		int rc = ctx_link_apply(rt->ns, &d);
		if (rc < 0 && !first_err) {
			first_err = rc;
			buf_printf(msg, "interface %s: %s", f->name, strerror(-rc));
		}
		if (rc == 0 && mac_changed(rt, f->name, d.has_mac, d.mac) &&
		    announce && d.has_ipv4 && d.admin_up) {
			char lname[16];
			ctx_link_linux_name(f->name, lname);
			ctx_garp_send(rt->ns, lname, d.addr);
		}
	}
	return first_err;
}

/* The configured routes; they hang on the interfaces' addresses (the
 * kernel drops a route whose interface lost its last address). */
static int apply_routes(struct ctx_rt *rt, const struct ctx_config *cc,
			struct buf *msg)
{
	struct ctx_route *routes = zalloc(cc->nroutes, sizeof *routes);
	size_t nr = 0;
	for (size_t i = 0; i < cc->nroutes; i++) {
		const struct ctx_cfg_route *r = &cc->routes[i];
		const struct ctx_iface *f = NULL;
		for (size_t k = 0; k < cc->nifaces; k++)
			if (!strcmp(cc->ifaces[k].nameif, r->nameif))
				f = &cc->ifaces[k];
		if (!f)
			continue;
		routes[nr].mapped = f->name;
		routes[nr].dst.s_addr = htonl(r->net);
		routes[nr].prefixlen = (uint8_t)cli_mask_to_prefix(r->mask);
		routes[nr].gw.s_addr = htonl(r->gw);
		routes[nr].distance = (uint32_t)(r->metric ? r->metric : 1);
		nr++;
	}
	int rc = ctx_routes_apply(rt->ns, routes, nr);
	free(routes);
	/* A gateway not yet reachable is not an error of this command: the
	 * route is installed once its interface has an address. */
	if (rc < 0 && rc != -ENETUNREACH) {
		buf_printf(msg, "routes: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static int set_forwarding(struct ctx_rt *rt, bool on, struct buf *msg)
{
	int rc = ctx_ns_set_forwarding(rt->ns, on);
	if (rc < 0)
		buf_printf(msg, "cannot turn forwarding %s: %s", on ? "on" : "off",
			   strerror(-rc));
	return rc;
}

/* Addresses, MACs and routes for the role, then (full) the nftables
 * policy; forwarding goes off before anything changes on a standby, and
 * on only after everything is in place on an active context.  full is
 * false on a role change: the policy does not depend on the role, so it
 * is already there (an active context whose firewall never loaded stays
 * as it was), and the neighbours learn the move from the gratuitous ARP
 * sent afterwards (ctx_rt_garp), not from apply_ifaces. */
static int reconcile(struct ctx_rt *rt, const struct ctx_config *cc,
		     const struct sys_config *sys, const struct sys_context *sc,
		     bool standby, bool full, struct buf *msg)
{
	int first_err = standby ? set_forwarding(rt, false, msg) : 0;
	int rc = apply_ifaces(rt, cc, sys, sc, standby, full, msg);
	if (rc < 0 && !first_err)
		first_err = rc;
	rc = apply_routes(rt, cc, msg);
	if (rc < 0 && !first_err)
		first_err = rc;

	if (full) {
		struct policy_store ps;
		char err[512] = "";
		build_policy(cc, sys, sc, &ps);
		rc = ctx_fw_apply(rt->fw, &ps.p, err, sizeof err);
		policy_free(&ps);
		if (rc < 0 && !first_err) {
			first_err = rc;
			buf_printf(msg, "%s", err[0] ? err : strerror(-rc));
		}
	}
	if (!standby) {
		rc = set_forwarding(rt, true, msg);
		if (rc < 0 && !first_err)
			first_err = rc;
	}
	return first_err;
}

int ctx_rt_apply(struct ctx_rt *rt, const struct ctx_config *cc,
		 const struct sys_config *sys, const struct sys_context *sc,
		 bool standby, struct buf *msg)
{
	return reconcile(rt, cc, sys, sc, standby, true, msg);
}

int ctx_rt_set_role(struct ctx_rt *rt, const struct ctx_config *cc,
		    const struct sys_config *sys, const struct sys_context *sc,
		    bool standby, struct buf *msg)
{
	return reconcile(rt, cc, sys, sc, standby, false, msg);
}

/* ------------------------------------------------------------------ */

int ctx_rt_show(struct ctx_rt *rt, const struct ctx_config *cc,
		enum ctx_rt_show what, const char *arg, struct buf *out,
		struct buf *msg)
{
	struct ctx_show_name *names = zalloc(cc->nifaces, sizeof *names);
	char (*lnames)[16] = zalloc(cc->nifaces, 16);
	int rc = 0;
	for (size_t i = 0; i < cc->nifaces; i++) {
		ctx_link_linux_name(cc->ifaces[i].name, lnames[i]);
		names[i].ifname = lnames[i];
		names[i].hwname = cc->ifaces[i].name;
		names[i].nameif = cc->ifaces[i].nameif;
		names[i].security_level = cc->ifaces[i].security_level;
	}
	switch (what) {
	case CTX_SHOW_IP_BRIEF:
		rc = ctx_show_ip_brief(rt->ns, names, cc->nifaces, out);
		break;
	case CTX_SHOW_INTERFACE:
		rc = ctx_show_interface(rt->ns, names, cc->nifaces, arg, out);
		break;
	case CTX_SHOW_NAMEIF:
		rc = ctx_show_nameif(rt->ns, names, cc->nifaces, out);
		break;
	case CTX_SHOW_ROUTE:
		rc = ctx_show_route(rt->ns, names, cc->nifaces, out);
		break;
	case CTX_SHOW_ARP:
		rc = ctx_show_arp(rt->ns, names, cc->nifaces, out);
		break;
	case CTX_SHOW_ACCESS_LIST:
		rc = ctx_fw_show_access_list(rt->fw, arg, out);
		break;
	case CTX_SHOW_CONN:
		rc = ctx_fw_show_conn(rt->fw, CTX_FW_CONN_LIST, out);
		break;
	case CTX_SHOW_CONN_COUNT:
		rc = ctx_fw_show_conn(rt->fw, CTX_FW_CONN_COUNT, out);
		break;
	case CTX_SHOW_CONN_DETAIL:
		rc = ctx_fw_show_conn(rt->fw, CTX_FW_CONN_DETAIL, out);
		break;
	case CTX_SHOW_XLATE:
		rc = ctx_fw_show_xlate(rt->fw, out);
		break;
	case CTX_SHOW_RESOURCE:
		rc = ctx_fw_show_resource_usage(rt->fw, cc->name, out);
		break;
	}
	if (rc == -ENODATA) {
		rc = 0;   /* nothing applied yet: an empty table */
	} else if (rc < 0) {
		buf_printf(msg, "cannot read the kernel state: %s", strerror(-rc));
	}
	free(names);
	free(lnames);
	return rc;
}

int ctx_rt_port_parse(const char *s) { return ctx_fw_port_parse(s); }
int ctx_rt_proto_parse(const char *s) { return ctx_fw_proto_parse(s); }
