/* record.c — the SQLite record (WAL mode, synchronous=NORMAL: a SIGKILL of the daemon loses
 * nothing that was committed; a power cut may lose the last transactions, which are then run
 * again). One connection per process; the scheduler's statements are prepared once, the
 * readers' (status, logs, the dashboard) at each call. Every SQL statement of the
 * orchestrator is in this file; errors follow lib/db.h (busy or locked: 75). */
#include "record.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"

/* The scheduler's statements, prepared once at open. */
enum {
    SEEN,
    FIND,
    INSERT,
    SUPERSEDE,
    REQUEUE,
    DUE_RETRY,
    DUE_QUEUED,
    ANY_QUEUED,
    NEXT_DUE,
    NEXT_DUE_ALL,
    GET,
    RUN_INSERT,
    RUN_ITEM,
    ITEM_RUNNING_,
    RUN_END,
    ITEM_UPDATE,
    RUN_PID,
    STATEMENT_COUNT
};

static const char *const statement_sql[STATEMENT_COUNT] = {
    [SEEN] = "SELECT size, mtime_ns, state, id FROM items WHERE stage=? AND path=?"
             " ORDER BY id DESC LIMIT 1",
    [FIND] = "SELECT id, state FROM items WHERE stage=? AND path=? AND hash=?",
    [INSERT] = "INSERT INTO items(stage, path, hash, size, mtime_ns, state, created_ms,"
               " updated_ms) VALUES(?, ?, ?, ?, ?, 'queued', ?, ?)",
    /* Older content of the same path still waiting would run on the new content: close it. */
    [SUPERSEDE] = "UPDATE items SET state='gone', last_error='superseded by newer content',"
                  " updated_ms=?4 WHERE stage=?1 AND path=?2 AND id<>?3 AND state IN"
                  " ('queued','retrying')",
    [REQUEUE] = "UPDATE items SET state='queued', attempts=0, next_attempt_ms=0,"
                " exit_codes='', last_error=NULL, failed_path=NULL, solo=0, size=?,"
                " mtime_ns=?, updated_ms=? WHERE id=?",
    /* The queue is read without sorting (index range scans), so a burst of 10,000 files
     * costs the same per file as one: retries that are due first, then queued items in
     * order. Queued items are always due (their next_attempt_ms is 0). */
    [DUE_RETRY] = "SELECT id, path, hash, attempts, solo, exit_codes FROM items"
                  " WHERE stage=?1 AND state='retrying' AND next_attempt_ms<=?2"
                  " ORDER BY next_attempt_ms LIMIT ?3",
    [DUE_QUEUED] = "SELECT id, path, hash, attempts, solo, exit_codes FROM items"
                   " WHERE stage=?1 AND state='queued' ORDER BY id LIMIT ?2",
    [ANY_QUEUED] = "SELECT 1 FROM items WHERE stage=? AND state='queued' LIMIT 1",
    [NEXT_DUE] = "SELECT MIN(next_attempt_ms) FROM items WHERE stage=? AND state='retrying'",
    [NEXT_DUE_ALL] = "SELECT MIN(next_attempt_ms) FROM items WHERE state IN"
                     " ('queued','retrying')",
    [GET] = "SELECT path, hash, attempts, solo, exit_codes, state, next_attempt_ms FROM items"
            " WHERE id=?",
    [RUN_INSERT] = "INSERT INTO runs(stage, pid, pid_start, start_ms, item_count,"
                   " first_input, log) VALUES(?, ?, ?, ?, ?, ?, ?)",
    [RUN_ITEM] = "INSERT OR IGNORE INTO run_items(run_id, item_id) VALUES(?, ?)",
    [ITEM_RUNNING_] = "UPDATE items SET state='running', updated_ms=? WHERE id=?"
                      " AND state IN ('queued', 'retrying')",
    [RUN_END] = "UPDATE runs SET end_ms=?2, exit=?3, duration_ms=?2-start_ms, outcome=?4"
                " WHERE id=?1",
    [ITEM_UPDATE] = "UPDATE items SET state=?2, attempts=?3, next_attempt_ms=?4,"
                    " exit_codes=CASE WHEN ?5 < 0 THEN exit_codes WHEN exit_codes='' THEN"
                    " CAST(?5 AS TEXT) ELSE exit_codes || ',' || ?5 END,"
                    " last_error=COALESCE(?6, last_error),"
                    " failed_path=COALESCE(?7, failed_path), solo=?8, updated_ms=?9"
                    " WHERE id=?1",
    [RUN_PID] = "UPDATE runs SET pid=?2, pid_start=?3, log=?4 WHERE id=?1",
};

struct record {
    sqlite3 *db;
    sqlite3_stmt *stmt[STATEMENT_COUNT];
};

/* Ends a failed transaction. Its own error is not reported: the one that made us roll back
 * is, and SQLite rolls back by itself what it cannot (the connection is then in autocommit). */
static void rollback(record *rec)
{
    if (!sqlite3_get_autocommit(rec->db))
        sqlite3_exec(rec->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds values to the prepared statement `which` from parameter 1, one letter of types each:
 * 't' a string (NULL binds NULL), 'i' an int64_t (callers cast), and steps it once. A write
 * (SQLITE_DONE) or an error is reset here; a row (SQLITE_ROW) is the caller's to read and
 * reset. Returns what sqlite3_step returned. */
static int step_with(record *rec, int which, const char *types, ...)
{
    sqlite3_stmt *s = rec->stmt[which];
    va_list ap;
    va_start(ap, types);
    for (int k = 0; types[k]; k++) {
        if (types[k] == 't')
            sqlite3_bind_text(s, k + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(s, k + 1, va_arg(ap, int64_t));
    }
    va_end(ap);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW)
        sqlite3_reset(s);
    return step;
}

static const char *schema =
    "CREATE TABLE IF NOT EXISTS items("
    " id INTEGER PRIMARY KEY, stage TEXT NOT NULL, path TEXT NOT NULL, hash TEXT NOT NULL,"
    " size INTEGER, mtime_ns INTEGER, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_ms INTEGER NOT NULL DEFAULT 0, exit_codes TEXT NOT NULL DEFAULT '',"
    " last_error TEXT, failed_path TEXT, solo INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER, updated_ms INTEGER, UNIQUE(stage, path, hash));"
    "CREATE INDEX IF NOT EXISTS items_due ON items(stage, state, next_attempt_ms);"
    "CREATE INDEX IF NOT EXISTS items_path ON items(stage, path);"
    "CREATE INDEX IF NOT EXISTS items_queue ON items(stage, state, id);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY, stage TEXT NOT NULL, pid INTEGER, pid_start INTEGER,"
    " start_ms INTEGER, end_ms INTEGER, exit INTEGER, duration_ms INTEGER,"
    " item_count INTEGER, first_input TEXT, log TEXT, outcome TEXT);"
    "CREATE INDEX IF NOT EXISTS runs_stage ON runs(stage, id);"
    "CREATE TABLE IF NOT EXISTS run_items(run_id INTEGER NOT NULL, item_id INTEGER NOT NULL,"
    " PRIMARY KEY(run_id, item_id));"
    "CREATE INDEX IF NOT EXISTS run_items_item ON run_items(item_id, run_id);"
    "CREATE INDEX IF NOT EXISTS runs_open ON runs(id) WHERE end_ms IS NULL;";

int record_open(record **out, const char *path, cr_err *err)
{
    record *rec = calloc(1, sizeof *rec);
    if (!rec)
        return cr_fail(err, CR_EOTHER, "out of memory");
    *out = NULL;
    int opened = cr_db_open(path, 10000, &rec->db, err);
    if (opened) {
        cr_err_context(err, "record: opening");
        free(rec);
        return opened;
    }
    char *why = NULL;
    if (sqlite3_exec(rec->db, "PRAGMA wal_autocheckpoint=4000;", NULL, NULL, &why) != SQLITE_OK ||
        sqlite3_exec(rec->db, schema, NULL, NULL, &why) != SQLITE_OK) {
        int code = cr_fail(err, CR_EIO, "record: %s: %s", path, why ? why : "schema");
        sqlite3_free(why);
        record_close(rec);
        return code;
    }
    int code = CR_OK;
    for (int k = 0; k < STATEMENT_COUNT && !code; k++)
        code = cr_db_prepare(rec->db, &rec->stmt[k], statement_sql[k], err);
    if (code) {
        record_close(rec);
        return code;
    }
    *out = rec;
    return CR_OK;
}

void record_close(record *rec)
{
    if (!rec)
        return;
    for (int k = 0; k < STATEMENT_COUNT; k++)
        sqlite3_finalize(rec->stmt[k]);
    sqlite3_close(rec->db);
    free(rec);
}

int record_begin(record *rec, cr_err *err)
{
    return cr_db_exec(rec->db, "BEGIN IMMEDIATE", err);
}

int record_commit(record *rec, cr_err *err)
{
    if (sqlite3_exec(rec->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int code = cr_db_fail(rec->db, err, "commit");
        rollback(rec);
        return code;
    }
    return CR_OK;
}

void record_item_free(record_item *item)
{
    free(item->path);
    free(item->hash);
    free(item->exit_codes);
    memset(item, 0, sizeof *item);
}

static char *column_dup(sqlite3_stmt *stmt, int column)
{
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return strdup(text ? (const char *)text : "");
}

int record_recover(record *rec, int64_t now_ms, pid_t **pids, long long **pid_starts, int *count,
                   cr_err *err)
{
    *pids = NULL;
    *pid_starts = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    int code =
        cr_db_prepare(rec->db, &stmt, "SELECT pid, pid_start FROM runs WHERE end_ms IS NULL", err);
    if (code)
        return code;
    size_t pids_cap = 0, starts_cap = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        if (cr_grow(pids, &pids_cap, (size_t)*count + 1, sizeof **pids) < 0 ||
            cr_grow(pid_starts, &starts_cap, (size_t)*count + 1, sizeof **pid_starts) < 0)
            break; /* the runs beyond are still recovered below, their pids not looked at */
        (*pids)[*count] = (pid_t)sqlite3_column_int64(stmt, 0);
        (*pid_starts)[*count] = sqlite3_column_int64(stmt, 1);
        (*count)++;
    }
    sqlite3_finalize(stmt);
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE;"
             "UPDATE runs SET end_ms=%lld, outcome='interrupted' WHERE end_ms IS NULL;"
             "UPDATE items SET state='queued', next_attempt_ms=0 WHERE state='running';"
             "COMMIT;",
             (long long)now_ms);
    code = cr_db_exec(rec->db, sql, err);
    rollback(rec); /* after a failure inside the transaction; a no-op after its COMMIT */
    return code;
}

int record_seen(record *rec, const char *stage, const char *path, int64_t size, int64_t mtime_ns)
{
    int seen = 0;
    if (step_with(rec, SEEN, "tt", stage, path) == SQLITE_ROW) {
        sqlite3_stmt *s = rec->stmt[SEEN];
        const char *state = (const char *)sqlite3_column_text(s, 2);
        seen = sqlite3_column_int64(s, 0) == size && sqlite3_column_int64(s, 1) == mtime_ns &&
               state && strcmp(state, ITEM_FAILED) && strcmp(state, ITEM_GONE);
        sqlite3_reset(s);
    }
    return seen;
}

int64_t record_newest(record *rec, const char *stage, const char *path)
{
    int64_t id = 0;
    if (step_with(rec, SEEN, "tt", stage, path) == SQLITE_ROW) {
        id = sqlite3_column_int64(rec->stmt[SEEN], 3);
        sqlite3_reset(rec->stmt[SEEN]);
    }
    return id;
}

static int add_item(record *rec, const char *stage, const char *path, const char *hash,
                    int64_t size, int64_t mtime_ns, int64_t now_ms, int force, int64_t *item_id,
                    int *result, cr_err *err)
{
    int step = step_with(rec, FIND, "ttt", stage, path, hash);
    if (step == SQLITE_ROW) {
        sqlite3_stmt *s = rec->stmt[FIND];
        int64_t id = sqlite3_column_int64(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        int back = state && (!strcmp(state, ITEM_FAILED) || !strcmp(state, ITEM_GONE) ||
                             (force && !strcmp(state, ITEM_DONE)));
        sqlite3_reset(s);
        *item_id = id;
        *result = back ? RECORD_REQUEUED : RECORD_KNOWN;
        if (back && step_with(rec, REQUEUE, "iiii", size, mtime_ns, now_ms, id) != SQLITE_DONE)
            return cr_db_fail(rec->db, err, "queueing an item again");
        return CR_OK;
    }
    if (step != SQLITE_DONE)
        return cr_db_fail(rec->db, err, "finding an item");
    if (step_with(rec, INSERT, "tttiiii", stage, path, hash, size, mtime_ns, now_ms, now_ms) !=
        SQLITE_DONE)
        return cr_db_fail(rec->db, err, "adding an item");
    *item_id = sqlite3_last_insert_rowid(rec->db);
    *result = RECORD_ADDED;
    if (step_with(rec, SUPERSEDE, "ttii", stage, path, *item_id, now_ms) != SQLITE_DONE)
        return cr_db_fail(rec->db, err, "closing an item's older content");
    return CR_OK;
}
/* Finding and inserting are one transaction, so that the daemon and a `retry` adding the same
 * content at once end with one item, whichever comes first. */
int record_add(record *rec, const char *stage, const char *path, const char *hash, int64_t size,
               int64_t mtime_ns, int64_t now_ms, int force, int64_t *item_id, int *result,
               cr_err *err)
{
    if (!sqlite3_get_autocommit(rec->db))
        return add_item(rec, stage, path, hash, size, mtime_ns, now_ms, force, item_id, result,
                        err);
    int code = record_begin(rec, err);
    if (code)
        return code;
    code = add_item(rec, stage, path, hash, size, mtime_ns, now_ms, force, item_id, result, err);
    if (code) {
        rollback(rec);
        return code;
    }
    return record_commit(rec, err);
}

static void fill_item(sqlite3_stmt *s, int first, record_item *item)
{
    item->path = column_dup(s, first);
    item->hash = column_dup(s, first + 1);
    item->attempts = sqlite3_column_int(s, first + 2);
    item->solo = sqlite3_column_int(s, first + 3);
    item->exit_codes = column_dup(s, first + 4);
}

int record_due(record *rec, const char *stage, int64_t now_ms, int limit, record_item *items,
               cr_err *err)
{
    int n = 0;
    for (int pass = 0; pass < 2 && n < limit; pass++) {
        sqlite3_stmt *s = pass == 0 ? rec->stmt[DUE_RETRY] : rec->stmt[DUE_QUEUED];
        sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
        if (pass == 0) {
            sqlite3_bind_int64(s, 2, now_ms);
            sqlite3_bind_int(s, 3, limit - n);
        } else {
            sqlite3_bind_int(s, 2, limit - n);
        }
        int step = SQLITE_ROW;
        while (n < limit && (step = sqlite3_step(s)) == SQLITE_ROW) {
            memset(&items[n], 0, sizeof items[n]);
            items[n].id = sqlite3_column_int64(s, 0);
            fill_item(s, 1, &items[n]);
            n++;
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            cr_db_fail(rec->db, err, "reading the queue");
            sqlite3_reset(s);
            while (n > 0)
                record_item_free(&items[--n]);
            return -1;
        }
        sqlite3_reset(s);
    }
    return n;
}

int64_t record_next_due(record *rec, const char *stage)
{
    if (stage && step_with(rec, ANY_QUEUED, "t", stage) == SQLITE_ROW) {
        sqlite3_reset(rec->stmt[ANY_QUEUED]);
        return 0;
    }
    int which = stage ? NEXT_DUE : NEXT_DUE_ALL;
    int64_t next = -1;
    if (step_with(rec, which, stage ? "t" : "", stage) == SQLITE_ROW) {
        sqlite3_stmt *s = rec->stmt[which];
        if (sqlite3_column_type(s, 0) != SQLITE_NULL)
            next = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    return next;
}

int record_item_get(record *rec, int64_t id, record_item *item, char *state, size_t state_size)
{
    sqlite3_stmt *s = rec->stmt[GET];
    int found = 0;
    memset(item, 0, sizeof *item);
    if (step_with(rec, GET, "i", id) == SQLITE_ROW) {
        item->id = id;
        fill_item(s, 0, item);
        const unsigned char *st = sqlite3_column_text(s, 5);
        snprintf(state, state_size, "%s", st ? (const char *)st : "");
        item->next_attempt_ms = sqlite3_column_int64(s, 6);
        found = 1;
    }
    sqlite3_reset(s);
    return found;
}

int record_run_begin(record *rec, const char *stage, pid_t pid, long long pid_start,
                     int64_t start_ms, const char *log_path, record_item *items, int *item_count,
                     int64_t *run_id, cr_err *err)
{
    *run_id = 0;
    int code = record_begin(rec, err);
    if (code)
        return code;
    /* Claimed here, inside the transaction: an item another process started since it was read
     * (the daemon and a hand `run` share the record) is no longer waiting, and is left out. */
    int kept = 0;
    for (int i = 0; i < *item_count; i++) {
        if (step_with(rec, ITEM_RUNNING_, "ii", start_ms, items[i].id) != SQLITE_DONE) {
            code = cr_db_fail(rec->db, err, "claiming an item");
            rollback(rec);
            for (int rest = i; rest < *item_count; rest++)
                record_item_free(&items[rest]);
            *item_count = kept;
            return code;
        }
        if (sqlite3_changes(rec->db) == 1)
            items[kept++] = items[i];
        else
            record_item_free(&items[i]);
    }
    *item_count = kept;
    if (kept == 0)
        return record_commit(rec, err);
    int step = step_with(rec, RUN_INSERT, "tiiiitt", stage, (int64_t)pid, (int64_t)pid_start,
                         start_ms, (int64_t)kept, items[0].path, log_path);
    int64_t id = sqlite3_last_insert_rowid(rec->db);
    for (int i = 0; step == SQLITE_DONE && i < kept; i++)
        step = step_with(rec, RUN_ITEM, "ii", id, items[i].id);
    if (step != SQLITE_DONE) {
        code = cr_db_fail(rec->db, err, "recording a run");
        rollback(rec);
        return code;
    }
    *run_id = id;
    return CR_OK; /* the caller commits once the pid is known (record_run_pid) */
}

int record_run_end(record *rec, int64_t run_id, int exit_code, int64_t end_ms, const char *outcome,
                   cr_err *err)
{
    if (step_with(rec, RUN_END, "iiit", run_id, end_ms, (int64_t)exit_code, outcome) != SQLITE_DONE)
        return cr_db_fail(rec->db, err, "ending a run");
    return CR_OK;
}

int record_item_update(record *rec, int64_t id, const char *state, int attempts,
                       int64_t next_attempt_ms, int exit_code, const char *last_error,
                       const char *failed_path, int solo, int64_t now_ms, cr_err *err)
{
    if (step_with(rec, ITEM_UPDATE, "itiiittii", id, state, (int64_t)attempts, next_attempt_ms,
                  (int64_t)exit_code, last_error, failed_path, (int64_t)solo,
                  now_ms) != SQLITE_DONE)
        return cr_db_fail(rec->db, err, "updating an item");
    return CR_OK;
}

int record_run_pid(record *rec, int64_t run_id, pid_t pid, long long pid_start,
                   const char *log_path, cr_err *err)
{
    if (step_with(rec, RUN_PID, "iiit", run_id, (int64_t)pid, (int64_t)pid_start, log_path) !=
        SQLITE_DONE)
        return cr_db_fail(rec->db, err, "recording a run's pid");
    return CR_OK;
}

int record_finish_run(record *rec, int64_t run_id, int exit_code, const char *outcome,
                      int64_t now_ms, const record_item_end *items, int item_count, cr_err *err)
{
    int code = record_begin(rec, err);
    if (!code)
        code = record_run_end(rec, run_id, exit_code, now_ms, outcome, err);
    for (int k = 0; k < item_count && !code; k++) {
        const item_next *n = &items[k].next;
        code = record_item_update(rec, items[k].id, n->state, n->attempts, n->next_attempt_ms,
                                  n->exit_code, n->note ? n->note : items[k].last_error,
                                  items[k].failed_path, n->solo, now_ms, err);
    }
    if (code) {
        rollback(rec);
        return code;
    }
    return record_commit(rec, err);
}

int record_interrupt_run(record *rec, int64_t run_id, int64_t now_ms, cr_err *err)
{
    static const char *const steps[] = {
        "UPDATE runs SET end_ms=?2, outcome='interrupted' WHERE id=?1 AND end_ms IS NULL",
        "UPDATE items SET state='queued', next_attempt_ms=0 WHERE state='running' AND id IN"
        " (SELECT item_id FROM run_items WHERE run_id=?1)",
    };
    int code = record_begin(rec, err);
    for (size_t i = 0; !code && i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *s;
        code = cr_db_prepare(rec->db, &s, steps[i], err);
        if (code)
            break;
        sqlite3_bind_int64(s, 1, run_id);
        sqlite3_bind_int64(s, 2, now_ms); /* SQLITE_RANGE, harmless, where there is no ?2 */
        if (sqlite3_step(s) != SQLITE_DONE)
            code = cr_db_fail(rec->db, err, "ending run %lld", (long long)run_id);
        sqlite3_finalize(s);
    }
    if (code) {
        rollback(rec);
        return code;
    }
    return record_commit(rec, err);
}

/* ---- reading: rows handed one by one to a callback ---- */

int64_t record_data_version(record *rec)
{
    sqlite3_stmt *s;
    int64_t version = -1;
    if (sqlite3_prepare_v2(rec->db, "PRAGMA data_version", -1, &s, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return version;
}

int record_read_begin(record *rec, cr_err *err)
{
    /* deferred: a read snapshot that never takes the write lock from the daemon */
    return cr_db_exec(rec->db, "BEGIN", err);
}

void record_read_end(record *rec)
{
    /* a read-only transaction: its COMMIT cannot lose anything, whatever it returns */
    sqlite3_exec(rec->db, "COMMIT", NULL, NULL, NULL);
}

static const char *column_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : NULL;
}

/* Steps a reader's statement to its end, handing each row to each; then finalizes it. */
static int each_row(record *rec, sqlite3_stmt *s, void (*each)(sqlite3_stmt *, void *), void *ctx,
                    const char *what, cr_err *err)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        each(s, ctx);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? CR_OK : cr_db_fail(rec->db, err, "%s", what);
}

const char *const record_state_names[RECORD_STATE_COUNT] = {ITEM_QUEUED, ITEM_RUNNING,
                                                            ITEM_RETRYING, ITEM_DONE, ITEM_FAILED};

static void count_row(sqlite3_stmt *s, void *ctx)
{
    int64_t *counts = ctx;
    const char *state = column_text(s, 0);
    for (int k = 0; state && k < RECORD_STATE_COUNT; k++)
        if (!strcmp(state, record_state_names[k]))
            counts[k] = sqlite3_column_int64(s, 1);
}

int record_count_states(record *rec, const char *stage, int64_t counts[RECORD_STATE_COUNT],
                        cr_err *err)
{
    memset(counts, 0, sizeof(int64_t) * RECORD_STATE_COUNT);
    sqlite3_stmt *s;
    int code = cr_db_prepare(rec->db, &s,
                             "SELECT state, COUNT(*) FROM items WHERE stage=? GROUP BY state", err);
    if (code)
        return code;
    sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
    return each_row(rec, s, count_row, counts, "counting items", err);
}

typedef struct row_call {
    void *fn, *ctx;
} row_call;

static void item_row(sqlite3_stmt *s, void *arg)
{
    row_call *call = arg;
    record_item_row row = {
        .id = sqlite3_column_int64(s, 0),
        .stage = column_text(s, 1),
        .path = column_text(s, 2),
        .state = column_text(s, 3),
        .attempts = sqlite3_column_int(s, 4),
        .next_attempt_ms = sqlite3_column_int64(s, 5),
        .created_ms = sqlite3_column_int64(s, 6),
        .updated_ms = sqlite3_column_int64(s, 7),
        .last_error = column_text(s, 8),
        .failed_path = column_text(s, 9),
        .exit_codes = column_text(s, 10),
        .last_run = sqlite3_column_int64(s, 11),
        .hash = column_text(s, 12),
    };
    ((record_item_fn)call->fn)(&row, call->ctx);
}

int record_list_items(record *rec, const record_item_filter *f, record_item_fn fn, void *ctx,
                      cr_err *err)
{
    /* queued: oldest first; retrying: soonest next attempt first; others: latest change first */
    const char *order = f->by_id || !strcmp(f->state, ITEM_QUEUED) ? "id"
                        : !strcmp(f->state, ITEM_RETRYING)         ? "next_attempt_ms, id"
                                                                   : "updated_ms DESC, id DESC";
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT id, stage, path, state, attempts, next_attempt_ms, created_ms, updated_ms,"
             " last_error, failed_path, exit_codes,"
             " (SELECT MAX(run_id) FROM run_items WHERE item_id=items.id), hash"
             " FROM items WHERE state=?2%s%s ORDER BY %s LIMIT ?4",
             f->stage ? " AND stage=?1" : "",
             f->named ? " AND (id=CAST(?3 AS INTEGER) OR path=?3 OR failed_path=?3)" : "", order);
    sqlite3_stmt *s;
    int code = cr_db_prepare(rec->db, &s, sql, err);
    if (code)
        return code;
    sqlite3_bind_text(s, 1, f->stage, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, f->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->named, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, f->limit);
    row_call call = {(void *)fn, ctx};
    return each_row(rec, s, item_row, &call, "listing items", err);
}

static void run_row(sqlite3_stmt *s, void *arg)
{
    row_call *call = arg;
    record_run_row row = {
        .id = sqlite3_column_int64(s, 0),
        .stage = column_text(s, 1),
        .pid = (pid_t)sqlite3_column_int64(s, 2),
        .start_ms = sqlite3_column_int64(s, 3),
        .end_ms = sqlite3_column_type(s, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 4),
        .exit_code = sqlite3_column_int(s, 5),
        .has_exit = sqlite3_column_type(s, 5) != SQLITE_NULL,
        .duration_ms = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 6),
        .item_count = sqlite3_column_int(s, 7),
        .first_input = column_text(s, 8),
        .log = column_text(s, 9),
        .outcome = column_text(s, 10),
        .pid_start = sqlite3_column_int64(s, 11),
    };
    ((record_run_fn)call->fn)(&row, call->ctx);
}

#define RUN_COLUMNS                                                                                \
    "SELECT id, stage, pid, start_ms, end_ms, exit, duration_ms, item_count, first_input, log,"    \
    " outcome, pid_start FROM runs"

int record_list_runs(record *rec, const record_run_filter *f, record_run_fn fn, void *ctx,
                     cr_err *err)
{
    char sql[512];
    const char *stage = f->stage ? " AND stage=?1" : "";
    if (f->id)
        snprintf(sql, sizeof sql, RUN_COLUMNS " WHERE id=?4");
    else if (f->in_flight)
        snprintf(sql, sizeof sql, RUN_COLUMNS " WHERE end_ms IS NULL%s ORDER BY id LIMIT ?2",
                 stage);
    else if (f->ended_since_ms > 0)
        snprintf(sql, sizeof sql,
                 RUN_COLUMNS " WHERE end_ms IS NOT NULL%s AND end_ms >= ?3 ORDER BY end_ms, id"
                             " LIMIT ?2",
                 stage);
    else
        snprintf(sql, sizeof sql,
                 "SELECT * FROM (" RUN_COLUMNS " WHERE end_ms IS NOT NULL%s ORDER BY id DESC"
                 " LIMIT ?2) ORDER BY id %s",
                 stage, f->oldest_first ? "ASC" : "DESC");
    sqlite3_stmt *s;
    int code = cr_db_prepare(rec->db, &s, sql, err);
    if (code)
        return code;
    sqlite3_bind_text(s, 1, f->stage, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, f->limit);
    sqlite3_bind_int64(s, 3, f->ended_since_ms);
    sqlite3_bind_int64(s, 4, f->id); /* SQLITE_RANGE, harmless, where there is no ?4 */
    row_call call = {(void *)fn, ctx};
    return each_row(rec, s, run_row, &call, "listing runs", err);
}

int record_crawl_counts(const char *state_db, int64_t counts[CRAWL_STATE_COUNT], cr_err *err)
{
    char uri[4200];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", state_db);
    sqlite3 *db = NULL;
    int code = CR_OK;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        code = db ? cr_db_fail(db, err, "opening") : cr_fail(err, CR_EIO, "%s", state_db);
        sqlite3_close(db);
        return code;
    }
    sqlite3_busy_timeout(db, 0); /* never make the crawler wait */
    sqlite3_stmt *s;
    code = cr_db_prepare(db, &s,
                         "SELECT state, COUNT(*) FROM pages WHERE gen=(SELECT MAX(gen) FROM"
                         " pages) GROUP BY state",
                         err);
    int64_t read[CRAWL_STATE_COUNT] = {0};
    int rc = SQLITE_DONE;
    while (!code && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int state = sqlite3_column_int(s, 0);
        if (state >= 0 && state < CRAWL_STATE_COUNT)
            read[state] = sqlite3_column_int64(s, 1);
    }
    if (!code && rc != SQLITE_DONE)
        code = cr_db_fail(db, err, "counting pages");
    if (!code)
        memcpy(counts, read, sizeof read);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return code;
}
