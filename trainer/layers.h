/* layers.h — GPT-2's layers as llm.c-style _forward/_backward pairs, in float (the trainer: a
 * portable instance, an AVX2 one (_avx2), an AVX-512 one (_avx512) and the AVX-512 one with bf16
 * matrix products (_bf16, layers_bf16.c)) and double (_f64, the
 * finite-difference gradient check). One source for all: layers_impl.h, compiled by layers.c,
 * layers_avx2.c, layers_avx512.c and layers_f64.c. The matrix products are matmul.h's. */
#ifndef TRAINER_LAYERS_H
#define TRAINER_LAYERS_H

#include <stddef.h>

#include "model.h"

/* Forward weights packed once per step for the SIMD matmul (matmul_pack_weight); layer l's
 * matrix is at base + l * stride. NULL pointers: pack on the fly. The *_t: the transposed
 * panels of the bf16 backward (matmul_pack_weight_t_bf16), NULL at the other levels. */
typedef struct gpt2_packed {
    const float *wte, *qkvw, *attprojw, *fcw, *fcprojw;
    size_t qkvw_stride, attprojw_stride, fcw_stride, fcprojw_stride;
    const float *wte_t, *qkvw_t, *attprojw_t, *fcw_t, *fcprojw_t;
    size_t qkvw_t_stride, attprojw_t_stride, fcw_t_stride, fcprojw_t_stride;
} gpt2_packed;

#define R float
#define SFX(name) name
#define FN(name) name
#include "layers_types.h"
#undef FN
#define LAYERS_COMPUTE_ONLY
#define FN(name) name##_avx2
#include "layers_types.h"
#undef FN
#define FN(name) name##_avx512
#include "layers_types.h"
#undef FN
#define FN(name) name##_bf16
#include "layers_types.h"
#undef FN
#undef LAYERS_COMPUTE_ONLY
#undef R
#undef SFX

#define R double
#define SFX(name) name##_f64
#define FN(name) name##_f64
#include "layers_types.h"
#undef R
#undef SFX
#undef FN

/* The float forward/backward of the best instance for a kernel level (matmul.h's levels). */
typedef double gpt2_forward_fn(const gpt2_params *p, const gpt2_packed *packed,
                               const gpt2_config *cfg, gpt2_acts *a, const int *inputs,
                               const int *targets, int B, int T, float dloss);
typedef void gpt2_backward_fn(const gpt2_params *p, const gpt2_packed *packed,
                              const gpt2_params *grads, const gpt2_config *cfg, gpt2_acts *a,
                              const int *inputs, int B, int T);
gpt2_forward_fn *gpt2_forward_for_level(int level);
gpt2_backward_fn *gpt2_backward_for_level(int level);

#endif
