/* bf16.h — the bfloat16 rounding every bf16 path of the trainer shares (the packing of both GEMM
 * operands, the scalar twins), written as the Intel SDM defines VCVTNE2PS2BF16: round to nearest
 * even, denormals to a signed zero, NaN kept quiet. Integer code only, so the SIMD packers
 * compile it to vector instructions and every path rounds the same bits. The GEMMs are in
 * matmul_bf16.c (twins, dispatch), matmul_avx512bf16.c and matmul_amx.c. */
#ifndef TRAINER_BF16_H
#define TRAINER_BF16_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t bf16_float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float bf16_bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* fp32 -> bf16, round to nearest even; zero and denormal -> signed zero; NaN -> quiet NaN.
 * Selects instead of branches, so that the packing loops vectorise. */
static inline uint16_t bf16_round(float x)
{
    uint32_t u = bf16_float_bits(x);
    uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t flushed = (u >> 16) & 0x8000u;
    uint32_t quiet = (u >> 16) | 0x40u;
    uint32_t r = (u & 0x7f800000u) == 0 ? flushed : rounded;
    r = (u & 0x7fffffffu) > 0x7f800000u ? quiet : r;
    return (uint16_t)r;
}

static inline float bf16_to_float(uint16_t h)
{
    return bf16_bits_float((uint32_t)h << 16);
}

/* Two k-neighbours as one 32-bit word: k even in the low half (the pair layout of vdpbf16ps
 * and tdpbf16ps). */
static inline uint32_t bf16_pair(float k_even, float k_odd)
{
    return (uint32_t)bf16_round(k_even) | (uint32_t)bf16_round(k_odd) << 16;
}

/* One step of vdpbf16ps / tdpbf16ps in one lane: acc + a * b with a single rounding (RNE),
 * a denormal accumulator read as zero, a denormal result flushed to zero (DAZ, FTZ). */
static inline float bf16_fma_ftz(float a, float b, float acc)
{
    if (fpclassify(acc) == FP_SUBNORMAL)
        acc = copysignf(0.0f, acc);
    float r = fmaf(a, b, acc);
    return fpclassify(r) == FP_SUBNORMAL ? copysignf(0.0f, r) : r;
}

#endif
