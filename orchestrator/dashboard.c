/* dashboard.c — see dashboard.h. Threads: libmicrohttpd's (one per connection, so an event
 * stream may block waiting for news) and one watcher that polls every 250 ms for changes (the
 * record's data_version, metrics.jsonl, the checkpoint and crawl folders), rebuilds the status
 * JSON and wakes the streams. Requests are checked before anything else: Host (against DNS
 * rebinding), Origin, and for POST the per-daemon token. The page's files are in
 * orchestrator/dashboard/ (dashboard_assets.c); the scheduler never waits on any of this. */
#include "dashboard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "control.h"
#include "dashboard_assets.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "record.h"

#define WATCH_EVERY_MS 250       /* how often the watcher looks for changes */
#define SLOW_WATCH_EVERY_MS 2000 /* folders that may be large: raw/, the crawler's state */
#define KEEPALIVE_MS 15000       /* an event stream's comment line when nothing happens */
#define METRICS_MAX_ROWS 500000  /* beyond this, later steps are not kept (about 24 MB) */
#define LIST_LIMIT 50            /* runs in flight, retrying items per stage */
#define QUEUED_LIMIT 10          /* the next queued items per stage */
#define FAILED_LIMIT 20          /* the latest failures per stage, with their .error text */
#define ERROR_TEXT_MAX 4096      /* bytes of a .error file in the status */
#define LOG_TAIL_MAX (512 * 1024)
#define HOSTS_MAX 16
#define SPHERES_MAX 64

/* The columns kept of each metrics.jsonl line, named as in the file and in /api/metrics. */
enum { STEP, LOSS, VAL_LOSS, LR, TOKENS_PER_S, GRAD_NORM, COLUMNS };
static const char *const column_names[COLUMNS] = {"step", "loss",         "val_loss",
                                                  "lr",   "tokens_per_s", "grad_norm"};

typedef struct metrics_series {
    size_t rows, cap;
    double *column[COLUMNS];
    cr_buf latest; /* the newest line as a JSON object (with its spheres) */
    double last_val_loss;
    int64_t last_val_step;
    off_t offset; /* bytes of metrics.jsonl read */
    ino_t inode;
    int epoch; /* bumped when the file is replaced: streams start over */
} metrics_series;

typedef struct crawl_figures {
    int known; /* the crawler's state was read at least once */
    int64_t as_of_ms;
    int64_t counts[CRAWL_STATE_COUNT]; /* per page state (crawler/state.h), newest generation */
    int64_t in_raw;                    /* pages (*.html) in the output folder now */
    int64_t raw_mtime_ns;
} crawl_figures;

struct dashboard {
    pipeline_config config; /* our own copy, loaded from the same file */
    pid_t daemon_pid;
    dashboard_retry_fn retry;
    struct MHD_Daemon *mhd;
    int listen_fd;
    int port;
    char url[128];
    char token[33];
    char hosts[HOSTS_MAX][300]; /* accepted Host values, lower case */
    int host_count;
    cr_buf index_html; /* the page with its token */
    /* what the trainer and the crawler write, found from their stages' argv */
#define FOLDER_MAX 1024 /* the folders below, relative to the workspace as written in argv */
    char train_stage[72], models_dir[FOLDER_MAX];
    char crawl_stage[72], crawl_out[FOLDER_MAX], crawl_state[FOLDER_MAX + 32];

    pthread_t watcher;
    int watcher_started;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    int stopping;
    cr_buf status; /* the newest status JSON */
    uint64_t status_gen;
    metrics_series metrics;
    uint64_t metrics_gen;

    /* the watcher's own (no lock: only its thread touches them) */
    record *rec;
    crawl_figures crawl;
    int64_t data_version, models_mtime_ns, failed_mtime_ns, last_slow_ms;
    off_t metrics_size;
    int64_t metrics_mtime_ns;
};

/* ---- small helpers ---- */

static int64_t mtime_ns_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The value of option name in a stage's argv ("--out DIR" or "--out=DIR"), or NULL. */
static const char *argv_option(const stage_config *s, const char *name)
{
    size_t len = strlen(name);
    for (int k = 1; k < s->argc; k++) {
        if (!strcmp(s->argv[k], name) && k + 1 < s->argc)
            return s->argv[k + 1];
        if (!strncmp(s->argv[k], name, len) && s->argv[k][len] == '=')
            return s->argv[k] + len + 1;
    }
    return NULL;
}

/* A path the page may name: relative, inside the workspace (no ".." part). */
static int inside_workspace(const char *path)
{
    return path && *path && path_stays_inside(path);
}

/* ---- metrics.jsonl ---- */

static void series_free(metrics_series *m)
{
    for (int c = 0; c < COLUMNS; c++) {
        free(m->column[c]);
        m->column[c] = NULL;
    }
    cr_buf_free(&m->latest);
    m->rows = m->cap = 0;
    m->offset = 0;
    m->last_val_loss = NAN;
    m->last_val_step = -1;
}

static int series_grow(metrics_series *m)
{
    if (m->rows < m->cap)
        return 0;
    size_t cap = m->cap ? m->cap * 2 : 1024;
    for (int c = 0; c < COLUMNS; c++) {
        double *grown = realloc(m->column[c], cap * sizeof(double));
        if (!grown)
            return -1;
        m->column[c] = grown;
    }
    m->cap = cap;
    return 0;
}

static double number_at(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NAN;
    json_type t = json_object_get_type(v);
    if (t != json_type_double && t != json_type_int)
        return NAN;
    return json_object_get_double(v);
}

static void kv_number(cr_json *j, const char *key, double v)
{
    cr_json_key(j, key);
    if (isnan(v))
        cr_json_null(j);
    else if (v == floor(v) && fabs(v) < 9e15)
        cr_json_int(j, (int64_t)v);
    else
        cr_json_double(j, v);
}

/* One line of metrics.jsonl (the trainer's metrics_line, trainer/train.c). Lines that are not
 * JSON objects with a step are skipped. Called with the lock held. */
static void series_add_line(metrics_series *m, const char *line, size_t len)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return;
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    if (!o)
        return;
    double step = number_at(o, "step");
    if (json_object_get_type(o) != json_type_object || isnan(step) || m->rows >= METRICS_MAX_ROWS ||
        series_grow(m)) {
        json_object_put(o);
        return;
    }
    size_t r = m->rows++;
    for (int c = 0; c < COLUMNS; c++)
        m->column[c][r] = number_at(o, column_names[c]);
    if (!isnan(m->column[VAL_LOSS][r])) {
        m->last_val_loss = m->column[VAL_LOSS][r];
        m->last_val_step = (int64_t)step;
    }
    cr_buf_reset(&m->latest);
    cr_json j;
    cr_json_init(&j, &m->latest);
    cr_json_object_begin(&j);
    kv_number(&j, "step", step);
    kv_number(&j, "loss", m->column[LOSS][r]);
    kv_number(&j, "val_loss", m->last_val_loss);
    kv_number(&j, "val_step", m->last_val_step < 0 ? NAN : (double)m->last_val_step);
    kv_number(&j, "lr", m->column[LR][r]);
    kv_number(&j, "grad_norm", m->column[GRAD_NORM][r]);
    kv_number(&j, "tokens_per_s", m->column[TOKENS_PER_S][r]);
    kv_number(&j, "epoch", number_at(o, "epoch"));
    kv_number(&j, "rss_kib", number_at(o, "rss_kib"));
    cr_json_key(&j, "spheres");
    cr_json_array_begin(&j);
    json_object *spheres;
    if (json_object_object_get_ex(o, "spheres", &spheres) &&
        json_object_get_type(spheres) == json_type_array) {
        size_t count = json_object_array_length(spheres);
        for (size_t k = 0; k < count && k < SPHERES_MAX; k++) {
            json_object *s = json_object_array_get_idx(spheres, k);
            if (json_object_get_type(s) != json_type_object)
                continue;
            cr_json_object_begin(&j);
            kv_number(&j, "sphere", number_at(s, "sphere"));
            kv_number(&j, "tokens", number_at(s, "tokens"));
            kv_number(&j, "loss", number_at(s, "loss"));
            kv_number(&j, "busy_ms", number_at(s, "busy_ms"));
            kv_number(&j, "worker", number_at(s, "worker"));
            cr_json_object_end(&j);
        }
    }
    cr_json_array_end(&j);
    cr_json_object_end(&j);
    json_object_put(o);
}

/* Reads what was appended to metrics.jsonl since the last call. 1 when rows were added or the
 * series started over. */
static int metrics_refresh(dashboard *d)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/metrics.jsonl", d->models_dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        int had = d->metrics.rows > 0;
        if (had) {
            pthread_mutex_lock(&d->lock);
            series_free(&d->metrics);
            d->metrics.epoch++;
            pthread_mutex_unlock(&d->lock);
        }
        d->metrics_size = 0;
        return had;
    }
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    if (st.st_size == d->metrics_size && mtime == d->metrics_mtime_ns &&
        st.st_ino == d->metrics.inode)
        return 0;
    d->metrics_size = st.st_size;
    d->metrics_mtime_ns = mtime;
    int changed = 0;
    pthread_mutex_lock(&d->lock);
    if (st.st_ino != d->metrics.inode || st.st_size < d->metrics.offset) {
        series_free(&d->metrics);
        d->metrics.epoch++;
        d->metrics.inode = st.st_ino;
        changed = 1;
    }
    off_t offset = d->metrics.offset;
    pthread_mutex_unlock(&d->lock);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return changed;
    size_t want = (size_t)(st.st_size - offset);
    if (want > 64u << 20)
        want = 64u << 20; /* the rest at the next look */
    char *text = malloc(want + 1);
    ssize_t got = text ? pread(fd, text, want, offset) : -1;
    close(fd);
    if (got <= 0) {
        free(text);
        return changed;
    }
    pthread_mutex_lock(&d->lock);
    size_t start = 0;
    for (size_t k = 0; k < (size_t)got; k++) {
        if (text[k] != '\n')
            continue;
        if (k > start)
            series_add_line(&d->metrics, text + start, k - start);
        start = k + 1;
        changed = 1;
    }
    d->metrics.offset = offset + (off_t)start; /* a line not yet ended is read next time */
    pthread_mutex_unlock(&d->lock);
    free(text);
    return changed;
}

static void column_json(cr_json *j, const char *key, const double *values, size_t from, size_t to)
{
    cr_json_key(j, key);
    cr_json_array_begin(j);
    for (size_t r = from; r < to; r++) {
        if (isnan(values[r]))
            cr_json_null(j);
        else
            cr_json_double(j, values[r]);
    }
    cr_json_array_end(j);
}

/* The rows from `from` on, columns as uPlot takes them. Called with the lock held. */
static void metrics_json(const dashboard *d, size_t from, cr_buf *out)
{
    const metrics_series *m = &d->metrics;
    if (from > m->rows)
        from = m->rows;
    cr_json j;
    cr_json_init(&j, out);
    cr_json_object_begin(&j);
    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/metrics.jsonl", d->models_dir);
    cr_json_kv_string(&j, "file", file);
    cr_json_kv_int(&j, "epoch", m->epoch);
    cr_json_kv_int(&j, "since", (int64_t)from);
    cr_json_kv_int(&j, "rows", (int64_t)m->rows);
    for (int c = 0; c < COLUMNS; c++)
        column_json(&j, column_names[c], m->column[c], from, m->rows);
    cr_json_key(&j, "latest");
    if (m->latest.len)
        cr_buf_append(out, m->latest.data, m->latest.len);
    else
        cr_json_null(&j);
    cr_json_object_end(&j);
}

/* ---- the status ---- */

static void read_error_file(const char *failed_path, cr_buf *text)
{
    cr_buf_reset(text);
    if (!inside_workspace(failed_path))
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.error", failed_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    if (cr_buf_reserve(text, ERROR_TEXT_MAX + 1) == 0) {
        ssize_t got = read(fd, text->data, ERROR_TEXT_MAX);
        if (got > 0) {
            text->len = (size_t)got;
            text->data[got] = '\0';
        }
    }
    close(fd);
}

typedef struct list_ctx {
    dashboard *d;
    cr_json *j;
    cr_buf scratch;
} list_ctx;

static int max_attempts_of(const dashboard *d, const char *stage)
{
    const stage_config *s = stage ? config_stage(&d->config, stage) : NULL;
    return s ? s->retry.max_attempts : 0;
}

static void item_json(const record_item_row *row, void *arg)
{
    list_ctx *ctx = arg;
    cr_json *j = ctx->j;
    cr_json_object_begin(j);
    cr_json_kv_int(j, "item", row->id);
    cr_json_kv_string(j, "stage", row->stage);
    cr_json_kv_string(j, "path", row->path);
    cr_json_kv_int(j, "attempts", row->attempts);
    cr_json_kv_int(j, "max_attempts", max_attempts_of(ctx->d, row->stage));
    cr_json_kv_int(j, "created_ms", row->created_ms);
    cr_json_kv_int(j, "updated_ms", row->updated_ms);
    if (!strcmp(row->state, ITEM_RETRYING))
        cr_json_kv_int(j, "next_attempt_ms", row->next_attempt_ms);
    if (row->last_error)
        cr_json_kv_string(j, "last_error", row->last_error);
    if (row->exit_codes && *row->exit_codes)
        cr_json_kv_string(j, "exit_codes", row->exit_codes);
    if (row->last_run)
        cr_json_kv_int(j, "run", row->last_run);
    if (!strcmp(row->state, ITEM_FAILED)) {
        cr_json_kv_string(j, "moved_to", row->failed_path);
        read_error_file(row->failed_path, &ctx->scratch);
        if (ctx->scratch.len)
            cr_json_kv_string(j, "error", ctx->scratch.data);
    }
    cr_json_object_end(j);
}

static void run_json(const record_run_row *row, void *arg)
{
    list_ctx *ctx = arg;
    cr_json *j = ctx->j;
    cr_json_object_begin(j);
    cr_json_kv_int(j, "run", row->id);
    cr_json_kv_string(j, "stage", row->stage);
    cr_json_kv_int(j, "pid", row->pid);
    cr_json_kv_int(j, "start_ms", row->start_ms);
    if (row->end_ms) {
        cr_json_kv_int(j, "end_ms", row->end_ms);
        cr_json_kv_int(j, "duration_ms", row->duration_ms < 0 ? 0 : row->duration_ms);
        cr_json_key(j, "exit");
        if (row->has_exit)
            cr_json_int(j, row->exit_code);
        else
            cr_json_null(j);
        cr_json_kv_string(j, "outcome", row->outcome);
    }
    cr_json_kv_int(j, "inputs", row->item_count);
    cr_json_kv_string(j, "first_input", row->first_input);
    cr_json_object_end(j);
}

static void checkpoints_json(dashboard *d, cr_json *j)
{
    cr_json_key(j, "checkpoints");
    cr_json_array_begin(j);
    struct dirent **names;
    int n = scandir(d->models_dir, &names, NULL, alphasort);
    int shown = 0;
    for (int k = n - 1; k >= 0; k--) {
        const char *name = names[k]->d_name;
        long long step;
        int used = 0;
        if (shown < 20 && sscanf(name, "model_%lld.bin%n", &step, &used) == 1 && !name[used]) {
            char path[PATH_MAX + 300], state[PATH_MAX + 300];
            snprintf(path, sizeof path, "%s/%s", d->models_dir, name);
            snprintf(state, sizeof state, "%s/model_%08lld.state", d->models_dir, step);
            struct stat st;
            if (stat(path, &st) == 0) {
                cr_json_object_begin(j);
                cr_json_kv_string(j, "name", name);
                cr_json_kv_int(j, "step", step);
                cr_json_kv_int(j, "bytes", st.st_size);
                cr_json_kv_int(j, "mtime_ms",
                               (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
                cr_json_kv_bool(j, "state", cr_is_file(state));
                cr_json_object_end(j);
                shown++;
            }
        }
        free(names[k]);
    }
    if (n >= 0)
        free(names);
    cr_json_array_end(j);
}

/* The crawler keeps its state with an exclusive lock while it runs: then the figures are those
 * of the last look (as_of_ms says when), and the pages in raw/ are counted live. */
static void crawl_refresh(dashboard *d)
{
    crawl_figures *c = &d->crawl;
    int64_t mtime = mtime_ns_of(d->crawl_out);
    if (mtime != c->raw_mtime_ns) {
        c->raw_mtime_ns = mtime;
        c->in_raw = 0;
        DIR *dir = opendir(d->crawl_out);
        for (struct dirent *e; dir && (e = readdir(dir));) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] != '.' && len > 5 && !strcmp(e->d_name + len - 5, ".html"))
                c->in_raw++;
        }
        if (dir)
            closedir(dir);
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/state.sqlite", d->crawl_state);
    cr_err err; /* busy (the crawler runs) or unreadable: the last figures stay, as of then */
    if (cr_is_file(path) && record_crawl_counts(path, c->counts, &err) == CR_OK) {
        c->known = 1;
        c->as_of_ms = cr_wall_ms();
    }
}

static void crawl_json(dashboard *d, cr_json *j)
{
    const crawl_figures *c = &d->crawl;
    cr_json_key(j, "crawl");
    cr_json_object_begin(j);
    cr_json_kv_string(j, "stage", d->crawl_stage[0] ? d->crawl_stage : NULL);
    cr_json_kv_string(j, "folder", d->crawl_out);
    cr_json_kv_int(j, "pages_in_folder", c->in_raw);
    cr_json_kv_bool(j, "state_read", c->known);
    if (c->known) {
        /* crawler/state.h: queued 0, saving 1, saved 2, unchanged 3, skipped 4, failed 5,
         * failed-temporary 6, alias 7 */
        cr_json_kv_int(j, "as_of_ms", c->as_of_ms);
        cr_json_kv_int(j, "fetched", c->counts[1] + c->counts[2] + c->counts[3]);
        cr_json_kv_int(j, "failed", c->counts[5] + c->counts[6]);
        cr_json_kv_int(j, "queued", c->counts[0]);
        cr_json_kv_int(j, "skipped", c->counts[4]);
    }
    cr_json_object_end(j);
}

static void status_build(dashboard *d, cr_buf *out)
{
    cr_json j;
    cr_json_init(&j, out);
    list_ctx ctx = {.d = d, .j = &j};
    cr_buf_init(&ctx.scratch);
    cr_err err; /* a record that cannot be read now: the lists say what was read, and the
                 * watcher builds the status again at the next change */
    int snapshot = record_read_begin(d->rec, &err) == CR_OK; /* counts and lists agree */
    cr_json_object_begin(&j);
    cr_json_kv_int(&j, "now_ms", cr_wall_ms());
    cr_json_kv_int(&j, "pid", d->daemon_pid);
    cr_json_kv_string(&j, "workspace", d->config.workspace);
    cr_json_kv_string(&j, "config", d->config.path);
    cr_json_kv_string(&j, "train_stage", d->train_stage[0] ? d->train_stage : NULL);
    cr_json_kv_string(&j, "models", d->models_dir);
    cr_json_key(&j, "stages");
    cr_json_array_begin(&j);
    for (int i = 0; i < d->config.stage_count; i++) {
        const stage_config *s = &d->config.stages[i];
        int64_t counts[RECORD_STATE_COUNT];
        record_count_states(d->rec, s->name, counts, &err);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "name", s->name);
        for (int k = 0; k < RECORD_STATE_COUNT; k++)
            cr_json_kv_int(&j, record_state_names[k], counts[k]);
        cr_json_kv_int(&j, "max_attempts", s->retry.max_attempts);
        cr_json_kv_string(&j, "program", base_name(s->argv[0]));
        cr_json_object_end(&j);
    }
    cr_json_array_end(&j);
    cr_json_key(&j, "running");
    cr_json_array_begin(&j);
    record_run_filter in_flight = {.in_flight = 1, .limit = LIST_LIMIT};
    record_list_runs(d->rec, &in_flight, run_json, &ctx, &err);
    cr_json_array_end(&j);
    const char *lists[] = {ITEM_QUEUED, ITEM_RETRYING, ITEM_FAILED};
    const int limits[] = {QUEUED_LIMIT, LIST_LIMIT, FAILED_LIMIT};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        cr_json_key(&j, lists[k]);
        cr_json_array_begin(&j);
        for (int i = 0; i < d->config.stage_count; i++) {
            record_item_filter f = {
                .stage = d->config.stages[i].name, .state = lists[k], .limit = limits[k]};
            record_list_items(d->rec, &f, item_json, &ctx, &err);
        }
        cr_json_array_end(&j);
    }
    cr_json_key(&j, "last_runs");
    cr_json_array_begin(&j);
    record_run_filter last = {.limit = 15};
    record_list_runs(d->rec, &last, run_json, &ctx, &err);
    cr_json_array_end(&j);
    if (snapshot)
        record_read_end(d->rec);
    checkpoints_json(d, &j);
    crawl_json(d, &j);
    cr_json_object_end(&j);
    cr_buf_free(&ctx.scratch);
}

/* ---- the watcher thread ---- */

static void *watch_loop(void *arg)
{
    dashboard *d = arg;
    int first = 1;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        if (!first && !d->stopping) {
            struct timespec until = cr_wall_after_ms(WATCH_EVERY_MS);
            pthread_cond_timedwait(&d->changed, &d->lock, &until);
        }
        int stopping = d->stopping;
        pthread_mutex_unlock(&d->lock);
        if (stopping)
            break;
        int64_t version = record_data_version(d->rec);
        int64_t models = mtime_ns_of(d->models_dir);
        char failed_dir[] = FAILED_DIR;
        int64_t failed = mtime_ns_of(failed_dir);
        int status_changed = first || version != d->data_version || models != d->models_mtime_ns ||
                             failed != d->failed_mtime_ns;
        d->data_version = version;
        d->models_mtime_ns = models;
        d->failed_mtime_ns = failed;
        int64_t now = cr_mono_ms();
        if (first || now - d->last_slow_ms >= SLOW_WATCH_EVERY_MS) {
            d->last_slow_ms = now;
            crawl_figures before = d->crawl;
            crawl_refresh(d);
            status_changed |= memcmp(&before, &d->crawl, sizeof before) != 0;
        }
        int metrics_changed = metrics_refresh(d);
        first = 0;
        if (!status_changed && !metrics_changed)
            continue;
        cr_buf fresh;
        cr_buf_init(&fresh);
        if (status_changed)
            status_build(d, &fresh);
        pthread_mutex_lock(&d->lock);
        if (status_changed && !fresh.failed) {
            cr_buf old = d->status;
            d->status = fresh;
            fresh = old;
            d->status_gen++;
        }
        if (metrics_changed)
            d->metrics_gen++;
        pthread_cond_broadcast(&d->changed);
        pthread_mutex_unlock(&d->lock);
        cr_buf_free(&fresh);
    }
    return NULL;
}

/* ---- HTTP ---- */

static const char security_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/* Queues r (and lets it go) with the headers every answer carries. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                             const char *type, int cache)
{
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", cache ? "max-age=3600" : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy", security_csp);
    enum MHD_Result result = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return result;
}

static enum MHD_Result send_response(struct MHD_Connection *c, unsigned status, const char *type,
                                     const void *body, size_t len, int copy, int cache)
{
    return queue(c, status,
                 MHD_create_response_from_buffer(
                     len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT),
                 type, cache);
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return send_response(c, status, "text/plain; charset=utf-8", text, strlen(text), 1, 0);
}

/* Sends body (a copy) and frees it. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cr_buf *body)
{
    enum MHD_Result result = body->failed
                                 ? send_text(c, 500, "out of memory\n")
                                 : send_response(c, status, "application/json",
                                                 body->data ? body->data : "", body->len, 1, 0);
    cr_buf_free(body);
    return result;
}

/* Host must be one the dashboard is reached by: a page of another name that resolves to
 * 127.0.0.1 (DNS rebinding) gets nothing. */
static int host_allowed(const dashboard *d, const char *host)
{
    if (!host)
        return 0;
    for (int k = 0; k < d->host_count; k++)
        if (!strcasecmp(host, d->hosts[k]))
            return 1;
    return 0;
}

/* Origin, when sent, must be this page's own: "http://" + an accepted Host. */
static int origin_allowed(const dashboard *d, const char *origin)
{
    return origin && !strncasecmp(origin, "http://", 7) && host_allowed(d, origin + 7);
}

static int token_equal(const char *given, const char *token)
{
    if (!given || strlen(given) != strlen(token))
        return 0;
    unsigned char diff = 0;
    for (size_t k = 0; token[k]; k++)
        diff |= (unsigned char)(given[k] ^ token[k]);
    return diff == 0;
}

typedef struct asset {
    const char *path, *type;
    const char *start, *end;
} asset;

static const asset assets[] = {
    {"/app.js", "text/javascript; charset=utf-8", dash_app_js, dash_app_js_end},
    {"/app.css", "text/css; charset=utf-8", dash_app_css, dash_app_css_end},
    {"/uPlot.iife.min.js", "text/javascript; charset=utf-8", dash_uplot_js, dash_uplot_js_end},
    {"/uPlot.min.css", "text/css; charset=utf-8", dash_uplot_css, dash_uplot_css_end},
    {"/LICENSE.uPlot", "text/plain; charset=utf-8", dash_uplot_license, dash_uplot_license_end},
};

static const asset *asset_for(const char *url)
{
    for (size_t k = 0; k < sizeof assets / sizeof assets[0]; k++)
        if (!strcmp(url, assets[k].path))
            return &assets[k];
    return NULL;
}

/* ---- the event stream ---- */

typedef struct stream {
    dashboard *d;
    uint64_t status_sent, metrics_sent_gen;
    size_t rows_sent;
    int epoch_sent;
    int started;
    cr_buf pending;
    size_t pending_at;
} stream;

static void stream_event(cr_buf *out, const char *name, const cr_buf *data)
{
    cr_buf_printf(out, "event: %s\ndata: ", name);
    cr_buf_append(out, data->data ? data->data : "{}", data->data ? data->len : 2);
    cr_buf_puts(out, "\n\n");
}

/* Fills s->pending with the events this stream has not had yet; waits for news when there is
 * none (each connection has its own thread). Returns 0 when the daemon stops. */
static int stream_fill(stream *s)
{
    dashboard *d = s->d;
    cr_buf_reset(&s->pending);
    s->pending_at = 0;
    pthread_mutex_lock(&d->lock);
    if (!s->started) {
        cr_buf_puts(&s->pending, "retry: 1000\n\n");
        s->started = 1;
    }
    int64_t deadline = cr_mono_ms() + KEEPALIVE_MS;
    while (!d->stopping && s->status_sent == d->status_gen &&
           s->metrics_sent_gen == d->metrics_gen && s->pending.len == 0) {
        int64_t left = deadline - cr_mono_ms();
        if (left <= 0) {
            cr_buf_puts(&s->pending, ": keep-alive\n\n");
            break;
        }
        struct timespec until = cr_wall_after_ms(left);
        pthread_cond_timedwait(&d->changed, &d->lock, &until);
    }
    if (d->stopping) {
        pthread_mutex_unlock(&d->lock);
        return 0;
    }
    if (s->status_sent != d->status_gen && d->status.len) {
        stream_event(&s->pending, "status", &d->status);
        s->status_sent = d->status_gen;
    }
    if (s->metrics_sent_gen != d->metrics_gen) {
        if (s->epoch_sent != d->metrics.epoch)
            s->rows_sent = 0;
        cr_buf data;
        cr_buf_init(&data);
        metrics_json(d, s->rows_sent, &data);
        stream_event(&s->pending, "metrics", &data);
        cr_buf_free(&data);
        s->rows_sent = d->metrics.rows;
        s->epoch_sent = d->metrics.epoch;
        s->metrics_sent_gen = d->metrics_gen;
    }
    pthread_mutex_unlock(&d->lock);
    return !s->pending.failed;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *s = cls;
    while (s->pending_at >= s->pending.len)
        if (!stream_fill(s))
            return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = s->pending.len - s->pending_at;
    if (n > max)
        n = max;
    memcpy(buf, s->pending.data + s->pending_at, n);
    s->pending_at += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream *s = cls;
    cr_buf_free(&s->pending);
    free(s);
}

static enum MHD_Result serve_events(dashboard *d, struct MHD_Connection *c)
{
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return send_text(c, 500, "out of memory\n");
    s->d = d;
    s->epoch_sent = -1;
    s->metrics_sent_gen = UINT64_MAX; /* a new stream gets the metrics so far at once */
    cr_buf_init(&s->pending);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
    if (!r)
        stream_free(s);
    return queue(c, 200, r, "text/event-stream", 0);
}

/* ---- the other routes ---- */

typedef struct log_ctx {
    char path[PATH_MAX];
    char stage[72];
} log_ctx;

static void log_found(const record_run_row *row, void *arg)
{
    log_ctx *ctx = arg;
    snprintf(ctx->path, sizeof ctx->path, "%s", row->log ? row->log : "");
    snprintf(ctx->stage, sizeof ctx->stage, "%s", row->stage ? row->stage : "");
}

static int parse_id(const char *text, int64_t *id)
{
    if (!text || !*text || strlen(text) > 18)
        return 0;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    *id = strtoll(text, NULL, 10);
    return *id > 0;
}

/* GET /log/RUN: the run's output as plain text (the newest LOG_TAIL_MAX bytes). */
static enum MHD_Result serve_log(dashboard *d, struct MHD_Connection *c, const char *id_text)
{
    int64_t id;
    if (!parse_id(id_text, &id))
        return send_text(c, 404, "no such run\n");
    log_ctx ctx = {.path = ""};
    record *rec;
    cr_err err;
    if (record_open(&rec, STATE_RECORD, &err))
        return send_text(c, 503, "the record cannot be read\n");
    record_run_filter one = {.id = id};
    /* a run that cannot be read now is answered as not found: the page asks again */
    int found = record_list_runs(rec, &one, log_found, &ctx, &err) == CR_OK && ctx.stage[0];
    record_close(rec);
    if (!found)
        return send_text(c, 404, "no such run\n");
    if (!inside_workspace(ctx.path) ||
        strncmp(ctx.path, STATE_RUN_LOGS "/", strlen(STATE_RUN_LOGS) + 1))
        return send_text(c, 404, "this run has no log\n");
    int fd = open(ctx.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return send_text(c, 404, "this run's log was removed (only the newest runs keep theirs)\n");
    struct stat st;
    cr_buf body;
    cr_buf_init(&body);
    off_t from = 0;
    if (fstat(fd, &st) == 0 && st.st_size > LOG_TAIL_MAX) {
        from = st.st_size - LOG_TAIL_MAX;
        cr_buf_printf(&body, "[... the first %lld bytes are not shown ...]\n", (long long)from);
    }
    char chunk[65536];
    ssize_t got;
    while ((got = pread(fd, chunk, sizeof chunk, from)) > 0) {
        cr_buf_append(&body, chunk, (size_t)got);
        from += got;
    }
    close(fd);
    if (!body.len)
        cr_buf_puts(&body, "(the run wrote nothing)\n");
    enum MHD_Result result =
        send_response(c, 200, "text/plain; charset=utf-8", body.data, body.len, 1, 0);
    cr_buf_free(&body);
    return result;
}

/* POST /api/retry?item=N: what `orchestrator retry N` does. */
static enum MHD_Result serve_retry(dashboard *d, struct MHD_Connection *c)
{
    const char *item = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "item");
    int64_t id;
    cr_buf body;
    cr_buf_init(&body);
    cr_json j;
    cr_json_init(&j, &body);
    cr_json_object_begin(&j);
    unsigned status = 200;
    if (!parse_id(item, &id)) {
        status = 400;
        cr_json_kv_bool(&j, "ok", 0);
        cr_json_kv_string(&j, "error", "item: expected an item number");
    } else {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)id);
        cr_err err = {0};
        int code = d->retry(d->config.path, text, &err);
        cr_json_kv_bool(&j, "ok", code == CR_OK);
        cr_json_kv_int(&j, "item", id);
        if (code) {
            status = code == CR_ENOINPUT ? 404 : 409;
            cr_json_kv_string(&j, "error", err.msg);
        }
        cr_info("dashboard: retry of item %lld: %s", (long long)id,
                code ? err.msg : "queued again");
    }
    cr_json_object_end(&j);
    return send_json(c, status, &body);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    static int seen;
    dashboard *d = cls;
    if (!*state) {
        *state = &seen; /* headers only: the body, if any, comes in the next calls */
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* no route reads a body */
        return MHD_YES;
    }
    int is_get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
    if (!host_allowed(d, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
        return send_text(c, 403,
                         "forbidden: unknown Host (see dashboard.hosts in pipeline.yaml)\n");
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if ((origin || is_post) && !origin_allowed(d, origin))
        return send_text(c, 403, "forbidden: cross-origin request\n");
    if (is_post) {
        if (!token_equal(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Dashboard-Token"),
                         d->token))
            return send_text(c, 403, "forbidden: missing or wrong X-Dashboard-Token\n");
        if (!strcmp(url, "/api/retry"))
            return serve_retry(d, c);
        return send_text(c, 404, "not found\n");
    }
    if (!strcmp(url, "/api/retry"))
        return send_text(c, 405, "method not allowed: POST only\n");
    if (!is_get)
        return send_text(c, 405, "method not allowed\n");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return send_response(c, 200, "text/html; charset=utf-8", d->index_html.data,
                             d->index_html.len, 0, 0);
    if (!strcmp(url, "/api/events"))
        return serve_events(d, c);
    if (!strcmp(url, "/api/status")) {
        cr_buf body;
        cr_buf_init(&body);
        pthread_mutex_lock(&d->lock);
        cr_buf_append(&body, d->status.data ? d->status.data : "{}",
                      d->status.data ? d->status.len : 2);
        pthread_mutex_unlock(&d->lock);
        return send_json(c, 200, &body);
    }
    if (!strcmp(url, "/api/metrics")) {
        const char *since_text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
        int64_t since = 0;
        if (since_text && strcmp(since_text, "0") && !parse_id(since_text, &since))
            return send_text(c, 400, "since: expected a row number\n");
        cr_buf body;
        cr_buf_init(&body);
        pthread_mutex_lock(&d->lock);
        metrics_json(d, (size_t)since, &body);
        pthread_mutex_unlock(&d->lock);
        return send_json(c, 200, &body);
    }
    if (!strncmp(url, "/log/", 5))
        return serve_log(d, c, url + 5);
    const asset *a = asset_for(url);
    if (a)
        return send_response(c, 200, a->type, a->start, (size_t)(a->end - a->start), 0, 1);
    return send_text(c, 404, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len && line[len - 1] == '\n')
        line[--len] = '\0';
    cr_debug("dashboard: %s", line);
}

/* ---- start and stop ---- */

static void host_add(dashboard *d, const char *name, int port)
{
    if (d->host_count >= HOSTS_MAX)
        return;
    char *out = d->hosts[d->host_count++];
    snprintf(out, sizeof d->hosts[0], "%s:%d", name, port);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (port == 80 && d->host_count < HOSTS_MAX)
        snprintf(d->hosts[d->host_count++], sizeof d->hosts[0], "%s", name);
}

static int listen_socket(dashboard *d, cr_err *err)
{
    const dashboard_config *dc = &d->config.dashboard;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof addr);
    int family = strchr(dc->address, ':') ? AF_INET6 : AF_INET;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)dc->port);
        inet_pton(AF_INET6, dc->address, &a->sin6_addr);
        addr_len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&addr;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)dc->port);
        inet_pton(AF_INET, dc->address, &a->sin_addr);
        addr_len = sizeof *a;
    }
    /* close-on-exec: the stages' runs must not inherit the port */
    d->listen_fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (d->listen_fd < 0)
        return cr_fail_errno(err, CR_EOTHER, "dashboard: socket");
    int one = 1;
    setsockopt(d->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(d->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(d->listen_fd, (struct sockaddr *)&addr, addr_len) != 0 ||
        listen(d->listen_fd, 64) != 0)
        return cr_fail_errno(err, errno == EADDRINUSE ? CR_ETEMP : CR_EOTHER,
                             "dashboard: listening on %s", dc->listen);
    if (getsockname(d->listen_fd, (struct sockaddr *)&addr, &addr_len) != 0)
        return cr_fail_errno(err, CR_EOTHER, "dashboard: getsockname");
    d->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                       : ((struct sockaddr_in *)&addr)->sin_port);
    int any = !strcmp(dc->address, "0.0.0.0") || !strcmp(dc->address, "::");
    if (family == AF_INET6)
        snprintf(d->url, sizeof d->url, "http://[%s]:%d/", any ? "::1" : dc->address, d->port);
    else
        snprintf(d->url, sizeof d->url, "http://%s:%d/", any ? "127.0.0.1" : dc->address, d->port);
    char bracketed[80];
    snprintf(bracketed, sizeof bracketed, family == AF_INET6 ? "[%s]" : "%s", dc->address);
    host_add(d, "127.0.0.1", d->port);
    host_add(d, "localhost", d->port);
    host_add(d, "[::1]", d->port);
    host_add(d, bracketed, d->port);
    for (int k = 0; k < dc->host_count; k++)
        host_add(d, dc->hosts[k], d->port);
    return CR_OK;
}

/* A folder from a stage's argv, with a leading {workspace} placeholder expanded. */
static void folder_from_argv(const dashboard *d, const char *value, char *out, size_t size)
{
    if (!strncmp(value, "{workspace}", 11))
        snprintf(out, size, "%s%s", d->config.workspace, value + 11);
    else
        snprintf(out, size, "%s", value);
}

/* Where the trainer writes (its stage's --out) and where the crawler keeps its state. */
static void find_stage_folders(dashboard *d)
{
    snprintf(d->models_dir, sizeof d->models_dir, "models");
    snprintf(d->crawl_out, sizeof d->crawl_out, "raw");
    for (int i = 0; i < d->config.stage_count; i++) {
        const stage_config *s = &d->config.stages[i];
        const char *program = base_name(s->argv[0]);
        const char *out = argv_option(s, "--out");
        if (!strcmp(program, "trainer") && !d->train_stage[0]) {
            snprintf(d->train_stage, sizeof d->train_stage, "%s", s->name);
            if (out)
                folder_from_argv(d, out, d->models_dir, sizeof d->models_dir);
        }
        if (!strcmp(program, "crawler") && !d->crawl_stage[0]) {
            snprintf(d->crawl_stage, sizeof d->crawl_stage, "%s", s->name);
            if (out)
                folder_from_argv(d, out, d->crawl_out, sizeof d->crawl_out);
            const char *state = argv_option(s, "--state");
            if (state)
                folder_from_argv(d, state, d->crawl_state, sizeof d->crawl_state);
        }
    }
    if (!d->crawl_state[0])
        snprintf(d->crawl_state, sizeof d->crawl_state, "%s/.crawler-state", d->crawl_out);
}

static int page_with_token(dashboard *d)
{
    static const char mark[] = "{{token}}";
    const char *page = dash_index_html;
    const char *at = strstr(page, mark);
    if (!at)
        return -1;
    cr_buf_append(&d->index_html, page, (size_t)(at - page));
    cr_buf_puts(&d->index_html, d->token);
    cr_buf_append(&d->index_html, at + strlen(mark),
                  (size_t)(dash_index_html_end - at) - strlen(mark));
    return d->index_html.failed ? -1 : 0;
}

int dashboard_start(dashboard **out, const pipeline_config *config, pid_t daemon_pid,
                    dashboard_retry_fn retry, cr_err *err)
{
    *out = NULL;
    dashboard *d = calloc(1, sizeof *d);
    if (!d)
        return cr_fail(err, CR_EOTHER, "out of memory");
    d->listen_fd = -1;
    d->daemon_pid = daemon_pid;
    d->retry = retry;
    d->metrics.last_val_loss = NAN;
    d->metrics.last_val_step = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->changed, NULL);
    cr_buf_init(&d->status);
    cr_buf_init(&d->index_html);
    cr_buf_init(&d->metrics.latest);
    int code = config_load(&d->config, config->path, err);
    if (!code && !d->config.dashboard.listen)
        code = cr_fail(err, CR_EUSAGE, "dashboard: %s has no dashboard entry", config->path);
    unsigned char random[16];
    if (!code && getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
        code = cr_fail_errno(err, CR_EOTHER, "dashboard: getrandom");
    for (size_t k = 0; !code && k < sizeof random; k++)
        snprintf(d->token + 2 * k, 3, "%02x", random[k]);
    if (!code && page_with_token(d))
        code = cr_fail(err, CR_EOTHER, "dashboard: the built-in page has no token mark");
    if (!code)
        code = listen_socket(d, err);
    if (!code)
        code = record_open(&d->rec, STATE_RECORD, err);
    if (code) {
        dashboard_stop(d);
        return code;
    }
    find_stage_folders(d);
    metrics_refresh(d);
    status_build(d, &d->status); /* the first requests have an answer at once */
    d->status_gen = d->metrics_gen = 1;
    if (pthread_create(&d->watcher, NULL, watch_loop, d) != 0) {
        dashboard_stop(d);
        return cr_fail(err, CR_EOTHER, "dashboard: cannot start its thread");
    }
    d->watcher_started = 1;
    d->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                  MHD_USE_ERROR_LOG,
                              0, NULL, NULL, handle, d, MHD_OPTION_LISTEN_SOCKET, d->listen_fd,
                              MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 120U,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, d, MHD_OPTION_END);
    if (!d->mhd) {
        dashboard_stop(d);
        return cr_fail(err, CR_EOTHER, "dashboard: libmicrohttpd did not start on %s",
                       config->dashboard.listen);
    }
    char line[160];
    snprintf(line, sizeof line, "%s\n", d->url);
    if (cr_write_file_atomic(STATE_DASHBOARD, line, strlen(line), err)) {
        dashboard_stop(d);
        return cr_err_context(err, "dashboard");
    }
    cr_info("dashboard: %s", d->url);
    *out = d;
    return CR_OK;
}

const char *dashboard_url(const dashboard *d)
{
    return d->url;
}

void dashboard_stop(dashboard *d)
{
    if (!d)
        return;
    if (d->mhd)
        unlink(STATE_DASHBOARD);
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->lock);
    if (d->mhd)
        MHD_stop_daemon(d->mhd); /* joins the connections' threads: the streams end above */
    else if (d->listen_fd >= 0)
        close(d->listen_fd);
    if (d->mhd && d->listen_fd >= 0)
        close(d->listen_fd); /* MHD does not close a socket it was given */
    if (d->watcher_started)
        pthread_join(d->watcher, NULL);
    record_close(d->rec);
    series_free(&d->metrics);
    cr_buf_free(&d->status);
    cr_buf_free(&d->index_html);
    config_free(&d->config);
    pthread_cond_destroy(&d->changed);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* ---- `orchestrator dashboard` ---- */

int dashboard_command(const char *config_path, cr_err *err)
{
    pipeline_config c;
    int code = config_load(&c, config_path, err);
    if (code)
        return code;
    if (!c.dashboard.listen) {
        code = cr_fail(err, CR_ENOINPUT,
                       "dashboard: off: %s has no `dashboard: {listen: 127.0.0.1:8080}` entry",
                       c.path);
        config_free(&c);
        return code;
    }
    char *url = NULL;
    size_t len = 0;
    int running = chdir(c.workspace) == 0 && pidfile_holder() > 0 &&
                  cr_read_file(STATE_DASHBOARD, &url, &len, 4096, NULL) == CR_OK && len > 0;
    pid_t pid = running ? 0 : pidfile_holder();
    if (running)
        fputs(url, stdout);
    else if (pid > 0)
        code = cr_fail(err, CR_ETEMP,
                       "dashboard: the daemon (pid %ld) serves none: it could not listen on %s "
                       "(see %s)",
                       (long)pid, c.dashboard.listen, STATE_LOG);
    else
        code = cr_fail(err, CR_ETEMP,
                       "dashboard: the daemon is not running (orchestrator start); it will "
                       "listen on %s",
                       c.dashboard.listen);
    free(url);
    config_free(&c);
    return code;
}
