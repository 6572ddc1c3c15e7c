/* layers.c — the portable float instance of layers_impl.h (the "scalar" level, and the layers
 * generate.c uses), plus the allocation helpers. Matrix products go to the run-time chosen
 * kernels of matmul.h. The AVX2 and AVX-512 instances are layers_avx2.c and layers_avx512.c,
 * the double instance for the gradient check layers_f64.c. */
#include "layers.h"

#include <math.h>

#define R float
#define SFX(name) name
#define FN(name) name
#define R_EXP expf
#define R_LOG logf
#define R_SQRT sqrtf
#define MATMUL_FORWARD matmul_forward
#define MATMUL_BACKWARD matmul_backward
#include "layers_impl.h"

gpt2_forward_fn *gpt2_forward_for_level(int level)
{
    return level == KERNEL_BF16     ? gpt2_forward_bf16
           : level == KERNEL_AVX512 ? gpt2_forward_avx512
           : level == KERNEL_AVX2   ? gpt2_forward_avx2
                                    : gpt2_forward;
}

gpt2_backward_fn *gpt2_backward_for_level(int level)
{
    return level == KERNEL_BF16     ? gpt2_backward_bf16
           : level == KERNEL_AVX512 ? gpt2_backward_avx512
           : level == KERNEL_AVX2   ? gpt2_backward_avx2
                                    : gpt2_backward;
}
