/*
 * fo_unit_priv.h: what fo_unit.c, fo_unit_exec.c, fo_unit_ifmon.c and
 * fo_show.c share.  Not an interface: nothing outside failover/fo_unit*
 * and fo_show.c / fo_cmds.c includes it.
 */
#ifndef MCTX_FO_UNIT_PRIV_H
#define MCTX_FO_UNIT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "failover/fo_crypto.h"
#include "failover/fo_fsm.h"
#include "failover/fo_unit.h"
#include "failover/fo_wire.h"
#include "system/sys_config.h"

struct fo_link;
struct ev_timer;
struct fo_exec;
struct fo_ifmon;

struct fo_pend {
	int kind;              /* fo_unit.c enum pend_kind */
	unsigned group;
	int value;
};

struct fo_timer_slot {
	struct fo_unit *fu;
	enum fo_timer which;
	unsigned group;
	struct ev_timer *timer;
};

/* The configuration as the running state was last built from. */
struct fo_applied {
	bool enabled;
	enum fo_wire_role role;
	uint32_t poll_ms, hold_ms;
	char lan_ifname[SYS_NAME_MAX], lan_phy[SYS_NAME_MAX], lan_link[64];
	uint32_t lan_local, lan_peer, lan_mask;      /* host order */
	char st_ifname[SYS_NAME_MAX], st_phy[SYS_NAME_MAX], st_link[64];
	uint32_t st_local, st_peer, st_mask;
	uint8_t key[FO_CRYPTO_SECRET_MAX];
	size_t key_len;
	enum fo_role pref[FO_GROUPS];
	bool preempt[FO_GROUPS];
	uint32_t preempt_delay[FO_GROUPS];
};

/* One monitored data interface (fo_unit_ifmon.c). */
struct fo_mon {
	char context[SYS_NAME_MAX];
	char nameif[SYS_NAME_MAX];
	int group;
	struct fo_ifmon *m;    /* NULL: could not start (shown Waiting) */
	char netns[128];       /* the context's namespace */
	char ifname[16];       /* its Linux link there */
	uint32_t ip, standby;  /* configured addresses, host order; 0 none */
	uint32_t poll_ms, hold_ms;
};

struct fo_unit {
	struct ev_loop *loop;
	struct unit *u;
	struct fo_fsm *fsm;
	struct fo_link *link;
	struct fo_crypto *crypto;
	uint64_t last_epoch;
	struct fo_applied cur;

	struct fo_timer_slot timers[FO_TIMER_MAX][FO_GROUP_COUNT + 1];
	struct ev_timer *kick;          /* delivers queued work */
	uint64_t busy_hello_ms;         /* last hello sent while busy */
	/* The hold timer found the mate's frames waiting unread (the loop was
	 * busy) and gave them one more turn before declaring it failed. */
	bool hold_grace;
	struct ev_timer *apply_timer;   /* deferred fo_unit_apply_config */
	struct ev_timer *carrier_timer; /* polls the LAN interface carrier */
	struct fo_pend pend[64];
	unsigned npend;
	bool flushing;
	bool prestandby;                /* groups held standby at boot */

	bool carrier_known, carrier;
	bool mate_up;                   /* reported to replication */
	bool mate_seen;
	char mate_version[FO_SWVER_MAX + 1];
	struct fo_hello *mate;          /* the mate's last hello */
	uint64_t bad_msgs;

	struct fo_repl_hooks repl;

	struct fo_wire_msg *txmsg, *rxmsg;  /* big: kept off the stack */
	uint8_t *rxbuf;                     /* FO_WIRE_FRAME_MAX */

	/* failover exec (fo_unit_exec.c) */
	struct fo_exec *execs;
	uint32_t next_exec_id;
	struct cli_session *exec_session;   /* runs the mate's requests */

	/* interface monitoring (fo_unit_ifmon.c) */
	struct fo_mon *mons;
	size_t nmons;
	struct ev_timer *sync_timer;     /* deferred fo_unit_ifmon_sync */
	struct ev_timer *policy_timer;   /* deferred interface-policy check */
	struct ev_timer *probe_timer;    /* data-interface test under way */
	struct ev_timer *preprobe_timer; /* link silent: probe ahead */
	uint64_t probe_sent_ms;          /* 0: no probe out */
	bool probe_waiting;              /* the FSM waits for the answer */
	bool if_exceeded[FO_GROUPS];     /* as last fed to the FSM */
	uint64_t if_failing_ms[FO_GROUPS]; /* exceeded since; 0: not */
};

void fo_unit_flush(struct fo_unit *fu);
bool fo_unit_lan_up(const struct fo_unit *fu);
/* The data-interface test the FSM asked for is over. */
void fo_unit_mate_data_answer(struct fo_unit *fu, bool alive);

/* fo_unit_exec.c */
void fo_unit_exec_request(struct fo_unit *fu, const struct fo_exec_req *r);
void fo_unit_exec_reply(struct fo_unit *fu, const struct fo_exec_reply *r);
void fo_unit_exec_cancel_all(struct fo_unit *fu);

/* fo_unit_ifmon.c: monitors follow the contexts' `monitor-interface`. */
void fo_unit_ifmon_sync(struct fo_unit *fu);
void fo_unit_ifmon_readdress(struct fo_unit *fu);
void fo_unit_ifmon_close(struct fo_unit *fu);
/* Monitored (failed: only Failed / No Link) interfaces of a group. */
size_t fo_unit_ifmon_count(const struct fo_unit *fu, int group, bool failed);
/* Starts the FSM's data-interface test; -ENOENT when there is nothing to
 * test with (the mate is then dead). */
int fo_unit_ifmon_probe(struct fo_unit *fu);
/* A group changed state (the interface-policy is checked again). */
void fo_unit_ifmon_transition(struct fo_unit *fu);
/* An authenticated frame came from the mate over the failover link. */
void fo_unit_ifmon_mate_heard(struct fo_unit *fu);
/* Fills h->ifs / h->n_ifs: this unit's monitored interfaces' states. */
void fo_unit_ifmon_summary(const struct fo_unit *fu, struct fo_hello *h);
/* "context1 Interface inside (192.168.1.1): Normal" lines of a group
 * (group 0: all; ctx non-NULL: only its). */
void fo_unit_ifmon_format(const struct fo_unit *fu, const char *ctx,
			  bool mate, bool with_context, struct buf *out);

#endif
