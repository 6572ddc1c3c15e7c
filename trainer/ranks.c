/* ranks.c — the MPI side of data-parallel training (ranks.h). MPI is only touched from Node
 * Zero (the main thread), never from the sphere workers. Every cross-rank sum is done here, in
 * rank order, not by MPI_Reduce / MPI_Allreduce, whose order of additions is the library's:
 * MPI only moves bytes (MPI_Alltoallv, MPI_Allgather, MPI_Allgatherv, MPI_Gatherv, MPI_Bcast).
 * The step itself (forward, backward, AdamW kernels) is spheres.c; the loop is train.c. */
#include "ranks.h"

#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* Segment bounds are multiples of this many floats (64 bytes). */
#define SEGMENT_ALIGN_FLOATS 16

static struct {
    int initialised, rank, count;
} world = {0, 0, 1};

/* The watchdog. mpirun ends the job when a rank dies, but not when one stops answering (a
 * stopped process, a machine gone silent): a thread of each rank ends the job, exit 75, when
 * the rank has waited in one exchange longer than CR_RANK_TIMEOUT seconds, or by default
 * max(600 s, 20 x the slowest step so far). The main thread only marks its waits. */
#define WATCHDOG_FLOOR_S 600.0
static struct {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int started, quit;
    double fixed_limit_s;  /* CR_RANK_TIMEOUT; 0: the default */
    double wait_since_s;   /* 0: not in an exchange */
    double last_return_s;  /* when the last exchange returned */
    double slowest_step_s; /* the longest time between two exchanges' returns */
} watchdog = {.mutex = PTHREAD_MUTEX_INITIALIZER};

static double watchdog_limit_s(void)
{
    if (watchdog.fixed_limit_s > 0)
        return watchdog.fixed_limit_s;
    double limit = 20 * watchdog.slowest_step_s;
    return limit > WATCHDOG_FLOOR_S ? limit : WATCHDOG_FLOOR_S;
}

static void *watchdog_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&watchdog.mutex);
    while (!watchdog.quit) {
        double now = cr_now_s(), limit = watchdog_limit_s();
        if (watchdog.wait_since_s > 0 && now - watchdog.wait_since_s > limit) {
            cr_error("no word from the other ranks for %.0f s (limit %.0f s, CR_RANK_TIMEOUT): "
                     "ending the job; --resume continues from the last checkpoint",
                     now - watchdog.wait_since_s, limit);
            /* from this thread, outside the letter of MPI_THREAD_FUNNELED while the main
             * thread is blocked in MPI; Open MPI's abort only asks the launcher to end the job
             * (tested: exit 75), and _exit stands in should it ever return */
            MPI_Abort(MPI_COMM_WORLD, CR_ETEMP);
            _exit(CR_ETEMP);
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&watchdog.changed, &watchdog.mutex, &until);
    }
    pthread_mutex_unlock(&watchdog.mutex);
    return NULL;
}

static int watchdog_start(cr_err *err)
{
    const char *text = getenv("CR_RANK_TIMEOUT");
    if (text && *text) {
        char *end;
        errno = 0;
        double seconds = strtod(text, &end);
        if (errno || *end || !(seconds > 0))
            return cr_fail(err, CR_EUSAGE, "CR_RANK_TIMEOUT: expected seconds > 0, not \"%s\"",
                           text);
        watchdog.fixed_limit_s = seconds;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&watchdog.changed, &attr);
    pthread_condattr_destroy(&attr);
    /* SIGINT and SIGTERM are for the main thread (train.c) */
    sigset_t blocked, previous;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    int failed = pthread_create(&watchdog.thread, NULL, watchdog_main, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (failed)
        return cr_fail(err, CR_EOTHER, "cannot start the watchdog thread");
    watchdog.started = 1;
    return CR_OK;
}

static void watchdog_stop(void)
{
    if (!watchdog.started)
        return;
    pthread_mutex_lock(&watchdog.mutex);
    watchdog.quit = 1;
    pthread_cond_signal(&watchdog.changed);
    pthread_mutex_unlock(&watchdog.mutex);
    pthread_join(watchdog.thread, NULL);
    watchdog.started = 0;
}

/* Around every collective call. */
static void wait_begin(void)
{
    pthread_mutex_lock(&watchdog.mutex);
    watchdog.wait_since_s = cr_now_s();
    pthread_mutex_unlock(&watchdog.mutex);
}

static void wait_end(void)
{
    pthread_mutex_lock(&watchdog.mutex);
    double now = cr_now_s();
    if (watchdog.last_return_s > 0 && now - watchdog.last_return_s > watchdog.slowest_step_s)
        watchdog.slowest_step_s = now - watchdog.last_return_s;
    watchdog.last_return_s = now;
    watchdog.wait_since_s = 0;
    pthread_mutex_unlock(&watchdog.mutex);
}

struct rank_exchange {
    size_t param_count;
    int *counts, *displs; /* per rank: its segment's length and first index (floats) */
    int *send_counts, *send_displs, *recv_counts, *recv_displs;
    size_t begin, end;    /* this rank's segment */
    float *received;      /* (R - 1) x segment length: the other ranks' gradient of this
                           * segment, in rank order (this rank's own stays in the engine) */
    double *step_figures; /* R x (loss, sum of squares, stop) */
    double grad_norm;
    double exchange_s; /* this step's time in ranks_reduce and ranks_adamw's gather */
};

int ranks_open(cr_err *err)
{
    if (!getenv("OMPI_COMM_WORLD_SIZE"))
        return CR_OK;
    /* a rank waiting for a slower one yields its core instead of spinning on it: the
     * machine may be shared, or the ranks' own worker threads may need it (unless the
     * user chose otherwise: --mca mpi_yield_when_idle 0) */
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return cr_fail(err, CR_EOTHER, "MPI_Init_thread failed");
    world.initialised = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.count);
    if (world.rank > 0) {
        char name[64];
        snprintf(name, sizeof name, "trainer rank %d", world.rank);
        int level = cr_log_level();
        cr_log_init(name, level < CR_LOG_WARN ? level : CR_LOG_WARN);
    }
    return world.count > 1 ? watchdog_start(err) : CR_OK;
}

void ranks_close(int status)
{
    if (!world.initialised)
        return;
    watchdog_stop();
    if (status != 0 && world.count > 1)
        MPI_Abort(MPI_COMM_WORLD, status);
    MPI_Finalize();
    world.initialised = 0;
}

int ranks_count(void)
{
    return world.count;
}
int ranks_rank(void)
{
    return world.rank;
}
int ranks_is_root(void)
{
    return world.rank == 0;
}

/* MPI counts are int: a buffer over INT_MAX elements goes in pieces. */
static void broadcast_floats(float *data, size_t count)
{
    const size_t piece = (size_t)1 << 30;
    for (size_t at = 0; at < count; at += piece) {
        size_t n = count - at < piece ? count - at : piece;
        wait_begin();
        MPI_Bcast(data + at, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
        wait_end();
    }
}

int ranks_share_start(gpt2_config *cfg, float **params, float **adam_m, float **adam_v,
                      train_state *state, int *resumed, uint64_t train_tokens, cr_err *err)
{
    if (world.count == 1)
        return CR_OK;
    /* the same shards on every machine, or the ranks would not read disjoint parts of one
     * stream: compare the token counts */
    unsigned long long mine = train_tokens, *all = calloc((size_t)world.count, sizeof *all);
    if (!all)
        return cr_fail(err, CR_EOTHER, "out of memory");
    wait_begin();
    MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    wait_end();
    for (int q = 1; q < world.count; q++)
        if (all[q] != all[0]) {
            int code = cr_fail(err, CR_EDATA,
                               "rank %d has %llu training tokens, rank 0 has %llu: every rank "
                               "needs the same shards in --data",
                               q, all[q], all[0]);
            free(all);
            return code;
        }
    free(all);
    int shape[8] = {cfg->max_seq_len, cfg->vocab_size, cfg->padded_vocab_size,
                    cfg->num_layers,  cfg->num_heads,  cfg->channels,
                    *resumed,         *adam_m != NULL};
    wait_begin();
    MPI_Bcast(shape, 8, MPI_INT, 0, MPI_COMM_WORLD);
    wait_end();
    wait_begin();
    MPI_Bcast(state, (int)sizeof *state, MPI_BYTE, 0, MPI_COMM_WORLD);
    wait_end();
    if (world.rank > 0) {
        cfg->max_seq_len = shape[0];
        cfg->vocab_size = shape[1];
        cfg->padded_vocab_size = shape[2];
        cfg->num_layers = shape[3];
        cfg->num_heads = shape[4];
        cfg->channels = shape[5];
        *resumed = shape[6];
    }
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(cfg, sizes);
    if (world.rank > 0) {
        *params = malloc(P * sizeof **params);
        if (shape[7]) {
            *adam_m = malloc(P * sizeof **adam_m);
            *adam_v = malloc(P * sizeof **adam_v);
        }
        /* out of memory here is this rank's alone: ranks_close aborts the others */
        if (!*params || (shape[7] && (!*adam_m || !*adam_v)))
            return cr_fail(err, CR_EOTHER, "out of memory for %zu parameters", P);
    }
    broadcast_floats(*params, P);
    if (shape[7]) {
        broadcast_floats(*adam_m, P);
        broadcast_floats(*adam_v, P);
    }
    return CR_OK;
}

long ranks_agree_long(long value)
{
    if (world.count == 1)
        return value;
    long long shared = value;
    wait_begin();
    MPI_Bcast(&shared, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    wait_end();
    return (long)shared;
}

int rank_exchange_new(rank_exchange **out, size_t param_count, cr_err *err)
{
    *out = NULL;
    if (world.count == 1)
        return CR_OK;
    if (param_count / (size_t)world.count > (size_t)1 << 30)
        return cr_fail(err, CR_EUSAGE, "%zu parameters over %d ranks: over 2^30 floats per rank",
                       param_count, world.count);
    int R = world.count;
    rank_exchange *x = calloc(1, sizeof *x);
    if (!x)
        return cr_fail(err, CR_EOTHER, "out of memory");
    x->param_count = param_count;
    x->counts = calloc((size_t)R, sizeof(int));
    x->displs = calloc((size_t)R, sizeof(int));
    x->send_counts = calloc((size_t)R, sizeof(int));
    x->send_displs = calloc((size_t)R, sizeof(int));
    x->recv_counts = calloc((size_t)R, sizeof(int));
    x->recv_displs = calloc((size_t)R, sizeof(int));
    x->step_figures = calloc((size_t)R * 3, sizeof(double));
    if (!x->counts || !x->displs || !x->send_counts || !x->send_displs || !x->recv_counts ||
        !x->recv_displs || !x->step_figures) {
        rank_exchange_free(x);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    /* contiguous segments as equal as the 64-byte alignment of their bounds allows */
    for (int q = 0; q < R; q++) {
        size_t begin = q == 0 ? 0
                              : param_count * (size_t)q / (size_t)R / SEGMENT_ALIGN_FLOATS *
                                    SEGMENT_ALIGN_FLOATS;
        size_t end = q == R - 1 ? param_count
                                : param_count * (size_t)(q + 1) / (size_t)R / SEGMENT_ALIGN_FLOATS *
                                      SEGMENT_ALIGN_FLOATS;
        x->displs[q] = (int)begin;
        x->counts[q] = (int)(end - begin);
        if (q == world.rank) {
            x->begin = begin;
            x->end = end;
        }
    }
    /* nothing to itself: a rank reads its own slice where the engine summed it */
    size_t length = x->end - x->begin;
    for (int q = 0; q < R; q++) {
        int self = q == world.rank;
        x->send_counts[q] = self ? 0 : x->counts[q];
        x->send_displs[q] = x->displs[q];
        x->recv_counts[q] = self ? 0 : (int)length;
        x->recv_displs[q] = (int)((size_t)(q < world.rank ? q : q - 1) * length);
    }
    size_t received = (size_t)(R - 1) * length + 1;
    x->received = malloc(received * sizeof(float));
    if (!x->received) {
        rank_exchange_free(x);
        return cr_fail(err, CR_EOTHER, "out of memory for the gradient exchange");
    }
    memset(x->received, 0, received * sizeof(float)); /* the pages now, not in step 1 */
    *out = x;
    return CR_OK;
}

void rank_exchange_free(rank_exchange *x)
{
    if (!x)
        return;
    free(x->counts);
    free(x->displs);
    free(x->send_counts);
    free(x->send_displs);
    free(x->recv_counts);
    free(x->recv_displs);
    free(x->step_figures);
    free(x->received);
    free(x);
}

/* The owner's sum, in place in the engine's gradient: for each float i of the segment,
 * g[i] = (((g_0[i] + g_1[i]) + g_2[i]) + ... + g_{R-1}[i]) * (1/R), whichever rank's data
 * arrived first, a block at a time (the block stays in L1). Returns the segment's sum of
 * squares in double: eight lanes, lane k over the floats i = k mod 8 in index order, then the
 * lanes added in lane order. */
static double sum_segment(rank_exchange *x, float *grad)
{
    enum { BLOCK = 1024, LANES = 8 };
    int R = world.count;
    size_t length = x->end - x->begin;
    float *own = grad + x->begin, scale = 1.0f / (float)R; /* exact when R is a power of two */
    double lanes[LANES] = {0};
    for (size_t i0 = 0; i0 < length; i0 += BLOCK) {
        size_t n = length - i0 < BLOCK ? length - i0 : BLOCK;
        float block[BLOCK];
        for (int q = 0; q < R; q++) {
            const float *g = q == world.rank
                                 ? own + i0
                                 : x->received + (size_t)(q < world.rank ? q : q - 1) * length + i0;
            if (q == 0)
                memcpy(block, g, n * sizeof(float));
            else
                for (size_t i = 0; i < n; i++)
                    block[i] += g[i];
        }
        size_t i = 0;
        for (; i + LANES <= n; i += LANES)
            for (int k = 0; k < LANES; k++) {
                float v = block[i + k] * scale;
                own[i0 + i + k] = v;
                lanes[k] += (double)v * v;
            }
        for (; i < n; i++) { /* only the segment's last block can end off the lanes */
            float v = block[i] * scale;
            own[i0 + i] = v;
            lanes[(i0 + i) % LANES] += (double)v * v;
        }
    }
    double sumsq = 0;
    for (int k = 0; k < LANES; k++)
        sumsq += lanes[k];
    return sumsq;
}

int ranks_reduce(rank_exchange *x, sphere_engine *e, double *loss, double *grad_norm, int stop)
{
    if (!x)
        return stop;
    int R = world.count;
    double start = MPI_Wtime();
    /* the other ranks' gradient of this segment, in rank order */
    wait_begin();
    MPI_Alltoallv(engine_grads(e), x->send_counts, x->send_displs, MPI_FLOAT, x->received,
                  x->recv_counts, x->recv_displs, MPI_FLOAT, MPI_COMM_WORLD);
    wait_end();
    double sumsq = sum_segment(x, engine_grads(e));
    double figures[3] = {*loss, sumsq, stop ? 1.0 : 0.0};
    wait_begin();
    MPI_Allgather(figures, 3, MPI_DOUBLE, x->step_figures, 3, MPI_DOUBLE, MPI_COMM_WORLD);
    wait_end();
    double loss_sum = 0, sumsq_all = 0;
    int any_stop = 0;
    for (int q = 0; q < R; q++) {
        loss_sum += x->step_figures[3 * q];
        sumsq_all += x->step_figures[3 * q + 1];
        any_stop |= x->step_figures[3 * q + 2] != 0;
    }
    *loss = loss_sum / R;
    *grad_norm = x->grad_norm = sqrt(sumsq_all);
    x->exchange_s = MPI_Wtime() - start;
    return any_stop;
}

void ranks_adamw(rank_exchange *x, sphere_engine *e, const engine_hparams *hp, float lr, long t)
{
    if (!x) {
        engine_adamw(e, hp, lr, t);
        return;
    }
    engine_adamw_segment(e, hp, lr, t, x->grad_norm, engine_grads(e) + x->begin, x->begin, x->end);
    double start = MPI_Wtime();
    wait_begin();
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, engine_params(e), x->counts, x->displs,
                   MPI_FLOAT, MPI_COMM_WORLD);
    wait_end();
    x->exchange_s += MPI_Wtime() - start;
}

double ranks_exchange_ms(const rank_exchange *x)
{
    return x ? x->exchange_s * 1000.0 : 0;
}

static void gather_segments(rank_exchange *x, float *data)
{
    if (world.rank == 0) {
        wait_begin();
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, x->counts, x->displs, MPI_FLOAT, 0,
                    MPI_COMM_WORLD);
        wait_end();
    } else {
        wait_begin();
        MPI_Gatherv(data + x->begin, (int)(x->end - x->begin), MPI_FLOAT, NULL, NULL, NULL,
                    MPI_FLOAT, 0, MPI_COMM_WORLD);
        wait_end();
    }
}

void ranks_gather_moments(rank_exchange *x, sphere_engine *e)
{
    if (!x)
        return;
    gather_segments(x, engine_adam_m(e));
    gather_segments(x, engine_adam_v(e));
}
