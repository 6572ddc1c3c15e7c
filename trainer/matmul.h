/* matmul.h — the trainer's hot spot: the matrix products of a linear layer, forward and
 * backward, with a scalar reference and packed, cache-blocked, register-tiled AVX2+FMA and
 * AVX-512 versions chosen once at run time (kernels_select). Single-threaded by design: the
 * 12-sphere core (spheres.c) runs one per worker, so results never depend on thread count.
 * The other layers (LayerNorm, attention, ...) live in layers_impl.h. */
#ifndef TRAINER_MATMUL_H
#define TRAINER_MATMUL_H

#include <stddef.h>
#include <stdint.h>

/* KERNEL_BF16: the AVX-512 layers with every matrix product in bf16 (mixed precision, see
 * matmul_bf16.c); chosen by precision_level, never by kernels_cpu_level. */
enum kernel_level { KERNEL_SCALAR = 0, KERNEL_AVX2 = 1, KERNEL_AVX512 = 2, KERNEL_BF16 = 3 };

/* Floats of workspace a caller passes to the packed kernels (one per thread). */
#define MATMUL_PACK_FLOATS (256 * 512)

/* Picks the best level this CPU supports, capped at max_level; returns the level chosen. */
int kernels_select(int max_level);
int kernels_level(void);
const char *kernels_level_name(int level);
/* The best level the CPU supports. */
int kernels_cpu_level(void);

/* out (N, OC) = inp (N, C) . weight (OC, C)^T + bias (OC; NULL: none). */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                    int C, int OC, float *pack);
/* dinp (N, C) = dout (N, OC) . weight (OC, C); dweight (OC, C) = dout^T . inp (N, C);
 * dbias (OC) = column sums of dout. Every output is overwritten (each weight has one linear
 * layer, so its gradient is written once a pass: nothing to zero beforehand); the bits are
 * those of zeroing it and adding the sums in. dinp or dbias may be NULL. */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, float *pack);
/* The forward's start: out's N rows = bias when there is one; returns the GEMM's accumulate
 * flag (1 with a bias, else 0: the product is stored, no zeroing pass). */
int matmul_bias_rows(float *out, const float *bias, int N, int OC);
/* dbias (OC) = column sums of dout (N, OC), from zero, row by row (every level's order). */
void matmul_bias_backward(float *dbias, const float *dout, int N, int OC);

/* Weights packed once for many forward products (the sphere engine packs them once per step,
 * all twelve spheres read them): panels of NR output columns. Only for the SIMD levels. */
int matmul_panel_width(int level); /* NR: 16 (AVX2) or 32 (AVX-512); 0 for scalar */
size_t matmul_packed_floats(int level, int C, int OC);
void matmul_pack_weight(int level, float *dst, const float *weight, int C, int OC, int panel_begin,
                        int panel_end);
/* Same result bits as matmul_forward_level at that level. */
void matmul_forward_packed(int level, float *out, const float *inp, const float *packed,
                           const float *bias, int N, int C, int OC);

/* The individual levels, for the twin tests and the bench. */
void matmul_forward_level(int level, float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC, float *pack);
void matmul_backward_level(int level, float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int N, int C, int OC,
                           float *pack);

/* C (M, N; row stride ldc) += A (M, K) . B (K, N), where A(i, k) = A[i*a_rs + k*a_ks] and
 * B(k, n) = B[k*b_ks + n*b_ns]: the one packed GEMM every product above is phrased as. With
 * accumulate 0, C = A . B without reading C: each element is stored as 0 + its first K block's
 * sum, exactly what zeroing C and adding would give (a -0 sum becomes +0). The same flag ends
 * every GEMM below. */
void gemm_acc_avx2(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);
void gemm_packed_avx2(int M, int N, int K, const float *A, long lda, const float *packed, float *Cm,
                      long ldc, int accumulate);
void gemm_packed_avx512(int M, int N, int K, const float *A, long lda, const float *packed,
                        float *Cm, long ldc, int accumulate);
void pack_weight_avx2(float *dst, const float *weight, int C, int OC, int panel_begin,
                      int panel_end);
void pack_weight_avx512(float *dst, const float *weight, int C, int OC, int panel_begin,
                        int panel_end);
void gemm_acc_avx512(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                     long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);

/* ---- bf16 (kernels.c: which kernel; matmul_bf16.c, matmul_avx512bf16.c, matmul_amx.c) ----
 * C += A . B with both operands rounded to bf16 (round to nearest even) and fp32 sums, in K
 * blocks of 256 whose sums start from zero. B is packed into panels of 32 columns in k-pairs;
 * a packed weight (bf16_pack_weight layout) takes matmul_packed_words_bf16 32-bit words. */
enum bf16_kernel { BF16_SCALAR = 0, BF16_AMX_EMULATED = 1, BF16_AVX512 = 2, BF16_AMX = 3 };
enum precision { PRECISION_AUTO = 0, PRECISION_FP32 = 1, PRECISION_BF16 = 2 };

/* The best bf16 kernel this CPU runs (AMX only once Linux granted the tile state), or
 * BF16_SCALAR when it has neither AVX512-BF16 nor AMX-BF16. */
int bf16_cpu_kernel(void);
int bf16_kernel(void); /* the kernel KERNEL_BF16 runs */
void bf16_kernel_set(int kernel);
const char *bf16_kernel_name(int kernel);
/* --precision under the --simd cap: the kernel level to select (KERNEL_BF16 for bf16), or -1
 * when bf16 was asked for and cannot run; reason says which and why, in one line. */
int precision_level(int request, int kernel_max, char *reason, size_t reason_size);

void gemm_bf16(int kernel, int M, int N, int K, const float *A, long a_rs, long a_ks,
               const float *B, long b_ks, long b_ns, float *Cm, long ldc, float *pack,
               int accumulate);
void gemm_acc_bf16(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);
size_t matmul_packed_words_bf16(int C, int OC);
void matmul_pack_weight_bf16(int kernel, uint32_t *dst, const float *weight, int C, int OC,
                             int panel_begin, int panel_end);
void matmul_forward_bf16(int kernel, float *out, const float *inp, const float *weight,
                         const float *bias, int N, int C, int OC, float *pack);
void matmul_forward_packed_bf16(int kernel, float *out, const float *inp, const uint32_t *packed,
                                const float *bias, int N, int C, int OC, float *pack);
void matmul_backward_bf16(int kernel, float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC, float *pack);
/* matmul_backward's contract (every output overwritten) at the bf16 level. The backward with
 * dinp's operand weight^T pre-packed (packed_t, from matmul_pack_weight_t_bf16;
 * NULL: packed on the fly): bit-identical to matmul_backward_bf16. packed_t takes
 * matmul_packed_words_bf16(OC, C) words, panels over the C columns. */
void matmul_pack_weight_t_bf16(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                               int panel_end);
void matmul_backward_packed_bf16(int kernel, float *dinp, float *dweight, float *dbias,
                                 const float *dout, const float *inp, const float *weight,
                                 const uint32_t *packed_t, int N, int C, int OC, float *pack);

/* Generation's out (OC) = w (OC, C) . x (C) + bias with w already bf16 (row-major, rounded by
 * bf16_round_array) and x rounded into x_bf16 (C) here; fp32 sums. */
void matvec_bf16(int kernel, float *out, const float *x, uint16_t *x_bf16, const uint16_t *w,
                 const float *bias, int C, int OC);
void bf16_round_array(uint16_t *dst, const float *src, size_t n);
void matvec_bf16_avx512(float *out, const uint16_t *x, const uint16_t *w, const float *bias, int C,
                        int OC);
void matvec_bf16_scalar(float *out, const uint16_t *x, const uint16_t *w, const float *bias, int C,
                        int OC);

/* The kernels themselves, for the twin tests. The twins: gemm_bf16_scalar (vdpbf16ps order),
 * gemm_bf16_amx_twin (tdpbf16ps order). */
void gemm_bf16_scalar(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                      long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);
void gemm_bf16_amx_twin(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                        long b_ks, long b_ns, float *Cm, long ldc, int accumulate);
void gemm_bf16_avx512(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                      long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);
void gemm_bf16_packed_avx512(int M, int N, int K, const float *A, long lda, const uint32_t *packed,
                             float *Cm, long ldc, float *pack, int accumulate);
/* with bias (N values): every row of C starts from it (the forward's bias, stored with the sum) */
void gemm_bf16_packed_bias_avx512(int M, int N, int K, const float *A, long lda,
                                  const uint32_t *packed, const float *bias, float *Cm, long ldc,
                                  float *pack, int accumulate);
void gemm_bf16_amx(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate);
void gemm_bf16_packed_amx(int M, int N, int K, const float *A, long lda, const uint32_t *packed,
                          float *Cm, long ldc, float *pack, int accumulate);
void gemm_bf16_amx_emulated(int M, int N, int K, const float *A, long a_rs, long a_ks,
                            const float *B, long b_ks, long b_ns, float *Cm, long ldc, float *pack,
                            int accumulate);
void gemm_bf16_packed_amx_emulated(int M, int N, int K, const float *A, long lda,
                                   const uint32_t *packed, float *Cm, long ldc, float *pack,
                                   int accumulate);
void pack_weight_bf16_avx512(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                             int panel_end);
void pack_weight_t_bf16_avx512(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                               int panel_end);
void pack_weight_bf16_scalar(uint32_t *dst, const float *weight, int C, int OC, int panel_begin,
                             int panel_end);

#endif
