/* orphans.c — see orphans.h. A suspect must be seen dead twice, one sweep apart, before its run
 * is ended, so a live hand run that is just committing its end is never raced. The record's
 * calls (record.h) do the reading and the ending. */
#include "orphans.h"

#include <string.h>

#include "log.h"
#include "runner.h"

#define SUSPECTS_MAX 256

static int64_t suspects[SUSPECTS_MAX]; /* dead at the last sweep */
static int suspect_count;

static int listed(const int64_t *ids, int count, int64_t id)
{
    for (int k = 0; k < count; k++)
        if (ids[k] == id)
            return 1;
    return 0;
}

typedef struct sweep {
    const int64_t *own_ids;
    int own_count;
    int64_t dead[SUSPECTS_MAX];
    int dead_count;
} sweep;

static void look_at(const record_run_row *run, void *arg)
{
    sweep *s = arg;
    if (s->dead_count == SUSPECTS_MAX || listed(s->own_ids, s->own_count, run->id) || run->pid <= 1)
        return; /* ours, or still being started (the pid comes in the same commit) */
    if (run->pid_start && runner_pid_start(run->pid) == run->pid_start)
        return; /* alive */
    s->dead[s->dead_count++] = run->id;
}

int orphans_sweep(record *rec, const int64_t *own_ids, int own_count, int64_t now_ms)
{
    sweep s = {.own_ids = own_ids, .own_count = own_count};
    record_run_filter open_runs = {.in_flight = 1, .limit = -1};
    cr_err err;
    if (record_list_runs(rec, &open_runs, look_at, &s, &err)) {
        cr_warn("looking for orphaned runs: %s", err.msg); /* the next sweep looks again */
        return 0;
    }
    int ended = 0;
    for (int k = 0; k < s.dead_count; k++) {
        if (!listed(suspects, suspect_count, s.dead[k]))
            continue;
        if (record_interrupt_run(rec, s.dead[k], now_ms, &err)) {
            cr_warn("%s (the next sweep tries again)", err.msg);
            continue;
        }
        cr_warn("run %lld lost its process (a run by hand that was killed): interrupted, its "
                "items queued again",
                (long long)s.dead[k]);
        ended++;
    }
    memcpy(suspects, s.dead, (size_t)s.dead_count * sizeof s.dead[0]);
    suspect_count = s.dead_count;
    return ended;
}
