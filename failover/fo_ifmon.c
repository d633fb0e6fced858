/*
 * fo_ifmon: monitoring of one data interface (see fo_ifmon.h) — the
 * sockets, netlink and timers around the pure state machine fo_ifsm.
 *
 * Everything that touches the kernel is opened once, inside the context's
 * namespace (sockets stay bound to the namespace they were created in):
 *   hello_fd   UDP, bound to the link (SO_BINDTODEVICE) and the port, sent
 *              with IP_PKTINFO so the source is this unit's address on the
 *              interface whichever address the kernel would pick;
 *   events     libnl socket on RTNLGRP_LINK: carrier changes at once;
 *   query      libnl socket for link flags/counters and the neighbours;
 *   arp_fd     AF_PACKET (protocol 0: sends only) for the ARP test;
 *   icmp_fd    raw ICMP with every type filtered out, for the broadcast
 *              ping.
 */
#include "failover/fo_ifmon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/socket.h>

#include "system/sys_log.h"
#include "system/sys_netns.h"

/* From <linux/icmp.h>, which clashes with <netinet/ip_icmp.h>. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
struct icmp_filter {
	uint32_t data;
};
#endif

/* Hello: "MXIF", version, flags, sender's state, 0, sender id, sequence. */
#define HELLO_MAGIC "MXIF"
#define HELLO_VERSION 1
#define HELLO_LEN 20
#define HELLO_F_ANSWER_NOW 0x01  /* probe: answer at once */

/* ARP test targets: the most recently confirmed neighbours. */
#define ARP_TARGETS_MAX 4
#define TEST_MS_MIN 100
#define TEST_MS_MAX 5000

struct fo_ifmon {
	struct ev_loop *loop;
	char context[64], nameif[64], netns[128], ifname[IFNAMSIZ];
	int ifindex;
	uint32_t own_ip, mate_ip;
	uint32_t poll_ms, hold_ms, test_ms_cfg;
	uint16_t port;
	uint64_t sender_id;
	uint32_t seq;
	int hello_fd, arp_fd, icmp_fd;
	struct nl_sock *events;
	struct nl_sock *query;
	struct ev_timer *poll_timer, *sm_timer;
	struct fo_ifsm *sm;
	struct fo_ifsm_ops sm_ops;
	uint64_t test_rx_start;        /* rx packets when the test began */
	uint64_t counters[FO_IFMON_COUNTER_MAX];
	fo_ifmon_change_cb cb;
	void *cb_arg;
	bool destroying;
};

static const char *const counter_names[] = {
	[FO_IFMON_TX] = "hellos sent",
	[FO_IFMON_TX_ERR] = "send errors",
	[FO_IFMON_RX] = "hellos received",
	[FO_IFMON_DROP_SHORT] = "dropped: truncated",
	[FO_IFMON_DROP_MAGIC] = "dropped: not a hello",
	[FO_IFMON_DROP_SOURCE] = "dropped: unexpected source",
	[FO_IFMON_DROP_SELF] = "dropped: own hello",
	[FO_IFMON_TESTS_RUN] = "test sequences",
};
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) ==
	       FO_IFMON_COUNTER_MAX, "fo_ifmon_counter names");

const char *fo_ifmon_counter_name(enum fo_ifmon_counter c)
{
	if ((unsigned)c >= FO_IFMON_COUNTER_MAX)
		return "?";
	return counter_names[c];
}

uint64_t fo_ifmon_counter(const struct fo_ifmon *m, enum fo_ifmon_counter c)
{
	if ((unsigned)c >= FO_IFMON_COUNTER_MAX)
		return 0;
	return m->counters[c];
}

static uint64_t now_ms(void)
{
	return ev_now_us() / 1000;
}

static uint32_t test_ms_of(const struct fo_ifmon *m)
{
	uint32_t t = m->test_ms_cfg ? m->test_ms_cfg : m->poll_ms;

	if (t < TEST_MS_MIN)
		t = TEST_MS_MIN;
	if (t > TEST_MS_MAX)
		t = TEST_MS_MAX;
	return t;
}

static const char *ip_text(uint32_t ip, char *out, size_t len)
{
	struct in_addr a = { .s_addr = htonl(ip) };

	if (!inet_ntop(AF_INET, &a, out, (socklen_t)len))
		snprintf(out, len, "?");
	return out;
}

/* ---- kernel queries (query socket, bound to the namespace) ---- */

/* Link flags and rx packets; -errno when the link cannot be read. */
static int link_read(struct fo_ifmon *m, unsigned *flags, uint64_t *rx)
{
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(m->query, m->ifindex, NULL, &link);

	if (rc < 0)
		return -ENODEV;
	if (flags)
		*flags = rtnl_link_get_flags(link);
	if (rx)
		*rx = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	rtnl_link_put(link);
	return 0;
}

static bool flags_link_up(unsigned flags)
{
	return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}

static bool rx_increased(struct fo_ifmon *m)
{
	uint64_t rx = 0;

	if (link_read(m, NULL, &rx) < 0)
		return false;
	return rx > m->test_rx_start;
}

static void rx_mark(struct fo_ifmon *m)
{
	m->test_rx_start = UINT64_MAX;
	(void)link_read(m, NULL, &m->test_rx_start);
}

/* Up to MAX IPv4 neighbours of the link, confirmed ones first. */
static size_t neighbours_recent(struct fo_ifmon *m, uint32_t *out, size_t max)
{
	static const int preferred_states[] = {
		NUD_REACHABLE, NUD_DELAY | NUD_PROBE, NUD_STALE,
	};
	struct nl_cache *cache = NULL;
	size_t n = 0;

	if (rtnl_neigh_alloc_cache(m->query, &cache) < 0)
		return 0;
	for (size_t p = 0; p < sizeof(preferred_states) /
			       sizeof(preferred_states[0]) && n < max; p++) {
		for (struct nl_object *o = nl_cache_get_first(cache);
		     o && n < max; o = nl_cache_get_next(o)) {
			struct rtnl_neigh *ne = (struct rtnl_neigh *)o;
			struct nl_addr *dst = rtnl_neigh_get_dst(ne);
			uint32_t ip;

			if (rtnl_neigh_get_ifindex(ne) != m->ifindex ||
			    rtnl_neigh_get_family(ne) != AF_INET || !dst ||
			    nl_addr_get_len(dst) != 4 ||
			    !(rtnl_neigh_get_state(ne) & preferred_states[p]))
				continue;
			memcpy(&ip, nl_addr_get_binary_addr(dst), 4);
			out[n++] = ntohl(ip);
		}
	}
	nl_cache_free(cache);
	return n;
}

/* ---- tests ---- */

static int arp_request(struct fo_ifmon *m, const uint8_t mac[6],
		       uint32_t target)
{
	uint8_t pkt[28];
	struct arphdr *ah = (struct arphdr *)pkt;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = m->ifindex,
		.sll_halen = 6,
	};
	uint32_t spa = htonl(m->own_ip), tpa = htonl(target);

	ah->ar_hrd = htons(ARPHRD_ETHER);
	ah->ar_pro = htons(ETH_P_IP);
	ah->ar_hln = 6;
	ah->ar_pln = 4;
	ah->ar_op = htons(ARPOP_REQUEST);
	memcpy(pkt + 8, mac, 6);
	memcpy(pkt + 14, &spa, 4);
	memset(pkt + 18, 0, 6);
	memcpy(pkt + 24, &tpa, 4);
	memset(to.sll_addr, 0xff, 6);
	if (sendto(m->arp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	return 0;
}

static void arp_test_send(struct fo_ifmon *m)
{
	uint32_t targets[ARP_TARGETS_MAX + 1];
	size_t n = neighbours_recent(m, targets, ARP_TARGETS_MAX);
	struct rtnl_link *link = NULL;
	struct nl_addr *lladdr;
	uint8_t mac[6];

	if (m->arp_fd < 0 || rtnl_link_get_kernel(m->query, m->ifindex, NULL,
						   &link) < 0)
		return;
	lladdr = rtnl_link_get_addr(link);
	if (!lladdr || nl_addr_get_len(lladdr) != 6) {
		rtnl_link_put(link);
		return;
	}
	memcpy(mac, nl_addr_get_binary_addr(lladdr), 6);
	rtnl_link_put(link);
	if (m->mate_ip)
		targets[n++] = m->mate_ip;
	for (size_t i = 0; i < n; i++) {
		int rc = arp_request(m, mac, targets[i]);

		if (rc < 0)
			mlog(MSG_920201, "%s %s: ARP request: %s", m->context,
			     m->nameif, strerror(-rc));
	}
}

static void broadcast_ping_send(struct fo_ifmon *m)
{
	struct icmphdr echo = { .type = ICMP_ECHO };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	uint32_t sum = 0;
	const uint16_t *w = (const uint16_t *)&echo;

	if (m->icmp_fd < 0)
		return;
	echo.un.echo.id = htons((uint16_t)(m->sender_id & 0xffff));
	echo.un.echo.sequence = htons((uint16_t)m->seq);
	for (size_t i = 0; i < sizeof(echo) / 2; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	echo.checksum = (uint16_t)~sum;
	if (sendto(m->icmp_fd, &echo, sizeof(echo), 0,
		   (struct sockaddr *)&to, sizeof(to)) < 0)
		mlog(MSG_920201, "%s %s: broadcast ping: %s", m->context,
		     m->nameif, strerror(errno));
}

static enum fo_if_verdict ifmon_test_start(void *ctx, enum fo_if_test t)
{
	struct fo_ifmon *m = ctx;
	unsigned flags = 0;

	switch (t) {
	case FO_IF_TEST_LINK:
		m->counters[FO_IFMON_TESTS_RUN]++;
		mlog(MSG_105008, "Testing Interface %s (%s)", m->nameif,
		     m->context);
		if (link_read(m, &flags, NULL) < 0 || !flags_link_up(flags))
			return FO_IF_FAIL;
		return FO_IF_PASS;
	case FO_IF_TEST_ACTIVITY:
		rx_mark(m);
		return FO_IF_PENDING;
	case FO_IF_TEST_ARP:
		rx_mark(m);
		arp_test_send(m);
		return FO_IF_PENDING;
	case FO_IF_TEST_BROADCAST:
		rx_mark(m);
		broadcast_ping_send(m);
		return FO_IF_PENDING;
	case FO_IF_TEST_MAX:
		break;
	}
	return FO_IF_FAIL;
}

static enum fo_if_verdict ifmon_test_finish(void *ctx, enum fo_if_test t)
{
	struct fo_ifmon *m = ctx;

	(void)t;
	return rx_increased(m) ? FO_IF_PASS : FO_IF_FAIL;
}

static void ifmon_changed(void *ctx, enum fo_if_state from,
			  enum fo_if_state to)
{
	struct fo_ifmon *m = ctx;
	enum fo_if_test decisive = fo_ifsm_last_decisive_test(m->sm);

	switch (to) {
	case FO_IFS_NORMAL:
		if (from == FO_IFS_TESTING || from == FO_IFS_FAILED)
			mlog(MSG_105009, "Testing on interface %s (%s) "
			     "Passed (%s); mate's interface considered failed",
			     m->nameif, m->context, fo_if_test_name(decisive));
		else
			mlog(MSG_105004, "Monitoring on interface %s (%s) "
			     "normal", m->nameif, m->context);
		break;
	case FO_IFS_WAITING:
		mlog(MSG_105003, "Monitoring on interface %s (%s) waiting",
		     m->nameif, m->context);
		break;
	case FO_IFS_TESTING:
		break;
	case FO_IFS_FAILED:
		mlog(MSG_105009, "Testing on interface %s (%s) Failed",
		     m->nameif, m->context);
		break;
	case FO_IFS_NO_LINK:
		mlog(MSG_920200, "Interface %s (%s): No Link", m->nameif,
		     m->context);
		break;
	case FO_IFS_MAX:
		break;
	}
	if (m->cb && !m->destroying)
		m->cb(m->cb_arg, m, from, to);
}

/* ---- timers ---- */

static void sm_rearm(struct fo_ifmon *m)
{
	uint64_t deadline = fo_ifsm_next_deadline(m->sm), now = now_ms();

	if (deadline == UINT64_MAX) {
		ev_timer_stop(m->sm_timer);
		return;
	}
	ev_timer_start(m->sm_timer, deadline > now ? (deadline - now) * 1000
						   : 0);
}

static void sm_timer_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct fo_ifmon *m = arg;

	(void)loop;
	(void)t;
	fo_ifsm_tick(m->sm, now_ms());
	sm_rearm(m);
}

static int hello_send(struct fo_ifmon *m, uint8_t flags)
{
	uint8_t pkt[HELLO_LEN];
	uint64_t id = m->sender_id;
	uint32_t seq = htonl(++m->seq);
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(m->port),
				  .sin_addr.s_addr = htonl(m->mate_ip) };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct in_pktinfo pi = { .ipi_ifindex = m->ifindex,
				 .ipi_spec_dst.s_addr = htonl(m->own_ip) };

	if (!m->own_ip || !m->mate_ip)
		return -EDESTADDRREQ;
	memcpy(pkt, HELLO_MAGIC, 4);
	pkt[4] = HELLO_VERSION;
	pkt[5] = flags;
	pkt[6] = (uint8_t)fo_ifsm_state(m->sm);
	pkt[7] = 0;
	for (int i = 0; i < 8; i++)
		pkt[8 + i] = (uint8_t)(id >> (56 - 8 * i));
	memcpy(pkt + 16, &seq, 4);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(m->hello_fd, &msg, MSG_DONTWAIT) < 0) {
		/* e.g. the address is not on the link yet during a swap */
		m->counters[FO_IFMON_TX_ERR]++;
		return -errno;
	}
	m->counters[FO_IFMON_TX]++;
	return 0;
}

static void poll_timer_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct fo_ifmon *m = arg;
	unsigned flags = 0;

	(void)loop;
	/* The kernel may hold a carrier-change notification back for up to
	 * a second (linkwatch); the flags themselves change at once. */
	if (link_read(m, &flags, NULL) == 0)
		fo_ifsm_link(m->sm, now_ms(), flags_link_up(flags));
	(void)hello_send(m, 0);
	ev_timer_start(t, (uint64_t)m->poll_ms * 1000);
	sm_rearm(m);
}

/* ---- descriptors ---- */

static void drop(struct fo_ifmon *m, enum fo_ifmon_counter c, uint32_t from)
{
	char a[INET_ADDRSTRLEN];

	m->counters[c]++;
	mlog(MSG_920202, "%s %s: datagram from %s dropped: %s", m->context,
	     m->nameif, ip_text(from, a, sizeof(a)), fo_ifmon_counter_name(c));
}

/* Checks one datagram; returns the mate's state or FO_IFS_MAX if dropped. */
static enum fo_if_state hello_check(struct fo_ifmon *m, const uint8_t *pkt,
				    ssize_t len, uint32_t from,
				    uint8_t *flags)
{
	uint64_t id = 0;

	if (len < HELLO_LEN) {
		drop(m, FO_IFMON_DROP_SHORT, from);
		return FO_IFS_MAX;
	}
	if (len != HELLO_LEN || memcmp(pkt, HELLO_MAGIC, 4) ||
	    pkt[4] != HELLO_VERSION || pkt[6] >= FO_IFS_MAX) {
		drop(m, FO_IFMON_DROP_MAGIC, from);
		return FO_IFS_MAX;
	}
	for (int i = 0; i < 8; i++)
		id = (id << 8) | pkt[8 + i];
	if (id == m->sender_id) {
		drop(m, FO_IFMON_DROP_SELF, from);
		return FO_IFS_MAX;
	}
	/* Either interface address: they swap during a takeover. */
	if (!from || (from != m->mate_ip && from != m->own_ip)) {
		drop(m, FO_IFMON_DROP_SOURCE, from);
		return FO_IFS_MAX;
	}
	*flags = pkt[5];
	return (enum fo_if_state)pkt[6];
}

static void hello_readable(struct ev_loop *loop, int fd, uint32_t events,
			   void *arg)
{
	struct fo_ifmon *m = arg;

	(void)loop;
	(void)events;
	for (int budget = 64; budget > 0; budget--) {
		uint8_t pkt[HELLO_LEN + 1];
		struct sockaddr_in from = { 0 };
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, pkt, sizeof(pkt), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);
		enum fo_if_state mate;
		uint8_t flags = 0;

		if (n < 0)
			break;
		mate = hello_check(m, pkt, n, ntohl(from.sin_addr.s_addr),
				   &flags);
		if (mate == FO_IFS_MAX)
			continue;
		m->counters[FO_IFMON_RX]++;
		fo_ifsm_hello(m->sm, now_ms(), mate);
		if (flags & HELLO_F_ANSWER_NOW)
			(void)hello_send(m, 0);
	}
	sm_rearm(m);
}

static int link_event(struct nl_msg *msg, void *arg)
{
	struct fo_ifmon *m = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(h);
	if (ifi->ifi_index != m->ifindex)
		return NL_OK;
	fo_ifsm_link(m->sm, now_ms(), h->nlmsg_type == RTM_NEWLINK &&
		     flags_link_up(ifi->ifi_flags));
	return NL_OK;
}

static void events_readable(struct ev_loop *loop, int fd, uint32_t events,
			    void *arg)
{
	struct fo_ifmon *m = arg;
	int rc;

	(void)loop;
	(void)fd;
	(void)events;
	rc = nl_recvmsgs_default(m->events);
	if (rc < 0 && rc != -NLE_AGAIN) {
		/* Overrun: events lost, read the link state directly. */
		unsigned flags = 0;

		if (link_read(m, &flags, NULL) == 0)
			fo_ifsm_link(m->sm, now_ms(), flags_link_up(flags));
	}
	sm_rearm(m);
}

/* ---- create / destroy ---- */

static int open_sockets(struct fo_ifmon *m)
{
	int one = 1;
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(m->port) };
	struct icmp_filter all_types = { .data = ~0u };
	struct rtnl_link *link = NULL;

	m->query = nl_socket_alloc();
	m->events = nl_socket_alloc();
	if (!m->query || !m->events)
		return -ENOMEM;
	if (nl_connect(m->query, NETLINK_ROUTE) < 0)
		return -EIO;
	if (rtnl_link_get_kernel(m->query, 0, m->ifname, &link) < 0)
		return -ENODEV;
	m->ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	m->hello_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
			     SOCK_CLOEXEC, 0);
	if (m->hello_fd < 0)
		return -errno;
	if (setsockopt(m->hello_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(m->hello_fd, SOL_SOCKET, SO_BINDTODEVICE, m->ifname,
		       (socklen_t)strlen(m->ifname)) < 0 ||
	    bind(m->hello_fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return -errno;

	m->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (m->arp_fd < 0)
		return -errno;
	m->icmp_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    IPPROTO_ICMP);
	if (m->icmp_fd < 0)
		return -errno;
	if (setsockopt(m->icmp_fd, SOL_RAW, ICMP_FILTER, &all_types,
		       sizeof(all_types)) < 0 ||
	    setsockopt(m->icmp_fd, SOL_SOCKET, SO_BROADCAST, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(m->icmp_fd, SOL_SOCKET, SO_BINDTODEVICE, m->ifname,
		       (socklen_t)strlen(m->ifname)) < 0)
		return -errno;

	nl_socket_disable_seq_check(m->events);
	nl_socket_modify_cb(m->events, NL_CB_VALID, NL_CB_CUSTOM, link_event,
			    m);
	if (nl_connect(m->events, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_membership(m->events, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(m->events) < 0)
		return -EIO;
	return 0;
}

static void close_sockets(struct fo_ifmon *m)
{
	if (m->hello_fd >= 0) {
		ev_io_del(m->loop, m->hello_fd);
		close(m->hello_fd);
	}
	if (m->events) {
		ev_io_del(m->loop, nl_socket_get_fd(m->events));
		nl_socket_free(m->events);
	}
	if (m->query)
		nl_socket_free(m->query);
	if (m->arp_fd >= 0)
		close(m->arp_fd);
	if (m->icmp_fd >= 0)
		close(m->icmp_fd);
}

static int cfg_check(const struct fo_ifmon_cfg *cfg, uint32_t *poll,
		     uint32_t *hold)
{
	if (!cfg || !cfg->ifname || !cfg->ifname[0] ||
	    strlen(cfg->ifname) >= IFNAMSIZ ||
	    (cfg->netns && strlen(cfg->netns) >= 128))
		return -EINVAL;
	*poll = cfg->poll_ms ? cfg->poll_ms : FO_IFMON_DEFAULT_POLL_MS;
	*hold = cfg->hold_ms ? cfg->hold_ms : FO_IFMON_DEFAULT_HOLD_MS;
	if (*hold < 2 * *poll)
		return -EINVAL;
	return 0;
}

int fo_ifmon_create(struct ev_loop *loop, const struct fo_ifmon_cfg *cfg,
		    fo_ifmon_change_cb cb, void *cb_arg,
		    struct fo_ifmon **out)
{
	struct fo_ifmon *m;
	struct netns_saved saved = { .orig_fd = -1 };
	unsigned flags = 0;
	uint32_t poll, hold;
	int rc = cfg_check(cfg, &poll, &hold);

	*out = NULL;
	if (rc < 0 || !loop)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->hello_fd = m->arp_fd = m->icmp_fd = -1;
	snprintf(m->context, sizeof(m->context), "%s",
		 cfg->context ? cfg->context : "");
	snprintf(m->nameif, sizeof(m->nameif), "%s",
		 cfg->nameif && cfg->nameif[0] ? cfg->nameif : cfg->ifname);
	snprintf(m->netns, sizeof(m->netns), "%s", cfg->netns ? cfg->netns : "");
	snprintf(m->ifname, sizeof(m->ifname), "%s", cfg->ifname);
	m->own_ip = cfg->own_ip;
	m->mate_ip = cfg->mate_ip;
	m->poll_ms = poll;
	m->hold_ms = hold;
	m->test_ms_cfg = cfg->test_ms;
	m->port = cfg->port ? cfg->port : FO_IFMON_UDP_PORT;
	m->cb = cb;
	m->cb_arg = cb_arg;
	if (getrandom(&m->sender_id, sizeof(m->sender_id), 0) !=
	    sizeof(m->sender_id))
		m->sender_id = ((uint64_t)getpid() << 32) ^ ev_now_us();

	if (m->netns[0]) {
		rc = netns_enter(m->netns, &saved);
		if (rc < 0) {
			free(m);
			return rc;
		}
	}
	rc = open_sockets(m);
	if (m->netns[0])
		netns_leave(&saved);
	if (rc < 0)
		goto fail;

	m->sm_ops = (struct fo_ifsm_ops){ .test_start = ifmon_test_start,
					  .test_finish = ifmon_test_finish,
					  .changed = ifmon_changed };
	m->sm = fo_ifsm_create(&m->sm_ops, m, m->hold_ms, test_ms_of(m),
			       now_ms());
	m->poll_timer = ev_timer_create(loop, poll_timer_cb, m);
	m->sm_timer = ev_timer_create(loop, sm_timer_cb, m);
	if (!m->sm || !m->poll_timer || !m->sm_timer) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ev_io_add(loop, m->hello_fd, EPOLLIN, hello_readable, m);
	if (rc < 0)
		goto fail;
	rc = ev_io_add(loop, nl_socket_get_fd(m->events), EPOLLIN,
		       events_readable, m);
	if (rc < 0)
		goto fail;
	if (!m->own_ip || !m->mate_ip)
		fo_ifsm_addresses(m->sm, now_ms(), false);
	if (link_read(m, &flags, NULL) == 0 && !flags_link_up(flags))
		fo_ifsm_link(m->sm, now_ms(), false);
	(void)hello_send(m, 0);
	ev_timer_start(m->poll_timer, (uint64_t)m->poll_ms * 1000);
	sm_rearm(m);
	*out = m;
	return 0;
fail:
	mlog(MSG_920201, "%s %s: monitoring of %s could not start: %s",
	     m->context, m->nameif, m->ifname, strerror(-rc));
	m->destroying = true;
	fo_ifmon_destroy(m);
	return rc;
}

void fo_ifmon_destroy(struct fo_ifmon *m)
{
	if (!m)
		return;
	m->destroying = true;
	if (m->poll_timer)
		ev_timer_destroy(m->poll_timer);
	if (m->sm_timer)
		ev_timer_destroy(m->sm_timer);
	close_sockets(m);
	fo_ifsm_destroy(m->sm);
	free(m);
}

int fo_ifmon_set_addresses(struct fo_ifmon *m, uint32_t own_ip,
			   uint32_t mate_ip)
{
	m->own_ip = own_ip;
	m->mate_ip = mate_ip;
	fo_ifsm_addresses(m->sm, now_ms(), own_ip && mate_ip);
	sm_rearm(m);
	return 0;
}

int fo_ifmon_set_timers(struct fo_ifmon *m, uint32_t poll_ms,
			uint32_t hold_ms)
{
	uint32_t poll = poll_ms ? poll_ms : FO_IFMON_DEFAULT_POLL_MS;
	uint32_t hold = hold_ms ? hold_ms : FO_IFMON_DEFAULT_HOLD_MS;
	int rc;

	if (hold < 2 * poll)
		return -EINVAL;
	m->poll_ms = poll;
	m->hold_ms = hold;
	rc = fo_ifsm_set_times(m->sm, hold, test_ms_of(m));
	if (rc < 0)
		return rc;
	ev_timer_start(m->poll_timer, (uint64_t)m->poll_ms * 1000);
	sm_rearm(m);
	return 0;
}

enum fo_if_state fo_ifmon_state(const struct fo_ifmon *m)
{
	return fo_ifsm_state(m->sm);
}

enum fo_if_state fo_ifmon_mate_state(const struct fo_ifmon *m)
{
	return fo_ifsm_mate_state(m->sm);
}

uint64_t fo_ifmon_mate_silent_ms(const struct fo_ifmon *m)
{
	uint64_t last = fo_ifsm_last_hello_ms(m->sm), now = now_ms();

	if (last == UINT64_MAX)
		return UINT64_MAX;
	return now > last ? now - last : 0;
}

int fo_ifmon_probe_mate(struct fo_ifmon *m)
{
	return hello_send(m, HELLO_F_ANSWER_NOW);
}

const char *fo_ifmon_context(const struct fo_ifmon *m)
{
	return m->context;
}

const char *fo_ifmon_nameif(const struct fo_ifmon *m)
{
	return m->nameif;
}

void fo_ifmon_format_line(const struct fo_ifmon *m, bool mate,
			  bool with_context, struct buf *out)
{
	char a[INET_ADDRSTRLEN];
	uint32_t ip = mate ? m->mate_ip : m->own_ip;
	enum fo_if_state s = mate ? fo_ifmon_mate_state(m)
				  : fo_ifmon_state(m);

	/* No address at all: the seed's "0.0.0.0 ... waiting". */
	if (!m->own_ip || !m->mate_ip)
		s = FO_IFS_WAITING;
	if (with_context && m->context[0])
		buf_printf(out, "%s ", m->context);
	buf_printf(out, "Interface %s (%s): %s\n", m->nameif,
		   ip_text(ip, a, sizeof(a)), fo_if_state_name(s));
}

size_t fo_ifmon_failed_count(const enum fo_if_state *states,
			     size_t n_states)
{
	size_t failed = 0;

	for (size_t i = 0; i < n_states; i++)
		if (fo_if_state_is_failure(states[i]))
			failed++;
	return failed;
}

/* interface-policy: FAILED of TOTAL interfaces reach VALUE (or VALUE%). */
static bool policy_reached(size_t failed, size_t total, unsigned value,
			   bool percent)
{
	if (!failed)
		return false;
	if (!value)
		value = 1;
	if (percent)
		return (uint64_t)failed * 100 >= (uint64_t)value * total;
	return failed >= value;
}

bool fo_ifmon_policy_exceeded(const enum fo_if_state *states, size_t n_states,
			      unsigned value, bool percent)
{
	return policy_reached(fo_ifmon_failed_count(states, n_states),
			      n_states, value, percent);
}

bool fo_ifmon_group_exceeded(struct fo_ifmon *const *mons, size_t n,
			     unsigned value, bool percent)
{
	size_t failed = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		if (!mons[i])
			continue;
		total++;
		if (fo_if_state_is_failure(fo_ifmon_state(mons[i])))
			failed++;
	}
	return policy_reached(failed, total, value, percent);
}
