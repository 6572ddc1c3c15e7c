/* writer.h — a small pool of threads that write pages (output.c) while the crawl loop goes on
 * fetching: creating and syncing two files per page costs milliseconds on a real disk, so
 * each thread writes what is queued as a batch with one folder fsync per half (metas, then
 * pages), and several threads overlap their waits. Jobs come back to the crawl loop, which
 * records them in the state; this file does not touch the state or libcurl. */
#ifndef CRAWLER_WRITER_H
#define CRAWLER_WRITER_H

#include <pthread.h>

#include "output.h"
#include "status.h"

typedef struct write_job {
    page_record page; /* what to write; its strings belong to the job's owner */
    void *owner;      /* the crawl's context for this page, returned untouched */
    int rc;           /* CR_OK once both files and their names are on disk */
    cr_err err;
    struct write_job *next;
} write_job;

#define WRITER_MAX_THREADS 16
#define WRITER_BATCH_MAX 64 /* pages one thread writes between two folder fsyncs */

typedef struct writer_pool {
    pthread_t threads[WRITER_MAX_THREADS];
    int thread_count;
    const char *out_dir;
    int batch_max; /* WRITER_BATCH_MAX, or fewer when descriptors are short */
    pthread_mutex_t lock;
    pthread_cond_t work;
    write_job *todo_head, *todo_tail;
    write_job *done_head, *done_tail;
    int stopping;
    void (*notify)(void *ctx); /* called (from a writer thread) when a job is done */
    void *notify_ctx;
} writer_pool;

/* Starts thread_count threads (1..WRITER_MAX_THREADS). */
int writer_start(writer_pool *pool, int thread_count, const char *out_dir,
                 void (*notify)(void *ctx), void *notify_ctx, cr_err *err);
void writer_submit(writer_pool *pool, write_job *job);
/* Takes every finished job (in completion order), or NULL. */
write_job *writer_take_done(writer_pool *pool);
/* Writes what is queued, then stops the threads. Finished jobs stay to be taken. */
void writer_stop(writer_pool *pool);

#endif
