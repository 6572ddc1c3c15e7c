/* adamw.c — the portable AdamW loop (adamw_impl.h) and the run-time choice between it and the
 * AVX-512 instance (adamw_avx512.c); the same bits either way (adamw.h). */
#include "adamw.h"

#include <math.h>

#include "matmul.h"

#define ADAMW_NAME adamw_update_scalar
#include "adamw_impl.h"

void adamw_update(float *params, float *m, float *v, const float *grad, size_t n,
                  const adamw_step *s)
{
    if (kernels_level() >= KERNEL_AVX512)
        adamw_update_avx512(params, m, v, grad, n, s);
    else
        adamw_update_scalar(params, m, v, grad, n, s);
}
