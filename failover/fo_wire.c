/*
 * fo_wire: encoders and the validating decoder for the failover wire
 * format described in fo_wire.h.
 *
 * Two tables drive both directions: attr_specs[] gives every attribute's
 * value size bounds, and msg_specs[] gives every message type its channel
 * and the attributes it may carry (with min/max counts).  The decoder
 * checks everything against those tables before any value is read, so
 * the per-type fill functions only interpret values of known, bounded
 * size.
 */
#include "failover/fo_wire.h"

#include <errno.h>
#include <string.h>

/* Attribute numbers on the wire.  Never renumber: append. */
enum fo_attr {
	A_NONE,
	A_ROLE,
	A_SWVER,
	A_POLL_MS,
	A_HOLD_MS,
	A_GROUP_INFO,   /* group u8, state u8, active u32, mon u16, failed u16 */
	A_CTX_DIGEST,   /* md5[16], name */
	A_IF_SUMMARY,   /* group u8, status u8, ctxlen u8, context, ifname */
	A_GROUP,
	A_ACTION,
	A_REASON,
	A_REASON_TEXT,
	A_CONTEXT,
	A_CMD_TEXT,
	A_CMD_SEQ,
	A_SYNC_ID,
	A_COUNT,
	A_TOTAL,
	A_OFFSET32,
	A_OFFSET64,
	A_DATA,
	A_MD5,
	A_PATH,
	A_STATE_REC,    /* obj_type u16, bytes */
	A_GROUP_MASK,
	A_CHANNEL,
	A_EXEC_ID,
	A_STATUS,
	A_MORE,
	A_IFNAME,
	A_FSM_SNAP,     /* flags u8, role u8, per group: state u8, reason u8,
			   faults u32, active u32 */
	A_MAX
};

#define GROUP_INFO_LEN 10
#define FSM_SNAP_LEN (2 + FO_GROUPS * 10)
#define IF_SUMMARY_FIXED 3

struct attr_spec {
	uint16_t min_len;
	uint16_t max_len;
};

/* Value size bounds; min == max means an exact size. */
static const struct attr_spec attr_specs[] = {
	[A_NONE]        = { 1, 0 },     /* impossible bounds: never valid */
	[A_ROLE]        = { 1, 1 },
	[A_SWVER]       = { 1, FO_SWVER_MAX },
	[A_POLL_MS]     = { 4, 4 },
	[A_HOLD_MS]     = { 4, 4 },
	[A_GROUP_INFO]  = { GROUP_INFO_LEN, GROUP_INFO_LEN },
	[A_CTX_DIGEST]  = { FO_MD5_LEN + 1, FO_MD5_LEN + FO_NAME_MAX },
	[A_IF_SUMMARY]  = { IF_SUMMARY_FIXED + 2,
			    IF_SUMMARY_FIXED + 2 * FO_NAME_MAX },
	[A_GROUP]       = { 1, 1 },
	[A_ACTION]      = { 1, 1 },
	[A_REASON]      = { 2, 2 },
	[A_REASON_TEXT] = { 1, FO_REASON_TEXT_MAX },
	[A_CONTEXT]     = { 1, FO_NAME_MAX },
	[A_CMD_TEXT]    = { 1, FO_CMD_TEXT_MAX },
	[A_CMD_SEQ]     = { 8, 8 },
	[A_SYNC_ID]     = { 4, 4 },
	[A_COUNT]       = { 4, 4 },
	[A_TOTAL]       = { 8, 8 },
	[A_OFFSET32]    = { 4, 4 },
	[A_OFFSET64]    = { 8, 8 },
	[A_DATA]        = { 0, FO_DATA_MAX },
	[A_MD5]         = { FO_MD5_LEN, FO_MD5_LEN },
	[A_PATH]        = { 1, FO_PATH_MAX },
	[A_STATE_REC]   = { 2, 2 + FO_STATE_REC_LEN_MAX },
	[A_GROUP_MASK]  = { 1, 1 },
	[A_CHANNEL]     = { 1, 1 },
	[A_EXEC_ID]     = { 4, 4 },
	[A_STATUS]      = { 4, 4 },
	[A_MORE]        = { 1, 1 },
	[A_IFNAME]      = { 1, FO_NAME_MAX },
	[A_FSM_SNAP]    = { FSM_SNAP_LEN, FSM_SNAP_LEN },
};
_Static_assert(sizeof attr_specs / sizeof attr_specs[0] == A_MAX,
	       "attr_specs must cover every attribute");

struct attr_rule {
	uint8_t attr;
	uint8_t required;       /* 1: must appear */
	uint16_t max_count;
};

#define MAX_RULES 8

struct msg_spec {
	const char *name;
	enum fo_channel channel;
	struct attr_rule rules[MAX_RULES];   /* terminated by attr == A_NONE */
};

static const struct msg_spec msg_specs[] = {
	[FO_WT_NONE] = { "NONE", FO_CH_MAX, { { A_NONE, 0, 0 } } },
	[FO_WT_HELLO] = { "HELLO", FO_CH_CONTROL, {
		{ A_ROLE, 1, 1 }, { A_SWVER, 1, 1 }, { A_POLL_MS, 1, 1 },
		{ A_HOLD_MS, 1, 1 }, { A_GROUP_INFO, 1, FO_GROUPS },
		{ A_CTX_DIGEST, 0, FO_HELLO_CTX_MAX },
		{ A_IF_SUMMARY, 0, FO_HELLO_IF_MAX }, { A_FSM_SNAP, 0, 1 } } },
	[FO_WT_GROUP_REQ] = { "GROUP_REQ", FO_CH_CONTROL, {
		{ A_GROUP, 1, 1 }, { A_ACTION, 1, 1 }, { A_REASON, 1, 1 },
		{ A_REASON_TEXT, 0, 1 }, { A_FSM_SNAP, 0, 1 } } },
	[FO_WT_CFG_CMD] = { "CFG_CMD", FO_CH_CONFIG, {
		{ A_CMD_SEQ, 1, 1 }, { A_CONTEXT, 0, 1 },
		{ A_CMD_TEXT, 1, 1 } } },
	[FO_WT_CFG_SYNC_BEGIN] = { "CFG_SYNC_BEGIN", FO_CH_CONFIG, {
		{ A_SYNC_ID, 1, 1 }, { A_COUNT, 1, 1 }, { A_TOTAL, 1, 1 } } },
	[FO_WT_CFG_SYNC_CHUNK] = { "CFG_SYNC_CHUNK", FO_CH_CONFIG, {
		{ A_SYNC_ID, 1, 1 }, { A_CONTEXT, 0, 1 },
		{ A_OFFSET32, 1, 1 }, { A_DATA, 1, 1 } } },
	[FO_WT_CFG_SYNC_END] = { "CFG_SYNC_END", FO_CH_CONFIG, {
		{ A_SYNC_ID, 1, 1 }, { A_COUNT, 1, 1 }, { A_MD5, 1, 1 } } },
	[FO_WT_FILE_CHUNK] = { "FILE_CHUNK", FO_CH_CONFIG, {
		{ A_PATH, 1, 1 }, { A_OFFSET64, 1, 1 }, { A_TOTAL, 1, 1 },
		{ A_DATA, 1, 1 } } },
	[FO_WT_STATE] = { "STATE", FO_CH_STATE, {
		{ A_STATE_REC, 1, FO_STATE_REC_MAX } } },
	[FO_WT_BULK_REQ] = { "BULK_REQ", FO_CH_STATE, {
		{ A_GROUP_MASK, 1, 1 } } },
	[FO_WT_ACK] = { "ACK", FO_CH_CONTROL, {
		{ A_CHANNEL, 1, 1 }, { A_CMD_SEQ, 1, 1 } } },
	[FO_WT_EXEC_REQ] = { "EXEC_REQ", FO_CH_CONTROL, {
		{ A_EXEC_ID, 1, 1 }, { A_CONTEXT, 0, 1 },
		{ A_CMD_TEXT, 1, 1 } } },
	[FO_WT_EXEC_REPLY] = { "EXEC_REPLY", FO_CH_CONTROL, {
		{ A_EXEC_ID, 1, 1 }, { A_STATUS, 1, 1 }, { A_MORE, 1, 1 },
		{ A_DATA, 1, 1 } } },
	[FO_WT_IFMON_HELLO] = { "IFMON_HELLO", FO_CH_CONTROL, {
		{ A_GROUP, 1, 1 }, { A_CONTEXT, 0, 1 }, { A_IFNAME, 1, 1 } } },
	/* A_ACTION carries the request's kind. */
	[FO_WT_CFG_REQ] = { "CFG_REQ", FO_CH_CONFIG, {
		{ A_ACTION, 1, 1 }, { A_CONTEXT, 0, 1 } } },
};
_Static_assert(sizeof msg_specs / sizeof msg_specs[0] == FO_WT_MAX,
	       "msg_specs must cover every message type");

static const char *const verdict_names[] = {
	[FO_WIRE_OK] = "ok",
	[FO_WIRE_SHORT] = "short",
	[FO_WIRE_TOO_LONG] = "too-long",
	[FO_WIRE_BAD_MAGIC] = "bad-magic",
	[FO_WIRE_BAD_VERSION] = "bad-version",
	[FO_WIRE_BAD_TYPE] = "bad-type",
	[FO_WIRE_BAD_CHANNEL] = "bad-channel",
	[FO_WIRE_BAD_FLAGS] = "bad-flags",
	[FO_WIRE_TLV_TRUNCATED] = "tlv-truncated",
	[FO_WIRE_TLV_UNKNOWN] = "tlv-unknown",
	[FO_WIRE_TLV_SIZE] = "tlv-size",
	[FO_WIRE_TLV_REPEATED] = "tlv-repeated",
	[FO_WIRE_TLV_MISSING] = "tlv-missing",
	[FO_WIRE_BAD_VALUE] = "bad-value",
};
_Static_assert(sizeof verdict_names / sizeof verdict_names[0] ==
	       FO_WIRE_VERDICT_MAX, "verdict_names");

static const char *const channel_names[] = {
	[FO_CH_CONTROL] = "control", [FO_CH_CONFIG] = "config",
	[FO_CH_STATE] = "state",
};
_Static_assert(sizeof channel_names / sizeof channel_names[0] == FO_CH_MAX,
	       "channel_names");

static const char *const role_names[] = {
	[FO_WIRE_ROLE_NONE] = "none", [FO_WIRE_ROLE_PRIMARY] = "Primary",
	[FO_WIRE_ROLE_SECONDARY] = "Secondary",
};
_Static_assert(sizeof role_names / sizeof role_names[0] == FO_WIRE_ROLE_MAX,
	       "role_names");

static const char *const action_names[] = {
	[FO_GA_NONE] = "none", [FO_GA_ACTIVE] = "active",
	[FO_GA_STANDBY] = "standby", [FO_GA_RESET] = "reset",
	[FO_GA_DECLINED] = "declined",
};
_Static_assert(sizeof action_names / sizeof action_names[0] == FO_GA_MAX,
	       "action_names");

static const char *const if_status_names[] = {
	[FO_IF_UNKNOWN] = "Unknown", [FO_IF_NORMAL] = "Normal",
	[FO_IF_FAILED] = "Failed", [FO_IF_WAITING] = "Waiting",
	[FO_IF_LINK_DOWN] = "Link Down", [FO_IF_NO_LINK] = "No Link",
	[FO_IF_NOT_MONITORED] = "Not-Monitored", [FO_IF_TESTING] = "Testing",
};
_Static_assert(sizeof if_status_names / sizeof if_status_names[0] ==
	       FO_IF_STATUS_MAX, "if_status_names");

static const char *const obj_type_names[] = {
	[FO_OBJ_NONE] = "none", [FO_OBJ_TCP_CONN] = "tcp-conn",
	[FO_OBJ_UDP_CONN] = "udp-conn", [FO_OBJ_ARP] = "arp",
	[FO_OBJ_XLATE] = "xlate", [FO_OBJ_VPN] = "vpn",
	[FO_OBJ_ENVELOPE] = "envelope",
};
_Static_assert(sizeof obj_type_names / sizeof obj_type_names[0] ==
	       FO_OBJ_MAX, "obj_type_names");

#define NAME_OF(table, max, v) \
	((unsigned)(v) >= (unsigned)(max) ? "?" : (table)[v])

const char *fo_wire_type_name(enum fo_wire_type t)
{
	return (unsigned)t >= FO_WT_MAX ? "?" : msg_specs[t].name;
}
const char *fo_channel_name(enum fo_channel c)
{
	return NAME_OF(channel_names, FO_CH_MAX, c);
}
const char *fo_wire_verdict_name(enum fo_wire_verdict v)
{
	return NAME_OF(verdict_names, FO_WIRE_VERDICT_MAX, v);
}
const char *fo_wire_role_name(enum fo_wire_role r)
{
	return NAME_OF(role_names, FO_WIRE_ROLE_MAX, r);
}
const char *fo_group_action_name(enum fo_group_action a)
{
	return NAME_OF(action_names, FO_GA_MAX, a);
}
const char *fo_if_status_name(enum fo_if_status s)
{
	return NAME_OF(if_status_names, FO_IF_STATUS_MAX, s);
}
const char *fo_obj_type_name(enum fo_obj_type t)
{
	return NAME_OF(obj_type_names, FO_OBJ_MAX, t);
}

enum fo_channel fo_wire_channel(enum fo_wire_type type)
{
	return (unsigned)type >= FO_WT_MAX ? FO_CH_MAX
					    : msg_specs[type].channel;
}

bool fo_wire_proves_liveness(enum fo_wire_type type)
{
	/* The control channel carries the mate's own cadence (hellos, group
	 * requests, acks, exec).  Configuration and state traffic does not
	 * count: it comes in bursts that follow the table size, and a hold
	 * restarted by the last of 1M state records would make detection
	 * slower the more the mate replicates (hold - 0 instead of hold -
	 * U(0, poll)).  Hellos never wait behind it (one connection or stream
	 * per channel, control read first). */
	return fo_wire_channel(type) == FO_CH_CONTROL;
}

void fo_wire_msg_init(struct fo_wire_msg *m, enum fo_wire_type type)
{
	memset(m, 0, sizeof *m);
	m->hdr.version = FO_WIRE_VERSION;
	m->hdr.type = (uint8_t)type;
	m->hdr.channel = (uint8_t)fo_wire_channel(type);
}

/* ---- big-endian helpers ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}
static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- header ---- */

void fo_wire_hdr_write(uint8_t *p, const struct fo_hdr *h)
{
	put16(p, FO_WIRE_MAGIC);
	p[2] = h->version;
	p[3] = h->type;
	p[4] = h->flags;
	p[5] = h->channel;
	put16(p + 6, 0);
	put64(p + 8, h->epoch);
	put64(p + 16, h->seq);
	put32(p + 24, h->body_len);
}

enum fo_wire_verdict fo_wire_hdr_parse(const uint8_t *p, size_t len,
				       struct fo_hdr *h)
{
	if (len < FO_WIRE_HDR_LEN)
		return FO_WIRE_SHORT;
	if (get16(p) != FO_WIRE_MAGIC)
		return FO_WIRE_BAD_MAGIC;
	h->version = p[2];
	h->type = p[3];
	h->flags = p[4];
	h->channel = p[5];
	h->epoch = get64(p + 8);
	h->seq = get64(p + 16);
	h->body_len = get32(p + 24);
	if (h->version != FO_WIRE_VERSION)
		return FO_WIRE_BAD_VERSION;
	if (h->type == FO_WT_NONE || h->type >= FO_WT_MAX)
		return FO_WIRE_BAD_TYPE;
	if (h->channel >= FO_CH_MAX || h->channel != msg_specs[h->type].channel)
		return FO_WIRE_BAD_CHANNEL;
	if ((h->flags & ~FO_HDR_F_ALL) || get16(p + 6) != 0)
		return FO_WIRE_BAD_FLAGS;
	if (h->body_len > FO_WIRE_BODY_MAX + FO_WIRE_TAG_LEN)
		return FO_WIRE_TOO_LONG;
	return FO_WIRE_OK;
}

/* ---- encoding ---- */

/* Printable text only: a name or command never carries control bytes. */
static bool text_ok(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static void put_attr(struct buf *b, enum fo_attr a, const void *v, size_t n)
{
	uint8_t th[FO_WIRE_TLV_HDR_LEN];
	put16(th, (uint16_t)a);
	put16(th + 2, (uint16_t)n);
	buf_add(b, th, sizeof th);
	buf_add(b, v, n);
}

static void put_u8(struct buf *b, enum fo_attr a, uint8_t v)
{
	put_attr(b, a, &v, 1);
}
static void put_u16(struct buf *b, enum fo_attr a, uint16_t v)
{
	uint8_t t[2];
	put16(t, v);
	put_attr(b, a, t, 2);
}
static void put_u32(struct buf *b, enum fo_attr a, uint32_t v)
{
	uint8_t t[4];
	put32(t, v);
	put_attr(b, a, t, 4);
}
static void put_u64(struct buf *b, enum fo_attr a, uint64_t v)
{
	uint8_t t[8];
	put64(t, v);
	put_attr(b, a, t, 8);
}

/* Checked string attribute: -EINVAL when outside the attribute's bounds. */
static int put_str(struct buf *b, enum fo_attr a, const char *s)
{
	if (!text_ok(s, attr_specs[a].min_len, attr_specs[a].max_len))
		return -EINVAL;
	put_attr(b, a, s, strlen(s));
	return 0;
}

/* Optional string: empty means absent. */
static int put_opt_str(struct buf *b, enum fo_attr a, const char *s)
{
	return s[0] ? put_str(b, a, s) : 0;
}

static int put_data(struct buf *b, enum fo_attr a, const struct fo_bytes *d)
{
	if (d->len > attr_specs[a].max_len || (d->len && !d->data))
		return -EINVAL;
	put_attr(b, a, d->data, d->len);
	return 0;
}

static void put_fsm_snap(struct buf *b, const struct fo_fsm_snap *f)
{
	uint8_t v[FSM_SNAP_LEN];

	if (!f->present)
		return;
	v[0] = f->flags;
	v[1] = f->role;
	for (size_t i = 0; i < FO_GROUPS; i++) {
		uint8_t *g = v + 2 + i * 10;
		g[0] = f->state[i];
		g[1] = f->failure_reason[i];
		put32(g + 2, f->faults[i]);
		put32(g + 6, f->active_s[i]);
	}
	put_attr(b, A_FSM_SNAP, v, sizeof v);
}

static void get_fsm_snap(struct fo_fsm_snap *f, const uint8_t *v)
{
	f->present = true;
	f->flags = v[0];
	f->role = v[1];
	for (size_t i = 0; i < FO_GROUPS; i++) {
		const uint8_t *g = v + 2 + i * 10;
		f->state[i] = g[0];
		f->failure_reason[i] = g[1];
		f->faults[i] = get32(g + 2);
		f->active_s[i] = get32(g + 6);
	}
}

static int enc_hello(struct buf *b, const struct fo_hello *h)
{
	int rc;
	if (h->role == FO_WIRE_ROLE_NONE || h->role >= FO_WIRE_ROLE_MAX ||
	    h->n_digests > FO_HELLO_CTX_MAX || h->n_ifs > FO_HELLO_IF_MAX)
		return -EINVAL;
	put_u8(b, A_ROLE, h->role);
	if ((rc = put_str(b, A_SWVER, h->sw_version)))
		return rc;
	put_u32(b, A_POLL_MS, h->poll_ms);
	put_u32(b, A_HOLD_MS, h->hold_ms);
	for (size_t i = 0; i < FO_GROUPS; i++) {
		const struct fo_group_info *g = &h->groups[i];
		uint8_t v[GROUP_INFO_LEN];
		if (g->group != i + 1)
			return -EINVAL;
		v[0] = g->group;
		v[1] = g->state;
		put32(v + 2, g->active_time_s);
		put16(v + 6, g->if_monitored);
		put16(v + 8, g->if_failed);
		put_attr(b, A_GROUP_INFO, v, sizeof v);
	}
	for (size_t i = 0; i < h->n_digests; i++) {
		const struct fo_ctx_digest *d = &h->digests[i];
		uint8_t v[FO_MD5_LEN + FO_NAME_MAX];
		if (!text_ok(d->name, 1, FO_NAME_MAX))
			return -EINVAL;
		size_t n = strlen(d->name);
		memcpy(v, d->md5, FO_MD5_LEN);
		memcpy(v + FO_MD5_LEN, d->name, n);
		put_attr(b, A_CTX_DIGEST, v, FO_MD5_LEN + n);
	}
	for (size_t i = 0; i < h->n_ifs; i++) {
		const struct fo_if_summary *f = &h->ifs[i];
		uint8_t v[IF_SUMMARY_FIXED + 2 * FO_NAME_MAX];
		if (!text_ok(f->context, 1, FO_NAME_MAX) ||
		    !text_ok(f->ifname, 1, FO_NAME_MAX) ||
		    f->status >= FO_IF_STATUS_MAX ||
		    f->group < 1 || f->group > FO_GROUPS)
			return -EINVAL;
		size_t cl = strlen(f->context), il = strlen(f->ifname);
		v[0] = f->group;
		v[1] = f->status;
		v[2] = (uint8_t)cl;
		memcpy(v + IF_SUMMARY_FIXED, f->context, cl);
		memcpy(v + IF_SUMMARY_FIXED + cl, f->ifname, il);
		put_attr(b, A_IF_SUMMARY, v, IF_SUMMARY_FIXED + cl + il);
	}
	return 0;
}

static bool group_ok(uint8_t g) { return g >= 1 && g <= FO_GROUPS; }

static int enc_body(struct buf *b, const struct fo_wire_msg *m)
{
	int rc = 0;

	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_HELLO:
		rc = enc_hello(b, &m->u.hello);
		if (rc == 0)
			put_fsm_snap(b, &m->fsm);
		return rc;
	case FO_WT_GROUP_REQ: {
		const struct fo_group_req *r = &m->u.group_req;
		if (!group_ok(r->group) || r->action == FO_GA_NONE ||
		    r->action >= FO_GA_MAX)
			return -EINVAL;
		put_u8(b, A_GROUP, r->group);
		put_u8(b, A_ACTION, r->action);
		put_u16(b, A_REASON, r->reason);
		rc = put_opt_str(b, A_REASON_TEXT, r->reason_text);
		if (rc == 0)
			put_fsm_snap(b, &m->fsm);
		return rc;
	}
	case FO_WT_CFG_CMD:
		put_u64(b, A_CMD_SEQ, m->u.cfg_cmd.cmd_seq);
		if ((rc = put_opt_str(b, A_CONTEXT, m->u.cfg_cmd.context)))
			return rc;
		return put_str(b, A_CMD_TEXT, m->u.cfg_cmd.text);
	case FO_WT_CFG_SYNC_BEGIN:
		put_u32(b, A_SYNC_ID, m->u.sync_begin.sync_id);
		put_u32(b, A_COUNT, m->u.sync_begin.n_contexts);
		put_u64(b, A_TOTAL, m->u.sync_begin.total_bytes);
		return 0;
	case FO_WT_CFG_SYNC_CHUNK:
		put_u32(b, A_SYNC_ID, m->u.sync_chunk.sync_id);
		if ((rc = put_opt_str(b, A_CONTEXT, m->u.sync_chunk.context)))
			return rc;
		put_u32(b, A_OFFSET32, m->u.sync_chunk.offset);
		return put_data(b, A_DATA, &m->u.sync_chunk.data);
	case FO_WT_CFG_SYNC_END:
		put_u32(b, A_SYNC_ID, m->u.sync_end.sync_id);
		put_u32(b, A_COUNT, m->u.sync_end.n_chunks);
		put_attr(b, A_MD5, m->u.sync_end.md5, FO_MD5_LEN);
		return 0;
	case FO_WT_FILE_CHUNK:
		if ((rc = put_str(b, A_PATH, m->u.file_chunk.path)))
			return rc;
		put_u64(b, A_OFFSET64, m->u.file_chunk.offset);
		put_u64(b, A_TOTAL, m->u.file_chunk.total_size);
		return put_data(b, A_DATA, &m->u.file_chunk.data);
	case FO_WT_STATE: {
		const struct fo_state_batch *s = &m->u.state;
		if (s->n_recs == 0 || s->n_recs > FO_STATE_REC_MAX)
			return -EINVAL;
		for (size_t i = 0; i < s->n_recs; i++) {
			const struct fo_state_rec *r = &s->recs[i];
			uint8_t t[FO_WIRE_TLV_HDR_LEN + 2];
			if (r->obj_type == FO_OBJ_NONE ||
			    r->obj_type >= FO_OBJ_MAX ||
			    r->data.len > FO_STATE_REC_LEN_MAX ||
			    (r->data.len && !r->data.data))
				return -EINVAL;
			put16(t, A_STATE_REC);
			put16(t + 2, (uint16_t)(2 + r->data.len));
			put16(t + 4, r->obj_type);
			buf_add(b, t, sizeof t);
			buf_add(b, r->data.data, r->data.len);
		}
		return 0;
	}
	case FO_WT_BULK_REQ:
		if (m->u.bulk_req.group_mask == 0 ||
		    m->u.bulk_req.group_mask >= 1u << FO_GROUPS)
			return -EINVAL;
		put_u8(b, A_GROUP_MASK, m->u.bulk_req.group_mask);
		return 0;
	case FO_WT_ACK:
		if (m->u.ack.channel >= FO_CH_MAX)
			return -EINVAL;
		put_u8(b, A_CHANNEL, m->u.ack.channel);
		put_u64(b, A_CMD_SEQ, m->u.ack.cum_seq);
		return 0;
	case FO_WT_EXEC_REQ:
		put_u32(b, A_EXEC_ID, m->u.exec_req.exec_id);
		if ((rc = put_opt_str(b, A_CONTEXT, m->u.exec_req.context)))
			return rc;
		return put_str(b, A_CMD_TEXT, m->u.exec_req.text);
	case FO_WT_EXEC_REPLY:
		put_u32(b, A_EXEC_ID, m->u.exec_reply.exec_id);
		put_u32(b, A_STATUS, (uint32_t)m->u.exec_reply.status);
		put_u8(b, A_MORE, m->u.exec_reply.more ? 1 : 0);
		return put_data(b, A_DATA, &m->u.exec_reply.output);
	case FO_WT_IFMON_HELLO:
		if (!group_ok(m->u.ifmon_hello.group))
			return -EINVAL;
		put_u8(b, A_GROUP, m->u.ifmon_hello.group);
		if ((rc = put_opt_str(b, A_CONTEXT, m->u.ifmon_hello.context)))
			return rc;
		return put_str(b, A_IFNAME, m->u.ifmon_hello.ifname);
	case FO_WT_CFG_REQ:
		if (m->u.cfg_req.kind >= FO_CFG_REQ_KIND_MAX)
			return -EINVAL;
		put_u8(b, A_ACTION, m->u.cfg_req.kind);
		return put_opt_str(b, A_CONTEXT, m->u.cfg_req.context);
	case FO_WT_NONE:
	case FO_WT_MAX:
		break;
	}
	return -EINVAL;
}

int fo_wire_encode(struct buf *out, const struct fo_wire_msg *m)
{
	struct fo_hdr h = m->hdr;
	size_t start = out->len;
	int rc;

	if (h.type == FO_WT_NONE || h.type >= FO_WT_MAX || h.flags)
		return -EINVAL;
	h.version = FO_WIRE_VERSION;
	h.channel = (uint8_t)msg_specs[h.type].channel;

	buf_reserve(out, FO_WIRE_HDR_LEN);
	out->len += FO_WIRE_HDR_LEN;
	rc = enc_body(out, m);
	if (rc == 0 && out->len - start - FO_WIRE_HDR_LEN > FO_WIRE_BODY_MAX)
		rc = -EMSGSIZE;
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return rc;
	}
	h.body_len = (uint32_t)(out->len - start - FO_WIRE_HDR_LEN);
	fo_wire_hdr_write((uint8_t *)out->data + start, &h);
	return 0;
}

/* ---- decoding ---- */

/* A string value: no NUL or control bytes; copied with a terminator. */
static enum fo_wire_verdict get_str(char *dst, size_t cap, const uint8_t *v,
				    size_t n)
{
	if (n >= cap)
		return FO_WIRE_BAD_VALUE;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] == 0x7f)
			return FO_WIRE_BAD_VALUE;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return FO_WIRE_OK;
}

#define STR(dst, v, n) get_str((dst), sizeof(dst), (v), (n))

static enum fo_wire_verdict fill_hello(struct fo_hello *h, enum fo_attr a,
				       const uint8_t *v, size_t n)
{
	switch (a) {
	case A_ROLE:
		if (v[0] == FO_WIRE_ROLE_NONE || v[0] >= FO_WIRE_ROLE_MAX)
			return FO_WIRE_BAD_VALUE;
		h->role = v[0];
		return FO_WIRE_OK;
	case A_SWVER:
		return STR(h->sw_version, v, n);
	case A_POLL_MS:
		h->poll_ms = get32(v);
		return FO_WIRE_OK;
	case A_HOLD_MS:
		h->hold_ms = get32(v);
		return FO_WIRE_OK;
	case A_GROUP_INFO: {
		/* Each group once; the table allows FO_GROUPS occurrences. */
		if (!group_ok(v[0]) || h->groups[v[0] - 1].group != 0)
			return FO_WIRE_BAD_VALUE;
		struct fo_group_info *g = &h->groups[v[0] - 1];
		g->group = v[0];
		g->state = v[1];
		g->active_time_s = get32(v + 2);
		g->if_monitored = get16(v + 6);
		g->if_failed = get16(v + 8);
		return FO_WIRE_OK;
	}
	case A_CTX_DIGEST: {
		struct fo_ctx_digest *d = &h->digests[h->n_digests];
		memcpy(d->md5, v, FO_MD5_LEN);
		enum fo_wire_verdict r = STR(d->name, v + FO_MD5_LEN,
					     n - FO_MD5_LEN);
		if (r == FO_WIRE_OK)
			h->n_digests++;
		return r;
	}
	case A_IF_SUMMARY: {
		struct fo_if_summary *f = &h->ifs[h->n_ifs];
		size_t cl = v[2];
		/* context length must leave at least one byte of ifname */
		if (!group_ok(v[0]) || v[1] >= FO_IF_STATUS_MAX || cl == 0 ||
		    cl >= n - IF_SUMMARY_FIXED)
			return FO_WIRE_BAD_VALUE;
		f->group = v[0];
		f->status = v[1];
		enum fo_wire_verdict r = STR(f->context, v + IF_SUMMARY_FIXED, cl);
		if (r == FO_WIRE_OK)
			r = STR(f->ifname, v + IF_SUMMARY_FIXED + cl,
				n - IF_SUMMARY_FIXED - cl);
		if (r == FO_WIRE_OK)
			h->n_ifs++;
		return r;
	}
	default:
		return FO_WIRE_TLV_UNKNOWN;
	}
}

static enum fo_wire_verdict fill(struct fo_wire_msg *m, enum fo_attr a,
				 const uint8_t *v, size_t n)
{
	struct fo_bytes bytes = { n ? v : NULL, n };

	if (a == A_FSM_SNAP) {  /* the message table allowed it */
		get_fsm_snap(&m->fsm, v);
		return FO_WIRE_OK;
	}
	switch ((enum fo_wire_type)m->hdr.type) {
	case FO_WT_HELLO:
		return fill_hello(&m->u.hello, a, v, n);
	case FO_WT_GROUP_REQ: {
		struct fo_group_req *r = &m->u.group_req;
		if (a == A_GROUP) {
			if (!group_ok(v[0]))
				return FO_WIRE_BAD_VALUE;
			r->group = v[0];
		} else if (a == A_ACTION) {
			if (v[0] == FO_GA_NONE || v[0] >= FO_GA_MAX)
				return FO_WIRE_BAD_VALUE;
			r->action = v[0];
		} else if (a == A_REASON) {
			r->reason = get16(v);
		} else {
			return STR(r->reason_text, v, n);
		}
		return FO_WIRE_OK;
	}
	case FO_WT_CFG_CMD: {
		struct fo_cfg_cmd *c = &m->u.cfg_cmd;
		if (a == A_CMD_SEQ) {
			c->cmd_seq = get64(v);
			return FO_WIRE_OK;
		}
		return a == A_CONTEXT ? STR(c->context, v, n)
				      : STR(c->text, v, n);
	}
	case FO_WT_CFG_SYNC_BEGIN: {
		struct fo_cfg_sync_begin *s = &m->u.sync_begin;
		if (a == A_SYNC_ID)
			s->sync_id = get32(v);
		else if (a == A_COUNT)
			s->n_contexts = get32(v);
		else
			s->total_bytes = get64(v);
		return FO_WIRE_OK;
	}
	case FO_WT_CFG_SYNC_CHUNK: {
		struct fo_cfg_sync_chunk *s = &m->u.sync_chunk;
		if (a == A_SYNC_ID)
			s->sync_id = get32(v);
		else if (a == A_CONTEXT)
			return STR(s->context, v, n);
		else if (a == A_OFFSET32)
			s->offset = get32(v);
		else
			s->data = bytes;
		return FO_WIRE_OK;
	}
	case FO_WT_CFG_SYNC_END: {
		struct fo_cfg_sync_end *s = &m->u.sync_end;
		if (a == A_SYNC_ID)
			s->sync_id = get32(v);
		else if (a == A_COUNT)
			s->n_chunks = get32(v);
		else
			memcpy(s->md5, v, FO_MD5_LEN);
		return FO_WIRE_OK;
	}
	case FO_WT_FILE_CHUNK: {
		struct fo_file_chunk *f = &m->u.file_chunk;
		if (a == A_PATH)
			return STR(f->path, v, n);
		if (a == A_OFFSET64)
			f->offset = get64(v);
		else if (a == A_TOTAL)
			f->total_size = get64(v);
		else
			f->data = bytes;
		return FO_WIRE_OK;
	}
	case FO_WT_STATE: {
		struct fo_state_batch *s = &m->u.state;
		struct fo_state_rec *r = &s->recs[s->n_recs];
		uint16_t t = get16(v);
		if (t == FO_OBJ_NONE || t >= FO_OBJ_MAX)
			return FO_WIRE_BAD_VALUE;
		r->obj_type = t;
		r->data.data = n > 2 ? v + 2 : NULL;
		r->data.len = n - 2;
		s->n_recs++;
		return FO_WIRE_OK;
	}
	case FO_WT_BULK_REQ:
		if (v[0] == 0 || v[0] >= 1u << FO_GROUPS)
			return FO_WIRE_BAD_VALUE;
		m->u.bulk_req.group_mask = v[0];
		return FO_WIRE_OK;
	case FO_WT_ACK:
		if (a == A_CHANNEL) {
			if (v[0] >= FO_CH_MAX)
				return FO_WIRE_BAD_VALUE;
			m->u.ack.channel = v[0];
		} else {
			m->u.ack.cum_seq = get64(v);
		}
		return FO_WIRE_OK;
	case FO_WT_EXEC_REQ: {
		struct fo_exec_req *e = &m->u.exec_req;
		if (a == A_EXEC_ID) {
			e->exec_id = get32(v);
			return FO_WIRE_OK;
		}
		return a == A_CONTEXT ? STR(e->context, v, n)
				      : STR(e->text, v, n);
	}
	case FO_WT_EXEC_REPLY: {
		struct fo_exec_reply *e = &m->u.exec_reply;
		if (a == A_EXEC_ID) {
			e->exec_id = get32(v);
		} else if (a == A_STATUS) {
			e->status = (int32_t)get32(v);
		} else if (a == A_MORE) {
			if (v[0] > 1)
				return FO_WIRE_BAD_VALUE;
			e->more = v[0];
		} else {
			e->output = bytes;
		}
		return FO_WIRE_OK;
	}
	case FO_WT_IFMON_HELLO: {
		struct fo_ifmon_hello *i = &m->u.ifmon_hello;
		if (a == A_GROUP) {
			if (!group_ok(v[0]))
				return FO_WIRE_BAD_VALUE;
			i->group = v[0];
			return FO_WIRE_OK;
		}
		return a == A_CONTEXT ? STR(i->context, v, n)
				      : STR(i->ifname, v, n);
	}
	case FO_WT_CFG_REQ: {
		struct fo_cfg_req *r = &m->u.cfg_req;
		if (a == A_CONTEXT)
			return STR(r->context, v, n);
		if (v[0] >= FO_CFG_REQ_KIND_MAX)
			return FO_WIRE_BAD_VALUE;
		r->kind = v[0];
		return FO_WIRE_OK;
	}
	case FO_WT_NONE:
	case FO_WT_MAX:
		break;
	}
	return FO_WIRE_BAD_TYPE;
}

/* The rule for attribute a in spec, or -1 when the message does not take it. */
static int rule_index(const struct msg_spec *spec, unsigned a)
{
	for (int i = 0; i < MAX_RULES && spec->rules[i].attr != A_NONE; i++)
		if (spec->rules[i].attr == a)
			return i;
	return -1;
}

enum fo_wire_verdict fo_wire_decode(const uint8_t *pkt, size_t len,
				    struct fo_wire_msg *m)
{
	uint16_t counts[MAX_RULES] = { 0 };
	enum fo_wire_verdict r;
	struct fo_hdr h;

	memset(m, 0, sizeof *m);
	r = fo_wire_hdr_parse(pkt, len, &h);
	if (r != FO_WIRE_OK)
		return r;
	if (h.flags & FO_HDR_F_ENCRYPTED)
		return FO_WIRE_BAD_FLAGS;   /* fo_crypto_open was not called */
	if (h.body_len > FO_WIRE_BODY_MAX)
		return FO_WIRE_TOO_LONG;
	if (len - FO_WIRE_HDR_LEN < h.body_len)
		return FO_WIRE_SHORT;
	if (len - FO_WIRE_HDR_LEN > h.body_len)
		return FO_WIRE_TOO_LONG;

	const struct msg_spec *spec = &msg_specs[h.type];
	const uint8_t *body = pkt + FO_WIRE_HDR_LEN;
	size_t off = 0;

	/* Pass 1: structure only (bounds, allowed, sizes, counts). */
	while (off < h.body_len) {
		if (h.body_len - off < FO_WIRE_TLV_HDR_LEN)
			return FO_WIRE_TLV_TRUNCATED;
		unsigned a = get16(body + off);
		size_t n = get16(body + off + 2);
		if (h.body_len - off - FO_WIRE_TLV_HDR_LEN < n)
			return FO_WIRE_TLV_TRUNCATED;
		if (a == A_NONE || a >= A_MAX)
			return FO_WIRE_TLV_UNKNOWN;
		int ri = rule_index(spec, a);
		if (ri < 0)
			return FO_WIRE_TLV_UNKNOWN;
		if (n < attr_specs[a].min_len || n > attr_specs[a].max_len)
			return FO_WIRE_TLV_SIZE;
		if (counts[ri] >= spec->rules[ri].max_count)
			return FO_WIRE_TLV_REPEATED;
		counts[ri]++;
		off += FO_WIRE_TLV_HDR_LEN + n;
	}
	for (int i = 0; i < MAX_RULES && spec->rules[i].attr != A_NONE; i++)
		if (spec->rules[i].required && counts[i] == 0)
			return FO_WIRE_TLV_MISSING;
	/* HELLO carries every group exactly once. */
	if (h.type == FO_WT_HELLO &&
	    counts[rule_index(spec, A_GROUP_INFO)] != FO_GROUPS)
		return FO_WIRE_TLV_MISSING;

	/* Pass 2: values. */
	m->hdr = h;
	for (off = 0; off < h.body_len;) {
		unsigned a = get16(body + off);
		size_t n = get16(body + off + 2);
		r = fill(m, (enum fo_attr)a, body + off + FO_WIRE_TLV_HDR_LEN, n);
		if (r != FO_WIRE_OK) {
			struct fo_hdr keep = m->hdr;
			memset(&m->u, 0, sizeof m->u);
			memset(&m->fsm, 0, sizeof m->fsm);
			m->hdr = keep;
			return r;
		}
		off += FO_WIRE_TLV_HDR_LEN + n;
	}
	return FO_WIRE_OK;
}
