/* db.c — see db.h. */
#include "db.h"

#include <stdint.h>
#include <stdio.h>

#include "clock.h"

static int code_of(int rc)
{
    rc &= 0xFF; /* the primary code of an extended one */
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? CR_ETEMP : CR_EIO;
}

int cr_db_fail(sqlite3 *db, cr_err *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *file = sqlite3_db_filename(db, "main");
    return cr_fail(err, code_of(sqlite3_extended_errcode(db)), "%s: %s: %s",
                   file && *file ? file : "(database)", what, sqlite3_errmsg(db));
}

int cr_db_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql, cr_err *err)
{
    /* persistent: most statements are prepared once and run for the connection's life */
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) == SQLITE_OK)
        return CR_OK;
    return cr_db_fail(db, err, "preparing a statement");
}

int cr_db_exec(sqlite3 *db, const char *sql, cr_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return CR_OK;
    return cr_db_fail(db, err, "%.48s", sql);
}

int cr_db_open(const char *path, int busy_ms, sqlite3 **db, cr_err *err)
{
    *db = NULL;
    sqlite3 *d = NULL;
    if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        int code = cr_fail(err, d ? code_of(sqlite3_extended_errcode(d)) : CR_EIO, "%s: %s", path,
                           d ? sqlite3_errmsg(d) : "out of memory");
        sqlite3_close(d);
        return code;
    }
    sqlite3_busy_timeout(d, busy_ms);
    /* Turning a new file to WAL takes a lock that the busy handler does not wait for: when
     * several processes open the same new file, all but one may get SQLITE_BUSY at once. */
    int64_t give_up = cr_mono_ms() + busy_ms;
    int rc;
    while ((rc = sqlite3_exec(d, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) == SQLITE_BUSY &&
           cr_mono_ms() < give_up)
        sqlite3_sleep(5);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(d, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = cr_fail(err, code_of(rc), "%s: %s", path, sqlite3_errmsg(d));
        sqlite3_close(d);
        return code;
    }
    *db = d;
    return CR_OK;
}
