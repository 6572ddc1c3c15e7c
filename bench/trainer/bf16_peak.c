/* bf16_peak.c — the machine's register peak for bench.sh: a loop of independent vdpbf16ps
 * (bf16 pairs into fp32, 64 flops per 512-bit instruction) and, for scale, of vfmadd231ps on
 * fp32 (32 flops), with no memory traffic: the most one core can do. Built by bench.sh with
 * -mavx512bf16 and run only where the CPU has it. usage: bf16_peak [seconds]; prints
 * "bf16 GFLOPS fp32 GFLOPS" for one core (run two at once for two cores). */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define CHAINS 12 /* independent accumulators: more than latency x throughput */

static double bf16_loop(long iterations)
{
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++)
        acc[c] = _mm512_set1_ps((float)c);
    __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80),
             b = (__m512bh)_mm512_set1_epi32(0x3c003c00);
    double start = now_s();
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++)
            acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
        __asm__ volatile("" : "+v"(a), "+v"(b));
    }
    double seconds = now_s() - start;
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++)
        sum = _mm512_add_ps(sum, acc[c]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return (double)iterations * CHAINS * 64 / seconds / 1e9;
}

static double fp32_loop(long iterations)
{
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++)
        acc[c] = _mm512_set1_ps((float)c);
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    double start = now_s();
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++)
            acc[c] = _mm512_fmadd_ps(acc[c], a, b);
        __asm__ volatile("" : "+v"(a), "+v"(b));
    }
    double seconds = now_s() - start;
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++)
        sum = _mm512_add_ps(sum, acc[c]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return (double)iterations * CHAINS * 32 / seconds / 1e9;
}

int main(int argc, char **argv)
{
    long iterations = 20000000;
    double best_bf16 = 0, best_fp32 = 0;
    (void)argc;
    (void)argv;
    for (int round = 0; round < 5; round++) {
        double bf16 = bf16_loop(iterations), fp32 = fp32_loop(iterations);
        best_bf16 = bf16 > best_bf16 ? bf16 : best_bf16;
        best_fp32 = fp32 > best_fp32 ? fp32 : best_fp32;
    }
    printf("%.1f %.1f\n", best_bf16, best_fp32);
    return 0;
}
