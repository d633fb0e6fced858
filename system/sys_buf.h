/*
 * sys_buf: a growable text/byte buffer.  Command handlers print into one;
 * the console server ships it to the client; config writers build the
 * running configuration in one.  Allocation failure aborts: a daemon that
 * cannot allocate a few KB cannot do anything useful.
 */
#ifndef MCTX_SYS_BUF_H
#define MCTX_SYS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;   /* always NUL-terminated when len > 0 or after init */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Returns data and gives up ownership (caller frees). */
char *buf_steal(struct buf *b);

#endif
