/* writer.c — the page-writing threads: each job is output_save_page (meta then body, both
 * atomic) on its own thread, so that the file system's waits overlap each other and the
 * fetching. Jobs are handed back in a done list; recording them is crawl.c's job. */
#include "writer.h"

#include <string.h>

static void *writer_main(void *arg)
{
    writer_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->todo_head && !pool->stopping)
            pthread_cond_wait(&pool->work, &pool->lock);
        write_job *job = pool->todo_head;
        if (!job)
            break; /* stopping and nothing left */
        pool->todo_head = job->next;
        if (!pool->todo_head)
            pool->todo_tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        cr_err_clear(&job->err);
        job->rc = output_save_page(pool->out_dir, &job->page, &job->err);

        pthread_mutex_lock(&pool->lock);
        job->next = NULL;
        if (pool->done_tail)
            pool->done_tail->next = job;
        else
            pool->done_head = job;
        pool->done_tail = job;
        if (pool->notify)
            pool->notify(pool->notify_ctx);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int writer_start(writer_pool *pool, int thread_count, const char *out_dir,
                 void (*notify)(void *ctx), void *notify_ctx, cr_err *err)
{
    memset(pool, 0, sizeof *pool);
    if (thread_count < 1)
        thread_count = 1;
    if (thread_count > WRITER_MAX_THREADS)
        thread_count = WRITER_MAX_THREADS;
    pool->out_dir = out_dir;
    pool->notify = notify;
    pool->notify_ctx = notify_ctx;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    for (int i = 0; i < thread_count; i++) {
        if (pthread_create(&pool->threads[i], NULL, writer_main, pool) != 0) {
            writer_stop(pool);
            return cr_fail(err, CR_EOTHER, "cannot start a writer thread");
        }
        pool->thread_count++;
    }
    return CR_OK;
}

void writer_submit(writer_pool *pool, write_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->todo_tail)
        pool->todo_tail->next = job;
    else
        pool->todo_head = job;
    pool->todo_tail = job;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
}

write_job *writer_take_done(writer_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    write_job *jobs = pool->done_head;
    pool->done_head = pool->done_tail = NULL;
    pthread_mutex_unlock(&pool->lock);
    return jobs;
}

void writer_stop(writer_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    pool->thread_count = 0;
}
