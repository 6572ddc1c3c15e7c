/* budget.h — `trainer train --time DURATION`: which shape and how many steps a wall-clock
 * budget buys. The shape (when no shape option is given) comes from a ladder of measured
 * shapes, by the budget, an estimated speed and the amount of data; the run then measures its
 * own speed on its first steps (real steps, part of the run and counted) and fixes the total
 * step count once, capped at the shape's epoch ceiling; nothing timed after that changes it,
 * so the run is the same bits as a `--steps N` run with that N. The schedule is schedule.h;
 * the state file that keeps N across --resume is state.h; the loop that calls this is train.c.
 * The measurements behind the ladder: docs/trainer.md, "A shape for the budget". */
#ifndef TRAINER_BUDGET_H
#define TRAINER_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* One rung of the ladder: a shape, and the epochs of the data it is worth training for. */
typedef struct budget_shape {
    int layers, channels, heads, seq_len, batch;
    double epochs_min; /* chosen only when the budget buys at least this many epochs of it */
    double epochs_max; /* and never trained longer than this: past it the model memorises */
} budget_shape;

extern const budget_shape budget_ladder[];
extern const int budget_ladder_count;

/* The ladder's choice for a budget. */
typedef struct budget_choice {
    int rung;            /* index into budget_ladder */
    double tokens_per_s; /* its estimated speed */
    double epochs;       /* the epochs the budget buys at that speed */
    long max_steps;      /* its epoch ceiling in steps (budget_epoch_steps) */
    int capped;          /* 1 when the budget buys more than the ceiling: the run ends early */
} budget_choice;

/* The largest rung whose estimated epochs reach its epochs_min (the smallest rung when none
 * does), given the seconds left, the measured speed of the first rung in tokens/s (the other rungs'
 * estimated by their FLOPs a token, model.h), the training tokens and the vocabulary. Pure. */
budget_choice budget_choose(double seconds, double first_tokens_per_s, uint64_t train_tokens,
                            int vocab);
/* A new model of that shape and vocabulary (its context: the rung's seq_len). */
gpt2_config budget_shape_config(const budget_shape *s, int vocab);
/* Whether train_tokens fill one batch of the rung (batch x seq_len windows of seq_len + 1). */
int budget_rung_fits(const budget_shape *s, uint64_t train_tokens);
/* The rung with exactly this shape, or -1. */
int budget_ladder_find(int layers, int channels, int heads, int seq_len, int batch);
/* Steps of batch x seq_len tokens that make `epochs` passes over train_tokens (at least 1). */
long budget_epoch_steps(double epochs, uint64_t train_tokens, int batch, int seq_len);

typedef struct budget_costs {
    long val_every;        /* validations: every K steps and at the end (0: never) */
    long val_batches;      /* forward-only batches per validation */
    long checkpoint_every; /* checkpoints: every K steps and at the end (0: only at the end) */
    size_t param_count;    /* a checkpoint writes and hashes 3 x param_count floats */
} budget_costs;

typedef struct budget {
    double seconds;     /* the budget */
    double started_s;   /* cr_now_s() when the run started (data opening and set-up count) */
    long measure_until; /* steps before this one may be measured (schedule_end_free_until) */
    double max_measure_s;
    int measured;         /* timed steps so far */
    double first_end_s;   /* when the first ended: it pays for cold caches, so it is left out */
    double last_end_s;    /* when the latest ended */
    double step_s;        /* the estimate the count was fixed with */
    double val_s, save_s; /* estimated cost of one validation and one checkpoint */
} budget;

void budget_begin(budget *b, double seconds, double started_s, long measure_until);
/* Records that one more step (with its metrics, log and checkpoint; or a speed probe) ended
 * at now_s. */
void budget_record(budget *b, double now_s);
/* 1 when the step count should be fixed before step next_step: enough measured (3% of the
 * budget, at least 3 steps when the schedule allows), or the next step's learning rate would
 * depend on the count. */
int budget_ready(const budget *b, long next_step, double now_s);
/* The total step count (>= steps_done) that fits in what is left of the budget, with the
 * validations and checkpoints it implies. */
long budget_fix(budget *b, long steps_done, double now_s, const budget_costs *c);

#endif
