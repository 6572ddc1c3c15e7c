/* output.h — clean/<id>.txt and clean/<id>.meta.json written in batches by one worker thread:
 * every file of the batch staged (written under a temporary name), synced with one syncfs
 * instead of a fsync per file, the metas renamed, the folder synced, the texts renamed, the
 * folder synced. A .txt still never appears without its meta. What goes in the files is
 * document.c's business; the lib/fs.c primitives do the writing. */
#ifndef PP_OUTPUT_H
#define PP_OUTPUT_H

#include <stddef.h>

#include "buf.h"
#include "document.h"
#include "fs.h"

typedef struct pp_staged {
    cr_atomic_file meta, text;
    pp_outcome *outcome;
} pp_staged;

typedef struct pp_output {
    const pp_context *ctx;
    int folder_fd; /* for syncfs; -1: each file is fsynced */
    pp_staged *items;
    size_t count, max, bytes;
} pp_output;

/* Outputs of one worker into ctx->out_dir, in batches of up to max documents (1: each
 * document is written and synced on its own, as a single run does). */
void pp_output_open(pp_output *out, const pp_context *ctx, size_t max);
/* Stages a kept document's two files; the batch is published when full. On failure the
 * outcome is left to the caller (nothing is staged). */
int pp_output_stage(pp_output *out, pp_outcome *outcome, const cr_buf *text, const cr_buf *meta,
                    cr_err *err);
/* Publishes what is staged. A document that could not be published becomes PP_FAILED (its
 * error reported on stderr, its dedup and block entries withdrawn). */
void pp_output_flush(pp_output *out);
/* Flushes and releases. */
void pp_output_close(pp_output *out);

#endif
