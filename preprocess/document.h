/* document.h — one input file through the whole of preprocess: read, charset, extraction,
 * clean-up, quality filters, deduplication, and clean/<id>.txt + clean/<id>.meta.json written
 * atomically. Walking inputs, threads and the summary are run.c's. */
#ifndef PP_DOCUMENT_H
#define PP_DOCUMENT_H

#include <stddef.h>

#include "blocks.h"
#include "dedup.h"
#include "filters.h"
#include "hash.h"
#include "order.h"
#include "status.h"

typedef struct pp_context {
    const char *out_dir;
    pp_filters filters;
    int min_words_set;     /* --min-words given: overrides the filters' min_words */
    double near_threshold; /* 0: near-duplicate check off */
    pp_dedup *dedup;       /* NULL: --no-dedup */
    pp_blocks *blocks;     /* NULL: repeated blocks are not cut (--block-dedup off) */
    size_t max_input_bytes;
    pp_order *order; /* NULL: dedup decisions in whatever order the threads reach them */
} pp_context;

enum pp_kind {
    PP_KIND_HTML,
    PP_KIND_TEXT,
    PP_KIND_MARKDOWN,
    PP_KIND_CODE,
    PP_KIND_DOCUMENT, /* PDF, DOCX, ODT, EPUB (formats.h): which one, the bytes say */
    PP_KIND_UNSUPPORTED
};

enum pp_status { PP_KEPT, PP_REJECTED, PP_FAILED, PP_SKIPPED };

typedef struct pp_outcome {
    int status;
    char id[CR_ID_SIZE];
    const char *kind; /* "html", "text", "markdown", "code", "pdf", "docx", "odt", "epub" */
    char reason[40];  /* for PP_REJECTED: "empty", "duplicate", "near_duplicate", a filter name,
                        "encrypted", "image_only", "repeated_blocks" */
    char detail[256]; /* e.g. "12 words, fewer than 50" */
    char duplicate_of[CR_ID_SIZE];
    cr_err err; /* for PP_FAILED */
    size_t bytes_in, bytes_out, words, invalid;
    size_t blocks_cut, block_bytes_cut; /* repeated blocks cut out of a kept document */
} pp_outcome;

/* The kind an input's name says (by extension); *language names source languages ("c"). */
enum pp_kind pp_kind_of(const char *path, const char **language);
/* 1 for a file that accompanies another (the crawler's *.meta.json), not an input itself. */
int pp_is_companion(const char *path);

struct pp_output;

/* Takes id out of the dedup index and the repeated-block tables (its outputs could not be
 * written, or it was rejected after its check). */
void pp_document_forget(const pp_context *ctx, const char *id);
/* A staged document whose outputs could not be published (output.h's pp_output_failed_fn;
 * ctx is a pp_context, outcome a pp_outcome): PP_FAILED, its error reported on stderr, then
 * forgotten. */
void pp_document_unpublished(const void *ctx, void *outcome, const cr_err *err);

/* Processes one input; never exits. The outcome says kept, rejected (and why) or failed (and
 * the exit code its failure calls for). A kept document's files are staged in output's batch
 * (output.h), which may still turn the outcome into a failure when it is published; with
 * output NULL they are written and synced before this returns. order_index is the input's
 * place in ctx->order: its dedup check waits for every input before it. */
void pp_process_file(const pp_context *ctx, const char *path, pp_outcome *outcome,
                     struct pp_output *output, size_t order_index);

#endif
