/* html.h — the main text of an HTML page (UTF-8 in, laid-out text out) with libxml2's HTML
 * parser: chrome removed, the main region found, headings, paragraphs, list items and table
 * cells on their own lines, <pre>/<code> verbatim. Charset decoding is charset.c's job and the
 * final NFC/control clean-up text.c's. */
#ifndef PP_HTML_H
#define PP_HTML_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

typedef struct pp_html_info {
    char title[512];    /* <title>, else the first <h1>; "" when neither */
    const char *method; /* how the main region was found: "main", "role=main", "article",
                           "density", "body" */
} pp_html_info;

/* Must be called once before threads parse pages (xmlInitParser). */
void pp_html_init(void);

/* utf8 is the decoded page. Appends the text to out. CR_EDATA when libxml2 finds no document
 * at all. */
int pp_html_extract(const char *utf8, size_t len, const char *url, cr_buf *out, pp_html_info *info,
                    cr_err *err);

#endif
