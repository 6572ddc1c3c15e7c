/* test_gradcheck.c — every parameter tensor's gradient against central finite differences,
 * in double precision, on a tiny GPT-2; then the float trainer (12-sphere engine, run-time
 * kernels) against the double gradients, and its loss against the double loss. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layers.h"
#include "model.h"
#include "rng.h"
#include "spheres.h"

static const gpt2_config tiny = {.max_seq_len = 5,
                                 .vocab_size = 11,
                                 .padded_vocab_size = 128,
                                 .num_layers = 2,
                                 .num_heads = 2,
                                 .channels = 8};
enum { B = 3, T = 4 };
static int inputs[B * T], targets[B * T];

static void make_data(void)
{
    rng_state r;
    rng_seed(&r, 7);
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (int)(rng_next(&r) % 11);
        targets[i] = (int)(rng_next(&r) % 11);
    }
}

/* Random parameters large enough that every path carries a visible gradient. */
static void make_params(double *p, size_t count)
{
    rng_state r;
    rng_seed(&r, 11);
    size_t sizes[GPT2_NUM_TENSORS];
    gpt2_tensor_sizes(&tiny, sizes);
    size_t at = 0;
    for (int t = 0; t < GPT2_NUM_TENSORS; t++) {
        for (size_t i = 0; i < sizes[t]; i++) {
            double x = 0.3 * rng_normal(&r);
            if (t == 2 || t == 8 || t == 14)
                x += 1.0;
            if (t == 0 && i >= (size_t)tiny.vocab_size * tiny.channels)
                x = 0; /* padded rows */
            p[at + i] = x;
        }
        at += sizes[t];
    }
    (void)count;
}

static double loss_f64(double *base, gpt2_acts_f64 *acts)
{
    gpt2_params_f64 p;
    gpt2_point_params_f64(&p, &tiny, base);
    return gpt2_forward_f64(&p, NULL, &tiny, acts, inputs, targets, B, T, 0.0) / (B * T);
}

TEST(every_tensor_matches_finite_differences)
{
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&tiny, sizes);
    double *params = malloc(P * sizeof *params), *grads = calloc(P, sizeof *grads);
    make_params(params, P);
    gpt2_acts_f64 acts;
    CHECK(gpt2_acts_new_f64(&acts, &tiny, B, T) == 0);
    gpt2_params_f64 p, g;
    gpt2_point_params_f64(&p, &tiny, params);
    gpt2_point_params_f64(&g, &tiny, grads);
    gpt2_forward_f64(&p, NULL, &tiny, &acts, inputs, targets, B, T, 1.0 / (B * T));
    gpt2_backward_f64(&p, NULL, &g, &tiny, &acts, inputs, B, T);
    size_t at = 0;
    for (int t = 0; t < GPT2_NUM_TENSORS; t++) {
        double worst = 0, largest = 0;
        for (size_t i = 0; i < sizes[t]; i++) {
            double saved = params[at + i], h = 1e-5;
            params[at + i] = saved + h;
            double up = loss_f64(params, &acts);
            params[at + i] = saved - h;
            double down = loss_f64(params, &acts);
            params[at + i] = saved;
            double numeric = (up - down) / (2 * h), analytic = grads[at + i];
            double error = fabs(numeric - analytic) / fmax(1e-4, fabs(numeric) + fabs(analytic));
            if (error > worst)
                worst = error;
            if (fabs(analytic) > largest)
                largest = fabs(analytic);
        }
        if (worst > 1e-5)
            printf("# %s: worst relative error %.3g\n", gpt2_tensor_names[t], worst);
        CHECK(worst < 1e-5);
        CHECK(largest > 1e-4); /* the tensor really gets a gradient */
        at += sizes[t];
    }
    gpt2_acts_free_f64(&acts);
    free(params);
    free(grads);
}

TEST(float_engine_matches_double_gradients)
{
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&tiny, sizes);
    double *params = malloc(P * sizeof *params), *grads = calloc(P, sizeof *grads);
    make_params(params, P);
    gpt2_acts_f64 acts;
    CHECK(gpt2_acts_new_f64(&acts, &tiny, B, T) == 0);
    gpt2_params_f64 p, g;
    gpt2_point_params_f64(&p, &tiny, params);
    gpt2_point_params_f64(&g, &tiny, grads);
    double loss64 =
        gpt2_forward_f64(&p, NULL, &tiny, &acts, inputs, targets, B, T, 1.0 / (B * T)) / (B * T);
    gpt2_backward_f64(&p, NULL, &g, &tiny, &acts, inputs, B, T);

    sphere_engine *e;
    cr_err err;
    CHECK(engine_new(&e, &tiny, B, T, 2, &err) == 0);
    float *fp = engine_params(e);
    for (size_t i = 0; i < P; i++)
        fp[i] = (float)params[i];
    double loss, norm;
    engine_forward_backward(e, inputs, targets, B, &loss, &norm);
    CHECK_NEAR(loss, loss64, 1e-5);
    const float *fg = engine_grads(e);
    double worst = 0, sumsq = 0;
    for (size_t i = 0; i < P; i++) {
        double error = fabs(fg[i] - grads[i]) / fmax(1e-3, fabs(grads[i]));
        if (error > worst)
            worst = error;
        sumsq += grads[i] * grads[i];
    }
    printf("# float vs double gradients: worst relative error %.3g\n", worst);
    CHECK(worst < 1e-3);
    CHECK_NEAR(norm, sqrt(sumsq), 1e-4);
    engine_free(e);
    gpt2_acts_free_f64(&acts);
    free(params);
    free(grads);
}

int main(void)
{
    make_data();
    RUN(every_tensor_matches_finite_differences);
    RUN(float_engine_matches_double_gradients);
    return check_summary();
}
