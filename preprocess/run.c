/* run.c — one preprocess run: walks the inputs, shares the files among --threads workers,
 * reports each outcome as it happens (rejections at INFO, failures as error lines), then the
 * summary by reason and the exit status. What happens to one file is document.c's business. */
#include "run.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "document.h"
#include "fs.h"
#include "html.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "progress.h"

typedef struct work_item {
    char *path;
    pp_outcome outcome;
} work_item;

typedef struct work_queue {
    work_item *items;
    size_t count;
    size_t next;
    pthread_mutex_t lock;
    const pp_context *ctx;
    cr_progress *progress;
} work_queue;

static void report(const work_item *item)
{
    const pp_outcome *o = &item->outcome;
    switch (o->status) {
    case PP_KEPT:
        cr_debug("kept %s as %s (%zu words)", item->path, o->id, o->words);
        break;
    case PP_REJECTED:
        cr_info("rejected %s: %s (%s)", item->path, o->reason, o->detail);
        break;
    case PP_FAILED:
        cr_err_report("preprocess", &o->err);
        break;
    default:
        break;
    }
}

/* Outputs are published in batches of this many documents per worker (output.c). */
#define OUTPUT_BATCH 64

static void *worker(void *arg)
{
    work_queue *q = arg;
    pp_output output;
    pp_output_open(&output, q->ctx->out_dir, pp_document_unpublished, q->ctx,
                   q->count > 1 ? OUTPUT_BATCH : 1);
    for (;;) {
        pthread_mutex_lock(&q->lock);
        size_t index = q->next < q->count ? q->next++ : q->count;
        pthread_mutex_unlock(&q->lock);
        if (index == q->count) {
            pp_output_close(&output);
            return NULL;
        }
        work_item *item = &q->items[index];
        if (item->outcome.status != PP_FAILED && item->outcome.status != PP_SKIPPED)
            pp_process_file(q->ctx, item->path, &item->outcome, &output, index);
        else
            pp_order_done(q->ctx->order, index);
        report(item);
        cr_progress_add(q->progress, 1);
    }
}

typedef struct item_list {
    work_item *items;
    size_t count, cap;
} item_list;

static int push_item(item_list *list, const char *path, int status, const cr_err *err)
{
    if (cr_grow(&list->items, &list->cap, list->count + 1, sizeof *list->items) < 0)
        return -1;
    work_item *item = &list->items[list->count];
    memset(item, 0, sizeof *item);
    item->path = strdup(path);
    if (!item->path)
        return -1;
    item->outcome.status = status;
    if (err)
        item->outcome.err = *err;
    list->count++;
    return 0;
}

/* Every input becomes work items: a file as it is; a folder's files of a kind we read (the
 * crawler's *.meta.json are companions, other files are counted as skipped); a missing input
 * is a failed item (66), so the other inputs are still processed. */
static int collect(const pp_run_options *opt, item_list *list, size_t *skipped, cr_err *err)
{
    for (int i = 0; i < opt->input_count; i++) {
        const char *input = opt->inputs[i];
        if (cr_is_dir(input)) {
            char **paths;
            size_t count;
            char *one[1] = {(char *)input};
            int code = cr_list_inputs(one, 1, &paths, &count, err);
            if (code)
                return code;
            for (size_t k = 0; k < count; k++) {
                const char *language;
                if (pp_is_companion(paths[k]))
                    continue;
                if (pp_kind_of(paths[k], &language) == PP_KIND_UNSUPPORTED) {
                    cr_debug("skipping %s: not a page, text, Markdown or source file", paths[k]);
                    (*skipped)++;
                    continue;
                }
                if (push_item(list, paths[k], PP_KEPT, NULL) < 0) {
                    cr_free_list(paths, count);
                    return cr_fail(err, CR_EOTHER, "listing inputs: out of memory");
                }
            }
            cr_free_list(paths, count);
        } else if (cr_is_file(input)) {
            if (push_item(list, input, PP_KEPT, NULL) < 0)
                return cr_fail(err, CR_EOTHER, "listing inputs: out of memory");
        } else {
            /* Missing, or there but not a file we can read whole (a FIFO, a device, a
             * socket): a failed item that says which, never "no such file" for a file that
             * is there. */
            cr_err why;
            struct stat st;
            if (stat(input, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
                cr_fail(&why, CR_ENOINPUT, "%s: no such file or folder", input);
            else if (errno = 0, stat(input, &st) < 0)
                cr_fail_errno(&why, cr_exit_for_errno(errno), "%s", input);
            else
                cr_fail(&why, CR_EDATA, "%s: not a regular file (%s)", input,
                        S_ISFIFO(st.st_mode)                         ? "a FIFO"
                        : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                     : "a socket");
            if (push_item(list, input, PP_FAILED, &why) < 0)
                return cr_fail(err, CR_EOTHER, "listing inputs: out of memory");
        }
    }
    return CR_OK;
}

/* The most serious failure decides the exit status. */
static int severity(int code)
{
    switch (code) {
    case CR_EIO:
        return 5;
    case CR_ETEMP:
        return 4;
    case CR_ENOINPUT:
        return 3;
    case CR_EDATA:
        return 2;
    default:
        return 1;
    }
}

typedef struct reason_count {
    char reason[40];
    size_t count;
} reason_count;

static void print_summary(const pp_run_options *opt, const item_list *list, size_t skipped,
                          double seconds)
{
    size_t kept = 0, rejected = 0, failed = 0, bytes_in = 0, bytes_out = 0;
    size_t blocks_cut = 0, block_bytes_cut = 0, documents_cut = 0;
    reason_count reasons[32];
    size_t reason_total = 0;
    for (size_t i = 0; i < list->count; i++) {
        const pp_outcome *o = &list->items[i].outcome;
        bytes_in += o->bytes_in;
        if (o->status == PP_KEPT) {
            kept++;
            bytes_out += o->bytes_out;
            blocks_cut += o->blocks_cut;
            block_bytes_cut += o->block_bytes_cut;
            documents_cut += o->blocks_cut > 0;
        } else if (o->status == PP_FAILED) {
            failed++;
        } else if (o->status == PP_REJECTED) {
            rejected++;
            size_t r = 0;
            while (r < reason_total && strcmp(reasons[r].reason, o->reason) != 0)
                r++;
            if (r == reason_total && reason_total < 32) {
                snprintf(reasons[r].reason, sizeof reasons[r].reason, "%s", o->reason);
                reasons[r].count = 0;
                reason_total++;
            }
            if (r < reason_total)
                reasons[r].count++;
        }
    }
    cr_buf out;
    cr_buf_init(&out);
    if (opt->json) {
        cr_json j;
        cr_json_init(&j, &out);
        cr_json_object_begin(&j);
        cr_json_kv_int(&j, "inputs", (int64_t)list->count);
        cr_json_kv_int(&j, "kept", (int64_t)kept);
        cr_json_kv_int(&j, "rejected", (int64_t)rejected);
        cr_json_kv_int(&j, "failed", (int64_t)failed);
        cr_json_kv_int(&j, "skipped", (int64_t)skipped);
        cr_json_kv_int(&j, "bytes_in", (int64_t)bytes_in);
        cr_json_kv_int(&j, "bytes_out", (int64_t)bytes_out);
        cr_json_kv_double(&j, "seconds", seconds);
        cr_json_key(&j, "repeated_blocks"); /* cut out of kept documents */
        cr_json_object_begin(&j);
        cr_json_kv_int(&j, "cut", (int64_t)blocks_cut);
        cr_json_kv_int(&j, "bytes", (int64_t)block_bytes_cut);
        cr_json_kv_int(&j, "documents", (int64_t)documents_cut);
        cr_json_object_end(&j);
        cr_json_key(&j, "rejected_by_reason");
        cr_json_object_begin(&j);
        for (size_t r = 0; r < reason_total; r++)
            cr_json_kv_int(&j, reasons[r].reason, (int64_t)reasons[r].count);
        cr_json_object_end(&j);
        cr_json_key(&j, "documents");
        cr_json_array_begin(&j);
        for (size_t i = 0; i < list->count; i++) {
            const work_item *item = &list->items[i];
            const pp_outcome *o = &item->outcome;
            cr_json_object_begin(&j);
            cr_json_kv_string(&j, "input", item->path);
            cr_json_kv_string(&j, "status",
                              o->status == PP_KEPT       ? "kept"
                              : o->status == PP_REJECTED ? "rejected"
                                                         : "failed");
            if (o->kind)
                cr_json_kv_string(&j, "kind", o->kind);
            if (o->id[0])
                cr_json_kv_string(&j, "id", o->id);
            if (o->status == PP_KEPT) {
                cr_json_kv_int(&j, "words", (int64_t)o->words);
                cr_json_kv_int(&j, "invalid_sequences", (int64_t)o->invalid);
                if (o->blocks_cut) {
                    cr_json_kv_int(&j, "repeated_blocks_cut", (int64_t)o->blocks_cut);
                    cr_json_kv_int(&j, "repeated_block_bytes_cut", (int64_t)o->block_bytes_cut);
                }
            }
            if (o->status == PP_REJECTED) {
                cr_json_kv_string(&j, "reason", o->reason);
                cr_json_kv_string(&j, "detail", o->detail);
                if (o->duplicate_of[0])
                    cr_json_kv_string(&j, "duplicate_of", o->duplicate_of);
            }
            if (o->status == PP_FAILED) {
                cr_json_kv_int(&j, "exit_code", o->err.code);
                cr_json_kv_string(&j, "error", o->err.msg);
            }
            cr_json_object_end(&j);
        }
        cr_json_array_end(&j);
        cr_json_object_end(&j);
        cr_buf_putc(&out, '\n');
    } else if (!opt->quiet) {
        cr_buf_printf(&out, "%zu input%s: %zu kept, %zu rejected, %zu failed", list->count,
                      list->count == 1 ? "" : "s", kept, rejected, failed);
        if (skipped)
            cr_buf_printf(&out, ", %zu skipped (not a known kind)", skipped);
        cr_buf_printf(&out, "; %.1f MB in, %.1f MB out, %.2f s\n", bytes_in / 1e6, bytes_out / 1e6,
                      seconds);
        if (blocks_cut)
            cr_buf_printf(&out, "repeated blocks: %zu cut from %zu document%s (%zu bytes)\n",
                          blocks_cut, documents_cut, documents_cut == 1 ? "" : "s",
                          block_bytes_cut);
        if (reason_total) {
            cr_buf_puts(&out, "rejected:");
            for (size_t r = 0; r < reason_total; r++)
                cr_buf_printf(&out, "%s %s %zu", r ? "," : "", reasons[r].reason, reasons[r].count);
            cr_buf_putc(&out, '\n');
        }
    }
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    cr_buf_free(&out);
}

int pp_run(const pp_run_options *opt, cr_err *err)
{
    int code = cr_mkdir_p(opt->out_dir, err);
    if (code)
        return code;
    cr_remove_stale_temporaries(opt->out_dir);
    pp_context ctx = {.out_dir = opt->out_dir,
                      .filters = opt->filters,
                      .near_threshold = opt->near_threshold,
                      .max_input_bytes = opt->max_input_bytes};
    if (!opt->no_dedup) {
        char default_path[4096];
        const char *path = opt->dedup_path;
        if (!path) {
            code =
                cr_path_join(default_path, sizeof default_path, opt->out_dir, ".dedup.sqlite", err);
            if (code)
                return code;
            path = default_path;
        }
        code = pp_dedup_open(&ctx.dedup, path, err);
        char blocks_path[4096]; /* beside the dedup index: PATH-blocks, as SQLite's PATH-wal */
        if (!code && opt->block_keep > 0 &&
            snprintf(blocks_path, sizeof blocks_path, "%s-blocks", path) >= (int)sizeof blocks_path)
            code = cr_fail(err, CR_EUSAGE, "%s: the path is too long", path);
        if (!code && opt->block_keep > 0)
            code = pp_blocks_open(&ctx.blocks, blocks_path, opt->block_min_bytes, opt->block_keep,
                                  err);
        if (code) {
            pp_dedup_close(ctx.dedup);
            return code;
        }
    }
    pp_html_init();

    item_list list = {0};
    size_t skipped = 0;
    code = collect(opt, &list, &skipped, err);
    if (code == CR_OK) {
        double started = cr_now_s();
        cr_progress progress;
        cr_progress_begin(&progress, "preprocess", "files", list.count,
                          opt->quiet ? CR_PROGRESS_NEVER : opt->progress_mode);
        pp_order order;
        if (pp_order_init(&order, list.count) == 0)
            ctx.order = &order;
        work_queue queue = {
            .items = list.items, .count = list.count, .ctx = &ctx, .progress = &progress};
        pthread_mutex_init(&queue.lock, NULL);
        int threads = opt->threads < 1 ? 1 : opt->threads;
        if ((size_t)threads > list.count)
            threads = list.count ? (int)list.count : 1;
        pthread_t ids[64];
        int started_threads = 0;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 16u << 20); /* deep pages recurse deeply */
        for (int t = 1; t < threads && t < 64; t++)
            if (pthread_create(&ids[started_threads], &attr, worker, &queue) == 0)
                started_threads++;
        pthread_attr_destroy(&attr);
        worker(&queue); /* the main thread works too */
        for (int t = 0; t < started_threads; t++)
            pthread_join(ids[t], NULL);
        pthread_mutex_destroy(&queue.lock);
        if (ctx.order)
            pp_order_free(ctx.order);
        ctx.order = NULL;
        cr_progress_end(&progress);
        print_summary(opt, &list, skipped, cr_now_s() - started);

        int worst = 0;
        for (size_t i = 0; i < list.count; i++) {
            const pp_outcome *o = &list.items[i].outcome;
            if (o->status == PP_FAILED) {
                int c = o->err.code ? o->err.code : CR_EOTHER;
                if (!worst || severity(c) > severity(worst))
                    worst = c;
            }
        }
        code = worst;
        cr_err_clear(err);
        cr_err closing;
        if (pp_blocks_close(ctx.blocks, &closing) != CR_OK) {
            cr_err_report("preprocess", &closing); /* the documents are written all the same */
            code = !code || severity(closing.code) > severity(code) ? closing.code : code;
        }
        ctx.blocks = NULL;
    }
    for (size_t i = 0; i < list.count; i++)
        free(list.items[i].path);
    free(list.items);
    pp_blocks_close(ctx.blocks, NULL);
    pp_dedup_close(ctx.dedup);
    return code;
}
