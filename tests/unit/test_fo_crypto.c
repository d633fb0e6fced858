/*
 * fo_crypto: round trip (keyed and cleartext), wrong key, replay,
 * reordering inside the window, too old, tampering, stale epoch, restart
 * of the mate (new epoch) and per-direction keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failover/fo_crypto.h"
#include "failover/fo_wire.h"
#include "system/sys_log.h"

#define KEY "cisco123-failover-key"

struct pair {
	struct fo_crypto *pri;   /* sends primary->secondary */
	struct fo_crypto *sec;
};

static void pair_make(struct pair *p, const char *kpri, const char *ksec)
{
	assert_int_equal(fo_crypto_create(&p->pri, FO_WIRE_ROLE_PRIMARY, kpri,
					  kpri ? strlen(kpri) : 0, 1000), 0);
	assert_int_equal(fo_crypto_create(&p->sec, FO_WIRE_ROLE_SECONDARY, ksec,
					  ksec ? strlen(ksec) : 0, 2000), 0);
}

static void pair_free(struct pair *p)
{
	fo_crypto_destroy(p->pri);
	fo_crypto_destroy(p->sec);
}

/* A sealed CFG_CMD carrying text (the channel is CONFIG). */
static void seal_cmd(struct fo_crypto *c, struct buf *b, const char *text)
{
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	buf_reset(b);
	fo_wire_msg_init(m, FO_WT_CFG_CMD);
	m->u.cfg_cmd.cmd_seq = 5;
	strcpy(m->u.cfg_cmd.text, text);
	assert_int_equal(fo_wire_encode(b, m), 0);
	assert_int_equal(fo_crypto_seal(c, b, 0), 0);
	free(m);
}

/* Opens a copy of b (so b can be replayed). */
static enum fo_crypto_verdict open_copy(struct fo_crypto *c,
					const struct buf *b, char *text_out)
{
	uint8_t *p = malloc(b->len);
	size_t n = 0;
	memcpy(p, b->data, b->len);
	enum fo_crypto_verdict v = fo_crypto_open(c, p, b->len, &n);
	if (v == FO_CRYPTO_OK) {
		struct fo_wire_msg *m = calloc(1, sizeof *m);
		assert_int_equal(fo_wire_decode(p, n, m), FO_WIRE_OK);
		if (text_out)
			strcpy(text_out, m->u.cfg_cmd.text);
		free(m);
	}
	free(p);
	return v;
}

static void test_roundtrip(void **state)
{
	const char *keys[] = { KEY, NULL };   /* keyed, then cleartext */
	for (int k = 0; k < 2; k++) {
		struct pair p;
		struct buf b;
		char text[64];
		buf_init(&b);
		pair_make(&p, keys[k], keys[k]);
		assert_int_equal(fo_crypto_keyed(p.pri), keys[k] != NULL);
		seal_cmd(p.pri, &b, "hostname fw1");
		/* ciphertext hides the command; cleartext does not */
		assert_int_equal(memmem(b.data, b.len, "hostname", 8) == NULL,
				 keys[k] != NULL);
		assert_int_equal(b.len, FO_WIRE_HDR_LEN + 12 + 16 +
				 (keys[k] ? FO_WIRE_TAG_LEN : 0));
		assert_int_equal(open_copy(p.sec, &b, text), FO_CRYPTO_OK);
		assert_string_equal(text, "hostname fw1");
		/* and the other direction */
		seal_cmd(p.sec, &b, "write standby");
		assert_int_equal(open_copy(p.pri, &b, text), FO_CRYPTO_OK);
		assert_string_equal(text, "write standby");
		assert_int_equal(fo_crypto_peer_epoch(p.pri), 2000);
		assert_int_equal(fo_crypto_count(p.sec, FO_CRYPTO_OK), 1);
		pair_free(&p);
		buf_free(&b);
	}
}

static void count_decrypt_lines(const char *line, void *arg)
{
	if (strstr(line, "920101") &&
	    strstr(line, "Failover message decryption failure. Please make "
			 "sure both units have the same failover shared key"))
		++*(int *)arg;
}

static void test_wrong_key(void **state)
{
	struct pair p;
	struct buf b;
	int lines = 0;
	buf_init(&b);
	pair_make(&p, KEY, "another-key");
	seal_cmd(p.pri, &b, "hostname fw1");
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_AUTH_FAILED);
	assert_int_equal(fo_crypto_count(p.sec, FO_CRYPTO_AUTH_FAILED), 1);
	assert_int_equal(fo_crypto_peer_epoch(p.sec), 0);  /* not adopted */
	log_ring_walk(count_decrypt_lines, &lines);
	assert_true(lines >= 1);
	pair_free(&p);

	/* keyed vs cleartext, both ways */
	pair_make(&p, KEY, NULL);
	seal_cmd(p.pri, &b, "x");
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_UNEXPECTED_KEY);
	seal_cmd(p.sec, &b, "x");
	assert_int_equal(open_copy(p.pri, &b, NULL), FO_CRYPTO_NOT_ENCRYPTED);
	pair_free(&p);
	buf_free(&b);
}

/* Directions use different keys: a unit's own message does not open
 * as if it came from the mate (reflection). */
static void test_reflection(void **state)
{
	struct pair p;
	struct fo_crypto *pri2;
	struct buf b;
	buf_init(&b);
	pair_make(&p, KEY, KEY);
	assert_int_equal(fo_crypto_create(&pri2, FO_WIRE_ROLE_PRIMARY, KEY,
					  strlen(KEY), 3000), 0);
	seal_cmd(p.pri, &b, "x");
	assert_int_equal(open_copy(pri2, &b, NULL), FO_CRYPTO_AUTH_FAILED);
	fo_crypto_destroy(pri2);
	pair_free(&p);
	buf_free(&b);
}

/* Sequence table: send 1..N, deliver in this order, expect verdicts. */
struct seq_case {
	const char *name;
	int order[8];           /* message indexes (1-based), 0 ends */
	enum fo_crypto_verdict want[8];
};

static const struct seq_case seq_cases[] = {
	{ "in order", { 1, 2, 3 }, { FO_CRYPTO_OK, FO_CRYPTO_OK, FO_CRYPTO_OK } },
	{ "replay", { 1, 2, 2, 1 },
	  { FO_CRYPTO_OK, FO_CRYPTO_OK, FO_CRYPTO_REPLAY, FO_CRYPTO_REPLAY } },
	{ "reordered", { 3, 1, 2, 3 },
	  { FO_CRYPTO_OK, FO_CRYPTO_OK, FO_CRYPTO_OK, FO_CRYPTO_REPLAY } },
};

static void test_sequence_table(void **state)
{
	for (size_t i = 0; i < sizeof seq_cases / sizeof seq_cases[0]; i++) {
		struct pair p;
		struct buf sent[4];
		pair_make(&p, KEY, KEY);
		for (int s = 1; s <= 3; s++) {
			buf_init(&sent[s]);
			seal_cmd(p.pri, &sent[s], "x");
		}
		for (int k = 0; seq_cases[i].order[k]; k++) {
			enum fo_crypto_verdict v =
				open_copy(p.sec, &sent[seq_cases[i].order[k]], NULL);
			if (v != seq_cases[i].want[k])
				fail_msg("%s step %d: got %s", seq_cases[i].name, k,
					 fo_crypto_verdict_name(v));
		}
		for (int s = 1; s <= 3; s++)
			buf_free(&sent[s]);
		pair_free(&p);
	}
}

/* 1100 messages: the first ones fall out of the 1024 window. */
static void test_window_edges(void **state)
{
	enum { N = 1100 };
	struct pair p;
	struct buf *sent = calloc(N + 1, sizeof *sent);
	pair_make(&p, KEY, KEY);
	for (int s = 1; s <= N; s++) {
		buf_init(&sent[s]);
		seal_cmd(p.pri, &sent[s], "x");
	}
	/* deliver the newest first, then reordered old ones */
	assert_int_equal(open_copy(p.sec, &sent[N], NULL), FO_CRYPTO_OK);
	assert_int_equal(open_copy(p.sec, &sent[N - FO_CRYPTO_WINDOW + 1], NULL),
			 FO_CRYPTO_OK);   /* oldest still inside */
	assert_int_equal(open_copy(p.sec, &sent[N - FO_CRYPTO_WINDOW], NULL),
			 FO_CRYPTO_TOO_OLD);
	assert_int_equal(open_copy(p.sec, &sent[1], NULL), FO_CRYPTO_TOO_OLD);
	assert_int_equal(open_copy(p.sec, &sent[N - 1], NULL), FO_CRYPTO_OK);
	assert_int_equal(open_copy(p.sec, &sent[N - 1], NULL), FO_CRYPTO_REPLAY);
	assert_int_equal(fo_crypto_count(p.sec, FO_CRYPTO_TOO_OLD), 2);
	assert_int_equal(fo_crypto_count(p.sec, FO_CRYPTO_REPLAY), 1);
	for (int s = 1; s <= N; s++)
		buf_free(&sent[s]);
	free(sent);
	pair_free(&p);
}

/* Channels have their own sequences: a far-ahead state channel does not
 * make control messages "too old". */
static void test_channels_independent(void **state)
{
	struct pair p;
	struct buf b, hello;
	buf_init(&b);
	buf_init(&hello);
	pair_make(&p, KEY, KEY);
	struct fo_wire_msg *m = calloc(1, sizeof *m);
	fo_wire_msg_init(m, FO_WT_BULK_REQ);
	m->u.bulk_req.group_mask = 1;
	assert_int_equal(fo_wire_encode(&hello, m), 0);   /* state channel */
	assert_int_equal(fo_crypto_seal(p.pri, &hello, 0), 0);
	for (int i = 0; i < 3000; i++)
		seal_cmd(p.pri, &b, "x");
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_OK);  /* seq 3000 */
	assert_int_equal(open_copy(p.sec, &hello, NULL), FO_CRYPTO_OK); /* seq 1 */
	free(m);
	buf_free(&b);
	buf_free(&hello);
	pair_free(&p);
}

struct tamper_case {
	const char *name;
	size_t offset;          /* byte to flip; SIZE_MAX-n = from the end */
	bool from_end;
	enum fo_crypto_verdict want;
};

static const struct tamper_case tamper_cases[] = {
	{ "magic", 0, false, FO_CRYPTO_BAD_HEADER },
	{ "version", 2, false, FO_CRYPTO_BAD_HEADER },
	{ "type (to another config type)", 3, false, FO_CRYPTO_AUTH_FAILED },
	{ "flags: encrypted bit off", 4, false, FO_CRYPTO_NOT_ENCRYPTED },
	{ "epoch", 15, false, FO_CRYPTO_AUTH_FAILED },
	{ "seq", 22, false, FO_CRYPTO_AUTH_FAILED },
	{ "body_len", 27, false, FO_CRYPTO_BAD_LENGTH },
	{ "ciphertext", 30, false, FO_CRYPTO_AUTH_FAILED },
	{ "tag", 1, true, FO_CRYPTO_AUTH_FAILED },
};

static void test_tampered(void **state)
{
	for (size_t i = 0; i < sizeof tamper_cases / sizeof tamper_cases[0]; i++) {
		const struct tamper_case *t = &tamper_cases[i];
		struct pair p;
		struct buf b;
		buf_init(&b);
		pair_make(&p, KEY, KEY);
		seal_cmd(p.pri, &b, "hostname fw1");
		size_t at = t->from_end ? b.len - t->offset : t->offset;
		/* type 3 -> 4 (CFG_CMD -> CFG_SYNC_BEGIN, same channel) */
		b.data[at] ^= t->offset == 3 && !t->from_end ? 0x07 : 0x01;
		enum fo_crypto_verdict v = open_copy(p.sec, &b, NULL);
		if (v != t->want)
			fail_msg("%s: got %s want %s", t->name,
				 fo_crypto_verdict_name(v),
				 fo_crypto_verdict_name(t->want));
		/* the window did not move: the genuine message still opens */
		b.data[at] ^= t->offset == 3 && !t->from_end ? 0x07 : 0x01;
		assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_OK);
		buf_free(&b);
		pair_free(&p);
	}
}

static void test_short_and_garbage(void **state)
{
	struct pair p;
	struct buf b;
	uint8_t junk[64] = { 0 };
	size_t n;
	buf_init(&b);
	pair_make(&p, KEY, KEY);
	assert_int_equal(fo_crypto_open(p.sec, junk, 0, &n), FO_CRYPTO_BAD_LENGTH);
	assert_int_equal(fo_crypto_open(p.sec, junk, 27, &n), FO_CRYPTO_BAD_LENGTH);
	assert_int_equal(fo_crypto_open(p.sec, junk, sizeof junk, &n),
			 FO_CRYPTO_BAD_HEADER);
	seal_cmd(p.pri, &b, "x");
	b.len--;   /* truncated */
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_BAD_LENGTH);
	/* body shorter than the tag */
	struct fo_hdr h = { FO_WIRE_VERSION, FO_WT_ACK, FO_HDR_F_ENCRYPTED,
			    FO_CH_CONTROL, 5, 1, 4 };
	fo_wire_hdr_write(junk, &h);
	assert_int_equal(fo_crypto_open(p.sec, junk, FO_WIRE_HDR_LEN + 4, &n),
			 FO_CRYPTO_BAD_LENGTH);
	/* seal refuses a buffer that is not exactly one message */
	buf_reset(&b);
	buf_add(&b, junk, 10);
	assert_int_equal(fo_crypto_seal(p.pri, &b, 0), -EINVAL);
	buf_free(&b);
	pair_free(&p);
}

/* The mate restarts: a newer epoch is adopted (fresh window), an older
 * one is refused, and old-session replays stay refused. */
static void test_epochs(void **state)
{
	struct pair p;
	struct fo_crypto *restarted;
	struct buf old_msg, b;
	buf_init(&old_msg);
	buf_init(&b);
	pair_make(&p, KEY, KEY);
	for (int i = 0; i < 5; i++)
		seal_cmd(p.pri, &old_msg, "x");
	assert_int_equal(open_copy(p.sec, &old_msg, NULL), FO_CRYPTO_OK);

	assert_int_equal(fo_crypto_create(&restarted, FO_WIRE_ROLE_PRIMARY, KEY,
					  strlen(KEY), 1001), 0);
	seal_cmd(restarted, &b, "y");   /* seq 1 of the new session */
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_OK);
	assert_int_equal(fo_crypto_peer_epoch(p.sec), 1001);
	assert_int_equal(open_copy(p.sec, &old_msg, NULL), FO_CRYPTO_STALE_EPOCH);
	fo_crypto_destroy(restarted);

	/* cleartext mode checks epochs too */
	pair_free(&p);
	pair_make(&p, NULL, NULL);
	seal_cmd(p.pri, &old_msg, "x");
	assert_int_equal(fo_crypto_create(&restarted, FO_WIRE_ROLE_PRIMARY, NULL,
					  0, 999), 0);
	seal_cmd(restarted, &b, "y");
	assert_int_equal(open_copy(p.sec, &old_msg, NULL), FO_CRYPTO_OK);
	assert_int_equal(open_copy(p.sec, &b, NULL), FO_CRYPTO_STALE_EPOCH);
	assert_int_equal(open_copy(p.sec, &old_msg, NULL), FO_CRYPTO_REPLAY);
	fo_crypto_destroy(restarted);
	pair_free(&p);
	buf_free(&old_msg);
	buf_free(&b);
}

static void test_create_rejects(void **state)
{
	struct fo_crypto *c;
	char big[FO_CRYPTO_SECRET_MAX + 1];
	memset(big, 'k', sizeof big);
	assert_int_equal(fo_crypto_create(&c, FO_WIRE_ROLE_NONE, KEY, 3, 1), -EINVAL);
	assert_int_equal(fo_crypto_create(&c, FO_WIRE_ROLE_PRIMARY, KEY, 3, 0), -EINVAL);
	assert_int_equal(fo_crypto_create(&c, FO_WIRE_ROLE_PRIMARY, big, sizeof big, 1),
			 -EINVAL);
	assert_null(c);
	for (int v = 0; v < FO_CRYPTO_VERDICT_MAX; v++)
		assert_string_not_equal(fo_crypto_verdict_name(v), "?");
}

int main(void)
{
	log_init("test_fo_crypto", true, LOG_SEV_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_reflection),
		cmocka_unit_test(test_sequence_table),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_channels_independent),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_short_and_garbage),
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_create_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
