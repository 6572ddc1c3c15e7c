/* train.h — learning a byte-level BPE vocabulary from text. The 256 single bytes are ids
 * 0..255, each learned merge takes the next id, the special tokens come last. Deterministic:
 * the same input gives the same vocabulary, bit for bit, whatever the thread count.
 * Encoding with the result is bpe.c's job; writing it is vocab.c's. */
#ifndef TOK_TRAIN_H
#define TOK_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "vocab.h"

typedef struct tok_train_options {
    uint32_t vocab_size;         /* total, specials included */
    const char *pattern;         /* "gpt2", "gpt4" or a regex */
    const char *const *specials; /* names; "<|endoftext|>" when none are given */
    int special_count;
    uint64_t min_frequency; /* a pair seen fewer times is not merged (default 2) */
    int threads;
    int progress_mode; /* cr_progress mode */
} tok_train_options;

typedef struct tok_train_report {
    uint64_t bytes, documents, unique_pieces, merges;
    int stopped_early; /* no pair was frequent enough to reach vocab_size */
} tok_train_report;

/* Trains on the files (already listed) into v (initialised by the caller with
 * tok_vocab_init). CR_EUSAGE for a vocabulary too small, CR_EDATA for an empty corpus. */
int tok_train(const tok_train_options *options, char *const *paths, size_t path_count, tok_vocab *v,
              tok_train_report *report, cr_err *err);

/* Trains on texts in memory (for tests); same rules. */
int tok_train_texts(const tok_train_options *options, const uint8_t *const *texts,
                    const size_t *lengths, size_t text_count, tok_vocab *v,
                    tok_train_report *report, cr_err *err);

#endif
