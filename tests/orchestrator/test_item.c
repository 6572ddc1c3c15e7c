/* test_item.c — an item's transitions (item.c), each rule on its own: what a run's end makes
 * of an item, whether it counts as an attempt, when it retries and when it is quarantined. The
 * record that stores the answer: test_record.c; the daemon that acts on it: test_runs.sh. */
#include "check.h"
#include "item.h"

static const retry_policy policy = {
    .max_attempts = 3, .delay_ms = 1000, .backoff = 2.0, .max_delay_ms = 60000, .jitter = 0.0};

TEST(success_is_done_and_counts)
{
    run_end end = {.exit_code = 0, .batch_size = 4};
    item_next n = item_after_run(&end, &policy, 1, 0, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_DONE);
    CHECK_INT_EQ(n.attempts, 2);
    CHECK_INT_EQ(n.exit_code, 0);
    CHECK_INT_EQ(n.quarantine, 0);
    CHECK_STR_EQ(run_outcome(&end), "ok");
}

TEST(an_interruption_is_not_an_attempt)
{
    run_end end = {.exit_code = 143, .interrupted = 1, .batch_size = 1};
    item_next n = item_after_run(&end, &policy, 2, 1, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_QUEUED);
    CHECK_INT_EQ(n.attempts, 2);
    CHECK_INT_EQ(n.exit_code, -1); /* no exit code of its own to keep */
    CHECK_INT_EQ(n.solo, 1);       /* a split item stays alone */
    CHECK(n.note != NULL && strstr(n.note, "interrupted") != NULL);
    CHECK_STR_EQ(run_outcome(&end), "interrupted");
}

TEST(bad_data_in_a_batch_splits_it_uncounted)
{
    run_end end = {.exit_code = 65, .batch_size = 3};
    item_next n = item_after_run(&end, &policy, 0, 0, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_QUEUED);
    CHECK_INT_EQ(n.attempts, 0);
    CHECK_INT_EQ(n.solo, 1);
    CHECK_INT_EQ(n.exit_code, 65);
    CHECK_INT_EQ(n.quarantine, 0);
    CHECK_STR_EQ(run_outcome(&end), "bad-data");
}

TEST(bad_data_alone_is_quarantined_at_once)
{
    run_end end = {.exit_code = 65, .batch_size = 1};
    item_next n = item_after_run(&end, &policy, 0, 1, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_FAILED);
    CHECK_INT_EQ(n.attempts, 1);
    CHECK_INT_EQ(n.quarantine, 1);
    CHECK(n.note == NULL); /* the run's own error */
}

TEST(other_failures_retry_after_the_policy_delay)
{
    run_end end = {.exit_code = 1, .batch_size = 1};
    item_next n = item_after_run(&end, &policy, 0, 0, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_RETRYING);
    CHECK_INT_EQ(n.attempts, 1);
    CHECK_INT_EQ(n.next_attempt_ms, 6000);
    n = item_after_run(&end, &policy, 1, 0, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_RETRYING);
    CHECK_INT_EQ(n.next_attempt_ms, 7000); /* backoff 2.0 */
    CHECK_STR_EQ(run_outcome(&end), "failed");
}

TEST(the_last_attempt_quarantines)
{
    run_end end = {.exit_code = 75, .batch_size = 2};
    item_next n = item_after_run(&end, &policy, 2, 0, 5000, 0.0);
    CHECK_STR_EQ(n.state, ITEM_FAILED);
    CHECK_INT_EQ(n.attempts, 3);
    CHECK_INT_EQ(n.quarantine, 1);
    CHECK_INT_EQ(n.exit_code, 75);
}

TEST(a_timeout_is_a_failure_like_any_other)
{
    run_end end = {.exit_code = 128 + 15, .timed_out = 1, .batch_size = 1};
    item_next n = item_after_run(&end, &policy, 0, 0, 0, 0.5);
    CHECK_STR_EQ(n.state, ITEM_RETRYING);
    CHECK_INT_EQ(n.next_attempt_ms, 1000);
    CHECK_STR_EQ(run_outcome(&end), "timeout");
}

TEST(waiting_states)
{
    CHECK(item_waiting(ITEM_QUEUED));
    CHECK(item_waiting(ITEM_RETRYING));
    CHECK(!item_waiting(ITEM_RUNNING));
    CHECK(!item_waiting(ITEM_DONE));
    CHECK(!item_waiting(ITEM_FAILED));
    CHECK(!item_waiting(ITEM_GONE));
}

int main(void)
{
    RUN(success_is_done_and_counts);
    RUN(an_interruption_is_not_an_attempt);
    RUN(bad_data_in_a_batch_splits_it_uncounted);
    RUN(bad_data_alone_is_quarantined_at_once);
    RUN(other_failures_retry_after_the_policy_delay);
    RUN(the_last_attempt_quarantines);
    RUN(a_timeout_is_a_failure_like_any_other);
    RUN(waiting_states);
    return check_summary();
}
