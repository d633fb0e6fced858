/*
 * sys_unit: one appliance unit — the object every console command reaches
 * through cli_owner().  It owns the running configurations (system and
 * each context), the flash, the command engine and the hooks that make
 * configuration real (contexts/, failover/, replication/ plug in here).
 */
#ifndef MCTX_SYS_UNIT_H
#define MCTX_SYS_UNIT_H

#include <stdbool.h>

#include "system/cli.h"
#include "system/sys_bootstrap.h"
#include "system/sys_buf.h"
#include "system/sys_config.h"
#include "contexts/ctx_config.h"

#define MCTX_VERSION "1.0(1)"

struct unit;
struct flash;
struct ev_loop;

/* boot and flash stay owned by the caller and must outlive the unit.
 * kernel: false runs the configuration model alone (tests, config
 * checks): no namespaces or links are touched and interface names are
 * resolved through the bootstrap inventory only. */
struct unit *unit_create(const struct bootstrap *boot, struct flash *flash,
			 struct ev_loop *loop, bool kernel, char *err,
			 size_t errlen);
void unit_destroy(struct unit *u);

/* Replays the saved system configuration (boot, `reload`).  Lines that
 * fail are logged with their line number; the rest still load. */
int unit_load_startup(struct unit *u, struct buf *report);
/* Replays text as configuration in the system space (ctx NULL) or in a
 * context.  Returns the number of failed lines; their errors, each with
 * its line number, go to report when non-NULL. */
int unit_replay(struct unit *u, const char *ctx, const char *text,
		struct buf *report);

struct cli_session *unit_session_create(struct unit *u, bool interactive);
const struct cli_engine *unit_cli(const struct unit *u);

struct sys_config *unit_sysconfig(struct unit *u);
struct ctx_config *unit_ctxconfig(struct unit *u, const char *name);
struct flash *unit_flash(struct unit *u);
const struct bootstrap *unit_bootstrap(const struct unit *u);
bool unit_kernel(const struct unit *u);
/* The event loop the unit was created with; NULL without one (tests). */
struct ev_loop *unit_loop(struct unit *u);
long unit_uptime(const struct unit *u);

/* Resolves an appliance interface name to its Linux link; NULL when the
 * unit has no such interface (ASA refuses it with the caret). */
const char *unit_link_for(struct unit *u, const char *ifname, char *buf,
			  size_t len);

/* Context lifecycle, called by the system-space handlers. */
int unit_context_add(struct unit *u, const char *name, struct buf *msg);
int unit_context_remove(struct unit *u, const char *name, struct buf *msg);
/* config-url set: loads the context's configuration from it. */
int unit_context_load_url(struct unit *u, const char *name, struct buf *msg);
int unit_context_allocate(struct unit *u, const char *ctx, const char *phys,
			  const char *mapped, struct buf *msg);
int unit_context_release(struct unit *u, const char *ctx, const char *phys,
			 struct buf *msg);
/* Pushes a context's configuration to its kernel namespace (after each
 * configuration command inside it).  0 or -errno with msg filled. */
int unit_context_apply(struct unit *u, const char *ctx, struct buf *msg);

/* Failover: makes failover group GROUP (1 or 2) active or standby on
 * this unit.  Takeover order from the seed: every context of the group
 * takes the active (or standby) IP and MAC addresses, then sends
 * gratuitous ARP from each address it now owns.  Returns 0 or the first
 * -errno (msg says which context). */
int unit_group_set_role(struct unit *u, int group, bool active,
			struct buf *msg);
bool unit_group_active(const struct unit *u, int group);
/* Called by the failover layer after a context's config changed. */
int unit_context_group(struct unit *u, const char *ctx);

/* A context show command that reads the kernel (contexts/ctx_runtime.h
 * enum ctx_rt_show); -ENOTSUP without kernel. */
int unit_context_show(struct unit *u, const char *ctx, int what,
		      const char *arg, struct buf *out, struct buf *msg);

/* write memory [all] / copy running-config startup-config: one flash
 * transaction.  ctx non-NULL: only that context's config-url file. */
int unit_write_memory(struct unit *u, const char *ctx, bool all,
		      struct buf *msg);
/* Writes the running configuration of the system (ctx NULL) or a context
 * as shown by show running-config. */
void unit_write_running(struct unit *u, const char *ctx, unsigned flags,
			struct buf *out);

/* The replication layer's view of every command a console ran (see
 * cli_session_ops.executed); one hook per unit, NULL to remove. */
typedef void (*unit_exec_hook)(void *arg, struct cli_session *s,
			       const struct cli_cmd *cmd, const char *line,
			       enum cli_status status);
void unit_set_exec_hook(struct unit *u, unit_exec_hook fn, void *arg);

/* Told after a context is created (added) or removed: the console
 * server opens or closes that context's confined console socket.  One
 * watcher per unit, NULL to remove. */
typedef void (*unit_ctx_watch)(void *arg, const char *ctx, bool added);
void unit_set_context_watch(struct unit *u, unit_ctx_watch fn, void *arg);

/* failover/: the unit's failover manager (failover/fo_unit.h); NULL when
 * the unit runs without an event loop. */
struct fo_unit *unit_failover(struct unit *u);
/* replication/: the unit's replication layer (replication/repl.h); NULL
 * when the unit runs without an event loop. */
struct repl *unit_repl(struct unit *u);
/* Console notices (asynchronous output such as failover exec replies):
 * mctxd points them at con_server_notice(). */
typedef void (*unit_notice_fn)(void *arg, const char *text);
void unit_set_notice(struct unit *u, unit_notice_fn fn, void *arg);
void unit_notice(struct unit *u, const char *text);

/* Called now and then during long operations on the loop's thread
 * (replaying a configuration, applying contexts): the failover layer keeps
 * its hellos going, so a unit busy applying its mate's configuration is not
 * taken for dead.  One hook per unit, NULL to remove. */
void unit_set_busy_hook(struct unit *u, void (*fn)(void *arg), void *arg);
void unit_busy(struct unit *u);

/* Command tables of each subsystem (declared once, in their .c files). */
extern const struct cli_cmd sys_cmds[];
extern const struct cli_cmd ctx_cmds[];
extern const struct cli_cmd fo_cmds[];
extern const struct cli_cmd repl_cmds[];

#endif
