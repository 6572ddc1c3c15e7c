/* schedule.h — the learning-rate schedules of `trainer train`: cosine (one decay over the
 * whole run) and warmup-stable-decay (each run of the pipeline is a segment that re-warms to
 * the peak, holds it, and decays its own last part). Pure functions of the step: no timing,
 * no I/O. The wall-clock budget that fixes a segment's end is budget.h; the loop is train.c. */
#ifndef TRAINER_SCHEDULE_H
#define TRAINER_SCHEDULE_H

enum { SCHEDULE_COSINE = 0, SCHEDULE_WSD = 1 };

typedef struct lr_schedule {
    int kind;              /* SCHEDULE_COSINE or SCHEDULE_WSD */
    double lr, min_lr;     /* peak and final learning rate */
    long warmup;           /* linear warmup from 0 over the model's first steps; wsd: also the
                            * re-warm from min_lr at the start of a later segment */
    long segment_start;    /* wsd: the step this segment (one run's --steps +N) started at */
    long end;              /* the step where the decay reaches min_lr */
    double decay_fraction; /* wsd: the share of the segment spent decaying (default 0.2) */
} lr_schedule;

/* The learning rate of step `step` (0-based: the update that makes it step + 1). */
double schedule_lr(const lr_schedule *s, long step);

/* The first step whose learning rate may depend on s->end, so that a --time run can measure
 * its speed on real steps before it and still equal a --steps replay bit for bit. Cosine: the
 * warmup (at least step 0, the peak whatever the end). Wsd: none (LONG_MAX), as long as the
 * end is then chosen with schedule_end_for_decay_after, which puts the decay after them. */
long schedule_end_free_until(const lr_schedule *s);
/* The smallest end >= `end` whose decay starts at or after step steps_done (wsd; cosine: end). */
long schedule_end_for_decay_after(const lr_schedule *s, long steps_done, long end);

/* "cosine" / "wsd" -> kind; -1 when unknown. */
int schedule_kind_parse(const char *name);
const char *schedule_kind_name(int kind);

#endif
