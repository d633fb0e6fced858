/*
 * con_wire: console frame codec.  See con_wire.h for the format.  Every
 * parser checks the frame type and the exact payload shape before reading a
 * byte of it: the daemon parses frames from any local process that can open
 * the socket, and the client from a daemon that may be half-upgraded.
 */
#include "system/con_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{ CON_HELLO,    "HELLO" },
	{ CON_EXEC,     "EXEC" },
	{ CON_HELP,     "HELP" },
	{ CON_COMPLETE, "COMPLETE" },
	{ CON_WELCOME,  "WELCOME" },
	{ CON_OUTPUT,   "OUTPUT" },
	{ CON_DONE,     "DONE" },
	{ CON_NOTICE,   "NOTICE" },
	{ CON_BYE,      "BYE" },
};

static const char *const status_names[] = {
	[CON_ST_OK]         = "OK",
	[CON_ST_WARNING]    = "WARNING",
	[CON_ST_ERROR]      = "ERROR",
	[CON_ST_INCOMPLETE] = "INCOMPLETE",
	[CON_ST_AMBIGUOUS]  = "AMBIGUOUS",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == CON_ST_MAX,
	       "one name per con_status");

const char *con_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "UNKNOWN";
}

const char *con_status_name(uint8_t status)
{
	if (status >= CON_ST_MAX)
		return "UNKNOWN";
	return status_names[status];
}

static bool type_known(uint16_t type)
{
	return strcmp(con_type_name(type), "UNKNOWN") != 0;
}

bool con_type_is_request(uint16_t type)
{
	return type == CON_HELLO || type == CON_EXEC || type == CON_HELP ||
	       type == CON_COMPLETE;
}

static bool type_is_line(uint16_t type)
{
	return type == CON_EXEC || type == CON_HELP || type == CON_COMPLETE;
}

void con_frame_put(struct buf *out, uint16_t type, uint16_t flags, uint32_t id,
		   const void *payload, uint32_t len)
{
	uint8_t hdr[CON_HDR_LEN];

	if (len > CON_MAX_PAYLOAD)
		abort();
	put_u32(hdr, len);
	put_u16(hdr + 4, type);
	put_u16(hdr + 6, flags);
	put_u32(hdr + 8, id);
	buf_reserve(out, CON_HDR_LEN + (size_t)len);
	buf_add(out, hdr, sizeof hdr);
	buf_add(out, payload, len);
}

ssize_t con_frame_get(const uint8_t *in, size_t inlen, struct con_frame *f)
{
	if (inlen < CON_HDR_LEN)
		return 0;
	uint32_t len = get_u32(in);
	uint16_t type = get_u16(in + 4);
	/* Judge the header before waiting for the payload, so a bad peer is
	 * refused at once instead of making us buffer up to 4 GiB. */
	if (len > CON_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (!type_known(type))
		return -EPROTO;
	if (inlen - CON_HDR_LEN < len)
		return 0;
	f->len = len;
	f->type = type;
	f->flags = get_u16(in + 6);
	f->id = get_u32(in + 8);
	f->payload = in + CON_HDR_LEN;
	return (ssize_t)(CON_HDR_LEN + (size_t)len);
}

void con_put_hello(struct buf *out, uint32_t id, uint16_t hello_flags)
{
	uint8_t p[4];

	put_u16(p, CON_VERSION);
	put_u16(p + 2, hello_flags);
	con_frame_put(out, CON_HELLO, 0, id, p, sizeof p);
}

int con_parse_hello(const struct con_frame *f, uint16_t *version,
		    uint16_t *hello_flags)
{
	if (f->type != CON_HELLO || f->len != 4)
		return -EPROTO;
	*version = get_u16(f->payload);
	*hello_flags = get_u16(f->payload + 2);
	return 0;
}

/* Copies text[0..len) into dst[dstlen] with a NUL; refuses NULs inside. */
static int text_copy(const uint8_t *text, size_t len, char *dst, size_t dstlen)
{
	if (memchr(text, '\0', len))
		return -EPROTO;
	if (len >= dstlen)
		return -EMSGSIZE;
	if (len)
		memcpy(dst, text, len);
	dst[len] = '\0';
	return 0;
}

int con_text_copy(const struct con_frame *f, char *dst, size_t dstlen)
{
	return text_copy(f->payload, f->len, dst, dstlen);
}

/* A prompt behind a fixed-size prefix (WELCOME's version, DONE's status). */
static int prompt_copy(const struct con_frame *f, size_t prefix, char *prompt,
		       size_t promptlen)
{
	size_t len = f->len - prefix;

	if (len > CON_MAX_PROMPT)
		return -EMSGSIZE;
	return text_copy(f->payload + prefix, len, prompt, promptlen);
}

static void put_prompt_frame(struct buf *out, uint16_t type, uint32_t id,
			     const uint8_t *prefix, size_t prefixlen,
			     const char *prompt)
{
	size_t plen = strlen(prompt);
	uint8_t p[4 + CON_MAX_PROMPT];

	if (plen > CON_MAX_PROMPT)
		plen = CON_MAX_PROMPT;   /* the server's prompts are short; never
					    send what the client must refuse */
	memcpy(p, prefix, prefixlen);
	memcpy(p + prefixlen, prompt, plen);
	con_frame_put(out, type, 0, id, p, (uint32_t)(prefixlen + plen));
}

void con_put_welcome(struct buf *out, uint32_t id, const char *prompt)
{
	uint8_t v[2];

	put_u16(v, CON_VERSION);
	put_prompt_frame(out, CON_WELCOME, id, v, sizeof v, prompt);
}

int con_parse_welcome(const struct con_frame *f, uint16_t *version,
		      char *prompt, size_t promptlen)
{
	if (f->type != CON_WELCOME || f->len < 2)
		return -EPROTO;
	int rc = prompt_copy(f, 2, prompt, promptlen);
	if (rc)
		return rc;
	*version = get_u16(f->payload);
	return 0;
}

void con_put_done(struct buf *out, uint32_t id, uint8_t status,
		  const char *prompt)
{
	put_prompt_frame(out, CON_DONE, id, &status, 1, prompt);
}

int con_parse_done(const struct con_frame *f, uint8_t *status, char *prompt,
		   size_t promptlen)
{
	if (f->type != CON_DONE || f->len < 1)
		return -EPROTO;
	if (f->payload[0] >= CON_ST_MAX)
		return -EPROTO;
	int rc = prompt_copy(f, 1, prompt, promptlen);
	if (rc)
		return rc;
	*status = f->payload[0];
	return 0;
}

void con_put_text(struct buf *out, uint16_t type, uint32_t id,
		  const char *text)
{
	size_t len = strlen(text);

	if (type_is_line(type) && len > CON_MAX_LINE)
		abort();
	if (len > CON_MAX_PAYLOAD)
		abort();
	con_frame_put(out, type, 0, id, text, (uint32_t)len);
}

int con_line_check(const char *line, size_t len)
{
	if (len > CON_MAX_LINE)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
			return -EPROTO;
	return 0;
}

int con_parse_line(const struct con_frame *f, char *line, size_t linelen)
{
	if (!type_is_line(f->type))
		return -EPROTO;
	int rc = con_line_check((const char *)f->payload, f->len);
	if (rc)
		return rc;
	return text_copy(f->payload, f->len, line, linelen);
}
