/*
 * fo_wire: the failover link's wire format, defined here and nowhere else.
 *
 * Every message is a fixed 28-byte header followed by a TLV body, all
 * integers big-endian:
 *
 *   0  magic    u16  FO_WIRE_MAGIC
 *   2  version  u8   FO_WIRE_VERSION
 *   3  type     u8   enum fo_wire_type
 *   4  flags    u8   FO_HDR_F_*
 *   5  channel  u8   enum fo_channel (fixed per type, see fo_wire_channel)
 *   6  reserved u16  zero
 *   8  epoch    u64  sender's session epoch (stamped by fo_crypto)
 *  16  seq      u64  per-channel sequence (stamped by fo_crypto)
 *  24  body_len u32  bytes after the header (includes the AEAD tag when
 *                    FO_HDR_F_ENCRYPTED is set)
 *
 * Body: attributes {type u16, len u16, value[len]}.  Each message type has
 * a table of the attributes it may carry with their size bounds and
 * counts; fo_wire_decode checks, in this order: length, magic, version,
 * type, channel, flags, body length, then per attribute its header and
 * value bounds, whether the message allows it, its exact/min/max size and
 * its count, then required attributes, then values.  The first failing
 * check gives the verdict.
 *
 * Decoded structs are typed and self-contained except fo_bytes fields,
 * which point into the decoded packet: they are valid while it is.
 */
#ifndef MCTX_FO_WIRE_H
#define MCTX_FO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

#define FO_WIRE_MAGIC 0x4d46u          /* "MF" */
#define FO_WIRE_VERSION 1
#define FO_WIRE_HDR_LEN 28
#define FO_WIRE_TLV_HDR_LEN 4
#define FO_WIRE_BODY_MAX (256u * 1024u) /* cleartext body limit */
#define FO_WIRE_TAG_LEN 16              /* room kept for the AEAD tag */
#define FO_WIRE_FRAME_MAX (FO_WIRE_HDR_LEN + FO_WIRE_BODY_MAX + FO_WIRE_TAG_LEN)

#define FO_HDR_F_ENCRYPTED 0x01u
#define FO_HDR_F_ALL FO_HDR_F_ENCRYPTED

#define FO_GROUPS 2              /* failover groups 1 and 2 */
#define FO_NAME_MAX 32           /* context and interface names */
#define FO_SWVER_MAX 64
#define FO_REASON_TEXT_MAX 128
#define FO_CMD_TEXT_MAX 1024          /* one replicated command line */
#define FO_PATH_MAX 255          /* flash file path */
#define FO_DATA_MAX 32768        /* sync chunk, file chunk, exec output */
#define FO_HELLO_CTX_MAX 64      /* config digests in one hello */
#define FO_HELLO_IF_MAX 128      /* monitored interfaces in one hello */
#define FO_STATE_REC_MAX 512     /* records in one STATE batch */
#define FO_STATE_REC_LEN_MAX 2048
#define FO_MD5_LEN 16

/* Channels: separate queues/connections/streams.  No ordering across them. */
enum fo_channel {
	FO_CH_CONTROL,  /* hello, group requests, acks, exec */
	FO_CH_CONFIG,   /* command replication, config sync, files */
	FO_CH_STATE,    /* stateful replication (conns, xlates...) */
	FO_CH_MAX
};

enum fo_wire_type {
	FO_WT_NONE,            /* never valid on the wire */
	FO_WT_HELLO,
	FO_WT_GROUP_REQ,
	FO_WT_CFG_CMD,
	FO_WT_CFG_SYNC_BEGIN,
	FO_WT_CFG_SYNC_CHUNK,
	FO_WT_CFG_SYNC_END,
	FO_WT_FILE_CHUNK,
	FO_WT_STATE,
	FO_WT_BULK_REQ,
	FO_WT_ACK,
	FO_WT_EXEC_REQ,
	FO_WT_EXEC_REPLY,
	FO_WT_IFMON_HELLO,
	FO_WT_CFG_REQ,         /* appended: a peer that predates it answers
				* BAD_TYPE (dropped, counted) */
	FO_WT_MAX
};

enum fo_wire_verdict {
	FO_WIRE_OK,
	FO_WIRE_SHORT,          /* fewer bytes than the header or body_len says */
	FO_WIRE_TOO_LONG,       /* more bytes than header + body_len, or body too big */
	FO_WIRE_BAD_MAGIC,
	FO_WIRE_BAD_VERSION,
	FO_WIRE_BAD_TYPE,
	FO_WIRE_BAD_CHANNEL,    /* unknown, or not the type's channel */
	FO_WIRE_BAD_FLAGS,      /* unknown flags, reserved bits, or still encrypted */
	FO_WIRE_TLV_TRUNCATED,  /* attribute header or value runs past the body */
	FO_WIRE_TLV_UNKNOWN,    /* attribute not allowed in this message */
	FO_WIRE_TLV_SIZE,       /* value size outside the attribute's bounds */
	FO_WIRE_TLV_REPEATED,   /* more occurrences than allowed */
	FO_WIRE_TLV_MISSING,    /* a required attribute is absent */
	FO_WIRE_BAD_VALUE,      /* out-of-range enum, NUL inside a string... */
	FO_WIRE_VERDICT_MAX
};

enum fo_wire_role { FO_WIRE_ROLE_NONE, FO_WIRE_ROLE_PRIMARY, FO_WIRE_ROLE_SECONDARY, FO_WIRE_ROLE_MAX };

/* GROUP_REQ actions.  fo_unit maps the FSM's typed messages on them:
 * ACTIVE = "I want group N", STANDBY = "I released group N, take it",
 * DECLINED = "I will not take/release group N". */
enum fo_group_action {
	FO_GA_NONE, FO_GA_ACTIVE, FO_GA_STANDBY, FO_GA_RESET, FO_GA_DECLINED,
	FO_GA_MAX
};

/* As `show failover` prints a monitored interface. */
enum fo_if_status {
	FO_IF_UNKNOWN, FO_IF_NORMAL, FO_IF_FAILED, FO_IF_WAITING,
	FO_IF_LINK_DOWN, FO_IF_NO_LINK, FO_IF_NOT_MONITORED, FO_IF_TESTING,
	FO_IF_STATUS_MAX
};

/* Replicated object kinds (STATE records).  FO_OBJ_ENVELOPE is the
 * first record of every STATE message: what the other records are for
 * (context, kind, bulk flags; its layout is repl_state's business). */
enum fo_obj_type {
	FO_OBJ_NONE, FO_OBJ_TCP_CONN, FO_OBJ_UDP_CONN, FO_OBJ_ARP,
	FO_OBJ_XLATE, FO_OBJ_VPN, FO_OBJ_ENVELOPE, FO_OBJ_MAX
};

struct fo_bytes {
	const uint8_t *data;
	size_t len;
};

struct fo_hdr {
	uint8_t version;
	uint8_t type;           /* enum fo_wire_type */
	uint8_t flags;
	uint8_t channel;        /* enum fo_channel */
	uint64_t epoch;
	uint64_t seq;
	uint32_t body_len;
};

struct fo_group_info {
	uint8_t group;          /* 1 or 2 */
	uint8_t state;          /* the FSM's state number; range is its business */
	uint32_t active_time_s; /* seconds this unit has been active for it */
	uint16_t if_monitored;
	uint16_t if_failed;
};

struct fo_ctx_digest {
	char name[FO_NAME_MAX + 1];
	uint8_t md5[FO_MD5_LEN];
};

struct fo_if_summary {
	uint8_t group;
	uint8_t status;         /* enum fo_if_status */
	char context[FO_NAME_MAX + 1];
	char ifname[FO_NAME_MAX + 1];
};

/*
 * The failover FSM's snapshot of the sender (fo_fsm.h struct fo_msg): sent
 * in every HELLO and GROUP_REQ so each message keeps the receiver's view
 * of its mate current.  Values are the FSM's numbers; their ranges are
 * the FSM's business (fo_fsm_recv checks them).  Optional on the wire:
 * present says whether it came.  Lives in struct fo_wire_msg (fsm),
 * beside the union, for the two types that may carry it.
 */
#define FO_SNAP_F_ENABLED 0x01u     /* sender has failover enabled */
#define FO_SNAP_F_SYNCED 0x02u      /* sender's configuration is synced */
struct fo_fsm_snap {
	bool present;
	uint8_t flags;          /* FO_SNAP_F_* */
	uint8_t role;           /* enum fo_role of fo_fsm.h */
	uint8_t state[FO_GROUPS];
	uint8_t failure_reason[FO_GROUPS];
	uint32_t faults[FO_GROUPS];
	uint32_t active_s[FO_GROUPS];
};

struct fo_hello {
	uint8_t role;           /* enum fo_wire_role */
	char sw_version[FO_SWVER_MAX + 1];
	uint32_t poll_ms;
	uint32_t hold_ms;
	struct fo_group_info groups[FO_GROUPS];  /* exactly FO_GROUPS */
	size_t n_digests;
	struct fo_ctx_digest digests[FO_HELLO_CTX_MAX];
	size_t n_ifs;
	struct fo_if_summary ifs[FO_HELLO_IF_MAX];
};

struct fo_group_req {
	uint8_t group;
	uint8_t action;         /* enum fo_group_action */
	uint16_t reason;        /* the FSM's reason number */
	char reason_text[FO_REASON_TEXT_MAX + 1];  /* may be empty */
};

/* context[0] == '\0' means the system execution space. */
struct fo_cfg_cmd {
	uint64_t cmd_seq;
	char context[FO_NAME_MAX + 1];
	char text[FO_CMD_TEXT_MAX + 1];
};

/* CFG_REQ: what a unit asks its mate's configuration replication for. */
enum fo_cfg_req_kind {
	FO_CFG_REQ_SYNC,        /* send your running configuration (a join) */
	FO_CFG_REQ_KIND_MAX
};

struct fo_cfg_req {
	uint8_t kind;           /* enum fo_cfg_req_kind */
	char context[FO_NAME_MAX + 1];  /* '\0' = system and every context */
};

struct fo_cfg_sync_begin {
	uint32_t sync_id;
	uint32_t n_contexts;    /* contexts to follow the system space */
	uint64_t total_bytes;
};

struct fo_cfg_sync_chunk {
	uint32_t sync_id;
	char context[FO_NAME_MAX + 1];  /* '\0' = system */
	uint32_t offset;        /* within this context's configuration */
	struct fo_bytes data;
};

struct fo_cfg_sync_end {
	uint32_t sync_id;
	uint32_t n_chunks;
	uint8_t md5[FO_MD5_LEN];  /* over all chunk data in order */
};

struct fo_file_chunk {
	char path[FO_PATH_MAX + 1];
	uint64_t offset;
	uint64_t total_size;
	struct fo_bytes data;
};

struct fo_state_rec {
	uint16_t obj_type;      /* enum fo_obj_type */
	struct fo_bytes data;
};

struct fo_state_batch {
	size_t n_recs;
	struct fo_state_rec recs[FO_STATE_REC_MAX];
};

struct fo_bulk_req {
	uint8_t group_mask;     /* bit 0 = group 1, bit 1 = group 2 */
};

struct fo_ack {
	uint8_t channel;        /* whose sequence is acknowledged */
	uint64_t cum_seq;       /* everything up to and including this */
};

struct fo_exec_req {
	uint32_t exec_id;
	char context[FO_NAME_MAX + 1];  /* '\0' = system */
	char text[FO_CMD_TEXT_MAX + 1];
};

struct fo_exec_reply {
	uint32_t exec_id;
	int32_t status;         /* 0 or -errno from the mate's command */
	bool more;              /* further replies follow for this exec_id */
	struct fo_bytes output;
};

struct fo_ifmon_hello {
	uint8_t group;
	char context[FO_NAME_MAX + 1];
	char ifname[FO_NAME_MAX + 1];
};

/* One message.  hdr.type selects the union member. */
struct fo_wire_msg {
	struct fo_hdr hdr;
	union {
		struct fo_hello hello;
		struct fo_group_req group_req;
		struct fo_cfg_cmd cfg_cmd;
		struct fo_cfg_req cfg_req;
		struct fo_cfg_sync_begin sync_begin;
		struct fo_cfg_sync_chunk sync_chunk;
		struct fo_cfg_sync_end sync_end;
		struct fo_file_chunk file_chunk;
		struct fo_state_batch state;
		struct fo_bulk_req bulk_req;
		struct fo_ack ack;
		struct fo_exec_req exec_req;
		struct fo_exec_reply exec_reply;
		struct fo_ifmon_hello ifmon_hello;
	} u;
	struct fo_fsm_snap fsm;  /* HELLO and GROUP_REQ only */
};

/* Zeroes m and sets the header's version, type and channel. */
void fo_wire_msg_init(struct fo_wire_msg *m, enum fo_wire_type type);

/*
 * Appends m (header + body) to out.  hdr.epoch and hdr.seq are written as
 * given (fo_crypto_seal stamps them later); flags must be 0.  Returns 0,
 * -EINVAL for a bad type, enum value or string (too long, embedded
 * control byte), or -EMSGSIZE when the body would exceed FO_WIRE_BODY_MAX.
 * On error out is left as it was.
 */
int fo_wire_encode(struct buf *out, const struct fo_wire_msg *m);

/* Checks a header alone (framing): len, magic, version, type, channel,
 * flags, body_len bound.  Does not compare body_len with len. */
enum fo_wire_verdict fo_wire_hdr_parse(const uint8_t *pkt, size_t len,
				       struct fo_hdr *h);
/* Writes h at pkt (FO_WIRE_HDR_LEN bytes) with the magic. */
void fo_wire_hdr_write(uint8_t *pkt, const struct fo_hdr *h);

/* Decodes one whole cleartext message of exactly len bytes into m. */
enum fo_wire_verdict fo_wire_decode(const uint8_t *pkt, size_t len,
				    struct fo_wire_msg *m);

/* The channel a message type travels on. */
enum fo_channel fo_wire_channel(enum fo_wire_type type);
/* Whether a message from the mate restarts its hold time (see why in
 * fo_wire.c): the control channel's messages. */
bool fo_wire_proves_liveness(enum fo_wire_type type);

const char *fo_wire_type_name(enum fo_wire_type type);
const char *fo_channel_name(enum fo_channel ch);
const char *fo_wire_verdict_name(enum fo_wire_verdict v);
const char *fo_wire_role_name(enum fo_wire_role role);
const char *fo_group_action_name(enum fo_group_action a);
const char *fo_if_status_name(enum fo_if_status s);
const char *fo_obj_type_name(enum fo_obj_type t);

#endif
