/*
 * fo_show: the failover show commands, in the seed's layout (show
 * failover, show failover state / interface / history, show
 * monitor-interface).
 */
#include <string.h>

#include "failover/fo_link.h"
#include "failover/fo_unit_priv.h"
#include "system/cli.h"
#include "system/sys_unit.h"

static unsigned secs(uint32_t ms)
{
	return ms / 1000;
}

/* "15 seconds" or "200 milliseconds", as ASA prints a poll/hold time. */
static void print_time(struct buf *out, uint32_t ms)
{
	if (ms % 1000)
		buf_printf(out, "%u milliseconds", ms);
	else
		buf_printf(out, "%u seconds", secs(ms));
}

static const char *up_down(bool up)
{
	return up ? "up" : "down";
}

/* Per-group interface policy and poll time: ASA prints group 1's. */
static void iface_poll(const struct sys_failover *f, struct buf *out)
{
	const struct fo_group_cfg *g = &f->groups[0];
	uint32_t poll = g->if_poll_ms ? (uint32_t)g->if_poll_ms
				      : FO_DEFAULT_IF_POLL_MS;
	uint32_t hold = g->if_hold_ms ? (uint32_t)g->if_hold_ms
				      : FO_DEFAULT_IF_HOLD_MS;

	buf_puts(out, "Interface Poll frequency ");
	print_time(out, poll);
	buf_puts(out, ", holdtime ");
	print_time(out, hold);
	buf_puts(out, "\n");
	if (g->policy_percent)
		buf_printf(out, "Interface Policy %d%%\n", g->policy);
	else
		buf_printf(out, "Interface Policy %d\n", g->policy ? g->policy : 1);
}

static void host_block(struct fo_unit *fu, bool mate, struct buf *out)
{
	fo_fsm_format_groups(fu->fsm, mate, out);
	fo_unit_ifmon_format(fu, NULL, mate, true, out);
}

void fo_unit_show(struct fo_unit *fu, struct buf *out)
{
	const struct sys_failover *f = &unit_sysconfig(fu->u)->fo;
	struct fo_link_stats ls;

	buf_printf(out, "Failover %s\n", fo_fsm_enabled(fu->fsm) ? "On" : "Off");
	buf_printf(out, "Cable status: N/A - LAN-based failover %s\n",
		   f->lan_enable ? "enabled" : "disabled");
	buf_printf(out, "Failover unit %s\n",
		   fu->cur.role == FO_WIRE_ROLE_SECONDARY ? "Secondary"
							   : "Primary");
	if (f->lan_ifname[0])
		buf_printf(out, "Failover LAN Interface: %s %s (%s)\n",
			   f->lan_ifname, f->lan_phy,
			   up_down(fo_unit_lan_up(fu)));
	else
		buf_puts(out, "Failover LAN Interface: N/A - LAN-based failover "
			      "not configured\n");
	if (fu->link) {
		fo_link_stats(fu->link, &ls);
		buf_printf(out, "Failover link transport: %s (%s)%s\n",
			   fo_link_transport_name(fu->link),
			   fo_link_up(fu->link) ? "connected" : "not connected",
			   strcmp(fo_link_transport_name(fu->link), "sctp")
				   ? " - kernel has no SCTP" : "");
	} else {
		buf_puts(out, "Failover link transport: none (link not "
			      "configured)\n");
	}
	if (!f->key[0])
		buf_puts(out, "WARNING: no failover key: failover messages are "
			      "not encrypted or authenticated\n");
	buf_puts(out, "Unit Poll frequency ");
	print_time(out, fu->cur.poll_ms);
	buf_puts(out, ", holdtime ");
	print_time(out, fu->cur.hold_ms);
	buf_puts(out, "\n");
	iface_poll(f, out);
	buf_printf(out, "Monitored Interfaces %zu of 250 maximum\n",
		   fo_unit_ifmon_count(fu, 0, false));
	buf_printf(out, "Version: Ours %s, Mate %s\n", MCTX_VERSION,
		   fu->mate_seen ? fu->mate_version : "Unknown");
	fo_fsm_format_last_failover(fu->fsm, out);
	host_block(fu, false, out);
	buf_puts(out, "\n");
	host_block(fu, true, out);
	buf_puts(out, "\n");
	if (fu->repl.format_stats) {
		fu->repl.format_stats(fu->repl.arg, out);
	} else {
		buf_puts(out, "Stateful Failover Logical Update Statistics\n");
		if (f->link_ifname[0])
			buf_printf(out, "\tLink : %s %s (%s)\n", f->link_ifname,
				   f->link_phy,
				   up_down(fu->link && fo_link_up(fu->link)));
		else
			buf_puts(out, "\tLink : Unconfigured.\n");
	}
}

/* The FSM knows whether the join's sync happened; replication knows
 * whether the configurations still match.  "Sync Done" needs both. */
static void config_state(struct fo_unit *fu, struct buf *out)
{
	static const char mark[] = "====Configuration State===\n";
	struct buf fsm, repl;
	const char *at;

	buf_init(&fsm);
	fo_fsm_format_state(fu->fsm, &fsm);
	buf_puts(&fsm, "");   /* NUL-terminated for strstr */
	at = fsm.data ? strstr(fsm.data, mark) : NULL;
	if (!fu->repl.config_state || !at ||
	    strstr(at, "Sync Pending")) {
		buf_puts(out, fsm.data ? fsm.data : "");
		buf_free(&fsm);
		return;
	}
	buf_add(out, fsm.data, (size_t)(at - fsm.data) + sizeof mark - 1);
	buf_init(&repl);
	fu->repl.config_state(fu->repl.arg, &repl);
	buf_puts(&repl, "");
	buf_printf(out, "\t%s%s\n", repl.data ? repl.data : "",
		   repl.data && !strcmp(repl.data, "Sync Done") &&
		   strstr(at, "STANDBY") ? " - STANDBY" : "");
	buf_free(&repl);
	buf_free(&fsm);
}

void fo_unit_show_state(struct fo_unit *fu, struct buf *out)
{
	config_state(fu, out);
	buf_puts(out, "\n====Communication State===\n");
	if (fo_fsm_mate_present(fu->fsm))
		buf_puts(out, "\tMac set\n");
	/* The LAN failover interface without carrier is failed even while
	 * the mate is still heard over the stateful link's path. */
	if (fo_fsm_link_failed(fu->fsm) ||
	    (fu->carrier_known && !fu->carrier))
		buf_puts(out, "\tFailover interface failed\n");
	if (fo_fsm_state_stale(fu->fsm))
		buf_puts(out, "\tStateful link down: state is stale\n");
}

static void iface_block(struct fo_unit *fu, const char *name, const char *phy,
			struct buf *out)
{
	const struct sys_failover *f = &unit_sysconfig(fu->u)->fo;
	bool secondary = fu->cur.role == FO_WIRE_ROLE_SECONDARY;
	char a[16], b[16], c[16];

	for (size_t i = 0; i < f->nifips; i++) {
		const struct fo_ifip *ip = &f->ifips[i];
		if (strcmp(ip->ifname, name) != 0)
			continue;
		buf_printf(out, "\tinterface %s %s\n", name, phy);
		buf_printf(out, "\t\tSystem IP Address: %s %s\n",
			   cli_ip_str(ip->ip, a), cli_ip_str(ip->mask, b));
		buf_printf(out, "\t\tMy IP Address : %s\n",
			   cli_ip_str(secondary ? ip->standby : ip->ip, c));
		buf_printf(out, "\t\tOther IP Address : %s\n",
			   cli_ip_str(secondary ? ip->ip : ip->standby, c));
		return;
	}
	buf_printf(out, "\tinterface %s %s\n", name, phy);
	buf_puts(out, "\t\tSystem IP Address: 0.0.0.0 0.0.0.0\n"
		      "\t\tMy IP Address : 0.0.0.0\n"
		      "\t\tOther IP Address : 0.0.0.0\n");
}

void fo_unit_show_interface(struct fo_unit *fu, struct buf *out)
{
	const struct sys_failover *f = &unit_sysconfig(fu->u)->fo;

	if (f->lan_ifname[0])
		iface_block(fu, f->lan_ifname, f->lan_phy, out);
	if (f->link_ifname[0] && strcmp(f->link_ifname, f->lan_ifname) != 0)
		iface_block(fu, f->link_ifname, f->link_phy, out);
}

void fo_unit_show_history(struct fo_unit *fu, struct buf *out)
{
	fo_fsm_format_history(fu->fsm, out);
}

void fo_unit_show_monitor(struct fo_unit *fu, const char *ctx,
			  struct buf *out)
{
	int group = unit_context_group(fu->u, ctx);
	enum fo_state me = fo_fsm_state(fu->fsm, (unsigned)group);
	enum fo_state mate = fo_fsm_mate_state(fu->fsm, (unsigned)group);
	const char *role = fu->cur.role == FO_WIRE_ROLE_SECONDARY ? "Secondary"
								  : "Primary";
	const char *other = fu->cur.role == FO_WIRE_ROLE_SECONDARY ? "Primary"
								   : "Secondary";

	buf_printf(out, "This host: %s - %s\n", role,
		   fo_fsm_enabled(fu->fsm) ? fo_state_name(me)
		   : fo_unit_group_active(fu, group) ? "Active" : "Standby Ready");
	fo_unit_ifmon_format(fu, ctx, false, false, out);
	buf_printf(out, "Other host: %s - %s\n", other,
		   mate == FO_ST_MAX ? "Not Detected" : fo_state_name(mate));
	fo_unit_ifmon_format(fu, ctx, true, false, out);
}
