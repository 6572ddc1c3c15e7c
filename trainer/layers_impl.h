/* layers_impl.h — GPT-2's layers, written once for R = float or double (see layers_types.h).
 * Each layer is a _forward/_backward pair with the tensor shapes in the comment, as llm.c
 * writes them; backward functions add (+=) into their gradient outputs, except the linear
 * layers' and the attention's, which overwrite theirs (each is written once a pass). The
 * includer defines R, SFX, the math functions (R_EXP, R_LOG, R_SQRT, R_TANH, R_COSH) and the
 * matrix products (MATMUL_FORWARD, MATMUL_BACKWARD). The threads that run these are spheres.c's
 * business. */
#include <stdlib.h>
#include <string.h>

#include "matmul.h"

#define LN_EPS 1e-5

#ifndef LAYERS_COMPUTE_ONLY /* the allocation helpers exist once per precision */
void SFX(gpt2_point_params)(SFX(gpt2_params) * p, const gpt2_config *cfg, R *base)
{
    size_t sizes[GPT2_NUM_TENSORS];
    gpt2_tensor_sizes(cfg, sizes);
    R **slots[GPT2_NUM_TENSORS] = {&p->wte,     &p->wpe,     &p->ln1w,     &p->ln1b,
                                   &p->qkvw,    &p->qkvb,    &p->attprojw, &p->attprojb,
                                   &p->ln2w,    &p->ln2b,    &p->fcw,      &p->fcb,
                                   &p->fcprojw, &p->fcprojb, &p->lnfw,     &p->lnfb};
    for (int i = 0; i < GPT2_NUM_TENSORS; i++) {
        *slots[i] = base;
        base += sizes[i];
    }
}

/* The activation tensors in the order of the struct, with their sizes in elements. */
static size_t SFX(acts_layout)(const gpt2_config *cfg, int B, int T, size_t sizes[32])
{
    size_t C = (size_t)cfg->channels, L = (size_t)cfg->num_layers, NH = (size_t)cfg->num_heads;
    size_t V = (size_t)cfg->vocab_size, BT = (size_t)B * (size_t)T;
    size_t i = 0;
    sizes[i++] = BT * C;                        /* encoded */
    sizes[i++] = L * BT * C;                    /* ln1 */
    sizes[i++] = L * BT;                        /* ln1_mean */
    sizes[i++] = L * BT;                        /* ln1_rstd */
    sizes[i++] = L * BT * 3 * C;                /* qkv */
    sizes[i++] = L * BT * C;                    /* atty */
    sizes[i++] = L * (size_t)B * NH * T * T;    /* att */
    sizes[i++] = L * BT * C;                    /* attproj */
    sizes[i++] = L * BT * C;                    /* residual2 */
    sizes[i++] = L * BT * C;                    /* ln2 */
    sizes[i++] = L * BT;                        /* ln2_mean */
    sizes[i++] = L * BT;                        /* ln2_rstd */
    sizes[i++] = L * BT * 4 * C;                /* fch */
    sizes[i++] = L * BT * 4 * C;                /* fch_gelu */
    sizes[i++] = L * BT * C;                    /* fcproj */
    sizes[i++] = L * BT * C;                    /* residual3 */
    sizes[i++] = BT * C;                        /* lnf */
    sizes[i++] = BT;                            /* lnf_mean */
    sizes[i++] = BT;                            /* lnf_rstd */
    sizes[i++] = BT * V;                        /* logits */
    sizes[i++] = BT;                            /* losses */
    sizes[i++] = BT * C;                        /* dres */
    sizes[i++] = BT * C;                        /* dln */
    sizes[i++] = BT * C;                        /* datty */
    sizes[i++] = BT * 3 * C;                    /* dqkv */
    sizes[i++] = BT * 4 * C;                    /* dfch */
    sizes[i++] = BT * 4 * C;                    /* dfch_gelu */
    sizes[i++] = (size_t)T * T + 2 * (size_t)T; /* drow */
    return i;
}

size_t SFX(gpt2_acts_bytes)(const gpt2_config *cfg, int B, int T)
{
    size_t sizes[32];
    size_t count = SFX(acts_layout)(cfg, B, T, sizes), bytes = 0;
    for (size_t i = 0; i < count; i++)
        bytes += (sizes[i] * sizeof(R) + 63) / 64 * 64;
    return bytes + MATMUL_PACK_FLOATS * sizeof(float);
}

int SFX(gpt2_acts_new)(SFX(gpt2_acts) * a, const gpt2_config *cfg, int B, int T)
{
    memset(a, 0, sizeof *a);
    size_t sizes[32];
    size_t count = SFX(acts_layout)(cfg, B, T, sizes);
    size_t bytes = SFX(gpt2_acts_bytes)(cfg, B, T);
    char *block = aligned_alloc(64, bytes);
    if (!block)
        return -1;
    memset(block, 0, bytes); /* touch every page now: memory does not grow during training */
    R **slots[] = {&a->encoded,   &a->ln1,       &a->ln1_mean, &a->ln1_rstd,  &a->qkv,
                   &a->atty,      &a->att,       &a->attproj,  &a->residual2, &a->ln2,
                   &a->ln2_mean,  &a->ln2_rstd,  &a->fch,      &a->fch_gelu,  &a->fcproj,
                   &a->residual3, &a->lnf,       &a->lnf_mean, &a->lnf_rstd,  &a->logits,
                   &a->losses,    &a->dres,      &a->dln,      &a->datty,     &a->dqkv,
                   &a->dfch,      &a->dfch_gelu, &a->drow};
    char *p = block;
    for (size_t i = 0; i < count; i++) {
        *slots[i] = (R *)p;
        p += (sizes[i] * sizeof(R) + 63) / 64 * 64;
    }
    a->pack = (float *)p;
    a->B = B;
    a->T = T;
    a->block = block;
    a->bytes = bytes;
    return 0;
}

void SFX(gpt2_acts_free)(SFX(gpt2_acts) * a)
{
    free(a->block);
    memset(a, 0, sizeof *a);
}
#endif

/* Sums in DOT_LANES independent lanes, then across the lanes in order: the compiler turns
 * the lanes into one vector register, and the order of every addition is still fixed. */
#ifndef DOT_LANES
#define DOT_LANES 8
#endif
static inline R FN(lanes_dot)(const R *a, const R *b, int n)
{
    R acc[DOT_LANES] = {0};
    int i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int j = 0; j < DOT_LANES; j++)
            acc[j] += a[i + j] * b[i + j];
    R sum = 0;
    for (int j = 0; j < DOT_LANES; j++)
        sum += acc[j];
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

static inline R FN(lanes_sum)(const R *a, int n)
{
    R acc[DOT_LANES] = {0};
    int i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int j = 0; j < DOT_LANES; j++)
            acc[j] += a[i + j];
    R sum = 0;
    for (int j = 0; j < DOT_LANES; j++)
        sum += acc[j];
    for (; i < n; i++)
        sum += a[i];
    return sum;
}

/* The largest of a[0..n), in DOT_LANES lanes so that it vectorises; a maximum does not depend on
 * the order it is taken in, so this is the plain loop's value. */
static inline R FN(lanes_max)(const R *a, int n)
{
    R acc[DOT_LANES];
    for (int j = 0; j < DOT_LANES; j++)
        acc[j] = a[0];
    int i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int j = 0; j < DOT_LANES; j++)
            acc[j] = a[i + j] > acc[j] ? a[i + j] : acc[j];
    R best = acc[0];
    for (int j = 1; j < DOT_LANES; j++)
        best = acc[j] > best ? acc[j] : best;
    for (; i < n; i++)
        best = a[i] > best ? a[i] : best;
    return best;
}

/* y += alpha * x */
static inline void FN(lanes_axpy)(R *y, R alpha, const R *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

/* out (B, T, C) = wte[inp] + wpe[t]; inp (B, T) token ids. */
void FN(encoder_forward)(R *out, const int *inp, const R *wte, const R *wpe, int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            R *o = out + ((size_t)b * T + t) * C;
            const R *we = wte + (size_t)inp[b * T + t] * C, *pe = wpe + (size_t)t * C;
            for (int c = 0; c < C; c++)
                o[c] = we[c] + pe[c];
        }
}

/* dwte (Vp, C), dwpe (maxT, C) += dout (B, T, C) scattered by token and position. */
void FN(encoder_backward)(R *dwte, R *dwpe, const R *dout, const int *inp, int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const R *d = dout + ((size_t)b * T + t) * C;
            R *we = dwte + (size_t)inp[b * T + t] * C, *pe = dwpe + (size_t)t * C;
            for (int c = 0; c < C; c++) {
                we[c] += d[c];
                pe[c] += d[c];
            }
        }
}

/* out (N, C) = (inp - mean) * rstd * weight + bias; mean, rstd (N) kept for the backward. */
void FN(layernorm_forward)(R *out, R *mean, R *rstd, const R *inp, const R *weight, const R *bias,
                           int N, int C)
{
    for (int i = 0; i < N; i++) {
        const R *x = inp + (size_t)i * C;
        R m = FN(lanes_sum)(x, C) / C;
        R acc[DOT_LANES] = {0};
        int c0 = 0;
        for (; c0 + DOT_LANES <= C; c0 += DOT_LANES)
            for (int j = 0; j < DOT_LANES; j++)
                acc[j] += (x[c0 + j] - m) * (x[c0 + j] - m);
        R v = 0;
        for (int j = 0; j < DOT_LANES; j++)
            v += acc[j];
        for (; c0 < C; c0++)
            v += (x[c0] - m) * (x[c0] - m);
        v /= C;
        R s = 1 / R_SQRT(v + (R)LN_EPS);
        R *o = out + (size_t)i * C;
        for (int c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[i] = m;
        rstd[i] = s;
    }
}

/* dinp (N, C), dweight (C), dbias (C) += from dout (N, C). */
void FN(layernorm_backward)(R *dinp, R *dweight, R *dbias, const R *dout, const R *inp,
                            const R *weight, const R *mean, const R *rstd, int N, int C)
{
    for (int i = 0; i < N; i++) {
        const R *d = dout + (size_t)i * C, *x = inp + (size_t)i * C;
        R *dx = dinp + (size_t)i * C;
        R m = mean[i], s = rstd[i];
        R dnorm_mean = 0, dnorm_norm_mean = 0;
        int c0 = 0;
#ifdef LAYERNORM_BACKWARD_LANES
        /* the two row sums in DOT_LANES lanes, then across the lanes in order (vectorised; a
         * fixed order all the same, so the bits depend on nothing but the inputs) */
        R lane_mean[DOT_LANES] = {0}, lane_norm[DOT_LANES] = {0};
        for (; c0 + DOT_LANES <= C; c0 += DOT_LANES)
            for (int j = 0; j < DOT_LANES; j++) {
                R norm = (x[c0 + j] - m) * s;
                R dnorm = weight[c0 + j] * d[c0 + j];
                lane_mean[j] += dnorm;
                lane_norm[j] += dnorm * norm;
            }
        for (int j = 0; j < DOT_LANES; j++) {
            dnorm_mean += lane_mean[j];
            dnorm_norm_mean += lane_norm[j];
        }
#endif
        for (int c = c0; c < C; c++) {
            R norm = (x[c] - m) * s;
            R dnorm = weight[c] * d[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
#pragma GCC ivdep /* dx, dweight, dbias never overlap: vectorised without run-time checks */
        for (int c = 0; c < C; c++) {
            R norm = (x[c] - m) * s;
            R dnorm = weight[c] * d[c];
            dbias[c] += d[c];
            dweight[c] += norm * d[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}

#ifndef ATTENTION_GEMM
/* qkv (B, T, 3C) holds query, key, value; att (B, NH, T, T) gets the causal softmax weights
 * (zero above the diagonal); out (B, T, C) the heads' weighted values side by side. */
void FN(attention_forward)(R *out, R *att, const R *qkv, int B, int T, int C, int NH, float *pack)
{
    (void)pack;
    int hs = C / NH;
    R scale = 1 / R_SQRT((R)hs);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++) {
                const R *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                R *w = att + (((size_t)b * NH + h) * T + t) * T;
                R maxv = -1e30;
                for (int t2 = 0; t2 <= t; t2++) {
                    const R *k = qkv + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    R dot = FN(lanes_dot)(q, k, hs) * scale;
                    w[t2] = dot;
                    if (dot > maxv)
                        maxv = dot;
                }
                R sum = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    R e = R_EXP(w[t2] - maxv);
                    w[t2] = e;
                    sum += e;
                }
                R inv = 1 / sum;
                for (int t2 = 0; t2 < T; t2++)
                    w[t2] = t2 <= t ? w[t2] * inv : 0;
                R *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++)
                    o[i] = 0;
                for (int t2 = 0; t2 <= t; t2++)
                    FN(lanes_axpy)
                (o, w[t2], qkv + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs, hs);
            }
}

/* dqkv (B, T, 3C) = from dout (B, T, C); drow: 2T floats of scratch. The softmax backward
 * uses dpre = att * (datt - sum(att * datt)), O(T) per row. */
void FN(attention_backward)(R *dqkv, R *drow, const R *dout, const R *qkv, const R *att, int B,
                            int T, int C, int NH, float *pack)
{
    (void)pack;
    memset(dqkv, 0, (size_t)B * T * 3 * C * sizeof(R));
    int hs = C / NH;
    R scale = 1 / R_SQRT((R)hs);
    R *datt = drow, *dpre = drow + T;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++) {
                const R *w = att + (((size_t)b * NH + h) * T + t) * T;
                const R *d = dout + ((size_t)b * T + t) * C + h * hs;
                const R *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                R *dq = dqkv + ((size_t)b * T + t) * 3 * C + h * hs;
                R weighted = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    const R *v = qkv + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    R *dv = dqkv + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    R dot = FN(lanes_dot)(v, d, hs);
                    FN(lanes_axpy)(dv, w[t2], d, hs);
                    datt[t2] = dot;
                    weighted += w[t2] * dot;
                }
                for (int t2 = 0; t2 <= t; t2++)
                    dpre[t2] = w[t2] * (datt[t2] - weighted) * scale;
                for (int t2 = 0; t2 <= t; t2++) {
                    const R *k = qkv + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    R *dk = dqkv + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    FN(lanes_axpy)(dq, dpre[t2], k, hs);
                    FN(lanes_axpy)(dk, dpre[t2], q, hs);
                }
            }
}

#else
/* The same attention as matrix products per (sequence, head), on the packed GEMM of the SIMD
 * instances (ATTENTION_GEMM): scores = Q K^T over the full T x T (the masked half is computed
 * and discarded: twice the flops at GEMM speed beats the row loops), out = att V. */
void FN(attention_forward)(R *out, R *att, const R *qkv, int B, int T, int C, int NH, float *pack)
{
    int hs = C / NH;
    R scale = 1 / R_SQRT((R)hs);
    long ld = 3L * C;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const R *q = qkv + (size_t)b * T * ld + h * hs;
            const R *k = q + C, *v = q + 2 * C;
            R *w = att + ((size_t)b * NH + h) * T * T;
            /* w (T, T) = q (T, hs) . k (T, hs)^T (accumulate 0: stored, see matmul.h) */
            ATTENTION_GEMM(T, T, hs, q, ld, 1, k, 1, ld, w, T, pack, 0);
            /* each pass a plain loop over the row, so that the exponentials vectorise; the
             * sum in DOT_LANES lanes */
            for (int t = 0; t < T; t++) {
                R *row = w + (size_t)t * T;
                for (int t2 = 0; t2 <= t; t2++)
                    row[t2] *= scale;
                R maxv = FN(lanes_max)(row, t + 1);
                for (int t2 = 0; t2 <= t; t2++)
                    row[t2] = R_EXP(row[t2] - maxv);
                R inv = 1 / FN(lanes_sum)(row, t + 1);
                for (int t2 = 0; t2 < T; t2++)
                    row[t2] = t2 <= t ? row[t2] * inv : 0;
            }
            R *o = out + (size_t)b * T * C + h * hs;
            /* o (T, hs; stride C) = w (T, T) . v (T, hs) */
            ATTENTION_GEMM(T, hs, T, w, T, 1, v, ld, 1, o, C, pack, 0);
        }
}

/* dqkv (B, T, 3C) = from dout (B, T, C), each element stored by one product; drow: T*T + 2T
 * floats of scratch. */
void FN(attention_backward)(R *dqkv, R *drow, const R *dout, const R *qkv, const R *att, int B,
                            int T, int C, int NH, float *pack)
{
    int hs = C / NH;
    R scale = 1 / R_SQRT((R)hs);
    long ld = 3L * C;
    R *datt = drow;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const R *w = att + ((size_t)b * NH + h) * T * T;
            const R *d = dout + (size_t)b * T * C + h * hs;
            const R *q = qkv + (size_t)b * T * ld + h * hs;
            const R *k = q + C, *v = q + 2 * C;
            R *dq = dqkv + (size_t)b * T * ld + h * hs;
            R *dk = dq + C, *dv = dq + 2 * C;
            /* datt (T, T) = d (T, hs; stride C) . v^T */
            ATTENTION_GEMM(T, T, hs, d, C, 1, v, 1, ld, datt, T, pack, 0);
            /* dv (T, hs) = w^T (T, T) . d */
            ATTENTION_GEMM(T, hs, T, w, 1, T, d, C, 1, dv, ld, pack, 0);
            /* softmax backward in place: dpre = w * (datt - sum(w * datt)) * scale */
            for (int t = 0; t < T; t++) {
                const R *wr = w + (size_t)t * T;
                R *dr = datt + (size_t)t * T;
                R weighted = FN(lanes_dot)(wr, dr, t + 1);
                for (int t2 = 0; t2 < T; t2++)
                    dr[t2] = t2 <= t ? wr[t2] * (dr[t2] - weighted) * scale : 0;
            }
            /* dq (T, hs) = dpre (T, T) . k;  dk = dpre^T . q */
            ATTENTION_GEMM(T, hs, T, datt, T, 1, k, ld, 1, dq, ld, pack, 0);
            ATTENTION_GEMM(T, hs, T, datt, 1, T, q, ld, 1, dk, ld, pack, 0);
        }
}
#endif

#define GELU_SCALE 0.7978845608028654 /* sqrt(2 / pi) */

/* tanh(u) = 1 - 2 / (exp(2u) + 1): one exponential, saturating cleanly at +-1. */
static inline R FN(tanh_exp)(R u)
{
    return 1 - 2 / (R_EXP(2 * u) + 1);
}

/* out (N) = GELU(inp), tanh approximation (GPT-2's). */
void FN(gelu_forward)(R *out, const R *inp, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        R x = inp[i];
        R cube = (R)0.044715 * x * x * x;
        out[i] = (R)0.5 * x * (1 + FN(tanh_exp)((R)GELU_SCALE * (x + cube)));
    }
}

/* dinp (N) += GELU'(inp) * dout, with sech^2 = 1 - tanh^2. */
void FN(gelu_backward)(R *dinp, const R *inp, const R *dout, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        R x = inp[i];
        R u = (R)GELU_SCALE * (x + (R)0.044715 * x * x * x);
        R th = FN(tanh_exp)(u);
        R sech2 = 1 - th * th;
        R grad = (R)0.5 * (1 + th) +
                 x * (R)0.5 * sech2 * (R)GELU_SCALE * (1 + (R)3 * (R)0.044715 * x * x);
        dinp[i] += grad * dout[i];
    }
}

/* out (N) = a + b. Its backward is the identity, folded into gpt2_backward. */
void FN(residual_forward)(R *out, const R *a, const R *b, size_t N)
{
    for (size_t i = 0; i < N; i++)
        out[i] = a[i] + b[i];
}

/* logits (N, V) -> losses (N); the fused classifier: one pass for the maximum, one writing
 * the exponentials in place and summing them, one scaling them into the gradient
 * (softmax - onehot) * dloss. Each exponential is computed once. */
double FN(crossentropy_fused)(R *logits, R *losses, const int *targets, int N, int V, R dloss)
{
    double total = 0;
    for (int i = 0; i < N; i++) {
        R *row = logits + (size_t)i * V;
        int target = targets[i];
        R maxv = FN(lanes_max)(row, V);
        R target_logit = row[target];
        if (dloss != 0) {
            for (int v = 0; v < V; v++)
                row[v] = R_EXP(row[v] - maxv);
            R sum = FN(lanes_sum)(row, V);
            R scale = dloss / sum;
            for (int v = 0; v < V; v++)
                row[v] *= scale;
            row[target] -= dloss;
            losses[i] = R_LOG(sum) + maxv - target_logit;
        } else {
            R acc[DOT_LANES] = {0};
            int v = 0;
            for (; v + DOT_LANES <= V; v += DOT_LANES)
                for (int j = 0; j < DOT_LANES; j++)
                    acc[j] += R_EXP(row[v + j] - maxv);
            R sum = 0;
            for (int j = 0; j < DOT_LANES; j++)
                sum += acc[j];
            for (; v < V; v++)
                sum += R_EXP(row[v] - maxv);
            losses[i] = R_LOG(sum) + maxv - target_logit;
        }
        total += (double)losses[i];
    }
    return total;
}

#define LAYER_PTRS(P, l)                                                                           \
    const R *ln1w = (P)->ln1w + (size_t)(l)*C, *ln1b = (P)->ln1b + (size_t)(l)*C;                  \
    const R *qkvw = (P)->qkvw + (size_t)(l)*3 * C * C, *qkvb = (P)->qkvb + (size_t)(l)*3 * C;      \
    const R *attprojw = (P)->attprojw + (size_t)(l)*C * C;                                         \
    const R *attprojb = (P)->attprojb + (size_t)(l)*C;                                             \
    const R *ln2w = (P)->ln2w + (size_t)(l)*C, *ln2b = (P)->ln2b + (size_t)(l)*C;                  \
    const R *fcw = (P)->fcw + (size_t)(l)*4 * C * C, *fcb = (P)->fcb + (size_t)(l)*4 * C;          \
    const R *fcprojw = (P)->fcprojw + (size_t)(l)*4 * C * C;                                       \
    const R *fcprojb = (P)->fcprojb + (size_t)(l)*C

#define ACT_PTRS(A, l)                                                                             \
    R *ln1 = (A)->ln1 + (size_t)(l)*BT * C, *ln1_mean = (A)->ln1_mean + (size_t)(l)*BT;            \
    R *ln1_rstd = (A)->ln1_rstd + (size_t)(l)*BT;                                                  \
    R *qkv = (A)->qkv + (size_t)(l)*BT * 3 * C, *atty = (A)->atty + (size_t)(l)*BT * C;            \
    R *att = (A)->att + (size_t)(l)*B * NH * T * T;                                                \
    R *attproj = (A)->attproj + (size_t)(l)*BT * C;                                                \
    R *residual2 = (A)->residual2 + (size_t)(l)*BT * C;                                            \
    R *ln2 = (A)->ln2 + (size_t)(l)*BT * C, *ln2_mean = (A)->ln2_mean + (size_t)(l)*BT;            \
    R *ln2_rstd = (A)->ln2_rstd + (size_t)(l)*BT;                                                  \
    R *fch = (A)->fch + (size_t)(l)*BT * 4 * C;                                                    \
    R *fch_gelu = (A)->fch_gelu + (size_t)(l)*BT * 4 * C;                                          \
    R *fcproj = (A)->fcproj + (size_t)(l)*BT * C;                                                  \
    R *residual3 = (A)->residual3 + (size_t)(l)*BT * C

#ifndef MATMUL_FORWARD_PACKED
#define MATMUL_FORWARD_PACKED(out, inp, packed, w, b, N, C, OC, pack)                              \
    MATMUL_FORWARD(out, inp, w, b, N, C, OC, pack)
#endif
#ifndef MATMUL_BACKWARD_PACKED
#define MATMUL_BACKWARD_PACKED(dinp, dw, db, dout, inp, w, packed_t, N, C, OC, pack)               \
    MATMUL_BACKWARD(dinp, dw, db, dout, inp, w, N, C, OC, pack)
#endif
#define PACKED(field, l)                                                                           \
    (packed && packed->field ? packed->field + (size_t)(l)*packed->field##_stride : NULL)

double FN(gpt2_forward)(const SFX(gpt2_params) * p, const gpt2_packed *packed,
                        const gpt2_config *cfg, SFX(gpt2_acts) * a, const int *inputs,
                        const int *targets, int B, int T, R dloss)
{
    size_t C = (size_t)cfg->channels, NH = (size_t)cfg->num_heads;
    size_t BT = (size_t)B * (size_t)T;
    int L = cfg->num_layers, V = cfg->vocab_size;
    FN(encoder_forward)(a->encoded, inputs, p->wte, p->wpe, B, T, (int)C);
    const R *residual = a->encoded;
    for (int l = 0; l < L; l++) {
        LAYER_PTRS(p, l);
        ACT_PTRS(a, l);
        FN(layernorm_forward)(ln1, ln1_mean, ln1_rstd, residual, ln1w, ln1b, (int)BT, (int)C);
        MATMUL_FORWARD_PACKED(qkv, ln1, PACKED(qkvw, l), qkvw, qkvb, (int)BT, (int)C, 3 * (int)C,
                              a->pack);
        FN(attention_forward)(atty, att, qkv, B, T, (int)C, (int)NH, a->pack);
        MATMUL_FORWARD_PACKED(attproj, atty, PACKED(attprojw, l), attprojw, attprojb, (int)BT,
                              (int)C, (int)C, a->pack);
        FN(residual_forward)(residual2, residual, attproj, BT * C);
        FN(layernorm_forward)(ln2, ln2_mean, ln2_rstd, residual2, ln2w, ln2b, (int)BT, (int)C);
        MATMUL_FORWARD_PACKED(fch, ln2, PACKED(fcw, l), fcw, fcb, (int)BT, (int)C, 4 * (int)C,
                              a->pack);
        FN(gelu_forward)(fch_gelu, fch, BT * 4 * C);
        MATMUL_FORWARD_PACKED(fcproj, fch_gelu, PACKED(fcprojw, l), fcprojw, fcprojb, (int)BT,
                              4 * (int)C, (int)C, a->pack);
        FN(residual_forward)(residual3, residual2, fcproj, BT * C);
        residual = residual3;
    }
    FN(layernorm_forward)
    (a->lnf, a->lnf_mean, a->lnf_rstd, residual, p->lnfw, p->lnfb, (int)BT, (int)C);
    MATMUL_FORWARD_PACKED(a->logits, a->lnf, packed ? packed->wte : NULL, p->wte, (const R *)NULL,
                          (int)BT, (int)C, V, a->pack);
    if (!targets)
        return 0;
    return FN(crossentropy_fused)(a->logits, a->losses, targets, (int)BT, V, dloss);
}

void FN(gpt2_backward)(const SFX(gpt2_params) * p, const gpt2_packed *packed,
                       const SFX(gpt2_params) * g, const gpt2_config *cfg, SFX(gpt2_acts) * a,
                       const int *inputs, int B, int T)
{
    size_t C = (size_t)cfg->channels, NH = (size_t)cfg->num_heads;
    size_t BT = (size_t)B * (size_t)T;
    int L = cfg->num_layers, V = cfg->vocab_size;
    const R *top = L > 0 ? a->residual3 + (size_t)(L - 1) * BT * C : a->encoded;
    /* Every gradient is overwritten, so the caller zeroes nothing: the linear layers store theirs
     * (wte's first V rows by the classifier, the encoder then adds into them); what is only
     * added into is zeroed here: wte's padding rows V..Vp, wpe (rows past T are never written)
     * and the LayerNorms' weights and biases (L x C each, small). */
    memset(g->wte + (size_t)V * C, 0, (size_t)(cfg->padded_vocab_size - V) * C * sizeof(R));
    memset(g->wpe, 0, (size_t)cfg->max_seq_len * C * sizeof(R));
    R *ln_grads[] = {g->ln1w, g->ln1b, g->ln2w, g->ln2b};
    for (int i = 0; i < 4; i++)
        memset(ln_grads[i], 0, (size_t)L * C * sizeof(R));
    memset(g->lnfw, 0, C * sizeof(R));
    memset(g->lnfb, 0, C * sizeof(R));
    /* classifier: the logits buffer already holds dlogits (crossentropy_fused) */
    MATMUL_BACKWARD_PACKED(a->dln, g->wte, (R *)NULL, a->logits, a->lnf, p->wte,
                           packed ? packed->wte_t : NULL, (int)BT, (int)C, V, a->pack);
    memset(a->dres, 0, BT * C * sizeof(R));
    FN(layernorm_backward)
    (a->dres, g->lnfw, g->lnfb, a->dln, top, p->lnfw, a->lnf_mean, a->lnf_rstd, (int)BT, (int)C);
    /* dres carries the residual stream's gradient down: the residual additions pass it through
     * unchanged to both branches, so each branch reads it and the LayerNorms add into it. */
    for (int l = L - 1; l >= 0; l--) {
        LAYER_PTRS(p, l);
        ACT_PTRS(a, l);
        (void)attproj;
        (void)fcproj;
        (void)residual3;
        (void)ln1b;
        (void)ln2b;
        (void)qkvb;
        (void)fcb;
        (void)attprojb;
        (void)fcprojb;
        const R *residual = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * BT * C;
        size_t lc = (size_t)l * C;
        MATMUL_BACKWARD_PACKED(a->dfch_gelu, g->fcprojw + lc * 4 * C, g->fcprojb + lc, a->dres,
                               fch_gelu, fcprojw, PACKED(fcprojw_t, l), (int)BT, 4 * (int)C, (int)C,
                               a->pack);
        memset(a->dfch, 0, BT * 4 * C * sizeof(R));
        FN(gelu_backward)(a->dfch, fch, a->dfch_gelu, BT * 4 * C);
        MATMUL_BACKWARD_PACKED(a->dln, g->fcw + lc * 4 * C, g->fcb + lc * 4, a->dfch, ln2, fcw,
                               PACKED(fcw_t, l), (int)BT, (int)C, 4 * (int)C, a->pack);
        FN(layernorm_backward)
        (a->dres, g->ln2w + lc, g->ln2b + lc, a->dln, residual2, ln2w, ln2_mean, ln2_rstd, (int)BT,
         (int)C);
        MATMUL_BACKWARD_PACKED(a->datty, g->attprojw + lc * C, g->attprojb + lc, a->dres, atty,
                               attprojw, PACKED(attprojw_t, l), (int)BT, (int)C, (int)C, a->pack);
        FN(attention_backward)
        (a->dqkv, a->drow, a->datty, qkv, att, B, T, (int)C, (int)NH, a->pack);
        MATMUL_BACKWARD_PACKED(a->dln, g->qkvw + lc * 3 * C, g->qkvb + lc * 3, a->dqkv, ln1, qkvw,
                               PACKED(qkvw_t, l), (int)BT, (int)C, 3 * (int)C, a->pack);
        FN(layernorm_backward)
        (a->dres, g->ln1w + lc, g->ln1b + lc, a->dln, residual, ln1w, ln1_mean, ln1_rstd, (int)BT,
         (int)C);
    }
    FN(encoder_backward)(g->wte, g->wpe, a->dres, inputs, B, T, (int)C);
}
