/* muon.c — Muon's update of one matrix (muon.h). */
#include "muon.h"

#include <math.h>

#include "matmul.h"

/* A sub-buffer start: whole 64-byte lines, so every piece stays aligned. */
static size_t lines(size_t floats)
{
    return (floats + 15) / 16 * 16;
}

size_t muon_work_floats(int rows, int cols)
{
    size_t r = (size_t)(rows < cols ? rows : cols), c = (size_t)(rows < cols ? cols : rows);
    return 3 * lines(r * c) + 2 * lines(r * r) + MATMUL_PACK_FLOATS;
}

/* X (r, c), r <= c, replaced by its quintic Newton-Schulz orthogonalisation: five times
 * A = X X^T, B = b A + c A A, X = a X + B X (the coefficients are modded-nanogpt's). */
static void newton_schulz(float *X, int r, int c, int level, float *work)
{
    const float qa = 3.4445f, qb = -4.7750f, qc = 2.0315f;
    size_t rc = (size_t)r * c, rr = (size_t)r * r;
    float *Xt = work, *BX = Xt + lines(rc), *A = BX + lines(rc), *AA = A + lines(rr);
    float *pack = AA + lines(rr);
    double sumsq = 0;
    for (size_t i = 0; i < rc; i++)
        sumsq += (double)X[i] * X[i];
    float inv = (float)(1.0 / (sqrt(sumsq) + 1e-7));
    for (size_t i = 0; i < rc; i++)
        X[i] *= inv;
    for (int it = 0; it < 5; it++) {
        matmul_forward_level(level, A, X, X, NULL, r, c, r, pack);  /* X X^T */
        matmul_forward_level(level, AA, A, A, NULL, r, r, r, pack); /* A A^T = A A */
        for (size_t i = 0; i < rr; i++)
            A[i] = qb * A[i] + qc * AA[i];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                Xt[(size_t)j * r + i] = X[(size_t)i * c + j];
        matmul_forward_level(level, BX, A, Xt, NULL, r, r, c, pack); /* B X */
        for (size_t i = 0; i < rc; i++)
            X[i] = qa * X[i] + BX[i];
    }
}

void muon_update(float *params, float *m, const float *grad, int rows, int cols, const muon_step *s,
                 int level, float *work)
{
    int wide = rows <= cols, r = wide ? rows : cols, c = wide ? cols : rows;
    size_t n = (size_t)rows * cols;
    float *X = work, *rest = work + lines(n); /* X, then the iterations' buffers */
    float mu = s->momentum;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            float g = grad[k] * s->clip_scale;
            m[k] = mu * m[k] + g;
            float u = g + mu * m[k]; /* Nesterov */
            X[wide ? k : (size_t)j * rows + i] = u;
        }
    newton_schulz(X, r, c, level, rest);
    float step = s->lr * sqrtf(rows > cols ? (float)rows / (float)cols : 1.0f);
    float keep = 1.0f - s->decay;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            params[k] = params[k] * keep - step * X[wide ? k : (size_t)j * rows + i];
        }
}
