/* commands.c — the orchestrator's commands (see commands.h). The daemon's loop is engine.c;
 * the socket and lock are control.c's; this file strings them together the way a user runs
 * them, and prints what a user reads on stdout. */
#include "commands.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "dashboard.h"
#include "engine.h"
#include "fs.h"
#include "hash.h"
#include "item.h"
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
    int lock_fd = -1, report_fd = -1, control_fd = -1;
    pid_t holder;
    code = pidfile_lock(&lock_fd, &holder, err);
    if (code)
        cr_err_context(err, "start: workspace %s", c.workspace);
    if (!code && !foreground) {
        code = daemon_detach(&report_fd, STATE_LOG, err);
        if (report_fd < 0) { /* the caller's process: the daemon's report is printed */
            config_free(&c);
            close(lock_fd);
            return code;
        }
    }
    char ready[PATH_MAX + 128];
    snprintf(ready, sizeof ready, "orchestrator: started, pid %ld (workspace %s)", (long)getpid(),
             c.workspace);
    engine *e = NULL;
    if (!code)
        code = pidfile_write(lock_fd, getpid(), err);
    if (!code)
        code = control_listen(&control_fd, err);
    if (!code)
        code = engine_open(&e, &c, ENGINE_DAEMON, err);
    if (!code)
        code = control_attach(e, control_fd, err);
    if (code) {
        engine_close(e);
        daemon_report(report_fd, code, err->msg);
        if (control_fd >= 0) {
            close(control_fd);
            unlink(STATE_SOCKET);
        }
        config_free(&c);
        if (lock_fd >= 0)
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

/* Enters the workspace of an existing config without making anything; *daemon_pid: the
 * daemon that runs there, 0 when none (NULL: not asked). */
static int enter_existing(pipeline_config *c, const char *config_path, int *exists,
                          pid_t *daemon_pid, cr_err *err)
{
    int code = config_load(c, config_path, err);
    if (code)
        return code;
    *exists = chdir(c->workspace) == 0;
    if (daemon_pid)
        *daemon_pid = *exists ? pidfile_holder() : 0;
    return CR_OK;
}

/* Waits up to wait_ms for the daemon to let its lock go. */
static void wait_for_stop(int64_t wait_ms)
{
    int64_t deadline = cr_mono_ms() + wait_ms;
    while (pidfile_holder() > 0 && cr_mono_ms() < deadline)
        usleep(50000);
}

int cmd_stop(const char *config_path, int64_t timeout_ms, cr_err *err)
{
    pipeline_config c;
    int exists;
    pid_t pid;
    int code = enter_existing(&c, config_path, &exists, &pid, err);
    if (code)
        return code;
    if (pid <= 0)
        printf("orchestrator: not running (workspace %s)\n", c.workspace);
    config_free(&c);
    if (pid <= 0)
        return CR_OK;
    cr_buf reply;
    cr_buf_init(&reply);
    int signalled = control_request("stop", &reply, 5000, err) != CR_OK;
    if (!signalled)
        printf("orchestrator: %s", reply.data ? reply.data : "stopping\n");
    cr_buf_free(&reply);
    if (signalled) {
        /* The socket is gone (removed, or the daemon is stuck before answering), but the
         * pidfile's lock names the daemon for sure: SIGTERM, which ends its runs (they run
         * again at the next start) instead of waiting for them. */
        char shown[sizeof err->msg * 2];
        cr_escape_controls(err->msg, shown, sizeof shown);
        printf("orchestrator: the control socket does not answer (%s): sending SIGTERM to pid "
               "%ld\n",
               shown, (long)pid);
        if (kill(pid, SIGTERM) != 0)
            return cr_fail_errno(err, CR_ETEMP, "stop: pid %ld", (long)pid);
    }
    fflush(stdout);
    wait_for_stop(timeout_ms);
    char limit[32];
    cr_format_duration(timeout_ms, limit, sizeof limit);
    if (signalled && pidfile_holder() > 0) {
        /* no socket to ask for stop-now: a daemon that outlives SIGTERM is stopped (SIGSTOP)
         * or stuck, which the user must look at */
        return cr_fail(err, CR_ETEMP,
                       "stop: pid %ld is still running %s after SIGTERM (stopped or stuck? see "
                       "/proc/%ld/status; kill -CONT or kill -KILL it)",
                       (long)pid, limit, (long)pid);
    }
    if (pidfile_holder() > 0) {
        printf("orchestrator: runs still going after %s: ending them (they run again at the "
               "next start)\n",
               limit);
        /* no answer needed: whether the daemon ends is what is waited for */
        control_request("stop-now", NULL, 5000, NULL);
        wait_for_stop(120000);
        if (pidfile_holder() > 0)
            return cr_fail(err, CR_ETEMP, "stop: pid %ld is still running", (long)pid);
    }
    /* The lock goes just before the process: wait for the process too. */
    for (int tries = 0; tries < 100 && kill(pid, 0) == 0; tries++)
        usleep(20000);
    printf("orchestrator: stopped (pid %ld)\n", (long)pid);
    return CR_OK;
}

int cmd_status(const char *config_path, int json, cr_err *err)
{
    pipeline_config c;
    int exists;
    pid_t pid;
    int code = enter_existing(&c, config_path, &exists, &pid, err);
    if (code)
        return code;
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
    if (!code)
        code = report_status(rec, &c, pid > 0 ? pid : 0, NULL, json, &out, err);
    record_close(rec);
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
    if (!code && !config_stage(&c, stage)) {
        code = cr_fail(err, CR_EUSAGE, "run: no stage named '%s' in %s", stage, c.path);
        config_free(&c);
    }
    engine *e = NULL;
    if (!code)
        code = engine_open(&e, &c, ENGINE_ONCE, err);
    int seeded = 0;
    if (!code)
        code = engine_seed(e, stage, absolute, file_count, &seeded, err);
    cr_free_list(absolute, (size_t)file_count);
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

typedef struct logs_follow {
    int64_t newest_end_ms;
    int64_t printed[4096]; /* runs printed at the edge of newest_end_ms: none twice */
    int printed_count;
    int shown;
} logs_follow;

static void print_run(const record_run_row *run, void *arg)
{
    logs_follow *f = arg;
    for (int k = 0; k < f->printed_count; k++)
        if (f->printed[k] == run->id)
            return;
    if (run->end_ms > f->newest_end_ms) {
        f->newest_end_ms = run->end_ms;
        f->printed_count = 0;
    }
    if (f->printed_count < 4096)
        f->printed[f->printed_count++] = run->id;
    f->shown++;
    char duration[32], first_shown[2048];
    cr_format_duration(run->duration_ms < 0 ? 0 : run->duration_ms, duration, sizeof duration);
    cr_escape_controls(run->first_input ? run->first_input : "(no input)", first_shown,
                       sizeof first_shown);
    char exit_text[16] = "-"; /* interrupted: the program did not end on its own */
    if (run->has_exit && !(run->outcome && !strcmp(run->outcome, "interrupted")))
        snprintf(exit_text, sizeof exit_text, "%d", run->exit_code);
    printf("== run %lld %s: %s, exit %s, %s, %s%s", (long long)run->id, run->stage,
           run->outcome ? run->outcome : "?", exit_text, duration, first_shown,
           run->item_count > 1 ? "" : "\n");
    if (run->item_count > 1)
        printf(" (+%d more)\n", run->item_count - 1);
    char *text = NULL;
    size_t len = 0;
    if (run->log && cr_read_file(run->log, &text, &len, 0, NULL) == CR_OK) {
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
    int code = enter_existing(&c, config_path, &exists, NULL, err);
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
    logs_follow *f = calloc(1, sizeof *f);
    if (!f) {
        record_close(rec);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    f->newest_end_ms = cr_wall_ms();
    int64_t since = f->newest_end_ms;
    record_run_filter last = {.stage = stage, .limit = run_count, .oldest_first = 1};
    code = record_list_runs(rec, &last, print_run, f, err);
    f->printed_count = 0; /* the past runs all ended before `since` */
    f->newest_end_ms = since;
    if (!code && !f->shown && !follow)
        printf("orchestrator: no runs%s%s recorded yet\n", stage ? " of " : "", stage ? stage : "");
    while (!code && follow) {
        usleep(200000);
        record_run_filter after = {.stage = stage, .ended_since_ms = f->newest_end_ms, .limit = -1};
        code = record_list_runs(rec, &after, print_run, f, err);
    }
    free(f);
    record_close(rec);
    return code;
}

/* ---- retry ---- */

typedef struct failed_row {
    long long id;
    char *stage, *path, *hash, *moved;
} failed_row;

typedef struct failed_rows {
    failed_row *rows;
    size_t cap;
    int count, out_of_memory;
} failed_rows;

static void keep_failed(const record_item_row *item, void *arg)
{
    failed_rows *found = arg;
    if (cr_grow(&found->rows, &found->cap, (size_t)found->count + 1, sizeof *found->rows) < 0) {
        found->out_of_memory = 1;
        return;
    }
    failed_row *r = &found->rows[found->count++];
    r->id = item->id;
    r->stage = strdup(item->stage ? item->stage : "");
    r->path = strdup(item->path ? item->path : "");
    r->hash = strdup(item->hash ? item->hash : "");
    r->moved = item->failed_path ? strdup(item->failed_path) : NULL;
    if (!r->stage || !r->path || !r->hash)
        found->out_of_memory = 1;
}

static void failed_rows_free(failed_rows *found)
{
    for (int k = 0; k < found->count; k++) {
        free(found->rows[k].stage);
        free(found->rows[k].path);
        free(found->rows[k].hash);
        free(found->rows[k].moved);
    }
    free(found->rows);
}

/* Says on stderr why a failed item could not be queued again, and counts it. */
static void problem(int *problems, long long id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(int *problems, long long id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "orchestrator: retry: item %lld: ", id);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    (*problems)++;
}

/* Moves one failed item's input back from failed/ and queues it again: 1 when it is queued. */
static int retry_one(record *rec, const failed_row *r, int *problems, cr_err *err)
{
    char path_shown[2048], moved_shown[2048]; /* names on the terminal: escaped */
    cr_escape_controls(r->path, path_shown, sizeof path_shown);
    cr_escape_controls(r->moved ? r->moved : "", moved_shown, sizeof moved_shown);
    if (r->moved && strcmp(r->moved, r->path) && cr_is_file(r->moved)) {
        if (cr_is_file(r->path)) {
            problem(problems, r->id, "%s exists; not overwriting it", path_shown);
            return 0;
        }
        char folder[PATH_MAX];
        cr_path_dirname(r->path, folder, sizeof folder);
        cr_mkdir_p(folder, NULL);
        if (rename(r->moved, r->path) != 0) {
            problem(problems, r->id, "moving %s back: %s", moved_shown, strerror(errno));
            return 0;
        }
        char error_file[PATH_MAX + 8];
        snprintf(error_file, sizeof error_file, "%s.error", r->moved);
        unlink(error_file); /* the record keeps the history */
    }
    if (!cr_is_file(r->path)) {
        problem(problems, r->id, "%s is gone", path_shown);
        return 0;
    }
    struct stat st;
    stat(r->path, &st);
    int64_t item_id;
    int result;
    char hex[CR_SHA256_HEX_SIZE];
    if (cr_sha256_file_hex(r->path, hex, NULL) != CR_OK)
        snprintf(hex, sizeof hex, "%s", r->hash);
    if (record_add(rec, r->stage, r->path, hex, st.st_size,
                   (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, cr_wall_ms(), 1,
                   &item_id, &result, err) != CR_OK) {
        problem(problems, r->id, "%s", err->msg);
        return 0;
    }
    /* Changed content is a new item; the old one is closed so that it is not retried twice. */
    if (item_id != r->id &&
        record_item_update(rec, r->id, ITEM_GONE, 0, 0, -1,
                           "moved back by retry with changed content: a new item", NULL, 0,
                           cr_wall_ms(), err) != CR_OK)
        problem(problems, r->id, "%s", err->msg);
    printf("orchestrator: item %lld (%s): %s queued again%s\n", r->id, r->stage, path_shown,
           item_id != r->id ? " (changed content: a new item)" : "");
    return 1;
}

int cmd_retry(const char *config_path, const char *item_text, cr_err *err)
{
    pipeline_config c;
    int code = enter(&c, config_path, err);
    if (code)
        return code;
    char wanted[PATH_MAX] = ""; /* a path may be given from anywhere */
    if (item_text)
        workspace_relative(c.workspace, item_text, wanted, sizeof wanted);
    config_free(&c);
    record *rec;
    if ((code = record_open(&rec, STATE_RECORD, err)))
        return code;
    /* Read first, write after: a write inside an open read of an older snapshot would fail
     * with "database is locked" whenever the daemon wrote in between. */
    failed_rows found = {0};
    record_item_filter failed = {
        .state = ITEM_FAILED, .named = item_text ? wanted : NULL, .limit = -1, .by_id = 1};
    code = record_list_items(rec, &failed, keep_failed, &found, err);
    if (!code && found.out_of_memory)
        code = cr_fail(err, CR_EOTHER, "retry: out of memory");
    int requeued = 0, problems = 0;
    for (int k = 0; !code && k < found.count; k++)
        requeued += retry_one(rec, &found.rows[k], &problems, err);
    failed_rows_free(&found);
    record_close(rec);
    if (code)
        return code;
    if (requeued && pidfile_holder() > 0) /* best effort: else the daemon looks within a minute */
        control_request("wake", NULL, 2000, NULL);
    if (!requeued && !problems)
        return cr_fail(err, CR_ENOINPUT, "retry: no failed item %s%s", item_text ? "matches " : "",
                       item_text ? item_text : "is recorded");
    if (problems)
        return cr_fail(err, CR_EIO, "retry: %d item%s could not be queued again", problems,
                       problems == 1 ? "" : "s");
    return CR_OK;
}
