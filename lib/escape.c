/* escape.c — see escape.h. */
#include "escape.h"

#include <stdio.h>

size_t cr_escape_controls(const char *in, size_t len, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0;
    if (out_size == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char byte = (unsigned char)in[i];
        int c1 = byte == 0xc2 && i + 1 < len && (unsigned char)in[i + 1] >= 0x80 &&
                 (unsigned char)in[i + 1] <= 0x9f;
        if (byte < 0x20 || byte == 0x7f || c1) {
            size_t need = c1 ? 8 : 4;
            if (used + need >= out_size)
                break;
            for (int k = 0; k <= c1; k++) {
                unsigned char b = (unsigned char)in[i + (size_t)k];
                out[used++] = '\\';
                out[used++] = 'x';
                out[used++] = hex[b >> 4];
                out[used++] = hex[b & 15];
            }
            i += (size_t)c1;
        } else {
            if (used + 1 >= out_size)
                break;
            out[used++] = (char)byte;
        }
    }
    out[used] = '\0';
    return used;
}
