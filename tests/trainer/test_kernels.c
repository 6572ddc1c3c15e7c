/* test_kernels.c — every SIMD matmul kernel against its scalar twin (matmul.c), forward and
 * backward, on shapes that hit every edge of the register tiles and cache blocks (odd sizes,
 * sizes past one K block). Tolerance: 1e-5 relative to the largest magnitude of the product,
 * the reordering error of float sums of these lengths. The bias gradient is summed in one
 * order at every level, so it must match exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fastexp.h"
#include "layers.h"
#include "matmul.h"
#include "model.h"
#include "rng.h"
#include "spheres.h"

static float *random_floats(size_t n, uint64_t seed)
{
    rng_state r;
    rng_seed(&r, seed);
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)rng_normal(&r);
    return p;
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double largest = 1e-30, worst = 0;
    for (size_t i = 0; i < n; i++)
        largest = fmax(largest, fabs(b[i]));
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / largest);
    return worst;
}

static void check_shape(int level, int N, int C, int OC)
{
    float *pack = aligned_alloc(64, MATMUL_PACK_FLOATS * sizeof(float));
    float *inp = random_floats((size_t)N * C, 1), *w = random_floats((size_t)OC * C, 2);
    float *bias = random_floats((size_t)OC, 3), *dout = random_floats((size_t)N * OC, 4);
    float *out_ref = calloc((size_t)N * OC, 4), *out = calloc((size_t)N * OC, 4);
    matmul_forward_level(KERNEL_SCALAR, out_ref, inp, w, bias, N, C, OC, pack);
    matmul_forward_level(level, out, inp, w, bias, N, C, OC, pack);
    double fwd = max_rel_diff(out, out_ref, (size_t)N * OC);
    /* backward overwrites its outputs: start the two from different non-zero values */
    float *dinp_ref = random_floats((size_t)N * C, 5), *dinp = random_floats((size_t)N * C, 8);
    float *dw_ref = random_floats((size_t)OC * C, 6), *dw = random_floats((size_t)OC * C, 9);
    float *db_ref = random_floats((size_t)OC, 7), *db = random_floats((size_t)OC, 10);
    matmul_backward_level(KERNEL_SCALAR, dinp_ref, dw_ref, db_ref, dout, inp, w, N, C, OC, pack);
    matmul_backward_level(level, dinp, dw, db, dout, inp, w, N, C, OC, pack);
    double bwd_in = max_rel_diff(dinp, dinp_ref, (size_t)N * C);
    double bwd_w = max_rel_diff(dw, dw_ref, (size_t)OC * C);
    if (fwd > 1e-5 || bwd_in > 1e-5 || bwd_w > 1e-5)
        printf("# %s N=%d C=%d OC=%d: forward %.2g, dinp %.2g, dweight %.2g\n",
               kernels_level_name(level), N, C, OC, fwd, bwd_in, bwd_w);
    CHECK(fwd < 1e-5);
    CHECK(bwd_in < 1e-5);
    CHECK(bwd_w < 1e-5);
    CHECK(memcmp(db, db_ref, (size_t)OC * 4) == 0);
    if (level != KERNEL_SCALAR) {
        /* weights packed once (the engine's per-step packing) give the very same bits */
        float *packed = aligned_alloc(64, matmul_packed_floats(level, C, OC) * 4 + 64);
        float *out_packed = calloc((size_t)N * OC, 4);
        int panels = (OC + matmul_panel_width(level) - 1) / matmul_panel_width(level);
        matmul_pack_weight(level, packed, w, C, OC, 0, panels / 2);
        matmul_pack_weight(level, packed, w, C, OC, panels / 2, panels);
        matmul_forward_packed(level, out_packed, inp, packed, bias, N, C, OC);
        CHECK(memcmp(out_packed, out, (size_t)N * OC * 4) == 0);
        free(packed);
        free(out_packed);
    }
    free(pack);
    free(inp);
    free(w);
    free(bias);
    free(dout);
    free(out_ref);
    free(out);
    free(dinp_ref);
    free(dinp);
    free(dw_ref);
    free(dw);
    free(db_ref);
    free(db);
}

static const int shapes[][3] = {{1, 1, 1},     {7, 5, 3},     {6, 16, 32},    {13, 33, 65},
                                {64, 64, 192}, {50, 300, 17}, {97, 260, 530}, {1, 768, 2304}};

/* main runs these only on a CPU with the level (RUN_IF): elsewhere they are TAP skips. */
static void check_level(int level)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_shape(level, shapes[i][0], shapes[i][1], shapes[i][2]);
}

TEST(avx2_matches_scalar)
{
    check_level(KERNEL_AVX2);
}
TEST(avx512_matches_scalar)
{
    check_level(KERNEL_AVX512);
}

/* The whole model's forward and backward at each level (layers.c, layers_avx2.c,
 * layers_avx512.c) against the portable instance: loss within 1e-6, every gradient within
 * 1e-4 of the largest gradient (float sums in another order, fused multiply-adds). */
TEST(layer_instances_agree)
{
    const gpt2_config cfg = {.max_seq_len = 24,
                             .vocab_size = 200,
                             .padded_vocab_size = 256,
                             .num_layers = 2,
                             .num_heads = 3,
                             .channels = 48};
    enum { B = 13, T = 21 };
    int inputs[B * T], targets[B * T];
    rng_state r;
    rng_seed(&r, 9);
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (int)(rng_next(&r) % 200);
        targets[i] = (int)(rng_next(&r) % 200);
    }
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&cfg, sizes);
    float *params = malloc(P * 4), *reference = malloc(P * 4);
    gpt2_init_params(&cfg, params, 4);
    double reference_loss = 0;
    for (int level = KERNEL_SCALAR; level <= kernels_cpu_level(); level++) {
        kernels_select(level);
        sphere_engine *e;
        cr_err err;
        CHECK(engine_new(&e, &cfg, B, T, 2, &err) == 0);
        memcpy(engine_params(e), params, P * 4);
        double loss, norm;
        engine_forward_backward(e, inputs, targets, B, &loss, &norm);
        double eval_loss = engine_loss(e, inputs, targets, B);
        CHECK_NEAR(eval_loss, loss, 1e-6);
        if (level == KERNEL_SCALAR) {
            reference_loss = loss;
            memcpy(reference, engine_grads(e), P * 4);
        } else {
            CHECK_NEAR(loss, reference_loss, 1e-6);
            double largest = 1e-30, worst = 0;
            const float *g = engine_grads(e);
            for (size_t i = 0; i < P; i++)
                largest = fmax(largest, fabs(reference[i]));
            for (size_t i = 0; i < P; i++)
                worst = fmax(worst, fabs(g[i] - reference[i]) / largest);
            printf("# %s layers vs scalar: loss %.9f vs %.9f, worst gradient error %.2g\n",
                   kernels_level_name(level), loss, reference_loss, worst);
            CHECK(worst < 1e-4);
        }
        engine_free(e);
    }
    kernels_select(KERNEL_AVX512);
    free(params);
    free(reference);
}

/* fast_expf (the SIMD layers' exponential) against libm's expf: relative error under 5e-7
 * over the range softmax, tanh and cross-entropy use; clamped ends give 0-like and huge. */
TEST(fast_exp_matches_libm)
{
    double worst = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
        double rel = fabs((double)fast_expf(x) - exp((double)x)) / exp((double)x);
        if (rel > worst)
            worst = rel;
    }
    printf("# fast_expf: worst relative error %.2g\n", worst);
    CHECK(worst < 5e-7);
    CHECK(fast_expf(0.0f) == 1.0f);
    CHECK(fast_expf(-1000.0f) < 1e-37f);
    CHECK(fast_expf(1000.0f) > 1e38f && isfinite(fast_expf(1000.0f)));
}

TEST(selection_caps_at_the_requested_level)
{
    CHECK_INT_EQ(kernels_select(KERNEL_SCALAR), KERNEL_SCALAR);
    CHECK_INT_EQ(kernels_level(), KERNEL_SCALAR);
    int best = kernels_select(KERNEL_AVX512);
    CHECK_INT_EQ(best, kernels_cpu_level());
}

int main(void)
{
    RUN_IF(kernels_cpu_level() >= KERNEL_AVX2, avx2_matches_scalar, "the CPU has no AVX2");
    RUN_IF(kernels_cpu_level() >= KERNEL_AVX512, avx512_matches_scalar, "the CPU has no AVX-512");
    RUN(layer_instances_agree);
    RUN(fast_exp_matches_libm);
    RUN(selection_caps_at_the_requested_level);
    return check_summary();
}
