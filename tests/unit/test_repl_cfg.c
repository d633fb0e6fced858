/*
 * repl_cfg: two units in one process (configuration model only, no
 * kernel).  Every message goes through the real wire codec: encoded by the
 * sender's send op, queued, decoded and delivered by hand (pump), so the
 * tests also choose the order.  Join sync, command replication with the
 * sub-mode line, the standby warning, write memory on both units, digests
 * and write standby, commands during a sync, and bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "failover/fo_wire.h"
#include "replication/repl_cfg.h"
#include "system/flash.h"
#include "system/sys_bootstrap.h"
#include "system/sys_config.h"
#include "system/sys_log.h"
#include "system/sys_unit.h"

/* ---- one unit with its end of the link ------------------------------------ */

struct frame {
	struct buf bytes;
	struct frame *next;
};

struct node {
	char dir[64];
	struct bootstrap boot;
	struct flash *flash;
	struct unit *u;
	struct repl_cfg *rc;
	struct cli_session *con;     /* an operator's console */
	struct frame *out_head, *out_tail;
	size_t nout;
	bool mate;                   /* mate_present() */
	int send_fail;               /* next send returns this once */
	int config_received, files_received;
	struct buf notices;
	bool step_wanted;            /* ops->defer asked for a step */
	bool manual_steps;           /* the test steps the apply itself */
	/* Kernel applies of the mate's commands (ops->apply), and the order
	 * of sends and applies: 'S' a frame sent, 'K' a kernel apply. */
	int applies;
	int apply_fail;              /* applies return this while non-zero */
	char order[4096];
	size_t norder;
};

struct pair {
	struct node a, b;
	uint64_t now_ms;
};

static uint64_t fake_now;

static int node_send(void *arg, struct fo_wire_msg *m)
{
	struct node *n = arg;
	if (n->send_fail) {
		int rc = n->send_fail;
		n->send_fail = 0;
		return rc;
	}
	struct frame *f = calloc(1, sizeof *f);
	assert_non_null(f);
	buf_init(&f->bytes);
	assert_int_equal(fo_wire_encode(&f->bytes, m), 0);
	if (n->out_tail)
		n->out_tail->next = f;
	else
		n->out_head = f;
	n->out_tail = f;
	n->nout++;
	if (n->norder + 1 < sizeof n->order)
		n->order[n->norder++] = 'S';
	return 0;
}

static int node_apply(void *arg, const char *ctx, struct buf *msg)
{
	struct node *n = arg;
	n->applies++;
	if (n->norder + 1 < sizeof n->order)
		n->order[n->norder++] = 'K';
	if (n->apply_fail)
		buf_printf(msg, "nft: rule of %s refused", ctx);
	return n->apply_fail;
}

static bool node_mate(void *arg) { return ((struct node *)arg)->mate; }
static void node_cfg(void *arg) { ((struct node *)arg)->config_received++; }
static void node_files(void *arg) { ((struct node *)arg)->files_received++; }
static void node_notice(void *arg, const char *t)
{
	buf_printf(&((struct node *)arg)->notices, "%s\n", t);
}
static uint64_t node_now(void *arg) { return fake_now; }
static void node_defer(void *arg) { ((struct node *)arg)->step_wanted = true; }

static const struct repl_cfg_ops node_ops = {
	.send = node_send,
	.mate_present = node_mate,
	.config_received = node_cfg,
	.files_received = node_files,
	.notice = node_notice,
	.now_ms = node_now,
	.defer = node_defer,
	.apply = node_apply,
};

static const char *const inventory[] = {
	"Ethernet0", "Ethernet0.1", "Ethernet0.2", "Ethernet1", "Ethernet1.1",
	"Ethernet1.2", "Ethernet2", "Ethernet3",
};

static void node_init(struct node *n, const char *tag)
{
	char err[256];
	memset(n, 0, sizeof *n);
	snprintf(n->dir, sizeof n->dir, "/tmp/test_repl_cfg.%d.%s", getpid(), tag);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", n->dir, n->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(n->boot.unit, sizeof n->boot.unit, "%s", tag);
	snprintf(n->boot.state_dir, sizeof n->boot.state_dir, "%s", n->dir);
	n->boot.kernel = false;
	n->boot.nifaces = sizeof inventory / sizeof inventory[0];
	n->boot.ifaces = calloc(n->boot.nifaces, sizeof *n->boot.ifaces);
	for (size_t i = 0; i < n->boot.nifaces; i++) {
		snprintf(n->boot.ifaces[i].name, sizeof n->boot.ifaces[i].name,
			 "%s", inventory[i]);
		snprintf(n->boot.ifaces[i].link, sizeof n->boot.ifaces[i].link,
			 "%.4s%u", tag, (unsigned)(i % 100));
	}
	assert_int_equal(flash_open(n->dir, &n->flash, err, sizeof err), 0);
	n->u = unit_create(&n->boot, n->flash, NULL, false, err, sizeof err);
	assert_non_null(n->u);
	assert_int_equal(repl_cfg_create(n->u, &node_ops, n, &n->rc), 0);
	unit_set_exec_hook(n->u, repl_cfg_executed, n->rc);
	n->con = unit_session_create(n->u, false);
	buf_init(&n->notices);
	n->mate = true;
}

static void node_free(struct node *n)
{
	while (n->out_head) {
		struct frame *f = n->out_head;
		n->out_head = f->next;
		buf_free(&f->bytes);
		free(f);
	}
	cli_session_destroy(n->con);
	repl_cfg_destroy(n->rc);
	unit_destroy(n->u);
	flash_close(n->flash);
	free(n->boot.ifaces);
	buf_free(&n->notices);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", n->dir);
	assert_int_equal(system(cmd), 0);
}

/* Delivers at most max frames from `from` to `to` (0 = all); returns how
 * many were delivered. */
static size_t pump_one_way(struct node *from, struct node *to, size_t max)
{
	size_t n = 0;
	while (from->out_head && (!max || n < max)) {
		struct frame *f = from->out_head;
		from->out_head = f->next;
		if (!from->out_head)
			from->out_tail = NULL;
		from->nout--;
		struct fo_wire_msg *m = malloc(sizeof *m);
		assert_non_null(m);
		assert_int_equal(fo_wire_decode((const uint8_t *)f->bytes.data,
						f->bytes.len, m), FO_WIRE_OK);
		repl_cfg_recv(to->rc, m);
		free(m);
		buf_free(&f->bytes);
		free(f);
		n++;
	}
	return n;
}

/* One loop turn's worth of a node's sync apply, if it asked for one. */
static bool node_step(struct node *n)
{
	if (!n->step_wanted || n->manual_steps)
		return false;
	n->step_wanted = false;
	repl_cfg_apply_step(n->rc);
	return true;
}

static void pump(struct pair *p)
{
	while (pump_one_way(&p->a, &p->b, 0) + pump_one_way(&p->b, &p->a, 0) +
	       node_step(&p->a) + node_step(&p->b))
		;
}

static enum cli_status run(struct node *n, const char *line, struct buf *out)
{
	buf_reset(out);
	return cli_execute(n->con, line, out);
}

static void run_ok(struct node *n, const char *line)
{
	struct buf out;
	buf_init(&out);
	enum cli_status st = cli_execute(n->con, line, &out);
	if (st != CLI_OK && st != CLI_WARNING)
		fail_msg("%s: %s", line, out.data ? out.data : "");
	buf_free(&out);
}

/* The mate's command TEXT (sequence SEQ, in CTX or the system space
 * when NULL) reaches N's replication: repl_cfg_recv's result. */
static int mate_cmd(struct node *n, uint32_t seq, const char *ctx,
		    const char *text)
{
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	assert_non_null(m);
	fo_wire_msg_init(m, FO_WT_CFG_CMD);
	m->u.cfg_cmd.cmd_seq = seq;
	snprintf(m->u.cfg_cmd.context, sizeof m->u.cfg_cmd.context, "%s",
		 ctx ? ctx : "");
	snprintf(m->u.cfg_cmd.text, sizeof m->u.cfg_cmd.text, "%s", text);
	int rc = repl_cfg_recv(n->rc, m);
	free(m);
	return rc;
}

static char *running(struct node *n, const char *ctx)
{
	struct buf b;
	buf_init(&b);
	unit_write_running(n->u, ctx, 0, &b);
	return b.data ? b.data : strdup("");
}

static const char system_a[] =
	"hostname PIX1\n"
	"interface Ethernet0.1\n vlan 2\n"
	"interface Ethernet1.1\n vlan 3\n"
	"interface Ethernet0.2\n vlan 4\n"
	"interface Ethernet1.2\n vlan 5\n"
	"failover lan unit primary\n"
	"failover group 1\n"
	"failover group 2\n secondary\n"
	"admin-context admin\n"
	"context admin\n config-url flash:/admin.cfg\n"
	"context context1\n"
	" allocate-interface Ethernet0.1 inside_context1\n"
	" allocate-interface Ethernet1.1 outside_context1\n"
	" config-url flash:/context1.cfg\n"
	" join-failover-group 1\n"
	"context context2\n"
	" allocate-interface Ethernet0.2 inside_context2\n"
	" allocate-interface Ethernet1.2 outside_context2\n"
	" config-url flash:/context2.cfg\n"
	" join-failover-group 2\n";

static const char context1_cfg[] =
	"hostname context1\n"
	"interface inside_context1\n nameif inside\n security-level 100\n"
	" ip address 192.168.1.1 255.255.255.0 standby 192.168.1.2\n"
	"interface outside_context1\n nameif outside\n security-level 0\n"
	" ip address 172.16.1.1 255.255.255.0 standby 172.16.1.2\n"
	"route outside 0.0.0.0 0.0.0.0 172.16.1.3 1\n";

static const char context2_cfg[] =
	"hostname context2\n"
	"interface inside_context2\n nameif inside\n security-level 100\n"
	" ip address 192.168.2.1 255.255.255.0 standby 192.168.2.2\n"
	"interface outside_context2\n nameif outside\n security-level 0\n"
	" ip address 172.16.2.1 255.255.255.0 standby 172.16.2.2\n";

/* A: the configured primary.  B: a secondary with its failover lines. */
static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof *p);
	log_init("test_repl_cfg", true, LOG_SEV_ERR);
	fake_now = 100000;
	node_init(&p->a, "a");
	node_init(&p->b, "b");
	assert_int_equal(flash_write(p->a.flash, "flash:/context1.cfg",
				     context1_cfg, strlen(context1_cfg)), 0);
	assert_int_equal(flash_write(p->a.flash, "flash:/context2.cfg",
				     context2_cfg, strlen(context2_cfg)), 0);
	assert_int_equal(unit_replay(p->a.u, NULL, system_a, NULL), 0);
	assert_int_equal(unit_replay(p->b.u, NULL, "hostname PIX1\n"
				     "failover lan unit secondary\n", NULL), 0);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	node_free(&p->a);
	node_free(&p->b);
	free(p);
	return 0;
}

/* B joins: asks, A sends, B applies and walks Sync Config -> Files. */
static void join(struct pair *p)
{
	assert_int_equal(repl_cfg_request_sync(p->b.rc), 0);
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_WAITING);
	pump(p);
}

/* Both hellos, twice, a second apart: digests compared for real. */
static void exchange_hellos(struct pair *p)
{
	struct fo_hello *ha = calloc(1, sizeof *ha), *hb = calloc(1, sizeof *hb);
	for (int i = 0; i < 3; i++) {
		fake_now += 1100;
		repl_cfg_hello_digests(p->a.rc, ha);
		repl_cfg_hello_digests(p->b.rc, hb);
		repl_cfg_mate_hello(p->a.rc, hb);
		repl_cfg_mate_hello(p->b.rc, ha);
	}
	free(ha);
	free(hb);
}

static void assert_same_config(struct pair *p, const char *ctx)
{
	uint8_t a[FO_MD5_LEN], b[FO_MD5_LEN];
	assert_int_equal(repl_cfg_digest(p->a.rc, ctx, a), 0);
	assert_int_equal(repl_cfg_digest(p->b.rc, ctx, b), 0);
	if (memcmp(a, b, sizeof a)) {
		char *ra = running(&p->a, ctx), *rb = running(&p->b, ctx);
		fail_msg("%s differs:\n--- A\n%s--- B\n%s", ctx ? ctx : "system",
			 ra, rb);
	}
}

static void test_join_sync(void **state)
{
	struct pair *p = *state;
	struct buf startup;
	join(p);
	assert_int_equal(p->b.config_received, 1);
	assert_int_equal(p->b.files_received, 1);
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_DONE);
	assert_same_config(p, NULL);
	assert_same_config(p, "admin");
	assert_same_config(p, "context1");
	assert_same_config(p, "context2");
	char *rb = running(&p->b, "context1");
	assert_non_null(strstr(rb, "ip address 192.168.1.1 255.255.255.0 standby 192.168.1.2"));
	free(rb);
	/* The secondary keeps its own role line. */
	rb = running(&p->b, NULL);
	assert_non_null(strstr(rb, "failover lan unit secondary"));
	assert_null(strstr(rb, "failover lan unit primary"));
	free(rb);
	/* Files named by config-url went to B's flash; startup did not. */
	struct buf f;
	buf_init(&f);
	assert_int_equal(flash_read(p->b.flash, "flash:/context1.cfg", &f), 0);
	assert_string_equal(f.data, context1_cfg);
	buf_free(&f);
	buf_init(&startup);
	assert_int_equal(flash_get_startup(p->b.flash, &startup), -ENOENT);
	buf_free(&startup);
	assert_non_null(strstr(p->a.notices.data,
			       "Beginning configuration replication: Sending to mate."));
	assert_non_null(strstr(p->a.notices.data, "End Configuration Replication to mate"));
	exchange_hellos(p);
	assert_int_equal(repl_cfg_sync_state(p->a.rc), REPL_SYNC_DONE);
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_DONE);
	/* A second sync changes nothing (digests equal: nothing re-applied). */
	join(p);
	assert_int_equal(p->b.config_received, 2);
	assert_same_config(p, "context1");
}

/* Commands typed on the active side appear in the mate's running config,
 * sub-mode commands with their mode line; ACKs time the round trip. */
static void test_command_replication(void **state)
{
	struct pair *p = *state;
	struct buf out;
	uint64_t p50, p99, n;
	join(p);
	buf_init(&out);
	static const char *const lines[] = {
		"changeto context context1", "configure terminal",
		"interface inside_context1", " security-level 90",
		"route inside 10.9.0.0 255.255.0.0 192.168.1.7",
		"interface outside_context1", " description uplink",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		run_ok(&p->a, lines[i]);
	pump(p);
	char *rb = running(&p->b, "context1");
	assert_non_null(strstr(rb, "security-level 90"));
	assert_non_null(strstr(rb, "route inside 10.9.0.0 255.255.0.0 192.168.1.7"));
	assert_non_null(strstr(rb, " description uplink"));
	free(rb);
	assert_same_config(p, "context1");
	const struct repl_cfg_stats *sa = repl_cfg_get_stats(p->a.rc);
	const struct repl_cfg_stats *sb = repl_cfg_get_stats(p->b.rc);
	/* Each interface line is a command of its own, and rides along
	 * again (odd cmd_seq) before the sub-mode command. */
	assert_int_equal(sa->cmd_tx, 5);
	assert_int_equal(sb->cmd_rx, 5);
	assert_int_equal(sb->cmd_rx_err, 0);
	assert_true(repl_cfg_latency(p->a.rc, &p50, &p99, &n));
	assert_int_equal(n, 5);
	assert_true(p50 <= p99);
	/* The system space replicates from the group 1 active unit too. */
	run_ok(&p->a, "changeto system");
	run_ok(&p->a, "configure terminal");
	run_ok(&p->a, "context context2");
	run_ok(&p->a, " description second");
	pump(p);
	assert_same_config(p, NULL);
	/* The mate's replicated change is not saved: its startup is empty. */
	struct buf st;
	buf_init(&st);
	assert_int_equal(flash_get_startup(p->b.flash, &st), -ENOENT);
	buf_free(&st);
	/* show commands never travel. */
	run(&p->a, "show running-config", &out);
	assert_int_equal(p->a.nout, 0);
	buf_free(&out);
}

/* Where a command does not replicate it runs locally with ASA's warning. */
static void test_standby_warning(void **state)
{
	struct pair *p = *state;
	struct buf out, msg;
	join(p);
	buf_init(&out);
	buf_init(&msg);
	/* The usual split: group 1 active on A, group 2 active on B. */
	unit_group_set_role(p->a.u, 2, false, &msg);
	unit_group_set_role(p->b.u, 1, false, &msg);
	static const struct {
		const char *ctx;      /* NULL = system */
		bool warned;          /* on B */
	} cases[] = {
		{ "context1", true },   /* group 1: standby on B */
		{ "admin", true },      /* admin context: group 1 */
		{ NULL, true },         /* system space: group 1 */
		{ "context2", false },  /* group 2: active on B, replicated */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char cmd[64];
		snprintf(cmd, sizeof cmd, "changeto %s%s",
			 cases[i].ctx ? "context " : "system",
			 cases[i].ctx ? cases[i].ctx : "");
		run_ok(&p->b, cmd);
		run_ok(&p->b, "configure terminal");
		size_t before = p->b.nout;
		run(&p->b, "pager lines 30", &out);
		bool warned = out.data && strstr(out.data, REPL_CFG_STANDBY_WARNING);
		assert_int_equal(warned, cases[i].warned);
		assert_int_equal(p->b.nout > before, !cases[i].warned);
	}
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_local, 3);
	pump(p);
	assert_same_config(p, "context2");
	assert_false(repl_cfg_replicates_from_here(p->a.rc, "context2"));
	assert_true(repl_cfg_replicates_from_here(p->a.rc, "context1"));
	buf_free(&out);
	buf_free(&msg);
}

/* write memory all on the group 1 active unit saves on both units. */
static void test_write_memory_both(void **state)
{
	struct pair *p = *state;
	join(p);
	run_ok(&p->a, "changeto context context1");
	run_ok(&p->a, "configure terminal");
	run_ok(&p->a, "route inside 10.8.0.0 255.255.0.0 192.168.1.8");
	run_ok(&p->a, "changeto system");
	run_ok(&p->a, "write memory all");
	pump(p);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_rx_err, 0);
	struct node *nodes[] = { &p->a, &p->b };
	for (int i = 0; i < 2; i++) {
		struct buf st, f;
		buf_init(&st);
		buf_init(&f);
		assert_int_equal(flash_get_startup(nodes[i]->flash, &st), 0);
		assert_non_null(strstr(st.data, "context context1"));
		assert_int_equal(flash_read(nodes[i]->flash, "flash:/context1.cfg", &f), 0);
		assert_non_null(strstr(f.data, "route inside 10.8.0.0 255.255.0.0 192.168.1.8"));
		buf_free(&st);
		buf_free(&f);
	}
	/* The secondary saved its own role, not the primary's. */
	struct buf st;
	buf_init(&st);
	flash_get_startup(p->b.flash, &st);
	assert_non_null(strstr(st.data, "failover lan unit secondary"));
	buf_free(&st);
}

/* A change made where it does not replicate diverges the digests; write
 * standby in the context on its active unit repairs them. */
static void test_digest_and_write_standby(void **state)
{
	struct pair *p = *state;
	struct buf msg, out;
	buf_init(&msg);
	buf_init(&out);
	join(p);
	exchange_hellos(p);
	assert_int_equal(repl_cfg_sync_state(p->a.rc), REPL_SYNC_DONE);
	unit_group_set_role(p->b.u, 1, false, &msg);
	run_ok(&p->b, "changeto context context1");
	run_ok(&p->b, "configure terminal");
	run(&p->b, "route inside 10.7.0.0 255.255.0.0 192.168.1.9", &out);
	assert_non_null(strstr(out.data, REPL_CFG_STANDBY_WARNING));
	/* One hello is not enough: it could be a command in flight. */
	struct fo_hello *hb = calloc(1, sizeof *hb);
	repl_cfg_hello_digests(p->b.rc, hb);
	repl_cfg_mate_hello(p->a.rc, hb);
	assert_int_equal(repl_cfg_sync_state(p->a.rc), REPL_SYNC_DONE);
	free(hb);
	exchange_hellos(p);
	assert_int_equal(repl_cfg_sync_state(p->a.rc), REPL_SYNC_MISMATCH);
	assert_true(repl_cfg_diverged(p->a.rc, "context1"));
	assert_false(repl_cfg_diverged(p->a.rc, "context2"));
	buf_reset(&msg);
	repl_cfg_format_state(p->a.rc, &msg);
	assert_string_equal(msg.data, "Config Mismatch: context1");
	assert_int_equal(repl_cfg_get_stats(p->a.rc)->mismatches, 1);
	/* write standby for that context only. */
	assert_int_equal(repl_cfg_send_sync(p->a.rc, "context1"), 0);
	pump(p);
	assert_same_config(p, "context1");
	assert_int_equal(p->b.files_received, 1);   /* not a join */
	exchange_hellos(p);
	assert_int_equal(repl_cfg_sync_state(p->a.rc), REPL_SYNC_DONE);
	char *rb = running(&p->b, "context1");
	assert_null(strstr(rb, "10.7.0.0"));
	free(rb);
	buf_free(&msg);
	buf_free(&out);
}

/* Commands typed on the receiving unit during a sync, and commands from
 * the mate arriving in the middle of one, are applied after it. */
static void test_commands_during_sync(void **state)
{
	struct pair *p = *state;
	struct buf out;
	buf_init(&out);
	assert_int_equal(repl_cfg_request_sync(p->b.rc), 0);
	pump_one_way(&p->b, &p->a, 0);              /* A sends everything */
	assert_true(p->a.nout > 3);
	pump_one_way(&p->a, &p->b, 2);              /* BEGIN + first chunk */
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_RECEIVING);
	/* B's operator types during the sync: held, told, re-applied. */
	run_ok(&p->b, "configure terminal");
	run(&p->b, "pager lines 44", &out);
	assert_non_null(strstr(out.data, "applied again"));
	/* A CFG_CMD from the mate lands mid-sync (out of the usual order). */
	assert_int_equal(mate_cmd(&p->b, 1000, "context2",
				  "route outside 10.6.0.0 255.255.0.0 172.16.2.9"), 0);
	pump(p);
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_DONE);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_queued, 2);
	char *rb = running(&p->b, NULL);
	assert_non_null(strstr(rb, "pager lines 44"));
	free(rb);
	rb = running(&p->b, "context2");
	assert_non_null(strstr(rb, "10.6.0.0"));
	free(rb);
	buf_free(&out);
}

/* A received sync is applied in bounded steps, one per loop turn: at most
 * one context appears per step, the FSM hears config_received only once
 * every context is applied, hellos carry no digests meanwhile, commands
 * typed or replicated during the apply are queued and run after it, and
 * a newer sync arriving mid-apply replaces the older one. */
static void test_apply_chunked(void **state)
{
	struct pair *p = *state;
	struct buf out;
	buf_init(&out);
	p->b.manual_steps = true;
	assert_int_equal(repl_cfg_request_sync(p->b.rc), 0);
	pump_one_way(&p->b, &p->a, 0);
	pump_one_way(&p->a, &p->b, 0);          /* the whole sync arrived */
	assert_true(repl_cfg_applying(p->b.rc));
	assert_true(p->b.step_wanted);
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_RECEIVING);
	assert_int_equal(p->b.config_received, 0);   /* still Sync Config */
	struct fo_hello *h = calloc(1, sizeof *h);
	repl_cfg_hello_digests(p->b.rc, h);
	assert_int_equal(h->n_digests, 0);
	free(h);

	/* B's operator types; the mate's next command arrives. */
	run_ok(&p->b, "configure terminal");
	run(&p->b, "pager lines 44", &out);
	assert_non_null(strstr(out.data, "applied again"));
	assert_int_equal(mate_cmd(&p->b, 1000, "context2",
				  "route outside 10.6.0.0 255.255.0.0 172.16.2.9"), 0);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_queued, 2);

	/* Two steps in, A sends a fresh sync (write standby): it replaces
	 * the one being applied. */
	for (int i = 0; i < 2; i++) {
		p->b.step_wanted = false;
		assert_true(repl_cfg_apply_step(p->b.rc));
	}
	assert_int_equal(repl_cfg_send_sync(p->a.rc, NULL), 0);
	pump_one_way(&p->a, &p->b, 0);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->sync_superseded, 1);

	/* Step by step to the end. */
	struct sys_config *sb = unit_sysconfig(p->b.u);
	size_t steps = 0, ctxs = sb->ncontexts;
	bool more = true;
	while (more) {
		assert_true(p->b.step_wanted);
		p->b.step_wanted = false;
		int cfg_before = p->b.config_received;
		more = repl_cfg_apply_step(p->b.rc);
		steps++;
		assert_true(steps < 100);
		/* Bounded: at most one context created per turn. */
		assert_true(sb->ncontexts <= ctxs + 1);
		ctxs = sb->ncontexts;
		if (p->b.config_received != cfg_before) {
			/* The FSM leaves Sync Config with every context in. */
			assert_same_config(p, "admin");
			assert_same_config(p, "context1");
			assert_int_equal(p->b.files_received, 0);
		}
		if (more)
			assert_true(repl_cfg_applying(p->b.rc));
	}
	assert_false(p->b.step_wanted);
	/* CHECK, release + first block, a block per context, a context per
	 * step, the FSM event, two files, the end. */
	assert_true(steps >= 1 + 1 + 3 + 3 + 1 + 2);
	assert_int_equal(p->b.config_received, 1);
	assert_int_equal(p->b.files_received, 1);
	assert_false(repl_cfg_applying(p->b.rc));
	assert_int_equal(repl_cfg_sync_state(p->b.rc), REPL_SYNC_DONE);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->sync_rx, 1);
	/* The queued commands ran after it. */
	char *rb = running(&p->b, NULL);
	assert_non_null(strstr(rb, "pager lines 44"));
	assert_non_null(strstr(rb, "failover lan unit secondary"));
	free(rb);
	rb = running(&p->b, "context2");
	assert_non_null(strstr(rb, "10.6.0.0"));
	free(rb);
	assert_same_config(p, "context1");
	/* The ACK of the held mate command went out after the apply. */
	assert_true(p->b.nout >= 1);
	struct fo_hello *hb = calloc(1, sizeof *hb);
	repl_cfg_hello_digests(p->b.rc, hb);
	assert_int_equal(hb->n_digests, 4);
	free(hb);
	buf_free(&out);
}

/* The join asks with a CFG_REQ message; the request of units from before
 * CFG_REQ (CFG_CMD seq 0 "write standby") is still honoured; a CFG_REQ
 * for one context sends only that context; one for an unknown context is
 * refused. */
static void test_config_request(void **state)
{
	struct pair *p = *state;
	assert_int_equal(repl_cfg_request_sync(p->b.rc), 0);
	struct fo_wire_msg *m = malloc(sizeof *m);
	assert_int_equal(fo_wire_decode((const uint8_t *)p->b.out_head->bytes.data,
					p->b.out_head->bytes.len, m), FO_WIRE_OK);
	assert_int_equal(m->hdr.type, FO_WT_CFG_REQ);
	assert_int_equal(m->u.cfg_req.kind, FO_CFG_REQ_SYNC);
	assert_string_equal(m->u.cfg_req.context, "");
	pump(p);
	assert_int_equal(p->b.config_received, 1);
	assert_same_config(p, "context2");

	/* The old way. */
	fo_wire_msg_init(m, FO_WT_CFG_CMD);
	m->u.cfg_cmd.cmd_seq = 0;
	snprintf(m->u.cfg_cmd.text, sizeof m->u.cfg_cmd.text, "%s",
		 REPL_CFG_REQ_SYNC);
	uint64_t sent = repl_cfg_get_stats(p->a.rc)->sync_tx;
	assert_int_equal(repl_cfg_recv(p->a.rc, m), 0);
	assert_int_equal(repl_cfg_get_stats(p->a.rc)->sync_tx, sent + 1);
	pump(p);

	/* One context. */
	fo_wire_msg_init(m, FO_WT_CFG_REQ);
	snprintf(m->u.cfg_req.context, sizeof m->u.cfg_req.context, "context1");
	size_t before = p->a.nout;
	assert_int_equal(repl_cfg_recv(p->a.rc, m), 0);
	assert_int_equal(p->a.nout - before, 3);    /* BEGIN, one chunk, END */
	pump(p);
	snprintf(m->u.cfg_req.context, sizeof m->u.cfg_req.context, "nosuch");
	assert_int_equal(repl_cfg_recv(p->a.rc, m), -ENOENT);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->sync_rx_bad, 0);
	free(m);
}

/* A failed send is visible: counted, logged, the operator told. */
static void test_send_failure(void **state)
{
	struct pair *p = *state;
	struct buf out;
	buf_init(&out);
	join(p);
	run_ok(&p->a, "changeto context context1");
	run_ok(&p->a, "configure terminal");
	p->a.send_fail = -ENOBUFS;
	run(&p->a, "route inside 10.5.0.0 255.255.0.0 192.168.1.5", &out);
	assert_non_null(strstr(out.data, "not replicated"));
	assert_int_equal(repl_cfg_get_stats(p->a.rc)->cmd_tx_err, 1);
	/* No mate: nothing is sent, nothing is said. */
	p->a.mate = false;
	run(&p->a, "route inside 10.4.0.0 255.255.0.0 192.168.1.5", &out);
	assert_null(strstr(out.data ? out.data : "", "WARNING"));
	assert_int_equal(p->a.nout, 0);
	assert_int_equal(repl_cfg_send_sync(p->a.rc, NULL), -ENOTCONN);
	buf_free(&out);
}

/* Bad frames: each refused, counted, and nothing applied. */
/* The mate ACKs a command once it is in its running configuration; the
 * kernel apply of the context follows later, once per burst. */
static void mate_standby(struct pair *p)
{
	struct buf msg;
	buf_init(&msg);
	join(p);
	for (int g = 1; g <= 2; g++)
		assert_int_equal(unit_group_set_role(p->b.u, g, false, &msg), 0);
	buf_free(&msg);
	run_ok(&p->a, "changeto context context1");
	run_ok(&p->a, "configure terminal");
	p->b.applies = 0;
	p->b.norder = 0;
	memset(p->b.order, 0, sizeof p->b.order);
}

static void ace(struct node *n, int i)
{
	char line[128];
	snprintf(line, sizeof line, "access-list burst extended permit tcp "
		 "any host 10.9.%d.%d eq %d", i / 250, i % 250 + 1, 1000 + i);
	run_ok(n, line);
}

static void test_ack_before_kernel_apply(void **state)
{
	struct pair *p = *state;
	mate_standby(p);
	ace(&p->a, 0);
	pump_one_way(&p->a, &p->b, 0);
	/* B: in its running configuration, ACKed, not yet in its kernel. */
	char *rb = running(&p->b, "context1");
	assert_non_null(strstr(rb, "host 10.9.0.1 eq 1000"));
	free(rb);
	assert_int_equal(p->b.nout, 1);
	assert_string_equal(p->b.order, "S");
	assert_int_equal(p->b.applies, 0);
	assert_int_equal(repl_cfg_kernel_pending(p->b.rc), 1);
	pump_one_way(&p->b, &p->a, 0);
	assert_int_equal(repl_cfg_get_stats(p->a.rc)->cmd_acked, 1);
	/* Before the quiet time nothing is due; after it, one apply. */
	fake_now += REPL_CFG_APPLY_QUIET_MS - 1;
	repl_cfg_kernel_flush(p->b.rc, false);
	assert_int_equal(p->b.applies, 0);
	fake_now += 1;
	repl_cfg_kernel_flush(p->b.rc, false);
	assert_int_equal(p->b.applies, 1);
	assert_string_equal(p->b.order, "SK");
	assert_int_equal(repl_cfg_kernel_pending(p->b.rc), 0);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->kernel_applies, 1);
}

static void test_burst_coalesces_applies(void **state)
{
	struct pair *p = *state;
	/* Lines spaced by gap_ms, a flush attempted after each (the timer
	 * of a daemon), then the quiet time: at most max_applies. */
	static const struct {
		int lines;
		uint64_t gap_ms;
		int max_applies;
	} cases[] = {
		{ 500, 0, 1 },                   /* pasted at once */
		{ 200, 20, 1 },                  /* a paste at 20 ms a line */
		/* a stream longer than the bound: one apply per bound */
		{ 120, 100, 120 * 100 / REPL_CFG_APPLY_MAX_MS + 1 },
		/* typed slowly: one apply per line */
		{ 5, REPL_CFG_APPLY_QUIET_MS + 10, 5 },
	};
	mate_standby(p);
	int base = 0;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int applies0 = p->b.applies;
		uint64_t acks0 = repl_cfg_get_stats(p->a.rc)->cmd_acked;
		for (int i = 0; i < cases[c].lines; i++) {
			ace(&p->a, base + i);
			pump_one_way(&p->a, &p->b, 0);
			/* Every command is ACKed before any apply it causes. */
			assert_int_equal(pump_one_way(&p->b, &p->a, 0), 1);
			fake_now += cases[c].gap_ms;
			repl_cfg_kernel_flush(p->b.rc, false);
		}
		fake_now += REPL_CFG_APPLY_QUIET_MS;
		repl_cfg_kernel_flush(p->b.rc, false);
		base += cases[c].lines;
		int applies = p->b.applies - applies0;
		if (applies < 1 || applies > cases[c].max_applies)
			fail_msg("case %zu: %d lines, %d kernel applies (at most "
				 "%d)", c, cases[c].lines, applies,
				 cases[c].max_applies);
		assert_int_equal(repl_cfg_get_stats(p->a.rc)->cmd_acked - acks0,
				 cases[c].lines);
		assert_int_equal(repl_cfg_kernel_pending(p->b.rc), 0);
	}
	assert_same_config(p, "context1");
	const struct repl_cfg_stats *sb = repl_cfg_get_stats(p->b.rc);
	assert_int_equal(sb->kernel_applies, (uint64_t)p->b.applies);
	assert_int_equal(sb->kernel_coalesced + sb->kernel_applies,
			 (uint64_t)base);
	assert_int_equal(sb->cmd_rx_err, 0);
}

/* Loss is never silent: a refused apply is counted; and a takeover (the
 * mate gone, or our group made active) applies what is pending at once. */
static void test_kernel_apply_failure_and_takeover(void **state)
{
	struct pair *p = *state;
	struct buf msg;
	buf_init(&msg);
	mate_standby(p);
	p->b.apply_fail = -EINVAL;
	ace(&p->a, 1);
	pump(p);
	fake_now += REPL_CFG_APPLY_QUIET_MS;
	repl_cfg_kernel_flush(p->b.rc, false);
	assert_int_equal(p->b.applies, 1);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->kernel_apply_err, 1);
	/* The command itself was taken: the running configurations agree. */
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_rx_err, 0);
	assert_same_config(p, "context1");
	p->b.apply_fail = 0;
	/* Group 1 turns active on B with a line pending: due now. */
	ace(&p->a, 2);
	pump(p);
	repl_cfg_kernel_flush(p->b.rc, false);
	assert_int_equal(p->b.applies, 1);
	assert_int_equal(unit_group_set_role(p->b.u, 1, true, &msg), 0);
	repl_cfg_kernel_flush(p->b.rc, false);
	assert_int_equal(p->b.applies, 2);
	assert_int_equal(unit_group_set_role(p->b.u, 1, false, &msg), 0);
	/* The mate goes away with a line pending: applied on the spot. */
	ace(&p->a, 3);
	pump(p);
	assert_int_equal(repl_cfg_kernel_pending(p->b.rc), 1);
	repl_cfg_mate_down(p->b.rc);
	assert_int_equal(p->b.applies, 3);
	assert_int_equal(repl_cfg_kernel_pending(p->b.rc), 0);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->kernel_apply_err, 1);
	buf_free(&msg);
}

static void test_bad_input(void **state)
{
	struct pair *p = *state;
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	char *before = running(&p->b, NULL);
	static const uint8_t junk[] = "interface Ethernet9\n";
	struct {
		const char *what;
		enum fo_wire_type type;
		int want;
	} cases[] = {
		{ "chunk outside a sync", FO_WT_CFG_SYNC_CHUNK, -EBADMSG },
		{ "end outside a sync", FO_WT_CFG_SYNC_END, -EBADMSG },
		{ "file outside a sync", FO_WT_FILE_CHUNK, -EBADMSG },
		{ "unknown request", FO_WT_CFG_CMD, -EPROTO },
		{ "hello on the config path", FO_WT_HELLO, -EPROTO },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fo_wire_msg_init(m, cases[i].type);
		m->u.sync_chunk.data.data = junk;
		m->u.sync_chunk.data.len = sizeof junk - 1;
		if (cases[i].type == FO_WT_FILE_CHUNK) {
			snprintf(m->u.file_chunk.path, sizeof m->u.file_chunk.path,
				 "flash:/x.cfg");
			m->u.file_chunk.data.data = junk;
			m->u.file_chunk.data.len = 3;
			m->u.file_chunk.total_size = 3;
		}
		if (cases[i].type == FO_WT_CFG_CMD)
			snprintf(m->u.cfg_cmd.text, sizeof m->u.cfg_cmd.text,
				 "reload");
		int got = repl_cfg_recv(p->b.rc, m);
		if (got != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].what, got,
				 cases[i].want);
	}
	/* A sync whose checksum is wrong is discarded whole. */
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_BEGIN);
	m->u.sync_begin.sync_id = 7;
	m->u.sync_begin.n_contexts = 0;
	m->u.sync_begin.total_bytes = sizeof junk - 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), 0);
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_CHUNK);
	m->u.sync_chunk.sync_id = 7;
	m->u.sync_chunk.data.data = junk;
	m->u.sync_chunk.data.len = sizeof junk - 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), 0);
	/* the same chunk again: offset out of order */
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_BEGIN);
	m->u.sync_begin.sync_id = 8;
	m->u.sync_begin.total_bytes = 100;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), 0);
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_CHUNK);
	m->u.sync_chunk.sync_id = 8;
	m->u.sync_chunk.offset = 5;
	m->u.sync_chunk.data.data = junk;
	m->u.sync_chunk.data.len = 3;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), -EBADMSG);
	/* too large */
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_BEGIN);
	m->u.sync_begin.sync_id = 9;
	m->u.sync_begin.total_bytes = (uint64_t)REPL_CFG_SYNC_MAX + 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), -EMSGSIZE);
	/* bad checksum */
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_BEGIN);
	m->u.sync_begin.sync_id = 10;
	m->u.sync_begin.total_bytes = sizeof junk - 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), 0);
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_CHUNK);
	m->u.sync_chunk.sync_id = 10;
	m->u.sync_chunk.data.data = junk;
	m->u.sync_chunk.data.len = sizeof junk - 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), 0);
	fo_wire_msg_init(m, FO_WT_CFG_SYNC_END);
	m->u.sync_end.sync_id = 10;
	m->u.sync_end.n_chunks = 1;
	assert_int_equal(repl_cfg_recv(p->b.rc, m), -EBADMSG);
	char *after = running(&p->b, NULL);
	assert_string_equal(before, after);
	assert_true(repl_cfg_get_stats(p->b.rc)->sync_rx_bad >= 4);
	/* A mate command for a context that does not exist here. */
	assert_int_equal(mate_cmd(&p->b, 2, "nosuch", "pager lines 2"), -ENOENT);
	assert_int_equal(repl_cfg_get_stats(p->b.rc)->cmd_rx_err, 1);
	free(before);
	free(after);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_replication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standby_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_memory_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_and_write_standby, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_during_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_before_kernel_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_coalesces_applies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_apply_failure_and_takeover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
