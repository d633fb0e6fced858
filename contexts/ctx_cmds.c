/*
 * ctx_cmds: commands that exist inside a security context: interfaces,
 * routes, access lists, NAT, timeouts and the show commands that read the
 * context's kernel namespace.  Every configuration change is validated
 * first, then applied to the kernel; when the kernel refuses, the
 * context's configuration is restored from a snapshot, so a failed command
 * changes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contexts/ctx_config.h"
#include "contexts/ctx_runtime.h"
#include "system/cli.h"
#include "system/sys_array.h"
#include "system/sys_unit.h"

#define UNIT(s) ((struct unit *)cli_owner(s))

static struct ctx_config *cfg(struct cli_session *s)
{
	return unit_ctxconfig(UNIT(s), cli_context(s));
}

/* Snapshot of the context before a change, for rollback. */
static void snap_take(struct cli_session *s, struct buf *snap)
{
	buf_init(snap);
	ctx_config_write(cfg(s), MCTX_VERSION, CTX_WRITE_BODY, snap);
}

/* Applies the change to the kernel, or restores the snapshot. */
static enum cli_status commit(struct cli_session *s, struct buf *snap)
{
	struct unit *u = UNIT(s);
	const char *ctx = cli_context(s);
	enum cli_status st = CLI_OK;

	if (!cli_loading(s)) {
		struct buf msg;
		buf_init(&msg);
		int rc = unit_context_apply(u, ctx, &msg);
		if (rc < 0) {
			st = cli_error(s, "%s", msg.len ? msg.data :
				       strerror(-rc));
			struct ctx_config *c = cfg(s);
			ctx_config_clear(c);
			unit_replay(u, ctx, snap->data ? snap->data : "", NULL);
		}
		buf_free(&msg);
	}
	buf_free(snap);
	return st;
}

/* ------------------------------------------------------------------ */
/* interfaces                                                          */

/* An interface name the context may use: one allocated to it. */
static bool allocated(struct cli_session *s, const char *name)
{
	struct sys_context *sc = sys_config_context(unit_sysconfig(UNIT(s)),
						    cli_context(s), false);
	if (!sc)
		return false;
	for (size_t i = 0; i < sc->nallocs; i++) {
		const char *vis = sc->allocs[i].mapped[0] ?
				  sc->allocs[i].mapped : sc->allocs[i].phys;
		if (strcmp(vis, name) == 0)
			return true;
	}
	return false;
}

static enum cli_status h_interface(struct cli_session *s,
				   const struct cli_args *a)
{
	const char *name = cli_str(a, "ifname");
	if (cli_negated(a))
		return cli_error(s, "Interfaces of a context are removed with "
				 "`no allocate-interface` in the system space");
	if (!allocated(s, name))
		return cli_error_at(s, a, "ifname");
	ctx_config_iface(cfg(s), name, true);
	cli_set_mode(s, CLI_MODE_IF, name);
	return CLI_OK;
}

static struct ctx_iface *cur_if(struct cli_session *s)
{
	return ctx_config_iface(cfg(s), cli_mode_object(s), false);
}

static enum cli_status h_nameif(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	struct buf snap;
	if (!f)
		return cli_error(s, "Interface no longer exists");
	const char *name = cli_negated(a) ? "" : cli_str(a, "name");
	if (strlen(name) >= CTX_NAME_MAX || (*name && !isalpha((unsigned char)*name)))
		return cli_error_at(s, a, "name");
	struct ctx_iface *other = *name ? ctx_config_nameif(cfg(s), name) : NULL;
	if (other && other != f)
		return cli_error(s, "Name \"%s\" is assigned to another interface (%s)",
				 name, other->name);
	snap_take(s, &snap);
	f = cur_if(s);
	if (!cli_loading(s) && *name && f->security_level < 0 &&
	    strcmp(name, "inside") == 0)
		cli_puts(s, "INFO: Security level for \"inside\" set to 100 by default.\n");
	else if (!cli_loading(s) && *name && f->security_level < 0)
		cli_printf(s, "INFO: Security level for \"%s\" set to 0 by default.\n", name);
	if (*name && f->security_level < 0)
		f->security_level = strcmp(name, "inside") == 0 ? 100 : 0;
	snprintf(f->nameif, sizeof f->nameif, "%s", name);
	if (!*name)
		f->security_level = -1;
	return commit(s, &snap);
}

static enum cli_status h_seclevel(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	struct buf snap;
	if (!f)
		return cli_error(s, "Interface no longer exists");
	snap_take(s, &snap);
	f->security_level = cli_negated(a) ? -1 : (int)cli_int(a, "level", 0);
	return commit(s, &snap);
}

/* ASA refuses an address whose network overlaps another interface's. */
static struct ctx_iface *overlapping(struct ctx_config *c,
				     const struct ctx_iface *self, uint32_t ip,
				     uint32_t mask)
{
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct ctx_iface *o = &c->ifaces[i];
		if (o == self || !o->has_ip)
			continue;
		uint32_t m = mask < o->mask ? mask : o->mask;  /* wider one */
		if ((ip & m) == (o->ip & m))
			return &c->ifaces[i];
	}
	return NULL;
}

static enum cli_status h_ip_address(struct cli_session *s,
				    const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	struct buf snap;
	if (!f)
		return cli_error(s, "Interface no longer exists");
	if (cli_negated(a)) {
		snap_take(s, &snap);
		f = cur_if(s);
		f->has_ip = false;
		f->ip = f->mask = f->standby = 0;
		return commit(s, &snap);
	}
	uint32_t ip = cli_ip(a, "addr"), mask = cli_ip(a, "mask");
	uint32_t sb = cli_ip(a, "sbip");
	int prefix = cli_mask_to_prefix(mask);
	if (prefix < 8 || prefix > 30 || (ip & ~mask) == 0 ||
	    (ip & ~mask) == ~mask)
		return cli_error(s, "Invalid address %s with netmask %s",
				 cli_str(a, "addr"), cli_str(a, "mask"));
	if (cli_has(a, "standby") &&
	    ((sb & mask) != (ip & mask) || sb == ip || (sb & ~mask) == ~mask))
		return cli_error(s, "Standby address %s is not in the same "
				 "subnet as %s/%s", cli_str(a, "sbip"),
				 cli_str(a, "addr"), cli_str(a, "mask"));
	struct ctx_iface *o = overlapping(cfg(s), f, ip, mask);
	if (o)
		return cli_error(s, "This address conflicts with another "
				 "address in the network (interface %s)", o->name);
	snap_take(s, &snap);
	f = cur_if(s);
	f->has_ip = true;
	f->ip = ip;
	f->mask = mask;
	f->standby = cli_has(a, "standby") ? sb : 0;
	return commit(s, &snap);
}

static enum cli_status h_if_mac(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	struct buf snap;
	uint8_t m[6], sm[6];
	if (!f)
		return cli_error(s, "Interface no longer exists");
	if (!cli_negated(a)) {
		if (sys_parse_mac(cli_str(a, "mac"), m) < 0 || (m[0] & 1))
			return cli_error_at(s, a, "mac");
		if (cli_has(a, "smac") &&
		    (sys_parse_mac(cli_str(a, "smac"), sm) < 0 || (sm[0] & 1)))
			return cli_error_at(s, a, "smac");
	}
	snap_take(s, &snap);
	f = cur_if(s);
	f->has_mac = !cli_negated(a);
	f->has_mac_standby = f->has_mac && cli_has(a, "smac");
	if (f->has_mac)
		memcpy(f->mac, m, 6);
	if (f->has_mac_standby)
		memcpy(f->mac_standby, sm, 6);
	return commit(s, &snap);
}

static enum cli_status h_if_shutdown(struct cli_session *s,
				     const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	struct buf snap;
	if (!f)
		return cli_error(s, "Interface no longer exists");
	snap_take(s, &snap);
	cur_if(s)->shutdown = !cli_negated(a);
	return commit(s, &snap);
}

static enum cli_status h_if_desc(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	if (!f)
		return cli_error(s, "Interface no longer exists");
	snprintf(f->description, sizeof f->description, "%s",
		 cli_negated(a) ? "" : cli_str(a, "text"));
	return CLI_OK;
}

static enum cli_status set_mtu(struct cli_session *s, struct ctx_iface *f,
			       int mtu)
{
	struct buf snap;
	snap_take(s, &snap);
	f = ctx_config_iface(cfg(s), f->name, false);
	f->mtu = mtu;
	return commit(s, &snap);
}

static enum cli_status h_if_mtu(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = cur_if(s);
	if (!f)
		return cli_error(s, "Interface no longer exists");
	return set_mtu(s, f, cli_negated(a) ? 0 : (int)cli_int(a, "bytes", 1500));
}

static enum cli_status h_mtu(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = ctx_config_nameif(cfg(s), cli_str(a, "nameif"));
	if (!f)
		return cli_error_at(s, a, "nameif");
	return set_mtu(s, f, cli_negated(a) ? 0 : (int)cli_int(a, "bytes", 1500));
}

static enum cli_status h_monitor(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_iface *f = ctx_config_nameif(cfg(s), cli_str(a, "nameif"));
	if (!f)
		return cli_error_at(s, a, "nameif");
	f->monitored = !cli_negated(a);
	return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* routes                                                              */

static enum cli_status h_route(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	struct buf snap;
	const char *nameif = cli_str(a, "nameif");
	uint32_t net = cli_ip(a, "net"), mask = cli_ip(a, "mask");
	uint32_t gw = cli_ip(a, "gw");
	int metric = (int)cli_int(a, "metric", 1);

	if (!ctx_config_nameif(c, nameif))
		return cli_error_at(s, a, "nameif");
	if ((net & ~mask) != 0)
		return cli_error(s, "Invalid netmask %s for network %s",
				 cli_str(a, "mask"), cli_str(a, "net"));
	size_t i;
	for (i = 0; i < c->nroutes; i++)
		if (c->routes[i].net == net && c->routes[i].mask == mask &&
		    c->routes[i].gw == gw && !strcmp(c->routes[i].nameif, nameif))
			break;
	snap_take(s, &snap);
	if (cli_negated(a)) {
		if (i == c->nroutes) {
			buf_free(&snap);
			return cli_error(s, "Route does not exist");
		}
		array_remove(c->routes, &c->nroutes, sizeof *c->routes, i);
		return commit(s, &snap);
	}
	if (i == c->nroutes)
		array_grow(&c->routes, &c->nroutes, sizeof *c->routes);
	struct ctx_cfg_route *r = &c->routes[i];
	snprintf(r->nameif, sizeof r->nameif, "%s", nameif);
	r->net = net;
	r->mask = mask;
	r->gw = gw;
	r->metric = metric;
	return commit(s, &snap);
}

/* ------------------------------------------------------------------ */
/* access lists                                                        */

static int get_addr(struct cli_session *s, const struct cli_args *a, char p,
		    struct ctx_addr *out)
{
	char any[8], host[8], net[8], mask[8], obj[8];
	snprintf(any, sizeof any, "%cany", p);
	snprintf(host, sizeof host, "%chost", p);
	snprintf(net, sizeof net, "%cnet", p);
	snprintf(mask, sizeof mask, "%cmask", p);
	snprintf(obj, sizeof obj, "%cobj", p);
	memset(out, 0, sizeof *out);
	if (cli_has(a, any)) {
		out->kind = CTX_ADDR_ANY;
	} else if (cli_has(a, host)) {
		out->kind = CTX_ADDR_HOST;
		out->ip = cli_ip(a, host);
		out->mask = 0xffffffffu;
	} else if (cli_has(a, net)) {
		out->kind = CTX_ADDR_NET;
		out->ip = cli_ip(a, net);
		out->mask = cli_ip(a, mask);
		if (out->ip & ~out->mask)
			return -EINVAL;
	} else if (cli_has(a, obj)) {
		out->kind = CTX_ADDR_OBJECT;
		snprintf(out->object, sizeof out->object, "%s", cli_str(a, obj));
		if (!ctx_config_object(cfg(s), out->object, false))
			return -ENOENT;
	}
	return 0;
}

static int get_port(const struct cli_args *a, char p, struct ctx_port *out)
{
	static const struct { const char *kw; enum ctx_port_op op; } ops[] = {
		{ "eq", CTX_PORT_EQ }, { "neq", CTX_PORT_NEQ },
		{ "lt", CTX_PORT_LT }, { "gt", CTX_PORT_GT },
		{ "range", CTX_PORT_RANGE },
	};
	char key[16], val[16], val2[16];
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		snprintf(key, sizeof key, "%c%s", p, ops[i].kw);
		if (!cli_has(a, key))
			continue;
		out->op = ops[i].op;
		snprintf(val, sizeof val, "%c%s", p,
			 out->op == CTX_PORT_RANGE ? "rlo" : "port");
		snprintf(val2, sizeof val2, "%crhi", p);
		snprintf(out->text, sizeof out->text, "%s", cli_str(a, val));
		out->lo = ctx_rt_port_parse(out->text);
		if (out->lo < 0)
			return -EINVAL;
		out->hi = out->lo;
		if (out->op == CTX_PORT_RANGE) {
			snprintf(out->text2, sizeof out->text2, "%s", cli_str(a, val2));
			out->hi = ctx_rt_port_parse(out->text2);
			if (out->hi < out->lo)
				return -EINVAL;
		}
	}
	return 0;
}

static enum cli_status h_acl(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_ace ace;
	struct buf snap;
	memset(&ace, 0, sizeof ace);
	const char *acl = cli_str(a, "acl");
	if (strlen(acl) >= CTX_NAME_MAX)
		return cli_error_at(s, a, "acl");
	snprintf(ace.acl, sizeof ace.acl, "%s", acl);
	ace.permit = cli_has(a, "permit");
	const char *proto = cli_str(a, "proto");
	if (ctx_rt_proto_parse(proto) < -1 || strlen(proto) >= sizeof ace.proto)
		return cli_error_at(s, a, "proto");
	snprintf(ace.proto, sizeof ace.proto, "%s", proto);
	int rc = get_addr(s, a, 's', &ace.src);
	if (rc == -ENOENT)
		return cli_error(s, "Object %s does not exist", cli_str(a, "sobj"));
	if (rc < 0)
		return cli_error(s, "IP address and mask inconsistent in "
				 "source %s", cli_str(a, "snet"));
	rc = get_addr(s, a, 'd', &ace.dst);
	if (rc == -ENOENT)
		return cli_error(s, "Object %s does not exist", cli_str(a, "dobj"));
	if (rc < 0)
		return cli_error(s, "IP address and mask inconsistent in "
				 "destination %s", cli_str(a, "dnet"));
	if (get_port(a, 's', &ace.sport) < 0)
		return cli_error_at(s, a, "sport");
	if (get_port(a, 'd', &ace.dport) < 0)
		return cli_error_at(s, a, "dport");
	bool ports = ace.sport.op || ace.dport.op;
	if (ports && strcmp(proto, "tcp") && strcmp(proto, "udp") &&
	    strcmp(proto, "6") && strcmp(proto, "17"))
		return cli_error(s, "Port operators need protocol tcp or udp");
	snap_take(s, &snap);
	if (cli_negated(a)) {
		if (!ctx_config_ace_remove(cfg(s), &ace, false)) {
			buf_free(&snap);
			return cli_error(s, "Specified access-list entry does not exist");
		}
	} else {
		ctx_config_ace_add(cfg(s), &ace);
	}
	return commit(s, &snap);
}

static enum cli_status h_acl_remark(struct cli_session *s,
				    const struct cli_args *a)
{
	struct ctx_ace ace;
	memset(&ace, 0, sizeof ace);
	snprintf(ace.acl, sizeof ace.acl, "%s", cli_str(a, "acl"));
	ace.remark = true;
	snprintf(ace.remark_text, sizeof ace.remark_text, "%s", cli_str(a, "text"));
	if (cli_negated(a))
		ctx_config_ace_remove(cfg(s), &ace, false);
	else
		ctx_config_ace_add(cfg(s), &ace);
	return CLI_OK;
}

static enum cli_status h_no_acl(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_ace ace;
	struct buf snap;
	memset(&ace, 0, sizeof ace);
	snprintf(ace.acl, sizeof ace.acl, "%s", cli_str(a, "acl"));
	struct ctx_config *c = cfg(s);
	for (size_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].acl, ace.acl) == 0)
			return cli_error(s, "access-list %s is in use by "
					 "access-group on %s", ace.acl,
					 c->groups[i].nameif);
	snap_take(s, &snap);
	if (!ctx_config_ace_remove(c, &ace, true)) {
		buf_free(&snap);
		return cli_error(s, "access-list %s does not exist", ace.acl);
	}
	return commit(s, &snap);
}

static enum cli_status h_access_group(struct cli_session *s,
				      const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	struct buf snap;
	const char *acl = cli_str(a, "acl"), *nameif = cli_str(a, "nameif");
	bool out = cli_has(a, "out");
	size_t i;
	for (i = 0; i < c->ngroups; i++)
		if (!strcmp(c->groups[i].nameif, nameif) && c->groups[i].out == out)
			break;
	if (cli_negated(a)) {
		if (i == c->ngroups || strcmp(c->groups[i].acl, acl))
			return cli_error(s, "access-group %s is not bound to %s",
					 acl, nameif);
		snap_take(s, &snap);
		array_remove(c->groups, &c->ngroups, sizeof *c->groups, i);
		return commit(s, &snap);
	}
	if (!ctx_config_acl_exists(c, acl))
		return cli_error(s, "access-list %s does not exist", acl);
	if (!ctx_config_nameif(c, nameif))
		return cli_error_at(s, a, "nameif");
	snap_take(s, &snap);
	if (i == c->ngroups)
		array_grow(&c->groups, &c->ngroups, sizeof *c->groups);
	snprintf(c->groups[i].acl, CTX_NAME_MAX, "%s", acl);
	snprintf(c->groups[i].nameif, CTX_NAME_MAX, "%s", nameif);
	c->groups[i].out = out;
	return commit(s, &snap);
}

/* ------------------------------------------------------------------ */
/* NAT                                                                 */

/* "(inside,outside)" -> two nameifs that exist. */
static int ifpair(struct ctx_config *c, const char *w, char *real, char *mapped)
{
	const char *comma = strchr(w, ',');
	size_t n = strlen(w);
	if (w[0] != '(' || n < 5 || w[n - 1] != ')' || !comma)
		return -EINVAL;
	snprintf(real, CTX_NAME_MAX, "%.*s", (int)(comma - w - 1), w + 1);
	snprintf(mapped, CTX_NAME_MAX, "%.*s", (int)(w + n - 1 - comma - 1),
		 comma + 1);
	if (!ctx_config_nameif(c, real) || !ctx_config_nameif(c, mapped))
		return -ENOENT;
	return 0;
}

static enum cli_status h_static(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	struct ctx_static st;
	struct buf snap;
	memset(&st, 0, sizeof st);
	if (ifpair(c, cli_str(a, "ifpair"), st.real_if, st.mapped_if) < 0)
		return cli_error_at(s, a, "ifpair");
	st.mapped = cli_ip(a, "mapped");
	st.real = cli_ip(a, "real");
	st.mask = cli_ip(a, "mask");
	if ((st.mapped & ~st.mask) && st.mask != 0xffffffffu)
		return cli_error(s, "Mapped address and netmask are inconsistent");
	size_t i;
	for (i = 0; i < c->nstatics; i++)
		if (c->statics[i].mapped == st.mapped &&
		    !strcmp(c->statics[i].mapped_if, st.mapped_if))
			break;
	snap_take(s, &snap);
	if (cli_negated(a)) {
		if (i == c->nstatics) {
			buf_free(&snap);
			return cli_error(s, "static does not exist");
		}
		array_remove(c->statics, &c->nstatics, sizeof *c->statics, i);
		return commit(s, &snap);
	}
	if (i == c->nstatics)
		array_grow(&c->statics, &c->nstatics, sizeof *c->statics);
	c->statics[i] = st;
	return commit(s, &snap);
}

static enum cli_status h_object(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	const char *name = cli_str(a, "name");
	if (strlen(name) >= CTX_NAME_MAX)
		return cli_error_at(s, a, "name");
	if (cli_negated(a)) {
		for (size_t i = 0; i < c->naces; i++)
			if ((c->aces[i].src.kind == CTX_ADDR_OBJECT &&
			     !strcmp(c->aces[i].src.object, name)) ||
			    (c->aces[i].dst.kind == CTX_ADDR_OBJECT &&
			     !strcmp(c->aces[i].dst.object, name)))
				return cli_error(s, "Object %s is in use", name);
		struct buf snap;
		snap_take(s, &snap);
		for (size_t i = 0; i < c->nobjects; i++)
			if (!strcmp(c->objects[i].name, name)) {
				array_remove(c->objects, &c->nobjects, sizeof *c->objects, i);
				return commit(s, &snap);
			}
		buf_free(&snap);
		return cli_error(s, "Object %s does not exist", name);
	}
	ctx_config_object(c, name, true);
	cli_set_mode(s, CLI_MODE_OBJECT, name);
	return CLI_OK;
}

static enum cli_status h_obj_addr(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_object *o = ctx_config_object(cfg(s), cli_mode_object(s), false);
	struct buf snap;
	if (!o)
		return cli_error(s, "Object no longer exists");
	uint32_t x, y = 0;
	enum ctx_obj_kind kind;
	if (cli_has(a, "host")) {
		kind = CTX_OBJ_HOST;
		x = cli_ip(a, "hip");
	} else if (cli_has(a, "subnet")) {
		kind = CTX_OBJ_SUBNET;
		x = cli_ip(a, "net");
		y = cli_ip(a, "mask");
		if (x & ~y)
			return cli_error(s, "IP address and mask inconsistent");
	} else {
		kind = CTX_OBJ_RANGE;
		x = cli_ip(a, "lo");
		y = cli_ip(a, "hi");
		if (y < x)
			return cli_error(s, "Range end is below its start");
	}
	snap_take(s, &snap);
	o = ctx_config_object(cfg(s), cli_mode_object(s), false);
	o->kind = kind;
	o->a = x;
	o->b = y;
	return commit(s, &snap);
}

static enum cli_status h_obj_nat(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	struct ctx_object *o = ctx_config_object(c, cli_mode_object(s), false);
	struct buf snap;
	char real[CTX_NAME_MAX], mapped[CTX_NAME_MAX];
	if (!o)
		return cli_error(s, "Object no longer exists");
	if (cli_negated(a)) {
		snap_take(s, &snap);
		o = ctx_config_object(c, cli_mode_object(s), false);
		o->has_nat = false;
		return commit(s, &snap);
	}
	if (ifpair(c, cli_str(a, "ifpair"), real, mapped) < 0)
		return cli_error_at(s, a, "ifpair");
	if (o->kind == CTX_OBJ_NONE)
		return cli_error(s, "Object %s has no address; configure host, "
				 "subnet or range first", o->name);
	bool is_static = cli_has(a, "static");
	if (is_static && cli_has(a, "interface") && o->kind != CTX_OBJ_HOST)
		return cli_error(s, "Static interface NAT needs a host object");
	snap_take(s, &snap);
	o = ctx_config_object(c, cli_mode_object(s), false);
	o->has_nat = true;
	snprintf(o->real_if, sizeof o->real_if, "%s", real);
	snprintf(o->mapped_if, sizeof o->mapped_if, "%s", mapped);
	o->nat_static = is_static;
	o->nat_interface = cli_has(a, "interface");
	o->nat_mapped = cli_ip(a, "mapped");
	return commit(s, &snap);
}

/* ------------------------------------------------------------------ */
/* timeouts                                                            */

static enum cli_status h_timeout(struct cli_session *s, const struct cli_args *a)
{
	struct ctx_config *c = cfg(s);
	struct buf snap;
	char copy[CTX_TEXT_MAX];
	long values[CTX_TO_MAX];
	bool set[CTX_TO_MAX] = { false };
	bool unknown = false;

	snprintf(copy, sizeof copy, "%s", cli_str(a, "pairs"));
	char *save = NULL;
	for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char *v = strtok_r(NULL, " ", &save);
		int t;
		for (t = 0; t < CTX_TO_MAX; t++)
			if (!strcmp(k, ctx_timeout_name(t)))
				break;
		if (t == CTX_TO_MAX) {
			unknown = true;   /* sunrpc, h323, uauth... kept verbatim */
			continue;
		}
		if (!v || cli_parse_hhmmss(v, &values[t]) < 0)
			return cli_error(s, "Invalid timeout value for %s", k);
		set[t] = true;
	}
	if (unknown) {
		char line[CTX_TEXT_MAX + 16];
		snprintf(line, sizeof line, "timeout %s", cli_str(a, "pairs"));
		if (cli_negated(a))
			ctx_config_verbatim_remove(c, line);
		else
			ctx_config_verbatim_add(c, line);
		return CLI_OK;
	}
	snap_take(s, &snap);
	for (int t = 0; t < CTX_TO_MAX; t++)
		if (set[t])
			c->timeouts[t] = cli_negated(a) ? ctx_timeout_default[t] :
					 values[t];
	return commit(s, &snap);
}

/* ------------------------------------------------------------------ */
/* show (read from the kernel)                                         */

static enum cli_status show(struct cli_session *s, enum ctx_rt_show what,
			    const char *arg)
{
	struct buf msg;
	buf_init(&msg);
	int rc = unit_context_show(UNIT(s), cli_context(s), what, arg, cli_out(s),
				   &msg);
	enum cli_status st = CLI_OK;
	if (rc < 0)
		st = cli_error(s, "%s", msg.len ? msg.data : strerror(-rc));
	buf_free(&msg);
	return st;
}

static enum cli_status h_show_if_brief(struct cli_session *s,
				       const struct cli_args *a)
{
	return show(s, cli_has(a, "brief") ? CTX_SHOW_IP_BRIEF : CTX_SHOW_INTERFACE,
		    NULL);
}
static enum cli_status h_show_nameif(struct cli_session *s, const struct cli_args *a)
{
	return show(s, CTX_SHOW_NAMEIF, NULL);
}
static enum cli_status h_show_route(struct cli_session *s, const struct cli_args *a)
{
	return show(s, CTX_SHOW_ROUTE, NULL);
}
static enum cli_status h_show_arp(struct cli_session *s, const struct cli_args *a)
{
	return show(s, CTX_SHOW_ARP, NULL);
}
static enum cli_status h_show_acl(struct cli_session *s, const struct cli_args *a)
{
	return show(s, CTX_SHOW_ACCESS_LIST, cli_str(a, "acl"));
}
static enum cli_status h_show_conn(struct cli_session *s, const struct cli_args *a)
{
	return show(s, cli_has(a, "count") ? CTX_SHOW_CONN_COUNT :
		    cli_has(a, "detail") ? CTX_SHOW_CONN_DETAIL : CTX_SHOW_CONN,
		    NULL);
}
static enum cli_status h_show_xlate(struct cli_session *s, const struct cli_args *a)
{
	return show(s, CTX_SHOW_XLATE, NULL);
}
static enum cli_status h_show_resource(struct cli_session *s,
				       const struct cli_args *a)
{
	return show(s, CTX_SHOW_RESOURCE, NULL);
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

#define CTX CLI_F_CTX
#define CFG CLI_F_CONFIG
#define REPL CLI_F_REPLICATE
#define NO CLI_F_NO
#define NOS CLI_F_NO_SHORT
#define H(...) (const struct cli_help[]){ __VA_ARGS__, { NULL, NULL } }

#define ADDR(p) \
	"{ any:" p "any | host:" p "hostkw A.B.C.D:" p "host | A.B.C.D:" p "net MASK:" p "mask" \
	" | object:" p "objkw WORD:" p "obj }"
#define PORT(p) \
	"[ { eq:" p "eq | neq:" p "neq | lt:" p "lt | gt:" p "gt } WORD:" p "port" \
	" | range:" p "range WORD:" p "rlo WORD:" p "rhi ]"
#define ADDR_HELP(p, what) \
	{ p "any", "Any " what " address" }, { p "hostkw", "A single " what " host" }, \
	{ p "host", what " host address" }, { p "net", what " network" }, \
	{ p "mask", what " netmask" }, { p "objkw", "A network object" }, \
	{ p "obj", "Object name" }
#define PORT_HELP(p, what) \
	{ p "eq", what " port equal to" }, { p "neq", what " port not equal to" }, \
	{ p "lt", what " port less than" }, { p "gt", what " port greater than" }, \
	{ p "range", what " port range" }, { p "port", "Port number or name (www, https, ...)" }, \
	{ p "rlo", "Lower port of the range" }, { p "rhi", "Upper port of the range" }

const struct cli_cmd ctx_cmds[] = {
	{ "interface WORD:ifname", H({ "ifname", "Interface allocated to this context" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_interface },
	{ "nameif WORD:name", H({ "name", "Name of the interface (up to 48 characters)" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_nameif },
	{ "security-level <0-100>:level", H({ "level", "Security level (0-100)" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_seclevel },
	{ "ip address A.B.C.D:addr MASK:mask [standby A.B.C.D:sbip]",
	  H({ "addr", "IP address" }, { "mask", "Netmask" },
	    { "sbip", "Standby IP address" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_ip_address },
	{ "mac-address WORD:mac [standby WORD:smac]",
	  H({ "mac", "Active MAC address H.H.H" },
	    { "standby", "Standby MAC address" }, { "smac", "Standby MAC H.H.H" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_if_mac },
	{ "shutdown", NULL, CLI_M_IF, CTX | CFG | REPL | NO, h_if_shutdown },
	{ "description LINE:text", H({ "text", "Up to 240 characters" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_if_desc },
	{ "mtu <64-9198>:bytes", H({ "bytes", "MTU in bytes" }),
	  CLI_M_IF, CTX | CFG | REPL | NO | NOS, h_if_mtu },
	{ "mtu WORD:nameif <64-9198>:bytes",
	  H({ "nameif", "Interface name" }, { "bytes", "MTU in bytes" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO | NOS, h_mtu },
	{ "monitor-interface WORD:nameif", H({ "nameif", "Interface name" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_monitor },
	{ "route WORD:nameif A.B.C.D:net MASK:mask A.B.C.D:gw [<1-255>:metric]",
	  H({ "nameif", "Interface name" }, { "net", "Destination network" },
	    { "mask", "Destination netmask" }, { "gw", "Gateway" },
	    { "metric", "Distance metric" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_route },
	{ "access-list WORD:acl extended { permit | deny } WORD:proto "
	  ADDR("s") " " PORT("s") " " ADDR("d") " " PORT("d"),
	  H({ "acl", "Access list name" },
	    { "proto", "ip, tcp, udp, icmp or a protocol number" },
	    ADDR_HELP("s", "Source"), PORT_HELP("s", "Source"),
	    ADDR_HELP("d", "Destination"), PORT_HELP("d", "Destination")),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_acl },
	{ "access-list WORD:acl remark LINE:text",
	  H({ "acl", "Access list name" }, { "remark", "Comment" },
	    { "text", "Up to 100 characters" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_acl_remark },
	{ "access-list WORD:acl", H({ "acl", "Access list name" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO | CLI_F_NO_ONLY, h_no_acl },
	{ "access-group WORD:acl { in | out } interface WORD:nameif",
	  H({ "acl", "Access list name" }, { "out", "Filter outgoing traffic" },
	    { "nameif", "Interface name" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_access_group },
	{ "static WORD:ifpair A.B.C.D:mapped A.B.C.D:real netmask MASK:mask",
	  H({ "ifpair", "(real_ifc,mapped_ifc)" }, { "mapped", "Mapped address" },
	    { "real", "Real address" }, { "mask", "Netmask" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_static },
	{ "object network WORD:name", H({ "name", "Object name" }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_object },
	{ "{ host A.B.C.D:hip | subnet A.B.C.D:net MASK:mask | range A.B.C.D:lo A.B.C.D:hi }",
	  H({ "hip", "Host address" }, { "subnet", "A subnet" },
	    { "net", "Network" }, { "mask", "Netmask" },
	    { "range", "An address range" }, { "lo", "First address" },
	    { "hi", "Last address" }),
	  CLI_M_OBJECT, CTX | CFG | REPL, h_obj_addr },
	{ "nat WORD:ifpair { static | dynamic } { A.B.C.D:mapped | interface }",
	  H({ "ifpair", "(real_ifc,mapped_ifc)" },
	    { "dynamic", "Dynamic NAT/PAT" }, { "mapped", "Mapped address" },
	    { "interface", "Use the mapped interface's address" },
	    { "static", "Static NAT" }),
	  CLI_M_OBJECT, CTX | CFG | REPL | NO | NOS, h_obj_nat },
	{ "timeout LINE:pairs",
	  H({ "pairs", "conn|udp|xlate|half-closed|icmp hh:mm:ss ..." }),
	  CLI_M_CONFIG, CTX | CFG | REPL | NO, h_timeout },

	{ "show interface [ip brief]", H({ "brief", "Brief summary" }),
	  CLI_M_ANYPRIV, CTX, h_show_if_brief },
	{ "show nameif", NULL, CLI_M_ANYPRIV, CTX, h_show_nameif },
	{ "show route", NULL, CLI_M_ANYPRIV, CTX, h_show_route },
	{ "show arp", H({ "arp", "ARP table" }), CLI_M_ANYPRIV, CTX, h_show_arp },
	{ "show access-list [WORD:acl]", H({ "acl", "Access list name" }),
	  CLI_M_ANYPRIV, CTX, h_show_acl },
	{ "show conn [count | detail]",
	  H({ "conn", "Connections" }, { "count", "Number of connections" }),
	  CLI_M_ANYPRIV, CTX, h_show_conn },
	{ "show xlate", H({ "xlate", "Translations" }), CLI_M_ANYPRIV, CTX, h_show_xlate },
	{ "show resource usage", H({ "resource", "Resource usage" },
				   { "usage", "Current usage" }),
	  CLI_M_ANYPRIV, CTX, h_show_resource },
	{ NULL, NULL, 0, 0, NULL },
};
