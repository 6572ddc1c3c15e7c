/* output.c — writes a crawled page: the meta JSON (lib/json.h) then the body, each atomically
 * (lib/fs.h), ids from lib/hash.h. It does not decide whether a page is saved (crawl.c) and
 * does not write WARC (warc.c). The reader of these files is preprocess/. */
#include "output.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "fs.h"
#include "json.h"

void output_page_id(const char *url, char id[CR_ID_SIZE])
{
    cr_id_from_key(url, id);
}

const char *output_extension(const char *content_type)
{
    return content_type && strcmp(content_type, "text/plain") == 0 ? ".txt" : ".html";
}

static void kv_string_or_null(cr_json *j, const char *key, const char *value)
{
    cr_json_key(j, key);
    if (value)
        cr_json_string(j, value);
    else
        cr_json_null(j);
}

static int stage_file(const char *out_dir, const char *name, const void *bytes, size_t len,
                      cr_atomic_file *file, cr_err *err)
{
    char path[4096];
    int rc = cr_path_join(path, sizeof path, out_dir, name, err);
    return rc ? rc : cr_atomic_stage(file, path, bytes, len, err);
}

int output_stage_meta(const char *out_dir, const page_record *page, cr_atomic_file *file,
                      cr_err *err)
{
    char id[CR_ID_SIZE], sha[CR_SHA256_HEX_SIZE], fetched[32];
    output_page_id(page->url, id);
    cr_sha256_hex(page->body, page->body_len, sha);
    cr_wall_iso(fetched);
    const char *ext = output_extension(page->content_type);

    cr_buf meta;
    cr_buf_init(&meta);
    cr_json j;
    cr_json_init(&j, &meta);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "id", id);
    cr_json_kv_string(&j, "url", page->url);
    cr_json_kv_string(&j, "final_url", page->final_url);
    cr_json_kv_int(&j, "status", page->status);
    kv_string_or_null(&j, "content_type", page->content_type);
    kv_string_or_null(&j, "charset", page->charset);
    kv_string_or_null(&j, "charset_source", page->charset_source);
    cr_json_kv_string(&j, "fetch_time", fetched);
    cr_json_kv_int(&j, "depth", page->depth);
    kv_string_or_null(&j, "referrer", page->referrer);
    cr_json_kv_int(&j, "bytes", (int64_t)page->body_len);
    cr_json_kv_string(&j, "sha256", sha);
    kv_string_or_null(&j, "etag", page->etag);
    kv_string_or_null(&j, "last_modified", page->last_modified);
    char file_name[CR_ID_SIZE + 8];
    snprintf(file_name, sizeof file_name, "%s%s", id, ext);
    cr_json_kv_string(&j, "file", file_name);
    cr_json_object_end(&j);
    cr_buf_putc(&meta, '\n');
    if (meta.failed) {
        cr_buf_free(&meta);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    char name[64];
    snprintf(name, sizeof name, "%s.meta.json", id);
    int rc = stage_file(out_dir, name, meta.data, meta.len, file, err);
    cr_buf_free(&meta);
    return rc;
}

int output_stage_body(const char *out_dir, const page_record *page, cr_atomic_file *file,
                      cr_err *err)
{
    char id[CR_ID_SIZE], name[64];
    output_page_id(page->url, id);
    snprintf(name, sizeof name, "%s%s", id, output_extension(page->content_type));
    return stage_file(out_dir, name, page->body, page->body_len, file, err);
}
