/*
 * fo_unit_exec: `failover exec mate|active|standby CMD`.
 *
 * The asking unit sends EXEC_REQ (id, context, line) on the control
 * channel; the mate runs the line in a session of its own (configuration
 * mode of the system space or of the context) and answers with one or
 * more EXEC_REPLY frames (output split at FO_DATA_MAX, `more` set on all
 * but the last).  The asker's done callback runs exactly once: with the
 * mate's status and output, with -ETIMEDOUT when the mate does not answer
 * within EXEC_TIMEOUT_US, or with -ECANCELED when failover is torn down
 * first.  The console command waits for it without blocking the loop
 * (failover/fo_cmds.c h_exec, cli_defer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_unit_priv.h"
#include "system/cli.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"

#define EXEC_TIMEOUT_US (5u * 1000 * 1000)

struct fo_exec {
	struct fo_exec *next;
	struct fo_unit *fu;
	uint32_t id;
	fo_exec_done_fn done;
	void *arg;
	struct buf out;
	struct ev_timer *timeout;
};

static void exec_free(struct fo_exec *e)
{
	ev_timer_destroy(e->timeout);
	buf_free(&e->out);
	free(e);
}

static void exec_unlink(struct fo_unit *fu, struct fo_exec *e)
{
	for (struct fo_exec **p = &fu->execs; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			return;
		}
}

static void exec_finish(struct fo_exec *e, int status)
{
	exec_unlink(e->fu, e);
	if (e->done)
		e->done(e->arg, status, e->out.data ? e->out.data : "");
	exec_free(e);
}

static void on_exec_timeout(struct ev_loop *loop, struct ev_timer *t,
			    void *arg)
{
	exec_finish(arg, -ETIMEDOUT);
}

/* Runs line on this unit in a configuration-mode session. */
static int run_local(struct fo_unit *fu, const char *context,
		     const char *line, struct buf *out)
{
	enum cli_status st;

	if (context && !unit_ctxconfig(fu->u, context)) {
		buf_printf(out, "ERROR: No context named %s\n", context);
		return -ENOENT;
	}
	if (!fu->exec_session)
		fu->exec_session = unit_session_create(fu->u, false);
	cli_set_context(fu->exec_session, context);
	cli_set_mode(fu->exec_session, CLI_MODE_CONFIG, NULL);
	st = cli_execute(fu->exec_session, line, out);
	cli_set_context(fu->exec_session, NULL);
	return st == CLI_OK || st == CLI_WARNING ? 0 : -EINVAL;
}

/* Which unit a target names: true = this one. */
static bool target_is_local(struct fo_unit *fu, const char *target)
{
	if (strcmp(target, "mate") == 0)
		return false;
	bool g1_active = fo_unit_group_active(fu, 1);
	return strcmp(target, "active") == 0 ? g1_active : !g1_active;
}

int fo_unit_exec(struct fo_unit *fu, const char *target, const char *context,
		 const char *line, fo_exec_done_fn done, void *arg)
{
	struct fo_wire_msg *m;
	struct fo_exec *e;
	int rc;

	if (!fu)
		return -ENOTCONN;
	if (strlen(line) > FO_CMD_TEXT_MAX ||
	    (context && strlen(context) > FO_NAME_MAX))
		return -EINVAL;
	if (target_is_local(fu, target)) {
		struct buf out;
		buf_init(&out);
		rc = run_local(fu, context, line, &out);
		done(arg, rc, out.data ? out.data : "");
		buf_free(&out);
		return 0;
	}
	if (!fo_unit_mate_up(fu))
		return -ENOTCONN;
	e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->fu = fu;
	e->id = ++fu->next_exec_id;
	e->done = done;
	e->arg = arg;
	buf_init(&e->out);
	e->timeout = ev_timer_create(fu->loop, on_exec_timeout, e);
	m = calloc(1, sizeof *m);
	if (!m || !e->timeout) {
		free(m);
		if (e->timeout)
			ev_timer_destroy(e->timeout);
		free(e);
		return -ENOMEM;
	}
	fo_wire_msg_init(m, FO_WT_EXEC_REQ);
	m->u.exec_req.exec_id = e->id;
	snprintf(m->u.exec_req.context, sizeof m->u.exec_req.context, "%s",
		 context ? context : "");
	snprintf(m->u.exec_req.text, sizeof m->u.exec_req.text, "%s", line);
	rc = fo_unit_send(fu, m);
	free(m);
	if (rc < 0) {
		exec_free(e);
		return rc;
	}
	e->next = fu->execs;
	fu->execs = e;
	ev_timer_start(e->timeout, EXEC_TIMEOUT_US);
	return 0;
}

void fo_unit_exec_request(struct fo_unit *fu, const struct fo_exec_req *r)
{
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	struct buf out;
	size_t off = 0;
	int rc;

	if (!m)
		return;
	buf_init(&out);
	mlog(MSG_920113, "failover exec from mate%s%s: %s",
	     r->context[0] ? " in context " : "", r->context, r->text);
	rc = run_local(fu, r->context[0] ? r->context : NULL, r->text, &out);
	do {
		size_t n = out.len - off;
		if (n > FO_DATA_MAX)
			n = FO_DATA_MAX;
		fo_wire_msg_init(m, FO_WT_EXEC_REPLY);
		m->u.exec_reply.exec_id = r->exec_id;
		m->u.exec_reply.status = rc;
		m->u.exec_reply.more = off + n < out.len;
		m->u.exec_reply.output.data = (const uint8_t *)out.data + off;
		m->u.exec_reply.output.len = n;
		if (!out.data)
			m->u.exec_reply.output.data = NULL;
		if (fo_unit_send(fu, m) < 0)
			break;
		off += n;
	} while (off < out.len);
	buf_free(&out);
	free(m);
}

void fo_unit_exec_reply(struct fo_unit *fu, const struct fo_exec_reply *r)
{
	struct fo_exec *e;

	for (e = fu->execs; e; e = e->next)
		if (e->id == r->exec_id)
			break;
	if (!e)
		return;  /* timed out or cancelled */
	if (r->output.len)
		buf_add(&e->out, r->output.data, r->output.len);
	if (!r->more)
		exec_finish(e, r->status);
}

void fo_unit_exec_cancel(struct fo_unit *fu, void *arg)
{
	if (!fu)
		return;
	for (struct fo_exec *e = fu->execs; e; e = e->next)
		if (e->arg == arg)
			e->done = NULL;
}

void fo_unit_exec_cancel_all(struct fo_unit *fu)
{
	/* Waiters are told (a console command waiting for the mate ends
	 * with an error instead of hanging, and its state is freed). */
	while (fu->execs)
		exec_finish(fu->execs, -ECANCELED);
	if (fu->exec_session) {
		cli_session_destroy(fu->exec_session);
		fu->exec_session = NULL;
	}
}
