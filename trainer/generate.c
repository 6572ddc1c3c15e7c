/* generate.c — `trainer generate`: sampling from a checkpoint one token at a time with a KV
 * cache (each layer's keys and values of the positions so far), so a new token costs one row of
 * every matrix product instead of the whole sequence. The tokenizer file is read with lib's one
 * reader (vocab.h); a text prompt is encoded exactly as `tokenizer encode` does (bpe.h: the
 * pattern's pre-tokenisation, then the merges), and ids come out as their bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "commands.h"
#include "json.h"
#include "layers.h"
#include "log.h"
#include "matmul.h"
#include "progress.h"
#include "rng.h"
#include "bpe.h"
#include "vocab.h"

typedef struct kv_model {
    gpt2_config cfg;
    float *weights;
    gpt2_params p;
    float *k_cache, *v_cache; /* (L, maxT, C) each */
    float *x, *ln, *qkv, *atty, *proj, *fch, *fch_gelu, *logits, *scores, *mean_rstd;
    uint16_t *weights_bf16, *x_bf16; /* --precision bf16: the weights rounded once; else NULL */
} kv_model;

static void kv_free(kv_model *m)
{
    free(m->weights);
    free(m->k_cache);
    free(m->v_cache);
    free(m->x);
    free(m->weights_bf16);
    free(m->x_bf16);
    memset(m, 0, sizeof *m);
}

static int kv_new(kv_model *m, const char *path, cr_err *err)
{
    memset(m, 0, sizeof *m);
    int code = gpt2_checkpoint_read(path, &m->cfg, &m->weights, err);
    if (code)
        return code;
    gpt2_point_params(&m->p, &m->cfg, m->weights);
    size_t C = (size_t)m->cfg.channels, L = (size_t)m->cfg.num_layers;
    size_t T = (size_t)m->cfg.max_seq_len, V = (size_t)m->cfg.vocab_size;
    m->k_cache = calloc(L * T * C, sizeof(float));
    m->v_cache = calloc(L * T * C, sizeof(float));
    size_t scratch = C + C + 3 * C + C + C + 4 * C + 4 * C + V + T + 2;
    m->x = calloc(scratch, sizeof(float));
    if (!m->k_cache || !m->v_cache || !m->x) {
        kv_free(m);
        return cr_fail(err, CR_EOTHER, "out of memory for the KV cache");
    }
    m->ln = m->x + C;
    m->qkv = m->ln + C;
    m->atty = m->qkv + 3 * C;
    m->proj = m->atty + C;
    m->fch = m->proj + C;
    m->fch_gelu = m->fch + 4 * C;
    m->logits = m->fch_gelu + 4 * C;
    m->scores = m->logits + V;
    m->mean_rstd = m->scores + T;
    if (kernels_level() == KERNEL_BF16) {
        size_t sizes[GPT2_NUM_TENSORS], count = gpt2_tensor_sizes(&m->cfg, sizes);
        m->weights_bf16 = malloc(count * sizeof(uint16_t));
        m->x_bf16 = malloc(4 * C * sizeof(uint16_t));
        if (!m->weights_bf16 || !m->x_bf16) {
            kv_free(m);
            return cr_fail(err, CR_EOTHER, "out of memory for the bf16 weights");
        }
        bf16_round_array(m->weights_bf16, m->weights, count);
    }
    return CR_OK;
}

/* out (OC) = weight (OC, C) . x (C) + bias: one row at a time, summed in 8 lanes (the compiler
 * vectorises them). A token's products are matrix-vector: memory-bound, no packing. */
static void matvec(const kv_model *m, float *out, const float *x, const float *weight,
                   const float *bias, int C, int OC)
{
    if (m->weights_bf16) { /* the same matrix in the bf16 copy, at the same offset */
        matvec_bf16(bf16_kernel(), out, x, m->x_bf16, m->weights_bf16 + (weight - m->weights), bias,
                    C, OC);
        return;
    }
    for (int o = 0; o < OC; o++) {
        const float *w = weight + (size_t)o * C;
        float acc[8] = {0};
        int c = 0;
        for (; c + 8 <= C; c += 8)
            for (int j = 0; j < 8; j++)
                acc[j] += w[c + j] * x[c + j];
        float sum = 0;
        for (int j = 0; j < 8; j++)
            sum += acc[j];
        for (; c < C; c++)
            sum += w[c] * x[c];
        out[o] = sum + (bias ? bias[o] : 0.0f);
    }
}

/* Feeds token at position pos (< max_seq_len); leaves the next token's logits in m->logits. */
static void kv_step(kv_model *m, int token, int pos)
{
    int C = m->cfg.channels, NH = m->cfg.num_heads, hs = C / NH, T = m->cfg.max_seq_len;
    const gpt2_params *p = &m->p;
    encoder_forward(m->x, &token, p->wte, p->wpe + (size_t)pos * C, 1, 1, C);
    for (int l = 0; l < m->cfg.num_layers; l++) {
        size_t lc = (size_t)l * C;
        layernorm_forward(m->ln, m->mean_rstd, m->mean_rstd + 1, m->x, p->ln1w + lc, p->ln1b + lc,
                          1, C);
        matvec(m, m->qkv, m->ln, p->qkvw + lc * 3 * C, p->qkvb + lc * 3, C, 3 * C);
        float *keys = m->k_cache + (size_t)l * T * C, *values = m->v_cache + (size_t)l * T * C;
        memcpy(keys + (size_t)pos * C, m->qkv + C, (size_t)C * sizeof(float));
        memcpy(values + (size_t)pos * C, m->qkv + 2 * C, (size_t)C * sizeof(float));
        float scale = 1.0f / sqrtf((float)hs);
        for (int h = 0; h < NH; h++) {
            const float *q = m->qkv + h * hs;
            float maxv = -1e30f, sum = 0;
            for (int t = 0; t <= pos; t++) {
                const float *k = keys + (size_t)t * C + h * hs;
                float dot = 0;
                for (int i = 0; i < hs; i++)
                    dot += q[i] * k[i];
                m->scores[t] = dot * scale;
                if (m->scores[t] > maxv)
                    maxv = m->scores[t];
            }
            for (int t = 0; t <= pos; t++) {
                m->scores[t] = expf(m->scores[t] - maxv);
                sum += m->scores[t];
            }
            float *out = m->atty + h * hs;
            for (int i = 0; i < hs; i++)
                out[i] = 0;
            for (int t = 0; t <= pos; t++) {
                const float *v = values + (size_t)t * C + h * hs;
                float w = m->scores[t] / sum;
                for (int i = 0; i < hs; i++)
                    out[i] += w * v[i];
            }
        }
        matvec(m, m->proj, m->atty, p->attprojw + lc * C, p->attprojb + lc, C, C);
        residual_forward(m->x, m->x, m->proj, (size_t)C);
        layernorm_forward(m->ln, m->mean_rstd, m->mean_rstd + 1, m->x, p->ln2w + lc, p->ln2b + lc,
                          1, C);
        matvec(m, m->fch, m->ln, p->fcw + lc * 4 * C, p->fcb + lc * 4, C, 4 * C);
        gelu_forward(m->fch_gelu, m->fch, (size_t)4 * C);
        matvec(m, m->proj, m->fch_gelu, p->fcprojw + lc * 4 * C, p->fcprojb + lc, 4 * C, C);
        residual_forward(m->x, m->x, m->proj, (size_t)C);
    }
    layernorm_forward(m->ln, m->mean_rstd, m->mean_rstd + 1, m->x, p->lnfw, p->lnfb, 1, C);
    matvec(m, m->logits, m->ln, p->wte, NULL, C, m->cfg.vocab_size);
}

static int compare_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Temperature, top-k and top-p (nucleus) sampling; temperature 0 is greedy. */
static int sample(float *logits, int V, const generate_options *o, rng_state *rng, float *sorted)
{
    int best = 0;
    for (int v = 1; v < V; v++)
        if (logits[v] > logits[best])
            best = v;
    if (o->temperature <= 0)
        return best;
    float maxv = logits[best];
    for (int v = 0; v < V; v++)
        logits[v] = expf((logits[v] - maxv) / (float)o->temperature);
    float threshold = 0;
    if (o->top_k > 0 && o->top_k < V) {
        memcpy(sorted, logits, (size_t)V * sizeof(float));
        qsort(sorted, (size_t)V, sizeof(float), compare_desc);
        threshold = sorted[o->top_k - 1];
    }
    double total = 0;
    for (int v = 0; v < V; v++) {
        if (logits[v] < threshold)
            logits[v] = 0;
        total += logits[v];
    }
    if (o->top_p > 0 && o->top_p < 1) {
        memcpy(sorted, logits, (size_t)V * sizeof(float));
        qsort(sorted, (size_t)V, sizeof(float), compare_desc);
        double mass = 0;
        float cut = 0;
        for (int v = 0; v < V; v++) {
            mass += sorted[v] / total;
            cut = sorted[v];
            if (mass >= o->top_p)
                break;
        }
        total = 0;
        for (int v = 0; v < V; v++) {
            if (logits[v] < cut)
                logits[v] = 0;
            total += logits[v];
        }
    }
    double r = rng_uniform(rng) * total, acc = 0;
    for (int v = 0; v < V; v++) {
        acc += logits[v];
        if (logits[v] > 0 && acc >= r)
            return v;
    }
    return best;
}

/* A text prompt as ids, exactly as the tokenizer program encodes it. Returns the count, or -1
 * with err set. */
static int encode_prompt(const tok_vocab *v, const char *text, int *ids, int max_ids, cr_err *err)
{
    tok_pretok pretok;
    if (tok_pretok_compile(&pretok, v->pattern, err))
        return -1;
    tok_encoder encoder;
    if (tok_encoder_init(&encoder, v, &pretok, err)) {
        tok_pretok_free(&pretok);
        return -1;
    }
    tok_ids out = {0};
    int n = -1;
    if (tok_encode(&encoder, (const uint8_t *)text, strlen(text), &out, err) == CR_OK) {
        if (out.count > (size_t)max_ids)
            cr_fail(err, CR_EUSAGE, "the prompt is %zu tokens, more than the model's %d positions",
                    out.count, max_ids);
        else
            for (n = 0; n < (int)out.count; n++)
                ids[n] = (int)out.ids[n];
    }
    tok_ids_free(&out);
    tok_encoder_free(&encoder);
    tok_pretok_free(&pretok);
    return n;
}

static void emit(const tok_vocab *v, int id, int first)
{
    size_t len;
    const uint8_t *bytes = v ? tok_vocab_bytes(v, (uint32_t)id, &len) : NULL;
    if (bytes)
        fwrite(bytes, 1, len, stdout);
    else
        printf("%s%d", first ? "" : " ", id);
    fflush(stdout);
}

int generate_run(const generate_options *o, cr_err *err)
{
    char model_path[4096];
    int code = checkpoint_resolve(o->model, model_path, sizeof model_path, err);
    if (code)
        return code;
    kv_model m;
    code = kv_new(&m, model_path, err);
    if (code)
        return code;
    tok_vocab vocab;
    tok_vocab_init(&vocab);
    int have_vocab = 0;
    if (o->tokenizer) {
        code = tok_vocab_load(&vocab, o->tokenizer, err);
        if (code) {
            tok_vocab_free(&vocab);
            kv_free(&m);
            return code;
        }
        have_vocab = 1;
    }
    int T = m.cfg.max_seq_len, V = m.cfg.vocab_size;
    /* the prompt (at most T ids), then every generated id: the window a --slide refills from */
    int *ids = calloc((size_t)T + (size_t)o->max_tokens, sizeof(int));
    float *sorted = malloc((size_t)V * sizeof(float));
    int n = 0;
    if (!ids || !sorted)
        code = cr_fail(err, CR_EOTHER, "out of memory");
    if (!code && o->prompt_ids) {
        const char *at = o->prompt_ids;
        while (*at && !code) {
            char *end;
            long id = strtol(at, &end, 10);
            if (end == at || id < 0 || id >= V || (*end && *end != ','))
                code = cr_fail(err, CR_EUSAGE, "--prompt-ids: bad id list \"%s\"", o->prompt_ids);
            else if (n == T)
                code = cr_fail(err, CR_EUSAGE, "--prompt-ids: more than %d ids", T);
            else
                ids[n++] = (int)id;
            at = *end ? end + 1 : end;
        }
    } else if (!code && o->prompt) {
        if (!have_vocab)
            code = cr_fail(err, CR_EUSAGE,
                           "--prompt TEXT needs --tokenizer PATH (or use --prompt-ids)");
        else {
            n = encode_prompt(&vocab, o->prompt, ids, T, err);
            if (n < 0)
                code = err->code;
        }
    }
    if (!code && n == 0)
        ids[n++] = have_vocab && vocab.eot_id < (uint32_t)V ? (int)vocab.eot_id : 0;
    for (int i = 0; i < n && !code; i++)
        if (ids[i] >= V)
            code = cr_fail(err, CR_EDATA, "prompt token %d is outside the model's vocabulary %d",
                           ids[i], V);
    if (code) {
        free(ids);
        free(sorted);
        tok_vocab_free(&vocab);
        kv_free(&m);
        return code;
    }
    if (!have_vocab)
        cr_info("no --tokenizer: printing token ids");
    rng_state rng;
    rng_seed(&rng, o->seed);
    for (int i = 0; i < n; i++)
        emit(have_vocab ? &vocab : NULL, ids[i], i == 0);
    double start = cr_now_s();
    int generated = 0, pos = 0, count = n, slides = 0;
    for (; pos < n - 1; pos++)
        kv_step(&m, ids[pos], pos);
    int token = ids[n - 1];
    while (generated < o->max_tokens && (pos < T || o->slide)) {
        if (pos >= T) { /* --slide: the last T/2 ids before `token` become positions 0.. */
            int keep = T / 2;
            for (int i = 0; i < keep; i++)
                kv_step(&m, ids[count - 1 - keep + i], i);
            pos = keep;
            slides++;
        }
        kv_step(&m, token, pos++);
        token = sample(m.logits, V, o, &rng, sorted);
        ids[count++] = token;
        emit(have_vocab ? &vocab : NULL, token, 0);
        generated++;
    }
    if (slides)
        cr_info("slid the window %d times (the last %d tokens each time)", slides, T / 2);
    printf("\n");
    double seconds = cr_now_s() - start;
    if (pos >= T && generated < o->max_tokens)
        cr_info("stopped at the model's %d positions", T);
    fprintf(stderr, "trainer: generated %d tokens in %.2f s (%.1f tokens/s, prompt %d tokens)\n",
            generated, seconds, seconds > 0 ? (n - 1 + generated) / seconds : 0.0, n);
    free(ids);
    free(sorted);
    tok_vocab_free(&vocab);
    kv_free(&m);
    return CR_OK;
}
