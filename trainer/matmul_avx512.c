/* matmul_avx512.c — the packed GEMM of gemm_impl.h for AVX-512F (16 floats per register; a
 * 6 x 32 tile). Built with -mavx512f -mfma (build.mk) and only called after kernels_select saw
 * the CPU support it (matmul.c). */
#include <immintrin.h>

#include "matmul.h"

#define VEC __m512
#define VLEN 16
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_load_ps(p)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_SET1(x) _mm512_set1_ps(x)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_LOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), p)
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1u), v)
#define GEMM_NAME gemm_acc_avx512
#define PACKED_GEMM_NAME gemm_packed_avx512
#define PACK_NAME pack_weight_avx512

#include "gemm_impl.h"
