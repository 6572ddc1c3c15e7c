/* orphans.c — see orphans.h. Plain SQL on the record; a suspect must be seen dead twice, one
 * sweep apart, before its run is ended, so a live hand run that is just committing its end is
 * never raced. */
#include "orphans.h"

#include <sqlite3.h>
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

static int end_run(sqlite3 *db, int64_t run_id, int64_t now_ms)
{
    static const char *const steps[] = {
        "UPDATE runs SET end_ms=?2, outcome='interrupted' WHERE id=?1 AND end_ms IS NULL",
        "UPDATE items SET state='queued', next_attempt_ms=0 WHERE state='running' AND id IN"
        " (SELECT item_id FROM run_items WHERE run_id=?1)",
    };
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *s;
        int ok = sqlite3_prepare_v2(db, steps[i], -1, &s, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_int64(s, 1, run_id);
            if (i == 0)
                sqlite3_bind_int64(s, 2, now_ms);
            ok = sqlite3_step(s) == SQLITE_DONE;
            sqlite3_finalize(s);
        }
        if (!ok) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int orphans_sweep(record *rec, const int64_t *own_ids, int own_count, int64_t now_ms)
{
    sqlite3 *db = record_db(rec);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT id, pid, pid_start FROM runs WHERE end_ms IS NULL", -1, &s,
                           NULL) != SQLITE_OK)
        return 0;
    int64_t dead[SUSPECTS_MAX];
    int dead_count = 0;
    while (sqlite3_step(s) == SQLITE_ROW && dead_count < SUSPECTS_MAX) {
        int64_t id = sqlite3_column_int64(s, 0);
        pid_t pid = (pid_t)sqlite3_column_int64(s, 1);
        long long start = sqlite3_column_int64(s, 2);
        if (listed(own_ids, own_count, id) || pid <= 1)
            continue; /* ours, or still being started (the pid comes in the same commit) */
        if (start && runner_pid_start(pid) == start)
            continue; /* alive */
        dead[dead_count++] = id;
    }
    sqlite3_finalize(s);
    int ended = 0;
    for (int k = 0; k < dead_count; k++) {
        if (!listed(suspects, suspect_count, dead[k]))
            continue;
        if (end_run(db, dead[k], now_ms) == 0) {
            cr_warn("run %lld lost its process (a run by hand that was killed): interrupted, its "
                    "items queued again",
                    (long long)dead[k]);
            ended++;
        }
    }
    memcpy(suspects, dead, (size_t)dead_count * sizeof dead[0]);
    suspect_count = dead_count;
    return ended;
}
