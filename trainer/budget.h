/* budget.h — `trainer train --time DURATION`: how many steps fit in a wall-clock budget. The
 * run measures its own speed on its first steps (real steps, part of the run and counted),
 * then fixes the total step count once; nothing timed after that changes it, so the run is
 * the same bits as a `--steps N` run with that N. The schedule is schedule.h; the state file
 * that keeps N across --resume is state.h; the loop that calls this is train.c. */
#ifndef TRAINER_BUDGET_H
#define TRAINER_BUDGET_H

#include <stddef.h>

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
