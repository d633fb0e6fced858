/*
 * ctx_fw: a context's policy as one nftables table in its namespace.
 *
 * Why libnftables rather than the nft tool: the daemon must run the load
 * inside the context's namespace (netns_enter ... netns_leave around the
 * call), get the kernel's verdict and error text back in memory, and not
 * fork a process per context on every config change or `show access-list`.
 * libnftables takes the same script syntax as nft, so the generated script
 * doubles as readable output for tests and debugging, and one
 * nft_run_cmd_from_buffer() is one netlink batch: the kernel commits all of
 * it or none of it.  That gives atomic replacement for free: the script
 * begins with "table ip mctx / delete table ip mctx" (create-if-missing,
 * then delete) and re-creates the whole table; if anything later in the
 * batch is refused, the old table is untouched.
 *
 * Layout of `table ip mctx`:
 *   counter hA_L        hit count of ACL A, line L (named counters are
 *                       listed back with their names: `show access-list`)
 *   chain fo_hook       to_box entries (failover hellos), accepted first
 *   chain input         to the box: established, lo, fo_hook, ICMP echo
 *   chain aclA          ACL A: permit ACE -> return, deny ACE -> drop,
 *                       implicit deny at the end
 *   chain fromI / toI   ingress / egress decisions for interface I
 *   chain admit         the context's connection limit, then accept
 *   chain forward       established first, then new connections by
 *                       ingress interface (a standby context forwards
 *                       nothing: its namespace's ip_forward is off, see
 *                       ctx_ns_set_forwarding, so a failover role change
 *                       never reloads this table)
 *   chain nat_pre/post  statics and object NAT
 *
 * ACL matching: ACEs match `ct original ...` in the forward chain, i.e.
 * the addresses and ports the packet had when it arrived on the interface,
 * before the static's DNAT.  That is PIX 7.x's meaning: the seed's
 * "access-list 100 extended permit tcp any host 172.16.1.1 eq www" names
 * the mapped address of "static (inside,outside) 172.16.1.1 192.168.1.5".
 * Filtering in the forward hook (not in prerouting before DNAT) is needed
 * because the security-level rule depends on the egress interface, which
 * is only known after routing.
 */
#include "contexts/ctx_fw_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "system/sys_log.h"
#include "system/sys_netns.h"

/* ------------------------------------------------------------------ */
/* Name tables                                                        */

struct name_num {
	const char *name;
	int num;
};

/* ASA's port literals (the subset a context config commonly uses).  The
 * first name of a number is the one printed. */
static const struct name_num port_names[] = {
	{"echo", 7}, {"discard", 9}, {"daytime", 13}, {"ftp-data", 20},
	{"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"time", 37},
	{"whois", 43}, {"tacacs", 49}, {"domain", 53}, {"bootps", 67},
	{"bootpc", 68}, {"tftp", 69}, {"gopher", 70}, {"finger", 79},
	{"www", 80}, {"http", 80}, {"kerberos", 88}, {"hostname", 101},
	{"pop2", 109}, {"pop3", 110}, {"sunrpc", 111}, {"ident", 113},
	{"nntp", 119}, {"ntp", 123}, {"netbios-ns", 137},
	{"netbios-dgm", 138}, {"netbios-ssn", 139}, {"imap4", 143},
	{"snmp", 161}, {"snmptrap", 162}, {"xdmcp", 177}, {"bgp", 179},
	{"irc", 194}, {"ldap", 389}, {"https", 443}, {"isakmp", 500},
	{"exec", 512}, {"login", 513}, {"rsh", 514}, {"syslog", 514},
	{"lpd", 515}, {"talk", 517}, {"rip", 520}, {"uucp", 540},
	{"klogin", 543}, {"kshell", 544}, {"rtsp", 554}, {"ldaps", 636},
	{"lotusnotes", 1352}, {"citrix-ica", 1494}, {"sqlnet", 1521},
	{"radius", 1645}, {"radius-acct", 1646}, {"h323", 1720},
	{"pptp", 1723}, {"nfs", 2049}, {"ctiqbe", 2748}, {"cifs", 3020},
	{"aol", 5190}, {"sip", 5060}, {"pcanywhere-data", 5631},
};

static const struct name_num proto_names[] = {
	{"ip", CTX_FW_PROTO_IP}, {"icmp", 1}, {"igmp", 2}, {"ipinip", 4},
	{"tcp", 6}, {"igrp", 9}, {"udp", 17}, {"gre", 47}, {"esp", 50},
	{"ah", 51}, {"icmp6", 58}, {"eigrp", 88}, {"ospf", 89}, {"nos", 94},
	{"pim", 103}, {"pcp", 108}, {"snp", 109},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse_decimal(const char *s, long max)
{
	if (!s || !*s || strlen(s) > 6)
		return -EINVAL;
	long v = 0;
	for (const char *c = s; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return -EINVAL;
		v = v * 10 + (*c - '0');
	}
	return v <= max ? (int)v : -EINVAL;
}

int ctx_fw_port_parse(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(port_names); i++)
		if (strcasecmp(s, port_names[i].name) == 0)
			return port_names[i].num;
	return parse_decimal(s, 65535);
}

const char *ctx_fw_port_name(uint16_t port)
{
	for (size_t i = 0; i < ARRAY_LEN(port_names); i++)
		if (port_names[i].num == port)
			return port_names[i].name;
	return NULL;
}

int ctx_fw_proto_parse(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(proto_names); i++)
		if (strcasecmp(s, proto_names[i].name) == 0)
			return proto_names[i].num;
	return parse_decimal(s, 255);
}

static const char *proto_name(int proto)
{
	for (size_t i = 0; i < ARRAY_LEN(proto_names); i++)
		if (proto_names[i].num == proto)
			return proto_names[i].name;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Address helpers shared with ctx_fw_show.c                           */

char *fw_ip_str(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
	return out;
}

int fw_mask_len(uint32_t mask)
{
	int len = 0;
	while (len < 32 && (mask & (0x80000000u >> len)))
		len++;
	uint32_t canon = len ? 0xffffffffu << (32 - len) : 0;
	return canon == mask ? len : -1;
}

void fw_hms(struct buf *out, uint64_t s)
{
	buf_printf(out, "%" PRIu64 ":%02u:%02u", s / 3600,
		   (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

const struct ctx_fw_ifc *fw_ifc_by_nameif(const struct ctx_fw_policy *p,
					  const char *nameif)
{
	for (size_t i = 0; i < p->n_ifcs; i++)
		if (strcmp(p->ifcs[i].nameif, nameif) == 0)
			return &p->ifcs[i];
	return NULL;
}

const struct ctx_fw_ifc *fw_ifc_for_addr(const struct ctx_fw_policy *p,
					 uint32_t ip)
{
	for (size_t i = 0; i < p->n_ifcs; i++) {
		const struct ctx_fw_ifc *f = &p->ifcs[i];
		if (f->addr && (ip & f->mask) == (f->addr & f->mask))
			return f;
	}
	/* Longest matching route, default route last. */
	const struct ctx_fw_route *best = NULL;
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct ctx_fw_route *r = &p->routes[i];
		if ((ip & r->mask) != (r->net & r->mask))
			continue;
		if (!best || fw_mask_len(r->mask) > fw_mask_len(best->mask))
			best = r;
	}
	return best ? fw_ifc_by_nameif(p, best->nameif) : NULL;
}

long fw_nf_sysctl_read(const char *name)
{
	char path[128], text[32];
	snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, text, sizeof text - 1);
	int saved = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -saved : -EIO;
	text[n] = '\0';
	return strtol(text, NULL, 10);
}

/* ------------------------------------------------------------------ */
/* Validation                                                         */

static bool name_ok(const char *s, size_t max, bool allow_punct)
{
	size_t len = strnlen(s, max);
	if (len == 0 || len >= max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '_' || c == '-' || c == '.')
			continue;
		/* ACL and object names may hold more, but never a quote or a
		 * backslash: they end up inside nft comments. */
		if (allow_punct && isgraph(c) && c != '"' && c != '\\')
			continue;
		return false;
	}
	return true;
}

static const struct ctx_fw_acl *acl_by_name(const struct ctx_fw_policy *p,
					    const char *name)
{
	for (size_t i = 0; i < p->n_acls; i++)
		if (strcmp(p->acls[i].name, name) == 0)
			return &p->acls[i];
	return NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int check_addr(const struct ctx_fw_addr *a, char *err, size_t errlen)
{
	char ip[16], mask[16];
	switch (a->kind) {
	case CTX_FW_ADDR_ANY:
	case CTX_FW_ADDR_HOST:
		return 0;
	case CTX_FW_ADDR_NET:
		if (fw_mask_len(a->mask) < 0)
			return fail(err, errlen, "ERROR: Invalid netmask %s",
				    fw_ip_str(a->mask, mask));
		if (a->addr & ~a->mask)
			return fail(err, errlen,
				    "ERROR: IP address,mask <%s,%s> doesn't pair",
				    fw_ip_str(a->addr, ip), fw_ip_str(a->mask, mask));
		return 0;
	}
	return fail(err, errlen, "ERROR: Invalid address kind %d", (int)a->kind);
}

static int check_ports(const struct ctx_fw_ports *pt, int proto,
		       char *err, size_t errlen)
{
	if (pt->op == CTX_FW_PORT_NONE)
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return fail(err, errlen,
			    "ERROR: port operators are valid for tcp and udp only");
	switch (pt->op) {
	case CTX_FW_PORT_EQ: case CTX_FW_PORT_NEQ:
		return 0;
	case CTX_FW_PORT_LT:
		return pt->lo == 0 ? fail(err, errlen,
					  "ERROR: lt 0 matches no port") : 0;
	case CTX_FW_PORT_GT:
		return pt->lo == 65535 ? fail(err, errlen,
					      "ERROR: gt 65535 matches no port") : 0;
	case CTX_FW_PORT_RANGE:
		return pt->lo > pt->hi ? fail(err, errlen,
			"ERROR: Invalid port range %u %u", pt->lo, pt->hi) : 0;
	default:
		return fail(err, errlen, "ERROR: Invalid port operator %d",
			    (int)pt->op);
	}
}

static int check_ifc_ref(const struct ctx_fw_policy *p, const char *nameif,
			 char *err, size_t errlen)
{
	if (fw_ifc_by_nameif(p, nameif))
		return 0;
	return fail(err, errlen, "ERROR: Interface name \"%.*s\" is not valid",
		    CTX_FW_NAME_MAX, nameif);
}

static int validate_ifcs(const struct ctx_fw_policy *p, char *err, size_t len)
{
	for (size_t i = 0; i < p->n_ifcs; i++) {
		const struct ctx_fw_ifc *f = &p->ifcs[i];
		if (!name_ok(f->ifname, IFNAMSIZ, false))
			return fail(err, len, "ERROR: Invalid interface %.*s",
				    IFNAMSIZ, f->ifname);
		if (!name_ok(f->nameif, CTX_FW_NAME_MAX, false))
			return fail(err, len, "ERROR: Invalid nameif for %s",
				    f->ifname);
		if (f->security_level < 0 || f->security_level > 100)
			return fail(err, len,
				    "ERROR: security-level %d out of range 0-100",
				    f->security_level);
		if (f->addr && fw_mask_len(f->mask) < 0) {
			char m[16];
			return fail(err, len, "ERROR: Invalid netmask %s",
				    fw_ip_str(f->mask, m));
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->ifcs[j].nameif, f->nameif) == 0)
				return fail(err, len,
					    "ERROR: nameif %s is already in use",
					    f->nameif);
			if (strcmp(p->ifcs[j].ifname, f->ifname) == 0)
				return fail(err, len,
					    "ERROR: interface %s listed twice",
					    f->ifname);
		}
	}
	for (size_t i = 0; i < p->n_routes; i++)
		if (check_ifc_ref(p, p->routes[i].nameif, err, len))
			return -EINVAL;
	return 0;
}

static int validate_acls(const struct ctx_fw_policy *p, char *err, size_t len)
{
	for (size_t i = 0; i < p->n_acls; i++) {
		const struct ctx_fw_acl *a = &p->acls[i];
		if (!name_ok(a->name, CTX_FW_NAME_MAX, true))
			return fail(err, len, "ERROR: Invalid access-list name");
		if (acl_by_name(p, a->name) != a)
			return fail(err, len,
				    "ERROR: access-list %s defined twice", a->name);
		if (a->n_aces && !a->aces)
			return fail(err, len, "ERROR: access-list %s has no entries",
				    a->name);
		for (size_t j = 0; j < a->n_aces; j++) {
			const struct ctx_fw_ace *e = &a->aces[j];
			if (e->remark)
				continue;
			if (e->action != CTX_FW_PERMIT && e->action != CTX_FW_DENY)
				return fail(err, len, "ERROR: Invalid action");
			if (e->proto != CTX_FW_PROTO_IP &&
			    (e->proto < 0 || e->proto > 255))
				return fail(err, len, "ERROR: Invalid protocol %d",
					    e->proto);
			if (check_addr(&e->src, err, len) ||
			    check_addr(&e->dst, err, len) ||
			    check_ports(&e->sport, e->proto, err, len) ||
			    check_ports(&e->dport, e->proto, err, len))
				return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		const struct ctx_fw_access_group *g = &p->groups[i];
		if (!acl_by_name(p, g->acl))
			return fail(err, len, "ERROR: access-list %.*s does not exist",
				    CTX_FW_NAME_MAX, g->acl);
		if (g->dir != CTX_FW_IN && g->dir != CTX_FW_OUT)
			return fail(err, len, "ERROR: Invalid direction");
		if (check_ifc_ref(p, g->nameif, err, len))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (p->groups[j].dir == g->dir &&
			    strcmp(p->groups[j].nameif, g->nameif) == 0)
				return fail(err, len,
					    "ERROR: interface %s already has an %s access-group",
					    g->nameif, g->dir == CTX_FW_IN ? "inbound" : "outbound");
	}
	return 0;
}

static int validate_nat(const struct ctx_fw_policy *p, char *err, size_t len)
{
	char a[16], b[16], c[16];
	for (size_t i = 0; i < p->n_statics; i++) {
		const struct ctx_fw_static *s = &p->statics[i];
		if (check_ifc_ref(p, s->real_ifc, err, len) ||
		    check_ifc_ref(p, s->mapped_ifc, err, len))
			return -EINVAL;
		if (fw_mask_len(s->mask) < 0)
			return fail(err, len, "ERROR: Invalid netmask %s",
				    fw_ip_str(s->mask, a));
		if ((s->mapped & ~s->mask) || (s->real & ~s->mask))
			return fail(err, len,
				    "ERROR: mapped and real addresses %s %s do not match netmask %s",
				    fw_ip_str(s->mapped, a), fw_ip_str(s->real, b),
				    fw_ip_str(s->mask, c));
	}
	for (size_t i = 0; i < p->n_obj_nats; i++) {
		const struct ctx_fw_object_nat *o = &p->obj_nats[i];
		if (!name_ok(o->object, CTX_FW_NAME_MAX, true))
			return fail(err, len, "ERROR: Invalid object name");
		if (check_ifc_ref(p, o->real_ifc, err, len) ||
		    check_ifc_ref(p, o->mapped_ifc, err, len))
			return -EINVAL;
		switch (o->obj_kind) {
		case CTX_FW_OBJ_HOST:
			break;
		case CTX_FW_OBJ_SUBNET:
			if (fw_mask_len(o->real_mask) < 0 || (o->real & ~o->real_mask))
				return fail(err, len,
					    "ERROR: IP address,mask <%s,%s> doesn't pair",
					    fw_ip_str(o->real, a), fw_ip_str(o->real_mask, b));
			break;
		case CTX_FW_OBJ_RANGE:
			if (o->real > o->real_end)
				return fail(err, len, "ERROR: Invalid range %s-%s",
					    fw_ip_str(o->real, a), fw_ip_str(o->real_end, b));
			if (o->kind == CTX_FW_OBJNAT_STATIC)
				return fail(err, len,
					    "ERROR: object %s: static NAT of a range is not supported",
					    o->object);
			break;
		default:
			return fail(err, len, "ERROR: Invalid object kind");
		}
		switch (o->kind) {
		case CTX_FW_OBJNAT_STATIC:
			if (o->obj_kind == CTX_FW_OBJ_SUBNET && (o->mapped & ~o->real_mask))
				return fail(err, len,
					    "ERROR: object %s: mapped %s does not fit netmask %s",
					    o->object, fw_ip_str(o->mapped, a),
					    fw_ip_str(o->real_mask, b));
			/* fall through */
		case CTX_FW_OBJNAT_DYNAMIC:
			if (!o->mapped)
				return fail(err, len,
					    "ERROR: object %s: mapped address missing", o->object);
			break;
		case CTX_FW_OBJNAT_DYNAMIC_IFC:
			break;
		default:
			return fail(err, len, "ERROR: Invalid nat type");
		}
	}
	for (size_t i = 0; i < p->n_to_box; i++) {
		const struct ctx_fw_to_box *t = &p->to_box[i];
		if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP)
			return fail(err, len, "ERROR: to-the-box entry must be tcp or udp");
		if (check_addr(&t->src, err, len))
			return -EINVAL;
	}
	return 0;
}

int ctx_fw_validate(const struct ctx_fw_policy *p, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p)
		return fail(err, errlen, "ERROR: no policy");
	if ((p->n_ifcs && !p->ifcs) || (p->n_routes && !p->routes) ||
	    (p->n_acls && !p->acls) || (p->n_groups && !p->groups) ||
	    (p->n_statics && !p->statics) || (p->n_obj_nats && !p->obj_nats) ||
	    (p->n_to_box && !p->to_box))
		return fail(err, errlen, "ERROR: policy lists are inconsistent");
	if (validate_ifcs(p, err, errlen) || validate_acls(p, err, errlen) ||
	    validate_nat(p, err, errlen))
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ASA text of an ACE (show access-list, and the key that carries hit   */
/* counts over a re-apply)                                              */

static void addr_text(struct buf *out, const struct ctx_fw_addr *a)
{
	char ip[16], mask[16];
	switch (a->kind) {
	case CTX_FW_ADDR_ANY:
		buf_puts(out, " any");
		break;
	case CTX_FW_ADDR_HOST:
		buf_printf(out, " host %s", fw_ip_str(a->addr, ip));
		break;
	case CTX_FW_ADDR_NET:
		buf_printf(out, " %s %s", fw_ip_str(a->addr, ip),
			   fw_ip_str(a->mask, mask));
		break;
	}
}

static void port_word(struct buf *out, uint16_t port)
{
	const char *name = ctx_fw_port_name(port);
	if (name)
		buf_printf(out, " %s", name);
	else
		buf_printf(out, " %u", port);
}

static void ports_text(struct buf *out, const struct ctx_fw_ports *pt)
{
	static const char *const ops[] = {
		[CTX_FW_PORT_EQ] = "eq", [CTX_FW_PORT_NEQ] = "neq",
		[CTX_FW_PORT_LT] = "lt", [CTX_FW_PORT_GT] = "gt",
		[CTX_FW_PORT_RANGE] = "range",
	};
	if (pt->op == CTX_FW_PORT_NONE || (size_t)pt->op >= ARRAY_LEN(ops))
		return;
	buf_printf(out, " %s", ops[pt->op]);
	port_word(out, pt->lo);
	if (pt->op == CTX_FW_PORT_RANGE)
		port_word(out, pt->hi);
}

static void ace_text(struct buf *out, const struct ctx_fw_ace *e)
{
	const char *proto = proto_name(e->proto);
	buf_printf(out, "extended %s", e->action == CTX_FW_PERMIT ? "permit" : "deny");
	if (proto)
		buf_printf(out, " %s", proto);
	else
		buf_printf(out, " %d", e->proto);
	addr_text(out, &e->src);
	ports_text(out, &e->sport);
	addr_text(out, &e->dst);
	ports_text(out, &e->dport);
	if (e->inactive)
		buf_puts(out, " inactive");
}

/* FNV-1a: the stable "0x..." ASA prints next to ACLs and ACEs. */
static uint32_t fnv1a(const char *s, uint32_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                          */

/* Hit counts to start each ACE counter with: hits[acl][line], or NULL. */
typedef uint64_t *const *fw_hits_t;

static void nft_prefix(struct buf *out, uint32_t addr, uint32_t mask)
{
	char ip[16];
	int len = fw_mask_len(mask);
	if (len == 32)
		buf_printf(out, "%s", fw_ip_str(addr, ip));
	else
		buf_printf(out, "%s/%d", fw_ip_str(addr, ip), len);
}

static void nft_addr_match(struct buf *out, const char *what,
			   const struct ctx_fw_addr *a)
{
	char ip[16];
	switch (a->kind) {
	case CTX_FW_ADDR_ANY:
		return;
	case CTX_FW_ADDR_HOST:
		buf_printf(out, " %s %s", what, fw_ip_str(a->addr, ip));
		return;
	case CTX_FW_ADDR_NET:
		buf_printf(out, " %s ", what);
		nft_prefix(out, a->addr, a->mask);
		return;
	}
}

static void nft_port_match(struct buf *out, const char *what,
			   const struct ctx_fw_ports *pt)
{
	switch (pt->op) {
	case CTX_FW_PORT_NONE:
		return;
	case CTX_FW_PORT_EQ:
		buf_printf(out, " %s %u", what, pt->lo);
		return;
	case CTX_FW_PORT_NEQ:
		buf_printf(out, " %s != %u", what, pt->lo);
		return;
	case CTX_FW_PORT_LT:
		buf_printf(out, " %s < %u", what, pt->lo);
		return;
	case CTX_FW_PORT_GT:
		buf_printf(out, " %s > %u", what, pt->lo);
		return;
	case CTX_FW_PORT_RANGE:
		buf_printf(out, " %s %u-%u", what, pt->lo, pt->hi);
		return;
	}
}

static size_t acl_index(const struct ctx_fw_policy *p, const char *name)
{
	return (size_t)(acl_by_name(p, name) - p->acls);
}

static const struct ctx_fw_access_group *group_for(const struct ctx_fw_policy *p,
						   const char *nameif,
						   enum ctx_fw_dir dir)
{
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].dir == dir && strcmp(p->groups[i].nameif, nameif) == 0)
			return &p->groups[i];
	return NULL;
}

static void render_counters(const struct ctx_fw_policy *p, fw_hits_t hits,
			    struct buf *out)
{
	for (size_t a = 0; a < p->n_acls; a++) {
		size_t line = 0;
		for (size_t j = 0; j < p->acls[a].n_aces; j++) {
			if (p->acls[a].aces[j].remark)
				continue;
			uint64_t start = hits && hits[a] ? hits[a][line] : 0;
			buf_printf(out, "\tcounter h%zu_%zu { packets %" PRIu64
				   " bytes 0 }\n", a, line, start);
			line++;
		}
	}
}

static void render_input(const struct ctx_fw_policy *p, struct buf *out)
{
	char ip[16], sb[16];
	buf_puts(out, "\tchain fo_hook {\n");
	for (size_t i = 0; i < p->n_to_box; i++) {
		const struct ctx_fw_to_box *t = &p->to_box[i];
		buf_printf(out, "\t\tmeta l4proto %s", t->proto == IPPROTO_TCP ? "tcp" : "udp");
		nft_addr_match(out, "ip saddr", &t->src);
		buf_printf(out, " th dport %u accept\n", t->port);
	}
	buf_puts(out, "\t}\n");
	buf_puts(out, "\tchain input {\n"
		 "\t\ttype filter hook input priority filter; policy drop;\n"
		 "\t\tct state established,related accept\n"
		 "\t\tct state invalid drop\n"
		 "\t\tiifname \"lo\" accept\n"
		 "\t\tjump fo_hook\n");
	for (size_t i = 0; i < p->n_ifcs; i++) {
		const struct ctx_fw_ifc *f = &p->ifcs[i];
		if (!f->addr)
			continue;
		buf_printf(out, "\t\tiifname \"%s\" ip daddr ", f->ifname);
		if (f->standby)
			buf_printf(out, "{ %s, %s }", fw_ip_str(f->addr, ip),
				   fw_ip_str(f->standby, sb));
		else
			buf_puts(out, fw_ip_str(f->addr, ip));
		buf_puts(out, " icmp type echo-request accept\n");
	}
	buf_puts(out, "\t}\n");
}

static void render_acls(const struct ctx_fw_policy *p, struct buf *out)
{
	for (size_t a = 0; a < p->n_acls; a++) {
		const struct ctx_fw_acl *acl = &p->acls[a];
		buf_printf(out, "\tchain acl%zu {\n\t\tcomment \"access-list %s\"\n",
			   a, acl->name);
		size_t line = 0;
		for (size_t j = 0; j < acl->n_aces; j++) {
			const struct ctx_fw_ace *e = &acl->aces[j];
			if (e->remark)
				continue;
			size_t this_line = line++;
			if (e->inactive)
				continue;
			buf_puts(out, "\t\t");
			if (e->proto != CTX_FW_PROTO_IP)
				buf_printf(out, "meta l4proto %d ", e->proto);
			buf_puts(out, "ct state new");
			nft_addr_match(out, "ct original ip saddr", &e->src);
			nft_port_match(out, "ct original proto-src", &e->sport);
			nft_addr_match(out, "ct original ip daddr", &e->dst);
			nft_port_match(out, "ct original proto-dst", &e->dport);
			buf_printf(out, " counter name \"h%zu_%zu\" %s\n", a, this_line,
				   e->action == CTX_FW_PERMIT ? "return" : "drop");
		}
		buf_puts(out, "\t\tdrop\n\t}\n");
	}
}

static bool levels_allow(const struct ctx_fw_policy *p,
			 const struct ctx_fw_ifc *from, const struct ctx_fw_ifc *to)
{
	if (from->security_level > to->security_level)
		return true;
	return from->security_level == to->security_level && p->same_security_inter;
}

static void render_forward(const struct ctx_fw_policy *p, struct buf *out)
{
	for (size_t i = 0; i < p->n_ifcs; i++) {
		const struct ctx_fw_ifc *from = &p->ifcs[i];
		const struct ctx_fw_access_group *in = group_for(p, from->nameif, CTX_FW_IN);
		buf_printf(out, "\tchain from%zu {\n\t\tcomment \"from %s\"\n", i, from->nameif);
		if (in)
			buf_printf(out, "\t\tjump acl%zu\n", acl_index(p, in->acl));
		for (size_t j = 0; j < p->n_ifcs; j++) {
			const struct ctx_fw_ifc *to = &p->ifcs[j];
			if (j == i || (!in && !levels_allow(p, from, to)))
				continue;
			buf_printf(out, "\t\toifname \"%s\" jump to%zu\n", to->ifname, j);
		}
		buf_puts(out, "\t\tdrop\n\t}\n");

		const struct ctx_fw_access_group *outg = group_for(p, from->nameif, CTX_FW_OUT);
		buf_printf(out, "\tchain to%zu {\n\t\tcomment \"to %s\"\n", i, from->nameif);
		if (outg)
			buf_printf(out, "\t\tjump acl%zu\n", acl_index(p, outg->acl));
		buf_puts(out, "\t\tjump admit\n\t}\n");
	}
	/* One connlimit rule for the whole context: its list is the set of
	 * connections this context has admitted (closed ones are pruned by
	 * the kernel), so N+1th new connection is dropped. */
	buf_puts(out, "\tchain admit {\n");
	if (p->conn_limit)
		buf_printf(out, "\t\tct count over %u counter name \"conn_denied\" drop\n",
			   p->conn_limit);
	buf_puts(out, "\t\taccept\n\t}\n");
	buf_puts(out, "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter; policy drop;\n");
	buf_puts(out, "\t\tct state established,related accept\n"
		 "\t\tct state != new drop\n");
	for (size_t i = 0; i < p->n_ifcs; i++)
		buf_printf(out, "\t\tiifname \"%s\" jump from%zu\n", p->ifcs[i].ifname, i);
	buf_puts(out, "\t}\n");
}

/* One 1:1 translation: DNAT on arrival at the mapped side, SNAT when the
 * real side leaves through the mapped interface. */
static void render_one_to_one(struct buf *pre, struct buf *post,
			      const struct ctx_fw_ifc *real_ifc,
			      const struct ctx_fw_ifc *mapped_ifc,
			      uint32_t mapped, uint32_t real, uint32_t mask)
{
	char m[16], r[16];
	if (mask == 0xffffffffu) {
		buf_printf(pre, "\t\tiifname \"%s\" ip daddr %s dnat ip to %s\n",
			   mapped_ifc->ifname, fw_ip_str(mapped, m), fw_ip_str(real, r));
		buf_printf(post, "\t\tiifname \"%s\" oifname \"%s\" ip saddr %s snat ip to %s\n",
			   real_ifc->ifname, mapped_ifc->ifname, fw_ip_str(real, r),
			   fw_ip_str(mapped, m));
		return;
	}
	int len = fw_mask_len(mask);
	buf_printf(pre, "\t\tiifname \"%s\" ip daddr %s/%d dnat ip prefix to ip daddr map { %s/%d : %s/%d }\n",
		   mapped_ifc->ifname, fw_ip_str(mapped, m), len, m, len,
		   fw_ip_str(real, r), len);
	buf_printf(post, "\t\tiifname \"%s\" oifname \"%s\" ip saddr %s/%d snat ip prefix to ip saddr map { %s/%d : %s/%d }\n",
		   real_ifc->ifname, mapped_ifc->ifname, r, len, r, len, m, len);
}

static void render_nat(const struct ctx_fw_policy *p, struct buf *out)
{
	struct buf pre, post;
	char a[16], b[16];
	buf_init(&pre);
	buf_init(&post);
	/* The failover hook's traffic to an interface address must reach the
	 * box even when a static maps that address (the seed maps the outside
	 * interface address itself), so it leaves NAT first. */
	for (size_t i = 0; i < p->n_to_box; i++) {
		const struct ctx_fw_to_box *t = &p->to_box[i];
		buf_printf(&pre, "\t\tmeta l4proto %s", t->proto == IPPROTO_TCP ? "tcp" : "udp");
		nft_addr_match(&pre, "ip saddr", &t->src);
		buf_printf(&pre, " th dport %u return\n", t->port);
	}
	/* PIX order: statics before object NAT. */
	for (size_t i = 0; i < p->n_statics; i++) {
		const struct ctx_fw_static *s = &p->statics[i];
		render_one_to_one(&pre, &post, fw_ifc_by_nameif(p, s->real_ifc),
				  fw_ifc_by_nameif(p, s->mapped_ifc),
				  s->mapped, s->real, s->mask);
	}
	for (size_t i = 0; i < p->n_obj_nats; i++) {
		const struct ctx_fw_object_nat *o = &p->obj_nats[i];
		const struct ctx_fw_ifc *ri = fw_ifc_by_nameif(p, o->real_ifc);
		const struct ctx_fw_ifc *mi = fw_ifc_by_nameif(p, o->mapped_ifc);
		uint32_t mask = o->obj_kind == CTX_FW_OBJ_SUBNET ? o->real_mask : 0xffffffffu;
		if (o->kind == CTX_FW_OBJNAT_STATIC) {
			render_one_to_one(&pre, &post, ri, mi, o->mapped, o->real, mask);
			continue;
		}
		buf_printf(&post, "\t\tiifname \"%s\" oifname \"%s\" ip saddr ",
			   ri->ifname, mi->ifname);
		if (o->obj_kind == CTX_FW_OBJ_RANGE)
			buf_printf(&post, "%s-%s", fw_ip_str(o->real, a),
				   fw_ip_str(o->real_end, b));
		else
			nft_prefix(&post, o->real, mask);
		if (o->kind == CTX_FW_OBJNAT_DYNAMIC_IFC)
			buf_puts(&post, " masquerade\n");
		else
			buf_printf(&post, " snat ip to %s\n", fw_ip_str(o->mapped, a));
	}
	buf_puts(out, "\tchain nat_pre {\n"
		 "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	if (pre.len)
		buf_puts(out, pre.data);
	buf_puts(out, "\t}\n\tchain nat_post {\n"
		 "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	if (post.len)
		buf_puts(out, post.data);
	buf_puts(out, "\t}\n");
	buf_free(&pre);
	buf_free(&post);
}

/* denied: the conn-limit drops counted so far, carried over a re-apply
 * like the ACE hit counts (show resource usage keeps counting). */
static int render(const struct ctx_fw_policy *p, fw_hits_t hits,
		  uint64_t denied, struct buf *out)
{
	if (ctx_fw_validate(p, NULL, 0))
		return -EINVAL;
	/* "table" first creates the table if missing, so "delete" cannot
	 * fail on the first apply; both are in the same batch as the new
	 * table, so the replacement is atomic. */
	buf_puts(out, "table ip mctx\ndelete table ip mctx\ntable ip mctx {\n");
	render_counters(p, hits, out);
	if (denied)
		buf_printf(out, "\tcounter conn_denied { packets %llu bytes 0 }\n",
			   (unsigned long long)denied);
	else
		buf_puts(out, "\tcounter conn_denied { }\n");
	render_input(p, out);
	render_acls(p, out);
	render_forward(p, out);
	render_nat(p, out);
	buf_puts(out, "}\n");
	return 0;
}

int ctx_fw_render(const struct ctx_fw_policy *p, struct buf *out)
{
	return render(p, NULL, 0, out);
}

/* ------------------------------------------------------------------ */
/* Running nftables in the namespace                                  */

/* The child of nft_in_ns: runs SCRIPT with libnftables in the namespace
 * it inherited and writes one status character ('0' ok, 'N' the table
 * does not exist, 'E' refused, 'M' no memory) then the output (ok) or the
 * error text to TO_PARENT.  Never returns. */
static void nft_child(const char *script, int to_parent)
{
	char status = 'M';
	const char *text = "";
	/* Only the pipe stays open: libnftables' socket gets a small number. */
	if (to_parent != 3 && dup2(to_parent, 3) < 0)
		_exit(1);
	to_parent = 3;
	if (close_range(4, ~0u, 0) < 0)
		for (int fd = 4; fd < 65536; fd++)
			close(fd);
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (nft) {
		nft_ctx_buffer_output(nft);
		nft_ctx_buffer_error(nft);
		if (nft_run_cmd_from_buffer(nft, script) != 0) {
			text = nft_ctx_get_error_buffer(nft);
			status = strstr(text, "No such file or directory") ? 'N' : 'E';
		} else {
			text = nft_ctx_get_output_buffer(nft);
			status = '0';
		}
	}
	size_t len = strlen(text), off = 0;
	if (write(to_parent, &status, 1) == 1)
		while (off < len) {
			ssize_t n = write(to_parent, text + off, len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	_exit(0);
}

/* Runs SCRIPT in NETNS; its output (if OUT) is appended to OUT.
 *
 * libnftables waits for the kernel's answer with select(), and glibc
 * aborts the process when select() is given a descriptor of 1024 or more.
 * A daemon with a couple of hundred contexts holds more descriptors than
 * that (per context: its namespace and route socket here, interface
 * monitors in failover/, conntrack in replication/), so the library runs
 * in a forked child (the daemon is single-threaded) that closes every
 * descriptor but its pipe first.  The child inherits the namespace
 * entered here, so its netlink socket belongs to the context. */
static int nft_in_ns(const char *netns, const char *script, struct buf *out,
		     char *err, size_t errlen)
{
	struct netns_saved saved;
	int rc = netns_enter(netns, &saved);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "ERROR: context namespace %s: %s",
				 netns, strerror(-rc));
		return rc;
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = -errno;
		netns_leave(&saved);
		return rc;
	}
	pid_t pid = fork();
	if (pid == 0)
		nft_child(script, pipefd[1]);
	int fork_errno = errno;
	netns_leave(&saved);
	close(pipefd[1]);
	struct buf reply;
	buf_init(&reply);
	if (pid > 0) {
		char chunk[4096];
		ssize_t n;
		while ((n = read(pipefd[0], chunk, sizeof chunk)) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0)
				buf_add(&reply, chunk, (size_t)n);
		/* ECHILD is fine: someone else reaped it; the pipe told all. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	const char *why = reply.len > 1 ? reply.data + 1 : "";
	char status = pid < 0 ? 'F' : reply.len ? reply.data[0] : 'X';
	switch (status) {
	case '0':
		if (out)
			buf_puts(out, why);
		rc = 0;
		break;
	case 'N':
	case 'E':
		rc = status == 'N' ? -ENOENT : -EIO;
		if (err && errlen)
			snprintf(err, errlen, "ERROR: nftables refused the ruleset: %.*s",
				 (int)strcspn(why, "\n"), why);
		break;
	default:   /* no child, no memory in it, or it died */
		rc = status == 'F' ? -fork_errno : status == 'M' ? -ENOMEM : -EIO;
		if (err && errlen)
			snprintf(err, errlen, "ERROR: cannot run nftables: %s",
				 strerror(-rc));
		break;
	}
	buf_free(&reply);
	return rc;
}

static int write_sysctl(const char *name, unsigned long value)
{
	char path[128], text[24];
	snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", name);
	int len = snprintf(text, sizeof text, "%lu\n", value);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, (size_t)len);
	int rc = n == len ? 0 : (n < 0 ? -errno : -EIO);
	close(fd);
	return rc;
}

/* Writes the namespace's conntrack sysctls.  /proc/sys/net belongs to
 * the namespace of the process that opens the file, so this runs inside. */
static int apply_sysctls(const char *netns, const struct ctx_fw_timeouts *t)
{
	struct { const char *name; uint32_t value; } rows[] = {
		{"nf_conntrack_acct", 1},        /* bytes for show conn */
		{"nf_conntrack_timestamp", 1},   /* uptime for show conn detail */
		{"nf_conntrack_tcp_timeout_established", t->conn},
		{"nf_conntrack_udp_timeout", t->udp},
		{"nf_conntrack_udp_timeout_stream", t->udp},
		/* ASA's half-closed: one side has sent FIN. */
		{"nf_conntrack_tcp_timeout_fin_wait", t->half_closed},
		{"nf_conntrack_tcp_timeout_close_wait", t->half_closed},
		{"nf_conntrack_icmp_timeout", t->icmp},
	};
	struct netns_saved saved;
	int rc = netns_enter(netns, &saved);
	if (rc)
		return rc;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		if (!rows[i].value)
			continue;
		int e = write_sysctl(rows[i].name, rows[i].value);
		if (e) {
			mlog(MSG_910052, "%s: %s: %s", netns, rows[i].name, strerror(-e));
			if (!rc)
				rc = e;
		}
	}
	netns_leave(&saved);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Policy copy                                                         */

static void policy_free(struct ctx_fw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_acls; i++)
		free((void *)p->acls[i].aces);
	free((void *)p->ifcs);
	free((void *)p->routes);
	free((void *)p->acls);
	free((void *)p->groups);
	free((void *)p->statics);
	free((void *)p->obj_nats);
	free((void *)p->to_box);
	free(p);
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	if (!n)
		return NULL;
	void *dst = calloc(n, size);
	if (dst)
		memcpy(dst, src, n * size);
	return dst;
}

#define DUP_LIST(dst, src, field, count) do { \
	(dst)->field = dup_array((src)->field, (src)->count, sizeof(*(src)->field)); \
	if ((src)->count && !(dst)->field) \
		goto nomem; \
} while (0)

static struct ctx_fw_policy *policy_copy(const struct ctx_fw_policy *src)
{
	struct ctx_fw_policy *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	*p = *src;
	p->ifcs = NULL; p->routes = NULL; p->acls = NULL; p->groups = NULL;
	p->statics = NULL; p->obj_nats = NULL; p->to_box = NULL;
	size_t n_acls = p->n_acls;
	p->n_acls = 0;   /* policy_free frees only the ACLs copied so far */
	DUP_LIST(p, src, ifcs, n_ifcs);
	DUP_LIST(p, src, routes, n_routes);
	DUP_LIST(p, src, groups, n_groups);
	DUP_LIST(p, src, statics, n_statics);
	DUP_LIST(p, src, obj_nats, n_obj_nats);
	DUP_LIST(p, src, to_box, n_to_box);
	struct ctx_fw_acl *acls = calloc(n_acls ? n_acls : 1, sizeof *acls);
	if (!acls)
		goto nomem;
	p->acls = acls;
	for (size_t i = 0; i < n_acls; i++) {
		acls[i] = src->acls[i];
		acls[i].aces = dup_array(src->acls[i].aces, src->acls[i].n_aces,
					 sizeof(struct ctx_fw_ace));
		if (acls[i].n_aces && !acls[i].aces)
			goto nomem;
		p->n_acls = i + 1;
	}
	return p;
nomem:
	policy_free(p);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* ACE hit counters                                                    */

/* Parses `list counters table ip mctx` output into hits[acl][line]
 * (allocated for P's shape, zero where the kernel has no counter). */
static uint64_t **hits_alloc(const struct ctx_fw_policy *p)
{
	uint64_t **hits = calloc(p->n_acls ? p->n_acls : 1, sizeof *hits);
	if (!hits)
		return NULL;
	for (size_t a = 0; a < p->n_acls; a++) {
		hits[a] = calloc(p->acls[a].n_aces ? p->acls[a].n_aces : 1, sizeof **hits);
		if (!hits[a]) {
			while (a--)
				free(hits[a]);
			free(hits);
			return NULL;
		}
	}
	return hits;
}

static void hits_free(uint64_t **hits, size_t n_acls)
{
	if (!hits)
		return;
	for (size_t a = 0; a < n_acls; a++)
		free(hits[a]);
	free(hits);
}

static size_t acl_lines(const struct ctx_fw_acl *acl)
{
	size_t n = 0;
	for (size_t j = 0; j < acl->n_aces; j++)
		n += !acl->aces[j].remark;
	return n;
}

/* Reads the ACE counters into HITS (shaped like fw->applied) and, if
 * DENIED, the connections the conn limit refused. */
static int read_counters(struct ctx_fw *fw, uint64_t **hits, uint64_t *denied)
{
	struct buf text;
	buf_init(&text);
	int rc = nft_in_ns(fw->netns, "list counters table ip mctx", &text, NULL, 0);
	if (rc) {
		buf_free(&text);
		return rc;
	}
	/* Lines: "counter hA_L {" then "packets N bytes M". */
	const char *s = text.data ? text.data : "";
	size_t a = SIZE_MAX, l = 0;
	bool in_denied = false;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		unsigned long long pk, by;
		char line[160];
		snprintf(line, sizeof line, "%.*s", (int)(len < 159 ? len : 159), s);
		const char *t = line + strspn(line, " \t");
		if (sscanf(t, "counter h%zu_%zu {", &a, &l) == 2) {
			in_denied = false;
		} else if (strncmp(t, "counter conn_denied {", 21) == 0) {
			in_denied = true;
			a = SIZE_MAX;
		} else if (sscanf(t, "packets %llu bytes %llu", &pk, &by) == 2) {
			if (in_denied && denied)
				*denied = pk;
			else if (hits && a < fw->applied->n_acls &&
				 l < acl_lines(&fw->applied->acls[a]))
				hits[a][l] = pk;
			a = SIZE_MAX;
			in_denied = false;
		}
		s += len + (eol ? 1 : 0);
	}
	buf_free(&text);
	return 0;
}

/* Starting counts for NEW: an ACE keeps its count when the same text was
 * in the same ACL before (ASA keeps hitcnt across ACL edits). */
static uint64_t **carry_hits(struct ctx_fw *fw, const struct ctx_fw_policy *new)
{
	if (!fw->applied)
		return NULL;
	uint64_t **old = hits_alloc(fw->applied);
	uint64_t **fresh = hits_alloc(new);
	if (!old || !fresh || read_counters(fw, old, NULL)) {
		hits_free(old, fw->applied->n_acls);
		hits_free(fresh, new->n_acls);
		return NULL;
	}
	struct buf want, have;
	buf_init(&want);
	buf_init(&have);
	for (size_t a = 0; a < new->n_acls; a++) {
		const struct ctx_fw_acl *oacl = acl_by_name(fw->applied, new->acls[a].name);
		if (!oacl)
			continue;
		size_t oa = (size_t)(oacl - fw->applied->acls);
		size_t line = 0;
		for (size_t j = 0; j < new->acls[a].n_aces; j++) {
			if (new->acls[a].aces[j].remark)
				continue;
			buf_reset(&want);
			ace_text(&want, &new->acls[a].aces[j]);
			size_t oline = 0;
			for (size_t k = 0; k < oacl->n_aces; k++) {
				if (oacl->aces[k].remark)
					continue;
				buf_reset(&have);
				ace_text(&have, &oacl->aces[k]);
				if (strcmp(want.data, have.data) == 0) {
					fresh[a][line] = old[oa][oline];
					break;
				}
				oline++;
			}
			line++;
		}
	}
	buf_free(&want);
	buf_free(&have);
	hits_free(old, fw->applied->n_acls);
	return fresh;
}

/* ------------------------------------------------------------------ */
/* Object lifetime and apply                                           */

struct ctx_fw *ctx_fw_create(const char *netns)
{
	if (!netns || !*netns || strlen(netns) > NAME_MAX || strchr(netns, '/'))
		return NULL;
	struct ctx_fw *fw = calloc(1, sizeof *fw);
	if (!fw)
		return NULL;
	snprintf(fw->netns, sizeof fw->netns, "%s", netns);
	return fw;
}

void ctx_fw_destroy(struct ctx_fw *fw)
{
	if (!fw)
		return;
	policy_free(fw->applied);
	free(fw);
}

int ctx_fw_apply(struct ctx_fw *fw, const struct ctx_fw_policy *p,
		 char *err, size_t errlen)
{
	int rc = ctx_fw_validate(p, err, errlen);
	if (rc)
		return rc;
	struct ctx_fw_policy *copy = policy_copy(p);
	if (!copy)
		return -ENOMEM;
	uint64_t **hits = carry_hits(fw, p);
	uint64_t denied = 0;
	if (fw->applied && read_counters(fw, NULL, &denied))
		denied = 0;
	struct buf script;
	buf_init(&script);
	render(p, (fw_hits_t)hits, denied, &script);
	hits_free(hits, p->n_acls);
	rc = nft_in_ns(fw->netns, script.data, NULL, err, errlen);
	buf_free(&script);
	if (rc) {
		mlog(MSG_910051, "%s: %s", fw->netns, err && errlen ? err : "nft failed");
		policy_free(copy);
		return rc;
	}
	policy_free(fw->applied);
	fw->applied = copy;
	clock_gettime(CLOCK_MONOTONIC, &fw->applied_at);
	rc = apply_sysctls(fw->netns, &p->timeouts);
	if (rc && err && errlen)
		snprintf(err, errlen, "ERROR: conntrack timeouts not applied: %s",
			 strerror(-rc));
	mlog(MSG_910050, "%s: %zu interfaces, %zu access-lists, %zu statics, %zu object NAT, conn limit %u",
	     fw->netns, p->n_ifcs, p->n_acls, p->n_statics, p->n_obj_nats, p->conn_limit);
	return rc;
}

int ctx_fw_clear(struct ctx_fw *fw)
{
	int rc = nft_in_ns(fw->netns, "table ip mctx\ndelete table ip mctx\n",
			   NULL, NULL, 0);
	if (rc == 0) {
		policy_free(fw->applied);
		fw->applied = NULL;
		mlog(MSG_910053, "%s", fw->netns);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* show access-list                                                    */

int64_t ctx_fw_ace_hits(struct ctx_fw *fw, const char *acl, size_t line)
{
	if (!fw->applied)
		return -ENODATA;
	const struct ctx_fw_acl *a = acl_by_name(fw->applied, acl);
	if (!a || line == 0 || line > acl_lines(a))
		return -ENOENT;
	uint64_t **hits = hits_alloc(fw->applied);
	if (!hits)
		return -ENOMEM;
	int rc = read_counters(fw, hits, NULL);
	int64_t v = rc ? rc : (int64_t)hits[a - fw->applied->acls][line - 1];
	hits_free(hits, fw->applied->n_acls);
	return v;
}

int64_t ctx_fw_conns_denied(struct ctx_fw *fw)
{
	if (!fw->applied)
		return -ENODATA;
	uint64_t denied = 0;
	int rc = read_counters(fw, NULL, &denied);
	return rc ? rc : (int64_t)denied;
}

int ctx_fw_show_access_list(struct ctx_fw *fw, const char *name, struct buf *out)
{
	const struct ctx_fw_policy *p = fw->applied;
	if (!p)
		return -ENODATA;
	if (name && !acl_by_name(p, name)) {
		buf_printf(out, "ERROR: access-list <%s> does not exist\n", name);
		return -ENOENT;
	}
	uint64_t **hits = hits_alloc(p);
	if (!hits)
		return -ENOMEM;
	int rc = read_counters(fw, hits, NULL);
	if (rc) {
		hits_free(hits, p->n_acls);
		return rc;
	}
	if (!name)
		buf_puts(out, "access-list cached ACL log flows: total 0, denied 0 "
			 "(deny-flow-max 4096)\n            alert-interval 300\n");
	struct buf text;
	buf_init(&text);
	for (size_t a = 0; a < p->n_acls; a++) {
		const struct ctx_fw_acl *acl = &p->acls[a];
		if (name && strcmp(name, acl->name) != 0)
			continue;
		buf_printf(out, "access-list %s; %zu elements; name hash: 0x%08x\n",
			   acl->name, acl_lines(acl), fnv1a(acl->name, 2166136261u));
		size_t line = 0;
		for (size_t j = 0; j < acl->n_aces; j++) {
			if (acl->aces[j].remark)
				continue;
			buf_reset(&text);
			ace_text(&text, &acl->aces[j]);
			buf_printf(out, "access-list %s line %zu %s (hitcnt=%" PRIu64 ") 0x%08x\n",
				   acl->name, line + 1, text.data, hits[a][line],
				   fnv1a(text.data, fnv1a(acl->name, 2166136261u)));
			line++;
		}
	}
	buf_free(&text);
	hits_free(hits, p->n_acls);
	return 0;
}
