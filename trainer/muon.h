/* muon.h — Muon for one hidden weight matrix (Keller Jordan's optimizer, as modded-nanogpt runs
 * it): Nesterov momentum, orthogonalised by five quintic Newton-Schulz iterations in fp32, scaled
 * by max(1, rows/cols)^0.5. The embeddings, the classifier, biases and LayerNorm keep AdamW
 * (spheres.c). One matrix is computed by one thread with the single-threaded kernels of
 * matmul.h, so its bits never depend on the thread count. */
#ifndef TRAINER_MUON_H
#define TRAINER_MUON_H

#include <stddef.h>

#define MUON_LR 0.02
#define MUON_MOMENTUM 0.95

typedef struct muon_step {
    float lr, momentum;
    float clip_scale; /* the gradient is multiplied by it first */
    float decay;      /* params *= 1 - decay first (decoupled weight decay) */
} muon_step;

/* Floats of workspace muon_update needs for a (rows, cols) matrix, MATMUL_PACK_FLOATS included. */
size_t muon_work_floats(int rows, int cols);
/* params, m (rows x cols, row-major) updated from grad; work: muon_work_floats floats, 64-byte
 * aligned. level: the fp32 kernel level of the products (never bf16). */
void muon_update(float *params, float *m, const float *grad, int rows, int cols, const muon_step *s,
                 int level, float *work);

#endif
