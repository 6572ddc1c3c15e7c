/* matmul.h — the trainer's hot spot: the matrix products of a linear layer, forward and
 * backward, with a scalar reference and packed, cache-blocked, register-tiled AVX2+FMA and
 * AVX-512 versions chosen once at run time (kernels_select). Single-threaded by design: the
 * 12-sphere core (spheres.c) runs one per worker, so results never depend on thread count.
 * The other layers (LayerNorm, attention, ...) live in layers_impl.h. */
#ifndef TRAINER_MATMUL_H
#define TRAINER_MATMUL_H

#include <stddef.h>

enum kernel_level { KERNEL_SCALAR = 0, KERNEL_AVX2 = 1, KERNEL_AVX512 = 2 };

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
/* dinp (N, C) += dout (N, OC) . weight (OC, C); dweight (OC, C) += dout^T . inp (N, C);
 * dbias (OC) += column sums of dout. dinp or dbias may be NULL. */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, float *pack);

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
 * B(k, n) = B[k*b_ks + n*b_ns]: the one packed GEMM every product above is phrased as. */
void gemm_acc_avx2(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack);
void gemm_packed_avx2(int M, int N, int K, const float *A, long lda, const float *packed, float *Cm,
                      long ldc);
void gemm_packed_avx512(int M, int N, int K, const float *A, long lda, const float *packed,
                        float *Cm, long ldc);
void pack_weight_avx2(float *dst, const float *weight, int C, int OC, int panel_begin,
                      int panel_end);
void pack_weight_avx512(float *dst, const float *weight, int C, int OC, int panel_begin,
                        int panel_end);
void gemm_acc_avx512(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                     long b_ks, long b_ns, float *Cm, long ldc, float *pack);

#endif
