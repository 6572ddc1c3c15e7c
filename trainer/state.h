/* state.h — the training state beside a checkpoint, for an exact resume: step, AdamW moments,
 * RNG, data position, the schedule, and the SHA-256 of the model file it belongs to. The file
 * ends with the SHA-256 of everything before it, so a truncated or altered state is refused,
 * and a state whose model checksum differs from the model file beside it is refused too.
 * Format (little-endian): see docs/trainer.md. The model file itself: model.h. */
#ifndef TRAINER_STATE_H
#define TRAINER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define STATE_MAGIC "CRSTATE1"

/* Also the state file's header, after its magic, version and size (state.c): every field at
 * a fixed offset, explicit padding, little-endian. A field added here changes the format:
 * bump STATE_VERSION in state.c and say so in docs/trainer.md. */
typedef struct train_state {
    int64_t step; /* optimizer steps taken */
    uint64_t rng[4];
    char shard_name[256]; /* data position */
    uint64_t shard_offset;
    uint64_t epoch;
    uint64_t tokens_seen;
    double lr, min_lr, weight_decay, grad_clip, beta1, beta2, eps;
    int64_t warmup, decay_steps;
    uint64_t seed;
    char model_sha256[72]; /* hex of the model file: 64 digits, NUL, zero padding */
    uint64_t param_count;
    /* version 2 (a version 1 file reads as zeros: a cosine run, no budget, no segment) */
    int64_t target_steps;  /* the step the run that wrote this was training to */
    int64_t segment_start; /* the step its schedule segment began (schedule.h) */
    int64_t budget_ms;     /* its --time budget, 0 for none: target_steps was fixed by it */
    int32_t schedule_kind; /* SCHEDULE_COSINE or SCHEDULE_WSD */
    int32_t optimizer;     /* 0 AdamW, 1 Muon for the hidden matrices (was reserved, 0) */
    double decay_fraction; /* wsd */
} train_state;

/* Writes header, m and v (param_count floats each) atomically. */
int state_write(const char *path, const train_state *s, const float *m, const float *v,
                cr_err *err);
/* Reads and verifies (magic, size, trailing checksum). m and v must hold param_count floats;
 * CR_EDATA when param_count differs from expected_params. */
int state_read(const char *path, train_state *s, size_t expected_params, float *m, float *v,
               cr_err *err);

#endif
