/* crawl.c — the crawl loop on libcurl's multi interface: start-up (the state's queue, pages a
 * killed run saved without recording, the seeds), per-host scheduling (robots.txt first, then
 * pages at the host's pace and within the page limit), the writers' results, and the end of a
 * run. What a response means is outcome.c's, a request transfer.c's, the queues frontier.c's.
 * Exercised end to end by tests/crawler/test_*.sh against tests/crawler/server.py. */
#include "crawl.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crawl_private.h"
#include "fs.h"
#include "log.h"
#include "url.h"

const char *const skip_reason_names[SKIP_REASON_COUNT] = {
    "robots", "noindex", "content-type", "too-large", "off-scope-redirect", "duplicate"};
const char *const error_kind_names[ERR_KIND_COUNT] = {
    "http-4xx", "http-5xx",      "timeout",         "connect", "dns",
    "network",  "redirect-loop", "redirect-scheme", "tls",     "other"};

static volatile sig_atomic_t stop_requested;

void crawl_request_stop(void)
{
    stop_requested = 1;
}

void crawl_agent_token(const char *user_agent, char *out, size_t out_size)
{
    size_t n = 0;
    while (
        user_agent[n] &&
        (isalpha((unsigned char)user_agent[n]) || user_agent[n] == '-' || user_agent[n] == '_') &&
        n + 1 < out_size)
        n++;
    memcpy(out, user_agent, n);
    out[n] = '\0';
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
        if (t->depth == 0 && t->hops == 0)
            c->sum->seeds_attempted++;
        t->attempts = c->opt->retries; /* robots.txt already used the retries */
        page_failed(c, h, t, h->robots_error_kind, 0, "robots.txt unreachable", -1);
        task_free(t);
        return 1;
    }
    if (!robots_allowed(&h->rules, url_path_query(task_target(t)))) {
        page_skipped(c, t, SKIP_ROBOTS, 0, t->hop_url);
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
            if (h->robots_status == ROBOTS_UNKNOWN &&
                !(h->special_head && h->special_head->kind == TASK_ROBOTS)) {
                /* (another host's robots.txt redirected here is fetched without this host's
                 * own: robots.txt files are not subject to robots.txt) */
                char url[URL_MAX];
                const char *any = task_target(h->special_head ? h->special_head : h->pages_head);
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
            host *h = host_for(c, task_target(t));
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
    cr_remove_stale_temporaries(opt->out_dir);
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

    cr_progress_begin(&c.progress, "crawl", "pages",
                      (uint64_t)(opt->max_pages > 0 ? opt->max_pages : 0), opt->progress_mode);
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
    if (!rc && !sum->interrupted &&
        !(sum->seeds_attempted > 0 && sum->seeds_network_failed == sum->seeds_attempted &&
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
