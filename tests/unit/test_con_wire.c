/*
 * test_con_wire: the console frame codec.  Round trips of every frame type,
 * then everything a hostile or broken peer can send: short reads, oversized
 * and unknown headers, wrong payload sizes, NULs, random garbage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "system/con_wire.h"

static const uint8_t *bytes(const struct buf *b)
{
	return (const uint8_t *)b->data;
}

/* Decodes exactly one frame that fills the whole buffer. */
static void get_whole(const struct buf *b, struct con_frame *f)
{
	ssize_t n = con_frame_get(bytes(b), b->len, f);
	assert_int_equal(n, (ssize_t)b->len);
}

/* A hand-made header, to test what our own encoder never produces. */
static void put_raw_header(uint8_t *h, uint32_t len, uint16_t type,
			   uint16_t flags, uint32_t id)
{
	h[0] = len >> 24; h[1] = len >> 16; h[2] = len >> 8; h[3] = len;
	h[4] = type >> 8; h[5] = type;
	h[6] = flags >> 8; h[7] = flags;
	h[8] = id >> 24; h[9] = id >> 16; h[10] = id >> 8; h[11] = id;
}

static void test_header_layout(void **state)
{
	struct buf b;
	buf_init(&b);
	con_frame_put(&b, CON_OUTPUT, 0x0102, 0xa1b2c3d4, "hi", 2);
	static const uint8_t want[] = { 0, 0, 0, 2, 0, 17, 0x01, 0x02,
					0xa1, 0xb2, 0xc3, 0xd4, 'h', 'i' };
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);

	struct con_frame f;
	get_whole(&b, &f);
	assert_int_equal(f.type, CON_OUTPUT);
	assert_int_equal(f.flags, 0x0102);
	assert_int_equal(f.id, 0xa1b2c3d4);
	assert_int_equal(f.len, 2);
	assert_ptr_equal(f.payload, bytes(&b) + CON_HDR_LEN);
	buf_free(&b);
}

static void test_hello_round_trip(void **state)
{
	static const uint16_t flags[] = { 0, CON_HELLO_BATCH, 0xffff };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct buf b;
		struct con_frame f;
		uint16_t version = 0, got_flags = 0;
		buf_init(&b);
		con_put_hello(&b, 7, flags[i]);
		assert_int_equal(b.len, CON_HDR_LEN + 4);
		get_whole(&b, &f);
		assert_int_equal(f.type, CON_HELLO);
		assert_int_equal(f.id, 7);
		assert_int_equal(con_parse_hello(&f, &version, &got_flags), 0);
		assert_int_equal(version, CON_VERSION);
		assert_int_equal(got_flags, flags[i]);
		buf_free(&b);
	}
}

static const char *const prompts[] = {
	"", "ciscoasa# ", "ciscoasa/admin(config-if)# ", "ciscoasa/pri/act> ",
	"\xc3\xa9t\xc3\xa9# ",  /* UTF-8 */
};

static void test_welcome_round_trip(void **state)
{
	for (size_t i = 0; i < sizeof prompts / sizeof prompts[0]; i++) {
		struct buf b;
		struct con_frame f;
		uint16_t version = 0;
		char prompt[CON_MAX_PROMPT + 1];
		buf_init(&b);
		con_put_welcome(&b, 0, prompts[i]);
		get_whole(&b, &f);
		assert_int_equal(f.type, CON_WELCOME);
		assert_int_equal(con_parse_welcome(&f, &version, prompt,
						   sizeof prompt), 0);
		assert_int_equal(version, CON_VERSION);
		assert_string_equal(prompt, prompts[i]);
		buf_free(&b);
	}
}

static void test_done_round_trip(void **state)
{
	for (uint8_t st = 0; st < CON_ST_MAX; st++) {
		for (size_t i = 0; i < sizeof prompts / sizeof prompts[0]; i++) {
			struct buf b;
			struct con_frame f;
			uint8_t status = 0xff;
			char prompt[CON_MAX_PROMPT + 1];
			buf_init(&b);
			con_put_done(&b, 1000 + st, st, prompts[i]);
			get_whole(&b, &f);
			assert_int_equal(f.type, CON_DONE);
			assert_int_equal(f.id, 1000 + st);
			assert_int_equal(con_parse_done(&f, &status, prompt,
							sizeof prompt), 0);
			assert_int_equal(status, st);
			assert_string_equal(prompt, prompts[i]);
			buf_free(&b);
		}
	}
}

static void test_text_round_trip(void **state)
{
	static const struct {
		uint16_t type;
		const char *text;
		bool is_line;
	} cases[] = {
		{ CON_EXEC, "show failover", true },
		{ CON_EXEC, "", true },
		{ CON_HELP, "sh", true },
		{ CON_HELP, "show ", true },
		{ CON_COMPLETE, "failover gr", true },
		{ CON_OUTPUT, "Failover On\nFailover unit Primary\n", false },
		{ CON_OUTPUT, "", false },
		{ CON_NOTICE, "Beginning configuration replication: "
			      "Sending to mate.\n", false },
		{ CON_BYE, "", false },
		{ CON_BYE, "Logoff\n", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct con_frame f;
		char text[CON_MAX_LINE + 1];
		buf_init(&b);
		con_put_text(&b, cases[i].type, 42, cases[i].text);
		get_whole(&b, &f);
		assert_int_equal(f.type, cases[i].type);
		assert_int_equal(f.id, 42);
		assert_int_equal(f.len, strlen(cases[i].text));
		assert_int_equal(con_text_copy(&f, text, sizeof text), 0);
		assert_string_equal(text, cases[i].text);
		memset(text, 'x', sizeof text);
		assert_int_equal(con_parse_line(&f, text, sizeof text),
				 cases[i].is_line ? 0 : -EPROTO);
		if (cases[i].is_line)
			assert_string_equal(text, cases[i].text);
		assert_int_equal(con_type_is_request(cases[i].type),
				 cases[i].is_line);
		buf_free(&b);
	}
}

static void test_max_line(void **state)
{
	char *line = malloc(CON_MAX_LINE + 2);
	char out[CON_MAX_LINE + 1];
	struct buf b;
	struct con_frame f;

	memset(line, 'a', CON_MAX_LINE);
	line[CON_MAX_LINE] = '\0';
	assert_int_equal(con_line_check(line, CON_MAX_LINE), 0);
	buf_init(&b);
	con_put_text(&b, CON_EXEC, 1, line);
	get_whole(&b, &f);
	assert_int_equal(con_parse_line(&f, out, sizeof out), 0);
	assert_int_equal(strlen(out), CON_MAX_LINE);
	/* does not fit a buffer one byte short */
	assert_int_equal(con_parse_line(&f, out, CON_MAX_LINE), -EMSGSIZE);

	/* one byte more: refused by the check, and by the parser when a
	 * foreign client sends it anyway */
	line[CON_MAX_LINE] = 'a';
	line[CON_MAX_LINE + 1] = '\0';
	assert_int_equal(con_line_check(line, CON_MAX_LINE + 1), -EMSGSIZE);
	buf_reset(&b);
	con_frame_put(&b, CON_EXEC, 0, 1, line, CON_MAX_LINE + 1);
	get_whole(&b, &f);
	assert_int_equal(con_parse_line(&f, out, sizeof out), -EMSGSIZE);
	buf_free(&b);
	free(line);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
		{ "show\0run", 8, -EPROTO },
		{ "\0", 1, -EPROTO },
		{ "show run\n", 9, -EPROTO },
		{ "show\rrun", 8, -EPROTO },
		{ "show run\t", 9, 0 },
		{ "\xff\xfe", 2, 0 },     /* not our business: the parser says */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct con_frame f;
		char out[CON_MAX_LINE + 1];
		assert_int_equal(con_line_check(cases[i].bytes, cases[i].len),
				 cases[i].want);
		buf_init(&b);
		con_frame_put(&b, CON_HELP, 0, 9, cases[i].bytes,
			      (uint32_t)cases[i].len);
		get_whole(&b, &f);
		assert_int_equal(con_parse_line(&f, out, sizeof out),
				 cases[i].want);
		buf_free(&b);
	}
}

static void test_text_copy_errors(void **state)
{
	struct buf b;
	struct con_frame f;
	char small[4];

	buf_init(&b);
	con_frame_put(&b, CON_OUTPUT, 0, 1, "ab\0c", 4);
	get_whole(&b, &f);
	assert_int_equal(con_text_copy(&f, small, sizeof small), -EPROTO);
	buf_reset(&b);
	con_put_text(&b, CON_NOTICE, 0, "abcd");
	get_whole(&b, &f);
	assert_int_equal(con_text_copy(&f, small, sizeof small), -EMSGSIZE);
	buf_reset(&b);
	con_put_text(&b, CON_NOTICE, 0, "abc");
	get_whole(&b, &f);
	assert_int_equal(con_text_copy(&f, small, sizeof small), 0);
	assert_string_equal(small, "abc");
	buf_free(&b);
}

/* Every proper prefix of a frame asks for more bytes. */
static void test_truncated(void **state)
{
	struct buf b;
	struct con_frame f;
	buf_init(&b);
	con_put_done(&b, 5, CON_ST_OK, "ciscoasa# ");
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(con_frame_get(bytes(&b), n, &f), 0);
	assert_int_equal(con_frame_get(bytes(&b), b.len, &f), (ssize_t)b.len);
	buf_free(&b);
}

static void test_bad_headers(void **state)
{
	static const struct {
		uint32_t len;
		uint16_t type;
		ssize_t want;   /* with the header alone */
	} cases[] = {
		{ 0, CON_OUTPUT, CON_HDR_LEN },
		{ CON_MAX_PAYLOAD, CON_OUTPUT, 0 },        /* legal, needs more */
		{ CON_MAX_PAYLOAD + 1, CON_OUTPUT, -EMSGSIZE },
		{ UINT32_MAX, CON_EXEC, -EMSGSIZE },
		{ 0, 0, -EPROTO },
		{ 0, 5, -EPROTO },
		{ 0, 15, -EPROTO },
		{ 0, 21, -EPROTO },
		{ 100, 0xffff, -EPROTO },
		{ UINT32_MAX, 0xffff, -EMSGSIZE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t h[CON_HDR_LEN];
		struct con_frame f;
		put_raw_header(h, cases[i].len, cases[i].type, 0, 1);
		assert_int_equal(con_frame_get(h, sizeof h, &f), cases[i].want);
	}
}

static void test_bad_payload_sizes(void **state)
{
	static const struct {
		uint16_t type;
		const char *payload;
		uint32_t len;
		int hello, welcome, done;   /* each parser's verdict */
	} cases[] = {
		{ CON_HELLO, "", 0, -EPROTO, -EPROTO, -EPROTO },
		{ CON_HELLO, "\0\1", 2, -EPROTO, -EPROTO, -EPROTO },
		{ CON_HELLO, "\0\1\0", 3, -EPROTO, -EPROTO, -EPROTO },
		{ CON_HELLO, "\0\1\0\1", 4, 0, -EPROTO, -EPROTO },
		{ CON_HELLO, "\0\1\0\1\0", 5, -EPROTO, -EPROTO, -EPROTO },
		{ CON_WELCOME, "", 0, -EPROTO, -EPROTO, -EPROTO },
		{ CON_WELCOME, "\0", 1, -EPROTO, -EPROTO, -EPROTO },
		{ CON_WELCOME, "\0\1", 2, -EPROTO, 0, -EPROTO },
		{ CON_WELCOME, "\0\1a\0b", 5, -EPROTO, -EPROTO, -EPROTO },
		{ CON_DONE, "", 0, -EPROTO, -EPROTO, -EPROTO },
		{ CON_DONE, "\0", 1, -EPROTO, -EPROTO, 0 },
		{ CON_DONE, "\4x# ", 4, -EPROTO, -EPROTO, 0 },
		{ CON_DONE, "\5x# ", 4, -EPROTO, -EPROTO, -EPROTO },
		{ CON_DONE, "\xff", 1, -EPROTO, -EPROTO, -EPROTO },
		{ CON_DONE, "\0a\0", 3, -EPROTO, -EPROTO, -EPROTO },
		{ CON_OUTPUT, "\0\1\0\1", 4, -EPROTO, -EPROTO, -EPROTO },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct con_frame f;
		uint16_t v, fl;
		uint8_t st;
		char prompt[CON_MAX_PROMPT + 1];
		buf_init(&b);
		con_frame_put(&b, cases[i].type, 0, 1, cases[i].payload,
			      cases[i].len);
		get_whole(&b, &f);
		assert_int_equal(con_parse_hello(&f, &v, &fl), cases[i].hello);
		assert_int_equal(con_parse_welcome(&f, &v, prompt,
						   sizeof prompt),
				 cases[i].welcome);
		assert_int_equal(con_parse_done(&f, &st, prompt, sizeof prompt),
				 cases[i].done);
		buf_free(&b);
	}
}

static void test_long_prompts(void **state)
{
	char big[CON_MAX_PROMPT + 2];
	char prompt[CON_MAX_PROMPT + 1];
	struct buf b;
	struct con_frame f;
	uint8_t status;

	memset(big, 'p', sizeof big);
	big[CON_MAX_PROMPT + 1] = '\0';
	/* a foreign server sending 257 prompt bytes is refused */
	buf_init(&b);
	uint8_t payload[1 + CON_MAX_PROMPT + 1];
	payload[0] = CON_ST_OK;
	memcpy(payload + 1, big, CON_MAX_PROMPT + 1);
	con_frame_put(&b, CON_DONE, 0, 1, payload, sizeof payload);
	get_whole(&b, &f);
	assert_int_equal(con_parse_done(&f, &status, prompt, sizeof prompt),
			 -EMSGSIZE);
	/* our encoder never sends one: it cuts at CON_MAX_PROMPT */
	buf_reset(&b);
	con_put_done(&b, 1, CON_ST_OK, big);
	get_whole(&b, &f);
	assert_int_equal(con_parse_done(&f, &status, prompt, sizeof prompt), 0);
	assert_int_equal(strlen(prompt), CON_MAX_PROMPT);
	/* a caller buffer too small for a legal prompt */
	assert_int_equal(con_parse_done(&f, &status, prompt, 10), -EMSGSIZE);
	buf_free(&b);
}

/* A stream of mixed frames, as a server would write it. */
static void build_stream(struct buf *b)
{
	con_put_welcome(b, 0, "ciscoasa# ");
	con_put_text(b, CON_NOTICE, 0, "Beginning configuration replication\n");
	con_put_text(b, CON_OUTPUT, 3, "line one\n");
	con_put_text(b, CON_OUTPUT, 3, "");
	con_put_text(b, CON_OUTPUT, 3, "line two\n");
	con_put_done(b, 3, CON_ST_WARNING, "ciscoasa(config)# ");
	con_put_hello(b, 4, CON_HELLO_BATCH);
	con_put_text(b, CON_BYE, 0, "Logoff\n");
}

static size_t decode_all(const struct buf *b, struct con_frame *frames,
			 size_t max)
{
	size_t n = 0, off = 0;
	while (off < b->len && n < max) {
		ssize_t got = con_frame_get(bytes(b) + off, b->len - off,
					    &frames[n]);
		assert_true(got > 0);
		off += (size_t)got;
		n++;
	}
	assert_int_equal(off, b->len);
	return n;
}

static void assert_same_frame(const struct con_frame *a,
			      const struct con_frame *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->len, b->len);
	if (a->len)
		assert_memory_equal(a->payload, b->payload, a->len);
}

/*
 * Reassembly the way a reader does it: bytes arrive in two chunks split at
 * every position, and also one byte at a time; frames are taken from the
 * front of the accumulated buffer as soon as they are whole.
 */
static void test_stream_reassembly(void **state)
{
	struct buf stream;
	struct con_frame want[16];
	buf_init(&stream);
	build_stream(&stream);
	size_t nwant = decode_all(&stream, want, 16);
	assert_int_equal(nwant, 8);

	for (size_t split = 0; split <= stream.len; split++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct buf acc;
			size_t fed = 0, got = 0;
			buf_init(&acc);
			while (fed < stream.len) {
				size_t chunk = bytewise ? 1 :
					(fed < split ? split - fed
						     : stream.len - fed);
				buf_add(&acc, stream.data + fed, chunk);
				fed += chunk;
				struct con_frame f;
				ssize_t n;
				while ((n = con_frame_get(bytes(&acc), acc.len,
							  &f)) > 0) {
					assert_true(got < nwant);
					assert_same_frame(&f, &want[got]);
					got++;
					buf_consume(&acc, (size_t)n);
				}
				assert_int_equal(n, 0);
			}
			assert_int_equal(got, nwant);
			assert_int_equal(acc.len, 0);
			buf_free(&acc);
		}
	}
	buf_free(&stream);
}

/* Runs every parser on whatever the decoder accepts. */
static void parse_everything(const struct con_frame *f)
{
	uint16_t v, fl;
	uint8_t st;
	char text[CON_MAX_LINE + 1];
	char small[8];
	(void)con_parse_hello(f, &v, &fl);
	(void)con_parse_welcome(f, &v, text, sizeof text);
	(void)con_parse_done(f, &st, text, sizeof text);
	(void)con_parse_done(f, &st, small, sizeof small);
	(void)con_parse_line(f, text, sizeof text);
	(void)con_text_copy(f, small, sizeof small);
	assert_non_null(con_type_name(f->type));
}

/*
 * Garbage never crashes (ASan/UBSan watch the reads): random bytes, and
 * valid streams with random bytes flipped, fed through a reader loop that
 * stops at the first error as the real readers do.
 */
static void test_garbage(void **state)
{
	unsigned seed = 12345;
	struct buf valid;
	size_t frames_seen = 0, errors_seen = 0;
	buf_init(&valid);
	build_stream(&valid);

	for (int round = 0; round < 20000; round++) {
		size_t len;
		uint8_t *data;
		if (round % 2) {
			len = valid.len;
			data = malloc(len);
			memcpy(data, valid.data, len);
			for (int k = 0; k < 1 + round % 4; k++)
				data[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		} else {
			len = (size_t)(rand_r(&seed) % 64);
			data = malloc(len ? len : 1);
			for (size_t k = 0; k < len; k++)
				data[k] = (uint8_t)rand_r(&seed);
			/* bias toward plausible headers: small len, real type */
			if (len >= CON_HDR_LEN && round % 4 == 0) {
				data[0] = data[1] = data[2] = 0;
				data[3] %= 64;
				data[4] = 0;
				data[5] = (uint8_t)(1 + rand_r(&seed) % 20);
			}
		}
		size_t off = 0;
		for (;;) {
			struct con_frame f;
			ssize_t n = con_frame_get(data + off, len - off, &f);
			if (n < 0)
				errors_seen++;
			if (n <= 0)
				break;
			assert_true((size_t)n <= len - off);
			parse_everything(&f);
			frames_seen++;
			off += (size_t)n;
		}
		free(data);
	}
	/* the fuzzing reached both the parsers and the refusals */
	assert_true(frames_seen > 1000);
	assert_true(errors_seen > 1000);
	buf_free(&valid);
}

static void test_names(void **state)
{
	static const struct {
		uint16_t type;
		const char *name;
	} types[] = {
		{ CON_HELLO, "HELLO" }, { CON_EXEC, "EXEC" }, { CON_HELP, "HELP" },
		{ CON_COMPLETE, "COMPLETE" }, { CON_WELCOME, "WELCOME" },
		{ CON_OUTPUT, "OUTPUT" }, { CON_DONE, "DONE" },
		{ CON_NOTICE, "NOTICE" }, { CON_BYE, "BYE" },
		{ 0, "UNKNOWN" }, { 99, "UNKNOWN" },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		assert_string_equal(con_type_name(types[i].type), types[i].name);
	static const char *const st[] = { "OK", "WARNING", "ERROR",
					  "INCOMPLETE", "AMBIGUOUS" };
	for (uint8_t s = 0; s < CON_ST_MAX; s++)
		assert_string_equal(con_status_name(s), st[s]);
	assert_string_equal(con_status_name(CON_ST_MAX), "UNKNOWN");
	assert_string_equal(con_status_name(255), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_welcome_round_trip),
		cmocka_unit_test(test_done_round_trip),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_max_line),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_text_copy_errors),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_payload_sizes),
		cmocka_unit_test(test_long_prompts),
		cmocka_unit_test(test_stream_reassembly),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
