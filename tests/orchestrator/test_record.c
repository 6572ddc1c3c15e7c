/* test_record.c — the record's rules (record.c) and quarantine (quarantine.c) in a temporary
 * folder: the same content is known, changed content is a new item that closes the older one,
 * failed items come back, the queue order, crash recovery, and failed/ names that never
 * overwrite. The daemon around them: test_*.sh. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "quarantine.h"
#include "record.h"
#include "runner.h"

static char *dir;

static record *open_record(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/record.sqlite", dir);
    record *rec = NULL;
    cr_err err = {0};
    CHECK_INT_EQ(record_open(&rec, path, &err), CR_OK);
    return rec;
}

static const char *state_of(record *rec, int64_t id)
{
    static char state[16];
    record_item item;
    state[0] = '\0';
    if (record_item_get(rec, id, &item, state, sizeof state))
        record_item_free(&item);
    return state;
}

TEST(same_content_is_known_changed_content_is_new)
{
    record *rec = open_record();
    int64_t a, b, c;
    int result;
    CHECK_INT_EQ(record_add(rec, "s", "in/x", "h1", 1, 1, 100, 0, &a, &result, NULL), CR_OK);
    CHECK_INT_EQ(result, RECORD_ADDED);
    CHECK_INT_EQ(record_add(rec, "s", "in/x", "h1", 1, 2, 100, 0, &b, &result, NULL), CR_OK);
    CHECK_INT_EQ(result, RECORD_KNOWN);
    CHECK_INT_EQ(b, a);
    CHECK(record_seen(rec, "s", "in/x", 1, 1));
    CHECK(!record_seen(rec, "s", "in/x", 1, 5));
    CHECK(!record_seen(rec, "other", "in/x", 1, 1)); /* items are per stage */
    /* New content while the old is still queued: the old one is closed. */
    CHECK_INT_EQ(record_add(rec, "s", "in/x", "h2", 2, 3, 100, 0, &c, &result, NULL), CR_OK);
    CHECK_INT_EQ(result, RECORD_ADDED);
    CHECK(c != a);
    CHECK_STR_EQ(state_of(rec, a), ITEM_GONE);
    CHECK_STR_EQ(state_of(rec, c), ITEM_QUEUED);
    record_close(rec);
}

TEST(done_stays_done_failed_comes_back)
{
    record *rec = open_record();
    int64_t id, again;
    int result;
    record_add(rec, "t", "in/y", "h", 1, 1, 100, 0, &id, &result, NULL);
    CHECK_INT_EQ(record_item_update(rec, id, ITEM_DONE, 1, 0, 0, NULL, NULL, 0, 200, NULL), CR_OK);
    record_add(rec, "t", "in/y", "h", 1, 1, 300, 0, &again, &result, NULL);
    CHECK_INT_EQ(result, RECORD_KNOWN);
    CHECK_STR_EQ(state_of(rec, id), ITEM_DONE);
    record_add(rec, "t", "in/y", "h", 1, 1, 300, 1, &again, &result, NULL); /* by hand */
    CHECK_INT_EQ(result, RECORD_REQUEUED);
    CHECK_STR_EQ(state_of(rec, id), ITEM_QUEUED);
    record_item_update(rec, id, ITEM_FAILED, 4, 0, 75, "exit 75", "failed/t/y", 0, 400, NULL);
    CHECK(!record_seen(rec, "t", "in/y", 1, 1)); /* a failed item's file is looked at again */
    record_add(rec, "t", "in/y", "h", 1, 1, 500, 0, &again, &result, NULL);
    CHECK_INT_EQ(result, RECORD_REQUEUED);
    record_item item;
    char state[16];
    CHECK(record_item_get(rec, id, &item, state, sizeof state));
    CHECK_INT_EQ(item.attempts, 0);
    CHECK_STR_EQ(item.exit_codes, "");
    record_item_free(&item);
    record_close(rec);
}

TEST(queue_order_retries_when_due_then_queued)
{
    record *rec = open_record();
    int64_t q1, q2, r1, r2;
    int result;
    record_add(rec, "u", "a", "1", 1, 1, 100, 0, &q1, &result, NULL);
    record_add(rec, "u", "b", "2", 1, 1, 100, 0, &r1, &result, NULL);
    record_add(rec, "u", "c", "3", 1, 1, 100, 0, &q2, &result, NULL);
    record_add(rec, "u", "d", "4", 1, 1, 100, 0, &r2, &result, NULL);
    record_item_update(rec, r1, ITEM_RETRYING, 1, 1000, 1, "exit 1", NULL, 0, 100, NULL);
    record_item_update(rec, r2, ITEM_RETRYING, 1, 5000, 1, "exit 1", NULL, 0, 100, NULL);
    record_item items[8];
    int n = record_due(rec, "u", 2000, 8, items, NULL);
    CHECK_INT_EQ(n, 3);
    if (n == 3) {
        CHECK_INT_EQ(items[0].id, r1); /* due retry first, the later one is not due */
        CHECK_INT_EQ(items[1].id, q1);
        CHECK_INT_EQ(items[2].id, q2);
        CHECK_STR_EQ(items[0].exit_codes, "1");
    }
    for (int k = 0; k < n; k++)
        record_item_free(&items[k]);
    CHECK_INT_EQ(record_due(rec, "u", 2000, 1, items, NULL), 1);
    record_item_free(&items[0]);
    CHECK_INT_EQ(record_next_due(rec, "u"), 0); /* queued items are due now */
    record_item_update(rec, q1, ITEM_DONE, 1, 0, 0, NULL, NULL, 0, 100, NULL);
    record_item_update(rec, q2, ITEM_DONE, 1, 0, 0, NULL, NULL, 0, 100, NULL);
    CHECK_INT_EQ(record_next_due(rec, "u"), 1000);
    CHECK_INT_EQ(record_next_due(rec, "nothing"), -1);
    record_close(rec);
}

/* The daemon and a hand `run` (two connections) both read the same items as due: each item is
 * claimed by one of them, and the other starts no run for it. */
TEST(an_item_is_claimed_once)
{
    record *daemon = open_record(), *by_hand = open_record();
    int64_t a, b, run_id, daemon_run, hand_run;
    int result;
    record_add(daemon, "w", "in/a", "ha", 1, 1, 100, 0, &a, &result, NULL);
    record_add(daemon, "w", "in/b", "hb", 1, 1, 100, 0, &b, &result, NULL);
    record_item seen_by_daemon[2], seen_by_hand[2];
    CHECK_INT_EQ(record_due(daemon, "w", 200, 2, seen_by_daemon, NULL), 2);
    CHECK_INT_EQ(record_due(by_hand, "w", 200, 2, seen_by_hand, NULL), 2);
    int count = 1; /* the daemon starts a run of the first one */
    CHECK_INT_EQ(
        record_run_begin(daemon, "w", 0, 0, 300, "", seen_by_daemon, &count, &daemon_run, NULL),
        CR_OK);
    CHECK_INT_EQ(count, 1);
    CHECK_INT_EQ(record_commit(daemon, NULL), CR_OK);
    count = 2; /* the hand run, a moment later, of both: only the second is still waiting */
    CHECK_INT_EQ(
        record_run_begin(by_hand, "w", 0, 0, 300, "", seen_by_hand, &count, &hand_run, NULL),
        CR_OK);
    CHECK_INT_EQ(count, 1);
    CHECK_INT_EQ(seen_by_hand[0].id, b);
    CHECK_INT_EQ(record_commit(by_hand, NULL), CR_OK);
    count = 1; /* and nothing is left for the daemon's second run */
    CHECK_INT_EQ(
        record_run_begin(daemon, "w", 0, 0, 300, "", seen_by_daemon + 1, &count, &run_id, NULL),
        CR_OK);
    CHECK_INT_EQ(count, 0);
    CHECK_INT_EQ(run_id, 0);
    CHECK_STR_EQ(state_of(daemon, a), ITEM_RUNNING);
    CHECK_STR_EQ(state_of(daemon, b), ITEM_RUNNING);
    CHECK_INT_EQ(record_run_end(daemon, daemon_run, 0, 400, "ok", NULL), CR_OK);
    CHECK_INT_EQ(record_run_end(daemon, hand_run, 0, 400, "ok", NULL), CR_OK);
    record_item_update(daemon, a, ITEM_DONE, 1, 0, 0, NULL, NULL, 0, 400, NULL);
    record_item_update(daemon, b, ITEM_DONE, 1, 0, 0, NULL, NULL, 0, 400, NULL);
    record_item_free(&seen_by_daemon[0]);
    record_item_free(&seen_by_hand[0]);
    record_close(by_hand);
    record_close(daemon);
}

TEST(recovery_after_a_crash)
{
    record *rec = open_record();
    int64_t id, run_id;
    int result;
    record_add(rec, "v", "in/z", "h", 1, 1, 100, 0, &id, &result, NULL);
    record_item item = {.id = id, .path = "in/z"};
    int count = 1;
    CHECK_INT_EQ(record_run_begin(rec, "v", 0, 0, 100, "", &item, &count, &run_id, NULL), CR_OK);
    CHECK_INT_EQ(count, 1);
    CHECK_INT_EQ(record_run_pid(rec, run_id, 999999, 42, "log", NULL), CR_OK);
    CHECK_INT_EQ(record_commit(rec, NULL), CR_OK);
    CHECK_STR_EQ(state_of(rec, id), ITEM_RUNNING);
    record_close(rec); /* the daemon dies here */
    rec = open_record();
    pid_t *pids;
    long long *starts;
    CHECK_INT_EQ(record_recover(rec, 500, &pids, &starts, &count, NULL), CR_OK);
    CHECK_INT_EQ(count, 1);
    if (count == 1) {
        CHECK_INT_EQ(pids[0], 999999);
        CHECK_INT_EQ(starts[0], 42);
    }
    free(pids);
    free(starts);
    CHECK_STR_EQ(state_of(rec, id), ITEM_QUEUED);
    record_item back;
    char state[16];
    record_item_get(rec, id, &back, state, sizeof state);
    CHECK_INT_EQ(back.attempts, 0); /* an interrupted run is not an attempt */
    record_item_free(&back);
    record_close(rec);
}

TEST(quarantine_never_overwrites)
{
    char in[600], failed[600], moved[4096], path[700];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(failed, sizeof failed, "%s/failed", dir);
    cr_mkdir_p(in, NULL);
    for (int round = 0; round < 2; round++) {
        snprintf(path, sizeof path, "%s/page.html", in);
        cr_write_file_atomic(path, "bad", 3, NULL);
        quarantine_report r = {.stage = "pre",
                               .input = path,
                               .hash = "abc",
                               .attempts = 4,
                               .exit_codes = "1,1,75,75",
                               .last_error = "exit 75",
                               .log_tail = "first line\nlast line"};
        cr_err err = {0};
        CHECK_INT_EQ(quarantine_move(failed, &r, moved, sizeof moved, &err), CR_OK);
        CHECK(!cr_is_file(path));
    }
    snprintf(path, sizeof path, "%s/pre/page.html", failed);
    CHECK(cr_is_file(path));
    snprintf(path, sizeof path, "%s/pre/page.html.1", failed);
    CHECK(cr_is_file(path));
    CHECK_STR_EQ(moved, path);
    snprintf(path, sizeof path, "%s/pre/page.html.1.error", failed);
    char *text = NULL;
    size_t len;
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, NULL), CR_OK);
    CHECK_CONTAINS(text, "stage: pre\n");
    CHECK_CONTAINS(text, "attempts: 4\n");
    CHECK_CONTAINS(text, "exit codes: 1,1,75,75\n");
    CHECK_CONTAINS(text, "  first line\n  last line\n");
    free(text);
}

TEST(log_tail_keeps_the_last_lines)
{
    char path[600], tail[4096];
    snprintf(path, sizeof path, "%s/run.log", dir);
    cr_write_file_atomic(path, "1\n2\n3\n4\n5\n", 10, NULL);
    runner_log_tail(path, 2, tail, sizeof tail);
    CHECK_STR_EQ(tail, "4\n5");
    runner_log_tail(path, 10, tail, sizeof tail);
    CHECK_STR_EQ(tail, "1\n2\n3\n4\n5");
    runner_log_tail("/nonexistent/log", 2, tail, sizeof tail);
    CHECK_STR_EQ(tail, "");
}

int main(void)
{
    dir = check_tmpdir();
    RUN(same_content_is_known_changed_content_is_new);
    RUN(done_stays_done_failed_comes_back);
    RUN(queue_order_retries_when_due_then_queued);
    RUN(an_item_is_claimed_once);
    RUN(recovery_after_a_crash);
    RUN(quarantine_never_overwrites);
    RUN(log_tail_keeps_the_last_lines);
    check_rm_rf(dir);
    return check_summary();
}
