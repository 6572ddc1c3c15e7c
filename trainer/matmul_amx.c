/* matmul_amx.c — gemm_amx_impl.h on the real AMX tiles (tdpbf16ps), for CPUs with AMX-BF16
 * (Intel Sapphire Rapids and later). Built with -mamx-tile -mamx-bf16 (build.mk); called only
 * after kernels.c saw AMX in CPUID and Linux granted the tile state (ARCH_REQ_XCOMP_PERM).
 * Untested on hardware here (an AMD Zen 4 has no AMX): its blocking and addressing are tested
 * through the emulated twin in matmul_bf16.c, compiled from the same source. */
#include <immintrin.h>
#include <string.h>

#include "matmul.h"

/* ldtilecfg's 64-byte operand: palette 1, eight tiles of 16 rows x 64 bytes. */
struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

static void amx_configure(void)
{
    struct tile_config cfg __attribute__((aligned(64)));
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = 16;
    }
    _tile_loadconfig(&cfg);
}

#define TILE_CONFIGURE() amx_configure()
#define TILE_RELEASE() _tile_release()
#define TILE_ZERO(t) _tile_zero(t)
#define TILE_LOAD(t, p, stride) _tile_loadd(t, p, stride)
#define TILE_STORE(t, p, stride) _tile_stored(t, p, stride)
#define TILE_DP(c, a, b) _tile_dpbf16ps(c, a, b)
#define AMX_GEMM_NAME gemm_bf16_amx
#define AMX_PACKED_NAME gemm_bf16_packed_amx

#include "gemm_amx_impl.h"
