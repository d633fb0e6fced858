/*
 * sys_config: see sys_config.h.  The writer follows the order an ASA
 * prints its system configuration in (hostname, interfaces, classes,
 * failover, contexts, prompt), so an operator finds things where expected
 * and the output pasted into a fresh unit prints back byte for byte.
 */
#include "system/sys_config.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/cli.h"
#include "system/sys_array.h"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* Grows *arr by one zeroed element of size; returns it. */
struct sys_config *sys_config_create(void)
{
	struct sys_config *c = xcalloc(1, sizeof *c);
	sys_config_clear(c);
	return c;
}

static void free_contents(struct sys_config *c)
{
	for (size_t i = 0; i < c->ncontexts; i++)
		free(c->contexts[i].allocs);
	free(c->contexts);
	for (size_t i = 0; i < c->nclasses; i++)
		free(c->classes[i].limits);
	free(c->classes);
	free(c->ifaces);
	for (size_t i = 0; i < c->nverbatim; i++)
		free(c->verbatim[i]);
	free(c->verbatim);
	for (int g = 0; g < SYS_MAX_GROUPS; g++)
		free(c->fo.groups[g].macs);
}

void sys_config_clear(struct sys_config *c)
{
	free_contents(c);
	memset(c, 0, sizeof *c);
	snprintf(c->hostname, sizeof c->hostname, "ciscoasa");
	for (int g = 0; g < SYS_MAX_GROUPS; g++)
		c->fo.groups[g].pref = SYS_FO_PRIMARY;
}

void sys_config_destroy(struct sys_config *c)
{
	if (!c)
		return;
	free_contents(c);
	free(c);
}

struct sys_iface *sys_config_iface(struct sys_config *c, const char *name,
				   bool create)
{
	for (size_t i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	if (!create)
		return NULL;
	struct sys_iface *f = array_grow(&c->ifaces, &c->nifaces, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->is_sub = strchr(name, '.') != NULL;
	return f;
}

bool sys_config_iface_remove(struct sys_config *c, const char *name)
{
	for (size_t i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0) {
			array_remove(c->ifaces, &c->nifaces, sizeof *c->ifaces, i);
			return true;
		}
	return false;
}

struct sys_context *sys_config_context(struct sys_config *c, const char *name,
				       bool create)
{
	for (size_t i = 0; i < c->ncontexts; i++)
		if (strcmp(c->contexts[i].name, name) == 0)
			return &c->contexts[i];
	if (!create)
		return NULL;
	struct sys_context *x = array_grow(&c->contexts, &c->ncontexts, sizeof *x);
	snprintf(x->name, sizeof x->name, "%s", name);
	return x;
}

bool sys_config_context_remove(struct sys_config *c, const char *name)
{
	for (size_t i = 0; i < c->ncontexts; i++)
		if (strcmp(c->contexts[i].name, name) == 0) {
			free(c->contexts[i].allocs);
			array_remove(c->contexts, &c->ncontexts,
				  sizeof *c->contexts, i);
			return true;
		}
	return false;
}

struct sys_class *sys_config_class(struct sys_config *c, const char *name,
				   bool create)
{
	for (size_t i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].name, name) == 0)
			return &c->classes[i];
	if (!create)
		return NULL;
	struct sys_class *x = array_grow(&c->classes, &c->nclasses, sizeof *x);
	snprintf(x->name, sizeof x->name, "%s", name);
	return x;
}

bool sys_config_class_remove(struct sys_config *c, const char *name)
{
	for (size_t i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].name, name) == 0) {
			free(c->classes[i].limits);
			array_remove(c->classes, &c->nclasses, sizeof *c->classes,
				  i);
			return true;
		}
	return false;
}

void sys_config_verbatim_add(struct sys_config *c, const char *line)
{
	for (size_t i = 0; i < c->nverbatim; i++)
		if (strcmp(c->verbatim[i], line) == 0)
			return;
	char **slot = array_grow(&c->verbatim, &c->nverbatim, sizeof *slot);
	*slot = strdup(line);
	if (!*slot)
		abort();
}

bool sys_config_verbatim_remove(struct sys_config *c, const char *line)
{
	for (size_t i = 0; i < c->nverbatim; i++)
		if (strcmp(c->verbatim[i], line) == 0) {
			free(c->verbatim[i]);
			array_remove(c->verbatim, &c->nverbatim,
				  sizeof *c->verbatim, i);
			return true;
		}
	return false;
}

int sys_config_context_group(const struct sys_config *c,
			     const struct sys_context *ctx)
{
	if (strcmp(ctx->name, c->admin_context) == 0)
		return 1;
	return ctx->group ? ctx->group : 1;
}

struct sys_context *sys_config_alloc_owner(struct sys_config *c,
					   const char *phys)
{
	for (size_t i = 0; i < c->ncontexts; i++)
		for (size_t k = 0; k < c->contexts[i].nallocs; k++)
			if (strcmp(c->contexts[i].allocs[k].phys, phys) == 0)
				return &c->contexts[i];
	return NULL;
}

const char *sys_fo_role_name(enum fo_unit_role r)
{
	return r == SYS_FO_SECONDARY ? "Secondary" :
	       r == SYS_FO_PRIMARY ? "Primary" : "None";
}

int sys_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned a, b, c;
	char tail;
	if (strlen(s) != 14 ||
	    sscanf(s, "%4x.%4x.%4x%c", &a, &b, &c, &tail) != 3)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != '.')
			return -1;
	mac[0] = (uint8_t)(a >> 8); mac[1] = (uint8_t)a;
	mac[2] = (uint8_t)(b >> 8); mac[3] = (uint8_t)b;
	mac[4] = (uint8_t)(c >> 8); mac[5] = (uint8_t)c;
	return 0;
}

void sys_format_mac(const uint8_t m[6], char buf[15])
{
	snprintf(buf, 15, "%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
}

void sys_config_md5(const char *text, size_t len, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(text, len, md, &mdlen, EVP_md5(), NULL);
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[32] = '\0';
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

/* Verbatim lines an ASA prints right after the hostname. */
static bool verbatim_early(const char *line)
{
	return strncmp(line, "enable ", 7) == 0 ||
	       strncmp(line, "domain-name", 11) == 0;
}

static void write_time(struct buf *b, const char *prefix, int ms, bool msec)
{
	if (msec)
		buf_printf(b, "%smsec %d", prefix, ms);
	else
		buf_printf(b, "%s%d", prefix, ms / 1000);
}

static void write_failover(const struct sys_config *c, unsigned flags,
			   struct buf *b)
{
	const struct sys_failover *fo = &c->fo;
	bool all = flags & SYS_WRITE_ALL;
	char a1[16], a2[16], a3[16];

	if (fo->enabled)
		buf_puts(b, "failover\n");
	else if (all)
		buf_puts(b, "no failover\n");
	if (fo->lan_unit)
		buf_printf(b, "failover lan unit %s\n",
			   fo->lan_unit == SYS_FO_PRIMARY ? "primary" :
			   "secondary");
	if (fo->lan_ifname[0])
		buf_printf(b, "failover lan interface %s %s\n", fo->lan_ifname,
			   fo->lan_phy);
	if (fo->unit_poll_ms || fo->unit_hold_ms || all) {
		int poll = fo->unit_poll_ms ? fo->unit_poll_ms :
			   FO_DEFAULT_UNIT_POLL_MS;
		buf_puts(b, "failover polltime unit ");
		write_time(b, "", poll, fo->unit_poll_msec);
		if (fo->unit_hold_ms || all) {
			int hold = fo->unit_hold_ms ? fo->unit_hold_ms :
				   FO_DEFAULT_UNIT_HOLD_MS;
			write_time(b, " holdtime ", hold, fo->unit_hold_msec);
		}
		buf_puts(b, "\n");
	}
	if (fo->lan_enable)
		buf_puts(b, "failover lan enable\n");
	if (fo->key[0]) {
		if (flags & SYS_WRITE_SECRETS)
			buf_printf(b, "failover key %s%s\n",
				   fo->key_hex ? "hex " : "", fo->key);
		else
			buf_puts(b, "failover key *****\n");
	}
	if (fo->link_ifname[0]) {
		if (strcmp(fo->link_ifname, fo->lan_ifname) == 0 ||
		    !fo->link_phy[0])
			buf_printf(b, "failover link %s\n", fo->link_ifname);
		else
			buf_printf(b, "failover link %s %s\n", fo->link_ifname,
				   fo->link_phy);
	}
	for (size_t i = 0; i < fo->nifips; i++)
		buf_printf(b, "failover interface ip %s %s %s standby %s\n",
			   fo->ifips[i].ifname, cli_ip_str(fo->ifips[i].ip, a1),
			   cli_ip_str(fo->ifips[i].mask, a2),
			   cli_ip_str(fo->ifips[i].standby, a3));
	for (int g = 0; g < SYS_MAX_GROUPS; g++) {
		const struct fo_group_cfg *gc = &fo->groups[g];
		if (!gc->defined)
			continue;
		buf_printf(b, "failover group %d\n", g + 1);
		if (gc->pref == SYS_FO_SECONDARY)
			buf_puts(b, "  secondary\n");
		else if (all)
			buf_puts(b, "  primary\n");
		if (gc->preempt) {
			if (gc->preempt_delay)
				buf_printf(b, "  preempt %d\n", gc->preempt_delay);
			else
				buf_puts(b, "  preempt\n");
		}
		if (gc->if_poll_ms || all) {
			int poll = gc->if_poll_ms ? gc->if_poll_ms :
				   FO_DEFAULT_IF_POLL_MS;
			buf_puts(b, "  polltime interface ");
			write_time(b, "", poll, gc->if_poll_msec);
			if (gc->if_hold_ms)
				buf_printf(b, " holdtime %d",
					   gc->if_hold_ms / 1000);
			buf_puts(b, "\n");
		}
		if (gc->policy)
			buf_printf(b, "  interface-policy %d%s\n", gc->policy,
				   gc->policy_percent ? "%" : "");
		else if (all)
			buf_puts(b, "  interface-policy 1\n");
		for (size_t m = 0; m < gc->nmacs; m++) {
			char x[15], y[15];
			sys_format_mac(gc->macs[m].active, x);
			sys_format_mac(gc->macs[m].standby, y);
			buf_printf(b, "  mac address %s %s %s\n",
				   gc->macs[m].ifname, x, y);
		}
		if (gc->replication_http)
			buf_puts(b, "  replication http\n");
	}
}

static void write_contexts(const struct sys_config *c, unsigned flags,
			   struct buf *b)
{
	if (c->admin_context[0])
		buf_printf(b, "admin-context %s\n", c->admin_context);
	for (size_t i = 0; i < c->ncontexts; i++) {
		const struct sys_context *x = &c->contexts[i];
		buf_printf(b, "context %s\n", x->name);
		if (x->description[0])
			buf_printf(b, "  description %s\n", x->description);
		if (x->member[0])
			buf_printf(b, "  member %s\n", x->member);
		for (size_t k = 0; k < x->nallocs; k++) {
			const struct sys_alloc *al = &x->allocs[k];
			buf_printf(b, "  allocate-interface %s", al->phys);
			if (al->mapped[0])
				buf_printf(b, " %s", al->mapped);
			if (al->visible)
				buf_puts(b, " visible");
			buf_puts(b, "\n");
		}
		if (x->config_url[0])
			buf_printf(b, "  config-url %s\n", x->config_url);
		if (x->group)
			buf_printf(b, "  join-failover-group %d\n", x->group);
		buf_puts(b, "!\n");
	}
}

void sys_config_write(const struct sys_config *c, const char *version,
		      unsigned flags, struct buf *out)
{
	struct buf body;
	buf_init(&body);
	struct buf *b = &body;

	if (flags & SYS_WRITE_FAILOVER) {
		write_failover(c, flags, out);
		return;
	}
	if (flags & SYS_WRITE_CONTEXTS) {
		write_contexts(c, flags, out);
		return;
	}

	buf_printf(b, "hostname %s\n", c->hostname);
	for (size_t i = 0; i < c->nverbatim; i++)
		if (verbatim_early(c->verbatim[i]))
			buf_printf(b, "%s\n", c->verbatim[i]);
	buf_puts(b, c->mac_auto ? "mac-address auto\n" : "no mac-address auto\n");
	buf_puts(b, "!\n");
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct sys_iface *f = &c->ifaces[i];
		buf_printf(b, "interface %s\n", f->name);
		if (f->description[0])
			buf_printf(b, " description %s\n", f->description);
		if (f->vlan)
			buf_printf(b, " vlan %d\n", f->vlan);
		if (f->shutdown)
			buf_puts(b, " shutdown\n");
		else if (flags & SYS_WRITE_ALL)
			buf_puts(b, " no shutdown\n");
		buf_puts(b, "!\n");
	}
	for (size_t i = 0; i < c->nclasses; i++) {
		const struct sys_class *k = &c->classes[i];
		buf_printf(b, "class %s\n", k->name);
		for (size_t l = 0; l < k->nlimits; l++)
			buf_printf(b, "  limit-resource %s %ld%s\n",
				   k->limits[l].resource, k->limits[l].value,
				   k->limits[l].percent ? "%" : "");
		buf_puts(b, "!\n");
	}
	for (size_t i = 0; i < c->nverbatim; i++)
		if (!verbatim_early(c->verbatim[i]))
			buf_printf(b, "%s\n", c->verbatim[i]);
	write_failover(c, flags, b);
	write_contexts(c, flags, b);
	buf_printf(b, "prompt %s\n", c->prompt[0] ? c->prompt :
		   "hostname context");

	if (flags & SYS_WRITE_BODY) {
		buf_add(out, body.data, body.len);
	} else {
		char hex[33];
		sys_config_md5(body.data, body.len, hex);
		buf_printf(out, ": Saved\n:\nASA Version %s <system>\n!\n",
			   version);
		buf_add(out, body.data, body.len);
		buf_printf(out, "Cryptochecksum:%s\n: end\n", hex);
	}
	buf_free(&body);
}
