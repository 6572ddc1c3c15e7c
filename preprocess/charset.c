/* charset.c — which charset a page or a file is in, and its conversion to UTF-8 (iconv from
 * glibc; windows-1252, the most common legacy charset, by our own table). Browsers' order of
 * evidence: BOM, HTTP header, <meta>, then a guess. It does not normalise or lay out text:
 * text.c does. */
#include "charset.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#define SNIFF_BYTES 4096
#define DETECT_SAMPLE_BYTES 65536

/* windows-1252 bytes 0x80-0x9F (WHATWG: the five undefined ones map to the C1 control of the
 * same value, which the clean-up then drops). Other bytes are ISO-8859-1. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static void put_codepoint(cr_buf *out, unsigned cp)
{
    char u[3];
    if (cp < 0x80) {
        cr_buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        cr_buf_append(out, u, 2);
    } else {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        cr_buf_append(out, u, 3);
    }
}

static void convert_cp1252(const char *bytes, size_t len, cr_buf *out)
{
    const unsigned char *p = (const unsigned char *)bytes;
    size_t run = 0;
    cr_buf_reserve(out, len + len / 4);
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x80)
            continue;
        cr_buf_append(out, bytes + run, i - run);
        put_codepoint(out, p[i] < 0xA0 ? cp1252_high[p[i] - 0x80] : p[i]);
        run = i + 1;
    }
    cr_buf_append(out, bytes + run, len - run);
}

int pp_convert(const char *bytes, size_t len, const char *iconv_name, cr_buf *out, size_t *invalid,
               cr_err *err)
{
    if (strcmp(iconv_name, "-") == 0) {
        convert_cp1252(bytes, len, out);
        return out->failed ? cr_fail(err, CR_EOTHER, "converting text: out of memory") : CR_OK;
    }
    if (strcmp(iconv_name, "UTF-8") == 0) {
        cr_buf_append(out, bytes, len); /* checked and repaired by pp_text_clean */
        return out->failed ? cr_fail(err, CR_EOTHER, "converting text: out of memory") : CR_OK;
    }
    iconv_t cd = iconv_open("UTF-8", iconv_name);
    if (cd == (iconv_t)-1)
        return cr_fail_errno(err, CR_EDATA, "converting from %s", iconv_name);
    char *in = (char *)bytes;
    size_t in_left = len;
    int code = CR_OK;
    while (in_left > 0) {
        if (cr_buf_reserve(out, in_left * 2 + 16) != 0) {
            code = cr_fail(err, CR_EOTHER, "converting text: out of memory");
            break;
        }
        char *dst = out->data + out->len;
        size_t dst_left = out->cap - out->len - 1;
        size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
        out->len = (size_t)(dst - out->data);
        out->data[out->len] = '\0';
        if (rc != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ: a byte that maps to nothing; EINVAL: a sequence cut at the end */
        cr_buf_append(out, "\xEF\xBF\xBD", 3);
        if (invalid)
            (*invalid)++;
        if (errno == EINVAL)
            break;
        in++;
        in_left--;
        iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
    }
    iconv_close(cd);
    return code;
}

typedef struct charset_alias {
    const char *label;
    const char *canonical;
    const char *iconv_name;
} charset_alias;

static const charset_alias aliases[] = {
    {"utf-8", "utf-8", "UTF-8"},
    {"utf8", "utf-8", "UTF-8"},
    {"unicode-1-1-utf-8", "utf-8", "UTF-8"},
    {"us-ascii", "windows-1252", "-"},
    {"ascii", "windows-1252", "-"},
    {"iso-8859-1", "windows-1252", "-"},
    {"iso8859-1", "windows-1252", "-"},
    {"iso_8859-1", "windows-1252", "-"},
    {"latin1", "windows-1252", "-"},
    {"latin-1", "windows-1252", "-"},
    {"l1", "windows-1252", "-"},
    {"windows-1252", "windows-1252", "-"},
    {"cp1252", "windows-1252", "-"},
    {"x-cp1252", "windows-1252", "-"},
    {"shift_jis", "shift_jis", "CP932"},
    {"shift-jis", "shift_jis", "CP932"},
    {"sjis", "shift_jis", "CP932"},
    {"x-sjis", "shift_jis", "CP932"},
    {"ms_kanji", "shift_jis", "CP932"},
    {"csshiftjis", "shift_jis", "CP932"},
    {"windows-31j", "shift_jis", "CP932"},
    {"cp932", "shift_jis", "CP932"},
    {"euc-jp", "euc-jp", "EUC-JP"},
    {"x-euc-jp", "euc-jp", "EUC-JP"},
    {"iso-2022-jp", "iso-2022-jp", "ISO-2022-JP"},
    {"gb2312", "gb18030", "GB18030"},
    {"gbk", "gb18030", "GB18030"},
    {"x-gbk", "gb18030", "GB18030"},
    {"gb18030", "gb18030", "GB18030"},
    {"csgb2312", "gb18030", "GB18030"},
    {"big5", "big5", "BIG5-HKSCS"},
    {"big5-hkscs", "big5", "BIG5-HKSCS"},
    {"euc-kr", "euc-kr", "CP949"},
    {"ks_c_5601-1987", "euc-kr", "CP949"},
    {"windows-949", "euc-kr", "CP949"},
    {"utf-16", "utf-16le", "UTF-16LE"},
    {"utf-16le", "utf-16le", "UTF-16LE"},
    {"utf-16be", "utf-16be", "UTF-16BE"},
};

const char *pp_charset_lookup(const char *label, char *canonical, size_t canonical_size)
{
    char name[40];
    size_t n = 0;
    while (*label && (isspace((unsigned char)*label) || *label == '"' || *label == '\''))
        label++;
    while (label[n] && n + 1 < sizeof name && !isspace((unsigned char)label[n]) &&
           label[n] != '"' && label[n] != '\'' && label[n] != ';') {
        name[n] = (char)tolower((unsigned char)label[n]);
        n++;
    }
    name[n] = '\0';
    if (n == 0)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcmp(name, aliases[i].label) == 0) {
            snprintf(canonical, canonical_size, "%s", aliases[i].canonical);
            return aliases[i].iconv_name;
        }
    }
    /* Anything else iconv knows (iso-8859-2, koi8-r, windows-1251, ...). */
    static __thread char upper[40];
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)toupper((unsigned char)name[i]);
    iconv_t cd = iconv_open("UTF-8", upper);
    if (cd == (iconv_t)-1)
        return NULL;
    iconv_close(cd);
    snprintf(canonical, canonical_size, "%s", name);
    return upper;
}

int pp_check_not_binary(const char *bytes, size_t len, cr_err *err)
{
    const unsigned char *p = (const unsigned char *)bytes;
    if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        return CR_OK; /* UTF-16: NUL bytes are expected */
    size_t sample = len < DETECT_SAMPLE_BYTES ? len : DETECT_SAMPLE_BYTES;
    const unsigned char *nul = memchr(p, 0, sample);
    if (nul)
        return cr_fail(err, CR_EDATA, "binary data, not text (a NUL byte at offset %zu)",
                       (size_t)(nul - p));
    /* C0 controls but tab, LF, VT, FF, CR and ESC (bits 9-13 and 27), counted without a branch:
     * this runs over every byte of every input */
    const uint32_t allowed = 0x08003E00u;
    size_t controls = 0;
    for (size_t i = 0; i < sample; i++) {
        unsigned c = p[i];
        controls += c < 0x20 && !((allowed >> (c & 31)) & 1);
    }
    if (sample > 0 && controls * 50 > sample)
        return cr_fail(err, CR_EDATA, "binary data, not text (%zu control bytes in the first %zu)",
                       controls, sample);
    return CR_OK;
}

static int has_prefix_ci(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0;
}

int pp_sniff_meta_charset(const char *bytes, size_t len, char *label, size_t label_size)
{
    const char *end = bytes + (len < SNIFF_BYTES ? len : SNIFF_BYTES);
    const char *p = bytes;
    /* XHTML: <?xml version="1.0" encoding="ISO-8859-2"?> */
    if (has_prefix_ci(p, end, "<?xml")) {
        const char *close = memmem(p, (size_t)(end - p), "?>", 2);
        const char *enc = close ? memmem(p, (size_t)(close - p), "encoding", 8) : NULL;
        if (enc) {
            enc += 8;
            while (enc < close &&
                   (isspace((unsigned char)*enc) || *enc == '=' || *enc == '"' || *enc == '\''))
                enc++;
            size_t n = 0;
            while (enc + n < close && n + 1 < label_size &&
                   (isalnum((unsigned char)enc[n]) || strchr("-_.:", enc[n])))
                n++;
            if (n) {
                memcpy(label, enc, n);
                label[n] = '\0';
                return 1;
            }
        }
    }
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            return 0;
        p = lt + 1;
        if (has_prefix_ci(p, end, "!--")) {
            const char *close = memmem(p, (size_t)(end - p), "-->", 3);
            if (!close)
                return 0;
            p = close + 3;
            continue;
        }
        if (!has_prefix_ci(p, end, "meta") || p + 4 >= end ||
            !(isspace((unsigned char)p[4]) || p[4] == '/'))
            continue;
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *tag_end = gt ? gt : end;
        for (const char *q = p; q + 7 <= tag_end; q++) {
            if (strncasecmp(q, "charset", 7) != 0)
                continue;
            const char *v = q + 7;
            while (v < tag_end && isspace((unsigned char)*v))
                v++;
            if (v >= tag_end || *v != '=')
                continue;
            v++;
            while (v < tag_end && (isspace((unsigned char)*v) || *v == '"' || *v == '\''))
                v++;
            size_t n = 0;
            while (v + n < tag_end && n + 1 < label_size && !isspace((unsigned char)v[n]) &&
                   v[n] != '"' && v[n] != '\'' && v[n] != ';' && v[n] != '/' && v[n] != '>')
                n++;
            if (n == 0)
                continue;
            memcpy(label, v, n);
            label[n] = '\0';
            return 1;
        }
        p = tag_end;
    }
    return 0;
}

typedef struct script_counts {
    size_t non_ascii, kana, cjk, hangul;
} script_counts;

static void count_scripts(const char *utf8, size_t len, script_counts *c)
{
    const unsigned char *p = (const unsigned char *)utf8;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        unsigned cp = 0;
        size_t n = p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;
        if (i + n > len)
            break;
        cp = n == 2   ? (p[i] & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu)
             : n == 3 ? (p[i] & 0x0Fu) << 12 | (p[i + 1] & 0x3Fu) << 6 | (p[i + 2] & 0x3Fu)
                      : 0x10000;
        i += n;
        c->non_ascii++;
        if (cp >= 0x3040 &&
            cp <= 0x30FF) /* not half-width kana: EUC bytes read as Shift_JIS give those */
            c->kana++;
        else if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                 (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF60))
            c->cjk++;
        else if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) ||
                 (cp >= 0x3130 && cp <= 0x318F))
            c->hangul++;
    }
}

/* Guesses a charset for bytes that are not valid UTF-8 and carry no label: a multi-byte East
 * Asian charset when decoding with it gives clean text in its script, else windows-1252. */
static const char *detect_legacy(const char *bytes, size_t len, char *canonical, size_t size)
{
    static const struct {
        const char *canonical, *iconv_name;
        int script; /* 0 Japanese, 1 Korean, 2 Chinese */
    } candidates[] = {{"shift_jis", "CP932", 0},
                      {"euc-jp", "EUC-JP", 0},
                      {"euc-kr", "CP949", 1},
                      {"gb18030", "GB18030", 2}};
    size_t sample = len < DETECT_SAMPLE_BYTES ? len : DETECT_SAMPLE_BYTES;
    for (size_t k = 0; k < sizeof candidates / sizeof candidates[0]; k++) {
        cr_buf out;
        cr_buf_init(&out);
        size_t invalid = 0;
        cr_err ignored;
        int ok =
            pp_convert(bytes, sample, candidates[k].iconv_name, &out, &invalid, &ignored) == CR_OK;
        script_counts c;
        count_scripts(out.data ? out.data : "", out.len, &c);
        cr_buf_free(&out);
        /* one error allowed for a character cut by the sample's end */
        if (!ok || invalid > 1 + c.non_ascii / 200 || c.non_ascii < 4)
            continue;
        int fits = 0;
        if (candidates[k].script == 0)
            fits = c.kana * 5 >= c.non_ascii && (c.kana + c.cjk) * 10 >= c.non_ascii * 9;
        else if (candidates[k].script == 1)
            fits = c.hangul * 10 >= c.non_ascii * 6;
        else
            fits = c.cjk * 10 >= c.non_ascii * 9;
        if (fits) {
            snprintf(canonical, size, "%s", candidates[k].canonical);
            return candidates[k].iconv_name;
        }
    }
    snprintf(canonical, size, "windows-1252");
    return "-";
}

static size_t bom_length(const unsigned char *p, size_t len, const char **iconv_name,
                         const char **canonical)
{
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *iconv_name = "UTF-8";
        *canonical = "utf-8";
        return 3;
    }
    if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        *iconv_name = "UTF-16LE";
        *canonical = "utf-16le";
        return 2;
    }
    if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        *iconv_name = "UTF-16BE";
        *canonical = "utf-16be";
        return 2;
    }
    return 0;
}

/* A UTF-8 page with a few stray bytes (a pasted Latin-1 character) is still UTF-8: decoding it
 * as windows-1252 would garble every other non-ASCII character. Latin-1 text almost never
 * forms valid multi-byte sequences, so: at least four valid sequences per invalid byte. */
static int mostly_utf8(const char *bytes, size_t len)
{
    size_t valid = 0, invalid = 0;
    const unsigned char *p = (const unsigned char *)bytes;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = 0;
        if (p[i] >= 0xC2 && p[i] <= 0xF4) {
            size_t want = p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;
            n = want;
            for (size_t k = 1; k < want; k++)
                if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
                    n = 0;
        }
        if (n) {
            valid++;
            i += n;
        } else {
            invalid++;
            i++;
        }
    }
    return valid > 0 && invalid * 4 <= valid;
}

static int has_non_ascii(const char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)bytes[i] >= 0x80)
            return 1;
    return 0;
}

int pp_decode_html(const char *bytes, size_t len, const char *http_charset, cr_buf *out,
                   pp_decoded *info, cr_err *err)
{
    const char *iconv_name = NULL, *bom_canonical = NULL;
    memset(info, 0, sizeof *info);
    size_t bom = bom_length((const unsigned char *)bytes, len, &iconv_name, &bom_canonical);
    if (bom) {
        snprintf(info->charset, sizeof info->charset, "%s", bom_canonical);
        info->source = "bom";
    }
    if (!iconv_name && http_charset && *http_charset) {
        iconv_name = pp_charset_lookup(http_charset, info->charset, sizeof info->charset);
        info->source = "http";
    }
    if (!iconv_name) {
        char label[40];
        if (pp_sniff_meta_charset(bytes, len, label, sizeof label)) {
            iconv_name = pp_charset_lookup(label, info->charset, sizeof info->charset);
            info->source = "meta";
            /* A page that says UTF-16 in ASCII-compatible bytes is not UTF-16 (WHATWG). */
            if (iconv_name && strncmp(iconv_name, "UTF-16", 6) == 0) {
                iconv_name = "UTF-8";
                snprintf(info->charset, sizeof info->charset, "utf-8");
            }
        }
    }
    /* A page labelled Latin-1 whose bytes are valid UTF-8 with non-ASCII text was written in
     * UTF-8 (a Latin-1 text is almost never valid UTF-8): the label is the mistake. */
    if (iconv_name && strcmp(iconv_name, "-") == 0 && has_non_ascii(bytes, len) &&
        pp_utf8_valid(bytes, len)) {
        iconv_name = "UTF-8";
        snprintf(info->charset, sizeof info->charset, "utf-8");
        info->source = "detected";
    }
    if (!iconv_name) {
        if (!has_non_ascii(bytes, len)) {
            iconv_name = "UTF-8";
            snprintf(info->charset, sizeof info->charset, "utf-8");
            info->source = "default";
        } else if (pp_utf8_valid(bytes, len) || mostly_utf8(bytes, len)) {
            iconv_name = "UTF-8";
            snprintf(info->charset, sizeof info->charset, "utf-8");
            info->source = "detected";
        } else {
            iconv_name = detect_legacy(bytes, len, info->charset, sizeof info->charset);
            info->source = "detected";
        }
    }
    return pp_convert(bytes + bom, len - bom, iconv_name, out, &info->invalid, err);
}

int pp_decode_text(const char *bytes, size_t len, const char *http_charset, cr_buf *out,
                   pp_decoded *info, cr_err *err)
{
    const char *iconv_name = "UTF-8", *canonical = "utf-8";
    memset(info, 0, sizeof *info);
    size_t bom = bom_length((const unsigned char *)bytes, len, &iconv_name, &canonical);
    snprintf(info->charset, sizeof info->charset, "%s", canonical);
    info->source = bom ? "bom" : "default";
    if (!bom && http_charset && *http_charset) {
        const char *named = pp_charset_lookup(http_charset, info->charset, sizeof info->charset);
        if (named) {
            iconv_name = named;
            info->source = "http";
        } else {
            snprintf(info->charset, sizeof info->charset, "utf-8");
        }
    }
    return pp_convert(bytes + bom, len - bom, iconv_name, out, &info->invalid, err);
}
