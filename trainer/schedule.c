/* schedule.c — learning-rate schedules (schedule.h). Cosine is llm.c's: warmup, then half a
 * cosine to min_lr at `end`. Warmup-stable-decay (Hägele et al. 2024, "Scaling Laws and
 * Compute-Optimal Training Beyond Fixed Training Durations") holds the peak and decays only the
 * last part of each segment, with their "1 - sqrt" cool-down shape; a later segment re-warms
 * linearly from min_lr (where the previous one ended) to the peak over `warmup` steps, never
 * from zero. Which segment a run is in is train.c's business (kept in the state file). */
#include "schedule.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static double cosine_lr(const lr_schedule *s, long step)
{
    if (step < s->warmup)
        return s->lr * (double)(step + 1) / (double)s->warmup;
    if (s->end <= s->warmup)
        return s->lr;
    double ratio = (double)(step - s->warmup) / (double)(s->end - s->warmup);
    if (ratio > 1)
        ratio = 1;
    return s->min_lr + 0.5 * (1.0 + cos(M_PI * ratio)) * (s->lr - s->min_lr);
}

/* The first step of the decay: the last decay_fraction of the segment, never before the
 * (re-)warmup is over, at least one step when the segment has any. */
static long wsd_decay_start(const lr_schedule *s)
{
    long length = s->end - s->segment_start;
    long decay = (long)ceil(s->decay_fraction * (double)length);
    if (decay < 1)
        decay = 1;
    long start = s->end - decay;
    long warm_end = s->segment_start > 0 ? s->segment_start + s->warmup : s->warmup;
    return start < warm_end ? (warm_end < s->end ? warm_end : s->end - 1) : start;
}

static double wsd_lr(const lr_schedule *s, long step)
{
    long decay_start = wsd_decay_start(s);
    if (step >= decay_start && s->end > decay_start) {
        double done = (double)(step + 1 - decay_start) / (double)(s->end - decay_start);
        if (done > 1)
            done = 1;
        return s->min_lr + (1.0 - sqrt(done)) * (s->lr - s->min_lr);
    }
    if (step < s->warmup) /* the model's first steps: from zero */
        return s->lr * (double)(step + 1) / (double)s->warmup;
    if (s->segment_start > 0 && step < s->segment_start + s->warmup) /* a later segment */
        return s->min_lr +
               (s->lr - s->min_lr) * (double)(step + 1 - s->segment_start) / (double)s->warmup;
    return s->lr;
}

double schedule_lr(const lr_schedule *s, long step)
{
    return s->kind == SCHEDULE_WSD ? wsd_lr(s, step) : cosine_lr(s, step);
}

long schedule_end_free_until(const lr_schedule *s)
{
    if (s->kind == SCHEDULE_WSD) /* warmup and stable phase: the decay start is placed later */
        return LONG_MAX;
    return s->warmup > 1 ? s->warmup : 1; /* step 0 of a cosine is the peak whatever the end */
}

long schedule_end_for_decay_after(const lr_schedule *s, long steps_done, long end)
{
    if (s->kind != SCHEDULE_WSD)
        return end;
    lr_schedule probe = *s;
    probe.end = end;
    while (wsd_decay_start(&probe) < steps_done)
        probe.end++;
    return probe.end;
}

int schedule_kind_parse(const char *name)
{
    if (strcmp(name, "cosine") == 0)
        return SCHEDULE_COSINE;
    if (strcmp(name, "wsd") == 0)
        return SCHEDULE_WSD;
    return -1;
}

const char *schedule_kind_name(int kind)
{
    return kind == SCHEDULE_WSD ? "wsd" : "cosine";
}
