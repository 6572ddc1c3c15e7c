/* gemm_amx_impl.h — the AMX-BF16 GEMM, written once over tile operations that the includer
 * defines: matmul_amx.c with the real instructions (ldtilecfg, tileloadd, tdpbf16ps), and
 * matmul_bf16.c with a scalar emulation of the same tiles, so that the blocking, the packing and
 * the tile addressing are tested on CPUs without AMX. Blocks of 32 rows x 32 columns: four fp32
 * C tiles (tmm0-3), two A tiles (tmm4-5: 16 rows x 32 k), two B tiles (tmm6-7: 16 pair rows of
 * a bf16_pack_b panel, the same panels as the AVX512-BF16 kernel's).
 *
 * Needs: TILE_CONFIGURE(), TILE_RELEASE(), TILE_ZERO(t), TILE_LOAD(t, p, stride_bytes),
 * TILE_STORE(t, p, stride_bytes), TILE_DP(c, a, b), AMX_GEMM_NAME, AMX_PACKED_NAME. */
#include "gemm_bf16_pack.h"

#define AMX_MB 32 /* rows per block: two A tiles */
#define AMX_A_WORDS (AMX_MB * BF16_KC / 2)

/* A block: rows (<= 32) x kc of A(i, k) = A[i*a_rs + k*a_ks] as bf16, row r at dst + r*kc_pad,
 * zero past kc and past rows (a tile reads 16 whole rows of 32 k). */
static __attribute__((unused)) void amx_pack_a(uint16_t *restrict dst, const float *restrict A,
                                               long a_rs, long a_ks, int rows, int kc, int kc_pad)
{
    for (int r = 0; r < AMX_MB; r++) {
        uint16_t *row = dst + (long)r * kc_pad;
        int k = 0;
        if (r < rows)
            for (; k < kc; k++)
                row[k] = bf16_round(A[r * a_rs + k * a_ks]);
        for (; k < kc_pad; k++)
            row[k] = 0;
    }
}

/* C (mr x nc) += the 32 x 32 block A (32 x slices*32) . B panel (slices*16 pair rows); with
 * accumulate 0, C = 0 + the block (the bits of adding into zeroed C). */
static __attribute__((unused)) void amx_block(int mr, int nc, int slices, const uint16_t *Ap,
                                              int kc_pad, const uint32_t *Bp, float *Cm, long ldc,
                                              float *scratch, int accumulate)
{
    TILE_ZERO(0);
    TILE_ZERO(1);
    TILE_ZERO(2);
    TILE_ZERO(3);
    for (int s = 0; s < slices; s++) {
        TILE_LOAD(4, Ap + s * 32, kc_pad * 2);
        TILE_LOAD(5, Ap + 16L * kc_pad + s * 32, kc_pad * 2);
        TILE_LOAD(6, Bp + (long)s * 16 * BF16_NR, BF16_NR * 4);
        TILE_LOAD(7, Bp + (long)s * 16 * BF16_NR + 16, BF16_NR * 4);
        TILE_DP(0, 4, 6);
        TILE_DP(1, 4, 7);
        TILE_DP(2, 5, 6);
        TILE_DP(3, 5, 7);
    }
    TILE_STORE(0, scratch, 32 * 4);
    TILE_STORE(1, scratch + 16, 32 * 4);
    TILE_STORE(2, scratch + 16 * 32, 32 * 4);
    TILE_STORE(3, scratch + 16 * 32 + 16, 32 * 4);
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nc; j++)
            Cm[r * ldc + j] = (accumulate ? Cm[r * ldc + j] : 0.0f) + scratch[r * 32 + j];
}

/* The M loop for one K block over a run of B panels (pair rows padded to whole tiles). */
static __attribute__((unused)) void amx_rows(int M, int ncb, int kc, const float *A, long a_rs,
                                             long a_ks, const uint32_t *panels, long panel_stride,
                                             float *Cm, long ldc, float *pack, int accumulate)
{
    uint16_t *apack = (uint16_t *)((uint32_t *)pack + (long)(BF16_KC / 2) * BF16_NC);
    float *scratch = (float *)((uint32_t *)pack + (long)(BF16_KC / 2) * BF16_NC + AMX_A_WORDS);
    int slices = (kc + 31) / 32, kc_pad = slices * 32, count = (ncb + BF16_NR - 1) / BF16_NR;
    for (int i0 = 0; i0 < M; i0 += AMX_MB) {
        int mr = M - i0 < AMX_MB ? M - i0 : AMX_MB;
        amx_pack_a(apack, A + (long)i0 * a_rs, a_rs, a_ks, mr, kc, kc_pad);
        for (int p = 0; p < count; p++) {
            int nc = ncb - p * BF16_NR < BF16_NR ? ncb - p * BF16_NR : BF16_NR;
            amx_block(mr, nc, slices, apack, kc_pad, panels + (long)p * panel_stride,
                      Cm + (long)i0 * ldc + p * BF16_NR, ldc, scratch, accumulate);
        }
    }
}

void AMX_GEMM_NAME(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B,
                   long b_ks, long b_ns, float *Cm, long ldc, float *pack, int accumulate)
{
    uint32_t *bpack = (uint32_t *)pack;
    TILE_CONFIGURE();
    for (int k0 = 0; k0 < K; k0 += BF16_KC) {
        int kc = K - k0 < BF16_KC ? K - k0 : BF16_KC;
        int rows = (kc + 31) / 32 * 16; /* pair rows, whole tiles */
        for (int j0 = 0; j0 < N; j0 += BF16_NC) {
            int ncb = N - j0 < BF16_NC ? N - j0 : BF16_NC;
            bf16_pack_b_block(bpack, B + (long)k0 * b_ks + (long)j0 * b_ns, b_ks, b_ns, kc, ncb,
                              rows);
            amx_rows(M, ncb, kc, A + (long)k0 * a_ks, a_rs, a_ks, bpack, (long)rows * BF16_NR,
                     Cm + j0, ldc, pack, accumulate || k0 > 0);
        }
    }
    TILE_RELEASE();
}

/* With B pre-packed by bf16_pack_weight: its panels are padded to whole tiles already. */
void AMX_PACKED_NAME(int M, int N, int K, const float *A, long lda, const uint32_t *packed,
                     float *Cm, long ldc, float *pack, int accumulate)
{
    long kpp = bf16_kpairs_padded(K);
    TILE_CONFIGURE();
    for (int k0 = 0; k0 < K; k0 += BF16_KC) {
        int kc = K - k0 < BF16_KC ? K - k0 : BF16_KC;
        for (int j0 = 0; j0 < N; j0 += BF16_NC) {
            int ncb = N - j0 < BF16_NC ? N - j0 : BF16_NC;
            const uint32_t *panels =
                packed + (long)(j0 / BF16_NR) * kpp * BF16_NR + (long)(k0 / 2) * BF16_NR;
            amx_rows(M, ncb, kc, A + k0, lda, 1, panels, kpp * BF16_NR, Cm + j0, ldc, pack,
                     accumulate || k0 > 0);
        }
    }
    TILE_RELEASE();
}
