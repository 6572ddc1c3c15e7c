/* json.c — see json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void cr_json_init(cr_json *j, cr_buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

/* Before a value or a key: the comma, unless this is the first item at this level
 * or the value follows its key. */
static void before_item(cr_json *j)
{
    if (j->need_comma[j->depth] == 1)
        cr_buf_putc(j->out, ',');
    j->need_comma[j->depth] = 1;
}

static void open_level(cr_json *j, char c)
{
    before_item(j);
    cr_buf_putc(j->out, c);
    if (j->depth < (int)sizeof j->need_comma - 1)
        j->depth++;
    j->need_comma[j->depth] = 0;
}

static void close_level(cr_json *j, char c)
{
    cr_buf_putc(j->out, c);
    if (j->depth > 0)
        j->depth--;
}

void cr_json_object_begin(cr_json *j)
{
    open_level(j, '{');
}
void cr_json_object_end(cr_json *j)
{
    close_level(j, '}');
}
void cr_json_array_begin(cr_json *j)
{
    open_level(j, '[');
}
void cr_json_array_end(cr_json *j)
{
    close_level(j, ']');
}

void cr_json_key(cr_json *j, const char *key)
{
    before_item(j);
    cr_json_escape(j->out, key, strlen(key));
    cr_buf_putc(j->out, ':');
    j->need_comma[j->depth] = 2; /* the value that follows takes no comma */
}

void cr_json_escape(cr_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    cr_buf_putc(out, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            cr_buf_putc(out, '\\');
            cr_buf_putc(out, (char)c);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                cr_buf_puts(out, "\\n");
                break;
            case '\r':
                cr_buf_puts(out, "\\r");
                break;
            case '\t':
                cr_buf_puts(out, "\\t");
                break;
            default:
                cr_buf_printf(out, "\\u%04x", c);
            }
            i++;
        } else if (c < 0x80) {
            cr_buf_putc(out, (char)c);
            i++;
        } else {
            size_t n = cr_utf8_sequence(p + i, len - i);
            if (n == 0) {
                cr_buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD */
                i++;
            } else {
                cr_buf_append(out, p + i, n);
                i += n;
            }
        }
    }
    cr_buf_putc(out, '"');
}

void cr_json_string(cr_json *j, const char *s)
{
    if (!s) {
        cr_json_null(j);
        return;
    }
    cr_json_string_n(j, s, strlen(s));
}

void cr_json_string_n(cr_json *j, const char *s, size_t len)
{
    before_item(j);
    cr_json_escape(j->out, s, len);
}

void cr_json_int(cr_json *j, int64_t v)
{
    before_item(j);
    cr_buf_printf(j->out, "%lld", (long long)v);
}

void cr_json_uint(cr_json *j, uint64_t v)
{
    before_item(j);
    cr_buf_printf(j->out, "%llu", (unsigned long long)v);
}

void cr_json_double(cr_json *j, double v)
{
    before_item(j);
    if (!isfinite(v))
        cr_buf_puts(j->out, "null");
    else
        cr_buf_printf(j->out, "%.9g", v);
}

void cr_json_bool(cr_json *j, int v)
{
    before_item(j);
    cr_buf_puts(j->out, v ? "true" : "false");
}

void cr_json_null(cr_json *j)
{
    before_item(j);
    cr_buf_puts(j->out, "null");
}

void cr_json_kv_string(cr_json *j, const char *key, const char *s)
{
    cr_json_key(j, key);
    cr_json_string(j, s);
}

void cr_json_kv_int(cr_json *j, const char *key, int64_t v)
{
    cr_json_key(j, key);
    cr_json_int(j, v);
}

void cr_json_kv_double(cr_json *j, const char *key, double v)
{
    cr_json_key(j, key);
    cr_json_double(j, v);
}

void cr_json_kv_bool(cr_json *j, const char *key, int v)
{
    cr_json_key(j, key);
    cr_json_bool(j, v);
}
