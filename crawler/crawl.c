/* crawl.c — the crawl loop on libcurl's multi interface: per-host slots (robots.txt first,
 * then pages at the host's pace), transfers with a size cap and a content-type check, retries
 * with backoff and Retry-After, and the decisions on each response (save, skip, fail, follow).
 * Every decision is recorded in state.c before the next step, so a SIGKILL loses nothing.
 * It does not parse HTML (links.c), robots.txt (robots.c) or write files itself (output.c,
 * warc.c). Exercised end to end by tests/crawler/test_*.sh against tests/crawler/server.py. */
#include "crawl.h"

#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "fs.h"
#include "http.h"
#include "links.h"
#include "log.h"
#include "output.h"
#include "parse.h"
#include "progress.h"
#include "robots.h"
#include "scope.h"
#include "state.h"
#include "url.h"
#include "warc.h"
#include "writer.h"

const char *const skip_reason_names[SKIP_REASON_COUNT] = {
    "robots", "noindex", "content-type", "too-large", "off-scope-redirect", "duplicate"};
const char *const error_kind_names[ERR_KIND_COUNT] = {
    "http-4xx", "http-5xx",      "timeout", "connect", "dns",  "network",
    "redirect-loop", "redirect-scheme", "tls", "other"};

enum task_kind { TASK_PAGE, TASK_ROBOTS, TASK_SITEMAP };
enum robots_status { ROBOTS_UNKNOWN, ROBOTS_FETCHING, ROBOTS_READY };

#define SITEMAP_MAX_LEVEL 3       /* index -> index -> urlset */
#define SITEMAPS_PER_HOST_MAX 100
#define SITEMAP_MAX_BYTES (50u << 20) /* sitemaps.org's limit, uncompressed */

typedef struct task {
    int kind;
    int64_t row; /* pages: the state row */
    char *url;
    char *referrer;
    int depth;
    int attempts; /* failed attempts so far */
    int sitemap_level;
    int recover;  /* loaded in PAGE_SAVING: saved already if its file exists */
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
    int64_t pages_writing; /* pages handed to the writers and not back yet */
    int64_t generation;
    cr_progress progress;
    uint64_t rng;
    cr_err fatal; /* an output or state error that ends the crawl */
    int failed;
};

static volatile sig_atomic_t stop_requested;

void crawl_request_stop(void)
{
    stop_requested = 1;
}

void crawl_agent_token(const char *user_agent, char *out, size_t out_size)
{
    size_t n = 0;
    while (user_agent[n] && (isalpha((unsigned char)user_agent[n]) || user_agent[n] == '-' ||
                             user_agent[n] == '_') && n + 1 < out_size)
        n++;
    memcpy(out, user_agent, n);
    out[n] = '\0';
}

static double random01(crawler *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

/* ---- tasks and hosts ---- */

static task *task_new(int kind, const char *url, const char *referrer, int depth)
{
    task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->kind = kind;
    t->depth = depth;
    t->url = strdup(url);
    t->referrer = referrer ? strdup(referrer) : NULL;
    if (!t->url || (referrer && !t->referrer)) {
        free(t->url);
        free(t->referrer);
        free(t);
        return NULL;
    }
    return t;
}

static void task_free(task *t)
{
    if (!t)
        return;
    free(t->url);
    free(t->referrer);
    free(t);
}

static host *host_for(crawler *c, const char *url)
{
    char origin[320];
    if (url_origin(url, origin, sizeof origin) < 0)
        return NULL;
    /* Most crawls touch few hosts, and the last one found is usually the next. */
    for (size_t i = c->host_count; i-- > 0;)
        if (strcmp(c->hosts[i]->origin, origin) == 0)
            return c->hosts[i];
    if (c->host_count == c->host_cap) {
        size_t cap = c->host_cap ? c->host_cap * 2 : 16;
        host **grown = realloc(c->hosts, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->hosts = grown;
        c->host_cap = cap;
    }
    host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    snprintf(h->origin, sizeof h->origin, "%s", origin);
    h->robots_status = c->opt->obey_robots ? ROBOTS_UNKNOWN : ROBOTS_READY;
    h->robots_error_kind = -1;
    robots_init_allow_all(&h->rules);
    c->hosts[c->host_count++] = h;
    return h;
}

static void queue_push(task **head, task **tail, task *t, int front)
{
    t->next = NULL;
    if (front) {
        t->next = *head;
        *head = t;
        if (!*tail)
            *tail = t;
    } else {
        if (*tail)
            (*tail)->next = t;
        else
            *head = t;
        *tail = t;
    }
}

static task *queue_pop(task **head, task **tail)
{
    task *t = *head;
    if (t) {
        *head = t->next;
        if (!*head)
            *tail = NULL;
        t->next = NULL;
    }
    return t;
}

static void host_push(host *h, task *t, int front)
{
    if (t->kind == TASK_PAGE)
        queue_push(&h->pages_head, &h->pages_tail, t, front);
    else
        queue_push(&h->special_head, &h->special_tail, t, front);
}

static int delay_task(crawler *c, task *t, double not_before)
{
    if (c->delayed_count == c->delayed_cap) {
        size_t cap = c->delayed_cap ? c->delayed_cap * 2 : 16;
        task **grown = realloc(c->delayed, cap * sizeof *grown);
        if (!grown)
            return -1;
        c->delayed = grown;
        c->delayed_cap = cap;
    }
    t->not_before = not_before;
    c->delayed[c->delayed_count++] = t;
    return 0;
}

static void set_fatal(crawler *c, const cr_err *err)
{
    if (!c->failed) {
        c->fatal = *err;
        c->failed = 1;
    }
}

/* State writes are grouped in a transaction per turn of the loop (committed at its end, and
 * before a page's files are written), so that a page costs one commit, not one per link. */
static int txn(crawler *c)
{
    if (c->in_transaction || c->failed)
        return c->failed ? -1 : 0;
    cr_err err;
    if (state_transaction_begin(c->state, &err)) {
        set_fatal(c, &err);
        return -1;
    }
    c->in_transaction = 1;
    return 0;
}

static void txn_commit(crawler *c)
{
    if (!c->in_transaction)
        return;
    c->in_transaction = 0;
    cr_err err;
    if (state_transaction_commit(c->state, &err))
        set_fatal(c, &err);
}

static void record_failure(crawler *c, const char *url, const char *error)
{
    crawl_summary *s = c->sum;
    if (s->failure_count >= CRAWL_MAX_REPORTED_FAILURES)
        return;
    s->failures[s->failure_count].url = strdup(url);
    s->failures[s->failure_count].error = strdup(error);
    s->failure_count++;
}

/* ---- queueing ---- */

/* Queues a page URL found at depth (from referrer) if it is in scope, deep enough and new. */
static void enqueue_page(crawler *c, const char *url, int depth, const char *referrer)
{
    if (c->opt->max_depth >= 0 && depth > c->opt->max_depth)
        return;
    if (!scope_allows(&c->scope, url))
        return;
    int64_t row;
    cr_err err;
    if (txn(c))
        return;
    int rc = state_enqueue(c->state, url, depth, referrer, &row, &err);
    if (rc < 0) {
        set_fatal(c, &err);
        return;
    }
    if (rc == 0)
        return;
    host *h = host_for(c, url);
    task *t = h ? task_new(TASK_PAGE, url, referrer, depth) : NULL;
    if (!t) {
        cr_fail(&err, CR_EOTHER, "out of memory");
        set_fatal(c, &err);
        return;
    }
    t->row = row;
    host_push(h, t, 0);
}

static void enqueue_links(crawler *c, const page_links *links, int depth, const char *referrer)
{
    for (size_t i = 0; i < links->count && !c->failed; i++)
        enqueue_page(c, links->urls[i], depth + 1, referrer);
}

static void enqueue_sitemap(crawler *c, const char *url, int level)
{
    host *h = host_for(c, url);
    if (!h || h->sitemaps_queued >= SITEMAPS_PER_HOST_MAX || level > SITEMAP_MAX_LEVEL)
        return;
    task *t = task_new(TASK_SITEMAP, url, NULL, 1);
    if (!t)
        return;
    t->sitemap_level = level;
    h->sitemaps_queued++;
    host_push(h, t, 0);
}

/* ---- transfers ---- */

static size_t on_header(char *data, size_t size, size_t count, void *userdata)
{
    transfer *x = userdata;
    size_t len = size * count;
    /* A new status line starts a new response (redirects, 100 Continue): keep the last. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
        cr_buf_reset(&x->headers);
    if (x->headers.len + len <= 256 * 1024)
        cr_buf_append(&x->headers, data, len);
    return len;
}

static size_t on_body(char *data, size_t size, size_t count, void *userdata)
{
    transfer *x = userdata;
    size_t len = size * count;
    if (x->body.len == 0 && x->t->kind == TASK_PAGE) {
        /* First bytes of the final response: refuse a type we would not save, before reading
         * it all. */
        long status = 0;
        char *content_type = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &content_type);
        if (status >= 200 && status < 300 && content_type) {
            char type[128], charset[64];
            http_media_type(content_type, type, sizeof type, charset, sizeof charset);
            if (type[0] && !http_type_accepted(x->c->opt->accept_types, type)) {
                x->wrong_type = 1;
                return 0;
            }
        }
    }
    if (x->body.len + len > x->cap) {
        x->too_large = 1;
        return 0;
    }
    if (cr_buf_append(&x->body, data, len) < 0)
        return 0;
    return len;
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata)
{
    (void)easy;
    transfer *x = userdata;
    if (type == CURLINFO_HEADER_OUT) {
        cr_buf_reset(&x->request); /* the last request sent is the one of the final response */
        cr_buf_append(&x->request, data, size);
    }
    return 0;
}

static void transfer_free(transfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->request_headers);
    cr_buf_free(&x->body);
    cr_buf_free(&x->headers);
    cr_buf_free(&x->request);
    free(x);
}

static void transfer_unlink(crawler *c, transfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        c->transfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

static double effective_delay_s(crawler *c, host *h)
{
    double delay = (double)c->opt->delay_ms / 1000.0;
    if (h->rules.crawl_delay_s > delay)
        delay = h->rules.crawl_delay_s;
    return delay;
}

/* The earlier copy of a page on disk, for a conditional request and for links after a 304. */
static int existing_page_path(crawler *c, const char *url, char *path, size_t size)
{
    char id[CR_ID_SIZE], name[64];
    output_page_id(url, id);
    const char *exts[] = {".html", ".txt"};
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", id, exts[i]);
        if (cr_path_join(path, size, c->opt->out_dir, name, NULL) == 0 && cr_is_file(path))
            return 1;
    }
    return 0;
}

static int start_transfer(crawler *c, host *h, task *t)
{
    transfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->c = c;
    x->t = t;
    x->h = h;
    cr_buf_init(&x->body);
    cr_buf_init(&x->headers);
    cr_buf_init(&x->request);
    x->cap = t->kind == TASK_ROBOTS    ? ROBOTS_MAX_BYTES
             : t->kind == TASK_SITEMAP ? SITEMAP_MAX_BYTES
                                       : (size_t)c->opt->max_size;
    x->easy = curl_easy_init();
    if (!x->easy) {
        transfer_free(x);
        return -1;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->opt->user_agent);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every decoding libcurl has */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opt->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->opt->timeout_ms < 10000 ? c->opt->timeout_ms : 10000));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
    if (c->warc_open && t->kind == TASK_PAGE) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, x);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    }
    struct curl_slist *headers = NULL;
    if (t->kind == TASK_PAGE) {
        headers = curl_slist_append(headers, "Accept: text/html,application/xhtml+xml,"
                                             "text/plain;q=0.9,*/*;q=0.1");
        if (t->referrer) {
            curl_easy_setopt(e, CURLOPT_REFERER, t->referrer);
        }
        /* A page of an earlier generation with its file still here: ask if it changed. */
        char path[4096];
        if (c->generation > 1 && existing_page_path(c, t->url, path, sizeof path)) {
            char *etag = NULL, *last_modified = NULL;
            cr_err err;
            if (state_validators(c->state, t->row, &etag, &last_modified, &err) == CR_OK) {
                char line[1200];
                if (etag) {
                    snprintf(line, sizeof line, "If-None-Match: %s", etag);
                    headers = curl_slist_append(headers, line);
                }
                if (last_modified) {
                    snprintf(line, sizeof line, "If-Modified-Since: %s", last_modified);
                    headers = curl_slist_append(headers, line);
                }
            }
            free(etag);
            free(last_modified);
        }
    }
    x->request_headers = headers;
    if (headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        transfer_free(x);
        return -1;
    }
    x->next = c->transfers;
    if (c->transfers)
        c->transfers->prev = x;
    c->transfers = x;
    c->active++;
    h->active++;
    if (t->kind == TASK_PAGE)
        c->pages_inflight++;
    c->sum->requests++;
    if (t->attempts > 0)
        c->sum->retries++;
    if (t->kind == TASK_PAGE && t->depth == 0 && t->attempts == 0)
        c->sum->seeds_attempted++;
    cr_debug("GET %s", t->url);
    return 0;
}

/* ---- outcomes ---- */

static int is_temporary(int kind)
{
    return kind == ERR_HTTP_5XX || kind == ERR_TIMEOUT || kind == ERR_CONNECT || kind == ERR_DNS ||
           kind == ERR_NETWORK;
}

static int error_kind_of(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return ERR_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        return ERR_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return ERR_DNS;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return ERR_NETWORK;
    case CURLE_TOO_MANY_REDIRECTS:
        return ERR_REDIRECT_LOOP;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return ERR_REDIRECT_SCHEME;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return ERR_TLS;
    default:
        return ERR_OTHER;
    }
}

/* Marks a page in the state, committing at once. */
static void mark_page(crawler *c, task *t, int page_state, int status, const char *reason,
                      const char *etag, const char *last_modified)
{
    cr_err err;
    if (txn(c))
        return;
    if (state_mark(c->state, t->row, page_state, status, reason, etag, last_modified, &err))
        set_fatal(c, &err);
}

static void page_skipped(crawler *c, task *t, int reason, int status, const char *detail)
{
    c->sum->skipped[reason]++;
    cr_info("skipped (%s%s%s): %s", skip_reason_names[reason], detail ? ": " : "",
            detail ? detail : "", t->url);
    mark_page(c, t, PAGE_SKIPPED, status, skip_reason_names[reason], NULL, NULL);
}

/* A failed attempt: retried later when temporary and attempts are left, else recorded.
 * retry_after_s < 0 when the server gave none. Returns 1 when the task was re-queued (the
 * caller must not free it). */
static int page_failed(crawler *c, host *h, task *t, int kind, int status, const char *detail,
                       double retry_after_s)
{
    double now = cr_now_s();
    if (is_temporary(kind) && t->attempts < c->opt->retries) {
        int64_t backoff_ms = http_backoff_ms(c->opt->retry_delay_ms, t->attempts + 1,
                                             c->opt->max_retry_delay_ms, 0.2, random01(c));
        double wait_s = (double)backoff_ms / 1000.0;
        int give_up = 0;
        if (retry_after_s >= 0) {
            if (retry_after_s * 1000.0 > (double)c->opt->max_retry_delay_ms)
                give_up = 1; /* the server asks for longer than we wait: try in a later run */
            else if (retry_after_s > wait_s)
                wait_s = retry_after_s;
            /* Retry-After speaks for the whole host, not just this URL. */
            if (!give_up && now + retry_after_s > h->next_allowed_s)
                h->next_allowed_s = now + retry_after_s;
        }
        if (!give_up) {
            t->attempts++;
            if (t->kind == TASK_PAGE) {
                cr_err err;
                if (txn(c) == 0 && state_set_attempts(c->state, t->row, t->attempts, &err))
                    set_fatal(c, &err);
            }
            cr_info("retry %d/%d in %.2fs (%s%s%s): %s", t->attempts, c->opt->retries, wait_s,
                    error_kind_names[kind], detail ? ": " : "", detail ? detail : "", t->url);
            if (delay_task(c, t, now + wait_s) == 0)
                return 1;
        }
    }
    if (t->kind != TASK_PAGE)
        return 0;
    char text[512];
    snprintf(text, sizeof text, "%s%s%s", error_kind_names[kind], detail ? ": " : "",
             detail ? detail : "");
    c->sum->errors[kind]++;
    if (t->depth == 0 && is_temporary(kind))
        c->sum->seeds_network_failed++;
    cr_warn("failed (%s): %s", text, t->url);
    record_failure(c, t->url, text);
    mark_page(c, t, is_temporary(kind) ? PAGE_FAILED_TEMP : PAGE_FAILED, status,
              error_kind_names[kind], NULL, NULL);
    return 0;
}

/* Reads the links of a page saved earlier (after a 304, or a save the last run finished
 * without recording). */
static void links_from_disk(crawler *c, task *t)
{
    char path[4096];
    if (!existing_page_path(c, t->url, path, sizeof path))
        return;
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 5, ".html") != 0)
        return;
    char *html;
    size_t len;
    cr_err err;
    if (cr_read_file(path, &html, &len, 0, &err) != CR_OK)
        return;
    page_links links;
    if (links_extract(html, len, t->url, NULL, c->agent, &links) == 0) {
        if (!links.nofollow)
            enqueue_links(c, &links, t->depth, t->url);
        links_free(&links);
    }
    free(html);
}

/* A page on its way to the writers, with what its SAVED record and its links need. */
typedef struct saving_page {
    write_job job;
    task *t;
    char *final_url, *type, *charset, *etag, *last_modified; /* "" when absent */
    cr_buf body;
    page_links links;
    int nofollow;
} saving_page;

static void saving_page_free(saving_page *sp)
{
    if (!sp)
        return;
    free(sp->final_url);
    free(sp->type);
    free(sp->charset);
    free(sp->etag);
    free(sp->last_modified);
    cr_buf_free(&sp->body);
    links_free(&sp->links);
    task_free(sp->t);
    free(sp);
}

static int header_has_token(const char *headers, size_t len, const char *name, const char *word)
{
    char value[512];
    if (!http_header_value(headers, len, name, value, sizeof value))
        return 0;
    return strcasestr(value, word) != NULL;
}

static void page_done_ok(crawler *c, transfer *x, long status)
{
    task *t = x->t;
    CURL *e = x->easy;
    char *effective = NULL, *content_type = NULL;
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective);
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &content_type);
    char final_url[URL_MAX];
    if (!effective || url_normalize(NULL, effective, final_url, sizeof final_url) < 0)
        snprintf(final_url, sizeof final_url, "%s", t->url);

    char etag[512] = "", last_modified[128] = "";
    http_header_value(x->headers.data, x->headers.len, "ETag", etag, sizeof etag);
    http_header_value(x->headers.data, x->headers.len, "Last-Modified", last_modified,
                      sizeof last_modified);

    if (status == 304) {
        c->sum->unchanged++;
        c->done++;
        cr_progress_add(&c->progress, 1);
        cr_debug("unchanged: %s", t->url);
        mark_page(c, t, PAGE_UNCHANGED, 304, NULL, etag[0] ? etag : NULL,
                  last_modified[0] ? last_modified : NULL);
        links_from_disk(c, t);
        return;
    }

    char type[128], charset[64];
    http_media_type(content_type, type, sizeof type, charset, sizeof charset);
    if (!type[0]) {
        /* No Content-Type: markup is read as HTML, anything else as unknown. */
        const char *p = x->body.data ? x->body.data : "";
        while (*p && isspace((unsigned char)*p))
            p++;
        snprintf(type, sizeof type, "%s", *p == '<' ? "text/html" : "application/octet-stream");
    }
    if (!http_type_accepted(c->opt->accept_types, type)) {
        page_skipped(c, t, SKIP_CONTENT_TYPE, (int)status, type);
        return;
    }
    if (strcmp(final_url, t->url) != 0) {
        if (!scope_allows(&c->scope, final_url)) {
            page_skipped(c, t, SKIP_OFF_SCOPE_REDIRECT, (int)status, final_url);
            return;
        }
        int known_done = 0;
        cr_err err;
        if (txn(c))
            return;
        if (state_add_alias(c->state, final_url, &known_done, &err) < 0) {
            set_fatal(c, &err);
            return;
        }
        if (known_done) {
            page_skipped(c, t, SKIP_DUPLICATE, (int)status, final_url);
            return;
        }
    }
    int noindex = header_has_token(x->headers.data, x->headers.len, "X-Robots-Tag", "noindex");
    int nofollow = header_has_token(x->headers.data, x->headers.len, "X-Robots-Tag", "nofollow");
    page_links links;
    memset(&links, 0, sizeof links);
    int is_html = strcmp(type, "text/html") == 0 || strcmp(type, "application/xhtml+xml") == 0;
    if (is_html) {
        if (links_extract(x->body.data ? x->body.data : "", x->body.len, final_url, charset,
                          c->agent, &links) < 0) {
            cr_err err;
            cr_fail(&err, CR_EOTHER, "out of memory reading links");
            set_fatal(c, &err);
            return;
        }
        noindex |= links.noindex;
        nofollow |= links.nofollow;
    }
    const char *charset_source = charset[0] ? "header" : NULL;
    if (!charset[0] && links.charset[0]) {
        snprintf(charset, sizeof charset, "%s", links.charset);
        for (char *p = charset; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        charset_source = "meta";
    }

    if (noindex) {
        page_skipped(c, t, SKIP_NOINDEX, (int)status, NULL);
        if (!nofollow && !c->failed)
            enqueue_links(c, &links, t->depth, t->url);
        links_free(&links);
        return;
    }
    saving_page *sp = calloc(1, sizeof *sp);
    cr_err err;
    if (!sp || !(sp->final_url = strdup(final_url)) || !(sp->type = strdup(type)) ||
        !(sp->charset = strdup(charset)) || !(sp->etag = strdup(etag)) ||
        !(sp->last_modified = strdup(last_modified))) {
        saving_page_free(sp);
        links_free(&links);
        cr_fail(&err, CR_EOTHER, "out of memory");
        set_fatal(c, &err);
        return;
    }
    /* SAVING is committed before the writers start on the files: if we die between the files
     * and the SAVED record, the next run finds the files and does not fetch the page again. */
    if (txn(c) ||
        state_mark(c->state, t->row, PAGE_SAVING, (int)status, NULL, NULL, NULL, &err)) {
        if (!c->failed)
            set_fatal(c, &err);
        saving_page_free(sp);
        links_free(&links);
        return;
    }
    sp->t = t;
    x->t = NULL; /* the job owns the task now */
    sp->body = x->body;
    cr_buf_init(&x->body);
    sp->links = links;
    sp->nofollow = nofollow;
    sp->job.owner = sp;
    sp->job.page = (page_record){
        .url = t->url,
        .final_url = sp->final_url,
        .status = (int)status,
        .content_type = sp->type,
        .charset = sp->charset[0] ? sp->charset : NULL,
        .charset_source = charset_source,
        .etag = sp->etag[0] ? sp->etag : NULL,
        .last_modified = sp->last_modified[0] ? sp->last_modified : NULL,
        .depth = t->depth,
        .referrer = t->referrer,
        .body = sp->body.data ? sp->body.data : "",
        .body_len = sp->body.len,
    };
    sp->job.next = NULL;
    if (c->to_submit_tail)
        c->to_submit_tail->next = &sp->job;
    else
        c->to_submit_head = &sp->job;
    c->to_submit_tail = &sp->job;
    c->pages_writing++;
}

/* Hands the pages whose SAVING is now committed to the writers. */
static void submit_writes(crawler *c)
{
    write_job *job = c->to_submit_head;
    c->to_submit_head = c->to_submit_tail = NULL;
    while (job) {
        write_job *next = job->next;
        writer_submit(&c->writers, job);
        job = next;
    }
}

/* Records the pages the writers finished: SAVED, counted, their links queued. */
static int collect_writes(crawler *c)
{
    int count = 0;
    write_job *job = c->writers_started ? writer_take_done(&c->writers) : NULL;
    while (job) {
        write_job *next = job->next;
        saving_page *sp = job->owner;
        task *t = sp->t;
        c->pages_writing--;
        count++;
        if (job->rc) {
            set_fatal(c, &job->err);
        } else {
            c->sum->saved++;
            c->done++;
            cr_progress_add(&c->progress, 1);
            cr_debug("saved %s (%zu bytes)", t->url, sp->body.len);
            mark_page(c, t, PAGE_SAVED, job->page.status, NULL, job->page.etag,
                      job->page.last_modified);
            if (!sp->nofollow && !c->failed)
                enqueue_links(c, &sp->links, t->depth, t->url);
        }
        saving_page_free(sp);
        job = next;
    }
    return count;
}

static void wake_loop(void *ctx)
{
    curl_multi_wakeup(((crawler *)ctx)->multi);
}

static void robots_done(crawler *c, host *h, transfer *x, CURLcode code, long status)
{
    task *t = x->t;
    c->sum->robots_fetched++;
    robots_free(&h->rules);
    if (code == CURLE_OK && status >= 200 && status < 300) {
        if (robots_parse(x->body.data ? x->body.data : "", x->body.len, c->agent, &h->rules) < 0)
            robots_init_allow_all(&h->rules);
        cr_debug("robots.txt of %s: %zu rules, crawl-delay %.2f", h->origin, h->rules.rule_count,
                 h->rules.crawl_delay_s);
        if (c->opt->follow_sitemaps && (c->opt->max_depth < 0 || c->opt->max_depth >= 1)) {
            url_parts own, other;
            url_split(t->url, &own);
            for (size_t i = 0; i < h->rules.sitemap_count; i++) {
                char url[URL_MAX];
                /* Only sitemaps of the same host: robots.txt speaks for its own host. */
                if (url_normalize(t->url, h->rules.sitemaps[i], url, sizeof url) == 0 &&
                    url_split(url, &other) == 0 && strcmp(own.host, other.host) == 0)
                    enqueue_sitemap(c, url, 1);
            }
        }
    } else if (code == CURLE_OK && status >= 400 && status < 500 && status != 429) {
        robots_init_allow_all(&h->rules); /* "unavailable": everything allowed */
    } else if (code != CURLE_OK && !is_temporary(error_kind_of(code))) {
        robots_init_allow_all(&h->rules); /* redirect loop and the like: as unavailable */
    } else {
        int kind = code == CURLE_OK ? ERR_HTTP_5XX : error_kind_of(code);
        double retry_after = -1;
        char value[128];
        if (code == CURLE_OK &&
            http_header_value(x->headers.data, x->headers.len, "Retry-After", value, sizeof value))
            retry_after = http_retry_after_s(value, (int64_t)time(NULL));
        if (page_failed(c, h, t, kind, (int)status, NULL, retry_after)) {
            x->t = NULL; /* re-queued */
            return;
        }
        /* Unreachable: complete disallow (RFC 9309 2.3.1.4); its pages fail with this error
         * so that the next run tries again. */
        robots_init_disallow_all(&h->rules);
        h->robots_error_kind = kind;
        cr_warn("robots.txt unreachable (%s): %s", error_kind_names[kind], t->url);
    }
    h->robots_status = ROBOTS_READY;
}

static void sitemap_done(crawler *c, transfer *x, CURLcode code, long status)
{
    task *t = x->t;
    c->sum->sitemaps_fetched++;
    if (code != CURLE_OK || status < 200 || status >= 300) {
        cr_info("sitemap not read (%s): %s",
                code != CURLE_OK ? curl_easy_strerror(code) : "HTTP error", t->url);
        return;
    }
    const char *xml = x->body.data ? x->body.data : "";
    size_t len = x->body.len;
    void *inflated = NULL;
    if (len >= 2 && (unsigned char)xml[0] == 0x1f && (unsigned char)xml[1] == 0x8b) {
        /* sitemap.xml.gz served as a file, not as a transfer encoding */
        cr_buf out;
        cr_buf_init(&out);
        if (http_gunzip(xml, len, SITEMAP_MAX_BYTES, &out) < 0)
            cr_info("sitemap %s: not valid gzip", t->url);
        inflated = out.data;
        xml = out.data ? out.data : "";
        len = out.len;
    }
    sitemap_urls urls;
    if (sitemap_parse(xml, len, &urls) == 0) {
        for (size_t i = 0; i < urls.count && !c->failed; i++) {
            char url[URL_MAX];
            if (url_normalize(t->url, urls.locs[i], url, sizeof url) < 0)
                continue;
            if (urls.is_index)
                enqueue_sitemap(c, url, t->sitemap_level + 1);
            else
                enqueue_page(c, url, 1, NULL);
        }
        cr_debug("sitemap %s: %zu %s", t->url, urls.count, urls.is_index ? "sitemaps" : "URLs");
        sitemap_free(&urls);
    } else {
        cr_info("not a sitemap: %s", t->url);
    }
    free(inflated);
}

static void transfer_done(crawler *c, transfer *x, CURLcode code)
{
    task *t = x->t;
    host *h = x->h;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    double now = cr_now_s();
    c->active--;
    h->active--;
    if (t->kind == TASK_PAGE)
        c->pages_inflight--;
    c->sum->bytes += (int64_t)x->body.len;

    if (c->warc_open && t->kind == TASK_PAGE && code == CURLE_OK && status > 0) {
        char *effective = NULL, *ip = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &effective);
        curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip);
        cr_err err;
        if (warc_write_exchange(&c->warc, effective ? effective : t->url, ip, x->request.data,
                                x->request.len, x->headers.data, x->headers.len, x->body.data,
                                x->body.len, &err))
            set_fatal(c, &err);
    }

    if (t->kind == TASK_ROBOTS) {
        robots_done(c, h, x, code, status);
    } else if (t->kind == TASK_SITEMAP) {
        sitemap_done(c, x, code, status);
    } else if (x->wrong_type) {
        char *content_type = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &content_type);
        char type[128], charset[64];
        http_media_type(content_type, type, sizeof type, charset, sizeof charset);
        page_skipped(c, t, SKIP_CONTENT_TYPE, (int)status, type);
    } else if (x->too_large || code == CURLE_FILESIZE_EXCEEDED) {
        char detail[64];
        cr_format_size(c->opt->max_size, detail, sizeof detail);
        char text[96];
        snprintf(text, sizeof text, "over %s", detail);
        page_skipped(c, t, SKIP_TOO_LARGE, (int)status, text);
    } else if (code != CURLE_OK) {
        if (page_failed(c, h, t, error_kind_of(code), 0,
                        x->errbuf[0] ? x->errbuf : curl_easy_strerror(code), -1))
            x->t = NULL;
    } else if ((status >= 200 && status < 300) || status == 304) {
        page_done_ok(c, x, status);
    } else if (status == 429 || status >= 500) {
        char value[128], detail[32];
        double retry_after = -1;
        if (http_header_value(x->headers.data, x->headers.len, "Retry-After", value, sizeof value))
            retry_after = http_retry_after_s(value, (int64_t)time(NULL));
        snprintf(detail, sizeof detail, "HTTP %ld", status);
        if (page_failed(c, h, t, ERR_HTTP_5XX, (int)status, detail, retry_after))
            x->t = NULL;
    } else {
        char detail[32];
        snprintf(detail, sizeof detail, "HTTP %ld", status);
        page_failed(c, h, t, status >= 400 ? ERR_HTTP_4XX : ERR_OTHER, (int)status, detail, -1);
    }
    /* After the outcome: robots.txt may just have set a Crawl-delay. */
    double next = now + effective_delay_s(c, h);
    if (next > h->next_allowed_s)
        h->next_allowed_s = next;
    if (x->t)
        task_free(x->t);
    curl_multi_remove_handle(c->multi, x->easy);
    transfer_unlink(c, x);
    transfer_free(x);
}

/* ---- scheduling ---- */

static int pages_allowed(crawler *c)
{
    return c->opt->max_pages <= 0 ||
           c->done + c->pages_inflight + c->pages_writing < c->opt->max_pages;
}

/* Handles pages that need no request: robots.txt forbids them, or their host is unreachable.
 * Returns 1 when t was consumed. */
static int page_settled_without_request(crawler *c, host *h, task *t)
{
    if (h->robots_error_kind >= 0) {
        if (t->depth == 0)
            c->sum->seeds_attempted++;
        t->attempts = c->opt->retries; /* robots.txt already used the retries */
        page_failed(c, h, t, h->robots_error_kind, 0, "robots.txt unreachable", -1);
        task_free(t);
        return 1;
    }
    if (!robots_allowed(&h->rules, url_path_query(t->url))) {
        page_skipped(c, t, SKIP_ROBOTS, 0, NULL);
        task_free(t);
        return 1;
    }
    return 0;
}

static void start_transfers(crawler *c, double now)
{
    for (size_t n = 0; n < c->host_count && c->active < c->opt->concurrency && !c->failed; n++) {
        host *h = c->hosts[(c->host_rr + n) % c->host_count];
        while (c->active < c->opt->concurrency && h->active < c->opt->per_host_concurrency &&
               now >= h->next_allowed_s && !c->failed && !stop_requested) {
            /* While robots.txt is in flight nothing else starts; a robots.txt waiting for a
             * retry sits at the head of the special queue. */
            if (h->robots_status == ROBOTS_FETCHING &&
                !(h->special_head && h->special_head->kind == TASK_ROBOTS))
                break;
            if (!h->special_head && !(h->pages_head && pages_allowed(c)))
                break;
            task *t;
            if (h->robots_status == ROBOTS_UNKNOWN) {
                char url[URL_MAX];
                const char *any = h->special_head ? h->special_head->url : h->pages_head->url;
                if (url_normalize(any, "/robots.txt", url, sizeof url) < 0 ||
                    !(t = task_new(TASK_ROBOTS, url, NULL, 0))) {
                    h->robots_status = ROBOTS_READY;
                    continue;
                }
                h->robots_status = ROBOTS_FETCHING;
            } else if (h->special_head) {
                t = queue_pop(&h->special_head, &h->special_tail);
            } else {
                t = queue_pop(&h->pages_head, &h->pages_tail);
                if (page_settled_without_request(c, h, t))
                    continue;
            }
            if (start_transfer(c, h, t) < 0) {
                cr_err err;
                cr_fail(&err, CR_EOTHER, "starting a transfer failed (out of memory)");
                set_fatal(c, &err);
                task_free(t);
                break;
            }
            double next = now + effective_delay_s(c, h);
            if (next > h->next_allowed_s)
                h->next_allowed_s = next;
        }
    }
    if (c->host_count)
        c->host_rr = (c->host_rr + 1) % c->host_count;
}

/* Moves due retries back to the front of their host's queue; returns the seconds until the
 * next one is due (a large number when none waits). */
static double promote_delayed(crawler *c, double now)
{
    double next = 1e9;
    for (size_t i = 0; i < c->delayed_count;) {
        task *t = c->delayed[i];
        if (t->not_before <= now) {
            host *h = host_for(c, t->url);
            c->delayed[i] = c->delayed[--c->delayed_count];
            if (h)
                host_push(h, t, 1);
            else
                task_free(t);
            continue;
        }
        if (t->not_before - now < next)
            next = t->not_before - now;
        i++;
    }
    return next;
}

/* Is there work that could start now or later (not counting transfers in flight)? Sets
 * *wait_s to the time until a host's slot opens. */
static int has_pending(crawler *c, double now, double *wait_s)
{
    int pending = 0;
    for (size_t i = 0; i < c->host_count; i++) {
        host *h = c->hosts[i];
        if (h->special_head || (h->pages_head && pages_allowed(c)) ||
            (h->pages_head && c->pages_inflight + c->pages_writing > 0)) {
            pending = 1;
            double until = h->next_allowed_s - now;
            if (until > 0 && until < *wait_s)
                *wait_s = until;
        }
    }
    return pending;
}

/* ---- start-up: the queue from the state, the seeds ---- */

static int load_one(void *ctx, const queued_page *page)
{
    crawler *c = ctx;
    host *h = host_for(c, page->url);
    task *t = h ? task_new(TASK_PAGE, page->url, page->referrer, page->depth) : NULL;
    if (!t)
        return CR_EOTHER;
    t->row = page->row;
    t->attempts = page->attempts;
    t->recover = page->state == PAGE_SAVING;
    host_push(h, t, 0);
    return CR_OK;
}

/* Pages the last run saved without recording it: count them, read their links, drop them
 * from the queue. */
static void recover_saved(crawler *c)
{
    for (size_t i = 0; i < c->host_count; i++) {
        host *h = c->hosts[i];
        task *keep_head = NULL, *keep_tail = NULL, *t;
        while ((t = queue_pop(&h->pages_head, &h->pages_tail))) {
            char path[4096];
            if (t->recover && existing_page_path(c, t->url, path, sizeof path)) {
                c->sum->recovered++;
                c->done++;
                mark_page(c, t, PAGE_SAVED, 200, NULL, NULL, NULL);
                links_from_disk(c, t);
                task_free(t);
            } else {
                queue_push(&keep_head, &keep_tail, t, 0);
            }
        }
        /* links_from_disk may have queued new pages behind: keep the old order first. */
        while ((t = queue_pop(&h->pages_head, &h->pages_tail)))
            queue_push(&keep_head, &keep_tail, t, 0);
        h->pages_head = keep_head;
        h->pages_tail = keep_tail;
    }
}

static void free_all(crawler *c)
{
    for (size_t i = 0; i < c->host_count; i++) {
        host *h = c->hosts[i];
        task *t;
        while ((t = queue_pop(&h->pages_head, &h->pages_tail))) {
            c->sum->queued_left++;
            task_free(t);
        }
        while ((t = queue_pop(&h->special_head, &h->special_tail)))
            task_free(t);
        robots_free(&h->rules);
        free(h);
    }
    free(c->hosts);
    for (size_t i = 0; i < c->delayed_count; i++) {
        if (c->delayed[i]->kind == TASK_PAGE)
            c->sum->queued_left++;
        task_free(c->delayed[i]);
    }
    free(c->delayed);
}

int crawl_run(const crawl_options *opt, crawl_summary *sum, cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    crawler c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.sum = sum;
    c.rng = (uint64_t)time(NULL) * 2654435761u + 1;
    crawl_agent_token(opt->user_agent, c.agent, sizeof c.agent);
    stop_requested = 0;
    double started = cr_now_s();

    int rc = cr_mkdir_p(opt->out_dir, err);
    if (rc)
        return cr_err_context(err, "creating the output folder");
    if ((rc = scope_init(&c.scope, opt->scope, opt->seeds, opt->seed_count, err)))
        return rc;
    if ((rc = state_open(&c.state, opt->state_dir, err))) {
        scope_free(&c.scope);
        return rc;
    }
    if ((rc = state_begin_run(c.state, &sum->resumed, &c.generation, err)))
        goto out;
    sum->generation = c.generation;
    if (opt->warc_path) {
        if ((rc = warc_open(&c.warc, opt->warc_path, opt->user_agent, err)))
            goto out;
        c.warc_open = 1;
    }
    c.multi = curl_multi_init();
    if (!c.multi) {
        rc = cr_fail(err, CR_EOTHER, "libcurl: cannot create a multi handle");
        goto out;
    }
    curl_multi_setopt(c.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)opt->concurrency);
    curl_multi_setopt(c.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opt->per_host_concurrency);
    curl_multi_setopt(c.multi, CURLMOPT_MAXCONNECTS, (long)opt->concurrency * 2);
    if ((rc = writer_start(&c.writers, opt->writers, opt->out_dir, wake_loop, &c, err)))
        goto out;
    c.writers_started = 1;

    /* The queue as the last run left it, then any seed not seen yet in this generation. */
    if (txn(&c)) {
        *err = c.fatal;
        rc = err->code;
        goto out;
    }
    if ((rc = state_load_queue(c.state, load_one, &c, err))) {
        if (rc == CR_EOTHER)
            cr_fail(err, CR_EOTHER, "out of memory loading the queue");
        goto out;
    }
    int64_t done_before = 0;
    if ((rc = state_count_done(c.state, &done_before, err)))
        goto out;
    c.done = done_before;
    recover_saved(&c);
    for (size_t i = 0; i < opt->seed_count && !c.failed; i++)
        enqueue_page(&c, opt->seeds[i], 0, NULL);
    txn_commit(&c);
    if (sum->resumed)
        cr_info("resuming generation %lld: %lld pages done before", (long long)c.generation,
                (long long)done_before);

    cr_progress_begin(&c.progress, "crawl", "pages", (uint64_t)(opt->max_pages > 0 ? opt->max_pages : 0),
                      opt->progress_mode);
    cr_progress_set(&c.progress, (uint64_t)c.done);

    while (!c.failed) {
        double now = cr_now_s();
        double wait_s = promote_delayed(&c, now);
        int written = collect_writes(&c);
        if (!stop_requested)
            start_transfers(&c, now);
        int pending = has_pending(&c, now, &wait_s);
        if (c.active == 0 && c.pages_writing == 0 &&
            (stop_requested || (!pending && c.delayed_count == 0)))
            break;
        int running = 0;
        curl_multi_perform(c.multi, &running);
        CURLMsg *msg;
        int left, completed = 0;
        while ((msg = curl_multi_info_read(c.multi, &left))) {
            completed++;
            if (msg->msg != CURLMSG_DONE)
                continue;
            transfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode code = msg->data.result;
            transfer_done(&c, x, code);
        }
        txn_commit(&c);
        submit_writes(&c);
        if (stop_requested && c.active > 0) {
            /* Stop now: transfers in flight stay queued in the state for the next run. */
            cr_info("interrupted: %d transfers abandoned, the next run continues", c.active);
            break;
        }
        if (completed || written)
            continue; /* slots were freed: start what can start before sleeping */
        /* Sleep until a socket is ready, a retry is due or a host's slot opens. */
        double until = wait_s;
        if (until > 1.0)
            until = 1.0;
        if (c.active > 0 && until > 0.1)
            until = 0.1; /* libcurl's own timers (timeouts) are also served by the poll */
        int timeout_ms = (int)(until * 1000.0);
        if (timeout_ms < 0)
            timeout_ms = 0;
        if (c.active > 0 || c.pages_writing > 0 || timeout_ms > 0)
            curl_multi_poll(c.multi, NULL, 0, timeout_ms, NULL);
    }
    sum->interrupted = stop_requested != 0;

out:
    if (c.in_transaction && !c.failed)
        txn_commit(&c);
    if (c.writers_started) {
        /* Pages already fetched are written and recorded, even when stopping. */
        if (!c.failed)
            submit_writes(&c);
        writer_stop(&c.writers);
        collect_writes(&c);
        if (c.in_transaction && !c.failed)
            txn_commit(&c);
    }
    while (c.to_submit_head) { /* a fatal error came before they were handed over */
        write_job *next = c.to_submit_head->next;
        saving_page_free(c.to_submit_head->owner);
        c.to_submit_head = next;
    }
    if (c.multi) {
        /* Abandoned transfers (interruption, fatal error): their pages stay queued. */
        while (c.transfers) {
            transfer *x = c.transfers;
            curl_multi_remove_handle(c.multi, x->easy);
            transfer_unlink(&c, x);
            if (x->t && x->t->kind == TASK_PAGE)
                sum->queued_left++;
            task_free(x->t);
            transfer_free(x);
        }
        curl_multi_cleanup(c.multi);
    }
    if (c.progress.label[0])
        cr_progress_end(&c.progress);
    free_all(&c);
    sum->done_in_generation = c.done;
    if (c.failed && !rc) {
        *err = c.fatal;
        rc = err->code ? err->code : CR_EOTHER;
    }
    /* The generation is complete when the crawl ran out of work, not when it was stopped,
     * and not when every seed failed for a temporary reason (the next run retries them). */
    if (!rc && !sum->interrupted && !(sum->seeds_attempted > 0 &&
                                      sum->seeds_network_failed == sum->seeds_attempted &&
                                      sum->saved + sum->unchanged == 0)) {
        cr_err finish_err;
        if (state_finish_generation(c.state, &finish_err))
            cr_warn("%s", finish_err.msg);
    }
    if (c.warc_open) {
        cr_err warc_err;
        if (warc_close(&c.warc, &warc_err) && !rc) {
            *err = warc_err;
            rc = warc_err.code;
        }
    }
    state_close(c.state);
    scope_free(&c.scope);
    sum->elapsed_s = cr_now_s() - started;
    return rc;
}

void crawl_summary_free(crawl_summary *summary)
{
    for (int i = 0; i < summary->failure_count; i++) {
        free(summary->failures[i].url);
        free(summary->failures[i].error);
    }
    summary->failure_count = 0;
}
