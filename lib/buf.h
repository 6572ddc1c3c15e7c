/* buf.h — growable memory: cr_grow for any array that grows by doubling, and cr_buf, a byte
 * buffer (always NUL-terminated) for building text and JSON on top of it. Out of memory is
 * reported by the return value, never by aborting. Not for the trainer's step loop, which
 * allocates nothing after start-up. */
#ifndef CR_BUF_H
#define CR_BUF_H

#include <stddef.h>

/* Makes room for at least `needed` items of item_size bytes in the array that `items` points
 * to (a T **), which has room for *capacity: the room doubles (from 16) until it fits. Returns
 * 0, or -1 when the size would overflow or memory runs out, the array left as it was.
 *   if (cr_grow(&list->items, &list->capacity, list->count + 1, sizeof *list->items) < 0) */
int cr_grow(void *items, size_t *capacity, size_t needed, size_t item_size);

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
