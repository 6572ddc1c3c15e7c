/* db.h — the SQLite helpers every database owner shares (the orchestrator's record, the
 * crawler's state, the preprocessor's dedup index): opening (WAL mode, synchronous=NORMAL, a
 * busy timeout, safe when several processes open one new file at the same moment), and one
 * rule for errors: a busy or locked database is temporary (CR_ETEMP, exit 75: try again
 * later), any other failure is CR_EIO. What the tables mean stays with each owner. */
#ifndef CR_DB_H
#define CR_DB_H

#include <sqlite3.h>

#include "status.h"

/* Opens PATH, creating it if needed, waiting up to BUSY_MS for other writers. On failure *db is
 * NULL and the error names the file: CR_ETEMP when it stayed busy, CR_EIO otherwise. */
int cr_db_open(const char *path, int busy_ms, sqlite3 **db, cr_err *err);

/* Fails with the connection's last error, naming the file: "FILE: <fmt ...>: <SQLite's
 * message>"; CR_ETEMP when the database was busy or locked, CR_EIO otherwise. Returns the code. */
int cr_db_fail(sqlite3 *db, cr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepares sql; on failure cr_db_fail with "preparing a statement". */
int cr_db_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql, cr_err *err);
/* Runs statements that return no rows; on failure cr_db_fail with the start of sql. */
int cr_db_exec(sqlite3 *db, const char *sql, cr_err *err);

#endif
