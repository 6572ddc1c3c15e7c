/* outcome.c — what a finished transfer means: a page saved (handed to the writers), unchanged,
 * skipped (with its reason) or failed (retried with backoff and Retry-After when temporary),
 * robots.txt parsed or unreachable, a sitemap's URLs queued. Counts go to the summary, every
 * decision to the state. It neither schedules (crawl.c) nor talks to libcurl beyond reading a
 * finished handle (transfer.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crawl_private.h"
#include "fs.h"
#include "http.h"
#include "log.h"
#include "output.h"
#include "parse.h"
#include "url.h"

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
    /* (CURLE_UNSUPPORTED_PROTOCOL is no redirect's: libcurl follows none, follow_redirect
     * checks the scheme. It is an answer libcurl cannot read, such as HTTP/0.9: other.) */
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return ERR_TLS;
    default:
        return ERR_OTHER;
    }
}

/* Marks a page in the state, committing at once. */
void mark_page(crawler *c, task *t, int page_state, int status, const char *reason,
               const char *etag, const char *last_modified)
{
    cr_err err;
    if (txn(c))
        return;
    if (state_mark(c->state, t->row, page_state, status, reason, etag, last_modified, &err))
        set_fatal(c, &err);
}

void page_skipped(crawler *c, task *t, int reason, int status, const char *detail)
{
    c->sum->skipped[reason]++;
    cr_info("skipped (%s%s%s): %s", skip_reason_names[reason], detail ? ": " : "",
            detail ? detail : "", t->url);
    mark_page(c, t, PAGE_SKIPPED, status, skip_reason_names[reason], NULL, NULL);
}

/* A failed attempt: retried later when temporary and attempts are left, else recorded.
 * retry_after_s < 0 when the server gave none. Returns 1 when the task was re-queued (the
 * caller must not free it). */
int page_failed(crawler *c, host *h, task *t, int kind, int status, const char *detail,
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
void links_from_disk(crawler *c, task *t)
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

void saving_page_free(saving_page *sp)
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
    if (txn(c) || state_mark(c->state, t->row, PAGE_SAVING, (int)status, NULL, NULL, NULL, &err)) {
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

/* A 3xx with a Location: the hop becomes the task's next request, queued on the target's host
 * so that it passes the same gates as any URL before it is sent (scheme, scope, robots.txt,
 * the host's delay). Returns 1 when the response was a redirect and has been dealt with. */
static int follow_redirect(crawler *c, host *h, transfer *x, long status)
{
    task *t = x->t;
    char location[URL_MAX], next[URL_MAX], detail[URL_MAX + 32];
    if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) ||
        !http_header_value(x->headers.data, x->headers.len, "Location", location, sizeof location))
        return 0;
    int kind = -1;
    if (url_normalize(task_target(t), location, next, sizeof next) < 0) {
        kind = ERR_REDIRECT_SCHEME;
        snprintf(detail, sizeof detail, "not an http(s) URL: %s", location);
    } else if (t->hops >= REDIRECTS_MAX) {
        kind = ERR_REDIRECT_LOOP;
        snprintf(detail, sizeof detail, "more than %d redirects", REDIRECTS_MAX);
    }
    if (kind < 0 && !scope_allows(&c->scope, next)) {
        if (t->kind == TASK_PAGE)
            page_skipped(c, t, SKIP_OFF_SCOPE_REDIRECT, (int)status, next);
        else if (t->kind == TASK_ROBOTS)
            kind = ERR_OTHER, snprintf(detail, sizeof detail, "redirect out of scope: %s", next);
        else
            cr_info("sitemap not read (redirect out of scope: %s): %s", next, t->url);
        if (kind < 0)
            return 1;
    }
    if (kind >= 0) {
        if (t->kind == TASK_PAGE) {
            page_failed(c, h, t, kind, (int)status, detail, -1);
        } else if (t->kind == TASK_ROBOTS) {
            /* RFC 9309 2.3.1.2: a robots.txt behind too many (or unusable) redirects is
             * "unavailable": everything allowed, as after a 4xx. */
            host *owner = t->robots_for ? t->robots_for : h;
            cr_info("robots.txt unavailable (%s): %s", detail, t->url);
            robots_free(&owner->rules);
            robots_init_allow_all(&owner->rules);
            owner->robots_status = ROBOTS_READY;
            c->sum->robots_fetched++;
        } else {
            cr_info("sitemap not read (%s): %s", detail, t->url);
        }
        return 1;
    }
    char *hop = strdup(next);
    host *target = hop ? host_for(c, next) : NULL;
    if (!target) {
        free(hop);
        cr_err err;
        cr_fail(&err, CR_EOTHER, "out of memory following a redirect");
        set_fatal(c, &err);
        return 1;
    }
    if (t->kind == TASK_ROBOTS && !t->robots_for)
        t->robots_for = h;
    free(t->hop_url);
    t->hop_url = hop;
    t->hops++;
    cr_debug("redirect %ld to %s (hop %d): %s", status, hop, t->hops, t->url);
    host_push(target, t, 1);
    x->t = NULL; /* queued again */
    return 1;
}

/* h: the host the robots.txt speaks for (after redirects, not the one that answered:
 * fetched_from, whose pace a Retry-After sets). */
static void robots_done(crawler *c, host *h, host *fetched_from, transfer *x, CURLcode code,
                        long status)
{
    task *t = x->t;
    c->sum->robots_fetched++;
    robots_free(&h->rules);
    if (x->too_large && status >= 200 && status < 300) {
        cr_info("robots.txt over %d KiB: its first %d KiB are obeyed: %s",
                ROBOTS_MAX_BYTES / 1024, ROBOTS_MAX_BYTES / 1024, t->url);
        code = CURLE_OK; /* the transfer was cut at the cap on purpose */
    }
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
    } else if (code == CURLE_OK && (status < 500 || status > 599) && status != 429) {
        robots_init_allow_all(&h->rules); /* "unavailable" (4xx, or no usable answer) */
    } else if (code != CURLE_OK && !is_temporary(error_kind_of(code))) {
        robots_init_allow_all(&h->rules); /* redirect loop and the like: as unavailable */
    } else {
        int kind = code == CURLE_OK ? ERR_HTTP_5XX : error_kind_of(code);
        double retry_after = -1;
        char value[128];
        if (code == CURLE_OK &&
            http_header_value(x->headers.data, x->headers.len, "Retry-After", value, sizeof value))
            retry_after = http_retry_after_s(value, (int64_t)time(NULL));
        if (page_failed(c, fetched_from, t, kind, (int)status, NULL, retry_after)) {
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
            if (url_normalize(task_target(t), urls.locs[i], url, sizeof url) < 0)
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

void transfer_done(crawler *c, transfer *x, CURLcode code)
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

    if (code == CURLE_OK && follow_redirect(c, h, x, status)) {
        /* queued again for its next hop, or settled */
    } else if (t->kind == TASK_ROBOTS) {
        robots_done(c, t->robots_for ? t->robots_for : h, h, x, code, status);
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
    } else if (status == 429 || (status >= 500 && status <= 599)) {
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
        page_failed(c, h, t, status >= 400 && status <= 499 ? ERR_HTTP_4XX : ERR_OTHER, (int)status,
                    detail, -1);
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
