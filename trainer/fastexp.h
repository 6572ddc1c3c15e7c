/* fastexp.h — expf without a library call, branch-free so the compiler vectorises the loops of
 * the SIMD layer instances (layers_avx2.c, layers_avx512.c): 2^n by building the exponent bits,
 * e^r on |r| <= ln2/2 by a degree-7 Taylor polynomial (relative error about 1e-7, below float
 * rounding of the results it feeds). Inputs are clamped to [-87, 88], so exp of a very negative
 * number is 1.6e-38 instead of 0: harmless in softmax and tanh. libm's expf stays the reference
 * in the portable instance (layers.c). */
#ifndef TRAINER_FASTEXP_H
#define TRAINER_FASTEXP_H

#include <stdint.h>
#include <string.h>

static inline float fast_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* n = round(x / ln2), by the 1.5 * 2^23 trick (round to nearest, no branch) */
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t exponent = bits - 0x4B400000; /* the integer n */
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t scale_bits = (exponent + 127) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale;
}

#endif
