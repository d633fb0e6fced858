/*
 * con_server: see con_server.h.
 */
#include "system/con_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "system/cli.h"
#include "system/con_wire.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"

struct con_conn {
	struct con_server *cs;
	int fd;
	struct buf in, out;
	struct cli_session *session;    /* after HELLO */
	bool closing;                   /* close once out is flushed */
	bool waiting;                   /* a command answers later (cli_defer) */
	uint32_t waiting_id;            /* its request id */
	char waiting_line[CON_MAX_LINE + 1];
	char waiting_ctx[64];
	unsigned id;
	char confined[64];              /* "" or the context it is held in */
	struct con_conn *next;
};

/* A context's own console socket, <context_console_dir>/<ctx>.sock: its
 * sessions start in the context and cannot `changeto` out (cli_confine). */
struct con_listener {
	struct con_server *cs;
	int fd;
	char path[108];
	char ctx[64];
	struct con_listener *next;
};

struct con_server {
	struct ev_loop *loop;
	struct unit *unit;
	int fd;
	char path[108];
	gid_t gid;
	bool group_set;
	struct con_conn *conns;
	unsigned next_id;
	struct con_listener *confined;  /* per-context sockets */
};

static void conn_free(struct con_conn *c)
{
	struct con_server *cs = c->cs;
	for (struct con_conn **pp = &cs->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ev_io_del(cs->loop, c->fd);
	close(c->fd);
	if (c->session)
		mlog(MSG_611103, "Console session %u closed", c->id);
	cli_session_destroy(c->session);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void conn_want_write(struct con_conn *c)
{
	ev_io_mod(c->cs->loop, c->fd, EPOLLIN | (c->out.len ? EPOLLOUT : 0));
}

/* Returns false if the connection was freed. */
static bool conn_flush(struct con_conn *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_free(c);
			return false;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (!c->out.len && c->closing) {
		conn_free(c);
		return false;
	}
	conn_want_write(c);
	return true;
}

static void send_done(struct con_conn *c, uint32_t id, enum cli_status st)
{
	struct buf prompt;
	buf_init(&prompt);
	cli_prompt(c->session, &prompt);
	con_put_done(&c->out, id, (uint8_t)st, prompt.data ? prompt.data : "");
	buf_free(&prompt);
}

static void send_output(struct con_conn *c, uint32_t id, const struct buf *b)
{
	/* Large outputs (show running-config of a big context) go out in
	 * chunks well under the frame limit. */
	size_t off = 0;
	const size_t chunk = 1u << 20;
	while (off < b->len) {
		size_t n = b->len - off < chunk ? b->len - off : chunk;
		con_frame_put(&c->out, CON_OUTPUT, 0, id, b->data + off,
			      (uint32_t)n);
		off += n;
	}
}

/* The end of a command: its DONE frame (status and the next prompt), the
 * audit line, and the session's end after `exit`. */
static void finish_request(struct con_conn *c, uint32_t id, enum cli_status st,
			   const char *line, const char *ctx)
{
	if (line && line[0] && line[0] != '!' && st == CLI_OK)
		mlog(MSG_111008, "User 'enable_15' executed the '%s' command%s%s",
		     line, ctx[0] ? " in context " : "", ctx);
	send_done(c, id, st);
	if (cli_close_requested(c->session)) {
		con_put_text(&c->out, CON_BYE, id, "Logoff");
		c->closing = true;
	}
}

static bool conn_process(struct con_conn *c);

/* cli_deferred_finish(): the command this connection waits for has its
 * answer.  Its output and DONE go out, then the lines the client sent
 * meanwhile run. */
static void conn_deferred_done(void *arg, enum cli_status st,
			       const char *output)
{
	struct con_conn *c = arg;
	struct buf out;

	buf_init(&out);
	buf_add(&out, output, strlen(output));
	send_output(c, c->waiting_id, &out);
	buf_free(&out);
	c->waiting = false;
	finish_request(c, c->waiting_id, st, c->waiting_line, c->waiting_ctx);
	if (conn_process(c))
		conn_flush(c);
}

static void handle_frame(struct con_conn *c, const struct con_frame *f)
{
	char line[CON_MAX_LINE + 1];
	struct buf out;

	if (f->type == CON_HELLO) {
		uint16_t version, flags;
		if (c->session || con_parse_hello(f, &version, &flags) < 0 ||
		    version != CON_VERSION) {
			c->closing = true;
			con_put_text(&c->out, CON_BYE, f->id,
				     "protocol error: bad HELLO");
			return;
		}
		c->session = unit_session_create(c->cs->unit,
						  !(flags & CON_HELLO_BATCH));
		cli_set_deferrable(c->session, conn_deferred_done, c);
		if (c->confined[0])
			cli_confine(c->session, c->confined);
		mlog(MSG_605005, "Console session %u opened (%s)", c->id,
		     (flags & CON_HELLO_BATCH) ? "batch" : "interactive");
		struct buf prompt;
		buf_init(&prompt);
		cli_prompt(c->session, &prompt);
		con_put_welcome(&c->out, f->id, prompt.data ? prompt.data : "");
		buf_free(&prompt);
		return;
	}
	if (!c->session || !con_type_is_request(f->type) ||
	    con_parse_line(f, line, sizeof line) < 0) {
		c->closing = true;
		con_put_text(&c->out, CON_BYE, f->id, "protocol error");
		return;
	}
	buf_init(&out);
	enum cli_status st = CLI_OK;
	switch (f->type) {
	case CON_EXEC: {
		/* A copy: `changeto` frees the session's context name. */
		char ctx[64] = "";
		if (cli_context(c->session))
			snprintf(ctx, sizeof ctx, "%s", cli_context(c->session));
		st = cli_execute(c->session, line, &out);
		send_output(c, f->id, &out);
		buf_free(&out);
		if (cli_deferred_pending(c->session)) {
			/* Its DONE waits for conn_deferred_done(); so do
			 * the client's next lines (conn_process). */
			c->waiting = true;
			c->waiting_id = f->id;
			snprintf(c->waiting_line, sizeof c->waiting_line, "%s",
				 line);
			snprintf(c->waiting_ctx, sizeof c->waiting_ctx, "%s", ctx);
			return;
		}
		finish_request(c, f->id, st, line, ctx);
		return;
	}
	case CON_HELP:
		cli_help(c->session, line, &out);
		break;
	case CON_COMPLETE:
		cli_complete(c->session, line, &out);
		break;
	}
	send_output(c, f->id, &out);
	buf_free(&out);
	finish_request(c, f->id, st, NULL, "");
}

/* Runs the complete frames received so far, unless a command is still
 * waiting for its answer.  Returns false if the connection was freed. */
static bool conn_process(struct con_conn *c)
{
	while (!c->closing && !c->waiting && c->in.len) {
		struct con_frame f;
		ssize_t used = con_frame_get((const uint8_t *)c->in.data,
					     c->in.len, &f);
		if (used == 0)
			break;
		if (used < 0) {
			mlog(MSG_900005, "console session %u: bad frame (%s); "
			     "closing", c->id, strerror((int)-used));
			conn_free(c);
			return false;
		}
		handle_frame(c, &f);
		buf_consume(&c->in, (size_t)used);
	}
	return true;
}

static void conn_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct con_conn *c = arg;
	if (events & EPOLLIN) {
		char tmp[16384];
		ssize_t n = recv(fd, tmp, sizeof tmp, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(c);
			return;
		}
		if (n > 0)
			buf_add(&c->in, tmp, (size_t)n);
		if (!conn_process(c))
			return;
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		conn_free(c);
		return;
	}
	conn_flush(c);
}

static bool peer_allowed(struct con_server *cs, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0)
		return true;
	if (!cs->group_set)
		return false;
	if (cred.gid == cs->gid)
		return true;
	/* Supplementary groups of the peer, from /proc. */
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/status", (int)cred.pid);
	FILE *f = fopen(path, "r");
	bool ok = false;
	if (!f)
		return false;
	while (!ok && fgets(line, sizeof line, f))
		if (strncmp(line, "Groups:", 7) == 0) {
			char *save = NULL;
			for (char *t = strtok_r(line + 7, " \t\n", &save); t;
			     t = strtok_r(NULL, " \t\n", &save))
				if ((gid_t)atol(t) == cs->gid)
					ok = true;
		}
	fclose(f);
	return ok;
}

static void accept_conn(struct con_server *cs, int fd, const char *confined);

static void accept_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	accept_conn(arg, fd, "");
}

static void accept_confined_io(struct ev_loop *loop, int fd, uint32_t events,
			       void *arg)
{
	struct con_listener *l = arg;
	accept_conn(l->cs, fd, l->ctx);
}

static void accept_conn(struct con_server *cs, int fd, const char *confined)
{
	struct ev_loop *loop = cs->loop;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (!peer_allowed(cs, cfd)) {
		mlog(MSG_900005, "console connection refused: not root or "
		     "member of the console group");
		close(cfd);
		return;
	}
	struct con_conn *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->cs = cs;
	c->fd = cfd;
	c->id = ++cs->next_id;
	snprintf(c->confined, sizeof c->confined, "%s", confined);
	buf_init(&c->in);
	buf_init(&c->out);
	if (ev_io_add(loop, cfd, EPOLLIN, conn_io, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	c->next = cs->conns;
	cs->conns = c;
}

/* Binds and listens on PATH (replacing a stale socket file, never a live
 * one), root-only or group-accessible as the server says.  0 or -errno
 * with err filled. */
static int listen_unix(struct con_server *cs, const char *path, int *out,
		       char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "console socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	/* A socket file left by a killed daemon: replace it, but never a
	 * live one (another mctxd serving it). */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		bool live = connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
		close(probe);
		if (live) {
			snprintf(err, errlen, "console socket %s is in use by "
				 "another daemon", path);
			return -EADDRINUSE;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(path);
	mode_t old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0)
		goto fail;
	if (cs->group_set && (chown(path, 0, cs->gid) < 0 || chmod(path, 0660) < 0))
		goto fail;
	if (listen(fd, 16) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "cannot create console socket %s: %s", path,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- per-context (confined) console sockets ---- */

static void confined_close(struct con_server *cs, struct con_listener *l)
{
	for (struct con_listener **pp = &cs->confined; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	/* Its sessions would name a context that no longer exists. */
	for (struct con_conn *c = cs->conns, *next; c; c = next) {
		next = c->next;
		if (strcmp(c->confined, l->ctx) == 0)
			conn_free(c);
	}
	ev_io_del(cs->loop, l->fd);
	close(l->fd);
	unlink(l->path);
	free(l);
}

/* unit_ctx_watch: a context was created or removed. */
static void confined_watch(void *arg, const char *ctx, bool added)
{
	struct con_server *cs = arg;
	const char *dir = unit_bootstrap(cs->unit)->context_console_dir;
	char err[256];

	for (struct con_listener *l = cs->confined; l; l = l->next)
		if (strcmp(l->ctx, ctx) == 0) {
			if (!added)
				confined_close(cs, l);
			return;
		}
	if (!added)
		return;
	struct con_listener *l = calloc(1, sizeof *l);
	if (!l)
		abort();
	l->cs = cs;
	snprintf(l->ctx, sizeof l->ctx, "%s", ctx);
	int n = snprintf(l->path, sizeof l->path, "%s/%s.sock", dir, ctx);
	int rc = n >= (int)sizeof l->path ? -ENAMETOOLONG :
		 listen_unix(cs, l->path, &l->fd, err, sizeof err);
	if (rc == 0 && (rc = ev_io_add(cs->loop, l->fd, EPOLLIN,
				       accept_confined_io, l)) < 0)
		close(l->fd);
	if (rc < 0) {
		mlog(MSG_900005, "context %s: no console socket: %s", ctx,
		     n >= (int)sizeof l->path ? "path too long" : err);
		free(l);
		return;
	}
	l->next = cs->confined;
	cs->confined = l;
}

/* Opens the sockets of the contexts that exist and follows the rest. */
static void confined_start(struct con_server *cs)
{
	const char *dir = unit_bootstrap(cs->unit)->context_console_dir;
	if (!dir[0])
		return;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		mlog(MSG_900005, "cannot create %s: %s", dir, strerror(errno));
	const struct sys_config *sys = unit_sysconfig(cs->unit);
	for (size_t i = 0; i < sys->ncontexts; i++)
		confined_watch(cs, sys->contexts[i].name, true);
	unit_set_context_watch(cs->unit, confined_watch, cs);
}

int con_server_create(struct ev_loop *loop, struct unit *u, const char *path,
		      const char *group, struct con_server **out, char *err,
		      size_t errlen)
{
	struct con_server *cs;
	int rc;

	cs = calloc(1, sizeof *cs);
	if (!cs)
		return -ENOMEM;
	cs->loop = loop;
	cs->unit = u;
	cs->fd = -1;
	snprintf(cs->path, sizeof cs->path, "%s", path);
	if (group && *group) {
		struct group *g = getgrnam(group);
		if (!g) {
			snprintf(err, errlen, "console group '%s' does not exist",
				 group);
			free(cs);
			return -ENOENT;
		}
		cs->gid = g->gr_gid;
		cs->group_set = true;
	}
	rc = listen_unix(cs, path, &cs->fd, err, errlen);
	if (rc == 0 && (rc = ev_io_add(loop, cs->fd, EPOLLIN, accept_io, cs)) < 0) {
		snprintf(err, errlen, "cannot create console socket %s: %s",
			 path, strerror(-rc));
		close(cs->fd);
	}
	if (rc < 0) {
		free(cs);
		return rc;
	}
	confined_start(cs);
	*out = cs;
	return 0;
}

void con_server_destroy(struct con_server *cs)
{
	if (!cs)
		return;
	unit_set_context_watch(cs->unit, NULL, NULL);
	while (cs->confined)
		confined_close(cs, cs->confined);
	while (cs->conns) {
		struct con_conn *c = cs->conns;
		if (conn_flush(c))
			conn_free(c);
	}
	ev_io_del(cs->loop, cs->fd);
	close(cs->fd);
	unlink(cs->path);
	free(cs);
}

void con_server_notice(struct con_server *cs, const char *text)
{
	for (struct con_conn *c = cs->conns, *next; c; c = next) {
		next = c->next;
		if (!c->session)
			continue;
		con_put_text(&c->out, CON_NOTICE, 0, text);
		conn_flush(c);
	}
}

size_t con_server_sessions(const struct con_server *cs)
{
	size_t n = 0;
	for (const struct con_conn *c = cs->conns; c; c = c->next)
		n++;
	return n;
}
