/* encode.h — turning documents (files) into llm.c token shards in a folder, and shards back
 * into bytes. One document = one file; each starts with the end-of-text token. Shard names
 * come from the documents' contents, so re-running a batch rewrites the same shards, and a
 * manifest per run lists which document went where (docs/tokenizer.md). */
#ifndef TOK_ENCODE_H
#define TOK_ENCODE_H

#include <stdint.h>
#include <stdio.h>

#include "status.h"
#include "vocab.h"

#define TOK_DEFAULT_SHARD_TOKENS 100000000ULL

typedef struct tok_encode_options {
    const char *out_dir;
    int threads;
    uint64_t shard_tokens; /* most tokens per shard */
    int progress_mode;
} tok_encode_options;

typedef struct tok_encode_report {
    uint64_t documents, skipped, bytes, tokens, shards;
    double seconds;
    char run_id[17];
} tok_encode_report;

int tok_encode_files(const tok_vocab *v, const tok_encode_options *o, char *const *paths,
                     size_t path_count, tok_encode_report *report, cr_err *err);

/* Writes the bytes of every token of a shard ("-": standard input) to out; special tokens as
 * their names unless skip_special. */
int tok_decode_shard(const tok_vocab *v, const char *path, FILE *out, int skip_special,
                     uint64_t *token_count, cr_err *err);

#endif
