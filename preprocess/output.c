/* output.c — batched, atomic writing of the clean documents of one worker (output.h). The
 * order is the crawler's (crawler/writer.c): stage all, sync once, metas renamed and the folder
 * synced, then the texts renamed and the folder synced, so a watcher of *.txt always finds the
 * meta beside a text and a power loss never leaves a text without its meta. */
#include "output.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* From this many documents on, a batch is synced with one syncfs rather than a fsync per file
 * (syncfs writes the whole file system: for a document or two, fsync is cheaper). */
#define SYNCFS_MIN 4
#define BATCH_MAX_BYTES (32u << 20)

void pp_output_open(pp_output *out, const char *out_dir, pp_output_failed_fn *failed,
                    const void *owner, size_t max)
{
    memset(out, 0, sizeof *out);
    out->out_dir = out_dir;
    out->failed = failed;
    out->owner = owner;
    out->max = max ? max : 1;
    out->items = calloc(out->max, sizeof *out->items);
    if (!out->items)
        out->max = 0; /* pp_output_stage writes each document on its own then */
    out->folder_fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void fail_item(pp_output *out, pp_staged *item, const cr_err *err)
{
    item->failed = 1;
    out->failed(out->owner, item->document, err);
    cr_atomic_abort(&item->meta);
    cr_atomic_abort(&item->text);
}

static int folder_sync(pp_output *out, cr_err *err)
{
    return cr_fsync_dir(out->out_dir, err);
}

void pp_output_flush(pp_output *out)
{
    size_t count = out->count;
    if (!count)
        return;
    out->count = 0;
    out->bytes = 0;
    int synced = out->folder_fd >= 0 && count >= SYNCFS_MIN;
    cr_err err;
    if (synced && cr_syncfs(out->folder_fd, out->out_dir, &err) != CR_OK) {
        for (size_t i = 0; i < count; i++)
            fail_item(out, &out->items[i], &err);
        return;
    }
    int *ok = calloc(count, sizeof *ok);
    for (size_t i = 0; i < count; i++) {
        pp_staged *item = &out->items[i];
        if (cr_atomic_publish(&item->meta, synced, &err) != CR_OK) {
            fail_item(out, item, &err);
            continue;
        }
        if (ok)
            ok[i] = 1;
    }
    int folder_ok = folder_sync(out, &err) == CR_OK;
    for (size_t i = 0; i < count; i++) {
        pp_staged *item = &out->items[i];
        if (ok && !ok[i])
            continue;
        if (!folder_ok) {
            fail_item(out, item, &err);
            continue;
        }
        if (cr_atomic_publish(&item->text, synced, &err) != CR_OK)
            fail_item(out, item, &err);
    }
    if (folder_ok && folder_sync(out, &err) != CR_OK) {
        for (size_t i = 0; i < count; i++)
            if (!out->items[i].failed)
                fail_item(out, &out->items[i], &err);
    }
    free(ok);
}

int pp_output_stage(pp_output *out, const char *id, void *document, const cr_buf *text,
                    const cr_buf *meta, cr_err *err)
{
    char txt_path[PATH_MAX], meta_path[PATH_MAX], name[64];
    snprintf(name, sizeof name, "%s.txt", id);
    int code = cr_path_join(txt_path, sizeof txt_path, out->out_dir, name, err);
    snprintf(name, sizeof name, "%s.meta.json", id);
    if (!code)
        code = cr_path_join(meta_path, sizeof meta_path, out->out_dir, name, err);
    if (code)
        return code;
    if (out->max == 0) { /* no room for a batch: the unbatched way */
        cr_atomic_file txt;
        if ((code = cr_atomic_open(&txt, txt_path, err)))
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
    pp_staged *item = &out->items[out->count];
    memset(item, 0, sizeof *item);
    item->meta.fd = item->text.fd = -1;
    if ((code = cr_atomic_stage(&item->meta, meta_path, meta->data, meta->len, err)))
        return code;
    if ((code = cr_atomic_stage(&item->text, txt_path, text->data, text->len, err))) {
        cr_atomic_abort(&item->meta);
        return code;
    }
    item->document = document;
    out->count++;
    out->bytes += text->len + meta->len;
    if (out->count == out->max || out->bytes >= BATCH_MAX_BYTES)
        pp_output_flush(out);
    return CR_OK;
}

void pp_output_close(pp_output *out)
{
    pp_output_flush(out);
    free(out->items);
    out->items = NULL;
    if (out->folder_fd >= 0)
        close(out->folder_fd);
    out->folder_fd = -1;
}
