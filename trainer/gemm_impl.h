/* gemm_impl.h — the packed, cache-blocked, register-tiled GEMM, written once and compiled per
 * instruction set by matmul_avx2.c and matmul_avx512.c (which define the vector macros below).
 * Loop order (GotoBLAS): K in blocks of KC, N in blocks of NC packed into NR-wide panels, M in
 * blocks of MC; the micro-kernel keeps an MR x NR tile of C in registers. The block sizes are
 * constants, so the order of every sum is fixed: same inputs, same bits, on any thread.
 *
 * Needs: VEC, VLEN, V_ZERO(), V_LOAD(p), V_SET1(x), V_FMA(a, b, c) (a*b+c), V_ADD(a, b),
 * V_LOADU(p), V_STOREU(p, v), V_LOADN(p, n), V_STOREN(p, v, n) (first n lanes), GEMM_NAME. */
#define MR 6
#define NR (2 * VLEN)
#define KC 256
#define NC 512
#define MC 48

/* Panel of kc x NR floats, row k at dst + k*NR, columns past nc zero. */
static void pack_panel(float *dst, const float *B, long b_ks, long b_ns, int kc, int nc)
{
    if (b_ns == 1 && nc == NR) {
        for (int k = 0; k < kc; k++) {
            const float *src = B + k * b_ks;
            float *row = dst + (long)k * NR;
            V_STOREU(row, V_LOADU(src));
            V_STOREU(row + VLEN, V_LOADU(src + VLEN));
        }
    } else if (b_ns == 1) {
        for (int k = 0; k < kc; k++) {
            const float *src = B + k * b_ks;
            float *row = dst + (long)k * NR;
            int j = 0;
            for (; j < nc; j++)
                row[j] = src[j];
            for (; j < NR; j++)
                row[j] = 0.0f;
        }
    } else {
        for (int j = 0; j < NR; j++) {
            if (j < nc) {
                const float *src = B + j * b_ns;
                for (int k = 0; k < kc; k++)
                    dst[(long)k * NR + j] = src[k * b_ks];
            } else {
                for (int k = 0; k < kc; k++)
                    dst[(long)k * NR + j] = 0.0f;
            }
        }
    }
}

/* C tile (mr x nc) += A . B panel, or (accumulate 0) C = 0 + A . B: the sum of zero and the
 * product, as after zeroing C, so the bits are those of zeroing first (-0 becomes +0). */
static inline __attribute__((always_inline)) void micro_kernel(int mr, int nc, int kc,
                                                               const float *A, long a_rs, long a_ks,
                                                               const float *Bp, float *Cm, long ldc,
                                                               int accumulate)
{
    VEC acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        acc0[r] = V_ZERO();
        acc1[r] = V_ZERO();
    }
    for (int k = 0; k < kc; k++) {
        VEC b0 = V_LOAD(Bp + (long)k * NR);
        VEC b1 = V_LOAD(Bp + (long)k * NR + VLEN);
        const float *a = A + k * a_ks;
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            if (r < mr) {
                VEC av = V_SET1(a[r * a_rs]);
                acc0[r] = V_FMA(av, b0, acc0[r]);
                acc1[r] = V_FMA(av, b1, acc1[r]);
            }
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r < mr) {
            float *c = Cm + r * ldc;
            if (nc == NR) {
                V_STOREU(c, V_ADD(accumulate ? V_LOADU(c) : V_ZERO(), acc0[r]));
                V_STOREU(c + VLEN, V_ADD(accumulate ? V_LOADU(c + VLEN) : V_ZERO(), acc1[r]));
            } else {
                int n0 = nc < VLEN ? nc : VLEN;
                V_STOREN(c, V_ADD(accumulate ? V_LOADN(c, n0) : V_ZERO(), acc0[r]), n0);
                if (nc > VLEN)
                    V_STOREN(c + VLEN,
                             V_ADD(accumulate ? V_LOADN(c + VLEN, nc - VLEN) : V_ZERO(), acc1[r]),
                             nc - VLEN);
            }
        }
    }
}

static void micro_dispatch(int mr, int nc, int kc, const float *A, long a_rs, long a_ks,
                           const float *Bp, float *Cm, long ldc, int accumulate)
{
    switch (mr) {
    case 6:
        micro_kernel(6, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    case 5:
        micro_kernel(5, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    case 4:
        micro_kernel(4, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    case 3:
        micro_kernel(3, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    case 2:
        micro_kernel(2, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    default:
        micro_kernel(1, nc, kc, A, a_rs, a_ks, Bp, Cm, ldc, accumulate);
        break;
    }
}

void GEMM_NAME(int M, int N, int K, const float *A, long a_rs, long a_ks, const float *B, long b_ks,
               long b_ns, float *Cm, long ldc, float *pack, int accumulate)
{
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? K - k0 : KC;
        for (int j0 = 0; j0 < N; j0 += NC) {
            int ncb = N - j0 < NC ? N - j0 : NC;
            int panels = (ncb + NR - 1) / NR;
            for (int p = 0; p < panels; p++) {
                int nc = ncb - p * NR < NR ? ncb - p * NR : NR;
                pack_panel(pack + (long)p * kc * NR, B + k0 * b_ks + (long)(j0 + p * NR) * b_ns,
                           b_ks, b_ns, kc, nc);
            }
            for (int i0 = 0; i0 < M; i0 += MC) {
                int mcb = M - i0 < MC ? M - i0 : MC;
                for (int p = 0; p < panels; p++) {
                    int nc = ncb - p * NR < NR ? ncb - p * NR : NR;
                    const float *Bp = pack + (long)p * kc * NR;
                    for (int ir = 0; ir < mcb; ir += MR) {
                        int mr = mcb - ir < MR ? mcb - ir : MR;
                        long i = i0 + ir;
                        micro_dispatch(mr, nc, kc, A + i * a_rs + k0 * a_ks, a_rs, a_ks, Bp,
                                       Cm + i * ldc + j0 + p * NR, ldc, accumulate || k0 > 0);
                    }
                }
            }
        }
    }
}

/* Packs panels [panel_begin, panel_end) of weight (OC, C) as GEMM B(k = c, n = o): panel p holds
 * C rows of NR floats at dst + p * C * NR, the layout PACKED_GEMM_NAME reads. */
void PACK_NAME(float *dst, const float *weight, int C, int OC, int panel_begin, int panel_end)
{
    for (int p = panel_begin; p < panel_end; p++) {
        int nc = OC - p * NR < NR ? OC - p * NR : NR;
        pack_panel(dst + (long)p * C * NR, weight + (long)p * NR * C, 1, C, C, nc);
    }
}

/* out (M, N) += A (M, K; row stride lda) . B, with B pre-packed by PACK_NAME (K = C, N = OC):
 * the same loops and block sizes as GEMM_NAME, so the same sums in the same order. */
void PACKED_GEMM_NAME(int M, int N, int K, const float *A, long lda, const float *packed, float *Cm,
                      long ldc, int accumulate)
{
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? K - k0 : KC;
        for (int j0 = 0; j0 < N; j0 += NC) {
            int ncb = N - j0 < NC ? N - j0 : NC;
            int panels = (ncb + NR - 1) / NR;
            for (int i0 = 0; i0 < M; i0 += MC) {
                int mcb = M - i0 < MC ? M - i0 : MC;
                for (int p = 0; p < panels; p++) {
                    int nc = ncb - p * NR < NR ? ncb - p * NR : NR;
                    const float *Bp = packed + (long)((j0 / NR) + p) * K * NR + (long)k0 * NR;
                    for (int ir = 0; ir < mcb; ir += MR) {
                        int mr = mcb - ir < MR ? mcb - ir : MR;
                        long i = i0 + ir;
                        micro_dispatch(mr, nc, kc, A + i * lda + k0, lda, 1, Bp,
                                       Cm + i * ldc + j0 + p * NR, ldc, accumulate || k0 > 0);
                    }
                }
            }
        }
    }
}
