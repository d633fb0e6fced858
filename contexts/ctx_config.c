/*
 * ctx_config: see ctx_config.h.  The writer follows ASA's order for a
 * context: hostname, interfaces, objects, access lists, per-interface
 * global lines (mtu, monitor-interface), NAT, access groups, routes,
 * timeouts, then kept blocks (class-map, policy-map, service-policy).
 */
#include "contexts/ctx_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/cli.h"
#include "system/sys_array.h"
#include "system/sys_config.h"

const long ctx_timeout_default[CTX_TO_MAX] = {
	[CTX_TO_XLATE] = 3 * 3600,
	[CTX_TO_CONN] = 3600,
	[CTX_TO_HALF_CLOSED] = 600,
	[CTX_TO_UDP] = 120,
	[CTX_TO_ICMP] = 2,
};

static const char *const timeout_names[CTX_TO_MAX] = {
	[CTX_TO_XLATE] = "xlate",
	[CTX_TO_CONN] = "conn",
	[CTX_TO_HALF_CLOSED] = "half-closed",
	[CTX_TO_UDP] = "udp",
	[CTX_TO_ICMP] = "icmp",
};

const char *ctx_timeout_name(enum ctx_timeout t)
{
	return (unsigned)t < CTX_TO_MAX ? timeout_names[t] : "?";
}

struct ctx_config *ctx_config_create(const char *name)
{
	struct ctx_config *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	snprintf(c->name, sizeof c->name, "%s", name);
	ctx_config_clear(c);
	return c;
}

static void free_contents(struct ctx_config *c)
{
	free(c->ifaces);
	free(c->aces);
	free(c->groups);
	free(c->routes);
	free(c->statics);
	free(c->objects);
	for (size_t i = 0; i < c->nverbatim; i++)
		free(c->verbatim[i]);
	free(c->verbatim);
}

void ctx_config_clear(struct ctx_config *c)
{
	char name[CTX_NAME_MAX];
	snprintf(name, sizeof name, "%s", c->name);
	free_contents(c);
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->hostname, sizeof c->hostname, "%s", name);
	memcpy(c->timeouts, ctx_timeout_default, sizeof c->timeouts);
}

void ctx_config_destroy(struct ctx_config *c)
{
	if (!c)
		return;
	free_contents(c);
	free(c);
}

struct ctx_iface *ctx_config_iface(struct ctx_config *c, const char *name,
				   bool create)
{
	for (size_t i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	if (!create)
		return NULL;
	struct ctx_iface *f = array_grow(&c->ifaces, &c->nifaces, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->security_level = -1;
	return f;
}

/* Drops what names NAMEIF: routes, access-groups, statics and object NAT
 * through it.  As on ASA, a deallocated interface takes the commands that
 * used it along (they could not be applied, nor replayed, without it). */
static void drop_nameif_refs(struct ctx_config *c, const char *nameif)
{
	for (size_t i = c->nroutes; i-- > 0;)
		if (!strcmp(c->routes[i].nameif, nameif))
			array_remove(c->routes, &c->nroutes, sizeof *c->routes, i);
	for (size_t i = c->ngroups; i-- > 0;)
		if (!strcmp(c->groups[i].nameif, nameif))
			array_remove(c->groups, &c->ngroups, sizeof *c->groups, i);
	for (size_t i = c->nstatics; i-- > 0;)
		if (!strcmp(c->statics[i].real_if, nameif) ||
		    !strcmp(c->statics[i].mapped_if, nameif))
			array_remove(c->statics, &c->nstatics, sizeof *c->statics, i);
	for (size_t i = 0; i < c->nobjects; i++)
		if (c->objects[i].has_nat &&
		    (!strcmp(c->objects[i].real_if, nameif) ||
		     !strcmp(c->objects[i].mapped_if, nameif)))
			c->objects[i].has_nat = false;
}

bool ctx_config_iface_remove(struct ctx_config *c, const char *name)
{
	for (size_t i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0) {
			char nameif[CTX_NAME_MAX];
			snprintf(nameif, sizeof nameif, "%s", c->ifaces[i].nameif);
			array_remove(c->ifaces, &c->nifaces, sizeof *c->ifaces, i);
			if (nameif[0])
				drop_nameif_refs(c, nameif);
			return true;
		}
	return false;
}

struct ctx_iface *ctx_config_nameif(struct ctx_config *c, const char *nameif)
{
	for (size_t i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].nameif[0] &&
		    strcmp(c->ifaces[i].nameif, nameif) == 0)
			return &c->ifaces[i];
	return NULL;
}

static bool ace_equal(const struct ctx_ace *a, const struct ctx_ace *b)
{
	struct buf x, y;
	buf_init(&x);
	buf_init(&y);
	ctx_ace_format(a, &x);
	ctx_ace_format(b, &y);
	bool eq = strcmp(x.data, y.data) == 0;
	buf_free(&x);
	buf_free(&y);
	return eq;
}

void ctx_config_ace_add(struct ctx_config *c, const struct ctx_ace *ace)
{
	for (size_t i = 0; i < c->naces; i++)
		if (ace_equal(&c->aces[i], ace))
			return;   /* ASA ignores a duplicate ACE */
	struct ctx_ace *slot = array_grow(&c->aces, &c->naces, sizeof *slot);
	*slot = *ace;
}

size_t ctx_config_ace_remove(struct ctx_config *c, const struct ctx_ace *ace,
			     bool whole)
{
	size_t removed = 0;
	for (size_t i = 0; i < c->naces;) {
		bool hit = whole ? strcmp(c->aces[i].acl, ace->acl) == 0 :
			   ace_equal(&c->aces[i], ace);
		if (hit) {
			array_remove(c->aces, &c->naces, sizeof *c->aces, i);
			removed++;
		} else {
			i++;
		}
	}
	return removed;
}

bool ctx_config_acl_exists(const struct ctx_config *c, const char *acl)
{
	for (size_t i = 0; i < c->naces; i++)
		if (strcmp(c->aces[i].acl, acl) == 0)
			return true;
	return false;
}

struct ctx_object *ctx_config_object(struct ctx_config *c, const char *name,
				     bool create)
{
	for (size_t i = 0; i < c->nobjects; i++)
		if (strcmp(c->objects[i].name, name) == 0)
			return &c->objects[i];
	if (!create)
		return NULL;
	struct ctx_object *o = array_grow(&c->objects, &c->nobjects, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", name);
	return o;
}

void ctx_config_verbatim_add(struct ctx_config *c, const char *line)
{
	for (size_t i = 0; i < c->nverbatim; i++) {
		const char *v = c->verbatim[i];
		size_t n = strlen(line);
		/* A block re-entered: same first line. */
		if (strncmp(v, line, n) == 0 && (v[n] == '\0' || v[n] == '\n')) {
			/* Move it last so continuation lines land in it. */
			char *keep = c->verbatim[i];
			array_remove(c->verbatim, &c->nverbatim,
				  sizeof *c->verbatim, i);
			char **slot = array_grow(&c->verbatim, &c->nverbatim,
					   sizeof *slot);
			*slot = keep;
			return;
		}
	}
	char **slot = array_grow(&c->verbatim, &c->nverbatim, sizeof *slot);
	*slot = strdup(line);
	if (!*slot)
		abort();
}

bool ctx_config_verbatim_remove(struct ctx_config *c, const char *line)
{
	size_t n = strlen(line);
	for (size_t i = 0; i < c->nverbatim; i++) {
		const char *v = c->verbatim[i];
		if (strncmp(v, line, n) == 0 && (v[n] == '\0' || v[n] == '\n')) {
			free(c->verbatim[i]);
			array_remove(c->verbatim, &c->nverbatim,
				  sizeof *c->verbatim, i);
			return true;
		}
	}
	return false;
}

void ctx_config_verbatim_append(struct ctx_config *c, const char *line)
{
	if (!c->nverbatim)
		return;
	char **last = &c->verbatim[c->nverbatim - 1];
	/* Already there (a block pasted twice): keep one copy. */
	size_t n = strlen(line);
	for (const char *p = strchr(*last, '\n'); p; p = strchr(p + 1, '\n'))
		if (strncmp(p + 1, line, n) == 0 &&
		    (p[1 + n] == '\0' || p[1 + n] == '\n'))
			return;
	size_t len = strlen(*last);
	char *grown = realloc(*last, len + n + 2);
	if (!grown)
		abort();
	grown[len] = '\n';
	memcpy(grown + len + 1, line, n + 1);
	*last = grown;
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

static void write_addr(const struct ctx_addr *a, struct buf *b)
{
	char x[16], y[16];
	switch (a->kind) {
	case CTX_ADDR_ANY:
		buf_puts(b, " any");
		break;
	case CTX_ADDR_HOST:
		buf_printf(b, " host %s", cli_ip_str(a->ip, x));
		break;
	case CTX_ADDR_NET:
		buf_printf(b, " %s %s", cli_ip_str(a->ip, x),
			   cli_ip_str(a->mask, y));
		break;
	case CTX_ADDR_OBJECT:
		buf_printf(b, " object %s", a->object);
		break;
	}
}

static void write_port(const struct ctx_port *p, struct buf *b)
{
	static const char *const ops[] = { "", "eq", "neq", "lt", "gt",
					   "range" };
	if (p->op == CTX_PORT_NONE)
		return;
	buf_printf(b, " %s %s", ops[p->op], p->text);
	if (p->op == CTX_PORT_RANGE)
		buf_printf(b, " %s", p->text2);
}

void ctx_ace_format(const struct ctx_ace *a, struct buf *b)
{
	if (a->remark) {
		buf_printf(b, "access-list %s remark %s", a->acl, a->remark_text);
		return;
	}
	buf_printf(b, "access-list %s extended %s %s", a->acl,
		   a->permit ? "permit" : "deny", a->proto);
	write_addr(&a->src, b);
	write_port(&a->sport, b);
	write_addr(&a->dst, b);
	write_port(&a->dport, b);
}

static bool verbatim_early(const char *v)
{
	return strncmp(v, "enable ", 7) == 0 || strcmp(v, "names") == 0 ||
	       strncmp(v, "domain-name", 11) == 0;
}

static bool verbatim_late(const char *v)
{
	return strchr(v, '\n') || strncmp(v, "class-map", 9) == 0 ||
	       strncmp(v, "policy-map", 10) == 0 ||
	       strncmp(v, "service-policy", 14) == 0;
}

static void write_body(const struct ctx_config *c, unsigned flags,
		       struct buf *b)
{
	char x[16], y[16], z[16];
	bool all = flags & CTX_WRITE_ALL;

	buf_printf(b, "hostname %s\n", c->hostname);
	for (size_t i = 0; i < c->nverbatim; i++)
		if (verbatim_early(c->verbatim[i]))
			buf_printf(b, "%s\n", c->verbatim[i]);
	buf_puts(b, "!\n");
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct ctx_iface *f = &c->ifaces[i];
		buf_printf(b, "interface %s\n", f->name);
		if (f->description[0])
			buf_printf(b, " description %s\n", f->description);
		if (f->shutdown)
			buf_puts(b, " shutdown\n");
		if (f->nameif[0])
			buf_printf(b, " nameif %s\n", f->nameif);
		else
			buf_puts(b, " no nameif\n");
		if (f->security_level >= 0)
			buf_printf(b, " security-level %d\n", f->security_level);
		else
			buf_puts(b, " no security-level\n");
		if (f->has_mac) {
			char m1[15], m2[15];
			sys_format_mac(f->mac, m1);
			buf_printf(b, " mac-address %s", m1);
			if (f->has_mac_standby) {
				sys_format_mac(f->mac_standby, m2);
				buf_printf(b, " standby %s", m2);
			}
			buf_puts(b, "\n");
		}
		if (f->has_ip) {
			buf_printf(b, " ip address %s %s", cli_ip_str(f->ip, x),
				   cli_ip_str(f->mask, y));
			if (f->standby)
				buf_printf(b, " standby %s",
					   cli_ip_str(f->standby, z));
			buf_puts(b, "\n");
		} else {
			buf_puts(b, " no ip address\n");
		}
		buf_puts(b, "!\n");
	}
	for (size_t i = 0; i < c->nobjects; i++) {
		const struct ctx_object *o = &c->objects[i];
		buf_printf(b, "object network %s\n", o->name);
		if (o->kind == CTX_OBJ_HOST)
			buf_printf(b, " host %s\n", cli_ip_str(o->a, x));
		else if (o->kind == CTX_OBJ_SUBNET)
			buf_printf(b, " subnet %s %s\n", cli_ip_str(o->a, x),
				   cli_ip_str(o->b, y));
		else if (o->kind == CTX_OBJ_RANGE)
			buf_printf(b, " range %s %s\n", cli_ip_str(o->a, x),
				   cli_ip_str(o->b, y));
		if (o->has_nat) {
			buf_printf(b, " nat (%s,%s) %s ", o->real_if,
				   o->mapped_if,
				   o->nat_static ? "static" : "dynamic");
			if (o->nat_interface)
				buf_puts(b, "interface\n");
			else
				buf_printf(b, "%s\n",
					   cli_ip_str(o->nat_mapped, x));
		}
	}
	for (size_t i = 0; i < c->naces; i++) {
		ctx_ace_format(&c->aces[i], b);
		buf_puts(b, "\n");
	}
	for (size_t i = 0; i < c->nverbatim; i++)
		if (!verbatim_early(c->verbatim[i]) &&
		    !verbatim_late(c->verbatim[i]))
			buf_printf(b, "%s\n", c->verbatim[i]);
	for (size_t i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].nameif[0] && (c->ifaces[i].mtu || all))
			buf_printf(b, "mtu %s %d\n", c->ifaces[i].nameif,
				   c->ifaces[i].mtu ? c->ifaces[i].mtu : 1500);
	for (size_t i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].nameif[0] && c->ifaces[i].monitored)
			buf_printf(b, "monitor-interface %s\n",
				   c->ifaces[i].nameif);
	for (size_t i = 0; i < c->nstatics; i++) {
		const struct ctx_static *st = &c->statics[i];
		buf_printf(b, "static (%s,%s) %s %s netmask %s\n", st->real_if,
			   st->mapped_if, cli_ip_str(st->mapped, x),
			   cli_ip_str(st->real, y), cli_ip_str(st->mask, z));
	}
	for (size_t i = 0; i < c->ngroups; i++)
		buf_printf(b, "access-group %s %s interface %s\n",
			   c->groups[i].acl, c->groups[i].out ? "out" : "in",
			   c->groups[i].nameif);
	for (size_t i = 0; i < c->nroutes; i++) {
		const struct ctx_cfg_route *r = &c->routes[i];
		buf_printf(b, "route %s %s %s %s %d\n", r->nameif,
			   cli_ip_str(r->net, x), cli_ip_str(r->mask, y),
			   cli_ip_str(r->gw, z), r->metric ? r->metric : 1);
	}
	char t[5][24];
	for (int k = 0; k < CTX_TO_MAX; k++)
		cli_format_hhmmss(c->timeouts[k], t[k], sizeof t[k]);
	buf_printf(b, "timeout xlate %s\n", t[CTX_TO_XLATE]);
	buf_printf(b, "timeout conn %s half-closed %s udp %s icmp %s\n",
		   t[CTX_TO_CONN], t[CTX_TO_HALF_CLOSED], t[CTX_TO_UDP],
		   t[CTX_TO_ICMP]);
	for (size_t i = 0; i < c->nverbatim; i++)
		if (verbatim_late(c->verbatim[i]))
			buf_printf(b, "%s\n", c->verbatim[i]);
}

void ctx_config_write(const struct ctx_config *c, const char *version,
		      unsigned flags, struct buf *out)
{
	if (flags & CTX_WRITE_BODY) {
		write_body(c, flags, out);
		return;
	}
	struct buf body;
	char hex[33];
	buf_init(&body);
	write_body(c, flags, &body);
	sys_config_md5(body.data, body.len, hex);
	buf_printf(out, ": Saved\n:\nASA Version %s <context>\n!\n", version);
	buf_add(out, body.data, body.len);
	buf_printf(out, "Cryptochecksum:%s\n: end\n", hex);
	buf_free(&body);
}
