/* kernels.c — which kernels run (matmul.h): the CPU checks for the fp32 levels and the bf16
 * kernels (CPUID, and Linux's permission for the AMX tile state), the level chosen at run time,
 * their names, the --precision decision; and the two bias steps every level shares. The lowest
 * layer of the matrix products: matmul.c (fp32) and matmul_bf16.c (bf16) both stand on it. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "matmul.h"

static int current_level = -1;

int kernels_cpu_level(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return KERNEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return KERNEL_AVX2;
    return KERNEL_SCALAR;
}

int kernels_select(int max_level)
{
    int level = kernels_cpu_level();
    current_level = level < max_level ? level : max_level;
    if (max_level == KERNEL_BF16 && level == KERNEL_AVX512 && bf16_cpu_kernel() != BF16_SCALAR)
        current_level = KERNEL_BF16;
    return current_level;
}

int kernels_level(void)
{
    if (current_level < 0)
        kernels_select(KERNEL_AVX512);
    return current_level;
}

const char *kernels_level_name(int level)
{
    if (level == KERNEL_BF16)
        return bf16_kernel_name(bf16_kernel());
    return level == KERNEL_AVX512 ? "avx512" : level == KERNEL_AVX2 ? "avx2" : "scalar";
}

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int current_bf16 = -1;

static int cpu_has_avx512_bf16(void)
{
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
        return 0; /* also false when the OS does not save the zmm state */
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
        return 0;
    return (a >> 5) & 1;
}

/* AMX-BF16 and AMX-TILE in CPUID, the OS saving the tile state (XCR0 bits 17, 18), and
 * Linux granting this process the tile data (it is off until asked for, per process). */
static int cpu_has_amx_bf16(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if (!((d >> 22) & 1) || !((d >> 24) & 1))
        return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) /* OSXSAVE */
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & (3u << 17)) != (3u << 17))
        return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

int bf16_cpu_kernel(void)
{
    static int cached = -1;
    if (cached < 0)
        cached = cpu_has_amx_bf16() && cpu_has_avx512_bf16() ? BF16_AMX
                 : cpu_has_avx512_bf16()                     ? BF16_AVX512
                                                             : BF16_SCALAR;
    return cached;
}

int bf16_kernel(void)
{
    if (current_bf16 < 0)
        current_bf16 = bf16_cpu_kernel();
    return current_bf16;
}

void bf16_kernel_set(int kernel)
{
    current_bf16 = kernel;
}

const char *bf16_kernel_name(int kernel)
{
    return kernel == BF16_AMX            ? "amx-bf16"
           : kernel == BF16_AVX512       ? "avx512-bf16"
           : kernel == BF16_AMX_EMULATED ? "amx-bf16 (emulated)"
                                         : "scalar-bf16";
}

int precision_level(int request, int kernel_max, char *reason, size_t reason_size)
{
    int kernel = bf16_cpu_kernel();
    int fp32_level = kernels_cpu_level() < kernel_max ? kernels_cpu_level() : kernel_max;
    if (fp32_level > KERNEL_AVX512)
        fp32_level = KERNEL_AVX512;
    const char *has = kernel == BF16_AMX ? "AMX-BF16" : "AVX512-BF16";
    if (request == PRECISION_FP32) {
        snprintf(reason, reason_size, "fp32 (--precision fp32)");
        return fp32_level;
    }
    if (kernel == BF16_SCALAR) {
        snprintf(reason, reason_size, "%s: this CPU has neither AVX512-BF16 nor AMX-BF16",
                 request == PRECISION_BF16 ? "bf16 is not available" : "fp32 (auto)");
        return request == PRECISION_BF16 ? -1 : fp32_level;
    }
    if (kernel_max < KERNEL_AVX512) {
        snprintf(reason, reason_size, "%s: --simd %s is below avx512",
                 request == PRECISION_BF16 ? "bf16 is not available" : "fp32 (auto)",
                 kernels_level_name(kernel_max));
        return request == PRECISION_BF16 ? -1 : fp32_level;
    }
    snprintf(reason, reason_size,
             "bf16 mixed precision (%s: the CPU has %s): fp32 master weights, moments and "
             "gradients; matrix operands rounded to bf16",
             request == PRECISION_BF16 ? "--precision bf16" : "auto", has);
    current_bf16 = kernel;
    return KERNEL_BF16;
}

/* Row by row from zero, so every level sums the bias gradient in the same order
 * (bit-identical). */
void matmul_bias_backward(float *dbias, const float *dout, int N, int OC)
{
    memset(dbias, 0, (size_t)OC * sizeof *dbias);
    for (int i = 0; i < N; i++) {
        const float *d = dout + (size_t)i * OC;
        for (int o = 0; o < OC; o++)
            dbias[o] += d[o];
    }
}

int matmul_bias_rows(float *out, const float *bias, int N, int OC)
{
    if (bias)
        for (int i = 0; i < N; i++)
            memcpy(out + (size_t)i * OC, bias, (size_t)OC * sizeof *out);
    return bias != NULL;
}
