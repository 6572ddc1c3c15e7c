/* Unit tests of lib/db.c: real processes opening one new database file at the same moment (the
 * orchestrator starts several preprocess runs on a fresh clean/ folder), and clear errors. */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db.h"

/* Forks WRITERS processes, one after the other as a shell starts them, that each open PATH,
 * create the schema and add three rows; returns how many of them failed. */
static int open_together(const char *path, int writers)
{
    pid_t pids[16];
    for (int w = 0; w < writers; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            sqlite3 *db;
            cr_err err = {0};
            if (cr_db_open(path, 10000, &db, &err) != CR_OK) {
                fprintf(stderr, "# writer %d: %s\n", w, err.msg);
                _exit(1);
            }
            int rc = sqlite3_exec(db,
                                  "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS t(x INTEGER);"
                                  "CREATE INDEX IF NOT EXISTS t_x ON t(x);"
                                  "CREATE TABLE IF NOT EXISTS u(y INTEGER); COMMIT;",
                                  NULL, NULL, NULL);
            for (int row = 0; row < 3 && rc == SQLITE_OK; row++)
                rc = sqlite3_exec(db, "INSERT INTO t VALUES (1)", NULL, NULL, NULL);
            sqlite3_close(db);
            _exit(rc == SQLITE_OK ? 0 : 2);
        }
    }
    int failed = 0;
    for (int w = 0; w < writers; w++) {
        int status;
        if (pids[w] < 0 || waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            failed++;
    }
    return failed;
}

TEST(many_processes_open_one_new_file)
{
    char folder[] = "/tmp/cr-db-XXXXXX";
    CHECK(mkdtemp(folder) != NULL);
    int failed = 0, rows_wrong = 0;
    for (int round = 0; round < 200; round++) {
        char path[64];
        snprintf(path, sizeof path, "%s/r%d.sqlite", folder, round);
        failed += open_together(path, 4);
        sqlite3 *db;
        cr_err err = {0};
        if (cr_db_open(path, 1000, &db, &err) == CR_OK) {
            sqlite3_stmt *s;
            int rows = -1;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &s, NULL) == SQLITE_OK &&
                sqlite3_step(s) == SQLITE_ROW)
                rows = sqlite3_column_int(s, 0);
            sqlite3_finalize(s);
            sqlite3_close(db);
            rows_wrong += rows != 12;
        } else {
            rows_wrong++;
        }
    }
    CHECK_INT_EQ(failed, 0);
    CHECK_INT_EQ(rows_wrong, 0);
    char command[96];
    snprintf(command, sizeof command, "rm -rf '%s'", folder);
    CHECK_INT_EQ(system(command), 0);
}

TEST(wal_mode_is_set)
{
    char path[] = "/tmp/cr-db-wal-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    sqlite3 *db;
    cr_err err = {0};
    CHECK_INT_EQ(cr_db_open(path, 1000, &db, &err), CR_OK);
    sqlite3_stmt *s;
    const char *mode = "";
    CHECK_INT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(s, 0);
    CHECK_STR_EQ(mode, "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
    char side[64];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

TEST(errors_name_the_file)
{
    sqlite3 *db = (sqlite3 *)1;
    cr_err err = {0};
    CHECK_INT_EQ(cr_db_open("/nonexistent-folder/x.sqlite", 100, &db, &err), CR_EIO);
    CHECK(db == NULL);
    CHECK(strstr(err.msg, "/nonexistent-folder/x.sqlite: ") == err.msg);

    char path[] = "/tmp/cr-db-junk-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    char junk[4096];
    memset(junk, 'j', sizeof junk);
    CHECK_INT_EQ(write(fd, junk, sizeof junk), (long long)sizeof junk);
    close(fd);
    CHECK_INT_EQ(cr_db_open(path, 100, &db, &err), CR_EIO);
    CHECK(strstr(err.msg, "not a database") != NULL);
    unlink(path);
}

int main(void)
{
    RUN(many_processes_open_one_new_file);
    RUN(wal_mode_is_set);
    RUN(errors_name_the_file);
    return check_summary();
}
