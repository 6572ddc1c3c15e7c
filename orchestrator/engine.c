/* engine.c — the scheduler loop (see engine.h). One thread polls a signalfd (SIGCHLD, SIGHUP,
 * SIGTERM, SIGINT), the inotify fd and the control socket; timers (settle, timeouts, retries)
 * become the poll timeout. The queue is the record: an item waits there as queued/retrying
 * with its next attempt time, so a crash loses nothing. It never runs a shell and never
 * waits on a child in a blocking call; the webhook's network I/O is on notify.c's thread. */
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "notify.h"
#include "parse.h"
#include "paths.h"
#include "quarantine.h"
#include "record.h"
#include "runner.h"

#define NONE_MODE_LIMIT 10000              /* files one run of an input-less stage takes at most */
#define RUN_LOGS_KEPT 10000                /* the logs of the newest runs; older ones are removed */
#define LOGS_TIDY_EVERY 500                /* runs between two tidyings of the logs */
#define DAEMON_LOG_MAX (16L * 1024 * 1024) /* then daemon.log becomes daemon.log.1 */
#define ORPHANS_SWEEP_MS 5000              /* between two sweeps for orphaned runs */
#define SUSPECTS_MAX 256                   /* orphaned runs ended per sweep at most */

typedef struct stage_state {
    char **pending; /* paths waiting for the stage's settle time */
    int pending_count;
    size_t pending_cap;
    int64_t last_event_mono;
    int running;
} stage_state;

typedef struct active_run {
    int64_t run_id;
    pid_t pid;
    char stage[72];
    int64_t start_wall, start_mono, deadline_mono, kill_mono;
    int term_sent, kill_sent, timed_out, interrupted;
    int64_t timeout_ms;
    record_item *items;
    int item_count;
    char log_path[PATH_MAX];
} active_run;

typedef struct engine_handler {
    int fd;
    engine_event_fn fn;
    void *ctx;
} engine_handler;

typedef struct watch_entry {
    int wd;
    char *folder;
} watch_entry;

struct engine {
    pipeline_config config;
    stage_state *stages;
    record *rec;
    int mode;
    int inotify_fd, signal_fd;
    engine_handler handlers[ENGINE_HANDLERS_MAX]; /* fds the loop polls, and who answers them */
    int handler_count;
    sigset_t old_mask;
    watch_entry *watches;
    int watch_count;
    active_run *runs;
    int run_count;
    size_t run_cap;
    int draining, rescan_needed;
    int record_failed; /* a write to the record failed: stop, and let a restart recover */
    char record_error[1024];
    int64_t *once_ids;
    int once_count;
    size_t once_cap;
    int once_stage; /* the stage a run by hand is for */
    int once_result;
    notifier *notifier;
    unsigned short rand_state[3];
    int64_t next_sweep_mono;        /* the orphans' sweep (below) */
    int64_t suspects[SUSPECTS_MAX]; /* runs whose process was gone at the last sweep */
    int suspect_count;
};

int name_matches(const char *name, char *const *patterns, int pattern_count)
{
    if (!name[0] || name[0] == '.' || strstr(name, ".tmp."))
        return 0;
    for (int i = 0; i < pattern_count; i++)
        if (fnmatch(patterns[i], name, FNM_PERIOD) == 0)
            return 1;
    return 0;
}

/* "./inbox/" -> "inbox" */
static void folder_normal(const char *folder, char *out, size_t out_size)
{
    while (!strncmp(folder, "./", 2))
        folder += 2;
    snprintf(out, out_size, "%s", *folder ? folder : ".");
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
}

static int stage_watches(const stage_config *s, const char *folder)
{
    char normal[PATH_MAX];
    for (int w = 0; w < s->watch_count; w++) {
        folder_normal(s->watch[w], normal, sizeof normal);
        if (!strcmp(normal, folder))
            return 1;
    }
    return 0;
}

static int stage_index(const engine *e, const char *name)
{
    const stage_config *s = config_stage(&e->config, name);
    return s ? (int)(s - e->config.stages) : -1;
}

/* ---- watches ---- */

static void update_watches(engine *e)
{
    if (e->inotify_fd < 0)
        return;
    watch_entry *fresh = NULL;
    int count = 0;
    size_t cap = 0;
    for (int i = 0; i < e->config.stage_count; i++) {
        const stage_config *s = &e->config.stages[i];
        for (int w = 0; w < s->watch_count; w++) {
            char folder[PATH_MAX];
            folder_normal(s->watch[w], folder, sizeof folder);
            int known = 0;
            for (int k = 0; k < count; k++)
                known |= !strcmp(fresh[k].folder, folder);
            if (known)
                continue;
            cr_mkdir_p(folder, NULL);
            int wd = inotify_add_watch(e->inotify_fd, folder,
                                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);
            if (wd < 0) {
                cr_error("%s: watching %s: %s", s->name, folder, strerror(errno));
                continue;
            }
            if (cr_grow(&fresh, &cap, (size_t)count + 1, sizeof *fresh) < 0)
                break;
            fresh[count].wd = wd;
            fresh[count].folder = strdup(folder);
            count++;
        }
    }
    for (int k = 0; k < e->watch_count; k++) {
        int kept = 0;
        for (int j = 0; j < count; j++)
            kept |= fresh[j].wd == e->watches[k].wd;
        if (!kept)
            inotify_rm_watch(e->inotify_fd, e->watches[k].wd);
        free(e->watches[k].folder);
    }
    free(e->watches);
    e->watches = fresh;
    e->watch_count = count;
}

/* ---- taking files ---- */

/* Records path for stage i when its content is new. Returns the item id (also of a known
 * item), 0 when the file is not a regular file or cannot be read. */
static int64_t take_file(engine *e, int i, const char *path, int force)
{
    const stage_config *s = &e->config.stages[i];
    struct stat st;
    char why[PATH_MAX + 128];
    /* one rule on every way in (inotify, rescan, run by hand): no symlink out of the
     * workspace is followed, not even to hash it; a file named by hand may live outside */
    if (input_allowed(path, force && e->mode == ENGINE_ONCE, why, sizeof why)) {
        if (lstat(path, &st) == 0 && (S_ISLNK(st.st_mode) || S_ISREG(st.st_mode)))
            cr_warn("%s: not taking %s: %s", s->name, path, why);
        return 0;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    if (!force && record_seen(e->rec, s->name, path, st.st_size, mtime_ns))
        return 0;
    char hex[CR_SHA256_HEX_SIZE];
    cr_err err;
    if (cr_sha256_file_hex(path, hex, &err)) {
        cr_debug("%s: skipping %s: %s", s->name, path, err.msg);
        return 0;
    }
    int64_t id = 0;
    int result;
    if (record_add(e->rec, s->name, path, hex, st.st_size, mtime_ns, cr_wall_ms(), force, &id,
                   &result, &err)) {
        cr_error("%s: %s", s->name, err.msg);
        return 0;
    }
    if (result != RECORD_KNOWN)
        cr_debug("%s: queued %s (item %lld)", s->name, path, (long long)id);
    return id;
}

static void pending_add(stage_state *st, const char *path)
{
    if (cr_grow(&st->pending, &st->pending_cap, (size_t)st->pending_count + 1,
                sizeof *st->pending) < 0)
        return;
    char *copy = strdup(path);
    if (copy)
        st->pending[st->pending_count++] = copy;
}

static void pending_release(engine *e, int i)
{
    stage_state *st = &e->stages[i];
    for (int k = 0; k < st->pending_count; k++) {
        take_file(e, i, st->pending[k], 0);
        free(st->pending[k]);
    }
    st->pending_count = 0;
}

static void pending_free(stage_state *st)
{
    for (int k = 0; k < st->pending_count; k++)
        free(st->pending[k]);
    free(st->pending);
    memset(st, 0, sizeof *st);
}

/* A file closed or moved into folder (normalised, relative to the workspace). */
static void handle_file(engine *e, const char *folder, const char *name)
{
    char path[PATH_MAX + 256];
    if (strcmp(folder, "."))
        snprintf(path, sizeof path, "%s/%s", folder, name);
    else
        snprintf(path, sizeof path, "%s", name);
    for (int i = 0; i < e->config.stage_count; i++) {
        const stage_config *s = &e->config.stages[i];
        if (!stage_watches(s, folder) || !name_matches(name, s->match, s->match_count))
            continue;
        stage_state *st = &e->stages[i];
        if (s->settle_ms > 0) {
            pending_add(st, path);
            st->last_event_mono = cr_mono_ms();
            if (s->input_mode == INPUT_MANY && st->pending_count >= s->batch_max_files)
                pending_release(e, i);
        } else {
            take_file(e, i, path, 0);
        }
    }
}

/* Many files arrive together: their records are written in one transaction. When it cannot
 * begin, each file's record_add commits on its own (slower, nothing lost). */
static void tx_begin(engine *e)
{
    cr_err err;
    if (record_begin(e->rec, &err))
        cr_error("%s", err.msg);
}

static void record_broken(engine *e, const char *why)
{
    cr_error("%s", why);
    if (!e->record_failed)
        snprintf(e->record_error, sizeof e->record_error, "%.1000s", why);
    e->record_failed = 1;
}

static void tx_commit(engine *e)
{
    cr_err err;
    if (record_commit(e->rec, &err))
        record_broken(e, err.msg);
}

/* Every file already in the watched folders: those that arrived while the daemon was down,
 * or whose events were lost to a queue overflow. Known content is skipped by the record. */
static void rescan(engine *e)
{
    e->rescan_needed = 0;
    tx_begin(e);
    for (int w = 0; w < e->watch_count; w++) {
        struct dirent **names;
        int n = scandir(e->watches[w].folder, &names, NULL, alphasort);
        if (n < 0) {
            cr_error("rescanning %s: %s", e->watches[w].folder, strerror(errno));
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (names[k]->d_type == DT_REG || names[k]->d_type == DT_UNKNOWN ||
                names[k]->d_type == DT_LNK)
                handle_file(e, e->watches[w].folder, names[k]->d_name);
            free(names[k]);
        }
        free(names);
    }
    tx_commit(e);
}

static int is_symlink(const char *folder, const char *name)
{
    char path[PATH_MAX + 256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void on_inotify(engine *e, int fd, void *ctx)
{
    (void)fd, (void)ctx;
    char buffer[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(e->inotify_fd, buffer, sizeof buffer);
        if (len <= 0)
            return;
        tx_begin(e);
        for (char *p = buffer; p < buffer + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                cr_warn("inotify queue overflowed: rescanning the watched folders");
                e->rescan_needed = 1;
                continue;
            }
            int w = 0;
            while (w < e->watch_count && e->watches[w].wd != ev->wd)
                w++;
            if (w == e->watch_count)
                continue;
            if (ev->mask & IN_IGNORED) {
                cr_warn("watched folder %s went away: making it again", e->watches[w].folder);
                e->watches[w].wd = -1;
                update_watches(e);
                e->rescan_needed = 1;
                continue;
            }
            if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && !(ev->mask & IN_ISDIR) && ev->len)
                handle_file(e, e->watches[w].folder, ev->name);
            else if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR) && ev->len &&
                     is_symlink(e->watches[w].folder, ev->name))
                handle_file(e, e->watches[w].folder, ev->name); /* never closed after writing:
                                                                 * judged as it is made */
        }
        tx_commit(e);
    }
}

/* ---- runs ---- */

static const retry_policy default_retry = {4, 1000, 2.0, 60000, 0.2};

static void run_free(active_run *run)
{
    for (int k = 0; k < run->item_count; k++)
        record_item_free(&run->items[k]);
    free(run->items);
    run->items = NULL;
    run->item_count = 0;
}

static void once_note_failure(engine *e, int exit_code)
{
    if (e->mode != ENGINE_ONCE)
        return;
    if (exit_code == CR_EDATA || e->once_result != CR_EDATA)
        e->once_result = exit_code > 0 && exit_code < 256 ? exit_code : CR_EOTHER;
}

static void run_error_text(const active_run *run, int exit_code, const char *why, char *out,
                           size_t size)
{
    char timeout_text[32];
    cr_format_duration(run->timeout_ms, timeout_text, sizeof timeout_text);
    if (run->timed_out)
        snprintf(out, size, "timed out after %s (stopped with SIGTERM%s)", timeout_text,
                 run->kill_sent ? ", then SIGKILL" : "");
    else if (why)
        snprintf(out, size, "%s", why);
    else
        snprintf(out, size, "exit %d", exit_code);
}

/* Moves a failed item's input to failed/ (quarantine.c) and says so; the new path is
 * malloc'd (NULL when nothing was moved). */
static char *quarantine_item(const active_run *run, const record_item *item, const item_next *n,
                             const char *error_text, const char *log_tail)
{
    char codes[1024];
    snprintf(codes, sizeof codes, "%s%s%d", item->exit_codes, item->exit_codes[0] ? "," : "",
             n->exit_code);
    quarantine_report report = {.stage = run->stage,
                                .input = item->path,
                                .hash = item->hash,
                                .attempts = n->attempts,
                                .exit_codes = codes,
                                .last_error = error_text,
                                .log_tail = log_tail,
                                .log_path = run->log_path};
    char moved[PATH_MAX] = "";
    cr_err err;
    if (quarantine_move(FAILED_DIR, &report, moved, sizeof moved, &err))
        cr_error("%s: quarantining %s: %s", run->stage, item->path, err.msg);
    cr_warn("%s: %s failed after %d attempt%s (%s): moved to %s", run->stage, item->path,
            n->attempts, n->attempts == 1 ? "" : "s", error_text, moved);
    return moved[0] ? strdup(moved) : NULL;
}

/* on_success after a successful run; on_failure for the inputs it quarantined. */
static void notify_run(engine *e, const active_run *run, const run_end *end, const char *error_text,
                       const record_item_end *ends)
{
    const stage_config *s = config_stage(&e->config, run->stage);
    char *inputs[run->item_count + 1];
    int count = 0, attempts_max = 0;
    const char *moved_last = NULL;
    for (int k = 0; k < run->item_count; k++) {
        if (end->exit_code != 0 && !ends[k].next.quarantine)
            continue;
        inputs[count++] = run->items[k].path;
        if (ends[k].next.attempts > attempts_max)
            attempts_max = ends[k].next.attempts;
        moved_last = ends[k].failed_path ? ends[k].failed_path : "";
    }
    if (!s || end->interrupted || count == 0)
        return;
    int ok = end->exit_code == 0;
    notify_event ev = {.event = ok ? "success" : "failure",
                       .stage = run->stage,
                       .workspace = e->config.workspace,
                       .inputs = inputs,
                       .input_count = count,
                       .run_id = run->run_id,
                       .exit_code = end->exit_code,
                       .attempts = ok ? 0 : attempts_max,
                       .error = ok ? NULL : error_text,
                       .moved_to = !ok && count == 1 ? moved_last : NULL};
    notifier_send(e->notifier, &s->notify, &ev);
}

/* A run ended: each item's next state (item.c), the quarantines, one commit of it all, the
 * notifications. */
static void finish_run(engine *e, active_run *run, int exit_code, const char *why)
{
    int64_t now = cr_wall_ms();
    run_end end = {.exit_code = exit_code,
                   .interrupted = run->interrupted,
                   .timed_out = run->timed_out,
                   .batch_size = run->item_count};
    char error_text[512], tail[4096] = "";
    run_error_text(run, exit_code, why, error_text, sizeof error_text);
    if (exit_code != 0 && !run->interrupted)
        runner_log_tail(run->log_path, 10, tail, sizeof tail);
    double seconds = (double)(cr_mono_ms() - run->start_mono) / 1000.0;
    if (exit_code == 0 && !run->interrupted)
        cr_info("%s: run %lld ok in %.2fs (%d input%s)", run->stage, (long long)run->run_id,
                seconds, run->item_count, run->item_count == 1 ? "" : "s");
    else
        cr_warn("%s: run %lld %s: %s after %.2fs", run->stage, (long long)run->run_id,
                run_outcome(&end), error_text, seconds);

    const stage_config *s = config_stage(&e->config, run->stage);
    const retry_policy *policy = s ? &s->retry : &default_retry;
    record_item_end *ends = calloc((size_t)run->item_count + 1, sizeof *ends);
    if (!ends) { /* nothing recorded: the run's items run again after a restart */
        record_broken(e, "out of memory at the end of a run");
        return;
    }
    for (int k = 0; k < run->item_count; k++) {
        const record_item *item = &run->items[k];
        item_next *n = &ends[k].next;
        *n = item_after_run(&end, policy, item->attempts, item->solo, now, erand48(e->rand_state));
        ends[k].id = item->id;
        ends[k].last_error = !strcmp(n->state, ITEM_DONE) ? NULL : error_text;
        if (n->quarantine) {
            ends[k].failed_path = quarantine_item(run, item, n, error_text, tail);
            once_note_failure(e, exit_code);
        } else if (!strcmp(n->state, ITEM_RETRYING)) {
            char delay_text[32];
            cr_format_duration(n->next_attempt_ms - now, delay_text, sizeof delay_text);
            cr_info("%s: %s: attempt %d of %d failed (%s); next in %s", run->stage, item->path,
                    n->attempts, policy->max_attempts, error_text, delay_text);
        }
    }
    cr_err err;
    if (record_finish_run(e->rec, run->run_id, exit_code, run_outcome(&end), now, ends,
                          run->item_count, &err))
        record_broken(e, err.msg);
    notify_run(e, run, &end, error_text, ends);
    for (int k = 0; k < run->item_count; k++)
        free((char *)ends[k].failed_path);
    free(ends);
    if (e->mode == ENGINE_DAEMON && run->run_id % LOGS_TIDY_EVERY == 0)
        runner_tidy_logs(STATE_RUN_LOGS, run->run_id - RUN_LOGS_KEPT, STATE_LOG, DAEMON_LOG_MAX);
}

static void start_run(engine *e, int i, record_item *items, int n)
{
    const stage_config *s = &e->config.stages[i];
    active_run run = {.items = items, .item_count = n, .timeout_ms = s->timeout_ms};
    snprintf(run.stage, sizeof run.stage, "%s", s->name);
    run.start_wall = cr_wall_ms();
    run.start_mono = cr_mono_ms();
    cr_err err;
    if (record_run_begin(e->rec, s->name, 0, 0, run.start_wall, "", items, &run.item_count,
                         &run.run_id, &err)) {
        record_broken(e, err.msg);
        run_free(&run);
        return;
    }
    if (run.item_count == 0) { /* another process started them all first */
        free(items);
        return;
    }
    n = run.item_count;
    char folder[128]; /* stage names are at most 64 characters */
    snprintf(folder, sizeof folder, "%s/%s", STATE_RUN_LOGS, s->name);
    cr_mkdir_p(folder, NULL);
    snprintf(run.log_path, sizeof run.log_path, "%s/%lld.log", folder, (long long)run.run_id);

    char program[PATH_MAX];
    char **argv = NULL;
    char *inputs[n + 1];
    for (int k = 0; k < n; k++)
        inputs[k] = items[k].path;
    inputs[n] = NULL;
    argv_vars vars = {
        .workspace = e->config.workspace, .stage = s->name, .inputs = inputs, .input_count = n};
    /* checked again as the run starts: a file may have become a symlink since it was taken,
     * or come back by `retry`; a refused input is bad data (quarantined: the link is moved,
     * never what it points to) */
    int code = CR_OK;
    for (int k = 0; k < n && !code; k++) {
        char why[PATH_MAX + 128];
        /* an absolute path in the record was named by hand (the record keeps the
         * workspace's files relative): the user's, run wherever it is, never moved */
        if (input_allowed(items[k].path, 1, why, sizeof why))
            code = cr_fail(&err, CR_EDATA, "%s: %s", items[k].path, why);
    }
    if (!code)
        code = program_resolve(s->argv[0], program, sizeof program, &err);
    if (!code)
        code = argv_expand(s->argv, s->argc, &vars, &argv, &err);
    if (!code)
        code = runner_spawn(program, argv, run.log_path, &run.pid, &err);
    argv_free(argv);
    if (code) {
        /* Nothing started: the run ends here, with the reason in its log. */
        cr_err commit_err;
        if (record_commit(e->rec, &commit_err)) { /* the claim is undone: its items wait */
            record_broken(e, commit_err.msg);
            run_free(&run);
            return;
        }
        int fd = open(run.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dprintf(fd, "orchestrator: %s\n", err.msg);
            close(fd);
        }
        finish_run(e, &run, code == CR_ENOINPUT ? 127 : code, err.msg);
        run_free(&run);
        return;
    }
    if (record_run_pid(e->rec, run.run_id, run.pid, runner_pid_start(run.pid), run.log_path,
                       &err) ||
        record_commit(e->rec, &err)) {
        /* A run the record does not know of would run again after a restart: end it now. */
        record_broken(e, err.msg);
        runner_signal(run.pid, SIGKILL);
        run.interrupted = 1;
    }
    if (s->timeout_ms > 0)
        run.deadline_mono = run.start_mono + s->timeout_ms;
    if (cr_grow(&e->runs, &e->run_cap, (size_t)e->run_count + 1, sizeof *e->runs) < 0) {
        runner_signal(run.pid, SIGKILL); /* reaped as an unknown child; items rerun */
        run_free(&run);
        return;
    }
    e->runs[e->run_count++] = run;
    e->stages[i].running++;
    if (n == 1)
        cr_info("%s: run %lld started (pid %ld): %s", s->name, (long long)run.run_id, (long)run.pid,
                items[0].path);
    else
        cr_info("%s: run %lld started (pid %ld): %d inputs", s->name, (long long)run.run_id,
                (long)run.pid, n);
}

static int listed(const int64_t *ids, int count, int64_t id)
{
    for (int k = 0; k < count; k++)
        if (ids[k] == id)
            return 1;
    return 0;
}

static void once_add(engine *e, int64_t id)
{
    if (listed(e->once_ids, e->once_count, id))
        return;
    if (cr_grow(&e->once_ids, &e->once_cap, (size_t)e->once_count + 1, sizeof *e->once_ids) < 0)
        return;
    e->once_ids[e->once_count++] = id;
}

/* Items of stage that may start now: from the record (daemon) or the seeded ones (once). */
static int due_items(engine *e, const char *stage, int64_t now, int limit, record_item *items)
{
    cr_err err;
    if (e->mode == ENGINE_DAEMON) {
        int n = record_due(e->rec, stage, now, limit, items, &err);
        if (n < 0) /* busy past the timeout: the next turn of the loop reads it again */
            cr_warn("%s: %s", stage, err.msg);
        return n < 0 ? 0 : n;
    }
    int n = 0;
    for (int k = 0; k < e->once_count && n < limit; k++) {
        char state[16];
        if (!record_item_get(e->rec, e->once_ids[k], &items[n], state, sizeof state))
            continue;
        if (item_waiting(state) && items[n].next_attempt_ms <= now)
            n++;
        else
            record_item_free(&items[n]);
    }
    return n;
}

static void dispatch(engine *e)
{
    if (e->draining || e->record_failed)
        return;
    int64_t now = cr_wall_ms();
    for (int i = 0; i < e->config.stage_count; i++) {
        const stage_config *s = &e->config.stages[i];
        stage_state *st = &e->stages[i];
        if (e->mode == ENGINE_ONCE && i != e->once_stage)
            continue;
        while (st->running < s->concurrency && e->run_count < e->config.concurrency &&
               !e->record_failed) {
            int limit = s->input_mode == INPUT_ONE    ? 1
                        : s->input_mode == INPUT_MANY ? s->batch_max_files
                                                      : NONE_MODE_LIMIT;
            record_item *items = calloc((size_t)limit, sizeof *items);
            if (!items)
                return;
            int n = due_items(e, s->name, now, limit, items);
            /* An item split out of a failed batch runs alone: a batch stops before it. */
            int cut = n > 1 && items[0].solo ? 1 : n;
            for (int k = 1; k < cut; k++)
                if (items[k].solo)
                    cut = k;
            for (int k = cut; k < n; k++)
                record_item_free(&items[k]);
            n = cut;
            int kept = 0;
            for (int k = 0; k < n; k++) {
                if (cr_is_file(items[k].path)) {
                    items[kept++] = items[k];
                    continue;
                }
                cr_err err;
                cr_warn("%s: %s is gone; dropping it", s->name, items[k].path);
                if (record_item_update(e->rec, items[k].id, ITEM_GONE, items[k].attempts, 0, -1,
                                       "the input was gone when its run was due", NULL, 0, now,
                                       &err))
                    record_broken(e, err.msg);
                record_item_free(&items[k]);
            }
            if (n == 0) {
                free(items);
                break;
            }
            if (kept == 0) {
                free(items);
                continue;
            }
            start_run(e, i, items, kept);
        }
    }
}

static void reap(engine *e)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int k = 0;
        while (k < e->run_count && e->runs[k].pid != pid)
            k++;
        if (k == e->run_count)
            continue; /* a notification command */
        active_run run = e->runs[k];
        e->runs[k] = e->runs[--e->run_count];
        int si = stage_index(e, run.stage);
        if (si >= 0 && e->stages[si].running > 0)
            e->stages[si].running--;
        char why[128];
        int code;
        const char *reason = NULL;
        if (WIFEXITED(status)) {
            code = WEXITSTATUS(status);
            if (code == 127) {
                snprintf(why, sizeof why, "exit 127 (program could not be started: see log)");
                reason = why;
            }
        } else {
            int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            code = 128 + sig;
            snprintf(why, sizeof why, "killed by signal %d (%s)", sig, strsignal(sig));
            reason = why;
        }
        finish_run(e, &run, code, reason);
        run_free(&run);
    }
}

/* SIGTERM now, SIGKILL (check_timeouts) when the stage's grace has passed. */
static void terminate(engine *e, active_run *run, int64_t now)
{
    int si = stage_index(e, run->stage);
    runner_signal(run->pid, SIGTERM);
    run->term_sent = 1;
    run->kill_mono = now + (si >= 0 ? e->config.stages[si].grace_ms : 5000);
}

static void check_timeouts(engine *e, int64_t now)
{
    for (int k = 0; k < e->run_count; k++) {
        active_run *run = &e->runs[k];
        if (run->deadline_mono && !run->term_sent && now >= run->deadline_mono) {
            cr_warn("%s: run %lld (pid %ld) passed its timeout: SIGTERM", run->stage,
                    (long long)run->run_id, (long)run->pid);
            run->timed_out = 1;
            terminate(e, run, now);
        }
        if (run->term_sent && !run->kill_sent && now >= run->kill_mono) {
            cr_warn("%s: run %lld (pid %ld) still there after SIGTERM: SIGKILL", run->stage,
                    (long long)run->run_id, (long)run->pid);
            runner_signal(run->pid, SIGKILL);
            run->kill_sent = 1;
        }
    }
}

void engine_request_stop(engine *e, int now)
{
    if (!e->draining)
        cr_info("stopping: %s %d run%s", now ? "ending" : "waiting for", e->run_count,
                e->run_count == 1 ? "" : "s");
    e->draining = 1;
    if (!now)
        return;
    int64_t t = cr_mono_ms();
    for (int k = 0; k < e->run_count; k++) {
        active_run *run = &e->runs[k];
        run->interrupted = 1;
        if (!run->term_sent)
            terminate(e, run, t);
    }
}

/* ---- reload ---- */

int engine_reload(engine *e, cr_err *err)
{
    pipeline_config fresh;
    int code = config_load(&fresh, e->config.path, err);
    if (code) {
        cr_error("reload refused, keeping the running config: %s", err->msg);
        return code;
    }
    if (strcmp(fresh.workspace, e->config.workspace)) {
        code = cr_fail(err, CR_EUSAGE,
                       "%s: the workspace changed (%s -> %s): restart the orchestrator for that",
                       fresh.path, e->config.workspace, fresh.workspace);
        cr_error("reload refused, keeping the running config: %s", err->msg);
        config_free(&fresh);
        return code;
    }
    cr_err missing;
    if (config_check(&fresh, &missing))
        cr_warn("reload: %s", missing.msg);
    stage_state *states = calloc((size_t)fresh.stage_count, sizeof *states);
    if (!states) {
        config_free(&fresh);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    for (int i = 0; i < e->config.stage_count; i++) {
        const stage_config *kept = config_stage(&fresh, e->config.stages[i].name);
        if (kept)
            states[kept - fresh.stages] = e->stages[i];
        else
            pending_free(&e->stages[i]);
    }
    free(e->stages);
    e->stages = states;
    config_free(&e->config);
    e->config = fresh;
    for (int i = 0; i < e->config.stage_count; i++)
        e->stages[i].running = 0;
    for (int k = 0; k < e->run_count; k++) {
        int si = stage_index(e, e->runs[k].stage);
        if (si >= 0)
            e->stages[si].running++;
    }
    update_watches(e);
    e->rescan_needed = 1;
    cr_info("reloaded %s: %d stage%s", e->config.path, e->config.stage_count,
            e->config.stage_count == 1 ? "" : "s");
    return CR_OK;
}

/* Signals, one meaning each: SIGHUP reloads, SIGTERM and SIGINT stop (ending the runs);
 * SIGCHLD only wakes the loop, which reaps after every wake. */
static void on_signal(engine *e, int fd, void *ctx)
{
    (void)ctx;
    struct signalfd_siginfo info;
    while (read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGHUP) {
            cr_err why; /* engine_reload logs why it kept the running config */
            cr_info("SIGHUP: reloading %s", e->config.path);
            engine_reload(e, &why);
        } else if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
            engine_request_stop(e, 1);
        }
    }
}

/* ---- life cycle ---- */

int engine_open(engine **out, pipeline_config *config, int mode, cr_err *err)
{
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return cr_fail(err, CR_EOTHER, "out of memory");
    e->config = *config;
    memset(config, 0, sizeof *config);
    e->mode = mode;
    e->inotify_fd = e->signal_fd = -1;
    long long seed = (long long)cr_wall_ms() ^ ((long long)getpid() << 16);
    e->rand_state[0] = (unsigned short)seed;
    e->rand_state[1] = (unsigned short)(seed >> 16);
    e->rand_state[2] = (unsigned short)(seed >> 32);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit is a write error, not a death */
    e->stages = calloc((size_t)e->config.stage_count, sizeof *e->stages);
    int code = e->stages ? record_open(&e->rec, STATE_RECORD, err)
                         : cr_fail(err, CR_EOTHER, "out of memory");
    if (!code && mode == ENGINE_DAEMON) {
        pid_t *pids;
        long long *starts;
        int count;
        code = record_recover(e->rec, cr_wall_ms(), &pids, &starts, &count, err);
        for (int k = 0; !code && k < count; k++) {
            /* A run of the previous daemon may outlive it (a grandchild): end it, since its
             * items are run again. The start time guards against a reused pid. */
            if (pids[k] > 1 && starts[k] && runner_pid_start(pids[k]) == starts[k]) {
                cr_warn("ending pid %ld, a run left over from before a crash", (long)pids[k]);
                runner_signal(pids[k], SIGKILL);
            }
        }
        if (!code && count)
            cr_info("%d run%s interrupted by a crash will run again", count, count == 1 ? "" : "s");
        free(pids);
        free(starts);
    }
    if (!code) {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, &e->old_mask);
        signal(SIGPIPE, SIG_IGN);
        e->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        code = e->signal_fd < 0 ? cr_fail_errno(err, CR_EOTHER, "signalfd")
                                : engine_add_handler(e, e->signal_fd, on_signal, NULL, err);
    }
    if (!code && mode == ENGINE_DAEMON) {
        e->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (e->inotify_fd < 0)
            code = cr_fail_errno(err, CR_EOTHER, "inotify_init1");
        else
            code = engine_add_handler(e, e->inotify_fd, on_inotify, NULL, err);
        if (!code)
            update_watches(e);
    }
    if (!code)
        code = notifier_start(&e->notifier, STATE_RUN_LOGS "/notify.log", err);
    if (code) {
        engine_close(e);
        return code;
    }
    *out = e;
    return CR_OK;
}

void engine_close(engine *e)
{
    if (!e)
        return;
    notifier_stop(e->notifier, 5000);
    for (int k = 0; k < e->run_count; k++)
        run_free(&e->runs[k]);
    free(e->runs);
    for (int w = 0; w < e->watch_count; w++)
        free(e->watches[w].folder);
    free(e->watches);
    if (e->stages)
        for (int i = 0; i < e->config.stage_count; i++)
            pending_free(&e->stages[i]);
    free(e->stages);
    free(e->once_ids);
    if (e->inotify_fd >= 0)
        close(e->inotify_fd);
    if (e->signal_fd >= 0) {
        close(e->signal_fd);
        sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
    }
    record_close(e->rec);
    config_free(&e->config);
    free(e);
}

int engine_add_handler(engine *e, int fd, engine_event_fn fn, void *ctx, cr_err *err)
{
    if (e->handler_count == ENGINE_HANDLERS_MAX)
        return cr_fail(err, CR_EOTHER, "too many event sources (%d)", ENGINE_HANDLERS_MAX);
    e->handlers[e->handler_count++] = (engine_handler){fd, fn, ctx};
    return CR_OK;
}

int engine_running_count(const engine *e)
{
    return e->run_count;
}

void engine_settling(const engine *e, int *counts)
{
    for (int i = 0; i < e->config.stage_count; i++)
        counts[i] = e->stages[i].pending_count;
}

struct record *engine_record(engine *e)
{
    return e->rec;
}

const pipeline_config *engine_config(const engine *e)
{
    return &e->config;
}

int engine_seed(engine *e, const char *stage, char *const *files, int file_count, int *seeded,
                cr_err *err)
{
    *seeded = 0;
    int i = stage_index(e, stage);
    if (i < 0)
        return cr_fail(err, CR_EUSAGE, "no stage named '%s' in %s", stage, e->config.path);
    const stage_config *s = &e->config.stages[i];
    e->once_stage = i;
    for (int k = 0; k < file_count; k++) {
        char path[PATH_MAX];
        workspace_relative(e->config.workspace, files[k], path, sizeof path);
        if (!cr_is_file(path))
            return cr_fail(err, CR_ENOINPUT, "%s: not a file", files[k]);
        char why[PATH_MAX + 128];
        if (input_allowed(path, 1, why, sizeof why))
            return cr_fail(err, CR_EDATA, "%s: %s", files[k], why);
        int64_t id = take_file(e, i, path, 1);
        if (!id)
            return cr_fail(err, CR_EIO, "%s: cannot be read", files[k]);
        once_add(e, id);
    }
    for (int pass = 0; file_count == 0 && pass < 2 && e->once_count == 0; pass++) {
        /* Nothing named: what waits in the stage's folders; for a stage whose run takes no
         * input (it works on the folder), everything there when nothing waits. */
        if (pass == 1 && s->input_mode != INPUT_NONE)
            break;
        for (int w = 0; w < s->watch_count; w++) {
            char folder[PATH_MAX];
            folder_normal(s->watch[w], folder, sizeof folder);
            struct dirent **names;
            int n = scandir(folder, &names, NULL, alphasort);
            for (int k = 0; k < n; k++) {
                char path[PATH_MAX + 256];
                snprintf(path, sizeof path, "%s/%s", folder, names[k]->d_name);
                if (name_matches(names[k]->d_name, s->match, s->match_count) && cr_is_file(path)) {
                    int64_t id = take_file(e, i, path, pass);
                    if (!id) /* known: it may still wait in the record (a daemon beside us, or
                              * one that died with it queued) */
                        id = record_newest(e->rec, s->name, path);
                    char state[16];
                    record_item item;
                    if (id && record_item_get(e->rec, id, &item, state, sizeof state)) {
                        if (item_waiting(state))
                            once_add(e, id);
                        record_item_free(&item);
                    }
                }
                free(names[k]);
            }
            if (n > 0)
                free(names);
        }
    }
    *seeded = e->once_count;
    return CR_OK;
}

enum { ONCE_DONE, ONCE_FAILED, ONCE_UNFINISHED, ONCE_OTHER, ONCE_UNKNOWN };

/* Where seeded item k stands (ONCE_UNKNOWN when the record cannot say now). */
static int once_state(engine *e, int k)
{
    record_item item;
    char state[16];
    if (!record_item_get(e->rec, e->once_ids[k], &item, state, sizeof state))
        return ONCE_UNKNOWN;
    record_item_free(&item);
    if (!strcmp(state, ITEM_DONE) || !strcmp(state, ITEM_FAILED))
        return !strcmp(state, ITEM_DONE) ? ONCE_DONE : ONCE_FAILED;
    return item_waiting(state) || !strcmp(state, ITEM_RUNNING) ? ONCE_UNFINISHED : ONCE_OTHER;
}

static int once_finished(engine *e)
{
    for (int k = 0; k < e->once_count && e->run_count == 0; k++)
        if (once_state(e, k) == ONCE_UNFINISHED)
            return 0;
    return e->run_count == 0;
}

void engine_once_summary(engine *e, int *done, int *failed, int *other)
{
    *done = *failed = *other = 0;
    for (int k = 0; k < e->once_count; k++) {
        int where = once_state(e, k);
        if (where != ONCE_UNKNOWN)
            (*(where == ONCE_DONE ? done : where == ONCE_FAILED ? failed : other))++;
    }
}

/* ---- orphans ---- */

/* A run left without an end by a process that died while the daemon runs: a hand run (`run
 * STAGE FILE`) killed with SIGKILL takes its child with it (PR_SET_PDEATHSIG) but never
 * records the end, so its items would stay `running` until the next start. A run that is not
 * ours and whose recorded process is gone (pid and start time) must be seen so at two sweeps
 * in a row before it is ended, so a live hand run that is just committing its end is never
 * raced. The recovery at start is engine_open's. */
typedef struct sweep {
    const engine *e;
    int64_t dead[SUSPECTS_MAX];
    int dead_count;
} sweep;

static void look_at(const record_run_row *run, void *arg)
{
    sweep *s = arg;
    int ours = 0;
    for (int k = 0; k < s->e->run_count; k++)
        ours |= s->e->runs[k].run_id == run->id;
    if (s->dead_count == SUSPECTS_MAX || ours || run->pid <= 1)
        return; /* ours, or still being started (the pid comes in the same commit) */
    if (run->pid_start && runner_pid_start(run->pid) == run->pid_start)
        return; /* alive */
    s->dead[s->dead_count++] = run->id;
}

static void sweep_orphans(engine *e)
{
    sweep s = {.e = e};
    record_run_filter open_runs = {.in_flight = 1, .limit = -1};
    cr_err err;
    if (record_list_runs(e->rec, &open_runs, look_at, &s, &err)) {
        cr_warn("looking for orphaned runs: %s", err.msg); /* the next sweep looks again */
        return;
    }
    for (int k = 0; k < s.dead_count; k++) {
        if (!listed(e->suspects, e->suspect_count, s.dead[k]))
            continue;
        if (record_interrupt_run(e->rec, s.dead[k], cr_wall_ms(), &err))
            cr_warn("%s (the next sweep tries again)", err.msg);
        else
            cr_warn("run %lld lost its process (a run by hand that was killed): interrupted, "
                    "its items queued again",
                    (long long)s.dead[k]);
    }
    memcpy(e->suspects, s.dead, (size_t)s.dead_count * sizeof s.dead[0]);
    e->suspect_count = s.dead_count;
}

static int64_t next_wait_ms(engine *e, int64_t now_mono)
{
    int64_t wait = e->mode == ENGINE_ONCE ? 50 : 60000;
#define SOONER(t)                                                                                  \
    do {                                                                                           \
        int64_t left_ = (t);                                                                       \
        if (left_ < wait)                                                                          \
            wait = left_ < 0 ? 0 : left_;                                                          \
    } while (0)
    for (int i = 0; i < e->config.stage_count; i++)
        if (e->stages[i].pending_count)
            SOONER(e->stages[i].last_event_mono + e->config.stages[i].settle_ms - now_mono);
    if (e->mode == ENGINE_DAEMON)
        SOONER(e->next_sweep_mono - now_mono);
    for (int k = 0; k < e->run_count; k++) {
        if (e->runs[k].deadline_mono && !e->runs[k].term_sent)
            SOONER(e->runs[k].deadline_mono - now_mono);
        if (e->runs[k].term_sent && !e->runs[k].kill_sent)
            SOONER(e->runs[k].kill_mono - now_mono);
    }
    if (e->mode == ENGINE_DAEMON && !e->draining && e->run_count < e->config.concurrency) {
        int64_t now = cr_wall_ms();
        for (int i = 0; i < e->config.stage_count; i++) {
            if (e->stages[i].running >= e->config.stages[i].concurrency)
                continue;
            int64_t due = record_next_due(e->rec, e->config.stages[i].name);
            if (due >= 0)
                SOONER(due <= now ? 10 : due - now); /* due now yet not taken: no busy loop */
        }
    }
#undef SOONER
    return wait;
}

int engine_run(engine *e, cr_err *err)
{
    if (e->mode == ENGINE_DAEMON)
        rescan(e);
    for (;;) {
        int64_t now = cr_mono_ms();
        for (int i = 0; i < e->config.stage_count; i++)
            if (e->stages[i].pending_count &&
                now - e->stages[i].last_event_mono >= e->config.stages[i].settle_ms) {
                tx_begin(e);
                pending_release(e, i);
                tx_commit(e);
            }
        check_timeouts(e, now);
        if (e->mode == ENGINE_DAEMON && now >= e->next_sweep_mono && !e->record_failed) {
            sweep_orphans(e);
            e->next_sweep_mono = now + ORPHANS_SWEEP_MS;
        }
        if (e->record_failed && !e->draining) {
            cr_error("the record cannot be written, stopping (unfinished work runs again at the "
                     "next start): %s",
                     e->record_error);
            engine_request_stop(e, 1);
        }
        dispatch(e);
        if (e->mode == ENGINE_ONCE && once_finished(e))
            break;
        if (e->draining && e->run_count == 0)
            break;
        struct pollfd fds[ENGINE_HANDLERS_MAX];
        for (int k = 0; k < e->handler_count; k++)
            fds[k] = (struct pollfd){.fd = e->handlers[k].fd, .events = POLLIN};
        int ready = poll(fds, (nfds_t)e->handler_count, (int)next_wait_ms(e, cr_mono_ms()));
        if (ready < 0 && errno != EINTR)
            return cr_fail_errno(err, CR_EOTHER, "poll");
        for (int k = 0; ready > 0 && k < e->handler_count; k++)
            if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
                e->handlers[k].fn(e, e->handlers[k].fd, e->handlers[k].ctx);
        reap(e); /* children: SIGCHLD may have been merged with another, so look every time */
        if (e->rescan_needed)
            rescan(e);
    }
    if (e->record_failed)
        return cr_fail(err, CR_EIO, "the record cannot be written: %s", e->record_error);
    return e->mode == ENGINE_ONCE ? e->once_result : CR_OK;
}
