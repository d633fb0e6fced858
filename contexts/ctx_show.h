/*
 * ctx_show: ASA-style show commands of a context, read from the kernel
 * (what the data path really has, not a copy of the configuration).
 *
 * The caller passes the context's name map so lines carry ASA names: the
 * Linux link, the name the context knows it by (the mapped name, or the
 * hardware name in the system space), its nameif and security level.  Rows
 * are printed in the map's order; links not in the map (lo) are not shown.
 * Each call returns 0 or -errno and appends to OUT.
 */
#ifndef MCTX_CTX_SHOW_H
#define MCTX_CTX_SHOW_H

#include <stddef.h>

struct ctx_ns;
struct buf;

struct ctx_show_name {
	const char *ifname;        /* Linux link name in the context */
	const char *hwname;        /* mapped or hardware name */
	const char *nameif;        /* NULL or "" when none */
	int security_level;
};

/* show interface ip brief:
 * Interface                  IP-Address      OK? Method Status                Protocol
 * inside_context1            192.168.1.1     YES manual up                    up */
int ctx_show_ip_brief(struct ctx_ns *ns, const struct ctx_show_name *names,
		      size_t n, struct buf *out);

/* show nameif (interfaces with a nameif only):
 * Interface                Name                     Security
 * inside_context1          inside                   100 */
int ctx_show_nameif(struct ctx_ns *ns, const struct ctx_show_name *names,
		    size_t n, struct buf *out);

/* show route: codes legend, gateway of last resort, then
 * C    192.168.1.0 255.255.255.0 is directly connected, inside
 * S*   0.0.0.0 0.0.0.0 [1/0] via 172.16.1.3, outside
 * (connected, then static, the default last; named interfaces only). */
int ctx_show_route(struct ctx_ns *ns, const struct ctx_show_name *names,
		   size_t n, struct buf *out);

/* show arp: "\tinside 192.168.1.5 0050.56a1.0001 12" (age in seconds since
 * the entry was last updated, "-" for a static one). */
int ctx_show_arp(struct ctx_ns *ns, const struct ctx_show_name *names,
		 size_t n, struct buf *out);

/* show interface [NAME]: state, MAC, MTU, IPv4 address and counters of
 * every mapped interface, or only the one whose hwname or nameif is ONLY
 * (-ENOENT when none is). */
int ctx_show_interface(struct ctx_ns *ns, const struct ctx_show_name *names,
		       size_t n, const char *only, struct buf *out);

/* Formats a MAC as ASA does: 0050.56a1.0001 (out has room for 15). */
void ctx_show_mac(const unsigned char mac[6], char out[15]);

#endif
