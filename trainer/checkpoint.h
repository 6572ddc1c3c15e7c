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
    int irregular; /* the model or its state is not a regular file (a FIFO...): never read */
} checkpoint_entry;

/* model_*.bin files in dir, newest step first (malloc'd; 0 entries when dir is missing). */
int checkpoint_list(const char *dir, checkpoint_entry **entries, size_t *count, cr_err *err);

/* SHA-256 (hex) of the model file these parameters make, computed in memory. */
void checkpoint_sha256(const gpt2_config *cfg, const float *params, char hex[65]);

/* Writes the model under its temporary name, then the state, then renames the model into
 * place (state->model_sha256 filled here, from the parameters in memory): a crash leaves at
 * most a state without its model, which no listing sees and the next save of that step
 * replaces. So a model file without its state was never written by a run. */
int checkpoint_save(const char *dir, const gpt2_config *cfg, const float *params,
                    train_state *state, const float *m, const float *v, char *model_path,
                    size_t model_path_size, cr_err *err);

/* The checkpoints a run found in its --out and does not own: every model_*.bin newer than the
 * one it resumed from (those it refused), or all of them when it starts a new model. A run
 * never writes over them nor prunes them (docs/trainer.md, "Checkpoints a run does not own"). */
typedef struct checkpoint_guard {
    int64_t *foreign_steps;
    size_t foreign_count;
} checkpoint_guard;

/* Lists dir's checkpoints; resumed_step is the step resumed from, or -1 for a new model
 * (resume_asked: --resume found none it could use). Fails (CR_EDATA when --resume refused it,
 * CR_EUSAGE otherwise) when a foreign checkpoint has a step in
 * first_step..last_step, the steps this run may write, naming it and what to do. */
int checkpoint_guard_open(checkpoint_guard *guard, const char *dir, int resume_asked,
                          int64_t resumed_step, int64_t first_step, int64_t last_step,
                          cr_err *err);
void checkpoint_guard_close(checkpoint_guard *guard);

/* Removes all but the newest keep pairs of those the guard does not protect (keep 0: keep
 * all; guard NULL: protect none). */
void checkpoint_prune(const char *dir, int keep, const checkpoint_guard *guard);

/* A model path for generate/eval/info: a file as is, or a folder's newest model_*.bin. */
int checkpoint_resolve(const char *path, char *out, size_t out_size, cr_err *err);

#endif
