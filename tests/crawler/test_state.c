/* test_state.c — the persistent frontier (state.c): seen-set, resume, generations, lock. */
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "check.h"
#include "state.h"

typedef struct collected {
    char urls[16][128];
    int states[16];
    int count;
} collected;

static int collect(void *ctx, const queued_page *page)
{
    collected *c = ctx;
    if (c->count < 16) {
        snprintf(c->urls[c->count], sizeof c->urls[0], "%s", page->url);
        c->states[c->count] = page->state;
        c->count++;
    }
    return CR_OK;
}

TEST(seen_set_and_queue_survive_reopening)
{
    char *dir = check_tmpdir();
    crawl_state *s;
    cr_err err;
    int resumed;
    int64_t gen, row_a, row_b, row;
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    CHECK_INT_EQ(resumed, 0);
    CHECK_INT_EQ(gen, 1);
    CHECK_INT_EQ(state_enqueue(s, "http://h/a", 0, NULL, &row_a, &err), 1);
    CHECK_INT_EQ(state_enqueue(s, "http://h/b", 1, "http://h/a", &row_b, &err), 1);
    CHECK_INT_EQ(state_enqueue(s, "http://h/a", 3, "http://h/b", &row, &err), 0);
    CHECK_INT_EQ(state_mark(s, row_a, PAGE_SAVED, 200, NULL, "\"e1\"", NULL, &err), 0);
    CHECK_INT_EQ(state_mark(s, row_b, PAGE_SAVING, 200, NULL, NULL, NULL, &err), 0);
    int64_t done;
    CHECK_INT_EQ(state_count_done(s, &done, &err), 0);
    CHECK_INT_EQ(done, 1);
    state_close(s); /* as if killed: the generation is not finished */

    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    CHECK_INT_EQ(resumed, 1);
    CHECK_INT_EQ(gen, 1);
    collected c = {0};
    CHECK_INT_EQ(state_load_queue(s, collect, &c, &err), 0);
    CHECK_INT_EQ(c.count, 1);
    CHECK_STR_EQ(c.urls[0], "http://h/b");
    CHECK_INT_EQ(c.states[0], PAGE_SAVING);
    CHECK_INT_EQ(state_enqueue(s, "http://h/a", 0, NULL, &row, &err), 0); /* still seen */
    CHECK_INT_EQ(state_finish_generation(s, &err), 0);
    state_close(s);

    /* A new generation: every URL may be queued again, with the old validators. */
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    CHECK_INT_EQ(resumed, 0);
    CHECK_INT_EQ(gen, 2);
    CHECK_INT_EQ(state_count_done(s, &done, &err), 0);
    CHECK_INT_EQ(done, 0);
    CHECK_INT_EQ(state_enqueue(s, "http://h/a", 0, NULL, &row, &err), 1);
    CHECK_INT_EQ(row, row_a);
    CHECK_INT_EQ(state_enqueue(s, "http://h/a", 0, NULL, &row, &err), 0);
    char *etag, *last_modified;
    CHECK_INT_EQ(state_validators(s, row, &etag, &last_modified, &err), 0);
    CHECK_STR_EQ(etag, "\"e1\"");
    CHECK(last_modified == NULL);
    free(etag);
    free(last_modified);
    state_close(s);
    check_rm_rf(dir);
}

TEST(temporary_failures_are_retried_by_the_next_run)
{
    char *dir = check_tmpdir();
    crawl_state *s;
    cr_err err;
    int resumed;
    int64_t gen, row;
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    CHECK_INT_EQ(state_enqueue(s, "http://down/", 0, NULL, &row, &err), 1);
    CHECK_INT_EQ(state_set_attempts(s, row, 4, &err), 0);
    CHECK_INT_EQ(state_mark(s, row, PAGE_FAILED_TEMP, 0, "connect", NULL, NULL, &err), 0);
    state_close(s);
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    collected c = {0};
    CHECK_INT_EQ(state_load_queue(s, collect, &c, &err), 0);
    CHECK_INT_EQ(c.count, 1);
    CHECK_INT_EQ(c.states[0], PAGE_QUEUED);
    state_close(s);
    check_rm_rf(dir);
}

TEST(aliases_of_redirects)
{
    char *dir = check_tmpdir();
    crawl_state *s;
    cr_err err;
    int resumed, known_done;
    int64_t gen, row;
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    CHECK_INT_EQ(state_begin_run(s, &resumed, &gen, &err), 0);
    CHECK_INT_EQ(state_add_alias(s, "http://h/target", &known_done, &err), 1);
    CHECK_INT_EQ(known_done, 0);
    /* The target is now seen: a link to it is not queued. */
    CHECK_INT_EQ(state_enqueue(s, "http://h/target", 1, NULL, &row, &err), 0);
    CHECK_INT_EQ(state_enqueue(s, "http://h/saved", 1, NULL, &row, &err), 1);
    CHECK_INT_EQ(state_mark(s, row, PAGE_SAVED, 200, NULL, NULL, NULL, &err), 0);
    CHECK_INT_EQ(state_add_alias(s, "http://h/saved", &known_done, &err), 0);
    CHECK_INT_EQ(known_done, 1);
    state_close(s);
    check_rm_rf(dir);
}

TEST(a_second_crawler_on_one_state_is_busy)
{
    char *dir = check_tmpdir();
    crawl_state *s;
    cr_err err;
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    pid_t pid = fork();
    if (pid == 0) {
        crawl_state *other;
        cr_err e;
        int rc = state_open(&other, dir, &e);
        _exit(rc == CR_ETEMP && strstr(e.msg, "busy") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    state_close(s);
    /* Released with the first: a later run may open it. */
    CHECK_INT_EQ(state_open(&s, dir, &err), 0);
    state_close(s);
    check_rm_rf(dir);
}

TEST(unwritable_state_folder_is_an_error_not_a_crash)
{
    crawl_state *s;
    cr_err err;
    int rc = state_open(&s, "/proc/version/state", &err);
    CHECK(rc != 0);
    CHECK(s == NULL);
    CHECK(strlen(err.msg) > 0);
}

int main(void)
{
    RUN(seen_set_and_queue_survive_reopening);
    RUN(temporary_failures_are_retried_by_the_next_run);
    RUN(aliases_of_redirects);
    RUN(a_second_crawler_on_one_state_is_busy);
    RUN(unwritable_state_folder_is_an_error_not_a_crash);
    return check_summary();
}
