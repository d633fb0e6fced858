/*
 * repl_ct_codec: the wire form of one conntrack entry.
 *
 *   record  = version:u8  op:u8  length:u16be  attribute*
 *   attribute = type:u8  size:u8  value[size]
 *
 * length counts the whole record, so records can be packed back to back in
 * a batch.  Every attribute type has one exact size (table below); a known
 * type with another size, a repeated attribute, an attribute that does not
 * fit the record, or a missing mandatory one (protocol, both tuples) makes
 * the record invalid.  Unknown types are skipped by their size so a newer
 * peer may add attributes without breaking an older one; a change of
 * meaning bumps REPL_CT_VERSION instead.  Multi-byte values are big-endian.
 */
#include "replication/repl_ct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "system/sys_buf.h"

#define REC_HDR_LEN 4
#define ATTR_HDR_LEN 2
#define TCP_STATE_LIMIT 10   /* TCP_CONNTRACK_MAX in the kernel's uapi */

enum ct_attr {
	CTA_W_PROTO = 1,   /* family u8, protocol u8 */
	CTA_W_ORIG4,       /* src4 dst4 sport dport */
	CTA_W_REPLY4,
	CTA_W_ORIG6,       /* src16 dst16 sport dport */
	CTA_W_REPLY6,
	CTA_W_STATUS,      /* u32 */
	CTA_W_TIMEOUT,     /* u32 */
	CTA_W_MARK,        /* u32 */
	CTA_W_ZONE,        /* u16 */
	CTA_W_TCP,         /* state, flags orig, flags reply, wscale orig, reply */
	CTA_W_SNAT4,       /* addr4 port */
	CTA_W_DNAT4,
	CTA_W_SNAT6,       /* addr16 port */
	CTA_W_DNAT6,
	CTA_W_MAX
};

/* Exact value size per attribute; 0 marks an unused slot. */
static const uint8_t attr_size[CTA_W_MAX] = {
	[CTA_W_PROTO] = 2,
	[CTA_W_ORIG4] = 12, [CTA_W_REPLY4] = 12,
	[CTA_W_ORIG6] = 36, [CTA_W_REPLY6] = 36,
	[CTA_W_STATUS] = 4, [CTA_W_TIMEOUT] = 4, [CTA_W_MARK] = 4,
	[CTA_W_ZONE] = 2,
	[CTA_W_TCP] = 5,
	[CTA_W_SNAT4] = 6, [CTA_W_DNAT4] = 6,
	[CTA_W_SNAT6] = 18, [CTA_W_DNAT6] = 18,
};

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put_attr(uint8_t *p, enum ct_attr type)
{
	p[0] = (uint8_t)type;
	p[1] = attr_size[type];
	return p + ATTR_HDR_LEN;
}

static uint8_t *put_tuple(uint8_t *p, enum ct_attr type, size_t alen,
			  const struct repl_ct_tuple *t)
{
	p = put_attr(p, type);
	memcpy(p, t->src, alen);
	memcpy(p + alen, t->dst, alen);
	p += 2 * alen;
	p = put_u16(p, t->sport);
	return put_u16(p, t->dport);
}

static uint8_t *put_nat(uint8_t *p, enum ct_attr type, size_t alen,
			const struct repl_ct_nat *n)
{
	p = put_attr(p, type);
	memcpy(p, n->addr, alen);
	return put_u16(p + alen, n->port);
}

static bool proto_valid(uint8_t family, uint8_t proto)
{
	if (family == AF_INET)
		return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		       proto == IPPROTO_ICMP;
	if (family == AF_INET6)
		return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		       proto == IPPROTO_ICMPV6;
	return false;
}

int repl_ct_encode(const struct repl_ct_entry *e, struct buf *out)
{
	if (e->op < REPL_CT_NEW || e->op >= REPL_CT_OP_MAX ||
	    !proto_valid(e->family, e->proto) ||
	    (e->proto == IPPROTO_TCP && e->tcp_state >= TCP_STATE_LIMIT))
		return -EINVAL;

	bool v4 = e->family == AF_INET;
	size_t alen = v4 ? 4 : 16;
	uint8_t rec[REPL_CT_RECORD_MAX];
	uint8_t *p = rec + REC_HDR_LEN;

	p = put_attr(p, CTA_W_PROTO);
	*p++ = e->family;
	*p++ = e->proto;
	p = put_tuple(p, v4 ? CTA_W_ORIG4 : CTA_W_ORIG6, alen, &e->orig);
	p = put_tuple(p, v4 ? CTA_W_REPLY4 : CTA_W_REPLY6, alen, &e->reply);
	p = put_u32(put_attr(p, CTA_W_STATUS), e->status);
	p = put_u32(put_attr(p, CTA_W_TIMEOUT), e->timeout);
	if (e->mark)
		p = put_u32(put_attr(p, CTA_W_MARK), e->mark);
	if (e->zone)
		p = put_u16(put_attr(p, CTA_W_ZONE), e->zone);
	if (e->proto == IPPROTO_TCP) {
		p = put_attr(p, CTA_W_TCP);
		*p++ = e->tcp_state;
		*p++ = e->tcp_flags[0];
		*p++ = e->tcp_flags[1];
		*p++ = e->tcp_wscale[0];
		*p++ = e->tcp_wscale[1];
	}
	if (e->snat.set)
		p = put_nat(p, v4 ? CTA_W_SNAT4 : CTA_W_SNAT6, alen, &e->snat);
	if (e->dnat.set)
		p = put_nat(p, v4 ? CTA_W_DNAT4 : CTA_W_DNAT6, alen, &e->dnat);

	size_t len = (size_t)(p - rec);
	rec[0] = REPL_CT_VERSION;
	rec[1] = e->op;
	put_u16(rec + 2, (uint16_t)len);
	buf_add(out, rec, len);
	return 0;
}

static void get_tuple(const uint8_t *v, size_t alen, struct repl_ct_tuple *t)
{
	memcpy(t->src, v, alen);
	memcpy(t->dst, v + alen, alen);
	t->sport = get_u16(v + 2 * alen);
	t->dport = get_u16(v + 2 * alen + 2);
}

static void get_nat(const uint8_t *v, size_t alen, struct repl_ct_nat *n)
{
	n->set = true;
	memcpy(n->addr, v, alen);
	n->port = get_u16(v + alen);
}

/* Checks that the attributes present agree with the record's family and
 * protocol.  SEEN is a bitmask of attribute types. */
static int check_consistency(const struct repl_ct_entry *e, uint32_t seen)
{
	const uint32_t v4_attrs = 1u << CTA_W_ORIG4 | 1u << CTA_W_REPLY4 |
				  1u << CTA_W_SNAT4 | 1u << CTA_W_DNAT4;
	const uint32_t v6_attrs = 1u << CTA_W_ORIG6 | 1u << CTA_W_REPLY6 |
				  1u << CTA_W_SNAT6 | 1u << CTA_W_DNAT6;

	if (!(seen & 1u << CTA_W_PROTO) || !proto_valid(e->family, e->proto))
		return -EBADMSG;
	bool v4 = e->family == AF_INET;
	if (seen & (v4 ? v6_attrs : v4_attrs))
		return -EBADMSG;
	uint32_t need = v4 ? (1u << CTA_W_ORIG4 | 1u << CTA_W_REPLY4)
			   : (1u << CTA_W_ORIG6 | 1u << CTA_W_REPLY6);
	need |= 1u << CTA_W_STATUS | 1u << CTA_W_TIMEOUT;
	if ((seen & need) != need)
		return -EBADMSG;
	bool tcp = e->proto == IPPROTO_TCP;
	if (tcp != !!(seen & 1u << CTA_W_TCP))
		return -EBADMSG;
	if (tcp && e->tcp_state >= TCP_STATE_LIMIT)
		return -EBADMSG;
	return 0;
}

int repl_ct_decode(const void *bytes, size_t len, struct repl_ct_entry *e)
{
	const uint8_t *rec = bytes;
	memset(e, 0, sizeof *e);
	if (!rec || len < REC_HDR_LEN)
		return -EMSGSIZE;
	if (rec[0] != REPL_CT_VERSION)
		return -EPROTO;
	size_t rlen = get_u16(rec + 2);
	if (rlen < REC_HDR_LEN)
		return -EBADMSG;
	if (rlen > len)
		return -EMSGSIZE;
	if (rec[1] < REPL_CT_NEW || rec[1] >= REPL_CT_OP_MAX)
		return -EBADMSG;

	struct repl_ct_entry d = { .op = rec[1] };
	uint32_t seen = 0;
	size_t off = REC_HDR_LEN;
	while (off < rlen) {
		if (rlen - off < ATTR_HDR_LEN)
			goto bad;
		uint8_t type = rec[off], size = rec[off + 1];
		const uint8_t *v = rec + off + ATTR_HDR_LEN;
		off += ATTR_HDR_LEN;
		if (size > rlen - off || type == 0)
			goto bad;
		off += size;
		if (type >= CTA_W_MAX)
			continue;       /* newer peer's attribute: skip */
		if (size != attr_size[type] || (seen & 1u << type))
			goto bad;
		seen |= 1u << type;
		switch ((enum ct_attr)type) {
		case CTA_W_PROTO:
			d.family = v[0];
			d.proto = v[1];
			break;
		case CTA_W_ORIG4: get_tuple(v, 4, &d.orig); break;
		case CTA_W_REPLY4: get_tuple(v, 4, &d.reply); break;
		case CTA_W_ORIG6: get_tuple(v, 16, &d.orig); break;
		case CTA_W_REPLY6: get_tuple(v, 16, &d.reply); break;
		case CTA_W_STATUS: d.status = get_u32(v); break;
		case CTA_W_TIMEOUT: d.timeout = get_u32(v); break;
		case CTA_W_MARK: d.mark = get_u32(v); break;
		case CTA_W_ZONE: d.zone = get_u16(v); break;
		case CTA_W_TCP:
			d.tcp_state = v[0];
			d.tcp_flags[0] = v[1];
			d.tcp_flags[1] = v[2];
			d.tcp_wscale[0] = v[3];
			d.tcp_wscale[1] = v[4];
			break;
		case CTA_W_SNAT4: get_nat(v, 4, &d.snat); break;
		case CTA_W_DNAT4: get_nat(v, 4, &d.dnat); break;
		case CTA_W_SNAT6: get_nat(v, 16, &d.snat); break;
		case CTA_W_DNAT6: get_nat(v, 16, &d.dnat); break;
		case CTA_W_MAX: goto bad;
		}
	}
	if (check_consistency(&d, seen))
		goto bad;
	*e = d;
	return (int)rlen;
bad:
	return -EBADMSG;
}

bool repl_ct_is_http(const struct repl_ct_entry *e)
{
	return e->proto == IPPROTO_TCP && e->orig.dport == 80;
}

const char *repl_ct_op_name(enum repl_ct_op op)
{
	static const char *const names[REPL_CT_OP_MAX] = {
		[REPL_CT_NEW] = "new",
		[REPL_CT_UPDATE] = "update",
		[REPL_CT_DESTROY] = "destroy",
	};
	if ((unsigned)op >= REPL_CT_OP_MAX || !names[op])
		return "?";
	return names[op];
}
