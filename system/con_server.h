/*
 * con_server: the console socket.  Each connection is one cli session
 * (its own mode, context and sub-mode), served from the daemon's event
 * loop; several consoles may be connected at once.  Only root, or members
 * of the configured group, may connect (file mode and SO_PEERCRED).
 */
#ifndef MCTX_CON_SERVER_H
#define MCTX_CON_SERVER_H

#include <stddef.h>

struct con_server;
struct ev_loop;
struct unit;

/* Creates the socket (replacing a stale one).  group: "" = root only. */
int con_server_create(struct ev_loop *loop, struct unit *u, const char *path,
		      const char *group, struct con_server **out, char *err,
		      size_t errlen);
void con_server_destroy(struct con_server *cs);
/* Prints text on every connected console (ASA's console messages such
 * as "Beginning configuration replication: Sending to mate."). */
void con_server_notice(struct con_server *cs, const char *text);
size_t con_server_sessions(const struct con_server *cs);

#endif
