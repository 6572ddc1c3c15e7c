/* text.c — the clean-up every document gets, whatever its source: UTF-8 repair, line ends,
 * control characters, NFC (utf8proc) and whitespace by kind (prose, Markdown, code).
 * It does not decode other charsets (charset.c) nor read markup (html.c). */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "utf8.h"

/* How many bytes an invalid sequence spans: the lead byte and the continuation bytes that
 * could have belonged to it (one U+FFFD per maximal bad subpart, as WHATWG and Python do). */
static size_t invalid_span(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t want = c >= 0xF0 && c <= 0xF4   ? 4
                  : c >= 0xE0 && c <= 0xEF ? 3
                  : c >= 0xC2 && c <= 0xDF ? 2
                                           : 1;
    size_t span = 1;
    while (span < want && span < left && (p[span] & 0xC0) == 0x80) {
        if (span == 1) {
            if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
                (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
                break;
        }
        span++;
    }
    return span;
}

int pp_utf8_valid(const char *in, size_t len)
{
    return cr_utf8_valid(in, len);
}

size_t pp_utf8_repair(const char *in, size_t len, cr_buf *out)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t invalid = 0, i = 0, run_start = 0;
    cr_buf_reserve(out, len);
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = cr_utf8_sequence(p + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        cr_buf_append(out, in + run_start, i - run_start);
        cr_buf_append(out, "\xEF\xBF\xBD", 3);
        invalid++;
        i += invalid_span(p + i, len - i);
        run_start = i;
    }
    cr_buf_append(out, in + run_start, len - run_start);
    return invalid;
}

/* CRLF and lone CR become LF; C0 controls but tab and LF, DEL, C1 controls (U+0080-U+009F)
 * and the byte-order mark U+FEFF are dropped. in is valid UTF-8. */
static void fix_lines_and_controls(const char *in, size_t len, cr_buf *out)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, run_start = 0;
    cr_buf_reserve(out, len);
    while (i < len) {
        unsigned char c = p[i];
        size_t skip = 0;
        const char *replace = NULL;
        if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        if (c == '\n' || c == '\t') {
            i++;
            continue;
        }
        if (c == '\r') {
            replace = "\n";
            skip = i + 1 < len && p[i + 1] == '\n' ? 2 : 1;
        } else if (c < 0x20 || c == 0x7F) {
            skip = 1;
        } else if (c == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
            skip = 2;
        } else if (c == 0xEF && i + 2 < len && p[i + 1] == 0xBB && p[i + 2] == 0xBF) {
            skip = 3;
        } else {
            i++;
            continue;
        }
        cr_buf_append(out, in + run_start, i - run_start);
        if (replace)
            cr_buf_puts(out, replace);
        i += skip;
        run_start = i;
    }
    cr_buf_append(out, in + run_start, len - run_start);
}

/* A code point NFC leaves as it is wherever it stands: no canonical decomposition, combining
 * class 0, and never the second of a composition (utf8proc marks those with a comb_index of
 * 0x8000 and up; the Hangul jamo compose by arithmetic, not by table). All of U+0000-U+02FF is;
 * so are the punctuation, CJK and most letters of other scripts. */
static int nfc_inert(utf8proc_int32_t cp)
{
    if (cp < 0x300)
        return 1;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xA960 && cp <= 0xA97F) ||
        (cp >= 0xD7B0 && cp <= 0xD7FF))
        return 0;
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    return p->combining_class == 0 && (p->comb_index == UINT16_MAX || p->comb_index < 0x8000) &&
           (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0);
}

/* NFC works line by line: a newline is a starter that composes with nothing, so
 * NFC(a "\n" b) == NFC(a) "\n" NFC(b). A line of inert code points only (nfc_inert) is
 * already in NFC and is copied; only the others go through utf8proc. */
int pp_nfc(const char *in, size_t len, cr_buf *out, cr_err *err)
{
    size_t pos = 0;
    cr_buf_reserve(out, len);
    while (pos < len) {
        size_t end = pos, stable_end;
        int stable = 1;
        while (end < len && in[end] != '\n') {
            if ((unsigned char)in[end] >= 0xCC && stable) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + end,
                                                      (utf8proc_ssize_t)(len - end), &cp);
                if (n <= 0 || !nfc_inert(cp))
                    stable = 0;
                else
                    end += (size_t)n - 1;
            }
            end++;
        }
        stable_end = end < len ? end + 1 : end; /* with its newline */
        if (stable) {
            cr_buf_append(out, in + pos, stable_end - pos);
        } else {
            utf8proc_uint8_t *mapped = NULL;
            utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in + pos,
                                              (utf8proc_ssize_t)(stable_end - pos), &mapped,
                                              UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            if (n < 0)
                return cr_fail(err, n == UTF8PROC_ERROR_NOMEM ? CR_EOTHER : CR_EDATA,
                               "normalising text to NFC: %s", utf8proc_errmsg(n));
            cr_buf_append(out, mapped, (size_t)n);
            free(mapped);
        }
        pos = stable_end;
    }
    return out->failed ? cr_fail(err, CR_EOTHER, "normalising text: out of memory") : CR_OK;
}

/* Bytes of a blank character at p: space, tab, NBSP and the Unicode spaces U+2000-U+200A,
 * U+202F, U+205F; 0 for anything else. The ideographic space U+3000 is kept: CJK text uses
 * it as an indent. */
static size_t blank_at(const unsigned char *p, size_t left)
{
    if (p[0] == ' ' || p[0] == '\t')
        return 1;
    if (p[0] == 0xC2 && left >= 2 && p[1] == 0xA0)
        return 2;
    if (p[0] == 0xE2 && left >= 3 &&
        ((p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xAF)) || (p[1] == 0x81 && p[2] == 0x9F)))
        return 3;
    return 0;
}

/* Appends one prose line with blank runs collapsed, the ends trimmed; keep_indent keeps the
 * leading spaces and tabs as written (Markdown's list nesting). Returns 1 if anything but
 * blanks was on the line. */
static int put_prose_line(const char *line, size_t len, int keep_indent, cr_buf *out)
{
    const unsigned char *p = (const unsigned char *)line;
    size_t i = 0;
    if (keep_indent) {
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t rest = i;
        while (rest < len && blank_at(p + rest, len - rest))
            rest += blank_at(p + rest, len - rest);
        if (rest == len)
            return 0;
        cr_buf_append(out, line, i);
    }
    int pending_space = 0, wrote = 0;
    while (i < len) {
        size_t blank = blank_at(p + i, len - i);
        if (blank) {
            pending_space = wrote;
            i += blank;
            continue;
        }
        if (pending_space)
            cr_buf_putc(out, ' ');
        pending_space = 0;
        size_t start = i++;
        while (i < len && (p[i] & 0xC0) == 0x80)
            i++;
        cr_buf_append(out, line + start, i - start);
        wrote = 1;
    }
    return wrote;
}

/* The fence that opens a Markdown code block (``` or ~~~, up to 3 spaces in), its length. */
static size_t fence_at(const char *line, size_t len, char *fence_char)
{
    size_t i = 0;
    while (i < len && i < 3 && line[i] == ' ')
        i++;
    if (i >= len || (line[i] != '`' && line[i] != '~'))
        return 0;
    char c = line[i];
    size_t n = 0;
    while (i + n < len && line[i + n] == c)
        n++;
    if (n < 3)
        return 0;
    *fence_char = c;
    return n;
}

static void layout_prose(const char *in, size_t len, int markdown, cr_buf *out)
{
    int blank_pending = 0, any = 0;
    char fence_char = 0;
    size_t fence_len = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(in + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (in + pos)) : len - pos;
        const char *line = in + pos;
        pos += line_len + (nl ? 1 : 0);
        int verbatim = 0;
        if (markdown) {
            char c;
            size_t n = fence_at(line, line_len, &c);
            if (fence_len) {
                verbatim = 1;
                if (n >= fence_len && c == fence_char)
                    fence_len = 0;
            } else if (n) {
                verbatim = 1;
                fence_len = n;
                fence_char = c;
            } else if (line_len >= 4 && (memcmp(line, "    ", 4) == 0 || line[0] == '\t')) {
                verbatim =
                    1; /* indented code block (or a nested list: kept as written either way) */
            }
        }
        if (verbatim) {
            if (any && blank_pending)
                cr_buf_putc(out, '\n');
            blank_pending = 0;
            cr_buf_append(out, line, line_len);
            cr_buf_putc(out, '\n');
            any = 1;
            continue;
        }
        size_t mark = out->len;
        if (any && blank_pending)
            cr_buf_putc(out, '\n');
        if (put_prose_line(line, line_len, markdown, out)) {
            cr_buf_putc(out, '\n');
            blank_pending = 0;
            any = 1;
        } else {
            out->len = mark;
            if (out->data)
                out->data[mark] = '\0';
            blank_pending = 1;
        }
    }
}

/* Code and laid-out text: as written, with trailing blank lines dropped and a final newline.
 * drop_leading also drops leading blank lines (laid-out text; code keeps them). */
static void layout_verbatim(const char *in, size_t len, int drop_leading, cr_buf *out)
{
    size_t start = 0, end = len;
    size_t i = 0;
    while (i < len && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n'))
        i++;
    if (i == len)
        return; /* nothing but blanks */
    if (drop_leading) {
        while (start < len) {
            const char *nl = memchr(in + start, '\n', len - start);
            size_t k = start;
            while (k < len && (in[k] == ' ' || in[k] == '\t'))
                k++;
            if (nl && k == (size_t)(nl - in))
                start = k + 1;
            else
                break;
        }
    }
    /* trailing blank lines go; blanks at the end of the last real line stay */
    size_t last = len;
    while (last > start && (in[last - 1] == ' ' || in[last - 1] == '\t' || in[last - 1] == '\n'))
        last--;
    const char *nl = memchr(in + last, '\n', len - last);
    end = nl ? (size_t)(nl - in) : len;
    cr_buf_append(out, in + start, end - start);
    cr_buf_putc(out, '\n');
}

int pp_text_clean(const char *in, size_t len, enum pp_text_mode mode, cr_buf *out,
                  size_t *invalid_count, cr_err *err)
{
    cr_buf a, b;
    cr_buf_init(&a);
    cr_buf_init(&b);
    size_t invalid = pp_utf8_repair(in, len, &a);
    if (invalid_count)
        *invalid_count = invalid;
    fix_lines_and_controls(a.data ? a.data : "", a.len, &b);
    cr_buf_reset(&a);
    int code = pp_nfc(b.data ? b.data : "", b.len, &a, err);
    cr_buf_reset(out);
    if (code == CR_OK) {
        const char *text = a.data ? a.data : "";
        if (mode == PP_TEXT_PROSE || mode == PP_TEXT_MARKDOWN)
            layout_prose(text, a.len, mode == PP_TEXT_MARKDOWN, out);
        else
            layout_verbatim(text, a.len, mode == PP_TEXT_VERBATIM, out);
        if (a.failed || b.failed || out->failed)
            code = cr_fail(err, CR_EOTHER, "cleaning text: out of memory");
    }
    cr_buf_free(&a);
    cr_buf_free(&b);
    return code;
}
