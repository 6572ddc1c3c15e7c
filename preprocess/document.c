/* document.c — one input, start to finish: read it, pick its kind (a PDF, DOCX, ODT or EPUB by
 * its bytes: formats.c), decode (charset.c), extract (html.c, or the document's extractor),
 * clean (text.c), filter (filters.c), deduplicate (dedup.c), cut repeated blocks (blocks.c), then
 * write clean/<id>.txt and clean/<id>.meta.json atomically (the .txt renamed last, so a watcher of
 * *.txt always finds its meta beside it). It does not walk folders or count: run.c does. */
#include "document.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"
#include "formats.h"
#include "fs.h"
#include "html.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "text.h"

/* The extension after the last dot of the file name, or the empty string at the end of path
 * when there is none (always a pointer into path). */
static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? dot + 1 : path + strlen(path);
}

static const struct {
    const char *ext, *language;
} code_extensions[] = {
    {"c", "c"},           {"h", "c"},
    {"cc", "c++"},        {"cpp", "c++"},
    {"cxx", "c++"},       {"hpp", "c++"},
    {"hh", "c++"},        {"py", "python"},
    {"js", "javascript"}, {"mjs", "javascript"},
    {"ts", "typescript"}, {"go", "go"},
    {"rs", "rust"},       {"java", "java"},
    {"kt", "kotlin"},     {"sh", "shell"},
    {"bash", "shell"},    {"rb", "ruby"},
    {"pl", "perl"},       {"lua", "lua"},
    {"sql", "sql"},       {"s", "assembly"},
    {"asm", "assembly"},  {"mk", "make"},
    {"cmake", "cmake"},   {"css", "css"},
    {"yaml", "yaml"},     {"yml", "yaml"},
    {"toml", "toml"},     {"cs", "c#"},
    {"swift", "swift"},   {"scala", "scala"},
    {"hs", "haskell"},    {"ml", "ocaml"},
    {"el", "lisp"},       {"lisp", "lisp"},
    {"scm", "scheme"},    {"r", "r"},
    {"jl", "julia"},      {"php", "php"},
    {"zig", "zig"},       {"nim", "nim"},
};

enum pp_kind pp_kind_of(const char *path, const char **language)
{
    const char *ext = extension(path);
    *language = NULL;
    if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm") || !strcasecmp(ext, "xhtml"))
        return PP_KIND_HTML;
    if (!strcasecmp(ext, "txt") || !strcasecmp(ext, "text"))
        return PP_KIND_TEXT;
    if (!strcasecmp(ext, "md") || !strcasecmp(ext, "markdown"))
        return PP_KIND_MARKDOWN;
    if (pp_format_of_extension(ext) != PP_FORMAT_NONE)
        return PP_KIND_DOCUMENT;
    for (size_t i = 0; i < sizeof code_extensions / sizeof code_extensions[0]; i++) {
        if (strcasecmp(ext, code_extensions[i].ext) == 0) {
            *language = code_extensions[i].language;
            return PP_KIND_CODE;
        }
    }
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!strcmp(name, "Makefile") || !strcmp(name, "makefile") || !strcmp(name, "GNUmakefile")) {
        *language = "make";
        return PP_KIND_CODE;
    }
    return PP_KIND_UNSUPPORTED;
}

int pp_is_companion(const char *path)
{
    size_t len = strlen(path);
    return len >= 10 && strcmp(path + len - 10, ".meta.json") == 0;
}

static const char *kind_name(enum pp_kind kind)
{
    switch (kind) {
    case PP_KIND_HTML:
        return "html";
    case PP_KIND_MARKDOWN:
        return "markdown";
    case PP_KIND_CODE:
        return "code";
    default:
        return "text";
    }
}

/* What the crawler said about a page (raw/<id>.meta.json), read with json-c. */
typedef struct crawl_meta {
    char url[4096];
    char final_url[4096];
    char charset[64];
    char content_type[128];
    int present;
} crawl_meta;

static void copy_string_field(json_object *obj, const char *const *keys, char *out, size_t size)
{
    for (; *keys; keys++) {
        json_object *value;
        if (json_object_object_get_ex(obj, *keys, &value) &&
            json_object_is_type(value, json_type_string)) {
            snprintf(out, size, "%s", json_object_get_string(value));
            return;
        }
    }
}

static void read_crawl_meta(const char *html_path, crawl_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    char path[PATH_MAX];
    const char *ext = extension(html_path);
    size_t stem = (size_t)(ext - html_path) - (*ext ? 1 : 0); /* without ".html" */
    if (snprintf(path, sizeof path, "%.*s.meta.json", (int)stem, html_path) >= (int)sizeof path)
        return;
    if (!cr_is_file(path))
        return;
    char *bytes;
    size_t len;
    cr_err err;
    if (cr_read_file(path, &bytes, &len, 1 << 20, &err) != CR_OK) {
        cr_warn("%s: ignoring the crawl metadata: %s", html_path, err.msg);
        return;
    }
    json_object *obj = json_tokener_parse(bytes);
    free(bytes);
    if (!obj || !json_object_is_type(obj, json_type_object)) {
        cr_warn("%s: ignoring the crawl metadata: %s is not a JSON object", html_path, path);
        if (obj)
            json_object_put(obj);
        return;
    }
    static const char *const url_keys[] = {"url", NULL};
    static const char *const final_keys[] = {"final_url", "final-url", "finalUrl", NULL};
    static const char *const charset_keys[] = {"charset", NULL};
    static const char *const type_keys[] = {"content_type", "content-type", "contentType", NULL};
    static const char *const source_keys[] = {"charset_source", NULL};
    char charset_source[32] = "";
    copy_string_field(obj, url_keys, meta->url, sizeof meta->url);
    copy_string_field(obj, final_keys, meta->final_url, sizeof meta->final_url);
    copy_string_field(obj, charset_keys, meta->charset, sizeof meta->charset);
    copy_string_field(obj, type_keys, meta->content_type, sizeof meta->content_type);
    copy_string_field(obj, source_keys, charset_source, sizeof charset_source);
    json_object_put(obj);
    /* The crawler also records a charset it read from the page's own <meta>: that is not
     * transport evidence (it would outrank a BOM), and our own sniffing finds it again. */
    if (strcmp(charset_source, "meta") == 0)
        meta->charset[0] = '\0';
    meta->present = 1;
    if (!meta->charset[0]) { /* "text/html; charset=Shift_JIS" */
        const char *cs = strcasestr(meta->content_type, "charset=");
        if (cs)
            snprintf(meta->charset, sizeof meta->charset, "%s", cs + 8);
    }
}

static size_t count_codepoints(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static void reject(pp_outcome *o, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reject(pp_outcome *o, const char *reason, const char *fmt, ...)
{
    o->status = PP_REJECTED;
    snprintf(o->reason, sizeof o->reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
}

static void fail(pp_outcome *o, const cr_err *err)
{
    o->status = PP_FAILED;
    o->err = *err;
}

typedef struct doc_facts {
    const char *path;
    const char *language;
    const crawl_meta *crawl;
    const pp_decoded *decoded;
    const pp_html_info *html;
    const pp_doc_info *doc; /* a PDF, DOCX, ODT or EPUB */
    const pp_measures *measures;
    const pp_filters *filters;
    int is_code;
    double near_threshold;
    int dedup;
    int blocks; /* repeated blocks looked for */
    char sha256[CR_SHA256_HEX_SIZE];
} doc_facts;

static void write_meta_json(cr_buf *out, const pp_outcome *o, const doc_facts *f)
{
    cr_json j;
    cr_json_init(&j, out);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "id", o->id);
    cr_json_kv_string(&j, "source", f->path);
    if (f->crawl->url[0])
        cr_json_kv_string(&j, "url", f->crawl->url);
    if (f->crawl->final_url[0])
        cr_json_kv_string(&j, "final_url", f->crawl->final_url);
    cr_json_kv_string(&j, "kind", o->kind);
    if (f->language)
        cr_json_kv_string(&j, "language", f->language);
    if (f->html) {
        cr_json_kv_string(&j, "title", f->html->title);
        cr_json_kv_string(&j, "extraction", f->html->method);
    }
    if (f->doc) {
        cr_json_kv_string(&j, "title", f->doc->title);
        cr_json_kv_int(&j, o->kind[0] == 'p' ? "pages" : "parts", (int64_t)f->doc->parts);
        if (f->doc->truncated) {
            cr_json_kv_bool(&j, "truncated", 1);
            cr_json_kv_int(&j, o->kind[0] == 'p' ? "pages_read" : "parts_read",
                           (int64_t)f->doc->parts_read);
        }
    }
    cr_json_kv_string(&j, "charset", f->decoded->charset);
    cr_json_kv_string(&j, "charset_source", f->decoded->source ? f->decoded->source : "default");
    cr_json_kv_int(&j, "bytes_in", (int64_t)o->bytes_in);
    cr_json_kv_int(&j, "bytes", (int64_t)o->bytes_out);
    cr_json_kv_int(&j, "words", (int64_t)f->measures->words);
    cr_json_kv_int(&j, "lines", (int64_t)f->measures->lines);
    cr_json_kv_int(&j, "invalid_sequences", (int64_t)o->invalid);
    cr_json_kv_string(&j, "sha256", f->sha256);
    cr_json_key(&j, "filters");
    cr_json_object_begin(&j);
    for (int i = 0; i < PP_F_COUNT; i++) {
        if (!f->filters->enabled[i] || !f->measures->measured[i] ||
            pp_filter_defs[i].for_code != f->is_code)
            continue;
        cr_json_key(&j, pp_filter_defs[i].name);
        cr_json_object_begin(&j);
        cr_json_kv_double(&j, "value", f->measures->value[i]);
        cr_json_kv_double(&j, "limit", f->filters->limit[i]);
        cr_json_kv_bool(&j, "passed", 1);
        cr_json_object_end(&j);
    }
    cr_json_object_end(&j);
    cr_json_key(&j, "dedup");
    cr_json_object_begin(&j);
    cr_json_kv_bool(&j, "checked", f->dedup);
    cr_json_kv_double(&j, "near_threshold", f->near_threshold);
    if (f->blocks) {
        cr_json_kv_int(&j, "repeated_blocks_cut", (int64_t)o->blocks_cut);
        cr_json_kv_int(&j, "repeated_block_bytes_cut", (int64_t)o->block_bytes_cut);
    }
    cr_json_object_end(&j);
    cr_json_kv_string(&j, "preprocess_version", CR_VERSION);
    cr_json_object_end(&j);
    cr_buf_putc(out, '\n');
}

/* .txt to its temporary name, the meta file whole, then the .txt renamed: on any failure
 * neither new file is left, and no temporary file either. */
static int write_outputs(const pp_context *ctx, const pp_outcome *o, const cr_buf *text,
                         const cr_buf *meta, cr_err *err)
{
    char txt_path[PATH_MAX], meta_path[PATH_MAX], name[64];
    snprintf(name, sizeof name, "%s.txt", o->id);
    int code = cr_path_join(txt_path, sizeof txt_path, ctx->out_dir, name, err);
    snprintf(name, sizeof name, "%s.meta.json", o->id);
    if (!code)
        code = cr_path_join(meta_path, sizeof meta_path, ctx->out_dir, name, err);
    if (code)
        return code;
    cr_atomic_file txt;
    code = cr_atomic_open(&txt, txt_path, err);
    if (code)
        return code;
    code = cr_atomic_write(&txt, text->data, text->len, err);
    if (!code)
        code = cr_write_file_atomic(meta_path, meta->data, meta->len, err);
    if (code) {
        cr_atomic_abort(&txt);
        return code;
    }
    return cr_atomic_commit(&txt, err);
}

void pp_document_forget(const pp_context *ctx, const char *id)
{
    cr_err ignored;
    if (ctx->dedup)
        pp_dedup_forget(ctx->dedup, id, &ignored);
    if (ctx->blocks)
        pp_blocks_forget(ctx->blocks, id, &ignored);
}

void pp_document_unpublished(const void *ctx, void *outcome, const cr_err *err)
{
    pp_outcome *o = outcome;
    fail(o, err);
    cr_err_report("preprocess", &o->err);
    pp_document_forget(ctx, o->id);
}

/* Cuts out of clean the blocks that earlier documents already have (blocks.c), in the input's
 * dedup turn, so that the first input keeps them whatever --threads. What is left is measured
 * and filtered again: the filters judge the text that is written. */
static int cut_repeated_blocks(const pp_context *ctx, pp_outcome *o, cr_buf *clean,
                               pp_measures *measures, int is_code, cr_err *err)
{
    cr_buf left;
    cr_buf_init(&left);
    pp_blocks_result cut;
    int code = pp_blocks_apply(ctx->blocks, o->id, clean->data, clean->len, &left, &cut, err);
    if (code || !cut.changed) {
        cr_buf_free(&left);
        if (code)
            pp_document_forget(ctx, o->id);
        return code;
    }
    cr_buf_free(clean);
    *clean = left;
    o->blocks_cut = cut.blocks;
    o->block_bytes_cut = cut.bytes;
    o->bytes_out = clean->len;
    int failed_rule = -1;
    if (clean->len == 0) {
        reject(o, "repeated_blocks", "all of its text is in earlier documents (%zu blocks)",
               cut.blocks);
    } else {
        pp_measure(clean->data, clean->len, is_code, measures);
        o->words = measures->words;
        failed_rule = pp_filters_check(&ctx->filters, measures, is_code);
    }
    if (failed_rule >= 0) {
        const pp_filter_def *def = &pp_filter_defs[failed_rule];
        reject(o, def->name, "%.4g is %s %.4g once %zu repeated blocks are cut",
               measures->value[failed_rule],
               def->is_minimum ? "below the minimum" : "above the maximum",
               ctx->filters.limit[failed_rule], cut.blocks);
    }
    if (o->status == PP_REJECTED)
        pp_document_forget(ctx, o->id);
    return CR_OK;
}

void pp_process_file(const pp_context *ctx, const char *path, pp_outcome *o, pp_output *output,
                     size_t order_index)
{
    memset(o, 0, sizeof *o);
    const char *language;
    enum pp_kind kind = pp_kind_of(path, &language);
    if (kind == PP_KIND_UNSUPPORTED)
        kind = PP_KIND_TEXT; /* named on the command line: read as text */
    crawl_meta crawl;
    memset(&crawl, 0, sizeof crawl);
    if (kind == PP_KIND_HTML || kind == PP_KIND_TEXT) {
        read_crawl_meta(path, &crawl); /* a crawled raw/<id>.html or raw/<id>.txt */
        if (crawl.content_type[0] && strncasecmp(crawl.content_type, "text/plain", 10) == 0)
            kind = PP_KIND_TEXT;
    }
    o->kind = kind_name(kind);

    char *bytes = NULL;
    size_t len = 0;
    cr_err err = {0};
    cr_buf decoded, clean, meta;
    cr_buf_init(&decoded);
    cr_buf_init(&clean);
    cr_buf_init(&meta);
    int code = cr_read_file(path, &bytes, &len, ctx->max_input_bytes, &err);
    if (code) {
        fail(o, &err);
        goto done;
    }
    o->bytes_in = len;
    if (len == 0) {
        reject(o, "empty", "the file is empty");
        goto done;
    }
    /* a PDF, DOCX, ODT or EPUB is known by its bytes, whatever its name */
    enum pp_format format = pp_sniff_format(bytes, len, pp_format_of_extension(extension(path)));
    if (format != PP_FORMAT_NONE) {
        kind = PP_KIND_DOCUMENT;
        o->kind = pp_format_name(format);
    } else if (kind == PP_KIND_DOCUMENT) {
        cr_fail(&err, CR_EDATA, "%s: not a %s file (its bytes say otherwise)", path,
                extension(path));
        fail(o, &err);
        goto done;
    }
    if (kind != PP_KIND_DOCUMENT && (code = pp_check_not_binary(bytes, len, &err)) != CR_OK) {
        cr_err_context(&err, "%s", path);
        fail(o, &err);
        goto done;
    }

    pp_decoded info;
    pp_html_info html_info;
    pp_doc_info doc_info;
    memset(&info, 0, sizeof info);
    memset(&html_info, 0, sizeof html_info);
    memset(&doc_info, 0, sizeof doc_info);
    if (kind == PP_KIND_DOCUMENT) {
        snprintf(info.charset, sizeof info.charset, "utf-8");
        info.source = "document";
        code = pp_extract_document(format, bytes, len, &decoded, &doc_info, &err);
        if (code == CR_OK && doc_info.reject[0]) {
            reject(o, doc_info.reject, "%s", doc_info.reject_detail);
            goto done;
        }
        if (code == CR_OK && doc_info.truncated)
            cr_warn("%s: cut after %zu of %zu %s (the limits are in docs/preprocess.md)", path,
                    doc_info.parts_read, doc_info.parts,
                    format == PP_FORMAT_PDF ? "pages" : "chapters");
    } else if (kind == PP_KIND_HTML)
        code = pp_decode_html(bytes, len, crawl.charset[0] ? crawl.charset : NULL, &decoded, &info,
                              &err);
    else
        code = pp_decode_text(bytes, len, crawl.charset[0] ? crawl.charset : NULL, &decoded, &info,
                              &err);
    if (code == CR_OK && kind == PP_KIND_HTML) {
        cr_buf laid_out;
        cr_buf_init(&laid_out);
        code = pp_html_extract(decoded.data ? decoded.data : "", decoded.len,
                               crawl.final_url[0] ? crawl.final_url
                               : crawl.url[0]     ? crawl.url
                                                  : NULL,
                               &laid_out, &html_info, &err);
        cr_buf_free(&decoded);
        decoded = laid_out;
    }
    size_t repaired = 0;
    if (code == CR_OK) {
        enum pp_text_mode mode = kind == PP_KIND_HTML       ? PP_TEXT_VERBATIM
                                 : kind == PP_KIND_DOCUMENT ? PP_TEXT_PROSE
                                 : kind == PP_KIND_MARKDOWN ? PP_TEXT_MARKDOWN
                                 : kind == PP_KIND_CODE     ? PP_TEXT_CODE
                                                            : PP_TEXT_PROSE;
        code = pp_text_clean(decoded.data ? decoded.data : "", decoded.len, mode, &clean, &repaired,
                             &err);
    }
    if (code) {
        cr_err_context(&err, "%s", path);
        fail(o, &err);
        goto done;
    }
    o->invalid = info.invalid + repaired;
    o->bytes_out = clean.len;
    size_t chars = count_codepoints(clean.data ? clean.data : "", clean.len);
    if (o->invalid >= 16 && o->invalid * 4 > chars) {
        cr_fail(&err, CR_EDATA, "%s: undecodable: %zu of %zu characters are not valid %s", path,
                o->invalid, chars, info.charset);
        fail(o, &err);
        goto done;
    }
    if (clean.len == 0) {
        reject(o, "empty",
               kind == PP_KIND_HTML       ? "no text in the page"
               : kind == PP_KIND_DOCUMENT ? "no text in the document"
                                          : "only blank characters");
        goto done;
    }

    int is_code = kind == PP_KIND_CODE;
    pp_measures measures;
    pp_measure(clean.data, clean.len, is_code, &measures);
    o->words = measures.words;
    int failed_rule = pp_filters_check(&ctx->filters, &measures, is_code);
    if (failed_rule >= 0) {
        const pp_filter_def *def = &pp_filter_defs[failed_rule];
        reject(o, def->name, "%.4g is %s %.4g", measures.value[failed_rule],
               def->is_minimum ? "below the minimum" : "above the maximum",
               ctx->filters.limit[failed_rule]);
        goto done;
    }

    char real[PATH_MAX];
    const char *key = crawl.url[0] ? crawl.url : realpath(path, real) ? real : path;
    cr_id_from_key(key, o->id);

    doc_facts facts = {.path = path,
                       .language = language,
                       .crawl = &crawl,
                       .decoded = &info,
                       .html = kind == PP_KIND_HTML ? &html_info : NULL,
                       .doc = kind == PP_KIND_DOCUMENT ? &doc_info : NULL,
                       .measures = &measures,
                       .filters = &ctx->filters,
                       .is_code = is_code,
                       .near_threshold = ctx->dedup ? ctx->near_threshold : 0,
                       .dedup = ctx->dedup != NULL,
                       .blocks = ctx->blocks != NULL};

    if (ctx->dedup) {
        pp_fingerprint fp;
        pp_fingerprint_text(clean.data, clean.len, &fp);
        int verdict;
        double similarity;
        pp_order_wait(ctx->order, order_index); /* the first input wins, as with one thread */
        code = pp_dedup_check_and_add(ctx->dedup, o->id, path, &fp, ctx->near_threshold, &verdict,
                                      o->duplicate_of, &similarity, &err);
        if (code == CR_OK && verdict == PP_UNIQUE && ctx->blocks) /* in the same turn */
            code = cut_repeated_blocks(ctx, o, &clean, &measures, is_code, &err);
        pp_order_done(ctx->order, order_index);
        if (code) {
            fail(o, &err);
            goto done;
        }
        if (verdict == PP_EXACT_DUPLICATE) {
            reject(o, "duplicate", "same text as %s", o->duplicate_of);
            goto done;
        }
        if (verdict == PP_NEAR_DUPLICATE) {
            reject(o, "near_duplicate", "similarity %.2f with %s", similarity, o->duplicate_of);
            goto done;
        }
        if (o->status == PP_REJECTED) /* by what the cut left */
            goto done;
    }
    cr_sha256_hex(clean.data, clean.len, facts.sha256);

    write_meta_json(&meta, o, &facts);
    if (meta.failed) {
        cr_fail(&err, CR_EOTHER, "%s: out of memory", path);
        fail(o, &err);
        goto done;
    }
    o->status = PP_KEPT; /* a batch may still fail it when it is published */
    code = output ? pp_output_stage(output, o->id, o, &clean, &meta, &err)
                  : write_outputs(ctx, o, &clean, &meta, &err);
    if (code) {
        pp_document_forget(ctx, o->id);
        cr_err_context(&err, "%s", path);
        fail(o, &err);
        goto done;
    }
done:
    pp_order_done(ctx->order, order_index); /* when no dedup check was reached */
    free(bytes);
    cr_buf_free(&decoded);
    cr_buf_free(&clean);
    cr_buf_free(&meta);
}
