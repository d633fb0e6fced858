/*
 * fo_unit: see fo_unit.h.
 *
 * Layout: the object; deferred work (the FSM must not be re-entered from
 * its own callbacks, and replication hooks must not run inside the FSM,
 * so both are queued and delivered by flush() once the FSM call
 * returned); FSM ops; frames to and from the mate; the failover
 * interface on the Linux side (addresses, carrier); configuration apply;
 * commands and exec; queries.  Show output lives in fo_show.c.
 */
#include "failover/fo_unit.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "failover/fo_crypto.h"
#include "failover/fo_fsm.h"
#include "failover/fo_link.h"
#include "failover/fo_unit_priv.h"
#include "system/sys_config.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_unit.h"

#define FO_UNIT_PORT 10150          /* TCP/SCTP port of the failover link */
#define EXEC_TIMEOUT_MS 5000
#define PEND_MAX 64

static uint64_t now_ms(void)
{
	return ev_now_us() / 1000;
}

/* ------------------------------------------------------ deferred work */

enum pend_kind {
	PEND_EVENT,        /* fo_fsm_input(group, ev) */
	PEND_GROUP_ROLE,   /* repl->group_role(group, active) */
	PEND_CONFIG_SYNC,  /* repl->request_config_sync() */
	PEND_BULK_SYNC,    /* repl->request_bulk_sync(group) */
	PEND_MATE_UP,      /* repl->mate_up() */
	PEND_MATE_DOWN,    /* repl->mate_down() */
};

static void push(struct fo_unit *fu, enum pend_kind kind, unsigned group,
		 int value)
{
	if (fu->npend == PEND_MAX) {
		mlog(MSG_920110, "failover: internal queue full, %d dropped",
		     (int)kind);
		return;
	}
	fu->pend[fu->npend++] = (struct fo_pend){ kind, group, value };
	if (!fu->flushing)
		ev_timer_start(fu->kick, 0);
}

static void run_one(struct fo_unit *fu, const struct fo_pend *p)
{
	const struct fo_repl_hooks *r = &fu->repl;

	switch ((enum pend_kind)p->kind) {
	case PEND_EVENT:
		fo_fsm_input(fu->fsm, p->group, (enum fo_event)p->value);
		break;
	case PEND_GROUP_ROLE:
		if (r->group_role)
			r->group_role(r->arg, (int)p->group, p->value != 0);
		break;
	case PEND_CONFIG_SYNC:
		if (r->request_config_sync)
			r->request_config_sync(r->arg);
		break;
	case PEND_BULK_SYNC:
		if (r->request_bulk_sync)
			r->request_bulk_sync(r->arg, (int)p->group);
		break;
	case PEND_MATE_UP:
		if (r->mate_up)
			r->mate_up(r->arg);
		break;
	case PEND_MATE_DOWN:
		if (r->mate_down)
			r->mate_down(r->arg);
		break;
	}
}

/* Delivers queued work in order; work queued meanwhile runs too. */
void fo_unit_flush(struct fo_unit *fu)
{
	if (fu->flushing)
		return;
	fu->flushing = true;
	while (fu->npend) {
		struct fo_pend p = fu->pend[0];
		memmove(fu->pend, fu->pend + 1, --fu->npend * sizeof *fu->pend);
		run_one(fu, &p);
	}
	fu->flushing = false;
}

static void on_kick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	fo_unit_flush(arg);
}

/* The unit is busy in one long operation on the loop's thread (applying
 * the mate's configuration can take longer than a sub-second hold time).
 * Keep saying hello, and since nothing could be read meanwhile, do not
 * hold the mate's silence against it: restart our hold timer. */
static void on_busy(void *arg)
{
	struct fo_unit *fu = arg;
	uint64_t now = now_ms();
	if (!fu->fsm || !fu->link || !fu->cur.poll_ms ||
	    now - fu->busy_hello_ms < fu->cur.poll_ms / 2)
		return;
	fu->busy_hello_ms = now;
	fo_fsm_send_hello(fu->fsm);
	struct ev_timer *hold = fu->timers[FO_TIMER_HOLD][0].timer;
	if (ev_timer_pending(hold))
		ev_timer_start(hold, (uint64_t)fu->cur.hold_ms * 1000);
}

/* ------------------------------------------------------------ FSM ops */

static uint64_t op_now_ms(void *ctx) { return now_ms(); }
static time_t op_wall(void *ctx) { return time(NULL); }

static void op_timer_arm(void *ctx, enum fo_timer t, unsigned group,
			 uint64_t after_ms)
{
	struct fo_unit *fu = ctx;
	ev_timer_start(fu->timers[t][group].timer, after_ms * 1000);
}

static void op_timer_cancel(void *ctx, enum fo_timer t, unsigned group)
{
	struct fo_unit *fu = ctx;
	ev_timer_stop(fu->timers[t][group].timer);
}

/* Frames waiting unread on the failover link: the loop runs its timers
 * before it reads, so after a long operation the hold timer would fire
 * with the mate's hellos still in the socket. */
static bool link_input_pending(const struct fo_unit *fu)
{
	int fds[8];
	struct pollfd p[8];
	size_t n = fu->link ? fo_link_get_fds(fu->link, fds, 8) : 0;

	for (size_t i = 0; i < n && i < 8; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	return n && poll(p, n < 8 ? n : 8, 0) > 0;
}

static void on_fsm_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct fo_timer_slot *slot = arg;
	struct fo_unit *fu = slot->fu;

	if (slot->which == FO_TIMER_HOLD) {
		/* One read turn per hold period (a flood of junk cannot keep
		 * a dead mate alive): 1 ms, then the frames decide. */
		if (!fu->hold_grace && link_input_pending(fu)) {
			fu->hold_grace = true;
			ev_timer_start(t, 1000);
			return;
		}
		fu->hold_grace = false;
	}
	fo_fsm_timer_fired(fu->fsm, slot->which, slot->group);
	fo_unit_flush(fu);
}

static void fill_snap(const struct fo_msg *msg, struct fo_fsm_snap *s)
{
	s->present = true;
	s->flags = (uint8_t)((msg->enabled ? FO_SNAP_F_ENABLED : 0) |
			     (msg->config_synced ? FO_SNAP_F_SYNCED : 0));
	s->role = msg->role;
	for (unsigned i = 0; i < FO_GROUPS; i++) {
		s->state[i] = msg->groups[i].state;
		s->failure_reason[i] = msg->groups[i].failure_reason;
		s->faults[i] = msg->groups[i].faults;
		s->active_s[i] = msg->groups[i].active_s;
	}
}

static void fill_hello(struct fo_unit *fu, struct fo_hello *h)
{
	h->role = fu->cur.role;
	snprintf(h->sw_version, sizeof h->sw_version, "%s", MCTX_VERSION);
	h->poll_ms = fu->cur.poll_ms;
	h->hold_ms = fu->cur.hold_ms;
	for (unsigned g = 1; g <= FO_GROUPS; g++) {
		struct fo_group_info *gi = &h->groups[g - 1];
		gi->group = (uint8_t)g;
		gi->state = (uint8_t)fo_fsm_state(fu->fsm, g);
		gi->active_time_s = fo_fsm_active_time_s(fu->fsm, g);
		gi->if_monitored = (uint16_t)fo_unit_ifmon_count(fu, g, false);
		gi->if_failed = (uint16_t)fo_unit_ifmon_count(fu, g, true);
	}
	fo_unit_ifmon_summary(fu, h);
	if (fu->repl.hello_digests)
		fu->repl.hello_digests(fu->repl.arg, h);
	if (h->n_digests > FO_HELLO_CTX_MAX)
		h->n_digests = 0;
}

/* The FSM's messages on the wire: HELLO, or GROUP_REQ for the typed ones,
 * both with the sender's snapshot. */
static void op_send(void *ctx, const struct fo_msg *msg)
{
	static const uint8_t action[FO_MSG_MAX] = {
		[FO_MSG_REQUEST_ACTIVE] = FO_GA_ACTIVE,
		[FO_MSG_RELEASED] = FO_GA_STANDBY,
		[FO_MSG_DECLINED] = FO_GA_DECLINED,
	};
	struct fo_unit *fu = ctx;
	struct fo_wire_msg *m = fu->txmsg;

	if (!fu->link || msg->type >= FO_MSG_MAX)
		return;
	if (msg->type == FO_MSG_HELLO) {
		fo_wire_msg_init(m, FO_WT_HELLO);
		fill_hello(fu, &m->u.hello);
	} else {
		fo_wire_msg_init(m, FO_WT_GROUP_REQ);
		m->u.group_req.group = msg->group;
		m->u.group_req.action = action[msg->type];
		m->u.group_req.reason = msg->reason;
		snprintf(m->u.group_req.reason_text,
			 sizeof m->u.group_req.reason_text, "%s",
			 fo_reason_text((enum fo_reason)msg->reason));
	}
	fill_snap(msg, &m->fsm);
	fo_unit_send(fu, m);
}

static int op_become_active(void *ctx, unsigned group)
{
	struct fo_unit *fu = ctx;
	struct buf msg;

	buf_init(&msg);
	int rc = unit_group_set_role(fu->u, (int)group, true, &msg);
	if (rc < 0)
		mlog(MSG_920111, "failover group %u: taking the active addresses "
		     "failed in part: %s", group, msg.data ? msg.data : "");
	buf_free(&msg);
	fo_unit_ifmon_readdress(fu);
	push(fu, PEND_GROUP_ROLE, group, 1);
	/* A partly applied context still passes what it can: not Failed. */
	return FO_OP_DONE;
}

static void op_become_standby(void *ctx, unsigned group)
{
	struct fo_unit *fu = ctx;
	struct buf msg;

	buf_init(&msg);
	if (unit_group_set_role(fu->u, (int)group, false, &msg) < 0)
		mlog(MSG_920111, "failover group %u: taking the standby "
		     "addresses failed in part: %s", group,
		     msg.data ? msg.data : "");
	buf_free(&msg);
	fo_unit_ifmon_readdress(fu);
	push(fu, PEND_GROUP_ROLE, group, 0);
}

/* Without a replication layer there is nothing to wait for: the join
 * path completes at once (the mate's configuration is then whatever the
 * operator gave this unit). */
static void op_request_config_sync(void *ctx)
{
	struct fo_unit *fu = ctx;

	if (fu->repl.request_config_sync) {
		push(fu, PEND_CONFIG_SYNC, 0, 0);
		return;
	}
	push(fu, PEND_EVENT, FO_GROUP_ALL, FO_EV_CONFIG_RECEIVED);
	push(fu, PEND_EVENT, FO_GROUP_ALL, FO_EV_FILES_RECEIVED);
}

static void op_request_bulk_sync(void *ctx, unsigned group)
{
	struct fo_unit *fu = ctx;

	if (fu->repl.request_bulk_sync)
		push(fu, PEND_BULK_SYNC, group, 0);
	else
		push(fu, PEND_EVENT, group, FO_EV_BULK_RECEIVED);
}

static void op_test_mate(void *ctx)
{
	struct fo_unit *fu = ctx;

	if (fo_unit_ifmon_probe(fu) < 0)
		push(fu, PEND_EVENT, FO_GROUP_ALL, FO_EV_MATE_DEAD);
}

static void op_transition(void *ctx, const struct fo_transition *t)
{
	struct fo_unit *fu = ctx;

	/* The mate was declared failed: replication stops waiting for it. */
	if (t->reason == FO_R_HELLO_LOST && fu->mate_up) {
		fu->mate_up = false;
		push(fu, PEND_MATE_DOWN, 0, 0);
	}
	/* A group that reached Active or Standby Ready is held to its
	 * interface-policy from now on. */
	fo_unit_ifmon_transition(fu);
}

static const struct fo_fsm_ops fsm_ops = {
	.now_ms = op_now_ms,
	.wall_time = op_wall,
	.timer_arm = op_timer_arm,
	.timer_cancel = op_timer_cancel,
	.send_to_mate = op_send,
	.become_active = op_become_active,
	.become_standby = op_become_standby,
	.request_config_sync = op_request_config_sync,
	.request_bulk_sync = op_request_bulk_sync,
	.test_mate_on_data_interfaces = op_test_mate,
	.transition = op_transition,
};

/* -------------------------------------------------------------- frames */

int fo_unit_send(struct fo_unit *fu, struct fo_wire_msg *m)
{
	struct buf pkt;
	int rc;

	if (!fu || !fu->link || !fu->crypto)
		return -ENOTCONN;
	if (!fo_link_up(fu->link))
		return -ENOTCONN;
	buf_init(&pkt);
	rc = fo_wire_encode(&pkt, m);
	if (rc == 0)
		rc = fo_crypto_seal(fu->crypto, &pkt, 0);
	if (rc == 0)
		rc = fo_link_send(fu->link,
				  fo_wire_channel((enum fo_wire_type)m->hdr.type),
				  pkt.data, pkt.len);
	buf_free(&pkt);
	return rc;
}

/* The mate's FSM message from a HELLO or GROUP_REQ snapshot. */
static int snap_to_msg(const struct fo_wire_msg *m, struct fo_msg *out)
{
	const struct fo_fsm_snap *s = &m->fsm;

	if (!s->present)
		return -EPROTO;
	memset(out, 0, sizeof *out);
	out->role = s->role;
	out->enabled = s->flags & FO_SNAP_F_ENABLED;
	out->config_synced = s->flags & FO_SNAP_F_SYNCED;
	for (unsigned i = 0; i < FO_GROUPS; i++) {
		out->groups[i].state = s->state[i];
		out->groups[i].failure_reason = s->failure_reason[i];
		out->groups[i].faults = s->faults[i];
		out->groups[i].active_s = s->active_s[i];
	}
	if (m->hdr.type == FO_WT_HELLO) {
		out->type = FO_MSG_HELLO;
		return 0;
	}
	switch (m->u.group_req.action) {
	case FO_GA_ACTIVE: out->type = FO_MSG_REQUEST_ACTIVE; break;
	case FO_GA_STANDBY: out->type = FO_MSG_RELEASED; break;
	case FO_GA_DECLINED: out->type = FO_MSG_DECLINED; break;
	default: return -EPROTO;
	}
	out->group = m->u.group_req.group;
	out->reason = m->u.group_req.reason > 255 ? 255
						  : (uint8_t)m->u.group_req.reason;
	return 0;
}

static void mate_hello(struct fo_unit *fu, const struct fo_hello *h)
{
	snprintf(fu->mate_version, sizeof fu->mate_version, "%s",
		 h->sw_version);
	*fu->mate = *h;
	fu->mate_seen = true;
	if (!fu->mate_up) {
		fu->mate_up = true;
		push(fu, PEND_MATE_UP, 0, 0);
	}
	if (fu->repl.mate_hello)
		fu->repl.mate_hello(fu->repl.arg, h);
}

static void on_frame(void *arg, enum fo_channel ch, const uint8_t *frame,
		     size_t len)
{
	struct fo_unit *fu = arg;
	struct fo_wire_msg *m = fu->rxmsg;
	struct fo_msg fm;
	size_t msg_len;
	enum fo_wire_verdict v;

	if (len > FO_WIRE_FRAME_MAX)
		return;
	memcpy(fu->rxbuf, frame, len);
	if (fo_crypto_open(fu->crypto, fu->rxbuf, len, &msg_len) !=
	    FO_CRYPTO_OK)
		return;  /* counted and logged by fo_crypto */
	fo_unit_ifmon_mate_heard(fu);
	v = fo_wire_decode(fu->rxbuf, msg_len, m);
	if (v != FO_WIRE_OK) {
		fu->bad_msgs++;
		mlog(MSG_920107, "failover message dropped on the %s channel: "
		     "%s", fo_channel_name(ch), fo_wire_verdict_name(v));
		return;
	}
	/* A control message restarts the mate's hold time (in the FSM for
	 * HELLO and group messages, with their snapshot) and ends a grace
	 * turn; bulk traffic does neither (fo_wire_proves_liveness). */
	if (fo_wire_proves_liveness(m->hdr.type)) {
		fu->hold_grace = false;
		if (m->hdr.type != FO_WT_HELLO &&
		    m->hdr.type != FO_WT_GROUP_REQ)
			fo_fsm_mate_heard(fu->fsm);
	}
	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_HELLO:
		mate_hello(fu, &m->u.hello);
		/* fall through */
	case FO_WT_GROUP_REQ:
		if (snap_to_msg(m, &fm) == 0)
			fo_fsm_recv(fu->fsm, &fm);
		else
			fu->bad_msgs++;
		break;
	case FO_WT_EXEC_REQ:
		fo_unit_exec_request(fu, &m->u.exec_req);
		break;
	case FO_WT_EXEC_REPLY:
		fo_unit_exec_reply(fu, &m->u.exec_reply);
		break;
	case FO_WT_IFMON_HELLO:
		break;  /* interface hellos travel on the data interfaces */
	default:
		if (fu->repl.frame)
			fu->repl.frame(fu->repl.arg, m);
		break;
	}
	fo_unit_flush(fu);
}

static void on_link_state(void *arg, bool up)
{
	struct fo_unit *fu = arg;

	if (up) {
		/* Say who we are at once instead of at the next poll. */
		fo_fsm_timer_fired(fu->fsm, FO_TIMER_POLL, 0);
	} else if (fu->mate_up) {
		fu->mate_up = false;
		push(fu, PEND_MATE_DOWN, 0, 0);
	}
	fo_unit_flush(fu);
}

/* Replication's table passes wait for room on the state channel. */
static void on_writable(void *arg, enum fo_channel ch)
{
	struct fo_unit *fu = arg;

	if (ch == FO_CH_STATE && fu->repl.writable)
		fu->repl.writable(fu->repl.arg);
}

static const struct fo_link_handlers link_handlers = {
	.on_frame = on_frame,
	.on_state = on_link_state,
	.on_writable = on_writable,
};

/* ------------------------------------------- the failover interfaces */

/* Puts ip/prefix on the Linux link and brings it up (unit namespace: the
 * daemon runs inside it).  Idempotent. */
static int netif_setup(const char *ifname, uint32_t ip, uint32_t mask)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *change = NULL;
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	uint32_t be = htonl(ip);
	int rc;

	if (!sk)
		return -ENOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		goto out;
	rc = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (rc < 0)
		goto out;
	change = rtnl_link_alloc();
	addr = rtnl_addr_alloc();
	local = nl_addr_build(AF_INET, &be, 4);
	if (!change || !addr || !local) {
		rc = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, link, change, 0);
	if (rc < 0)
		goto out;
	nl_addr_set_prefixlen(local, cli_mask_to_prefix(mask));
	rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
	rtnl_addr_set_local(addr, local);
	rc = rtnl_addr_add(sk, addr, NLM_F_REPLACE);
out:
	if (local)
		nl_addr_put(local);
	if (addr)
		rtnl_addr_put(addr);
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc < 0 ? -EIO : 0;
}

/* Carrier of a Linux link: 1 up, 0 down, -errno. */
static int netif_carrier(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	if (strlen(ifname) >= sizeof ifr.ifr_name) {
		close(fd);
		return -EINVAL;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ? -errno
		: (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return rc;
}

/* The failover interface's carrier, polled at the unit poll time:
 * FO_EV_LINK_DOWN / UP on change (down at startup: both units active). */
static void check_carrier(struct fo_unit *fu)
{
	int c;

	if (!fu->cur.lan_link[0])
		return;
	c = netif_carrier(fu->cur.lan_link);
	if (c < 0)
		return;
	if (fu->carrier_known && fu->carrier == (c == 1))
		return;
	fu->carrier_known = true;
	fu->carrier = c == 1;
	mlog(MSG_920112, "failover interface %s (%s) is %s", fu->cur.lan_ifname,
	     fu->cur.lan_link, fu->carrier ? "up" : "down");
	fo_fsm_input(fu->fsm, FO_GROUP_ALL,
		     fu->carrier ? FO_EV_LINK_UP : FO_EV_LINK_DOWN);
}

static void on_carrier_timer(struct ev_loop *loop, struct ev_timer *t,
			     void *arg)
{
	struct fo_unit *fu = arg;

	check_carrier(fu);
	fo_unit_flush(fu);
	ev_timer_start(t, (uint64_t)(fu->cur.poll_ms < 1000 ? fu->cur.poll_ms
							     : 1000) * 1000);
}

bool fo_unit_lan_up(const struct fo_unit *fu)
{
	return fu && fu->carrier_known && fu->carrier;
}

/* ------------------------------------------------------- configuration */

static const struct fo_ifip *find_ifip(const struct sys_failover *f,
				       const char *name)
{
	if (!name[0])
		return NULL;
	for (size_t i = 0; i < f->nifips; i++)
		if (strcmp(f->ifips[i].ifname, name) == 0)
			return &f->ifips[i];
	return NULL;
}

static void set_sin(struct sockaddr_storage *ss, uint32_t ip)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof *ss);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(ip);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	     : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* What the configuration asks for, in the form the running state keeps. */
static void desired(struct fo_unit *fu, struct fo_applied *d)
{
	struct sys_failover *f = &unit_sysconfig(fu->u)->fo;
	const struct fo_ifip *lan = find_ifip(f, f->lan_ifname);
	const struct fo_ifip *st = NULL;
	bool secondary = f->lan_unit == SYS_FO_SECONDARY;
	char link[64];

	memset(d, 0, sizeof *d);
	d->enabled = f->enabled;
	d->role = secondary ? FO_WIRE_ROLE_SECONDARY : FO_WIRE_ROLE_PRIMARY;
	d->poll_ms = f->unit_poll_ms ? (uint32_t)f->unit_poll_ms
				     : FO_DEFAULT_UNIT_POLL_MS;
	d->hold_ms = f->unit_hold_ms ? (uint32_t)f->unit_hold_ms
				     : FO_DEFAULT_UNIT_HOLD_MS;
	if (d->hold_ms < 3 * d->poll_ms)
		d->hold_ms = 3 * d->poll_ms;
	snprintf(d->lan_ifname, sizeof d->lan_ifname, "%s", f->lan_ifname);
	snprintf(d->lan_phy, sizeof d->lan_phy, "%s", f->lan_phy);
	if (f->lan_phy[0] && unit_link_for(fu->u, f->lan_phy, link, sizeof link))
		snprintf(d->lan_link, sizeof d->lan_link, "%s", link);
	if (lan) {
		d->lan_mask = lan->mask;
		d->lan_local = secondary ? lan->standby : lan->ip;
		d->lan_peer = secondary ? lan->ip : lan->standby;
	}
	/* A stateful link on its own interface is the link's second path. */
	if (f->link_ifname[0] && strcmp(f->link_ifname, f->lan_ifname) != 0)
		st = find_ifip(f, f->link_ifname);
	snprintf(d->st_ifname, sizeof d->st_ifname, "%s", f->link_ifname);
	snprintf(d->st_phy, sizeof d->st_phy, "%s", f->link_phy);
	if (st && f->link_phy[0] &&
	    unit_link_for(fu->u, f->link_phy, link, sizeof link)) {
		snprintf(d->st_link, sizeof d->st_link, "%s", link);
		d->st_mask = st->mask;
		d->st_local = secondary ? st->standby : st->ip;
		d->st_peer = secondary ? st->ip : st->standby;
	}
	if (f->key_hex) {
		for (size_t i = 0; i + 1 < strlen(f->key) &&
				   d->key_len < sizeof d->key; i += 2)
			d->key[d->key_len++] = (uint8_t)(hexval(f->key[i]) << 4 |
							 hexval(f->key[i + 1]));
	} else {
		d->key_len = strlen(f->key);
		if (d->key_len > FO_CRYPTO_SECRET_MAX)
			d->key_len = FO_CRYPTO_SECRET_MAX;
		memcpy(d->key, f->key, d->key_len);
	}
	for (unsigned g = 0; g < FO_GROUPS; g++) {
		const struct fo_group_cfg *gc = &f->groups[g];
		/* A group never configured keeps ASA's default preference:
		 * group 1 primary, group 2 secondary... as configured: the
		 * seed's `failover group 2 / secondary`. */
		d->pref[g] = gc->pref == SYS_FO_SECONDARY ? FO_ROLE_SECONDARY
							  : FO_ROLE_PRIMARY;
		d->preempt[g] = gc->preempt;
		d->preempt_delay[g] = gc->preempt_delay > 0
				      ? (uint32_t)gc->preempt_delay : 0;
	}
}

/* The link's part of the configuration changed: close and reopen. */
static bool link_changed(const struct fo_applied *a, const struct fo_applied *b)
{
	return a->role != b->role || a->lan_local != b->lan_local ||
	       a->lan_peer != b->lan_peer || a->st_local != b->st_local ||
	       a->st_peer != b->st_peer || a->key_len != b->key_len ||
	       memcmp(a->key, b->key, a->key_len) != 0 ||
	       strcmp(a->lan_link, b->lan_link) != 0 ||
	       strcmp(a->st_link, b->st_link) != 0;
}

static void link_close(struct fo_unit *fu)
{
	if (fu->link) {
		fo_link_destroy(fu->link);
		fu->link = NULL;
	}
	if (fu->crypto) {
		fo_crypto_destroy(fu->crypto);
		fu->crypto = NULL;
	}
	if (fu->mate_up) {
		fu->mate_up = false;
		push(fu, PEND_MATE_DOWN, 0, 0);
	}
}

static int link_open(struct fo_unit *fu, const struct fo_applied *d)
{
	struct fo_link_config lc;
	struct timespec ts;
	int rc;

	if (!d->lan_link[0] || !d->lan_local || !d->lan_peer)
		return 0;  /* not configured far enough yet */
	rc = netif_setup(d->lan_link, d->lan_local, d->lan_mask);
	if (rc < 0) {
		mlog(MSG_920104, "failover interface %s (%s): cannot set "
		     "address: %s", d->lan_ifname, d->lan_link, strerror(-rc));
		return rc;
	}
	if (d->st_link[0] && d->st_local &&
	    netif_setup(d->st_link, d->st_local, d->st_mask) < 0)
		mlog(MSG_920104, "stateful failover interface %s (%s): cannot "
		     "set address", d->st_ifname, d->st_link);
	/* Epoch: strictly increasing across restarts (fo_crypto.h). */
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t epoch = (uint64_t)ts.tv_sec * 1000000u +
			 (uint64_t)ts.tv_nsec / 1000u;
	if (epoch <= fu->last_epoch)
		epoch = fu->last_epoch + 1;
	fu->last_epoch = epoch;
	rc = fo_crypto_create(&fu->crypto, d->role,
			      d->key_len ? d->key : NULL, d->key_len, epoch);
	if (rc < 0)
		return rc;
	memset(&lc, 0, sizeof lc);
	lc.role = d->role;
	set_sin(&lc.local[0], d->lan_local);
	set_sin(&lc.peer[0], d->lan_peer);
	lc.n_addrs = 1;
	if (d->st_link[0] && d->st_local && d->st_peer) {
		set_sin(&lc.local[1], d->st_local);
		set_sin(&lc.peer[1], d->st_peer);
		lc.n_addrs = 2;
	}
	lc.port = FO_UNIT_PORT;
	lc.reconnect_ms = d->poll_ms < 1000 ? d->poll_ms : 1000;
	rc = fo_link_create(&fu->link, fu->loop, &lc, &link_handlers, fu);
	if (rc < 0) {
		fo_crypto_destroy(fu->crypto);
		fu->crypto = NULL;
		fu->link = NULL;
	}
	return rc;
}

static void apply_fsm_settings(struct fo_unit *fu, const struct fo_applied *d)
{
	fo_fsm_set_role(fu->fsm, d->role == FO_WIRE_ROLE_SECONDARY
					 ? FO_ROLE_SECONDARY : FO_ROLE_PRIMARY);
	fo_fsm_set_timers(fu->fsm, d->poll_ms, d->hold_ms);
	if (d->lan_ifname[0])
		fo_fsm_set_link_name(fu->fsm, d->lan_ifname);
	for (unsigned g = 1; g <= FO_GROUPS; g++) {
		fo_fsm_set_preference(fu->fsm, g, d->pref[g - 1]);
		fo_fsm_set_preempt(fu->fsm, g, d->preempt[g - 1],
				   d->preempt_delay[g - 1]);
	}
}

int fo_unit_apply_config(struct fo_unit *fu)
{
	struct fo_applied d;
	int rc = 0;

	if (!fu)
		return 0;
	ev_timer_stop(fu->apply_timer);
	desired(fu, &d);
	apply_fsm_settings(fu, &d);
	/* The link runs once failover was enabled, and stays for `no
	 * failover` (the mate learns it from our hellos). */
	if (d.enabled || fu->link) {
		if (!fu->link || link_changed(&fu->cur, &d)) {
			link_close(fu);
			fu->cur = d;
			rc = link_open(fu, &d);
		}
	}
	fu->cur = d;
	fo_unit_ifmon_sync(fu);
	if (d.enabled && !fo_fsm_enabled(fu->fsm)) {
		fu->carrier_known = false;
		fo_fsm_input(fu->fsm, FO_GROUP_ALL, FO_EV_ENABLE);
		check_carrier(fu);
		ev_timer_start(fu->carrier_timer, 0);
	} else if (!d.enabled && fo_fsm_enabled(fu->fsm)) {
		fo_fsm_input(fu->fsm, FO_GROUP_ALL, FO_EV_DISABLE);
	}
	fo_unit_flush(fu);
	return rc;
}

static void on_apply_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	fo_unit_apply_config(arg);
}

void fo_unit_config_changed(struct fo_unit *fu, bool loading)
{
	struct sys_failover *f;

	if (!fu)
		return;
	f = &unit_sysconfig(fu->u)->fo;
	/* A unit booting with failover on holds both groups standby until
	 * the negotiation says otherwise: it must not answer for the active
	 * addresses its mate may own.  Contexts do not exist yet here (the
	 * failover lines come first), so this only sets the roles. */
	if (loading && f->enabled && !fo_fsm_enabled(fu->fsm) &&
	    !fu->prestandby) {
		struct buf msg;
		buf_init(&msg);
		fu->prestandby = true;
		for (int g = 1; g <= FO_GROUPS; g++)
			unit_group_set_role(fu->u, g, false, &msg);
		buf_free(&msg);
	}
	ev_timer_start(fu->apply_timer, 0);
}

/* ------------------------------------------------------- create/destroy */

int fo_unit_create(struct ev_loop *loop, struct unit *u, struct fo_unit **out)
{
	struct fo_unit *fu = calloc(1, sizeof *fu);

	*out = NULL;
	if (!fu)
		return -ENOMEM;
	fu->loop = loop;
	fu->u = u;
	fu->mate = calloc(1, sizeof *fu->mate);
	fu->txmsg = calloc(1, sizeof *fu->txmsg);
	fu->rxmsg = calloc(1, sizeof *fu->rxmsg);
	fu->rxbuf = malloc(FO_WIRE_FRAME_MAX);
	fu->fsm = fo_fsm_create(&fsm_ops, fu);
	if (!fu->mate || !fu->txmsg || !fu->rxmsg || !fu->rxbuf || !fu->fsm) {
		fo_unit_destroy(fu);
		return -ENOMEM;
	}
	for (unsigned t = 0; t < FO_TIMER_MAX; t++)
		for (unsigned g = 0; g <= FO_GROUP_COUNT; g++) {
			struct fo_timer_slot *s = &fu->timers[t][g];
			s->fu = fu;
			s->which = (enum fo_timer)t;
			s->group = g;
			s->timer = ev_timer_create(loop, on_fsm_timer, s);
		}
	fu->kick = ev_timer_create(loop, on_kick, fu);
	fu->apply_timer = ev_timer_create(loop, on_apply_timer, fu);
	fu->carrier_timer = ev_timer_create(loop, on_carrier_timer, fu);
	fu->cur.poll_ms = FO_DEFAULT_UNIT_POLL_MS;
	fu->cur.hold_ms = FO_DEFAULT_UNIT_HOLD_MS;
	fu->cur.role = FO_WIRE_ROLE_PRIMARY;
	unit_set_busy_hook(u, on_busy, fu);
	*out = fu;
	return 0;
}

void fo_unit_destroy(struct fo_unit *fu)
{
	if (!fu)
		return;
	unit_set_busy_hook(fu->u, NULL, NULL);
	fo_unit_exec_cancel_all(fu);
	fo_unit_ifmon_close(fu);
	if (fu->link)
		fo_link_destroy(fu->link);
	if (fu->crypto)
		fo_crypto_destroy(fu->crypto);
	for (unsigned t = 0; t < FO_TIMER_MAX; t++)
		for (unsigned g = 0; g <= FO_GROUP_COUNT; g++)
			if (fu->timers[t][g].timer)
				ev_timer_destroy(fu->timers[t][g].timer);
	if (fu->kick)
		ev_timer_destroy(fu->kick);
	if (fu->apply_timer)
		ev_timer_destroy(fu->apply_timer);
	if (fu->carrier_timer)
		ev_timer_destroy(fu->carrier_timer);
	fo_fsm_destroy(fu->fsm);
	free(fu->mate);
	free(fu->txmsg);
	free(fu->rxmsg);
	free(fu->rxbuf);
	free(fu);
}

void fo_unit_set_repl_hooks(struct fo_unit *fu, const struct fo_repl_hooks *h)
{
	if (!fu)
		return;
	if (h)
		fu->repl = *h;
	else
		memset(&fu->repl, 0, sizeof fu->repl);
}

/* --------------------------------------------------- replication, ifmon */

void fo_unit_config_received(struct fo_unit *fu)
{
	if (!fu)
		return;
	push(fu, PEND_EVENT, FO_GROUP_ALL, FO_EV_CONFIG_RECEIVED);
	fo_unit_flush(fu);
}

void fo_unit_files_received(struct fo_unit *fu)
{
	if (!fu)
		return;
	push(fu, PEND_EVENT, FO_GROUP_ALL, FO_EV_FILES_RECEIVED);
	fo_unit_flush(fu);
}

void fo_unit_bulk_done(struct fo_unit *fu, int group)
{
	if (!fu || group < 1 || group > FO_GROUPS)
		return;
	push(fu, PEND_EVENT, (unsigned)group, FO_EV_BULK_RECEIVED);
	fo_unit_flush(fu);
}

void fo_unit_if_policy(struct fo_unit *fu, int group, bool exceeded)
{
	if (!fu || group < 1 || group > FO_GROUPS)
		return;
	push(fu, PEND_EVENT, (unsigned)group,
	     exceeded ? FO_EV_IF_FAILED : FO_EV_IF_OK);
	fo_unit_flush(fu);
}

void fo_unit_mate_data_answer(struct fo_unit *fu, bool alive)
{
	push(fu, PEND_EVENT, FO_GROUP_ALL,
	     alive ? FO_EV_MATE_ALIVE_ON_DATA : FO_EV_MATE_DEAD);
	fo_unit_flush(fu);
}

/* ------------------------------------------------------------ commands */

static int cmd_result(struct fo_unit *fu, enum fo_cmd_result r,
		      struct buf *msg)
{
	fo_unit_flush(fu);
	if (r == FO_CMD_OK)
		return 0;
	buf_printf(msg, "%s", fo_cmd_result_text(r));
	return r == FO_CMD_BAD_GROUP ? -EINVAL : -EAGAIN;
}

int fo_unit_cmd_active(struct fo_unit *fu, int group, struct buf *msg)
{
	return cmd_result(fu, fo_fsm_cmd_active(fu->fsm, (unsigned)group), msg);
}

int fo_unit_cmd_no_active(struct fo_unit *fu, int group, struct buf *msg)
{
	return cmd_result(fu, fo_fsm_cmd_no_active(fu->fsm, (unsigned)group),
			  msg);
}

int fo_unit_cmd_reset(struct fo_unit *fu, int group, struct buf *msg)
{
	return cmd_result(fu, fo_fsm_cmd_reset(fu->fsm, (unsigned)group), msg);
}

/* -------------------------------------------------------------- queries */

bool fo_unit_enabled(const struct fo_unit *fu)
{
	return fu && fo_fsm_enabled(fu->fsm);
}

bool fo_unit_group_active(const struct fo_unit *fu, int group)
{
	if (!fu)
		return true;
	if (!fo_fsm_enabled(fu->fsm) ||
	    fo_fsm_state(fu->fsm, (unsigned)group) == FO_ST_DISABLED)
		return unit_group_active(fu->u, group);
	return fo_fsm_is_active_state(fo_fsm_state(fu->fsm, (unsigned)group));
}

bool fo_unit_mate_up(const struct fo_unit *fu)
{
	return fu && fu->mate_up && fo_fsm_mate_present(fu->fsm);
}

enum fo_wire_role fo_unit_role(const struct fo_unit *fu)
{
	return fu ? fu->cur.role : FO_WIRE_ROLE_PRIMARY;
}

bool fo_unit_config_source(const struct fo_unit *fu)
{
	return !fu || !fo_fsm_enabled(fu->fsm) || fo_fsm_config_source(fu->fsm);
}

const char *fo_unit_prompt_priority(const struct fo_unit *fu)
{
	return fo_unit_role(fu) == FO_WIRE_ROLE_SECONDARY ? "sec" : "pri";
}

const char *fo_unit_prompt_state(const struct fo_unit *fu, int group)
{
	if (fu && fo_fsm_state(fu->fsm, (unsigned)group) == FO_ST_FAILED)
		return "fail";
	return fo_unit_group_active(fu, group) ? "act" : "stby";
}
