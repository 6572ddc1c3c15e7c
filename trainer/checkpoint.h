/* checkpoint.h — the checkpoints of a training run in its output folder: model_<step>.bin (the
 * llm.c model file, model.h) and model_<step>.state (state.h) side by side. Lists them newest
 * first, loads the newest pair that verifies (falling back to older ones), saves a new pair and
 * keeps only the last K. Used by train.c; generate/eval/info use checkpoint_resolve. */
#ifndef TRAINER_CHECKPOINT_H
#define TRAINER_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "state.h"
#include "status.h"

typedef struct checkpoint_entry {
    int64_t step;
    char model_path[4096];
    char state_path[4096];
} checkpoint_entry;

/* model_*.bin files in dir, newest step first (malloc'd; 0 entries when dir is missing). */
int checkpoint_list(const char *dir, checkpoint_entry **entries, size_t *count, cr_err *err);

/* SHA-256 (hex) of the model file these parameters make, computed in memory. */
void checkpoint_sha256(const gpt2_config *cfg, const float *params, char hex[65]);

/* Writes model then state (state->model_sha256 filled here); a crash between the two leaves a
 * model without a state, which a resume skips. */
int checkpoint_save(const char *dir, const gpt2_config *cfg, const float *params,
                    train_state *state, const float *m, const float *v, char *model_path,
                    size_t model_path_size, cr_err *err);

/* Removes all but the newest keep pairs (keep 0: keep all). */
void checkpoint_prune(const char *dir, int keep);

/* A model path for generate/eval/info: a file as is, or a folder's newest model_*.bin. */
int checkpoint_resolve(const char *path, char *out, size_t out_size, cr_err *err);

#endif
