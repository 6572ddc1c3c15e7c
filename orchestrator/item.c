/* item.c — see item.h. Every rule of an item's life is here, in the order item.h draws it. */
#include "item.h"

#include <math.h>
#include <string.h>

#include "status.h"

const char *run_outcome(const run_end *end)
{
    if (end->interrupted)
        return "interrupted";
    if (end->exit_code == 0)
        return "ok";
    if (end->timed_out)
        return "timeout";
    return end->exit_code == CR_EDATA ? "bad-data" : "failed";
}

item_next item_after_run(const run_end *end, const retry_policy *policy, int attempts, int solo,
                         int64_t now_ms, double unit)
{
    item_next next = {.attempts = attempts, .solo = solo, .exit_code = end->exit_code};
    if (end->interrupted) {
        next.state = ITEM_QUEUED; /* not the program's verdict: not an attempt */
        next.exit_code = -1;
        next.note = "interrupted: the orchestrator stopped during the run";
        return next;
    }
    if (end->exit_code == CR_EDATA && end->batch_size > 1) {
        /* One bad file must not fail a whole batch: each is tried alone, uncounted. */
        next.state = ITEM_QUEUED;
        next.solo = 1;
        next.note = "bad data in a batch: each of its files now runs alone";
        return next;
    }
    next.attempts = attempts + 1;
    if (end->exit_code == 0) {
        next.state = ITEM_DONE;
    } else if (end->exit_code == CR_EDATA || next.attempts >= policy->max_attempts) {
        next.state = ITEM_FAILED;
        next.quarantine = 1;
    } else {
        next.state = ITEM_RETRYING;
        next.next_attempt_ms = now_ms + retry_delay_ms(policy, next.attempts, unit);
    }
    return next;
}

int64_t retry_delay_ms(const retry_policy *p, int attempts_done, double unit)
{
    double delay = (double)p->delay_ms;
    for (int i = 1; i < attempts_done && delay < (double)p->max_delay_ms; i++)
        delay *= p->backoff;
    if (delay > (double)p->max_delay_ms)
        delay = (double)p->max_delay_ms;
    delay *= 1.0 + p->jitter * unit;
    return (int64_t)ceil(delay - 1e-6); /* 100 * 1.1 is 110.00000000000001 */
}

int item_waiting(const char *state)
{
    return !strcmp(state, ITEM_QUEUED) || !strcmp(state, ITEM_RETRYING);
}
