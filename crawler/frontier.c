/* frontier.c — the in-memory side of the frontier: hosts (one politeness slot and one
 * robots.txt each), their queues of tasks, the retries waiting for their time, and the state
 * writes grouped in one transaction per turn of the loop. The persistent side is state.c; the
 * loop that serves the queues is crawl.c. */
#include <stdlib.h>
#include <string.h>

#include "crawl_private.h"
#include "buf.h"
#include "url.h"

double random01(crawler *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

task *task_new(int kind, const char *url, const char *referrer, int depth)
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

const char *task_target(const task *t)
{
    return t->hop_url ? t->hop_url : t->url;
}

void task_free(task *t)
{
    if (!t)
        return;
    free(t->hop_url);
    free(t->url);
    free(t->referrer);
    free(t);
}

host *host_for(crawler *c, const char *url)
{
    char origin[320];
    if (url_origin(url, origin, sizeof origin) < 0)
        return NULL;
    /* Most crawls touch few hosts, and the last one found is usually the next. */
    for (size_t i = c->host_count; i-- > 0;)
        if (strcmp(c->hosts[i]->origin, origin) == 0)
            return c->hosts[i];
    if (cr_grow(&c->hosts, &c->host_cap, c->host_count + 1, sizeof *c->hosts) < 0)
        return NULL;
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

void queue_push(task **head, task **tail, task *t, int front)
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

task *queue_pop(task **head, task **tail)
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

void host_push(host *h, task *t, int front)
{
    if (t->kind == TASK_PAGE)
        queue_push(&h->pages_head, &h->pages_tail, t, front);
    else
        queue_push(&h->special_head, &h->special_tail, t, front);
}

int delay_task(crawler *c, task *t, double not_before)
{
    if (cr_grow(&c->delayed, &c->delayed_cap, c->delayed_count + 1, sizeof *c->delayed) < 0)
        return -1;
    t->not_before = not_before;
    c->delayed[c->delayed_count++] = t;
    return 0;
}

void set_fatal(crawler *c, const cr_err *err)
{
    if (!c->failed) {
        c->fatal = *err;
        c->failed = 1;
    }
}

/* State writes are grouped in a transaction per turn of the loop (committed at its end, and
 * before a page's files are written), so that a page costs one commit, not one per link. */
int txn(crawler *c)
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

void txn_commit(crawler *c)
{
    if (!c->in_transaction)
        return;
    c->in_transaction = 0;
    cr_err err;
    if (state_transaction_commit(c->state, &err))
        set_fatal(c, &err);
}

void record_failure(crawler *c, const char *url, const char *error)
{
    crawl_summary *s = c->sum;
    if (s->failure_count >= CRAWL_MAX_REPORTED_FAILURES)
        return;
    s->failures[s->failure_count].url = strdup(url);
    s->failures[s->failure_count].error = strdup(error);
    s->failure_count++;
}

/* Queues a page URL found at depth (from referrer) if it is in scope, deep enough and new. */
void enqueue_page(crawler *c, const char *url, int depth, const char *referrer)
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

void enqueue_links(crawler *c, const page_links *links, int depth, const char *referrer)
{
    for (size_t i = 0; i < links->count && !c->failed; i++)
        enqueue_page(c, links->urls[i], depth + 1, referrer);
}

void enqueue_sitemap(crawler *c, const char *url, int level)
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
