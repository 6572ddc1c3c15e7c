/* state.c — frontier and seen-set in SQLite (WAL, synchronous=NORMAL: a killed process loses
 * nothing committed; only a power cut may lose the last commits, which are then re-fetched).
 * One row per normalised URL; a generation counter tells this crawl from the last one, whose
 * ETag and Last-Modified make the re-fetch conditional. A lock file keeps one crawler per
 * state. Scheduling is crawl.c's. Tests: tests/crawler/test_state.c. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "fs.h"

struct crawl_state {
    sqlite3 *db;
    int lock_fd;
    char path[4096];
    int64_t generation;
    int64_t next_seq;
    sqlite3_stmt *insert, *requeue, *mark, *attempts, *alias_get, *alias_set, *validators,
        *count_done;
};

static int meta_get(crawl_state *s, const char *key, int64_t *value, int *found, cr_err *err)
{
    sqlite3_stmt *stmt;
    *found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key=?", -1, &stmt, NULL) !=
        SQLITE_OK)
        return cr_db_fail(s->db, err, "reading meta");
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int64(stmt, 0);
        *found = 1;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cr_db_fail(s->db, err, "reading meta");
    return CR_OK;
}

static int meta_set(crawl_state *s, const char *key, int64_t value, cr_err *err)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)", -1, &stmt,
                           NULL) != SQLITE_OK)
        return cr_db_fail(s->db, err, "writing meta");
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, value);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return cr_db_fail(s->db, err, "writing meta");
    return CR_OK;
}

int state_open(crawl_state **out, const char *dir, cr_err *err)
{
    *out = NULL;
    int rc = cr_mkdir_p(dir, err);
    if (rc)
        return cr_err_context(err, "creating the state folder");
    crawl_state *s = calloc(1, sizeof *s);
    if (!s)
        return cr_fail(err, CR_EOTHER, "out of memory");
    s->lock_fd = -1;
    char lock_path[4096];
    if ((rc = cr_path_join(lock_path, sizeof lock_path, dir, "lock", err)) ||
        (rc = cr_path_join(s->path, sizeof s->path, dir, "state.sqlite", err))) {
        free(s);
        return rc;
    }
    s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        rc = cr_fail_errno(err, cr_exit_for_errno(errno), "opening %s", lock_path);
        free(s);
        return rc;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK
                 ? cr_fail(err, CR_ETEMP, "state %s is busy: another crawler uses it", dir)
                 : cr_fail_errno(err, CR_EIO, "locking %s", lock_path);
        close(s->lock_fd);
        free(s);
        return rc;
    }
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = cr_fail(err, CR_EIO, "opening state %s: %s", s->path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        state_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 5000);
    rc =
        cr_db_exec(s->db, /* Our lock file already keeps other crawlers out: SQLite's own per-
                           * transaction file locks (and the WAL's shared memory) are not needed. */
                   "PRAGMA locking_mode=EXCLUSIVE;"
                   "PRAGMA journal_mode=WAL;"
                   "PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
                   "CREATE TABLE IF NOT EXISTS pages("
                   " url TEXT PRIMARY KEY, gen INTEGER NOT NULL, state INTEGER NOT NULL,"
                   " depth INTEGER NOT NULL, referrer TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
                   " seq INTEGER NOT NULL, status INTEGER, reason TEXT, etag TEXT,"
                   " last_modified TEXT);"
                   "CREATE INDEX IF NOT EXISTS pages_queue ON pages(gen, state, seq);",
                   err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->insert,
                           "INSERT OR IGNORE INTO pages(url,gen,state,depth,referrer,attempts,seq)"
                           " VALUES(?1,?2,0,?3,?4,0,?5)",
                           err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->requeue,
                           "UPDATE pages SET gen=?2,state=0,depth=?3,referrer=?4,attempts=0,seq=?5,"
                           "status=NULL,reason=NULL WHERE url=?1 AND gen<?2 RETURNING rowid",
                           err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->mark,
                           "UPDATE pages SET state=?2,status=?3,reason=?4,etag=coalesce(?5,etag),"
                           "last_modified=coalesce(?6,last_modified) WHERE rowid=?1",
                           err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->attempts, "UPDATE pages SET attempts=?2 WHERE rowid=?1", err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->alias_get, "SELECT gen,state FROM pages WHERE url=?1", err);
    if (!rc)
        rc = cr_db_prepare(
            s->db, &s->alias_set,
            "INSERT INTO pages(url,gen,state,depth,attempts,seq) VALUES(?1,?2,7,0,0,?3)"
            " ON CONFLICT(url) DO UPDATE SET gen=?2,state=7",
            err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->validators,
                           "SELECT etag,last_modified FROM pages WHERE rowid=?1", err);
    if (!rc)
        rc = cr_db_prepare(s->db, &s->count_done,
                           "SELECT count(*) FROM pages WHERE gen=?1 AND state IN (2,3)", err);
    if (rc) {
        state_close(s);
        return rc;
    }
    *out = s;
    return CR_OK;
}

void state_close(crawl_state *s)
{
    if (!s)
        return;
    sqlite3_stmt *stmts[] = {s->insert,    s->requeue,   s->mark,       s->attempts,
                             s->alias_get, s->alias_set, s->validators, s->count_done};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    if (s->db)
        sqlite3_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the lock */
    free(s);
}

int state_begin_run(crawl_state *s, int *resumed, int64_t *generation, cr_err *err)
{
    int64_t gen = 0, complete = 1, seq = 0;
    int found_gen, found_complete, rc;
    if ((rc = state_transaction_begin(s, err)))
        return rc;
    if ((rc = meta_get(s, "generation", &gen, &found_gen, err)) ||
        (rc = meta_get(s, "complete", &complete, &found_complete, err)))
        return rc;
    if (!found_gen || complete) {
        gen++;
        *resumed = 0;
        if ((rc = meta_set(s, "generation", gen, err)) || (rc = meta_set(s, "complete", 0, err)))
            return rc;
    } else {
        *resumed = 1;
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE pages SET state=0,attempts=0 WHERE gen=%lld AND state=6",
                 (long long)gen);
        if ((rc = cr_db_exec(s->db, sql, err)))
            return rc;
    }
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(seq),0) FROM pages", -1, &stmt, NULL) !=
        SQLITE_OK)
        return cr_db_fail(s->db, err, "reading the queue");
    if (sqlite3_step(stmt) == SQLITE_ROW)
        seq = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    s->generation = gen;
    s->next_seq = seq + 1;
    *generation = gen;
    return state_transaction_commit(s, err);
}

int state_finish_generation(crawl_state *s, cr_err *err)
{
    return meta_set(s, "complete", 1, err);
}

int state_transaction_begin(crawl_state *s, cr_err *err)
{
    return cr_db_exec(s->db, "BEGIN IMMEDIATE", err);
}

int state_transaction_commit(crawl_state *s, cr_err *err)
{
    return cr_db_exec(s->db, "COMMIT", err);
}

/* The insert and the requeue statements take the same row: url, generation, depth, referrer,
 * sequence number. */
static void bind_queue_row(crawl_state *s, sqlite3_stmt *st, const char *url, int depth,
                           const char *referrer)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->generation);
    sqlite3_bind_int(st, 3, depth);
    if (referrer)
        sqlite3_bind_text(st, 4, referrer, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, s->next_seq);
}

int state_enqueue(crawl_state *s, const char *url, int depth, const char *referrer, int64_t *row,
                  cr_err *err)
{
    sqlite3_stmt *st = s->insert;
    bind_queue_row(s, st, url, depth, referrer);
    if (sqlite3_step(st) != SQLITE_DONE)
        return -cr_db_fail(s->db, err, "queueing a URL");
    if (sqlite3_changes(s->db) == 1) {
        *row = sqlite3_last_insert_rowid(s->db);
        s->next_seq++;
        return 1;
    }
    /* Known from an earlier generation: queue it again in this one. */
    st = s->requeue;
    bind_queue_row(s, st, url, depth, referrer);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = sqlite3_column_int64(st, 0);
        s->next_seq++;
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return -cr_db_fail(s->db, err, "queueing a URL again");
    return 0;
}

int state_add_alias(crawl_state *s, const char *url, int *known_done, cr_err *err)
{
    *known_done = 0;
    sqlite3_stmt *st = s->alias_get;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t gen = sqlite3_column_int64(st, 0);
        int state = sqlite3_column_int(st, 1);
        sqlite3_reset(st);
        if (gen == s->generation) {
            *known_done = state == PAGE_SAVED || state == PAGE_UNCHANGED;
            return 0;
        }
    } else {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return -cr_db_fail(s->db, err, "reading a URL");
    }
    st = s->alias_set;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->generation);
    sqlite3_bind_int64(st, 3, s->next_seq++);
    if (sqlite3_step(st) != SQLITE_DONE)
        return -cr_db_fail(s->db, err, "recording a redirect target");
    return 1;
}

int state_mark(crawl_state *s, int64_t row, int state, int http_status, const char *reason,
               const char *etag, const char *last_modified, cr_err *err)
{
    sqlite3_stmt *st = s->mark;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int(st, 2, state);
    if (http_status > 0)
        sqlite3_bind_int(st, 3, http_status);
    else
        sqlite3_bind_null(st, 3);
    if (reason)
        sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    if (etag)
        sqlite3_bind_text(st, 5, etag, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    if (last_modified)
        sqlite3_bind_text(st, 6, last_modified, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    if (sqlite3_step(st) != SQLITE_DONE)
        return cr_db_fail(s->db, err, "recording a page");
    return CR_OK;
}

int state_set_attempts(crawl_state *s, int64_t row, int attempts, cr_err *err)
{
    sqlite3_stmt *st = s->attempts;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int(st, 2, attempts);
    if (sqlite3_step(st) != SQLITE_DONE)
        return cr_db_fail(s->db, err, "recording an attempt");
    return CR_OK;
}

int state_load_queue(crawl_state *s, int (*fn)(void *ctx, const queued_page *page), void *ctx,
                     cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT rowid,url,depth,referrer,attempts,state,etag,last_modified"
                           " FROM pages WHERE gen=?1 AND state IN (0,1) ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return cr_db_fail(s->db, err, "reading the queue");
    sqlite3_bind_int64(st, 1, s->generation);
    int rc, status = CR_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        queued_page page = {
            .row = sqlite3_column_int64(st, 0),
            .url = (const char *)sqlite3_column_text(st, 1),
            .depth = sqlite3_column_int(st, 2),
            .referrer = (const char *)sqlite3_column_text(st, 3),
            .attempts = sqlite3_column_int(st, 4),
            .state = sqlite3_column_int(st, 5),
            .etag = (const char *)sqlite3_column_text(st, 6),
            .last_modified = (const char *)sqlite3_column_text(st, 7),
        };
        if ((status = fn(ctx, &page)) != CR_OK)
            break;
    }
    if (status == CR_OK && rc != SQLITE_DONE)
        status = cr_db_fail(s->db, err, "reading the queue");
    sqlite3_finalize(st);
    return status;
}

int state_validators(crawl_state *s, int64_t row, char **etag, char **last_modified, cr_err *err)
{
    *etag = *last_modified = NULL;
    sqlite3_stmt *st = s->validators;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, row);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *e = (const char *)sqlite3_column_text(st, 0);
        const char *l = (const char *)sqlite3_column_text(st, 1);
        *etag = e ? strdup(e) : NULL;
        *last_modified = l ? strdup(l) : NULL;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cr_db_fail(s->db, err, "reading validators");
    return CR_OK;
}

int state_count_done(crawl_state *s, int64_t *count, cr_err *err)
{
    sqlite3_stmt *st = s->count_done;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, s->generation);
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return cr_db_fail(s->db, err, "counting pages");
    return CR_OK;
}
