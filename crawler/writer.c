/* writer.c — the page-writing threads. Each thread takes what is queued (up to
 * WRITER_BATCH_MAX pages) and writes it as a batch: every file staged and synced, every meta
 * file renamed, one fsync of the folder, every page file renamed, one fsync of the folder; only
 * then are the jobs handed back, so that a page recorded SAVED has both names on disk, and
 * after a power loss a page is never there without its meta. Several threads overlap the file
 * system's waits with each other and the fetching. Recording the jobs is crawl.c's job. */
#include "writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* From this many pages on, a batch is synced with one syncfs rather than a fsync per file. */
#define WRITER_SYNCFS_MIN 4

/* Every file of the batch is staged first (written under its temporary name), then synced, then
 * the metas are published (renamed) and the folder synced, then the pages. A batch of a few
 * pages syncs each file; a larger one syncs them all at once with syncfs on folder_fd (opened
 * before staging, so that it reports their write errors). */
static void write_batch(writer_pool *pool, write_job **jobs, int count, cr_atomic_file *metas,
                        cr_atomic_file *bodies, int folder_fd)
{
    int staged = 0;
    for (int i = 0; i < count; i++) {
        write_job *job = jobs[i];
        cr_err_clear(&job->err);
        job->rc = output_stage_meta(pool->out_dir, &job->page, &metas[i], &job->err);
        if (job->rc == CR_OK) {
            job->rc = output_stage_body(pool->out_dir, &job->page, &bodies[i], &job->err);
            if (job->rc)
                cr_atomic_abort(&metas[i]);
        }
        staged += job->rc == CR_OK;
    }
    int synced = folder_fd >= 0 && staged >= WRITER_SYNCFS_MIN;
    cr_err sync_err;
    if (synced && cr_syncfs(folder_fd, pool->out_dir, &sync_err) != CR_OK) {
        for (int i = 0; i < count; i++) {
            if (jobs[i]->rc == CR_OK) {
                jobs[i]->rc = sync_err.code;
                jobs[i]->err = sync_err;
                cr_atomic_abort(&metas[i]);
                cr_atomic_abort(&bodies[i]);
            }
        }
    }
    for (int i = 0; i < count; i++) {
        if (jobs[i]->rc == CR_OK) {
            jobs[i]->rc = cr_atomic_publish(&metas[i], synced, &jobs[i]->err);
            if (jobs[i]->rc)
                cr_atomic_abort(&bodies[i]);
        }
    }
    sync_batch(pool, jobs, count);
    for (int i = 0; i < count; i++) {
        if (jobs[i]->rc == CR_OK)
            jobs[i]->rc = cr_atomic_publish(&bodies[i], synced, &jobs[i]->err);
        else
            cr_atomic_abort(&bodies[i]);
    }
    sync_batch(pool, jobs, count);
}

static void *writer_main(void *arg)
{
    writer_pool *pool = arg;
    write_job *batch[WRITER_BATCH_MAX];
    cr_atomic_file *files = malloc(2 * WRITER_BATCH_MAX * sizeof *files);
    int batch_max = files ? pool->batch_max : 1;
    cr_atomic_file one[2];
    cr_atomic_file *metas = files ? files : &one[0], *bodies = files ? files + batch_max : &one[1];
    int folder_fd = open(pool->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->todo_head && !pool->stopping)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (!pool->todo_head)
            break; /* stopping and nothing left */
        int count = 0;
        while (pool->todo_head && count < batch_max) {
            batch[count++] = pool->todo_head;
            pool->todo_head = pool->todo_head->next;
        }
        if (!pool->todo_head)
            pool->todo_tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        write_batch(pool, batch, count, metas, bodies, folder_fd);

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
    free(files);
    if (folder_fd >= 0)
        close(folder_fd);
    return NULL;
}

/* A staged file holds a descriptor until it is published: the batch is as large as the
 * descriptors allow (the soft limit raised to the hard one), with room left for the crawl. */
static int batch_size(int thread_count)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1;
    if (limit.rlim_cur < limit.rlim_max) {
        rlim_t wanted = limit.rlim_max == RLIM_INFINITY ? 65536 : limit.rlim_max;
        struct rlimit raised = {wanted, limit.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit.rlim_cur = wanted;
    }
    long spare = (long)(limit.rlim_cur > 1 << 20 ? 1 << 20 : limit.rlim_cur) - 256;
    long size = spare / (2L * thread_count);
    return size < 1 ? 1 : size > WRITER_BATCH_MAX ? WRITER_BATCH_MAX : (int)size;
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
    pool->batch_max = batch_size(thread_count);
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
