/* record.h — the orchestrator's persistent record: every item and every run, in SQLite (WAL).
 * An item is one input for one stage, keyed by (stage, path, content hash): the same content
 * is never processed twice and changed content is processed again. record.c is the only file
 * of the orchestrator that speaks SQL; every call says what it does and returns an error. It
 * holds no policy: an item's next state is item.c's, when to run it engine.c's. */
#ifndef ORCH_RECORD_H
#define ORCH_RECORD_H

#include <stdint.h>
#include <sys/types.h>

#include "item.h"
#include "status.h"

typedef struct record record;

typedef struct record_item {
    int64_t id;
    char *path;
    char *hash;
    int attempts;
    int solo; /* run alone (a batch it was in failed with bad data) */
    char *exit_codes;
    int64_t next_attempt_ms;
} record_item;

void record_item_free(record_item *item);

int record_open(record **rec, const char *path, cr_err *err);
void record_close(record *rec);
int record_begin(record *rec, cr_err *err);
int record_commit(record *rec, cr_err *err);

/* After a crash: runs without an end become "interrupted" and their items are queued again
 * (the attempt is not counted). The pids of those runs are returned (malloc'd, with the
 * process start times recorded) so the caller can end any orphan still running. */
int record_recover(record *rec, int64_t now_ms, pid_t **pids, long long **pid_starts, int *count,
                   cr_err *err);

/* The small reads of the scheduler below answer "no" when the record cannot be read (busy
 * past the timeout): the file is then hashed, the item looked at again at the next turn of
 * the loop, and nothing is lost. */

/* 1 when the newest item of (stage, path) has this size and mtime and is not failed: the file
 * is known and need not be hashed again. */
int record_seen(record *rec, const char *stage, const char *path, int64_t size, int64_t mtime_ns);
/* The id of the newest item of stage for path, 0 when there is none. */
int64_t record_newest(record *rec, const char *stage, const char *path);

enum record_add_result {
    RECORD_ADDED = 0, /* new item, queued */
    RECORD_KNOWN,     /* already queued, running, retrying or done */
    RECORD_REQUEUED,  /* was failed (or gone) and is back: queued again from attempt 0 */
};
/* force queues again even a done item (a run asked for by hand). */
int record_add(record *rec, const char *stage, const char *path, const char *hash, int64_t size,
               int64_t mtime_ns, int64_t now_ms, int force, int64_t *item_id, int *result,
               cr_err *err);

/* Up to limit items of stage that are due at now_ms: retries whose time has come, then
 * queued items, oldest first.
 * Returns the count; items are filled (free each with record_item_free). -1 with err when the
 * queue cannot be read. */
int record_due(record *rec, const char *stage, int64_t now_ms, int limit, record_item *items,
               cr_err *err);
/* The earliest next attempt among waiting items of stage (0 when one is queued; any stage
 * when NULL); -1 if none. */
int64_t record_next_due(record *rec, const char *stage);
/* 1 and the item with its state when found. */
int record_item_get(record *rec, int64_t id, record_item *item, char *state, size_t state_size);

/* Opens a transaction with the run (pid 0) and its items marked running; record_run_pid
 * then record_commit close it, so one run start is one commit. Only items still queued or
 * retrying are claimed: the others (another process took them) are freed and dropped from
 * items, and *item_count says how many are left. When none is, the transaction is closed and
 * *run_id is 0: there is no run. */
int record_run_begin(record *rec, const char *stage, pid_t pid, long long pid_start,
                     int64_t start_ms, const char *log_path, record_item *items, int *item_count,
                     int64_t *run_id, cr_err *err);
/* The pid is known only after fork; the run row is written before it (see engine.c). */
int record_run_pid(record *rec, int64_t run_id, pid_t pid, long long pid_start,
                   const char *log_path, cr_err *err);
int record_run_end(record *rec, int64_t run_id, int exit_code, int64_t end_ms, const char *outcome,
                   cr_err *err);
/* One item's new state after its run (item_after_run), with its error and, when quarantined,
 * where the input went. */
typedef struct record_item_end {
    int64_t id;
    item_next next;
    const char *last_error; /* NULL: keep the item's last error */
    const char *failed_path;
} record_item_end;
/* The end of a run, one transaction: the run's exit and outcome, each item's new state. On an
 * error nothing is written (the run is then run again after a restart). */
int record_finish_run(record *rec, int64_t run_id, int exit_code, const char *outcome,
                      int64_t now_ms, const record_item_end *items, int item_count, cr_err *err);
/* Sets an item's state; exit_code >= 0 is appended to its exit codes. */
int record_item_update(record *rec, int64_t id, const char *state, int attempts,
                       int64_t next_attempt_ms, int exit_code, const char *last_error,
                       const char *failed_path, int solo, int64_t now_ms, cr_err *err);

/* ---- reading: status, logs, retry, the dashboard ---- */

/* Changes whenever another connection commits (SQLite's PRAGMA data_version): a cheap poll. */
int64_t record_data_version(record *rec);
/* A read snapshot over several queries (a deferred transaction: never the write lock). */
int record_read_begin(record *rec, cr_err *err);
void record_read_end(record *rec);

enum {
    RECORD_QUEUED,
    RECORD_RUNNING,
    RECORD_RETRYING,
    RECORD_DONE,
    RECORD_FAILED,
    RECORD_STATE_COUNT
};
extern const char *const record_state_names[RECORD_STATE_COUNT];
/* Items of stage per state, in the order of the enum above. */
int record_count_states(record *rec, const char *stage, int64_t counts[RECORD_STATE_COUNT],
                        cr_err *err);

/* One row as read; the strings live until the callback returns (NULL when not set). */
typedef struct record_item_row {
    int64_t id;
    const char *stage, *path, *hash, *state, *last_error, *failed_path, *exit_codes;
    int attempts;
    int64_t next_attempt_ms, created_ms, updated_ms;
    int64_t last_run; /* the newest run that took it, 0 when none */
} record_item_row;
typedef void (*record_item_fn)(const record_item_row *row, void *ctx);
typedef struct record_item_filter {
    const char *stage; /* NULL: every stage */
    const char *state;
    const char *named; /* NULL, or an item number, its path or its failed/ path */
    int limit;         /* -1: all */
    int by_id;         /* oldest first, whatever the state */
} record_item_filter;
/* Items in the filter's state: queued oldest first, retrying soonest first, others latest
 * change first (index range scans: the cost does not grow with the done items). */
int record_list_items(record *rec, const record_item_filter *filter, record_item_fn fn, void *ctx,
                      cr_err *err);

typedef struct record_run_row {
    int64_t id;
    const char *stage, *first_input, *log, *outcome;
    pid_t pid;
    long long pid_start;
    int64_t start_ms, end_ms, duration_ms; /* end_ms 0: in flight; duration_ms -1: unknown */
    int exit_code, item_count;
    int has_exit; /* 0: no exit status (a run the orchestrator ended) */
} record_run_row;
typedef void (*record_run_fn)(const record_run_row *row, void *ctx);
typedef struct record_run_filter {
    int64_t id;             /* > 0: that run alone (none when there is no such run) */
    int in_flight;          /* 1: the runs without an end, oldest first; 0: the ended ones */
    const char *stage;      /* NULL: every stage */
    int64_t ended_since_ms; /* ended runs: > 0, those that ended at or after it, by end time */
    int limit;              /* at most this many (ended runs: the newest); -1: all */
    int oldest_first;       /* ended runs: the newest `limit`, in the order they ran */
} record_run_filter;
int record_list_runs(record *rec, const record_run_filter *filter, record_run_fn fn, void *ctx,
                     cr_err *err);

/* A run without an end whose process is gone (engine.c's sweep): ended as interrupted, its running
 * items queued again, in one transaction. */
int record_interrupt_run(record *rec, int64_t run_id, int64_t now_ms, cr_err *err);

/* The one read of another program's database: the crawler's state (crawler/state.h), pages
 * per state in its newest generation, read-only and never waiting (a running crawler holds it
 * exclusively: CR_ETEMP then). */
#define CRAWL_STATE_COUNT 8
int record_crawl_counts(const char *state_db, int64_t counts[CRAWL_STATE_COUNT], cr_err *err);

#endif
