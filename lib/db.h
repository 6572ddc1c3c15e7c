/* db.h — opening the SQLite databases the programs keep (the orchestrator's record, the
 * preprocessor's dedup index): WAL mode, synchronous=NORMAL, a busy timeout, and safe when
 * several processes open one new file at the same moment. */
#ifndef CR_DB_H
#define CR_DB_H

#include <sqlite3.h>

#include "status.h"

/* Opens PATH, creating it if needed, waiting up to BUSY_MS for other writers. On failure *db is
 * NULL and the error (CR_EIO) names the file. */
int cr_db_open(const char *path, int busy_ms, sqlite3 **db, cr_err *err);

#endif
