/* layers_avx2.c — layers_impl.h compiled for AVX2 + FMA (build.mk sets the instruction set and
 * -O3), with 8-lane sums and the AVX2 + FMA matrix kernels called directly. Chosen at run time
 * by spheres.c only when the CPU has AVX2 + FMA; tests/trainer/test_layers.c holds it equal to the
 * portable instance (layers.c) within a stated tolerance. */
#include "layers.h"

#include <math.h>

#include "fastexp.h"

#define R float
#define SFX(name) name
#define FN(name) name##_avx2
#define LAYERS_COMPUTE_ONLY
#define DOT_LANES 8
#define R_EXP fast_expf
#define R_LOG logf
#define R_SQRT sqrtf
#define MATMUL_FORWARD(out, inp, w, b, N, C, OC, pack)                                             \
    matmul_forward_level(KERNEL_AVX2, out, inp, w, b, N, C, OC, pack)
#define MATMUL_BACKWARD(dinp, dw, db, dout, inp, w, N, C, OC, pack)                                \
    matmul_backward_level(KERNEL_AVX2, dinp, dw, db, dout, inp, w, N, C, OC, pack)
#define MATMUL_FORWARD_PACKED(out, inp, packed, w, b, N, C, OC, pack)                              \
    ((packed) ? matmul_forward_packed(KERNEL_AVX2, out, inp, packed, b, N, C, OC)                  \
              : matmul_forward_level(KERNEL_AVX2, out, inp, w, b, N, C, OC, pack))
#define ATTENTION_GEMM gemm_acc_avx2
#include "layers_impl.h"
