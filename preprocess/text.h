/* text.h — turning decoded text into the clean-document form of SPEC.md: valid UTF-8 (bad
 * sequences become U+FFFD and are counted), NFC, LF line ends, no control characters but tab
 * and newline, whitespace collapsed for prose and never inside code. Decoding from other
 * charsets is charset.c's job; finding the text in a page is html.c's. */
#ifndef PP_TEXT_H
#define PP_TEXT_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

/* How whitespace is treated. */
enum pp_text_mode {
    PP_TEXT_PROSE, /* .txt: runs of blanks become one space, lines trimmed, one blank line between
                      paragraphs */
    PP_TEXT_MARKDOWN, /* .md: as prose but leading indentation kept; fenced and indented code
                         verbatim */
    PP_TEXT_CODE,     /* source: byte-exact apart from line ends */
    PP_TEXT_VERBATIM, /* already laid out (html.c's output): only the checks, NFC and line ends */
};

/* Appends in to out as valid UTF-8, each invalid sequence replaced by U+FFFD; returns how many
 * were replaced. */
size_t pp_utf8_repair(const char *in, size_t len, cr_buf *out);
/* 1 when in is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int pp_utf8_valid(const char *in, size_t len);

/* The whole clean-up of decoded text (in must be UTF-8, possibly invalid): repair, line ends,
 * control characters, NFC, whitespace by mode, a final newline. out is replaced.
 * *invalid_count receives the number of U+FFFD substitutions. */
int pp_text_clean(const char *in, size_t len, enum pp_text_mode mode, cr_buf *out,
                  size_t *invalid_count, cr_err *err);

/* NFC of valid UTF-8 (utf8proc); ASCII-only input is copied as is. */
int pp_nfc(const char *in, size_t len, cr_buf *out, cr_err *err);

#endif
