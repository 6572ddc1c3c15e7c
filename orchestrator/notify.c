/* notify.c — notification commands and the webhook thread (see notify.h).
 * The queue is bounded (1,000 bodies): when a webhook is down for long, the oldest waiting
 * bodies are dropped with a warning rather than growing without end. Each body is tried up to
 * 5 times, 0.5 s, 1 s, 2 s, 4 s apart, with a 10 s limit per request. */
#include "clock.h"
#include "notify.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "runner.h"

#define QUEUE_MAX 1000
#define WEBHOOK_ATTEMPTS 5

typedef struct webhook_job {
    char *url;
    char *body;
    struct webhook_job *next;
} webhook_job;

struct notifier {
    const char *command_log; /* the caller's: it outlives the notifier */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    webhook_job *head, *tail;
    int queued;
    int busy;
    int stopping;
};

/* The webhook's JSON body. */
static char *notify_json(const notify_event *e)
{
    cr_buf b;
    cr_buf_init(&b);
    cr_json j;
    cr_json_init(&j, &b);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "event", e->event);
    cr_json_kv_string(&j, "stage", e->stage);
    cr_json_kv_string(&j, "workspace", e->workspace ? e->workspace : "");
    cr_json_kv_int(&j, "run", e->run_id);
    cr_json_kv_int(&j, "exit", e->exit_code);
    cr_json_kv_int(&j, "attempts", e->attempts);
    cr_json_key(&j, "inputs");
    cr_json_array_begin(&j);
    for (int i = 0; i < e->input_count; i++)
        cr_json_string(&j, e->inputs[i]);
    cr_json_array_end(&j);
    if (e->error)
        cr_json_kv_string(&j, "error", e->error);
    if (e->moved_to)
        cr_json_kv_string(&j, "moved_to", e->moved_to);
    char when[32];
    cr_wall_iso(when);
    cr_json_kv_string(&j, "time", when);
    cr_json_object_end(&j);
    if (b.failed) {
        cr_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static void job_free(webhook_job *job)
{
    free(job->url);
    free(job->body);
    free(job);
}

static size_t discard(char *ptr, size_t size, size_t count, void *user)
{
    (void)ptr;
    (void)user;
    return size * count;
}

/* One POST; 0 when the server answered 2xx. */
static int post_once(CURL *curl, const webhook_job *job, char *why, size_t why_size)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, job->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job->body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "crystalline-orchestrator/" CR_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode res = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (res != CURLE_OK) {
        snprintf(why, why_size, "%s", curl_easy_strerror(res));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf(why, why_size, "HTTP status %ld", status);
        return -1;
    }
    return 0;
}

static void *webhook_thread(void *arg)
{
    notifier *n = arg;
    CURL *curl = curl_easy_init();
    for (;;) {
        pthread_mutex_lock(&n->lock);
        while (!n->head && !n->stopping)
            pthread_cond_wait(&n->wake, &n->lock);
        webhook_job *job = n->head;
        if (!job) {
            pthread_mutex_unlock(&n->lock);
            break;
        }
        n->head = job->next;
        if (!n->head)
            n->tail = NULL;
        n->queued--;
        n->busy = 1;
        pthread_mutex_unlock(&n->lock);

        char why[256] = "curl unavailable";
        int delivered = 0;
        for (int attempt = 1; curl && attempt <= WEBHOOK_ATTEMPTS && !delivered &&
                              !(attempt > 1 && __atomic_load_n(&n->stopping, __ATOMIC_ACQUIRE));
             attempt++) {
            if (post_once(curl, job, why, sizeof why) == 0) {
                delivered = 1;
                break;
            }
            cr_warn("webhook %s: attempt %d of %d failed: %s", job->url, attempt, WEBHOOK_ATTEMPTS,
                    why);
            if (attempt < WEBHOOK_ATTEMPTS) {
                struct timespec pause = {.tv_sec = (250L << attempt) / 1000,
                                         .tv_nsec = ((250L << attempt) % 1000) * 1000000L};
                nanosleep(&pause, NULL);
            }
        }
        if (!delivered)
            cr_error("webhook %s: not delivered: %s", job->url, why);
        job_free(job);
        pthread_mutex_lock(&n->lock);
        n->busy = 0;
        pthread_cond_broadcast(&n->wake);
        pthread_mutex_unlock(&n->lock);
    }
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}

int notifier_start(notifier **out, const char *command_log, cr_err *err)
{
    notifier *n = calloc(1, sizeof *n);
    if (!n)
        return cr_fail(err, CR_EOTHER, "out of memory");
    n->command_log = command_log;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    *out = n;
    return CR_OK;
}

static void enqueue(notifier *n, const char *url, char *body)
{
    webhook_job *job = calloc(1, sizeof *job);
    if (!job || !(job->url = strdup(url))) {
        free(job);
        free(body);
        return;
    }
    job->body = body;
    pthread_mutex_lock(&n->lock);
    if (!n->thread_started) {
        /* Started on first use: a pipeline without webhooks never has a second thread. */
        if (pthread_create(&n->thread, NULL, webhook_thread, n) == 0)
            n->thread_started = 1;
    }
    if (n->queued >= QUEUE_MAX) {
        webhook_job *old = n->head;
        n->head = old->next;
        n->queued--;
        cr_warn("webhook %s: queue full, dropping the oldest notification", old->url);
        job_free(old);
    }
    if (n->tail)
        n->tail->next = job;
    else
        n->head = job;
    n->tail = job;
    n->queued++;
    pthread_cond_broadcast(&n->wake);
    pthread_mutex_unlock(&n->lock);
}

static void run_command(notifier *n, char *const *tmpl, int argc, const notify_event *e)
{
    char exit_text[16];
    snprintf(exit_text, sizeof exit_text, "%d", e->exit_code);
    argv_vars vars = {.workspace = e->workspace,
                      .stage = e->stage,
                      .inputs = e->inputs,
                      .input_count = e->input_count,
                      .event = e->event,
                      .exit_text = exit_text};
    char **argv = NULL;
    cr_err err;
    char program[4096];
    pid_t pid;
    if (argv_expand(tmpl, argc, &vars, &argv, &err) ||
        program_resolve(argv[0], program, sizeof program, &err) ||
        runner_spawn(program, argv, n->command_log, &pid, &err)) {
        cr_error("%s: notify %s command: %s", e->stage, e->event, err.msg);
    }
    if (argv)
        argv_free(argv);
}

void notifier_send(notifier *n, const notify_config *c, const notify_event *e)
{
    int failure = !strcmp(e->event, "failure");
    char **argv = failure ? c->on_failure : c->on_success;
    int argc = failure ? c->on_failure_count : c->on_success_count;
    if (argv)
        run_command(n, argv, argc, e);
    if (c->webhook) {
        char *body = notify_json(e);
        if (body)
            enqueue(n, c->webhook, body);
    }
}

void notifier_stop(notifier *n, int wait_ms)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    if (n->thread_started) {
        struct timespec deadline = cr_wall_after_ms(wait_ms);
        while ((n->head || n->busy) && pthread_cond_timedwait(&n->wake, &n->lock, &deadline) == 0) {
        }
    }
    __atomic_store_n(&n->stopping, 1, __ATOMIC_RELEASE);
    /* Whatever is still queued after the wait is dropped (the thread takes no new job). */
    webhook_job *job = n->head;
    n->head = n->tail = NULL;
    pthread_cond_broadcast(&n->wake);
    pthread_mutex_unlock(&n->lock);
    while (job) {
        webhook_job *next = job->next;
        cr_warn("webhook %s: not delivered before stopping", job->url);
        job_free(job);
        job = next;
    }
    if (n->thread_started)
        pthread_join(n->thread, NULL); /* at most one request in flight: <= 10 s */
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    curl_global_cleanup();
    free(n);
}
