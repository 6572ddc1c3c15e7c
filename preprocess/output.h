/* output.h — clean/<id>.txt and clean/<id>.meta.json written in batches by one worker thread:
 * every file of the batch staged (written under a temporary name), synced with one syncfs
 * instead of a fsync per file, the metas renamed, the folder synced, the texts renamed, the
 * folder synced. A .txt still never appears without its meta. What goes in the files is
 * document.c's business; the lib/fs.c primitives do the writing. */
#ifndef PP_OUTPUT_H
#define PP_OUTPUT_H

#include <stddef.h>

#include "buf.h"
#include "fs.h"

/* What the owner of a staged document does when it cannot be published (document.c: the
 * outcome becomes PP_FAILED and the document is forgotten). */
typedef void pp_output_failed_fn(const void *owner, void *document, const cr_err *err);

typedef struct pp_staged {
    cr_atomic_file meta, text;
    void *document;
    int failed;
} pp_staged;

typedef struct pp_output {
    const char *out_dir;
    pp_output_failed_fn *failed;
    const void *owner;
    int folder_fd; /* for syncfs; -1: each file is fsynced */
    pp_staged *items;
    size_t count, max, bytes;
} pp_output;

/* Outputs of one worker into out_dir, in batches of up to max documents (1: each document is
 * written and synced on its own, as a single run does); failed(owner, document, err) is
 * called for each staged document that cannot be published. */
void pp_output_open(pp_output *out, const char *out_dir, pp_output_failed_fn *failed,
                    const void *owner, size_t max);
/* Stages the two files of document id (<id>.txt, <id>.meta.json); the batch is published when
 * full. On failure the document is left to the caller (nothing is staged). */
int pp_output_stage(pp_output *out, const char *id, void *document, const cr_buf *text,
                    const cr_buf *meta, cr_err *err);
/* Publishes what is staged. A document that could not be published goes to failed. */
void pp_output_flush(pp_output *out);
/* Flushes and releases. */
void pp_output_close(pp_output *out);

#endif
