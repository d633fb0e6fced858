/*
 * ctx_fw_show: show conn, show xlate and show resource usage, read from
 * the context namespace's conntrack table with libnetfilter_conntrack.
 *
 * Conntrack records addresses, not interfaces, so each end of a
 * connection is named by the policy's interface whose subnet holds the
 * end's real address (or whose route leads there).  Both ends are real
 * addresses: the initiator is the original source (SNAT happens later),
 * the responder is the reply source (after DNAT).  ASA prints the lower
 * security-level end first.
 *
 * Idle times: the kernel gives the time left; idle = the state's full
 * timeout (read from the namespace's sysctls) minus what is left.
 */
#include "contexts/ctx_fw_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "system/sys_netns.h"

struct conn_row {
	uint8_t proto;
	uint8_t tcp_state;
	uint32_t status;
	uint32_t osrc, odst, rsrc, rdst;        /* host order */
	uint16_t osport, odport, rsport, rdport; /* host order; ICMP: id */
	uint32_t timeout_left;
	uint64_t obytes, rbytes, opkts, rpkts;
	uint64_t start_ns;                      /* 0 if no timestamp */
};

/* Full timeouts of the namespace, read in the same visit as the dump. */
struct ns_timeouts {
	long tcp[TCP_CONNTRACK_MAX];
	long udp, udp_stream, icmp, generic;
};

struct conn_table {
	struct conn_row *rows;
	size_t n, cap;
	int err;
	struct ns_timeouts to;
};

static int collect_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		      void *arg)
{
	struct conn_table *t = arg;
	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET)
		return NFCT_CB_CONTINUE;
	/* ASA frees a connection when it closes; the kernel keeps TIME_WAIT
	 * and CLOSE entries for a while (its conn limit does not count them
	 * either), so they are not shown. */
	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) == IPPROTO_TCP) {
		uint8_t st = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
		if (st == TCP_CONNTRACK_TIME_WAIT || st == TCP_CONNTRACK_CLOSE)
			return NFCT_CB_CONTINUE;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct conn_row *rows = realloc(t->rows, cap * sizeof *rows);
		if (!rows) {
			t->err = -ENOMEM;
			return NFCT_CB_STOP;
		}
		t->rows = rows;
		t->cap = cap;
	}
	struct conn_row *r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	r->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	r->status = nfct_get_attr_u32(ct, ATTR_STATUS);
	r->osrc = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC));
	r->odst = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST));
	r->rsrc = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC));
	r->rdst = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST));
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) {
		r->osport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		r->odport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		r->rsport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
		r->rdport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
	} else if (r->proto == IPPROTO_ICMP) {
		r->osport = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
	}
	if (r->proto == IPPROTO_TCP)
		r->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	r->timeout_left = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	r->obytes = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES);
	r->rbytes = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
	r->opkts = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
	r->rpkts = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
	if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0)
		r->start_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);
	(void)type;
	return NFCT_CB_CONTINUE;
}

static void read_timeouts(struct ns_timeouts *to)
{
	static const char *const tcp_names[TCP_CONNTRACK_MAX] = {
		[TCP_CONNTRACK_SYN_SENT] = "syn_sent",
		[TCP_CONNTRACK_SYN_RECV] = "syn_recv",
		[TCP_CONNTRACK_ESTABLISHED] = "established",
		[TCP_CONNTRACK_FIN_WAIT] = "fin_wait",
		[TCP_CONNTRACK_CLOSE_WAIT] = "close_wait",
		[TCP_CONNTRACK_LAST_ACK] = "last_ack",
		[TCP_CONNTRACK_TIME_WAIT] = "time_wait",
		[TCP_CONNTRACK_CLOSE] = "close",
		[TCP_CONNTRACK_SYN_SENT2] = "syn_sent",
	};
	char name[64];
	for (int i = 0; i < TCP_CONNTRACK_MAX; i++) {
		to->tcp[i] = 0;
		if (!tcp_names[i])
			continue;
		snprintf(name, sizeof name, "nf_conntrack_tcp_timeout_%s", tcp_names[i]);
		to->tcp[i] = fw_nf_sysctl_read(name);
	}
	to->udp = fw_nf_sysctl_read("nf_conntrack_udp_timeout");
	to->udp_stream = fw_nf_sysctl_read("nf_conntrack_udp_timeout_stream");
	to->icmp = fw_nf_sysctl_read("nf_conntrack_icmp_timeout");
	to->generic = fw_nf_sysctl_read("nf_conntrack_generic_timeout");
}

/* Dumps the namespace's IPv4 conntrack table into T. */
static int dump_conns(const char *netns, struct conn_table *t)
{
	memset(t, 0, sizeof *t);
	struct netns_saved saved;
	int rc = netns_enter(netns, &saved);
	if (rc)
		return rc;
	read_timeouts(&t->to);
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	if (!h) {
		rc = -errno ? -errno : -EIO;
		goto leave;
	}
	nfct_callback_register(h, NFCT_T_ALL, collect_cb, t);
	uint32_t family = AF_INET;
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		rc = errno ? -errno : -EIO;
	nfct_close(h);
	if (!rc)
		rc = t->err;
leave:
	netns_leave(&saved);
	if (rc) {
		free(t->rows);
		t->rows = NULL;
		t->n = 0;
	}
	return rc;
}

static long full_timeout(const struct ns_timeouts *to, const struct conn_row *r)
{
	switch (r->proto) {
	case IPPROTO_TCP:
		return r->tcp_state < TCP_CONNTRACK_MAX ? to->tcp[r->tcp_state] : 0;
	case IPPROTO_UDP:
		return (r->status & IPS_ASSURED) ? to->udp_stream : to->udp;
	case IPPROTO_ICMP:
		return to->icmp;
	default:
		return to->generic;
	}
}

static uint64_t idle_of(const struct ns_timeouts *to, const struct conn_row *r)
{
	/* The kernel reports whole seconds left, rounded down: a connection
	 * refreshed just now shows full-1 left. */
	long full = full_timeout(to, r);
	long idle = full - (long)r->timeout_left - 1;
	return idle > 0 ? (uint64_t)idle : 0;
}

static const char *proto_word(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_GRE: return "GRE";
	default: return NULL;
	}
}

static const char *nameif_of(const struct ctx_fw_policy *p, uint32_t ip)
{
	const struct ctx_fw_ifc *f = fw_ifc_for_addr(p, ip);
	return f ? f->nameif : "?";
}

static int level_of(const struct ctx_fw_policy *p, uint32_t ip)
{
	const struct ctx_fw_ifc *f = fw_ifc_for_addr(p, ip);
	return f ? f->security_level : -1;
}

/* One end of a connection as ASA names it. */
struct conn_end {
	const char *nameif;
	uint32_t ip;
	uint16_t port;
	uint64_t bytes_from, pkts_from;         /* sent by this end */
};

/* Splits R into (lower security end, higher security end); *inbound says
 * the initiator is the lower end. */
static void conn_ends(const struct ctx_fw_policy *p, const struct conn_row *r,
		      struct conn_end *low, struct conn_end *high, bool *inbound)
{
	struct conn_end init = { nameif_of(p, r->osrc), r->osrc, r->osport,
				 r->obytes, r->opkts };
	struct conn_end resp = { nameif_of(p, r->rsrc), r->rsrc, r->rsport,
				 r->rbytes, r->rpkts };
	*inbound = level_of(p, r->osrc) < level_of(p, r->rsrc);
	*low = *inbound ? init : resp;
	*high = *inbound ? resp : init;
}

/* Whether END has sent data beyond a bare handshake: TCP/IP headers with
 * options stay within 60 bytes a packet.  An approximation: the kernel
 * counts bytes, not payload. */
static bool sent_data(const struct conn_end *end)
{
	return end->bytes_from > end->pkts_from * 60;
}

static void tcp_flags(struct buf *out, const struct conn_row *r,
		      const struct conn_end *low, const struct conn_end *high,
		      bool inbound)
{
	switch (r->tcp_state) {
	case TCP_CONNTRACK_SYN_SENT:
	case TCP_CONNTRACK_SYN_SENT2:
		buf_puts(out, inbound ? "aB" : "saA");
		return;
	case TCP_CONNTRACK_SYN_RECV:
		buf_puts(out, inbound ? "AB" : "A");
		return;
	default:
		break;
	}
	buf_puts(out, "U");
	if (sent_data(low))
		buf_puts(out, "I");
	if (sent_data(high))
		buf_puts(out, "O");
	if (inbound)
		buf_puts(out, "B");
	if (r->tcp_state >= TCP_CONNTRACK_FIN_WAIT && r->tcp_state <= TCP_CONNTRACK_CLOSE)
		buf_puts(out, "fF");
}

static void short_duration(struct buf *out, uint64_t s)
{
	if (s >= 3600)
		buf_printf(out, "%" PRIu64 "h%um", s / 3600, (unsigned)(s / 60 % 60));
	else if (s >= 60)
		buf_printf(out, "%um%us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		buf_printf(out, "%us", (unsigned)s);
}

static const char detail_legend[] =
	"Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK to SYN,\n"
	"       B - initial SYN from outside, F - outside FIN, f - inside FIN,\n"
	"       I - inbound data, O - outbound data, s - awaiting outside SYN,\n"
	"       U - up\n";

static void conn_line(const struct ctx_fw_policy *p, const struct ns_timeouts *to,
		      const struct conn_row *r, bool detail, struct buf *out)
{
	char a[16], b[16];
	struct conn_end low, high;
	bool inbound;
	conn_ends(p, r, &low, &high, &inbound);
	const char *pw = proto_word(r->proto);
	if (pw)
		buf_puts(out, pw);
	else
		buf_printf(out, "%u", r->proto);
	struct buf flags;
	buf_init(&flags);
	if (r->proto == IPPROTO_TCP)
		tcp_flags(&flags, r, &low, &high, inbound);
	else
		buf_puts(&flags, inbound ? "B" : "-");
	uint64_t idle = idle_of(to, r);
	if (!detail) {
		buf_printf(out, " %s %s:%u %s %s:%u, idle ", low.nameif,
			   fw_ip_str(low.ip, a), low.port, high.nameif,
			   fw_ip_str(high.ip, b), high.port);
		fw_hms(out, idle);
		buf_printf(out, ", bytes %" PRIu64 ", flags %s\n",
			   r->obytes + r->rbytes, flags.data);
		buf_free(&flags);
		return;
	}
	buf_printf(out, " %s:%s/%u %s:%s/%u,\n    flags %s, idle ", low.nameif,
		   fw_ip_str(low.ip, a), low.port, high.nameif,
		   fw_ip_str(high.ip, b), high.port, flags.data);
	uint64_t uptime = 0;
	if (r->start_ns) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		uptime = now_ns > r->start_ns ? (now_ns - r->start_ns) / 1000000000u : 0;
		/* The kernel rounds the time left down: keep idle <= uptime. */
		if (idle > uptime)
			idle = uptime;
	}
	short_duration(out, idle);
	if (r->start_ns) {
		buf_puts(out, ", uptime ");
		short_duration(out, uptime);
	}
	buf_puts(out, ", timeout ");
	short_duration(out, (uint64_t)(full_timeout(to, r) > 0 ? full_timeout(to, r) : 0));
	buf_printf(out, ", bytes %" PRIu64 "\n", r->obytes + r->rbytes);
	/* The translation this connection uses, in show xlate's words. */
	if (r->status & IPS_DST_NAT)
		buf_printf(out, "    xlate from %s:%s/%u to %s:%s/%u\n",
			   nameif_of(p, r->rsrc), fw_ip_str(r->rsrc, a), r->rsport,
			   nameif_of(p, r->osrc), fw_ip_str(r->odst, b), r->odport);
	if (r->status & IPS_SRC_NAT)
		buf_printf(out, "    xlate from %s:%s/%u to %s:%s/%u\n",
			   nameif_of(p, r->osrc), fw_ip_str(r->osrc, a), r->osport,
			   nameif_of(p, r->rsrc), fw_ip_str(r->rdst, b), r->rdport);
	buf_free(&flags);
}

int ctx_fw_show_conn(struct ctx_fw *fw, enum ctx_fw_conn_view view, struct buf *out)
{
	if (!fw->applied)
		return -ENODATA;
	struct conn_table t;
	int rc = dump_conns(fw->netns, &t);
	if (rc)
		return rc;
	if (t.n > fw->conn_peak)
		fw->conn_peak = (unsigned)t.n;
	buf_printf(out, "%zu in use, %u most used\n", t.n, fw->conn_peak);
	if (view == CTX_FW_CONN_DETAIL)
		buf_puts(out, detail_legend);
	if (view != CTX_FW_CONN_COUNT)
		for (size_t i = 0; i < t.n; i++)
			conn_line(fw->applied, &t.to, &t.rows[i],
				  view == CTX_FW_CONN_DETAIL, out);
	free(t.rows);
	return 0;
}

int ctx_fw_conn_count(struct ctx_fw *fw)
{
	struct conn_table t;
	int rc = dump_conns(fw->netns, &t);
	if (rc)
		return rc;
	free(t.rows);
	if (t.n > fw->conn_peak)
		fw->conn_peak = (unsigned)t.n;
	return (int)t.n;
}

int ctx_fw_show_resource_usage(struct ctx_fw *fw, const char *context_name,
			       struct buf *out)
{
	if (!fw->applied)
		return -ENODATA;
	int n = ctx_fw_conn_count(fw);
	if (n < 0)
		return n;
	buf_printf(out, "%-16s %-20s %11s %11s %11s %11s\n", "Context", "Resource",
		   "Current", "Peak", "Limit", "Denied");
	struct buf limit;
	buf_init(&limit);
	if (fw->applied->conn_limit)
		buf_printf(&limit, "%u", fw->applied->conn_limit);
	else
		buf_puts(&limit, "unlimited");
	int64_t denied = ctx_fw_conns_denied(fw);
	buf_printf(out, "%-16s %-20s %11d %11u %11s %11" PRId64 "\n",
		   context_name ? context_name : fw->netns, "Conns", n,
		   fw->conn_peak, limit.data, denied > 0 ? denied : 0);
	buf_free(&limit);
	return 0;
}

/* ------------------------------------------------------------------ */
/* show xlate                                                          */

struct one_to_one {
	const char *real_ifc, *mapped_ifc;
	uint32_t real, mapped, mask;
};

static bool covers(uint32_t net, uint32_t mask, uint32_t ip)
{
	return (ip & mask) == (net & mask);
}

static void print_addr_mask(struct buf *out, uint32_t ip, uint32_t mask)
{
	char a[16];
	if (mask == 0xffffffffu)
		buf_puts(out, fw_ip_str(ip, a));
	else
		buf_printf(out, "%s/%d", fw_ip_str(ip, a), fw_mask_len(mask));
}

/* Idle of static S: the least idle connection it translates, else the
 * time since the policy was applied. */
static uint64_t static_idle(const struct ctx_fw *fw, const struct conn_table *t,
			    const struct one_to_one *s)
{
	uint64_t best = UINT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		const struct conn_row *r = &t->rows[i];
		bool dnat = (r->status & IPS_DST_NAT) && covers(s->real, s->mask, r->rsrc) &&
			    covers(s->mapped, s->mask, r->odst);
		bool snat = (r->status & IPS_SRC_NAT) && covers(s->real, s->mask, r->osrc) &&
			    covers(s->mapped, s->mask, r->rdst);
		if (dnat || snat) {
			uint64_t idle = idle_of(&t->to, r);
			if (idle < best)
				best = idle;
		}
	}
	if (best != UINT64_MAX)
		return best;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - fw->applied_at.tv_sec);
}

static bool in_static(const struct one_to_one *st, size_t n, const struct conn_row *r)
{
	for (size_t i = 0; i < n; i++)
		if (covers(st[i].real, st[i].mask, r->osrc) &&
		    covers(st[i].mapped, st[i].mask, r->rdst))
			return true;
	return false;
}

static const struct ctx_fw_object_nat *dynamic_for(const struct ctx_fw_policy *p,
						   const struct conn_row *r)
{
	const char *egress = nameif_of(p, r->rsrc);
	for (size_t i = 0; i < p->n_obj_nats; i++) {
		const struct ctx_fw_object_nat *o = &p->obj_nats[i];
		if (o->kind == CTX_FW_OBJNAT_STATIC || strcmp(o->mapped_ifc, egress) != 0)
			continue;
		bool hit = o->obj_kind == CTX_FW_OBJ_RANGE
			? (r->osrc >= o->real && r->osrc <= o->real_end)
			: covers(o->real, o->obj_kind == CTX_FW_OBJ_SUBNET ? o->real_mask : 0xffffffffu,
				 r->osrc);
		if (hit)
			return o;
	}
	return NULL;
}

int ctx_fw_show_xlate(struct ctx_fw *fw, struct buf *out)
{
	const struct ctx_fw_policy *p = fw->applied;
	if (!p)
		return -ENODATA;
	struct conn_table t;
	int rc = dump_conns(fw->netns, &t);
	if (rc)
		return rc;
	size_t n_st = p->n_statics + p->n_obj_nats;
	struct one_to_one *st = calloc(n_st ? n_st : 1, sizeof *st);
	if (!st) {
		free(t.rows);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < p->n_statics; i++)
		st[k++] = (struct one_to_one){ p->statics[i].real_ifc, p->statics[i].mapped_ifc,
					       p->statics[i].real, p->statics[i].mapped,
					       p->statics[i].mask };
	for (size_t i = 0; i < p->n_obj_nats; i++) {
		const struct ctx_fw_object_nat *o = &p->obj_nats[i];
		if (o->kind != CTX_FW_OBJNAT_STATIC)
			continue;
		st[k++] = (struct one_to_one){ o->real_ifc, o->mapped_ifc, o->real, o->mapped,
					       o->obj_kind == CTX_FW_OBJ_SUBNET ? o->real_mask
					       : 0xffffffffu };
	}
	n_st = k;

	struct buf body;
	buf_init(&body);
	size_t in_use = 0;
	char a[16], b[16];
	for (size_t i = 0; i < n_st; i++) {
		buf_printf(&body, "NAT from %s:", st[i].real_ifc);
		print_addr_mask(&body, st[i].real, st[i].mask);
		buf_printf(&body, " to %s:", st[i].mapped_ifc);
		print_addr_mask(&body, st[i].mapped, st[i].mask);
		buf_puts(&body, "\n    flags s idle ");
		fw_hms(&body, static_idle(fw, &t, &st[i]));
		buf_puts(&body, " timeout 0:00:00\n");
		in_use++;
	}
	/* Live dynamic translations: source-NATed connections no static
	 * explains.  PAT entries are per port, dynamic NAT per address. */
	for (size_t i = 0; i < t.n; i++) {
		const struct conn_row *r = &t.rows[i];
		if (!(r->status & IPS_SRC_NAT) || in_static(st, n_st, r))
			continue;
		const struct ctx_fw_object_nat *o = dynamic_for(p, r);
		bool pat = (o && o->kind == CTX_FW_OBJNAT_DYNAMIC_IFC) || r->osport != r->rdport;
		if (!pat) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = (t.rows[j].status & IPS_SRC_NAT) &&
				       t.rows[j].osrc == r->osrc && t.rows[j].rdst == r->rdst;
			if (seen)
				continue;
		}
		const char *pw = proto_word(r->proto);
		if (pat)
			buf_printf(&body, "%s PAT from %s:%s/%u to %s:%s/%u flags ri idle ",
				   pw ? pw : "IP", nameif_of(p, r->osrc), fw_ip_str(r->osrc, a),
				   r->osport, nameif_of(p, r->rsrc), fw_ip_str(r->rdst, b),
				   r->rdport);
		else
			buf_printf(&body, "NAT from %s:%s to %s:%s flags i idle ",
				   nameif_of(p, r->osrc), fw_ip_str(r->osrc, a),
				   nameif_of(p, r->rsrc), fw_ip_str(r->rdst, b));
		fw_hms(&body, idle_of(&t.to, r));
		buf_puts(&body, " timeout ");
		fw_hms(&body, pat ? 30 : (p->timeouts.xlate ? p->timeouts.xlate : 10800));
		buf_puts(&body, "\n");
		in_use++;
	}
	if (in_use > fw->xlate_peak)
		fw->xlate_peak = (unsigned)in_use;
	buf_printf(out, "%zu in use, %u most used\n", in_use, fw->xlate_peak);
	buf_puts(out, "Flags: D - DNS, e - extended, I - identity, i - dynamic, r - portmap,\n"
		 "       s - static, T - twice, N - net-to-net\n");
	if (body.len)
		buf_puts(out, body.data);
	buf_free(&body);
	free(st);
	free(t.rows);
	return 0;
}
