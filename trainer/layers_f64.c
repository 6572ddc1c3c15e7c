/* layers_f64.c — the double instance of layers_impl.h, with plain-loop matrix products: the
 * reference the finite-difference gradient check differentiates (tests/trainer/test_gradcheck.c).
 * Never used for training; the float instance is layers.c. */
#include "layers.h"

#include <math.h>
#include <string.h>

/* out (N, OC) = inp (N, C) . weight (OC, C)^T + bias */
static void matmul_forward_f64(double *out, const double *inp, const double *weight,
                               const double *bias, int N, int C, int OC, float *pack)
{
    (void)pack;
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
                sum += inp[(size_t)i * C + c] * weight[(size_t)o * C + c];
            out[(size_t)i * OC + o] = sum;
        }
}

static void matmul_backward_f64(double *dinp, double *dweight, double *dbias, const double *dout,
                                const double *inp, const double *weight, int N, int C, int OC,
                                float *pack)
{
    (void)pack; /* overwrites its outputs, as matmul_backward does */
    if (dinp)
        memset(dinp, 0, (size_t)N * C * sizeof *dinp);
    if (dbias)
        memset(dbias, 0, (size_t)OC * sizeof *dbias);
    memset(dweight, 0, (size_t)OC * C * sizeof *dweight);
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double d = dout[(size_t)i * OC + o];
            if (dbias)
                dbias[o] += d;
            for (int c = 0; c < C; c++) {
                if (dinp)
                    dinp[(size_t)i * C + c] += d * weight[(size_t)o * C + c];
                dweight[(size_t)o * C + c] += d * inp[(size_t)i * C + c];
            }
        }
}

#define R double
#define SFX(name) name##_f64
#define FN(name) name##_f64
#define R_EXP exp
#define R_LOG log
#define R_SQRT sqrt
#define MATMUL_FORWARD matmul_forward_f64
#define MATMUL_BACKWARD matmul_backward_f64
#include "layers_impl.h"
