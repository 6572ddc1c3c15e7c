/* report.c — see report.h. The rows come from record.c; one walk over them calls a printer,
 * the text one or the JSON one, with the same facts. Runs without an end are shown as
 * interrupted when no daemon runs (the next start runs them again). */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "parse.h"

typedef struct report {
    cr_buf *out;
    cr_json j;
    const pipeline_config *config;
    pid_t daemon_pid;
    int64_t now_ms;
    const char *heading; /* text: printed before the first row of a section */
} report;

/* What each printer does with the facts, in the order report_status walks them. */
typedef struct printer {
    void (*begin)(report *r, int recorded);
    void (*stage)(report *r, const char *name, const int64_t counts[RECORD_STATE_COUNT],
                  int settling);
    void (*section)(report *r, const char *key, const char *heading); /* key NULL: the end */
    record_run_fn in_flight, last_run;
    record_item_fn retrying, failed;
    void (*end)(report *r);
} printer;

/* ---- text ---- */

/* Names and messages come from file names and programs' output: on a terminal their control
 * characters are shown escaped. Each call has a buffer of its own among SHOWN_SLOTS, so one
 * printf may show several. */
#define SHOWN_SLOTS 4
static const char *shown(const char *text, const char *fallback)
{
    static char slots[SHOWN_SLOTS][2048];
    static int next;
    char *out = slots[next++ % SHOWN_SLOTS];
    cr_escape_controls(text ? text : fallback, out, sizeof slots[0]);
    return out;
}

static const char *inputs_text(const record_run_row *run, char *out, size_t size)
{
    const char *first = shown(run->first_input, "");
    if (run->item_count <= 0)
        snprintf(out, size, "(no input)");
    else if (run->item_count == 1)
        snprintf(out, size, "%s", first);
    else
        snprintf(out, size, "%s (+%d more)", first, run->item_count - 1);
    return out;
}

static const char *duration_text(int64_t ms, char *out, int size)
{
    cr_format_duration(ms < 0 ? 0 : ms, out, size);
    return out;
}

/* A run the orchestrator ended (a stop, a crash): its exit status, if any, is not the
 * program's verdict. */
static int run_interrupted(const record_run_row *run)
{
    return !run->has_exit || (run->outcome && !strcmp(run->outcome, "interrupted"));
}

static void text_heading(report *r)
{
    if (r->heading)
        cr_buf_puts(r->out, r->heading);
    r->heading = NULL;
}

static void text_begin(report *r, int recorded)
{
    if (!recorded)
        cr_buf_printf(r->out, "orchestrator: not running, nothing recorded yet (workspace %s)\n",
                      r->config->workspace);
    else if (r->daemon_pid > 0)
        cr_buf_printf(r->out, "orchestrator: running, pid %ld (workspace %s)\n",
                      (long)r->daemon_pid, r->config->workspace);
    else
        cr_buf_printf(r->out, "orchestrator: not running (workspace %s)\n", r->config->workspace);
    if (recorded)
        cr_buf_printf(r->out, "%-16s %8s %8s %9s %8s %8s\n", "STAGE", "QUEUED", "RUNNING",
                      "RETRYING", "DONE", "FAILED");
}

static void text_stage(report *r, const char *name, const int64_t c[RECORD_STATE_COUNT],
                       int settling)
{
    cr_buf_printf(r->out, "%-16s %8lld %8lld %9lld %8lld %8lld\n", name,
                  (long long)(c[RECORD_QUEUED] + settling), (long long)c[RECORD_RUNNING],
                  (long long)c[RECORD_RETRYING], (long long)c[RECORD_DONE],
                  (long long)c[RECORD_FAILED]);
}

static void text_section(report *r, const char *key, const char *heading)
{
    (void)key;
    r->heading = heading;
}

static void text_in_flight(const record_run_row *run, void *arg)
{
    report *r = arg;
    char inputs[1200], when[32];
    text_heading(r);
    cr_buf_printf(r->out, "  %-12s run %-6lld pid %-7ld elapsed %-8s %s\n", run->stage,
                  (long long)run->id, (long)run->pid,
                  duration_text(r->now_ms - run->start_ms, when, sizeof when),
                  inputs_text(run, inputs, sizeof inputs));
}

static void text_retrying(const record_item_row *item, void *arg)
{
    report *r = arg;
    const stage_config *s = config_stage(r->config, item->stage);
    char when[32];
    text_heading(r);
    cr_buf_printf(r->out, "  %-12s %s: attempt %d of %d failed (%s); next attempt in %s\n",
                  item->stage, shown(item->path, ""), item->attempts, s ? s->retry.max_attempts : 0,
                  shown(item->last_error, "?"),
                  duration_text(item->next_attempt_ms - r->now_ms, when, sizeof when));
}

static void text_failed(const record_item_row *item, void *arg)
{
    report *r = arg;
    text_heading(r);
    cr_buf_printf(r->out, "  item %-6lld %-12s %s -> %s after %d attempt%s: %s\n",
                  (long long)item->id, item->stage, shown(item->path, ""),
                  shown(item->failed_path, "?"), item->attempts, item->attempts == 1 ? "" : "s",
                  shown(item->last_error, "?"));
}

static void text_last_run(const record_run_row *run, void *arg)
{
    report *r = arg;
    char inputs[1200], when[32] = "-";
    char exit_text[16] = "-"; /* interrupted: the run never exited on its own */
    text_heading(r);
    if (run->duration_ms >= 0)
        duration_text(run->duration_ms, when, sizeof when);
    if (!run_interrupted(run))
        snprintf(exit_text, sizeof exit_text, "%d", run->exit_code);
    cr_buf_printf(r->out, "  run %-6lld %-12s %-11s exit %-3s %-8s %s\n", (long long)run->id,
                  run->stage, run->outcome ? run->outcome : "", exit_text, when,
                  inputs_text(run, inputs, sizeof inputs));
}

static void text_end(report *r)
{
    (void)r;
}

static const printer text_printer = {text_begin,    text_stage,    text_section, text_in_flight,
                                     text_last_run, text_retrying, text_failed,  text_end};

/* ---- JSON ---- */

static const char *or_empty(const char *text)
{
    return text ? text : "";
}

static void json_begin(report *r, int recorded)
{
    cr_json_init(&r->j, r->out);
    cr_json_object_begin(&r->j);
    cr_json_kv_bool(&r->j, "running", r->daemon_pid > 0);
    if (r->daemon_pid > 0)
        cr_json_kv_int(&r->j, "pid", r->daemon_pid);
    cr_json_kv_string(&r->j, "workspace", r->config->workspace);
    if (recorded)
        cr_json_kv_string(&r->j, "config", r->config->path);
    cr_json_key(&r->j, "stages");
    cr_json_array_begin(&r->j);
}

static void json_stage(report *r, const char *name, const int64_t c[RECORD_STATE_COUNT],
                       int settling)
{
    cr_json_object_begin(&r->j);
    cr_json_kv_string(&r->j, "name", name);
    for (int k = 0; k < RECORD_STATE_COUNT; k++)
        cr_json_kv_int(&r->j, record_state_names[k], c[k] + (k == RECORD_QUEUED ? settling : 0));
    cr_json_kv_int(&r->j, "settling", settling);
    cr_json_object_end(&r->j);
}

static void json_section(report *r, const char *key, const char *heading)
{
    (void)heading;
    cr_json_array_end(&r->j); /* the stages, or the section before */
    if (!key)
        return;
    cr_json_key(&r->j, key);
    cr_json_array_begin(&r->j);
}

static void json_in_flight(const record_run_row *run, void *arg)
{
    report *r = arg;
    cr_json *j = &r->j;
    cr_json_object_begin(j);
    cr_json_kv_int(j, "run", run->id);
    cr_json_kv_string(j, "stage", or_empty(run->stage));
    cr_json_kv_int(j, "pid", run->pid);
    cr_json_kv_int(j, "elapsed_ms", r->now_ms - run->start_ms);
    cr_json_kv_int(j, "inputs", run->item_count);
    cr_json_kv_string(j, "first_input", or_empty(run->first_input));
    cr_json_object_end(j);
}

static void json_retrying(const record_item_row *item, void *arg)
{
    report *r = arg;
    cr_json *j = &r->j;
    int64_t next_in = item->next_attempt_ms - r->now_ms;
    cr_json_object_begin(j);
    cr_json_kv_string(j, "stage", or_empty(item->stage));
    cr_json_kv_string(j, "path", or_empty(item->path));
    cr_json_kv_int(j, "attempts", item->attempts);
    cr_json_kv_int(j, "next_attempt_in_ms", next_in < 0 ? 0 : next_in);
    cr_json_kv_string(j, "last_error", or_empty(item->last_error));
    cr_json_object_end(j);
}

static void json_failed(const record_item_row *item, void *arg)
{
    cr_json *j = &((report *)arg)->j;
    cr_json_object_begin(j);
    cr_json_kv_int(j, "item", item->id);
    cr_json_kv_string(j, "stage", or_empty(item->stage));
    cr_json_kv_string(j, "path", or_empty(item->path));
    cr_json_kv_string(j, "moved_to", or_empty(item->failed_path));
    cr_json_kv_int(j, "attempts", item->attempts);
    cr_json_kv_string(j, "last_error", or_empty(item->last_error));
    cr_json_object_end(j);
}

static void json_last_run(const record_run_row *run, void *arg)
{
    cr_json *j = &((report *)arg)->j;
    cr_json_object_begin(j);
    cr_json_kv_int(j, "run", run->id);
    cr_json_kv_string(j, "stage", or_empty(run->stage));
    cr_json_key(j, "exit");
    if (run_interrupted(run))
        cr_json_null(j);
    else
        cr_json_int(j, run->exit_code);
    cr_json_kv_int(j, "duration_ms", run->duration_ms < 0 ? 0 : run->duration_ms);
    cr_json_kv_string(j, "outcome", or_empty(run->outcome));
    cr_json_kv_int(j, "inputs", run->item_count);
    cr_json_kv_string(j, "first_input", or_empty(run->first_input));
    cr_json_object_end(j);
}

static void json_end(report *r)
{
    cr_json_object_end(&r->j);
    cr_buf_putc(r->out, '\n');
}

static const printer json_printer = {json_begin,    json_stage,    json_section, json_in_flight,
                                     json_last_run, json_retrying, json_failed,  json_end};

/* ---- the walk ---- */

int report_status(record *rec, const pipeline_config *c, pid_t daemon_pid, const int *settling,
                  int json, cr_buf *out, cr_err *err)
{
    const printer *p = json ? &json_printer : &text_printer;
    report r = {.out = out, .config = c, .daemon_pid = daemon_pid, .now_ms = cr_wall_ms()};
    p->begin(&r, rec != NULL);
    int code = CR_OK;
    for (int i = 0; rec && i < c->stage_count && !code; i++) {
        int64_t counts[RECORD_STATE_COUNT];
        code = record_count_states(rec, c->stages[i].name, counts, err);
        if (!code)
            p->stage(&r, c->stages[i].name, counts, settling ? settling[i] : 0);
    }
    if (rec && !code) {
        p->section(&r, "runs",
                   daemon_pid > 0 ? "running:\n" : "interrupted (they run again at start):\n");
        record_run_filter in_flight = {.in_flight = 1, .limit = -1};
        code = record_list_runs(rec, &in_flight, p->in_flight, &r, err);
    }
    if (rec && !code) {
        p->section(&r, "retrying", "retrying:\n");
        record_item_filter retrying = {.state = ITEM_RETRYING, .limit = 20};
        code = record_list_items(rec, &retrying, p->retrying, &r, err);
    }
    if (rec && !code) {
        p->section(&r, "failed",
                   "failed (latest first; `orchestrator retry ITEM` runs one again):\n");
        record_item_filter failed = {.state = ITEM_FAILED, .limit = 10};
        code = record_list_items(rec, &failed, p->failed, &r, err);
    }
    if (rec && !code) {
        p->section(&r, "last_runs", "last runs:\n");
        record_run_filter last = {.limit = 10};
        code = record_list_runs(rec, &last, p->last_run, &r, err);
    }
    if (code)
        return code; /* out holds what was read; it is not a whole status */
    p->section(&r, NULL, NULL);
    p->end(&r);
    return out->failed ? cr_fail(err, CR_EOTHER, "status: out of memory") : CR_OK;
}
