/* crawl_private.h — what the crawl's modules share and nobody else sees: the crawler's
 * context, its hosts (politeness slots and robots.txt), its tasks and its transfers.
 * frontier.c keeps hosts and queues, transfer.c drives libcurl's easy handles, outcome.c
 * decides what a response means, crawl.c runs the loop. The public side is crawl.h. */
#ifndef CRAWLER_CRAWL_PRIVATE_H
#define CRAWLER_CRAWL_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "crawl.h"
#include "links.h"
#include "progress.h"
#include "robots.h"
#include "scope.h"
#include "state.h"
#include "warc.h"
#include "writer.h"

enum task_kind { TASK_PAGE, TASK_ROBOTS, TASK_SITEMAP };
enum robots_status { ROBOTS_UNKNOWN, ROBOTS_FETCHING, ROBOTS_READY };

#define SITEMAP_MAX_LEVEL 3 /* index -> index -> urlset */
#define SITEMAPS_PER_HOST_MAX 100
#define SITEMAP_MAX_BYTES (50u << 20) /* sitemaps.org's limit, uncompressed */
#define REDIRECTS_MAX 10              /* hops of one task, each checked before it is requested */

struct host;

typedef struct task {
    int kind;
    int64_t row; /* pages: the state row */
    char *url;   /* as queued: the page's identity (state row, file id) */
    /* The redirect hop to request next (NULL: url itself). A hop is queued on its own host
     * like any task, so scope, scheme, robots.txt and the host's delay apply before it is
     * requested; libcurl never follows a Location by itself. */
    char *hop_url;
    int hops;
    struct host *robots_for; /* robots.txt reached by a redirect: the host it speaks for */
    char *referrer;
    int depth;
    int attempts; /* failed attempts so far */
    int sitemap_level;
    int recover; /* loaded in PAGE_SAVING: saved already if its file exists */
    double not_before;
    struct task *next;
} task;

typedef struct host {
    char origin[320];
    int robots_status;
    robots rules;
    int robots_error_kind; /* >= 0: robots.txt unreachable by this kind of error */
    double next_allowed_s;
    int active;
    int sitemaps_queued;
    task *pages_head, *pages_tail;
    task *special_head, *special_tail; /* robots.txt and sitemaps, served before pages */
} host;

typedef struct crawler crawler;

typedef struct transfer {
    crawler *c;
    CURL *easy;
    task *t;
    host *h;
    cr_buf body, headers, request;
    struct curl_slist *request_headers;
    size_t cap;
    int too_large, wrong_type;
    char errbuf[CURL_ERROR_SIZE];
    struct transfer *prev, *next; /* the crawler's list of transfers in flight */
} transfer;

struct crawler {
    const crawl_options *opt;
    crawl_summary *sum;
    CURLM *multi;
    crawl_state *state;
    scope scope;
    warc_writer warc;
    int warc_open;
    char agent[64];
    host **hosts;
    size_t host_count, host_cap, host_rr;
    task **delayed;
    size_t delayed_count, delayed_cap;
    int active;
    transfer *transfers;
    int in_transaction;
    int64_t pages_inflight;
    int64_t done; /* saved + unchanged in this generation */
    writer_pool writers;
    int writers_started;
    write_job *to_submit_head, *to_submit_tail; /* SAVING recorded, not yet committed */
    int64_t pages_writing;                      /* pages handed to the writers and not back yet */
    int64_t generation;
    cr_progress progress;
    uint64_t rng;
    cr_err fatal; /* an output or state error that ends the crawl */
    int failed;
};

/* A page on its way to the writers, with what its SAVED record and its links need. */
typedef struct saving_page {
    write_job job;
    task *t;
    char *final_url, *type, *charset, *etag, *last_modified; /* "" when absent */
    cr_buf body;
    page_links links;
    int nofollow;
} saving_page;

/* frontier.c: tasks, hosts and their queues, retries waiting, grouped state writes. */
double random01(crawler *c);
task *task_new(int kind, const char *url, const char *referrer, int depth);
const char *task_target(const task *t); /* the URL the next request asks for */
void task_free(task *t);
host *host_for(crawler *c, const char *url); /* found or created; NULL when out of memory */
void queue_push(task **head, task **tail, task *t, int front);
task *queue_pop(task **head, task **tail);
void host_push(host *h, task *t, int front);
int delay_task(crawler *c, task *t, double not_before);
void set_fatal(crawler *c, const cr_err *err);
int txn(crawler *c);
void txn_commit(crawler *c);
void record_failure(crawler *c, const char *url, const char *error);
void enqueue_page(crawler *c, const char *url, int depth, const char *referrer);
void enqueue_links(crawler *c, const page_links *links, int depth, const char *referrer);
void enqueue_sitemap(crawler *c, const char *url, int level);

/* transfer.c: one libcurl easy handle per request. */
int start_transfer(crawler *c, host *h, task *t);
void transfer_free(transfer *x);
void transfer_unlink(crawler *c, transfer *x);
double effective_delay_s(crawler *c, host *h);
int existing_page_path(crawler *c, const char *url, char *path, size_t size);

/* outcome.c: what a finished transfer means for its page, robots.txt or sitemap. */
void transfer_done(crawler *c, transfer *x, CURLcode code);
void mark_page(crawler *c, task *t, int page_state, int status, const char *reason,
               const char *etag, const char *last_modified);
void page_skipped(crawler *c, task *t, int reason, int status, const char *detail);
int page_failed(crawler *c, host *h, task *t, int kind, int status, const char *detail,
                double retry_after_s);
void links_from_disk(crawler *c, task *t);
void saving_page_free(saving_page *sp);

#endif
