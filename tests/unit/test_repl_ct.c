/*
 * repl_ct: record codec (table-driven, every field, truncation, garbage)
 * and the real kernel: two namespaces per run, entries created in A,
 * dumped, encoded, decoded, injected into B and compared; create/update
 * retries, deletes, echo suppression, filter, event loss and its repair.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "replication/repl_ct.h"
#include "system/sys_buf.h"
#include "system/sys_netns.h"

/* ---- helpers -------------------------------------------------------------- */

static void v4(uint8_t *dst, const char *s)
{
	memset(dst, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, dst), 1);
}

static void v6(uint8_t *dst, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, dst), 1);
}

/* A TCP/UDP entry whose reply tuple is the plain inverse (no NAT yet). */
static struct repl_ct_entry mk(uint8_t proto, const char *src, const char *dst,
			       uint16_t sport, uint16_t dport)
{
	struct repl_ct_entry e = { .op = REPL_CT_NEW, .family = AF_INET,
				   .proto = proto, .timeout = 300,
				   .status = IPS_SEEN_REPLY | IPS_ASSURED };
	v4(e.orig.src, src);
	v4(e.orig.dst, dst);
	e.orig.sport = sport;
	e.orig.dport = dport;
	memcpy(e.reply.src, e.orig.dst, 16);
	memcpy(e.reply.dst, e.orig.src, 16);
	e.reply.sport = dport;
	e.reply.dport = sport;
	if (proto == IPPROTO_TCP) {
		e.tcp_state = TCP_CONNTRACK_ESTABLISHED;
		e.tcp_flags[0] = IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_WINDOW_SCALE;
		e.tcp_flags[1] = IP_CT_TCP_FLAG_SACK_PERM;
		e.tcp_wscale[0] = 7;
		e.tcp_wscale[1] = 9;
		e.timeout = 432000;
	}
	return e;
}

static void assert_entry_equal(const struct repl_ct_entry *a,
			       const struct repl_ct_entry *b)
{
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->proto, b->proto);
	assert_memory_equal(&a->orig, &b->orig, sizeof a->orig);
	assert_memory_equal(&a->reply, &b->reply, sizeof a->reply);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->timeout, b->timeout);
	assert_int_equal(a->mark, b->mark);
	assert_int_equal(a->zone, b->zone);
	assert_int_equal(a->tcp_state, b->tcp_state);
	assert_memory_equal(a->tcp_flags, b->tcp_flags, 2);
	assert_memory_equal(a->tcp_wscale, b->tcp_wscale, 2);
	assert_int_equal(a->snat.set, b->snat.set);
	assert_int_equal(a->dnat.set, b->dnat.set);
	if (a->snat.set) {
		assert_memory_equal(a->snat.addr, b->snat.addr, 16);
		assert_int_equal(a->snat.port, b->snat.port);
	}
	if (a->dnat.set) {
		assert_memory_equal(a->dnat.addr, b->dnat.addr, 16);
		assert_int_equal(a->dnat.port, b->dnat.port);
	}
}

/* ---- codec: round trip per field ------------------------------------------------ */

struct codec_case {
	const char *name;
	void (*make)(struct repl_ct_entry *e);
};

static void c_tcp(struct repl_ct_entry *e) { *e = mk(IPPROTO_TCP, "10.1.0.2", "192.0.2.7", 40000, 443); }
static void c_udp(struct repl_ct_entry *e) { *e = mk(IPPROTO_UDP, "10.1.0.3", "192.0.2.8", 5353, 53); }
static void c_icmp(struct repl_ct_entry *e)
{
	*e = mk(IPPROTO_ICMP, "10.1.0.4", "192.0.2.9", 0, 0);
	e->orig.sport = 0x1234;          /* echo id */
	e->orig.dport = 8 << 8;          /* echo request, code 0 */
	e->reply.sport = 0x1234;
	e->reply.dport = 0;
}
static void c_mark_zone(struct repl_ct_entry *e)
{
	c_tcp(e);
	e->mark = 0xdeadbeef;
	e->zone = 7;
	e->op = REPL_CT_UPDATE;
}
static void c_snat(struct repl_ct_entry *e)
{
	c_tcp(e);
	e->status |= IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
	v4(e->reply.dst, "198.51.100.1");
	e->reply.dport = 61000;
	e->snat.set = true;
	memcpy(e->snat.addr, e->reply.dst, 16);
	e->snat.port = 61000;
}
static void c_dnat(struct repl_ct_entry *e)
{
	c_udp(e);
	e->status |= IPS_DST_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
	v4(e->reply.src, "10.9.9.9");
	e->reply.sport = 5300;
	e->dnat.set = true;
	memcpy(e->dnat.addr, e->reply.src, 16);
	e->dnat.port = 5300;
}
static void c_both_nat(struct repl_ct_entry *e)
{
	c_snat(e);
	e->status |= IPS_DST_NAT;
	e->dnat.set = true;
	v4(e->dnat.addr, "10.8.8.8");
	e->dnat.port = 8443;
	e->op = REPL_CT_DESTROY;
}
static void c_v6(struct repl_ct_entry *e)
{
	c_tcp(e);
	e->family = AF_INET6;
	v6(e->orig.src, "2001:db8::1");
	v6(e->orig.dst, "2001:db8:1::2");
	memcpy(e->reply.src, e->orig.dst, 16);
	v6(e->reply.dst, "2001:db8:ffff::1");
	e->status |= IPS_SRC_NAT;
	e->snat.set = true;
	memcpy(e->snat.addr, e->reply.dst, 16);
	e->snat.port = 1024;
	e->dnat.set = true;
	v6(e->dnat.addr, "2001:db8:2::3");
	e->dnat.port = 0;
}
static void c_extremes(struct repl_ct_entry *e)
{
	c_tcp(e);
	e->status = 0xffffffff;
	e->timeout = 0xffffffff;
	e->mark = 1;
	e->zone = 0xffff;
	e->tcp_state = TCP_CONNTRACK_MAX - 1;
	e->tcp_flags[0] = 0xff;
	e->tcp_flags[1] = 0x80;
	e->tcp_wscale[0] = 14;
	e->tcp_wscale[1] = 0;
	e->orig.sport = 65535;
	e->orig.dport = 1;
}

static const struct codec_case codec_cases[] = {
	{ "tcp", c_tcp }, { "udp", c_udp }, { "icmp", c_icmp },
	{ "mark_zone_update", c_mark_zone }, { "snat", c_snat },
	{ "dnat", c_dnat }, { "both_nat_destroy", c_both_nat },
	{ "ipv6", c_v6 }, { "extremes", c_extremes },
};

static void test_codec_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof codec_cases / sizeof codec_cases[0]; i++) {
		struct repl_ct_entry in, out;
		struct buf b;
		buf_init(&b);
		codec_cases[i].make(&in);
		assert_int_equal(repl_ct_encode(&in, &b), 0);
		assert_true(b.len <= REPL_CT_RECORD_MAX);
		int n = repl_ct_decode(b.data, b.len, &out);
		if (n != (int)b.len)
			fail_msg("case %s: decode returned %d", codec_cases[i].name, n);
		assert_entry_equal(&in, &out);
		buf_free(&b);
	}
}

/* Each field changed alone must change the bytes and come back. */
static void test_codec_every_field_matters(void **state)
{
	(void)state;
	struct repl_ct_entry base;
	c_both_nat(&base);
	struct buf b0;
	buf_init(&b0);
	assert_int_equal(repl_ct_encode(&base, &b0), 0);
	uint8_t *bytes = (uint8_t *)&base;
	/* Flip one byte at a time in the fields the codec carries. */
	static const struct { size_t off, len; } fields[] = {
		{ offsetof(struct repl_ct_entry, tcp_state), 1 },
		{ offsetof(struct repl_ct_entry, tcp_flags), 2 },
		{ offsetof(struct repl_ct_entry, tcp_wscale), 2 },
		{ offsetof(struct repl_ct_entry, zone), 2 },
		{ offsetof(struct repl_ct_entry, status), 4 },
		{ offsetof(struct repl_ct_entry, timeout), 4 },
		{ offsetof(struct repl_ct_entry, mark), 4 },
		{ offsetof(struct repl_ct_entry, orig.src), 4 },
		{ offsetof(struct repl_ct_entry, orig.dst), 4 },
		{ offsetof(struct repl_ct_entry, orig.sport), 2 },
		{ offsetof(struct repl_ct_entry, orig.dport), 2 },
		{ offsetof(struct repl_ct_entry, reply.src), 4 },
		{ offsetof(struct repl_ct_entry, reply.dst), 4 },
		{ offsetof(struct repl_ct_entry, reply.sport), 2 },
		{ offsetof(struct repl_ct_entry, reply.dport), 2 },
		{ offsetof(struct repl_ct_entry, snat.addr), 4 },
		{ offsetof(struct repl_ct_entry, snat.port), 2 },
		{ offsetof(struct repl_ct_entry, dnat.addr), 4 },
		{ offsetof(struct repl_ct_entry, dnat.port), 2 },
	};
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
		for (size_t k = 0; k < fields[f].len; k++) {
			struct repl_ct_entry m = base, out;
			uint8_t *mb = (uint8_t *)&m;
			mb[fields[f].off + k] = (uint8_t)(bytes[fields[f].off + k] ^ 0x01);
			if (m.tcp_state >= TCP_CONNTRACK_MAX)
				continue;
			struct buf b;
			buf_init(&b);
			assert_int_equal(repl_ct_encode(&m, &b), 0);
			assert_true(b.len != b0.len || memcmp(b.data, b0.data, b.len));
			assert_int_equal(repl_ct_decode(b.data, b.len, &out), (int)b.len);
			assert_entry_equal(&m, &out);
			buf_free(&b);
		}
	}
	buf_free(&b0);
}

static void test_codec_rejects_unencodable(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	struct repl_ct_entry e;
	c_tcp(&e); e.op = 0;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	c_tcp(&e); e.op = REPL_CT_OP_MAX;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	c_tcp(&e); e.family = AF_UNIX;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	c_tcp(&e); e.proto = IPPROTO_SCTP;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	c_tcp(&e); e.tcp_state = TCP_CONNTRACK_MAX;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	c_tcp(&e); e.family = AF_INET6; e.proto = IPPROTO_ICMP;
	assert_int_equal(repl_ct_encode(&e, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Every prefix of a valid record is refused as truncated. */
static void test_codec_truncated(void **state)
{
	(void)state;
	struct repl_ct_entry e, out;
	c_v6(&e);
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_ct_encode(&e, &b), 0);
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(repl_ct_decode(b.data, len, &out), -EMSGSIZE);
	assert_int_equal(repl_ct_decode(NULL, 0, &out), -EMSGSIZE);
	buf_free(&b);
}

struct bad_case {
	const char *name;
	size_t off;          /* byte to overwrite in an encoded c_snat record */
	uint8_t value;
	int expect;
};

/* Record layout of c_snat: hdr(4) PROTO(2+2) ORIG4(2+12) REPLY4(2+12)
 * STATUS(2+4) TIMEOUT(2+4) TCP(2+5) SNAT4(2+6). */
static const struct bad_case bad_cases[] = {
	{ "version", 0, 2, -EPROTO },
	{ "op zero", 1, 0, -EBADMSG },
	{ "op high", 1, REPL_CT_OP_MAX, -EBADMSG },
	{ "length below header", 3, 2, -EBADMSG },
	{ "length beyond input", 2, 0x40, -EMSGSIZE },
	{ "attr type zero", 4, 0, -EBADMSG },
	{ "proto attr size", 5, 3, -EBADMSG },
	{ "family", 6, 99, -EBADMSG },
	{ "protocol", 7, 99, -EBADMSG },
	{ "orig size", 9, 11, -EBADMSG },
	{ "orig v6 type in v4", 8, 4, -EBADMSG },
	{ "duplicate reply", 22, 2, -EBADMSG },
	{ "tcp state", 50, 200, -EBADMSG },
	{ "attr overruns record", 56, 200, -EBADMSG },
};

static void test_codec_bad_fields(void **state)
{
	(void)state;
	struct repl_ct_entry e, out;
	c_snat(&e);
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_ct_encode(&e, &b), 0);
	assert_int_equal(b.len, 63);
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		uint8_t rec[256];
		memcpy(rec, b.data, b.len);
		rec[bad_cases[i].off] = bad_cases[i].value;
		int rc = repl_ct_decode(rec, b.len, &out);
		if (rc != bad_cases[i].expect)
			fail_msg("case %s: got %d want %d", bad_cases[i].name,
				 rc, bad_cases[i].expect);
		struct repl_ct_entry zero;
		memset(&zero, 0, sizeof zero);
		assert_memory_equal(&out, &zero, sizeof zero);
	}
	buf_free(&b);
}

/* Missing mandatory attributes and unknown (future) attributes. */
static void test_codec_missing_and_unknown(void **state)
{
	(void)state;
	struct repl_ct_entry e, out;
	c_udp(&e);
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_ct_encode(&e, &b), 0);
	/* c_udp: hdr(4) PROTO(4) ORIG4(14) REPLY4(14) STATUS(6) TIMEOUT(6) */
	assert_int_equal(b.len, 48);
	static const struct { size_t off, len; } drops[] = {
		{ 4, 4 }, { 8, 14 }, { 22, 14 }, { 36, 6 }, { 42, 6 },
	};
	for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
		uint8_t rec[64];
		size_t n = 0;
		memcpy(rec, b.data, drops[i].off);
		n = drops[i].off;
		memcpy(rec + n, b.data + drops[i].off + drops[i].len,
		       b.len - drops[i].off - drops[i].len);
		n += b.len - drops[i].off - drops[i].len;
		rec[2] = 0;
		rec[3] = (uint8_t)n;
		assert_int_equal(repl_ct_decode(rec, n, &out), -EBADMSG);
	}
	/* A TCP attribute on a UDP record is inconsistent. */
	{
		uint8_t rec[64];
		memcpy(rec, b.data, b.len);
		const uint8_t tcp[] = { 10, 5, 3, 0, 0, 0, 0 };
		memcpy(rec + b.len, tcp, sizeof tcp);
		rec[3] = (uint8_t)(b.len + sizeof tcp);
		assert_int_equal(repl_ct_decode(rec, b.len + sizeof tcp, &out), -EBADMSG);
	}
	/* An unknown attribute is skipped; trailing bytes after the record
	 * belong to the next record. */
	{
		uint8_t rec[80];
		memcpy(rec, b.data, b.len);
		const uint8_t future[] = { 200, 3, 1, 2, 3 };
		memcpy(rec + b.len, future, sizeof future);
		size_t n = b.len + sizeof future;
		rec[3] = (uint8_t)n;
		rec[n] = 0xee;   /* next record's first byte */
		assert_int_equal(repl_ct_decode(rec, n + 1, &out), (int)n);
		assert_entry_equal(&e, &out);
	}
	buf_free(&b);
}

/* Random bytes never crash the decoder and are nearly always refused;
 * whatever it accepts re-encodes to a valid record. */
static void test_codec_garbage(void **state)
{
	(void)state;
	unsigned seed = 12345;
	unsigned accepted_noise = 0;
	struct repl_ct_entry valid;
	c_both_nat(&valid);
	struct buf vb;
	buf_init(&vb);
	assert_int_equal(repl_ct_encode(&valid, &vb), 0);
	for (int i = 0; i < 200000; i++) {
		uint8_t rec[256];
		size_t len = (size_t)(rand_r(&seed) % sizeof rec);
		if (i & 1) {
			/* Mutations of a valid record find the deep paths. */
			memcpy(rec, vb.data, vb.len);
			len = vb.len;
			int flips = 1 + rand_r(&seed) % 4;
			for (int k = 0; k < flips; k++)
				rec[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		} else {
			for (size_t k = 0; k < len; k++)
				rec[k] = (uint8_t)rand_r(&seed);
			if (len)
				rec[0] = REPL_CT_VERSION;
		}
		struct repl_ct_entry out;
		int rc = repl_ct_decode(rec, len, &out);
		if (rc > 0) {
			if (!(i & 1))
				accepted_noise++;
			assert_true((size_t)rc <= len);
			struct buf b;
			buf_init(&b);
			assert_int_equal(repl_ct_encode(&out, &b), 0);
			struct repl_ct_entry again;
			assert_int_equal(repl_ct_decode(b.data, b.len, &again), (int)b.len);
			assert_entry_equal(&out, &again);
			buf_free(&b);
		} else {
			assert_true(rc == -EMSGSIZE || rc == -EPROTO || rc == -EBADMSG);
		}
	}
	/* Random noise (even with the right version) must not look valid. */
	assert_true(accepted_noise < 100);
	buf_free(&vb);
}

static void test_is_http(void **state)
{
	(void)state;
	struct repl_ct_entry e = mk(IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 1234, 80);
	assert_true(repl_ct_is_http(&e));
	e.orig.dport = 8080;
	assert_false(repl_ct_is_http(&e));
	e = mk(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1234, 80);
	assert_false(repl_ct_is_http(&e));
}

/* ---- kernel message parser ------------------------------------------------------ */

/* A ctnetlink message as the kernel sends it in dumps and events, built
 * by libnetfilter_conntrack (an independent builder) from E, whose reply
 * tuple already holds the NAT. */
static size_t build_kernel_msg(const struct repl_ct_entry *e, uint8_t *out,
			       size_t cap)
{
	struct nf_conntrack *o = nfct_new();
	bool is4 = e->family == AF_INET;
	bool ports = e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP;
	assert_non_null(o);
	nfct_set_attr_u8(o, ATTR_ORIG_L3PROTO, e->family);
	nfct_set_attr_u8(o, ATTR_ORIG_L4PROTO, e->proto);
	nfct_set_attr_u8(o, ATTR_REPL_L3PROTO, e->family);
	nfct_set_attr_u8(o, ATTR_REPL_L4PROTO, e->proto);
	if (is4) {
		uint32_t a;
		memcpy(&a, e->orig.src, 4); nfct_set_attr_u32(o, ATTR_ORIG_IPV4_SRC, a);
		memcpy(&a, e->orig.dst, 4); nfct_set_attr_u32(o, ATTR_ORIG_IPV4_DST, a);
		memcpy(&a, e->reply.src, 4); nfct_set_attr_u32(o, ATTR_REPL_IPV4_SRC, a);
		memcpy(&a, e->reply.dst, 4); nfct_set_attr_u32(o, ATTR_REPL_IPV4_DST, a);
	} else {
		nfct_set_attr(o, ATTR_ORIG_IPV6_SRC, e->orig.src);
		nfct_set_attr(o, ATTR_ORIG_IPV6_DST, e->orig.dst);
		nfct_set_attr(o, ATTR_REPL_IPV6_SRC, e->reply.src);
		nfct_set_attr(o, ATTR_REPL_IPV6_DST, e->reply.dst);
	}
	if (ports) {
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_SRC, htons(e->orig.sport));
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_DST, htons(e->orig.dport));
		nfct_set_attr_u16(o, ATTR_REPL_PORT_SRC, htons(e->reply.sport));
		nfct_set_attr_u16(o, ATTR_REPL_PORT_DST, htons(e->reply.dport));
	} else {
		nfct_set_attr_u16(o, ATTR_ICMP_ID, htons(e->orig.sport));
		nfct_set_attr_u8(o, ATTR_ICMP_TYPE, (uint8_t)(e->orig.dport >> 8));
		nfct_set_attr_u8(o, ATTR_ICMP_CODE, (uint8_t)e->orig.dport);
	}
	nfct_set_attr_u32(o, ATTR_STATUS, e->status);
	nfct_set_attr_u32(o, ATTR_TIMEOUT, e->timeout);
	nfct_set_attr_u32(o, ATTR_MARK, e->mark);
	if (e->zone)
		nfct_set_attr_u16(o, ATTR_ZONE, e->zone);
	if (e->proto == IPPROTO_TCP) {
		nfct_set_attr_u8(o, ATTR_TCP_STATE, e->tcp_state);
		nfct_set_attr_u8(o, ATTR_TCP_FLAGS_ORIG, e->tcp_flags[0]);
		nfct_set_attr_u8(o, ATTR_TCP_MASK_ORIG, 0xff);
		nfct_set_attr_u8(o, ATTR_TCP_FLAGS_REPL, e->tcp_flags[1]);
		nfct_set_attr_u8(o, ATTR_TCP_MASK_REPL, 0xff);
		nfct_set_attr_u8(o, ATTR_TCP_WSCALE_ORIG, e->tcp_wscale[0]);
		nfct_set_attr_u8(o, ATTR_TCP_WSCALE_REPL, e->tcp_wscale[1]);
	}
	memset(out, 0, cap);
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	h->nlmsg_len = NLMSG_SPACE(sizeof(struct nfgenmsg));
	h->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	struct nfgenmsg *g = NLMSG_DATA(h);
	g->nfgen_family = e->family;
	assert_true(nfct_nlmsg_build(h, o) >= 0);
	nfct_destroy(o);
	assert_true(h->nlmsg_len <= cap);
	return h->nlmsg_len;
}

static struct repl_ct_entry parse_case(int which)
{
	struct repl_ct_entry e;
	switch (which) {
	case 0:   /* TCP with source NAT: the reply comes back to the mapped port */
		e = mk(IPPROTO_TCP, "192.168.1.10", "203.0.113.5", 40000, 443);
		e.status |= IPS_SRC_NAT | IPS_SRC_NAT_DONE;
		v4(e.reply.dst, "198.51.100.1");
		e.reply.dport = 61000;
		e.snat.set = true;
		memcpy(e.snat.addr, e.reply.dst, 16);
		e.snat.port = 61000;
		e.mark = 0x2a;
		e.zone = 3;
		break;
	case 1:   /* UDP over IPv6 with destination NAT */
		e = mk(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 5353, 53);
		e.family = AF_INET6;
		v6(e.orig.src, "2001:db8::1");
		v6(e.orig.dst, "2001:db8::2");
		v6(e.reply.src, "2001:db8::99");
		v6(e.reply.dst, "2001:db8::1");
		e.reply.sport = 5300;
		e.status |= IPS_DST_NAT | IPS_DST_NAT_DONE;
		e.dnat.set = true;
		memcpy(e.dnat.addr, e.reply.src, 16);
		e.dnat.port = 5300;
		break;
	default:  /* ICMP echo: id in sport, type and code in dport */
		e = mk(IPPROTO_ICMP, "10.0.0.1", "10.0.0.2", 0, 0);
		e.orig.sport = 77;
		e.orig.dport = 8 << 8;
		e.reply.sport = 77;
		e.reply.dport = 0;
		break;
	}
	e.op = 0;
	e.status |= IPS_CONFIRMED;   /* as every entry of a dump */
	return e;
}

/* Every field comes through; a cut at any length and random damage give
 * an error or a partial entry, never a crash (ASan watches the reads). */
static void test_parse_kernel_message(void **state)
{
	(void)state;
	uint8_t msg[1024], bad[1024];
	struct repl_ct_entry got;
	for (int which = 0; which < 3; which++) {
		struct repl_ct_entry want = parse_case(which);
		size_t len = build_kernel_msg(&want, msg, sizeof msg);
		assert_int_equal(repl_ct_parse_nlmsg(msg, len, &got), 0);
		assert_entry_equal(&got, &want);
		/* The buffer shorter than the message's own length. */
		assert_int_equal(repl_ct_parse_nlmsg(msg, len - 1, &got), -EBADMSG);
		for (size_t cut = 0; cut < len; cut++) {
			memcpy(bad, msg, len);
			((struct nlmsghdr *)bad)->nlmsg_len = (uint32_t)cut;
			int rc = repl_ct_parse_nlmsg(bad, cut, &got);
			assert_true(rc == 0 || rc == -EBADMSG);
		}
		srand(7 + which);
		for (int round = 0; round < 20000; round++) {
			memcpy(bad, msg, len);
			for (int k = 0; k < 1 + round % 4; k++)
				bad[NLMSG_SPACE(sizeof(struct nfgenmsg)) +
				    (size_t)rand() % (len - NLMSG_SPACE(sizeof(struct nfgenmsg)))] =
					(uint8_t)rand();
			int rc = repl_ct_parse_nlmsg(bad, len, &got);
			assert_true(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		}
	}
	/* Not a conntrack message, an unreplicated family or protocol. */
	struct repl_ct_entry e = parse_case(0);
	size_t len = build_kernel_msg(&e, msg, sizeof msg);
	((struct nlmsghdr *)msg)->nlmsg_type = 16;   /* RTM_NEWLINK */
	assert_int_equal(repl_ct_parse_nlmsg(msg, len, &got), -EBADMSG);
	e.proto = IPPROTO_GRE;
	len = build_kernel_msg(&e, msg, sizeof msg);
	assert_int_equal(repl_ct_parse_nlmsg(msg, len, &got), -EPROTONOSUPPORT);
	e = parse_case(0);
	len = build_kernel_msg(&e, msg, sizeof msg);
	((struct nfgenmsg *)NLMSG_DATA((struct nlmsghdr *)msg))->nfgen_family = AF_BRIDGE;
	assert_int_equal(repl_ct_parse_nlmsg(msg, len, &got), -EPROTONOSUPPORT);
	assert_int_equal(repl_ct_parse_nlmsg(msg, 3, &got), -EBADMSG);
}

/* ---- real kernel ------------------------------------------------------------------ */

/* The hash the daemon asks for: a bucket per possible connection, within
 * [REPL_CT_HASH_BUCKETS, REPL_CT_HASH_BUCKETS_MAX], a power of two. */
static void test_hash_target(void **state)
{
	(void)state;
	assert_int_equal(repl_ct_hash_target(-1), REPL_CT_HASH_BUCKETS);
	assert_int_equal(repl_ct_hash_target(0), REPL_CT_HASH_BUCKETS);
	assert_int_equal(repl_ct_hash_target(262144), REPL_CT_HASH_BUCKETS);
	assert_int_equal(repl_ct_hash_target(1048576), 1048576);
	assert_int_equal(repl_ct_hash_target(1048577), 2097152);
	assert_int_equal(repl_ct_hash_target(4400000), 8388608);
	assert_int_equal(repl_ct_hash_target(100000000), REPL_CT_HASH_BUCKETS_MAX);
}

struct lab {
	char ns_a[32], ns_b[32];
	struct repl_ct *a, *b;
};

static int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof *l);
	snprintf(l->ns_a, sizeof l->ns_a, "t%dxcta", (int)getpid());
	snprintf(l->ns_b, sizeof l->ns_b, "t%dxctb", (int)getpid());
	int err = netns_create(l->ns_a);
	if (!err)
		err = netns_create(l->ns_b);
	if (!err)
		err = repl_ct_create(l->ns_a, &l->a);
	if (!err)
		err = repl_ct_create(l->ns_b, &l->b);
	*state = l;
	if (err)
		fprintf(stderr, "lab: %s\n", strerror(-err));
	return 0;   /* tests skip when the lab is incomplete */
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;
	repl_ct_destroy(l->a);
	repl_ct_destroy(l->b);
	netns_delete(l->ns_a);
	netns_delete(l->ns_b);
	free(l);
	return 0;
}

static struct lab *need_lab(void **state)
{
	struct lab *l = *state;
	if (!l->a || !l->b) {
		printf("SKIP: cannot create network namespaces / ctnetlink sockets here\n");
		skip();
	}
	return l;
}

struct collect {
	struct repl_ct_entry *v;
	size_t n, cap;
};

static int collect_fn(void *arg, const struct repl_ct_entry *e)
{
	struct collect *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = *e;
	return 0;
}

static const struct repl_ct_entry *find(const struct collect *c,
					const struct repl_ct_entry *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].proto == key->proto &&
		    !memcmp(&c->v[i].orig, &key->orig, sizeof key->orig))
			return &c->v[i];
	return NULL;
}

/* The fields that must survive the trip A -> record -> B. */
static void assert_same_connection(const struct repl_ct_entry *a,
				   const struct repl_ct_entry *b)
{
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->proto, b->proto);
	assert_memory_equal(&a->orig, &b->orig, sizeof a->orig);
	assert_memory_equal(&a->reply, &b->reply, sizeof a->reply);
	uint32_t keep = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED |
			IPS_SRC_NAT | IPS_DST_NAT;
	assert_int_equal(a->status & keep, b->status & keep);
	assert_int_equal(a->mark, b->mark);
	assert_int_equal(a->tcp_state, b->tcp_state);
	assert_int_equal(a->snat.set, b->snat.set);
	assert_int_equal(a->dnat.set, b->dnat.set);
	assert_memory_equal(&a->snat, &b->snat, sizeof a->snat);
	assert_memory_equal(&a->dnat, &b->dnat, sizeof a->dnat);
	/* Timeouts tick: B's copy is at most a few seconds younger. */
	assert_true(b->timeout <= a->timeout + 1 && b->timeout + 5 >= a->timeout);
}

/* The entries of the round-trip test: plain TCP, masqueraded TCP, DNATed
 * UDP, SNAT+DNAT TCP, ICMP echo. */
static size_t make_lab_entries(struct repl_ct_entry *v)
{
	size_t n = 0;
	v[n++] = mk(IPPROTO_TCP, "10.1.0.2", "192.0.2.7", 40000, 443);
	v[n] = mk(IPPROTO_TCP, "10.1.0.2", "192.0.2.7", 40001, 22);
	v[n].snat.set = true;
	v4(v[n].snat.addr, "198.51.100.1");
	v[n].snat.port = 61001;
	v[n].mark = 0x42;
	v[n].tcp_state = TCP_CONNTRACK_TIME_WAIT;
	v[n].timeout = 100;
	n++;
	v[n] = mk(IPPROTO_UDP, "192.0.2.50", "198.51.100.1", 5000, 53);
	v[n].dnat.set = true;
	v4(v[n].dnat.addr, "10.1.0.53");
	v[n].dnat.port = 5353;
	n++;
	v[n] = mk(IPPROTO_TCP, "10.1.0.9", "198.51.100.9", 33333, 8080);
	v[n].snat.set = true;
	v4(v[n].snat.addr, "198.51.100.1");
	v[n].snat.port = 0;
	v[n].dnat.set = true;
	v4(v[n].dnat.addr, "10.2.0.80");
	v[n].dnat.port = 80;
	v[n].tcp_state = TCP_CONNTRACK_SYN_RECV;
	v[n].status = IPS_SEEN_REPLY;
	v[n].timeout = 60;
	n++;
	v[n] = mk(IPPROTO_ICMP, "10.1.0.2", "192.0.2.7", 0, 0);
	v[n].orig.sport = 77;
	v[n].orig.dport = 8 << 8;
	v[n].timeout = 30;
	n++;
	return n;
}

static void test_kernel_roundtrip_nat_and_state(void **state)
{
	struct lab *l = need_lab(state);
	struct repl_ct_entry want[8];
	size_t n = make_lab_entries(want);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(repl_ct_inject(l->a, &want[i]), 0);
	assert_int_equal(repl_ct_inject_flush(l->a), 0);
	assert_int_equal(repl_ct_get_stats(l->a)->inject_ok, n);

	struct collect da = { 0 };
	assert_int_equal(repl_ct_dump(l->a, collect_fn, &da), (int)n);
	/* The kernel applied the NAT we asked for in A. */
	const struct repl_ct_entry *masq = find(&da, &want[1]);
	assert_non_null(masq);
	assert_true(masq->status & IPS_SRC_NAT);
	assert_true(masq->snat.set);
	assert_int_equal(masq->reply.dport, 61001);
	assert_int_equal(masq->tcp_state, TCP_CONNTRACK_TIME_WAIT);
	assert_int_equal(masq->mark, 0x42);
	assert_true(masq->tcp_flags[0] & IP_CT_TCP_FLAG_BE_LIBERAL);
	const struct repl_ct_entry *dn = find(&da, &want[2]);
	assert_non_null(dn);
	assert_true(dn->dnat.set);
	assert_int_equal(dn->reply.sport, 5353);
	assert_false(dn->snat.set);

	/* A -> records -> B, as the mate would. */
	struct buf wire;
	buf_init(&wire);
	for (size_t i = 0; i < da.n; i++)
		assert_int_equal(repl_ct_encode(&da.v[i], &wire), 0);
	size_t off = 0;
	while (off < wire.len) {
		struct repl_ct_entry e;
		int rc = repl_ct_decode(wire.data + off, wire.len - off, &e);
		assert_true(rc > 0);
		assert_int_equal(repl_ct_inject(l->b, &e), 0);
		off += (size_t)rc;
	}
	assert_int_equal(repl_ct_inject_flush(l->b), 0);

	struct collect db = { 0 };
	assert_int_equal(repl_ct_dump(l->b, collect_fn, &db), (int)n);
	for (size_t i = 0; i < da.n; i++) {
		const struct repl_ct_entry *b = find(&db, &da.v[i]);
		assert_non_null(b);
		assert_same_connection(&da.v[i], b);
		if (b->proto == IPPROTO_TCP) {
			assert_true(b->tcp_flags[0] & IP_CT_TCP_FLAG_BE_LIBERAL);
			assert_true(b->tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL);
		}
	}
	buf_free(&wire);
	free(da.v);
	free(db.v);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
	assert_int_equal(repl_ct_flush_table(l->b), 0);
	struct collect dz = { 0 };
	assert_int_equal(repl_ct_dump(l->b, collect_fn, &dz), 0);
	free(dz.v);
}

/* conntrackd's external_inject rules: NEW on an existing entry updates
 * it, UPDATE of a missing entry creates it, DESTROY of a missing entry is
 * not an error. */
static void test_kernel_create_update_delete(void **state)
{
	struct lab *l = need_lab(state);
	repl_ct_clear_stats(l->b);
	struct repl_ct_entry e = mk(IPPROTO_TCP, "10.3.0.1", "10.3.0.2", 1000, 2000);

	e.op = REPL_CT_UPDATE;                     /* missing: created */
	assert_int_equal(repl_ct_inject(l->b, &e), 0);
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	const struct repl_ct_stats *st = repl_ct_get_stats(l->b);
	assert_int_equal(st->inject_enoent, 1);
	assert_int_equal(st->inject_ok, 1);

	e.op = REPL_CT_NEW;                        /* exists: updated */
	e.mark = 7;
	e.tcp_state = TCP_CONNTRACK_FIN_WAIT;
	assert_int_equal(repl_ct_inject(l->b, &e), 0);
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	assert_int_equal(st->inject_eexist, 1);
	assert_int_equal(st->inject_ok, 2);
	struct collect d = { 0 };
	assert_int_equal(repl_ct_dump(l->b, collect_fn, &d), 1);
	assert_int_equal(d.v[0].mark, 7);
	assert_int_equal(d.v[0].tcp_state, TCP_CONNTRACK_FIN_WAIT);
	free(d.v);

	e.op = REPL_CT_DESTROY;
	assert_int_equal(repl_ct_inject(l->b, &e), 0);
	assert_int_equal(repl_ct_inject(l->b, &e), 0);   /* already gone */
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	assert_int_equal(st->inject_ok, 3);
	assert_int_equal(st->inject_enoent, 2);
	struct collect d2 = { 0 };
	assert_int_equal(repl_ct_dump(l->b, collect_fn, &d2), 0);
	free(d2.v);

	/* Invalid entries are refused before they reach the kernel. */
	e.op = 0;
	assert_int_equal(repl_ct_inject(l->b, &e), -EINVAL);
}

/* Every entry the kernel did not take after its retry is counted in
 * inject_failed (the receiver's rerr), whatever the error: a replicated
 * entry whose REPLY tuple collides with an entry of another original
 * tuple fails its create (EEXIST) and then its update (ENOENT: nothing
 * has its original tuple).  Entries that install, and deletes of what is
 * already gone, are not failures. */
struct failed_case {
	const char *name;
	uint8_t op;             /* of the replicated entry */
	bool collide;           /* a stale entry holds its reply tuple */
	uint64_t want_failed;
};

static const struct failed_case failed_cases[] = {
	{ "create, reply tuple taken", REPL_CT_NEW, true, 1 },
	{ "update, reply tuple taken", REPL_CT_UPDATE, true, 1 },
	{ "create, free", REPL_CT_NEW, false, 0 },
	{ "update of a missing entry, free", REPL_CT_UPDATE, false, 0 },
	{ "delete of a missing entry", REPL_CT_DESTROY, false, 0 },
};

/* UDP SRC:3000 -> DST:2000 with its source NATed to NAT:1000: its reply
 * tuple is that of a stale entry NAT:1000 -> DST:2000. */
static struct repl_ct_entry reply_taken(const char *src, const char *dst,
					const char *nat)
{
	struct repl_ct_entry e = mk(IPPROTO_UDP, src, dst, 3000, 2000);
	e.status |= IPS_SRC_NAT;
	e.snat.set = true;
	v4(e.snat.addr, nat);
	e.snat.port = 1000;
	return e;
}

static void test_kernel_inject_failed_counted(void **state)
{
	struct lab *l = need_lab(state);
	for (size_t i = 0; i < sizeof failed_cases / sizeof failed_cases[0]; i++) {
		const struct failed_case *fc = &failed_cases[i];
		assert_int_equal(repl_ct_flush_table(l->b), 0);
		repl_ct_clear_stats(l->b);
		/* The stale entry: 10.6.0.1:1000 -> 10.6.0.2:2000, reply
		 * 10.6.0.2:2000 -> 10.6.0.1:1000. */
		struct repl_ct_entry stale = mk(IPPROTO_UDP, "10.6.0.1", "10.6.0.2",
						1000, 2000);
		if (fc->collide) {
			assert_int_equal(repl_ct_inject(l->b, &stale), 0);
			assert_int_equal(repl_ct_inject_flush(l->b), 0);
		}
		/* The replicated one: 10.6.0.3:3000 -> 10.6.0.2:2000, source
		 * NATed to 10.6.0.1:1000, so its reply tuple is the stale
		 * entry's. */
		struct repl_ct_entry e = reply_taken("10.6.0.3", "10.6.0.2",
						     "10.6.0.1");
		e.op = fc->op;
		uint64_t base = repl_ct_get_stats(l->b)->inject_failed;
		assert_int_equal(repl_ct_inject(l->b, &e), 0);
		int rc = repl_ct_inject_flush(l->b);
		const struct repl_ct_stats *st = repl_ct_get_stats(l->b);
		if (st->inject_failed - base != fc->want_failed)
			fail_msg("%s: inject_failed %llu, want %llu (rc %d)", fc->name,
				 (unsigned long long)(st->inject_failed - base),
				 (unsigned long long)fc->want_failed, rc);
		assert_int_equal(rc != 0, fc->want_failed != 0);
		if (fc->collide) {
			/* Both attempts failed, as the kernel said. */
			assert_int_equal(st->inject_eexist, 1);
			assert_int_equal(st->inject_enoent, 1);
			/* The stale entry is untouched, the new one absent. */
			struct collect d = { 0 };
			assert_int_equal(repl_ct_dump(l->b, collect_fn, &d), 1);
			assert_int_equal(d.v[0].orig.sport, 1000);
			free(d.v);
		}
	}
	assert_int_equal(repl_ct_flush_table(l->b), 0);
}

/* The writer child (repl_ct_writer_start): batches are installed off the
 * caller's process in order, a dump waits for every batch handed over
 * before it, the kernel's refusals reach the callback by protocol and the
 * stats, and a writer that dies hands injection back, its unanswered
 * batches counted. */
struct written {
	uint64_t failed_tcp, failed_udp;
	int gone;
};

static void on_written_cb(void *arg, const struct repl_ct_written *w)
{
	struct written *got = arg;
	got->failed_tcp += w->failed_tcp;
	got->failed_udp += w->failed_udp;
	got->gone += w->writer_gone;
}

static void test_kernel_writer(void **state)
{
	struct lab *l = need_lab(state);
	struct repl_ct *w = NULL;
	struct written got = { 0 };
	assert_int_equal(repl_ct_flush_table(l->b), 0);
	assert_int_equal(repl_ct_create(l->ns_b, &w), 0);
	assert_int_equal(repl_ct_writer_start(w, on_written_cb, &got), 0);
	assert_true(repl_ct_writer_fd(w) >= 0);
	pid_t child = repl_ct_writer_pid(w);
	assert_true(child > 0);

	/* 600 TCP entries in batches of 64: the flushes only hand over. */
	for (int i = 0; i < 600; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, "10.7.0.1", "10.7.0.2",
					    (uint16_t)(10000 + i), 80);
		assert_int_equal(repl_ct_inject(w, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(w), 0);
	/* A refused one (its reply tuple taken by a stale entry). */
	struct repl_ct_entry stale = mk(IPPROTO_UDP, "10.7.1.1", "10.7.1.2",
					1000, 2000);
	assert_int_equal(repl_ct_inject(l->b, &stale), 0);
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	struct repl_ct_entry bad = reply_taken("10.7.1.3", "10.7.1.2", "10.7.1.1");
	assert_int_equal(repl_ct_inject(w, &bad), 0);
	assert_int_equal(repl_ct_inject_flush(w), 0);

	/* The dump sees everything handed over before it. */
	struct collect d = { 0 };
	assert_int_equal(repl_ct_dump(w, collect_fn, &d), 601);
	free(d.v);
	assert_int_equal(repl_ct_writer_pending(w), 0);
	assert_int_equal(got.failed_tcp, 0);
	assert_int_equal(got.failed_udp, 1);
	const struct repl_ct_stats *st = repl_ct_get_stats(w);
	assert_int_equal(st->inject_failed, 1);
	assert_int_equal(st->inject_ok, 600);
	assert_true(st->inject_sendmsg >= 10);   /* counted by the child */

	/* The writer dies: its end is seen, injection comes back here. */
	assert_int_equal(kill(child, SIGKILL), 0);
	struct pollfd p = { .fd = repl_ct_writer_fd(w), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(repl_ct_writer_read(w) < 0);
	assert_int_equal(got.gone, 1);
	assert_int_equal(repl_ct_writer_fd(w), -1);
	for (int i = 0; i < 5; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, "10.7.2.1", "10.7.2.2",
					    (uint16_t)(20000 + i), 80);
		assert_int_equal(repl_ct_inject(w, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(w), 0);
	struct collect d2 = { 0 };
	assert_int_equal(repl_ct_dump(w, collect_fn, &d2), 606);
	free(d2.v);
	repl_ct_destroy(w);
	assert_int_equal(repl_ct_flush_table(l->b), 0);
}

static bool no_http(void *arg, const struct repl_ct_entry *e)
{
	(void)arg;
	return !repl_ct_is_http(e);
}

static void test_kernel_filter(void **state)
{
	struct lab *l = need_lab(state);
	repl_ct_clear_stats(l->a);
	struct repl_ct_entry e1 = mk(IPPROTO_TCP, "10.4.0.1", "10.4.0.2", 1000, 80);
	struct repl_ct_entry e2 = mk(IPPROTO_TCP, "10.4.0.1", "10.4.0.2", 1001, 443);
	assert_int_equal(repl_ct_inject(l->a, &e1), 0);
	assert_int_equal(repl_ct_inject(l->a, &e2), 0);
	assert_int_equal(repl_ct_inject_flush(l->a), 0);
	repl_ct_set_filter(l->a, no_http, NULL);
	struct collect d = { 0 };
	assert_int_equal(repl_ct_dump(l->a, collect_fn, &d), 1);
	assert_int_equal(d.v[0].orig.dport, 443);
	assert_int_equal(repl_ct_get_stats(l->a)->filtered, 1);
	repl_ct_set_filter(l->a, NULL, NULL);
	d.n = 0;
	assert_int_equal(repl_ct_dump(l->a, collect_fn, &d), 2);
	free(d.v);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
}

/* Events from another writer are delivered; our own injections are not
 * (a unit that took over must not replay what it received). */
static void test_kernel_events_and_echo(void **state)
{
	struct lab *l = need_lab(state);
	struct repl_ct *writer;
	assert_int_equal(repl_ct_create(l->ns_a, &writer), 0);
	repl_ct_clear_stats(l->a);
	assert_int_equal(repl_ct_subscribe(l->a, 0), 0);
	assert_true(repl_ct_event_fd(l->a) >= 0);
	assert_int_equal(repl_ct_subscribe(l->a, 0), -EALREADY);

	enum { N = 1000 };
	for (int i = 0; i < N; i++) {
		struct repl_ct_entry e = mk(IPPROTO_UDP, "10.5.0.1", "10.5.0.2",
					    (uint16_t)(10000 + i), 53);
		assert_int_equal(repl_ct_inject(writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(writer), 0);
	/* Our own: echoes. */
	for (int i = 0; i < 10; i++) {
		struct repl_ct_entry e = mk(IPPROTO_UDP, "10.5.1.1", "10.5.1.2",
					    (uint16_t)(10000 + i), 53);
		assert_int_equal(repl_ct_inject(l->a, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->a), 0);

	struct collect ev = { 0 };
	int rc = repl_ct_read_events(l->a, collect_fn, &ev);
	assert_int_equal(rc, N);
	assert_int_equal(ev.n, N);
	for (size_t i = 0; i < ev.n; i++) {
		assert_int_equal(ev.v[i].op, REPL_CT_NEW);
		assert_int_equal(ev.v[i].orig.dport, 53);
	}
	assert_true(repl_ct_get_stats(l->a)->events_echo >= 10);
	assert_int_equal(repl_ct_get_stats(l->a)->events_lost, 0);

	/* Deletes arrive as DESTROY. */
	ev.n = 0;
	struct repl_ct_entry d = mk(IPPROTO_UDP, "10.5.0.1", "10.5.0.2", 10000, 53);
	d.op = REPL_CT_DESTROY;
	assert_int_equal(repl_ct_inject(writer, &d), 0);
	assert_int_equal(repl_ct_inject_flush(writer), 0);
	assert_int_equal(repl_ct_read_events(l->a, collect_fn, &ev), 1);
	assert_int_equal(ev.v[0].op, REPL_CT_DESTROY);
	free(ev.v);
	repl_ct_destroy(writer);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
}

static int discard_fn(void *arg, const struct repl_ct_entry *e)
{
	(void)arg; (void)e;
	return 0;
}

static int inject_fn(void *arg, const struct repl_ct_entry *e)
{
	return repl_ct_inject(arg, e);
}

/* A small event buffer overflows: the loss is reported (never silent) and
 * a bulk pass (dump A, inject B) repairs the mate's table. */
static void test_kernel_event_loss_and_bulk_repair(void **state)
{
	struct lab *l = need_lab(state);
	char ns_c[40];
	snprintf(ns_c, sizeof ns_c, "t%dxctc", (int)getpid());
	assert_int_equal(netns_create(ns_c), 0);
	struct repl_ct *c, *writer;
	assert_int_equal(repl_ct_create(ns_c, &c), 0);
	assert_int_equal(repl_ct_create(ns_c, &writer), 0);
	assert_int_equal(repl_ct_subscribe(c, 4096), 0);
	assert_int_equal(repl_ct_flush_table(l->b), 0);

	enum { N = 5000 };
	for (int i = 0; i < N; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, "10.6.0.1", "10.6.0.2",
					    (uint16_t)(20000 + i), 443);
		assert_int_equal(repl_ct_inject(writer, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(writer), 0);

	/* Incremental path: events from C go to B. */
	int rc = repl_ct_read_events(c, inject_fn, l->b);
	assert_int_equal(rc, REPL_CT_LOST);
	assert_true(repl_ct_get_stats(c)->events_lost > 0);
	while ((rc = repl_ct_read_events(c, inject_fn, l->b)) > 0)
		;
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	struct collect db = { 0 };
	int have = repl_ct_dump(l->b, collect_fn, &db);
	assert_true(have < N);   /* the hole the loss left */

	/* Repair: bulk. */
	assert_int_equal(repl_ct_dump(c, inject_fn, l->b), N);
	assert_int_equal(repl_ct_inject_flush(l->b), 0);
	db.n = 0;
	assert_int_equal(repl_ct_dump(l->b, collect_fn, &db), N);
	free(db.v);
	(void)discard_fn;

	repl_ct_destroy(writer);
	repl_ct_destroy(c);
	netns_delete(ns_c);
	assert_int_equal(repl_ct_flush_table(l->b), 0);
}

/* One step that delivers something: waits for the child's pipe while
 * steps find it empty.  Returns the step's result. */
static int step_to(struct repl_ct *ct, size_t max, struct collect *got)
{
	bool done = false;
	for (;;) {
		int n = repl_ct_dump_step(ct, max, collect_fn, got, &done);
		if (n != 0 || done || !repl_ct_dump_waiting(ct))
			return n;
		struct pollfd p = { .fd = repl_ct_dump_fd(ct), .events = POLLIN };
		assert_true(poll(&p, 1, 10000) == 1);
	}
}

/* A whole stepwise dump (or flush, FN NULL) as a loop would run it,
 * polling the pipe when a step finds it empty: the last step's result. */
static int run_job(struct repl_ct *ct, size_t max, struct collect *got)
{
	bool done = false;
	int rc = 0;
	while (!done) {
		rc = got ? repl_ct_dump_step(ct, max, collect_fn, got, &done)
			 : repl_ct_flush_step(ct, &done);
		if (!done && repl_ct_dump_waiting(ct)) {
			struct pollfd p = { .fd = repl_ct_dump_fd(ct),
					    .events = POLLIN };
			assert_true(poll(&p, 1, 10000) == 1);
		}
	}
	assert_false(repl_ct_dump_running(ct));
	assert_int_equal(repl_ct_dump_fd(ct), -1);
	return rc;
}

static void fill(struct repl_ct *ct, const char *src, int n)
{
	for (int i = 0; i < n; i++) {
		struct repl_ct_entry e = mk(i % 3 ? IPPROTO_TCP : IPPROTO_UDP,
					    src, "10.7.0.2",
					    (uint16_t)(20000 + i), 443);
		assert_int_equal(repl_ct_inject(ct, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(ct), 0);
}

/* The dump runs in a child that inherits a socket bound to the context's
 * namespace: it returns exactly that namespace's entries (none of the
 * other namespace's, each once), the flush empties only its namespace,
 * and no child is left behind. */
static void test_kernel_child_dump_exact(void **state)
{
	struct lab *l = need_lab(state);
	enum { NA = 300, NB = 120 };
	assert_int_equal(repl_ct_flush_table(l->a), 0);
	assert_int_equal(repl_ct_flush_table(l->b), 0);
	fill(l->a, "10.61.0.1", NA);
	fill(l->b, "10.62.0.1", NB);
	uint64_t children = repl_ct_get_stats(l->a)->dump_children;

	static const size_t steps[] = { 7, 1024 };
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct collect got = { 0 };
		assert_int_equal(repl_ct_dump_begin(l->a), 0);
		pid_t child = repl_ct_dump_child(l->a);
		assert_true(child > 0);
		assert_true(repl_ct_dump_fd(l->a) >= 0);
		assert_true(run_job(l->a, steps[k], &got) >= 0);
		assert_int_equal(got.n, NA);
		bool seen[NA] = { false };
		for (size_t i = 0; i < got.n; i++) {
			uint8_t want_src[16];
			v4(want_src, "10.61.0.1");
			assert_memory_equal(got.v[i].orig.src, want_src, 16);
			int idx = got.v[i].orig.sport - 20000;
			assert_true(idx >= 0 && idx < NA);
			assert_false(seen[idx]);
			seen[idx] = true;
			assert_int_equal(got.v[i].proto,
					 idx % 3 ? IPPROTO_TCP : IPPROTO_UDP);
		}
		free(got.v);
		/* Reaped by the module's next step, not left a zombie (a
		 * zombie still answers kill 0). */
		bool reaped = false;
		for (int i = 0; i < 200 && !reaped; i++) {
			bool done;
			assert_int_equal(repl_ct_dump_step(l->a, 1, collect_fn,
							   &got, &done), 0);
			reaped = kill(child, 0) < 0 && errno == ESRCH;
			if (!reaped)
				usleep(5000);
		}
		assert_true(reaped);
	}
	assert_int_equal(repl_ct_get_stats(l->a)->dump_children, children + 2);
	assert_int_equal(repl_ct_get_stats(l->a)->dump_child_failed, 0);

	/* Flush of B through the child: B empty, A untouched. */
	assert_int_equal(repl_ct_flush_begin(l->b), 0);
	assert_int_equal(run_job(l->b, 1, NULL), 0);
	assert_int_equal(repl_ct_count(l->b), 0);
	assert_int_equal(repl_ct_count(l->a), NA);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
}

/* A child that dies half-way: the dump ends with -EPIPE (never a
 * silently short table), the failure is counted, and the next dump
 * (what the caller's next periodic or bulk pass does) gets everything. */
static void test_kernel_child_dump_fails(void **state)
{
	struct lab *l = need_lab(state);
	enum { N = 12000 };   /* more bytes than the pipe holds */
	assert_int_equal(repl_ct_flush_table(l->a), 0);
	fill(l->a, "10.63.0.1", N);
	uint64_t failed = repl_ct_get_stats(l->a)->dump_child_failed;

	assert_int_equal(repl_ct_dump_begin(l->a), 0);
	int fd = repl_ct_dump_fd(l->a);
	int cap = fcntl(fd, F_GETPIPE_SZ);
	assert_true(cap > 0);
	/* Wait until the child has (nearly: writes fill whole pages) filled
	 * the pipe: it is then blocked in write with the rest of the table
	 * still to send. */
	int queued = 0, full = cap - 64 * 1024;
	for (int i = 0; i < 1000 && queued < full; i++) {
		assert_int_equal(ioctl(fd, FIONREAD, &queued), 0);
		if (queued < full)
			usleep(10000);
	}
	if (queued < full)
		fail_msg("pipe holds %d of %d bytes", queued, cap);
	assert_int_equal(kill(repl_ct_dump_child(l->a), SIGKILL), 0);
	struct collect got = { 0 };
	assert_int_equal(run_job(l->a, 1024, &got), -EPIPE);
	assert_true(got.n > 0 && got.n < N);
	assert_int_equal(repl_ct_get_stats(l->a)->dump_child_failed, failed + 1);
	free(got.v);

	/* The repair: a new dump, every entry. */
	struct collect all = { 0 };
	assert_int_equal(repl_ct_dump_begin(l->a), 0);
	assert_true(run_job(l->a, 4096, &all) >= 0);
	assert_int_equal(all.n, N);
	free(all.v);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
}

/* The stepwise dump delivers the whole table, no entry twice, in steps
 * that stop soon after MAX (whole kernel messages only), and can be
 * cancelled and restarted. */
static void test_kernel_dump_in_steps(void **state)
{
	struct lab *l = need_lab(state);
	enum { N = 3000 };
	assert_int_equal(repl_ct_flush_table(l->a), 0);
	for (int i = 0; i < N; i++) {
		struct repl_ct_entry e = mk(IPPROTO_TCP, "10.7.0.1", "10.7.0.2",
					    (uint16_t)(10000 + i), 443);
		assert_int_equal(repl_ct_inject(l->a, &e), 0);
	}
	assert_int_equal(repl_ct_inject_flush(l->a), 0);

	static const size_t steps[] = { 1, 100, 1000, 100000 };
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct collect got = { 0 };
		bool done = false;
		int calls = 0;
		assert_false(repl_ct_dump_running(l->a));
		assert_int_equal(repl_ct_dump_begin(l->a), 0);
		assert_true(repl_ct_dump_running(l->a));
		while (!done) {
			size_t before = got.n;
			int n = repl_ct_dump_step(l->a, steps[k], collect_fn, &got, &done);
			assert_true(n >= 0);
			assert_int_equal((size_t)n, got.n - before);
			/* one kernel message past MAX at most */
			assert_true((size_t)n < steps[k] + 1024);
			calls++;
		}
		assert_false(repl_ct_dump_running(l->a));
		assert_int_equal(got.n, N);
		for (size_t i = 0; i < got.n; i++)
			for (size_t j = i + 1; j < got.n; j++)
				assert_false(got.v[i].orig.sport == got.v[j].orig.sport);
		if (steps[k] == 1)
			assert_true(calls > 3);
		free(got.v);
	}
	/* Cancel half-way, start again: the whole table again. */
	struct collect got = { 0 };
	bool done = false;
	assert_int_equal(repl_ct_dump_begin(l->a), 0);
	assert_true(step_to(l->a, 10, &got) > 0);
	repl_ct_dump_cancel(l->a);
	got.n = 0;
	assert_int_equal(repl_ct_dump_begin(l->a), 0);
	while (!done)
		assert_true(repl_ct_dump_step(l->a, 500, collect_fn, &got, &done) >= 0);
	assert_int_equal(got.n, N);
	free(got.v);
	/* A step without a dump is an empty, finished one. */
	assert_int_equal(repl_ct_dump_step(l->a, 10, collect_fn, &got, &done), 0);
	assert_true(done);
	assert_int_equal(repl_ct_flush_table(l->a), 0);
}

static void test_kernel_bad_namespace(void **state)
{
	(void)state;
	struct repl_ct *ct = (struct repl_ct *)1;
	assert_int_equal(repl_ct_create("t-no-such-ns-xyz", &ct), -ENOENT);
	assert_null(ct);
}

int main(void)
{
	const struct CMUnitTest codec[] = {
		cmocka_unit_test(test_hash_target),
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_every_field_matters),
		cmocka_unit_test(test_codec_rejects_unencodable),
		cmocka_unit_test(test_codec_truncated),
		cmocka_unit_test(test_codec_bad_fields),
		cmocka_unit_test(test_codec_missing_and_unknown),
		cmocka_unit_test(test_codec_garbage),
		cmocka_unit_test(test_is_http),
		cmocka_unit_test(test_parse_kernel_message),
	};
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test(test_kernel_roundtrip_nat_and_state),
		cmocka_unit_test(test_kernel_create_update_delete),
		cmocka_unit_test(test_kernel_inject_failed_counted),
		cmocka_unit_test(test_kernel_writer),
		cmocka_unit_test(test_kernel_filter),
		cmocka_unit_test(test_kernel_events_and_echo),
		cmocka_unit_test(test_kernel_event_loss_and_bulk_repair),
		cmocka_unit_test(test_kernel_dump_in_steps),
		cmocka_unit_test(test_kernel_child_dump_exact),
		cmocka_unit_test(test_kernel_child_dump_fails),
		cmocka_unit_test(test_kernel_bad_namespace),
	};
	int failed = cmocka_run_group_tests_name("repl_ct codec", codec, NULL, NULL);
	failed += cmocka_run_group_tests_name("repl_ct kernel", kernel,
					      lab_setup, lab_teardown);
	return failed;
}
