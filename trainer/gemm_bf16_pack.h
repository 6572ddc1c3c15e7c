/* gemm_bf16_pack.h — the operand packing of the bf16 GEMMs, written once and compiled into each
 * file that needs it (matmul_bf16.c portable, matmul_avx512bf16.c and matmul_amx.c for their
 * instruction sets): fp32 operands rounded to bf16 (bf16.h) and laid out in k-pairs, the layout
 * vdpbf16ps and tdpbf16ps read. Integer arithmetic only: every copy packs the same bits.
 * The kernels that read these panels: matmul_avx512bf16.c, gemm_amx_impl.h. */
#ifndef TRAINER_GEMM_BF16_PACK_H
#define TRAINER_GEMM_BF16_PACK_H
#include <stdint.h>

#include "bf16.h"

#define BF16_NR 32 /* columns per B panel: two zmm of 16 lanes, or two AMX tiles */
#ifndef BF16_KC
#define BF16_KC 256
#endif
#ifndef BF16_NC
#define BF16_NC 512
#endif
#define BF16_KP_ALIGN 16 /* pair rows of a B panel padded to whole AMX tiles (32 k) */

/* The rows of pairs and of single values every packer below writes. The includer that defines
 * BF16_PACK_SIMD (matmul_avx512bf16.c) rounds 16 at a time with vcvtneps2bf16, which rounds as
 * bf16_round does (bf16.h: nearest even, denormals to a signed zero, NaN quiet); the integer
 * loops are its scalar twin (test_bf16 holds them to the same words). */
#ifdef BF16_PACK_SIMD
#include <immintrin.h>

static inline __m512i bf16_pairs16(__m512 even, __m512 odd)
{
    __m512i e = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(even));
    __m512i o = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(odd));
    return _mm512_or_si512(e, _mm512_slli_epi32(o, 16));
}
#endif

/* dst[j] = bf16_pair(r0[j], r1 ? r1[j] : 0), j < n */
static inline void bf16_pair_row(uint32_t *restrict dst, const float *restrict r0,
                                 const float *restrict r1, int n)
{
    int j = 0;
#ifdef BF16_PACK_SIMD
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_si512(dst + j,
                            bf16_pairs16(_mm512_loadu_ps(r0 + j),
                                         r1 ? _mm512_loadu_ps(r1 + j) : _mm512_setzero_ps()));
    if (j < n) {
        __mmask16 m = (__mmask16)((1u << (n - j)) - 1u);
        _mm512_mask_storeu_epi32(
            dst + j, m,
            bf16_pairs16(_mm512_maskz_loadu_ps(m, r0 + j),
                         r1 ? _mm512_maskz_loadu_ps(m, r1 + j) : _mm512_setzero_ps()));
        return;
    }
#endif
    if (r1)
        for (; j < n; j++)
            dst[j] = bf16_pair(r0[j], r1[j]);
    else
        for (; j < n; j++)
            dst[j] = bf16_pair(r0[j], 0.0f);
}

/* dst[k] = bf16_round(src[k]), k < n */
static inline void bf16_round_row(uint16_t *restrict dst, const float *restrict src, int n)
{
    int k = 0;
#ifdef BF16_PACK_SIMD
    for (; k + 16 <= n; k += 16)
        _mm256_storeu_si256((__m256i *)(dst + k),
                            (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + k)));
#endif
    for (; k < n; k++)
        dst[k] = bf16_round(src[k]);
}

/* dst[kp * stride] = bf16_pair(src[2kp], src[2kp + 1]), kp < pairs: a contiguous run of k
 * becoming one column of pair rows */
static inline void bf16_pair_column(uint32_t *restrict dst, long stride, const float *restrict src,
                                    int pairs)
{
    int kp = 0;
#ifdef BF16_PACK_SIMD
    for (; kp + 16 <= pairs; kp += 16) {
        uint32_t words[16];
        /* 32 values rounded in order: as 16 words, each the pair (even low, odd high) */
        _mm512_storeu_si512(words, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + 2 * kp + 16),
                                                                _mm512_loadu_ps(src + 2 * kp)));
        for (int i = 0; i < 16; i++)
            dst[(kp + i) * stride] = words[i];
    }
#endif
    for (; kp < pairs; kp++)
        dst[kp * stride] = bf16_pair(src[2 * kp], src[2 * kp + 1]);
}

static inline int bf16_kpairs(int k)
{
    return (k + 1) / 2;
}

static inline int bf16_kpairs_padded(int k)
{
    return (bf16_kpairs(k) + BF16_KP_ALIGN - 1) / BF16_KP_ALIGN * BF16_KP_ALIGN;
}

/* B panel: kc x nc of B(k, n) = B[k*b_ks + n*b_ns] as pair rows: dst[kp*NR + j] holds
 * (B(2kp, j), B(2kp+1, j)); columns past nc, a missing odd k and rows kcp..rows_padded zero. */
static __attribute__((unused)) void bf16_pack_b(uint32_t *restrict dst, const float *restrict B,
                                                long b_ks, long b_ns, int kc, int nc,
                                                int rows_padded)
{
    int kcp = bf16_kpairs(kc), full = kc / 2;
    if (b_ns == 1) {
        for (int kp = 0; kp < kcp; kp++) {
            const float *r0 = B + 2L * kp * b_ks;
            uint32_t *row = dst + (long)kp * BF16_NR;
            bf16_pair_row(row, r0, kp < full ? r0 + b_ks : NULL, nc);
            for (int j = nc; j < BF16_NR; j++)
                row[j] = 0;
        }
    } else {
        for (int j = 0; j < BF16_NR; j++) {
            if (j >= nc) {
                for (int kp = 0; kp < kcp; kp++)
                    dst[(long)kp * BF16_NR + j] = 0;
                continue;
            }
            const float *src = B + j * b_ns;
            if (b_ks == 1)
                bf16_pair_column(dst + j, BF16_NR, src, full);
            else
                for (int kp = 0; kp < full; kp++)
                    dst[(long)kp * BF16_NR + j] =
                        bf16_pair(src[2L * kp * b_ks], src[(2L * kp + 1) * b_ks]);
            if (kcp > full)
                dst[(long)full * BF16_NR + j] = bf16_pair(src[2L * full * b_ks], 0.0f);
        }
    }
    for (int kp = kcp; kp < rows_padded; kp++)
        for (int j = 0; j < BF16_NR; j++)
            dst[(long)kp * BF16_NR + j] = 0;
}

/* The panels of a whole block of ncb columns, panel p at dst + p * rows_padded * NR. A
 * row-major B is walked row pair by row pair, each row front to back once (panel by panel
 * would stride across all the rows 32 floats at a time); the same words as bf16_pack_b. */
static __attribute__((unused)) void bf16_pack_b_block(uint32_t *restrict dst,
                                                      const float *restrict B, long b_ks, long b_ns,
                                                      int kc, int ncb, int rows_padded)
{
    int count = (ncb + BF16_NR - 1) / BF16_NR;
    long stride = (long)rows_padded * BF16_NR;
    if (b_ns != 1 || ncb % BF16_NR != 0 || kc % 2 != 0) {
        for (int p = 0; p < count; p++) {
            int nc = ncb - p * BF16_NR < BF16_NR ? ncb - p * BF16_NR : BF16_NR;
            bf16_pack_b(dst + p * stride, B + (long)p * BF16_NR * b_ns, b_ks, b_ns, kc, nc,
                        rows_padded);
        }
        return;
    }
    for (int kp = 0; kp < kc / 2; kp++) {
        const float *r0 = B + 2L * kp * b_ks, *r1 = r0 + b_ks;
        for (int p = 0; p < count; p++)
            bf16_pair_row(dst + p * stride + (long)kp * BF16_NR, r0 + p * BF16_NR, r1 + p * BF16_NR,
                          BF16_NR);
    }
    for (int p = 0; p < count; p++)
        for (long w = (long)(kc / 2) * BF16_NR; w < stride; w++)
            dst[p * stride + w] = 0;
}

/* The panels [panel_begin, panel_end) of weight (OC, C) as B(k = c, n = o), each
 * bf16_kpairs_padded(C) pair rows: panel p at dst + p * kpp * NR. */
static __attribute__((unused)) void bf16_pack_weight(uint32_t *dst, const float *weight, int C,
                                                     int OC, int panel_begin, int panel_end)
{
    int kpp = bf16_kpairs_padded(C);
    for (int p = panel_begin; p < panel_end; p++) {
        int nc = OC - p * BF16_NR < BF16_NR ? OC - p * BF16_NR : BF16_NR;
        bf16_pack_b(dst + (long)p * kpp * BF16_NR, weight + (long)p * BF16_NR * C, 1, C, C, nc,
                    kpp);
    }
}

/* The panels [panel_begin, panel_end) of weight (OC, C) as B(k = o, n = c), the operand of
 * the backward's dinp = dout . weight, each bf16_kpairs_padded(OC) pair rows: panel p at
 * dst + p * kpp * NR. The same words bf16_pack_b_block builds from the rows of weight. */
static __attribute__((unused)) void bf16_pack_weight_t(uint32_t *restrict dst,
                                                       const float *restrict weight, int C, int OC,
                                                       int panel_begin, int panel_end)
{
    /* row pair by row pair, each row's stretch of the panels read front to back once (panel
     * by panel would stride across all OC rows 32 floats at a time) */
    int kpp = bf16_kpairs_padded(OC), full = OC / 2;
    long stride = (long)kpp * BF16_NR;
    for (int kp = 0; kp < bf16_kpairs(OC); kp++) {
        const float *r0 = weight + 2L * kp * C, *r1 = r0 + C;
        int odd = kp < full;
        for (int p = panel_begin; p < panel_end; p++) {
            int nc = C - p * BF16_NR < BF16_NR ? C - p * BF16_NR : BF16_NR;
            uint32_t *row = dst + p * stride + (long)kp * BF16_NR;
            const float *a = r0 + p * BF16_NR, *b = r1 + p * BF16_NR;
            bf16_pair_row(row, a, odd ? b : NULL, nc);
            for (int j = nc; j < BF16_NR; j++)
                row[j] = 0;
        }
    }
    for (int p = panel_begin; p < panel_end; p++)
        for (long w = (long)bf16_kpairs(OC) * BF16_NR; w < stride; w++)
            dst[p * stride + w] = 0;
}

/* A block: rows x kc of A(i, k) = A[i*a_rs + k*a_ks] as pair words, A(r, pair kp) at
 * dst[r * *rs + kp * *ks]. Rows of a row-major A stay rows (rs = kcp, ks = 1: a plain
 * conversion); a column-major A (dweight's dout^T) becomes pair rows of all the block's rows
 * (rs = 1, ks = rows rounded up to 16): both are contiguous loops that vectorise. */
static __attribute__((unused)) void bf16_pack_a(uint32_t *restrict dst, const float *restrict A,
                                                long a_rs, long a_ks, int rows, int kc, long *rs,
                                                long *ks)
{
    int kcp = bf16_kpairs(kc), full = kc / 2;
    if (a_ks == 1) {
        *rs = kcp;
        *ks = 1;
        for (int r = 0; r < rows; r++) {
            const float *src = A + r * a_rs;
            uint16_t *row = (uint16_t *)(dst + (long)r * kcp);
            bf16_round_row(row, src, kc);
            if (kcp > full)
                row[kc] = 0;
        }
    } else {
        long ld = (rows + 15) / 16 * 16;
        *rs = 1;
        *ks = ld;
        if (a_rs == 1)
            for (int kp = 0; kp < full; kp++) {
                const float *r0 = A + 2L * kp * a_ks;
                bf16_pair_row(dst + kp * ld, r0, r0 + a_ks, rows);
            }
        else
            for (int kp = 0; kp < full; kp++) {
                const float *r0 = A + 2L * kp * a_ks, *r1 = r0 + a_ks;
                uint32_t *out = dst + kp * ld;
                for (int r = 0; r < rows; r++)
                    out[r] = bf16_pair(r0[r * a_rs], r1[r * a_rs]);
            }
        if (kcp > full) {
            const float *r0 = A + 2L * full * a_ks;
            for (int r = 0; r < rows; r++)
                dst[full * ld + r] = bf16_pair(r0[r * a_rs], 0.0f);
        }
    }
}
#endif
