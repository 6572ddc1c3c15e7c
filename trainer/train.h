/* train.h — `trainer train`: Node Zero's loop. Opens the shards (data.h), creates or resumes
 * the model (checkpoint.h), runs the steps on the sphere engine (spheres.h) with the learning
 * rate schedule, validates, logs metrics.jsonl, checkpoints, and stops cleanly on SIGINT or
 * SIGTERM after the current step. Argument parsing is main.c's. */
#ifndef TRAINER_TRAIN_H
#define TRAINER_TRAIN_H

#include <stdint.h>

#include "status.h"

typedef struct train_options {
    const char *data_dir, *out_dir, *init, *val_data, *tokenizer;
    int layers, channels, heads, seq_len, vocab, batch;
    long steps;         /* total target; -1: unset */
    int steps_relative; /* "--steps +N" */
    double epochs;      /* 0: unset */
    double lr, min_lr, weight_decay, grad_clip, beta1, beta2, eps;
    long warmup, decay_steps; /* decay_steps 0: the run's target */
    long time_ms;             /* --time: a wall-clock budget (budget.h); 0: none */
    int schedule_kind;        /* schedule.h */
    double decay_fraction;    /* wsd: share of each segment spent decaying */
    int data_order;           /* DATA_ORDER_SHUFFLE or DATA_ORDER_SEQUENTIAL (data.h) */
    int muon;                 /* --optimizer muon: Muon for the hidden matrices (muon.h) */
    int threads;
    uint64_t seed;
    long val_every, val_tokens;
    long checkpoint_every;
    int keep, resume, json, progress_mode, log_every;
    int kernel_max; /* highest SIMD level allowed */
} train_options;

void train_options_default(train_options *o);
int train_run(const train_options *o, cr_err *err);

#endif
