/* escape.c — see escape.h. Escapes are ASCII, so an escaped text is still one line of UTF-8;
 * its counterpart for JSON is lib/json.c's string writer. */
#include "escape.h"

#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one (overlong forms,
 * surrogates and code points over U+10FFFF are not). */
static size_t utf8_length(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

size_t cr_escape_controls(const char *text, char *out, size_t out_size)
{
    size_t used = 0;
    if (!out_size)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        char piece[8];
        size_t piece_len, step = 1;
        if (*p == '\t' || (*p >= 0x20 && *p < 0x7F)) {
            piece[0] = (char)*p;
            piece_len = 1;
        } else if (*p == '\n' || *p == '\r') {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\%c", *p == '\n' ? 'n' : 'r');
        } else if (*p < 0x80) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\x%02X", *p);
        } else if ((step = utf8_length(p)) == 0) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\x%02X", *p);
            step = 1;
        } else if (p[0] == 0xC2 && p[1] < 0xA0) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\u%04X", p[1]);
        } else {
            memcpy(piece, p, step);
            piece_len = step;
        }
        if (used + piece_len >= out_size)
            break;
        memcpy(out + used, piece, piece_len);
        used += piece_len;
        p += step;
    }
    out[used] = 0;
    return used;
}
