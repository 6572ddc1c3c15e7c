/* buf.h — a growable byte buffer (always NUL-terminated) for building text and JSON.
 * Out of memory is reported by the return value, never by aborting. Not for the trainer's
 * step loop, which allocates nothing after start-up. */
#ifndef CR_BUF_H
#define CR_BUF_H

#include <stddef.h>

typedef struct cr_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed; /* set once an allocation failed; later appends do nothing */
} cr_buf;

void cr_buf_init(cr_buf *b);
void cr_buf_free(cr_buf *b);
void cr_buf_reset(cr_buf *b); /* length 0, memory kept */
int cr_buf_reserve(cr_buf *b, size_t extra);
int cr_buf_append(cr_buf *b, const void *bytes, size_t len);
int cr_buf_puts(cr_buf *b, const char *s);
int cr_buf_putc(cr_buf *b, char c);
int cr_buf_printf(cr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
