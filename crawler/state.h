/* state.h — the crawl's persistent frontier and seen-set: one SQLite database in WAL mode in
 * the state folder, so that a crawl killed at any moment continues where it was, and a later
 * run of the same crawl re-fetches conditionally (ETag, Last-Modified). Fetching and
 * scheduling live in crawl.c; this file only records. */
#ifndef CRAWLER_STATE_H
#define CRAWLER_STATE_H

#include <stdint.h>

#include "status.h"

/* A URL's state within the current generation (one generation = one complete crawl). */
enum page_state {
    PAGE_QUEUED = 0,      /* to fetch */
    PAGE_SAVING = 1,      /* fetched, files being written: on resume, saved if its .html exists */
    PAGE_SAVED = 2,       /* raw/<id> written */
    PAGE_UNCHANGED = 3,   /* 304 Not Modified: the earlier raw/<id> stands */
    PAGE_SKIPPED = 4,     /* robots, noindex, content type, size, scope after redirect */
    PAGE_FAILED = 5,      /* final error (4xx, redirect loop, ...) */
    PAGE_FAILED_TEMP = 6, /* retries exhausted on a temporary error: retried by the next run */
    PAGE_ALIAS = 7,       /* the target of a redirect saved under another URL */
};

typedef struct crawl_state crawl_state;

/* A queued URL handed back by state_load_queue. */
typedef struct queued_page {
    int64_t row;
    const char *url;
    int depth;
    const char *referrer; /* NULL for seeds */
    int attempts;
    int state;        /* PAGE_QUEUED or PAGE_SAVING */
    const char *etag; /* validators of the last generation's copy, or NULL */
    const char *last_modified;
} queued_page;

/* Opens (creating) dir/state.sqlite and takes dir/lock. A second crawler on the same state is
 * CR_ETEMP ("busy"), so a scheduler retries it later. */
int state_open(crawl_state **out, const char *dir, cr_err *err);
void state_close(crawl_state *s);

/* Starts or resumes: when the last generation is complete a new one starts (returns
 * *resumed = 0), else the current one continues (*resumed = 1) and its temporary failures
 * are queued again. */
int state_begin_run(crawl_state *s, int *resumed, int64_t *generation, cr_err *err);
/* Marks the current generation complete: the next run re-crawls conditionally. */
int state_finish_generation(crawl_state *s, cr_err *err);

int state_transaction_begin(crawl_state *s, cr_err *err);
int state_transaction_commit(crawl_state *s, cr_err *err);

/* Queues url in the current generation unless it is already there. Returns 1 when queued
 * (and fills *row), 0 when already seen, < 0 with err on failure (negated exit code). */
int state_enqueue(crawl_state *s, const char *url, int depth, const char *referrer, int64_t *row,
                  cr_err *err);
/* Records a redirect target as seen. Returns 1 when url was new, 0 when it was known, and sets
 * *known_done when it is already saved or unchanged in this generation. */
int state_add_alias(crawl_state *s, const char *url, int *known_done, cr_err *err);
/* Sets a URL's state, with its HTTP status, a reason ("robots", "http-404", ...) and the
 * validators (NULL keeps the old ones). */
int state_mark(crawl_state *s, int64_t row, int state, int http_status, const char *reason,
               const char *etag, const char *last_modified, cr_err *err);
int state_set_attempts(crawl_state *s, int64_t row, int attempts, cr_err *err);

/* Calls fn for each URL of the current generation in PAGE_QUEUED or PAGE_SAVING, in the
 * order they were queued (breadth first). The strings live until fn returns. */
int state_load_queue(crawl_state *s, int (*fn)(void *ctx, const queued_page *page), void *ctx,
                     cr_err *err);
/* Validators of a URL from an earlier generation (for a page queued now). */
int state_validators(crawl_state *s, int64_t row, char **etag, char **last_modified, cr_err *err);
/* Pages saved or unchanged in the current generation (the --max-pages count). */
int state_count_done(crawl_state *s, int64_t *count, cr_err *err);

#endif
