/* report.c — see report.h. Plain SQL over the record; counts come from the items table, the
 * runs in flight from runs without an end (stale ones when no daemon runs are shown as
 * interrupted: the next start runs them again). */
#include "report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "json.h"
#include "log.h"
#include "parse.h"

enum { COL_QUEUED, COL_RUNNING, COL_RETRYING, COL_DONE, COL_FAILED, COL_COUNT };
static const char *col_names[COL_COUNT] = {"queued", "running", "retrying", "done", "failed"};

static const char *text_or(sqlite3_stmt *s, int col, const char *fallback)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : fallback;
}

/* A column's text for the terminal: names and messages come from file names and programs'
 * output, so their control characters are shown escaped (cr_escape_controls). Each call has a
 * buffer of its own among SHOWN_SLOTS, so one printf may show several columns. */
#define SHOWN_SLOTS 4
static const char *shown(sqlite3_stmt *s, int col, const char *fallback)
{
    static char slots[SHOWN_SLOTS][2048];
    static int next;
    char *out = slots[next++ % SHOWN_SLOTS];
    cr_escape_controls(text_or(s, col, fallback), out, sizeof slots[0]);
    return out;
}

static void counts_for(sqlite3 *db, const char *stage, long long counts[COL_COUNT])
{
    memset(counts, 0, sizeof(long long) * COL_COUNT);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT state, COUNT(*) FROM items WHERE stage=? GROUP BY state", -1,
                           &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *state = text_or(s, 0, "");
        for (int c = 0; c < COL_COUNT; c++)
            if (!strcmp(state, col_names[c]))
                counts[c] = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
}

/* A run of the "last runs" query (exit in column 2, outcome in 4) that the orchestrator ended
 * (a stop, a crash): its exit status, if any, is not the program's verdict. */
static int run_interrupted(sqlite3_stmt *s)
{
    return sqlite3_column_type(s, 2) == SQLITE_NULL || !strcmp(text_or(s, 4, ""), "interrupted");
}

static void duration_text(long long ms, char *out, int size)
{
    cr_format_duration(ms < 0 ? 0 : ms, out, size);
}

static void inputs_text(sqlite3_stmt *s, int count_col, int first_col, char *out, size_t size)
{
    long long count = sqlite3_column_int64(s, count_col);
    const char *first = shown(s, first_col, "");
    if (count <= 0)
        snprintf(out, size, "(no input)");
    else if (count == 1)
        snprintf(out, size, "%s", first);
    else
        snprintf(out, size, "%s (+%lld more)", first, count - 1);
}

int report_status(record *rec, const pipeline_config *c, pid_t daemon_pid, const int *settling,
                  int json, cr_buf *out)
{
    sqlite3 *db = record_db(rec);
    long long now = wall_ms();
    cr_json j;
    if (json) {
        cr_json_init(&j, out);
        cr_json_object_begin(&j);
        cr_json_kv_bool(&j, "running", daemon_pid > 0);
        if (daemon_pid > 0)
            cr_json_kv_int(&j, "pid", daemon_pid);
        cr_json_kv_string(&j, "workspace", c->workspace);
        cr_json_kv_string(&j, "config", c->path);
        cr_json_key(&j, "stages");
        cr_json_array_begin(&j);
    } else {
        if (daemon_pid > 0)
            cr_buf_printf(out, "orchestrator: running, pid %ld (workspace %s)\n", (long)daemon_pid,
                          c->workspace);
        else
            cr_buf_printf(out, "orchestrator: not running (workspace %s)\n", c->workspace);
        cr_buf_printf(out, "%-16s %8s %8s %9s %8s %8s\n", "STAGE", "QUEUED", "RUNNING", "RETRYING",
                      "DONE", "FAILED");
    }
    for (int i = 0; i < c->stage_count; i++) {
        long long counts[COL_COUNT];
        counts_for(db, c->stages[i].name, counts);
        int settling_here = settling ? settling[i] : 0;
        counts[COL_QUEUED] += settling_here;
        if (json) {
            cr_json_object_begin(&j);
            cr_json_kv_string(&j, "name", c->stages[i].name);
            for (int k = 0; k < COL_COUNT; k++)
                cr_json_kv_int(&j, col_names[k], counts[k]);
            cr_json_kv_int(&j, "settling", settling_here);
            cr_json_object_end(&j);
        } else {
            cr_buf_printf(out, "%-16s %8lld %8lld %9lld %8lld %8lld\n", c->stages[i].name,
                          counts[COL_QUEUED], counts[COL_RUNNING], counts[COL_RETRYING],
                          counts[COL_DONE], counts[COL_FAILED]);
        }
    }
    if (json)
        cr_json_array_end(&j);

    sqlite3_stmt *s;
    char inputs[1200], when[32];
    /* Runs in flight. */
    if (json) {
        cr_json_key(&j, "runs");
        cr_json_array_begin(&j);
    }
    int header = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, stage, pid, start_ms, item_count, first_input FROM runs"
                           " WHERE end_ms IS NULL ORDER BY id",
                           -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            long long elapsed = now - sqlite3_column_int64(s, 3);
            inputs_text(s, 4, 5, inputs, sizeof inputs);
            if (json) {
                cr_json_object_begin(&j);
                cr_json_kv_int(&j, "run", sqlite3_column_int64(s, 0));
                cr_json_kv_string(&j, "stage", text_or(s, 1, ""));
                cr_json_kv_int(&j, "pid", sqlite3_column_int64(s, 2));
                cr_json_kv_int(&j, "elapsed_ms", elapsed);
                cr_json_kv_int(&j, "inputs", sqlite3_column_int64(s, 4));
                cr_json_kv_string(&j, "first_input", text_or(s, 5, ""));
                cr_json_object_end(&j);
                continue;
            }
            if (!header++)
                cr_buf_puts(out, daemon_pid > 0 ? "running:\n"
                                                : "interrupted (they run again at start):\n");
            duration_text(elapsed, when, sizeof when);
            cr_buf_printf(out, "  %-12s run %-6lld pid %-7lld elapsed %-8s %s\n", text_or(s, 1, ""),
                          sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 2), when, inputs);
        }
        sqlite3_finalize(s);
    }
    if (json) {
        cr_json_array_end(&j);
        cr_json_key(&j, "retrying");
        cr_json_array_begin(&j);
    }
    header = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT stage, path, attempts, next_attempt_ms, last_error FROM items"
                           " WHERE state='retrying' ORDER BY next_attempt_ms LIMIT 20",
                           -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            long long next_in = sqlite3_column_int64(s, 3) - now;
            const char *stage = text_or(s, 0, "");
            const stage_config *sc = config_stage(c, stage);
            if (json) {
                cr_json_object_begin(&j);
                cr_json_kv_string(&j, "stage", stage);
                cr_json_kv_string(&j, "path", text_or(s, 1, ""));
                cr_json_kv_int(&j, "attempts", sqlite3_column_int64(s, 2));
                cr_json_kv_int(&j, "next_attempt_in_ms", next_in < 0 ? 0 : next_in);
                cr_json_kv_string(&j, "last_error", text_or(s, 4, ""));
                cr_json_object_end(&j);
                continue;
            }
            if (!header++)
                cr_buf_puts(out, "retrying:\n");
            duration_text(next_in, when, sizeof when);
            cr_buf_printf(out, "  %-12s %s: attempt %lld of %d failed (%s); next attempt in %s\n",
                          stage, shown(s, 1, ""), sqlite3_column_int64(s, 2),
                          sc ? sc->retry.max_attempts : 0, shown(s, 4, "?"), when);
        }
        sqlite3_finalize(s);
    }
    if (json) {
        cr_json_array_end(&j);
        cr_json_key(&j, "failed");
        cr_json_array_begin(&j);
    }
    header = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, stage, path, failed_path, attempts, last_error FROM items"
                           " WHERE state='failed' ORDER BY updated_ms DESC, id DESC LIMIT 10",
                           -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (json) {
                cr_json_object_begin(&j);
                cr_json_kv_int(&j, "item", sqlite3_column_int64(s, 0));
                cr_json_kv_string(&j, "stage", text_or(s, 1, ""));
                cr_json_kv_string(&j, "path", text_or(s, 2, ""));
                cr_json_kv_string(&j, "moved_to", text_or(s, 3, ""));
                cr_json_kv_int(&j, "attempts", sqlite3_column_int64(s, 4));
                cr_json_kv_string(&j, "last_error", text_or(s, 5, ""));
                cr_json_object_end(&j);
                continue;
            }
            if (!header++)
                cr_buf_puts(out,
                            "failed (latest first; `orchestrator retry ITEM` runs one again):\n");
            long long attempts = sqlite3_column_int64(s, 4);
            cr_buf_printf(out, "  item %-6lld %-12s %s -> %s after %lld attempt%s: %s\n",
                          sqlite3_column_int64(s, 0), text_or(s, 1, ""), shown(s, 2, ""),
                          shown(s, 3, "?"), attempts, attempts == 1 ? "" : "s", shown(s, 5, "?"));
        }
        sqlite3_finalize(s);
    }
    if (json) {
        cr_json_array_end(&j);
        cr_json_key(&j, "last_runs");
        cr_json_array_begin(&j);
    }
    header = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, stage, exit, duration_ms, outcome, item_count, first_input"
                           " FROM runs WHERE end_ms IS NOT NULL ORDER BY id DESC LIMIT 10",
                           -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (json) {
                cr_json_object_begin(&j);
                cr_json_kv_int(&j, "run", sqlite3_column_int64(s, 0));
                cr_json_kv_string(&j, "stage", text_or(s, 1, ""));
                cr_json_key(&j, "exit");
                if (run_interrupted(s))
                    cr_json_null(&j);
                else
                    cr_json_int(&j, sqlite3_column_int64(s, 2));
                cr_json_kv_int(&j, "duration_ms", sqlite3_column_int64(s, 3));
                cr_json_kv_string(&j, "outcome", text_or(s, 4, ""));
                cr_json_kv_int(&j, "inputs", sqlite3_column_int64(s, 5));
                cr_json_kv_string(&j, "first_input", text_or(s, 6, ""));
                cr_json_object_end(&j);
                continue;
            }
            if (!header++)
                cr_buf_puts(out, "last runs:\n");
            inputs_text(s, 5, 6, inputs, sizeof inputs);
            if (sqlite3_column_type(s, 3) == SQLITE_NULL)
                snprintf(when, sizeof when, "-");
            else
                duration_text(sqlite3_column_int64(s, 3), when, sizeof when);
            char exit_text[16] = "-"; /* interrupted: the run never exited on its own */
            if (!run_interrupted(s))
                snprintf(exit_text, sizeof exit_text, "%lld", sqlite3_column_int64(s, 2));
            cr_buf_printf(out, "  run %-6lld %-12s %-11s exit %-3s %-8s %s\n",
                          sqlite3_column_int64(s, 0), text_or(s, 1, ""), text_or(s, 4, ""),
                          exit_text, when, inputs);
        }
        sqlite3_finalize(s);
    }
    if (json) {
        cr_json_array_end(&j);
        cr_json_object_end(&j);
        cr_buf_putc(out, '\n');
    }
    return out->failed ? CR_EOTHER : CR_OK;
}
