/* transfer.c — one request as a libcurl easy handle: no redirect is followed here (a hop is
 * a task of its own, checked like any other: outcome.c), decoding, certificate checks, timeouts,
 * the size cap and the content-type check that abort a transfer early, the last response's headers
 * and, for WARC, the request as sent, and conditional headers from the last generation. What a
 * response means is outcome.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl_private.h"
#include "fs.h"
#include "http.h"
#include "log.h"
#include "output.h"

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
        /* A robots.txt over the cap is read up to it (RFC 9309 2.5: at least 500 KiB are
         * parsed), not ignored: outcome.c parses what came. */
        if (x->t->kind == TASK_ROBOTS)
            cr_buf_append(&x->body, data, x->cap - x->body.len);
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

void transfer_free(transfer *x)
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

void transfer_unlink(crawler *c, transfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        c->transfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

double effective_delay_s(crawler *c, host *h)
{
    double delay = (double)c->opt->delay_ms / 1000.0;
    if (h->rules.crawl_delay_s > delay)
        delay = h->rules.crawl_delay_s;
    return delay;
}

/* The earlier copy of a page on disk, for a conditional request and for links after a 304. */
int existing_page_path(crawler *c, const char *url, char *path, size_t size)
{
    /* Both files: the meta is written first, so a page without it was never complete. */
    char id[CR_ID_SIZE], name[64], meta[4096];
    output_page_id(url, id);
    snprintf(name, sizeof name, "%s.meta.json", id);
    if (cr_path_join(meta, sizeof meta, c->opt->out_dir, name, NULL) != 0 || !cr_is_file(meta))
        return 0;
    const char *exts[] = {".html", ".txt"};
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", id, exts[i]);
        if (cr_path_join(path, size, c->opt->out_dir, name, NULL) == 0 && cr_is_file(path))
            return 1;
    }
    return 0;
}

int start_transfer(crawler *c, host *h, task *t)
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
    curl_easy_setopt(e, CURLOPT_URL, task_target(t));
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->opt->user_agent);
    /* Redirects are answers, not orders: outcome.c queues the hop, which passes scope, scheme,
     * robots.txt and the target host's delay before it is requested. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every decoding libcurl has */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opt->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->opt->timeout_ms < 10000 ? c->opt->timeout_ms : 10000));
    if (t->kind != TASK_ROBOTS) /* (a robots.txt is cut at the cap, not refused) */
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
    if (t->kind == TASK_PAGE && t->depth == 0 && t->attempts == 0 && t->hops == 0)
        c->sum->seeds_attempted++;
    cr_debug("GET %s", task_target(t));
    return 0;
}
