/* db.c — see db.h. */
#include "db.h"

#include <stdint.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int cr_db_open(const char *path, int busy_ms, sqlite3 **db, cr_err *err)
{
    *db = NULL;
    sqlite3 *d = NULL;
    if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        int code = cr_fail(err, CR_EIO, "%s: %s", path, d ? sqlite3_errmsg(d) : "out of memory");
        sqlite3_close(d);
        return code;
    }
    sqlite3_busy_timeout(d, busy_ms);
    /* Turning a new file to WAL takes a lock that the busy handler does not wait for: when
     * several processes open the same new file, all but one may get SQLITE_BUSY at once. */
    int64_t give_up = now_ms() + busy_ms;
    int rc;
    while ((rc = sqlite3_exec(d, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) == SQLITE_BUSY &&
           now_ms() < give_up)
        sqlite3_sleep(5);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(d, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = cr_fail(err, CR_EIO, "%s: %s", path, sqlite3_errmsg(d));
        sqlite3_close(d);
        return code;
    }
    *db = d;
    return CR_OK;
}
