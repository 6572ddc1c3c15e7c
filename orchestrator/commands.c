/* commands.c — the orchestrator's commands (see commands.h). The daemon's loop is engine.c;
 * the socket and lock are control.c's; this file strings them together the way a user runs
 * them, and prints what a user reads on stdout. */
#include "commands.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "dashboard.h"
#include "engine.h"
#include "fs.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "parse.h"
#include "paths.h"
#include "record.h"
#include "report.h"

static const char *mode_text(const stage_config *s)
{
    switch (s->input_mode) {
    case INPUT_ONE:
        return "one run per file";
    case INPUT_MANY:
        return "files in batches";
    default:
        return "one run for all waiting files";
    }
}

int cmd_validate(const char *config_path, cr_err *err)
{
    pipeline_config c;
    int code = config_load(&c, config_path, err);
    if (code)
        return code;
    code = config_check(&c, err);
    if (!code) {
        printf("%s: ok: %d stage%s, workspace %s, at most %d runs at once\n", c.path, c.stage_count,
               c.stage_count == 1 ? "" : "s", c.workspace, c.concurrency);
        for (int i = 0; i < c.stage_count; i++) {
            const stage_config *s = &c.stages[i];
            char program[PATH_MAX], timeout[32], settle[32];
            program_resolve(s->argv[0], program, sizeof program, NULL);
            if (s->timeout_ms > 0)
                cr_format_duration(s->timeout_ms, timeout, sizeof timeout);
            else
                snprintf(timeout, sizeof timeout, "none"); /* `timeout: 0s` */
            cr_format_duration(s->settle_ms, settle, sizeof settle);
            printf("  %-12s watch", s->name);
            for (int w = 0; w < s->watch_count; w++)
                printf(" %s", s->watch[w]);
            printf(", %s (max %d), settle %s, timeout %s, %d attempt%s, program %s\n", mode_text(s),
                   s->concurrency, settle, timeout, s->retry.max_attempts,
                   s->retry.max_attempts == 1 ? "" : "s", program);
        }
        if (c.dashboard.listen)
            printf("  dashboard    %s%s\n", c.dashboard.listen,
                   c.dashboard.loopback ? "" : " (allow_remote: reachable from the network)");
    }
    config_free(&c);
    return code;
}

/* Loads the config and enters its workspace (made when missing). */
static int enter(pipeline_config *c, const char *config_path, cr_err *err)
{
    int code = config_load(c, config_path, err);
    if (code)
        return code;
    code = workspace_prepare(c, err);
    if (code)
        config_free(c);
    return code;
}

int cmd_start(const char *config_path, int foreground, cr_err *err)
{
    pipeline_config c;
    int code = enter(&c, config_path, err);
    if (code)
        return code;
    cr_err missing;
    if (config_check(&c, &missing))
        fprintf(stderr, "orchestrator: warning: %s (its inputs will fail until it exists)\n",
                missing.msg);
    int lock_fd = -1;
    pid_t holder;
    code = pidfile_lock(&lock_fd, &holder, err);
    if (code) {
        cr_err_context(err, "start: workspace %s", c.workspace);
        config_free(&c);
        return code;
    }
    int report_fd = -1;
    if (!foreground) {
        int exit_code;
        if (daemon_detach(&report_fd, &exit_code, STATE_LOG, err) != 0) {
            config_free(&c);
            close(lock_fd);
            if (exit_code) {
                cr_err_clear(err);
                err->code = exit_code;
                err->msg[0] = '\0'; /* already printed by daemon_detach */
            }
            return exit_code;
        }
    }
    char ready[PATH_MAX + 128];
    snprintf(ready, sizeof ready, "orchestrator: started, pid %ld (workspace %s)", (long)getpid(),
             c.workspace);
    engine *e = NULL;
    int control_fd = -1;
    code = pidfile_write(lock_fd, getpid(), err);
    if (!code)
        code = control_listen(&control_fd, err);
    if (!code)
        code = engine_open(&e, &c, ENGINE_DAEMON, err);
    if (code) {
        daemon_report(report_fd, code, err->msg);
        if (control_fd >= 0) {
            close(control_fd);
            unlink(STATE_SOCKET);
        }
        config_free(&c);
        close(lock_fd);
        return code;
    }
    /* The dashboard is a view: when its port is taken the pipeline still runs, and says so. */
    dashboard *dash = NULL;
    cr_err why = {0};
    if (engine_config(e)->dashboard.listen &&
        dashboard_start(&dash, engine_config(e), getpid(), cmd_retry, &why) != CR_OK)
        cr_warn("running without the dashboard: %s", why.msg);
    if (engine_config(e)->dashboard.listen)
        snprintf(ready + strlen(ready), sizeof ready - strlen(ready), "; %s%s",
                 dash ? "dashboard " : "no dashboard: ", dash ? dashboard_url(dash) : why.msg);
    engine_set_control_fd(e, control_fd);
    cr_info("started, pid %ld: workspace %s, config %s, %d stages", (long)getpid(),
            engine_config(e)->workspace, engine_config(e)->path, engine_config(e)->stage_count);
    if (report_fd >= 0)
        daemon_report(report_fd, 0, ready);
    else
        fprintf(stderr, "%s\n", ready);
    code = engine_run(e, err);
    dashboard_stop(dash);
    cr_info("stopped, pid %ld", (long)getpid());
    unlink(STATE_SOCKET);
    close(control_fd);
    engine_close(e);
    ftruncate(lock_fd, 0);
    close(lock_fd);
    return code;
}

/* Enters the workspace of an existing config without making anything. */
static int enter_existing(pipeline_config *c, const char *config_path, int *exists, cr_err *err)
{
    int code = config_load(c, config_path, err);
    if (code)
        return code;
    *exists = chdir(c->workspace) == 0;
    return CR_OK;
}

int cmd_stop(const char *config_path, int64_t timeout_ms, cr_err *err)
{
    pipeline_config c;
    int exists;
    int code = enter_existing(&c, config_path, &exists, err);
    if (code)
        return code;
    pid_t pid = exists ? pidfile_holder() : 0;
    if (pid <= 0) {
        printf("orchestrator: not running (workspace %s)\n", c.workspace);
        config_free(&c);
        return CR_OK;
    }
    cr_buf reply;
    cr_buf_init(&reply);
    code = control_request("stop", &reply, 5000, err);
    int signalled = code != CR_OK;
    if (code) {
        /* The socket is gone (removed, or the daemon is stuck before answering), but the
         * pidfile's lock names the daemon for sure: SIGTERM, which ends its runs (they run
         * again at the next start) instead of waiting for them. */
        char shown[sizeof err->msg * 2];
        cr_escape_controls(err->msg, shown, sizeof shown);
        printf("orchestrator: the control socket does not answer (%s): sending SIGTERM to pid "
               "%ld\n",
               shown, (long)pid);
        if (kill(pid, SIGTERM) != 0) {
            cr_buf_free(&reply);
            config_free(&c);
            return cr_fail_errno(err, CR_ETEMP, "stop: pid %ld", (long)pid);
        }
        code = CR_OK;
    } else {
        printf("orchestrator: %s", reply.data ? reply.data : "stopping\n");
    }
    fflush(stdout);
    cr_buf_free(&reply);
    int64_t deadline = mono_ms() + timeout_ms;
    while (pidfile_holder() > 0 && mono_ms() < deadline)
        usleep(50000);
    if (signalled && pidfile_holder() > 0) {
        /* no socket to ask for stop-now: a daemon that outlives SIGTERM is stopped (SIGSTOP)
         * or stuck, which the user must look at */
        char limit[32];
        cr_format_duration(timeout_ms, limit, sizeof limit);
        config_free(&c);
        return cr_fail(err, CR_ETEMP,
                       "stop: pid %ld is still running %s after SIGTERM (stopped or stuck? see "
                       "/proc/%ld/status; kill -CONT or kill -KILL it)",
                       (long)pid, limit, (long)pid);
    }
    if (pidfile_holder() > 0) {
        char limit[32];
        cr_format_duration(timeout_ms, limit, sizeof limit);
        printf("orchestrator: runs still going after %s: ending them (they run again at the "
               "next start)\n",
               limit);
        cr_buf_init(&reply);
        control_request("stop-now", &reply, 5000, NULL);
        cr_buf_free(&reply);
        deadline = mono_ms() + 120000;
        while (pidfile_holder() > 0 && mono_ms() < deadline)
            usleep(50000);
        if (pidfile_holder() > 0) {
            config_free(&c);
            return cr_fail(err, CR_ETEMP, "stop: pid %ld is still running", (long)pid);
        }
    }
    /* The lock goes just before the process: wait for the process too. */
    for (int tries = 0; tries < 100 && kill(pid, 0) == 0; tries++)
        usleep(20000);
    printf("orchestrator: stopped (pid %ld)\n", (long)pid);
    config_free(&c);
    return CR_OK;
}

int cmd_status(const char *config_path, int json, cr_err *err)
{
    pipeline_config c;
    int exists;
    int code = enter_existing(&c, config_path, &exists, err);
    if (code)
        return code;
    pid_t pid = exists ? pidfile_holder() : 0;
    cr_buf out;
    cr_buf_init(&out);
    if (pid > 0 && control_request(json ? "status-json" : "status", &out, 5000, NULL) == CR_OK &&
        out.len > 0) {
        fputs(out.data, stdout);
        cr_buf_free(&out);
        config_free(&c);
        return CR_OK;
    }
    cr_buf_reset(&out);
    record *rec = NULL;
    if (exists && cr_is_file(STATE_RECORD))
        code = record_open(&rec, STATE_RECORD, err);
    if (!code && rec) {
        code = report_status(rec, &c, pid > 0 ? pid : 0, NULL, json, &out);
        record_close(rec);
    } else if (!code) {
        if (json) {
            cr_json j;
            cr_json_init(&j, &out);
            cr_json_object_begin(&j);
            cr_json_kv_bool(&j, "running", 0);
            cr_json_kv_string(&j, "workspace", c.workspace);
            cr_json_key(&j, "stages");
            cr_json_array_begin(&j);
            cr_json_array_end(&j);
            cr_json_object_end(&j);
            cr_buf_putc(&out, '\n');
        } else
            cr_buf_printf(&out, "orchestrator: not running, nothing recorded yet (workspace %s)\n",
                          c.workspace);
    }
    if (!code && out.data)
        fputs(out.data, stdout);
    cr_buf_free(&out);
    config_free(&c);
    return code;
}

int cmd_run(const char *config_path, const char *stage, char *const *files, int file_count,
            cr_err *err)
{
    /* Paths are the user's, relative to where the command runs: resolve before entering the
     * workspace. */
    char **absolute = calloc((size_t)file_count + 1, sizeof *absolute);
    if (!absolute)
        return cr_fail(err, CR_EOTHER, "out of memory");
    int code = CR_OK;
    for (int k = 0; k < file_count && !code; k++) {
        /* not realpath: a symlink is judged where it lies (engine.c, paths.h), not where it
         * leads */
        char lexical[PATH_MAX];
        absolute[k] =
            path_absolute_lexical(files[k], lexical, sizeof lexical) == 0 ? strdup(lexical) : NULL;
        struct stat st;
        if (!absolute[k])
            code = cr_fail(err, CR_EUSAGE, "run: %s: path too long", files[k]);
        else if (stat(absolute[k], &st) != 0)
            code = cr_fail_errno(err, cr_exit_for_errno(errno), "run: %s", files[k]);
        else if (!cr_is_file(absolute[k]))
            code = cr_fail(err, CR_ENOINPUT, "run: %s: not a regular file", files[k]);
    }
    pipeline_config c;
    if (!code)
        code = enter(&c, config_path, err);
    if (code) {
        for (int k = 0; k < file_count; k++)
            free(absolute[k]);
        free(absolute);
        return code;
    }
    if (!config_stage(&c, stage)) {
        code = cr_fail(err, CR_EUSAGE, "run: no stage named '%s' in %s", stage, c.path);
        config_free(&c);
    }
    engine *e = NULL;
    if (!code)
        code = engine_open(&e, &c, ENGINE_ONCE, err);
    int seeded = 0;
    if (!code)
        code = engine_seed(e, stage, absolute, file_count, &seeded, err);
    for (int k = 0; k < file_count; k++)
        free(absolute[k]);
    free(absolute);
    if (!code && seeded == 0) {
        printf("orchestrator: run %s: nothing waiting in its folders\n", stage);
    } else if (!code) {
        code = engine_run(e, err);
        int done, failed, other;
        engine_once_summary(e, &done, &failed, &other);
        printf("orchestrator: run %s: %d done, %d failed%s%s\n", stage, done, failed,
               failed ? " (moved to " FAILED_DIR "/)" : "", other ? ", some interrupted" : "");
        if (code)
            cr_fail(err, code, "run %s: %d input%s failed", stage, failed, failed == 1 ? "" : "s");
        else if (other)
            code = cr_fail(err, CR_ETEMP, "run %s: interrupted; %d input%s left queued", stage,
                           other, other == 1 ? "" : "s");
    }
    engine_close(e);
    return code;
}

/* ---- logs ---- */

static void print_run(sqlite3_stmt *s)
{
    char duration[32];
    cr_format_duration(sqlite3_column_int64(s, 5), duration, sizeof duration);
    long long items = sqlite3_column_int64(s, 6);
    const unsigned char *first = sqlite3_column_text(s, 7);
    const unsigned char *log = sqlite3_column_text(s, 8);
    const unsigned char *outcome = sqlite3_column_text(s, 4);
    char first_shown[2048];
    cr_escape_controls(first ? (const char *)first : "(no input)", first_shown, sizeof first_shown);
    char exit_text[16] = "-"; /* interrupted: the program did not end on its own */
    if (sqlite3_column_type(s, 3) != SQLITE_NULL &&
        !(outcome && !strcmp((const char *)outcome, "interrupted")))
        snprintf(exit_text, sizeof exit_text, "%lld", sqlite3_column_int64(s, 3));
    printf("== run %lld %s: %s, exit %s, %s, %s%s", sqlite3_column_int64(s, 0),
           sqlite3_column_text(s, 1), outcome ? (const char *)outcome : "?", exit_text, duration,
           first_shown, items > 1 ? "" : "\n");
    if (items > 1)
        printf(" (+%lld more)\n", items - 1);
    char *text = NULL;
    size_t len = 0;
    if (log && cr_read_file((const char *)log, &text, &len, 0, NULL) == CR_OK) {
        fwrite(text, 1, len, stdout);
        if (len && text[len - 1] != '\n')
            putchar('\n');
        free(text);
    }
    fflush(stdout);
}

int cmd_logs(const char *config_path, const char *stage, int follow, int run_count, cr_err *err)
{
    pipeline_config c;
    int exists;
    int code = enter_existing(&c, config_path, &exists, err);
    if (code)
        return code;
    if (stage && !config_stage(&c, stage)) {
        code = cr_fail(err, CR_EUSAGE, "logs: no stage named '%s' in %s", stage, c.path);
        config_free(&c);
        return code;
    }
    config_free(&c);
    if (!exists || !cr_is_file(STATE_RECORD)) {
        if (!follow) {
            printf("orchestrator: no runs recorded yet\n");
            return CR_OK;
        }
        while (!cr_is_file(STATE_RECORD))
            usleep(200000);
    }
    record *rec;
    if ((code = record_open(&rec, STATE_RECORD, err)))
        return code;
    sqlite3 *db = record_db(rec);
    sqlite3_stmt *last, *after;
    const char *columns = "SELECT id, stage, start_ms, exit, outcome, duration_ms, item_count,"
                          " first_input, log FROM runs";
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT * FROM (%s WHERE end_ms IS NOT NULL AND (?1 IS NULL OR stage=?1)"
             " ORDER BY id DESC LIMIT ?2) ORDER BY id",
             columns);
    int prepared = sqlite3_prepare_v2(db, sql, -1, &last, NULL) == SQLITE_OK;
    snprintf(sql, sizeof sql,
             "%s WHERE end_ms IS NOT NULL AND (?1 IS NULL OR stage=?1) AND end_ms >= ?2"
             " ORDER BY end_ms, id",
             columns);
    prepared = prepared && sqlite3_prepare_v2(db, sql, -1, &after, NULL) == SQLITE_OK;
    if (!prepared) {
        code = cr_fail(err, CR_EIO, "logs: %s", sqlite3_errmsg(db));
        record_close(rec);
        return code;
    }
    if (stage)
        sqlite3_bind_text(last, 1, stage, -1, SQLITE_STATIC);
    sqlite3_bind_int(last, 2, run_count);
    int64_t since = wall_ms();
    /* Runs printed at the edge of "since", so that none is printed twice while following. */
    int64_t printed[4096];
    int printed_count = 0;
    int shown = 0;
    while (sqlite3_step(last) == SQLITE_ROW) {
        print_run(last);
        shown++;
    }
    sqlite3_finalize(last);
    if (!shown && !follow)
        printf("orchestrator: no runs%s%s recorded yet\n", stage ? " of " : "", stage ? stage : "");
    while (follow) {
        usleep(200000);
        sqlite3_reset(after);
        if (stage)
            sqlite3_bind_text(after, 1, stage, -1, SQLITE_STATIC);
        sqlite3_bind_int64(after, 2, since);
        int64_t newest = since;
        while (sqlite3_step(after) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(after, 0);
            int seen = 0;
            for (int k = 0; k < printed_count; k++)
                seen |= printed[k] == id;
            if (seen)
                continue;
            print_run(after);
            int64_t end = sqlite3_column_int64(after, 2) + sqlite3_column_int64(after, 5);
            if (end > newest) {
                newest = end;
                printed_count = 0;
            }
            if (printed_count < 4096)
                printed[printed_count++] = id;
        }
        since = newest;
    }
    sqlite3_finalize(after);
    record_close(rec);
    return CR_OK;
}

/* ---- retry ---- */

int cmd_retry(const char *config_path, const char *item_text, cr_err *err)
{
    pipeline_config c;
    int code = enter(&c, config_path, err);
    if (code)
        return code;
    record *rec;
    if ((code = record_open(&rec, STATE_RECORD, err))) {
        config_free(&c);
        return code;
    }
    sqlite3 *db = record_db(rec);
    sqlite3_stmt *s;
    const char *sql =
        "SELECT id, stage, path, hash, failed_path FROM items WHERE state='failed' AND"
        " (?1 IS NULL OR id=CAST(?1 AS INTEGER) OR path=?1 OR failed_path=?1) ORDER BY id";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        code = cr_fail(err, CR_EIO, "retry: %s", sqlite3_errmsg(db));
        record_close(rec);
        config_free(&c);
        return code;
    }
    char wanted[PATH_MAX] = "";
    if (item_text) {
        /* A path may be given from anywhere: make it relative to the workspace if inside. */
        snprintf(wanted, sizeof wanted, "%s", item_text);
        size_t wlen = strlen(c.workspace);
        if (!strncmp(wanted, c.workspace, wlen) && wanted[wlen] == '/')
            memmove(wanted, wanted + wlen + 1, strlen(wanted + wlen + 1) + 1);
        sqlite3_bind_text(s, 1, wanted, -1, SQLITE_STATIC);
    }
    /* Read first, write after: a write inside an open read of an older snapshot would fail
     * with "database is locked" whenever the daemon wrote in between. */
    typedef struct failed_row {
        long long id;
        char *stage, *path, *hash, *moved;
    } failed_row;
    failed_row *rows = NULL;
    int row_count = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        failed_row *grown = realloc(rows, (size_t)(row_count + 1) * sizeof *rows);
        if (!grown)
            break;
        rows = grown;
        failed_row *r = &rows[row_count++];
        r->id = sqlite3_column_int64(s, 0);
        const unsigned char *moved = sqlite3_column_text(s, 4);
        r->stage = strdup((const char *)sqlite3_column_text(s, 1));
        r->path = strdup((const char *)sqlite3_column_text(s, 2));
        r->hash = strdup((const char *)sqlite3_column_text(s, 3));
        r->moved = moved ? strdup((const char *)moved) : NULL;
    }
    sqlite3_finalize(s);
    int requeued = 0, problems = 0;
    for (int k = 0; k < row_count; k++) {
        long long id = rows[k].id;
        const char *stage = rows[k].stage;
        const char *path = rows[k].path;
        const char *hash = rows[k].hash;
        const char *moved = rows[k].moved;
        char path_shown[2048], moved_shown[2048]; /* names on the terminal: escaped */
        cr_escape_controls(path, path_shown, sizeof path_shown);
        cr_escape_controls(moved ? moved : "", moved_shown, sizeof moved_shown);
        if (moved && strcmp(moved, path) && cr_is_file(moved)) {
            if (cr_is_file(path)) {
                fprintf(stderr, "orchestrator: retry: item %lld: %s exists; not overwriting it\n",
                        id, path_shown);
                problems++;
                continue;
            }
            char folder[PATH_MAX];
            cr_path_dirname(path, folder, sizeof folder);
            cr_mkdir_p(folder, NULL);
            if (rename(moved, path) != 0) {
                fprintf(stderr, "orchestrator: retry: item %lld: moving %s back: %s\n", id,
                        moved_shown, strerror(errno));
                problems++;
                continue;
            }
            char error_file[PATH_MAX + 8];
            snprintf(error_file, sizeof error_file, "%s.error", moved);
            unlink(error_file); /* the record keeps the history */
        }
        if (!cr_is_file(path)) {
            fprintf(stderr, "orchestrator: retry: item %lld: %s is gone\n", id, path_shown);
            problems++;
            continue;
        }
        struct stat st;
        stat(path, &st);
        int64_t item_id;
        int result;
        char hex[CR_SHA256_HEX_SIZE];
        if (cr_sha256_file_hex(path, hex, NULL) != CR_OK)
            snprintf(hex, sizeof hex, "%s", hash);
        if (record_add(rec, stage, path, hex, st.st_size,
                       (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, wall_ms(), 1,
                       &item_id, &result, err) != CR_OK) {
            fprintf(stderr, "orchestrator: retry: item %lld: %s\n", id, err->msg);
            problems++;
            continue;
        }
        if (item_id != id) {
            /* Changed content is a new item; the old one is closed so that it is not retried
             * twice. */
            record_item_update(rec, id, ITEM_GONE, 0, 0, -1,
                               "moved back by retry with changed content: a new item", NULL, 0,
                               wall_ms(), NULL);
        }
        printf("orchestrator: item %lld (%s): %s queued again%s\n", id, stage, path_shown,
               item_id != id ? " (changed content: a new item)" : "");
        requeued++;
    }
    for (int k = 0; k < row_count; k++) {
        free(rows[k].stage);
        free(rows[k].path);
        free(rows[k].hash);
        free(rows[k].moved);
    }
    free(rows);
    record_close(rec);
    if (requeued && pidfile_holder() > 0) {
        cr_buf reply;
        cr_buf_init(&reply);
        control_request("wake", &reply, 2000, NULL);
        cr_buf_free(&reply);
    }
    config_free(&c);
    if (!requeued && !problems)
        return cr_fail(err, CR_ENOINPUT, "retry: no failed item %s%s", item_text ? "matches " : "",
                       item_text ? item_text : "is recorded");
    if (problems)
        return cr_fail(err, CR_EIO, "retry: %d item%s could not be queued again", problems,
                       problems == 1 ? "" : "s");
    return CR_OK;
}
