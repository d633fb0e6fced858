/*
 * sys_unit: see sys_unit.h.
 */
#include "system/sys_unit.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contexts/ctx_runtime.h"
#include "failover/fo_unit.h"
#include "replication/repl.h"
#include "system/flash.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"

struct unit_ctx {
	char name[CTX_NAME_MAX];
	struct ctx_config *cfg;
	struct ctx_rt *rt;          /* kernel side; NULL without kernel */
};

struct unit {
	const struct bootstrap *boot;
	struct flash *flash;
	struct ev_loop *loop;
	bool kernel;
	struct cli_engine *cli;
	struct sys_config *sys;
	struct unit_ctx *ctxs;
	size_t nctxs;
	time_t boot_time;
	struct cli_session *loader;   /* replays saved configuration */
	int replaying;                /* unit_replay nesting depth */
	struct ctx_rt_unit *kunit;    /* unit namespace; NULL without kernel */
	/* Failover group roles on this unit: active until the failover layer
	 * says otherwise (a unit alone passes traffic for both groups). */
	bool group_standby[SYS_MAX_GROUPS];
	unit_exec_hook exec_hook;
	void *exec_hook_arg;
	void (*busy_hook)(void *arg);
	void *busy_arg;
	unit_ctx_watch ctx_watch;     /* confined console sockets */
	void *ctx_watch_arg;
	/* failover/: the failover manager (NULL without an event loop) and
	 * where its console notices go (failover exec replies). */
	struct fo_unit *fo;
	struct repl *repl;            /* replication/ (NULL without a loop) */
	unit_notice_fn notice;
	void *notice_arg;
};

static const char *unit_hostname(void *owner, const char *context)
{
	struct unit *u = owner;
	return u->sys->hostname;
}

static void unit_executed(void *owner, struct cli_session *s,
			  const struct cli_cmd *cmd, const char *line,
			  enum cli_status status)
{
	struct unit *u = owner;
	/* failover/: any system-space configuration command may be a
	 * failover one; fo_unit applies the difference once, later. */
	if ((cmd->flags & CLI_F_CONFIG) && !cli_context(s) &&
	    (status == CLI_OK || status == CLI_WARNING))
		fo_unit_config_changed(u->fo, false);
	/* ... and a context one may name a monitored interface. */
	if ((cmd->flags & CLI_F_CONFIG) && cli_context(s) &&
	    (status == CLI_OK || status == CLI_WARNING))
		fo_unit_contexts_changed(u->fo);
	if (u->exec_hook)
		u->exec_hook(u->exec_hook_arg, s, cmd, line, status);
}

/* `prompt hostname priority state context`: "/pri/act" after the
 * hostname (failover/fo_unit.h); state is that of the context's group. */
static void unit_prompt_extra(void *owner, const char *context, struct buf *b)
{
	struct unit *u = owner;
	char parts[SYS_TEXT_MAX + 2];
	snprintf(parts, sizeof parts, " %s ", u->sys->prompt);
	if (strstr(parts, " priority "))
		buf_printf(b, "/%s", fo_unit_prompt_priority(u->fo));
	if (strstr(parts, " state "))
		buf_printf(b, "/%s", fo_unit_prompt_state(u->fo,
			   context ? unit_context_group(u, context) : 1));
}

static const struct cli_session_ops session_ops = {
	.hostname = unit_hostname,
	.prompt_extra = unit_prompt_extra,
	.executed = unit_executed,
};

void unit_set_busy_hook(struct unit *u, void (*fn)(void *arg), void *arg)
{
	u->busy_hook = fn;
	u->busy_arg = arg;
}

void unit_busy(struct unit *u)
{
	if (u->busy_hook)
		u->busy_hook(u->busy_arg);
}

void unit_set_exec_hook(struct unit *u, unit_exec_hook fn, void *arg)
{
	u->exec_hook = fn;
	u->exec_hook_arg = arg;
}

void unit_set_context_watch(struct unit *u, unit_ctx_watch fn, void *arg)
{
	u->ctx_watch = fn;
	u->ctx_watch_arg = arg;
}

struct unit *unit_create(const struct bootstrap *boot, struct flash *flash,
			 struct ev_loop *loop, bool kernel, char *err,
			 size_t errlen)
{
	static const struct cli_cmd *const tables[] = { sys_cmds, ctx_cmds,
							fo_cmds, repl_cmds, NULL };
	struct unit *u = calloc(1, sizeof *u);
	if (!u)
		abort();
	u->boot = boot;
	u->flash = flash;
	u->loop = loop;
	u->kernel = kernel;
	u->boot_time = time(NULL);
	u->cli = cli_engine_create(tables, err, errlen);
	if (!u->cli) {
		free(u);
		return NULL;
	}
	if (kernel) {
		int rc = ctx_rt_unit_open(boot->netns, &u->kunit);
		if (rc < 0) {
			snprintf(err, errlen, "cannot open the unit network "
				 "namespace: %s", strerror(-rc));
			cli_engine_destroy(u->cli);
			free(u);
			return NULL;
		}
	}
	u->sys = sys_config_create();
	u->loader = cli_session_create(u->cli, u, &session_ops, false);
	cli_set_loading(u->loader, true);
	/* failover/: needs the loop for its link and timers. */
	if (loop && fo_unit_create(loop, u, &u->fo) < 0)
		abort();
	/* replication/: plugs into the failover manager just made. */
	if (repl_create(loop, u, &u->repl) < 0)
		abort();
	return u;
}

static void ctx_free(struct unit *u, struct unit_ctx *c, bool remove_kernel)
{
	if (c->rt)
		ctx_rt_close(c->rt, remove_kernel);
	c->rt = NULL;
	ctx_config_destroy(c->cfg);
	c->cfg = NULL;
}

void unit_destroy(struct unit *u)
{
	if (!u)
		return;
	repl_destroy(u->repl);   /* replication/: before failover */
	fo_unit_destroy(u->fo);  /* failover/: before the contexts go */
	/* Namespaces stay: a restarted daemon adopts them (issue 3). */
	for (size_t i = 0; i < u->nctxs; i++)
		ctx_free(u, &u->ctxs[i], false);
	free(u->ctxs);
	ctx_rt_unit_close(u->kunit);
	cli_session_destroy(u->loader);
	sys_config_destroy(u->sys);
	cli_engine_destroy(u->cli);
	free(u);
}

const struct cli_engine *unit_cli(const struct unit *u) { return u->cli; }
struct fo_unit *unit_failover(struct unit *u) { return u->fo; }
struct repl *unit_repl(struct unit *u) { return u->repl; }

void unit_set_notice(struct unit *u, unit_notice_fn fn, void *arg)
{
	u->notice = fn;
	u->notice_arg = arg;
}

void unit_notice(struct unit *u, const char *text)
{
	if (u->notice)
		u->notice(u->notice_arg, text);
}
struct sys_config *unit_sysconfig(struct unit *u) { return u->sys; }
struct flash *unit_flash(struct unit *u) { return u->flash; }
const struct bootstrap *unit_bootstrap(const struct unit *u) { return u->boot; }
bool unit_kernel(const struct unit *u) { return u->kernel; }
struct ev_loop *unit_loop(struct unit *u) { return u->loop; }
long unit_uptime(const struct unit *u) { return (long)(time(NULL) - u->boot_time); }

struct cli_session *unit_session_create(struct unit *u, bool interactive)
{
	return cli_session_create(u->cli, u, &session_ops, interactive);
}

static struct unit_ctx *find_ctx(struct unit *u, const char *name)
{
	for (size_t i = 0; i < u->nctxs; i++)
		if (strcmp(u->ctxs[i].name, name) == 0)
			return &u->ctxs[i];
	return NULL;
}

struct ctx_config *unit_ctxconfig(struct unit *u, const char *name)
{
	struct unit_ctx *c = find_ctx(u, name);
	return c ? c->cfg : NULL;
}

const char *unit_link_for(struct unit *u, const char *ifname, char *buf,
			  size_t len)
{
	for (size_t i = 0; i < u->boot->nifaces; i++)
		if (strcmp(u->boot->ifaces[i].name, ifname) == 0) {
			snprintf(buf, len, "%s", u->boot->ifaces[i].link);
			return buf;
		}
	if (!u->kernel)
		return NULL;
	const char *link = bootstrap_link_for(u->boot, ifname);
	if (!link)
		return NULL;
	snprintf(buf, len, "%s", link);
	if (if_nametoindex(buf))
		return buf;
	/* Allocated links live in a context namespace now. */
	if (sys_config_alloc_owner(u->sys, ifname))
		return buf;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* replay                                                              */

int unit_replay(struct unit *u, const char *ctx, const char *text,
		struct buf *report)
{
	struct buf out;
	int failed = 0, lineno = 0;
	const char *p = text;
	/* A replay can nest: `config-url` in the startup configuration loads
	 * the context's file while the system replay is inside `context X`.
	 * The nested one gets its own session, so the outer one keeps its
	 * sub-mode (else the next `join-failover-group` lands in config). */
	struct cli_session *loader = u->loader;
	if (u->replaying) {
		loader = cli_session_create(u->cli, u, &session_ops, false);
		cli_set_loading(loader, true);
	}
	u->replaying++;

	buf_init(&out);
	cli_set_context(loader, ctx);
	cli_set_mode(loader, CLI_MODE_CONFIG, NULL);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		if (!line)
			abort();
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		lineno++;
		unit_busy(u);
		buf_reset(&out);
		enum cli_status st = cli_execute(loader, line, &out);
		if (st != CLI_OK && st != CLI_WARNING) {
			failed++;
			if (report)
				buf_printf(report, "line %d: %s\n%s", lineno,
					   line, out.data ? out.data : "");
		}
		free(line);
		p = nl ? nl + 1 : p + len;
	}
	cli_set_context(loader, NULL);
	cli_set_mode(loader, CLI_MODE_CONFIG, NULL);
	if (loader != u->loader)
		cli_session_destroy(loader);
	u->replaying--;
	buf_free(&out);
	if (ctx)
		unit_context_apply(u, ctx, report);
	else
		fo_unit_config_changed(u->fo, true);  /* failover/ */
	return failed;
}

/* ctx_rt_sweep's keep() after a replay: the running configuration. */
static bool ctx_configured(const char *name, const char *unit_link, void *arg)
{
	struct unit *u = arg;
	struct unit_ctx *c = find_ctx(u, name);
	if (!c || !unit_link)
		return c != NULL;
	struct sys_context *sc = sys_config_context(u->sys, name, false);
	for (size_t i = 0; sc && i < sc->nallocs; i++) {
		const char *l = bootstrap_link_for(u->boot, sc->allocs[i].phys);
		if (l && strcmp(l, unit_link) == 0)
			return true;
	}
	return false;
}

struct startup_view {
	const struct unit *u;
	const char *text;        /* the saved system configuration */
};

/* " allocate-interface PHYS [MAPPED]" (LEN bytes at LINE): PHYS. */
static bool alloc_line_phys(const char *line, size_t len, char *out,
			    size_t outlen)
{
	static const char kw[] = "allocate-interface ";
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len <= strlen(kw) || strncmp(line, kw, strlen(kw)))
		return false;
	line += strlen(kw);
	len -= strlen(kw);
	size_t n = strcspn(line, " \t\r\n");
	if (n > len)
		n = len;
	if (!n || n >= outlen)
		return false;
	memcpy(out, line, n);
	out[n] = '\0';
	return true;
}

/* ctx_rt_sweep's keep() before the replay, from the saved text: does it
 * have `context NAME` (and, with UNIT_LINK, in that block an
 * `allocate-interface PHYS` whose link is UNIT_LINK)? */
static bool ctx_in_startup(const char *name, const char *unit_link, void *arg)
{
	const struct startup_view *v = arg;
	size_t n = strlen(name);
	bool inside = false;
	for (const char *line = v->text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (line[0] != ' ' && line[0] != '\t') {
			inside = !strncmp(line, "context ", 8) &&
				 !strncmp(line + 8, name, n) &&
				 strchr("\r\n ", line[8 + n]);
			if (inside && !unit_link)
				return true;
		} else if (inside) {
			char phys[SYS_NAME_MAX];
			const char *l;
			if (alloc_line_phys(line, len, phys, sizeof phys) &&
			    (l = bootstrap_link_for(v->u->boot, phys)) &&
			    strcmp(l, unit_link) == 0)
				return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* After the startup configuration: the kernel holds exactly what it says
 * (links it no longer allocates go back to the unit), so a restart loses
 * no interface (issue 3).  With no startup configuration at all, every
 * context namespace of this unit goes. */
static void unit_sweep_kernel(struct unit *u)
{
	if (!u->kernel)
		return;
	int n = ctx_rt_sweep(u->kunit, u->boot->netns_prefix, ctx_configured, u);
	if (n > 0)
		mlog(MSG_900003, "%d context namespace(s) or interface(s) not in "
		     "the startup configuration were given back", n);
	struct buf msg;
	buf_init(&msg);
	for (size_t i = 0; i < u->nctxs; i++)
		if (u->ctxs[i].rt && ctx_rt_prune(u->ctxs[i].rt, u->ctxs[i].cfg) > 0)
			unit_context_apply(u, u->ctxs[i].name, &msg);
	buf_free(&msg);
}

int unit_load_startup(struct unit *u, struct buf *report)
{
	struct buf text;
	buf_init(&text);
	int rc = flash_get_startup(u->flash, &text);
	if (rc == -ENOENT) {
		buf_free(&text);
		unit_sweep_kernel(u);
		return 0;
	}
	if (rc < 0) {
		mlog(MSG_900002, "cannot read the startup configuration: %s",
		     flash_last_error(u->flash));
		buf_free(&text);
		return rc;
	}
	/* Namespaces of contexts the startup configuration does not have,
	 * and links it does not allocate, go first: the replay then finds
	 * those links in the unit (`interface X` needs them there). */
	struct startup_view view = { u, text.data ? text.data : "" };
	if (u->kernel && ctx_rt_sweep(u->kunit, u->boot->netns_prefix,
				      ctx_in_startup, &view) > 0)
		mlog(MSG_900003, "context namespaces or interfaces not in the "
		     "startup configuration were given back to the unit");
	struct buf rep;
	buf_init(&rep);
	int failed = unit_replay(u, NULL, text.data ? text.data : "", &rep);
	if (failed)
		mlog(MSG_900003, "%d line(s) of the startup configuration "
		     "were refused:\n%s", failed, rep.data);
	if (report && rep.len)
		buf_add(report, rep.data, rep.len);
	buf_free(&rep);
	buf_free(&text);
	unit_sweep_kernel(u);
	return failed;
}

/* ------------------------------------------------------------------ */
/* contexts                                                            */

int unit_context_add(struct unit *u, const char *name, struct buf *msg)
{
	if (find_ctx(u, name))
		return 0;
	struct unit_ctx *grown = realloc(u->ctxs, (u->nctxs + 1) * sizeof *grown);
	if (!grown)
		abort();
	u->ctxs = grown;
	struct unit_ctx *c = &u->ctxs[u->nctxs];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->cfg = ctx_config_create(name);
	if (u->kernel) {
		int rc = ctx_rt_open(u->kunit, u->boot->netns_prefix, name,
				     &c->rt, msg);
		if (rc < 0) {
			ctx_config_destroy(c->cfg);
			return rc;
		}
	}
	u->nctxs++;
	if (u->ctx_watch)
		u->ctx_watch(u->ctx_watch_arg, name, true);
	return 0;
}

int unit_context_remove(struct unit *u, const char *name, struct buf *msg)
{
	for (size_t i = 0; i < u->nctxs; i++) {
		if (strcmp(u->ctxs[i].name, name))
			continue;
		/* Confined consoles go first: their sessions name it. */
		if (u->ctx_watch)
			u->ctx_watch(u->ctx_watch_arg, name, false);
		ctx_free(u, &u->ctxs[i], true);
		memmove(&u->ctxs[i], &u->ctxs[i + 1],
			(u->nctxs - i - 1) * sizeof *u->ctxs);
		u->nctxs--;
		return 0;
	}
	return -ENOENT;
}

int unit_context_load_url(struct unit *u, const char *name, struct buf *msg)
{
	struct sys_context *sc = sys_config_context(u->sys, name, false);
	struct unit_ctx *c = find_ctx(u, name);
	if (!sc || !c || !sc->config_url[0])
		return -ENOENT;
	struct buf text;
	buf_init(&text);
	int rc = flash_read(u->flash, sc->config_url, &text);
	if (rc < 0) {
		buf_printf(msg, "WARNING: Could not fetch the URL %s\n"
			   "INFO: Creating context with default config\n",
			   sc->config_url);
		buf_free(&text);
		return rc;
	}
	struct buf rep;
	buf_init(&rep);
	int failed = unit_replay(u, name, text.data ? text.data : "", &rep);
	if (failed) {
		mlog(MSG_900003, "context %s: %d line(s) of %s were refused:\n%s",
		     name, failed, sc->config_url, rep.data);
		buf_printf(msg, "WARNING: %d line(s) of %s were refused:\n%s",
			   failed, sc->config_url, rep.data);
	}
	buf_free(&rep);
	buf_free(&text);
	return 0;
}

int unit_context_allocate(struct unit *u, const char *ctx, const char *phys,
			  const char *mapped, struct buf *msg)
{
	struct unit_ctx *c = find_ctx(u, ctx);
	if (!c)
		return -ENOENT;
	const char *visible = mapped && *mapped ? mapped : phys;
	if (c->rt) {
		char link[64];
		if (!unit_link_for(u, phys, link, sizeof link))
			return -ENODEV;
		const struct sys_iface *si = sys_config_iface(u->sys, phys,
							      false);
		int rc = ctx_rt_allocate(c->rt, link, visible,
					 si ? si->vlan : 0, msg);
		if (rc < 0)
			return rc;
	}
	ctx_config_iface(c->cfg, visible, true);
	return 0;
}

int unit_context_release(struct unit *u, const char *ctx, const char *phys,
			 struct buf *msg)
{
	struct unit_ctx *c = find_ctx(u, ctx);
	struct sys_context *sc = sys_config_context(u->sys, ctx, false);
	if (!c || !sc)
		return -ENOENT;
	for (size_t i = 0; i < sc->nallocs; i++) {
		if (strcmp(sc->allocs[i].phys, phys))
			continue;
		const char *visible = sc->allocs[i].mapped[0] ?
				      sc->allocs[i].mapped : phys;
		if (c->rt) {
			int rc = ctx_rt_release(c->rt, visible, msg);
			if (rc < 0)
				return rc;
		}
		ctx_config_iface_remove(c->cfg, visible);
		/* The firewall still names the departed link: re-apply. */
		unit_context_apply(u, ctx, msg);
		return 0;
	}
	return -ENOENT;
}

int unit_context_apply(struct unit *u, const char *ctx, struct buf *msg)
{
	struct unit_ctx *c = find_ctx(u, ctx);
	if (!c)
		return -ENOENT;
	if (!c->rt)
		return 0;
	unit_busy(u);
	struct sys_context *sc = sys_config_context(u->sys, ctx, false);
	int g = sc ? sys_config_context_group(u->sys, sc) : 1;
	fo_unit_contexts_changed(u->fo);  /* failover/: monitored interfaces */
	return ctx_rt_apply(c->rt, c->cfg, u->sys, sc, u->group_standby[g - 1],
			    msg);
}

int unit_context_group(struct unit *u, const char *ctx)
{
	struct sys_context *sc = sys_config_context(u->sys, ctx, false);
	return sc ? sys_config_context_group(u->sys, sc) : 1;
}

bool unit_group_active(const struct unit *u, int group)
{
	return group >= 1 && group <= SYS_MAX_GROUPS &&
	       !u->group_standby[group - 1];
}

int unit_group_set_role(struct unit *u, int group, bool active,
			struct buf *msg)
{
	int first = 0;
	if (group < 1 || group > SYS_MAX_GROUPS)
		return -EINVAL;
	u->group_standby[group - 1] = !active;
	/* Addresses first on every context of the group, then the ARP
	 * announcements, so no host learns a MAC before it answers.  Only
	 * what the role changes (ctx_rt_set_role): a takeover must not wait
	 * for firewall reloads, which configuration changes still get. */
	for (size_t i = 0; i < u->nctxs; i++) {
		struct unit_ctx *c = &u->ctxs[i];
		if (!c->rt || unit_context_group(u, c->name) != group)
			continue;
		struct sys_context *sc = sys_config_context(u->sys, c->name,
							    false);
		int rc = ctx_rt_set_role(c->rt, c->cfg, u->sys, sc, !active,
					 msg);
		if (rc < 0 && !first)
			first = rc;
	}
	fo_unit_contexts_changed(u->fo);  /* failover/: monitored interfaces */
	for (size_t i = 0; i < u->nctxs; i++)
		if (u->ctxs[i].rt &&
		    unit_context_group(u, u->ctxs[i].name) == group)
			ctx_rt_garp(u->ctxs[i].rt, u->ctxs[i].cfg, !active);
	return first;
}

int unit_context_show(struct unit *u, const char *ctx, int what,
		      const char *arg, struct buf *out, struct buf *msg)
{
	struct unit_ctx *c = find_ctx(u, ctx);
	if (!c)
		return -ENOENT;
	if (!c->rt) {
		buf_puts(msg, "no kernel state: the daemon runs without kernel");
		return -ENOTSUP;
	}
	return ctx_rt_show(c->rt, c->cfg, (enum ctx_rt_show)what, arg, out, msg);
}

/* ------------------------------------------------------------------ */
/* writing                                                             */

void unit_write_running(struct unit *u, const char *ctx, unsigned flags,
			struct buf *out)
{
	if (!ctx) {
		sys_config_write(u->sys, MCTX_VERSION, flags, out);
		return;
	}
	struct unit_ctx *c = find_ctx(u, ctx);
	if (c)
		ctx_config_write(c->cfg, MCTX_VERSION,
				 (flags & SYS_WRITE_ALL) ? CTX_WRITE_ALL : 0,
				 out);
}

static const char *errtext(int rc)
{
	return rc == -ENOSPC ? "No space left on device" : strerror(-rc);
}

int unit_write_memory(struct unit *u, const char *ctx, bool all,
		      struct buf *msg)
{
	struct flash_txn *t;
	struct buf text;
	int rc = flash_txn_begin(u->flash, &t);
	if (rc < 0) {
		buf_printf(msg, "ERROR: Unable to write to flash: %s\n",
			   flash_last_error(u->flash));
		return rc;
	}
	buf_init(&text);
	if (!ctx) {
		sys_config_write(u->sys, MCTX_VERSION, SYS_WRITE_SECRETS, &text);
		rc = flash_txn_put_startup(t, text.data, text.len);
		if (rc < 0)
			buf_printf(msg, "ERROR: Unable to write to flash: %s\n",
				   errtext(rc));
	}
	for (size_t i = 0; rc == 0 && i < u->nctxs; i++) {
		struct unit_ctx *c = &u->ctxs[i];
		if (ctx ? strcmp(c->name, ctx) != 0 : !all)
			continue;
		struct sys_context *sc = sys_config_context(u->sys, c->name,
							    false);
		if (!sc || !sc->config_url[0]) {
			if (ctx) {
				buf_printf(msg, "ERROR: context %s has no "
					   "config-url\n", c->name);
				rc = -EINVAL;
			}
			continue;
		}
		buf_reset(&text);
		ctx_config_write(c->cfg, MCTX_VERSION, 0, &text);
		rc = flash_txn_put_file(t, sc->config_url, text.data, text.len);
		if (rc < 0)
			buf_printf(msg, "ERROR: Unable to write %s: %s\n",
				   sc->config_url, errtext(rc));
	}
	buf_free(&text);
	if (rc < 0) {
		flash_txn_abort(t);
		return rc;
	}
	rc = flash_txn_commit(t);
	if (rc < 0) {
		buf_printf(msg, "ERROR: Unable to write to flash: %s (%s)\n",
			   errtext(rc), flash_last_error(u->flash));
		return rc;
	}
	mlog(MSG_900006, "configuration saved (%s%s)", ctx ? "context " : "system",
	     ctx ? ctx : all ? " and all contexts" : "");
	return 0;
}
