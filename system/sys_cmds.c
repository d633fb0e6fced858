/*
 * sys_cmds: the system execution space's commands and the commands shared
 * by every space (modes, show, write, files).  One row per command; the
 * flags column carries the replication rule from the seed: configuration
 * and file commands replicate, show/debug/mode/firewall/`failover lan unit`
 * do not.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "system/cli.h"
#include "system/flash.h"
#include "system/sys_array.h"
#include "system/sys_log.h"
#include "failover/fo_unit.h"
#include "system/sys_unit.h"

#define UNIT(s) ((struct unit *)cli_owner(s))

/* ------------------------------------------------------------------ */
/* modes                                                               */

static enum cli_status h_enable(struct cli_session *s, const struct cli_args *a)
{
	cli_set_mode(s, CLI_MODE_PRIV, NULL);
	return CLI_OK;
}

static enum cli_status h_disable(struct cli_session *s, const struct cli_args *a)
{
	cli_set_mode(s, CLI_MODE_EXEC, NULL);
	return CLI_OK;
}

static enum cli_status h_configure(struct cli_session *s,
				   const struct cli_args *a)
{
	cli_set_mode(s, CLI_MODE_CONFIG, NULL);
	return CLI_OK;
}

static enum cli_status h_exit(struct cli_session *s, const struct cli_args *a)
{
	switch (cli_mode(s)) {
	case CLI_MODE_EXEC:
	case CLI_MODE_PRIV:
		/* The console server closes the session on this text. */
		cli_puts(s, "\nLogoff\n\n");
		cli_request_close(s);
		return CLI_OK;
	case CLI_MODE_CONFIG:
		cli_set_mode(s, CLI_MODE_PRIV, NULL);
		return CLI_OK;
	default:
		cli_set_mode(s, CLI_MODE_CONFIG, NULL);
		return CLI_OK;
	}
}

static enum cli_status h_end(struct cli_session *s, const struct cli_args *a)
{
	cli_set_mode(s, CLI_MODE_PRIV, NULL);
	return CLI_OK;
}

static enum cli_status h_changeto(struct cli_session *s,
				  const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	if (cli_confined(s))
		return cli_error(s, "Command authorization failed");
	if (cli_has(a, "system")) {
		cli_set_context(s, NULL);
		return CLI_OK;
	}
	const char *name = cli_str(a, "ctx");
	if (!unit_ctxconfig(u, name))
		return cli_error(s, "Context %s does not exist", name);
	cli_set_context(s, name);
	return CLI_OK;
}

static enum cli_status h_noop(struct cli_session *s, const struct cli_args *a)
{
	return CLI_OK;
}

static enum cli_status h_mode(struct cli_session *s, const struct cli_args *a)
{
	if (cli_has(a, "single") || cli_negated(a))
		return cli_error(s, "mctx runs in multiple context mode only");
	cli_puts(s, "Security context mode: multiple\n");
	return CLI_OK;
}

static enum cli_status h_firewall(struct cli_session *s,
				  const struct cli_args *a)
{
	if (cli_negated(a))
		return CLI_OK;   /* routed is what we are */
	return cli_error(s, "transparent firewall mode is not supported; "
			 "contexts are routed");
}

static enum cli_status h_debug(struct cli_session *s, const struct cli_args *a)
{
	int lvl = cli_negated(a) ? LOG_SEV_INFO : LOG_SEV_DEBUG;
	log_set_level(lvl);
	if (!cli_loading(s))
		cli_printf(s, "debug %s %s\n", cli_str(a, "what"),
			   cli_negated(a) ? "disabled" : "enabled");
	return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* show                                                                */

static enum cli_status h_show_version(struct cli_session *s,
				      const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	const struct bootstrap *b = unit_bootstrap(u);
	struct utsname un;
	long up = unit_uptime(u);
	uname(&un);
	cli_printf(s, "\nmctx Security Appliance Software Version %s <%s>\n\n",
		   MCTX_VERSION, cli_context(s) ? "context" : "system");
	cli_printf(s, "Compiled on %s %s\n\n", __DATE__, __TIME__);
	cli_printf(s, "%s up %ld days %ld hours %ld mins %ld secs\n\n",
		   sc->hostname, up / 86400, (up / 3600) % 24, (up / 60) % 60,
		   up % 60);
	cli_printf(s, "Hardware:   mctx on Linux %s %s, unit \"%s\"\n",
		   un.release, un.machine, b->unit);
	for (size_t i = 0; i < b->nifaces; i++)
		cli_printf(s, " %zu: Ext: %-20s: Linux link %s\n", i,
			   b->ifaces[i].name, b->ifaces[i].link);
	cli_printf(s, "\nSecurity context mode: multiple\n");
	cli_printf(s, "Security Contexts: %zu\n", sc->ncontexts);
	return CLI_OK;
}

static enum cli_status h_show_run(struct cli_session *s,
				  const struct cli_args *a)
{
	unsigned flags = cli_has(a, "all") ? SYS_WRITE_ALL : 0;
	const char *ctx = cli_context(s);
	if (!ctx && cli_has(a, "failover"))
		flags |= SYS_WRITE_FAILOVER;
	if (!ctx && cli_has(a, "context"))
		flags |= SYS_WRITE_CONTEXTS;
	if (ctx && (cli_has(a, "failover") || cli_has(a, "context")))
		return cli_error_at(s, a, cli_has(a, "failover") ? "failover" :
				    "context");
	unit_write_running(UNIT(s), ctx, flags, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_show_startup(struct cli_session *s,
				      const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct buf text;
	int rc;
	buf_init(&text);
	if (cli_context(s)) {
		struct sys_context *sc = sys_config_context(unit_sysconfig(u),
							    cli_context(s), false);
		rc = sc && sc->config_url[0] ?
		     flash_read(unit_flash(u), sc->config_url, &text) : -ENOENT;
	} else {
		rc = flash_get_startup(unit_flash(u), &text);
	}
	if (rc == -ENOENT) {
		buf_free(&text);
		cli_puts(s, "No Configuration\n");
		return CLI_OK;
	}
	if (rc < 0) {
		buf_free(&text);
		return cli_error(s, "Unable to read startup configuration: %s",
				 flash_last_error(unit_flash(u)));
	}
	cli_puts(s, text.data ? text.data : "");
	buf_free(&text);
	return CLI_OK;
}

static void print_alloc_list(struct cli_session *s, const struct sys_context *x,
			     bool mapped)
{
	for (size_t k = 0; k < x->nallocs; k++) {
		const char *n = mapped && x->allocs[k].mapped[0] ?
				x->allocs[k].mapped : x->allocs[k].phys;
		cli_printf(s, "%s%s", k ? ", " : "", n);
	}
	if (!x->nallocs)
		cli_puts(s, "None");
	cli_puts(s, "\n");
}

static const char *alloc_name(const struct sys_alloc *al, const char *in_ctx)
{
	return in_ctx && al->mapped[0] ? al->mapped : al->phys;
}

static enum cli_status h_show_context(struct cli_session *s,
				      const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	const char *only = cli_context(s);
	bool detail = cli_has(a, "detail");
	size_t shown = 0;

	if (!detail)
		cli_printf(s, "%-20s %-20s %-24s %s\n", "Context Name", "Class",
			   "Interfaces", "URL");
	for (size_t i = 0; i < sc->ncontexts; i++) {
		const struct sys_context *x = &sc->contexts[i];
		if (only && strcmp(only, x->name))
			continue;
		shown++;
		bool admin = strcmp(x->name, sc->admin_context) == 0;
		if (detail) {
			cli_printf(s, "Context \"%s\", has been created\n", x->name);
			if (x->description[0])
				cli_printf(s, "  Desc: %s\n", x->description);
			cli_printf(s, "  Config URL: %s\n",
				   x->config_url[0] ? x->config_url : "(none)");
			cli_puts(s, "  Real Interfaces: ");
			print_alloc_list(s, x, false);
			cli_puts(s, "  Mapped Interfaces: ");
			print_alloc_list(s, x, true);
			cli_printf(s, "  Class: %s, Failover group: %d, ID: %zu%s\n\n",
				   x->member[0] ? x->member : "default",
				   sys_config_context_group(sc, x), i + 1,
				   admin ? ", Admin context" : "");
			continue;
		}
		char first[SYS_NAME_MAX + 2];
		snprintf(first, sizeof first, "%s%s", admin ? "*" : " ", x->name);
		/* Inside a context, ASA shows the names the context sees. */
		cli_printf(s, "%-20s %-20s %-24s %s\n", first,
			   x->member[0] ? x->member : "default",
			   x->nallocs ? alloc_name(&x->allocs[0], only) : "",
			   x->config_url);
		for (size_t k = 1; k < x->nallocs; k++)
			cli_printf(s, "%-20s %-20s %-24s\n", "", "",
				   alloc_name(&x->allocs[k], only));
	}
	if (!detail && !only)
		cli_printf(s, "\nTotal active Security Contexts: %zu\n", shown);
	return CLI_OK;
}

static void log_line(const char *line, void *arg)
{
	cli_printf(arg, "%s\n", line);
}

static enum cli_status h_show_logging(struct cli_session *s,
				      const struct cli_args *a)
{
	cli_puts(s, "Syslog logging: enabled\n");
	log_ring_walk(log_line, s);
	return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* write / copy / reload                                               */

static enum cli_status h_write_memory(struct cli_session *s,
				      const struct cli_args *a)
{
	struct buf msg;
	buf_init(&msg);
	const char *ctx = cli_context(s);
	bool all = cli_has(a, "all");
	if (ctx && all) {
		buf_free(&msg);
		return cli_error_at(s, a, "all");
	}
	if (!cli_loading(s))
		cli_puts(s, "Building configuration...\n");
	int rc = unit_write_memory(UNIT(s), ctx, all, &msg);
	cli_puts(s, msg.data ? msg.data : "");
	buf_free(&msg);
	if (rc < 0)
		return CLI_ERROR;
	if (!cli_loading(s)) {
		struct buf text;
		char hex[33];
		buf_init(&text);
		unit_write_running(UNIT(s), ctx, SYS_WRITE_BODY, &text);
		sys_config_md5(text.data ? text.data : "", text.len, hex);
		cli_printf(s, "Cryptochecksum: %.8s %.8s %.8s %.8s\n", hex,
			   hex + 8, hex + 16, hex + 24);
		cli_printf(s, "\n%zu bytes copied in 0.0 secs\n[OK]\n", text.len);
		buf_free(&text);
	}
	return CLI_OK;
}

static enum cli_status h_write_terminal(struct cli_session *s,
					const struct cli_args *a)
{
	unit_write_running(UNIT(s), cli_context(s), 0, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_write_erase(struct cli_session *s,
				     const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	int rc;
	if (cli_context(s)) {
		struct sys_context *sc = sys_config_context(unit_sysconfig(u),
							    cli_context(s), false);
		rc = sc && sc->config_url[0] ?
		     flash_delete(unit_flash(u), sc->config_url) : -ENOENT;
	} else {
		rc = flash_erase_startup(unit_flash(u));
	}
	if (rc < 0 && rc != -ENOENT)
		return cli_error(s, "Unable to erase the startup configuration: %s",
				 flash_last_error(unit_flash(u)));
	if (!cli_loading(s))
		cli_puts(s, "[OK]\n");
	return CLI_OK;
}

static enum cli_status h_reload(struct cli_session *s, const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct buf report;
	if (cli_context(s))
		return cli_error(s, "reload is a system execution space command");
	buf_init(&report);
	/* Contexts go first: their namespaces are rebuilt from the saved
	 * system configuration. */
	struct sys_config *sc = unit_sysconfig(u);
	while (sc->ncontexts) {
		char name[SYS_NAME_MAX];
		snprintf(name, sizeof name, "%s", sc->contexts[sc->ncontexts - 1].name);
		unit_context_remove(u, name, &report);
		sys_config_context_remove(sc, name);
	}
	sys_config_clear(sc);
	int failed = unit_load_startup(u, &report);
	cli_puts(s, report.data ? report.data : "");
	buf_free(&report);
	cli_set_context(s, NULL);
	cli_set_mode(s, CLI_MODE_PRIV, NULL);
	cli_printf(s, "Configuration reloaded from startup-config%s\n",
		   failed > 0 ? " with errors" : "");
	return failed > 0 ? CLI_WARNING : CLI_OK;
}

/* Recognises the pseudo-files of copy. */
static bool is_running(const char *p)
{
	return strcmp(p, "running-config") == 0 || strcmp(p, "system:running-config") == 0;
}
static bool is_startup(const char *p)
{
	return strcmp(p, "startup-config") == 0;
}

static enum cli_status flash_err(struct cli_session *s, const char *what,
				 const char *path, int rc)
{
	const char *why = rc == -ENOENT ? "No such file or directory" :
			  rc == -EEXIST ? "File exists" :
			  rc == -ENOTEMPTY ? "Directory not empty" :
			  rc == -EISDIR ? "Is a directory" :
			  rc == -ENOTDIR ? "Not a directory" :
			  rc == -ENOSPC ? "No space left on device" :
			  rc == -EINVAL ? "Invalid path" :
			  flash_last_error(unit_flash(UNIT(s)));
	return cli_error(s, "%%Error %s %s (%s)", what, path, why);
}

static enum cli_status h_copy(struct cli_session *s, const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	const char *src = cli_str(a, "src"), *dst = cli_str(a, "dst");
	struct flash *f = unit_flash(u);
	int rc;

	if (is_running(src) && is_startup(dst))
		return h_write_memory(s, a);
	if (is_running(src)) {
		struct buf text;
		buf_init(&text);
		unit_write_running(u, cli_context(s), SYS_WRITE_SECRETS, &text);
		rc = flash_write(f, dst, text.data ? text.data : "", text.len);
		buf_free(&text);
		if (rc < 0)
			return flash_err(s, "writing", dst, rc);
		if (!cli_loading(s))
			cli_printf(s, "Copied running-config to %s\n", dst);
		return CLI_OK;
	}
	if (is_running(dst) || is_startup(src)) {
		struct buf text, report;
		buf_init(&text);
		rc = is_startup(src) ? (cli_context(s) ? -EINVAL :
					flash_get_startup(f, &text)) :
		     flash_read(f, src, &text);
		if (rc < 0) {
			buf_free(&text);
			return flash_err(s, "opening", src, rc);
		}
		if (!is_running(dst)) {
			rc = flash_write(f, dst, text.data ? text.data : "", text.len);
			buf_free(&text);
			return rc < 0 ? flash_err(s, "writing", dst, rc) : CLI_OK;
		}
		buf_init(&report);
		int failed = unit_replay(u, cli_context(s),
					 text.data ? text.data : "", &report);
		cli_puts(s, report.data ? report.data : "");
		buf_free(&report);
		buf_free(&text);
		return failed ? CLI_WARNING : CLI_OK;
	}
	if (is_startup(dst)) {
		struct buf text;
		buf_init(&text);
		rc = flash_read(f, src, &text);
		if (rc == 0)
			rc = flash_put_startup(f, text.data ? text.data : "", text.len);
		buf_free(&text);
		return rc < 0 ? flash_err(s, "copying", src, rc) : CLI_OK;
	}
	rc = flash_copy(f, src, dst);
	if (rc < 0)
		return flash_err(s, "copying", src, rc);
	return CLI_OK;
}

static enum cli_status h_dir(struct cli_session *s, const struct cli_args *a)
{
	const char *path = cli_str(a, "path");
	const char *label = path && strncmp(path, "flash:", 6) == 0 ? "flash:" :
			    "disk0:";
	int rc = flash_format_dir(unit_flash(UNIT(s)), path ? path : "/", label,
				  cli_out(s));
	return rc < 0 ? flash_err(s, "opening", path ? path : "disk0:/", rc) :
	       CLI_OK;
}

static enum cli_status h_more(struct cli_session *s, const struct cli_args *a)
{
	struct buf text;
	const char *path = cli_str(a, "path");
	buf_init(&text);
	int rc = flash_read(unit_flash(UNIT(s)), path, &text);
	if (rc < 0) {
		buf_free(&text);
		return flash_err(s, "opening", path, rc);
	}
	cli_puts(s, text.data ? text.data : "");
	if (text.len && text.data[text.len - 1] != '\n')
		cli_puts(s, "\n");
	buf_free(&text);
	return CLI_OK;
}

static enum cli_status h_rename(struct cli_session *s, const struct cli_args *a)
{
	int rc = flash_rename(unit_flash(UNIT(s)), cli_str(a, "src"),
			      cli_str(a, "dst"));
	return rc < 0 ? flash_err(s, "renaming", cli_str(a, "src"), rc) : CLI_OK;
}

static enum cli_status h_delete(struct cli_session *s, const struct cli_args *a)
{
	int rc = flash_delete(unit_flash(UNIT(s)), cli_str(a, "path"));
	return rc < 0 ? flash_err(s, "deleting", cli_str(a, "path"), rc) : CLI_OK;
}

static enum cli_status h_mkdir(struct cli_session *s, const struct cli_args *a)
{
	int rc = flash_mkdir(unit_flash(UNIT(s)), cli_str(a, "path"));
	return rc < 0 ? flash_err(s, "creating", cli_str(a, "path"), rc) : CLI_OK;
}

static enum cli_status h_rmdir(struct cli_session *s, const struct cli_args *a)
{
	int rc = flash_rmdir(unit_flash(UNIT(s)), cli_str(a, "path"));
	return rc < 0 ? flash_err(s, "removing", cli_str(a, "path"), rc) : CLI_OK;
}

/* ------------------------------------------------------------------ */
/* system configuration                                                */

static enum cli_status h_hostname(struct cli_session *s, const struct cli_args *a)
{
	const char *name = cli_negated(a) ? NULL : cli_str(a, "name");
	if (name && (strlen(name) >= SYS_NAME_MAX || !isalpha((unsigned char)name[0])))
		return cli_error_at(s, a, "name");
	if (cli_context(s)) {
		struct ctx_config *c = unit_ctxconfig(UNIT(s), cli_context(s));
		snprintf(c->hostname, sizeof c->hostname, "%s",
			 name ? name : c->name);
		return CLI_OK;
	}
	snprintf(unit_sysconfig(UNIT(s))->hostname, SYS_NAME_MAX, "%s",
		 name ? name : "ciscoasa");
	return CLI_OK;
}

static enum cli_status h_mac_auto(struct cli_session *s, const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	sc->mac_auto = !cli_negated(a);
	sc->mac_auto_set = true;
	/* Every context's interfaces change MAC: re-apply them all. */
	for (size_t i = 0; i < sc->ncontexts; i++)
		unit_context_apply(UNIT(s), sc->contexts[i].name, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_sys_interface(struct cli_session *s,
				       const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	const char *name = cli_str(a, "ifname");
	char link[64];

	if (cli_negated(a)) {
		if (!sys_config_iface(sc, name, false))
			return cli_error_at(s, a, "ifname");
		if (sys_config_alloc_owner(sc, name))
			return cli_error(s, "Interface %s is allocated to a "
					 "context; deallocate it first", name);
		sys_config_iface_remove(sc, name);
		return CLI_OK;
	}
	if (strlen(name) >= SYS_NAME_MAX)
		return cli_error_at(s, a, "ifname");
	/* A subinterface is valid when it exists, or its parent does (it
	 * is then created as an 802.1Q link). */
	if (!unit_link_for(u, name, link, sizeof link)) {
		const char *dot = strrchr(name, '.');
		char parent[SYS_NAME_MAX];
		if (!dot || dot == name || !isdigit((unsigned char)dot[1]))
			return cli_error_at(s, a, "ifname");
		snprintf(parent, sizeof parent, "%.*s", (int)(dot - name), name);
		if (!unit_link_for(u, parent, link, sizeof link))
			return cli_error_at(s, a, "ifname");
	}
	sys_config_iface(sc, name, true);
	cli_set_mode(s, CLI_MODE_IF, name);
	return CLI_OK;
}

static struct sys_iface *cur_sys_iface(struct cli_session *s)
{
	return sys_config_iface(unit_sysconfig(UNIT(s)), cli_mode_object(s),
				false);
}

static enum cli_status h_sys_if_desc(struct cli_session *s,
				     const struct cli_args *a)
{
	struct sys_iface *f = cur_sys_iface(s);
	if (!f)
		return cli_error(s, "Interface no longer exists");
	snprintf(f->description, sizeof f->description, "%s",
		 cli_negated(a) ? "" : cli_str(a, "text"));
	return CLI_OK;
}

static enum cli_status h_sys_if_vlan(struct cli_session *s,
				     const struct cli_args *a)
{
	struct sys_iface *f = cur_sys_iface(s);
	if (!f)
		return cli_error(s, "Interface no longer exists");
	if (!f->is_sub)
		return cli_error(s, "VLAN ID can only be configured on a subinterface");
	int vlan = cli_negated(a) ? 0 : (int)cli_int(a, "id", 0);
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	for (size_t i = 0; vlan && i < sc->nifaces; i++)
		if (&sc->ifaces[i] != f && sc->ifaces[i].vlan == vlan) {
			char parent_a[SYS_NAME_MAX], parent_b[SYS_NAME_MAX];
			snprintf(parent_a, sizeof parent_a, "%s", f->name);
			snprintf(parent_b, sizeof parent_b, "%s", sc->ifaces[i].name);
			*strrchr(parent_a, '.') = '\0';
			if (strchr(parent_b, '.'))
				*strrchr(parent_b, '.') = '\0';
			if (strcmp(parent_a, parent_b) == 0)
				return cli_error(s, "VLAN %d is configured on "
						 "another interface (%s)", vlan,
						 sc->ifaces[i].name);
		}
	f->vlan = vlan;
	return CLI_OK;
}

static enum cli_status h_sys_if_shutdown(struct cli_session *s,
					 const struct cli_args *a)
{
	struct sys_iface *f = cur_sys_iface(s);
	if (!f)
		return cli_error(s, "Interface no longer exists");
	f->shutdown = !cli_negated(a);
	return CLI_OK;
}

/* ---- contexts ---- */

static enum cli_status h_context(struct cli_session *s, const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	const char *name = cli_str(a, "ctx");
	struct buf msg;

	if (strlen(name) >= 32 || !isalnum((unsigned char)name[0]) ||
	    strcmp(name, "system") == 0 || strcmp(name, "null") == 0)
		return cli_error_at(s, a, "ctx");
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return cli_error_at(s, a, "ctx");
	buf_init(&msg);
	if (cli_negated(a)) {
		if (!sys_config_context(sc, name, false)) {
			buf_free(&msg);
			return cli_error(s, "Context %s does not exist", name);
		}
		if (strcmp(sc->admin_context, name) == 0) {
			buf_free(&msg);
			return cli_error(s, "Cannot remove the admin context; "
					 "configure another admin-context first");
		}
		unit_context_remove(u, name, &msg);
		sys_config_context_remove(sc, name);
		cli_puts(s, msg.data ? msg.data : "");
		buf_free(&msg);
		return CLI_OK;
	}
	if (!sys_config_context(sc, name, false)) {
		int rc = unit_context_add(u, name, &msg);
		if (rc < 0) {
			enum cli_status st = cli_error(s, "Cannot create context %s: %s",
						       name, msg.len ? msg.data : strerror(-rc));
			buf_free(&msg);
			return st;
		}
		sys_config_context(sc, name, true);
		if (!cli_loading(s))
			cli_printf(s, "Creating context '%s'... Done. (%zu)\n",
				   name, sc->ncontexts);
	}
	buf_free(&msg);
	cli_set_mode(s, CLI_MODE_CTX, name);
	return CLI_OK;
}

static struct sys_context *cur_ctx(struct cli_session *s)
{
	return sys_config_context(unit_sysconfig(UNIT(s)), cli_mode_object(s),
				  false);
}

static enum cli_status h_ctx_desc(struct cli_session *s, const struct cli_args *a)
{
	struct sys_context *x = cur_ctx(s);
	if (!x)
		return cli_error(s, "Context no longer exists");
	snprintf(x->description, sizeof x->description, "%s",
		 cli_negated(a) ? "" : cli_str(a, "text"));
	return CLI_OK;
}

static enum cli_status h_ctx_member(struct cli_session *s, const struct cli_args *a)
{
	struct sys_context *x = cur_ctx(s);
	if (!x)
		return cli_error(s, "Context no longer exists");
	const char *cls = cli_negated(a) ? "" : cli_str(a, "cname");
	if (*cls && strcmp(cls, "default") &&
	    !sys_config_class(unit_sysconfig(UNIT(s)), cls, false))
		return cli_error(s, "Class %s does not exist", cls);
	snprintf(x->member, sizeof x->member, "%s", strcmp(cls, "default") ? cls : "");
	unit_context_apply(UNIT(s), x->name, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_ctx_alloc(struct cli_session *s, const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	struct sys_context *x = cur_ctx(s);
	const char *phys = cli_str(a, "phys");
	const char *mapped = cli_str(a, "mapped");
	struct buf msg;
	char link[64];

	if (!x)
		return cli_error(s, "Context no longer exists");
	if (cli_negated(a)) {
		size_t i;
		for (i = 0; i < x->nallocs; i++)
			if (strcmp(x->allocs[i].phys, phys) == 0)
				break;
		if (i == x->nallocs)
			return cli_error(s, "Interface %s is not allocated to "
					 "context %s", phys, x->name);
		buf_init(&msg);
		int rc = unit_context_release(u, x->name, phys, &msg);
		if (rc < 0 && rc != -ENOENT) {
			enum cli_status st = cli_error(s, "Cannot deallocate %s: %s",
				phys, msg.len ? msg.data : strerror(-rc));
			buf_free(&msg);
			return st;
		}
		buf_free(&msg);
		array_remove(x->allocs, &x->nallocs, sizeof *x->allocs, i);
		return CLI_OK;
	}
	if (!sys_config_iface(sc, phys, false) && !unit_link_for(u, phys, link, sizeof link))
		return cli_error_at(s, a, "phys");
	struct sys_context *owner = sys_config_alloc_owner(sc, phys);
	if (owner == x) {
		for (size_t i = 0; i < x->nallocs; i++)
			if (strcmp(x->allocs[i].phys, phys) == 0 &&
			    strcmp(x->allocs[i].mapped, mapped ? mapped : "") == 0)
				return CLI_OK;   /* same line again */
		return cli_error(s, "Interface %s is already allocated to "
				 "context %s", phys, x->name);
	}
	/* ASA lets contexts share an interface; mctx gives each context
	 * its own Linux link, so sharing is refused. */
	if (owner)
		return cli_error(s, "Interface %s is already allocated to "
				 "context %s", phys, owner->name);
	if (mapped) {
		if (strlen(mapped) >= SYS_NAME_MAX)
			return cli_error_at(s, a, "mapped");
		for (size_t i = 0; i < x->nallocs; i++)
			if (strcmp(x->allocs[i].mapped, mapped) == 0)
				return cli_error(s, "Mapped name %s is already "
						 "used in context %s", mapped, x->name);
	}
	buf_init(&msg);
	int rc = unit_context_allocate(u, x->name, phys, mapped, &msg);
	if (rc < 0) {
		enum cli_status st = rc == -ENODEV ? cli_error_at(s, a, "phys") :
			cli_error(s, "Cannot allocate %s: %s", phys,
				  msg.len ? msg.data : strerror(-rc));
		buf_free(&msg);
		return st;
	}
	buf_free(&msg);
	struct sys_alloc *al = array_grow(&x->allocs, &x->nallocs, sizeof *al);
	snprintf(al->phys, sizeof al->phys, "%s", phys);
	snprintf(al->mapped, sizeof al->mapped, "%s", mapped ? mapped : "");
	al->visible = cli_has(a, "visible");
	unit_context_apply(u, x->name, cli_out(s));
	return CLI_OK;
}

static enum cli_status h_ctx_url(struct cli_session *s, const struct cli_args *a)
{
	struct sys_context *x = cur_ctx(s);
	char canon[SYS_TEXT_MAX];
	if (!x)
		return cli_error(s, "Context no longer exists");
	if (cli_negated(a)) {
		x->config_url[0] = '\0';
		return CLI_OK;
	}
	const char *url = cli_str(a, "url");
	if (flash_path_canon(url, canon, sizeof canon) < 0 ||
	    strlen(url) >= sizeof x->config_url)
		return cli_error_at(s, a, "url");
	bool first = x->config_url[0] == '\0';
	snprintf(x->config_url, sizeof x->config_url, "%s", url);
	/* ASA loads the context's configuration when its URL is first set. */
	if (first) {
		struct buf msg;
		buf_init(&msg);
		int rc = unit_context_load_url(UNIT(s), x->name, &msg);
		if (!cli_loading(s) || rc != -ENOENT)
			cli_puts(s, msg.data ? msg.data : "");
		buf_free(&msg);
	}
	return CLI_OK;
}

static enum cli_status h_ctx_join(struct cli_session *s, const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	struct sys_context *x = cur_ctx(s);
	if (!x)
		return cli_error(s, "Context no longer exists");
	int g = cli_negated(a) ? 0 : (int)cli_int(a, "gid", 1);
	if (g == 2 && strcmp(x->name, sc->admin_context) == 0)
		return cli_error(s, "The admin context is always in failover group 1");
	x->group = g;
	return CLI_OK;
}

static enum cli_status h_admin_context(struct cli_session *s,
				       const struct cli_args *a)
{
	struct unit *u = UNIT(s);
	struct sys_config *sc = unit_sysconfig(u);
	const char *name = cli_str(a, "ctx");
	if (cli_negated(a)) {
		sc->admin_context[0] = '\0';
		return CLI_OK;
	}
	if (strlen(name) >= SYS_NAME_MAX)
		return cli_error_at(s, a, "ctx");
	struct sys_context *x = sys_config_context(sc, name, false);
	if (x && x->group == 2)
		return cli_error(s, "Context %s is in failover group 2; the "
				 "admin context is always in group 1", name);
	/* ASA creates the admin context if it does not exist yet. */
	if (!x) {
		struct buf msg;
		buf_init(&msg);
		int rc = unit_context_add(u, name, &msg);
		buf_free(&msg);
		if (rc < 0)
			return cli_error(s, "Cannot create context %s", name);
		sys_config_context(sc, name, true);
	}
	snprintf(sc->admin_context, sizeof sc->admin_context, "%s", name);
	return CLI_OK;
}

/* ---- resource classes ---- */

static enum cli_status h_class(struct cli_session *s, const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	const char *name = cli_str(a, "cname");
	if (strlen(name) >= SYS_NAME_MAX)
		return cli_error_at(s, a, "cname");
	if (cli_negated(a)) {
		for (size_t i = 0; i < sc->ncontexts; i++)
			if (strcmp(sc->contexts[i].member, name) == 0)
				return cli_error(s, "Class %s is in use by "
						 "context %s", name, sc->contexts[i].name);
		if (!sys_config_class_remove(sc, name))
			return cli_error(s, "Class %s does not exist", name);
		return CLI_OK;
	}
	sys_config_class(sc, name, true);
	cli_set_mode(s, CLI_MODE_CLASS, name);
	return CLI_OK;
}

static enum cli_status h_limit(struct cli_session *s, const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	struct sys_class *k = sys_config_class(sc, cli_mode_object(s), false);
	const char *res = cli_str(a, "res");
	const char *val = cli_str(a, "value");
	char *end;
	if (!k)
		return cli_error(s, "Class no longer exists");
	if (strlen(res) >= SYS_NAME_MAX)
		return cli_error_at(s, a, "res");
	size_t i;
	for (i = 0; i < k->nlimits; i++)
		if (strcasecmp(k->limits[i].resource, res) == 0)
			break;
	if (cli_negated(a)) {
		if (i < k->nlimits) {
			array_remove(k->limits, &k->nlimits, sizeof *k->limits, i);
		}
		return CLI_OK;
	}
	long v = strtol(val, &end, 10);
	bool pct = *end == '%';
	if (end == val || (*end && !(pct && end[1] == '\0')) || v < 0 ||
	    (pct && v > 100))
		return cli_error_at(s, a, "value");
	if (i == k->nlimits)
		array_grow(&k->limits, &k->nlimits, sizeof *k->limits);
	snprintf(k->limits[i].resource, SYS_NAME_MAX, "%s", res);
	k->limits[i].value = v;
	k->limits[i].percent = pct;
	for (size_t c = 0; c < sc->ncontexts; c++)
		if (strcmp(sc->contexts[c].member, k->name) == 0 ||
		    (!sc->contexts[c].member[0] && strcmp(k->name, "default") == 0))
			unit_context_apply(UNIT(s), sc->contexts[c].name, cli_out(s));
	return CLI_OK;
}

/* ---- failover (configuration only; failover/ acts on it) ---- */

static struct sys_failover *fo(struct cli_session *s)
{
	return &unit_sysconfig(UNIT(s))->fo;
}

static enum cli_status h_failover(struct cli_session *s, const struct cli_args *a)
{
	fo(s)->enabled = !cli_negated(a);
	/* failover/: at once, so a booting unit holds its groups standby
	 * before the contexts below this line are created. */
	fo_unit_config_changed(unit_failover(UNIT(s)), cli_loading(s));
	return CLI_OK;
}

static enum cli_status h_fo_lan_unit(struct cli_session *s, const struct cli_args *a)
{
	fo(s)->lan_unit = cli_negated(a) ? SYS_FO_NONE :
			  cli_has(a, "primary") ? SYS_FO_PRIMARY : SYS_FO_SECONDARY;
	return CLI_OK;
}

static enum cli_status h_fo_lan_enable(struct cli_session *s,
				       const struct cli_args *a)
{
	fo(s)->lan_enable = !cli_negated(a);
	return CLI_OK;
}

static bool phys_known(struct cli_session *s, const char *phy)
{
	char link[64];
	return sys_config_iface(unit_sysconfig(UNIT(s)), phy, false) ||
	       unit_link_for(UNIT(s), phy, link, sizeof link);
}

static enum cli_status h_fo_lan_interface(struct cli_session *s,
					  const struct cli_args *a)
{
	struct sys_failover *f = fo(s);
	if (cli_negated(a)) {
		f->lan_ifname[0] = f->lan_phy[0] = '\0';
		return CLI_OK;
	}
	const char *phy = cli_str(a, "phy");
	if (!phys_known(s, phy))
		return cli_error_at(s, a, "phy");
	if (sys_config_alloc_owner(unit_sysconfig(UNIT(s)), phy))
		return cli_error(s, "Interface %s is allocated to a context", phy);
	snprintf(f->lan_ifname, sizeof f->lan_ifname, "%s", cli_str(a, "ifname"));
	snprintf(f->lan_phy, sizeof f->lan_phy, "%s", phy);
	return CLI_OK;
}

static enum cli_status h_fo_link(struct cli_session *s, const struct cli_args *a)
{
	struct sys_failover *f = fo(s);
	if (cli_negated(a)) {
		f->link_ifname[0] = f->link_phy[0] = '\0';
		return CLI_OK;
	}
	const char *ifname = cli_str(a, "ifname");
	const char *phy = cli_str(a, "phy");
	if (!phy && strcmp(ifname, f->lan_ifname) != 0)
		return cli_error(s, "Interface %s is not the LAN failover "
				 "interface; give its physical interface", ifname);
	if (phy && !phys_known(s, phy))
		return cli_error_at(s, a, "phy");
	snprintf(f->link_ifname, sizeof f->link_ifname, "%s", ifname);
	snprintf(f->link_phy, sizeof f->link_phy, "%s", phy ? phy : f->lan_phy);
	return CLI_OK;
}

static enum cli_status h_fo_ifip(struct cli_session *s, const struct cli_args *a)
{
	struct sys_failover *f = fo(s);
	const char *ifname = cli_str(a, "ifname");
	size_t i;
	for (i = 0; i < f->nifips; i++)
		if (strcmp(f->ifips[i].ifname, ifname) == 0)
			break;
	if (cli_negated(a)) {
		if (i < f->nifips) {
			array_remove(f->ifips, &f->nifips, sizeof *f->ifips, i);
		}
		return CLI_OK;
	}
	if (strcmp(ifname, f->lan_ifname) && strcmp(ifname, f->link_ifname))
		return cli_error(s, "%s is not a failover or stateful link "
				 "interface name", ifname);
	uint32_t ip = cli_ip(a, "addr"), mask = cli_ip(a, "mask"),
		 sb = cli_ip(a, "sbip");
	if ((ip & mask) != (sb & mask) || ip == sb)
		return cli_error(s, "Standby address %s is not in the same "
				 "subnet as %s", cli_str(a, "sbip"), cli_str(a, "addr"));
	if (i == f->nifips) {
		if (f->nifips == sizeof f->ifips / sizeof f->ifips[0])
			return cli_error(s, "Too many failover interfaces");
		f->nifips++;
	}
	snprintf(f->ifips[i].ifname, SYS_NAME_MAX, "%s", ifname);
	f->ifips[i].ip = ip;
	f->ifips[i].mask = mask;
	f->ifips[i].standby = sb;
	return CLI_OK;
}

static enum cli_status h_fo_key(struct cli_session *s, const struct cli_args *a)
{
	struct sys_failover *f = fo(s);
	if (cli_negated(a)) {
		f->key[0] = '\0';
		f->key_hex = false;
		return CLI_OK;
	}
	const char *key = cli_str(a, "secret");
	bool hex = cli_has(a, "hex");
	size_t n = strlen(key);
	if (hex) {
		if (n != 32)
			return cli_error(s, "Hex key must be 32 hexadecimal digits");
		for (size_t i = 0; i < n; i++)
			if (!isxdigit((unsigned char)key[i]))
				return cli_error_at(s, a, "secret");
	} else if (n < 1 || n > 63) {
		return cli_error(s, "Key must be 1 to 63 characters");
	}
	snprintf(f->key, sizeof f->key, "%s", key);
	f->key_hex = hex;
	return CLI_OK;
}

/* ASA's ranges: unit poll 1-15 s or 200-999 ms, hold 1-45 s or 800-999 ms
 * (at least 3 x poll).  Extension: msec values down to 10 ms (hold >= 3 x
 * poll), for sub-second failover on a dedicated link. */
static enum cli_status h_fo_polltime(struct cli_session *s, const struct cli_args *a)
{
	struct sys_failover *f = fo(s);
	if (cli_negated(a)) {
		f->unit_poll_ms = f->unit_hold_ms = 0;
		f->unit_poll_msec = f->unit_hold_msec = false;
		return CLI_OK;
	}
	bool poll_msec = cli_has(a, "msec");
	bool hold_msec = cli_has(a, "hmsec");
	long poll = cli_int(a, "poll", 1), hold = cli_int(a, "hold", 0);
	if (poll_msec ? (poll < 10 || poll > 999) : (poll < 1 || poll > 15))
		return cli_error_at(s, a, "poll");
	int poll_ms = (int)(poll_msec ? poll : poll * 1000);
	int hold_ms = 0;
	if (cli_has(a, "hold")) {
		if (hold_msec ? (hold < 30 || hold > 999) : (hold < 1 || hold > 45))
			return cli_error_at(s, a, "hold");
		hold_ms = (int)(hold_msec ? hold : hold * 1000);
		if (hold_ms < 3 * poll_ms)
			return cli_error(s, "Failover unit holdtime must be at "
					 "least 3 times the unit poll time");
	} else if (3 * poll_ms > FO_DEFAULT_UNIT_HOLD_MS) {
		hold_ms = 3 * poll_ms;
	}
	f->unit_poll_ms = poll_ms;
	f->unit_poll_msec = poll_msec;
	f->unit_hold_ms = hold_ms;
	f->unit_hold_msec = hold_msec;
	return CLI_OK;
}

static enum cli_status h_fo_group(struct cli_session *s, const struct cli_args *a)
{
	int g = (int)cli_int(a, "gid", 1);
	struct fo_group_cfg *gc = &fo(s)->groups[g - 1];
	if (cli_negated(a)) {
		struct sys_config *sc = unit_sysconfig(UNIT(s));
		for (size_t i = 0; g == 2 && i < sc->ncontexts; i++)
			if (sc->contexts[i].group == 2)
				return cli_error(s, "Failover group 2 has member "
						 "contexts (%s)", sc->contexts[i].name);
		free(gc->macs);
		memset(gc, 0, sizeof *gc);
		gc->pref = SYS_FO_PRIMARY;
		return CLI_OK;
	}
	gc->defined = true;
	char obj[4];
	snprintf(obj, sizeof obj, "%d", g);
	cli_set_mode(s, CLI_MODE_FOGROUP, obj);
	return CLI_OK;
}

static struct fo_group_cfg *cur_group(struct cli_session *s)
{
	int g = atoi(cli_mode_object(s));
	return g == 1 || g == 2 ? &fo(s)->groups[g - 1] : NULL;
}

static enum cli_status h_grp_pref(struct cli_session *s, const struct cli_args *a)
{
	struct fo_group_cfg *gc = cur_group(s);
	gc->pref = cli_has(a, "secondary") && !cli_negated(a) ?
		   SYS_FO_SECONDARY : SYS_FO_PRIMARY;
	return CLI_OK;
}

static enum cli_status h_grp_preempt(struct cli_session *s,
				     const struct cli_args *a)
{
	struct fo_group_cfg *gc = cur_group(s);
	gc->preempt = !cli_negated(a);
	gc->preempt_delay = gc->preempt ? (int)cli_int(a, "delay", 0) : 0;
	return CLI_OK;
}

static enum cli_status h_grp_polltime(struct cli_session *s,
				      const struct cli_args *a)
{
	struct fo_group_cfg *gc = cur_group(s);
	if (cli_negated(a)) {
		gc->if_poll_ms = gc->if_hold_ms = 0;
		gc->if_poll_msec = false;
		return CLI_OK;
	}
	bool msec = cli_has(a, "msec");
	long poll = cli_int(a, "poll", 5);
	if (msec ? (poll < 10 || poll > 999) : (poll < 1 || poll > 15))
		return cli_error_at(s, a, "poll");
	int poll_ms = (int)(msec ? poll : poll * 1000);
	int hold_ms = 0;
	if (cli_has(a, "hold")) {
		long hold = cli_int(a, "hold", 25);
		if (hold < 5 || hold > 75)
			return cli_error_at(s, a, "hold");
		hold_ms = (int)hold * 1000;
		if (hold_ms < 5 * poll_ms)
			return cli_error(s, "Interface holdtime must be at least "
					 "5 times the interface poll time");
	}
	gc->if_poll_ms = poll_ms;
	gc->if_poll_msec = msec;
	gc->if_hold_ms = hold_ms;
	return CLI_OK;
}

static enum cli_status h_grp_policy(struct cli_session *s,
				    const struct cli_args *a)
{
	struct fo_group_cfg *gc = cur_group(s);
	if (cli_negated(a)) {
		gc->policy = 0;
		gc->policy_percent = false;
		return CLI_OK;
	}
	const char *v = cli_str(a, "policy");
	char *end;
	long n = strtol(v, &end, 10);
	bool pct = *end == '%';
	if (end == v || (*end && !(pct && !end[1])) || n < 1 ||
	    (pct ? n > 100 : n > 250))
		return cli_error_at(s, a, "policy");
	gc->policy = (int)n;
	gc->policy_percent = pct;
	return CLI_OK;
}

static enum cli_status h_grp_mac(struct cli_session *s, const struct cli_args *a)
{
	struct fo_group_cfg *gc = cur_group(s);
	const char *ifname = cli_str(a, "ifname");
	size_t i;
	for (i = 0; i < gc->nmacs; i++)
		if (strcmp(gc->macs[i].ifname, ifname) == 0)
			break;
	if (cli_negated(a)) {
		if (i < gc->nmacs) {
			array_remove(gc->macs, &gc->nmacs, sizeof *gc->macs, i);
		}
		return CLI_OK;
	}
	uint8_t act[6], sb[6];
	if (sys_parse_mac(cli_str(a, "amac"), act) < 0)
		return cli_error_at(s, a, "amac");
	if (sys_parse_mac(cli_str(a, "smac"), sb) < 0)
		return cli_error_at(s, a, "smac");
	if (i == gc->nmacs)
		array_grow(&gc->macs, &gc->nmacs, sizeof *gc->macs);
	snprintf(gc->macs[i].ifname, SYS_NAME_MAX, "%s", ifname);
	memcpy(gc->macs[i].active, act, 6);
	memcpy(gc->macs[i].standby, sb, 6);
	return CLI_OK;
}

static enum cli_status h_grp_http(struct cli_session *s, const struct cli_args *a)
{
	cur_group(s)->replication_http = !cli_negated(a);
	return CLI_OK;
}

static enum cli_status h_prompt(struct cli_session *s, const struct cli_args *a)
{
	struct sys_config *sc = unit_sysconfig(UNIT(s));
	if (cli_negated(a)) {
		sc->prompt[0] = '\0';
		return CLI_OK;
	}
	const char *p = cli_str(a, "parts");
	char copy[SYS_TEXT_MAX];
	snprintf(copy, sizeof copy, "%s", p);
	for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
		if (strcmp(t, "hostname") && strcmp(t, "context") &&
		    strcmp(t, "priority") && strcmp(t, "state") &&
		    strcmp(t, "domain"))
			return cli_error(s, "Unknown prompt part '%s' "
					 "(hostname, context, priority, state, domain)", t);
	snprintf(sc->prompt, sizeof sc->prompt, "%s", p);
	return CLI_OK;
}

/* ---- kept verbatim ---- */

/* Lines mctx accepts and keeps but does not act on (README lists them). */
static enum cli_status h_verbatim(struct cli_session *s, const struct cli_args *a)
{
	const char *line = cli_line(a);
	struct ctx_config *cc = cli_context(s) ?
		unit_ctxconfig(UNIT(s), cli_context(s)) : NULL;
	if (cli_negated(a)) {
		/* `no X` removes a kept `X`; otherwise `no X` is itself kept
		 * (`no asdm history enable`). */
		const char *pos = line + 3;
		bool removed = cc ? ctx_config_verbatim_remove(cc, pos) :
			       sys_config_verbatim_remove(unit_sysconfig(UNIT(s)), pos);
		if (removed)
			return CLI_OK;
	}
	if (cc)
		ctx_config_verbatim_add(cc, line);
	else
		sys_config_verbatim_add(unit_sysconfig(UNIT(s)), line);
	return CLI_OK;
}

static enum cli_status h_block(struct cli_session *s, const struct cli_args *a)
{
	enum cli_status st = h_verbatim(s, a);
	if (st == CLI_OK && !cli_negated(a))
		cli_set_mode(s, CLI_MODE_BLOCK, cli_line(a));
	return st;
}

static enum cli_status h_block_line(struct cli_session *s,
				    const struct cli_args *a)
{
	struct ctx_config *cc = cli_context(s) ?
		unit_ctxconfig(UNIT(s), cli_context(s)) : NULL;
	char line[CTX_TEXT_MAX];
	const char *raw = cli_raw_line(a);
	size_t len = strlen(raw);
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == '\r'))
		len--;
	snprintf(line, sizeof line, "%.*s", (int)len, raw);
	if (cc)
		ctx_config_verbatim_append(cc, line);
	else
		return cli_error(s, "Blocks are only kept inside contexts");
	return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

#define SYS CLI_F_SYS
#define BOTH CLI_F_BOTH
#define CFG CLI_F_CONFIG
#define REPL CLI_F_REPLICATE
#define NO CLI_F_NO
#define NOS CLI_F_NO_SHORT
#define HID CLI_F_HIDDEN
#define FILE_CMD (CLI_F_FILE | CLI_F_REPLICATE)

#define H(...) (const struct cli_help[]){ __VA_ARGS__, { NULL, NULL } }

const struct cli_cmd sys_cmds[] = {
	/* modes: not configuration, not replicated */
	{ "enable [<0-15>:level]", H({ "level", "Privilege level" }),
	  CLI_M_EXEC | CLI_M_PRIV, BOTH, h_enable },
	{ "disable", NULL, CLI_M_PRIV, BOTH, h_disable },
	{ "configure terminal", NULL, CLI_M_PRIV, BOTH, h_configure },
	{ "exit", NULL, CLI_M_EXEC | CLI_M_ANYPRIV | CLI_M_BLOCK, BOTH, h_exit },
	{ "quit", H({ "quit", "Exit from the EXEC" }), CLI_M_EXEC | CLI_M_PRIV,
	  BOTH | HID, h_exit },
	{ "end", NULL, CLI_M_ANYPRIV & ~CLI_M_PRIV, BOTH, h_end },
	{ "changeto { context WORD:ctx | system }",
	  H({ "ctx", "Name of the context" }),
	  CLI_M_ANYPRIV, BOTH, h_changeto },
	{ "mode { multiple | single } [noconfirm]",
	  H({ "multiple", "Multiple context mode" },
	    { "single", "Single context mode" },
	    { "noconfirm", "Do not prompt for confirmation" }),
	  CLI_M_CONFIG, SYS | NO | NOS, h_mode },
	{ "firewall transparent", H({ "transparent", "Transparent mode" }),
	  CLI_M_CONFIG, BOTH | NO, h_firewall },
	{ "debug LINE:what", H({ "what", "Facility to debug (fover, ...)" }),
	  CLI_M_ANYPRIV, BOTH | NO | NOS, h_debug },
	{ "undebug LINE:what", H({ "undebug", "Disable debugging" },
				 { "what", "Facility" }),
	  CLI_M_ANYPRIV, BOTH | HID, h_debug },
	/* show: never replicated */
	{ "show version", NULL, CLI_M_EXEC | CLI_M_ANYPRIV, BOTH, h_show_version },
	{ "show running-config [all] [failover | context]", NULL,
	  CLI_M_ANYPRIV, BOTH, h_show_run },
	{ "show startup-config", NULL, CLI_M_ANYPRIV, BOTH, h_show_startup },
	{ "show context [detail]", NULL, CLI_M_ANYPRIV, BOTH, h_show_context },
	{ "show logging", NULL, CLI_M_ANYPRIV, BOTH, h_show_logging },
	/* write, copy, files: replicated (issue 5 sends them to the mate) */
	{ "write memory [all]", NULL, CLI_M_ANYPRIV, BOTH | REPL, h_write_memory },
	{ "write terminal", H({ "terminal", "Write to terminal" }),
	  CLI_M_ANYPRIV, BOTH, h_write_terminal },
	{ "write erase", NULL, CLI_M_ANYPRIV, BOTH | REPL, h_write_erase },
	{ "reload [noconfirm]", H({ "noconfirm", "Do not prompt for confirmation" }),
	  CLI_M_PRIV, SYS, h_reload },
	{ "copy [/noconfirm] WORD:src WORD:dst",
	  H({ "/noconfirm", "Do not prompt for confirmation" },
	    { "src", "Source: running-config, startup-config, flash:/path" },
	    { "dst", "Destination: running-config, startup-config, flash:/path" }),
	  CLI_M_ANYPRIV, BOTH | FILE_CMD, h_copy },
	{ "dir [WORD:path]", H({ "path", "Directory: flash:/ or disk0:/" }),
	  CLI_M_ANYPRIV, BOTH, h_dir },
	{ "more WORD:path", H({ "path", "File to display" }),
	  CLI_M_ANYPRIV, BOTH, h_more },
	{ "rename [/noconfirm] WORD:src WORD:dst",
	  H({ "/noconfirm", "Do not prompt for confirmation" },
	    { "src", "File to rename" }, { "dst", "New name" }),
	  CLI_M_ANYPRIV, BOTH | FILE_CMD, h_rename },
	{ "delete [/noconfirm] WORD:path",
	  H({ "/noconfirm", "Do not prompt for confirmation" },
	    { "path", "File to delete" }),
	  CLI_M_ANYPRIV, BOTH | FILE_CMD, h_delete },
	{ "mkdir [/noconfirm] WORD:path",
	  H({ "/noconfirm", "Do not prompt for confirmation" },
	    { "path", "Directory to create" }),
	  CLI_M_ANYPRIV, BOTH | FILE_CMD, h_mkdir },
	{ "rmdir [/noconfirm] WORD:path",
	  H({ "/noconfirm", "Do not prompt for confirmation" },
	    { "path", "Directory to remove" }),
	  CLI_M_ANYPRIV, BOTH | FILE_CMD, h_rmdir },

	/* system execution space configuration */
	{ "hostname WORD:name", H({ "name", "New host name" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_hostname },
	{ "mac-address auto", NULL, CLI_M_CONFIG, SYS | CFG | REPL | NO, h_mac_auto },
	{ "mac-addresses auto", H({ "mac-addresses", "Alias of mac-address" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | HID, h_mac_auto },
	{ "interface WORD:ifname", H({ "ifname", "Physical interface or subinterface" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO, h_sys_interface },
	{ "description LINE:text", H({ "text", "Up to 240 characters" }),
	  CLI_M_IF, SYS | CFG | REPL | NO | NOS, h_sys_if_desc },
	{ "vlan <1-4094>:id", H({ "id", "VLAN ID" }),
	  CLI_M_IF, SYS | CFG | REPL | NO | NOS, h_sys_if_vlan },
	{ "shutdown", NULL, CLI_M_IF, SYS | CFG | REPL | NO, h_sys_if_shutdown },
	{ "context WORD:ctx", H({ "ctx", "Name of the context, up to 32 characters" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO, h_context },
	{ "description LINE:text", H({ "text", "Up to 200 characters" }),
	  CLI_M_CTX, SYS | CFG | REPL | NO | NOS, h_ctx_desc },
	{ "member WORD:cname", H({ "member", "Assign the context to a resource class" },
				 { "cname", "Class name" }),
	  CLI_M_CTX, SYS | CFG | REPL | NO | NOS, h_ctx_member },
	{ "allocate-interface WORD:phys [WORD:mapped] [visible | invisible]",
	  H({ "allocate-interface", "Allocate an interface to the context" },
	    { "phys", "Physical interface or subinterface" },
	    { "mapped", "Name the context sees" },
	    { "visible", "Show the physical name in the context" },
	    { "invisible", "Hide the physical name in the context" }),
	  CLI_M_CTX, SYS | CFG | REPL | NO | NOS, h_ctx_alloc },
	{ "config-url WORD:url", H({ "config-url", "Configuration URL of the context" },
				   { "url", "flash:/file or disk0:/file" }),
	  CLI_M_CTX, SYS | CFG | REPL | NO | NOS, h_ctx_url },
	{ "join-failover-group <1-2>:gid",
	  H({ "join-failover-group", "Join a failover group" },
	    { "gid", "Failover group number" }),
	  CLI_M_CTX, SYS | CFG | REPL | NO | NOS, h_ctx_join },
	{ "admin-context WORD:ctx", H({ "admin-context", "Set the admin context" },
				      { "ctx", "Context name" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_admin_context },
	{ "class WORD:cname", H({ "cname", "Resource class name" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO, h_class },
	{ "limit-resource [rate] WORD:res WORD:value",
	  H({ "limit-resource", "Limit a resource" },
	    { "rate", "Per-second rate" },
	    { "res", "All, Conns, Hosts, Xlates, ASDM, SSH, Telnet, ..." },
	    { "value", "Number, or percentage like 10%" }),
	  CLI_M_CLASS, SYS | CFG | REPL | NO | NOS, h_limit },
	{ "failover", NULL, CLI_M_CONFIG, SYS | CFG | REPL | NO, h_failover },
	/* `failover lan unit` is per unit: the seed says never replicated. */
	{ "failover lan unit { primary | secondary }", NULL,
	  CLI_M_CONFIG, SYS | CFG | NO | NOS, h_fo_lan_unit },
	{ "failover lan enable", H({ "enable", "Enable LAN-based failover" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO, h_fo_lan_enable },
	{ "failover lan interface WORD:ifname WORD:phy",
	  H({ "ifname", "Name of the failover interface" },
	    { "phy", "Physical interface" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_fo_lan_interface },
	{ "failover link WORD:ifname [WORD:phy]",
	  H({ "ifname", "Name of the stateful failover interface" },
	    { "phy", "Physical interface" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_fo_link },
	{ "failover interface ip WORD:ifname A.B.C.D:addr MASK:mask standby A.B.C.D:sbip",
	  H({ "ifname", "Failover or stateful link interface name" },
	    { "addr", "Active IP address" }, { "mask", "Netmask" },
	    { "sbip", "Standby IP address" }, { "standby", "Standby address" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_fo_ifip },
	{ "failover key [hex] WORD:secret",
	  H({ "hex", "Key as 32 hexadecimal digits" }, { "secret", "Shared secret" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_fo_key },
	{ "failover polltime [unit] [msec:msec] <1-999>:poll [holdtime [msec:hmsec] <1-999>:hold]",
	  H({ "poll", "Poll time: 1-15 s, or 10-999 ms with msec" },
	    { "hold", "Hold time: 1-45 s, or 30-999 ms with msec" },
	    { "msec", "Time in milliseconds" }, { "hmsec", "Time in milliseconds" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_fo_polltime },
	{ "failover group <1-2>:gid", H({ "gid", "Failover group number" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO, h_fo_group },
	{ "primary", NULL, CLI_M_FOGROUP, SYS | CFG | REPL | NO, h_grp_pref },
	{ "secondary", NULL, CLI_M_FOGROUP, SYS | CFG | REPL | NO, h_grp_pref },
	{ "preempt [<1-1200>:delay]", H({ "delay", "Seconds to wait before preempting" }),
	  CLI_M_FOGROUP, SYS | CFG | REPL | NO | NOS, h_grp_preempt },
	{ "polltime interface [msec] <1-999>:poll [holdtime <5-75>:hold]",
	  H({ "interface", "Interface poll time" },
	    { "poll", "1-15 s, or 10-999 ms with msec" },
	    { "hold", "Hold time in seconds" }),
	  CLI_M_FOGROUP, SYS | CFG | REPL | NO | NOS, h_grp_polltime },
	{ "interface-policy WORD:policy",
	  H({ "interface-policy", "Failed interfaces that trigger failover" },
	    { "policy", "Number (1-250) or percentage (1-100%)" }),
	  CLI_M_FOGROUP, SYS | CFG | REPL | NO | NOS, h_grp_policy },
	{ "mac address WORD:ifname WORD:amac WORD:smac",
	  H({ "mac", "Virtual MAC addresses" }, { "address", "MAC address" },
	    { "ifname", "Interface name" }, { "amac", "Active MAC H.H.H" },
	    { "smac", "Standby MAC H.H.H" }),
	  CLI_M_FOGROUP, SYS | CFG | REPL | NO | NOS, h_grp_mac },
	{ "replication http", H({ "replication", "Replication options" },
				{ "http", "Replicate HTTP connections" }),
	  CLI_M_FOGROUP, SYS | CFG | REPL | NO, h_grp_http },
	{ "prompt LINE:parts", H({ "parts", "hostname context priority state domain" }),
	  CLI_M_CONFIG, SYS | CFG | REPL | NO | NOS, h_prompt },

	/* Output and paste artefacts: accepted, ignored. */
	{ "asa version LINE:v", H({ "asa", "Version line of a saved config" },
				  { "version", "Version" }, { "v", "Version" }),
	  CLI_M_CONFIG, BOTH | HID, h_noop },
	{ "pix version LINE:v", H({ "pix", "Version line of a saved config" },
				  { "version", "Version" }, { "v", "Version" }),
	  CLI_M_CONFIG, BOTH | HID, h_noop },

	/* Kept verbatim, not acted on (README: "Lines kept verbatim"). */
	{ "enable password LINE:rest", H({ "password", "Enable password" },
					 { "rest", "Password [encrypted]" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "passwd LINE:rest", H({ "passwd", "Login password" }, { "rest", "Password" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "pager LINE:rest", H({ "pager", "Terminal pager" }, { "rest", "lines N" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "ftp LINE:rest", H({ "ftp", "FTP client settings" }, { "rest", "mode passive" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "asdm LINE:rest", H({ "asdm", "ASDM settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "arp LINE:rest", H({ "arp", "ARP settings" }, { "rest", "timeout N" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "console LINE:rest", H({ "console", "Console settings" }, { "rest", "timeout N" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "names", H({ "names", "Enable the use of names" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO, h_verbatim },
	{ "icmp LINE:rest", H({ "icmp", "ICMP settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "snmp-server LINE:rest", H({ "snmp-server", "SNMP settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "telnet LINE:rest", H({ "telnet", "Telnet settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "ssh LINE:rest", H({ "ssh", "SSH settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "http LINE:rest", H({ "http", "HTTP server settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "dns LINE:rest", H({ "dns", "DNS settings" }, { "rest", "Settings" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "domain-name WORD:rest", H({ "domain-name", "Domain name" }, { "rest", "Name" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "service-policy LINE:rest", H({ "service-policy", "Apply a policy map" },
					{ "rest", "Policy and scope" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_verbatim },
	{ "class-map LINE:rest", H({ "class-map", "Configure a class map" },
				   { "rest", "Class map" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_block },
	{ "policy-map LINE:rest", H({ "policy-map", "Configure a policy map" },
				    { "rest", "Policy map" }),
	  CLI_M_CONFIG, BOTH | CFG | REPL | NO | NOS, h_block },
	{ "LINE:text", H({ "text", "A line of the block" }),
	  CLI_M_BLOCK, BOTH | CFG | REPL | HID, h_block_line },
	{ NULL, NULL, 0, 0, NULL },
};
