/* data.h — the trainer's view of a folder of token shards (lib/shard.h reads each one).
 * Training reads the shards (sorted by name) as one stream, either shuffled (the default:
 * sequences of T+1 tokens in a seeded permutation per epoch, a function of the sequence's
 * number alone) or in order, in windows of B*T+1 tokens that advance by B*T, wrapping into the
 * next epoch, as llm.c's loader does across shard files.
 * Validation uses a fixed tail of each shard (the last 5%) that training never reads, unless a
 * separate validation folder is given. Only "*.bin" files directly in the folder are shards;
 * sub-folders (the tokenizer) are ignored. In order, the position is saved by shard name;
 * shuffled, it is the count of tokens seen (state.h). */
#ifndef TRAINER_DATA_H
#define TRAINER_DATA_H

#include <stdint.h>

#include "shard.h"
#include "status.h"

typedef struct token_data {
    size_t shard_count;
    cr_shard *shards;
    char **names;         /* file names (no folder) */
    uint64_t *train_len;  /* per shard: tokens [0, train_len) train, the rest validates */
    uint64_t *train_from; /* per shard: where its training tokens start in the whole stream */
    uint64_t total_train;
    uint64_t total_val;
    uint32_t max_token;
} token_data;

/* The order of the training windows (--data-order). */
enum { DATA_ORDER_SHUFFLE, DATA_ORDER_SEQUENTIAL };
int data_order_parse(const char *name); /* -1 for an unknown name */

typedef struct data_cursor {
    size_t shard;
    uint64_t offset;
    uint64_t epoch;
} data_cursor;

/* Opens every *.bin in dir. hold_out: keep the last 5% of each shard for validation (when
 * that is at least min_val_tokens tokens). CR_ENOINPUT when dir has no shard, CR_EDATA for a
 * bad shard (naming it). */
int data_open(token_data *d, const char *dir, int hold_out, uint64_t min_val_tokens, cr_err *err);
void data_close(token_data *d);
/* CR_EDATA naming the first token >= vocab_size. */
int data_check_vocab(const token_data *d, uint32_t vocab_size, cr_err *err);

/* Fills inputs/targets (count tokens each) from the window at *cursor and advances it by
 * count tokens (wrapping, epoch + 1). Needs total_train >= count + 1. */
void data_next_window(const token_data *d, data_cursor *cursor, int *inputs, int *targets,
                      uint64_t count);
/* The shuffled order: fills `sequences` sequences of T tokens (inputs, and targets one token
 * later), numbers first_sequence, first_sequence + 1, ... of the run. Epoch e cuts the
 * training stream into windows of T + 1 tokens stepping T, from a shift in [0, T) drawn for that
 * epoch, and visits them in a permutation drawn for that epoch: every window once an epoch,
 * never the same order twice. Sequence k depends on (seed, k, T, the data) only, so a resume
 * that knows k continues exactly and every rank computes the same global batch. Returns the
 * epoch of the last sequence. Needs total_train >= T + 1. */
uint64_t data_shuffled_window(const token_data *d, uint64_t seed, int T, uint64_t first_sequence,
                              uint64_t sequences, int *inputs, int *targets);
/* The windows of an epoch of the shuffled order. */
uint64_t data_shuffled_count(const token_data *d, int T);
/* Moves the cursor to a saved position: the named shard (or the first one after it by name),
 * at offset; returns 1 if the exact shard was found. */
int data_seek(const token_data *d, data_cursor *cursor, const char *name, uint64_t offset,
              uint64_t epoch);

/* Validation sequences of T+1 tokens, stepping T, in the held-out tails (or, with whole != 0,
 * in whole shards); returns how many exist. data_val_sequence fills one of them. */
uint64_t data_val_count(const token_data *d, int T, int whole);
void data_val_sequence(const token_data *d, int T, int whole, uint64_t index, int *inputs,
                       int *targets);

#endif
