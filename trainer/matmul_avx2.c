/* matmul_avx2.c — the packed GEMM of gemm_impl.h for AVX2 + FMA (8 floats per register; a 6 x 16
 * tile in 12 of the 16 ymm registers). Built with -mavx2 -mfma (build.mk) and only ever called
 * after kernels_select saw the CPU support it (matmul.c). */
#include <immintrin.h>

#include "matmul.h"

#define VEC __m256
#define VLEN 8
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_load_ps(p)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_SET1(x) _mm256_set1_ps(x)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_LOADN(p, n) _mm256_maskload_ps(p, avx2_mask(n))
#define V_STOREN(p, v, n) _mm256_maskstore_ps(p, avx2_mask(n), v)
#define GEMM_NAME gemm_acc_avx2
#define PACKED_GEMM_NAME gemm_packed_avx2
#define PACK_NAME pack_weight_avx2

static inline __m256i avx2_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#include "gemm_impl.h"
