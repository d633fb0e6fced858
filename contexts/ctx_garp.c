/*
 * ctx_garp: gratuitous ARP from a context interface.  A unit that becomes
 * active for a failover group announces the group's addresses so switches
 * and neighbours learn where they live now.  The packet socket is opened
 * inside the context namespace (packet sockets see only their namespace's
 * links; ctx_ns keeps one per context).  See ctx_ns.h.
 */
#include "contexts/ctx_ns.h"

#include "contexts/ctx_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Ethernet header + ARP for IPv4 over Ethernet, padded to the 60-byte
 * minimum frame (without FCS) so no driver has to. */
struct garp_frame {
	uint8_t dst[6], src[6];
	uint16_t ethertype;
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t oper;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
	uint8_t pad[18];
} __attribute__((packed));
_Static_assert(sizeof(struct garp_frame) == 60, "minimum Ethernet frame");

int ctx_garp_send(struct ctx_ns *ns, const char *ifname, struct in_addr addr)
{
	struct rtnl_link *link;
	int rc = rtnl_link_get_kernel(ctx_ns_sock(ns), 0, ifname, &link);
	if (rc < 0)
		return rc == -NLE_OBJ_NOTFOUND ? -ENODEV : ctx_nl_errno(rc);
	int ifindex = rtnl_link_get_ifindex(link);
	bool up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	struct nl_addr *ll = rtnl_link_get_addr(link);
	uint8_t mac[6] = { 0 };
	bool ether = ll && nl_addr_get_len(ll) == 6;
	if (ether)
		memcpy(mac, nl_addr_get_binary_addr(ll), 6);
	rtnl_link_put(link);
	if (!ether)
		return -EAFNOSUPPORT;
	if (!up)
		return -ENETDOWN;

	int fd = ctx_ns_packet_fd(ns);
	if (fd < 0)
		return -EBADF;

	struct garp_frame f;
	memset(&f, 0, sizeof f);
	memset(f.dst, 0xff, 6);
	memcpy(f.src, mac, 6);
	f.ethertype = htons(ETH_P_ARP);
	f.htype = htons(ARPHRD_ETHER);
	f.ptype = htons(ETH_P_IP);
	f.hlen = 6;
	f.plen = 4;
	f.oper = htons(ARPOP_REQUEST);   /* sender = target: gratuitous */
	memcpy(f.sha, mac, 6);
	memcpy(f.spa, &addr, 4);
	memcpy(f.tpa, &addr, 4);

	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = 6,
	};
	memset(to.sll_addr, 0xff, 6);
	ssize_t n = sendto(fd, &f, sizeof f, 0, (struct sockaddr *)&to,
			   sizeof to);
	return n < 0 ? -errno : 0;
}
