/*
 * sys_netns: entering a named network namespace for a moment.
 *
 * Netlink, nftables and conntrack sockets are bound to the namespace that
 * was current when they were created (see ../shared/notes/conntrack.md), so
 * the daemon enters a context's namespace, creates the socket or runs the
 * operation, and returns.  The daemon is single-threaded, so switching the
 * thread's namespace briefly is safe.  Names are the files under
 * /var/run/netns (what `ip netns` uses).
 */
#ifndef MCTX_SYS_NETNS_H
#define MCTX_SYS_NETNS_H

#define NETNS_RUN_DIR "/var/run/netns"

struct netns_saved {
	int orig_fd;     /* our namespace before entering; -1 when unused */
};

/* Enters NAME; returns 0 or -errno (e.g. -ENOENT if no such namespace). */
int netns_enter(const char *name, struct netns_saved *saved);
/* Returns to the namespace saved by netns_enter (no-op if unused). */
void netns_leave(struct netns_saved *saved);
/* Returns an fd for NAME's namespace (O_RDONLY|O_CLOEXEC) or -errno. */
int netns_open(const char *name);
/* Creates namespace NAME (like `ip netns add`); -EEXIST if it exists. */
int netns_create(const char *name);
/* Removes namespace NAME (like `ip netns delete`). */
int netns_delete(const char *name);
int netns_exists(const char *name);

#endif
