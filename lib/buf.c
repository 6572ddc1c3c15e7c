/* buf.c — see buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cr_buf_init(cr_buf *b)
{
    memset(b, 0, sizeof *b);
}

void cr_buf_free(cr_buf *b)
{
    free(b->data);
    cr_buf_init(b);
}

void cr_buf_reset(cr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int cr_buf_reserve(cr_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int cr_buf_append(cr_buf *b, const void *bytes, size_t len)
{
    if (cr_buf_reserve(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cr_buf_puts(cr_buf *b, const char *s)
{
    return cr_buf_append(b, s, strlen(s));
}

int cr_buf_putc(cr_buf *b, char c)
{
    return cr_buf_append(b, &c, 1);
}

int cr_buf_printf(cr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int need = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (need < 0)
        return -1;
    if ((size_t)need < sizeof small)
        return cr_buf_append(b, small, (size_t)need);
    if (cr_buf_reserve(b, (size_t)need) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
    return 0;
}
