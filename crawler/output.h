/* output.h — a crawled page on disk: raw/<id>.meta.json first, then raw/<id>.html (or .txt
 * for text/plain), each written atomically, so a watcher that sees the page finds its meta
 * already there. The fields are documented in docs/crawler.md. The WARC copy is warc.c's. */
#ifndef CRAWLER_OUTPUT_H
#define CRAWLER_OUTPUT_H

#include <stddef.h>

#include "fs.h"
#include "hash.h"
#include "status.h"

typedef struct page_record {
    const char *url;            /* normalised URL as queued: the id is derived from it */
    const char *final_url;      /* after redirects */
    int status;                 /* HTTP status of the final response */
    const char *content_type;   /* media type, lowercase, no parameters */
    const char *charset;        /* from the header, else from the page, NULL when unknown */
    const char *charset_source; /* "header", "meta" or NULL */
    const char *etag;
    const char *last_modified;
    int depth;
    const char *referrer; /* NULL for a seed or a sitemap entry */
    const char *body;
    size_t body_len;
} page_record;

/* Fills id and the page's file extension (".html", ".txt") for a URL and media type. */
void output_page_id(const char *url, char id[CR_ID_SIZE]);
const char *output_extension(const char *content_type);

/* Stage (lib/fs.h: written under a temporary name, on its way to the disk) out_dir/<id>.meta.json
 * and out_dir/<id><ext>; the caller publishes the meta file first (writer.c). */
int output_stage_meta(const char *out_dir, const page_record *page, cr_atomic_file *file,
                      cr_err *err);
int output_stage_body(const char *out_dir, const page_record *page, cr_atomic_file *file,
                      cr_err *err);

#endif
