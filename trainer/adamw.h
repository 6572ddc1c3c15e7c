/* adamw.h — the AdamW update of one run of parameters (spheres.c calls it per chunk), in a
 * portable instance and an AVX-512 one picked at run time. Both do the same IEEE operations in
 * the same order per element (no fused multiply-add, correctly rounded sqrt and division), so
 * they give the same bits: results never depend on the instance. */
#ifndef TRAINER_ADAMW_H
#define TRAINER_ADAMW_H

#include <stddef.h>

typedef struct adamw_step {
    float beta1, beta2, eps, lr, weight_decay;
    float clip_scale;   /* the gradient is multiplied by it first */
    float bias1, bias2; /* 1 - beta^t */
} adamw_step;

/* params, m, v (n) updated from grad (n). */
void adamw_update(float *params, float *m, float *v, const float *grad, size_t n,
                  const adamw_step *s);
void adamw_update_scalar(float *params, float *m, float *v, const float *grad, size_t n,
                         const adamw_step *s);
void adamw_update_avx512(float *params, float *m, float *v, const float *grad, size_t n,
                         const adamw_step *s);

#endif
