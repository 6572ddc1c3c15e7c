/* writer.c — the page-writing threads. Each thread takes what is queued (up to
 * WRITER_BATCH_MAX pages) and writes it as a batch: every meta file, one fsync of the folder,
 * every page file, one fsync of the folder; only then are the jobs handed back, so that a page
 * recorded SAVED has both names on disk, and after a power loss a page is never there without
 * its meta. Several threads overlap the file system's waits with each other and the fetching.
 * Recording the jobs is crawl.c's job. */
#include "writer.h"

#include <string.h>

#include "fs.h"

/* The folder's fsync makes the batch's new names durable; if it fails, none of them counts. */
static void sync_batch(writer_pool *pool, write_job **jobs, int count)
{
    int written = 0;
    for (int i = 0; i < count; i++)
        written += jobs[i]->rc == CR_OK;
    if (!written)
        return;
    cr_err err;
    if (cr_fsync_dir(pool->out_dir, &err) == CR_OK)
        return;
    for (int i = 0; i < count; i++) {
        if (jobs[i]->rc == CR_OK) {
            jobs[i]->rc = err.code;
            jobs[i]->err = err;
        }
    }
}

static void write_batch(writer_pool *pool, write_job **jobs, int count)
{
    for (int i = 0; i < count; i++) {
        cr_err_clear(&jobs[i]->err);
        jobs[i]->rc = output_write_meta(pool->out_dir, &jobs[i]->page, 0, &jobs[i]->err);
    }
    sync_batch(pool, jobs, count);
    for (int i = 0; i < count; i++)
        if (jobs[i]->rc == CR_OK)
            jobs[i]->rc = output_write_body(pool->out_dir, &jobs[i]->page, 0, &jobs[i]->err);
    sync_batch(pool, jobs, count);
}

static void *writer_main(void *arg)
{
    writer_pool *pool = arg;
    write_job *batch[WRITER_BATCH_MAX];
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->todo_head && !pool->stopping)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (!pool->todo_head)
            break; /* stopping and nothing left */
        int count = 0;
        while (pool->todo_head && count < WRITER_BATCH_MAX) {
            batch[count++] = pool->todo_head;
            pool->todo_head = pool->todo_head->next;
        }
        if (!pool->todo_head)
            pool->todo_tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        write_batch(pool, batch, count);

        pthread_mutex_lock(&pool->lock);
        for (int i = 0; i < count; i++) {
            batch[i]->next = NULL;
            if (pool->done_tail)
                pool->done_tail->next = batch[i];
            else
                pool->done_head = batch[i];
            pool->done_tail = batch[i];
        }
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
