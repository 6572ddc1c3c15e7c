/* item.h — what happens to an item: its states and every transition between them, as pure
 * functions of the facts (how its run ended, its attempts so far, the stage's retry policy).
 * engine.c consults them and record.c stores the answer; nothing here reads a clock, a file
 * or the record, so tests/orchestrator/test_item.c checks each rule on its own.
 *
 *   queued ──start──► running ──exit 0──► done
 *     ▲                  │ ├─ interrupted (the orchestrator ended it) ─► queued, not counted
 *     │                  │ ├─ exit 65 in a batch ─► queued alone ("solo"), not counted
 *     │                  │ ├─ exit 65, or the last attempt failed ─► failed (quarantined)
 *     └── due ◄── retrying ◄─ any other failure, attempts left (after the policy's delay)
 *   queued/retrying ── the input vanished before its run ──► gone
 */
#ifndef ORCH_ITEM_H
#define ORCH_ITEM_H

#include <stdint.h>

#include "config.h"

/* Item states, as stored in the record. */
#define ITEM_QUEUED "queued"
#define ITEM_RUNNING "running"
#define ITEM_RETRYING "retrying"
#define ITEM_DONE "done"
#define ITEM_FAILED "failed"
#define ITEM_GONE "gone" /* the input vanished before its run; nothing to move */

/* How a run ended, as the engine saw it. */
typedef struct run_end {
    int exit_code;   /* the program's exit status, 128 + N for signal N */
    int interrupted; /* the orchestrator ended it (a stop, a crash): not the program's verdict */
    int timed_out;
    int batch_size; /* items the run took */
} run_end;

/* An item's next state after its run. */
typedef struct item_next {
    const char *state; /* ITEM_DONE, ITEM_QUEUED, ITEM_RETRYING or ITEM_FAILED */
    int attempts;      /* attempts counted so far, this run included when it counts */
    int64_t next_attempt_ms;
    int solo;         /* run alone from now on */
    int exit_code;    /* appended to the item's exit codes; -1: none (an interruption) */
    const char *note; /* its last error when the rule gives one; NULL: the run's error */
    int quarantine;   /* failed: move the input to failed/ */
} item_next;

/* The run's one-word outcome as the record keeps it: ok, failed, bad-data, timeout,
 * interrupted. */
const char *run_outcome(const run_end *end);

/* The item's next state. attempts and solo are the item's before the run; now_ms and unit (in
 * [0, 1), the jitter's draw) only matter for a retry. */
item_next item_after_run(const run_end *end, const retry_policy *policy, int attempts, int solo,
                         int64_t now_ms, double unit);

/* The delay before attempt number attempts_done + 1 (attempts_done >= 1), with jitter drawn
 * from unit in [0, 1): min(delay * backoff^(attempts_done-1), max_delay) * (1 + jitter*unit).
 * Jitter only lengthens a delay, so no retry comes before the policy's delay. */
int64_t retry_delay_ms(const retry_policy *policy, int attempts_done, double unit);

/* 1 when an item in this state still waits for a run (queued or retrying). */
int item_waiting(const char *state);

#endif
