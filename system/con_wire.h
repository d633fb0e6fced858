/*
 * con_wire: the framing between the operator console `mctx` and the daemon's
 * console server, over a unix stream socket.  Pure codec: nothing here does
 * I/O, so every function can be unit-tested and fuzzed on byte arrays.
 *
 * Frame = 12-byte header in network byte order, then `len` payload bytes:
 *   u32 len     payload length, at most CON_MAX_PAYLOAD
 *   u16 type    enum con_type
 *   u16 flags   reserved, 0 today (carried, never interpreted by the codec)
 *   u32 id      request id chosen by the client; replies echo it;
 *               0 for unsolicited frames (NOTICE, BYE, WELCOME)
 *
 * A request (EXEC, HELP, COMPLETE) is answered by zero or more OUTPUT frames
 * and exactly one DONE frame carrying the same id.  NOTICE frames may arrive
 * at any time, also between the OUTPUTs of a request.
 *
 * Payloads:
 *   HELLO     u16 version (CON_VERSION), u16 hello flags (CON_HELLO_BATCH)
 *   EXEC      one command line, UTF-8, no NUL/CR/LF, at most CON_MAX_LINE bytes
 *   HELP      the partial line as typed when '?' was pressed, without the '?'
 *   COMPLETE  the partial line when Tab was pressed; the reply OUTPUT lists
 *             candidate words, one per line
 *   WELCOME   u16 version, then the prompt (text, no NUL)
 *   OUTPUT    a text chunk, written to stdout as received
 *   DONE      u8 status (enum con_status), then the new prompt
 *   NOTICE    text the console prints at once
 *   BYE       optional text; the server closes the session after it
 */
#ifndef MCTX_CON_WIRE_H
#define MCTX_CON_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "system/sys_buf.h"

#define CON_HDR_LEN      12
#define CON_MAX_PAYLOAD  (16u << 20)
#define CON_MAX_LINE     4096
#define CON_MAX_PROMPT   256        /* prompt bytes, without the NUL */
#define CON_VERSION      1
#define CON_HELLO_BATCH  0x0001u    /* hello flag: non-interactive session */
#define CON_DEFAULT_SOCKET "/run/mctx/console.sock"

enum con_type {
	/* client -> server */
	CON_HELLO    = 1,
	CON_EXEC     = 2,
	CON_HELP     = 3,
	CON_COMPLETE = 4,
	/* server -> client */
	CON_WELCOME  = 16,
	CON_OUTPUT   = 17,
	CON_DONE     = 18,
	CON_NOTICE   = 19,
	CON_BYE      = 20,
};

enum con_status {
	CON_ST_OK         = 0,
	CON_ST_WARNING    = 1,  /* ran, with a warning */
	CON_ST_ERROR      = 2,  /* failed */
	CON_ST_INCOMPLETE = 3,
	CON_ST_AMBIGUOUS  = 4,
	CON_ST_MAX
};

/* One decoded frame.  payload points into the caller's input bytes. */
struct con_frame {
	uint16_t type, flags;
	uint32_t id;
	const uint8_t *payload;
	uint32_t len;
};

/* Appends a whole frame (header + payload) to out.  len must be at most
 * CON_MAX_PAYLOAD (larger is a programming error: abort). */
void con_frame_put(struct buf *out, uint16_t type, uint16_t flags, uint32_t id,
		   const void *payload, uint32_t len);

/* Tries to take one frame from the front of in[0..inlen).  Returns the bytes
 * consumed (> 0) and fills f (f->payload points into in); 0 if more bytes are
 * needed; -EPROTO for an unknown type; -EMSGSIZE for len > CON_MAX_PAYLOAD.
 * A negative return means the stream is unusable: close the connection. */
ssize_t con_frame_get(const uint8_t *in, size_t inlen, struct con_frame *f);

/* HELLO: payload is exactly 4 bytes.  The parser returns the version as sent;
 * the caller decides whether it accepts it.  -EPROTO on wrong type or size. */
void con_put_hello(struct buf *out, uint32_t id, uint16_t hello_flags);
int con_parse_hello(const struct con_frame *f, uint16_t *version,
		    uint16_t *hello_flags);

/* WELCOME: version CON_VERSION and prompt (the encoders cut a prompt longer
 * than CON_MAX_PROMPT, which a parser would refuse).  The parser copies the prompt
 * NUL-terminated into prompt[promptlen].  -EPROTO on wrong type, short
 * payload or NUL inside; -EMSGSIZE when the prompt does not fit or exceeds
 * CON_MAX_PROMPT. */
void con_put_welcome(struct buf *out, uint32_t id, const char *prompt);
int con_parse_welcome(const struct con_frame *f, uint16_t *version,
		      char *prompt, size_t promptlen);

/* DONE: status and the new prompt.  Same errors as con_parse_welcome, plus
 * -EPROTO for a status >= CON_ST_MAX. */
void con_put_done(struct buf *out, uint32_t id, uint8_t status,
		  const char *prompt);
int con_parse_done(const struct con_frame *f, uint8_t *status, char *prompt,
		   size_t promptlen);

/* Text frames (EXEC, HELP, COMPLETE, OUTPUT, NOTICE, BYE): payload is the
 * string without its NUL.  For the line types (EXEC/HELP/COMPLETE) a text
 * longer than CON_MAX_LINE is a programming error (abort); the client checks
 * with con_line_check() first. */
void con_put_text(struct buf *out, uint16_t type, uint32_t id,
		  const char *text);

/* 0 if line[0..len) is a valid command line: at most CON_MAX_LINE bytes
 * (-EMSGSIZE), no NUL, CR or LF (-EPROTO). */
int con_line_check(const char *line, size_t len);

/* Parses an EXEC/HELP/COMPLETE payload into line[linelen] (NUL-terminated;
 * CON_MAX_LINE + 1 is always enough).  -EPROTO on wrong type or a byte
 * rejected by con_line_check(); -EMSGSIZE if too long or it does not fit. */
int con_parse_line(const struct con_frame *f, char *line, size_t linelen);

/* Copies any frame's payload as text into dst[dstlen], NUL-terminated.
 * -EPROTO on an embedded NUL, -EMSGSIZE if len >= dstlen. */
int con_text_copy(const struct con_frame *f, char *dst, size_t dstlen);

/* True for the types a client may send (HELLO, EXEC, HELP, COMPLETE). */
bool con_type_is_request(uint16_t type);

/* "HELLO", "EXEC", ... or "UNKNOWN"; "OK", "WARNING", ... or "UNKNOWN". */
const char *con_type_name(uint16_t type);
const char *con_status_name(uint8_t status);

#endif
