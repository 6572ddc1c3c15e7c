/* charset.h — bytes of a page or a file into UTF-8: the charset from a BOM, the HTTP header
 * (the crawler's meta.json), <meta charset> or detection, converted with iconv (glibc); and
 * the test that refuses binary data. The result may still hold invalid sequences (each
 * counted and replaced by U+FFFD); text.c does the rest of the clean-up. */
#ifndef PP_CHARSET_H
#define PP_CHARSET_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

typedef struct pp_decoded {
    char charset[40];   /* what the bytes were read as, e.g. "utf-8", "windows-1252", "shift_jis" */
    const char *source; /* where it came from: "bom", "http", "meta", "detected", "default" */
    size_t invalid;     /* sequences the conversion could not map (each now U+FFFD) */
} pp_decoded;

/* CR_EDATA with a reason when the bytes look binary (NUL bytes, many control bytes).
 * UTF-16 with a BOM is not binary. */
int pp_check_not_binary(const char *bytes, size_t len, cr_err *err);

/* A page: BOM, then http_charset (may be NULL), then <meta charset> in the first 4 KiB, then
 * detection (UTF-8 if valid, Japanese/Korean/Chinese multi-byte charsets by their script,
 * else windows-1252, as browsers do). The UTF-8 text (BOM removed) is appended to out. */
int pp_decode_html(const char *bytes, size_t len, const char *http_charset, cr_buf *out,
                   pp_decoded *info, cr_err *err);
/* A text or source file: a BOM (UTF-8, UTF-16), else http_charset (a crawled text/plain page;
 * may be NULL), else UTF-8. Invalid bytes are left for pp_text_clean to replace and count. */
int pp_decode_text(const char *bytes, size_t len, const char *http_charset, cr_buf *out,
                   pp_decoded *info, cr_err *err);

/* The charset named by an XML declaration (<?xml ... encoding="...">) at the start, else by the
 * first <meta charset> or <meta http-equiv content="...; charset="> within the first 4 KiB,
 * copied into label; 0 when there is none. */
int pp_sniff_meta_charset(const char *bytes, size_t len, char *label, size_t label_size);

/* Maps a WHATWG/IANA label to the name iconv knows ("CP932" for shift_jis, "-" for our own
 * windows-1252 table, "UTF-8"); NULL for an unknown label. canonical gets the lowercase name
 * recorded in the meta file. */
const char *pp_charset_lookup(const char *label, char *canonical, size_t canonical_size);

/* Converts bytes from charset (a name from pp_charset_lookup) to UTF-8, appending to out;
 * unmappable sequences become U+FFFD and are counted in *invalid. */
int pp_convert(const char *bytes, size_t len, const char *iconv_name, cr_buf *out, size_t *invalid,
               cr_err *err);

#endif
