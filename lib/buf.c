/* buf.c — see buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cr_grow(void *items, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return 0;
    size_t room = *capacity ? *capacity : 16;
    while (room < needed) {
        if (room > SIZE_MAX / 2)
            return -1;
        room *= 2;
    }
    if (item_size && room > SIZE_MAX / item_size)
        return -1;
    void *old, *grown;
    memcpy(&old, items, sizeof old); /* items is a T **: its pointer read and written as bytes */
    grown = realloc(old, room * item_size);
    if (!grown)
        return -1;
    memcpy(items, &grown, sizeof grown);
    *capacity = room;
    return 0;
}

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
    if (extra > SIZE_MAX - b->len - 1 || cr_grow(&b->data, &b->cap, b->len + extra + 1, 1) < 0) {
        b->failed = 1;
        return -1;
    }
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
