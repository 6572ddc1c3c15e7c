/* spheres.c — Node Zero, the worker threads and the streamed fixed-order reduction (spheres.h).
 * A step is phases of numbered work items that workers claim with a compare-and-swap on a
 * (generation, next item) ticket: weight packing; the 12 spheres' forward+backward, whose
 * gradients are added into one sum as they finish, strictly in sphere order 0..11, through a
 * pool of threads + 1 buffers (a worker takes the next sphere only with a free buffer); each
 * fixed 64 Ki-float chunk's sum of squares, after adding the last spheres' buffers to the
 * chunk (left there once every sphere is claimed); AdamW on the same chunks. Node Zero waits
 * at the end of each phase and combines the chunk norms in chunk order. No allocation after
 * engine_new. */
#include "spheres.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adamw.h"
#include "clock.h"
#include "matmul.h"
#include "muon.h"

#define CHUNK_FLOATS (64 * 1024)
/* The largest classifier weight^T the bf16 engine pre-packs once per step (setup_packing). */
#define CLASSIFIER_T_MAX_BYTES (16u << 20)

enum phase {
    PHASE_FORWARD_BACKWARD,
    PHASE_FORWARD,
    PHASE_NORM,
    PHASE_ADAMW,
    PHASE_MUON,
    PHASE_PACK
};

/* One piece of the once-per-step weight packing: panels [p0, p1) of one matrix. */
struct pack_item {
    const float *src;
    float *dst;
    int C, OC, p0, p1, transposed;
};

struct worker_arg {
    sphere_engine *engine;
    int index;
};

struct sphere_engine {
    gpt2_config cfg;
    int batch, seq_len, thread_count, active_spheres;
    size_t param_count;
    size_t tensor_offset[GPT2_NUM_TENSORS + 1];
    float *params, *adam_m, *adam_v;
    gpt2_params p;
    gpt2_forward_fn *forward;
    int level;
    float *packed_block;
    gpt2_packed packed;
    struct pack_item *pack_items;
    int pack_item_count, packed_stale;
    gpt2_backward_fn *backward;
    float *grad; /* the summed gradient; sphere 0 computes straight into it */
    gpt2_params grad_p;
    float *pool_block; /* pool_count gradient buffers for spheres 1.. in flight or waiting */
    int pool_count;
    float *pool[SPHERE_COUNT];
    gpt2_params pool_p[SPHERE_COUNT];
    int sphere_workers; /* min(threads, active spheres): worker w uses acts[w] */
    gpt2_acts acts[SPHERE_COUNT];
    int *sphere_tokens; /* per sphere: inputs then targets, (ceil(B/12), T) each */
    sphere_stats stats[SPHERE_COUNT];
    int chunk_count;
    double *chunk_sumsq;
    int want_norm;      /* this step's caller wants the gradient norm (ranks compute their own) */
    float *muon_work;   /* engine_use_muon: one workspace per thread; NULL: AdamW everywhere */
    size_t muon_floats; /* of one thread's workspace */

    /* the current phase's inputs (written by Node Zero before the phase starts) */
    const int *inputs, *targets;
    int batch_now;
    float dloss;
    float lr, clip_scale, bias1, bias2;
    engine_hparams hp;
    size_t range_begin, range_end; /* the floats the chunk phases cover: all, or a segment */
    int first_chunk;               /* the chunk of item 0 in the AdamW phase */

    pthread_t *threads;
    struct worker_arg *args;
    pthread_mutex_t mutex;
    pthread_cond_t work_ready, work_done;
    uint32_t generation;
    int phase, item_count, shutting_down, phase_done;
    _Atomic uint64_t ticket; /* generation << 32 | next item */
    _Atomic int items_left;

    /* the forward+backward phase's streamed reduction; all of it under flow_mutex */
    pthread_mutex_t flow_mutex;
    pthread_cond_t buffer_free;
    uint32_t flow_generation; /* the phase these fields belong to */
    int busy;                 /* spheres with a sequence this step */
    int next_sphere;          /* the next sphere to claim */
    int next_to_add;          /* every sphere before it is in the sum; from it on the norm phase
                                 adds what the last spheres left (finish_sphere) */
    int adding;               /* a worker is adding into the sum */
    int free_buffers[SPHERE_COUNT], free_count;
    int sphere_buffer[SPHERE_COUNT]; /* pool index of a claimed sphere's gradient (s > 0) */
    unsigned char finished[SPHERE_COUNT];
    unsigned char counted[SPHERE_COUNT]; /* its phase item is done: added, or left to the norm */
};

static int sphere_sequence_count(int batch, int sphere)
{
    return batch > sphere ? (batch - sphere + SPHERE_COUNT - 1) / SPHERE_COUNT : 0;
}

/* Forward (and backward, into the sphere's gradient buffer) of sphere s's sequences, on the
 * worker's activation block. */
static void run_sphere(sphere_engine *e, int s, int worker, int backward)
{
    double start = cr_now_s();
    int T = e->seq_len, per_sphere = (e->batch + SPHERE_COUNT - 1) / SPHERE_COUNT;
    int count = sphere_sequence_count(e->batch_now, s);
    int *inputs = e->sphere_tokens + (size_t)s * 2 * per_sphere * T;
    int *targets = inputs + (size_t)per_sphere * T;
    for (int i = 0; i < count; i++) {
        int b = s + i * SPHERE_COUNT;
        memcpy(inputs + (size_t)i * T, e->inputs + (size_t)b * T, (size_t)T * sizeof(int));
        memcpy(targets + (size_t)i * T, e->targets + (size_t)b * T, (size_t)T * sizeof(int));
    }
    double loss = 0;
    if (count > 0) {
        gpt2_acts *acts = &e->acts[worker];
        loss = e->forward(&e->p, e->packed_block ? &e->packed : NULL, &e->cfg, acts, inputs,
                          targets, count, T, backward ? e->dloss : 0.0f);
        if (backward) {
            int buffer = s == 0 ? -1 : e->sphere_buffer[s];
            /* the backward overwrites every gradient: no zeroing pass over the buffer */
            e->backward(&e->p, e->packed_block ? &e->packed : NULL,
                        buffer < 0 ? &e->grad_p : &e->pool_p[buffer], &e->cfg, acts, inputs, count,
                        T);
        }
    }
    e->stats[s].sequences = count;
    e->stats[s].loss_sum = loss;
    e->stats[s].busy_s = cr_now_s() - start;
    e->stats[s].worker = worker;
}

static void chunk_range(const sphere_engine *e, int chunk, size_t *begin, size_t *end)
{
    *begin = (size_t)chunk * CHUNK_FLOATS;
    *end = *begin + CHUNK_FLOATS < e->range_end ? *begin + CHUNK_FLOATS : e->range_end;
    if (*begin < e->range_begin)
        *begin = e->range_begin;
}

/* sum += g[0], then += g[1], ...: per element the additions of adding the buffers one after
 * another (the same bits), in one pass over sum, a block at a time so that it stays in cache. */
static void add_gradients(float *restrict sum, const float *const *g, int n, size_t P)
{
    enum { SUM_BLOCK = 2048 };
    for (size_t i0 = 0; i0 < P; i0 += SUM_BLOCK) {
        size_t i1 = i0 + SUM_BLOCK < P ? i0 + SUM_BLOCK : P;
        for (int j = 0; j < n; j++) {
            const float *restrict gj = g[j];
            for (size_t i = i0; i < i1; i++)
                sum[i] += gj[i];
        }
    }
}

/* The spheres left to add, then the chunk's sum of squares of the summed gradient (unless the
 * caller wants no norm). A sphere without a sequence this step counts as a zero buffer: adding
 * it turns -0 into +0, which the sum keeps doing here. */
static void norm_chunk(sphere_engine *e, int chunk)
{
    size_t begin, end;
    chunk_range(e, chunk, &begin, &end);
    float *sum = e->grad;
    int first = e->next_to_add > 1 ? e->next_to_add : 1;
    if (first < e->busy) { /* the spheres finish_sphere left: added here, chunk by chunk */
        const float *buffers[SPHERE_COUNT];
        for (int s = first; s < e->busy; s++)
            buffers[s - first] = e->pool[e->sphere_buffer[s]] + begin;
        add_gradients(sum + begin, buffers, e->busy - first, end - begin);
    }
    if (e->busy < e->active_spheres)
        for (size_t i = begin; i < end; i++)
            sum[i] += 0.0f;
    if (!e->want_norm)
        return;
    double sumsq = 0;
    for (size_t i = begin; i < end; i++)
        sumsq += (double)sum[i] * sum[i];
    e->chunk_sumsq[chunk] = sumsq;
}

/* The hidden matrices Muon updates: qkvw, attprojw, fcw, fcprojw (llm.c's tensors 4, 6, 10, 12). */
static const int muon_tensors[4] = {4, 6, 10, 12};

static int muon_tensor(const sphere_engine *e, int t)
{
    if (e->muon_work)
        for (int i = 0; i < 4; i++)
            if (muon_tensors[i] == t)
                return 1;
    return 0;
}

/* (rows, cols) of one layer's matrix of tensor t, llm.c's (OC, C) layout. */
static void muon_shape(const gpt2_config *cfg, int t, int *rows, int *cols)
{
    int C = cfg->channels;
    *rows = t == 4 ? 3 * C : t == 10 ? 4 * C : C;
    *cols = t == 12 ? 4 * C : C;
}

/* Muon on item = tensor index * L + layer: one whole matrix. */
static void muon_item(sphere_engine *e, int item, int worker)
{
    int L = e->cfg.num_layers, t = muon_tensors[item / L], rows, cols;
    muon_shape(&e->cfg, t, &rows, &cols);
    size_t at = e->tensor_offset[t] + (size_t)(item % L) * rows * cols;
    muon_step step = {e->hp.muon_lr, e->hp.muon_momentum, e->clip_scale,
                      e->lr * e->hp.weight_decay};
    int level = e->level > KERNEL_AVX512 ? KERNEL_AVX512 : e->level;
    muon_update(e->params + at, e->adam_m + at, e->grad + at, rows, cols, &step, level,
                e->muon_work + (size_t)worker * e->muon_floats);
}

static void adamw_chunk(sphere_engine *e, int chunk)
{
    size_t begin, end;
    chunk_range(e, chunk, &begin, &end);
    adamw_step step = {e->hp.beta1, e->hp.beta2,   e->hp.eps, e->lr,
                       0.0f,        e->clip_scale, e->bias1,  e->bias2};
    for (int t = 0; t < GPT2_NUM_TENSORS; t++) {
        size_t lo = e->tensor_offset[t] > begin ? e->tensor_offset[t] : begin;
        size_t hi = e->tensor_offset[t + 1] < end ? e->tensor_offset[t + 1] : end;
        step.weight_decay = gpt2_tensor_decays(t) ? e->hp.weight_decay : 0.0f;
        if (hi > lo && !muon_tensor(e, t))
            adamw_update(e->params + lo, e->adam_m + lo, e->adam_v + lo, e->grad + lo, hi - lo,
                         &step);
    }
}

static void run_item(sphere_engine *e, int phase, int item, int worker)
{
    switch (phase) {
    case PHASE_FORWARD:
        run_sphere(e, item, worker, 0);
        break;
    case PHASE_NORM:
        norm_chunk(e, item);
        break;
    case PHASE_ADAMW:
        adamw_chunk(e, e->first_chunk + item);
        break;
    case PHASE_MUON:
        muon_item(e, item, worker);
        break;
    case PHASE_PACK: {
        const struct pack_item *p = &e->pack_items[item];
        if (p->transposed)
            matmul_pack_weight_t_bf16((uint32_t *)p->dst, p->src, p->C, p->OC, p->p0, p->p1);
        else
            matmul_pack_weight(e->level, p->dst, p->src, p->C, p->OC, p->p0, p->p1);
        break;
    }
    }
}

/* count items of the current phase are done; the last one wakes Node Zero. */
static void items_done(sphere_engine *e, int count)
{
    if (atomic_fetch_sub(&e->items_left, count) == count) {
        pthread_mutex_lock(&e->mutex);
        e->phase_done = 1;
        pthread_cond_signal(&e->work_done);
        pthread_mutex_unlock(&e->mutex);
    }
}

/* Sphere s is computed. The finished spheres from the next in order on are added into the sum
 * (acc += g_s, element by element: the same operations in the same order as summing twelve
 * buffers) and their buffers freed, together in one pass, by this worker unless another is
 * adding. While a buffer is free and spheres are left to claim, the adding waits, so that the
 * next pass takes two or more buffers: a third less memory traffic than one pass each. A
 * worker waits for a buffer only when none is free, and then whoever finishes adds: the lowest
 * unsummed sphere is always finished or running. Once every sphere is claimed nobody waits for
 * a buffer, so the last ones are not added here (one worker, the others idle) but left to the
 * norm phase, which adds them chunk by chunk on every worker, in the same order, in the pass
 * that reads the sum for its norm anyway. The additions run outside the lock; `adding` keeps
 * them to one worker at a time. Each sphere is one item of the phase, counted when added or
 * left, after the last touch of the flow state (no add pass runs after the last count). */
static void finish_sphere(sphere_engine *e, int s)
{
    pthread_mutex_lock(&e->flow_mutex);
    e->finished[s] = 1;
    if (e->adding || (e->free_count > 0 && e->next_sphere < e->busy)) {
        pthread_mutex_unlock(&e->flow_mutex);
        return;
    }
    e->adding = 1;
    int done = 0;
    while (e->next_sphere < e->busy && e->next_to_add < e->busy && e->finished[e->next_to_add]) {
        const float *buffers[SPHERE_COUNT];
        int first = e->next_to_add, end = first, n = 0;
        for (; end < e->busy && e->finished[end]; end++)
            if (end > 0)
                buffers[n++] = e->pool[e->sphere_buffer[end]];
        pthread_mutex_unlock(&e->flow_mutex);
        add_gradients(e->grad, buffers, n, e->param_count);
        pthread_mutex_lock(&e->flow_mutex);
        for (int t = first; t < end; t++) {
            if (t > 0)
                e->free_buffers[e->free_count++] = e->sphere_buffer[t];
            e->counted[t] = 1;
        }
        e->next_to_add = end;
        done += end - first;
        pthread_cond_broadcast(&e->buffer_free);
    }
    if (e->next_sphere >= e->busy) /* every sphere claimed: the finished ones are left */
        for (int t = e->next_to_add; t < e->busy; t++)
            if (e->finished[t] && !e->counted[t]) {
                e->counted[t] = 1;
                done++;
            }
    e->adding = 0;
    pthread_mutex_unlock(&e->flow_mutex);
    if (done)
        items_done(e, done);
}

/* The forward+backward phase for one worker: claim the next sphere together with a free
 * buffer (sphere 0 needs none: it computes into the sum), so spheres are claimed in order and
 * the lowest unsummed sphere always runs or can start: no wait can last forever. A worker
 * still here from an earlier step's phase (generation differs) leaves. */
static void run_spheres(sphere_engine *e, int worker, uint32_t generation)
{
    if (worker >= e->sphere_workers)
        return;
    for (;;) {
        pthread_mutex_lock(&e->flow_mutex);
        while (e->flow_generation == generation && e->next_sphere < e->busy && e->next_sphere > 0 &&
               e->free_count == 0)
            pthread_cond_wait(&e->buffer_free, &e->flow_mutex);
        if (e->flow_generation != generation || e->next_sphere >= e->busy) {
            pthread_mutex_unlock(&e->flow_mutex);
            return;
        }
        int s = e->next_sphere++;
        if (s > 0)
            e->sphere_buffer[s] = e->free_buffers[--e->free_count];
        pthread_mutex_unlock(&e->flow_mutex);
        run_sphere(e, s, worker, 1);
        finish_sphere(e, s);
    }
}

static void *worker_main(void *arg_ptr)
{
    struct worker_arg *arg = arg_ptr;
    sphere_engine *e = arg->engine;
    uint32_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&e->mutex);
        while (e->generation == seen && !e->shutting_down)
            pthread_cond_wait(&e->work_ready, &e->mutex);
        if (e->shutting_down) {
            pthread_mutex_unlock(&e->mutex);
            return NULL;
        }
        seen = e->generation;
        int phase = e->phase, count = e->item_count;
        pthread_mutex_unlock(&e->mutex);
        if (phase == PHASE_FORWARD_BACKWARD) {
            run_spheres(e, arg->index, seen);
            continue;
        }
        if (phase == PHASE_FORWARD && arg->index >= e->sphere_workers)
            continue; /* no activation block of its own */
        for (;;) {
            uint64_t ticket = atomic_load(&e->ticket);
            if ((uint32_t)(ticket >> 32) != seen || (int)(ticket & 0xffffffffu) >= count)
                break;
            if (!atomic_compare_exchange_weak(&e->ticket, &ticket, ticket + 1))
                continue;
            run_item(e, phase, (int)(ticket & 0xffffffffu), arg->index);
            items_done(e, 1);
        }
    }
}

/* Node Zero: publish a phase, wake the workers, wait until every item is done. */
static void run_phase(sphere_engine *e, int phase, int count)
{
    if (count <= 0)
        return;
    pthread_mutex_lock(&e->mutex);
    e->generation++;
    e->phase = phase;
    e->item_count = count;
    e->phase_done = 0;
    atomic_store(&e->items_left, count);
    atomic_store(&e->ticket, (uint64_t)e->generation << 32);
    pthread_cond_broadcast(&e->work_ready);
    while (!e->phase_done)
        pthread_cond_wait(&e->work_done, &e->mutex);
    pthread_mutex_unlock(&e->mutex);
}

/* The forward weights, packed once per step into panels for the SIMD kernels (matmul.h), and
 * the work items that pack them: each matrix cut into runs of 32 panels. */
static int setup_packing(sphere_engine *e)
{
    int width = matmul_panel_width(e->level);
    if (!width)
        return 0;
    int C = e->cfg.channels, L = e->cfg.num_layers, V = e->cfg.vocab_size;
    size_t qkv = matmul_packed_floats(e->level, C, 3 * C);
    size_t proj = matmul_packed_floats(e->level, C, C);
    size_t fc = matmul_packed_floats(e->level, C, 4 * C);
    size_t fcproj = matmul_packed_floats(e->level, 4 * C, C);
    size_t wte = matmul_packed_floats(e->level, C, V);
    size_t total = wte + (size_t)L * (qkv + proj + fc + fcproj);
    /* bf16: weight^T too, for the backward's dinp (panels over C; else each sphere re-rounds) */
    int transposed = e->level == KERNEL_BF16;
    size_t qkv_t = 0, proj_t = 0, fc_t = 0, fcproj_t = 0, wte_t = 0;
    if (transposed) {
        qkv_t = matmul_packed_words_bf16(3 * C, C);
        proj_t = matmul_packed_words_bf16(C, C);
        fc_t = matmul_packed_words_bf16(4 * C, C);
        fcproj_t = matmul_packed_words_bf16(C, 4 * C);
        /* the classifier's W^T (V x C) pre-packed only while its panels stay near the cores:
         * then the spheres read it where each would otherwise round all of it again (4 MiB:
         * config A 1.16x -> 1.5x bf16/fp32). Larger (config B: 77 MiB), each K block reads
         * 16 panels megabytes apart from memory, slower than rounding the rows in order (B
         * lost 4.5 CPU s a step with it) and more resident memory: packed on the fly. */
        size_t classifier_t = matmul_packed_words_bf16(V, C);
        wte_t = classifier_t * sizeof(uint32_t) <= CLASSIFIER_T_MAX_BYTES ? classifier_t : 0;
    }
    total += wte_t + (size_t)L * (qkv_t + proj_t + fc_t + fcproj_t);
    e->packed_block = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64);
    int max_items = 0;
    int panels_wte = (V + width - 1) / width, panels_big = (4 * C + width - 1) / width;
    max_items = panels_wte / 32 + 1 + 4 * L * (panels_big / 32 + 1) +
                transposed * (panels_big + 1) * (4 * L + 1);
    e->pack_items = calloc((size_t)max_items, sizeof *e->pack_items);
    if (!e->packed_block || !e->pack_items)
        return -1;
    memset(e->packed_block, 0, total * sizeof(float));
    float *at = e->packed_block;
    e->packed.wte = at;
    at += wte;
    e->packed.qkvw = at;
    e->packed.qkvw_stride = qkv;
    at += (size_t)L * qkv;
    e->packed.attprojw = at;
    e->packed.attprojw_stride = proj;
    at += (size_t)L * proj;
    e->packed.fcw = at;
    e->packed.fcw_stride = fc;
    at += (size_t)L * fc;
    e->packed.fcprojw = at;
    e->packed.fcprojw_stride = fcproj;
    at += (size_t)L * fcproj;
    if (transposed) {
        if (wte_t)
            e->packed.wte_t = at;
        at += wte_t;
        e->packed.qkvw_t = at;
        e->packed.qkvw_t_stride = qkv_t;
        at += (size_t)L * qkv_t;
        e->packed.attprojw_t = at;
        e->packed.attprojw_t_stride = proj_t;
        at += (size_t)L * proj_t;
        e->packed.fcw_t = at;
        e->packed.fcw_t_stride = fc_t;
        at += (size_t)L * fc_t;
        e->packed.fcprojw_t = at;
        e->packed.fcprojw_t_stride = fcproj_t;
    }
    struct {
        const float *src;
        float *dst;
        int C, OC, transposed;
    } matrices[2 * (4 * 256 + 1)];
    int count = 0;
    matrices[count++] = (typeof(matrices[0])){e->p.wte, (float *)e->packed.wte, C, V, 0};
    for (int l = 0; l < L; l++) {
        size_t cc = (size_t)C * C;
        matrices[count++] = (typeof(matrices[0])){e->p.qkvw + l * 3 * cc,
                                                  (float *)e->packed.qkvw + l * qkv, C, 3 * C, 0};
        matrices[count++] = (typeof(matrices[0])){e->p.attprojw + l * cc,
                                                  (float *)e->packed.attprojw + l * proj, C, C, 0};
        matrices[count++] = (typeof(matrices[0])){e->p.fcw + l * 4 * cc,
                                                  (float *)e->packed.fcw + l * fc, C, 4 * C, 0};
        matrices[count++] = (typeof(matrices[0])){
            e->p.fcprojw + l * 4 * cc, (float *)e->packed.fcprojw + l * fcproj, 4 * C, C, 0};
    }
    if (transposed) {
        if (wte_t)
            matrices[count++] = (typeof(matrices[0])){e->p.wte, (float *)e->packed.wte_t, C, V, 1};
        for (int l = 0; l < L; l++) {
            size_t cc = (size_t)C * C;
            matrices[count++] = (typeof(matrices[0])){
                e->p.qkvw + l * 3 * cc, (float *)e->packed.qkvw_t + l * qkv_t, C, 3 * C, 1};
            matrices[count++] = (typeof(matrices[0])){
                e->p.attprojw + l * cc, (float *)e->packed.attprojw_t + l * proj_t, C, C, 1};
            matrices[count++] = (typeof(matrices[0])){
                e->p.fcw + l * 4 * cc, (float *)e->packed.fcw_t + l * fc_t, C, 4 * C, 1};
            matrices[count++] =
                (typeof(matrices[0])){e->p.fcprojw + l * 4 * cc,
                                      (float *)e->packed.fcprojw_t + l * fcproj_t, 4 * C, C, 1};
        }
    }
    for (int m = 0; m < count; m++) {
        /* forward panels over the OC outputs; transposed ones over the C inputs */
        int columns = matrices[m].transposed ? matrices[m].C : matrices[m].OC;
        int panels = (columns + width - 1) / width;
        /* a transposed panel spans all OC rows (the classifier's: the whole vocabulary), so
         * one panel an item, else a few items would leave the other workers idle */
        int step = matrices[m].transposed ? 1 : 32;
        for (int p0 = 0; p0 < panels; p0 += step) {
            struct pack_item *item = &e->pack_items[e->pack_item_count++];
            item->src = matrices[m].src;
            item->dst = matrices[m].dst;
            item->C = matrices[m].C;
            item->OC = matrices[m].OC;
            item->p0 = p0;
            item->p1 = p0 + step < panels ? p0 + step : panels;
            item->transposed = matrices[m].transposed;
        }
    }
    e->packed_stale = 1;
    return 0;
}

static void run_phase(sphere_engine *e, int phase, int count);

/* Re-packs the forward weights when the parameters changed since the last pack. */
static void refresh_packed(sphere_engine *e)
{
    if (e->packed_block && e->packed_stale)
        run_phase(e, PHASE_PACK, e->pack_item_count);
    e->packed_stale = 0;
}

int engine_new(sphere_engine **out, const gpt2_config *cfg, int batch, int seq_len, int threads,
               cr_err *err)
{
    *out = NULL;
    if (batch < 1 || seq_len < 1 || seq_len > cfg->max_seq_len)
        return cr_fail(err, CR_EUSAGE, "batch %d x sequence %d does not fit the model (max %d)",
                       batch, seq_len, cfg->max_seq_len);
    if (threads < 1)
        threads = 1;
    sphere_engine *e = calloc(1, sizeof *e);
    if (!e)
        return cr_fail(err, CR_EOTHER, "out of memory");
    e->cfg = *cfg;
    e->batch = batch;
    e->seq_len = seq_len;
    e->thread_count = threads;
    e->active_spheres = batch < SPHERE_COUNT ? batch : SPHERE_COUNT;
    e->sphere_workers = threads < e->active_spheres ? threads : e->active_spheres;
    /* a buffer per worker in flight, and one more so that a worker finishing a sphere ahead
     * of a slower earlier one can start the next; one worker finishes them in order */
    e->pool_count = e->sphere_workers + (e->sphere_workers > 1);
    if (e->pool_count > e->active_spheres - 1)
        e->pool_count = e->active_spheres - 1;
    size_t sizes[GPT2_NUM_TENSORS];
    e->param_count = gpt2_tensor_sizes(cfg, sizes);
    for (int t = 0; t < GPT2_NUM_TENSORS; t++)
        e->tensor_offset[t + 1] = e->tensor_offset[t] + sizes[t];
    size_t P = e->param_count;
    e->chunk_count = (int)((P + CHUNK_FLOATS - 1) / CHUNK_FLOATS);
    e->range_end = P;
    int per_sphere = (batch + SPHERE_COUNT - 1) / SPHERE_COUNT;
    e->params = aligned_alloc(64, (P * sizeof(float) + 63) / 64 * 64);
    e->adam_m = calloc(P, sizeof(float));
    e->adam_v = calloc(P, sizeof(float));
    e->grad = aligned_alloc(64, (P * sizeof(float) + 63) / 64 * 64);
    if (e->pool_count > 0)
        e->pool_block =
            aligned_alloc(64, ((size_t)e->pool_count * P * sizeof(float) + 63) / 64 * 64);
    e->chunk_sumsq = calloc((size_t)e->chunk_count, sizeof(double));
    e->sphere_tokens = calloc((size_t)SPHERE_COUNT * 2 * per_sphere * seq_len, sizeof(int));
    e->threads = calloc((size_t)threads, sizeof *e->threads);
    e->args = calloc((size_t)threads, sizeof *e->args);
    int failed = !e->params || !e->adam_m || !e->adam_v || !e->grad ||
                 (e->pool_count > 0 && !e->pool_block) || !e->chunk_sumsq || !e->sphere_tokens ||
                 !e->threads || !e->args;
    for (int w = 0; w < e->sphere_workers && !failed; w++) {
        if (gpt2_acts_new(&e->acts[w], cfg, per_sphere, seq_len) != 0)
            failed = 1;
    }
    if (failed) {
        engine_free(e);
        return cr_fail(err, CR_EOTHER, "out of memory for a %zu-parameter model, batch %d x %d", P,
                       batch, seq_len);
    }
    memset(e->params, 0, P * sizeof(float));
    /* calloc'd pages are only mapped on first write: touch them now, not during step 1 */
    memset(e->adam_m, 0, P * sizeof(float));
    memset(e->adam_v, 0, P * sizeof(float));
    memset(e->grad, 0, P * sizeof(float));
    if (e->pool_count > 0)
        memset(e->pool_block, 0, (size_t)e->pool_count * P * sizeof(float));
    gpt2_point_params(&e->p, cfg, e->params);
    gpt2_point_params(&e->grad_p, cfg, e->grad);
    for (int b = 0; b < e->pool_count; b++) {
        e->pool[b] = e->pool_block + (size_t)b * P;
        gpt2_point_params(&e->pool_p[b], cfg, e->pool[b]);
    }
    /* one instance of the layers for every sphere, whichever thread runs it */
    e->level = kernels_level();
    e->forward = gpt2_forward_for_level(e->level);
    e->backward = gpt2_backward_for_level(e->level);
    if (setup_packing(e) != 0) {
        engine_free(e);
        return cr_fail(err, CR_EOTHER, "out of memory for the packed weights");
    }
    pthread_mutex_init(&e->mutex, NULL);
    pthread_cond_init(&e->work_ready, NULL);
    pthread_cond_init(&e->work_done, NULL);
    pthread_mutex_init(&e->flow_mutex, NULL);
    pthread_cond_init(&e->buffer_free, NULL);
    /* signals go to Node Zero, which finishes the step; workers never see them */
    sigset_t blocked, previous;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    for (int i = 0; i < threads; i++) {
        e->args[i].engine = e;
        e->args[i].index = i;
        if (pthread_create(&e->threads[i], NULL, worker_main, &e->args[i]) != 0) {
            e->thread_count = i;
            pthread_sigmask(SIG_SETMASK, &previous, NULL);
            engine_free(e);
            return cr_fail(err, CR_EOTHER, "cannot start worker thread %d", i);
        }
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    *out = e;
    return CR_OK;
}

void engine_free(sphere_engine *e)
{
    if (!e)
        return;
    if (e->threads && e->thread_count > 0) {
        pthread_mutex_lock(&e->mutex);
        e->shutting_down = 1;
        pthread_cond_broadcast(&e->work_ready);
        pthread_mutex_unlock(&e->mutex);
        for (int i = 0; i < e->thread_count; i++)
            pthread_join(e->threads[i], NULL);
        pthread_mutex_destroy(&e->mutex);
        pthread_cond_destroy(&e->work_ready);
        pthread_cond_destroy(&e->work_done);
        pthread_mutex_destroy(&e->flow_mutex);
        pthread_cond_destroy(&e->buffer_free);
    }
    for (int s = 0; s < SPHERE_COUNT; s++)
        if (e->acts[s].block)
            gpt2_acts_free(&e->acts[s]);
    free(e->packed_block);
    free(e->muon_work);
    free(e->pack_items);
    free(e->params);
    free(e->adam_m);
    free(e->adam_v);
    free(e->grad);
    free(e->pool_block);
    free(e->chunk_sumsq);
    free(e->sphere_tokens);
    free(e->threads);
    free(e->args);
    free(e);
}

const gpt2_config *engine_config(const sphere_engine *e)
{
    return &e->cfg;
}
float *engine_params(sphere_engine *e)
{
    e->packed_stale = 1; /* the caller may write them */
    return e->params;
}
float *engine_adam_m(sphere_engine *e)
{
    return e->adam_m;
}
float *engine_adam_v(sphere_engine *e)
{
    return e->adam_v;
}
size_t engine_param_count(const sphere_engine *e)
{
    return e->param_count;
}
int engine_threads(const sphere_engine *e)
{
    return e->thread_count;
}
int engine_active_spheres(const sphere_engine *e)
{
    return e->active_spheres;
}
float *engine_grads(sphere_engine *e)
{
    return e->grad;
}
const sphere_stats *engine_sphere_stats(const sphere_engine *e)
{
    return e->stats;
}

int engine_sphere_workers(const sphere_engine *e)
{
    return e->sphere_workers;
}
int engine_gradient_buffers(const sphere_engine *e)
{
    return 1 + e->pool_count;
}
size_t engine_bytes_activations(const sphere_engine *e)
{
    return e->acts[0].bytes;
}

size_t engine_bytes_total(const sphere_engine *e)
{
    size_t packed = 0;
    if (e->packed_block) {
        int C = e->cfg.channels, L = e->cfg.num_layers;
        packed = matmul_packed_floats(e->level, C, e->cfg.vocab_size) +
                 (size_t)L * (matmul_packed_floats(e->level, C, 3 * C) +
                              matmul_packed_floats(e->level, C, C) +
                              matmul_packed_floats(e->level, C, 4 * C) +
                              matmul_packed_floats(e->level, 4 * C, C));
    }
    return (3 * e->param_count + packed) * sizeof(float) +
           (size_t)engine_gradient_buffers(e) * e->param_count * sizeof(float) +
           (size_t)e->sphere_workers * engine_bytes_activations(e) +
           (e->muon_work ? (size_t)e->thread_count * e->muon_floats * sizeof(float) : 0);
}

static double sphere_loss_sum(const sphere_engine *e)
{
    double total = 0;
    for (int s = 0; s < SPHERE_COUNT; s++)
        if (sphere_sequence_count(e->batch_now, s) > 0)
            total += e->stats[s].loss_sum;
    return total;
}

void engine_forward_backward(sphere_engine *e, const int *inputs, const int *targets, int batch_now,
                             double *loss, double *grad_norm)
{
    e->inputs = inputs;
    e->targets = targets;
    e->batch_now = batch_now;
    e->dloss = 1.0f / (float)((double)batch_now * e->seq_len);
    int busy = batch_now < SPHERE_COUNT ? batch_now : SPHERE_COUNT;
    refresh_packed(e);
    pthread_mutex_lock(&e->flow_mutex);
    e->flow_generation = e->generation + 1; /* the phase run_phase publishes next */
    e->busy = busy;
    e->next_sphere = e->next_to_add = e->adding = 0;
    e->free_count = e->pool_count;
    for (int b = 0; b < e->pool_count; b++)
        e->free_buffers[b] = e->pool_count - 1 - b;
    memset(e->finished, 0, sizeof e->finished);
    memset(e->counted, 0, sizeof e->counted);
    pthread_mutex_unlock(&e->flow_mutex);
    run_phase(e, PHASE_FORWARD_BACKWARD, busy);
    e->want_norm = grad_norm != NULL;
    int left = (e->next_to_add > 1 ? e->next_to_add : 1) < busy; /* spheres not yet in the sum */
    if (e->want_norm || left || busy < e->active_spheres)
        run_phase(e, PHASE_NORM, e->chunk_count);
    e->next_to_add = busy; /* the left spheres are in the sum now */
    if (grad_norm) {
        double sumsq = 0;
        for (int c = 0; c < e->chunk_count; c++)
            sumsq += e->chunk_sumsq[c];
        *grad_norm = sqrt(sumsq);
    }
    *loss = sphere_loss_sum(e) / ((double)batch_now * e->seq_len);
}

void engine_adamw(sphere_engine *e, const engine_hparams *hp, float lr, long t)
{
    double sumsq = 0;
    for (int c = 0; c < e->chunk_count; c++)
        sumsq += e->chunk_sumsq[c];
    engine_adamw_segment(e, hp, lr, t, sqrt(sumsq), e->grad, 0, e->param_count);
}

void engine_adamw_segment(sphere_engine *e, const engine_hparams *hp, float lr, long t, double norm,
                          const float *grad, size_t begin, size_t end)
{
    if (end <= begin)
        return;
    /* the segment's gradient where AdamW reads it: the engine's own sum is no longer needed */
    if (grad != e->grad + begin)
        memcpy(e->grad + begin, grad, (end - begin) * sizeof(float));
    e->range_begin = begin;
    e->range_end = end;
    e->first_chunk = (int)(begin / CHUNK_FLOATS);
    e->hp = *hp;
    e->lr = lr;
    e->clip_scale =
        hp->grad_clip > 0 && norm > hp->grad_clip ? (float)(hp->grad_clip / (norm + 1e-6)) : 1.0f;
    e->bias1 = (float)(1.0 - pow(hp->beta1, (double)t));
    e->bias2 = (float)(1.0 - pow(hp->beta2, (double)t));
    run_phase(e, PHASE_ADAMW, (int)((end - 1) / CHUNK_FLOATS) - e->first_chunk + 1);
    if (e->muon_work) /* whole matrices: engine_use_muon refuses a segment (one rank only) */
        run_phase(e, PHASE_MUON, 4 * e->cfg.num_layers);
    e->range_begin = 0;
    e->range_end = e->param_count;
    e->packed_stale = 1;
}

int engine_use_muon(sphere_engine *e, cr_err *err)
{
    size_t most = 0;
    for (int i = 0; i < 4; i++) {
        int rows, cols;
        muon_shape(&e->cfg, muon_tensors[i], &rows, &cols);
        size_t n = muon_work_floats(rows, cols);
        most = n > most ? n : most;
    }
    e->muon_floats = (most + 15) / 16 * 16;
    e->muon_work = aligned_alloc(64, (size_t)e->thread_count * e->muon_floats * sizeof(float));
    if (!e->muon_work)
        return cr_fail(err, CR_EOTHER, "out of memory for Muon's workspace");
    memset(e->muon_work, 0, (size_t)e->thread_count * e->muon_floats * sizeof(float));
    return 0;
}

double engine_loss(sphere_engine *e, const int *inputs, const int *targets, int batch_now)
{
    e->inputs = inputs;
    e->targets = targets;
    e->batch_now = batch_now;
    refresh_packed(e);
    run_phase(e, PHASE_FORWARD, batch_now < SPHERE_COUNT ? batch_now : SPHERE_COUNT);
    return sphere_loss_sum(e) / ((double)batch_now * e->seq_len);
}
