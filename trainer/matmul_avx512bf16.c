/* matmul_avx512bf16.c — the bf16 GEMM for AVX512-BF16 (vdpbf16ps: 16 lanes, each a pair of k
 * multiplied and added into fp32), an 8 x 32 register tile over operands packed in k-pairs
 * (gemm_bf16_pack.h). Built with -mavx512bf16 (build.mk) and only called after matmul_bf16.c saw
 * the CPU support it. Its scalar twin, which rounds the same way, is gemm_bf16_scalar there. */
#include <immintrin.h>

#include "matmul.h"

#define BF16_PACK_SIMD /* the packers round with vcvtneps2bf16 */
#include "gemm_bf16_pack.h"

#ifndef MR
#define MR 8
#endif
#define NR BF16_NR
#define MC 48

/* C (mr x nc; row stride ldc) += A (mr x kcp pairs; A(r, kp) = Ap[r*rs + kp*ks]) . B panel
 * (kcp pairs x NR), the sum started from zero for this K block and added once (as the fp32
 * GEMM does); accumulate 0: C = 0 + the sum, the bits of adding it into zeroed C; bias (the
 * panel's nc values, or NULL): C = bias + the sum, the bits of adding it into rows holding
 * the bias (matmul_bias_rows), without writing and reading them first. */
static inline __attribute__((always_inline)) void
micro_kernel(int mr, int nc, int kcp, const uint32_t *Ap, long rs, long ks, const uint32_t *Bp,
             float *Cm, long ldc, int accumulate, const float *bias)
{
    const uint32_t *arow[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
        arow[r] = Ap + (r < mr ? r : 0) * rs;
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        acc0[r] = _mm512_setzero_ps();
        acc1[r] = _mm512_setzero_ps();
    }
    for (int kp = 0; kp < kcp; kp++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(Bp + (long)kp * NR);
        __m512bh b1 = (__m512bh)_mm512_load_si512(Bp + (long)kp * NR + 16);
        long at = (long)kp * ks;
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            if (r < mr) {
                __m512bh av = (__m512bh)_mm512_set1_epi32((int)arow[r][at]);
                acc0[r] = _mm512_dpbf16_ps(acc0[r], av, b0);
                acc1[r] = _mm512_dpbf16_ps(acc1[r], av, b1);
            }
        }
    }
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (bias) {
        int n0 = nc < 16 ? nc : 16;
        bias0 = _mm512_maskz_loadu_ps((__mmask16)((1u << n0) - 1u), bias);
        if (nc > 16)
            bias1 = _mm512_maskz_loadu_ps((__mmask16)((1u << (nc - 16)) - 1u), bias + 16);
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        if (r < mr) {
            float *c = Cm + r * ldc;
            if (bias) {
                int n0 = nc < 16 ? nc : 16;
                _mm512_mask_storeu_ps(c, (__mmask16)((1u << n0) - 1u),
                                      _mm512_add_ps(bias0, acc0[r]));
                if (nc > 16)
                    _mm512_mask_storeu_ps(c + 16, (__mmask16)((1u << (nc - 16)) - 1u),
                                          _mm512_add_ps(bias1, acc1[r]));
                continue;
            }
            __m512 zero = _mm512_setzero_ps();
            if (nc == NR) {
                _mm512_storeu_ps(c, _mm512_add_ps(accumulate ? _mm512_loadu_ps(c) : zero, acc0[r]));
                _mm512_storeu_ps(
                    c + 16, _mm512_add_ps(accumulate ? _mm512_loadu_ps(c + 16) : zero, acc1[r]));
            } else {
                int n0 = nc < 16 ? nc : 16;
                __mmask16 m0 = (__mmask16)((1u << n0) - 1u);
                _mm512_mask_storeu_ps(
                    c, m0,
                    _mm512_add_ps(accumulate ? _mm512_maskz_loadu_ps(m0, c) : zero, acc0[r]));
                if (nc > 16) {
                    __mmask16 m1 = (__mmask16)((1u << (nc - 16)) - 1u);
                    _mm512_mask_storeu_ps(
                        c + 16, m1,
                        _mm512_add_ps(accumulate ? _mm512_maskz_loadu_ps(m1, c + 16) : zero,
                                      acc1[r]));
                }
            }
        }
    }
}

static void micro_dispatch(int mr, int nc, int kcp, const uint32_t *Ap, long rs, long ks,
                           const uint32_t *Bp, float *Cm, long ldc, int accumulate,
                           const float *bias)
{
#define MICRO_CASE(n)                                                                              \
    case n:                                                                                        \
        micro_kernel(n < MR ? n : MR, nc, kcp, Ap, rs, ks, Bp, Cm, ldc, accumulate, bias);         \
        break;
    switch (mr) {
        MICRO_CASE(12)
        MICRO_CASE(11)
        MICRO_CASE(10)
        MICRO_CASE(9)
        MICRO_CASE(8)
        MICRO_CASE(7)
        MICRO_CASE(6)
        MICRO_CASE(5)
        MICRO_CASE(4)
        MICRO_CASE(3)
        MICRO_CASE(2)
    default:
        micro_kernel(1, nc, kcp, Ap, rs, ks, Bp, Cm, ldc, accumulate, bias);
    }
#undef MICRO_CASE
}

/* The M loop for one K block and one run of B panels (packed, pair rows of stride kstride):
 * A packed MC rows at a time, reused across the panels; or (A == NULL) apack already holds
 * all M rows of the K block as bf16 rows. bias: the block's first column's, or NULL. */
static void block_rows(int M, int ncb, int kc, const float *A, long a_rs, long a_ks,
                       const uint32_t *panels, long panel_stride, float *Cm, long ldc,
                       uint32_t *apack, int accumulate, const float *bias)
{
    int kcp = bf16_kpairs(kc), count = (ncb + NR - 1) / NR;
    for (int i0 = 0; i0 < M; i0 += MC) {
        int mcb = M - i0 < MC ? M - i0 : MC;
        long rs = kcp, ks = 1;
        const uint32_t *arows = apack + (long)i0 * kcp;
        if (A) {
            bf16_pack_a(apack, A + (long)i0 * a_rs, a_rs, a_ks, mcb, kc, &rs, &ks);
            arows = apack;
        }
        for (int p = 0; p < count; p++) {
            int nc = ncb - p * NR < NR ? ncb - p * NR : NR;
            const uint32_t *Bp = panels + (long)p * panel_stride;
            for (int ir = 0; ir < mcb; ir += MR) {
                int mr = mcb - ir < MR ? mcb - ir : MR;
                micro_dispatch(mr, nc, kcp, arows + ir * rs, rs, ks, Bp,
                               Cm + (long)(i0 + ir) * ldc + p * NR, ldc, accumulate,
                               bias ? bias + p * NR : NULL);
            }
        }
    }
}

void gemm_bf16_avx512(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                      long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate)
{
    uint32_t *bpack = (uint32_t *)pack;
    uint32_t *apack = bpack + (long)(BF16_KC / 2) * BF16_NC;
    for (int k0 = 0; k0 < K; k0 += BF16_KC) {
        int kc = K - k0 < BF16_KC ? K - k0 : BF16_KC, kcp = bf16_kpairs(kc);
        for (int j0 = 0; j0 < N; j0 += BF16_NC) {
            int ncb = N - j0 < BF16_NC ? N - j0 : BF16_NC;
            bf16_pack_b_block(bpack, B + (long)k0 * b_ks + (long)j0 * b_ns, b_ks, b_ns, kc, ncb,
                              kcp);
            block_rows(M, ncb, kc, A + (long)k0 * a_ks, a_rs, a_ks, bpack, (long)kcp * NR, Cm + j0,
                       ldc, apack, accumulate || k0 > 0, NULL);
        }
    }
}

/* C (M, N) += A (M, K; row stride lda) . B, with B pre-packed by bf16_pack_weight (K = C,
 * N = OC): the same blocks and the same sums as gemm_bf16_avx512. The whole workspace is free
 * for A here, so when its M rows of a K block fit they are rounded once, not once per N block
 * (the classifier has up to a hundred). bias (N values, or NULL): every row of C starts from
 * it, as if matmul_bias_rows had written it and accumulate were 1. */
void gemm_bf16_packed_bias_avx512(int M, int N, int K, const float *A, long lda,
                                  const uint32_t *packed, const float *bias, float *Cm, long ldc,
                                  float *pack, int accumulate)
{
    uint32_t *apack = (uint32_t *)pack + (long)(BF16_KC / 2) * BF16_NC;
    long kpp = bf16_kpairs_padded(K);
    int all_rows = (long)M * (BF16_KC / 2) <= MATMUL_PACK_FLOATS;
    if (all_rows)
        apack = (uint32_t *)pack;
    for (int k0 = 0; k0 < K; k0 += BF16_KC) {
        int kc = K - k0 < BF16_KC ? K - k0 : BF16_KC;
        if (all_rows) {
            long rs, ks;
            bf16_pack_a(apack, A + k0, lda, 1, M, kc, &rs, &ks);
        }
        for (int j0 = 0; j0 < N; j0 += BF16_NC) {
            int ncb = N - j0 < BF16_NC ? N - j0 : BF16_NC;
            const uint32_t *panels = packed + (long)(j0 / NR) * kpp * NR + (long)(k0 / 2) * NR;
            block_rows(M, ncb, kc, all_rows ? NULL : A + k0, lda, 1, panels, kpp * NR, Cm + j0, ldc,
                       apack, accumulate || k0 > 0, bias && k0 == 0 ? bias + j0 : NULL);
        }
    }
}

void gemm_bf16_packed_avx512(int M, int N, int K, const float *A, long lda, const uint32_t *packed,
                             float *Cm, long ldc, float *pack, int accumulate)
{
    gemm_bf16_packed_bias_avx512(M, N, K, A, lda, packed, NULL, Cm, ldc, pack, accumulate);
}

void pack_weight_bf16_avx512(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                             int panel_end)
{
    bf16_pack_weight(dst, weight, C, OC, panel_begin, panel_end);
}

void pack_weight_t_bf16_avx512(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                               int panel_end)
{
    bf16_pack_weight_t(dst, weight, C, OC, panel_begin, panel_end);
}

/* out (OC) = w (OC, C; bf16 rows) . x (C; bf16) + bias: generation's matrix-vector products
 * on bf16 weights (half the bytes of fp32 to stream). 16 lanes of pairs per row, the lanes then
 * added in order 0..15 (matvec_bf16_scalar does the same). */
void matvec_bf16_avx512(float *out, const uint16_t *x, const uint16_t *w, const float *bias, int C,
                        int OC)
{
    float lanes[16];
    for (int o = 0; o < OC; o++) {
        const uint16_t *row = w + (size_t)o * C;
        __m512 acc = _mm512_setzero_ps();
        int c = 0;
        for (; c + 32 <= C; c += 32)
            acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_loadu_si512(x + c),
                                   (__m512bh)_mm512_loadu_si512(row + c));
        if (c < C) {
            __mmask32 tail = (__mmask32)((1ull << (C - c)) - 1);
            acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_maskz_loadu_epi16(tail, x + c),
                                   (__m512bh)_mm512_maskz_loadu_epi16(tail, row + c));
        }
        _mm512_storeu_ps(lanes, acc);
        float sum = 0;
        for (int l = 0; l < 16; l++)
            sum += lanes[l];
        out[o] = sum + (bias ? bias[o] : 0.0f);
    }
}
