/* budget.c — the shape and the step count of a wall-clock budget (budget.h). The shape: the
 * ladder below, each rung's speed estimated from the first one's measured speed by FLOPs a token.
 * The count: the mean wall time of the measured iterations after the first (which pays for cold
 * caches), validations at a third of a step per batch (a forward without backward),
 * checkpoints at the bytes they write and hash. Both are estimates: a machine that gets busier
 * after the count is fixed makes the run last longer than the budget, never changes its
 * result. Time itself: lib/progress.h; the probe that measures the first rung: train.c. */
#include "budget.h"

#include <math.h>

/* Measured on curl's examples (104k tokens, vocabulary 2048; docs/trainer.md, "A shape for the
 * budget"): held-out loss against epochs for each rung, wsd runs ending decayed. epochs_max:
 * where the runs measured best (rung 1: 2.327 at 9 epochs, 2.331 at 11, 2.388 at 14; rung 2:
 * 2.261 at 11, 2.332 at 16.3: a run should end, decayed, near where its stable phase stops
 * falling).
 * epochs_min: where rung 2, decayed, beats the best rung 1 reaches at the same CPU (about 9
 * epochs against 2.39-2.42). 6 x 384 (seq 128) was measured and left out: at 10 epochs its
 * held-out loss is 2.248, but its samples are the least often valid C (1 of 40, rung 2's
 * 11-epoch model 18). Batch 12 everywhere (one sequence a sphere), so the batch needs no
 * record: a resumed model's shape and context name its rung. */
const budget_shape budget_ladder[] = {
    /* layers, channels, heads, seq_len, batch, epochs_min, epochs_max */
    {4, 192, 6, 64, 12, 0, 10},
    {6, 256, 8, 128, 12, 9, 11},
};
const int budget_ladder_count = sizeof budget_ladder / sizeof budget_ladder[0];

gpt2_config budget_shape_config(const budget_shape *s, int vocab)
{
    return (gpt2_config){.max_seq_len = s->seq_len,
                         .vocab_size = vocab,
                         .padded_vocab_size = gpt2_padded_vocab(vocab),
                         .num_layers = s->layers,
                         .num_heads = s->heads,
                         .channels = s->channels};
}

static double rung_flops_per_token(const budget_shape *s, int vocab)
{
    gpt2_config cfg = budget_shape_config(s, vocab);
    return gpt2_flops_per_token(&cfg, s->seq_len);
}

long budget_epoch_steps(double epochs, uint64_t train_tokens, int batch, int seq_len)
{
    double steps = ceil(epochs * (double)train_tokens / ((double)batch * (double)seq_len));
    return steps < 1 ? 1 : steps > 1e15 ? (long)1e15 : (long)steps;
}

budget_choice budget_choose(double seconds, double first_tokens_per_s, uint64_t train_tokens,
                            int vocab)
{
    budget_choice c = {0};
    double first_flops = rung_flops_per_token(&budget_ladder[0], vocab);
    for (int i = 0; i < budget_ladder_count; i++) {
        double tokens_per_s =
            first_tokens_per_s * first_flops / rung_flops_per_token(&budget_ladder[i], vocab);
        double epochs =
            train_tokens > 0 && seconds > 0 ? seconds * tokens_per_s / (double)train_tokens : 0;
        const budget_shape *s = &budget_ladder[i];
        if (i > 0 && (epochs < s->epochs_min || !budget_rung_fits(s, train_tokens)))
            break; /* the rungs grow: none above buys more epochs or needs fewer tokens */
        c = (budget_choice){.rung = i, .tokens_per_s = tokens_per_s, .epochs = epochs};
    }
    const budget_shape *s = &budget_ladder[c.rung];
    c.max_steps = budget_epoch_steps(s->epochs_max, train_tokens, s->batch, s->seq_len);
    c.capped = c.epochs > s->epochs_max;
    return c;
}

int budget_rung_fits(const budget_shape *s, uint64_t train_tokens)
{
    return train_tokens >= (uint64_t)s->batch * (uint64_t)s->seq_len + 1;
}

int budget_ladder_find(int layers, int channels, int heads, int seq_len, int batch)
{
    for (int i = 0; i < budget_ladder_count; i++) {
        const budget_shape *s = &budget_ladder[i];
        if (s->layers == layers && s->channels == channels && s->heads == heads &&
            s->seq_len == seq_len && s->batch == batch)
            return i;
    }
    return -1;
}

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
