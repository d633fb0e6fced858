/*
 * Writes the fuzz seed corpus: one cleartext and one sealed message of
 * every type, produced by the real encoder and fo_crypto_seal.
 *   gen_corpus DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_crypto.h"
#include "failover/fo_wire.h"
#include "tests/fuzz/fuzz_fo_wire.h"

static const uint8_t blob[] = "seed-bytes\x00\x01\xff";

static void fill(struct fo_wire_msg *m, enum fo_wire_type t)
{
	fo_wire_msg_init(m, t);
	switch (t) {
	case FO_WT_HELLO:
		m->u.hello.role = FO_WIRE_ROLE_PRIMARY;
		strcpy(m->u.hello.sw_version, "mctx seed");
		m->u.hello.poll_ms = 1000;
		m->u.hello.hold_ms = 15000;
		m->u.hello.groups[0].group = 1;
		m->u.hello.groups[1].group = 2;
		m->u.hello.n_digests = 1;
		strcpy(m->u.hello.digests[0].name, "admin");
		m->u.hello.n_ifs = 1;
		m->u.hello.ifs[0] = (struct fo_if_summary){ 1, FO_IF_NORMAL,
							    "ctx1", "outside" };
		break;
	case FO_WT_GROUP_REQ:
		m->u.group_req = (struct fo_group_req){ 1, FO_GA_ACTIVE, 2, "seed" };
		break;
	case FO_WT_CFG_CMD:
		m->u.cfg_cmd.cmd_seq = 1;
		strcpy(m->u.cfg_cmd.context, "ctx1");
		strcpy(m->u.cfg_cmd.text, "hostname seed");
		break;
	case FO_WT_CFG_SYNC_BEGIN:
		m->u.sync_begin = (struct fo_cfg_sync_begin){ 1, 2, 300 };
		break;
	case FO_WT_CFG_SYNC_CHUNK:
		m->u.sync_chunk.sync_id = 1;
		m->u.sync_chunk.data = (struct fo_bytes){ blob, sizeof blob };
		break;
	case FO_WT_CFG_SYNC_END:
		m->u.sync_end.sync_id = 1;
		m->u.sync_end.n_chunks = 1;
		break;
	case FO_WT_FILE_CHUNK:
		strcpy(m->u.file_chunk.path, "disk0:/seed.cfg");
		m->u.file_chunk.total_size = sizeof blob;
		m->u.file_chunk.data = (struct fo_bytes){ blob, sizeof blob };
		break;
	case FO_WT_STATE:
		m->u.state.n_recs = 2;
		m->u.state.recs[0] = (struct fo_state_rec){ FO_OBJ_TCP_CONN,
							    { blob, sizeof blob } };
		m->u.state.recs[1] = (struct fo_state_rec){ FO_OBJ_ARP, { NULL, 0 } };
		break;
	case FO_WT_BULK_REQ:
		m->u.bulk_req.group_mask = 3;
		break;
	case FO_WT_ACK:
		m->u.ack = (struct fo_ack){ FO_CH_STATE, 9 };
		break;
	case FO_WT_EXEC_REQ:
		m->u.exec_req.exec_id = 1;
		strcpy(m->u.exec_req.text, "show failover");
		break;
	case FO_WT_EXEC_REPLY:
		m->u.exec_reply.exec_id = 1;
		m->u.exec_reply.output = (struct fo_bytes){ blob, sizeof blob };
		break;
	case FO_WT_IFMON_HELLO:
		m->u.ifmon_hello.group = 2;
		strcpy(m->u.ifmon_hello.ifname, "Ethernet0.1");
		break;
	default:
		break;
	}
}

static int write_file(const char *dir, const char *kind, int t,
		      const struct buf *b)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s-%02d", dir, kind, t);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct fo_crypto *keyed, *clear;
	struct fo_wire_msg *m = calloc(1, sizeof *m);

	if (argc != 2 || !m)
		return 2;
	if (fo_crypto_create(&keyed, FO_WIRE_ROLE_PRIMARY, FUZZ_KEY,
			     strlen(FUZZ_KEY), FUZZ_SENDER_EPOCH) ||
	    fo_crypto_create(&clear, FO_WIRE_ROLE_PRIMARY, NULL, 0,
			     FUZZ_SENDER_EPOCH))
		return 1;
	for (int t = FO_WT_NONE + 1; t < FO_WT_MAX; t++) {
		struct buf b;
		buf_init(&b);
		fill(m, t);
		if (fo_wire_encode(&b, m) || write_file(argv[1], "plain", t, &b))
			return 1;
		struct buf s;
		buf_init(&s);
		buf_add(&s, b.data, b.len);
		if (fo_crypto_seal(clear, &b, 0) ||
		    write_file(argv[1], "clear", t, &b) ||
		    fo_crypto_seal(keyed, &s, 0) ||
		    write_file(argv[1], "sealed", t, &s))
			return 1;
		buf_free(&b);
		buf_free(&s);
	}
	fo_crypto_destroy(keyed);
	fo_crypto_destroy(clear);
	free(m);
	return 0;
}
