/* matmul.c — the fp32 matrix products (matmul.h): the dispatch over the level chosen at run
 * time (kernels.c) and the scalar reference. The scalar versions are plain loops in the
 * obvious order: the twin every SIMD kernel is tested against (tests/trainer/test_kernels.c) and
 * the path on CPUs without AVX2. The SIMD GEMMs themselves are in gemm_impl.h, compiled by
 * matmul_avx2.c and matmul_avx512.c. */
#include "matmul.h"

#include <string.h>

static void forward_scalar(float *out, const float *inp, const float *weight, const float *bias,
                           int N, int C, int OC)
{
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C;
        for (int o = 0; o < OC; o++) {
            const float *w = weight + (size_t)o * C;
            float sum = bias ? bias[o] : 0.0f;
            for (int c = 0; c < C; c++)
                sum += x[c] * w[c];
            out[(size_t)i * OC + o] = sum;
        }
    }
}

/* Into zeroed outputs, as the SIMD levels' stores (0 + the sum) give. */
static void backward_scalar(float *dinp, float *dweight, const float *dout, const float *inp,
                            const float *weight, int N, int C, int OC)
{
    if (dinp)
        memset(dinp, 0, (size_t)N * C * sizeof *dinp);
    memset(dweight, 0, (size_t)OC * C * sizeof *dweight);
    if (dinp)
        for (int i = 0; i < N; i++) {
            float *dx = dinp + (size_t)i * C;
            for (int o = 0; o < OC; o++) {
                float d = dout[(size_t)i * OC + o];
                const float *w = weight + (size_t)o * C;
                for (int c = 0; c < C; c++)
                    dx[c] += d * w[c];
            }
        }
    for (int o = 0; o < OC; o++) {
        float *dw = dweight + (size_t)o * C;
        for (int i = 0; i < N; i++) {
            float d = dout[(size_t)i * OC + o];
            const float *x = inp + (size_t)i * C;
            for (int c = 0; c < C; c++)
                dw[c] += d * x[c];
        }
    }
}

typedef void gemm_fn(int, int, int, const float *, long, long, const float *, long, long, float *,
                     long, float *, int);

static gemm_fn *gemm_for(int level)
{
    return level == KERNEL_AVX512 ? gemm_acc_avx512 : gemm_acc_avx2;
}

void matmul_forward_level(int level, float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC, float *pack)
{
    if (level == KERNEL_BF16) {
        matmul_forward_bf16(bf16_kernel(), out, inp, weight, bias, N, C, OC, pack);
        return;
    }
    if (level == KERNEL_SCALAR) {
        forward_scalar(out, inp, weight, bias, N, C, OC);
        return;
    }
    /* out(i, o) (+)= sum_c inp(i, c) * weight(o, c): B(k=c, n=o) = weight[o*C + c] */
    gemm_for(level)(N, OC, C, inp, C, 1, weight, 1, C, out, OC, pack,
                    matmul_bias_rows(out, bias, N, OC));
}

void matmul_backward_level(int level, float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int N, int C, int OC, float *pack)
{
    if (level == KERNEL_BF16) {
        matmul_backward_bf16(bf16_kernel(), dinp, dweight, dbias, dout, inp, weight, N, C, OC,
                             pack);
        return;
    }
    if (dbias)
        matmul_bias_backward(dbias, dout, N, OC);
    if (level == KERNEL_SCALAR) {
        backward_scalar(dinp, dweight, dout, inp, weight, N, C, OC);
        return;
    }
    gemm_fn *gemm = gemm_for(level);
    /* dinp(i, c) = sum_o dout(i, o) * weight(o, c) */
    if (dinp)
        gemm(N, C, OC, dout, OC, 1, weight, C, 1, dinp, C, pack, 0);
    /* dweight(o, c) = sum_i dout(i, o) * inp(i, c) */
    gemm(OC, C, N, dout, 1, OC, inp, C, 1, dweight, C, pack, 0);
}

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                    int C, int OC, float *pack)
{
    matmul_forward_level(kernels_level(), out, inp, weight, bias, N, C, OC, pack);
}

void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, float *pack)
{
    matmul_backward_level(kernels_level(), dinp, dweight, dbias, dout, inp, weight, N, C, OC, pack);
}

int matmul_panel_width(int level)
{
    return level == KERNEL_AVX512 || level == KERNEL_BF16 ? 32 : level == KERNEL_AVX2 ? 16 : 0;
}

size_t matmul_packed_floats(int level, int C, int OC)
{
    int width = matmul_panel_width(level);
    if (!width)
        return 0;
    if (level == KERNEL_BF16) /* 32-bit words of k-pairs, the size of a float each */
        return matmul_packed_words_bf16(C, OC);
    return (size_t)((OC + width - 1) / width) * (size_t)width * (size_t)C;
}

void matmul_pack_weight(int level, float *dst, const float *weight, int C, int OC, int panel_begin,
                        int panel_end)
{
    if (level == KERNEL_BF16)
        matmul_pack_weight_bf16(bf16_kernel(), (uint32_t *)dst, weight, C, OC, panel_begin,
                                panel_end);
    else if (level == KERNEL_AVX512)
        pack_weight_avx512(dst, weight, C, OC, panel_begin, panel_end);
    else if (level == KERNEL_AVX2)
        pack_weight_avx2(dst, weight, C, OC, panel_begin, panel_end);
}

void matmul_forward_packed(int level, float *out, const float *inp, const float *packed,
                           const float *bias, int N, int C, int OC)
{
    int accumulate = matmul_bias_rows(out, bias, N, OC);
    if (level == KERNEL_AVX512)
        gemm_packed_avx512(N, OC, C, inp, C, packed, out, OC, accumulate);
    else
        gemm_packed_avx2(N, OC, C, inp, C, packed, out, OC, accumulate);
}
