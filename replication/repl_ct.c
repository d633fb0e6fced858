/*
 * repl_ct: conntrack access in one context namespace (dump, events,
 * injection).  The codec lives in repl_ct_codec.c.
 *
 * libnetfilter_conntrack parses and builds the ctnetlink attributes
 * (nfct_nlmsg_parse / nfct_nlmsg_build: it carries TCP state and NAT, which
 * libnl's module cannot); the sockets are our own so that injection can pack
 * many requests into one sendmsg and event loss is seen as ENOBUFS.
 *
 * Injection without per-message acks: a netlink request to the kernel is
 * processed inside sendmsg, so when sendmsg returns every message of the
 * batch has been handled and the kernel has queued an error message for
 * each one that failed (NETLINK_CAP_ACK keeps those small).  Draining the
 * socket then tells exactly which ones failed, by sequence number.
 */
#include "replication/repl_ct.h"
#include "replication/repl_ct_child.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "system/sys_log.h"
#include "system/sys_netns.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define SLOT_MAX 512             /* room for one request (largest ~300) */
#define RECV_BUF_LEN (256 * 1024)
#define CMD_RCVBUF (4 * 1024 * 1024)
#define EVENT_RCVBUF_DEFAULT (16 * 1024 * 1024)
#define EVENT_READS_PER_CALL 4096
#define DEFAULT_BATCH 64
#define UNREAPED_MAX 8
#define WR_FLIGHT_MAX 1024         /* batches handed to the writer, unanswered */

enum nl_action { ACT_CREATE, ACT_UPDATE, ACT_DELETE };

struct inject_slot {
	struct repl_ct_entry entry;
	enum nl_action action;
	int err;                 /* kernel's answer for this round */
	bool retried;            /* one EEXIST/ENOENT retry only */
};

struct repl_ct {
	char netns[64];
	int cmd_fd;              /* dump, inject, flush */
	uint32_t cmd_portid;     /* our injections' origin, for echo checks */
	int event_fd;
	int count_fd;            /* the namespace's nf_conntrack_count */
	bool events_on;          /* event groups joined */
	/* The stepwise dump or the flush in progress, run by a child
	 * (repl_ct_child.h); NULL none. */
	struct repl_ct_child *job;
	bool job_flush;
	bool job_waiting;        /* the last step found nothing to read */
	pid_t unreaped[UNREAPED_MAX];   /* stopped children not yet exited */
	uint32_t seq;
	repl_ct_filter_fn filter;
	void *filter_arg;
	unsigned batch;
	unsigned nqueued;
	struct inject_slot *queue;   /* REPL_CT_BATCH_MAX slots */
	uint8_t *sendbuf;            /* REPL_CT_BATCH_MAX * SLOT_MAX */
	uint8_t *recvbuf;            /* RECV_BUF_LEN */
	struct repl_ct_stats stats;
	/* The writer child (repl_ct_writer_start); wr_fd -1: none, the
	 * daemon injects itself.  wr_flight: records per protocol of each
	 * batch sent and not yet answered, oldest at wr_head. */
	int wr_fd;
	pid_t wr_pid;
	uint32_t wr_portid;      /* its socket's: its injections echo too */
	repl_ct_written_fn wr_fn;
	void *wr_arg;
	struct wr_flight { uint32_t tcp, udp; } wr_flight[WR_FLIGHT_MAX];
	size_t wr_head, wr_len;
};

static void reap_stopped(struct repl_ct *ct, bool block);
static void writer_stop(struct repl_ct *ct);
static void settle_queued(struct repl_ct *ct);

/* ---- sockets ------------------------------------------------------------ */

/* Receive and send buffers of FD.  The FORCE variants exceed
 * rmem_max/wmem_max (we run as root); the plain ones otherwise. */
static void set_bufs(int fd, int rcvbuf, int sndbuf)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}

static int open_nfnl(unsigned groups, int rcvbuf, uint32_t *portid)
{
	/* The event socket (groups != 0) never blocks: it is polled. */
	int type = SOCK_RAW | SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0);
	int fd = socket(AF_NETLINK, type, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int one = 1;
	set_bufs(fd, rcvbuf, 4 * 1024 * 1024);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	socklen_t alen = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &alen) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (portid)
		*portid = sa.nl_pid;
	return fd;
}

/* The default (2) gives an entry events only if a listener existed when
 * it was created, so a DESTROY would be missed for connections opened
 * before we subscribed, or while the daemon restarted.  1 = always.
 * The sysctl is per namespace; /proc/sys/net follows the caller's. */
static void enable_events_sysctl(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "w");
	if (!f)
		return;
	fputs("1\n", f);
	fclose(f);
}

/* Runs open_nfnl inside the context's namespace. */
static int open_in_netns(struct repl_ct *ct, unsigned groups,
			 int rcvbuf, uint32_t *portid)
{
	struct netns_saved saved = { .orig_fd = -1 };
	if (ct->netns[0]) {
		int err = netns_enter(ct->netns, &saved);
		if (err)
			return err;
	}
	int fd = open_nfnl(groups, rcvbuf, portid);
	if (fd >= 0 && groups)
		enable_events_sysctl();
	if (fd >= 0 && portid && ct->count_fd < 0)
		/* /proc/sys/net follows the opener's namespace. */
		ct->count_fd = open("/proc/sys/net/netfilter/nf_conntrack_count",
				    O_RDONLY | O_CLOEXEC);
	netns_leave(&saved);
	return fd;
}

int repl_ct_create(const char *netns, struct repl_ct **out)
{
	*out = NULL;
	if (netns && strlen(netns) >= sizeof ((struct repl_ct *)0)->netns)
		return -ENAMETOOLONG;
	struct repl_ct *ct = calloc(1, sizeof *ct);
	if (!ct)
		return -ENOMEM;
	if (netns)
		snprintf(ct->netns, sizeof ct->netns, "%s", netns);
	ct->event_fd = -1;
	ct->count_fd = -1;
	ct->wr_fd = -1;
	ct->batch = DEFAULT_BATCH;
	ct->queue = calloc(REPL_CT_BATCH_MAX, sizeof *ct->queue);
	ct->sendbuf = malloc((size_t)REPL_CT_BATCH_MAX * SLOT_MAX);
	ct->recvbuf = malloc(RECV_BUF_LEN);
	if (!ct->queue || !ct->sendbuf || !ct->recvbuf) {
		ct->cmd_fd = -1;
		repl_ct_destroy(ct);
		return -ENOMEM;
	}
	ct->cmd_fd = open_in_netns(ct, 0, CMD_RCVBUF, &ct->cmd_portid);
	if (ct->cmd_fd < 0) {
		int err = ct->cmd_fd;
		mlog(MSG_930103, "conntrack access to namespace %s failed: %s",
		     netns ? netns : "(own)", strerror(-err));
		repl_ct_destroy(ct);
		return err;
	}
	*out = ct;
	return 0;
}

void repl_ct_destroy(struct repl_ct *ct)
{
	if (!ct)
		return;
	writer_stop(ct);
	if (ct->cmd_fd >= 0)
		close(ct->cmd_fd);
	if (ct->event_fd >= 0)
		close(ct->event_fd);
	if (ct->count_fd >= 0)
		close(ct->count_fd);
	repl_ct_dump_cancel(ct);
	/* Killed children die once their kernel call returns. */
	reap_stopped(ct, true);
	free(ct->queue);
	free(ct->sendbuf);
	free(ct->recvbuf);
	free(ct);
}

void repl_ct_set_filter(struct repl_ct *ct, repl_ct_filter_fn fn, void *arg)
{
	ct->filter = fn;
	ct->filter_arg = arg;
}

int repl_ct_set_batch(struct repl_ct *ct, unsigned n)
{
	if (n == 0 || n > REPL_CT_BATCH_MAX)
		return -EINVAL;
	int err = repl_ct_inject_flush(ct);
	ct->batch = n;
	return err;
}

const struct repl_ct_stats *repl_ct_get_stats(const struct repl_ct *ct)
{
	return &ct->stats;
}

void repl_ct_clear_stats(struct repl_ct *ct)
{
	memset(&ct->stats, 0, sizeof ct->stats);
}

int repl_ct_event_fd(const struct repl_ct *ct)
{
	return ct->event_fd;
}

/* ---- kernel object <-> entry ------------------------------------------- */

static bool proto_replicated(uint8_t family, uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       (family == AF_INET && proto == IPPROTO_ICMP) ||
	       (family == AF_INET6 && proto == IPPROTO_ICMPV6);
}

/* ---- kernel message -> entry ---------------------------------------------- */

/* Our own attribute walk over the ctnetlink message instead of
 * nfct_nlmsg_parse + nfct_get_attr: a dump of a million entries spent a
 * third of the sender's time there, building objects we read a dozen
 * fields of.  Every attribute is bounds-checked; a payload of the wrong
 * size is a malformed message. */

#define TB_MAX 32   /* above every CTA_* index we read */

/* Indexes the attributes in [p, p+len) by type; -EBADMSG when an
 * attribute runs past the end. */
static int nla_index(const uint8_t *p, size_t len, const struct nlattr **tb)
{
	memset(tb, 0, TB_MAX * sizeof *tb);
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -EBADMSG;
		unsigned type = a->nla_type & NLA_TYPE_MASK;
		if (type < TB_MAX)
			tb[type] = a;
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

static const uint8_t *nla_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static size_t nla_size(const struct nlattr *a)
{
	return (size_t)a->nla_len - NLA_HDRLEN;
}

/* Copies attribute A's payload (exactly N bytes) to DST; absent: left
 * alone (zero), as libnetfilter_conntrack reads an unset attribute. */
static int nla_get(const struct nlattr *a, void *dst, size_t n)
{
	if (!a)
		return 0;
	if (nla_size(a) != n)
		return -EBADMSG;
	memcpy(dst, nla_data(a), n);
	return 0;
}

static int nla_nested(const struct nlattr *a, const struct nlattr **tb)
{
	return nla_index(nla_data(a), nla_size(a), tb);
}

static int get_be16(const struct nlattr *a, uint16_t *v)
{
	uint16_t be = 0;
	int err = nla_get(a, &be, 2);
	*v = ntohs(be);
	return err;
}

static int get_be32(const struct nlattr *a, uint32_t *v)
{
	uint32_t be = 0;
	int err = nla_get(a, &be, 4);
	*v = ntohl(be);
	return err;
}

/* One tuple.  ICMP: sport = echo id, dport = type << 8 | code. */
static int parse_tuple(const struct nlattr *a, bool v4,
		       struct repl_ct_tuple *t, uint8_t *proto)
{
	const struct nlattr *tb[TB_MAX], *ip[TB_MAX], *l4[TB_MAX];
	if (!a || nla_nested(a, tb) || !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] ||
	    nla_nested(tb[CTA_TUPLE_IP], ip) || nla_nested(tb[CTA_TUPLE_PROTO], l4))
		return -EBADMSG;
	int err = v4 ? nla_get(ip[CTA_IP_V4_SRC], t->src, 4) |
		       nla_get(ip[CTA_IP_V4_DST], t->dst, 4)
		     : nla_get(ip[CTA_IP_V6_SRC], t->src, 16) |
		       nla_get(ip[CTA_IP_V6_DST], t->dst, 16);
	err |= nla_get(l4[CTA_PROTO_NUM], proto, 1);
	if (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP) {
		err |= get_be16(l4[CTA_PROTO_SRC_PORT], &t->sport);
		err |= get_be16(l4[CTA_PROTO_DST_PORT], &t->dport);
	} else {
		bool v6 = *proto == IPPROTO_ICMPV6;
		uint8_t type = 0, code = 0;
		err |= get_be16(l4[v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID],
				&t->sport);
		err |= nla_get(l4[v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE],
			       &type, 1);
		err |= nla_get(l4[v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE],
			       &code, 1);
		t->dport = (uint16_t)(type << 8 | code);
	}
	return err ? -EBADMSG : 0;
}

static int parse_tcp_info(const struct nlattr *a, struct repl_ct_entry *e)
{
	const struct nlattr *pi[TB_MAX], *tcp[TB_MAX];
	if (!a)
		return 0;
	if (nla_nested(a, pi))
		return -EBADMSG;
	if (!pi[CTA_PROTOINFO_TCP])
		return 0;
	if (nla_nested(pi[CTA_PROTOINFO_TCP], tcp))
		return -EBADMSG;
	uint8_t fo[2] = { 0, 0 }, fr[2] = { 0, 0 };   /* nf_ct_tcp_flags:
							* flags, mask */
	int err = nla_get(tcp[CTA_PROTOINFO_TCP_STATE], &e->tcp_state, 1) |
		  nla_get(tcp[CTA_PROTOINFO_TCP_WSCALE_ORIGINAL], &e->tcp_wscale[0], 1) |
		  nla_get(tcp[CTA_PROTOINFO_TCP_WSCALE_REPLY], &e->tcp_wscale[1], 1) |
		  nla_get(tcp[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL], fo, sizeof fo) |
		  nla_get(tcp[CTA_PROTOINFO_TCP_FLAGS_REPLY], fr, sizeof fr);
	e->tcp_flags[0] = fo[0];
	e->tcp_flags[1] = fr[0];
	return err ? -EBADMSG : 0;
}

int repl_ct_parse_nlmsg(const void *msg, size_t len, struct repl_ct_entry *e)
{
	const struct nlmsghdr *h = msg;
	size_t hdr = NLMSG_SPACE(sizeof(struct nfgenmsg));
	memset(e, 0, sizeof *e);
	if (len < hdr || h->nlmsg_len < hdr || h->nlmsg_len > len ||
	    (h->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return -EBADMSG;
	const struct nfgenmsg *nfg = NLMSG_DATA(h);
	const struct nlattr *tb[TB_MAX];
	if (nla_index((const uint8_t *)h + hdr, h->nlmsg_len - hdr, tb))
		return -EBADMSG;
	e->family = nfg->nfgen_family;
	if (e->family != AF_INET && e->family != AF_INET6)
		return -EPROTONOSUPPORT;
	bool v4 = e->family == AF_INET;
	uint8_t reply_proto = 0;
	if (parse_tuple(tb[CTA_TUPLE_ORIG], v4, &e->orig, &e->proto))
		goto bad;
	if (!proto_replicated(e->family, e->proto)) {
		memset(e, 0, sizeof *e);
		return -EPROTONOSUPPORT;
	}
	if (parse_tuple(tb[CTA_TUPLE_REPLY], v4, &e->reply, &reply_proto))
		goto bad;
	if (e->proto != IPPROTO_TCP && e->proto != IPPROTO_UDP) {
		/* The reply of an echo is matched by its id only. */
		e->reply.sport = e->orig.sport;
		e->reply.dport = 0;
	}
	if (get_be32(tb[CTA_STATUS], &e->status) ||
	    get_be32(tb[CTA_TIMEOUT], &e->timeout) ||
	    get_be32(tb[CTA_MARK], &e->mark) ||
	    get_be16(tb[CTA_ZONE], &e->zone))
		goto bad;
	if (e->proto == IPPROTO_TCP && parse_tcp_info(tb[CTA_PROTOINFO], e))
		goto bad;
	/* The kernel reports NAT only through the reply tuple: after SNAT
	 * replies come back to the translated source, after DNAT they come
	 * from the translated destination. */
	bool ports = e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP;
	if (e->status & IPS_SRC_NAT) {
		e->snat.set = true;
		memcpy(e->snat.addr, e->reply.dst, sizeof e->snat.addr);
		e->snat.port = ports ? e->reply.dport : 0;
	}
	if (e->status & IPS_DST_NAT) {
		e->dnat.set = true;
		memcpy(e->dnat.addr, e->reply.src, sizeof e->dnat.addr);
		e->dnat.port = ports ? e->reply.sport : 0;
	}
	return 0;
bad:
	memset(e, 0, sizeof *e);
	return -EBADMSG;
}

static void set_addr(struct nf_conntrack *obj, bool v4,
		     enum nf_conntrack_attr a4, enum nf_conntrack_attr a6,
		     const uint8_t *src)
{
	if (v4) {
		uint32_t a;
		memcpy(&a, src, 4);
		nfct_set_attr_u32(obj, a4, a);
	} else {
		nfct_set_attr_l(obj, a6, src, 16);
	}
}

/* The original tuple (and zone): all a delete or update needs to find
 * the kernel's entry. */
static void obj_set_tuple(struct nf_conntrack *obj, const struct repl_ct_entry *e)
{
	bool v4 = e->family == AF_INET;
	nfct_set_attr_u8(obj, ATTR_ORIG_L3PROTO, e->family);
	nfct_set_attr_u8(obj, ATTR_ORIG_L4PROTO, e->proto);
	set_addr(obj, v4, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, e->orig.src);
	set_addr(obj, v4, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, e->orig.dst);
	if (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) {
		nfct_set_attr_u16(obj, ATTR_ORIG_PORT_SRC, htons(e->orig.sport));
		nfct_set_attr_u16(obj, ATTR_ORIG_PORT_DST, htons(e->orig.dport));
	} else {
		nfct_set_attr_u16(obj, ATTR_ICMP_ID, htons(e->orig.sport));
		nfct_set_attr_u8(obj, ATTR_ICMP_TYPE, (uint8_t)(e->orig.dport >> 8));
		nfct_set_attr_u8(obj, ATTR_ICMP_CODE, (uint8_t)e->orig.dport);
	}
	if (e->zone)
		nfct_set_attr_u16(obj, ATTR_ZONE, e->zone);
}

static void obj_set_state(struct nf_conntrack *obj, const struct repl_ct_entry *e)
{
	/* The kernel refuses to create or change an entry without
	 * IPS_CONFIRMED (EBUSY); an expectation's child cannot be recreated
	 * without its master, so it arrives as an ordinary entry. */
	nfct_set_attr_u32(obj, ATTR_STATUS,
			  (e->status | IPS_CONFIRMED) & ~(uint32_t)IPS_EXPECTED);
	nfct_set_attr_u32(obj, ATTR_TIMEOUT, e->timeout);
	nfct_set_attr_u32(obj, ATTR_MARK, e->mark);
	if (e->proto != IPPROTO_TCP)
		return;
	/* Sequence windows are not exported by the kernel, so the new owner
	 * must accept whatever window it sees first: BE_LIBERAL both ways. */
	uint8_t fo = e->tcp_flags[0] | IP_CT_TCP_FLAG_BE_LIBERAL;
	uint8_t fr = e->tcp_flags[1] | IP_CT_TCP_FLAG_BE_LIBERAL;
	nfct_set_attr_u8(obj, ATTR_TCP_STATE, e->tcp_state);
	nfct_set_attr_u8(obj, ATTR_TCP_FLAGS_ORIG, fo);
	nfct_set_attr_u8(obj, ATTR_TCP_MASK_ORIG, 0xff);
	nfct_set_attr_u8(obj, ATTR_TCP_FLAGS_REPL, fr);
	nfct_set_attr_u8(obj, ATTR_TCP_MASK_REPL, 0xff);
	nfct_set_attr_u8(obj, ATTR_TCP_WSCALE_ORIG, e->tcp_wscale[0]);
	nfct_set_attr_u8(obj, ATTR_TCP_WSCALE_REPL, e->tcp_wscale[1]);
}

static void obj_set_nat(struct nf_conntrack *obj, const struct repl_ct_entry *e)
{
	bool v4 = e->family == AF_INET;
	bool ports = e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP;
	/* The reply tuple is the plain inverse of the original one; the
	 * kernel rewrites it when it applies the NAT below, exactly as the
	 * first packet did on the active unit. */
	nfct_setobjopt(obj, NFCT_SOPT_SETUP_REPLY);
	if (e->snat.set) {
		set_addr(obj, v4, ATTR_SNAT_IPV4, ATTR_SNAT_IPV6, e->snat.addr);
		if (ports && e->snat.port)
			nfct_set_attr_u16(obj, ATTR_SNAT_PORT, htons(e->snat.port));
	}
	if (e->dnat.set) {
		set_addr(obj, v4, ATTR_DNAT_IPV4, ATTR_DNAT_IPV6, e->dnat.addr);
		if (ports && e->dnat.port)
			nfct_set_attr_u16(obj, ATTR_DNAT_PORT, htons(e->dnat.port));
	}
}

/* ---- netlink helpers ------------------------------------------------------ */

static struct nlmsghdr *put_header(uint8_t *p, uint16_t type, uint16_t flags,
				   uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)p;
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | type);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	memset(nfg, 0, NLMSG_ALIGN(sizeof *nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int send_to_kernel(int fd, const void *data, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Waits for the ack of request SEQ on the command socket. */
static int wait_ack(struct repl_ct *ct, uint32_t seq)
{
	for (;;) {
		ssize_t n = recv(ct->cmd_fd, ct->recvbuf, RECV_BUF_LEN, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)ct->recvbuf;
		     NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
				return -EBADMSG;
			const struct nlmsgerr *me = NLMSG_DATA(h);
			return me->error;
		}
	}
}

/* ---- dump ----------------------------------------------------------------- */

/* Delivers one kernel message to FN (after the protocol and filter
 * checks).  Returns FN's result, 0 if skipped. */
static int deliver(struct repl_ct *ct, const struct nlmsghdr *h,
		   enum repl_ct_op op, repl_ct_entry_fn fn, void *arg,
		   uint64_t *counter)
{
	struct repl_ct_entry e;
	int err = repl_ct_parse_nlmsg(h, h->nlmsg_len, &e);
	if (err == -EPROTONOSUPPORT) {
		ct->stats.skipped_proto++;
		return 0;
	}
	if (err) {
		ct->stats.parse_err++;
		return 0;
	}
	e.op = (uint8_t)op;
	if (ct->filter && !ct->filter(ct->filter_arg, &e)) {
		ct->stats.filtered++;
		return 0;
	}
	(*counter)++;
	return fn(arg, &e);
}

int repl_ct_dump(struct repl_ct *ct, repl_ct_entry_fn fn, void *arg)
{
	settle_queued(ct);
	uint8_t req[64];
	uint32_t seq = ++ct->seq;
	struct nlmsghdr *nlh = put_header(req, IPCTNL_MSG_CT_GET,
					  NLM_F_DUMP, AF_UNSPEC, seq);
	int rc = send_to_kernel(ct->cmd_fd, nlh, nlh->nlmsg_len);
	if (rc)
		return rc;
	int count = 0, stop = 0;
	for (;;) {
		ssize_t n = recv(ct->cmd_fd, ct->recvbuf, RECV_BUF_LEN, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)ct->recvbuf;
		     NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;   /* a stale answer */
			if (h->nlmsg_type == NLMSG_DONE)
				return stop ? stop : count;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *me = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
					return -EBADMSG;
				return me->error ? me->error : count;
			}
			if (stop)
				continue;   /* drain the dump to its end */
			uint64_t before = ct->stats.dumped;
			int r = deliver(ct, h, REPL_CT_NEW, fn, arg,
					&ct->stats.dumped);
			if (ct->stats.dumped != before)
				count++;
			if (r)
				stop = r;
		}
	}
}

/* ---- stepwise dump and flush, in a child ------------------------------ */

/* A dump's first part is filled inside the request's sendmsg, each next
 * part inside a recvmsg, and for a small table the first one means
 * walking the whole global hash (a million buckets, every namespace's
 * entries): 180-440 ms in one call.  A flush is one such walk inside its
 * sendmsg.  So both run in a forked child on a socket of their own, bound
 * to the context's namespace (repl_ct_child.h), and the steps below only
 * read what it streams back, without blocking. */

/* Reaps stopped children that have exited since (BLOCK: all of them). */
static void reap_stopped(struct repl_ct *ct, bool block)
{
	for (size_t i = 0; i < UNREAPED_MAX; i++)
		if (ct->unreaped[i] && repl_ct_child_reap(ct->unreaped[i], block))
			ct->unreaped[i] = 0;
}

static void keep_unreaped(struct repl_ct *ct, pid_t pid)
{
	if (!pid)
		return;
	reap_stopped(ct, false);
	for (size_t i = 0; i < UNREAPED_MAX; i++)
		if (!ct->unreaped[i]) {
			ct->unreaped[i] = pid;
			return;
		}
	/* Eight killed children still inside their walk: wait for one. */
	repl_ct_child_reap(pid, true);
}

static const char *ns_name(const struct repl_ct *ct)
{
	return ct->netns[0] ? ct->netns : "(own)";
}

/* Starts a child for the request of TYPE/FLAGS on a new socket. */
static int job_start(struct repl_ct *ct, uint16_t type, uint16_t flags,
		     bool flush)
{
	repl_ct_dump_cancel(ct);
	reap_stopped(ct, false);
	settle_queued(ct);
	int fd = open_in_netns(ct, 0, CMD_RCVBUF, NULL);
	if (fd < 0)
		return fd;
	uint8_t req[64];
	struct nlmsghdr *nlh = put_header(req, type, flags, AF_UNSPEC, ++ct->seq);
	int err = repl_ct_child_start(fd, nlh, nlh->nlmsg_len, nlh->nlmsg_seq,
				      &ct->job);
	close(fd);   /* the child holds it */
	if (err) {
		ct->stats.dump_child_failed++;
		mlog(MSG_930112, "context %s: cannot start the conntrack %s "
		     "child: %s", ns_name(ct), flush ? "flush" : "dump",
		     strerror(-err));
		return err;
	}
	ct->stats.dump_children++;
	ct->job_flush = flush;
	ct->job_waiting = false;
	return 0;
}

int repl_ct_dump_begin(struct repl_ct *ct)
{
	return job_start(ct, IPCTNL_MSG_CT_GET, NLM_F_DUMP, false);
}

int repl_ct_flush_begin(struct repl_ct *ct)
{
	return job_start(ct, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, true);
}

bool repl_ct_dump_running(const struct repl_ct *ct)
{
	return ct->job != NULL;
}

bool repl_ct_dump_waiting(const struct repl_ct *ct)
{
	return ct->job && ct->job_waiting;
}

int repl_ct_dump_fd(const struct repl_ct *ct)
{
	return ct->job ? repl_ct_child_fd(ct->job) : -1;
}

pid_t repl_ct_dump_child(const struct repl_ct *ct)
{
	return ct->job ? repl_ct_child_pid(ct->job) : 0;
}

void repl_ct_dump_cancel(struct repl_ct *ct)
{
	if (!ct->job)
		return;
	keep_unreaped(ct, repl_ct_child_stop(ct->job));
	ct->job = NULL;
	ct->job_waiting = false;
}

/* The child ended without the kernel's last answer: counted, said, and
 * the caller's pass ends with an error so the next one repairs. */
static int job_failed(struct repl_ct *ct, int err, int status)
{
	ct->stats.dump_child_failed++;
	char how[48] = "status unknown";
	if (status >= 0 && WIFSIGNALED(status))
		snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
	else if (status >= 0 && WIFEXITED(status))
		snprintf(how, sizeof how, "exit code %d", WEXITSTATUS(status));
	mlog(MSG_930112, "context %s: the conntrack %s child ended before "
	     "the kernel's answer (%s): %s", ns_name(ct),
	     ct->job_flush ? "flush" : "dump", how, strerror(-err));
	return err;
}

/* Messages looked at per step, delivered or not (filtered entries cost
 * the parse): the step's work stays bounded whatever the filter keeps. */
#define STEP_MSGS_FACTOR 4

int repl_ct_dump_step(struct repl_ct *ct, size_t max, repl_ct_entry_fn fn,
		      void *arg, bool *done)
{
	*done = false;
	reap_stopped(ct, false);
	if (!ct->job) {
		*done = true;
		return 0;
	}
	ct->job_waiting = false;
	int count = 0, rc = 0;
	size_t looked = 0, looked_max = (max ? max : 1) * STEP_MSGS_FACTOR;
	while ((size_t)count < max && looked < looked_max) {
		const struct nlmsghdr *h;
		int status;
		int r = repl_ct_child_next(ct->job, &h, &status);
		if (r == 0) {
			ct->job_waiting = true;
			return count;
		}
		if (r < 0) {
			rc = job_failed(ct, r, status);
			goto end;
		}
		looked++;
		if (h->nlmsg_type == NLMSG_DONE)
			goto end;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *me = NLMSG_DATA(h);
			rc = h->nlmsg_len < NLMSG_LENGTH(sizeof(int))
				     ? -EBADMSG : me->error;
			goto end;
		}
		if (ct->job_flush)
			continue;   /* a flush answers with its ack only */
		uint64_t before = ct->stats.dumped;
		int d = deliver(ct, h, REPL_CT_NEW, fn, arg, &ct->stats.dumped);
		if (ct->stats.dumped != before)
			count++;
		if (d) {
			rc = d < 0 ? d : -ECANCELED;
			goto end;
		}
	}
	return count;
end:
	repl_ct_dump_cancel(ct);
	*done = true;
	return rc ? rc : count;
}

int repl_ct_flush_step(struct repl_ct *ct, bool *done)
{
	return repl_ct_dump_step(ct, 1, NULL, NULL, done);
}

/* ---- events --------------------------------------------------------------- */

int repl_ct_subscribe(struct repl_ct *ct, size_t rcvbuf)
{
	if (ct->event_fd >= 0)
		return -EALREADY;
	if (rcvbuf == 0)
		rcvbuf = EVENT_RCVBUF_DEFAULT;
	if (rcvbuf > INT32_MAX)
		return -EINVAL;
	unsigned groups = NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
			  NF_NETLINK_CONNTRACK_DESTROY;
	int fd = open_in_netns(ct, groups, (int)rcvbuf, NULL);
	if (fd < 0)
		return fd;
	ct->event_fd = fd;
	ct->events_on = true;
	return 0;
}

int repl_ct_set_events(struct repl_ct *ct, bool on)
{
	static const int groups[] = { NFNLGRP_CONNTRACK_NEW,
		NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY };
	if (ct->event_fd < 0)
		return -ENOTCONN;
	if (on == ct->events_on)
		return 0;
	int opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (setsockopt(ct->event_fd, SOL_NETLINK, opt, &groups[i],
			       sizeof groups[i]) < 0)
			return -errno;
	ct->events_on = on;
	if (!on) {
		/* What was queued belongs to the period that just ended. */
		for (;;) {
			ssize_t n = recv(ct->event_fd, ct->recvbuf,
					 RECV_BUF_LEN, MSG_DONTWAIT);
			if (n > 0 || (n < 0 && (errno == ENOBUFS ||
						errno == EINTR)))
				continue;
			break;
		}
	}
	return 0;
}

bool repl_ct_events_on(const struct repl_ct *ct)
{
	return ct->event_fd >= 0 && ct->events_on;
}

static enum repl_ct_op event_op(const struct nlmsghdr *h)
{
	if ((h->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE)
		return REPL_CT_DESTROY;
	return (h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ? REPL_CT_NEW
							       : REPL_CT_UPDATE;
}

int repl_ct_read_events(struct repl_ct *ct, repl_ct_entry_fn fn, void *arg)
{
	if (ct->event_fd < 0)
		return -ENOTCONN;
	int delivered = 0;
	bool lost = false;
	for (int reads = 0; reads < EVENT_READS_PER_CALL; reads++) {
		ssize_t n = recv(ct->event_fd, ct->recvbuf, RECV_BUF_LEN, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped events for us: whatever
				 * we deliver now, the mate's view has a hole
				 * only a bulk resync can close. */
				ct->stats.events_lost++;
				lost = true;
				continue;
			}
			return -errno;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)ct->recvbuf;
		     NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
				continue;
			/* Our own injections come back with our port id:
			 * replaying them to the mate would echo forever. */
			if (h->nlmsg_pid && (h->nlmsg_pid == ct->cmd_portid ||
					     h->nlmsg_pid == ct->wr_portid)) {
				ct->stats.events_echo++;
				continue;
			}
			uint64_t before = ct->stats.events;
			int r = deliver(ct, h, event_op(h), fn, arg,
					&ct->stats.events);
			if (ct->stats.events != before)
				delivered++;
			if (r < 0)
				return r;
		}
	}
	if (lost) {
		mlog(MSG_930101, "context %s: conntrack events lost (%llu overruns); bulk resync needed",
		     ct->netns[0] ? ct->netns : "(own)",
		     (unsigned long long)ct->stats.events_lost);
		return REPL_CT_LOST;
	}
	return delivered;
}

/* ---- injection -------------------------------------------------------------- */

int repl_ct_inject(struct repl_ct *ct, const struct repl_ct_entry *e)
{
	if (e->op < REPL_CT_NEW || e->op >= REPL_CT_OP_MAX ||
	    (e->family != AF_INET && e->family != AF_INET6) ||
	    !proto_replicated(e->family, e->proto))
		return -EINVAL;
	struct inject_slot *s = &ct->queue[ct->nqueued++];
	s->entry = *e;
	s->action = e->op == REPL_CT_NEW ? ACT_CREATE :
		    e->op == REPL_CT_UPDATE ? ACT_UPDATE : ACT_DELETE;
	s->err = 0;
	s->retried = false;
	if (ct->nqueued >= ct->batch)
		return repl_ct_inject_flush(ct);
	return 0;
}

/* Builds the request for slot S at P; returns its length or -errno. */
static int build_request(uint8_t *p, const struct inject_slot *s, uint32_t seq)
{
	const struct repl_ct_entry *e = &s->entry;
	struct nf_conntrack *obj = nfct_new();
	if (!obj)
		return -ENOMEM;
	struct nlmsghdr *nlh;
	obj_set_tuple(obj, e);
	switch (s->action) {
	case ACT_CREATE:
		nlh = put_header(p, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL,
				 e->family, seq);
		obj_set_state(obj, e);
		obj_set_nat(obj, e);
		break;
	case ACT_UPDATE:
		/* The kernel refuses NAT changes on existing entries. */
		nlh = put_header(p, IPCTNL_MSG_CT_NEW, 0, e->family, seq);
		obj_set_state(obj, e);
		break;
	case ACT_DELETE:
	default:
		nlh = put_header(p, IPCTNL_MSG_CT_DELETE, 0, e->family, seq);
		break;
	}
	int rc = nfct_nlmsg_build(nlh, obj);
	nfct_destroy(obj);
	if (rc < 0)
		return -EINVAL;
	return (int)NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Reads the errors the kernel queued for the batch sent with sequence
 * numbers BASE..BASE+N-1 into the slots. */
static int collect_errors(struct repl_ct *ct, uint32_t base, unsigned n)
{
	int rc = 0;
	for (;;) {
		ssize_t len = recv(ct->cmd_fd, ct->recvbuf, RECV_BUF_LEN,
				   MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return rc;
			if (errno == ENOBUFS) {
				/* Some answers were dropped: we cannot tell
				 * which entries failed. */
				ct->stats.inject_enobufs++;
				rc = -ENOBUFS;
				continue;
			}
			return -errno;
		}
		size_t left = (size_t)len;
		for (struct nlmsghdr *h = (struct nlmsghdr *)ct->recvbuf;
		     NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type != NLMSG_ERROR ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
				continue;
			uint32_t idx = h->nlmsg_seq - base;
			if (idx >= n)
				continue;   /* a stale answer */
			const struct nlmsgerr *me = NLMSG_DATA(h);
			ct->queue[idx].err = me->error;
		}
	}
}

static void count_failure(struct repl_ct *ct, int err)
{
	switch (-err) {
	case EEXIST: ct->stats.inject_eexist++; break;
	case ENOENT: ct->stats.inject_enoent++; break;
	case EBUSY: ct->stats.inject_ebusy++; break;
	case ENOBUFS: ct->stats.inject_enobufs++; break;
	default: ct->stats.inject_other++; break;
	}
}

/* Sends slots [0, n) in one sendmsg and settles the answers.  Slots that
 * deserve a second attempt are compacted to the front; returns how many
 * (>= 0) or -errno for a failure of the whole batch. */
/* What one flush left undone: entries not installed, by protocol (one
 * per batch whose answers the kernel dropped is charged to TCP). */
struct flush_result {
	unsigned failed_tcp, failed_udp;
	int last_err;
};

static void charge(struct flush_result *r, uint8_t proto, unsigned n)
{
	if (proto == IPPROTO_UDP)
		r->failed_udp += n;
	else
		r->failed_tcp += n;
}

static int send_batch(struct repl_ct *ct, unsigned n, struct flush_result *r)
{
	uint32_t base = ct->seq + 1;
	size_t off = 0;
	unsigned built = 0;
	for (unsigned i = 0; i < n; i++) {
		ct->queue[i].err = 0;
		int len = build_request(ct->sendbuf + off, &ct->queue[i], base + i);
		if (len < 0) {
			/* Cannot happen for entries repl_ct_inject accepted;
			 * mark it so it is counted, not sent. */
			ct->queue[i].err = len;
			continue;
		}
		off += (size_t)len;
		built++;
	}
	ct->seq += n;
	if (built) {
		int rc = send_to_kernel(ct->cmd_fd, ct->sendbuf, off);
		if (rc) {
			count_failure(ct, rc);
			r->last_err = rc;
			return rc;
		}
		ct->stats.inject_sendmsg++;
		rc = collect_errors(ct, base, n);
		if (rc) {
			r->last_err = rc;
			if (rc == -ENOBUFS)
				charge(r, IPPROTO_TCP, 1);   /* which is unknown */
		}
	}

	unsigned again = 0;
	for (unsigned i = 0; i < n; i++) {
		struct inject_slot *s = &ct->queue[i];
		if (!s->err) {
			ct->stats.inject_ok++;
			continue;
		}
		count_failure(ct, s->err);
		bool retry = false;
		if (!s->retried) {
			if (s->action == ACT_CREATE && s->err == -EEXIST) {
				s->action = ACT_UPDATE;
				retry = true;
			} else if (s->action == ACT_UPDATE && s->err == -ENOENT) {
				s->action = ACT_CREATE;
				retry = true;
			}
		}
		if (retry) {
			s->retried = true;
			ct->queue[again++] = *s;
		} else if (!(s->action == ACT_DELETE && s->err == -ENOENT)) {
			/* Deleting what already expired is not a failure. */
			r->last_err = s->err;
			charge(r, s->entry.proto, 1);
		}
	}
	return (int)again;
}

/* Sends the queued slots, with their retries; the queue is empty after. */
static void flush_queue(struct repl_ct *ct, struct flush_result *r)
{
	unsigned n = ct->nqueued;
	*r = (struct flush_result){ 0 };
	while (n > 0) {
		int again = send_batch(ct, n, r);
		if (again < 0) {
			for (unsigned i = 0; i < n; i++)
				charge(r, ct->queue[i].entry.proto, 1);
			break;
		}
		n = (unsigned)again;
	}
	ct->nqueued = 0;
	ct->stats.inject_failed += r->failed_tcp + r->failed_udp;
}

static void log_unsettled(const struct repl_ct *ct, unsigned failed,
			  unsigned of, int err)
{
	mlog(MSG_930102, "context %s: %u of %u conntrack entries not installed: %s",
	     ct->netns[0] ? ct->netns : "(own)", failed, of, strerror(-err));
}

static int writer_send(struct repl_ct *ct);

int repl_ct_inject_flush(struct repl_ct *ct)
{
	if (ct->wr_fd >= 0 && ct->nqueued)
		return writer_send(ct);
	unsigned of = ct->nqueued;
	struct flush_result r;
	flush_queue(ct, &r);
	if (r.last_err && of)
		log_unsettled(ct, r.failed_tcp + r.failed_udp, of, r.last_err);
	return r.last_err;
}

/* ---- the writer ------------------------------------------------------------ */

/* Parent -> child: one flush's slots.  Child -> parent: its outcome and
 * what it added to the stats.  Both ends run this binary: raw structs. */
struct wr_request {
	uint32_t n;
	struct inject_slot slot[];
};

struct wr_answer {
	uint32_t failed_tcp, failed_udp, of;
	int32_t last_err;
	struct repl_ct_stats delta;
};

#define WR_STATS_WORDS (sizeof(struct repl_ct_stats) / sizeof(uint64_t))
_Static_assert(sizeof(struct repl_ct_stats) % sizeof(uint64_t) == 0,
	       "repl_ct_stats is made of uint64_t counters");
#define WR_REQUEST_MAX (sizeof(struct wr_request) + \
			REPL_CT_BATCH_MAX * sizeof(struct inject_slot))
#define WR_SOCKBUF (8 * 1024 * 1024)   /* about 150 batches in flight */

static void stats_add(struct repl_ct_stats *to, const struct repl_ct_stats *d)
{
	uint64_t a[WR_STATS_WORDS], b[WR_STATS_WORDS];
	memcpy(a, to, sizeof a);
	memcpy(b, d, sizeof b);
	for (size_t i = 0; i < WR_STATS_WORDS; i++)
		a[i] += b[i];
	memcpy(to, a, sizeof a);
}

/* The child: installs each request in order on its own socket, answers
 * each.  Ends when the parent closes its end or dies. */
static _Noreturn void writer_main(struct repl_ct *ct, int sock, int nl_fd)
{
	/* Only the socket pair and the netlink socket: a copy of the
	 * failover link or a console kept open here would hide their
	 * close from the peer. */
	if (dup2(sock, 3) < 0 || dup2(nl_fd, 4) < 0)
		_exit(1);
	syscall(SYS_close_range, 5u, ~0u, 0u);
	sock = 3;
	ct->cmd_fd = 4;
	ct->event_fd = ct->count_fd = -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct wr_request *rq = malloc(WR_REQUEST_MAX);
	if (!rq)
		_exit(1);
	for (;;) {
		ssize_t len = recv(sock, rq, WR_REQUEST_MAX, 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			_exit(0);
		if ((size_t)len < sizeof *rq || rq->n > REPL_CT_BATCH_MAX ||
		    (size_t)len != sizeof *rq + rq->n * sizeof rq->slot[0])
			_exit(2);   /* cannot happen: the parent is this binary */
		memcpy(ct->queue, rq->slot, rq->n * sizeof rq->slot[0]);
		ct->nqueued = rq->n;
		/* The child's stats are the batch's: the parent adds them. */
		memset(&ct->stats, 0, sizeof ct->stats);
		struct flush_result r;
		flush_queue(ct, &r);
		struct wr_answer a = {
			.failed_tcp = r.failed_tcp, .failed_udp = r.failed_udp,
			.of = rq->n, .last_err = r.last_err, .delta = ct->stats,
		};
		ssize_t sent;
		do
			sent = send(sock, &a, sizeof a, MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent != (ssize_t)sizeof a)
			_exit(0);   /* the parent is gone */
	}
}

int repl_ct_writer_start(struct repl_ct *ct, repl_ct_written_fn fn, void *arg)
{
	if (ct->wr_fd >= 0)
		return 0;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	set_bufs(sp[0], WR_SOCKBUF, WR_SOCKBUF);
	set_bufs(sp[1], WR_SOCKBUF, WR_SOCKBUF);
	uint32_t portid = 0;
	int nl_fd = open_in_netns(ct, 0, CMD_RCVBUF, &portid);
	if (nl_fd < 0) {
		close(sp[0]);
		close(sp[1]);
		return nl_fd;
	}
	int err = repl_ct_inject_flush(ct);   /* what is queued goes first */
	(void)err;
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		writer_main(ct, sp[1], nl_fd);
	}
	err = pid < 0 ? -errno : 0;
	close(sp[1]);
	close(nl_fd);
	if (err) {
		close(sp[0]);
		return err;
	}
	ct->wr_fd = sp[0];
	ct->wr_pid = pid;
	ct->wr_portid = portid;
	ct->wr_fn = fn;
	ct->wr_arg = arg;
	ct->wr_head = ct->wr_len = 0;
	return 0;
}

int repl_ct_writer_fd(const struct repl_ct *ct)
{
	return ct->wr_fd;
}

pid_t repl_ct_writer_pid(const struct repl_ct *ct)
{
	return ct->wr_fd >= 0 ? ct->wr_pid : 0;
}

size_t repl_ct_writer_pending(const struct repl_ct *ct)
{
	return ct->wr_len;
}

/* The writer is gone: what it had not answered is lost (counted), and
 * injection is made by the caller again from now on. */
static void writer_lost(struct repl_ct *ct, int err)
{
	struct repl_ct_written w = { 0 };
	unsigned of = 0;
	for (size_t i = 0; i < ct->wr_len; i++) {
		const struct wr_flight *f =
			&ct->wr_flight[(ct->wr_head + i) % WR_FLIGHT_MAX];
		w.failed_tcp += f->tcp;
		w.failed_udp += f->udp;
		of += f->tcp + f->udp;
	}
	mlog(MSG_930113, "context %s: the conntrack writer ended (%s): %u "
	     "entries not installed; installing from the daemon from now on",
	     ct->netns[0] ? ct->netns : "(own)", strerror(-err), of);
	ct->stats.inject_failed += of;
	w.writer_gone = true;
	if (ct->wr_fn)
		ct->wr_fn(ct->wr_arg, &w);
	writer_stop(ct);
}

static void settle(struct repl_ct *ct, const struct wr_answer *a)
{
	stats_add(&ct->stats, &a->delta);
	if (ct->wr_len) {
		ct->wr_head = (ct->wr_head + 1) % WR_FLIGHT_MAX;
		ct->wr_len--;
	}
	if (a->last_err && (a->failed_tcp || a->failed_udp))
		log_unsettled(ct, a->failed_tcp + a->failed_udp, a->of,
			      a->last_err);
	struct repl_ct_written w = { a->failed_tcp, a->failed_udp, false };
	if ((w.failed_tcp || w.failed_udp) && ct->wr_fn)
		ct->wr_fn(ct->wr_arg, &w);
}

/* Reads answers: without BLOCK what is there, with it until none is
 * outstanding.  Returns how many were settled or -errno. */
static int writer_read(struct repl_ct *ct, bool block)
{
	int settled = 0;
	while (ct->wr_fd >= 0 && (!block || ct->wr_len > 0)) {
		struct wr_answer a;
		ssize_t len = recv(ct->wr_fd, &a, sizeof a,
				   block ? 0 : MSG_DONTWAIT);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (len != (ssize_t)sizeof a) {
			int err = len < 0 ? -errno : -EPIPE;
			writer_lost(ct, err);
			return err;
		}
		settle(ct, &a);
		settled++;
	}
	return settled;
}

int repl_ct_writer_read(struct repl_ct *ct)
{
	return writer_read(ct, false);
}

/* A dump or a flush sees every install queued before it: what is queued
 * here and what the writer holds is in the kernel (or counted failed,
 * which the stats say; the dump or flush must still happen). */
static void settle_queued(struct repl_ct *ct)
{
	(void)repl_ct_inject_flush(ct);
	if (ct->wr_fd >= 0 && ct->wr_len)
		(void)writer_read(ct, true);
}

static int writer_send(struct repl_ct *ct)
{
	if (ct->wr_len == WR_FLIGHT_MAX)
		(void)writer_read(ct, true);   /* far behind: wait for it */
	if (ct->wr_fd < 0)
		return repl_ct_inject_flush(ct);
	size_t len = sizeof(struct wr_request) +
		     ct->nqueued * sizeof(struct inject_slot);
	struct wr_request *rq = (struct wr_request *)ct->sendbuf;
	/* sendbuf is REPL_CT_BATCH_MAX * SLOT_MAX bytes: room enough. */
	rq->n = ct->nqueued;
	memcpy(rq->slot, ct->queue, ct->nqueued * sizeof(struct inject_slot));
	struct wr_flight f = { 0, 0 };
	for (unsigned i = 0; i < ct->nqueued; i++) {
		if (ct->queue[i].entry.proto == IPPROTO_UDP)
			f.udp++;
		else
			f.tcp++;
	}
	ssize_t sent;
	do
		sent = send(ct->wr_fd, rq, len, MSG_NOSIGNAL);   /* blocks when far behind */
	while (sent < 0 && errno == EINTR);
	if (sent != (ssize_t)len) {
		writer_lost(ct, sent < 0 ? -errno : -EIO);
		return repl_ct_inject_flush(ct);   /* the queue is still ours */
	}
	ct->wr_flight[(ct->wr_head + ct->wr_len) % WR_FLIGHT_MAX] = f;
	ct->wr_len++;
	ct->nqueued = 0;
	return 0;
}

static void writer_stop(struct repl_ct *ct)
{
	if (ct->wr_fd < 0)
		return;
	close(ct->wr_fd);
	ct->wr_fd = -1;
	/* Whatever it still holds is counted lost (writer_lost) or belongs
	 * to a table that is going away. */
	kill(ct->wr_pid, SIGKILL);
	keep_unreaped(ct, ct->wr_pid);
	ct->wr_pid = 0;
	ct->wr_len = 0;
}

long repl_ct_count(const struct repl_ct *ct)
{
	char b[32];
	if (ct->count_fd < 0)
		return -1;
	ssize_t n = pread(ct->count_fd, b, sizeof b - 1, 0);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	return strtol(b, NULL, 10);
}

int repl_ct_flush_table(struct repl_ct *ct)
{
	settle_queued(ct);
	/* A flush walks the whole hash (every namespace's, a million
	 * buckets): not for an empty table. */
	if (repl_ct_count(ct) == 0)
		return 0;
	uint8_t req[64];
	uint32_t seq = ++ct->seq;
	struct nlmsghdr *nlh = put_header(req, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					  AF_UNSPEC, seq);
	int rc = send_to_kernel(ct->cmd_fd, nlh, nlh->nlmsg_len);
	if (rc)
		return rc;
	return wait_ack(ct, seq);
}

/* ---- hash size ------------------------------------------------------------ */

static long read_ulong(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long v;
	if (!f)
		return -errno;
	int ok = fscanf(f, "%lu", &v) == 1;
	fclose(f);
	return ok ? (long)v : -EINVAL;
}

/* Writes V to PATH; 0 or -errno (a sysfs write fails at close). */
static int write_ulong(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int err = fprintf(f, "%lu\n", v) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

/* Parent of PID (from /proc/PID/stat), or -1. */
static long parent_of(long pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	long ppid = -1;
	if (fgets(line, sizeof line, f)) {
		/* pid (comm) state ppid ...: comm may hold spaces and ')' */
		char *close_paren = strrchr(line, ')');
		if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return ppid;
}

/* Writes PATH from the network namespace of /proc/PID/ns/net, then comes
 * back to SELF.  0, -EALREADY (that namespace is ours), or -errno. */
static int write_from_netns_of(long pid, int self, ino_t self_ino,
			       const char *path, unsigned long v)
{
	char nspath[64];
	struct stat st;
	snprintf(nspath, sizeof nspath, "/proc/%ld/ns/net", pid);
	int fd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && st.st_ino == self_ino) {
		close(fd);
		return -EALREADY;
	}
	int err = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	if (!err) {
		err = write_ulong(path, v);
		if (setns(self, CLONE_NEWNET) < 0)
			abort();   /* our sockets would open in the wrong place */
	}
	close(fd);
	return err;
}

/* The kernel resizes the hash only for a writer in the initial network
 * namespace, and the daemon may run in another (its unit's, in the lab):
 * the write is made from the namespace of PID 1, or, where that is hidden
 * (a container), of the nearest ancestor process whose namespace takes
 * it, entered for that moment only.  The daemon is single-threaded, so
 * nothing else runs meanwhile.  Returns 0 with *FROM the PID used. */
static int write_from_init_netns(const char *path, unsigned long v, long *from)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	struct stat st;
	if (fstat(self, &st) < 0) {
		int err = -errno;
		close(self);
		return err;
	}
	int err = write_from_netns_of(1, self, st.st_ino, path, v);
	*from = 1;
	long pid = getppid();
	for (int depth = 0; err && pid > 1 && depth < 16; depth++) {
		int e = write_from_netns_of(pid, self, st.st_ino, path, v);
		if (e != -EALREADY) {
			err = e;
			*from = pid;
		}
		pid = parent_of(pid);
	}
	close(self);
	return err;
}

long repl_ct_max(void)
{
	return read_ulong("/proc/sys/net/netfilter/nf_conntrack_max");
}

unsigned long repl_ct_hash_target(long ct_max)
{
	unsigned long want = REPL_CT_HASH_BUCKETS;
	while (ct_max > 0 && want < (unsigned long)ct_max &&
	       want < REPL_CT_HASH_BUCKETS_MAX)
		want <<= 1;
	return want;
}

long repl_ct_size_hash(unsigned long min)
{
	static const char path[] = "/sys/module/nf_conntrack/parameters/hashsize";
	long cur = read_ulong(path);
	if (cur < 0) {
		mlog(MSG_930111, "conntrack hash size unreadable (%s): %s", path,
		     strerror((int)-cur));
		return cur;
	}
	if ((unsigned long)cur >= min)
		return cur;
	char how[80] = "from this namespace";
	int err = write_ulong(path, min);
	if (err) {
		long from = 0;
		err = write_from_init_netns(path, min, &from);
		snprintf(how, sizeof how, "from the network namespace of "
			 "pid %ld", from);
	}
	long now = read_ulong(path);
	if (err || now < (long)min) {
		mlog(MSG_930111, "conntrack hash not enlarged from %ld to %lu "
		     "buckets (%s): %s", cur, min, how,
		     strerror(err ? -err : EPERM));
		return err ? err : -EPERM;
	}
	mlog(MSG_930110, "conntrack hash enlarged from %ld to %ld buckets "
	     "(global to every namespace; written %s)", cur, now, how);
	return now;
}
