/* layers_bf16.c — layers_impl.h for bf16 mixed precision: the AVX-512 instance (fp32 LayerNorm,
 * softmax, GELU, loss and every gradient, 16-lane sums) whose matrix products, forward,
 * backward and attention, round their operands to bf16 and sum in fp32 (matmul_bf16.c). Chosen
 * by spheres.c at the KERNEL_BF16 level; tests/trainer/test_bf16.c holds it near the fp32
 * instances within a stated tolerance. */
#include "layers.h"

#include <math.h>

#include "fastexp.h"

#define R float
#define SFX(name) name
#define FN(name) name##_bf16
#define LAYERS_COMPUTE_ONLY
#define DOT_LANES 16
/* the LayerNorm backward's row sums in lanes too (the fp32 instances keep their bits) */
#define LAYERNORM_BACKWARD_LANES
#define R_EXP fast_expf
#define R_LOG logf
#define R_SQRT sqrtf
#define MATMUL_FORWARD(out, inp, w, b, N, C, OC, pack)                                             \
    matmul_forward_bf16(bf16_kernel(), out, inp, w, b, N, C, OC, pack)
#define MATMUL_BACKWARD(dinp, dw, db, dout, inp, w, N, C, OC, pack)                                \
    matmul_backward_bf16(bf16_kernel(), dinp, dw, db, dout, inp, w, N, C, OC, pack)
#define MATMUL_BACKWARD_PACKED(dinp, dw, db, dout, inp, w, packed_t, N, C, OC, pack)               \
    matmul_backward_packed_bf16(bf16_kernel(), dinp, dw, db, dout, inp, w,                         \
                                (const uint32_t *)(packed_t), N, C, OC, pack)
#define MATMUL_FORWARD_PACKED(out, inp, packed, w, b, N, C, OC, pack)                              \
    ((packed) ? matmul_forward_packed_bf16(bf16_kernel(), out, inp, (const uint32_t *)(packed), b, \
                                           N, C, OC, pack)                                         \
              : matmul_forward_bf16(bf16_kernel(), out, inp, w, b, N, C, OC, pack))
#define ATTENTION_GEMM gemm_acc_bf16
#include "layers_impl.h"
