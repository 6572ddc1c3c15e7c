/* utf8.c — see utf8.h. The second byte decides the edge cases (overlong E0 and F0, surrogate
 * ED, above U+10FFFF F4), so no code point is ever assembled. */
#include "utf8.h"

size_t cr_utf8_sequence(const unsigned char *p, size_t left)
{
    if (left == 0)
        return 0;
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0; /* 80..C1 and F5..FF never lead */
    if (len == 0 || len > left)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) ||  /* overlong three bytes */
        (c == 0xED && p[1] >= 0xA0) || /* a UTF-16 surrogate */
        (c == 0xF0 && p[1] < 0x90) ||  /* overlong four bytes */
        (c == 0xF4 && p[1] >= 0x90))   /* above U+10FFFF */
        return 0;
    return len;
}

int cr_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) { /* the common case, without a call */
            i++;
            continue;
        }
        size_t n = cr_utf8_sequence(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}
