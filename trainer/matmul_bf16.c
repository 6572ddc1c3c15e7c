/* matmul_bf16.c — the bf16 side of the matrix products (matmul.h): the scalar twins that round
 * and accumulate exactly as vdpbf16ps and tdpbf16ps are specified, an emulation of the AMX
 * tiles that runs gemm_amx_impl.h on any CPU, and the linear layer's forward and backward over
 * the chosen kernel. Which kernel runs, and the --precision decision: kernels.c. The SIMD
 * kernels: matmul_avx512bf16.c, matmul_amx.c. The fp32 products: matmul.c. */
#include <string.h>

#include "matmul.h"

#include "gemm_bf16_pack.h"

/* The scalar twins: per K block of BF16_KC a sum from zero, pair by pair in the instruction's
 * order (vdpbf16ps: the odd k first; tdpbf16ps: the even k first), each step one rounding with
 * DAZ/FTZ, then added into C (accumulate 0: the first block into zero); packed: B read from
 * bf16_pack_weight panels. */
static void gemm_bf16_twin(int odd_first, int M, int N, int K, const float *A, long a_rs, long a_ks,
                           const float *B, long b_ks, long b_ns, const uint32_t *packed, float *Cm,
                           long ldc, int accumulate)
{
    long kpp = bf16_kpairs_padded(K);
    for (int k0 = 0; k0 < K; k0 += BF16_KC) {
        int kend = K - k0 < BF16_KC ? K : k0 + BF16_KC;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float acc = 0.0f;
                for (int k = k0; k < kend; k += 2) {
                    int odd = k + 1 < kend;
                    uint32_t a = bf16_pair(A[i * a_rs + k * a_ks],
                                           odd ? A[i * a_rs + (k + 1) * a_ks] : 0.0f);
                    uint32_t b = packed ? packed[(long)(j / BF16_NR) * kpp * BF16_NR +
                                                 (long)(k / 2) * BF16_NR + j % BF16_NR]
                                        : bf16_pair(B[k * b_ks + j * b_ns],
                                                    odd ? B[(k + 1) * b_ks + j * b_ns] : 0.0f);
                    float a0 = bf16_bits_float(a << 16), a1 = bf16_bits_float(a & 0xffff0000u);
                    float b0 = bf16_bits_float(b << 16), b1 = bf16_bits_float(b & 0xffff0000u);
                    if (odd_first) {
                        acc = bf16_fma_ftz(a1, b1, acc);
                        acc = bf16_fma_ftz(a0, b0, acc);
                    } else {
                        acc = bf16_fma_ftz(a0, b0, acc);
                        acc = bf16_fma_ftz(a1, b1, acc);
                    }
                }
                Cm[i * ldc + j] = (accumulate || k0 > 0 ? Cm[i * ldc + j] : 0.0f) + acc;
            }
    }
}

void gemm_bf16_scalar(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                      long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate)
{
    (void)pack;
    gemm_bf16_twin(1, M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, NULL, Cm, ldc, accumulate);
}

void gemm_bf16_amx_twin(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                        long b_ks, long b_ns, float *Cm, long ldc, int accumulate)
{
    gemm_bf16_twin(0, M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, NULL, Cm, ldc, accumulate);
}

static void gemm_bf16_packed_scalar(int M, int N, int K, const float *A, long lda,
                                    const uint32_t *packed, float *Cm, long ldc, float *pack,
                                    int accumulate)
{
    (void)pack;
    gemm_bf16_twin(1, M, N, K, A, lda, 1, NULL, 0, 0, packed, Cm, ldc, accumulate);
}

/* The AMX tiles in plain C: eight registers of 16 rows x 64 bytes, tdpbf16ps as the SDM
 * writes it (per row m, pair k, column n: the even product, then the odd, each rounded). */
struct emulated_tile {
    unsigned char bytes[16][64];
};
static _Thread_local struct emulated_tile tiles[8];

static void tile_load(int t, const void *p, long stride)
{
    for (int r = 0; r < 16; r++)
        memcpy(tiles[t].bytes[r], (const char *)p + r * stride, 64);
}

static void tile_store(int t, void *p, long stride)
{
    for (int r = 0; r < 16; r++)
        memcpy((char *)p + r * stride, tiles[t].bytes[r], 64);
}

static void tile_dp(int c, int a, int b)
{
    for (int m = 0; m < 16; m++) {
        float acc[16], av[32];
        uint16_t ah[32];
        memcpy(acc, tiles[c].bytes[m], 64);
        memcpy(ah, tiles[a].bytes[m], 64);
        for (int k = 0; k < 32; k++)
            av[k] = bf16_to_float(ah[k]);
        for (int kp = 0; kp < 16; kp++) {
            uint16_t bh[32];
            memcpy(bh, tiles[b].bytes[kp], 64);
            for (int n = 0; n < 16; n++) {
                acc[n] = bf16_fma_ftz(av[2 * kp], bf16_to_float(bh[2 * n]), acc[n]);
                acc[n] = bf16_fma_ftz(av[2 * kp + 1], bf16_to_float(bh[2 * n + 1]), acc[n]);
            }
        }
        memcpy(tiles[c].bytes[m], acc, 64);
    }
}

#define TILE_CONFIGURE() ((void)0)
#define TILE_RELEASE() ((void)0)
#define TILE_ZERO(t) memset(tiles[t].bytes, 0, sizeof tiles[t].bytes)
#define TILE_LOAD(t, p, stride) tile_load(t, p, stride)
#define TILE_STORE(t, p, stride) tile_store(t, p, stride)
#define TILE_DP(c, a, b) tile_dp(c, a, b)
#define AMX_GEMM_NAME gemm_bf16_amx_emulated
#define AMX_PACKED_NAME gemm_bf16_packed_amx_emulated
#include "gemm_amx_impl.h"

void pack_weight_bf16_scalar(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                             int panel_end)
{
    bf16_pack_weight(dst, weight, C, OC, panel_begin, panel_end);
}

size_t matmul_packed_words_bf16(int C, int OC)
{
    return (size_t)((OC + BF16_NR - 1) / BF16_NR) * BF16_NR * (size_t)bf16_kpairs_padded(C);
}

void gemm_bf16(int kernel, int M, int N, int K, const float *A, long a_rs, long a_ks,
               const float *B, long b_ks, long b_ns, float *Cm, long ldc, float *pack,
               int accumulate)
{
    switch (kernel) {
    case BF16_AMX:
        gemm_bf16_amx(M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, ldc, pack, accumulate);
        break;
    case BF16_AVX512:
        gemm_bf16_avx512(M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, ldc, pack, accumulate);
        break;
    case BF16_AMX_EMULATED:
        gemm_bf16_amx_emulated(M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, ldc, pack, accumulate);
        break;
    default:
        gemm_bf16_scalar(M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, ldc, pack, accumulate);
    }
}

/* The attention products of the bf16 layers (ATTENTION_GEMM): the selected kernel. */
void gemm_acc_bf16(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate)
{
    gemm_bf16(bf16_kernel(), M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, ldc, pack, accumulate);
}

void matmul_pack_weight_bf16(int kernel, uint32_t *dst, const float *weight, int C, int OC,
                             int panel_begin, int panel_end)
{
    if (kernel == BF16_AVX512 || kernel == BF16_AMX)
        pack_weight_bf16_avx512(dst, weight, C, OC, panel_begin, panel_end);
    else
        pack_weight_bf16_scalar(dst, weight, C, OC, panel_begin, panel_end);
}

void matmul_pack_weight_t_bf16(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                               int panel_end)
{
    int kernel = bf16_kernel();
    if (kernel == BF16_AVX512 || kernel == BF16_AMX)
        pack_weight_t_bf16_avx512(dst, weight, C, OC, panel_begin, panel_end);
    else
        bf16_pack_weight_t(dst, weight, C, OC, panel_begin, panel_end);
}

static void gemm_bf16_packed(int kernel, int M, int N, int K, const float *A, long lda,
                             const uint32_t *packed, float *Cm, long ldc, float *pack,
                             int accumulate)
{
    switch (kernel) {
    case BF16_AMX:
        gemm_bf16_packed_amx(M, N, K, A, lda, packed, Cm, ldc, pack, accumulate);
        break;
    case BF16_AVX512:
        gemm_bf16_packed_avx512(M, N, K, A, lda, packed, Cm, ldc, pack, accumulate);
        break;
    case BF16_AMX_EMULATED:
        gemm_bf16_packed_amx_emulated(M, N, K, A, lda, packed, Cm, ldc, pack, accumulate);
        break;
    default:
        gemm_bf16_packed_scalar(M, N, K, A, lda, packed, Cm, ldc, pack, accumulate);
    }
}

void matmul_forward_bf16(int kernel, float *out, const float *inp, const float *weight,
                         const float *bias, int N, int C, int OC, float *pack)
{
    /* out(i, o) (+)= sum_c inp(i, c) * weight(o, c): B(k=c, n=o) = weight[o*C + c] */
    gemm_bf16(kernel, N, OC, C, inp, C, 1, weight, 1, C, out, OC, pack,
              matmul_bias_rows(out, bias, N, OC));
}

void matmul_forward_packed_bf16(int kernel, float *out, const float *inp, const uint32_t *packed,
                                const float *bias, int N, int C, int OC, float *pack)
{
    if (kernel == BF16_AVX512 && bias) /* the bias added in the kernel's store: no copy rows */
        gemm_bf16_packed_bias_avx512(N, OC, C, inp, C, packed, bias, out, OC, pack, 0);
    else
        gemm_bf16_packed(kernel, N, OC, C, inp, C, packed, out, OC, pack,
                         matmul_bias_rows(out, bias, N, OC));
}

void matmul_backward_bf16(int kernel, float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC, float *pack)
{
    matmul_backward_packed_bf16(kernel, dinp, dweight, dbias, dout, inp, weight, NULL, N, C, OC,
                                pack);
}

void matmul_backward_packed_bf16(int kernel, float *dinp, float *dweight, float *dbias,
                                 const float *dout, const float *inp, const float *weight,
                                 const uint32_t *packed_t, int N, int C, int OC, float *pack)
{
    /* the bias gradient is a plain fp32 sum, row by row as at every fp32 level */
    if (dbias)
        matmul_bias_backward(dbias, dout, N, OC);
    /* dinp(i, c) = sum_o dout(i, o) * weight(o, c) */
    if (dinp && packed_t) /* weight^T pre-packed once per step: the same words, the same sums */
        gemm_bf16_packed(kernel, N, C, OC, dout, OC, packed_t, dinp, C, pack, 0);
    else if (dinp)
        gemm_bf16(kernel, N, C, OC, dout, OC, 1, weight, C, 1, dinp, C, pack, 0);
    /* dweight(o, c) = sum_i dout(i, o) * inp(i, c) */
    gemm_bf16(kernel, OC, C, N, dout, 1, OC, inp, C, 1, dweight, C, pack, 0);
}

/* The twin of matvec_bf16_avx512: 16 lanes, lane l taking the pair (2l, 2l+1) of every 32
 * elements (zeros past C), the odd product first, then the lanes added in order. */
void matvec_bf16_scalar(float *out, const uint16_t *x, const uint16_t *w, const float *bias, int C,
                        int OC)
{
    for (int o = 0; o < OC; o++) {
        const uint16_t *row = w + (size_t)o * C;
        float lanes[16] = {0};
        for (int c0 = 0; c0 < C; c0 += 32)
            for (int l = 0; l < 16; l++) {
                int k = c0 + 2 * l;
                float x0 = k < C ? bf16_to_float(x[k]) : 0.0f;
                float w0 = k < C ? bf16_to_float(row[k]) : 0.0f;
                float x1 = k + 1 < C ? bf16_to_float(x[k + 1]) : 0.0f;
                float w1 = k + 1 < C ? bf16_to_float(row[k + 1]) : 0.0f;
                lanes[l] = bf16_fma_ftz(x1, w1, lanes[l]);
                lanes[l] = bf16_fma_ftz(x0, w0, lanes[l]);
            }
        float sum = 0;
        for (int l = 0; l < 16; l++)
            sum += lanes[l];
        out[o] = sum + (bias ? bias[o] : 0.0f);
    }
}

void matvec_bf16(int kernel, float *out, const float *x, uint16_t *x_bf16, const uint16_t *w,
                 const float *bias, int C, int OC)
{
    for (int c = 0; c < C; c++)
        x_bf16[c] = bf16_round(x[c]);
    if (kernel == BF16_AVX512 || kernel == BF16_AMX)
        matvec_bf16_avx512(out, x_bf16, w, bias, C, OC);
    else
        matvec_bf16_scalar(out, x_bf16, w, bias, C, OC);
}

void bf16_round_array(uint16_t *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = bf16_round(src[i]);
}
