/* crawl.h — one crawl: seeds in, pages out, on libcurl's multi interface. Politeness per host
 * (robots.txt, one connection and a delay by default), retries with backoff, a persistent
 * frontier (state.c), outputs (output.c, warc.c) and the summary. Argument parsing and exit
 * codes are main.c's. */
#ifndef CRAWLER_CRAWL_H
#define CRAWLER_CRAWL_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct crawl_options {
    char *const *seeds; /* normalised URLs */
    size_t seed_count;
    const char *out_dir;
    const char *state_dir;
    const char *warc_path;    /* NULL: no WARC */
    const char *scope;        /* "host", "domain", "prefix" or a regular expression */
    const char *accept_types; /* comma-separated media types saved */
    const char *user_agent;
    int max_depth;     /* < 0: unlimited */
    int64_t max_pages; /* 0: unlimited */
    int concurrency;
    int writers; /* threads writing pages */
    int per_host_concurrency;
    int64_t delay_ms;           /* between two requests to one host */
    uint64_t max_size;          /* bytes of one body */
    int64_t timeout_ms;         /* of one transfer */
    int retries;                /* after the first attempt */
    int64_t retry_delay_ms;     /* first backoff */
    int64_t max_retry_delay_ms; /* a longer Retry-After gives up */
    int follow_sitemaps;
    int obey_robots;
    int progress_mode; /* lib/progress.h */
} crawl_options;

enum skip_reason {
    SKIP_ROBOTS,
    SKIP_NOINDEX,
    SKIP_CONTENT_TYPE,
    SKIP_TOO_LARGE,
    SKIP_OFF_SCOPE_REDIRECT,
    SKIP_DUPLICATE,
    SKIP_REASON_COUNT
};
enum error_kind {
    ERR_HTTP_4XX,
    ERR_HTTP_5XX,
    ERR_TIMEOUT,
    ERR_CONNECT,
    ERR_DNS,
    ERR_NETWORK,
    ERR_REDIRECT_LOOP,
    ERR_REDIRECT_SCHEME,
    ERR_TLS,
    ERR_OTHER,
    ERR_KIND_COUNT
};
extern const char *const skip_reason_names[SKIP_REASON_COUNT];
extern const char *const error_kind_names[ERR_KIND_COUNT];

#define CRAWL_MAX_REPORTED_FAILURES 50

typedef struct crawl_failure {
    char *url;
    char *error;
} crawl_failure;

typedef struct crawl_summary {
    int64_t generation;
    int resumed;
    int64_t saved, unchanged, recovered;
    int64_t skipped[SKIP_REASON_COUNT];
    int64_t errors[ERR_KIND_COUNT];
    int64_t requests, retries, robots_fetched, sitemaps_fetched, bytes;
    int64_t queued_left;        /* URLs known but not fetched (page limit, interruption) */
    int64_t done_in_generation; /* saved + unchanged over every run of this generation */
    double elapsed_s;
    int seeds_attempted;      /* seeds fetched in this run */
    int seeds_network_failed; /* of those, failed by network errors, 5xx or 429 */
    int interrupted;          /* SIGINT or SIGTERM */
    crawl_failure failures[CRAWL_MAX_REPORTED_FAILURES];
    int failure_count;
} crawl_summary;

/* Runs the crawl. Returns CR_OK when it completed (pages may have failed: see the summary),
 * or the code of what stopped it (state busy: CR_ETEMP; output not writable: CR_EIO). */
int crawl_run(const crawl_options *options, crawl_summary *summary, cr_err *err);
void crawl_summary_free(crawl_summary *summary);

/* The product token robots.txt groups are matched against: the user agent up to the first
 * character that is not a letter, '-' or '_' ("crystalline-crawler/0.1" -> "crystalline-crawler").
 */
void crawl_agent_token(const char *user_agent, char *out, size_t out_size);

/* Asks a running crawl to stop at the next turn of its loop (signal-safe). */
void crawl_request_stop(void);

#endif
