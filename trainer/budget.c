/* budget.c — the step count of a wall-clock budget (budget.h). The estimate is the mean wall
 * time of the measured iterations after the first (which pays for cold caches), validations at a
 * third of a step per batch (a forward without backward), checkpoints at the bytes they write
 * and hash. It is an estimate: a machine that gets busier after the count is fixed makes the
 * run last longer than the budget, never changes its result. Time itself: lib/progress.h. */
#include "budget.h"

#include <math.h>

/* A checkpoint writes the model and the state (3 x 4 bytes a parameter) and hashes each
 * twice; 400 MB/s for all of it is what a loaded 2-core machine with a page cache does. */
#define SAVE_BYTES_PER_S 400e6
/* and two fsyncs of files and folder, whatever the size */
#define SAVE_SYNC_S 0.02

void budget_begin(budget *b, double seconds, double started_s, long measure_until)
{
    *b = (budget){.seconds = seconds, .started_s = started_s, .measure_until = measure_until};
    b->max_measure_s = 0.03 * seconds;
}

void budget_record(budget *b, double now_s)
{
    if (b->measured++ == 0)
        b->first_end_s = now_s;
    b->last_end_s = now_s;
}

int budget_ready(const budget *b, long next_step, double now_s)
{
    if (b->measured == 0)
        return 0;
    if (next_step >= b->measure_until)
        return 1;
    if (now_s - b->started_s >= b->seconds)
        return 1;
    return b->measured >= 3 && now_s - b->first_end_s >= b->max_measure_s;
}

long budget_fix(budget *b, long steps_done, double now_s, const budget_costs *c)
{
    b->step_s = b->measured > 1 ? (b->last_end_s - b->first_end_s) / (b->measured - 1)
                                : b->last_end_s - b->started_s;
    b->val_s = c->val_every > 0 ? (double)c->val_batches * b->step_s / 3.0 : 0;
    b->save_s = SAVE_SYNC_S + (double)c->param_count * 12.0 * 2.0 / SAVE_BYTES_PER_S;
    double left = b->seconds - (now_s - b->started_s) - b->val_s - b->save_s;
    double per_step = b->step_s;
    if (c->val_every > 0)
        per_step += b->val_s / (double)c->val_every;
    if (c->checkpoint_every > 0)
        per_step += b->save_s / (double)c->checkpoint_every;
    long more = left > 0 && per_step > 0 ? (long)floor(left / per_step) : 0;
    return steps_done + more;
}
