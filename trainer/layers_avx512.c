/* layers_avx512.c — layers_impl.h compiled for AVX-512 (build.mk sets the instruction set and
 * -O3), with 16-lane sums and the AVX-512 matrix kernels called directly. Chosen at run time
 * by spheres.c only when the CPU has AVX-512; tests/trainer/test_layers.c holds it equal to the
 * portable instance (layers.c) within a stated tolerance. */
#include "layers.h"

#include <math.h>

#include "fastexp.h"

#define R float
#define SFX(name) name
#define FN(name) name##_avx512
#define LAYERS_COMPUTE_ONLY
#define DOT_LANES 16
#define R_EXP fast_expf
#define R_LOG logf
#define R_SQRT sqrtf
#define MATMUL_FORWARD(out, inp, w, b, N, C, OC, pack)                                             \
    matmul_forward_level(KERNEL_AVX512, out, inp, w, b, N, C, OC, pack)
#define MATMUL_BACKWARD(dinp, dw, db, dout, inp, w, N, C, OC, pack)                                \
    matmul_backward_level(KERNEL_AVX512, dinp, dw, db, dout, inp, w, N, C, OC, pack)
#define MATMUL_FORWARD_PACKED(out, inp, packed, w, b, N, C, OC, pack)                              \
    ((packed) ? matmul_forward_packed(KERNEL_AVX512, out, inp, packed, b, N, C, OC)                \
              : matmul_forward_level(KERNEL_AVX512, out, inp, w, b, N, C, OC, pack))
#define ATTENTION_GEMM gemm_acc_avx512
#include "layers_impl.h"
