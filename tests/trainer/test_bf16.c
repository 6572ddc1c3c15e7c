/* test_bf16.c — the bf16 mixed-precision path: the rounding (bf16.h) on its edge cases; the
 * AVX512-BF16 GEMM against its scalar twin (the same bf16 operands, the same pair order and
 * K blocks, one rounding per step with DAZ/FTZ: the twin emulates vdpbf16ps exactly, so the
 * results must be the same bits); the AMX GEMM's code run on emulated tiles against the AMX
 * twin (the same bits; real AMX cannot run on a CPU without it: see matmul_amx.c); every bf16
 * GEMM against the exact product within the bf16 error bound; and a small model's loss and
 * gradients in bf16 against fp32 within a tolerance justified below. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adamw.h"
#include "bf16.h"
#include "check.h"
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

TEST(rounding_is_nearest_even_with_flushed_denormals)
{
    CHECK_INT_EQ(bf16_round(1.0f), 0x3f80);
    CHECK_INT_EQ(bf16_round(bf16_bits_float(0x3f808000u)), 0x3f80); /* tie: to even */
    CHECK_INT_EQ(bf16_round(bf16_bits_float(0x3f818000u)), 0x3f82); /* tie: to even */
    CHECK_INT_EQ(bf16_round(bf16_bits_float(0x3f808001u)), 0x3f81); /* above the tie */
    CHECK_INT_EQ(bf16_round(-2.0f), 0xc000);
    CHECK_INT_EQ(bf16_round(1e-40f), 0x0000);  /* denormal: zero */
    CHECK_INT_EQ(bf16_round(-1e-40f), 0x8000); /* with its sign */
    CHECK_INT_EQ(bf16_round(INFINITY), 0x7f80);
    CHECK_INT_EQ(bf16_round(bf16_bits_float(0x7f7fffffu)), 0x7f80); /* rounds up to infinity */
    CHECK((bf16_round(NAN) & 0x7fc0) == 0x7fc0);                    /* quiet NaN */
    CHECK(bf16_to_float(bf16_round(3.140625f)) == 3.140625f);       /* exact in bf16 */
}

/* One product C (M, N) += A . B under every operand layout the layers use. */
struct layout {
    const char *name;
    int a_transposed, b_transposed;
};
static const struct layout layouts[] = {
    {"A rows, B rows", 0, 0}, /* backward dinp, attention att.V */
    {"A rows, B cols", 0, 1}, /* forward, attention Q.K^T */
    {"A cols, B rows", 1, 0}, /* backward dweight, attention dv, dk */
};
static const int shapes[][3] = {{1, 1, 1},      {7, 5, 3},      {6, 32, 16},
                                {13, 65, 33},   {64, 192, 64},  {50, 17, 300},
                                {97, 530, 260}, {1, 2304, 768}, {49, 33, 513}};

static void run_gemm(int kernel, int M, int N, int K, const float *A, const float *B,
                     const struct layout *l, float *Cm, float *pack, int accumulate)
{
    long a_rs = l->a_transposed ? 1 : K, a_ks = l->a_transposed ? M : 1;
    long b_ks = l->b_transposed ? 1 : N, b_ns = l->b_transposed ? K : 1;
    if (kernel < 0)
        gemm_bf16_amx_twin(M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, N, accumulate);
    else
        gemm_bf16(kernel, M, N, K, A, a_rs, a_ks, B, b_ks, b_ns, Cm, N, pack, accumulate);
}

/* The worst |C - exact| / bound over the elements, where bound = 2^-7 sum_k |a_ik b_kj|: each
 * operand's rounding is within 2^-9 relative, a product of two within 2^-8, and the fp32
 * sums of these lengths add far less than the remaining 2^-8. Must be <= 1. */
static double worst_vs_exact(const float *Cm, const float *C0, int M, int N, int K, const float *A,
                             const float *B, const struct layout *l)
{
    long a_rs = l->a_transposed ? 1 : K, a_ks = l->a_transposed ? M : 1;
    long b_ks = l->b_transposed ? 1 : N, b_ns = l->b_transposed ? K : 1;
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double exact = C0[i * N + j], bound = 0;
            for (int k = 0; k < K; k++) {
                double p = (double)A[i * a_rs + k * a_ks] * B[k * b_ks + j * b_ns];
                exact += p;
                bound += fabs(p);
            }
            double err = fabs(Cm[i * N + j] - exact) / (ldexp(bound, -7) + 1e-30);
            worst = fmax(worst, err);
        }
    return worst;
}

static int twin_check(int kernel, int twin, int exact, const char *what)
{
    int failures = 0;
    float *pack = aligned_alloc(64, MATMUL_PACK_FLOATS * sizeof(float));
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            float *A = random_floats((size_t)M * K, 11 + s), *B = random_floats((size_t)K * N, 12);
            float *C0 = random_floats((size_t)M * N, 13);
            float *got = malloc((size_t)M * N * 4), *want = malloc((size_t)M * N * 4);
            memcpy(got, C0, (size_t)M * N * 4);
            memcpy(want, C0, (size_t)M * N * 4);
            run_gemm(kernel, M, N, K, A, B, &layouts[l], got, pack, 1);
            run_gemm(twin, M, N, K, A, B, &layouts[l], want, pack, 1);
            int differ = 0;
            for (int i = 0; i < M * N; i++)
                differ += got[i] != want[i];
            double bound = worst_vs_exact(got, C0, M, N, K, A, B, &layouts[l]);
            if (differ || bound > 1)
                printf("# %s %dx%dx%d %s: %d elements differ from the twin, error %.2f of the "
                       "bf16 bound\n",
                       what, M, N, K, layouts[l].name, differ, bound);
            failures += (exact && differ != 0) || bound > 1;
            /* accumulate 0 over C's old values: the bits of adding into zeros, C never read */
            memset(want, 0, (size_t)M * N * 4);
            memcpy(got, C0, (size_t)M * N * 4);
            run_gemm(kernel, M, N, K, A, B, &layouts[l], want, pack, 1);
            run_gemm(kernel, M, N, K, A, B, &layouts[l], got, pack, 0);
            int stored = memcmp(got, want, (size_t)M * N * 4) == 0;
            if (!stored)
                printf("# %s %dx%dx%d %s: accumulate 0 is not zeroing and adding\n", what, M, N, K,
                       layouts[l].name);
            failures += !stored;
            free(A);
            free(B);
            free(C0);
            free(got);
            free(want);
        }
    free(pack);
    return failures;
}

TEST(scalar_twin_within_the_bf16_bound)
{
    CHECK_INT_EQ(twin_check(BF16_SCALAR, BF16_SCALAR, 1, "scalar"), 0);
}

TEST(avx512_bf16_equals_its_twin)
{
    CHECK_INT_EQ(twin_check(BF16_AVX512, BF16_SCALAR, 1, "avx512-bf16"), 0);
}

TEST(amx_code_on_emulated_tiles_equals_its_twin)
{
    CHECK_INT_EQ(twin_check(BF16_AMX_EMULATED, -1, 1, "amx-bf16 emulated"), 0);
}

TEST(amx_bf16_on_hardware_within_the_bound)
{
    /* the hardware's internal order may differ from the SDM's: bound only, twin printed */
    CHECK_INT_EQ(twin_check(BF16_AMX, -1, 0, "amx-bf16"), 0);
}

/* The linear layer at the KERNEL_BF16 level: pre-packed weights give the very same bits as
 * packing on the fly, with every kernel. */
TEST(packed_weights_give_the_same_bits)
{
    int kernels[] = {BF16_SCALAR, BF16_AMX_EMULATED, BF16_AVX512};
    float *pack = aligned_alloc(64, MATMUL_PACK_FLOATS * sizeof(float));
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        if (kernels[k] == BF16_AVX512 && bf16_cpu_kernel() < BF16_AVX512)
            continue;
        const int N = 37, C = 300, OC = 600; /* two N blocks of 512 */
        float *inp = random_floats((size_t)N * C, 1), *w = random_floats((size_t)OC * C, 2);
        float *bias = random_floats(OC, 3);
        float *out = calloc((size_t)N * OC, 4), *out_packed = calloc((size_t)N * OC, 4);
        uint32_t *packed = aligned_alloc(64, matmul_packed_words_bf16(C, OC) * 4);
        int panels = (OC + 31) / 32;
        matmul_pack_weight_bf16(kernels[k], packed, w, C, OC, 0, 1);
        matmul_pack_weight_bf16(kernels[k], packed, w, C, OC, 1, panels);
        matmul_forward_bf16(kernels[k], out, inp, w, bias, N, C, OC, pack);
        matmul_forward_packed_bf16(kernels[k], out_packed, inp, packed, bias, N, C, OC, pack);
        CHECK(memcmp(out, out_packed, (size_t)N * OC * 4) == 0);
        /* and the SIMD packer writes the scalar packer's bits */
        uint32_t *packed_scalar = aligned_alloc(64, matmul_packed_words_bf16(C, OC) * 4);
        pack_weight_bf16_scalar(packed_scalar, w, C, OC, 0, panels);
        CHECK(memcmp(packed, packed_scalar, matmul_packed_words_bf16(C, OC) * 4) == 0);
        free(inp);
        free(w);
        free(bias);
        free(out);
        free(out_packed);
        free(packed);
        free(packed_scalar);
    }
    free(pack);
}

/* The AVX512-BF16 packers round with vcvtneps2bf16: the words of the integer rounding
 * (bf16_round) on ties, denormals, signed zeros, infinities, NaN and the largest finite value,
 * in both the forward (columns of pairs) and the transposed (rows of pairs) layout, and with a
 * kernel that packs its operands on the fly (the A rows and B pair rows of gemm_bf16_avx512). */
TEST(simd_packers_round_special_values_as_the_scalar_ones)
{
    const uint32_t specials[] = {0x3f808000u, 0x3f818000u, 0x3f808001u, 0x00000001u, 0x80400000u,
                                 0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                 0x7f800001u, 0xffa00000u, 0x7f7fffffu, 0x3f7fffffu, 0x007fffffu,
                                 0x00800000u, 0xc0490fdbu};
    const int count = (int)(sizeof specials / sizeof specials[0]);
    const int C = 70, OC = 45; /* odd pair counts and partial panels */
    float *w = random_floats((size_t)OC * C, 7);
    for (int i = 0; i < OC * C; i += 3)
        w[i] = bf16_bits_float(specials[(i / 3) % count]);
    size_t words = matmul_packed_words_bf16(C, OC), words_t = matmul_packed_words_bf16(OC, C);
    uint32_t *simd = aligned_alloc(64, (words * 4 + 63) / 64 * 64);
    uint32_t *scalar = aligned_alloc(64, (words * 4 + 63) / 64 * 64);
    uint32_t *simd_t = aligned_alloc(64, (words_t * 4 + 63) / 64 * 64);
    uint32_t *scalar_t = aligned_alloc(64, (words_t * 4 + 63) / 64 * 64);
    matmul_pack_weight_bf16(BF16_AVX512, simd, w, C, OC, 0, (OC + 31) / 32);
    pack_weight_bf16_scalar(scalar, w, C, OC, 0, (OC + 31) / 32);
    CHECK(memcmp(simd, scalar, words * 4) == 0);
    matmul_pack_weight_t_bf16(simd_t, w, C, OC, 0, (C + 31) / 32);
    memset(scalar_t, 0, words_t * 4);
    for (int kp = 0; kp < (OC + 1) / 2; kp++)
        for (int c = 0; c < C; c++) {
            float odd = 2 * kp + 1 < OC ? w[(size_t)(2 * kp + 1) * C + c] : 0.0f;
            scalar_t[(size_t)(c / 32) * (words_t / ((C + 31) / 32)) + (size_t)kp * 32 + c % 32] =
                bf16_pair(w[(size_t)2 * kp * C + c], odd);
        }
    CHECK(memcmp(simd_t, scalar_t, words_t * 4) == 0);
    /* finite specials only through a product: NaN and infinities would make every sum NaN */
    for (int i = 0; i < OC * C; i++)
        if (!isfinite(w[i]))
            w[i] = 0.5f;
    float *a = random_floats((size_t)9 * OC, 8), *got = calloc((size_t)9 * C, 4),
          *want = calloc((size_t)9 * C, 4);
    float *pack = aligned_alloc(64, MATMUL_PACK_FLOATS * sizeof(float));
    gemm_bf16_avx512(9, C, OC, a, OC, 1, w, C, 1, got, C, pack, 0);
    gemm_bf16_scalar(9, C, OC, a, OC, 1, w, C, 1, want, C, pack, 0);
    CHECK(memcmp(got, want, (size_t)9 * C * 4) == 0);
    gemm_bf16_avx512(C, 9, OC, w, 1, C, a, 1, OC, got, 9, pack, 0); /* A column-major */
    gemm_bf16_scalar(C, 9, OC, w, 1, C, a, 1, OC, want, 9, pack, 0);
    CHECK(memcmp(got, want, (size_t)9 * C * 4) == 0);
    float *rows = calloc((size_t)OC * 9, 4), *rows_want = calloc((size_t)OC * 9, 4);
    float *b = random_floats((size_t)9 * C, 9);
    gemm_bf16_avx512(OC, 9, C, w, C, 1, b, 1, C, rows, 9, pack, 0); /* A rows of specials */
    gemm_bf16_scalar(OC, 9, C, w, C, 1, b, 1, C, rows_want, 9, pack, 0);
    CHECK(memcmp(rows, rows_want, (size_t)OC * 9 * 4) == 0);
    free(rows);
    free(rows_want);
    free(b);
    free(w);
    free(simd);
    free(scalar);
    free(simd_t);
    free(scalar_t);
    free(a);
    free(got);
    free(want);
    free(pack);
}

/* The backward with weight^T pre-packed (the sphere engine packs it once per step): the very
 * same dinp and dweight bits as packing on the fly, with every kernel; an odd OC (a pair
 * half-empty), C not a multiple of 32 and more than one K block of 256. */
TEST(packed_backward_gives_the_same_bits)
{
    int kernels[] = {BF16_SCALAR, BF16_AMX_EMULATED, BF16_AVX512};
    float *pack = aligned_alloc(64, MATMUL_PACK_FLOATS * sizeof(float));
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        if (kernels[k] == BF16_AVX512 && bf16_cpu_kernel() < BF16_AVX512)
            continue;
        const int N = 37, C = 300, OC = 523;
        float *inp = random_floats((size_t)N * C, 4), *w = random_floats((size_t)OC * C, 5);
        float *dout = random_floats((size_t)N * OC, 6);
        float *dinp = calloc((size_t)N * C, 4), *dinp_packed = calloc((size_t)N * C, 4);
        float *dw = calloc((size_t)OC * C, 4), *dw_packed = calloc((size_t)OC * C, 4);
        float *db = calloc((size_t)OC, 4), *db_packed = calloc((size_t)OC, 4);
        size_t words = matmul_packed_words_bf16(OC, C);
        uint32_t *packed = aligned_alloc(64, (words * 4 + 63) / 64 * 64);
        memset(packed, 0xa5, words * 4); /* every word written by the packer */
        int panels = (C + 31) / 32;
        matmul_pack_weight_t_bf16(packed, w, C, OC, 0, 3);
        matmul_pack_weight_t_bf16(packed, w, C, OC, 3, panels);
        matmul_backward_bf16(kernels[k], dinp, dw, db, dout, inp, w, N, C, OC, pack);
        matmul_backward_packed_bf16(kernels[k], dinp_packed, dw_packed, db_packed, dout, inp, w,
                                    packed, N, C, OC, pack);
        CHECK(memcmp(dinp, dinp_packed, (size_t)N * C * 4) == 0);
        CHECK(memcmp(dw, dw_packed, (size_t)OC * C * 4) == 0);
        CHECK(memcmp(db, db_packed, (size_t)OC * 4) == 0);
        free(inp);
        free(w);
        free(dout);
        free(dinp);
        free(dinp_packed);
        free(dw);
        free(dw_packed);
        free(db);
        free(db_packed);
        free(packed);
    }
    free(pack);
}

/* A small model's loss and gradients in bf16 against fp32 (the AVX-512 layers, the same
 * parameters and tokens). Tolerances: every matrix operand carries a relative rounding error up
 * to 2^-9 (0.2%), errors that partly cancel over sums of 64+ products; so the loss may move by
 * at most 0.2% of itself, and the gradient vector by at most 2% (relative L2 distance; cosine
 * similarity at least 0.9995). Measured here: about 1e-7 and 0.3% (printed below). */
TEST(bf16_model_near_fp32)
{
    const gpt2_config cfg = {.max_seq_len = 32,
                             .vocab_size = 300,
                             .padded_vocab_size = 384,
                             .num_layers = 2,
                             .num_heads = 4,
                             .channels = 64};
    enum { B = 12, T = 32 };
    int inputs[B * T], targets[B * T];
    rng_state r;
    rng_seed(&r, 5);
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (int)(rng_next(&r) % 300);
        targets[i] = (inputs[i] + 1) % 300;
    }
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&cfg, sizes);
    float *params = malloc(P * 4), *g32 = malloc(P * 4);
    gpt2_init_params(&cfg, params, 4);
    double loss32 = 0, loss16 = 0;
    int levels[] = {KERNEL_AVX512, KERNEL_BF16};
    for (int i = 0; i < 2; i++) {
        kernels_select(levels[i]);
        CHECK_INT_EQ(kernels_level(), levels[i]);
        sphere_engine *e;
        cr_err err;
        CHECK(engine_new(&e, &cfg, B, T, 2, &err) == 0);
        memcpy(engine_params(e), params, P * 4);
        double loss, norm;
        engine_forward_backward(e, inputs, targets, B, &loss, &norm);
        CHECK_NEAR(engine_loss(e, inputs, targets, B), loss, 1e-6);
        if (i == 0) {
            loss32 = loss;
            memcpy(g32, engine_grads(e), P * 4);
        } else {
            loss16 = loss;
            const float *g = engine_grads(e);
            double dot = 0, n32 = 0, n16 = 0, diff = 0;
            for (size_t k = 0; k < P; k++) {
                dot += (double)g[k] * g32[k];
                n32 += (double)g32[k] * g32[k];
                n16 += (double)g[k] * g[k];
                diff += ((double)g[k] - g32[k]) * ((double)g[k] - g32[k]);
            }
            double cosine = dot / sqrt(n32 * n16), rel = sqrt(diff / n32);
            printf("# bf16 vs fp32: loss %.6f vs %.6f (%.3g%%), gradient relative L2 %.3g, "
                   "cosine %.6f\n",
                   loss16, loss32, 100 * fabs(loss16 - loss32) / loss32, rel, cosine);
            CHECK(fabs(loss16 - loss32) < 0.002 * loss32);
            CHECK(rel < 0.02);
            CHECK(cosine > 0.9995);
            CHECK(loss16 != loss32); /* the bf16 path did run */
        }
        engine_free(e);
    }
    kernels_select(KERNEL_AVX512);
    free(params);
    free(g32);
}

/* Generation's bf16 matrix-vector product: the AVX512-BF16 kernel writes its twin's bits, and
 * both stay within the bf16 bound of the exact product (odd C, C past one 32-element chunk). */
TEST(matvec_bf16_equals_its_twin)
{
    const int sizes[][2] = {{1, 1}, {31, 5}, {33, 7}, {64, 100}, {301, 70}, {768, 50}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int C = sizes[s][0], OC = sizes[s][1];
        float *x = random_floats((size_t)C, 31), *w = random_floats((size_t)OC * C, 32);
        float *bias = random_floats((size_t)OC, 33);
        uint16_t *wb = malloc((size_t)OC * C * 2), *xb = malloc((size_t)C * 2);
        float *got = malloc((size_t)OC * 4), *want = malloc((size_t)OC * 4);
        bf16_round_array(wb, w, (size_t)OC * C);
        matvec_bf16(BF16_AVX512, got, x, xb, wb, bias, C, OC);
        matvec_bf16(BF16_SCALAR, want, x, xb, wb, bias, C, OC);
        CHECK(memcmp(got, want, (size_t)OC * 4) == 0);
        for (int o = 0; o < OC; o++) {
            double exact = bias[o], bound = 0;
            for (int c = 0; c < C; c++) {
                exact += (double)w[(size_t)o * C + c] * x[c];
                bound += fabs((double)w[(size_t)o * C + c] * x[c]);
            }
            CHECK(fabs(got[o] - exact) <= ldexp(bound, -7) + 1e-6 * fabs(exact) + 1e-30);
        }
        free(x);
        free(w);
        free(bias);
        free(wb);
        free(xb);
        free(got);
        free(want);
    }
}

/* AdamW (vectorised for the bf16 step's sake): the AVX-512 instance writes the portable
 * instance's bits (no fused multiply-add, IEEE division and sqrt), odd lengths included. */
TEST(adamw_instances_give_the_same_bits)
{
    enum { N = 1000 + 13 };
    float *p1 = random_floats(N, 21), *m1 = random_floats(N, 22), *v1 = random_floats(N, 23);
    float *g = random_floats(N, 24);
    float p2[N], m2[N], v2[N];
    for (int i = 0; i < N; i++)
        v1[i] = v1[i] * v1[i];
    memcpy(p2, p1, sizeof p2);
    memcpy(m2, m1, sizeof m2);
    memcpy(v2, v1, sizeof v2);
    adamw_step s = {0.9f, 0.95f, 1e-8f, 3e-4f, 0.1f, 0.7f, 0.19f, 0.0975f};
    for (int round = 0; round < 3; round++) {
        adamw_update_scalar(p1, m1, v1, g, N, &s);
        adamw_update_avx512(p2, m2, v2, g, N, &s);
    }
    CHECK(memcmp(p1, p2, sizeof p2) == 0);
    CHECK(memcmp(m1, m2, sizeof m2) == 0);
    CHECK(memcmp(v1, v2, sizeof v2) == 0);
    free(p1);
    free(m1);
    free(v1);
    free(g);
}

TEST(precision_decision_names_its_reason)
{
    char reason[200];
    CHECK_INT_EQ(precision_level(PRECISION_FP32, KERNEL_AVX512, reason, sizeof reason),
                 kernels_cpu_level());
    CHECK(strstr(reason, "fp32") != NULL);
    int level = precision_level(PRECISION_AUTO, KERNEL_AVX2, reason, sizeof reason);
    CHECK(level <= KERNEL_AVX2);
    CHECK(strstr(reason, "fp32") != NULL);
    CHECK_INT_EQ(precision_level(PRECISION_BF16, KERNEL_SCALAR, reason, sizeof reason), -1);
    level = precision_level(PRECISION_AUTO, KERNEL_AVX512, reason, sizeof reason);
    if (bf16_cpu_kernel() != BF16_SCALAR && kernels_cpu_level() == KERNEL_AVX512) {
        CHECK_INT_EQ(level, KERNEL_BF16);
        CHECK(strstr(reason, "bf16") != NULL);
    } else {
        CHECK(level != KERNEL_BF16);
        CHECK(strstr(reason, "neither") != NULL || strstr(reason, "below") != NULL);
    }
}

int main(void)
{
    int avx512_bf16 = bf16_cpu_kernel() >= BF16_AVX512 && kernels_cpu_level() == KERNEL_AVX512;
    RUN(rounding_is_nearest_even_with_flushed_denormals);
    RUN(scalar_twin_within_the_bf16_bound);
    RUN_IF(avx512_bf16, avx512_bf16_equals_its_twin, "the CPU has no AVX512-BF16");
    RUN(amx_code_on_emulated_tiles_equals_its_twin);
    RUN_IF(bf16_cpu_kernel() == BF16_AMX, amx_bf16_on_hardware_within_the_bound,
           "the CPU has no AMX-BF16 (its code ran on emulated tiles above)");
    RUN(packed_weights_give_the_same_bits);
    RUN_IF(bf16_cpu_kernel() >= BF16_AVX512, simd_packers_round_special_values_as_the_scalar_ones,
           "the CPU has no AVX512-BF16");
    RUN(packed_backward_gives_the_same_bits);
    RUN_IF(avx512_bf16, matvec_bf16_equals_its_twin, "the CPU has no AVX512-BF16");
    RUN_IF(avx512_bf16, bf16_model_near_fp32, "the CPU has no bf16 kernel");
    RUN_IF(kernels_cpu_level() == KERNEL_AVX512, adamw_instances_give_the_same_bits,
           "the CPU has no AVX-512");
    RUN(precision_decision_names_its_reason);
    return check_summary();
}
